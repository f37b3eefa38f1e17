//! From stored observations to the standards engine: hourly series, AQI now, assessments,
//! rankings and target progress.

use crate::error::ApiResult;
use lantian_core::Date;
use lantian_core::aqi::{self, AqiOptions, AqiResult, RealtimeInputs};
use lantian_core::assess::{AssessOptions, Assessment, assess};
use lantian_core::city::{CityO3Method, city_daily};
use lantian_core::pollutant::Pollutant;
use lantian_core::rules::RuleChoice;
use lantian_core::series::{DailyRecord, HourlySeries};
use lantian_store::{Period, Station, Store, View};

pub const HOUR_S: i64 = 3600;
pub const DAY_S: i64 = 86_400;

/// The engine's hour label of a stored hourly value: the hour it ends (CNEMC's labels).
pub fn label(start_ts: i64) -> (Date, u32) {
    let l = start_ts + HOUR_S;
    (
        Date::from_days_since_epoch(l.div_euclid(DAY_S)),
        (l.rem_euclid(DAY_S) / HOUR_S) as u32,
    )
}

/// Hourly series of a station over `n_days` days from `first`.
pub fn station_series(
    store: &Store,
    station: &str,
    first: Date,
    n_days: usize,
    view: View,
) -> ApiResult<HourlySeries> {
    let mut s = HourlySeries::new(first, n_days);
    let from = first.days_since_epoch() * DAY_S - HOUR_S;
    let to = from + n_days as i64 * DAY_S;
    for p in Pollutant::ALL {
        for pt in store.series(station, p.hj212_code(), Period::Hour, from, to, view)? {
            if pt.flag == "N" {
                let (d, h) = label(pt.ts);
                s.set(d, h, p, pt.value);
            }
        }
    }
    Ok(s)
}

/// Stations that enter a scope: the city (assessment stations) or an administrative unit.
pub fn scope_stations(stations: &[Station], scope: &str) -> Vec<Station> {
    match scope.strip_prefix("unit:") {
        Some(unit) => stations
            .iter()
            .filter(|s| s.admin_unit_id.as_deref() == Some(unit) && s.role != "micro")
            .cloned()
            .collect(),
        None => stations
            .iter()
            .filter(|s| s.role == "assessment")
            .cloned()
            .collect(),
    }
}

/// Daily records of a scope (mean of its stations) over a span.
pub fn scope_days(
    store: &Store,
    stations: &[Station],
    first: Date,
    n_days: usize,
    view: View,
) -> ApiResult<Vec<DailyRecord>> {
    let series = stations
        .iter()
        .map(|s| station_series(store, &s.id, first, n_days, view))
        .collect::<ApiResult<Vec<_>>>()?;
    if series.is_empty() {
        return Ok(Vec::new());
    }
    Ok(city_daily(&series, CityO3Method::CityMeanHourly).unwrap_or_default())
}

pub fn assess_scope(
    store: &Store,
    stations: &[Station],
    first: Date,
    n_days: usize,
    rules: RuleChoice,
) -> ApiResult<Option<Assessment>> {
    let days = scope_days(store, stations, first, n_days, View::Audited)?;
    Ok(assess(
        &days,
        &AssessOptions {
            rules,
            ..AssessOptions::default()
        },
    ))
}

/// An hour's start, its mean concentrations by pollutant, and their real-time AQI.
pub type Now = (i64, [Option<f64>; 6], AqiResult);

/// The latest hour with data at any of `stations`, and the mean of their values at that
/// hour per pollutant, scored as a real-time AQI.
pub fn aqi_now(store: &Store, stations: &[Station]) -> ApiResult<Option<Now>> {
    let mut latest_ts = None;
    let mut per_station = Vec::new();
    for s in stations {
        let l = store.latest(&s.id, Period::Hour)?;
        latest_ts = l.iter().map(|x| x.1).max().max(latest_ts);
        per_station.push(l);
    }
    let Some(ts) = latest_ts else { return Ok(None) };
    let mut hour = [None; 6];
    for p in Pollutant::ALL {
        let vals: Vec<f64> = per_station
            .iter()
            .flat_map(|l| {
                l.iter()
                    .filter(|(c, t, _, f)| c == p.hj212_code() && *t == ts && f == "N")
                    .map(|x| x.2)
            })
            .collect();
        if !vals.is_empty() {
            hour[p.index()] = Some(vals.iter().sum::<f64>() / vals.len() as f64);
        }
    }
    let (date, _) = label(ts);
    let r = aqi::realtime(
        &AqiOptions::for_date(date, RuleChoice::Auto),
        &RealtimeInputs {
            hour,
            ..RealtimeInputs::default()
        },
    );
    Ok(Some((ts, hour, r)))
}

/// The first day and the number of days of a month or a year.
pub fn period_span(year: i32, month: Option<u32>) -> Option<(Date, usize)> {
    match month {
        Some(m) => Some((
            Date::new(year, m, 1)?,
            lantian_core::date::days_in_month(year, m) as usize,
        )),
        None => Some((
            Date::new(year, 1, 1)?,
            lantian_core::date::days_in_year(year) as usize,
        )),
    }
}
