//! `lantian serve` as a child process for the tests, and a small HTTP/1.1 client for its
//! API: a session login and requests with its cookie and CSRF token.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

/// The token the test servers read `/metrics` with (`LANTIAN_METRICS_TOKEN`).
pub const METRICS_TOKEN: &str = "test-metrics-token-0123456789";
pub const METRICS_BEARER: &str = "Bearer test-metrics-token-0123456789";

/// A running `lantian serve` on free ports, killed when dropped however the test ends.
pub struct Server {
    child: Child,
    /// The HJ 212 address and the HTTP address (`host:port`).
    pub hj: String,
    pub http: String,
    /// The administrator's one-time password, when this start created it.
    pub password: Option<String>,
}

impl Server {
    /// Starts `lantian serve --data-dir DIR` with `extra` arguments and waits for its
    /// addresses.
    pub fn start(dir: &str, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lantian"))
            .args([
                "serve",
                "--data-dir",
                dir,
                "--hj212",
                "127.0.0.1:0",
                "--http",
                "127.0.0.1:0",
            ])
            .args(extra)
            .env("LANTIAN_METRICS_TOKEN", METRICS_TOKEN)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (mut hj, mut http, mut password) = (String::new(), String::new(), None);
        while hj.is_empty() || http.is_empty() {
            let l = lines
                .next()
                .expect("lantian serve prints its addresses")
                .unwrap();
            if let Some(rest) = l.split("one-time password ").nth(1) {
                password = rest.split_whitespace().next().map(str::to_owned);
            }
            if let Some(a) = l.strip_prefix("hj212 listening on ") {
                hj = a.to_owned();
            }
            if let Some(a) = l.strip_prefix("http listening on http://") {
                http = a.to_owned();
            }
        }
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            hj,
            http,
            password,
        }
    }

    /// Kills the server with SIGKILL, as a power cut would, and waits for it.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.http)
    }

    /// A GET of the API, parsed as JSON; panics unless it answers 200.
    pub fn get(&self, path: &str) -> Value {
        let r = request(&self.http, "GET", path, &[], b"");
        assert_eq!(
            r.status,
            200,
            "GET {path}: {}",
            String::from_utf8_lossy(&r.body)
        );
        r.json()
    }

    /// A GET of the API with a session cookie (`Login::cookie`), parsed as JSON; panics
    /// unless it answers 200.
    pub fn get_as(&self, cookie: &str, path: &str) -> Value {
        let r = request(&self.http, "GET", path, &[("Cookie", cookie)], b"");
        assert_eq!(
            r.status,
            200,
            "GET {path}: {}",
            String::from_utf8_lossy(&r.body)
        );
        r.json()
    }

    /// Waits until the gateway's accepted packets are all queryable (projection lag 0).
    pub fn projected(&self) {
        let started = std::time::Instant::now();
        loop {
            let m = request(
                &self.http,
                "GET",
                "/metrics",
                &[("authorization", METRICS_BEARER)],
                b"",
            );
            if String::from_utf8_lossy(&m.body).contains("\nlantian_gateway_projection_lag 0\n") {
                return;
            }
            assert!(
                started.elapsed().as_secs() < 30,
                "the projection did not catch up"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer: its status, its Set-Cookie headers and its body.
pub struct Reply {
    pub status: u16,
    pub cookies: Vec<String>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`).
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
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
    let mut reader = BufReader::new(s);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("{method} {path}: bad status line {line:?}"));
    let (mut length, mut cookies) = (None, Vec::new());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.trim().eq_ignore_ascii_case("content-length") {
                length = v.trim().parse::<usize>().ok();
            } else if k.trim().eq_ignore_ascii_case("set-cookie") {
                cookies.push(v.trim().to_owned());
            }
        }
    }
    let mut body = Vec::new();
    match length {
        Some(n) => {
            body.resize(n, 0);
            reader.read_exact(&mut body).unwrap();
        }
        None => {
            reader.read_to_end(&mut body).unwrap();
        }
    }
    Reply {
        status,
        cookies,
        body,
    }
}

/// A logged-in account of the API: its session cookie and CSRF token.
pub struct Login {
    pub cookie: String,
    pub csrf: String,
}

/// Logs `name` in with `password`; a new account's initial password is changed first.
pub fn login(addr: &str, name: &str, password: &str) -> Login {
    let body = json!({ "username": name, "password": password }).to_string();
    let r = request(
        addr,
        "POST",
        "/api/v1/login",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "login {name}: {}", r.json());
    let cookie = r
        .cookies
        .iter()
        .find_map(|c| {
            let pair = c.split(';').next()?.trim();
            pair.starts_with("lantian_session=")
                .then(|| pair.to_owned())
        })
        .unwrap_or_else(|| panic!("login {name}: no session cookie in {:?}", r.cookies));
    let csrf = r.json()["user"]["csrf"].as_str().unwrap().to_owned();
    if r.json()["user"]["must_change_password"] == true {
        // A new account changes its initial password before it may change anything else.
        let body = json!({ "old": password, "new": format!("{password} (changed)") }).to_string();
        let headers = [
            ("Content-Type", "application/json"),
            ("Cookie", cookie.as_str()),
            ("X-CSRF-Token", csrf.as_str()),
        ];
        let c = request(addr, "POST", "/api/v1/password", &headers, body.as_bytes());
        assert_eq!(c.status, 200, "password change of {name}: {}", c.json());
    }
    Login { cookie, csrf }
}
