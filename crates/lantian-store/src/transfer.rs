//! Copying one store into another (`lantian migrate`): a county's SQLite files into
//! PostgreSQL or Citus and back, table by table in key order, driven by the two schemas as
//! the catalogs describe them (no list of tables to go stale), resumable, with the archive
//! chain verified on both sides.
//!
//! Both stores are opened first, so both are migrated to this binary's schema. The tables
//! copied are the destination's (less the bookkeeping of one backend, each skipped for a
//! stated reason), in the order their foreign keys need, with the columns both sides have.
//! Each batch is inserted together with the table's progress (`migrate_progress`, in the same
//! destination file, in the same transaction), so a run that is killed continues where its
//! last commit left off, without duplicates.

use crate::archive::ArchiveReport;
use crate::db::{Row, Val};
use crate::error::StoreError;
use crate::{Part, Store, lock};
use std::collections::{BTreeMap, BTreeSet};

/// The destination table recording how far each table was copied; dropped when done.
pub const PROGRESS_TABLE: &str = "migrate_progress";

/// Rows read and inserted per transaction unless told otherwise.
pub const BATCH_ROWS_DEFAULT: usize = 2000;

/// PostgreSQL binds at most 65,535 parameters per statement.
const PG_PARAMS_MAX: usize = 65_535;

/// Tables never copied, and why.
const SKIPPED: &[(&str, &str)] = &[
    (
        "schema_migrations",
        "each side's own record of its migrations (opening both ran them: the schemas are this binary's)",
    ),
    (
        PROGRESS_TABLE,
        "this command's own bookkeeping, dropped when the copy is complete",
    ),
    (
        "journal",
        "SQLite's observations accepted but not yet projected: opening the source projected them, and they are copied as observations",
    ),
    (
        "projection",
        "SQLite's record of how far its journal was projected; the destination's journal starts empty",
    ),
];

/// How to copy.
#[derive(Clone, Debug)]
pub struct Options {
    /// Rows per transaction.
    pub batch_rows: usize,
    /// Stop (as if killed) once this many rows were committed in this run: for testing
    /// resumption.
    pub stop_after_rows: Option<u64>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            batch_rows: BATCH_ROWS_DEFAULT,
            stop_after_rows: None,
        }
    }
}

/// How far one table is, reported after each batch and when the table is complete.
#[derive(Clone, Debug)]
pub struct Step<'a> {
    pub table: &'a str,
    /// Rows in the destination so far (earlier runs included).
    pub copied: u64,
    /// Rows of it this run copied.
    pub copied_now: u64,
    /// Rows in the source.
    pub total: u64,
    pub done: bool,
}

/// One table's outcome.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Copied {
    pub table: String,
    /// Rows in the destination (equal to the source's when the copy is complete).
    pub rows: u64,
    /// Rows of it copied by this run.
    pub copied_now: u64,
}

/// A table not copied, and why.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Skipped {
    pub table: String,
    pub reason: String,
}

/// What a run did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Summary {
    pub from: String,
    pub to: String,
    /// Whether this run continued an interrupted one.
    pub resumed: bool,
    /// False when the run stopped early (`Options::stop_after_rows`): run again to finish.
    pub complete: bool,
    pub tables: Vec<Copied>,
    pub skipped: Vec<Skipped>,
    pub rows_copied_now: u64,
    /// The source archive's verification (equal on the destination when complete).
    pub archive: ArchiveReport,
}

/// A column as the catalog describes it.
#[derive(Clone, Debug)]
struct Column {
    name: String,
    /// The declared type, lower case (`integer`, `bigint`, `double precision`, `blob`, …).
    ty: String,
    /// PostgreSQL: a `GENERATED ALWAYS AS IDENTITY` column (inserting it needs
    /// `OVERRIDING SYSTEM VALUE`).
    identity: bool,
}

/// A table as the catalog describes it.
#[derive(Clone, Debug)]
struct Table {
    name: String,
    part: Part,
    columns: Vec<Column>,
    /// The primary key's columns, in key order.
    key: Vec<String>,
    /// Tables its foreign keys refer to.
    refers_to: BTreeSet<String>,
    /// The column a sequence numbers (PostgreSQL serial or identity, SQLite AUTOINCREMENT).
    sequence: Option<String>,
}

/// One table to copy: the source's and the destination's view of it.
#[derive(Debug)]
struct Plan {
    src: Table,
    dst: Table,
    /// The columns both have, in the destination's order.
    columns: Vec<Column>,
    total: u64,
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn refused(what: String) -> StoreError {
    StoreError::Refused { what }
}

fn first_int(rows: &[Row]) -> i64 {
    rows.first()
        .and_then(|r| r.first())
        .and_then(Val::int)
        .unwrap_or(0)
}

impl Store {
    /// The parts of this store's database: SQLite's two files, PostgreSQL's one database.
    fn parts(&self) -> &'static [Part] {
        if self.is_postgres() {
            &[Part::Main]
        } else {
            &[Part::Main, Part::Archive]
        }
    }

    /// Every table of this store, from the catalogs.
    fn tables(&self) -> Result<Vec<Table>, StoreError> {
        let mut out = Vec::new();
        for &part in self.parts() {
            if self.is_postgres() {
                out.extend(self.pg_tables()?);
            } else {
                out.extend(self.sqlite_tables(part)?);
            }
        }
        Ok(out)
    }

    fn sqlite_tables(&self, part: Part) -> Result<Vec<Table>, StoreError> {
        let names = self.read_from(part, |c| {
            c.query(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
                &[],
            )
        })?;
        let mut out = Vec::new();
        for r in names {
            let name = r[0].text().unwrap_or_default();
            let sql = r[1].text().unwrap_or_default().to_uppercase();
            let cols = self.read_from(part, |c| {
                c.query(
                    "SELECT name, type, pk FROM pragma_table_info($1) ORDER BY cid",
                    &[name.as_str().into()],
                )
            })?;
            let refs = self.read_from(part, |c| {
                c.query(
                    "SELECT \"table\" FROM pragma_foreign_key_list($1)",
                    &[name.as_str().into()],
                )
            })?;
            let mut key: Vec<(i64, String)> = cols
                .iter()
                .filter(|c| c[2].int().unwrap_or(0) > 0)
                .map(|c| (c[2].int().unwrap_or(0), c[0].text().unwrap_or_default()))
                .collect();
            key.sort();
            let key: Vec<String> = key.into_iter().map(|(_, k)| k).collect();
            let sequence =
                (sql.contains("AUTOINCREMENT") && key.len() == 1).then(|| key[0].clone());
            out.push(Table {
                part,
                columns: cols
                    .iter()
                    .map(|c| Column {
                        name: c[0].text().unwrap_or_default(),
                        ty: c[1].text().unwrap_or_default().to_lowercase(),
                        identity: false,
                    })
                    .collect(),
                key,
                refers_to: refs
                    .iter()
                    .filter_map(|r| r[0].text())
                    .filter(|t| *t != name)
                    .collect(),
                sequence,
                name,
            });
        }
        Ok(out)
    }

    fn pg_tables(&self) -> Result<Vec<Table>, StoreError> {
        let (names, cols, keys, refs) = self.read(|c| {
            Ok((
                c.query(
                    "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
                    &[],
                )?,
                c.query(
                    "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT), CAST(data_type AS TEXT), \
                            CAST(is_identity AS TEXT), CAST(COALESCE(column_default, '') AS TEXT) \
                     FROM information_schema.columns WHERE table_schema = current_schema() \
                     ORDER BY table_name, ordinal_position",
                    &[],
                )?,
                c.query(
                    "SELECT CAST(cl.relname AS TEXT), CAST(a.attname AS TEXT) FROM pg_index i \
                     JOIN pg_class cl ON cl.oid = i.indrelid \
                     JOIN pg_namespace n ON n.oid = cl.relnamespace \
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
                     WHERE i.indisprimary AND n.nspname = current_schema() \
                     ORDER BY cl.relname, array_position(CAST(i.indkey AS int2[]), a.attnum)",
                    &[],
                )?,
                c.query(
                    "SELECT CAST(cl.relname AS TEXT), CAST(r.relname AS TEXT) FROM pg_constraint k \
                     JOIN pg_class cl ON cl.oid = k.conrelid \
                     JOIN pg_class r ON r.oid = k.confrelid \
                     JOIN pg_namespace n ON n.oid = cl.relnamespace \
                     WHERE k.contype = 'f' AND n.nspname = current_schema()",
                    &[],
                )?,
            ))
        })?;
        let mut tables: BTreeMap<String, Table> = names
            .iter()
            .map(|r| {
                let name = r[0].text().unwrap_or_default();
                let t = Table {
                    name: name.clone(),
                    part: Part::Main,
                    columns: Vec::new(),
                    key: Vec::new(),
                    refers_to: BTreeSet::new(),
                    sequence: None,
                };
                (name, t)
            })
            .collect();
        for r in &cols {
            let Some(t) = tables.get_mut(&r[0].text().unwrap_or_default()) else {
                continue;
            };
            let name = r[1].text().unwrap_or_default();
            let identity = r[3].text().as_deref() == Some("YES");
            if identity || r[4].text().unwrap_or_default().starts_with("nextval(") {
                t.sequence = Some(name.clone());
            }
            t.columns.push(Column {
                name,
                ty: r[2].text().unwrap_or_default().to_lowercase(),
                identity,
            });
        }
        for r in &keys {
            if let Some(t) = tables.get_mut(&r[0].text().unwrap_or_default()) {
                t.key.push(r[1].text().unwrap_or_default());
            }
        }
        for r in &refs {
            let (from, to) = (
                r[0].text().unwrap_or_default(),
                r[1].text().unwrap_or_default(),
            );
            if from != to
                && let Some(t) = tables.get_mut(&from)
            {
                t.refers_to.insert(to);
            }
        }
        Ok(tables.into_values().collect())
    }

    fn count_rows(&self, t: &Table) -> Result<u64, StoreError> {
        let sql = format!("SELECT COUNT(*) FROM {}", quote(&t.name));
        let n = self.read_from(t.part, |c| c.query(&sql, &[]))?;
        Ok(u64::try_from(first_int(&n)).unwrap_or(0))
    }

    /// Where a sequence of `t` stands (the last number it gave; 0 if none): SQLite's
    /// `sqlite_sequence`, PostgreSQL's sequence of the column.
    fn sequence_position(&self, t: &Table) -> Result<i64, StoreError> {
        let Some(col) = &t.sequence else {
            return Ok(0);
        };
        let rows = if self.is_postgres() {
            self.read(|c| {
                c.query(
                    "SELECT pg_sequence_last_value(CAST(pg_get_serial_sequence(CAST($1 AS TEXT), CAST($2 AS TEXT)) AS regclass))",
                    &[quote(&t.name).into(), col.as_str().into()],
                )
            })?
        } else {
            self.read_from(t.part, |c| {
                c.query(
                    "SELECT seq FROM sqlite_sequence WHERE name = $1",
                    &[t.name.as_str().into()],
                )
            })?
        };
        Ok(first_int(&rows))
    }

    /// Copies everything of `self` into the empty store `to` (or continues an interrupted
    /// copy), reporting each batch to `progress`.
    ///
    /// Refuses, naming the reason, when the source archive does not verify, when the
    /// destination already holds data (and no interrupted copy of this source), when a
    /// table or column holding data exists only in the source, or when a column's type is
    /// not one this copy converts. Fails when the destination archive does not verify
    /// afterwards or a table's row count differs.
    pub fn transfer_to(
        &self,
        to: &Store,
        options: &Options,
        progress: &mut dyn FnMut(&Step<'_>),
    ) -> Result<Summary, StoreError> {
        let source_archive = self.verify_archive()?;
        if let Some(e) = &source_archive.first_error {
            return Err(refused(format!(
                "the source archive does not verify ({e}); nothing copied (lantian archive verify says the same)"
            )));
        }
        let (plans, mut skipped) = plan(self, to)?;
        let dst_tables = to.tables()?;
        let resumed = dst_tables.iter().any(|t| t.name == PROGRESS_TABLE);
        let from_name = self.describe();
        let done = if resumed {
            to.progress_rows(&from_name)?
        } else {
            BTreeMap::new()
        };
        // Tables no earlier run began must be empty (on a first run: all of them).
        for t in &dst_tables {
            if SKIPPED.iter().any(|(n, _)| *n == t.name) || done.contains_key(&t.name) {
                continue;
            }
            let n = to.count_rows(t)?;
            if n > 0 {
                return Err(refused(format!(
                    "the destination is not empty: table {} has {n} rows ({}); lantian migrate copies into a new, empty database",
                    t.name,
                    to.describe()
                )));
            }
        }
        for &part in to.parts() {
            to.write_to(part, |c| {
                c.exec(
                    &format!(
                        "CREATE TABLE IF NOT EXISTS {PROGRESS_TABLE} (table_name TEXT PRIMARY KEY, source TEXT NOT NULL, \
                         last_key TEXT, rows_copied BIGINT NOT NULL, done BIGINT NOT NULL)"
                    ),
                    &[],
                )
            })?;
        }
        let mut summary = Summary {
            from: from_name.clone(),
            to: to.describe(),
            resumed,
            complete: false,
            tables: Vec::new(),
            skipped: Vec::new(),
            rows_copied_now: 0,
            archive: source_archive,
        };
        for p in &plans {
            let state = done.get(&p.dst.name).cloned().unwrap_or_default();
            let stop = options
                .stop_after_rows
                .map(|n| n.saturating_sub(summary.rows_copied_now));
            let (rows, copied_now, finished) = copy_table(
                self,
                to,
                p,
                state,
                &from_name,
                options.batch_rows,
                stop,
                progress,
            )?;
            summary.rows_copied_now += copied_now;
            summary.tables.push(Copied {
                table: p.dst.name.clone(),
                rows,
                copied_now,
            });
            if !finished {
                summary.skipped.append(&mut skipped);
                return Ok(summary);
            }
        }
        summary.skipped.append(&mut skipped);
        finish(self, to, &plans, &summary.archive)?;
        summary.complete = true;
        Ok(summary)
    }

    /// The progress rows of an interrupted copy: table → (last key, rows, done). Refuses
    /// when they are a copy of another source.
    fn progress_rows(&self, source: &str) -> Result<BTreeMap<String, Progress>, StoreError> {
        let mut out = BTreeMap::new();
        for t in self.tables()?.iter().filter(|t| t.name == PROGRESS_TABLE) {
            let rows = self.read_from(t.part, |c| {
                c.query(
                    &format!(
                        "SELECT table_name, source, last_key, rows_copied, done FROM {PROGRESS_TABLE}"
                    ),
                    &[],
                )
            })?;
            for r in rows {
                let from = r[1].text().unwrap_or_default();
                if from != source {
                    return Err(refused(format!(
                        "the destination holds an unfinished copy of another source ({from}, not {source}); \
                         finish that one, or start again on an empty database"
                    )));
                }
                let key = match r[2].text() {
                    Some(k) => Some(decode_key(&k)?),
                    None => None,
                };
                out.insert(
                    r[0].text().unwrap_or_default(),
                    Progress {
                        last_key: key,
                        rows: u64::try_from(r[3].int().unwrap_or(0)).unwrap_or(0),
                        done: r[4].int() == Some(1),
                    },
                );
            }
        }
        Ok(out)
    }
}

/// How far a table was copied.
#[derive(Clone, Debug, Default)]
struct Progress {
    last_key: Option<Vec<Val>>,
    rows: u64,
    done: bool,
}

/// The tables to copy in foreign-key order, and those left out with the reason; refuses what
/// cannot be copied without losing data.
fn plan(from: &Store, to: &Store) -> Result<(Vec<Plan>, Vec<Skipped>), StoreError> {
    let src: BTreeMap<String, Table> = from
        .tables()?
        .into_iter()
        .map(|t| (t.name.clone(), t))
        .collect();
    let dst: BTreeMap<String, Table> = to
        .tables()?
        .into_iter()
        .map(|t| (t.name.clone(), t))
        .collect();
    let mut skipped: Vec<Skipped> = dst
        .keys()
        .filter(|n| !src.contains_key(*n) && !SKIPPED.iter().any(|(s, _)| s == n))
        .map(|n| Skipped {
            table: n.clone(),
            reason: "only in the destination: nothing to copy".to_owned(),
        })
        .collect();
    let mut plans = BTreeMap::new();
    for (name, s) in &src {
        if let Some((_, why)) = SKIPPED.iter().find(|(n, _)| n == name) {
            skipped.push(Skipped {
                table: name.clone(),
                reason: (*why).to_owned(),
            });
            continue;
        }
        let total = from.count_rows(s)?;
        let Some(d) = dst.get(name) else {
            if total > 0 {
                return Err(refused(format!(
                    "table {name} holds {total} rows in the source but does not exist in the destination \
                     ({}): is one of them from another version of Lantian?",
                    to.describe()
                )));
            }
            skipped.push(Skipped {
                table: name.clone(),
                reason: "empty, and absent from the destination".to_owned(),
            });
            continue;
        };
        if s.key.is_empty() {
            return Err(refused(format!(
                "table {name} has no primary key in the source, so it cannot be copied in order (and resumed)"
            )));
        }
        let mut columns = Vec::new();
        for c in &d.columns {
            if s.columns.iter().any(|x| x.name == c.name) {
                if to.is_postgres() && pg_kind(&c.ty).is_none() {
                    return Err(refused(format!(
                        "column {name}.{} has type {} in the destination, which lantian migrate does not convert",
                        c.name, c.ty
                    )));
                }
                columns.push(c.clone());
            }
        }
        for c in &s.columns {
            if d.columns.iter().any(|x| x.name == c.name) {
                continue;
            }
            let sql = format!(
                "SELECT COUNT(*) FROM {} WHERE {} IS NOT NULL",
                quote(name),
                quote(&c.name)
            );
            let n = first_int(&from.read_from(s.part, |k| k.query(&sql, &[]))?);
            if n > 0 {
                return Err(refused(format!(
                    "column {name}.{} holds {n} values in the source but does not exist in the destination",
                    c.name
                )));
            }
        }
        plans.insert(
            name.clone(),
            Plan {
                src: s.clone(),
                dst: d.clone(),
                columns,
                total,
            },
        );
    }
    // The destination's foreign keys; a cycle (none today) is copied in name order and left
    // to the constraints to judge.
    let refers_to = plans
        .iter()
        .map(|(n, p)| (n.clone(), p.dst.refers_to.clone()))
        .collect();
    let ordered: Vec<String> = crate::fk_order::waves(&refers_to)
        .0
        .into_iter()
        .flatten()
        .collect();
    let plans = ordered
        .into_iter()
        .filter_map(|n| plans.remove(&n))
        .collect();
    Ok((plans, skipped))
}

/// What a PostgreSQL column holds, for the types the schema uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PgKind {
    Int,
    Real,
    Text,
    Bytes,
}

fn pg_kind(ty: &str) -> Option<PgKind> {
    match ty {
        "bigint" | "integer" => Some(PgKind::Int),
        "double precision" => Some(PgKind::Real),
        "text" | "character varying" => Some(PgKind::Text),
        "bytea" => Some(PgKind::Bytes),
        _ => None,
    }
}

/// `v` as the destination column wants it (SQLite takes any value: its columns convert).
fn convert(v: Val, col: &Column, to_pg: bool, table: &str) -> Result<Val, StoreError> {
    if !to_pg || v == Val::Null {
        return Ok(v);
    }
    let bad = |v: &Val| {
        refused(format!(
            "{table}.{}: the value {v:?} does not fit the destination's {}",
            col.name, col.ty
        ))
    };
    match (pg_kind(&col.ty), v) {
        (Some(PgKind::Int), Val::Int(i)) => Ok(Val::Int(i)),
        (Some(PgKind::Int), Val::Real(f)) if f.fract() == 0.0 && f.abs() < 9.0e18 => {
            Ok(Val::Int(f as i64))
        }
        (Some(PgKind::Real), Val::Real(f)) => Ok(Val::Real(f)),
        (Some(PgKind::Real), Val::Int(i)) => Ok(Val::Real(i as f64)),
        (Some(PgKind::Text), Val::Text(s)) => Ok(Val::Text(s)),
        (Some(PgKind::Text), Val::Blob(b)) => String::from_utf8(b)
            .map(Val::Text)
            .map_err(|e| bad(&Val::Blob(e.into_bytes()))),
        (Some(PgKind::Bytes), Val::Blob(b)) => Ok(Val::Blob(b)),
        (Some(PgKind::Bytes), Val::Text(s)) => Ok(Val::Blob(s.into_bytes())),
        (_, v) => Err(bad(&v)),
    }
}

/// Copies one table from where `state` says; returns the destination's rows, the rows this
/// call copied and whether the table is complete (false: stopped by `stop`).
#[allow(clippy::too_many_arguments)]
fn copy_table(
    from: &Store,
    to: &Store,
    p: &Plan,
    state: Progress,
    source: &str,
    batch_rows: usize,
    stop: Option<u64>,
    progress: &mut dyn FnMut(&Step<'_>),
) -> Result<(u64, u64, bool), StoreError> {
    let name = &p.dst.name;
    let Progress {
        mut last_key,
        rows: mut copied,
        done,
    } = state;
    let step = |copied, copied_now, done| Step {
        table: name,
        copied,
        copied_now,
        total: p.total,
        done,
    };
    if done {
        progress(&step(copied, 0, true));
        return Ok((copied, 0, true));
    }
    if stop == Some(0) {
        return Ok((copied, 0, false));
    }
    let key = &p.src.key;
    let cols: Vec<String> = p.columns.iter().map(|c| quote(&c.name)).collect();
    let select = |after: bool| {
        let keys: Vec<String> = key.iter().map(|k| quote(k)).collect();
        let place: Vec<String> = (1..=key.len()).map(|i| format!("${i}")).collect();
        format!(
            "SELECT {}, {} FROM {}{} ORDER BY {} LIMIT {}",
            cols.join(", "),
            keys.join(", "),
            quote(name),
            if after {
                format!(" WHERE ({}) > ({})", keys.join(", "), place.join(", "))
            } else {
                String::new()
            },
            keys.join(", "),
            batch_rows.max(1)
        )
    };
    let (first_sql, next_sql) = (select(false), select(true));
    let to_pg = to.is_postgres();
    let mut copied_now = 0u64;
    loop {
        let rows = match &last_key {
            None => from.read_from(p.src.part, |c| c.query(&first_sql, &[]))?,
            Some(k) => from.read_from(p.src.part, |c| c.query(&next_sql, k))?,
        };
        let n = rows.len() as u64;
        let (values, next_key) = match rows.last() {
            Some(last) => {
                let next_key = last[p.columns.len()..].to_vec();
                let mut values = Vec::with_capacity(rows.len());
                for r in rows {
                    let mut row = Vec::with_capacity(p.columns.len());
                    for (v, c) in r.into_iter().zip(&p.columns) {
                        row.push(convert(v, c, to_pg, name)?);
                    }
                    values.push(row);
                }
                (values, Some(next_key))
            }
            None => (Vec::new(), None),
        };
        // A short batch is the last: the table is complete in the same transaction.
        let finished = (n as usize) < batch_rows.max(1);
        let saved_key = next_key
            .as_ref()
            .or(last_key.as_ref())
            .map(|k| encode_key(k));
        to.write_to(p.dst.part, |c| {
            if !values.is_empty() {
                insert(c, &p.dst, &p.columns, &values, to_pg)?;
            }
            c.exec(
                &format!(
                    "INSERT INTO {PROGRESS_TABLE} (table_name, source, last_key, rows_copied, done) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (table_name) DO UPDATE SET source = excluded.source, last_key = excluded.last_key, \
                     rows_copied = excluded.rows_copied, done = excluded.done"
                ),
                &[
                    name.as_str().into(),
                    source.into(),
                    saved_key.clone().into(),
                    i64::try_from(copied + n).unwrap_or(i64::MAX).into(),
                    i64::from(finished).into(),
                ],
            )?;
            Ok(())
        })?;
        copied += n;
        copied_now += n;
        progress(&step(copied, copied_now, finished));
        if finished {
            return Ok((copied, copied_now, true));
        }
        last_key = next_key;
        if stop.is_some_and(|s| copied_now >= s) {
            return Ok((copied, copied_now, false));
        }
    }
}

/// Inserts `rows` into `t`: one prepared statement per row on SQLite (foreign keys checked
/// at commit, so a table may refer to itself in any order), multi-row statements on
/// PostgreSQL (identity values kept as they were).
fn insert(
    c: &mut dyn crate::db::Conn,
    t: &Table,
    columns: &[Column],
    rows: &[Vec<Val>],
    to_pg: bool,
) -> Result<(), StoreError> {
    let names: Vec<String> = columns.iter().map(|c| quote(&c.name)).collect();
    let head = format!(
        "INSERT INTO {} ({}){} VALUES ",
        quote(&t.name),
        names.join(", "),
        if columns.iter().any(|c| c.identity) {
            " OVERRIDING SYSTEM VALUE"
        } else {
            ""
        }
    );
    let width = columns.len().max(1);
    let tuple = |first: usize| {
        let p: Vec<String> = (first..first + width).map(|i| format!("${i}")).collect();
        format!("({})", p.join(", "))
    };
    if !to_pg {
        c.exec("PRAGMA defer_foreign_keys = ON", &[])?;
        let sql = format!("{head}{}", tuple(1));
        for r in rows {
            c.exec(&sql, r)?;
        }
        return Ok(());
    }
    for chunk in rows.chunks((PG_PARAMS_MAX / width).max(1)) {
        let tuples: Vec<String> = (0..chunk.len()).map(|i| tuple(i * width + 1)).collect();
        let params: Vec<Val> = chunk.iter().flatten().cloned().collect();
        c.exec(&format!("{head}{}", tuples.join(", ")), &params)?;
    }
    Ok(())
}

/// After the last table: sequences continue after the copied numbers, every table has the
/// source's row count, the destination's archive verifies to the source's heads, the
/// store's chain heads are reloaded and the progress table dropped.
fn finish(
    from: &Store,
    to: &Store,
    plans: &[Plan],
    archive: &ArchiveReport,
) -> Result<(), StoreError> {
    for p in plans {
        let (src_n, dst_n) = (from.count_rows(&p.src)?, to.count_rows(&p.dst)?);
        if src_n != dst_n {
            return Err(refused(format!(
                "table {} has {dst_n} rows in the destination but {src_n} in the source (was the source written to meanwhile?)",
                p.dst.name
            )));
        }
        let Some(col) = &p.dst.sequence else {
            continue;
        };
        let position = from.sequence_position(&p.src)?;
        if to.is_postgres() {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence(CAST($1 AS TEXT), CAST($2 AS TEXT)), \
                 GREATEST(COALESCE(MAX({c}), 0), CAST($3 AS BIGINT), 1), GREATEST(COALESCE(MAX({c}), 0), CAST($3 AS BIGINT)) >= 1) FROM {t}",
                c = quote(col),
                t = quote(&p.dst.name)
            );
            to.write_to(p.dst.part, |c| {
                c.query(
                    &sql,
                    &[
                        quote(&p.dst.name).into(),
                        col.as_str().into(),
                        position.into(),
                    ],
                )
                .map(drop)
            })?;
        } else if position > 0 {
            to.write_to(p.dst.part, |c| {
                c.exec(
                    "UPDATE sqlite_sequence SET seq = MAX(seq, $2) WHERE name = $1",
                    &[p.dst.name.as_str().into(), position.into()],
                )?;
                c.exec(
                    "INSERT INTO sqlite_sequence (name, seq) SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = $1)",
                    &[p.dst.name.as_str().into(), position.into()],
                )
                .map(drop)
            })?;
        }
    }
    let copied = to.verify_archive()?;
    if let Some(e) = &copied.first_error {
        return Err(refused(format!(
            "the copied archive does not verify in the destination: {e}"
        )));
    }
    if (copied.records, copied.checkpoints, &copied.heads)
        != (archive.records, archive.checkpoints, &archive.heads)
    {
        return Err(refused(format!(
            "the copied archive differs from the source's: {} records, {} checkpoints, heads {:?} in the destination; \
             {} records, {} checkpoints, heads {:?} in the source",
            copied.records,
            copied.checkpoints,
            copied.heads,
            archive.records,
            archive.checkpoints,
            archive.heads
        )));
    }
    // The destination's store continues the chains it now holds.
    *lock(&to.heads) = to.load_heads()?;
    for &part in to.parts() {
        to.write_to(part, |c| {
            c.exec(&format!("DROP TABLE IF EXISTS {PROGRESS_TABLE}"), &[])
        })?;
    }
    Ok(())
}

/// A key as JSON text: integers and text as themselves, the rest tagged.
fn encode_key(key: &[Val]) -> String {
    use serde_json::{Value, json};
    let parts: Vec<Value> = key
        .iter()
        .map(|v| match v {
            Val::Null => Value::Null,
            Val::Int(i) => json!(i),
            Val::Text(s) => json!(s),
            Val::Real(f) => json!({ "real": f }),
            Val::Blob(b) => json!({ "hex": crate::archive::hex(b) }),
        })
        .collect();
    Value::Array(parts).to_string()
}

fn decode_key(text: &str) -> Result<Vec<Val>, StoreError> {
    use serde_json::Value;
    let bad = || {
        crate::error::invalid(format!(
            "{PROGRESS_TABLE}: a key {text:?} that this version did not write"
        ))
    };
    let Ok(Value::Array(parts)) = serde_json::from_str::<Value>(text) else {
        return Err(bad());
    };
    parts
        .iter()
        .map(|p| match p {
            Value::Null => Ok(Val::Null),
            Value::Number(n) => n.as_i64().map(Val::Int).ok_or_else(bad),
            Value::String(s) => Ok(Val::Text(s.clone())),
            Value::Object(o) => {
                if let Some(f) = o.get("real").and_then(Value::as_f64) {
                    return Ok(Val::Real(f));
                }
                let hex = o.get("hex").and_then(Value::as_str).ok_or_else(bad)?;
                (0..hex.len())
                    .step_by(2)
                    .map(|i| {
                        hex.get(i..i + 2)
                            .and_then(|h| u8::from_str_radix(h, 16).ok())
                    })
                    .collect::<Option<Vec<u8>>>()
                    .map(Val::Blob)
                    .ok_or_else(bad)
            }
            _ => Err(bad()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_back_as_written_whatever_their_types() {
        let key = vec![
            Val::Text("站\"1".to_owned()),
            Val::Int(-7),
            Val::Real(1.5),
            Val::Blob(vec![0, 255, 16]),
            Val::Null,
        ];
        assert_eq!(decode_key(&encode_key(&key)).unwrap(), key);
        assert!(decode_key("{}").is_err());
    }

    #[test]
    fn postgres_columns_get_the_variant_their_type_needs_and_misfits_are_named() {
        let col = |ty: &str| Column {
            name: "c".to_owned(),
            ty: ty.to_owned(),
            identity: false,
        };
        let ok = |v: Val, ty: &str| convert(v, &col(ty), true, "t").unwrap();
        assert_eq!(ok(Val::Real(3.0), "bigint"), Val::Int(3));
        assert_eq!(ok(Val::Int(3), "double precision"), Val::Real(3.0));
        assert_eq!(
            ok(Val::Text("ab".into()), "bytea"),
            Val::Blob(b"ab".to_vec())
        );
        assert_eq!(ok(Val::Null, "bigint"), Val::Null);
        let e = convert(Val::Real(2.5), &col("bigint"), true, "t").unwrap_err();
        assert!(e.to_string().contains("t.c"), "{e}");
        // SQLite converts by itself.
        assert_eq!(
            convert(Val::Real(2.5), &col("integer"), false, "t").unwrap(),
            Val::Real(2.5)
        );
    }
}
