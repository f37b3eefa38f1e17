//! The daily rollup (issue 20, reads at scale) on SQLite and PostgreSQL: the daily records
//! assessments and rankings read from it are the ones computed from the hours, for one
//! station and for several (O3 from the city-mean hourly series), cold and warm; a late
//! value, a correction (audited view only) and a new code revision make exactly their days
//! stale; a write committed while a reader computes leaves the record stale, not wrong; the
//! minute rollups rewritten at a new interval make their days stale too; the refresh pass
//! leaves nothing due, and never counts an outlet's series.

use lantian_app::data::Hours;
use lantian_app::days::{self, RECORDS_REV};
use lantian_app::{App, Clock, County};
use lantian_core::pollutant::Pollutant;
use lantian_core::series::StationRole;
use lantian_core::{Date, cst};
use lantian_store::daily::DueDay;
use lantian_store::model::{Correction, CorrectionAction};
use lantian_store::testing::{PgDb, pg_url};
use lantian_store::{Ingest, Location, Observation, Period, Station, Store, View};
use std::sync::Arc;

const FIRST: &str = "2025-12-30";
const N_DAYS: usize = 5;

fn station(id: &str, unit: &str) -> Station {
    Station {
        id: id.into(),
        name: id.into(),
        role: StationRole::Township,
        admin_unit_id: Some(unit.into()),
        lat: Some(37.9),
        lon: Some(115.2),
        pollutants: Pollutant::ALL
            .iter()
            .map(|p| p.hj212_code().into())
            .collect(),
        min_interval_min: 1,
        demo: false,
    }
}

/// Hourly values of station `k` over the days, with gaps: about one hour a day missing and,
/// for station 1, the first 6 hours of day 2 (so that day is not valid for it).
fn hours_of(id: &str, k: usize) -> Vec<Observation> {
    let first = Date::parse(FIRST).unwrap();
    let mut out = Vec::new();
    for i in 0..N_DAYS * 24 {
        if i % 29 == k || (k == 1 && i / 24 == 2 && i % 24 < 6) {
            continue;
        }
        let ts = cst::day_start(first) + i as i64 * cst::HOUR_S;
        for p in Pollutant::ALL {
            out.push(value(
                id,
                p,
                ts,
                10.0 + k as f64 * 7.0 + ((i * 13 + p.index() * 5) % 41) as f64,
            ));
        }
    }
    out
}

fn value(id: &str, p: Pollutant, ts: i64, v: f64) -> Observation {
    Observation {
        station_id: id.into(),
        code: p.hj212_code().into(),
        period: Period::Hour,
        ts,
        value: v,
        flag: "N".into(),
    }
}

fn commit(store: &Store, observations: Vec<Observation>) {
    store
        .commit_batch(&[Ingest {
            packet: None,
            observations,
        }])
        .unwrap();
}

/// The records both ways, as text (NaN equals NaN).
fn both(app: &App, ids: &[&str], view: View) -> (String, String) {
    let all = app.store.stations().unwrap();
    let stations: Vec<Station> = ids
        .iter()
        .map(|id| all.iter().find(|s| s.id == *id).unwrap().clone())
        .collect();
    let first = Date::parse(FIRST).unwrap();
    let rollup = days::load(app, &stations, first, N_DAYS, view).unwrap();
    let hours = Hours::load(app, stations, first, N_DAYS, view)
        .unwrap()
        .days();
    (format!("{rollup:?}"), format!("{hours:?}"))
}

fn fresh_days(store: &Store, id: &str, view: View) -> Vec<bool> {
    let first = Date::parse(FIRST).unwrap().days_since_epoch();
    store
        .stored_days(id, view, first, N_DAYS, RECORDS_REV)
        .unwrap()
        .iter()
        .map(|d| d.record.is_some())
        .collect()
}

fn story(store: Store) {
    let app = App::new(
        Arc::new(store),
        Clock::Fixed {
            unix_ms: cst::to_unix_ms(cst::day_start(Date::parse("2026-01-10").unwrap())),
        },
        Arc::new(County::xinji()),
        None,
    );
    let store = &app.store;
    County::xinji().install(store, 0).unwrap();
    for (k, (id, unit)) in [("W1", "wangkou"), ("W2", "wangkou"), ("X1", "xincheng")]
        .into_iter()
        .enumerate()
    {
        store.upsert_station(&station(id, unit)).unwrap();
        commit(store, hours_of(id, k));
    }
    let first = Date::parse(FIRST).unwrap();
    let day0 = cst::day_start(first);

    // Cold (computed and stored) and warm (read back): the same records as from the hours.
    for view in [View::Audited, View::Raw] {
        for ids in [&["W2"][..], &["W1", "W2"], &["W1", "W2", "X1"]] {
            for pass in ["cold", "warm"] {
                let (rollup, hours) = both(&app, ids, view);
                assert_eq!(rollup, hours, "{ids:?} {view:?} {pass}");
            }
        }
        assert_eq!(fresh_days(store, "W2", view), vec![true; N_DAYS]);
    }
    let (_, w2_before) = both(&app, &["W2"], View::Raw);
    assert_eq!(
        w2_before.matches("NaN").count(),
        7,
        "only W2's day 2 is not valid: {w2_before}"
    );

    // Late values make their own day stale (both views), and only that day.
    let late = (0..6)
        .map(|h| {
            value(
                "W2",
                Pollutant::Pm25,
                day0 + (2 * 24 + h) * cst::HOUR_S,
                99.0,
            )
        })
        .collect();
    commit(store, late);
    let stale_day2 = vec![true, true, false, true, true];
    assert_eq!(fresh_days(store, "W2", View::Raw), stale_day2);
    assert_eq!(fresh_days(store, "W2", View::Audited), stale_day2);
    assert_eq!(fresh_days(store, "W1", View::Raw), vec![true; N_DAYS]);
    let (rollup, hours) = both(&app, &["W1", "W2"], View::Raw);
    assert_eq!(rollup, hours, "after the late value");
    let w2_after = both(&app, &["W2"], View::Raw).0;
    assert_eq!(
        w2_after.matches("NaN").count(),
        6,
        "day 2's PM2.5 is valid: {w2_after}"
    );

    // A correction: the audited records of its day change; the raw ones read the same.
    let raw_before = both(&app, &["W1"], View::Raw).0;
    let audited_before = both(&app, &["W1"], View::Audited).0;
    store
        .add_correction(&Correction {
            station_id: "W1".into(),
            code: Pollutant::Pm25.hj212_code().into(),
            period: Period::Hour,
            ts: day0 + (3 * 24 + 7) * cst::HOUR_S,
            action: CorrectionAction::Correct,
            value: Some(500.0),
            reason_code: "calibration".into(),
            who: "auditor".into(),
            at_ms: 0,
            rule_set: "HJ633-2026".into(),
            note: String::new(),
        })
        .unwrap();
    assert_eq!(
        fresh_days(store, "W1", View::Audited),
        vec![true, true, true, false, true]
    );
    let (rollup, hours) = both(&app, &["W1"], View::Audited);
    assert_eq!(rollup, hours, "after the correction");
    assert_ne!(rollup, audited_before, "the correction changed day 3");
    assert_eq!(both(&app, &["W1"], View::Raw).0, raw_before);

    // A value stored again (a resend) changes nothing: nothing goes stale.
    let resent = store
        .commit_batch(&[Ingest {
            packet: None,
            observations: vec![value("W1", Pollutant::So2, day0 + 40 * cst::HOUR_S, 1.0)],
        }])
        .unwrap();
    assert_eq!(resent.observations_new, 0, "{resent:?}");
    assert_eq!(fresh_days(store, "W1", View::Raw), vec![true; N_DAYS]);

    // Another code revision stores its own records: none of this one's are fresh for it.
    let day_first = first.days_since_epoch();
    let other_rev = store
        .stored_days("W1", View::Raw, day_first, N_DAYS, RECORDS_REV + 1)
        .unwrap();
    assert!(other_rev.iter().all(|d| d.record.is_none()));

    // A write committed between a reader's generations and its store: stale, not wrong.
    let read = store
        .stored_days("X1", View::Raw, day_first, N_DAYS, RECORDS_REV)
        .unwrap();
    let computed: Vec<_> = read.iter().map(|d| (*d, d.record.unwrap())).collect();
    // (X1 has no hour 31: 31 % 29 == 2.)
    commit(
        store,
        vec![value("X1", Pollutant::So2, day0 + 31 * cst::HOUR_S, 7.0)],
    );
    store
        .put_days("X1", View::Raw, RECORDS_REV, &computed)
        .unwrap();
    assert_eq!(
        fresh_days(store, "X1", View::Raw),
        vec![true, false, true, true, true]
    );

    // Minute data: 30 values an hour every 2 minutes make valid hours (60 minutes); once the
    // station is set to 1-minute data, the same values sent again make them invalid (30
    // minutes): no new value, but the rollups change, and so must the records.
    let mut m1 = station("M1", "xincheng");
    m1.min_interval_min = 2;
    store.upsert_station(&m1).unwrap();
    let minutes: Vec<Observation> = (0..24 * 30)
        .map(|k| Observation {
            period: Period::Min,
            ..value("M1", Pollutant::Pm25, day0 + k * 120, 30.0 + (k % 7) as f64)
        })
        .collect();
    commit(store, minutes.clone());
    let (rollup, hours) = both(&app, &["M1"], View::Raw);
    assert_eq!(rollup, hours, "minute data");
    assert!(!rollup.starts_with("[DailyRecord { date: Date { year: 2025, month: 12, day: 30 }, values: [NaN, NaN, NaN, NaN, NaN, NaN]"), "{rollup}");
    m1.min_interval_min = 1;
    store.upsert_station(&m1).unwrap();
    commit(store, minutes);
    let (rollup, hours) = both(&app, &["M1"], View::Raw);
    assert_eq!(rollup, hours, "the same minutes at a new interval");
    assert_eq!(rollup.matches("NaN").count(), 5 * 7, "{rollup}");

    // An outlet's series has no daily records to compute: never due.
    let mut outlet = station("O1", "xincheng");
    outlet.role = StationRole::Outlet;
    store.upsert_station(&outlet).unwrap();
    commit(store, hours_of("O1", 0));

    // The refresh pass computes whatever is due, both views; then nothing is.
    let due = |view| store.refresh_due(view, RECORDS_REV, None, 1000).unwrap();
    assert_eq!(
        due(View::Raw),
        vec![DueDay {
            station_id: "X1".into(),
            day: day_first + 1
        }]
    );
    assert!(!due(View::Audited).is_empty());
    let done = days::refresh(&app).unwrap();
    assert!(done.station_days >= 2 && done.failed.is_empty(), "{done:?}");
    assert!(due(View::Raw).is_empty() && due(View::Audited).is_empty());
    let (rollup, hours) = both(&app, &["X1"], View::Raw);
    assert_eq!(rollup, hours, "after the refresh");
}

#[test]
fn daily_records_from_the_rollup_equal_those_from_the_hours_on_sqlite() {
    let dir = super::temp_dir("daily-records-sqlite");
    story(Store::open_data_dir(&dir).unwrap());
}

#[test]
fn daily_records_from_the_rollup_equal_those_from_the_hours_on_postgres() {
    let Some(base) = pg_url() else {
        return;
    };
    let db = PgDb::create(&base, "it_daily_records");
    story(Store::open(&Location::Postgres(db.url.clone())).unwrap());
}
