//! The emergency tables on SQLite and PostgreSQL alike: a warning's steps with their
//! notifications, receipts kept once, the reduction list replaced per enterprise, permits and
//! handovers.

use crate::on_both;
use lantian_core::warning::reduction::{Measure, MeasureKind};
use lantian_store::*;

fn enterprise(id: &str) -> Enterprise {
    Enterprise {
        id: id.into(),
        name: format!("企业{id}"),
        credit_code: None,
        industry: Some("钢铁".into()),
        grade: Some(Grade::C),
        admin_unit_id: None,
        lat: None,
        lon: None,
        key_polluter: true,
        permit_no: None,
        demo: false,
        clean_transport_target_pct: None,
        discloses: false,
        disclosure_note: None,
    }
}

fn measure(e: &str, level: WarningLevel, seq: i64, kind: MeasureKind) -> ReductionMeasure {
    ReductionMeasure {
        enterprise_id: e.into(),
        seq,
        measure: Measure {
            level,
            kind,
            equipment: (kind == MeasureKind::StopLine).then(|| "line-1".into()),
            cap_pct: (kind == MeasureKind::CapLoad).then_some(60.0),
            declared_pct: None,
            text: format!("{kind} {seq}"),
        },
    }
}

#[test]
fn a_warning_its_steps_receipts_measures_permits_and_handovers_are_kept_on_both_backends() {
    on_both("emergency", |store, _| {
        store.upsert_enterprise(&enterprise("e1")).unwrap();
        store.upsert_enterprise(&enterprise("e2")).unwrap();
        let mut w = Warning {
            id: 0,
            state: WarningState::Proposed,
            level: WarningLevel::Orange,
            origin: WarningOrigin::Local,
            edition: "hebei-2024".into(),
            rule_zh: "橙色预警".into(),
            rule_en: "orange".into(),
            forecast: Forecast {
                start: 1000 * 3600,
                hourly: vec![Some(210.0), None, Some(90.5)],
            },
            first_hour: Some(1000 * 3600),
            last_hour: Some(1047 * 3600),
            issued_ts: None,
            lifted_ts: None,
            doc_no: None,
            created_ts: 999 * 3600,
        };
        let step = |kind, level| WarningEvent {
            warning_id: 0,
            seq: 0,
            ts: 999 * 3600,
            effective_ts: None,
            kind,
            level,
            actor: "bureau".into(),
            doc_no: None,
            note: String::new(),
        };
        w.id = store
            .insert_warning(
                &w,
                &step(WarningEventKind::Proposed, Some(WarningLevel::Orange)),
            )
            .unwrap();
        assert_eq!(store.warning(w.id).unwrap().as_ref(), Some(&w));
        w.state = WarningState::InForce;
        w.issued_ts = Some(1000 * 3600);
        w.doc_no = Some("辛大气办〔2026〕1号".into());
        let notice = |r: &str| Notification {
            warning_id: w.id,
            event_seq: 0,
            recipient: r.into(),
            channel: "app".into(),
            sent_ts: 1000 * 3600,
            read_ts: None,
            confirmed_ts: None,
            confirmed_by: None,
        };
        let seq = store
            .record_warning_step(
                &w,
                &WarningEvent {
                    warning_id: w.id,
                    doc_no: w.doc_no.clone(),
                    ..step(WarningEventKind::Issued, Some(WarningLevel::Orange))
                },
                &[notice("e1"), notice("e2")],
            )
            .unwrap();
        assert_eq!(seq, 2);
        assert_eq!(store.warnings().unwrap(), vec![w.clone()]);
        let kinds: Vec<_> = store
            .warning_events(w.id)
            .unwrap()
            .iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            [WarningEventKind::Proposed, WarningEventKind::Issued]
        );

        assert!(store.receipt(w.id, 2, "e1", 1001 * 3600, None).unwrap());
        assert!(
            store
                .receipt(w.id, 2, "e1", 1002 * 3600, Some("e1-user"))
                .unwrap()
        );
        assert!(
            store
                .receipt(w.id, 2, "e1", 1003 * 3600, Some("other"))
                .unwrap()
        );
        assert!(!store.receipt(w.id, 2, "nobody", 1003 * 3600, None).unwrap());
        let got = store.notifications(Some(w.id), Some("e1")).unwrap();
        assert_eq!(
            (
                got[0].read_ts,
                got[0].confirmed_ts,
                got[0].confirmed_by.as_deref()
            ),
            (Some(1001 * 3600), Some(1002 * 3600), Some("e1-user"))
        );
        assert_eq!(store.notifications(None, None).unwrap().len(), 2);

        use MeasureKind::*;
        store
            .replace_reduction_measures(
                &[
                    measure("e1", WarningLevel::Red, 1, StopLine),
                    measure("e1", WarningLevel::Yellow, 1, CapLoad),
                    measure("e2", WarningLevel::Orange, 1, TransportBan),
                ],
                &[],
            )
            .unwrap();
        store
            .replace_reduction_measures(&[measure("e1", WarningLevel::Orange, 1, CapLoad)], &["e2"])
            .unwrap();
        assert_eq!(
            store.reduction_measures(None).unwrap(),
            vec![measure("e1", WarningLevel::Orange, 1, CapLoad)]
        );
        store
            .replace_reduction_measures(
                &[
                    measure("e1", WarningLevel::Red, 1, StopLine),
                    measure("e1", WarningLevel::Yellow, 1, CapLoad),
                ],
                &[],
            )
            .unwrap();
        let levels: Vec<_> = store
            .reduction_measures(Some("e1"))
            .unwrap()
            .iter()
            .map(|m| m.measure.level)
            .collect();
        assert_eq!(levels, [WarningLevel::Yellow, WarningLevel::Red]);

        let permit = |p, t| Permit {
            enterprise_id: "e1".into(),
            pollutant: p,
            t_per_year: t,
        };
        store
            .set_permits(&[permit(ReductionPollutant::So2, 10.0)])
            .unwrap();
        store
            .set_permits(&[
                permit(ReductionPollutant::So2, 12.5),
                permit(ReductionPollutant::Vocs, 3.0),
            ])
            .unwrap();
        assert_eq!(
            store.permits().unwrap(),
            vec![
                permit(ReductionPollutant::So2, 12.5),
                permit(ReductionPollutant::Vocs, 3.0)
            ]
        );

        let h = Handover {
            warning_id: w.id,
            enterprise_id: "e1".into(),
            measure: "orange:1".into(),
            first_hour: 1010 * 3600,
            handed_ts: 1020 * 3600,
            actor: "bureau".into(),
            note: "限产未落实".into(),
        };
        assert!(store.hand_over(&h).unwrap());
        assert!(!store.hand_over(&h).unwrap());
        assert_eq!(store.handovers(w.id).unwrap(), vec![h]);
    });
}
