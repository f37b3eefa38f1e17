//! The map, the township ranking, the language of errors and a session shared by tabs, in
//! Chromium (issue 17, docs/ui.md "Map and rankings", "Language and sessions"): two
//! township stations send the last two days; the map's slider ends at the last hour, its
//! township table lists every town, township and the zone, the stations' townships carry
//! the value computed here from what was sent, the legend has the six official colours;
//! the public sees the township stations without values; the ranking lists every unit,
//! those without a valid month marked 不参与排名 (never rank 0), opens on the current
//! month and names its formula; an API error reads in the page's language only; a base-map
//! tile URL set by the bureau is used by the map and admitted by the page's content security
//! policy. Two tabs share the session: a login in one shows in the other, a tab opened
//! later is logged in, a login made behind a tab's back shows when it comes back into view,
//! and a logout in one tab is noticed in the other. Desktop and phone screenshots go to
//! `test-artifacts/map-*.png`; English pages carry no Chinese outside names, Chinese pages
//! no English outside codes and units.

use super::alarms_live::{add_users, mn, now_ms, send_hours};
use super::browser::{Browser, Driver, get_as, have_chromium, post_as};
use super::browser_enforce::{CHINESE_CHROME, HOOK_ERRORS, no_errors, visit};
use super::serve::{Server, login, request};
use super::*;
use lantian_app::county::County;
use lantian_core::aqi::{self, Lang, Level};
use lantian_core::cst;
use lantian_core::org::{Role, UnitKind};
use lantian_core::pollutant::Pollutant;
use lantian_core::rules::RuleChoice;
use lantian_core::series::StationRole;
use lantian_store::{Station, Store};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

/// Words of a Chinese page (headings, labels, buttons, table heads, notes, the legend, the
/// menu) with English in them, once codes, units, the brand and the user's name are taken out.
const ENGLISH_CHROME: &str = "return [...document.querySelectorAll('nav a:not([hidden]), #view h2, #view h3, #view th, #view label, #view button, #view .tag, #view p.muted, #view p.error, #map-legend, #map-hour, #rk-summary, #session-note')]
  .map((e) => (e.id === 'nav-login' ? e.textContent.replace(/\\(.*\\)/, '') : e.textContent).trim())
  .filter((s) => /[A-Za-z]{2,}/.test(s.replace(/English|Excel|CSV|AQI|IAQI|PM2\\.5|PM10|NO2|SO2|O3|CO|HJ \\d+|μg\\/m³|mg\\/m³|HTTP|Lantian/g, '')))";

fn set_size(b: &Driver, w: u32, h: u32) {
    b.cmd(
        "POST",
        "/window/rect",
        Some(json!({ "width": w, "height": h })),
    );
    // Leaflet redraws on the window's resize event: let it before a screenshot.
    std::thread::sleep(std::time::Duration::from_millis(400));
}

/// A township station of `unit` with its data logger (MN `mn(id)`, password `123456`).
fn station(store: &Store, id: &str, name: &str, unit: &str, lat: f64, lon: f64) {
    store
        .upsert_station(&Station {
            id: id.into(),
            name: name.into(),
            role: StationRole::Township,
            admin_unit_id: Some(unit.into()),
            lat: Some(lat),
            lon: Some(lon),
            pollutants: Pollutant::ALL
                .iter()
                .map(|p| p.hj212_code().into())
                .collect(),
            min_interval_min: 1,
            demo: false,
        })
        .unwrap();
}

/// The value `send_hours` sends for pollutant `p` in its `i`-th hour.
fn sent(i: usize, p: Pollutant) -> f64 {
    (20 + (i * 7 + p.index() * 3) % 31) as f64
}

/// Opens a new tab and returns its WebDriver handle.
fn new_tab(b: &Driver) -> String {
    b.cmd("POST", "/window/new", Some(json!({ "type": "tab" })))["handle"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn switch(b: &Driver, handle: &str) {
    b.cmd("POST", "/window", Some(json!({ "handle": handle })));
}

fn logged_in_as(b: &Driver) -> Value {
    b.js("const a = document.querySelector('#nav-login'); return a.getAttribute('href') === '#/logout' ? a.textContent : null")
}

#[test]
fn map_rankings_errors_in_one_language_and_a_session_shared_by_tabs() {
    if !have_chromium() {
        return;
    }
    let dir = temp_dir("browser-map");
    let d = dir.to_str().unwrap();
    {
        let store = Store::open_data_dir(&dir).unwrap();
        County::xinji().install(&store, 0).unwrap();
        station(&store, "T-WK", "王口镇站", "wangkou", 37.97, 115.41);
        station(&store, "T-XC", "新城镇站", "xincheng", 38.04, 115.23);
        add_users(
            &store,
            &[
                ("bureau1", Role::Bureau, None),
                ("wk", Role::Township, Some("wangkou")),
            ],
        );
    }
    for id in ["T-WK", "T-XC"] {
        lantian_ok(&[
            "device",
            "add",
            "--data-dir",
            d,
            "--mn",
            &mn(id),
            "--password",
            "123456",
            "--station",
            id,
        ]);
    }
    let s = Server::start(d, &[]);
    let (web, addr) = (s.url(), s.http.clone());
    // The last 48 hours up to the one that started an hour ago, at both stations.
    let now_hour = cst::hour_start(cst::from_unix_ms(now_ms()));
    let starts: Vec<i64> = (0..48).map(|h| now_hour - (48 - h) * cst::HOUR_S).collect();
    send_hours(&s, &dir, "T-WK", &starts);
    send_hours(&s, &dir, "T-XC", &starts);
    s.projected();
    let bureau = login(&addr, "bureau1", PASSWORD);

    // The map's API: the window ends at the last hour sent; the township of a single
    // station has that station's values; the units are the county's.
    let api = get_as(&addr, &bureau, "/api/v1/map/hours?days=3&lang=zh");
    let hours = api["hours"].as_array().unwrap();
    assert_eq!(hours.len(), 72, "three days of hours");
    let last_label = cst::format_minute(*starts.last().unwrap() + cst::HOUR_S);
    assert_eq!(
        hours.last().unwrap(),
        &json!(last_label),
        "labelled by the last hour's end"
    );
    let county = County::xinji();
    let unit_ids: Vec<&str> = county
        .units
        .iter()
        .filter(|u| matches!(u.kind, UnitKind::Town | UnitKind::Township | UnitKind::Zone))
        .map(|u| u.id.as_str())
        .collect();
    let api_units: Vec<&str> = api["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    for id in &unit_ids {
        assert!(api_units.contains(id), "{id} on the map: {api_units:?}");
    }
    let wk = api["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == "wangkou")
        .unwrap();
    let last = starts.len() - 1;
    assert_eq!(
        wk["series"]["values"]["pm25"][71],
        json!(sent(last, Pollutant::Pm25)),
        "王口镇 at the last hour is its one station's PM2.5"
    );

    let browser = Browser::start();
    let b = &browser.driver;
    b.go(&web);
    b.js("localStorage.setItem('lang', 'zh')");
    let tab_a = b.cmd("GET", "/window", None).as_str().unwrap().to_owned();

    eprintln!(
        "browser test: the public's map: township stations without values, every unit listed"
    );
    visit(
        b,
        &web,
        "#/map?ind=pm25",
        "the public map",
        "return document.querySelectorAll('#map-units tbody tr').length > 0 && document.querySelector('#map-hour').textContent.includes('北京时间')",
    );
    let public_rows = b.js("return [...document.querySelectorAll('#map-units tbody tr')].map((r) => [r.dataset.unit, r.cells[3].textContent])");
    let public_rows = public_rows.as_array().unwrap();
    assert_eq!(public_rows.len(), unit_ids.len(), "{public_rows:?}");
    let wk_public = public_rows.iter().find(|r| r[0] == "wangkou").unwrap();
    assert_eq!(
        wk_public[1],
        json!("登录后可查看站点数据"),
        "the public sees no township station's value"
    );
    assert_eq!(
        b.js("return document.querySelectorAll('.station-marker').length"),
        json!(2),
        "both stations on the public map, by name and place"
    );

    eprintln!("browser test: a second tab, a login in the first shows in it");
    let tab_b = new_tab(b);
    switch(b, &tab_b);
    b.go(&format!("{web}/#/rankings"));
    b.wait(
        "the ranking in tab B",
        "return document.querySelectorAll('#rank-table tbody tr').length > 0",
    );
    assert_eq!(logged_in_as(b), Value::Null, "tab B starts logged out");
    switch(b, &tab_a);
    b.log_in(&web, "bureau1", PASSWORD);
    switch(b, &tab_b);
    b.wait(
        "tab B hears of the login",
        "const a = document.querySelector('#nav-login'); return a.textContent.includes('(bureau1)')",
    );
    assert!(
        b.text("#session-note")
            .as_str()
            .unwrap_or_default()
            .contains("bureau1"),
        "tab B says who is logged in now"
    );
    let tab_c = new_tab(b);
    switch(b, &tab_c);
    b.go(&format!("{web}/#/map"));
    b.wait(
        "a tab opened later is logged in",
        "return document.querySelector('#nav-login').textContent.includes('(bureau1)')",
    );
    assert_eq!(
        b.js("return document.querySelector('#session-note') === null"),
        json!(true),
        "a tab opened while logged in reports no change of session"
    );
    b.cmd("DELETE", "/window", None);

    eprintln!(
        "browser test: the bureau's map: the slider's last hour, the township values, the legend"
    );
    switch(b, &tab_a);
    visit(
        b,
        &web,
        "#/map?ind=pm25&days=3",
        "the bureau's map",
        "return document.querySelector('#map-units tr[data-unit=wangkou]') !== null && document.querySelector('#map-hour').textContent.includes('北京时间')",
    );
    assert_eq!(
        b.text("#map-hour"),
        json!(format!("{last_label} 北京时间")),
        "the slider starts at the last hour"
    );
    assert_eq!(
        b.js("return document.querySelector('#map-slider').max"),
        json!("71")
    );
    let table = b.js("return Object.fromEntries([...document.querySelectorAll('#map-units tbody tr')].map((r) => [r.dataset.unit, [r.cells[1].textContent, r.cells[2].textContent, r.cells[3].textContent]]))");
    assert_eq!(
        table.as_object().unwrap().len(),
        unit_ids.len(),
        "every town, township and the zone: {table}"
    );
    for (unit, p) in [("wangkou", Pollutant::Pm25), ("xincheng", Pollutant::Pm25)] {
        assert_eq!(
            table[unit][2 - 1],
            json!(format!("{:.1}", sent(last, p))),
            "{unit}'s PM2.5 at the last hour: {table}"
        );
        assert_eq!(table[unit][0], json!("1"), "{unit}: one station");
    }
    // The level shown is the standard's, from the engine over the six values sent.
    let hour = std::array::from_fn(|k| Some(sent(last, Pollutant::ALL[k])));
    let date = cst::date_of(*starts.last().unwrap());
    let engine = aqi::realtime(
        &aqi::AqiOptions::for_date(date, RuleChoice::Auto),
        &aqi::RealtimeInputs {
            hour,
            ..aqi::RealtimeInputs::default()
        },
    );
    let level = Level::from_aqi(engine.pollutant_iaqi(Pollutant::Pm25).unwrap());
    assert_eq!(
        table["wangkou"][2],
        json!(level.category(Lang::Zh)),
        "王口镇's PM2.5 level: {table}"
    );
    let rgb = level.rgb();
    assert_eq!(
        b.js("return [...document.querySelectorAll('#map path.leaflet-interactive:not(.station-marker)')].map((p) => p.getAttribute('fill').toLowerCase())")
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| **f == json!(level.hex().to_lowercase()))
            .count(),
        2,
        "the two townships with a station shaded {rgb:?}"
    );
    assert_eq!(
        table["zhangguzhuang"][2],
        json!("无监测站点"),
        "a township without a station says so: {table}"
    );
    // The slider moves the hour: the first hour of the window had no data sent (it lies
    // before the 48 hours), the 25th did.
    b.js("const s = document.querySelector('#map-slider'); s.value = '0'; s.oninput()");
    assert_eq!(
        b.text("#map-units tr[data-unit=wangkou] td.v"),
        json!("—"),
        "no value before the data"
    );
    b.js("const s = document.querySelector('#map-slider'); s.value = '24'; s.oninput()");
    assert_eq!(
        b.text("#map-units tr[data-unit=wangkou] td.v"),
        json!(format!("{:.1}", sent(0, Pollutant::Pm25))),
        "the first hour sent, a day into the window"
    );
    let legend = b.js("return [...document.querySelectorAll('#map-legend div[data-level] i')].map((i) => getComputedStyle(i).backgroundColor)");
    assert_eq!(
        legend,
        json!([
            "rgb(0, 228, 0)",
            "rgb(255, 255, 0)",
            "rgb(255, 126, 0)",
            "rgb(255, 0, 0)",
            "rgb(153, 0, 76)",
            "rgb(126, 0, 35)"
        ]),
        "the six official AQI colours"
    );
    assert_eq!(
        b.js(ENGLISH_CHROME),
        json!([]),
        "no English on the Chinese map"
    );
    b.js("const s = document.querySelector('#map-slider'); s.value = '71'; s.oninput()");
    b.screenshot("map-desktop-zh.png");
    set_size(b, 390, 844);
    b.screenshot("map-phone-zh.png");
    set_size(b, 1280, 900);

    eprintln!("browser test: the ranking: every unit, none at rank 0, this month, the formula");
    visit(
        b,
        &web,
        "#/rankings",
        "the ranking",
        "return document.querySelectorAll('#rank-table tbody tr[data-unit]').length > 0",
    );
    let today = cst::today(now_ms());
    assert_eq!(
        b.js(
            "return [document.querySelector('#year').value, document.querySelector('#month').value]"
        ),
        json!([today.year().to_string(), today.month().to_string()]),
        "the current month (Beijing time) by default"
    );
    let ranking = get_as(
        &addr,
        &bureau,
        &format!(
            "/api/v1/rankings?year={}&month={}&method=composite_index",
            today.year(),
            today.month()
        ),
    );
    let rows = b.js("return [...document.querySelectorAll('#rank-table tbody tr')].map((r) => [r.dataset.unit, r.dataset.rank, r.cells[0].textContent])");
    let rows = rows.as_array().unwrap();
    let listed: Vec<&str> = rows.iter().map(|r| r[0].as_str().unwrap()).collect();
    for id in &unit_ids {
        assert!(listed.contains(id), "{id} in the ranking: {listed:?}");
    }
    for (row, item) in rows.iter().zip(ranking["items"].as_array().unwrap()) {
        assert_eq!(row[0], item["unit"], "the API's order");
        match item["rank"].as_u64() {
            Some(rank) => assert_eq!(row[2], json!(rank.to_string())),
            None => assert_eq!(
                (&row[1], &row[2]),
                (&json!(""), &json!("不参与排名")),
                "{} is marked, not ranked 0",
                row[0]
            ),
        }
        assert_ne!(row[2], json!("0"), "no rank 0");
    }
    assert_eq!(
        b.text("#rk-formula"),
        ranking["formula_zh"],
        "the formula named"
    );
    assert!(
        b.text("#rk-summary")
            .as_str()
            .unwrap_or_default()
            .contains(&format!("共 {} 个", rows.len())),
        "the count stated"
    );
    assert_eq!(
        b.js(ENGLISH_CHROME),
        json!([]),
        "no English on the Chinese ranking"
    );
    no_errors(b, "the ranking");
    b.screenshot_page("map-rankings-desktop-zh.png");
    set_size(b, 390, 844);
    b.screenshot("map-rankings-phone-zh.png");
    set_size(b, 1280, 900);

    // The day before yesterday's full day is valid: in its month both stations' townships
    // are ranked (equal values share rank 1), the others marked.
    let valid_day = today.add_days(-1);
    b.js(&format!(
        "document.querySelector('#year').value = '{}'; document.querySelector('#month').value = '{}'; document.querySelector('#month').onchange()",
        valid_day.year(),
        valid_day.month()
    ));
    let ranked = b.wait(
        "the ranked townships",
        "const r = [...document.querySelectorAll('#rank-table tbody tr[data-rank=\"1\"]')].map((r) => r.dataset.unit).sort(); return r.length ? r : null",
    );
    assert_eq!(
        ranked,
        json!(["wangkou", "xincheng"]),
        "the two townships with data ranked"
    );
    eprintln!("browser test: an API error in the page's language only");
    b.js("document.querySelector('#year').value = '1800'; document.querySelector('#year').onchange()");
    let zh_error = b.wait(
        "the refused year",
        "return document.querySelector('#rk-error').textContent",
    );
    let zh_error = zh_error.as_str().unwrap();
    assert!(
        zh_error
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
            && !zh_error
                .chars()
                .any(|c| c.is_ascii_alphabetic() && c != 'e'),
        "Chinese only: {zh_error:?}"
    );
    // The one place that picks the language, over the API's message forms.
    let cases = json!([
        [
            "措施 M05 不存在 / no measure M05",
            404,
            "措施 M05 不存在",
            "no measure M05"
        ],
        [
            "底图瓦片地址 \"x\"：须以 https://、http:// 或 / 开头 / must start with https://, http:// or /",
            400,
            "底图瓦片地址 \"x\"：须以 https://、http:// 或 / 开头",
            "must start with https://, http:// or /"
        ],
        [
            "days=9：须为 1 至 7 / must be 1 to 7",
            400,
            "days=9：须为 1 至 7",
            "days=9: must be 1 to 7"
        ],
        [
            "request body too large",
            413,
            "文件或内容过大，超过服务器允许的大小。",
            "request body too large"
        ],
        [
            "UNIQUE constraint failed: users.username",
            409,
            "与现有记录冲突（可能已存在或已被他人修改），请刷新后重试。",
            "UNIQUE constraint failed: users.username"
        ],
        [
            "只有生态环境局可以设定",
            403,
            "只有生态环境局可以设定",
            "You may not do this."
        ],
        [
            "",
            502,
            "服务器暂时不可用，请稍后重试。",
            "The server is unavailable for the moment: try again later."
        ]
    ]);
    let got = b.wait(
        "inLang's answers",
        &format!(
            "if (!window.__inLang) {{ window.__inLang = 'loading'; import('/js/core.js').then(async (m) => {{
               const out = [];
               for (const [msg, status] of {cases}) {{
                 m.state.lang = 'zh'; const zh = m.inLang(msg, status);
                 m.state.lang = 'en'; const en = m.inLang(msg, status);
                 out.push([zh, en]);
               }}
               m.state.lang = 'zh';
               window.__inLang = out; }}); }}
             return Array.isArray(window.__inLang) ? window.__inLang : null"
        ),
    );
    for (case, got) in cases
        .as_array()
        .unwrap()
        .iter()
        .zip(got.as_array().unwrap())
    {
        assert_eq!(
            got,
            &json!([case[2], case[3]]),
            "inLang({}, {})",
            case[0],
            case[1]
        );
    }

    eprintln!("browser test: English pages: no Chinese outside names");
    b.js("localStorage.setItem('lang', 'en')");
    visit(
        b,
        &web,
        "?en#/rankings",
        "the English ranking",
        "return document.querySelectorAll('#rank-table tbody tr[data-unit]').length > 0 && document.documentElement.lang === 'en'",
    );
    assert_eq!(b.js(CHINESE_CHROME), json!([]), "the ranking in English");
    assert_eq!(b.text("#rk-formula"), ranking["formula_en"]);
    b.js("document.querySelector('#year').value = '1800'; document.querySelector('#year').onchange()");
    let en_error = b.wait(
        "the refused year in English",
        "return document.querySelector('#rk-error').textContent",
    );
    assert!(
        !en_error
            .as_str()
            .unwrap()
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "English only: {en_error}"
    );
    b.screenshot_page("map-rankings-desktop-en.png");
    visit(
        b,
        &web,
        "#/map?ind=aqi",
        "the English map",
        "return document.querySelector('#map-units tr[data-unit=wangkou]') !== null && document.querySelector('#map-hour').textContent.includes('Beijing')",
    );
    let chinese = b.js(CHINESE_CHROME);
    let legend_zh =
        b.js("return /[\\u4e00-\\u9fff]/.test(document.querySelector('#map-legend').textContent)");
    assert_eq!(
        (chinese, legend_zh),
        (json!([]), json!(false)),
        "the map in English"
    );
    b.screenshot("map-desktop-en.png");
    set_size(b, 390, 844);
    b.screenshot("map-phone-en.png");
    set_size(b, 1280, 900);
    b.js("localStorage.setItem('lang', 'zh')");

    eprintln!("browser test: a base map set by the bureau is used and admitted by the CSP");
    // Another origin than the app's (localhost, not 127.0.0.1): the policy must admit it.
    let port = addr.rsplit(':').next().unwrap();
    let tile_origin = format!("http://localhost:{port}");
    let tile = format!("{tile_origin}/tiles/{{z}}/{{x}}/{{y}}.png");
    let set = post_as(
        &addr,
        &bureau,
        "/api/v1/ui-config",
        json!({ "tile_url": "https://{s}.tile.example.org/{z}/{x}/{y}.png", "tile_attribution": "© 测试底图" }),
    );
    assert_eq!(
        set["tile_url"],
        json!("https://{s}.tile.example.org/{z}/{x}/{y}.png")
    );
    let refused = request(
        &addr,
        "POST",
        "/api/v1/ui-config",
        &[
            ("Content-Type", "application/json"),
            ("Cookie", bureau.cookie.as_str()),
            ("X-CSRF-Token", bureau.csrf.as_str()),
        ],
        json!({ "tile_url": "javascript:alert(1)//{z}{x}{y}" })
            .to_string()
            .as_bytes(),
    );
    assert_eq!(refused.status, 400);
    assert!(
        refused.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("须以"),
        "a bad template refused with the reason: {}",
        refused.json()
    );
    let wk_login = login(&addr, "wk", PASSWORD);
    let (status, _) = {
        let r = request(
            &addr,
            "POST",
            "/api/v1/ui-config",
            &[
                ("Content-Type", "application/json"),
                ("Cookie", wk_login.cookie.as_str()),
                ("X-CSRF-Token", wk_login.csrf.as_str()),
            ],
            json!({ "tile_url": "" }).to_string().as_bytes(),
        );
        (r.status, r.json())
    };
    assert_eq!(status, 403, "a township does not set the base map");
    post_as(
        &addr,
        &bureau,
        "/api/v1/ui-config",
        json!({ "tile_url": tile, "tile_attribution": "© 测试底图" }),
    );
    // A new document (its policy is the server's now), then the map.
    b.go(&format!("{web}/?base-map#/map"));
    b.js(HOOK_ERRORS);
    b.wait(
        "the base map's tiles requested",
        "return document.querySelectorAll('img.leaflet-tile').length > 0",
    );
    let src = b.js("return document.querySelector('img.leaflet-tile').getAttribute('src')");
    assert!(
        src.as_str()
            .unwrap_or_default()
            .starts_with(&format!("{tile_origin}/tiles/")),
        "tiles from the configured server: {src}"
    );
    let policy = b.wait(
        "the page's policy",
        "if (!window.__policy) fetch('/').then((r) => { window.__policy = r.headers.get('content-security-policy'); }); return window.__policy",
    );
    assert!(
        policy
            .as_str()
            .unwrap()
            .contains(&format!("img-src 'self' {tile_origin} data:")),
        "the tile server admitted: {policy}"
    );
    // An image of the tile server loads under the policy; one of an origin not admitted (the
    // control, asked second) is refused.
    let refused_images = b.wait(
        "the policy's verdicts",
        &format!(
            "if (!window.__csp) {{ window.__csp = [];
               document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.blockedURI));
               new Image().src = '{tile_origin}/tiles/1/1/1.png';
               new Image().src = 'http://127.0.0.2:{port}/tiles/1/1/1.png'; }}
             return window.__csp.length > 0 ? window.__csp : null"
        ),
    );
    assert_eq!(
        refused_images,
        json!([format!("http://127.0.0.2:{port}/tiles/1/1/1.png")]),
        "only the origin not admitted is refused"
    );
    assert!(
        b.text(".leaflet-control-attribution")
            .as_str()
            .unwrap_or_default()
            .contains("测试底图"),
        "the base map's credit line"
    );
    assert!(
        !b.text("#map-note")
            .as_str()
            .unwrap_or_default()
            .contains("未配置底图"),
        "no 'no base map' note"
    );

    eprintln!(
        "browser test: a login behind a tab's back shows when it regains the focus; a logout in one tab shows in the other"
    );
    switch(b, &tab_b);
    b.go(&format!("{web}/#/rankings"));
    b.wait(
        "tab B logged in",
        "return document.querySelector('#nav-login').textContent.includes('(bureau1)')",
    );
    switch(b, &tab_a);
    // A login by script: no other tab is told.
    b.js(&format!(
        "fetch('/api/v1/login', {{ method: 'POST', credentials: 'same-origin', headers: {{ 'Content-Type': 'application/json' }}, body: JSON.stringify({{ username: 'wk', password: {} }}) }}).then(() => {{ window.__relogged = true; }})",
        json!(PASSWORD)
    ));
    b.wait("the login by script", "return window.__relogged === true");
    // Coming back to tab B (it becomes visible and gets the focus) reads the session again:
    // no other tab told it.
    switch(b, &tab_b);
    b.wait(
        "tab B reads the session again when it comes back",
        "return document.querySelector('#nav-login').textContent.includes('(wk)')",
    );
    // The change of account redraws the page: log out once it is drawn again.
    b.wait(
        "tab B's ranking redrawn for wk",
        "return document.querySelectorAll('#rank-table tbody tr').length > 0",
    );
    b.click("#nav-login");
    b.wait(
        "tab B logged out",
        "return document.querySelector('#nav-login').getAttribute('href') === '#/login'",
    );
    no_errors(b, "logging out in tab B");
    switch(b, &tab_a);
    b.wait(
        "tab A notices the logout",
        "return document.querySelector('#nav-login').getAttribute('href') === '#/login' && document.querySelector('#session-note') !== null",
    );
    assert_eq!(
        b.text("#session-note"),
        json!("已在其他标签页退出登录，或登录已过期。")
    );
    assert_eq!(
        request(&addr, "GET", "/api/v1/me", &[], b"").status,
        401,
        "no session"
    );
    b.screenshot("map-session-logged-out-zh.png");
    // Logging out again in a tab whose session already ended is no failure.
    b.go(&format!("{web}/#/logout"));
    b.wait(
        "logged out",
        "return location.hash === '#/' && document.querySelector('#nav-login').getAttribute('href') === '#/login'",
    );
    let err = b.js("return [...document.querySelectorAll('#view .error')].map((e) => e.textContent.trim()).filter((t) => t)");
    assert_eq!(err, json!([]), "no error on a second logout");
}
