//! `lantian report township`: the monthly township 通报 (ranking, first and last three,
//! targets and progress, incentives and penalties) as JSON, an Excel workbook or a PDF.

use crate::context::{AsArgs, StoreArgs};
use anyhow::{Context, Result, bail};
use lantian_app::township_report;
use lantian_core::Month;
use lantian_core::assess::ranking::{Config, Method, SanctionRules, Weights};
use lantian_core::rules::RuleChoice;
use lantian_store::View;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// The monthly township 通报 of one month.
    ///
    /// Example: lantian report township --month 2026-11 --format pdf --out tongbao.pdf
    Township(TownshipArgs),
}

#[derive(Debug, clap::Args)]
struct TownshipArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    who: AsArgs,
    /// The month, YYYY-MM.
    #[arg(long, value_name = "YYYY-MM")]
    month: Month,
    /// json | xlsx | pdf
    #[arg(long, default_value = "json")]
    format: String,
    /// composite_index | pm25_so2_sum | pm25 | improvement | weighted (docs/assessment.md)
    #[arg(long, default_value = "composite_index")]
    method: Method,
    /// What the improvement rate compares: pm25 | composite_index.
    #[arg(long, default_value = "pm25")]
    basis: lantian_core::assess::ranking::Basis,
    /// The weighted score's weights, NAME=W separated by commas (composite_index,
    /// pm25_so2_sum, pm25, improvement); unnamed ones keep their defaults.
    #[arg(long, value_name = "NAME=W,...")]
    weights: Option<String>,
    /// The penalty thresholds as JSON, e.g. '{"criticism_gap_pct":15}' (docs/assessment.md).
    #[arg(long, value_name = "JSON")]
    sanctions: Option<String>,
    /// auto (by the data's date) | 2012 | 2026
    #[arg(long, default_value = "auto")]
    rules: RuleChoice,
    /// audited (the default) | raw
    #[arg(long, default_value = "audited")]
    view: String,
    /// Write here instead of standard output (required for xlsx and pdf on a terminal).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

fn weights(text: &str) -> Result<Weights> {
    let mut w = Weights::default();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let (name, value) = part
            .split_once('=')
            .with_context(|| format!("--weights {part:?}: expected NAME=W"))?;
        let v: f64 = value
            .trim()
            .parse()
            .with_context(|| format!("--weights {part:?}: {value:?} is not a number"))?;
        match name.trim() {
            "composite_index" => w.composite_index = v,
            "pm25_so2_sum" => w.pm25_so2_sum = v,
            "pm25" => w.pm25 = v,
            "improvement" => w.improvement = v,
            o => bail!(
                "--weights {o:?}: expected composite_index, pm25_so2_sum, pm25 or improvement"
            ),
        }
    }
    w.check().map_err(anyhow::Error::msg)?;
    Ok(w)
}

pub fn run(a: Args) -> Result<ExitCode> {
    let Command::Township(a) = a.command;
    let view = match a.view.as_str() {
        "raw" => View::Raw,
        "audited" => View::Audited,
        o => bail!("--view {o}: expected raw or audited"),
    };
    let config = Config {
        method: a.method,
        basis: a.basis,
        weights: match &a.weights {
            Some(t) => weights(t)?,
            None => Weights::default(),
        },
    };
    let sanctions: SanctionRules = match &a.sanctions {
        Some(t) => serde_json::from_str(t).with_context(|| format!("--sanctions {t}"))?,
        None => SanctionRules::default(),
    };
    let app = a.store.app()?;
    let caller = a.who.caller(&app)?;
    let r = township_report::report(&app, &caller, a.month, &config, &sanctions, a.rules, view)?;
    let bytes = match a.format.as_str() {
        "json" => {
            let mut b = serde_json::to_vec_pretty(&r)?;
            b.push(b'\n');
            b
        }
        "xlsx" => township_report::xlsx(&r)?,
        "pdf" => township_report::pdf(&r)?,
        o => bail!("--format {o}: expected json, xlsx or pdf"),
    };
    match &a.out {
        Some(p) => std::fs::write(p, &bytes).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().lock().write_all(&bytes)?,
    }
    Ok(ExitCode::SUCCESS)
}
