//! Assessments (HJ 663), the township ranking and this year's target: from audited data
//! unless the caller asks for raw.

use crate::caller::policy;
use crate::data::{Hours, Scope, stations_for, stations_of};
use crate::error::{AppError, AppResult};
use crate::{App, Caller};
use lantian_core::allowance::{Allowance, TargetReading, still_allowed};
use lantian_core::assess::{AssessOptions, Assessment, assess, competition_ranks};
use lantian_core::pollutant::Pollutant;
use lantian_core::rules::RuleChoice;
use lantian_core::{Date, Month};
use lantian_store::View;
use serde::Serialize;

/// A month of a year, or the whole year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub first: Date,
    pub n_days: usize,
}

impl Span {
    /// Years 2000–2100; months 1–12.
    pub fn of(year: i32, month: Option<u32>) -> AppResult<Span> {
        let bad = || AppError::BadRequest("year must be 2000-2100 and month 1-12".to_owned());
        if !(2000..=2100).contains(&year) {
            return Err(bad());
        }
        match month {
            Some(m) => {
                let m = Month::new(year, m).ok_or_else(bad)?;
                Ok(Span {
                    first: m.first_day(),
                    n_days: m.n_days() as usize,
                })
            }
            None => Ok(Span {
                first: Date::new(year, 1, 1).ok_or_else(bad)?,
                n_days: lantian_core::date::days_in_year(year) as usize,
            }),
        }
    }
}

/// The assessment of a scope's stations over a span, or `None` without data.
pub fn assess_scope(
    app: &App,
    scope: &Scope,
    span: Span,
    rules: RuleChoice,
    view: View,
) -> AppResult<Option<Assessment>> {
    let stations = stations_of(app, scope)?;
    let days = Hours::load(app, stations, span.first, span.n_days, view)?.days();
    Ok(assess(
        &days,
        &AssessOptions {
            rules,
            ..AssessOptions::default()
        },
    ))
}

/// The answer to "how is the city (or a unit) doing": the assessment and what it is of.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScopeAssessment {
    pub scope: String,
    pub first_day: Date,
    pub days: usize,
    pub view: View,
    pub assessment: Option<Assessment>,
}

/// The assessment of a scope the caller sees the data of (the city's: everyone).
pub fn assessment(
    app: &App,
    caller: &Caller,
    scope: &Scope,
    span: Span,
    rules: RuleChoice,
    view: View,
) -> AppResult<ScopeAssessment> {
    stations_for(app, caller, scope)?;
    Ok(ScopeAssessment {
        scope: scope.to_string(),
        first_day: span.first,
        days: span.n_days,
        view,
        assessment: assess_scope(app, scope, span, rules, view)?,
    })
}

/// A town, township or zone in the ranking.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RankRow {
    /// 1 is the cleanest; equal composite indexes share a rank; units without one come last.
    pub rank: u32,
    pub unit: String,
    pub name_zh: String,
    pub name_en: String,
    pub composite_index: Option<f64>,
    pub pm25: Option<f64>,
    pub pm10: Option<f64>,
    /// Per cent, one decimal.
    pub good_day_ratio: Option<f64>,
    pub valid_days: u32,
    pub rule_set: &'static str,
    pub view: View,
}

/// Towns, townships and zones with stations, ranked by composite index.
pub fn rankings(app: &App, span: Span, rules: RuleChoice, view: View) -> AppResult<Vec<RankRow>> {
    let stations = app.store.stations()?;
    let mut rows = Vec::new();
    for u in app
        .store
        .admin_units()?
        .into_iter()
        .filter(|u| u.kind.is_township_level())
    {
        let scope = Scope::Unit(u.id.clone());
        let mine = scope.select(&stations);
        if mine.is_empty() {
            continue;
        }
        let days = Hours::load(app, mine, span.first, span.n_days, view)?.days();
        let opts = AssessOptions {
            rules,
            ..AssessOptions::default()
        };
        // A unit without a valid day has nothing to rank.
        let Some(a) = assess(&days, &opts).filter(|a| a.valid_days > 0) else {
            continue;
        };
        rows.push(RankRow {
            rank: 0,
            unit: u.id,
            name_zh: u.name_zh,
            name_en: u.name_en,
            composite_index: a.composite.as_ref().map(|c| c.reported),
            pm25: a.stats(Pollutant::Pm25).mean_reported,
            pm10: a.stats(Pollutant::Pm10).mean_reported,
            good_day_ratio: a.good_day_ratio.map(|r| (r * 1000.0).round() / 10.0),
            valid_days: a.valid_days,
            rule_set: a.rule_set.id(),
            view,
        });
    }
    let ranks = competition_ranks(&rows.iter().map(|r| r.composite_index).collect::<Vec<_>>());
    for (r, rank) in rows.iter_mut().zip(ranks) {
        r.rank = rank;
    }
    rows.sort_by_key(|r| r.rank);
    Ok(rows)
}

/// This year's PM2.5 against the county's target.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TargetProgress {
    pub year: i32,
    pub today: Date,
    pub target_pm25: f64,
    pub pm25_mean_so_far: Option<f64>,
    pub valid_days: u32,
    pub days_remaining: u32,
    /// The highest mean the rest of the year may have, or that the target is out of reach:
    /// an internal verdict, `null` for the public and enterprises.
    pub allowed: Option<Allowance>,
    pub heavy_or_worse_days: u32,
    pub rule_set: Option<&'static str>,
    pub view: View,
}

/// This year's PM2.5 so far (the city's, public) against the target; the verdict only for
/// who sees internal verdicts (`policy::sees_target_verdicts`).
pub fn targets(app: &App, caller: &Caller, view: View) -> AppResult<TargetProgress> {
    let today = app.clock.today();
    let target = app.county.profile.targets.pm25_ug_m3;
    let first = Date::new(today.year(), 1, 1).unwrap_or(today);
    let n_so_far = (today.days_since_epoch() - first.days_since_epoch() + 1) as usize;
    let a = match stations_of(app, &Scope::City) {
        Ok(stations) => {
            let days = Hours::load(app, stations, first, n_so_far, view)?.days();
            assess(&days, &AssessOptions::default())
        }
        Err(AppError::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    let remaining = lantian_core::date::days_in_year(today.year()) - n_so_far as u32;
    let (mean, valid, heavy) = match &a {
        Some(a) => {
            let s = a.stats(Pollutant::Pm25);
            (
                s.mean,
                s.n_valid_days - s.n_deducted_days,
                a.heavy_or_worse_days,
            )
        }
        None => (None, 0, 0),
    };
    Ok(TargetProgress {
        year: today.year(),
        today,
        target_pm25: target,
        pm25_mean_so_far: mean.map(|m| (m * 10.0).round() / 10.0),
        valid_days: valid,
        days_remaining: remaining,
        allowed: mean
            .filter(|_| policy::sees_target_verdicts(caller))
            .map(|m| still_allowed(target, m, valid, remaining, TargetReading::Exact)),
        heavy_or_worse_days: heavy,
        rule_set: a.as_ref().map(|a| a.rule_set.id()),
        view,
    })
}
