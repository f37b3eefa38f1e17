//! The reverse-control page in Chromium (issue 22, docs/reverse-control.md): a simulated
//! logger skips two hours of a day last week, the gateway asks for them and the logger
//! answers; the operations contractor sees its device online, the clock drift read at
//! login, 2 / 2 records back-filled, the command log and the two hours marked "请求补传";
//! it sends a 1061 from the form and sees the device's reply in the log; a value that could
//! break the packet is refused with the reason; the English page has no Chinese outside
//! names; desktop and phone sizes; a township has no menu entry. Screenshots go to
//! `test-artifacts/device-control-*.png`.

use super::alarms_live::{mn, township_station};
use super::backfill::{Logger, a_day_last_week};
use super::browser::{Browser, Driver, have_chromium};
use super::browser_enforce::{CHINESE_CHROME, no_errors, visit};
use super::serve::Server;
use super::*;
use lantian_core::cst;
use lantian_core::org::Role;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const PASSWORD: &str = "correct horse battery";

/// Opens the page afresh (via the overview: the same hash again would not redraw it).
fn reopen(b: &Driver, web: &str, ready: &str) {
    visit(
        b,
        web,
        "#/",
        "the overview",
        "return document.querySelector('#view').children.length > 0",
    );
    visit(
        b,
        web,
        "#/device-control",
        "the device-control page",
        &format!("return document.querySelector('{ready}') !== null"),
    );
}

fn set_size(b: &Driver, w: u32, h: u32) {
    b.cmd(
        "POST",
        "/window/rect",
        Some(json!({ "width": w, "height": h })),
    );
}

#[test]
fn device_control_page_shows_the_back_fill_and_sends_a_command() {
    if !have_chromium() {
        return;
    }
    let dir = temp_dir("browser-device-control");
    let d = dir.to_str().unwrap();
    township_station(
        &dir,
        "T-DC",
        "反控站",
        &[
            ("ops1", Role::Operations, Some("ops-co")),
            ("town1", Role::Township, Some("wangkou")),
        ],
    );
    let s = Server::start(d, &[]);
    let web = s.url();

    // The logger runs beside the browser: 09:00 and 10:00 never arrive live.
    let stop = Arc::new(AtomicBool::new(false));
    let logger = {
        let (hj, stop) = (s.hj.clone(), stop.clone());
        std::thread::spawn(move || {
            let (base, hours) = a_day_last_week();
            let mut lg = Logger::connect(&hj, &mn("T-DC"), hours);
            for h in (0..24).filter(|h| ![9, 10].contains(h)) {
                lg.send_hour(base + h * cst::HOUR_S);
            }
            lg.serve(Duration::from_secs(300), |_| stop.load(Ordering::Acquire));
            lg.asked
        })
    };

    let browser = Browser::start();
    let b = &browser.driver;
    b.go(&web);
    b.js("localStorage.setItem('lang', 'zh')");
    b.log_in(&web, "ops1", PASSWORD);
    assert_eq!(
        b.js("return document.querySelector('#nav-device-control').hidden"),
        json!(false),
        "operations has the menu entry"
    );
    eprintln!("browser test: the back-fill on the device-control page");
    // Reloaded until the gateway has asked for and received the two hours.
    let mut done = false;
    for _ in 0..60 {
        reopen(b, &web, "#dc-devices");
        if b.text("#dc-devices .dc-records") == json!("2 / 2")
            && b.js(
                "return document.querySelectorAll('#dc-marks tr[data-origin=\"request\"]').length",
            ) == json!(2)
        {
            done = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(done, "2 / 2 records and two marks: {}", b.text("#view"));
    let row = b.text("#dc-devices tbody tr").to_string();
    assert!(row.contains("在线"), "online: {row}");
    assert!(row.contains("秒"), "the clock drift read at login: {row}");
    let log = b.text("#dc-log").to_string();
    assert!(log.contains("CN=2061") && log.contains("自动补传"), "{log}");
    assert!(log.contains("CN=1011") && log.contains("自动校时"), "{log}");
    assert_eq!(
        b.js("return document.querySelector('#dc-log tr[data-cn=\"2061\"]').dataset.state"),
        json!("done")
    );
    b.screenshot_page("device-control-zh.png");

    eprintln!("browser test: a 1061 from the form, answered by the logger");
    b.js("const s = document.querySelector('#dc-kind'); s.value = 'get_rtd_interval'; s.dispatchEvent(new Event('change'))");
    b.click("#dc-submit");
    b.wait(
        "the command queued",
        "return document.querySelector('#dc-queued') !== null",
    );
    no_errors(b, "queuing a command");
    // The log reads itself again while the command is pending: no reload.
    b.js("document.querySelector('#dc-form').dataset.untouched = '1'; return true");
    b.wait(
        "the 1061 answered, shown without a reload",
        "const r = document.querySelector('#dc-log tr[data-cn=\"1061\"]'); return r && r.dataset.state === 'done'",
    );
    assert_eq!(
        b.js("return document.querySelector('#dc-form').dataset.untouched || null"),
        json!("1"),
        "the form was not redrawn"
    );
    let reply = b.text("#dc-log tr[data-cn=\"1061\"]").to_string();
    assert!(
        reply.contains("RtdInterval=30") && reply.contains("ops1"),
        "{reply}"
    );

    eprintln!("browser test: a parameter that could break the packet is refused");
    b.js("const s = document.querySelector('#dc-kind'); s.value = 'set_param'; s.dispatchEvent(new Event('change'))");
    b.type_into("#dc-pol_id", "a34004");
    b.type_into("#dc-info_id", "i13004");
    b.type_into("#dc-value", "1;CN=9999");
    b.click("#dc-submit");
    let err = b.wait(
        "the refusal",
        "const e = document.querySelector('#dc-result .error'); return e ? e.textContent : null",
    );
    assert!(err.to_string().contains("value"), "{err}");
    assert!(
        err.to_string().contains("只能是"),
        "in Chinese on a Chinese page: {err}"
    );
    b.screenshot_page("device-control-refused.png");

    eprintln!("browser test: English");
    b.click("#lang");
    visit(
        b,
        &web,
        "#/device-control",
        "the English page",
        "return document.documentElement.lang === 'en' && document.querySelector('#dc-log') !== null",
    );
    assert_eq!(
        b.js(CHINESE_CHROME),
        json!([]),
        "no Chinese on the English page"
    );
    let log = b.text("#dc-log").to_string();
    assert!(log.contains("Automatic back-fill"), "{log}");
    b.screenshot_page("device-control-en.png");
    b.click("#lang");

    eprintln!("browser test: a phone");
    set_size(b, 390, 844);
    visit(
        b,
        &web,
        "#/device-control",
        "the page on a phone",
        "return document.querySelector('#dc-log') !== null",
    );
    b.js("window.scrollTo(0, 0)");
    let overflow = b.js("return document.documentElement.scrollWidth - window.innerWidth");
    assert!(
        overflow.as_i64().unwrap_or(1) <= 0,
        "no sideways scrolling on a phone: {overflow}"
    );
    b.screenshot("device-control-phone.png");
    set_size(b, 1280, 900);
    b.log_out(&web);

    eprintln!("browser test: a township has no menu entry");
    b.log_in(&web, "town1", PASSWORD);
    assert_eq!(
        b.js("return document.querySelector('#nav-device-control').hidden"),
        json!(true)
    );
    stop.store(true, Ordering::Release);
    let asked = logger.join().unwrap();
    assert_eq!(
        asked.iter().filter(|a| a.0 == 2061).count(),
        1,
        "one history request: {asked:?}"
    );
}
