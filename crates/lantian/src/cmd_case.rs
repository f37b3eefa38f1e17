//! `lantian case …`: enforcement cases (docs/enforcement.md): list, show, open (by hand,
//! from an alarm, a violation or a task), inspect, decide, evidence, close, verify and
//! statistics; thin over `lantian_app::cases`.

use crate::context::{AsArgs, StoreArgs, print};
use anyhow::{Context, Result};
use lantian_app::cases::{
    self, CaseView, DecideRequest, FromViolation, InspectRequest, ListQuery, NewCaseRequest,
};
use lantian_core::enforce::SubjectKind;
use lantian_core::enforce::case::{DecisionKind, Origin, State, Violation};
use std::io::Write;
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
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// The cases the account sees, newest first.
    ///
    /// Example: lantian case list --state open --json
    List {
        #[command(flatten)]
        c: Common,
        /// open, investigating, decided, rectifying, closed, dismissed.
        #[arg(long)]
        state: Option<State>,
        #[arg(long)]
        township: Option<String>,
        /// alarm, violation, task, manual.
        #[arg(long)]
        origin: Option<Origin>,
        #[arg(long)]
        violation: Option<Violation>,
        #[arg(long)]
        year: Option<i32>,
    },
    /// One case with its timeline, evidence (archived packets verified now), inspections and
    /// decisions.
    Show {
        #[command(flatten)]
        c: Common,
        id: i64,
    },
    /// Open a case by hand.
    ///
    /// Example: lantian case open --title 工地扬尘 --violation dust --township xincheng
    Open {
        #[command(flatten)]
        c: Common,
        #[arg(long)]
        title: String,
        /// data_falsification, interference, exceed_emission, warning_noncompliance,
        /// no_permit, open_burning, dust, other.
        #[arg(long)]
        violation: Violation,
        /// enterprise or contractor.
        #[arg(long, value_parser = parse_subject)]
        subject_kind: Option<SubjectKind>,
        #[arg(long)]
        subject_id: Option<String>,
        #[arg(long)]
        township: Option<String>,
        /// Found from monitoring data without a site visit (非现场执法).
        #[arg(long)]
        non_site: bool,
        #[arg(long, default_value = "")]
        summary: String,
    },
    /// Open a case from an integrity alarm the bureau confirmed, with its archived packets.
    FromAlarm {
        #[command(flatten)]
        c: Common,
        alarm: i64,
        #[arg(long, default_value = "")]
        note: String,
        /// Another violation than the alarm rule's.
        #[arg(long)]
        violation: Option<Violation>,
    },
    /// Open a case from a violation found verifying a warning.
    FromViolation {
        #[command(flatten)]
        c: Common,
        warning: i64,
        #[arg(long)]
        enterprise: String,
        /// `level:seq` as the verification lists it.
        #[arg(long)]
        measure: String,
        /// `YYYY-MM-DD HH:MM` (Beijing time) as the verification lists it.
        #[arg(long)]
        first_hour: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Open a case from a grid task.
    FromTask {
        #[command(flatten)]
        c: Common,
        task: i64,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long)]
        violation: Option<Violation>,
    },
    /// Record an inspection (调查取证).
    Inspect {
        #[command(flatten)]
        c: Common,
        id: i64,
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: String,
        #[arg(long)]
        inspectors: String,
        #[arg(long)]
        findings: String,
    },
    /// Record a decision: rectify (--deadline), fine (--amount-yuan, --legal-basis) or
    /// transfer (--transfer-to).
    ///
    /// Example: lantian case decide 3 fine --amount-yuan 50000 --legal-basis 《…》第一百条 --text 罚款
    Decide {
        #[command(flatten)]
        c: Common,
        id: i64,
        /// rectify, fine, transfer.
        kind: DecisionKind,
        #[arg(long, value_name = "YYYY-MM-DD")]
        deadline: Option<String>,
        #[arg(long)]
        amount_yuan: Option<f64>,
        #[arg(long)]
        legal_basis: Option<String>,
        #[arg(long)]
        transfer_to: Option<String>,
        #[arg(long)]
        text: String,
    },
    /// Confirm the ordered rectification (整改验收).
    Rectified {
        #[command(flatten)]
        c: Common,
        id: i64,
        #[arg(long)]
        text: String,
    },
    /// Attach an evidence file (JPEG, PNG or PDF).
    Evidence {
        #[command(flatten)]
        c: Common,
        id: i64,
        file: PathBuf,
    },
    /// Close a decided case; prints the credit entries the rules wrote.
    Close {
        #[command(flatten)]
        c: Common,
        id: i64,
        #[arg(long, default_value = "")]
        text: String,
    },
    /// Write (again) a closed case's credit entries by rule: the retry when closing said
    /// they were not written. Idempotent.
    ///
    /// Example: lantian case credit 3 --as bureau1
    Credit {
        #[command(flatten)]
        c: Common,
        id: i64,
    },
    /// End a case without a penalty (不予处罚/撤销).
    Dismiss {
        #[command(flatten)]
        c: Common,
        id: i64,
        #[arg(long)]
        text: String,
    },
    /// Re-verify the case's archived evidence against the archive; exits 1 when a record
    /// was changed or deleted.
    Verify {
        #[command(flatten)]
        c: Common,
        id: i64,
    },
    /// The year's counts by violation, township and origin.
    Stats {
        #[command(flatten)]
        c: Common,
        #[arg(long)]
        year: Option<i32>,
    },
}

fn parse_subject(s: &str) -> Result<SubjectKind, String> {
    SubjectKind::parse(s)
        .ok_or_else(|| format!("subject kind {s:?}: expected enterprise or contractor"))
}

fn line(v: &CaseView) -> String {
    format!(
        "#{} {} [{}] {} {} {} {} {}{}",
        v.id,
        v.case_no,
        v.origin_zh,
        v.title,
        v.violation_zh,
        v.township_name.as_deref().unwrap_or("-"),
        v.state_zh,
        v.created_bj,
        if v.non_site { " 非现场" } else { "" }
    )
}

fn row(app: &lantian_app::App, caller: &lantian_app::Caller, id: i64) -> Result<CaseView> {
    let list = cases::list(app, caller, &ListQuery::default())?;
    list.into_iter()
        .find(|c| c.id == id)
        .with_context(|| format!("case {id}"))
}

pub fn run(a: Args) -> Result<ExitCode> {
    let c = match &a.what {
        Cmd::List { c, .. }
        | Cmd::Show { c, .. }
        | Cmd::Open { c, .. }
        | Cmd::FromAlarm { c, .. }
        | Cmd::FromViolation { c, .. }
        | Cmd::FromTask { c, .. }
        | Cmd::Inspect { c, .. }
        | Cmd::Decide { c, .. }
        | Cmd::Rectified { c, .. }
        | Cmd::Evidence { c, .. }
        | Cmd::Close { c, .. }
        | Cmd::Credit { c, .. }
        | Cmd::Dismiss { c, .. }
        | Cmd::Verify { c, .. }
        | Cmd::Stats { c, .. } => c,
    };
    let app = c.store.app()?;
    let caller = c.who.caller(&app)?;
    let json = c.json;
    let opened = |o: cases::Opened| {
        print(json, &[o], |o| {
            format!(
                "#{} {} 已立案 / opened ({} of {} packets attached)",
                o.id, o.case_no, o.packets_attached, o.packets_found
            )
        })
    };
    match a.what {
        Cmd::List {
            state,
            township,
            origin,
            violation,
            year,
            ..
        } => {
            let q = ListQuery {
                state,
                township,
                origin,
                violation,
                year,
            };
            print(json, &cases::list(&app, &caller, &q)?, line)?;
        }
        Cmd::Show { id, .. } => {
            let d = cases::one(&app, &caller, id)?;
            if json {
                print(true, &[&d], |_| String::new())?;
            } else {
                let mut out = std::io::stdout().lock();
                writeln!(out, "{}", line(&d.case))?;
                for e in &d.events {
                    writeln!(
                        out,
                        "  {} {} {} → {} {}",
                        e.at_bj, e.actor, e.action, e.state_zh, e.text
                    )?;
                }
                for e in &d.evidence {
                    match &e.packet {
                        Some(p) => writeln!(
                            out,
                            "  报文 {}#{} {} {} {} {}",
                            p.chain,
                            p.seq,
                            p.received_bj,
                            p.mn.as_deref().unwrap_or("-"),
                            &p.hash[..16],
                            if p.verified {
                                "验证通过 / verified"
                            } else {
                                "验证失败 / NOT verified"
                            }
                        )?,
                        None => writeln!(out, "  {} {}", e.kind, e.label)?,
                    }
                }
                for dd in &d.decisions {
                    writeln!(
                        out,
                        "  决定 {} {} {} {}",
                        dd.kind_zh,
                        dd.amount_yuan
                            .map(|a| format!("{a} 元"))
                            .unwrap_or_default(),
                        dd.legal_basis.as_deref().unwrap_or(""),
                        dd.text
                    )?;
                }
            }
        }
        Cmd::Open {
            title,
            violation,
            subject_kind,
            subject_id,
            township,
            non_site,
            summary,
            ..
        } => opened(cases::open_manual(
            &app,
            &caller,
            NewCaseRequest {
                title,
                violation,
                subject_kind,
                subject_id,
                township,
                non_site,
                summary,
            },
        )?)?,
        Cmd::FromAlarm {
            alarm,
            note,
            violation,
            ..
        } => opened(cases::from_alarm(&app, &caller, alarm, &note, violation)?)?,
        Cmd::FromViolation {
            warning,
            enterprise,
            measure,
            first_hour,
            note,
            ..
        } => opened(cases::from_violation(
            &app,
            &caller,
            warning,
            &FromViolation {
                enterprise,
                measure,
                first_hour,
                note,
            },
        )?)?,
        Cmd::FromTask {
            task,
            note,
            violation,
            ..
        } => opened(cases::from_task(&app, &caller, task, &note, violation)?)?,
        Cmd::Inspect {
            id,
            date,
            inspectors,
            findings,
            ..
        } => {
            cases::inspect(
                &app,
                &caller,
                id,
                &InspectRequest {
                    date,
                    inspectors,
                    findings,
                },
            )?;
            print(json, &[row(&app, &caller, id)?], line)?;
        }
        Cmd::Decide {
            id,
            kind,
            deadline,
            amount_yuan,
            legal_basis,
            transfer_to,
            text,
            ..
        } => {
            let r = DecideRequest {
                kind,
                deadline,
                amount_yuan,
                legal_basis,
                transfer_to,
                text,
            };
            cases::decide(&app, &caller, id, &r)?;
            print(json, &[row(&app, &caller, id)?], line)?;
        }
        Cmd::Rectified { id, text, .. } => {
            cases::confirm_rectified(&app, &caller, id, &text)?;
            print(json, &[row(&app, &caller, id)?], line)?;
        }
        Cmd::Evidence { id, file, .. } => {
            let bytes = std::fs::read(&file).with_context(|| format!("{}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            cases::add_evidence(&app, &caller, id, &name, &bytes)?;
            print(json, &[row(&app, &caller, id)?], line)?;
        }
        Cmd::Close { id, text, .. } => {
            let v = cases::close(&app, &caller, id, &text)?;
            print(json, &[&v], |v| {
                format!(
                    "{} 信用记录 / credit entries {:?}",
                    line(&v.case),
                    v.credit_entries
                )
            })?;
            if let Some(failure) = &v.credit_failure {
                eprintln!("{failure}");
                return Ok(ExitCode::from(1));
            }
        }
        Cmd::Credit { id, .. } => {
            let ids = cases::record_credit(&app, &caller, id)?;
            print(
                json,
                &[serde_json::json!({ "id": id, "credit_entries": ids })],
                |_| format!("{id} 信用记录 / credit entries {ids:?}"),
            )?;
        }
        Cmd::Dismiss { id, text, .. } => {
            cases::dismiss(&app, &caller, id, &text)?;
            print(json, &[row(&app, &caller, id)?], line)?;
        }
        Cmd::Verify { id, .. } => {
            let r = cases::verify(&app, &caller, id)?;
            print(json, &[&r], |r| {
                let mut s = format!(
                    "{} 报文 {} 验证通过 {} ({})",
                    r.case_no, r.packets, r.verified, r.checked_bj
                );
                for p in &r.problems {
                    s.push_str(&format!("\n  {}", p.problem.as_deref().unwrap_or("")));
                }
                s
            })?;
            if !r.ok {
                return Ok(ExitCode::from(1));
            }
        }
        Cmd::Stats { year, .. } => {
            let s = cases::stats(&app, &caller, year)?;
            print(json, &[&s], |s| {
                let mut t = format!(
                    "{} 年 案件 {} 结案 {} 办理中 {} 非现场 {} 罚款 {} 元",
                    s.year, s.cases, s.closed, s.open, s.non_site, s.fine_yuan
                );
                for (title, group) in [
                    ("类型", &s.by_violation),
                    ("乡镇", &s.by_township),
                    ("来源", &s.by_origin),
                ] {
                    for g in group {
                        t.push_str(&format!(
                            "\n  {title} {} {} 件 结案 {}",
                            g.name, g.cases, g.closed
                        ));
                    }
                }
                t
            })?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
