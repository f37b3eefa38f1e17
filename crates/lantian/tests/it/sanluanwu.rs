//! The 散乱污 list end to end (issue 21, docs/enforcement.md "散乱污"): townships report and act
//! on their own entries, the bureau verifies, a verified entry found again reopens, and the
//! monthly count per township returns to zero when every entry is verified and not before
//! (on SQLite and on PostgreSQL, the clock moved month by month); the command line's import
//! names each bad row and stores nothing until the file is right.

use crate::ledger::user;
use crate::{lantian, lantian_ok, stderr, stdout, temp_dir};
use lantian_app::sanluanwu::{self, Filter, Monthly, NewEntry};
use lantian_app::{Account, App, AppError, Caller, Clock, County};
use lantian_core::cst;
use lantian_core::date::{Date, Month};
use lantian_core::enforce::sanluanwu::{Action, State};
use lantian_core::org::Role;
use lantian_store::sanluanwu::Change;
use lantian_store::testing::{PgDb, not_run, pg_url};
use lantian_store::{Store, StoreError};
use std::sync::Arc;

fn who(name: &str, role: Role, unit: Option<&str>) -> Caller {
    Caller::Account(Account {
        username: name.into(),
        role,
        unit_id: unit.map(str::to_owned),
        unit_kind: None,
        source: "test".into(),
    })
}

/// 10:00 Beijing time on `date`.
fn at(app: &App, date: &str) -> App {
    let d = Date::parse(date).unwrap();
    App::new(
        app.store.clone(),
        Clock::Fixed {
            unix_ms: cst::to_unix_ms(cst::day_start(d) + 10 * cst::HOUR_S),
        },
        app.county.clone(),
        None,
    )
}

fn entry(name: &str, township: &str, found: &str) -> NewEntry {
    NewEntry {
        township: township.to_owned(),
        name: name.to_owned(),
        industry: "塑料颗粒".to_owned(),
        problem: "无环评手续，无治理设施".to_owned(),
        found_date: Some(Date::parse(found).unwrap()),
        ..NewEntry::default()
    }
}

/// `[start, found, cleared, end]` of one township (or `total`) in one month of `m`.
fn figures(m: &Monthly, month: &str, township: &str) -> [u32; 4] {
    let mv = m
        .months
        .iter()
        .find(|mv| mv.month.to_string() == month)
        .unwrap();
    let c = if township == "total" {
        &mv.total
    } else {
        &mv.townships
            .iter()
            .find(|t| t.township == township)
            .unwrap_or_else(|| panic!("{township} not in {month}"))
            .count
    };
    [c.outstanding_start, c.found, c.cleared, c.outstanding_end]
}

fn story(store: Arc<Store>) {
    let base = App::new(
        store,
        Clock::Fixed { unix_ms: 0 },
        Arc::new(County::xinji()),
        None,
    );
    let bureau = who("sthj", Role::Bureau, Some("市生态环境局"));
    let wk = who("wk", Role::Township, Some("wangkou"));
    let xc = who("xc", Role::Township, Some("xincheng"));
    let ops = who("ops", Role::Operations, None);
    let ent = who("e", Role::Enterprise, Some("AS"));

    // March: 王口镇 reports two, the bureau one in 新城镇.
    let app = at(&base, "2026-03-05");
    let a = sanluanwu::add(&app, &wk, entry("甲塑料加工点", "", "2026-03-02")).unwrap();
    let b = sanluanwu::add(&app, &wk, entry("乙铸造作坊", "王口镇", "2026-03-04")).unwrap();
    let c = sanluanwu::add(&app, &bureau, entry("丙喷涂点", "xincheng", "2026-03-05")).unwrap();
    assert_eq!(a.entry.township, "wangkou");
    assert_eq!(a.entry.state, State::Found);
    // A township reports only its own; the same name twice is a conflict; the future is refused;
    // an enterprise reports nothing.
    for (caller, e, why) in [
        (&wk, entry("丁", "xincheng", "2026-03-05"), "400"),
        (&wk, entry("甲塑料加工点", "", "2026-03-05"), "409"),
        (&wk, entry("戊洗砂点", "", "2026-03-06"), "400"),
        (&ent, entry("己", "wangkou", "2026-03-05"), "403"),
        (&ops, entry("己", "wangkou", "2026-03-05"), "403"),
    ] {
        let err = sanluanwu::add(&app, caller, e).unwrap_err();
        let got = match err {
            AppError::BadRequest(_) => "400",
            AppError::Conflict(_) => "409",
            AppError::Forbidden(_) => "403",
            _ => "other",
        };
        assert_eq!(got, why, "{err}");
    }
    // Who sees what: a township its own; operations (a government account) all; an
    // enterprise nothing.
    let ids = |c: &Caller| -> Vec<i64> {
        sanluanwu::list(&app, c, &Filter::default())
            .unwrap()
            .iter()
            .map(|e| e.entry.id)
            .collect()
    };
    assert_eq!(ids(&wk), [a.entry.id, b.entry.id]);
    assert_eq!(ids(&xc), [c.entry.id]);
    assert_eq!(ids(&ops).len(), 3);
    assert!(matches!(
        sanluanwu::list(&app, &ent, &Filter::default()),
        Err(AppError::Forbidden(_))
    ));
    assert!(matches!(
        sanluanwu::entry(&app, &xc, a.entry.id),
        Err(AppError::Forbidden(_))
    ));
    // The buttons: a township's on its own found entry, none on another's.
    assert_eq!(
        a.actions,
        [
            Action::Start,
            Action::Rectify,
            Action::Close,
            Action::Relocate
        ]
    );

    let app = at(&base, "2026-03-20");
    sanluanwu::act(&app, &wk, a.entry.id, Action::Close, "断电拆除设备").unwrap();
    sanluanwu::act(&app, &wk, b.entry.id, Action::Rectify, "").unwrap();
    // Only the bureau verifies; not twice.
    assert!(matches!(
        sanluanwu::act(&app, &wk, a.entry.id, Action::Verify, ""),
        Err(AppError::Forbidden(_))
    ));
    assert!(matches!(
        sanluanwu::act(&app, &xc, b.entry.id, Action::Start, ""),
        Err(AppError::Forbidden(_))
    ));
    sanluanwu::act(&app, &bureau, a.entry.id, Action::Verify, "现场核查").unwrap();
    assert!(matches!(
        sanluanwu::act(&app, &bureau, a.entry.id, Action::Verify, ""),
        Err(AppError::Conflict(_))
    ));
    let m =
        sanluanwu::monthly(&app, &bureau, Some(Month::parse("2026-02").unwrap()), None).unwrap();
    assert_eq!(figures(&m, "2026-02", "total"), [0, 0, 0, 0]);
    assert_eq!(figures(&m, "2026-03", "wangkou"), [0, 2, 1, 1]);
    assert_eq!(figures(&m, "2026-03", "xincheng"), [0, 1, 0, 1]);
    assert!(!m.months.last().unwrap().zero);
    assert!(m.months.last().unwrap().partial);

    // April: a rejection sends B back; C is relocated; the list is not zero until the last
    // entry is verified.
    let app = at(&base, "2026-04-10");
    assert!(matches!(
        sanluanwu::act(&app, &bureau, b.entry.id, Action::Reject, " "),
        Err(AppError::Conflict(_))
    ));
    sanluanwu::act(&app, &bureau, b.entry.id, Action::Reject, "仍有露天堆放").unwrap();
    sanluanwu::act(&app, &wk, b.entry.id, Action::Rectify, "已入棚").unwrap();
    sanluanwu::act(&app, &bureau, b.entry.id, Action::Verify, "").unwrap();
    sanluanwu::act(&app, &xc, c.entry.id, Action::Relocate, "搬入园区").unwrap();
    let m = sanluanwu::monthly(&app, &bureau, None, None).unwrap();
    assert_eq!(figures(&m, "2026-04", "wangkou"), [1, 0, 1, 0]);
    assert_eq!(figures(&m, "2026-04", "xincheng"), [1, 0, 0, 1]);
    assert!(!m.months.last().unwrap().zero);
    let app = at(&base, "2026-04-28");
    sanluanwu::act(&app, &bureau, c.entry.id, Action::Verify, "").unwrap();
    let m = sanluanwu::monthly(&app, &bureau, None, None).unwrap();
    assert_eq!(figures(&m, "2026-04", "total"), [2, 0, 2, 0]);
    assert!(m.months.last().unwrap().zero);
    // A township's count is its own.
    let mine = sanluanwu::monthly(&app, &wk, None, None).unwrap();
    let towns: Vec<&str> = mine.months[0]
        .townships
        .iter()
        .map(|t| t.township.as_str())
        .collect();
    assert_eq!(towns, ["wangkou"]);

    // May: A is found operating again: the same entry reopens and counts again.
    let app = at(&base, "2026-05-15");
    let again = sanluanwu::add(&app, &wk, entry("甲塑料加工点", "", "2026-05-14")).unwrap();
    assert_eq!(again.entry.id, a.entry.id);
    assert_eq!(again.entry.state, State::Found);
    assert_eq!(again.entry.found_date.to_string(), "2026-05-14");
    let m = sanluanwu::monthly(&app, &bureau, None, None).unwrap();
    assert_eq!(figures(&m, "2026-05", "wangkou"), [0, 1, 0, 1]);
    assert!(!m.months.last().unwrap().zero);
    // Every month's figures add up.
    for mv in &m.months {
        for c in mv.townships.iter().map(|t| &t.count).chain([&mv.total]) {
            assert_eq!(
                c.outstanding_start + c.found - c.cleared,
                c.outstanding_end,
                "{}",
                mv.month
            );
        }
    }
    let d = sanluanwu::entry(&app, &wk, a.entry.id).unwrap();
    let steps: Vec<&str> = d.events.iter().map(|e| e.event.to_state.as_str()).collect();
    assert_eq!(steps, ["found", "closed", "verified", "found"]);

    // A state change made on a stale read commits nothing.
    let stale = Change {
        id: b.entry.id,
        expected: State::Rectified,
        to: State::Verified,
        action: "verify",
        date: Date::parse("2026-05-15").unwrap(),
        at_ms: 0,
        actor: "x",
        note: "",
    };
    assert!(matches!(
        app.store.change_sanluanwu(&stale),
        Err(StoreError::Refused { .. })
    ));
    assert_eq!(app.store.sanluanwu_events(b.entry.id).unwrap().len(), 5);
}

#[test]
fn the_monthly_count_returns_to_zero_when_every_entry_is_verified_and_not_before_on_sqlite() {
    let dir = temp_dir("sanluanwu-sqlite");
    story(Arc::new(Store::open_data_dir(&dir).unwrap()));
}

#[test]
fn the_monthly_count_returns_to_zero_when_every_entry_is_verified_and_not_before_on_postgres() {
    let Some(base) = pg_url() else {
        not_run("sanluanwu on PostgreSQL (set LANTIAN_TEST_PG_URL)");
        return;
    };
    let db = PgDb::create(&base, "sanluanwu");
    story(Arc::new(
        Store::open(&lantian_store::Location::Postgres(db.url.clone())).unwrap(),
    ));
}

#[test]
fn the_import_names_each_bad_row_and_stores_nothing_until_the_file_is_right() {
    let dir = temp_dir("sanluanwu-import");
    let d = dir.to_str().unwrap();
    user(d, "wk", "township", Some("wangkou"));
    let csv = dir.join("list.csv");
    std::fs::write(
        &csv,
        "乡镇,名称,地址,行业,问题,发现日期,备注\n\
         王口镇,甲塑料加工点,王口村东,塑料,无手续,2026-01-05,\n\
         月亮镇,乙铸造作坊,,铸造,,2026-01-06,\n\
         wangkou,丙喷涂点,,喷涂,,2026-13-01,\n\
         wangkou,,,,,,\n\
         xincheng,丁洗砂点,,洗砂,,2026-01-07,\n",
    )
    .unwrap();
    let f = csv.to_str().unwrap();
    let o = lantian(&["sanluanwu", "import", "--data-dir", d, "--as", "wk", f]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    for (row, what) in [
        (3, "月亮镇"),
        (4, "2026-13-01"),
        (5, "the name needs at least 2 characters"),
        (6, "its own entries"),
    ] {
        assert!(
            err.lines()
                .any(|l| l.contains(&format!("row {row}:")) && l.contains(what)),
            "row {row} {what}: {err}"
        );
    }
    assert!(!err.contains("row 2:"), "{err}");
    let list = lantian_ok(&["sanluanwu", "list", "--data-dir", d, "--as", "wk"]);
    assert_eq!(stdout(&list), "", "nothing stored");
    std::fs::write(
        &csv,
        "乡镇,名称,地址,行业,问题,发现日期,备注\n\
         王口镇,甲塑料加工点,王口村东,塑料,无手续,2026-01-05,\n\
         wangkou,丙喷涂点,,喷涂,,2026-01-08,\n",
    )
    .unwrap();
    lantian_ok(&["sanluanwu", "import", "--data-dir", d, "--as", "wk", f]);
    let list = lantian_ok(&["sanluanwu", "list", "--data-dir", d, "--as", "wk"]);
    assert_eq!(stdout(&list).lines().count(), 2);
    // The list is not at zero: `monthly --check` says so with exit code 1.
    let o = lantian(&[
        "sanluanwu",
        "monthly",
        "--data-dir",
        d,
        "--table",
        "--check",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains("王口镇"), "{}", stdout(&o));
}
