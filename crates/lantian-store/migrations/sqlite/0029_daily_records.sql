-- Daily records per station kept as a rollup (store `daily.rs`): assessments and rankings
-- read 365 rows a station-year instead of 6 × 8,760 hours. `day` counts Beijing days since
-- 1970-01-01. A record is fresh while its `gen` equals the station-day's generation in
-- `day_changes` (bumped by every write of that day's values) and its `rev` is the revision
-- of the code that computes records; otherwise it is computed again.
CREATE TABLE day_changes (
    station_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    gen INTEGER NOT NULL,
    PRIMARY KEY (station_id, day)
) WITHOUT ROWID;

CREATE TABLE daily_records (
    station_id TEXT NOT NULL,
    audited INTEGER NOT NULL,      -- 0: raw values, 1: audited (corrections applied)
    day INTEGER NOT NULL,
    gen INTEGER NOT NULL,
    rev INTEGER NOT NULL,
    so2 REAL,
    no2 REAL,
    pm10 REAL,
    co REAL,
    o3 REAL,                       -- MDA8
    pm25 REAL,
    o3_max_1h REAL,
    PRIMARY KEY (station_id, audited, day)
) WITHOUT ROWID;

-- Every station-day that already has values is due once (`lantian serve`'s refresh pass
-- computes it ahead of the readers): its Beijing day is (ts + 8 h) / 24 h, for the hour of
-- any value alike. A full read of `observations`, once, at the upgrade.
INSERT INTO day_changes (station_id, day, gen)
    SELECT station_id, (ts + 28800) / 86400, 1 FROM observations GROUP BY 1, 2;
