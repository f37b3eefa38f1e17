//! Bad input and hostile clients: each rejection counted with its reason, honest devices
//! unaffected.

use super::*;

#[tokio::test]
async fn garbage_and_oversize_bytes_are_skipped_and_the_next_packet_is_answered() {
    let mut gw = Gw::start("garbage", quiet()).await;
    let mut d = Device::connect(gw.addr).await;
    d.send(b"\x00\xffhello world").await;
    let mut huge = b"##0999".to_vec();
    huge.extend(std::iter::repeat_n(b'x', 3000));
    d.send(&huge).await;
    d.send(&hourly("20250925010000001", "20250925000000", 1.0, PW, MN))
        .await;
    assert!(d.recv_cn(9014, WAIT).await.is_some());
    assert!(
        gw.rejects("garbage: no `##` header") >= 1,
        "{:?}",
        gw.metrics.rejects()
    );
    assert!(
        gw.rejects("garbage: oversize: no CR LF within the frame size limit") >= 1,
        "{:?}",
        gw.metrics.rejects()
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_bad_crc_gets_no_acknowledgement_and_is_archived_with_its_verdict() {
    let mut gw = Gw::start("crc", quiet()).await;
    let mut d = Device::connect(gw.addr).await;
    let mut f = hourly("20250925010000001", "20250925000000", 1.0, PW, MN);
    let n = f.len();
    f[n - 6..n - 2].copy_from_slice(b"0000");
    d.send(&f).await;
    assert!(d.recv(Duration::from_millis(500)).await.is_none());
    assert_eq!(gw.rejects("crc"), 1);
    let archived = gw.store.archived(1, 10).unwrap();
    assert!(
        archived[0].1.verdict.starts_with("crc: crc mismatch"),
        "{}",
        archived[0].1.verdict
    );
    gw.projected().await;
    assert_eq!(
        gw.store.counts().unwrap().1,
        0,
        "no observations from a bad packet"
    );
    gw.stop().await;
}

#[tokio::test]
async fn wrong_password_and_unknown_mn_are_answered_9011_store_nothing_and_close() {
    let mut gw = Gw::start("auth", quiet()).await;
    for (qn, pw, mn, rtn) in [
        ("20250925010000001", "999999", MN, "QnRtn=3"),
        (
            "20250925010000002",
            PW,
            "FFFFFFFFFFFFFFFFFFFFFFFF",
            "QnRtn=4",
        ),
    ] {
        let mut d = Device::connect(gw.addr).await;
        d.send(&hourly(qn, "20250925000000", 1.0, pw, mn)).await;
        // A packet after the refused one in the same write is not read.
        d.send(&hourly("20250925010000009", "20250925000000", 1.0, PW, MN))
            .await;
        let r = d.recv(WAIT).await.unwrap();
        assert_eq!((parsed(&r).cn.0, parsed(&r).cp), (9011, rtn));
        assert!(
            d.recv(WAIT).await.is_none(),
            "the connection is closed after the refusal"
        );
    }
    assert_eq!(
        (
            gw.rejects("auth: bad password"),
            gw.rejects("auth: unknown MN")
        ),
        (1, 1)
    );
    gw.projected().await;
    let (archived, observed, _) = gw.store.counts().unwrap();
    assert_eq!((archived, observed), (2, 0));
    // The right password on a new connection works.
    let mut d = Device::connect(gw.addr).await;
    d.send(&hourly("20250925010000003", "20250925000000", 1.0, PW, MN))
        .await;
    assert!(d.recv_cn(9014, WAIT).await.is_some());
    gw.stop().await;
}

#[tokio::test]
async fn a_thousand_stalled_half_frames_do_not_stop_an_honest_device() {
    let config = Config {
        frame_timeout: Duration::from_secs(2),
        ..quiet()
    };
    let mut gw = Gw::start("slowloris", config).await;
    let mut stalled = Vec::new();
    // From a thousand addresses: one address gets 16 connections.
    for i in 0..1000 {
        let from = format!("127.1.{}.{}", i / 200, i % 200 + 1);
        let mut s = connect_from(&from, gw.addr).await.stream;
        s.write_all(b"##0344QN=2022092814281233").await.unwrap();
        stalled.push(s);
    }
    let started = std::time::Instant::now();
    let mut d = Device::connect(gw.addr).await;
    d.send(&hourly("20250925010000001", "20250925000000", 1.0, PW, MN))
        .await;
    assert!(d.recv_cn(9014, WAIT).await.is_some());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the honest device waited {:?}",
        started.elapsed()
    );
    // The stalled connections are closed once their frames time out.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        gw.rejects("timeout: frame not completed") >= 1000,
        "{:?}",
        gw.metrics.rejects()
    );
    let mut closed = 0;
    for s in &mut stalled {
        let mut b = [0u8; 16];
        if matches!(
            tokio::time::timeout(Duration::from_millis(100), s.read(&mut b)).await,
            Ok(Ok(0)) | Ok(Err(_))
        ) {
            closed += 1;
        }
    }
    assert_eq!(closed, 1000);
    gw.stop().await;
}

#[tokio::test]
async fn a_client_that_never_reads_its_acks_is_dropped_without_blocking_others() {
    let config = Config {
        write_timeout: Duration::from_millis(500),
        ..quiet()
    };
    let mut gw = Gw::start("noread", config).await;
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(2048).unwrap();
    let mut deaf = sock.connect(gw.addr).await.unwrap();
    let frame = hourly("20250925010000001", "20250925000000", 1.0, PW, MN);
    let writer = tokio::spawn(async move {
        for _ in 0..20_000 {
            if deaf.write_all(&frame).await.is_err() {
                break;
            }
        }
        deaf
    });
    let mut d = Device::connect(gw.addr).await;
    d.send(&hourly("20250925010000002", "20250925020000", 2.0, PW, MN))
        .await;
    assert!(
        d.recv_cn(9014, WAIT).await.is_some(),
        "an honest device is answered meanwhile"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while gw.rejects("reply not written (timeout or closed)") == 0
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        gw.rejects("reply not written (timeout or closed)") >= 1,
        "{:?}",
        gw.metrics.rejects()
    );
    writer.abort();
    gw.stop().await;
}
