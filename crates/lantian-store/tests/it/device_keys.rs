//! HJ 212-2025 device keys and logger serials on SQLite and PostgreSQL: set, rotate,
//! activate with a grace period, retire; serials recorded, assigned once, confirmed.

use super::on_both;
use lantian_store::StoreError;
use lantian_store::device_keys::{KeyState, LoggerSerial};

const MN: &str = "010000A8900016F000169DC0";
const K1: &str = "8A1F03C2D94E7B665A0E11F3C8297D04";
const K2: &str = "3C9D27E15B08AF6412D0C3B97E5A2F81";

#[test]
fn keys_rotate_through_pending_active_retiring_retired_on_both_backends() {
    on_both("device_keys", |store, _| {
        assert!(matches!(
            store.add_pending_device_key(MN, K2, 1_000, "bureau"),
            Err(StoreError::Refused { .. })
        ));
        let k1 = store
            .set_device_key(MN, K1, "binary", 1_000, "bureau")
            .unwrap();
        assert_eq!((k1.version, k1.state), (1, KeyState::Active));
        assert_eq!(k1.activated_ms, Some(1_000));
        let k2 = store
            .add_pending_device_key(MN, K2, 2_000, "bureau")
            .unwrap();
        assert_eq!(
            (k2.version, k2.state, k2.wire.as_str()),
            (2, KeyState::Pending, "binary")
        );
        let again = store.add_pending_device_key(MN, K1, 2_100, "bureau");
        assert!(
            matches!(&again, Err(StoreError::Refused { what }) if what.contains("pending")),
            "{again:?}"
        );
        store
            .mark_device_key_sent(k2.id, "20261120100000000", 2_500)
            .unwrap();
        let gw = store.gateway_device_keys(MN).unwrap();
        assert_eq!(
            gw.iter()
                .map(|k| (k.version, k.state, k.key_hex.as_str()))
                .collect::<Vec<_>>(),
            [(2, KeyState::Pending, K2), (1, KeyState::Active, K1)]
        );
        assert_eq!(gw[0].sent_qn.as_deref(), Some("20261120100000000"));
        assert!(store.activate_device_key(k2.id, 3_000, 500).unwrap());
        assert!(
            !store.activate_device_key(k2.id, 3_001, 500).unwrap(),
            "compare-and-set: activated once"
        );
        let keys = store.device_keys(Some(MN), false).unwrap();
        assert_eq!(
            keys.iter()
                .map(|k| (k.version, k.state, k.retire_after_ms))
                .collect::<Vec<_>>(),
            [
                (2, KeyState::Active, None),
                (1, KeyState::Retiring, Some(3_500))
            ]
        );
        assert_eq!(store.retire_device_keys(3_499).unwrap(), 0);
        assert_eq!(store.retire_device_keys(3_500).unwrap(), 1);
        assert_eq!(store.device_keys(Some(MN), false).unwrap().len(), 1);
        let gw = store.gateway_device_keys(MN).unwrap();
        assert_eq!(
            gw.iter().map(|k| (k.version, k.state)).collect::<Vec<_>>(),
            [(2, KeyState::Active), (1, KeyState::Retired)],
            "the last retired key is kept for a specific refusal"
        );
        // Setting a key by hand retires every other one; the list never shows the secret.
        let k3 = store.set_device_key(MN, K1, "hex", 4_000, "admin").unwrap();
        assert_eq!((k3.version, k3.wire.as_str()), (3, "hex"));
        let all = store.device_keys(None, true).unwrap();
        assert_eq!(all.len(), 3);
        let json = serde_json::to_string(&all).unwrap();
        assert!(!json.contains(K1) && !json.contains(K2), "{json}");
        assert!(!format!("{all:?}").contains(K1));
    });
}

#[test]
fn logger_serials_are_recorded_assigned_once_and_confirmed_on_both_backends() {
    on_both("logger_serials", |store, _| {
        let s = LoggerSerial {
            serial: "LOGGER-7".into(),
            cpu_id: "CPU-1".into(),
            mac: "00:11:22:33:44:55".into(),
            claimed_mn: "000000000000000000000000".into(),
            peer: "127.0.0.1:5000".into(),
            first_ms: 0,
            last_ms: 0,
            uploads: 0,
            assigned_mn: None,
            assigned_by: None,
            assigned_ms: None,
            mn_sent_ms: None,
            confirmed_ms: None,
        };
        let r = store.record_logger_serial(&s, 1_000).unwrap();
        assert_eq!((r.first_ms, r.last_ms, r.uploads), (1_000, 1_000, 1));
        let r = store.record_logger_serial(&s, 2_000).unwrap();
        assert_eq!((r.first_ms, r.last_ms, r.uploads), (1_000, 2_000, 2));
        assert!(matches!(
            store.assign_logger_mn("NOPE", MN, 2_100, "bureau"),
            Err(StoreError::NotFound { .. })
        ));
        let a = store
            .assign_logger_mn("LOGGER-7", MN, 2_200, "bureau")
            .unwrap();
        assert_eq!(a.assigned_mn.as_deref(), Some(MN));
        store
            .record_logger_serial(
                &LoggerSerial {
                    serial: "LOGGER-8".into(),
                    ..s.clone()
                },
                2_300,
            )
            .unwrap();
        assert!(matches!(
            store.assign_logger_mn("LOGGER-8", MN, 2_400, "bureau"),
            Err(StoreError::Refused { .. })
        ));
        assert_eq!(
            store.confirm_logger_mn(MN, 2_500).unwrap(),
            0,
            "not sent yet"
        );
        store.mark_logger_mn_sent("LOGGER-7", 2_600).unwrap();
        assert_eq!(store.confirm_logger_mn(MN, 2_700).unwrap(), 1);
        assert_eq!(store.confirm_logger_mn(MN, 2_800).unwrap(), 0, "once");
        let l = store.logger_serials().unwrap();
        assert_eq!(l.len(), 2);
        let seven = store.logger_serial("LOGGER-7").unwrap().unwrap();
        assert_eq!(
            (seven.mn_sent_ms, seven.confirmed_ms),
            (Some(2_600), Some(2_700))
        );

        // Room for a new serial: with 3 awaiting an MN at most, the one heard from longest
        // ago goes; an assigned serial (LOGGER-7) never does.
        for (serial, at) in [("A", 3_000), ("B", 3_100)] {
            assert_eq!(store.make_room_for_logger_serial(3).unwrap(), 0);
            let row = LoggerSerial {
                serial: serial.into(),
                ..s.clone()
            };
            store.record_logger_serial(&row, at).unwrap();
        }
        // LOGGER-8 (2 300), A, B await: a fourth forgets LOGGER-8.
        assert_eq!(store.make_room_for_logger_serial(3).unwrap(), 1);
        let mut left: Vec<String> = store
            .logger_serials()
            .unwrap()
            .into_iter()
            .map(|l| l.serial)
            .collect();
        left.sort();
        assert_eq!(left, ["A", "B", "LOGGER-7"]);
    });
}
