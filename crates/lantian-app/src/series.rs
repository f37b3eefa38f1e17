//! One station's series of one pollutant, as the station page charts and exports it:
//! hourly values (sent hourly, or rolled up from minute or real-time data) or daily values,
//! raw (the default, as received) or audited.

use crate::data::{Hours, SPAN_DAYS_MAX, span_days};
use crate::error::{AppError, AppResult};
use crate::present::{concentration, hour_label_text, hour_start_text};
use crate::{App, Caller};
use lantian_core::Date;
use lantian_core::cst;
use lantian_core::pollutant::Pollutant;
use lantian_store::{Period, View};
use serde::Serialize;

/// What to read.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub station: String,
    pub pollutant: Pollutant,
    /// The last `days` days up to the station's latest value (when `from`/`to` are absent).
    pub days: i64,
    /// Whole days, Beijing time, inclusive.
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub view: View,
    pub daily: bool,
}

/// An hour of the series.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HourPoint {
    /// The hour's start, CST seconds.
    pub ts: i64,
    /// The hour's start and its label (end), `YYYY-MM-DD HH:00` Beijing time.
    pub start: String,
    pub time: String,
    pub value: f64,
    /// `hour` (sent hourly), `min` or `rtd` (rolled up).
    pub source: Period,
    /// Minutes covered of those expected.
    pub n_observed: i64,
    pub n_expected: i64,
    /// The reason code of the correction applied (audited view).
    pub corrected: Option<String>,
}

/// A day of the series.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DayPoint {
    pub date: Date,
    /// The daily mean (O3: the daily maximum 8-h mean, MDA8); `null` when the day is not
    /// valid (GB 3095 Table 4).
    pub value: Option<f64>,
    pub valid: bool,
    /// Valid hours of the day, of 24.
    pub n_observed: u32,
    pub n_expected: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Points {
    Hours(Vec<HourPoint>),
    Days(Vec<DayPoint>),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Series {
    pub station: String,
    pub code: &'static str,
    pub pollutant: &'static str,
    pub unit: &'static str,
    /// `mean` per hour or day, `mda8` for O3 days.
    pub statistic: &'static str,
    pub view: View,
    pub avg: &'static str,
    /// First and last day (Beijing time).
    pub from: Date,
    pub to: Date,
    pub points: Points,
}

/// The series a caller may read: everyone a published station's, a township station's or
/// micro sensor's only who sees its data (`policy::station_data`).
pub fn series(app: &App, caller: &Caller, r: &Request) -> AppResult<Series> {
    let station = crate::stations::find_for(app, caller, &r.station)?;
    if !(1..=SPAN_DAYS_MAX).contains(&r.days) {
        return Err(AppError::BadRequest(format!(
            "days must be 1-{SPAN_DAYS_MAX}"
        )));
    }
    let p = r.pollutant;
    let code = p.hj212_code();
    let (first, last, hour_window) = match (r.from, r.to) {
        (Some(f), Some(t)) => {
            span_days(f, t)?;
            (f, t, None)
        }
        (None, None) => {
            let latest = app
                .store
                .latest_hour(&station.id, &[code])?
                .unwrap_or_else(|| cst::hour_start(app.clock.now_cst()));
            let to = latest + cst::HOUR_S;
            let from = to - r.days * cst::DAY_S;
            (cst::date_of(from), cst::date_of(latest), Some((from, to)))
        }
        _ => {
            return Err(AppError::BadRequest(
                "give both from and to (YYYY-MM-DD), or neither".to_owned(),
            ));
        }
    };
    let points = if r.daily {
        let hours = Hours::load(
            app,
            vec![station.clone()],
            first,
            span_days(first, last)?,
            r.view,
        )?;
        Points::Days(
            hours
                .days()
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    let value = concentration(p, d.values[p.index()]);
                    let (n_observed, n_expected) = hours.valid_hours(p, i);
                    DayPoint {
                        date: d.date,
                        value,
                        valid: value.is_some(),
                        n_observed,
                        n_expected,
                    }
                })
                .collect(),
        )
    } else {
        let (from, to) =
            hour_window.unwrap_or((cst::day_start(first), cst::day_start(last) + cst::DAY_S));
        Points::Hours(
            app.store
                .hourly(&station.id, code, from, to, r.view)?
                .into_iter()
                .map(|h| HourPoint {
                    start: hour_start_text(h.ts),
                    time: hour_label_text(h.ts),
                    ts: h.ts,
                    value: concentration(p, h.value).unwrap_or(h.value),
                    source: h.source,
                    n_observed: h.n_observed,
                    n_expected: h.n_expected,
                    corrected: h.corrected,
                })
                .collect(),
        )
    };
    Ok(Series {
        station: station.id,
        code,
        pollutant: p.name(),
        unit: p.standard_unit().symbol(),
        statistic: if r.daily && p == Pollutant::O3 {
            "mda8"
        } else {
            "mean"
        },
        view: r.view,
        avg: if r.daily { "day" } else { "hour" },
        from: first,
        to: last,
        points,
    })
}
