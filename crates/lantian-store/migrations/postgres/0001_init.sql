-- Lantian schema, PostgreSQL (Citus-ready: time-series keys start with station_id).
-- Key text columns use COLLATE "C": bytewise comparison keeps index maintenance cheap. Times are seconds since 1970-01-01T00:00 China Standard Time
-- (UTC+8, no daylight saving), except *_ms columns (milliseconds since the Unix epoch, UTC).

CREATE TABLE admin_units (
    id TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    kind TEXT NOT NULL,            -- town | township | zone | city | department | enterprise | contractor
    parent_id TEXT,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION
);

CREATE TABLE stations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,            -- assessment | background | township | micro
    admin_unit_id TEXT REFERENCES admin_units(id),
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    pollutants TEXT NOT NULL DEFAULT '',   -- comma-separated HJ 212 codes
    min_interval_min BIGINT NOT NULL DEFAULT 1,
    demo BIGINT NOT NULL DEFAULT 0
);

-- Units are configured per station and code, never taken from packets (spec §6.3).
CREATE TABLE station_units (
    station_id TEXT COLLATE "C" NOT NULL REFERENCES stations(id),
    code TEXT COLLATE "C" NOT NULL,
    unit TEXT NOT NULL,            -- ug/m3 | mg/m3 | ng/m3 | ...
    factor DOUBLE PRECISION NOT NULL DEFAULT 1, -- multiply a received value by this to get the standard unit
    PRIMARY KEY (station_id, code)
);

CREATE TABLE devices (
    mn TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    station_id TEXT COLLATE "C" NOT NULL REFERENCES stations(id),
    edition TEXT NOT NULL DEFAULT '2017',
    created_ms BIGINT NOT NULL
);

CREATE TABLE enterprises (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    credit_code TEXT,
    industry TEXT,
    grade TEXT,                    -- A+ | A | B | C | D | leading | non-leading
    admin_unit_id TEXT REFERENCES admin_units(id)
);

CREATE TABLE outlets (
    id TEXT PRIMARY KEY,
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    name TEXT NOT NULL,
    station_id TEXT REFERENCES stations(id)
);

CREATE TABLE production_lines (
    id TEXT PRIMARY KEY,
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    name TEXT NOT NULL,
    kind TEXT
);

-- Raw values as received. period: rtd | min | hour | day. ts: the sampling moment (rtd) or
-- the start of the averaging period (HJ 212 DataTime). The key holds station_id first so the
-- table distributes by station without cross-shard uniqueness.
CREATE TABLE observations (
    station_id TEXT COLLATE "C" NOT NULL,
    code TEXT COLLATE "C" NOT NULL,
    period TEXT COLLATE "C" NOT NULL,
    ts BIGINT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    flag TEXT NOT NULL,
    packet_seq BIGINT,
    PRIMARY KEY (station_id, code, period, ts)
);

-- Audited values beside the raw ones: never an update of observations.
CREATE TABLE corrections (
    station_id TEXT COLLATE "C" NOT NULL,
    code TEXT COLLATE "C" NOT NULL,
    period TEXT COLLATE "C" NOT NULL,
    ts BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    action TEXT NOT NULL,          -- correct | invalidate | restore
    value DOUBLE PRECISION,
    reason_code TEXT NOT NULL,
    who TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    rule_set TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (station_id, code, period, ts, seq)
);

CREATE TABLE rollup_hourly (
    station_id TEXT COLLATE "C" NOT NULL,
    code TEXT COLLATE "C" NOT NULL,
    hour_ts BIGINT NOT NULL,      -- start of the hour
    source TEXT NOT NULL,          -- hour | min
    n_expected BIGINT NOT NULL,
    n_observed BIGINT NOT NULL,
    valid BIGINT NOT NULL,
    mean DOUBLE PRECISION,
    min DOUBLE PRECISION,
    max DOUBLE PRECISION,
    PRIMARY KEY (station_id, code, hour_ts)
);

CREATE TABLE rollup_daily (
    station_id TEXT COLLATE "C" NOT NULL,
    code TEXT COLLATE "C" NOT NULL,
    day_ts BIGINT NOT NULL,       -- 00:00 of the day
    n_expected BIGINT NOT NULL,
    n_observed BIGINT NOT NULL,
    valid BIGINT NOT NULL,
    mean DOUBLE PRECISION,
    PRIMARY KEY (station_id, code, day_ts)
);

-- The raw archive: every received packet byte for byte, hash-chained per chain.
CREATE TABLE archive (
    chain TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL,
    received_ms BIGINT NOT NULL,
    peer TEXT NOT NULL,
    mn TEXT,
    verdict TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL,
    PRIMARY KEY (chain, seq)
);

-- Published digests of the chain head.
CREATE TABLE archive_checkpoints (
    chain TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (chain, seq)
);

CREATE TABLE users (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,            -- admin | bureau | department | township | operations | enterprise
    unit_id TEXT,
    must_change_password BIGINT NOT NULL DEFAULT 0,
    created_ms BIGINT NOT NULL
);

CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
