//! Command-line options that choose the database: a data directory (SQLite) or a
//! PostgreSQL URL.

use anyhow::{Context, Result};
use lantian_store::{Location, Store};
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// Data directory of the embedded SQLite database (lantian.db).
    #[arg(long, default_value = "./lantian-data", env = "LANTIAN_DATA_DIR")]
    pub data_dir: PathBuf,
    /// Use this PostgreSQL server instead (postgres://user:password@host/database).
    #[arg(long, env = "LANTIAN_POSTGRES_URL")]
    pub postgres: Option<String>,
}

impl StoreArgs {
    /// Opens the store, loading the default administrative units on first use.
    pub fn open(&self) -> Result<Store> {
        let store = match &self.postgres {
            Some(url) => {
                Store::open(&Location::Postgres(url.clone())).context("opening PostgreSQL")?
            }
            None => Store::open_data_dir(&self.data_dir)
                .with_context(|| format!("opening {}", self.data_dir.display()))?,
        };
        store.seed_defaults()?;
        crate::cmd_ledger::seed(&store)?;
        Ok(store)
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
