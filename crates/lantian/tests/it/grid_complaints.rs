//! Complaints over a real `lantian serve` (issue 18): a complaint submitted as the public
//! reaches the township's task queue, the township handles and finishes it with a photo,
//! the bureau approves, and the complainant's lookup shows it closed; bad submissions get
//! their clear errors with their status codes.

use crate::ledger::user;
use crate::serve::{Login, Server, login, request};
use crate::temp_dir;
use serde_json::{Value, json};

/// A point inside 王口镇 (its unit's point) and one far outside the county.
const WANGKOU: (f64, f64) = (37.990, 115.400);
const OUTSIDE: (f64, f64) = (30.0, 120.0);
const PASSWORD: &str = "correct horse battery";

/// A small PNG (signature, IHDR, a text chunk with a name, IDAT, IEND).
fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (b"IHDR", &[0u8, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0][..]),
        (b"tEXt", b"Author\0Zhang San"),
        (b"IDAT", &[1, 2, 3]),
        (b"IEND", &[]),
    ] {
        b.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        b.extend_from_slice(kind);
        b.extend_from_slice(data);
        b.extend_from_slice(&[0, 0, 0, 0]);
    }
    b
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= c.len() {
                out.push(char::from(A[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn post(addr: &str, path: &str, as_: Option<&Login>, body: &Value) -> (u16, Value) {
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(l) = as_ {
        headers.extend([
            ("Cookie", l.cookie.as_str()),
            ("X-CSRF-Token", l.csrf.as_str()),
        ]);
    }
    let r = request(addr, "POST", path, &headers, body.to_string().as_bytes());
    (r.status, r.json())
}

fn get(addr: &str, path: &str, as_: Option<&Login>) -> (u16, Value) {
    let headers: Vec<(&str, &str)> =
        as_.map_or_else(Vec::new, |l| vec![("Cookie", l.cookie.as_str())]);
    let r = request(addr, "GET", path, &headers, b"");
    (r.status, r.json())
}

fn message(v: &Value) -> String {
    v["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_public_complaint_is_handled_by_its_township_approved_and_shown_closed_to_its_complainant() {
    let dir = temp_dir("grid-complaints");
    let d = dir.to_str().unwrap();
    user(d, "bureau1", "bureau", Some("市生态环境局"));
    user(d, "wk", "township", Some("wangkou"));
    user(d, "xj", "township", Some("xinji"));
    let server = Server::start(d, &[]);
    let a = server.http.clone();

    // The form's token, then at least the minimum fill time.
    let (status, t) = get(&a, "/api/v1/complaints/form-token", None);
    assert_eq!(status, 200, "{t}");
    let token = t["token"].as_str().unwrap().to_owned();
    let good = json!({
        "category": "open_burning",
        "text": "村东头有人露天焚烧秸秆，浓烟很大",
        "lat": WANGKOU.0,
        "lon": WANGKOU.1,
        "address": "王口镇村东",
        "contact": "13800000000",
        "photo_base64": format!("data:image/png;base64,{}", base64(&png())),
        "form_token": token,
        "website": "",
    });
    let (status, fast) = post(&a, "/api/v1/complaints", None, &good);
    assert_eq!(status, 429, "too fast: {fast}");
    assert!(message(&fast).contains("too fast"), "{fast}");
    std::thread::sleep(std::time::Duration::from_millis(3_200));

    // Bad submissions: (case, changes, status, words of the message).
    let huge = base64(&vec![0u8; 5 * 1024 * 1024 + 1]);
    let cases: [(&str, Value, u16, &str); 7] = [
        (
            "no location",
            json!({ "lat": null, "lon": null }),
            400,
            "location",
        ),
        (
            "outside the county",
            json!({ "lat": OUTSIDE.0, "lon": OUTSIDE.1 }),
            400,
            "outside the county",
        ),
        (
            "a script in the text",
            json!({ "text": "<script>alert('x')</script>浓烟" }),
            400,
            "script",
        ),
        (
            "a bad category",
            json!({ "category": "noise" }),
            400,
            "category",
        ),
        ("a huge photo", json!({ "photo_base64": huge }), 413, ""),
        (
            "not an image",
            json!({ "photo_base64": base64(b"%PDF-1.7 not a photo") }),
            400,
            "JPEG or PNG",
        ),
        (
            "the honeypot",
            json!({ "website": "http://spam.example" }),
            400,
            "refused",
        ),
    ];
    for (case, changes, want, words) in cases {
        let mut body = good.clone();
        for (k, v) in changes.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, v) = post(&a, "/api/v1/complaints", None, &body);
        assert_eq!(status, want, "{case}: {v}");
        assert!(message(&v).contains(words), "{case}: {v}");
    }

    // The good one: dispatched to 王口镇.
    let (status, s) = post(&a, "/api/v1/complaints", None, &good);
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["status"], "dispatched");
    assert_eq!(s["township"], "wangkou");
    let code = s["code"].as_str().unwrap().to_owned();
    let task = s["task_id"].as_i64().unwrap();
    // The same token again is refused.
    let (status, again) = post(&a, "/api/v1/complaints", None, &good);
    assert_eq!(status, 409, "{again}");

    // The township's queue has it; another township's does not, nor its complaints.
    let wk = login(&a, "wk", PASSWORD);
    let xj = login(&a, "xj", PASSWORD);
    let bureau = login(&a, "bureau1", PASSWORD);
    let (status, queue) = get(&a, "/api/v1/tasks?open=true", Some(&wk));
    assert_eq!(status, 200, "{queue}");
    let ids = |v: &Value| -> Vec<i64> {
        let list = v.get("items").unwrap_or(v);
        list.as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["id"].as_i64())
            .collect()
    };
    assert!(ids(&queue).contains(&task), "{queue}");
    let (_, other) = get(&a, "/api/v1/tasks?open=true", Some(&xj));
    assert!(!ids(&other).contains(&task), "{other}");
    let (status, mine) = get(&a, "/api/v1/complaints", Some(&wk));
    assert_eq!(status, 200);
    assert_eq!(mine["complaints"].as_array().unwrap().len(), 1);
    assert!(
        mine["complaints"][0]["contact"].is_null(),
        "a township sees no contact"
    );
    let (_, theirs) = get(&a, "/api/v1/complaints", Some(&xj));
    assert!(theirs["complaints"].as_array().unwrap().is_empty());
    let (_, all) = get(&a, "/api/v1/complaints", Some(&bureau));
    assert_eq!(all["complaints"][0]["contact"], "13800000000");
    let id = all["complaints"][0]["id"].as_i64().unwrap();
    // The photo as stored lost its text chunk (the author's name).
    let r = request(
        &a,
        "GET",
        &format!("/api/v1/complaints/photo?id={id}"),
        &[("Cookie", wk.cookie.as_str())],
        b"",
    );
    assert_eq!(r.status, 200);
    assert!(r.body.starts_with(b"\x89PNG") && !r.body.windows(9).any(|w| w == b"Zhang San"));

    // The township signs, starts, attaches a photo and finishes; the bureau approves.
    let act = |who: &Login, action: &str, text: &str| {
        let (status, v) = post(
            &a,
            &format!("/api/v1/tasks/{task}/act"),
            Some(who),
            &json!({ "action": action, "text": text }),
        );
        assert_eq!(status, 200, "{action}: {v}");
    };
    act(&wk, "sign", "");
    act(&wk, "start", "已到现场 / on site");
    let r = request(
        &a,
        "POST",
        &format!("/api/v1/tasks/{task}/evidence"),
        &[
            ("Content-Type", "application/octet-stream"),
            ("X-Filename", "site.png"),
            ("Cookie", wk.cookie.as_str()),
            ("X-CSRF-Token", wk.csrf.as_str()),
        ],
        &png(),
    );
    assert_eq!(r.status, 200, "evidence: {}", r.json());
    act(
        &wk,
        "finish",
        "火已扑灭，已对焚烧者批评教育 / the fire is out",
    );
    let (_, progress) = get(&a, &format!("/api/v1/complaints/lookup/{code}"), None);
    assert_eq!(progress["status"]["key"], "finished", "{progress}");
    act(&bureau, "approve", "同意办结 / approved");

    // The complainant's lookup: closed, the steps in order, nothing private.
    let typed = code.to_lowercase();
    let (status, l) = get(&a, &format!("/api/v1/complaints/lookup/{typed}"), None);
    assert_eq!(status, 200, "{l}");
    assert_eq!(l["closed"], true, "{l}");
    assert_eq!(l["status"]["zh"], "已办结");
    let steps: Vec<&str> = l["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"]["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        ["dispatched", "signed", "handling", "finished", "closed"]
    );
    let text = l.to_string();
    for private in ["13800000000", "wk", "bureau1", "焚烧者", "site.png"] {
        assert!(!text.contains(private), "{private} in {text}");
    }
    let (status, _) = get(&a, "/api/v1/complaints/lookup/AAAAAAAAAA", None);
    assert_eq!(status, 404);
}
