//! `lantian tracing` receptor methods (CPF, CBPF, roses, NWR, annulus, time variation) on a
//! Beijing station-year, each checked against a recomputation in this file that reads the
//! PRSA CSV itself (plain Rust, none of the product's functions), and their input errors.

use super::*;
use serde_json::Value;

const STATION: &str = "Dongsi";
const YEAR: i32 = 2015;
const CALM: f64 = 0.5;

/// One hour as the test reads it: start (days since 1970-01-01 and hour of day, 北京时间),
/// concentrations of PM2.5 and SO2, wind speed and direction (NaN = missing).
#[derive(Clone, Copy, Debug)]
struct Row {
    day: i64,
    hour: i64,
    month: u32,
    pm25: f64,
    so2: f64,
    ws: f64,
    wd: f64,
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn month_of(days: i64) -> u32 {
    // Inverse of days_from_civil for the month only (Hinnant's civil_from_days).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    (if mp < 10 { mp + 3 } else { mp - 9 }) as u32
}

/// The hours starting in YEAR at the station, read from the CSV: the label is the hour's end,
/// so the hour starts an hour before it.
fn read_rows() -> Vec<Row> {
    let path = shared("beijing-prsa").join(format!("PRSA_Data_{STATION}_20130301-20170228.csv"));
    let text = std::fs::read_to_string(path).unwrap();
    let points = [
        "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW",
        "NW", "NNW",
    ];
    let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        let int = |i: usize| c[i].parse::<i64>().unwrap();
        let label_h = days_from_civil(int(1), int(2), int(3)) * 24 + int(4);
        let start_h = label_h - 1;
        let (day, hour) = (start_h.div_euclid(24), start_h.rem_euclid(24));
        let first = days_from_civil(i64::from(YEAR), 1, 1);
        let next = days_from_civil(i64::from(YEAR) + 1, 1, 1);
        if day < first || day >= next {
            continue;
        }
        let wd_text = c[15].trim_matches('"');
        let wd = points
            .iter()
            .position(|p| *p == wd_text)
            .map_or(f64::NAN, |i| i as f64 * 22.5);
        out.push(Row {
            day,
            hour,
            month: month_of(day),
            pm25: num(c[5]),
            so2: num(c[7]),
            ws: num(c[16]),
            wd,
        });
    }
    assert_eq!(out.len(), 8760, "every hour of {YEAR} is a row of the file");
    out
}

/// HJ 663 Appendix A: rank k = 1 + (n − 1)·p/100 with linear interpolation.
fn hj663(sorted: &[f64], p: f64) -> f64 {
    let pos = (sorted.len() - 1) as f64 * p / 100.0;
    let s = pos.floor() as usize;
    if s + 1 >= sorted.len() {
        return sorted[sorted.len() - 1];
    }
    sorted[s] + (sorted[s + 1] - sorted[s]) * (pos - s as f64)
}

fn sector16(wd: f64) -> usize {
    (((wd + 11.25) % 360.0) / 22.5).floor() as usize
}

fn counted(rows: &[Row], conc: fn(&Row) -> f64) -> Vec<(Row, f64)> {
    rows.iter()
        .filter(|r| conc(r).is_finite() && r.wd.is_finite() && r.ws.is_finite() && r.ws >= CALM)
        .map(|r| (*r, conc(r)))
        .collect()
}

fn run_json(args: &[&str]) -> Vec<Value> {
    let dir = shared("beijing-prsa");
    let mut all = args.to_vec();
    all.extend([
        "--format",
        "prsa",
        "--station",
        STATION,
        "--year",
        "2015",
        "--json",
        dir.to_str().unwrap(),
    ]);
    json_lines(&lantian_ok(&all))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= tol * b.abs().max(1.0)
}

#[test]
fn cpf_on_dongsi_2015_equals_an_independent_count() {
    let rows = read_rows();
    for (pollutant, conc, p) in [
        ("PM2.5", (|r: &Row| r.pm25) as fn(&Row) -> f64, "75"),
        ("SO2", |r: &Row| r.so2, "90"),
    ] {
        let lines = run_json(&[
            "tracing",
            "cpf",
            "--pollutant",
            pollutant,
            "--percentile",
            p,
        ]);
        let c = counted(&rows, conc);
        let mut sorted: Vec<f64> = c.iter().map(|x| x.1).collect();
        sorted.sort_by(f64::total_cmp);
        let threshold = hj663(&sorted, p.parse().unwrap());
        assert_eq!(f(&lines[0]["threshold"]), threshold, "{pollutant}");
        assert_eq!(lines.len(), 17);
        let mut n = [0usize; 16];
        let mut above = [0usize; 16];
        for (r, v) in &c {
            n[sector16(r.wd)] += 1;
            above[sector16(r.wd)] += usize::from(*v > threshold);
        }
        for (k, line) in lines[1..].iter().enumerate() {
            assert_eq!(line["sector"], k);
            assert_eq!(
                f(&line["from_deg"]),
                (k as f64 * 22.5 - 11.25).rem_euclid(360.0)
            );
            assert_eq!(f(&line["to_deg"]), k as f64 * 22.5 + 11.25);
            assert_eq!(line["n"], n[k], "{pollutant} sector {k}");
            assert_eq!(line["n_above"], above[k], "{pollutant} sector {k}");
            let cpf = above[k] as f64 / n[k] as f64;
            assert!((f(&line["cpf"]) - cpf).abs() < 1e-12, "{pollutant} {k}");
        }
    }
}

#[test]
fn cbpf_on_dongsi_2015_equals_an_independent_count() {
    let rows = read_rows();
    let lines = run_json(&[
        "tracing",
        "cbpf",
        "--pollutant",
        "PM2.5",
        "--lower",
        "60",
        "--upper",
        "90",
    ]);
    let c = counted(&rows, |r| r.pm25);
    let mut sorted: Vec<f64> = c.iter().map(|x| x.1).collect();
    sorted.sort_by(f64::total_cmp);
    let (lo, hi) = (hj663(&sorted, 60.0), hj663(&sorted, 90.0));
    assert_eq!((f(&lines[0]["lower"]), f(&lines[0]["upper"])), (lo, hi));
    let n_bins = c
        .iter()
        .map(|(r, _)| r.ws.floor() as usize + 1)
        .max()
        .unwrap();
    assert_eq!(lines.len(), 1 + 16 * n_bins);
    let mut n = vec![0usize; 16 * n_bins];
    let mut inside = vec![0usize; 16 * n_bins];
    for (r, v) in &c {
        let i = sector16(r.wd) * n_bins + r.ws.floor() as usize;
        n[i] += 1;
        inside[i] += usize::from(*v >= lo && *v < hi);
    }
    for (i, line) in lines[1..].iter().enumerate() {
        assert_eq!(
            (line["n"].clone(), line["n_in"].clone()),
            (n[i].into(), inside[i].into())
        );
    }
}

#[test]
fn roses_on_dongsi_2015_equal_independent_counts() {
    let rows = read_rows();
    // Wind rose: every hour with wind, bins [0.5, 2), [2, 4), [4, 6), [6, ∞).
    let lines = run_json(&["tracing", "rose", "--kind", "wind", "--pollutant", "PM2.5"]);
    let edges = [0.5, 2.0, 4.0, 6.0];
    let mut counts = vec![[0usize; 4]; 16];
    let (mut calm, mut no_dir) = (0, 0);
    for r in rows.iter().filter(|r| r.ws.is_finite()) {
        if r.ws < CALM {
            calm += 1;
        } else if r.wd.is_nan() {
            no_dir += 1;
        } else {
            let b = edges.iter().rposition(|&e| r.ws >= e).unwrap();
            counts[sector16(r.wd)][b] += 1;
        }
    }
    let counted: usize = counts.iter().flatten().sum();
    assert_eq!(lines[0]["n_calm"], calm);
    assert_eq!(lines[0]["n_no_direction"], no_dir);
    assert_eq!(lines[0]["n_counted"], counted);
    for (k, line) in lines[1..].iter().enumerate() {
        assert_eq!(
            line["counts"],
            serde_json::json!(counts[k]),
            "wind sector {k}"
        );
        let pct = 100.0 * counts[k][0] as f64 / (counted + calm) as f64;
        assert!(close(f(&line["percents"][0]), pct, 1e-12));
    }

    // Pollution rose: PM2.5 by the HJ 633-2012 breakpoints, and sector means.
    let lines = run_json(&[
        "tracing",
        "rose",
        "--kind",
        "pollution",
        "--pollutant",
        "PM2.5",
    ]);
    let edges = [0.0, 35.0, 75.0, 115.0, 150.0, 250.0, 350.0];
    assert_eq!(lines[0]["edges"], serde_json::json!(edges));
    let mut counts = vec![[0usize; 7]; 16];
    let mut sums = [0.0f64; 16];
    let mut ns = [0usize; 16];
    for (r, v) in counted_pm25(&rows) {
        let k = sector16(r.wd);
        counts[k][edges.iter().rposition(|&e| v >= e).unwrap()] += 1;
        sums[k] += v;
        ns[k] += 1;
    }
    for (k, line) in lines[1..].iter().enumerate() {
        assert_eq!(
            line["counts"],
            serde_json::json!(counts[k]),
            "pollution sector {k}"
        );
        assert_eq!(line["n"], ns[k]);
        assert!(
            close(f(&line["mean"]), sums[k] / ns[k] as f64, 1e-12),
            "mean {k}"
        );
    }

    // Percentile rose: HJ 663 percentiles of each sector's hours.
    let lines = run_json(&[
        "tracing",
        "rose",
        "--kind",
        "percentile",
        "--pollutant",
        "PM2.5",
        "--percentiles",
        "10,50,95,100",
    ]);
    let mut by: Vec<Vec<f64>> = vec![Vec::new(); 16];
    for (r, v) in counted_pm25(&rows) {
        by[sector16(r.wd)].push(v);
    }
    for (k, line) in lines[1..].iter().enumerate() {
        by[k].sort_by(f64::total_cmp);
        for (i, p) in [10.0, 50.0, 95.0, 100.0].into_iter().enumerate() {
            assert!(
                close(f(&line["values"][i]), hj663(&by[k], p), 1e-12),
                "P{p} {k}"
            );
        }
    }
}

fn counted_pm25(rows: &[Row]) -> Vec<(Row, f64)> {
    counted(rows, |r| r.pm25)
}

#[test]
fn nwr_on_dongsi_2015_equals_an_independent_kernel_regression() {
    let rows = read_rows();
    let lines = run_json(&["tracing", "nwr", "--pollutant", "SO2", "--wd-step", "30"]);
    let c = counted(&rows, |r| r.so2);
    let (sigma, h) = (15.0f64, 1.0f64);
    let fastest = c.iter().map(|x| x.0.ws).fold(0.0, f64::max);
    let ws_max = (fastest / 0.5).ceil() * 0.5;
    assert_eq!(f(&lines[0]["ws_max_m_s"]), ws_max);
    let n_ws = (ws_max / 0.5).round() as usize + 1;
    assert_eq!(lines.len(), 1 + 12 * n_ws);
    let mut worst = 0.0f64;
    for line in &lines[1..] {
        let (wd, ws) = (f(&line["wd_deg"]), f(&line["ws_m_s"]));
        let (mut sw, mut swc) = (0.0, 0.0);
        for (r, v) in &c {
            let mut d = (wd - r.wd) % 360.0;
            if d > 180.0 {
                d -= 360.0;
            } else if d <= -180.0 {
                d += 360.0;
            }
            let x = (ws - r.ws) / h;
            let k2 = if x.abs() < 1.0 {
                0.75 * (1.0 - x * x)
            } else {
                0.0
            };
            let k1 = (-0.5 * (d / sigma).powi(2)).exp() / (2.0 * std::f64::consts::PI).sqrt();
            sw += k1 * k2;
            swc += k1 * k2 * v;
        }
        let want = if sw > 0.0 { swc / sw } else { f64::NAN };
        let got = f(&line["nwr"]);
        assert!(close(got, want, 1e-9), "({wd}°, {ws} m/s): {got} vs {want}");
        assert!(close(f(&line["weight_sum"]), sw, 1e-9));
        if want.is_finite() {
            worst = worst.max((got - want).abs() / want.abs().max(1.0));
        }
    }
    eprintln!("NWR Dongsi 2015 SO2: largest relative difference {worst:e}");
}

#[test]
fn annulus_and_time_variation_means_equal_independent_means() {
    let rows = read_rows();
    let lines = run_json(&["tracing", "annulus", "--pollutant", "PM2.5"]);
    let mut sums = vec![[0.0f64; 24]; 16];
    let mut ns = vec![[0usize; 24]; 16];
    for (r, v) in counted_pm25(&rows) {
        sums[sector16(r.wd)][r.hour as usize] += v;
        ns[sector16(r.wd)][r.hour as usize] += 1;
    }
    assert_eq!(lines.len(), 1 + 16 * 24);
    for line in &lines[1..] {
        let (k, hr) = (
            line["sector"].as_u64().unwrap() as usize,
            line["hour"].as_u64().unwrap() as usize,
        );
        assert_eq!(line["n"], ns[k][hr]);
        let want = sums[k][hr] / ns[k][hr] as f64;
        assert!(close(f(&line["mean"]), want, 1e-9), "sector {k} hour {hr}");
    }

    let lines = run_json(&["tracing", "timevar", "--pollutant", "PM2.5"]);
    let mut groups: std::collections::BTreeMap<(String, u64), Vec<f64>> = Default::default();
    for r in rows.iter().filter(|r| r.pm25.is_finite()) {
        // ISO weekday: 1970-01-01 was a Thursday (4).
        let weekday = (r.day + 3).rem_euclid(7) as u64 + 1;
        groups
            .entry(("hour".into(), r.hour as u64))
            .or_default()
            .push(r.pm25);
        groups
            .entry(("weekday".into(), weekday))
            .or_default()
            .push(r.pm25);
        groups
            .entry(("month".into(), u64::from(r.month)))
            .or_default()
            .push(r.pm25);
    }
    assert_eq!(lines.len(), 1 + 24 + 7 + 12);
    for line in &lines[1..] {
        let key = (
            line["group"].as_str().unwrap().to_owned(),
            line["key"].as_u64().unwrap(),
        );
        let v = &groups[&key];
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        assert_eq!(line["n"], v.len(), "{key:?}");
        assert!(close(f(&line["mean"]), mean, 1e-9), "{key:?}");
        assert!(
            f(&line["ci_low"]) < mean && mean < f(&line["ci_high"]),
            "{key:?}"
        );
    }
}

#[test]
fn bad_input_gets_a_clear_error() {
    let dir = shared("beijing-prsa");
    let dir = dir.to_str().unwrap();
    for (args, want) in [
        (
            vec!["--station", "Nowhere", "--year", "2015"],
            "--station Nowhere: no PRSA file under",
        ),
        (
            vec!["--station", "Dongsi", "--year", "2019"],
            "Dongsi 2019: no hour of 2019 has a PM2.5 value",
        ),
        (
            vec!["--station", "Dongsi", "--year", "2015", "--percentile", "0"],
            "--percentile 0: the percentile must be above 0 and below 100",
        ),
        (
            vec![
                "--station",
                "Dongsi",
                "--year",
                "2015",
                "--percentile",
                "101",
            ],
            "--percentile 101: the percentile must be above 0 and below 100",
        ),
        (
            vec!["--station", "Dongsi", "--year", "2015", "--sectors", "0"],
            "--sectors 0: the number of wind sectors must be 1 to 360",
        ),
        (
            vec!["--station", "Dongsi", "--year", "2015", "--calm=-1"],
            "--calm -1: the calm threshold must be a wind speed of 0 m/s or more",
        ),
    ] {
        let mut all = vec![
            "tracing",
            "cpf",
            "--format",
            "prsa",
            "--pollutant",
            "PM2.5",
            dir,
        ];
        all.extend(args);
        let o = lantian(&all);
        assert!(!o.status.success(), "{all:?}");
        assert!(stderr(&o).contains(want), "{all:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{all:?}");
    }
}
