//! Writing observations and packets: batches in one transaction, the archive chain, rollups
//! of touched hours and days, corrections, and archive verification.

use crate::archive::{
    self, ArchiveReport, CHECKPOINT_EVERY, GENESIS, Hash, MAIN_CHAIN, record_hash,
};
use crate::db::{ArchiveRow, Conn, ROLLUP_DAYS, ROLLUP_HOURS, Val};
use crate::error::StoreError;
use crate::model::*;
use crate::{Store, lock};
use std::collections::{BTreeSet, HashMap};

const HOUR_S: i64 = 3600;
const DAY_S: i64 = 86_400;

impl Store {
    pub(crate) fn load_heads(&self) -> Result<HashMap<String, (i64, Hash)>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT a.chain, a.seq, a.hash FROM archive a WHERE a.seq = (SELECT MAX(seq) FROM archive b WHERE b.chain = a.chain)",
                &[],
            )
        })?;
        let mut heads = HashMap::new();
        for r in rows {
            let hash: Hash = r[2]
                .blob()
                .and_then(|b| b.try_into().ok())
                .unwrap_or(GENESIS);
            heads.insert(
                r[0].text().unwrap_or_default(),
                (r[1].int().unwrap_or(0), hash),
            );
        }
        Ok(heads)
    }

    /// Commits packets and their observations in one transaction: archive records (chained),
    /// observations (new ones only), and the rollups of every hour and day they touch.
    pub fn commit_batch(&self, batch: &[Ingest]) -> Result<BatchOutcome, StoreError> {
        // The archive chain orders batches with packets; batches of values alone only
        // serialise per station (lock_stations), so they may commit concurrently.
        let has_packets = batch.iter().any(|i| i.packet.is_some());
        let mut heads = has_packets.then(|| lock(&self.heads));
        let (mut seq, mut hash) = heads
            .as_ref()
            .and_then(|h| h.get(MAIN_CHAIN).copied())
            .unwrap_or((0, GENESIS));
        let mut stations: Vec<&str> = batch
            .iter()
            .flat_map(|i| i.observations.iter().map(|o| o.station_id.as_str()))
            .collect();
        stations.sort_unstable();
        stations.dedup();
        let (outcome, seq, hash) = self.write(|c| {
            c.lock_stations(&stations)?;
            let mut out = BatchOutcome::default();
            let mut rows: Vec<(&Observation, Option<i64>)> = Vec::new();
            let mut checkpoint = false;
            let mut archive_rows = Vec::with_capacity(batch.len());
            for ing in batch {
                let mut packet_seq = None;
                if let Some(p) = &ing.packet {
                    seq += 1;
                    let h = record_hash(&hash, seq, p.received_ms, &p.peer, p.mn.as_deref(), &p.verdict, &p.bytes);
                    archive_rows.push(ArchiveRow { chain: MAIN_CHAIN, seq, packet: p, prev_hash: hash, hash: h });
                    hash = h;
                    packet_seq = Some(seq);
                    out.packets_archived += 1;
                    checkpoint |= seq % CHECKPOINT_EVERY == 0;
                }
                rows.extend(ing.observations.iter().map(|o| (o, packet_seq)));
            }
            c.insert_archive(&archive_rows)?;
            // Checked after the archive rows are written: a bad value aborts the whole batch.
            if let Some(o) = rows.iter().map(|(o, _)| *o).find(|o| !o.value.is_finite() || o.station_id.is_empty() || o.code.is_empty()) {
                return Err(StoreError::Invalid {
                    what: format!("observation {} {} at {}: value {} is not a finite number (batch not committed)", o.station_id, o.code, o.ts, o.value),
                });
            }
            if checkpoint {
                insert_checkpoint(c, seq, &hash, batch.iter().filter_map(|i| i.packet.as_ref()).map(|p| p.received_ms).max().unwrap_or(0))?;
            }
            out.observations_new = c.insert_observations(&rows)?;
            out.observations_duplicate = rows.len() as u64 - out.observations_new;
            let (hours, days) = touched(rows.iter().map(|(o, _)| *o));
            // One statement per station and code covers every touched hour (then day).
            for ((station, code), (first, last)) in spans(&hours) {
                c.exec(ROLLUP_HOURS, &[station.as_str().into(), code.as_str().into(), first.into(), (last + HOUR_S).into()])?;
            }
            for ((station, code), (first, last)) in spans(&days) {
                c.exec(ROLLUP_DAYS, &[station.as_str().into(), code.as_str().into(), first.into(), (last + DAY_S).into()])?;
            }
            out.hours_rolled_up = hours.len() as u64;
            out.days_rolled_up = days.len() as u64;
            Ok((out, seq, hash))
        })?;
        if let Some(h) = heads.as_mut() {
            h.insert(MAIN_CHAIN.to_owned(), (seq, hash));
        }
        Ok(outcome)
    }

    /// Records a correction or invalidation; the raw value stays as it was.
    pub fn add_correction(&self, k: &Correction) -> Result<i64, StoreError> {
        if k.reason_code.trim().is_empty() || k.who.trim().is_empty() {
            return Err(StoreError::Invalid {
                what: "a correction needs a reason code and who made it".to_owned(),
            });
        }
        if k.action == CorrectionAction::Correct && !k.value.is_some_and(f64::is_finite) {
            return Err(StoreError::Invalid {
                what: "a correction needs a finite value".to_owned(),
            });
        }
        let key = [
            k.station_id.as_str().into(),
            k.code.as_str().into(),
            k.period.as_str().into(),
            k.ts.into(),
        ];
        self.write(|c| {
            let exists = c.query(
                "SELECT 1 FROM observations WHERE station_id = $1 AND code = $2 AND period = $3 AND ts = $4",
                &key,
            )?;
            if exists.is_empty() {
                return Err(StoreError::NotFound { what: format!("observation {} {} {} {}", k.station_id, k.code, k.period.as_str(), k.ts) });
            }
            let next = c
                .query(
                    "SELECT COALESCE(MAX(seq), 0) + 1 FROM corrections WHERE station_id = $1 AND code = $2 AND period = $3 AND ts = $4",
                    &key,
                )?
                .first()
                .and_then(|r| r[0].int())
                .unwrap_or(1);
            let mut p = key.to_vec();
            p.extend([
                next.into(),
                k.action.as_str().into(),
                k.value.into(),
                k.reason_code.as_str().into(),
                k.who.as_str().into(),
                k.at_ms.into(),
                k.rule_set.as_str().into(),
                k.note.as_str().into(),
            ]);
            c.exec(
                "INSERT INTO corrections (station_id, code, period, ts, seq, action, value, reason_code, who, at_ms, rule_set, note) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                &p,
            )?;
            Ok(next)
        })
    }

    /// Writes a checkpoint of every chain's head (a digest to publish) and returns them.
    pub fn checkpoint(&self, at_ms: i64) -> Result<Vec<(String, i64, String)>, StoreError> {
        let heads: Vec<(String, (i64, Hash))> = lock(&self.heads)
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        self.write(|c| {
            for (_, (seq, hash)) in &heads {
                c.exec(
                    "DELETE FROM archive_checkpoints WHERE chain = $1 AND seq = $2",
                    &[MAIN_CHAIN.into(), (*seq).into()],
                )?;
                insert_checkpoint(c, *seq, hash, at_ms)?;
            }
            Ok(())
        })?;
        Ok(heads
            .into_iter()
            .map(|(chain, (seq, h))| (chain, seq, archive::hex(&h)))
            .collect())
    }

    /// Recomputes every chain: each record must follow the one before it (no gap, no
    /// reordering), carry the previous hash, and hash to its stored value; every checkpoint
    /// must match the chain. Names the first bad record.
    pub fn verify_archive(&self) -> Result<ArchiveReport, StoreError> {
        let rows = self.read(|c| {
            c.query("SELECT chain, seq, received_ms, peer, mn, verdict, bytes, prev_hash, hash FROM archive ORDER BY chain, seq", &[])
        })?;
        let checkpoints = self.read(|c| {
            c.query(
                "SELECT chain, seq, hash FROM archive_checkpoints ORDER BY chain, seq",
                &[],
            )
        })?;
        let mut report = ArchiveReport {
            records: rows.len() as u64,
            checkpoints: checkpoints.len() as u64,
            heads: Vec::new(),
            first_error: None,
        };
        let mut computed: HashMap<(String, i64), Hash> = HashMap::new();
        let mut state: HashMap<String, (i64, Hash)> = HashMap::new();
        for r in &rows {
            let chain = r[0].text().unwrap_or_default();
            let seq = r[1].int().unwrap_or(-1);
            let (last, prev) = state.get(&chain).copied().unwrap_or((0, GENESIS));
            let stored_prev = r[7].blob().unwrap_or_default();
            let stored = r[8].blob().unwrap_or_default();
            let h = record_hash(
                &prev,
                seq,
                r[2].int().unwrap_or(0),
                &r[3].text().unwrap_or_default(),
                r[4].text().as_deref(),
                &r[5].text().unwrap_or_default(),
                &r[6].blob().unwrap_or_default(),
            );
            let problem = if seq != last + 1 {
                Some(format!(
                    "record {chain}#{seq}: expected #{} next (a record was deleted or reordered)",
                    last + 1
                ))
            } else if stored_prev != prev {
                Some(format!(
                    "record {chain}#{seq}: previous hash does not match record #{last}"
                ))
            } else if stored != h {
                Some(format!(
                    "record {chain}#{seq}: content does not match its hash (the record was changed)"
                ))
            } else {
                None
            };
            if let Some(p) = problem {
                report.first_error = Some(p);
                return Ok(report);
            }
            computed.insert((chain.clone(), seq), h);
            state.insert(chain, (seq, h));
        }
        for r in &checkpoints {
            let chain = r[0].text().unwrap_or_default();
            let seq = r[1].int().unwrap_or(0);
            let want = r[2].blob().unwrap_or_default();
            match computed.get(&(chain.clone(), seq)) {
                Some(h) if h.as_slice() == want.as_slice() => {}
                Some(_) => {
                    report.first_error = Some(format!(
                        "checkpoint {chain}#{seq}: the chain no longer hashes to the published digest"
                    ));
                    return Ok(report);
                }
                None if seq == 0 => {}
                None => {
                    report.first_error = Some(format!(
                        "record {chain}#{seq}: missing, but a checkpoint published it (records were deleted from the end)"
                    ));
                    return Ok(report);
                }
            }
        }
        report.heads = state
            .into_iter()
            .map(|(c, (s, h))| (c, s, archive::hex(&h)))
            .collect();
        report.heads.sort();
        Ok(report)
    }

    /// The archived packets `from_seq..` of the main chain (for replay and inspection).
    pub fn archived(&self, from_seq: i64, limit: i64) -> Result<Vec<(i64, RawPacket)>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT seq, received_ms, peer, mn, verdict, bytes FROM archive WHERE chain = $1 AND seq >= $2 ORDER BY seq LIMIT $3",
                &[MAIN_CHAIN.into(), from_seq.into(), limit.into()],
            )
        })?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r[0].int().unwrap_or(0),
                    RawPacket {
                        received_ms: r[1].int().unwrap_or(0),
                        peer: r[2].text().unwrap_or_default(),
                        mn: r[3].text(),
                        verdict: r[4].text().unwrap_or_default(),
                        bytes: r[5].blob().unwrap_or_default(),
                    },
                )
            })
            .collect())
    }
}

fn insert_checkpoint(
    c: &mut dyn Conn,
    seq: i64,
    hash: &Hash,
    at_ms: i64,
) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO archive_checkpoints (chain, seq, hash, at_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (chain, seq) DO NOTHING",
        &[MAIN_CHAIN.into(), seq.into(), Val::Blob(hash.to_vec()), at_ms.into()],
    )
    .map(drop)
}

type Keys = BTreeSet<(String, String, i64)>;

/// The first and last touched period start per station and code.
fn spans(keys: &Keys) -> std::collections::BTreeMap<(String, String), (i64, i64)> {
    let mut out: std::collections::BTreeMap<(String, String), (i64, i64)> = Default::default();
    for (station, code, t) in keys {
        let e = out
            .entry((station.clone(), code.clone()))
            .or_insert((*t, *t));
        e.0 = e.0.min(*t);
        e.1 = e.1.max(*t);
    }
    out
}

/// The hours (of minute data) and days (of minute and hourly data) a set of observations touches.
fn touched<'a>(obs: impl Iterator<Item = &'a Observation>) -> (Keys, Keys) {
    let (mut hours, mut days) = (Keys::new(), Keys::new());
    for o in obs {
        match o.period {
            Period::Min => {
                hours.insert((
                    o.station_id.clone(),
                    o.code.clone(),
                    o.ts - o.ts.rem_euclid(HOUR_S),
                ));
                days.insert((
                    o.station_id.clone(),
                    o.code.clone(),
                    o.ts - o.ts.rem_euclid(DAY_S),
                ));
            }
            Period::Hour => {
                days.insert((
                    o.station_id.clone(),
                    o.code.clone(),
                    o.ts - o.ts.rem_euclid(DAY_S),
                ));
            }
            Period::Rtd | Period::Day => {}
        }
    }
    (hours, days)
}
