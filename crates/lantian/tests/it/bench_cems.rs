//! `lantian bench cems` runs and reports its figures: on a small load (20 outlets for a few
//! seconds) every frame is acknowledged and every observation stored once, and the year's
//! summary has every hour of every judged pollutant, with the device's own amounts agreeing
//! with the emissions recomputed from concentration and flow. No timing is asserted.

use super::*;
use serde_json::Value;

/// Observations of one minute or hourly record the bench sends: ten pollutants with their
/// value, normalised value and amount; O2; flow and its amount; temperature, pressure,
/// humidity. (-Min and -Max are not stored.)
const OBSERVATIONS_PER_RECORD: u64 = 10 * 3 + 1 + 2 + 3;

#[test]
fn bench_cems_acknowledges_and_stores_every_record_and_summarises_the_year() {
    let out = lantian(&[
        "bench",
        "cems",
        "--outlets",
        "20",
        "--speed",
        "60",
        "--speed",
        "600",
        "--seconds",
        "3",
        "--repetitions",
        "2",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<Value> = json_lines(&out);
    assert_eq!(lines.len(), 2, "{}", stdout(&out));
    let (ingest, summary) = (&lines[0], &lines[1]);

    assert_eq!(
        (&ingest["bench"], &ingest["figure"]),
        (&Value::from("cems"), &Value::from("ingest"))
    );
    assert_eq!(ingest["outlets"], 20);
    assert_eq!(ingest["pollutants"], 10);
    assert_eq!(
        ingest["observations_per_record"], OBSERVATIONS_PER_RECORD,
        "what the gateway maps from one minute packet"
    );
    // A whole minute packet is about 1.5 kB: two parts under the standard's 1024-byte
    // segments.
    assert!(ingest["record_bytes"].as_u64().unwrap() > 1024, "{ingest}");
    assert_eq!(ingest["frames_per_record"], 2);
    let runs = ingest["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for (r, speed) in runs.iter().zip([60.0, 600.0]) {
        assert_eq!(r["speed"], speed);
        // Device k sends at (j + k/20) × 60/speed s for j = 0, 1, … while that is below 3 s.
        let per_device = (3.0 * speed / 60.0) as u64;
        let records = r["records_sent"].as_u64().unwrap();
        assert_eq!(records, 20 * per_device, "{r}");
        assert_eq!(r["frames_sent"].as_u64(), Some(2 * records), "{r}");
        assert_eq!(r["acked"], r["frames_sent"], "{r}");
        assert_eq!((&r["rejected"], &r["unanswered"]), (&0.into(), &0.into()));
        assert_eq!(
            r["observations_stored"].as_f64(),
            Some((records * OBSERVATIONS_PER_RECORD) as f64),
            "every record's observations, once: {r}"
        );
        assert_eq!(r["offered_records_per_s"], 20.0 * speed / 60.0);
        for third in ["ack_latency_ms_first_third", "ack_latency_ms_last_third"] {
            let (p50, p99) = (
                r[third]["p50"].as_f64().unwrap(),
                r[third]["p99"].as_f64().unwrap(),
            );
            assert!(0.0 < p50 && p50 <= p99, "{third}: {r}");
        }
        assert!(r["queryable_after_last_ack_s"].as_f64().unwrap() >= 0.0);
        assert!(r["server_cpu_cores"].as_f64().unwrap() >= 0.0, "{r}");
        assert!(r["no_growing_backlog"].is_boolean());
        assert!(r["backlog_signs"].is_array());
    }
    let counters = &ingest["server_counters"];
    assert_eq!(counters["rejects"], 0.0, "{counters}");
    assert_eq!(counters["observations_duplicate"], 0.0, "{counters}");
    assert!(ingest["server_peak_rss_kib"].as_u64().unwrap() > 0);

    assert_eq!(summary["figure"], "summary");
    assert_eq!(summary["hours"], 8760);
    let judged = lantian_core::cems::POLLUTANTS.len();
    assert_eq!(
        summary["rows"],
        8760 * judged,
        "every hour of every judged pollutant"
    );
    assert_eq!(summary["month_totals"], 12 * judged);
    // A week's stop sends no normalised values: 168 hours × 10 pollutants fewer.
    assert_eq!(
        summary["observations"],
        8760 * OBSERVATIONS_PER_RECORD - 168 * 10
    );
    let year = summary["year"].as_array().unwrap();
    assert_eq!(year.len(), judged);
    for y in year {
        assert_eq!(y["hours_counted"], 8760, "{y}");
        assert_eq!(y["stopped_hours"], 168, "the week in April: {y}");
        assert_eq!(y["mismatch_hours"], 0, "the device's figures agree: {y}");
        let (kg, device) = (
            y["emission_kg"].as_f64().unwrap(),
            y["device_emission_kg"].as_f64().unwrap(),
        );
        assert!(kg > 0.0 && (kg - device).abs() <= 1e-3 * kg, "{y}");
    }
    for k in [
        "outlet_rows_ms",
        "totals_month_ms",
        "totals_year_ms",
        "summary_ms",
    ] {
        let (min, median) = (
            summary[k]["min"].as_f64().unwrap(),
            summary[k]["median"].as_f64().unwrap(),
        );
        assert!(0.0 < min && min <= median, "{k}: {summary}");
    }
    assert!(summary["under_100_ms"].is_boolean());
}
