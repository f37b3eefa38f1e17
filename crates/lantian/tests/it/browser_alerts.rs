//! The alerts pages in Chromium (issue 17, docs/ui.md "Alerts"): the bureau's rules (an
//! hour of heavy pollution at a township station, and the plan's overdue measures) fire
//! within the server's 30-second loop; the bureau's inbox lists every alert the API lists,
//! unread until marked; a township's inbox lists only its station's alert and offers no
//! rules; the channels' robot keys are never on the page; a rule made through the form
//! appears in the table; a channel that cannot be reached shows its failed attempt and its
//! retry in the delivery log. English pages carry no Chinese outside names. Desktop (1280
//! px) and phone (390 px) screenshots go to `test-artifacts/alerts-*.png`.

use super::alarms_live::{mn, now_ms, township_station};
use super::browser::{Browser, Driver, get_as, have_chromium};
use super::browser_enforce::{CHINESE_CHROME, visit};
use super::serve::{Login, Server, login, request};
use super::*;
use lantian_core::cst;
use lantian_core::org::Role;
use lantian_core::pollutant::Pollutant;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";
/// A robot key that must never reach a page.
const KEY: &str = "K-secret-0123456789";

fn set_size(b: &Driver, w: u32, h: u32) {
    b.cmd(
        "POST",
        "/window/rect",
        Some(json!({ "width": w, "height": h })),
    );
}

/// Screenshots of the current page at desktop and phone widths.
fn shots(b: &Driver, name: &str) {
    set_size(b, 1280, 900);
    b.screenshot(&format!("alerts-{name}-desktop.png"));
    set_size(b, 390, 844);
    b.screenshot(&format!("alerts-{name}-phone.png"));
    set_size(b, 1280, 900);
}

/// A POST that makes something (201), answering its JSON.
fn create(addr: &str, l: &Login, path: &str, body: Value) -> Value {
    let text = body.to_string();
    let headers = [
        ("Content-Type", "application/json"),
        ("Cookie", l.cookie.as_str()),
        ("X-CSRF-Token", l.csrf.as_str()),
    ];
    let r = request(addr, "POST", path, &headers, text.as_bytes());
    assert_eq!(r.status, 201, "POST {path}: {}", r.json());
    r.json()
}

fn rows(b: &Driver, table: &str) -> usize {
    b.js(&format!(
        "return document.querySelectorAll('{table} tbody tr').length"
    ))
    .as_u64()
    .unwrap_or(0) as usize
}

#[test]
fn alerts_inbox_rules_channels_and_delivery_log() {
    if !have_chromium() {
        return;
    }
    let dir = temp_dir("browser-alerts");
    township_station(
        &dir,
        "T-BA",
        "王口浏览站",
        &[
            ("bureau1", Role::Bureau, None),
            ("wk", Role::Township, Some("wangkou")),
        ],
    );
    let s = Server::start(dir.to_str().unwrap(), &["--alert-private-hosts"]);
    let (web, addr) = (s.url(), s.http.clone());
    let bureau = login(&addr, "bureau1", PASSWORD);

    let dead = create(
        &addr,
        &bureau,
        "/api/v1/alerts/channels",
        json!({ "name": "值班群机器人", "kind": "wecom", "url": format!("http://127.0.0.1:9/send?key={KEY}") }),
    );
    let dead_id = dead["id"].as_i64().unwrap_or_else(|| panic!("{dead}"));
    for (name, kind, threshold, channels) in [
        ("重污染提醒", "aqi_above", json!(200), json!([dead_id])),
        ("措施逾期提醒", "measure_overdue", json!(null), json!([])),
    ] {
        let r = create(
            &addr,
            &bureau,
            "/api/v1/alerts/rules",
            json!({ "name": name, "kind": kind, "threshold": threshold, "channel_ids": channels }),
        );
        assert!(r["id"].is_i64(), "{r}");
    }
    // The trigger: the last complete hour with PM2.5 at 250 µg/m³ (AQI 300).
    let hour = cst::hour_start(cst::from_unix_ms(now_ms())) - cst::HOUR_S;
    let mut csv = String::from("时间");
    for p in Pollutant::ALL {
        csv.push_str(&format!(",{}", p.hj212_code()));
    }
    csv.push_str(&format!("\n{}", cst::format_minute(hour)));
    for p in Pollutant::ALL {
        csv.push_str(if p == Pollutant::Pm25 { ",250" } else { ",20" });
    }
    csv.push('\n');
    let file = dir.join("heavy.csv");
    std::fs::write(&file, csv).unwrap();
    lantian_ok(&[
        "send",
        "--to",
        &s.hj,
        "--mn",
        &mn("T-BA"),
        "--password",
        "123456",
        "--format",
        "csv",
        file.to_str().unwrap(),
    ]);
    s.projected();

    // The server's loop records the alerts within half a minute (a hang guard of 60 s).
    let started = std::time::Instant::now();
    // Each alert commits on its own: the list is complete once two reads a second apart
    // agree.
    let mut last = 0;
    let inbox = loop {
        let v = get_as(&addr, &bureau, "/api/v1/alerts/inbox?per_page=1000");
        let events = v["events"].as_array().unwrap();
        let kinds: Vec<&str> = events.iter().filter_map(|e| e["kind"].as_str()).collect();
        if kinds.contains(&"aqi_above")
            && kinds.contains(&"measure_overdue")
            && events.len() == last
        {
            break v;
        }
        last = events.len();
        assert!(started.elapsed().as_secs() < 60, "no alerts: {v}");
        std::thread::sleep(std::time::Duration::from_millis(1000));
    };
    let total = inbox["events"].as_array().unwrap().len();
    assert_eq!(inbox["total"], total, "every alert on one page of 1000");
    // The page shows the newest 100, 上一页 / 下一页 the rest.
    let shown = total.min(100);

    let browser = Browser::start();
    let b = &browser.driver;
    b.go(&web);
    b.js("localStorage.setItem('lang', 'zh')");
    b.log_in(&web, "bureau1", PASSWORD);
    assert_eq!(
        b.js("return document.querySelector('#nav-alerts').hidden"),
        json!(false),
        "the bureau has the alerts menu"
    );

    // Inbox: every alert the API lists, all unread; the station's alert links to it.
    visit(
        b,
        &web,
        "#/alerts",
        "the inbox",
        "return document.querySelector('#al-inbox')",
    );
    assert_eq!(rows(b, "#al-inbox"), shown);
    assert_eq!(
        b.js("return document.querySelectorAll('#al-inbox tr.al-unread').length"),
        json!(shown)
    );
    assert_eq!(
        b.js("return !!document.querySelector('#al-inbox-pages')"),
        json!(total > shown),
        "a pager when the inbox holds more than a page"
    );
    assert_eq!(
        b.js("return !!document.querySelector('#al-inbox a[href=\"#/station/T-BA\"]')"),
        json!(true)
    );
    let text = b.js("return document.querySelector('#view').innerText");
    assert!(
        text.as_str().unwrap().contains("北京时间"),
        "times say 北京时间"
    );
    shots(b, "inbox");
    b.click("#al-mark-all");
    b.wait(
        "all read",
        "return document.querySelectorAll('#al-inbox tr.al-unread').length === 0 && document.querySelector('#al-inbox')",
    );

    // Rules: the two made above, then one through the form.
    visit(
        b,
        &web,
        "#/alerts/rules",
        "the rules",
        "return document.querySelector('#al-rules')",
    );
    assert_eq!(rows(b, "#al-rules"), 2);
    b.type_into("#al-r-name", "站点离线提醒");
    b.js("const s = document.querySelector('#al-r-kind'); s.value = 'station_offline'; s.dispatchEvent(new Event('change')); return true");
    assert_eq!(
        b.js("return document.querySelector('#al-r-threshold').value"),
        json!("3")
    );
    b.click("#al-r-submit");
    b.wait(
        "the new rule",
        "return document.querySelectorAll('#al-rules tbody tr').length === 3",
    );
    let rules = get_as(&addr, &bureau, "/api/v1/alerts/rules");
    let made = rules["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "站点离线提醒")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(made["kind"], "station_offline", "{rules}");
    assert_eq!(made["threshold"], 3.0, "{made}");
    shots(b, "rules");

    // Channels: the key is never on the page.
    visit(
        b,
        &web,
        "#/alerts/channels",
        "the channels",
        "return document.querySelector('#al-channels')",
    );
    let html = b.js("return document.documentElement.outerHTML");
    assert!(
        !html.as_str().unwrap().contains(KEY),
        "the robot key is on the page"
    );
    assert!(html.as_str().unwrap().contains("key=K-se…"));
    shots(b, "channels");

    // The log: the unreachable robot's attempt failed and waits for its retry.
    visit(
        b,
        &web,
        "#/alerts/log",
        "the delivery log",
        "return document.querySelector('#al-log')",
    );
    assert_eq!(
        b.js(
            "return [...document.querySelectorAll('#al-log tbody tr')].map((r) => r.dataset.status)"
        ),
        json!(["pending"])
    );
    let attempts = b.js("return Number(document.querySelector('#al-log td.num').textContent)");
    assert!(attempts.as_u64().unwrap_or(0) >= 1, "{attempts}");
    assert!(
        b.js("return document.querySelector('#al-log .al-answer').textContent")
            .as_str()
            .unwrap()
            .contains("127.0.0.1:9")
    );
    shots(b, "log");

    // English: no Chinese outside names on each tab.
    b.click("#lang");
    for (hash, ready) in [
        ("#/alerts", "#al-inbox"),
        ("#/alerts/rules", "#al-rules"),
        ("#/alerts/channels", "#al-channels"),
        ("#/alerts/log", "#al-log"),
    ] {
        visit(
            b,
            &web,
            hash,
            hash,
            &format!(
                "return document.documentElement.lang === 'en' && document.querySelector('{ready}')"
            ),
        );
        // Names are names: the channel's (a checkbox label of the rule form) is the bureau's.
        let chrome = b.js(CHINESE_CHROME);
        let words: Vec<&Value> = chrome
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| *w != "值班群机器人")
            .collect();
        assert_eq!(
            json!(words),
            json!([]),
            "Chinese on the English page {hash}"
        );
    }
    b.go(&format!("{web}/#/alerts/log"));
    b.wait(
        "the English log",
        "return document.querySelector('#al-log')",
    );
    shots(b, "log-en");
    b.click("#lang");

    // A township: only its station's alert, no rules tab.
    b.log_out(&web);
    b.log_in(&web, "wk", PASSWORD);
    visit(
        b,
        &web,
        "#/alerts",
        "the township's inbox",
        "return document.querySelector('#al-inbox, #al-none')",
    );
    let wk = login(&addr, "wk", PASSWORD);
    let theirs = get_as(&addr, &wk, "/api/v1/alerts/inbox");
    assert_eq!(
        rows(b, "#al-inbox"),
        theirs["events"].as_array().unwrap().len()
    );
    assert_eq!(
        b.js("return [...document.querySelectorAll('#al-inbox a')].map((a) => a.getAttribute('href'))"),
        json!(["#/station/T-BA"])
    );
    assert_eq!(
        b.js("return document.querySelectorAll('#alerts-tabs a').length"),
        json!(1)
    );
    shots(b, "township");
}
