-- 0020_ledger_reminders: the bureau's reminders (督办 supervise / 催办 urge) to the unit that
-- answers for a measure (or a township's part of it), and the unit's acknowledgement. Never
-- deleted: the log of who reminded whom, when, and when it was read.
CREATE TABLE measure_reminders (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    measure_id TEXT NOT NULL,
    unit TEXT NOT NULL,              -- the reminded unit (a department's name, a township's id)
    kind TEXT NOT NULL,              -- supervise (督办) | urge (催办)
    text TEXT NOT NULL,
    actor TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    acked_ms BIGINT,                 -- when the unit acknowledged it (NULL: not yet)
    acked_by TEXT,
    reply TEXT NOT NULL DEFAULT ''
);
CREATE INDEX measure_reminders_by_unit ON measure_reminders (unit, acked_ms);
CREATE INDEX measure_reminders_by_measure ON measure_reminders (measure_id);
