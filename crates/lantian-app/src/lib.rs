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
pub mod admin;
pub mod alerts;
pub mod aqi;
pub mod assessment;
pub mod caller;
pub mod cases;
pub mod clock;
pub mod cockpit;
pub mod complaints;
pub mod compliance;
pub mod county;
pub mod credit;
pub mod data;
pub mod days;
pub mod declarations;
pub mod device_commands;
pub mod device_keys;
pub mod emergency;
pub mod emissions;
pub mod episode;
mod error;
pub mod firepoints;
pub mod integrity;
pub mod integrity_ops;
pub mod integrity_report;
pub mod ledger;
pub mod ledger_parts;
pub mod ledger_supervision;
pub mod map_view;
pub mod opendata;
pub mod opendata_bulk;
pub mod opendata_keys;
pub mod pdf;
pub mod periodic_report;
pub mod present;
pub mod reduction;
pub mod report_schedule;
pub mod sanluanwu;
pub mod series;
pub mod sites;
pub mod sources;
pub mod station_view;
pub mod stations;
pub mod table_xlsx;
pub mod targets;
pub mod tasks;
pub mod township;
pub mod township_report;
pub mod tracing;
pub mod tracing_transport;
pub mod upload;
pub mod vehicles;

pub use caller::{Account, Caller};
pub use clock::Clock;
pub use county::County;
pub use error::{AppError, AppResult};

use lantian_store::ledger::EvidenceQuota;
use lantian_store::{AuditRow, Store};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Default evidence quota of one measure: files.
pub const EVIDENCE_FILES_MAX: i64 = 50;
/// Default evidence quota of one measure: total bytes (200 MiB).
pub const EVIDENCE_BYTES_TOTAL_MAX: i64 = 200 << 20;
/// Refusals audited per account and minute; beyond, they are only counted
/// ([`App::refusals_unaudited`]), so a script cannot fill the log.
pub const REFUSALS_AUDITED_PER_MINUTE_MAX: u32 = 30;
/// Accounts whose refusals are tracked at once (the map is cleared when it would grow past).
const REFUSAL_ACCOUNTS_MAX: usize = 10_000;

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
    /// How much evidence one measure may have.
    pub evidence_quota: EvidenceQuota,
    refusals: Arc<Refusals>,
}

/// Refusals audited per account in the current minute, and those dropped.
#[derive(Debug, Default)]
struct Refusals {
    per_account: Mutex<HashMap<String, (i64, u32)>>,
    unaudited: AtomicU64,
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
            evidence_quota: EvidenceQuota {
                files_max: EVIDENCE_FILES_MAX,
                bytes_max: EVIDENCE_BYTES_TOTAL_MAX,
            },
            refusals: Arc::default(),
        }
    }

    /// Appends to the audit log, now, for an actor who is not (yet) a caller: a login
    /// attempt from `source`, the system creating the first administrator.
    fn audit_from(
        &self,
        actor: &str,
        source: &str,
        action: &str,
        object: &str,
        detail: &str,
    ) -> AppResult<()> {
        Ok(self.store.audit_row(&AuditRow {
            at_ms: self.clock.now_ms(),
            actor: actor.to_owned(),
            action: action.to_owned(),
            object: object.to_owned(),
            detail: detail.to_owned(),
            source: source.to_owned(),
        })?)
    }

    /// The audit row of `caller` doing `action` to `object`, now, from the caller's source.
    pub fn audit_row(&self, caller: &Caller, action: &str, object: &str, detail: &str) -> AuditRow {
        AuditRow {
            at_ms: self.clock.now_ms(),
            actor: caller.name().to_owned(),
            action: action.to_owned(),
            object: object.to_owned(),
            detail: detail.to_owned(),
            source: caller.source().to_owned(),
        }
    }

    /// Appends an audit row of its own (an act that changes nothing else).
    pub fn audit_as(
        &self,
        caller: &Caller,
        action: &str,
        object: &str,
        detail: &str,
    ) -> AppResult<()> {
        Ok(self
            .store
            .audit_row(&self.audit_row(caller, action, object, detail))?)
    }

    /// Runs the store calls of `change` with their audit row in the same transaction as
    /// the first of them: both are committed, or neither.
    pub fn audited<T>(
        &self,
        caller: &Caller,
        action: &str,
        object: &str,
        detail: &str,
        change: impl FnOnce() -> AppResult<T>,
    ) -> AppResult<T> {
        self.store
            .audited(self.audit_row(caller, action, object, detail), change)
    }

    /// The one place where a permission decision becomes a refusal: a refused account's
    /// attempt (403) is audited as `denied.ACT` with the object, the reason and the source,
    /// at most [`REFUSALS_AUDITED_PER_MINUTE_MAX`] a minute per account. The public's
    /// refusals (401, a login is needed) are not audited: no anonymous caller can grow the
    /// log.
    pub fn allow<T>(
        &self,
        caller: &Caller,
        act: &str,
        object: &str,
        decision: AppResult<T>,
    ) -> AppResult<T> {
        if let Err(AppError::Forbidden(reason)) = &decision
            && caller.account().is_some()
            && self.refusal_audited(caller.name())
            && let Err(e) = self.audit_as(caller, &format!("denied.{act}"), object, reason)
        {
            return Err(e);
        }
        decision
    }

    /// Whether this account's refusal may be audited now (else it is counted).
    fn refusal_audited(&self, who: &str) -> bool {
        let minute = self.clock.now_ms().div_euclid(60_000);
        let mut m = self
            .refusals
            .per_account
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if m.len() >= REFUSAL_ACCOUNTS_MAX && !m.contains_key(who) {
            m.clear();
        }
        let e = m.entry(who.to_owned()).or_insert((minute, 0));
        if e.0 != minute {
            *e = (minute, 0);
        }
        e.1 += 1;
        let ok = e.1 <= REFUSALS_AUDITED_PER_MINUTE_MAX;
        if !ok {
            self.refusals.unaudited.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }

    /// Refusals not audited because their account passed the per-minute bound.
    pub fn refusals_unaudited(&self) -> u64 {
        self.refusals.unaudited.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use lantian_core::org::Role;

    fn app(tag: &str) -> App {
        let dir = std::env::temp_dir().join(format!("lantian-app-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Arc::new(Store::open_data_dir(&dir).unwrap());
        App::new(
            store,
            Clock::Fixed {
                unix_ms: 1_800_000_000_000,
            },
            Arc::new(County::xinji()),
            None,
        )
    }

    fn account(name: &str) -> Caller {
        Caller::Account(Account {
            username: name.into(),
            role: Role::Township,
            unit_id: None,
            unit_kind: None,
            source: "192.0.2.9".into(),
        })
    }

    #[test]
    fn refusals_of_accounts_are_audited_up_to_a_bound_and_the_publics_not_at_all() {
        let app = app("refusals");
        let no = || -> AppResult<()> { Err(AppError::Forbidden("no".into())) };
        // (caller, attempts, audited rows, counted beyond the bound)
        let bound = REFUSALS_AUDITED_PER_MINUTE_MAX as usize;
        let cases = [
            (Caller::Public, 5, 0, 0),
            (account("t1"), 3, 3, 0),
            (account("t2"), bound + 7, bound, 7),
        ];
        let mut dropped = 0;
        for (caller, attempts, audited, beyond) in cases {
            for _ in 0..attempts {
                assert!(app.allow(&caller, "ledger.close", "M1", no()).is_err());
            }
            let rows: Vec<_> = app
                .store
                .audit_events(1000)
                .unwrap()
                .into_iter()
                .filter(|e| e.actor == caller.name())
                .collect();
            assert_eq!(rows.len(), audited, "{}", caller.name());
            assert!(rows.iter().all(|e| e.action == "denied.ledger.close"
                && e.object == "M1"
                && e.source == "192.0.2.9"
                && e.detail == "no"));
            dropped += beyond;
            assert_eq!(app.refusals_unaudited(), dropped as u64);
        }
        // Allowed acts and 401s pass through unaudited.
        assert_eq!(app.allow(&account("t3"), "x", "y", Ok(7)).unwrap(), 7);
        let unauthorized: AppResult<()> = Err(AppError::Unauthorized);
        assert!(app.allow(&Caller::Public, "x", "y", unauthorized).is_err());
        assert!(
            !app.store
                .audit_events(1000)
                .unwrap()
                .iter()
                .any(|e| e.actor == "t3" || e.actor == "public")
        );
    }
}
