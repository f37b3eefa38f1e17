//! Integration tests of the `lantian` command on the real data beside the project.

#![allow(clippy::unwrap_used)]

mod accounts;
mod alarms;
mod alarms_live;
mod alerts;
mod aqi;
mod archive;
mod assess;
mod backfill;
mod beijing_counts;
mod bench_cems;
mod bench_province;
mod browser;
mod browser_admin;
mod browser_alerts;
mod browser_cockpit;
mod browser_declarations;
mod browser_device_control;
mod browser_device_keys;
mod browser_enforce;
mod browser_ledger;
mod browser_map;
mod browser_opendata;
mod browser_reports;
mod browser_station;
mod cases;
mod cems;
mod cockpit;
mod county;
mod credit;
mod daily_records;
mod data_path;
mod declarations;
mod devices;
mod forward;
mod gateway;
mod gateway_name;
mod gateways;
mod grid_complaints;
mod grid_dust;
mod grid_fire;
mod grid_tasks;
mod hj212;
mod hj212_2025_cems;
mod integrity;
mod ledger;
mod ledger_exact;
mod ledger_supervision;
mod migrate;
mod operations;
mod periodic_reports;
mod plant;
mod ranges;
mod roles;
mod sanluanwu;
mod serve;
mod simulate;
mod sources;
mod station_view;
mod targets;
mod township_report;
mod tracing_app;
mod tracing_map;
mod tracing_polar;
mod tracing_receptor;
mod warning;

use std::path::PathBuf;
use std::process::{Child, Command, Output};

/// A child process killed (and reaped) when the test ends, whether it passes or panics.
#[derive(Debug)]
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `../shared/data/<rel>` from the workspace root.
pub fn shared(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel);
    assert!(
        p.exists(),
        "test data {} is missing: CI runs with ../shared beside the project",
        p.display()
    );
    p
}

pub fn lantian(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lantian"))
        .args(args)
        // `lantian bench` reads the test servers' /metrics with their token.
        .env("LANTIAN_METRICS_TOKEN", serve::METRICS_TOKEN)
        .output()
        .expect("the lantian binary runs")
}

/// `lantian ARGS`, which must succeed.
pub fn lantian_ok(args: &[&str]) -> Output {
    let o = lantian(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    o
}

/// A command's output as one JSON value per line.
pub fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lantian-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}
