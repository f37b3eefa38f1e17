//! The device-keys page in Chromium (issue 22, docs/hj212-2025.md), against a real `lantian
//! serve`: the bureau sets a 2025 device's SM4 key (random, shown once, due in 90 days),
//! a weak key is refused with the reason, a rotation makes a pending key; a logger that
//! connects with an unregistered MN and uploads its hardware serial (1001) over real TCP
//! appears as awaiting an MN, the bureau assigns one, and the logger's next 1001 is answered
//! with 1002 carrying it. The English page has no Chinese outside names; desktop and phone
//! sizes; a township has no menu entry and the API refuses it. Screenshots go to
//! `test-artifacts/device-keys-*.png`.

use super::alarms_live::{mn, township_station};
use super::browser::{Browser, Driver, have_chromium};
use super::browser_enforce::{CHINESE_CHROME, no_errors, visit};
use super::serve::Server;
use super::*;
use lantian_core::org::Role;
use lantian_hj212::encode::{Header, encode};
use lantian_hj212::{Command, Flag, Limits, check, decode};
use serde_json::json;
use std::io::{Read, Write};
use std::time::Duration;

const PASSWORD: &str = "correct horse battery";

fn set_size(b: &Driver, w: u32, h: u32) {
    b.cmd(
        "POST",
        "/window/rect",
        Some(json!({ "width": w, "height": h })),
    );
}

/// A logger's 1001 (hardware serial) under a placeholder MN, over a new TCP connection;
/// returns the frames the gateway answered within two seconds.
fn upload_serial(hj: &str, serial: &str) -> Vec<Vec<u8>> {
    let mut s = std::net::TcpStream::connect(hj).unwrap();
    let f = encode(
        &Header {
            qn: Some("20261201090000001"),
            st: "31",
            cn: Command(1001),
            pw: Some("123456"),
            mn: Some("000000000000000000000000"),
            flag: Some(Flag(9)),
            pnum: None,
            pno: None,
            resend: false,
        },
        &format!("i23005-Info={serial};i23006-Info=CPU-77;i23007-Info=00:1A:2B:3C:4D:5E"),
    );
    s.write_all(&f).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let (mut buf, mut frames, mut chunk) = (Vec::new(), Vec::new(), [0u8; 4096]);
    loop {
        while let lantian_hj212::Check::Frame { len } = check(&buf, &Limits::default()) {
            frames.push(buf.drain(..len).collect());
        }
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return frames,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// A phone-sized screenshot of the page as it is, with no sideways scrolling.
fn phone(b: &Driver, name: &str) {
    set_size(b, 390, 844);
    std::thread::sleep(Duration::from_millis(300));
    b.js("window.scrollTo(0, 0)");
    let overflow = b.js("return document.documentElement.scrollWidth - window.innerWidth");
    assert!(
        overflow.as_i64().unwrap_or(1) <= 0,
        "no sideways scrolling on a phone: {overflow} {}",
        b.js("return [...document.querySelectorAll('#view *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth && !e.closest('.table-wrap')).map((e) => e.tagName + '#' + e.id + '.' + e.className).slice(0, 8)")
    );
    b.screenshot(name);
    set_size(b, 1280, 900);
}

/// Opens the page afresh (a visit to the same hash would not draw it again).
fn page(b: &Driver, web: &str, what: &str, ready: &str) {
    b.go(&format!("{web}/#/password"));
    b.wait("another page", "return location.hash === '#/password'");
    visit(b, web, "#/device-keys", what, ready);
}

#[test]
fn device_keys_page_sets_rotates_and_assigns_an_mn_to_a_logger() {
    if !have_chromium() {
        return;
    }
    let dir = temp_dir("browser-device-keys");
    let d = dir.to_str().unwrap();
    township_station(
        &dir,
        "T-DK",
        "密钥站",
        &[
            ("bureau1", Role::Bureau, None),
            ("town1", Role::Township, Some("wangkou")),
        ],
    );
    let device = mn("T-DK");
    let s = Server::start(d, &[]);
    let web = s.url();

    let browser = Browser::start();
    let b = &browser.driver;
    b.go(&web);
    b.js("localStorage.setItem('lang', 'zh')");
    b.log_in(&web, "bureau1", PASSWORD);
    assert_eq!(
        b.js("return document.querySelector('#nav-device-keys').hidden"),
        json!(false),
        "the bureau has the menu entry"
    );
    eprintln!("browser test: no key yet; a random key is set and shown once");
    page(
        b,
        &web,
        "the device-keys page",
        "return document.querySelector('#dk-set') !== null",
    );
    assert!(b.js("return document.querySelector('#dk-none') !== null") == json!(true));
    b.type_into("#dk-set-mn", &device);
    b.click("#dk-set-submit");
    b.wait(
        "the key issued",
        "return document.querySelector('#dk-issued-key') !== null",
    );
    no_errors(b, "setting a key");
    let key = b.text("#dk-issued-key").as_str().unwrap_or("").to_owned();
    assert_eq!(key.len(), 32, "32 hex digits: {key}");
    assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
    let row = b.text("#dk-keys tbody tr").to_string();
    assert!(row.contains("v1") && row.contains("在用"), "{row}");
    assert!(row.contains("北京时间"), "times in Beijing time: {row}");
    assert!(!row.contains(&key), "the list never shows the key: {row}");
    // The due date is 90 days after the activation.
    let due = b.js("return document.querySelectorAll('#dk-keys tbody tr td')[6].textContent");
    assert!(
        due.as_str().is_some_and(|t| t.contains("北京时间")),
        "{due}"
    );
    b.screenshot_page("device-keys-zh.png");

    eprintln!("browser test: a weak key is refused with the reason");
    b.type_into("#dk-set-mn", &device);
    b.type_into("#dk-set-key", "30303030303030303030303030303030");
    b.click("#dk-set-submit");
    b.wait(
        "the refusal",
        "return document.querySelector('#dk-result p.error') !== null",
    );
    let err = b.text("#dk-result").to_string();
    assert!(err.contains("简单") || err.contains("weak"), "{err}");

    eprintln!("browser test: a rotation makes a pending key");
    page(
        b,
        &web,
        "the page again",
        "return document.querySelector('#dk-keys .dk-rotate') !== null",
    );
    b.click("#dk-keys .dk-rotate");
    b.wait(
        "the rotation",
        "return document.querySelector('#dk-keys tr[data-state=\"pending\"]') !== null",
    );
    no_errors(b, "rotating");
    let pending = b.text("#dk-keys tr[data-state=\"pending\"]").to_string();
    assert!(
        pending.contains("v2") && pending.contains("待下发"),
        "{pending}"
    );
    assert_eq!(b.text("#dk-issued-key").as_str().map(str::len), Some(32));

    eprintln!("browser test: a logger's 1001, the assignment, and 1002 at its next 1001");
    let first = upload_serial(&s.hj, "LOGGER-9");
    assert!(
        first
            .iter()
            .any(|f| decode(f, &Limits::default()).is_ok_and(|p| p.cn.0 == 9014)),
        "1001 is answered"
    );
    page(
        b,
        &web,
        "the serials",
        "return document.querySelector('#dk-serials tr[data-serial=\"LOGGER-9\"]') !== null",
    );
    let srow = b
        .text("#dk-serials tr[data-serial=\"LOGGER-9\"]")
        .to_string();
    assert!(srow.contains("待赋码") && srow.contains("CPU-77"), "{srow}");
    b.type_into(
        "#dk-serials tr[data-serial=\"LOGGER-9\"] .dk-assign-mn",
        &device,
    );
    b.click("#dk-serials tr[data-serial=\"LOGGER-9\"] button");
    b.wait(
        "the assignment",
        "return document.querySelector('#dk-serials tr[data-state=\"assigned\"]') !== null",
    );
    no_errors(b, "assigning an MN");
    let second = upload_serial(&s.hj, "LOGGER-9");
    let set = second
        .iter()
        .find_map(|f| {
            let p = decode(f, &Limits::default()).ok()?;
            (p.cn.0 == 1002).then(|| (p.mn.map(str::to_owned), p.cp.to_owned()))
        })
        .expect("1002 at the next 1001");
    assert_eq!(set.0.as_deref(), Some(device.as_str()));
    assert!(set.1.contains("i23005-Info=LOGGER-9"), "{}", set.1);
    page(
        b,
        &web,
        "sent",
        "return document.querySelector('#dk-serials tr[data-state=\"sent\"]') !== null",
    );
    phone(b, "device-keys-phone-zh.png");

    eprintln!("browser test: English, no Chinese outside names");
    b.click("#lang");
    page(
        b,
        &web,
        "the English page",
        "return document.documentElement.lang === 'en' && document.querySelector('#dk-keys') !== null",
    );
    assert_eq!(
        b.js(CHINESE_CHROME),
        json!([]),
        "Chinese on the English page"
    );
    assert!(b.text("#view h2").to_string().contains("Device keys"));
    b.screenshot_page("device-keys-en.png");
    phone(b, "device-keys-phone-en.png");

    eprintln!("browser test: a township has no entry and the API refuses it");
    b.click("#lang");
    b.log_out(&web);
    b.log_in(&web, "town1", PASSWORD);
    assert_eq!(
        b.js("return document.querySelector('#nav-device-keys').hidden"),
        json!(true)
    );
    let login = super::serve::login(&s.http, "town1", PASSWORD);
    let r = super::serve::request(
        &s.http,
        "GET",
        "/api/v1/device-keys",
        &[("Cookie", login.cookie.as_str())],
        b"",
    );
    assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));
}
