-- 0022_report_schedules (issue 17): the periodic air-quality reports (日报 / 周报 / 月报) made
-- on a schedule by `lantian serve`, and the files made (scheduled or by hand).
-- A schedule makes, from `hour_cst` (Beijing time) on, the report of the last period that
-- has ended (yesterday, last week Monday to Sunday, last month) for `scope` (`city` or
-- `unit:ID`) in each of `formats` (`xlsx,pdf`), once: a file already made is not made again.
CREATE TABLE report_schedules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    scope TEXT NOT NULL,
    formats TEXT NOT NULL,
    hour_cst INTEGER NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    UNIQUE (kind, scope)
);
-- A made report: one file per kind, scope, period and format (made again: replaced, the
-- audit log keeps who and when). `period` is `YYYY-MM-DD` (a day, or a week's Monday) or
-- `YYYY-MM`; `view` the data it was made from (audited or raw).
CREATE TABLE report_files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    scope TEXT NOT NULL,
    period TEXT NOT NULL,
    format TEXT NOT NULL,
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    view TEXT NOT NULL,
    bytes BLOB NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    generated_ms INTEGER NOT NULL,
    generated_by TEXT NOT NULL,
    schedule_id INTEGER,
    UNIQUE (kind, scope, period, format)
);
CREATE INDEX report_files_by_time ON report_files (generated_ms);
