//! Assessments (HJ 663), the township ranking and this year's target: from audited data
//! unless the caller asks for raw.

use crate::caller::policy;
use crate::data::{Scope, stations_for, stations_of};
use crate::error::{AppError, AppResult};
use crate::{App, Caller};
use lantian_core::allowance::{Allowance, TargetReading, still_allowed};
use lantian_core::assess::{AssessOptions, Assessment, assess};
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
    let days = crate::days::load(app, &stations, span.first, span.n_days, view)?;
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

/// Towns, townships and zones ranked by composite index (the published ranking): every unit,
/// those without a station or without valid data listed last without a rank; see
/// [`crate::township::ranking`] for the other methods.
pub fn rankings(
    app: &App,
    caller: &Caller,
    year: i32,
    month: Option<u32>,
    method: &lantian_core::assess::ranking::Config,
    rules: RuleChoice,
    view: View,
) -> AppResult<crate::township::Ranking> {
    crate::township::ranking(app, caller, year, month, method, rules, view)
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

/// This year's PM2.5 so far (the city's, public) against the city's target of the year
/// (`targets::city_pm25`); the verdict only for who sees internal verdicts
/// (`policy::sees_target_verdicts`).
pub fn targets(app: &App, caller: &Caller, view: View) -> AppResult<TargetProgress> {
    let today = app.clock.today();
    // The stored target of the city for the year (the bureau's, else the profile's).
    let target = crate::targets::city_pm25(app, today.year())?;
    let first = Date::new(today.year(), 1, 1).unwrap_or(today);
    let n_so_far = (today.days_since_epoch() - first.days_since_epoch() + 1) as usize;
    let a = match stations_of(app, &Scope::City) {
        Ok(stations) => {
            let days = crate::days::load(app, &stations, first, n_so_far, view)?;
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
