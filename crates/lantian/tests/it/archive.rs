//! `lantian archive verify|digest` on a real data directory, before and after tampering.

use super::*;
use lantian_store::{Ingest, RawPacket, Store};

#[test]
fn verify_passes_on_an_intact_archive_and_names_the_first_bad_record_after_tampering() {
    let dir = temp_dir("archive");
    {
        let s = Store::open_data_dir(&dir).unwrap();
        for n in 0..4 {
            let p = RawPacket {
                received_ms: n,
                peer: "p".into(),
                mn: None,
                verdict: "accepted".into(),
                bytes: vec![b'#'; 10],
            };
            s.commit_batch(&[Ingest {
                packet: Some(p),
                observations: vec![],
            }])
            .unwrap();
        }
    }
    let d = dir.to_str().unwrap();
    let ok = lantian(&["archive", "verify", "--data-dir", d]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("\"records\":4"));
    let digest = lantian(&["archive", "digest", "--data-dir", d]);
    assert!(digest.status.success());
    assert!(
        std::fs::read_to_string(dir.join("archive-digests.txt"))
            .unwrap()
            .contains("\tmain\t4\t")
    );

    let db = rusqlite::Connection::open(dir.join("archive.db")).unwrap();
    db.execute("UPDATE archive SET bytes = X'00' WHERE seq = 3", [])
        .unwrap();
    let bad = lantian(&["archive", "verify", "--data-dir", d]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("record main#3: content does not match its hash"),
        "{}",
        stderr(&bad)
    );
}
