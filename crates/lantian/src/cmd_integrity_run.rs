//! `lantian integrity run`: the rule library over the stored hours of some days, alarm
//! episodes stored (deduplicated and extended) as `lantian serve` does every hour; thin over
//! `lantian_app::integrity::scan`.

use crate::context::{AsArgs, StoreArgs};
use anyhow::{Result, bail};
use lantian_core::Date;
use std::process::ExitCode;

/// Scans stored data (not files: `lantian integrity scan` reads those).
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// First day, Beijing time (`YYYY-MM-DD`; default yesterday).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day (default today).
    #[arg(long)]
    pub to: Option<String>,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub who: AsArgs,
}

fn day(text: Option<&str>, default: Date) -> Result<Date> {
    match text {
        None => Ok(default),
        Some(t) => match Date::parse(t) {
            Some(d) => Ok(d),
            None => bail!("{t:?}: expected a date YYYY-MM-DD"),
        },
    }
}

/// Runs the scan as the console operator (or `--as USER`) and prints what it stored.
pub fn run(a: RunArgs) -> Result<ExitCode> {
    let app = a.store.app()?;
    let caller = a.who.caller(&app)?;
    let today = app.clock.today();
    let from = day(a.from.as_deref(), today.add_days(-1))?;
    let to = day(a.to.as_deref(), today)?;
    let o = lantian_app::integrity::scan(&app, &caller, from, to)?;
    if a.json {
        println!("{}", serde_json::to_string(&o)?);
    } else {
        println!(
            "{from}..{to}: {} stations, {} new alarms, {} extended, {} unchanged",
            o.stations, o.alarms_new, o.alarms_extended, o.alarms_unchanged
        );
    }
    Ok(ExitCode::SUCCESS)
}
