//! `lantian aqi` against the AQI that CNEMC published (spec §2.4, checklist §10 item 13).

use super::*;

fn matched_line(err: &str) -> (u64, u64) {
    let line = err
        .lines()
        .find(|l| l.contains("published station-hours matched"))
        .expect("a match summary");
    let words: Vec<&str> = line.split_whitespace().collect();
    (words[1].parse().unwrap(), words[3].parse().unwrap())
}

#[test]
fn hourly_aqi_reproduces_every_published_value_on_sample_days_of_january_2019() {
    let days = ["01", "09", "17", "31"]; // 09 holds the SO2 > 800 µg/m³ station-hour
    for d in days {
        let f = shared(&format!(
            "cnemc-sample/china_sites_201901/china_sites_201901{d}.csv.gz"
        ));
        let out = lantian(&[
            "aqi",
            "--format",
            "cnemc",
            "--compare-published",
            f.to_str().unwrap(),
        ]);
        let err = stderr(&out);
        assert!(out.status.success(), "day {d}: {err}");
        let (matched, compared) = matched_line(&err);
        assert!(
            compared > 25_000,
            "day {d}: only {compared} published values"
        );
        assert_eq!(matched, compared, "day {d}: {err}");
    }
}

#[test]
fn hourly_aqi_reproduces_the_2017_heavy_pollution_day_with_its_so2_practice() {
    let f = shared("cnemc-sample/china_sites_20170101.csv");
    let out = lantian(&[
        "aqi",
        "--format",
        "cnemc",
        "--compare-published",
        f.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Forcing the 2019 practice on that day breaks exactly the SO2 > 800 hours.
    let out = lantian(&[
        "aqi",
        "--format",
        "cnemc",
        "--so2-above-800",
        "cap200",
        "--compare-published",
        f.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("1734A: computed Some(200), published 99"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn csv_output_has_the_documented_header_and_levels() {
    let f = shared("cnemc-sample/china_sites_201901/china_sites_20190101.csv.gz");
    let out = lantian(&["aqi", "--format", "cnemc", f.to_str().unwrap()]);
    assert!(out.status.success());
    let text = stdout(&out);
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("date,hour,station,aqi,primary_pollutants,level")
    );
    assert_eq!(lines.next(), Some("2019-01-01,0,1001A,73,PM2.5,2"));
    for l in lines.take(5000) {
        let cells: Vec<&str> = l.split(',').collect();
        assert_eq!(cells.len(), 6, "{l}");
        let aqi: u16 = cells[3].parse().unwrap();
        let level: u8 = cells[5].parse().unwrap();
        assert_eq!(
            lantian_core::aqi::Level::from_aqi(aqi).number(),
            level,
            "{l}"
        );
        assert_eq!(
            cells[4].is_empty(),
            aqi <= 50,
            "primary pollutant only above 50: {l}"
        );
    }
}

#[test]
fn literal_table4_variant_matches_few_published_hours() {
    let f = shared("cnemc-sample/china_sites_201901/china_sites_20190101.csv.gz");
    let out = lantian(&[
        "aqi",
        "--format",
        "cnemc",
        "--method",
        "table4",
        "--compare-published",
        f.to_str().unwrap(),
    ]);
    let (matched, compared) = matched_line(&stderr(&out));
    assert!(
        (matched as f64) < 0.1 * compared as f64,
        "{matched}/{compared}"
    );
}

#[test]
fn bad_input_names_the_file_and_fails_without_panicking() {
    let missing = lantian(&["aqi", "--format", "cnemc", "/nonexistent/china_sites_x.csv"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("/nonexistent/china_sites_x.csv: cannot open"),
        "{}",
        stderr(&missing)
    );

    let dir = temp_dir("aqi-bad");
    let garbage = dir.join("china_sites_garbage.csv");
    std::fs::write(&garbage, "hello,world\n1,2\n").unwrap();
    let out = lantian(&["aqi", "--format", "cnemc", garbage.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("header does not match") && !err.contains("panicked"),
        "{err}"
    );

    let partial = dir.join("china_sites_partial.csv");
    std::fs::write(
        &partial,
        "date,hour,type,A,B\n20190101,0,PM2.5,40,x\n20190101,0,PM10,50,60\n2019x,0,PM10,1,1\n",
    )
    .unwrap();
    let out = lantian(&["aqi", "--format", "cnemc", partial.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "valid values around bad ones are kept"
    );
    assert_eq!(stdout(&out).lines().count(), 3);
    let err = stderr(&out);
    assert!(
        err.contains("china_sites_partial.csv:2: field B: not a number"),
        "{err}"
    );
    assert!(
        err.contains("china_sites_partial.csv:4: field date"),
        "{err}"
    );
}
