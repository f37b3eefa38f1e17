-- 0023_alerts (issue 17): alerts pushed to people (docs/ui.md, "Alerts").
-- A rule (`alert_rules`) is data: its kind (aqi_above, station_offline, measure_due,
-- measure_overdue, alarm_opened), its threshold (the AQI level, hours of silence, days
-- before a deadline), an optional scope (a township's id or a station's id), its
-- cool-down and the channels it is pushed to (`channel_ids`: a JSON list).
CREATE TABLE alert_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    threshold REAL,
    scope TEXT,
    cooldown_min INTEGER NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    channel_ids TEXT NOT NULL DEFAULT '[]',
    created_ms INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_ms INTEGER NOT NULL
);
-- A webhook channel: a WeCom (企业微信) or DingTalk robot, or a generic SMS gateway. `url`
-- and `secret` (DingTalk's signing secret) are never shown back in full; `mobiles` (a JSON
-- list) are the robot's @-mentions or the SMS recipients; `template` the SMS gateway's body.
CREATE TABLE alert_channels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    secret TEXT,
    format TEXT NOT NULL DEFAULT 'markdown',
    mobiles TEXT NOT NULL DEFAULT '[]',
    template TEXT,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_ms INTEGER NOT NULL,
    created_by TEXT NOT NULL
);
-- When a rule last fired for one subject (a station, a measure, an alarm): the
-- deduplication and cool-down, set compare-and-set so two evaluations fire once.
CREATE TABLE alert_fired (
    rule_id INTEGER NOT NULL,
    subject TEXT NOT NULL,
    last_ms INTEGER NOT NULL,
    PRIMARY KEY (rule_id, subject)
);
-- One alert: what fired, for whom (`units`: a JSON list of the units it concerns; the
-- in-app inbox shows it to them and to the bureau), its text in Chinese and English.
CREATE TABLE alert_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    title_zh TEXT NOT NULL,
    title_en TEXT NOT NULL,
    text_zh TEXT NOT NULL,
    text_en TEXT NOT NULL,
    link TEXT NOT NULL,
    units TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX alert_events_by_time ON alert_events (at_ms);
-- Who has read which alert in the inbox.
CREATE TABLE alert_reads (
    event_id INTEGER NOT NULL,
    username TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (event_id, username)
);
-- One alert to one channel: pending until sent, retried with back-off, failed after the
-- last attempt; every attempt is a row of `alert_attempts`.
CREATE TABLE alert_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_ms INTEGER NOT NULL,
    last_ms INTEGER,
    created_ms INTEGER NOT NULL
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (status, next_ms);
CREATE TABLE alert_attempts (
    delivery_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    http_status INTEGER,
    answer TEXT NOT NULL,
    PRIMARY KEY (delivery_id, seq)
);
