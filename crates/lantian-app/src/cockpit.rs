//! The bureau's cockpit (驾驶舱, issue 17; docs/ui.md "Cockpit"): one answer with every tile
//! of the government's home page — AQI now and today so far, yesterday's 日报, this month's
//! and this year's city figures against their targets with data coverage and an honest
//! verdict, the township ranking of the month with 同比/环比, overdue and due-soon measures
//! by unit, and open integrity alarms — each tile with the page it links to.
//!
//! Every figure is read through the use case its own page uses (`aqi`, `data::aggregate`,
//! `targets::progress`, `township::ranking`, `ledger::list`, `integrity::alarms`), so the
//! cockpit and those pages cannot disagree; what is new here is the choice of periods and the
//! verdict, which says "数据不足" while the data cannot yet carry one.

use crate::aqi::{self, DailyAqi, HourNow};
use crate::assessment::Span;
use crate::caller::policy;
use crate::data::{self, Period, Scope};
use crate::error::{AppError, AppResult};
use crate::integrity::{self, AlarmView};
use crate::ledger::{self, Filter};
use crate::targets::{self, Progress};
use crate::township::{self, TownRow};
use crate::{App, Caller};
use lantian_core::aqi::{Lang, Level};
use lantian_core::assess::ranking::Config;
use lantian_core::assess::{AssessOptions, assess};
use lantian_core::integrity::Severity;
use lantian_core::ledger::status::{AT_RISK_DAYS, Status};
use lantian_core::rules::RuleChoice;
use lantian_core::targets::{Indicator, PeriodStats};
use lantian_core::validity::{YEAR_VALID_DAYS_MIN, month_days_required};
use lantian_core::{Date, Month, cst};
use lantian_store::View;
use lantian_store::integrity::{AlarmFilter, AlarmState};
use serde::Serialize;
use std::collections::BTreeMap;

/// How often the page asks again, in seconds (paused while the tab is hidden).
pub const REFRESH_S: u32 = 300;
/// The indicators of the month and year tiles, in the order shown.
pub const INDICATORS: [Indicator; 3] = [
    Indicator::Pm25,
    Indicator::GoodDayRatio,
    Indicator::HeavyDays,
];
/// Measures listed by name on the tile (the most overdue first, then the nearest deadlines).
pub const MEASURE_ITEMS_MAX: usize = 10;
/// Open alarms listed by name on the tile (the newest first).
pub const ALARM_ITEMS_MAX: usize = 5;

/// The whole cockpit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cockpit {
    /// When this answer was computed, Beijing time (`YYYY-MM-DD HH:MM`).
    pub generated_at: String,
    pub today: Date,
    pub refresh_s: u32,
    pub now: NowTile,
    pub today_so_far: TodayTile,
    pub yesterday: YesterdayTile,
    /// The month of yesterday (on the 1st: the month just ended, complete).
    pub month: PeriodTile,
    /// The year of yesterday.
    pub year: PeriodTile,
    pub ranking: RankingTile,
    pub measures: MeasuresTile,
    /// `None` for an account that sees no integrity alarm.
    pub alarms: Option<AlarmsTile>,
}

/// The city's AQI now: the latest hour of its assessment stations (raw, real time).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NowTile {
    pub city: Option<HourNow>,
    /// City stations with a value in that hour, of the city's stations.
    pub stations_reporting: u32,
    pub stations: u32,
    pub view: View,
    pub link: String,
}

/// One completed hour of today (the hour's end labels it, Beijing time).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TodayHour {
    /// `YYYY-MM-DD HH:00`, the hour's end.
    pub time: String,
    pub aqi: Option<u16>,
    pub category: Option<&'static str>,
    pub colour: Option<String>,
    pub primary: Vec<&'static str>,
    pub coverage: f64,
}

/// Today so far: the real-time AQI of each completed hour. Not a 日报: the official daily
/// AQI of today is published tomorrow.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TodayTile {
    pub date: Date,
    pub hours: Vec<TodayHour>,
    /// Completed hours with an AQI, of the completed hours of today.
    pub hours_reported: u32,
    pub hours_elapsed: u32,
    /// The hour with the highest AQI so far.
    pub worst: Option<TodayHour>,
    pub view: View,
    pub link: String,
}

/// Yesterday's 日报 (audited data): the official daily AQI.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct YesterdayTile {
    pub date: Date,
    pub day: Option<DailyAqi>,
    pub link: String,
}

/// What the data of a period say about a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The period is over and the target met.
    Met,
    /// The period is over and the target missed.
    NotMet,
    /// So far better than the target to date.
    OnTrack,
    /// So far worse than the target to date, still reachable.
    Behind,
    /// Out of reach whatever the rest of the year brings.
    Unreachable,
    /// Too few valid days to judge: the period cannot reach the valid days its statistics
    /// need (GB 3095 Table 4), or the days so far fall short of their share of them.
    Insufficient,
    /// A target without its number yet (a 省定目标 to be entered).
    TargetPending,
    /// No target set for this indicator.
    NoTarget,
}

impl Verdict {
    pub fn zh(self) -> &'static str {
        match self {
            Verdict::Met => "达标",
            Verdict::NotMet => "未达标",
            Verdict::OnTrack => "目前达标",
            Verdict::Behind => "目前未达标，仍可达标",
            Verdict::Unreachable => "已无法达标",
            Verdict::Insufficient => "数据不足",
            Verdict::TargetPending => "目标待录入",
            Verdict::NoTarget => "未设目标",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::NotMet => "not met",
            Verdict::OnTrack => "on track so far",
            Verdict::Behind => "behind so far, still reachable",
            Verdict::Unreachable => "out of reach",
            Verdict::Insufficient => "not enough data",
            Verdict::TargetPending => "target to be entered",
            Verdict::NoTarget => "no target set",
        }
    }
}

/// What a verdict is judged from.
#[derive(Clone, Debug, PartialEq)]
pub struct Judged {
    /// A target row exists for the indicator (possibly without a number).
    pub has_target: bool,
    /// The target the actual is compared with (the period's, or the year's to date).
    pub target: Option<f64>,
    pub actual: Option<f64>,
    pub met: Option<bool>,
    /// Whether the rest of the year can still meet the year's target (`None`: not known).
    pub reachable: Option<bool>,
    /// A count (heavy days) already past the year's target: no later day can undo it.
    pub count_past_target: bool,
    pub coverage_ok: bool,
    pub ended: bool,
}

/// The verdict: no verdict without a target or enough data, except a count already past its
/// target; a period over is met or not; a period in progress is on track, behind, or out of
/// reach.
pub fn verdict(j: &Judged) -> Verdict {
    if !j.has_target {
        return Verdict::NoTarget;
    }
    if j.target.is_none() {
        return Verdict::TargetPending;
    }
    if j.count_past_target {
        return Verdict::Unreachable;
    }
    if j.actual.is_none() || !j.coverage_ok {
        return Verdict::Insufficient;
    }
    match (j.ended, j.met, j.reachable) {
        (true, Some(true), _) => Verdict::Met,
        (true, _, _) => Verdict::NotMet,
        (false, _, Some(false)) => Verdict::Unreachable,
        (false, Some(true), _) => Verdict::OnTrack,
        (false, _, _) => Verdict::Behind,
    }
}

/// The valid days a period's completed days should have by now for the period to reach
/// `required` valid days of `total` at its end: ⌈required × completed / total⌉.
pub fn valid_days_due(required: u32, completed: u32, total: u32) -> u32 {
    if total == 0 {
        return 0;
    }
    (u64::from(required) * u64::from(completed)).div_ceil(u64::from(total)) as u32
}

/// Whether a period's data can carry a verdict: the completed days have their share of the
/// valid days the period needs (so the period can still reach them: on pace implies
/// reachable).
pub fn coverage_ok(valid: u32, required: u32, completed: u32, total: u32) -> bool {
    valid >= valid_days_due(required, completed, total)
}

/// One indicator of a period against its target.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IndicatorTile {
    pub indicator: Indicator,
    pub name_zh: String,
    pub name_en: String,
    pub unit_of_value: &'static str,
    /// Rounded as the standard reports it.
    pub actual: Option<f64>,
    pub target_year: Option<f64>,
    /// The target of the period so far (the month's, or the year's to date) from the
    /// monthly breakdown.
    pub target_to_date: Option<f64>,
    pub verdict: Verdict,
    pub verdict_zh: &'static str,
    pub verdict_en: &'static str,
    pub still_allowed_zh: Option<String>,
    pub still_allowed_en: Option<String>,
}

/// A month or a year of the city's data against its targets.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeriodTile {
    /// `2026-07` or `2026`.
    pub period: String,
    pub year: i32,
    pub month: Option<u32>,
    /// The last day counted: the period's end, or today.
    pub through: Date,
    pub ended: bool,
    /// Days of the period up to `through`, and in all.
    pub days: u32,
    pub days_total: u32,
    pub valid_days: u32,
    /// Valid days the period's statistics need (GB 3095 Table 4): 324 a year, 27 a month
    /// (25 in February).
    pub valid_days_required: u32,
    /// What the completed days should have of them by now ([`valid_days_due`]).
    pub valid_days_due: u32,
    pub coverage_ok: bool,
    pub rule_set: Option<&'static str>,
    pub indicators: Vec<IndicatorTile>,
    pub view: View,
    pub link: String,
}

/// The township ranking of the month.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RankingTile {
    pub period: String,
    pub method_zh: &'static str,
    pub method_en: &'static str,
    pub formula_zh: String,
    pub formula_en: String,
    /// Ranked units first (1 is the best), then those without a rank, with the reason.
    pub rows: Vec<TownRow>,
    pub view: View,
    pub link: String,
}

/// A unit's share of the unfinished measures it leads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnitMeasures {
    pub unit: String,
    pub overdue: u32,
    pub due_soon: u32,
    /// The most days any of its overdue measures is past its deadline.
    pub days_overdue_max: Option<i64>,
    pub link: String,
}

/// A measure named on the tile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MeasureItem {
    pub id: String,
    pub task: String,
    pub lead_units: Vec<String>,
    pub status: Status,
    /// The deadline it is past, or the next one.
    pub deadline: Option<Date>,
    pub days_overdue: Option<i64>,
    pub days_left: Option<i64>,
    pub link: String,
}

/// Overdue and due-soon measures of the ledger, by lead unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MeasuresTile {
    pub overdue: u32,
    /// Unfinished, not overdue, with a deadline within [`AT_RISK_DAYS`] days.
    pub due_soon: u32,
    pub due_soon_days: i64,
    /// Units with an overdue or due-soon measure: the most overdue first.
    pub by_unit: Vec<UnitMeasures>,
    pub items: Vec<MeasureItem>,
    pub link: String,
}

/// Open integrity alarms of the stations the caller sees.
#[derive(Clone, Debug, Serialize)]
pub struct AlarmsTile {
    pub open: u32,
    /// Open alarms per severity (`info`, `warning`, `critical`).
    pub by_severity: BTreeMap<&'static str, u32>,
    pub latest: Vec<AlarmView>,
    pub link: String,
}

impl PartialEq for AlarmsTile {
    fn eq(&self, o: &AlarmsTile) -> bool {
        self.open == o.open
            && self.by_severity == o.by_severity
            && self
                .latest
                .iter()
                .map(|a| a.id)
                .eq(o.latest.iter().map(|a| a.id))
    }
}

/// Whether the caller has the cockpit (`policy::Act::SeeCockpit`): government accounts.
fn may_see(app: &App, caller: &Caller) -> AppResult<()> {
    let decision = if policy::acts(caller).contains(&policy::Act::SeeCockpit) {
        Ok(())
    } else {
        Err(policy::refusal(
            caller,
            "驾驶舱供政府部门账号使用 / the cockpit is for government accounts",
        ))
    };
    app.allow(caller, "cockpit", "city", decision)
}

/// The cockpit as `caller` sees it, in `lang`.
pub fn cockpit(app: &App, caller: &Caller, lang: Lang) -> AppResult<Cockpit> {
    may_see(app, caller)?;
    let today = app.clock.today();
    let yesterday = today.add_days(-1);
    let now = aqi::now(app, caller, lang)?;
    let city_ids: Vec<String> = Scope::City
        .select(&app.store.stations()?)
        .into_iter()
        .map(|s| s.id)
        .collect();
    let reporting = now
        .stations
        .iter()
        .filter(|s| city_ids.contains(&s.station.id))
        .filter(|s| {
            s.now.as_ref().map(|h| h.hour_start) == now.city.as_ref().map(|c| c.hour_start)
                && s.now.is_some()
        })
        .count() as u32;
    let day = match aqi::daily(
        app,
        caller,
        &Scope::City,
        yesterday,
        yesterday,
        lang,
        View::Audited,
    ) {
        Ok(rows) => rows.into_iter().next(),
        Err(AppError::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    let month = Month::new(yesterday.year(), yesterday.month())
        .ok_or_else(|| AppError::Internal(format!("month of {yesterday}")))?;
    Ok(Cockpit {
        generated_at: cst::format_minute(app.clock.now_cst()),
        today,
        refresh_s: REFRESH_S,
        now: NowTile {
            city: now.city,
            stations_reporting: reporting,
            stations: city_ids.len() as u32,
            view: now.view,
            link: "#/map".to_owned(),
        },
        today_so_far: today_so_far(app, today, lang)?,
        yesterday: YesterdayTile {
            date: yesterday,
            day,
            link: format!("#/reports?date={yesterday}"),
        },
        month: period_tile(app, caller, month.year(), Some(month.month()))?,
        year: period_tile(app, caller, month.year(), None)?,
        ranking: ranking_tile(app, caller, month)?,
        measures: measures_tile(app, today)?,
        alarms: alarms_tile(app, caller, lang)?,
    })
}

/// Today's completed hours of the city (raw, real time).
fn today_so_far(app: &App, today: Date, lang: Lang) -> AppResult<TodayTile> {
    let now_cst = app.clock.now_cst();
    let rows = match data::aggregate(app, &Scope::City, Period::Hour, today, today, View::Raw) {
        Ok(rows) => rows,
        Err(AppError::NotFound(_)) => Vec::new(),
        Err(e) => return Err(e),
    };
    let day_start = cst::day_start(today);
    let hours: Vec<TodayHour> = rows
        .into_iter()
        .enumerate()
        .filter(|(i, _)| day_start + (*i as i64 + 1) * cst::HOUR_S <= now_cst)
        .map(|(i, r)| {
            let level = r.aqi.map(Level::from_aqi);
            TodayHour {
                time: crate::present::hour_label_text(day_start + i as i64 * cst::HOUR_S),
                aqi: r.aqi,
                category: level.map(|l| l.category(lang)),
                colour: level.map(|l| l.hex()),
                primary: r.primary,
                coverage: r.coverage,
            }
        })
        .collect();
    let hours_elapsed = ((now_cst - day_start) / cst::HOUR_S).clamp(0, 24) as u32;
    // The first of the highest, so that the hour shown is when it was first reached.
    let worst = hours
        .iter()
        .filter(|h| h.aqi.is_some())
        .fold(None::<&TodayHour>, |w, h| match w {
            Some(w) if w.aqi >= h.aqi => Some(w),
            _ => Some(h),
        })
        .cloned();
    Ok(TodayTile {
        date: today,
        hours_reported: hours.iter().filter(|h| h.aqi.is_some()).count() as u32,
        hours_elapsed,
        worst,
        hours,
        view: View::Raw,
        link: "#/map".to_owned(),
    })
}

/// The city's statistics of the days `first ..= through` (audited, rules by date).
fn city_stats(
    app: &App,
    first: Date,
    through: Date,
) -> AppResult<(PeriodStats, Option<&'static str>)> {
    let n = (through.days_since_epoch() - first.days_since_epoch() + 1).max(0) as usize;
    let days = match data::stations_of(app, &Scope::City) {
        Ok(stations) if n > 0 => crate::days::load(app, &stations, first, n, View::Audited)?,
        Ok(_) | Err(AppError::NotFound(_)) => Vec::new(),
        Err(e) => return Err(e),
    };
    let a = assess(&days, &AssessOptions::default());
    Ok((
        targets::stats_of(a.as_ref(), n as u32),
        a.as_ref().map(|a| a.rule_set.id()),
    ))
}

/// A month (or, with `month` `None`, the year to the end of yesterday's month) of the city
/// against its targets.
fn period_tile(app: &App, caller: &Caller, year: i32, month: Option<u32>) -> AppResult<PeriodTile> {
    let today = app.clock.today();
    let span = Span::of(year, month)?;
    let total = span.n_days as u32;
    let last = span.first.add_days(i64::from(total) - 1);
    let through = last.min(today);
    let ended = today > last;
    let days = (through.days_since_epoch() - span.first.days_since_epoch() + 1) as u32;
    // Today is not over: only the days before it are complete.
    let completed = if ended { days } else { days.saturating_sub(1) };
    let required = match month {
        Some(m) => month_days_required(m),
        None => YEAR_VALID_DAYS_MIN,
    };
    let (stats, rule_set) = city_stats(app, span.first, through)?;
    let ok = coverage_ok(stats.valid_days, required, completed, total);
    // The progress of the targets page, for the month that holds `through`.
    let progress: Vec<Progress> = targets::progress(
        app,
        caller,
        year,
        through.month(),
        RuleChoice::Auto,
        View::Audited,
    )?
    .into_iter()
    .filter(|p| p.unit == app.county.profile.id)
    .collect();
    let indicators = INDICATORS
        .iter()
        .map(|ind| {
            let p = progress.iter().find(|p| p.indicator == *ind);
            let actual = stats.value(ind).map(|v| ind.reported(v));
            let (target_to_date, met) = match (p, month) {
                (Some(p), Some(_)) => (p.target_month, p.met_month),
                (Some(p), None) => (p.target_ytd, p.met_ytd),
                (None, _) => (None, None),
            };
            let target_year = p.and_then(|p| p.target_year);
            let v = verdict(&Judged {
                has_target: p.is_some(),
                target: target_year,
                actual,
                met,
                reachable: p.and_then(|p| p.reachable).filter(|_| month.is_none()),
                count_past_target: month.is_none()
                    && *ind == Indicator::HeavyDays
                    && matches!((actual, target_year), (Some(a), Some(t)) if a > t),
                coverage_ok: ok,
                ended,
            });
            // What the rest of the year allows is a year's figure, and no figure without the data
            // to carry it.
            let year_only = |s: Option<&String>| {
                s.filter(|_| month.is_none() && v != Verdict::Insufficient)
                    .cloned()
            };
            IndicatorTile {
                indicator: ind.clone(),
                name_zh: ind.name_zh(),
                name_en: ind.name_en(),
                unit_of_value: ind.unit(),
                actual,
                target_year,
                target_to_date,
                verdict: v,
                verdict_zh: v.zh(),
                verdict_en: v.en(),
                still_allowed_zh: year_only(p.and_then(|p| p.still_allowed_zh.as_ref())),
                still_allowed_en: year_only(p.and_then(|p| p.still_allowed_en.as_ref())),
            }
        })
        .collect();
    Ok(PeriodTile {
        period: month.map_or_else(|| year.to_string(), |m| format!("{year:04}-{m:02}")),
        year,
        month,
        through,
        ended,
        days,
        days_total: total,
        valid_days: stats.valid_days,
        valid_days_required: required,
        valid_days_due: valid_days_due(required, completed, total),
        coverage_ok: ok,
        rule_set,
        indicators,
        view: View::Audited,
        link: format!("#/targets?year={year}&month={}", through.month()),
    })
}

/// The month's township ranking by the published method (composite index).
fn ranking_tile(app: &App, caller: &Caller, month: Month) -> AppResult<RankingTile> {
    let r = township::ranking(
        app,
        caller,
        month.year(),
        Some(month.month()),
        &Config::default(),
        RuleChoice::Auto,
        View::Audited,
    )?;
    Ok(RankingTile {
        link: format!("#/rankings?year={}&month={}", r.year, month.month()),
        period: r.period,
        method_zh: r.method_zh,
        method_en: r.method_en,
        formula_zh: r.formula_zh,
        formula_en: r.formula_en,
        rows: r.rows,
        view: r.view,
    })
}

/// Overdue and due-soon measures of the ledger, counted for each lead unit.
fn measures_tile(app: &App, today: Date) -> AppResult<MeasuresTile> {
    let t = today.days_since_epoch();
    let mut items = Vec::new();
    for m in ledger::list(app, &Filter::default())? {
        let deadlines = m.fields.all_deadlines();
        let overdue = m.status == Status::Overdue;
        if !(overdue || m.at_risk) {
            continue;
        }
        let passed = deadlines.iter().filter(|d| **d < today).max().copied();
        let next = deadlines.iter().filter(|d| **d >= today).min().copied();
        items.push(MeasureItem {
            link: format!("#/measure/{}", m.id),
            id: m.id,
            task: m.task,
            lead_units: m.fields.lead_units.clone(),
            status: m.status,
            deadline: if overdue { passed } else { next },
            days_overdue: passed.filter(|_| overdue).map(|d| t - d.days_since_epoch()),
            days_left: next.filter(|_| !overdue).map(|d| d.days_since_epoch() - t),
        });
    }
    let mut units: BTreeMap<String, UnitMeasures> = BTreeMap::new();
    for i in &items {
        let leads = if i.lead_units.is_empty() {
            vec![String::new()]
        } else {
            i.lead_units.clone()
        };
        for u in leads {
            let e = units.entry(u.clone()).or_insert_with(|| UnitMeasures {
                link: format!("#/ledger?unit={}", url_component(&u)),
                unit: u,
                overdue: 0,
                due_soon: 0,
                days_overdue_max: None,
            });
            match i.days_overdue {
                Some(d) => {
                    e.overdue += 1;
                    e.days_overdue_max = e.days_overdue_max.max(Some(d));
                }
                None if i.status == Status::Overdue => e.overdue += 1,
                None => e.due_soon += 1,
            }
        }
    }
    let mut by_unit: Vec<UnitMeasures> = units.into_values().collect();
    by_unit.sort_by(|a, b| {
        (b.overdue, b.days_overdue_max, b.due_soon).cmp(&(
            a.overdue,
            a.days_overdue_max,
            a.due_soon,
        ))
    });
    let overdue = items.iter().filter(|i| i.status == Status::Overdue).count() as u32;
    let due_soon = items.len() as u32 - overdue;
    // The most overdue first, then the nearest deadlines.
    items.sort_by_key(|i| {
        (
            -i.days_overdue.unwrap_or(-1),
            i.days_left.unwrap_or(i64::MAX),
        )
    });
    items.truncate(MEASURE_ITEMS_MAX);
    Ok(MeasuresTile {
        overdue,
        due_soon,
        due_soon_days: AT_RISK_DAYS,
        by_unit,
        items,
        link: "#/ledger?status=overdue".to_owned(),
    })
}

/// `text` as one component of a URL's query (UTF-8, percent-encoded).
fn url_component(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The open alarms the caller sees; `None` for a caller who sees none (a department).
fn alarms_tile(app: &App, caller: &Caller, lang: Lang) -> AppResult<Option<AlarmsTile>> {
    if policy::integrity_list(caller).is_err() {
        return Ok(None);
    }
    let filter = AlarmFilter {
        state: Some(AlarmState::Open),
        ..AlarmFilter::default()
    };
    let open = integrity::alarms(app, caller, &filter, lang == Lang::En)?;
    let mut by_severity: BTreeMap<&'static str, u32> =
        Severity::ALL.iter().map(|s| (s.as_str(), 0)).collect();
    for a in &open {
        *by_severity.entry(a.severity.as_str()).or_default() += 1;
    }
    Ok(Some(AlarmsTile {
        open: open.len() as u32,
        by_severity,
        latest: open.into_iter().take(ALARM_ITEMS_MAX).collect(),
        link: "#/alarms?state=open".to_owned(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged() -> Judged {
        Judged {
            has_target: true,
            target: Some(35.0),
            actual: Some(40.0),
            met: Some(false),
            reachable: Some(true),
            count_past_target: false,
            coverage_ok: true,
            ended: false,
        }
    }

    #[test]
    fn a_verdict_needs_a_target_and_enough_data_and_says_which_is_missing() {
        type Change = fn(&mut Judged);
        let cases: [(&str, Change, Verdict); 10] = [
            ("behind, reachable", |_| {}, Verdict::Behind),
            ("on track", |j| j.met = Some(true), Verdict::OnTrack),
            (
                "out of reach",
                |j| j.reachable = Some(false),
                Verdict::Unreachable,
            ),
            (
                "59 valid days of 324: no verdict",
                |j| {
                    j.coverage_ok = false;
                    j.reachable = Some(false);
                },
                Verdict::Insufficient,
            ),
            ("no actual", |j| j.actual = None, Verdict::Insufficient),
            (
                "ended, met",
                |j| {
                    j.ended = true;
                    j.met = Some(true);
                },
                Verdict::Met,
            ),
            ("ended, missed", |j| j.ended = true, Verdict::NotMet),
            (
                "a count past its target is final even with gaps",
                |j| {
                    j.coverage_ok = false;
                    j.count_past_target = true;
                },
                Verdict::Unreachable,
            ),
            (
                "a 省定目标 without its number",
                |j| j.target = None,
                Verdict::TargetPending,
            ),
            ("no target", |j| j.has_target = false, Verdict::NoTarget),
        ];
        for (what, change, want) in cases {
            let mut j = judged();
            change(&mut j);
            assert_eq!(verdict(&j), want, "{what}");
        }
    }

    #[test]
    fn coverage_is_judged_against_the_share_of_324_days_the_completed_days_owe() {
        // (valid, required, completed, total, due, ok)
        let cases = [
            (59, 324, 300, 365, 267, false),
            (267, 324, 300, 365, 267, true),
            (4, 324, 4, 365, 4, true),
            (0, 324, 0, 365, 0, true),
            // 41 days without data: the year can no longer reach 324.
            (300, 324, 341, 365, 303, false),
            (27, 27, 31, 31, 27, true),
            (26, 27, 31, 31, 27, false),
            (25, 25, 28, 28, 25, true),
            (10, 27, 12, 31, 11, false),
        ];
        for (valid, required, completed, total, due, ok) in cases {
            assert_eq!(
                valid_days_due(required, completed, total),
                due,
                "{valid} {completed}/{total}"
            );
            assert_eq!(
                coverage_ok(valid, required, completed, total),
                ok,
                "{valid} {completed}/{total}"
            );
        }
    }

    #[test]
    fn unit_names_are_percent_encoded_as_utf8() {
        assert_eq!(
            url_component("市交通 局"),
            "%E5%B8%82%E4%BA%A4%E9%80%9A%20%E5%B1%80"
        );
        assert_eq!(url_component("a-b_c.d~"), "a-b_c.d~");
    }
}
