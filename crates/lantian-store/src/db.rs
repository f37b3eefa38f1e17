//! The SQL both backends share: values, the connection trait, and every query written once.
//!
//! Queries use `$n` placeholders, which PostgreSQL numbers natively and the SQLite backend
//! binds by number, and `CAST(… AS BIGINT)` where PostgreSQL must know a type.

use crate::error::StoreError;
use crate::model::Observation;

/// A value crossing the SQL boundary.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Val {
    pub fn int(&self) -> Option<i64> {
        match self {
            Val::Int(i) => Some(*i),
            Val::Real(f) => Some(*f as i64),
            _ => None,
        }
    }

    pub fn real(&self) -> Option<f64> {
        match self {
            Val::Real(f) => Some(*f),
            Val::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    pub fn text(&self) -> Option<String> {
        match self {
            Val::Text(s) => Some(s.clone()),
            _ => None,
        }
    }

    pub fn blob(&self) -> Option<Vec<u8>> {
        match self {
            Val::Blob(b) => Some(b.clone()),
            _ => None,
        }
    }
}

impl From<&str> for Val {
    fn from(s: &str) -> Val {
        Val::Text(s.to_owned())
    }
}
impl From<String> for Val {
    fn from(s: String) -> Val {
        Val::Text(s)
    }
}
impl From<i64> for Val {
    fn from(i: i64) -> Val {
        Val::Int(i)
    }
}
impl From<f64> for Val {
    fn from(f: f64) -> Val {
        Val::Real(f)
    }
}
impl From<bool> for Val {
    fn from(b: bool) -> Val {
        Val::Int(i64::from(b))
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(o: Option<T>) -> Val {
        o.map_or(Val::Null, Into::into)
    }
}

pub type Row = Vec<Val>;

/// Column `i` of `r` as text (empty for NULL).
pub(crate) fn text(r: &Row, i: usize) -> String {
    r[i].text().unwrap_or_default()
}

/// One page of `SELECT columns FROM from_where ORDER BY order` and how many rows the whole
/// list has: `from_where` (the tables and the `WHERE` clause) binds `params` as `$1…$n`, the
/// page's `LIMIT` and `OFFSET` come after them. `order` must end with a unique key, so that
/// pages neither repeat nor skip a row.
pub(crate) fn page_of(
    c: &mut dyn Conn,
    columns: &str,
    from_where: &str,
    order: &str,
    params: &[Val],
    page: crate::model::Page,
) -> Result<(Vec<Row>, usize), StoreError> {
    let total = c
        .query(&format!("SELECT COUNT(*) FROM {from_where}"), params)?
        .first()
        .and_then(|r| r[0].int())
        .unwrap_or(0)
        .max(0);
    let offset = page.offset.max(0);
    if offset >= total || page.limit <= 0 {
        return Ok((Vec::new(), usize::try_from(total).unwrap_or(usize::MAX)));
    }
    let n = params.len();
    let mut p = params.to_vec();
    p.push(page.limit.into());
    p.push(offset.into());
    let rows = c.query(
        &format!(
            "SELECT {columns} FROM {from_where} ORDER BY {order} LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        ),
        &p,
    )?;
    Ok((rows, usize::try_from(total).unwrap_or(usize::MAX)))
}

/// A connection (inside a transaction when writing).
pub trait Conn {
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError>;
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, StoreError>;
    /// Inserts observations, skipping those already stored; returns how many were new.
    fn insert_observations(
        &mut self,
        rows: &[(&Observation, PacketRef<'_>)],
    ) -> Result<u64, StoreError>;
    /// Appends archive records (already chained).
    fn insert_archive(&mut self, rows: &[ArchiveRow<'_>]) -> Result<(), StoreError>;
    /// Appends journal rows (id, archive record, encoded observations). SQLite only.
    fn insert_journal(
        &mut self,
        _rows: &[(i64, PacketRef<'_>, Vec<u8>)],
    ) -> Result<(), StoreError> {
        Err(StoreError::Invalid {
            what: "this backend has no journal".to_owned(),
        })
    }
    /// Serialises transactions that write the same stations (their rollups read what the
    /// other wrote). SQLite has one writer and needs nothing.
    fn lock_stations(&mut self, _stations: &[&str]) -> Result<(), StoreError> {
        Ok(())
    }
}

/// The archive record (chain, seq) that brought a value; None for values without a packet
/// (imports, generated data).
pub type PacketRef<'a> = Option<(&'a str, i64)>;

/// One archive record to append.
#[derive(Clone, Debug)]
pub struct ArchiveRow<'a> {
    pub chain: &'a str,
    pub seq: i64,
    pub packet: &'a crate::model::RawPacket,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
}

pub const INSERT_OBSERVATION: &str = "INSERT INTO observations (station_id, code, period, ts, value, flag, packet_chain, packet_seq) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (station_id, code, period, ts) DO NOTHING";

pub const INSERT_JOURNAL: &str =
    "INSERT INTO journal (id, packet_chain, packet_seq, observations) VALUES ($1, $2, $3, $4)";

pub const INSERT_ARCHIVE: &str = "INSERT INTO archive (chain, seq, received_ms, peer, mn, verdict, bytes, prev_hash, hash) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// Hourly rollups of minute data for one station and code over `$3 <= ts < $4`, with
/// coverage in minutes (`$5` = the minutes a valid hour needs, from `lantian-core`'s
/// validity rules). Hours without a normal value get no row.
pub const ROLLUP_HOURS_FROM_MINUTES: &str = "INSERT INTO rollup_hourly (station_id, code, hour_ts, source, n_expected, n_observed, valid, mean, min, max) \
     SELECT o.station_id, o.code, o.ts - (o.ts % 3600), 'min', 60, COUNT(*) * s.min_interval_min, \
            CASE WHEN COUNT(*) * s.min_interval_min >= $5 THEN 1 ELSE 0 END, AVG(o.value), MIN(o.value), MAX(o.value) \
     FROM observations o JOIN stations s ON s.id = o.station_id \
     WHERE o.station_id = $1 AND o.code = $2 AND o.period = 'min' AND o.ts >= $3 AND o.ts < $4 AND o.flag = 'N' \
     GROUP BY o.station_id, o.code, o.ts - (o.ts % 3600), s.min_interval_min \
     ON CONFLICT (station_id, code, hour_ts) DO UPDATE SET n_expected = excluded.n_expected, \
          n_observed = excluded.n_observed, valid = excluded.valid, mean = excluded.mean, min = excluded.min, max = excluded.max";

/// Hourly means of real-time values (2011) for one station and code over `$3 <= ts < $4`,
/// read when needed (never stored): the hour start, the distinct minutes with a normal value,
/// the mean.
pub const HOURS_FROM_REALTIME: &str = "SELECT ts - (ts % 3600), COUNT(DISTINCT ts - (ts % 60)), AVG(value) FROM observations \
     WHERE station_id = $1 AND code = $2 AND period = 'rtd' AND ts >= $3 AND ts < $4 AND flag = 'N' \
     GROUP BY ts - (ts % 3600) ORDER BY 1";
