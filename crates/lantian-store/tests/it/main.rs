//! Integration tests of the store: one story on SQLite and on a real PostgreSQL server,
//! tampering with the archive, kill -9 in the middle of a batch, faults, and the SQLite
//! journal between acceptance and projection.

#![allow(clippy::unwrap_used)]

mod apikeys;
mod audit;
mod chains;
mod citus;
mod crash;
mod describe;
mod device_commands;
mod device_keys;
mod emergency;
mod evidence_order;
mod faults;
mod integrity;
mod journal;
mod ledger_parts;
mod operations;
mod paging;
mod story;
mod tamper;
mod targets;
mod tasks;
mod users;

pub use lantian_store::testing::{PgDb, pg_url};
use lantian_store::{Location, Store};
use std::path::PathBuf;

pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lantian-store-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs `f` on a fresh SQLite store and, when a server is available, a fresh PostgreSQL one.
pub fn on_both(tag: &str, f: impl Fn(&Store, &dyn Fn(&str))) {
    let dir = temp_dir(tag);
    let store = Store::open_data_dir(&dir).unwrap();
    let path = dir.join("lantian.db");
    f(&store, &|sql| {
        // The archive is in archive.db; attached, its tables resolve by their plain names.
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute(
            "ATTACH DATABASE ?1 AS arc",
            [dir.join("archive.db").to_str().unwrap()],
        )
        .unwrap();
        c.execute_batch(sql).unwrap()
    });
    if let Some(base) = pg_url() {
        let db = PgDb::create(&base, tag);
        let store = Store::open(&Location::Postgres(db.url.clone())).unwrap();
        let url = db.url.clone();
        f(&store, &|sql| {
            postgres::Client::connect(&url, postgres::NoTls)
                .unwrap()
                .batch_execute(sql)
                .unwrap()
        });
    }
}
