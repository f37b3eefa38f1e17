//! Lantian's application layer: every use case and every permission decision, written once,
//! as plain functions of (the [`App`] with its store and clock, the [`Caller`], the request)
//! → a result or an [`AppError`]. The HTTP API (`lantian-api`) and the command line
//! (`lantian`) are thin adapters over it: they parse their requests, call a use case and
//! shape its answer; they never decide on their own who may do what.
//!
//! No HTTP types, no command-line types, no printing. Methods block (they call the store):
//! an async caller runs them on a blocking thread.
//!
//! * [`clock`]: the one clock (system or fixed) over the one calendar, `lantian_core::cst`.
//! * [`caller`]: who is asking, and the permission of every act ([`caller::policy`]).
//! * [`county`]: a county as data: units, departments, the plan's measures, boundaries,
//!   targets, titles. Xinji's is the shipped default.
//! * [`data`]: the one data path from stored values to the standards engine, with coverage,
//!   raw or audited, and the aggregates `lantian query` prints and the API serves.
//! * [`stations`], [`aqi`], [`assessment`], [`ledger`], [`accounts`]: the use cases.

pub mod accounts;
pub mod aqi;
pub mod assessment;
pub mod caller;
pub mod clock;
pub mod compliance;
pub mod county;
pub mod data;
pub mod emergency;
pub mod emissions;
pub mod episode;
mod error;
pub mod ledger;
pub mod pdf;
pub mod present;
pub mod reduction;
pub mod series;
pub mod sources;
pub mod stations;
mod table_xlsx;
pub mod upload;
pub mod vehicles;

pub use caller::{Account, Caller};
pub use clock::Clock;
pub use county::County;
pub use error::{AppError, AppResult};

use lantian_store::Store;
use std::path::PathBuf;
use std::sync::Arc;

/// The context of every use case: where the data is, what time it is, which county.
#[derive(Clone, Debug)]
pub struct App {
    pub store: Arc<Store>,
    pub clock: Clock,
    pub county: Arc<County>,
    /// Where evidence files go (`DATA_DIR/evidence/`) and where an administrator may put
    /// `boundaries.geojson`; `None` when the store is a PostgreSQL server with no local
    /// directory.
    pub data_dir: Option<PathBuf>,
}

impl App {
    pub fn new(
        store: Arc<Store>,
        clock: Clock,
        county: Arc<County>,
        data_dir: Option<PathBuf>,
    ) -> App {
        App {
            store,
            clock,
            county,
            data_dir,
        }
    }

    /// Appends to the audit log, now.
    fn audit(&self, actor: &str, action: &str, object: &str, detail: &str) -> AppResult<()> {
        Ok(self
            .store
            .audit(self.clock.now_ms(), actor, action, object, detail)?)
    }
}
