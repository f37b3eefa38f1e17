//! From a decoded packet to observations: which fields are values, at what time, in which
//! unit, with which data flag.

use lantian_core::Date;
use lantian_hj212::{Command, Packet, Suffix, Timestamp, codes::canonical_code};
use lantian_store::{Observation, Period, SmolStr};
use std::collections::HashMap;

/// The period of the values an upload carries, if it carries any.
pub fn period_of(cn: Command) -> Option<Period> {
    match cn.0 {
        2011 => Some(Period::Rtd),
        2051 => Some(Period::Min),
        2061 => Some(Period::Hour),
        2031 => Some(Period::Day),
        // Facility status (SBxxx-RS) and working-condition values at a moment.
        2021 => Some(Period::Rtd),
        // A facility's daily run time (SBxxx-RT, hours).
        2041 => Some(Period::Day),
        _ => None,
    }
}

/// Seconds since 1970-01-01T00:00 China Standard Time of a device timestamp.
pub fn cst_seconds(t: &Timestamp) -> Option<i64> {
    let d = Date::new(i32::from(t.year), u32::from(t.month), u32::from(t.day))?;
    Some(
        d.days_since_epoch() * 86_400
            + i64::from(t.hour) * 3600
            + i64::from(t.minute) * 60
            + i64::from(t.second),
    )
}

/// The device timestamp of a CST time (seconds since 1970-01-01T00:00 China Standard Time).
pub fn timestamp(cst_s: i64) -> Timestamp {
    let d = lantian_core::cst::date_of(cst_s);
    let s = cst_s.rem_euclid(86_400);
    Timestamp {
        year: d.year() as u16,
        month: d.month() as u8,
        day: d.day() as u8,
        hour: (s / 3600) as u8,
        minute: (s % 3600 / 60) as u8,
        second: (s % 60) as u8,
        millis: 0,
    }
}

/// Why a data packet yields no observations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MappingError {
    NoDataTime,
    BadValue { field: String },
}

impl std::fmt::Display for MappingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MappingError::NoDataTime => f.write_str("data packet without a valid DataTime"),
            MappingError::BadValue { field } => write!(f, "field {field}: not a number"),
        }
    }
}

/// The observations of a data upload (2011, 2051, 2061, 2031), a facility status (2021) or a
/// facility's daily run time (2041). Values are `-Rtd` (2011) or `-Avg`; `-ZsRtd`/`-ZsAvg` go
/// under `<code>-Zs`, `-Cou` under `<code>-Cou`, a facility status `SBxxx-RS` under `SBxxx-RS`
/// and a run time `SBxxx-RT` (hours) under `SBxxx-RT`. Codes are translated to
/// HJ 212-2017; values and normalised values are multiplied by the station's configured factor
/// for their code (units are never taken from packets), amounts and statuses are not.
pub fn observations(
    p: &Packet<'_>,
    station_id: &str,
    factors: &HashMap<String, f64>,
) -> Result<Vec<Observation>, MappingError> {
    let Some(period) = period_of(p.cn) else {
        return Ok(Vec::new());
    };
    let ts = p
        .data_time
        .as_ref()
        .and_then(cst_seconds)
        .ok_or(MappingError::NoDataTime)?;
    // A packet has a few dozen fields: a list scanned beats hashing every code.
    let flags: Vec<(&str, &str)> = p
        .fields
        .iter()
        .filter_map(|f| match (f.code, f.suffix) {
            (Some(code), Suffix::Flag) => Some((code, f.value)),
            _ => None,
        })
        .collect();
    // Built once and copied: SmolStr::new scans its text.
    let station_id = SmolStr::new(station_id);
    let mut out = Vec::with_capacity(p.fields.len());
    for f in &p.fields {
        let Some(code) = f.code else { continue };
        let stored = match (f.suffix, period) {
            (Suffix::Rtd, Period::Rtd)
            | (Suffix::Avg, Period::Min | Period::Hour | Period::Day) => {
                SmolStr::new(canonical_code(code))
            }
            (Suffix::ZsRtd, Period::Rtd)
            | (Suffix::ZsAvg, Period::Min | Period::Hour | Period::Day) => {
                SmolStr::from(format!("{}-Zs", canonical_code(code)))
            }
            (Suffix::Cou, _) => SmolStr::from(format!("{}-Cou", canonical_code(code))),
            (Suffix::Rs, _) => SmolStr::from(format!("{code}-RS")),
            (Suffix::Rt, _) => SmolStr::from(format!("{code}-RT")),
            _ => continue,
        };
        if f.value.is_empty() {
            continue;
        }
        let v =
            lantian_hj212::typed::parse_decimal(f.value).ok_or_else(|| MappingError::BadValue {
                field: f.name.to_owned(),
            })?;
        // A unit factor converts a value and its normalised value (a flow in m³/s to m³/h);
        // an amount (-Cou) and a status are in units of their own.
        let factor =
            if stored.ends_with("-Cou") || stored.ends_with("-RS") || stored.ends_with("-RT") {
                1.0
            } else {
                let base = stored.split('-').next().unwrap_or(&stored);
                factors.get(base).copied().unwrap_or(1.0)
            };
        // The last flag given for a code counts, as a later field overrides an earlier one.
        let flag = flags
            .iter()
            .rev()
            .find(|(c, _)| *c == code)
            .map_or("N", |(_, f)| f);
        out.push(Observation {
            station_id: station_id.clone(),
            code: stored,
            period,
            ts,
            value: v * factor,
            flag: SmolStr::new(flag),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_timestamps_and_cst_seconds_round_trip() {
        for t in [0, 1_733_000_000, 20_767 * 86_400 + 23 * 3600 + 59 * 60 + 59] {
            assert_eq!(cst_seconds(&timestamp(t)), Some(t));
        }
        assert_eq!(timestamp(20_767 * 86_400 + 3600).n14(), "20261110010000");
    }

    fn mapped(cn: u16, cp: &str) -> Vec<(String, f64)> {
        let h = lantian_hj212::encode::Header {
            qn: None,
            st: "31",
            cn: Command(cn),
            pw: Some("123456"),
            mn: Some("MN1"),
            flag: None,
            pnum: None,
            pno: None,
        };
        let bytes = lantian_hj212::encode::encode(&h, cp);
        let p = lantian_hj212::decode(&bytes, &lantian_hj212::Limits::default()).unwrap();
        let factors = HashMap::from([("a00000".to_owned(), 3600.0)]);
        observations(&p, "S1", &factors)
            .unwrap()
            .into_iter()
            .map(|o| (o.code.to_string(), o.value))
            .collect()
    }

    #[test]
    fn flue_gas_values_statuses_and_run_times_are_stored_under_their_codes() {
        let got = mapped(
            2051,
            "DataTime=20261120080000;a21026-Avg=20.5,a21026-ZsAvg=30.1,a21026-Cou=0.2;a00000-Avg=2,a00000-Cou=7200",
        );
        assert_eq!(
            got,
            [
                ("a21026".to_owned(), 20.5),
                ("a21026-Zs".to_owned(), 30.1),
                ("a21026-Cou".to_owned(), 0.2),
                ("a00000".to_owned(), 7200.0),
                ("a00000-Cou".to_owned(), 7200.0),
            ],
            "the flow factor applies to the value, not to the amount"
        );
        assert_eq!(
            mapped(2021, "DataTime=20261120080000;SB1-RS=1;SB2-RS=0"),
            [("SB1-RS".to_owned(), 1.0), ("SB2-RS".to_owned(), 0.0)]
        );
        assert_eq!(
            mapped(2041, "DataTime=20261120000000;SB1-RT=23.5"),
            [("SB1-RT".to_owned(), 23.5)]
        );
    }
}
