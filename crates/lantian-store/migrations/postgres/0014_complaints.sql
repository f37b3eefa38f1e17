-- Public complaints (issue 18): from the public page and typed in by staff from the 12345 /
-- 12369 hotlines, each dispatched as a task (or merged into an earlier complaint's task).
-- `code` is the complainant's random lookup code; `contact` and `client_hash` are never
-- public; `client_hash` (a keyed hash of the sender's address, never the address) counts
-- submissions for the rate limit; `form_nonce` makes a signed form token usable once.
CREATE TABLE complaints (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    category TEXT NOT NULL,
    text TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    contact TEXT,
    photo_file TEXT,
    photo_bytes BIGINT,
    photo_sha256 TEXT,
    created_ms BIGINT NOT NULL,
    township TEXT,
    task_id BIGINT REFERENCES tasks (id),
    merged_into BIGINT REFERENCES complaints (id),
    client_hash TEXT,
    form_nonce TEXT UNIQUE,
    created_by TEXT NOT NULL,
    status TEXT NOT NULL
);
CREATE INDEX complaints_by_client ON complaints (client_hash, created_ms);
CREATE INDEX complaints_by_text ON complaints (text_hash, created_ms);
CREATE INDEX complaints_by_created ON complaints (created_ms);
CREATE INDEX complaints_by_township ON complaints (township, created_ms);
