//! `lantian ledger …`: the measures ledger (措施责任清单) from the command line: list, import
//! another county's list, export the 台账 as Excel, and act on a measure as an account.
//! Every decision is the application layer's, as in the web UI.

use crate::context::{AsArgs, StoreArgs, operator};
use anyhow::{Context, Result, bail};
use lantian_app::ledger::{self, Correction, Filter};
use lantian_app::ledger_parts::{self, On};
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
        /// Act on this milestone of the measure (e.g. M05-1) instead of the whole measure.
        #[arg(long, conflicts_with = "township")]
        milestone: Option<String>,
        /// Act on this township's part of the measure (its id, e.g. wangkou); a township's
        /// own account acts on its part without it.
        #[arg(long)]
        township: Option<String>,
    },
    /// Enter a month's actual value of a numeric target (the lead unit), as an account.
    Actual {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long)]
        measure: String,
        /// The target's key: t1, t2… (targets read from the text, in order) or a 省定目标's.
        #[arg(long)]
        target: String,
        /// YYYY-MM
        #[arg(long)]
        month: String,
        #[arg(long)]
        value: f64,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Enter the number of a 省定目标 (the bureau), as an account; --measure PLAN for the
    /// plan's headline targets (PM2.5, heavy-pollution-day ratio).
    Target {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long)]
        measure: String,
        #[arg(long)]
        key: String,
        #[arg(long)]
        value: f64,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Name the real units of a measure whose list says 各相关责任单位 (the bureau), as an
    /// account.
    Resolve {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long)]
        measure: String,
        /// Lead units, separated by 、 or commas.
        #[arg(long)]
        lead_units: String,
        #[arg(long, default_value = "")]
        supporting_units: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// The plan's headline targets (§1(二)) with their numbers and latest actuals, as JSON.
    PlanTargets {
        #[command(flatten)]
        store: StoreArgs,
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
        /// A milestone's new deadline, ID=YYYY-MM-DD (e.g. M05-2=2026-06-30); repeatable.
        #[arg(long = "milestone-deadline", value_name = "ID=YYYY-MM-DD")]
        milestone_deadlines: Vec<String>,
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
            milestone,
            township,
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
            let on = match (milestone, township) {
                (Some(m), _) => Some(On::Milestone(m)),
                (None, Some(t)) => Some(On::Township(t)),
                (None, None) => None,
            };
            let out = match &on {
                Some(on) => ledger_parts::act_on(&app, &caller, &measure, on, act, month, &text)?,
                None => ledger::act(&app, &caller, &measure, act, month, &text)?,
            };
            let what = match out
                .part
                .as_deref()
                .map(|k| k.split_once(':').map_or(k, |x| x.1))
            {
                Some(p) if matches!(on, Some(On::Milestone(_))) => format!("milestone {p}"),
                Some(p) => format!("{p}'s part"),
                None => "measure".to_owned(),
            };
            eprintln!("lantian: {measure}: {what} now {}", out.status_zh);
        }
        What::Actual {
            store,
            who,
            measure,
            target,
            month,
            value,
            note,
        } => {
            let app = store.app()?;
            let caller = who.required(&app)?;
            let m = Month::parse(&month)
                .with_context(|| format!("--month {month}: expected YYYY-MM"))?;
            let p = ledger_parts::record_actual(&app, &caller, &measure, &target, m, value, &note)?;
            println!("{}", serde_json::to_string_pretty(&p)?);
        }
        What::Target {
            store,
            who,
            measure,
            key,
            value,
            note,
        } => {
            let app = store.app()?;
            let caller = who.required(&app)?;
            ledger_parts::set_target(&app, &caller, &measure, &key, value, &note)?;
            eprintln!("lantian: {measure}: 省定目标 {key} = {value}");
        }
        What::Resolve {
            store,
            who,
            measure,
            lead_units,
            supporting_units,
            note,
        } => {
            let app = store.app()?;
            let caller = who.required(&app)?;
            let leads = ledger_parts::resolve(
                &app,
                &caller,
                &measure,
                &units(&lead_units),
                &units(&supporting_units),
                &note,
            )?;
            eprintln!("lantian: {measure}: led by {}", leads.join("、"));
        }
        What::PlanTargets { store } => {
            let app = store.app()?;
            println!(
                "{}",
                serde_json::to_string_pretty(&ledger_parts::plan_targets(&app)?)?
            );
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
            milestone_deadlines,
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
            let moved = milestone_deadlines
                .iter()
                .map(|t| {
                    let (id, d) = t.split_once('=').with_context(|| {
                        format!("--milestone-deadline {t}: expected ID=YYYY-MM-DD")
                    })?;
                    let date = Date::parse(d).with_context(|| {
                        format!("--milestone-deadline {t}: {d:?} is not YYYY-MM-DD")
                    })?;
                    Ok((id.to_owned(), date))
                })
                .collect::<Result<Vec<_>>>()?;
            let c = Correction {
                lead_units: lead_units.as_deref().map(units),
                supporting_units: supporting_units.as_deref().map(units),
                deadlines,
                targets: None,
                monthly_targets: (!monthly.is_empty()).then_some(monthly),
                milestone_deadlines: (!moved.is_empty()).then_some(moved),
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
