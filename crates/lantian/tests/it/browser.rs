//! End-to-end in a real headless Chromium (Debian's chromium and chromium-driver): start
//! `lantian serve`, push data through the gateway with `lantian send`, log in, and check
//! that the overview, the map and a station chart show those values; and that the pollution
//! sources' pages show the CEMS hours, findings and gate records the API computed, to the
//! bureau, to the enterprise's own account (which publishes them) and then to the public.
//! Screenshots go to `test-artifacts/`.

use super::serve::Server;
use super::*;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A minimal WebDriver client over HTTP/1.1.
pub(super) struct Driver {
    port: u16,
    session: String,
}

pub(super) fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Value {
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
    /// A session of a new Chromium with a profile of its own (browser tests run in parallel:
    /// a shared profile directory would be one browser, or deleted under a running one).
    pub(super) fn start(port: u16) -> Driver {
        let caps = json!({ "capabilities": { "alwaysMatch": { "browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--disable-quic", "--window-size=1280,900",
                     format!("--user-data-dir={}", temp_dir(&format!("chromium-profile-{port}")).display())]
        } } } });
        let r = http(port, "POST", "/session", Some(&caps));
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {r}"))
            .to_owned();
        Driver { port, session }
    }

    pub(super) fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
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

    pub(super) fn go(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url })));
    }

    pub(super) fn js(&self, script: &str) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
    }

    /// Polls `script` until it returns something truthy, or fails after 60 s (a hang guard, not a
    /// timing: CI runs the other tests beside it on 2 cores).
    pub(super) fn wait(&self, what: &str, script: &str) -> Value {
        let start = Instant::now();
        loop {
            let v = self.js(script);
            if !(v.is_null() || v == json!(false) || v == json!("") || v == json!(0)) {
                return v;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "timed out waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub(super) fn element(&self, css: &str) -> String {
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

    pub(super) fn type_into(&self, css: &str, text: &str) {
        let e = self.element(css);
        self.cmd(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({ "text": text })),
        );
    }

    pub(super) fn click(&self, css: &str) {
        let e = self.element(css);
        self.cmd("POST", &format!("/element/{e}/click"), Some(json!({})));
    }

    /// Logs `user` in through the login form and waits for the menu to name them.
    pub(super) fn log_in(&self, web: &str, user: &str, password: &str) {
        self.go(&format!("{web}/#/login"));
        self.wait(
            "the login form",
            "return document.querySelector('#login-form') !== null",
        );
        self.type_into("#username", user);
        self.type_into("#password", password);
        self.click("#login-form button");
        self.wait(
            &format!("{user} logged in"),
            &format!(
                "return document.querySelector('#nav-login').textContent.includes('({user})')"
            ),
        );
    }

    pub(super) fn log_out(&self, web: &str) {
        self.go(&format!("{web}/#/logout"));
        self.wait(
            "logged out",
            "return document.querySelector('#nav-login').getAttribute('href') === '#/login'",
        );
    }

    /// The text of the first element `css` selects (null if none).
    pub(super) fn text(&self, css: &str) -> Value {
        self.js(&format!(
            "const e = document.querySelector({}); return e ? e.textContent.trim() : null",
            json!(css)
        ))
    }

    /// A screenshot of the whole page: the window is made as tall as the page, then restored.
    pub(super) fn screenshot_page(&self, name: &str) {
        let height = self
            .js("return document.documentElement.scrollHeight")
            .as_u64()
            .unwrap_or(900)
            .clamp(900, 8000);
        self.cmd(
            "POST",
            "/window/rect",
            Some(json!({ "width": 1280, "height": height + 140 })),
        );
        std::thread::sleep(Duration::from_millis(300));
        self.screenshot(name);
        self.cmd(
            "POST",
            "/window/rect",
            Some(json!({ "width": 1280, "height": 900 })),
        );
    }

    pub(super) fn screenshot(&self, name: &str) {
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

pub(super) fn base64_decode(s: &str) -> Vec<u8> {
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

pub(super) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Whether Chromium and its driver are installed; CI must have them.
pub(super) fn have_chromium() -> bool {
    if std::path::Path::new("/usr/bin/chromedriver").exists() {
        return true;
    }
    lantian_store::testing::not_run(
        "browser test (chromium-driver is not installed; scripts/test-all installs it)",
    );
    false
}

/// A headless Chromium under chromedriver, in China's zone (times must read the same whatever
/// the browser's zone). The session ends before chromedriver is killed (fields drop in order).
pub(super) struct Browser {
    pub(super) driver: Driver,
    _chromedriver: Killed,
}

impl Browser {
    pub(super) fn start() -> Browser {
        let port = free_port();
        let cd = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .env("TZ", "Asia/Shanghai")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let chromedriver = Killed(cd);
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Browser {
            driver: Driver::start(port),
            _chromedriver: chromedriver,
        }
    }
}

#[test]
fn overview_map_and_station_chart_show_what_the_gateway_received() {
    if !have_chromium() {
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
    let browser = Browser::start();
    let b = &browser.driver;

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

    eprintln!("browser test: the first login must change the initial password");
    b.wait(
        "the password form, asking for the change",
        "return document.querySelector('#password-form') !== null && document.querySelector('#must-change') !== null",
    );
    b.screenshot("must-change-password.png");
    b.type_into("#old-password", &pw);
    b.type_into("#new-password", "a new admin password 2026");
    b.type_into("#new-password-2", "a new admin password 2026");
    b.click("#password-form button");
    b.wait(
        "the overview after the change",
        "return location.hash === '#/' && document.querySelector('#password-form') === null",
    );

    eprintln!("browser test: accounts");
    b.click("#nav-accounts");
    b.wait(
        "the accounts table",
        "return document.querySelector('#accounts-table tr[data-user=\"admin\"]') !== null",
    );
    b.type_into("#acc-username", "clerk1");
    b.type_into("#acc-password", "an initial password 1");
    b.click("#account-form button");
    let created = b.wait(
        "the new account in the list",
        "const r = document.querySelector('#accounts-table tr[data-user=\"clerk1\"]'); return r ? r.textContent : null",
    );
    assert!(
        created.as_str().unwrap().contains("尚未修改初始密码"),
        "a new account must change its password: {created}"
    );
    // The last enabled administrator cannot be disabled: the refusal is shown.
    b.click("#accounts-table tr[data-user=\"admin\"] .acc-toggle");
    let refusal = b.wait(
        "the refusal",
        "const e = document.querySelector('#accounts-result .error'); return e ? e.textContent : null",
    );
    assert!(
        refusal.as_str().unwrap().contains("最后一个启用的管理员"),
        "{refusal}"
    );
    b.screenshot("accounts.png");

    eprintln!("browser test: Overview");
    // Overview: the city AQI from the assessment station.
    b.go(&format!("{web}/#/"));
    let shown = b.wait("the city AQI", "const t = document.querySelector('#city-aqi'); return t && t.textContent !== '…' ? t.textContent : null");
    // The whole badge: the number and its category (a prefix would take AQI 1 for 123).
    let category =
        lantian_core::aqi::Level::from_aqi(expected).category(lantian_core::aqi::Lang::Zh);
    assert_eq!(
        shown.as_str(),
        Some(format!("{expected} {category}").as_str()),
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
    assert_eq!(status.as_str(), Some("逾期"));
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
    drop(browser);
    drop(server);
}

/// A GET of the API as a logged-in account, parsed; panics unless it answers 200.
pub(super) fn get_as(addr: &str, l: &super::serve::Login, path: &str) -> Value {
    let r = super::serve::request(addr, "GET", path, &[("Cookie", l.cookie.as_str())], b"");
    assert_eq!(
        r.status,
        200,
        "GET {path}: {}",
        String::from_utf8_lossy(&r.body)
    );
    r.json()
}

/// A day of minute CEMS data, equipment status and power through the gateway; the bureau
/// sees on the list, the map and the enterprise page what the API computed (an exceedance,
/// stopped hours, the device's wrong figures, four findings), imports the list and gate
/// records after a dry run; the enterprise's account sees only itself and publishes; the
/// public then sees the published outlet data, not the working condition.
#[test]
fn enterprise_pages_show_what_the_api_computed_and_the_enterprise_publishes_it() {
    if !have_chromium() {
        return;
    }
    let dir = temp_dir("browser-sources");
    let d = dir.to_str().unwrap();
    // A console command given as one line (no argument has a space), on this data directory.
    let ok = |line: &str| {
        let mut args: Vec<&str> = line.split_whitespace().collect();
        args.splice(2..2, ["--data-dir", d]);
        let o = lantian(&args);
        assert!(o.status.success(), "{line}: {}", stderr(&o));
    };
    // The register: AS with an outlet, its equipment and devices; BX without monitoring.
    for line in [
        "enterprise add --id AS --name 澳森特钢 --unit xinji --industry 钢铁 --grade B --credit-code 91130181MA0000000X \
         --permit 91130181MA0000000X001P --key-polluter --lat 37.95 --lon 115.25 --clean-target 80",
        "enterprise add --id BX --name 宝兴玻璃 --unit wangkou --industry 玻璃 --grade C --lat 37.98 --lon 115.41",
        "outlet add --enterprise AS --id AS-1 --name 1#烧结机机头 --o2-ref 16 --limit a21026=35 --limit a21002=50 \
         --limit a34013=10 --limit-source DB13/2169-2018 --flow-stopped 10000 --height 120",
        "device add --mn CEMS0000000000000000AS01 --password 123456 --outlet AS-1",
        "equipment add --enterprise AS --id AS-SJ --name 1#烧结机 --kind production --outlet AS-1 --status-code SB1-RS",
        "equipment add --enterprise AS --id AS-TL --name 脱硫设施 --kind treatment --outlet AS-1 --power-code e01 \
         --running-kw 100 --rated-kw 800",
        "device add --mn EQUIP000000000000000AS01 --password 123456 --equipment AS-SJ",
        "device add --mn POWER000000000000000AS01 --password 123456 --equipment AS-TL",
        "user add --username sthj --role bureau --unit 市生态环境局 --password correct-horse-battery",
    ] {
        ok(line);
    }
    let date = "2026-11-20";
    let file = dir.join("packets.txt");
    std::fs::write(
        &file,
        super::plant::packets(
            "AS",
            lantian_core::cst::day_start(lantian_core::Date::parse(date).unwrap()),
            1440,
        ),
    )
    .unwrap();
    let server = Server::start(d, &["--no-device-setup"]);
    let (web, addr) = (server.url(), server.http.clone());
    let send = format!(
        "send --to {} --mn x --password x --format packets --connections 3 --window 64 {}",
        server.hj,
        file.display()
    );
    let out = lantian(&send.split_whitespace().collect::<Vec<_>>());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["acknowledged"], json!(3 * 1440), "{report}");
    server.projected();
    // The bureau's account: its initial password is changed through the API first.
    let bureau = super::serve::login(&addr, "sthj", "correct-horse-battery");
    let changed_pw = "correct-horse-battery (changed)";

    // What the API computed, which the pages must show.
    let status = get_as(
        &addr,
        &bureau,
        &format!("/api/v1/enterprises/status?date={date}"),
    );
    let as_status = status["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["enterprise"] == "AS")
        .unwrap()
        .clone();
    assert_eq!(
        (
            as_status["exceedance_hours"].as_u64(),
            as_status["findings"].as_u64()
        ),
        (Some(1), Some(4)),
        "{as_status}"
    );
    let hours = get_as(
        &addr,
        &bureau,
        &format!("/api/v1/outlets/AS-1/emissions?from={date}&to={date}&per_page=1000"),
    );
    let rows = hours["items"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 72, "24 hours × SO2, NOx, PM");
    let so2_at = |hh: &str| {
        rows.iter()
            .find(|r| r["code"] == "a21026" && r["hour"] == format!("{date} {hh}:00").as_str())
            .unwrap()
            .clone()
    };
    let exceeding = so2_at("05");
    assert_eq!(exceeding["exceeds"], true, "{exceeding}");
    let converted = exceeding["converted"].as_f64().unwrap();
    let wc = get_as(
        &addr,
        &bureau,
        &format!("/api/v1/enterprises/AS/working-condition?from={date}&to={date}"),
    );
    let finding_hours: Vec<String> = wc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["hour"].as_str().unwrap().to_owned())
        .collect();
    let totals = get_as(
        &addr,
        &bureau,
        &format!("/api/v1/outlets/AS-1/emissions?from={date}&to={date}&totals=day"),
    );
    let so2_kg = totals["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["code"] == "a21026")
        .unwrap()["emission_kg"]
        .as_f64()
        .unwrap();

    let browser = Browser::start();
    let b = &browser.driver;
    b.log_in(&web, "sthj", changed_pw);

    eprintln!("browser test: the enterprise list and map");
    b.go(&format!("{web}/#/enterprises?date={date}"));
    b.wait(
        "the list with the day's status",
        "return document.querySelector('#enterprise-table td[data-k=exceedance]') && document.querySelector('path.enterprise-marker')",
    );
    let cell = |id: &str, k: &str| {
        b.text(&format!(
            "#enterprise-table tr[data-id={id}] td[data-k={k}]"
        ))
        .as_str()
        .unwrap()
        .parse::<u64>()
        .unwrap()
    };
    for (k, api_key) in [
        ("exceedance", "exceedance_hours"),
        ("stopped", "stopped_hours"),
        ("mismatch", "mismatch_hours"),
        ("findings", "findings"),
    ] {
        assert_eq!(
            Some(cell("AS", k)),
            as_status[api_key].as_u64(),
            "{k}: the list shows the API's status"
        );
    }
    assert_eq!(
        b.js("return document.querySelector('#enterprise-table tr[data-id=AS] td[data-k=exceedance]').classList.contains('bad')"),
        json!(true),
        "an exceedance is highlighted"
    );
    let fill = b.js("const m = document.querySelector('path.enterprise-exceedance'); return m ? m.getAttribute('fill') : null");
    assert_eq!(fill, json!("#d7301f"), "AS's marker is red: an exceedance");
    assert_eq!(
        b.js("return document.querySelectorAll('path.enterprise-marker').length"),
        json!(2)
    );
    b.screenshot_page("enterprises.png");
    // Problems only: AS, not BX (no data that day).
    b.click("#f-problems");
    b.wait(
        "only the enterprises with problems",
        "return location.hash.includes('problems=1') && document.querySelectorAll('#enterprise-table tbody tr').length === 1",
    );
    assert_eq!(
        b.js("return document.querySelector('#enterprise-table tbody tr').dataset.id"),
        json!("AS")
    );

    eprintln!("browser test: the bureau imports the enterprise list");
    let head = lantian_app::sources::COLUMNS.join(",");
    let bad = dir.join("enterprises-bad.csv");
    std::fs::write(
        &bad,
        format!("{head}\nCX,辛集某皮革厂,,xinji,皮革鞣制,E,否,,115.22,37.93,,CX-1,锅炉,30,9,35,50,10,GB 13271-2014\n"),
    )
    .unwrap();
    let good = dir.join("enterprises.csv");
    std::fs::write(
        &good,
        format!("{head}\nCX,辛集某皮革厂,,xinji,皮革鞣制,C,否,,115.22,37.93,,CX-1,锅炉,30,9,35,50,10,GB 13271-2014\n"),
    )
    .unwrap();
    b.go(&format!("{web}/#/enterprises?date={date}"));
    b.wait(
        "the import",
        "return document.querySelector('#import-file') !== null",
    );
    b.type_into("#import-file", bad.to_str().unwrap());
    let error_row = b.wait(
        "the dry run's errors",
        "const c = document.querySelector('#import-errors tbody td'); return c ? c.textContent : null",
    );
    assert_eq!(error_row, json!("2"), "the bad grade's row is named");
    assert_eq!(
        b.js("return document.querySelector('#import-confirm') === null"),
        json!(true),
        "a file with errors cannot be imported"
    );
    b.type_into("#import-file", good.to_str().unwrap());
    b.wait(
        "the dry run passes",
        "return document.querySelector('#import-confirm') !== null",
    );
    b.click("#import-confirm");
    b.wait(
        "the imported enterprise",
        "return document.querySelector('#enterprises-notice') && document.querySelector('#enterprise-table tr[data-id=CX]')",
    );
    assert_eq!(
        server.get("/api/v1/enterprises")["total"],
        json!(3),
        "the import stored CX"
    );

    eprintln!("browser test: the enterprise page");
    b.go(&format!("{web}/#/enterprise/AS?date={date}"));
    b.wait(
        "the outlet, the findings and the vehicles",
        "const s = document.querySelector('section.outlet[data-outlet=\"AS-1\"]'); \
         return s && s.dataset.rows && document.querySelector('#findings') && document.querySelector('#shares')",
    );
    assert_eq!(
        b.js("return document.querySelector('section.outlet[data-outlet=\"AS-1\"]').dataset.rows"),
        json!(rows.len().to_string()),
        "every row the API returned"
    );
    assert_eq!(b.text("#enterprise-grade"), json!("B"));
    let hour5 = format!("{date} 05:00");
    let so2_cell = |hour: &str| {
        b.js(&format!(
            "const c = document.querySelector('tr[data-hour=\"{hour}\"] td.converted[data-code=a21026]'); \
             return c ? [c.firstChild.textContent, c.classList.contains('exceeds'), c.closest('tr').classList.contains('exceeding')] : null"
        ))
    };
    assert_eq!(
        so2_cell(&hour5),
        json!([format!("{converted:.1}"), true, true]),
        "hour 5's normalised SO2, marked as an exceedance"
    );
    assert_eq!(
        b.text(&format!("tr[data-hour=\"{hour5}\"] td")),
        json!("05:00–06:00"),
        "the hour as a span"
    );
    for hh in ["08", "09"] {
        let c = so2_cell(&format!("{date} {hh}:00"));
        assert_eq!(
            c[0],
            json!("停运"),
            "hour {hh} stopped: no normalised value"
        );
        assert_eq!(
            b.js(&format!("return document.querySelector('tr[data-hour=\"{date} {hh}:00\"]').classList.contains('stopped')")),
            json!(true)
        );
    }
    let mismatches = rows
        .iter()
        .filter(|r| r["code"] == "a21026" && r["device_mismatch"] == true)
        .count();
    assert_eq!(
        b.js("return document.querySelectorAll('td.converted.mismatch[data-code=a21026]').length"),
        json!(mismatches),
        "the device's inconsistent hours are highlighted"
    );
    assert_eq!(
        b.js("const c = document.querySelector('section.outlet .chart'); return c.querySelector('canvas') !== null && c.dataset.stopped"),
        json!("2"),
        "the chart shades the two stopped hours"
    );
    // Hover hour 5 as a user would: the legend names the hour in Beijing time, whatever the
    // browser's zone.
    let legend = b.js(
        "const c = document.querySelector('section.outlet .chart'); const u = c.uplot; \
         u.setCursor({ left: u.valToPos(u.data[0][5], 'x'), top: 10 }); \
         return [...c.querySelectorAll('.u-legend .u-series')].slice(0, 2).map((s) => s.querySelector('.u-value').textContent)",
    );
    assert_eq!(
        legend,
        json!([format!("{date} 05:00–06:00"), format!("{converted:.1}")]),
        "the chart's hour 5"
    );
    assert_eq!(
        b.text(".day-totals tr[data-code=a21026] td:nth-child(2)"),
        json!(format!("{so2_kg:.2}")),
        "the day's SO2 emission"
    );
    let listed: Vec<String> = b
        .js("return [...document.querySelectorAll('#findings li')].map((l) => l.dataset.hour)")
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, finding_hours, "every finding is listed");
    let first = b.text("#findings li").as_str().unwrap().to_owned();
    assert!(
        first.contains("北京时间") && first.contains("在线监测显示停运"),
        "a finding names its hour in Beijing time and what it is: {first}"
    );
    assert_eq!(
        b.js(&format!("return document.querySelector('tr[data-equipment=AS-TL] td[data-hour=\"{date} 15:00\"]').className")),
        json!("off flagged"),
        "the desulphuriser off in hour 15, marked"
    );

    eprintln!("browser test: gate records");
    let gate = |rows: &str| format!("车牌号,时间,方向,车辆类型,排放标准,燃料类型\n{rows}");
    let bad = dir.join("gate-bad.csv");
    std::fs::write(
        &bad,
        gate("冀A10001,2026-11-20 08:00:00,进,重型半挂牵引车,国七,柴油\n"),
    )
    .unwrap();
    let good = dir.join("gate.csv");
    std::fs::write(
        &good,
        gate(
            "冀A10001,2026-11-20 08:00:00,进,重型半挂牵引车,国六,柴油\n\
             冀A10002,2026-11-20 08:30:00,进,重型自卸货车,国四,柴油\n\
             冀A10003,2026-11-20 09:00:00,进,重型厢式货车,新能源,纯电\n\
             冀A10004,2026-11-20 09:30:00,进,重型半挂牵引车,国五,柴油\n\
             冀A10001,2026-11-20 17:00:00,出,重型半挂牵引车,国六,柴油\n",
        ),
    )
    .unwrap();
    b.type_into("#vehicle-file", bad.to_str().unwrap());
    let error_row = b.wait(
        "the gate records' errors",
        "const c = document.querySelector('#vehicle-errors tbody td'); return c ? c.textContent : null",
    );
    assert_eq!(error_row, json!("2"), "国七 is named by its row");
    b.type_into("#vehicle-file", good.to_str().unwrap());
    b.wait(
        "the dry run passes",
        "return document.querySelector('#vehicle-import') !== null",
    );
    b.click("#vehicle-import");
    b.wait(
        "the import",
        "return document.querySelector('#vehicle-done') !== null",
    );
    assert_eq!(
        b.js("return [document.querySelectorAll('#passages tbody tr').length, document.querySelectorAll('#passages tr.barred').length]"),
        json!([5, 1]),
        "five passages, one diesel truck below 国五"
    );
    let share = get_as(
        &addr,
        &bureau,
        "/api/v1/enterprises/AS/vehicles/shares?from=2026-11&to=2026-11",
    )["items"][0]
        .clone();
    assert_eq!(share["share_pct"], json!(50.0), "{share}");
    assert_eq!(
        b.text("#shares tr[data-month=\"2026-11\"] .share-value"),
        json!("50.0%")
    );
    b.screenshot_page("enterprise.png");

    eprintln!("browser test: the English page");
    b.click("#lang");
    b.wait(
        "English",
        "return document.querySelector('[data-i18n=nav_enterprises]').textContent === 'Pollution sources' && document.querySelector('#findings')",
    );
    let keys = b.js(
        "return (document.body.innerText.match(/\\b(ent|eq|finding|fuel|dir|code)_[a-z0-9_]+/g) || []).join(' ')",
    );
    assert_eq!(keys, json!(""), "no dictionary key shows untranslated");
    let missing = b.js(
        "return import('/js/i18n.js').then((m) => { const z = Object.keys(m.I18N.zh), e = Object.keys(m.I18N.en); \
         return z.filter((k) => !e.includes(k)).concat(e.filter((k) => !z.includes(k))).join(' '); })",
    );
    assert_eq!(missing, json!(""), "every word in both languages");
    b.screenshot_page("enterprise-en.png");
    b.click("#lang");
    b.wait(
        "Chinese",
        "return document.querySelector('[data-i18n=nav_enterprises]').textContent === '污染源企业'",
    );

    eprintln!("browser test: the enterprise's own account");
    ok("user add --username as1 --role enterprise --unit AS --password correct-horse-battery");
    super::serve::login(&addr, "as1", "correct-horse-battery");
    b.log_out(&web);
    b.log_in(&web, "as1", changed_pw);
    b.go(&format!("{web}/#/enterprises?date={date}"));
    b.wait(
        "the list",
        "return document.querySelector('#enterprise-table td[data-k=exceedance]') !== null",
    );
    assert_eq!(
        b.js("return [...document.querySelectorAll('#enterprise-table tbody tr')].map((r) => r.dataset.id)"),
        json!(["AS"]),
        "an enterprise sees only itself"
    );
    assert_eq!(
        b.js("return document.querySelector('#import-file') === null"),
        json!(true),
        "and does not import the register"
    );
    b.go(&format!("{web}/#/enterprise/AS?date={date}"));
    b.wait(
        "the disclosure control",
        "return document.querySelector('#disclose-on') !== null",
    );
    let note = "烧结烟气采用半干法脱硫和SCR脱硝，布袋除尘。";
    b.type_into("#disclosure-note", note);
    b.click("#disclose-on");
    b.wait(
        "published",
        "return document.querySelector('#enterprise-discloses').textContent === '已公开'",
    );
    let public = server.get("/api/v1/enterprises/AS");
    assert_eq!(
        (
            public["discloses"].clone(),
            public["disclosure_note"].clone()
        ),
        (json!(true), json!(note)),
        "the API has the publication"
    );
    b.screenshot_page("enterprise-own-account.png");

    eprintln!("browser test: the public");
    b.log_out(&web);
    b.go(&format!("{web}/#/enterprises"));
    b.wait(
        "the register",
        "return document.querySelectorAll('#enterprise-table tbody tr').length === 3",
    );
    assert_eq!(
        b.js("return [...document.querySelectorAll('#enterprise-table a.published')].map((a) => a.closest('tr').dataset.id)"),
        json!(["AS"]),
        "the public finds the published data of AS only"
    );
    b.screenshot_page("enterprises-public.png");
    b.click("#enterprise-table tr[data-id=AS] a.published");
    b.wait(
        "the published outlet",
        "const s = document.querySelector('section.outlet[data-outlet=\"AS-1\"]'); return s && s.dataset.rows",
    );
    b.go(&format!("{web}/#/enterprise/AS?date={date}"));
    let rows_shown = b.wait(
        "the published outlet of the day",
        "const s = document.querySelector('section.outlet[data-outlet=\"AS-1\"]'); return s && s.dataset.date === '2026-11-20' ? s.dataset.rows : null",
    );
    assert_eq!(rows_shown, json!(rows.len().to_string()));
    assert_eq!(
        so2_cell(&hour5),
        json!([format!("{converted:.1}"), true, true]),
        "the public sees the same normalised SO2"
    );
    assert_eq!(b.text("#enterprise-note"), json!(note));
    assert_eq!(
        b.text("#working"),
        json!("登录后可查看。"),
        "working condition is not published"
    );
    b.screenshot_page("enterprise-public.png");

    eprintln!("browser test: the enterprise page on a phone");
    b.cmd(
        "POST",
        "/window/rect",
        Some(json!({ "width": 390, "height": 844 })),
    );
    // Another page first, so that the enterprise page is drawn anew at the phone's width.
    b.go(&format!("{web}/#/enterprises"));
    b.wait(
        "the list on a phone",
        "return document.querySelector('#enterprise-table') !== null && document.querySelector('section.outlet') === null",
    );
    b.go(&format!("{web}/#/enterprise/AS?date={date}"));
    b.wait(
        "the page on a phone",
        "const s = document.querySelector('section.outlet[data-date=\"2026-11-20\"] .chart canvas'); return s !== null",
    );
    let overflow = b.js("return document.documentElement.scrollWidth - window.innerWidth");
    assert!(
        overflow.as_i64().unwrap_or(99) <= 1,
        "no sideways scrolling on a phone: {overflow}"
    );
    b.screenshot("phone-enterprise.png");

    eprintln!("browser test: markup in the URL is not run");
    b.go(&format!(
        "{web}/#/enterprises?date=%22%3E%3Cimg%20id%3Dinjected%20src%3Dx%3E"
    ));
    b.wait(
        "the list after a crafted link",
        "return document.querySelector('#enterprise-table tbody tr') !== null",
    );
    assert_eq!(
        b.js("return [document.querySelector('#injected') === null, document.querySelector('#enterprise-table a').getAttribute('href').includes('<')]"),
        json!([true, false]),
        "the crafted date neither adds an element nor reaches a link"
    );
    drop(browser);
    drop(server);
}

/// A POST of the API as a logged-in account, with its CSRF token; panics unless it answers 200.
pub(super) fn post_as(addr: &str, l: &super::serve::Login, path: &str, body: Value) -> Value {
    let headers = [
        ("Content-Type", "application/json"),
        ("Cookie", l.cookie.as_str()),
        ("X-CSRF-Token", l.csrf.as_str()),
    ];
    let r = super::serve::request(addr, "POST", path, &headers, body.to_string().as_bytes());
    assert_eq!(
        r.status,
        200,
        "POST {path}: {}",
        String::from_utf8_lossy(&r.body)
    );
    r.json()
}

/// A warning proposed from a forecast, issued by the command with a document number and
/// lifted; a steelworks that kept its line at full load while it was in force and a foundry
/// with no data: the bureau sees the timeline with the notices' receipts, the reduction list
/// with each level's banner, and the violation's evidence charted against the cap.
#[test]
fn warning_timeline_reduction_list_and_a_violations_evidence() {
    if !have_chromium() {
        return;
    }
    let dir = temp_dir("browser-warning");
    let d = dir.to_str().unwrap();
    let ok = |line: &str| {
        let mut args: Vec<&str> = line.split_whitespace().collect();
        args.splice(2..2, ["--data-dir", d]);
        let o = lantian(&args);
        assert!(o.status.success(), "{line}: {}", stderr(&o));
    };
    for line in [
        "enterprise add --id GT --name 违规钢铁公司 --unit xinji --industry 钢铁 --grade C",
        "equipment add --enterprise GT --id GT-L1 --name 1#生产线 --kind production --power-code e01 --running-kw 100 --rated-kw 800",
        "device add --mn POWER0000000000000000GT --password 123456 --equipment GT-L1",
        "enterprise add --id ZZ --name 守法铸造公司 --unit xinji --industry 铸造 --grade D",
        "user add --username bureau1 --role bureau --password correct-horse-battery",
        "user add --username cmd1 --role commander --password correct-horse-battery",
    ] {
        ok(line);
    }
    let today = lantian_core::cst::today(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    );
    let day = |n: i64| today.add_days(n).to_string();
    let server = Server::start(d, &[]);
    let (web, addr) = (server.url(), server.http.clone());
    let bureau = super::serve::login(&addr, "bureau1", "correct-horse-battery");
    let command = super::serve::login(&addr, "cmd1", "correct-horse-battery");
    // The steelworks caps its line at 60 % of normal at every level; the foundry stops.
    for (id, kind, cap) in [
        ("GT", "cap_load", json!(60.0)),
        ("ZZ", "stop_outdoor", Value::Null),
    ] {
        let measures: Vec<Value> = ["yellow", "orange", "red"]
            .iter()
            .map(|lv| {
                json!({"level": lv, "kind": kind, "equipment": if id == "GT" { json!("GT-L1") } else { Value::Null },
                       "cap_pct": cap, "text": if id == "GT" { "1#生产线限产40%" } else { "停止室外作业" }})
            })
            .collect();
        let headers = [
            ("Content-Type", "application/json"),
            ("Cookie", bureau.cookie.as_str()),
            ("X-CSRF-Token", bureau.csrf.as_str()),
        ];
        let r = super::serve::request(
            &addr,
            "PUT",
            &format!("/api/v1/enterprises/{id}/measures"),
            &headers,
            Value::Array(measures).to_string().as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.json());
        // Permitted SO2 (t/a): the steelworks' cap cuts 40 of its 100, the foundry's 250
        // are not cut; 10/20/30 % of 350 is 35/70/105: met at yellow, missed from orange on.
        let permit = json!({"SO2": if id == "GT" { 100.0 } else { 250.0 }});
        let r = super::serve::request(
            &addr,
            "PUT",
            &format!("/api/v1/enterprises/{id}/permits"),
            &headers,
            permit.to_string().as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.json());
    }
    // The line at its normal load from ten days before until today.
    let (from, until) = (day(-10), day(0));
    lantian_ok(&[
        "send",
        "--to",
        &server.hj,
        "--mn",
        "POWER0000000000000000GT",
        "--password",
        "123456",
        "--generate",
        "power",
        "--code",
        "e01",
        "--rated-kw",
        "800",
        "--period",
        "hour",
        "--from",
        &from,
        "--until",
        &until,
    ]);
    server.projected();

    // Proposed from a forecast of two days above 200, issued, lifted two days later.
    let forecast: Vec<Value> = [
        (-6, 120.0),
        (-5, 170.0),
        (-4, 212.0),
        (-3, 289.0),
        (-2, 180.0),
        (-1, 80.0),
        (0, 60.0),
        (1, 50.0),
    ]
    .iter()
    .map(|(n, aqi)| json!({"date": day(*n), "aqi": aqi}))
    .collect();
    let proposed = post_as(
        &addr,
        &bureau,
        "/api/v1/warnings/propose",
        json!({"daily": forecast[..6], "save": true}),
    );
    let id = proposed["warning"]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("a warning: {proposed}"));
    let doc_no = "辛重污染指〔2026〕7号";
    post_as(
        &addr,
        &command,
        &format!("/api/v1/warnings/{id}/issue"),
        json!({"doc_no": doc_no, "at": format!("{} 00:00", day(-4))}),
    );
    let lifted = post_as(
        &addr,
        &command,
        &format!("/api/v1/warnings/{id}/lift"),
        json!({"doc_no": "辛重污染指〔2026〕8号", "at": format!("{} 00:00", day(-1)), "forecast": {"daily": forecast[5..]}}),
    );
    assert_eq!(lifted["state"], "lifted", "{lifted}");
    let v = get_as(
        &addr,
        &bureau,
        &format!("/api/v1/warnings/{id}/verification"),
    );
    let viol = v["violations"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["enterprise_id"] == "GT"))
        .unwrap_or_else(|| panic!("the steelworks violated its cap: {v}"))
        .clone();

    let browser = Browser::start();
    let b = &browser.driver;
    b.log_in(&web, "bureau1", "correct-horse-battery (changed)");

    eprintln!("browser test: the warning's timeline");
    b.go(&format!("{web}/#/warnings"));
    b.wait(
        "the list of warnings",
        &format!(
            "return document.querySelector('#warning-table tr[data-id=\"{id}\"] .badge') !== null"
        ),
    );
    b.go(&format!("{web}/#/warnings/{id}"));
    b.wait(
        "the timeline and the verification",
        "return document.querySelector('#timeline li[data-kind=issued]') && document.querySelector('#violation-list a.evidence-link')",
    );
    let timeline = b.text("#timeline");
    let text = timeline.as_str().unwrap_or_default();
    assert!(
        text.contains("发布预警") && text.contains(doc_no) && text.contains("北京时间"),
        "{text}"
    );
    assert_eq!(
        b.js("return [...document.querySelectorAll('#timeline li')].map((l) => l.dataset.kind)"),
        json!(["proposed", "issued", "lifted"])
    );
    assert!(
        b.js("return document.querySelectorAll('#notice-table tbody tr').length")
            .as_u64()
            > Some(0),
        "the notices are listed"
    );
    b.screenshot_page("warning-timeline.png");

    eprintln!("browser test: the reduction list");
    b.go(&format!("{web}/#/reduction"));
    b.wait(
        "the reduction list",
        "return document.querySelector('.reduction-entry[data-id=GT]') && document.querySelector('.level-summary .level-banner')",
    );
    let list = b.text("#reduction");
    let list = list.as_str().unwrap_or_default();
    assert!(
        list.contains("违规钢铁公司") && list.contains("1#生产线限产40%"),
        "{list}"
    );
    assert_eq!(
        b.js("return [...document.querySelectorAll('.level-summary')].map((s) => s.dataset.level)"),
        json!(["yellow", "orange", "red"])
    );
    assert!(
        b.text(".level-summary[data-level=orange] .level-banner")
            .as_str()
            .unwrap_or_default()
            .contains("橙色")
    );
    // 40 t/a of 350 cut: yellow (10 %) is met, orange (20 %) and red (30 %) fall short.
    assert_eq!(
        b.js("return [...document.querySelectorAll('.level-summary .level-banner')].map((x) => x.classList.contains('shortfall'))"),
        json!([false, true, true])
    );
    b.screenshot_page("reduction-list.png");

    eprintln!("browser test: a violation's evidence");
    b.go(&format!("{web}/#/warnings/{id}"));
    b.wait(
        "the violations",
        "return document.querySelector('#violation-list a.evidence-link')",
    );
    b.click("#violation-list a.evidence-link");
    b.wait(
        "the evidence chart",
        "return document.querySelector('#evidence-chart canvas') !== null",
    );
    assert_eq!(
        b.js("return location.hash.includes('first_hour=')"),
        json!(true)
    );
    let cap = b.text("#evidence-cap");
    assert!(
        cap.as_str().unwrap_or_default().contains("限产上限")
            && cap.as_str().unwrap_or_default().contains("60%"),
        "{cap}"
    );
    assert!(
        b.text("#evidence")
            .as_str()
            .unwrap_or_default()
            .contains(viol["enterprise_name"].as_str().unwrap()),
        "the evidence names the enterprise"
    );
    let hours = get_as(
        &addr,
        &bureau,
        &format!(
            "/api/v1/warnings/{id}/evidence?enterprise=GT&measure={}&first_hour={}",
            viol["measure"].as_str().unwrap(),
            viol["first_hour"].as_str().unwrap().replace(' ', "%20")
        ),
    )["hours"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        b.js("return document.querySelector('#evidence-chart').dataset.points"),
        json!(hours.to_string()),
        "every hour of the evidence is drawn"
    );
    b.screenshot_page("violation-evidence.png");
    b.click("#handover-btn");
    b.wait(
        "handed over",
        "return document.querySelector('#handover .tag') !== null",
    );
    drop(browser);
    drop(server);
}

/// Three stations replay three real CNEMC days, one of them with a planted flat line of
/// PM2.5; the bureau runs the integrity scan; in Chromium the alarm is listed, opened with its
/// evidence chart (the station against its neighbours), reviewed at the three levels
/// (operations, township, bureau), a work order is opened from it and closed, an overdue
/// one stands out, and the rules page shows the precision the reviews give.
#[test]
fn integrity_alarm_review_work_order_and_rules() {
    if !have_chromium() {
        return;
    }
    let dir = temp_dir("browser-integrity");
    let d = dir.to_str().unwrap();
    let ok = |line: &str| {
        let mut args: Vec<&str> = line.split_whitespace().collect();
        args.splice(2..2, ["--data-dir", d]);
        let o = lantian(&args);
        assert!(o.status.success(), "{line}: {}", stderr(&o));
    };
    // Three township stations a few kilometres apart (neighbours of each other), each fed
    // by a CNEMC station of central Beijing.
    let stations = [
        ("XJ-01", "辛集镇一号站", "37.943", "115.218", "1001A"),
        ("XJ-02", "辛集镇二号站", "37.960", "115.240", "1003A"),
        ("XJ-03", "辛集镇三号站", "37.925", "115.200", "1005A"),
    ];
    for (id, name, lat, lon, _) in &stations {
        ok(&format!(
            "station add --id {id} --name {name} --unit xinji --role township --lat {lat} --lon {lon}"
        ));
    }
    for (i, (id, ..)) in stations.iter().enumerate() {
        ok(&format!(
            "device add --mn 010000A8900016F00016IN{i:02} --password 123456 --station {id}"
        ));
    }
    for line in [
        "user add --username bureau1 --role bureau --password correct-horse-battery",
        "user add --username yw1 --role operations --unit yunwei --password correct-horse-battery",
        "user add --username xz1 --role township --unit xinji --password correct-horse-battery",
    ] {
        ok(line);
    }
    // 1001A's PM2.5 stuck at one value from 06:00 to 15:00 on 2 January (ten hours).
    let days = ["20190101", "20190102", "20190103"];
    let (flat_day, flat_hours, flat_value) = ("20190102", 6..=15u32, "57");
    let mut files = Vec::new();
    for day in days {
        let gz = shared(&format!(
            "cnemc-sample/china_sites_201901/china_sites_{day}.csv.gz"
        ));
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&gz).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        let col = text
            .lines()
            .next()
            .unwrap()
            .split(',')
            .position(|c| c == "1001A")
            .unwrap();
        let planted: Vec<String> = text
            .lines()
            .map(|l| {
                let mut cells: Vec<&str> = l.split(',').collect();
                let hour = cells.get(1).and_then(|h| h.parse::<u32>().ok());
                if cells[0] == flat_day
                    && hour.is_some_and(|h| flat_hours.contains(&h))
                    && cells.get(2) == Some(&"PM2.5")
                {
                    cells[col] = flat_value;
                }
                cells.join(",")
            })
            .collect();
        let path = dir.join(format!("china_sites_{day}.csv"));
        std::fs::write(&path, planted.join("\n") + "\n").unwrap();
        files.push(path);
    }
    let server = Server::start(d, &[]);
    let (web, addr) = (server.url(), server.http.clone());
    for (i, (.., cnemc)) in stations.iter().enumerate() {
        for f in &files {
            let mn = format!("010000A8900016F00016IN{i:02}");
            let out = lantian_ok(&[
                "send",
                "--to",
                &server.hj,
                "--mn",
                &mn,
                "--password",
                "123456",
                "--format",
                "cnemc",
                "--station",
                cnemc,
                f.to_str().unwrap(),
            ]);
            let report: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(report["acknowledged"], report["sent"], "{report}");
        }
    }
    // XJ-01's own meteorology: relative humidity (a01002) every hour, drawn on a second axis.
    let first = lantian_core::cst::day_start(lantian_core::Date::parse("2019-01-01").unwrap());
    let humidity: String = (0..72i64)
        .map(|h| {
            let t = lantian_gateway::mapping::timestamp(first + h * 3600);
            let header = lantian_hj212::encode::Header {
                qn: Some(&format!("{}001", t.n14())),
                st: "22",
                cn: lantian_hj212::Command(2061),
                pw: Some("123456"),
                mn: Some("010000A8900016F00016IN00"),
                flag: Some(lantian_hj212::Flag(5)),
                pnum: None,
                pno: None,
                resend: false,
            };
            let cp = format!(
                "DataTime={};a01002-Avg={},a01002-Flag=N",
                t.n14(),
                40 + h % 24
            );
            String::from_utf8(lantian_hj212::encode::encode(&header, &cp))
                .unwrap()
                .replace("\r\n", "\n")
        })
        .collect();
    let rh_file = dir.join("humidity.txt");
    std::fs::write(&rh_file, humidity).unwrap();
    let out = lantian_ok(&[
        "send",
        "--to",
        &server.hj,
        "--mn",
        "x",
        "--password",
        "x",
        "--format",
        "packets",
        rh_file.to_str().unwrap(),
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["acknowledged"], json!(72), "{report}");
    server.projected();
    // Each account changes its initial password through the API first.
    let bureau = super::serve::login(&addr, "bureau1", "correct-horse-battery");
    let ops = super::serve::login(&addr, "yw1", "correct-horse-battery");
    super::serve::login(&addr, "xz1", "correct-horse-battery");
    let changed_pw = "correct-horse-battery (changed)";

    let scan = post_as(
        &addr,
        &bureau,
        "/api/v1/integrity/scan",
        json!({"from": "2019-01-01", "to": "2019-01-03"}),
    );
    assert!(scan["alarms_new"].as_u64() >= Some(1), "{scan}");
    let list = get_as(
        &addr,
        &bureau,
        "/api/v1/alarms?station=XJ-01&rule=flat_line",
    );
    let alarm = list["items"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["pollutant"] == "PM2.5"))
        .unwrap_or_else(|| panic!("the planted flat line is an alarm: {list}"))
        .clone();
    let id = alarm["id"].as_i64().unwrap();
    // The episode covers the planted hours (labels as the API gives them, Beijing time).
    let (start, end) = (
        alarm["start"].as_str().unwrap().to_owned(),
        alarm["end"].as_str().unwrap().to_owned(),
    );
    assert!(
        start.starts_with("2019-01-02") && end.starts_with("2019-01-02") && start < end,
        "{alarm}"
    );
    let detail = get_as(&addr, &bureau, &format!("/api/v1/alarms/{id}"));
    let n_series = detail["evidence"]["series"]
        .as_object()
        .map_or(0, |m| m.len());
    assert!(n_series >= 2, "the station and a neighbour: {detail}");
    let n_hours = detail["evidence"]["hours"].as_array().map_or(0, Vec::len);

    let browser = Browser::start();
    let b = &browser.driver;

    eprintln!("browser test: the operations contractor sees the alarm and reviews it");
    b.log_in(&web, "yw1", changed_pw);
    b.wait(
        "the data-quality menu entry",
        "const a = document.querySelector('#nav-alarms'); return a && !a.hidden",
    );
    b.go(&format!("{web}/#/alarms"));
    b.wait(
        "the alarm list",
        &format!(
            "return document.querySelector('#alarm-table tr[data-id=\"{id}\"] .badge') !== null"
        ),
    );
    let row = b.text(&format!("#alarm-table tr[data-id=\"{id}\"]"));
    let row = row.as_str().unwrap_or_default();
    assert!(
        row.contains("辛集镇一号站") && row.contains("PM2.5") && row.contains(&start),
        "{row}"
    );
    assert_eq!(
        b.js(&format!(
            "return document.querySelector('#alarm-table tr[data-id=\"{id}\"] .badge').dataset.severity"
        )),
        alarm["severity"],
        "the severity the API gave, as a coloured badge"
    );
    b.screenshot_page("integrity-alarms.png");
    b.click(&format!("#alarm-table tr[data-id=\"{id}\"] a.alarm-link"));
    b.wait(
        "the alarm with its evidence chart",
        "return document.querySelector('#alarm-chart canvas') !== null && document.querySelector('#review-form') !== null",
    );
    assert_eq!(
        b.js("return document.querySelector('#alarm-chart').dataset.stations"),
        json!(n_series.to_string()),
        "the station and its neighbours are drawn"
    );
    assert_eq!(
        b.js("return document.querySelector('#alarm-chart').dataset.points"),
        json!(n_hours.to_string()),
        "every hour of the evidence is drawn"
    );
    assert!(
        detail["evidence"]["humidity"].is_array(),
        "the station's humidity: {detail}"
    );
    assert_eq!(
        b.js("const c = document.querySelector('#alarm-chart'); return [c.dataset.humidity, c.uplot.axes.length, c.uplot.series.length]"),
        json!(["true", 3, n_series + 2]),
        "humidity on a second y axis, beside time and each station's series"
    );
    let why = b.text("#alarm-why");
    assert_eq!(
        why.as_str(),
        detail["alarm"]["why_zh"].as_str(),
        "the why sentence, in Chinese"
    );
    assert!(
        b.text("#alarm-head")
            .as_str()
            .unwrap_or_default()
            .contains("北京时间"),
        "the episode says Beijing time"
    );
    b.screenshot_page("integrity-alarm.png");
    // The reason is required: the form is not sent without one.
    b.click("#review-form input[value=confirm]");
    b.click("#review-submit");
    assert_eq!(
        b.js("return document.querySelector('#review-reason').validity.valueMissing && document.querySelector('#review-list li') === null"),
        json!(true)
    );
    let review = |outcome: &str, reason: &str, level: &str| {
        b.click(&format!("#review-form input[value={outcome}]"));
        b.type_into("#review-reason", reason);
        b.click("#review-submit");
        b.wait(
            &format!("the {level} review"),
            &format!(
                "return document.querySelector('#review-list li[data-level={level}]') !== null"
            ),
        );
    };
    review(
        "site_visit",
        "数值连续10小时不变，疑似采样泵故障，需现场核查",
        "operator",
    );
    b.log_out(&web);

    eprintln!("browser test: the township reviews");
    b.log_in(&web, "xz1", changed_pw);
    b.go(&format!("{web}/#/alarms/{id}"));
    b.wait(
        "the review form",
        "return document.querySelector('#review-form') !== null && document.querySelector('#review-list li[data-level=operator]') !== null",
    );
    review("confirm", "运维现场核查：采样泵停转，确认异常", "township");
    b.log_out(&web);

    eprintln!("browser test: the bureau reviews and opens a work order");
    b.log_in(&web, "bureau1", changed_pw);
    b.go(&format!("{web}/#/alarms/{id}"));
    b.wait(
        "the review form",
        "return document.querySelector('#review-form') !== null && document.querySelector('#review-list li[data-level=township]') !== null",
    );
    review("confirm", "确认为仪器故障，数据作无效处理", "bureau");
    let after = get_as(&addr, &bureau, &format!("/api/v1/alarms/{id}"));
    assert_eq!(
        after["reviews"].as_array().map(Vec::len),
        Some(3),
        "{after}"
    );
    assert_ne!(after["alarm"]["state"], "open", "{after}");
    assert_eq!(
        b.js("return document.querySelector('#alarm-head .tag[data-state]').dataset.state"),
        after["alarm"]["state"],
        "the page shows the state the reviews led to"
    );
    assert_eq!(
        b.js(
            "return [...document.querySelectorAll('#review-list li')].map((l) => l.dataset.level)"
        ),
        json!(["operator", "township", "bureau"])
    );
    b.click("#order-details summary");
    b.type_into("#wo-assignee", "yunwei");
    b.type_into("#wo-note", "更换采样泵");
    b.click("#order-form button[type=submit]");
    b.wait(
        "the work order",
        "return document.querySelector('#alarm-orders tr[data-state=open]') !== null",
    );
    // The confirmed alarm is handed over to enforcement, once.
    b.type_into("#escalate-note", "疑似人为干扰，移交执法大队");
    b.click("#escalate-form button");
    let handed = b.wait(
        "the handover",
        "const e = document.querySelector('#escalation .notice'); return e ? e.textContent : null",
    );
    assert!(handed.as_str().unwrap().contains("bureau1"), "{handed}");
    let after = get_as(&addr, &bureau, &format!("/api/v1/alarms/{id}"));
    assert_eq!(after["alarm"]["escalation"]["who"], "bureau1", "{after}");
    assert_eq!(
        b.js("return document.querySelector('#escalate-form')"),
        Value::Null,
        "no second handover"
    );
    b.screenshot_page("integrity-reviewed.png");
    // An older order, past its deadline, must stand out on the list.
    let late = post_as(
        &addr,
        &bureau,
        "/api/v1/work-orders",
        json!({"alarm_id": id, "station": "XJ-01", "assignee": "yunwei", "deadline": "2019-01-05", "note": "核查数据传输"}),
    );
    let late_id = late["id"].as_i64().unwrap_or_else(|| panic!("{late}"));

    // The contractor (yw1 belongs to `yunwei`, the assignee) closes its order.
    eprintln!("browser test: the contractor closes the work order");
    b.log_out(&web);
    b.log_in(&web, "yw1", changed_pw);
    b.go(&format!("{web}/#/workorders"));
    b.wait(
        "the open work orders",
        "return document.querySelectorAll('#work-orders tr[data-state=open]').length === 2",
    );
    assert_eq!(
        b.js("return [...document.querySelectorAll('#work-orders tr.overdue')].map((r) => Number(r.dataset.id))"),
        json!([late_id]),
        "only the order past its deadline is overdue"
    );
    b.screenshot_page("integrity-workorders.png");
    let open_id = b
        .js(&format!(
            "return Number([...document.querySelectorAll('#work-orders tr[data-state=open]')].find((r) => Number(r.dataset.id) !== {late_id}).dataset.id)"
        ))
        .as_i64()
        .unwrap();
    b.click(&format!("#work-orders tr[data-id=\"{open_id}\"] .wo-close"));
    b.type_into(
        &format!("#work-orders tr[data-id=\"{open_id}\"] .wo-close-note"),
        "已更换采样泵，数据恢复正常",
    );
    b.click(&format!(
        "#work-orders tr[data-id=\"{open_id}\"] .wo-close-form button"
    ));
    b.wait(
        "the order closed",
        &format!("return document.querySelector('#work-orders tr[data-id=\"{open_id}\"]') === null && document.querySelectorAll('#work-orders tr[data-state=open]').length === 1"),
    );
    let closed = get_as(&addr, &ops, "/api/v1/work-orders?state=closed");
    let order = closed["items"]
        .as_array()
        .and_then(|a| a.iter().find(|o| o["id"] == json!(open_id)))
        .unwrap_or_else(|| panic!("the closed order: {closed}"))
        .clone();
    assert_eq!(order["alarm_id"], json!(id), "{order}");
    assert_eq!(
        order["closed_by"], "yw1",
        "closed by the contractor: {order}"
    );
    b.go(&format!("{web}/#/workorders?state=closed"));
    b.wait(
        "the closed order",
        &format!("return document.querySelector('#work-orders tr[data-id=\"{open_id}\"][data-state=closed]') !== null"),
    );
    b.log_out(&web);
    b.log_in(&web, "bureau1", changed_pw);

    eprintln!("browser test: the rules page with the reviews' precision");
    b.go(&format!("{web}/#/rules"));
    b.wait(
        "the rules",
        "return document.querySelector('#rules-table tr[data-rule=flat_line] td[data-k=precision]') !== null",
    );
    let rules = get_as(&addr, &ops, "/api/v1/integrity/rules");
    let flat = rules
        .as_array()
        .and_then(|a| a.iter().find(|r| r["rule"] == "flat_line"))
        .unwrap_or_else(|| panic!("flat_line among the rules: {rules}"))
        .clone();
    let precision = flat["precision"]
        .as_f64()
        .unwrap_or_else(|| panic!("a confirmed alarm gives a precision: {flat}"));
    assert!(flat["confirmed"].as_u64() >= Some(1), "{flat}");
    assert_eq!(
        b.text("#rules-table tr[data-rule=flat_line] td[data-k=precision]"),
        json!(format!("{:.0}%", precision * 100.0)),
        "the page shows the API's precision"
    );
    b.screenshot_page("integrity-rules.png");

    eprintln!("browser test: the operations rates of the month");
    let rates = get_as(&addr, &bureau, "/api/v1/operations/rates?month=2019-01");
    let xj01 = rates["items"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["station"] == "XJ-01"))
        .unwrap_or_else(|| panic!("XJ-01's rates: {rates}"))
        .clone();
    b.go(&format!("{web}/#/operations?month=2019-01"));
    b.wait(
        "the rates",
        "return document.querySelectorAll('#rates-table tbody tr[data-station]').length === 3",
    );
    for k in ["online", "capture"] {
        assert_eq!(
            b.text(&format!(
                "#rates-table tr[data-station=XJ-01] td[data-k={k}]"
            )),
            json!(format!(
                "{:.1}%",
                xj01[format!("{k}_pct")].as_f64().unwrap()
            )),
            "{k}: the page shows the API's rate"
        );
    }
    assert_eq!(
        b.js(
            "return document.querySelectorAll('#rates-table tr[data-station=XJ-01] td.day').length"
        ),
        json!(xj01["days"].as_array().map_or(0, Vec::len)),
        "a cell per day"
    );
    b.screenshot_page("integrity-operations.png");
    // The monthly report's link gives a PDF (fetched with the page's session).
    b.js("window.__report = null; fetch(document.querySelector('#op-report').href).then(async (r) => { const a = new Uint8Array(await r.arrayBuffer()); window.__report = r.status + ' ' + String.fromCharCode(...a.slice(0, 5)); })");
    let report = b.wait("the PDF report", "return window.__report");
    assert_eq!(report, json!("200 %PDF-"), "the 运维月报 link");

    eprintln!("browser test: a correction, then the month is closed");
    b.go(&format!("{web}/#/station/XJ-01"));
    b.wait(
        "the corrections",
        "return document.querySelector('#correction-form') !== null",
    );
    let values =
        "return document.querySelector('#chart').uplot.data[1].filter((v) => v != null).length";
    let raw_values = b.js(values).as_u64().unwrap();
    b.type_into("#cor-hour", "2019-01-02 08:00");
    b.type_into("#cor-note", "采样泵故障，该小时无效");
    b.click("#correction-form button[type=submit]");
    b.wait(
        "the correction listed",
        "return document.querySelector('#corrections-table tr[data-action=invalidate]') !== null",
    );
    let corrections = get_as(&addr, &bureau, "/api/v1/stations/XJ-01/corrections");
    assert!(
        corrections.to_string().contains("2019-01-02 08:00"),
        "{corrections}"
    );
    // The audited series lacks the invalidated hour; the raw one keeps it.
    b.js("const v = document.querySelector('#series-view'); v.value = 'audited'; v.onchange()");
    let audited_values = b.wait(
        "the audited series",
        &format!("return document.querySelector('#chart-info').textContent.includes('基于审核数据') && ({})", values.trim_start_matches("return ")),
    );
    assert_eq!(audited_values.as_u64(), Some(raw_values - 1));
    b.screenshot_page("integrity-corrections.png");
    b.go(&format!("{web}/#/alarms"));
    b.wait(
        "the month close",
        "return document.querySelector('#close-month-form') !== null",
    );
    b.js("window.confirm = () => true; document.querySelector('#close-month').value = '2019-01'");
    b.click("#close-month-form button");
    b.wait(
        "the month closed",
        "return document.querySelector('#audit-table tr[data-month=\"2019-01\"]') !== null",
    );
    // A closed month takes no more corrections: the page shows the API's refusal.
    b.go(&format!("{web}/#/station/XJ-01"));
    b.wait(
        "the corrections",
        "return document.querySelector('#correction-form') !== null",
    );
    b.type_into("#cor-hour", "2019-01-02 09:00");
    b.type_into("#cor-note", "迟到的修正");
    b.click("#correction-form button[type=submit]");
    let refused = b.wait(
        "the refusal",
        "const e = document.querySelector('#cor-result.error'); return e ? e.textContent : null",
    );
    assert!(
        refused.as_str().unwrap_or_default().contains("2019-01"),
        "{refused}"
    );
    assert_eq!(
        b.js("return document.querySelectorAll('#corrections-table tr[data-action]').length"),
        json!(1)
    );
    drop(browser);
    drop(server);
}

/// Issue 16's pages in Chromium: three township stations replay January 2019 (CNEMC); the
/// bureau sets a township's target on the targets page, reads the month's 通报 and fetches
/// its Excel and PDF, sees the ranking list units without a station unranked and the formula
/// follow the method, reads M05's two milestones, M38's deadline from the plan's body,
/// resolves M36's 各相关责任单位, enters an actual and a 省定目标; a township account then
/// reports on its own part of M21, and the bureau's table of parts counts it.
#[test]
fn targets_reports_rankings_and_the_ledgers_parts() {
    if !have_chromium() {
        return;
    }
    let dir = temp_dir("browser-issue16");
    let d = dir.to_str().unwrap();
    let ok = |line: &str| {
        let mut args: Vec<&str> = line.split_whitespace().collect();
        args.splice(2..2, ["--data-dir", d]);
        let o = lantian(&args);
        assert!(o.status.success(), "{line}: {}", stderr(&o));
    };
    // Three townships of the county profile get a station each, fed by a CNEMC station.
    let stations = [
        ("XJ-01", "辛集镇站", "xinji", "37.943", "115.218", "1001A"),
        ("WK-01", "王口镇站", "wangkou", "37.960", "115.240", "1003A"),
        (
            "JC-01",
            "旧城镇站",
            "jiucheng",
            "37.925",
            "115.200",
            "1005A",
        ),
    ];
    for (i, (id, name, unit, lat, lon, _)) in stations.iter().enumerate() {
        ok(&format!(
            "station add --id {id} --name {name} --unit {unit} --role township --lat {lat} --lon {lon}"
        ));
        ok(&format!(
            "device add --mn 010000A8900016F00016IN{i:02} --password 123456 --station {id}"
        ));
    }
    ok("user add --username bureau1 --role bureau --password correct-horse-battery");
    ok("user add --username wk1 --role township --unit wangkou --password correct-horse-battery");
    // January 2019 as one CNEMC file (one header, the 31 days' rows).
    let mut month = String::new();
    for day in 1..=31 {
        let gz = shared(&format!(
            "cnemc-sample/china_sites_201901/china_sites_201901{day:02}.csv.gz"
        ));
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&gz).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        let skip = usize::from(day > 1);
        for line in text.lines().skip(skip) {
            month.push_str(line);
            month.push('\n');
        }
    }
    let file = dir.join("china_sites_201901.csv");
    std::fs::write(&file, month).unwrap();
    let server = Server::start(d, &[]);
    let (web, addr) = (server.url(), server.http.clone());
    for (i, (.., cnemc)) in stations.iter().enumerate() {
        let mn = format!("010000A8900016F00016IN{i:02}");
        let out = lantian_ok(&[
            "send",
            "--to",
            &server.hj,
            "--mn",
            &mn,
            "--password",
            "123456",
            "--format",
            "cnemc",
            "--station",
            cnemc,
            file.to_str().unwrap(),
        ]);
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["acknowledged"], report["sent"], "{report}");
    }
    server.projected();
    let bureau = super::serve::login(&addr, "bureau1", "correct-horse-battery");
    let township = super::serve::login(&addr, "wk1", "correct-horse-battery");
    let changed_pw = "correct-horse-battery (changed)";

    let browser = Browser::start();
    let b = &browser.driver;
    b.log_in(&web, "bureau1", changed_pw);
    assert_eq!(
        b.js("return [...document.querySelectorAll('nav a')].map((a) => a.getAttribute('href')).filter((h) => ['#/rankings', '#/targets', '#/reports'].includes(h))"),
        json!(["#/rankings", "#/targets", "#/reports"]),
        "目标 and 通报 follow 乡镇排名 in the menu"
    );

    eprintln!("browser test: the bureau sets 王口镇's PM2.5 target of 2019");
    b.go(&format!("{web}/#/targets?year=2019&month=1"));
    b.wait(
        "the target form with the townships",
        "return document.querySelector('#tg-list-table') !== null && document.querySelector('#tg-set select[name=unit] option[value=wangkou]') !== null",
    );
    b.js("document.querySelector('#tg-set select[name=unit]').value = 'wangkou'; document.querySelector('#tg-set select[name=indicator]').value = 'pm25'");
    b.type_into("#tg-set input[name=value]", "52");
    b.type_into("#tg-set input[name=note]", "乡镇分解目标");
    b.click("#tg-set button");
    let row = b.wait(
        "the new target in the table",
        "const r = document.querySelector('#tg-list-table tr[data-unit=wangkou][data-indicator=pm25]'); return r ? r.textContent : null",
    );
    assert!(
        row.as_str().unwrap_or_default().contains("52.0")
            && row.as_str().unwrap_or_default().contains("王口镇"),
        "{row}"
    );
    let targets = get_as(&addr, &bureau, "/api/v1/targets/2019");
    assert!(
        targets["items"]
            .as_array()
            .is_some_and(|a| a.iter().any(|r| r["unit"] == "wangkou"
                && r["indicator"] == "pm25"
                && r["value"] == json!(52.0))),
        "{targets}"
    );
    b.wait(
        "王口镇's progress",
        "return document.querySelector('#tg-progress-table tr[data-unit=wangkou][data-indicator=pm25]') !== null",
    );
    b.screenshot_page("issue16-targets.png");

    eprintln!("browser test: the month's 通报 and its downloads");
    let report = get_as(
        &addr,
        &bureau,
        "/api/v1/reports/township?month=2019-01&method=composite_index",
    );
    b.go(&format!("{web}/#/reports?month=2019-01"));
    b.wait(
        "the 通报 of January 2019",
        "const h = document.querySelector('#rp-body h3'); return h && h.textContent.includes('2019年1月')",
    );
    let first = report["first_three"][0]["name_zh"]
        .as_str()
        .unwrap_or_else(|| panic!("a first place: {report}"));
    assert_eq!(
        b.js("const r = document.querySelector('#rp-body tr[data-rank=\"1\"]'); return r ? r.cells[1].textContent : null"),
        json!(first),
        "the page's first place is the API's"
    );
    b.js("window.__dl = null; Promise.all(['#rp-xlsx', '#rp-pdf'].map((s) => fetch(document.querySelector(s).href).then(async (r) => { const a = new Uint8Array(await r.arrayBuffer()); return [r.status, r.headers.get('content-type'), String.fromCharCode(...a.slice(0, 4))]; }))).then((v) => { window.__dl = v; })");
    let dl = b.wait("the Excel and PDF downloads", "return window.__dl");
    assert_eq!(
        dl,
        json!([
            [
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "PK\u{3}\u{4}"
            ],
            [200, "application/pdf", "%PDF"]
        ]),
        "the 通报 as xlsx (a zip) and as PDF"
    );
    b.screenshot_page("issue16-reports.png");

    eprintln!("browser test: the ranking, its unranked units and the method's formula");
    b.go(&format!("{web}/#/rankings"));
    b.wait(
        "the ranking",
        "return document.querySelector('#rank-table') !== null",
    );
    b.js("document.querySelector('#year').value = '2019'; document.querySelector('#month').value = '1'; document.querySelector('#year').onchange()");
    let ranking = get_as(
        &addr,
        &bureau,
        "/api/v1/rankings?year=2019&month=1&method=composite_index",
    );
    let items = ranking["items"].as_array().unwrap();
    let ranked: Vec<&str> = items
        .iter()
        .filter(|x| !x["rank"].is_null())
        .filter_map(|x| x["unit"].as_str())
        .collect();
    let unranked = items.iter().filter(|x| x["rank"].is_null()).count();
    assert_eq!(
        ranked.len(),
        3,
        "the three townships with a station: {ranking}"
    );
    assert!(unranked >= 13, "the others without a station: {ranking}");
    b.wait(
        "the three ranked townships",
        "return document.querySelectorAll('#rank-table tr[data-rank=\"1\"], #rank-table tr[data-rank=\"2\"], #rank-table tr[data-rank=\"3\"]').length === 3",
    );
    assert_eq!(
        b.js("return document.querySelectorAll('#rank-table tr[data-rank=\"\"]').length")
            .as_u64(),
        Some(unranked as u64),
        "every unit without a station listed, without a rank"
    );
    assert!(
        b.text("#rank-table tr[data-unit=zhangguzhuang]")
            .as_str()
            .unwrap_or_default()
            .contains("无监测站点"),
        "the reason stated"
    );
    let before = b.text("#rk-formula");
    let other = get_as(
        &addr,
        &bureau,
        "/api/v1/rankings?year=2019&month=1&method=pm25_so2_sum",
    );
    b.js("document.querySelector('#method').value = 'pm25_so2_sum'; document.querySelector('#method').onchange()");
    b.wait(
        "the formula of PM2.5 + SO2",
        &format!(
            "return document.querySelector('#rk-formula').textContent === {}",
            other["formula_zh"]
        ),
    );
    assert_ne!(
        before,
        b.text("#rk-formula"),
        "another method, another formula"
    );
    b.screenshot_page("issue16-rankings.png");

    eprintln!("browser test: M05's milestones, M38's deadline from the plan's body");
    b.go(&format!("{web}/#/measure/M05"));
    b.wait(
        "M05's milestones",
        "return document.querySelectorAll('#milestones tr[data-part]').length === 2",
    );
    assert_eq!(
        b.js("return [...document.querySelectorAll('#deadlines li[data-milestone]')].map((l) => [l.dataset.milestone, l.dataset.source, l.querySelector('b').textContent])"),
        json!([["M05-1", "attachment", "2024-12-31"], ["M05-2", "attachment", "2025-12-31"]]),
        "two milestones with their own deadlines, read from the attachment"
    );
    assert!(
        b.text("#deadlines")
            .as_str()
            .unwrap_or_default()
            .contains("附件"),
        "the source named"
    );
    let m05 = get_as(&addr, &bureau, "/api/v1/ledger/M05");
    for ms in m05["parts"]["milestones"].as_array().unwrap() {
        let shown = b.js(&format!(
            "return [...document.querySelectorAll('#milestones tr[data-part=\"{}\"] .part-act')].map((x) => x.dataset.act)",
            ms["id"].as_str().unwrap()
        ));
        assert_eq!(shown, ms["allowed"], "only the acts the API allows: {ms}");
    }
    b.screenshot_page("issue16-measure-m05.png");
    b.go(&format!("{web}/#/measure/M38"));
    let m38 = b.wait(
        "M38's deadline",
        "const l = document.querySelector('#deadlines li[data-source=plan_body]'); return l ? l.textContent : null",
    );
    let m38 = m38.as_str().unwrap_or_default();
    assert!(
        m38.contains("2025-12-31") && m38.contains("方案正文") && m38.contains("到2025年"),
        "{m38}"
    );

    eprintln!("browser test: an actual entered on M38's dust-fall target");
    let dust = get_as(&addr, &bureau, "/api/v1/ledger/M38")["target_progress"]
        .as_array()
        .and_then(|a| a.iter().find(|t| t["comparison"] == "at_most").cloned())
        .unwrap_or_else(|| panic!("M38 has an at-most target"));
    let key = dust["key"].as_str().unwrap();
    b.js(&format!("document.querySelector('#actual-key').value = '{key}'; document.querySelector('#actual-month').value = '2025-11'"));
    b.type_into("#actual-value", "4.2");
    b.click("#actual-form button");
    b.wait(
        "the actual in the table",
        &format!("const c = document.querySelector('#target-progress tr[data-key={key}] td.actual'); return c && c.textContent === '4.2'"),
    );
    assert_eq!(
        b.js(&format!("return document.querySelector('#target-progress tr[data-key={key}] [data-verdict]').dataset.verdict")),
        json!("met"),
        "4.2 is within ≤ {}", dust["target"]
    );
    let after = get_as(&addr, &bureau, "/api/v1/ledger/M38");
    let t = after["target_progress"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == key)
        .unwrap();
    assert_eq!(
        (
            t["actual"].as_f64(),
            t["month"].as_str(),
            t["actual_source"].as_str()
        ),
        (Some(4.2), Some("2025-11"), Some("typed")),
        "{t}"
    );
    b.screenshot_page("issue16-measure-m38.png");

    eprintln!("browser test: M09's 省定目标 entered by the bureau");
    b.go(&format!("{web}/#/measure/M09"));
    b.wait(
        "the 省定目标 form",
        "return document.querySelector('#ptarget-form') !== null",
    );
    b.type_into("#ptarget-value", "8");
    b.click("#ptarget-form button");
    b.wait(
        "the number in the table",
        "const r = document.querySelector('#target-progress tr[data-key=coal_reduction]'); return r && r.textContent.includes('≥8')",
    );

    eprintln!("browser test: M36's 各相关责任单位 resolved");
    b.go(&format!("{web}/#/measure/M36"));
    b.wait("the resolve form", "return document.querySelector('#resolve-form') !== null && document.querySelector('#unresolved') !== null");
    b.type_into("#resolve-lead", "市住房城乡建设局");
    b.type_into("#resolve-supporting", "市交通运输局");
    b.type_into("#resolve-note", "按职责分工明确");
    b.click("#resolve-form button");
    b.wait(
        "the named units",
        "return document.querySelector('#unresolved') === null && document.querySelector('#lead-units').textContent === '市住房城乡建设局'",
    );
    let m36 = get_as(&addr, &bureau, "/api/v1/ledger/M36");
    assert_eq!(
        (m36["unresolved"].as_bool(), m36["lead_units"].clone()),
        (Some(false), json!(["市住房城乡建设局"])),
        "{m36}"
    );
    b.screenshot_page("issue16-measure-m36.png");

    eprintln!("browser test: the ledger list with the plan's headline targets");
    b.go(&format!("{web}/#/ledger"));
    b.wait(
        "the list",
        "return document.querySelectorAll('#ledger-table tr[data-id]').length === 53",
    );
    assert_eq!(
        b.js("return [...document.querySelectorAll('#plan-targets tr[data-key]')].map((r) => r.dataset.key)"),
        json!(["pm25", "heavy_day_ratio"])
    );
    assert!(
        b.text("#ledger-table tr[data-id=M21] .deadline")
            .as_str()
            .unwrap_or_default()
            .contains("（默认）"),
        "a default deadline is marked"
    );
    b.screenshot_page("issue16-ledger.png");
    b.log_out(&web);

    eprintln!("browser test: 王口镇 reports on its own part of M21");
    b.log_in(&web, "wk1", changed_pw);
    b.go(&format!("{web}/#/measure/M21"));
    b.wait(
        "its own part",
        "return document.querySelector('#township-parts tr[data-part=wangkou] .part-act[data-act=report]') !== null",
    );
    assert_eq!(
        b.js("return document.querySelectorAll('#township-parts tr[data-part]').length"),
        json!(1),
        "a township sees its own part"
    );
    b.click("#township-parts tr[data-part=wangkou] .part-act[data-act=report]");
    b.js("document.querySelector('#part-month').value = '2025-11'");
    b.type_into("#part-text", "已完成辖区内排查");
    b.click("#part-form button");
    b.wait(
        "the report counted",
        "const r = document.querySelector('#township-parts tr[data-part=wangkou]'); return r && r.dataset.reports === '1' && document.querySelector('#measure-notice') !== null",
    );
    assert!(
        b.text("#township-parts tr[data-part=wangkou]")
            .as_str()
            .unwrap_or_default()
            .contains("北京时间"),
        "the report's time says Beijing time"
    );
    assert!(
        b.text("#measure-notice")
            .as_str()
            .unwrap_or_default()
            .contains("王口镇"),
        "the notice names the part reported on"
    );
    b.screenshot_page("issue16-township-part.png");
    let m21 = get_as(&addr, &township, "/api/v1/ledger/M21");
    assert_eq!(
        m21["township_progress"]["started"],
        json!(1),
        "{}",
        m21["township_progress"]
    );
    b.log_out(&web);

    eprintln!("browser test: the bureau's table of parts counts it");
    b.log_in(&web, "bureau1", changed_pw);
    b.go(&format!("{web}/#/measure/M21"));
    b.wait(
        "the parts",
        "return document.querySelectorAll('#township-parts tr[data-part]').length === 16",
    );
    assert_eq!(b.text("#township-started"), json!("1"));
    assert_eq!(
        b.js("return [...document.querySelectorAll('#township-parts tr[data-part]')].filter((r) => r.dataset.reports !== '0').map((r) => r.dataset.part)"),
        json!(["wangkou"])
    );
    b.screenshot_page("issue16-township-parts.png");
    // No dictionary key shows untranslated, in either language.
    let keys = "return (document.body.innerText.match(/\\b(lg|ds|vd|as|cmp|ev|st|tg|u)_[a-z0-9_]+/g) || []).join(' ')";
    assert_eq!(b.js(keys), json!(""), "Chinese");
    b.click("#lang");
    b.wait(
        "the page in English",
        "return document.querySelector('#township-parts') !== null && document.querySelector('[data-i18n=nav_map]').textContent === 'Map'",
    );
    assert_eq!(b.js(keys), json!(""), "English");
    b.screenshot_page("issue16-township-parts-en.png");
    b.click("#lang");
    drop(browser);
    drop(server);
}

/// Source tracing (issue 19): 30 days of eight Beijing stations (PM2.5 and wind, UCI PRSA)
/// stored as hourly values and two enterprises near one of them; `#/tracing` draws every
/// receptor method with ECharts (each instance has series) and the upwind table,
/// `#/tracing-map` the interpolated surface hour by hour, and pressing play steps the hour.
#[test]
fn tracing_pages_and_the_animated_map() {
    if !have_chromium() {
        return;
    }
    const SITES: [(&str, f64, f64); 8] = [
        ("Aotizhongxin", 39.9821, 116.3966),
        ("Dongsi", 39.9289, 116.4174),
        ("Tiantan", 39.8863, 116.4072),
        ("Guanyuan", 39.9295, 116.3392),
        ("Wanliu", 39.9611, 116.2878),
        ("Gucheng", 39.9136, 116.184),
        ("Nongzhanguan", 39.9365, 116.462),
        ("Wanshouxigong", 39.8784, 116.3621),
    ];
    let dir = temp_dir("browser-tracing");
    let d = dir.to_str().unwrap();
    for (name, lat, lon) in SITES {
        let line = format!(
            "station add --data-dir {d} --id BJ-{name} --name {name} --unit xinji --role assessment --lat {lat} --lon {lon}"
        );
        lantian_ok(&line.split_whitespace().collect::<Vec<_>>());
    }
    for (id, lat, lon) in [("NE-PLANT", 40.0, 116.42), ("SW-PLANT", 39.96, 116.37)] {
        let line = format!(
            "enterprise add --data-dir {d} --id {id} --name {id} --unit xinji --lat {lat} --lon {lon}"
        );
        lantian_ok(&line.split_whitespace().collect::<Vec<_>>());
    }
    let (first, last) = ("2015-01-01", "2015-01-30");
    let from = lantian_core::cst::day_start(lantian_core::Date::parse(first).unwrap());
    let to = lantian_core::cst::day_start(lantian_core::Date::parse(last).unwrap()) + 86_400;
    {
        let store = lantian_store::Store::open_data_dir(&dir).unwrap();
        let mut obs = Vec::new();
        for (name, _, _) in SITES {
            let rows = super::tracing_app::read_station(name, |s| (from..to).contains(&s));
            assert_eq!(rows.len(), 720, "{name}: 30 days of hours");
            obs.extend(super::tracing_app::hourly_obs(&format!("BJ-{name}"), &rows));
        }
        store
            .commit_batch(&[lantian_store::Ingest {
                packet: None,
                observations: obs,
            }])
            .unwrap();
    }
    let server = Server::start(d, &["--no-device-setup"]);
    let web = server.url();
    let browser = Browser::start();
    let b = &browser.driver;

    eprintln!("browser test: #/tracing draws every method");
    b.go(&format!(
        "{web}/#/tracing?station=BJ-Aotizhongxin&pollutant=PM2.5&from={first}&to={last}"
    ));
    b.wait(
        "the tracing page drawn",
        "return document.querySelector('#view').dataset.tracing === 'drawn'",
    );
    let series = b.js(
        "return ['polar', 'pollution_rose', 'cpf', 'nwr', 'wind_rose', 'annulus', 'timevar'].map((k) => { \
         const i = window.echarts && echarts.getInstanceByDom(document.querySelector('#tr-' + k)); \
         return [k, i ? i.getOption().series.filter((s) => (s.data || []).length > 0).length : 0]; })",
    );
    for pair in series.as_array().unwrap() {
        assert!(
            pair[1].as_u64().unwrap() > 0,
            "{} has no series with data: {series}",
            pair[0]
        );
    }
    let captions =
        b.js("return [...document.querySelectorAll('[id$=-cap]')].map((e) => e.textContent)");
    for c in captions.as_array().unwrap() {
        let c = c.as_str().unwrap();
        assert!(
            c.contains("北京时间") && c.contains("2015-01-01 00:00"),
            "{c}"
        );
    }
    let upwind = b.js(
        "return [...document.querySelectorAll('#tr-upwind-table tbody tr')].map((r) => r.cells[1].textContent)",
    );
    assert_eq!(upwind.as_array().unwrap().len(), 2, "{upwind}");
    // No dictionary key shows untranslated.
    let keys =
        "return (document.body.innerText.match(/\\b(tr|tracing|nav)_[a-z0-9_]+/g) || []).join(' ')";
    assert_eq!(b.js(keys), json!(""), "Chinese");
    b.screenshot_page("tracing-page.png");

    eprintln!("browser test: #/tracing-map animates 30 days");
    for method in ["idw", "kriging"] {
        b.go(&format!(
            "{web}/#/tracing-map?pollutant=PM2.5&from={first}&to={last}&method={method}"
        ));
        b.wait(
            "the surface loaded",
            "return document.querySelector('#map') && document.querySelector('#map').dataset.hours === '720'",
        );
        let shown = b.text("#tm-hour");
        assert!(
            shown
                .as_str()
                .unwrap()
                .contains("2015-01-01 01:00 北京时间"),
            "{shown}"
        );
        let loo = b.text("#tm-loo");
        assert!(loo.as_str().unwrap().contains("RMSE"), "{loo}");
        let transport = b.wait(
            "the transport estimate",
            "const t = document.querySelector('#tm-transport').textContent; return t.includes('%') ? t : null",
        );
        assert!(
            transport.as_str().unwrap().contains("上风向输入")
                || transport.as_str().unwrap().contains("upwind inflow"),
            "{transport}"
        );
        eprintln!("browser test: {method} over 8 Beijing stations, January 2015: {loo}");
        b.click("#tm-play");
        b.wait(
            "the hour to step",
            "return Number(document.querySelector('#tm-hour').dataset.index) >= 3",
        );
        b.click("#tm-play");
        assert_ne!(b.text("#tm-hour"), shown, "the shown hour changed");
        // The screenshot at the hour whose stations differ most.
        b.js("const s = document.querySelector('#tm-slider'); s.value = document.querySelector('#map').dataset.widest; s.oninput();");
        b.screenshot_page(&format!("tracing-map-{method}.png"));
        assert_eq!(b.js(keys), json!(""), "Chinese");
    }
    // The page in English.
    b.click("#lang");
    b.wait(
        "the map page in English",
        "return document.querySelector('#tm-play') !== null && document.querySelector('#tm-play').textContent === 'Play' && document.querySelector('#map').dataset.hours === '720'",
    );
    assert_eq!(b.js(keys), json!(""), "English");
    b.screenshot_page("tracing-map-en.png");
    b.click("#lang");
    drop(browser);
    drop(server);
}

/// A minimal JPEG carrying EXIF (big-endian TIFF): `DateTimeOriginal` `taken`
/// (`YYYY:MM:DD HH:MM:SS`, Beijing time) and a GPS position; the segments parse up to an empty
/// scan (no pixels: nothing here decodes the image).
pub(super) fn jpeg_with_exif(taken: &str, lat: f64, lon: f64) -> Vec<u8> {
    let mut t: Vec<u8> = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        t.extend(tag.to_be_bytes());
        t.extend(kind.to_be_bytes());
        t.extend(count.to_be_bytes());
        t.extend(value);
    };
    // IFD0 at 8: the Exif IFD at 38, the GPS IFD at 56.
    t.extend(2u16.to_be_bytes());
    entry(&mut t, 0x8769, 4, 1, 38u32.to_be_bytes());
    entry(&mut t, 0x8825, 4, 1, 56u32.to_be_bytes());
    t.extend(0u32.to_be_bytes());
    // Exif IFD at 38: DateTimeOriginal, its 20 bytes at 110.
    t.extend(1u16.to_be_bytes());
    entry(&mut t, 0x9003, 2, 20, 110u32.to_be_bytes());
    t.extend(0u32.to_be_bytes());
    // GPS IFD at 56: N, the latitude at 130; E, the longitude at 154.
    t.extend(4u16.to_be_bytes());
    entry(&mut t, 1, 2, 2, *b"N\0\0\0");
    entry(&mut t, 2, 5, 3, 130u32.to_be_bytes());
    entry(&mut t, 3, 2, 2, *b"E\0\0\0");
    entry(&mut t, 4, 5, 3, 154u32.to_be_bytes());
    t.extend(0u32.to_be_bytes());
    assert_eq!(t.len(), 110);
    t.extend(taken.as_bytes());
    t.push(0);
    for deg in [lat, lon] {
        let (d, m) = (deg.trunc(), (deg.fract() * 60.0).trunc());
        let s_e4 = ((deg * 3600.0 - d * 3600.0 - m * 60.0) * 10_000.0).round() as u32;
        for (num, den) in [(d as u32, 1u32), (m as u32, 1), (s_e4, 10_000)] {
            t.extend(num.to_be_bytes());
            t.extend(den.to_be_bytes());
        }
    }
    assert_eq!(t.len(), 178);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(t);
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1];
    jpeg.extend(u16::try_from(app1.len() + 2).unwrap().to_be_bytes());
    jpeg.extend(app1);
    jpeg.extend([0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xD9]);
    jpeg
}

pub(super) fn base64_encode(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |a, (i, b)| a | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl Driver {
    /// Puts a file (its bytes in base64) into the file input `css` and fires its change.
    pub(super) fn choose_file(&self, css: &str, name: &str, mime: &str, bytes: &[u8]) {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({ "script": "const [css, name, mime, b64] = arguments; const bin = atob(b64); \
                const u = new Uint8Array(bin.length); for (let i = 0; i < bin.length; i += 1) u[i] = bin.charCodeAt(i); \
                const dt = new DataTransfer(); dt.items.add(new File([u], name, { type: mime })); \
                const input = document.querySelector(css); input.files = dt.files; input.dispatchEvent(new Event('change'));",
                "args": [css, name, mime, base64_encode(bytes)] })),
        );
    }
}

/// The grid tour: fire points imported become tasks on the bureau's map (with hot-spot cells)
/// and in the statistics by township; the public sends a complaint with a photo through the
/// form and gets its lookup code; the township signs, handles and finishes it with a photo
/// whose EXIF check is shown; the bureau approves; the public lookup shows it closed; the
/// sites page opens and the xlsx export answers as a spreadsheet.
#[test]
fn grid_tasks_complaints_and_their_map() {
    if !have_chromium() {
        return;
    }
    let dir = temp_dir("browser-grid");
    let d = dir.to_str().unwrap();
    let pw = "correct-horse-battery";
    let changed_pw = "correct-horse-battery (changed)";
    lantian_ok(&[
        "user",
        "add",
        "--data-dir",
        d,
        "--username",
        "bureau1",
        "--role",
        "bureau",
        "--password",
        pw,
    ]);
    // Three fires inside the county (王口镇, 辛集镇, 旧城镇 by their seats) and one in Beijing,
    // seen an hour ago (FIRMS times are UTC).
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let utc = |ms: i64| {
        // Beijing time text less eight hours is UTC.
        lantian_core::cst::format_unix_ms(ms - 8 * 3_600_000)
    };
    let seen = utc(now_ms - 3_600_000);
    let (date, hhmm) = (&seen[..10], seen[11..16].replace(':', ""));
    let mut csv = String::from(
        "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,version,bright_ti5,frp,daynight\n",
    );
    for (lat, lon) in [
        (37.99, 115.40),
        (37.943, 115.218),
        (37.86, 115.31),
        (39.9087, 116.3975),
    ] {
        csv.push_str(&format!(
            "{lat},{lon},330.1,0.39,0.36,{date},{hhmm},N20,VIIRS,n,2.0NRT,290.2,5.1,D\n"
        ));
    }
    let fires = dir.join("viirs.csv");
    std::fs::write(&fires, csv).unwrap();
    let out = lantian_ok(&[
        "task",
        "import-firepoints",
        "--data-dir",
        d,
        fires.to_str().unwrap(),
        "--json",
    ]);
    let lines = json_lines(&out);
    let townships: Vec<Value> = lines.iter().map(|l| l["township"].clone()).collect();
    assert_eq!(
        townships,
        [
            json!("wangkou"),
            json!("xinji"),
            json!("jiucheng"),
            Value::Null
        ],
        "{lines:?}"
    );

    let server = Server::start(d, &["--no-device-setup"]);
    let (web, addr) = (server.url(), server.http.clone());
    let bureau = super::serve::login(&addr, "bureau1", pw);
    post_as(
        &addr,
        &bureau,
        "/api/v1/sites",
        json!({ "id": "GD-01", "name": "王口镇安置房工地", "kind": "construction", "lat": 37.985, "lon": 115.395,
                "owner": "王口建设公司", "limit_ug_m3": 150.0 }),
    );
    let browser = Browser::start();
    let b = &browser.driver;
    // No dictionary key of the grid pages shows untranslated.
    let keys = "return (document.body.innerText.match(/\\b(gr|gs|gc|gf|gd|gm|ga|gact|gv|gsrc|gcat|gms|gdk|nav)_[a-z0-9_]+/g) || []).join(' ')";

    eprintln!(
        "browser test: the bureau sees the fire points' tasks on the map and in the statistics"
    );
    b.log_in(&web, "bureau1", changed_pw);
    b.go(&format!("{web}/#/tasks"));
    b.wait(
        "the statistics chart",
        "const c = document.querySelector('#task-chart'); return c && c.dataset.drawn",
    );
    assert_eq!(b.text("#task-total"), json!("3"));
    assert_eq!(
        b.js("return document.querySelector('#task-map').dataset.markers"),
        json!("3")
    );
    // Three fires kilometres apart: three hot-spot cells of one task each.
    assert_eq!(
        b.js("return document.querySelectorAll('#task-map path.hot-cell').length"),
        json!(3)
    );
    assert_eq!(
        b.js("return document.querySelector('#task-chart').dataset.drawn"),
        json!("3")
    );
    let wangkou = b.js(
        "const r = document.querySelector('#task-stats-table tr[data-township=wangkou]'); return [...r.cells].map((c) => c.textContent)",
    );
    assert_eq!(wangkou[0], json!("王口镇"));
    assert_eq!(wangkou[1], json!("1"), "{wangkou}");
    let deadlines = b.js(
        "return [...document.querySelectorAll('#task-table td.deadline')].map((c) => c.textContent)",
    );
    assert!(
        deadlines
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c.as_str().unwrap().contains("北京时间")),
        "{deadlines}"
    );
    assert_eq!(b.js(keys), json!(""), "Chinese");
    b.screenshot_page("grid-tasks.png");
    b.go(&format!("{web}/#/fire"));
    b.wait(
        "the fire points' daily summary",
        "return document.querySelector('#fire-summary-table')",
    );
    assert_eq!(
        b.js("return document.querySelector('#fire-summary-table tbody tr').cells[1].textContent"),
        json!("3")
    );
    b.screenshot_page("grid-fire.png");
    b.log_out(&web);

    eprintln!("browser test: the public sends a complaint with a photo");
    b.go(&format!("{web}/#/complain"));
    b.wait(
        "the form's token",
        "const f = document.querySelector('#complaint-form'); return f && f.dataset.token === 'ready'",
    );
    b.js("document.querySelector('#gc-category').value = 'smoke'");
    b.type_into("#gc-text", "小区东侧锅炉房烟囱冒黑烟，每天早上最严重");
    // Sending without a place says what is missing.
    b.click("#gc-submit");
    assert_eq!(
        b.text("#gc-error"),
        json!("请在地图上点击，选择问题所在位置。")
    );
    b.click("#complaint-map");
    b.wait(
        "the place picked",
        "return document.querySelector('#complaint-map').dataset.picked",
    );
    b.type_into("#gc-address", "幸福小区东门");
    let photo = jpeg_with_exif("2026:01:01 08:00:00", 37.99, 115.40);
    b.choose_file("#gc-photo", "smoke.jpg", "image/jpeg", &photo);
    // The form must have been open a few seconds (its token says when it was given).
    std::thread::sleep(Duration::from_millis(3500));
    b.click("#gc-submit");
    let code = b.wait(
        "the lookup code",
        "const c = document.querySelector('#lookup-code'); return c ? c.textContent : (document.querySelector('#gc-error').textContent ? 'ERROR ' + document.querySelector('#gc-error').textContent : null)",
    );
    let code = code.as_str().unwrap().to_owned();
    assert!(!code.starts_with("ERROR") && code.len() >= 6, "{code}");
    assert_eq!(b.js(keys), json!(""), "Chinese");
    b.screenshot_page("grid-complaint-code.png");

    // Its task, as the bureau's API lists it: the township its place lies in.
    let tasks = get_as(&addr, &bureau, "/api/v1/tasks?source=complaint");
    let task = tasks["items"][0].clone();
    let (id, township) = (
        task["id"].as_i64().unwrap(),
        task["township"].as_str().unwrap().to_owned(),
    );
    lantian_ok(&[
        "user",
        "add",
        "--data-dir",
        d,
        "--username",
        "xz1",
        "--role",
        "township",
        "--unit",
        &township,
        "--password",
        pw,
    ]);
    super::serve::login(&addr, "xz1", pw);

    eprintln!(
        "browser test: the township ({township}) signs, handles and finishes task {id} with a photo"
    );
    b.log_in(&web, "xz1", changed_pw);
    b.go(&format!("{web}/#/tasks?source=complaint"));
    b.wait(
        "the township's queue",
        &format!("return document.querySelector('#task-table tr[data-id=\"{id}\"]')"),
    );
    let state_is = |s: &str| {
        format!(
            "const e = document.querySelector('#task-state .task-state'); return e && e.dataset.state === '{s}'"
        )
    };
    b.go(&format!("{web}/#/task/{id}"));
    for (act, after) in [("sign", "signed"), ("start", "handling")] {
        b.wait(
            act,
            &format!("return document.querySelector('button[data-act={act}]')"),
        );
        b.click(&format!("button[data-act={act}]"));
        b.wait(after, &state_is(after));
    }
    let taken = lantian_core::cst::format_unix_ms(now_ms + 120_000).replace('-', ":") + ":00";
    let lat = task["lat"].as_f64().unwrap();
    let lon = task["lon"].as_f64().unwrap();
    b.choose_file(
        "#task-evidence",
        "done.jpg",
        "image/jpeg",
        &jpeg_with_exif(&taken, lat, lon),
    );
    let verdict = b.wait(
        "the evidence's check",
        "const r = document.querySelector('#task-evidence-table tbody tr'); return r && r.dataset.verdict",
    );
    assert!(
        ["consistent", "flagged", "unchecked"].contains(&verdict.as_str().unwrap()),
        "{verdict}"
    );
    eprintln!("browser test: the photo's EXIF check says {verdict}");
    b.type_into("#task-act-text", "已约谈锅炉房负责人，更换燃料并拍照存证");
    b.click("button[data-act=finish]");
    b.wait("finished", &state_is("finished"));
    assert_eq!(b.js(keys), json!(""), "Chinese");
    b.screenshot_page("grid-task-finished.png");
    b.log_out(&web);

    eprintln!("browser test: the bureau approves; the public lookup shows it closed");
    b.log_in(&web, "bureau1", changed_pw);
    b.go(&format!("{web}/#/task/{id}"));
    b.wait(
        "approve",
        "return document.querySelector('button[data-act=approve]')",
    );
    b.click("button[data-act=approve]");
    b.wait("approved", &state_is("approved"));
    let timeline = b.js(
        "return [...document.querySelectorAll('#task-timeline li')].map((l) => l.dataset.action)",
    );
    for a in ["create", "sign", "start", "evidence", "finish", "approve"] {
        assert!(
            timeline.as_array().unwrap().contains(&json!(a)),
            "{a}: {timeline}"
        );
    }
    b.screenshot_page("grid-task-approved.png");

    // The xlsx export of the list, as the browser downloads it.
    b.go(&format!("{web}/#/tasks"));
    b.wait(
        "the export link",
        "return document.querySelector('#tasks-xlsx')",
    );
    let got = b.js(
        "const x = new XMLHttpRequest(); x.open('GET', document.querySelector('#tasks-xlsx').href, false); x.send(); \
         return [x.status, x.getResponseHeader('content-type')]",
    );
    assert_eq!(
        got,
        json!([
            200,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        ])
    );
    b.go(&format!("{web}/#/sites"));
    b.wait(
        "the sites",
        "return document.querySelector('#site-table tr[data-id=\"GD-01\"]')",
    );
    assert_eq!(b.js(keys), json!(""), "Chinese");
    b.screenshot_page("grid-sites.png");
    // A machine registered through the bureau's form.
    b.go(&format!("{web}/#/machinery"));
    b.wait(
        "the machinery form",
        "return document.querySelector('#machinery-form')",
    );
    for (field, value) in [
        ("code", "XJ-NR-0001"),
        ("owner", "王口建设公司"),
        ("kind", "挖掘机"),
        ("engine_kw", "75"),
    ] {
        b.type_into(&format!("#machinery-form [data-k={field}]"), value);
    }
    b.js("document.querySelector('#machinery-form [data-k=stage]').value = 'cn3'");
    b.click("#machinery-form button");
    b.wait(
        "the machine listed",
        "return document.querySelector('#machinery-table tr[data-code=\"XJ-NR-0001\"]')",
    );
    assert_eq!(
        b.js("return document.querySelector('#machinery-table tr[data-code=\"XJ-NR-0001\"]').cells[3].textContent"),
        json!("国三")
    );
    b.screenshot_page("grid-machinery.png");
    // The task list in English.
    b.go(&format!("{web}/#/tasks"));
    b.wait(
        "the statistics chart",
        "const c = document.querySelector('#task-chart'); return c && c.dataset.drawn",
    );
    b.click("#lang");
    b.wait(
        "the tasks page in English",
        "const h = document.querySelector('#view h2'); const c = document.querySelector('#task-chart'); return h && h.textContent === 'Grid tasks' && c && c.dataset.drawn",
    );
    assert_eq!(b.js(keys), json!(""), "English");
    b.screenshot_page("grid-tasks-en.png");
    b.click("#lang");
    b.log_out(&web);

    b.go(&format!("{web}/#/lookup?code={code}"));
    b.wait(
        "the lookup closed",
        "const s = document.querySelector('#lookup-state'); return s && s.dataset.closed === '1'",
    );
    assert_eq!(b.js(keys), json!(""), "Chinese");
    b.screenshot_page("grid-lookup.png");
    drop(browser);
    drop(server);
}
