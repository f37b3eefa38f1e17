//! Credit records (issue 21): closed cases write entries by rule, once; the public list
//! follows the publication period by Beijing date as the clock moves; objections and repair
//! take entries off it; who may do what. On SQLite and on PostgreSQL.

use lantian_app::credit::{self, Decision, ListQuery, NewRequest};
use lantian_app::{Account, App, AppError, Caller, Clock, County};
use lantian_core::enforce::SubjectKind;
use lantian_core::enforce::credit::{ClosedCase, Level, Outcome, Phase, RequestKind};
use lantian_core::org::Role;
use lantian_core::{Date, cst};
use lantian_store::model::Enterprise;
use lantian_store::{Location, Store};
use std::sync::Arc;

/// Unix ms of `date` at `hh:mm` Beijing time.
fn bj(date: &str, hh: i64, mm: i64) -> i64 {
    cst::to_unix_ms(cst::day_start(Date::parse(date).unwrap()) + hh * 3600 + mm * 60)
}

/// The same store read at another instant (the clock is a field: moving it is the clock
/// setter).
fn at_ms(app: &App, unix_ms: i64) -> App {
    let mut moved = app.clone();
    moved.clock = Clock::Fixed { unix_ms };
    moved
}

/// The same store read at 09:00 Beijing time on `date`.
fn at(app: &App, date: &str) -> App {
    at_ms(app, bj(date, 9, 0))
}

fn account(name: &str, role: Role, unit: Option<&str>) -> Caller {
    Caller::Account(Account {
        username: name.into(),
        role,
        unit_id: unit.map(str::to_owned),
        unit_kind: None,
        source: "192.0.2.7".into(),
    })
}

fn closed(
    id: i64,
    kind: SubjectKind,
    subject: &str,
    violation: &str,
    decisions: &[&str],
) -> ClosedCase {
    ClosedCase {
        case_id: id,
        case_no: format!("XJ-2026-{id:04}"),
        subject_kind: kind,
        subject_id: subject.into(),
        subject_name: format!("{subject} 有限公司"),
        violation: violation.into(),
        decisions: decisions.iter().map(|s| (*s).to_owned()).collect(),
        fine_yuan: decisions.contains(&"fine").then_some(50_000.0),
        // 2026-03-10 23:30 Beijing time: 15:30 UTC, still the 10th in Beijing.
        closed_ms: bj("2026-03-10", 23, 30),
        non_site: true,
        township: Some("wangkou".into()),
    }
}

fn public_case_nos(app: &App) -> Vec<String> {
    let mut v: Vec<String> = credit::public_list(app)
        .unwrap()
        .into_iter()
        .map(|e| e.case_no)
        .collect();
    v.sort();
    v
}

fn story(store: Store) {
    let app = App::new(
        Arc::new(store),
        Clock::Fixed {
            unix_ms: bj("2026-03-10", 23, 40),
        },
        Arc::new(County::xinji()),
        None,
    );
    for (id, code) in [("E1", Some("91130181MA0000001X")), ("E2", None)] {
        app.store
            .upsert_enterprise(&Enterprise {
                id: id.into(),
                name: format!("{id} 有限公司"),
                credit_code: code.map(str::to_owned),
                ..Enterprise::default()
            })
            .unwrap();
    }
    let bureau = account("juzhang", Role::Bureau, None);
    let e1 = account("e1", Role::Enterprise, Some("E1"));
    let e2 = account("e2", Role::Enterprise, Some("E2"));
    let township = account("wk", Role::Township, Some("wangkou"));

    // (case, entries written): falsification and interference by rule, a fine for
    // exceeding; a dismissed case and a rectification alone write none.
    use SubjectKind::{Contractor, Enterprise as Ent};
    let cases = [
        (
            closed(1, Ent, "E1", "data_falsification", &["fine", "rectify"]),
            1,
        ),
        (closed(2, Contractor, "C1", "interference", &["rectify"]), 1),
        (closed(3, Ent, "E1", "exceed_emission", &["fine"]), 1),
        (closed(4, Ent, "E2", "exceed_emission", &["rectify"]), 0),
        (closed(5, Ent, "E2", "data_falsification", &[]), 0),
    ];
    let mut ids = Vec::new();
    for (c, n) in &cases {
        let got = credit::record_closed_case(&app, "juzhang", c).unwrap();
        assert_eq!(got.len(), *n, "{}", c.case_no);
        // Closing again writes nothing more and answers the same ids.
        assert_eq!(credit::record_closed_case(&app, "juzhang", c).unwrap(), got);
        ids.push(got.first().copied());
    }
    let all = credit::list(&app, &bureau, &ListQuery::default()).unwrap();
    assert_eq!(all.len(), 3);
    let e = credit::show(&app, &bureau, ids[0].unwrap()).unwrap().entry;
    assert_eq!(e.row.entry.level, Level::Serious);
    assert_eq!(
        e.row.entry.credit_code.as_deref(),
        Some("91130181MA0000001X")
    );
    assert_eq!(e.row.entry.publish_from.to_string(), "2026-03-11");
    assert_eq!(e.row.entry.publish_until.to_string(), "2029-03-10");
    assert_eq!(e.phase, Phase::Scheduled);
    let general = credit::show(&app, &bureau, ids[2].unwrap()).unwrap().entry;
    assert_eq!(
        (
            general.row.entry.level,
            general.row.entry.publish_until.to_string()
        ),
        (Level::General, "2027-03-10".to_owned())
    );

    // The public list by Beijing date: (date, case numbers shown).
    let timeline: [(&str, &[&str]); 6] = [
        ("2026-03-10", &[]),
        (
            "2026-03-11",
            &["XJ-2026-0001", "XJ-2026-0002", "XJ-2026-0003"],
        ),
        (
            "2027-03-10",
            &["XJ-2026-0001", "XJ-2026-0002", "XJ-2026-0003"],
        ),
        ("2027-03-11", &["XJ-2026-0001", "XJ-2026-0002"]),
        ("2029-03-10", &["XJ-2026-0001", "XJ-2026-0002"]),
        ("2029-03-11", &[]),
    ];
    for (date, want) in timeline {
        assert_eq!(
            public_case_nos(&at(&app, date)),
            want,
            "public list on {date}"
        );
    }
    // Before closing time on the 10th in Beijing (still the 10th at 23:59), nothing.
    let late = at_ms(&app, bj("2026-03-10", 23, 59));
    assert!(public_case_nos(&late).is_empty());

    // The public line carries no personal data.
    let day = at(&app, "2026-04-01");
    let json = serde_json::to_string(&credit::public_list(&day).unwrap()).unwrap();
    for field in [
        "created_by",
        "filed_by",
        "township",
        "juzhang",
        "rule_source",
    ] {
        assert!(!json.contains(field), "{field} in the public list: {json}");
    }
    assert!(
        json.contains("严重失信") && json.contains("91130181MA0000001X"),
        "{json}"
    );

    // Who may see: the bureau all, an enterprise its own, others nothing.
    let own = |c: &Caller| credit::list(&day, c, &ListQuery::default()).map(|v| v.len());
    assert_eq!(own(&bureau).unwrap(), 3);
    assert_eq!(own(&e1).unwrap(), 2);
    assert_eq!(own(&e2).unwrap(), 0);
    assert!(matches!(own(&township), Err(AppError::Forbidden(_))));
    assert!(matches!(own(&Caller::Public), Err(AppError::Unauthorized)));
    assert!(matches!(
        credit::show(&day, &e2, ids[0].unwrap()),
        Err(AppError::Forbidden(_))
    ));

    // Repair of the general entry: not before its minimum period (2026-06-11).
    let general_id = ids[2].unwrap();
    let repair = NewRequest {
        text: "已缴纳罚款并完成整改 / fine paid, rectified".into(),
        evidence: "缴款凭证 2026-04-02；整改验收报告 2026-05-20".into(),
    };
    let early = credit::request(
        &at(&app, "2026-06-10"),
        &e1,
        general_id,
        RequestKind::Repair,
        &repair,
    );
    assert!(matches!(early, Err(AppError::Conflict(_))), "{early:?}");
    let june = at(&app, "2026-06-11");
    assert!(matches!(
        credit::request(&june, &e2, general_id, RequestKind::Repair, &repair),
        Err(AppError::Forbidden(_))
    ));
    credit::request(&june, &e1, general_id, RequestKind::Repair, &repair).unwrap();
    // One request under review at a time.
    assert!(credit::request(&june, &e1, general_id, RequestKind::Repair, &repair).is_err());
    let approve = Decision {
        outcome: Outcome::Granted,
        reason: "材料齐全，同意修复 / complete, approved".into(),
    };
    assert!(matches!(
        credit::decide(&june, &township, general_id, RequestKind::Repair, &approve),
        Err(AppError::Forbidden(_))
    ));
    credit::decide(&june, &bureau, general_id, RequestKind::Repair, &approve).unwrap();
    assert_eq!(public_case_nos(&june), ["XJ-2026-0001", "XJ-2026-0002"]);
    let repaired = credit::show(&june, &bureau, general_id).unwrap();
    assert_eq!(repaired.entry.phase, Phase::Repaired);
    assert_eq!(
        repaired.entry.row.state_reason.as_deref(),
        Some("材料齐全，同意修复 / complete, approved")
    );
    assert_eq!(repaired.requests.len(), 1);

    // An objection keeps the entry listed, marked; a rejected one changes nothing; an
    // upheld one withdraws it. The bureau files for the contractor, who has no account.
    let objection = NewRequest {
        text: "数据异常系设备故障，已报备 / a reported device fault".into(),
        evidence: String::new(),
    };
    let contractor_entry = ids[1].unwrap();
    credit::request(
        &june,
        &bureau,
        contractor_entry,
        RequestKind::Objection,
        &objection,
    )
    .unwrap();
    let marked: Vec<_> = credit::public_list(&june)
        .unwrap()
        .into_iter()
        .filter(|e| e.under_objection)
        .map(|e| e.case_no)
        .collect();
    assert_eq!(marked, ["XJ-2026-0002"]);
    let reject = Decision {
        outcome: Outcome::Rejected,
        reason: "故障未按规定报备 / the fault was not reported".into(),
    };
    credit::decide(
        &june,
        &bureau,
        contractor_entry,
        RequestKind::Objection,
        &reject,
    )
    .unwrap();
    assert_eq!(public_case_nos(&june), ["XJ-2026-0001", "XJ-2026-0002"]);
    credit::request(
        &june,
        &e1,
        ids[0].unwrap(),
        RequestKind::Objection,
        &objection,
    )
    .unwrap();
    let uphold = Decision {
        outcome: Outcome::Granted,
        reason: "复核确认为设备故障 / confirmed a device fault".into(),
    };
    credit::decide(
        &june,
        &bureau,
        ids[0].unwrap(),
        RequestKind::Objection,
        &uphold,
    )
    .unwrap();
    // A second answer finds nothing under review.
    assert!(matches!(
        credit::decide(
            &june,
            &bureau,
            ids[0].unwrap(),
            RequestKind::Objection,
            &uphold
        ),
        Err(AppError::Conflict(_))
    ));
    assert_eq!(public_case_nos(&june), ["XJ-2026-0002"]);

    let stats = credit::stats(&june, &bureau).unwrap();
    assert_eq!(stats.total, 3);
    assert_eq!(stats.by_phase.get("public"), Some(&1));
    assert_eq!(stats.by_phase.get("repaired"), Some(&1));
    assert_eq!(stats.by_phase.get("withdrawn"), Some(&1));
    assert_eq!(stats.requests.get("objection.granted"), Some(&1));
    assert_eq!(stats.requests.get("objection.rejected"), Some(&1));
    assert_eq!(stats.requests.get("repair.granted"), Some(&1));
    let audited: Vec<String> = june
        .store
        .audit_events(100)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in [
        "credit.record",
        "credit.repair",
        "credit.repair.decide",
        "credit.objection.decide",
    ] {
        assert!(
            audited.iter().any(|a| a == action),
            "{action} not audited: {audited:?}"
        );
    }
}

#[test]
fn closed_cases_write_credit_entries_whose_public_listing_follows_their_period_on_both_backends() {
    let dir = std::env::temp_dir().join(format!("lantian-it-credit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    story(Store::open_data_dir(&dir).unwrap());
    if let Some(base) = lantian_store::testing::pg_url() {
        let db = lantian_store::testing::PgDb::create(&base, "it_credit");
        story(Store::open(&Location::Postgres(db.url.clone())).unwrap());
    }
}

/// Through the case module's own use cases: a manual case decided with a fine and closed
/// writes its entry once, which the public list shows from the next day; a dismissed case
/// writes none.
fn through_cases(store: Store) {
    use lantian_app::cases::{self, DecideRequest, InspectRequest, NewCaseRequest};
    use lantian_core::enforce::case::{DecisionKind, Violation};
    let app = App::new(
        Arc::new(store),
        Clock::Fixed {
            unix_ms: bj("2026-05-04", 10, 0),
        },
        Arc::new(County::xinji()),
        None,
    );
    app.store
        .upsert_enterprise(&Enterprise {
            id: "E9".into(),
            name: "某铸造有限公司".into(),
            credit_code: Some("91130181MA0000009X".into()),
            ..Enterprise::default()
        })
        .unwrap();
    let bureau = account("juzhang", Role::Bureau, None);
    let open = |title: &str| {
        cases::open_manual(
            &app,
            &bureau,
            NewCaseRequest {
                title: title.into(),
                violation: Violation::ExceedEmission,
                subject_kind: Some(SubjectKind::Enterprise),
                subject_id: Some("E9".into()),
                township: None,
                non_site: false,
                summary: "颗粒物小时浓度超标 / particulate above the limit".into(),
            },
        )
        .unwrap()
    };
    let fined = open("超标排放案");
    cases::inspect(
        &app,
        &bureau,
        fined.id,
        &InspectRequest {
            date: "2026-05-04".into(),
            inspectors: "张三、李四".into(),
            findings: "除尘器旁路开启 / the filter's bypass open".into(),
        },
    )
    .unwrap();
    cases::decide(
        &app,
        &bureau,
        fined.id,
        &DecideRequest {
            kind: DecisionKind::Fine,
            deadline: None,
            amount_yuan: Some(100_000.0),
            legal_basis: Violation::ExceedEmission
                .suggested_basis()
                .map(str::to_owned),
            transfer_to: None,
            text: "罚款十万元 / a fine of 100,000 yuan".into(),
        },
    )
    .unwrap();
    let closed = cases::close(&app, &bureau, fined.id, "已缴纳罚款 / paid").unwrap();
    assert_eq!(closed.credit_entries.len(), 1);
    // Closing again is refused by the case and writes no second entry.
    assert!(cases::close(&app, &bureau, fined.id, "again").is_err());
    assert_eq!(
        app.store.credit_entries_of_case(fined.id).unwrap(),
        closed.credit_entries
    );
    let dismissed = open("撤销案");
    cases::dismiss(
        &app,
        &bureau,
        dismissed.id,
        "证据不足 / insufficient evidence",
    )
    .unwrap();
    assert!(
        app.store
            .credit_entries_of_case(dismissed.id)
            .unwrap()
            .is_empty()
    );

    assert!(public_case_nos(&app).is_empty(), "not before publish_from");
    let next = credit::public_list(&at(&app, "2026-05-05")).unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(
        (
            next[0].case_no.as_str(),
            next[0].level,
            next[0].credit_code.as_deref()
        ),
        (
            fined.case_no.as_str(),
            Level::General,
            Some("91130181MA0000009X")
        )
    );
    assert!(
        next[0].decision_line.starts_with("罚款 100000 元"),
        "{}",
        next[0].decision_line
    );
    assert!(
        public_case_nos(&at(&app, "2027-05-05")).is_empty(),
        "after publish_until"
    );
}

#[test]
fn a_case_closed_through_the_case_module_writes_its_credit_entry_once_on_both_backends() {
    let dir = std::env::temp_dir().join(format!("lantian-it-credit-cases-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    through_cases(Store::open_data_dir(&dir).unwrap());
    if let Some(base) = lantian_store::testing::pg_url() {
        let db = lantian_store::testing::PgDb::create(&base, "it_credit_cases");
        through_cases(Store::open(&Location::Postgres(db.url.clone())).unwrap());
    }
}
