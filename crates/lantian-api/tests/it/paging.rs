//! Paging everywhere (issue 20): every list that grows without bound answers a page, the
//! total and the page asked for (`page`, `per_page`, as `export.rs` checks them), and a
//! `per_page` of 0 is a 400. The table of docs/access.md "Paging" is the list of routes.

use super::*;
use lantian_core::Date;
use lantian_core::alerts::{ChannelKind, Format, Kind};
use lantian_core::enforce::SubjectKind;
use lantian_core::enforce::credit::Level;
use lantian_core::warning::{EventKind, Level as WarningLevel, State as WarningState};
use lantian_store::alerts::{ChannelRow, NewEvent};
use lantian_store::credit::NewCreditEntry;
use lantian_store::device_keys::LoggerSerial;
use lantian_store::integrity::{WorkOrder, WorkOrderState};
use lantian_store::report_files::NewReportFile;
use lantian_store::{Notification, WarningEvent};
use serde_json::{Value, json};

type Auth<'a> = [(&'a str, &'a str); 2];

/// An alert for `units`, at `at_ms`, with a delivery to each of `channels`.
fn alert(store: &Store, n: i64, units: &[&str], channels: &[i64]) {
    let e = NewEvent {
        rule_id: 1,
        kind: Kind::AqiAbove,
        subject: format!("S-{n}"),
        at_ms: NOW_MS - 3_600_000 + n * 1000,
        title_zh: format!("预警 {n}"),
        title_en: format!("alert {n}"),
        text_zh: String::new(),
        text_en: String::new(),
        link: "#/".into(),
        units: units.iter().map(|u| (*u).to_owned()).collect(),
    };
    assert!(store.record_alert(&e, 0, channels).unwrap().is_some());
}

/// Three or more rows of every paged list, each list's rows seen by `admin` (and the
/// notices by `wk`).
async fn seed(app: &Router, store: &Store, auth: &Auth<'_>) {
    super::access::sources(store);
    super::integrity::fixture(store);
    for n in 0..3 {
        store
            .audit(NOW_MS + n, "paging", "paging.test", &format!("o{n}"), "")
            .unwrap();
    }
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
    for n in 0..3 {
        alert(store, n, &["wangkou"], &[ch]);
    }
    store
        .open_work_order(&WorkOrder {
            id: 0,
            alarm_id: Some(2),
            station_id: "T-XC".into(),
            assignee: "ops-co".into(),
            deadline: "2026-11-12".into(),
            state: WorkOrderState::Open,
            note: String::new(),
            opened_by: "admin".into(),
            opened_ms: 0,
            closed_by: None,
            closed_ms: None,
            closing_note: None,
        })
        .unwrap();
    for (n, mn) in ["PG-DEV-1", "PG-DEV-2", "PG-DEV-3"].iter().enumerate() {
        store
            .add_device(mn, "paging-pw-1", "CITY-1", "2025", 0)
            .unwrap();
        let cmd = lantian_store::device_commands::CommandRow::new(
            mn, "CITY-1", 1011, "", "operator", "admin", 0, 1,
        );
        store.insert_device_command(&cmd).unwrap();
        let serial = LoggerSerial {
            serial: format!("PG-SERIAL-{n}"),
            ..Default::default()
        };
        store.record_logger_serial(&serial, 0).unwrap();
        let k = lantian_store::apikeys::NewApiKey {
            key_hash: format!("h{n}"),
            ..Default::default()
        };
        store.insert_api_key(&k).unwrap();
        let c = lantian_store::complaints::NewComplaint {
            channel: "12345".into(),
            category: "dust".into(),
            text: format!("工地扬尘 {n}"),
            created_by: "admin".into(),
            status: "dispatched".into(),
            ..Default::default()
        };
        store.insert_complaint(&c).unwrap();
        let f = NewReportFile {
            kind: "monthly".into(),
            scope: "city".into(),
            period: format!("2026-0{}", n + 1),
            format: "xlsx".into(),
            name: format!("r{n}.xlsx"),
            title: "t".into(),
            view: "audited".into(),
            bytes: vec![1, 2, 3],
            generated_ms: n as i64,
            generated_by: "admin".into(),
            schedule_id: None,
        };
        store.put_report_file(&f).unwrap();
        let day = |d: &str| Date::parse(d).unwrap();
        let e = NewCreditEntry {
            case_id: n as i64 + 1,
            case_no: format!("C-{n}"),
            subject_kind: SubjectKind::Enterprise,
            subject_id: "AS".into(),
            subject_name: "AS 企业".into(),
            credit_code: None,
            level: Level::General,
            violation: "data_falsification".into(),
            decision_line: "罚款".into(),
            fine_yuan: Some(1000.0),
            non_site: false,
            township: Some("wangkou".into()),
            decided_ms: 0,
            publish_from: day("2026-11-01"),
            publish_until: day("2027-11-01"),
            repair_from: day("2027-02-01"),
            rule_source: "r".into(),
            created_ms: 0,
            created_by: "admin".into(),
        };
        store.insert_credit_entry(&e).unwrap();
        let d = lantian_store::declarations::DeclarationRow {
            id: 0,
            enterprise_id: "AS".into(),
            outlets: vec!["AS-1".into()],
            kind: lantian_core::declaration::Kind::Maintenance,
            start_ts: n as i64 * 3600,
            end_ts: n as i64 * 3600 + 3600,
            codes: vec![],
            reason: "例行检修".into(),
            state: lantian_core::declaration::State::Pending,
            late_hours: None,
            declared_by: "e-as".into(),
            declared_ms: 0,
            reviewed_by: None,
            reviewed_ms: None,
            review_note: String::new(),
            updated_ms: 0,
        };
        store.add_declaration(&d).unwrap();
    }
    let posts: Vec<(String, Value)> = (0..3)
        .flat_map(|n| {
            [
                (
                    "/api/v1/tasks".to_owned(),
                    json!({ "source": "manual", "title": format!("t{n}"), "lat": 37.99, "lon": 115.40, "occurred_ms": 0 }),
                ),
                (
                    "/api/v1/sites".to_owned(),
                    json!({ "id": format!("GD-{n}"), "name": "t", "kind": "construction", "lat": 37.99, "lon": 115.40, "limit_ug_m3": 150 }),
                ),
                (
                    "/api/v1/machinery".to_owned(),
                    json!({ "code": format!("M-{n}"), "owner": "o", "kind": "挖掘机", "stage": "cn3" }),
                ),
                (
                    "/api/v1/sanluanwu".to_owned(),
                    json!({ "township": "王口镇", "name": format!("加工点 {n}") }),
                ),
                (
                    "/api/v1/stations/CITY-1/corrections".to_owned(),
                    json!({ "pollutant": "PM2.5", "hour": format!("2026-11-09 0{}:00", n + 1), "action": "invalidate", "reason_code": "calibration", "note": "校准" }),
                ),
                (
                    format!("/api/v1/devices/PG-DEV-{}/key", n + 1),
                    json!({}),
                ),
                (
                    "/api/v1/ledger/M21/remind".to_owned(),
                    json!({ "kind": "urge", "text": format!("请按期报送进展 {n}") }),
                ),
                (
                    "/api/v1/warnings/propose".to_owned(),
                    json!({ "daily": [{ "date": format!("2026-11-0{}", n + 7), "aqi": 250 }], "save": true }),
                ),
            ]
        })
        .collect();
    for (p, b) in posts {
        let r = call(app, "POST", &p, Some(b), auth).await;
        assert!(r.status.is_success(), "{p}: {:?}", r.json());
    }
    // Three notices of warning 1 to 王口镇.
    let w = store.warning(1).unwrap().unwrap();
    let notices: Vec<Notification> = ["wangkou", "wangkou", "wangkou"]
        .iter()
        .enumerate()
        .map(|(i, u)| Notification {
            warning_id: 1,
            event_seq: 2 + i as i64,
            recipient: (*u).into(),
            channel: "app".into(),
            sent_ts: 0,
            read_ts: None,
            confirmed_ts: None,
            confirmed_by: None,
        })
        .collect();
    for (i, n) in notices.iter().enumerate() {
        let e = WarningEvent {
            warning_id: 1,
            seq: 2 + i as i64,
            ts: 0,
            effective_ts: None,
            kind: EventKind::Adjusted,
            level: Some(WarningLevel::Yellow),
            actor: "admin".into(),
            doc_no: None,
            note: String::new(),
        };
        let w = lantian_store::Warning {
            state: WarningState::Proposed,
            ..w.clone()
        };
        store
            .record_warning_step(&w, &e, std::slice::from_ref(n))
            .unwrap();
    }
}

/// The rows of a page answer under `key`.
fn rows(v: &Value, key: &str) -> Vec<Value> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {v}"))
        .clone()
}

#[tokio::test]
async fn every_paged_list_answers_page_one_and_two_with_the_total_and_refuses_per_page_0() {
    let (app, store) = app("paging");
    let (cookie, csrf) = login(&app, "admin").await;
    let admin = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    seed(&app, &store, &admin).await;
    let (cookie, csrf) = login(&app, "wk").await;
    let wk = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    // (caller, the list with its filters, the key of its rows, how many rows at least)
    let cases: &[(&Auth<'_>, &str, &str, usize)] = &[
        (&admin, "/api/v1/audit", "items", 3),
        (&admin, "/api/v1/admin/audit?actor=paging", "items", 3),
        (&admin, "/api/v1/alerts/inbox", "events", 3),
        (&wk, "/api/v1/alerts/inbox", "events", 3),
        (&admin, "/api/v1/alerts/deliveries", "deliveries", 3),
        (&admin, "/api/v1/alarms", "items", 3),
        (&admin, "/api/v1/work-orders", "items", 2),
        (&admin, "/api/v1/stations/CITY-1/corrections", "items", 3),
        (&admin, "/api/v1/device-commands", "commands", 3),
        (&admin, "/api/v1/complaints", "complaints", 3),
        (&admin, "/api/v1/tasks", "items", 3),
        (&admin, "/api/v1/tasks?overdue=false", "items", 3),
        (&admin, "/api/v1/reports/files", "items", 3),
        (&admin, "/api/v1/credit", "entries", 3),
        (&admin, "/api/v1/credit/public", "entries", 3),
        (&admin, "/api/v1/declarations", "items", 3),
        (&admin, "/api/v1/warnings", "items", 3),
        (&wk, "/api/v1/notices", "items", 3),
        (&admin, "/api/v1/sanluanwu", "items", 3),
        (&admin, "/api/v1/sites", "items", 3),
        (&admin, "/api/v1/machinery", "items", 3),
        (&admin, "/api/v1/apikeys", "keys", 3),
        (&admin, "/api/v1/device-keys", "keys", 3),
        (&admin, "/api/v1/logger-serials", "serials", 3),
        (&admin, "/api/v1/device-control", "devices", 3),
        (&admin, "/api/v1/enterprises/status", "items", 2),
        (&admin, "/api/v1/ledger-reminders", "items", 3),
        (&admin, "/api/v1/admin/stations", "stations", 3),
        (&admin, "/api/v1/operations/rates?month=2026-11", "items", 3),
        (
            &admin,
            "/api/v1/operations/devices?month=2026-11",
            "items",
            3,
        ),
    ];
    for (who, list, key, at_least) in cases {
        let sep = if list.contains('?') { '&' } else { '?' };
        let get = |q: String| {
            let uri = format!("{list}{sep}{q}");
            let app = app.clone();
            async move { (call(&app, "GET", &uri, None, *who).await, uri) }
        };
        let (all, uri) = get("per_page=1000".into()).await;
        assert_eq!(all.status, StatusCode::OK, "{uri}: {:?}", all.json());
        let all = all.json();
        let every = rows(&all, key);
        let total = all["total"]
            .as_u64()
            .unwrap_or_else(|| panic!("{uri}: no total in {all}")) as usize;
        assert_eq!(total, every.len(), "{uri}: the total is every row");
        assert!(
            total >= *at_least,
            "{uri}: {total} rows, the fixture made {at_least}"
        );
        assert_eq!(
            (all["page"].as_u64(), all["per_page"].as_u64()),
            (Some(1), Some(1000)),
            "{uri}"
        );
        // Pages of total - 1 rows: the first has all but the last row, the second the last.
        let per_page = total - 1;
        let mut seen = Vec::new();
        for (page, want) in [(1, per_page), (2, 1), (3, 0)] {
            let (r, uri) = get(format!("page={page}&per_page={per_page}")).await;
            assert_eq!(r.status, StatusCode::OK, "{uri}: {:?}", r.json());
            let v = r.json();
            assert_eq!(
                v["total"].as_u64(),
                Some(total as u64),
                "{uri}: the total on every page"
            );
            assert_eq!(
                (v["page"].as_u64(), v["per_page"].as_u64()),
                (Some(page as u64), Some(per_page as u64)),
                "{uri}"
            );
            let got = rows(&v, key);
            assert_eq!(got.len(), want, "{uri}");
            seen.extend(got);
        }
        // The pages together are the list, in its order (a page of notices records their
        // receipt: compare them without it).
        let strip = |v: &Vec<Value>| -> Vec<Value> {
            v.iter()
                .map(|r| {
                    let mut r = r.clone();
                    if let Some(o) = r.as_object_mut() {
                        o.remove("read_ts");
                        o.remove("read_at");
                    }
                    r
                })
                .collect()
        };
        assert_eq!(
            strip(&seen),
            strip(&every),
            "{list}: page 1 then page 2 is the list"
        );
        for bad in ["per_page=0", "per_page=1001", "page=0"] {
            let (r, uri) = get(bad.into()).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {:?}", r.json());
            assert!(
                r.json()["error"]["message"]
                    .as_str()
                    .is_some_and(|e| e.contains("page")),
                "{uri}: the message says what is wrong: {:?}",
                r.json()
            );
        }
    }
}

#[tokio::test]
async fn the_inbox_counts_and_pages_past_the_300_alerts_it_used_to_cut_at() {
    let (app, store) = app("paging-inbox");
    for n in 0..305 {
        // Every third concerns 辛城镇 only: 王口镇's inbox does not hold them.
        let units: &[&str] = if n % 3 == 0 {
            &["xincheng"]
        } else {
            &["wangkou"]
        };
        alert(&store, n, units, &[]);
    }
    let (cookie, csrf) = login(&app, "admin").await;
    let admin = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    let (cookie, csrf) = login(&app, "wk").await;
    let wk = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    // (caller, page, rows on it, the inbox's total)
    let cases: [(&Auth<'_>, u64, usize, u64); 4] = [
        (&admin, 1, 100, 305),
        (&admin, 4, 5, 305),
        (&wk, 2, 100, 203),
        (&wk, 3, 3, 203),
    ];
    for (who, page, n, total) in cases {
        let uri = format!("/api/v1/alerts/inbox?page={page}&per_page=100");
        let v = call(&app, "GET", &uri, None, who).await.json();
        assert_eq!(v["total"].as_u64(), Some(total), "{uri}: {v}");
        assert_eq!(v["unread"].as_u64(), Some(total), "{uri}");
        assert_eq!(rows(&v, "events").len(), n, "{uri}");
    }
    // The last page is the oldest alert; marking all read reads the whole inbox, every page.
    let last = call(
        &app,
        "GET",
        "/api/v1/alerts/inbox?page=4&per_page=100",
        None,
        &admin,
    )
    .await
    .json();
    assert_eq!(rows(&last, "events")[4]["title_en"], "alert 0");
    let read = call(
        &app,
        "POST",
        "/api/v1/alerts/inbox/read?per_page=10",
        Some(json!({ "ids": [] })),
        &wk,
    )
    .await
    .json();
    assert_eq!(
        (read["unread"].as_u64(), read["total"].as_u64()),
        (Some(0), Some(203)),
        "{read}"
    );
    assert_eq!(rows(&read, "events").len(), 10);
}
