//! `lantian task …`: grid tasks (docs/grid.md): list, show, create, act, evidence, export,
//! stats and the overdue escalation; thin over `lantian_app::tasks`.

use crate::context::{AsArgs, StoreArgs, print};
use anyhow::{Context, Result};
use lantian_app::tasks::{self, ActRequest, ListQuery, NewTask};
use lantian_core::Month;
use lantian_core::grid::task::{Action, Source, State};
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

#[derive(Debug, clap::Args)]
struct Filters {
    /// dispatched, signed, handling, finished, approved, returned.
    #[arg(long, value_parser = parse_state)]
    state: Option<State>,
    /// fire_point, dust, complaint, inspection, alarm, smoky_vehicle, machinery, manual.
    #[arg(long, value_parser = parse_source)]
    source: Option<Source>,
    /// A township's unit id.
    #[arg(long)]
    township: Option<String>,
    #[arg(long)]
    assignee: Option<String>,
    /// Created in this month (Beijing time).
    #[arg(long, value_name = "YYYY-MM")]
    month: Option<Month>,
    /// Only the tasks overdue now.
    #[arg(long)]
    overdue: bool,
    /// Only the tasks not yet finished.
    #[arg(long)]
    open: bool,
}

impl Filters {
    fn query(self) -> ListQuery {
        ListQuery {
            state: self.state,
            source: self.source,
            township: self.township,
            assignee: self.assignee,
            source_ref: None,
            month: self.month,
            overdue: self.overdue.then_some(true),
            open: self.open.then_some(true),
        }
    }
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// The tasks the account sees, newest first.
    ///
    /// Example: lantian task list --as wangkou01 --state dispatched --json
    List {
        #[command(flatten)]
        c: Common,
        #[command(flatten)]
        f: Filters,
    },
    /// One task with its timeline and evidence.
    Show {
        #[command(flatten)]
        c: Common,
        id: i64,
    },
    /// Create a task at a point; it goes to the township the point lies in.
    ///
    /// Example: lantian task create --source inspection --title 露天焚烧 --lat 37.99 --lon 115.40
    Create {
        #[command(flatten)]
        c: Common,
        #[arg(long, value_parser = parse_source, default_value = "manual")]
        source: Source,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        detail: String,
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        /// When it happened, Beijing time `YYYY-MM-DD HH:MM` (default: now).
        #[arg(long)]
        occurred: Option<String>,
        #[arg(long)]
        source_ref: Option<String>,
        /// Another unit than the township (a township id or a department's name).
        #[arg(long)]
        assignee: Option<String>,
    },
    /// Take an action: sign, start, finish, approve, return, reassign, escalate.
    ///
    /// Example: lantian task act 12 finish --text 已清理 --as wangkou01
    Act {
        #[command(flatten)]
        c: Common,
        id: i64,
        #[arg(value_parser = parse_action)]
        action: Action,
        /// What was done (finish), the reason (return, reassign).
        #[arg(long, default_value = "")]
        text: String,
        /// The new assignee (reassign).
        #[arg(long)]
        assignee: Option<String>,
    },
    /// Attach an evidence file (JPEG, PNG or PDF); a photo's EXIF time and place are checked.
    Evidence {
        #[command(flatten)]
        c: Common,
        id: i64,
        file: PathBuf,
    },
    /// Write the task list as xlsx (or CSV with --csv) to a file.
    Export {
        #[command(flatten)]
        c: Common,
        #[command(flatten)]
        f: Filters,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        csv: bool,
    },
    /// Statistics by township and month: count, closed, overdue, time to close.
    Stats {
        #[command(flatten)]
        c: Common,
        #[arg(long, value_name = "YYYY-MM")]
        from: Option<Month>,
        #[arg(long, value_name = "YYYY-MM")]
        to: Option<Month>,
    },
    ImportFirepoints(crate::cmd_task_fire::ImportArgs),
    /// Escalate the tasks overdue to finish (what `lantian serve` does hourly).
    Escalate {
        #[command(flatten)]
        c: Common,
    },
}

fn parse_state(s: &str) -> Result<State, String> {
    State::parse(s).ok_or_else(|| format!("state {s:?}: expected one of dispatched, signed, handling, finished, approved, returned"))
}

fn parse_source(s: &str) -> Result<Source, String> {
    Source::parse(s).ok_or_else(|| {
        format!("source {s:?}: expected one of fire_point, dust, complaint, inspection, alarm, smoky_vehicle, machinery, manual")
    })
}

fn parse_action(s: &str) -> Result<Action, String> {
    Action::parse(s).ok_or_else(|| {
        format!(
            "action {s:?}: expected one of sign, start, finish, approve, return, reassign, escalate"
        )
    })
}

fn line(v: &tasks::TaskView) -> String {
    format!(
        "#{} [{}] {} {} → {} {} 期限 {} 北京时间{}",
        v.id,
        v.source_zh,
        v.title,
        v.township_name.as_deref().unwrap_or("-"),
        v.assignee_name.as_deref().unwrap_or("-"),
        v.state_zh,
        v.deadline,
        if v.overdue.is_some() { " 超期" } else { "" }
    )
}

pub fn run(a: Args) -> Result<ExitCode> {
    match a.what {
        Cmd::List { c, f } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            let rows = tasks::list(&app, &caller, &f.query())?;
            print(c.json, &rows, line)?;
        }
        Cmd::Show { c, id } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            let d = tasks::one(&app, &caller, id)?;
            if c.json {
                print(true, &[&d], |_| String::new())?;
            } else {
                let mut out = std::io::stdout().lock();
                writeln!(out, "{}", line(&d.task))?;
                for e in &d.events {
                    writeln!(
                        out,
                        "  {} 北京时间 {} {} → {} {}",
                        e.at, e.actor, e.action_zh, e.state_after_zh, e.text
                    )?;
                }
                for e in &d.evidence {
                    writeln!(
                        out,
                        "  证明材料 {} {} B {} {}",
                        e.file, e.bytes, e.verdict_zh, e.reason
                    )?;
                }
            }
        }
        Cmd::Create {
            c,
            source,
            title,
            detail,
            lat,
            lon,
            occurred,
            source_ref,
            assignee,
        } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            let occurred_ms = match occurred {
                Some(t) => lantian_core::cst::to_unix_ms(
                    lantian_core::cst::parse_minute(&t).with_context(|| {
                        format!("--occurred {t:?}: expected YYYY-MM-DD HH:MM (Beijing time)")
                    })?,
                ),
                None => app.clock.now_ms(),
            };
            let v = tasks::create(
                &app,
                &caller,
                NewTask {
                    source,
                    title,
                    detail,
                    lat,
                    lon,
                    occurred_ms,
                    source_ref,
                    assignee,
                },
            )?;
            print(c.json, &[v], line)?;
        }
        Cmd::Act {
            c,
            id,
            action,
            text,
            assignee,
        } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            let v = tasks::act(
                &app,
                &caller,
                id,
                &ActRequest {
                    action,
                    text,
                    assignee,
                },
            )?;
            print(c.json, &[v], line)?;
        }
        Cmd::Evidence { c, id, file } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            let bytes = std::fs::read(&file).with_context(|| format!("{}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let e = tasks::evidence(&app, &caller, id, &name, &bytes)?;
            print(c.json, &[e], |e| {
                format!(
                    "{} {} B sha256 {} {} {}",
                    e.file, e.bytes, e.sha256, e.verdict_zh, e.reason
                )
            })?;
        }
        Cmd::Export { c, f, out, csv } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            let q = f.query();
            let bytes = if csv {
                tasks::export_csv(&app, &caller, &q)?
            } else {
                tasks::export_xlsx(&app, &caller, &q)?
            };
            std::fs::write(&out, bytes).with_context(|| format!("{}", out.display()))?;
        }
        Cmd::Stats { c, from, to } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            let rows = tasks::stats(&app, &caller, from, to)?;
            print(c.json, &rows, |r| {
                let h = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| format!("{v:.1} h"));
                format!(
                    "{} {} 任务 {} 办结 {} 未完成 {} 超期 {} 中位 {} 平均 {}",
                    r.month,
                    r.township_name,
                    r.stats.count,
                    r.stats.closed,
                    r.stats.open,
                    r.stats.overdue,
                    h(r.stats.median_hours_to_close),
                    h(r.stats.mean_hours_to_close)
                )
            })?;
        }
        Cmd::ImportFirepoints(a) => return crate::cmd_task_fire::import(a),
        Cmd::Escalate { c } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            let ids = tasks::escalate(&app, &caller)?;
            print(c.json, &ids, |id| format!("#{id} 已升级 / escalated"))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
