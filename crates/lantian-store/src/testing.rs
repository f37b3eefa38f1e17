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
        let db = PgDb {
            url: format!("{head}/{name}"),
            admin: base.to_owned(),
            name,
        };
        if let Some(workers) = citus_workers() {
            db.make_citus(&workers);
        }
        db
    }

    /// On a Citus cluster (`LANTIAN_TEST_CITUS_WORKERS`): the same database on every worker,
    /// the extension in each, the workers registered from the coordinator. Citus keeps its
    /// node list per database, so each test database is a cluster of its own.
    fn make_citus(&self, workers: &[String]) {
        // One set-up at a time, across threads and test processes: adding a node copies
        // the roles to it, and two at once fail on the same catalog row.
        let mut guard = postgres::Client::connect(&self.admin, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connecting to LANTIAN_TEST_PG_URL: {e:?}"));
        guard
            .batch_execute("SELECT pg_advisory_lock(7235214)")
            .unwrap_or_else(|e| panic!("locking the Citus set-up: {e:?}"));
        let sql = |url: &str, sql: &str| {
            let mut c = postgres::Client::connect(url, postgres::NoTls)
                .unwrap_or_else(|e| panic!("connecting to {url}: {e:?}"));
            c.batch_execute(sql)
                .unwrap_or_else(|e| panic!("{url}: {sql}: {e:?}"));
        };
        for w in workers {
            let admin = on_node(&self.admin, w);
            sql(&admin, &format!("DROP DATABASE IF EXISTS {}", self.name));
            sql(&admin, &format!("CREATE DATABASE {}", self.name));
            sql(&on_node(&self.url, w), "CREATE EXTENSION citus");
        }
        let coordinator = node_of(&self.url);
        let (host, port) = coordinator.rsplit_once(':').expect("host:port");
        let mut setup =
            format!("CREATE EXTENSION citus; SELECT citus_set_coordinator_host('{host}', {port});");
        for w in workers {
            let (host, port) = w
                .rsplit_once(':')
                .expect("LANTIAN_TEST_CITUS_WORKERS: host:port,…");
            setup.push_str(&format!("SELECT citus_add_node('{host}', {port});"));
        }
        sql(&self.url, &setup);
    }
}

/// The workers of the Citus cluster under test (`LANTIAN_TEST_CITUS_WORKERS`, host:port,…;
/// scripts/test-citus sets it), or None on a plain PostgreSQL server.
pub fn citus_workers() -> Option<Vec<String>> {
    let v = std::env::var("LANTIAN_TEST_CITUS_WORKERS").ok()?;
    let w: Vec<String> = v
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    (!w.is_empty()).then_some(w)
}

/// The host:port of a postgres:// URL.
fn node_of(url: &str) -> &str {
    let rest = url.split_once('@').map_or(url, |(_, r)| r);
    rest.split_once('/').map_or(rest, |(n, _)| n)
}

/// The same URL (user, password, database) on another node.
fn on_node(url: &str, node: &str) -> String {
    url.replacen(node_of(url), node, 1)
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let mut admins = vec![self.admin.clone()];
        admins.extend(
            citus_workers()
                .unwrap_or_default()
                .iter()
                .map(|w| on_node(&self.admin, w)),
        );
        for admin in admins {
            if let Ok(mut c) = postgres::Client::connect(&admin, postgres::NoTls) {
                let _ = c.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ));
            }
        }
    }
}
