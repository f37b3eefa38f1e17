//! Changing, deleting or reordering any archive row is found, and the first bad record named.

use super::on_both;
use super::story::packet;
use lantian_store::*;

fn fill(s: &Store) {
    for n in 0..5 {
        s.commit_batch(&[Ingest {
            packet: Some(packet(n)),
            observations: vec![],
        }])
        .unwrap();
    }
    s.checkpoint(9).unwrap();
    assert!(s.verify_archive().unwrap().ok());
}

fn first_error(s: &Store) -> String {
    let r = s.verify_archive().unwrap();
    r.first_error
        .clone()
        .unwrap_or_else(|| panic!("tampering not detected: {r:?}"))
}

#[test]
fn a_changed_row_is_found() {
    on_both("tamper-change", |s, sql| {
        fill(s);
        sql("UPDATE archive SET verdict = 'rejected' WHERE seq = 3");
        assert!(
            first_error(s).starts_with("record main#3: content does not match"),
            "{}",
            first_error(s)
        );
    });
}

#[test]
fn a_deleted_row_is_found() {
    on_both("tamper-delete", |s, sql| {
        fill(s);
        sql("DELETE FROM archive WHERE seq = 2");
        assert!(
            first_error(s).starts_with("record main#3: expected #2 next"),
            "{}",
            first_error(s)
        );
    });
}

#[test]
fn a_deleted_tail_is_found_by_the_checkpoint() {
    on_both("tamper-tail", |s, sql| {
        fill(s);
        sql("DELETE FROM archive WHERE seq = 5");
        assert!(
            first_error(s).starts_with("record main#5: missing, but a checkpoint published it"),
            "{}",
            first_error(s)
        );
    });
}

#[test]
fn reordered_rows_are_found() {
    on_both("tamper-reorder", |s, sql| {
        fill(s);
        sql(
            "UPDATE archive SET seq = 100 WHERE seq = 2; UPDATE archive SET seq = 2 WHERE seq = 4; UPDATE archive SET seq = 4 WHERE seq = 100;",
        );
        assert!(
            first_error(s).starts_with("record main#2:"),
            "{}",
            first_error(s)
        );
    });
}
