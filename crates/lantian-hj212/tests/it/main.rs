//! Integration tests of the HJ 212 codec: the specification's vectors, the public sample
//! packets as golden files, replies, and property tests.

#![allow(clippy::unwrap_used)]

mod header;
mod hj212_2025;
mod properties;
mod samples;
mod vectors;

use std::path::PathBuf;

pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn shared(rel: &str) -> PathBuf {
    let p = crate_dir().join("../../../shared/data").join(rel);
    assert!(
        p.exists(),
        "test data {} is missing: CI runs with ../shared beside the project",
        p.display()
    );
    p
}

/// Compares `actual` with the golden file, or rewrites it when `UPDATE_GOLDEN=1`.
pub fn check_golden(name: &str, actual: &str) {
    let path = crate_dir().join("test_data").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected != actual {
        for (i, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
            assert_eq!(
                e,
                a,
                "{name} line {}: run with UPDATE_GOLDEN=1 if the change is intended",
                i + 1
            );
        }
        assert_eq!(
            expected.lines().count(),
            actual.lines().count(),
            "{name}: line count differs"
        );
    }
}
