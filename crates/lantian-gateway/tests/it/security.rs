//! What a peer without a device's password can do, bounded: guessing (a lockout per MN and
//! source address), made-up MNs (no per-MN state), connections per address, bytes that
//! are never a packet, archive rows of refused packets; data dated ahead of the clock; and
//! a device's password, disabling and removal taking effect without a restart.

use super::*;
use lantian_store::{Period, View};

/// A second registered device on the same station.
const MN2: &str = "010000A8900016F000169DC1";

/// Sends one hourly upload on a new connection from `from`; returns the reply's CN and CP
/// and whether the gateway then closed the connection.
async fn attempt(gw: &Gw, from: &str, qn: &str, pw: &str, mn: &str) -> (u16, String, bool) {
    let mut d = connect_from(from, gw.addr).await;
    d.send(&hourly(qn, "20250925000000", 1.0, pw, mn)).await;
    let r = d.recv(WAIT).await.expect("a reply");
    let p = parsed(&r);
    let (cn, cp) = (p.cn.0, p.cp.to_owned());
    // Nothing else is sent (no set-up commands): the next read ends the stream or waits.
    let closed = matches!(
        tokio::time::timeout(Duration::from_millis(300), d.stream.read(&mut [0u8; 1])).await,
        Ok(Ok(0)) | Ok(Err(_))
    );
    (cn, cp, closed)
}

/// The value of an unlabelled line of the Prometheus text.
fn metric(gw: &Gw, name: &str) -> u64 {
    let text = gw.metrics.render_prometheus();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} not in the metrics:\n{text}"))
        .parse()
        .unwrap()
}

fn second_device(gw: &Gw) {
    gw.store.add_device(MN2, PW, "XJ-01", "2017", 0).unwrap();
}

#[tokio::test]
async fn ten_wrong_passwords_lock_out_that_mn_from_that_address_only() {
    let mut gw = Gw::start("lockout", quiet()).await;
    second_device(&gw);
    for i in 0..10 {
        let got = attempt(
            &gw,
            "127.0.0.1",
            &format!("2025092501000{i:04}"),
            "000000",
            MN,
        )
        .await;
        assert_eq!(
            got,
            (9011, "QnRtn=3".to_owned(), true),
            "wrong password {i}"
        );
    }
    // Locked: the right password is refused without being checked.
    let got = attempt(&gw, "127.0.0.1", "20250925020000001", PW, MN).await;
    assert_eq!(got, (9011, "QnRtn=2".to_owned(), true));
    // Another address, and another MN from the same address, are not affected.
    let got = attempt(&gw, "127.0.0.2", "20250925020000002", PW, MN).await;
    assert_eq!((got.0, got.2), (9014, false), "{got:?}");
    let got = attempt(&gw, "127.0.0.1", "20250925020000003", PW, MN2).await;
    assert_eq!((got.0, got.2), (9014, false), "{got:?}");
    assert_eq!(metric(&gw, "lantian_gateway_auth_failures_total"), 10);
    assert_eq!(metric(&gw, "lantian_gateway_lockouts_total"), 1);
    assert_eq!(metric(&gw, "lantian_gateway_locked_refusals_total"), 1);
    assert_eq!(
        gw.rejects("auth: locked out after repeated wrong passwords from this address"),
        1
    );
    gw.projected().await;
    let stored = gw
        .store
        .series("XJ-01", "a34004", Period::Hour, 0, 4_000_000_000, View::Raw)
        .unwrap();
    assert_eq!(
        stored.len(),
        1,
        "only the accepted packets' hour: {stored:?}"
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_lockout_ends_when_its_window_has_passed() {
    let config = Config {
        auth_failures_max: 2,
        auth_failure_window: Duration::from_secs(1),
        ..quiet()
    };
    let mut gw = Gw::start("lockout-window", config).await;
    for qn in ["20250925010000001", "20250925010000002"] {
        assert_eq!(
            attempt(&gw, "127.0.0.1", qn, "000000", MN).await.1,
            "QnRtn=3"
        );
    }
    assert_eq!(
        attempt(&gw, "127.0.0.1", "20250925010000003", PW, MN)
            .await
            .1,
        "QnRtn=2",
        "locked"
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        attempt(&gw, "127.0.0.1", "20250925010000004", PW, MN)
            .await
            .0,
        9014,
        "the window has passed"
    );
    gw.stop().await;
}

#[tokio::test]
async fn made_up_mns_leave_no_trace_in_the_metrics_and_long_ones_are_refused() {
    let mut gw = Gw::start("unknown-mn", quiet()).await;
    for i in 0..50 {
        let mn = format!("FAKE{i:020}");
        let got = attempt(&gw, "127.0.0.1", &format!("202509250100{i:05}"), PW, &mn).await;
        assert_eq!(got, (9011, "QnRtn=4".to_owned(), true));
    }
    let long = "0123456789012345678901234"; // 25 characters
    let got = attempt(&gw, "127.0.0.1", "20250925020000001", PW, long).await;
    assert_eq!(got, (9011, "QnRtn=4".to_owned(), true));
    assert_eq!(
        gw.rejects("auth: MN longer than 24 characters (HJ 212 Table 3)"),
        1
    );
    assert_eq!(metric(&gw, "lantian_gateway_unknown_mn_total"), 50);
    let text = gw.metrics.render_prometheus();
    assert!(
        !text.contains("FAKE") && !text.contains(long),
        "a made-up MN became a label:\n{text}"
    );
    assert!(
        gw.metrics.devices().is_empty(),
        "{:?}",
        gw.metrics.devices()
    );
    // A registered device is still listed.
    let got = attempt(&gw, "127.0.0.1", "20250925030000001", PW, MN).await;
    assert_eq!(got.0, 9014);
    assert!(gw.metrics.render_prometheus().contains(&format!(
        "lantian_gateway_device_packets_total{{mn=\"{MN}\"}} 1"
    )));
    gw.stop().await;
}

#[tokio::test]
async fn an_address_gets_sixteen_connections_and_the_seventeenth_is_closed() {
    let mut gw = Gw::start("per-address", quiet()).await;
    let mut open = Vec::new();
    for _ in 0..16 {
        open.push(connect_from("127.0.0.1", gw.addr).await);
    }
    let mut extra = connect_from("127.0.0.1", gw.addr).await;
    let closed = tokio::time::timeout(WAIT, extra.stream.read(&mut [0u8; 1])).await;
    assert!(
        matches!(closed, Ok(Ok(0)) | Ok(Err(_))),
        "the 17th connection is closed at once: {closed:?}"
    );
    assert_eq!(
        metric(&gw, "lantian_gateway_connections_address_refused_total"),
        1
    );
    // Another address is served meanwhile, and a connection given back is available again.
    let got = attempt(&gw, "127.0.0.2", "20250925010000001", PW, MN).await;
    assert_eq!(got.0, 9014);
    drop(open.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let got = attempt(&gw, "127.0.0.1", "20250925010000002", PW, MN).await;
    assert_eq!(got.0, 9014);
    gw.stop().await;
}

#[tokio::test]
async fn bytes_that_never_make_a_packet_do_not_keep_a_connection_open() {
    let config = Config {
        idle_timeout: Duration::from_secs(1),
        frame_timeout: Duration::from_secs(5),
        ..quiet()
    };
    let mut gw = Gw::start("trickle", config).await;
    let mut d = Device::connect(gw.addr).await;
    let started = std::time::Instant::now();
    let mut closed_after = None;
    while started.elapsed() < Duration::from_secs(4) {
        if d.stream.write_all(b"x").await.is_err() {
            closed_after = Some(started.elapsed());
            break;
        }
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_millis(200), d.stream.read(&mut [0u8; 1])).await
        {
            closed_after = Some(started.elapsed());
            break;
        }
    }
    let closed_after = closed_after.expect("a byte every 200 ms kept the connection open for 4 s");
    assert!(closed_after < Duration::from_secs(3), "{closed_after:?}");
    assert_eq!(gw.rejects("timeout: idle connection"), 1);
    gw.stop().await;
}

#[tokio::test]
async fn refused_packets_are_archived_up_to_the_addresss_allowance_and_the_rest_counted() {
    let config = Config {
        refused_archived_per_address_per_min: 5,
        ..quiet()
    };
    let mut gw = Gw::start("archive-allowance", config).await;
    for i in 0..8 {
        let got = attempt(&gw, "127.0.0.1", &format!("2025092501{i:07}"), PW, "NOBODY").await;
        assert_eq!((got.0, got.1.as_str()), (9011, "QnRtn=4"), "{i}: answered");
    }
    assert_eq!(gw.store.counts().unwrap().0, 5, "five archived");
    assert_eq!(metric(&gw, "lantian_gateway_archive_dropped_total"), 3);
    // Another address has its own allowance; a logged-in device is never limited.
    attempt(&gw, "127.0.0.2", "20250925020000001", PW, "NOBODY").await;
    for i in 0..10 {
        let got = attempt(&gw, "127.0.0.1", &format!("2025092503{i:07}"), PW, MN).await;
        assert_eq!(got.0, 9014);
    }
    assert_eq!(gw.store.counts().unwrap().0, 16);
    gw.stop().await;
}

/// A device timestamp `offset_s` from now (China Standard Time).
fn stamp(offset_s: i64) -> (String, i64) {
    let unix_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let now_cst_s = lantian_core::cst::from_unix_ms(unix_ms);
    let ts = now_cst_s + offset_s;
    (lantian_gateway::mapping::timestamp(ts).n14(), ts)
}

#[tokio::test]
async fn values_dated_a_day_ahead_are_refused_archived_with_their_verdict_and_not_stored() {
    let mut gw = Gw::start("future", quiet()).await;
    let mut d = Device::connect(gw.addr).await;
    let (ahead, ahead_ts) = stamp(86_400);
    d.send(&hourly("20250925010000001", &ahead, 999.0, PW, MN))
        .await;
    let r = d.recv(WAIT).await.unwrap();
    assert_eq!((parsed(&r).cn.0, parsed(&r).cp), (9011, "QnRtn=2"));
    let (past, past_ts) = stamp(-3600);
    d.send(&hourly("20250925010000002", &past, 12.0, PW, MN))
        .await;
    assert!(
        d.recv_cn(9014, WAIT).await.is_some(),
        "the next valid packet, on the same connection"
    );
    let (soon, soon_ts) = stamp(300);
    d.send(&hourly("20250925010000003", &soon, 13.0, PW, MN))
        .await;
    assert!(
        d.recv_cn(9014, WAIT).await.is_some(),
        "5 minutes ahead is within the margin"
    );
    gw.projected().await;
    let archived = gw.store.archived(1, 10).unwrap();
    assert!(
        archived[0].1.verdict.starts_with("refused: dated 864")
            && archived[0]
                .1
                .verdict
                .contains("ahead of the server clock (at most 600 s)"),
        "{}",
        archived[0].1.verdict
    );
    assert_eq!(archived.len(), 3);
    let values: Vec<(i64, f64)> = gw
        .store
        .series(
            "XJ-01",
            "a34004",
            Period::Hour,
            past_ts - 10,
            ahead_ts + 10,
            View::Raw,
        )
        .unwrap()
        .into_iter()
        .map(|p| (p.ts, p.value))
        .collect();
    assert_eq!(values, [(past_ts, 12.0), (soon_ts, 13.0)]);
    assert_eq!(metric(&gw, "lantian_gateway_future_refused_total"), 1);
    gw.stop().await;
}

#[tokio::test]
async fn a_new_password_disabling_and_removal_take_effect_without_a_restart() {
    let config = Config {
        device_recheck: Duration::from_millis(100),
        ..quiet()
    };
    let mut gw = Gw::start("device-changes", config).await;
    let mut old = Device::connect(gw.addr).await;
    old.send(&hourly("20250925010000001", "20250925000000", 1.0, PW, MN))
        .await;
    assert!(old.recv_cn(9014, WAIT).await.is_some());

    gw.store.set_device_password(MN, "n3w-pass").unwrap();
    let got = attempt(&gw, "127.0.0.1", "20250925010000002", PW, MN).await;
    assert_eq!(got, (9011, "QnRtn=3".to_owned(), true), "the old password");
    let got = attempt(&gw, "127.0.0.1", "20250925010000003", "n3w-pass", MN).await;
    assert_eq!((got.0, got.2), (9014, false), "the new password");
    // A connection that logged in before the change is refused at its next check.
    tokio::time::sleep(Duration::from_millis(150)).await;
    old.send(&hourly("20250925010000004", "20250925010000", 1.0, PW, MN))
        .await;
    let r = old.recv(WAIT).await.unwrap();
    assert_eq!((parsed(&r).cn.0, parsed(&r).cp), (9011, "QnRtn=3"));

    gw.store.set_device_disabled(MN, true).unwrap();
    let got = attempt(&gw, "127.0.0.1", "20250925010000005", "n3w-pass", MN).await;
    assert_eq!(got, (9011, "QnRtn=2".to_owned(), true), "disabled");
    assert_eq!(gw.rejects("auth: device disabled"), 1);
    gw.store.set_device_disabled(MN, false).unwrap();
    let got = attempt(&gw, "127.0.0.1", "20250925010000006", "n3w-pass", MN).await;
    assert_eq!(got.0, 9014, "enabled again");

    gw.store.remove_device(MN).unwrap();
    let got = attempt(&gw, "127.0.0.1", "20250925010000007", "n3w-pass", MN).await;
    assert_eq!(got, (9011, "QnRtn=4".to_owned(), true), "removed: unknown");
    gw.stop().await;
}

#[tokio::test]
async fn empty_device_passwords_are_refused() {
    let gw = Gw::start("empty-password", quiet()).await;
    let e = gw
        .store
        .add_device(MN2, "", "XJ-01", "2017", 0)
        .unwrap_err();
    assert!(e.to_string().contains("the password is empty"), "{e}");
    let e = gw.store.set_device_password(MN, "").unwrap_err();
    assert!(e.to_string().contains("the password is empty"), "{e}");
    let e = gw
        .store
        .add_device("0123456789012345678901234", PW, "XJ-01", "2017", 0)
        .unwrap_err();
    assert!(e.to_string().contains("1-24 printable characters"), "{e}");
}
