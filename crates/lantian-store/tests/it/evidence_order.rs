//! The packets that brought a station's hours come in the order they were received across
//! every gateway's chain, so that a case's evidence (the first 500) is the earliest packets,
//! not those of the chain whose name sorts first.

use super::story::{obs, packet, station, units};
use super::{PgDb, pg_url, temp_dir};
use lantian_store::*;

const H: i64 = 3_600;
const DAY0: i64 = 20_000 * 86_400;

/// One hourly packet of XJ-T01 for hour `h`, received at `packet(received)`'s time.
fn hour(h: i64, received: i64) -> Ingest {
    Ingest {
        packet: Some(packet(received)),
        observations: vec![obs(
            "XJ-T01",
            "a34004",
            Period::Hour,
            DAY0 + h * H,
            30.0 + h as f64,
        )],
    }
}

/// Two gateways, one after the other: `zz-first` (its name sorts last) receives hours 0,
/// 2, 4 at times 0, 2, 4; `aa-second` receives hours 1, 3, 5 at times 1, 3, 5.
fn two_chains(open: &dyn Fn() -> Store) {
    let s = open();
    units(&s);
    s.upsert_station(&station("XJ-T01", "xinji")).unwrap();
    s.claim_chain("zz-first").unwrap();
    s.commit_batch(&[hour(0, 0), hour(2, 2), hour(4, 4)])
        .unwrap();
    drop(s);
    let s = open();
    s.claim_chain("aa-second").unwrap();
    s.commit_batch(&[hour(1, 1), hour(3, 3), hour(5, 5)])
        .unwrap();
    let got = s
        .packets_of_hours("XJ-T01", &["a34004"], DAY0, DAY0 + 6 * H)
        .unwrap();
    let want: Vec<(String, i64)> = [
        ("zz-first", 1),
        ("aa-second", 1),
        ("zz-first", 2),
        ("aa-second", 2),
        ("zz-first", 3),
        ("aa-second", 3),
    ]
    .into_iter()
    .map(|(c, q)| (c.to_owned(), q))
    .collect();
    assert_eq!(got, want, "in the order received, whatever the chain");
    // The first n of a window are its earliest n.
    let got = s
        .packets_of_hours("XJ-T01", &["a34004"], DAY0 + 2 * H, DAY0 + 6 * H)
        .unwrap();
    assert_eq!(got[..2], want[2..4]);
}

#[test]
fn packets_of_hours_come_in_the_order_received_across_chains() {
    let dir = temp_dir("evidence-order");
    two_chains(&|| Store::open_data_dir(&dir).unwrap());
    if let Some(base) = pg_url() {
        let db = PgDb::create(&base, "evidence-order");
        two_chains(&|| Store::open(&Location::Postgres(db.url.clone())).unwrap());
    }
}
