//! The platform process under fire: `lantian serve` with devices sending through real TCP,
//! killed with SIGKILL under load; after restart every acknowledged packet is stored and the
//! archive verifies.

use super::serve::Server;
use super::*;
use lantian_hj212::encode::data_upload;
use lantian_hj212::{Check, Command, Limits, check, decode};
use lantian_store::{Period, Store, View};
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

const MN: &str = "010000A8900016F000169DC0";
const BASE_TS: i64 = 20_089 * 86_400; // 2025-01-01 00:00 CST

pub fn register(dir: &str) {
    super::data_path::station(dir, "XJ-01", "township", "xinji", MN);
}

/// Hours backwards from 2025-01-01 (the gateway refuses values dated ahead of its clock).
fn packet(conn: usize, i: usize) -> (Vec<u8>, String, i64) {
    let ts = BASE_TS - ((conn * 100_000 + i) as i64) * 3600;
    let qn = format!("{:02}{:015}", conn, i);
    let t = lantian_gateway::mapping::timestamp(ts);
    let bytes = data_upload(
        "22",
        Command::HOURLY_DATA,
        &qn,
        "123456",
        MN,
        &t,
        &[("a34004", i as f64)],
    );
    (bytes, qn, ts)
}

#[test]
fn kill_9_under_load_loses_no_acknowledged_packet() {
    let dir = temp_dir("kill9");
    let d = dir.to_str().unwrap();
    register(d);
    let mut server = Server::start(d, &["--no-device-setup"]);
    let addr = server.hj.clone();
    let acked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut senders = Vec::new();
    for conn in 0..4 {
        let (acked, stop, addr) = (acked.clone(), stop.clone(), addr.clone());
        senders.push(std::thread::spawn(move || {
            let mut s = std::net::TcpStream::connect(&addr).unwrap();
            let mut r = s.try_clone().unwrap();
            let reader = std::thread::spawn(move || {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                while let Ok(n) = r.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    while let Check::Frame { len } = check(&buf, &Limits::default()) {
                        let f: Vec<u8> = buf.drain(..len).collect();
                        if let Ok(p) = decode(&f, &Limits::default())
                            && p.cn.0 == 9014
                        {
                            acked
                                .lock()
                                .unwrap()
                                .insert(p.qn.unwrap_or_default().to_owned());
                        }
                    }
                }
            });
            for i in 0..100_000 {
                if stop.load(Ordering::Relaxed) || s.write_all(&packet(conn, i).0).is_err() {
                    break;
                }
            }
            let _ = reader.join();
        }));
    }
    let started = std::time::Instant::now();
    while acked.lock().unwrap().len() < 2000
        && started.elapsed() < std::time::Duration::from_secs(60)
    {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    server.kill(); // SIGKILL, mid-load
    stop.store(true, Ordering::Relaxed);
    for s in senders {
        let _ = s.join();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 2000,
        "only {} acknowledged before the kill",
        acked.len()
    );

    let store = Store::open_data_dir(&dir).unwrap();
    let report = store.verify_archive().unwrap();
    assert!(report.ok(), "{report:?}");
    let stored: HashSet<i64> = store
        .series(
            "XJ-01",
            "a34004",
            Period::Hour,
            BASE_TS - 500_000 * 3600,
            BASE_TS + 3600,
            View::Raw,
        )
        .unwrap()
        .into_iter()
        .map(|p| p.ts)
        .collect();
    let mut missing = 0;
    for conn in 0..4 {
        for i in 0..100_000 {
            let (_, qn, ts) = packet(conn, i);
            if acked.contains(&qn) && !stored.contains(&ts) {
                missing += 1;
            }
        }
    }
    assert_eq!(missing, 0, "acknowledged packets missing after kill -9");
    assert!(stored.len() >= acked.len());
    // And the platform starts again on the same data.
    drop(Server::start(d, &["--no-device-setup"]));
}

#[test]
fn serve_reads_a_settings_file_and_names_unknown_settings() {
    let dir = temp_dir("config");
    // A settings file serve must refuse (exit 2) with `why` on stderr.
    let refused = |json: &str, why: &str| {
        let file = dir.join("refused.json");
        std::fs::write(&file, json).unwrap();
        let args = ["serve", "--data-dir", dir.to_str().unwrap(), "--config"];
        let out = lantian(&[&args[..], &[file.to_str().unwrap()]].concat());
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains(why), "{}", stderr(&out));
    };
    refused(
        r#"{"http": "127.0.0.1:0", "colour": "blue"}"#,
        "unknown setting \"colour\"",
    );
    refused(
        r#"{"projection_round_packets": 0}"#,
        "projection_round_packets must be a whole number above 0",
    );
    let good = dir.join("good.json");
    let data = dir.join("data");
    std::fs::write(&good, format!(r#"{{"http": "127.0.0.1:0", "hj212": "127.0.0.1:0", "target_pm25": 30, "projection_round_packets": 5000, "data_dir": "{}"}}"#, data.display())).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lantian"))
        .args(["serve", "--config", good.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut web = String::new();
    while web.is_empty() {
        if let Some(a) = lines
            .next()
            .unwrap()
            .unwrap()
            .strip_prefix("http listening on http://")
        {
            web = a.to_owned();
        }
    }
    let mut s = std::net::TcpStream::connect(&web).unwrap();
    s.write_all(b"GET /api/v1/targets HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut body = String::new();
    s.read_to_string(&mut body).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(body.contains("\"target_pm25\":30.0"), "{body}");
    assert!(data.join("lantian.db").exists(), "data_dir from the file");
}

/// Runs `lantian bench gateway` on a small load (20 connections, 400 packets per run) with
/// `extra` arguments; checks that every run acknowledged every packet, the gateway's runs
/// waited for the projection and the storage-free floor ran; returns the JSON line.
fn small_bench(extra: &[&str]) -> serde_json::Value {
    let args = [
        "bench",
        "gateway",
        "--connections",
        "20",
        "--packets",
        "400",
        "--rate",
        "2000",
    ];
    let out = lantian(&[&args[..], extra].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let j: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let runs = j["runs"].as_array().unwrap();
    let modes: Vec<&str> = runs.iter().map(|r| r["mode"].as_str().unwrap()).collect();
    assert_eq!(
        modes,
        ["saturation", "offered_rate", "offered_rate_no_storage"]
    );
    for r in runs {
        assert_eq!(r["acked"], 400, "{r}");
        assert_eq!(r["unanswered"], 0, "{r}");
    }
    assert!(runs[0]["stored_per_s"].as_f64().unwrap() > 0.0);
    assert!(runs[0]["queryable_after_last_ack_s"].is_number());
    assert!(runs[2].get("stored_per_s").is_none(), "nothing is stored");
    j
}

/// The gateway benchmark end to end, starting its own server and reference server.
#[test]
fn bench_gateway_runs_against_the_gateway_and_the_reference_server() {
    let j = small_bench(&["--idle", "10"]);
    assert_eq!(j["idle"]["connections"], 10);
    assert!(j["runs"][0]["server_cpu_us_per_packet_with_projection"].is_number());
}

/// The benchmark against servers already running, as on a second machine: it waits for the
/// projection through `--server-http`, runs the floor against `--echo-server`, measures no
/// server CPU or memory, and the packets are in the server's store.
#[test]
fn bench_gateway_drives_servers_already_running() {
    let dir = temp_dir("bench-remote");
    let d = dir.to_str().unwrap();
    register(d);
    let out = lantian(&[
        "device",
        "add",
        "--data-dir",
        d,
        "--mn",
        "BENCH0000000000000000001",
        "--password",
        "123456",
        "--station",
        "XJ-01",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // The bench's 20 connections come from one address.
    let server = Server::start(
        d,
        &["--no-device-setup", "--connections-per-address", "100"],
    );
    let (hj, http) = (server.hj.clone(), server.http.clone());
    let mut echo = super::Killed(
        std::process::Command::new(env!("CARGO_BIN_EXE_lantian"))
            .args(["bench", "echo-server"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(echo.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let echo_addr = line
        .trim()
        .strip_prefix("hj212 listening on ")
        .unwrap()
        .to_owned();
    let j = small_bench(&[
        "--server",
        &hj,
        "--server-http",
        &http,
        "--echo-server",
        &echo_addr,
    ]);
    drop(server);
    drop(echo);
    assert!(j["idle"].is_null());
    assert!(j["runs"][0]["server_cpu_us_per_packet_until_last_ack"].is_null());
    let store = Store::open_data_dir(&dir).unwrap();
    assert_eq!(store.counts().unwrap().0, 800, "both gateway runs archived");
}
