-- Enforcement cases (issue 21; PostgreSQL, docs/enforcement.md): the case with its origin, subject and
-- state (changes compare-and-set), its timeline, evidence (archived packets copied at
-- opening with their chain position and hashes, series, files), inspections and decisions.
CREATE TABLE cases (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_no TEXT NOT NULL UNIQUE,
    year BIGINT NOT NULL,
    year_seq BIGINT NOT NULL,
    origin TEXT NOT NULL,
    -- What it came from: an alarm's id, `warning/enterprise/measure/first hour`, a task's id.
    origin_ref TEXT,
    title TEXT NOT NULL,
    violation TEXT NOT NULL,
    subject_kind TEXT,
    subject_id TEXT,
    subject_name TEXT NOT NULL DEFAULT '',
    township TEXT,
    non_site BIGINT NOT NULL DEFAULT 0,
    summary TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    -- The open rectification's deadline (unix ms), if any.
    deadline_ms BIGINT,
    created_by TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    closed_ms BIGINT,
    -- The credit entries written at closure (a JSON array of ids).
    credit_entries TEXT NOT NULL DEFAULT '[]',
    UNIQUE (year, year_seq)
);
CREATE INDEX cases_by_state ON cases (state, created_ms);
CREATE INDEX cases_by_township ON cases (township, created_ms);
CREATE INDEX cases_by_subject ON cases (subject_kind, subject_id);
CREATE INDEX cases_by_origin ON cases (origin, origin_ref);

-- Every step, never updated.
CREATE TABLE case_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    at_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    text TEXT NOT NULL DEFAULT '',
    state_after TEXT NOT NULL
);
CREATE INDEX case_events_by_case ON case_events (case_id, id);

-- Evidence: `packet` (a copy of an archive record: chain, seq, received time, peer, MN,
-- verdict, bytes, prev_hash, hash), `series` (JSON in `body`), `file` (bytes under
-- DATA_DIR/case_evidence/ID/ with size and SHA-256).
CREATE TABLE case_evidence (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    kind TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    chain TEXT,
    seq BIGINT,
    received_ms BIGINT,
    peer TEXT,
    mn TEXT,
    verdict TEXT,
    bytes BYTEA,
    prev_hash BYTEA,
    hash BYTEA,
    body TEXT,
    file TEXT,
    size BIGINT,
    sha256 TEXT,
    actor TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX case_evidence_by_case ON case_evidence (case_id, id);

CREATE TABLE case_inspections (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    date TEXT NOT NULL,
    inspectors TEXT NOT NULL,
    findings TEXT NOT NULL,
    actor TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX case_inspections_by_case ON case_inspections (case_id, id);

CREATE TABLE case_decisions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    kind TEXT NOT NULL,
    deadline_ms BIGINT,
    amount_yuan DOUBLE PRECISION,
    legal_basis TEXT,
    transfer_to TEXT,
    text TEXT NOT NULL,
    actor TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    -- A rectification's confirmation (整改验收): when and by whom.
    confirmed_ms BIGINT,
    confirmed_by TEXT
);
CREATE INDEX case_decisions_by_case ON case_decisions (case_id, id);
