//! Targets as data (issue 16; docs/targets.md): the county profile's `targets.csv` checked
//! and installed, the bureau's edits with their history, monthly breakdowns (even, seasonal,
//! typed) and every unit's month-to-date and year-to-date progress with what the rest of the
//! year still allows and a year-end projection.

use crate::assessment::Span;
use crate::caller::policy;
use crate::county::{County, Unit};
use crate::data::{Scope, stations_of};
use crate::error::{AppError, AppResult};
use crate::{App, Caller};
use lantian_core::Date;
use lantian_core::assess::{AssessOptions, Assessment, assess};
use lantian_core::date::{days_in_month, days_in_year};
use lantian_core::org::Role;
use lantian_core::pollutant::Pollutant;
use lantian_core::rules::{RuleChoice, editions_2026_in_force};
use lantian_core::series::DailyRecord;
use lantian_core::targets::{self as core, Indicator, Method, PeriodStats};
use lantian_store::targets::{BreakdownRow, NewTarget, TargetRow, TargetSource};
use lantian_store::{Store, View};
use serde::Serialize;
use std::collections::HashMap;

/// The header of `targets.csv`.
pub const CSV_HEADER: [&str; 5] = ["year", "unit", "indicator", "value", "note"];
/// Years of history a seasonal breakdown and a projection read.
pub const HISTORY_YEARS: i32 = 3;

/// One row of a profile's `targets.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileTarget {
    pub line: usize,
    pub year: i32,
    pub unit: String,
    pub indicator: Indicator,
    pub value: Option<f64>,
    pub note: String,
}

/// Reads a profile's `targets.csv` (empty text: no targets); `unit` is `county_id` (the
/// city) or an id of `units`; an empty value is a 省定目标 whose number is still to be
/// entered. Errors name the file, the line and the reason.
pub fn parse_profile(
    text: &str,
    county_id: &str,
    units: &[Unit],
) -> Result<Vec<ProfileTarget>, String> {
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut out: Vec<ProfileTarget> = Vec::new();
    // One record per line (a note may be quoted, not span lines), so errors name the line.
    for (i, text_line) in text.lines().enumerate() {
        let line = i + 1;
        let at = |what: String| format!("targets.csv:{line}: {what}");
        if i > 0 && text_line.trim().is_empty() {
            continue;
        }
        let rec = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text_line.as_bytes())
            .records()
            .next()
            .unwrap_or_else(|| Ok(csv::StringRecord::new()))
            .map_err(|e| at(e.to_string()))?;
        let c: Vec<&str> = rec.iter().collect();
        if i == 0 {
            if c != CSV_HEADER {
                return Err(at(format!("header must be {}", CSV_HEADER.join(","))));
            }
            continue;
        }
        if c.iter().all(|s| s.is_empty()) {
            continue;
        }
        if c.len() != CSV_HEADER.len() {
            return Err(at(format!(
                "{} cells, expected {} ({})",
                c.len(),
                CSV_HEADER.len(),
                CSV_HEADER.join(",")
            )));
        }
        let year: i32 = c[0]
            .parse()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| at(format!("year {:?}: expected 2000-2100", c[0])))?;
        if c[1] != county_id && !units.iter().any(|u| u.id == c[1]) {
            return Err(at(format!(
                "unit {:?}: neither the county ({county_id}) nor a unit of units.csv",
                c[1]
            )));
        }
        let indicator = Indicator::parse(c[2]).map_err(at)?;
        let value = if c[3].is_empty() {
            None
        } else {
            let v: f64 = c[3]
                .parse()
                .map_err(|_| at(format!("value {:?} is not a number", c[3])))?;
            indicator.check_value(v).map_err(at)?;
            Some(v)
        };
        if let Some(prev) = out
            .iter()
            .find(|t| t.year == year && t.unit == c[1] && t.indicator == indicator)
        {
            return Err(at(format!(
                "{year} {} {indicator} appears twice (also line {})",
                c[1], prev.line
            )));
        }
        out.push(ProfileTarget {
            line,
            year,
            unit: c[1].to_owned(),
            indicator,
            value,
            note: c[4].to_owned(),
        });
    }
    Ok(out)
}

/// Records the profile's targets whose (year, unit, indicator) has no row yet (at first
/// start; what the bureau entered stays). Returns how many were recorded.
pub fn install_profile(county: &County, store: &Store, at_ms: i64) -> AppResult<usize> {
    let rows = parse_profile(&county.files.targets_csv, &county.profile.id, &county.units)
        .map_err(AppError::BadRequest)?;
    let new: Vec<NewTarget> = rows
        .into_iter()
        .map(|t| NewTarget {
            year: t.year,
            unit_id: t.unit,
            indicator: t.indicator,
            value: t.value,
            source: TargetSource::Profile,
            actor: "system".to_owned(),
            at_ms,
            note: t.note,
        })
        .collect();
    Ok(store.add_targets_if_absent(&new)?)
}

/// A unit a target may be set on: the city or a town, township or zone.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TargetUnit {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub is_city: bool,
}

/// The city first, then the towns, townships and zone of the store.
pub fn units(app: &App) -> AppResult<Vec<TargetUnit>> {
    let city = &app.county.profile.id;
    let mut out = Vec::new();
    for u in app.store.admin_units()? {
        if u.id == *city || u.kind.is_township_level() {
            out.push(TargetUnit {
                is_city: u.id == *city,
                id: u.id,
                name_zh: u.name_zh,
                name_en: u.name_en,
            });
        }
    }
    if !out.iter().any(|u| u.is_city) {
        let p = &app.county.profile;
        out.push(TargetUnit {
            id: p.id.clone(),
            name_zh: p.name_zh.clone(),
            name_en: p.name_en.clone(),
            is_city: true,
        });
    }
    out.sort_by_key(|u| !u.is_city);
    Ok(out)
}

fn unit_of(app: &App, id: &str) -> AppResult<TargetUnit> {
    units(app)?.into_iter().find(|u| u.id == id).ok_or_else(|| {
        AppError::NotFound(format!(
            "unit {id:?}: not the city ({}) nor a town, township or zone",
            app.county.profile.id
        ))
    })
}

/// Whether the caller reads a unit's targets and progress: the city's everyone; a
/// township's own for a township account; every unit for who sees internal verdicts.
fn sees_unit(app: &App, caller: &Caller, unit: &str) -> bool {
    if unit == app.county.profile.id {
        return true;
    }
    match caller.account() {
        Some(a) if a.role == Role::Township => a.unit_id.as_deref() == Some(unit),
        Some(_) => policy::sees_target_verdicts(caller),
        None => false,
    }
}

/// The caller's name if it may set targets and breakdowns (`policy::Act::EditTargets`).
fn may_edit(app: &App, caller: &Caller, object: &str) -> AppResult<String> {
    let decision = caller.require().and_then(|a| {
        if policy::acts(caller).contains(&policy::Act::EditTargets) {
            Ok(a.username.clone())
        } else {
            Err(AppError::Forbidden(
                "只有生态环境局可以设定目标和分解 / only the bureau sets targets and breakdowns"
                    .to_owned(),
            ))
        }
    });
    app.allow(caller, "target.set", object, decision)
}

fn check_year(year: i32) -> AppResult<()> {
    Span::of(year, None).map(|_| ())
}

/// A current target.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Target {
    pub year: i32,
    pub unit: String,
    pub name_zh: String,
    pub name_en: String,
    pub indicator: Indicator,
    pub indicator_zh: String,
    pub indicator_en: String,
    pub unit_of_value: &'static str,
    /// `None`: a 省定目标 whose number is not entered yet.
    pub value: Option<f64>,
    /// `profile`, `bureau`, or `county.json` (the fallback of the city's PM2.5).
    pub source: String,
    pub note: String,
    pub actor: String,
    pub at_ms: i64,
    /// The monthly breakdown's method, when one is stored.
    pub breakdown: Option<Method>,
}

/// The city's PM2.5 target when `county.json`'s was overridden at start-up
/// (`serve --target-pm25`): the value in force differs from the profile file's.
fn pm25_override(app: &App) -> Option<f64> {
    let in_force = app.county.profile.targets.pm25_ug_m3;
    let file: Option<f64> =
        serde_json::from_str::<serde_json::Value>(&app.county.files.county_json)
            .ok()
            .and_then(|v| v["targets"]["pm25_ug_m3"].as_f64());
    (file != Some(in_force)).then_some(in_force)
}

/// The current targets of `year` as stored, with the city's PM2.5 resolved: a target the
/// bureau entered; else `serve --target-pm25`; else the profile's `targets.csv`; else
/// `county.json`'s `targets.pm25_ug_m3`.
fn current(app: &App, year: i32) -> AppResult<Vec<TargetRow>> {
    let mut rows = app.store.targets(year)?;
    let city = app.county.profile.id.clone();
    let i = rows
        .iter()
        .position(|r| r.unit_id == city && r.indicator == Indicator::Pm25);
    let fallback = |value: f64, source: &str, note: String| TargetRow {
        id: 0,
        year,
        unit_id: city.clone(),
        indicator: Indicator::Pm25,
        value: Some(value),
        source: TargetSource::Profile,
        actor: source.to_owned(),
        at_ms: 0,
        note,
    };
    match (i, pm25_override(app)) {
        (Some(i), _) if rows[i].source == TargetSource::Bureau && rows[i].value.is_some() => {}
        (Some(i), Some(v)) => {
            rows[i] = fallback(v, "serve --target-pm25", "serve --target-pm25".to_owned());
        }
        (Some(i), None) if rows[i].value.is_some() => {}
        (i, o) => {
            let t = &app.county.profile.targets;
            let row = fallback(
                o.unwrap_or(t.pm25_ug_m3),
                "county.json",
                if o.is_some() {
                    "serve --target-pm25".to_owned()
                } else {
                    t.note.clone()
                },
            );
            match i {
                Some(i) => rows[i] = row,
                None => rows.insert(0, row),
            }
        }
    }
    Ok(rows)
}

/// The city's PM2.5 target of `year` (what the overview's "still allowed" reads).
pub fn city_pm25(app: &App, year: i32) -> AppResult<f64> {
    let city = &app.county.profile.id;
    Ok(current(app, year)?
        .into_iter()
        .find(|r| r.unit_id == *city && r.indicator == Indicator::Pm25)
        .and_then(|r| r.value)
        .unwrap_or(app.county.profile.targets.pm25_ug_m3))
}

fn source_name(r: &TargetRow) -> String {
    match (r.id, r.actor.as_str()) {
        (0, a) => a.to_owned(),
        _ => r.source.as_str().to_owned(),
    }
}

/// The current targets of `year` the caller reads (the city's: everyone).
pub fn list(app: &App, caller: &Caller, year: i32) -> AppResult<Vec<Target>> {
    check_year(year)?;
    let names: HashMap<String, TargetUnit> =
        units(app)?.into_iter().map(|u| (u.id.clone(), u)).collect();
    let breakdowns: HashMap<(String, Indicator), Method> = app
        .store
        .breakdowns(year)?
        .into_iter()
        .map(|b| ((b.unit_id, b.indicator), b.method))
        .collect();
    Ok(current(app, year)?
        .into_iter()
        .filter(|r| sees_unit(app, caller, &r.unit_id))
        .map(|r| {
            let n = names.get(&r.unit_id);
            Target {
                year,
                name_zh: n.map_or_else(|| r.unit_id.clone(), |n| n.name_zh.clone()),
                name_en: n.map_or_else(|| r.unit_id.clone(), |n| n.name_en.clone()),
                indicator_zh: r.indicator.name_zh(),
                indicator_en: r.indicator.name_en(),
                unit_of_value: r.indicator.unit(),
                value: r.value,
                source: source_name(&r),
                breakdown: breakdowns
                    .get(&(r.unit_id.clone(), r.indicator.clone()))
                    .copied(),
                note: r.note,
                actor: r.actor,
                at_ms: r.at_ms,
                unit: r.unit_id,
                indicator: r.indicator,
            }
        })
        .collect())
}

/// What the bureau sets.
#[derive(Clone, Debug, PartialEq)]
pub struct SetTarget {
    pub year: i32,
    pub unit: String,
    pub indicator: Indicator,
    /// `None`: a 省定目标 whose number is still to be entered.
    pub value: Option<f64>,
    pub note: String,
}

/// Sets a target (the bureau): a new version; the earlier ones stay in the history.
pub fn set(app: &App, caller: &Caller, t: &SetTarget) -> AppResult<TargetRow> {
    let object = format!("{}/{}/{}", t.year, t.unit, t.indicator);
    let actor = may_edit(app, caller, &object)?;
    check_year(t.year)?;
    unit_of(app, &t.unit)?;
    if let Some(v) = t.value {
        t.indicator.check_value(v).map_err(AppError::BadRequest)?;
    }
    let new = NewTarget {
        year: t.year,
        unit_id: t.unit.clone(),
        indicator: t.indicator.clone(),
        value: t.value,
        source: TargetSource::Bureau,
        actor,
        at_ms: app.clock.now_ms(),
        note: t.note.clone(),
    };
    let detail = format!(
        "{} {}",
        t.value
            .map_or_else(|| "省定目标待录入".to_owned(), |v| v.to_string()),
        t.note
    );
    let id = app.audited(caller, "target.set", &object, detail.trim(), || {
        Ok(app.store.add_target(&new)?)
    })?;
    Ok(TargetRow {
        id,
        year: new.year,
        unit_id: new.unit_id,
        indicator: new.indicator,
        value: new.value,
        source: new.source,
        actor: new.actor,
        at_ms: new.at_ms,
        note: new.note,
    })
}

/// Every version of the targets of `year` (optionally one unit's, one indicator's) the
/// caller reads, oldest first.
pub fn history(
    app: &App,
    caller: &Caller,
    year: i32,
    unit: Option<&str>,
    indicator: Option<&Indicator>,
) -> AppResult<Vec<TargetRow>> {
    check_year(year)?;
    if let Some(u) = unit
        && !sees_unit(app, caller, u)
    {
        return Err(policy::refusal(
            caller,
            "这个单位的目标 / this unit's targets",
        ));
    }
    Ok(app
        .store
        .target_history(year, unit, indicator)?
        .into_iter()
        .filter(|r| sees_unit(app, caller, &r.unit_id))
        .collect())
}

/// A monthly breakdown with what it implies.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Breakdown {
    pub year: i32,
    pub unit: String,
    pub indicator: Indicator,
    pub method: Method,
    /// January to December.
    pub months: [f64; 12],
    /// The year's value the months imply (day-weighted mean, or sum for counts).
    pub annual: f64,
    pub target: Option<f64>,
    /// Stored (`false`: the even split shown because none is stored).
    pub stored: bool,
}

fn target_of(app: &App, year: i32, unit: &str, ind: &Indicator) -> AppResult<Option<f64>> {
    Ok(current(app, year)?
        .into_iter()
        .find(|r| r.unit_id == unit && r.indicator == *ind)
        .and_then(|r| r.value))
}

/// Sets the monthly breakdown of a unit's target (the bureau): `even`, `seasonal` (from
/// the unit's last three years, `rules` and `view` choosing how they are assessed) or
/// `typed` (`values`: twelve months).
#[allow(clippy::too_many_arguments)]
pub fn breakdown(
    app: &App,
    caller: &Caller,
    year: i32,
    unit: &str,
    indicator: &Indicator,
    method: Method,
    values: &[f64],
    rules: RuleChoice,
    view: View,
) -> AppResult<Breakdown> {
    let object = format!("{year}/{unit}/{indicator}/breakdown");
    let actor = may_edit(app, caller, &object)?;
    check_year(year)?;
    unit_of(app, unit)?;
    let target = target_of(app, year, unit, indicator)?;
    let need_target = || {
        target.ok_or_else(|| {
            AppError::BadRequest(format!(
                "{year} {unit} {indicator}: no target with a number to break down; set one first"
            ))
        })
    };
    let months = match method {
        Method::Even => core::even(indicator, need_target()?, year),
        Method::Seasonal => {
            let hist = history_stats(app, unit, year, rules, view)?;
            let profile = core::profile(indicator, &hist);
            core::seasonal(indicator, need_target()?, year, &profile)
                .map_err(|e| AppError::BadRequest(format!("{unit}: {e}")))?
        }
        Method::Typed => core::typed(indicator, values).map_err(AppError::BadRequest)?,
    };
    let row = BreakdownRow {
        year,
        unit_id: unit.to_owned(),
        indicator: indicator.clone(),
        method,
        months,
        actor,
        at_ms: app.clock.now_ms(),
    };
    let detail = format!(
        "{} {}",
        method.as_str(),
        months
            .iter()
            .map(|v| format!("{v:.3}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    app.audited(caller, "target.breakdown", &object, &detail, || {
        Ok(app.store.set_breakdown(&row)?)
    })?;
    Ok(Breakdown {
        year,
        unit: unit.to_owned(),
        indicator: indicator.clone(),
        method,
        months,
        annual: core::annual_of(indicator, year, &months),
        target,
        stored: true,
    })
}

/// The monthly breakdowns of `year` the caller reads: the stored ones, and the even split
/// of every other target with a number.
pub fn breakdowns(app: &App, caller: &Caller, year: i32) -> AppResult<Vec<Breakdown>> {
    check_year(year)?;
    let stored = app.store.breakdowns(year)?;
    let mut out = Vec::new();
    for r in current(app, year)? {
        if !sees_unit(app, caller, &r.unit_id) {
            continue;
        }
        let b = stored
            .iter()
            .find(|b| b.unit_id == r.unit_id && b.indicator == r.indicator);
        let (method, months) = match (b, r.value) {
            (Some(b), _) => (b.method, b.months),
            (None, Some(v)) => (Method::Even, core::even(&r.indicator, v, year)),
            (None, None) => continue,
        };
        out.push(Breakdown {
            year,
            annual: core::annual_of(&r.indicator, year, &months),
            stored: b.is_some(),
            unit: r.unit_id,
            indicator: r.indicator,
            method,
            months,
            target: r.value,
        });
    }
    Ok(out)
}

/// A period's statistics from its assessment.
pub fn stats_of(a: Option<&Assessment>, days: u32) -> PeriodStats {
    match a {
        None => PeriodStats {
            days,
            ..PeriodStats::default()
        },
        Some(a) => {
            let s = a.stats(Pollutant::Pm25);
            PeriodStats {
                days,
                valid_days: a.valid_days,
                good_days: a.good_days,
                heavy_days: a.heavy_or_worse_days,
                pm25_mean: s.mean,
                pm25_days: s.n_valid_days - s.n_deducted_days,
                composite: a.composite.as_ref().map(|c| c.value),
            }
        }
    }
}

fn opts(rules: RuleChoice) -> AssessOptions {
    AssessOptions {
        rules,
        ..AssessOptions::default()
    }
}

/// The daily records of a unit (the city: its id) over `n` days from `first`; empty without
/// stations.
fn unit_days(
    app: &App,
    unit: &str,
    first: Date,
    n: usize,
    view: View,
) -> AppResult<Vec<DailyRecord>> {
    let scope = if unit == app.county.profile.id {
        Scope::City
    } else {
        Scope::Unit(unit.to_owned())
    };
    match stations_of(app, &scope) {
        Ok(stations) => crate::days::load(app, &stations, first, n, view),
        Err(AppError::NotFound(_)) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// The monthly statistics of the unit's [`HISTORY_YEARS`] years before `year`.
fn history_stats(
    app: &App,
    unit: &str,
    year: i32,
    rules: RuleChoice,
    view: View,
) -> AppResult<Vec<[PeriodStats; 12]>> {
    let mut out = Vec::new();
    for y in year - HISTORY_YEARS..year {
        let Some(first) = Date::new(y, 1, 1) else {
            continue;
        };
        let days = unit_days(app, unit, first, days_in_year(y) as usize, view)?;
        if days.is_empty() {
            continue;
        }
        let mut start = 0;
        let months: [PeriodStats; 12] = std::array::from_fn(|m| {
            let n = days_in_month(y, m as u32 + 1) as usize;
            let slice = &days[start.min(days.len())..(start + n).min(days.len())];
            start += n;
            stats_of(assess(slice, &opts(rules)).as_ref(), n as u32)
        });
        if months.iter().any(|m| m.valid_days > 0) {
            out.push(months);
        }
    }
    Ok(out)
}

/// One unit's progress on one indicator.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Progress {
    pub unit: String,
    pub name_zh: String,
    pub name_en: String,
    pub indicator: lantian_core::targets::Indicator,
    pub target_year: Option<f64>,
    pub target_month: Option<f64>,
    pub actual_month: Option<f64>,
    pub target_ytd: Option<f64>,
    pub actual_ytd: Option<f64>,
    /// None when there is no target or no valid data.
    pub met_month: Option<bool>,
    pub met_ytd: Option<bool>,
    pub still_allowed: Option<f64>,
    pub projection_year_end: Option<f64>,
    pub valid_days_month: u32,
    pub days_month: u32,
    pub rule_set: Option<&'static str>,
    pub view: View,
    /// The last day counted (the month's end, or today in the current month).
    pub through: Date,
    pub valid_days_ytd: u32,
    pub days_ytd: u32,
    /// The breakdown the month's and year-to-date targets come from (`even` when none is
    /// stored).
    pub breakdown: Option<Method>,
    pub unit_of_value: &'static str,
    /// Whether the rest of the year can still meet the target (`None`: not computed).
    pub reachable: Option<bool>,
    pub still_allowed_zh: Option<String>,
    pub still_allowed_en: Option<String>,
    pub projection_assumptions_zh: Option<String>,
    pub projection_assumptions_en: Option<String>,
    /// The year spans the 2026 rule change (2026-03-01): it can be assessed under either
    /// rule set (`rules` 2012 or 2026); this answer is under `rule_set`.
    pub rule_change_in_year: bool,
    pub rules: RuleChoice,
    /// In a year across the rule change, the year to date under the other rule set too:
    /// so a year assessed under both shows both.
    pub other_rules: Option<OtherRules>,
}

/// The year to date of a unit under the rule set an answer was not given in.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OtherRules {
    pub rule_set: &'static str,
    pub actual_ytd: Option<f64>,
    pub met_ytd: Option<bool>,
    pub valid_days_ytd: u32,
}

/// The last day counted for `month` of `year` (its end, or today in the current month):
/// a month after today is refused.
fn through(app: &App, year: i32, month: u32) -> AppResult<Date> {
    let span = Span::of(year, Some(month))?;
    let today = app.clock.today();
    let last = span.first.add_days(span.n_days as i64 - 1);
    if span.first > today {
        return Err(AppError::BadRequest(format!(
            "{year}-{month:02} has not begun (today is {today}, 北京时间)"
        )));
    }
    Ok(if last > today { today } else { last })
}

/// Every unit's (the city, each town/township/zone) progress on every indicator with a
/// target in `year`, for the month `month` and the year to the end of that month (or to
/// today, if the month is the current one), under `rules`.
pub fn progress(
    app: &App,
    caller: &Caller,
    year: i32,
    month: u32,
    rules: RuleChoice,
    view: View,
) -> AppResult<Vec<Progress>> {
    let through = through(app, year, month)?;
    let verdicts = policy::sees_target_verdicts(caller);
    let targets = current(app, year)?;
    let stored: HashMap<(String, Indicator), BreakdownRow> = app
        .store
        .breakdowns(year)?
        .into_iter()
        .map(|b| ((b.unit_id.clone(), b.indicator.clone()), b))
        .collect();
    let first =
        Date::new(year, 1, 1).ok_or_else(|| AppError::BadRequest(format!("year {year}")))?;
    let n_ytd = (through.days_since_epoch() - first.days_since_epoch() + 1) as usize;
    let day = through.day();
    let month_start = n_ytd - day as usize;
    let remaining = days_in_year(year) - n_ytd as u32;
    let rule_change_in_year = editions_2026_in_force().year() == year;
    let mut out = Vec::new();
    for u in units(app)? {
        if !sees_unit(app, caller, &u.id) {
            continue;
        }
        let mine: Vec<&TargetRow> = targets.iter().filter(|r| r.unit_id == u.id).collect();
        if mine.is_empty() {
            continue;
        }
        let days = unit_days(app, &u.id, first, n_ytd, view)?;
        let a_ytd = assess(&days, &opts(rules));
        let a_month = days
            .get(month_start..)
            .and_then(|d| assess(d, &opts(rules)));
        let ytd = stats_of(a_ytd.as_ref(), n_ytd as u32);
        // The other rule set's year to date, in a year across the change.
        let other = a_ytd
            .as_ref()
            .filter(|_| rule_change_in_year)
            .and_then(|a| {
                let other = if a.rule_set.aqi == lantian_core::rules::AqiEdition::Hj633_2026 {
                    RuleChoice::Era2012
                } else {
                    RuleChoice::Era2026
                };
                assess(&days, &opts(other))
            });
        let ytd_other = other
            .as_ref()
            .map(|a| (a.rule_set.id(), stats_of(Some(a), n_ytd as u32)));
        let mtd = stats_of(a_month.as_ref(), day);
        let needs_history = mine.iter().any(|r| r.value.is_some()) && remaining > 0;
        let hist = if needs_history {
            history_stats(app, &u.id, year, rules, view)?
        } else {
            Vec::new()
        };
        for r in mine {
            let ind = &r.indicator;
            let b = stored.get(&(u.id.clone(), ind.clone()));
            let months = match (b, r.value) {
                (Some(b), _) => Some(b.months),
                (None, Some(v)) => Some(core::even(ind, v, year)),
                (None, None) => None,
            };
            let target_month = months.map(|m| core::month_to_date(ind, year, &m, month, day));
            let target_ytd = months.map(|m| core::to_date(ind, year, &m, month, day));
            // Reported as the standard rounds them, and judged so.
            let actual_month = mtd.value(ind).map(|v| ind.reported(v));
            let actual_ytd = ytd.value(ind).map(|v| ind.reported(v));
            let still = r
                .value
                .filter(|_| verdicts)
                .and_then(|t| core::still_allowed(ind, t, &ytd, remaining));
            let projection = (verdicts && r.value.is_some())
                .then(|| core::projection(ind, year, &ytd, month, day, &core::profile(ind, &hist)))
                .flatten();
            out.push(Progress {
                unit: u.id.clone(),
                name_zh: u.name_zh.clone(),
                name_en: u.name_en.clone(),
                indicator: ind.clone(),
                target_year: r.value,
                target_month,
                actual_month,
                target_ytd,
                actual_ytd,
                met_month: target_month
                    .filter(|_| verdicts)
                    .and_then(|t| ind.met(actual_month, t)),
                met_ytd: target_ytd
                    .filter(|_| verdicts)
                    .and_then(|t| ind.met(actual_ytd, t)),
                still_allowed: still.as_ref().map(|s| s.value),
                projection_year_end: projection.as_ref().map(|p| p.value),
                valid_days_month: mtd.valid_days,
                days_month: day,
                rule_set: a_ytd.as_ref().map(|a| a.rule_set.id()),
                view,
                through,
                valid_days_ytd: ytd.valid_days,
                days_ytd: n_ytd as u32,
                breakdown: months.map(|_| b.map_or(Method::Even, |b| b.method)),
                unit_of_value: ind.unit(),
                reachable: still.as_ref().map(|s| s.reachable),
                still_allowed_zh: still.as_ref().map(|s| s.text_zh.clone()),
                still_allowed_en: still.as_ref().map(|s| s.text_en.clone()),
                projection_assumptions_zh: projection.as_ref().map(|p| p.assumptions_zh.clone()),
                projection_assumptions_en: projection.as_ref().map(|p| p.assumptions_en.clone()),
                rule_change_in_year,
                rules,
                other_rules: ytd_other.as_ref().map(|(id, st)| OtherRules {
                    rule_set: id,
                    actual_ytd: st.value(ind).map(|v| ind.reported(v)),
                    met_ytd: target_ytd
                        .filter(|_| verdicts)
                        .and_then(|t| ind.met(st.value(ind).map(|v| ind.reported(v)), t)),
                    valid_days_ytd: st.valid_days,
                }),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::county::Files;

    #[test]
    fn xinjis_targets_csv_loads_with_the_city_and_every_township_for_2024_to_2026() {
        let c = County::xinji();
        let rows = parse_profile(&c.files.targets_csv, &c.profile.id, &c.units).unwrap();
        for year in 2024..=2026 {
            let of_year: Vec<&ProfileTarget> = rows.iter().filter(|r| r.year == year).collect();
            let pm: Vec<&&ProfileTarget> = of_year
                .iter()
                .filter(|r| r.indicator == Indicator::Pm25)
                .collect();
            assert_eq!(pm.len(), 17, "{year}: the city and 16 units");
            assert!(pm.iter().all(|r| r.value == Some(35.0)));
            assert!(of_year.iter().any(|r| r.unit == c.profile.id
                && r.indicator == Indicator::HeavyDayRatio
                && r.value.is_none()
                && r.note.contains("省定目标")));
        }
        assert!(
            rows.iter()
                .any(|r| r.indicator == Indicator::Provincial("M09".into()))
        );
    }

    #[test]
    fn a_bad_targets_csv_is_named_with_its_line_and_reason() {
        let c = County::xinji();
        let cases = [
            (
                "year,unit,indicator,value\n",
                "targets.csv:1: header must be",
            ),
            (
                "year,unit,indicator,value,note\n1999,130181,pm25,35,\n",
                "targets.csv:2: year \"1999\"",
            ),
            (
                "year,unit,indicator,value,note\n2025,nowhere,pm25,35,\n",
                "targets.csv:2: unit \"nowhere\"",
            ),
            (
                "year,unit,indicator,value,note\n2025,130181,so2,35,\n",
                "targets.csv:2: indicator \"so2\"",
            ),
            (
                "year,unit,indicator,value,note\n2025,130181,pm25,abc,\n",
                "targets.csv:2: value \"abc\"",
            ),
            (
                "year,unit,indicator,value,note\n2025,130181,good_day_ratio,101,\n",
                "targets.csv:2: value 101",
            ),
            (
                "year,unit,indicator,value,note\n2025,wangkou,pm25,35,\n\n2025,wangkou,pm25,30,\n",
                "targets.csv:4: 2025 wangkou pm25 appears twice (also line 2)",
            ),
            (
                "year,unit,indicator,value,note\n2025,130181,pm25\n",
                "targets.csv:2: 3 cells",
            ),
        ];
        for (text, want) in cases {
            let e = parse_profile(text, &c.profile.id, &c.units).unwrap_err();
            assert!(e.starts_with(want), "{want}: {e}");
            let mut files = Files::xinji();
            files.targets_csv = text.to_owned();
            let e = County::from_files(files).unwrap_err();
            assert!(e.starts_with(want), "from_files: {want}: {e}");
        }
        assert!(parse_profile("", "130181", &c.units).unwrap().is_empty());
    }
}
