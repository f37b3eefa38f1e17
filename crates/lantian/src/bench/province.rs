//! `lantian bench province`: a province's year in one store (issue 20). Counties × stations ×
//! days of hourly values generated from the real UCI Beijing files, ingested in large
//! batches into SQLite or PostgreSQL (a Citus coordinator is the same URL); then every
//! county's annual assessment, every county's township ranking and one station-year, read
//! through the use cases the API serves them with, first with no daily records kept ("cold"),
//! then after the refresh pass has computed them all. One JSON line: ingest rate, query
//! times, the refresh pass, the store's size on disk.

use anyhow::{Context, Result, bail};
use lantian_app::assessment::{self, Span};
use lantian_app::data::Scope;
use lantian_app::{App, Clock, County, days, series, township};
use lantian_core::assess::ranking::Config;
use lantian_core::date::days_in_year;
use lantian_core::org::UnitKind;
use lantian_core::pollutant::Pollutant;
use lantian_core::rules::RuleChoice;
use lantian_core::series::{HourlySeries, StationRole, perturbation_factor};
use lantian_core::{Date, cst};
use lantian_store::{AdminUnit, Ingest, Location, Observation, Period, Station, Store, View};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Counties, each a county-level unit with its own townships.
    #[arg(long, default_value_t = 170)]
    counties: usize,
    /// Stations per county: the first ceil(N / 6) are the county's assessment stations, each
    /// of the others a township station in a township of its own.
    #[arg(long, default_value_t = 18)]
    stations: usize,
    /// Days of hourly data from 1 January of `--year` (the assessment and the ranking are
    /// of the whole year all the same).
    #[arg(long, default_value_t = 365)]
    days: usize,
    /// The year of the data.
    #[arg(long, default_value_t = 2025)]
    year: i32,
    /// Values per committed batch.
    #[arg(long, default_value_t = 100_000)]
    batch: usize,
    /// Writer threads, each generating and committing the batches of its own stations
    /// (SQLite commits one at a time, so there they only overlap generating and committing).
    #[arg(long, default_value_t = 2)]
    writers: usize,
    /// An empty PostgreSQL database (or a Citus coordinator's) to fill; without it, SQLite.
    /// The data stays there: drop the database afterwards.
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,
    /// SQLite data directory (new or empty), kept afterwards; without it a temporary one,
    /// removed at the end.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Directory of the UCI Beijing PRSA files whose 2014–2016 years the values are made from.
    #[arg(long, default_value = "../shared/data/beijing-prsa")]
    data: PathBuf,
}

/// The province's units and stations, named from the county's and the station's numbers.
struct Layout {
    counties: usize,
    stations: usize,
    /// Assessment stations per county; the rest are township stations.
    assessment: usize,
}

impl Layout {
    fn new(counties: usize, stations: usize) -> Layout {
        Layout {
            counties,
            stations,
            assessment: stations.div_ceil(6),
        }
    }

    fn townships(&self) -> usize {
        self.stations - self.assessment
    }

    fn county_id(c: usize) -> String {
        format!("c{c:03}")
    }

    fn township_id(c: usize, t: usize) -> String {
        format!("c{c:03}t{t:02}")
    }

    /// Station `k` of county `c`: assessment stations first, then one per township.
    fn station_id(&self, c: usize, k: usize) -> String {
        if k < self.assessment {
            format!("c{c:03}a{k:02}")
        } else {
            format!("{}s", Layout::township_id(c, k - self.assessment))
        }
    }

    fn units(&self) -> Vec<AdminUnit> {
        let mut out = Vec::new();
        for c in 0..self.counties {
            let county = Layout::county_id(c);
            out.push(AdminUnit {
                id: county.clone(),
                name_zh: format!("第{c}县"),
                name_en: format!("County {c}"),
                kind: UnitKind::City,
                parent_id: None,
                lat: None,
                lon: None,
            });
            out.extend((0..self.townships()).map(|t| AdminUnit {
                id: Layout::township_id(c, t),
                name_zh: format!("第{c}县第{t}乡"),
                name_en: format!("County {c} township {t}"),
                kind: UnitKind::Township,
                parent_id: Some(county.clone()),
                lat: None,
                lon: None,
            }));
        }
        out
    }

    /// Every station, county by county; a station's place in this list is its number `g`.
    fn station_list(&self) -> Vec<Station> {
        let mut out = Vec::with_capacity(self.counties * self.stations);
        for c in 0..self.counties {
            for k in 0..self.stations {
                let township = k >= self.assessment;
                out.push(Station {
                    id: self.station_id(c, k),
                    name: self.station_id(c, k),
                    role: if township {
                        StationRole::Township
                    } else {
                        StationRole::Assessment
                    },
                    admin_unit_id: Some(if township {
                        Layout::township_id(c, k - self.assessment)
                    } else {
                        Layout::county_id(c)
                    }),
                    lat: None,
                    lon: None,
                    pollutants: Pollutant::ALL
                        .iter()
                        .map(|p| p.hj212_code().to_owned())
                        .collect(),
                    min_interval_min: 1,
                    demo: false,
                });
            }
        }
        out
    }
}

/// Hourly values of any station and hour, made on demand from the real station-years: station
/// `g` is real station-year `g mod n` scaled by `perturbation_factor(g)` (as `bench assess`
/// makes its copies), its missing hours filled with the last value before them (the first
/// value for a leading gap), so that every hour of every station has all six values.
struct Generator {
    base: Vec<HourlySeries>,
    /// 00:00 of 1 January, CST seconds.
    first_ts: i64,
}

impl Generator {
    /// The base with its gaps filled, and the share of its values that were filled.
    fn new(mut base: Vec<HourlySeries>, year: i32) -> Result<(Generator, f64)> {
        let (mut filled, mut total) = (0usize, 0usize);
        base.retain(|s| s.values.iter().all(|v| v.iter().any(|x| !x.is_nan())));
        for s in &mut base {
            for v in &mut s.values {
                let first = v.iter().copied().find(|x| !x.is_nan()).unwrap_or(0.0);
                let mut last = first;
                for x in v.iter_mut() {
                    total += 1;
                    if x.is_nan() {
                        *x = last;
                        filled += 1;
                    } else {
                        last = *x;
                    }
                }
            }
        }
        if base.is_empty() {
            bail!("no PRSA station-year has every pollutant");
        }
        let jan1 = Date::new(year, 1, 1).context("--year")?;
        Ok((
            Generator {
                base,
                first_ts: cst::day_start(jan1),
            },
            filled as f64 / total.max(1) as f64,
        ))
    }

    /// Appends the six values of each hour `hours` (counted from 1 January 00:00) of station
    /// number `g`.
    fn chunk(&self, g: usize, id: &str, hours: std::ops::Range<usize>, out: &mut Vec<Observation>) {
        let b = &self.base[g % self.base.len()];
        let factor = perturbation_factor(g);
        let n = b.n_days * 24;
        for h in hours {
            for p in Pollutant::ALL {
                out.push(Observation {
                    // Station ids here are short: inline, no allocation per value.
                    station_id: id.into(),
                    code: p.hj212_code().into(),
                    period: Period::Hour,
                    ts: self.first_ts + h as i64 * cst::HOUR_S,
                    value: b.values[p.index()][h % n] * factor,
                    flag: "N".into(),
                });
            }
        }
    }
}

/// The hours (from 1 January 00:00) of each month that has some of the first `days` days.
fn month_hours(year: i32, days: usize) -> Vec<std::ops::Range<usize>> {
    let jan1 = Date::new(year, 1, 1).map_or(0, Date::days_since_epoch);
    let day_of =
        |m: u32| Date::new(year, m, 1).map_or(days, |d| (d.days_since_epoch() - jan1) as usize);
    (1..=12)
        .map(|m| (day_of(m), if m == 12 { days } else { day_of(m + 1) }))
        .filter(|(from, _)| *from < days)
        .map(|(from, to)| from * 24..to.min(days) * 24)
        .collect()
}

/// A temporary directory removed when dropped (after the store that lives in it).
struct TempDir(Option<PathBuf>);

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Some(d) = &self.0 {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// Median (nearest rank) and maximum of some durations in milliseconds.
fn p50_max(ms: &mut [f64]) -> serde_json::Value {
    ms.sort_by(f64::total_cmp);
    json!({
        "p50": ms.get(ms.len().saturating_sub(1) / 2),
        "max": ms.last(),
    })
}

/// The per-county reads of one pass: every county's assessment, then every county's
/// township ranking.
struct Pass {
    assess_ms: Vec<f64>,
    assess_s: f64,
    assessed: usize,
    valid_days_min: u32,
    rank_ms: Vec<f64>,
    rank_s: f64,
    counties_ranked: usize,
    townships_ranked: usize,
    township_rows: usize,
}

impl Pass {
    fn assessment_json(&mut self) -> serde_json::Value {
        json!({
            "counties_assessed": self.assessed,
            "valid_days_min": (self.assessed > 0).then_some(self.valid_days_min),
            "total_seconds": self.assess_s,
            "per_county_ms": p50_max(&mut self.assess_ms),
        })
    }

    fn ranking_json(&mut self) -> serde_json::Value {
        json!({
            "counties_ranked": self.counties_ranked,
            "township_rows": self.township_rows,
            "townships_ranked": self.townships_ranked,
            "total_seconds": self.rank_s,
            "per_county_ms": p50_max(&mut self.rank_ms),
        })
    }
}

fn query_counties(
    app: &App,
    caller: &lantian_app::Caller,
    layout: &Layout,
    year: i32,
    view: View,
) -> Result<Pass> {
    let span = Span::of(year, None)?;
    let rules = RuleChoice::default();
    let mut p = Pass {
        assess_ms: Vec::with_capacity(layout.counties),
        assess_s: 0.0,
        assessed: 0,
        valid_days_min: u32::MAX,
        rank_ms: Vec::with_capacity(layout.counties),
        rank_s: 0.0,
        counties_ranked: 0,
        townships_ranked: 0,
        township_rows: 0,
    };
    let started = Instant::now();
    for c in 0..layout.counties {
        let t = Instant::now();
        let scope = Scope::Unit(Layout::county_id(c));
        let a = assessment::assessment(app, caller, &scope, span, rules, view)?;
        p.assess_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        if let Some(a) = a.assessment {
            p.assessed += 1;
            p.valid_days_min = p.valid_days_min.min(a.valid_days);
        }
    }
    p.assess_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    for c in 0..layout.counties {
        let t = Instant::now();
        let county = Layout::county_id(c);
        let r = township::ranking_within(
            app,
            caller,
            Some(&county),
            year,
            None,
            &Config::default(),
            rules,
            view,
        )?;
        p.rank_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let ranked = r.rows.iter().filter(|r| r.rank.is_some()).count();
        p.township_rows += r.rows.len();
        p.townships_ranked += ranked;
        if ranked == layout.townships() && r.rows.len() == ranked {
            p.counties_ranked += 1;
        }
    }
    p.rank_s = started.elapsed().as_secs_f64();
    Ok(p)
}

pub fn run(args: Args) -> Result<ExitCode> {
    if args.counties == 0 || args.stations == 0 || args.writers == 0 || args.batch == 0 {
        bail!("--counties, --stations, --writers and --batch must be at least 1");
    }
    let year_days = days_in_year(args.year) as usize;
    if !(1..=year_days).contains(&args.days) {
        bail!("--days must be 1-{year_days} for {}", args.year);
    }
    let (generator, filled_share) =
        Generator::new(super::assess::load_base(&args.data)?, args.year)?;
    let (location, _temp, backend) = match (&args.postgres, &args.data_dir) {
        (Some(_), Some(_)) => bail!("give --postgres or --data-dir, not both"),
        (Some(url), None) => (Location::Postgres(url.clone()), TempDir(None), "postgresql"),
        (None, dir) => {
            let temp = dir.is_none().then(|| {
                std::env::temp_dir().join(format!("lantian-bench-province-{}", std::process::id()))
            });
            let d = dir.clone().or_else(|| temp.clone()).unwrap_or_default();
            if temp.is_some() {
                let _ = std::fs::remove_dir_all(&d);
            }
            std::fs::create_dir_all(&d).with_context(|| format!("{}", d.display()))?;
            (
                Location::Sqlite(d.join("lantian.db")),
                TempDir(temp),
                "sqlite",
            )
        }
    };
    let store = Arc::new(Store::open(&location)?);
    if !store.stations()?.is_empty() {
        bail!(
            "{}: the store already has stations; the bench needs an empty one",
            store.describe()
        );
    }
    let layout = Layout::new(args.counties, args.stations);

    let started = Instant::now();
    for u in layout.units() {
        store.upsert_admin_unit(&u)?;
    }
    let stations = layout.station_list();
    for s in &stations {
        store.upsert_station(s)?;
    }
    let register_s = started.elapsed().as_secs_f64();

    let months = month_hours(args.year, args.days);
    let ids: Vec<&str> = stations.iter().map(|s| s.id.as_str()).collect();
    let values = (ids.len() * args.days * 24 * Pollutant::ALL.len()) as u64;
    let stored = AtomicU64::new(0);
    let committed = AtomicU64::new(0);
    let started = Instant::now();
    // Month by month, each writer its own stations (number mod writers) a station-month at a
    // time: at most one batch per writer is in memory.
    let commit_s: Vec<f64> = std::thread::scope(|scope| -> Result<Vec<f64>> {
        let handles: Vec<_> = (0..args.writers)
            .map(|w| {
                let (store, generator, ids, months) = (&store, &generator, &ids, &months);
                let (stored, committed, batch_max) = (&stored, &committed, args.batch);
                scope.spawn(move || -> Result<f64> {
                    let mut commit_s = 0.0;
                    let mut batch: Vec<Ingest> = Vec::new();
                    let mut in_batch = 0;
                    let mut commit = |batch: &mut Vec<Ingest>, in_batch: &mut usize| {
                        let t = Instant::now();
                        let out = store.commit_batch(batch)?;
                        commit_s += t.elapsed().as_secs_f64();
                        stored.fetch_add(out.observations_new, Ordering::Relaxed);
                        committed.fetch_add(*in_batch as u64, Ordering::Relaxed);
                        batch.clear();
                        *in_batch = 0;
                        anyhow::Ok(())
                    };
                    for (m, hours) in months.iter().enumerate() {
                        for g in (w..ids.len()).step_by(args.writers) {
                            let mut obs = Vec::with_capacity(hours.len() * Pollutant::ALL.len());
                            generator.chunk(g, ids[g], hours.clone(), &mut obs);
                            in_batch += obs.len();
                            batch.push(Ingest {
                                packet: None,
                                observations: obs,
                            });
                            if in_batch >= batch_max {
                                commit(&mut batch, &mut in_batch)?;
                            }
                        }
                        if w == 0 {
                            let done = committed.load(Ordering::Relaxed);
                            eprintln!(
                                "bench province: month {} of {}: {done} of {values} values committed, {:.0}/s",
                                m + 1,
                                months.len(),
                                done as f64 / started.elapsed().as_secs_f64()
                            );
                        }
                    }
                    if !batch.is_empty() {
                        commit(&mut batch, &mut in_batch)?;
                    }
                    Ok(commit_s)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| anyhow::anyhow!("a writer thread panicked"))?
            })
            .collect()
    })?;
    let ingest_s = started.elapsed().as_secs_f64();
    // What autovacuum does after a bulk load (statistics, pages all-visible for index-only
    // reads), timed apart from the ingest.
    let started = Instant::now();
    store.maintain()?;
    let maintain_s = started.elapsed().as_secs_f64();
    let size = store.size_on_disk_bytes()?;

    // The queries, one at a time as requests come, on a clock in the next year (the year is
    // over: every day of it counts).
    let jan1 = Date::new(args.year, 1, 1).context("--year")?;
    let next = Date::new(args.year + 1, 1, 1).context("--year")?;
    let clock = Clock::Fixed {
        unix_ms: cst::to_unix_ms(cst::day_start(next)),
    };
    let data_dir = match &location {
        Location::Sqlite(p) => p.parent().map(Path::to_path_buf),
        Location::Postgres(_) => None,
    };
    let app = App::new(store.clone(), clock, Arc::new(County::xinji()), data_dir);
    let caller = crate::context::operator();
    let view = View::Audited;

    // First with no daily records kept (each read computes its station-days from the hours
    // and keeps them), then after the refresh pass has computed every station-day ahead of
    // the readers, as `lantian serve` does in the background.
    let mut cold = query_counties(&app, &caller, &layout, args.year, view)?;
    let started = Instant::now();
    let refreshed = days::refresh(&app)?;
    let refresh_s = started.elapsed().as_secs_f64();
    let mut warm = query_counties(&app, &caller, &layout, args.year, view)?;
    let size_after_refresh = store.size_on_disk_bytes()?;

    let station = layout.station_id(0, 0);
    let t = Instant::now();
    let year_series = series::series(
        &app,
        &caller,
        &series::Request {
            station: station.clone(),
            pollutant: Pollutant::Pm25,
            days: year_days as i64,
            from: Some(jan1),
            to: Some(next.add_days(-1)),
            view: View::Raw,
            daily: false,
        },
    )?;
    let station_year_ms = t.elapsed().as_secs_f64() * 1000.0;
    let points = match &year_series.points {
        series::Points::Hours(p) => p.len(),
        series::Points::Days(d) => d.len(),
    };

    println!(
        "{}",
        json!({
            "bench": "province",
            "backend": backend,
            "store": store.describe(),
            "year": args.year,
            "days": args.days,
            "counties": layout.counties,
            "stations_per_county": layout.stations,
            "assessment_stations_per_county": layout.assessment,
            "townships_per_county": layout.townships(),
            "stations": stations.len(),
            "pollutants": Pollutant::ALL.len(),
            "values": values,
            "values_stored": stored.load(Ordering::Relaxed),
            "base_station_years": generator.base.len(),
            "base_values_filled_share": filled_share,
            "batch": args.batch,
            "writers": args.writers,
            "register_seconds": register_s,
            "ingest_seconds": ingest_s,
            "values_per_s": values as f64 / ingest_s,
            "commit_seconds_per_writer": commit_s,
            "maintain_seconds": maintain_s,
            "assessment": warm.assessment_json(),
            "ranking": warm.ranking_json(),
            "cold": {
                "assessment": cold.assessment_json(),
                "ranking": cold.ranking_json(),
            },
            "refresh": {
                "seconds": refresh_s,
                "station_days": refreshed.station_days,
                "size_on_disk_bytes_after": size_after_refresh,
            },
            "station_year": {
                "station": station,
                "pollutant": "PM2.5",
                "hours": points,
                "ms": station_year_ms,
            },
            "size_on_disk_bytes": size,
            "bytes_per_value": size as f64 / values as f64,
        })
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_cover_the_first_days_and_stop_there() {
        let m = month_hours(2025, 365);
        assert_eq!(m.len(), 12);
        assert_eq!(m[0], 0..31 * 24);
        assert_eq!(m[1], 31 * 24..59 * 24);
        assert_eq!(m[11], 334 * 24..365 * 24);
        assert_eq!(month_hours(2025, 3), vec![0..72]);
        assert_eq!(month_hours(2024, 60), vec![0..744, 744..1440]);
        assert_eq!(month_hours(2025, 32), vec![0..744, 744..768]);
    }

    #[test]
    fn a_county_has_its_assessment_stations_then_one_station_per_township() {
        let l = Layout::new(2, 18);
        assert_eq!((l.assessment, l.townships()), (3, 15));
        let s = l.station_list();
        assert_eq!(s.len(), 36);
        assert_eq!(s[2].admin_unit_id.as_deref(), Some("c000"));
        assert_eq!(s[2].role, StationRole::Assessment);
        assert_eq!(s[3].admin_unit_id.as_deref(), Some("c000t00"));
        assert_eq!(s[3].role, StationRole::Township);
        assert_eq!(s[35].id, "c001t14s");
        assert_eq!(l.units().len(), 2 * 16);
        assert_eq!(Layout::new(1, 3).assessment, 1);
        assert_eq!(Layout::new(1, 1).townships(), 0);
    }
}
