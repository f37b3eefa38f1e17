//! Open-data keys and rate limits over real HTTP (issue 21): the router served on a TCP
//! socket with the client's address from the socket (and `X-Forwarded-For` from the
//! trusted proxy 127.0.0.1, so one test plays several addresses), small limits so that the
//! buckets empty within a test and refill only after an hour (no timing in the asserts).

use super::NOW_MS;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use lantian_api::opendata_limit::Config;
use lantian_api::{AppState, WebConfig, router};
use lantian_app::opendata_keys::Limit;
use lantian_app::{App, Clock, County};
use lantian_store::{Role, Store, User, password};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A key: 4 at once, one an hour; the public: 2 at once per address; sign-ups: 3.
const LIMITS: Config = Config {
    key: Limit {
        per_hour: 1,
        burst: 4,
    },
    public: Limit {
        per_hour: 1,
        burst: 2,
    },
    signup: Limit {
        per_hour: 1,
        burst: 3,
    },
};

struct Server {
    addr: SocketAddr,
    store: Arc<Store>,
}

/// The router on 127.0.0.1, with a bureau and a township account.
async fn serve(tag: &str) -> Server {
    let dir = std::env::temp_dir().join(format!("lantian-api-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Arc::new(Store::open_data_dir(&dir).unwrap());
    for (u, role, unit) in [
        ("bureau", Role::Bureau, None),
        ("wk", Role::Township, Some("wangkou")),
    ] {
        store
            .add_user(&User {
                username: u.into(),
                password_hash: password::hash("correct horse battery", password::Strength::Device),
                role,
                unit_id: unit.map(str::to_owned),
                must_change_password: false,
                created_ms: 0,
            })
            .unwrap();
    }
    let app = App::new(
        store.clone(),
        Clock::Fixed { unix_ms: NOW_MS },
        Arc::new(County::xinji()),
        Some(dir),
    );
    let state = AppState::new(app, Arc::new(String::new), Arc::new(Default::default))
        .with_web(WebConfig {
            secure_cookies: false,
            trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
        })
        .with_open_limits(LIMITS);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    Server { addr, store }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn number(&self, name: &str) -> i64 {
        self.header(name)
            .parse()
            .unwrap_or_else(|_| panic!("{name}: {:?} is no number", self.header(name)))
    }
}

/// One HTTP/1.1 request on a new connection, read to its end.
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Answer {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        req.push_str("Content-Type: application/json\r\n");
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(&body);
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let mut map = HeaderMap::new();
    for l in lines {
        let (k, v) = l.split_once(':').unwrap();
        map.append(
            HeaderName::from_bytes(k.trim().as_bytes()).unwrap(),
            HeaderValue::from_str(v.trim()).unwrap(),
        );
    }
    let mut content = raw[split + 4..].to_vec();
    if map.get("transfer-encoding").is_some_and(|v| v == "chunked") {
        content = dechunk(&content);
    }
    Answer {
        status: StatusCode::from_u16(status).unwrap(),
        headers: map,
        body: serde_json::from_slice(&content).unwrap_or(Value::Null),
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let at = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let n = usize::from_str_radix(std::str::from_utf8(&b[..at]).unwrap().trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[at + 2..at + 2 + n]);
        b = &b[at + 4 + n..];
    }
}

/// Signs up from `client` (the forwarded address).
async fn sign_up(s: &Server, client: &str, name: &str) -> Answer {
    http(
        s.addr,
        "POST",
        "/api/v1/open/keys",
        &[("X-Forwarded-For", client)],
        Some(json!({ "name": name, "email": "r@example.org", "purpose": "PM2.5 研究" })),
    )
    .await
}

async fn key(s: &Server, client: &str, name: &str) -> (i64, String) {
    let a = sign_up(s, client, name).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    (
        a.body["id"].as_i64().unwrap(),
        a.body["key"].as_str().unwrap().to_owned(),
    )
}

async fn me(s: &Server, client: &str, key: Option<&str>, extra: &[(&str, &str)]) -> Answer {
    let mut h = vec![("X-Forwarded-For", client)];
    if let Some(k) = key {
        h.push(("X-API-Key", k));
    }
    h.extend_from_slice(extra);
    http(s.addr, "GET", "/api/v1/open/keys/me", &h, None).await
}

/// Every limit header and its `X-` twin agree; (limit, remaining).
fn counted(a: &Answer) -> (i64, i64) {
    for name in ["limit", "remaining", "reset"] {
        assert_eq!(
            a.header(&format!("ratelimit-{name}")),
            a.header(&format!("x-ratelimit-{name}")),
            "{name}"
        );
    }
    (a.number("ratelimit-limit"), a.number("ratelimit-remaining"))
}

/// Logs in over the socket: (cookie, CSRF token).
async fn login(s: &Server, user: &str) -> (String, String) {
    let a = http(
        s.addr,
        "POST",
        "/api/v1/login",
        &[],
        Some(json!({ "username": user, "password": "correct horse battery" })),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let cookie = a.header("set-cookie").split(';').next().unwrap().to_owned();
    (cookie, a.body["user"]["csrf"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_key_counts_down_then_gets_429_with_retry_after_and_keys_do_not_share_a_bucket() {
    let s = serve("open-key-limit").await;
    let (id_a, a) = key(&s, "198.51.100.1", "A").await;
    let (_, b) = key(&s, "198.51.100.1", "B").await;
    // Key A: 4 at once, the headers counting down 3, 2, 1, 0; each served request counted.
    for (n, want) in [3, 2, 1, 0].into_iter().enumerate() {
        let r = me(&s, "198.51.100.1", Some(&a), &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(counted(&r), (4, want));
        assert_eq!(r.body["scope"], "key");
        assert_eq!(r.body["key"]["requests"], n as i64 + 1);
        assert!(
            r.body["key"].get("key_hash").is_none(),
            "the hash is not shown"
        );
        assert_eq!(r.header("ratelimit-policy"), "4;w=14400");
    }
    // The fifth: 429, a whole number of seconds to wait (a token an hour), in the caller's
    // language.
    for (lang, has, lacks) in [
        (&[][..], "请求过于频繁", ""),
        (
            &[("Accept-Language", "en-US,en;q=0.8")][..],
            "too many requests",
            "频繁",
        ),
        (
            &[("Accept-Language", "zh-CN")][..],
            "此 API 密钥每小时限 1 次",
            "too many",
        ),
    ] {
        let r = me(&s, "198.51.100.1", Some(&a), lang).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        let wait = r.number("retry-after");
        assert!((1..=3600).contains(&wait), "Retry-After {wait}");
        assert_eq!(counted(&r), (4, 0));
        let m = r.body["error"]["message"].as_str().unwrap();
        assert!(
            m.contains(has) && (lacks.is_empty() || !m.contains(lacks)),
            "{m}"
        );
        assert_eq!(r.body["error"]["retry_after_s"], wait);
        assert_eq!(r.body["error"]["bucket"], "key");
    }
    // Refusals are not counted as served.
    assert_eq!(s.store.api_key(id_a).unwrap().requests, 4);
    // Key B, same address: its own full bucket.
    let r = me(&s, "198.51.100.1", Some(&b), &[]).await;
    assert_eq!((r.status, counted(&r)), (StatusCode::OK, (4, 3)));
    // `?api_key=` works as the header does (and A is still empty).
    let r = http(
        s.addr,
        "GET",
        &format!("/api/v1/open/keys/me?api_key={b}"),
        &[("X-Forwarded-For", "198.51.100.1")],
        None,
    )
    .await;
    assert_eq!((r.status, counted(&r)), (StatusCode::OK, (4, 2)));
}

#[tokio::test]
async fn without_a_key_the_lower_public_limit_applies_per_address() {
    let s = serve("open-public-limit").await;
    let (_, k) = key(&s, "203.0.113.9", "K").await;
    // Address .1: two at once (the public burst, below a key's 4), then 429.
    for want in [1, 0] {
        let r = me(&s, "203.0.113.1", None, &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(counted(&r), (2, want));
        assert_eq!(r.body["scope"], "address");
    }
    let r = me(&s, "203.0.113.1", None, &[("Accept-Language", "en")]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.number("retry-after") >= 1);
    assert_eq!(r.body["error"]["bucket"], "address");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("without an API key")
    );
    // Another address has its own bucket; a key from the exhausted address has its own.
    let r = me(&s, "203.0.113.2", None, &[]).await;
    assert_eq!((r.status, counted(&r)), (StatusCode::OK, (2, 1)));
    let r = me(&s, "203.0.113.1", Some(&k), &[]).await;
    assert_eq!((r.status, counted(&r)), (StatusCode::OK, (4, 3)));
    // Outside /open/ nothing is limited or labelled.
    let r = http(
        s.addr,
        "GET",
        "/api/v1/county",
        &[("X-Forwarded-For", "203.0.113.1")],
        None,
    )
    .await;
    assert!(r.headers.get("ratelimit-limit").is_none());
}

#[tokio::test]
async fn unknown_and_revoked_keys_are_401_naming_the_problem_and_the_bureau_manages_keys() {
    let s = serve("open-revoked").await;
    let (id, k) = key(&s, "192.0.2.1", "Revoke me").await;
    assert_eq!(
        me(&s, "192.0.2.1", Some(&k), &[]).await.status,
        StatusCode::OK
    );
    // An unknown key: 401 saying so.
    let mut wrong = k.clone();
    wrong.replace_range(10..11, if &k[10..11] == "a" { "b" } else { "a" });
    let r = me(&s, "192.0.2.2", Some(&wrong), &[("Accept-Language", "en")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["error"]["code"], "unknown_api_key");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no key has this value")
    );
    // The bureau sets the key's own limit; a township may not.
    let (cookie, csrf) = login(&s, "wk").await;
    let h = [("Cookie", cookie.as_str()), ("X-CSRF-Token", csrf.as_str())];
    let path = format!("/api/v1/apikeys/{id}/limit");
    let body = json!({ "per_hour": 100, "burst": 9 });
    let r = http(s.addr, "POST", &path, &h, Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let (cookie, csrf) = login(&s, "bureau").await;
    let h = [("Cookie", cookie.as_str()), ("X-CSRF-Token", csrf.as_str())];
    let r = http(s.addr, "POST", &path, &h, Some(body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = me(&s, "192.0.2.1", Some(&k), &[]).await;
    assert_eq!(counted(&r).0, 9, "the key's own limit counts at once");
    // The list shows the key by its prefix, never the key.
    let r = http(s.addr, "GET", "/api/v1/apikeys", &h, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.to_string().contains(&k[4..]));
    assert_eq!(r.body["keys"][0]["prefix"], k[..12]);
    assert_eq!(r.body["keys"][0]["per_hour"], 100);
    assert_eq!(r.body["defaults"]["key"]["burst"], 4);
    // Revoked: 401 naming the key, the time and the reason.
    let r = http(
        s.addr,
        "POST",
        &format!("/api/v1/apikeys/{id}/revoke"),
        &h,
        Some(json!({ "reason": "abuse" })),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = me(&s, "192.0.2.1", Some(&k), &[("Accept-Language", "en")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["error"]["code"], "revoked_api_key");
    let m = r.body["error"]["message"].as_str().unwrap();
    assert!(
        m.contains(&k[..12]) && m.contains("revoked") && m.contains("abuse"),
        "{m}"
    );
    // Bad keys are charged to the address: after its public burst, 429 instead of 401.
    let r = me(&s, "192.0.2.1", Some(&k), &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = me(&s, "192.0.2.1", Some(&k), &[]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn sign_ups_are_limited_per_address_and_a_bad_one_costs_nothing() {
    let s = serve("open-signup").await;
    // A sign-up without an e-mail: 400 naming the field, not counted.
    let r = http(
        s.addr,
        "POST",
        "/api/v1/open/keys",
        &[("X-Forwarded-For", "192.0.2.50")],
        Some(json!({ "name": "x", "purpose": "research" })),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("email")
    );
    for want in [2, 1, 0] {
        let r = sign_up(&s, "192.0.2.50", "S").await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(counted(&r), (3, want));
        assert!(r.body["key"].as_str().unwrap().starts_with("ltk_"));
    }
    let r = sign_up(&s, "192.0.2.50", "S").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.number("retry-after") >= 1);
    assert_eq!(r.body["error"]["bucket"], "signup");
    // Another address may still sign up; three keys were stored for the first.
    assert_eq!(
        sign_up(&s, "192.0.2.51", "T").await.status,
        StatusCode::CREATED
    );
    assert_eq!(s.store.api_keys().unwrap().len(), 4);
    let audited = s.store.audit_events(100).unwrap();
    assert_eq!(
        audited
            .iter()
            .filter(|e| e.action == "apikey.signup" && e.source == "192.0.2.50")
            .count(),
        3
    );
}
