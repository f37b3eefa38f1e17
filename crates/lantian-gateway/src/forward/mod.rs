//! Forwarding upstream: every accepted data packet, after its commit, to each configured
//! HJ 212 platform (provincial, national) through a disk-backed queue of its own.
//!
//! The writer thread calls [`Forwarder::offer`] with each committed batch before it
//! acknowledges the devices, so a queued packet is as durable as the acknowledgement. A
//! sender task per destination ([`sender`]) sends the queue in order with a window of
//! unanswered packets, matches each 9014 on (MN, QN), resends with `RF=1` after a timeout or
//! a reconnection, and keeps its cursors on disk. Bounded disk: a full queue refuses new
//! packets (counted, logged, `lantian_forward_queue_full{dest}` = 1, the store's
//! `forward_alarms` row that alert rules of kind `forward_queue_full` push to people) and
//! records the gap;
//! once the queue has drained below half its limit the gap is queued again from the archive
//! (as resends, `RF=1`). docs/forwarding.md.

pub mod frame;
pub mod queue;
pub mod receiver;
pub mod sender;

use lantian_hj212::Edition;
use lantian_hj212::sm4::{Key, Wire};
use lantian_store::{Ingest, Store};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One upstream platform.
#[derive(Clone, Debug)]
pub struct Destination {
    /// A short name: `[A-Za-z0-9_-]`, the queue's directory and the metrics label.
    pub name: String,
    /// `host:port`.
    pub addr: String,
    pub rewrite: frame::Rewrite,
    /// SM4 key of the destination (HJ 212-2025); data packets are then encrypted.
    pub key: Option<Key>,
    pub wire: Wire,
    /// Stations whose devices' packets go to this destination (None: all).
    pub stations: Option<Vec<String>>,
    /// Bytes on disk the queue may take at most.
    pub queue_bytes_max: u64,
    /// Packets sent and not yet answered at most.
    pub window: usize,
    /// An unanswered packet is sent again (RF=1) after this long.
    pub ack_timeout: Duration,
    /// Sends of one packet on one connection before the connection is dropped and made anew.
    pub tries_per_connection: u32,
    /// Longest wait between connection attempts (the wait doubles from 200 ms).
    pub backoff_max: Duration,
    /// Idle this long: a 9015 heartbeat (2025 destinations); 2017 and older destinations get
    /// TCP keep-alive and a new connection on demand.
    pub heartbeat: Duration,
}

impl Destination {
    pub fn new(name: &str, addr: &str) -> Destination {
        Destination {
            name: name.to_owned(),
            addr: addr.to_owned(),
            rewrite: frame::Rewrite::default(),
            key: None,
            wire: Wire::Binary,
            stations: None,
            queue_bytes_max: 1 << 30,
            window: 64,
            ack_timeout: Duration::from_secs(10),
            tries_per_connection: 3,
            backoff_max: Duration::from_secs(30),
            heartbeat: Duration::from_secs(60),
        }
    }

    /// Checks a destination's settings; the message names the destination and the setting.
    pub fn check(&self) -> Result<(), String> {
        let n = &self.name;
        if n.is_empty()
            || n.len() > 64
            || !n
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "forward destination {n:?}: the name must be 1-64 of A-Z a-z 0-9 - _ (it names a directory and a metric label)"
            ));
        }
        if !self.addr.contains(':') {
            return Err(format!(
                "forward destination {n}: address {:?} is not host:port",
                self.addr
            ));
        }
        if self.window == 0 || self.queue_bytes_max < 4096 {
            return Err(format!(
                "forward destination {n}: window must be at least 1 and the queue limit at least 4096 bytes"
            ));
        }
        Ok(())
    }

    fn wants(&self, station: Option<&str>) -> bool {
        match (&self.stations, station) {
            (None, _) => true,
            (Some(list), Some(s)) => list.iter().any(|x| x == s),
            (Some(_), None) => false,
        }
    }
}

/// The forwarding settings of a gateway.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// `DATA_DIR/forward`: a directory per destination.
    pub dir: PathBuf,
    pub destinations: Vec<Destination>,
    /// `fdatasync` each append before the devices are acknowledged (on by default; off only
    /// survives a process crash, not a power cut).
    pub fsync: bool,
}

/// Counters of one destination.
#[derive(Debug, Default)]
pub struct Stats {
    pub queued: AtomicU64,
    pub not_queued: AtomicU64,
    pub sent: AtomicU64,
    pub acked: AtomicU64,
    pub resent: AtomicU64,
    pub requeued: AtomicU64,
    pub errors: AtomicU64,
    pub connected: AtomicBool,
    pub full: AtomicBool,
    /// The gap of packets refused while full: first and last received_ms (0: none).
    pub gap_from_ms: AtomicI64,
    pub gap_to_ms: AtomicI64,
    /// The archive sequence number the gap's re-queuing continues from (0: not known yet).
    pub gap_seq: AtomicI64,
}

/// One destination: its settings, queue and counters.
#[derive(Debug)]
pub struct Dest {
    pub config: Destination,
    pub queue: queue::Queue,
    pub stats: Stats,
    dir: PathBuf,
}

impl Dest {
    /// Records (durably: `DIR/gap`) the received times of packets refused while full; the
    /// gap is re-queued from the archive from `gap_seq` on (0: to be found by time).
    fn note_gap(&self, from_ms: i64, to_ms: i64) {
        let s = &self.stats;
        let (from, seq) = match s.gap_from_ms.load(Ordering::Acquire) {
            0 => (from_ms, 0),
            f => (f.min(from_ms), s.gap_seq.load(Ordering::Acquire)),
        };
        let to = s.gap_to_ms.load(Ordering::Acquire).max(to_ms);
        self.set_gap(from, to, seq);
    }

    fn set_gap(&self, from: i64, to: i64, seq: i64) {
        let s = &self.stats;
        s.gap_from_ms.store(from, Ordering::Release);
        s.gap_to_ms.store(to, Ordering::Release);
        s.gap_seq.store(seq, Ordering::Release);
        if let Err(e) = std::fs::write(self.dir.join("gap"), format!("{from} {to} {seq}\n")) {
            tracing::error!(
                "forward {}: cannot record the gap in {}: {e}",
                self.config.name,
                self.dir.display()
            );
        }
    }

    fn load_gap(&self) {
        let Ok(text) = std::fs::read_to_string(self.dir.join("gap")) else {
            return;
        };
        let v: Vec<i64> = text
            .split_whitespace()
            .filter_map(|t| t.parse().ok())
            .collect();
        if let [from, to, seq] = v[..] {
            self.stats.gap_from_ms.store(from, Ordering::Release);
            self.stats.gap_to_ms.store(to, Ordering::Release);
            self.stats.gap_seq.store(seq, Ordering::Release);
        }
    }

    fn clear_gap(&self) {
        self.stats.gap_from_ms.store(0, Ordering::Release);
        self.stats.gap_to_ms.store(0, Ordering::Release);
        self.stats.gap_seq.store(0, Ordering::Release);
        let _ = std::fs::remove_file(self.dir.join("gap"));
    }
}

/// The gateway's forwarding: the destinations and the station of each device (cached).
pub struct Forwarder {
    pub dests: Vec<Arc<Dest>>,
    store: Arc<Store>,
    stations: Mutex<HashMap<String, Option<String>>>,
}

impl std::fmt::Debug for Forwarder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forwarder")
            .field("dests", &self.dests)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether an archived packet goes upstream: accepted, and an upload that carries data.
pub fn forwardable(verdict: &str, frame: &[u8]) -> bool {
    verdict.starts_with("accepted")
        && frame::cn(frame)
            .is_some_and(|cn| lantian_hj212::Command(cn).carries_data() || cn == 2081)
}

/// Whether a packet goes with RF=1 from its first send: the device resent it, or it came
/// back in answer to a history request (G2's verdicts), so it is never live data.
pub fn is_late(verdict: &str, frame: &[u8]) -> bool {
    verdict.contains("back-fill") || verdict.contains("resend") || frame::is_resend(frame)
}

impl Forwarder {
    /// Opens each destination's queue under `settings.dir`.
    pub fn open(settings: &Settings, store: Arc<Store>) -> std::io::Result<Forwarder> {
        let mut dests = Vec::new();
        for d in &settings.destinations {
            d.check().map_err(std::io::Error::other)?;
            let dir = settings.dir.join(&d.name);
            let queue =
                queue::Queue::open(&dir, d.queue_bytes_max, settings.fsync).map_err(|e| {
                    std::io::Error::other(format!(
                        "forward destination {}: cannot open its queue in {}: {e}",
                        d.name,
                        dir.display()
                    ))
                })?;
            let dest = Dest {
                config: d.clone(),
                queue,
                stats: Stats::default(),
                dir,
            };
            dest.load_gap();
            dests.push(Arc::new(dest));
        }
        let f = Forwarder {
            dests,
            store,
            stations: Mutex::new(HashMap::new()),
        };
        // The stored alarm follows the gap found on disk (a gap left by the last run keeps
        // it raised; none clears one left behind).
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        // On a thread of its own: `open` runs on the runtime, where the blocking PostgreSQL
        // client may not.
        std::thread::scope(|s| {
            s.spawn(|| {
                for d in &f.dests {
                    let gap = d.stats.gap_from_ms.load(Ordering::Acquire);
                    let why = "queue gap left by the last run";
                    f.alarm(d, (gap != 0).then_some(gap), why, now_ms);
                }
            });
        });
        Ok(f)
    }

    /// Raises (`since_ms` Some) or clears the destination's alarm in the store, where the
    /// alert rules of kind `forward_queue_full` find it (a failure is logged: the metric
    /// and the log still say it).
    fn alarm(&self, d: &Dest, since_ms: Option<i64>, reason: &str, now_ms: i64) {
        if let Err(e) =
            self.store
                .set_forward_alarm(&d.config.name, &d.config.addr, since_ms, reason, now_ms)
        {
            tracing::error!(
                "forward {}: cannot record its alarm in the store: {e}",
                d.config.name
            );
        }
    }

    fn station_of(&self, ingest: &Ingest) -> Option<String> {
        if let Some(o) = ingest.observations.first() {
            return Some(o.station_id.to_string());
        }
        let mn = ingest.packet.as_ref()?.mn.as_deref()?;
        if let Some(s) = lock(&self.stations).get(mn) {
            return s.clone();
        }
        let station = self.store.device(mn).ok().flatten().map(|d| d.station_id);
        lock(&self.stations).insert(mn.to_owned(), station.clone());
        station
    }

    /// Queues a committed batch's forwardable packets for every destination that wants them.
    /// Called by the writer after the commit and before the acknowledgements.
    pub fn offer(&self, batch: &[Ingest], now_ms: i64) {
        let filtered = self.dests.iter().any(|d| d.config.stations.is_some());
        let picked: Vec<(u8, &[u8], Option<String>, i64)> = batch
            .iter()
            .filter_map(|i| {
                let p = i.packet.as_ref()?;
                if !forwardable(&p.verdict, &p.bytes) {
                    return None;
                }
                let flags = if is_late(&p.verdict, &p.bytes) {
                    queue::FLAG_RESEND
                } else {
                    0
                };
                let station = if filtered { self.station_of(i) } else { None };
                Some((flags, p.bytes.as_slice(), station, p.received_ms))
            })
            .collect();
        if picked.is_empty() {
            return;
        }
        for d in &self.dests {
            let mine: Vec<&(u8, &[u8], Option<String>, i64)> = picked
                .iter()
                .filter(|p| d.config.wants(p.2.as_deref()))
                .collect();
            let packets: Vec<(u8, &[u8])> = mine.iter().map(|p| (p.0, p.1)).collect();
            match d.queue.append(&packets, now_ms) {
                Ok(r) => {
                    d.stats.queued.fetch_add(r.queued, Ordering::Relaxed);
                    if r.refused_full > 0 {
                        d.stats
                            .not_queued
                            .fetch_add(r.refused_full, Ordering::Relaxed);
                        let first = mine.iter().map(|p| p.3).min().unwrap_or(now_ms);
                        let last = mine.iter().map(|p| p.3).max().unwrap_or(now_ms);
                        d.note_gap(first, last);
                        if !d.stats.full.swap(true, Ordering::AcqRel) {
                            let why = format!("queue full ({} bytes)", d.config.queue_bytes_max);
                            tracing::error!(
                                "forward {}: {why}: packets are no longer queued for this destination; they stay in the archive and are queued again when it drains",
                                d.config.name,
                            );
                            self.alarm(d, Some(now_ms), &why, now_ms);
                        }
                    }
                }
                Err(e) => {
                    d.stats.errors.fetch_add(1, Ordering::Relaxed);
                    d.stats
                        .not_queued
                        .fetch_add(packets.len() as u64, Ordering::Relaxed);
                    let first = mine.iter().map(|p| p.3).min().unwrap_or(now_ms);
                    let last = mine.iter().map(|p| p.3).max().unwrap_or(now_ms);
                    let new_gap = d.stats.gap_from_ms.load(Ordering::Acquire) == 0;
                    d.note_gap(first, last);
                    if new_gap {
                        self.alarm(d, Some(now_ms), &format!("queue not writable: {e}"), now_ms);
                    }
                    tracing::error!(
                        "forward {}: cannot append {} packets to its queue: {e}; they stay in the archive and are queued again later",
                        d.config.name,
                        packets.len()
                    );
                }
            }
        }
    }

    /// Queues again, as resends, the archived packets received in a destination's gap
    /// (refused while its queue was full), once the queue has drained below half its limit;
    /// as many as fit, continuing later from where it stopped. Returns how many were queued.
    /// Blocking (reads the archive).
    pub fn requeue_gap(&self, d: &Dest, now_ms: i64) -> Result<u64, String> {
        let (from, to) = (
            d.stats.gap_from_ms.load(Ordering::Acquire),
            d.stats.gap_to_ms.load(Ordering::Acquire),
        );
        if from == 0 || d.queue.state().bytes * 2 > d.config.queue_bytes_max {
            return Ok(0);
        }
        // Received times are nearly in archive order; a margin covers commits that
        // overtook each other (a packet queued twice goes twice, the second with RF=1).
        const MARGIN_MS: i64 = 60_000;
        let mut seq = match d.stats.gap_seq.load(Ordering::Acquire) {
            0 => first_seq_at(&self.store, from - MARGIN_MS)?,
            s => s,
        };
        let mut n = 0;
        loop {
            let rows = self.store.archived(seq, 500).map_err(|e| e.to_string())?;
            let Some(last) = rows.last().map(|r| r.0) else {
                break;
            };
            let mut picked: Vec<(i64, &[u8])> = Vec::new();
            let mut done = false;
            for (s, p) in &rows {
                if p.received_ms > to + MARGIN_MS {
                    done = true;
                    break;
                }
                if p.received_ms < from - MARGIN_MS || !forwardable(&p.verdict, &p.bytes) {
                    continue;
                }
                if d.config.stations.is_some() {
                    let ingest = Ingest {
                        packet: Some(p.clone()),
                        observations: Vec::new(),
                    };
                    if !d.config.wants(self.station_of(&ingest).as_deref()) {
                        continue;
                    }
                }
                picked.push((*s, p.bytes.as_slice()));
            }
            let packets: Vec<(u8, &[u8])> =
                picked.iter().map(|p| (queue::FLAG_RESEND, p.1)).collect();
            let r = d
                .queue
                .append(&packets, now_ms)
                .map_err(|e| e.to_string())?;
            n += r.queued;
            d.stats.requeued.fetch_add(r.queued, Ordering::Relaxed);
            d.stats.queued.fetch_add(r.queued, Ordering::Relaxed);
            if r.refused_full > 0 {
                // Full again: continue from the first packet that did not fit.
                let next = picked[r.queued as usize].0;
                d.set_gap(from, to, next);
                tracing::warn!(
                    "forward {}: {n} archived packets of the gap queued again; the rest (from archive record {next}) when the queue has drained",
                    d.config.name
                );
                return Ok(n);
            }
            if done {
                break;
            }
            seq = last + 1;
        }
        d.clear_gap();
        d.stats.full.store(false, Ordering::Release);
        self.alarm(d, None, "", now_ms);
        tracing::warn!(
            "forward {}: the gap is closed: {n} archived packets queued again (RF=1)",
            d.config.name
        );
        Ok(n)
    }

    /// The Prometheus text of every destination.
    pub fn render_prometheus(&self, now_ms: i64) -> String {
        let mut out = String::new();
        type Get = fn(&Dest, i64) -> u64;
        let series: [(&str, &str, &str, Get); 12] = [
            (
                "queued_total",
                "counter",
                "Packets queued for the destination.",
                |d, _| d.stats.queued.load(Ordering::Relaxed),
            ),
            (
                "not_queued_total",
                "counter",
                "Packets not queued (queue full or not writable); queued again from the archive when it drains.",
                |d, _| d.stats.not_queued.load(Ordering::Relaxed),
            ),
            (
                "requeued_total",
                "counter",
                "Archived packets queued again after a full queue drained.",
                |d, _| d.stats.requeued.load(Ordering::Relaxed),
            ),
            (
                "sent_total",
                "counter",
                "Packets written to the destination (first sends and resends).",
                |d, _| d.stats.sent.load(Ordering::Relaxed),
            ),
            (
                "acknowledged_total",
                "counter",
                "Packets the destination answered (9014 matched on MN and QN).",
                |d, _| d.stats.acked.load(Ordering::Relaxed),
            ),
            (
                "resent_total",
                "counter",
                "Packets sent again with RF=1 after a timeout or a reconnection.",
                |d, _| d.stats.resent.load(Ordering::Relaxed),
            ),
            (
                "errors_total",
                "counter",
                "Connection, write, read and queue errors.",
                |d, _| d.stats.errors.load(Ordering::Relaxed),
            ),
            (
                "queue_bytes",
                "gauge",
                "Bytes of the destination's queue on disk.",
                |d, _| d.queue.state().bytes,
            ),
            (
                "queue_pending",
                "gauge",
                "Packets queued and not yet answered.",
                |d, _| d.queue.state().pending(),
            ),
            (
                "oldest_unacknowledged_seconds",
                "gauge",
                "Age of the oldest packet not yet answered (0: none).",
                |d, now| {
                    d.queue
                        .state()
                        .oldest_ms
                        .map_or(0, |t| ((now - t).max(0) / 1000) as u64)
                },
            ),
            (
                "connected",
                "gauge",
                "1 while connected to the destination.",
                |d, _| u64::from(d.stats.connected.load(Ordering::Relaxed)),
            ),
            (
                "queue_full",
                "gauge",
                "1 while the queue is full or a gap waits to be queued again from the archive (alarm).",
                |d, _| {
                    u64::from(
                        d.stats.full.load(Ordering::Relaxed)
                            || d.stats.gap_from_ms.load(Ordering::Relaxed) != 0,
                    )
                },
            ),
        ];
        for (name, kind, help, get) in series {
            out.push_str(&format!(
                "# HELP lantian_forward_{name} {help}\n# TYPE lantian_forward_{name} {kind}\n"
            ));
            for d in &self.dests {
                out.push_str(&format!(
                    "lantian_forward_{name}{{dest=\"{}\"}} {}\n",
                    d.config.name,
                    get(d, now_ms)
                ));
            }
        }
        out
    }
}

/// The first archive sequence number whose packet was received at or after `ms` (a binary
/// search over the archive's sequence numbers, whose received times nearly increase).
fn first_seq_at(store: &Store, ms: i64) -> Result<i64, String> {
    let at = |seq: i64| -> Result<Option<i64>, String> {
        Ok(store
            .archived(seq, 1)
            .map_err(|e| e.to_string())?
            .first()
            .map(|r| r.1.received_ms))
    };
    let (mut lo, mut hi) = (1i64, 1i64);
    // Find an upper bound: a sequence past the end or received at or after `ms`.
    while let Some(t) = at(hi)? {
        if t >= ms {
            break;
        }
        lo = hi;
        hi = hi.saturating_mul(2);
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match at(mid)? {
            Some(t) if t < ms => lo = mid + 1,
            _ => hi = mid,
        }
    }
    Ok(lo)
}

/// Starts a sender per destination; they stop when `stop` turns true.
pub fn spawn(
    forwarder: &Arc<Forwarder>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinSet<()> {
    let mut set = tokio::task::JoinSet::new();
    for d in &forwarder.dests {
        set.spawn(sender::run(forwarder.clone(), d.clone(), stop.clone()));
    }
    set
}

/// The queue directory of a destination.
pub fn queue_dir(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

/// The edition named in settings: `2017`, `2025`, `2005`, or `as-received`.
pub fn parse_edition(s: &str) -> Result<Option<Edition>, String> {
    match s {
        "as-received" | "" => Ok(None),
        "2005" => Ok(Some(Edition::Hj212_2005)),
        "2017" => Ok(Some(Edition::Hj212_2017)),
        "2025" => Ok(Some(Edition::Hj212_2025)),
        other => Err(format!(
            "edition {other:?}: expected 2005, 2017, 2025 or as-received"
        )),
    }
}
