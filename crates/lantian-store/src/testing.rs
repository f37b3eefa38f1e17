//! Helpers for tests against a real PostgreSQL server (feature `testing`): the server's URL
//! and a fresh database per test, dropped afterwards.

/// Says that a test could not run its real part (a server, a browser, a mount). Under CI
/// (`CI` set, as `.ci/run` does) that fails the test; elsewhere it prints `NOT RUN: what`
/// and appends that line to the file `LANTIAN_NOT_RUN_LOG` names, which `scripts/test-all`
/// lists at the end (cargo hides a passing test's output).
pub fn not_run(what: &str) {
    assert!(std::env::var_os("CI").is_none(), "CI must run this: {what}");
    eprintln!("NOT RUN: {what}");
    if let Some(path) = std::env::var_os("LANTIAN_NOT_RUN_LOG") {
        use std::io::Write;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path);
        if let Err(e) = file.and_then(|mut f| writeln!(f, "NOT RUN: {what}")) {
            eprintln!(
                "cannot append to LANTIAN_NOT_RUN_LOG {}: {e}",
                path.to_string_lossy()
            );
        }
    }
}

/// The PostgreSQL server to test against: `LANTIAN_TEST_PG_URL`. Under CI it must be set
/// (scripts/test-all starts a server); elsewhere the PostgreSQL half says it did not run.
pub fn pg_url() -> Option<String> {
    match std::env::var("LANTIAN_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            not_run(
                "PostgreSQL half of this test (LANTIAN_TEST_PG_URL is not set; scripts/test-all sets it)",
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
    /// Creates database `lantian_t_PID_TAG` on the server `base` points at (a leftover of
    /// that name is dropped first); panics with the reason when the server says no.
    pub fn create(base: &str, tag: &str) -> PgDb {
        let name = format!("lantian_t_{}_{}", std::process::id(), tag.replace('-', "_"));
        let mut c = postgres::Client::connect(base, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connecting to LANTIAN_TEST_PG_URL: {e:?}"));
        // Two statements: CREATE DATABASE cannot run inside the implicit transaction of one.
        for sql in [
            format!("DROP DATABASE IF EXISTS {name}"),
            format!("CREATE DATABASE {name}"),
        ] {
            c.batch_execute(&sql)
                .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        }
        let (head, _) = base
            .rsplit_once('/')
            .expect("LANTIAN_TEST_PG_URL ends in /DATABASE");
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
