//! Targets in the store, on SQLite and PostgreSQL: each edit a new version (the latest is
//! current, the history keeps every one), the profile's rows installed only where no row
//! exists, a 省定目标 without a number, and monthly breakdowns replaced as a whole.

use super::on_both;
use lantian_core::targets::{Indicator, Method};
use lantian_store::targets::{BreakdownRow, NewTarget, TargetSource};

fn target(
    unit: &str,
    ind: Indicator,
    value: Option<f64>,
    source: TargetSource,
    at_ms: i64,
) -> NewTarget {
    NewTarget {
        year: 2025,
        unit_id: unit.into(),
        indicator: ind,
        value,
        source,
        actor: if source == TargetSource::Bureau {
            "chief".into()
        } else {
            "system".into()
        },
        at_ms,
        note: format!("note {at_ms}"),
    }
}

#[test]
fn targets_keep_their_history_and_breakdowns_are_replaced() {
    on_both("targets", |store, _sql| {
        let profile = [
            target(
                "130181",
                Indicator::Pm25,
                Some(35.0),
                TargetSource::Profile,
                1,
            ),
            target(
                "130181",
                Indicator::HeavyDayRatio,
                None,
                TargetSource::Profile,
                1,
            ),
            target(
                "wangkou",
                Indicator::Pm25,
                Some(35.0),
                TargetSource::Profile,
                1,
            ),
        ];
        assert_eq!(store.add_targets_if_absent(&profile).unwrap(), 3);
        store
            .add_target(&target(
                "130181",
                Indicator::Pm25,
                Some(33.0),
                TargetSource::Bureau,
                2,
            ))
            .unwrap();
        store
            .add_target(&target(
                "130181",
                Indicator::Pm25,
                Some(32.5),
                TargetSource::Bureau,
                3,
            ))
            .unwrap();
        // A second start: nothing installed over what exists.
        assert_eq!(store.add_targets_if_absent(&profile).unwrap(), 0);

        let now = store.targets(2025).unwrap();
        let cur: Vec<(&str, String, Option<f64>, TargetSource)> = now
            .iter()
            .map(|r| (r.unit_id.as_str(), r.indicator.code(), r.value, r.source))
            .collect();
        assert_eq!(
            cur,
            [
                (
                    "130181",
                    "heavy_day_ratio".to_owned(),
                    None,
                    TargetSource::Profile
                ),
                (
                    "130181",
                    "pm25".to_owned(),
                    Some(32.5),
                    TargetSource::Bureau
                ),
                (
                    "wangkou",
                    "pm25".to_owned(),
                    Some(35.0),
                    TargetSource::Profile
                ),
            ]
        );
        assert!(store.targets(2024).unwrap().is_empty());

        let h = store
            .target_history(2025, Some("130181"), Some(&Indicator::Pm25))
            .unwrap();
        let versions: Vec<(Option<f64>, &str, i64, &str)> = h
            .iter()
            .map(|r| (r.value, r.actor.as_str(), r.at_ms, r.note.as_str()))
            .collect();
        assert_eq!(
            versions,
            [
                (Some(35.0), "system", 1, "note 1"),
                (Some(33.0), "chief", 2, "note 2"),
                (Some(32.5), "chief", 3, "note 3"),
            ]
        );
        assert_eq!(store.target_history(2025, None, None).unwrap().len(), 5);

        let bad = target(
            "130181",
            Indicator::GoodDayRatio,
            Some(120.0),
            TargetSource::Bureau,
            4,
        );
        assert!(
            store.add_target(&bad).is_err(),
            "a ratio above 100 % is refused"
        );

        let mut b = BreakdownRow {
            year: 2025,
            unit_id: "wangkou".into(),
            indicator: Indicator::Pm25,
            method: Method::Even,
            months: [35.0; 12],
            actor: "chief".into(),
            at_ms: 5,
        };
        store.set_breakdown(&b).unwrap();
        b.method = Method::Typed;
        b.months = std::array::from_fn(|i| 30.0 + i as f64);
        store.set_breakdown(&b).unwrap();
        let got = store.breakdowns(2025).unwrap();
        assert_eq!(got, [b.clone()]);
        b.months[3] = f64::NAN;
        assert!(store.set_breakdown(&b).is_err());
        assert_eq!(store.breakdowns(2025).unwrap()[0].months[3], 33.0);
    });
}
