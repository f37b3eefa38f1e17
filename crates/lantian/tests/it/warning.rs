//! The heavy-pollution scenario end to end: a Beijing winter episode (UCI Wanshouxigong,
//! 2013-11-19 … 26) shifted to end yesterday and sent through the gateway as a city station;
//! its daily AQI as the forecast proposes orange; the command issues it and the listed
//! enterprises are notified; one steelworks' electricity shows no load reduction and is
//! flagged with evidence, a foundry stops and complies; the warning is lifted after the
//! forecast stays below yellow; the episode report lists both.

use super::serve::{Login, Server, login, request};
use super::{lantian, lantian_ok, shared, temp_dir};
use lantian_core::{Date, cst};
use serde_json::{Value, json};

/// The episode's first day in the UCI file and its length in days.
const EPISODE_FIRST: (i32, u32, u32) = (2013, 11, 19);
const EPISODE_DAYS: i64 = 8;

/// The episode's hours as a source CSV for `lantian send` (时间 = the hour's start, the
/// upload's DataTime), shifted so that its first day is `first`.
fn episode_csv(first: Date) -> String {
    let text = std::fs::read_to_string(shared(
        "beijing-prsa/PRSA_Data_Wanshouxigong_20130301-20170228.csv",
    ))
    .unwrap();
    let from = Date::new(EPISODE_FIRST.0, EPISODE_FIRST.1, EPISODE_FIRST.2).unwrap();
    let mut out = String::from("时间,a34004,a34002,a21026,a21004,a21005,a05024\n");
    for line in text.lines().skip(1) {
        let c: Vec<&str> = line.split(',').map(|s| s.trim_matches('"')).collect();
        let d = Date::new(
            c[1].parse().unwrap(),
            c[2].parse().unwrap(),
            c[3].parse().unwrap(),
        )
        .unwrap();
        let offset = d.days_since_epoch() - from.days_since_epoch();
        if !(0..EPISODE_DAYS).contains(&offset) {
            continue;
        }
        // The file labels an hour by its end (docs/findings.md F5): hour h is h-1:00–h:00.
        let start =
            cst::day_start(first.add_days(offset)) + (c[4].parse::<i64>().unwrap() - 1) * 3600;
        let co = c[9]
            .parse::<f64>()
            .map(|v| format!("{:.3}", v / 1000.0))
            .unwrap_or_default();
        let cell = |s: &str| {
            if s == "NA" {
                String::new()
            } else {
                s.to_owned()
            }
        };
        out.push_str(&format!(
            "{},{},{},{},{},{co},{}\n",
            cst::format_minute(start),
            cell(c[5]),
            cell(c[6]),
            cell(c[7]),
            cell(c[8]),
            cell(c[10]),
        ));
    }
    out
}

fn post(s: &Server, who: &Login, path: &str, body: Value) -> (u16, Value) {
    let headers = [
        ("Content-Type", "application/json"),
        ("Cookie", who.cookie.as_str()),
        ("X-CSRF-Token", who.csrf.as_str()),
    ];
    let r = request(&s.http, "POST", path, &headers, body.to_string().as_bytes());
    (r.status, r.json())
}

fn get(s: &Server, who: &Login, path: &str) -> Value {
    let r = request(
        &s.http,
        "GET",
        path,
        &[("Cookie", who.cookie.as_str())],
        b"",
    );
    assert_eq!(
        r.status,
        200,
        "GET {path}: {}",
        String::from_utf8_lossy(&r.body)
    );
    r.json()
}

/// An enterprise with one production line on an electricity meter, and the meter's device.
fn enterprise(d: &str, id: &str, name: &str, grade: &str) {
    lantian_ok(&[
        "enterprise",
        "add",
        "--data-dir",
        d,
        "--id",
        id,
        "--name",
        name,
        "--unit",
        "xinji",
        "--industry",
        "钢铁",
        "--grade",
        grade,
    ]);
    let line = format!("{id}-L1");
    lantian_ok(&[
        "equipment",
        "add",
        "--data-dir",
        d,
        "--enterprise",
        id,
        "--id",
        &line,
        "--name",
        "1#生产线",
        "--kind",
        "production",
        "--power-code",
        "e01",
        "--running-kw",
        "100",
        "--rated-kw",
        "800",
    ]);
    lantian_ok(&[
        "device",
        "add",
        "--data-dir",
        d,
        "--mn",
        &format!("POWER{id:0>19}"),
        "--password",
        "123456",
        "--equipment",
        &line,
    ]);
}

/// Sends a meter's hourly power for the days `from..=until` with `faults`.
fn power(s: &Server, id: &str, from: Date, until: Date, faults: &[String]) {
    let (from, until) = (from.to_string(), until.to_string());
    let mut args = vec![
        "send",
        "--to",
        &s.hj,
        "--mn",
        &format!("POWER{id:0>19}"),
        "--password",
        "123456",
        "--generate",
        "power",
        "--code",
        "e01",
        "--rated-kw",
        "800",
        "--period",
        "hour",
        "--from",
        &from,
        "--until",
        &until,
    ]
    .into_iter()
    .map(str::to_owned)
    .collect::<Vec<String>>();
    for f in faults {
        args.extend(["--fault".to_owned(), f.clone()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    lantian_ok(&args);
}

#[test]
fn a_beijing_episode_proposes_orange_one_enterprise_is_flagged_one_complies_and_the_report_lists_both()
 {
    let dir = temp_dir("warning-scenario");
    let d = dir.to_str().unwrap();
    let today = cst::today(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    );
    let first = today.add_days(-EPISODE_DAYS);
    // The city station and its device; the enterprises; the bureau and the command.
    lantian_ok(&[
        "station",
        "add",
        "--data-dir",
        d,
        "--id",
        "BJ-DS",
        "--name",
        "万寿西宫（回放）",
        "--role",
        "assessment",
        "--unit",
        "xinji",
    ]);
    lantian_ok(&[
        "device",
        "add",
        "--data-dir",
        d,
        "--mn",
        "AIR000000000000000BJDS01",
        "--password",
        "123456",
        "--station",
        "BJ-DS",
    ]);
    enterprise(d, "GT", "违规钢铁公司", "C");
    enterprise(d, "ZZ", "守法铸造公司", "D");
    for (u, role) in [("bureau1", "bureau"), ("cmd1", "commander")] {
        lantian_ok(&[
            "user",
            "add",
            "--data-dir",
            d,
            "--username",
            u,
            "--role",
            role,
            "--password",
            "correct horse battery",
        ]);
    }
    lantian_ok(&[
        "user",
        "add",
        "--data-dir",
        d,
        "--username",
        "gt1",
        "--role",
        "enterprise",
        "--unit",
        "GT",
        "--password",
        "correct horse battery",
    ]);
    let s = Server::start(d, &[]);
    let bureau = login(&s.http, "bureau1", "correct horse battery");
    let command = login(&s.http, "cmd1", "correct horse battery");
    // Orange measures: the steelworks caps its line at 60 % of normal, the foundry stops.
    for (id, m) in [
        (
            "GT",
            json!([{"level": "orange", "kind": "cap_load", "equipment": "GT-L1", "cap_pct": 60.0, "text": "1#生产线限产40%"}]),
        ),
        (
            "ZZ",
            json!([{"level": "orange", "kind": "stop_line", "equipment": "ZZ-L1", "text": "1#生产线停产"}]),
        ),
    ] {
        let headers = [
            ("Content-Type", "application/json"),
            ("Cookie", bureau.cookie.as_str()),
            ("X-CSRF-Token", bureau.csrf.as_str()),
        ];
        let r = request(
            &s.http,
            "PUT",
            &format!("/api/v1/enterprises/{id}/measures"),
            &headers,
            m.to_string().as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.json());
        // Permitted SO2 (no CEMS here): the baseline of the reduction estimate.
        let permit = json!({"SO2": if id == "GT" { 100.0 } else { 200.0 }});
        let r = request(
            &s.http,
            "PUT",
            &format!("/api/v1/enterprises/{id}/permits"),
            &headers,
            permit.to_string().as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.json());
    }

    // The air: the episode through the gateway; its daily AQI is the forecast.
    let csv = dir.join("episode.csv");
    std::fs::write(&csv, episode_csv(first)).unwrap();
    lantian_ok(&[
        "send",
        "--to",
        &s.hj,
        "--mn",
        "AIR000000000000000BJDS01",
        "--password",
        "123456",
        "--period",
        "hour",
        csv.to_str().unwrap(),
    ]);
    s.projected();
    let observed = get(
        &s,
        &bureau,
        &format!(
            "/api/v1/daily-aqi?scope=city&from={first}&to={}",
            today.add_days(-1)
        ),
    );
    let all: Vec<(String, Option<f64>)> = observed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["date"].as_str().unwrap().to_owned(), r["aqi"].as_f64()))
        .collect();
    assert_eq!(all.len() as i64, EPISODE_DAYS, "{observed}");
    // The first day has no MDA8 yet (no hours before it) and an AQI below 100: NA under HJ
    // 633-2026. The forecast starts on the second.
    assert_eq!(all[0].1, None, "{observed}");
    let days: Vec<(String, f64)> = all[1..]
        .iter()
        .map(|(d, a)| {
            (
                d.clone(),
                a.unwrap_or_else(|| panic!("{d}: a valid day: {observed}")),
            )
        })
        .collect();
    let forecast = dir.join("forecast.csv");
    let mut text = String::from("date,aqi\n");
    for (day, aqi) in &days {
        text.push_str(&format!("{day},{aqi}\n"));
    }
    std::fs::write(&forecast, &text).unwrap();
    let p: Value = serde_json::from_slice(
        &lantian_ok(&[
            "warning",
            "propose",
            "--forecast",
            forecast.to_str().unwrap(),
            "--json",
        ])
        .stdout,
    )
    .unwrap();
    // Orange: two days above 200 (212 and 289 by PM2.5 alone); the days above 150 around
    // them are the episode.
    assert_eq!(p["level"], "orange", "{text}\n{p}");
    let above: Vec<&String> = days
        .iter()
        .filter(|(_, a)| *a > 150.0)
        .map(|(d, _)| d)
        .collect();
    assert_eq!(days.iter().filter(|(_, a)| *a > 200.0).count(), 2, "{text}");
    assert_eq!(p["start"].as_str(), above.first().map(|d| d.as_str()));
    assert_eq!(p["end"].as_str(), above.last().map(|d| d.as_str()));
    assert_eq!(p["end"], first.add_days(4).to_string());

    // Proposed by the bureau, issued by the command only.
    let daily: Vec<Value> = days
        .iter()
        .map(|(d, a)| json!({"date": d, "aqi": a}))
        .collect();
    let (st, proposed) = post(
        &s,
        &bureau,
        "/api/v1/warnings/propose",
        json!({"daily": daily, "save": true}),
    );
    assert_eq!(st, 200, "{proposed}");
    let id = proposed["warning"]["id"].as_i64().unwrap();
    let at = format!("{} 00:00", first.add_days(3));
    let (st, _) = post(
        &s,
        &bureau,
        &format!("/api/v1/warnings/{id}/issue"),
        json!({"doc_no": "辛重污染指〔2026〕1号", "at": at}),
    );
    assert_eq!(st, 403);
    let (st, issued) = post(
        &s,
        &command,
        &format!("/api/v1/warnings/{id}/issue"),
        json!({"doc_no": "辛重污染指〔2026〕1号", "at": at}),
    );
    assert_eq!(st, 200, "{issued}");
    assert_eq!(issued["state"], "in_force");

    // Notified: both enterprises, their township, the departments; the steelworks confirms.
    let w = get(&s, &bureau, &format!("/api/v1/warnings/{id}"));
    let recipients: Vec<&str> = w["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["recipient"].as_str().unwrap())
        .collect();
    assert!(
        recipients.contains(&"GT") && recipients.contains(&"ZZ"),
        "{recipients:?}"
    );
    let gt = login(&s.http, "gt1", "correct horse battery");
    let page = get(&s, &gt, "/api/v1/notices");
    assert_eq!(page["total"], 1, "{page}");
    let mine = &page["items"];
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    let seq = mine[0]["event_seq"].as_i64().unwrap();
    let (st, _) = post(
        &s,
        &gt,
        "/api/v1/notices/confirm",
        json!({"warning_id": id, "event_seq": seq}),
    );
    assert_eq!(st, 200);
    let w = get(&s, &bureau, &format!("/api/v1/warnings/{id}"));
    let gt_notice = w["notices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["recipient"] == "GT")
        .unwrap()
        .clone();
    assert!(
        gt_notice["confirmed_at"].is_string() && gt_notice["confirmed_by"] == "gt1",
        "{gt_notice}"
    );
    let zz_notice = w["notices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["recipient"] == "ZZ")
        .unwrap()
        .clone();
    assert!(zz_notice["confirmed_at"].is_null(), "{zz_notice}");

    // Electricity: a week of normal load before; during the warning the steelworks runs on,
    // the foundry's line is off for both days.
    let (w0, w1) = (first.add_days(3), first.add_days(4));
    power(&s, "GT", first.add_days(-7), w1.add_days(1), &[]);
    power(
        &s,
        "ZZ",
        first.add_days(-7),
        w1.add_days(1),
        &[
            // 00-23 runs from 00:00 to 22:59; 23 is the last hour.
            format!("off@{w0}T00-23"),
            format!("off@{w0}T23"),
            format!("off@{w1}T00-23"),
            format!("off@{w1}T23"),
        ],
    );
    s.projected();

    // Lifted: the forecast from the sixth day stays below yellow for more than 36 h.
    let later: Vec<Value> = days[4..]
        .iter()
        .map(|(d, a)| json!({"date": d, "aqi": a}))
        .collect();
    let lift_at = format!("{} 00:00", first.add_days(5));
    let early: Vec<Value> = days[2..]
        .iter()
        .map(|(d, a)| json!({"date": d, "aqi": a}))
        .collect();
    let (st, refused) = post(
        &s,
        &command,
        &format!("/api/v1/warnings/{id}/lift"),
        json!({"doc_no": "辛重污染指〔2026〕2号", "at": format!("{w0} 12:00"), "forecast": {"daily": early}}),
    );
    assert_eq!(st, 409, "{refused}");
    let (st, lifted) = post(
        &s,
        &command,
        &format!("/api/v1/warnings/{id}/lift"),
        json!({"doc_no": "辛重污染指〔2026〕2号", "at": lift_at, "forecast": {"daily": later}}),
    );
    assert_eq!(st, 200, "{lifted}");
    assert_eq!(lifted["state"], "lifted");

    // Verification: 48 hours each; the steelworks violated every one, the foundry none.
    let v = get(&s, &bureau, &format!("/api/v1/warnings/{id}/verification"));
    let of = |e: &str| {
        v["enterprises"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["enterprise_id"] == e)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (
            of("GT")["checked_hours"].as_u64(),
            of("GT")["complied_hours"].as_u64()
        ),
        (Some(48), Some(0)),
        "{v}"
    );
    assert_eq!(
        (
            of("ZZ")["checked_hours"].as_u64(),
            of("ZZ")["complied_hours"].as_u64()
        ),
        (Some(48), Some(48)),
        "{v}"
    );
    let violations = v["violations"].as_array().unwrap();
    assert_eq!(violations.len(), 1, "{v}");
    let viol = &violations[0];
    assert_eq!(
        (viol["enterprise_id"].as_str(), viol["hours"].as_u64()),
        (Some("GT"), Some(48))
    );
    assert_eq!(viol["first_hour"], format!("{w0} 00:00"));
    // Its evidence: the line's hours from a day before, its normal power, the cap, and every
    // hour of the warning above the cap.
    let ev = get(
        &s,
        &bureau,
        &format!(
            "/api/v1/warnings/{id}/evidence?enterprise=GT&measure=orange:1&first_hour={w0}%2000:00"
        ),
    );
    assert_eq!(ev["cap_pct"], 60.0);
    let normal = ev["normal_kw"].as_f64().unwrap();
    assert!((500.0..700.0).contains(&normal), "normal power {normal}");
    assert_eq!(
        ev["hours"].as_array().unwrap().len(),
        72,
        "a day before and the two days"
    );
    assert!(
        ev["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["verdict"] == "violated" && c["load_pct"].as_f64().unwrap() > 65.0)
    );
    let (st, _) = post(
        &s,
        &bureau,
        &format!("/api/v1/warnings/{id}/handover"),
        json!({"enterprise": "GT", "measure": "orange:1", "first_hour": format!("{w0} 00:00"), "note": "限产未落实"}),
    );
    assert_eq!(st, 200);
    // The enterprise sees its own evidence, not the foundry's compliance.
    let own = get(&s, &gt, &format!("/api/v1/warnings/{id}/verification"));
    assert_eq!(own["enterprises"].as_array().unwrap().len(), 1);

    // The report: forecast vs observed, both enterprises, the violation handed over.
    let r = get(&s, &bureau, &format!("/api/v1/warnings/{id}/report"));
    let names: Vec<&str> = r["verification"]["enterprises"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["违规钢铁公司", "守法铸造公司"]);
    assert!(r["verification"]["violations"][0]["handed_over"].is_object());
    let day4 = r["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["date"] == w0.to_string())
        .unwrap()
        .clone();
    assert_eq!(
        day4["forecast_aqi"].as_f64(),
        day4["observed_aqi"].as_f64(),
        "{day4}"
    );
    // SO2 (kg/day from t/a ÷ 365): orange requires 20 % of both; the list cuts 40 % of the
    // steelworks' and all of the foundry's; the loads achieved the foundry's and at most a
    // tenth of the steelworks' (it ran at ≥ 90 % of normal).
    let (gt_kg, zz_kg) = (100_000.0 / 365.0, 200_000.0 / 365.0);
    let so2 = r["reductions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["pollutant"] == "SO2")
        .unwrap()
        .clone();
    let near = |v: &Value, want: f64| (v.as_f64().unwrap() - want).abs() < 1e-6;
    assert!(near(&so2["total_kg_day"], gt_kg + zz_kg), "{so2}");
    assert!(
        near(&so2["required_kg_day"], 0.2 * (gt_kg + zz_kg)),
        "{so2}"
    );
    assert!(near(&so2["estimated_kg_day"], 0.4 * gt_kg + zz_kg), "{so2}");
    let achieved = so2["achieved_kg_day"].as_f64().unwrap();
    assert!((zz_kg..zz_kg + 0.1 * gt_kg).contains(&achieved), "{so2}");
    let kinds: Vec<&str> = r["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["proposed", "issued", "lifted"]);
    let xlsx = dir.join("report.xlsx");
    lantian_ok(&[
        "warning",
        "report",
        &id.to_string(),
        "--data-dir",
        d,
        "--as",
        "bureau1",
        "--out",
        xlsx.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&xlsx).unwrap();
    assert!(bytes.starts_with(b"PK"));
    let pdf = dir.join("report.pdf");
    let o = lantian(&[
        "warning",
        "report",
        &id.to_string(),
        "--data-dir",
        d,
        "--as",
        "bureau1",
        "--out",
        pdf.to_str().unwrap(),
    ]);
    assert!(
        o.status.success(),
        "PDF report (CI installs fonts-wqy-microhei): {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
}
