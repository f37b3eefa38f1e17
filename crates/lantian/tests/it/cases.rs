//! Enforcement cases through a real `lantian serve` (docs/enforcement.md): a day of hours
//! sent through the gateway a week late raises a `backfilled` alarm, the three-level review
//! confirms it, and a case opened from it carries the archived packets of exactly the
//! alarm's hours, which verify; a byte changed in archive.db makes `verify` name the
//! record. Then inspection, a fine with its legal basis, closure and the credit entry; cases
//! from a grid task and by hand; statistics; wrong moves and wrong people refused.

use super::alarms_live::{mn, now_ms, send_hours, township_station};
use super::serve::{Login, Server, login, request};
use super::*;
use lantian_core::cst;
use lantian_core::org::Role;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const PASSWORD: &str = "correct horse battery";
/// A point inside 王口 (the grid tests' point).
const WANGKOU: (f64, f64) = (37.990, 115.400);

fn call(s: &Server, who: Option<&Login>, method: &str, path: &str, body: Value) -> (u16, Value) {
    let text = body.to_string();
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(w) = who {
        headers.push(("Cookie", w.cookie.as_str()));
        headers.push(("X-CSRF-Token", w.csrf.as_str()));
    }
    let body: &[u8] = if method == "GET" {
        b""
    } else {
        text.as_bytes()
    };
    let r = request(&s.http, method, path, &headers, body);
    (r.status, r.json())
}

/// The `DataTime` of an HJ 212 packet's text.
fn data_time(packet: &str) -> String {
    let at = packet
        .find("DataTime=")
        .unwrap_or_else(|| panic!("no DataTime: {packet}"));
    packet[at + 9..at + 23].to_owned()
}

#[test]
fn a_case_from_a_confirmed_alarm_carries_its_archived_packets_which_verify_until_tampered() {
    let dir = temp_dir("cases-alarm");
    let d = dir.to_str().unwrap();
    township_station(
        &dir,
        "T-BF",
        "王口站",
        &[
            ("bureau1", Role::Bureau, None),
            ("wk", Role::Township, Some("wangkou")),
            ("xc", Role::Township, Some("xincheng")),
            ("ops1", Role::Operations, Some("ops-co")),
            ("ent1", Role::Enterprise, Some("AS")),
        ],
    );
    let s = Server::start(d, &[]);
    let [bureau, wk, xc, ops, ent] =
        ["bureau1", "wk", "xc", "ops1", "ent1"].map(|u| login(&s.http, u, PASSWORD));

    // A whole day of last week, sent now: back-filled.
    let day = cst::today(now_ms()).add_days(-7);
    let hours: Vec<i64> = (0..24)
        .map(|h| cst::day_start(day) + h * cst::HOUR_S)
        .collect();
    send_hours(&s, &dir, "T-BF", &hours);
    s.projected();
    let scan = json!({ "from": day.to_string(), "to": day.to_string() });
    let (status, v) = call(&s, Some(&bureau), "POST", "/api/v1/integrity/scan", scan);
    assert_eq!(status, 200, "{v}");
    let (_, list) = call(
        &s,
        Some(&bureau),
        "GET",
        "/api/v1/alarms?station=T-BF&rule=backfilled",
        Value::Null,
    );
    let alarm = list["items"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{list}"));
    let from_alarm = format!("/api/v1/cases/from-alarm/{alarm}");
    let note = json!({ "note": "数据补传，疑似造假" });

    // Not confirmed yet: no case.
    let (status, v) = call(&s, Some(&bureau), "POST", &from_alarm, note.clone());
    assert_eq!(status, 409, "an open alarm: {v}");
    let reviews = format!("/api/v1/alarms/{alarm}/reviews");
    for who in [&ops, &wk, &bureau] {
        let (status, v) = call(
            &s,
            Some(who),
            "POST",
            &reviews,
            json!({ "outcome": "confirm", "reason": "一周后集中补传" }),
        );
        assert_eq!(status, 200, "{v}");
    }
    // Only the bureau opens cases.
    assert_eq!(
        call(&s, Some(&wk), "POST", &from_alarm, note.clone()).0,
        403
    );
    let (status, opened) = call(&s, Some(&bureau), "POST", &from_alarm, note.clone());
    assert_eq!(status, 200, "{opened}");
    let year = cst::today(now_ms()).year();
    let case_no = opened["case_no"].as_str().unwrap().to_owned();
    assert_eq!(case_no, format!("130181-{year}-0001"));
    assert_eq!(opened["packets_attached"], 24, "{opened}");
    // Once per alarm.
    assert_eq!(call(&s, Some(&bureau), "POST", &from_alarm, note).0, 409);

    let id = opened["id"].as_i64().unwrap();
    let path = format!("/api/v1/cases/{id}");
    let (status, case) = call(&s, Some(&bureau), "GET", &path, Value::Null);
    assert_eq!(status, 200, "{case}");
    let c = &case["case"];
    assert_eq!(
        (
            c["origin"].as_str(),
            c["violation"].as_str(),
            c["subject_kind"].as_str(),
            c["subject_id"].as_str()
        ),
        (
            Some("alarm"),
            Some("data_falsification"),
            Some("contractor"),
            Some("ops-co")
        ),
        "{c}"
    );
    assert_eq!(
        (c["non_site"].as_bool(), c["township"].as_str()),
        (Some(true), Some("wangkou"))
    );
    assert!(
        c["created_bj"].as_str().unwrap().ends_with("北京时间"),
        "{c}"
    );
    let packets: Vec<&Value> = case["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e.get("packet").filter(|p| !p.is_null()))
        .collect();
    // Exactly the alarm's 24 hours, each by its DataTime, from the station's device.
    let want: BTreeSet<String> = hours
        .iter()
        .map(|ts| {
            let t = cst::format_minute(*ts);
            format!("{}{}{}{}0000", &t[0..4], &t[5..7], &t[8..10], &t[11..13])
        })
        .collect();
    let got: BTreeSet<String> = packets
        .iter()
        .map(|p| data_time(p["text"].as_str().unwrap()))
        .collect();
    assert_eq!(got, want);
    for p in &packets {
        assert_eq!(p["mn"], mn("T-BF"), "{p}");
        assert_eq!(p["verified"], true, "{p}");
        assert_eq!(p["hash"].as_str().unwrap().len(), 64, "{p}");
        assert!(p["received_bj"].as_str().unwrap().ends_with("北京时间"));
    }
    // Consecutive records link: each one's prev_hash is the one before's hash.
    let mut by_seq: Vec<(i64, String, String)> = packets
        .iter()
        .map(|p| {
            (
                p["seq"].as_i64().unwrap(),
                p["prev_hash"].as_str().unwrap().to_owned(),
                p["hash"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    by_seq.sort();
    for w in by_seq.windows(2) {
        if w[1].0 == w[0].0 + 1 {
            assert_eq!(w[1].1, w[0].2, "#{} links to #{}", w[1].0, w[0].0);
        }
    }
    let series = case["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "series")
        .unwrap_or_else(|| panic!("the alarm's series: {case}"));
    assert_eq!(
        series["series"]["values"].as_array().unwrap().len(),
        24,
        "{series}"
    );

    let verify = format!("{path}/verify");
    let (status, v) = call(&s, Some(&bureau), "GET", &verify, Value::Null);
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        (v["ok"].as_bool(), v["packets"].as_u64()),
        (Some(true), Some(24)),
        "{v}"
    );

    // Who sees it: its township and its contractor, not another township, an unrelated
    // enterprise or the public.
    assert_eq!(call(&s, Some(&wk), "GET", &path, Value::Null).0, 200);
    assert_eq!(call(&s, Some(&ops), "GET", &path, Value::Null).0, 200);
    assert_eq!(call(&s, Some(&xc), "GET", &path, Value::Null).0, 404);
    assert_eq!(call(&s, Some(&ent), "GET", &path, Value::Null).0, 404);
    assert_eq!(call(&s, None, "GET", &path, Value::Null).0, 401);
    assert_eq!(call(&s, None, "GET", "/api/v1/cases", Value::Null).0, 401);
    let (_, theirs) = call(&s, Some(&xc), "GET", "/api/v1/cases", Value::Null);
    assert_eq!(theirs["total"], 0, "{theirs}");

    // A byte of one of the evidence packets changed in archive.db: verify names it.
    let bad = by_seq[5].0;
    {
        let db = rusqlite::Connection::open(dir.join("archive.db")).unwrap();
        db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
        let n = db
            .execute(
                "UPDATE archive SET bytes = CAST(replace(CAST(bytes AS TEXT), 'DataTime=', 'DataTime:') AS BLOB) WHERE chain = 'main' AND seq = ?1",
                [bad],
            )
            .unwrap();
        assert_eq!(n, 1);
    }
    let (_, v) = call(&s, Some(&bureau), "GET", &verify, Value::Null);
    assert_eq!(v["ok"], false, "{v}");
    let named = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["seq"] == bad)
        .unwrap_or_else(|| panic!("record #{bad} is named: {v}"));
    let problem = named["problem"].as_str().unwrap();
    assert!(
        problem.contains(&format!("main#{bad}")) && problem.contains("hash"),
        "{problem}"
    );
    // The records before it can no longer show their place in the chain: also named, with
    // the bad record as the reason; those after it still verify.
    for p in v["problems"].as_array().unwrap() {
        assert!(p["seq"].as_i64().unwrap() <= bad, "{p}");
        assert!(
            p["problem"]
                .as_str()
                .unwrap()
                .contains(&format!("main#{bad}")),
            "{p}"
        );
    }
    assert_eq!(v["verified"].as_u64(), Some(24 - 6), "{v}");

    // Inspection → decision → close, with the wrong moves refused on the way.
    let close = format!("{path}/close");
    let (status, v) = call(&s, Some(&bureau), "POST", &close, json!({ "text": "结案" }));
    assert_eq!(status, 409, "no decision yet: {v}");
    assert!(v.to_string().contains("decision"), "{v}");
    let (status, v) = call(
        &s,
        Some(&bureau),
        "POST",
        &format!("{path}/inspection"),
        json!({ "date": day.add_days(7).to_string(), "inspectors": "张三、李四", "findings": "数采仪缓存被人为清空后补传" }),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["state"], "investigating");
    let fine = json!({
        "kind": "fine",
        "amount_yuan": 50000.0,
        "legal_basis": "《中华人民共和国大气污染防治法》第一百条第（一）项",
        "text": "处罚款五万元"
    });
    let decision = format!("{path}/decision");
    assert_eq!(
        call(&s, Some(&wk), "POST", &decision, fine.clone()).0,
        403,
        "a township decides"
    );
    let (status, v) = call(
        &s,
        Some(&bureau),
        "POST",
        &decision,
        json!({ "kind": "fine", "amount_yuan": 50000.0, "text": "处罚款" }),
    );
    assert_eq!(status, 400, "a fine without its legal basis: {v}");
    let (status, v) = call(&s, Some(&bureau), "POST", &decision, fine);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["state"], "decided");
    let (status, closed) = call(
        &s,
        Some(&bureau),
        "POST",
        &close,
        json!({ "text": "罚款已缴纳" }),
    );
    assert_eq!(status, 200, "{closed}");
    assert_eq!(closed["case"]["state"], "closed");
    let entries = closed["credit_entries"].as_array().unwrap().clone();
    assert_eq!(
        entries.len(),
        1,
        "data falsification by a contractor: one entry, {closed}"
    );
    let (_, case) = call(&s, Some(&bureau), "GET", &path, Value::Null);
    assert_eq!(
        case["credit_entries"],
        Value::Array(entries.clone()),
        "{case}"
    );
    assert_eq!(case["case"]["fine_yuan"].as_f64(), Some(50000.0));
    let actions: Vec<&str> = case["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["open", "inspect", "decide", "close"]);
    assert_eq!(
        call(&s, Some(&bureau), "POST", &close, json!({})).0,
        409,
        "closed twice"
    );

    // From a grid task (a fire point in 王口: open burning) and by hand (rectification).
    let (status, task) = call(
        &s,
        Some(&bureau),
        "POST",
        "/api/v1/tasks",
        json!({ "source": "fire_point", "title": "秸秆焚烧火点", "lat": WANGKOU.0, "lon": WANGKOU.1, "occurred_ms": now_ms() }),
    );
    assert_eq!(status, 200, "{task}");
    let (status, t) = call(
        &s,
        Some(&bureau),
        "POST",
        &format!("/api/v1/cases/from-task/{}", task["id"]),
        json!({ "note": "现场核实" }),
    );
    assert_eq!(status, 200, "{t}");
    let (_, tc) = call(
        &s,
        Some(&wk),
        "GET",
        &format!("/api/v1/cases/{}", t["id"]),
        Value::Null,
    );
    assert_eq!(
        (
            tc["case"]["violation"].as_str(),
            tc["case"]["township"].as_str(),
            tc["case"]["non_site"].as_bool()
        ),
        (Some("open_burning"), Some("wangkou"), Some(false)),
        "{tc}"
    );
    let (status, m) = call(
        &s,
        Some(&bureau),
        "POST",
        "/api/v1/cases",
        json!({ "title": "工地扬尘", "violation": "dust", "township": "xincheng", "non_site": false, "summary": "巡查发现" }),
    );
    assert_eq!(status, 200, "{m}");
    let mpath = format!("/api/v1/cases/{}", m["id"]);
    let deadline = cst::today(now_ms()).add_days(10).to_string();
    let (status, v) = call(
        &s,
        Some(&bureau),
        "POST",
        &format!("{mpath}/decision"),
        json!({ "kind": "rectify", "deadline": deadline, "text": "十日内覆盖裸土" }),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["state"], "rectifying");
    let (status, v) = call(
        &s,
        Some(&bureau),
        "POST",
        &format!("{mpath}/close"),
        json!({ "text": "x" }),
    );
    assert_eq!(status, 409, "rectification not confirmed: {v}");
    let (status, v) = call(
        &s,
        Some(&bureau),
        "POST",
        &format!("{mpath}/rectified"),
        json!({ "text": "已覆盖" }),
    );
    assert_eq!((status, v["state"].as_str()), (200, Some("decided")), "{v}");
    let (status, v) = call(
        &s,
        Some(&bureau),
        "POST",
        &format!("{mpath}/close"),
        json!({ "text": "整改完成" }),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["credit_entries"],
        json!([]),
        "no subject: no credit entry"
    );
    // The township sees its own cases only.
    let (_, mine) = call(&s, Some(&wk), "GET", "/api/v1/cases", Value::Null);
    assert_eq!(mine["total"], 2, "{mine}");
    let (_, mine) = call(&s, Some(&xc), "GET", "/api/v1/cases", Value::Null);
    assert_eq!(mine["total"], 1, "{mine}");

    // Statistics of the year.
    let (status, st) = call(
        &s,
        Some(&bureau),
        "GET",
        &format!("/api/v1/cases/stats?year={year}"),
        Value::Null,
    );
    assert_eq!(status, 200, "{st}");
    assert_eq!(
        (
            st["cases"].as_u64(),
            st["closed"].as_u64(),
            st["non_site"].as_u64()
        ),
        (Some(3), Some(2), Some(1)),
        "{st}"
    );
    assert_eq!(st["fine_yuan"].as_f64(), Some(50000.0));
    let count = |group: &str, key: &str| -> u64 {
        st[group]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == key)
            .map_or(0, |c| c["cases"].as_u64().unwrap())
    };
    assert_eq!(count("by_township", "wangkou"), 2);
    assert_eq!(count("by_township", "xincheng"), 1);
    for v in ["data_falsification", "open_burning", "dust"] {
        assert_eq!(count("by_violation", v), 1, "{v}");
    }
    assert_eq!(count("by_origin", "manual"), 1);

    // The command line over the same store: verify exits 1 naming the record.
    drop(s);
    let id_text = id.to_string();
    let out = lantian(&[
        "case",
        "verify",
        &id_text,
        "--data-dir",
        d,
        "--as",
        "bureau1",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("main#{bad}")), "{text}");
    let out = lantian_ok(&["case", "list", "--data-dir", d, "--as", "wk", "--json"]);
    assert_eq!(json_lines(&out).len(), 2);
    // The credit step again (the retry after a failure at closure): the same entry.
    let out = lantian_ok(&[
        "case",
        "credit",
        &id_text,
        "--data-dir",
        d,
        "--as",
        "bureau1",
        "--json",
    ]);
    assert_eq!(json_lines(&out)[0]["credit_entries"], Value::Array(entries));
    let out = lantian(&["case", "credit", &id_text, "--data-dir", d, "--as", "wk"]);
    assert_ne!(out.status.code(), Some(0), "a township: {}", stderr(&out));
}

// ---------------------------------------------------------------------------------------
// The same use cases without a server, on SQLite and on PostgreSQL: packets committed to the
// store's archive a week late, the scan's `backfilled` alarm confirmed at three levels, a
// case from it whose packets verify; a warning-period violation (a line that had to stop ran
// on) handed over and made a case with its evidence; a case from a grid task and one by
// hand; inspections, decisions, rectification, closure with its credit entries, statistics.

mod both {
    use lantian_app::cases::{
        self, DecideRequest, FromViolation, InspectRequest, ListQuery, NewCaseRequest,
    };
    use lantian_app::tasks::NewTask;
    use lantian_app::{Account, App, AppError, Caller, Clock, County};
    use lantian_core::enforce::SubjectKind;
    use lantian_core::enforce::case::{DecisionKind, Origin, State, Violation};
    use lantian_core::enforce::credit::Level;
    use lantian_core::grid::task::Source;
    use lantian_core::org::{EquipmentKind, Role};
    use lantian_core::pollutant::Pollutant;
    use lantian_core::series::StationRole;
    use lantian_core::warning::reduction::{Measure, MeasureKind};
    use lantian_core::{Date, cst};
    use lantian_store::integrity::{AlarmFilter, Outcome};
    use lantian_store::model::Enterprise;
    use lantian_store::testing::{PgDb, pg_url};
    use lantian_store::{
        Equipment, Forecast, Ingest, Location, Observation, Period, RawPacket, ReductionMeasure,
        Station, Store, Warning, WarningEvent, WarningEventKind, WarningLevel, WarningOrigin,
        WarningState,
    };
    use std::sync::Arc;

    /// CST seconds of `date` at `hh:00`.
    fn at(date: &str, hh: i64) -> i64 {
        cst::day_start(Date::parse(date).unwrap()) + hh * cst::HOUR_S
    }

    fn account(name: &str, role: Role, unit: Option<&str>) -> Caller {
        Caller::Account(Account {
            username: name.into(),
            role,
            unit_id: unit.map(str::to_owned),
            unit_kind: None,
            source: "192.0.2.9".into(),
        })
    }

    /// `hours` of the six pollutants as one HJ 212 packet each, received at `received_ms`.
    fn late_packets(store: &Store, station: &str, mn: &str, hours: &[i64], received_ms: i64) {
        let batch: Vec<Ingest> = hours
            .iter()
            .enumerate()
            .map(|(i, ts)| {
                let t = cst::format_minute(*ts);
                let data_time = format!("{}{}{}{}0000", &t[0..4], &t[5..7], &t[8..10], &t[11..13]);
                let values: Vec<(&str, f64)> = Pollutant::ALL
                    .iter()
                    .map(|p| (p.hj212_code(), (20 + (i * 7 + p.index() * 3) % 31) as f64))
                    .collect();
                let cp: Vec<String> = values
                    .iter()
                    .map(|(c, v)| format!("{c}-Avg={v},{c}-Flag=N"))
                    .collect();
                let text = format!(
                    "QN={data_time}000;ST=22;CN=2061;PW=123456;MN={mn};Flag=5;CP=&&DataTime={data_time};{}&&",
                    cp.join(";")
                );
                Ingest {
                    packet: Some(RawPacket {
                        received_ms: received_ms + i as i64,
                        peer: "192.0.2.50:40000".into(),
                        mn: Some(mn.into()),
                        verdict: "accepted".into(),
                        bytes: text.into_bytes(),
                    }),
                    observations: values
                        .iter()
                        .map(|(c, v)| Observation {
                            station_id: station.into(),
                            code: (*c).into(),
                            period: Period::Hour,
                            ts: *ts,
                            value: *v,
                            flag: "N".into(),
                        })
                        .collect(),
                }
            })
            .collect();
        let out = store.commit_batch(&batch).unwrap();
        assert_eq!(out.packets_archived, hours.len() as u64);
    }

    /// A warning in force (orange) over `[from, until)`, CST seconds.
    fn warning(store: &Store, from: i64, until: i64) -> i64 {
        let mut w = Warning {
            id: 0,
            state: WarningState::Proposed,
            level: WarningLevel::Orange,
            origin: WarningOrigin::Local,
            edition: "hebei-2024".into(),
            rule_zh: "橙色预警".into(),
            rule_en: "orange".into(),
            forecast: Forecast {
                start: from,
                hourly: vec![Some(210.0); 24],
            },
            first_hour: Some(from),
            last_hour: Some(until - cst::HOUR_S),
            issued_ts: None,
            lifted_ts: None,
            doc_no: None,
            created_ts: from - cst::DAY_S,
        };
        let step = |kind, ts| WarningEvent {
            warning_id: 0,
            seq: 0,
            ts,
            effective_ts: Some(ts),
            kind,
            level: Some(WarningLevel::Orange),
            actor: "cmd1".into(),
            doc_no: None,
            note: String::new(),
        };
        w.id = store
            .insert_warning(&w, &step(WarningEventKind::Proposed, from - cst::DAY_S))
            .unwrap();
        w.state = WarningState::InForce;
        w.issued_ts = Some(from);
        w.doc_no = Some("辛重污染指〔2026〕1号".into());
        store
            .record_warning_step(
                &w,
                &WarningEvent {
                    warning_id: w.id,
                    ..step(WarningEventKind::Issued, from)
                },
                &[],
            )
            .unwrap();
        w.state = WarningState::Lifted;
        w.lifted_ts = Some(until);
        store
            .record_warning_step(
                &w,
                &WarningEvent {
                    warning_id: w.id,
                    level: None,
                    ..step(WarningEventKind::Lifted, until)
                },
                &[],
            )
            .unwrap();
        w.id
    }

    fn story(store: Store, data_dir: std::path::PathBuf) {
        // 2026-05-20 10:00 Beijing time; the alarm's day a week before.
        let now_ms = cst::to_unix_ms(at("2026-05-20", 10));
        let app = App::new(
            Arc::new(store),
            Clock::Fixed { unix_ms: now_ms },
            Arc::new(County::xinji()),
            Some(data_dir),
        );
        let store = &app.store;
        County::xinji().install(store, 0).unwrap();
        store
            .upsert_station(&Station {
                id: "T-BF".into(),
                name: "王口站".into(),
                role: StationRole::Township,
                admin_unit_id: Some("wangkou".into()),
                lat: Some(37.95),
                lon: Some(115.2),
                pollutants: Pollutant::ALL
                    .iter()
                    .map(|p| p.hj212_code().into())
                    .collect(),
                min_interval_min: 1,
                demo: false,
            })
            .unwrap();
        store
            .set_station_contractor("T-BF", Some("ops-co"))
            .unwrap();
        store
            .upsert_enterprise(&Enterprise {
                id: "GT".into(),
                name: "违规钢铁公司".into(),
                credit_code: Some("91130181MA0000077X".into()),
                admin_unit_id: Some("wangkou".into()),
                ..Enterprise::default()
            })
            .unwrap();
        let bureau = account("bureau1", Role::Bureau, None);
        let wk = account("wk", Role::Township, Some("wangkou"));
        let xc = account("xc", Role::Township, Some("xincheng"));
        let ops = account("ops1", Role::Operations, Some("ops-co"));
        let gt = account("gt1", Role::Enterprise, Some("GT"));
        let other = account("ent2", Role::Enterprise, Some("ZZ"));

        // --- From a confirmed alarm: a day of hours received a week late. ---
        let day = "2026-05-13";
        let hours: Vec<i64> = (0..24).map(|h| at(day, h)).collect();
        let mn = "CASE0000000000000000T-BF";
        late_packets(store, "T-BF", mn, &hours, now_ms - 3_600_000);
        let d = Date::parse(day).unwrap();
        lantian_app::integrity::scan(&app, &bureau, d, d).unwrap();
        let alarm = store
            .alarms(&AlarmFilter {
                station_id: Some("T-BF".into()),
                rule: Some(lantian_core::integrity::Rule::Backfilled),
                ..AlarmFilter::default()
            })
            .unwrap()
            .first()
            .unwrap_or_else(|| panic!("a backfilled alarm"))
            .id;
        assert!(
            matches!(
                cases::from_alarm(&app, &bureau, alarm, "x", None),
                Err(AppError::Conflict(_))
            ),
            "not confirmed yet"
        );
        for who in [&ops, &wk, &bureau] {
            lantian_app::integrity::review(&app, who, alarm, Outcome::Confirm, "一周后集中补传")
                .unwrap();
        }
        assert!(matches!(
            cases::from_alarm(&app, &wk, alarm, "x", None),
            Err(AppError::Forbidden(_))
        ));
        let opened = cases::from_alarm(&app, &bureau, alarm, "数据补传，疑似造假", None).unwrap();
        assert_eq!(opened.case_no, "130181-2026-0001");
        assert_eq!((opened.packets_attached, opened.packets_found), (24, 24));
        assert!(matches!(
            cases::from_alarm(&app, &bureau, alarm, "again", None),
            Err(AppError::Conflict(_))
        ));
        let c = cases::one(&app, &bureau, opened.id).unwrap();
        assert_eq!(
            (
                c.case.origin,
                c.case.violation,
                c.case.subject_kind,
                c.case.subject_id.as_deref(),
                c.case.township.as_deref(),
                c.case.non_site
            ),
            (
                Origin::Alarm,
                Violation::DataFalsification,
                Some(SubjectKind::Contractor),
                Some("ops-co"),
                Some("wangkou"),
                true
            )
        );
        let packets: Vec<_> = c
            .evidence
            .iter()
            .filter_map(|e| e.packet.as_ref())
            .collect();
        assert_eq!(packets.len(), 24);
        assert!(
            packets.iter().all(|p| p.verified && p.hash.len() == 64),
            "{packets:?}"
        );
        assert!(packets.iter().all(|p| p.mn.as_deref() == Some(mn)));
        let v = cases::verify(&app, &bureau, opened.id).unwrap();
        assert_eq!((v.ok, v.packets, v.verified), (true, 24, 24), "{v:?}");
        // Who sees it.
        for (who, sees) in [(&wk, true), (&ops, true), (&xc, false), (&gt, false)] {
            assert_eq!(cases::one(&app, who, opened.id).is_ok(), sees);
        }
        assert!(matches!(
            cases::one(&app, &Caller::Public, opened.id),
            Err(AppError::Unauthorized)
        ));

        // Inspection → fine → close: a serious entry for the contractor.
        assert!(matches!(
            cases::close(&app, &bureau, opened.id, "结案"),
            Err(AppError::Conflict(_))
        ));
        let inspect = InspectRequest {
            date: "2026-05-20".into(),
            inspectors: "张三、李四".into(),
            findings: "数采仪缓存被人为清空后补传".into(),
        };
        let row = cases::inspect(&app, &bureau, opened.id, &inspect).unwrap();
        assert_eq!(row.state, State::Investigating);
        let fine = |amount: f64| DecideRequest {
            kind: DecisionKind::Fine,
            deadline: None,
            amount_yuan: Some(amount),
            legal_basis: Some("《中华人民共和国大气污染防治法》第一百条".into()),
            transfer_to: None,
            text: "处罚款".into(),
        };
        assert!(matches!(
            cases::decide(&app, &wk, opened.id, &fine(50_000.0)),
            Err(AppError::Forbidden(_))
        ));
        cases::decide(&app, &bureau, opened.id, &fine(50_000.0)).unwrap();
        let closed = cases::close(&app, &bureau, opened.id, "罚款已缴纳").unwrap();
        assert_eq!(closed.case.state, State::Closed);
        assert_eq!(closed.credit_entries.len(), 1);
        assert!(closed.credit_failure.is_none());
        let entry = lantian_app::credit::show(&app, &bureau, closed.credit_entries[0])
            .unwrap()
            .entry;
        assert_eq!(
            (entry.row.entry.level, entry.row.entry.subject_id.as_str()),
            (Level::Serious, "ops-co")
        );
        assert_eq!(
            cases::one(&app, &bureau, opened.id).unwrap().credit_entries,
            closed.credit_entries
        );

        // --- From a warning-period violation: the line had to stop and ran on. ---
        store
            .upsert_equipment(&Equipment {
                id: "GT-L1".into(),
                enterprise_id: "GT".into(),
                name: "1#生产线".into(),
                kind: EquipmentKind::Production,
                outlet_id: None,
                rated_kw: Some(800.0),
                status_code: Some("SB1-RS".into()),
                meter: None,
            })
            .unwrap();
        store
            .replace_reduction_measures(
                &[ReductionMeasure {
                    enterprise_id: "GT".into(),
                    seq: 1,
                    measure: Measure {
                        level: WarningLevel::Orange,
                        kind: MeasureKind::StopLine,
                        equipment: Some("GT-L1".into()),
                        cap_pct: None,
                        declared_pct: None,
                        text: "1#生产线停产".into(),
                    },
                }],
                &[],
            )
            .unwrap();
        let (w_from, w_until) = (at("2026-05-18", 0), at("2026-05-19", 0));
        let running: Vec<Ingest> = (0..48)
            .map(|h| Ingest {
                packet: None,
                observations: vec![Observation {
                    station_id: "GT-L1".into(),
                    code: "SB1-RS".into(),
                    period: Period::Hour,
                    ts: at("2026-05-17", h),
                    value: 1.0,
                    flag: "N".into(),
                }],
            })
            .collect();
        store.commit_batch(&running).unwrap();
        let wid = warning(store, w_from, w_until);
        let checked = lantian_app::compliance::verify(&app, &bureau, wid).unwrap();
        assert_eq!(checked.violations.len(), 1, "{:?}", checked.violations);
        let viol = &checked.violations[0];
        assert_eq!(
            (viol.first_hour.as_str(), viol.hours, viol.measure.as_str()),
            ("2026-05-18 00:00", 24, "orange:1")
        );
        let req = FromViolation {
            enterprise: "GT".into(),
            measure: "orange:1".into(),
            first_hour: "2026-05-18 00:00".into(),
            note: "限产未落实".into(),
        };
        // Handed over first (移交执法), as the verification page does, then the case.
        lantian_app::compliance::hand_over(
            &app,
            &bureau,
            wid,
            "GT",
            "orange:1",
            "2026-05-18 00:00",
            "移交执法",
        )
        .unwrap();
        assert!(matches!(
            cases::from_violation(&app, &wk, wid, &req),
            Err(AppError::Forbidden(_))
        ));
        let wrong = FromViolation {
            first_hour: "2026-05-18 05:00".into(),
            ..req.clone()
        };
        assert!(matches!(
            cases::from_violation(&app, &bureau, wid, &wrong),
            Err(AppError::NotFound(_))
        ));
        let vc = cases::from_violation(&app, &bureau, wid, &req).unwrap();
        assert_eq!(vc.case_no, "130181-2026-0002");
        assert!(matches!(
            cases::from_violation(&app, &bureau, wid, &req),
            Err(AppError::Conflict(_))
        ));
        let c = cases::one(&app, &bureau, vc.id).unwrap();
        assert_eq!(
            (
                c.case.origin,
                c.case.violation,
                c.case.subject_kind,
                c.case.subject_id.as_deref(),
                c.case.subject_name.as_str(),
                c.case.township.as_deref(),
                c.case.non_site
            ),
            (
                Origin::Violation,
                Violation::WarningNoncompliance,
                Some(SubjectKind::Enterprise),
                Some("GT"),
                "违规钢铁公司",
                Some("wangkou"),
                true
            )
        );
        assert_eq!(
            c.case.origin_ref.as_deref(),
            Some(format!("{wid}/GT/orange:1/2026-05-18 00:00").as_str())
        );
        // The evidence: the violation, the line's hours from a day before, every hour checked.
        let ev = c
            .evidence
            .iter()
            .find_map(|e| e.series.as_ref())
            .unwrap_or_else(|| panic!("the violation's evidence: {:?}", c.evidence));
        assert_eq!(ev["violation"]["enterprise_id"], "GT");
        assert_eq!(ev["violation"]["hours"], 24);
        assert_eq!(ev["hours"].as_array().unwrap().len(), 48, "{ev}");
        let checks = ev["checks"].as_array().unwrap();
        assert_eq!(checks.len(), 24);
        assert!(checks.iter().all(|c| c["verdict"] == "violated"), "{ev}");
        assert!(c.summary.contains("24 小时"), "{}", c.summary);
        // The enterprise sees its own case (read-only); another enterprise does not.
        assert!(cases::one(&app, &gt, vc.id).unwrap().acts.is_empty());
        assert!(matches!(
            cases::one(&app, &other, vc.id),
            Err(AppError::NotFound(_))
        ));
        assert!(matches!(
            cases::inspect(&app, &gt, vc.id, &inspect),
            Err(AppError::Forbidden(_))
        ));
        cases::decide(&app, &bureau, vc.id, &fine(100_000.0)).unwrap();
        assert!(
            matches!(
                cases::record_credit(&app, &bureau, vc.id),
                Err(AppError::Conflict(_))
            ),
            "not closed: no credit step"
        );
        // The credit step fails (a broken rule table): the case is closed all the same, the
        // answer says what failed and how to retry; the retry writes the entry once.
        let rules = lantian_app::credit::RULES_SETTING;
        store.set_setting(rules, "{ not json").unwrap();
        let closed = cases::close(&app, &bureau, vc.id, "罚款已缴纳").unwrap();
        assert_eq!(closed.case.state, State::Closed);
        assert!(closed.credit_entries.is_empty());
        let failure = closed
            .credit_failure
            .as_deref()
            .unwrap_or_else(|| panic!("{closed:?}"));
        assert!(
            failure.contains(&closed.case.case_no)
                && failure.contains(&format!("/api/v1/cases/{}/credit", vc.id))
                && failure.contains(rules),
            "{failure}"
        );
        let acts = cases::one(&app, &bureau, vc.id).unwrap().acts;
        assert_eq!(acts, ["credit"], "the retry is offered");
        assert!(matches!(
            cases::record_credit(&app, &bureau, vc.id),
            Err(AppError::Internal(_))
        ));
        assert!(matches!(
            cases::record_credit(&app, &wk, vc.id),
            Err(AppError::Forbidden(_))
        ));
        store
            .set_setting(
                rules,
                &serde_json::to_string(&lantian_core::enforce::credit::Config::default()).unwrap(),
            )
            .unwrap();
        let ids = cases::record_credit(&app, &bureau, vc.id).unwrap();
        assert_eq!(ids.len(), 1, "一般失信");
        assert_eq!(cases::record_credit(&app, &bureau, vc.id).unwrap(), ids);
        let after = cases::one(&app, &bureau, vc.id).unwrap();
        assert_eq!(after.credit_entries, ids);
        assert!(after.acts.is_empty(), "{:?}", after.acts);
        let entry = lantian_app::credit::show(&app, &bureau, ids[0])
            .unwrap()
            .entry;
        assert_eq!(
            (
                entry.row.entry.level,
                entry.row.entry.subject_id.as_str(),
                entry.row.entry.credit_code.as_deref(),
                entry.row.entry.violation.as_str()
            ),
            (
                Level::General,
                "GT",
                Some("91130181MA0000077X"),
                "warning_noncompliance"
            )
        );
        assert!(matches!(
            cases::record_credit(&app, &bureau, vc.id + 1000),
            Err(AppError::NotFound(_))
        ));

        // --- From a grid task (open burning in 王口) and by hand (a rectification). ---
        let task = lantian_app::tasks::create(
            &app,
            &bureau,
            NewTask {
                source: Source::FirePoint,
                title: "秸秆焚烧火点".into(),
                detail: String::new(),
                lat: super::WANGKOU.0,
                lon: super::WANGKOU.1,
                occurred_ms: now_ms,
                source_ref: None,
                assignee: None,
            },
        )
        .unwrap();
        let tc = cases::from_task(&app, &bureau, task.id, "现场核实", None).unwrap();
        let t = cases::one(&app, &wk, tc.id).unwrap().case;
        assert_eq!(
            (t.violation, t.township.as_deref(), t.non_site, t.origin),
            (Violation::OpenBurning, Some("wangkou"), false, Origin::Task)
        );
        cases::dismiss(&app, &bureau, tc.id, "火点为误报 / a false fire point").unwrap();
        let m = cases::open_manual(
            &app,
            &bureau,
            NewCaseRequest {
                title: "工地扬尘".into(),
                violation: Violation::Dust,
                subject_kind: None,
                subject_id: None,
                township: Some("xincheng".into()),
                non_site: false,
                summary: "巡查发现".into(),
            },
        )
        .unwrap();
        let rectify = DecideRequest {
            kind: DecisionKind::Rectify,
            deadline: Some("2026-05-30".into()),
            amount_yuan: None,
            legal_basis: None,
            transfer_to: None,
            text: "十日内覆盖裸土".into(),
        };
        let row = cases::decide(&app, &bureau, m.id, &rectify).unwrap();
        assert_eq!(row.state, State::Rectifying);
        assert!(row.deadline_ms.is_some());
        assert!(matches!(
            cases::close(&app, &bureau, m.id, "x"),
            Err(AppError::Conflict(_))
        ));
        let row = cases::confirm_rectified(&app, &bureau, m.id, "已覆盖").unwrap();
        assert_eq!((row.state, row.deadline_ms), (State::Decided, None));
        let closed = cases::close(&app, &bureau, m.id, "整改完成").unwrap();
        assert!(closed.credit_entries.is_empty(), "no subject: no entry");

        // Lists and statistics as each caller sees them.
        let count = |who: &Caller| cases::list(&app, who, &ListQuery::default()).unwrap().len();
        assert_eq!(
            [&bureau, &wk, &xc, &gt, &ops, &other].map(count),
            [4, 3, 1, 1, 1, 0]
        );
        let only = cases::list(
            &app,
            &bureau,
            &ListQuery {
                state: Some(State::Closed),
                origin: Some(Origin::Violation),
                ..ListQuery::default()
            },
        )
        .unwrap();
        assert_eq!(only.len(), 1);
        assert_eq!(only[0].fine_yuan, Some(100_000.0));
        let st = cases::stats(&app, &bureau, None).unwrap();
        assert_eq!(
            (
                st.year,
                st.cases,
                st.closed,
                st.dismissed,
                st.open,
                st.non_site
            ),
            (2026, 4, 3, 1, 0, 2)
        );
        assert_eq!(st.fine_yuan, 150_000.0);
        assert_eq!(st.non_site_share, Some(0.5));
        let of = |v: &[cases::Count], k: &str| v.iter().find(|c| c.key == k).map(|c| c.cases);
        assert_eq!(of(&st.by_township, "wangkou"), Some(3));
        assert_eq!(of(&st.by_township, "xincheng"), Some(1));
        assert_eq!(of(&st.by_violation, "warning_noncompliance"), Some(1));
        assert_eq!(of(&st.by_origin, "task"), Some(1));
        assert_eq!(cases::stats(&app, &wk, None).unwrap().cases, 3);
        assert_eq!(cases::stats(&app, &bureau, Some(2025)).unwrap().cases, 0);
    }

    #[test]
    fn the_case_use_cases_from_alarm_violation_task_and_hand_run_on_sqlite() {
        let dir = super::temp_dir("cases-both-sqlite");
        story(Store::open_data_dir(&dir).unwrap(), dir);
    }

    #[test]
    fn the_case_use_cases_from_alarm_violation_task_and_hand_run_on_postgres() {
        let Some(base) = pg_url() else {
            return;
        };
        let db = PgDb::create(&base, "it_cases");
        let dir = super::temp_dir("cases-both-pg");
        story(
            Store::open(&Location::Postgres(db.url.clone())).unwrap(),
            dir,
        );
    }
}
