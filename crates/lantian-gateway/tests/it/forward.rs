//! Forwarding upstream over real TCP: three devices send through the gateway to a local
//! upstream receiver that drops and delays answers, cuts connections and is restarted on
//! the same port; a queue too small for an outage raises its alarm and the gap is queued
//! again from the archive.

use super::*;
use lantian_gateway::forward::receiver::{Faults, Log, Received, Receiver};
use lantian_gateway::forward::{Destination, Settings};
use std::collections::{BTreeMap, HashMap};

const MNS: [&str; 3] = [MN, "010000A8900016F000169DC1", "010000A8900016F000169DC2"];

fn forwarding(dir: &std::path::Path, upstream: std::net::SocketAddr, queue_bytes: u64) -> Config {
    let mut dest = Destination::new("prov", &upstream.to_string());
    dest.ack_timeout = Duration::from_millis(400);
    dest.tries_per_connection = 2;
    dest.backoff_max = Duration::from_millis(300);
    dest.window = 8;
    dest.queue_bytes_max = queue_bytes;
    Config {
        forward: Some(Settings {
            dir: dir.join("forward"),
            destinations: vec![dest],
            fsync: true,
        }),
        ..quiet()
    }
}

async fn gateway(tag: &str, upstream: std::net::SocketAddr, queue_bytes: u64) -> Gw {
    let dir = std::env::temp_dir().join(format!("lantian-gw-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Store::open_data_dir(&dir).unwrap();
    register_all(&store);
    let config = forwarding(&dir, upstream, queue_bytes);
    Gw::start_on(store, config, dir, None).await
}

/// Station XJ-01 with the three devices (blocking: outside the runtime on PostgreSQL).
fn register_all(store: &Store) {
    register(store);
    for mn in &MNS[1..] {
        store.add_device(mn, PW, "XJ-01", "2017", 0).unwrap();
    }
}

/// Device `d` sends hours `hours` (DataTime 2025-09-25 + h), each after the last was answered.
async fn send_hours(addr: SocketAddr, mn: &'static str, hours: std::ops::Range<u32>, rf: bool) {
    let mut dev = Device::connect(addr).await;
    for h in hours {
        let (day, hour) = (25 + h / 24, h % 24);
        let qn = format!("202509{day:02}{hour:02}0000{:03}", h % 1000);
        let data_time = format!("202509{day:02}{hour:02}0000");
        let header = Header {
            qn: Some(&qn),
            st: "22",
            cn: Command::HOURLY_DATA,
            pw: Some(PW),
            mn: Some(mn),
            flag: Some(Flag(5)),
            pnum: None,
            pno: None,
            resend: rf,
        };
        dev.send(&encode(
            &header,
            &format!("DataTime={data_time};a34004-Avg={h},a34004-Flag=N"),
        ))
        .await;
        assert!(
            dev.recv_cn(9014, WAIT).await.is_some(),
            "{mn} hour {h}: no answer from the gateway"
        );
    }
}

fn metric(gw: &Gw, name: &str) -> u64 {
    metric_of(gw, name, "prov")
}

fn metric_of(gw: &Gw, name: &str, dest: &str) -> u64 {
    let text = gw.metrics.render_prometheus();
    let key = format!("lantian_forward_{name}{{dest=\"{dest}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&key))
        .unwrap_or_else(|| panic!("{key} missing from /metrics:\n{text}"))
        .parse()
        .unwrap()
}

/// Waits until the receiver has every (MN, DataTime) of `expected` and nothing is pending.
async fn all_arrive(gw: &Gw, log: &Log, expected: &[(String, String)], secs: u64) {
    let until = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let got: std::collections::HashSet<(String, String)> = log
            .lock()
            .unwrap()
            .iter()
            .map(|r| (r.mn.clone(), r.data_time.clone()))
            .collect();
        let missing: Vec<_> = expected.iter().filter(|k| !got.contains(k)).collect();
        if missing.is_empty() && metric(gw, "queue_pending") == 0 && metric(gw, "queue_full") == 0 {
            return;
        }
        assert!(
            std::time::Instant::now() < until,
            "after {secs} s, {} packets never arrived upstream (first: {:?}); pending {}, full {}",
            missing.len(),
            missing.first(),
            metric(gw, "queue_pending"),
            metric(gw, "queue_full")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn expected(hours: u32) -> Vec<(String, String)> {
    MNS.iter()
        .flat_map(|mn| {
            (0..hours).map(move |h| {
                let (day, hour) = (25 + h / 24, h % 24);
                (mn.to_string(), format!("202509{day:02}{hour:02}0000"))
            })
        })
        .collect()
}

/// The acceptance checks: valid frames; the first copy of each packet in order per device;
/// every later copy with RF=1; no live (RF-less) packet twice. Returns the copies that
/// were resends.
fn check_log(log: &[Received]) -> usize {
    assert!(
        log.iter().all(|r| r.valid),
        "a forwarded frame did not decode"
    );
    let mut copies: HashMap<(String, String), u32> = HashMap::new();
    let mut live: HashMap<(String, String), u32> = HashMap::new();
    let mut last_first: BTreeMap<String, String> = BTreeMap::new();
    let mut resends = 0;
    for r in log {
        let key = (r.mn.clone(), r.data_time.clone());
        let n = copies.entry(key.clone()).or_default();
        *n += 1;
        if *n == 1 {
            if let Some(prev) = last_first.get(&r.mn) {
                assert!(
                    prev < &r.data_time,
                    "{}: first copy of {} arrived after {} (order per device)",
                    r.mn,
                    r.data_time,
                    prev
                );
            }
            last_first.insert(r.mn.clone(), r.data_time.clone());
        } else {
            assert!(r.resend, "{key:?}: copy {n} arrived without RF=1");
        }
        if r.resend {
            resends += 1;
        } else {
            let l = live.entry(key.clone()).or_default();
            *l += 1;
            assert_eq!(*l, 1, "{key:?}: sent twice as live data");
        }
    }
    resends
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_packet_arrives_once_live_in_order_through_drops_delays_cuts_and_a_restart() {
    let log: Log = Default::default();
    let faults = Faults {
        drop_answer_every: 7,
        delay_every: 5,
        delay: Duration::from_millis(250),
        disconnect_every: 23,
    };
    let up = Receiver::start("127.0.0.1:0", faults, Some(log.clone()))
        .await
        .unwrap();
    let upstream = up.addr;
    let mut gw = gateway("fwd-faults", upstream, 1 << 20).await;
    let hours = 40;
    let senders: Vec<_> = MNS
        .iter()
        .map(|mn| tokio::spawn(send_hours(gw.addr, mn, 0..hours / 2, false)))
        .collect();
    for s in senders {
        s.await.unwrap();
    }
    // The platform restarts: connections dropped, nothing listening for a while.
    up.stop().await;
    let senders: Vec<_> = MNS
        .iter()
        .map(|mn| tokio::spawn(send_hours(gw.addr, mn, hours / 2..hours, false)))
        .collect();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let up = Receiver::start(&upstream.to_string(), faults, Some(log.clone()))
        .await
        .unwrap();
    for s in senders {
        s.await.unwrap();
    }
    all_arrive(&gw, &log, &expected(hours), 60).await;
    let log_now = log.lock().unwrap().clone();
    let resends = check_log(&log_now);
    // The faults happened: answers were lost and packets went again.
    assert!(
        resends > 0 && metric(&gw, "resent_total") > 0,
        "no resends: the faults did not bite"
    );
    assert!(metric(&gw, "errors_total") > 0, "no connection was lost");
    assert_eq!(metric(&gw, "queued_total"), u64::from(hours) * 3);
    assert_eq!(metric(&gw, "acknowledged_total"), u64::from(hours) * 3);
    assert_eq!(metric(&gw, "not_queued_total"), 0);
    assert_eq!(metric(&gw, "connected"), 1);
    // A packet the device itself marks as a resend (RF=1) never goes upstream as live data.
    send_hours(gw.addr, MNS[2], hours..hours + 1, true).await;
    let key = (MNS[2].to_owned(), "20250926160000".to_owned());
    let mut exp = expected(hours);
    exp.push(key.clone());
    all_arrive(&gw, &log, &exp, 30).await;
    let log_now = log.lock().unwrap().clone();
    check_log(&log_now);
    assert!(
        log_now
            .iter()
            .filter(|r| (r.mn.clone(), r.data_time.clone()) == key)
            .all(|r| r.resend),
        "a device resend went upstream as live data"
    );
    gw.stop().await;
    up.stop().await;
}

/// A port with nothing listening: the upstream is down.
fn closed_port() -> std::net::SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// The full-queue scenario on a gateway forwarding to `upstream` (down) with a 4096-byte
/// queue: the alarm, the count, every device answered; then the upstream comes back and the
/// gap is delivered from the archive.
async fn full_queue_then_gap(gw: &mut Gw, upstream: std::net::SocketAddr) {
    let hours = 12;
    for mn in MNS {
        send_hours(gw.addr, mn, 0..hours, false).await;
    }
    let not_queued = metric(gw, "not_queued_total");
    assert!(
        not_queued > 0,
        "a 4096-byte queue took {} packets",
        metric(gw, "queued_total")
    );
    assert_eq!(
        metric(gw, "queued_total") + not_queued,
        u64::from(hours) * 3
    );
    assert_eq!(metric(gw, "queue_full"), 1, "the alarm is raised");
    assert!(metric(gw, "queue_bytes") <= 4096);
    // Every device was answered all the same (the data are in the archive), and the alarm
    // is in the store for the alert rules.
    let store = gw.store.clone();
    let (archived, alarms) =
        tokio::task::spawn_blocking(move || (store.counts().unwrap().0, store.forward_alarms()))
            .await
            .unwrap();
    assert_eq!(archived, i64::from(hours) * 3);
    let alarms = alarms.unwrap();
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    assert_eq!(
        (alarms[0].dest.as_str(), alarms[0].reason.as_str()),
        ("prov", "queue full (4096 bytes)")
    );
    // The upstream comes back: the queue drains, the gap follows from the archive (RF=1).
    let log: Log = Default::default();
    let up = Receiver::start(&upstream.to_string(), Faults::default(), Some(log.clone()))
        .await
        .unwrap();
    all_arrive(gw, &log, &expected(hours), 60).await;
    assert!(metric(gw, "requeued_total") >= not_queued);
    // The gap closed: the stored alarm is cleared (just after the metric).
    let until = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let store = gw.store.clone();
        let left = tokio::task::spawn_blocking(move || store.forward_alarms().unwrap())
            .await
            .unwrap();
        if left.is_empty() {
            break;
        }
        assert!(std::time::Instant::now() < until, "still raised: {left:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log_now = log.lock().unwrap().clone();
    // Gap packets come late and as resends; live copies are never doubled.
    let mut live: HashMap<(String, String), u32> = HashMap::new();
    for r in log_now.iter().filter(|r| !r.resend) {
        *live.entry((r.mn.clone(), r.data_time.clone())).or_default() += 1;
    }
    assert!(
        live.values().all(|n| *n == 1),
        "a packet went twice as live data"
    );
    gw.stop().await;
    up.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_raises_its_alarm_and_the_gap_is_queued_again_from_the_archive() {
    let upstream = closed_port();
    let mut gw = gateway("fwd-full", upstream, 4096).await;
    full_queue_then_gap(&mut gw, upstream).await;
}

#[test]
fn a_full_queue_gap_is_queued_again_from_a_postgres_archive() {
    use lantian_store::testing::{PgDb, pg_url};
    let Some(base) = pg_url() else { return };
    let db = PgDb::create(&base, "forward-full");
    let store = Store::open(&lantian_store::Location::Postgres(db.url.clone())).unwrap();
    let dir = std::env::temp_dir().join(format!("lantian-gw-{}-fwd-pg", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let upstream = closed_port();
    register_all(&store);
    let config = forwarding(&dir, upstream, 4096);
    let mut gw = rt.block_on(Gw::start_on(store, config, dir, Some(db)));
    rt.block_on(full_queue_then_gap(&mut gw, upstream));
    // The database is dropped with the gateway, outside the runtime.
    drop(gw);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destination_gets_only_its_stations_and_never_refused_packets() {
    let log: Log = Default::default();
    let up = Receiver::start("127.0.0.1:0", Faults::default(), Some(log.clone()))
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("lantian-gw-{}-fwd-st", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Store::open_data_dir(&dir).unwrap();
    register_all(&store);
    let mut config = forwarding(&dir, up.addr, 1 << 20);
    let mut other = Destination::new("other", &up.addr.to_string());
    other.stations = Some(vec!["XJ-02".into()]);
    let mut mine = Destination::new("mine", &up.addr.to_string());
    mine.stations = Some(vec!["XJ-01".into()]);
    if let Some(f) = config.forward.as_mut() {
        f.destinations.extend([other, mine]);
    }
    let mut gw = Gw::start_on(store, config, dir, None).await;
    send_hours(gw.addr, MN, 0..3, false).await;
    // A wrong password: refused, archived, never forwarded.
    let mut intruder = Device::connect(gw.addr).await;
    intruder
        .send(&hourly(
            "20250925100000001",
            "20250925100000",
            1.0,
            "wrong",
            MN,
        ))
        .await;
    assert!(intruder.recv_cn(9011, WAIT).await.is_some());
    let want: Vec<(String, String)> = (0..3)
        .map(|h| (MN.to_owned(), format!("20250925{h:02}0000")))
        .collect();
    all_arrive(&gw, &log, &want, 30).await;
    assert_eq!(
        (
            metric_of(&gw, "queued_total", "prov"),
            metric_of(&gw, "queued_total", "mine"),
            metric_of(&gw, "queued_total", "other"),
        ),
        (3, 3, 0),
        "all stations, XJ-01, XJ-02"
    );
    let until = std::time::Instant::now() + WAIT;
    while metric_of(&gw, "queue_pending", "mine") > 0 {
        assert!(std::time::Instant::now() < until, "mine did not drain");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        log.lock().unwrap().len(),
        6,
        "three packets to each of two destinations"
    );
    gw.stop().await;
    up.stop().await;
}
