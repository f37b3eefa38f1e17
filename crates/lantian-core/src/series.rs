//! Hourly series of a station and the daily records derived from them.

use crate::aqi::DailyInputs;
use crate::date::Date;
use crate::limits::{Averaging, Grade, limit};
use crate::pollutant::Pollutant;
use crate::rules::RuleSet;
use crate::validity::{self, Validity};

crate::org::named_enum! {
    /// What a station is for. Only assessment stations enter city statistics (spec §4.3).
    StationRole {
        /// A national or provincial assessment point (城市点).
        Assessment = "assessment",
        /// A background or control site (对照点); excluded from the city mean.
        Background = "background",
        /// A township (乡镇) station; ranked among townships, never in city statistics.
        Township = "township",
        /// A micro or grid sensor.
        Micro = "micro",
        /// An enterprise's outlet (排放口): its CEMS series. Not an air-quality station.
        Outlet = "outlet",
        /// An enterprise's equipment: its working-condition or electricity series.
        Equipment = "equipment",
    }
}

impl StationRole {
    pub fn enters_city_statistics(self) -> bool {
        self == StationRole::Assessment
    }

    /// Measures ambient air (not a source's outlet or equipment).
    pub fn is_ambient(self) -> bool {
        !matches!(self, StationRole::Outlet | StationRole::Equipment)
    }
}

/// Hourly values of whole days, one vector per pollutant in standard units (CO in mg/m³).
/// `NaN` marks a missing or invalid hour. Index `day * 24 + slot`, slot `h` being the hour
/// that starts at `h:00` and is labelled `h + 1` (the natural day, [`crate::cst`]).
#[derive(Clone, Debug, PartialEq)]
pub struct HourlySeries {
    pub start: Date,
    pub n_days: usize,
    pub values: [Vec<f64>; 6],
}

impl HourlySeries {
    /// A series of `n_days` days from `start`, every hour missing.
    pub fn new(start: Date, n_days: usize) -> HourlySeries {
        let empty = vec![f64::NAN; n_days * 24];
        HourlySeries {
            start,
            n_days,
            values: std::array::from_fn(|_| empty.clone()),
        }
    }

    /// Index of the hour in `slot` (0–23, the hour starting `slot:00`) of `date`, if within
    /// the series.
    pub fn index(&self, date: Date, slot: u32) -> Option<usize> {
        let day = date.days_since_epoch() - self.start.days_since_epoch();
        (slot < 24 && day >= 0 && (day as usize) < self.n_days)
            .then(|| day as usize * 24 + slot as usize)
    }

    /// Index of the hour labelled `label` (0–24, CNEMC: the hour's end) on `date`.
    pub fn index_of_label(&self, date: Date, label: u32) -> Option<usize> {
        (label <= 24)
            .then(|| crate::cst::slot_of_label(date, label))
            .and_then(|(d, slot)| self.index(d, slot))
    }

    /// Sets one value; returns false when the hour lies outside the series.
    pub fn set(&mut self, date: Date, slot: u32, p: Pollutant, value: f64) -> bool {
        match self.index(date, slot) {
            Some(i) => {
                self.values[p.index()][i] = value;
                true
            }
            None => false,
        }
    }

    pub fn date_of_day(&self, day: usize) -> Date {
        self.start.add_days(day as i64)
    }

    /// The 24 hourly values of `p` on day `day`.
    pub fn day_hours(&self, p: Pollutant, day: usize) -> &[f64] {
        &self.values[p.index()][day * 24..day * 24 + 24]
    }

    /// Count of non-missing hourly values over all pollutants.
    pub fn count_values(&self) -> usize {
        self.values
            .iter()
            .map(|v| v.iter().filter(|x| !x.is_nan()).count())
            .sum()
    }
}

/// One day of a station or a city, in standard units. `NaN` marks an invalid value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DailyRecord {
    pub date: Date,
    /// Daily means by [`Pollutant::index`]; the O3 slot holds the MDA8.
    pub values: [f64; 6],
    /// Daily maximum 1-h O3 (used by the HJ 633-2012 daily AQI).
    pub o3_max_1h: f64,
    /// Affected by sand/dust or another exceptional event (例外事件), from audited flags.
    pub exceptional: bool,
}

impl DailyRecord {
    pub fn aqi_inputs(&self) -> DailyInputs {
        let opt = |v: f64| (!v.is_nan()).then_some(v);
        DailyInputs {
            day: self.values.map(opt),
            o3_max_1h: opt(self.o3_max_1h),
        }
    }
}

/// The O3 8-h limit used by the MDA8 exceedance exception on `date`.
pub fn mda8_limit(date: Date) -> f64 {
    limit(
        RuleSet::for_date(date).limits,
        Grade::II,
        Pollutant::O3,
        Averaging::Mda8,
    )
    .unwrap_or(160.0)
}

/// The daily records of a station: daily means with ≥ 20 valid hours, MDA8 with ≥ 14 valid
/// windows (or exceeding), and the daily maximum 1-h O3 with ≥ 20 valid hours.
pub fn daily_records(series: &HourlySeries) -> Vec<DailyRecord> {
    (0..series.n_days)
        .map(|day| {
            let date = series.date_of_day(day);
            let mut values = [f64::NAN; 6];
            for p in Pollutant::ALL {
                let hours = series.day_hours(p, day);
                let v = if p == Pollutant::O3 {
                    validity::mda8(hours, mda8_limit(date))
                } else {
                    validity::daily_mean(hours)
                };
                values[p.index()] = v.valid().unwrap_or(f64::NAN);
            }
            DailyRecord {
                date,
                values,
                o3_max_1h: daily_max(series.day_hours(Pollutant::O3, day)),
                exceptional: false,
            }
        })
        .collect()
}

/// The maximum of a day's valid hours, if at least 20 are valid.
pub fn daily_max(hours: &[f64]) -> f64 {
    match validity::mean_if_enough(hours, validity::DAY_VALID_HOURS_MIN) {
        Validity::Valid(_) => hours
            .iter()
            .copied()
            .filter(|v| !v.is_nan())
            .fold(f64::NEG_INFINITY, f64::max),
        Validity::Insufficient { .. } => f64::NAN,
    }
}

/// `n` station-years made from `base` by cycling through it and scaling each copy by a
/// deterministic factor in 0.85–1.15, for benchmarks that need many realistic series.
pub fn perturbed_copies(base: &[HourlySeries], n: usize) -> Vec<HourlySeries> {
    if base.is_empty() {
        return Vec::new();
    }
    (0..n)
        .map(|i| {
            let mut s = base[i % base.len()].clone();
            let factor = perturbation_factor(i);
            for v in s.values.iter_mut().flat_map(|v| v.iter_mut()) {
                *v *= factor;
            }
            s
        })
        .collect()
}

/// The scale of copy `i` in [`perturbed_copies`]: 0.85–1.15, spread by the golden ratio so
/// that neighbouring copies differ. For generators that stream copies instead of holding them.
pub fn perturbation_factor(i: usize) -> f64 {
    0.85 + 0.3 * ((i as f64 * 0.618_033_988_75).fract())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_records_apply_the_validity_rules() {
        let start = Date::new(2015, 1, 1).unwrap();
        let mut s = HourlySeries::new(start, 2);
        for h in 0..24 {
            s.set(start, h, Pollutant::Pm25, f64::from(h));
            s.set(start, h, Pollutant::O3, 100.0);
        }
        for h in 0..19 {
            s.set(start.add_days(1), h, Pollutant::Pm25, 10.0);
        }
        assert!(!s.set(start.add_days(2), 0, Pollutant::Pm25, 1.0));
        let d = daily_records(&s);
        assert_eq!(d[0].values[Pollutant::Pm25.index()], 11.5);
        assert_eq!(d[0].values[Pollutant::O3.index()], 100.0);
        assert_eq!(d[0].o3_max_1h, 100.0);
        assert!(
            d[1].values[Pollutant::Pm25.index()].is_nan(),
            "19 hours are not a day"
        );
        assert!(d[1].values[Pollutant::So2.index()].is_nan());
    }
}
