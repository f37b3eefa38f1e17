//! Pollution sources end to end: the real flue-gas (ST=31) packets decoded and interpreted,
//! and a day of minute CEMS data through the gateway with an exceedance, a plant stop, a
//! device whose normalised values are wrong and a treatment facility switched off while
//! production runs, checked against an independent computation here.

use super::plant;
use super::serve::Server;
use super::*;
use lantian_app::emissions::{self, Resolution};
use lantian_app::sources::{self, FlowUnit};
use lantian_app::{App, Clock, County};
use lantian_core::{Date, cst};
use lantian_hj212::Limits;
use lantian_store::{Enterprise, Ingest, Limit, Outlet, OutletKind, Store};
use serde_json::Value;
use std::sync::Arc;

/// The console operator, who administers.
fn operator() -> lantian_app::Caller {
    lantian_app::Caller::Account(lantian_app::Account {
        username: "operator".into(),
        role: lantian_core::org::Role::Admin,
        unit_id: None,
        unit_kind: None,
        source: "cli:test".into(),
    })
}

fn app(dir: &std::path::Path) -> App {
    let store = Arc::new(Store::open_data_dir(dir).unwrap());
    let county = Arc::new(County::xinji());
    county.install(&store, 0).unwrap();
    App::new(
        store,
        Clock::Fixed { unix_ms: 0 },
        county,
        Some(dir.to_owned()),
    )
}

fn enterprise(app: &App, id: &str) {
    let e = Enterprise {
        id: id.into(),
        name: format!("{id} 企业"),
        admin_unit_id: Some("xinji".into()),
        industry: Some("钢铁".into()),
        ..Enterprise::default()
    };
    sources::add(app, &operator(), e).unwrap();
}

#[test]
fn the_real_flue_gas_packets_are_decoded_and_interpreted() {
    let dir = temp_dir("cems-samples");
    let app = app(&dir);
    enterprise(&app, "E1");
    let outlet = Outlet {
        id: "S8".into(),
        enterprise_id: "E1".into(),
        name: "锅炉".into(),
        kind: OutletKind::Stack,
        height_m: None,
        o2_ref_pct: Some(9.0),
        flow_stopped_m3_h: 0.0,
        limits: vec![Limit {
            code: "a21026".into(),
            limit_mg_m3: 35.0,
            source: "test".into(),
        }],
    };
    sources::add_outlet(&app, &operator(), outlet, FlowUnit::CubicMetresPerHour).unwrap();
    let text = std::fs::read_to_string(shared("hj212-samples/packets.txt")).unwrap();
    let tolerant = Limits {
        segment_bytes_max: 4096,
        accept_length_mismatch: true,
        accept_modbus_crc: true,
    };
    let mut decoded = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("ST=31;"))
    {
        let bytes = format!("{line}\r\n").into_bytes();
        match lantian_hj212::decode(&bytes, &tolerant) {
            Ok(p) => decoded.push((
                i + 1,
                p.cn.0,
                lantian_gateway::mapping::observations(&p, "S8", &Default::default()),
            )),
            Err(e) => {
                // Lines 7 and 42 carry a CRC no variant explains (packets_index.tsv: "NONE"):
                // refused, and named as such.
                assert!([7, 42].contains(&(i + 1)), "line {}: {e}", i + 1);
                assert_eq!(e.kind(), "crc");
            }
        }
    }
    assert_eq!(
        decoded.iter().map(|d| d.0).collect::<Vec<_>>(),
        [2, 3, 4, 8, 43]
    );
    // Line 8 (HJ/T 212-2005 codes, O2 20.7 %): 01/02/03 are particulate matter, SO2 and NOx,
    // S01 O2, B02 flow; the device normalised its values though the plant is stopped.
    let (_, cn, obs) = decoded.iter().find(|d| d.0 == 8).unwrap();
    assert_eq!(*cn, 2011);
    let obs = obs.clone().unwrap();
    let codes: Vec<&str> = obs.iter().map(|o| o.code.as_str()).collect();
    for c in [
        "a34013",
        "a34013-Zs",
        "a21026",
        "a21026-Zs",
        "a21002",
        "a21002-Zs",
        "a19001",
        "a00000",
        "a01011",
        "a01012",
    ] {
        assert!(codes.contains(&c), "{c} in {codes:?}");
    }
    app.store
        .commit_batch(&[Ingest {
            packet: None,
            observations: obs,
        }])
        .unwrap();
    let day = Date::new(2020, 7, 18).unwrap();
    let rows =
        emissions::outlet_rows(&app, &operator(), "S8", day, day, Resolution::Moment).unwrap();
    assert_eq!(rows.len(), 3, "{rows:?}");
    for (code, measured, device) in [
        ("a34013", 1.48, 2.47),
        ("a21026", 3.05, 5.08),
        ("a21002", 0.37, 0.61),
    ] {
        let r = rows.iter().find(|r| r.code == code).unwrap();
        assert_eq!(r.hour, "2020-07-18 12:36:00");
        assert_eq!(
            (r.measured, r.o2, r.flow),
            (Some(measured), Some(20.7), Some(7.43)),
            "{code}"
        );
        assert!(r.stopped && r.valid, "{code}: O2 20.7 % is a stopped plant");
        assert_eq!(
            r.converted, None,
            "{code}: no normalised value for a stopped plant"
        );
        assert_eq!(r.device_converted, Some(device));
        assert!(
            r.device_mismatch,
            "{code}: the device's normalised value of a stopped plant is inconsistent"
        );
        let kg = measured * 7.43 * 1e-6;
        assert!((r.emission_kg.unwrap() - kg).abs() < 1e-12, "{code}");
    }
    // The others use vendor codes or no flue-gas pollutant: decoded and kept, no CEMS rows.
    for line in [2, 3, 4, 43] {
        let (_, _, obs) = decoded.iter().find(|d| d.0 == line).unwrap();
        let obs = obs.as_ref().unwrap();
        assert!(
            obs.iter()
                .all(|o| !["a21026", "a21002", "a34013"].contains(&o.code.as_str())),
            "line {line}"
        );
    }
}

#[test]
fn a_day_of_minute_cems_data_gives_the_hours_emissions_and_findings_computed_here() {
    let dir = temp_dir("cems-day");
    let d = dir.to_str().unwrap();
    plant::register(d, "AS", "澳森特钢");
    // A day and half an hour of the scenario's packets (plant.rs).
    let day = cst::day_start(Date::new(2026, 11, 20).unwrap());
    let file = dir.join("packets.txt");
    std::fs::write(&file, plant::packets("AS", day, 1440 + 30)).unwrap();
    let server = Server::start(d, &["--no-device-setup"]);
    let out = lantian(&[
        "send",
        "--to",
        &server.hj,
        "--mn",
        "x",
        "--password",
        "x",
        "--format",
        "packets",
        "--connections",
        "3",
        "--window",
        "64",
        file.to_str().unwrap(),
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (report["sent"].as_u64(), report["acknowledged"].as_u64()),
        (Some(3 * 1470), Some(3 * 1470)),
        "{report}"
    );
    server.projected();

    let out = lantian(&[
        "emissions",
        "--data-dir",
        d,
        "--outlet",
        "AS-1",
        "--from",
        "2026-11-20",
        "--to",
        "2026-11-20",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<Value> = json_lines(&out);
    assert_eq!(rows.len(), 24 * 3, "24 hours × SO2, NOx, PM");
    // The independent computation: hourly means of the minutes made above.
    for h in 0..24i64 {
        let minutes: Vec<_> = (h * 60..h * 60 + 60).map(plant::minute).collect();
        let mean = |f: fn(&plant::Minute) -> f64| minutes.iter().map(f).sum::<f64>() / 60.0;
        let (so2, o2, flow_m3_h, zs) = (
            mean(|m| m.0),
            mean(|m| m.3),
            mean(|m| m.4) * 3600.0,
            mean(|m| m.5),
        );
        let stopped = o2 >= 19.0 || flow_m3_h <= 10_000.0;
        let converted = (!stopped).then(|| so2 * 5.0 / (21.0 - o2));
        let r = rows
            .iter()
            .find(|r| {
                r["code"] == "a21026" && r["hour"] == cst::format_minute(day + h * 3600).as_str()
            })
            .unwrap();
        let close =
            |v: &Value, want: f64| (v.as_f64().unwrap() - want).abs() < 1e-9 * want.abs().max(1.0);
        assert!(
            close(&r["measured"], so2) && close(&r["o2"], o2) && close(&r["flow"], flow_m3_h),
            "hour {h}: {r}"
        );
        assert!(
            close(&r["emission_kg"], so2 * flow_m3_h * 1e-6),
            "hour {h}: {r}"
        );
        assert_eq!(r["stopped"], stopped, "hour {h}");
        match converted {
            Some(c) => {
                assert!(close(&r["converted"], c), "hour {h}: {r} vs {c}");
                assert_eq!(r["exceeds"], c > 35.0, "hour {h}: {c}");
            }
            None => assert!(
                r["converted"].is_null() && r["exceeds"] == false,
                "hour {h}: {r}"
            ),
        }
        let mismatch = match converted {
            Some(c) => (zs - c).abs() > (0.05 * c).max(0.5),
            None => true,
        };
        assert_eq!(
            r["device_mismatch"], mismatch,
            "hour {h}: device {zs} vs {converted:?}"
        );
        assert_eq!(
            (&r["valid"], r["minutes"].as_i64()),
            (&Value::from(true), Some(60))
        );
    }
    // The next day's first hour has only 30 minutes: shown with their mean, not valid, not
    // judged, no emission.
    let out = lantian(&[
        "emissions",
        "--data-dir",
        d,
        "--outlet",
        "AS-1",
        "--from",
        "2026-11-21",
        "--to",
        "2026-11-21",
        "--json",
    ]);
    let next: Vec<Value> = json_lines(&out);
    let r = next.iter().find(|r| r["code"] == "a21026").unwrap();
    let so2 = (1440..1470).map(|m| plant::minute(m).0).sum::<f64>() / 30.0;
    assert_eq!(next.len(), 3, "{next:?}");
    assert!((r["measured"].as_f64().unwrap() - so2).abs() < 1e-9, "{r}");
    assert_eq!(
        (
            &r["valid"],
            r["minutes"].as_i64(),
            &r["converted"],
            &r["emission_kg"],
            &r["exceeds"]
        ),
        (
            &Value::from(false),
            Some(30),
            &Value::Null,
            &Value::Null,
            &Value::from(false)
        ),
        "{r}"
    );
    let count = |k: &str| {
        rows.iter()
            .filter(|r| r["code"] == "a21026" && r[k] == true)
            .count()
    };
    assert_eq!(count("exceeds"), 1, "hour 5 exceeds");
    assert_eq!(count("stopped"), 2, "hours 8 and 9 stopped");
    assert_eq!(
        count("device_mismatch"),
        4,
        "hours 12 and 13 wrong, 8 and 9 normalised though stopped"
    );

    // Equipment: the desulphuriser is off in hours 15 and 16 while sintering runs; the CEMS
    // says stopped in hours 8 and 9 while sintering runs.
    let out = lantian(&[
        "equipment",
        "status",
        "--data-dir",
        d,
        "--enterprise",
        "AS",
        "--from",
        "2026-11-20",
        "--to",
        "2026-11-20",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<Value> = json_lines(&out);
    let findings: Vec<(String, String)> = lines
        .iter()
        .filter(|l| l["kind"].is_string() && l["detail"].is_string())
        .map(|l| {
            (
                l["kind"].as_str().unwrap().to_owned(),
                l["hour"].as_str().unwrap()[11..13].to_owned(),
            )
        })
        .collect();
    assert_eq!(
        findings,
        [
            ("production_while_cems_stopped".to_owned(), "08".to_owned()),
            ("production_while_cems_stopped".to_owned(), "09".to_owned()),
            ("production_without_treatment".to_owned(), "15".to_owned()),
            ("production_without_treatment".to_owned(), "16".to_owned()),
        ]
    );
    let load = lines
        .iter()
        .find(|l| l["equipment"] == "AS-TL" && l["hour"].as_str().unwrap().ends_with("10:00"))
        .unwrap();
    assert!(
        (load["load_pct"].as_f64().unwrap() - 77.5).abs() < 1e-9,
        "620 kW of 800: {load}"
    );
    // Totals of the day: the sum of the hours.
    let out = lantian(&[
        "emissions",
        "--data-dir",
        d,
        "--outlet",
        "AS-1",
        "--from",
        "2026-11-20",
        "--to",
        "2026-11-20",
        "--totals",
        "day",
        "--json",
    ]);
    let totals: Vec<Value> = json_lines(&out);
    let so2 = totals.iter().find(|t| t["code"] == "a21026").unwrap();
    let sum: f64 = rows
        .iter()
        .filter(|r| r["code"] == "a21026")
        .map(|r| r["emission_kg"].as_f64().unwrap())
        .sum();
    assert!(
        (so2["emission_kg"].as_f64().unwrap() - sum).abs() < 1e-9,
        "{so2}"
    );
    assert_eq!(
        (
            so2["exceedance_hours"].as_u64(),
            so2["stopped_hours"].as_u64()
        ),
        (Some(1), Some(2))
    );
}
