-- Credit records (issue 21, docs/enforcement.md "Credit records"): entries written by rule
-- when a case closes (one per case and subject: closing twice writes nothing more), and the
-- subjects' requests about them (异议 objection, 信用修复 repair) with the bureau's answers.
-- Dates are Beijing dates as 'YYYY-MM-DD' text (they compare as text); publish_until is the
-- last day shown. `state` is published | objected | withdrawn | repaired; whether an entry
-- is inside its period is a matter of the date, not stored.
CREATE TABLE credit_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL,
    case_no TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    subject_name TEXT NOT NULL,
    credit_code TEXT,
    level TEXT NOT NULL,
    violation TEXT NOT NULL,
    decision_line TEXT NOT NULL,
    fine_yuan REAL,
    non_site INTEGER NOT NULL DEFAULT 0,
    township TEXT,
    decided_ms INTEGER NOT NULL,
    publish_from TEXT NOT NULL,
    publish_until TEXT NOT NULL,
    repair_from TEXT NOT NULL,
    rule_source TEXT NOT NULL,
    state TEXT NOT NULL,
    state_reason TEXT,
    created_ms INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (case_id, subject_kind, subject_id)
);
CREATE INDEX credit_entries_by_subject ON credit_entries (subject_kind, subject_id);
CREATE INDEX credit_entries_by_period ON credit_entries (publish_until, publish_from);
CREATE TABLE credit_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id INTEGER NOT NULL REFERENCES credit_entries (id),
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    evidence TEXT NOT NULL DEFAULT '',
    filed_by TEXT NOT NULL,
    filed_ms INTEGER NOT NULL,
    state TEXT NOT NULL,
    decided_by TEXT,
    decided_ms INTEGER,
    reason TEXT
);
-- At most one request under review per entry.
CREATE UNIQUE INDEX credit_requests_one_pending ON credit_requests (entry_id) WHERE state = 'pending';
