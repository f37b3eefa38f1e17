//! The cockpit (`GET /api/v1/cockpit`, docs/ui.md "Cockpit") against an independent
//! computation from the same data: two city stations with the last 70 days of hours from a
//! known function (three heavy days last week, a 日报 of AQI 74 yesterday, 12 hours today),
//! two township stations with yesterday's month, the month before and the same month a year
//! earlier, two open alarms and the plan's measures. The month's and the year's figures,
//! their coverage and verdicts (数据不足 while the year cannot be judged; a count already past
//! its target out of reach), the ranking (every unit listed, 同比/环比 in the right direction),
//! the measures by unit and the alarms each account sees are checked, and who may see it.

use super::alarms_live::{add_users, now_ms};
use super::browser::post_as;
use super::serve::{Login, Server, login, request};
use super::*;
use lantian_app::County;
use lantian_core::cst;
use lantian_core::date::days_in_year;
use lantian_core::decimal::round_half_even as rhe;
use lantian_core::integrity::{Rule, Severity};
use lantian_core::org::Role;
use lantian_core::pollutant::Pollutant;
use lantian_core::series::StationRole;
use lantian_core::{Date, Month};
use lantian_store::integrity::NewAlarm;
use lantian_store::{Ingest, Observation, Period, Station, Store};
use serde_json::{Value, json};

pub(super) const PASSWORD: &str = "correct horse battery";
pub(super) const CITY: &str = "130181";
/// Days of city data before today.
pub(super) const CITY_DAYS: i64 = 70;
/// Hours of today sent (never a valid day: 20 are needed).
pub(super) const TODAY_HOURS: i64 = 12;
/// The hour of today with the highest value, and the values of today's hours.
const TODAY_WORST_SLOT: i64 = 2;
const TODAY_PM25: f64 = 40.0;
const TODAY_WORST_PM25: f64 = 100.0;
/// Yesterday's PM2.5: IAQI 50 + 2 × (47 − 35) = 74 exactly under HJ 633-2026 (35 → 50, 60 → 100).
const YESTERDAY_PM25: f64 = 47.0;
const YESTERDAY_AQI: u64 = 74;
/// Targets the bureau sets for the city.
const GOOD_RATIO_TARGET: f64 = 80.0;
const HEAVY_DAYS_TARGET: f64 = 2.0;

/// The city's PM2.5 on day `d` (both stations, every hour): light days at 70, good days
/// from 30 to 60, three heavy days (200: AQI 250) three to five days before yesterday.
pub(super) fn city_pm25(d: Date, yesterday: Date) -> f64 {
    if d == yesterday {
        YESTERDAY_PM25
    } else if (3..=5).contains(&(yesterday.days_since_epoch() - d.days_since_epoch())) {
        200.0
    } else {
        30.0 + 10.0 * f64::from(d.day() % 5)
    }
}

fn station(id: &str, role: StationRole, unit: Option<&str>) -> Station {
    Station {
        id: id.into(),
        name: id.into(),
        role,
        admin_unit_id: unit.map(str::to_owned),
        lat: Some(37.9),
        lon: Some(115.2),
        pollutants: Pollutant::ALL
            .iter()
            .map(|p| p.hj212_code().to_owned())
            .collect(),
        min_interval_min: 1,
        demo: false,
    }
}

/// Every pollutant of the hours `slots` of day `d` at `station`: PM2.5 and PM10 `pm`, the
/// others low and constant.
fn hours(station: &str, d: Date, slots: std::ops::Range<i64>, pm: f64) -> Vec<Observation> {
    let mut obs = Vec::new();
    for h in slots {
        let ts = cst::day_start(d) + h * cst::HOUR_S;
        for p in Pollutant::ALL {
            let value = match p {
                Pollutant::Pm25 | Pollutant::Pm10 => pm,
                Pollutant::So2 => 5.0,
                Pollutant::No2 => 10.0,
                Pollutant::Co => 0.3,
                Pollutant::O3 => 30.0,
            };
            obs.push(Observation {
                station_id: station.into(),
                code: p.hj212_code().into(),
                period: Period::Hour,
                ts,
                value,
                flag: "N".into(),
            });
        }
    }
    obs
}

/// The days of a month.
fn days_of(m: Month) -> impl Iterator<Item = Date> {
    (0..m.n_days() as i64).map(move |i| m.first_day().add_days(i))
}

fn previous(m: Month) -> Month {
    Month::of(m.first_day().add_days(-1))
}

/// The township stations' PM2.5 in yesterday's month, the month before and the same month
/// a year earlier: 王口 improving, 辛城 worsening.
pub(super) const TOWNSHIPS: [(&str, &str, [f64; 3]); 2] = [
    ("T-WK", "wangkou", [40.0, 50.0, 60.0]),
    ("T-XC", "xincheng", [80.0, 70.0, 60.0]),
];

/// The data directory of the cockpit's tests: the county, the accounts (password
/// [`PASSWORD`]), the stations and their data, two open alarms. Returns yesterday.
pub(super) fn cockpit_data(dir: &std::path::Path) -> Date {
    let store = Store::open_data_dir(dir).unwrap();
    County::xinji().install(&store, 0).unwrap();
    add_users(
        &store,
        &[
            ("bureau1", Role::Bureau, None),
            ("wk", Role::Township, Some("wangkou")),
            ("dept1", Role::Department, Some("市交通运输局")),
            ("ent1", Role::Enterprise, Some("AS")),
        ],
    );
    let today = cst::today(now_ms());
    let yesterday = today.add_days(-1);
    let mut obs = Vec::new();
    for id in ["C-1", "C-2"] {
        store
            .upsert_station(&station(id, StationRole::Assessment, None))
            .unwrap();
        for back in 1..=CITY_DAYS {
            let d = today.add_days(-back);
            // C-2 misses 03:00–04:00 every day: 23 hours, the day stays valid.
            let v = city_pm25(d, yesterday);
            obs.extend(hours(id, d, 0..3, v));
            obs.extend(hours(id, d, if id == "C-2" { 4..24 } else { 3..24 }, v));
        }
        for h in 0..TODAY_HOURS {
            let v = if h == TODAY_WORST_SLOT {
                TODAY_WORST_PM25
            } else {
                TODAY_PM25
            };
            obs.extend(hours(id, today, h..h + 1, v));
        }
    }
    let m = Month::of(yesterday);
    let last_year = Month::new(m.year() - 1, m.month()).unwrap();
    for (id, unit, values) in TOWNSHIPS {
        store
            .upsert_station(&station(id, StationRole::Township, Some(unit)))
            .unwrap();
        for (month, v) in [m, previous(m), last_year].into_iter().zip(values) {
            for d in days_of(month).filter(|d| *d < today) {
                obs.extend(hours(id, d, 0..24, v));
            }
        }
    }
    store
        .commit_batch(&[Ingest {
            packet: None,
            observations: obs,
        }])
        .unwrap();
    let alarm = |station: &str, rule: Rule, severity: Severity| NewAlarm {
        station_id: station.into(),
        pollutant: Some(Pollutant::Pm25),
        rule,
        severity,
        first_ts: cst::day_start(yesterday),
        last_ts: cst::day_start(yesterday) + 5 * cst::HOUR_S,
        why_zh: "测试告警".into(),
        why_en: "test alarm".into(),
        figures: Vec::new(),
        neighbours: Vec::new(),
    };
    store
        .store_alarms(
            &[
                alarm("C-1", Rule::Spraying, Severity::Critical),
                alarm("T-WK", Rule::FlatLine, Severity::Warning),
            ],
            0,
            now_ms(),
        )
        .unwrap();
    yesterday
}

/// `GET path` as `who`: the status and the JSON body.
pub(super) fn get(addr: &str, who: Option<&Login>, path: &str) -> (u16, Value) {
    let headers: Vec<(&str, &str)> = who
        .map(|l| vec![("Cookie", l.cookie.as_str())])
        .unwrap_or_default();
    let r = request(addr, "GET", path, &headers, b"");
    (r.status, r.json())
}

/// Sets the city's good-day ratio and heavy-day targets of `year` (the bureau).
pub(super) fn set_targets(addr: &str, bureau: &Login, year: i32) {
    for (ind, v) in [
        ("good_day_ratio", GOOD_RATIO_TARGET),
        ("heavy_days", HEAVY_DAYS_TARGET),
    ] {
        post_as(
            addr,
            bureau,
            &format!("/api/v1/targets/{year}"),
            json!({ "unit": CITY, "indicator": ind, "value": v, "note": "测试" }),
        );
    }
}

/// The statistics of the city's days (every one valid): PM2.5 mean as reported (integer,
/// GB/T 8170), good-day ratio (per cent, one decimal; good: PM2.5 ≤ 60 under HJ 633-2026),
/// heavy days (PM2.5 > 150).
fn expected_stats(days: &[Date], yesterday: Date) -> (f64, f64, f64) {
    let v: Vec<f64> = days.iter().map(|d| city_pm25(*d, yesterday)).collect();
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let good = v.iter().filter(|x| **x <= 60.0).count() as f64;
    let heavy = v.iter().filter(|x| **x > 150.0).count() as f64;
    (rhe(mean, 0), rhe(100.0 * good / n, 1), heavy)
}

/// The verdict rule of docs/ui.md, written out again.
fn expected_verdict(
    target: Option<f64>,
    actual: f64,
    lower_is_better: bool,
    coverage_ok: bool,
    ended: bool,
    reachable: Option<bool>,
    count_past: bool,
) -> &'static str {
    let Some(t) = target else {
        return "target_pending";
    };
    if count_past {
        return "unreachable";
    }
    if !coverage_ok {
        return "insufficient";
    }
    let met = if lower_is_better {
        actual <= t
    } else {
        actual >= t
    };
    match (ended, met, reachable) {
        (true, true, _) => "met",
        (true, false, _) => "not_met",
        (false, _, Some(false)) => "unreachable",
        (false, true, _) => "on_track",
        (false, false, _) => "behind",
    }
}

fn num(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what}: {v} is not a number"))
}

fn indicator<'a>(tile: &'a Value, ind: &str) -> &'a Value {
    tile["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["indicator"] == ind)
        .unwrap_or_else(|| panic!("no {ind} in {tile}"))
}

#[test]
fn the_cockpits_figures_equal_an_independent_computation_from_the_same_data() {
    let dir = temp_dir("cockpit");
    let yesterday = cockpit_data(&dir);
    assert!(
        yesterday >= Date::new(2026, 3, 1).unwrap(),
        "the expected AQI uses HJ 633-2026's breakpoints"
    );
    let today = yesterday.add_days(1);
    let s = Server::start(dir.to_str().unwrap(), &[]);
    let addr = s.http.clone();
    let [bureau, wk, dept, ent] =
        ["bureau1", "wk", "dept1", "ent1"].map(|u| login(&addr, u, PASSWORD));
    let year = yesterday.year();
    set_targets(&addr, &bureau, year);

    // Who has it: government accounts; the public logs in; an enterprise does not.
    assert_eq!(get(&addr, None, "/api/v1/cockpit").0, 401);
    assert_eq!(get(&addr, Some(&ent), "/api/v1/cockpit").0, 403);
    let me = get(&addr, Some(&bureau), "/api/v1/me").1;
    assert!(
        me["user"]["acts"]
            .as_array()
            .unwrap()
            .contains(&json!("see_cockpit")),
        "{me}"
    );

    let hour_before = (now_ms() / 1000 + 8 * 3600).rem_euclid(86_400) / 3600;
    let (status, c) = get(&addr, Some(&bureau), "/api/v1/cockpit");
    let hour_after = (now_ms() / 1000 + 8 * 3600).rem_euclid(86_400) / 3600;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["today"], json!(today.to_string()));

    // AQI now: both city stations reported their latest hour.
    let now = &c["now"];
    assert_eq!(
        (now["stations_reporting"].as_u64(), now["stations"].as_u64()),
        (Some(2), Some(2)),
        "{now}"
    );
    assert_eq!(now["view"], "raw");

    // Today so far: the completed hours, TODAY_HOURS of them with data; the worst is 02:00–03:00.
    let td = &c["today_so_far"];
    let elapsed = td["hours_elapsed"].as_i64().unwrap();
    assert!(
        (hour_before..=hour_after).contains(&elapsed),
        "{elapsed} hours elapsed at {hour_before}–{hour_after}"
    );
    assert_eq!(
        td["hours_reported"].as_i64(),
        Some(elapsed.min(TODAY_HOURS))
    );
    assert_eq!(td["hours"].as_array().unwrap().len() as i64, elapsed);
    if elapsed > TODAY_WORST_SLOT {
        let label =
            cst::format_minute(cst::day_start(today) + (TODAY_WORST_SLOT + 1) * cst::HOUR_S);
        assert_eq!(td["worst"]["time"], json!(label), "{td}");
    }

    // Yesterday's 日报: AQI 74 from PM2.5 47, audited, every hour of one station and 23 of the other.
    let y = &c["yesterday"]["day"];
    assert_eq!(y["aqi"].as_u64(), Some(YESTERDAY_AQI), "{y}");
    assert_eq!(y["primary"], "PM2.5");
    assert_eq!(y["view"], "audited");
    assert!(
        (num(&y["coverage"], "coverage") - 47.0 / 48.0).abs() < 1e-3,
        "{y}"
    );

    // The month of yesterday and the year so far, against the targets page's targets.
    let month = Month::of(yesterday);
    for (tile, first, is_month) in [
        (&c["month"], month.first_day(), true),
        (&c["year"], Date::new(year, 1, 1).unwrap(), false),
    ] {
        let last = if is_month {
            month.first_day().add_days(month.n_days() as i64 - 1)
        } else {
            Date::new(year, 12, 31).unwrap()
        };
        let through = last.min(today);
        let ended = today > last;
        let total = if is_month {
            month.n_days()
        } else {
            days_in_year(year)
        };
        let n = (through.days_since_epoch() - first.days_since_epoch() + 1) as u32;
        let completed = if ended { n } else { n - 1 };
        let city_days: Vec<Date> = (1..=CITY_DAYS)
            .map(|b| today.add_days(-b))
            .filter(|d| *d >= first && *d <= through)
            .collect();
        let required = if is_month {
            if month.month() == 2 { 25 } else { 27 }
        } else {
            324
        };
        let due = (required * completed).div_ceil(total);
        let coverage_ok = city_days.len() as u32 >= due;
        assert_eq!(
            tile["valid_days"].as_u64(),
            Some(city_days.len() as u64),
            "{tile}"
        );
        assert_eq!(
            tile["valid_days_due"].as_u64(),
            Some(u64::from(due)),
            "{tile}"
        );
        assert_eq!(tile["coverage_ok"], json!(coverage_ok), "{tile}");
        assert_eq!(tile["ended"], json!(ended));
        let progress = get(
            &addr,
            Some(&bureau),
            &format!("/api/v1/targets/{year}/progress?month={}", through.month()),
        )
        .1;
        let rows = progress["items"]
            .as_array()
            .or(progress.as_array())
            .unwrap()
            .clone();
        let target = |ind: &str, key: &str| {
            rows.iter()
                .find(|r| r["unit"] == CITY && r["indicator"] == ind)
                .map(|r| r[key].clone())
                .unwrap_or(Value::Null)
        };
        let (pm25, good, heavy) = expected_stats(&city_days, yesterday);
        for (ind, actual, lower, year_target) in [
            ("pm25", pm25, true, 35.0),
            ("good_day_ratio", good, false, GOOD_RATIO_TARGET),
            ("heavy_days", heavy, true, HEAVY_DAYS_TARGET),
        ] {
            let i = indicator(tile, ind);
            let what = format!("{} {ind}", tile["period"]);
            assert!(
                (num(&i["actual"], &what) - actual).abs() < 1e-9,
                "{what}: {i} vs {actual}"
            );
            assert_eq!(i["target_year"].as_f64(), Some(year_target), "{what}");
            let key = if is_month {
                "target_month"
            } else {
                "target_ytd"
            };
            let to_date = target(ind, key).as_f64();
            assert_eq!(i["target_to_date"].as_f64(), to_date, "{what}");
            let reachable = if is_month {
                None
            } else {
                target(ind, "reachable").as_bool()
            };
            let count_past = !is_month && ind == "heavy_days" && actual > year_target;
            let want = expected_verdict(
                to_date,
                actual,
                lower,
                coverage_ok,
                ended,
                reachable,
                count_past,
            );
            assert_eq!(i["verdict"], json!(want), "{what}: {i}");
        }
    }
    // With 70 days of data the year cannot be judged (unless it is young), but three heavy
    // days already exceed a target of two.
    let y_heavy = indicator(&c["year"], "heavy_days");
    if y_heavy["actual"].as_f64() > Some(HEAVY_DAYS_TARGET) {
        assert_eq!(y_heavy["verdict"], "unreachable", "{y_heavy}");
    }
    if !c["year"]["coverage_ok"].as_bool().unwrap() {
        assert_eq!(indicator(&c["year"], "pm25")["verdict"], "insufficient");
        // Nor what the rest of the year "still allows" (the 已无法达标 of 59 valid days).
        assert!(indicator(&c["year"], "pm25")["still_allowed_zh"].is_null());
    }

    // The ranking of the month: every town, township and zone; the two with stations ranked
    // (王口 the cleaner first), 同比 and 环比 in the direction of the data.
    let units = get(&addr, None, "/api/v1/units").1;
    let township_level = units
        .as_array()
        .or(units["items"].as_array())
        .unwrap()
        .iter()
        .filter(|u| matches!(u["kind"].as_str(), Some("town" | "township" | "zone")))
        .count();
    let rows = c["ranking"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), township_level, "every unit listed");
    assert!(township_level >= 16);
    let row = |u: &str| rows.iter().find(|r| r["unit"] == u).unwrap();
    assert_eq!(row("wangkou")["rank"], 1);
    assert_eq!(row("xincheng")["rank"], 2);
    assert!(
        num(&row("wangkou")["yoy_pct"], "yoy") < 0.0
            && num(&row("wangkou")["mom_pct"], "mom") < 0.0
    );
    assert!(
        num(&row("xincheng")["yoy_pct"], "yoy") > 0.0
            && num(&row("xincheng")["mom_pct"], "mom") > 0.0
    );
    let unranked: Vec<&Value> = rows.iter().filter(|r| r["rank"].is_null()).collect();
    assert_eq!(unranked.len(), township_level - 2);
    assert!(unranked.iter().all(|r| r["reason_zh"].is_string()));
    // The same as the rankings page's.
    let page = get(
        &addr,
        None,
        &format!("/api/v1/rankings?year={year}&month={}", month.month()),
    )
    .1;
    let key = |r: &Value| {
        (
            r["unit"].clone(),
            r["rank"].clone(),
            r["figure"].clone(),
            r["yoy_pct"].clone(),
        )
    };
    assert_eq!(
        rows.iter().map(key).collect::<Vec<_>>(),
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(key)
            .collect::<Vec<_>>()
    );

    // Measures: counted from the ledger's list by lead unit.
    let ledger = get(&addr, Some(&bureau), "/api/v1/ledger?per_page=1000").1;
    let mut want: std::collections::BTreeMap<String, (u64, u64, Option<i64>)> = Default::default();
    let (mut overdue, mut due_soon) = (0, 0);
    for m in ledger["items"].as_array().unwrap() {
        let late = m["status"] == "overdue";
        if !late && m["at_risk"] != true {
            continue;
        }
        if late {
            overdue += 1;
        } else {
            due_soon += 1;
        }
        let passed = m["deadlines"]
            .as_str()
            .unwrap_or("")
            .split('、')
            .filter_map(|d| d.parse::<Date>().ok())
            .filter(|d| *d < today)
            .max();
        let days = passed
            .filter(|_| late)
            .map(|d| today.days_since_epoch() - d.days_since_epoch());
        let leads: Vec<String> = m["lead_units"]
            .as_str()
            .unwrap_or("")
            .split('、')
            .filter(|u| !u.is_empty())
            .map(str::to_owned)
            .collect();
        for u in if leads.is_empty() {
            vec![String::new()]
        } else {
            leads
        } {
            let e = want.entry(u).or_default();
            if late {
                e.0 += 1;
                e.2 = e.2.max(days);
            } else {
                e.1 += 1;
            }
        }
    }
    let m = &c["measures"];
    assert_eq!(
        (m["overdue"].as_u64(), m["due_soon"].as_u64()),
        (Some(overdue), Some(due_soon))
    );
    let got: std::collections::BTreeMap<String, (u64, u64, Option<i64>)> = m["by_unit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["unit"].as_str().unwrap().to_owned(),
                (
                    u["overdue"].as_u64().unwrap(),
                    u["due_soon"].as_u64().unwrap(),
                    u["days_overdue_max"].as_i64(),
                ),
            )
        })
        .collect();
    assert_eq!(got, want);
    assert!(
        overdue > 0,
        "the plan has measures past their deadlines by now"
    );

    // Alarms: the bureau sees both open ones, 王口 its own, a department none.
    let a = &c["alarms"];
    assert_eq!(a["open"], 2, "{a}");
    assert_eq!(
        (
            a["by_severity"]["critical"].as_u64(),
            a["by_severity"]["warning"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let (st, cw) = get(&addr, Some(&wk), "/api/v1/cockpit");
    assert_eq!(st, 200, "{cw}");
    assert_eq!(cw["alarms"]["open"], 1);
    assert_eq!(cw["alarms"]["latest"][0]["station"], "T-WK");
    let (st, cd) = get(&addr, Some(&dept), "/api/v1/cockpit");
    assert_eq!(st, 200, "{cd}");
    assert!(cd["alarms"].is_null(), "{}", cd["alarms"]);
    // Each tile links to its page.
    for tile in [
        "now",
        "today_so_far",
        "yesterday",
        "month",
        "year",
        "ranking",
        "measures",
        "alarms",
    ] {
        assert!(
            c[tile]["link"]
                .as_str()
                .is_some_and(|l| l.starts_with("#/")),
            "{tile}"
        );
    }
}
