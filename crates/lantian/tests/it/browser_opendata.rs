//! The open-data tour in a real headless Chromium: the open-data page (licence, API
//! examples, bulk list, changelog) signs up for an API key through its form and the key
//! works; a bulk file linked from the list downloads with the size and SHA-256 the list
//! states; a published station's portal page shows today's hour, the 30 days and the
//! calendar, a township station's is not found; an enterprise that publishes its monitoring
//! has a portal page with its outlet's hours against the limits and its published credit
//! entry (another enterprise's page says 无); the bureau's key page lists the key signed up in
//! the tour, sets its limit (the next request carries it) and revokes it (the next request is
//! 401), and makes a key for someone (shown once, copied). Screenshots at desktop and phone
//! sizes go to `test-artifacts/`; no console errors.

use super::browser::{Browser, Driver, get_as, have_chromium, post_as};
use super::browser_enforce::{CHINESE_CHROME, no_errors, visit};
use super::serve::{Login, Server};
use super::*;
use lantian_app::County;
use lantian_core::cst;
use lantian_core::pollutant::Pollutant;
use lantian_core::series::StationRole;
use lantian_store::{Ingest, Observation, Period, Station, Store};
use serde_json::{Value, json};

/// Days of hourly data before today's hours.
const DAYS: i64 = 35;

/// A published station and a township station with `DAYS` days of hours up to the current
/// hour (by the system clock, which the server reads too).
fn stations(dir: &std::path::Path, now_hour: i64) {
    let store = Store::open_data_dir(dir).unwrap();
    County::xinji().install(&store, 0).unwrap();
    let mut obs = Vec::new();
    for (i, (id, name, role, unit)) in [
        ("CITY-1", "市监测站", StationRole::Assessment, "xinji"),
        ("T-WK", "王口镇站", StationRole::Township, "wangkou"),
    ]
    .into_iter()
    .enumerate()
    {
        store
            .upsert_station(&Station {
                id: id.into(),
                name: name.into(),
                role,
                admin_unit_id: Some(unit.into()),
                lat: Some(37.93 + i as f64 * 0.04),
                lon: Some(115.21 + i as f64 * 0.05),
                pollutants: Pollutant::ALL
                    .iter()
                    .map(|p| p.hj212_code().into())
                    .collect(),
                min_interval_min: 1,
                demo: false,
            })
            .unwrap();
        let first = cst::day_start(cst::date_of(now_hour)) - DAYS * cst::DAY_S;
        let mut ts = first;
        while ts <= now_hour {
            let h = (ts - first) / cst::HOUR_S;
            // A daily cycle and a slow swing over the weeks, so the calendar has colours.
            let swing = 1.0 + 0.8 * ((h as f64) / 90.0).sin();
            let cycle = 1.0 + 0.3 * ((h % 24) as f64 / 24.0 * std::f64::consts::TAU).sin();
            for p in Pollutant::ALL {
                // SO2, NO2, PM10, CO (mg/m³), O3, PM2.5: the order of `Pollutant::ALL`.
                let base = [12.0, 38.0, 90.0, 0.9, 70.0, 55.0][p.index()];
                obs.push(Observation {
                    station_id: id.into(),
                    code: p.hj212_code().into(),
                    period: Period::Hour,
                    ts,
                    value: (base * swing * cycle * 10.0).round() / 10.0,
                    flag: "N".into(),
                });
            }
            ts += cst::HOUR_S;
        }
    }
    store
        .commit_batch(&[Ingest {
            packet: None,
            observations: obs,
        }])
        .unwrap();
}

/// Fetches `path` in the page with `key` as `X-API-Key`: `[status, RateLimit-Limit]`.
fn fetch_keyed(b: &Driver, key: &str, path: &str) -> Value {
    b.js(&format!(
        "window.__fetched = null; fetch({}, {{ headers: {{ 'X-API-Key': {} }} }}).then((r) => {{ window.__fetched = [r.status, r.headers.get('RateLimit-Limit')]; }}, (e) => {{ window.__fetched = [0, String(e)]; }}); return true",
        json!(path),
        json!(key)
    ));
    b.wait(&format!("GET {path} with a key"), "return window.__fetched")
}

/// A closed case against enterprise `AS` with a fine for exceeding its limits, published from
/// the day of closure (the county's delay set to 0): its case number and publication period.
fn published_credit_entry(addr: &str, bureau: &Login) -> (String, String) {
    let r = super::serve::request(
        addr,
        "PUT",
        "/api/v1/credit/rules",
        &[
            ("Content-Type", "application/json"),
            ("Cookie", bureau.cookie.as_str()),
            ("X-CSRF-Token", bureau.csrf.as_str()),
        ],
        br#"{ "publish_delay_days": 0 }"#,
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let case = post_as(
        addr,
        bureau,
        "/api/v1/cases",
        json!({ "title": "1#烧结机机头二氧化硫超标", "violation": "exceed_emission", "subject_kind": "enterprise",
                "subject_id": "AS", "non_site": true, "summary": "在线监测小时均值超过排放限值" }),
    );
    let id = case["id"].as_i64().unwrap_or_else(|| panic!("{case}"));
    let case_no = case["case_no"].as_str().unwrap().to_owned();
    post_as(
        addr,
        bureau,
        &format!("/api/v1/cases/{id}/decision"),
        json!({ "kind": "fine", "amount_yuan": 200000, "legal_basis": "《中华人民共和国大气污染防治法》第九十九条第（二）项",
                "text": "责令改正并处罚款" }),
    );
    let closed = post_as(
        addr,
        bureau,
        &format!("/api/v1/cases/{id}/close"),
        json!({ "text": "已缴纳罚款，结案" }),
    );
    assert_eq!(
        closed["credit_entries"].as_array().map(Vec::len),
        Some(1),
        "a general entry by rule: {closed}"
    );
    let public = get_as(addr, bureau, "/api/v1/credit/public");
    let e = public["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["case_no"] == json!(case_no))
        .unwrap_or_else(|| panic!("public from the day of closure: {public}"));
    let period = format!(
        "{} — {}",
        e["publish_from"].as_str().unwrap(),
        e["publish_until"].as_str().unwrap()
    );
    (case_no, period)
}

#[test]
fn open_data_page_key_sign_up_bulk_download_and_portal_pages() {
    if !have_chromium() {
        return;
    }
    let dir = temp_dir("browser-opendata");
    let d = dir.to_str().unwrap();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let now_hour = cst::hour_start(cst::from_unix_ms(now_ms)) - cst::HOUR_S;
    stations(&dir, now_hour);
    let yesterday = cst::date_of(cst::from_unix_ms(now_ms)).add_days(-1);
    // An enterprise with a CEMS outlet, a day of minute data yesterday (plant.rs), which it
    // publishes; the bureau's account.
    let ok = |line: &str| {
        let mut args: Vec<&str> = line.split_whitespace().collect();
        args.splice(2..2, ["--data-dir", d]);
        let o = lantian(&args);
        assert!(o.status.success(), "{line}: {}", stderr(&o));
    };
    for line in [
        "enterprise add --id AS --name 澳森特钢 --unit xinji --industry 钢铁 --grade B --key-polluter --lat 37.95 --lon 115.25",
        "outlet add --enterprise AS --id AS-1 --name 1#烧结机机头 --o2-ref 16 --limit a21026=35 --limit a21002=50 \
         --limit a34013=10 --limit-source DB13/2169-2018 --flow-stopped 10000 --height 120",
        "device add --mn CEMS0000000000000000AS01 --password 123456 --outlet AS-1",
        "equipment add --enterprise AS --id AS-SJ --name 1#烧结机 --kind production --outlet AS-1 --status-code SB1-RS",
        "equipment add --enterprise AS --id AS-TL --name 脱硫设施 --kind treatment --outlet AS-1 --power-code e01 \
         --running-kw 100 --rated-kw 800",
        "device add --mn EQUIP000000000000000AS01 --password 123456 --equipment AS-SJ",
        "device add --mn POWER000000000000000AS01 --password 123456 --equipment AS-TL",
        "user add --username sthj --role bureau --unit 市生态环境局 --password correct-horse-battery",
        // Publishes its monitoring, has no credit entry.
        "enterprise add --id BS --name 北山铸造 --unit xinji --industry 铸造 --grade C --key-polluter --lat 37.9 --lon 115.2",
    ] {
        ok(line);
    }
    let file = dir.join("packets.txt");
    std::fs::write(
        &file,
        super::plant::packets("AS", cst::day_start(yesterday), 1440),
    )
    .unwrap();
    // A tour asks more of the open API in a minute than a visitor would (public burst 20).
    let server = Server::start(
        d,
        &[
            "--no-device-setup",
            "--open-public-burst",
            "200",
            "--open-public-per-hour",
            "2000",
        ],
    );
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
    let bureau = super::serve::login(&addr, "sthj", "correct-horse-battery");
    post_as(
        &addr,
        &bureau,
        "/api/v1/enterprises/AS/disclosure",
        json!({ "discloses": true, "note": "烧结机头配套湿法脱硫、SCR脱硝" }),
    );
    // A correction of yesterday's 10:00 PM2.5, for the changelog.
    let hour = format!("{yesterday} 10:00");
    post_as(
        &addr,
        &bureau,
        "/api/v1/stations/CITY-1/corrections",
        json!({ "pollutant": "PM2.5", "hour": hour, "action": "correct", "value": 42.0, "reason_code": "calibration" }),
    );
    post_as(
        &addr,
        &bureau,
        "/api/v1/enterprises/BS/disclosure",
        json!({ "discloses": true, "note": "" }),
    );
    let (credit_case, credit_period) = published_credit_entry(&addr, &bureau);
    let today = cst::date_of(cst::from_unix_ms(now_ms));
    let log = get_as(
        &addr,
        &bureau,
        &format!("/api/v1/open/changelog?from={today}&to={today}"),
    );
    assert_eq!(log["changes"].as_array().map(Vec::len), Some(1), "{log}");

    let b = Browser::start();
    let b = &b.driver;
    eprintln!("browser test: the open-data page");
    b.go(&web);
    b.js("localStorage.setItem('lang', 'zh')");
    visit(
        b,
        &web,
        "#/opendata",
        "the open-data page",
        "return document.querySelector('#bulk') !== null",
    );
    b.wait(
        "the bulk list and the changelog",
        "return document.querySelectorAll('#bulk tbody tr').length > 0 && document.querySelectorAll('#changelog tbody tr td').length > 1",
    );
    assert_eq!(b.text("#licence-name"), json!("CC BY 4.0"));
    let licence = b.text("#licence").as_str().unwrap_or_default().to_owned();
    assert!(licence.contains("辛集市生态环境局"), "{licence}");
    let stations_listed = b
        .text("#open-stations")
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        stations_listed.contains("市监测站") && !stations_listed.contains("王口镇站"),
        "{stations_listed}"
    );
    assert!(
        b.text("#open-enterprises")
            .as_str()
            .unwrap_or_default()
            .contains("澳森特钢")
    );
    let changelog = b
        .text("#changelog tbody")
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        changelog.contains("校准")
            && changelog.contains("42")
            && changelog.contains("生态环境局")
            && !changelog.contains("sthj"),
        "{changelog}"
    );
    b.screenshot_page("opendata.png");

    eprintln!("browser test: a key through the sign-up form, and used");
    b.type_into("#key-name", "河北大学大气环境课题组");
    b.type_into("#key-email", "aq@example.org");
    b.type_into("#key-purpose", "区域 PM2.5 时空分布研究");
    b.click("#key-submit");
    let key = b.wait(
        "the issued key",
        "const k = document.querySelector('#issued-key'); return k ? k.textContent : null",
    );
    let key = key.as_str().unwrap().to_owned();
    assert!(key.len() >= 20, "{key}");
    let used = b.wait(
        "a request with the key",
        &format!(
            "if (!window.__keyed) {{ window.__keyed = 'pending'; fetch('/api/v1/open/stations', {{ headers: {{ 'X-API-Key': {} }} }}).then(r => {{ window.__keyed = [r.status, r.headers.get('RateLimit-Limit')]; }}); }} return window.__keyed === 'pending' ? null : window.__keyed",
            json!(key)
        ),
    );
    assert_eq!(used[0], json!(200), "{used}");
    let key_limit = used[1].as_str().unwrap_or_default().to_owned();
    let public = b.wait(
        "a request without a key",
        "if (!window.__public) { window.__public = 'pending'; fetch('/api/v1/open/licence').then(r => { window.__public = r.headers.get('RateLimit-Limit'); }); } return window.__public === 'pending' ? null : window.__public",
    );
    assert_ne!(json!(key_limit), public, "a key has its own limit");
    b.screenshot_page("opendata-key.png");

    eprintln!("browser test: a bulk file from the list");
    let got = b.wait(
        "the first file fetched and hashed",
        "if (!window.__file) { window.__file = 'pending'; const row = document.querySelector('#bulk tbody tr[data-path$=\"hourly.csv\"]'); const a = row.querySelector('a.bulk-link'); const listed = row.querySelector('code').title; \
         fetch(a.href).then(r => r.arrayBuffer()).then(buf => crypto.subtle.digest('SHA-256', buf).then(h => { window.__file = [row.dataset.path, buf.byteLength, [...new Uint8Array(h)].map(b => b.toString(16).padStart(2, '0')).join(''), listed, new TextDecoder().decode(buf).split('\\n')[0]]; })); } \
         return window.__file === 'pending' ? null : window.__file",
    );
    assert_eq!(
        got[2], got[3],
        "the file's SHA-256 is the listed one: {got}"
    );
    assert_eq!(
        got[4],
        json!("station_id,station_name,time_bj,pollutant,value,unit,status,audit_version,flag")
    );
    let list = get_as(&addr, &bureau, "/api/v1/open/bulk");
    let listed = list["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == got[0])
        .unwrap()
        .clone();
    assert_eq!(listed["bytes"], got[1], "{listed}");

    eprintln!("browser test: a station's portal page");
    b.go(&format!("{web}/#/portal/station/CITY-1"));
    b.wait(
        "the station portal",
        "return document.querySelector('#portal-chart canvas') !== null && document.querySelectorAll('#portal-calendar .cal-day[data-date]').length > 0",
    );
    assert_eq!(
        b.js("return document.querySelectorAll('#portal-latest-table tbody tr').length"),
        json!(6)
    );
    let latest = b
        .text("#portal-latest")
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        latest,
        cst::format_minute(now_hour + cst::HOUR_S),
        "today's latest hour, by its end"
    );
    // The 30 days end today; in the first hour of a Beijing day today has no complete hour
    // yet, so only the 29 days before it have data.
    let charted = if cst::date_of(now_hour) == today {
        30
    } else {
        29
    };
    let days = b.js("return document.querySelector('#portal-chart').dataset.days");
    assert_eq!(days, json!(charted.to_string()), "the last 30 days charted");
    let cal_days =
        b.js("return document.querySelectorAll('#portal-calendar .cal-day[data-date]').length");
    assert!(cal_days.as_u64().unwrap_or(0) >= DAYS as u64, "{cal_days}");
    assert!(
        b.js("return document.querySelectorAll('#portal-bulk tbody tr').length")
            .as_u64()
            .unwrap_or(0)
            >= 4
    );
    b.screenshot_page("portal-station.png");
    b.go(&format!("{web}/#/portal/station/T-WK"));
    b.wait(
        "a township station is not found",
        "const e = document.querySelector('#view .error'); return e ? e.textContent : null",
    );

    eprintln!("browser test: an enterprise's portal page");
    b.go(&format!("{web}/#/portal/enterprise/AS?date={yesterday}"));
    b.wait(
        "the outlet's hours",
        "const s = document.querySelector('section.portal-outlet'); return s && s.dataset.rows && s.querySelector('.chart canvas') !== null",
    );
    let rows = b.js("return document.querySelector('section.portal-outlet').dataset.rows");
    let api_rows = get_as(
        &addr,
        &bureau,
        &format!("/api/v1/outlets/AS-1/emissions?from={yesterday}&to={yesterday}&per_page=1000"),
    )["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(rows, json!(api_rows.to_string()));
    assert_eq!(
        b.js("return document.querySelectorAll('section.portal-outlet table.portal-hours tbody tr').length"),
        json!(24)
    );
    assert!(
        b.text("#portal-enterprise-name")
            .as_str()
            .unwrap_or_default()
            .contains("澳森特钢")
    );
    let csv = b.js("return document.querySelector('a.portal-csv').getAttribute('href')");
    assert!(
        csv.as_str().unwrap_or_default().contains("format=csv"),
        "{csv}"
    );
    // Its penalties and rectification (plan §9(三)): the published credit entry.
    let credit = b.js(
        "return [...document.querySelectorAll('#portal-credit tbody tr')].map((r) => [r.dataset.case, r.querySelector('.period').textContent])",
    );
    assert_eq!(
        credit,
        json!([[credit_case, credit_period]]),
        "the enterprise's public credit entry with its period"
    );
    no_errors(b, "the enterprise's portal page");
    b.screenshot_page("portal-enterprise.png");
    visit(
        b,
        &web,
        "#/portal/enterprise/BS",
        "another enterprise's portal page",
        "return document.querySelector('#portal-credit-none, #portal-credit') !== null",
    );
    assert_eq!(
        b.text("#portal-credit-none"),
        json!("无"),
        "not another enterprise's entry"
    );

    eprintln!("browser test: the bureau's key page");
    assert_eq!(
        b.js("return document.querySelector('#nav-apikeys').hidden"),
        json!(true),
        "no key menu for the public"
    );
    // `login` changed the initial password.
    b.log_in(&web, "sthj", "correct-horse-battery (changed)");
    assert_eq!(
        b.js("return document.querySelector('#nav-apikeys').hidden"),
        json!(false),
        "the bureau manages keys"
    );
    let listed = get_as(&addr, &bureau, "/api/v1/apikeys");
    let mine = listed["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| key.starts_with(k["prefix"].as_str().unwrap()))
        .unwrap_or_else(|| panic!("the signed-up key is listed: {listed}"))
        .clone();
    assert_eq!(mine["requests"], json!(1), "the one request made: {mine}");
    let row = format!(
        "#apikeys-table tr[data-prefix=\"{}\"]",
        mine["prefix"].as_str().unwrap()
    );
    visit(
        b,
        &web,
        "#/apikeys",
        "the key page",
        &format!("return document.querySelector('{row}') !== null"),
    );
    let text = b.text(&row).as_str().unwrap_or_default().to_owned();
    for part in [
        "河北大学大气环境课题组",
        "aq@example.org",
        "区域 PM2.5 时空分布研究",
        "北京时间",
        "有效",
    ] {
        assert!(text.contains(part), "{part} in the row: {text}");
    }
    assert_eq!(b.text(&format!("{row} .ak-requests")), json!("1"));
    assert_eq!(
        b.js(&format!(
            "return document.querySelector('{row} .ak-limit').dataset.own"
        )),
        json!("false"),
        "the default limit"
    );
    // Its own limit: one number alone is refused on the page, nothing is sent.
    b.click(&format!("{row} .ak-limit-open"));
    b.type_into(&format!("{row} .ak-f-per-hour"), "7200");
    b.click(&format!("{row} .ak-limit-save"));
    b.wait(
        "the refusal of one number",
        "return document.querySelector('#ak-result .error')",
    );
    let id = mine["id"].as_i64().unwrap();
    let one = |id: i64| {
        get_as(&addr, &bureau, "/api/v1/apikeys")["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["id"] == json!(id))
            .unwrap()
            .clone()
    };
    assert_eq!(one(id)["per_hour"], Value::Null, "nothing sent");
    b.type_into(&format!("{row} .ak-f-burst"), "7");
    b.click(&format!("{row} .ak-limit-save"));
    b.wait(
        "the key's own limit",
        &format!(
            "const l = document.querySelector('{row} .ak-limit'); return l && l.dataset.own === 'true' && l.dataset.burst === '7'"
        ),
    );
    assert_eq!(
        (one(id)["per_hour"].clone(), one(id)["burst"].clone()),
        (json!(7200), json!(7))
    );
    assert_eq!(
        fetch_keyed(b, &key, "/api/v1/open/stations"),
        json!([200, "7"]),
        "the next request carries the new limit"
    );
    // Revocation: the reason is required (nothing is sent without it).
    b.click(&format!("{row} .ak-revoke-open"));
    b.click(&format!("{row} .ak-revoke-confirm"));
    assert_eq!(
        one(id)["revoked"],
        json!(false),
        "not revoked without a reason"
    );
    b.type_into(&format!("{row} .ak-f-reason"), "超出申请用途批量抓取");
    b.click(&format!("{row} .ak-revoke-confirm"));
    b.wait(
        "the key revoked",
        &format!(
            "const r = document.querySelector('{row}'); return r && r.dataset.revoked === 'true'"
        ),
    );
    assert_eq!(
        b.text(&format!("{row} .ak-reason")),
        json!("原因：超出申请用途批量抓取")
    );
    assert_eq!(
        b.js(&format!(
            "return document.querySelector('{row} .ak-limit-open, {row} .ak-revoke-open')"
        )),
        Value::Null,
        "a revoked key offers no step"
    );
    assert_eq!(
        fetch_keyed(b, &key, "/api/v1/open/stations")[0],
        json!(401),
        "the next request with it is refused"
    );
    // A key made for someone, with its own limit: shown once, copied, usable.
    b.type_into("#ak-name", "省生态环境监测中心");
    b.type_into("#ak-email", "data@example.org");
    b.type_into("#ak-purpose", "全省站点数据比对");
    b.type_into("#ak-per-hour", "1000");
    b.type_into("#ak-burst", "12");
    b.click("#ak-create-submit");
    let made = b.wait(
        "the key made",
        "const k = document.querySelector('#ak-issued-key'); return k ? k.textContent : null",
    );
    let made = made.as_str().unwrap().to_owned();
    assert!(made.starts_with("ltk_") && made.len() == 44, "{made}");
    b.click("#ak-copy");
    b.wait(
        "the copy",
        "return document.querySelector('#ak-copied').dataset.copied",
    );
    assert_eq!(
        b.js("return document.querySelectorAll('#apikeys-table tbody tr').length"),
        json!(2)
    );
    assert_eq!(
        fetch_keyed(b, &made, "/api/v1/open/stations"),
        json!([200, "12"]),
        "the made key's own limit"
    );
    assert!(
        !b.text("#apikeys-table")
            .as_str()
            .unwrap_or_default()
            .contains(&made),
        "the list never shows a key"
    );
    no_errors(b, "the key page");
    b.screenshot_page("opendata-apikeys.png");
    b.click("#lang");
    visit(
        b,
        &web,
        "#/apikeys",
        "the key page in English",
        "return document.documentElement.lang === 'en' && document.querySelector('#apikeys-table') !== null",
    );
    assert_eq!(
        b.js(CHINESE_CHROME),
        json!([]),
        "no Chinese words on the English key page"
    );
    assert!(
        b.text(&row)
            .as_str()
            .unwrap_or_default()
            .contains("Revoked"),
        "{}",
        b.text(&row)
    );
    b.screenshot_page("opendata-apikeys-en.png");
    b.click("#lang");

    eprintln!("browser test: the pages on a phone");
    b.cmd(
        "POST",
        "/window/rect",
        Some(json!({ "width": 390, "height": 844 })),
    );
    for (page, ready, shot) in [
        (
            "#/opendata",
            "return document.querySelectorAll('#bulk tbody tr').length > 0",
            "phone-opendata.png",
        ),
        (
            "#/portal/station/CITY-1",
            "return document.querySelector('#portal-chart canvas') !== null",
            "phone-portal-station.png",
        ),
        (
            "#/portal/enterprise/AS",
            "return document.querySelector('#portal-credit') !== null",
            "phone-portal-enterprise.png",
        ),
        (
            "#/apikeys",
            "return document.querySelector('#apikeys-table') !== null",
            "phone-apikeys.png",
        ),
    ] {
        b.go(&format!("{web}/#/"));
        b.wait(
            "the overview",
            "return document.querySelector('#view').children.length > 0",
        );
        b.go(&format!("{web}/{page}"));
        b.wait(page, ready);
        let overflow = b.js("return document.documentElement.scrollWidth - window.innerWidth");
        assert!(
            overflow.as_i64().unwrap_or(99) <= 1,
            "no sideways scrolling of {page} on a phone: {overflow}"
        );
        b.screenshot(shot);
    }
}
