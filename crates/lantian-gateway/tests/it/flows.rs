//! The normal exchanges: acknowledged uploads, set-up, duplicates, split packets, bursts,
//! graceful shutdown.

use super::*;
use lantian_hj212::split::split;
use lantian_store::{Period, View};

const T0: i64 = 20_356 * 86_400; // 2025-09-25 00:00 CST

#[tokio::test]
async fn upload_is_answered_9014_with_its_qn_after_it_is_stored() {
    let mut gw = Gw::start("ack", quiet()).await;
    let mut d = Device::connect(gw.addr).await;
    d.send(&hourly("20250925010000001", "20250925000000", 42.5, PW, MN))
        .await;
    let ack = d.recv(WAIT).await.expect("an answer");
    let p = parsed(&ack);
    assert_eq!(
        (p.cn.0, p.qn, p.st, p.flag.unwrap().0, p.cp),
        (9014, Some("20250925010000001"), "91", 4, "")
    );
    // Acknowledged means durable (archive and journal); the projector then makes it
    // queryable without being asked.
    gw.projected().await;
    let pts = gw
        .store
        .series("XJ-01", "a34004", Period::Hour, T0, T0 + 3600, View::Raw)
        .unwrap();
    assert_eq!(pts.len(), 1);
    assert_eq!(pts[0].value, 42.5);
    assert!(gw.store.verify_archive().unwrap().ok());
    gw.stop().await;
}

#[tokio::test]
async fn first_packet_triggers_the_setup_sequence() {
    let config = Config {
        setup: Setup {
            enabled: true,
            set_time: true,
            rtd_interval_s: Some(60),
            min_interval_min: Some(10),
        },
        ..Config::default()
    };
    let mut gw = Gw::start("setup", config).await;
    let mut d = Device::connect(gw.addr).await;
    d.send(&hourly("20250925010000001", "20250925000000", 1.0, PW, MN))
        .await;
    let mut cns = Vec::new();
    while let Some(f) = d.recv(Duration::from_secs(2)).await {
        let p = parsed(&f);
        cns.push((p.cn.0, p.cp.to_owned()));
    }
    assert_eq!(cns[0].0, 9014);
    assert_eq!(cns[1].0, 1012);
    assert!(cns[1].1.starts_with("SystemTime=20"));
    assert_eq!(cns[2], (1062, "RtdInterval=60".to_owned()));
    assert_eq!(cns[3], (1064, "MinInterval=10".to_owned()));
    gw.stop().await;
}

#[tokio::test]
async fn the_same_packet_twice_is_acknowledged_twice_and_stored_once() {
    let mut gw = Gw::start("dup", quiet()).await;
    let mut d = Device::connect(gw.addr).await;
    let f = hourly("20250925010000001", "20250925000000", 5.0, PW, MN);
    d.send(&f).await;
    d.send(&f).await;
    assert!(d.recv_cn(9014, WAIT).await.is_some());
    assert!(d.recv_cn(9014, WAIT).await.is_some());
    gw.projected().await;
    let (archived, observed, _) = gw.store.counts().unwrap();
    assert_eq!(
        (archived, observed),
        (2, 2),
        "two archive records, the two values once"
    );
    // The projector adds to the counter just after its commit clears the lag: wait for it.
    let until = std::time::Instant::now() + WAIT;
    while Metrics::get(&gw.metrics.observations_duplicate) < 2 && std::time::Instant::now() < until
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(Metrics::get(&gw.metrics.observations_duplicate), 2);
    gw.stop().await;
}

#[tokio::test]
async fn split_packets_are_acknowledged_part_by_part_and_stored_whole() {
    let mut gw = Gw::start("split", quiet()).await;
    let mut d = Device::connect(gw.addr).await;
    let items: Vec<String> = ["a34004", "a34002", "a21026", "a21004", "a21005", "a05024"]
        .iter()
        .map(|c| format!("{c}-Avg=1.5,{c}-Flag=N"))
        .collect();
    let refs: Vec<&str> = items.iter().map(String::as_str).collect();
    let h = Header {
        qn: None,
        st: "22",
        cn: Command::HOURLY_DATA,
        pw: Some(PW),
        mn: Some(MN),
        flag: Some(Flag(5)),
        pnum: None,
        pno: None,
        resend: false,
    };
    let parts = split(&h, "DataTime=20250925000000", &refs, 170, |i| {
        format!("2025092501000000{i}")
    });
    assert!(parts.len() >= 3, "{} parts", parts.len());
    for (i, part) in parts.iter().enumerate() {
        d.send(part).await;
        let ack = d.recv_cn(9014, WAIT).await.unwrap();
        assert_eq!(
            parsed(&ack).qn,
            Some(format!("2025092501000000{i}").as_str())
        );
    }
    gw.projected().await;
    let (archived, observed, _) = gw.store.counts().unwrap();
    assert_eq!((archived, observed), (parts.len() as i64, 6));
    gw.stop().await;
}

#[tokio::test]
async fn a_burst_of_24_hours_of_buffered_minute_data_is_all_acknowledged_and_rolled_up() {
    let mut gw = Gw::start("burst", quiet()).await;
    let mut frames = Vec::new();
    for m in 0..1440 {
        let (h, mi) = (m / 60, m % 60);
        frames.push(lantian_gateway::client::OutFrame::new(upload(
            &format!("202509260000{m:05}"),
            Command::MINUTE_DATA,
            &format!("20250925{h:02}{mi:02}00"),
            "a34004-Avg=30,a34004-Flag=N;a21026-Avg=8,a21026-Flag=N",
            PW,
            MN,
        )));
    }
    let cfg = lantian_gateway::client::SendConfig {
        to: gw.addr.to_string(),
        connections: 1,
        rate_per_s: None,
        window: 1440,
        ack_timeout: WAIT,
    };
    let report = lantian_gateway::client::send(frames, &cfg).await;
    assert_eq!(
        (report.sent, report.acked, report.unanswered),
        (1440, 1440, 0),
        "{report:?}"
    );
    gw.projected().await;
    let hours = gw
        .store
        .hourly_rollups("XJ-01", "a34004", T0, T0 + 86_400)
        .unwrap();
    assert_eq!(hours.len(), 24);
    assert!(hours.iter().all(|h| h.valid && h.n_observed == 60));
    // What the standards engine reads for that day: 24 hours rolled up from minutes.
    let engine = gw
        .store
        .hourly("XJ-01", "a21026", T0, T0 + 86_400, lantian_store::View::Raw)
        .unwrap();
    assert_eq!(engine.len(), 24);
    assert!(
        engine.iter().all(|h| h.source == lantian_store::Period::Min
            && h.value == 8.0
            && h.n_observed == 60)
    );
    gw.stop().await;
}

#[tokio::test]
async fn graceful_shutdown_finishes_in_flight_batches() {
    let mut gw = Gw::start("shutdown", quiet()).await;
    let mut d = Device::connect(gw.addr).await;
    for i in 0..50 {
        d.send(&hourly(
            &format!("2025092501000{i:04}"),
            &format!("20250925{:02}0000", i % 24),
            1.0,
            PW,
            MN,
        ))
        .await;
    }
    // Stop as soon as the first acknowledgement arrives, with the rest still being read
    // and written: what was read is finished and acknowledged, what was not is left for
    // the logger to resend (unacknowledged), nothing is half-done.
    d.recv_cn(9014, WAIT)
        .await
        .expect("a first acknowledgement");
    gw.stop().await;
    let mut acked = 1;
    while d.recv_cn(9014, Duration::from_secs(1)).await.is_some() {
        acked += 1;
    }
    let (archived, _, _) = gw.store.counts().unwrap();
    assert_eq!(
        acked, archived,
        "every stored packet is acknowledged before its connection closes, and only those"
    );
    assert!(gw.store.verify_archive().unwrap().ok());
}

#[tokio::test]
async fn metrics_render_in_the_prometheus_format_with_per_device_counters() {
    let mut gw = Gw::start("metrics", quiet()).await;
    let mut d = Device::connect(gw.addr).await;
    d.send(&hourly("20250925010000001", "20250925000000", 1.0, PW, MN))
        .await;
    d.recv_cn(9014, WAIT).await.unwrap();
    let text = gw.metrics.render_prometheus();
    assert!(text.contains("lantian_gateway_acks_total 1\n"), "{text}");
    assert!(
        text.contains(&format!(
            "lantian_gateway_device_packets_total{{mn=\"{MN}\"}} 1"
        )),
        "{text}"
    );
    let dev = gw.metrics.devices().remove(MN).unwrap();
    assert_eq!((dev.packets, dev.acked, dev.connected), (1, 1, true));
    gw.stop().await;
}
