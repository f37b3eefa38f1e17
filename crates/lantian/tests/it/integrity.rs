//! `lantian integrity scan | evaluate` and `lantian bench integrity` on the real CNEMC and
//! UCI Beijing files: the issue's output keys and hour labels, injected faults found at the
//! right station and hours, bad files reported while the rest is scanned.

use super::{json_lines, lantian, lantian_ok, shared, stderr, temp_dir};
use std::io::{Read, Write};
use std::path::Path;

const KEYS: [&str; 7] = [
    "station",
    "pollutant",
    "rule",
    "start",
    "end",
    "severity",
    "why",
];

fn day_file(day: u32) -> std::path::PathBuf {
    shared(&format!(
        "cnemc-sample/china_sites_201901/china_sites_201901{day:02}.csv.gz"
    ))
}

fn gunzip(path: &Path) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// Sets `station`'s `kind` cells at the hour labels `labels` with `f(old value)`.
fn edit(
    csv: &str,
    station: &str,
    kind: &str,
    labels: std::ops::RangeInclusive<u32>,
    f: &dyn Fn(Option<f64>, u32) -> String,
) -> String {
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    let col = header.split(',').position(|c| c == station).unwrap();
    let mut out = vec![header.to_owned()];
    for line in lines {
        let mut cells: Vec<String> = line.split(',').map(str::to_owned).collect();
        let hour: u32 = cells[1].parse().unwrap();
        if cells[2] == kind && labels.contains(&hour) {
            while cells.len() <= col {
                cells.push(String::new());
            }
            cells[col] = f(cells[col].parse().ok(), hour);
        }
        out.push(cells.join(","));
    }
    out.join("\n") + "\n"
}

/// The value of `station`'s `kind` at `label` in a CNEMC text.
fn cell(csv: &str, station: &str, kind: &str, label: u32) -> Option<f64> {
    let mut lines = csv.lines();
    let col = lines
        .next()
        .unwrap()
        .split(',')
        .position(|c| c == station)
        .unwrap();
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|c| c[2] == kind && c[1] == label.to_string())
        .and_then(|c| c.get(col).and_then(|v| v.parse().ok()))
}

/// Three days of January 2019 (1,605 stations) in a nested folder, with the station list.
fn three_days(name: &str) -> std::path::PathBuf {
    let dir = temp_dir(name);
    let sub = dir.join("2019").join("01");
    std::fs::create_dir_all(&sub).unwrap();
    for d in 1..=3 {
        let f = day_file(d);
        std::fs::copy(&f, sub.join(f.file_name().unwrap())).unwrap();
    }
    std::fs::copy(
        shared("cnemc-sample/NewSiteList_UTF8.csv"),
        dir.join("NewSiteList_UTF8.csv"),
    )
    .unwrap();
    dir
}

fn is_label(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 16
        && s.ends_with(":00")
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b' '
        && s[11..13].parse::<u32>().is_ok_and(|h| h < 24)
}

#[test]
fn scan_prints_the_issue_keys_with_file_hour_labels_for_every_episode() {
    let dir = three_days("scan-keys");
    let o = lantian_ok(&[
        "integrity",
        "scan",
        "--format",
        "cnemc",
        dir.to_str().unwrap(),
        "--json",
    ]);
    let lines = json_lines(&o);
    assert!(
        !lines.is_empty(),
        "three days of 1,605 real stations raise some alarm"
    );
    let pollutants = ["PM2.5", "PM10", "SO2", "NO2", "CO", "O3"];
    for l in &lines {
        let obj = l.as_object().unwrap();
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut want = KEYS.to_vec();
        want.sort_unstable();
        assert_eq!(keys, want, "{l}");
        let (start, end) = (l["start"].as_str().unwrap(), l["end"].as_str().unwrap());
        assert!(is_label(start) && is_label(end), "{l}");
        assert!(start <= end, "{l}");
        // The three natural days: from the first file's 01:00 (its 00:00 ends the day
        // before and is not scanned) to the last day's end, labelled 00:00 of the next day.
        assert!(
            start >= "2019-01-01 01:00" && end <= "2019-01-04 00:00",
            "{l}"
        );
        assert!(
            l["pollutant"].is_null() || pollutants.contains(&l["pollutant"].as_str().unwrap()),
            "{l}"
        );
        assert!(
            ["info", "warning", "critical"].contains(&l["severity"].as_str().unwrap()),
            "{l}"
        );
        assert!(!l["why"].as_str().unwrap().is_empty(), "{l}");
    }
    // The table form carries the same episodes and says the times are Beijing time.
    let t = lantian_ok(&[
        "integrity",
        "scan",
        "--format",
        "cnemc",
        dir.to_str().unwrap(),
    ]);
    let text = super::stdout(&t);
    assert!(text.contains("北京时间"));
    assert_eq!(text.lines().count(), lines.len() + 2);
}

#[test]
fn injected_faults_in_a_copied_file_are_found_at_their_station_and_hours() {
    let dir = temp_dir("scan-injected");
    for d in [1, 3] {
        let f = day_file(d);
        std::fs::copy(&f, dir.join(f.file_name().unwrap())).unwrap();
    }
    let original = gunzip(&day_file(2));
    // 1003A's PM2.5 stuck at 123 for the hours labelled 08:00 to 17:00 (ten hours).
    let text = edit(&original, "1003A", "PM2.5", 8..=17, &|_, _| {
        "123".to_owned()
    });
    // 1004A's PM10 channel reading low (three quarters of PM2.5) from 14:00 to 21:00.
    let pm25: Vec<f64> = (14..=21)
        .map(|h| cell(&original, "1004A", "PM2.5", h).unwrap())
        .collect();
    assert!(
        pm25.iter().all(|v| *v >= 40.0),
        "the chosen hours are polluted enough: {pm25:?}"
    );
    let text = edit(&text, "1004A", "PM10", 14..=21, &|_, h| {
        format!("{}", (pm25[(h - 14) as usize] * 0.75).round())
    });
    let mut f = std::fs::File::create(dir.join("china_sites_20190102.csv")).unwrap();
    f.write_all(text.as_bytes()).unwrap();
    let sites = shared("cnemc-sample/NewSiteList_UTF8.csv");
    let run = |d: &Path| {
        json_lines(&lantian_ok(&[
            "integrity",
            "scan",
            "--format",
            "cnemc",
            "--sites",
            sites.to_str().unwrap(),
            d.to_str().unwrap(),
            "--json",
        ]))
    };
    let lines = run(&dir);
    let flat: Vec<_> = lines
        .iter()
        .filter(|l| {
            l["station"] == "1003A" && l["rule"] == "flat_line" && l["pollutant"] == "PM2.5"
        })
        .collect();
    assert_eq!(flat.len(), 1, "{lines:#?}");
    assert_eq!(flat[0]["start"], "2019-01-02 08:00");
    assert_eq!(flat[0]["end"], "2019-01-02 17:00");
    let pm: Vec<_> = lines
        .iter()
        .filter(|l| l["station"] == "1004A" && l["rule"] == "pm25_above_pm10")
        .collect();
    assert_eq!(pm.len(), 1, "{lines:#?}");
    let (s, e) = (
        pm[0]["start"].as_str().unwrap(),
        pm[0]["end"].as_str().unwrap(),
    );
    assert!(
        s >= "2019-01-02 14:00" && e <= "2019-01-02 21:00" && s <= e,
        "{}",
        pm[0]
    );
    // Without the edits neither alarm is raised: the faults made them.
    let clean = temp_dir("scan-injected-clean");
    for d in 1..=3 {
        let f = day_file(d);
        std::fs::copy(&f, clean.join(f.file_name().unwrap())).unwrap();
    }
    let lines = run(&clean);
    assert!(
        !lines
            .iter()
            .any(|l| (l["station"] == "1003A" && l["rule"] == "flat_line")
                || (l["station"] == "1004A" && l["rule"] == "pm25_above_pm10"))
    );
}

#[test]
fn a_bad_file_is_named_and_the_rest_still_scanned() {
    let dir = temp_dir("scan-bad");
    std::fs::write(
        dir.join("china_sites_20190102.csv"),
        "this is not,a CNEMC file\n1,2\n",
    )
    .unwrap();
    let good = temp_dir("scan-bad-good");
    for d in [1, 3] {
        let f = day_file(d);
        std::fs::copy(&f, dir.join(f.file_name().unwrap())).unwrap();
        std::fs::copy(&f, good.join(f.file_name().unwrap())).unwrap();
    }
    let o = lantian(&[
        "integrity",
        "scan",
        "--format",
        "cnemc",
        dir.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("china_sites_20190102.csv"), "{err}");
    // The other two days give exactly what they give alone.
    let alone = lantian_ok(&[
        "integrity",
        "scan",
        "--format",
        "cnemc",
        good.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(json_lines(&o), json_lines(&alone));
    assert!(!json_lines(&alone).is_empty());
}

#[test]
fn a_misspelt_threshold_is_an_error_naming_it() {
    let dir = temp_dir("scan-config");
    let cfg = dir.join("cfg.json");
    std::fs::write(&cfg, r#"{"flat_hours_min": 8, "flat_hour_min": 3}"#).unwrap();
    let f = day_file(1);
    let o = lantian(&[
        "integrity",
        "scan",
        "--format",
        "cnemc",
        "--config",
        cfg.to_str().unwrap(),
        f.to_str().unwrap(),
        "--json",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("flat_hour_min"), "{}", stderr(&o));
}

#[test]
fn a_longer_flat_line_threshold_from_config_silences_the_shorter_flat_lines() {
    let dir = three_days("scan-config-effect");
    let d = dir.to_str().unwrap();
    let count =
        |lines: &[serde_json::Value]| lines.iter().filter(|l| l["rule"] == "flat_line").count();
    let base = count(&json_lines(&lantian_ok(&[
        "integrity",
        "scan",
        "--format",
        "cnemc",
        d,
        "--json",
    ])));
    let cfg = dir.join("cfg.json");
    std::fs::write(&cfg, r#"{"flat_hours_min": 60}"#).unwrap();
    let strict = count(&json_lines(&lantian_ok(&[
        "integrity",
        "scan",
        "--format",
        "cnemc",
        "--config",
        cfg.to_str().unwrap(),
        d,
        "--json",
    ])));
    assert!(base > 0, "real data have flat lines of a few hours");
    assert!(strict < base, "{strict} < {base}");
}

#[test]
fn prsa_files_are_scanned_and_min_severity_keeps_the_graver_alarms() {
    let prsa = shared("beijing-prsa");
    let args = [
        "integrity",
        "scan",
        "--format",
        "prsa",
        "--from",
        "2016-12-01",
        "--to",
        "2016-12-31",
        prsa.to_str().unwrap(),
        "--json",
    ];
    let lines = json_lines(&lantian_ok(&args));
    assert!(!lines.is_empty());
    let names = [
        "Aotizhongxin",
        "Changping",
        "Dingling",
        "Dongsi",
        "Guanyuan",
        "Gucheng",
        "Huairou",
        "Nongzhanguan",
        "Shunyi",
        "Tiantan",
        "Wanliu",
        "Wanshouxigong",
    ];
    for l in &lines {
        assert!(names.contains(&l["station"].as_str().unwrap()), "{l}");
        assert!(l["start"].as_str().unwrap() >= "2016-12-01 01:00", "{l}");
    }
    // --min-severity critical keeps exactly the critical alarms.
    let mut graver = args.to_vec();
    graver.extend(["--min-severity", "critical"]);
    let kept = json_lines(&lantian_ok(&graver));
    let expected: Vec<_> = lines
        .iter()
        .filter(|l| l["severity"] == "critical")
        .cloned()
        .collect();
    assert_eq!(kept, expected);
    assert!(kept.len() < lines.len());
}

#[test]
fn evaluate_reports_recall_for_every_fault_type_and_the_clean_alarm_rate() {
    let dir = three_days("evaluate");
    let prsa = shared("beijing-prsa");
    let args = [
        "integrity",
        "evaluate",
        "--cnemc",
        dir.to_str().unwrap(),
        "--prsa",
        prsa.to_str().unwrap(),
        "--prsa-from",
        "2016-12-01",
        "--prsa-to",
        "2016-12-31",
        "--per-type",
        "6",
        "--seed",
        "7",
        "--json",
    ];
    let o = lantian_ok(&args);
    let r = &json_lines(&o)[0];
    let types = [
        "flat_line",
        "spike",
        "spraying",
        "pm25_above_pm10",
        "negative",
        "inlet_blocked",
        "outage_in_episode",
        "clock_shift",
    ];
    let recall = r["recall"].as_object().unwrap();
    assert_eq!(recall.len(), types.len());
    let mut injected_all = 0;
    for t in types {
        let x = &recall[t];
        let (n, k) = (
            x["injected"].as_u64().unwrap(),
            x["found"].as_u64().unwrap(),
        );
        assert!(n > 0, "{t}: {x}");
        assert!(
            k <= n && x["found_by_any_alarm"].as_u64().unwrap() >= k,
            "{t}: {x}"
        );
        assert_eq!(
            x["recall"].as_f64().unwrap(),
            (k as f64 / n as f64 * 1000.0).round() / 1000.0
        );
        injected_all += n;
    }
    assert_eq!(r["injected_all"].as_u64().unwrap(), injected_all);
    let clean = r["clean"].as_array().unwrap();
    assert_eq!(clean.len(), 2, "the CNEMC days and the PRSA month");
    for c in clean {
        let (n, m) = (
            c["alarms"].as_f64().unwrap(),
            c["station_months"].as_f64().unwrap(),
        );
        assert!(m > 0.0);
        let per = c["alarms_per_station_month"].as_f64().unwrap();
        assert!((per - n / m).abs() <= 0.01 * per.max(1.0), "{c}");
        let by_rule: u64 = c["by_rule"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v["alarms"].as_u64().unwrap())
            .sum();
        assert_eq!(by_rule as f64, n);
        let by_severity: u64 = c["by_severity"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v["alarms"].as_u64().unwrap())
            .sum();
        assert_eq!(by_severity as f64, n);
    }
    // Every type went into the PRSA month, all but spraying into the CNEMC days.
    let by_data = r["recall_by_data"].as_object().unwrap();
    assert_eq!(
        by_data["prsa 2016-12-01..2016-12-31"]
            .as_object()
            .unwrap()
            .len(),
        8
    );
    let cn = by_data["cnemc 2019-01-01..2019-01-03"].as_object().unwrap();
    assert_eq!(cn.len(), 7);
    assert!(!cn.contains_key("spraying"));
    // PRSA December 2016: 12 stations × 31 days = 12 station-months.
    assert!(
        (clean[1]["station_months"].as_f64().unwrap() - 12.0).abs() < 1e-6,
        "{}",
        clean[1]
    );
    // The same seed gives the same report (but for the timings).
    let untimed = |v: &serde_json::Value| {
        let mut v = v.clone();
        for c in v["clean"].as_array_mut().unwrap() {
            c.as_object_mut().unwrap().remove("scan_seconds");
        }
        v
    };
    assert_eq!(untimed(&json_lines(&lantian_ok(&args))[0]), untimed(r));
}

#[test]
fn the_integrity_bench_runs_at_a_tiny_size() {
    let o = lantian_ok(&["bench", "integrity", "--stations", "20", "--days", "3"]);
    let r = &json_lines(&o)[0];
    assert_eq!(r["bench"], "integrity");
    assert_eq!(r["stations"], 20);
    assert_eq!(r["station_hours"], 20 * 3 * 24);
    let values = r["hourly_values"].as_u64().unwrap();
    // About 2 % of the 20 × 72 × 6 slots are left missing.
    assert!(values < 20 * 72 * 6 && values > 20 * 72 * 6 * 9 / 10, "{r}");
    assert!(r["seconds"].as_f64().unwrap() > 0.0);
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    let dir = three_days("scan-pipe");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lantian"))
        .args([
            "integrity",
            "scan",
            "--format",
            "cnemc",
            dir.to_str().unwrap(),
            "--json",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read one line, then close the pipe, as `| head -1` does.
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    assert!(first.starts_with('{'), "{first}");
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("error"), "{err}");
    assert!(out.status.success(), "{:?}: {err}", out.status);
}
