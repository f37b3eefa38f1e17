//! The gateway on a real PostgreSQL server: acknowledged uploads from several devices at
//! once are queryable at once (PostgreSQL stores observations in the acknowledged commit),
//! a wrong password and a disabled device are refused, and the archive verifies. The
//! store's client is blocking, so the test calls it outside the runtime, as the gateway
//! does (`spawn_blocking`, the writer thread).

use super::*;
use lantian_store::testing::{PgDb, pg_url};
use lantian_store::{Location, Period, View};

const T0: i64 = 20_356 * 86_400; // 2025-09-25 00:00 CST

#[test]
fn uploads_are_acknowledged_after_they_are_stored_in_postgres() {
    let Some(base) = pg_url() else { return };
    let db = PgDb::create(&base, "gateway");
    let store = Store::open(&Location::Postgres(db.url.clone())).unwrap();
    register(&store);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut gw = rt.block_on(Gw::start_on(store, quiet(), std::env::temp_dir(), Some(db)));
    let refusal = rt.block_on(async {
        // Three connections of one logger, ten hours each, all in flight at once.
        let mut devices = Vec::new();
        for d in 0..3 {
            let mut dev = Device::connect(gw.addr).await;
            for h in 0..10 {
                let hour = d * 10 + h;
                let qn = format!("2025092501{hour:02}00001");
                let t = format!("202509{:02}{:02}0000", 25 + hour / 24, hour % 24);
                dev.send(&hourly(&qn, &t, f64::from(hour), PW, MN)).await;
            }
            devices.push(dev);
        }
        for dev in &mut devices {
            for _ in 0..10 {
                assert!(
                    dev.recv_cn(9014, WAIT).await.is_some(),
                    "an acknowledgement"
                );
            }
        }
        let mut intruder = Device::connect(gw.addr).await;
        intruder
            .send(&hourly(
                "20250926120000001",
                "20250926120000",
                1.0,
                "wrong",
                MN,
            ))
            .await;
        intruder.recv_cn(9011, WAIT).await.expect("a refusal")
    });
    assert_eq!(parsed(&refusal).cp_value("QnRtn"), Some("3"));
    assert_eq!(gw.rejects("auth: bad password"), 1);
    // No projection to wait for: acknowledged is queryable.
    assert_eq!(gw.store.projection_lag(), 0);
    let pts = gw
        .store
        .series(
            "XJ-01",
            "a34004",
            Period::Hour,
            T0,
            T0 + 30 * 3600,
            View::Raw,
        )
        .unwrap();
    let values: Vec<f64> = pts.iter().map(|p| p.value).collect();
    assert_eq!(values, (0..30).map(f64::from).collect::<Vec<_>>());
    let report = gw.store.verify_archive().unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(gw.store.counts().unwrap().0, 31, "every packet archived");
    // A disabled device is refused, on PostgreSQL too.
    gw.store.set_device_disabled(MN, true).unwrap();
    assert!(gw.store.device(MN).unwrap().unwrap().disabled);
    let refusal = rt.block_on(async {
        let mut d = Device::connect(gw.addr).await;
        d.send(&hourly("20250926130000001", "20250926130000", 1.0, PW, MN))
            .await;
        d.recv_cn(9011, WAIT).await.expect("a refusal")
    });
    assert_eq!(parsed(&refusal).cp_value("QnRtn"), Some("2"));
    assert_eq!(gw.rejects("auth: device disabled"), 1);
    rt.block_on(gw.stop());
}
