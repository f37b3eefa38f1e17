//! `lantian assess` on the UCI Beijing files and on the long CSV format.

use super::*;
use serde_json::Value;

fn assess_json(args: &[&str]) -> Value {
    let out = lantian(args);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

/// An independent, literal recomputation of the city PM2.5 annual mean: per station daily
/// means over days with ≥ 20 hours, city day = mean of the stations' valid days.
fn independent_pm25_mean(year: i32, exclude: &str) -> (f64, usize) {
    let dir = shared("beijing-prsa");
    let mut by_day: std::collections::BTreeMap<lantian_core::Date, Vec<f64>> = Default::default();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".csv") || name.contains(exclude) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // Natural days: the hour labelled 00:00 ends the day before (CNEMC's labels).
        let mut days: std::collections::BTreeMap<lantian_core::Date, Vec<f64>> = Default::default();
        for line in text.lines().skip(1) {
            let c: Vec<&str> = line.split(',').collect();
            let n = |i: usize| c[i].parse::<u32>().unwrap();
            let label = lantian_core::Date::new(n(1) as i32, n(2), n(3)).unwrap();
            let day = if n(4) == 0 { label.add_days(-1) } else { label };
            if day.year() != year || c[5] == "NA" {
                continue;
            }
            days.entry(day).or_default().push(c[5].parse().unwrap());
        }
        for (k, v) in days {
            if v.len() >= 20 {
                by_day
                    .entry(k)
                    .or_default()
                    .push(v.iter().sum::<f64>() / v.len() as f64);
            }
        }
    }
    let city: Vec<f64> = by_day
        .values()
        .map(|v| v.iter().sum::<f64>() / v.len() as f64)
        .collect();
    (city.iter().sum::<f64>() / city.len() as f64, city.len())
}

#[test]
fn beijing_2015_report_has_every_key_and_matches_an_independent_recomputation() {
    let dir = shared("beijing-prsa");
    let r = assess_json(&[
        "assess",
        "--format",
        "prsa",
        "--year",
        "2015",
        "--exclude",
        "Dingling",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(
        r["rule_set"], "HJ633-2012/GB3095-2012/HJ663-2013",
        "2015 predates the 2018 amendment"
    );
    for key in [
        "valid_days",
        "good_days",
        "heavy_or_worse_days",
        "good_day_ratio",
        "composite_index",
        "primary_pollutant_days",
    ] {
        assert!(!r[key].is_null(), "{key} missing");
    }
    for (p, k) in [
        ("pm25", "annual_mean"),
        ("pm25", "p95"),
        ("pm10", "annual_mean"),
        ("so2", "annual_mean"),
        ("no2", "annual_mean"),
        ("co", "p95"),
        ("o3", "mda8_p90"),
    ] {
        assert!(r[p][k].as_f64().is_some(), "{p}.{k} missing");
    }
    assert_eq!(r["stations"].as_array().unwrap().len(), 11);
    let (mean, days) = independent_pm25_mean(2015, "Dingling");
    let got = r["pm25"]["annual_mean"].as_f64().unwrap();
    assert!(
        (got - mean).abs() < 0.001,
        "annual mean {got} vs independent {mean}"
    );
    assert_eq!(r["pm25"]["valid_days"].as_u64().unwrap() as usize, days);
    let ratio = r["good_days"].as_f64().unwrap() / r["valid_days"].as_f64().unwrap();
    assert!((r["good_day_ratio"].as_f64().unwrap() - ratio).abs() < 0.001);
    // Beijing never met the PM2.5 limit in those years.
    assert_eq!(r["pm25"]["compliant"], false);
    assert_eq!(r["compliant"], false);
}

#[test]
fn the_2026_rules_on_the_same_year_count_fewer_good_days() {
    let dir = shared("beijing-prsa");
    let d = dir.to_str().unwrap();
    let old = assess_json(&[
        "assess",
        "--format",
        "prsa",
        "--year",
        "2016",
        "--exclude",
        "Dingling",
        d,
    ]);
    let new = assess_json(&[
        "assess",
        "--format",
        "prsa",
        "--year",
        "2016",
        "--exclude",
        "Dingling",
        "--rules",
        "2026",
        d,
    ]);
    assert_eq!(new["rule_set"], "HJ633-2026/GB3095-2026T/HJ663-2026");
    assert!(new["good_days"].as_u64() < old["good_days"].as_u64());
    assert_eq!(
        new["pm25"]["annual_mean"], old["pm25"]["annual_mean"],
        "concentrations do not depend on the rules"
    );
    assert!(
        new["composite_index"].as_f64() > old["composite_index"].as_f64(),
        "stricter limits raise the index"
    );
}

#[test]
fn excluding_an_unknown_station_is_an_error_that_lists_the_stations() {
    let dir = shared("beijing-prsa");
    let out = lantian(&[
        "assess",
        "--format",
        "prsa",
        "--year",
        "2015",
        "--exclude",
        "Atlantis",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("--exclude Atlantis") && err.contains("Dongsi"),
        "{err}"
    );
}

#[test]
fn long_format_keeps_valid_rows_and_reports_bad_ones() {
    let dir = temp_dir("long");
    let path = dir.join("obs.csv");
    let mut text = String::from("station,time,pollutant,value,flag\n");
    // Hours labelled by their end, 01:00 … 24:00: each day's own 24 hours.
    for day in 1..=31 {
        for h in 1..=24 {
            text.push_str(&format!(
                "XJ-01,2025-01-{day:02} {h:02}:00,PM2.5,{}\n",
                40 + day
            ));
            text.push_str(&format!("XJ-01,2025-01-{day:02} {h:02}:00,O3,60,N\n"));
        }
    }
    text.push_str("XJ-01,2025-01-05 07:00,PM2.5,abc,\nXJ-01,2025-01-05 07:00,PM10,-3,\nXJ-01,2025-13-05 07:00,PM10,3,\n");
    std::fs::write(&path, text).unwrap();
    let r = assess_json(&[
        "assess",
        "--format",
        "long",
        "--year",
        "2025",
        "--target-pm25",
        "35",
        path.to_str().unwrap(),
    ]);
    assert_eq!(r["skipped_rows"], 3);
    assert_eq!(r["pm25"]["valid_days"], 31);
    assert_eq!(r["pm25"]["annual_mean"], 56.0);
    let examples = r["skipped_examples"].as_array().unwrap();
    assert!(
        examples[0]
            .as_str()
            .unwrap()
            .ends_with("obs.csv:1490: field value: not a number"),
        "{examples:?}"
    );
    // 31 days at 56 against 35 over 365 days: (35·365 − 56·31) / 334.
    let allowed = r["target_pm25"]["exact"]["mean_max"].as_f64().unwrap();
    assert!(
        (allowed - (35.0 * 365.0 - 56.0 * 31.0) / 334.0).abs() < 1e-9,
        "{allowed}"
    );

    let empty = dir.join("empty.csv");
    std::fs::write(
        &empty,
        "station,time,pollutant,value\nA,2025-01-01 01:00,PM2.5,x\n",
    )
    .unwrap();
    let out = lantian(&[
        "assess",
        "--format",
        "long",
        "--year",
        "2025",
        empty.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no valid hourly values"),
        "{}",
        stderr(&out)
    );
}
