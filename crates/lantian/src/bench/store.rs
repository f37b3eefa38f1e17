//! `lantian bench store`: observations per second ingested in batches (with their daily
//! rollups; with and without one archived packet per station-hour, as the gateway writes
//! them) and the time to read one station-year; on PostgreSQL, a bare binary COPY of the
//! same rows beside it.

use anyhow::Result;
use lantian_store::{Ingest, Location, Observation, Period, RawPacket, Station, Store, View};
use serde_json::{Value, json};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Station-years of hourly data (6 pollutants) to ingest.
    #[arg(long, default_value_t = 4)]
    station_years: i64,
    /// Observations per batch (one packet per station-hour).
    #[arg(long, default_value_t = 12_000)]
    batch: usize,
    /// Writer threads committing batches concurrently (each takes whole stations; batches of
    /// one station stay in order and serialise on the station).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Also measure this PostgreSQL server (a database the benchmark may write to).
    #[arg(long, env = "LANTIAN_BENCH_PG_URL")]
    postgres: Option<String>,
}

const CODES: [&str; 6] = ["a21026", "a21004", "a34002", "a21005", "a05024", "a34004"];
const YEAR_START: i64 = 20_089 * 86_400; // 2025-01-01 00:00

/// Batches of one station each: (station index, batch).
type Batches = Vec<(usize, Vec<Ingest>)>;

/// Station ids `{prefix}-0..` and their year of hours in batches of about `args.batch`
/// observations; and the observations in all.
fn batches(prefix: &str, args: &Args, with_packets: bool) -> (Vec<String>, Batches, i64) {
    let ids: Vec<String> = (0..args.station_years)
        .map(|i| format!("{prefix}-{i}"))
        .collect();
    let mut batches: Batches = Vec::new();
    let mut in_batch;
    let mut n = 0i64;
    for (station, id) in ids.iter().enumerate() {
        batches.push((station, Vec::new()));
        in_batch = 0;
        for h in 0..8760i64 {
            let ts = YEAR_START + h * 3600;
            let observations = CODES
                .iter()
                .enumerate()
                .map(|(k, c)| Observation {
                    station_id: id.as_str().into(),
                    code: (*c).into(),
                    period: Period::Hour,
                    ts,
                    value: (h % 97) as f64 + k as f64,
                    flag: "N".into(),
                })
                .collect::<Vec<_>>();
            in_batch += observations.len();
            n += observations.len() as i64;
            let packet = RawPacket {
                received_ms: ts * 1000,
                peer: "bench".into(),
                mn: Some(id.clone()),
                verdict: "accepted".into(),
                bytes: vec![b'#'; 300],
            };
            if let Some((_, b)) = batches.last_mut() {
                b.push(Ingest {
                    packet: with_packets.then_some(packet),
                    observations,
                });
            }
            if in_batch >= args.batch {
                batches.push((station, Vec::new()));
                in_batch = 0;
            }
        }
    }
    (ids, batches, n)
}

/// Runs `work` on `threads` threads, each taking the batches of its own stations in order;
/// returns the wall time in seconds.
fn timed_parallel<B: Sync>(
    batches: &[(usize, B)],
    threads: usize,
    work: impl Fn(usize, &B) -> Result<()> + Sync,
) -> Result<f64> {
    let started = Instant::now();
    std::thread::scope(|scope| -> Result<()> {
        let work = &work;
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || -> Result<()> {
                    for (_, b) in batches.iter().filter(|(st, _)| st % threads == t) {
                        work(t, b)?;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| anyhow::anyhow!("a writer thread panicked"))??;
        }
        Ok(())
    })?;
    Ok(started.elapsed().as_secs_f64())
}

/// The same rows by a bare binary COPY (lantian_store::baseline) into a table shaped like
/// `observations`, with the same writers and batches: what the server takes in at most.
fn bare_copy(store: &Store, prefix: &str, args: &Args) -> Result<Value> {
    let (_, batches, n) = batches(prefix, args, false);
    let threads = args.threads.max(1);
    let table = format!("{prefix}_bare_copy");
    let writers: Vec<std::sync::Mutex<lantian_store::baseline::BaselineCopy>> = (0..threads)
        .map(|_| store.baseline_copy(&table).map(std::sync::Mutex::new))
        .collect::<Result<_, _>>()?;
    let rows: Vec<(usize, Vec<Observation>)> = batches
        .into_iter()
        .map(|(st, b)| (st, b.into_iter().flat_map(|i| i.observations).collect()))
        .collect();
    let seconds = timed_parallel(&rows, threads, |t, b| {
        writers[t]
            .lock()
            .map_err(|_| anyhow::anyhow!("a writer panicked"))?
            .copy(b)?;
        Ok(())
    })?;
    for w in writers {
        w.into_inner()
            .map_err(|_| anyhow::anyhow!("a writer panicked"))?
            .drop_table()?;
    }
    Ok(json!({
        "observations": n,
        "threads": threads,
        "seconds": seconds,
        "values_per_s": n as f64 / seconds,
    }))
}

fn run_one(store: &Store, prefix: &str, args: &Args, with_packets: bool) -> Result<Value> {
    let (ids, batches, n) = batches(prefix, args, with_packets);
    for id in &ids {
        store.upsert_station(&Station {
            id: id.clone(),
            name: id.clone(),
            role: lantian_store::StationRole::Assessment,
            admin_unit_id: None,
            lat: None,
            lon: None,
            pollutants: CODES.iter().map(|c| c.to_string()).collect(),
            min_interval_min: 1,
            demo: false,
        })?;
    }
    let threads = args.threads.max(1);
    let ingest_s = timed_parallel(&batches, threads, |_, b| {
        store.commit_batch(b)?;
        Ok(())
    })?;
    let t = Instant::now();
    let one = store.series(
        &ids[0],
        "a34004",
        Period::Hour,
        YEAR_START,
        YEAR_START + 365 * 86_400,
        View::Raw,
    )?;
    let read_one_code_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let mut all = 0;
    for c in CODES {
        all += store
            .series(
                &ids[0],
                c,
                Period::Hour,
                YEAR_START,
                YEAR_START + 365 * 86_400,
                View::Raw,
            )?
            .len();
    }
    let read_all_codes_ms = t.elapsed().as_secs_f64() * 1000.0;
    Ok(json!({
        "backend": store.describe(),
        "archived_packets": if with_packets { n / CODES.len() as i64 } else { 0 },
        "observations": n,
        "batches": batches.len(),
        "threads": threads,
        "ingest_seconds": ingest_s,
        "values_per_s": n as f64 / ingest_s,
        "read_station_year_one_code_ms": read_one_code_ms,
        "read_station_year_one_code_rows": one.len(),
        "read_station_year_six_codes_ms": read_all_codes_ms,
        "read_station_year_six_codes_rows": all,
    }))
}

pub fn run(args: Args) -> Result<ExitCode> {
    let prefix = format!("bench{}", std::process::id());
    let dir = std::env::temp_dir().join(format!("lantian-bench-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut out = serde_json::Map::new();
    for (mode, with_packets) in [("values", false), ("values_with_packets", true)] {
        let sqlite = run_one(
            &Store::open_data_dir(&dir.join(mode))?,
            &format!("{prefix}{mode}"),
            &args,
            with_packets,
        )?;
        let postgres = match &args.postgres {
            Some(url) => {
                let store = Store::open(&Location::Postgres(url.clone()))?;
                let mut r = run_one(&store, &format!("{prefix}{mode}"), &args, with_packets)?;
                // The bare COPY of the same rows, right after, on the same server.
                let bare = bare_copy(&store, &format!("{prefix}{mode}"), &args)?;
                let share = r["values_per_s"].as_f64().unwrap_or(0.0)
                    / bare["values_per_s"].as_f64().unwrap_or(f64::NAN);
                r["bare_copy"] = bare;
                r["share_of_bare_copy"] = json!(share);
                r
            }
            None => Value::Null,
        };
        out.insert(
            mode.to_owned(),
            json!({ "sqlite": sqlite, "postgres": postgres }),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{}",
        json!({ "bench": "store", "station_years": args.station_years, "batch": args.batch, "results": out })
    );
    Ok(ExitCode::SUCCESS)
}
