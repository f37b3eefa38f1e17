-- The measures ledger: measures as written and parsed, and their history.
CREATE TABLE measures (
    id TEXT PRIMARY KEY,
    position BIGINT NOT NULL,
    category TEXT NOT NULL,
    task TEXT NOT NULL,
    measure TEXT NOT NULL,
    section TEXT NOT NULL,
    responsibility TEXT NOT NULL,
    parsed TEXT NOT NULL,            -- JSON: lead_units, supporting_units, deadlines, targets
    status TEXT NOT NULL DEFAULT 'not_started',
    updated_ms BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE measure_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    measure_id TEXT NOT NULL REFERENCES measures(id),
    at_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    unit TEXT,
    action TEXT NOT NULL,            -- report | confirm | close | reopen | import
    month TEXT,                      -- YYYY-MM of a progress report
    text TEXT NOT NULL DEFAULT '',
    status_after TEXT NOT NULL
);
