//! The hash chain of the raw archive: each record commits to the one before it.
//!
//! `hash(n) = SHA-256(prev_hash ‖ seq ‖ received_ms ‖ peer ‖ mn ‖ verdict ‖ bytes)` with
//! integers big-endian and each text or byte field preceded by its length. The first record
//! of a chain has 32 zero bytes as `prev_hash`.

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];
pub const GENESIS: Hash = [0; 32];
/// The chain of packets received by this gateway.
pub const MAIN_CHAIN: &str = "main";
/// A checkpoint (published digest) is written every this many records.
pub const CHECKPOINT_EVERY: i64 = 1000;

pub fn record_hash(
    prev: &Hash,
    seq: i64,
    received_ms: i64,
    peer: &str,
    mn: Option<&str>,
    verdict: &str,
    bytes: &[u8],
) -> Hash {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(seq.to_be_bytes());
    h.update(received_ms.to_be_bytes());
    for field in [
        peer.as_bytes(),
        mn.unwrap_or("").as_bytes(),
        verdict.as_bytes(),
        bytes,
    ] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field);
    }
    h.finalize().into()
}

/// SHA-256 of `bytes` as lower-case hex (evidence files, keys, report files).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub fn hex(h: &[u8]) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

/// The result of verifying an archive.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ArchiveReport {
    pub records: u64,
    pub checkpoints: u64,
    /// The hex head hash per chain.
    pub heads: Vec<(String, i64, String)>,
    /// The first problem found, naming the record.
    pub first_error: Option<String>,
}

impl ArchiveReport {
    pub fn ok(&self) -> bool {
        self.first_error.is_none()
    }
}
