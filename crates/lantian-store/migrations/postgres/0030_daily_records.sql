-- Daily records per station kept as a rollup (store `daily.rs`): assessments and rankings
-- read 365 rows a station-year instead of 6 × 8,760 hours. `day` counts Beijing days since
-- 1970-01-01. A record is fresh while its `gen` equals the station-day's generation in
-- `day_changes` (bumped by every write of that day's values) and its `rev` is the revision
-- of the code that computes records; otherwise it is computed again.
CREATE TABLE day_changes (
    station_id TEXT COLLATE "C" NOT NULL,
    day BIGINT NOT NULL,
    gen BIGINT NOT NULL,
    PRIMARY KEY (station_id, day)
);

CREATE TABLE daily_records (
    station_id TEXT COLLATE "C" NOT NULL,
    audited BIGINT NOT NULL,       -- 0: raw values, 1: audited (corrections applied)
    day BIGINT NOT NULL,
    gen BIGINT NOT NULL,
    rev BIGINT NOT NULL,
    so2 DOUBLE PRECISION,
    no2 DOUBLE PRECISION,
    pm10 DOUBLE PRECISION,
    co DOUBLE PRECISION,
    o3 DOUBLE PRECISION,           -- MDA8
    pm25 DOUBLE PRECISION,
    o3_max_1h DOUBLE PRECISION,
    PRIMARY KEY (station_id, audited, day)
);

-- Every station-day that already has values is due once (`lantian serve`'s refresh pass
-- computes it ahead of the readers): its Beijing day is (ts + 8 h) / 24 h, for the hour of
-- any value alike. A full read of `observations`, once, at the upgrade.
INSERT INTO day_changes (station_id, day, gen)
    SELECT station_id, (ts + 28800) / 86400, 1 FROM observations GROUP BY 1, 2;
