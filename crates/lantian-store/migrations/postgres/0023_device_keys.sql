-- device keys (SM4, per device) and logger serials for MN assignment (HJ 212-2025)
-- One SM4 key of a device (by MN): `version` counts up per device; `state` is `pending`
-- (created by a rotation, not yet confirmed by the logger's answer to 1014), `active` (the
-- key the device uses), `retiring` (replaced; still accepted until `retire_after_ms`, the
-- grace period) or `retired`. `key_hex` is the key itself (32 hex digits): shown to people
-- once at creation, read only by the gateway. `wire` is how the ciphertext travels
-- (`binary` or `hex`, docs/hj212-2025.md).
CREATE TABLE device_keys (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mn TEXT NOT NULL,
    version BIGINT NOT NULL,
    key_hex TEXT NOT NULL,
    wire TEXT NOT NULL DEFAULT 'binary',
    state TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    activated_ms BIGINT,
    retire_after_ms BIGINT,
    retired_ms BIGINT,
    sent_ms BIGINT,
    sent_qn TEXT,
    UNIQUE (mn, version)
);
CREATE INDEX device_keys_by_state ON device_keys (mn, state);
-- A logger that announced its hardware serial with 1001 (`serial` = `i23005-Info`, with
-- its CPU id and MAC addresses), the MN it used and where from; the bureau assigns it an MN
-- (`assigned_mn`, a registered device); the gateway sends 1002 (`mn_sent_ms`) and sees the
-- logger use it (`confirmed_ms`).
CREATE TABLE logger_serials (
    serial TEXT PRIMARY KEY,
    cpu_id TEXT NOT NULL DEFAULT '',
    mac TEXT NOT NULL DEFAULT '',
    claimed_mn TEXT NOT NULL DEFAULT '',
    peer TEXT NOT NULL DEFAULT '',
    first_ms BIGINT NOT NULL,
    last_ms BIGINT NOT NULL,
    uploads BIGINT NOT NULL DEFAULT 1,
    assigned_mn TEXT,
    assigned_by TEXT,
    assigned_ms BIGINT,
    mn_sent_ms BIGINT,
    confirmed_ms BIGINT
);
