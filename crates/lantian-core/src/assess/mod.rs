//! Period assessment per HJ 663: statistics, compliance, day counts and the composite index.
//!
//! Statistics are computed from unrounded daily values; each reported figure is then
//! rounded once (GB/T 8170: integers, CO to 1 decimal). A period statistic uses the rule
//! set in force at the period's end (spec §9 Q11); each day's AQI uses its own date's rules,
//! from the day's concentrations rounded as [`AssessOptions::daily_rounding`] says (by
//! default GB/T 8170 in both eras: docs/findings.md F6).

pub mod ranking;

use crate::aqi::{self, AqiOptions, ConcentrationRounding, Level};
use crate::date::{Date, days_in_year};
use crate::decimal::round_half_even;
use crate::limits::{self, Averaging, Grade};
use crate::percentile::percentile;
use crate::pollutant::{Pollutant, PollutantSet};
use crate::rules::{RuleChoice, RuleSet};
use crate::series::DailyRecord;
use crate::validity::{YearValidity, year_validity};
use serde::{Deserialize, Serialize};

/// Weights of the composite index (环境空气质量综合指数).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum CompositeWeights {
    /// Σ C_i / S_i over the six pollutants (the verified formula; default).
    #[default]
    Equal,
    /// PM2.5 × 3, NO2 × 2, O3 × 2, others × 1: claimed for HJ 663-2026 by one third-party
    /// implementation, unverified (spec §4.7). `divide_by_weight_sum` states the variant.
    Weighted { divide_by_weight_sum: bool },
}

impl CompositeWeights {
    fn weight(self, p: Pollutant) -> f64 {
        match (self, p) {
            (CompositeWeights::Equal, _) => 1.0,
            (CompositeWeights::Weighted { .. }, Pollutant::Pm25) => 3.0,
            (CompositeWeights::Weighted { .. }, Pollutant::No2 | Pollutant::O3) => 2.0,
            (CompositeWeights::Weighted { .. }, _) => 1.0,
        }
    }
}

/// Choices of an assessment.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssessOptions {
    pub rules: RuleChoice,
    pub composite: CompositeWeights,
    /// Deduct days flagged as sand/dust or exceptional events from PM statistics and the
    /// composite index (the day ratios keep them, spec §4.6).
    pub deduct_exceptional: bool,
    /// Rounding of each day's concentrations before its daily AQI (the day counts): `None`
    /// takes the default of the day's AQI edition ([`AqiOptions::daily_rounding`], GB/T 8170
    /// in both eras since finding F6); `Some(AsReceived)` gives Lantian's earlier counts.
    pub daily_rounding: Option<ConcentrationRounding>,
}

impl Default for AssessOptions {
    fn default() -> AssessOptions {
        AssessOptions {
            rules: RuleChoice::Auto,
            composite: CompositeWeights::Equal,
            deduct_exceptional: true,
            daily_rounding: None,
        }
    }
}

/// The percentile that HJ 663 compares with the daily limit, per pollutant.
pub const fn percentile_rank(p: Pollutant) -> f64 {
    match p {
        Pollutant::So2 | Pollutant::No2 => 98.0,
        Pollutant::Pm10 | Pollutant::Pm25 | Pollutant::Co => 95.0,
        Pollutant::O3 => 90.0,
    }
}

/// Statistics of one pollutant over the period.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PollutantStats {
    pub pollutant: Pollutant,
    pub n_valid_days: u32,
    /// Mean of the daily values (for O3: of MDA8), unrounded.
    pub mean: Option<f64>,
    /// The HJ 663 percentile of the daily values (SO2/NO2 P98, PM P95, CO P95, O3 MDA8 P90).
    pub percentile: Option<f64>,
    pub percentile_rank: f64,
    /// `mean` and `percentile` rounded for reporting (GB/T 8170).
    pub mean_reported: Option<f64>,
    pub percentile_reported: Option<f64>,
    /// Days deducted as sand/dust or exceptional events (PM only).
    pub n_deducted_days: u32,
    /// Annual validity (SO2, NO2, PM10, PM2.5 over a calendar year); `None` otherwise.
    pub year_validity: Option<YearValidity>,
    /// Against the Grade II limits in force: `None` when not a calendar year or no data.
    pub compliant: Option<bool>,
}

/// The composite index with its parts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CompositeIndex {
    pub weights: CompositeWeights,
    /// Unrounded (≥ 3 decimals kept; spec §9 Q3).
    pub value: f64,
    /// Rounded to 2 decimals (GB/T 8170) for display and ranking.
    pub reported: f64,
    /// I_i = C_i / S_i by [`Pollutant::index`].
    pub single: [f64; 6],
    /// The pollutant(s) with the largest I_i (主要污染物).
    pub main: PollutantSet,
}

/// An assessment of a station or a city over a period.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assessment {
    pub rule_set: RuleSet,
    /// The rounding the day counts used (of the period end's edition when not overridden).
    pub daily_rounding: ConcentrationRounding,
    pub first_day: Date,
    pub last_day: Date,
    pub calendar_days: u32,
    /// Days with a valid daily AQI: the denominator of the ratios.
    pub valid_days: u32,
    pub good_days: u32,
    pub heavy_or_worse_days: u32,
    pub good_day_ratio: Option<f64>,
    pub heavy_or_worse_ratio: Option<f64>,
    /// Valid days per level 1–6.
    pub level_days: [u32; 6],
    /// Days on which each pollutant was (co-)primary, by [`Pollutant::index`].
    pub primary_pollutant_days: [u32; 6],
    pub exceptional_days: u32,
    pub pollutants: Vec<PollutantStats>,
    pub composite: Option<CompositeIndex>,
    /// The composite index with no days deducted (for comparison when any were).
    pub composite_without_deduction: Option<f64>,
    /// All six pollutants comply (calendar years only).
    pub compliant: Option<bool>,
}

impl Assessment {
    pub fn stats(&self, p: Pollutant) -> &PollutantStats {
        &self.pollutants[p.index()]
    }
}

/// Ranks for values where smaller is better (a composite index): equal values share a rank
/// and the next rank skips ("1, 2, 2, 4"), as published rankings do; `None` (no value)
/// ranks after every value, all `None`s sharing that rank.
pub fn competition_ranks(values: &[Option<f64>]) -> Vec<u32> {
    let key = |v: Option<f64>| v.unwrap_or(f64::INFINITY);
    values
        .iter()
        .map(|v| 1 + values.iter().filter(|w| key(**w) < key(*v)).count() as u32)
        .collect()
}

/// Assesses consecutive daily records (a month, a year or any span).
pub fn assess(days: &[DailyRecord], opts: &AssessOptions) -> Option<Assessment> {
    let first_day = days.first()?.date;
    let last_day = days.last()?.date;
    let rule_set = RuleSet::choose(opts.rules, last_day);
    let calendar_year = first_day.month() == 1
        && first_day.day() == 1
        && last_day.month() == 12
        && last_day.day() == 31
        && first_day.year() == last_day.year()
        && days.len() as u32 == days_in_year(first_day.year());

    let mut a = Assessment {
        rule_set,
        daily_rounding: opts
            .daily_rounding
            .unwrap_or(AqiOptions::for_edition(rule_set.aqi).daily_rounding),
        first_day,
        last_day,
        calendar_days: days.len() as u32,
        valid_days: 0,
        good_days: 0,
        heavy_or_worse_days: 0,
        good_day_ratio: None,
        heavy_or_worse_ratio: None,
        level_days: [0; 6],
        primary_pollutant_days: [0; 6],
        exceptional_days: days.iter().filter(|d| d.exceptional).count() as u32,
        pollutants: Vec::with_capacity(6),
        composite: None,
        composite_without_deduction: None,
        compliant: None,
    };
    count_days(days, opts, &mut a);

    let mut buf = Vec::with_capacity(days.len());
    let mut stats_raw = Vec::with_capacity(6);
    for p in Pollutant::ALL {
        let deduct = opts.deduct_exceptional && matches!(p, Pollutant::Pm10 | Pollutant::Pm25);
        let s = pollutant_stats(days, p, deduct, rule_set, calendar_year, &mut buf);
        if deduct && s.n_deducted_days > 0 {
            stats_raw.push(pollutant_stats(
                days,
                p,
                false,
                rule_set,
                calendar_year,
                &mut buf,
            ));
        } else {
            stats_raw.push(s.clone());
        }
        a.pollutants.push(s);
    }
    a.composite = composite(&a.pollutants, rule_set, opts.composite);
    if a.exceptional_days > 0 && opts.deduct_exceptional {
        a.composite_without_deduction =
            composite(&stats_raw, rule_set, opts.composite).map(|c| c.value);
    }
    if calendar_year {
        let all: Option<Vec<bool>> = a.pollutants.iter().map(|s| s.compliant).collect();
        a.compliant = all.map(|v| v.iter().all(|c| *c));
    }
    Some(a)
}

fn count_days(days: &[DailyRecord], opts: &AssessOptions, a: &mut Assessment) {
    for d in days {
        let mut aqi_opts = AqiOptions::for_date(d.date, opts.rules);
        if let Some(rounding) = opts.daily_rounding {
            aqi_opts.daily_rounding = rounding;
        }
        let r = aqi::daily(&aqi_opts, &d.aqi_inputs());
        let Some(value) = r.aqi else { continue };
        a.valid_days += 1;
        let level = Level::from_aqi(value);
        a.level_days[level.number() as usize - 1] += 1;
        a.good_days += u32::from(value <= 100);
        a.heavy_or_worse_days += u32::from(value > 200);
        for p in r.primary.iter() {
            a.primary_pollutant_days[p.index()] += 1;
        }
    }
    if a.valid_days > 0 {
        a.good_day_ratio = Some(f64::from(a.good_days) / f64::from(a.valid_days));
        a.heavy_or_worse_ratio = Some(f64::from(a.heavy_or_worse_days) / f64::from(a.valid_days));
    }
}

fn pollutant_stats(
    days: &[DailyRecord],
    p: Pollutant,
    deduct: bool,
    rule_set: RuleSet,
    calendar_year: bool,
    buf: &mut Vec<f64>,
) -> PollutantStats {
    buf.clear();
    let mut by_month = [0u32; 12];
    let mut n_deducted_days = 0;
    for d in days {
        let v = d.values[p.index()];
        if v.is_nan() {
            continue;
        }
        by_month[d.date.month() as usize - 1] += 1;
        if deduct && d.exceptional {
            n_deducted_days += 1;
            continue;
        }
        buf.push(v);
    }
    let n = buf.len();
    let mean = (n > 0).then(|| buf.iter().sum::<f64>() / n as f64);
    let rank = percentile_rank(p);
    let pct = percentile(buf, rank);
    let decimals = p.reported_decimals();
    let year_validity = (calendar_year
        && matches!(
            p,
            Pollutant::So2 | Pollutant::No2 | Pollutant::Pm10 | Pollutant::Pm25
        ))
    .then(|| year_validity(days[0].date.year(), &by_month));
    let mean_reported = mean.map(|m| round_half_even(m, decimals));
    let percentile_reported = pct.map(|x| round_half_even(x, decimals));
    let compliant = if calendar_year {
        compliance(p, rule_set, mean_reported, percentile_reported)
    } else {
        None
    };
    PollutantStats {
        pollutant: p,
        n_valid_days: n as u32 + n_deducted_days,
        mean,
        percentile: pct,
        percentile_rank: rank,
        mean_reported,
        percentile_reported,
        n_deducted_days,
        year_validity,
        compliant,
    }
}

/// Every statistic of the pollutant's row is at or below its Grade II limit (spec §4.1).
fn compliance(p: Pollutant, rs: RuleSet, mean: Option<f64>, pct: Option<f64>) -> Option<bool> {
    let pct = pct?;
    let daily_avg = if p == Pollutant::O3 {
        Averaging::Mda8
    } else {
        Averaging::Daily
    };
    let mut ok = pct <= limits::limit(rs.limits, Grade::II, p, daily_avg)?;
    if let Some(annual) = limits::limit(rs.limits, Grade::II, p, Averaging::Annual) {
        ok &= mean? <= annual;
    }
    Some(ok)
}

/// Σ w_i · C_i / S_i with C_i the reported statistic (means of SO2, NO2, PM10, PM2.5; CO P95;
/// O3 MDA8 P90), as published rankings compute it.
fn composite(
    stats: &[PollutantStats],
    rs: RuleSet,
    weights: CompositeWeights,
) -> Option<CompositeIndex> {
    let mut single = [f64::NAN; 6];
    let (mut value, mut weight_sum) = (0.0, 0.0);
    for s in stats {
        let p = s.pollutant;
        let c = match p {
            Pollutant::Co | Pollutant::O3 => s.percentile_reported?,
            _ => s.mean_reported?,
        };
        let i = c / limits::composite_denominator(rs.limits, p);
        single[p.index()] = i;
        value += weights.weight(p) * i;
        weight_sum += weights.weight(p);
    }
    if let CompositeWeights::Weighted {
        divide_by_weight_sum: true,
    } = weights
    {
        value /= weight_sum;
    }
    let max = single.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut main = PollutantSet::EMPTY;
    for p in Pollutant::ALL {
        if round_half_even(single[p.index()], 2) == round_half_even(max, 2) {
            main.insert(p);
        }
    }
    Some(CompositeIndex {
        weights,
        value,
        reported: round_half_even(value, 2),
        single,
        main,
    })
}

/// The 3-year moving average of an annual statistic (HJ 663-2026), provisional until the
/// standard's text is available (spec §9 Q1): `None` unless all three years have a value.
pub fn three_year_moving_mean(years: [Option<f64>; 3]) -> Option<f64> {
    Some((years[0]? + years[1]? + years[2]?) / 3.0)
}

#[cfg(test)]
mod tests;
