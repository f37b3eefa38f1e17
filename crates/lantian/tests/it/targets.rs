//! Targets from the command line (`lantian target …`) on a data directory with four years
//! of hourly data of a city station and one of a township station: the shipped profile's
//! targets installed, the bureau's edits kept as history, the even, seasonal and typed
//! breakdowns summing to the year's target, and the progress numbers (month, year to date,
//! still allowed, projection) reproduced by an independent computation from the data's
//! generating function.

use super::*;
use lantian_core::Date;
use lantian_core::cst;
use lantian_core::date::days_in_month;
use lantian_core::decimal::round_half_even as rhe;
use lantian_core::pollutant::Pollutant;
use lantian_core::series::StationRole;
use lantian_store::{Ingest, Observation, Period, Station, Store};
use serde_json::Value;

const CITY: &str = "130181";

/// The PM2.5 of every hour of a day: a monthly base (good: ≤ 75), light pollution on the
/// 10th (100: AQI 133), heavy pollution (160: AQI 210) on January and December 5–6.
fn pm25(d: Date) -> f64 {
    const BASE: [f64; 12] = [
        70.0, 60.0, 50.0, 40.0, 30.0, 30.0, 30.0, 30.0, 40.0, 50.0, 60.0, 70.0,
    ];
    if matches!(d.month(), 1 | 12) && matches!(d.day(), 5 | 6) {
        160.0
    } else if d.day() == 10 {
        100.0
    } else {
        BASE[d.month() as usize - 1]
    }
}

fn is_good(v: f64) -> bool {
    v <= 75.0
}

fn is_heavy(v: f64) -> bool {
    v > 150.0
}

fn days_of(year: i32, month: u32) -> Vec<Date> {
    (1..=days_in_month(year, month))
        .map(|d| Date::new(year, month, d).unwrap())
        .collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Hourly values of every pollutant on every day of `years` for `station`.
fn load(store: &Store, station: &str, unit: Option<&str>, role: StationRole, years: &[i32]) {
    store
        .upsert_station(&Station {
            id: station.into(),
            name: station.into(),
            role,
            admin_unit_id: unit.map(str::to_owned),
            lat: None,
            lon: None,
            pollutants: Pollutant::ALL
                .iter()
                .map(|p| p.hj212_code().to_owned())
                .collect(),
            min_interval_min: 1,
            demo: false,
        })
        .unwrap();
    for y in years {
        let mut obs = Vec::new();
        for m in 1..=12 {
            for d in days_of(*y, m) {
                let v = pm25(d);
                for h in 0..24 {
                    let ts = cst::day_start(d) + h * cst::HOUR_S;
                    for p in Pollutant::ALL {
                        let value = match p {
                            Pollutant::Pm25 | Pollutant::Pm10 => v,
                            Pollutant::So2 => 5.0,
                            Pollutant::No2 => 10.0,
                            Pollutant::Co => 0.3,
                            Pollutant::O3 => 30.0,
                        };
                        obs.push(Observation {
                            station_id: station.into(),
                            code: p.hj212_code().into(),
                            period: Period::Hour,
                            ts,
                            value,
                            flag: "N".into(),
                        });
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
    }
}

fn target(dir: &str, args: &[&str]) -> Vec<Value> {
    let mut a = vec!["target"];
    a.extend_from_slice(&args[..1]);
    a.extend(["--data-dir", dir, "--json"]);
    a.extend_from_slice(&args[1..]);
    json_lines(&lantian_ok(&a))
}

fn close(a: &Value, b: f64, what: &str) {
    let a = a
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: {a} is not a number"));
    assert!((a - b).abs() < 1e-6, "{what}: {a} != {b}");
}

fn find<'a>(rows: &'a [Value], unit: &str, ind: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["unit"] == unit && r["indicator"] == ind)
        .unwrap_or_else(|| panic!("no row {unit} {ind} in {rows:?}"))
}

#[test]
fn targets_history_breakdowns_and_progress_from_the_command_line() {
    let d = temp_dir("targets");
    let dir = d.to_str().unwrap();

    // The shipped profile's targets are installed at first start.
    let list = target(dir, &["list", "--year", "2025"]);
    let pm = find(&list, CITY, "pm25");
    assert_eq!(
        (pm["value"].as_f64(), pm["source"].as_str()),
        (Some(35.0), Some("profile"))
    );
    assert_eq!(find(&list, CITY, "heavy_day_ratio")["value"], Value::Null);
    assert_eq!(find(&list, "wangkou", "pm25")["value"], 35.0);
    assert_eq!(
        list.len(),
        3 * 17 + 2,
        "three indicators per unit, two 省定目标"
    );

    {
        let store = Store::open_data_dir(&d).unwrap();
        load(
            &store,
            "C-1",
            None,
            StationRole::Assessment,
            &[2022, 2023, 2024, 2025, 2026],
        );
        load(
            &store,
            "T-WK",
            Some("wangkou"),
            StationRole::Township,
            &[2025],
        );
        store
            .upsert_enterprise(&lantian_store::Enterprise {
                id: "E1".into(),
                name: "E1 企业".into(),
                ..lantian_store::Enterprise::default()
            })
            .unwrap();
    }

    // Edits are versions; the history keeps every one.
    for v in ["33", "32"] {
        let r = target(
            dir,
            &[
                "set",
                "--year",
                "2025",
                "--unit",
                CITY,
                "--indicator",
                "pm25",
                "--value",
                v,
                "--note",
                "省定",
            ],
        );
        assert_eq!(r[0]["source"], "bureau");
    }
    for (ind, v) in [("heavy_days", "6"), ("good_day_ratio", "80")] {
        target(
            dir,
            &[
                "set",
                "--year",
                "2025",
                "--unit",
                CITY,
                "--indicator",
                ind,
                "--value",
                v,
            ],
        );
    }
    let h = target(
        dir,
        &[
            "history",
            "--year",
            "2025",
            "--unit",
            CITY,
            "--indicator",
            "pm25",
        ],
    );
    let values: Vec<f64> = h.iter().map(|r| r["value"].as_f64().unwrap()).collect();
    assert_eq!(values, [35.0, 33.0, 32.0]);
    assert_eq!(h[0]["source"], "profile");
    assert_eq!(h[2]["actor"], "operator");
    let bad = lantian(&[
        "target",
        "set",
        "--data-dir",
        dir,
        "--year",
        "2025",
        "--unit",
        "nowhere",
        "--indicator",
        "pm25",
        "--value",
        "30",
    ]);
    assert!(
        !bad.status.success() && stderr(&bad).contains("nowhere"),
        "{}",
        stderr(&bad)
    );

    // Breakdowns. Days of 2025 per month.
    let d25: Vec<f64> = (1..=12)
        .map(|m| f64::from(days_in_month(2025, m)))
        .collect();
    let even = target(
        dir,
        &[
            "breakdown",
            "--year",
            "2025",
            "--unit",
            CITY,
            "--indicator",
            "heavy_days",
            "--method",
            "even",
        ],
    );
    let months: Vec<f64> = even[0]["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    close(&even[0]["annual"], 6.0, "even heavy days sum to 6");
    close(
        &Value::from(months[0]),
        6.0 * 31.0 / 365.0,
        "January's even share",
    );

    // Seasonal PM2.5: the profile is each month's mean over 2022–2024, computed here.
    let profile: Vec<f64> = (1..=12)
        .map(|m| {
            mean(
                &[2022, 2023, 2024]
                    .map(|y| mean(&days_of(y, m).iter().map(|d| pm25(*d)).collect::<Vec<_>>())),
            )
        })
        .collect();
    let p_year = profile.iter().zip(&d25).map(|(p, d)| p * d).sum::<f64>() / 365.0;
    let seasonal = target(
        dir,
        &[
            "breakdown",
            "--year",
            "2025",
            "--unit",
            CITY,
            "--indicator",
            "pm25",
            "--method",
            "seasonal",
        ],
    );
    let s_months: Vec<f64> = seasonal[0]["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    for m in 0..12 {
        close(
            &Value::from(s_months[m]),
            32.0 * profile[m] / p_year,
            &format!("seasonal month {}", m + 1),
        );
    }
    close(
        &seasonal[0]["annual"],
        32.0,
        "the seasonal months' day-weighted mean is the target",
    );

    let typed = target(
        dir,
        &[
            "breakdown",
            "--year",
            "2025",
            "--unit",
            CITY,
            "--indicator",
            "good_day_ratio",
            "--method",
            "typed",
            "--values",
            "70,70,80,80,90,90,90,90,80,80,70,70",
        ],
    );
    let want = [
        70.0, 70.0, 80.0, 80.0, 90.0, 90.0, 90.0, 90.0, 80.0, 80.0, 70.0, 70.0,
    ];
    let typed_year = want.iter().zip(&d25).map(|(v, d)| v * d).sum::<f64>() / 365.0;
    close(
        &typed[0]["annual"],
        typed_year,
        "typed good-day ratio's year",
    );
    let bad = lantian(&[
        "target",
        "breakdown",
        "--data-dir",
        dir,
        "--year",
        "2025",
        "--unit",
        CITY,
        "--indicator",
        "pm25",
        "--method",
        "typed",
        "--values",
        "1,2,3",
    ]);
    assert!(
        !bad.status.success() && stderr(&bad).contains("12 values"),
        "{}",
        stderr(&bad)
    );

    // Progress for June 2025, computed independently from pm25().
    let p = target(dir, &["progress", "--month", "2025-06"]);
    let ytd_days: Vec<Date> = (1..=6).flat_map(|m| days_of(2025, m)).collect();
    let ytd: Vec<f64> = ytd_days.iter().map(|d| pm25(*d)).collect();
    let june: Vec<f64> = days_of(2025, 6).iter().map(|d| pm25(*d)).collect();
    let n_ytd = ytd.len() as f64; // 181
    let remaining = 365.0 - n_ytd;

    let pm = find(&p, CITY, "pm25");
    close(
        &pm["actual_month"],
        rhe(mean(&june), 0),
        "June's PM2.5, an integer",
    );
    close(&pm["actual_ytd"], rhe(mean(&ytd), 0), "PM2.5 January–June");
    close(&pm["target_month"], s_months[5], "June's seasonal target");
    let target_ytd = s_months[..6]
        .iter()
        .zip(&d25)
        .map(|(v, d)| v * d)
        .sum::<f64>()
        / n_ytd;
    close(&pm["target_ytd"], target_ytd, "the year-to-date target");
    close(
        &pm["still_allowed"],
        (32.0 * 365.0 - ytd.iter().sum::<f64>()) / remaining,
        "PM2.5 still allowed",
    );
    let rest: f64 = (6..12).map(|m| profile[m] * d25[m]).sum();
    close(
        &pm["projection_year_end"],
        (ytd.iter().sum::<f64>() + rest) / 365.0,
        "projected year-end PM2.5",
    );
    assert_eq!(pm["met_month"], Value::Bool(mean(&june) <= s_months[5]));
    assert_eq!(
        (pm["days_month"].as_u64(), pm["valid_days_month"].as_u64()),
        (Some(30), Some(30))
    );
    assert_eq!(pm["breakdown"], "seasonal");
    assert_eq!(pm["rule_set"], "HJ633-2012/GB3095-2012XG1/HJ663-2013");

    let heavy = find(&p, CITY, "heavy_days");
    let heavy_ytd = ytd.iter().filter(|v| is_heavy(**v)).count() as f64;
    close(&heavy["actual_ytd"], heavy_ytd, "heavy days so far");
    close(
        &heavy["still_allowed"],
        6.0 - heavy_ytd,
        "heavy days still allowed",
    );
    close(
        &heavy["target_ytd"],
        6.0 * n_ytd / 365.0,
        "the even heavy-day target to date",
    );

    let good = find(&p, CITY, "good_day_ratio");
    let good_ytd = ytd.iter().filter(|v| is_good(**v)).count() as f64;
    close(
        &good["actual_ytd"],
        rhe(100.0 * good_ytd / n_ytd, 1),
        "good-day ratio so far, one decimal",
    );
    close(&good["target_month"], 90.0, "June's typed good-day ratio");
    // ⌈0.8 · 365⌉ = 292 good days; bad days allowed = 365 − 292 − bad so far.
    close(
        &good["still_allowed"],
        365.0 - 292.0 - (n_ytd - good_ytd),
        "bad days still allowed",
    );

    // The township: its station's data, the profile's target (35, even).
    let wk = find(&p, "wangkou", "pm25");
    close(&wk["actual_ytd"], rhe(mean(&ytd), 0), "王口镇's PM2.5");
    close(&wk["target_ytd"], 35.0, "王口镇's even target");
    assert_eq!(wk["breakdown"], "even");

    // Who reads and who sets: a township its own unit and the city, without editing; an
    // enterprise the city's without verdicts.
    for (user, role, unit) in [("wk", "township", "wangkou"), ("e1", "enterprise", "E1")] {
        lantian_ok(&[
            "user",
            "add",
            "--data-dir",
            dir,
            "--username",
            user,
            "--role",
            role,
            "--unit",
            unit,
            "--password",
            "correct horse battery",
        ]);
    }
    let wk = target(dir, &["progress", "--month", "2025-06", "--as", "wk"]);
    let mut units: Vec<&str> = wk.iter().map(|r| r["unit"].as_str().unwrap()).collect();
    units.dedup();
    assert_eq!(units, [CITY, "wangkou"]);
    assert!(find(&wk, CITY, "pm25")["still_allowed"].is_number());
    let e1 = target(dir, &["progress", "--month", "2025-06", "--as", "e1"]);
    assert!(
        e1.iter().all(|r| r["unit"] == CITY),
        "an enterprise reads the city's"
    );
    let pm = find(&e1, CITY, "pm25");
    assert!(
        pm["actual_ytd"].is_number() && pm["still_allowed"].is_null() && pm["met_ytd"].is_null()
    );
    let refused = lantian(&[
        "target",
        "set",
        "--data-dir",
        dir,
        "--as",
        "wk",
        "--year",
        "2025",
        "--unit",
        "wangkou",
        "--indicator",
        "pm25",
        "--value",
        "50",
    ]);
    assert!(
        !refused.status.success() && stderr(&refused).contains("only the bureau"),
        "{}",
        stderr(&refused)
    );

    // The ledger's plan targets (§1(二)) carry actuals computed from the same data: after
    // the plan's end (2025), those of its last year, January–December 2025.
    let plan: Vec<Value> = serde_json::from_str(&stdout(&lantian_ok(&[
        "ledger",
        "plan-targets",
        "--data-dir",
        dir,
    ])))
    .unwrap();
    let year: Vec<f64> = (1..=12).flat_map(|m| days_of(2025, m)).map(pm25).collect();
    let by_key = |k: &str| {
        plan.iter()
            .find(|t| t["key"] == k)
            .unwrap_or_else(|| panic!("no plan target {k} in {plan:?}"))
    };
    let pm = by_key("pm25");
    assert_eq!(pm["actual_source"], "computed", "{pm}");
    assert_eq!(pm["month"], "2025-12", "{pm}");
    close(
        &pm["actual"],
        mean(&year).round(),
        "2025's PM2.5, reported as an integer",
    );
    let heavy = year.iter().filter(|v| is_heavy(**v)).count() as f64;
    let ratio = by_key("heavy_day_ratio");
    close(
        &ratio["actual"],
        (1000.0 * heavy / year.len() as f64).round() / 10.0,
        "2025's heavy-day ratio, per cent with one decimal",
    );

    // The other rule set on request; a month to come is refused.
    let p26 = target(dir, &["progress", "--month", "2025-06", "--rules", "2026"]);
    assert_eq!(
        find(&p26, CITY, "pm25")["rule_set"],
        "HJ633-2026/GB3095-2026T/HJ663-2026"
    );
    // 2026 crosses the rule change (2026-03-01): its answer also gives the year to date
    // under the other rule set.
    let p26 = target(dir, &["progress", "--month", "2026-04"]);
    let pm = find(&p26, CITY, "pm25");
    assert_eq!(pm["rule_change_in_year"], true);
    assert_eq!(pm["rule_set"], "HJ633-2026/GB3095-2026T/HJ663-2026");
    let other = &pm["other_rules"];
    assert_eq!(
        other["rule_set"], "HJ633-2012/GB3095-2012XG1/HJ663-2013",
        "{pm}"
    );
    let jan_apr: Vec<f64> = (1..=4).flat_map(|m| days_of(2026, m)).map(pm25).collect();
    close(
        &pm["actual_ytd"],
        rhe(mean(&jan_apr), 0),
        "2026's PM2.5 to April",
    );
    close(
        &other["actual_ytd"],
        rhe(mean(&jan_apr), 0),
        "the same mean under the 2012 rules",
    );
    assert_eq!(other["valid_days_ytd"], jan_apr.len());
    let p25 = target(dir, &["progress", "--month", "2025-04"]);
    assert_eq!(
        find(&p25, CITY, "pm25")["other_rules"],
        Value::Null,
        "2025 has one rule set"
    );
    let future = lantian(&[
        "target",
        "progress",
        "--data-dir",
        dir,
        "--month",
        "2099-01",
    ]);
    assert!(
        !future.status.success() && stderr(&future).contains("has not begun"),
        "{}",
        stderr(&future)
    );
}
