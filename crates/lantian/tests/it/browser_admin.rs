//! The admin console (issue 17, docs/ui.md "Admin console"), through a real `lantian serve`:
//! over the API, an administrator's password reset ends the account's sessions and forces a
//! change, a device registered from the console logs in to the gateway with the generated
//! password and its data show as the station's last data and rates, a disabled device is
//! refused by the gateway, unit factors and station edits are checked, the audit log is
//! searched by actor, action and Beijing dates and exported as CSV with the same rows, and
//! the settings are checked as their use cases read them; in Chromium, the tour of the four
//! tabs at desktop and phone sizes in Chinese and English (no console errors, no English on
//! the Chinese pages and no Chinese on the English ones outside names), and each role's
//! menu: the administrator's 系统管理 with every tab, the bureau's without accounts,
//! operations' read-only stations, none for a township. Screenshots: `test-artifacts/admin-*.png`.

use super::alarms_live::{add_users, mn, now_ms, send_hours, township_station};
use super::browser::{Browser, Driver, get_as, have_chromium, post_as};
use super::browser_enforce::{CHINESE_CHROME, HOOK_ERRORS, no_errors, visit};
use super::serve::{Login, Server, login, request};
use super::*;
use lantian_core::cst;
use lantian_core::org::Role;
use lantian_store::Store;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

/// Words of the page's own chrome (menu, headings, labels, buttons, table heads, tags) with
/// Latin words other than the codes and names a Chinese page keeps (MN, HJ 212, CSV, Excel,
/// JSON, PM2.5, user names in the menu): none on a Chinese page.
const ENGLISH_CHROME: &str = "const keep = /^(MN|HJ|CSV|Excel|JSON|PM2|PM10|URL|API|adm|bureau1|ops1|wk)$/;
  return [...document.querySelectorAll('nav a:not([hidden]), #view h2, #view h3, #view th, #view label, #view button, #view .tag, #view p.muted, #view .tabs a')]
  .map((e) => [...e.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join(' ').trim())
  .filter((s) => (s.match(/[A-Za-z][A-Za-z0-9.]*/g) || []).some((w) => !keep.test(w)))";

/// A raw POST with a session: status and JSON.
fn post(addr: &str, l: &Login, path: &str, body: Value) -> (u16, Value) {
    let headers = [
        ("Content-Type", "application/json"),
        ("Cookie", l.cookie.as_str()),
        ("X-CSRF-Token", l.csrf.as_str()),
    ];
    let r = request(addr, "POST", path, &headers, body.to_string().as_bytes());
    (r.status, r.json())
}

fn get(addr: &str, l: &Login, path: &str) -> (u16, Vec<u8>) {
    let r = request(addr, "GET", path, &[("Cookie", l.cookie.as_str())], b"");
    (r.status, r.body)
}

/// A township station `T-AD` of 王口镇 with its logger, and the accounts of the tour.
fn setup(name: &str) -> (std::path::PathBuf, Server) {
    let dir = temp_dir(name);
    township_station(
        &dir,
        "T-AD",
        "王口管理站",
        &[
            ("adm", Role::Admin, None),
            ("bureau1", Role::Bureau, None),
            ("wk", Role::Township, Some("wangkou")),
            ("ops1", Role::Operations, Some("ops-co")),
        ],
    );
    let s = Server::start(dir.to_str().unwrap(), &[]);
    (dir, s)
}

/// `lantian send` of one hour of the six pollutants as device `mn_` with `password`;
/// whether the gateway acknowledged it.
fn send_one(s: &Server, dir: &std::path::Path, mn_: &str, password: &str, start: i64) -> bool {
    let file = dir.join(format!("{mn_}.csv"));
    std::fs::write(
        &file,
        format!(
            "时间,a21026,a21004,a34002,a21005,a05024,a34004\n{},8,30,60,0.6,90,41\n",
            cst::format_minute(start)
        ),
    )
    .unwrap();
    let o = lantian(&[
        "send",
        "--to",
        &s.hj,
        "--mn",
        mn_,
        "--password",
        password,
        "--format",
        "csv",
        file.to_str().unwrap(),
    ]);
    serde_json::from_slice::<Value>(&o.stdout)
        .ok()
        .and_then(|r| r["acknowledged"].as_u64())
        == Some(1)
}

fn station<'a>(console: &'a Value, id: &str) -> &'a Value {
    console["stations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("station {id} in {console}"))
}

#[test]
fn admin_console_api_resets_registers_disables_searches_and_checks_settings() {
    let (dir, s) = setup("admin-api");
    let addr = s.http.clone();
    let [adm, bureau, ops] = ["adm", "bureau1", "ops1"].map(|u| login(&addr, u, PASSWORD));
    let wk_before = login(&addr, "wk", PASSWORD);

    // A password reset: only an administrator; the old password and sessions end; the new
    // one logs in and must be changed first.
    let (status, refused) = post(&addr, &bureau, "/api/v1/users/wk/reset-password", json!({}));
    assert_eq!(status, 403, "the bureau resets no password: {refused}");
    let reset = post_as(&addr, &adm, "/api/v1/users/wk/reset-password", json!({}));
    let pw = reset["password"].as_str().unwrap().to_owned();
    assert!(pw.chars().count() >= 10, "{reset}");
    assert_eq!(
        get(&addr, &wk_before, "/api/v1/me").0,
        401,
        "wk's session ended"
    );
    let old = request(
        &addr,
        "POST",
        "/api/v1/login",
        &[("Content-Type", "application/json")],
        json!({ "username": "wk", "password": PASSWORD })
            .to_string()
            .as_bytes(),
    );
    assert_eq!(old.status, 403, "the old password no longer works");
    let fresh = request(
        &addr,
        "POST",
        "/api/v1/login",
        &[("Content-Type", "application/json")],
        json!({ "username": "wk", "password": pw })
            .to_string()
            .as_bytes(),
    );
    assert_eq!(fresh.status, 200);
    assert_eq!(fresh.json()["user"]["must_change_password"], json!(true));
    let (status, _) = post(
        &addr,
        &adm,
        "/api/v1/users/nobody/reset-password",
        json!({}),
    );
    assert_eq!(status, 404);

    // A device registered from the console logs in with its generated password; its hour is
    // the station's last data; disabled, the gateway refuses it.
    let dev = "ADMTEST0000000000000001";
    let added = post_as(
        &addr,
        &bureau,
        "/api/v1/admin/devices",
        json!({ "mn": dev, "station": "T-AD" }),
    );
    let dev_pw = added["password"].as_str().unwrap().to_owned();
    let (status, _) = post(
        &addr,
        &bureau,
        "/api/v1/admin/devices",
        json!({ "mn": dev, "station": "T-AD" }),
    );
    assert_eq!(status, 409, "an MN is registered once");
    let hour = cst::hour_start(cst::from_unix_ms(now_ms())) - 2 * cst::HOUR_S;
    assert!(
        send_one(&s, &dir, dev, &dev_pw, hour),
        "the new device logs in"
    );
    assert!(
        !send_one(&s, &dir, dev, "wrong password", hour),
        "a wrong password is refused"
    );
    s.projected();
    // The month of the hour sent (the first hour of a month may be the last one's).
    let month = &cst::format_minute(hour)[..7];
    let console = get_as(
        &addr,
        &ops,
        &format!("/api/v1/admin/stations?month={month}"),
    );
    assert_eq!(console["month"], json!(month));
    let st = station(&console, "T-AD");
    assert_eq!(
        st["last_data"],
        json!(cst::format_minute(hour)),
        "the last data is the hour sent: {st}"
    );
    let devices: Vec<&str> = st["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["mn"].as_str().unwrap())
        .collect();
    assert_eq!(devices, vec![dev, mn("T-AD").as_str()], "{st}");
    let d = &st["devices"][0];
    assert!(
        d["online_pct"].as_f64().unwrap() > 0.0 && d["capture_pct"].as_f64().unwrap() > 0.0,
        "the device's hour counts in its rates: {d}"
    );
    let silent = &st["devices"][1];
    assert!(
        silent["capture_pct"].as_f64().unwrap_or(0.0) == 0.0,
        "the logger that sent nothing: {silent}"
    );
    post_as(
        &addr,
        &bureau,
        "/api/v1/admin/devices/state",
        json!({ "mn": dev, "disabled": true }),
    );
    assert!(
        !send_one(&s, &dir, dev, &dev_pw, hour + cst::HOUR_S),
        "a disabled device is refused"
    );
    let (status, _) = post(
        &addr,
        &ops,
        "/api/v1/admin/devices/state",
        json!({ "mn": dev, "disabled": false }),
    );
    assert_eq!(status, 403, "operations read the console only");
    let renewed = post_as(
        &addr,
        &bureau,
        "/api/v1/admin/devices/password",
        json!({ "mn": mn("T-AD") }),
    );
    assert!(
        send_one(
            &s,
            &dir,
            &mn("T-AD"),
            renewed["password"].as_str().unwrap(),
            hour
        ),
        "the logger's new password works"
    );
    assert!(
        !send_one(&s, &dir, &mn("T-AD"), "123456", hour),
        "and its old one no longer"
    );

    // Unit factors and station edits, checked.
    for (body, want) in [
        (
            json!({ "code": "a34004", "unit": "mg/m3", "factor": 1000 }),
            200,
        ),
        (json!({ "code": "a34004", "factor": -1 }), 400),
        (json!({ "code": "a34004", "factor": 0 }), 400),
        (json!({ "code": "PM2.5 !", "factor": 2 }), 400),
    ] {
        let (status, v) = post(
            &addr,
            &bureau,
            "/api/v1/admin/stations/T-AD/factors",
            body.clone(),
        );
        assert_eq!(status, want, "{body}: {v}");
    }
    let console = get_as(&addr, &adm, "/api/v1/admin/stations");
    assert_eq!(
        station(&console, "T-AD")["factors"],
        json!([{ "code": "a34004", "unit": "mg/m3", "factor": 1000.0 }])
    );
    let edit = json!({ "name": "王口镇管理站", "role": "township", "unit": "wangkou", "lat": 37.95, "lon": 115.2 });
    let (status, _) = post(
        &addr,
        &bureau,
        "/api/v1/admin/stations/T-NONE",
        edit.clone(),
    );
    assert_eq!(status, 404, "an edit creates no station");
    post_as(&addr, &bureau, "/api/v1/admin/stations/T-AD", edit);
    assert_eq!(
        get_as(&addr, &adm, "/api/v1/stations/T-AD")["name"],
        json!("王口镇管理站")
    );
    let (status, _) = get(&addr, &login(&addr, "wk", &pw), "/api/v1/admin/stations");
    assert_eq!(status, 403, "a township has no console");

    // The audit log searched: the bureau's device acts today, none tomorrow; the CSV export
    // holds the same rows.
    let today = cst::today(now_ms());
    let q = format!("actor=bureau1&action=device.&from={today}&to={today}");
    let found = get_as(
        &addr,
        &adm,
        &format!("/api/v1/admin/audit?{q}&per_page=1000"),
    );
    let actions: Vec<&str> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec!["device.passwd", "device.disable", "device.add"],
        "newest first, the refused second add not among them: {found}"
    );
    assert!(
        found["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"] == "bureau1")
    );
    let tomorrow = today.add_days(1);
    let none = get_as(&addr, &adm, &format!("/api/v1/admin/audit?from={tomorrow}"));
    assert_eq!(none["total"], json!(0), "{none}");
    let denied = get_as(&addr, &adm, "/api/v1/admin/audit?action=denied.&object=wk");
    assert!(
        denied["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "denied.user.password.reset"),
        "the bureau's refused reset is logged: {denied}"
    );
    let (status, csv) = get(
        &addr,
        &bureau,
        &format!("/api/v1/admin/audit?{q}&format=csv"),
    );
    assert_eq!(status, 200);
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with('\u{feff}'), "a BOM for Excel");
    let lines: Vec<&str> = csv.trim_end().lines().collect();
    assert!(lines[0].contains("北京时间"), "{}", lines[0]);
    assert_eq!(lines.len(), 1 + actions.len(), "{csv}");
    assert!(lines[1].contains("device.passwd") && lines[1].contains("bureau1"));
    let (status, _) = get(&addr, &ops, "/api/v1/admin/audit");
    assert_eq!(status, 403, "operations do not read the audit log");

    // Settings: each checked as its use case reads it.
    let list = get_as(&addr, &bureau, "/api/v1/admin/settings");
    let keys: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        vec![
            "ui_tile_url",
            "ui_tile_attribution",
            "open_data_licence",
            "credit_rules",
            "grid_config",
            "operations_config",
            "integrity_config"
        ]
    );
    for (key, value, want) in [
        ("ui_tile_url", "ftp://tiles/{z}/{x}/{y}", 400),
        ("ui_tile_url", "https://tiles.example/{z}/{x}.png", 400),
        ("ui_tile_url", "https://tiles.example/{z}/{x}/{y}.png", 200),
        ("ui_tile_attribution", "© 示例底图", 200),
        ("operations_config", r#"{"outage_hours_min": 0}"#, 400),
        ("operations_config", r#"{"outage_hours_min": 8}"#, 200),
        ("operations_config", r#"{"outage_hours": 8}"#, 400),
        ("credit_rules", "{ not json", 400),
        (
            "open_data_licence",
            r#"{"name": "CC BY 4.0", "colour": 1}"#,
            400,
        ),
        ("integrity_config", r#"{"flat_hours_min": "many"}"#, 400),
        ("nope", "x", 404),
    ] {
        let (status, v) = post(
            &addr,
            &bureau,
            "/api/v1/admin/settings",
            json!({ "key": key, "value": value }),
        );
        assert_eq!(status, want, "{key} = {value}: {v}");
    }
    let ui = s.get("/api/v1/ui-config");
    assert_eq!(
        ui["tile_url"],
        json!("https://tiles.example/{z}/{x}/{y}.png"),
        "{ui}"
    );
    assert_eq!(ui["tile_attribution"], json!("© 示例底图"), "{ui}");
    let list = get_as(&addr, &bureau, "/api/v1/admin/settings");
    let ops_cfg = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "operations_config")
        .unwrap();
    let v: Value = serde_json::from_str(ops_cfg["value"].as_str().unwrap()).unwrap();
    assert_eq!(
        v["outage_hours_min"],
        json!(8),
        "the value set, the other key its default: {v}"
    );
    assert_eq!(v["outage_deadline_hours"], json!(24), "{v}");
    let (status, _) = post(
        &addr,
        &ops,
        "/api/v1/admin/settings",
        json!({ "key": "ui_tile_url", "value": "" }),
    );
    assert_eq!(status, 403);
    drop(s);
}

fn set_size(b: &Driver, w: u32, h: u32) {
    b.cmd(
        "POST",
        "/window/rect",
        Some(json!({ "width": w, "height": h })),
    );
}

/// Desktop and phone screenshots of the page shown.
fn shots(b: &Driver, name: &str) {
    b.screenshot_page(&format!("admin-{name}.png"));
    set_size(b, 390, 844);
    std::thread::sleep(std::time::Duration::from_millis(300));
    b.screenshot(&format!("admin-{name}-phone.png"));
    set_size(b, 1280, 900);
}

fn no_english(b: &Driver, what: &str) {
    assert_eq!(
        b.js(ENGLISH_CHROME),
        json!([]),
        "English on the Chinese {what}"
    );
}

fn no_chinese(b: &Driver, what: &str) {
    assert_eq!(
        b.js(CHINESE_CHROME),
        json!([]),
        "Chinese on the English {what}"
    );
}

#[test]
fn admin_console_tour_in_chromium() {
    if !have_chromium() {
        return;
    }
    let (dir, s) = setup("browser-admin");
    let (web, addr) = (s.url(), s.http.clone());
    {
        // A second township's account, for the list.
        let store = Store::open_data_dir(&dir).unwrap();
        add_users(&store, &[("xc", Role::Township, Some("xincheng"))]);
    }
    let hours: Vec<i64> = (1..=3)
        .map(|h| cst::hour_start(cst::from_unix_ms(now_ms())) - h * cst::HOUR_S)
        .collect();
    send_hours(&s, &dir, "T-AD", &hours);
    s.projected();

    let browser = Browser::start();
    let b = &browser.driver;
    b.go(&web);
    b.js("localStorage.setItem('lang', 'zh')");
    b.log_in(&web, "adm", PASSWORD);
    b.js(HOOK_ERRORS);
    assert_eq!(
        b.text("#nav-accounts"),
        json!("系统管理"),
        "the admin's menu"
    );
    b.click("#nav-accounts");
    b.wait(
        "the accounts tab",
        "return document.querySelector('#accounts-table tr[data-user=\"wk\"]') !== null",
    );
    no_errors(b, "the accounts tab");
    let tabs =
        b.js("return [...document.querySelectorAll('#admin-tabs a')].map((a) => a.dataset.tab)");
    assert_eq!(tabs, json!(["accounts", "stations", "audit", "settings"]));
    no_english(b, "accounts tab");

    eprintln!("browser admin: reset wk's password");
    b.js("window.confirm = () => true; return true");
    b.click("#accounts-table tr[data-user=\"wk\"] .acc-reset");
    let pw = b.wait(
        "the new password",
        "const e = document.querySelector('#reset-password-value'); return e ? e.textContent : null",
    );
    let pw = pw.as_str().unwrap().to_owned();
    let r = request(
        &addr,
        "POST",
        "/api/v1/login",
        &[("Content-Type", "application/json")],
        json!({ "username": "wk", "password": pw })
            .to_string()
            .as_bytes(),
    );
    assert_eq!(r.status, 200, "the shown password logs in");
    assert_eq!(r.json()["user"]["must_change_password"], json!(true));
    let must = b.wait(
        "wk marked as having to change",
        "const r = document.querySelector('#accounts-table tr[data-user=\"wk\"] .acc-must'); return r ? r.textContent : null",
    );
    assert!(
        must.as_str().unwrap().contains("尚未修改初始密码"),
        "{must}"
    );
    shots(b, "accounts");

    eprintln!("browser admin: stations and devices");
    visit(
        b,
        &web,
        "#/admin/stations",
        "the stations tab",
        "return document.querySelector('#admin-stations tr[data-station=\"T-AD\"]') !== null",
    );
    let last = b.text("#admin-stations tr[data-station=\"T-AD\"] .adm-last");
    assert_eq!(
        last,
        json!(format!("{} 北京时间", cst::format_minute(hours[0]))),
        "the last hour sent, in Beijing time"
    );
    no_english(b, "stations tab");
    b.type_into("#dev-mn", "ADMUI000000000000000001");
    b.click("#device-form button");
    let dev_pw = b.wait(
        "the device's password",
        "const e = document.querySelector('#device-password-value'); return e ? e.textContent : null",
    );
    assert!(
        send_one(
            &s,
            &dir,
            "ADMUI000000000000000001",
            dev_pw.as_str().unwrap(),
            hours[0]
        ),
        "the device registered in the browser logs in with the password shown"
    );
    b.click("#admin-stations li[data-mn=\"ADMUI000000000000000001\"] .dev-toggle");
    let tag = b.wait(
        "the device disabled",
        "const e = document.querySelector('#admin-stations li[data-mn=\"ADMUI000000000000000001\"] .tag'); return e && e.textContent === '已停用' ? e.textContent : null",
    );
    assert_eq!(tag, json!("已停用"));
    no_errors(b, "the device's acts");
    shots(b, "stations");

    eprintln!("browser admin: audit log");
    visit(
        b,
        &web,
        "#/admin/audit?action=device.&actor=adm",
        "the audit tab",
        "return document.querySelector('#audit-table') !== null",
    );
    let codes = b.js("return [...document.querySelectorAll('#audit-table tbody tr code')].map((c) => c.textContent)");
    assert_eq!(
        codes,
        json!(["device.disable", "device.add"]),
        "the filter applies"
    );
    let names = b.js("return [...document.querySelectorAll('#audit-table .audit-action')].map((c) => c.textContent)");
    assert_eq!(
        names,
        json!(["停用设备", "登记设备"]),
        "actions named in Chinese"
    );
    let csv_rows = b.wait(
        "the CSV export",
        "if (!window.__csv) { window.__csv = 'pending'; fetch(document.querySelector('#audit-csv').href).then((r) => r.text()).then((t) => { window.__csv = t; }); } return window.__csv === 'pending' ? null : window.__csv.trim().split('\\n').length",
    );
    assert_eq!(
        csv_rows,
        json!(3),
        "the export holds the filtered rows and a header"
    );
    no_english(b, "audit tab");
    shots(b, "audit");

    eprintln!("browser admin: settings");
    visit(
        b,
        &web,
        "#/admin/settings",
        "the settings tab",
        "return document.querySelector('section.setting[data-key=\"ui_tile_url\"]') !== null",
    );
    let set = |value: &str| {
        b.js(&format!(
            "document.querySelector('section.setting[data-key=\"ui_tile_url\"] .set-value').value = {}; return true",
            json!(value)
        ));
        b.click("section.setting[data-key=\"ui_tile_url\"] .set-save");
    };
    set("ftp://nope");
    let err = b.wait(
        "the refusal",
        "const e = document.querySelector('section.setting[data-key=\"ui_tile_url\"] .set-result .error'); return e ? e.textContent : null",
    );
    assert!(
        err.as_str().unwrap().contains("https://"),
        "says why: {err}"
    );
    set("https://tiles.example/{z}/{x}/{y}.png");
    b.wait(
        "the saved setting",
        "const e = document.querySelector('section.setting[data-key=\"ui_tile_url\"] .tag.ok'); return e ? e.textContent : null",
    );
    assert_eq!(
        s.get("/api/v1/ui-config")["tile_url"],
        json!("https://tiles.example/{z}/{x}/{y}.png")
    );
    no_english(b, "settings tab");
    shots(b, "settings");

    eprintln!("browser admin: in English");
    b.js("localStorage.setItem('lang', 'en')");
    for (hash, ready, name) in [
        ("#/accounts", "#accounts-table", "accounts"),
        ("#/admin/stations", "#admin-stations", "stations"),
        ("#/admin/audit", "#audit-table", "audit"),
        ("#/admin/settings", "#settings-list", "settings"),
    ] {
        b.go(&web);
        visit(
            b,
            &web,
            hash,
            name,
            &format!(
                "return document.querySelector('{ready}') !== null && document.documentElement.lang === 'en'"
            ),
        );
        no_chinese(b, name);
        if name == "stations" {
            shots(b, "stations-en");
        }
    }
    b.js("localStorage.setItem('lang', 'zh')");
    b.log_out(&web);

    eprintln!("browser admin: each role's menu");
    b.log_in(&web, "bureau1", PASSWORD);
    assert_eq!(
        b.js("return document.querySelector('#nav-accounts').hidden"),
        json!(false)
    );
    b.click("#nav-accounts");
    b.wait(
        "the bureau lands on stations",
        "return document.querySelector('#admin-stations') !== null",
    );
    let tabs =
        b.js("return [...document.querySelectorAll('#admin-tabs a')].map((a) => a.dataset.tab)");
    assert_eq!(
        tabs,
        json!(["stations", "audit", "settings"]),
        "no accounts tab"
    );
    b.log_out(&web);
    b.log_in(&web, "ops1", PASSWORD);
    visit(
        b,
        &web,
        "#/admin/stations",
        "operations' stations",
        "return document.querySelector('#admin-stations') !== null",
    );
    assert_eq!(
        b.js("return [document.querySelector('#station-form'), document.querySelector('.dev-toggle')]"),
        json!([null, null]),
        "operations get no forms"
    );
    let tabs =
        b.js("return [...document.querySelectorAll('#admin-tabs a')].map((a) => a.dataset.tab)");
    assert_eq!(tabs, json!(["stations"]));
    b.log_out(&web);
    // wk's password was reset: its first login changes it (the API's login does that).
    let _ = login(&addr, "wk", &pw);
    b.log_in(&web, "wk", &format!("{pw} (changed)"));
    assert_eq!(
        b.js("return document.querySelector('#nav-accounts').hidden"),
        json!(true),
        "a township has no admin console"
    );
    drop(browser);
    drop(s);
}
