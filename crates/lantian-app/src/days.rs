//! Daily records of a scope's stations, what assessments, rankings and targets read: from
//! the store's daily rollup (`lantian_store::daily`), computing from the hours ([`Hours`])
//! only the station-days that are missing or stale and storing them for the next reader.
//! The records are the same as `Hours::load(..).days()` gives (a test holds both paths to
//! it): each station's own daily records, and with several stations O3 from the city-mean
//! hourly series, whose hours are read (O3 alone) for that.

use crate::App;
use crate::data::Hours;
use crate::error::{AppError, AppResult};
use lantian_core::Date;
use lantian_core::city::{city_daily_from_days, city_hourly};
use lantian_core::pollutant::Pollutant;
use lantian_core::series::DailyRecord;
use lantian_store::daily::{DayValues, StoredDay};
use lantian_store::{Station, View};
use serde::Serialize;
use std::collections::HashMap;

/// The revision of the code that computes a station-day's record. Bump it whenever what a
/// record holds changes (validity rules, MDA8, editions): stored records of another
/// revision are computed again when read.
pub const RECORDS_REV: i64 = 1;

/// Station-days computed per refresh round at most.
const REFRESH_ROUND_MAX: usize = 20_000;

/// The daily records of `stations` (as [`Hours::days`]) over `n_days` days from `first`.
pub fn load(
    app: &App,
    stations: &[Station],
    first: Date,
    n_days: usize,
    view: View,
) -> AppResult<Vec<DailyRecord>> {
    if stations.is_empty() {
        return Ok(Vec::new());
    }
    let per_station = stations
        .iter()
        .map(|s| station_days(app, s, first, n_days, view))
        .collect::<AppResult<Vec<_>>>()?;
    let hourly = if stations.len() > 1 {
        let o3 = Hours::load_pollutants(
            app,
            stations.to_vec(),
            first,
            n_days,
            view,
            &[Pollutant::O3],
        )?;
        Some(city_hourly(&o3.series).map_err(internal)?)
    } else {
        None
    };
    city_daily_from_days(&per_station, hourly.as_ref()).map_err(internal)
}

fn internal(e: lantian_core::city::CityError) -> AppError {
    AppError::Internal(e.to_string())
}

/// One station's daily records: stored ones where fresh, none for days never written
/// (generation 0: every write of values bumps its day, so such a day has no hours), the
/// others computed from its hours (one read per run of consecutive days) and stored.
fn station_days(
    app: &App,
    s: &Station,
    first: Date,
    n_days: usize,
    view: View,
) -> AppResult<Vec<DailyRecord>> {
    let first_day = first.days_since_epoch();
    let stored = app
        .store
        .stored_days(&s.id, view, first_day, n_days, RECORDS_REV)?;
    let mut out: Vec<DailyRecord> = stored.iter().map(|d| from_stored(d, first)).collect();
    let mut computed = Vec::new();
    let mut i = 0;
    let due = |d: &StoredDay| d.record.is_none() && d.gen_now > 0;
    while i < stored.len() {
        if !due(&stored[i]) {
            i += 1;
            continue;
        }
        let run = stored[i..].iter().take_while(|d| due(d)).count();
        let days = Hours::load(app, vec![s.clone()], first.add_days(i as i64), run, view)?.days();
        for (k, rec) in days.into_iter().enumerate() {
            computed.push((stored[i + k], to_stored(&rec)));
            out[i + k] = rec;
        }
        i += run;
    }
    app.store.put_days(&s.id, view, RECORDS_REV, &computed)?;
    Ok(out)
}

fn from_stored(d: &StoredDay, first: Date) -> DailyRecord {
    let v = d.record.unwrap_or(DayValues {
        values: [None; 6],
        o3_max_1h: None,
    });
    DailyRecord {
        date: first.add_days(d.day - first.days_since_epoch()),
        values: v.values.map(|x| x.unwrap_or(f64::NAN)),
        o3_max_1h: v.o3_max_1h.unwrap_or(f64::NAN),
        exceptional: false,
    }
}

fn to_stored(r: &DailyRecord) -> DayValues {
    let some = |x: f64| (!x.is_nan()).then_some(x);
    DayValues {
        values: r.values.map(some),
        o3_max_1h: some(r.o3_max_1h),
    }
}

/// What one [`refresh`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Refreshed {
    pub station_days: u64,
    pub rounds: u64,
    /// Runs of station-days that could not be computed, with why (the others still are).
    pub failed: Vec<String>,
}

/// Computes the missing and stale records of the ambient stations' days, both views, ahead
/// of the readers (what `lantian serve` runs in the background and `lantian bench province`
/// times apart): a system job, no caller's request.
pub fn refresh(app: &App) -> AppResult<Refreshed> {
    let mut done = Refreshed::default();
    let stations: HashMap<String, Station> = app
        .store
        .stations()?
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect();
    for view in [View::Raw, View::Audited] {
        let mut after = None;
        loop {
            let due =
                app.store
                    .refresh_due(view, RECORDS_REV, after.as_ref(), REFRESH_ROUND_MAX)?;
            let Some(last) = due.last().cloned() else {
                break;
            };
            done.rounds += 1;
            // Runs of consecutive days of one station, each one read of its hours.
            for run in due.chunk_by(|a, b| a.station_id == b.station_id && b.day == a.day + 1) {
                let Some(s) = stations.get(&run[0].station_id) else {
                    continue;
                };
                let first = Date::from_days_since_epoch(run[0].day);
                match station_days(app, s, first, run.len(), view) {
                    Ok(_) => done.station_days += run.len() as u64,
                    Err(e) => done.failed.push(format!(
                        "{} {} +{} days ({view:?}): {e}",
                        s.id,
                        first,
                        run.len()
                    )),
                }
            }
            after = Some(last);
        }
    }
    Ok(done)
}
