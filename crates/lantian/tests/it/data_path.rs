//! The one data path, end to end: values sent to the gateway (hourly, or minute data only)
//! reach the standards engine, and the daily values of the station series, the daily AQI and
//! `lantian query` are the same numbers for every day.

use super::serve::Server;
use super::*;
use lantian_core::aqi::{self, AqiOptions, RealtimeInputs};
use lantian_core::decimal::round_half_even;
use lantian_core::pollutant::Pollutant;
use lantian_core::rules::RuleChoice;
use lantian_core::series::{HourlySeries, daily_records};
use lantian_core::{Date, cst};
use lantian_formats::cnemc;
use serde_json::Value;

fn cnemc_file(day: u32) -> PathBuf {
    shared(&format!(
        "cnemc-sample/china_sites_201901/china_sites_201901{day:02}.csv.gz"
    ))
}

/// Registers a station and its data logger (password 123456) from the command line.
pub fn station(dir: &str, id: &str, role: &str, unit: &str, mn: &str) {
    let out = lantian(&[
        "station",
        "add",
        "--data-dir",
        dir,
        "--id",
        id,
        "--name",
        id,
        "--role",
        role,
        "--unit",
        unit,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = lantian(&[
        "device",
        "add",
        "--data-dir",
        dir,
        "--mn",
        mn,
        "--password",
        "123456",
        "--station",
        id,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Replays one CNEMC station's day to the gateway as hourly or minute uploads.
fn send(
    server: &Server,
    mn: &str,
    cnemc_station: &str,
    file: &std::path::Path,
    period: &str,
) -> u64 {
    let out = lantian(&[
        "send",
        "--to",
        &server.hj,
        "--mn",
        mn,
        "--password",
        "123456",
        "--station",
        cnemc_station,
        "--period",
        period,
        "--window",
        "64",
        file.to_str().unwrap(),
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert_eq!(
        report["acknowledged"],
        report["sent"],
        "{report} {}",
        stderr(&out)
    );
    report["acknowledged"].as_u64().unwrap()
}

fn read_cnemc(file: &std::path::Path) -> cnemc::CnemcFile {
    cnemc::read(
        std::io::BufReader::new(flate2::read::GzDecoder::new(
            std::fs::File::open(file).unwrap(),
        )),
        "f",
        &mut lantian_formats::Diagnostics::default(),
    )
    .unwrap()
}

/// `lantian query … --json`, one object per line.
fn query(dir: &str, args: &[&str]) -> Vec<Value> {
    let mut a = vec!["query", "--data-dir", dir, "--json"];
    a.extend_from_slice(args);
    let out = lantian(&a);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_station_sending_only_minute_data_gets_its_hourly_aqi_and_daily_means() {
    let dir = temp_dir("minutes-only");
    let d = dir.to_str().unwrap();
    station(d, "XJ-M", "assessment", "xinji", "MINUTES00000000000000001");
    let server = Server::start(d, &["--no-device-setup"]);
    // 1003A has every hour of 1 and 2 January 2019.
    let files = [read_cnemc(&cnemc_file(1)), read_cnemc(&cnemc_file(2))];
    let mut sent = 0;
    for day in 1..=2 {
        sent += send(
            &server,
            "MINUTES00000000000000001",
            "1003A",
            &cnemc_file(day),
            "min",
        );
    }
    server.projected();

    // What the files say, read independently: 1003A's hours, labelled by their end.
    let col = files[0].stations.iter().position(|s| s == "1003A").unwrap();
    assert_eq!(files[1].stations[col], "1003A");
    let hours: Vec<_> = files
        .iter()
        .flat_map(|f| &f.hours)
        .filter(|h| h.realtime_inputs(col).hour.iter().any(Option::is_some))
        .collect();
    assert_eq!(
        sent,
        60 * hours.len() as u64,
        "sixty minute uploads per hour"
    );
    assert_eq!(hours.len(), 48);

    // Hourly: every hour is there, from minute data, with its real-time AQI.
    let rows = server
        .get("/api/v1/query?scope=station:XJ-M&period=hour&from=2018-12-31&to=2019-01-02&view=raw")
        ["items"]
        .clone();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 72);
    for h in &hours {
        let start = cst::format_minute(h.start());
        let row = rows.iter().find(|r| r["start"] == start.as_str()).unwrap();
        let inputs = h.realtime_inputs(col).hour;
        assert_eq!(
            row["pm25"].as_f64(),
            inputs[Pollutant::Pm25.index()],
            "{start}"
        );
        let expected = aqi::realtime(
            &AqiOptions::for_date(h.date, RuleChoice::Auto),
            &RealtimeInputs {
                hour: inputs,
                ..Default::default()
            },
        );
        assert_eq!(
            row["aqi"].as_u64().map(|a| a as u16),
            expected.aqi,
            "{start}"
        );
        let present = inputs.iter().filter(|v| v.is_some()).count() as f64;
        assert!(
            (row["coverage"].as_f64().unwrap() - present / 6.0).abs() < 1e-4,
            "{start}: {row}"
        );
    }

    // Daily: the natural day 2019-01-01 is the hours labelled 01:00 … 24:00 (the last is
    // "00:00" in the file of the 2nd). The engine, run here on the files, gives the same day.
    let first = Date::new(2019, 1, 1).unwrap();
    let mut series = HourlySeries::new(first, 1);
    for h in &hours {
        for p in Pollutant::ALL {
            if let (Some(v), Some(i)) = (
                h.realtime_inputs(col).hour[p.index()],
                series.index_of_label(h.date, h.hour),
            ) {
                series.values[p.index()][i] = v;
            }
        }
    }
    let day = daily_records(&series)[0];
    let rows = query(
        d,
        &[
            "--scope",
            "station:XJ-M",
            "--period",
            "day",
            "--from",
            "2019-01-01",
            "--to",
            "2019-01-01",
        ],
    );
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r["start"], "2019-01-01");
    for p in [
        Pollutant::Pm25,
        Pollutant::Pm10,
        Pollutant::So2,
        Pollutant::No2,
    ] {
        let want = day.values[p.index()];
        assert!(want.is_finite(), "{p:?} has a valid day in the file");
        assert_eq!(r[p.key()].as_f64(), Some(round_half_even(want, 1)), "{p:?}");
    }
    let want = aqi::daily(
        &AqiOptions::for_date(first, RuleChoice::Auto),
        &day.aqi_inputs(),
    );
    assert_eq!(r["aqi"].as_u64().map(|a| a as u16), want.aqi);
    assert!(
        r["aqi"].as_u64().is_some(),
        "a daily AQI from minute data alone"
    );
}

#[test]
fn a_station_sending_only_real_time_data_gets_its_hourly_values() {
    let dir = temp_dir("realtime-only");
    let d = dir.to_str().unwrap();
    station(d, "XJ-R", "assessment", "xinji", "REALTIME0000000000000001");
    let server = Server::start(d, &["--no-device-setup"]);
    let file = cnemc_file(2);
    send(&server, "REALTIME0000000000000001", "1003A", &file, "rtd");
    server.projected();
    let f = read_cnemc(&file);
    let col = f.stations.iter().position(|s| s == "1003A").unwrap();
    let rows = server
        .get("/api/v1/query?scope=station:XJ-R&period=hour&from=2019-01-01&to=2019-01-02&view=raw")
        ["items"]
        .clone();
    let rows = rows.as_array().unwrap();
    let mut seen = 0;
    for h in &f.hours {
        let start = cst::format_minute(h.start());
        let row = rows.iter().find(|r| r["start"] == start.as_str()).unwrap();
        let pm25 = h.realtime_inputs(col).hour[Pollutant::Pm25.index()];
        assert_eq!(row["pm25"].as_f64(), pm25, "{start}");
        if pm25.is_some() {
            assert!(row["aqi"].is_number(), "{start}: {row}");
            seen += 1;
        }
    }
    assert_eq!(
        seen, 24,
        "every hour of the day, from real-time values alone"
    );
    let series = server
        .get("/api/v1/stations/XJ-R/series?code=PM2.5&from=2019-01-02&to=2019-01-02")["points"]
        .clone();
    assert!(
        series
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["source"] == "rtd" && p["n_observed"] == 60),
        "{series}"
    );
}

/// For every day of a week of data: the same numbers through the three paths.
#[test]
fn series_daily_aqi_and_query_agree_on_every_day() {
    let dir = temp_dir("agree");
    let d = dir.to_str().unwrap();
    station(d, "XJ-H", "assessment", "xinji", "HOURLY000000000000000001");
    station(d, "WK-M", "township", "wangkou", "MINUTES00000000000000002");
    let server = Server::start(d, &["--no-device-setup"]);
    for day in 1..=7 {
        send(
            &server,
            "HOURLY000000000000000001",
            "1001A",
            &cnemc_file(day),
            "hour",
        );
    }
    for day in 1..=2 {
        send(
            &server,
            "MINUTES00000000000000002",
            "1005A",
            &cnemc_file(day),
            "min",
        );
    }
    server.projected();
    // An auditor invalidates 6 hours of PM2.5 on the 3rd: the audited day has 18 valid hours
    // (no daily mean), the raw day has 24.
    {
        let store = lantian_store::Store::open_data_dir(&dir).unwrap();
        let day3 = cst::day_start(Date::new(2019, 1, 3).unwrap());
        for h in 0..6 {
            store
                .add_correction(&lantian_store::Correction {
                    station_id: "XJ-H".into(),
                    code: "a34004".into(),
                    period: lantian_store::Period::Hour,
                    ts: day3 + h * 3600,
                    action: lantian_store::CorrectionAction::Invalidate,
                    value: None,
                    reason_code: "instrument_fault".into(),
                    who: "auditor".into(),
                    at_ms: 0,
                    rule_set: "HJ633-2012/GB3095-2012XG1/HJ663-2013".into(),
                    note: String::new(),
                })
                .unwrap();
        }
    }
    let (from, to) = ("2018-12-31", "2019-01-08");
    // A township station's data need a login (docs/access.md).
    let admin = super::serve::login(
        &server.http,
        "admin",
        server.password.as_deref().expect("the admin's password"),
    );
    let mut compared = 0;
    for (scope, station) in [
        ("station:XJ-H", "XJ-H"),
        ("city", "XJ-H"),
        ("unit:wangkou", "WK-M"),
    ] {
        for view in ["raw", "audited"] {
            let cli = query(
                d,
                &[
                    "--scope", scope, "--period", "day", "--from", from, "--to", to, "--view", view,
                ],
            );
            let daily = server.get_as(
                &admin.cookie,
                &format!("/api/v1/daily-aqi?scope={scope}&from={from}&to={to}&view={view}"),
            )["items"]
                .clone();
            let series = |code: &str| {
                server.get_as(&admin.cookie, &format!("/api/v1/stations/{station}/series?code={code}&avg=day&from={from}&to={to}&view={view}"))["points"].clone()
            };
            let (pm25, pm10, o3) = (series("PM2.5"), series("PM10"), series("O3"));
            assert_eq!(cli.len(), 9);
            for (i, q) in cli.iter().enumerate() {
                let date = q["start"].as_str().unwrap();
                let a = &daily.as_array().unwrap()[i];
                assert_eq!(a["date"], date);
                let what = format!("{scope} {view} {date}");
                assert_eq!(pm25[i]["date"], date, "{what}");
                assert_eq!(
                    (&q["pm25"], &a["pm25"], &pm25[i]["value"]),
                    (&q["pm25"], &q["pm25"], &q["pm25"]),
                    "{what} PM2.5"
                );
                assert_eq!(
                    (&a["pm10"], &pm10[i]["value"]),
                    (&q["pm10"], &q["pm10"]),
                    "{what} PM10"
                );
                assert_eq!(
                    (&a["o3_8h"], &o3[i]["value"]),
                    (&q["o3_8h"], &q["o3_8h"]),
                    "{what} O3 MDA8"
                );
                assert_eq!(a["aqi"], q["aqi"], "{what} AQI");
                assert_eq!(a["coverage"], q["coverage"], "{what} coverage");
                compared += 1;
            }
            if station == "XJ-H" {
                let third = &cli.iter().find(|q| q["start"] == "2019-01-03").unwrap()["pm25"];
                assert_eq!(
                    third.is_null(),
                    view == "audited",
                    "{scope} {view}: 2019-01-03 PM2.5 {third}"
                );
            }
            // Days with data have values: the comparison is not of nulls alone.
            let valid = cli
                .iter()
                .filter(|q| q["pm25"].is_number() && q["aqi"].is_number())
                .count();
            let want = if station == "WK-M" { 1 } else { 6 };
            assert!(valid >= want, "{scope} {view}: {valid} valid days");
        }
    }
    assert_eq!(compared, 3 * 2 * 9);
}
