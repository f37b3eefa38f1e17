//! Web accounts on the real server: the login throttle keyed on the socket's peer (and
//! `X-Forwarded-For` only from a trusted proxy), an attacker's many addresses against the
//! owner's known one, parallel attempts, the initial password, sessions ended by a password
//! change or by disabling, administrators' account controls, security headers and cookies.

use crate::serve::Server;
use crate::temp_dir;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// An HTTP answer with every header (names lower-cased).
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn message(&self) -> String {
        self.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// One HTTP/1.1 request on a fresh connection.
fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body.as_bytes()).unwrap();
    let mut reader = BufReader::new(s);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("{method} {path}: bad status line {line:?}"));
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).unwrap();
    Answer {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

/// A session: the cookie (`name=value`) and the CSRF token.
#[derive(Clone)]
struct Session {
    cookie: String,
    csrf: String,
    must_change: bool,
}

/// Logs in from `forwarded` (an `X-Forwarded-For`, or none); the answer and, on 200, the
/// session.
fn try_login(
    addr: &str,
    user: &str,
    password: &str,
    forwarded: Option<&str>,
) -> (Answer, Option<Session>) {
    let body = json!({ "username": user, "password": password }).to_string();
    let headers: Vec<(&str, &str)> = forwarded
        .map(|f| vec![("X-Forwarded-For", f)])
        .unwrap_or_default();
    let a = http(addr, "POST", "/api/v1/login", &headers, &body);
    let session = (a.status == 200).then(|| Session {
        cookie: a
            .header("set-cookie")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned(),
        csrf: a.body["user"]["csrf"].as_str().unwrap().to_owned(),
        must_change: a.body["user"]["must_change_password"] == true,
    });
    (a, session)
}

fn login_ok(addr: &str, user: &str, password: &str) -> Session {
    let (a, s) = try_login(addr, user, password, None);
    s.unwrap_or_else(|| panic!("login {user}: {} {}", a.status, a.body))
}

/// A request of a session (with its CSRF token).
fn call(addr: &str, s: &Session, method: &str, path: &str, body: &str) -> Answer {
    http(
        addr,
        method,
        path,
        &[("Cookie", &s.cookie), ("X-CSRF-Token", &s.csrf)],
        body,
    )
}

fn change_password(addr: &str, s: &Session, old: &str, new: &str) -> Answer {
    let body = json!({ "old": old, "new": new }).to_string();
    call(addr, s, "POST", "/api/v1/password", &body)
}

/// A fresh server and its administrator's one-time password.
fn server(tag: &str, extra: &[&str]) -> (Server, String, std::path::PathBuf) {
    let dir = temp_dir(tag);
    let s = Server::start(dir.to_str().unwrap(), extra);
    let pw = s
        .password
        .clone()
        .expect("first start prints the admin password");
    (s, pw, dir)
}

/// The administrator logged in with its initial password changed to `new`.
fn admin(addr: &str, initial: &str, new: &str) -> Session {
    let s = login_ok(addr, "admin", initial);
    assert!(
        s.must_change,
        "the first-start admin must change its password"
    );
    let c = change_password(addr, &s, initial, new);
    assert_eq!(c.status, 200, "{}", c.body);
    Session {
        must_change: false,
        ..s
    }
}

fn audit_actions(addr: &str, admin: &Session) -> Vec<String> {
    let a = call(addr, admin, "GET", "/api/v1/audit?per_page=1000", "");
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn forwarded_for_from_an_untrusted_peer_does_not_change_the_throttle_key() {
    let (s, pw, _dir) = server("acct-xff", &[]);
    let mut statuses = Vec::new();
    for i in 1..=11 {
        let xff = format!("203.0.113.{i}");
        let (a, _) = try_login(&s.http, "admin", "wrong password", Some(&xff));
        if a.status == 429 {
            let wait: u64 = a.header("retry-after").unwrap().parse().unwrap();
            assert!(wait > 0 && wait <= 15 * 60, "{wait}");
            assert!(a.message().contains("too many failed logins"), "{}", a.body);
        }
        statuses.push(a.status);
    }
    assert_eq!(
        statuses,
        [403, 403, 403, 403, 403, 429, 429, 429, 429, 429, 429],
        "one key for one peer, whatever X-Forwarded-For says"
    );
    let (a, _) = try_login(&s.http, "admin", &pw, Some("198.51.100.1"));
    assert_eq!(
        a.status, 429,
        "even the right password waits at that address"
    );
}

#[test]
fn an_attacker_with_many_addresses_cannot_lock_the_owner_out_of_a_known_address() {
    // The test is the trusted proxy: its X-Forwarded-For stands for the client's address.
    let (s, pw, _dir) = server("acct-many", &["--trusted-proxy", "127.0.0.1"]);
    let owner = "192.0.2.10";
    let (a, first) = try_login(&s.http, "admin", &pw, Some(owner));
    assert_eq!(a.status, 200, "{}", a.body);
    let new_pw = "the owner's password 1";
    assert_eq!(
        change_password(&s.http, &first.unwrap(), &pw, new_pw).status,
        200
    );
    // Eight addresses, five wrong passwords each: the account's allowance for unknown
    // addresses (30) runs out before they are done.
    let (mut wrong, mut slowed) = (0, 0);
    for host in 1..=8 {
        for _ in 0..5 {
            let xff = format!("203.0.113.{host}");
            let (a, _) = try_login(&s.http, "admin", "a guess", Some(&xff));
            match a.status {
                403 => wrong += 1,
                429 => {
                    assert!(a.message().contains("new addresses"), "{}", a.body);
                    slowed += 1;
                }
                other => panic!("{other}: {}", a.body),
            }
        }
    }
    assert!(
        (30..=32).contains(&wrong),
        "{wrong} wrong passwords were checked"
    );
    assert_eq!(wrong + slowed, 40);
    // An address that names the owner's further left is still the attacker's.
    let (a, _) = try_login(
        &s.http,
        "admin",
        "a guess",
        Some(&format!("{owner}, 203.0.113.99")),
    );
    assert_eq!(a.status, 429, "{}", a.body);
    // The owner, from the address where it logged in before, is let in.
    let (a, owner_session) = try_login(&s.http, "admin", new_pw, Some(owner));
    assert_eq!(a.status, 200, "{}", a.body);
    // Every attempt is audited with the address it came from.
    let log = call(
        &s.http,
        &owner_session.unwrap(),
        "GET",
        "/api/v1/audit?per_page=1000",
        "",
    );
    let rows: Vec<(String, String)> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let f = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            (f("action"), f("source"))
        })
        .collect();
    let from = |action: &str, source: &str| {
        rows.iter()
            .filter(|(a, s)| a == action && s == source)
            .count()
    };
    assert_eq!(from("login", owner), 2, "{rows:?}");
    assert_eq!(from("login.failed", "203.0.113.1"), 5, "{rows:?}");
    // The change came through the proxy without a forwarded address: the proxy's.
    assert_eq!(from("password.change", "127.0.0.1"), 1, "{rows:?}");
    // Only the first administrator, created by the system at first start, has none.
    assert_eq!(
        rows.iter().filter(|(_, s)| s.is_empty()).count(),
        from("user.create", ""),
        "{rows:?}"
    );
    assert_eq!(from("user.create", ""), 1, "{rows:?}");
}

#[test]
fn parallel_wrong_passwords_beyond_the_limit_are_refused() {
    let (s, _pw, _dir) = server("acct-parallel", &[]);
    let addr = s.http.clone();
    let threads: Vec<_> = (0..20)
        .map(|_| {
            let addr = addr.clone();
            std::thread::spawn(move || try_login(&addr, "admin", "wrong password", None).0.status)
        })
        .collect();
    let mut statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [vec![403; 5], vec![429; 15]].concat(),
        "counted before the hash: five checked, fifteen refused"
    );
}

#[test]
fn an_initial_password_is_changed_before_anything_else() {
    let (s, pw, _dir) = server("acct-must", &[]);
    let a = login_ok(&s.http, "admin", &pw);
    assert!(a.must_change);
    for (method, path, body) in [
        ("GET", "/api/v1/audit", ""),
        ("GET", "/api/v1/devices", ""),
        ("GET", "/api/v1/users", ""),
        (
            "POST",
            "/api/v1/users",
            r#"{"username":"x1","password":"0123456789ab","role":"bureau"}"#,
        ),
    ] {
        let r = call(&s.http, &a, method, path, body);
        assert_eq!(r.status, 403, "{method} {path}: {}", r.body);
        assert_eq!(
            r.message(),
            "须先修改初始密码 / must change the initial password first"
        );
    }
    let me = call(&s.http, &a, "GET", "/api/v1/me", "");
    assert_eq!(
        (me.status, me.body["user"]["must_change_password"].clone()),
        (200, Value::Bool(true))
    );
    assert_eq!(
        change_password(&s.http, &a, "not it", "a new password 1").status,
        403
    );
    assert_eq!(
        change_password(&s.http, &a, &pw, "a new password 1").status,
        200
    );
    let r = call(&s.http, &a, "GET", "/api/v1/audit", "");
    assert_eq!(r.status, 200, "{}", r.body);
    let actions = audit_actions(&s.http, &a);
    assert!(
        actions.contains(&"password.change.failed".to_owned()),
        "{actions:?}"
    );
    // A new account created by the administrator must change its password too.
    let body = json!({ "username": "bureau1", "password": "initial pw 12", "role": "bureau" });
    assert_eq!(
        call(&s.http, &a, "POST", "/api/v1/users", &body.to_string()).status,
        200
    );
    let b = login_ok(&s.http, "bureau1", "initial pw 12");
    assert!(b.must_change);
    assert_eq!(call(&s.http, &b, "GET", "/api/v1/audit", "").status, 403);
    let out = call(&s.http, &b, "POST", "/api/v1/logout", "");
    assert_eq!(out.status, 200, "logging out is allowed: {}", out.body);
    assert!(audit_actions(&s.http, &a).contains(&"logout".to_owned()));
}

#[test]
fn a_password_change_ends_the_accounts_other_sessions() {
    let (s, pw, _dir) = server("acct-others", &[]);
    let first = admin(&s.http, &pw, "second password 2");
    let other = login_ok(&s.http, "admin", "second password 2");
    let third = login_ok(&s.http, "admin", "second password 2");
    for x in [&first, &other, &third] {
        assert_eq!(call(&s.http, x, "GET", "/api/v1/me", "").status, 200);
    }
    assert_eq!(
        change_password(&s.http, &other, "second password 2", "third password 3").status,
        200
    );
    let me = |x: &Session| call(&s.http, x, "GET", "/api/v1/me", "").status;
    assert_eq!(
        (me(&first), me(&other), me(&third)),
        (401, 200, 401),
        "only the session that changed it stays"
    );
    let (a, _) = try_login(&s.http, "admin", "second password 2", None);
    assert_eq!(a.status, 403, "the old password is gone");
    login_ok(&s.http, "admin", "third password 3");
}

#[test]
fn administrators_list_disable_and_re_role_accounts() {
    let (s, pw, _dir) = server("acct-admin", &[]);
    let a = admin(&s.http, &pw, "admin password 1");
    let body = json!({ "username": "ops1", "password": "initial pw 12", "role": "operations" });
    assert_eq!(
        call(&s.http, &a, "POST", "/api/v1/users", &body.to_string()).status,
        200
    );
    let o = login_ok(&s.http, "ops1", "initial pw 12");
    assert_eq!(
        change_password(&s.http, &o, "initial pw 12", "ops password 1").status,
        200
    );
    // The list.
    let list = call(&s.http, &a, "GET", "/api/v1/users", "");
    assert_eq!(list.status, 200, "{}", list.body);
    let row = |l: &Answer, name: &str| {
        l.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} not in {}", l.body))
    };
    let r = row(&list, "ops1");
    assert_eq!(
        (r["role"].as_str(), r["disabled"].as_bool()),
        (Some("operations"), Some(false))
    );
    assert_eq!(
        call(&s.http, &o, "GET", "/api/v1/users", "").status,
        403,
        "not for operations"
    );
    // Another role counts at the session's next request.
    assert_eq!(call(&s.http, &o, "GET", "/api/v1/audit", "").status, 403);
    let r = call(
        &s.http,
        &a,
        "POST",
        "/api/v1/users/ops1/role",
        r#"{"role":"bureau"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        call(&s.http, &o, "GET", "/api/v1/me", "").body["user"]["role"],
        "bureau"
    );
    assert_eq!(call(&s.http, &o, "GET", "/api/v1/audit", "").status, 200);
    let r = call(
        &s.http,
        &a,
        "POST",
        "/api/v1/users/ops1/role",
        r#"{"role":"township","unit":"atlantis"}"#,
    );
    assert_eq!(r.status, 400, "a unit not of this county: {}", r.body);
    // Disabled: its session ends at once and it cannot log in.
    assert_eq!(
        call(&s.http, &a, "POST", "/api/v1/users/ops1/disable", "").status,
        200
    );
    assert_eq!(call(&s.http, &o, "GET", "/api/v1/me", "").status, 401);
    let (l, _) = try_login(&s.http, "ops1", "ops password 1", None);
    assert_eq!(l.status, 403);
    assert!(l.message().contains("disabled"), "{}", l.body);
    let list = call(&s.http, &a, "GET", "/api/v1/users", "");
    assert_eq!(row(&list, "ops1")["disabled"], true);
    assert_eq!(
        call(&s.http, &a, "POST", "/api/v1/users/ops1/enable", "").status,
        200
    );
    login_ok(&s.http, "ops1", "ops password 1");
    // The last enabled administrator stays one.
    for (path, body) in [
        ("/api/v1/users/admin/disable", ""),
        ("/api/v1/users/admin/role", r#"{"role":"bureau"}"#),
    ] {
        let r = call(&s.http, &a, "POST", path, body);
        assert_eq!(r.status, 409, "{path}: {}", r.body);
        assert!(
            r.message().contains("last enabled administrator"),
            "{}",
            r.body
        );
    }
    // With a second administrator, the first may step down.
    let r = call(
        &s.http,
        &a,
        "POST",
        "/api/v1/users/ops1/role",
        r#"{"role":"admin"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = call(
        &s.http,
        &a,
        "POST",
        "/api/v1/users/admin/role",
        r#"{"role":"bureau"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        call(&s.http, &a, "GET", "/api/v1/users", "").status,
        403,
        "now of the bureau"
    );
    // A state change without the CSRF token is refused and audited.
    let r = http(
        &s.http,
        "POST",
        "/api/v1/users/ops1/disable",
        &[("Cookie", &a.cookie)],
        "",
    );
    assert_eq!(r.status, 403);
    let o = login_ok(&s.http, "ops1", "ops password 1");
    let actions = audit_actions(&s.http, &o);
    for want in [
        "user.create",
        "user.role",
        "user.role.refused",
        "user.disable",
        "user.disable.refused",
        "user.enable",
        "csrf.refused",
    ] {
        assert!(
            actions.iter().any(|x| x == want),
            "{want} not in {actions:?}"
        );
    }
    // A refused change is recorded as refused, never as done.
    let n = |want: &str| actions.iter().filter(|x| *x == want).count();
    assert_eq!(
        (n("user.role"), n("user.role.refused")),
        (3, 1),
        "{actions:?}"
    );
    assert_eq!(
        (n("user.disable"), n("user.disable.refused")),
        (1, 1),
        "{actions:?}"
    );
}

#[test]
fn every_response_carries_the_security_headers() {
    let (s, _pw, _dir) = server("acct-headers", &[]);
    for path in [
        "/",
        "/js/main.js",
        "/api/v1/county",
        "/api/v1/nothing",
        "/healthz",
        "/nothing",
    ] {
        let a = http(&s.http, "GET", path, &[], "");
        let csp = a
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("{path}: no CSP"));
        let script = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src"))
            .unwrap_or_else(|| panic!("{path}: {csp}"));
        assert_eq!(script, "script-src 'self'", "{path}");
        for d in [
            "default-src 'self'",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri",
        ] {
            assert!(csp.contains(d), "{path}: {d} not in {csp}");
        }
        assert_eq!(
            a.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(a.header("x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(a.header("referrer-policy"), Some("same-origin"), "{path}");
    }
}

#[test]
fn the_cookie_is_secure_and_host_prefixed_only_with_the_tls_setting() {
    for (tls, extra) in [(false, &[][..]), (true, &["--secure-cookies"][..])] {
        let (s, pw, _dir) = server(&format!("acct-cookie-{tls}"), extra);
        let (a, session) = try_login(&s.http, "admin", &pw, None);
        assert_eq!(a.status, 200);
        let c = a.header("set-cookie").unwrap().to_owned();
        let attrs: Vec<&str> = c.split(';').map(str::trim).collect();
        let name = if tls {
            "__Host-lantian_session="
        } else {
            "lantian_session="
        };
        assert!(attrs[0].starts_with(name), "{c}");
        for want in ["HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(attrs.contains(&want), "{want} not in {c}");
        }
        assert_eq!(attrs.contains(&"Secure"), tls, "{c}");
        assert!(!c.contains("Domain"), "{c}");
        // The browser sends it back under that name.
        let session = session.unwrap();
        assert_eq!(call(&s.http, &session, "GET", "/api/v1/me", "").status, 200);
        let out = call(&s.http, &session, "POST", "/api/v1/logout", "");
        let gone = out.header("set-cookie").unwrap();
        assert!(
            gone.starts_with(name) && gone.contains("Max-Age=0"),
            "{gone}"
        );
        assert_eq!(gone.contains("Secure"), tls, "{gone}");
    }
}

#[test]
fn the_console_disables_an_account_of_the_running_server_and_lists_it() {
    let (s, pw, dir) = server("acct-console", &[]);
    let a = admin(&s.http, &pw, "admin password 1");
    assert_eq!(call(&s.http, &a, "GET", "/api/v1/me", "").status, 200);
    let d = dir.to_str().unwrap();
    let add = ["user", "add", "--username", "root2", "--role", "admin"];
    crate::lantian_ok(
        &[
            &add[..],
            &["--password", "root password 1", "--data-dir", d],
        ]
        .concat(),
    );
    crate::lantian_ok(&["user", "disable", "admin", "--data-dir", d]);
    assert_eq!(
        call(&s.http, &a, "GET", "/api/v1/me", "").status,
        401,
        "the server's session ended with the account"
    );
    let o = crate::lantian(&["user", "role", "root2", "--role", "bureau", "--data-dir", d]);
    assert!(
        !o.status.success(),
        "root2 is the last enabled administrator"
    );
    assert!(
        crate::stderr(&o).contains("last enabled administrator"),
        "{}",
        crate::stderr(&o)
    );
    crate::lantian_ok(&["user", "enable", "admin", "--data-dir", d]);
    let rows = crate::json_lines(&crate::lantian_ok(&["user", "list", "--data-dir", d]));
    let names: Vec<(&str, bool)> = rows
        .iter()
        .map(|r| {
            (
                r["username"].as_str().unwrap(),
                r["disabled"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(names, [("admin", false), ("root2", false)]);
}
