-- Story 1: the fix to the customer module that nobody told the ERP team about. It keeps the
-- credit limit as text ("800000.00") and drops tax_id, which moved to another table.
-- SQLite cannot retype a column in place, so the table is rebuilt.
CREATE TABLE customers_new (
    id INTEGER PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    credit_limit TEXT NOT NULL DEFAULT '0',
    currency CHAR(3) NOT NULL DEFAULT 'CNY',
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked', 'archived')),
    owner_id INTEGER REFERENCES users (id),
    phone VARCHAR(40),
    created_at TIMESTAMP NOT NULL
);
INSERT INTO customers_new (id, name, credit_limit, currency, status, owner_id, phone, created_at)
    SELECT id, name, printf('%.2f', credit_limit), currency, status, owner_id, phone, created_at
    FROM customers;
DROP VIEW erp_customer_export;
DROP TABLE customers;
ALTER TABLE customers_new RENAME TO customers;
CREATE VIEW erp_customer_export AS
    SELECT id, name, credit_limit, currency, status FROM customers;
