//! `lantian tracing polar` on Beijing station-years: the bins recomputed here from the PRSA
//! CSV (plain Rust, none of the product's functions) must equal the command's exactly, and the
//! surface must match R's mgcv fitting the same model to those bins (scripts/polar-reference.R)
//! within the tolerances below; the differences against mgcv's te() and openair's thin-plate
//! s(u, v, k = 100) are printed (docs/tracing.md "Polar plot").

use super::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// RMS difference against mgcv's fit of the same P-spline (same basis, penalty, REML), as a
/// share of the reference surface's range: the two are the same estimator, so they differ
/// only by the optimiser's tolerance.
const SAME_MODEL_RMS_SHARE_MAX: f64 = 0.001;
/// Against mgcv's te(u, v, bs = "ps"): the same basis with two smoothing parameters.
const TE_RMS_SHARE_MAX: f64 = 0.03;
/// Against openair's model (a thin-plate spline, k = 100, chosen by GCV): another smoother;
/// this bound only catches a surface that is wrong altogether.
const OPENAIR_RMS_SHARE_MAX: f64 = 0.10;

/// Wind-speed intervals and the bin weights of 1, 2 and 3 hours (openair's).
const WS_BINS: usize = 30;
const LOW_COUNT_WEIGHTS: [f64; 3] = [0.25, 0.5, 0.75];

/// One station-year as the test reads it: (concentration, wind speed, wind direction in
/// degrees) of each hour starting in the year with all three.
fn read_hours(station: &str, column: &str, year: i32, calm: f64) -> Vec<(f64, f64, f64)> {
    let path = std::fs::read_dir(shared("beijing-prsa"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!("PRSA_Data_{station}_"))
        })
        .expect("the station's file");
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(|h| h.trim_matches('"').to_owned())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (cy, cm, cd, ch) = (col("year"), col("month"), col("day"), col("hour"));
    let (cc, cwd, cws) = (col(column), col("wd"), col("WSPM"));
    const POINTS: [&str; 16] = [
        "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW",
        "NW", "NNW",
    ];
    let mut out = Vec::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').map(|x| x.trim_matches('"')).collect();
        let int = |i: usize| f[i].parse::<i32>().unwrap();
        // The label is the hour's end (docs/findings.md F5): the hour starting in `year` is
        // labelled 01:00 on 1 January of it to 00:00 on 1 January of the next.
        let (y, m, d, h) = (int(cy), int(cm), int(cd), int(ch));
        let in_year = if m == 1 && d == 1 && h == 0 {
            y == year + 1
        } else {
            y == year
        };
        if !in_year {
            continue;
        }
        let conc = f[cc].parse::<f64>().ok();
        let ws = f[cws].parse::<f64>().ok();
        let wd = POINTS
            .iter()
            .position(|p| *p == f[cwd])
            .map(|k| k as f64 * 22.5);
        if let (Some(c), Some(s), Some(w)) = (conc, ws, wd)
            && s >= calm
        {
            out.push((c, s, w));
        }
    }
    out
}

/// A bin as the test computes it.
#[derive(Debug)]
struct Bin {
    u: f64,
    v: f64,
    n: usize,
    mean: f64,
    weight: f64,
}

/// Bins keyed by (direction sector of 16, wind-speed interval): intervals (i·w, (i+1)·w] of
/// w = max / 30, the first also holding 0; placed at the interval's middle and the point.
fn bin(hours: &[(f64, f64, f64)]) -> (f64, BTreeMap<(usize, usize), Bin>) {
    let max = hours.iter().map(|h| h.1).fold(0.0, f64::max);
    let width = max / WS_BINS as f64;
    let mut sums: BTreeMap<(usize, usize), (usize, f64)> = BTreeMap::new();
    for &(c, ws, wd) in hours {
        let i = (1..=WS_BINS)
            .find(|&i| ws <= i as f64 * width)
            .unwrap_or(WS_BINS)
            - 1;
        let s = (wd / 22.5).round() as usize % 16;
        let e = sums.entry((s, i)).or_default();
        e.0 += 1;
        e.1 += c;
    }
    let bins = sums
        .into_iter()
        .map(|((s, i), (n, sum))| {
            let r = (i as f64 + 0.5) * width;
            let a = (s as f64 * 22.5).to_radians();
            let weight = if n <= 3 {
                LOW_COUNT_WEIGHTS[n - 1]
            } else {
                1.0
            };
            let b = Bin {
                u: r * a.sin(),
                v: r * a.cos(),
                n,
                mean: sum / n as f64,
                weight,
            };
            ((s, i), b)
        })
        .collect();
    (max, bins)
}

fn rscript_with_mgcv() -> bool {
    std::process::Command::new("Rscript")
        .args(["-e", "suppressPackageStartupMessages(library(mgcv))"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// RMS of the differences where both have a value, as a share of the reference's range, and
/// the largest absolute difference.
fn compare(ours: &[Option<f64>], theirs: &[Option<f64>]) -> (f64, f64, f64) {
    let pairs: Vec<(f64, f64)> = ours
        .iter()
        .zip(theirs)
        .filter_map(|(a, b)| Some(((*a)?, (*b)?)))
        .collect();
    let rms = (pairs.iter().map(|(a, b)| (a - b).powi(2)).sum::<f64>() / pairs.len() as f64).sqrt();
    let (lo, hi) = pairs
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), &(_, b)| (l.min(b), h.max(b)));
    let max = pairs.iter().map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    (rms / (hi - lo), max, hi - lo)
}

/// One station-year checked: bins exactly, the surface against mgcv.
fn check_station(station: &str, column: &str, pollutant: &str, calm: f64) {
    let hours = read_hours(station, column, 2015, calm);
    let (max, bins) = bin(&hours);
    let dir = shared("beijing-prsa");
    let calm_text = calm.to_string();
    let out = lantian_ok(&[
        "tracing",
        "polar",
        "--format",
        "prsa",
        "--station",
        station,
        "--pollutant",
        pollutant,
        "--year",
        "2015",
        "--calm",
        &calm_text,
        "--json",
        "--bins",
        dir.to_str().unwrap(),
    ]);
    let lines = json_lines(&out);
    let summary = &lines[0];
    assert_eq!(summary["kind"], "summary");
    let what = format!("{station} {pollutant} 2015 (calm {calm})");
    assert_eq!(
        summary["hours"].as_u64().unwrap() as usize,
        hours.len(),
        "{what}: hours"
    );
    assert_eq!(
        summary["ws_max_m_s"].as_f64().unwrap(),
        max,
        "{what}: maximum wind speed"
    );
    assert_eq!(summary["wd_step_deg"].as_f64().unwrap(), 22.5, "{what}");
    let got_bins: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "bin").collect();
    assert_eq!(got_bins.len(), bins.len(), "{what}: bins with data");
    for b in &got_bins {
        let key = (
            b["wd_bin"].as_u64().unwrap() as usize,
            b["ws_bin"].as_u64().unwrap() as usize,
        );
        let want = bins
            .get(&key)
            .unwrap_or_else(|| panic!("{what}: bin {key:?} is not ours"));
        assert_eq!(
            b["n"].as_u64().unwrap() as usize,
            want.n,
            "{what}: bin {key:?} hours"
        );
        let mean = b["mean"].as_f64().unwrap();
        assert!(
            (mean - want.mean).abs() <= 1e-9 * want.mean.abs().max(1.0),
            "{what}: bin {key:?} mean {mean} ≠ {}",
            want.mean
        );
        assert_eq!(
            b["weight"].as_f64().unwrap(),
            want.weight,
            "{what}: bin {key:?} weight"
        );
        assert!(
            (b["u"].as_f64().unwrap() - want.u).abs() < 1e-9,
            "{what}: bin {key:?} u"
        );
        assert!(
            (b["v"].as_f64().unwrap() - want.v).abs() < 1e-9,
            "{what}: bin {key:?} v"
        );
    }
    let cells: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "cell").collect();
    let grid = summary["grid"].as_u64().unwrap() as usize;
    assert_eq!(cells.len(), grid * grid, "{what}: cells");

    if !rscript_with_mgcv() {
        lantian_store::testing::not_run("Rscript with mgcv (the polar plot's reference fit)");
        return;
    }
    let tmp = temp_dir(&format!("polar-{station}"));
    let mut csv = String::from("u,v,z,w,n\n");
    for b in bins.values() {
        writeln!(csv, "{},{},{},{},{}", b.u, b.v, b.mean, b.weight, b.n).unwrap();
    }
    let bins_csv = tmp.join("bins.csv");
    let out_csv = tmp.join("reference.csv");
    std::fs::write(&bins_csv, csv).unwrap();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/polar-reference.R");
    let k = summary["basis_per_axis"].as_u64().unwrap().to_string();
    let r = std::process::Command::new("Rscript")
        .arg(&script)
        .arg(&bins_csv)
        .arg(&out_csv)
        .arg(grid.to_string())
        .arg(&k)
        .arg(max.to_string())
        .arg("1")
        .arg("0.05")
        .arg("REML")
        .output()
        .expect("Rscript runs");
    assert!(
        r.status.success(),
        "{what}: polar-reference.R: {}",
        String::from_utf8_lossy(&r.stderr)
    );
    let fits: BTreeMap<String, Vec<String>> = String::from_utf8_lossy(&r.stdout)
        .lines()
        .map(|l| {
            let f: Vec<String> = l.split(',').map(str::to_owned).collect();
            (f[0].clone(), f[1..].to_vec())
        })
        .collect();
    let reference = std::fs::read_to_string(&out_csv).unwrap();
    let mut rows = reference.lines();
    let header: Vec<&str> = rows
        .next()
        .unwrap()
        .split(',')
        .map(|h| h.trim_matches('"'))
        .collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let mut theirs: BTreeMap<&str, Vec<Option<f64>>> = BTreeMap::new();
    let mut masked_theirs = Vec::new();
    for (i, row) in rows.enumerate() {
        let f: Vec<&str> = row.split(',').collect();
        let (u, v) = (
            f[col("u")].parse::<f64>().unwrap(),
            f[col("v")].parse::<f64>().unwrap(),
        );
        assert!(
            (u - cells[i]["u"].as_f64().unwrap()).abs() < 1e-9
                && (v - cells[i]["v"].as_f64().unwrap()).abs() < 1e-9,
            "{what}: cell {i} is not at the same place"
        );
        for m in ["pspline", "te", "openair"] {
            theirs
                .entry(m)
                .or_default()
                .push(f[col(m)].parse::<f64>().ok());
        }
        masked_theirs.push(f[col("masked")] == "1");
    }
    let ours: Vec<Option<f64>> = cells.iter().map(|c| c["value"].as_f64()).collect();
    let mask_differs = ours
        .iter()
        .zip(&masked_theirs)
        .filter(|(a, m)| a.is_none() != **m)
        .count();
    assert_eq!(
        mask_differs, 0,
        "{what}: cells masked differently from mgcv's exclude.too.far"
    );

    let lambda = summary["lambda"].as_f64().unwrap();
    let edf = summary["edf"].as_f64().unwrap();
    let r_lambda: f64 = fits["pspline"][0].parse().unwrap();
    let r_edf: f64 = fits["pspline"][1].parse().unwrap();
    let (ps, ps_max, range) = compare(&ours, &theirs["pspline"]);
    let (te, te_max, _) = compare(&ours, &theirs["te"]);
    let (oa, oa_max, _) = compare(&ours, &theirs["openair"]);
    println!(
        "{what}: {} hours, {} bins, range {range:.1}; Lantian λ {lambda:.6e} edf {edf:.3}, mgcv λ {r_lambda:.6e} edf {r_edf:.3}; \
         RMS difference / range: same P-spline {:.2e} (max {ps_max:.2e}), te {:.2} % (max {te_max:.2}, edf {}), openair s(u,v,k=100) {:.2} % (max {oa_max:.2}, edf {})",
        hours.len(),
        bins.len(),
        ps,
        te * 100.0,
        fits["te"][1],
        oa * 100.0,
        fits["openair"][1],
    );
    assert!(
        (lambda / r_lambda - 1.0).abs() < 0.01,
        "{what}: λ {lambda} against mgcv's {r_lambda}"
    );
    assert!(
        (edf - r_edf).abs() < 0.05,
        "{what}: edf {edf} against mgcv's {r_edf}"
    );
    assert!(
        ps <= SAME_MODEL_RMS_SHARE_MAX,
        "{what}: RMS difference {ps} of the range against mgcv's same P-spline"
    );
    assert!(
        te <= TE_RMS_SHARE_MAX,
        "{what}: RMS difference {te} of the range against mgcv's te()"
    );
    assert!(
        oa <= OPENAIR_RMS_SHARE_MAX,
        "{what}: RMS difference {oa} of the range against openair's model"
    );
}

#[test]
fn dongsi_pm25_2015_polar_surface_matches_mgcv_on_bins_recomputed_from_the_csv() {
    check_station("Dongsi", "PM2.5", "PM2.5", 0.5);
}

#[test]
fn huairou_no2_2015_with_every_hour_as_openair_matches_mgcv_too() {
    check_station("Huairou", "NO2", "NO2", 0.0);
}

#[test]
fn polar_input_errors_name_what_and_why() {
    let dir = shared("beijing-prsa");
    let d = dir.to_str().unwrap();
    for (extra, want) in [
        (vec!["--station", "Nowhere"], "--station Nowhere"),
        (vec!["--station", "Dongsi", "--grid", "2"], "grid = 2"),
        (
            vec!["--station", "Dongsi", "--basis", "40"],
            "basis_per_axis = 40",
        ),
        (
            vec!["--station", "Dongsi", "--year", "2020"],
            "no hour of 2020",
        ),
    ] {
        let mut args = vec![
            "tracing",
            "polar",
            "--format",
            "prsa",
            "--pollutant",
            "PM2.5",
        ];
        if !extra.contains(&"--year") {
            args.extend(["--year", "2015"]);
        }
        args.extend(extra.iter().copied());
        args.push(d);
        let o = lantian(&args);
        assert!(!o.status.success(), "{args:?} succeeded");
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
    }
}
