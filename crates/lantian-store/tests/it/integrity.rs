//! Integrity alarms, reviews, work orders and closed months on SQLite and PostgreSQL alike:
//! an episode found again is not repeated, a grown one is extended, the bureau's review sets
//! the state, a work order closes once, a month closes once.

use crate::on_both;
use lantian_core::integrity::{Rule, Severity};
use lantian_core::pollutant::Pollutant;
use lantian_store::integrity::*;

const H: i64 = 3600;

fn alarm(station: &str, rule: Rule, first_h: i64, last_h: i64) -> NewAlarm {
    NewAlarm {
        station_id: station.into(),
        pollutant: Some(Pollutant::Pm25),
        rule,
        severity: Severity::Warning,
        first_ts: first_h * H,
        last_ts: last_h * H,
        why_zh: format!("{first_h}-{last_h}"),
        why_en: String::new(),
        figures: vec![("hours".into(), (last_h - first_h + 1) as f64)],
        neighbours: vec!["N1".into()],
    }
}

#[test]
fn alarms_are_stored_once_per_episode_and_extended_as_it_grows_on_both_backends() {
    on_both("integrity-alarms", |store, _| {
        // (alarms of one scan, new, extended, unchanged, stored episodes after)
        let cases = [
            (vec![alarm("S1", Rule::FlatLine, 10, 17)], 1, 0, 0, 1),
            // The same episode again: nothing new.
            (vec![alarm("S1", Rule::FlatLine, 10, 17)], 0, 0, 1, 1),
            // It grew by three hours: extended, still one.
            (vec![alarm("S1", Rule::FlatLine, 12, 20)], 0, 1, 0, 1),
            // Touching it within the gap (2 h): extended.
            (vec![alarm("S1", Rule::FlatLine, 22, 23)], 0, 1, 0, 1),
            // Far later, another rule, another station: three new episodes.
            (
                vec![
                    alarm("S1", Rule::FlatLine, 100, 110),
                    alarm("S1", Rule::Spike, 12, 12),
                    alarm("S2", Rule::FlatLine, 10, 17),
                ],
                3,
                0,
                0,
                4,
            ),
        ];
        for (i, (scan, new, extended, unchanged, total)) in cases.into_iter().enumerate() {
            let got = store.store_alarms(&scan, 2 * H, 1_000 + i as i64).unwrap();
            assert_eq!(
                (got.new, got.extended, got.unchanged),
                (new, extended, unchanged),
                "case {i}"
            );
            assert_eq!(
                store.alarms(&AlarmFilter::default()).unwrap().len(),
                total,
                "case {i}"
            );
        }
        let s1 = store
            .alarms(&AlarmFilter {
                station_id: Some("S1".into()),
                rule: Some(Rule::FlatLine),
                to_ts: Some(50 * H),
                ..AlarmFilter::default()
            })
            .unwrap();
        assert_eq!(s1.len(), 1);
        assert_eq!(
            (s1[0].alarm.first_ts, s1[0].alarm.last_ts),
            (10 * H, 23 * H)
        );
        assert_eq!(s1[0].alarm.neighbours, vec!["N1".to_owned()]);
        assert_eq!(s1[0].state, AlarmState::Open);
        let bad = NewAlarm {
            last_ts: 0,
            ..alarm("S1", Rule::Spike, 5, 5)
        };
        assert!(store.store_alarms(&[bad], 0, 0).is_err());
    });
}

#[test]
fn reviews_set_the_state_only_when_asked_and_feed_the_rule_counts_on_both_backends() {
    on_both("integrity-reviews", |store, _| {
        store
            .store_alarms(
                &[
                    alarm("S1", Rule::FlatLine, 1, 9),
                    alarm("S2", Rule::FlatLine, 1, 9),
                ],
                0,
                1,
            )
            .unwrap();
        let ids: Vec<i64> = store
            .alarms(&AlarmFilter::default())
            .unwrap()
            .iter()
            .map(|a| a.id)
            .collect();
        let review = |id, level, outcome| Review {
            alarm_id: id,
            seq: 0,
            level,
            outcome,
            reason: "看过曲线".into(),
            who: "u".into(),
            at_ms: 5,
        };
        // (alarm, level, outcome, state set, seq)
        let steps = [
            (ids[0], ReviewLevel::Operator, Outcome::Confirm, None, 1),
            (
                ids[0],
                ReviewLevel::Township,
                Outcome::FalsePositive,
                None,
                2,
            ),
            (
                ids[0],
                ReviewLevel::Bureau,
                Outcome::Confirm,
                Some(AlarmState::Confirmed),
                3,
            ),
            (
                ids[1],
                ReviewLevel::Bureau,
                Outcome::FalsePositive,
                Some(AlarmState::FalsePositive),
                1,
            ),
        ];
        for (id, level, outcome, state, seq) in steps {
            assert_eq!(
                store
                    .add_review(&review(id, level, outcome), state)
                    .unwrap(),
                seq
            );
        }
        assert_eq!(store.reviews(ids[0]).unwrap().len(), 3);
        assert_eq!(store.alarm(ids[0]).unwrap().unwrap().reviews_n, 3);
        assert_eq!(
            store.alarm(ids[0]).unwrap().unwrap().state,
            AlarmState::Confirmed
        );
        let counts = store.rule_counts().unwrap();
        assert_eq!(
            counts,
            vec![(
                Rule::FlatLine,
                RuleCounts {
                    alarms: 2,
                    confirmed: 1,
                    false_positive: 1
                }
            )]
        );
        // No reason, or no such alarm: refused, nothing stored.
        let mut r = review(ids[0], ReviewLevel::Bureau, Outcome::Confirm);
        r.reason = " ".into();
        assert!(store.add_review(&r, None).is_err());
        assert!(matches!(
            store.add_review(&review(999, ReviewLevel::Bureau, Outcome::Confirm), None),
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(store.reviews(ids[0]).unwrap().len(), 3);
        // Only a confirmed alarm goes to enforcement, and once.
        let e = Escalation {
            who: "bureau1".into(),
            at_ms: 9,
            note: "移送执法".into(),
        };
        assert!(matches!(
            store.escalate_alarm(ids[1], &e),
            Err(StoreError::Refused { .. })
        ));
        store.escalate_alarm(ids[0], &e).unwrap();
        assert!(matches!(
            store.escalate_alarm(ids[0], &e),
            Err(StoreError::Refused { .. })
        ));
        assert!(matches!(
            store.escalate_alarm(999, &e),
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(store.alarm(ids[0]).unwrap().unwrap().escalation, Some(e));
        assert_eq!(store.alarm(ids[1]).unwrap().unwrap().escalation, None);
    });
}

use lantian_store::StoreError;

#[test]
fn work_orders_close_once_and_months_close_once_on_both_backends() {
    on_both("integrity-orders", |store, _| {
        store
            .store_alarms(&[alarm("S1", Rule::Spike, 1, 1)], 0, 1)
            .unwrap();
        let alarm_id = store.alarms(&AlarmFilter::default()).unwrap()[0].id;
        let order = |alarm_id| WorkOrder {
            id: 0,
            alarm_id,
            station_id: "S1".into(),
            assignee: "ops-co".into(),
            deadline: "2026-11-20".into(),
            state: WorkOrderState::Closed,
            note: "换泵".into(),
            opened_by: "bureau1".into(),
            opened_ms: 10,
            closed_by: None,
            closed_ms: None,
            closing_note: None,
        };
        let a = store.open_work_order(&order(Some(alarm_id))).unwrap();
        let b = store.open_work_order(&order(None)).unwrap();
        assert!(matches!(
            store.open_work_order(&order(Some(999))),
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(
            store
                .work_orders(Some(WorkOrderState::Open), None, None)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            store.work_orders(None, None, Some(alarm_id)).unwrap().len(),
            1
        );
        store.close_work_order(a, "ops1", 99, "已更换").unwrap();
        assert!(matches!(
            store.close_work_order(a, "ops1", 100, "again"),
            Err(StoreError::Refused { .. })
        ));
        assert!(matches!(
            store.close_work_order(12345, "ops1", 100, "x"),
            Err(StoreError::NotFound { .. })
        ));
        let closed = store.work_order(a).unwrap().unwrap();
        assert_eq!(
            (
                closed.state,
                closed.closed_ms,
                closed.closing_note.as_deref()
            ),
            (WorkOrderState::Closed, Some(99), Some("已更换"))
        );
        assert_eq!(
            store.work_order(b).unwrap().unwrap().state,
            WorkOrderState::Open
        );
        assert_eq!(
            store
                .work_orders(Some(WorkOrderState::Open), Some("S1"), None)
                .unwrap()
                .len(),
            1
        );
        let m = ClosedMonth {
            month: "2026-10".into(),
            closed_by: "bureau1".into(),
            closed_ms: 7,
            note: String::new(),
        };
        store.close_month(&m).unwrap();
        assert!(matches!(
            store.close_month(&m),
            Err(StoreError::Refused { .. })
        ));
        assert_eq!(store.closed_months().unwrap(), vec![m]);
    });
}

/// A CEMS alarm without a criteria pollutant: its words name the channel first.
fn cems_alarm(subject: &str, rule: Rule, first_h: i64, last_h: i64) -> NewAlarm {
    NewAlarm {
        pollutant: None,
        why_zh: format!(
            "{subject} 在生产期间连续 {} 小时恒为 1 mg/m³",
            last_h - first_h + 1
        ),
        ..alarm("OUT-1", rule, first_h, last_h)
    }
}

#[test]
fn cems_alarms_of_different_channels_are_different_episodes_on_both_backends() {
    on_both("integrity-cems-keys", |store, _| {
        let flat = Rule::CemsFlatLine;
        // (alarms of one scan, new, extended, unchanged, stored after)
        let cases = [
            (
                vec![
                    cems_alarm("氮氧化物", flat, 10, 17),
                    cems_alarm("颗粒物（烟尘）", flat, 10, 17),
                    cems_alarm("O2", flat, 10, 17),
                    cems_alarm("流量", flat, 10, 17),
                ],
                4,
                0,
                0,
                4,
            ),
            // Found again, one grown: nothing new, the NOx episode extended.
            (
                vec![
                    cems_alarm("氮氧化物", flat, 10, 19),
                    cems_alarm("颗粒物（烟尘）", flat, 10, 17),
                ],
                0,
                1,
                1,
                4,
            ),
            // Words that name no channel (an outlet-wide rule) share the empty key: the
            // second is the first episode again.
            (
                vec![
                    cems_alarm("有", Rule::CemsTreatmentOff, 10, 12),
                    cems_alarm("在", Rule::CemsTreatmentOff, 10, 12),
                ],
                1,
                0,
                1,
                5,
            ),
        ];
        for (i, (scan, new, extended, unchanged, total)) in cases.into_iter().enumerate() {
            let got = store.store_alarms(&scan, 2 * H, 1_000).unwrap();
            assert_eq!(
                (got.new, got.extended, got.unchanged),
                (new, extended, unchanged),
                "case {i}"
            );
            let stored = store.alarms(&AlarmFilter::default()).unwrap();
            assert_eq!(stored.len(), total, "case {i}");
            // Read back, a channel's key is no pollutant.
            assert!(
                stored.iter().all(|a| a.alarm.pollutant.is_none()),
                "case {i}"
            );
        }
        let nox = store
            .alarms(&AlarmFilter::default())
            .unwrap()
            .into_iter()
            .find(|a| a.alarm.why_zh.starts_with("氮氧化物"))
            .unwrap();
        assert_eq!((nox.alarm.first_ts, nox.alarm.last_ts), (10 * H, 19 * H));
    });
}

#[test]
fn hour_receipts_are_the_first_packet_of_each_hour_on_both_backends() {
    use lantian_store::{Ingest, Observation, Period, RawPacket};
    on_both("integrity-receipts", |store, _| {
        let obs = |code: &str, period: Period, h: i64| Observation {
            station_id: "S1".into(),
            code: code.into(),
            period,
            ts: h * H,
            value: 10.0 + h as f64,
            flag: "N".into(),
        };
        let packet = |n: i64, received_ms: i64| RawPacket {
            received_ms,
            peer: "127.0.0.1:5000".into(),
            mn: Some("MN1".into()),
            verdict: "accepted".into(),
            bytes: format!("##packet {n}\r\n").into_bytes(),
        };
        // (packet received at, observations); receipts in ms, hours from hour 0.
        let batches: Vec<(Option<i64>, Vec<Observation>)> = vec![
            // Hour 100 with two codes in one packet; hour 101 in its own.
            (
                Some(5_000_000),
                vec![
                    obs("a34004", Period::Hour, 100),
                    obs("a21026", Period::Hour, 100),
                ],
            ),
            (Some(6_000_000), vec![obs("a34004", Period::Hour, 101)]),
            // Hour 101 again (a retransmission) and a new code of it, later: the first
            // receipt counts.
            (
                Some(9_000_000),
                vec![
                    obs("a34004", Period::Hour, 101),
                    obs("a21026", Period::Hour, 101),
                ],
            ),
            // Minute data, an import without a packet, and an hour outside the span: none
            // of them.
            (Some(7_000_000), vec![obs("a34004", Period::Min, 102)]),
            (None, vec![obs("a34004", Period::Hour, 103)]),
            (Some(8_000_000), vec![obs("a34004", Period::Hour, 200)]),
        ];
        for (n, (received, observations)) in batches.into_iter().enumerate() {
            store
                .commit_batch(&[Ingest {
                    packet: received.map(|r| packet(n as i64, r)),
                    observations,
                }])
                .unwrap();
        }
        let codes = ["a34004", "a21026"];
        let got = store.hour_receipts("S1", &codes, 100 * H, 150 * H).unwrap();
        assert_eq!(got, vec![(100 * H, 5_000_000), (101 * H, 6_000_000)]);
        // Only the codes asked for: SO2 alone came first in hour 100, later in hour 101.
        let so2 = store
            .hour_receipts("S1", &["a21026"], 100 * H, 150 * H)
            .unwrap();
        assert_eq!(so2, vec![(100 * H, 5_000_000), (101 * H, 9_000_000)]);
        assert_eq!(
            store.hour_receipts("S2", &codes, 0, 300 * H).unwrap(),
            vec![]
        );
    });
}
