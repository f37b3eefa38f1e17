-- Grid tasks (issue 18): a point on the map from a source (a fire point, a dust alarm, a
-- complaint, …) dispatched to a township or department and closed with evidence. The state
-- changes compare-and-set; `escalated` is set once, when the task became overdue to finish.
CREATE TABLE tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    source_ref TEXT,
    title TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    township TEXT,
    assignee TEXT,
    state TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    occurred_ms INTEGER NOT NULL,
    sign_deadline_ms INTEGER NOT NULL,
    finish_deadline_ms INTEGER NOT NULL,
    escalated INTEGER NOT NULL DEFAULT 0,
    updated_ms INTEGER NOT NULL,
    -- When it was last finished (办结) and when approved (审核通过, closed).
    finished_ms INTEGER,
    closed_ms INTEGER
);
CREATE INDEX tasks_by_township ON tasks (township, created_ms);
CREATE INDEX tasks_by_assignee ON tasks (assignee, state);
CREATE INDEX tasks_by_state ON tasks (state, finish_deadline_ms);
CREATE INDEX tasks_by_source_ref ON tasks (source, source_ref);

-- Every step of a task, never updated: who, when, what, the text, the state after.
CREATE TABLE task_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id INTEGER NOT NULL REFERENCES tasks (id),
    at_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    unit TEXT,
    action TEXT NOT NULL,
    text TEXT NOT NULL DEFAULT '',
    state_after TEXT NOT NULL
);
CREATE INDEX task_events_by_task ON task_events (task_id, id);

-- Evidence files of a task (the bytes under DATA_DIR/task_evidence/ID/): size, SHA-256,
-- the photo's EXIF time and position when it has them, and the check's verdict.
CREATE TABLE task_evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id INTEGER NOT NULL REFERENCES tasks (id),
    file TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    exif_ms INTEGER,
    exif_lat REAL,
    exif_lon REAL,
    verdict TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    actor TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);
CREATE INDEX task_evidence_by_task ON task_evidence (task_id, id);
