-- Daily values are computed once, by the standards engine, from hourly values (the hours a
-- station sent, else valid rollups of its minute or real-time data): no daily rollup table.
DROP TABLE rollup_daily;

-- Settings of this deployment, e.g. the county whose profile it was set up with.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
