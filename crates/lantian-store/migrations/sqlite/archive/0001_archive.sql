-- archive.db: the raw archive and the journal, in a file of their own so that an
-- acknowledgement costs one sequential append and never waits for lantian.db's writer.

-- The raw archive: every received packet byte for byte, hash-chained per chain.
CREATE TABLE archive (
    chain TEXT NOT NULL,
    seq INTEGER NOT NULL,
    received_ms INTEGER NOT NULL,
    peer TEXT NOT NULL,
    mn TEXT,
    verdict TEXT NOT NULL,
    bytes BLOB NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (chain, seq)
) WITHOUT ROWID;                   -- one B-tree per append, not a table and an index

-- Published digests of the chain head.
CREATE TABLE archive_checkpoints (
    chain TEXT NOT NULL,
    seq INTEGER NOT NULL,
    hash BLOB NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (chain, seq)
);

-- Accepted observations not yet projected into lantian.db, one row per packet. Rows at or
-- below lantian.db's projection.journal_id are deleted lazily. The store assigns ids, above
-- both the highest row and the projection, so an id is never reused.
CREATE TABLE journal (
    id INTEGER PRIMARY KEY,
    packet_seq INTEGER,            -- the archive record (main chain) they came in
    observations BLOB NOT NULL     -- see lantian-store/src/journal.rs
);
