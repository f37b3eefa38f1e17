//! Exact decimal arithmetic at the points where rounding is specified.
//!
//! Concentrations arrive as `f64` (means of measured values). Before a rule compares or
//! rounds them, they are snapped to an integer number of micro-units ([`Micros`]), which
//! removes binary floating-point noise (`115.00000000000001` is 115). All rounding after
//! that is integer arithmetic: ceilings for IAQI (HJ 633) and GB/T 8170 "round half to
//! even" for reported concentrations.

/// A non-negative decimal value in units of 10⁻⁶.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Micros(pub i64);

pub const MICROS_PER_UNIT: i64 = 1_000_000;

/// The largest value accepted (10¹² units); anything larger is not a concentration.
pub const VALUE_MAX: f64 = 1e12;

impl Micros {
    /// Snaps a finite value to micro-units. `None` for NaN, infinities and absurd magnitudes.
    pub fn from_f64(x: f64) -> Option<Micros> {
        if !x.is_finite() || x.abs() > VALUE_MAX {
            return None;
        }
        Some(Micros((x * MICROS_PER_UNIT as f64).round() as i64))
    }

    pub fn to_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_UNIT as f64
    }

    /// GB/T 8170 rounding ("四舍六入五成双") to `decimals` places (0..=6).
    pub fn round_half_even(self, decimals: u32) -> Micros {
        let step = 10_i64.pow(6 - decimals.min(6));
        let q = self.0.div_euclid(step);
        let r = self.0.rem_euclid(step);
        let up = match (2 * r).cmp(&step) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Equal => q % 2 != 0,
            std::cmp::Ordering::Less => false,
        };
        Micros((q + i64::from(up)) * step)
    }
}

/// GB/T 8170 rounding of an `f64` to `decimals` places, exact on the decimal value.
pub fn round_half_even(x: f64, decimals: u32) -> f64 {
    match Micros::from_f64(x) {
        Some(m) => m.round_half_even(decimals).to_f64(),
        None => x,
    }
}

/// `ceil(num / den)` for `den > 0`.
pub fn div_ceil(num: i64, den: i64) -> i64 {
    debug_assert!(den > 0);
    num.div_euclid(den) + i64::from(num.rem_euclid(den) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Conformance checklist §10 item 14: halves round to even.
    #[test]
    fn gbt8170_rounds_halves_to_even() {
        let cases = [
            (60.4, 0, 60.0),
            (60.5, 0, 60.0),
            (61.5, 0, 62.0),
            (60.6, 0, 61.0),
            (0.25, 1, 0.2),
            (0.35, 1, 0.4),
            (1.349_999, 1, 1.3),
            (2.0, 1, 2.0),
        ];
        for (x, dec, want) in cases {
            assert_eq!(round_half_even(x, dec), want, "round_half_even({x}, {dec})");
        }
    }

    #[test]
    fn floating_point_noise_is_removed_before_rounding() {
        // 0.1 + 0.2 = 0.30000000000000004 in binary; it is 0.3 here.
        assert_eq!(Micros::from_f64(0.1 + 0.2), Some(Micros(300_000)));
        assert_eq!(Micros::from_f64(f64::NAN), None);
    }

    #[test]
    fn div_ceil_matches_the_definition() {
        assert_eq!(div_ceil(10, 5), 2);
        assert_eq!(div_ceil(11, 5), 3);
        assert_eq!(div_ceil(0, 5), 0);
    }
}
