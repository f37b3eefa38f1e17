//! `lantian migrate`: the demo data copied SQLite → PostgreSQL → a new data directory answers
//! every query as the original does, a copy stopped part-way resumes without duplicates in
//! both directions, and a destination holding data (or a source archive that does not
//! verify) is refused by name.

use crate::{Killed, lantian, lantian_ok, stderr, stdout, temp_dir};
use lantian_core::{Date, cst};
use lantian_store::testing::{PgDb, pg_url};
use lantian_store::{Location, Store};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The demo's data directory, made once by `lantian serve --demo` (the feed through the real
/// gateway, archive and all) with an account added; each test copies it.
fn demo() -> &'static Path {
    static DEMO: OnceLock<PathBuf> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = temp_dir("migrate-demo");
        let mut child = Killed(
            Command::new(env!("CARGO_BIN_EXE_lantian"))
                .args(["serve", "--demo", "--data-dir"])
                .arg(&dir)
                .args(["--hj212", "127.0.0.1:0", "--http", "127.0.0.1:0"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
        let fed = lines
            .map(Result::unwrap)
            .find(|l| l.starts_with("demo feed: "))
            .expect("serve --demo ended before its feed did");
        assert!(!fed.starts_with("demo feed: 0 of"), "{fed}");
        drop(child);
        let demo = dir.join("demo");
        add_account(&["--data-dir", demo.to_str().unwrap()], "jt");
        demo
    })
}

/// `lantian user add` of a department account on a store (`--data-dir DIR` or `--postgres
/// URL`).
fn add_account(store: &[&str], username: &str) {
    let mut args = vec![
        "user",
        "add",
        "--username",
        username,
        "--role",
        "department",
        "--unit",
        "市交通运输局",
    ];
    args.extend_from_slice(store);
    lantian_ok(&args);
}

/// One test's copy of the demo, a directory to copy it back into, a PostgreSQL database of
/// its own and the demo's answers; None (and NOT RUN) without a server.
struct Setup {
    src: PathBuf,
    back: PathBuf,
    db: PgDb,
    want: Vec<String>,
}

fn setup(name: &str) -> Option<Setup> {
    let base = pg_url()?;
    let src = demo_copy(name);
    Some(Setup {
        back: src.parent().unwrap().join("back"),
        db: PgDb::create(&base, name),
        want: answers(&["--data-dir", src.to_str().unwrap()]),
        src,
    })
}

/// A copy of the demo's data directory for one test.
fn demo_copy(name: &str) -> PathBuf {
    let to = temp_dir(name).join("data");
    std::fs::create_dir_all(&to).unwrap();
    for f in std::fs::read_dir(demo()).unwrap() {
        let f = f.unwrap();
        if f.file_type().unwrap().is_file() {
            std::fs::copy(f.path(), to.join(f.file_name())).unwrap();
        }
    }
    to
}

fn migrate(from: &str, to: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["migrate", "--from", from, "--to", to];
    args.extend_from_slice(extra);
    lantian(&args)
}

/// A finished run's JSON summary.
fn summary(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_str(stdout(o).trim()).unwrap_or_else(|e| {
        panic!(
            "one JSON summary on stdout ({e}): {}\n{}",
            stdout(o),
            stderr(o)
        )
    })
}

/// Rows per table of a complete copy's summary.
fn table_rows(s: &serde_json::Value) -> Vec<(String, u64)> {
    let mut rows: Vec<(String, u64)> = s["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["table"].as_str().unwrap().to_owned(),
                t["rows"].as_u64().unwrap(),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// Every question the test asks of a store, as command lines (the store's option appended):
/// hours of a station raw and audited, the city's daily AQI, the year's progress on the
/// targets, the township ranking, an outlet's CEMS hours, the registry, accounts, the ledger
/// and the archive's verification with its head hash.
fn questions() -> Vec<Vec<String>> {
    let today = cst::today(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    );
    let from = today.add_days(-65).to_string();
    let to = today.to_string();
    let month = format!("{}-{:02}", today.year(), today.month());
    let first = Date::new(today.year(), today.month(), 1).unwrap();
    let last_month = first.add_days(-1);
    let last_month = format!("{}-{:02}", last_month.year(), last_month.month());
    let ten_days_ago = today.add_days(-10);
    [
        format!("query --scope station:DEMO-01 --period hour --from {from} --to {to} --json"),
        format!(
            "query --scope station:DEMO-01 --period hour --from {from} --to {to} --view raw --json"
        ),
        format!("query --scope city --period day --from {from} --to {to} --json"),
        format!("target progress --month {month} --json"),
        format!("report township --month {last_month} --format json"),
        format!("emissions --outlet DEMO-E1-1 --from {ten_days_ago} --to {to} --json"),
        "station list".to_owned(),
        "device list".to_owned(),
        "enterprise list".to_owned(),
        "user list".to_owned(),
        "ledger list --json".to_owned(),
        "archive verify".to_owned(),
    ]
    .iter()
    .map(|q| q.split(' ').map(str::to_owned).collect())
    .collect()
}

/// The answers of `store` (`--data-dir DIR` or `--postgres URL`) to every question.
fn answers(store: &[&str]) -> Vec<String> {
    questions()
        .iter()
        .map(|q| {
            let mut args: Vec<&str> = q.iter().map(String::as_str).collect();
            args.extend_from_slice(store);
            let out = stdout(&lantian_ok(&args));
            assert!(out.trim().len() > 2, "{args:?} answered nothing: {out:?}");
            // The 通报 says when it was issued, to the minute: the one line that is the
            // clock's, not the data's.
            out.lines()
                .filter(|l| !l.trim_start().starts_with("\"issued_zh\":"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect()
}

fn assert_same_answers(want: &[String], got: &[String], side: &str) {
    for ((q, w), g) in questions().iter().zip(want).zip(got) {
        if w != g {
            let line = w.lines().zip(g.lines()).position(|(a, b)| a != b);
            panic!(
                "{side} answers `lantian {}` differently (first differing line {line:?}; {} vs {} bytes)",
                q.join(" "),
                w.len(),
                g.len()
            );
        }
    }
}

fn audit(l: &Location) -> Vec<lantian_store::AuditEvent> {
    Store::open(l).unwrap().audit_events(1_000_000).unwrap()
}

#[test]
fn the_demo_data_round_trips_through_postgresql_with_identical_answers() {
    let Some(Setup {
        src,
        back,
        db,
        want,
    }) = setup("migrate_roundtrip")
    else {
        return;
    };
    let (s, b) = (src.to_str().unwrap(), back.to_str().unwrap());
    let want_audit = audit(&Location::Sqlite(src.join("lantian.db")));
    assert!(
        want_audit.iter().any(|e| e.object == "jt"),
        "the account added is audited"
    );

    let up = migrate(s, &db.url, &[]);
    assert!(up.status.success(), "{}", stderr(&up));
    let up = summary(&up);
    assert_eq!(up["complete"], true);
    assert_eq!(up["resumed"], false);
    let records = up["archive"]["records"].as_u64().unwrap();
    assert!(records > 1000, "the demo's packets are archived: {up}");
    let rows = table_rows(&up);
    let count = |t: &str| rows.iter().find(|(n, _)| n == t).map(|r| r.1);
    assert_eq!(count("archive"), Some(records));
    assert!(count("observations").unwrap() > 10_000, "{rows:?}");
    let skipped: Vec<&str> = up["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["table"].as_str().unwrap())
        .collect();
    assert!(
        skipped.contains(&"journal") && skipped.contains(&"projection"),
        "{skipped:?}"
    );

    let pg = ["--postgres", db.url.as_str()];
    assert_same_answers(&want, &answers(&pg), "PostgreSQL");
    assert_eq!(audit(&Location::Postgres(db.url.clone())), want_audit);

    let down = migrate(&db.url, b, &[]);
    assert!(down.status.success(), "{}", stderr(&down));
    let down = summary(&down);
    assert_eq!(down["complete"], true);
    assert_eq!(
        table_rows(&down),
        rows,
        "every table back with as many rows"
    );
    assert_eq!(
        down["archive"], up["archive"],
        "the same chain, heads and checkpoints"
    );
    assert_same_answers(
        &want,
        &answers(&["--data-dir", b]),
        "the data directory copied back",
    );
    assert_eq!(
        audit(&Location::Sqlite(back.join("lantian.db"))),
        want_audit
    );

    // Numbering continues after the copied rows on both: a new account's audit row gets the
    // next id, not one already used (PostgreSQL's sequences were set).
    let max_id = want_audit.iter().map(|e| e.id).max().unwrap();
    for (store, loc) in [
        (pg, Location::Postgres(db.url.clone())),
        (["--data-dir", b], Location::Sqlite(back.join("lantian.db"))),
    ] {
        add_account(&store, "after_move");
        let events = audit(&loc);
        assert_eq!(events.len(), want_audit.len() + 1);
        assert!(
            events
                .iter()
                .all(|e| e.object != "after_move" || e.id > max_id),
            "{events:?}"
        );
        let store = Store::open(&loc).unwrap();
        assert_eq!(store.verify_archive().unwrap().heads.len(), 1);
    }
}

#[test]
fn a_copy_stopped_part_way_resumes_without_duplicates_in_both_directions() {
    let Some(Setup {
        src,
        back,
        db,
        want,
    }) = setup("migrate_resume")
    else {
        return;
    };
    let (s, b) = (src.to_str().unwrap(), back.to_str().unwrap());

    // Up in three runs: two stopped part-way (batches of 700 rows, so the stops fall inside
    // tables: the archive first, then the observations), then the rest.
    let mut copied = 0;
    for (i, stop) in ["30000", "200000"].iter().enumerate() {
        let o = migrate(
            s,
            &db.url,
            &["--batch-rows", "700", "--stop-after-rows", stop],
        );
        assert_eq!(o.status.code(), Some(3), "stopped as asked: {}", stderr(&o));
        assert!(
            stderr(&o).contains("run the same command again"),
            "{}",
            stderr(&o)
        );
        let part = summary(&o);
        assert_eq!(part["complete"], false);
        assert_eq!(part["resumed"], i > 0);
        let now = part["rows_copied_now"].as_u64().unwrap();
        let stop: u64 = stop.parse().unwrap();
        assert!(
            (stop..stop + 700).contains(&now),
            "{now} rows for a stop at {stop}"
        );
        copied += now;
    }
    let rest = migrate(s, &db.url, &["--batch-rows", "700"]);
    assert!(rest.status.success(), "{}", stderr(&rest));
    let rest = summary(&rest);
    assert_eq!(
        (rest["complete"].as_bool(), rest["resumed"].as_bool()),
        (Some(true), Some(true))
    );
    copied += rest["rows_copied_now"].as_u64().unwrap();
    let rows = table_rows(&rest);
    let total: u64 = rows.iter().map(|r| r.1).sum();
    assert_eq!(copied, total, "every row copied once over the three runs");
    assert_same_answers(
        &want,
        &answers(&["--postgres", db.url.as_str()]),
        "PostgreSQL after resuming",
    );

    // Down, stopped inside the archive (archive.db, whose progress is kept in that file),
    // then finished.
    let o = migrate(
        &db.url,
        b,
        &["--batch-rows", "1000", "--stop-after-rows", "40000"],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let first = summary(&o)["rows_copied_now"].as_u64().unwrap();
    let done = migrate(&db.url, b, &[]);
    assert!(done.status.success(), "{}", stderr(&done));
    let done = summary(&done);
    assert_eq!(done["resumed"], true);
    assert_eq!(first + done["rows_copied_now"].as_u64().unwrap(), total);
    assert_eq!(table_rows(&done), rows);
    assert_same_answers(
        &want,
        &answers(&["--data-dir", b]),
        "the data directory after resuming",
    );

    // A complete copy leaves no progress behind: running again finds data and refuses.
    let again = migrate(&db.url, b, &[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("the destination is not empty"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn a_destination_holding_data_or_a_source_archive_that_does_not_verify_is_refused() {
    let src = demo_copy("migrate-refused");
    let s = src.to_str().unwrap();
    let root = src.parent().unwrap().to_owned();

    // A data directory in use: the error names a table that has rows, and nothing is written.
    let used = root.join("used");
    let u = used.to_str().unwrap();
    add_account(&["--data-dir", u], "someone");
    let o = migrate(s, u, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("the destination is not empty: table admin_units has"),
        "{e}"
    );
    let users = stdout(&lantian_ok(&["user", "list", "--data-dir", u]));
    assert!(
        users.contains("someone") && !users.contains("\"jt\""),
        "{users}"
    );

    // A source whose archive was changed is not copied.
    let tampered = root.join("tampered");
    std::fs::create_dir_all(&tampered).unwrap();
    for f in ["lantian.db", "archive.db"] {
        std::fs::copy(src.join(f), tampered.join(f)).unwrap();
    }
    for f in ["lantian.db-wal", "archive.db-wal"] {
        if src.join(f).exists() {
            std::fs::copy(src.join(f), tampered.join(f)).unwrap();
        }
    }
    let c = rusqlite::Connection::open(tampered.join("archive.db")).unwrap();
    c.execute("UPDATE archive SET peer = 'elsewhere' WHERE seq = 5", [])
        .unwrap();
    drop(c);
    let fresh = root.join("fresh");
    let o = migrate(tampered.to_str().unwrap(), fresh.to_str().unwrap(), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("the source archive does not verify (record main#5"),
        "{e}"
    );
    assert!(
        !fresh.join("lantian.db").exists() || {
            let store = Store::open_data_dir(&fresh).unwrap();
            store.counts().unwrap() == (0, 0, 0)
        }
    );

    // A PostgreSQL database in use, likewise.
    let Some(base) = pg_url() else {
        return;
    };
    let db = PgDb::create(&base, "migrate_refused");
    add_account(&["--postgres", &db.url], "someone");
    let o = migrate(s, &db.url, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the destination is not empty: table admin_units has"),
        "{}",
        stderr(&o)
    );
    let users = stdout(&lantian_ok(&["user", "list", "--postgres", &db.url]));
    assert!(!users.contains("\"jt\""), "nothing copied: {users}");
}
