//! Command-line options that choose the database (a data directory for SQLite, or a
//! PostgreSQL URL) and the county, and the application context built from them.

use anyhow::{Context, Result, bail};
use lantian_app::{Account, App, Caller, Clock, County};
use lantian_core::org::Role;
use lantian_store::{Location, Store};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// The settings key under which the store remembers the profile directory it was set up
/// from (absent for the shipped Xinji profile).
const COUNTY_DIR_KEY: &str = "county_dir";

#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// Data directory of the embedded SQLite database (lantian.db, archive.db).
    #[arg(long, default_value = "./lantian-data", env = "LANTIAN_DATA_DIR")]
    pub data_dir: PathBuf,
    /// Use this PostgreSQL server instead (postgres://user:password@host/database).
    #[arg(long, env = "LANTIAN_POSTGRES_URL")]
    pub postgres: Option<String>,
    /// A county profile directory (see `lantian county init`); the first use sets the
    /// database up for that county and remembers it. Default: the one it was set up with,
    /// or Xinji's shipped profile.
    #[arg(long, value_name = "DIR", env = "LANTIAN_COUNTY")]
    pub county: Option<PathBuf>,
}

impl StoreArgs {
    /// Opens the store alone (archive and benchmark commands).
    pub fn open(&self) -> Result<Store> {
        match &self.postgres {
            Some(url) => {
                Store::open(&Location::Postgres(url.clone())).context("opening PostgreSQL")
            }
            None => Store::open_data_dir(&self.data_dir)
                .with_context(|| format!("opening {}", self.data_dir.display())),
        }
    }

    /// Opens the store, loads the county profile (`--county`, else the one the store was set
    /// up with, else Xinji's), sets the store up for it on first use or when `--county` names
    /// it (units, and the plan's measures into an empty ledger), and builds the application
    /// context on the system clock.
    pub fn app(&self) -> Result<App> {
        let store = Arc::new(self.open()?);
        let dir = match &self.county {
            Some(d) => Some(d.clone()),
            None => store.setting(COUNTY_DIR_KEY)?.map(PathBuf::from),
        };
        let county = match &dir {
            Some(d) => County::load(d).with_context(|| {
                format!(
                    "loading the county profile {} (lantian county check {0} says more)",
                    d.display()
                )
            })?,
            None => County::xinji(),
        };
        for w in &county.warnings {
            tracing::warn!("county profile: {w}");
        }
        let clock = Clock::System;
        // Set up on first use, and brought up to date when a profile is named; otherwise a
        // command only reads (`lantian query` writes nothing).
        match store.setting("county")? {
            Some(id) if self.county.is_none() && id == county.profile.id => {}
            Some(id) if self.county.is_none() => bail!(
                "this database serves county {id}, whose profile directory is not known here: name it with --county DIR"
            ),
            _ => {
                let row = lantian_store::AuditRow {
                    at_ms: clock.now_ms(),
                    actor: operator().name().to_owned(),
                    action: "county.install".to_owned(),
                    object: county.profile.id.clone(),
                    detail: String::new(),
                    source: cli_source(),
                };
                store.audited(row, || county.install(&store, clock.now_ms()))?;
            }
        }
        if let Some(d) = &self.county {
            let abs = std::fs::canonicalize(d).unwrap_or_else(|_| d.clone());
            store.set_setting(COUNTY_DIR_KEY, &abs.to_string_lossy())?;
        }
        let data_dir = self.postgres.is_none().then(|| self.data_dir.clone());
        Ok(App::new(store, clock, Arc::new(county), data_dir))
    }
}

/// Whom a command acts as: `--as USER` (an account of the store, with its role and unit), or
/// the operator at the server's console, who administers.
#[derive(Debug, Clone, clap::Args)]
pub struct AsArgs {
    /// Act as this account: its role and unit decide what is allowed, as in the web UI.
    #[arg(long = "as", value_name = "USER")]
    pub user: Option<String>,
}

impl AsArgs {
    pub fn caller(&self, app: &App) -> Result<Caller> {
        match &self.user {
            Some(u) => Ok(lantian_app::accounts::caller_as(app, u)?.from_source(&cli_source())),
            None => Ok(operator()),
        }
    }

    /// The account named with `--as`, which this command requires.
    pub fn required(&self, app: &App) -> Result<Caller> {
        if self.user.is_none() {
            bail!("say whom you act as: --as USER (an account; lantian user add creates one)");
        }
        self.caller(app)
    }
}

/// The operator at the server's console: administers, like the `admin` account.
pub fn operator() -> Caller {
    Caller::Account(Account {
        username: "operator".to_owned(),
        role: Role::Admin,
        unit_id: None,
        unit_kind: None,
        source: cli_source(),
    })
}

/// The audit source of a command-line action: `cli:` and the operating-system user running
/// it (`$USER`, else `$LOGNAME`, else the name of this process's user id in `/etc/passwd`,
/// else `uidN`).
pub fn cli_source() -> String {
    let user = ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(os_user);
    format!("cli:{user}")
}

/// The name of this process's real user id (Linux: `/proc/self/status`, `/etc/passwd`).
fn os_user() -> String {
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        });
    let Some(uid) = uid else {
        return "unknown".to_owned();
    };
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|p| {
            p.lines().find_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f.len() > 2 && f[2] == uid).then(|| f[0].to_owned())
            })
        })
        .unwrap_or_else(|| format!("uid{uid}"))
}

/// Prints one JSON line per item, or a line of text per item.
pub fn print<T: serde::Serialize>(
    json: bool,
    items: &[T],
    text: impl Fn(&T) -> String,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    for i in items {
        if json {
            writeln!(out, "{}", serde_json::to_string(i)?)?;
        } else {
            writeln!(out, "{}", text(i))?;
        }
    }
    Ok(())
}
