//! Enterprise declarations (issue 22) through the use cases, on SQLite and on PostgreSQL: a
//! day of CEMS hours with an exceedance (SO2 and NOx, 08:00–09:59) and three hours without
//! any data (14:00–16:59) raises the exceedance verdicts and a missing-data alarm; a rejected
//! declaration changes nothing; an approved 停运 removes the missing-data alarm (and marks the
//! stored one declared); an approved 因子异常 for SO2 removes SO2's exceedance and leaves
//! NOx's; late declarations are flagged; nobody declares for another enterprise's outlet; a
//! township is refused; files, withdrawal, compare-and-set and the statistics.

use lantian_app::declarations::{self, ListFilter, NewDeclaration};
use lantian_app::emissions::{self, Resolution};
use lantian_app::{Account, App, AppError, Caller, Clock, County};
use lantian_core::declaration::{Act, Kind, State};
use lantian_core::integrity::Rule;
use lantian_core::org::{OutletKind, Role};
use lantian_core::{Date, cst};
use lantian_store::integrity::AlarmFilter;
use lantian_store::model::Enterprise;
use lantian_store::testing::{PgDb, pg_url};
use lantian_store::{Ingest, Limit, Location, Observation, Outlet, Period, Store};
use std::sync::Arc;

const DAY: &str = "2026-05-13";
const SO2: &str = "a21026";
const NOX: &str = "a21002";

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

/// Two enterprises with an outlet each (SO2 limit 35, NOx 50 mg/m³, no reference O2), GT-1
/// operated by `ops-co`; GT-1's hours of [`DAY`]: SO2 80 and NOx 120 at 08:00 and 09:00,
/// nothing at all 14:00–16:59, ordinary varying values otherwise.
fn register_and_feed(store: &Store) {
    for id in ["GT", "ZZ"] {
        let e = Enterprise {
            id: id.into(),
            name: format!("{id} 钢铁"),
            admin_unit_id: Some("wangkou".into()),
            ..Enterprise::default()
        };
        let o = Outlet {
            id: format!("{id}-1"),
            enterprise_id: id.into(),
            name: "烧结机头".into(),
            kind: OutletKind::Stack,
            height_m: None,
            o2_ref_pct: None,
            flow_stopped_m3_h: 0.0,
            limits: [(SO2, 35.0), (NOX, 50.0)]
                .iter()
                .map(|(c, l)| Limit {
                    code: (*c).into(),
                    limit_mg_m3: *l,
                    source: String::new(),
                })
                .collect(),
        };
        store.upsert_register(&[e], &[o], 1.0).unwrap();
    }
    store
        .set_station_contractor("GT-1", Some("ops-co"))
        .unwrap();
    let mut obs = Vec::new();
    for h in (0..24).filter(|h| !(14..17).contains(h)) {
        let high = (8..10).contains(&h);
        for (code, v) in [
            (SO2, if high { 80.0 } else { 20.0 + (h % 5) as f64 }),
            (NOX, if high { 120.0 } else { 30.0 + (h % 7) as f64 }),
            ("a19001", 12.0 + (h % 3) as f64 * 0.1),
            ("a00000", 300_000.0 + h as f64 * 1000.0),
        ] {
            obs.push(Observation {
                station_id: "GT-1".into(),
                code: code.into(),
                period: Period::Hour,
                ts: at(DAY, h),
                value: v,
                flag: "N".into(),
            });
        }
    }
    store
        .commit_batch(&[Ingest {
            packet: None,
            observations: obs,
        }])
        .unwrap();
}

/// (hour, code) → exceeds, declared, as the bureau reads GT-1's rows of [`DAY`].
fn verdicts(app: &App, caller: &Caller, hour: i64, code: &str) -> (bool, Option<Kind>) {
    let d = Date::parse(DAY).unwrap();
    let rows = emissions::outlet_rows(app, caller, "GT-1", d, d, Resolution::Hour).unwrap();
    let r = rows
        .iter()
        .find(|r| r.hour == cst::format_minute(at(DAY, hour)) && r.code == code)
        .unwrap_or_else(|| panic!("no row {hour}:00 {code}"));
    (r.exceeds, r.declared)
}

/// The CEMS missing-data alarms a scan of [`DAY`] finds now for GT-1: (first, last) hours.
fn missing_alarms(app: &App) -> Vec<(i64, i64)> {
    let cfg = lantian_app::integrity::config(app).unwrap();
    let d = Date::parse(DAY).unwrap();
    lantian_app::integrity::find_alarms(app, &cfg, Vec::new(), d, 1)
        .unwrap()
        .into_iter()
        .filter(|a| a.station_id == "GT-1" && a.rule == Rule::CemsMissing)
        .map(|a| {
            (
                (a.first_ts - at(DAY, 0)) / 3600,
                (a.last_ts - at(DAY, 0)) / 3600,
            )
        })
        .collect()
}

/// A 403 whose reason is Chinese and English.
fn refused<T: std::fmt::Debug>(r: Result<T, AppError>, who: &str) {
    match r {
        Err(AppError::Forbidden(why)) => assert!(why.contains(" / "), "{who}: {why}"),
        other => panic!("{who}: expected 403, got {other:?}"),
    }
}

fn new(
    outlet: &str,
    kind: Kind,
    start: &str,
    end: &str,
    codes: &[&str],
    reason: &str,
) -> NewDeclaration {
    NewDeclaration {
        outlets: vec![outlet.into()],
        kind,
        start: start.into(),
        end: end.into(),
        codes: codes.iter().map(|c| (*c).to_owned()).collect(),
        reason: reason.into(),
    }
}

fn story(store: Store, data_dir: std::path::PathBuf) {
    // Now: 2026-05-20 10:00 Beijing time, a week after the day of data.
    let app = App::new(
        Arc::new(store),
        Clock::Fixed {
            unix_ms: cst::to_unix_ms(at("2026-05-20", 10)),
        },
        Arc::new(County::xinji()),
        Some(data_dir),
    );
    County::xinji().install(&app.store, 0).unwrap();
    register_and_feed(&app.store);
    let bureau = account("bureau1", Role::Bureau, None);
    let gt = account("gt1", Role::Enterprise, Some("GT"));
    let zz = account("zz1", Role::Enterprise, Some("ZZ"));
    let ops = account("ops1", Role::Operations, Some("ops-co"));
    let other_ops = account("ops2", Role::Operations, Some("other-co"));
    let wk = account("wk", Role::Township, Some("wangkou"));

    // --- Before any declaration: the verdicts and the alarm are there. ---
    for code in [SO2, NOX] {
        assert_eq!(verdicts(&app, &bureau, 8, code), (true, None), "{code}");
        assert_eq!(verdicts(&app, &bureau, 10, code), (false, None), "{code}");
    }
    assert_eq!(missing_alarms(&app), vec![(14, 16)]);
    let d = Date::parse(DAY).unwrap();
    lantian_app::integrity::scan(&app, &bureau, d, d).unwrap();
    let stored = app
        .store
        .alarms(&AlarmFilter {
            station_id: Some("GT-1".into()),
            rule: Some(Rule::CemsMissing),
            ..AlarmFilter::default()
        })
        .unwrap();
    assert_eq!(stored.len(), 1, "the scan stored the missing-data alarm");

    // --- Who may declare. ---
    let maintenance = || {
        new(
            "GT-1",
            Kind::Maintenance,
            "2026-05-21 08:00",
            "2026-05-21 12:00",
            &[],
            "脱硫塔例行检修",
        )
    };
    refused(
        declarations::declare(&app, &zz, maintenance()),
        "another enterprise",
    );
    refused(
        declarations::declare(
            &app,
            &gt,
            new(
                "ZZ-1",
                Kind::Stopped,
                "2026-05-21 08:00",
                "2026-05-21 09:00",
                &[],
                "锅炉故障停运",
            ),
        ),
        "an enterprise for another's outlet",
    );
    refused(
        declarations::declare(&app, &other_ops, maintenance()),
        "operations of another contractor",
    );
    refused(
        declarations::declare(&app, &bureau, maintenance()),
        "the bureau",
    );
    refused(
        declarations::declare(&app, &wk, maintenance()),
        "a township",
    );
    refused(
        declarations::list(&app, &wk, &ListFilter::default()),
        "a township listing",
    );
    assert!(matches!(
        declarations::list(&app, &Caller::Public, &ListFilter::default()),
        Err(AppError::Unauthorized)
    ));
    // Bad input: specific refusals, nothing stored.
    for (n, want) in [
        (
            new(
                "GT-1",
                Kind::Maintenance,
                "2026-05-21 8点",
                "2026-05-21 12:00",
                &[],
                "例行检修",
            ),
            "Beijing time",
        ),
        (
            new(
                "GT-1",
                Kind::Maintenance,
                "2026-05-21 12:00",
                "2026-05-21 08:00",
                &[],
                "例行检修",
            ),
            "end must be after",
        ),
        (
            new(
                "GT-1",
                Kind::FactorAbnormal,
                "2026-05-21 08:00",
                "2026-05-21 12:00",
                &[],
                "分析仪故障",
            ),
            "names its factors",
        ),
        (
            new(
                "NOPE-1",
                Kind::Maintenance,
                "2026-05-21 08:00",
                "2026-05-21 12:00",
                &[],
                "例行检修",
            ),
            "not registered",
        ),
    ] {
        match declarations::declare(&app, &gt, n) {
            Err(AppError::BadRequest(m) | AppError::NotFound(m)) => {
                assert!(m.contains(want), "{m}")
            }
            other => panic!("{want}: {other:?}"),
        }
    }
    assert!(
        declarations::list(&app, &bureau, &ListFilter::default())
            .unwrap()
            .is_empty()
    );

    // --- In time and late. ---
    let timely = declarations::declare(&app, &gt, maintenance()).unwrap();
    assert_eq!(
        (timely.state, timely.late, timely.hours),
        (State::Pending, false, 4)
    );
    assert_eq!(timely.acts, vec![Act::Withdraw]);
    // The same form sent again is refused naming the first; its contractor's neither.
    for who in [&gt, &ops] {
        match declarations::declare(&app, who, maintenance()) {
            Err(AppError::Conflict(m)) => {
                assert!(m.contains(&format!("申报 {}", timely.id)), "{m}")
            }
            other => panic!("a second identical declaration: {other:?}"),
        }
    }
    let begun = declarations::declare(
        &app,
        &ops,
        new(
            "GT-1",
            Kind::Maintenance,
            "2026-05-20 09:00",
            "2026-05-20 18:00",
            &[],
            "引风机检修（运维代报）",
        ),
    )
    .unwrap();
    assert_eq!(
        (begun.late, begun.late_hours),
        (true, Some(1)),
        "planned: before the start"
    );
    let stop = declarations::declare(
        &app,
        &gt,
        new(
            "GT-1",
            Kind::Stopped,
            "2026-05-13 14:00",
            "2026-05-13 17:00",
            &[],
            "电网故障全厂停运",
        ),
    )
    .unwrap();
    assert!(
        stop.late && stop.late_hours == Some(164),
        "a week after: {:?}",
        stop.late_hours
    );
    // A declaration pending changes nothing.
    assert_eq!(missing_alarms(&app), vec![(14, 16)]);

    // --- Files: PDF, JPEG or PNG by content, on a pending declaration. ---
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    let with_file = declarations::add_file(&app, &gt, stop.id, "停电证明.png", png).unwrap();
    assert_eq!(with_file.files.len(), 1);
    assert_eq!(with_file.files[0].name, "停电证明.png");
    assert!(matches!(
        declarations::add_file(&app, &gt, stop.id, "x.exe", b"MZ\x90\0"),
        Err(AppError::BadRequest(_))
    ));
    // Another enterprise or contractor does not see it at all; a township is refused.
    assert!(matches!(
        declarations::add_file(&app, &zz, stop.id, "x.png", png),
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        declarations::add_file(&app, &other_ops, stop.id, "x.png", png),
        Err(AppError::NotFound(_))
    ));
    refused(
        declarations::add_file(&app, &wk, stop.id, "x.png", png),
        "a township's file",
    );
    let (bytes, mime) =
        declarations::file(&app, &bureau, stop.id, &with_file.files[0].file).unwrap();
    assert_eq!((bytes.as_slice(), mime), (&png[..], "image/png"));

    // --- Rejected: changes nothing. ---
    let cover_exceedance = declarations::declare(
        &app,
        &gt,
        new(
            "GT-1",
            Kind::Maintenance,
            "2026-05-13 08:00",
            "2026-05-13 10:00",
            &[],
            "临时检修",
        ),
    )
    .unwrap();
    assert!(
        matches!(
            declarations::act(&app, &bureau, cover_exceedance.id, Act::Reject, ""),
            Err(AppError::BadRequest(_))
        ),
        "a rejection needs a reason"
    );
    refused(
        declarations::act(&app, &gt, cover_exceedance.id, Act::Approve, "").map(drop),
        "an enterprise approving",
    );
    let rejected = declarations::act(
        &app,
        &bureau,
        cover_exceedance.id,
        Act::Reject,
        "无检修记录，不予认可",
    )
    .unwrap();
    assert_eq!(
        (rejected.state, rejected.review_note.as_str()),
        (State::Rejected, "无检修记录，不予认可")
    );
    for code in [SO2, NOX] {
        assert_eq!(
            verdicts(&app, &bureau, 8, code),
            (true, None),
            "rejected: {code}"
        );
    }
    assert!(
        matches!(
            declarations::act(&app, &bureau, cover_exceedance.id, Act::Approve, ""),
            Err(AppError::Conflict(_))
        ),
        "a rejected declaration is final"
    );

    // --- Approved 停运: the missing-data alarm goes, the stored one shows as declared. ---
    let approved = declarations::act(&app, &bureau, stop.id, Act::Approve, "").unwrap();
    assert_eq!(
        (approved.state, approved.reviewed_by.as_deref()),
        (State::Approved, Some("bureau1"))
    );
    assert_eq!(missing_alarms(&app), Vec::<(i64, i64)>::new());
    let views = lantian_app::integrity::alarms(
        &app,
        &bureau,
        &AlarmFilter {
            station_id: Some("GT-1".into()),
            rule: Some(Rule::CemsMissing),
            ..AlarmFilter::default()
        },
        false,
    )
    .unwrap();
    assert_eq!(
        views.iter().map(|v| v.declared).collect::<Vec<_>>(),
        vec![Some(Kind::Stopped)]
    );

    // --- Approved 因子异常 for SO2: SO2's exceedance goes, NOx's stays. ---
    let so2 = declarations::declare(
        &app,
        &ops,
        new(
            "GT-1",
            Kind::FactorAbnormal,
            "2026-05-13 08:00",
            "2026-05-13 10:00",
            &[SO2],
            "SO2 分析仪漂移",
        ),
    )
    .unwrap();
    declarations::act(&app, &bureau, so2.id, Act::Approve, "").unwrap();
    assert_eq!(
        verdicts(&app, &bureau, 8, SO2),
        (false, Some(Kind::FactorAbnormal))
    );
    assert_eq!(
        verdicts(&app, &bureau, 9, SO2),
        (false, Some(Kind::FactorAbnormal))
    );
    assert_eq!(verdicts(&app, &bureau, 8, NOX), (true, None));
    assert_eq!(verdicts(&app, &bureau, 10, SO2), (false, None));
    // The enterprise sees its declared hours; a township sees the verdict withheld, not why.
    assert_eq!(
        verdicts(&app, &gt, 8, SO2),
        (false, Some(Kind::FactorAbnormal))
    );
    assert_eq!(verdicts(&app, &wk, 8, SO2), (false, None));
    let hours: Vec<(String, Kind)> = declarations::declared_hours(&app, &gt, "GT-1", d, d)
        .unwrap()
        .into_iter()
        .map(|h| (h.hour[11..16].to_owned(), h.kind))
        .collect();
    let want: Vec<(String, Kind)> = [
        ("08:00", Kind::FactorAbnormal),
        ("09:00", Kind::FactorAbnormal),
        ("14:00", Kind::Stopped),
        ("15:00", Kind::Stopped),
        ("16:00", Kind::Stopped),
    ]
    .iter()
    .map(|(h, k)| ((*h).to_owned(), *k))
    .collect();
    assert_eq!(hours, want);
    let day = emissions::day_status(&app, &bureau, d).unwrap();
    let gt_day = day.iter().find(|s| s.enterprise == "GT").unwrap();
    assert_eq!(
        (gt_day.exceedance_hours, gt_day.declared_hours),
        (2, 2),
        "NOx still over at 08 and 09"
    );

    // --- Withdrawal while pending, then final; compare-and-set. ---
    assert!(matches!(
        declarations::act(&app, &zz, timely.id, Act::Withdraw, ""),
        Err(AppError::NotFound(_))
    ));
    let w = declarations::act(&app, &gt, timely.id, Act::Withdraw, "计划取消").unwrap();
    assert_eq!(w.state, State::Withdrawn);
    assert!(matches!(
        declarations::act(&app, &bureau, timely.id, Act::Approve, ""),
        Err(AppError::Conflict(_))
    ));
    assert!(matches!(
        declarations::add_file(&app, &gt, timely.id, "x.png", png),
        Err(AppError::Conflict(_))
    ));

    // --- Who sees which. ---
    let ids = |c: &Caller| -> Vec<i64> {
        declarations::list(&app, c, &ListFilter::default())
            .unwrap()
            .iter()
            .map(|d| d.id)
            .collect()
    };
    assert_eq!(ids(&bureau).len(), 5);
    assert_eq!(ids(&gt).len(), 5);
    assert!(ids(&zz).is_empty());
    assert_eq!(ids(&ops).len(), 5, "ops-co operates GT-1");
    assert!(ids(&other_ops).is_empty());
    assert!(matches!(
        declarations::one(&app, &zz, stop.id),
        Err(AppError::NotFound(_))
    ));
    let one = declarations::one(&app, &bureau, stop.id).unwrap();
    let steps: Vec<&str> = one.events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(steps, vec!["declare", "file", "approve"]);
    let pending = declarations::list(
        &app,
        &bureau,
        &ListFilter {
            state: Some(State::Pending),
            ..ListFilter::default()
        },
    )
    .unwrap();
    assert_eq!(
        pending.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![begun.id]
    );

    // --- Statistics (the bureau). ---
    refused(
        declarations::stats(&app, &gt, d, d),
        "an enterprise's statistics",
    );
    let st = declarations::stats(
        &app,
        &bureau,
        Date::parse("2026-05-01").unwrap(),
        Date::parse("2026-05-31").unwrap(),
    )
    .unwrap();
    assert_eq!(st.len(), 1);
    let s = &st[0].stats;
    assert_eq!(st[0].enterprise_name, "GT 钢铁");
    // Declared (not withdrawn): begun (pending, late), stop (approved, late), the rejected
    // one (late), SO2 (approved, late).
    assert_eq!(
        (
            s.declarations,
            s.pending,
            s.approved,
            s.rejected,
            s.withdrawn,
            s.late
        ),
        (4, 1, 2, 1, 1, 4)
    );
    assert_eq!(s.by_kind.get(&Kind::Maintenance), Some(&2));
    assert_eq!(
        (s.outlet_hours_declared, s.outlet_hours_approved),
        (9 + 3 + 2 + 2, 3 + 2)
    );
    assert_eq!(s.approved_share, Some(2.0 / 3.0));
    assert_eq!(s.late_share, Some(1.0));

    // Every change audited, refusals too.
    let audit = app.store.audit_events(1000).unwrap();
    for action in [
        "declaration.declare",
        "declaration.approve",
        "declaration.reject",
        "declaration.withdraw",
        "declaration.file",
        "denied.declaration.declare",
    ] {
        assert!(audit.iter().any(|e| e.action == action), "{action} audited");
    }
}

#[test]
fn declarations_remove_the_alarms_of_their_hours_only_when_approved_on_sqlite() {
    let dir = super::temp_dir("declarations-sqlite");
    story(Store::open_data_dir(&dir).unwrap(), dir);
}

#[test]
fn declarations_remove_the_alarms_of_their_hours_only_when_approved_on_postgres() {
    let Some(base) = pg_url() else {
        return;
    };
    let db = PgDb::create(&base, "it_declarations");
    let dir = super::temp_dir("declarations-pg");
    story(
        Store::open(&Location::Postgres(db.url.clone())).unwrap(),
        dir,
    );
}

/// The command line over the same use cases: an enterprise declares with a file, the bureau
/// approves, the hours and the statistics print; a township is refused with the reason; the
/// bureau changes the late rule's grace and a declaration is judged by it.
#[test]
fn the_command_line_declares_reviews_and_counts() {
    use super::{json_lines, lantian, lantian_ok, stderr, stdout};
    let dir = super::temp_dir("declarations-cli");
    let d = dir.to_str().unwrap();
    {
        let store = Store::open_data_dir(&dir).unwrap();
        County::xinji().install(&store, 0).unwrap();
        register_and_feed(&store);
        super::alarms_live::add_users(
            &store,
            &[
                ("gt1", Role::Enterprise, Some("GT")),
                ("bureau1", Role::Bureau, None),
                ("wk", Role::Township, Some("wangkou")),
            ],
        );
    }
    let pdf = dir.join("检修计划.pdf");
    std::fs::write(&pdf, b"%PDF-1.4\n%%EOF\n").unwrap();
    let declare = |who: &str| {
        lantian(&[
            "declaration",
            "declare",
            "--data-dir",
            d,
            "--as",
            who,
            "--outlet",
            "GT-1",
            "--kind",
            "factor_abnormal",
            "--code",
            SO2,
            "--start",
            "2026-05-13 08:00",
            "--end",
            "2026-05-13 10:00",
            "--reason",
            "SO2 分析仪漂移",
            "--file",
            pdf.to_str().unwrap(),
        ])
    };
    let refused = declare("wk");
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("forbidden") || stderr(&refused).contains("申报"),
        "{}",
        stderr(&refused)
    );
    let made = json_lines(&lantian_ok_output(declare("gt1")));
    let id = made[0]["id"].as_i64().unwrap();
    assert_eq!(made[0]["files"][0]["name"], "检修计划.pdf");
    assert_eq!(made[0]["late"], true, "declared now, long after 2026-05-13");
    let id_s = id.to_string();
    lantian_ok(&[
        "declaration",
        "act",
        "--data-dir",
        d,
        "--as",
        "bureau1",
        &id_s,
        "approve",
    ]);
    let hours = json_lines(&lantian_ok(&[
        "declaration",
        "hours",
        "--data-dir",
        d,
        "--as",
        "gt1",
        "GT-1",
        "--from",
        DAY,
        "--to",
        DAY,
    ]));
    let hs: Vec<&str> = hours.iter().map(|h| h["hour"].as_str().unwrap()).collect();
    assert_eq!(hs, vec!["2026-05-13 08:00", "2026-05-13 09:00"]);
    let table = stdout(&lantian_ok(&[
        "declaration",
        "stats",
        "--data-dir",
        d,
        "--as",
        "bureau1",
        "--from",
        "2026-05-01",
        "--to",
        "2026-05-31",
        "--table",
    ]));
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("GT 钢铁\t1\t0\t1\t0\t1\t2\t100%\t100%")),
        "{table}"
    );
    // The late rule is configurable: a 检修 declared 2 h after its start is late by default,
    // not with a 3-hour grace; a township may not change it, a bad value is refused.
    let cfg = |who: &str, set: &str| {
        lantian(&[
            "declaration",
            "config",
            "--data-dir",
            d,
            "--as",
            who,
            "--set",
            set,
        ])
    };
    assert!(
        !cfg("wk", r#"{"grace_hours": {"maintenance": 3}}"#)
            .status
            .success()
    );
    let bad = cfg("bureau1", r#"{"grace_hours": {"maintenance": -3}}"#);
    assert!(
        !bad.status.success() && stderr(&bad).contains("0-720"),
        "{}",
        stderr(&bad)
    );
    // The clock is the system's: two hours ago, in Beijing time.
    let two_hours_ago =
        cst::format_minute(cst::from_unix_ms(super::alarms_live::now_ms()) - 2 * cst::HOUR_S);
    let late = |start: &str| -> bool {
        let o = lantian(&[
            "declaration",
            "declare",
            "--data-dir",
            d,
            "--as",
            "gt1",
            "--outlet",
            "GT-1",
            "--kind",
            "maintenance",
            "--start",
            start,
            "--end",
            &cst::format_minute(cst::parse_minute(start).unwrap() + 3 * cst::HOUR_S),
            "--reason",
            "脱硫塔检修",
        ]);
        json_lines(&lantian_ok_output(o))[0]["late"]
            .as_bool()
            .unwrap()
    };
    assert!(
        late(&two_hours_ago),
        "late by default: 检修 is declared before its start"
    );
    let set = json_lines(&lantian_ok_output(cfg(
        "bureau1",
        r#"{"grace_hours": {"maintenance": 3}}"#,
    )));
    assert_eq!(set[0]["grace_hours"]["maintenance"], 3);
    assert_eq!(
        set[0]["grace_hours"]["stopped"], 12,
        "the others keep their defaults"
    );
    // A minute earlier (the same declaration twice is refused).
    let two_hours_one_ago =
        cst::format_minute(cst::parse_minute(&two_hours_ago).unwrap() - cst::MINUTE_S);
    assert!(!late(&two_hours_one_ago), "within a 3-hour grace");
}

fn lantian_ok_output(o: std::process::Output) -> std::process::Output {
    assert!(o.status.success(), "{}", super::stderr(&o));
    o
}
