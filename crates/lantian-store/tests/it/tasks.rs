//! Grid tasks on SQLite and PostgreSQL alike: creation with its event, filters and
//! visibility by unit, state changes compare-and-set (a lost race names the state now),
//! escalation once, evidence with its event, and the overdue candidates.

use crate::on_both;
use lantian_core::grid::task::{Action, Source, State, Verdict};
use lantian_store::StoreError;
use lantian_store::tasks::{EventKind, EvidenceRow, TaskChange, TaskEvent, TaskFilter, TaskRow};

const H: i64 = 3_600_000;

fn task(source: Source, township: &str, assignee: &str, created_ms: i64) -> TaskRow {
    TaskRow {
        id: 0,
        source,
        source_ref: Some(format!("ref-{township}-{created_ms}")),
        title: format!("{} in {township}", source.name_zh()),
        detail: String::new(),
        lat: 37.9,
        lon: 115.2,
        township: Some(township.into()),
        assignee: Some(assignee.into()),
        state: State::Dispatched,
        created_ms,
        occurred_ms: created_ms - H,
        sign_deadline_ms: created_ms + 2 * H,
        finish_deadline_ms: created_ms + 24 * H,
        escalated: false,
        updated_ms: created_ms,
        finished_ms: None,
        closed_ms: None,
    }
}

fn change(id: i64, expected: State, action: Action, after: State, at_ms: i64) -> TaskChange {
    TaskChange {
        expected,
        event: TaskEvent {
            id: 0,
            task_id: id,
            at_ms,
            actor: "u".into(),
            unit: Some("wangkou".into()),
            kind: EventKind::Act(action),
            text: "说明".into(),
            state_after: after,
        },
        assignee: None,
        escalate: action == Action::Escalate,
    }
}

#[test]
fn tasks_are_created_filtered_and_changed_compare_and_set_on_both_backends() {
    on_both("tasks", |store, _| {
        let a = store
            .create_task(
                &task(Source::FirePoint, "wangkou", "wangkou", 1_000 * H),
                "system",
                None,
            )
            .unwrap();
        let b = store
            .create_task(
                &task(
                    Source::Complaint,
                    "xinji",
                    "市城市管理综合行政执法局",
                    1_010 * H,
                ),
                "op",
                Some("市生态环境局"),
            )
            .unwrap();
        let c = store
            .create_task(&task(Source::Dust, "xinji", "xinji", 2_000 * H), "op", None)
            .unwrap();
        assert!(a < b && b < c);
        let got = store.task(a).unwrap().unwrap();
        assert_eq!(
            (got.state, got.township.as_deref(), got.source),
            (State::Dispatched, Some("wangkou"), Source::FirePoint)
        );
        assert_eq!(store.task(9_999).unwrap(), None);

        // Filters: (filter, expected ids newest first).
        let ids = |f: TaskFilter| {
            store
                .tasks(&f)
                .unwrap()
                .iter()
                .map(|t| t.id)
                .collect::<Vec<_>>()
        };
        let cases: Vec<(TaskFilter, Vec<i64>)> = vec![
            (TaskFilter::default(), vec![c, b, a]),
            (
                TaskFilter {
                    township: Some("xinji".into()),
                    ..Default::default()
                },
                vec![c, b],
            ),
            (
                TaskFilter {
                    source: Some(Source::FirePoint),
                    ..Default::default()
                },
                vec![a],
            ),
            (
                TaskFilter {
                    from_ms: Some(1_005 * H),
                    to_ms: Some(1_500 * H),
                    ..Default::default()
                },
                vec![b],
            ),
            (
                TaskFilter {
                    units: Some(vec!["市城市管理综合行政执法局".into()]),
                    ..Default::default()
                },
                vec![b],
            ),
            (
                TaskFilter {
                    units: Some(vec!["xinji".into(), "wangkou".into()]),
                    ..Default::default()
                },
                vec![c, b, a],
            ),
            (
                TaskFilter {
                    units: Some(vec![]),
                    ..Default::default()
                },
                vec![],
            ),
            (
                TaskFilter {
                    source_ref: Some(format!("ref-wangkou-{}", 1_000 * H)),
                    ..Default::default()
                },
                vec![a],
            ),
            (
                TaskFilter {
                    state: Some(State::Signed),
                    ..Default::default()
                },
                vec![],
            ),
        ];
        for (f, want) in cases {
            assert_eq!(ids(f.clone()), want, "{f:?}");
        }

        // Sign, then a second sign from the stale state loses and says what the state is now.
        let t = store
            .change_task(&change(
                a,
                State::Dispatched,
                Action::Sign,
                State::Signed,
                1_001 * H,
            ))
            .unwrap();
        assert_eq!(t.state, State::Signed);
        let lost = store.change_task(&change(
            a,
            State::Dispatched,
            Action::Sign,
            State::Signed,
            1_001 * H,
        ));
        match lost {
            Err(StoreError::Refused { what }) => assert!(what.contains("signed"), "{what}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(matches!(
            store.change_task(&change(
                77_777,
                State::Dispatched,
                Action::Sign,
                State::Signed,
                0
            )),
            Err(StoreError::NotFound { .. })
        ));
        store
            .change_task(&change(
                a,
                State::Signed,
                Action::Start,
                State::Handling,
                1_002 * H,
            ))
            .unwrap();

        // Evidence only in the expected state; its event is in the timeline.
        let ev = EvidenceRow {
            id: 0,
            task_id: a,
            file: "1-abc-photo.jpg".into(),
            bytes: 1234,
            sha256: "ab".repeat(32),
            exif_ms: Some(1_002 * H),
            exif_lat: Some(37.9),
            exif_lon: Some(115.2),
            verdict: Verdict::Consistent,
            reason: String::new(),
            actor: "u".into(),
            at_ms: 1_003 * H,
        };
        assert!(matches!(
            store.add_task_evidence(&ev, State::Signed, None),
            Err(StoreError::Refused { .. })
        ));
        let eid = store
            .add_task_evidence(&ev, State::Handling, Some("wangkou"))
            .unwrap();
        let stored = store.task_evidence(a).unwrap();
        assert_eq!(
            stored,
            vec![EvidenceRow {
                id: eid,
                ..ev.clone()
            }]
        );

        // Escalation: once, the state unchanged; overdue candidates exclude it afterwards.
        assert_eq!(
            store
                .tasks_to_escalate(1_035 * H)
                .unwrap()
                .iter()
                .map(|t| t.id)
                .collect::<Vec<_>>(),
            vec![a, b]
        );
        let t = store
            .change_task(&change(
                a,
                State::Handling,
                Action::Escalate,
                State::Handling,
                1_030 * H,
            ))
            .unwrap();
        assert!(t.escalated);
        match store.change_task(&change(
            a,
            State::Handling,
            Action::Escalate,
            State::Handling,
            1_031 * H,
        )) {
            Err(StoreError::Refused { what }) => {
                assert!(what.contains("already been escalated"), "{what}")
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(
            store
                .tasks_to_escalate(1_035 * H)
                .unwrap()
                .iter()
                .map(|t| t.id)
                .collect::<Vec<_>>(),
            vec![b]
        );

        // Finish and approve: the times are kept.
        let t = store
            .change_task(&change(
                a,
                State::Handling,
                Action::Finish,
                State::Finished,
                1_040 * H,
            ))
            .unwrap();
        assert_eq!(t.finished_ms, Some(1_040 * H));
        let t = store
            .change_task(&change(
                a,
                State::Finished,
                Action::Approve,
                State::Approved,
                1_041 * H,
            ))
            .unwrap();
        assert_eq!((t.closed_ms, t.state), (Some(1_041 * H), State::Approved));
        assert!(
            store
                .tasks(&TaskFilter {
                    open_only: true,
                    ..Default::default()
                })
                .unwrap()
                .iter()
                .all(|t| t.id != a)
        );

        // Reassignment moves the assignee.
        let mut re = change(
            b,
            State::Dispatched,
            Action::Reassign,
            State::Dispatched,
            1_050 * H,
        );
        re.assignee = Some("xinji".into());
        assert_eq!(
            store.change_task(&re).unwrap().assignee.as_deref(),
            Some("xinji")
        );

        let kinds: Vec<(EventKind, State)> = store
            .task_events(a)
            .unwrap()
            .iter()
            .map(|e| (e.kind, e.state_after))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (EventKind::Create, State::Dispatched),
                (EventKind::Act(Action::Sign), State::Signed),
                (EventKind::Act(Action::Start), State::Handling),
                (EventKind::Evidence, State::Handling),
                (EventKind::Act(Action::Escalate), State::Handling),
                (EventKind::Act(Action::Finish), State::Finished),
                (EventKind::Act(Action::Approve), State::Approved),
            ]
        );
    });
}
