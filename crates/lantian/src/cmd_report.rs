//! `lantian report township`: the monthly township 通报 (ranking, first and last three,
//! targets and progress, incentives and penalties) as JSON, an Excel workbook or a PDF; and
//! `lantian report daily|weekly|monthly`: the periodic air-quality reports (日报, 周报, 月报)
//! of the city or a township, as JSON, xlsx or PDF, optionally kept as the reports page's
//! files (`--keep`).

use crate::context::{AsArgs, StoreArgs};
use anyhow::{Context, Result, bail};
use lantian_app::periodic_report::{self, Kind, Period};
use lantian_app::{report_schedule, township_report};
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
    /// The 日报 of one natural day (default: yesterday, Beijing time).
    ///
    /// Example: lantian report daily --day 2026-11-09 --format pdf --out ribao.pdf
    Daily(PeriodicArgs),
    /// The 周报 of one week, Monday to Sunday (default: last week).
    ///
    /// Example: lantian report weekly --day 2026-11-11 --scope unit:wangkou --format xlsx --out zhoubao.xlsx
    Weekly(PeriodicArgs),
    /// The 月报 of one month (default: last month).
    ///
    /// Example: lantian report monthly --month 2026-11 --format pdf --out yuebao.pdf
    Monthly(PeriodicArgs),
}

#[derive(Debug, clap::Args)]
struct PeriodicArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    who: AsArgs,
    /// city | unit:ID (a town, township or zone)
    #[arg(long, default_value = "city")]
    scope: String,
    /// The day (日报), or any day of the week (周报), YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD")]
    day: Option<String>,
    /// The month (月报), YYYY-MM.
    #[arg(long, value_name = "YYYY-MM")]
    month: Option<String>,
    /// json | xlsx | pdf
    #[arg(long, default_value = "json")]
    format: String,
    /// audited (the default) | raw
    #[arg(long, default_value = "audited")]
    view: String,
    /// Also keep the xlsx and the PDF as files of the reports page (the bureau).
    #[arg(long)]
    keep: bool,
    /// Write here instead of standard output (required for xlsx and pdf on a terminal).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
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

fn view(text: &str) -> Result<View> {
    match text {
        "raw" => Ok(View::Raw),
        "audited" => Ok(View::Audited),
        o => bail!("--view {o}: expected raw or audited"),
    }
}

fn write_out(out: Option<&PathBuf>, bytes: &[u8]) -> Result<()> {
    match out {
        Some(p) => std::fs::write(p, bytes).with_context(|| format!("writing {}", p.display())),
        None => Ok(std::io::stdout().lock().write_all(bytes)?),
    }
}

fn periodic(kind: Kind, a: PeriodicArgs) -> Result<ExitCode> {
    let view = view(&a.view)?;
    let scope = periodic_report::parse_scope(&a.scope)?;
    let app = a.store.app()?;
    let caller = a.who.caller(&app)?;
    let period = match (kind, &a.day, &a.month) {
        (Kind::Monthly, _, Some(m)) => Period::parse(kind, m)?,
        (Kind::Monthly, Some(_), None) => bail!("report monthly: give --month YYYY-MM"),
        (_, Some(d), None) => Period::parse(kind, d)?,
        (_, _, Some(_)) => bail!("report {}: give --day YYYY-MM-DD", kind.as_str()),
        (_, None, None) => Period::last_ended(kind, app.clock.today()),
    };
    let r = periodic_report::report(&app, &caller, &scope, period, view)?;
    if a.keep {
        for f in report_schedule::make(&app, &caller, kind, &scope, period, view, "xlsx,pdf")? {
            eprintln!("kept {} ({} bytes, sha256 {})", f.name, f.size, f.sha256);
        }
    }
    let bytes = match a.format.as_str() {
        "json" => {
            let mut b = serde_json::to_vec_pretty(&r)?;
            b.push(b'\n');
            b
        }
        f @ ("xlsx" | "pdf") => periodic_report::render(&r, f)?.0,
        o => bail!("--format {o}: expected json, xlsx or pdf"),
    };
    write_out(a.out.as_ref(), &bytes)?;
    Ok(ExitCode::SUCCESS)
}

pub fn run(a: Args) -> Result<ExitCode> {
    let a = match a.command {
        Command::Township(a) => a,
        Command::Daily(p) => return periodic(Kind::Daily, p),
        Command::Weekly(p) => return periodic(Kind::Weekly, p),
        Command::Monthly(p) => return periodic(Kind::Monthly, p),
    };
    let view = view(&a.view)?;
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
    write_out(a.out.as_ref(), &bytes)?;
    Ok(ExitCode::SUCCESS)
}
