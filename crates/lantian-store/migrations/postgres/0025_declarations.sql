-- enterprise declarations (停运/停产/检修/因子异常/长期停产) and their review
-- (issue 22; docs/declarations.md): what an enterprise or its operations contractor declares
-- for outlets and a period (CST seconds, [start_ts, end_ts)), with reason and files; the
-- bureau approves or rejects; the declarer withdraws while pending. State changes are
-- compare-and-set; every step is kept in declaration_events.
CREATE TABLE declarations (
    id BIGSERIAL PRIMARY KEY,
    enterprise_id TEXT COLLATE "C" NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('stopped', 'production_stopped', 'maintenance', 'factor_abnormal', 'long_term_stop')),
    start_ts BIGINT NOT NULL,
    end_ts BIGINT NOT NULL CHECK (end_ts > start_ts),
    -- 因子异常: the factor codes, comma-separated; empty: every factor.
    codes TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'withdrawn')),
    -- Hours after the start it was declared, when beyond the kind's grace (late).
    late_hours BIGINT,
    declared_by TEXT NOT NULL,
    declared_ms BIGINT NOT NULL,
    reviewed_by TEXT,
    reviewed_ms BIGINT,
    review_note TEXT NOT NULL DEFAULT '',
    updated_ms BIGINT NOT NULL
);
CREATE INDEX declarations_by_enterprise ON declarations (enterprise_id, id);

CREATE TABLE declaration_outlets (
    declaration_id BIGINT NOT NULL REFERENCES declarations (id),
    outlet_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (declaration_id, outlet_id)
);
CREATE INDEX declaration_outlets_by_outlet ON declaration_outlets (outlet_id, declaration_id);

CREATE TABLE declaration_files (
    id BIGSERIAL PRIMARY KEY,
    declaration_id BIGINT NOT NULL REFERENCES declarations (id),
    name TEXT NOT NULL,
    file TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    actor TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX declaration_files_by_declaration ON declaration_files (declaration_id, id);

CREATE TABLE declaration_events (
    id BIGSERIAL PRIMARY KEY,
    declaration_id BIGINT NOT NULL REFERENCES declarations (id),
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX declaration_events_by_declaration ON declaration_events (declaration_id, id);
