//! `lantian ledger …`: the measures ledger (措施责任清单) from the command line: list, import
//! another county's list, export the 台账 as Excel, and act on a measure as an account.
//! Every decision is the application layer's, as in the web UI.

use crate::context::{AsArgs, StoreArgs, operator};
use anyhow::{Context, Result, bail};
use lantian_app::ledger::{self, Correction, Filter};
use lantian_core::ledger::MonthlyTarget;
use lantian_core::ledger::import::import_rows;
use lantian_core::ledger::status::Action;
use lantian_core::{Date, Month};
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
    /// List the measures (JSON with --json; a table otherwise).
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        json: bool,
    },
    /// Import a list in the four-column layout (类别, 重点工作, 工作措施, 责任单位) from CSV or
    /// XLSX (merged cells of the original table handled), replacing the ledger.
    /// Nothing is imported while any row has an error; --dry-run only reports.
    Import {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        dry_run: bool,
        file: PathBuf,
    },
    /// Write the ledger (台账) as an Excel workbook in the layout of the original table,
    /// with status columns.
    Export {
        #[command(flatten)]
        store: StoreArgs,
        file: PathBuf,
    },
    /// Record progress, confirmation, closing (销号) or reopening of a measure, as an account.
    Report {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long)]
        measure: String,
        /// report | confirm | close | reopen
        #[arg(long, default_value = "report")]
        action: String,
        /// The month the report covers, YYYY-MM.
        #[arg(long)]
        month: Option<String>,
        /// Progress text, or the reason for closing.
        #[arg(long, default_value = "")]
        text: String,
    },
    /// Attach an evidence file (PDF, JPEG or PNG, at most 5 MiB) to a measure, as an account.
    Evidence {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long)]
        measure: String,
        file: PathBuf,
    },
    /// Correct what was read from a measure's text, or break a target down by month (the
    /// bureau), as an account.
    Correct {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long)]
        measure: String,
        /// Lead units, separated by 、 or commas.
        #[arg(long)]
        lead_units: Option<String>,
        #[arg(long)]
        supporting_units: Option<String>,
        /// Deadlines YYYY-MM-DD, comma-separated.
        #[arg(long)]
        deadlines: Option<String>,
        /// A month's share of the target, YYYY-MM=VALUE; repeatable.
        #[arg(long = "monthly-target", value_name = "YYYY-MM=VALUE")]
        monthly_targets: Vec<String>,
        #[arg(long, default_value = "")]
        note: String,
    },
}

fn units(s: &str) -> Vec<String> {
    s.split(['、', ',', '，'])
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect()
}

pub fn run(a: Args) -> Result<ExitCode> {
    match a.what {
        What::List { store, json } => {
            let app = store.app()?;
            let list = ledger::list(&app, &Filter::default())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for m in &list {
                    let short: String = m.measure.chars().take(40).collect();
                    println!("{}\t{}\t{}\t{short}", m.id, m.section, m.status_zh);
                }
            }
        }
        What::Import {
            store,
            dry_run,
            file,
        } => {
            let app = store.app()?;
            let cells = crate::input::read_table(&file)?;
            let r = import_rows(&cells, &app.county.known_units());
            println!(
                "{}",
                json!({ "measures": r.measures.len(), "errors": r.errors, "warnings": r.warnings, "dry_run": dry_run })
            );
            if !r.errors.is_empty() {
                eprintln!(
                    "lantian: {} row(s) have errors; nothing imported",
                    r.errors.len()
                );
                return Ok(ExitCode::from(1));
            }
            if !dry_run {
                let version = ledger::replace(&app, &operator(), &r.measures)?;
                eprintln!(
                    "lantian: imported {} measures as version {version} of the list (earlier versions and every report kept)",
                    r.measures.len()
                );
            }
        }
        What::Export { store, file } => {
            let app = store.app()?;
            let list = ledger::list(&app, &Filter::default())?;
            let bytes = ledger::xlsx(&app, &operator(), &list)?;
            std::fs::write(&file, bytes)
                .with_context(|| format!("{}: cannot write", file.display()))?;
            eprintln!(
                "lantian: wrote {} measures to {}",
                list.len(),
                file.display()
            );
        }
        What::Report {
            store,
            who,
            measure,
            action,
            month,
            text,
        } => {
            let app = store.app()?;
            let caller = who.required(&app)?;
            let act = match action.as_str() {
                "report" => Action::Report,
                "confirm" => Action::Confirm,
                "close" => Action::Close,
                "reopen" => Action::Reopen,
                o => bail!("--action {o}: expected report, confirm, close or reopen"),
            };
            let month = match month {
                Some(m) => Some(
                    Month::parse(&m).with_context(|| format!("--month {m}: expected YYYY-MM"))?,
                ),
                None => None,
            };
            let out = ledger::act(&app, &caller, &measure, act, month, &text)?;
            eprintln!("lantian: measure {measure} now {}", out.status_zh);
        }
        What::Evidence {
            store,
            who,
            measure,
            file,
        } => {
            let app = store.app()?;
            let caller = who.required(&app)?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("{}: cannot read", file.display()))?;
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("evidence");
            let stored = ledger::evidence(&app, &caller, &measure, name, &bytes)?;
            eprintln!("lantian: evidence {stored} attached to {measure}");
        }
        What::Correct {
            store,
            who,
            measure,
            lead_units,
            supporting_units,
            deadlines,
            monthly_targets,
            note,
        } => {
            let app = store.app()?;
            let caller = who.required(&app)?;
            let deadlines = match deadlines {
                Some(d) => Some(
                    units(&d)
                        .iter()
                        .map(|x| {
                            Date::parse(x)
                                .with_context(|| format!("--deadlines: {x:?} is not YYYY-MM-DD"))
                        })
                        .collect::<Result<Vec<_>>>()?,
                ),
                None => None,
            };
            let monthly = monthly_targets
                .iter()
                .map(|t| {
                    let (m, v) = t
                        .split_once('=')
                        .with_context(|| format!("--monthly-target {t}: expected YYYY-MM=VALUE"))?;
                    Ok(MonthlyTarget {
                        month: Month::parse(m).with_context(|| {
                            format!("--monthly-target {t}: {m:?} is not YYYY-MM")
                        })?,
                        value: v.parse().with_context(|| {
                            format!("--monthly-target {t}: {v:?} is not a number")
                        })?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let c = Correction {
                lead_units: lead_units.as_deref().map(units),
                supporting_units: supporting_units.as_deref().map(units),
                deadlines,
                targets: None,
                monthly_targets: (!monthly.is_empty()).then_some(monthly),
                note,
            };
            let changed = ledger::correct(&app, &caller, &measure, c)?;
            eprintln!(
                "lantian: measure {measure}: corrected {}",
                changed.join(", ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
