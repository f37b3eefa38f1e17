//! The declarations page in Chromium (issue 22, docs/declarations.md): an enterprise whose
//! outlet two days ago exceeded its SO2 and NOx limits at 08:00–09:59 and sent nothing
//! 14:00–16:59 declares the stop from the form with a PNG attached (flagged late: 停运 is
//! reported within 12 h) and, through the API, a 因子异常 for SO2 and a maintenance; the
//! bureau sees them in its queue with the statistics, approves two from the page and
//! rejects one with its reason in the inline form; the enterprise's declaration page then
//! shows the hours as 已申报 (SO2 not judged, NOx still over); a scan raises no
//! missing-data alarm for the declared hours; a township has no menu entry and gets 403;
//! the English page has no Chinese outside names and the Chinese page no English outside
//! names and codes; desktop and phone sizes. Screenshots go to
//! `test-artifacts/declarations-*.png`.

use super::alarms_live::{add_users, now_ms};
use super::browser::{Browser, Driver, get_as, have_chromium, post_as};
use super::browser_enforce::{CHINESE_CHROME, no_errors, visit};
use super::serve::{Server, login, request};
use super::*;
use lantian_app::County;
use lantian_core::cst;
use lantian_core::org::{OutletKind, Role};
use lantian_store::model::Enterprise;
use lantian_store::{Ingest, Limit, Observation, Outlet, Period, Store};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";
/// Names on the pages that are Chinese in every language.
const NAMES: [&str; 2] = ["冀中钢铁", "烧结机头"];

fn set_size(b: &Driver, w: u32, h: u32) {
    b.cmd(
        "POST",
        "/window/rect",
        Some(json!({ "width": w, "height": h })),
    );
}

/// The page's own words (menu, headings, labels, buttons, tags, heads) with three Latin
/// letters in a row, once names, codes, units, file types and user names are taken out:
/// none on a Chinese page.
const ENGLISH_CHROME: &str = "return [...document.querySelectorAll('nav a:not([hidden]), #view h2, #view h3, #view th, #view label, #view button, #view .tag, #view p.muted, #view legend')]
  .map((e) => e.textContent.trim().replace(/GT-1|PM2\\.5|SO2|NOx|CO|O2|mg\\/m³|PDF|JPEG|PNG|MiB|KiB|ent1|bureau1|wk|English|AQI/g, ''))
  .filter((s) => /[A-Za-z]{3,}/.test(s))";

/// The register, the accounts and two days ago's hours of GT-1: SO2 80 and NOx 120 mg/m³
/// (limits 35 and 50) at 08:00 and 09:00, nothing at 14:00–16:59.
fn setup(dir: &std::path::Path, day: lantian_core::Date) {
    let store = Store::open_data_dir(dir).unwrap();
    County::xinji().install(&store, 0).unwrap();
    let e = Enterprise {
        id: "GT".into(),
        name: "冀中钢铁".into(),
        admin_unit_id: Some("wangkou".into()),
        ..Enterprise::default()
    };
    let o = Outlet {
        id: "GT-1".into(),
        enterprise_id: "GT".into(),
        name: "烧结机头".into(),
        kind: OutletKind::Stack,
        height_m: None,
        o2_ref_pct: None,
        flow_stopped_m3_h: 0.0,
        limits: [("a21026", 35.0), ("a21002", 50.0)]
            .iter()
            .map(|(c, l)| Limit {
                code: (*c).into(),
                limit_mg_m3: *l,
                source: String::new(),
            })
            .collect(),
    };
    store.upsert_register(&[e], &[o], 1.0).unwrap();
    add_users(
        &store,
        &[
            ("ent1", Role::Enterprise, Some("GT")),
            ("bureau1", Role::Bureau, None),
            ("wk", Role::Township, Some("wangkou")),
        ],
    );
    let start = cst::day_start(day);
    let mut obs = Vec::new();
    for h in (0..24).filter(|h| !(14..17).contains(h)) {
        let high = (8..10).contains(&h);
        for (code, v) in [
            ("a21026", if high { 80.0 } else { 20.0 + (h % 5) as f64 }),
            ("a21002", if high { 120.0 } else { 30.0 + (h % 7) as f64 }),
            ("a19001", 12.0 + (h % 3) as f64 * 0.1),
            ("a00000", 300_000.0 + h as f64 * 1000.0),
        ] {
            obs.push(Observation {
                station_id: "GT-1".into(),
                code: code.into(),
                period: Period::Hour,
                ts: start + h * cst::HOUR_S,
                value: v,
                flag: "N".into(),
            });
        }
    }
    store
        .commit_batch(&[Ingest {
            packet: None,
            observations: obs,
        }])
        .unwrap();
}

#[test]
fn declarations_page_declare_review_and_declared_hours() {
    if !have_chromium() {
        return;
    }
    let dir = temp_dir("browser-declarations");
    let day = cst::today(now_ms()).add_days(-2);
    setup(&dir, day);
    let s = Server::start(dir.to_str().unwrap(), &[]);
    let (web, addr) = (s.url(), s.http.clone());
    let [ent, bureau, wk] = ["ent1", "bureau1", "wk"].map(|u| login(&addr, u, PASSWORD));
    let at = |hh: u32| format!("{day} {hh:02}:00");

    // Two more declarations through the API: 因子异常 of SO2 over the exceedance, and a
    // maintenance the bureau will reject.
    let so2 = post_as(
        &addr,
        &ent,
        "/api/v1/declarations",
        json!({ "outlets": ["GT-1"], "kind": "factor_abnormal", "start": at(8), "end": at(10), "codes": ["a21026"], "reason": "SO2 分析仪零点漂移，已校准" }),
    );
    let so2_id = so2["id"].as_i64().unwrap_or_else(|| panic!("{so2}"));
    let maint = post_as(
        &addr,
        &ent,
        "/api/v1/declarations",
        json!({ "outlets": ["GT-1"], "kind": "maintenance", "start": at(20), "end": at(22), "reason": "临时检修脱硝系统" }),
    );
    let maint_id = maint["id"].as_i64().unwrap_or_else(|| panic!("{maint}"));
    // A township is refused by the API (and has no menu entry, below).
    let refused = request(
        &addr,
        "GET",
        "/api/v1/declarations",
        &[("Cookie", wk.cookie.as_str())],
        b"",
    );
    assert_eq!(refused.status, 403, "{:?}", refused.json());

    let browser = Browser::start();
    let b = &browser.driver;
    b.go(&web);
    b.js("localStorage.setItem('lang', 'zh')");

    eprintln!("browser test: the enterprise declares the stop with a file");
    b.log_in(&web, "ent1", PASSWORD);
    assert_eq!(
        b.js("return document.querySelector('#nav-declarations').hidden"),
        json!(false),
        "the enterprise has the menu entry"
    );
    visit(
        b,
        &web,
        "#/declarations",
        "the declaration form",
        "return document.querySelector('#dl-form') !== null && document.querySelectorAll('#dl-table tr[data-id]').length === 2",
    );
    b.js("document.querySelector('#dl-kind').value = 'stopped'; document.querySelector('#dl-kind').dispatchEvent(new Event('change')); return true");
    let local = |hh: u32| format!("{day}T{hh:02}:00");
    b.js(&format!(
        "document.querySelector('#dl-start').value = {}; document.querySelector('#dl-end').value = {}; return true",
        json!(local(14)),
        json!(local(17))
    ));
    b.type_into("#dl-reason", "电网故障，全厂停运三小时");
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde\0\0\0\x0cIDATx\x9cc\xf8\xcf\xc0\0\0\x03\x01\x01\0\xc9\xfe\x92\xef\0\0\0\0IEND\xaeB`\x82";
    b.choose_file("#dl-file", "停电证明.png", "image/png", png);
    assert_eq!(b.text("#dl-file-name"), json!("停电证明.png"));
    b.screenshot_page("declarations-form.png");
    b.click("#dl-submit");
    let stop_id = b
        .wait(
            "the new declaration, pending and late",
            "const r = [...document.querySelectorAll('#dl-table tr[data-id]')].find((r) => r.querySelector('.dl-kind').dataset.kind === 'stopped'); return r && r.dataset.state === 'pending' && r.dataset.late === 'true' ? Number(r.dataset.id) : null",
        )
        .as_i64()
        .unwrap();
    no_errors(b, "declaring");
    let stop = get_as(&addr, &ent, &format!("/api/v1/declarations/{stop_id}"));
    assert_eq!(stop["files"][0]["name"], json!("停电证明.png"), "{stop}");
    assert_eq!(
        stop["late"],
        json!(true),
        "停运 after more than 12 h: {stop}"
    );
    b.screenshot_page("declarations-enterprise.png");
    b.log_out(&web);

    eprintln!("browser test: the bureau approves two and rejects one");
    b.log_in(&web, "bureau1", PASSWORD);
    visit(
        b,
        &web,
        "#/declarations",
        "the review queue and the statistics",
        "return document.querySelectorAll('#dl-table button.dl-act[data-act=approve]').length === 3 && document.querySelector('#dl-stats tr[data-enterprise=GT]') !== null",
    );
    assert_eq!(
        b.js("return [...document.querySelectorAll('#dl-stats tr[data-enterprise=GT] td')].map((c) => c.textContent)"),
        json!(["冀中钢铁", "1", "0", "1", "1", "0", "3", "3", "7", "0", "—", "—", "100%"]),
        "counts by kind, declared, pending, hours, shares"
    );
    b.screenshot_page("declarations-bureau.png");
    for id in [stop_id, so2_id] {
        b.click(&format!(
            "#dl-table button.dl-act[data-id=\"{id}\"][data-act=approve]"
        ));
        b.wait(
            "approved",
            &format!("return document.querySelector('#dl-table tr[data-id=\"{id}\"]')?.dataset.state === 'approved'"),
        );
    }
    b.click(&format!(
        "#dl-table button.dl-act[data-id=\"{maint_id}\"][data-act=reject]"
    ));
    b.wait(
        "the reason form",
        "return document.querySelector('form.dl-reason input') !== null",
    );
    b.type_into("form.dl-reason input", "无检修计划及记录");
    b.click("form.dl-reason button[type=submit]");
    b.wait(
        "rejected",
        &format!("return document.querySelector('#dl-table tr[data-id=\"{maint_id}\"]')?.dataset.state === 'rejected'"),
    );
    no_errors(b, "reviewing");
    assert_eq!(
        get_as(&addr, &bureau, &format!("/api/v1/declarations/{maint_id}"))["review_note"],
        json!("无检修计划及记录")
    );
    b.screenshot_page("declarations-bureau-reviewed.png");

    // A scan now raises no missing-data alarm for the declared stop.
    post_as(
        &addr,
        &bureau,
        "/api/v1/integrity/scan",
        json!({ "from": day.to_string(), "to": day.to_string() }),
    );
    let alarms = get_as(
        &addr,
        &bureau,
        "/api/v1/alarms?station=GT-1&rule=cems_missing",
    );
    assert_eq!(alarms["items"], json!([]), "{alarms}");
    b.log_out(&web);

    eprintln!("browser test: the enterprise sees its hours as declared");
    b.log_in(&web, "ent1", PASSWORD);
    visit(
        b,
        &web,
        &format!("#/declarations/{so2_id}"),
        "the declared hours",
        "return document.querySelectorAll('#dl-hours tr[data-hour]').length === 2",
    );
    let rows: Value = b.js("return [...document.querySelectorAll('#dl-hours tr[data-hour]')].map((r) => [r.dataset.hour.slice(11), r.querySelector('.dl-declared').textContent, r.cells[2].textContent, r.cells[3].textContent, r.cells[4].textContent])");
    assert_eq!(
        rows,
        json!([
            [
                "08:00",
                "已申报",
                "80.0",
                "120.0",
                "超标：氮氧化物 二氧化硫不作超标判定"
            ],
            [
                "09:00",
                "已申报",
                "80.0",
                "120.0",
                "超标：氮氧化物 二氧化硫不作超标判定"
            ]
        ]),
        "SO2 declared and not judged, NOx still over its limit"
    );
    assert!(b.text("#dl-facts").as_str().unwrap().contains("北京时间"));
    assert_eq!(
        b.js(ENGLISH_CHROME),
        json!([]),
        "no English words on the Chinese page"
    );
    b.screenshot_page("declarations-declared.png");
    visit(
        b,
        &web,
        &format!("#/declarations/{stop_id}"),
        "the declared stop with its file",
        "return document.querySelectorAll('#dl-hours tr[data-hour]').length === 3 && document.querySelector('#dl-files a') !== null",
    );
    let timeline = b.js(
        "return [...document.querySelectorAll('#dl-timeline li')].map((l) => l.dataset.action)",
    );
    assert_eq!(timeline, json!(["declare", "file", "approve"]));

    eprintln!("browser test: English and the phone");
    b.click("#lang");
    visit(
        b,
        &web,
        &format!("#/declarations/{so2_id}"),
        "the declaration in English",
        "return document.documentElement.lang === 'en' && document.querySelectorAll('#dl-hours tr[data-hour]').length === 2",
    );
    let chinese: Vec<String> = serde_json::from_value::<Vec<String>>(b.js(CHINESE_CHROME))
        .unwrap()
        .into_iter()
        .filter(|s| !NAMES.iter().any(|n| s.contains(n)))
        .collect();
    assert!(
        chinese.is_empty(),
        "Chinese words on the English page: {chinese:?}"
    );
    assert!(
        b.text("#dl-facts")
            .as_str()
            .unwrap()
            .contains("Beijing time")
    );
    b.screenshot_page("declarations-declared-en.png");
    visit(
        b,
        &web,
        "#/declarations",
        "the list in English",
        "return document.documentElement.lang === 'en' && document.querySelector('#dl-table') !== null",
    );
    let chinese: Vec<String> = serde_json::from_value::<Vec<String>>(b.js(CHINESE_CHROME))
        .unwrap()
        .into_iter()
        .filter(|s| !NAMES.iter().any(|n| s.contains(n)))
        .collect();
    assert!(
        chinese.is_empty(),
        "Chinese words on the English list: {chinese:?}"
    );
    b.click("#lang");
    set_size(b, 390, 844);
    visit(
        b,
        &web,
        "#/declarations",
        "the list on a phone",
        "return document.documentElement.lang === 'zh-CN' && document.querySelector('#dl-table') !== null",
    );
    b.screenshot("declarations-phone.png");
    visit(
        b,
        &web,
        &format!("#/declarations/{so2_id}"),
        "the declared hours on a phone",
        "return document.querySelectorAll('#dl-hours tr[data-hour]').length === 2",
    );
    b.js("document.querySelector('#dl-hours').scrollIntoView(); return true");
    b.screenshot("declarations-declared-phone.png");
    set_size(b, 1280, 900);
    b.log_out(&web);

    eprintln!("browser test: a township has no menu entry");
    b.log_in(&web, "wk", PASSWORD);
    assert_eq!(
        b.js("return document.querySelector('#nav-declarations').hidden"),
        json!(true)
    );
}
