//! HJ 212-2025 over real TCP against the real gateway: a simulated 2025 logger with SM4
//! (data, heartbeat, RF=1 resend, a wrong key, a key rotation through 1014 and the grace
//! period) while a 2017 and a 2005 logger send on the same port; the 1001/1002 MN
//! assignment flow; under `require_encryption` a keyed device sending clear data
//! under any Flag, and a rotation confirmed only by its logged-in device.

use super::*;
use lantian_hj212::encode::{self as enc, Header};
use lantian_hj212::sm4::{self, Key, Wire};
use lantian_store::device_keys::KeyState;
use lantian_store::{Period, View};

const T0: i64 = 20_356 * 86_400; // 2025-09-25 00:00 CST
const MN25: &str = "0A0000A8900016F000169D25";
const MN05: &str = "88888880000005";
const K1: &str = "8A1F03C2D94E7B665A0E11F3C8297D04";
const K2: &str = "3C9D27E15B08AF6412D0C3B97E5A2F81";

fn station(store: &Store, id: &str) {
    store
        .upsert_station(&Station {
            id: id.into(),
            name: id.into(),
            role: lantian_store::StationRole::Township,
            admin_unit_id: None,
            lat: None,
            lon: None,
            pollutants: vec![],
            min_interval_min: 1,
            demo: false,
        })
        .unwrap();
}

fn config(grace: Duration) -> Config {
    let mut c = quiet();
    c.profile2025.key_grace = grace;
    c.profile2025.key_cache = Duration::ZERO;
    c
}

/// A 2025 packet (Flag 9: answer wanted), clear; `resend` writes RF=1.
fn packet25(qn: &str, cn: u16, cp: &str, resend: bool) -> Vec<u8> {
    enc::encode(
        &Header {
            qn: Some(qn),
            st: "31",
            cn: Command(cn),
            pw: Some(PW),
            mn: Some(MN25),
            flag: Some(Flag(9)),
            pnum: None,
            pno: None,
            resend,
        },
        cp,
    )
}

fn sealed(frame: &[u8], key: &str) -> Vec<u8> {
    sm4::encrypt_frame(frame, &Key::from_hex(key).unwrap(), Wire::Binary)
}

fn hour25(qn: &str, hour: u32, so2: f64) -> Vec<u8> {
    packet25(
        qn,
        2061,
        &format!(
            "DataTime=20250925{hour:02}0000;a21026-Avg={so2},a21026-RawAvg={},a21026-Flag=N;a21002-Avg=9999.99,a21002-Flag=N",
            so2 + 1.0
        ),
        false,
    )
}

/// The archive records, oldest first.
fn archive(gw: &Gw) -> Vec<lantian_store::RawPacket> {
    gw.store
        .archived(0, 1000)
        .unwrap()
        .into_iter()
        .map(|(_, p)| p)
        .collect()
}

fn verdicts_of(gw: &Gw, mn: &str) -> Vec<String> {
    archive(gw)
        .into_iter()
        .filter(|p| p.mn.as_deref() == Some(mn))
        .map(|p| p.verdict)
        .collect()
}

async fn hour_value(gw: &Gw, station: &str, code: &str, hour: i64) -> Option<f64> {
    gw.projected().await;
    gw.store
        .series(
            station,
            code,
            Period::Hour,
            T0 + hour * 3600,
            T0 + hour * 3600 + 1,
            View::Raw,
        )
        .unwrap()
        .first()
        .map(|p| p.value)
}

#[tokio::test]
async fn a_2025_sm4_logger_rotates_its_key_while_2017_and_2005_loggers_share_the_port() {
    let grace = Duration::from_millis(400);
    let mut gw = Gw::start("hj212-2025", config(grace)).await;
    for s in ["S25", "S05"] {
        station(&gw.store, s);
    }
    gw.store.add_device(MN25, PW, "S25", "2025", 0).unwrap();
    gw.store.add_device(MN05, PW, "S05", "2005", 0).unwrap();
    gw.store
        .set_device_key(MN25, K1, "binary", 0, "bureau")
        .unwrap();

    // Three loggers at the same time on one port.
    let addr = gw.addr;
    let l25 = async move {
        let mut d = Device::connect(addr).await;
        d.send(&sealed(&hour25("20250925010000001", 1, 11.5), K1))
            .await;
        let a = d
            .recv_cn(9014, WAIT)
            .await
            .expect("9014 to the 2025 logger");
        assert_eq!(parsed(&a).qn, Some("20250925010000001"));
        d
    };
    let l17 = async move {
        let mut d = Device::connect(addr).await;
        d.send(&hourly("20250925010000002", "20250925010000", 17.5, PW, MN))
            .await;
        assert!(
            d.recv_cn(9014, WAIT).await.is_some(),
            "9014 to the 2017 logger"
        );
    };
    let l05 = async move {
        let mut d = Device::connect(addr).await;
        // HJ/T 212-2005: no QN, Flag=1 (2005, answer wanted), 2005 codes (02 = SO2).
        let f = lantian_hj212::frame::wrap(
            format!("ST=22;CN=2061;PW={PW};MN={MN05};Flag=1;CP=&&DataTime=20250925010000;02-Avg=5.5,02-Flag=N&&").as_bytes(),
        );
        d.send(&f).await;
        let a = d
            .recv_cn(9014, WAIT)
            .await
            .expect("9014 to the 2005 logger");
        assert_eq!(parsed(&a).cn.0, 9014);
    };
    let (mut d25, (), ()) = tokio::join!(l25, l17, l05);
    assert_eq!(hour_value(&gw, "S25", "a21026", 1).await, Some(11.5));
    assert_eq!(hour_value(&gw, "S25", "a21026-RawAvg", 1).await, Some(12.5));
    assert_eq!(
        hour_value(&gw, "S25", "a21002", 1).await,
        None,
        "the sentinel 9999.99 is not stored"
    );
    assert_eq!(hour_value(&gw, "XJ-01", "a34004", 1).await, Some(17.5));
    assert_eq!(hour_value(&gw, "S05", "a21026", 1).await, Some(5.5));
    let rec = archive(&gw)
        .into_iter()
        .find(|p| p.mn.as_deref() == Some(MN25))
        .unwrap();
    assert!(rec.verdict.starts_with("accepted (SM4)"), "{}", rec.verdict);
    assert!(
        rec.verdict.contains("a21002-Avg=9999.99"),
        "{}",
        rec.verdict
    );
    assert_eq!(
        rec.bytes,
        hour25("20250925010000001", 1, 11.5),
        "the archive keeps the decrypted frame"
    );
    let counters = &gw.metrics.profile2025;
    assert_eq!(counters.get("sm4_decrypted", MN25), 1);
    assert_eq!(counters.get("not_computable", MN25), 1);

    // A heartbeat keeps the device alive and is answered 9013.
    let before = gw.metrics.devices()[MN25].packets;
    d25.send(&packet25("20250925010500000", 9015, "", false))
        .await;
    let a = d25
        .recv_cn(9013, WAIT)
        .await
        .expect("9013 to the heartbeat");
    assert_eq!(parsed(&a).qn, Some("20250925010500000"));
    assert_eq!(gw.metrics.devices()[MN25].packets, before + 1);
    assert!(gw.metrics.devices()[MN25].connected);
    assert_eq!(counters.get("heartbeats", MN25), 1);

    // An RF=1 resend of hour 1 is acknowledged, stored once and counted.
    gw.projected().await;
    let (_, observed_before, _) = gw.store.counts().unwrap();
    let resend = packet25(
        "20250925011000000",
        2061,
        "DataTime=20250925010000;a21026-Avg=11.5,a21026-Flag=N",
        true,
    );
    d25.send(&sealed(&resend, K1)).await;
    assert!(d25.recv_cn(9014, WAIT).await.is_some());
    gw.projected().await;
    assert_eq!(hour_value(&gw, "S25", "a21026", 1).await, Some(11.5));
    assert_eq!(counters.get("resends", MN25), 1);
    let (_, observed_after, _) = gw.store.counts().unwrap();
    assert_eq!(
        observed_after, observed_before,
        "the resent value is stored once"
    );
    assert!(
        verdicts_of(&gw, MN25)
            .iter()
            .any(|v| v.contains("resend (RF=1)") && v.contains("(SM4)")),
        "{:?}",
        verdicts_of(&gw, MN25)
    );
    assert!(
        gw.metrics
            .render_prometheus()
            .contains(&format!("lantian_gateway_resends_total{{mn=\"{MN25}\"}} 1"))
    );

    // A wrong key: refused with its reason, counted, archived as received.
    let wrong = sealed(
        &hour25("20250925020000001", 2, 99.0),
        "5B6D0E3F1A2C4E8D7F9B0C1D2E3F4A5B",
    );
    let mut w = Device::connect(gw.addr).await;
    w.send(&wrong).await;
    assert!(
        w.recv(Duration::from_millis(500)).await.is_none(),
        "no answer to a refused packet"
    );
    let until = std::time::Instant::now() + WAIT;
    while counters.get("sm4_refused", MN25) == 0 {
        assert!(std::time::Instant::now() < until);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let refused = loop {
        if let Some(p) = archive(&gw).into_iter().find(|p| p.bytes == wrong) {
            break p;
        }
        assert!(
            std::time::Instant::now() < until,
            "the refused packet is archived"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        refused.verdict.contains("crc mismatch after decryption"),
        "{}",
        refused.verdict
    );
    assert_eq!(hour_value(&gw, "S25", "a21026", 2).await, None);

    // The bureau rotates the key: on the next packet the gateway sends 1014 under K1.
    gw.store
        .add_pending_device_key(MN25, K2, 1_000, "bureau")
        .unwrap();
    d25.send(&sealed(&hour25("20250925030000001", 3, 13.5), K1))
        .await;
    let k1014 = d25.recv_cn_sealed(1014, K1).await;
    let p = parsed(&k1014);
    assert_eq!(p.cp_value("NewSK"), Some(K2));
    assert!(p.cp_value("SKCreateTime").is_some());
    let qn = p.qn.unwrap().to_owned();
    // The logger confirms (9012 ExeRtn=1, same QN) and switches.
    let ok = enc::encode(
        &Header {
            qn: Some(&qn),
            st: "91",
            cn: Command(9012),
            pw: Some(PW),
            mn: Some(MN25),
            flag: Some(Flag(8)),
            pnum: None,
            pno: None,
            resend: false,
        },
        "ExeRtn=1",
    );
    d25.send(&ok).await;
    let until = std::time::Instant::now() + WAIT;
    loop {
        let keys = gw.store.device_keys(Some(MN25), false).unwrap();
        if keys
            .iter()
            .any(|k| k.version == 2 && k.state == KeyState::Active)
        {
            assert!(
                keys.iter()
                    .any(|k| k.version == 1 && k.state == KeyState::Retiring)
            );
            break;
        }
        assert!(
            std::time::Instant::now() < until,
            "key 2 not activated: {keys:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(counters.get("key_rotations", MN25), 1);
    d25.send(&sealed(&hour25("20250925040000001", 4, 14.5), K2))
        .await;
    d25.recv_ack("20250925040000001").await;
    assert_eq!(
        hour_value(&gw, "S25", "a21026", 4).await,
        Some(14.5),
        "accepted under the new key: {:?}",
        verdicts_of(&gw, MN25)
    );
    // After the grace period, the old key is refused with its reason.
    tokio::time::sleep(grace + Duration::from_millis(200)).await;
    let old = sealed(&hour25("20250925050000001", 5, 15.5), K1);
    d25.send(&old).await;
    let until = std::time::Instant::now() + WAIT;
    let refused = loop {
        if let Some(p) = archive(&gw).into_iter().find(|p| p.bytes == old) {
            break p;
        }
        assert!(
            std::time::Instant::now() < until,
            "the old-key packet is archived"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        refused.verdict.contains("key version 1") && refused.verdict.contains("retired"),
        "{}",
        refused.verdict
    );
    assert_eq!(hour_value(&gw, "S25", "a21026", 5).await, None);
    assert!(gw.store.verify_archive().unwrap().ok());
    gw.stop().await;
}

#[tokio::test]
async fn a_logger_announces_its_serial_is_assigned_an_mn_by_1002_and_then_sends_under_it() {
    let mut gw = Gw::start("hj212-2025-mn", config(Duration::from_secs(60))).await;
    station(&gw.store, "S25");
    gw.store.add_device(MN25, PW, "S25", "2025", 0).unwrap();
    const PLACEHOLDER: &str = "000000000000000000000000";
    let serial = |qn: &str| {
        enc::encode(
            &Header {
                qn: Some(qn),
                st: "31",
                cn: Command(1001),
                pw: Some(PW),
                mn: Some(PLACEHOLDER),
                flag: Some(Flag(9)),
                pnum: None,
                pno: None,
                resend: false,
            },
            "i23005-Info=LOGGER-7;i23006-Info=CPU-0001;i23007-Info=00:11:22:33:44:55",
        )
    };
    let mut d = Device::connect(gw.addr).await;
    d.send(&serial("20250925010000001")).await;
    assert!(d.recv_cn(9014, WAIT).await.is_some(), "1001 is answered");
    let s = gw
        .store
        .logger_serial("LOGGER-7")
        .unwrap()
        .expect("recorded");
    assert_eq!(
        (s.cpu_id.as_str(), s.claimed_mn.as_str(), s.assigned_mn),
        ("CPU-0001", PLACEHOLDER, None)
    );
    // Data under the unassigned MN is refused.
    let data = |mn: &str| {
        enc::encode(
            &Header {
                qn: Some("20250925010000002"),
                st: "31",
                cn: Command(2061),
                pw: Some(PW),
                mn: Some(mn),
                flag: Some(Flag(9)),
                pnum: None,
                pno: None,
                resend: false,
            },
            "DataTime=20250925010000;a21026-Avg=21.5,a21026-Flag=N",
        )
    };
    d.send(&data(PLACEHOLDER)).await;
    let r = d.recv_cn(9011, WAIT).await.expect("refused");
    assert_eq!(parsed(&r).cp_value("QnRtn"), Some("4"));
    // The bureau assigns the MN; on the logger's next 1001 the gateway sends 1002.
    gw.store
        .assign_logger_mn("LOGGER-7", MN25, 5_000, "bureau")
        .unwrap();
    let mut d = Device::connect(gw.addr).await;
    d.send(&serial("20250925010100001")).await;
    let set = d.recv_cn(1002, WAIT).await.expect("1002 with the MN");
    let p = parsed(&set);
    assert_eq!(p.mn, Some(MN25));
    assert_eq!(p.cp_value("i23005-Info"), Some("LOGGER-7"));
    assert!(
        gw.store
            .logger_serial("LOGGER-7")
            .unwrap()
            .unwrap()
            .mn_sent_ms
            .is_some()
    );
    // The logger now sends under its MN: accepted, stored, the assignment confirmed.
    d.send(&data(MN25)).await;
    assert!(d.recv_cn(9014, WAIT).await.is_some());
    assert_eq!(hour_value(&gw, "S25", "a21026", 1).await, Some(21.5));
    let s = gw.store.logger_serial("LOGGER-7").unwrap().unwrap();
    assert!(s.confirmed_ms.is_some(), "{s:?}");
    gw.stop().await;
}

impl Device {
    /// Waits for the 9014 that answers `qn` (answers to earlier packets are skipped).
    async fn recv_ack(&mut self, qn: &str) {
        while let Some(f) = self.recv_cn(9014, WAIT).await {
            if parsed(&f).qn == Some(qn) {
                return;
            }
        }
        panic!("no 9014 for {qn}");
    }

    /// The next frame with command `cn` that decrypts under `key` (its data area sealed).
    async fn recv_cn_sealed(&mut self, cn: u16, key: &str) -> Vec<u8> {
        let key = Key::from_hex(key).unwrap();
        while let Some(f) = self.recv(WAIT).await {
            if let Ok(plain) = sm4::decrypt_frame(&f, &key, Wire::Binary)
                && decode(&plain, &Limits::default()).is_ok_and(|p| p.cn.0 == cn)
            {
                assert_ne!(f, plain, "1014 travels encrypted");
                return plain;
            }
        }
        panic!("no {cn} from the gateway");
    }
}

/// A clear 2061 of [`MN25`] with `flag` and `pw`.
fn clear_hour(qn: &str, flag: u8, pw: &str) -> Vec<u8> {
    enc::encode(
        &Header {
            qn: Some(qn),
            st: "31",
            cn: Command(2061),
            pw: Some(pw),
            mn: Some(MN25),
            flag: Some(Flag(flag)),
            pnum: None,
            pno: None,
            resend: false,
        },
        "DataTime=20250925030000;a21026-Avg=3.5,a21026-Flag=N",
    )
}

fn key_states(gw: &Gw) -> Vec<(i64, KeyState)> {
    let mut k: Vec<(i64, KeyState)> = gw
        .store
        .gateway_device_keys(MN25)
        .unwrap()
        .iter()
        .map(|k| (k.version, k.state))
        .collect();
    k.sort_unstable_by_key(|(v, _)| *v);
    k
}

#[tokio::test]
async fn a_keyed_device_sends_clear_data_under_no_flag_and_a_rotation_waits_for_the_login() {
    let mut c = config(Duration::from_secs(3600));
    c.profile2025.require_encryption = true;
    let mut gw = Gw::start("hj212-2025-required", c).await;
    station(&gw.store, "S25");
    gw.store.add_device(MN25, PW, "S25", "2025", 0).unwrap();
    gw.store
        .set_device_key(MN25, K1, "binary", 0, "bureau")
        .unwrap();
    let mut d = Device::connect(gw.addr).await;
    // Clear data under the 2017 Flag (5) and under the 2025 Flag (9): both refused.
    d.send(&clear_hour("20250925030000001", 5, PW)).await;
    d.send(&clear_hour("20250925030000002", 9, PW)).await;
    d.send(&sealed(&hour25("20250925010000003", 1, 1.5), K1))
        .await;
    let a = d.recv_cn(9014, WAIT).await.expect("9014 to the sealed one");
    assert_eq!(parsed(&a).qn, Some("20250925010000003"), "only it answered");
    gw.projected().await;
    let v = verdicts_of(&gw, MN25);
    assert_eq!(v.len(), 3, "{v:?}");
    for refused in &v[..2] {
        assert!(
            refused.starts_with("refused: sm4: clear data area"),
            "{v:?}"
        );
    }
    assert!(v[2].starts_with("accepted (SM4)"), "{v:?}");
    assert_eq!(hour_value(&gw, "S25", "a21026", 3).await, None);

    // A rotation: a packet under the new key with a wrong password decrypts (its CRC holds)
    // but confirms nothing; the logged-in device's does.
    gw.store
        .add_pending_device_key(MN25, K2, 1, "bureau")
        .unwrap();
    let mut bad = Device::connect(gw.addr).await;
    bad.send(&sealed(&clear_hour("20250925040000004", 9, "000000"), K2))
        .await;
    let until = std::time::Instant::now() + WAIT;
    while verdicts_of(&gw, MN25).len() < 4 {
        assert!(std::time::Instant::now() < until, "the bad packet archived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        key_states(&gw),
        [(1, KeyState::Active), (2, KeyState::Pending)],
        "no activation before a login"
    );
    let mut good = Device::connect(gw.addr).await;
    good.send(&sealed(&hour25("20250925020000005", 2, 2.5), K2))
        .await;
    good.recv_cn(9014, WAIT)
        .await
        .expect("9014 under the new key");
    assert_eq!(
        key_states(&gw),
        [(1, KeyState::Retiring), (2, KeyState::Active)]
    );
    gw.stop().await;
}
