//! The integrity scan on live data through a real `lantian serve`: hours sent through the
//! gateway a week after their DataTime (a logger back-filling) raise one `backfilled` alarm
//! with the lag in its figures, hours sent promptly do not, and an hour sent before its end
//! (a fast clock) raises `clock_drift`; generated CEMS data with flat NOx and particulate
//! lines raise two CEMS flat-line alarms (one per channel) and a device normalising SO2
//! wrongly a `cems_zs_inconsistent` alarm, which the bureau sees, the enterprise sees for its
//! own outlet, and a township or another enterprise does not.

use super::serve::{Login, Server, login, request};
use super::*;
use lantian_app::County;
use lantian_core::org::Role;
use lantian_core::pollutant::Pollutant;
use lantian_core::series::StationRole;
use lantian_core::{Date, cst};
use lantian_store::{Station, Store, User, password};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

pub(super) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn call(s: &Server, who: &Login, method: &str, path: &str, body: Value) -> (u16, Value) {
    let text = body.to_string();
    let headers = [
        ("Content-Type", "application/json"),
        ("Cookie", who.cookie.as_str()),
        ("X-CSRF-Token", who.csrf.as_str()),
    ];
    let body: &[u8] = if method == "GET" {
        b""
    } else {
        text.as_bytes()
    };
    let r = request(&s.http, method, path, &headers, body);
    (r.status, r.json())
}

pub(super) fn add_users(store: &Store, users: &[(&str, Role, Option<&str>)]) {
    for (u, role, unit) in users {
        store
            .add_user(&User {
                username: (*u).into(),
                password_hash: password::hash(PASSWORD, password::Strength::Device),
                role: *role,
                unit_id: unit.map(str::to_owned),
                must_change_password: false,
                created_ms: 0,
            })
            .unwrap();
    }
}

/// A township station `id` of 王口镇 (all six pollutants) run by contractor `ops-co`, the
/// accounts `users` (password `PASSWORD`) and the station's data logger (MN `mn(id)`,
/// password `123456`), in the data directory `dir`.
pub(super) fn township_station(
    dir: &std::path::Path,
    id: &str,
    name: &str,
    users: &[(&str, Role, Option<&str>)],
) {
    {
        let store = Store::open_data_dir(dir).unwrap();
        County::xinji().install(&store, 0).unwrap();
        store
            .upsert_station(&Station {
                id: id.into(),
                name: name.into(),
                role: StationRole::Township,
                admin_unit_id: Some("wangkou".into()),
                lat: Some(37.95),
                lon: Some(115.2),
                pollutants: Pollutant::ALL
                    .iter()
                    .map(|p| p.hj212_code().into())
                    .collect(),
                min_interval_min: 1,
                demo: false,
            })
            .unwrap();
        store.set_station_contractor(id, Some("ops-co")).unwrap();
        add_users(&store, users);
    }
    lantian_ok(&[
        "device",
        "add",
        "--data-dir",
        dir.to_str().unwrap(),
        "--mn",
        &mn(id),
        "--password",
        "123456",
        "--station",
        id,
    ]);
}

/// A 24-character MN for a test device.
pub(super) fn mn(id: &str) -> String {
    format!("LIVE{id:0>20}")
}

/// `lantian send` of a source CSV of the six pollutants at the hours starting at `starts`.
pub(super) fn send_hours(s: &Server, dir: &std::path::Path, device: &str, starts: &[i64]) {
    let mut csv = String::from("时间");
    for p in Pollutant::ALL {
        csv.push(',');
        csv.push_str(p.hj212_code());
    }
    csv.push('\n');
    for (i, ts) in starts.iter().enumerate() {
        csv.push_str(&cst::format_minute(*ts));
        for p in Pollutant::ALL {
            // Varying values: no flat line or other rule in the way.
            csv.push_str(&format!(",{}", 20 + (i * 7 + p.index() * 3) % 31));
        }
        csv.push('\n');
    }
    let file = dir.join(format!("{device}.csv"));
    std::fs::write(&file, csv).unwrap();
    let out = lantian_ok(&[
        "send",
        "--to",
        &s.hj,
        "--mn",
        &mn(device),
        "--password",
        "123456",
        "--format",
        "csv",
        file.to_str().unwrap(),
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["acknowledged"].as_u64(),
        Some(starts.len() as u64),
        "{report}"
    );
}

#[test]
fn late_hours_raise_a_backfilled_alarm_with_the_lag_and_early_ones_clock_drift() {
    let dir = temp_dir("alarms-live-backfill");
    let d = dir.to_str().unwrap();
    {
        let store = Store::open_data_dir(&dir).unwrap();
        County::xinji().install(&store, 0).unwrap();
        for (id, lat) in [("T-BF", 37.95), ("T-OK", 37.85), ("T-FAST", 37.90)] {
            store
                .upsert_station(&Station {
                    id: id.into(),
                    name: format!("{id} 站"),
                    role: StationRole::Township,
                    admin_unit_id: Some("wangkou".into()),
                    lat: Some(lat),
                    lon: Some(115.2),
                    pollutants: Pollutant::ALL
                        .iter()
                        .map(|p| p.hj212_code().into())
                        .collect(),
                    min_interval_min: 1,
                    demo: false,
                })
                .unwrap();
        }
        add_users(&store, &[("bureau1", Role::Bureau, None)]);
    }
    for id in ["T-BF", "T-OK", "T-FAST"] {
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
    // The gateway refuses values dated more than 10 minutes ahead by default: the fast
    // logger's hour is accepted here whatever the minute the test runs at.
    let s = Server::start(d, &["--future-margin-minutes", "180"]);
    let bureau = login(&s.http, "bureau1", PASSWORD);

    // T-BF: a whole day of last week, sent now (back-filled); T-OK: the last two complete
    // hours, sent now (less than two hours after their ends, the threshold).
    let today = cst::today(now_ms());
    let week_ago = today.add_days(-7);
    let day: Vec<i64> = (0..24)
        .map(|h| cst::day_start(week_ago) + h * cst::HOUR_S)
        .collect();
    let sent_ms = now_ms();
    send_hours(&s, &dir, "T-BF", &day);
    let this_hour = cst::hour_start(cst::from_unix_ms(now_ms()));
    let recent = [this_hour - 2 * cst::HOUR_S, this_hour - cst::HOUR_S];
    send_hours(&s, &dir, "T-OK", &recent);
    // T-FAST: a logger whose clock is two hours fast sends the hour that ends in two hours.
    let ahead = this_hour + cst::HOUR_S;
    send_hours(&s, &dir, "T-FAST", &[ahead]);
    s.projected();

    let last_day = cst::date_of(ahead);
    let scan = json!({ "from": week_ago.to_string(), "to": last_day.to_string() });
    let (status, v) = call(&s, &bureau, "POST", "/api/v1/integrity/scan", scan);
    assert_eq!(status, 200, "{v}");

    let backfilled = |station: &str| -> Vec<Value> {
        let (status, v) = call(
            &s,
            &bureau,
            "GET",
            &format!("/api/v1/alarms?station={station}&rule=backfilled"),
            Value::Null,
        );
        assert_eq!(status, 200, "{v}");
        v["items"].as_array().unwrap().clone()
    };
    assert_eq!(backfilled("T-OK"), Vec::<Value>::new(), "prompt hours");
    assert_eq!(backfilled("T-FAST"), Vec::<Value>::new(), "early hours");
    let clock = |station: &str| -> Vec<Value> {
        let (status, v) = call(
            &s,
            &bureau,
            "GET",
            &format!("/api/v1/alarms?station={station}&rule=clock_drift"),
            Value::Null,
        );
        assert_eq!(status, 200, "{v}");
        v["items"].as_array().unwrap().clone()
    };
    for id in ["T-OK", "T-BF"] {
        assert_eq!(clock(id), Vec::<Value>::new(), "{id}: not ahead");
    }
    let fast = clock("T-FAST");
    assert_eq!(fast.len(), 1, "{fast:?}");
    assert_eq!(
        fast[0]["start"],
        cst::format_minute(ahead + cst::HOUR_S),
        "{fast:?}"
    );
    let list = backfilled("T-BF");
    assert_eq!(list.len(), 1, "{list:?}");
    let a = &list[0];
    // Labels are the hours' ends: 01:00 of the day to 24:00 (00:00 of the next).
    assert_eq!(a["start"], cst::format_minute(day[0] + cst::HOUR_S), "{a}");
    assert_eq!(a["end"], cst::format_minute(day[23] + cst::HOUR_S), "{a}");
    assert_eq!(
        a["severity"], "info",
        "replayed history is information, {a}"
    );

    let (status, detail) = call(
        &s,
        &bureau,
        "GET",
        &format!("/api/v1/alarms/{}", a["id"]),
        Value::Null,
    );
    assert_eq!(status, 200, "{detail}");
    let figure = |name: &str| -> f64 {
        detail["alarm"]["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("figure {name}: {detail}"))["value"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(figure("hours"), 24.0);
    // The worst lag is the day's first hour: from its end to the send, here.
    let expected_s = (sent_ms - cst::to_unix_ms(day[0] + cst::HOUR_S)) as f64 / 1000.0;
    let lag = figure("lag_s_max");
    assert!(
        (lag - expected_s).abs() < 120.0,
        "lag {lag} s, expected about {expected_s} s"
    );
}

#[test]
fn generated_cems_flat_lines_raise_one_alarm_per_channel_seen_by_bureau_and_enterprise() {
    let dir = temp_dir("alarms-live-cems");
    let d = dir.to_str().unwrap();
    plant::register(d, "AS", "澳森特钢");
    {
        let store = Store::open_data_dir(&dir).unwrap();
        add_users(
            &store,
            &[
                ("bureau1", Role::Bureau, None),
                ("as-env", Role::Enterprise, Some("AS")),
                ("other-env", Role::Enterprise, Some("ZZ")),
                ("wk", Role::Township, Some("wangkou")),
            ],
        );
    }
    let s = Server::start(d, &[]);
    let day: Date = cst::today(now_ms()).add_days(-3);
    let fault_at = format!("{day}T06-17");
    let out = lantian_ok(&[
        "send",
        "--to",
        &s.hj,
        "--mn",
        &plant::mn("CEMS", "AS"),
        "--password",
        "123456",
        "--generate",
        "cems",
        "--period",
        "hour",
        "--from",
        &day.to_string(),
        "--fault",
        &format!("flatline:a21002@{fault_at}"),
        "--fault",
        &format!("flatline:a34013@{fault_at}"),
        "--fault",
        &format!("zs-wrong@{day}T20-23"),
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["acknowledged"].as_u64(), Some(24), "{report}");
    s.projected();

    let [bureau, own, other, wk] =
        ["bureau1", "as-env", "other-env", "wk"].map(|u| login(&s.http, u, PASSWORD));
    let scan = json!({ "from": day.to_string(), "to": day.to_string() });
    let (status, v) = call(&s, &bureau, "POST", "/api/v1/integrity/scan", scan.clone());
    assert_eq!(status, 200, "{v}");
    let path = "/api/v1/alarms?station=AS-1&rule=cems_flat_line";
    let (status, list) = call(&s, &bureau, "GET", path, Value::Null);
    assert_eq!(status, 200, "{list}");
    let items = list["items"].as_array().unwrap();
    // 06-17 is 06:00 to 16:59: the hours starting 06:00 ..= 16:00, labelled by their ends.
    let start = cst::format_minute(cst::day_start(day) + 7 * cst::HOUR_S);
    let end = cst::format_minute(cst::day_start(day) + 17 * cst::HOUR_S);
    let flat: Vec<&Value> = items
        .iter()
        .filter(|a| a["start"] == start.as_str() && a["end"] == end.as_str())
        .collect();
    assert_eq!(flat.len(), 2, "NOx and particulate matter: {list}");
    let mut words: Vec<&str> = flat.iter().map(|a| a["why"].as_str().unwrap()).collect();
    words.sort_unstable();
    assert!(words[0].starts_with("氮氧化物"), "{words:?}");
    assert!(words[1].starts_with("颗粒物"), "{words:?}");
    // SO2 was not flat: no flat-line alarm names it.
    assert!(
        !items.iter().any(|a| a["pollutant"] == "SO2"),
        "SO2 is not flat: {list}"
    );
    // The device's normalised SO2 half the right one in 20:00-22:59: SO2's alarm.
    let (status, zs) = call(
        &s,
        &bureau,
        "GET",
        "/api/v1/alarms?station=AS-1&rule=cems_zs_inconsistent",
        Value::Null,
    );
    assert_eq!(status, 200, "{zs}");
    let zs = zs["items"].as_array().unwrap();
    assert_eq!(zs.len(), 1, "{zs:?}");
    assert_eq!(zs[0]["pollutant"], "SO2", "{zs:?}");
    assert_eq!(
        (zs[0]["start"].as_str(), zs[0]["end"].as_str()),
        (
            Some(cst::format_minute(cst::day_start(day) + 21 * cst::HOUR_S).as_str()),
            Some(cst::format_minute(cst::day_start(day) + 23 * cst::HOUR_S).as_str())
        ),
        "{zs:?}"
    );
    // A second scan stores nothing new: the two channels do not collide in the store.
    let (_, again) = call(&s, &bureau, "POST", "/api/v1/integrity/scan", scan);
    assert_eq!(again["alarms_new"], 0, "{again}");
    assert_eq!(again["alarms_extended"], 0, "{again}");

    // The enterprise sees its own outlet's, another enterprise and a township do not.
    let (status, mine) = call(&s, &own, "GET", path, Value::Null);
    assert_eq!(status, 200, "{mine}");
    assert_eq!(
        mine["items"].as_array().unwrap().len(),
        items.len(),
        "{mine}"
    );
    for who in [&other, &wk] {
        let (status, v) = call(&s, who, "GET", path, Value::Null);
        assert_eq!(status, 403, "{v}");
        let (status, v) = call(&s, who, "GET", "/api/v1/alarms", Value::Null);
        if status == 200 {
            assert!(
                !v["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a["station"] == "AS-1"),
                "{v}"
            );
        }
    }
    // The NOx alarm's evidence is the outlet's NOx, flat at the alarm's value in its hours.
    let nox = flat
        .iter()
        .find(|a| a["why"].as_str().unwrap().starts_with("氮氧化物"))
        .unwrap();
    let (status, detail) = call(
        &s,
        &bureau,
        "GET",
        &format!("/api/v1/alarms/{}", nox["id"]),
        Value::Null,
    );
    assert_eq!(status, 200, "{detail}");
    let ev = &detail["evidence"];
    assert_eq!(
        (ev["code"].as_str(), ev["unit"].as_str()),
        (Some("a21002"), Some("mg/m³"))
    );
    let hours = ev["hours"].as_array().unwrap();
    let values = ev["series"]["AS-1"].as_array().unwrap();
    let at = |label: &str| values[hours.iter().position(|h| h == label).unwrap()].as_f64();
    let held = detail["alarm"]["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "value")
        .unwrap()["value"]
        .as_f64();
    assert!(held.is_some_and(|v| v > 0.0), "{detail}");
    assert_eq!(at(&start), held);
    assert_eq!(at(&end), held);
    let id = flat[0]["id"].as_i64().unwrap();
    assert_eq!(
        call(
            &s,
            &own,
            "GET",
            &format!("/api/v1/alarms/{id}"),
            Value::Null
        )
        .0,
        200
    );
    for who in [&other, &wk] {
        let path = format!("/api/v1/alarms/{id}");
        assert_eq!(call(&s, who, "GET", &path, Value::Null).0, 403);
    }
}
