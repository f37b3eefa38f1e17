//! Several gateways, one database: two `lantian serve` processes named east and west write
//! one PostgreSQL database (a Citus coordinator under scripts/test-citus). Each appends to an
//! archive chain of its own; both chains verify; every value is stored once and names the
//! record (chain, seq) that brought it, also when a logger moves from one gateway to the
//! other; a changed record is found on its chain; a third gateway under a name in use is
//! refused before it listens.

use super::serve::Server;
use super::*;
use lantian_core::cst;
use lantian_store::testing::{PgDb, pg_url};
use lantian_store::{Location, Store, View};
use serde_json::Value;

const H: i64 = cst::HOUR_S;
/// 2026-03-01 00:00 北京时间, as CST seconds.
fn day0() -> i64 {
    cst::day_start(lantian_core::Date::new(2026, 3, 1).unwrap())
}

/// The hourly uploads (2061) of `hours` hours from `first`, one per line.
fn hourly(mn: &str, first: i64, hours: std::ops::Range<i64>) -> String {
    let mut out = String::new();
    for h in hours {
        let t = lantian_gateway::mapping::timestamp(first + h * H);
        let header = lantian_hj212::encode::Header {
            qn: Some(&format!("{}001", t.n14())),
            st: "22",
            cn: lantian_hj212::Command(2061),
            pw: Some("123456"),
            mn: Some(mn),
            flag: Some(lantian_hj212::Flag(5)),
            pnum: None,
            pno: None,
            resend: false,
        };
        let cp = format!("DataTime={};a34004-Avg={},a34004-Flag=N", t.n14(), 30 + h);
        out.push_str(std::str::from_utf8(&lantian_hj212::encode::encode(&header, &cp)).unwrap());
    }
    out
}

fn send(to: &str, mn: &str, file: &std::path::Path) -> Value {
    let o = lantian_ok(&[
        "send",
        "--to",
        to,
        "--mn",
        mn,
        "--password",
        "123456",
        "--format",
        "packets",
        file.to_str().unwrap(),
    ]);
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn two_gateways_write_one_database_each_on_its_own_chain() {
    let Some(base) = pg_url() else { return };
    let db = PgDb::create(&base, "two-gateways");
    let url = db.url.as_str();
    let dir = temp_dir("two-gateways");
    for line in [
        "station add --id S-E --name 东站 --unit xinji --pollutants a34004",
        "station add --id S-W --name 西站 --unit xinji --pollutants a34004",
        "device add --mn 0101000000000000000SE001 --password 123456 --station S-E",
        "device add --mn 0101000000000000000SW001 --password 123456 --station S-W",
    ] {
        let mut args: Vec<&str> = line.split_whitespace().collect();
        args.splice(2..2, ["--postgres", url]);
        lantian_ok(&args);
    }
    let (e_dir, w_dir) = (dir.join("east"), dir.join("west"));
    let start = |d: &std::path::Path, name: &str| {
        Server::start(
            d.to_str().unwrap(),
            &[
                "--postgres",
                url,
                "--gateway-name",
                name,
                "--no-device-setup",
            ],
        )
    };
    let east = start(&e_dir, "east");
    let west = start(&w_dir, "west");

    // A third gateway under a name in use is refused, saying why, before it listens.
    let third = lantian(&[
        "serve",
        "--postgres",
        url,
        "--gateway-name",
        "east",
        "--data-dir",
        dir.join("third").to_str().unwrap(),
        "--hj212",
        "127.0.0.1:0",
        "--http",
        "127.0.0.1:0",
    ]);
    assert!(!third.status.success());
    assert!(
        stderr(&third).contains("\"east\" is being written by another gateway"),
        "{}",
        stderr(&third)
    );
    assert!(!stdout(&third).contains("listening"), "{}", stdout(&third));

    // Each station's first day through its own gateway, at the same time; then the east
    // logger's second day through the west gateway (a logger re-pointed, or a balancer).
    let files: Vec<(std::path::PathBuf, String)> = [
        ("se-1", "0101000000000000000SE001", 0..24),
        ("sw-1", "0101000000000000000SW001", 0..24),
        ("se-2", "0101000000000000000SE001", 24..48),
    ]
    .into_iter()
    .map(|(f, mn, hours)| {
        let p = dir.join(format!("{f}.txt"));
        std::fs::write(&p, hourly(mn, day0(), hours)).unwrap();
        (p, mn.to_owned())
    })
    .collect();
    std::thread::scope(|s| {
        let a = s.spawn(|| send(&east.hj, &files[0].1, &files[0].0));
        let b = s.spawn(|| send(&west.hj, &files[1].1, &files[1].0));
        for r in [a.join().unwrap(), b.join().unwrap()] {
            assert_eq!(r["acknowledged"], 24, "{r}");
        }
    });
    assert_eq!(send(&west.hj, &files[2].1, &files[2].0)["acknowledged"], 24);
    // The first day again through the other gateway: archived there, stored once.
    assert_eq!(send(&west.hj, &files[0].1, &files[0].0)["acknowledged"], 24);

    let verify = lantian_ok(&["archive", "verify", "--postgres", url]);
    let report: Value = serde_json::from_slice(&verify.stdout).unwrap();
    assert_eq!(report["ok"], true, "{report}");
    let heads: Vec<(String, i64)> = report["heads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h[0].as_str().unwrap().to_owned(), h[1].as_i64().unwrap()))
        .collect();
    // Every frame a logged-in device sent is archived: its login exchange too, so count
    // at least the uploads.
    assert_eq!(
        heads.iter().map(|h| h.0.as_str()).collect::<Vec<_>>(),
        ["east", "west"]
    );
    assert!(heads[0].1 >= 24 && heads[1].1 >= 72, "{heads:?}");

    let store = Store::open(&Location::Postgres(url.to_owned())).unwrap();
    let e = store
        .hourly("S-E", "a34004", day0(), day0() + 48 * H, View::Raw)
        .unwrap();
    assert_eq!(e.len(), 48);
    assert!(
        e.iter()
            .enumerate()
            .all(|(h, r)| r.value == 30.0 + h as f64)
    );
    let w = store
        .hourly("S-W", "a34004", day0(), day0() + 24 * H, View::Raw)
        .unwrap();
    assert_eq!(w.len(), 24);
    // Each value names the record that brought it first: day one of S-E on east, day two
    // on west; the repeat of day one through west added no value.
    let chains_of = |from: i64, to: i64| {
        let mut c: Vec<String> = store
            .packets_of_hours("S-E", &["a34004"], from, to)
            .unwrap()
            .into_iter()
            .map(|p| p.0)
            .collect();
        c.dedup();
        c
    };
    assert_eq!(chains_of(day0(), day0() + 24 * H), ["east"]);
    assert_eq!(chains_of(day0() + 24 * H, day0() + 48 * H), ["west"]);
    let packets = store
        .packets_of_hours("S-E", &["a34004"], day0(), day0() + 48 * H)
        .unwrap();
    assert_eq!(packets.len(), 48);
    for (chain, seqs) in [("east", &packets[..24]), ("west", &packets[24..])] {
        let seqs: Vec<i64> = seqs.iter().map(|p| p.1).collect();
        let records = store.archive_records(chain, &seqs).unwrap();
        assert_eq!(records.len(), 24);
        assert!(
            records
                .iter()
                .all(|r| r.mn.as_deref() == Some("0101000000000000000SE001"))
        );
    }
    drop((east, west));

    // A record changed on one chain is found, and named with its chain.
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.batch_execute(
        "UPDATE archive SET bytes = bytes || '\\x00'::bytea WHERE chain = 'west' AND seq = 5",
    )
    .unwrap();
    let verify = lantian(&["archive", "verify", "--postgres", url]);
    assert!(!verify.status.success());
    let report: Value = serde_json::from_slice(&verify.stdout).unwrap();
    assert!(
        report["first_error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("record west#5:"),
        "{report}"
    );
}
