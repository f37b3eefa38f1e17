//! `lantian task import-firepoints FILE [--dry-run] [--json]`: a NASA FIRMS fire-point file
//! (VIIRS or MODIS layout) into grid tasks of the townships; thin over
//! `lantian_app::firepoints`.

use crate::context::StoreArgs;
use anyhow::{Context, Result};
use lantian_app::firepoints;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Import satellite fire points: each becomes a task of its township, is merged into the
/// task of the same fire seen on an earlier pass, or is refused outside the county.
///
/// Example: lantian task import-firepoints VIIRS_NOAA20_NRT_China_24h.csv --json
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The FIRMS CSV file (VIIRS or MODIS columns; acq_time in UTC).
    file: PathBuf,
    /// Locate and merge, but create no task and record nothing.
    #[arg(long)]
    dry_run: bool,
    /// One JSON object per point: lat, lon, acquired, township, outside_county, task,
    /// duplicate_of.
    #[arg(long)]
    json: bool,
}

pub fn import(a: ImportArgs) -> Result<ExitCode> {
    let bytes = std::fs::read(&a.file).with_context(|| format!("reading {}", a.file.display()))?;
    let app = a.store.app()?;
    let name = a.file.display().to_string();
    let r = firepoints::import_firepoints(&app, &bytes, &name, a.dry_run)?;
    let mut out = std::io::stdout().lock();
    for p in &r.points {
        if a.json {
            let line = json!({
                "lat": p.lat,
                "lon": p.lon,
                "acquired": p.acquired,
                "township": p.township,
                "outside_county": p.outside_county,
                "task": p.task,
                "duplicate_of": p.duplicate_of,
            });
            writeln!(out, "{line}")?;
        } else {
            let what = match (p.task, p.duplicate_of, &p.reason) {
                (Some(t), _, _) => format!("→ 任务 / task #{t}"),
                (None, Some(d), _) => format!("并入 / merged into #{d}"),
                (None, None, Some(why)) => why.clone(),
                (None, None, None) => "(试运行 / dry run)".to_owned(),
            };
            writeln!(
                out,
                "{}:{} {:.5},{:.5} {} {} {what}{}",
                name,
                p.line,
                p.lat,
                p.lon,
                p.acquired,
                p.township.as_deref().unwrap_or("-"),
                if p.repeat {
                    " (已导入 / imported before)"
                } else {
                    ""
                }
            )?;
        }
    }
    out.flush()?;
    eprintln!(
        "lantian: {} fire points ({}): {} tasks created, {} merged, {} outside the county{}",
        r.points.len(),
        r.layout,
        r.tasks_created,
        r.merged,
        r.outside,
        if r.dry_run {
            " (dry run: nothing created)"
        } else {
            ""
        }
    );
    if r.diagnostics.skipped > 0 {
        eprintln!("lantian: skipped {} rows:", r.diagnostics.skipped);
        for s in &r.diagnostics.examples {
            eprintln!("  {s}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
