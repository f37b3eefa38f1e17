//! kill -9 in the middle of batches on SQLite: after restart the archive verifies and every
//! batch the writer saw committed is there.

use super::story::{obs, packet};
use super::temp_dir;
use lantian_store::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BATCH_OBSERVATIONS: i64 = 2000;

/// The child: commits batches forever, printing each committed batch number.
#[test]
#[ignore = "run by kill_9_mid_batch_loses_nothing_committed as a child process"]
fn child_writer() {
    let dir = std::env::var("LANTIAN_CRASH_DIR").expect("run as a child");
    let s = Store::open_data_dir(std::path::Path::new(&dir)).unwrap();
    for k in 0.. {
        let batch: Vec<Ingest> = (0..20)
            .map(|p| Ingest {
                packet: Some(packet(k * 20 + p)),
                observations: (0..BATCH_OBSERVATIONS / 20)
                    .map(|i| {
                        obs(
                            "S",
                            "a34004",
                            Period::Min,
                            (k * BATCH_OBSERVATIONS + p * 100 + i) * 60,
                            1.0,
                        )
                    })
                    .collect(),
            })
            .collect();
        s.commit_batch(&batch).unwrap();
        println!("committed {k}");
    }
}

#[test]
fn kill_9_mid_batch_loses_nothing_committed() {
    let dir = temp_dir("crash");
    {
        let s = Store::open_data_dir(&dir).unwrap();
        s.upsert_station(&super::story::station("S", "x")).ok();
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "crash::child_writer",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LANTIAN_CRASH_DIR", &dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut last = -1i64;
    while let Some(Ok(l)) = lines.next() {
        if let Some(k) = l.strip_prefix("committed ") {
            last = k.parse().unwrap();
            if last >= 7 {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(last >= 7, "the child committed too little before the kill");
    let s = Store::open_data_dir(&dir).unwrap();
    let report = s.verify_archive().unwrap();
    assert!(report.ok(), "{report:?}");
    let (archived, observed, _) = s.counts().unwrap();
    assert!(
        archived >= (last + 1) * 20,
        "{archived} packets, {} committed",
        (last + 1) * 20
    );
    assert!(observed >= (last + 1) * BATCH_OBSERVATIONS);
    assert_eq!(archived % 20, 0, "a batch is all or nothing");
    assert_eq!(observed, archived / 20 * BATCH_OBSERVATIONS);
    // The store keeps working after the crash.
    s.commit_batch(&[Ingest {
        packet: Some(packet(1)),
        observations: vec![],
    }])
    .unwrap();
    assert!(s.verify_archive().unwrap().ok());
}
