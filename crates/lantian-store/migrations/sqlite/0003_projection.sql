-- How far archive.db's journal has been projected into this database: updated in the same
-- transaction as the observations it projects, so each journal row is projected once.
CREATE TABLE projection (
    name TEXT PRIMARY KEY,         -- 'journal'
    journal_id INTEGER NOT NULL
);
