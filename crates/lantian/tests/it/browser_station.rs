//! The station page and the station comparison in Chromium (issue 17), on the fixture of
//! `station_view.rs` (forty days of three stations' hours, CITY-1 with meteorology and a
//! PM2.5 gap): the latest hour's AQI and the 24-hour bar equal the standards engine's on the
//! values written; the hour table's IAQI per pollutant and primary pollutant too; the 30-day
//! bar and the year's calendar hold the API's daily AQI, the calendar's level counts add up;
//! the gap day is marked short of hours; the trend has its Grade II limit line; the
//! meteorology is shown where sent and its absence said where not; the audited view says
//! so; the comparison draws two stations with each one's mean equal to a mean by hand, and
//! lists a township station only to who sees its data. Chinese pages carry no English
//! words outside codes and names, English pages no Chinese; no console errors; desktop and
//! phone screenshots in `test-artifacts/station-*.png`.

use super::browser::{Browser, Driver, have_chromium};
use super::browser_enforce::{CHINESE_CHROME, no_errors, visit};
use super::serve::Server;
use super::station_view::{
    DAYS, GAP_DAY, LAST_DAY, PASSWORD, date, expected_hour, first_hour, fixture, value,
};
use super::*;
use lantian_core::aqi::{Lang, Level};
use lantian_core::cst;
use lantian_core::pollutant::Pollutant;
use serde_json::{Value, json};

/// Words of the page's own text (headings, labels, buttons, table heads, notes, the menu)
/// with Latin words on a Chinese page, once codes, units and standards' numbers are taken
/// out: none may remain.
const ENGLISH_CHROME: &str = "const allowed = /(PM2\\.5|PM10|SO2|NO2|CO|O3|IAQI|AQI|GB \\d+[-\\d/A-Z]*|HJ \\d+-\\d+|XG1|µg\\/m³|mg\\/m³|m\\/s|kPa|CSV|Excel|°C)/g;
  return [...document.querySelectorAll('nav a:not([hidden]), #view h3, #view th, #view label, #view button, #view .tag, #view summary, #view p.muted, #view legend')]
  .map((e) => e.textContent.trim()).filter((s) => /[A-Za-z]{2,}/.test(s.replace(allowed, '')))";

/// [`CHINESE_CHROME`]'s texts once the stations' names (names stay as they are) are taken
/// out: those still with Chinese characters.
fn chinese_chrome(b: &Driver) -> Vec<String> {
    let names = super::station_view::STATIONS.map(|s| s.1);
    b.js(CHINESE_CHROME)
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            names
                .iter()
                .fold(v.as_str().unwrap().to_owned(), |t, n| t.replace(n, ""))
        })
        .filter(|t| t.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)))
        .collect()
}

/// A screenshot of the whole page at a phone's width (390 px), then back to the desktop.
fn screenshot_phone_page(b: &Driver, name: &str) {
    set_size(b, 390, 844);
    let height = b
        .js("return document.documentElement.scrollHeight")
        .as_u64()
        .unwrap_or(844)
        .clamp(844, 9000);
    set_size(b, 390, height as u32 + 140);
    std::thread::sleep(std::time::Duration::from_millis(300));
    b.screenshot(name);
    set_size(b, 390, 844);
}

fn set_size(b: &Driver, w: u32, h: u32) {
    b.cmd(
        "POST",
        "/window/rect",
        Some(json!({ "width": w, "height": h })),
    );
}

/// Sideways scrolling of the whole page (a phone must have none; tables scroll inside).
fn overflow(b: &Driver) -> i64 {
    b.js("return document.documentElement.scrollWidth - window.innerWidth")
        .as_i64()
        .unwrap_or(99)
}

/// Switches the UI's language to `lang` (`zh` or `en`) with its button, as a user would.
fn language(b: &Driver, lang: &str) {
    let html = if lang == "zh" { "zh-CN" } else { "en" };
    if b.js("return document.documentElement.lang") != json!(html) {
        b.click("#lang");
    }
    b.wait(
        "the language switch",
        &format!("return document.documentElement.lang === '{html}'"),
    );
}

#[test]
fn station_page_and_comparison_show_the_engines_figures_in_both_languages() {
    if !have_chromium() {
        return;
    }
    let dir = temp_dir("browser-station");
    fixture(&dir);
    let s = Server::start(dir.to_str().unwrap(), &[]);
    let web = s.url();
    let last = date(LAST_DAY);
    let n_hours = DAYS * 24;
    let browser = Browser::start();
    let b = &browser.driver;
    b.go(&format!("{web}/#/"));
    language(b, "zh");

    eprintln!("station tour: the latest hour and the 24-hour bar");
    let ready = "return document.querySelectorAll('#bar-24h .cell').length === 24 && document.querySelector('#cal-grid') && document.querySelector('#chart canvas') ? true : null";
    visit(b, &web, "#/station/CITY-1", "the station page", ready);
    let e = expected_hour(0, n_hours - 1);
    let aqi = e.aqi.unwrap();
    let category = Level::from_aqi(aqi).category(Lang::Zh);
    assert_eq!(
        b.text("#sv-latest-aqi"),
        json!(format!("{aqi} {category}")),
        "the latest hour's AQI and category"
    );
    assert_eq!(
        b.text("#sv-latest-time"),
        json!(format!("{LAST_DAY} 23:00–24:00 北京时间")),
        "the hour as a span, Beijing time"
    );
    let primary: Vec<&str> = e.primary.iter().map(Pollutant::name).collect();
    assert_eq!(
        b.text("#sv-latest-primary"),
        json!(if primary.is_empty() {
            "—".to_owned()
        } else {
            primary.join("、")
        })
    );
    // Every cell of the bar: the engine's AQI of that hour, coloured by its level.
    let cells = b.js("return [...document.querySelectorAll('#bar-24h .cell')].map((c) => [Number(c.dataset.ts), c.dataset.aqi, getComputedStyle(c).backgroundColor])");
    for (i, c) in cells.as_array().unwrap().iter().enumerate() {
        let h = n_hours - 24 + i as i64;
        assert_eq!(c[0], first_hour() + h * cst::HOUR_S);
        let a = expected_hour(0, h).aqi.unwrap();
        assert_eq!(c[1], json!(a.to_string()), "hour {i} of the bar");
        let [r, g, bl] = Level::from_aqi(a).rgb();
        assert_eq!(
            c[2],
            json!(format!("rgb({r}, {g}, {bl})")),
            "hour {i}'s colour"
        );
    }

    eprintln!("station tour: the hour table's IAQI and primary pollutant");
    let rows = b.js("return [...document.querySelectorAll('#hours-table tbody tr')].map((r) => [Number(r.dataset.ts), r.querySelector('.primary').textContent, Object.fromEntries([...r.querySelectorAll('td[data-iaqi]')].map((td) => [td.dataset.iaqi, td.textContent]))])");
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 24, "the last 24 hours");
    for r in rows {
        let h = (r[0].as_i64().unwrap() - first_hour()) / cst::HOUR_S;
        let e = expected_hour(0, h);
        for p in Pollutant::ALL {
            let want = e
                .pollutant_iaqi(p)
                .map_or("—".to_owned(), |v| v.to_string());
            assert_eq!(r[2][p.key()], json!(want), "hour {h} {p}");
        }
        let primary: Vec<&str> = e.primary.iter().map(Pollutant::name).collect();
        let want = if primary.is_empty() {
            "—".to_owned()
        } else {
            primary.join("、")
        };
        assert_eq!(r[1], json!(want), "hour {h}'s primary pollutant");
    }

    eprintln!("station tour: the 30-day bar, the days, the calendar");
    let daily = s.get(&format!(
        "/api/v1/daily-aqi?scope=station:CITY-1&from={}&to={LAST_DAY}&view=raw",
        last.add_days(-29)
    ));
    let bar30 = b.js("return [...document.querySelectorAll('#bar-30d .cell')].map((c) => [c.dataset.date, c.dataset.aqi])");
    let want: Vec<Value> = daily["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            json!([
                d["date"],
                d["aqi"].as_u64().map_or(String::new(), |a| a.to_string())
            ])
        })
        .collect();
    assert_eq!(bar30, json!(want), "the 30-day bar is the daily AQI");
    // The 7 days of the table; the gap day (inside the span when the span is 31 days) is short.
    b.js("const s = document.querySelector('#sv-days'); s.value = '31'; s.onchange(); return true");
    b.wait(
        "31 days of hours",
        "return document.querySelectorAll('#days-table tbody tr').length === 31",
    );
    let short = b.js(&format!(
        "const r = document.querySelector('#days-table tr[data-date=\"{GAP_DAY}\"]'); return r ? [r.querySelector('td[data-key=pm25]').textContent, r.querySelector('.tag.warn') ? r.querySelector('.tag.warn').textContent : null] : null"
    ));
    assert_eq!(
        short,
        json!(["—", "不足20小时"]),
        "the gap day has no PM2.5 mean and says why"
    );
    assert_eq!(
        b.js("return document.querySelectorAll('#days-table .tag.warn').length"),
        json!(1),
        "only the gap day is short"
    );
    let year =
        s.get("/api/v1/daily-aqi?scope=station:CITY-1&from=2025-01-01&to=2025-12-31&view=raw");
    let with_aqi: Vec<&Value> = year["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["aqi"].is_u64())
        .collect();
    assert_eq!(with_aqi.len() as i64, DAYS, "the fixture's days");
    let cal = b.js("return [...document.querySelectorAll('#cal-grid .cal-day[data-aqi]')].map((c) => [c.dataset.date, Number(c.dataset.aqi)])");
    let want: Vec<Value> = with_aqi
        .iter()
        .map(|d| json!([d["date"], d["aqi"]]))
        .collect();
    assert_eq!(cal, json!(want), "the calendar's coloured days");
    let mut by_level = [0u64; 6];
    for d in &with_aqi {
        by_level[usize::from(Level::from_aqi(d["aqi"].as_u64().unwrap() as u16).number()) - 1] += 1;
    }
    let counts = b.js("return [1,2,3,4,5,6].map((l) => Number(document.querySelector(`#cal-summary b[data-cal-level=\"${l}\"]`).textContent))");
    assert_eq!(counts, json!(by_level), "days per level");
    assert!(
        by_level.iter().filter(|n| **n > 0).count() >= 3,
        "the fixture spans levels: {by_level:?}"
    );

    eprintln!("station tour: the trend's limit line, the meteorology");
    assert_eq!(
        b.js("return document.querySelector('#chart').dataset.limit"),
        json!("75"),
        "PM2.5 hours against the 24-h limit"
    );
    assert_eq!(
        b.js("return document.querySelector('#chart').uplot.series.length"),
        json!(3),
        "time, PM2.5, the limit"
    );
    let met_first = b.js("const r = document.querySelector('#met-table tbody tr'); return r ? [r.querySelector('[data-met=t]').textContent, r.querySelector('[data-met=ws]').textContent] : null");
    let m = super::station_view::met(n_hours - 1);
    assert_eq!(
        met_first,
        json!([format!("{:.1}", m[0].1), format!("{:.1}", m[3].1)]),
        "the latest hour's meteorology"
    );
    assert!(
        b.js("return document.querySelector('#met-chart canvas') !== null")
            .as_bool()
            .unwrap()
    );
    no_errors(b, "the station page");
    let english = b.js(ENGLISH_CHROME);
    assert_eq!(
        english,
        json!([]),
        "English words on the Chinese station page"
    );
    b.screenshot_page("station-desktop-zh.png");

    eprintln!("station tour: the audited view");
    b.js("const v = document.querySelector('#series-view'); v.value = 'audited'; v.onchange(); return true");
    b.wait("the audited view", "return document.querySelector('#sv-rules').textContent.includes('基于审核数据') && document.querySelector('#chart-info').textContent.includes('基于审核数据')");
    no_errors(b, "the audited view");

    eprintln!("station tour: a station without meteorology, on a phone");
    set_size(b, 390, 844);
    visit(
        b,
        &web,
        "#/station/CITY-2",
        "CITY-2",
        "return document.querySelector('#met-none') && document.querySelectorAll('#bar-24h .cell').length === 24 && document.querySelector('#cal-grid') ? true : null",
    );
    assert!(
        b.text("#met-none")
            .as_str()
            .unwrap()
            .contains("未上报气象参数")
    );
    assert!(
        overflow(b) <= 1,
        "no sideways scrolling on a phone: {}",
        overflow(b)
    );
    screenshot_phone_page(b, "station-phone-zh.png");
    set_size(b, 1280, 900);

    eprintln!("station tour: the comparison");
    let ready = "const c = document.querySelector('#cmp-chart'); return c && c.dataset.series === '2' && document.querySelectorAll('#cmp-table tbody tr').length === 2 ? true : null";
    visit(
        b,
        &web,
        "#/compare?ids=CITY-1,CITY-2&code=a34004&days=7&avg=hour",
        "the comparison",
        ready,
    );
    let means = b.js("return [...document.querySelectorAll('#cmp-table tbody tr')].map((r) => [r.dataset.station, Number(r.dataset.n), r.querySelector('[data-mean]').textContent])");
    for (k, row) in means.as_array().unwrap().iter().enumerate() {
        // The last 7 days up to each station's latest value: 168 hours (CITY-1's gap is earlier).
        let vals: Vec<f64> = (n_hours - 168..n_hours)
            .filter_map(|h| value(k, Pollutant::Pm25, h))
            .collect();
        let mean = vals.iter().sum::<f64>() / vals.len() as f64;
        assert_eq!(row[0], json!(["CITY-1", "CITY-2"][k]));
        assert_eq!(row[1], json!(vals.len()));
        assert_eq!(row[2], json!(format!("{mean:.1}")), "{k}'s mean");
    }
    let listed =
        b.js("return [...document.querySelectorAll('#cmp-stations input')].map((i) => i.value)");
    assert_eq!(
        listed,
        json!(["CITY-1", "CITY-2"]),
        "the public compares only published stations"
    );
    assert_eq!(
        b.js("return document.querySelector('#cmp-chart').uplot.series.length"),
        json!(4),
        "time, two stations, the limit"
    );
    assert_eq!(
        b.js("return document.querySelectorAll('#cmp-chart canvas').length"),
        json!(1)
    );
    assert_eq!(
        b.js(ENGLISH_CHROME),
        json!([]),
        "English words on the Chinese comparison"
    );
    b.screenshot_page("station-compare-zh.png");
    // Another choice goes into the address (a comparison can be sent).
    b.js("document.querySelector('#cmp-avg').value = 'day'; document.querySelector('#cmp-avg').onchange(); return true");
    b.wait("daily means", "return location.hash.includes('avg=day') && document.querySelector('#cmp-chart').dataset.points !== '' ? true : null");
    no_errors(b, "the comparison");

    eprintln!("station tour: a township compares its own station");
    b.log_in(&web, "wk", PASSWORD);
    visit(
        b,
        &web,
        "#/compare",
        "the township's comparison",
        "return document.querySelectorAll('#cmp-stations input').length === 3 ? true : null",
    );
    assert!(
        b.js("return document.querySelector('#cmp-stations input[value=\"T-WK\"]') !== null")
            .as_bool()
            .unwrap()
    );
    b.log_out(&web);
    let refused = visit(
        b,
        &web,
        "#/station/T-WK",
        "a township station for the public",
        "const e = document.querySelector('#view .error'); return e ? e.textContent : null",
    );
    assert!(!refused.as_str().unwrap().is_empty());

    eprintln!("station tour: English");
    language(b, "en");
    visit(
        b,
        &web,
        "#/station/CITY-1",
        "the English station page",
        "return document.querySelectorAll('#bar-24h .cell').length === 24 && document.querySelector('#cal-grid') && document.querySelector('#chart canvas') ? true : null",
    );
    let category_en = Level::from_aqi(aqi).category(Lang::En);
    assert_eq!(
        b.text("#sv-latest-aqi"),
        json!(format!("{aqi} {category_en}"))
    );
    assert!(
        b.text("#sv-latest-time")
            .as_str()
            .unwrap()
            .ends_with("Beijing time")
    );
    assert_eq!(
        chinese_chrome(b),
        Vec::<String>::new(),
        "Chinese on the English station page"
    );
    b.screenshot_page("station-desktop-en.png");
    set_size(b, 390, 844);
    visit(
        b,
        &web,
        "#/compare?ids=CITY-1,CITY-2",
        "the English comparison",
        ready,
    );
    assert_eq!(
        chinese_chrome(b),
        Vec::<String>::new(),
        "Chinese on the English comparison"
    );
    assert!(
        overflow(b) <= 1,
        "no sideways scrolling on a phone: {}",
        overflow(b)
    );
    screenshot_phone_page(b, "station-compare-phone-en.png");
    set_size(b, 1280, 900);
    language(b, "zh");
    drop(browser);
    drop(s);
}
