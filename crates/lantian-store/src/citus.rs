//! The Citus layout, applied after the migrations on a database with the `citus` extension:
//! time series distributed and colocated by station, the archive by chain, every other table
//! a reference table (copied to every node). The migrations themselves are the same SQL on
//! PostgreSQL and Citus; this step runs at every open, so a table a later migration adds is
//! distributed too. On plain PostgreSQL it does nothing.

use crate::error::StoreError;
use postgres::Client;
use std::collections::{BTreeMap, BTreeSet};

/// Distributed tables: (table, distribution column, colocated with). Every key of these
/// starts with the distribution column, so inserts, idempotency and rollups stay on a shard.
pub const DISTRIBUTED: [(&str, &str, &str); 8] = [
    ("observations", "station_id", "default"),
    ("rollup_hourly", "station_id", "observations"),
    ("day_changes", "station_id", "observations"),
    ("daily_records", "station_id", "observations"),
    ("corrections", "station_id", "observations"),
    ("backfilled", "station_id", "observations"),
    ("archive", "chain", "none"),
    ("archive_checkpoints", "chain", "archive"),
];

/// Tables that stay on the coordinator alone: the migrations' own bookkeeping.
const LOCAL: [&str; 1] = ["schema_migrations"];

/// Whether the database has the Citus extension.
pub fn is_citus(c: &mut Client) -> Result<bool, StoreError> {
    Ok(
        c.query_opt("SELECT 1 FROM pg_extension WHERE extname = 'citus'", &[])?
            .is_some(),
    )
}

/// Distributes what is not distributed yet (see the module doc); returns how many tables it
/// changed.
pub fn distribute(c: &mut Client) -> Result<usize, StoreError> {
    if !is_citus(c)? {
        return Ok(0);
    }
    let done: BTreeSet<String> = c
        .query(
            "SELECT logicalrelid::regclass::text FROM pg_dist_partition",
            &[],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let tables: Vec<String> = c
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1",
            &[],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut changed = 0;
    for (table, column, colocate) in DISTRIBUTED {
        if tables.iter().any(|t| t == table) && !done.contains(table) {
            c.execute(
                "SELECT create_distributed_table($1::text::regclass, $2, colocate_with => $3)",
                &[&table, &column, &colocate],
            )?;
            changed += 1;
        }
    }
    // Reference tables in foreign-key order: a table after the tables it refers to.
    let mut refers_to: BTreeMap<String, BTreeSet<String>> = tables
        .iter()
        .filter(|t| {
            !done.contains(t.as_str())
                && !LOCAL.contains(&t.as_str())
                && !DISTRIBUTED.iter().any(|(d, _, _)| d == t)
        })
        .map(|t| (t.clone(), BTreeSet::new()))
        .collect();
    for r in c.query(
        "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint WHERE contype = 'f'",
        &[],
    )? {
        if let Some(parents) = refers_to.get_mut(&r.get::<_, String>(0)) {
            parents.insert(r.get(1));
        }
    }
    let (waves, forced) = crate::fk_order::waves(&refers_to);
    if !forced.is_empty() {
        return Err(crate::error::invalid(format!(
            "Citus layout: foreign keys form a cycle through {forced:?}"
        )));
    }
    for t in waves.iter().flatten() {
        c.execute("SELECT create_reference_table($1::text::regclass)", &[t])?;
        changed += 1;
    }
    Ok(changed)
}
