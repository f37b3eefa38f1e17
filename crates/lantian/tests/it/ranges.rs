//! Hostile range and paging parameters against the real server: every one is a 400 whose
//! message names what is wrong, never an overflow, a panic (a debug build's checked
//! arithmetic would end the connection) or a whole history.

use super::serve::{Server, login, request};
use super::{lantian_ok, temp_dir};

const I64_MAX: &str = "9223372036854775807";
const I64_MIN: &str = "-9223372036854775808";
const I64_PAST: &str = "9223372036854775808";
const U64_MAX: &str = "18446744073709551615";
const U64_PAST: &str = "18446744073709551616";

/// Each route with hostile values of its range and paging parameters, and a word the
/// refusal must contain (the parameter, or the limit it breaks).
fn cases() -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    let mut add = |path: &str, query: String, word: &'static str| {
        out.push((format!("/api/v1{path}?{query}"), word));
    };
    // Spans of days: from/to (dates), days (a count).
    let days_routes = [
        "/stations/R-1/series",
        "/daily-aqi",
        "/query",
        "/outlets/O-1/emissions",
        "/enterprises/E1/emissions",
        "/enterprises/E1/working-condition",
        "/enterprises/E1/vehicles",
    ];
    for r in days_routes {
        add(r, format!("from=-1&to={I64_MAX}"), "from");
        add(r, format!("from=2026-11-01&to={I64_MAX}"), "to");
        add(r, "from=0000-01-01&to=9999-12-31".into(), "400 days");
        add(r, "from=2026-11-10&to=2026-11-01".into(), "from");
        add(r, "from=2026-02-30&to=2026-03-01".into(), "from");
        add(r, format!("from={I64_MIN}&to=2026-11-01"), "from");
    }
    for r in ["/stations/R-1/series", "/daily-aqi"] {
        for d in [I64_MAX, I64_MIN, "0", "-1", "401"] {
            add(r, format!("days={d}"), "days");
        }
        add(r, format!("days={I64_PAST}"), "days");
    }
    // Months of clean-transport shares.
    let shares = "/enterprises/E1/vehicles/shares";
    add(shares, "from=0000-01&to=9999-12".into(), "120");
    add(shares, "from=2026-11&to=2026-01".into(), "120");
    add(shares, format!("from=-1&to={I64_MAX}"), "from");
    // Years and months of assessments and rankings.
    for r in ["/assessment", "/rankings"] {
        for (y, m) in [
            ("2147483647", "1"),
            ("-2147483648", "1"),
            ("99999999999", "1"),
            ("2026", "4294967296"),
            ("2026", "0"),
            ("2026", "13"),
            ("1999", "1"),
        ] {
            add(
                r,
                format!("year={y}&month={m}"),
                if y == "99999999999" || m == "4294967296" {
                    "query string"
                } else {
                    "year"
                },
            );
        }
    }
    // Pages of every paged list.
    for r in [
        "/stations",
        "/units",
        "/devices",
        "/ledger",
        "/enterprises",
        "/audit",
        "/users",
        "/admin/audit",
        "/alerts/inbox",
        "/alerts/deliveries",
        "/alarms",
        "/work-orders",
        "/stations/R-1/corrections",
        "/operations/rates",
        "/operations/devices",
        "/device-commands",
        "/device-control",
        "/device-keys",
        "/logger-serials",
        "/complaints",
        "/tasks",
        "/cases",
        "/credit",
        "/credit/public",
        "/declarations",
        "/warnings",
        "/notices",
        "/sanluanwu",
        "/sites",
        "/machinery",
        "/apikeys",
        "/reports/files",
        "/admin/stations",
        "/enterprises/status",
        "/ledger-reminders",
    ] {
        add(r, format!("page={U64_MAX}&per_page=1000"), "page");
        add(r, format!("page={U64_PAST}"), "page");
        add(r, "page=0".into(), "page");
        add(r, "page=-1".into(), "page");
        add(r, "per_page=0".into(), "per_page");
        add(r, "per_page=1001".into(), "per_page");
        add(r, format!("per_page={U64_PAST}"), "per_page");
    }
    add(
        "/outlets/O-1/emissions",
        format!("from=2026-11-01&to=2026-11-02&page={U64_MAX}&per_page=1000"),
        "page",
    );
    // Single days.
    add("/enterprises/status", "date=-1".into(), "date");
    add("/reduction-list", format!("day={I64_MAX}"), "day");
    add("/ledger", "deadline_before=-1".into(), "deadline_before");
    out
}

#[test]
fn hostile_ranges_and_pages_get_a_400_that_says_what_is_wrong() {
    let dir = temp_dir("ranges");
    let d = dir.to_str().unwrap();
    for args in [
        &[
            "station",
            "add",
            "--data-dir",
            d,
            "--id",
            "R-1",
            "--name",
            "r",
            "--role",
            "assessment",
            "--unit",
            "xinji",
        ][..],
        &[
            "enterprise",
            "add",
            "--data-dir",
            d,
            "--id",
            "E1",
            "--name",
            "e",
        ][..],
        &[
            "outlet",
            "add",
            "--data-dir",
            d,
            "--enterprise",
            "E1",
            "--id",
            "O-1",
            "--name",
            "o",
        ][..],
    ] {
        lantian_ok(args);
    }
    let s = Server::start(d, &[]);
    let pw = s
        .password
        .clone()
        .expect("the first start's admin password");
    let admin = login(&s.http, "admin", &pw);
    let headers = [("Cookie", admin.cookie.as_str())];
    let mut wrong = Vec::new();
    let cases = cases();
    for (uri, word) in &cases {
        let r = request(&s.http, "GET", uri, &headers, b"");
        let message = r.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if r.status != 400 || !message.contains(word) {
            wrong.push(format!(
                "GET {uri}: {} {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            ));
        }
    }
    // A warning's id that is no 64-bit integer is a JSON 400 too.
    for id in [I64_PAST, U64_PAST, "1e3", "-"] {
        let uri = format!("/api/v1/warnings/{id}");
        let r = request(&s.http, "GET", &uri, &headers, b"");
        if r.status != 400 || !r.json()["error"]["message"].is_string() {
            wrong.push(format!(
                "GET {uri}: {} {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} hostile requests:\n{}",
        wrong.len(),
        cases.len() + 4,
        wrong.join("\n")
    );
    // The server is still there and well.
    assert_eq!(request(&s.http, "GET", "/healthz", &[], b"").body, b"ok");
}
