//! Operations in the store, on SQLite and PostgreSQL: a station's contractor set, replaced
//! and cleared; at most one open outage order per station, a new one once it is closed;
//! the source of each order; a station's latest data.

use super::on_both;
use lantian_core::series::StationRole;
use lantian_store::integrity::{WorkOrder, WorkOrderState};
use lantian_store::operations::OrderKind;
use lantian_store::{Ingest, Observation, Period, Station};

fn order(station: &str, alarm: Option<i64>) -> WorkOrder {
    WorkOrder {
        id: 0,
        alarm_id: alarm,
        station_id: station.into(),
        assignee: "ops-co".into(),
        deadline: "2026-12-02".into(),
        state: WorkOrderState::Open,
        note: "no data".into(),
        opened_by: "system".into(),
        opened_ms: 1_000,
        closed_by: None,
        closed_ms: None,
        closing_note: None,
    }
}

#[test]
fn contractors_outage_orders_and_latest_data() {
    on_both("operations", |store, _sql| {
        store
            .upsert_station(&Station {
                id: "S1".into(),
                name: "S1".into(),
                role: StationRole::Township,
                admin_unit_id: None,
                lat: None,
                lon: None,
                pollutants: vec!["a34004".into()],
                min_interval_min: 1,
                demo: false,
            })
            .unwrap();
        assert_eq!(store.station_contractor("S1").unwrap(), None);
        store.set_station_contractor("S1", Some("甲公司")).unwrap();
        store
            .set_station_contractor("S1", Some(" 乙公司 "))
            .unwrap();
        assert_eq!(
            store.station_contractor("S1").unwrap().as_deref(),
            Some("乙公司")
        );
        assert_eq!(store.station_contractors().unwrap().len(), 1);
        store.set_station_contractor("S1", Some("")).unwrap();
        assert_eq!(store.station_contractor("S1").unwrap(), None);

        let first = store.open_outage_order(&order("S1", None)).unwrap();
        assert!(first.is_some());
        assert!(store.open_outage_order_exists("S1").unwrap());
        assert_eq!(store.open_outage_order(&order("S1", None)).unwrap(), None);
        // Another station has its own.
        assert!(
            store
                .open_outage_order(&order("S2", None))
                .unwrap()
                .is_some()
        );
        // A manual order of S1 does not count as its outage order.
        let manual = store.open_work_order(&order("S1", None)).unwrap();
        store
            .close_work_order(first.unwrap(), "ops1", 2_000, "fixed")
            .unwrap();
        assert!(!store.open_outage_order_exists("S1").unwrap());
        let second = store.open_outage_order(&order("S1", None)).unwrap();
        assert!(second.is_some() && second != first);
        let kinds = store.work_order_kinds().unwrap();
        assert_eq!(kinds[&first.unwrap()], OrderKind::Outage);
        assert_eq!(kinds[&manual], OrderKind::Manual);

        assert_eq!(
            store.latest_data_ts("S1", &["a34004"], &["hour"]).unwrap(),
            None
        );
        let obs: Vec<Observation> = [3_600, 7_200, 10_800]
            .iter()
            .map(|ts| Observation {
                station_id: "S1".into(),
                code: "a34004".into(),
                period: Period::Hour,
                ts: *ts,
                value: 10.0,
                flag: "N".into(),
            })
            .collect();
        store
            .commit_batch(&[Ingest {
                packet: None,
                observations: obs,
            }])
            .unwrap();
        assert_eq!(
            store
                .latest_data_ts("S1", &["a34004", "a21026"], &["hour", "min"])
                .unwrap(),
            Some(10_800)
        );
        assert_eq!(
            store.latest_data_ts("S1", &["a21026"], &["hour"]).unwrap(),
            None
        );
    });
}

#[test]
#[ignore = "a measurement: run it on purpose"]
fn the_latest_data_of_1500_stations_is_read_in_well_under_a_second() {
    const STATIONS: usize = 1_500;
    const HOURS: i64 = 48;
    let dir = super::temp_dir("operations-latest");
    let store = lantian_store::Store::open_data_dir(&dir).unwrap();
    let codes = ["a34004", "a34002", "a21026", "a21004", "a21005", "a05024"];
    for s in 0..STATIONS {
        let id = format!("S{s:04}");
        let obs: Vec<Observation> = (0..HOURS)
            .flat_map(|h| {
                let id = id.clone();
                codes.iter().map(move |c| Observation {
                    station_id: id.as_str().into(),
                    code: (*c).into(),
                    period: Period::Hour,
                    ts: h * 3_600,
                    value: 1.0,
                    flag: "N".into(),
                })
            })
            .collect();
        store
            .commit_batch(&[Ingest {
                packet: None,
                observations: obs,
            }])
            .unwrap();
    }
    let started = std::time::Instant::now();
    for s in 0..STATIONS {
        let last = store
            .latest_data_ts(&format!("S{s:04}"), &codes, &["hour", "min", "rtd"])
            .unwrap();
        assert_eq!(last, Some((HOURS - 1) * 3_600));
    }
    let took = started.elapsed().as_secs_f64();
    eprintln!("FIGURE latest data of {STATIONS} stations (18 index seeks each): {took:.3} s");
    assert!(took < 5.0, "{took} s");
}
