//! Ledger supervision (issue 17, docs/ledger.md "Supervision") end to end: evidence with a
//! Chinese name uploaded and read back byte for byte under its own name on the real server;
//! a township's own list of the measures every township carries; the acts offered to each
//! role in each state; empty reports and confirmations without evidence refused; per-unit
//! statistics equal to a count of the list; reminders (督办 / 催办) sent, seen, acknowledged
//! once and audited, on SQLite and on PostgreSQL.

use crate::ledger::user;
use crate::{serve, temp_dir};
use lantian_app::ledger_supervision::{
    self as supervision, ReminderFilter, ReminderKind, unit_stats,
};
use lantian_app::{Account, App, AppError, Caller, Clock, County, ledger};
use lantian_core::ledger::status::Action;
use lantian_core::org::{Role, UnitKind};
use lantian_store::Store;
use lantian_store::testing::{PgDb, not_run, pg_url};
use serde_json::Value;
use std::io::{Read, Write};
use std::sync::Arc;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR evidence bytes \xff\x00\x7f";

/// An HTTP/1.1 request on a fresh connection; the status, the headers (names lower-case)
/// and the body.
fn raw(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    let split = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let text = String::from_utf8_lossy(&all[..split]).into_owned();
    let mut lines = text.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = all[split + 4..].to_vec();
    // The server answers with a length (no chunking for these bodies) but be strict anyway.
    if let Some(n) = header_of(&headers, "content-length").and_then(|n| n.parse::<usize>().ok()) {
        body.truncate(n);
    }
    (status, headers, body)
}

fn header_of<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `%E7%85%A7…` for a name, as the web client sends it in `X-Filename`.
fn percent(name: &str) -> String {
    name.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// `%XX` escapes back to the UTF-8 text they encode.
fn decode(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() + 1 {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn with(l: &serve::Login) -> [(&str, &str); 2] {
    [
        ("Cookie", l.cookie.as_str()),
        ("X-CSRF-Token", l.csrf.as_str()),
    ]
}

fn post_json(s: &serve::Server, l: &serve::Login, path: &str, body: Value) -> serve::Reply {
    let text = body.to_string();
    let h = with(l);
    serve::request(
        &s.http,
        "POST",
        path,
        &[h[0], h[1], ("Content-Type", "application/json")],
        text.as_bytes(),
    )
}

fn get_json(s: &serve::Server, l: &serve::Login, path: &str) -> Value {
    let r = serve::request(&s.http, "GET", path, &[("Cookie", l.cookie.as_str())], b"");
    assert_eq!(
        r.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&r.body)
    );
    r.json()
}

fn allowed(v: &Value) -> Vec<String> {
    v["allowed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn evidence_named_in_chinese_uploads_and_downloads_byte_identical_and_acts_follow_role_and_state() {
    let dir = temp_dir("ledger-supervision");
    let d = dir.to_str().unwrap();
    user(d, "jt", "department", Some("市交通运输局"));
    user(d, "gx", "department", Some("市科学技术和工业信息化局"));
    user(d, "sthj", "bureau", Some("市生态环境局"));
    user(d, "wk", "township", Some("wangkou"));
    let s = serve::Server::start(d, &[]);
    let pw = "correct horse battery";
    let [jt, gx, sthj, wk] = ["jt", "gx", "sthj", "wk"].map(|u| serve::login(&s.http, u, pw));

    // An empty report is refused, saying why; so is a confirmation without evidence.
    let r = post_json(
        &s,
        &gx,
        "/api/v1/ledger/M21/events",
        serde_json::json!({ "action": "report", "text": "  " }),
    );
    assert_eq!(r.status, 400);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("报送进展需要填写进展情况"),
        "{}",
        r.json()
    );
    let r = post_json(
        &s,
        &gx,
        "/api/v1/ledger/M21/events",
        serde_json::json!({ "action": "report", "text": "已排查 12 家企业" }),
    );
    assert_eq!(r.status, 200);
    let r = post_json(
        &s,
        &gx,
        "/api/v1/ledger/M21/events",
        serde_json::json!({ "action": "confirm", "text": "已完成" }),
    );
    assert_eq!(r.status, 400);

    // Evidence with a Chinese name (the browser's usual case): stored, listed and read back
    // byte for byte under the name it had.
    let name = "整改验收照片（王口镇）.png";
    let h = with(&gx);
    let x = percent(name);
    let (status, _, body) = raw(
        &s.http,
        "POST",
        "/api/v1/ledger/M21/evidence",
        &[
            h[0],
            h[1],
            ("Content-Type", "application/octet-stream"),
            ("X-Filename", x.as_str()),
        ],
        PNG,
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let stored: Value = serde_json::from_slice(&body).unwrap();
    let file = stored["file"].as_str().unwrap().to_owned();
    assert!(file.ends_with("-整改验收照片（王口镇）.png"), "{file}");
    assert!(!file.ends_with(".png.png"));
    let m = get_json(&s, &sthj, "/api/v1/ledger/M21");
    let listed = &m["evidence"][0];
    assert_eq!(
        (
            listed["name"].as_str(),
            listed["kind"].as_str(),
            listed["bytes"].as_u64()
        ),
        (Some(name), Some("png"), Some(PNG.len() as u64))
    );
    let url = format!("/api/v1/ledger/M21/evidence?file={}", percent(&file));
    for (query, disposition) in [("", "inline"), ("&download=1", "attachment")] {
        let (status, headers, bytes) = raw(
            &s.http,
            "GET",
            &format!("{url}{query}"),
            &[("Cookie", jt.cookie.as_str())],
            b"",
        );
        assert_eq!(status, 200);
        assert_eq!(bytes, PNG, "byte-identical");
        assert_eq!(header_of(&headers, "content-type"), Some("image/png"));
        let cd = header_of(&headers, "content-disposition").unwrap();
        assert!(cd.starts_with(disposition), "{cd}");
        // The name as uploaded, UTF-8 (RFC 6266 `filename*`), decoded independently.
        let encoded = cd.split("filename*=UTF-8''").nth(1).unwrap_or("");
        assert_eq!(decode(encoded), name, "{cd}");
    }
    // The public gets no file; a name that is not in the history is not read.
    assert_eq!(raw(&s.http, "GET", &url, &[], b"").0, 401);
    let sneaky = "/api/v1/ledger/M21/evidence?file=..%2F..%2Flantian.db";
    assert_eq!(
        raw(
            &s.http,
            "GET",
            sneaky,
            &[("Cookie", jt.cookie.as_str())],
            b""
        )
        .0,
        404
    );

    // What each reader is offered, by role and state.
    // (who, measure state, offered)
    let offered = |l: &serve::Login| allowed(&get_json(&s, l, "/api/v1/ledger/M21"));
    assert_eq!(
        offered(&gx),
        ["report", "confirm", "evidence"],
        "the lead, in progress"
    );
    assert_eq!(offered(&jt), ["report", "evidence"], "a supporting unit");
    assert_eq!(
        offered(&sthj),
        ["report", "confirm", "evidence", "correct"],
        "the bureau"
    );
    assert_eq!(
        offered(&wk),
        ["report", "confirm", "evidence"],
        "a township: its own part"
    );
    let r = post_json(
        &s,
        &gx,
        "/api/v1/ledger/M21/events",
        serde_json::json!({ "action": "confirm", "text": "已完成" }),
    );
    assert_eq!(r.status, 200, "{}", r.json());
    assert_eq!(
        offered(&gx),
        ["evidence"],
        "completed: the lead may still add evidence before the bureau's 销号"
    );
    assert_eq!(offered(&sthj), ["close", "reopen", "evidence", "correct"]);
    let r = post_json(
        &s,
        &sthj,
        "/api/v1/ledger/M21/events",
        serde_json::json!({ "action": "close", "text": "经核查已完成" }),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        offered(&sthj),
        ["reopen", "correct"],
        "closed: no evidence, no close"
    );
    let h = with(&gx);
    let (status, _, _) = raw(
        &s.http,
        "POST",
        "/api/v1/ledger/M21/evidence",
        &[h[0], h[1], ("X-Filename", "a.png")],
        PNG,
    );
    assert_eq!(status, 409, "nothing is attached to a closed item");

    // A township's own list: every measure every township carries, with its own part's status.
    let mine = get_json(&s, &wk, "/api/v1/ledger?mine=1&per_page=100");
    assert_eq!(mine["total"], 53);
    let r = post_json(
        &s,
        &wk,
        "/api/v1/ledger/M22/events",
        serde_json::json!({ "action": "report", "text": "王口镇已部署" }),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["part"], "unit:wangkou");
    let mine = get_json(&s, &wk, "/api/v1/ledger?mine=1&per_page=100");
    let m22 = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "M22")
        .unwrap();
    // Its own part's status (in progress, or 逾期 once past the deadline), not the lead's.
    let part = get_json(&s, &wk, "/api/v1/ledger/M22")["parts"]["townships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "wangkou")
        .unwrap()["status"]
        .clone();
    assert!(
        matches!(part.as_str(), Some("in_progress" | "overdue")),
        "{part}"
    );
    assert_eq!(m22["own_part_status"], part);
    assert!(
        m22["latest_report"]
            .as_str()
            .unwrap()
            .contains("王口镇已部署"),
        "{m22}"
    );

    // The per-unit statistics equal a count of the list (departments by the measures they lead).
    let list = get_json(&s, &sthj, "/api/v1/ledger?per_page=100");
    let stats = get_json(&s, &sthj, "/api/v1/ledger-stats?per_page=1000");
    let rows = stats["items"].as_array().unwrap();
    for unit in ["市科学技术和工业信息化局", "市交通运输局", "市公安局"] {
        let led: Vec<&Value> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| {
                m["lead_units"]
                    .as_str()
                    .unwrap()
                    .split('、')
                    .any(|u| u == unit)
            })
            .collect();
        let count = |s: &str| led.iter().filter(|m| m["status"] == s).count() as u64;
        let row = rows
            .iter()
            .find(|r| r["unit"] == unit)
            .unwrap_or_else(|| panic!("{unit}"));
        assert_eq!(row["total"].as_u64(), Some(led.len() as u64), "{unit}");
        for (col, status) in [
            ("overdue", "overdue"),
            ("completed", "completed"),
            ("closed", "closed"),
        ] {
            assert_eq!(row[col].as_u64(), Some(count(status)), "{unit} {col}");
        }
    }
    let wk_row = rows.iter().find(|r| r["unit"] == "wangkou").unwrap();
    assert_eq!(wk_row["total"], 53);
}

/// Reminders and the content rules through the application layer, on one store.
fn story(store: Arc<Store>, data_dir: std::path::PathBuf) {
    County::xinji().install(&store, 1_000).unwrap();
    // 2026-11-10 12:00 Beijing time: past M21's default deadline (2025-12-31).
    let app = App::new(
        store,
        Clock::Fixed {
            unix_ms: 1_794_283_200_000,
        },
        Arc::new(County::xinji()),
        Some(data_dir),
    );
    let who = |name: &str, role: Role, unit: &str, kind: UnitKind| {
        Caller::Account(Account {
            username: name.into(),
            role,
            unit_id: Some(unit.into()),
            unit_kind: Some(kind),
            source: "test".into(),
        })
    };
    let bureau = who("sthj", Role::Bureau, "市生态环境局", UnitKind::Department);
    let gx = who(
        "gx",
        Role::Department,
        "市科学技术和工业信息化局",
        UnitKind::Department,
    );
    let wk = who("wk", Role::Township, "wangkou", UnitKind::Town);
    let sent = supervision::remind(
        &app,
        &bureau,
        "M21",
        None,
        ReminderKind::Urge,
        "逾期未报，请于三日内报送",
    )
    .unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].kind_zh, sent[0].unit.as_str()),
        ("催办", "市科学技术和工业信息化局")
    );
    supervision::remind(
        &app,
        &bureau,
        "M21",
        Some("wangkou"),
        ReminderKind::Supervise,
        "请王口镇落实分担任务",
    )
    .unwrap();
    let open = |c: &Caller| {
        supervision::reminders(
            &app,
            c,
            &ReminderFilter {
                measure: Some("M21".into()),
                open_only: true,
            },
        )
        .unwrap()
        .into_iter()
        .map(|r| r.unit)
        .collect::<Vec<_>>()
    };
    assert_eq!(
        open(&bureau),
        ["wangkou", "市科学技术和工业信息化局"],
        "newest first"
    );
    assert_eq!(open(&gx), ["市科学技术和工业信息化局"]);
    assert_eq!(open(&wk), ["wangkou"]);
    assert!(matches!(
        supervision::acknowledge(&app, &gx, sent[0].id + 1, ""),
        Err(AppError::Forbidden(_))
    ));
    supervision::acknowledge(&app, &gx, sent[0].id, "已安排专人").unwrap();
    assert!(matches!(
        supervision::acknowledge(&app, &gx, sent[0].id, ""),
        Err(AppError::Conflict(_))
    ));
    assert!(open(&gx).is_empty());
    let stats = unit_stats(&app, &bureau).unwrap();
    let n = |u: &str| stats.iter().find(|s| s.unit == u).unwrap().open_reminders;
    assert_eq!(
        (n("市科学技术和工业信息化局"), n("wangkou")),
        (Some(0), Some(1))
    );
    assert_eq!(
        stats
            .iter()
            .find(|s| s.unit == "市科学技术和工业信息化局")
            .unwrap()
            .overdue,
        stats
            .iter()
            .find(|s| s.unit == "市科学技术和工业信息化局")
            .unwrap()
            .total,
        "November 2026: every measure it leads is past the plan's end"
    );
    // The township's part: its own evidence, then its confirmation.
    let confirm = |c: &Caller| ledger::act(&app, c, "M21", Action::Confirm, None, "王口镇已完成");
    assert!(matches!(confirm(&wk), Err(AppError::BadRequest(_))));
    ledger::evidence(&app, &wk, "M21", "王口镇验收.pdf", b"%PDF-1.4 wk").unwrap();
    assert_eq!(confirm(&wk).unwrap().part.as_deref(), Some("unit:wangkou"));
    let log = app.store.audit_events(50).unwrap();
    let actions: Vec<&str> = log.iter().map(|r| r.action.as_str()).collect();
    for a in [
        "ledger.remind",
        "ledger.remind.ack",
        "ledger.evidence",
        "ledger.confirm",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

#[test]
fn reminders_are_sent_seen_acknowledged_once_and_audited_on_sqlite() {
    let dir = temp_dir("ledger-reminders-sqlite");
    story(Arc::new(Store::open_data_dir(&dir).unwrap()), dir);
}

#[test]
fn reminders_are_sent_seen_acknowledged_once_and_audited_on_postgres() {
    let Some(base) = pg_url() else {
        not_run("ledger reminders on PostgreSQL (set LANTIAN_TEST_PG_URL)");
        return;
    };
    let db = PgDb::create(&base, "ledger_reminders");
    let dir = temp_dir("ledger-reminders-pg");
    story(
        Arc::new(Store::open(&lantian_store::Location::Postgres(db.url.clone())).unwrap()),
        dir,
    );
}
