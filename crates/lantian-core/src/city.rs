//! City (or any area) series from several stations (spec §4.3, §9 Q1).
//!
//! Only stations whose role enters city statistics are passed in; the caller filters with
//! [`crate::series::StationRole::enters_city_statistics`]. The city daily value of SO2,
//! NO2, PM10, PM2.5 and CO is the mean of the valid station daily means. O3 (daily maximum
//! 1-h and MDA8) comes from the city-mean hourly series by default, the order that came
//! closest to published daily AQI counts; the mean of station values is selectable.

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

/// The city daily records from its assessment stations.
pub fn city_daily(
    stations: &[HourlySeries],
    o3: CityO3Method,
) -> Result<Vec<DailyRecord>, CityError> {
    let first = stations.first().ok_or(CityError::NoStations)?;
    check_span(stations)?;
    let per_station: Vec<Vec<DailyRecord>> = stations.iter().map(daily_records).collect();
    let hourly = match o3 {
        CityO3Method::CityMeanHourly => Some(city_hourly(stations)?),
        CityO3Method::MeanOfStations => None,
    };
    let mut out = Vec::with_capacity(first.n_days);
    for day in 0..first.n_days {
        let date = first.date_of_day(day);
        let mean_of = |f: &dyn Fn(&DailyRecord) -> f64| {
            let vals: Vec<f64> = per_station.iter().map(|d| f(&d[day])).collect();
            validity::mean_if_enough(&vals, 1)
                .valid()
                .unwrap_or(f64::NAN)
        };
        let mut values = [f64::NAN; 6];
        for p in Pollutant::ALL {
            values[p.index()] = mean_of(&|d: &DailyRecord| d.values[p.index()]);
        }
        let mut o3_max_1h = mean_of(&|d: &DailyRecord| d.o3_max_1h);
        if let Some(h) = &hourly {
            let hours = h.day_hours(Pollutant::O3, day);
            values[Pollutant::O3.index()] = validity::mda8(hours, mda8_limit(date))
                .valid()
                .unwrap_or(f64::NAN);
            o3_max_1h = daily_max(hours);
        }
        out.push(DailyRecord {
            date,
            values,
            o3_max_1h,
            exceptional: false,
        });
    }
    Ok(out)
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
}
