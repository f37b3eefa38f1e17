//! Counters of the gateway, globally and per device, rendered in the Prometheus text format.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Per-device session state and counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceStats {
    pub packets: u64,
    pub bytes: u64,
    pub acked: u64,
    pub rejects: BTreeMap<String, u64>,
    pub last_seen_ms: i64,
    pub connected: bool,
    pub peer: String,
}

/// Gateway counters. Every rejection is counted with its reason.
#[derive(Debug, Default)]
pub struct Metrics {
    pub connections_open: AtomicU64,
    pub connections_total: AtomicU64,
    pub connections_refused: AtomicU64,
    pub bytes_total: AtomicU64,
    pub packets_total: AtomicU64,
    pub acks_total: AtomicU64,
    pub observations_new: AtomicU64,
    pub observations_duplicate: AtomicU64,
    pub batches_total: AtomicU64,
    pub commit_errors: AtomicU64,
    pub timeouts: AtomicU64,
    pub projection_errors: AtomicU64,
    /// Times the writer waited for the projector (back-pressure).
    pub backpressure_waits: AtomicU64,
    /// Times the normal-priority projector stepped in for a large backlog.
    pub projection_catch_ups: AtomicU64,
    pub journal_damaged: AtomicU64,
    /// Wrong passwords of registered devices.
    pub auth_failures: AtomicU64,
    /// (MN, address) pairs locked out after too many wrong passwords.
    pub lockouts: AtomicU64,
    /// Packets refused, unchecked, because their (MN, address) was locked out.
    pub locked_refusals: AtomicU64,
    /// Packets with an MN that is not registered (one counter: no entry per MN).
    pub unknown_mn: AtomicU64,
    /// Connections closed at once because their address had its maximum open.
    pub address_refused: AtomicU64,
    /// Refused packets not archived: their address was over its allowance.
    pub archive_dropped: AtomicU64,
    /// Data packets refused because they were dated ahead of the server clock.
    pub future_refused: AtomicU64,
    rejects: Mutex<BTreeMap<String, u64>>,
    devices: Mutex<HashMap<String, DeviceStats>>,
    /// HJ 212-2025 counters per device (profile2025.rs).
    pub profile2025: crate::profile2025::Counters,
    /// Forwarding upstream, when configured: fed by the writer, rendered with the rest.
    pub forward: std::sync::OnceLock<std::sync::Arc<crate::forward::Forwarder>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The device's entry, allocating its key only the first time.
fn device<'a>(d: &'a mut HashMap<String, DeviceStats>, mn: &str) -> &'a mut DeviceStats {
    if !d.contains_key(mn) {
        d.insert(mn.to_owned(), DeviceStats::default());
    }
    d.get_mut(mn).expect("inserted above")
}

impl Metrics {
    pub fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }

    /// Counts a rejection with its reason, and for the device if `mn` is a registered one
    /// (an MN a peer made up never becomes an entry: the caller passes None).
    pub fn reject(&self, reason: &str, mn: Option<&str>) {
        *lock(&self.rejects).entry(reason.to_owned()).or_default() += 1;
        if let Some(mn) = mn {
            *lock(&self.devices)
                .entry(mn.to_owned())
                .or_default()
                .rejects
                .entry(reason.to_owned())
                .or_default() += 1;
        }
    }

    pub fn rejects(&self) -> BTreeMap<String, u64> {
        lock(&self.rejects).clone()
    }

    pub fn device_seen(&self, mn: &str, bytes: u64, now_ms: i64, peer: &str) {
        let mut d = lock(&self.devices);
        let s = device(&mut d, mn);
        s.packets += 1;
        s.bytes += bytes;
        s.last_seen_ms = now_ms;
        s.connected = true;
        if s.peer != peer {
            s.peer = peer.to_owned();
        }
    }

    pub fn device_acked(&self, mn: &str, n: u64) {
        device(&mut lock(&self.devices), mn).acked += n;
    }

    pub fn device_disconnected(&self, mn: &str) {
        if let Some(s) = lock(&self.devices).get_mut(mn) {
            s.connected = false;
        }
    }

    pub fn devices(&self) -> HashMap<String, DeviceStats> {
        lock(&self.devices).clone()
    }

    /// The Prometheus text exposition of every counter.
    pub fn render_prometheus(&self) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, v: u64| {
            out.push_str(&format!("# HELP lantian_gateway_{name} {help}\n# TYPE lantian_gateway_{name} counter\nlantian_gateway_{name} {v}\n"));
        };
        counter(
            "connections_total",
            "TCP connections accepted.",
            Self::get(&self.connections_total),
        );
        counter(
            "connections_refused_total",
            "Connections closed at once because the limit was reached.",
            Self::get(&self.connections_refused),
        );
        counter(
            "bytes_total",
            "Bytes received.",
            Self::get(&self.bytes_total),
        );
        counter(
            "packets_total",
            "Whole frames received.",
            Self::get(&self.packets_total),
        );
        counter(
            "acks_total",
            "Acknowledgements sent after the data was durable.",
            Self::get(&self.acks_total),
        );
        counter(
            "observations_new_total",
            "Observations stored.",
            Self::get(&self.observations_new),
        );
        counter(
            "observations_duplicate_total",
            "Observations received again and not stored twice.",
            Self::get(&self.observations_duplicate),
        );
        counter(
            "batches_total",
            "Group commits.",
            Self::get(&self.batches_total),
        );
        counter(
            "commit_errors_total",
            "Group commits that failed (nothing acknowledged).",
            Self::get(&self.commit_errors),
        );
        counter(
            "projection_errors_total",
            "Failed attempts to move accepted observations into the tables (retried).",
            Self::get(&self.projection_errors),
        );
        counter(
            "backpressure_waits_total",
            "10 ms waits of the writer for the projection to catch up (acks slowed).",
            Self::get(&self.backpressure_waits),
        );
        counter(
            "projection_catch_ups_total",
            "Times a backlog of unprojected packets was projected at normal priority.",
            Self::get(&self.projection_catch_ups),
        );
        counter(
            "journal_damaged_total",
            "Journal rows that could not be read back (the packets stay in the archive).",
            Self::get(&self.journal_damaged),
        );
        counter(
            "auth_failures_total",
            "Wrong passwords of registered devices (the connection is closed after the reply).",
            Self::get(&self.auth_failures),
        );
        counter(
            "lockouts_total",
            "Device MN and source address pairs locked out after too many wrong passwords.",
            Self::get(&self.lockouts),
        );
        counter(
            "locked_refusals_total",
            "Packets refused without a password check while their MN and address were locked out.",
            Self::get(&self.locked_refusals),
        );
        counter(
            "unknown_mn_total",
            "Packets whose MN is not registered.",
            Self::get(&self.unknown_mn),
        );
        counter(
            "connections_address_refused_total",
            "Connections closed at once because their address had its maximum open.",
            Self::get(&self.address_refused),
        );
        counter(
            "archive_dropped_total",
            "Refused packets of unauthenticated peers not archived (over the per-address allowance).",
            Self::get(&self.archive_dropped),
        );
        counter(
            "future_refused_total",
            "Data packets refused because they were dated ahead of the server clock.",
            Self::get(&self.future_refused),
        );
        counter(
            "timeouts_total",
            "Connections closed for idleness, a stalled frame or an unread reply.",
            Self::get(&self.timeouts),
        );
        out.push_str("# HELP lantian_gateway_connections_open Connections open now.\n# TYPE lantian_gateway_connections_open gauge\n");
        out.push_str(&format!(
            "lantian_gateway_connections_open {}\n",
            Self::get(&self.connections_open)
        ));
        out.push_str("# HELP lantian_gateway_rejects_total Rejected packets and bytes by reason.\n# TYPE lantian_gateway_rejects_total counter\n");
        for (reason, n) in self.rejects() {
            out.push_str(&format!(
                "lantian_gateway_rejects_total{{reason=\"{reason}\"}} {n}\n"
            ));
        }
        out.push_str("# HELP lantian_gateway_device_packets_total Packets per device.\n# TYPE lantian_gateway_device_packets_total counter\n");
        let mut devices: Vec<(String, DeviceStats)> = self.devices().into_iter().collect();
        devices.sort_by(|a, b| a.0.cmp(&b.0));
        for (mn, s) in &devices {
            let mn = mn.replace(['"', '\\', '\n'], "_");
            out.push_str(&format!(
                "lantian_gateway_device_packets_total{{mn=\"{mn}\"}} {}\n",
                s.packets
            ));
        }
        out.push_str("# HELP lantian_gateway_device_last_seen_ms Last packet per device (ms since the epoch).\n# TYPE lantian_gateway_device_last_seen_ms gauge\n");
        for (mn, s) in &devices {
            let mn = mn.replace(['"', '\\', '\n'], "_");
            out.push_str(&format!(
                "lantian_gateway_device_last_seen_ms{{mn=\"{mn}\"}} {}\n",
                s.last_seen_ms
            ));
        }
        if let Some(f) = self.forward.get() {
            out.push_str(&f.render_prometheus(crate::conn::now_ms()));
        }
        out.push_str(&self.profile2025.render());
        out
    }
}
