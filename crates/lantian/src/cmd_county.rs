//! `lantian county init|check`: a county as data. `init` writes the shipped (Xinji) profile
//! out as files to edit into another county's; `check` loads a profile and says what it
//! holds and what is wrong with it. `lantian serve --county DIR` uses one.

use anyhow::Result;
use lantian_app::county::{County, Files};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(Debug, clap::Subcommand)]
enum What {
    /// Write Xinji's profile (county.json, units.csv, departments.csv, measures.tsv,
    /// boundaries.geojson) into DIR, to edit into another county's (docs/county.md).
    Init { dir: PathBuf },
    /// Load a profile directory; print what it holds and its warnings (exit 1 on an error).
    Check { dir: PathBuf },
}

pub fn run(a: Args) -> Result<ExitCode> {
    match a.what {
        What::Init { dir } => {
            Files::xinji().write(&dir)?;
            eprintln!(
                "lantian: wrote the Xinji county profile to {} (see docs/county.md to make it another county's)",
                dir.display()
            );
        }
        What::Check { dir } => {
            let c = County::load(&dir)?;
            println!(
                "{}",
                json!({
                    "id": c.profile.id, "name_zh": c.profile.name_zh, "units": c.units.len(),
                    "departments": c.departments.len(), "measures": c.measures.len(), "warnings": c.warnings,
                })
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
