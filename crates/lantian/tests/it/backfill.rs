//! Reverse control through a real `lantian serve` (issue 22): a simulated logger sends a
//! day of last week's hours but two, the gateway asks for the two (2061) on the logger's
//! connection, the logger answers like a real one, and the API shows the two hours marked
//! `request` and the command 2 asked / 2 received, ExeRtn=1; the integrity scan's
//! `backfilled` alarm counts the 22 late hours the logger sent on its own, not the two the
//! platform asked for. An operations contractor's command (1061) queued through the API is
//! sent to the connected logger and its reply recorded; another contractor and a township
//! are refused; a parameter outside the standard's range is refused with the range.

use super::alarms_live::{mn, now_ms, township_station};
use super::serve::{Login, Server, login, request};
use lantian_core::cst;
use lantian_core::org::Role;
use lantian_hj212::encode::{Header, encode};
use lantian_hj212::{Check, Command, Flag, Limits, Packet, Timestamp, check, decode};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery";
const PW: &str = "123456";

fn call(s: &Server, who: &Login, method: &str, path: &str, body: Value) -> (u16, Value) {
    let text = body.to_string();
    let headers = [
        ("Content-Type", "application/json"),
        ("Cookie", who.cookie.as_str()),
        ("X-CSRF-Token", who.csrf.as_str()),
    ];
    let body: &[u8] = if method == "GET" {
        b""
    } else {
        text.as_bytes()
    };
    let r = request(&s.http, method, path, &headers, body);
    (r.status, r.json())
}

fn n14(cst_s: i64) -> String {
    lantian_gateway::mapping::timestamp(cst_s).n14()
}

/// A data logger over a real socket: its stored hours, and it answers host commands like a
/// real one (9011 QnRtn=1, the data or time, 9012 ExeRtn=1).
pub(super) struct Logger {
    conn: TcpStream,
    buf: Vec<u8>,
    mn: String,
    hours: BTreeMap<i64, f64>,
    /// Host commands received: (CN, QN).
    pub asked: Vec<(u16, String)>,
    /// QNs of 9014s read while waiting for another.
    acked: Vec<String>,
    seq: u32,
}

impl Logger {
    pub(super) fn connect(addr: &str, mn: &str, hours: BTreeMap<i64, f64>) -> Logger {
        let conn = TcpStream::connect(addr).unwrap();
        conn.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        Logger {
            conn,
            buf: Vec::new(),
            mn: mn.to_owned(),
            hours,
            asked: Vec::new(),
            acked: Vec::new(),
            seq: 0,
        }
    }

    fn frame(&self, qn: &str, cn: u16, flag: u8, cp: &str) -> Vec<u8> {
        encode(
            &Header {
                qn: Some(qn),
                st: "22",
                cn: Command(cn),
                pw: Some(PW),
                mn: Some(&self.mn),
                flag: Some(Flag(flag)),
                pnum: None,
                pno: None,
                resend: false,
            },
            cp,
        )
    }

    fn hour_frame(&self, qn: &str, ts: i64) -> Vec<u8> {
        let v = self.hours[&ts];
        let items: Vec<String> = ["a34004", "a34002", "a21026", "a21004", "a21005", "a05024"]
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c}-Avg={},{c}-Flag=N", v + i as f64))
            .collect();
        self.frame(
            qn,
            2061,
            5,
            &format!("DataTime={};{}", n14(ts), items.join(";")),
        )
    }

    /// The next frame from the gateway, or None after `wait`.
    fn recv(&mut self, wait: Duration) -> Option<Vec<u8>> {
        let until = Instant::now() + wait;
        loop {
            if let Check::Frame { len } = check(&self.buf, &Limits::default()) {
                return Some(self.buf.drain(..len).collect());
            }
            if Instant::now() >= until {
                return None;
            }
            let mut chunk = [0u8; 4096];
            match self.conn.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(_) => {}
            }
        }
    }

    /// Sends hour `ts` live and serves host commands until its 9014.
    pub(super) fn send_hour(&mut self, ts: i64) {
        self.seq += 1;
        let qn = format!("20260101000000{:03}", self.seq % 1000);
        let f = self.hour_frame(&qn, ts);
        self.conn.write_all(&f).unwrap();
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            if self.acked.contains(&qn) {
                return;
            }
            let Some(f) = self.recv(Duration::from_secs(1)) else {
                continue;
            };
            let p = decode(&f, &Limits::default()).unwrap();
            if p.cn.0 == 9014 && p.qn == Some(qn.as_str()) {
                return;
            }
            self.answer(&p);
        }
        panic!("hour {} not acknowledged", n14(ts));
    }

    /// Serves host commands for `d`, or until `done` says so.
    pub(super) fn serve(&mut self, d: Duration, done: impl Fn(&Logger) -> bool) {
        let until = Instant::now() + d;
        while Instant::now() < until && !done(self) {
            if let Some(f) = self.recv(Duration::from_millis(200)) {
                let owned = f.clone();
                let p = decode(&owned, &Limits::default()).unwrap();
                self.answer(&p);
            }
        }
    }

    fn answer(&mut self, p: &Packet<'_>) {
        if p.cn.0 == 9014 {
            self.acked.push(p.qn.unwrap_or_default().to_owned());
            return;
        }
        let qn = p.qn.unwrap_or_default().to_owned();
        self.asked.push((p.cn.0, qn.clone()));
        let ready = self.frame(&qn, 9011, 4, "QnRtn=1");
        self.conn.write_all(&ready).unwrap();
        match p.cn.0 {
            2061 => {
                let at = |name: &str| {
                    p.cp_value(name)
                        .and_then(Timestamp::parse)
                        .and_then(|t| lantian_gateway::mapping::cst_seconds(&t))
                        .unwrap()
                };
                let (b, e) = (at("BeginTime"), at("EndTime"));
                let records: Vec<i64> = self.hours.range(b..=e).map(|(t, _)| *t).collect();
                for t in records {
                    let f = self.hour_frame(&qn, t);
                    self.conn.write_all(&f).unwrap();
                    // Each record answered 9014 before the next.
                    let until = Instant::now() + Duration::from_secs(10);
                    loop {
                        assert!(Instant::now() < until, "no 9014 for a back-filled hour");
                        let Some(f) = self.recv(Duration::from_millis(500)) else {
                            continue;
                        };
                        let a = decode(&f, &Limits::default()).unwrap();
                        if a.cn.0 == 9014 && a.qn == Some(qn.as_str()) {
                            break;
                        }
                        if a.cn.0 == 9014 {
                            self.acked.push(a.qn.unwrap_or_default().to_owned());
                        }
                    }
                }
            }
            1011 => {
                let now = cst::from_unix_ms(now_ms());
                let f = self.frame(&qn, 1011, 4, &format!("SystemTime={}", n14(now)));
                self.conn.write_all(&f).unwrap();
            }
            1061 => {
                let f = self.frame(&qn, 1061, 4, "RtdInterval=30");
                self.conn.write_all(&f).unwrap();
            }
            _ => {}
        }
        let done = self.frame(&qn, 9012, 4, "ExeRtn=1");
        self.conn.write_all(&done).unwrap();
    }
}

/// A day of hours six days ago (within the default 7-day look-back), PM2.5 varying.
pub(super) fn a_day_last_week() -> (i64, BTreeMap<i64, f64>) {
    let day = cst::today(now_ms()).add_days(-6);
    let base = cst::day_start(day);
    let hours = (0..24)
        .map(|h| (base + h * cst::HOUR_S, 20.0 + ((h * 7) % 31) as f64))
        .collect();
    (base, hours)
}

#[test]
fn a_two_hour_gap_is_back_filled_marked_and_not_an_integrity_alarm() {
    let dir = super::temp_dir("backfill-live");
    let d = dir.to_str().unwrap();
    township_station(
        &dir,
        "T-GAP",
        "补传站",
        &[
            ("bureau1", Role::Bureau, None),
            ("ops1", Role::Operations, Some("ops-co")),
            ("ops2", Role::Operations, Some("other-co")),
            ("town1", Role::Township, Some("wangkou")),
        ],
    );
    let s = Server::start(d, &[]);
    let (base, hours) = a_day_last_week();
    let mut lg = Logger::connect(&s.hj, &mn("T-GAP"), hours);
    // 10:00 and 11:00 never arrive live (the link was down).
    for h in (0..24).filter(|h| ![10, 11].contains(h)) {
        lg.send_hour(base + h * cst::HOUR_S);
    }
    lg.serve(Duration::from_secs(20), |l| {
        l.asked.iter().filter(|a| a.0 == 2061).count() == 1
    });
    // Let the answer's 9012 be recorded.
    lg.serve(Duration::from_secs(2), |_| false);
    s.projected();

    let ops = login(&s.http, "ops1", PASSWORD);
    let (status, v) = call(
        &s,
        &ops,
        "GET",
        &format!("/api/v1/device-commands?mn={}&origin=backfill", mn("T-GAP")),
        Value::Null,
    );
    assert_eq!(status, 200, "{v}");
    let log = v["commands"].as_array().unwrap();
    assert_eq!(log.len(), 1, "one history request: {v}");
    let c = &log[0];
    assert_eq!(
        (
            c["cn"].as_i64(),
            c["state"].as_str(),
            c["records_expected"].as_i64(),
            c["records_received"].as_i64(),
            c["qn_rtn"].as_i64(),
            c["exe_rtn"].as_i64()
        ),
        (Some(2061), Some("done"), Some(2), Some(2), Some(1), Some(1)),
        "{c}"
    );
    assert_eq!(c["begin"], cst::format_minute(base + 10 * cst::HOUR_S));
    assert_eq!(c["end"], cst::format_minute(base + 11 * cst::HOUR_S));

    let from = cst::format_minute(base).replace(' ', "%20");
    let to = cst::format_minute(base + cst::DAY_S).replace(' ', "%20");
    let (status, v) = call(
        &s,
        &ops,
        "GET",
        &format!("/api/v1/backfilled?station=T-GAP&from={from}&to={to}"),
        Value::Null,
    );
    assert_eq!(status, 200, "{v}");
    let marks: Vec<(String, String, i64)> = v["marks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["time"].as_str().unwrap().to_owned(),
                m["origin"].as_str().unwrap().to_owned(),
                m["command_id"].as_i64().unwrap(),
            )
        })
        .collect();
    let id = c["id"].as_i64().unwrap();
    assert_eq!(
        marks,
        vec![
            (
                cst::format_minute(base + 10 * cst::HOUR_S),
                "request".to_owned(),
                id
            ),
            (
                cst::format_minute(base + 11 * cst::HOUR_S),
                "request".to_owned(),
                id
            ),
        ]
    );
    // All 24 hours are queryable.
    let (status, v) = call(&s, &ops, "GET", "/api/v1/device-control", Value::Null);
    assert_eq!(status, 200, "{v}");
    let dev = &v["devices"][0];
    assert_eq!(
        (
            dev["records_asked"].as_i64(),
            dev["records_received"].as_i64()
        ),
        (Some(2), Some(2)),
        "{v}"
    );
    assert_eq!(dev["connected"], true, "{v}");
    let drift = dev["drift_s"]
        .as_i64()
        .expect("the clock was read at login");
    assert!(drift.abs() <= 5, "{v}");

    // The integrity scan: the 22 hours the logger sent a week late on its own raise the
    // `backfilled` alarm; the two the platform asked for do not count.
    let bureau = login(&s.http, "bureau1", PASSWORD);
    let day = cst::date_of(base);
    let scan = json!({ "from": day.to_string(), "to": day.add_days(1).to_string() });
    let (status, v) = call(&s, &bureau, "POST", "/api/v1/integrity/scan", scan);
    assert_eq!(status, 200, "{v}");
    let (status, v) = call(
        &s,
        &bureau,
        "GET",
        "/api/v1/alarms?station=T-GAP&rule=backfilled",
        Value::Null,
    );
    assert_eq!(status, 200, "{v}");
    let mut late_hours = 0.0;
    for a in v["items"].as_array().unwrap() {
        let (_, detail) = call(
            &s,
            &bureau,
            "GET",
            &format!("/api/v1/alarms/{}", a["id"]),
            Value::Null,
        );
        late_hours += detail["alarm"]["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "hours")
            .unwrap()["value"]
            .as_f64()
            .unwrap();
    }
    assert_eq!(late_hours, 22.0, "{v}");

    // An operator's command through the API, sent on the logger's connection.
    let path = format!("/api/v1/devices/{}/commands", mn("T-GAP"));
    let (status, v) = call(
        &s,
        &ops,
        "POST",
        &path,
        json!({ "kind": "get_rtd_interval" }),
    );
    assert_eq!(status, 200, "{v}");
    let cmd_id = v["id"].as_i64().unwrap();
    assert_eq!(v["state"], "queued");
    lg.serve(Duration::from_secs(15), |l| {
        l.asked.iter().any(|a| a.0 == 1061)
    });
    lg.serve(Duration::from_secs(2), |_| false);
    let (status, v) = call(
        &s,
        &ops,
        "GET",
        &format!("/api/v1/device-commands/{cmd_id}"),
        Value::Null,
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        (
            v["state"].as_str(),
            v["reply"].as_str(),
            v["requested_by"].as_str()
        ),
        (Some("done"), Some("RtdInterval=30"), Some("ops1")),
        "{v}"
    );
    // Not another contractor's, not a township's; ranges checked.
    for who in ["ops2", "town1"] {
        let l = login(&s.http, who, PASSWORD);
        let (status, v) = call(&s, &l, "POST", &path, json!({ "kind": "get_time" }));
        assert_eq!(status, 403, "{who}: {v}");
    }
    let (status, v) = call(
        &s,
        &ops,
        "POST",
        &path,
        json!({ "kind": "set_rtd_interval", "seconds": 10 }),
    );
    assert_eq!(status, 400, "{v}");
    assert!(v.to_string().contains("30–3600"), "{v}");
}

#[test]
fn a_queued_command_is_cancelled_once_by_who_may_command_its_device() {
    let dir = super::temp_dir("command-cancel");
    let d = dir.to_str().unwrap();
    township_station(
        &dir,
        "T-CAN",
        "取消站",
        &[
            ("ops1", Role::Operations, Some("ops-co")),
            ("ops2", Role::Operations, Some("other-co")),
        ],
    );
    // No gateway runs: a calibration queued by mistake waits for its device.
    let sent = super::lantian_ok(&[
        "device-command",
        "send",
        "--data-dir",
        d,
        "--as",
        "ops1",
        &mn("T-CAN"),
        "calibrate",
        "--pol-id",
        "a21026",
    ]);
    let queued: Value = serde_json::from_slice(&sent.stdout).unwrap();
    assert_eq!(queued["state"], "queued", "{queued}");
    let id = queued["id"].as_i64().unwrap().to_string();
    let cancel = |who: &str| {
        super::lantian(&[
            "device-command",
            "cancel",
            "--data-dir",
            d,
            "--as",
            who,
            &id,
        ])
    };
    let other = cancel("ops2");
    assert!(!other.status.success(), "another contractor may not");
    let done = cancel("ops1");
    assert!(done.status.success(), "{}", super::stderr(&done));
    let v: Value = serde_json::from_slice(&done.stdout).unwrap();
    assert_eq!(
        (v["state"].as_str(), v["state_zh"].as_str()),
        (Some("cancelled"), Some("已取消")),
        "{v}"
    );
    assert!(v["note"].as_str().unwrap().contains("ops1"), "{v}");
    let again = cancel("ops1");
    assert!(!again.status.success());
    assert!(
        super::stderr(&again).contains("只能取消排队中的命令"),
        "{}",
        super::stderr(&again)
    );
}
