-- The forwarding alarm of each upstream destination (docs/forwarding.md): `since_ms` is set
-- when its queue fills (or cannot be written) and packets stop being queued, and cleared when
-- the gap has been queued again from the archive. The gateway writes it; the alert rules of
-- kind `forward_queue_full` read it.
CREATE TABLE forward_alarms (
    dest TEXT PRIMARY KEY,
    addr TEXT NOT NULL,
    since_ms BIGINT,
    reason TEXT NOT NULL DEFAULT '',
    updated_ms BIGINT NOT NULL
);
