//! City (or any area) series from several stations (spec §4.3, §9 Q1).
//!
//! Only stations whose role enters city statistics are passed in; the caller filters with
//! [`crate::series::StationRole::enters_city_statistics`]. The city daily value of SO2,
//! NO2, PM10, PM2.5 and CO is by default the mean of the valid station daily means
//! ([`CityDailyMethod`]; the daily mean of the city-mean hourly series is selectable). O3
//! (daily maximum 1-h and MDA8) comes from the city-mean hourly series by default, the order
//! that came closest to published daily AQI counts; the mean of station values is
//! selectable. Rounding before the daily AQI is the AQI's business
//! ([`crate::aqi::AqiOptions::daily_rounding`]); docs/findings.md F6 compares the methods.

use crate::pollutant::Pollutant;
use crate::series::{DailyRecord, HourlySeries, daily_max, daily_records, mda8_limit};
use crate::validity;
use serde::{Deserialize, Serialize};

/// How the city's O3 daily values are formed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CityO3Method {
    /// From the city-mean hourly series (default).
    #[default]
    CityMeanHourly,
    /// Mean of the station daily values.
    MeanOfStations,
}

/// How the city's daily SO2, NO2, PM10, PM2.5 and CO values are formed (spec §4.3, §9 Q1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CityDailyMethod {
    /// Mean of the valid station daily means (each station ≥ 20 valid hours; default). With
    /// GB/T 8170 rounding it reproduces Beijing's published day counts best (F6).
    #[default]
    MeanOfStationDays,
    /// Daily mean of the city-mean hourly series: a city hour is the mean of the stations
    /// with a value, and the day needs ≥ 20 such hours (validity judged for the city).
    CityHourlyDay,
}

impl CityDailyMethod {
    /// The stable name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            CityDailyMethod::MeanOfStationDays => "mean-of-station-days",
            CityDailyMethod::CityHourlyDay => "city-hourly-day",
        }
    }
}

impl CityO3Method {
    /// The stable name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            CityO3Method::CityMeanHourly => "city-mean-hourly",
            CityO3Method::MeanOfStations => "mean-of-stations",
        }
    }
}

/// Why stations cannot be combined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CityError {
    NoStations,
    /// Station series must cover the same days.
    SpanMismatch {
        station: usize,
    },
}

impl std::fmt::Display for CityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CityError::NoStations => f.write_str("no assessment stations to combine"),
            CityError::SpanMismatch { station } => {
                write!(
                    f,
                    "station #{station} covers other days than the first station"
                )
            }
        }
    }
}

impl std::error::Error for CityError {}

/// The city-mean hourly series: per hour, the mean of the stations' valid values.
pub fn city_hourly(stations: &[HourlySeries]) -> Result<HourlySeries, CityError> {
    let first = stations.first().ok_or(CityError::NoStations)?;
    check_span(stations)?;
    let mut out = HourlySeries::new(first.start, first.n_days);
    let n = first.n_days * 24;
    for p in Pollutant::ALL {
        let (mut sum, mut count) = (vec![0.0; n], vec![0u32; n]);
        for s in stations {
            for (i, &v) in s.values[p.index()].iter().enumerate() {
                if !v.is_nan() {
                    sum[i] += v;
                    count[i] += 1;
                }
            }
        }
        for (i, slot) in out.values[p.index()].iter_mut().enumerate() {
            if count[i] > 0 {
                *slot = sum[i] / f64::from(count[i]);
            }
        }
    }
    Ok(out)
}

/// The city daily records from its assessment stations, SO2 … CO as the mean of the station
/// daily means ([`CityDailyMethod::MeanOfStationDays`]).
pub fn city_daily(
    stations: &[HourlySeries],
    o3: CityO3Method,
) -> Result<Vec<DailyRecord>, CityError> {
    city_daily_by(stations, CityDailyMethod::MeanOfStationDays, o3)
}

/// The city daily records from its assessment stations by the chosen methods.
pub fn city_daily_by(
    stations: &[HourlySeries],
    method: CityDailyMethod,
    o3: CityO3Method,
) -> Result<Vec<DailyRecord>, CityError> {
    let first = stations.first().ok_or(CityError::NoStations)?;
    check_span(stations)?;
    let per_station: Vec<Vec<DailyRecord>> = stations.iter().map(daily_records).collect();
    let hourly = match (o3, method) {
        (CityO3Method::MeanOfStations, CityDailyMethod::MeanOfStationDays) => None,
        _ => Some(city_hourly(stations)?),
    };
    Ok((0..first.n_days)
        .map(|day| city_day(&per_station, hourly.as_ref(), day, method, o3))
        .collect())
}

/// [`city_daily`] (O3 from the city-mean hourly series) from the stations' daily records
/// (`daily_records`, each covering the same days) and, with more than one station, the
/// city-mean hourly series of those days ([`city_hourly`]; only its O3 is read; without it
/// O3 is the mean of the stations' values, [`CityO3Method::MeanOfStations`]): the same
/// records, for callers that keep station daily records and read hours only where needed.
pub fn city_daily_from_days(
    per_station: &[Vec<DailyRecord>],
    city_o3_hourly: Option<&HourlySeries>,
) -> Result<Vec<DailyRecord>, CityError> {
    let first = per_station.first().ok_or(CityError::NoStations)?;
    if let Some(station) = per_station.iter().position(|d| d.len() != first.len()) {
        return Err(CityError::SpanMismatch { station });
    }
    let method = CityDailyMethod::MeanOfStationDays;
    let o3 = CityO3Method::CityMeanHourly;
    Ok((0..first.len())
        .map(|day| match (per_station, city_o3_hourly) {
            // One station: the city-mean hourly series is the station's own.
            ([one], _) => one[day],
            (_, hourly) => city_day(per_station, hourly, day, method, o3),
        })
        .collect())
}

/// One day of the city from its stations' daily records and the city-mean hourly series.
fn city_day(
    per_station: &[Vec<DailyRecord>],
    hourly: Option<&HourlySeries>,
    day: usize,
    method: CityDailyMethod,
    o3: CityO3Method,
) -> DailyRecord {
    let date = per_station[0][day].date;
    let mean_of = |f: &dyn Fn(&DailyRecord) -> f64| {
        let vals: Vec<f64> = per_station.iter().map(|d| f(&d[day])).collect();
        validity::mean_if_enough(&vals, 1)
            .valid()
            .unwrap_or(f64::NAN)
    };
    let mut values = [f64::NAN; 6];
    for p in Pollutant::ALL {
        values[p.index()] = match (method, hourly) {
            (CityDailyMethod::CityHourlyDay, Some(h)) if p != Pollutant::O3 => {
                validity::daily_mean(h.day_hours(p, day))
                    .valid()
                    .unwrap_or(f64::NAN)
            }
            _ => mean_of(&|d: &DailyRecord| d.values[p.index()]),
        };
    }
    let mut o3_max_1h = mean_of(&|d: &DailyRecord| d.o3_max_1h);
    if let (CityO3Method::CityMeanHourly, Some(h)) = (o3, hourly) {
        let hours = h.day_hours(Pollutant::O3, day);
        values[Pollutant::O3.index()] = validity::mda8(hours, mda8_limit(date))
            .valid()
            .unwrap_or(f64::NAN);
        o3_max_1h = daily_max(hours);
    }
    DailyRecord {
        date,
        values,
        o3_max_1h,
        exceptional: false,
    }
}

fn check_span(stations: &[HourlySeries]) -> Result<(), CityError> {
    let first = &stations[0];
    match stations
        .iter()
        .position(|s| s.start != first.start || s.n_days != first.n_days)
    {
        Some(station) => Err(CityError::SpanMismatch { station }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::Date;

    /// Checklist §10 item 27 is the caller's filter; here: the mean of valid station values.
    #[test]
    fn city_daily_is_the_mean_of_valid_station_daily_means() {
        let start = Date::new(2016, 1, 1).unwrap();
        let mut a = HourlySeries::new(start, 1);
        let mut b = HourlySeries::new(start, 1);
        let mut c = HourlySeries::new(start, 1);
        for h in 0..24 {
            a.set(start, h, Pollutant::Pm25, 40.0);
            b.set(start, h, Pollutant::Pm25, 60.0);
            a.set(start, h, Pollutant::O3, 100.0);
            b.set(start, h, Pollutant::O3, 200.0);
        }
        for h in 0..10 {
            c.set(start, h, Pollutant::Pm25, 1000.0); // too few hours: not a valid day
        }
        let d = city_daily(&[a.clone(), b.clone(), c], CityO3Method::CityMeanHourly).unwrap();
        assert_eq!(d[0].values[Pollutant::Pm25.index()], 50.0);
        assert_eq!(d[0].values[Pollutant::O3.index()], 150.0);
        assert_eq!(d[0].o3_max_1h, 150.0);
        let mut late = HourlySeries::new(start.add_days(1), 1);
        late.set(start.add_days(1), 0, Pollutant::Pm25, 1.0);
        assert_eq!(
            city_daily(&[a, late], CityO3Method::MeanOfStations),
            Err(CityError::SpanMismatch { station: 1 })
        );
        assert_eq!(
            city_daily(&[], CityO3Method::MeanOfStations),
            Err(CityError::NoStations)
        );
    }

    /// The two city methods differ when stations have gaps. A station's hours are `[from,
    /// to)`, A at 40 and B at 80 µg/m³. Mean of station days needs ≥ 20 hours per station;
    /// the city-hourly day needs ≥ 20 city hours, each the mean of the stations present.
    #[test]
    fn city_daily_methods_differ_when_stations_have_gaps() {
        let start = Date::new(2015, 1, 1).unwrap();
        type Case = ((u32, u32), (u32, u32), f64, f64);
        let cases: [Case; 3] = [
            // Both valid: (40 + 80) / 2 = 60; hours 0–19 are 60, 20–23 are 40 → 1360 / 24.
            ((0, 24), (0, 20), 60.0, 1360.0 / 24.0),
            // A has 19 hours (invalid): B alone = 80; city: 19 × 60 + 80 over 20 hours = 61.
            ((0, 19), (0, 20), 80.0, 61.0),
            // Neither station is valid, but the city has all 24 hours: (12 × 40 + 12 × 80) / 24.
            ((0, 12), (12, 24), f64::NAN, 60.0),
        ];
        for ((a0, a1), (b0, b1), want_days, want_hourly) in cases {
            let mut a = HourlySeries::new(start, 1);
            let mut b = HourlySeries::new(start, 1);
            for h in a0..a1 {
                a.set(start, h, Pollutant::Pm25, 40.0);
            }
            for h in b0..b1 {
                b.set(start, h, Pollutant::Pm25, 80.0);
            }
            let pm = |m| {
                let d = city_daily_by(&[a.clone(), b.clone()], m, CityO3Method::MeanOfStations);
                d.unwrap()[0].values[Pollutant::Pm25.index()]
            };
            let days = pm(CityDailyMethod::MeanOfStationDays);
            assert!(
                days == want_days || (days.is_nan() && want_days.is_nan()),
                "A {a0}..{a1}: mean of station days {days}, want {want_days}"
            );
            let hourly = pm(CityDailyMethod::CityHourlyDay);
            assert!(
                (hourly - want_hourly).abs() < 1e-9,
                "A {a0}..{a1}: city-hourly day {hourly}, want {want_hourly}"
            );
        }
    }

    /// From station daily records and the city-mean hourly series, the same records as from
    /// the hours: one station (no hours needed) and three with gaps, over two editions' days.
    #[test]
    fn city_daily_from_days_equals_city_daily() {
        let start = Date::new(2025, 12, 30).unwrap();
        let n_days = 4;
        let stations: Vec<HourlySeries> = (0..3u32)
            .map(|k| {
                let mut s = HourlySeries::new(start, n_days);
                for i in 0..n_days * 24 {
                    let (day, hour) = (start.add_days((i / 24) as i64), (i % 24) as u32);
                    // Station k misses every (k + 4)th hour and, on day 2, hours 0–5.
                    if i % (k as usize + 4) == 0 || (i / 24 == 2 && hour < 6 && k == 1) {
                        continue;
                    }
                    for p in Pollutant::ALL {
                        let v = 10.0 + f64::from(k) * 7.0 + ((i * 13 + p.index() * 5) % 41) as f64;
                        s.set(day, hour, p, v);
                    }
                }
                s
            })
            .collect();
        let per_station: Vec<Vec<DailyRecord>> = stations.iter().map(daily_records).collect();
        let hourly = city_hourly(&stations).unwrap();
        let want = city_daily(&stations, CityO3Method::CityMeanHourly).unwrap();
        let got = city_daily_from_days(&per_station, Some(&hourly)).unwrap();
        assert_eq!(format!("{got:?}"), format!("{want:?}"));
        let one = city_daily(&stations[1..2], CityO3Method::CityMeanHourly).unwrap();
        let got = city_daily_from_days(&per_station[1..2], None).unwrap();
        assert_eq!(format!("{got:?}"), format!("{one:?}"));
        assert!(
            got.iter().any(|d| d.values[0].is_nan()),
            "a day with too few hours"
        );
        let without_hours = city_daily_from_days(&per_station, None).unwrap();
        let by_stations = city_daily(&stations, CityO3Method::MeanOfStations).unwrap();
        assert_eq!(format!("{without_hours:?}"), format!("{by_stations:?}"));
    }
}
