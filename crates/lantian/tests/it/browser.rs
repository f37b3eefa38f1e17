//! End-to-end in a real headless Chromium (Debian's chromium and chromium-driver): start
//! `lantian serve`, push data through the gateway with `lantian send`, log in, and check
//! that the overview, the map and a station chart show those values. Screenshots go to
//! `test-artifacts/`.

use super::serve::Server;
use super::*;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A minimal WebDriver client over HTTP/1.1.
struct Driver {
    port: u16,
    session: String,
}

fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Value {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let payload = body.map(Value::to_string).unwrap_or_default();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}", payload.len()).unwrap();
    // Read the head, then exactly Content-Length bytes (chromedriver may keep the socket open).
    let mut reader = BufReader::new(s);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.trim().eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).unwrap();
    let decoded = String::from_utf8_lossy(&body).into_owned();
    serde_json::from_str(&decoded).unwrap_or(Value::Null)
}

impl Driver {
    fn start(port: u16) -> Driver {
        let caps = json!({ "capabilities": { "alwaysMatch": { "browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--disable-quic", "--window-size=1280,900",
                     format!("--user-data-dir={}", temp_dir("chromium-profile").display())]
        } } } });
        let r = http(port, "POST", "/session", Some(&caps));
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {r}"))
            .to_owned();
        Driver { port, session }
    }

    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        if std::env::var_os("LANTIAN_WEBDRIVER_TRACE").is_some() {
            eprintln!("webdriver {method} {path}");
        }
        http(
            self.port,
            method,
            &format!("/session/{}{path}", self.session),
            body.as_ref(),
        )["value"]
            .clone()
    }

    fn go(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url })));
    }

    fn js(&self, script: &str) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
    }

    /// Polls `script` until it returns something truthy, or fails after 20 s.
    fn wait(&self, what: &str, script: &str) -> Value {
        let start = Instant::now();
        loop {
            let v = self.js(script);
            if !(v.is_null() || v == json!(false) || v == json!("") || v == json!(0)) {
                return v;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn element(&self, css: &str) -> String {
        let v = self.cmd(
            "POST",
            "/element",
            Some(json!({ "using": "css selector", "value": css })),
        );
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_owned()
    }

    fn type_into(&self, css: &str, text: &str) {
        let e = self.element(css);
        self.cmd(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({ "text": text })),
        );
    }

    fn click(&self, css: &str) {
        let e = self.element(css);
        self.cmd("POST", &format!("/element/{e}/click"), Some(json!({})));
    }

    fn screenshot(&self, name: &str) {
        let b64 = self.cmd("GET", "/screenshot", None);
        let png = base64_decode(b64.as_str().unwrap_or_default());
        assert!(png.starts_with(b"\x89PNG"), "a screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test-artifacts");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), png).unwrap();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = http(
            self.port,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        );
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let bits: Vec<u8> = s.bytes().filter_map(val).collect();
    bits.chunks(4)
        .flat_map(|c| {
            let n = c
                .iter()
                .enumerate()
                .fold(0u32, |a, (i, v)| a | (u32::from(*v) << (18 - 6 * i)));
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            bytes.into_iter().take(c.len().saturating_sub(1))
        })
        .collect()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn overview_map_and_station_chart_show_what_the_gateway_received() {
    if !std::path::Path::new("/usr/bin/chromedriver").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the browser test: scripts/test-all installs chromium-driver"
        );
        eprintln!(
            "NOT RUN: browser test (chromium-driver is not installed; scripts/test-all installs it)"
        );
        return;
    }
    let dir = temp_dir("browser");
    let d = dir.to_str().unwrap();
    let ok = |o: std::process::Output| {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr))
    };
    ok(lantian(&[
        "station",
        "add",
        "--data-dir",
        d,
        "--id",
        "XJ-01",
        "--name",
        "辛集镇监测站",
        "--unit",
        "xinji",
        "--role",
        "assessment",
        "--lat",
        "37.943",
        "--lon",
        "115.218",
    ]));
    ok(lantian(&[
        "device",
        "add",
        "--data-dir",
        d,
        "--mn",
        "010000A8900016F000169DC0",
        "--password",
        "123456",
        "--station",
        "XJ-01",
    ]));
    let server = Server::start(d, &[]);
    let pw = server
        .password
        .clone()
        .expect("the first start prints a one-time administrator password");
    let (hj, web) = (server.hj.clone(), server.url());

    eprintln!("browser test: Push a real day");
    // Push a real day of one CNEMC station through the gateway.
    let file = shared("cnemc-sample/china_sites_201901/china_sites_20190101.csv.gz");
    let sent = lantian(&[
        "send",
        "--to",
        &hj,
        "--mn",
        "010000A8900016F000169DC0",
        "--password",
        "123456",
        "--station",
        "1001A",
        file.to_str().unwrap(),
    ]);
    let report: Value = serde_json::from_slice(&sent.stdout).unwrap();
    assert_eq!(report["acknowledged"], report["sent"], "{report}");
    let n_hours = report["acknowledged"].as_u64().unwrap();
    assert!(n_hours >= 20);
    // The AQI the overview must show: the last hour of 1001A, scored independently here.
    let cnemc = lantian_formats::cnemc::read(
        std::io::BufReader::new(flate2::read::GzDecoder::new(
            std::fs::File::open(&file).unwrap(),
        )),
        "f",
        &mut lantian_formats::Diagnostics::default(),
    )
    .unwrap();
    let col = cnemc.stations.iter().position(|s| s == "1001A").unwrap();
    let last = cnemc
        .hours
        .iter()
        .rev()
        .find(|h| h.value(lantian_formats::cnemc::Kind::Pm25, col).is_some())
        .unwrap();
    let expected = lantian_core::aqi::realtime(
        &lantian_core::aqi::AqiOptions::for_date(last.date, lantian_core::rules::RuleChoice::Auto),
        &lantian_core::aqi::RealtimeInputs {
            hour: last.realtime_inputs(col).hour,
            ..Default::default()
        },
    )
    .aqi
    .unwrap();
    // The hour as CNEMC labels it (its end), in Beijing time.
    let last_label = format!("{} {:02}:00", last.date, last.hour);

    eprintln!("browser test: start chromedriver");
    let driver_port = free_port();
    // A browser in China: times must read the same whatever the browser's zone.
    let mut cd = Command::new("/usr/bin/chromedriver")
        .arg(format!("--port={driver_port}"))
        .env("TZ", "Asia/Shanghai")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", driver_port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let _cd = Killed(std::mem::replace(
        &mut cd,
        Command::new("true").spawn().unwrap(),
    ));
    let b = Driver::start(driver_port);

    eprintln!("browser test: Log in");
    // Log in.
    b.go(&format!("{web}/#/login"));
    b.wait(
        "the login form",
        "return document.querySelector('#login-form') !== null",
    );
    b.type_into("#username", "admin");
    b.type_into("#password", &pw);
    b.click("#login-form button");
    b.wait(
        "login",
        "return document.querySelector('#nav-login').textContent.includes('admin')",
    );

    eprintln!("browser test: Overview");
    // Overview: the city AQI from the assessment station.
    b.go(&format!("{web}/#/"));
    let shown = b.wait("the city AQI", "const t = document.querySelector('#city-aqi'); return t && t.textContent !== '…' ? t.textContent : null");
    assert!(
        shown.as_str().unwrap().starts_with(&expected.to_string()),
        "overview shows {shown}, expected AQI {expected}"
    );
    let overview_time = b.js("return document.querySelector('#city-aqi-time').textContent");
    assert_eq!(
        overview_time.as_str(),
        Some(format!("{last_label} 北京时间").as_str()),
        "the overview names the hour in Beijing time"
    );
    b.screenshot("overview.png");

    eprintln!("browser test: Map");
    // Map: the station marker, coloured by its AQI level.
    b.go(&format!("{web}/#/map"));
    let fill = b.wait("a station marker", "const m = document.querySelector('path.station-marker'); return m ? m.getAttribute('fill') : null");
    let level = lantian_core::aqi::Level::from_aqi(expected);
    assert_eq!(
        fill.as_str().unwrap().to_uppercase(),
        level.hex(),
        "marker colour"
    );
    let townships = b.js("return document.querySelectorAll('path.leaflet-interactive').length");
    assert!(
        townships.as_u64().unwrap() >= 17,
        "16 township polygons and a marker: {townships}"
    );
    b.screenshot("map.png");

    eprintln!("browser test: Station page");
    // Station page: the chart holds every acknowledged hour.
    b.go(&format!("{web}/#/station/XJ-01"));
    let points = b.wait("the chart", "const c = document.querySelector('#chart'); return c && c.dataset.points ? Number(c.dataset.points) : null");
    assert_eq!(points.as_u64(), Some(n_hours));
    assert!(
        b.js("return document.querySelector('#chart canvas') !== null")
            .as_bool()
            .unwrap()
    );
    // Hover the last point as a user would: the legend names its time.
    let legend = b.js(
        "const c = document.querySelector('#chart'); const u = c.uplot; const xs = u.data[0]; \
        u.setCursor({ left: u.valToPos(xs[xs.length - 1], 'x'), top: 10 }); \
        return c.querySelector('.u-legend .u-series:first-child .u-value').textContent",
    );
    assert_eq!(
        legend.as_str(),
        Some(last_label.as_str()),
        "the chart's last point"
    );
    let below = b.js("return document.querySelector('#chart-last-time').textContent");
    assert_eq!(
        below, overview_time,
        "chart and overview name the same hour"
    );
    b.screenshot("station.png");

    eprintln!("browser test: Ledger");
    b.go(&format!("{web}/#/ledger"));
    let rows = b.wait("the ledger", "const r = document.querySelectorAll('#ledger-table tbody tr'); return r.length > 1 ? r.length : null");
    assert_eq!(rows.as_u64(), Some(53), "the ledger lists the 53 measures");
    b.go(&format!("{web}/#/measure/M21"));
    let status = b.wait(
        "a measure page",
        "const s = document.querySelector('#measure-status'); return s ? s.textContent : null",
    );
    assert_eq!(status.as_str(), Some("未启动"));
    b.screenshot("ledger-measure.png");

    eprintln!("browser test: Phone screen");
    b.cmd(
        "POST",
        "/window/rect",
        Some(json!({ "width": 390, "height": 844 })),
    );
    b.go(&format!("{web}/#/"));
    b.wait("the overview on a phone", "const t = document.querySelector('#city-aqi'); return t && t.textContent !== '…' ? t.textContent : null");
    let overflow = b.js("return document.documentElement.scrollWidth - window.innerWidth");
    assert!(
        overflow.as_i64().unwrap_or(99) <= 1,
        "no sideways scrolling on a phone: {overflow}"
    );
    b.screenshot("phone-overview.png");
    b.cmd(
        "POST",
        "/window/rect",
        Some(json!({ "width": 1280, "height": 900 })),
    );

    eprintln!("browser test: English switch");
    // English switch.
    b.click("#lang");
    b.wait(
        "English",
        "return document.querySelector('[data-i18n=nav_map]').textContent === 'Map'",
    );
    b.click("#lang");

    eprintln!("browser test: another county");
    let county = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/county-qinghe");
    let other = temp_dir("browser-county");
    let other_server = Server::start(
        other.to_str().unwrap(),
        &["--county", county.to_str().unwrap()],
    );
    let web2 = other_server.url();
    b.go(&format!("{web2}/#/ledger"));
    let rows = b.wait("the county's ledger", "const r = document.querySelectorAll('#ledger-table tbody tr'); return r.length > 1 ? r.length : null");
    assert_eq!(rows.as_u64(), Some(5), "the made-up county's five measures");
    let brand = b.js("return document.querySelector('#brand').textContent");
    assert_eq!(brand.as_str(), Some("蓝天 · 青禾县空气质量监管平台"));
    b.screenshot("county-ledger.png");
    b.go(&format!("{web2}/#/map"));
    let polygons = b.wait("the county's townships", "const p = document.querySelectorAll('path.leaflet-interactive'); return p.length >= 3 ? p.length : null");
    assert_eq!(
        polygons.as_u64(),
        Some(3),
        "three township polygons, no station"
    );
    b.screenshot("county-map.png");
    drop(b);
    drop(server);
}
