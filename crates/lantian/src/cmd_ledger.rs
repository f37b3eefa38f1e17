//! `lantian ledger …`: the measures ledger (措施责任清单) from the command line: list, import
//! another county's list, export the 台账 as Excel, report progress.

use crate::store_args::{StoreArgs, now_ms};
use anyhow::{Context, Result, bail};
use lantian_core::ledger::status::{Action, Status, effective, transition};
use lantian_core::ledger::{Measure, import::import_rows};
use lantian_store::Store;
use lantian_store::ledger::{MeasureEvent, MeasureRow};
use serde_json::{Value, json};
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
    /// XLSX (merged cells of the original table handled).
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
    /// Record progress, confirmation, closing (销号) or reopening of a measure.
    Report {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        measure: String,
        /// report | confirm | close | reopen
        #[arg(long, default_value = "report")]
        action: String,
        /// Who (a user name) and for which unit.
        #[arg(long)]
        actor: String,
        #[arg(long)]
        unit: Option<String>,
        /// The month the report covers, YYYY-MM.
        #[arg(long)]
        month: Option<String>,
        /// Progress text, or the reason for closing.
        #[arg(long, default_value = "")]
        text: String,
    },
}

/// The store rows of parsed measures.
pub fn rows(measures: &[Measure]) -> Vec<MeasureRow> {
    measures
        .iter()
        .enumerate()
        .map(|(i, m)| MeasureRow::from_measure(m, i as i64 + 1))
        .collect()
}

/// Loads Xinji's shipped list into an empty ledger.
pub fn seed(store: &Store) -> Result<()> {
    store.seed_measures(now_ms())?;
    Ok(())
}

fn today() -> lantian_core::Date {
    let ms = now_ms() + 8 * 3_600_000;
    lantian_core::Date::from_days_since_epoch(ms.div_euclid(86_400_000))
}

fn measure_json(m: &MeasureRow) -> Value {
    let p: Value = serde_json::from_str(&m.parsed).unwrap_or(Value::Null);
    let deadlines: Vec<lantian_core::Date> =
        serde_json::from_value(p["deadlines"].clone()).unwrap_or_default();
    let recorded = Status::parse(&m.status).unwrap_or(Status::NotStarted);
    let status = effective(recorded, &deadlines, today());
    json!({
        "id": m.id, "category": m.category, "task": m.task, "measure": m.measure, "section": m.section,
        "responsibility": m.responsibility, "lead_units": p["lead_units"], "supporting_units": p["supporting_units"],
        "unknown_units": p["unknown_units"], "deadlines": p["deadlines"], "targets": p["targets"],
        "status": status.as_str(), "status_zh": status.name_zh(),
    })
}

pub fn run(a: Args) -> Result<ExitCode> {
    match a.what {
        What::List { store, json } => {
            let s = store.open()?;
            let list: Vec<Value> = s.measures()?.iter().map(measure_json).collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for m in &list {
                    println!(
                        "{}\t{}\t{}\t{}",
                        m["id"].as_str().unwrap_or(""),
                        m["section"].as_str().unwrap_or(""),
                        m["status_zh"].as_str().unwrap_or(""),
                        m["measure"]
                            .as_str()
                            .unwrap_or("")
                            .chars()
                            .take(40)
                            .collect::<String>()
                    );
                }
            }
        }
        What::Import {
            store,
            dry_run,
            file,
        } => {
            let cells = read_table(&file)?;
            let r = import_rows(&cells);
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
                store
                    .open()?
                    .replace_measures(&rows(&r.measures), "import", now_ms())?;
                eprintln!("lantian: imported {} measures", r.measures.len());
            }
        }
        What::Export { store, file } => {
            let s = store.open()?;
            let lines: Vec<_> = s
                .measures()?
                .iter()
                .map(|m| {
                    let latest = s
                        .measure_events(&m.id)
                        .ok()
                        .and_then(|e| e.into_iter().rev().find(|e| e.action != "import"))
                        .map(|e| e.text)
                        .unwrap_or_default();
                    lantian_api::export::LedgerLine::from_json(&measure_json(m), latest)
                })
                .collect();
            let bytes = lantian_api::export::ledger_xlsx(
                "辛集市空气质量持续改善实施方案措施责任清单（台账）",
                &lines,
            )
            .map_err(|e| anyhow::anyhow!(e))?;
            std::fs::write(&file, bytes)
                .with_context(|| format!("{}: cannot write", file.display()))?;
            eprintln!(
                "lantian: wrote {} measures to {}",
                lines.len(),
                file.display()
            );
        }
        What::Report {
            store,
            measure,
            action,
            actor,
            unit,
            month,
            text,
        } => {
            let s = store.open()?;
            let m = s
                .measures()?
                .into_iter()
                .find(|x| x.id == measure)
                .with_context(|| format!("no measure {measure}"))?;
            let act = match action.as_str() {
                "report" => Action::Report,
                "confirm" => Action::Confirm,
                "close" => Action::Close,
                "reopen" => Action::Reopen,
                o => bail!("--action {o}: expected report, confirm, close or reopen"),
            };
            if act == Action::Close && text.trim().is_empty() {
                bail!("closing (销号) needs a reason: --text");
            }
            let parsed: Value = serde_json::from_str(&m.parsed).unwrap_or(Value::Null);
            let leads: Vec<String> =
                serde_json::from_value(parsed["lead_units"].clone()).unwrap_or_default();
            let is_lead = unit.as_ref().is_some_and(|u| leads.contains(u));
            let is_bureau = unit.as_deref() == Some("市生态环境局") || unit.is_none();
            let next = transition(
                Status::parse(&m.status).unwrap_or(Status::NotStarted),
                act,
                is_bureau,
                is_lead,
            )
            .map_err(|e| anyhow::anyhow!(e.0))?;
            s.add_measure_event(&MeasureEvent {
                id: 0,
                measure_id: measure,
                at_ms: now_ms(),
                actor,
                unit,
                action,
                month,
                text,
                status_after: next.as_str().to_owned(),
            })?;
            eprintln!("lantian: measure now {}", next.name_zh());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The rows of a CSV or XLSX file (the first sheet), as text cells. Merged cells of a
/// workbook arrive empty but for their first cell, which the import fills down.
fn read_table(file: &std::path::Path) -> Result<Vec<Vec<String>>> {
    let is_xlsx = std::fs::read(file)
        .with_context(|| format!("{}: cannot read", file.display()))?
        .starts_with(b"PK");
    if is_xlsx {
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> = calamine::open_workbook(file)
            .with_context(|| format!("{}: not an xlsx workbook", file.display()))?;
        let range = book
            .worksheet_range_at(0)
            .with_context(|| format!("{}: the workbook has no sheet", file.display()))?
            .with_context(|| format!("{}: cannot read the first sheet", file.display()))?;
        return Ok(range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect());
    }
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("{}: not UTF-8 text (save the CSV as UTF-8)", file.display()))?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut cells = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.with_context(|| format!("{}:{}: not CSV", file.display(), i + 1))?;
        cells.push(rec.iter().map(str::to_owned).collect::<Vec<_>>());
    }
    Ok(cells)
}

/// Records, once, that unfinished measures have passed their deadline (the scheduled check
/// of `lantian serve`). Returns how many were flagged.
pub fn flag_overdue(store: &Store) -> Result<usize> {
    let mut n = 0;
    for m in store.measures()? {
        let p: Value = serde_json::from_str(&m.parsed).unwrap_or(Value::Null);
        let deadlines: Vec<lantian_core::Date> =
            serde_json::from_value(p["deadlines"].clone()).unwrap_or_default();
        let recorded = Status::parse(&m.status).unwrap_or(Status::NotStarted);
        if recorded != Status::Overdue
            && effective(recorded, &deadlines, today()) == Status::Overdue
        {
            store.add_measure_event(&MeasureEvent {
                id: 0,
                measure_id: m.id.clone(),
                at_ms: now_ms(),
                actor: "system".into(),
                unit: None,
                action: "overdue".into(),
                month: None,
                text: "已过完成时限 / past its deadline".into(),
                status_after: Status::Overdue.as_str().into(),
            })?;
            n += 1;
        }
    }
    Ok(n)
}
