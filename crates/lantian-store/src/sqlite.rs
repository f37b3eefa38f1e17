//! The embedded SQLite backend: `lantian.db` and `archive.db` (WAL; one writer connection
//! each, pooled readers).

use crate::db::{
    ArchiveRow, Conn, INSERT_ARCHIVE, INSERT_JOURNAL, INSERT_OBSERVATION, PacketRef, Row, Val,
};
use crate::error::StoreError;
use crate::model::Observation;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql};
use std::path::{Path, PathBuf};

pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_init",
        include_str!("../migrations/sqlite/0001_init.sql"),
    ),
    (
        "0002_ledger",
        include_str!("../migrations/sqlite/0002_ledger.sql"),
    ),
    (
        "0003_projection",
        include_str!("../migrations/sqlite/0003_projection.sql"),
    ),
    (
        "0004_data_path",
        include_str!("../migrations/sqlite/0004_data_path.sql"),
    ),
    (
        "0005_sources",
        include_str!("../migrations/sqlite/0005_sources.sql"),
    ),
    (
        "0006_emergency",
        include_str!("../migrations/sqlite/0006_emergency.sql"),
    ),
    (
        "0007_devices_security",
        include_str!("../migrations/sqlite/0007_devices_security.sql"),
    ),
    (
        "0008_accounts",
        include_str!("../migrations/sqlite/0008_accounts.sql"),
    ),
    (
        "0009_audit",
        include_str!("../migrations/sqlite/0009_audit.sql"),
    ),
    (
        "0010_integrity",
        include_str!("../migrations/sqlite/0010_integrity.sql"),
    ),
    (
        "0011_contractors",
        include_str!("../migrations/sqlite/0011_contractors.sql"),
    ),
    (
        "0012_targets",
        include_str!("../migrations/sqlite/0012_targets.sql"),
    ),
    (
        "0013_ledger_parts",
        include_str!("../migrations/sqlite/0013_ledger_parts.sql"),
    ),
    (
        "0014_tasks",
        include_str!("../migrations/sqlite/0014_tasks.sql"),
    ),
    (
        "0015_complaints",
        include_str!("../migrations/sqlite/0015_complaints.sql"),
    ),
    (
        "0016_sites",
        include_str!("../migrations/sqlite/0016_sites.sql"),
    ),
    (
        "0017_cases",
        include_str!("../migrations/sqlite/0017_cases.sql"),
    ),
    (
        "0018_credit",
        include_str!("../migrations/sqlite/0018_credit.sql"),
    ),
    (
        "0019_sanluanwu",
        include_str!("../migrations/sqlite/0019_sanluanwu.sql"),
    ),
    (
        "0020_open_data",
        include_str!("../migrations/sqlite/0020_open_data.sql"),
    ),
    (
        "0021_ledger_reminders",
        include_str!("../migrations/sqlite/0021_ledger_reminders.sql"),
    ),
    (
        "0022_report_schedules",
        include_str!("../migrations/sqlite/0022_report_schedules.sql"),
    ),
    (
        "0023_alerts",
        include_str!("../migrations/sqlite/0023_alerts.sql"),
    ),
    (
        "0024_device_keys",
        include_str!("../migrations/sqlite/0024_device_keys.sql"),
    ),
    (
        "0025_device_commands",
        include_str!("../migrations/sqlite/0025_device_commands.sql"),
    ),
    (
        "0026_declarations",
        include_str!("../migrations/sqlite/0026_declarations.sql"),
    ),
    (
        "0027_forward_alarms",
        include_str!("../migrations/sqlite/0027_forward_alarms.sql"),
    ),
    (
        "0028_packet_chain",
        include_str!("../migrations/sqlite/0028_packet_chain.sql"),
    ),
    (
        "0029_daily_records",
        include_str!("../migrations/sqlite/0029_daily_records.sql"),
    ),
];

pub const ARCHIVE_MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_archive",
        include_str!("../migrations/sqlite/archive/0001_archive.sql"),
    ),
    (
        "0002_packet_chain",
        include_str!("../migrations/sqlite/archive/0002_packet_chain.sql"),
    ),
];

impl ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Val::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Val::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Val::Real(f) => ToSqlOutput::Borrowed(ValueRef::Real(*f)),
            Val::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Val::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

fn val(v: ValueRef<'_>) -> Val {
    match v {
        ValueRef::Null => Val::Null,
        ValueRef::Integer(i) => Val::Int(i),
        ValueRef::Real(f) => Val::Real(f),
        ValueRef::Text(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Val::Blob(b.to_vec()),
    }
}

/// The page size of a new SQLite file and the page cache of each connection to it.
#[derive(Clone, Copy, Debug)]
pub struct Geometry {
    pub page_bytes: u32,
    pub cache_kib: u32,
}

/// `lantian.db`: whole series in few pages for reads; a large cache for the B-trees the
/// projection inserts into.
pub const MAIN: Geometry = Geometry {
    page_bytes: 16_384,
    cache_kib: 65_536,
};

/// `archive.db`: every acknowledgement's commit rewrites the last page of the archive, its
/// index and the journal, so small pages keep small commits cheap; appends and sequential
/// reads need a small cache (with 64 MiB, truncating it at each commit's end was 5% of the
/// gateway's CPU).
pub const ARCHIVE: Geometry = Geometry {
    page_bytes: 4096,
    cache_kib: 4096,
};

/// Opens an SQLite file in WAL mode with `geometry`'s page cache (and page size, if new).
pub fn open(path: &Path, geometry: Geometry) -> Result<Connection, StoreError> {
    let Geometry {
        page_bytes,
        cache_kib,
    } = geometry;
    let err = |e: rusqlite::Error| StoreError::Open {
        backend: "SQLite",
        message: format!("{}: {e}", path.display()),
    };
    let c = Connection::open(path).map_err(err)?;
    c.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(err)?;
    // The bundled SQLite (STAT4) re-prepares a cached statement whenever new parameter values
    // might change its plan: the minute-rollup statement, run per station and code in every
    // projection round, spent 43 % of the projector's time being re-prepared (bench cems).
    // The store runs no ANALYZE and binds no LIKE patterns, so a stable plan loses nothing.
    c.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map_err(err)?;
    c.execute_batch(
        &format!("PRAGMA page_size = {page_bytes}; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -{cache_kib}; PRAGMA temp_store = MEMORY;"),
    )
    .map_err(err)?;
    Ok(c)
}

/// Applies the migrations not yet applied, each in its own transaction.
pub fn migrate(c: &mut Connection, migrations: &[(&str, &str)]) -> Result<(), StoreError> {
    c.execute_batch("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY)")?;
    for (name, sql) in migrations {
        let done: i64 = c.query_row(
            "SELECT COUNT(*) FROM schema_migrations WHERE name = ?1",
            [name],
            |r| r.get(0),
        )?;
        if done == 0 {
            let tx = c.transaction()?;
            tx.execute_batch(sql)?;
            tx.execute("INSERT INTO schema_migrations (name) VALUES (?1)", [name])?;
            tx.commit()?;
        }
    }
    Ok(())
}

pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join("lantian.db")
}

/// `archive.db` beside `lantian.db` (`x.db` → `x.archive.db` for other names).
pub fn archive_path(main: &Path) -> PathBuf {
    match main.file_name().and_then(|n| n.to_str()) {
        Some("lantian.db") | None => main.with_file_name("archive.db"),
        Some(name) => main.with_file_name(format!("{}.archive.db", name.trim_end_matches(".db"))),
    }
}

/// Databases created before archive.db kept the archive in lantian.db: copy it over (rows
/// already there are skipped, so an interrupted move is finished on the next open) and
/// drop it from lantian.db.
pub fn move_archive_out(c: &mut Connection, archive: &Path) -> Result<(), StoreError> {
    let present: i64 = c.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'archive'",
        [],
        |r| r.get(0),
    )?;
    if present == 0 {
        return Ok(());
    }
    c.execute("ATTACH DATABASE ?1 AS arc", [archive.to_string_lossy()])?;
    let moved = (|| {
        let tx = c.transaction()?;
        tx.execute_batch(
            "INSERT OR IGNORE INTO arc.archive SELECT * FROM main.archive; \
             INSERT OR IGNORE INTO arc.archive_checkpoints SELECT * FROM main.archive_checkpoints;",
        )?;
        tx.commit()
    })();
    c.execute("DETACH DATABASE arc", [])?;
    moved?;
    c.execute_batch("DROP TABLE main.archive; DROP TABLE main.archive_checkpoints;")?;
    Ok(())
}

/// Adapts an SQLite connection (or a transaction, which derefs to one) to [`Conn`].
pub struct Lite<'a>(pub &'a Connection);

/// Binds `$n` placeholders by their number, whatever order they first appear in.
fn bind(st: &mut rusqlite::CachedStatement<'_>, params: &[Val]) -> Result<(), StoreError> {
    for i in 1..=st.parameter_count() {
        let n = st
            .parameter_name(i)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| StoreError::Invalid {
                what: format!("placeholder #{i} is not $n"),
            })?;
        let v = params.get(n - 1).ok_or_else(|| StoreError::Invalid {
            what: format!("no value for ${n}"),
        })?;
        st.raw_bind_parameter(i, v)?;
    }
    Ok(())
}

impl Conn for Lite<'_> {
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError> {
        let mut st = self.0.prepare_cached(sql)?;
        bind(&mut st, params)?;
        Ok(st.raw_execute()? as u64)
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, StoreError> {
        let mut st = self.0.prepare_cached(sql)?;
        let n = st.column_count();
        bind(&mut st, params)?;
        let mut rows = st.raw_query();
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut row = Vec::with_capacity(n);
            for i in 0..n {
                row.push(val(r.get_ref(i)?));
            }
            out.push(row);
        }
        Ok(out)
    }

    fn insert_archive(&mut self, rows: &[ArchiveRow<'_>]) -> Result<(), StoreError> {
        let mut st = self.0.prepare_cached(INSERT_ARCHIVE)?;
        for r in rows {
            let p = r.packet;
            st.execute(rusqlite::params![
                r.chain,
                r.seq,
                p.received_ms,
                p.peer,
                p.mn,
                p.verdict,
                p.bytes,
                &r.prev_hash[..],
                &r.hash[..]
            ])?;
        }
        Ok(())
    }

    fn insert_journal(&mut self, rows: &[(i64, PacketRef<'_>, Vec<u8>)]) -> Result<(), StoreError> {
        let mut st = self.0.prepare_cached(INSERT_JOURNAL)?;
        for (id, packet, blob) in rows {
            st.execute(rusqlite::params![
                id,
                packet.map(|p| p.0),
                packet.map(|p| p.1),
                blob
            ])?;
        }
        Ok(())
    }

    fn insert_observations(
        &mut self,
        rows: &[(&Observation, PacketRef<'_>)],
    ) -> Result<u64, StoreError> {
        let mut st = self.0.prepare_cached(INSERT_OBSERVATION)?;
        let mut new = 0;
        for (o, packet) in rows {
            new += st.execute(rusqlite::params![
                o.station_id.as_str(),
                o.code.as_str(),
                o.period.as_str(),
                o.ts,
                o.value,
                o.flag.as_str(),
                packet.map(|p| p.0),
                packet.map(|p| p.1)
            ])? as u64;
        }
        Ok(new)
    }
}
