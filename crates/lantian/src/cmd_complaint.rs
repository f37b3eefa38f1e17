//! `lantian complaint …`: complaints typed in from the 12345 / 12369 hotlines, the list, one
//! complaint and the public lookup by code. Thin over `lantian_app::complaints`.

use crate::context::{AsArgs, StoreArgs};
use anyhow::{Context, Result};
use lantian_app::complaints::{self, ListFilter, StaffInput};
use lantian_core::{Month, cst};
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
    /// Type in a complaint from a hotline; it is dispatched as a task to the township of its
    /// place. Prints the complaint's id, lookup code, township and task as JSON.
    ///
    /// Example: lantian complaint add --as bureau1 --channel 12345 --category dust --lat 37.99
    /// --lon 115.40 --text "工地扬尘严重"
    Add {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        /// `12345`, `12369` or `staff`.
        #[arg(long)]
        channel: String,
        /// `cooking_fumes`, `odour`, `smoke`, `open_burning`, `dust`, `other` (or 油烟 …).
        #[arg(long)]
        category: String,
        #[arg(long)]
        text: String,
        #[arg(long)]
        lat: f64,
        #[arg(long)]
        lon: f64,
        #[arg(long, default_value = "")]
        address: String,
        /// How to reach the complainant (never public).
        #[arg(long)]
        contact: Option<String>,
        /// A JPEG or PNG photo.
        #[arg(long)]
        photo: Option<PathBuf>,
        /// When it happened, Beijing time `YYYY-MM-DD HH:MM` (default: now).
        #[arg(long)]
        occurred: Option<String>,
    },
    /// Complaints the account sees, newest first, one JSON line each.
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long)]
        township: Option<String>,
        #[arg(long)]
        category: Option<String>,
        /// A month, Beijing time.
        #[arg(long, value_name = "YYYY-MM")]
        month: Option<Month>,
        #[arg(long)]
        limit: Option<i64>,
    },
    /// One complaint as JSON.
    Show {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        id: i64,
    },
    /// What the complainant sees with the code (public: no login needed).
    Lookup {
        #[command(flatten)]
        store: StoreArgs,
        code: String,
    },
}

pub fn run(a: Args) -> Result<ExitCode> {
    match a.what {
        Cmd::Add {
            store,
            who,
            channel,
            category,
            text,
            lat,
            lon,
            address,
            contact,
            photo,
            occurred,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let photo = photo
                .map(|p| std::fs::read(&p).with_context(|| format!("reading {}", p.display())))
                .transpose()?;
            let occurred_ms = occurred
                .map(|t| {
                    cst::parse_minute(&t)
                        .map(cst::to_unix_ms)
                        .with_context(|| format!("--occurred {t:?}: expected YYYY-MM-DD HH:MM"))
                })
                .transpose()?;
            let s = complaints::submit_staff(
                &app,
                &caller,
                StaffInput {
                    channel,
                    category,
                    text,
                    lat: Some(lat),
                    lon: Some(lon),
                    address,
                    contact,
                    photo,
                    occurred_ms,
                },
            )?;
            println!("{}", json!(s));
        }
        Cmd::List {
            store,
            who,
            township,
            category,
            month,
            limit,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let span = month.map(complaints::month_span_ms);
            let f = ListFilter {
                township,
                category,
                from_ms: span.map(|s| s.0),
                to_ms: span.map(|s| s.1),
                limit,
            };
            for c in complaints::list(&app, &caller, &f)? {
                println!("{}", json!(c));
            }
        }
        Cmd::Show { store, who, id } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            println!("{}", json!(complaints::one(&app, &caller, id)?));
        }
        Cmd::Lookup { store, code } => {
            let app = store.app()?;
            println!("{}", json!(complaints::lookup(&app, &code)?));
        }
    }
    Ok(ExitCode::SUCCESS)
}
