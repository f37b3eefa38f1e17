//! Data integrity through a real `lantian serve`: a scan finds a flat line planted in a
//! township station's PM2.5 and stores it once; the three-level review (operations →
//! township → bureau) sets its state and the rule's precision; a work order opened from it
//! is closed by the contractor; invalidating the flat hours changes the audited ranking; a
//! closed month takes no more corrections; who may see and do what.

use super::serve::{Login, Server, login, request};
use super::*;
use lantian_app::County;
use lantian_core::org::Role;
use lantian_core::pollutant::Pollutant;
use lantian_core::series::StationRole;
use lantian_core::{Date, Month, cst};
use lantian_store::{Ingest, Observation, Period, Station, Store, User, password};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";
/// The flat line: hours 30 ..= 41 of the three days (day 2, 06:00 to 17:00) at this value.
const FLAT_HOURS: std::ops::RangeInclusive<i64> = 30..=41;
const FLAT_UG_M3: f64 = 55.0;

/// A plausible hourly value: a daily cycle around `base` and a little deterministic noise.
fn value(base: f64, h: i64, salt: i64) -> f64 {
    let cycle = (2.0 * std::f64::consts::PI * (h % 24) as f64 / 24.0).sin();
    let noise = ((h * 7 + salt * 13) % 11) as f64 - 5.0;
    (base * (1.0 + 0.3 * cycle) + noise).max(1.0).round()
}

/// The PM2.5 of T-WK at hour `h` of the three days.
fn t_wk_pm25(h: i64) -> f64 {
    if FLAT_HOURS.contains(&h) {
        FLAT_UG_M3
    } else {
        value(80.0, h, 1)
    }
}

/// Three stations near each other, four accounts and three days of hours from `first`.
fn setup(dir: &std::path::Path, first: Date) {
    let store = Store::open_data_dir(dir).unwrap();
    County::xinji().install(&store, 0).unwrap();
    let stations = [
        (
            "CITY-1",
            StationRole::Assessment,
            "xinji",
            37.90,
            115.20,
            60.0,
        ),
        (
            "T-WK",
            StationRole::Township,
            "wangkou",
            37.95,
            115.25,
            80.0,
        ),
        (
            "T-XC",
            StationRole::Township,
            "xincheng",
            37.85,
            115.15,
            70.0,
        ),
    ];
    let mut obs = Vec::new();
    for (i, (id, role, unit, lat, lon, base)) in stations.iter().enumerate() {
        store
            .upsert_station(&Station {
                id: (*id).into(),
                name: format!("{id} 站"),
                role: *role,
                admin_unit_id: Some((*unit).into()),
                lat: Some(*lat),
                lon: Some(*lon),
                pollutants: Pollutant::ALL
                    .iter()
                    .map(|p| p.hj212_code().into())
                    .collect(),
                min_interval_min: 1,
                demo: false,
            })
            .unwrap();
        for h in 0..72 {
            for p in Pollutant::ALL {
                let salt = i as i64 * 6 + p.index() as i64;
                let v = match p {
                    Pollutant::Pm25 if *id == "T-WK" => t_wk_pm25(h),
                    Pollutant::Pm25 => value(*base, h, salt),
                    Pollutant::Pm10 => value(base * 1.6, h, salt),
                    Pollutant::So2 => value(10.0, h, salt),
                    Pollutant::No2 => value(35.0, h, salt),
                    Pollutant::Co => value(10.0, h, salt) / 10.0,
                    Pollutant::O3 => value(60.0, h, salt),
                };
                obs.push(Observation {
                    station_id: (*id).into(),
                    code: p.hj212_code().into(),
                    period: Period::Hour,
                    ts: cst::day_start(first) + h * cst::HOUR_S,
                    value: v,
                    flag: "N".into(),
                });
            }
        }
    }
    store
        .commit_batch(&[Ingest {
            packet: None,
            observations: obs,
        }])
        .unwrap();
    for (u, role, unit) in [
        ("bureau1", Role::Bureau, None),
        ("wk", Role::Township, Some("wangkou")),
        ("xc", Role::Township, Some("xincheng")),
        ("ops1", Role::Operations, Some("ops-co")),
    ] {
        store
            .add_user(&User {
                username: u.into(),
                password_hash: password::hash(PASSWORD, password::Strength::Device),
                role,
                unit_id: unit.map(str::to_owned),
                must_change_password: false,
                created_ms: 0,
            })
            .unwrap();
    }
}

fn call(s: &Server, who: Option<&Login>, method: &str, path: &str, body: Value) -> (u16, Value) {
    let text = body.to_string();
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(l) = who {
        headers.push(("Cookie", l.cookie.as_str()));
        headers.push(("X-CSRF-Token", l.csrf.as_str()));
    }
    let body: &[u8] = if method == "GET" {
        b""
    } else {
        text.as_bytes()
    };
    let r = request(&s.http, method, path, &headers, body);
    (r.status, r.json())
}

/// The last full month before today's (Beijing time), so that every day of the data has
/// passed and the month may be closed.
fn last_month() -> Month {
    Month::of(Month::of(today()).first_day().add_days(-1))
}

/// Today in Beijing, by the system clock (the server's).
fn today() -> Date {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    cst::today(now_ms)
}

/// Wangkou's PM2.5 in the month's ranking as the engine should report it: the mean of the
/// daily means of the days with at least 20 valid hours, rounded half to even.
fn expected_pm25(invalid: &[i64]) -> f64 {
    let mut daily = Vec::new();
    for d in 0..3 {
        let hours: Vec<f64> = (d * 24..d * 24 + 24)
            .filter(|h| !invalid.contains(h))
            .map(t_wk_pm25)
            .collect();
        if hours.len() >= 20 {
            daily.push(hours.iter().sum::<f64>() / hours.len() as f64);
        }
    }
    let mean = daily.iter().sum::<f64>() / daily.len() as f64;
    lantian_core::decimal::round_half_even(mean, 0)
}

fn wangkou_pm25(s: &Server, month: Month) -> f64 {
    let path = format!(
        "/api/v1/rankings?year={}&month={}",
        month.year(),
        month.month()
    );
    let (status, v) = call(s, None, "GET", &path, Value::Null);
    assert_eq!(status, 200, "{v}");
    let rows = v.as_array().or_else(|| v["items"].as_array()).unwrap();
    rows.iter()
        .find(|r| r["unit"] == "wangkou")
        .unwrap_or_else(|| panic!("wangkou ranked: {v}"))["pm25"]
        .as_f64()
        .unwrap()
}

#[test]
fn a_planted_flat_line_is_found_reviewed_repaired_and_corrected_out_of_the_ranking() {
    let dir = temp_dir("alarms");
    let month = last_month();
    let first = month.first_day();
    setup(&dir, first);
    let s = Server::start(dir.to_str().unwrap(), &[]);
    let [bureau, wk, xc, ops] =
        ["bureau1", "wk", "xc", "ops1"].map(|u| login(&s.http, u, PASSWORD));
    let (from, to) = (first.to_string(), first.add_days(2).to_string());

    // Who may scan, and the public sees nothing.
    let scan = json!({ "from": from, "to": to });
    for (who, want) in [(None, 401), (Some(&wk), 403)] {
        let (status, v) = call(&s, who, "POST", "/api/v1/integrity/scan", scan.clone());
        assert_eq!(status, want, "{v}");
    }
    assert_eq!(call(&s, None, "GET", "/api/v1/alarms", Value::Null).0, 401);
    let (status, first_scan) = call(
        &s,
        Some(&ops),
        "POST",
        "/api/v1/integrity/scan",
        scan.clone(),
    );
    assert_eq!(status, 200, "{first_scan}");
    assert!(
        first_scan["alarms_new"].as_u64().unwrap() >= 1,
        "{first_scan}"
    );
    // The same scan again stores nothing new: one alarm per episode.
    let (_, again) = call(
        &s,
        Some(&bureau),
        "POST",
        "/api/v1/integrity/scan",
        scan.clone(),
    );
    assert_eq!(again["alarms_new"], 0, "{again}");
    assert_eq!(again["alarms_extended"], 0, "{again}");

    // The flat line's alarm: PM2.5 of T-WK, within the planted hours (labels are hour ends).
    let (status, list) = call(
        &s,
        Some(&wk),
        "GET",
        "/api/v1/alarms?station=T-WK&rule=flat_line",
        Value::Null,
    );
    assert_eq!(status, 200, "{list}");
    let label = |h: i64| present_label(cst::day_start(first) + h * cst::HOUR_S);
    let flat = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["pollutant"] == "PM2.5")
        .unwrap_or_else(|| panic!("a flat-line alarm of T-WK's PM2.5: {list}"))
        .clone();
    let (start, end) = (
        flat["start"].as_str().unwrap(),
        flat["end"].as_str().unwrap(),
    );
    assert!(
        start >= label(*FLAT_HOURS.start()).as_str() && end <= label(*FLAT_HOURS.end()).as_str(),
        "{start}..{end} lies within the flat hours"
    );
    assert_eq!(flat["state"], "open");
    assert!(!flat["why"].as_str().unwrap().is_empty());
    let id = flat["id"].as_i64().unwrap();
    let path = format!("/api/v1/alarms/{id}");

    // Its evidence: T-WK's series holds the flat value over the episode.
    let (status, detail) = call(&s, Some(&wk), "GET", &path, Value::Null);
    assert_eq!(status, 200, "{detail}");
    let hours = detail["evidence"]["hours"].as_array().unwrap();
    let series = detail["evidence"]["series"]["T-WK"].as_array().unwrap();
    assert_eq!(hours.len(), series.len());
    let at = hours.iter().position(|h| h == start).unwrap();
    assert_eq!(series[at].as_f64(), Some(FLAT_UG_M3), "{detail}");
    // Another township's station is never shown to wk, even as a neighbour.
    assert!(detail["evidence"]["series"].get("T-XC").is_none());
    assert_eq!(call(&s, Some(&xc), "GET", &path, Value::Null).0, 403);
    assert_eq!(call(&s, None, "GET", &path, Value::Null).0, 401);

    // Three levels, in order; each needs a reason.
    let reviews = format!("{path}/reviews");
    let r = |o: &str| json!({ "outcome": o, "reason": "曲线恒定十二小时" });
    let steps: [(&Login, Value, u16, Option<&str>); 7] = [
        (&bureau, r("confirm"), 409, None),
        (&wk, r("confirm"), 409, None),
        (
            &ops,
            json!({ "outcome": "confirm", "reason": " " }),
            400,
            None,
        ),
        (&ops, r("confirm"), 200, Some("operator")),
        (&xc, r("confirm"), 403, None),
        (&wk, r("site_visit"), 200, Some("township")),
        (&bureau, r("confirm"), 200, Some("bureau")),
    ];
    for (i, (who, body, want, level)) in steps.into_iter().enumerate() {
        let (status, v) = call(&s, Some(who), "POST", &reviews, body);
        assert_eq!(status, want, "step {i}: {v}");
        if let Some(l) = level {
            assert_eq!(v["level"], l, "step {i}");
        }
    }
    let (_, detail) = call(&s, Some(&bureau), "GET", &path, Value::Null);
    assert_eq!(detail["alarm"]["state"], "confirmed", "{detail}");
    assert_eq!(detail["reviews"].as_array().unwrap().len(), 3);
    let (status, rules) = call(
        &s,
        Some(&bureau),
        "GET",
        "/api/v1/integrity/rules",
        Value::Null,
    );
    assert_eq!(status, 200, "{rules}");
    let flat_rule = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "flat_line")
        .unwrap();
    assert_eq!(flat_rule["confirmed"], 1, "{flat_rule}");
    assert_eq!(flat_rule["false_positive"], 0, "{flat_rule}");
    assert_eq!(flat_rule["precision"].as_f64(), Some(1.0), "{flat_rule}");
    assert!(flat_rule["alarms"].as_i64().unwrap() >= 1);

    // Confirmed: the bureau hands it over to enforcement, once.
    let escalate = format!("{path}/escalate");
    let note = json!({ "note": "移送执法大队，附证据曲线" });
    assert_eq!(call(&s, Some(&ops), "POST", &escalate, note.clone()).0, 403);
    let (status, e) = call(&s, Some(&bureau), "POST", &escalate, note.clone());
    assert_eq!(status, 200, "{e}");
    assert_eq!(call(&s, Some(&bureau), "POST", &escalate, note).0, 409);
    let (_, detail) = call(&s, Some(&wk), "GET", &path, Value::Null);
    assert_eq!(detail["alarm"]["escalation"]["who"], "bureau1", "{detail}");

    // A work order from the alarm to the contractor, closed by its operations account.
    let order =
        json!({ "alarm_id": id, "assignee": "ops-co", "deadline": to, "note": "检查采样泵" });
    assert_eq!(
        call(&s, Some(&wk), "POST", "/api/v1/work-orders", order.clone()).0,
        403
    );
    let (status, w) = call(&s, Some(&ops), "POST", "/api/v1/work-orders", order);
    assert_eq!(status, 200, "{w}");
    assert_eq!(
        (w["station"].as_str(), w["state"].as_str()),
        (Some("T-WK"), Some("open"))
    );
    let close = format!("/api/v1/work-orders/{}/close", w["id"]);
    let note = json!({ "note": "更换采样泵，数据恢复" });
    assert_eq!(call(&s, Some(&xc), "POST", &close, note.clone()).0, 403);
    let (status, closed) = call(&s, Some(&ops), "POST", &close, note.clone());
    assert_eq!(status, 200, "{closed}");
    assert_eq!(closed["state"], "closed");
    assert!(closed["repair_hours"].as_f64().unwrap() >= 0.0);
    assert_eq!(call(&s, Some(&ops), "POST", &close, note).0, 409);
    let (_, detail) = call(&s, Some(&wk), "GET", &path, Value::Null);
    assert_eq!(detail["work_orders"][0]["state"], "closed", "{detail}");
    // The contractor's month: the order was opened and closed today.
    let this_month = Month::of(today());
    let (status, report) = call(
        &s,
        Some(&bureau),
        "GET",
        &format!("/api/v1/operations/report?month={this_month}"),
        Value::Null,
    );
    assert_eq!(status, 200, "{report}");
    let row = &report["items"][0];
    assert_eq!(
        (
            row["assignee"].as_str(),
            row["opened"].as_u64(),
            row["closed"].as_u64()
        ),
        (Some("ops-co"), Some(1), Some(1)),
        "{report}"
    );
    assert_eq!(row["open_now"], 0);
    // The whole 运维月报 as a PDF: this month's names the contractor of its work order, the
    // data's month the flat-line alarm; both list the stations' rates.
    for (m, wanted) in [
        (this_month, ["运维月报", "ops-co", "T-WK", "北京时间"]),
        (month, ["运维月报", "数据恒值", "T-WK", "北京时间"]),
    ] {
        let pdf = request(
            &s.http,
            "GET",
            &format!("/api/v1/operations/report?month={m}&format=pdf"),
            &[("Cookie", bureau.cookie.as_str())],
            b"",
        );
        assert_eq!(pdf.status, 200, "{}", String::from_utf8_lossy(&pdf.body));
        assert!(pdf.body.starts_with(b"%PDF-"));
        let Some(text) = pdf_text(&pdf.body) else {
            lantian_store::testing::not_run("the PDF report's text (pdftotext is missing)");
            break;
        };
        for want in wanted {
            assert!(text.contains(want), "{want} not in the PDF of {m}:\n{text}");
        }
    }
    let (_, orders) = call(&s, Some(&xc), "GET", "/api/v1/work-orders", Value::Null);
    assert_eq!(
        orders["total"], 0,
        "xc sees no order of wangkou's station: {orders}"
    );

    // Invalidating the flat hours: the audited ranking drops that day.
    let before = wangkou_pm25(&s, month);
    assert_eq!(before, expected_pm25(&[]));
    let corrections = "/api/v1/stations/T-WK/corrections";
    for h in FLAT_HOURS {
        let body = json!({
            "pollutant": "PM2.5",
            "hour": label(h),
            "action": "invalidate",
            "reason_code": "instrument_fault",
            "note": "采样泵故障",
        });
        if h == *FLAT_HOURS.start() {
            assert_eq!(
                call(&s, Some(&ops), "POST", corrections, body.clone()).0,
                403
            );
        }
        let (status, v) = call(&s, Some(&bureau), "POST", corrections, body);
        assert_eq!(status, 200, "{v}");
    }
    let flat: Vec<i64> = FLAT_HOURS.collect();
    let after = wangkou_pm25(&s, month);
    assert_eq!(after, expected_pm25(&flat));
    assert_ne!(before, after, "the correction changes the audited result");
    let (_, listed) = call(&s, Some(&wk), "GET", corrections, Value::Null);
    assert_eq!(
        listed["total"].as_u64(),
        Some(FLAT_HOURS.count() as u64),
        "{listed}"
    );
    assert_eq!(listed["items"][0]["who"], "bureau1");

    // The month closes once, and takes no more corrections.
    let close_month = format!("/api/v1/audit-months/{month}/close");
    assert_eq!(call(&s, Some(&ops), "POST", &close_month, json!({})).0, 403);
    assert_eq!(
        call(&s, Some(&bureau), "POST", &close_month, json!({})).0,
        200
    );
    assert_eq!(
        call(&s, Some(&bureau), "POST", &close_month, json!({})).0,
        409
    );
    let restore = json!({
        "pollutant": "PM2.5", "hour": label(30), "action": "restore", "reason_code": "x",
    });
    assert_eq!(call(&s, Some(&bureau), "POST", corrections, restore).0, 409);
    let (_, months) = call(&s, Some(&wk), "GET", "/api/v1/audit-months", Value::Null);
    assert_eq!(months[0]["month"], month.to_string());

    // Operations rates: every hour of the three days was sent and valid.
    let (status, rates) = call(
        &s,
        Some(&wk),
        "GET",
        &format!("/api/v1/operations/rates?month={month}"),
        Value::Null,
    );
    assert_eq!(status, 200, "{rates}");
    let mine = rates["items"].as_array().unwrap();
    assert_eq!(mine.len(), 1, "wk sees only its own station: {rates}");
    assert_eq!(rates["total"], 1, "{rates}");
    let days = mine[0]["days"].as_array().unwrap();
    assert_eq!(days[0]["online_pct"].as_f64(), Some(100.0));
    assert_eq!(days[0]["capture_pct"].as_f64(), Some(100.0));
    // Day 4 onwards has no data.
    if let Some(d) = days.get(3) {
        assert_eq!(d["online_pct"].as_f64(), Some(0.0));
    }
}

/// `YYYY-MM-DD HH:00` label (the hour's end) of the hour starting at `start`.
fn present_label(start: i64) -> String {
    cst::format_minute(start + cst::HOUR_S)
}

/// The text of a PDF by poppler's `pdftotext`, or `None` if it is not installed.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = temp_dir("alarms-pdf");
    let path = dir.join("report.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args([path.to_str().unwrap(), "-"])
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}
