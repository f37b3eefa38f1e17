//! Integration tests of the store: one story on SQLite and on a real PostgreSQL server,
//! tampering with the archive, kill -9 in the middle of a batch, faults, and the SQLite
//! journal between acceptance and projection.

#![allow(clippy::unwrap_used)]

mod crash;
mod faults;
mod journal;
mod story;
mod tamper;

use lantian_store::{Location, Store};
use std::path::PathBuf;

pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lantian-store-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The PostgreSQL server to test against: `LANTIAN_TEST_PG_URL`. Under CI it must be set
/// (scripts/test-all starts a server); elsewhere the PostgreSQL half says it did not run.
pub fn pg_url() -> Option<String> {
    match std::env::var("LANTIAN_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run the PostgreSQL tests: set LANTIAN_TEST_PG_URL (scripts/test-all does)"
            );
            eprintln!(
                "NOT RUN: PostgreSQL half of this test (LANTIAN_TEST_PG_URL is not set; scripts/test-all sets it)"
            );
            None
        }
    }
}

/// A fresh database on the test server, dropped when the guard goes.
#[derive(Debug)]
pub struct PgDb {
    pub url: String,
    admin: String,
    name: String,
}

impl PgDb {
    pub fn create(base: &str, tag: &str) -> PgDb {
        let name = format!("lantian_t_{}_{}", std::process::id(), tag.replace('-', "_"));
        let mut c = postgres::Client::connect(base, postgres::NoTls).unwrap();
        c.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .unwrap();
        c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let (head, _) = base.rsplit_once('/').unwrap();
        PgDb {
            url: format!("{head}/{name}"),
            admin: base.to_owned(),
            name,
        }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
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
