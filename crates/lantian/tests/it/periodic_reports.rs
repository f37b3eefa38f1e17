//! The periodic reports (日报, 周报, 月报; issue 17) on Xinji's units with two city stations and
//! two township stations whose hours are generated here: the month's, the week's and the
//! day's figures, 同比 and 环比, the day counts, the units' ranking (every town, township
//! and the zone listed) and the township's stations equal an independent computation from
//! the same hours; who may read which report; the files made on a schedule once per
//! period (SQLite and PostgreSQL keep the same bytes); the workbook read back by
//! LibreOffice and the PDF rendered to PNG by pdftoppm into test-artifacts/.

use super::township_report::libreoffice_sheets;
use super::*;
use lantian_app::data::Scope;
use lantian_app::periodic_report::{self, Kind, Period, PeriodicReport};
use lantian_app::report_schedule::{self, ScheduleInput};
use lantian_app::{Account, App, AppError, Caller, Clock, County};
use lantian_core::aqi::{AqiOptions, DailyInputs, daily};
use lantian_core::decimal::round_half_even;
use lantian_core::org::Role;
use lantian_core::pollutant::Pollutant;
use lantian_core::rules::RuleChoice;
use lantian_core::series::StationRole;
use lantian_core::{Date, cst};
use lantian_store::report_files::{NewReportFile, ReportSchedule};
use lantian_store::{Ingest, Location, Observation, Period as ObsPeriod, Station, Store, View};
use std::sync::Arc;

/// The stations: id, role, unit, and a level that scales every pollutant.
const STATIONS: [(&str, StationRole, &str, f64); 4] = [
    ("CITY-1", StationRole::Assessment, "", 1.0),
    ("CITY-2", StationRole::Assessment, "", 1.3),
    ("T-WK", StationRole::Township, "wangkou", 1.6),
    ("T-XC", StationRole::Township, "xincheng", 0.8),
];
/// Base concentrations in `Pollutant::ALL` order: SO2, NO2, PM10, CO (mg/m³), O3, PM2.5.
const BASE: [f64; 6] = [9.0, 30.0, 80.0, 0.8, 90.0, 45.0];
/// Days with hours: two months a year before, and September to 20 November this year.
const SPANS: [(&str, &str); 2] = [("2025-10-01", "2025-11-30"), ("2026-09-01", "2026-11-20")];
/// A day is valid with 20 hourly values (GB 3095 Table 4).
const DAY_HOURS_MIN: usize = 20;

fn d(t: &str) -> Date {
    Date::parse(t).unwrap()
}

/// How dirty a day is: the 15th of each month five times the usual, the 3rd a third.
fn day_factor(day: Date) -> f64 {
    match day.day() {
        15 => 5.0,
        3 => 0.35,
        n => 1.0 + 0.25 * f64::from(n % 7) / 7.0,
    }
}

/// The hours a station sent on a day: the city stations lose 5 and 6 October 2026 whole;
/// the township stations lose 5 hours (not valid) every 9th day.
fn hours_sent(s: usize, day: Date) -> Vec<u32> {
    if !SPANS.iter().any(|(a, b)| (d(a)..=d(b)).contains(&day)) {
        return Vec::new();
    }
    if s < 2 && day.year() == 2026 && day.month() == 10 && (5..=6).contains(&day.day()) {
        return Vec::new();
    }
    if s >= 2 && day.days_since_epoch() % 9 == 0 {
        return (5..24).collect();
    }
    (0..24).collect()
}

/// One station-hour's value, one decimal; O3 is constant over a day (its MDA8 and maximum
/// are then the value itself), the others follow a daily cycle.
fn value(s: usize, day: Date, hour: u32, p: Pollutant) -> f64 {
    let cycle = if p == Pollutant::O3 {
        1.0
    } else {
        1.0 + 0.3 * (f64::from(hour) / 24.0 * std::f64::consts::TAU).sin()
    };
    let v = BASE[p.index()] * STATIONS[s].3 * day_factor(day) * cycle;
    if p == Pollutant::Co {
        (v * 100.0).round() / 100.0
    } else {
        (v * 10.0).round() / 10.0
    }
}

fn days(first: Date, last: Date) -> impl Iterator<Item = Date> {
    (0..=last.days_since_epoch() - first.days_since_epoch()).map(move |i| first.add_days(i))
}

/// An O3 8-h window needs 6 hours; the day's MDA8, 14 of its 17 windows (HJ 663).
const WINDOW_HOURS_MIN: usize = 6;
const MDA8_WINDOWS_MIN: usize = 14;

/// A station's daily values, each `None` when not valid: 20 hours for a daily mean; for
/// O3's MDA8 14 windows (ending at hours 7 … 23) of 6 hours (O3 being constant over the
/// day, the MDA8 is the value).
fn station_day(s: usize, day: Date) -> [Option<f64>; 6] {
    let hours = hours_sent(s, day);
    let windows = (7..24u32)
        .filter(|end| {
            hours
                .iter()
                .filter(|h| **h + 7 >= *end && **h <= *end)
                .count()
                >= WINDOW_HOURS_MIN
        })
        .count();
    Pollutant::ALL.map(|p| {
        let valid = if p == Pollutant::O3 {
            windows >= MDA8_WINDOWS_MIN
        } else {
            hours.len() >= DAY_HOURS_MIN
        };
        valid.then(|| hours.iter().map(|h| value(s, day, *h, p)).sum::<f64>() / hours.len() as f64)
    })
}

/// A scope's daily values: per pollutant, the mean of its stations' valid values.
fn scope_day(stations: &[usize], day: Date) -> [Option<f64>; 6] {
    let got: Vec<[Option<f64>; 6]> = stations.iter().map(|s| station_day(*s, day)).collect();
    std::array::from_fn(|k| {
        let v: Vec<f64> = got.iter().filter_map(|x| x[k]).collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    })
}

/// What the report states for a scope and a span, computed here: the PM2.5, PM10, SO2 and
/// NO2 means (integers), valid, good and heavy days, the good-day ratio.
#[derive(Debug, PartialEq)]
struct Want {
    means: [Option<f64>; 4],
    valid: u32,
    good: u32,
    heavy: u32,
    ratio: Option<f64>,
}

fn want(stations: &[usize], first: Date, last: Date) -> Want {
    let vals: Vec<(Date, [Option<f64>; 6])> = days(first, last)
        .map(|day| (day, scope_day(stations, day)))
        .collect();
    let mean = |p: Pollutant| {
        let v: Vec<f64> = vals.iter().filter_map(|(_, v)| v[p.index()]).collect();
        (!v.is_empty()).then(|| round_half_even(v.iter().sum::<f64>() / v.len() as f64, 0))
    };
    // The daily AQI of the values found valid here, by the rules of HJ 633 (a day missing a
    // pollutant has an AQI under HJ 633-2026 only above 100: the library's rule).
    let aqis: Vec<u16> = vals
        .iter()
        .filter_map(|(day, v)| {
            daily(
                &AqiOptions::for_date(*day, RuleChoice::Auto),
                &DailyInputs {
                    day: *v,
                    o3_max_1h: v[Pollutant::O3.index()],
                },
            )
            .aqi
        })
        .collect();
    let valid = aqis.len() as u32;
    let good = aqis.iter().filter(|a| **a <= 100).count() as u32;
    Want {
        means: [
            mean(Pollutant::Pm25),
            mean(Pollutant::Pm10),
            mean(Pollutant::So2),
            mean(Pollutant::No2),
        ],
        valid,
        good,
        heavy: aqis.iter().filter(|a| **a > 200).count() as u32,
        ratio: (valid > 0).then(|| round_half_even(f64::from(good) / f64::from(valid) * 100.0, 1)),
    }
}

fn got(f: &periodic_report::Figures) -> Want {
    Want {
        means: [f.pm25, f.pm10, f.so2, f.no2],
        valid: f.valid_days,
        good: f.good_days,
        heavy: f.heavy_days,
        ratio: f.good_day_ratio,
    }
}

/// The stations and their hours in `store`.
pub(super) fn fill(store: &Store) {
    County::xinji().install(store, 0).unwrap();
    let mut obs = Vec::new();
    for (i, (id, role, unit, _)) in STATIONS.iter().enumerate() {
        store
            .upsert_station(&Station {
                id: (*id).into(),
                name: format!("{id}站"),
                role: *role,
                admin_unit_id: (!unit.is_empty()).then(|| (*unit).into()),
                lat: Some(37.9 + i as f64 * 0.02),
                lon: Some(115.2 + i as f64 * 0.02),
                pollutants: Pollutant::ALL
                    .iter()
                    .map(|p| p.hj212_code().into())
                    .collect(),
                min_interval_min: 1,
                demo: false,
            })
            .unwrap();
        for (a, b) in SPANS {
            for day in days(d(a), d(b)) {
                for h in hours_sent(i, day) {
                    for p in Pollutant::ALL {
                        obs.push(Observation {
                            station_id: (*id).into(),
                            code: p.hj212_code().into(),
                            period: ObsPeriod::Hour,
                            ts: cst::start_of(day, h),
                            value: value(i, day, h, p),
                            flag: "N".into(),
                        });
                    }
                }
            }
        }
    }
    store
        .commit_batch(&[Ingest {
            packet: None,
            observations: obs,
        }])
        .unwrap();
}

fn account(name: &str, role: Role, unit: Option<&str>) -> Caller {
    Caller::Account(Account {
        username: name.into(),
        role,
        unit_id: unit.map(str::to_owned),
        unit_kind: None,
        source: "test".into(),
    })
}

/// The app at a Beijing date and hour.
fn app_at(store: Arc<Store>, day: &str, hour: i64) -> App {
    let at = cst::day_start(d(day)) + hour * cst::HOUR_S;
    App::new(
        store,
        Clock::Fixed {
            unix_ms: cst::to_unix_ms(at),
        },
        Arc::new(County::xinji()),
        None,
    )
}

fn report(app: &App, who: &Caller, kind: Kind, scope: &str, period: &str) -> PeriodicReport {
    periodic_report::report(
        app,
        who,
        &Scope::parse(scope).unwrap(),
        Period::parse(kind, period).unwrap(),
        View::Audited,
    )
    .unwrap_or_else(|e| panic!("{kind:?} {scope} {period}: {e}"))
}

#[test]
fn the_reports_figures_equal_an_independent_computation_from_the_same_hours() {
    let dir = temp_dir("periodic-reports");
    let store = Arc::new(Store::open_data_dir(&dir).unwrap());
    fill(&store);
    let app = app_at(store.clone(), "2026-11-21", 10);
    let bureau = account("bureau1", Role::Bureau, None);
    let city = [0, 1];

    // The 月报 of October 2026: the month, September (环比), October 2025 (同比).
    let r = report(&app, &bureau, Kind::Monthly, "city", "2026-10");
    let now = want(&city, d("2026-10-01"), d("2026-10-31"));
    assert_eq!(got(&r.figures), now, "October 2026");
    assert_eq!(now.valid, 29, "two days lost at both city stations");
    assert!(now.heavy >= 1 && now.good < now.valid, "{now:?}");
    let prev = want(&city, d("2026-09-01"), d("2026-09-30"));
    let before = want(&city, d("2025-10-01"), d("2025-10-31"));
    assert_eq!(got(&r.changes.previous), prev);
    assert_eq!(got(&r.changes.year_before), before);
    let change = |a: Option<f64>, b: Option<f64>| {
        round_half_even((a.unwrap() - b.unwrap()) / b.unwrap() * 100.0, 1)
    };
    assert_eq!(
        r.changes.pm25_mom_pct,
        Some(change(now.means[0], prev.means[0]))
    );
    assert_eq!(
        r.changes.pm25_yoy_pct,
        Some(change(now.means[0], before.means[0]))
    );
    assert_eq!(
        r.changes.good_day_ratio_yoy_pp,
        Some(round_half_even(
            now.ratio.unwrap() - before.ratio.unwrap(),
            1
        ))
    );
    // The year to date has data from September only; last year's from October.
    assert_eq!(
        got(&r.year_to_date),
        want(&city, d("2026-01-01"), d("2026-10-31"))
    );
    assert_eq!(
        got(&r.year_to_date_last_year),
        want(&city, d("2025-01-01"), d("2025-10-31"))
    );
    assert_eq!(r.days.len(), 31);
    assert!(!r.partial);
    assert_eq!(r.issuer_zh, County::xinji().profile.bureau);
    assert!(r.issued_zh.ends_with("（北京时间）"), "{}", r.issued_zh);
    assert!(
        r.title_zh.contains("月报") && r.title_zh.contains("2026年10月"),
        "{}",
        r.title_zh
    );
    // Every town, township and the zone listed; the two with a station ranked by their
    // composite index, the others last with the reason.
    let units: Vec<_> = store
        .admin_units()
        .unwrap()
        .into_iter()
        .filter(|u| u.kind.is_township_level())
        .collect();
    assert_eq!(r.units.len(), units.len());
    assert!(units.iter().all(|u| r.units.iter().any(|x| x.id == u.id)));
    let ranked: Vec<_> = r.units.iter().filter(|u| u.rank.is_some()).collect();
    assert_eq!(
        ranked.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(),
        ["xincheng", "wangkou"]
    );
    assert_eq!(
        ranked.iter().map(|u| u.rank).collect::<Vec<_>>(),
        [Some(1), Some(2)]
    );
    assert!(
        r.units
            .iter()
            .filter(|u| u.rank.is_none())
            .all(|u| u.stations == 0 && u.note_zh == Some("无监测站点，不参与排名"))
    );
    for (unit, s) in [("wangkou", 2), ("xincheng", 3)] {
        let row = r.units.iter().find(|u| u.id == unit).unwrap();
        assert_eq!(
            got(&row.figures),
            want(&[s], d("2026-10-01"), d("2026-10-31")),
            "{unit}"
        );
    }

    // The 周报 of the week holding 11 November 2026 (Monday 9th to Sunday 15th).
    let w = report(&app, &bureau, Kind::Weekly, "city", "2026-11-11");
    assert_eq!(
        (w.first.as_str(), w.last.as_str()),
        ("2026-11-09", "2026-11-15")
    );
    assert_eq!(
        w.days
            .iter()
            .map(|x| x.row.start.as_str())
            .collect::<Vec<_>>(),
        days(d("2026-11-09"), d("2026-11-15"))
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        got(&w.figures),
        want(&city, d("2026-11-09"), d("2026-11-15"))
    );
    assert_eq!(
        got(&w.changes.previous),
        want(&city, d("2026-11-02"), d("2026-11-08"))
    );
    assert_eq!(
        got(&w.changes.year_before),
        want(&city, d("2025-11-10"), d("2025-11-16")),
        "52 weeks earlier: the same weekdays"
    );

    // The 日报 of 15 November 2026 (the dirty day) and its 24 hours.
    let day = report(&app, &bureau, Kind::Daily, "city", "2026-11-15");
    let v = scope_day(&city, d("2026-11-15"));
    assert_eq!(
        day.figures.pm25,
        v[Pollutant::Pm25.index()].map(|x| round_half_even(x, 0))
    );
    assert_eq!(day.hours.len(), 24);
    assert_eq!(day.days.len(), 1);
    assert_eq!(day.figures.aqi, day.days[0].row.aqi);
    let aqi = daily(
        &AqiOptions::for_date(d("2026-11-15"), RuleChoice::Auto),
        &DailyInputs {
            day: v,
            o3_max_1h: v[Pollutant::O3.index()],
        },
    );
    assert_eq!(day.figures.aqi, aqi.aqi);
    assert!(day.figures.aqi.unwrap() > 200, "a heavily polluted day");
    assert!(
        day.summary_zh
            .contains(&format!("空气质量指数（AQI）为 {}", aqi.aqi.unwrap())),
        "{}",
        day.summary_zh
    );

    // A township's 月报: its station, against its own month a year before.
    let wk = account("wk", Role::Township, Some("wangkou"));
    let t = report(&app, &wk, Kind::Monthly, "unit:wangkou", "2026-10");
    assert_eq!(
        got(&t.figures),
        want(&[2], d("2026-10-01"), d("2026-10-31"))
    );
    assert_eq!(t.units.len(), 1);
    assert_eq!(t.units[0].id, "T-WK");
    assert!(t.title_zh.starts_with("辛集市"), "{}", t.title_zh);
    // The current month is partial and says so.
    let partial = report(&app, &bureau, Kind::Monthly, "city", "2026-11");
    assert!(partial.partial && partial.notes_zh.iter().any(|n| n.contains("尚未结束")));
    assert_eq!(partial.days.len(), 21, "1 to 21 November");

    // Who may read what: (caller, scope, expected refusal).
    for (who, scope, refused) in [
        (Caller::Public, "city", Some("401")),
        (
            account("ent", Role::Enterprise, Some("E1")),
            "city",
            Some("403"),
        ),
        (
            account("xc", Role::Township, Some("xincheng")),
            "unit:wangkou",
            Some("403"),
        ),
        (
            account("xc", Role::Township, Some("xincheng")),
            "city",
            None,
        ),
        (
            account("dept", Role::Department, Some("市交通运输局")),
            "unit:wangkou",
            None,
        ),
    ] {
        let out = periodic_report::report(
            &app,
            &who,
            &Scope::parse(scope).unwrap(),
            Period::parse(Kind::Monthly, "2026-10").unwrap(),
            View::Audited,
        );
        match (refused, out) {
            (None, Ok(_)) => {}
            (Some("401"), Err(AppError::Unauthorized)) => {}
            (Some("403"), Err(AppError::Forbidden(_))) => {}
            (want, got) => panic!(
                "{} {scope}: want {want:?}, got {:?}",
                who.name(),
                got.map(|_| ())
            ),
        }
    }
    for bad in ["station:CITY-1", "unit:nowhere"] {
        let scope = periodic_report::parse_scope(bad);
        let out = scope.and_then(|s| {
            periodic_report::report(
                &app,
                &bureau,
                &s,
                Period::parse(Kind::Daily, "2026-11-01").unwrap(),
                View::Audited,
            )
        });
        assert!(
            matches!(out, Err(AppError::BadRequest(_) | AppError::NotFound(_))),
            "{bad}"
        );
    }
}

#[test]
fn schedules_make_each_periods_files_once_and_townships_see_only_theirs() {
    let dir = temp_dir("periodic-schedules");
    let store = Arc::new(Store::open_data_dir(&dir).unwrap());
    fill(&store);
    let bureau = account("bureau1", Role::Bureau, None);
    let wk = account("wk", Role::Township, Some("wangkou"));
    let at = |hour| app_at(store.clone(), "2026-11-16", hour);
    let input = |kind: &str, scope: &str, formats: &str| ScheduleInput {
        kind: Some(kind.into()),
        scope: Some(scope.into()),
        formats: formats.into(),
        hour_cst: 8,
        enabled: true,
    };
    let app = at(7);
    // Only the bureau and administrators set schedules.
    assert!(matches!(
        report_schedule::add_schedule(&app, &wk, &input("daily", "city", "xlsx")),
        Err(AppError::Forbidden(_))
    ));
    report_schedule::add_schedule(&app, &bureau, &input("daily", "city", "xlsx,pdf")).unwrap();
    report_schedule::add_schedule(&app, &bureau, &input("weekly", "unit:xincheng", "xlsx"))
        .unwrap();
    assert!(matches!(
        report_schedule::add_schedule(&app, &bureau, &input("daily", "city", "pdf")),
        Err(AppError::Conflict(_))
    ));
    for (bad, why) in [
        (input("hourly", "city", "xlsx"), "kind"),
        (input("monthly", "city", "docx"), "format"),
        (input("monthly", "unit:nowhere", "xlsx"), "unit"),
    ] {
        assert!(
            report_schedule::add_schedule(&app, &bureau, &bad).is_err(),
            "{why}"
        );
    }
    // Before the hour nothing is made; from it, yesterday's 日报 and last week's 周报, once.
    assert!(report_schedule::run_due(&app).unwrap().made.is_empty());
    let app = at(9);
    let mut made = report_schedule::run_due(&app).unwrap().made;
    made.sort();
    let fonts = lantian_app::pdf::font_path().is_some();
    let mut want = vec![
        "daily-city-2026-11-15.xlsx".to_owned(),
        "weekly-unit-xincheng-2026-11-09.xlsx".to_owned(),
    ];
    if fonts {
        want.insert(0, "daily-city-2026-11-15.pdf".to_owned());
    }
    assert_eq!(made, want);
    assert!(
        report_schedule::run_due(&at(10)).unwrap().made.is_empty(),
        "made once"
    );
    let audit = store.audit_events(100).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.actor == "system" && e.action == "reports.make")
    );

    // The bureau sees every file; wangkou the city's, not xincheng's.
    let all = report_schedule::files(&app, &bureau).unwrap();
    assert_eq!(all.len(), want.len());
    let theirs = report_schedule::files(&app, &wk).unwrap();
    assert!(theirs.iter().all(|f| f.scope == "city") && !theirs.is_empty());
    let xc = all.iter().find(|f| f.scope == "unit:xincheng").unwrap();
    assert!(matches!(
        report_schedule::file(&app, &wk, xc.id),
        Err(AppError::Forbidden(_))
    ));
    // A file downloads as made: the same bytes as the report rendered now.
    let (f, bytes) = report_schedule::file(&app, &wk, theirs[0].id).unwrap();
    assert_eq!(bytes.len() as i64, f.size);
    assert_eq!(f.generated_by, "system");
    assert!(bytes.starts_with(b"PK") || bytes.starts_with(b"%PDF-"));

    // Made by hand (the bureau), replacing the file of the same period.
    let again = report_schedule::make(
        &app,
        &bureau,
        Kind::Daily,
        &Scope::City,
        Period::parse(Kind::Daily, "2026-11-15").unwrap(),
        View::Audited,
        "xlsx",
    )
    .unwrap();
    assert_eq!(again[0].generated_by, "bureau1");
    assert_eq!(
        report_schedule::files(&app, &bureau).unwrap().len(),
        want.len()
    );
    assert!(matches!(
        report_schedule::make(
            &app,
            &wk,
            Kind::Daily,
            &Scope::City,
            Period::parse(Kind::Daily, "2026-11-15").unwrap(),
            View::Audited,
            "xlsx"
        ),
        Err(AppError::Forbidden(_))
    ));
    // Disabled: nothing more; deleted: gone, its files stay.
    let s = report_schedule::schedules(&app, &bureau).unwrap();
    let daily_id = s.iter().find(|x| x.kind == "daily").unwrap().id;
    let mut off = input("daily", "city", "xlsx");
    off.enabled = false;
    report_schedule::update_schedule(&app, &bureau, daily_id, &off).unwrap();
    assert!(
        report_schedule::run_due(&app_at(store.clone(), "2026-11-17", 9))
            .unwrap()
            .made
            .iter()
            .all(|n| !n.starts_with("daily"))
    );
    report_schedule::delete_schedule(&app, &bureau, daily_id).unwrap();
    assert_eq!(report_schedule::schedules(&app, &bureau).unwrap().len(), 1);
}

/// The store's part on both backends: schedules unique per kind and scope, files replaced
/// per period and read back byte for byte.
fn store_story(store: &Store) {
    let s = ReportSchedule {
        kind: "monthly".into(),
        scope: "city".into(),
        formats: "xlsx,pdf".into(),
        hour_cst: 9,
        enabled: true,
        created_by: "bureau1".into(),
        created_ms: 1,
        ..ReportSchedule::default()
    };
    let got = store.insert_report_schedule(&s).unwrap();
    assert!(got.id > 0 && got.enabled && got.hour_cst == 9);
    assert!(
        store.insert_report_schedule(&s).is_err(),
        "one per kind and scope"
    );
    let changed = store
        .update_report_schedule(got.id, "pdf", 23, false)
        .unwrap();
    assert_eq!(
        (changed.formats.as_str(), changed.hour_cst, changed.enabled),
        ("pdf", 23, false)
    );
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let file = |b: &[u8], at: i64| NewReportFile {
        kind: "monthly".into(),
        scope: "city".into(),
        period: "2026-10".into(),
        format: "pdf".into(),
        name: "monthly-city-2026-10.pdf".into(),
        title: "辛集市环境空气质量月报（2026年10月）".into(),
        view: "audited".into(),
        bytes: b.to_vec(),
        generated_ms: at,
        generated_by: "system".into(),
        schedule_id: Some(got.id),
    };
    assert!(
        !store
            .has_report_file("monthly", "city", "2026-10", "pdf")
            .unwrap()
    );
    store.put_report_file(&file(b"first", 1)).unwrap();
    let kept = store.put_report_file(&file(&bytes, 2)).unwrap();
    assert!(
        store
            .has_report_file("monthly", "city", "2026-10", "pdf")
            .unwrap()
    );
    let list = store.report_files(10).unwrap();
    assert_eq!(list.len(), 1, "replaced, not added");
    assert_eq!(list[0].size, 70_000);
    let (f, back) = store.report_file_bytes(kept.id).unwrap();
    assert_eq!(back, bytes);
    assert_eq!(f.title, "辛集市环境空气质量月报（2026年10月）");
    assert_eq!(f.sha256, lantian_store::complaints::sha256_hex(&bytes));
    assert!(store.report_file_bytes(kept.id + 1000).is_err());
    store.delete_report_schedule(got.id).unwrap();
    assert!(store.report_schedules().unwrap().is_empty());
    assert_eq!(store.report_files(10).unwrap().len(), 1, "files stay");
}

#[test]
fn report_files_and_schedules_are_kept_alike_on_sqlite_and_postgresql() {
    let dir = temp_dir("periodic-store");
    store_story(&Store::open_data_dir(&dir).unwrap());
    if let Some(url) = lantian_store::testing::pg_url() {
        let db = lantian_store::testing::PgDb::create(&url, "periodic_store");
        store_story(&Store::open(&Location::Postgres(db.url.clone())).unwrap());
    }
}

#[test]
fn the_monthly_report_opens_in_libreoffice_and_renders_to_png() {
    let tmp = temp_dir("periodic-files");
    let dir = tmp.join("data");
    {
        let store = Store::open_data_dir(&dir).unwrap();
        fill(&store);
    }
    let d_ = dir.to_str().unwrap();
    let xlsx = tmp.join("yuebao.xlsx");
    lantian_ok(&[
        "report",
        "monthly",
        "--data-dir",
        d_,
        "--month",
        "2026-10",
        "--format",
        "xlsx",
        "--out",
        xlsx.to_str().unwrap(),
    ]);
    let out = lantian(&["report", "monthly", "--data-dir", d_, "--month", "2026-10"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let now = want(&[0, 1], d("2026-10-01"), d("2026-10-31"));
    assert_eq!(json["figures"]["pm25"].as_f64(), now.means[0]);
    if let Some(sheet) = libreoffice_sheets(&xlsx, &tmp, "the 月报") {
        let overview = sheet("概况");
        assert!(
            overview[0][0].starts_with("辛集市环境空气质量月报"),
            "{overview:?}"
        );
        assert!(overview[1][0].starts_with("单位："), "{overview:?}");
        assert!(
            overview[2][0].starts_with("统计时段：2026年10月"),
            "{overview:?}"
        );
        assert!(overview[3][0].contains("北京时间"), "{overview:?}");
        assert_eq!(overview[4][0], "指标");
        let pm25 = overview.iter().find(|r| r[0].starts_with("PM2.5")).unwrap();
        assert_eq!(pm25[1].parse::<f64>().ok(), now.means[0], "{pm25:?}");
        let ratio = overview
            .iter()
            .find(|r| r[0].starts_with("优良天数比率"))
            .unwrap();
        assert_eq!(ratio[1].parse::<f64>().ok(), now.ratio, "{ratio:?}");
        let units = sheet("分单位");
        let n_units = json["units"].as_array().unwrap().len();
        assert_eq!(
            units.len(),
            5 + n_units,
            "title, three lines, header, every unit"
        );
        assert_eq!(units[5][1], json["units"][0]["name_zh"].as_str().unwrap());
        let days_sheet = sheet("逐日");
        assert_eq!(days_sheet.len(), 5 + 31);
        let notes = sheet("说明");
        assert!(notes.iter().any(|r| r[0].contains("HJ 663")), "{notes:?}");
    }
    if lantian_app::pdf::font_path().is_none() {
        lantian_store::testing::not_run("the 月报 PDF (no CJK font; install fonts-wqy-microhei)");
        return;
    }
    let artifacts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    for (kind, arg, period, name) in [
        ("monthly", "--month", "2026-10", "periodic-report-monthly"),
        ("daily", "--day", "2026-11-15", "periodic-report-daily"),
        (
            "weekly",
            "--day",
            "2026-11-11",
            "periodic-report-weekly-wangkou",
        ),
    ] {
        let pdf = tmp.join(format!("{name}.pdf"));
        let mut args = vec![
            "report",
            kind,
            "--data-dir",
            d_,
            arg,
            period,
            "--format",
            "pdf",
            "--out",
            pdf.to_str().unwrap(),
        ];
        if kind == "weekly" {
            args.extend(["--scope", "unit:wangkou"]);
        }
        lantian_ok(&args);
        let bytes = std::fs::read(&pdf).unwrap();
        assert!(bytes.starts_with(b"%PDF-"), "{name}");
        if !std::path::Path::new("/usr/bin/pdftoppm").exists() {
            lantian_store::testing::not_run(
                "rendering the reports' PDF (pdftoppm: install poppler-utils)",
            );
            return;
        }
        let r = std::process::Command::new("pdftoppm")
            .args(["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"])
            .arg(&pdf)
            .arg(artifacts.join(name))
            .output()
            .unwrap();
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        let size = std::fs::metadata(artifacts.join(format!("{name}.png")))
            .unwrap()
            .len();
        assert!(
            size > 10_000,
            "{name}: a rendered page of text and tables: {size} bytes"
        );
    }
}
