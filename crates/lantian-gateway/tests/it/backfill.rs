//! Reverse control over real TCP (issue 22): a simulated logger that keeps its hours and
//! answers history requests like a real one (9011, one packet per record with the request's
//! QN, each answered 9014, then 9012) skips two hours; the gateway asks for them by itself,
//! they are stored, marked `request` and logged 2 asked / 2 received. A logger that never
//! answers gets its retries and then `timeout`, within the daily cap; clocks 5 minutes off
//! get a 1012, 10 s off do not; an operator's command queued in the store is sent, answered
//! and recorded.

use crate::{Device, Gw, MN, PW, WAIT, hourly, parsed, quiet};
use lantian_gateway::Config;
use lantian_gateway::control::Settings;
use lantian_hj212::decode;
use lantian_hj212::encode::{Header, encode};
use lantian_hj212::{Command, Flag, Timestamp};
use lantian_store::device_commands::{CommandFilter, CommandRow, CommandState};
use lantian_store::{Period, View};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const H: i64 = 3600;

/// Seconds since the epoch in Beijing time.
fn now_cst_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + 8 * H
}

fn n14(cst_s: i64) -> String {
    let t = lantian_gateway::mapping::timestamp(cst_s);
    t.n14()
}

fn control(c: Settings) -> Config {
    Config {
        control: c,
        ..quiet()
    }
}

/// Fast limits for tests; no clock checks unless asked.
fn fast() -> Settings {
    Settings {
        time_sync: false,
        answer_timeout: Duration::from_millis(400),
        done_timeout: Duration::from_secs(3),
        request_spacing: Duration::ZERO,
        poll_every: Duration::from_millis(100),
        ..Settings::default()
    }
}

fn frame(qn: &str, cn: u16, flag: u8, cp: &str) -> Vec<u8> {
    encode(
        &Header {
            qn: Some(qn),
            st: "22",
            cn: Command(cn),
            pw: Some(PW),
            mn: Some(MN),
            flag: Some(Flag(flag)),
            pnum: None,
            pno: None,
            resend: false,
        },
        cp,
    )
}

/// A logger: its hours (CST start → PM2.5), what the gateway asked of it.
struct Logger {
    dev: Device,
    hours: BTreeMap<i64, f64>,
    /// Every host command received: (CN, QN).
    asked: Vec<(u16, String)>,
    /// Answer history requests and clock reads.
    answers: bool,
    /// The logger's clock minus Beijing time, seconds.
    clock_off_s: i64,
    seq: u32,
}

impl Logger {
    async fn connect(gw: &Gw, hours: BTreeMap<i64, f64>) -> Logger {
        Logger {
            dev: Device::connect(gw.addr).await,
            hours,
            asked: Vec::new(),
            answers: true,
            clock_off_s: 0,
            seq: 0,
        }
    }

    fn qn(&mut self) -> String {
        self.seq += 1;
        format!("20260101000000{:03}", self.seq % 1000)
    }

    /// Sends hour `ts` live and handles what comes back until its 9014.
    async fn send_hour(&mut self, ts: i64) {
        let qn = self.qn();
        let v = self.hours[&ts];
        self.dev.send(&hourly(&qn, &n14(ts), v, PW, MN)).await;
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            let Some(f) = self.dev.recv(Duration::from_secs(10)).await else {
                break;
            };
            let p = parsed(&f);
            if p.cn.0 == 9014 && p.qn == Some(qn.as_str()) {
                return;
            }
            let (cn, q) = (p.cn.0, p.qn.unwrap_or_default().to_owned());
            let cp = p.cp.to_owned();
            self.host_command(cn, &q, &cp).await;
        }
        panic!("hour {} not acknowledged", n14(ts));
    }

    /// Serves host commands for `d`.
    async fn serve_for(&mut self, d: Duration) {
        let until = Instant::now() + d;
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            let Some(f) = self.dev.recv(left).await else {
                break;
            };
            let p = parsed(&f);
            let (cn, q) = (p.cn.0, p.qn.unwrap_or_default().to_owned());
            let cp = p.cp.to_owned();
            self.host_command(cn, &q, &cp).await;
        }
    }

    async fn host_command(&mut self, cn: u16, qn: &str, cp: &str) {
        if cn == 9014 {
            return;
        }
        self.asked.push((cn, qn.to_owned()));
        if !self.answers {
            return;
        }
        self.dev.send(&frame(qn, 9011, 4, "QnRtn=1")).await;
        match cn {
            2061 => {
                let field = |name: &str| {
                    cp.split(';')
                        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                        .and_then(Timestamp::parse)
                        .and_then(|t| lantian_gateway::mapping::cst_seconds(&t))
                        .unwrap()
                };
                let (b, e) = (field("BeginTime"), field("EndTime"));
                let records: Vec<(i64, f64)> =
                    self.hours.range(b..=e).map(|(t, v)| (*t, *v)).collect();
                for (t, v) in records {
                    // One packet per record with the request's QN, answered 9014.
                    self.dev.send(&hourly(qn, &n14(t), v, PW, MN)).await;
                    let ack = self.dev.recv_cn(9014, Duration::from_secs(10)).await;
                    assert!(ack.is_some(), "a back-filled hour is acknowledged");
                }
            }
            1011 => {
                let t = n14(now_cst_s() + self.clock_off_s);
                self.dev
                    .send(&frame(qn, 1011, 4, &format!("SystemTime={t}")))
                    .await;
            }
            1061 => {
                self.dev.send(&frame(qn, 1061, 4, "RtdInterval=30")).await;
            }
            _ => {}
        }
        self.dev.send(&frame(qn, 9012, 4, "ExeRtn=1")).await;
    }
}

fn commands(gw: &Gw) -> Vec<CommandRow> {
    gw.store
        .device_commands(&CommandFilter {
            mn: Some(MN.to_owned()),
            ..CommandFilter::default()
        })
        .unwrap()
}

/// Six hours two days ago.
fn six_hours() -> (i64, BTreeMap<i64, f64>) {
    let base = now_cst_s() - now_cst_s().rem_euclid(H) - 48 * H;
    let hours = (0..6).map(|i| (base + i * H, 30.0 + i as f64)).collect();
    (base, hours)
}

async fn gap_run(tag: &str, settings: Settings) -> (Gw, i64) {
    let gw = Gw::start(tag, control(settings)).await;
    let (base, hours) = six_hours();
    let mut lg = Logger::connect(&gw, hours).await;
    // Hours 3 and 4 are skipped live (the link was down).
    for i in [0, 1, 2, 5] {
        lg.send_hour(base + i * H).await;
    }
    lg.serve_for(Duration::from_secs(3)).await;
    drop(lg);
    tokio::time::sleep(Duration::from_millis(300)).await;
    gw.projected().await;
    (gw, base)
}

#[tokio::test]
async fn a_two_hour_gap_is_asked_for_stored_and_marked() {
    let (mut gw, base) = gap_run("backfill-gap", fast()).await;
    let log = commands(&gw);
    assert_eq!(log.len(), 1, "one history request: {log:?}");
    let c = &log[0];
    assert_eq!(
        (c.cn, c.origin.as_str(), c.state, c.qn_rtn, c.exe_rtn),
        (2061, "backfill", CommandState::Done, Some(1), Some(1)),
        "{c:?}"
    );
    assert_eq!((c.records_expected, c.records_received), (Some(2), 2));
    assert_eq!(
        (c.begin_ts, c.end_ts),
        (Some(base + 3 * H), Some(base + 4 * H))
    );
    assert_eq!(
        c.params,
        format!(
            "BeginTime={};EndTime={}",
            n14(base + 3 * H),
            n14(base + 4 * H)
        )
    );
    // The two hours are stored …
    let pm = gw
        .store
        .series(
            "XJ-01",
            "a34004",
            Period::Hour,
            base,
            base + 6 * H,
            View::Raw,
        )
        .unwrap();
    let got: Vec<(i64, f64)> = pm.iter().map(|p| (p.ts, p.value)).collect();
    assert_eq!(
        got,
        (0..6)
            .map(|i| (base + i * H, 30.0 + i as f64))
            .collect::<Vec<_>>()
    );
    // … marked as asked for by the platform …
    let marks = gw
        .store
        .backfilled_marks("XJ-01", "hour", base, base + 6 * H)
        .unwrap();
    let marked: Vec<(i64, &str, Option<i64>)> = marks
        .iter()
        .map(|m| (m.ts, m.origin.as_str(), m.command_id))
        .collect();
    assert_eq!(
        marked,
        vec![
            (base + 3 * H, "request", Some(c.id)),
            (base + 4 * H, "request", Some(c.id))
        ]
    );
    // … and archived with the request's verdict.
    let packets = gw
        .store
        .packets_of_hours("XJ-01", &["a34004"], base + 3 * H, base + 5 * H)
        .unwrap();
    assert!(
        packets
            .iter()
            .all(|p| p.0 == lantian_store::archive::MAIN_CHAIN)
    );
    let seqs: Vec<i64> = packets.iter().map(|p| p.1).collect();
    let verdicts: Vec<String> = gw
        .store
        .archive_records(lantian_store::archive::MAIN_CHAIN, &seqs)
        .unwrap()
        .into_iter()
        .map(|r| r.verdict)
        .collect();
    assert_eq!(
        verdicts,
        vec![format!("accepted: back-fill (command {})", c.id); 2]
    );
    gw.stop().await;
}

#[tokio::test]
async fn without_back_fill_the_gap_stays() {
    // The mutation check built in: the same logger with back-fill off leaves the gap.
    let (mut gw, base) = gap_run(
        "backfill-off",
        Settings {
            backfill: false,
            ..fast()
        },
    )
    .await;
    assert_eq!(commands(&gw), Vec::new(), "nothing asked for");
    let n = gw
        .store
        .series(
            "XJ-01",
            "a34004",
            Period::Hour,
            base,
            base + 6 * H,
            View::Raw,
        )
        .unwrap()
        .len();
    assert_eq!(n, 4, "hours 3 and 4 missing");
    gw.stop().await;
}

#[tokio::test]
async fn a_silent_logger_gets_its_retries_then_timeout_within_the_cap() {
    let gw = Gw::start(
        "backfill-silent",
        control(Settings {
            attempts_max: 2,
            requests_per_day_max: 2,
            ..fast()
        }),
    )
    .await;
    // Three gaps: hours 1, 3 and 5 missing.
    let base = now_cst_s() - now_cst_s().rem_euclid(H) - 48 * H;
    let hours: BTreeMap<i64, f64> = (0..7).map(|i| (base + i * H, 20.0)).collect();
    let mut lg = Logger::connect(&gw, hours).await;
    lg.answers = false;
    for i in [0, 2, 4, 6] {
        lg.send_hour(base + i * H).await;
    }
    lg.serve_for(Duration::from_secs(4)).await;
    let requests: Vec<&(u16, String)> = lg.asked.iter().filter(|(cn, _)| *cn == 2061).collect();
    // Two requests (the daily cap), each sent twice with its QN, then nothing.
    assert_eq!(requests.len(), 4, "{:?}", lg.asked);
    assert_eq!(requests[0].1, requests[1].1, "a retry keeps its QN");
    assert_eq!(requests[2].1, requests[3].1);
    assert_ne!(requests[0].1, requests[2].1);
    let log = commands(&gw);
    let states: Vec<(CommandState, i64, i64)> = log
        .iter()
        .map(|c| (c.state, c.attempts, c.records_received))
        .collect();
    assert_eq!(states, vec![(CommandState::Timeout, 2, 0); 2], "{log:?}");
    drop(lg);
    let mut gw = gw;
    gw.stop().await;
}

async fn clock_run(tag: &str, off_s: i64) -> (Vec<u16>, Vec<CommandRow>) {
    // The set-up on (the clock is read at login as part of it), its own commands off.
    let config = Config {
        setup: lantian_gateway::Setup {
            enabled: true,
            set_time: false,
            rtd_interval_s: None,
            min_interval_min: None,
        },
        ..control(Settings {
            time_sync: true,
            backfill: false,
            ..fast()
        })
    };
    let mut gw = Gw::start(tag, config).await;
    let (base, hours) = six_hours();
    let mut lg = Logger::connect(&gw, hours).await;
    lg.clock_off_s = off_s;
    lg.send_hour(base).await;
    lg.serve_for(Duration::from_secs(2)).await;
    let asked = lg.asked.iter().map(|a| a.0).collect();
    drop(lg);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = commands(&gw);
    gw.stop().await;
    (asked, log)
}

#[tokio::test]
async fn a_clock_five_minutes_off_is_set_and_ten_seconds_off_is_not() {
    let (asked, log) = clock_run("clock-off", 300).await;
    assert_eq!(asked, vec![1011, 1012], "read, then set");
    let read = log.iter().find(|c| c.cn == 1011).unwrap();
    let drift = read.drift_s.unwrap();
    assert!((295..=305).contains(&drift), "drift {drift}");
    assert_eq!(read.state, CommandState::Done);
    assert!(read.reply.starts_with("SystemTime="), "{read:?}");
    let set = log.iter().find(|c| c.cn == 1012).unwrap();
    assert_eq!(
        (set.origin.as_str(), set.drift_s),
        ("time_sync", Some(drift))
    );
    assert_eq!(set.state, CommandState::Done);

    let (asked, log) = clock_run("clock-near", 10).await;
    assert_eq!(asked, vec![1011], "read only");
    let drift = log[0].drift_s.unwrap();
    assert!((5..=15).contains(&drift), "drift {drift}");
}

#[tokio::test]
async fn an_operators_command_waits_for_its_device_and_records_the_reply() {
    let mut gw = Gw::start("operator-cmd", control(fast())).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let expired = gw
        .store
        .insert_device_command(&CommandRow::new(
            MN,
            "XJ-01",
            1063,
            "",
            "operator",
            "ops",
            now - 7_200_000,
            now - 3_600_000,
        ))
        .unwrap();
    let (base, hours) = six_hours();
    let mut lg = Logger::connect(&gw, hours).await;
    lg.send_hour(base).await;
    lg.serve_for(Duration::from_secs(1)).await;
    // Queued while the device is connected and idle (as from the UI).
    let queued = gw
        .store
        .insert_device_command(&CommandRow::new(
            MN,
            "XJ-01",
            1061,
            "",
            "operator",
            "ops",
            now,
            now + 3_600_000,
        ))
        .unwrap();
    lg.serve_for(Duration::from_secs(2)).await;
    assert_eq!(
        lg.asked.iter().map(|a| a.0).collect::<Vec<_>>(),
        vec![1061],
        "the queued command, not the expired one"
    );
    drop(lg);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let c = gw.store.device_command(queued.id).unwrap();
    assert_eq!(
        (c.state, c.qn_rtn, c.exe_rtn, c.reply.as_str()),
        (CommandState::Done, Some(1), Some(1), "RtdInterval=30")
    );
    let e = gw.store.device_command(expired.id).unwrap();
    assert_eq!(e.state, CommandState::Expired);
    gw.stop().await;
}

/// HJ 212-2025: a logger that encrypts gets its history request sealed with its key (the
/// data area SM4-encrypted, the header clear), and its sealed answers are stored and marked.
#[tokio::test]
async fn a_2025_loggers_history_request_is_sealed_with_its_key() {
    use lantian_hj212::sm4::{self, Key, Wire};
    const MN25: &str = "0A0000A8900016F0001BF025";
    const K: &str = "8A1F03C2D94E7B665A0E11F3C8297D04";
    let key = Key::from_hex(K).unwrap();
    let mut gw = Gw::start("backfill-2025", control(fast())).await;
    gw.store.add_device(MN25, PW, "XJ-01", "2025", 0).unwrap();
    gw.store
        .set_device_key(MN25, K, "binary", 0, "bureau")
        .unwrap();
    let frame25 = |qn: &str, cn: u16, cp: &str| {
        encode(
            &Header {
                qn: Some(qn),
                st: "22",
                cn: Command(cn),
                pw: Some(PW),
                mn: Some(MN25),
                flag: Some(Flag(9)),
                pnum: None,
                pno: None,
                resend: false,
            },
            cp,
        )
    };
    let hour = |qn: &str, ts: i64| {
        let f = frame25(
            qn,
            2061,
            &format!("DataTime={};a34004-Avg=41,a34004-Flag=N", n14(ts)),
        );
        sm4::encrypt_frame(&f, &key, Wire::Binary)
    };
    let (base, _) = six_hours();
    let mut d = Device::connect(gw.addr).await;
    for (i, h) in [0, 1, 4].into_iter().enumerate() {
        let qn = format!("2026010100000000{i}");
        d.send(&hour(&qn, base + h * H)).await;
        let ack = d.recv_cn(9014, WAIT).await.unwrap();
        assert_eq!(parsed(&ack).qn, Some(qn.as_str()));
    }
    // The request: its header clear, its data area sealed.
    let (plain, raw) = loop {
        let f = d.recv(WAIT).await.expect("a history request");
        if let Ok(p) = sm4::decrypt_frame(&f, &key, Wire::Binary)
            && decode(&p, &lantian_hj212::Limits::default()).is_ok_and(|x| x.cn.0 == 2061)
        {
            break (p, f);
        }
    };
    assert_ne!(plain, raw, "sealed");
    let req = parsed(&plain);
    let qn = req.qn.unwrap().to_owned();
    assert_eq!(
        (req.cp_value("BeginTime"), req.cp_value("EndTime")),
        (
            Some(n14(base + 2 * H).as_str()),
            Some(n14(base + 3 * H).as_str())
        )
    );
    d.send(&frame25(&qn, 9011, "QnRtn=1")).await;
    for h in [2, 3] {
        d.send(&hour(&qn, base + h * H)).await;
        assert!(d.recv_cn(9014, WAIT).await.is_some());
    }
    d.send(&frame25(&qn, 9012, "ExeRtn=1")).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let log = gw
        .store
        .device_commands(&CommandFilter {
            mn: Some(MN25.to_owned()),
            ..CommandFilter::default()
        })
        .unwrap();
    let c = log.iter().find(|c| c.cn == 2061).unwrap();
    assert_eq!(
        (c.state, c.records_received, c.exe_rtn),
        (CommandState::Done, 2, Some(1)),
        "{c:?}"
    );
    // An RF=1 resend of hour 0 (the logger sends it again on its own): marked `resend`.
    let again = encode(
        &Header {
            qn: Some("20260101000000009"),
            st: "22",
            cn: Command(2061),
            pw: Some(PW),
            mn: Some(MN25),
            flag: Some(Flag(9)),
            pnum: None,
            pno: None,
            resend: true,
        },
        &format!("DataTime={};a34004-Avg=41,a34004-Flag=N", n14(base)),
    );
    d.send(&sm4::encrypt_frame(&again, &key, Wire::Binary))
        .await;
    assert!(d.recv_cn(9014, WAIT).await.is_some());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let marks: Vec<(i64, String)> = gw
        .store
        .backfilled_marks("XJ-01", "hour", base, base + 6 * H)
        .unwrap()
        .into_iter()
        .map(|m| (m.ts, m.origin))
        .collect();
    assert_eq!(
        marks,
        vec![
            (base, "resend".to_owned()),
            (base + 2 * H, "request".to_owned()),
            (base + 3 * H, "request".to_owned())
        ]
    );
    gw.stop().await;
}

/// A logger that reconnects after an outage and sends only the hour that just ended: the
/// hours between the store's latest and that one are asked for a while after the login.
#[tokio::test]
async fn hours_missed_while_disconnected_are_asked_for_after_the_login() {
    let mut gw = Gw::start(
        "backfill-login",
        control(Settings {
            login_check_after: Duration::from_millis(300),
            ..fast()
        }),
    )
    .await;
    let this_hour = now_cst_s() - now_cst_s().rem_euclid(H);
    let base = this_hour - 6 * H;
    let hours: BTreeMap<i64, f64> = (0..6).map(|i| (base + i * H, 50.0 + i as f64)).collect();
    let mut before = Logger::connect(&gw, hours.clone()).await;
    for i in [0, 1] {
        before.send_hour(base + i * H).await;
    }
    drop(before);
    gw.projected().await;
    // Back after the outage: the hour that just ended, live.
    let mut lg = Logger::connect(&gw, hours).await;
    lg.send_hour(base + 5 * H).await;
    lg.serve_for(Duration::from_secs(3)).await;
    let asked: Vec<u16> = lg.asked.iter().map(|a| a.0).collect();
    assert_eq!(asked, vec![2061], "one request");
    drop(lg);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let c = &commands(&gw)[0];
    assert_eq!(
        (c.begin_ts, c.end_ts, c.records_received, c.state),
        (
            Some(base + 2 * H),
            Some(base + 4 * H),
            3,
            CommandState::Done
        ),
        "{c:?}"
    );
    gw.projected().await;
    let n = gw
        .store
        .series(
            "XJ-01",
            "a34004",
            Period::Hour,
            base,
            base + 6 * H,
            View::Raw,
        )
        .unwrap()
        .len();
    assert_eq!(n, 6);
    gw.stop().await;
}
