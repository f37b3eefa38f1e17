//! `lantian migrate --from … --to …`: a county's whole database (SQLite data directory with
//! its archive) copied into PostgreSQL or Citus, or back out into a data directory; progress
//! on standard error, a JSON summary on standard output. The copy is `lantian_store::transfer`.

use anyhow::{Context, Result, bail};
use lantian_store::transfer::{BATCH_ROWS_DEFAULT, Options, Step};
use lantian_store::{Location, Store};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Progress lines of one table come at most this often (and once when it is complete).
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// Exit status of a run stopped by `--stop-after-rows` (complete: 0; an error: 2).
const EXIT_STOPPED: u8 = 3;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to copy: a data directory (lantian.db and archive.db) or postgres://user:pw@host/db.
    #[arg(long, value_name = "DATA_DIR|URL")]
    from: String,
    /// Where to: a new or empty data directory, or an empty PostgreSQL database (created
    /// beforehand: CREATE DATABASE …). Running again after an interruption continues.
    #[arg(long, value_name = "DATA_DIR|URL")]
    to: String,
    /// Rows per transaction.
    #[arg(long, default_value_t = BATCH_ROWS_DEFAULT, value_name = "N")]
    batch_rows: usize,
    /// For tests of resumption: stop, as if killed, after committing this many rows.
    #[arg(long, hide = true, value_name = "N")]
    stop_after_rows: Option<u64>,
}

/// `postgres://…` or `postgresql://…` is a server; anything else a data directory.
fn location(arg: &str, must_exist: bool) -> Result<Location> {
    if arg.starts_with("postgres://") || arg.starts_with("postgresql://") {
        return Ok(Location::Postgres(arg.to_owned()));
    }
    let dir = PathBuf::from(arg);
    let db = dir.join("lantian.db");
    if must_exist && !db.exists() {
        bail!(
            "{}: no lantian.db here (--from names a data directory or a postgres:// URL)",
            dir.display()
        );
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    // An absolute path, so that a resumed run recognises its source however it is named.
    let dir = std::fs::canonicalize(&dir).with_context(|| dir.display().to_string())?;
    Ok(Location::Sqlite(dir.join("lantian.db")))
}

pub fn run(a: Args) -> Result<ExitCode> {
    let (from, to) = (location(&a.from, true)?, location(&a.to, false)?);
    if from == to {
        bail!("--from and --to are the same database");
    }
    let open = |l: &Location, what: &str| {
        Store::open(l).with_context(|| {
            format!(
                "opening the {what} ({})",
                match l {
                    Location::Sqlite(p) => p.display().to_string(),
                    Location::Postgres(_) => "PostgreSQL".to_owned(),
                }
            )
        })
    };
    let (source, dest) = (open(&from, "source")?, open(&to, "destination")?);
    eprintln!(
        "lantian: migrate: {} → {}",
        source.describe(),
        dest.describe()
    );
    let started = Instant::now();
    // The table being copied: since when (the previous step's end), and its last line.
    let mut table = (String::new(), started, None::<Instant>);
    let mut last_step = started;
    let mut report = |s: &Step<'_>| {
        let now = Instant::now();
        if table.0 != s.table {
            table = (s.table.to_owned(), last_step, None);
        }
        last_step = now;
        if !s.done
            && table
                .2
                .is_some_and(|at| now.duration_since(at) < PROGRESS_EVERY)
        {
            return;
        }
        table.2 = Some(now);
        let seconds = now.duration_since(table.1).as_secs_f64().max(1e-3);
        eprintln!(
            "lantian: migrate: {} {}/{} rows{} ({:.0} rows/s)",
            s.table,
            s.copied,
            s.total,
            if s.done { ", done" } else { "" },
            s.copied_now as f64 / seconds
        );
    };
    let options = Options {
        batch_rows: a.batch_rows,
        stop_after_rows: a.stop_after_rows,
    };
    let summary = source.transfer_to(&dest, &options, &mut report)?;
    let seconds = started.elapsed().as_secs_f64();
    let mut out = serde_json::to_value(&summary)?;
    out["seconds"] = serde_json::json!((seconds * 1000.0).round() / 1000.0);
    println!("{out}");
    if summary.complete {
        eprintln!(
            "lantian: migrate: complete, {} rows copied in {seconds:.1} s; archive verified on both sides ({} records)",
            summary.rows_copied_now, summary.archive.records
        );
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "lantian: migrate: stopped after {} rows as asked; run the same command again to continue",
            summary.rows_copied_now
        );
        Ok(ExitCode::from(EXIT_STOPPED))
    }
}
