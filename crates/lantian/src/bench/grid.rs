//! `lantian bench grid`: point-in-polygon of random fire points over the county's bounding
//! box against the shipped township boundaries (Xinji's, or a GeoJSON file given), several
//! runs; the median and the slowest run, and how many points fell inside, on a border and
//! outside.

use anyhow::{Result, anyhow, bail};
use lantian_app::County;
use lantian_app::firepoints::boundaries_from_geojson;
use lantian_core::grid::geo::Located;
use serde_json::json;
use std::hint::black_box;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Random points per run.
    #[arg(long, default_value_t = 10_000)]
    points: usize,
    /// Runs (each with new points).
    #[arg(long, default_value_t = 9)]
    runs: usize,
    /// A boundaries GeoJSON instead of Xinji's shipped one.
    #[arg(long)]
    boundaries: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    if args.points == 0 || args.runs == 0 {
        bail!("--points and --runs must be at least 1");
    }
    let text = match &args.boundaries {
        Some(p) => std::fs::read_to_string(p)?,
        None => County::xinji().boundaries_geojson,
    };
    let t0 = Instant::now();
    let b = boundaries_from_geojson(&text).map_err(|e| anyhow!(e))?;
    let prepare_ms = t0.elapsed().as_secs_f64() * 1e3;
    let bbox = b.bbox();
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut uniform = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut runs_ms = Vec::with_capacity(args.runs);
    let (mut inside, mut border, mut outside) = (0u64, 0u64, 0u64);
    for _ in 0..args.runs {
        let pts: Vec<(f64, f64)> = (0..args.points)
            .map(|_| {
                (
                    bbox.lat_min + uniform() * (bbox.lat_max - bbox.lat_min),
                    bbox.lon_min + uniform() * (bbox.lon_max - bbox.lon_min),
                )
            })
            .collect();
        let start = Instant::now();
        for &(lat, lon) in &pts {
            match black_box(b.locate(black_box(lat), black_box(lon))) {
                Located::Inside { .. } => inside += 1,
                Located::Border { .. } => border += 1,
                Located::Outside { .. } => outside += 1,
            }
        }
        runs_ms.push(start.elapsed().as_secs_f64() * 1e3);
    }
    let mut sorted = runs_ms.clone();
    sorted.sort_by(f64::total_cmp);
    let median_ms = sorted[sorted.len() / 2];
    let max_ms = sorted[sorted.len() - 1];
    println!(
        "{}",
        json!({
            "bench": "grid",
            "units": b.unit_ids().count(),
            "points_per_run": args.points,
            "runs": args.runs,
            "prepare_ms": prepare_ms,
            "median_ms": median_ms,
            "max_ms": max_ms,
            "points_per_s": args.points as f64 / (median_ms / 1e3),
            "inside": inside,
            "border": border,
            "outside": outside,
            "runs_ms": runs_ms,
        })
    );
    Ok(ExitCode::SUCCESS)
}
