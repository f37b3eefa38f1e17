-- reverse control: commands sent to devices, their replies, and back-filled hours
-- 0024_device_commands (issue 22, docs/reverse-control.md).
-- One host command to a device (HJ 212-2017 §6.10): an operator's (queued by the
-- application, picked up by the gateway the device is connected to), or the gateway's own
-- (a history request for a gap: origin `backfill`; a clock check: origin `time_sync`).
-- State: queued → sent → ready (9011 QnRtn=1) / refused (other QnRtn) → done (9012
-- ExeRtn=1) / failed (other ExeRtn) / timeout (no answer after the retries); a queued
-- command not picked up before `expires_ms` becomes expired.
CREATE TABLE device_commands (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mn TEXT NOT NULL,
    station_id TEXT NOT NULL,
    cn BIGINT NOT NULL,
    params TEXT NOT NULL DEFAULT '',
    origin TEXT NOT NULL,
    state TEXT NOT NULL,
    qn TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    qn_rtn BIGINT,
    exe_rtn BIGINT,
    period TEXT,
    begin_ts BIGINT,
    end_ts BIGINT,
    records_expected BIGINT,
    records_received BIGINT NOT NULL DEFAULT 0,
    reply TEXT NOT NULL DEFAULT '',
    drift_s BIGINT,
    note TEXT NOT NULL DEFAULT '',
    requested_by TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    sent_ms BIGINT,
    updated_ms BIGINT NOT NULL,
    finished_ms BIGINT
);
CREATE INDEX device_commands_by_state ON device_commands (state, mn);
CREATE INDEX device_commands_by_mn ON device_commands (mn, id);
CREATE INDEX device_commands_by_station ON device_commands (station_id, id);
-- Periods stored from a back-fill: in answer to a history request (origin `request`, with
-- its command) or sent again by the device with RF=1 (origin `resend`). The first mark of
-- a period stays.
CREATE TABLE backfilled (
    station_id TEXT NOT NULL,
    period TEXT NOT NULL,
    ts BIGINT NOT NULL,
    mn TEXT NOT NULL,
    origin TEXT NOT NULL,
    command_id BIGINT,
    received_ms BIGINT NOT NULL,
    PRIMARY KEY (station_id, period, ts)
);
