-- The 散乱污 list (issue 21; docs/enforcement.md "散乱污"): small polluting businesses found in
-- a township, with their state (found → rectifying → rectified / closed / relocated →
-- verified; a verified entry found again is reopened). State changes are compare-and-set.
CREATE TABLE sanluanwu (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    township TEXT NOT NULL,
    name TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    industry TEXT NOT NULL DEFAULT '',
    problem TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('found', 'rectifying', 'rectified', 'closed', 'relocated', 'verified')),
    found_date TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'report',
    task_id INTEGER,
    actor TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX sanluanwu_by_township ON sanluanwu (township, id);

-- Every step of an entry (its creation is a step to `found`), never deleted: `date` is the
-- Beijing date the monthly count is made of.
CREATE TABLE sanluanwu_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id INTEGER NOT NULL REFERENCES sanluanwu (id),
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    date TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sanluanwu_events_by_entry ON sanluanwu_events (entry_id, id);
