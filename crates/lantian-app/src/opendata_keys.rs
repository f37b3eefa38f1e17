//! Open-data API keys (issue 21; docs/open-data.md, "Keys"): the public signs up for a key
//! (name, e-mail, purpose) and sees it once; the bureau lists keys, sets a key's rate limit
//! and revokes keys ([`Act::ManageApiKeys`]); every change is audited. The HTTP side
//! (`lantian-api`'s `opendata_limit`) identifies a request's key with [`identify`], limits
//! it and counts what it served with [`count_use`].

use crate::caller::policy::{self, Act};
use crate::{App, AppError, AppResult, Caller};
use lantian_core::cst;
use lantian_store::AuditRow;
use lantian_store::apikeys::{self, ApiKeyRow, NewApiKey};
use serde::{Deserialize, Serialize};

/// A rate limit: a bucket of `burst` requests refilled at `per_hour` an hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    pub per_hour: u32,
    pub burst: u32,
}

/// A key's limit unless the bureau set its own.
pub const KEY_LIMIT_DEFAULT: Limit = Limit {
    per_hour: 3600,
    burst: 120,
};
/// The limit of requests without a key, per client address: enough for a person browsing
/// the portal's pages (each page makes up to three `/open/` requests), not for harvesting.
pub const PUBLIC_LIMIT_DEFAULT: Limit = Limit {
    per_hour: 300,
    burst: 30,
};
/// Sign-ups per client address: five at once, five an hour.
pub const SIGNUP_LIMIT_DEFAULT: Limit = Limit {
    per_hour: 5,
    burst: 5,
};
/// The highest limit the bureau may set (requests an hour; burst).
pub const PER_HOUR_MAX: u32 = 1_000_000;
pub const BURST_MAX: u32 = 100_000;
/// Lengths of the sign-up fields, in characters.
pub const NAME_CHARS_MAX: usize = 100;
pub const EMAIL_CHARS_MAX: usize = 254;
pub const PURPOSE_CHARS_MIN: usize = 2;
pub const PURPOSE_CHARS_MAX: usize = 2000;
pub const REASON_CHARS_MAX: usize = 500;

impl Limit {
    /// The limit if both numbers are within 1 ..= the maxima, else a 400 saying which.
    pub fn checked(per_hour: i64, burst: i64) -> AppResult<Limit> {
        let within = |v: i64, max: u32| u32::try_from(v).ok().filter(|v| (1..=max).contains(v));
        match (within(per_hour, PER_HOUR_MAX), within(burst, BURST_MAX)) {
            (Some(per_hour), Some(burst)) => Ok(Limit { per_hour, burst }),
            (None, _) => Err(AppError::BadRequest(format!(
                "per_hour：每小时请求数须在 1 至 {PER_HOUR_MAX} 之间（现为 {per_hour}） / per_hour: requests an hour must be 1 to {PER_HOUR_MAX} ({per_hour} given)"
            ))),
            (_, None) => Err(AppError::BadRequest(format!(
                "burst：突发请求数须在 1 至 {BURST_MAX} 之间（现为 {burst}） / burst: the burst must be 1 to {BURST_MAX} ({burst} given)"
            ))),
        }
    }

    /// `3600/h, burst 120`.
    pub fn text(&self) -> String {
        format!("{}/h, burst {}", self.per_hour, self.burst)
    }
}

/// What someone asking for a key says about themselves.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SignUp {
    /// A person's or an organisation's name.
    pub name: String,
    pub email: String,
    /// What the data will be used for.
    pub purpose: String,
}

/// A key as issued: the only time the key itself is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Issued {
    pub id: i64,
    /// The key: send it as `X-API-Key` (or `?api_key=`). Not stored, not shown again.
    pub key: String,
    pub prefix: String,
    pub name: String,
    pub created_ms: i64,
    pub created_bj: String,
    /// The key's own limit, if set; otherwise the server's default applies.
    pub limit: Option<Limit>,
    pub notice: String,
}

/// A key as the bureau (or its holder) sees it: never the key, its prefix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyView {
    #[serde(flatten)]
    pub row: ApiKeyRow,
    pub revoked: bool,
    pub created_bj: String,
    pub last_used_bj: Option<String>,
    pub revoked_bj: Option<String>,
}

impl KeyView {
    fn of(row: ApiKeyRow) -> KeyView {
        let bj = |ms: i64| format!("{} 北京时间", cst::format_unix_ms(ms));
        KeyView {
            revoked: row.revoked_ms.is_some(),
            created_bj: bj(row.created_ms),
            last_used_bj: row.last_used_ms.map(bj),
            revoked_bj: row.revoked_ms.map(bj),
            row,
        }
    }

    /// The key's own limit, if the bureau set one.
    pub fn limit(&self) -> Option<Limit> {
        own_limit(&self.row)
    }
}

/// A key row's own limit (both numbers set and valid), if any.
pub fn own_limit(row: &ApiKeyRow) -> Option<Limit> {
    Limit::checked(row.per_hour?, row.burst?).ok()
}

/// What a request's key turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identified {
    /// A live key.
    Key(ApiKeyRow),
    /// No key has this value (or it is not of the form `ltk_…`).
    Unknown,
    /// The key was revoked.
    Revoked(ApiKeyRow),
}

fn bad(field: &str, zh: &str, en: &str) -> AppError {
    AppError::BadRequest(format!("{field}：{zh} / {field}: {en}"))
}

/// A field trimmed, within `min..=max` characters, without control characters or `<`
/// (the field is shown in the bureau's list).
fn field(name: &str, text: &str, min: usize, max: usize) -> AppResult<String> {
    let t = text.trim();
    let n = t.chars().count();
    if n < min || n > max {
        return Err(bad(
            name,
            &format!("须为 {min} 至 {max} 个字（现有 {n} 个）"),
            &format!("{min} to {max} characters are needed ({n} given)"),
        ));
    }
    if let Some((i, c)) = t
        .chars()
        .enumerate()
        .find(|(_, c)| (c.is_control() && *c != '\n') || *c == '<')
    {
        let shown = format!("U+{:04X}", u32::from(c));
        return Err(bad(
            name,
            &format!("第 {} 个字符 {shown} 不予接受", i + 1),
            &format!("character {} ({shown}) is not accepted", i + 1),
        ));
    }
    Ok(t.to_owned())
}

/// The sign-up's fields checked and trimmed: a name, an e-mail address of the form
/// `local@domain.tld`, a purpose. Cheap, and done before a sign-up is counted.
pub fn validate(s: &SignUp) -> AppResult<SignUp> {
    let name = field("name", &s.name, 1, NAME_CHARS_MAX)?;
    let email = field("email", &s.email, 3, EMAIL_CHARS_MAX)?;
    let plausible = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && !domain.contains('@')
            && domain.split('.').count() >= 2
            && domain.split('.').all(|p| !p.is_empty())
            && !email.chars().any(char::is_whitespace)
    });
    if !plausible {
        return Err(bad(
            "email",
            &format!("“{email}”不是电子邮件地址（应为 name@example.org）"),
            &format!("{email:?} is not an e-mail address (name@example.org)"),
        ));
    }
    let purpose = field("purpose", &s.purpose, PURPOSE_CHARS_MIN, PURPOSE_CHARS_MAX)?;
    Ok(SignUp {
        name,
        email,
        purpose,
    })
}

/// Draws a key, stores its hash under `row`'s audit, and returns it once.
fn issue(
    app: &App,
    audit: AuditRow,
    s: &SignUp,
    created_by: &str,
    limit: Option<Limit>,
) -> AppResult<Issued> {
    let s = validate(s)?;
    let key = apikeys::new_key();
    let prefix = apikeys::key_prefix(&key);
    let now = app.clock.now_ms();
    let audit = AuditRow {
        object: format!("apikey:{prefix}"),
        ..audit
    };
    let row = app.store.audited(audit, || {
        app.store
            .insert_api_key(&NewApiKey {
                key_hash: apikeys::key_hash(&key),
                prefix: prefix.clone(),
                name: s.name.clone(),
                email: s.email.clone(),
                purpose: s.purpose.clone(),
                created_ms: now,
                created_by: created_by.to_owned(),
                per_hour: limit.map(|l| i64::from(l.per_hour)),
                burst: limit.map(|l| i64::from(l.burst)),
            })
            .map_err(AppError::from)
    })?;
    Ok(Issued {
        id: row.id,
        key,
        prefix,
        name: row.name,
        created_ms: now,
        created_bj: format!("{} 北京时间", cst::format_unix_ms(now)),
        limit,
        notice: "请立即保存此密钥：它只显示这一次，平台只保存其摘要，遗失后须重新申请 / save this key now: it is shown only this once, the platform keeps only its hash; a lost key means a new sign-up".to_owned(),
    })
}

/// Self-service sign-up by the public from `client` (the sender's address, for the audit
/// log). The caller limits sign-ups per address before calling this.
pub fn sign_up(app: &App, s: &SignUp, client: &str) -> AppResult<Issued> {
    let audit = AuditRow {
        at_ms: app.clock.now_ms(),
        actor: "public".to_owned(),
        action: "apikey.signup".to_owned(),
        object: String::new(),
        detail: format!("{} <{}>", s.name.trim(), s.email.trim()),
        source: client.to_owned(),
    };
    issue(app, audit, s, "public", None)
}

fn may(app: &App, caller: &Caller, action: &str, object: &str) -> AppResult<()> {
    let decision = if policy::acts(caller).contains(&Act::ManageApiKeys) {
        Ok(())
    } else {
        Err(policy::refusal(
            caller,
            "只有生态环境局可以管理开放数据密钥 / only the bureau manages open-data API keys",
        ))
    };
    app.allow(caller, action, object, decision)
}

/// A key made by the bureau for someone (a partner, a researcher), with its own limit if
/// given.
pub fn create(app: &App, caller: &Caller, s: &SignUp, limit: Option<Limit>) -> AppResult<Issued> {
    may(app, caller, "apikey.create", "apikey")?;
    let detail = format!(
        "{} <{}>; {}",
        s.name.trim(),
        s.email.trim(),
        limit.map_or_else(|| "default limit".to_owned(), |l| l.text())
    );
    let audit = app.audit_row(caller, "apikey.create", "", &detail);
    issue(app, audit, s, caller.name(), limit)
}

/// Every key, newest first (the bureau).
pub fn list(app: &App, caller: &Caller) -> AppResult<Vec<KeyView>> {
    may(app, caller, "apikey.list", "apikey")?;
    Ok(app.store.api_keys()?.into_iter().map(KeyView::of).collect())
}

/// Sets key `id`'s own limit, or (`None`) returns it to the server's default.
pub fn set_limit(app: &App, caller: &Caller, id: i64, limit: Option<Limit>) -> AppResult<KeyView> {
    let object = format!("apikey:{id}");
    may(app, caller, "apikey.limit", &object)?;
    let before = app.store.api_key(id)?;
    let detail = format!(
        "{} → {}",
        own_limit(&before).map_or_else(|| "default".to_owned(), |l| l.text()),
        limit.map_or_else(|| "default".to_owned(), |l| l.text())
    );
    app.audited(caller, "apikey.limit", &object, &detail, || {
        Ok(KeyView::of(app.store.set_api_key_limit(
            id,
            limit.map(|l| i64::from(l.per_hour)),
            limit.map(|l| i64::from(l.burst)),
        )?))
    })
}

/// Revokes key `id` with a reason: from now on a request with it is refused (401).
pub fn revoke(app: &App, caller: &Caller, id: i64, reason: &str) -> AppResult<KeyView> {
    let object = format!("apikey:{id}");
    may(app, caller, "apikey.revoke", &object)?;
    let reason = if reason.trim().is_empty() {
        String::new()
    } else {
        field("reason", reason, 1, REASON_CHARS_MAX)?
    };
    app.audited(caller, "apikey.revoke", &object, &reason, || {
        Ok(KeyView::of(app.store.revoke_api_key(
            id,
            app.clock.now_ms(),
            caller.name(),
            &reason,
        )?))
    })
}

/// What `key` is. A value not of the form `ltk_` + 40 characters is unknown without a
/// look-up.
pub fn identify(app: &App, key: &str) -> AppResult<Identified> {
    let key = key.trim();
    let well_formed = key.len() == apikeys::KEY_TAG.len() + apikeys::KEY_SECRET_LEN
        && key.starts_with(apikeys::KEY_TAG)
        && key[apikeys::KEY_TAG.len()..]
            .bytes()
            .all(|b| apikeys::KEY_ALPHABET.contains(&b));
    if !well_formed {
        return Ok(Identified::Unknown);
    }
    Ok(match app.store.api_key_by_hash(&apikeys::key_hash(key))? {
        None => Identified::Unknown,
        Some(row) if row.revoked_ms.is_some() => Identified::Revoked(row),
        Some(row) => Identified::Key(row),
    })
}

/// Counts one request served with key `id`, now.
pub fn count_use(app: &App, id: i64) -> AppResult<()> {
    Ok(app.store.count_api_key_use(id, app.clock.now_ms())?)
}

/// Key `id` as its holder sees it (the request carried the key itself).
pub fn usage(app: &App, id: i64) -> AppResult<KeyView> {
    Ok(KeyView::of(app.store.api_key(id)?))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{Account, Clock, County};
    use lantian_core::org::Role;
    use lantian_store::Store;
    use std::sync::Arc;

    fn app(tag: &str) -> App {
        let dir =
            std::env::temp_dir().join(format!("lantian-apikeys-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Arc::new(Store::open_data_dir(&dir).unwrap());
        App::new(
            store,
            Clock::Fixed {
                unix_ms: 1_800_000_000_000,
            },
            Arc::new(County::xinji()),
            None,
        )
    }

    fn who(role: Role) -> Caller {
        Caller::Account(Account {
            username: format!("{role}"),
            role,
            unit_id: None,
            unit_kind: None,
            source: "192.0.2.5".into(),
        })
    }

    fn sign(name: &str, email: &str, purpose: &str) -> SignUp {
        SignUp {
            name: name.into(),
            email: email.into(),
            purpose: purpose.into(),
        }
    }

    #[test]
    fn sign_up_fields_are_checked_and_each_refusal_names_its_field() {
        // (name, email, purpose, the field named in the refusal or "" when accepted)
        let long = "x".repeat(NAME_CHARS_MAX + 1);
        let cases = [
            ("王研究员", "wang@example.org", "PM2.5 来源解析研究", ""),
            ("", "wang@example.org", "research", "name"),
            (long.as_str(), "wang@example.org", "research", "name"),
            ("Wang", "wang.example.org", "research", "email"),
            ("Wang", "wang@localhost", "research", "email"),
            ("Wang", "wang@exa mple.org", "research", "email"),
            ("Wang", "wang@example.org", "x", "purpose"),
            ("<script>", "wang@example.org", "research", "name"),
            ("Wang", "wang@example.org", "res\u{7}earch", "purpose"),
        ];
        for (name, email, purpose, refused) in cases {
            let r = validate(&sign(name, email, purpose));
            match (refused, r) {
                ("", Ok(s)) => assert_eq!(s.email, email),
                ("", Err(e)) => panic!("{name} {email} refused: {e}"),
                (f, Ok(_)) => panic!("{name} {email} {purpose} accepted, want {f} refused"),
                (f, Err(e)) => assert!(e.to_string().starts_with(&format!("{f}：")), "{e}"),
            }
        }
    }

    #[test]
    fn a_key_is_shown_once_stored_as_its_hash_identified_and_revoked_by_the_bureau_only() {
        let app = app("keys");
        let issued = sign_up(
            &app,
            &sign("Wang", "wang@example.org", "research"),
            "198.51.100.7",
        )
        .unwrap();
        assert!(issued.key.starts_with("ltk_") && issued.key.len() == 44);
        let stored = app.store.api_key(issued.id).unwrap();
        assert_eq!(
            stored.key_hash,
            lantian_store::complaints::sha256_hex(issued.key.as_bytes())
        );
        assert!(
            !format!("{stored:?}").contains(&issued.key[4..]),
            "the key is not stored"
        );
        assert_eq!(stored.created_by, "public");
        // A second key differs (drawn, not derived).
        let other = sign_up(
            &app,
            &sign("Li", "li@example.org", "teaching"),
            "198.51.100.7",
        )
        .unwrap();
        assert_ne!(other.key, issued.key);
        // Identified: live, unknown (a changed character, junk), then revoked.
        let mut changed = issued.key.clone().into_bytes();
        changed[10] = if changed[10] == b'a' { b'b' } else { b'a' };
        let changed = String::from_utf8(changed).unwrap();
        assert!(
            matches!(identify(&app, &issued.key).unwrap(), Identified::Key(r) if r.id == issued.id)
        );
        for junk in [changed.as_str(), "", "ltk_", "hello", &issued.key[..43]] {
            assert_eq!(identify(&app, junk).unwrap(), Identified::Unknown, "{junk}");
        }
        // Who may manage keys: the bureau and administrators; others 403, the public 401.
        for (caller, ok) in [
            (who(Role::Township), false),
            (who(Role::Enterprise), false),
            (who(Role::Operations), false),
            (Caller::Public, false),
            (who(Role::Bureau), true),
        ] {
            assert_eq!(list(&app, &caller).is_ok(), ok, "{}", caller.name());
            assert_eq!(
                set_limit(
                    &app,
                    &caller,
                    issued.id,
                    Some(Limit {
                        per_hour: 10,
                        burst: 2
                    })
                )
                .is_ok(),
                ok
            );
        }
        assert_eq!(
            usage(&app, issued.id).unwrap().limit(),
            Some(Limit {
                per_hour: 10,
                burst: 2
            })
        );
        count_use(&app, issued.id).unwrap();
        count_use(&app, issued.id).unwrap();
        let u = usage(&app, issued.id).unwrap();
        assert_eq!(
            (u.row.requests, u.row.last_used_ms),
            (2, Some(1_800_000_000_000))
        );
        assert!(revoke(&app, &who(Role::Township), issued.id, "x").is_err());
        let r = revoke(&app, &who(Role::Bureau), issued.id, "滥用 / abuse").unwrap();
        assert!(r.revoked && r.revoked_bj.is_some());
        assert!(matches!(
            identify(&app, &issued.key).unwrap(),
            Identified::Revoked(_)
        ));
        assert!(matches!(
            revoke(&app, &who(Role::Bureau), issued.id, ""),
            Err(AppError::Conflict(_))
        ));
        // Every change was audited, with its source.
        let rows = app.store.audit_events(100).unwrap();
        let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
        for want in [
            "apikey.signup",
            "apikey.limit",
            "apikey.revoke",
            "denied.apikey.revoke",
        ] {
            assert!(actions.contains(&want), "{want} not in {actions:?}");
        }
        let signup = rows.iter().find(|r| r.action == "apikey.signup").unwrap();
        assert_eq!(signup.source, "198.51.100.7");
        assert!(signup.object.starts_with("apikey:ltk_"));
    }

    #[test]
    fn limits_outside_their_range_are_refused() {
        for (per_hour, burst, ok) in [
            (1, 1, true),
            (600, 60, true),
            (i64::from(PER_HOUR_MAX), i64::from(BURST_MAX), true),
            (0, 10, false),
            (10, 0, false),
            (-1, 10, false),
            (i64::from(PER_HOUR_MAX) + 1, 10, false),
            (10, i64::from(BURST_MAX) + 1, false),
        ] {
            assert_eq!(
                Limit::checked(per_hour, burst).is_ok(),
                ok,
                "{per_hour} {burst}"
            );
        }
    }
}
