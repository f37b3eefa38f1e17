-- Operations (issue 15): the operations contractor (运维单位) of a station, kept beside the
-- station row (optional; a work order opened without an assignee goes to it), and the source
-- of a work order: alarm | outage | manual. Rows from before this migration, and orders the
-- existing insert opens, keep the default manual and read as alarm when they have an alarm_id.
CREATE TABLE station_contractors (
    station_id TEXT PRIMARY KEY,
    contractor TEXT NOT NULL
);
ALTER TABLE work_orders ADD COLUMN kind TEXT NOT NULL DEFAULT 'manual';
-- At most one open outage order per station (the scan inserts with ON CONFLICT DO NOTHING).
CREATE UNIQUE INDEX work_orders_one_outage ON work_orders (station_id)
    WHERE kind = 'outage' AND state = 'open';
