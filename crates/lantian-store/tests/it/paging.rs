//! Pages cut in SQL (issue 20) on SQLite and PostgreSQL alike: for every list that grows with
//! time, each page size's pages, put together, are the list the unpaged read gives (or its
//! filter, in SQL, of the rows a caller sees), every page knows the total, and a filter's
//! text is matched literally (`_` and `%` are not wildcards).

use crate::on_both;
use lantian_core::alerts::{ChannelKind, Format, Kind};
use lantian_core::grid::task::{Source, State};
use lantian_core::integrity::{Rule, Severity};
use lantian_core::pollutant::Pollutant;
use lantian_store::admin::AuditFilter;
use lantian_store::alerts::{ChannelRow, NewEvent};
use lantian_store::complaints::{ComplaintFilter, NewComplaint};
use lantian_store::device_commands::{CommandFilter, CommandRow};
use lantian_store::integrity::{NewAlarm, WorkOrder, WorkOrderState};
use lantian_store::report_files::NewReportFile;
use lantian_store::tasks::{TaskFilter, TaskRow};
use lantian_store::{
    Correction, CorrectionAction, Ingest, Observation, Page, Paged, Period, Station, StationRole,
    Store, StoreError,
};
use std::fmt::Debug;

const H_MS: i64 = 3_600_000;

/// Every page size from 1 to one past the list: the pages, in order, are `want`, and each
/// says the list's total.
fn pages_are<T: PartialEq + Debug>(
    what: &str,
    want: &[T],
    read: impl Fn(Page) -> Result<Paged<T>, StoreError>,
) {
    assert!(
        want.len() >= 2,
        "{what}: the fixture needs two rows or more"
    );
    for per_page in 1..=want.len() as i64 + 1 {
        let mut got = Vec::new();
        for page in 0.. {
            let p = read(Page {
                offset: page * per_page,
                limit: per_page,
            })
            .unwrap();
            assert_eq!(
                p.total,
                want.len(),
                "{what}: the total, per_page {per_page}"
            );
            if p.items.is_empty() {
                break;
            }
            assert!(p.items.len() as i64 <= per_page, "{what}");
            got.extend(p.items);
        }
        assert_eq!(got, want, "{what}: pages of {per_page}");
    }
}

fn station(store: &Store, id: &str) {
    store
        .upsert_station(&Station {
            id: id.into(),
            name: id.into(),
            role: StationRole::Township,
            admin_unit_id: None,
            lat: None,
            lon: None,
            pollutants: vec!["a34004".into()],
            min_interval_min: 1,
            demo: false,
        })
        .unwrap();
}

#[test]
fn the_audit_log_is_paged_in_sql_and_searched_literally() {
    on_both("paging-audit", |store, _| {
        for (n, action) in [
            "user_create",
            "userXcreate",
            "ledger.confirm",
            "user_role",
            "login",
        ]
        .iter()
        .enumerate()
        {
            store
                .audit(n as i64, "admin", action, &format!("obj 100%-{n}"), "d")
                .unwrap();
        }
        let all = store.audit_events(100).unwrap();
        assert_eq!(all.len(), 5);
        pages_are("audit log", &all, |p| store.audit_events_page(p));
        // `user_` is a prefix with a literal underscore: not userXcreate.
        let f = AuditFilter {
            action_prefix: Some("user_".into()),
            ..AuditFilter::default()
        };
        let found = store.audit_search(&f, 100).unwrap();
        let actions: Vec<&str> = found.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["user_role", "user_create"]);
        pages_are("audit search", &found, |p| store.audit_search_page(&f, p));
        let f = AuditFilter {
            object: Some("100%-1".into()),
            ..AuditFilter::default()
        };
        assert_eq!(store.audit_search_page(&f, Page::ALL).unwrap().total, 1);
    });
}

#[test]
fn an_inbox_is_its_units_alerts_and_its_unread_ones_paged_in_sql() {
    on_both("paging-alerts", |store, _| {
        let ch = ChannelRow {
            id: 0,
            name: "c".into(),
            kind: ChannelKind::Wecom,
            url: "http://127.0.0.1:9/".into(),
            secret: None,
            format: Format::Text,
            mobiles: vec![],
            template: None,
            enabled: false,
            created_ms: 0,
            created_by: String::new(),
        };
        let ch = store.insert_alert_channel(&ch, 0, "admin").unwrap().id;
        // Unit ids with LIKE's wildcards in them: `a_1` must not find `ab1`'s alerts.
        let units: [&[&str]; 6] = [&["a_1"], &["ab1"], &["a_1", "x"], &["100%"], &["1000"], &[]];
        for (n, u) in units.iter().enumerate() {
            let e = NewEvent {
                rule_id: 1,
                kind: Kind::AqiAbove,
                subject: format!("s{n}"),
                at_ms: n as i64 * 1000,
                title_zh: format!("t{n}"),
                title_en: format!("t{n}"),
                text_zh: String::new(),
                text_en: String::new(),
                link: String::new(),
                units: u.iter().map(|s| (*s).to_owned()).collect(),
            };
            store.record_alert(&e, 0, &[ch]).unwrap().unwrap();
        }
        let titles = |units: Option<&[String]>, unread: bool| -> Vec<String> {
            store
                .alert_events_page("reader", units, unread, Page::ALL)
                .unwrap()
                .items
                .into_iter()
                .map(|e| e.title_en)
                .collect()
        };
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        // (units, the alerts, newest first)
        let cases: [(Option<Vec<String>>, Vec<String>); 5] = [
            (None, s(&["t5", "t4", "t3", "t2", "t1", "t0"])),
            (Some(s(&["a_1"])), s(&["t2", "t0"])),
            (Some(s(&["100%"])), s(&["t3"])),
            (Some(s(&["ab1", "1000"])), s(&["t4", "t1"])),
            (Some(vec![]), vec![]),
        ];
        for (units, want) in &cases {
            assert_eq!(&titles(units.as_deref(), false), want, "{units:?}");
        }
        let all = store
            .alert_events_page("reader", None, false, Page::ALL)
            .unwrap()
            .items;
        pages_are("inbox", &all, |p| {
            store.alert_events_page("reader", None, false, p)
        });
        store
            .mark_alerts_read(&[all[0].id, all[2].id], "reader", 1)
            .unwrap();
        assert_eq!(titles(None, true), s(&["t4", "t2", "t1", "t0"]));
        let read: Vec<bool> = store
            .alert_events_page("reader", None, false, Page::ALL)
            .unwrap()
            .items
            .iter()
            .map(|e| e.read)
            .collect();
        assert_eq!(read, [true, false, true, false, false, false]);
        // Another reader has read nothing.
        assert_eq!(
            store
                .alert_events_page("other", None, true, Page::first(0))
                .unwrap()
                .total,
            6
        );
        let deliveries = store.deliveries_page(Page::ALL).unwrap().items;
        assert_eq!(deliveries.len(), 6);
        pages_are("deliveries", &deliveries, |p| store.deliveries_page(p));
    });
}

#[test]
fn alarms_work_orders_and_corrections_are_paged_in_sql_among_the_stations_asked() {
    on_both("paging-integrity", |store, _| {
        for s in ["S-1", "S-2", "S-3"] {
            station(store, s);
        }
        let alarms: Vec<NewAlarm> = (0..6)
            .map(|n| NewAlarm {
                station_id: format!("S-{}", n % 3 + 1),
                pollutant: Some(Pollutant::Pm25),
                rule: Rule::FlatLine,
                severity: Severity::Warning,
                first_ts: n * 100 * 3600,
                last_ts: n * 100 * 3600 + 3600,
                why_zh: String::new(),
                why_en: String::new(),
                figures: vec![],
                neighbours: vec![],
            })
            .collect();
        store.store_alarms(&alarms, 2 * 3600, 0).unwrap();
        let f = Default::default();
        let all = store.alarms(&f).unwrap();
        assert_eq!(all.len(), 6);
        pages_are("alarms", &all, |p| store.alarms_page(&f, None, p));
        let two: Vec<_> = all
            .iter()
            .filter(|a| a.alarm.station_id != "S-2")
            .cloned()
            .collect();
        pages_are("alarms of S-1 and S-3", &two, |p| {
            store.alarms_page(&f, Some(&["S-1", "S-3"]), p)
        });
        assert_eq!(
            store.alarms_page(&f, Some(&[]), Page::ALL).unwrap().total,
            0
        );
        for (n, a) in all.iter().enumerate() {
            store
                .open_work_order(&WorkOrder {
                    id: 0,
                    alarm_id: Some(a.id),
                    station_id: a.alarm.station_id.clone(),
                    assignee: "ops".into(),
                    deadline: "2026-11-12".into(),
                    state: WorkOrderState::Open,
                    note: String::new(),
                    opened_by: "admin".into(),
                    opened_ms: n as i64,
                    closed_by: None,
                    closed_ms: None,
                    closing_note: None,
                })
                .unwrap();
        }
        let orders = store.work_orders(None, None, None).unwrap();
        pages_are("work orders", &orders, |p| {
            store.work_orders_page(None, None, None, p)
        });
        let of_s1: Vec<_> = orders
            .iter()
            .filter(|w| w.station_id == "S-1")
            .cloned()
            .collect();
        pages_are("work orders of S-1", &of_s1, |p| {
            store.work_orders_page(Some(WorkOrderState::Open), None, Some(&["S-1"]), p)
        });
        let obs: Vec<Observation> = (0..3)
            .map(|h| Observation {
                station_id: "S-1".into(),
                code: "a34004".into(),
                period: Period::Hour,
                ts: h * 3600,
                value: 40.0,
                flag: "N".into(),
            })
            .collect();
        store
            .commit_batch(&[Ingest {
                packet: None,
                observations: obs,
            }])
            .unwrap();
        for n in 0..5 {
            store
                .add_correction(&Correction {
                    station_id: "S-1".into(),
                    code: "a34004".into(),
                    period: Period::Hour,
                    // Two corrections of one hour at one time: the sequence orders them.
                    ts: (n / 2) * 3600,
                    action: CorrectionAction::Invalidate,
                    value: None,
                    reason_code: "calibration".into(),
                    who: "admin".into(),
                    at_ms: n / 2,
                    rule_set: String::new(),
                    note: format!("n{n}"),
                })
                .unwrap();
        }
        let corrections = store.station_corrections("S-1").unwrap();
        assert_eq!(corrections.len(), 5);
        pages_are("corrections", &corrections, |p| {
            store.station_corrections_page("S-1", p)
        });
    });
}

#[test]
fn commands_complaints_tasks_and_report_files_are_paged_in_sql() {
    on_both("paging-more", |store, _| {
        for s in ["S-1", "S-2"] {
            station(store, s);
        }
        for n in 0..5 {
            let s = if n % 2 == 0 { "S-1" } else { "S-2" };
            store
                .add_device(&format!("MN-{n}"), "pw-123456", s, "2017", 0)
                .unwrap();
            let cmd = CommandRow::new(&format!("MN-{n}"), s, 1011, "", "operator", "admin", n, 1);
            store.insert_device_command(&cmd).unwrap();
            store
                .insert_complaint(&NewComplaint {
                    channel: "12345".into(),
                    category: if n < 3 { "dust" } else { "odour" }.into(),
                    text: format!("c{n}"),
                    created_ms: n,
                    township: Some("wangkou".into()),
                    created_by: "admin".into(),
                    status: "dispatched".into(),
                    ..Default::default()
                })
                .unwrap();
            store
                .put_report_file(&NewReportFile {
                    kind: "daily".into(),
                    scope: if n < 3 {
                        "city".into()
                    } else {
                        format!("unit:u{n}")
                    },
                    period: format!("2026-11-0{}", n + 1),
                    format: "xlsx".into(),
                    name: format!("r{n}.xlsx"),
                    title: "t".into(),
                    view: "audited".into(),
                    bytes: vec![0],
                    generated_ms: n,
                    generated_by: "admin".into(),
                    schedule_id: None,
                })
                .unwrap();
        }
        let f = CommandFilter {
            mn: None,
            stations: None,
            origin: None,
            limit: 100,
        };
        let all = store.device_commands(&f).unwrap();
        pages_are("commands", &all, |p| store.device_commands_page(&f, p));
        let f = CommandFilter {
            stations: Some(vec!["S-1".into()]),
            ..f
        };
        let of_s1 = store.device_commands(&f).unwrap();
        assert_eq!(of_s1.len(), 3);
        pages_are("commands of S-1", &of_s1, |p| {
            store.device_commands_page(&f, p)
        });
        let f = ComplaintFilter {
            township: Some("wangkou".into()),
            category: Some("dust".into()),
            since_ms: None,
            until_ms: None,
            limit: 100,
        };
        let dust = store.complaints(&f).unwrap();
        assert_eq!(dust.len(), 3);
        pages_are("complaints", &dust, |p| store.complaints_page(&f, p));
        let files = store.report_files(100).unwrap();
        pages_are("report files", &files, |p| store.report_files_page(None, p));
        let scopes = vec!["city".to_owned(), "unit:u4".to_owned()];
        let some: Vec<_> = files
            .iter()
            .filter(|r| scopes.contains(&r.scope))
            .cloned()
            .collect();
        assert_eq!(some.len(), 4);
        pages_are("report files of two scopes", &some, |p| {
            store.report_files_page(Some(&scopes), p)
        });
        assert_eq!(
            store.report_file_scopes().unwrap(),
            ["city", "unit:u3", "unit:u4"]
        );
        // Tasks: now is 100 h; (state, sign deadline, finish deadline) → overdue now?
        let now = 100 * H_MS;
        let cases = [
            (State::Dispatched, 99, 120, true),   // not signed in time
            (State::Dispatched, 101, 120, false), //
            (State::Signed, 90, 99, true),        // not finished in time
            (State::Handling, 90, 101, false),    //
            (State::Finished, 10, 20, false),     // done: never overdue
            (State::Approved, 10, 20, false),     //
        ];
        for (n, (state, sign, finish, _)) in cases.iter().enumerate() {
            let t = TaskRow {
                id: 0,
                source: Source::Manual,
                source_ref: None,
                title: format!("t{n}"),
                detail: String::new(),
                lat: 37.9,
                lon: 115.2,
                township: Some("wangkou".into()),
                assignee: Some("wangkou".into()),
                state: *state,
                created_ms: n as i64,
                occurred_ms: 0,
                sign_deadline_ms: sign * H_MS,
                finish_deadline_ms: finish * H_MS,
                escalated: false,
                updated_ms: 0,
                finished_ms: None,
                closed_ms: None,
            };
            store.create_task(&t, "admin", None).unwrap();
        }
        let f = TaskFilter::default();
        let all = store.tasks(&f).unwrap();
        pages_are("tasks", &all, |p| store.tasks_page(&f, None, p));
        for want in [true, false] {
            let titles: Vec<String> = store
                .tasks_page(&f, Some((want, now)), Page::ALL)
                .unwrap()
                .items
                .into_iter()
                .map(|t| t.title)
                .collect();
            let expected: Vec<String> = cases
                .iter()
                .enumerate()
                .rev()
                .filter(|(_, c)| c.3 == want)
                .map(|(n, _)| format!("t{n}"))
                .collect();
            assert_eq!(titles, expected, "overdue {want}");
            // The same as lantian_core decides it.
            for t in store
                .tasks_page(&f, Some((want, now)), Page::ALL)
                .unwrap()
                .items
            {
                let core = lantian_core::grid::task::overdue(
                    t.state,
                    t.sign_deadline_ms,
                    t.finish_deadline_ms,
                    now,
                );
                assert_eq!(core.is_some(), want, "{}", t.title);
            }
        }
    });
}
