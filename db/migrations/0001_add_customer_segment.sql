-- A harmless migration: a new nullable column nobody reads yet.
ALTER TABLE customers ADD COLUMN segment VARCHAR(40);
