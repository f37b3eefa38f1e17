-- Audit rows say where an act came from (a web request's peer address, `cli:USER`); the
-- measures list is versioned (every import a new version, the old ones kept) and its events
-- are never deleted, each linked to the version it was made under; evidence files carry
-- their size for the per-measure quota.
ALTER TABLE audit_log ADD COLUMN source TEXT NOT NULL DEFAULT '';

CREATE TABLE measure_lists (
    version BIGINT PRIMARY KEY,
    imported_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    measures BIGINT NOT NULL
);
INSERT INTO measure_lists (version, imported_ms, actor, measures)
    SELECT 1, t, 'migration', n FROM (SELECT COALESCE(MIN(updated_ms), 0) AS t, COUNT(*) AS n FROM measures) x WHERE n > 0;

ALTER TABLE measures ADD COLUMN list_version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE measure_events ADD COLUMN list_version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE measure_events ADD COLUMN bytes BIGINT;

-- The rows of earlier versions of the list, as they were when the next version replaced them.
CREATE TABLE measures_superseded (
    list_version BIGINT NOT NULL,
    id TEXT NOT NULL,
    position BIGINT NOT NULL,
    category TEXT NOT NULL,
    task TEXT NOT NULL,
    measure TEXT NOT NULL,
    section TEXT NOT NULL,
    responsibility TEXT NOT NULL,
    parsed TEXT NOT NULL,
    status TEXT NOT NULL,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (list_version, id)
);
