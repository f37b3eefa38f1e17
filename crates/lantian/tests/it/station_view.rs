//! The station page's read (`GET /api/v1/stations/{id}/hours`, issue 17) through a real
//! `lantian serve`: forty days of made-up hours of two published stations and a township
//! station; every hour's six IAQI, AQI and primary pollutant equal the standards engine's on
//! the values written (not read back), the O3 8-h mean and the daily means equal sums by
//! hand, a day with six PM2.5 hours missing has no PM2.5 mean, 18 valid hours and its
//! coverage, the limits are GB 3095's Grade II of the data's date, the meteorology is the
//! one station's that sends it, and who may read a township station's hours is who sees
//! its data. The fixture is shared with the browser tour (`browser_station.rs`).

use super::alarms_live::add_users;
use super::serve::{Server, login, request};
use super::*;
use lantian_app::County;
use lantian_core::aqi::{self, AqiOptions, RealtimeInputs};
use lantian_core::cst;
use lantian_core::org::Role;
use lantian_core::pollutant::Pollutant;
use lantian_core::rules::RuleChoice;
use lantian_core::series::StationRole;
use lantian_core::{Date, decimal::round_half_even};
use lantian_store::{Ingest, Observation, Period, Station, Store};
use serde_json::Value;

pub(super) const PASSWORD: &str = "correct horse battery";
/// The last day of data and how many days lead up to it.
pub(super) const LAST_DAY: &str = "2025-11-30";
pub(super) const DAYS: i64 = 40;
/// The day on which CITY-1 misses PM2.5 from 00:00 to 06:00 (six hours).
pub(super) const GAP_DAY: &str = "2025-11-20";
pub(super) const GAP_HOURS: i64 = 6;
/// The stations: id, name, role, unit, whether it sends meteorology.
pub(super) const STATIONS: [(&str, &str, StationRole, &str, bool); 3] = [
    ("CITY-1", "市监测站", StationRole::Assessment, "xinji", true),
    (
        "CITY-2",
        "城东监测站",
        StationRole::Assessment,
        "xinji",
        false,
    ),
    ("T-WK", "王口镇站", StationRole::Township, "wangkou", false),
];

pub(super) fn date(s: &str) -> Date {
    s.parse().unwrap()
}

/// The first hour's start (CST seconds).
pub(super) fn first_hour() -> i64 {
    cst::day_start(date(LAST_DAY).add_days(1 - DAYS))
}

/// The value written for station `k`, pollutant `p` at hour `h` (from the first hour), or
/// `None` for the gap: a daily cycle, a swing over the weeks (so the calendar has several
/// levels, heavy days among them) and ozone peaking in the afternoon.
pub(super) fn value(k: usize, p: Pollutant, h: i64) -> Option<f64> {
    let day = h / 24;
    let hour = (h % 24) as f64;
    if k == 0
        && p == Pollutant::Pm25
        && first_hour() + day * cst::DAY_S == cst::day_start(date(GAP_DAY))
        && h % 24 < GAP_HOURS
    {
        return None;
    }
    let swing = 1.0 + 0.85 * ((day as f64) / 4.0 + k as f64).sin();
    let cycle = 1.0 + 0.3 * (hour / 24.0 * std::f64::consts::TAU).cos();
    let afternoon = 0.4 + 1.2 * (-((hour - 15.0) / 4.0).powi(2)).exp();
    // SO2, NO2, PM10, CO (mg/m³), O3, PM2.5: the order of `Pollutant::ALL`.
    let base = [10.0, 35.0, 110.0, 0.9, 95.0, 80.0][p.index()] * (1.0 + 0.15 * k as f64);
    let v = match p {
        Pollutant::O3 => base * afternoon,
        _ => base * swing * cycle,
    };
    let decimals = if p == Pollutant::Co { 2 } else { 1 };
    Some(round_half_even(v, decimals))
}

/// Meteorology of hour `h`: temperature °C, humidity %, pressure kPa, wind m/s and °.
pub(super) fn met(h: i64) -> [(&'static str, f64); 5] {
    let hour = (h % 24) as f64;
    [
        (
            "a01001",
            round_half_even(
                4.0 + 6.0 * ((hour - 9.0) / 24.0 * std::f64::consts::TAU).sin(),
                1,
            ),
        ),
        (
            "a01002",
            round_half_even(
                60.0 - 20.0 * ((hour - 9.0) / 24.0 * std::f64::consts::TAU).sin(),
                0,
            ),
        ),
        ("a01006", 101.3),
        // Calm (below 0.5 m/s) at 03:00.
        (
            "a01007",
            if h % 24 == 3 {
                0.2
            } else {
                round_half_even(1.0 + (h % 7) as f64 * 0.5, 1)
            },
        ),
        ("a01008", ((h * 37) % 360) as f64),
    ]
}

/// A data directory with the county, the three stations, their hours and the accounts
/// `bureau1` (bureau) and `wk` (王口镇).
pub(super) fn fixture(dir: &std::path::Path) {
    let store = Store::open_data_dir(dir).unwrap();
    County::xinji().install(&store, 0).unwrap();
    let mut obs = Vec::new();
    let n_hours = DAYS * 24;
    for (k, (id, name, role, unit, sends_met)) in STATIONS.into_iter().enumerate() {
        store
            .upsert_station(&Station {
                id: id.into(),
                name: name.into(),
                role,
                admin_unit_id: Some(unit.into()),
                lat: Some(37.93 + k as f64 * 0.03),
                lon: Some(115.21 + k as f64 * 0.04),
                pollutants: Pollutant::ALL
                    .iter()
                    .map(|p| p.hj212_code().into())
                    .collect(),
                min_interval_min: 1,
                demo: false,
            })
            .unwrap();
        for h in 0..n_hours {
            let ts = first_hour() + h * cst::HOUR_S;
            let mut push = |code: &str, value: f64| {
                obs.push(Observation {
                    station_id: id.into(),
                    code: code.into(),
                    period: Period::Hour,
                    ts,
                    value,
                    flag: "N".into(),
                })
            };
            for p in Pollutant::ALL {
                if let Some(v) = value(k, p, h) {
                    push(p.hj212_code(), v);
                }
            }
            if sends_met {
                for (code, v) in met(h) {
                    push(code, v);
                }
            }
        }
    }
    store
        .commit_batch(&[Ingest {
            packet: None,
            observations: obs,
        }])
        .unwrap();
    add_users(
        &store,
        &[
            ("bureau1", Role::Bureau, None),
            ("wk", Role::Township, Some("wangkou")),
        ],
    );
}

/// The six 1-h values written for station `k` at hour `h`.
pub(super) fn hour_values(k: usize, h: i64) -> [Option<f64>; 6] {
    Pollutant::ALL.map(|p| value(k, p, h))
}

/// The standards engine's real-time AQI of the values written.
pub(super) fn expected_hour(k: usize, h: i64) -> aqi::AqiResult {
    let ts = first_hour() + h * cst::HOUR_S;
    aqi::realtime(
        &AqiOptions::for_date(cst::date_of(ts), RuleChoice::Auto),
        &RealtimeInputs {
            hour: hour_values(k, h),
            ..RealtimeInputs::default()
        },
    )
}

fn f(v: &Value) -> Option<f64> {
    v.as_f64()
}

#[test]
fn station_hours_carry_every_pollutants_iaqi_the_aqi_coverage_limits_and_meteorology() {
    let dir = temp_dir("station-view");
    fixture(&dir);
    let s = Server::start(dir.to_str().unwrap(), &[]);
    let gap = date(GAP_DAY);
    // The default span: the last 7 days up to the station's latest hour.
    let r = s.get("/api/v1/stations/CITY-1/hours");
    assert_eq!(r["to"], LAST_DAY);
    assert_eq!(r["from"], date(LAST_DAY).add_days(-6).to_string());
    assert_eq!(r["hours"].as_array().unwrap().len(), 7 * 24);
    assert_eq!(r["days"].as_array().unwrap().len(), 7);

    // Three days around the gap: every hour against the engine on the values written.
    let from = gap.add_days(-1);
    let r = s.get(&format!(
        "/api/v1/stations/CITY-1/hours?from={from}&to={}",
        gap.add_days(1)
    ));
    let hours = r["hours"].as_array().unwrap();
    assert_eq!(hours.len(), 72);
    let h0 = (cst::day_start(from) - first_hour()) / cst::HOUR_S;
    let mut primaries = std::collections::BTreeSet::new();
    for (i, row) in hours.iter().enumerate() {
        let h = h0 + i as i64;
        let e = expected_hour(0, h);
        let ts = first_hour() + h * cst::HOUR_S;
        assert_eq!(row["ts"], ts);
        assert_eq!(
            row["time"],
            cst::format_minute(ts + cst::HOUR_S),
            "labelled by its end"
        );
        assert_eq!(
            row["aqi"].as_u64(),
            e.aqi.map(u64::from),
            "{}",
            row["start"]
        );
        let mut max = 0;
        for p in Pollutant::ALL {
            let iaqi = row["iaqi"][p.key()].as_u64();
            assert_eq!(
                iaqi,
                e.pollutant_iaqi(p).map(u64::from),
                "{} {p}",
                row["start"]
            );
            max = max.max(iaqi.unwrap_or(0));
            assert_eq!(
                f(&row["values"][p.key()]),
                value(0, p, h),
                "{} {p}",
                row["start"]
            );
        }
        assert_eq!(
            row["aqi"].as_u64(),
            Some(max),
            "the AQI is the largest IAQI"
        );
        let primary: Vec<&str> = e.primary.iter().map(Pollutant::name).collect();
        assert_eq!(row["primary"], serde_json::json!(primary));
        primaries.extend(primary);
        // The O3 8-h moving mean: the hour and the seven before, all written.
        let o3: f64 = (h - 7..=h)
            .map(|x| value(0, Pollutant::O3, x).unwrap())
            .sum::<f64>()
            / 8.0;
        assert_eq!(f(&row["o3_8h"]), Some(round_half_even(o3, 1)));
        let in_gap =
            cst::date_of(ts) == gap && (ts - cst::day_start(gap)) / cst::HOUR_S < GAP_HOURS;
        let coverage = if in_gap { 5.0 / 6.0 } else { 1.0 };
        assert!(
            (f(&row["coverage"]).unwrap() - coverage).abs() < 1e-4,
            "{row}"
        );
        if in_gap {
            assert!(row["values"]["pm25"].is_null() && row["iaqi"]["pm25"].is_null());
        }
    }
    assert!(
        primaries.len() >= 2,
        "the data have several primary pollutants: {primaries:?}"
    );

    // Days: means by hand; the gap day has no PM2.5 mean (18 of 20 hours) and its coverage.
    let days = r["days"].as_array().unwrap();
    assert_eq!(days.len(), 3);
    for (i, d) in days.iter().enumerate() {
        let day = from.add_days(i as i64);
        assert_eq!(d["date"], day.to_string());
        let hd = (cst::day_start(day) - first_hour()) / cst::HOUR_S;
        let pm10: f64 = (hd..hd + 24)
            .map(|x| value(0, Pollutant::Pm10, x).unwrap())
            .sum::<f64>()
            / 24.0;
        assert_eq!(
            f(&d["values"]["pm10"]),
            Some(round_half_even(pm10, 1)),
            "{day}"
        );
        let pm25_hours = if day == gap { 24 - GAP_HOURS } else { 24 };
        assert_eq!(d["valid_hours"]["pm25"], pm25_hours, "{day}");
        assert_eq!(d["valid_hours"]["so2"], 24);
        if day == gap {
            assert!(d["values"]["pm25"].is_null(), "18 hours make no daily mean");
            let coverage = (5.0 * 24.0 + 18.0) / 144.0;
            assert!((f(&d["coverage"]).unwrap() - coverage).abs() < 1e-4, "{d}");
        } else {
            let pm25: f64 = (hd..hd + 24)
                .map(|x| value(0, Pollutant::Pm25, x).unwrap())
                .sum::<f64>()
                / 24.0;
            assert_eq!(
                f(&d["values"]["pm25"]),
                Some(round_half_even(pm25, 1)),
                "{day}"
            );
            assert_eq!(d["coverage"], 1.0);
        }
        // The daily AQI is the 日报's, as /daily-aqi serves it.
        let daily = s.get(&format!(
            "/api/v1/daily-aqi?scope=station:CITY-1&from={day}&to={day}&view=raw"
        ));
        assert_eq!(d["aqi"], daily["items"][0]["aqi"], "{day}");
    }

    // GB 3095-2012 (with its 2018 amendment) Grade II for 2025: PM has no 1-h limit.
    assert_eq!(r["limits_edition"], "GB 3095-2012/XG1-2018");
    let limits: Vec<(String, Value, Value)> = r["pollutants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["key"].as_str().unwrap().to_owned(),
                p["limit_hour"].clone(),
                p["limit_day"].clone(),
            )
        })
        .collect();
    let expected_limits = [
        ("so2", Value::from(500.0), Value::from(150.0)),
        ("no2", Value::from(200.0), Value::from(80.0)),
        ("pm10", Value::Null, Value::from(150.0)),
        ("co", Value::from(10.0), Value::from(4.0)),
        ("o3", Value::from(200.0), Value::from(160.0)),
        ("pm25", Value::Null, Value::from(75.0)),
    ];
    assert_eq!(
        limits,
        expected_limits
            .map(|(k, h, d)| (k.to_owned(), h, d))
            .to_vec()
    );
    assert_eq!(r["levels"].as_array().unwrap().len(), 6);

    // Meteorology: CITY-1's, hour by hour; CITY-2 sends none.
    let met_rows = r["meteorology"].as_array().unwrap();
    assert_eq!(met_rows.len(), 72);
    for (i, m) in met_rows.iter().enumerate() {
        let h = h0 + i as i64;
        let [t, rh, _, ws, wd] = met(h);
        assert_eq!(f(&m["temperature_c"]), Some(t.1));
        assert_eq!(f(&m["humidity_pct"]), Some(rh.1));
        assert_eq!(f(&m["wind_speed_m_s"]), Some(ws.1));
        assert_eq!(m["calm"], ws.1 < 0.5);
        assert_eq!(f(&m["wind_direction_deg"]), Some(wd.1));
    }
    let other = s.get("/api/v1/stations/CITY-2/hours?days=2");
    assert_eq!(other["meteorology"], serde_json::json!([]));
    assert_eq!(other["hours"].as_array().unwrap().len(), 48);

    // Bad spans are refused with the reason; a township station is its data's readers'.
    for (q, why) in [
        ("days=0", "1-31"),
        ("days=32", "1-31"),
        ("from=2025-10-01&to=2025-11-30", "31 days"),
        ("from=2025-11-30", "both from and to"),
        ("from=2025-11-30&to=2025-11-01", "from ≤ to"),
    ] {
        let a = request(
            &s.http,
            "GET",
            &format!("/api/v1/stations/CITY-1/hours?{q}"),
            &[],
            b"",
        );
        assert_eq!(a.status, 400, "{q}");
        assert!(a.json().to_string().contains(why), "{q}: {}", a.json());
    }
    let public = request(&s.http, "GET", "/api/v1/stations/T-WK/hours", &[], b"");
    assert_eq!(public.status, 401);
    let wk = login(&s.http, "wk", PASSWORD);
    let mine = s.get_as(
        &wk.cookie,
        "/api/v1/stations/T-WK/hours?view=audited&lang=en",
    );
    assert_eq!(mine["view"], "audited");
    assert_eq!(mine["levels"][0]["category"], "Excellent");
    assert_eq!(mine["hours"].as_array().unwrap().len(), 7 * 24);
}
