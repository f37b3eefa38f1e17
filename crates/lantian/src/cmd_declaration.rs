//! `lantian declaration …`: enterprise declarations (停运 / 停产 / 检修 / 因子异常 / 长期停产):
//! list, declare, show, approve / reject / withdraw, attach a file, statistics per
//! enterprise, an outlet's declared hours. Thin over `lantian_app::declarations`
//! (docs/declarations.md).

use crate::context::{AsArgs, StoreArgs};
use anyhow::{Context, Result, bail};
use lantian_app::declarations::{self, ListFilter, NewDeclaration};
use lantian_core::Date;
use lantian_core::declaration::{Act, Kind, State};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: Cmd,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// The declarations the account sees, newest first, one JSON line each.
    ///
    /// Example: lantian declaration list --as bureau1 --state pending
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long)]
        enterprise: Option<String>,
        /// pending, approved, rejected or withdrawn.
        #[arg(long)]
        state: Option<State>,
        /// stopped, production_stopped, maintenance, factor_abnormal or long_term_stop.
        #[arg(long)]
        kind: Option<Kind>,
        /// Declarations whose period overlaps these Beijing dates.
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: Option<Date>,
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: Option<Date>,
    },
    /// Declares (an enterprise account for its own outlets, operations for those it
    /// operates). Prints the declaration as JSON (`late` when declared after the grace).
    ///
    /// Example: lantian declaration declare --as ent1 --outlet DA001 --kind maintenance
    ///   --start "2026-05-10 08:00" --end "2026-05-10 18:00" --reason "脱硫塔例行检修"
    Declare {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        /// An outlet id (repeat for several of one enterprise).
        #[arg(long = "outlet", required = true)]
        outlets: Vec<String>,
        #[arg(long)]
        kind: Kind,
        /// Beijing time, "YYYY-MM-DD HH:MM".
        #[arg(long)]
        start: String,
        #[arg(long)]
        end: String,
        /// 因子异常 only: a factor code (a21026, a21002, a34013, a21005, a19001, a00000);
        /// repeat for several.
        #[arg(long = "code")]
        codes: Vec<String>,
        #[arg(long)]
        reason: String,
        /// Files to attach (PDF, JPEG or PNG).
        #[arg(long = "file")]
        files: Vec<PathBuf>,
    },
    /// One declaration with its files and steps, as JSON.
    Show {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        id: i64,
    },
    /// approve or reject (the bureau; a reason to reject), withdraw (the declarer, while
    /// pending).
    ///
    /// Example: lantian declaration act 3 reject --note "无检修计划佐证" --as bureau1
    Act {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        id: i64,
        action: Act,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Attaches a file (PDF, JPEG or PNG, at most 10 MiB) to a pending declaration.
    Attach {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        id: i64,
        file: PathBuf,
    },
    /// The statistics per enterprise (the bureau), as JSON lines; with --table a text
    /// table.
    Stats {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: Date,
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: Date,
        #[arg(long)]
        table: bool,
    },
    /// The late rule: the grace hours per kind in force, as JSON; with --set a new one (the
    /// bureau), e.g. --set '{"grace_hours": {"stopped": 1}}' (kinds left out keep their
    /// defaults).
    Config {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long, value_name = "JSON")]
        set: Option<String>,
    },
    /// The hours of an outlet approved declarations cover, one JSON line each.
    Hours {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        outlet: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: Date,
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: Date,
    },
}

fn read(path: &PathBuf) -> Result<(String, Vec<u8>)> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok((name, bytes))
}

fn share(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |x| format!("{:.0}%", x * 100.0))
}

pub fn run(a: Args) -> Result<ExitCode> {
    match a.what {
        Cmd::List {
            store,
            who,
            enterprise,
            state,
            kind,
            from,
            to,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let f = ListFilter {
                enterprise,
                state,
                kind,
                from,
                to,
            };
            for d in declarations::list(&app, &caller, &f)? {
                println!("{}", json!(d));
            }
        }
        Cmd::Declare {
            store,
            who,
            outlets,
            kind,
            start,
            end,
            codes,
            reason,
            files,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            // Read the files first: a missing file stops before anything is declared.
            let files = files.iter().map(read).collect::<Result<Vec<_>>>()?;
            let n = NewDeclaration {
                outlets,
                kind,
                start,
                end,
                codes,
                reason,
            };
            let mut d = declarations::declare(&app, &caller, n)?;
            for (name, bytes) in files {
                d = declarations::add_file(&app, &caller, d.id, &name, &bytes)
                    .with_context(|| format!("declaration {} was made; attaching {name}", d.id))?;
            }
            println!("{}", json!(d));
        }
        Cmd::Show { store, who, id } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            println!("{}", json!(declarations::one(&app, &caller, id)?));
        }
        Cmd::Act {
            store,
            who,
            id,
            action,
            note,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            println!(
                "{}",
                json!(declarations::act(&app, &caller, id, action, &note)?)
            );
        }
        Cmd::Attach {
            store,
            who,
            id,
            file,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let (name, bytes) = read(&file)?;
            println!(
                "{}",
                json!(declarations::add_file(&app, &caller, id, &name, &bytes)?)
            );
        }
        Cmd::Stats {
            store,
            who,
            from,
            to,
            table,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            if to < from {
                bail!("--to {to} is before --from {from}");
            }
            let st = declarations::stats(&app, &caller, from, to)?;
            if !table {
                for s in &st {
                    println!("{}", json!(s));
                }
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "企业 enterprise\t申报 declared\t待审 pending\t通过 approved\t驳回 rejected\t迟报 late\t申报小时 hours\t通过率 approved%\t迟报率 late%"
            );
            for s in &st {
                let x = &s.stats;
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    s.enterprise_name,
                    x.declarations,
                    x.pending,
                    x.approved,
                    x.rejected,
                    x.late,
                    x.outlet_hours_declared,
                    share(x.approved_share),
                    share(x.late_share)
                );
            }
        }
        Cmd::Config { store, who, set } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let cfg = match set {
                Some(text) => declarations::set_config(&app, &caller, &text)?,
                None => declarations::config(&app)?,
            };
            let graces: std::collections::BTreeMap<Kind, i64> =
                Kind::ALL.iter().map(|&k| (k, cfg.grace(k))).collect();
            println!("{}", json!({ "grace_hours": graces }));
        }
        Cmd::Hours {
            store,
            who,
            outlet,
            from,
            to,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            for h in declarations::declared_hours(&app, &caller, &outlet, from, to)? {
                println!("{}", json!(h));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
