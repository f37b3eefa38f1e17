//! `lantian warning …`: the level a forecast proposes (no database needed), and the warning
//! workflow, the reduction list, verification and the episode report as an account.

use crate::context::{AsArgs, StoreArgs};
use anyhow::{Context, Result};
use lantian_app::emergency::{self, ForecastInput, StepRequest};
use lantian_app::{compliance, episode, reduction};
use lantian_core::Date;
use lantian_core::warning::Level;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: Cmd,
}

#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
enum Cmd {
    /// The highest level a forecast meets: a CSV of `date,aqi` (forecast daily AQI, one row
    /// a day, consecutive days) or `time,aqi` (the rolling 24-hour AQI per hour, labelled by
    /// the hour's end, Beijing time). Prints level, start and end (the days that meet it)
    /// and the rule that fired. With --save (and a database), stores the proposal.
    Propose {
        #[arg(long, value_name = "FILE")]
        forecast: PathBuf,
        /// The warning plan's edition: a year (2018, 2024) or an id (hebei-2024); default:
        /// the one in force on the forecast's first day.
        #[arg(long, value_name = "YYYY")]
        edition: Option<String>,
        /// One JSON object (the default prints the same object).
        #[arg(long)]
        json: bool,
        /// Store the proposal as a warning to sign off (needs --as and the database).
        #[arg(long)]
        save: bool,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
    },
    /// Every warning, one JSON line each, newest first.
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
    },
    /// One warning with its timeline and receipts.
    Show {
        id: i64,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
    },
    /// A step of the workflow: issue, adjust, lift, withdraw (the command signs off),
    /// answer (a regional order), or order (a regional order received; no ID).
    Step {
        /// issue, adjust, lift, withdraw, answer or order.
        step: String,
        id: Option<i64>,
        #[arg(long)]
        doc_no: Option<String>,
        #[arg(long)]
        level: Option<Level>,
        /// When it takes effect, `YYYY-MM-DD HH:MM` Beijing time (default: now).
        #[arg(long)]
        at: Option<String>,
        #[arg(long, default_value = "")]
        note: String,
        /// For a lift: the latest forecast, which must meet the lifting rule.
        #[arg(long, value_name = "FILE")]
        forecast: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
    },
    /// Compliance of each listed enterprise while the warning was in force, and the
    /// violations (one JSON object).
    Verify {
        id: i64,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
    },
    /// The episode report: JSON to stdout, or --out FILE.xlsx / FILE.pdf (a PDF needs a CJK
    /// font, e.g. Debian's fonts-wqy-microhei, or LANTIAN_PDF_FONT).
    Report {
        id: i64,
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
    },
    /// The reduction list: JSON (each level's balance and shortfall), or --out FILE.xlsx;
    /// --import FILE replaces the measures of the enterprises it names (all or nothing);
    /// --defaults gives graded enterprises without measures their grade's defaults.
    ReductionList {
        #[arg(long)]
        day: Option<Date>,
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        import: Option<PathBuf>,
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        defaults: bool,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
    },
}

fn forecast_file(path: &PathBuf) -> Result<ForecastInput> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(ForecastInput::from_csv(&bytes)?)
}

pub fn run(a: Args) -> Result<ExitCode> {
    match a.what {
        Cmd::Propose {
            forecast,
            edition,
            json: _,
            save,
            store,
            who,
        } => {
            let input = forecast_file(&forecast)?;
            if save {
                let app = store.app()?;
                let caller = who.caller(&app)?;
                let req = emergency::ProposeRequest {
                    forecast: input,
                    edition,
                    save: true,
                };
                println!("{}", json!(emergency::propose_from(&app, &caller, &req)?));
            } else {
                let f = input.forecast()?;
                let ed = emergency::edition(None, edition.as_deref(), &f)?;
                let p = emergency::propose(ed, &f);
                println!(
                    "{}",
                    json!({
                        "level": p.level,
                        "start": p.start,
                        "end": p.end,
                        "rule": p.rule,
                        "rule_en": p.rule_en,
                        "edition": p.edition,
                        "lift_from": p.lift_from,
                    })
                );
            }
        }
        Cmd::List { store, who } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            for w in emergency::list(&app, &caller)? {
                println!("{}", json!(w));
            }
        }
        Cmd::Show { id, store, who } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            println!("{}", json!(emergency::get(&app, &caller, id)?));
        }
        Cmd::Step {
            step,
            id,
            doc_no,
            level,
            at,
            note,
            forecast,
            store,
            who,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let req = StepRequest {
                doc_no,
                level,
                at,
                note,
                forecast: forecast.as_ref().map(forecast_file).transpose()?,
            };
            let need = || id.context("the warning's id is required");
            let w = match step.as_str() {
                "issue" => emergency::issue(&app, &caller, need()?, &req)?,
                "adjust" => emergency::adjust(&app, &caller, need()?, &req)?,
                "lift" => emergency::lift(&app, &caller, need()?, &req)?,
                "withdraw" => emergency::withdraw(&app, &caller, need()?, &req)?,
                "answer" => emergency::answer(&app, &caller, need()?, &req)?,
                "order" => emergency::regional_order(&app, &caller, &req)?,
                s => anyhow::bail!(
                    "unknown step {s:?} (issue, adjust, lift, withdraw, answer, order)"
                ),
            };
            println!("{}", json!(w));
        }
        Cmd::Verify { id, store, who } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            println!("{}", json!(compliance::verify(&app, &caller, id)?));
        }
        Cmd::Report {
            id,
            out,
            store,
            who,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let r = episode::report(&app, &caller, id)?;
            match out {
                None => println!("{}", json!(r)),
                Some(path) => {
                    let bytes = match path.extension().and_then(|e| e.to_str()) {
                        Some("xlsx") => episode::xlsx(&app, &r)?,
                        Some("pdf") => episode::pdf(&app, &r)?,
                        _ => anyhow::bail!("--out must end in .xlsx or .pdf"),
                    };
                    std::fs::write(&path, bytes)
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!("lantian: wrote {}", path.display());
                }
            }
        }
        Cmd::ReductionList {
            day,
            out,
            import,
            dry_run,
            defaults,
            store,
            who,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            if defaults {
                let n = reduction::apply_defaults(&app, &caller, None)?;
                eprintln!("lantian: default measures given to {n} enterprise(s)");
            }
            if let Some(file) = import {
                let rows = crate::input::read_table(&file)?;
                let r = reduction::import(&app, &caller, &rows, dry_run)?;
                println!("{}", json!(r));
                if !r.errors.is_empty() {
                    eprintln!("lantian: {} problem(s); nothing imported", r.errors.len());
                    return Ok(ExitCode::from(1));
                }
                return Ok(ExitCode::SUCCESS);
            }
            let day = day.unwrap_or_else(|| app.clock.today());
            match out {
                Some(path) => {
                    std::fs::write(&path, reduction::xlsx(&app, &caller, day)?)
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!("lantian: wrote {}", path.display());
                }
                None => println!("{}", json!(reduction::list(&app, &caller, day)?)),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
