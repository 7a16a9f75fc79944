-- The CRM's customer tables, as the bundled example's SQLite database (db/crm.sqlite) has
-- them. The ERP's nightly customer sync reads `customers` through the `erp_customer_export`
-- view; finance reads `credit_limit` and `tax_id` for credit checks.
-- A test rebuilds the database from this file and checks that both agree.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email VARCHAR(120) NOT NULL UNIQUE
);

CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    tax_id VARCHAR(20) NOT NULL UNIQUE,
    credit_limit NUMERIC(12,2) NOT NULL DEFAULT 0,
    currency CHAR(3) NOT NULL DEFAULT 'CNY',
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked', 'archived')),
    owner_id INTEGER REFERENCES users (id),
    phone VARCHAR(40),
    created_at TIMESTAMP NOT NULL
);

CREATE VIEW erp_customer_export AS
    SELECT id, name, tax_id, credit_limit, currency, status FROM customers;

INSERT INTO users (id, email) VALUES (1, 'sales@example.com');
INSERT INTO customers (id, name, tax_id, credit_limit, currency, status, owner_id, phone, created_at)
    VALUES (1, 'Acme Trading', '91310000MA1FL0001X', 800000.00, 'CNY', 'active', 1, NULL,
            '2024-03-01 09:30:00');
