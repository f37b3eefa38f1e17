//! The PostgreSQL backend (a real server; bulk inserts through binary COPY).

use crate::db::{ArchiveRow, Conn, PacketRef, Row, Val};
use crate::error::StoreError;
use crate::model::Observation;
use bytes::BytesMut;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls, Transaction};

const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_init",
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        "0002_ledger",
        include_str!("../migrations/postgres/0002_ledger.sql"),
    ),
    (
        "0003_data_path",
        include_str!("../migrations/postgres/0003_data_path.sql"),
    ),
    (
        "0004_sources",
        include_str!("../migrations/postgres/0004_sources.sql"),
    ),
    (
        "0005_emergency",
        include_str!("../migrations/postgres/0005_emergency.sql"),
    ),
    (
        "0006_devices_security",
        include_str!("../migrations/postgres/0006_devices_security.sql"),
    ),
    (
        "0007_accounts",
        include_str!("../migrations/postgres/0007_accounts.sql"),
    ),
    (
        "0008_audit",
        include_str!("../migrations/postgres/0008_audit.sql"),
    ),
    (
        "0009_integrity",
        include_str!("../migrations/postgres/0009_integrity.sql"),
    ),
    (
        "0010_contractors",
        include_str!("../migrations/postgres/0010_contractors.sql"),
    ),
    (
        "0011_targets",
        include_str!("../migrations/postgres/0011_targets.sql"),
    ),
    (
        "0012_ledger_parts",
        include_str!("../migrations/postgres/0012_ledger_parts.sql"),
    ),
    (
        "0013_tasks",
        include_str!("../migrations/postgres/0013_tasks.sql"),
    ),
    (
        "0014_complaints",
        include_str!("../migrations/postgres/0014_complaints.sql"),
    ),
    (
        "0015_sites",
        include_str!("../migrations/postgres/0015_sites.sql"),
    ),
    (
        "0016_cases",
        include_str!("../migrations/postgres/0016_cases.sql"),
    ),
    (
        "0017_credit",
        include_str!("../migrations/postgres/0017_credit.sql"),
    ),
    (
        "0018_sanluanwu",
        include_str!("../migrations/postgres/0018_sanluanwu.sql"),
    ),
    (
        "0019_open_data",
        include_str!("../migrations/postgres/0019_open_data.sql"),
    ),
    (
        "0020_ledger_reminders",
        include_str!("../migrations/postgres/0020_ledger_reminders.sql"),
    ),
    (
        "0021_report_schedules",
        include_str!("../migrations/postgres/0021_report_schedules.sql"),
    ),
    (
        "0022_alerts",
        include_str!("../migrations/postgres/0022_alerts.sql"),
    ),
    (
        "0023_device_keys",
        include_str!("../migrations/postgres/0023_device_keys.sql"),
    ),
    (
        "0024_device_commands",
        include_str!("../migrations/postgres/0024_device_commands.sql"),
    ),
    (
        "0025_declarations",
        include_str!("../migrations/postgres/0025_declarations.sql"),
    ),
    (
        "0026_forward_alarms",
        include_str!("../migrations/postgres/0026_forward_alarms.sql"),
    ),
    (
        "0027_backfilled_collation",
        include_str!("../migrations/postgres/0027_backfilled_collation.sql"),
    ),
    (
        "0028_packet_chain",
        include_str!("../migrations/postgres/0028_packet_chain.sql"),
    ),
    (
        "0029_observations_covering_key",
        include_str!("../migrations/postgres/0029_observations_covering_key.sql"),
    ),
    (
        "0030_daily_records",
        include_str!("../migrations/postgres/0030_daily_records.sql"),
    ),
];

impl ToSql for Val {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Val::Null => Ok(IsNull::Yes),
            Val::Int(i) if *ty == Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
            Val::Int(i) if *ty == Type::FLOAT8 => (*i as f64).to_sql(ty, out),
            Val::Int(i) => i.to_sql(ty, out),
            Val::Real(f) => f.to_sql(ty, out),
            Val::Text(s) => s.to_sql(ty, out),
            Val::Blob(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn params(p: &[Val]) -> Vec<&(dyn ToSql + Sync)> {
    p.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

fn row(r: &postgres::Row) -> Result<Row, StoreError> {
    let mut out = Vec::with_capacity(r.len());
    for (i, c) in r.columns().iter().enumerate() {
        let t = c.type_();
        let v = if *t == Type::INT8 {
            r.try_get::<_, Option<i64>>(i)?.map(Val::Int)
        } else if *t == Type::INT4 {
            r.try_get::<_, Option<i32>>(i)?
                .map(|x| Val::Int(i64::from(x)))
        } else if *t == Type::INT2 {
            r.try_get::<_, Option<i16>>(i)?
                .map(|x| Val::Int(i64::from(x)))
        } else if *t == Type::FLOAT8 {
            r.try_get::<_, Option<f64>>(i)?.map(Val::Real)
        } else if *t == Type::FLOAT4 {
            r.try_get::<_, Option<f32>>(i)?
                .map(|x| Val::Real(f64::from(x)))
        } else if *t == Type::BOOL {
            r.try_get::<_, Option<bool>>(i)?
                .map(|x| Val::Int(i64::from(x)))
        } else if *t == Type::BYTEA {
            r.try_get::<_, Option<Vec<u8>>>(i)?.map(Val::Blob)
        } else {
            r.try_get::<_, Option<String>>(i)?.map(Val::Text)
        };
        out.push(v.unwrap_or(Val::Null));
    }
    Ok(out)
}

pub fn connect(url: &str) -> Result<Client, StoreError> {
    Client::connect(url, NoTls).map_err(|e| StoreError::Open {
        backend: "PostgreSQL",
        message: e.to_string(),
    })
}

/// A connection string fit to print (and to name a migration's source): a URL without
/// what comes before its `@` (user and password) and with the value of every `password`
/// parameter (`?password=…`, `&password=…`) shown as `***`; a `key=value` string as its
/// hosts, ports and database only.
pub fn redacted(url: &str) -> String {
    let Some(scheme) = ["postgres://", "postgresql://"]
        .into_iter()
        .find(|p| url.starts_with(p))
    else {
        let Ok(c) = url.parse::<postgres::Config>() else {
            return "(connection string not shown)".to_owned();
        };
        let hosts: Vec<String> = c
            .get_hosts()
            .iter()
            .map(|h| match h {
                postgres::config::Host::Tcp(name) => name.clone(),
                postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        let ports: Vec<String> = c.get_ports().iter().map(u16::to_string).collect();
        let ports = if ports.is_empty() {
            String::new()
        } else {
            format!(":{}", ports.join(","))
        };
        return format!(
            "{}{ports}/{}",
            hosts.join(","),
            c.get_dbname().unwrap_or_default()
        );
    };
    // As the driver reads a URL: the credentials end at the first `@`, the parameters
    // begin at the first `?` after them and are separated by `&`.
    let rest = &url[scheme.len()..];
    let (shown, after) = match rest.split_once('@') {
        Some((_, after)) => ("", after),
        None => (scheme, rest),
    };
    let (place, params) = match after.split_once('?') {
        Some((place, params)) => (place, Some(params)),
        None => (after, None),
    };
    // An `@` left in the place is taken to end a password too.
    let place = place.rsplit('@').next().unwrap_or(place);
    let mut out = format!("{shown}{place}");
    if let Some(params) = params {
        let params: Vec<String> = params
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if percent_decoded(k) == b"password" => format!("{k}=***"),
                _ => p.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

/// `s` with its `%XX` escapes decoded, as the driver decodes a parameter's name.
fn percent_decoded(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let escaped = (b[i] == b'%')
            .then(|| s.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    out
}

/// Runs the migrations not run yet, then the Citus layout where the extension is present
/// ([`crate::citus`]); under a session lock, so that servers starting together (several
/// gateways, one database) migrate one after the other.
pub fn migrate(c: &mut Client) -> Result<(), StoreError> {
    c.batch_execute("SELECT pg_advisory_lock(7235212)")?;
    let done = run_migrations(c).and_then(|()| crate::citus::distribute(c).map(drop));
    c.batch_execute("SELECT pg_advisory_unlock(7235212)")?;
    done
}

fn run_migrations(c: &mut Client) -> Result<(), StoreError> {
    c.batch_execute("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY)")?;
    for (name, sql) in MIGRATIONS {
        let done: i64 = c
            .query_one(
                "SELECT COUNT(*) FROM schema_migrations WHERE name = $1",
                &[name],
            )?
            .get(0);
        if done == 0 {
            let mut tx = c.transaction()?;
            tx.batch_execute(sql)?;
            tx.execute("INSERT INTO schema_migrations (name) VALUES ($1)", &[name])?;
            tx.commit()?;
        }
    }
    Ok(())
}

impl Conn for Transaction<'_> {
    fn exec(&mut self, sql: &str, p: &[Val]) -> Result<u64, StoreError> {
        Ok(self.execute(sql, &params(p))?)
    }

    fn query(&mut self, sql: &str, p: &[Val]) -> Result<Vec<Row>, StoreError> {
        Transaction::query(self, sql, &params(p))?
            .iter()
            .map(row)
            .collect()
    }

    fn lock_stations(&mut self, stations: &[&str]) -> Result<(), StoreError> {
        // Sorted, so that two transactions never wait on each other in a cycle.
        for s in stations {
            self.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[s])?;
        }
        Ok(())
    }

    fn insert_archive(&mut self, rows: &[ArchiveRow<'_>]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let sink = self.copy_in("COPY archive (chain, seq, received_ms, peer, mn, verdict, bytes, prev_hash, hash) FROM STDIN (FORMAT BINARY)")?;
        let types = [
            Type::TEXT,
            Type::INT8,
            Type::INT8,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::BYTEA,
            Type::BYTEA,
            Type::BYTEA,
        ];
        let mut w = BinaryCopyInWriter::new(sink, &types);
        for r in rows {
            let p = r.packet;
            w.write(&[
                &r.chain,
                &r.seq,
                &p.received_ms,
                &p.peer,
                &p.mn,
                &p.verdict,
                &p.bytes,
                &&r.prev_hash[..],
                &&r.hash[..],
            ])?;
        }
        w.finish()?;
        Ok(())
    }

    /// Binary COPY straight into the table, which is as fast as PostgreSQL takes rows in.
    /// A key already stored (a resend) or twice in the batch aborts the COPY: then, back at
    /// the savepoint, the rows go through a staging table and one INSERT … ON CONFLICT DO
    /// NOTHING, which keeps the first and counts the new.
    fn insert_observations(
        &mut self,
        rows: &[(&Observation, PacketRef<'_>)],
    ) -> Result<u64, StoreError> {
        if rows.is_empty() {
            return Ok(0);
        }
        self.batch_execute("SAVEPOINT observations_copy")?;
        match copy_observations(self, "observations", rows) {
            Ok(()) => {
                self.batch_execute("RELEASE SAVEPOINT observations_copy")?;
                return Ok(rows.len() as u64);
            }
            // A key already stored, whatever words the server uses for it (Citus wraps a
            // shard's unique violation as XX000; its text follows lc_messages): any error
            // the server reports goes the careful way, which reports a real one again.
            Err(e) if e.as_db_error().is_some() => {
                self.batch_execute("ROLLBACK TO SAVEPOINT observations_copy")?;
            }
            Err(e) => return Err(e.into()),
        }
        self.batch_execute(
            "CREATE TEMP TABLE IF NOT EXISTS obs_stage (station_id TEXT, code TEXT, period TEXT, ts BIGINT, \
             value DOUBLE PRECISION, flag TEXT, packet_chain TEXT, packet_seq BIGINT) ON COMMIT DELETE ROWS",
        )?;
        copy_observations(self, "obs_stage", rows)?;
        // The rows inserted are counted from RETURNING: Citus, which runs this INSERT …
        // SELECT through the coordinator, reports the rows it read as the command's count.
        let new = self
            .query(
                "INSERT INTO observations (station_id, code, period, ts, value, flag, packet_chain, packet_seq) \
                 SELECT * FROM obs_stage \
                 ON CONFLICT (station_id, code, period, ts) DO NOTHING RETURNING 1",
                &[],
            )?
            .len() as u64;
        self.execute("DELETE FROM obs_stage", &[])?;
        Ok(new)
    }
}

/// Binary COPY of observations into `table` (`observations` or its staging table).
pub(crate) fn copy_observations(
    tx: &mut Transaction<'_>,
    table: &str,
    rows: &[(&Observation, PacketRef<'_>)],
) -> Result<(), postgres::Error> {
    let sink = tx.copy_in(&format!(
        "COPY {table} (station_id, code, period, ts, value, flag, packet_chain, packet_seq) FROM STDIN (FORMAT BINARY)"
    ))?;
    let types = [
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::INT8,
        Type::FLOAT8,
        Type::TEXT,
        Type::TEXT,
        Type::INT8,
    ];
    let mut w = BinaryCopyInWriter::new(sink, &types);
    for (o, packet) in rows {
        w.write(&[
            &o.station_id.as_str(),
            &o.code.as_str(),
            &o.period.as_str(),
            &o.ts,
            &o.value,
            &o.flag.as_str(),
            &packet.map(|p| p.0),
            &packet.map(|p| p.1),
        ])?;
    }
    w.finish().map(drop)
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn a_printed_connection_string_shows_no_password_in_any_form() {
        let cases = [
            // The forms lantian has always printed stay as they were.
            ("postgres://lantian:pw@db.example/hebei", "db.example/hebei"),
            (
                "postgresql://lantian:pw@db.example:5433/hebei?sslmode=disable",
                "db.example:5433/hebei?sslmode=disable",
            ),
            ("postgres://db.example/hebei", "postgres://db.example/hebei"),
            // A password as a parameter, first, later, or with an escaped name.
            (
                "postgres://db.example/hebei?password=pw",
                "postgres://db.example/hebei?password=***",
            ),
            (
                "postgres://lantian@db.example/hebei?sslmode=disable&password=pw&application_name=gw",
                "db.example/hebei?sslmode=disable&password=***&application_name=gw",
            ),
            (
                "postgres://db.example/hebei?pass%77ord=pw",
                "postgres://db.example/hebei?pass%77ord=***",
            ),
            // A parameter holding an `@` does not move the end of the credentials.
            (
                "postgres://lantian:pw@db.example/hebei?application_name=a@b&password=pw",
                "db.example/hebei?application_name=a@b&password=***",
            ),
            // key=value: hosts, ports and database only.
            (
                "host=db.example port=5433 user=lantian password='p w' dbname=hebei",
                "db.example:5433/hebei",
            ),
            (
                "host=db.example dbname=hebei password=pw",
                "db.example/hebei",
            ),
            ("password=pw host='db", "(connection string not shown)"),
        ];
        for (url, want) in cases {
            let got = redacted(url);
            assert_eq!(got, want, "{url}");
            assert!(!got.contains("pw") && !got.contains("p w"), "{url}: {got}");
        }
    }
}
