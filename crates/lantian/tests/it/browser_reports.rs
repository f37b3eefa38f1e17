//! The reports tour in a real headless Chromium (issue 17): the bureau opens the 日报 / 周报 /
//! 月报 tab (the month's figures equal the API's, which the periodic-reports test checks
//! against an independent computation; every town, township and the zone listed, the
//! unranked marked so, never rank 0), makes and keeps the month's files, finds them in the
//! files tab and downloads the xlsx byte for byte as the API renders it, adds a schedule;
//! a township's account is offered its own township and the city only and sees no
//! schedules; the English page has no Chinese words of its own. Desktop (1280 px) and phone
//! (390 px) screenshots go to `test-artifacts/`; no console errors.

use super::browser::{Browser, Driver, get_as, have_chromium};
use super::browser_enforce::{CHINESE_CHROME, no_errors, visit};
use super::serve::Server;
use super::*;
use lantian_core::org::Role;
use lantian_store::Store;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

fn phone_then_desktop(b: &Driver, name: &str) {
    b.cmd(
        "POST",
        "/window/rect",
        Some(json!({ "width": 390, "height": 844 })),
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    b.screenshot(&format!("{name}-phone.png"));
    b.cmd(
        "POST",
        "/window/rect",
        Some(json!({ "width": 1280, "height": 900 })),
    );
    b.screenshot_page(&format!("{name}.png"));
}

#[test]
fn reports_tour_periodic_reports_files_and_schedules() {
    if !have_chromium() {
        return;
    }
    let dir = temp_dir("browser-reports");
    let d = dir.to_str().unwrap();
    {
        let store = Store::open_data_dir(&dir).unwrap();
        super::periodic_reports::fill(&store);
        super::alarms_live::add_users(
            &store,
            &[
                ("sthj", Role::Bureau, None),
                ("wk", Role::Township, Some("wangkou")),
            ],
        );
    }
    let server = Server::start(d, &["--no-device-setup"]);
    let (web, addr) = (server.url(), server.http.clone());
    let bureau = super::serve::login(&addr, "sthj", PASSWORD);
    let api = get_as(
        &addr,
        &bureau,
        "/api/v1/reports/periodic?kind=monthly&period=2026-11",
    );
    let units: Vec<Value> = api["units"].as_array().unwrap().clone();
    assert_eq!(units.len(), 16, "every town, township and the zone");

    let b = Browser::start();
    let b = &b.driver;
    b.go(&web);
    b.js("localStorage.setItem('lang', 'zh')");
    b.log_in(&web, "sthj", PASSWORD);

    eprintln!("browser test: the bureau's 月报 of November 2026");
    visit(
        b,
        &web,
        "#/reports?tab=periodic&kind=monthly&scope=city&period=2026-11",
        "the monthly report",
        "return document.querySelector('#pr-report') !== null && document.querySelectorAll('#pr-units tbody tr').length > 0",
    );
    assert_eq!(
        b.text("#pr-report h3"),
        api["title_zh"],
        "the title as the API states it"
    );
    assert_eq!(b.text("#pr-summary"), api["summary_zh"]);
    let listed: Vec<Value> = b
        .js("return [...document.querySelectorAll('#pr-units tbody tr')].map((r) => [r.dataset.unit, r.dataset.rank])")
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(listed.len(), units.len(), "every unit listed");
    for (row, u) in listed.iter().zip(&units) {
        assert_eq!(row[0], u["id"]);
        assert_eq!(
            row[1],
            json!(u["rank"].as_u64().map_or(String::new(), |r| r.to_string()))
        );
        assert_ne!(row[1], json!("0"), "never rank 0");
    }
    let pm25 = b.js("return document.querySelector('#pr-overview tbody tr:nth-child(1) td:nth-child(2)').textContent");
    assert_eq!(
        pm25.as_str().and_then(|t| t.parse::<f64>().ok()),
        api["figures"]["pm25"].as_f64(),
        "PM2.5 as the API states it"
    );
    assert_eq!(
        b.js("return document.querySelectorAll('#pr-days tbody tr').length"),
        json!(30)
    );
    assert!(
        b.text(".pr-meta").as_str().unwrap().contains("北京时间"),
        "{}",
        b.text(".pr-meta")
    );
    phone_then_desktop(b, "reports-monthly");
    no_errors(b, "the monthly report");

    eprintln!("browser test: the 日报 of 15 November and its hours");
    visit(
        b,
        &web,
        "#/reports?tab=periodic&kind=daily&scope=city&period=2026-11-15",
        "the daily report",
        "return document.querySelectorAll('#pr-hours tbody tr').length === 24",
    );
    let daily = get_as(
        &addr,
        &bureau,
        "/api/v1/reports/periodic?kind=daily&period=2026-11-15",
    );
    assert!(
        b.text("#pr-summary")
            .as_str()
            .unwrap()
            .contains(&format!("为 {}", daily["figures"]["aqi"]))
    );
    phone_then_desktop(b, "reports-daily");

    eprintln!("browser test: made and kept, listed, downloaded byte for byte");
    visit(
        b,
        &web,
        "#/reports?tab=periodic&kind=monthly&scope=city&period=2026-11",
        "the monthly report again",
        "return document.querySelector('#pr-make') !== null && document.querySelector('#pr-report') !== null",
    );
    b.click("#pr-make");
    b.wait("the files made", "const m = document.querySelector('#pr-msg'); return m && !m.hidden && m.querySelectorAll('a').length >= 2");
    visit(
        b,
        &web,
        "#/reports?tab=files",
        "the files",
        "return document.querySelectorAll('#pr-file-list tr[data-file]').length >= 2 && document.querySelector('#ps-add') !== null",
    );
    let href = b
        .js("return [...document.querySelectorAll('#pr-file-list tr[data-file] a.pr-download')].map((a) => a.getAttribute('href')).find((h) => h) || null")
        .as_str()
        .unwrap()
        .to_owned();
    let fetched = b.js(&format!(
        "window.__dl = null; fetch({}).then((r) => r.arrayBuffer()).then((a) => {{ window.__dl = [...new Uint8Array(a)].reduce((h, x) => (h * 31 + x) >>> 0, 7) + ':' + a.byteLength; }}); return true",
        json!(href)
    ));
    assert_eq!(fetched, json!(true));
    let got = b.wait("the download", "return window.__dl");
    let listed_files = get_as(&addr, &bureau, "/api/v1/reports/files");
    let id: i64 = href.rsplit('/').next().unwrap().parse().unwrap();
    let f = listed_files["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap()
        .clone();
    let raw = super::serve::request(
        &addr,
        "GET",
        &href,
        &[("Cookie", bureau.cookie.as_str())],
        b"",
    );
    assert_eq!(raw.status, 200);
    assert_eq!(raw.body.len() as u64, f["size"].as_u64().unwrap());
    let hash = raw
        .body
        .iter()
        .fold(7u32, |h, x| h.wrapping_mul(31).wrapping_add(u32::from(*x)));
    assert_eq!(
        got,
        json!(format!("{hash}:{}", raw.body.len())),
        "the browser's download is the stored file"
    );

    eprintln!("browser test: a schedule added");
    b.js("document.querySelector('#ps-kind').value = 'weekly'; document.querySelector('#ps-scope').value = 'unit:wangkou'; return true");
    b.click("#ps-add");
    b.wait(
        "the schedule listed",
        "return document.querySelectorAll('#pr-schedule-list tr[data-schedule]').length === 1",
    );
    let s = get_as(&addr, &bureau, "/api/v1/reports/schedules");
    assert_eq!(
        (
            s[0]["kind"].as_str(),
            s[0]["scope"].as_str(),
            s[0]["hour_cst"].as_i64()
        ),
        (Some("weekly"), Some("unit:wangkou"), Some(8))
    );
    phone_then_desktop(b, "reports-files");
    no_errors(b, "the files and schedules");

    eprintln!("browser test: the English page");
    b.click("#lang");
    visit(
        b,
        &web,
        "#/reports?tab=periodic&kind=monthly&scope=city&period=2026-11",
        "the English monthly report",
        "return document.querySelector('#pr-report') !== null && document.querySelectorAll('#pr-units tbody tr').length > 0",
    );
    assert_eq!(
        b.js(CHINESE_CHROME),
        json!([]),
        "no Chinese words on the English report page"
    );
    assert_eq!(b.text("#pr-summary"), api["summary_en"]);
    b.screenshot_page("reports-monthly-en.png");
    visit(
        b,
        &web,
        "#/reports?tab=files",
        "the English files page",
        "return document.querySelectorAll('#pr-file-list tr[data-file]').length >= 2",
    );
    assert_eq!(
        b.js(CHINESE_CHROME),
        json!([]),
        "no Chinese words on the English files page"
    );
    b.click("#lang");
    b.log_out(&web);

    eprintln!("browser test: the township");
    b.log_in(&web, "wk", PASSWORD);
    visit(
        b,
        &web,
        "#/reports?tab=periodic&kind=weekly&scope=unit:wangkou&period=2026-11-11",
        "the township's weekly report",
        "return document.querySelector('#pr-report') !== null",
    );
    assert_eq!(
        b.js("return [...document.querySelectorAll('#pr-scope option')].map((o) => o.value)"),
        json!(["city", "unit:wangkou"])
    );
    assert_eq!(
        b.js("return document.querySelector('#pr-make')"),
        Value::Null,
        "no making for a township"
    );
    assert_eq!(
        b.js(
            "return [...document.querySelectorAll('#pr-units tbody tr')].map((r) => r.dataset.unit)"
        ),
        json!(["T-WK"])
    );
    phone_then_desktop(b, "reports-township-weekly");
    visit(
        b,
        &web,
        "#/reports?tab=files",
        "the township's files",
        "return document.querySelector('#pr-file-list') !== null",
    );
    assert_eq!(
        b.js("return document.querySelector('#pr-schedule-list')"),
        Value::Null,
        "no schedules for a township"
    );
    no_errors(b, "the township's pages");
}
