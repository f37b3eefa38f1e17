//! Flue-gas CEMS (烟气在线监测) per HJ 75-2017 and HJ 212-2017 Appendix D: which codes a
//! stack sends, the O2-normalised (折算) concentration, stopped hours, flow, hourly emissions,
//! exceedances against an outlet's limits, and the device's own normalised values and amounts
//! checked against the recomputed ones. Pure: hourly values in, an hour's verdict out.

use serde::{Deserialize, Serialize};

/// O2 (%), the basis of normalisation (2005 code `S01`).
pub const O2: &str = "a19001";
/// Flue-gas flow (2005 code `B02`); HJ 212-2017 sends m³/s, the outlet's unit factor turns it
/// into m³/h.
pub const FLOW: &str = "a00000";

/// The flue-gas pollutants whose concentration (mg/m³) is normalised, judged against limits
/// and turned into emissions: (HJ 212-2017 code, 2005 code, name zh, name en).
pub const POLLUTANTS: [(&str, &str, &str, &str); 4] = [
    ("a21026", "02", "二氧化硫", "SO2"),
    ("a21002", "03", "氮氧化物", "NOx"),
    ("a34013", "01", "颗粒物（烟尘）", "particulate matter"),
    ("a21005", "04", "一氧化碳", "CO"),
];

/// At or above this O2 (%) the plant is taken as stopped (停运): the normalisation
/// `(21 − O2_ref)/(21 − O2)` has no meaning and no normalised value is computed (HJ 75-2017
/// §12; a configurable decision, `Rules::o2_stopped_pct_min`).
pub const O2_STOPPED_PCT_MIN: f64 = 19.0;

/// Minutes of valid minute data an hour needs (HJ 75-2017: ≥ 75 % of the hour).
pub const HOUR_VALID_MINUTES_MIN: u32 = 45;

/// How closely a device's own normalised value or amount must agree with Lantian's
/// recomputation: within `relative` of it, or `absolute` (mg/m³ or kg), whichever is larger.
/// Devices round what they send, and average minute values in their own way; the defaults
/// allow for that and for nothing more. Not from a standard: a stated decision.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    pub relative: f64,
    pub absolute: f64,
}

impl Default for Tolerance {
    fn default() -> Tolerance {
        Tolerance {
            relative: 0.05,
            absolute: 0.5,
        }
    }
}

impl Tolerance {
    pub fn agrees(self, device: f64, recomputed: f64) -> bool {
        (device - recomputed).abs() <= (self.relative * recomputed.abs()).max(self.absolute)
    }
}

/// How an outlet is judged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rules {
    /// The reference O2 of the industry (%), e.g. 16 for steel sintering, 6 for coal boilers;
    /// `None`: concentrations are not normalised (the limit applies to the measured value).
    pub o2_ref_pct: Option<f64>,
    /// At or below this flow (m³/h) the plant is taken as stopped.
    pub flow_stopped_m3_h_max: f64,
    pub o2_stopped_pct_min: f64,
    pub tolerance: Tolerance,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            o2_ref_pct: None,
            flow_stopped_m3_h_max: 0.0,
            o2_stopped_pct_min: O2_STOPPED_PCT_MIN,
            tolerance: Tolerance::default(),
        }
    }
}

/// `C × (21 − O2_ref) / (21 − O2)`, or `None` when the O2 says the plant is stopped.
pub fn normalised(
    measured_mg_m3: f64,
    o2_pct: f64,
    o2_ref_pct: f64,
    o2_stopped_pct_min: f64,
) -> Option<f64> {
    (o2_pct < o2_stopped_pct_min && o2_pct < 21.0)
        .then(|| measured_mg_m3 * (21.0 - o2_ref_pct) / (21.0 - o2_pct))
}

/// The mass emitted in `hours` at a concentration (mg/m³, measured, not normalised) and a flow
/// (m³/h): `C × Q × t × 10⁻⁶` kg (HJ 212-2017 Appendix D).
pub fn emission_kg(measured_mg_m3: f64, flow_m3_h: f64, hours: f64) -> f64 {
    measured_mg_m3 * flow_m3_h * hours * 1e-6
}

/// One pollutant's hour at an outlet, as sent or rolled up.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HourInput {
    /// The measured concentration (mg/m³), if the hour has a valid one.
    pub measured: Option<f64>,
    /// The hour's O2 (%) and flow (m³/h), if valid.
    pub o2: Option<f64>,
    pub flow_m3_h: Option<f64>,
    /// What the device itself reported: its normalised value (`-Zs*`) and its amount (`-Cou`,
    /// kg) for the hour.
    pub device_normalised: Option<f64>,
    pub device_emission_kg: Option<f64>,
    /// The outlet's limit for the pollutant (mg/m³), if it has one.
    pub limit: Option<f64>,
    /// `measured` is the mean of too few minutes (< 45): shown, but not a valid hour, so
    /// neither normalised, judged against the limit nor turned into an emission.
    pub insufficient: bool,
}

/// The verdict on one pollutant's hour.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct HourVerdict {
    pub measured: Option<f64>,
    /// Normalised to the reference O2 (or the measured value when the outlet has no
    /// reference O2); `None` when stopped or without a valid measurement.
    pub converted: Option<f64>,
    pub limit: Option<f64>,
    /// The converted value is above the limit.
    pub exceeds: bool,
    pub emission_kg: Option<f64>,
    /// The plant was stopped (O2 at or above the threshold, or flow at or below it).
    pub stopped: bool,
    /// The hour has a valid measurement.
    pub valid: bool,
    /// The device's normalised value or amount disagrees with the recomputation, or it sent
    /// a normalised value for a stopped hour.
    pub device_mismatch: bool,
}

/// Judges one pollutant's hour at an outlet.
pub fn judge(rules: &Rules, h: &HourInput) -> HourVerdict {
    let stopped = h.o2.is_some_and(|o2| o2 >= rules.o2_stopped_pct_min)
        || h.flow_m3_h
            .is_some_and(|q| q <= rules.flow_stopped_m3_h_max);
    let converted = match (h.measured, rules.o2_ref_pct) {
        _ if h.insufficient => None,
        (Some(_), _) if stopped => None,
        (Some(c), Some(reference)) => {
            h.o2.and_then(|o2| normalised(c, o2, reference, rules.o2_stopped_pct_min))
        }
        (Some(c), None) => Some(c),
        (None, _) => None,
    };
    let emission_kg = match (h.measured, h.flow_m3_h) {
        _ if h.insufficient => None,
        (Some(c), Some(q)) => Some(emission_kg(c, q, 1.0)),
        _ => None,
    };
    let tol = rules.tolerance;
    let normalised_mismatch = match (h.device_normalised, converted) {
        _ if h.insufficient => false,
        (Some(d), Some(c)) => !tol.agrees(d, c),
        // A device that normalises a stopped hour reports what has no meaning.
        (Some(_), None) => stopped,
        _ => false,
    };
    let amount_mismatch = match (h.device_emission_kg, emission_kg) {
        (Some(d), Some(e)) => !tol.agrees(d, e),
        _ => false,
    };
    HourVerdict {
        measured: h.measured,
        converted,
        limit: h.limit,
        exceeds: matches!((converted, h.limit), (Some(c), Some(l)) if c > l),
        emission_kg,
        stopped,
        valid: h.measured.is_some() && !h.insufficient,
        device_mismatch: normalised_mismatch || amount_mismatch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(o2_ref: f64) -> Rules {
        Rules {
            o2_ref_pct: Some(o2_ref),
            flow_stopped_m3_h_max: 1000.0,
            ..Rules::default()
        }
    }

    #[test]
    fn the_normalised_concentration_follows_the_reference_oxygen() {
        // Steel sintering, O2_ref 16 %: 30 mg/m³ at 18 % O2 is 30 × 5 / 3 = 50.
        let v = judge(
            &rules(16.0),
            &HourInput {
                measured: Some(30.0),
                o2: Some(18.0),
                flow_m3_h: Some(500_000.0),
                device_normalised: Some(50.4),
                device_emission_kg: Some(15.0),
                limit: Some(35.0),
                insufficient: false,
            },
        );
        assert_eq!(v.converted, Some(50.0));
        assert!(v.exceeds && v.valid && !v.stopped);
        assert_eq!(v.emission_kg, Some(15.0), "30 mg/m³ × 500,000 m³/h × 1 h");
        assert!(!v.device_mismatch, "50.4 is within 5 % of 50");
    }

    #[test]
    fn a_stopped_hour_has_no_normalised_value_and_a_device_that_gives_one_is_flagged() {
        for (o2, flow) in [(20.7, 500_000.0), (15.0, 800.0)] {
            let v = judge(
                &rules(9.0),
                &HourInput {
                    measured: Some(1.75),
                    o2: Some(o2),
                    flow_m3_h: Some(flow),
                    device_normalised: Some(69.91),
                    ..HourInput::default()
                },
            );
            assert!(v.stopped && v.valid, "{o2} {flow}");
            assert_eq!((v.converted, v.exceeds), (None, false));
            assert!(v.device_mismatch, "a normalised value for a stopped hour");
        }
    }

    #[test]
    fn an_hour_of_too_few_minutes_is_shown_but_neither_judged_nor_counted() {
        let h = HourInput {
            measured: Some(80.0),
            o2: Some(16.0),
            flow_m3_h: Some(500_000.0),
            device_normalised: Some(1.0),
            limit: Some(35.0),
            insufficient: true,
            ..HourInput::default()
        };
        let v = judge(&rules(16.0), &h);
        assert_eq!(v.measured, Some(80.0));
        assert_eq!((v.converted, v.emission_kg), (None, None));
        assert!(!v.valid && !v.exceeds && !v.device_mismatch);
        let v = judge(
            &rules(16.0),
            &HourInput {
                insufficient: false,
                ..h
            },
        );
        assert!(
            v.valid && v.exceeds && v.device_mismatch,
            "the same hour, valid"
        );
    }

    #[test]
    fn a_device_whose_figures_disagree_is_flagged_and_missing_data_is_not_valid() {
        let v = judge(
            &rules(16.0),
            &HourInput {
                measured: Some(30.0),
                o2: Some(18.0),
                flow_m3_h: Some(500_000.0),
                device_normalised: Some(40.0),
                ..HourInput::default()
            },
        );
        assert!(v.device_mismatch && !v.exceeds);
        let amount = judge(
            &rules(16.0),
            &HourInput {
                measured: Some(30.0),
                o2: Some(18.0),
                flow_m3_h: Some(500_000.0),
                device_emission_kg: Some(20.0),
                ..HourInput::default()
            },
        );
        assert!(amount.device_mismatch, "20 kg against 15 kg");
        let none = judge(
            &rules(16.0),
            &HourInput {
                o2: Some(18.0),
                ..HourInput::default()
            },
        );
        assert!(!none.valid && none.converted.is_none() && none.emission_kg.is_none());
        // Without a reference O2 the limit applies to the measured value.
        let plain = judge(
            &Rules::default(),
            &HourInput {
                measured: Some(12.0),
                limit: Some(10.0),
                ..HourInput::default()
            },
        );
        assert_eq!((plain.converted, plain.exceeds), (Some(12.0), true));
    }

    #[test]
    fn tolerance_is_relative_with_an_absolute_floor() {
        let t = Tolerance::default();
        assert!(t.agrees(105.0, 100.0) && !t.agrees(105.1, 100.0));
        assert!(
            t.agrees(1.4, 1.0) && !t.agrees(1.6, 1.0),
            "0.5 absolute near zero"
        );
    }
}
