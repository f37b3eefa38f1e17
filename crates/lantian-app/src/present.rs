//! How results are shown, once for every front end: AQI with its level, colour and advice
//! in the reader's language, concentrations with one decimal more than the standard reports,
//! and times in Beijing time.

use lantian_core::aqi::{AqiResult, Lang};
use lantian_core::cst;
use lantian_core::decimal::round_half_even;
use lantian_core::pollutant::Pollutant;
use lantian_core::rules::AqiEdition;
use serde::Serialize;
use std::collections::BTreeMap;

/// Which values a result is computed from.
pub use lantian_store::View;

/// An AQI as a person reads it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AqiView {
    /// `None` is "NA" (nothing to score, or HJ 633-2026 §5.3 withholds it).
    pub aqi: Option<u16>,
    /// Above the top breakpoint: shown as ">500".
    pub above_range: bool,
    pub level: Option<u8>,
    pub category: Option<&'static str>,
    pub colour: Option<String>,
    /// 首要污染物 (only when AQI > 50).
    pub primary: Vec<&'static str>,
    pub advice: Option<String>,
    pub rule_set: &'static str,
}

pub fn aqi_view(r: &AqiResult, lang: Lang) -> AqiView {
    let level = r.level();
    AqiView {
        aqi: r.aqi,
        above_range: r.above_range,
        level: level.map(|l| l.number()),
        category: level.map(|l| l.category(lang)),
        colour: level.map(|l| l.hex()),
        primary: r.primary.iter().map(Pollutant::name).collect(),
        advice: level.map(|l| l.advice(r.edition, lang)),
        rule_set: edition_name(r.edition),
    }
}

pub fn edition_name(e: AqiEdition) -> &'static str {
    match e {
        AqiEdition::Hj633_2012 => "HJ 633-2012",
        AqiEdition::Hj633_2026 => "HJ 633-2026",
    }
}

/// Decimal places shown for a pollutant: one more than the standard reports (GB/T 8170
/// rounding), so that a shown value rounds to the reported one.
pub fn shown_decimals(p: Pollutant) -> u32 {
    p.reported_decimals() + 1
}

/// A concentration as shown; `None` for a missing or invalid value.
pub fn concentration(p: Pollutant, v: f64) -> Option<f64> {
    v.is_finite().then(|| round_half_even(v, shown_decimals(p)))
}

/// Concentrations by pollutant key (`pm25`, `so2`, …), in standard units.
pub fn concentrations(values: &[f64; 6]) -> BTreeMap<&'static str, Option<f64>> {
    Pollutant::ALL
        .iter()
        .map(|p| (p.key(), concentration(*p, values[p.index()])))
        .collect()
}

/// A language from a request parameter (`en`; anything else is Chinese).
pub fn lang(code: Option<&str>) -> Lang {
    if code == Some("en") {
        Lang::En
    } else {
        Lang::Zh
    }
}

/// `YYYY-MM-DD HH:00` (Beijing time) of the hour that starts at `start` (CST seconds).
pub fn hour_start_text(start: i64) -> String {
    cst::format_minute(start)
}

/// `YYYY-MM-DD HH:00` (Beijing time) of the end of the hour that starts at `start`: how
/// CNEMC and the UI label an hour ("the value labelled 16:00" is 15:00–16:00).
pub fn hour_label_text(start: i64) -> String {
    cst::format_minute(start + cst::HOUR_S)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concentrations_show_one_decimal_more_than_reported() {
        assert_eq!(
            concentration(Pollutant::Pm25, 40.25),
            Some(40.2),
            "half to even"
        );
        assert_eq!(concentration(Pollutant::Co, 0.845), Some(0.84));
        assert_eq!(concentration(Pollutant::So2, f64::NAN), None);
        assert_eq!(hour_label_text(0), "1970-01-01 01:00");
        assert_eq!(hour_start_text(0), "1970-01-01 00:00");
    }
}
