//! `lantian sanluanwu …`: the 散乱污 list (list, add, act, import) and its monthly count that
//! must return to zero. Thin over `lantian_app::sanluanwu`.

use crate::context::{AsArgs, StoreArgs};
use anyhow::{Context, Result, bail};
use lantian_app::sanluanwu::{self, Filter, NewEntry};
use lantian_core::enforce::sanluanwu::{Action, State};
use lantian_core::{Date, Month};
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
    /// The entries the account sees, by township, one JSON line each.
    ///
    /// Example: lantian sanluanwu list --as wangkou01 --outstanding
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        /// A township's id or Chinese name.
        #[arg(long)]
        township: Option<String>,
        /// found, rectifying, rectified, closed, relocated or verified.
        #[arg(long)]
        state: Option<String>,
        /// Only the entries not yet verified.
        #[arg(long)]
        outstanding: bool,
    },
    /// Adds an entry (or reopens the verified one of the same township and name). Prints it
    /// as JSON.
    ///
    /// Example: lantian sanluanwu add --as wangkou01 --name "某塑料颗粒加工点" --industry 塑料
    Add {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        /// The township's id or Chinese name (a township account: its own by default).
        #[arg(long, default_value = "")]
        township: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        address: String,
        #[arg(long, default_value = "")]
        industry: String,
        #[arg(long, default_value = "")]
        problem: String,
        /// The Beijing date it was found (default: today).
        #[arg(long, value_name = "YYYY-MM-DD")]
        found: Option<Date>,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// One entry with its steps, as JSON.
    Show {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        id: i64,
    },
    /// Takes a step: start, rectify, close, relocate (the township); verify, reject (the
    /// bureau); reopen (found again after verification).
    ///
    /// Example: lantian sanluanwu act 3 verify --as bureau1
    Act {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        id: i64,
        action: String,
        /// The reason (required to reject or reopen).
        #[arg(long, default_value = "")]
        note: String,
    },
    /// The monthly count per township (found, cleared, outstanding at the month's end),
    /// as JSON; with --table a text table. Exit code 1 when the last month has not
    /// returned to zero and --check is given.
    Monthly {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long, value_name = "YYYY-MM")]
        from: Option<Month>,
        #[arg(long, value_name = "YYYY-MM")]
        to: Option<Month>,
        #[arg(long)]
        table: bool,
        #[arg(long)]
        check: bool,
    },
    /// Imports entries from a CSV or xlsx: a header with township and name (乡镇, 名称) and
    /// optionally address, industry, problem, found_date, note. Nothing is imported while a
    /// row has an error; each is printed. Exit code 1 on errors.
    Import {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        file: PathBuf,
        /// Check only.
        #[arg(long)]
        dry_run: bool,
    },
}

pub fn run(a: Args) -> Result<ExitCode> {
    match a.what {
        Cmd::List {
            store,
            who,
            township,
            state,
            outstanding,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let state = state
                .map(|s| {
                    State::parse(&s).with_context(|| {
                        format!("--state {s:?}: expected found, rectifying, rectified, closed, relocated or verified")
                    })
                })
                .transpose()?;
            let f = Filter {
                township,
                state,
                outstanding,
            };
            for e in sanluanwu::list(&app, &caller, &f)? {
                println!("{}", json!(e));
            }
        }
        Cmd::Add {
            store,
            who,
            township,
            name,
            address,
            industry,
            problem,
            found,
            note,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let e = NewEntry {
                township,
                name,
                address,
                industry,
                problem,
                found_date: found,
                note,
            };
            println!("{}", json!(sanluanwu::add(&app, &caller, e)?));
        }
        Cmd::Show { store, who, id } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            println!("{}", json!(sanluanwu::entry(&app, &caller, id)?));
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
            let Some(action) = Action::parse(&action) else {
                bail!(
                    "action {action:?}: expected start, rectify, close, relocate, verify, reject or reopen"
                );
            };
            println!(
                "{}",
                json!(sanluanwu::act(&app, &caller, id, action, &note)?)
            );
        }
        Cmd::Monthly {
            store,
            who,
            from,
            to,
            table,
            check,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let m = sanluanwu::monthly(&app, &caller, from, to)?;
            if table {
                println!("month\ttownship\tstart\tfound\tcleared\toutstanding");
                for mv in &m.months {
                    for t in &mv.townships {
                        let c = &t.count;
                        println!(
                            "{}\t{}\t{}\t{}\t{}\t{}",
                            mv.month,
                            t.township_zh,
                            c.outstanding_start,
                            c.found,
                            c.cleared,
                            c.outstanding_end
                        );
                    }
                    let c = &mv.total;
                    println!(
                        "{}\t合计 total\t{}\t{}\t{}\t{}",
                        mv.month, c.outstanding_start, c.found, c.cleared, c.outstanding_end
                    );
                }
                println!("# as of {}", m.as_of_bj);
            } else {
                println!("{}", json!(m));
            }
            if check && m.months.last().is_some_and(|mv| !mv.zero) {
                eprintln!("lantian: the 散乱污 list has not returned to zero");
                return Ok(ExitCode::from(1));
            }
        }
        Cmd::Import {
            store,
            who,
            file,
            dry_run,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let r = sanluanwu::import(&app, &caller, &bytes, &file.display().to_string(), dry_run)?;
            println!("{}", json!(r));
            if !r.errors.is_empty() {
                for p in &r.errors {
                    eprintln!("lantian: {} row {}: {}", file.display(), p.row, p.problem);
                }
                eprintln!("lantian: {} problem(s); nothing imported", r.errors.len());
                return Ok(ExitCode::from(1));
            }
            if !dry_run {
                eprintln!(
                    "lantian: added {} entries, reopened {}",
                    r.added.len(),
                    r.reopened.len()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
