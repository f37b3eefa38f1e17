//! The air quality index: real-time (hourly) and daily AQI of HJ 633-2012 and HJ 633-2026.
//!
//! The default real-time method is the one CNEMC published (spec §2.4): the 1-h values of
//! all six pollutants, with PM 1-h values scored on the daily breakpoints and no O3 8-h or PM
//! 24-h moving averages. The literal reading of HJ 633-2012 Table 4 is the named variant
//! [`RealtimeMethod::Table4`].

pub mod breakpoints;
pub mod iaqi;
pub mod level;

use crate::date::Date;
use crate::decimal::Micros;
use crate::pollutant::{Pollutant, PollutantSet};
use crate::rules::{AqiEdition, RuleChoice, RuleSet};
use breakpoints::{Table, breakpoints};
use iaqi::{Iaqi, Score, score};
pub use level::{Lang, Level};
use serde::{Deserialize, Serialize};

/// A quantity that receives an IAQI: a pollutant with an averaging period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Indicator {
    So2Hour,
    No2Hour,
    CoHour,
    O3Hour,
    Pm10Hour,
    Pm25Hour,
    So2Day,
    No2Day,
    CoDay,
    Pm10Day,
    Pm25Day,
    O3EightHour,
}

impl Indicator {
    pub const COUNT: usize = 12;

    pub fn pollutant(self) -> Pollutant {
        use Indicator::*;
        match self {
            So2Hour | So2Day => Pollutant::So2,
            No2Hour | No2Day => Pollutant::No2,
            CoHour | CoDay => Pollutant::Co,
            O3Hour | O3EightHour => Pollutant::O3,
            Pm10Hour | Pm10Day => Pollutant::Pm10,
            Pm25Hour | Pm25Day => Pollutant::Pm25,
        }
    }

    /// The breakpoint column used; PM 1-h values use the daily column (HJ 633-2026 §4.2.3,
    /// and CNEMC's 2012-era practice).
    pub fn table(self) -> Table {
        use Indicator::*;
        match self {
            So2Hour => Table::So2Hour,
            No2Hour => Table::No2Hour,
            CoHour => Table::CoHour,
            O3Hour => Table::O3Hour,
            Pm10Hour | Pm10Day => Table::Pm10Day,
            Pm25Hour | Pm25Day => Table::Pm25Day,
            So2Day => Table::So2Day,
            No2Day => Table::No2Day,
            CoDay => Table::CoDay,
            O3EightHour => Table::O3EightHour,
        }
    }

    pub fn name(self) -> &'static str {
        use Indicator::*;
        match self {
            So2Hour => "SO2_1h",
            No2Hour => "NO2_1h",
            CoHour => "CO_1h",
            O3Hour => "O3_1h",
            Pm10Hour => "PM10_1h",
            Pm25Hour => "PM2.5_1h",
            So2Day => "SO2_24h",
            No2Day => "NO2_24h",
            CoDay => "CO_24h",
            Pm10Day => "PM10_24h",
            Pm25Day => "PM2.5_24h",
            O3EightHour => "O3_8h",
        }
    }
}

/// How the real-time AQI is formed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RealtimeMethod {
    /// 1-h values of the six pollutants, PM on the daily breakpoints (CNEMC practice; the
    /// rule HJ 633-2026 wrote down).
    #[default]
    Published,
    /// HJ 633-2012 Table 4 read literally: PM from the 24-h moving averages, O3 8-h moving
    /// average included.
    Table4,
}

/// What a 2012-era real-time AQI does with SO2 1-h above 800 µg/m³ (HJ 633-2026 fixes 200).
///
/// CNEMC's published values changed practice: on 2017-01-01 such hours left SO2 out, in
/// January 2019 they scored it 200 (docs/findings.md). [`AqiOptions::for_date`] picks
/// `Omit` before [`so2_cap200_assumed_from`] and `Cap200` from then on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum So2Above800 {
    /// IAQI 200: what CNEMC published in January 2019 (spec §2.4).
    #[default]
    Cap200,
    /// SO2 left out of the AQI: what CNEMC published on 2017-01-01 (docs/findings.md).
    Omit,
    /// SO2's IAQI from its 24-h average: HJ 633-2012 note 2 read literally.
    FromDaily,
}

/// Whether concentrations are rounded before they are scored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConcentrationRounding {
    /// Scored as received (HJ 633-2012 says nothing; spec §9 Q9).
    AsReceived,
    /// GB/T 8170 to integers, CO to 1 decimal, halves to even ("四舍六入五成双"; HJ 633-2026
    /// §4.2.2). For the daily AQI of the 2012 era this is what reproduces the published day
    /// counts (docs/findings.md F6).
    GbT8170,
    /// To integers, CO to 1 decimal, halves up ("四舍五入"): a common reading of "rounded",
    /// kept for comparison (F6 measured no difference from [`ConcentrationRounding::GbT8170`]).
    HalfUp,
}

impl ConcentrationRounding {
    pub const ALL: [ConcentrationRounding; 3] = [
        ConcentrationRounding::AsReceived,
        ConcentrationRounding::GbT8170,
        ConcentrationRounding::HalfUp,
    ];

    /// The stable name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ConcentrationRounding::AsReceived => "as-received",
            ConcentrationRounding::GbT8170 => "gb-t8170",
            ConcentrationRounding::HalfUp => "half-up",
        }
    }

    /// `m` rounded to `decimals` places by this rule.
    pub fn apply(self, m: Micros, decimals: u32) -> Micros {
        match self {
            ConcentrationRounding::AsReceived => m,
            ConcentrationRounding::GbT8170 => m.round_half_even(decimals),
            ConcentrationRounding::HalfUp => {
                let step = 10_i64.pow(6 - decimals.min(6));
                let (q, r) = (m.0.div_euclid(step), m.0.rem_euclid(step));
                Micros((q + i64::from(2 * r >= step)) * step)
            }
        }
    }
}

impl std::str::FromStr for ConcentrationRounding {
    type Err = String;
    fn from_str(s: &str) -> Result<ConcentrationRounding, String> {
        ConcentrationRounding::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!("concentration rounding {s:?}: expected as-received, gb-t8170 or half-up")
            })
    }
}

/// What happens when an expected indicator is missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MissingPolicy {
    /// The AQI is the maximum over the indicators present (CNEMC's 2012-era practice).
    FromAvailable,
    /// HJ 633-2026 §5.3: computed from the rest, published only if above 100, else NA.
    NaUnlessAbove100,
}

/// Every choice the AQI computation makes, with the edition's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AqiOptions {
    pub edition: AqiEdition,
    pub realtime_method: RealtimeMethod,
    pub so2_above_800: So2Above800,
    /// Rounding of the concentrations of the real-time (hourly) AQI.
    pub rounding: ConcentrationRounding,
    /// Rounding of the day's concentrations (the city's or station's daily values) before
    /// the daily AQI. GB/T 8170 in both editions: HJ 633-2026 §4.2.2 says so, and for the
    /// 2012 era it is what reproduces the published good and heavy-pollution day counts
    /// (docs/findings.md F6); [`ConcentrationRounding::AsReceived`] was Lantian's earlier
    /// 2012-era default.
    pub daily_rounding: ConcentrationRounding,
    pub missing: MissingPolicy,
    /// Pollutants not monitored by design: their absence never blocks an AQI (§5.3).
    #[serde(skip)]
    pub not_monitored: PollutantSet,
}

/// The date from which 2012-era hours score SO2 1-h above 800 µg/m³ as 200 by default.
///
/// The published data bound the change between 2017-01-02 and 2019-01-09; the date the GB
/// 3095 amendment took effect (2018-09-01) is assumed. Override with
/// [`AqiOptions::so2_above_800`].
pub fn so2_cap200_assumed_from() -> Date {
    crate::rules::amendment_2018_in_force()
}

impl AqiOptions {
    /// The defaults for data of `date` under the caller's rule choice.
    pub fn for_date(date: Date, choice: RuleChoice) -> AqiOptions {
        let mut opts = AqiOptions::for_edition(RuleSet::choose(choice, date).aqi);
        if opts.edition == AqiEdition::Hj633_2012 && date < so2_cap200_assumed_from() {
            opts.so2_above_800 = So2Above800::Omit;
        }
        opts
    }

    /// The defaults of an edition, whatever the date.
    pub fn for_edition(edition: AqiEdition) -> AqiOptions {
        match edition {
            AqiEdition::Hj633_2012 => AqiOptions {
                edition,
                realtime_method: RealtimeMethod::Published,
                so2_above_800: So2Above800::Cap200,
                rounding: ConcentrationRounding::AsReceived,
                daily_rounding: ConcentrationRounding::GbT8170,
                missing: MissingPolicy::FromAvailable,
                not_monitored: PollutantSet::EMPTY,
            },
            AqiEdition::Hj633_2026 => AqiOptions {
                edition,
                realtime_method: RealtimeMethod::Published,
                so2_above_800: So2Above800::Cap200,
                rounding: ConcentrationRounding::GbT8170,
                daily_rounding: ConcentrationRounding::GbT8170,
                missing: MissingPolicy::NaUnlessAbove100,
                not_monitored: PollutantSet::EMPTY,
            },
        }
    }
}

/// Inputs of a real-time AQI: 1-h values by [`Pollutant::index`], and the moving averages
/// that only the [`RealtimeMethod::Table4`] variant (and SO2's fallback) uses.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RealtimeInputs {
    pub hour: [Option<f64>; 6],
    pub so2_24h: Option<f64>,
    pub pm10_24h: Option<f64>,
    pub pm25_24h: Option<f64>,
    pub o3_8h: Option<f64>,
}

/// Inputs of a daily AQI: daily means by [`Pollutant::index`] (the O3 slot holds the daily
/// maximum 8-h average, MDA8) and the daily maximum 1-h O3 (used by HJ 633-2012 only).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DailyInputs {
    pub day: [Option<f64>; 6],
    pub o3_max_1h: Option<f64>,
}

/// An AQI with everything the standard reports beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AqiResult {
    pub edition: AqiEdition,
    /// `None` is "NA": nothing to score, or HJ 633-2026 §5.3 withholds it.
    pub aqi: Option<u16>,
    /// The AQI comes from a concentration above the top breakpoint (display ">500").
    pub above_range: bool,
    /// IAQI by indicator (see [`AqiResult::iaqi_of`]).
    pub iaqi: [Option<Iaqi>; Indicator::COUNT],
    /// 首要污染物: only when AQI > 50; ties are all listed.
    pub primary: PollutantSet,
    /// 超标污染物 (IAQI > 100). Defined by HJ 633-2012 only; HJ 633-2026 deleted it.
    pub exceeding: PollutantSet,
    /// Expected pollutants that had no value.
    pub missing: PollutantSet,
}

impl AqiResult {
    pub fn iaqi_of(&self, ind: Indicator) -> Option<Iaqi> {
        self.iaqi[ind as usize]
    }

    pub fn level(&self) -> Option<Level> {
        self.aqi.map(Level::from_aqi)
    }

    /// The largest IAQI per pollutant (O3 may have a 1-h and an 8-h IAQI).
    pub fn pollutant_iaqi(&self, p: Pollutant) -> Option<u16> {
        ALL_INDICATORS
            .iter()
            .filter(|i| i.pollutant() == p)
            .filter_map(|i| self.iaqi_of(*i).map(|x| x.value))
            .max()
    }
}

const ALL_INDICATORS: [Indicator; Indicator::COUNT] = [
    Indicator::So2Hour,
    Indicator::No2Hour,
    Indicator::CoHour,
    Indicator::O3Hour,
    Indicator::Pm10Hour,
    Indicator::Pm25Hour,
    Indicator::So2Day,
    Indicator::No2Day,
    Indicator::CoDay,
    Indicator::Pm10Day,
    Indicator::Pm25Day,
    Indicator::O3EightHour,
];

/// The real-time (hourly) AQI.
pub fn realtime(opts: &AqiOptions, input: &RealtimeInputs) -> AqiResult {
    let h = |p: Pollutant| input.hour[p.index()];
    let so2_fallback = input.so2_24h;
    match (opts.realtime_method, opts.edition) {
        (RealtimeMethod::Table4, AqiEdition::Hj633_2012) => combine(
            opts,
            opts.rounding,
            &[
                (Indicator::So2Hour, h(Pollutant::So2)),
                (Indicator::No2Hour, h(Pollutant::No2)),
                (Indicator::CoHour, h(Pollutant::Co)),
                (Indicator::O3Hour, h(Pollutant::O3)),
                (Indicator::O3EightHour, input.o3_8h),
                (Indicator::Pm10Day, input.pm10_24h),
                (Indicator::Pm25Day, input.pm25_24h),
            ],
            so2_fallback,
        ),
        _ => combine(
            opts,
            opts.rounding,
            &[
                (Indicator::So2Hour, h(Pollutant::So2)),
                (Indicator::No2Hour, h(Pollutant::No2)),
                (Indicator::CoHour, h(Pollutant::Co)),
                (Indicator::O3Hour, h(Pollutant::O3)),
                (Indicator::Pm10Hour, h(Pollutant::Pm10)),
                (Indicator::Pm25Hour, h(Pollutant::Pm25)),
            ],
            so2_fallback,
        ),
    }
}

/// The daily AQI. HJ 633-2012 scores seven indicators (with O3's daily maximum 1-h value);
/// HJ 633-2026 scores six (checklist §10 item 12).
pub fn daily(opts: &AqiOptions, input: &DailyInputs) -> AqiResult {
    let d = |p: Pollutant| input.day[p.index()];
    let six = [
        (Indicator::So2Day, d(Pollutant::So2)),
        (Indicator::No2Day, d(Pollutant::No2)),
        (Indicator::Pm10Day, d(Pollutant::Pm10)),
        (Indicator::CoDay, d(Pollutant::Co)),
        (Indicator::Pm25Day, d(Pollutant::Pm25)),
        (Indicator::O3EightHour, d(Pollutant::O3)),
    ];
    match opts.edition {
        AqiEdition::Hj633_2012 => {
            let mut seven = [(Indicator::O3Hour, input.o3_max_1h); 7];
            seven[..6].copy_from_slice(&six);
            combine(opts, opts.daily_rounding, &seven, None)
        }
        AqiEdition::Hj633_2026 => combine(opts, opts.daily_rounding, &six, None),
    }
}

fn combine(
    opts: &AqiOptions,
    rounding: ConcentrationRounding,
    inputs: &[(Indicator, Option<f64>)],
    so2_fallback: Option<f64>,
) -> AqiResult {
    let mut r = AqiResult {
        edition: opts.edition,
        aqi: None,
        above_range: false,
        iaqi: [None; Indicator::COUNT],
        primary: PollutantSet::EMPTY,
        exceeding: PollutantSet::EMPTY,
        missing: PollutantSet::EMPTY,
    };
    let mut max: Option<Iaqi> = None;
    for &(ind, value) in inputs {
        let scored = value.and_then(|c| score_one(opts, rounding, ind, c, so2_fallback));
        match scored {
            Some(i) => {
                r.iaqi[ind as usize] = Some(i);
                if max.is_none_or(|m| i.value > m.value) {
                    max = Some(i);
                }
            }
            None if value.is_none() && !opts.not_monitored.contains(ind.pollutant()) => {
                r.missing.insert(ind.pollutant());
            }
            None => {}
        }
    }
    let Some(max) = max else { return r };
    if opts.missing == MissingPolicy::NaUnlessAbove100 && !r.missing.is_empty() && max.value <= 100
    {
        return r;
    }
    r.aqi = Some(max.value);
    r.above_range = inputs
        .iter()
        .filter_map(|(ind, _)| r.iaqi[*ind as usize])
        .any(|i| i.value == max.value && i.above_range);
    for &(ind, _) in inputs {
        if let Some(i) = r.iaqi[ind as usize] {
            if max.value > 50 && i.value == max.value {
                r.primary.insert(ind.pollutant());
            }
            if i.value > 100 {
                r.exceeding.insert(ind.pollutant());
            }
        }
    }
    r
}

/// Scores one concentration with the edition's special rules above the table.
fn score_one(
    opts: &AqiOptions,
    rounding: ConcentrationRounding,
    ind: Indicator,
    c: f64,
    so2_fallback: Option<f64>,
) -> Option<Iaqi> {
    let m = Micros::from_f64(c).filter(|m| m.0 >= 0)?;
    let m = rounding.apply(m, ind.pollutant().reported_decimals());
    match score(breakpoints(opts.edition, ind.table()), m) {
        Score::Index(i) => Some(i),
        Score::BeyondTable => match (ind, opts.edition, opts.so2_above_800) {
            (Indicator::So2Hour, AqiEdition::Hj633_2026, _)
            | (Indicator::So2Hour, AqiEdition::Hj633_2012, So2Above800::Cap200) => {
                Some(Iaqi::new(200))
            }
            (Indicator::So2Hour, AqiEdition::Hj633_2012, So2Above800::Omit) => None,
            (Indicator::So2Hour, AqiEdition::Hj633_2012, So2Above800::FromDaily) => {
                score_one(opts, rounding, Indicator::So2Day, so2_fallback?, None)
            }
            // HJ 633-2026 note c: O3 8-h above 800 scores 300.
            (Indicator::O3EightHour, AqiEdition::Hj633_2026, _) => Some(Iaqi::new(300)),
            // HJ 633-2012 note 3: no 8-h IAQI; O3 is scored from its 1-h value instead.
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests;
