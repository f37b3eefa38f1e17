//! The cockpit (驾驶舱) in Chromium (issue 17, docs/ui.md "Cockpit"), on the data of the
//! cockpit's API test: the bureau's home page shows the figures `/api/v1/cockpit` computed
//! (which that test checks against an independent computation): AQI now, today so far,
//! yesterday's 日报, the month's and the year's verdicts with their coverage, every unit of
//! the ranking with 同比/环比 arrows, overdue measures by unit, open alarms; every tile links to
//! its page; the refresh button reloads it; a township sees its own alarm only; the public and
//! an enterprise keep the public overview, whose today card is named a partial day, not a
//! 日报. Chinese and English, desktop and phone; no console errors, no English words in the
//! Chinese page's own text, no Chinese in the English page's. Screenshots go to
//! `test-artifacts/cockpit-*.png`.

use super::browser::{Browser, Driver, get_as, have_chromium};
use super::browser_enforce::{CHINESE_CHROME, no_errors, visit};
use super::cockpit::{PASSWORD, TOWNSHIPS, cockpit_data, set_targets};
use super::serve::{Server, login};
use super::*;
use serde_json::{Value, json};

/// Texts of the Chinese page's own words (headings, table heads, buttons, tags, notes) with
/// an English word left once the codes and units a Chinese page writes as they are (PM2.5,
/// AQI, µg/m³, HJ 633-2026…) are taken out.
const ENGLISH_CHROME: &str = "return [...document.querySelectorAll('#view h2, #view h3, #view th, #view button, #view .tag, #view .note, #view .coverage')]
  .map((e) => e.textContent.trim())
  .filter((s) => /[A-Za-z]{2,}/.test(s.replace(/PM2\\.5|PM10|AQI|µg\\/m³|HJ ?[0-9.-]+|GB ?[0-9.-]+T?|HJ633-2026\\/GB3095-2026T\\/HJ663-2026/g, '')))";

/// Whether the page scrolls sideways (a phone must not).
fn overflow(b: &Driver) -> i64 {
    b.js("return document.documentElement.scrollWidth - window.innerWidth")
        .as_i64()
        .unwrap_or(99)
}

fn set_size(b: &Driver, w: u32, h: u32) {
    b.cmd(
        "POST",
        "/window/rect",
        Some(json!({ "width": w, "height": h })),
    );
}

/// A screenshot of the whole page at a phone's width (390 px).
fn phone_page(b: &Driver, name: &str) {
    let height = b
        .js("return document.documentElement.scrollHeight")
        .as_u64()
        .unwrap_or(844)
        .clamp(844, 8000);
    set_size(b, 390, height as u32 + 140);
    b.screenshot(name);
    set_size(b, 390, 844);
}

/// Opens the cockpit and waits until it shows the API's answer.
fn open_cockpit(b: &Driver, web: &str) {
    visit(
        b,
        web,
        "#/",
        "the cockpit",
        "return document.querySelector('#ck-month .verdict') !== null",
    );
}

/// The page shows what the API answered, tile by tile.
fn shows_the_apis_figures(b: &Driver, c: &Value, lang: &str) {
    for tile in ["month", "year"] {
        for i in c[tile]["indicators"].as_array().unwrap() {
            let ind = i["indicator"].as_str().unwrap();
            let sel = format!("#ck-{tile} tr[data-ind=\"{ind}\"]");
            assert_eq!(
                b.js(&format!(
                    "return document.querySelector('{sel} .verdict').dataset.verdict"
                )),
                i["verdict"],
                "{tile} {ind}"
            );
            let shown = b.text(&format!("{sel} .actual"));
            let actual = i["actual"].as_f64().unwrap();
            let want = if ind == "heavy_days" {
                format!("{actual}")
            } else {
                format!("{actual:.*}", if ind == "pm25" { 0 } else { 1 })
            };
            assert!(
                shown.as_str().unwrap().starts_with(&want),
                "{lang} {tile} {ind}: {shown} vs {want}"
            );
        }
        assert_eq!(
            b.js(&format!(
                "return Number(document.querySelector('#ck-{tile} .coverage').dataset.valid)"
            )),
            c[tile]["valid_days"],
        );
    }
    // Every unit of the ranking, 王口 first and improving (↓), 辛城 worsening (↑).
    let rows = b.js("return [...document.querySelectorAll('#ck-ranking tbody tr')].map((r) => [r.dataset.unit, r.querySelector('.rank').textContent, r.querySelector('.yoy span') ? r.querySelector('.yoy span').className : ''])");
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), c["ranking"]["rows"].as_array().unwrap().len());
    assert_eq!(rows[0], json!(["wangkou", "1", "down"]));
    assert_eq!(rows[1], json!(["xincheng", "2", "up"]));
    assert!(
        rows[2..].iter().all(|r| r[1] == "—"),
        "the unranked: {rows:?}"
    );
    assert_eq!(
        b.js(
            "return Number(document.querySelector('#ck-measures [data-overdue]').dataset.overdue)"
        ),
        c["measures"]["overdue"]
    );
    assert_eq!(
        b.js("return document.querySelectorAll('#ck-measures tbody tr').length"),
        json!(c["measures"]["by_unit"].as_array().unwrap().len())
    );
    assert_eq!(
        b.js("return Number(document.querySelector('#ck-yesterday [data-aqi]').dataset.aqi)"),
        c["yesterday"]["day"]["aqi"]
    );
    assert_eq!(
        b.js("return Number(document.querySelector('#ck-today .hours').dataset.reported)"),
        c["today_so_far"]["hours_reported"]
    );
    assert_eq!(
        b.js("return Number(document.querySelector('#ck-alarms [data-open]').dataset.open)"),
        c["alarms"]["open"]
    );
    // Each tile links to its page.
    let links = b.js("return [...document.querySelectorAll('#ck-body .card')].map((c) => [c.dataset.tile, (c.querySelector('h3 a') || {}).getAttribute ? c.querySelector('h3 a').getAttribute('href') : null])");
    let links = links.as_array().unwrap();
    assert_eq!(links.len(), 8, "{links:?}");
    assert!(
        links
            .iter()
            .all(|l| l[1].as_str().is_some_and(|h| h.starts_with("#/"))),
        "{links:?}"
    );
}

#[test]
fn the_cockpit_shows_the_apis_figures_to_the_bureau_and_the_public_keeps_its_overview() {
    if !have_chromium() {
        return;
    }
    let dir = temp_dir("browser-cockpit");
    let yesterday = cockpit_data(&dir);
    let s = Server::start(dir.to_str().unwrap(), &[]);
    let (web, addr) = (s.url(), s.http.clone());
    let bureau = login(&addr, "bureau1", PASSWORD);
    set_targets(&addr, &bureau, yesterday.year());
    let c = get_as(&addr, &bureau, "/api/v1/cockpit");
    assert_eq!(TOWNSHIPS.len(), 2);

    let browser = Browser::start();
    let b = &browser.driver;
    b.go(&web);
    b.js("localStorage.setItem('lang', 'zh')");

    eprintln!("browser test: the bureau's cockpit in Chinese");
    b.log_in(&web, "bureau1", PASSWORD);
    open_cockpit(b, &web);
    shows_the_apis_figures(b, &c, "zh");
    assert_eq!(
        b.js(ENGLISH_CHROME),
        json!([]),
        "English words on the Chinese cockpit"
    );
    assert!(
        b.text("#ck-updated").as_str().unwrap().contains("北京时间"),
        "the time is Beijing time"
    );
    // A year that cannot be judged on 70 days (from March on) says so, with the valid days
    // it owes.
    let year_cov = b.text("#ck-year .coverage");
    assert_eq!(
        year_cov.as_str().unwrap().contains("数据不足"),
        c["year"]["coverage_ok"] == false,
        "{year_cov}"
    );
    b.screenshot_page("cockpit-desktop-zh.png");
    // The refresh button asks again (the 5-minute timer calls the same function).
    b.click("#ck-refresh");
    b.wait(
        "the second load",
        "return document.querySelector('#cockpit').dataset.loads === '2'",
    );
    no_errors(b, "the refresh");
    set_size(b, 390, 844);
    open_cockpit(b, &web);
    assert!(
        overflow(b) <= 1,
        "no sideways scrolling on a phone: {}",
        overflow(b)
    );
    phone_page(b, "cockpit-phone-zh.png");
    set_size(b, 1280, 900);

    eprintln!("browser test: the cockpit in English");
    open_cockpit(b, &web);
    b.click("#lang");
    b.wait(
        "the English cockpit",
        "return document.querySelector('#cockpit h2').textContent === 'Cockpit' && document.querySelector('#ck-month .verdict') !== null",
    );
    no_errors(b, "the English cockpit");
    let c_en = get_as(&addr, &bureau, "/api/v1/cockpit?lang=en");
    shows_the_apis_figures(b, &c_en, "en");
    assert_eq!(
        b.js(CHINESE_CHROME),
        json!([]),
        "Chinese on the English cockpit"
    );
    b.screenshot_page("cockpit-desktop-en.png");
    set_size(b, 390, 844);
    open_cockpit(b, &web);
    assert!(
        overflow(b) <= 1,
        "no sideways scrolling on a phone: {}",
        overflow(b)
    );
    phone_page(b, "cockpit-phone-en.png");
    set_size(b, 1280, 900);
    // A tile's link opens its page.
    b.click("#ck-ranking h3 a");
    b.wait(
        "the rankings page",
        "return location.hash.startsWith('#/rankings')",
    );
    b.click("#lang");
    b.log_out(&web);

    eprintln!("browser test: a township sees its own alarm only");
    b.log_in(&web, "wk", PASSWORD);
    open_cockpit(b, &web);
    assert_eq!(
        b.js("return [...document.querySelectorAll('#ck-alarms li')].map((l) => l.textContent.includes('T-WK'))"),
        json!([true])
    );
    b.log_out(&web);

    eprintln!("browser test: the public and an enterprise keep the public overview");
    for who in [None, Some("ent1")] {
        if let Some(u) = who {
            b.log_in(&web, u, PASSWORD);
        }
        visit(
            b,
            &web,
            "#/",
            "the public overview",
            "const t = document.querySelector('#city-aqi'); return t && t.textContent !== '…'",
        );
        assert_eq!(
            b.js("return document.querySelector('#cockpit') === null"),
            json!(true)
        );
        let heads = b.js("return [...document.querySelectorAll('#view .card h3')].map((h) => h.textContent).join('|')");
        assert!(
            heads.as_str().unwrap().contains("截至目前，非日报"),
            "today is named a partial day: {heads}"
        );
        if who.is_none() {
            b.screenshot_page("cockpit-public-zh.png");
        } else {
            b.log_out(&web);
        }
    }
}
