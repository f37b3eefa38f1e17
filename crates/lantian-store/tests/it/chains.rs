//! Archive chains on PostgreSQL: a name is held by one store at a time; a lock lost with its
//! connection is taken again before the next packets, or, when another store took the name
//! meanwhile, the first refuses to write packets; a failed archive commit leaves the head
//! where the database has it.

use super::story::packet;
use lantian_store::chain::LOCK_CHECK_EVERY;
use lantian_store::testing::{PgDb, pg_url};
use lantian_store::*;

fn packets(from: i64, n: i64) -> Vec<Ingest> {
    (from..from + n)
        .map(|i| Ingest {
            packet: Some(packet(i)),
            observations: Vec::new(),
        })
        .collect()
}

/// Ends the sessions holding a chain lock (as a server restart or an administrator would).
fn kill_lock_sessions(url: &str) {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let n: i64 = c
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_locks \
             WHERE locktype = 'advisory' AND classid = 7235213 AND granted",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(n, 1, "one session holds the chain's lock");
}

#[test]
fn a_chain_has_one_writer_and_its_lock_survives_a_lost_connection() {
    let Some(base) = pg_url() else { return };
    let db = PgDb::create(&base, "chains");
    let open = || Store::open(&Location::Postgres(db.url.clone())).unwrap();
    let a = open();
    a.claim_chain("east").unwrap();
    assert_eq!(a.commit_batch(&packets(0, 3)).unwrap().packets_archived, 3);
    let b = open();
    match b.claim_chain("east") {
        Err(StoreError::Conflict { what }) => assert!(what.contains("\"east\""), "{what}"),
        other => panic!("a second claim of east: {other:?}"),
    }
    assert!(
        matches!(a.claim_chain("west"), Err(StoreError::Conflict { .. })),
        "a store writes one chain"
    );

    // The lock dies with its connection; A takes it again before its next packets.
    kill_lock_sessions(&db.url);
    std::thread::sleep(LOCK_CHECK_EVERY + std::time::Duration::from_millis(200));
    assert_eq!(a.commit_batch(&packets(3, 2)).unwrap().packets_archived, 2);
    assert!(matches!(
        b.claim_chain("east"),
        Err(StoreError::Conflict { .. })
    ));

    // Lost again, and this time B takes the name first: A refuses to write packets.
    kill_lock_sessions(&db.url);
    b.claim_chain("east").unwrap();
    std::thread::sleep(LOCK_CHECK_EVERY + std::time::Duration::from_millis(200));
    assert!(matches!(
        a.commit_batch(&packets(5, 1)),
        Err(StoreError::Conflict { .. })
    ));
    // B continues the chain where A left it.
    assert_eq!(b.commit_batch(&packets(5, 2)).unwrap().packets_archived, 2);
    let report = b.verify_archive().unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.heads.len(), 1);
    assert_eq!((report.heads[0].0.as_str(), report.heads[0].1), ("east", 7));
}
