//! Public complaints (issue 18): each with its random lookup code, channel, category, text,
//! place, optional contact and photo (stored under the data directory; here its name, size
//! and SHA-256), the task it was dispatched as, and a keyed hash of the sender's address for
//! the rate limit; the server's secret for signed form tokens; the hashes used with them.

use crate::Store;
use crate::db::{Conn, Row, Val};
use crate::error::StoreError;
use crate::model::{Page, Paged};
use sha2::Sha256;

/// Characters of a lookup code: upper-case letters and digits without look-alikes (no 0/O,
/// 1/I/L), so a code read out over the phone is typed right.
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Length of a lookup code: 31^10 ≈ 8 × 10^14 codes (49 bits), not guessable.
pub const CODE_LEN: usize = 10;
/// The setting that holds the form tokens' HMAC key.
const SECRET_SETTING: &str = "complaint_form_secret";
/// Characters of a new HMAC key.
const SECRET_LEN: usize = 48;

/// A photo as stored: the file's name under `DATA_DIR/complaints/`, its size and SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Photo {
    pub file: String,
    pub bytes: i64,
    pub sha256: String,
}

/// A complaint to insert (the code is drawn by [`Store::insert_complaint`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewComplaint {
    /// `web`, `12345`, `12369` or `staff`.
    pub channel: String,
    /// A category key (`cooking_fumes`, `odour`, …).
    pub category: String,
    pub text: String,
    /// SHA-256 of the normalised text (duplicates are found by it).
    pub text_hash: String,
    pub lat: f64,
    pub lon: f64,
    pub address: String,
    pub contact: Option<String>,
    pub photo: Option<Photo>,
    pub created_ms: i64,
    pub township: Option<String>,
    pub task_id: Option<i64>,
    /// The earlier complaint this one repeats (same text and place within an hour).
    pub merged_into: Option<i64>,
    pub client_hash: Option<String>,
    /// The form token's nonce: a token is good for one complaint.
    pub form_nonce: Option<String>,
    /// `public` or the staff account that typed it in.
    pub created_by: String,
    /// `dispatched` or `merged`.
    pub status: String,
}

/// A stored complaint.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ComplaintRow {
    pub id: i64,
    pub code: String,
    pub channel: String,
    pub category: String,
    pub text: String,
    #[serde(skip)]
    pub text_hash: String,
    pub lat: f64,
    pub lon: f64,
    pub address: String,
    pub contact: Option<String>,
    pub photo: Option<Photo>,
    pub created_ms: i64,
    pub township: Option<String>,
    pub task_id: Option<i64>,
    pub merged_into: Option<i64>,
    #[serde(skip)]
    pub client_hash: Option<String>,
    pub created_by: String,
    pub status: String,
}

/// Which complaints to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ComplaintFilter {
    /// Only those of this township.
    pub township: Option<String>,
    pub category: Option<String>,
    /// Created at or after (unix ms).
    pub since_ms: Option<i64>,
    /// Created before (unix ms).
    pub until_ms: Option<i64>,
    /// At most this many, newest first.
    pub limit: i64,
}

const COLUMNS: &str = "id, code, channel, category, text, text_hash, lat, lon, address, contact, \
     photo_file, photo_bytes, photo_sha256, created_ms, township, task_id, merged_into, client_hash, \
     created_by, status";

fn row(r: &Row) -> ComplaintRow {
    let text = |i: usize| r[i].text().unwrap_or_default();
    let photo = r[10].text().map(|file| Photo {
        file,
        bytes: r[11].int().unwrap_or(0),
        sha256: text(12),
    });
    ComplaintRow {
        id: r[0].int().unwrap_or(0),
        code: text(1),
        channel: text(2),
        category: text(3),
        text: text(4),
        text_hash: text(5),
        lat: r[6].real().unwrap_or(f64::NAN),
        lon: r[7].real().unwrap_or(f64::NAN),
        address: text(8),
        contact: r[9].text(),
        photo,
        created_ms: r[13].int().unwrap_or(0),
        township: r[14].text(),
        task_id: r[15].int(),
        merged_into: r[16].int(),
        client_hash: r[17].text(),
        created_by: text(18),
        status: text(19),
    }
}

/// A new random lookup code of [`CODE_LEN`] characters of [`CODE_ALPHABET`] (from the
/// operating system's generator, without modulo bias).
pub fn new_code() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let n = CODE_ALPHABET.len();
    // The largest multiple of the alphabet's size below 256: bytes above it are redrawn.
    let below = 256 - 256 % n;
    let mut out = String::with_capacity(CODE_LEN);
    let mut buf = [0u8; 32];
    while out.len() < CODE_LEN {
        OsRng.fill_bytes(&mut buf);
        for b in buf {
            if usize::from(b) < below && out.len() < CODE_LEN {
                out.push(char::from(CODE_ALPHABET[usize::from(b) % n]));
            }
        }
    }
    out
}

pub use crate::archive::sha256_hex;

/// HMAC-SHA-256 (RFC 2104) of `msg` under `key`, as lower-case hex.
pub fn hmac_sha256_hex(key: &[u8], msg: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        unreachable!("HMAC takes a key of any length")
    };
    mac.update(msg);
    crate::archive::hex(&mac.finalize().into_bytes())
}

fn one(rows: Vec<Row>) -> Option<ComplaintRow> {
    rows.first().map(row)
}

fn code_taken(c: &mut dyn Conn, code: &str) -> Result<bool, StoreError> {
    Ok(!c
        .query("SELECT 1 FROM complaints WHERE code = $1", &[code.into()])?
        .is_empty())
}

impl Store {
    /// Inserts a complaint under a new random code; returns it as stored. A form nonce
    /// already used is refused ([`StoreError::Refused`]), nothing stored.
    pub fn insert_complaint(&self, n: &NewComplaint) -> Result<ComplaintRow, StoreError> {
        self.write(|c| {
            if let Some(nonce) = &n.form_nonce
                && !c
                    .query(
                        "SELECT 1 FROM complaints WHERE form_nonce = $1",
                        &[nonce.as_str().into()],
                    )?
                    .is_empty()
            {
                return Err(StoreError::Refused {
                    what: "此表单已提交过，请刷新页面后再提交 / this form was submitted already: reload the page to submit another complaint".to_owned(),
                });
            }
            let mut code = new_code();
            while code_taken(c, &code)? {
                code = new_code();
            }
            let photo = n.photo.as_ref();
            let rows = c.query(
                &format!(
                    "INSERT INTO complaints (code, channel, category, text, text_hash, lat, lon, address, \
                     contact, photo_file, photo_bytes, photo_sha256, created_ms, township, task_id, \
                     merged_into, client_hash, form_nonce, created_by, status) VALUES ($1, $2, $3, $4, \
                     $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) \
                     RETURNING {COLUMNS}"
                ),
                &[
                    code.as_str().into(),
                    n.channel.as_str().into(),
                    n.category.as_str().into(),
                    n.text.as_str().into(),
                    n.text_hash.as_str().into(),
                    n.lat.into(),
                    n.lon.into(),
                    n.address.as_str().into(),
                    n.contact.clone().into(),
                    photo.map(|p| p.file.clone()).into(),
                    photo.map(|p| p.bytes).into(),
                    photo.map(|p| p.sha256.clone()).into(),
                    n.created_ms.into(),
                    n.township.clone().into(),
                    n.task_id.into(),
                    n.merged_into.into(),
                    n.client_hash.clone().into(),
                    n.form_nonce.clone().into(),
                    n.created_by.as_str().into(),
                    n.status.as_str().into(),
                ],
            )?;
            one(rows).ok_or_else(|| StoreError::Invalid {
                what: "the inserted complaint was not returned".to_owned(),
            })
        })
    }

    /// Whether a complaint was filed with this form nonce already.
    pub fn complaint_nonce_used(&self, nonce: &str) -> Result<bool, StoreError> {
        Ok(!self
            .read(|c| {
                c.query(
                    "SELECT 1 FROM complaints WHERE form_nonce = $1",
                    &[nonce.into()],
                )
            })?
            .is_empty())
    }

    /// One complaint by id.
    pub fn complaint(&self, id: i64) -> Result<Option<ComplaintRow>, StoreError> {
        Ok(one(self.read(|c| {
            c.query(
                &format!("SELECT {COLUMNS} FROM complaints WHERE id = $1"),
                &[id.into()],
            )
        })?))
    }

    /// One complaint by its lookup code (exact).
    pub fn complaint_by_code(&self, code: &str) -> Result<Option<ComplaintRow>, StoreError> {
        Ok(one(self.read(|c| {
            c.query(
                &format!("SELECT {COLUMNS} FROM complaints WHERE code = $1"),
                &[code.into()],
            )
        })?))
    }

    /// Complaints matching `f`, newest first.
    pub fn complaints(&self, f: &ComplaintFilter) -> Result<Vec<ComplaintRow>, StoreError> {
        Ok(self.complaints_page(f, Page::first(f.limit.max(0)))?.items)
    }

    /// One page of the complaints matching `f` (its `limit` aside), newest first, and how
    /// many match (the page is cut in SQL).
    pub fn complaints_page(
        &self,
        f: &ComplaintFilter,
        page: Page,
    ) -> Result<Paged<ComplaintRow>, StoreError> {
        let (rows, total) = self.read(|c| {
            crate::db::page_of(
                c,
                COLUMNS,
                "complaints WHERE (CAST($1 AS TEXT) IS NULL OR township = $1) \
                 AND (CAST($2 AS TEXT) IS NULL OR category = $2) AND created_ms >= $3 AND created_ms < $4",
                "created_ms DESC, id DESC",
                &[
                    Val::from(f.township.clone()),
                    Val::from(f.category.clone()),
                    f.since_ms.unwrap_or(i64::MIN).into(),
                    f.until_ms.unwrap_or(i64::MAX).into(),
                ],
                page,
            )
        })?;
        Ok(Paged {
            items: rows.iter().map(row).collect(),
            total,
        })
    }

    /// How many complaints came from `client_hash` at or after `since_ms`.
    pub fn complaints_from_client(
        &self,
        client_hash: &str,
        since_ms: i64,
    ) -> Result<i64, StoreError> {
        Ok(self
            .read(|c| {
                c.query(
                    "SELECT COUNT(*) FROM complaints WHERE client_hash = $1 AND created_ms >= $2",
                    &[client_hash.into(), since_ms.into()],
                )
            })?
            .first()
            .and_then(|r| r[0].int())
            .unwrap_or(0))
    }

    /// Complaints with the same normalised text since `since_ms`, oldest first (the first
    /// one not itself merged is what a repeat merges into).
    pub fn complaints_with_text(
        &self,
        text_hash: &str,
        since_ms: i64,
    ) -> Result<Vec<ComplaintRow>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                &format!(
                    "SELECT {COLUMNS} FROM complaints WHERE text_hash = $1 AND created_ms >= $2 \
                     ORDER BY created_ms, id"
                ),
                &[text_hash.into(), since_ms.into()],
            )
        })?;
        Ok(rows.iter().map(row).collect())
    }

    /// The key that signs complaint form tokens: drawn at first use and kept as a setting,
    /// so tokens stay valid across restarts and servers of one database.
    pub fn complaint_secret(&self) -> Result<String, StoreError> {
        if let Some(s) = self.setting(SECRET_SETTING)? {
            return Ok(s);
        }
        let fresh = crate::password::random(SECRET_LEN);
        // Two servers drawing at once: the first stored wins, both read it back.
        self.write(|c| {
            c.exec(
                "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                &[SECRET_SETTING.into(), fresh.as_str().into()],
            )
            .map(drop)
        })?;
        self.setting(SECRET_SETTING)?
            .ok_or_else(|| StoreError::NotFound {
                what: format!("setting {SECRET_SETTING}"),
            })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_cases() {
        // (key, message, HMAC-SHA-256) from RFC 4231 §4.2, §4.3 and §4.7 (a key longer than
        // the block).
        let long_key = [0xaau8; 131];
        let cases: [(&[u8], &[u8], &str); 3] = [
            (
                &[0x0b; 20],
                b"Hi There",
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe",
                b"what do ya want for nothing?",
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                &long_key,
                b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ];
        for (key, msg, want) in cases {
            assert_eq!(hmac_sha256_hex(key, msg), want);
        }
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    /// The story on one store: insert, read back, filters, counts, a used nonce, the secret.
    fn story(store: &Store) {
        let base = NewComplaint {
            channel: "web".into(),
            category: "odour".into(),
            text: "很臭很臭".into(),
            text_hash: "h1".into(),
            lat: 37.99,
            lon: 115.4,
            created_ms: 1_000,
            township: Some("wangkou".into()),
            client_hash: Some("c1".into()),
            form_nonce: Some("n1".into()),
            created_by: "public".into(),
            status: "dispatched".into(),
            photo: Some(Photo {
                file: "1-ab.png".into(),
                bytes: 42,
                sha256: "ab".into(),
            }),
            ..Default::default()
        };
        let a = store.insert_complaint(&base).unwrap();
        assert_eq!(a.code.len(), CODE_LEN);
        assert_eq!(a.photo, base.photo);
        assert_eq!((a.lat, a.lon, a.created_ms), (37.99, 115.4, 1_000));
        let again = store.insert_complaint(&base).unwrap_err();
        assert!(matches!(again, StoreError::Refused { .. }), "{again}");
        assert!(store.complaint_nonce_used("n1").unwrap());
        assert!(!store.complaint_nonce_used("n2").unwrap());
        let b = store
            .insert_complaint(&NewComplaint {
                category: "dust".into(),
                created_ms: 5_000,
                township: Some("xinji".into()),
                form_nonce: None,
                merged_into: Some(a.id),
                photo: None,
                ..base.clone()
            })
            .unwrap();
        assert_eq!(store.complaint(b.id).unwrap().unwrap(), b);
        assert_eq!(store.complaint_by_code(&a.code).unwrap().unwrap(), a);
        assert_eq!(store.complaint_by_code("NOPE").unwrap(), None);
        let ids = |f: ComplaintFilter| -> Vec<i64> {
            store
                .complaints(&ComplaintFilter { limit: 10, ..f })
                .unwrap()
                .iter()
                .map(|c| c.id)
                .collect()
        };
        // (filter, ids newest first)
        let cases = [
            (ComplaintFilter::default(), vec![b.id, a.id]),
            (
                ComplaintFilter {
                    township: Some("wangkou".into()),
                    ..Default::default()
                },
                vec![a.id],
            ),
            (
                ComplaintFilter {
                    category: Some("dust".into()),
                    ..Default::default()
                },
                vec![b.id],
            ),
            (
                ComplaintFilter {
                    since_ms: Some(2_000),
                    until_ms: Some(6_000),
                    ..Default::default()
                },
                vec![b.id],
            ),
        ];
        for (f, want) in cases {
            assert_eq!(ids(f.clone()), want, "{f:?}");
        }
        assert_eq!(store.complaints_from_client("c1", 0).unwrap(), 2);
        assert_eq!(store.complaints_from_client("c1", 2_000).unwrap(), 1);
        assert_eq!(store.complaints_from_client("c2", 0).unwrap(), 0);
        assert_eq!(store.complaints_with_text("h1", 0).unwrap().len(), 2);
        let secret = store.complaint_secret().unwrap();
        assert_eq!(secret.len(), SECRET_LEN);
        assert_eq!(store.complaint_secret().unwrap(), secret);
    }

    #[test]
    fn complaints_are_stored_and_found_alike_on_sqlite_and_postgresql() {
        let dir =
            std::env::temp_dir().join(format!("lantian-store-complaints-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        story(&Store::open_data_dir(&dir).unwrap());
        if let Some(base) = crate::testing::pg_url() {
            let db = crate::testing::PgDb::create(&base, "complaints");
            story(&Store::open(&crate::Location::Postgres(db.url.clone())).unwrap());
        }
    }

    #[test]
    fn codes_use_only_the_unambiguous_alphabet_and_differ() {
        let codes: std::collections::HashSet<String> = (0..200).map(|_| new_code()).collect();
        assert_eq!(codes.len(), 200);
        for c in &codes {
            assert_eq!(c.len(), CODE_LEN);
            assert!(c.bytes().all(|b| CODE_ALPHABET.contains(&b)), "{c}");
        }
    }
}
