//! `lantian bench tracing`: the time of the receptor methods on one real station-year (the
//! polar plot's surface, CPF and NWR), over several runs: median and maximum per method, and
//! the time to read the station-year from its file. docs/performance.md "Source tracing".

use anyhow::{Result, bail};
use lantian_core::pollutant::Pollutant;
use lantian_core::tracing::{cpf, nwr, polar};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The station (a UCI Beijing file's name).
    #[arg(long, default_value = "Dongsi")]
    station: String,
    /// The pollutant.
    #[arg(long, default_value = "PM2.5", value_parser = crate::cmd_tracing::parse_pollutant)]
    pollutant: Pollutant,
    /// The calendar year.
    #[arg(long, default_value_t = 2015)]
    year: i32,
    /// Runs of each method.
    #[arg(long, default_value_t = 10)]
    runs: usize,
    /// Directory of the UCI Beijing PRSA files.
    #[arg(long, default_value = "../shared/data/beijing-prsa")]
    data: PathBuf,
}

/// Median and maximum of `runs` timings of `f`, seconds.
fn time<T>(runs: usize, mut f: impl FnMut() -> Result<T>) -> Result<(f64, f64)> {
    let mut s = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        std::hint::black_box(f()?);
        s.push(t.elapsed().as_secs_f64());
    }
    s.sort_by(f64::total_cmp);
    Ok((s[s.len() / 2], s[s.len() - 1]))
}

pub fn run(a: Args) -> Result<ExitCode> {
    if a.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let t = Instant::now();
    let hours = crate::cmd_tracing::hours(&a.data, &a.station, a.pollutant, a.year)?;
    let read_s = t.elapsed().as_secs_f64();
    let calm = lantian_core::tracing::CALM_M_S_DEFAULT;
    let options = polar::Options {
        calm_m_s: calm,
        ..polar::Options::default()
    };
    let plot = polar::polar_plot(&hours, &options)?;
    let (polar_median, polar_max) = time(a.runs, || Ok(polar::polar_plot(&hours, &options)?))?;
    let (cpf_median, cpf_max) = time(a.runs, || Ok(cpf::cpf(&hours, 75.0, 16, calm)?))?;
    let (nwr_median, nwr_max) = time(a.runs, || Ok(nwr::nwr(&hours, nwr::NwrParams::default())?))?;
    println!(
        "{}",
        json!({
            "bench": "tracing",
            "station": a.station,
            "pollutant": a.pollutant.name(),
            "year": a.year,
            "hours": hours.len(),
            "runs": a.runs,
            "read_s": read_s,
            "polar_grid": options.grid,
            "polar_basis_per_axis": options.basis_per_axis,
            "polar_bins": plot.bins_fitted,
            "polar_median_s": polar_median,
            "polar_max_s": polar_max,
            "cpf_median_s": cpf_median,
            "cpf_max_s": cpf_max,
            "nwr_median_s": nwr_median,
            "nwr_max_s": nwr_max,
        })
    );
    Ok(ExitCode::SUCCESS)
}
