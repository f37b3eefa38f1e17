//! SQLite's two steps: accepted observations are durable at once and visible once projected;
//! a reopened store projects what a crash left in the journal; an old database's archive
//! moves to archive.db intact.

use super::story::{obs, packet, station};
use super::temp_dir;
use lantian_store::archive::{GENESIS, record_hash};
use lantian_store::*;

fn minute_packets(from: i64, n: i64) -> Vec<Ingest> {
    (from..from + n)
        .map(|m| Ingest {
            packet: Some(packet(m)),
            observations: vec![obs("J", "a34004", Period::Min, 86_400 * 100 + m * 60, 10.0)],
        })
        .collect()
}

/// The one integer `sql` selects from SQLite file `file` of `dir`.
fn count(dir: &std::path::Path, file: &str, sql: &str) -> i64 {
    rusqlite::Connection::open(dir.join(file))
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

fn setup(s: &Store) {
    crate::story::units(s);
    s.upsert_station(&station("J", "xinji")).unwrap();
}

#[test]
fn accepted_is_durable_projected_is_visible_and_a_reopen_projects_the_rest() {
    let dir = temp_dir("journal");
    {
        let s = Store::open_data_dir(&dir).unwrap();
        setup(&s);
        let out = s.accept_batch(&minute_packets(0, 30)).unwrap();
        assert_eq!(out.packets_archived, 30);
        assert_eq!(
            s.counts().unwrap(),
            (30, 0, 0),
            "archived, not yet projected"
        );
        assert_eq!(s.projection_lag(), 30);
        let p = s.project(20).unwrap();
        assert_eq!((p.rows, p.outcome.observations_new), (20, 20));
        assert_eq!(p.outcome.hours_rolled_up, 1);
        assert_eq!(s.projection_lag(), 10);
        s.accept_batch(&minute_packets(30, 30)).unwrap();
        // That accept deleted the 20 projected rows from the journal.
        let journal_rows = |dir: &std::path::Path| -> (i64, i64) {
            rusqlite::Connection::open(dir.join("archive.db"))
                .unwrap()
                .query_row("SELECT COUNT(*), MIN(id) FROM journal", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .unwrap()
        };
        assert_eq!(journal_rows(&dir), (40, 21));
        // Dropped with 40 rows unprojected: a crash after the acknowledgement.
    }
    let s = Store::open_data_dir(&dir).unwrap();
    assert_eq!(s.projection_lag(), 0, "projected at open");
    assert_eq!(s.counts().unwrap(), (60, 60, 0));
    let hours = s
        .hourly_rollups("J", "a34004", 86_400 * 100, 86_400 * 101)
        .unwrap();
    assert_eq!(hours.len(), 1);
    assert_eq!((hours[0].n_observed, hours[0].valid), (60, true));
    // The same packets again: archived again (the archive keeps every receipt), counted
    // once as observations.
    // Journal ids go on above every id used before, though the journal was emptied.
    let again = s.commit_batch(&minute_packets(0, 60)).unwrap();
    assert_eq!(
        (again.observations_new, again.observations_duplicate),
        (0, 60)
    );
    assert_eq!(s.counts().unwrap(), (120, 60, 0));
    assert!(s.verify_archive().unwrap().ok());
}

#[test]
fn a_database_from_before_archive_db_keeps_its_archive() {
    let dir = temp_dir("journal-old");
    {
        // The layout before archive.db: the archive in lantian.db, made by its migrations.
        let c = rusqlite::Connection::open(dir.join("lantian.db")).unwrap();
        c.execute_batch(include_str!("../../migrations/sqlite/0001_init.sql"))
            .unwrap();
        c.execute_batch(
            "CREATE TABLE schema_migrations (name TEXT PRIMARY KEY); INSERT INTO schema_migrations VALUES ('0001_init');",
        )
        .unwrap();
        let mut prev = GENESIS;
        for seq in 1..=3i64 {
            let p = packet(seq);
            let h = record_hash(
                &prev,
                seq,
                p.received_ms,
                &p.peer,
                p.mn.as_deref(),
                &p.verdict,
                &p.bytes,
            );
            c.execute(
                "INSERT INTO archive VALUES ('main', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                rusqlite::params![
                    seq,
                    p.received_ms,
                    p.peer,
                    p.mn,
                    p.verdict,
                    p.bytes,
                    &prev[..],
                    &h[..]
                ],
            )
            .unwrap();
            prev = h;
        }
    }
    let s = Store::open_data_dir(&dir).unwrap();
    let r = s.verify_archive().unwrap();
    assert!(r.ok(), "{r:?}");
    assert_eq!(r.records, 3);
    // The chain goes on from the moved head.
    s.commit_batch(&minute_packets(4, 1)).unwrap();
    let r = s.verify_archive().unwrap();
    assert_eq!((r.records, r.ok()), (4, true), "{r:?}");
    let left = count(
        &dir,
        "lantian.db",
        "SELECT COUNT(*) FROM sqlite_master WHERE name = 'archive'",
    );
    assert_eq!(left, 0, "no second archive left behind in lantian.db");
}

#[test]
fn projectors_racing_each_other_project_every_row_once() {
    let dir = temp_dir("journal-race");
    let s = Store::open_data_dir(&dir).unwrap();
    setup(&s);
    let done = std::sync::atomic::AtomicBool::new(false);
    let new_total = std::sync::atomic::AtomicU64::new(0);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                while !done.load(std::sync::atomic::Ordering::Acquire) {
                    let p = s.project(7).unwrap();
                    assert_eq!(p.outcome.observations_duplicate, 0, "a row projected twice");
                    new_total.fetch_add(
                        p.outcome.observations_new,
                        std::sync::atomic::Ordering::AcqRel,
                    );
                }
            });
        }
        for b in 0..50 {
            s.accept_batch(&minute_packets(b * 10, 10)).unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::Release);
    });
    let rest = s.project_all().unwrap();
    let total = new_total.into_inner() + rest.outcome.observations_new;
    assert_eq!(total, 500);
    assert_eq!(s.counts().unwrap(), (500, 500, 0));
    // What the accepts did not delete, an idle writer does, a few rows at a time.
    let mut deleted = 0;
    loop {
        match s.trim_journal(7).unwrap() {
            0 => break,
            n => {
                assert!(n <= 7);
                deleted += n;
            }
        }
    }
    assert!(deleted > 0);
    let left = count(&dir, "archive.db", "SELECT COUNT(*) FROM journal");
    assert_eq!(left, 0, "every projected row deleted");
}

#[test]
fn of_two_values_for_one_key_in_one_round_the_first_received_is_kept() {
    let dir = temp_dir("journal-first");
    let s = Store::open_data_dir(&dir).unwrap();
    setup(&s);
    let at = 86_400 * 100;
    let batch: Vec<Ingest> = [3.0, 1.0, 2.0]
        .iter()
        .enumerate()
        .map(|(i, v)| Ingest {
            packet: Some(packet(i as i64)),
            observations: vec![
                obs("J", "a34004", Period::Hour, at + 3600, 9.0),
                obs("J", "a34004", Period::Hour, at, *v),
            ],
        })
        .collect();
    s.accept_batch(&batch).unwrap();
    let p = s.project_all().unwrap();
    assert_eq!(
        (p.outcome.observations_new, p.outcome.observations_duplicate),
        (2, 4)
    );
    let pts = s
        .series("J", "a34004", Period::Hour, at, at + 7200, View::Raw)
        .unwrap();
    assert_eq!(
        pts.iter().map(|p| p.value).collect::<Vec<_>>(),
        vec![3.0, 9.0]
    );
}
