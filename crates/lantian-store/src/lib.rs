//! Lantian's storage: the only crate that knows SQL.
//!
//! One [`Store`] over two backends: embedded SQLite (the default, WAL) and a PostgreSQL
//! server. Both run the same queries (written once in [`db`]) and pass the same story test;
//! only opening, migrations and bulk inserts differ. The store keeps:
//!
//! * the registry (administrative units, stations with per-code units, devices, users) and an
//!   append-only audit log;
//! * the pollution-source register (enterprises, outlets with limits, equipment), whose
//!   monitoring series are station rows like any other;
//! * observations as received, idempotently (the same packet twice counts once), with
//!   hourly and daily rollups and their coverage, recomputed when late data arrives;
//! * corrections beside the raw values, never over them ([`View::Audited`]);
//! * the raw archive: every received packet byte for byte, hash-chained, with checkpoints
//!   whose digests can be published ([`Store::verify_archive`]).
//!
//! Every write is one transaction: a failed batch leaves nothing behind, and the error says
//! whether a retry may succeed ([`StoreError::is_retryable`]). One exception: a batch of
//! packets on PostgreSQL commits its archive records first and its values second, so a
//! failure of the second leaves the records archived (a retry archives them again and
//! stores the values once; every copy a device sent is archived anyway).
//!
//! On SQLite the archive lives in its own file (`archive.db`) with a journal of the
//! observations of each archived packet: [`Store::accept_batch`] appends there (one
//! sequential write, the cost of a durable acknowledgement) and [`Store::project`] moves the
//! journal into `lantian.db` in large transactions, recording how far it got in the same
//! transaction. PostgreSQL commits the archive records and then the values, both before
//! the call returns.

pub mod admin;
pub mod alerts;
pub mod apikeys;
pub mod archive;
mod audit;
pub mod baseline;
pub mod cases;
pub mod chain;
pub mod citus;
pub mod complaints;
pub mod credit;
pub mod daily;
mod db;
pub mod declarations;
pub mod device_commands;
pub mod device_keys;
pub mod emergency;
mod error;
mod fk_order;
pub mod forward_alarms;
mod gate;
mod ingest;
pub mod integrity;
mod journal;
pub mod ledger;
pub mod ledger_parts;
pub mod model;
pub mod operations;
pub mod password;
mod pg;
mod query;
mod registry;
pub mod report_files;
pub mod sanluanwu;
pub mod sites;
pub mod sources;
mod sqlite;
pub mod targets;
pub mod tasks;
#[cfg(feature = "testing")]
pub mod testing;
pub mod transfer;
mod users;

pub use archive::{ArchiveReport, Hash};
pub use audit::AuditRow;
pub use error::StoreError;
pub use ingest::{PROJECT_ROWS_MAX, Projection};
pub use model::*;
pub use users::UserStanding;

use db::Conn;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicI64;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Where the data lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://user:pw@host/db`).
    Postgres(String),
}

/// One SQLite file: its writer connection and pooled readers.
struct LiteDb {
    path: PathBuf,
    geometry: sqlite::Geometry,
    writer: Mutex<rusqlite::Connection>,
    readers: Mutex<Vec<rusqlite::Connection>>,
}

impl LiteDb {
    fn new(path: PathBuf, geometry: sqlite::Geometry, writer: rusqlite::Connection) -> LiteDb {
        LiteDb {
            path,
            geometry,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
        }
    }
}

/// Which SQLite file a statement runs on (PostgreSQL keeps both in one database).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    /// `lantian.db`: registry, observations, rollups, ledger.
    Main,
    /// `archive.db`: the raw archive and the journal of unprojected observations.
    Archive,
}

enum Backend {
    Sqlite {
        main: Box<LiteDb>,
        archive: Box<LiteDb>,
    },
    Postgres {
        url: String,
        /// Writer connections: transactions on different stations run concurrently; those
        /// on the same station serialise on an advisory lock (see `Conn::lock_stations`).
        writers: Mutex<Vec<postgres::Client>>,
        readers: Mutex<Vec<postgres::Client>>,
    },
}

/// The store. Shareable between threads; every method blocks (call it from a plain thread
/// or `spawn_blocking`, never directly on an async executor).
pub struct Store {
    backend: Backend,
    /// The head (seq, hash) of each archive chain, advanced only after a commit.
    heads: Mutex<HashMap<String, (i64, Hash)>>,
    /// The archive chain this process writes ([`Store::claim_chain`]).
    claim: Mutex<Option<chain::Claim>>,
    /// The last journal row whose observations are in `lantian.db` (SQLite).
    projected: AtomicI64,
    /// Journal rows up to here are deleted.
    trimmed: AtomicI64,
    /// The highest journal id accepted (SQLite).
    journal_head: AtomicI64,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.describe())
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Store {
    /// Opens (creating and migrating) the SQLite databases `data_dir/lantian.db` and
    /// `data_dir/archive.db`, projecting any journalled observations (crash recovery).
    pub fn open_data_dir(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Open {
            backend: "SQLite",
            message: format!("{}: {e}", data_dir.display()),
        })?;
        Store::open(&Location::Sqlite(sqlite::db_path(data_dir)))
    }

    pub fn open(location: &Location) -> Result<Store, StoreError> {
        let backend = match location {
            Location::Sqlite(path) => {
                let archive_path = sqlite::archive_path(path);
                let mut a = sqlite::open(&archive_path, sqlite::ARCHIVE)?;
                sqlite::migrate(&mut a, sqlite::ARCHIVE_MIGRATIONS)?;
                // Checkpoints of archive.db run beside the writer (Store::project), not
                // inside an acknowledgement's commit.
                a.execute_batch("PRAGMA wal_autocheckpoint = 0")?;
                let mut c = sqlite::open(path, sqlite::MAIN)?;
                sqlite::migrate(&mut c, sqlite::MIGRATIONS)?;
                sqlite::move_archive_out(&mut c, &archive_path)?;
                Backend::Sqlite {
                    main: Box::new(LiteDb::new(path.clone(), sqlite::MAIN, c)),
                    archive: Box::new(LiteDb::new(archive_path, sqlite::ARCHIVE, a)),
                }
            }
            Location::Postgres(url) => {
                let mut c = pg::connect(url)?;
                pg::migrate(&mut c)?;
                Backend::Postgres {
                    url: url.clone(),
                    writers: Mutex::new(vec![c]),
                    readers: Mutex::new(Vec::new()),
                }
            }
        };
        let store = Store {
            backend,
            heads: Mutex::new(HashMap::new()),
            claim: Mutex::new(None),
            projected: AtomicI64::new(0),
            trimmed: AtomicI64::new(0),
            journal_head: AtomicI64::new(0),
        };
        let heads = store.load_heads()?;
        *lock(&store.heads) = heads;
        store.recover_journal()?;
        Ok(store)
    }

    /// `SQLite /path/lantian.db` or `PostgreSQL host/db` (no password: [`pg::redacted`]).
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Sqlite { main, .. } => format!("SQLite {}", main.path.display()),
            Backend::Postgres { url, .. } => format!("PostgreSQL {}", pg::redacted(url)),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres { .. })
    }

    /// Runs `f` in one transaction on `lantian.db`: all of it is committed, or none of it.
    /// An audit row pending on this thread ([`Store::audited`]) is inserted in the same
    /// transaction.
    fn write<T>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.write_to(Part::Main, f)
    }

    /// [`Store::write`] leaving a pending audit row for the next transaction.
    fn write_unaudited<T>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.transact(Part::Main, false, f)
    }

    /// Runs `f` in one transaction on `part` (with the pending audit row on `lantian.db`).
    fn write_to<T>(
        &self,
        part: Part,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.transact(part, part == Part::Main, f)
    }

    /// One transaction on `part`; with `audit`, the audit row pending on this thread is
    /// inserted last, and stays pending if the transaction does not commit.
    fn transact<T>(
        &self,
        part: Part,
        audit: bool,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match &self.backend {
            Backend::Sqlite { main, archive } => {
                let db = if part == Part::Main { main } else { archive };
                let mut c = lock(&db.writer);
                let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let out = f(&mut sqlite::Lite(&tx))?;
                let row = if audit {
                    self.insert_pending_audit(&mut sqlite::Lite(&tx))?
                } else {
                    None
                };
                if let Err(e) = tx.commit() {
                    self.restore_pending_audit(row);
                    return Err(e.into());
                }
                Ok(out)
            }
            Backend::Postgres { url, writers, .. } => {
                let mut c = checkout(url, writers)?;
                let out = (|| {
                    let mut tx = c.transaction()?;
                    let out = f(&mut tx)?;
                    let row = if audit {
                        self.insert_pending_audit(&mut tx)?
                    } else {
                        None
                    };
                    if let Err(e) = tx.commit() {
                        self.restore_pending_audit(row);
                        return Err(e.into());
                    }
                    Ok(out)
                })();
                // A connection that failed at the transport level is dropped so
                // the caller's retry reconnects instead of reusing a dead socket.
                match out {
                    // Transport failure: this and every pooled connection is likely
                    // dead; drop them so the caller's retry reconnects. A write is not
                    // retried here because the commit may or may not have landed.
                    Err(StoreError::Connection { .. }) => lock(writers).clear(),
                    _ => lock(writers).push(c),
                }
                out
            }
        }
    }

    /// Runs read-only `f` on a pooled reader connection of `lantian.db`.
    fn read<T>(&self, f: impl Fn(&mut dyn Conn) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.read_from(Part::Main, f)
    }

    /// Runs read-only `f` on a pooled reader connection of `part`.
    fn read_from<T>(
        &self,
        part: Part,
        f: impl Fn(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match &self.backend {
            Backend::Sqlite { main, archive } => {
                let db = if part == Part::Main { main } else { archive };
                let popped = lock(&db.readers).pop();
                let c = match popped {
                    Some(c) => c,
                    None => sqlite::open(&db.path, db.geometry)?,
                };
                let out = f(&mut sqlite::Lite(&c));
                lock(&db.readers).push(c);
                out
            }
            Backend::Postgres { url, readers, .. } => {
                // Reads are idempotent: after a server restart or network cut every
                // pooled connection is dead, so drop them all and try once more.
                match pg_read(url, readers, &f) {
                    Err(StoreError::Connection { .. }) => {
                        lock(readers).clear();
                        pg_read(url, readers, &f)
                    }
                    out => out,
                }
            }
        }
    }
}

/// One attempt of a PostgreSQL read on a pooled (or new) connection.
fn pg_read<T>(
    url: &str,
    readers: &Mutex<Vec<postgres::Client>>,
    f: &impl Fn(&mut dyn Conn) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut c = checkout(url, readers)?;
    let mut tx = c.transaction()?;
    let out = f(&mut tx);
    tx.commit()?;
    if !matches!(out, Err(StoreError::Connection { .. })) {
        lock(readers).push(c);
    }
    out
}

/// A live pooled PostgreSQL connection, or a new one.
fn checkout(
    url: &str,
    pool: &Mutex<Vec<postgres::Client>>,
) -> Result<postgres::Client, StoreError> {
    // Bound first so that the pool is not locked while connecting.
    let pooled = lock(pool).pop().filter(|c| !c.is_closed());
    match pooled {
        Some(c) => Ok(c),
        None => pg::connect(url).map_err(|e| StoreError::Connection {
            message: e.to_string(),
        }),
    }
}
