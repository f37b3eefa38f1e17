-- Heavy-pollution emergency response: warnings and their timeline, the reduction list
-- (一厂一策), permitted emissions, notifications with their receipts, and violations handed
-- to enforcement. Times are CST seconds like every ts.
CREATE TABLE warnings (
    id BIGSERIAL PRIMARY KEY,
    state TEXT NOT NULL,               -- proposed | in_force | lifted | withdrawn
    level TEXT NOT NULL,               -- yellow | orange | red: the level now
    origin TEXT NOT NULL,              -- local | regional
    edition TEXT NOT NULL,             -- the warning plan's edition, e.g. hebei-2024
    rule_zh TEXT NOT NULL,
    rule_en TEXT NOT NULL,
    forecast TEXT NOT NULL,            -- JSON: the forecast it came from
    first_hour BIGINT,                -- the forecast episode's first and last hour
    last_hour BIGINT,
    issued_ts BIGINT,                 -- in force from
    lifted_ts BIGINT,                 -- in force until
    doc_no TEXT,
    created_ts BIGINT NOT NULL
);

CREATE TABLE warning_events (
    warning_id BIGINT NOT NULL REFERENCES warnings(id),
    seq BIGINT NOT NULL,
    ts BIGINT NOT NULL,               -- when it was recorded
    effective_ts BIGINT,              -- when it takes effect
    kind TEXT NOT NULL,                -- proposed | issued | adjusted | lifted | withdrawn | regional_order | answered
    level TEXT,
    actor TEXT NOT NULL,
    doc_no TEXT,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (warning_id, seq)
);

CREATE TABLE reduction_measures (
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    level TEXT NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,                -- stop_line | cap_load | stop_outdoor | transport_ban | self_determined | other
    equipment_id TEXT,
    cap_pct DOUBLE PRECISION,
    declared_pct DOUBLE PRECISION,
    text TEXT NOT NULL,
    PRIMARY KEY (enterprise_id, level, seq)
);

-- Permitted annual emissions (排污许可量), the baseline where CEMS history is missing.
CREATE TABLE enterprise_permits (
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    pollutant TEXT NOT NULL,           -- SO2 | NOx | PM | VOCs
    t_per_year DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (enterprise_id, pollutant)
);

CREATE TABLE notifications (
    warning_id BIGINT NOT NULL REFERENCES warnings(id),
    event_seq BIGINT NOT NULL,
    recipient TEXT NOT NULL,           -- an enterprise's id or a unit's id
    channel TEXT NOT NULL,             -- app
    sent_ts BIGINT NOT NULL,
    read_ts BIGINT,
    confirmed_ts BIGINT,
    confirmed_by TEXT,
    PRIMARY KEY (warning_id, event_seq, recipient, channel)
);

CREATE TABLE violation_handovers (
    warning_id BIGINT NOT NULL REFERENCES warnings(id),
    enterprise_id TEXT NOT NULL,
    measure TEXT NOT NULL,             -- level:seq
    first_hour BIGINT NOT NULL,
    handed_ts BIGINT NOT NULL,
    actor TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (warning_id, enterprise_id, measure, first_hour)
);
