//! `lantian bench province` on a small province (2 counties × 3 stations × 3 days), on SQLite
//! and on PostgreSQL: its JSON line adds up (every value of every station, hour and pollutant
//! stored once; every county assessed over every day and ranked with all its townships; the
//! station-year read has every hour). No timing is asserted.

use super::*;
use serde_json::Value;

const COUNTIES: u64 = 2;
const STATIONS: u64 = 3;
const DAYS: u64 = 3;
const POLLUTANTS: u64 = 6;

fn check(out: &Output, backend: &str) {
    assert!(out.status.success(), "{}", stderr(out));
    let lines = json_lines(out);
    assert_eq!(lines.len(), 1, "{}", stdout(out));
    let r = &lines[0];
    assert_eq!(r["bench"], "province");
    assert_eq!(r["backend"], backend);
    assert_eq!(
        (&r["counties"], &r["stations_per_county"], &r["days"]),
        (
            &Value::from(COUNTIES),
            &Value::from(STATIONS),
            &Value::from(DAYS)
        )
    );
    // ceil(3 / 6) = 1 assessment station per county; the other two are township stations.
    assert_eq!(r["assessment_stations_per_county"], 1, "{r}");
    assert_eq!(r["townships_per_county"], 2, "{r}");
    assert_eq!(r["stations"], COUNTIES * STATIONS);
    let values = COUNTIES * STATIONS * DAYS * 24 * POLLUTANTS;
    assert_eq!(r["values"], values, "{r}");
    assert_eq!(r["values_stored"], values, "every value once: {r}");
    let a = &r["assessment"];
    assert_eq!(a["counties_assessed"], COUNTIES, "{r}");
    assert_eq!(
        a["valid_days_min"], DAYS,
        "every generated day is complete: {r}"
    );
    let k = &r["ranking"];
    assert_eq!(k["counties_ranked"], COUNTIES, "{r}");
    assert_eq!(
        k["township_rows"],
        COUNTIES * 2,
        "only each county's own townships: {r}"
    );
    assert_eq!(k["townships_ranked"], COUNTIES * 2, "{r}");
    assert_eq!(r["station_year"]["hours"], DAYS * 24, "{r}");
    for t in [
        &r["ingest_seconds"],
        &a["total_seconds"],
        &a["per_county_ms"]["p50"],
        &k["per_county_ms"]["max"],
        &r["station_year"]["ms"],
    ] {
        assert!(t.as_f64().unwrap() > 0.0, "{r}");
    }
    let size = r["size_on_disk_bytes"].as_u64().unwrap();
    // At least 8 bytes per value (a double), and an empty store's schema is smaller than
    // 100 MB on both backends.
    assert!(size > values * 8 && size < 100 << 20, "{r}");
}

fn args<'a>(extra: &[&'a str], data: &'a str) -> Vec<&'a str> {
    let mut a = vec![
        "bench",
        "province",
        "--counties",
        "2",
        "--stations",
        "3",
        "--days",
        "3",
        "--data",
        data,
    ];
    a.extend_from_slice(extra);
    a
}

#[test]
fn bench_province_stores_every_value_and_assesses_and_ranks_every_county_on_sqlite() {
    let data = shared("beijing-prsa");
    let dir = temp_dir("bench-province");
    let d = dir.join("store");
    let out = lantian(&args(
        &["--data-dir", d.to_str().unwrap()],
        data.to_str().unwrap(),
    ));
    check(&out, "sqlite");
    // The same directory again: the bench refuses a store that already has stations.
    let again = lantian(&args(
        &["--data-dir", d.to_str().unwrap()],
        data.to_str().unwrap(),
    ));
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already has stations"),
        "{}",
        stderr(&again)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bench_province_stores_every_value_and_assesses_and_ranks_every_county_on_postgres() {
    let Some(base) = lantian_store::testing::pg_url() else {
        return;
    };
    let db = lantian_store::testing::PgDb::create(&base, "it_bench_province");
    let data = shared("beijing-prsa");
    let out = lantian(&args(&["--postgres", &db.url], data.to_str().unwrap()));
    check(&out, "postgresql");
}
