//! Data validity of GB 3095 §6 Table 4 and HJ 663 (MDA8), returned as values.
//!
//! Every function here answers "is there enough data?" with a [`Validity`]; a shortfall is
//! a normal outcome that reports how much data there was, never an error.

use crate::date::days_in_month;
use serde::Serialize;

/// Minutes of sampling that make an hourly value valid (SO2, NO2, CO, O3, NOx).
pub const HOUR_SAMPLING_MINUTES_MIN: u32 = 45;
/// Valid hourly values that make a daily (24-h) value valid.
pub const DAY_VALID_HOURS_MIN: u32 = 20;
/// Valid hourly values that make an O3 8-h average valid.
pub const O3_8H_VALID_HOURS_MIN: u32 = 6;
/// 8-h windows of a day: those ending at hour labels 7 … 23 (CNEMC's 08:00 … 24:00).
pub const MDA8_WINDOWS: u32 = 17;
/// Valid 8-h windows that make a daily maximum 8-h average (MDA8) valid (HJ 663-2013).
pub const MDA8_VALID_WINDOWS_MIN: u32 = 14;
/// Valid daily values that make a month valid (February: [`FEBRUARY_VALID_DAYS_MIN`]).
pub const MONTH_VALID_DAYS_MIN: u32 = 27;
pub const FEBRUARY_VALID_DAYS_MIN: u32 = 25;
/// Valid daily values that make a year valid (with every month valid too).
pub const YEAR_VALID_DAYS_MIN: u32 = 324;

/// A value, or the count of valid inputs that fell short of the requirement.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Validity<T> {
    Valid(T),
    Insufficient { n_valid: u32, n_required: u32 },
}

impl<T> Validity<T> {
    pub fn valid(self) -> Option<T> {
        match self {
            Validity::Valid(v) => Some(v),
            Validity::Insufficient { .. } => None,
        }
    }

    pub fn is_valid(&self) -> bool {
        matches!(self, Validity::Valid(_))
    }
}

/// An hourly value is valid with at least 45 minutes of sampling.
pub fn hour_is_valid(sampling_minutes: u32) -> bool {
    sampling_minutes >= HOUR_SAMPLING_MINUTES_MIN
}

/// Mean of the finite values of `hours` if at least `n_required` are finite (NaN = missing).
pub fn mean_if_enough(hours: &[f64], n_required: u32) -> Validity<f64> {
    let (mut sum, mut n) = (0.0, 0u32);
    for &v in hours {
        if !v.is_nan() {
            sum += v;
            n += 1;
        }
    }
    if n >= n_required && n > 0 {
        Validity::Valid(sum / f64::from(n))
    } else {
        Validity::Insufficient {
            n_valid: n,
            n_required,
        }
    }
}

/// The daily mean of the 24 hourly values of one day (≥ 20 valid hours).
pub fn daily_mean(hours: &[f64]) -> Validity<f64> {
    debug_assert_eq!(hours.len(), 24);
    mean_if_enough(hours, DAY_VALID_HOURS_MIN)
}

/// The 8-h average of the window `hours` (≥ 6 valid hours of 8).
pub fn o3_8h_mean(window: &[f64]) -> Validity<f64> {
    debug_assert_eq!(window.len(), 8);
    mean_if_enough(window, O3_8H_VALID_HOURS_MIN)
}

/// The daily maximum 8-h average of O3 from one day's 24 hourly values.
///
/// Windows end at labels 7 … 23, so each lies within the day. The result is valid with
/// ≥ 14 valid windows of 17; with fewer, it is still valid when its maximum exceeds
/// `limit_8h` (the exceedance exception of HJ 663-2013, spec §3.3 **[M]**).
pub fn mda8(hours: &[f64], limit_8h: f64) -> Validity<f64> {
    debug_assert_eq!(hours.len(), 24);
    let mut max = f64::NEG_INFINITY;
    let mut n_windows = 0u32;
    for end in 7..24 {
        if let Validity::Valid(m) = o3_8h_mean(&hours[end - 7..=end]) {
            n_windows += 1;
            max = max.max(m);
        }
    }
    if n_windows >= MDA8_VALID_WINDOWS_MIN || (n_windows > 0 && max > limit_8h) {
        Validity::Valid(max)
    } else {
        Validity::Insufficient {
            n_valid: n_windows,
            n_required: MDA8_VALID_WINDOWS_MIN,
        }
    }
}

/// Valid days a month needs: 27, or 25 in February.
pub fn month_days_required(month: u32) -> u32 {
    if month == 2 {
        FEBRUARY_VALID_DAYS_MIN
    } else {
        MONTH_VALID_DAYS_MIN
    }
}

/// A month is valid with ≥ 27 valid days (≥ 25 in February), or all its days if the month
/// is shorter than that (never the case for calendar months).
pub fn month_validity(year: i32, month: u32, n_valid_days: u32) -> Validity<()> {
    let required = month_days_required(month).min(days_in_month(year, month));
    if n_valid_days >= required {
        Validity::Valid(())
    } else {
        Validity::Insufficient {
            n_valid: n_valid_days,
            n_required: required,
        }
    }
}

/// Why a year of data is (in)valid for annual statistics of SO2, NO2, PM10 and PM2.5.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct YearValidity {
    pub valid: bool,
    pub n_valid_days: u32,
    pub n_required: u32,
    /// Months (1–12) with too few valid days.
    pub short_months: Vec<u32>,
}

/// A year is valid with ≥ 324 valid days and every month valid (GB 3095 Table 4).
pub fn year_validity(year: i32, valid_days_by_month: &[u32; 12]) -> YearValidity {
    let n: u32 = valid_days_by_month.iter().sum();
    let short_months: Vec<u32> = (1..=12)
        .filter(|&m| !month_validity(year, m, valid_days_by_month[m as usize - 1]).is_valid())
        .collect();
    YearValidity {
        valid: n >= YEAR_VALID_DAYS_MIN && short_months.is_empty(),
        n_valid_days: n,
        n_required: YEAR_VALID_DAYS_MIN,
        short_months,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NA: f64 = f64::NAN;

    /// Checklist §10 item 18.
    #[test]
    fn hours_and_days_need_45_minutes_and_20_hours() {
        assert!(!hour_is_valid(44));
        assert!(hour_is_valid(45));
        let mut day = [10.0; 24];
        day[..5].fill(NA); // 19 valid hours
        assert_eq!(
            daily_mean(&day),
            Validity::Insufficient {
                n_valid: 19,
                n_required: 20
            }
        );
        day[4] = 10.0; // 20 valid hours
        assert_eq!(daily_mean(&day), Validity::Valid(10.0));
    }

    /// Checklist §10 item 19.
    #[test]
    fn o3_windows_need_6_hours_and_mda8_14_windows_unless_exceeding() {
        let w5 = [1.0, 1.0, 1.0, 1.0, 1.0, NA, NA, NA];
        assert!(!o3_8h_mean(&w5).is_valid());
        let w6 = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, NA, NA];
        assert_eq!(o3_8h_mean(&w6), Validity::Valid(1.0));

        // Hours 0..=15 valid, 16..=23 missing: the windows ending at 7..=17 have ≥ 6 valid
        // hours, so 11 of 17 windows are valid.
        let mut day = [100.0; 24];
        day[16..].fill(NA);
        let n_valid = (7..24)
            .filter(|&e| o3_8h_mean(&day[e - 7..=e]).is_valid())
            .count();
        assert_eq!(n_valid, 11);
        assert_eq!(
            mda8(&day, 160.0),
            Validity::Insufficient {
                n_valid: 11,
                n_required: 14
            }
        );
        day[..16].fill(200.0);
        assert_eq!(mda8(&day, 160.0), Validity::Valid(200.0));

        // 13 valid windows, below the limit: invalid; above: valid.
        let mut day = [100.0; 24];
        day[18..].fill(NA);
        let n_valid = (7..24)
            .filter(|&e| o3_8h_mean(&day[e - 7..=e]).is_valid())
            .count();
        assert_eq!(n_valid, 13);
        assert!(!mda8(&day, 160.0).is_valid());
        day[..18].fill(170.0);
        assert_eq!(mda8(&day, 160.0), Validity::Valid(170.0));
    }

    /// Checklist §10 item 20.
    #[test]
    fn years_need_324_days_and_27_per_month_25_in_february() {
        let mut months = [27u32; 12];
        months[1] = 25;
        assert_eq!(months.iter().sum::<u32>(), 322);
        let v = year_validity(2015, &months);
        assert!(!v.valid && v.short_months.is_empty());
        months[0] = 29;
        months[2] = 29;
        assert!(year_validity(2015, &months).valid);
        months[1] = 24;
        months[3] = 30;
        let v = year_validity(2015, &months);
        assert_eq!((v.valid, v.short_months.clone()), (false, vec![2]));
    }
}
