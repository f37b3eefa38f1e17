//! `lantian vehicles …`: gate records (门禁) imported, an enterprise's monthly clean-transport
//! share against its target, and its passages (or the diesel trucks below 国五 of a warning's
//! days).

use crate::context::{AsArgs, StoreArgs};
use anyhow::Result;
use lantian_app::vehicles;
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
    /// Import gate records (CSV or XLSX: 车牌号, 时间, 方向, 车辆类型, 排放标准, 燃料类型 and,
    /// without --enterprise, 企业编号; docs/formats.md). Nothing is imported while a row has
    /// an error; records already stored are kept once.
    Import {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        /// The enterprise all rows belong to (else each row's 企业编号).
        #[arg(long)]
        enterprise: Option<String>,
        #[arg(long)]
        dry_run: bool,
        file: PathBuf,
    },
    /// Monthly clean-transport shares of heavy-truck trips against the target, one JSON line
    /// per month.
    Share {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long)]
        enterprise: String,
        /// First month.
        #[arg(long, value_name = "YYYY-MM")]
        from: Month,
        /// Last month, inclusive.
        #[arg(long, value_name = "YYYY-MM")]
        to: Month,
    },
    /// An enterprise's passages on the days given (Beijing time), one JSON line each; with
    /// --barred only the entries of diesel trucks below 国五 (give a warning's days).
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long)]
        enterprise: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: Date,
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: Date,
        #[arg(long)]
        barred: bool,
    },
}

pub fn run(a: Args) -> Result<ExitCode> {
    match a.what {
        Cmd::Import {
            store,
            who,
            enterprise,
            dry_run,
            file,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let rows = crate::input::read_table(&file)?;
            let r = vehicles::import(&app, &caller, enterprise.as_deref(), &rows, dry_run)?;
            println!("{}", json!(r));
            if !r.errors.is_empty() {
                eprintln!("lantian: {} problem(s); nothing imported", r.errors.len());
                return Ok(ExitCode::from(1));
            }
            if !dry_run {
                eprintln!("lantian: {} gate records read, {} new", r.records, r.new);
            }
        }
        Cmd::Share {
            store,
            who,
            enterprise,
            from,
            to,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            for s in vehicles::shares(&app, &caller, &enterprise, from, to)? {
                println!("{}", json!(s));
            }
        }
        Cmd::List {
            store,
            who,
            enterprise,
            from,
            to,
            barred,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            for p in vehicles::passages(&app, &caller, &enterprise, from, to, barred)? {
                println!("{}", json!(p));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
