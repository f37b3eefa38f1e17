//! The individual air quality index (IAQI) of one concentration, in exact arithmetic.
//!
//! `IAQI = (IAQI_hi − IAQI_lo) / (BP_hi − BP_lo) × (C − BP_lo) + IAQI_lo`, rounded **up**
//! to an integer (HJ 633-2012 §6.2, HJ 633-2026 §4.2.6). The concentration is snapped to
//! micro-units first ([`Micros`]), so the ceiling never sees floating-point noise.

use super::breakpoints::IAQI_STEPS;
use crate::decimal::{MICROS_PER_UNIT, Micros, div_ceil};
use serde::Serialize;

/// An IAQI value. `above_range` marks a concentration above the top breakpoint, reported
/// as 500 and displayed as ">500" (spec §9 Q12).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Iaqi {
    pub value: u16,
    pub above_range: bool,
}

impl Iaqi {
    pub const fn new(value: u16) -> Iaqi {
        Iaqi {
            value,
            above_range: false,
        }
    }
}

/// The outcome of scoring one concentration against one table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Score {
    Index(Iaqi),
    /// Above the last breakpoint of a table that stops below IAQI 500 (SO2 1-h and O3 8-h
    /// above 800 µg/m³): the edition's special rule decides.
    BeyondTable,
}

/// Scores the concentration `c` (≥ 0, in the table's unit) against `breakpoints`.
pub fn score(breakpoints: &[i64], c: Micros) -> Score {
    debug_assert!(c.0 >= 0, "negative concentrations are rejected at the edge");
    let c = c.0.max(0);
    for (i, pair) in breakpoints.windows(2).enumerate() {
        let (lo, hi) = (pair[0] * MICROS_PER_UNIT, pair[1] * MICROS_PER_UNIT);
        if c <= hi {
            let (i_lo, i_hi) = (IAQI_STEPS[i], IAQI_STEPS[i + 1]);
            let value = i_lo + div_ceil((i_hi - i_lo) * (c - lo), hi - lo);
            return Score::Index(Iaqi::new(value as u16));
        }
    }
    if breakpoints.len() == IAQI_STEPS.len() {
        Score::Index(Iaqi {
            value: 500,
            above_range: true,
        })
    } else {
        Score::BeyondTable
    }
}

#[cfg(test)]
mod tests {
    use super::super::breakpoints::{Table, breakpoints};
    use super::*;
    use crate::rules::AqiEdition::{Hj633_2012 as E12, Hj633_2026 as E26};

    fn iaqi(ed: crate::rules::AqiEdition, t: Table, c: f64) -> u16 {
        match score(breakpoints(ed, t), Micros::from_f64(c).unwrap()) {
            Score::Index(i) => i.value,
            Score::BeyondTable => 9999,
        }
    }

    /// Spec §2.7 and conformance checklist §10 items 3–9.
    #[test]
    fn test_values_of_the_spec() {
        use Table::*;
        let cases = [
            (Pm25Day, 1.0, 2, 2),
            (Pm25Day, 35.0, 50, 50),
            (Pm25Day, 60.0, 82, 100),
            (Pm25Day, 75.0, 100, 114),
            (Pm25Day, 80.0, 107, 119),
            (Pm25Day, 115.0, 150, 150),
            (Pm25Day, 150.0, 200, 200),
            (Pm25Day, 250.0, 300, 300),
            (Pm10Day, 100.0, 75, 86),
            (Pm10Day, 120.0, 85, 100),
            (Pm10Day, 150.0, 100, 112),
            (O3EightHour, 170.0, 110, 110),
            (O3Hour, 210.0, 105, 105),
            (CoDay, 1.3, 33, 33),
            (No2Day, 45.0, 57, 57),
            (So2Day, 100.0, 75, 75),
        ];
        for (t, c, want12, want26) in cases {
            assert_eq!(iaqi(E12, t, c), want12, "2012 {t:?} {c}");
            assert_eq!(iaqi(E26, t, c), want26, "2026 {t:?} {c}");
        }
    }

    #[test]
    fn exact_breakpoints_do_not_drift_up() {
        // 115 computed in floating point as a mean is still exactly 150.
        let c = (114.9 + 115.1) / 2.0;
        assert_eq!(iaqi(E12, Table::Pm25Day, c), 150);
        // 100 + 50/55 × 15 = 113.636… → 114 (spec §2.3).
        assert_eq!(iaqi(E26, Table::Pm25Day, 75.0), 114);
    }

    #[test]
    fn above_the_top_breakpoint_is_500_and_marked() {
        let s = score(
            breakpoints(E12, Table::Pm25Day),
            Micros::from_f64(612.0).unwrap(),
        );
        assert_eq!(
            s,
            Score::Index(Iaqi {
                value: 500,
                above_range: true
            })
        );
        let s = score(
            breakpoints(E12, Table::So2Hour),
            Micros::from_f64(801.0).unwrap(),
        );
        assert_eq!(s, Score::BeyondTable);
    }
}
