//! The one data path from stored values to the standards engine: the stations of a scope,
//! their hourly values (sent hourly, or rolled up from minute or real-time data) with the
//! minutes that cover them, raw or audited, and the hourly and daily aggregates that
//! `lantian query` prints and the API serves (`/query`, `/daily-aqi`, `series?avg=day`).
//!
//! The hour and the day are those of `lantian_core::cst`: the day `D` is the 24 hours
//! starting 00:00 … 23:00 Beijing time, everywhere.

use crate::caller::policy;
use crate::error::{AppError, AppResult};
use crate::present::concentration;
use crate::{App, Caller};
use lantian_core::Date;
use lantian_core::aqi::{self, AqiOptions, AqiResult, RealtimeInputs};
use lantian_core::city::{CityO3Method, city_daily, city_hourly};
use lantian_core::cst;
use lantian_core::pollutant::Pollutant;
use lantian_core::rules::RuleChoice;
use lantian_core::series::{DailyRecord, HourlySeries, StationRole};
use lantian_core::validity::{O3_8H_VALID_HOURS_MIN, mean_if_enough};
use lantian_store::{Station, View};
use serde::Serialize;

/// The longest span one request reads, in days.
pub const SPAN_DAYS_MAX: i64 = 400;

/// Which stations a result is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The city: its assessment stations (spec §4.3).
    City,
    /// An administrative unit: its ambient stations, micro sensors excepted.
    Unit(String),
    /// One station.
    Station(String),
}

impl Scope {
    /// `city`, `unit:ID` or `station:ID`.
    pub fn parse(text: &str) -> AppResult<Scope> {
        match text.split_once(':') {
            None if text == "city" => Ok(Scope::City),
            Some(("unit", id)) if !id.is_empty() => Ok(Scope::Unit(id.to_owned())),
            Some(("station", id)) if !id.is_empty() => Ok(Scope::Station(id.to_owned())),
            _ => Err(AppError::BadRequest(format!(
                "scope {text:?}: expected city, unit:ID or station:ID"
            ))),
        }
    }

    /// The stations of this scope among `all`.
    pub fn select(&self, all: &[Station]) -> Vec<Station> {
        all.iter()
            .filter(|s| match self {
                Scope::City => s.role.enters_city_statistics(),
                Scope::Unit(u) => {
                    s.admin_unit_id.as_deref() == Some(u)
                        && s.role.is_ambient()
                        && s.role != StationRole::Micro
                }
                // An outlet's or equipment's series is read through the sources use cases,
                // which decide who sees an enterprise's monitoring; never as a station.
                Scope::Station(id) => s.id == *id && s.role.is_ambient(),
            })
            .cloned()
            .collect()
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::City => f.write_str("city"),
            Scope::Unit(id) => write!(f, "unit:{id}"),
            Scope::Station(id) => write!(f, "station:{id}"),
        }
    }
}

/// The pollutants a station measures (all six when it does not say).
fn measured(s: &Station) -> [bool; 6] {
    let mut m = [false; 6];
    for code in &s.pollutants {
        if let Some(p) = Pollutant::parse(code) {
            m[p.index()] = true;
        }
    }
    if m.iter().any(|x| *x) { m } else { [true; 6] }
}

/// The hourly values of some stations over whole days, as the engine reads them.
#[derive(Clone, Debug)]
pub struct Hours {
    pub stations: Vec<Station>,
    /// One series per station, valid values only (`NaN` elsewhere).
    pub series: Vec<HourlySeries>,
    /// Minutes covering each valid value (60 for hourly data), per station and pollutant.
    minutes: Vec<[Vec<u8>; 6]>,
    measured: Vec<[bool; 6]>,
}

impl Hours {
    /// Reads the stations' hourly values of `n_days` days from `first`.
    pub fn load(
        app: &App,
        stations: Vec<Station>,
        first: Date,
        n_days: usize,
        view: View,
    ) -> AppResult<Hours> {
        Hours::load_pollutants(app, stations, first, n_days, view, &Pollutant::ALL)
    }

    /// [`Hours::load`] of some pollutants only (the others without values).
    pub fn load_pollutants(
        app: &App,
        stations: Vec<Station>,
        first: Date,
        n_days: usize,
        view: View,
        pollutants: &[Pollutant],
    ) -> AppResult<Hours> {
        let from = cst::day_start(first);
        let to = from + n_days as i64 * cst::DAY_S;
        let mut series = Vec::with_capacity(stations.len());
        let mut minutes = Vec::with_capacity(stations.len());
        for s in &stations {
            let mut hs = HourlySeries::new(first, n_days);
            let mut mins: [Vec<u8>; 6] = std::array::from_fn(|_| vec![0; n_days * 24]);
            for &p in pollutants {
                for h in app.store.hourly(&s.id, p.hj212_code(), from, to, view)? {
                    let (d, slot) = cst::slot_of(h.ts);
                    if let Some(i) = hs.index(d, slot) {
                        hs.values[p.index()][i] = h.value;
                        mins[p.index()][i] = h.n_observed.clamp(0, 60) as u8;
                    }
                }
            }
            series.push(hs);
            minutes.push(mins);
        }
        let measured = stations.iter().map(measured).collect();
        Ok(Hours {
            stations,
            series,
            minutes,
            measured,
        })
    }

    /// Covered fraction of an hour (index `i`): minutes with valid data over the minutes
    /// expected, over the stations and the pollutants each measures.
    pub fn hour_coverage(&self, i: usize) -> f64 {
        let (mut got, mut want) = (0u64, 0u64);
        for (mins, measured) in self.minutes.iter().zip(&self.measured) {
            for p in Pollutant::ALL.iter().filter(|p| measured[p.index()]) {
                got += u64::from(mins[p.index()][i]);
                want += 60;
            }
        }
        ratio(got, want)
    }

    /// Covered fraction of a day: valid hourly values over those expected.
    pub fn day_coverage(&self, day: usize) -> f64 {
        let (mut got, mut want) = (0u64, 0u64);
        for (s, measured) in self.series.iter().zip(&self.measured) {
            for p in Pollutant::ALL.iter().filter(|p| measured[p.index()]) {
                got += s.day_hours(*p, day).iter().filter(|v| !v.is_nan()).count() as u64;
                want += 24;
            }
        }
        ratio(got, want)
    }

    /// Valid hours of one pollutant on a day, over the stations (and the hours expected).
    pub fn valid_hours(&self, p: Pollutant, day: usize) -> (u32, u32) {
        let got = self
            .series
            .iter()
            .map(|s| s.day_hours(p, day).iter().filter(|v| !v.is_nan()).count() as u32)
            .sum();
        (got, 24 * self.series.len() as u32)
    }

    /// The daily records (city means of station daily values; O3 from the mean hourly
    /// series): what assessments, rankings and the daily AQI use.
    pub fn days(&self) -> Vec<DailyRecord> {
        if self.series.is_empty() {
            return Vec::new();
        }
        city_daily(&self.series, CityO3Method::CityMeanHourly).unwrap_or_default()
    }
}

fn ratio(got: u64, want: u64) -> f64 {
    if want == 0 {
        0.0
    } else {
        (got as f64 / want as f64 * 10_000.0).round() / 10_000.0
    }
}

/// The stations of a scope; a scope with none is "not found".
pub fn stations_of(app: &App, scope: &Scope) -> AppResult<Vec<Station>> {
    let stations = scope.select(&app.store.stations()?);
    if stations.is_empty() {
        return Err(AppError::NotFound(format!("no stations in scope {scope}")));
    }
    Ok(stations)
}

/// The stations of a scope when `caller` sees the data of every one of them (the city's
/// are published; a unit's or a station's may need a login: `policy::station_data`).
pub fn stations_for(app: &App, caller: &Caller, scope: &Scope) -> AppResult<Vec<Station>> {
    let stations = stations_of(app, scope)?;
    for s in &stations {
        policy::station_data(caller, s.role, s.admin_unit_id.as_deref()).map_err(|e| match e {
            AppError::Forbidden(why) => AppError::Forbidden(format!("{scope}: {why}")),
            other => other,
        })?;
    }
    Ok(stations)
}

/// [`aggregate`] for a caller (`/query`): the scope's stations must be ones it sees.
pub fn query(
    app: &App,
    caller: &Caller,
    scope: &Scope,
    period: Period,
    first: Date,
    last: Date,
    view: View,
) -> AppResult<Vec<Row>> {
    span_days(first, last)?;
    stations_for(app, caller, scope)?;
    aggregate(app, scope, period, first, last, view)
}

/// Checks a span of days (first to last, inclusive) and returns its length.
pub fn span_days(first: Date, last: Date) -> AppResult<usize> {
    let n = last.days_since_epoch() - first.days_since_epoch() + 1;
    if !(1..=SPAN_DAYS_MAX).contains(&n) {
        return Err(AppError::BadRequest(format!(
            "from {first} to {last}: need from ≤ to, at most {SPAN_DAYS_MAX} days"
        )));
    }
    Ok(n as usize)
}

/// An aggregation period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Hour,
    Day,
}

impl Period {
    pub fn parse(s: &str) -> AppResult<Period> {
        match s {
            "hour" => Ok(Period::Hour),
            "day" => Ok(Period::Day),
            o => Err(AppError::BadRequest(format!(
                "period {o:?}: expected hour or day"
            ))),
        }
    }
}

/// One period of a scope: what `lantian query` prints per line and `/query` serves per item.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub scope: String,
    pub period: Period,
    /// Beijing time: `YYYY-MM-DD HH:00` for the hour that starts then, `YYYY-MM-DD` for a day.
    pub start: String,
    /// Concentrations in standard units (CO in mg/m³); `null` when invalid. For a day: daily
    /// means, and `o3` the daily maximum 1-h value.
    pub pm25: Option<f64>,
    pub pm10: Option<f64>,
    pub so2: Option<f64>,
    pub no2: Option<f64>,
    pub co: Option<f64>,
    pub o3: Option<f64>,
    /// For an hour: the 8-h moving mean ending with it (≥ 6 valid hours); for a day: MDA8.
    pub o3_8h: Option<f64>,
    /// Real-time AQI (hour) or daily AQI (day), under the rules of the data's date.
    pub aqi: Option<u16>,
    pub primary: Vec<&'static str>,
    /// Covered fraction: valid minutes of the hour, or valid hours of the day, over those
    /// expected from the scope's stations and the pollutants they measure.
    pub coverage: f64,
    pub view: View,
}

/// What a period of a scope has: concentrations, O3 8-h, AQI and coverage.
struct Measured<'a> {
    values: [f64; 6],
    o3_8h: f64,
    aqi: &'a AqiResult,
    coverage: f64,
}

impl Row {
    fn new(scope: &Scope, period: Period, start: String, view: View, m: Measured<'_>) -> Row {
        let Measured {
            values,
            o3_8h,
            aqi: r,
            coverage,
        } = m;
        let c = |p: Pollutant| concentration(p, values[p.index()]);
        Row {
            scope: scope.to_string(),
            period,
            start,
            pm25: c(Pollutant::Pm25),
            pm10: c(Pollutant::Pm10),
            so2: c(Pollutant::So2),
            no2: c(Pollutant::No2),
            co: c(Pollutant::Co),
            o3: c(Pollutant::O3),
            o3_8h: concentration(Pollutant::O3, o3_8h),
            aqi: r.aqi,
            primary: r.primary.iter().map(Pollutant::name).collect(),
            coverage,
            view,
        }
    }
}

/// The real-time AQI of one hour's values (1-h values of all six pollutants, F1).
pub fn hour_aqi(date: Date, hour: [Option<f64>; 6]) -> AqiResult {
    aqi::realtime(
        &AqiOptions::for_date(date, RuleChoice::Auto),
        &RealtimeInputs {
            hour,
            ..RealtimeInputs::default()
        },
    )
}

/// The daily AQI of a daily record.
pub fn day_aqi(d: &DailyRecord) -> AqiResult {
    aqi::daily(
        &AqiOptions::for_date(d.date, RuleChoice::Auto),
        &d.aqi_inputs(),
    )
}

/// The hourly or daily rows of a scope from `first` to `last` (inclusive), raw or audited.
pub fn aggregate(
    app: &App,
    scope: &Scope,
    period: Period,
    first: Date,
    last: Date,
    view: View,
) -> AppResult<Vec<Row>> {
    let n_days = span_days(first, last)?;
    let stations = stations_of(app, scope)?;
    match period {
        Period::Day => {
            let hours = Hours::load(app, stations, first, n_days, view)?;
            Ok(hours
                .days()
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    let mut values = d.values;
                    values[Pollutant::O3.index()] = d.o3_max_1h;
                    let o3_8h = d.values[Pollutant::O3.index()];
                    let aqi = &day_aqi(d);
                    Row::new(
                        scope,
                        period,
                        d.date.to_string(),
                        view,
                        Measured {
                            values,
                            o3_8h,
                            aqi,
                            coverage: hours.day_coverage(i),
                        },
                    )
                })
                .collect())
        }
        Period::Hour => {
            // A day before, for the 8-h means of the first hours.
            let hours = Hours::load(app, stations, first.add_days(-1), n_days + 1, view)?;
            let mean = city_hourly(&hours.series).map_err(|e| AppError::Internal(e.to_string()))?;
            let o3 = &mean.values[Pollutant::O3.index()];
            Ok((24..(n_days + 1) * 24)
                .map(|i| {
                    let start = cst::day_start(first) + (i as i64 - 24) * cst::HOUR_S;
                    let values: [f64; 6] = std::array::from_fn(|k| mean.values[k][i]);
                    let o3_8h = mean_if_enough(&o3[i - 7..=i], O3_8H_VALID_HOURS_MIN)
                        .valid()
                        .unwrap_or(f64::NAN);
                    let r = hour_aqi(
                        cst::date_of(start),
                        values.map(|v| (!v.is_nan()).then_some(v)),
                    );
                    let m = Measured {
                        values,
                        o3_8h,
                        aqi: &r,
                        coverage: hours.hour_coverage(i),
                    };
                    Row::new(scope, period, cst::format_minute(start), view, m)
                })
                .collect())
        }
    }
}

/// The latest hour (its start) with a value at any of `stations`, and the scope's mean
/// values then: what "AQI now" scores.
pub fn latest_hour(
    app: &App,
    stations: &[Station],
    view: View,
) -> AppResult<Option<(i64, [Option<f64>; 6])>> {
    let codes: Vec<&str> = Pollutant::ALL.iter().map(|p| p.hj212_code()).collect();
    let mut latest = None;
    for s in stations {
        latest = latest.max(app.store.latest_hour(&s.id, &codes)?);
    }
    let Some(ts) = latest else { return Ok(None) };
    let mut sum = [(0.0, 0u32); 6];
    for s in stations {
        for p in Pollutant::ALL {
            for h in app
                .store
                .hourly(&s.id, p.hj212_code(), ts, ts + cst::HOUR_S, view)?
            {
                sum[p.index()].0 += h.value;
                sum[p.index()].1 += 1;
            }
        }
    }
    Ok(Some((
        ts,
        sum.map(|(s, n)| (n > 0).then(|| s / f64::from(n))),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_read_back_and_bad_ones_say_what_is_expected() {
        for s in ["city", "unit:wangkou", "station:XJ-01"] {
            assert_eq!(Scope::parse(s).unwrap().to_string(), s);
        }
        for bad in ["", "town:x", "unit:", "City"] {
            assert!(
                matches!(Scope::parse(bad), Err(AppError::BadRequest(_))),
                "{bad}"
            );
        }
    }
}
