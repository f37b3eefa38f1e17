//! `lantian credit …`: credit records (信用记录): the internal and the public list, one
//! entry, objections and repair with the bureau's answers, statistics and the rule table.
//! Thin over `lantian_app::credit`.

use crate::context::{AsArgs, StoreArgs, print};
use anyhow::{Context, Result};
use lantian_app::credit::{self, Decision, EntryView, ListQuery, NewRequest, PublicEntry};
use lantian_core::enforce::credit::{Outcome, RequestKind};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: Cmd,
}

#[derive(Debug, clap::Args)]
struct Common {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    who: AsArgs,
}

/// A subject's request: its text and evidence.
#[derive(Debug, clap::Args)]
struct RequestArgs {
    #[command(flatten)]
    c: Common,
    /// The entry's id.
    id: i64,
    /// The objection's grounds or the repair application.
    #[arg(long)]
    text: String,
    /// The evidence offered (documents named with their dates); required for a repair.
    #[arg(long, default_value = "")]
    evidence: String,
}

/// The bureau's answer.
#[derive(Debug, clap::Args)]
struct DecideArgs {
    #[command(flatten)]
    c: Common,
    /// The entry's id.
    id: i64,
    /// granted (objection upheld / repair approved) or rejected.
    #[arg(long)]
    outcome: String,
    #[arg(long)]
    reason: String,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// The internal list (the bureau: every entry; an enterprise account: its own), one line
    /// each, or JSON lines.
    ///
    /// Example: lantian credit list --as bureau1 --phase public --level serious
    List {
        #[command(flatten)]
        c: Common,
        /// enterprise or contractor.
        #[arg(long)]
        subject_kind: Option<String>,
        #[arg(long)]
        subject_id: Option<String>,
        /// serious or general.
        #[arg(long)]
        level: Option<String>,
        /// published, objected, withdrawn or repaired.
        #[arg(long)]
        state: Option<String>,
        /// scheduled, public, expired, withdrawn or repaired (today, Beijing date).
        #[arg(long)]
        phase: Option<String>,
        #[arg(long)]
        violation: Option<String>,
        #[arg(long)]
        township: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The public credit list as the public sees it today (no login).
    ///
    /// Example: lantian credit public --json
    Public {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        json: bool,
    },
    /// One entry with its objections and repairs, as JSON.
    Show {
        #[command(flatten)]
        c: Common,
        id: i64,
    },
    /// Files an objection (异议) for the entry's enterprise, or for a contractor by the
    /// bureau (contractors have no accounts).
    ///
    /// Example: lantian credit object 3 --as e-as --text "数据异常系设备故障，已报备"
    Object(RequestArgs),
    /// Answers the objection under review (the bureau).
    ///
    /// Example: lantian credit decide-objection 3 --as bureau1 --outcome rejected --reason "故障未报备"
    DecideObjection(DecideArgs),
    /// Applies for repair (信用修复) after the minimum publication period.
    ///
    /// Example: lantian credit repair 3 --as e-as --text "已缴纳罚款并完成整改" --evidence "缴款凭证；验收报告"
    Repair(RequestArgs),
    /// Answers the repair application under review (the bureau).
    DecideRepair(DecideArgs),
    /// Counts by level, phase, violation, subject kind and requests, as JSON (the bureau).
    Stats {
        #[command(flatten)]
        c: Common,
    },
    /// Prints the rule table in force as JSON; with --set, replaces it from a JSON file
    /// (keys left out keep their defaults; docs/enforcement.md "Credit records").
    Rules {
        #[command(flatten)]
        c: Common,
        #[arg(long, value_name = "FILE")]
        set: Option<PathBuf>,
    },
}

fn entry_line(v: &EntryView) -> String {
    let e = &v.row.entry;
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        v.row.id,
        e.case_no,
        e.subject_name,
        e.credit_code.as_deref().unwrap_or("-"),
        v.level_zh,
        v.violation_zh,
        v.phase_zh,
        v.period_bj,
        e.decision_line
    )
}

fn public_line(p: &PublicEntry) -> String {
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}\t{}{}",
        p.case_no,
        p.subject_name,
        p.credit_code.as_deref().unwrap_or("-"),
        p.level_zh,
        p.violation_zh,
        p.period_bj,
        p.decision_line,
        if p.under_objection {
            "\t异议处理中"
        } else {
            ""
        }
    )
}

fn request(a: RequestArgs, kind: RequestKind) -> Result<()> {
    let app = a.c.store.app()?;
    let caller = a.c.who.caller(&app)?;
    let req = NewRequest {
        text: a.text,
        evidence: a.evidence,
    };
    let v = credit::request(&app, &caller, a.id, kind, &req)?;
    println!("{}", json!(v));
    Ok(())
}

fn decide(a: DecideArgs, kind: RequestKind) -> Result<()> {
    let outcome = Outcome::parse(&a.outcome)
        .with_context(|| format!("--outcome {:?}: expected granted or rejected", a.outcome))?;
    let app = a.c.store.app()?;
    let caller = a.c.who.caller(&app)?;
    let d = Decision {
        outcome,
        reason: a.reason,
    };
    let v = credit::decide(&app, &caller, a.id, kind, &d)?;
    println!("{}", json!(v));
    Ok(())
}

pub fn run(a: Args) -> Result<ExitCode> {
    match a.what {
        Cmd::List {
            c,
            subject_kind,
            subject_id,
            level,
            state,
            phase,
            violation,
            township,
            json,
        } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            let q = ListQuery {
                subject_kind,
                subject_id,
                level,
                state,
                phase,
                violation,
                township,
            };
            print(json, &credit::list(&app, &caller, &q)?, entry_line)?;
        }
        Cmd::Public { store, json } => {
            let app = store.app()?;
            print(json, &credit::public_list(&app)?, public_line)?;
        }
        Cmd::Show { c, id } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            println!("{}", json!(credit::show(&app, &caller, id)?));
        }
        Cmd::Object(r) => request(r, RequestKind::Objection)?,
        Cmd::Repair(r) => request(r, RequestKind::Repair)?,
        Cmd::DecideObjection(d) => decide(d, RequestKind::Objection)?,
        Cmd::DecideRepair(d) => decide(d, RequestKind::Repair)?,
        Cmd::Stats { c } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            println!("{}", json!(credit::stats(&app, &caller)?));
        }
        Cmd::Rules { c, set } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            let cfg = match set {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    credit::set_rules(&app, &caller, &text)?
                }
                None => credit::rules_for(&app, &caller)?,
            };
            println!("{}", serde_json::to_string_pretty(&cfg)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}
