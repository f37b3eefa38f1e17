//! `lantian bench assess`: hourly values per second through a full-year HJ 663 assessment
//! (daily validity, MDA8, daily AQI, percentiles, compliance, composite index) of many
//! station-years synthesised from the real UCI Beijing files.

use anyhow::{Result, bail};
use lantian_core::assess::{AssessOptions, assess};
use lantian_core::series::{HourlySeries, daily_records, perturbed_copies};
use lantian_formats::{Diagnostics, prsa};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Station-years to assess.
    #[arg(long, default_value_t = 1000)]
    station_years: usize,
    /// Worker threads (the machine has 2 cores).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Directory of the UCI Beijing PRSA files whose 2014–2016 years seed the synthesis.
    #[arg(long, default_value = "../shared/data/beijing-prsa")]
    data: PathBuf,
}

pub fn run(args: Args) -> Result<ExitCode> {
    if args.threads == 0 || args.station_years == 0 {
        bail!("--threads and --station-years must be at least 1");
    }
    let base = load_base(&args.data)?;
    let all = perturbed_copies(&base, args.station_years);
    let values: usize = all.iter().map(HourlySeries::count_values).sum();
    let slots: usize = all.iter().map(|s| s.n_days * 24 * 6).sum();
    let chunk = all.len().div_ceil(args.threads);
    let opts = AssessOptions::default();
    let started = Instant::now();
    let assessed: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = all
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .filter(|s| assess(&daily_records(s), &opts).is_some())
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({
            "bench": "assess",
            "station_years": args.station_years,
            "assessed": assessed,
            "threads": args.threads,
            "base_station_years": base.len(),
            "hourly_values": values,
            "hourly_slots": slots,
            "seconds": seconds,
            "values_per_s": values as f64 / seconds,
            "values_per_s_per_thread": values as f64 / seconds / args.threads as f64,
            "station_years_per_s": assessed as f64 / seconds,
        })
    );
    Ok(ExitCode::SUCCESS)
}

/// The real station-years 2014–2016 of every PRSA file in `dir`.
pub(crate) fn load_base(dir: &PathBuf) -> Result<Vec<HourlySeries>> {
    let files = crate::input::expand(std::slice::from_ref(dir), |n| n.starts_with("PRSA_Data_"))?;
    let mut base = Vec::new();
    for path in files {
        let mut diag = Diagnostics::default();
        let f = prsa::read(
            crate::input::open(&path)?,
            &path.display().to_string(),
            None,
            &mut diag,
        )?;
        base.extend((2014..=2016).filter_map(|y| f.year_series(y)));
    }
    if base.is_empty() {
        bail!("{}: no PRSA station-years found", dir.display());
    }
    Ok(base)
}
