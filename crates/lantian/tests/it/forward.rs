//! Forwarding upstream from a real `lantian serve`: killed with SIGKILL while packets are
//! queued and unanswered upstream, started again: the queue drains, nothing is lost and
//! nothing goes twice as live data.

use super::serve::{METRICS_BEARER, Server, request};
use super::*;
use lantian_gateway::forward::receiver::{Faults, Log, Receiver};
use lantian_hj212::encode::data_upload;
use lantian_hj212::{Check, Command, Limits, check, decode};
use std::collections::HashMap;
use std::io::{Read, Write};

const MN: &str = "010000A8900016F000169DC0";
const BASE_TS: i64 = 20_089 * 86_400; // 2025-01-01 00:00 CST
const PACKETS: usize = 300;

fn packet(i: usize) -> (Vec<u8>, String) {
    let ts = BASE_TS - (i as i64 + 1) * 3600;
    let qn = format!("{:017}", i + 1);
    let t = lantian_gateway::mapping::timestamp(ts);
    let f = data_upload(
        "22",
        Command::HOURLY_DATA,
        &qn,
        "123456",
        MN,
        &t,
        &[("a34004", i as f64)],
    );
    (f, qn)
}

/// Sends every packet on one connection and waits for each one's 9014.
fn send_all(addr: &str) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    for i in 0..PACKETS {
        let (f, qn) = packet(i);
        s.write_all(&f).unwrap();
        'answer: loop {
            while let Check::Frame { len } = check(&buf, &Limits::default()) {
                let a: Vec<u8> = buf.drain(..len).collect();
                if let Ok(p) = decode(&a, &Limits::default())
                    && p.cn.0 == 9014
                    && p.qn == Some(qn.as_str())
                {
                    break 'answer;
                }
            }
            let n = s.read(&mut chunk).expect("the gateway answers");
            assert!(n > 0, "the gateway closed the connection at packet {i}");
            buf.extend_from_slice(&chunk[..n]);
        }
    }
}

fn metric(server: &Server, name: &str) -> Option<u64> {
    let m = request(
        &server.http,
        "GET",
        "/metrics",
        &[("authorization", METRICS_BEARER)],
        b"",
    );
    let text = String::from_utf8_lossy(&m.body).into_owned();
    let key = format!("lantian_forward_{name}{{dest=\"prov\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&key)?.parse().ok())
}

#[test]
fn serve_killed_with_packets_queued_drains_them_after_restart() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = temp_dir("forward-kill9");
    let d = dir.to_str().unwrap();
    super::gateway::register(d);
    let log: Log = Default::default();
    // The upstream answers one packet in three and is slow: most are unanswered at the kill.
    let faults = Faults {
        drop_answer_every: 3,
        delay_every: 1,
        delay: std::time::Duration::from_millis(300),
        disconnect_every: 0,
    };
    let up = rt
        .block_on(Receiver::start("127.0.0.1:0", faults, Some(log.clone())))
        .unwrap();
    let upstream = up.addr.to_string();
    let settings = dir.join("settings.json");
    std::fs::write(
        &settings,
        serde_json::json!({
            "forward": [{ "name": "prov", "addr": upstream, "ack_timeout_s": 1.0, "window": 32 }]
        })
        .to_string(),
    )
    .unwrap();
    let args = ["--no-device-setup", "--config", settings.to_str().unwrap()];
    let mut server = Server::start(d, &args);
    send_all(&server.hj);
    let acked_before = metric(&server, "acknowledged_total").unwrap();
    assert!(
        (acked_before as usize) < PACKETS,
        "everything was answered before the kill: the test would prove nothing"
    );
    server.kill();
    let queue = dir.join("forward/prov");
    assert!(
        queue.join("sent").exists(),
        "no queue cursor in {}",
        queue.display()
    );
    // The platform comes back; the upstream now answers everything.
    rt.block_on(up.stop());
    let up = rt
        .block_on(Receiver::start(
            &upstream,
            Faults::default(),
            Some(log.clone()),
        ))
        .unwrap();
    let server = Server::start(d, &args);
    let started = std::time::Instant::now();
    loop {
        let pending = metric(&server, "queue_pending");
        let got: std::collections::HashSet<String> =
            log.lock().unwrap().iter().map(|r| r.qn.clone()).collect();
        if pending == Some(0) && (0..PACKETS).all(|i| got.contains(&packet(i).1)) {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 60,
            "after restart: pending {pending:?}, {} of {PACKETS} packets upstream",
            got.len()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let log = log.lock().unwrap().clone();
    let mut live: HashMap<&str, u32> = HashMap::new();
    let mut copies: HashMap<&str, u32> = HashMap::new();
    let mut last_first = String::new();
    for r in &log {
        let n = copies.entry(&r.qn).or_default();
        *n += 1;
        if *n == 1 {
            assert!(
                r.qn > last_first,
                "{} arrived first after {last_first}",
                r.qn
            );
            last_first = r.qn.clone();
        } else {
            assert!(r.resend, "{}: copy {n} without RF=1", r.qn);
        }
        if !r.resend {
            *live.entry(&r.qn).or_default() += 1;
        }
        assert!(r.valid);
    }
    assert!(
        live.values().all(|n| *n == 1),
        "a packet went twice as live data"
    );
    assert!(
        log.iter().any(|r| r.resend),
        "nothing was resent after the restart"
    );
    drop(server);
    rt.block_on(up.stop());
}

#[test]
fn serve_refuses_bad_forward_settings_naming_the_destination_and_the_setting() {
    let dir = temp_dir("forward-config");
    let d = dir.to_str().unwrap();
    let cases: [(&str, &[&str], &str); 6] = [
        (
            "{}",
            &["--forward", "prov"],
            "--forward \"prov\": expected NAME=HOST:PORT",
        ),
        (
            "{}",
            &["--forward", "p/v=127.0.0.1:1"],
            "forward destination \"p/v\": the name must be",
        ),
        (
            r#"{"forward": [{"name": "prov", "addr": "h:1", "colour": 1}]}"#,
            &[],
            "forward destination prov: unknown setting \"colour\"",
        ),
        (
            r#"{"forward": [{"name": "prov", "addr": "h:1", "edition": "2019"}]}"#,
            &[],
            "forward destination prov: edition: edition \"2019\"",
        ),
        (
            r#"{"forward": [{"name": "prov", "addr": "h:1", "key": "xyz"}]}"#,
            &[],
            "forward destination prov: key: not an SM4 key",
        ),
        (
            r#"{"forward": [{"name": "a", "addr": "h:1"}, {"name": "a", "addr": "h:2"}]}"#,
            &[],
            "forward destination a: named twice",
        ),
    ];
    for (json, flags, why) in cases {
        let file = dir.join("settings.json");
        std::fs::write(&file, json).unwrap();
        let args = ["serve", "--data-dir", d, "--config", file.to_str().unwrap()];
        let out = lantian(&[&args[..], flags].concat());
        assert_eq!(
            out.status.code(),
            Some(2),
            "{json} {flags:?}: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains(why),
            "{json} {flags:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn bench_forward_reports_both_destinations_drained() {
    let out = lantian(&["bench", "forward", "--packets", "400", "--connections", "4"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        line["gateway_acked_per_s_without_forwarding"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert!(
        line["gateway_acked_per_s_with_forwarding"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    let dests = line["destinations"].as_array().unwrap();
    assert_eq!(dests.len(), 2, "{line}");
    for d in dests {
        assert_eq!(d["forwarded"], 400, "{line}");
        assert!(d["forwarded_per_s"].as_f64().unwrap() > 0.0);
        assert!(d["lag_at_last_device_ack_packets"].is_u64());
    }
    assert_eq!(line["upstream_received"], serde_json::json!([400, 400]));
}
