//! Open-data API keys (issue 21): who asked for each key (name, e-mail, purpose), when it
//! was made and last used, how many requests it served, the bureau's limit for it and its
//! revocation. A key itself is never stored: only the SHA-256 of the whole key, and its
//! first characters to tell keys apart in lists.

use crate::Store;
use crate::db::{Conn, Row};
use crate::error::StoreError;

/// Characters of a key's secret part: 32 letters and digits without look-alikes, so a byte
/// masked to five bits picks one without bias.
pub const KEY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789A";
/// Characters of the secret part: 40 × 5 bits = 200 bits from the operating system.
pub const KEY_SECRET_LEN: usize = 40;
/// What every key starts with (a scanner for leaked secrets can look for it).
pub const KEY_TAG: &str = "ltk_";
/// Characters of the key shown in lists: the tag and the first 8 of the secret.
pub const KEY_PREFIX_LEN: usize = KEY_TAG.len() + 8;

/// A key to insert: the hash and prefix of a key drawn by [`new_key`], and who asked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewApiKey {
    pub key_hash: String,
    pub prefix: String,
    pub name: String,
    pub email: String,
    pub purpose: String,
    pub created_ms: i64,
    /// `public` (self-service sign-up) or the staff account that made it.
    pub created_by: String,
    /// The key's own limit (requests per hour, burst); `None`: the server's default.
    pub per_hour: Option<i64>,
    pub burst: Option<i64>,
}

/// A stored key (never the key itself).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ApiKeyRow {
    pub id: i64,
    #[serde(skip)]
    pub key_hash: String,
    pub prefix: String,
    pub name: String,
    pub email: String,
    pub purpose: String,
    pub created_ms: i64,
    pub created_by: String,
    pub last_used_ms: Option<i64>,
    pub requests: i64,
    pub per_hour: Option<i64>,
    pub burst: Option<i64>,
    pub revoked_ms: Option<i64>,
    pub revoked_by: Option<String>,
    pub revoked_reason: Option<String>,
}

const COLUMNS: &str = "id, key_hash, prefix, name, email, purpose, created_ms, created_by, \
     last_used_ms, requests, per_hour, burst, revoked_ms, revoked_by, revoked_reason";

fn row(r: &Row) -> ApiKeyRow {
    let text = |i: usize| r[i].text().unwrap_or_default();
    ApiKeyRow {
        id: r[0].int().unwrap_or(0),
        key_hash: text(1),
        prefix: text(2),
        name: text(3),
        email: text(4),
        purpose: text(5),
        created_ms: r[6].int().unwrap_or(0),
        created_by: text(7),
        last_used_ms: r[8].int(),
        requests: r[9].int().unwrap_or(0),
        per_hour: r[10].int(),
        burst: r[11].int(),
        revoked_ms: r[12].int(),
        revoked_by: r[13].text(),
        revoked_reason: r[14].text(),
    }
}

/// A new key: `ltk_` and [`KEY_SECRET_LEN`] characters of [`KEY_ALPHABET`] from the
/// operating system's generator.
pub fn new_key() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; KEY_SECRET_LEN];
    OsRng.fill_bytes(&mut bytes);
    let secret: String = bytes
        .iter()
        .map(|b| char::from(KEY_ALPHABET[usize::from(b & 31)]))
        .collect();
    format!("{KEY_TAG}{secret}")
}

/// How a key is stored: the SHA-256 of the whole key, lower-case hex.
pub fn key_hash(key: &str) -> String {
    crate::complaints::sha256_hex(key.as_bytes())
}

/// The part of a key shown in lists.
pub fn key_prefix(key: &str) -> String {
    key.chars().take(KEY_PREFIX_LEN).collect()
}

fn one(c: &mut dyn Conn, id: i64) -> Result<ApiKeyRow, StoreError> {
    c.query(
        &format!("SELECT {COLUMNS} FROM api_keys WHERE id = $1"),
        &[id.into()],
    )?
    .first()
    .map(row)
    .ok_or_else(|| StoreError::NotFound {
        what: format!("API 密钥 {id} / API key {id}"),
    })
}

impl Store {
    /// Inserts a key; returns it as stored.
    pub fn insert_api_key(&self, n: &NewApiKey) -> Result<ApiKeyRow, StoreError> {
        self.write(|c| {
            let rows = c.query(
                &format!(
                    "INSERT INTO api_keys (key_hash, prefix, name, email, purpose, created_ms, \
                     created_by, per_hour, burst) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     RETURNING {COLUMNS}"
                ),
                &[
                    n.key_hash.as_str().into(),
                    n.prefix.as_str().into(),
                    n.name.as_str().into(),
                    n.email.as_str().into(),
                    n.purpose.as_str().into(),
                    n.created_ms.into(),
                    n.created_by.as_str().into(),
                    n.per_hour.into(),
                    n.burst.into(),
                ],
            )?;
            rows.first().map(row).ok_or_else(|| StoreError::Invalid {
                what: "the inserted API key was not returned".to_owned(),
            })
        })
    }

    /// The key whose hash is `key_hash`, revoked or not.
    pub fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKeyRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE key_hash = $1");
        Ok(self
            .read(|c| c.query(&sql, &[key_hash.into()]))?
            .first()
            .map(row))
    }

    /// One key by id.
    pub fn api_key(&self, id: i64) -> Result<ApiKeyRow, StoreError> {
        self.read(|c| one(c, id))
    }

    /// Every key, newest first.
    pub fn api_keys(&self) -> Result<Vec<ApiKeyRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM api_keys ORDER BY created_ms DESC, id DESC");
        Ok(self.read(|c| c.query(&sql, &[]))?.iter().map(row).collect())
    }

    /// Counts one request served with key `id` at `at_ms`.
    pub fn count_api_key_use(&self, id: i64, at_ms: i64) -> Result<(), StoreError> {
        self.write(|c| {
            c.exec(
                "UPDATE api_keys SET requests = requests + 1, last_used_ms = $2 WHERE id = $1",
                &[id.into(), at_ms.into()],
            )
            .map(drop)
        })
    }

    /// Sets key `id`'s own limit (`None`: back to the server's default); returns the key.
    pub fn set_api_key_limit(
        &self,
        id: i64,
        per_hour: Option<i64>,
        burst: Option<i64>,
    ) -> Result<ApiKeyRow, StoreError> {
        self.write(|c| {
            c.exec(
                "UPDATE api_keys SET per_hour = $2, burst = $3 WHERE id = $1",
                &[id.into(), per_hour.into(), burst.into()],
            )?;
            one(c, id)
        })
    }

    /// Revokes key `id` (compare-and-set: a key revoked already is refused, nothing
    /// changed); returns the key.
    pub fn revoke_api_key(
        &self,
        id: i64,
        at_ms: i64,
        by: &str,
        reason: &str,
    ) -> Result<ApiKeyRow, StoreError> {
        self.write(|c| {
            let k = one(c, id)?;
            let n = c.exec(
                "UPDATE api_keys SET revoked_ms = $2, revoked_by = $3, revoked_reason = $4 \
                 WHERE id = $1 AND revoked_ms IS NULL",
                &[id.into(), at_ms.into(), by.into(), reason.into()],
            )?;
            if n == 0 {
                return Err(StoreError::Refused {
                    what: format!(
                        "API 密钥 {} 已被吊销 / API key {} was revoked already",
                        k.prefix, k.prefix
                    ),
                });
            }
            one(c, id)
        })
    }
}
