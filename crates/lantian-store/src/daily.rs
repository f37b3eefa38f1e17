//! Daily records per station kept as a rollup, what assessments and rankings read: 365 rows
//! a station-year instead of 6 × 8,760 hours. The store keeps the rows and knows when one is
//! stale; what a day's record is (HJ 633's daily means, MDA8) is the app's to compute, from
//! [`Store::hourly`] as everywhere else (`lantian_app::days`).
//!
//! Every write that can change a station's hourly values of a day (new observations of any
//! period, the days a minute rollup rewrites, corrections) bumps that station-day's
//! generation in `day_changes`, in the same transaction. A stored record carries the generation it was computed from and the revision
//! of the code that computed it; it is fresh while both still match. Readers read the
//! generations before the hours they compute from, so a write committed meanwhile leaves
//! the record stale (computed again at the next read), never wrong.

use crate::Store;
use crate::db::{Conn, Val};
use crate::error::StoreError;
use crate::model::View;
use lantian_core::cst::{self, HOUR_S};
use lantian_core::series::StationRole;
use std::collections::{BTreeSet, HashMap};

/// One station-day's record: the six pollutants' daily values in `Pollutant::ALL` order
/// (24-h means; O3 its MDA8) and O3's highest hour, `None` where the day is not valid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DayValues {
    pub values: [Option<f64>; 6],
    pub o3_max_1h: Option<f64>,
}

/// A day of a station as the store holds it: its generation, and its record when a fresh
/// one is stored.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StoredDay {
    /// Days since 1970-01-01 (a Beijing day, `lantian_core::cst`).
    pub day: i64,
    /// What to store a record computed from now under ([`Store::put_days`]).
    pub gen_now: i64,
    pub record: Option<DayValues>,
}

/// A station-day whose record is missing or stale (for [`Store::refresh_due`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueDay {
    pub station_id: String,
    pub day: i64,
}

/// Station-days bumped per statement at most.
const BUMP_CHUNK: usize = 400;

/// Records stored per statement at most (12 parameters each).
const PUT_CHUNK: usize = 80;

const RECORD_COLUMNS: &str = "so2, no2, pm10, co, o3, pm25, o3_max_1h";

/// The `audited` column of a view.
fn audited(view: View) -> i64 {
    i64::from(view == View::Audited)
}

/// The Beijing day of the hour a value at `ts` belongs to.
pub(crate) fn day_of(ts: i64) -> i64 {
    cst::slot_of(ts - ts.rem_euclid(HOUR_S))
        .0
        .days_since_epoch()
}

/// Bumps the generation of each station-day, inside the caller's transaction.
pub(crate) fn bump(c: &mut dyn Conn, days: &BTreeSet<(&str, i64)>) -> Result<(), StoreError> {
    let days: Vec<_> = days.iter().collect();
    for chunk in days.chunks(BUMP_CHUNK) {
        let mut sql = String::from("INSERT INTO day_changes (station_id, day, gen) VALUES ");
        let mut params: Vec<Val> = Vec::with_capacity(chunk.len() * 2);
        for (i, (station, day)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("(${}, ${}, 1)", 2 * i + 1, 2 * i + 2));
            params.push((*station).into());
            params.push((*day).into());
        }
        sql.push_str(" ON CONFLICT (station_id, day) DO UPDATE SET gen = day_changes.gen + 1");
        c.exec(&sql, &params)?;
    }
    Ok(())
}

fn opt(v: &Val) -> Option<f64> {
    v.real().filter(|x| x.is_finite())
}

impl Store {
    /// The days `first_day .. first_day + n_days` of a station: every day's generation, and
    /// the records stored by code revision `rev` that are still fresh.
    pub fn stored_days(
        &self,
        station_id: &str,
        view: View,
        first_day: i64,
        n_days: usize,
        rev: i64,
    ) -> Result<Vec<StoredDay>, StoreError> {
        let end = first_day + n_days as i64;
        let span = [station_id.into(), first_day.into(), end.into()];
        // Generations first (see the module doc).
        let gens: HashMap<i64, i64> = self
            .read(|c| {
                c.query(
                    "SELECT day, gen FROM day_changes WHERE station_id = $1 AND day >= $2 AND day < $3",
                    &span,
                )
            })?
            .iter()
            .map(|r| (r[0].int().unwrap_or(0), r[1].int().unwrap_or(0)))
            .collect();
        let sql = format!(
            "SELECT day, gen, {RECORD_COLUMNS} FROM daily_records \
             WHERE station_id = $1 AND audited = $2 AND rev = $3 AND day >= $4 AND day < $5"
        );
        let rows = self.read(|c| {
            c.query(
                &sql,
                &[
                    station_id.into(),
                    audited(view).into(),
                    rev.into(),
                    first_day.into(),
                    end.into(),
                ],
            )
        })?;
        let mut records: HashMap<i64, DayValues> = HashMap::with_capacity(rows.len());
        for r in &rows {
            let day = r[0].int().unwrap_or(0);
            if r[1].int() != Some(gens.get(&day).copied().unwrap_or(0)) {
                continue;
            }
            records.insert(
                day,
                DayValues {
                    values: std::array::from_fn(|i| opt(&r[2 + i])),
                    o3_max_1h: opt(&r[8]),
                },
            );
        }
        Ok((first_day..end)
            .map(|day| StoredDay {
                day,
                gen_now: gens.get(&day).copied().unwrap_or(0),
                record: records.get(&day).copied(),
            })
            .collect())
    }

    /// Stores records computed from the hours read after [`Store::stored_days`] gave
    /// `gen_now` (one transaction; a record stored meanwhile is replaced). Days never
    /// written (generation 0: no values, or days to come) are not stored: they cost a
    /// reader nothing to compute, and storing them would let any request fill the table.
    pub fn put_days(
        &self,
        station_id: &str,
        view: View,
        rev: i64,
        days: &[(StoredDay, DayValues)],
    ) -> Result<(), StoreError> {
        let days: Vec<_> = days.iter().filter(|(d, _)| d.gen_now > 0).collect();
        if days.is_empty() {
            return Ok(());
        }
        self.write_unaudited(|c| {
            for chunk in days.chunks(PUT_CHUNK) {
                let mut sql = format!(
                    "INSERT INTO daily_records (station_id, audited, day, gen, rev, {RECORD_COLUMNS}) VALUES "
                );
                let mut p: Vec<Val> = Vec::with_capacity(chunk.len() * 12);
                for (i, (d, v)) in chunk.iter().enumerate() {
                    let n = p.len();
                    let marks: Vec<String> = (1..=12).map(|k| format!("${}", n + k)).collect();
                    sql.push_str(if i > 0 { ", (" } else { "(" });
                    sql.push_str(&marks.join(", "));
                    sql.push(')');
                    p.extend([
                        station_id.into(),
                        audited(view).into(),
                        d.day.into(),
                        d.gen_now.into(),
                        rev.into(),
                    ]);
                    p.extend(v.values.iter().map(|x| Val::from(*x)));
                    p.push(v.o3_max_1h.into());
                }
                sql.push_str(
                    " ON CONFLICT (station_id, audited, day) DO UPDATE SET gen = excluded.gen, rev = excluded.rev, \
                     so2 = excluded.so2, no2 = excluded.no2, pm10 = excluded.pm10, co = excluded.co, \
                     o3 = excluded.o3, pm25 = excluded.pm25, o3_max_1h = excluded.o3_max_1h",
                );
                c.exec(&sql, &p)?;
            }
            Ok(())
        })
    }

    /// Station-days of ambient stations (not outlets' or equipment's series) with values
    /// whose record (of `view`, by revision `rev`) is missing or stale, in station and day
    /// order after `after` (keyset paging), at most `limit`: what a refresh pass computes
    /// ahead of the readers.
    pub fn refresh_due(
        &self,
        view: View,
        rev: i64,
        after: Option<&DueDay>,
        limit: usize,
    ) -> Result<Vec<DueDay>, StoreError> {
        let (station, day) = after.map_or(("", i64::MIN), |d| (d.station_id.as_str(), d.day));
        let rows = self.read(|c| {
            c.query(
                // NOT IN a small set, not a join with `stations`: PostgreSQL, which expects
                // one row due, would scan the stations once per row (1.9 s against 76 ms for
                // 111,690 rows due).
                "SELECT c.station_id, c.day FROM day_changes c \
                 LEFT JOIN daily_records r \
                 ON r.station_id = c.station_id AND r.day = c.day AND r.audited = $3 AND r.rev = $4 \
                 WHERE (r.gen IS NULL OR r.gen <> c.gen) AND (c.station_id, c.day) > ($5, $6) \
                 AND c.station_id NOT IN (SELECT id FROM stations WHERE role IN ($1, $2)) \
                 ORDER BY c.station_id, c.day LIMIT $7",
                &[
                    StationRole::Outlet.as_str().into(),
                    StationRole::Equipment.as_str().into(),
                    audited(view).into(),
                    rev.into(),
                    station.into(),
                    day.into(),
                    (limit as i64).into(),
                ],
            )
        })?;
        Ok(rows
            .iter()
            .map(|r| DueDay {
                station_id: r[0].text().unwrap_or_default(),
                day: r[1].int().unwrap_or(0),
            })
            .collect())
    }
}
