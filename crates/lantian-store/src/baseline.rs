//! What the PostgreSQL ingest is measured against in `lantian bench store`: a bare binary
//! COPY of the same rows into a table shaped like `observations` (its columns and primary
//! key, nothing else), one transaction per batch. The store's ingest does more (the archive,
//! idempotency, rollups, per-station locks); the gap between the two is its cost.

use crate::db::PacketRef;
use crate::error::StoreError;
use crate::model::Observation;
use crate::{Backend, Store, pg};

/// One writer's connection to a baseline table.
pub struct BaselineCopy {
    client: postgres::Client,
    table: String,
}

impl std::fmt::Debug for BaselineCopy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BaselineCopy")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// A writer for the baseline table `table` (created like `observations` when missing).
    /// PostgreSQL only.
    pub fn baseline_copy(&self, table: &str) -> Result<BaselineCopy, StoreError> {
        let Backend::Postgres { url, .. } = &self.backend else {
            return Err(StoreError::Invalid {
                what: "the COPY baseline is measured on PostgreSQL only".to_owned(),
            });
        };
        if table.is_empty()
            || table.len() > 63
            || !table
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(StoreError::Invalid {
                what: format!(
                    "baseline table name {table:?}: 1 to 63 ASCII letters, digits or '_'"
                ),
            });
        }
        let mut client = pg::connect(url)?;
        client.batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {table} (LIKE observations INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)"
        ))?;
        Ok(BaselineCopy {
            client,
            table: table.to_owned(),
        })
    }
}

impl BaselineCopy {
    /// COPYs `rows` in one transaction.
    pub fn copy(&mut self, rows: &[Observation]) -> Result<(), StoreError> {
        let rows: Vec<(&Observation, PacketRef<'_>)> = rows.iter().map(|o| (o, None)).collect();
        let mut tx = self.client.transaction()?;
        pg::copy_observations(&mut tx, &self.table, &rows)?;
        tx.commit()?;
        Ok(())
    }

    /// Drops the table.
    pub fn drop_table(mut self) -> Result<(), StoreError> {
        self.client
            .batch_execute(&format!("DROP TABLE IF EXISTS {}", self.table))?;
        Ok(())
    }
}
