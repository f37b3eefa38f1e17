//! Parts of a measure (milestones, townships' shares) and the numbers entered against its
//! targets, on SQLite and PostgreSQL alike: a part's status is compare-and-set and moves the
//! measure's in the same transaction; its events stay out of the measure's own history;
//! numbers are appended and keep their history.

use crate::on_both;
use lantian_core::Month;
use lantian_core::ledger::status::Status;
use lantian_core::ledger::{EventKind, Fields};
use lantian_store::StoreError;
use lantian_store::ledger::{MeasureEvent, MeasureRow};
use lantian_store::ledger_parts::{ValueKind, ValueRow};

fn measure(id: &str) -> MeasureRow {
    MeasureRow {
        id: id.into(),
        position: 1,
        category: "c".into(),
        task: "t".into(),
        measure: "m".into(),
        section: "s".into(),
        responsibility: "r".into(),
        fields: Fields::default(),
        status: Status::NotStarted,
        updated_ms: 0,
    }
}

fn event(after: Status, unit: &str) -> MeasureEvent {
    MeasureEvent {
        id: 0,
        measure_id: "M05".into(),
        at_ms: 2_000,
        actor: "u".into(),
        unit: Some(unit.into()),
        action: EventKind::Report,
        month: None,
        text: "进展".into(),
        status_after: after,
        list_version: 0,
        bytes: None,
    }
}

#[test]
fn a_part_s_status_is_compare_and_set_and_its_events_are_its_own_on_both_backends() {
    on_both("ledger-parts", |store, _| {
        store
            .replace_measures(&[measure("M05")], "op", 1_000)
            .unwrap();
        // A milestone's first report starts the measure too, in one transaction.
        store
            .add_part_event(
                &event(Status::InProgress, "市生态环境局"),
                "milestone:M05-1",
                Status::NotStarted,
                Some((Status::NotStarted, Status::InProgress)),
            )
            .unwrap();
        // A township's part: the measure's status stays.
        store
            .add_part_event(
                &event(Status::InProgress, "wangkou"),
                "unit:wangkou",
                Status::NotStarted,
                None,
            )
            .unwrap();
        // A stale expectation is refused and commits nothing (neither the part nor the event).
        let stale = store.add_part_event(
            &event(Status::Completed, "wangkou"),
            "unit:wangkou",
            Status::NotStarted,
            None,
        );
        assert!(
            matches!(stale, Err(StoreError::Refused { .. })),
            "{stale:?}"
        );
        // The measure moved meanwhile: the part's change is rolled back with it.
        let moved = store.add_part_event(
            &event(Status::Completed, "市生态环境局"),
            "milestone:M05-1",
            Status::InProgress,
            Some((Status::NotStarted, Status::Completed)),
        );
        assert!(
            matches!(moved, Err(StoreError::Refused { .. })),
            "{moved:?}"
        );
        let parts: Vec<(String, Status)> = store
            .measure_parts(Some("M05"))
            .unwrap()
            .into_iter()
            .map(|p| (p.part, p.status))
            .collect();
        assert_eq!(
            parts,
            [
                ("milestone:M05-1".to_owned(), Status::InProgress),
                ("unit:wangkou".to_owned(), Status::InProgress)
            ]
        );
        assert_eq!(
            store.measure("M05").unwrap().unwrap().status,
            Status::InProgress
        );
        let own = store.measure_events("M05").unwrap();
        assert_eq!(
            own.len(),
            1,
            "only the import is the measure's own: {own:?}"
        );
        let part_events = store.part_events("M05").unwrap();
        assert_eq!(
            part_events
                .iter()
                .map(|p| p.part.as_str())
                .collect::<Vec<_>>(),
            ["milestone:M05-1", "unit:wangkou"]
        );
        assert_eq!(part_events[1].event.unit.as_deref(), Some("wangkou"));
    });
}

#[test]
fn numbers_are_appended_with_their_history_on_both_backends() {
    on_both("ledger-values", |store, _| {
        let v = |kind, month: Option<&str>, value: f64, at_ms| ValueRow {
            id: 0,
            measure_id: "M09".into(),
            target_key: "coal_reduction".into(),
            kind,
            month: month.map(|m| Month::parse(m).unwrap()),
            value,
            actor: "bureau1".into(),
            unit: Some("市生态环境局".into()),
            at_ms,
            note: "省厅文件".into(),
        };
        let a = store
            .add_measure_value(&v(ValueKind::Target, None, 8.0, 1))
            .unwrap();
        let b = store
            .add_measure_value(&v(ValueKind::Target, None, 9.5, 2))
            .unwrap();
        store
            .add_measure_value(&v(ValueKind::Actual, Some("2025-03"), 7.25, 3))
            .unwrap();
        assert!(b > a);
        let all = store.measure_values("M09").unwrap();
        let got: Vec<(ValueKind, Option<String>, f64)> = all
            .iter()
            .map(|r| (r.kind, r.month.map(|m| m.to_string()), r.value))
            .collect();
        assert_eq!(
            got,
            [
                (ValueKind::Target, None, 8.0),
                (ValueKind::Target, None, 9.5),
                (ValueKind::Actual, Some("2025-03".to_owned()), 7.25)
            ]
        );
        assert_eq!(all[0].note, "省厅文件");
        assert!(store.measure_values("M47").unwrap().is_empty());
    });
}
