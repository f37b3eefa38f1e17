-- Targets as data (issue 16): a target per year, unit (the city's id or a town, township or
-- zone) and indicator (pm25, good_day_ratio, heavy_days, heavy_day_ratio, composite_index,
-- provincial:CODE), never overwritten: each edit is a new row with who, when, where from
-- (profile = the county profile's targets.csv, bureau = entered) and a note; the latest row
-- (highest id) is the current one. value NULL: a 省定目标 whose number is not entered yet.
CREATE TABLE targets (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL,
    unit_id TEXT NOT NULL,
    indicator TEXT NOT NULL,
    value REAL,
    source TEXT NOT NULL CHECK (source IN ('profile', 'bureau')),
    actor TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX targets_by_key ON targets (year, unit_id, indicator, id);

-- The monthly breakdown of a target (even | seasonal | typed), replaced as a whole; the
-- audit log keeps who changed it.
CREATE TABLE target_breakdowns (
    year INTEGER NOT NULL,
    unit_id TEXT NOT NULL,
    indicator TEXT NOT NULL,
    month INTEGER NOT NULL CHECK (month BETWEEN 1 AND 12),
    value REAL NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('even', 'seasonal', 'typed')),
    actor TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (year, unit_id, indicator, month)
);
