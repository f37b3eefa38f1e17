-- 0019_open_data (issue 21): the open-data API's keys (E4) and, below, the open data's own
-- tables (E5).
-- An API key is shown once at sign-up and stored only as the SHA-256 of the whole key
-- (`key_hash`); `prefix` is its first characters, shown to tell keys apart. `per_hour` and
-- `burst` are the bureau's limit for this key (NULL: the server's default); `requests`
-- counts the requests served with it. A revoked key stays (with who, when and why).
CREATE TABLE api_keys (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    purpose TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    last_used_ms BIGINT,
    requests BIGINT NOT NULL DEFAULT 0,
    per_hour BIGINT,
    burst BIGINT,
    revoked_ms BIGINT,
    revoked_by TEXT,
    revoked_reason TEXT
);
CREATE INDEX api_keys_by_created ON api_keys (created_ms);
