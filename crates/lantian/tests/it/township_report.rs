//! The monthly township 通报 end to end on a made-up county of three townships (青禾县:
//! qinghe, dongtang, beipo): thirteen months of hourly data generated here with gaps, sent
//! through the gateway, then `lantian report township` as JSON (whose ranking, progress,
//! incentives and penalties an independent computation below reproduces), as xlsx (read
//! back by LibreOffice) and as PDF (rendered to PNG by pdftoppm into test-artifacts/).

use super::data_path::station;
use super::ledger::user;
use super::serve::Server;
use super::*;
use lantian_core::decimal::round_half_even;
use lantian_core::{Date, Month};
use serde_json::Value;
use std::collections::BTreeMap;

/// The three townships, their station and data logger, and the level of their PM2.5.
const TOWNS: [(&str, &str, &str, f64); 3] = [
    ("qinghe", "S-QH", "QH0000000000000000000001", 30.0),
    ("dongtang", "S-DT", "DT0000000000000000000001", 46.0),
    ("beipo", "S-BP", "BP0000000000000000000001", 39.0),
];
/// Annual PM2.5 targets (µg/m³) per township; the even breakdown makes each month's the same.
const TARGETS: [(&str, f64); 3] = [("qinghe", 35.0), ("dongtang", 40.0), ("beipo", 38.0)];
/// A day is valid with at least 20 hourly values (GB 3095 Table 4).
const DAY_HOURS_MIN: usize = 20;
/// An O3 8-h window needs 6 hours; the day's MDA8, 14 of its 17 windows (HJ 663), since
/// the generated O3 never exceeds the 8-h limit.
const WINDOW_HOURS_MIN: usize = 6;
const MDA8_WINDOWS_MIN: usize = 14;

/// A deterministic number in [0, 1) from a few integers (splitmix64).
fn noise(parts: &[u64]) -> f64 {
    let mut z = parts
        .iter()
        .fold(0x9e37_79b9_7f4a_7c15u64, |a, p| a.rotate_left(17) ^ p);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// The hours of a day a station sent: some days lose 1–6 hours (19 or fewer: not valid),
/// and beipo loses ten whole days of the report month.
fn sent_hours(s: usize, day: Date, report: Month) -> Vec<u32> {
    if s == 2 && Month::of(day) == report && (5..15).contains(&day.day()) {
        return Vec::new();
    }
    let k = noise(&[s as u64, day.days_since_epoch() as u64, 1]);
    let lost = [0, 0, 0, 1, 3, 4, 5, 6][(k * 8.0) as usize];
    let from = (day.days_since_epoch().rem_euclid(24)) as u32;
    (0..24).filter(|h| (h + 24 - from) % 24 >= lost).collect()
}

/// One station-hour: PM2.5, PM10, SO2, NO2, CO (mg/m³), O3, with one decimal.
fn values(s: usize, day: Date, h: u32, report: Month) -> [f64; 6] {
    let base = TOWNS[s].3;
    let season = 1.0 + 0.3 * (2.0 * std::f64::consts::PI * f64::from(day.month() - 1) / 12.0).cos();
    // The same month last year was dirtier (beipo's much more), so the improvement rates differ.
    let last_year = if Month::of(day) == Month::new(report.year() - 1, report.month()).unwrap() {
        [1.10, 1.25, 1.40][s]
    } else {
        1.0
    };
    let d = day.days_since_epoch() as u64;
    let r = |k: u64| noise(&[s as u64, d, u64::from(h), k]);
    let one = |x: f64| (x * 10.0).round() / 10.0;
    let pm25 = one(base * season * last_year * (0.6 + 0.8 * r(2)));
    [
        pm25,
        one(pm25 * 1.6),
        one(4.0 + 6.0 * r(3) + s as f64),
        one(20.0 + 20.0 * r(4)),
        one(0.4 + 0.8 * r(5)),
        one(40.0 + 80.0 * r(6)),
    ]
}

/// The month before `m`.
fn before(m: Month) -> Month {
    if m.month() == 1 {
        Month::new(m.year() - 1, 12).unwrap()
    } else {
        Month::new(m.year(), m.month() - 1).unwrap()
    }
}

fn days_of(m: Month) -> impl Iterator<Item = Date> {
    (0..i64::from(m.n_days())).map(move |i| m.first_day().add_days(i))
}

/// PM2.5 and SO2 daily means of a month (valid days only), computed here from the generated
/// hours: a day counts with ≥ 20 hours.
fn daily_means(s: usize, m: Month, report: Month) -> Vec<(f64, f64)> {
    days_of(m)
        .filter_map(|d| {
            let hours = sent_hours(s, d, report);
            (hours.len() >= DAY_HOURS_MIN).then(|| {
                let v: Vec<[f64; 6]> = hours.iter().map(|h| values(s, d, *h, report)).collect();
                let n = v.len() as f64;
                (
                    v.iter().map(|x| x[0]).sum::<f64>() / n,
                    v.iter().map(|x| x[2]).sum::<f64>() / n,
                )
            })
        })
        .collect()
}

/// Whether a day has a daily AQI: every pollutant's daily value valid, O3's MDA8 too (the
/// windows end at the day's hours 7 … 23). Under HJ 633-2026 a day missing one is not
/// published unless above 100, which the generated values never are.
fn aqi_day(s: usize, d: Date, report: Month) -> bool {
    let hours = sent_hours(s, d, report);
    let windows = (7..24u32)
        .filter(|end| {
            hours
                .iter()
                .filter(|h| **h + 7 >= *end && **h <= *end)
                .count()
                >= WINDOW_HOURS_MIN
        })
        .count();
    hours.len() >= DAY_HOURS_MIN && windows >= MDA8_WINDOWS_MIN
}

/// The month's PM2.5 and SO2 means (unrounded) and its valid days.
fn month_means(s: usize, m: Month, report: Month) -> (Option<f64>, Option<f64>, u32) {
    let d = daily_means(s, m, report);
    let n = d.len() as f64;
    if d.is_empty() {
        return (None, None, 0);
    }
    (
        Some(d.iter().map(|x| x.0).sum::<f64>() / n),
        Some(d.iter().map(|x| x.1).sum::<f64>() / n),
        d.len() as u32,
    )
}

/// Competition ranks (1, 2, 2, 4) of `values`, smaller first.
fn ranks(values: &[f64]) -> Vec<u32> {
    values
        .iter()
        .map(|v| 1 + values.iter().filter(|w| *w < v).count() as u32)
        .collect()
}

/// Writes the station's hours as a source CSV for `lantian send`.
fn csv_of(s: usize, first: Date, last: Date, report: Month, path: &std::path::Path) {
    let mut out = String::from("时间,a34004,a34002,a21026,a21004,a21005,a05024\n");
    let mut d = first;
    while d <= last {
        for h in sent_hours(s, d, report) {
            let v = values(s, d, h, report);
            out.push_str(&format!(
                "{d} {h:02}:00,{},{},{},{},{},{}\n",
                v[0], v[1], v[2], v[3], v[4], v[5]
            ));
        }
        d = d.add_days(1);
    }
    std::fs::write(path, out).unwrap();
}

fn send_csv(server: &Server, mn: &str, file: &std::path::Path) {
    let out = lantian(&[
        "send",
        "--to",
        &server.hj,
        "--mn",
        mn,
        "--password",
        "123456",
        "--format",
        "csv",
        "--window",
        "64",
        file.to_str().unwrap(),
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert!(
        report["acknowledged"].as_u64().unwrap_or(0) > 0
            && report["acknowledged"] == report["sent"],
        "{report} {}",
        stderr(&out)
    );
}

/// The county profile with a targets.csv for the report's year.
fn county(dir: &std::path::Path, year: i32) -> PathBuf {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/county-qinghe");
    let dst = dir.join("county");
    std::fs::create_dir_all(&dst).unwrap();
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
    }
    let mut t = String::from("year,unit,indicator,value,note\n");
    t.push_str(&format!("{year},999001,pm25,38,city\n"));
    for (u, v) in TARGETS {
        t.push_str(&format!("{year},{u},pm25,{v},\n"));
    }
    std::fs::write(dst.join("targets.csv"), t).unwrap();
    dst
}

fn report(dir: &str, args: &[&str]) -> std::process::Output {
    let mut a = vec!["report", "township", "--data-dir", dir];
    a.extend_from_slice(args);
    lantian(&a)
}

fn f(v: &Value) -> Option<f64> {
    v.as_f64()
}

#[test]
fn the_monthly_report_of_three_townships_is_reproduced_and_opens_as_xlsx_and_pdf() {
    let tmp = temp_dir("township-report");
    let dir = tmp.join("data");
    let d = dir.to_str().unwrap();
    // The last whole month before today (Beijing time), and the twelve before it.
    let today = lantian_core::cst::today(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    );
    let report_month = before(Month::of(today));
    let first_month = Month::new(report_month.year() - 1, report_month.month()).unwrap();
    let first = first_month.first_day();
    let last = report_month
        .first_day()
        .add_days(i64::from(report_month.n_days()) - 1);
    let profile = county(&tmp, report_month.year());
    let p = profile.to_str().unwrap();
    let day = first.to_string();
    // Any command naming the profile sets the store up for it (the query itself finds no
    // station yet).
    lantian(&[
        "query",
        "--data-dir",
        d,
        "--county",
        p,
        "--from",
        &day,
        "--to",
        &day,
        "--json",
    ]);
    for (unit, id, mn, _) in TOWNS {
        station(d, id, "township", unit, mn);
    }
    user(d, "qh", "township", Some("qinghe"));
    let server = Server::start(d, &[]);
    for (s, (_, _, mn, _)) in TOWNS.iter().enumerate() {
        let file = tmp.join(format!("{mn}.csv"));
        csv_of(s, first, last, report_month, &file);
        send_csv(&server, mn, &file);
    }
    server.projected();
    drop(server);

    let month = report_month.to_string();
    let out = report(d, &["--month", &month, "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();

    // The independent computation: monthly means from the hours, the methods' formulas.
    let now: Vec<_> = (0..3)
        .map(|s| month_means(s, report_month, report_month))
        .collect();
    let ly: Vec<_> = (0..3)
        .map(|s| month_means(s, first_month, report_month))
        .collect();
    let prev: Vec<_> = (0..3)
        .map(|s| month_means(s, before(report_month), report_month))
        .collect();
    let int = |x: Option<f64>| round_half_even(x.unwrap(), 0);
    let rows: BTreeMap<String, Value> = r["ranking"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["unit"].as_str().unwrap().to_owned(), x.clone()))
        .collect();
    assert_eq!(rows.len(), 3, "{r}");
    for (s, (unit, ..)) in TOWNS.iter().enumerate() {
        let row = &rows[*unit];
        assert_eq!(f(&row["pm25"]), Some(int(now[s].0)), "{unit} PM2.5");
        assert_eq!(f(&row["so2"]), Some(int(now[s].1)), "{unit} SO2");
        let aqi_days = days_of(report_month)
            .filter(|d| aqi_day(s, *d, report_month))
            .count();
        assert!(
            aqi_days < now[s].2 as usize,
            "the gaps leave days without an MDA8"
        );
        assert_eq!(row["valid_days"], aqi_days, "{unit} days with a daily AQI");
        assert_eq!(row["days"], report_month.n_days(), "{unit}");
        assert_eq!(row["stations"], 1);
    }
    // beipo lost ten days: its coverage shows it.
    assert!(
        f(&rows["beipo"]["coverage_pct"]).unwrap() <= 67.0,
        "{}",
        rows["beipo"]
    );

    // Composite index (the default method): ranks follow the reported indexes, 1, 2, 2, 4.
    let ci: Vec<f64> = TOWNS
        .iter()
        .map(|t| f(&rows[t.0]["composite_index"]).unwrap())
        .collect();
    for (t, want) in TOWNS.iter().zip(ranks(&ci)) {
        assert_eq!(rows[t.0]["rank"], want, "composite rank of {}", t.0);
    }
    assert!(r["ranking"]["formula_zh"].as_str().unwrap().contains("Σ"));

    // The other methods, through the same command.
    let pm25: Vec<f64> = (0..3).map(|s| int(now[s].0)).collect();
    let sum: Vec<f64> = (0..3).map(|s| int(now[s].0) + int(now[s].1)).collect();
    let improvement: Vec<f64> = (0..3)
        .map(|s| {
            let (b, c) = (int(ly[s].0), int(now[s].0));
            round_half_even((b - c) / b * 100.0, 1)
        })
        .collect();
    // The weighted score with the default weights: 0.4 × composite rank + 0.3 × PM2.5 rank
    // + 0.3 × improvement rank.
    let (r_ci, r_pm, r_imp) = (
        ranks(&ci),
        ranks(&pm25),
        ranks(&improvement.iter().map(|x| -x).collect::<Vec<_>>()),
    );
    let weighted: Vec<f64> = (0..3)
        .map(|s| {
            let score =
                0.4 * f64::from(r_ci[s]) + 0.3 * f64::from(r_pm[s]) + 0.3 * f64::from(r_imp[s]);
            round_half_even(score, 2)
        })
        .collect();
    for (method, values, larger_better) in [
        ("pm25", pm25.clone(), false),
        ("pm25_so2_sum", sum, false),
        ("improvement", improvement, true),
        ("weighted", weighted, false),
    ] {
        let out = report(d, &["--month", &month, "--method", method]);
        assert!(out.status.success(), "{}", stderr(&out));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["ranking"]["method"], method);
        let keyed: Vec<f64> = values
            .iter()
            .map(|x| if larger_better { -x } else { *x })
            .collect();
        let want = ranks(&keyed);
        for row in v["ranking"]["rows"].as_array().unwrap() {
            let s = TOWNS.iter().position(|t| t.0 == row["unit"]).unwrap();
            assert_eq!(
                f(&row["value"]),
                Some(values[s]),
                "{method} {}",
                row["unit"]
            );
            assert_eq!(row["rank"], want[s], "{method} {}", row["unit"]);
        }
        // Ranked rows come first, in rank order.
        let got: Vec<u64> = v["ranking"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["rank"].as_u64().unwrap())
            .collect();
        assert!(got.windows(2).all(|w| w[0] <= w[1]), "{method}: {got:?}");
    }
    // 同比 and 环比 of the PM2.5 method's figure.
    let out = report(d, &["--month", &month, "--method", "pm25"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    for row in v["ranking"]["rows"].as_array().unwrap() {
        let s = TOWNS.iter().position(|t| t.0 == row["unit"]).unwrap();
        let change = |b: f64| round_half_even((pm25[s] - b) / b * 100.0, 1);
        assert_eq!(
            f(&row["yoy_pct"]),
            Some(change(int(ly[s].0))),
            "{}",
            row["unit"]
        );
        assert_eq!(
            f(&row["mom_pct"]),
            Some(change(int(prev[s].0))),
            "{}",
            row["unit"]
        );
    }

    // Progress against the targets (even breakdown: the month's target is the annual one).
    let progress: Vec<&Value> = r["progress"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["indicator"] == "pm25" && p["unit"] != "999001")
        .collect();
    assert_eq!(progress.len(), 3, "{}", r["progress"]);
    let mut incentives = Vec::new();
    let mut penalties = BTreeMap::new();
    for p in progress {
        let s = TOWNS.iter().position(|t| t.0 == p["unit"]).unwrap();
        let target = TARGETS[s].1;
        // Reported and judged as an integer (HJ 663; GB/T 8170).
        let actual = round_half_even(now[s].0.unwrap(), 0);
        assert!(
            (f(&p["actual_month"]).unwrap() - actual).abs() < 1e-9,
            "{p}"
        );
        assert_eq!(f(&p["target_month"]), Some(target), "{p}");
        assert_eq!(p["met_month"], actual <= target, "{p}");
        if actual <= target {
            if p["met_ytd"] != false {
                incentives.push(TOWNS[s].0);
            }
            continue;
        }
        // The default rule: 20 % or 3 months in a row: 问责; 10 % or 2 months: 通报批评.
        let gap = round_half_even((actual - target) / target * 100.0, 1);
        let missed = |m: Month| {
            month_means(s, m, report_month)
                .0
                .is_some_and(|x| round_half_even(x, 0) > target)
        };
        let mut months = 1;
        let mut m = before(report_month);
        while months < 3 && m.year() == report_month.year() && missed(m) {
            months += 1;
            m = before(m);
        }
        let grade = if gap >= 20.0 || months >= 3 {
            "accountability"
        } else if gap >= 10.0 || months >= 2 {
            "criticism"
        } else {
            "interview"
        };
        penalties.insert(TOWNS[s].0, grade);
    }
    let got_incentives: Vec<&str> = r["incentives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["unit"].as_str().unwrap())
        .collect();
    assert_eq!(got_incentives, incentives, "{}", r["incentives"]);
    let got_penalties: BTreeMap<&str, &str> = r["penalties"]
        .as_array()
        .expect("the operator (an administrator) sees the penalty list")
        .iter()
        .map(|p| (p["unit"].as_str().unwrap(), p["sanction"].as_str().unwrap()))
        .collect();
    assert_eq!(got_penalties, penalties, "{}", r["penalties"]);
    assert!(
        !penalties.is_empty(),
        "the fixture has a township missing its target"
    );
    assert!(r["issued_zh"].as_str().unwrap().ends_with("（北京时间）"));
    assert!(r["title_zh"].as_str().unwrap().starts_with("青禾县"));

    // A township sees the ranking and its own progress, not the penalty list.
    let out = report(d, &["--month", &month, "--as", "qh"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["penalties"], Value::Null);
    assert_eq!(v["ranking"]["rows"].as_array().unwrap().len(), 3);
    assert!(
        v["progress"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["unit"] == "qinghe" || p["unit"] == "999001"),
        "{}",
        v["progress"]
    );

    // The workbook, read back by LibreOffice: one CSV per sheet.
    let xlsx = tmp.join("tongbao.xlsx");
    lantian_ok(&[
        "report",
        "township",
        "--data-dir",
        d,
        "--month",
        &month,
        "--format",
        "xlsx",
        "--out",
        xlsx.to_str().unwrap(),
    ]);
    if let Some(sheet) = libreoffice_sheets(&xlsx, &tmp, "the 通报") {
        let ranking = sheet("排名");
        assert!(ranking[0][0].starts_with("青禾县"), "{ranking:?}");
        assert_eq!(ranking[2][0], "名次");
        assert_eq!(
            ranking.len(),
            3 + 3,
            "title, method, header, three townships"
        );
        for row in &ranking[3..] {
            let s = TOWNS
                .iter()
                .position(|t| rows[t.0]["name_zh"] == row[1].as_str())
                .unwrap();
            assert_eq!(row[0], rows[TOWNS[s].0]["rank"].to_string());
            assert_eq!(row[4], int(now[s].0).to_string(), "{row:?}");
        }
        let progress = sheet("目标进度");
        assert_eq!(progress[2][0], "单位");
        assert!(progress.len() >= 3 + 3, "{progress:?}");
        let lists = sheet("激励与惩戒");
        for (unit, grade) in &penalties {
            let zh = match *grade {
                "accountability" => "问责",
                "criticism" => "通报批评",
                _ => "约谈",
            };
            let name = rows[*unit]["name_zh"].as_str().unwrap();
            assert!(
                lists
                    .iter()
                    .any(|r| r[0] == "惩戒" && r[1] == name && r[2] == zh),
                "{lists:?}"
            );
        }
    }

    // The PDF, rendered to PNG.
    let pdf = tmp.join("tongbao.pdf");
    let out = report(
        d,
        &[
            "--month",
            &month,
            "--format",
            "pdf",
            "--out",
            pdf.to_str().unwrap(),
        ],
    );
    if lantian_app::pdf::font_path().is_none() {
        lantian_store::testing::not_run("the 通报 PDF (no CJK font; install fonts-wqy-microhei)");
        return;
    }
    assert!(out.status.success(), "{}", stderr(&out));
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    if !std::path::Path::new("/usr/bin/pdftoppm").exists() {
        lantian_store::testing::not_run("rendering the 通报 PDF (pdftoppm: install poppler-utils)");
        return;
    }
    let artifacts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let png = artifacts.join("township-report");
    let r = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&pdf)
        .arg(&png)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let size = std::fs::metadata(artifacts.join("township-report.png"))
        .unwrap()
        .len();
    assert!(
        size > 10_000,
        "a rendered page of text and tables: {size} bytes"
    );
}

/// Every sheet of `xlsx` as rows of cells, read back by LibreOffice (`soffice --headless
/// --convert-to csv`, one file per sheet) in `tmp`, or `None` (listed as NOT RUN, a failure
/// under CI) when LibreOffice is not installed; `what` names the check.
pub(super) fn libreoffice_sheets(
    xlsx: &std::path::Path,
    tmp: &std::path::Path,
    what: &str,
) -> Option<impl Fn(&str) -> Vec<Vec<String>>> {
    let Some(soffice) = ["/usr/bin/soffice", "/usr/bin/libreoffice"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
    else {
        lantian_store::testing::not_run(&format!(
            "LibreOffice conversion of {what} (not installed; scripts/test-all installs libreoffice-calc-nogui)"
        ));
        return None;
    };
    let profile = format!("-env:UserInstallation=file://{}", tmp.join("lo").display());
    let conv = std::process::Command::new(soffice)
        .args([
            "--headless",
            profile.as_str(),
            "--convert-to",
            // -1: every sheet to its own file (LibreOffice 7.2 and later).
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            "--outdir",
            tmp.to_str().unwrap(),
            xlsx.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        conv.status.success(),
        "{}",
        String::from_utf8_lossy(&conv.stderr)
    );
    let stem = xlsx.file_stem().unwrap().to_string_lossy().into_owned();
    let tmp = tmp.to_path_buf();
    Some(move |name: &str| -> Vec<Vec<String>> {
        let text = std::fs::read_to_string(tmp.join(format!("{stem}-{name}.csv")))
            .unwrap_or_else(|e| panic!("sheet {name}: {e}"));
        ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect()
    })
}
