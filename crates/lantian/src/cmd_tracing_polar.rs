//! `lantian tracing polar`: the polar plot's smooth surface of one station-year (openair's
//! `polarPlot`: bin means over wind speed and direction smoothed by a P-spline chosen by
//! REML or GCV); thin over `lantian_core::tracing::polar`. docs/tracing.md "Polar plot".

use crate::cmd_tracing::{StationYear, num};
use anyhow::Result;
use clap::Subcommand;
use lantian_core::tracing::polar::{self, Criterion, Options, PolarPlot};
use serde_json::json;
use std::io::Write;
use std::process::ExitCode;

/// The polar-plot subcommand, flattened into `lantian tracing`.
#[derive(Debug, Subcommand)]
pub(crate) enum PolarSub {
    /// The polar plot's smooth surface (openair polarPlot): bin means over wind speed and
    /// direction, a tensor-product P-spline with λ chosen by REML (or GCV), predicted on a grid over
    /// the disc and masked far from the data. With --json: a first line with the fit's
    /// summary (method, λ, edf, bins, rmse), then one line per grid cell.
    ///
    /// Example: lantian tracing polar --format prsa --station Dongsi --pollutant PM2.5 --year 2015 --json ../shared/data/beijing-prsa
    Polar(PolarArgs),
}

/// The options of `lantian tracing polar`.
#[derive(Debug, clap::Args)]
pub(crate) struct PolarArgs {
    #[command(flatten)]
    input: StationYear,
    /// Grid points per axis (openair's "normal" resolution is 101).
    #[arg(long, default_value_t = polar::GRID_DEFAULT)]
    grid: usize,
    /// Cubic B-spline basis functions per axis of the surface.
    #[arg(long, value_name = "K", default_value_t = polar::BASIS_PER_AXIS_DEFAULT)]
    basis: usize,
    /// Bins with fewer hours are left out of the fit (openair's min.bin).
    #[arg(long, value_name = "HOURS", default_value_t = 1)]
    min_bin: usize,
    /// Fit the bin means as they are, not their square roots (openair's force.positive = FALSE).
    #[arg(long)]
    no_force_positive: bool,
    /// How the smoothing parameter is chosen: reml (default; mgcv's "REML") or gcv (mgcv's
    /// "GCV.Cp", openair's; on the Beijing bins its global minimum often interpolates).
    #[arg(long, value_enum, default_value = "reml")]
    criterion: CriterionArg,
    /// With --json, also print every bin (one line each, "kind": "bin") after the summary.
    #[arg(long)]
    bins: bool,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum CriterionArg {
    Reml,
    Gcv,
}

pub(crate) fn run(sub: PolarSub) -> Result<ExitCode> {
    let PolarSub::Polar(a) = sub;
    let hours = a.input.hours()?;
    let options = Options {
        grid: a.grid,
        basis_per_axis: a.basis,
        force_positive: !a.no_force_positive,
        min_bin: a.min_bin,
        calm_m_s: a.input.calm,
        criterion: match a.criterion {
            CriterionArg::Reml => Criterion::Reml,
            CriterionArg::Gcv => Criterion::Gcv,
        },
        ..Options::default()
    };
    let plot = polar::polar_plot(&hours, &options).map_err(|e| {
        anyhow::anyhow!(
            "{} {} {}: {e}",
            a.input.station,
            a.input.pollutant.name(),
            a.input.year
        )
    })?;
    let mut out = std::io::stdout().lock();
    if a.input.json {
        writeln!(out, "{}", summary(&a, &plot))?;
        if a.bins {
            for b in &plot.binning.bins {
                writeln!(
                    out,
                    "{}",
                    json!({
                        "kind": "bin", "ws_bin": b.ws_bin, "wd_bin": b.wd_bin,
                        "ws_m_s": num(b.ws_m_s), "wd_deg": num(b.wd_deg),
                        "u": num(b.u), "v": num(b.v), "n": b.n,
                        "mean": num(b.mean), "weight": num(b.weight),
                    })
                )?;
            }
        }
        for c in &plot.cells {
            writeln!(
                out,
                "{}",
                json!({
                    "kind": "cell", "u": num(c.u), "v": num(c.v),
                    "value": c.value.map(num), "lower": c.lower.map(num), "upper": c.upper.map(num),
                })
            )?;
        }
    } else {
        table(&mut out, &a, &plot)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn summary(a: &PolarArgs, p: &PolarPlot) -> serde_json::Value {
    json!({
        "kind": "summary",
        "station": a.input.station,
        "pollutant": a.input.pollutant.name(),
        "year": a.input.year,
        "method_zh": p.method_zh,
        "method_en": p.method_en,
        "hours": p.binning.hours,
        "calm_m_s": num(p.options.calm_m_s),
        "ws_max_m_s": num(p.binning.ws_max_m_s),
        "wd_step_deg": num(p.binning.wd_step_deg),
        "ws_bins": polar::WS_BINS,
        "bins": p.binning.bins.len(),
        "bins_fitted": p.bins_fitted,
        "min_bin": p.options.min_bin,
        "force_positive": p.options.force_positive,
        "basis_per_axis": p.options.basis_per_axis,
        "criterion": p.options.criterion.name(),
        "lambda": num(p.lambda),
        "edf": num(p.edf),
        "gcv": num(p.gcv),
        "sigma": num(p.sigma),
        "rmse": num(p.rmse),
        "grid": p.options.grid,
        "exclude_dist": num(p.options.exclude_dist),
        "cells": p.cells.len(),
        "cells_masked": p.cells_masked,
    })
}

/// The readable form: the summary, then the surface along the 16 compass directions at five
/// wind speeds (the nearest grid cell; "—" where masked).
fn table(out: &mut impl Write, a: &PolarArgs, p: &PolarPlot) -> Result<()> {
    writeln!(
        out,
        "极坐标图 / polar plot: {} {} {}",
        a.input.station,
        a.input.pollutant.name(),
        a.input.year
    )?;
    writeln!(out, "{}", p.method_zh)?;
    writeln!(out, "{}", p.method_en)?;
    writeln!(
        out,
        "小时 hours {}  箱 bins {} (fitted {})  {} λ {:.4e}  edf {:.1}  GCV {:.4}  rmse {:.2}  最大风速 max ws {} m/s  masked {}/{}",
        p.binning.hours,
        p.binning.bins.len(),
        p.bins_fitted,
        p.options.criterion.name(),
        p.lambda,
        p.edf,
        p.gcv,
        p.rmse,
        p.binning.ws_max_m_s,
        p.cells_masked,
        p.cells.len()
    )?;
    const POINTS: [&str; 16] = [
        "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW",
        "NW", "NNW",
    ];
    let r = p.binning.ws_max_m_s;
    let speeds: Vec<f64> = [0.1, 0.3, 0.5, 0.7, 0.9].iter().map(|f| f * r).collect();
    write!(out, "{:<8}", "风向 wd")?;
    for s in &speeds {
        write!(out, "{:>12}", format!("{s:.1} m/s"))?;
    }
    writeln!(out)?;
    let g = p.options.grid;
    let step = 2.0 * r / (g - 1) as f64;
    for (k, name) in POINTS.iter().enumerate() {
        write!(out, "{name:<8}")?;
        let rad = (k as f64 * 22.5f64).to_radians();
        for s in &speeds {
            let (u, v) = (s * rad.sin(), s * rad.cos());
            let iu = (((u + r) / step).round() as usize).min(g - 1);
            let iv = (((v + r) / step).round() as usize).min(g - 1);
            match p.cells[iv * g + iu].value {
                Some(z) => write!(out, "{z:>12.1}")?,
                None => write!(out, "{:>12}", "—")?,
            }
        }
        writeln!(out)?;
    }
    Ok(())
}
