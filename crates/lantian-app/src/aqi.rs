//! AQI now (real time, raw data) and the daily AQI (日报, audited data by default), for the
//! city, a unit or a station.

use crate::caller::policy;
use crate::data::{self, Hours, Period, Scope};
use crate::error::AppResult;
use crate::present::{self, AqiView, aqi_view, concentrations};
use crate::stations::StationView;
use crate::{App, Caller};
use lantian_core::Date;
use lantian_core::aqi::{Lang, Level};
use lantian_core::cst;
use lantian_core::rules::RuleSet;
use lantian_store::View;
use serde::Serialize;
use std::collections::BTreeMap;

/// One hour of a scope: its mean concentrations and real-time AQI.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HourNow {
    /// The hour's start (CST seconds).
    pub hour_start: i64,
    /// The hour as labelled (its end), Beijing time: `YYYY-MM-DD HH:00`.
    pub time: String,
    pub concentrations: BTreeMap<&'static str, Option<f64>>,
    pub aqi: AqiView,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StationNow {
    /// The station as the caller sees it.
    #[serde(flatten)]
    pub station: StationView,
    /// Its latest hour: only for a station whose data the caller sees (a township station
    /// is on the public map by name and place, without values).
    #[serde(flatten)]
    pub now: Option<HourNow>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Today {
    pub date: Date,
    pub aqi: AqiView,
}

/// AQI now: real-time, from raw data (no audit has happened yet).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Now {
    pub city: Option<HourNow>,
    /// Today's daily AQI of the city (NA until the day has enough valid hours).
    pub today: Option<Today>,
    pub stations: Vec<StationNow>,
    pub view: View,
}

fn hour_now(
    app: &App,
    stations: &[lantian_store::Station],
    lang: Lang,
) -> AppResult<Option<HourNow>> {
    Ok(
        data::latest_hour(app, stations, View::Raw)?.map(|(ts, values)| {
            let r = data::hour_aqi(cst::date_of(ts), values);
            HourNow {
                hour_start: ts,
                time: present::hour_label_text(ts),
                concentrations: concentrations(&values.map(|v| v.unwrap_or(f64::NAN))),
                aqi: aqi_view(&r, lang),
            }
        }),
    )
}

/// AQI now of the city (its assessment stations, HJ 663) and of every station whose data
/// the caller sees; the others are listed without values.
pub fn now(app: &App, caller: &Caller, lang: Lang) -> AppResult<Now> {
    let all: Vec<_> = (app.store.stations()?.into_iter())
        .filter(|s| s.role.is_ambient())
        .collect();
    let city_stations = Scope::City.select(&all);
    let city = hour_now(app, &city_stations, lang)?;
    let today = app.clock.today();
    let today = if city_stations.is_empty() {
        None
    } else {
        let hours = Hours::load(app, city_stations, today, 1, View::Raw)?;
        hours.days().first().map(|d| Today {
            date: d.date,
            aqi: aqi_view(&data::day_aqi(d), lang),
        })
    };
    let mut stations = Vec::with_capacity(all.len());
    for s in all {
        let now = if policy::sees_station_data(caller, s.role, s.admin_unit_id.as_deref()) {
            hour_now(app, std::slice::from_ref(&s), lang)?
        } else {
            None
        };
        stations.push(StationNow {
            station: crate::stations::view(caller, &s),
            now,
        });
    }
    Ok(Now {
        city,
        today,
        stations,
        view: View::Raw,
    })
}

/// A day of the daily report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DailyAqi {
    pub date: String,
    pub aqi: Option<u16>,
    pub category: Option<&'static str>,
    pub colour: Option<String>,
    pub primary: String,
    pub pm25: Option<f64>,
    pub pm10: Option<f64>,
    pub o3_8h: Option<f64>,
    pub coverage: f64,
    pub rule_set: &'static str,
    pub view: View,
}

/// The daily AQI of a scope from `first` to `last` (inclusive): the same rows as
/// `lantian query --period day`, with the category in the reader's language; a scope whose
/// data the caller does not see is refused.
pub fn daily(
    app: &App,
    caller: &Caller,
    scope: &Scope,
    first: Date,
    last: Date,
    lang: Lang,
    view: View,
) -> AppResult<Vec<DailyAqi>> {
    let rows = data::query(app, caller, scope, Period::Day, first, last, view)?;
    Ok(rows
        .into_iter()
        .zip(0..)
        .map(|(r, i)| {
            let date = first.add_days(i);
            let level = r.aqi.map(Level::from_aqi);
            DailyAqi {
                date: r.start,
                aqi: r.aqi,
                category: level.map(|l| l.category(lang)),
                colour: level.map(|l| l.hex()),
                primary: r.primary.join(","),
                pm25: r.pm25,
                pm10: r.pm10,
                o3_8h: r.o3_8h,
                coverage: r.coverage,
                rule_set: present::edition_name(RuleSet::for_date(date).aqi),
                view,
            }
        })
        .collect())
}
