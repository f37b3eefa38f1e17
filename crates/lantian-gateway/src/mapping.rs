//! From a decoded packet to observations: which fields are values, at what time, in which
//! unit, with which data flag.

use lantian_core::Date;
use lantian_hj212::sentinel::Sentinel;
use lantian_hj212::{Command, Edition, Packet, Suffix, Timestamp, codes::canonical_code};
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
        // HJ 212-2025: raw monitoring data (VOCs, ST=27) and standard-sample checks, each
        // at its DataTime.
        2013 | 2062 => Some(Period::Rtd),
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

/// How "not computable" values are told (HJ 212-2025 §8.1.1 d; docs/hj212-2025.md).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub sentinel: Sentinel,
    /// Apply the sentinel rule to packets of every edition, not only HJ 212-2025 ones.
    pub sentinel_all_editions: bool,
}

impl Options {
    fn applies(&self, p: &Packet<'_>) -> bool {
        self.sentinel_all_editions
            || p.flag.map(lantian_hj212::Flag::edition) == Some(Edition::Hj212_2025)
    }
}

/// The fields of a data packet whose value is a "not computable" sentinel (never stored,
/// never judged), as `name=value`.
pub fn not_computable(p: &Packet<'_>, opts: &Options) -> Vec<String> {
    if period_of(p.cn).is_none() || !opts.applies(p) {
        return Vec::new();
    }
    p.fields
        .iter()
        .filter(|f| f.suffix.is_numeric() && opts.sentinel.matches(f.value))
        .map(|f| format!("{}={}", f.name, f.value))
        .collect()
}

/// [`observations_with`] under the default [`Options`].
pub fn observations(
    p: &Packet<'_>,
    station_id: &str,
    factors: &HashMap<String, f64>,
) -> Result<Vec<Observation>, MappingError> {
    observations_with(p, station_id, factors, &Options::default())
}

/// A production-condition state mark (ST=45 `p991xx-Rtd`) that is not a number is stored
/// under `<code>-Mark`, value 0, the mark as its flag (so that no statistic takes it).
const MARK_CHARS_MAX: usize = 8;

/// The observations of a data upload (2011, 2051, 2061, 2031), a facility status (2021) or a
/// facility's daily run time (2041). Values are `-Rtd` (2011) or `-Avg`; `-ZsRtd`/`-ZsAvg` go
/// under `<code>-Zs`, `-Cou` under `<code>-Cou`, a facility status `SBxxx-RS` under `SBxxx-RS`
/// and a run time `SBxxx-RT` (hours) under `SBxxx-RT`. Codes are translated to
/// HJ 212-2017; values and normalised values are multiplied by the station's configured factor
/// for their code (units are never taken from packets), amounts and statuses are not.
///
/// HJ 212-2025: `-RawAvg` goes under `<code>-RawAvg` beside `-Avg`; raw data (2013) under
/// `<code>-Raw`; a standard-sample check (2062: `PolId`, `SampleRd`, `StandardValue`,
/// `ResultType`) under `<PolId>-CheckRd`, `-CheckStd`, `-CheckOk`; a value matching the
/// sentinel rule ("not computable") is skipped (see [`not_computable`]).
pub fn observations_with(
    p: &Packet<'_>,
    station_id: &str,
    factors: &HashMap<String, f64>,
    opts: &Options,
) -> Result<Vec<Observation>, MappingError> {
    let Some(period) = period_of(p.cn) else {
        return Ok(Vec::new());
    };
    let sentinels = opts.applies(p);
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
    if p.cn == Command::STANDARD_CHECK_2025 {
        return standard_checks(p, ts, &station_id, opts, sentinels);
    }
    let raw = p.cn == Command::RAW_DATA_2025;
    for f in &p.fields {
        let Some(code) = f.code else { continue };
        let stored = match (f.suffix, period) {
            (Suffix::Rtd | Suffix::Avg, _) if raw => {
                SmolStr::from(format!("{}-Raw", canonical_code(code)))
            }
            (Suffix::RawAvg, Period::Min | Period::Hour | Period::Day) => {
                SmolStr::from(format!("{}-RawAvg", canonical_code(code)))
            }
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
        if f.value.is_empty() || (sentinels && opts.sentinel.matches(f.value)) {
            continue;
        }
        let parsed = lantian_hj212::typed::parse_decimal(f.value);
        if parsed.is_none() && p.st == "45" && code.starts_with("p991") && f.suffix == Suffix::Rtd {
            out.push(Observation {
                station_id: station_id.clone(),
                code: SmolStr::from(format!("{code}-Mark")),
                period,
                ts,
                value: 0.0,
                flag: SmolStr::new(f.value.chars().take(MARK_CHARS_MAX).collect::<String>()),
            });
            continue;
        }
        let v = parsed.ok_or_else(|| MappingError::BadValue {
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

/// 2062: each `PolId` starts a check; its `SampleRd`, `StandardValue` and `ResultType`
/// (1 passed, 0 failed) follow in the same or the next items.
fn standard_checks(
    p: &Packet<'_>,
    ts: i64,
    station_id: &SmolStr,
    opts: &Options,
    sentinels: bool,
) -> Result<Vec<Observation>, MappingError> {
    let mut out = Vec::new();
    let mut pol: Option<&str> = None;
    for f in &p.fields {
        let suffix = match f.name {
            "PolId" => {
                pol = Some(canonical_code(f.value));
                continue;
            }
            "SampleRd" => "CheckRd",
            "StandardValue" => "CheckStd",
            "ResultType" => "CheckOk",
            _ => continue,
        };
        let Some(code) = pol else {
            return Err(MappingError::BadValue {
                field: format!("{} (before any PolId)", f.name),
            });
        };
        if f.value.is_empty() || (sentinels && opts.sentinel.matches(f.value)) {
            continue;
        }
        let v =
            lantian_hj212::typed::parse_decimal(f.value).ok_or_else(|| MappingError::BadValue {
                field: f.name.to_owned(),
            })?;
        out.push(Observation {
            station_id: station_id.clone(),
            code: SmolStr::from(format!("{code}-{suffix}")),
            period: Period::Rtd,
            ts,
            value: v,
            flag: SmolStr::new("N"),
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
        mapped_as("31", None, cn, cp)
            .into_iter()
            .map(|(c, v, _)| (c, v))
            .collect()
    }

    fn mapped_as(
        st: &str,
        flag: Option<lantian_hj212::Flag>,
        cn: u16,
        cp: &str,
    ) -> Vec<(String, f64, String)> {
        let h = lantian_hj212::encode::Header {
            qn: None,
            st,
            cn: Command(cn),
            pw: Some("123456"),
            mn: Some("MN1"),
            flag,
            pnum: None,
            pno: None,
            resend: false,
        };
        let bytes = lantian_hj212::encode::encode(&h, cp);
        let p = lantian_hj212::decode(&bytes, &lantian_hj212::Limits::default()).unwrap();
        let factors = HashMap::from([("a00000".to_owned(), 3600.0)]);
        observations(&p, "S1", &factors)
            .unwrap()
            .into_iter()
            .map(|o| (o.code.to_string(), o.value, o.flag.to_string()))
            .collect()
    }

    #[test]
    fn hj212_2025_raw_avg_sentinels_electricity_conditions_raw_data_and_checks() {
        let f25 = Some(lantian_hj212::Flag(9));
        let got = mapped_as(
            "31",
            f25,
            2051,
            "DataTime=20261120080000;a21026-Avg=20.5,a21026-RawAvg=21.7,a21026-Flag=N;a21002-Avg=9999.99,a21002-Flag=N",
        );
        assert_eq!(
            got,
            [
                ("a21026".to_owned(), 20.5, "N".to_owned()),
                ("a21026-RawAvg".to_owned(), 21.7, "N".to_owned()),
            ],
            "the sentinel 9999.99 is not stored"
        );
        // A 2017 packet keeps 9999.99 (the rule is for 2025 by default).
        assert_eq!(
            mapped_as(
                "31",
                Some(lantian_hj212::Flag(5)),
                2051,
                "DataTime=20261120080000;a21002-Avg=9999.99"
            )
            .len(),
            1
        );
        assert_eq!(
            mapped_as(
                "44",
                f25,
                2011,
                "DataTime=20261120080000;d20105-Rtd=12.3,d20105-Flag=N;d30406-Rtd=4.5,d30406-Flag=N"
            ),
            [
                ("d20105".to_owned(), 12.3, "N".to_owned()),
                ("d30406".to_owned(), 4.5, "N".to_owned())
            ]
        );
        assert_eq!(
            mapped_as(
                "45",
                f25,
                2011,
                "DataTime=20261120080000;p99101-Rtd=1;p99102-Rtd=S"
            ),
            [
                ("p99101".to_owned(), 1.0, "N".to_owned()),
                ("p99102-Mark".to_owned(), 0.0, "S".to_owned())
            ]
        );
        assert_eq!(
            mapped_as(
                "27",
                f25,
                2013,
                "DataTime=20261120080000;a24088-SampleTime=20261120075500,a24088-Avg=0.35,a24088-Flag=N"
            ),
            [("a24088-Raw".to_owned(), 0.35, "N".to_owned())]
        );
        assert_eq!(
            mapped_as(
                "31",
                f25,
                2062,
                "DataTime=20261120080000;PolId=a21026;SampleRd=48.9;StandardValue=50.0;ResultType=1"
            ),
            [
                ("a21026-CheckRd".to_owned(), 48.9, "N".to_owned()),
                ("a21026-CheckStd".to_owned(), 50.0, "N".to_owned()),
                ("a21026-CheckOk".to_owned(), 1.0, "N".to_owned())
            ]
        );
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
