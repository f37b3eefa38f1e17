//! The township assessment (乡镇考核排名): every town, township and zone of the county ranked
//! under a named method (`lantian_core::assess::ranking`) for a month or a year, with the
//! figures, 同比 (same period last year), 环比 (previous month), coverage and rule set; units
//! without a station or without valid data are listed after the ranked ones, with the reason.

use crate::assessment::Span;
use crate::data::Scope;
use crate::error::AppResult;
use crate::{App, Caller};
use lantian_core::assess::ranking::{self, Config, Figures, Method, Unranked};
use lantian_core::assess::{AssessOptions, Assessment, assess};
use lantian_core::pollutant::Pollutant;
use lantian_core::rules::RuleChoice;
use lantian_core::{Date, Month};
use lantian_store::{Station, View};
use serde::Serialize;

/// One unit in the ranking.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TownRow {
    /// 1 is the best; equal figures share a rank (1, 2, 2, 4); `null` for units listed last.
    pub rank: Option<u32>,
    pub unit: String,
    pub name_zh: String,
    pub name_en: String,
    pub kind: &'static str,
    /// Ambient stations of the unit (micro sensors excepted).
    pub stations: u32,
    /// The method's figure (for the weighted score: the score).
    pub value: Option<f64>,
    /// The concentration figure the method rests on (composite index, PM2.5 + SO2, PM2.5; the
    /// improvement's basis; the weighted score's composite index), now, a year before and
    /// a month before (`null` for a year's ranking).
    pub figure: Option<f64>,
    pub figure_last_year: Option<f64>,
    pub figure_previous_month: Option<f64>,
    /// 同比 and 环比, per cent with one decimal: positive when the figure rose.
    pub yoy_pct: Option<f64>,
    pub mom_pct: Option<f64>,
    pub composite_index: Option<f64>,
    pub pm25: Option<f64>,
    pub pm10: Option<f64>,
    pub so2: Option<f64>,
    /// Per cent, one decimal.
    pub good_day_ratio: Option<f64>,
    /// Days with a valid daily AQI, of `days` (the period's days up to today).
    pub valid_days: u32,
    pub days: u32,
    /// `valid_days / days`, per cent with one decimal.
    pub coverage_pct: Option<f64>,
    pub rule_set: Option<&'static str>,
    pub unranked: Option<Unranked>,
    pub reason_zh: Option<&'static str>,
    pub reason_en: Option<&'static str>,
}

/// A ranking with what it is: the period, the method and its formula, the data's view.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ranking {
    /// `2026-11` or `2026`.
    pub period: String,
    pub year: i32,
    pub month: Option<u32>,
    pub method: Method,
    pub method_zh: &'static str,
    pub method_en: &'static str,
    pub formula_zh: String,
    pub formula_en: String,
    pub config: Config,
    pub rules: RuleChoice,
    pub view: View,
    /// Ranked units first, by rank; then the others, in the county's order.
    pub rows: Vec<TownRow>,
}

/// One period's assessment of a unit's stations, or `None` without a valid day.
fn assess_stations(
    app: &App,
    stations: &[Station],
    span: Span,
    rules: RuleChoice,
    view: View,
) -> AppResult<Option<Assessment>> {
    if stations.is_empty() {
        return Ok(None);
    }
    let days = crate::days::load(app, stations, span.first, span.n_days, view)?;
    let opts = AssessOptions {
        rules,
        ..AssessOptions::default()
    };
    Ok(assess(&days, &opts).filter(|a| a.valid_days > 0))
}

fn mean(a: &Option<Assessment>, p: Pollutant) -> Option<f64> {
    a.as_ref().and_then(|a| a.stats(p).mean_reported)
}

fn composite(a: &Option<Assessment>) -> Option<f64> {
    a.as_ref()
        .and_then(|a| a.composite.as_ref().map(|c| c.reported))
}

/// The figure a method's 同比 and 环比 compare.
fn base_figure(f: &Figures, c: &Config) -> Option<f64> {
    let m = match c.method {
        Method::Improvement => match c.basis {
            ranking::Basis::Pm25 => Method::Pm25,
            ranking::Basis::CompositeIndex => Method::CompositeIndex,
        },
        Method::Weighted => Method::CompositeIndex,
        m => m,
    };
    ranking::figure(f, m, c.basis).ok()
}

/// The same span a year earlier (February keeps its own length).
fn year_before(year: i32, month: Option<u32>) -> AppResult<Span> {
    Span::of(year - 1, month)
}

/// The previous month of a month's span.
fn month_before(year: i32, month: u32) -> Option<Month> {
    if month == 1 {
        Month::new(year - 1, 12)
    } else {
        Month::new(year, month - 1)
    }
}

/// The days of `span` up to `today` (all of them for a past period, none for a future one).
fn days_so_far(span: Span, today: Date) -> u32 {
    let elapsed = today.days_since_epoch() - span.first.days_since_epoch() + 1;
    elapsed.clamp(0, span.n_days as i64) as u32
}

/// Every town, township and zone ranked under `config` for a month (or the year when
/// `month` is `None`). The figures are public as the published ranking is (docs/access.md),
/// so every caller gets the same answer.
pub fn ranking(
    app: &App,
    caller: &Caller,
    year: i32,
    month: Option<u32>,
    config: &Config,
    rules: RuleChoice,
    view: View,
) -> AppResult<Ranking> {
    ranking_within(app, caller, None, year, month, config, rules, view)
}

/// [`ranking`] of the towns, townships and zones whose parent unit is `parent` (one county
/// of a store that holds several, as a province's does: `lantian bench province`); every
/// one of them when `None`.
#[allow(clippy::too_many_arguments)]
pub fn ranking_within(
    app: &App,
    _caller: &Caller,
    parent: Option<&str>,
    year: i32,
    month: Option<u32>,
    config: &Config,
    rules: RuleChoice,
    view: View,
) -> AppResult<Ranking> {
    config
        .weights
        .check()
        .map_err(crate::error::AppError::BadRequest)?;
    let span = Span::of(year, month)?;
    let last_year = year_before(year, month)?;
    let previous = match month.and_then(|m| month_before(year, m)) {
        Some(m) => Some(Span::of(m.year(), Some(m.month()))?),
        None => None,
    };
    let today = app.clock.today();
    let all_stations = app.store.stations()?;
    let units: Vec<_> = app
        .store
        .admin_units()?
        .into_iter()
        .filter(|u| {
            u.kind.is_township_level() && parent.is_none_or(|p| u.parent_id.as_deref() == Some(p))
        })
        .collect();
    let mut figures = Vec::with_capacity(units.len());
    let mut partial = Vec::with_capacity(units.len());
    for u in &units {
        let mine = Scope::Unit(u.id.clone()).select(&all_stations);
        let now = assess_stations(app, &mine, span, rules, view)?;
        let before = assess_stations(app, &mine, last_year, rules, view)?;
        let f = Figures {
            has_station: !mine.is_empty(),
            composite_index: composite(&now),
            pm25: mean(&now, Pollutant::Pm25),
            so2: mean(&now, Pollutant::So2),
            composite_index_last_year: composite(&before),
            pm25_last_year: mean(&before, Pollutant::Pm25),
        };
        let prev = match previous {
            Some(p) => {
                let a = assess_stations(app, &mine, p, rules, view)?;
                base_figure(
                    &Figures {
                        has_station: f.has_station,
                        composite_index: composite(&a),
                        pm25: mean(&a, Pollutant::Pm25),
                        so2: mean(&a, Pollutant::So2),
                        ..Figures::default()
                    },
                    config,
                )
            }
            None => None,
        };
        let last = base_figure(
            &Figures {
                has_station: f.has_station,
                composite_index: f.composite_index_last_year,
                pm25: f.pm25_last_year,
                so2: mean(&before, Pollutant::So2),
                ..Figures::default()
            },
            config,
        );
        let days = days_so_far(span, today);
        let valid_days = now.as_ref().map_or(0, |a| a.valid_days);
        let figure = base_figure(&f, config);
        partial.push(TownRow {
            rank: None,
            unit: u.id.clone(),
            name_zh: u.name_zh.clone(),
            name_en: u.name_en.clone(),
            kind: u.kind.as_str(),
            stations: mine.len() as u32,
            value: None,
            figure,
            figure_last_year: last,
            figure_previous_month: prev,
            yoy_pct: ranking::change_pct(figure, last),
            mom_pct: ranking::change_pct(figure, prev),
            composite_index: f.composite_index,
            pm25: f.pm25,
            pm10: mean(&now, Pollutant::Pm10),
            so2: f.so2,
            good_day_ratio: now
                .as_ref()
                .and_then(|a| a.good_day_ratio)
                .map(|r| (r * 1000.0).round() / 10.0),
            valid_days,
            days,
            coverage_pct: (days > 0)
                .then(|| (f64::from(valid_days) / f64::from(days) * 1000.0).round() / 10.0),
            rule_set: now.as_ref().map(|a| a.rule_set.id()),
            unranked: None,
            reason_zh: None,
            reason_en: None,
        });
        figures.push(f);
    }
    let placed = ranking::rank(&figures, config);
    let mut rows: Vec<TownRow> = partial
        .into_iter()
        .zip(placed)
        .map(|(mut r, p)| {
            r.rank = p.rank;
            r.value = p.value;
            r.unranked = p.unranked;
            r.reason_zh = p.unranked.map(Unranked::zh);
            r.reason_en = p.unranked.map(Unranked::en);
            r
        })
        .collect();
    // Stable: the unranked keep the county's order after every ranked unit.
    rows.sort_by_key(|r| r.rank.unwrap_or(u32::MAX));
    Ok(Ranking {
        period: month.map_or_else(|| year.to_string(), |m| format!("{year:04}-{m:02}")),
        year,
        month,
        method: config.method,
        method_zh: config.method.name_zh(),
        method_en: config.method.name_en(),
        formula_zh: config.method.formula_zh(config),
        formula_en: config.method.formula_en(config),
        config: *config,
        rules,
        view,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_days_so_far_stop_at_today_and_the_previous_month_crosses_the_year() {
        let span = Span::of(2026, Some(11)).unwrap();
        for (today, want) in [
            (Date::new(2026, 10, 31).unwrap(), 0),
            (Date::new(2026, 11, 1).unwrap(), 1),
            (Date::new(2026, 11, 20).unwrap(), 20),
            (Date::new(2027, 1, 1).unwrap(), 30),
        ] {
            assert_eq!(days_so_far(span, today), want, "{today}");
        }
        assert_eq!(month_before(2026, 1), Month::new(2025, 12));
        assert_eq!(month_before(2026, 3), Month::new(2026, 2));
    }
}
