//! The open-data API's rate limits (issue 21; docs/open-data.md, "Rate limits"): token
//! buckets in memory, one per API key and, for requests without a key, one per client
//! address (as the login throttle decides it: the socket's peer, `X-Forwarded-For` only from
//! a trusted proxy, IPv6 by its /64), and one per address for key sign-ups.
//!
//! [`limit`] is the middleware of every `/api/v1/open/…` request (applied once, in
//! [`crate::router`]): it identifies the key (`X-API-Key`, or `?api_key=`), refuses an
//! unknown or revoked key (401, naming the problem), takes a token from the key's bucket
//! (the key's own limit set by the bureau, else the server's default) or the address's,
//! counts a served key's request in the store, and answers 429 with `Retry-After` when the
//! bucket is empty. Every answer carries `RateLimit-Limit`, `RateLimit-Remaining`,
//! `RateLimit-Reset` and `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers) and
//! their `X-RateLimit-*` twins. A request with a bad key is also charged to its address's
//! bucket, so guessing keys is limited like requests without one.
//!
//! A bucket holds `burst` tokens and refills at `per_hour` an hour. Every map is bounded:
//! a full bucket is the same as a new one and is dropped first, then the oldest.

use crate::AppState;
use crate::auth;
use axum::Json;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lantian_app::opendata_keys::{self, Identified, Limit};
use serde_json::json;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Buckets per map at most.
pub const ENTRIES_MAX: usize = 100_000;
/// The header a key is sent in…
pub const KEY_HEADER: &str = "x-api-key";
/// …or this query parameter.
pub const KEY_PARAM: &str = "api_key";
/// The path prefix (under `/api/v1`) the limiter applies to.
pub const OPEN_PREFIX: &str = "/open/";
/// The sign-up route (under `/api/v1`), limited by its own bucket instead.
pub const SIGNUP_PATH: &str = "/open/keys";

/// The limits of one server (`lantian serve --open-key-per-hour …`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// A key's limit unless the bureau set its own.
    pub key: Limit,
    /// Requests without a key, per client address.
    pub public: Limit,
    /// Key sign-ups per client address.
    pub signup: Limit,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            key: opendata_keys::KEY_LIMIT_DEFAULT,
            public: opendata_keys::PUBLIC_LIMIT_DEFAULT,
            signup: opendata_keys::SIGNUP_LIMIT_DEFAULT,
        }
    }
}

/// Whose bucket a request was counted in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Key,
    Address,
    Signup,
}

impl Scope {
    fn name(self) -> &'static str {
        match self {
            Scope::Key => "key",
            Scope::Address => "address",
            Scope::Signup => "signup",
        }
    }
}

/// A bucket's answer to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub limit: Limit,
    /// Whole tokens left after this request.
    pub remaining: u32,
    /// Seconds until the bucket is full again.
    pub reset_s: u64,
    /// Refused: whole seconds (at least 1) until a token is there.
    pub retry_after_s: Option<u64>,
}

impl Verdict {
    /// A full bucket's answer, nothing taken (a request made in-process).
    pub fn unspent(limit: Limit) -> Verdict {
        Verdict {
            limit,
            remaining: limit.burst,
            reset_s: 0,
            retry_after_s: None,
        }
    }

    /// The `RateLimit-*` and `X-RateLimit-*` headers (and `Retry-After` when refused).
    pub fn apply(&self, h: &mut HeaderMap) {
        // The bucket's window: the time it takes to refill a whole burst.
        let window_s =
            (u64::from(self.limit.burst) * 3600).div_ceil(u64::from(self.limit.per_hour));
        let values = [
            ("ratelimit-limit", self.limit.burst.to_string()),
            ("ratelimit-remaining", self.remaining.to_string()),
            ("ratelimit-reset", self.reset_s.to_string()),
            (
                "ratelimit-policy",
                format!("{};w={window_s}", self.limit.burst),
            ),
            ("x-ratelimit-limit", self.limit.burst.to_string()),
            ("x-ratelimit-remaining", self.remaining.to_string()),
            ("x-ratelimit-reset", self.reset_s.to_string()),
        ];
        for (name, value) in values {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(HeaderName::from_static(name), v);
            }
        }
        if let Some(s) = self.retry_after_s {
            h.insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
    /// When it will be full again (then it is the same as a new bucket).
    full_at: Instant,
}

/// Buckets by key, bounded.
#[derive(Debug)]
struct Buckets<K>(Mutex<HashMap<K, Bucket>>);

impl<K> Default for Buckets<K> {
    fn default() -> Buckets<K> {
        Buckets(Mutex::new(HashMap::new()))
    }
}

impl<K: Clone + Eq + Hash> Buckets<K> {
    /// Takes a token from `key`'s bucket of `limit` at `now`, if there is one.
    fn take(&self, key: K, limit: Limit, now: Instant) -> Verdict {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= ENTRIES_MAX && !map.contains_key(&key) {
            map.retain(|_, b| b.full_at > now);
            if map.len() >= ENTRIES_MAX {
                let mut ages: Vec<(Instant, K)> =
                    map.iter().map(|(k, b)| (b.at, k.clone())).collect();
                ages.sort_by_key(|(t, _)| *t);
                for (_, k) in ages.into_iter().take(ENTRIES_MAX / 8) {
                    map.remove(&k);
                }
            }
        }
        let burst = f64::from(limit.burst);
        let per_s = f64::from(limit.per_hour) / 3600.0;
        let b = map.entry(key).or_insert(Bucket {
            tokens: burst,
            at: now,
            full_at: now,
        });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * per_s).min(burst);
        b.at = now;
        let admitted = b.tokens >= 1.0;
        if admitted {
            b.tokens -= 1.0;
        }
        let secs = |tokens: f64| (tokens.max(0.0) / per_s).ceil();
        let reset_s = secs(burst - b.tokens);
        b.full_at = now + Duration::from_secs_f64(reset_s);
        Verdict {
            limit,
            remaining: b.tokens.floor() as u32,
            reset_s: reset_s as u64,
            retry_after_s: (!admitted).then(|| (secs(1.0 - b.tokens) as u64).max(1)),
        }
    }
}

/// The limiter of one server: the configured defaults and the buckets.
#[derive(Debug, Default)]
pub struct Limiter {
    pub config: Config,
    keys: Buckets<i64>,
    addresses: Buckets<IpAddr>,
    signups: Buckets<IpAddr>,
    /// Requests refused with 429, by [`Scope`] (key, address, sign-up).
    refused: [AtomicU64; 3],
}

impl Limiter {
    pub fn new(config: Config) -> Limiter {
        Limiter {
            config,
            ..Limiter::default()
        }
    }

    /// A request with live key `id` whose own limit is `own` (else the default); only
    /// labelled, not counted, unless `charge`.
    pub fn take_key(&self, id: i64, own: Option<Limit>, now: Instant, charge: bool) -> Verdict {
        let limit = own.unwrap_or(self.config.key);
        if !charge {
            return Verdict::unspent(limit);
        }
        self.counted(Scope::Key, self.keys.take(id, limit, now))
    }

    /// A request without a key (or with a bad one) from `addr`; only labelled, not counted,
    /// unless `charge`.
    pub fn take_address(&self, addr: IpAddr, now: Instant, charge: bool) -> Verdict {
        if !charge {
            return Verdict::unspent(self.config.public);
        }
        self.counted(
            Scope::Address,
            self.addresses.take(addr, self.config.public, now),
        )
    }

    /// A key sign-up from `addr`; only labelled, not counted, unless `charge`.
    pub fn take_signup(&self, addr: IpAddr, now: Instant, charge: bool) -> Verdict {
        if !charge {
            return Verdict::unspent(self.config.signup);
        }
        self.counted(
            Scope::Signup,
            self.signups.take(addr, self.config.signup, now),
        )
    }

    fn counted(&self, scope: Scope, v: Verdict) -> Verdict {
        if v.retry_after_s.is_some() {
            self.refused[scope as usize].fetch_add(1, Ordering::Relaxed);
        }
        v
    }

    /// The refusal counters in Prometheus' text format.
    pub fn render_prometheus(&self) -> String {
        let mut out = String::from(
            "# HELP lantian_api_open_data_refusals_total Open-data requests refused with 429, by bucket.\n# TYPE lantian_api_open_data_refusals_total counter\n",
        );
        for scope in [Scope::Key, Scope::Address, Scope::Signup] {
            out.push_str(&format!(
                "lantian_api_open_data_refusals_total{{bucket=\"{}\"}} {}\n",
                scope.name(),
                self.refused[scope as usize].load(Ordering::Relaxed)
            ));
        }
        out
    }
}

impl AppState {
    /// The same state with these open-data limits (`lantian serve --open-…`).
    pub fn with_open_limits(mut self, config: Config) -> AppState {
        self.open_limit = std::sync::Arc::new(Limiter::new(config));
        self
    }
}

/// How a request was counted, in its extensions for the handlers (`/open/keys/me`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenUse {
    /// The live key's id; `None`: counted for the address.
    pub key_id: Option<i64>,
    pub verdict: Verdict,
}

/// The language of the caller's messages: `?lang=`, else `Accept-Language`'s first tag;
/// neither: both, Chinese first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tongue {
    Zh,
    En,
    Both,
}

impl Tongue {
    pub fn of(query: Option<&str>, headers: &HeaderMap) -> Tongue {
        let from = |tag: &str| {
            let tag = tag.trim().to_ascii_lowercase();
            if tag.starts_with("en") {
                Some(Tongue::En)
            } else if tag.starts_with("zh") {
                Some(Tongue::Zh)
            } else {
                None
            }
        };
        query_param(query, "lang")
            .and_then(|l| from(&l))
            .or_else(|| {
                let first = headers
                    .get(header::ACCEPT_LANGUAGE)?
                    .to_str()
                    .ok()?
                    .split([',', ';'])
                    .next()?
                    .to_owned();
                from(&first)
            })
            .unwrap_or(Tongue::Both)
    }

    pub fn say(self, zh: &str, en: &str) -> String {
        match self {
            Tongue::Zh => zh.to_owned(),
            Tongue::En => en.to_owned(),
            Tongue::Both => format!("{zh} / {en}"),
        }
    }
}

/// A query parameter's value, percent-decoded.
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| crate::routes::percent_decode(v.replace('+', " ").as_bytes()))
    })
}

/// The 429 answer: the bucket's headers, `Retry-After` and a JSON error in `t`.
pub fn too_many(scope: Scope, v: &Verdict, t: Tongue) -> Response {
    let s = v.retry_after_s.unwrap_or(1);
    let (n, b) = (v.limit.per_hour, v.limit.burst);
    let message = match scope {
        Scope::Key => t.say(
            &format!("请求过于频繁：此 API 密钥每小时限 {n} 次（可连续 {b} 次），请 {s} 秒后再试"),
            &format!(
                "too many requests: this API key may make {n} requests an hour (a burst of {b}); try again in {s} s"
            ),
        ),
        Scope::Address => t.say(
            &format!(
                "请求过于频繁：不带 API 密钥时每个地址每小时限 {n} 次（可连续 {b} 次），请 {s} 秒后再试，或在开放数据页面免费申请 API 密钥"
            ),
            &format!(
                "too many requests: without an API key each address may make {n} requests an hour (a burst of {b}); try again in {s} s, or sign up for a free API key on the open-data page"
            ),
        ),
        Scope::Signup => t.say(
            &format!("申请过于频繁：每个地址每小时最多申请 {n} 个密钥，请 {s} 秒后再试"),
            &format!(
                "too many sign-ups: at most {n} keys an hour from one address; try again in {s} s"
            ),
        ),
    };
    let mut r = (
        StatusCode::TOO_MANY_REQUESTS,
        Json(json!({ "error": {
            "code": "too_many_requests",
            "message": message,
            "retry_after_s": s,
            "bucket": scope.name(),
        }})),
    )
        .into_response();
    v.apply(r.headers_mut());
    r
}

/// The 401 answer to a key that is not (or no longer) good.
fn bad_key(found: &Identified, v: &Verdict, t: Tongue) -> Response {
    let (code, message) = match found {
        Identified::Revoked(row) => {
            let when = lantian_core::cst::format_unix_ms(row.revoked_ms.unwrap_or(0));
            let why = row.revoked_reason.as_deref().unwrap_or("");
            let (why_zh, why_en) = if why.is_empty() {
                (String::new(), String::new())
            } else {
                (format!("，原因：{why}"), format!(" ({why})"))
            };
            (
                "revoked_api_key",
                t.say(
                    &format!(
                        "API 密钥 {} 已于 {when} 北京时间被吊销{why_zh}；请重新申请或联系生态环境局",
                        row.prefix
                    ),
                    &format!(
                        "API key {} was revoked on {when} Beijing time{why_en}; sign up for a new key or contact the bureau",
                        row.prefix
                    ),
                ),
            )
        }
        _ => (
            "unknown_api_key",
            t.say(
                "API 密钥无效：没有这个密钥，请检查 X-API-Key 是否完整复制（以 ltk_ 开头，共 44 个字符）",
                "unknown API key: no key has this value; check that X-API-Key was copied whole (ltk_ and 40 characters)",
            ),
        ),
    };
    let mut r = (
        StatusCode::UNAUTHORIZED,
        Json(json!({ "error": { "code": code, "message": message } })),
    )
        .into_response();
    v.apply(r.headers_mut());
    r
}

/// Whether a request came over a socket (else it was made in-process: labelled, not
/// counted).
pub fn over_socket(req: &Request) -> bool {
    req.extensions().get::<ConnectInfo<SocketAddr>>().is_some()
}

/// The request's client address, as the login throttle keys it.
pub fn client_of(st: &AppState, req: &Request) -> IpAddr {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    auth::client_addr(st, peer, req.headers())
}

/// The key a request carries: `X-API-Key`, else `?api_key=`.
fn key_of(req: &Request) -> Option<String> {
    req.headers()
        .get(KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| query_param(req.uri().query(), KEY_PARAM))
        .filter(|k| !k.trim().is_empty())
}

/// What the key's check found, with the verdict of the bucket that was charged.
enum Checked {
    Key(i64, Verdict),
    Public(Verdict),
    Bad(Box<Identified>, Verdict),
}

/// The middleware of every `/api/v1/…` request (nested: it sees the rest of the path):
/// limits those under `/open/` (but the sign-up, which has its own bucket) and passes the
/// others on untouched. Applied twice, it counts once.
pub async fn limit(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let signup = path == SIGNUP_PATH && req.method() == Method::POST;
    if !path.starts_with(OPEN_PREFIX) || signup || req.extensions().get::<OpenUse>().is_some() {
        return next.run(req).await;
    }
    let tongue = Tongue::of(req.uri().query(), req.headers());
    let addr = client_of(&st, &req);
    // A request made in-process (no socket: the router's own tests) is labelled, not counted.
    let charge = over_socket(&req);
    let now = Instant::now();
    let checked = match key_of(&req) {
        None => Checked::Public(st.open_limit.take_address(addr, now, charge)),
        Some(key) => {
            let (app, limiter) = (st.app.clone(), st.open_limit.clone());
            let done = tokio::task::spawn_blocking(move || -> lantian_app::AppResult<Checked> {
                Ok(match opendata_keys::identify(&app, &key)? {
                    Identified::Key(row) => {
                        let v =
                            limiter.take_key(row.id, opendata_keys::own_limit(&row), now, charge);
                        if v.retry_after_s.is_none() {
                            opendata_keys::count_use(&app, row.id)?;
                        }
                        Checked::Key(row.id, v)
                    }
                    other => Checked::Bad(Box::new(other), limiter.take_address(addr, now, charge)),
                })
            })
            .await;
            match done {
                Ok(Ok(c)) => c,
                Ok(Err(e)) => return crate::ApiError::from(e).into_response(),
                Err(e) => return crate::ApiError::Internal(e.to_string()).into_response(),
            }
        }
    };
    let (key_id, verdict) = match checked {
        Checked::Bad(_, v) if v.retry_after_s.is_some() => {
            return too_many(Scope::Address, &v, tongue);
        }
        Checked::Bad(found, v) => return bad_key(&found, &v, tongue),
        Checked::Key(id, v) => (Some(id), v),
        Checked::Public(v) => (None, v),
    };
    if verdict.retry_after_s.is_some() {
        let scope = if key_id.is_some() {
            Scope::Key
        } else {
            Scope::Address
        };
        return too_many(scope, &verdict, tongue);
    }
    req.extensions_mut().insert(OpenUse { key_id, verdict });
    let mut r = next.run(req).await;
    verdict.apply(r.headers_mut());
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Limit = Limit {
        per_hour: 3600,
        burst: 3,
    };

    #[test]
    fn a_bucket_gives_its_burst_then_refills_at_its_rate() {
        let b: Buckets<u8> = Buckets::default();
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        // (seconds after the start, admitted, remaining, reset, retry after)
        let steps: [(u64, bool, u32, u64, Option<u64>); 7] = [
            (0, true, 2, 1, None),
            (0, true, 1, 2, None),
            (0, true, 0, 3, None),
            (0, false, 0, 3, Some(1)),
            (1, true, 0, 3, None),
            (3, true, 1, 2, None),
            (100, true, 2, 1, None),
        ];
        for (i, (s, admitted, remaining, reset, retry)) in steps.into_iter().enumerate() {
            let v = b.take(7, L, at(s));
            assert_eq!(v.retry_after_s.is_none(), admitted, "step {i}");
            assert_eq!(
                (v.remaining, v.reset_s, v.retry_after_s),
                (remaining, reset, retry),
                "step {i}"
            );
        }
        // Another key has its own bucket.
        assert_eq!(b.take(8, L, at(100)).remaining, 2);
    }

    #[test]
    fn a_slow_bucket_says_how_long_to_wait_in_whole_seconds() {
        let b: Buckets<u8> = Buckets::default();
        let slow = Limit {
            per_hour: 1,
            burst: 1,
        };
        let now = Instant::now();
        assert!(b.take(1, slow, now).retry_after_s.is_none());
        let v = b.take(1, slow, now + Duration::from_millis(1500));
        // 3600 s for a token, 1.5 s of it gone: 3599 s (rounded up) to wait.
        assert_eq!(v.retry_after_s, Some(3599));
        let mut h = HeaderMap::new();
        v.apply(&mut h);
        for (name, want) in [
            ("ratelimit-limit", "1"),
            ("ratelimit-remaining", "0"),
            ("ratelimit-policy", "1;w=3600"),
            ("x-ratelimit-remaining", "0"),
            ("retry-after", "3599"),
        ] {
            assert_eq!(
                h.get(name).and_then(|v| v.to_str().ok()),
                Some(want),
                "{name}"
            );
        }
    }

    #[test]
    fn languages_follow_the_query_then_the_accept_language_header() {
        let mut h = HeaderMap::new();
        assert_eq!(Tongue::of(None, &h), Tongue::Both);
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("en-GB,en;q=0.9"),
        );
        assert_eq!(Tongue::of(None, &h), Tongue::En);
        assert_eq!(Tongue::of(Some("x=1&lang=zh"), &h), Tongue::Zh);
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("zh-CN,zh;q=0.9"),
        );
        assert_eq!(Tongue::of(None, &h), Tongue::Zh);
        assert_eq!(Tongue::of(Some("lang=en"), &h), Tongue::En);
    }
}
