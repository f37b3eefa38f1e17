//! Targets as data (plan §1(二), §9(一)(二)): the indicators a unit is assessed on, their
//! monthly breakdown (even, seasonal, typed), month-to-date and year-to-date comparison,
//! what the rest of the year still allows, and a year-end projection. Pure arithmetic over
//! period statistics the application layer computes from assessments; docs/targets.md.

use crate::allowance::{Allowance, TargetReading};
use crate::date::{days_in_month, days_in_year};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Longest code of a numbered provincial target (`provincial:CODE`).
pub const PROVINCIAL_CODE_CHARS_MAX: usize = 32;
/// Tolerance of float comparisons against a day count (ratios × days).
const DAY_COUNT_EPSILON: f64 = 1e-9;

/// What a target is set on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Indicator {
    /// PM2.5 mean, µg/m³ (the annual mean of daily values).
    Pm25,
    /// 优良天数比率: good days (AQI ≤ 100) per valid day, %.
    GoodDayRatio,
    /// 重污染天数: days with AQI > 200, a count.
    HeavyDays,
    /// 重度及以上污染天数比率: days with AQI > 200 per valid day, %.
    HeavyDayRatio,
    /// 环境空气质量综合指数 (dimensionless).
    CompositeIndex,
    /// A numbered 省定目标 (e.g. the coal consumption cut of M09): its code; the number is
    /// entered by the bureau and Lantian computes no actual for it.
    Provincial(String),
}

/// Which way is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    LowerIsBetter,
    HigherIsBetter,
}

/// How months combine into a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// A day-weighted mean (a concentration, the composite index).
    Mean,
    /// A share of valid days, %: day-weighted like a mean.
    Ratio,
    /// A count of days: months add up.
    Count,
}

impl Indicator {
    /// The value as reported and judged against a target (HJ 663 §5: PM2.5 an integer,
    /// ratios in per cent with one decimal, the composite index with two; GB/T 8170
    /// half-even). Arithmetic on the rest of the year uses the unrounded value.
    pub fn reported(&self, v: f64) -> f64 {
        let decimals = match self {
            Indicator::Pm25 => 0,
            Indicator::GoodDayRatio | Indicator::HeavyDayRatio => 1,
            Indicator::CompositeIndex => 2,
            Indicator::HeavyDays | Indicator::Provincial(_) => return v,
        };
        crate::decimal::round_half_even(v, decimals)
    }

    /// The indicators Lantian computes an actual for.
    pub const COMPUTED: [Indicator; 5] = [
        Indicator::Pm25,
        Indicator::GoodDayRatio,
        Indicator::HeavyDays,
        Indicator::HeavyDayRatio,
        Indicator::CompositeIndex,
    ];

    /// Reads `pm25`, `good_day_ratio`, `heavy_days`, `heavy_day_ratio`, `composite_index`
    /// or `provincial:CODE` (CODE: ASCII letters, digits, `_`, `-`; at most 32).
    pub fn parse(text: &str) -> Result<Indicator, String> {
        let t = text.trim();
        Ok(match t {
            "pm25" => Indicator::Pm25,
            "good_day_ratio" => Indicator::GoodDayRatio,
            "heavy_days" => Indicator::HeavyDays,
            "heavy_day_ratio" => Indicator::HeavyDayRatio,
            "composite_index" => Indicator::CompositeIndex,
            _ => match t.strip_prefix("provincial:") {
                Some(code)
                    if !code.is_empty()
                        && code.len() <= PROVINCIAL_CODE_CHARS_MAX
                        && code
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
                {
                    Indicator::Provincial(code.to_owned())
                }
                _ => {
                    return Err(format!(
                        "indicator {t:?}: expected pm25, good_day_ratio, heavy_days, \
                         heavy_day_ratio, composite_index or provincial:CODE (letters, digits, _ -)"
                    ));
                }
            },
        })
    }

    /// The one spelling (what [`Indicator::parse`] reads).
    pub fn code(&self) -> String {
        match self {
            Indicator::Pm25 => "pm25".to_owned(),
            Indicator::GoodDayRatio => "good_day_ratio".to_owned(),
            Indicator::HeavyDays => "heavy_days".to_owned(),
            Indicator::HeavyDayRatio => "heavy_day_ratio".to_owned(),
            Indicator::CompositeIndex => "composite_index".to_owned(),
            Indicator::Provincial(c) => format!("provincial:{c}"),
        }
    }

    /// Which way is better; `None` for a provincial target (its text says).
    pub fn direction(&self) -> Option<Direction> {
        match self {
            Indicator::GoodDayRatio => Some(Direction::HigherIsBetter),
            Indicator::Provincial(_) => None,
            _ => Some(Direction::LowerIsBetter),
        }
    }

    pub fn aggregation(&self) -> Aggregation {
        match self {
            Indicator::Pm25 | Indicator::CompositeIndex | Indicator::Provincial(_) => {
                Aggregation::Mean
            }
            Indicator::GoodDayRatio | Indicator::HeavyDayRatio => Aggregation::Ratio,
            Indicator::HeavyDays => Aggregation::Count,
        }
    }

    /// The unit of its values.
    pub fn unit(&self) -> &'static str {
        match self {
            Indicator::Pm25 => "µg/m³",
            Indicator::GoodDayRatio | Indicator::HeavyDayRatio => "%",
            Indicator::HeavyDays => "d",
            Indicator::CompositeIndex | Indicator::Provincial(_) => "",
        }
    }

    pub fn name_zh(&self) -> String {
        match self {
            Indicator::Pm25 => "PM2.5浓度".to_owned(),
            Indicator::GoodDayRatio => "优良天数比率".to_owned(),
            Indicator::HeavyDays => "重度及以上污染天数".to_owned(),
            Indicator::HeavyDayRatio => "重度及以上污染天数比率".to_owned(),
            Indicator::CompositeIndex => "环境空气质量综合指数".to_owned(),
            Indicator::Provincial(c) => format!("省定目标 {c}"),
        }
    }

    pub fn name_en(&self) -> String {
        match self {
            Indicator::Pm25 => "PM2.5 mean".to_owned(),
            Indicator::GoodDayRatio => "good-day ratio".to_owned(),
            Indicator::HeavyDays => "heavy-pollution days".to_owned(),
            Indicator::HeavyDayRatio => "heavy-pollution-day ratio".to_owned(),
            Indicator::CompositeIndex => "composite index".to_owned(),
            Indicator::Provincial(c) => format!("provincial target {c}"),
        }
    }

    /// Whether `value` can be a target of this indicator: finite, not negative, a ratio at
    /// most 100 %, a count whole.
    pub fn check_value(&self, value: f64) -> Result<(), String> {
        let ok = value.is_finite()
            && value >= 0.0
            && match self.aggregation() {
                Aggregation::Ratio => value <= 100.0,
                Aggregation::Count => value.fract() == 0.0,
                Aggregation::Mean => true,
            };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "value {value} of {}: must be a finite number ≥ 0{}",
                self.code(),
                match self.aggregation() {
                    Aggregation::Ratio => ", at most 100 (%)",
                    Aggregation::Count => ", a whole number of days",
                    Aggregation::Mean => "",
                }
            ))
        }
    }

    /// Whether `actual` meets `target`: `None` without an actual or a direction.
    pub fn met(&self, actual: Option<f64>, target: f64) -> Option<bool> {
        let a = actual?;
        Some(match self.direction()? {
            Direction::LowerIsBetter => a <= target,
            Direction::HigherIsBetter => a >= target,
        })
    }
}

impl fmt::Display for Indicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

impl std::str::FromStr for Indicator {
    type Err = String;
    fn from_str(s: &str) -> Result<Indicator, String> {
        Indicator::parse(s)
    }
}

impl Serialize for Indicator {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.code())
    }
}

impl<'de> Deserialize<'de> for Indicator {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Indicator, D::Error> {
        let s = String::deserialize(d)?;
        Indicator::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// What a period's assessment says, as the indicators read it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct PeriodStats {
    /// Calendar days of the period.
    pub days: u32,
    /// Days with a valid daily AQI.
    pub valid_days: u32,
    pub good_days: u32,
    pub heavy_days: u32,
    /// PM2.5 mean of the valid (not deducted) days, unrounded.
    pub pm25_mean: Option<f64>,
    pub pm25_days: u32,
    /// The composite index, unrounded.
    pub composite: Option<f64>,
}

impl PeriodStats {
    /// The indicator's value over the period; `None` without a valid day (and always for a
    /// provincial target).
    pub fn value(&self, ind: &Indicator) -> Option<f64> {
        let ratio = |n: u32| {
            (self.valid_days > 0).then(|| 100.0 * f64::from(n) / f64::from(self.valid_days))
        };
        match ind {
            Indicator::Pm25 => self.pm25_mean.filter(|_| self.pm25_days > 0),
            Indicator::GoodDayRatio => ratio(self.good_days),
            Indicator::HeavyDayRatio => ratio(self.heavy_days),
            Indicator::HeavyDays => (self.valid_days > 0).then_some(f64::from(self.heavy_days)),
            Indicator::CompositeIndex => self.composite.filter(|_| self.valid_days > 0),
            Indicator::Provincial(_) => None,
        }
    }
}

/// How a year's target was split into months.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Even,
    Seasonal,
    Typed,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Even => "even",
            Method::Seasonal => "seasonal",
            Method::Typed => "typed",
        }
    }

    pub fn parse(text: &str) -> Result<Method, String> {
        match text.trim() {
            "even" => Ok(Method::Even),
            "seasonal" => Ok(Method::Seasonal),
            "typed" => Ok(Method::Typed),
            o => Err(format!("method {o:?}: expected even, seasonal or typed")),
        }
    }
}

fn month_days(year: i32) -> [f64; 12] {
    std::array::from_fn(|i| f64::from(days_in_month(year, i as u32 + 1)))
}

/// The even breakdown: every month the annual target (means and ratios), or the annual
/// count shared by days (counts: T × d_m / D).
pub fn even(ind: &Indicator, target: f64, year: i32) -> [f64; 12] {
    let d = month_days(year);
    let total = f64::from(days_in_year(year));
    std::array::from_fn(|i| match ind.aggregation() {
        Aggregation::Count => target * d[i] / total,
        _ => target,
    })
}

/// The seasonal breakdown from `profile` (the unit's monthly values, the mean of the last
/// three years), scaled so that the year's value is the target:
///
/// * a mean or a lower-is-better ratio: m_i = T · p_i / P with P = Σ d_i p_i / Σ d_i (the
///   day-weighted mean of the profile), so Σ d_i m_i / Σ d_i = T;
/// * the good-day ratio: its complement (the bad-day share) is split that way:
///   m_i = 100 − (100 − T) · (100 − p_i) / B, B = Σ d_i (100 − p_i) / Σ d_i;
/// * a count: m_i = T · p_i / Σ p_i.
///
/// A profile without a value for every month, or with nothing to share by (P = 0, no heavy
/// day in three years), is an error naming why; the caller may use [`even`] instead.
pub fn seasonal(
    ind: &Indicator,
    target: f64,
    year: i32,
    profile: &[Option<f64>; 12],
) -> Result<[f64; 12], String> {
    let missing: Vec<String> = (1..=12)
        .filter(|m| profile[*m - 1].is_none())
        .map(|m| m.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "{}: no history for month(s) {} of the last three years: a seasonal breakdown needs all 12",
            ind.code(),
            missing.join(", ")
        ));
    }
    let p: [f64; 12] = std::array::from_fn(|i| profile[i].unwrap_or(0.0));
    let d = month_days(year);
    let total: f64 = d.iter().sum();
    let weighted = |v: &[f64; 12]| v.iter().zip(&d).map(|(v, d)| v * d).sum::<f64>() / total;
    let nothing = || {
        format!(
            "{}: the last three years' monthly values are all 0: nothing to share the target by",
            ind.code()
        )
    };
    Ok(match (ind.aggregation(), ind.direction()) {
        (Aggregation::Count, _) => {
            let sum: f64 = p.iter().sum();
            if sum <= 0.0 {
                return Err(nothing());
            }
            std::array::from_fn(|i| target * p[i] / sum)
        }
        (Aggregation::Ratio, Some(Direction::HigherIsBetter)) => {
            let bad: [f64; 12] = std::array::from_fn(|i| 100.0 - p[i]);
            let b = weighted(&bad);
            if b <= 0.0 {
                return Err(nothing());
            }
            std::array::from_fn(|i| 100.0 - (100.0 - target) * bad[i] / b)
        }
        _ => {
            let mean = weighted(&p);
            if mean <= 0.0 {
                return Err(nothing());
            }
            std::array::from_fn(|i| target * p[i] / mean)
        }
    })
}

/// A typed breakdown: twelve values, each a possible target of the indicator.
pub fn typed(ind: &Indicator, values: &[f64]) -> Result<[f64; 12], String> {
    if values.len() != 12 {
        return Err(format!(
            "a typed breakdown has 12 values (January to December), not {}",
            values.len()
        ));
    }
    for (i, v) in values.iter().enumerate() {
        let check = match ind.aggregation() {
            // A month's share of a count need not be whole.
            Aggregation::Count => Indicator::Pm25.check_value(*v),
            _ => ind.check_value(*v),
        };
        check.map_err(|e| format!("month {}: {e}", i + 1))?;
    }
    Ok(std::array::from_fn(|i| values[i]))
}

/// The year's value the twelve months imply: the day-weighted mean (means, ratios) or the
/// sum (counts).
pub fn annual_of(ind: &Indicator, year: i32, months: &[f64; 12]) -> f64 {
    to_date(ind, year, months, 12, days_in_month(year, 12))
}

/// The breakdown's value from January 1 to day `day` of month `month` (1-based): the
/// day-weighted mean of the months so far, the last counted for `day` days (means, ratios),
/// or the sum with the last month's share prorated by `day / d_month` (counts).
pub fn to_date(ind: &Indicator, year: i32, months: &[f64; 12], month: u32, day: u32) -> f64 {
    let m = month.clamp(1, 12) as usize;
    let d = month_days(year);
    let k = f64::from(day).min(d[m - 1]);
    match ind.aggregation() {
        Aggregation::Count => months[..m - 1].iter().sum::<f64>() + months[m - 1] * k / d[m - 1],
        _ => {
            let days: f64 = d[..m - 1].iter().sum::<f64>() + k;
            if days <= 0.0 {
                return months[m - 1];
            }
            (months[..m - 1]
                .iter()
                .zip(&d)
                .map(|(v, d)| v * d)
                .sum::<f64>()
                + months[m - 1] * k)
                / days
        }
    }
}

/// The month's target to day `day` of it: the month's value (means, ratios) or its share
/// prorated by days (counts), so that it compares with the month's actual so far.
pub fn month_to_date(ind: &Indicator, year: i32, months: &[f64; 12], month: u32, day: u32) -> f64 {
    let m = month.clamp(1, 12);
    let v = months[m as usize - 1];
    match ind.aggregation() {
        Aggregation::Count => {
            v * f64::from(day.min(days_in_month(year, m))) / f64::from(days_in_month(year, m))
        }
        _ => v,
    }
}

/// The monthly profile of an indicator: per month, the mean of its value over the years of
/// `history` that have one (counts scaled to the whole month: n · d / valid days).
pub fn profile(ind: &Indicator, history: &[[PeriodStats; 12]]) -> [Option<f64>; 12] {
    std::array::from_fn(|m| {
        let vals: Vec<f64> = history
            .iter()
            .filter_map(|y| {
                let s = &y[m];
                let v = s.value(ind)?;
                Some(match ind.aggregation() {
                    Aggregation::Count => v * f64::from(s.days) / f64::from(s.valid_days),
                    _ => v,
                })
            })
            .collect();
        (!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64)
    })
}

/// What the rest of the year still allows, with the days so far counted as they are and
/// every remaining day assumed valid.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Still {
    /// PM2.5: the highest mean of the remaining days; good-day ratio: bad days still
    /// allowed; heavy days and their ratio: heavy days still allowed. Negative: the target
    /// is out of reach by that much.
    pub value: f64,
    pub reachable: bool,
    /// For the good-day ratio: good days still needed.
    pub good_days_needed: Option<u32>,
    pub text_zh: String,
    pub text_en: String,
}

/// What the rest of the year (`days_remaining` days) still allows against `target`, given
/// the year so far `ytd`; `None` for the composite index (not linear in days), a provincial
/// target, no remaining day, or no valid day so far for PM2.5.
///
/// * PM2.5: [`crate::allowance::still_allowed`] (exact reading);
/// * good-day ratio: of N = valid days so far + remaining days, ⌈T·N/100⌉ must be good; bad
///   days still allowed = N − ⌈T·N/100⌉ − bad days so far; good days needed = ⌈T·N/100⌉ −
///   good days so far;
/// * heavy-day ratio: ⌊T·N/100⌋ − heavy days so far;
/// * heavy days: T − heavy days so far.
pub fn still_allowed(
    ind: &Indicator,
    target: f64,
    ytd: &PeriodStats,
    days_remaining: u32,
) -> Option<Still> {
    if days_remaining == 0 {
        return None;
    }
    let n = f64::from(ytd.valid_days + days_remaining);
    // A count of days (never negative where it is used: a negative one is out of reach).
    let days = |v: f64| format!("{}", v.abs());
    match ind {
        Indicator::Pm25 => {
            let mean = ytd.pm25_mean.filter(|_| ytd.pm25_days > 0)?;
            match crate::allowance::still_allowed(
                target,
                mean,
                ytd.pm25_days,
                days_remaining,
                TargetReading::Exact,
            ) {
                Allowance::Allowed { mean_max } => Some(Still {
                    value: mean_max,
                    reachable: true,
                    good_days_needed: None,
                    text_zh: format!("剩余{days_remaining}天PM2.5均值不超过{mean_max:.1}µg/m³"),
                    text_en: format!(
                        "the remaining {days_remaining} days may average at most {mean_max:.1} µg/m³"
                    ),
                }),
                Allowance::Unreachable { mean_needed } => Some(Still {
                    value: mean_needed,
                    reachable: false,
                    good_days_needed: None,
                    text_zh: "即使剩余天数浓度为0也无法完成目标".to_owned(),
                    text_en: "out of reach even at zero for the rest of the year".to_owned(),
                }),
                Allowance::Final { .. } => None,
            }
        }
        Indicator::GoodDayRatio => {
            let needed = (target * n / 100.0 - DAY_COUNT_EPSILON).ceil().max(0.0);
            let bad_so_far = f64::from(ytd.valid_days - ytd.good_days.min(ytd.valid_days));
            let value = n - needed - bad_so_far;
            let good_needed = (needed - f64::from(ytd.good_days)).max(0.0);
            Some(Still {
                value,
                reachable: value >= 0.0,
                good_days_needed: Some(good_needed as u32),
                text_zh: if value >= 0.0 {
                    format!(
                        "还需优良天{}天,还可出现非优良天{}天",
                        good_needed,
                        days(value)
                    )
                } else {
                    "即使剩余天数全部优良也无法完成目标".to_owned()
                },
                text_en: if value >= 0.0 {
                    format!(
                        "{good_needed} more good days needed; {} more days below good allowed",
                        days(value)
                    )
                } else {
                    "out of reach even if every remaining day is good".to_owned()
                },
            })
        }
        Indicator::HeavyDayRatio | Indicator::HeavyDays => {
            let allowed_total = match ind {
                Indicator::HeavyDays => target,
                _ => (target * n / 100.0 + DAY_COUNT_EPSILON).floor(),
            };
            let value = allowed_total - f64::from(ytd.heavy_days);
            Some(Still {
                value,
                reachable: value >= 0.0,
                good_days_needed: None,
                text_zh: if value >= 0.0 {
                    format!("还可出现重度及以上污染天{}天", days(value))
                } else {
                    format!("已超出全年目标{}天,无法完成", days(-value))
                },
                text_en: if value >= 0.0 {
                    format!("{} more heavy-pollution days allowed", days(value))
                } else {
                    format!(
                        "{} days over the year's target already: out of reach",
                        days(-value)
                    )
                },
            })
        }
        Indicator::CompositeIndex | Indicator::Provincial(_) => None,
    }
}

/// A year-end projection and what it assumes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Projection {
    pub value: f64,
    pub assumptions_zh: String,
    pub assumptions_en: String,
}

/// The assumptions of [`projection`], as stated to readers.
pub const PROJECTION_ASSUMPTIONS_ZH: &str = "年初至今按实际;其余天数按该单位近三年同月均值(无历史的月份按年初至今值)计,且均为有效日;未计趋势和新增措施;综合指数按月均值近似。";
pub const PROJECTION_ASSUMPTIONS_EN: &str = "the year so far as measured; each remaining day at the mean of its month over the unit's last three years (a month without history at the year-to-date value), every remaining day valid; no trend and no new measures assumed; the composite index approximated from monthly values.";

/// The year-end value projected from the year so far (`ytd`, through day `day` of month
/// `month`) and the monthly `profile` for the rest:
///
/// * a mean: (mean · n + Σ r_i p_i) / (n + Σ r_i), r_i the remaining days of month i;
/// * a ratio: (share so far · valid days + Σ r_i p_i) / (valid days + Σ r_i);
/// * a count: so far + Σ r_i · p_i / d_i.
///
/// A month without a profile value takes the year-to-date value. `None` for a provincial
/// target, or when neither the year so far nor the profile has a value.
pub fn projection(
    ind: &Indicator,
    year: i32,
    ytd: &PeriodStats,
    month: u32,
    day: u32,
    profile: &[Option<f64>; 12],
) -> Option<Projection> {
    if matches!(ind, Indicator::Provincial(_)) {
        return None;
    }
    let m = month.clamp(1, 12) as usize;
    let d = month_days(year);
    let so_far = ytd.value(ind);
    let remaining: [f64; 12] = std::array::from_fn(|i| {
        if i + 1 < m {
            0.0
        } else if i + 1 == m {
            (d[i] - f64::from(day)).max(0.0)
        } else {
            d[i]
        }
    });
    let mut rest = Vec::new();
    for i in 0..12 {
        if remaining[i] > 0.0 {
            rest.push((remaining[i], profile[i].or(so_far)?, d[i]));
        }
    }
    let value = match ind.aggregation() {
        Aggregation::Count => {
            so_far.unwrap_or(0.0) + rest.iter().map(|(r, p, d)| r * p / d).sum::<f64>()
        }
        _ => {
            let n = f64::from(match ind {
                Indicator::Pm25 => ytd.pm25_days,
                _ => ytd.valid_days,
            });
            let n = if so_far.is_some() { n } else { 0.0 };
            let r: f64 = rest.iter().map(|(r, _, _)| r).sum();
            if n + r <= 0.0 {
                return None;
            }
            (so_far.unwrap_or(0.0) * n + rest.iter().map(|(r, p, _)| r * p).sum::<f64>()) / (n + r)
        }
    };
    Some(Projection {
        value,
        assumptions_zh: PROJECTION_ASSUMPTIONS_ZH.to_owned(),
        assumptions_en: PROJECTION_ASSUMPTIONS_EN.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actuals_are_reported_as_the_standard_rounds_them() {
        for (ind, v, want) in [
            (Indicator::Pm25, 35.5, 36.0),
            (Indicator::Pm25, 34.5, 34.0),
            (Indicator::Pm25, 45.15, 45.0),
            (Indicator::GoodDayRatio, 66.65, 66.6),
            (Indicator::HeavyDayRatio, 2.75, 2.8),
            (Indicator::CompositeIndex, 4.385, 4.38),
            (Indicator::HeavyDays, 7.0, 7.0),
        ] {
            assert_eq!(ind.reported(v), want, "{ind:?} {v}");
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn indicators_have_one_spelling_a_direction_and_a_unit() {
        let cases = [
            (
                "pm25",
                Some(Direction::LowerIsBetter),
                "µg/m³",
                Aggregation::Mean,
            ),
            (
                "good_day_ratio",
                Some(Direction::HigherIsBetter),
                "%",
                Aggregation::Ratio,
            ),
            (
                "heavy_days",
                Some(Direction::LowerIsBetter),
                "d",
                Aggregation::Count,
            ),
            (
                "heavy_day_ratio",
                Some(Direction::LowerIsBetter),
                "%",
                Aggregation::Ratio,
            ),
            (
                "composite_index",
                Some(Direction::LowerIsBetter),
                "",
                Aggregation::Mean,
            ),
            ("provincial:M09", None, "", Aggregation::Mean),
        ];
        for (code, dir, unit, agg) in cases {
            let i = Indicator::parse(code).unwrap();
            assert_eq!(i.code(), code);
            assert_eq!(
                (i.direction(), i.unit(), i.aggregation()),
                (dir, unit, agg),
                "{code}"
            );
            assert_eq!(code.parse::<Indicator>().unwrap(), i);
        }
        for bad in ["PM25", "provincial:", "provincial:a b", "so2", ""] {
            assert!(Indicator::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn target_values_are_checked_per_indicator() {
        let cases = [
            ("pm25", 35.0, true),
            ("pm25", -1.0, false),
            ("pm25", f64::NAN, false),
            ("good_day_ratio", 100.0, true),
            ("good_day_ratio", 100.5, false),
            ("heavy_days", 3.0, true),
            ("heavy_days", 3.5, false),
            ("heavy_day_ratio", 1.2, true),
        ];
        for (code, v, ok) in cases {
            assert_eq!(
                Indicator::parse(code).unwrap().check_value(v).is_ok(),
                ok,
                "{code} {v}"
            );
        }
    }

    #[test]
    fn an_even_breakdown_keeps_means_and_shares_counts_by_days() {
        let e = even(&Indicator::Pm25, 35.0, 2025);
        assert!(e.iter().all(|v| *v == 35.0));
        // 10 heavy days over 2024 (366 days): January 10 × 31 / 366, February 10 × 29 / 366.
        let e = even(&Indicator::HeavyDays, 10.0, 2024);
        assert!(close(e[0], 310.0 / 366.0) && close(e[1], 290.0 / 366.0));
        assert!(close(e.iter().sum::<f64>(), 10.0));
        assert!(close(
            annual_of(&Indicator::Pm25, 2025, &even(&Indicator::Pm25, 35.0, 2025)),
            35.0
        ));
    }

    #[test]
    fn a_seasonal_breakdown_follows_the_profile_and_keeps_the_annual_target() {
        // 2025: 365 days. A profile of 60 in the six months Jan–Mar and Oct–Dec
        // (31+28+31+31+30+31 = 182 days) and 30 in Apr–Sep (183 days):
        // P = (60·182 + 30·183) / 365 = 16410 / 365 = 44.958…;
        // January = 35 · 60 / P = 35 · 60 · 365 / 16410 = 46.709…
        let winter = [1, 2, 3, 10, 11, 12];
        let p: [Option<f64>; 12] = std::array::from_fn(|i| {
            Some(if winter.contains(&(i + 1)) {
                60.0
            } else {
                30.0
            })
        });
        let s = seasonal(&Indicator::Pm25, 35.0, 2025, &p).unwrap();
        assert!(close(s[0], 35.0 * 60.0 * 365.0 / 16410.0), "{}", s[0]);
        assert!(close(s[5], 35.0 * 30.0 * 365.0 / 16410.0));
        assert!(close(annual_of(&Indicator::Pm25, 2025, &s), 35.0));

        // Good days: 80 % a year; the profile's bad share is 40 % in winter, 10 % in summer:
        // B = (40·182 + 10·183) / 365 = 9110 / 365; January = 100 − 20 · 40 · 365 / 9110.
        let g: [Option<f64>; 12] = std::array::from_fn(|i| {
            Some(if winter.contains(&(i + 1)) {
                60.0
            } else {
                90.0
            })
        });
        let s = seasonal(&Indicator::GoodDayRatio, 80.0, 2025, &g).unwrap();
        assert!(
            close(s[0], 100.0 - 20.0 * 40.0 * 365.0 / 9110.0),
            "{}",
            s[0]
        );
        assert!(close(annual_of(&Indicator::GoodDayRatio, 2025, &s), 80.0));

        // Heavy days: 6 a year, history 3 in January, 1 in December, none otherwise.
        let mut h = [Some(0.0); 12];
        h[0] = Some(3.0);
        h[11] = Some(1.0);
        let s = seasonal(&Indicator::HeavyDays, 6.0, 2025, &h).unwrap();
        assert!(close(s[0], 4.5) && close(s[11], 1.5) && close(s[6], 0.0));

        let mut gap = p;
        gap[6] = None;
        let e = seasonal(&Indicator::Pm25, 35.0, 2025, &gap).unwrap_err();
        assert!(e.contains("month(s) 7"), "{e}");
        assert!(seasonal(&Indicator::HeavyDays, 6.0, 2025, &[Some(0.0); 12]).is_err());
    }

    #[test]
    fn a_typed_breakdown_has_twelve_checked_values() {
        let ok = typed(&Indicator::HeavyDays, &[1.5; 12]).unwrap();
        assert!(close(annual_of(&Indicator::HeavyDays, 2025, &ok), 18.0));
        assert!(
            typed(&Indicator::Pm25, &[35.0; 11])
                .unwrap_err()
                .contains("12 values")
        );
        let mut v = [80.0; 12];
        v[3] = 101.0;
        assert!(
            typed(&Indicator::GoodDayRatio, &v)
                .unwrap_err()
                .starts_with("month 4")
        );
    }

    #[test]
    fn to_date_targets_weigh_months_by_their_days() {
        let mut m = [40.0; 12];
        m[1] = 30.0;
        // Jan 31 days at 40, Feb 10 of 28 days at 30: (40·31 + 30·10) / 41.
        assert!(close(
            to_date(&Indicator::Pm25, 2025, &m, 2, 10),
            (1240.0 + 300.0) / 41.0
        ));
        let c = [2.8; 12];
        // Counts: January's 2.8 + February's 2.8 · 14 / 28.
        assert!(close(
            to_date(&Indicator::HeavyDays, 2025, &c, 2, 14),
            2.8 + 1.4
        ));
        assert!(close(
            month_to_date(&Indicator::HeavyDays, 2025, &c, 2, 14),
            1.4
        ));
        assert!(close(
            month_to_date(&Indicator::Pm25, 2025, &m, 2, 14),
            30.0
        ));
    }

    #[test]
    fn the_profile_averages_the_years_that_have_the_month() {
        let month = |valid: u32, heavy: u32, pm: f64| PeriodStats {
            days: 30,
            valid_days: valid,
            good_days: valid / 2,
            heavy_days: heavy,
            pm25_mean: Some(pm),
            pm25_days: valid,
            composite: None,
        };
        let mut y1 = [month(30, 3, 40.0); 12];
        let mut y2 = [month(15, 3, 60.0); 12];
        y1[4] = PeriodStats::default();
        y2[5] = PeriodStats::default();
        let p = profile(&Indicator::Pm25, &[y1, y2]);
        assert_eq!((p[0], p[4], p[5]), (Some(50.0), Some(60.0), Some(40.0)));
        // Counts are scaled to the whole month: 3 and 3 · 30 / 15 = 6 → 4.5.
        let h = profile(&Indicator::HeavyDays, &[y1, y2]);
        assert_eq!(h[0], Some(4.5));
        assert_eq!(profile(&Indicator::Pm25, &[])[0], None);
    }

    #[test]
    fn what_the_rest_of_the_year_allows_per_indicator() {
        // 300 valid days so far, 65 remaining; N = 365.
        let ytd = PeriodStats {
            days: 300,
            valid_days: 300,
            good_days: 200,
            heavy_days: 3,
            pm25_mean: Some(40.0),
            pm25_days: 300,
            composite: Some(5.0),
        };
        let s = still_allowed(&Indicator::Pm25, 35.0, &ytd, 65).unwrap();
        assert!(close(s.value, 775.0 / 65.0) && s.reachable);
        // 80 % of 365 = 292 good days: 92 more needed of 65: bad days allowed 365 − 292 − 100.
        let s = still_allowed(&Indicator::GoodDayRatio, 80.0, &ytd, 65).unwrap();
        assert_eq!(
            (s.value, s.reachable, s.good_days_needed),
            (-27.0, false, Some(92))
        );
        assert_eq!(s.text_zh, "即使剩余天数全部优良也无法完成目标");
        // 60 % → ⌈219⌉ = 219 good days: 19 more; bad allowed 365 − 219 − 100 = 46.
        let s = still_allowed(&Indicator::GoodDayRatio, 60.0, &ytd, 65).unwrap();
        assert_eq!((s.value, s.good_days_needed), (46.0, Some(19)));
        // Heavy-day ratio 1.5 % of 365 = 5.475 → 5 allowed, 3 used: 2 more.
        let s = still_allowed(&Indicator::HeavyDayRatio, 1.5, &ytd, 65).unwrap();
        assert_eq!(s.value, 2.0);
        assert_eq!(s.text_zh, "还可出现重度及以上污染天2天");
        // Three heavy days against a target of two: out of reach, never "−1 more allowed".
        let s = still_allowed(&Indicator::HeavyDays, 2.0, &ytd, 65).unwrap();
        assert_eq!((s.value, s.reachable), (-1.0, false));
        assert_eq!(s.text_zh, "已超出全年目标1天,无法完成");
        assert_eq!(
            s.text_en,
            "1 days over the year's target already: out of reach"
        );
        assert_eq!(
            still_allowed(&Indicator::CompositeIndex, 4.0, &ytd, 65),
            None
        );
        assert_eq!(still_allowed(&Indicator::Pm25, 35.0, &ytd, 0), None);
    }

    #[test]
    fn the_projection_completes_the_year_from_the_monthly_pattern() {
        // Through 2025-11-20: 324 days so far (all valid), mean 40; remaining 10 days of
        // November (profile 50) and 31 of December (profile 80):
        // (40·324 + 50·10 + 80·31) / 365 = (12960 + 500 + 2480) / 365.
        let ytd = PeriodStats {
            days: 324,
            valid_days: 324,
            good_days: 243,
            heavy_days: 4,
            pm25_mean: Some(40.0),
            pm25_days: 324,
            composite: None,
        };
        let mut p = [None; 12];
        p[10] = Some(50.0);
        p[11] = Some(80.0);
        let pr = projection(&Indicator::Pm25, 2025, &ytd, 11, 20, &p).unwrap();
        assert!(close(pr.value, 15940.0 / 365.0), "{}", pr.value);
        assert!(pr.assumptions_en.contains("three years"));
        // Good-day ratio: 75 % so far; November profile 50 %, December without history
        // (takes 75 %): (243 + 5 + 23.25) / 365 · 100.
        let mut g = [None; 12];
        g[10] = Some(50.0);
        let pr = projection(&Indicator::GoodDayRatio, 2025, &ytd, 11, 20, &g).unwrap();
        assert!(close(pr.value, 100.0 * 271.25 / 365.0), "{}", pr.value);
        // Heavy days: 4 + 10 · 3/30 + 31 · 6/31 = 11.
        let mut h = [None; 12];
        h[10] = Some(3.0);
        h[11] = Some(6.0);
        let pr = projection(&Indicator::HeavyDays, 2025, &ytd, 11, 20, &h).unwrap();
        assert!(close(pr.value, 11.0), "{}", pr.value);
        // The last day of the year: the actual.
        let pr = projection(&Indicator::Pm25, 2025, &ytd, 12, 31, &[None; 12]).unwrap();
        assert!(close(pr.value, 40.0));
        assert_eq!(
            projection(&Indicator::Provincial("M09".into()), 2025, &ytd, 11, 20, &p),
            None
        );
    }

    #[test]
    fn met_depends_on_the_direction() {
        let cases = [
            (Indicator::Pm25, Some(35.0), 35.0, Some(true)),
            (Indicator::Pm25, Some(35.1), 35.0, Some(false)),
            (Indicator::GoodDayRatio, Some(79.9), 80.0, Some(false)),
            (Indicator::GoodDayRatio, Some(80.0), 80.0, Some(true)),
            (Indicator::HeavyDays, None, 3.0, None),
            (Indicator::Provincial("x".into()), Some(1.0), 1.0, None),
        ];
        for (i, a, t, want) in cases {
            assert_eq!(i.met(a, t), want, "{i} {a:?} {t}");
        }
    }
}
