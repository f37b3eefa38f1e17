//! Grade II concentration limits of GB 3095-2012 and GB 3095-2026 (transitional and final).
//!
//! Xinji's built-up area and townships are class-2 zones (spec §3.1), so Grade II applies.
//! Grade I is kept for completeness.

use crate::pollutant::Pollutant;
use crate::rules::LimitsEdition;
use serde::Serialize;

/// Averaging periods that limits are stated for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Averaging {
    Annual,
    Daily,
    Hourly,
    /// O3 daily maximum 8-h average.
    Mda8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Grade {
    I,
    II,
}

/// The limit of `p` for `avg` under `edition` and `grade`, in the standard unit. `None`
/// where the standard sets none (e.g. annual CO, annual O3).
pub fn limit(edition: LimitsEdition, grade: Grade, p: Pollutant, avg: Averaging) -> Option<f64> {
    use Averaging::*;
    use Pollutant::*;
    let final_2026 = edition == LimitsEdition::Gb3095_2026Final;
    let era_2026 = matches!(
        edition,
        LimitsEdition::Gb3095_2026Transitional | LimitsEdition::Gb3095_2026Final
    );
    let v = match (p, avg, grade) {
        (So2, Annual, Grade::I) => 20.0,
        (So2, Daily, Grade::I) => 50.0,
        (So2, Hourly, Grade::I) => 150.0,
        (So2, Annual, Grade::II) => {
            if final_2026 {
                20.0
            } else {
                60.0
            }
        }
        (So2, Daily, Grade::II) => {
            if final_2026 {
                50.0
            } else {
                150.0
            }
        }
        (So2, Hourly, Grade::II) => {
            if final_2026 {
                150.0
            } else {
                500.0
            }
        }
        (No2, Annual, _) => {
            if final_2026 {
                30.0
            } else {
                40.0
            }
        }
        (No2, Daily, _) => {
            if final_2026 {
                50.0
            } else {
                80.0
            }
        }
        (No2, Hourly, _) => 200.0,
        (Co, Daily, _) => 4.0,
        (Co, Hourly, _) => 10.0,
        (O3, Mda8, Grade::I) => 100.0,
        (O3, Hourly, Grade::I) => 160.0,
        (O3, Mda8, Grade::II) => 160.0,
        (O3, Hourly, Grade::II) => 200.0,
        (Pm10, Annual, Grade::I) => {
            if final_2026 {
                20.0
            } else {
                40.0
            }
        }
        (Pm10, Daily, Grade::I) => 50.0,
        (Pm10, Annual, Grade::II) => match (era_2026, final_2026) {
            (_, true) => 50.0,
            (true, false) => 60.0,
            _ => 70.0,
        },
        (Pm10, Daily, Grade::II) => match (era_2026, final_2026) {
            (_, true) => 100.0,
            (true, false) => 120.0,
            _ => 150.0,
        },
        (Pm25, Annual, Grade::I) => {
            if final_2026 {
                10.0
            } else {
                15.0
            }
        }
        (Pm25, Daily, Grade::I) => {
            if final_2026 {
                25.0
            } else {
                35.0
            }
        }
        (Pm25, Annual, Grade::II) => match (era_2026, final_2026) {
            (_, true) => 25.0,
            (true, false) => 30.0,
            _ => 35.0,
        },
        (Pm25, Daily, Grade::II) => match (era_2026, final_2026) {
            (_, true) => 50.0,
            (true, false) => 60.0,
            _ => 75.0,
        },
        _ => return None,
    };
    Some(v)
}

/// The denominator S_i of the composite index: the annual Grade II limit for SO2, NO2,
/// PM10 and PM2.5; the daily limit for CO (its P95 is compared); 160 for O3 (MDA8 P90).
pub fn composite_denominator(edition: LimitsEdition, p: Pollutant) -> f64 {
    let avg = match p {
        Pollutant::Co => Averaging::Daily,
        Pollutant::O3 => Averaging::Mda8,
        _ => Averaging::Annual,
    };
    limit(edition, Grade::II, p, avg).unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use LimitsEdition::*;

    /// Checklist §10 item 21.
    #[test]
    fn pm25_grade_ii_limits_by_edition() {
        let cases = [
            (Gb3095_2012, 35.0, 75.0),
            (Gb3095_2012Amended2018, 35.0, 75.0),
            (Gb3095_2026Transitional, 30.0, 60.0),
            (Gb3095_2026Final, 25.0, 50.0),
        ];
        for (ed, annual, daily) in cases {
            assert_eq!(
                limit(ed, Grade::II, Pollutant::Pm25, Averaging::Annual),
                Some(annual)
            );
            assert_eq!(
                limit(ed, Grade::II, Pollutant::Pm25, Averaging::Daily),
                Some(daily)
            );
        }
        assert_eq!(
            limit(
                Gb3095_2026Transitional,
                Grade::II,
                Pollutant::Pm10,
                Averaging::Annual
            ),
            Some(60.0)
        );
        assert_eq!(
            limit(
                Gb3095_2026Final,
                Grade::II,
                Pollutant::No2,
                Averaging::Annual
            ),
            Some(30.0)
        );
        assert_eq!(
            limit(Gb3095_2012, Grade::II, Pollutant::Co, Averaging::Annual),
            None
        );
    }

    #[test]
    fn composite_denominators_with_2012_limits() {
        let s: Vec<f64> = Pollutant::ALL
            .iter()
            .map(|p| composite_denominator(Gb3095_2012, *p))
            .collect();
        // SO2, NO2, PM10, CO, O3, PM2.5
        assert_eq!(s, vec![60.0, 40.0, 70.0, 4.0, 160.0, 35.0]);
    }
}
