//! Writing observations and packets: batches in one transaction, the archive chain, rollups
//! of touched hours and days, corrections, and archive verification.

use crate::archive::{self, ArchiveReport, CHECKPOINT_EVERY, GENESIS, Hash, record_hash};
use crate::db::{ArchiveRow, Conn, PacketRef, ROLLUP_HOURS_FROM_MINUTES, Val};
use crate::error::StoreError;
use crate::model::*;
use crate::{Part, Store, journal, lock};
use lantian_core::cst::HOUR_S;
use lantian_core::validity::HOUR_SAMPLING_MINUTES_MIN;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::Ordering;

/// Deletes projected journal rows up to an id.
const TRIM_JOURNAL: &str = "DELETE FROM journal WHERE id <= $1";

/// Projected journal rows an accept deletes at least (when there are).
const TRIM_ROWS_MIN: usize = 1000;

/// Journal rows projected per transaction at most. Under a sustained overload rounds are
/// full, and the larger a round the more of its rows share a B-tree page (a page is written
/// once per round): 100,000 rows (600,000 observations from 6-pollutant packets) took the
/// sustained rate of 1,000 connections from 46,000 to 60,000 packets/s and the peak
/// resident memory from 255 to 513 MB (docs/performance.md).
pub const PROJECT_ROWS_MAX: usize = 100_000;

/// What one call of [`Store::project`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Projection {
    /// Journal rows projected (one per packet).
    pub rows: u64,
    pub outcome: BatchOutcome,
    /// Journal rows that could not be decoded (their packets stay in the archive).
    pub damaged: Vec<String>,
}

impl Store {
    pub(crate) fn load_heads(&self) -> Result<HashMap<String, (i64, Hash)>, StoreError> {
        let rows = self.read_from(Part::Archive, |c| {
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

    /// Commits packets and their observations: archive records (chained), observations (new
    /// ones only), and the rollups of every hour and day they touch, all visible to queries
    /// on return. On SQLite a batch with packets is accepted and then projected (the counts
    /// are those of what this call projected); should the projection fail, the batch is
    /// still accepted and will be projected later (a retry archives its packets again and
    /// stores its observations once).
    pub fn commit_batch(&self, batch: &[Ingest]) -> Result<BatchOutcome, StoreError> {
        if !self.is_postgres() && batch.iter().any(|i| i.packet.is_some()) {
            let accepted = self.accept_batch(batch)?;
            let projected = self.project_all()?;
            return Ok(BatchOutcome {
                packets_archived: accepted.packets_archived,
                ..projected.outcome
            });
        }
        self.commit_direct(batch)
    }

    /// Makes packets and their observations durable, which is what an acknowledgement
    /// waits for. SQLite: one transaction on archive.db (archive records and a journal row
    /// per packet); the observations reach queries when [`Store::project`] runs. PostgreSQL:
    /// the same as [`Store::commit_batch`].
    pub fn accept_batch(&self, batch: &[Ingest]) -> Result<BatchOutcome, StoreError> {
        if self.is_postgres() {
            return self.commit_direct(batch);
        }
        check_observations(batch.iter().flat_map(|i| &i.observations))?;
        let name = self.write_chain()?;
        let mut heads = lock(&self.heads);
        let (mut seq, mut hash) = heads.get(&name).copied().unwrap_or((0, GENESIS));
        let projected = self.projected.load(Ordering::Acquire);
        let trimmed = self.trimmed.load(Ordering::Acquire);
        let trim_to = projected.min(trimmed + (2 * batch.len()).max(TRIM_ROWS_MIN) as i64);
        let (out, seq, hash, journal_id) = self.write_to(Part::Archive, |c| {
            let chained = chain(batch, &name, &mut seq, &mut hash);
            let mut id = self.journal_head.load(Ordering::Acquire);
            let journal_rows: Vec<(i64, PacketRef<'_>, Vec<u8>)> = batch
                .iter()
                .zip(chained.packets())
                .filter(|(ing, _)| !ing.observations.is_empty())
                .map(|(ing, packet)| {
                    id += 1;
                    (id, packet, journal::encode(&ing.observations))
                })
                .collect();
            chained.write(c, seq, &hash)?;
            c.insert_journal(&journal_rows)?;
            let out = BatchOutcome {
                packets_archived: chained.rows.len() as u64,
                ..BatchOutcome::default()
            };
            // Rows already projected go in the same transaction, at no extra commit; a few
            // at a time (never fewer than this batch adds), so that deleting what one large
            // projection round freed does not delay one acknowledgement.
            if trim_to > trimmed {
                c.exec(TRIM_JOURNAL, &[trim_to.into()])?;
            }
            Ok((out, seq, hash, id))
        })?;
        // Advanced only after the commit, under the heads lock that orders accepts.
        self.journal_head.store(journal_id, Ordering::Release);
        self.trimmed.fetch_max(trim_to, Ordering::AcqRel);
        heads.insert(name, (seq, hash));
        Ok(out)
    }

    /// Deletes up to `rows_max` projected rows from the journal (accepts delete some too);
    /// returns how many. For a writer with nothing else to do. A no-op on PostgreSQL.
    pub fn trim_journal(&self, rows_max: usize) -> Result<u64, StoreError> {
        if self.is_postgres() {
            return Ok(0);
        }
        // Under the heads lock, like accepts, so that `trimmed` only moves forward in order.
        let _heads = lock(&self.heads);
        let trimmed = self.trimmed.load(Ordering::Acquire);
        let trim_to = self
            .projected
            .load(Ordering::Acquire)
            .min(trimmed + rows_max as i64);
        if trim_to <= trimmed {
            return Ok(0);
        }
        let n = self.write_to(Part::Archive, |c| c.exec(TRIM_JOURNAL, &[trim_to.into()]))?;
        self.trimmed.store(trim_to, Ordering::Release);
        Ok(n)
    }

    /// Moves up to `rows_max` journal rows into lantian.db (observations, rollups) in one
    /// transaction that also records how far it got, and checkpoints archive.db's WAL. Safe
    /// to call from several threads: a row is projected once. A no-op on PostgreSQL.
    pub fn project(&self, rows_max: usize) -> Result<Projection, StoreError> {
        Ok(self.project_once(rows_max)?.0)
    }

    /// [`Store::project`], and whether there were journal rows to look at (projected now or
    /// by another thread meanwhile).
    fn project_once(&self, rows_max: usize) -> Result<(Projection, bool), StoreError> {
        if self.is_postgres() {
            return Ok((Projection::default(), false));
        }
        let from = self.projected.load(Ordering::Acquire);
        let rows = self.read_from(Part::Archive, |c| {
            c.query(
                "SELECT id, packet_chain, packet_seq, observations FROM journal WHERE id > $1 ORDER BY id LIMIT $2",
                &[from.into(), (rows_max as i64).into()],
            )
        })?;
        let mut p = Projection::default();
        let Some(last) = rows.last().and_then(|r| r[0].int()) else {
            return Ok((p, false));
        };
        // (journal id, archive record (chain, seq), observations)
        type Decoded = (i64, Option<(String, i64)>, Vec<Observation>);
        let mut decoded: Vec<Decoded> = Vec::with_capacity(rows.len());
        for r in &rows {
            let id = r[0].int().unwrap_or(0);
            let packet = r[1].text().zip(r[2].int());
            match journal::decode(&r[3].blob().unwrap_or_default()) {
                Ok(obs) => decoded.push((id, packet, obs)),
                Err(e) => p.damaged.push(format!("journal row {id}: {e}")),
            }
        }
        drop(rows);
        let (done, out) = self.write(|c| {
            let done = projected_id(c)?;
            let mut out = BatchOutcome::default();
            let mut fresh: Vec<(&Observation, PacketRef<'_>)> = decoded
                .iter()
                .filter(|(id, _, _)| *id > done)
                .flat_map(|(_, packet, obs)| {
                    let packet = packet.as_ref().map(|(c, s)| (c.as_str(), *s));
                    obs.iter().map(move |o| (o, packet))
                })
                .collect();
            sort_by_key_order(&mut fresh);
            store_observations(c, &fresh, &mut out)?;
            c.exec(
                "INSERT INTO projection (name, journal_id) VALUES ('journal', $1) \
                 ON CONFLICT (name) DO UPDATE SET journal_id = excluded.journal_id WHERE excluded.journal_id > projection.journal_id",
                &[last.into()],
            )?;
            Ok((done, out))
        })?;
        p.rows = decoded.iter().filter(|(id, _, _)| *id > done).count() as u64;
        p.outcome = out;
        self.projected.fetch_max(last, Ordering::AcqRel);
        self.read_from(Part::Archive, |c| {
            c.query("PRAGMA wal_checkpoint(PASSIVE)", &[])
        })?;
        Ok((p, true))
    }

    /// Projects until the journal is empty; returns the totals.
    pub fn project_all(&self) -> Result<Projection, StoreError> {
        let mut total = Projection::default();
        loop {
            let (p, more) = self.project_once(PROJECT_ROWS_MAX)?;
            if !more {
                return Ok(total);
            }
            total.rows += p.rows;
            total.damaged.extend(p.damaged);
            let (t, o) = (&mut total.outcome, p.outcome);
            t.observations_new += o.observations_new;
            t.observations_duplicate += o.observations_duplicate;
            t.hours_rolled_up += o.hours_rolled_up;
        }
    }

    /// Journal rows accepted but not yet projected, as this process knows them (the one
    /// running the gateway accepts); 0 on PostgreSQL. Costs two atomic loads.
    pub fn projection_lag(&self) -> i64 {
        let projected = self.projected.load(Ordering::Acquire);
        (self.journal_head.load(Ordering::Acquire) - projected).max(0)
    }

    /// At open: reads how far the journal was projected and projects the rest (what was
    /// acknowledged before a crash).
    pub(crate) fn recover_journal(&self) -> Result<(), StoreError> {
        if self.is_postgres() {
            return Ok(());
        }
        let done = self.read(projected_id)?;
        self.projected.store(done, Ordering::Release);
        let head = self.read_from(Part::Archive, |c| {
            c.query("SELECT MAX(id) FROM journal", &[])
        })?;
        let head = head.first().and_then(|r| r[0].int()).unwrap_or(0);
        self.journal_head.store(head.max(done), Ordering::Release);
        self.project_all()?;
        Ok(())
    }

    /// PostgreSQL (and batches of values alone on SQLite): the packets first, in a short
    /// transaction of their own under the chain's lock (the chain orders them), then the
    /// observations and rollups in a second one that other writers' run beside, serialised
    /// only per station (lock_stations). Both commit before this returns, so an ack still
    /// waits for everything; should the second fail, a retry archives the packets again and
    /// stores their values once, as on SQLite. A value that is not a finite number refuses
    /// the whole batch before anything is written.
    fn commit_direct(&self, batch: &[Ingest]) -> Result<BatchOutcome, StoreError> {
        check_observations(batch.iter().flat_map(|i| &i.observations))?;
        let name = if batch.iter().any(|i| i.packet.is_some()) {
            Some(self.write_chain()?)
        } else {
            None
        };
        let mut out = BatchOutcome::default();
        let mut packets: Vec<PacketRef<'_>> = vec![None; batch.len()];
        if let Some(name) = &name {
            let mut heads = lock(&self.heads);
            let (mut seq, mut hash) = heads.get(name).copied().unwrap_or((0, GENESIS));
            let chained = chain(batch, name, &mut seq, &mut hash);
            if let Err(e) = self.write_unaudited(|c| chained.write(c, seq, &hash)) {
                // The commit may have landed (a connection lost at COMMIT): the head is read
                // back from the database, which only this process appends to, so that the
                // next batch follows whatever is there.
                drop(heads);
                let _ = self.reload_head(name);
                return Err(e);
            }
            heads.insert(name.clone(), (seq, hash));
            out.packets_archived = chained.rows.len() as u64;
            packets = chained.packets().collect();
        }
        let rows: Vec<(&Observation, PacketRef<'_>)> = batch
            .iter()
            .zip(packets)
            .flat_map(|(ing, packet)| ing.observations.iter().map(move |o| (o, packet)))
            .collect();
        let mut stations: Vec<&str> = rows.iter().map(|(o, _)| o.station_id.as_str()).collect();
        stations.sort_unstable();
        stations.dedup();
        if !rows.is_empty() {
            self.write(|c| {
                c.lock_stations(&stations)?;
                store_observations(c, &rows, &mut out)
            })?;
        }
        Ok(out)
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
            let day = crate::daily::day_of(k.ts);
            crate::daily::bump(c, &BTreeSet::from([(k.station_id.as_str(), day)]))?;
            Ok(next)
        })
    }

    /// Writes a checkpoint of every chain's head (a digest to publish) and returns them.
    pub fn checkpoint(&self, at_ms: i64) -> Result<Vec<(String, i64, String)>, StoreError> {
        let heads: Vec<(String, (i64, Hash))> = lock(&self.heads)
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        self.write_to(Part::Archive, |c| {
            for (chain, (seq, hash)) in &heads {
                c.exec(
                    "DELETE FROM archive_checkpoints WHERE chain = $1 AND seq = $2",
                    &[chain.as_str().into(), (*seq).into()],
                )?;
                insert_checkpoint(c, chain, *seq, hash, at_ms)?;
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
        // Checkpoints first: a checkpoint is written after the records it covers, so every
        // record a checkpoint read here names is in the records read next, even while
        // gateways append (read the other way round, a checkpoint committed between the two
        // reads would look like a deleted tail).
        let checkpoints = self.read_from(Part::Archive, |c| {
            c.query(
                "SELECT chain, seq, hash FROM archive_checkpoints ORDER BY chain, seq",
                &[],
            )
        })?;
        let rows = self.read_from(Part::Archive, |c| {
            c.query("SELECT chain, seq, received_ms, peer, mn, verdict, bytes, prev_hash, hash FROM archive ORDER BY chain, seq", &[])
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

    /// The archived packets `from_seq..` of this store's chain ([`Store::chain_name`]), for
    /// replay and inspection.
    pub fn archived(&self, from_seq: i64, limit: i64) -> Result<Vec<(i64, RawPacket)>, StoreError> {
        let chain = self.chain_name();
        let rows = self.read_from(Part::Archive, |c| {
            c.query(
                "SELECT seq, received_ms, peer, mn, verdict, bytes FROM archive WHERE chain = $1 AND seq >= $2 ORDER BY seq LIMIT $3",
                &[chain.as_str().into(), from_seq.into(), limit.into()],
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
    chain: &str,
    seq: i64,
    hash: &Hash,
    at_ms: i64,
) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO archive_checkpoints (chain, seq, hash, at_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (chain, seq) DO NOTHING",
        &[chain.into(), seq.into(), Val::Blob(hash.to_vec()), at_ms.into()],
    )
    .map(drop)
}

/// A batch's packets chained onto the head of archive chain `chain`: their records, each
/// ingest's packet seq, and whether a checkpoint falls due.
struct Chained<'a> {
    chain: &'a str,
    rows: Vec<ArchiveRow<'a>>,
    packet_seqs: Vec<Option<i64>>,
    checkpoint_due: bool,
}

/// Chains the packets of `batch` onto `(seq, hash)` of `chain`, advancing both.
fn chain<'a>(batch: &'a [Ingest], chain: &'a str, seq: &mut i64, hash: &mut Hash) -> Chained<'a> {
    let mut c = Chained {
        chain,
        rows: Vec::with_capacity(batch.len()),
        packet_seqs: Vec::with_capacity(batch.len()),
        checkpoint_due: false,
    };
    for ing in batch {
        let Some(p) = &ing.packet else {
            c.packet_seqs.push(None);
            continue;
        };
        *seq += 1;
        let h = record_hash(
            hash,
            *seq,
            p.received_ms,
            &p.peer,
            p.mn.as_deref(),
            &p.verdict,
            &p.bytes,
        );
        c.rows.push(ArchiveRow {
            chain,
            seq: *seq,
            packet: p,
            prev_hash: *hash,
            hash: h,
        });
        *hash = h;
        c.packet_seqs.push(Some(*seq));
        c.checkpoint_due |= *seq % CHECKPOINT_EVERY == 0;
    }
    c
}

impl<'a> Chained<'a> {
    /// Each ingest's archive record, in batch order.
    fn packets(&self) -> impl Iterator<Item = PacketRef<'a>> + '_ {
        let chain = self.chain;
        self.packet_seqs.iter().map(move |s| s.map(|s| (chain, s)))
    }

    /// Appends the records and, when due, a checkpoint of the new head `(seq, hash)`.
    fn write(&self, c: &mut dyn Conn, seq: i64, hash: &Hash) -> Result<(), StoreError> {
        if !self.rows.is_empty() {
            c.insert_archive(&self.rows)?;
        }
        if !self.checkpoint_due {
            return Ok(());
        }
        let at_ms = self.rows.iter().map(|r| r.packet.received_ms).max();
        insert_checkpoint(c, self.chain, seq, hash, at_ms.unwrap_or(0))
    }
}

/// A value that is not a finite number, or has no station or code, rejects the whole batch.
fn check_observations<'a>(
    mut obs: impl Iterator<Item = &'a Observation>,
) -> Result<(), StoreError> {
    match obs.find(|o| !o.value.is_finite() || o.station_id.is_empty() || o.code.is_empty()) {
        Some(o) => Err(StoreError::Invalid {
            what: format!(
                "observation {} {} at {}: value {} is not a finite number (batch not committed)",
                o.station_id, o.code, o.ts, o.value
            ),
        }),
        None => Ok(()),
    }
}

/// How far the journal has been projected (`projection.journal_id`; 0 before the first round).
fn projected_id(c: &mut dyn Conn) -> Result<i64, StoreError> {
    let rows = c.query(
        "SELECT journal_id FROM projection WHERE name = 'journal'",
        &[],
    )?;
    Ok(rows.first().and_then(|r| r[0].int()).unwrap_or(0))
}

/// Puts observations in primary-key order, so that consecutive inserts land on the same
/// B-tree pages. Stable: of two values for one key the first received is still the one
/// kept. The few distinct (station, code, period) groups are ranked once, so that the sort
/// compares integers and not strings (string comparisons were a third of a projection).
fn sort_by_key_order(rows: &mut [(&Observation, PacketRef<'_>)]) {
    fn group(o: &Observation) -> (&str, &str, &str) {
        (o.station_id.as_str(), o.code.as_str(), o.period.as_str())
    }
    let mut rank: HashMap<(&str, &str, &str), usize> =
        rows.iter().map(|(o, _)| (group(o), 0)).collect();
    let mut groups: Vec<_> = rank.keys().copied().collect();
    groups.sort_unstable();
    for (i, g) in groups.into_iter().enumerate() {
        rank.insert(g, i);
    }
    rows.sort_by_cached_key(|(o, _)| (rank[&group(o)], o.ts));
}

/// Inserts observations (new ones only) and recomputes the hourly rollups of the hours of
/// minute data they touch: one statement per station and code covers every touched hour.
/// Real-time values are not rolled up here (a real-time value arrives every few seconds,
/// and recomputing its hour at each would multiply the writes): `Store::hourly` reads them
/// for the hours that have neither an hourly value nor minute data.
fn store_observations(
    c: &mut dyn Conn,
    rows: &[(&Observation, PacketRef<'_>)],
    out: &mut BatchOutcome,
) -> Result<(), StoreError> {
    let new = c.insert_observations(rows)?;
    out.observations_new += new;
    out.observations_duplicate += rows.len() as u64 - new;
    let minutes = touched_minutes(rows.iter().map(|(o, _)| *o));
    let spans = spans(&minutes);
    // The days whose hourly values may have changed: those of new values and every day the
    // minute rollups below rewrite (from the first to the last touched hour, even for
    // values stored before, since a rollup reads the station's interval as it is now).
    let mut days: BTreeSet<(&str, i64)> = BTreeSet::new();
    if new > 0 {
        days.extend(
            rows.iter()
                .map(|(o, _)| (o.station_id.as_str(), crate::daily::day_of(o.ts))),
        );
    }
    for ((station, _), (first, last)) in &spans {
        let (a, b) = (crate::daily::day_of(*first), crate::daily::day_of(*last));
        days.extend((a..=b).map(|d| (station.as_str(), d)));
    }
    crate::daily::bump(c, &days)?;
    let minutes_min = i64::from(HOUR_SAMPLING_MINUTES_MIN);
    for ((station, code), (first, last)) in spans {
        c.exec(
            ROLLUP_HOURS_FROM_MINUTES,
            &[
                station.as_str().into(),
                code.as_str().into(),
                first.into(),
                (last + HOUR_S).into(),
                minutes_min.into(),
            ],
        )?;
    }
    out.hours_rolled_up += minutes.len() as u64;
    Ok(())
}

type Keys = BTreeSet<(SmolStr, SmolStr, i64)>;

/// The first and last touched hour start per station and code.
fn spans(keys: &Keys) -> std::collections::BTreeMap<(SmolStr, SmolStr), (i64, i64)> {
    let mut out: std::collections::BTreeMap<(SmolStr, SmolStr), (i64, i64)> = Default::default();
    for (station, code, t) in keys {
        let e = out
            .entry((station.clone(), code.clone()))
            .or_insert((*t, *t));
        e.0 = e.0.min(*t);
        e.1 = e.1.max(*t);
    }
    out
}

/// The hours of minute values a set of observations touches.
fn touched_minutes<'a>(obs: impl Iterator<Item = &'a Observation>) -> Keys {
    obs.filter(|o| o.period == Period::Min)
        .map(|o| {
            (
                o.station_id.clone(),
                o.code.clone(),
                o.ts - o.ts.rem_euclid(HOUR_S),
            )
        })
        .collect()
}
