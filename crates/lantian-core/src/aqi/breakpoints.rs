//! IAQI breakpoint tables of HJ 633-2012 (Table 1) and HJ 633-2026 (Table 3), as data.
//!
//! Each table lists the concentration at IAQI 0, 50, 100, 150, 200, 300, 400 and 500; a
//! shorter table ends where the standard defines no further breakpoint (SO2 1-h at 800,
//! O3 8-h at 800). The 2026 edition changes only the IAQI-100 breakpoint of PM10 (150 → 120)
//! and PM2.5 (75 → 60).

use crate::rules::AqiEdition;

/// IAQI values at the breakpoints.
pub const IAQI_STEPS: [i64; 8] = [0, 50, 100, 150, 200, 300, 400, 500];

/// A breakpoint column of the standard's table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Table {
    So2Day,
    So2Hour,
    No2Day,
    No2Hour,
    Pm10Day,
    CoDay,
    CoHour,
    O3Hour,
    O3EightHour,
    Pm25Day,
}

const SO2_DAY: &[i64] = &[0, 50, 150, 475, 800, 1600, 2100, 2620];
const SO2_HOUR: &[i64] = &[0, 150, 500, 650, 800];
const NO2_DAY: &[i64] = &[0, 40, 80, 180, 280, 565, 750, 940];
const NO2_HOUR: &[i64] = &[0, 100, 200, 700, 1200, 2340, 3090, 3840];
const PM10_DAY_2012: &[i64] = &[0, 50, 150, 250, 350, 420, 500, 600];
const PM10_DAY_2026: &[i64] = &[0, 50, 120, 250, 350, 420, 500, 600];
const CO_DAY: &[i64] = &[0, 2, 4, 14, 24, 36, 48, 60];
const CO_HOUR: &[i64] = &[0, 5, 10, 35, 60, 90, 120, 150];
const O3_HOUR: &[i64] = &[0, 160, 200, 300, 400, 800, 1000, 1200];
const O3_EIGHT_HOUR: &[i64] = &[0, 100, 160, 215, 265, 800];
const PM25_DAY_2012: &[i64] = &[0, 35, 75, 115, 150, 250, 350, 500];
const PM25_DAY_2026: &[i64] = &[0, 35, 60, 115, 150, 250, 350, 500];

/// The breakpoint concentrations of `table` in `edition` (µg/m³; CO in mg/m³).
pub fn breakpoints(edition: AqiEdition, table: Table) -> &'static [i64] {
    match (table, edition) {
        (Table::So2Day, _) => SO2_DAY,
        (Table::So2Hour, _) => SO2_HOUR,
        (Table::No2Day, _) => NO2_DAY,
        (Table::No2Hour, _) => NO2_HOUR,
        (Table::Pm10Day, AqiEdition::Hj633_2012) => PM10_DAY_2012,
        (Table::Pm10Day, AqiEdition::Hj633_2026) => PM10_DAY_2026,
        (Table::CoDay, _) => CO_DAY,
        (Table::CoHour, _) => CO_HOUR,
        (Table::O3Hour, _) => O3_HOUR,
        (Table::O3EightHour, _) => O3_EIGHT_HOUR,
        (Table::Pm25Day, AqiEdition::Hj633_2012) => PM25_DAY_2012,
        (Table::Pm25Day, AqiEdition::Hj633_2026) => PM25_DAY_2026,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_rise_strictly_and_fit_the_iaqi_steps() {
        let tables = [
            Table::So2Day,
            Table::So2Hour,
            Table::No2Day,
            Table::No2Hour,
            Table::Pm10Day,
            Table::CoDay,
            Table::CoHour,
            Table::O3Hour,
            Table::O3EightHour,
            Table::Pm25Day,
        ];
        for ed in [AqiEdition::Hj633_2012, AqiEdition::Hj633_2026] {
            for t in tables {
                let bp = breakpoints(ed, t);
                assert!(bp.len() <= IAQI_STEPS.len() && bp.len() >= 5, "{t:?}");
                assert!(bp.windows(2).all(|w| w[0] < w[1]), "{t:?} must rise");
            }
        }
    }
}
