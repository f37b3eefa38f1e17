-- Data integrity (issue 15): alarm episodes of the rule library, their three-level review
-- (operator, township, bureau), work orders to the operations contractor, and the months the
-- bureau has closed after its corrections (HJ 633 §5.1.5). Hour timestamps are CST seconds
-- of the hour's start like every ts; *_ms are Unix milliseconds like the audit log's.
CREATE TABLE alarms (
    id BIGSERIAL PRIMARY KEY,
    station_id TEXT NOT NULL,
    pollutant TEXT NOT NULL DEFAULT '', -- '' for a station-wide rule
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,            -- info | warning | critical
    first_ts BIGINT NOT NULL,         -- first and last flagged hour (starts)
    last_ts BIGINT NOT NULL,
    why_zh TEXT NOT NULL,
    why_en TEXT NOT NULL,
    figures TEXT NOT NULL,             -- JSON [[name, value], ...]
    neighbours TEXT NOT NULL,          -- JSON [station id, ...]
    state TEXT NOT NULL,               -- open | confirmed | false_positive | site_visit
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    escalated_by TEXT,                 -- handed to enforcement (confirmed interference)
    escalated_ms BIGINT,
    escalation_note TEXT,
    UNIQUE (station_id, pollutant, rule, first_ts)
);
CREATE INDEX alarms_by_station ON alarms (station_id, rule, last_ts);

CREATE TABLE alarm_reviews (
    alarm_id BIGINT NOT NULL REFERENCES alarms(id),
    seq BIGINT NOT NULL,
    level TEXT NOT NULL,               -- operator | township | bureau
    outcome TEXT NOT NULL,             -- confirm | false_positive | site_visit
    reason TEXT NOT NULL,
    who TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (alarm_id, seq)
);

CREATE TABLE work_orders (
    id BIGSERIAL PRIMARY KEY,
    alarm_id BIGINT REFERENCES alarms(id),
    station_id TEXT NOT NULL,
    assignee TEXT NOT NULL,            -- the operations contractor (a unit id)
    deadline TEXT NOT NULL,            -- YYYY-MM-DD, Beijing time
    state TEXT NOT NULL,               -- open | closed
    note TEXT NOT NULL DEFAULT '',
    opened_by TEXT NOT NULL,
    opened_ms BIGINT NOT NULL,
    closed_by TEXT,
    closed_ms BIGINT,
    closing_note TEXT
);
CREATE INDEX work_orders_by_station ON work_orders (station_id, state);

CREATE TABLE audit_months (
    month TEXT PRIMARY KEY,            -- YYYY-MM
    closed_by TEXT NOT NULL,
    closed_ms BIGINT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
