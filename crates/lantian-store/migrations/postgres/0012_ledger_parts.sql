-- Parts of a measure with a status of their own: a milestone (`milestone:M05-1`) or a
-- township's share of it (`unit:wangkou`). A part without a row is not started.
CREATE TABLE measure_parts (
    measure_id TEXT NOT NULL,
    part TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'not_started',
    updated_ms BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (measure_id, part)
);

-- The part an event concerns (NULL: the measure itself).
ALTER TABLE measure_events ADD COLUMN part TEXT;

-- Numbers of a measure's targets, never updated in place: the number of a 省定目标 the
-- bureau enters (kind 'target') and the monthly actuals the lead unit enters (kind
-- 'actual'). The latest row of a key (and month) counts; the earlier ones are its history.
-- `measure_id` may be `PLAN`, the plan's headline targets.
CREATE TABLE measure_values (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    measure_id TEXT NOT NULL,
    target_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    month TEXT,
    value DOUBLE PRECISION NOT NULL,
    actor TEXT NOT NULL,
    unit TEXT,
    at_ms BIGINT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX measure_values_by_key ON measure_values (measure_id, target_key, kind);
