//! Operations through a real `lantian serve`: a station that stopped sending gets exactly
//! one outage work order, assigned to its contractor (set by `lantian station add
//! --contractor`); a second scan adds none; once it is closed the next scan opens a new
//! one; a station with recent data gets none; a work order opened without an assignee goes
//! to the station's contractor. Device rates: the hours two devices of one station sent
//! through the gateway, counted by the test, against `GET /operations/devices`.

use super::serve::{Login, Server, login, request};
use super::*;
use lantian_app::County;
use lantian_core::org::Role;
use lantian_core::pollutant::Pollutant;
use lantian_core::{Month, cst};
use lantian_hj212::encode::data_upload;
use lantian_hj212::{Check, Command, Limits, check, decode};
use lantian_store::{Ingest, Observation, Period, Store, User, password};
use serde_json::{Value, json};
use std::io::{Read, Write};

const PASSWORD: &str = "correct horse battery";
/// Hours since the silent station's last value (the default threshold is 6).
const SILENT_HOURS: i64 = 10;
const CONTRACTOR: &str = "ops-co";

fn now_cst() -> i64 {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    cst::from_unix_ms(now_ms)
}

fn call(s: &Server, who: &Login, method: &str, path: &str, body: Value) -> (u16, Value) {
    let text = body.to_string();
    let headers = vec![
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

fn add_station(d: &str, id: &str, contractor: Option<&str>) {
    let mut args = vec![
        "station",
        "add",
        "--data-dir",
        d,
        "--id",
        id,
        "--name",
        id,
        "--unit",
        "wangkou",
    ];
    if let Some(c) = contractor {
        args.extend(["--contractor", c]);
    }
    let out = lantian(&args);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Hours of every pollutant for `id`, the last one starting `ago` hours before this hour.
fn hours(store: &Store, id: &str, ago: i64) {
    let last = cst::hour_start(now_cst()) - ago * cst::HOUR_S;
    let obs = (0..24)
        .flat_map(|h| {
            Pollutant::ALL.iter().map(move |p| Observation {
                station_id: id.into(),
                code: p.hj212_code().into(),
                period: Period::Hour,
                ts: last - h * cst::HOUR_S,
                value: 40.0,
                flag: "N".into(),
            })
        })
        .collect();
    store
        .commit_batch(&[Ingest {
            packet: None,
            observations: obs,
        }])
        .unwrap();
}

fn outage_orders(s: &Server, who: &Login, station: &str) -> Vec<Value> {
    let (status, v) = call(
        s,
        who,
        "GET",
        &format!("/api/v1/work-orders?station={station}"),
        Value::Null,
    );
    assert_eq!(status, 200, "{v}");
    let rows = v
        .as_array()
        .or_else(|| v["items"].as_array())
        .unwrap()
        .clone();
    rows.into_iter()
        .filter(|w| w["kind"] == "outage")
        .inspect(|w| {
            assert!(
                w["note"].as_str().unwrap_or("").contains("站点断线"),
                "an outage order says so: {w}"
            );
        })
        .collect()
}

fn scan(s: &Server, who: &Login) {
    let today = cst::date_of(now_cst());
    let body = json!({ "from": today.add_days(-1).to_string(), "to": today.to_string() });
    let (status, v) = call(s, who, "POST", "/api/v1/integrity/scan", body);
    assert_eq!(status, 200, "{v}");
}

#[test]
fn a_silent_station_gets_one_outage_order_to_its_contractor() {
    let dir = temp_dir("operations");
    let d = dir.to_str().unwrap();
    {
        let store = Store::open_data_dir(&dir).unwrap();
        County::xinji().install(&store, 0).unwrap();
        store
            .add_user(&User {
                username: "bureau1".into(),
                password_hash: password::hash(PASSWORD, password::Strength::Device),
                role: Role::Bureau,
                unit_id: None,
                must_change_password: false,
                created_ms: 0,
            })
            .unwrap();
    }
    add_station(d, "T-OFF", Some(CONTRACTOR));
    add_station(d, "T-ON", Some(CONTRACTOR));
    add_station(d, "T-NONE", None);
    add_station(d, "T-OLD", Some(CONTRACTOR));
    {
        let store = Store::open_data_dir(&dir).unwrap();
        hours(&store, "T-OFF", SILENT_HOURS);
        hours(&store, "T-ON", 1);
        hours(&store, "T-NONE", SILENT_HOURS + 2);
        // Silent since before the scanned days (its order was due then): none now.
        hours(&store, "T-OLD", 24 * 5);
    }
    let s = Server::start(d, &[]);
    let bureau = login(&s.http, "bureau1", PASSWORD);

    // The round trip of --contractor: the devices' page lists each station's contractor.
    let (status, v) = call(
        &s,
        &bureau,
        "GET",
        "/api/v1/operations/devices",
        Value::Null,
    );
    assert_eq!(status, 200, "{v}");
    let contractor_of = |id: &str| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["station"] == id)
            .unwrap()["contractor"]
            .clone()
    };
    assert_eq!(contractor_of("T-OFF"), json!(CONTRACTOR));
    assert_eq!(contractor_of("T-NONE"), Value::Null);
    let (status, v) = call(&s, &bureau, "GET", "/api/v1/stations/T-OFF", Value::Null);
    assert_eq!((status, &v["contractor"]), (200, &json!(CONTRACTOR)), "{v}");
    // Through the API: set, then kept when absent.
    let body = json!({ "id": "T-NONE", "name": "T-NONE", "role": "township", "unit": "wangkou",
        "contractor": "ops-two" });
    let (status, v) = call(&s, &bureau, "POST", "/api/v1/stations", body);
    assert_eq!(status, 200, "{v}");
    let body = json!({ "id": "T-NONE", "name": "T-NONE", "role": "township", "unit": "wangkou" });
    assert_eq!(call(&s, &bureau, "POST", "/api/v1/stations", body).0, 200);
    let (_, v) = call(&s, &bureau, "GET", "/api/v1/stations/T-NONE", Value::Null);
    assert_eq!(v["contractor"], "ops-two", "{v}");
    let body = json!({ "id": "T-NONE", "name": "T-NONE", "role": "township", "unit": "wangkou",
        "contractor": "" });
    assert_eq!(call(&s, &bureau, "POST", "/api/v1/stations", body).0, 200);
    let (_, v) = call(&s, &bureau, "GET", "/api/v1/stations/T-NONE", Value::Null);
    assert_eq!(v.get("contractor"), None, "cleared: {v}");

    // A scan of past days (replayed history) looks for no outage.
    let past = cst::date_of(now_cst()).add_days(-9);
    let body = json!({ "from": past.to_string(), "to": past.add_days(1).to_string() });
    assert_eq!(
        call(&s, &bureau, "POST", "/api/v1/integrity/scan", body).0,
        200
    );
    assert!(outage_orders(&s, &bureau, "T-OFF").is_empty());

    scan(&s, &bureau);
    let off = outage_orders(&s, &bureau, "T-OFF");
    assert_eq!(off.len(), 1, "{off:?}");
    assert_eq!(off[0]["assignee"], CONTRACTOR);
    assert_eq!(off[0]["state"], "open");
    assert!(
        off[0]["note"].as_str().unwrap().contains("北京时间"),
        "{off:?}"
    );
    assert!(
        outage_orders(&s, &bureau, "T-ON").is_empty(),
        "recent data: no order"
    );
    assert!(outage_orders(&s, &bureau, "T-OLD").is_empty());
    let none = outage_orders(&s, &bureau, "T-NONE");
    assert_eq!(none.len(), 1, "{none:?}");
    assert_eq!(none[0]["assignee"], "未指定");

    // A second scan adds none.
    scan(&s, &bureau);
    assert_eq!(outage_orders(&s, &bureau, "T-OFF").len(), 1);

    // Closed, the next scan of a still silent station opens a new one.
    let id = off[0]["id"].as_i64().unwrap();
    let (status, v) = call(
        &s,
        &bureau,
        "POST",
        &format!("/api/v1/work-orders/{id}/close"),
        json!({ "note": "更换通讯模块" }),
    );
    assert_eq!(status, 200, "{v}");
    scan(&s, &bureau);
    let off = outage_orders(&s, &bureau, "T-OFF");
    assert_eq!(off.len(), 2, "{off:?}");
    assert_eq!(off.iter().filter(|w| w["state"] == "open").count(), 1);

    // A work order opened by hand without an assignee goes to the contractor.
    let deadline = cst::date_of(now_cst()).add_days(3).to_string();
    let (status, v) = call(
        &s,
        &bureau,
        "POST",
        "/api/v1/work-orders",
        json!({ "station": "T-ON", "deadline": deadline, "note": "巡检" }),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["assignee"], CONTRACTOR);
    assert_eq!(v["kind"], "manual", "{v}");
}

const MN_A: &str = "010000A8900016F0000OPS0A";
const MN_B: &str = "010000A8900016F0000OPS0B";

/// Sends one hourly upload of `codes` for the hour starting at `ts`; returns the reply's CN.
fn upload(hj: &str, mn: &str, qn: &str, ts: i64, codes: &[&str]) -> u16 {
    let t = lantian_gateway::mapping::timestamp(ts);
    let values: Vec<(&str, f64)> = codes.iter().map(|c| (*c, 30.0)).collect();
    let bytes = data_upload("22", Command::HOURLY_DATA, qn, "123456", mn, &t, &values);
    let mut s = std::net::TcpStream::connect(hj).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    s.write_all(&bytes).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        if let Check::Frame { len } = check(&buf, &Limits::default()) {
            return decode(&buf[..len], &Limits::default()).unwrap().cn.0;
        }
        let n = s.read(&mut chunk).expect("a reply within 10 s");
        assert!(n > 0, "closed without a reply");
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn pct(got: usize, want: usize) -> f64 {
    (got as f64 / want as f64 * 1000.0).round() / 10.0
}

#[test]
fn device_rates_count_what_each_device_sent() {
    let dir = temp_dir("operations-devices");
    let d = dir.to_str().unwrap();
    super::data_path::station(d, "T-DEV", "township", "wangkou", MN_A);
    lantian_ok(&[
        "device",
        "add",
        "--data-dir",
        d,
        "--mn",
        MN_B,
        "--password",
        "123456",
        "--station",
        "T-DEV",
    ]);
    {
        let store = Store::open_data_dir(&dir).unwrap();
        store
            .add_user(&User {
                username: "bureau1".into(),
                password_hash: password::hash(PASSWORD, password::Strength::Device),
                role: Role::Bureau,
                unit_id: None,
                must_change_password: false,
                created_ms: 0,
            })
            .unwrap();
    }
    let s = Server::start(d, &["--no-device-setup"]);
    let bureau = login(&s.http, "bureau1", PASSWORD);
    // Last month: every one of its hours is due.
    let month = Month::of(Month::of(cst::date_of(now_cst())).first_day().add_days(-1));
    let day0 = cst::day_start(month.first_day());
    let all: Vec<&str> = Pollutant::ALL.iter().map(|p| p.hj212_code()).collect();
    // (device, hour of the month, codes): A sends all six on day 1 hours 0-9 and day 2
    // hours 0-4; B three codes on day 1 hours 10-14.
    let mut sent: Vec<(&str, i64, Vec<&str>)> = Vec::new();
    for h in (0..10).chain(24..29) {
        sent.push((MN_A, h, all.clone()));
    }
    for h in 10..15 {
        sent.push((MN_B, h, all[..3].to_vec()));
    }
    for (i, (mn, h, codes)) in sent.iter().enumerate() {
        let qn = format!("20250101000{i:06}");
        assert_eq!(upload(&s.hj, mn, &qn, day0 + h * cst::HOUR_S, codes), 9014);
    }
    s.projected();

    let (status, v) = call(
        &s,
        &bureau,
        "GET",
        &format!("/api/v1/operations/devices?month={month}"),
        Value::Null,
    );
    assert_eq!(status, 200, "{v}");
    let station = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["station"] == "T-DEV")
        .unwrap_or_else(|| panic!("T-DEV listed: {v}"));
    let due = month.n_days() as usize * 24;
    for mn in [MN_A, MN_B] {
        let dev = station["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["mn"] == mn)
            .unwrap_or_else(|| panic!("{mn} listed: {station}"));
        let mine: Vec<&(&str, i64, Vec<&str>)> = sent.iter().filter(|x| x.0 == mn).collect();
        let hours = mine.len();
        let values: usize = mine.iter().map(|x| x.2.len()).sum();
        assert_eq!(dev["online_pct"].as_f64(), Some(pct(hours, due)), "{dev}");
        assert_eq!(
            dev["capture_pct"].as_f64(),
            Some(pct(values, due * 6)),
            "{dev}"
        );
        let day1: Vec<_> = mine.iter().filter(|x| x.1 < 24).collect();
        assert_eq!(dev["days"][0]["date"], month.first_day().to_string());
        assert_eq!(
            dev["days"][0]["online_pct"].as_f64(),
            Some(pct(day1.len(), 24)),
            "{dev}"
        );
        assert_eq!(
            dev["days"].as_array().unwrap().len(),
            month.n_days() as usize
        );
    }
}
