//! The audit log and the ledger's integrity on SQLite and PostgreSQL alike: a change and its
//! audit row commit together or not at all; an import versions the measures list and keeps
//! every event; status changes are compare-and-set; evidence has a quota.

use crate::on_both;
use lantian_core::ledger::status::Status;
use lantian_core::ledger::{EventKind, Fields};
use lantian_store::ledger::{EvidenceQuota, MeasureEvent, MeasureRow};
use lantian_store::*;

fn row(action: &str, object: &str) -> AuditRow {
    AuditRow {
        at_ms: 1_000,
        actor: "bureau1".into(),
        action: action.into(),
        object: object.into(),
        detail: "d".into(),
        source: "192.0.2.7".into(),
    }
}

fn station(id: &str) -> Station {
    Station {
        id: id.into(),
        name: format!("站{id}"),
        role: StationRole::Township,
        admin_unit_id: None,
        lat: None,
        lon: None,
        pollutants: vec!["a21026".into()],
        min_interval_min: 1,
        demo: false,
    }
}

/// A trigger (SQLite) or a check constraint (PostgreSQL; Citus has no triggers on reference
/// tables) that refuses audit rows of action `boom`, as a full disk or a broken constraint
/// would refuse the insert.
const FAIL_AUDIT_SQLITE: &str = "CREATE TRIGGER audit_boom BEFORE INSERT ON audit_log WHEN NEW.action = 'boom' BEGIN SELECT RAISE(ABORT, 'audit insert refused'); END;";
const FAIL_AUDIT_PG: &str =
    "ALTER TABLE audit_log ADD CONSTRAINT audit_boom CHECK (action <> 'boom')";

#[test]
fn a_change_and_its_audit_row_commit_together_or_not_at_all_on_both_backends() {
    on_both("audit-tx", |store, sql| {
        let pg = store.is_postgres();
        sql(if pg { FAIL_AUDIT_PG } else { FAIL_AUDIT_SQLITE });
        // (action, station, change commits?)
        let cases = [("station.save", "S-OK", true), ("boom", "S-BOOM", false)];
        for (action, id, commits) in cases {
            let out: Result<(), StoreError> =
                store.audited(row(action, id), || store.upsert_station(&station(id)));
            assert_eq!(out.is_ok(), commits, "{action}: {out:?}");
            let stored = store.station(id).unwrap().is_some();
            let audited = store
                .audit_events(100)
                .unwrap()
                .iter()
                .any(|e| e.object == id);
            assert_eq!(
                (stored, audited),
                (commits, commits),
                "{action} on {id}, pg {pg}"
            );
        }
        let e = &store.audit_events(1).unwrap()[0];
        assert_eq!(
            (e.actor.as_str(), e.action.as_str(), e.source.as_str()),
            ("bureau1", "station.save", "192.0.2.7")
        );
        // A failed change writes no audit row either.
        let before = store.audit_events(100).unwrap().len();
        let out: Result<(), StoreError> = store.audited(row("station.save", "x"), || {
            Err(StoreError::Invalid { what: "no".into() })
        });
        assert!(out.is_err());
        assert_eq!(store.audit_events(100).unwrap().len(), before);
        // An act that wrote nothing still gets its row.
        let out: Result<(), StoreError> = store.audited(row("noop", "y"), || Ok(()));
        out.unwrap();
        assert_eq!(store.audit_events(1).unwrap()[0].action, "noop");
    });
}

fn measure(id: &str, pos: i64, text: &str) -> MeasureRow {
    MeasureRow {
        id: id.into(),
        position: pos,
        category: "c".into(),
        task: "t".into(),
        measure: text.into(),
        section: "s".into(),
        responsibility: "r".into(),
        fields: Fields::default(),
        status: Status::NotStarted,
        updated_ms: 0,
    }
}

fn event(id: &str, action: EventKind, after: Status, bytes: Option<i64>) -> MeasureEvent {
    MeasureEvent {
        id: 0,
        measure_id: id.into(),
        at_ms: 2_000,
        actor: "wk".into(),
        unit: Some("wangkou".into()),
        action,
        month: None,
        text: "进展".into(),
        status_after: after,
        list_version: 0,
        bytes,
    }
}

#[test]
fn an_import_is_a_new_version_of_the_list_and_every_event_stays_on_both_backends() {
    on_both("ledger-versions", |store, _| {
        let v1 = store
            .replace_measures(
                &[measure("M1", 1, "一"), measure("M2", 2, "二")],
                "op",
                1_000,
            )
            .unwrap();
        store
            .add_measure_event(
                &event("M1", EventKind::Report, Status::InProgress, None),
                Status::NotStarted,
                None,
                None,
            )
            .unwrap();
        let v2 = store
            .replace_measures(&[measure("M1", 1, "一（修订）")], "op", 3_000)
            .unwrap();
        assert_eq!((v1, v2), (1, 2));
        let lists = store.measure_lists().unwrap();
        assert_eq!(
            lists
                .iter()
                .map(|l| (l.version, l.measures))
                .collect::<Vec<_>>(),
            [(1, 2), (2, 1)]
        );
        // The current list is the new one; the old one is kept as it was.
        let now: Vec<_> = store
            .measures()
            .unwrap()
            .into_iter()
            .map(|m| m.measure)
            .collect();
        assert_eq!(now, ["一（修订）"]);
        let old = store.superseded_measures(1).unwrap();
        assert_eq!(
            old.iter()
                .map(|m| (m.id.as_str(), m.measure.as_str(), m.status))
                .collect::<Vec<_>>(),
            [
                ("M1", "一", Status::InProgress),
                ("M2", "二", Status::NotStarted)
            ]
        );
        assert!(store.measure("M2").unwrap().is_none());
        // Every event stays, linked to the version it was made under.
        let h: Vec<_> = store
            .measure_events("M1")
            .unwrap()
            .into_iter()
            .map(|e| (e.action, e.list_version))
            .collect();
        assert_eq!(
            h,
            [
                (EventKind::Import, 1),
                (EventKind::Report, 1),
                (EventKind::Import, 2)
            ]
        );
        assert_eq!(store.measure_events("M2").unwrap().len(), 1);
    });
}

#[test]
fn a_status_change_from_a_status_no_longer_there_is_refused_on_both_backends() {
    on_both("ledger-cas", |store, _| {
        store
            .replace_measures(&[measure("M1", 1, "一")], "op", 1_000)
            .unwrap();
        let report = event("M1", EventKind::Report, Status::InProgress, None);
        store
            .add_measure_event(&report, Status::NotStarted, None, None)
            .unwrap();
        // A second writer that read "not started" before the first wrote loses.
        let confirm = event("M1", EventKind::Confirm, Status::Completed, None);
        let lost = store.add_measure_event(&confirm, Status::NotStarted, None, None);
        match lost {
            Err(StoreError::Refused { what }) => {
                assert!(what.contains("in_progress"), "{what}");
            }
            other => panic!("expected Refused, got {other:?}"),
        }
        assert_eq!(
            store.measure("M1").unwrap().unwrap().status,
            Status::InProgress
        );
        assert_eq!(store.measure_events("M1").unwrap().len(), 2);
        let missing = event("M9", EventKind::Report, Status::InProgress, None);
        assert!(matches!(
            store.add_measure_event(&missing, Status::NotStarted, None, None),
            Err(StoreError::NotFound { .. })
        ));
    });
}

#[test]
fn evidence_beyond_the_quota_is_refused_in_the_transaction_on_both_backends() {
    on_both("ledger-quota", |store, _| {
        store
            .replace_measures(&[measure("M1", 1, "一")], "op", 1_000)
            .unwrap();
        let q = EvidenceQuota {
            files_max: 2,
            bytes_max: 1_000,
        };
        // (bytes, accepted?): the third file passes the count; 700 + 400 the bytes.
        let cases = [(700, true), (400, false), (200, true), (10, false)];
        for (bytes, ok) in cases {
            let e = event("M1", EventKind::Evidence, Status::NotStarted, Some(bytes));
            let out = store.add_measure_event(&e, Status::NotStarted, None, Some(q));
            assert_eq!(out.is_ok(), ok, "{bytes}: {out:?}");
            if !ok {
                assert!(matches!(out, Err(StoreError::Refused { .. })));
            }
        }
        let used = store.evidence_use("M1").unwrap();
        assert_eq!((used.files, used.bytes), (2, 900));
    });
}
