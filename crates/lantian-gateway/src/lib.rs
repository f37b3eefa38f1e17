//! Lantian's HJ 212 gateway: a TCP server that never loses acknowledged data.
//!
//! [`run`] takes a bound listener, the store and a shutdown future. Each connection frames
//! and decodes packets with `lantian-hj212`, authenticates the device (registered MN,
//! matching password, not disabled), archives every packet it receives, turns data into observations in
//! the station's configured units, and answers 9014 (or 9013/9011) with the same QN only
//! after a group commit has made the data durable ([`lantian_store::Store::accept_batch`]);
//! a projector thread then makes the observations queryable ([`lantian_store::Store::project`]). Limits everywhere: connections (in all and per
//! address), frame size, idle and stalled-frame timeouts, write timeouts, pending
//! acknowledgements, password failures per (MN, address), archive rows of refused packets
//! per address (`guard.rs`); values dated ahead of the server clock are refused.

pub mod client;
mod conn;
pub mod control;
pub mod forward;
mod guard;
pub mod mapping;
pub mod metrics;
pub mod profile2025;
mod projector;
mod registry;
mod writer;

pub use metrics::{DeviceStats, Metrics};

use lantian_hj212::{Edition, Limits};
use lantian_store::Store;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

/// The host commands sent to a device on its first authenticated packet (HJ 212-2017 §6.7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setup {
    pub enabled: bool,
    /// 1012: calibrate the logger's clock.
    pub set_time: bool,
    /// 1062: real-time data interval, 30–3600 s.
    pub rtd_interval_s: Option<u32>,
    /// 1064: minute-data interval.
    pub min_interval_min: Option<u32>,
}

impl Default for Setup {
    fn default() -> Setup {
        Setup {
            enabled: true,
            set_time: true,
            rtd_interval_s: None,
            min_interval_min: None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub connections_max: usize,
    /// Connections open at once from one source address at most; more are closed at once
    /// and counted (`lantian_gateway_connections_address_refused_total`).
    pub connections_per_address_max: usize,
    /// A connection without a complete packet for this long is closed (bytes that are not
    /// a packet do not keep it open).
    pub idle_timeout: Duration,
    /// A frame must be complete this long after its first byte (slowloris).
    pub frame_timeout: Duration,
    /// A reply that cannot be written for this long closes the connection.
    pub write_timeout: Duration,
    pub limits: Limits,
    /// Packets committed together at most.
    pub batch_max: usize,
    /// Commits start at most this often: under load, packets arriving meanwhile join the next
    /// commit instead of each paying for its own (WAL frames, fsync). A lone packet after a
    /// quiet spell is committed at once.
    pub commit_interval_min: Duration,
    /// Accepted packets not yet queryable beyond which acknowledgements wait for the
    /// projector (SQLite; ≈ 10 s at 50,000 packets/s).
    pub projection_lag_max: i64,
    /// Accepted packets not yet queryable beyond which a second projector, at normal
    /// priority, shares the CPU with the acknowledgements (SQLite; the first runs only on
    /// idle CPU, so that bursts are acknowledged at full speed).
    pub projection_catch_up_above: i64,
    /// Packets projected per transaction at most (SQLite). Larger rounds write each B-tree
    /// page once for more rows and sustain more under an overload; each round holds its
    /// packets' observations in memory (peak resident memory under a sustained overload:
    /// 513 MB with 100,000, 255 MB with 20,000; docs/performance.md).
    pub projection_round_max: usize,
    /// A projector that has not looked at the journal for this long while rows wait is
    /// starved (acknowledging took all the CPU): the writer pauses until it has run.
    pub projector_starved_after: Duration,
    /// Packets a connection may have waiting for their commit before it stops reading.
    pub pending_per_connection_max: usize,
    pub setup: Setup,
    /// The edition of replies (HJ 212-2017 by default, spec §9 Q6).
    pub reply_edition: Edition,
    /// Wrong passwords from one source address for one MN within `auth_failure_window`
    /// after which every packet of that (MN, address) is refused, unchecked, until the
    /// window has passed. A wrong password also closes the connection.
    pub auth_failures_max: u32,
    pub auth_failure_window: Duration,
    /// Data dated more than this ahead of the server clock is refused (9011 `QnRtn=2`),
    /// archived with its verdict and never stored.
    pub future_margin: Duration,
    /// Refused packets (unknown MN, wrong password, locked out, disabled, undecodable
    /// before a login) archived per source address and minute at most; the rest are
    /// counted (`lantian_gateway_archive_dropped_total`).
    pub refused_archived_per_address_per_min: u32,
    /// A logged-in connection re-reads its device this often, so that a disabled, removed
    /// or re-passworded device is refused on connections that were open before.
    pub device_recheck: Duration,
    /// The kernel send buffer of each connection. Replies are small; a fixed buffer bounds
    /// the memory a client that never reads can pin, and makes its write time out.
    pub send_buffer_bytes: Option<usize>,
    /// Reverse control: back-fill, time sync, operator commands (docs/reverse-control.md).
    pub control: control::Settings,
    /// HJ 212-2025: keys, rotation, MN assignment, sentinels (docs/hj212-2025.md).
    pub profile2025: profile2025::Profile,
    /// Upstream platforms the accepted data are forwarded to (none by default;
    /// docs/forwarding.md).
    pub forward: Option<forward::Settings>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            connections_max: 20_000,
            connections_per_address_max: 16,
            idle_timeout: Duration::from_secs(600),
            frame_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(10),
            limits: Limits::default(),
            batch_max: 2048,
            commit_interval_min: Duration::from_millis(4),
            projection_lag_max: 500_000,
            projection_catch_up_above: 100_000,
            projection_round_max: lantian_store::PROJECT_ROWS_MAX,
            projector_starved_after: Duration::from_secs(5),
            pending_per_connection_max: 256,
            setup: Setup::default(),
            reply_edition: Edition::Hj212_2017,
            send_buffer_bytes: Some(32 * 1024),
            auth_failures_max: 10,
            auth_failure_window: Duration::from_secs(15 * 60),
            future_margin: Duration::from_secs(10 * 60),
            refused_archived_per_address_per_min: 60,
            device_recheck: Duration::from_secs(30),
            control: control::Settings::default(),
            profile2025: profile2025::Profile::default(),
            forward: None,
        }
    }
}

/// State shared by the connections.
pub(crate) struct Shared {
    pub config: Config,
    pub metrics: Arc<Metrics>,
    pub registry: registry::Registry,
    pub guard: guard::Guard,
    pub jobs: mpsc::Sender<writer::Job>,
    pub control: control::Hub,
}

/// Serves HJ 212 on `listener` until `shutdown` completes, then stops accepting, lets every
/// connection finish its in-flight batches, commits what is queued and returns.
pub async fn run(
    listener: TcpListener,
    store: Arc<Store>,
    config: Config,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let (tx, rx) = mpsc::channel(config.batch_max * 4);
    let (wake, woken) = std::sync::mpsc::sync_channel(1);
    let projection =
        projector::Shared::new(store.clone(), metrics.clone(), config.projection_round_max);
    let projector = {
        let p = projection.clone();
        std::thread::Builder::new()
            .name("lantian-projector".into())
            .spawn(move || projector::run(p, woken))?
    };
    let stop_catch_up = Arc::new(AtomicBool::new(false));
    let catch_up = {
        let (p, stop) = (projection.clone(), stop_catch_up.clone());
        let limits = projector::CatchUp {
            above: config.projection_catch_up_above,
        };
        std::thread::Builder::new()
            .name("lantian-catch-up".into())
            .spawn(move || projector::catch_up(p, limits, stop))?
    };
    let (forward_stop, forward_stopped) = watch::channel(false);
    let mut senders = match &config.forward {
        Some(settings) if !settings.destinations.is_empty() => {
            let f = Arc::new(forward::Forwarder::open(settings, store.clone())?);
            if metrics.forward.set(f.clone()).is_err() {
                return Err(std::io::Error::other(
                    "forwarding: these metrics already serve another gateway's forwarding",
                ));
            }
            forward::spawn(&f, forward_stopped)
        }
        _ => JoinSet::new(),
    };
    let writer = {
        let (store, metrics) = (store.clone(), metrics.clone());
        let limits = writer::Limits {
            batch_max: config.batch_max,
            interval_min: config.commit_interval_min,
            lag_max: config.projection_lag_max,
            starved_after_ms: config.projector_starved_after.as_millis() as i64,
        };
        std::thread::Builder::new()
            .name("lantian-writer".into())
            .spawn(move || {
                writer::run(store, metrics, rx, limits, wake, projection.ran_ms.clone())
            })?
    };
    let shared = Arc::new(Shared {
        control: control::Hub::new(store.clone()),
        registry: registry::Registry::new(store),
        guard: guard::Guard::new(guard::Limits {
            failures_max: config.auth_failures_max.max(1),
            failure_window: config.auth_failure_window,
            connections_per_address_max: config.connections_per_address_max,
            refused_archived_per_address_per_min: config.refused_archived_per_address_per_min,
        }),
        config,
        metrics,
        jobs: tx,
    });
    let permits = Arc::new(Semaphore::new(shared.config.connections_max));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let mut backoff = Duration::from_millis(5);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    backoff = Duration::from_millis(5);
                    let Ok(permit) = permits.clone().try_acquire_owned() else {
                        Metrics::add(&shared.metrics.connections_refused, 1);
                        drop(stream);
                        continue;
                    };
                    let Some(address) = shared.guard.connect(peer.ip()) else {
                        Metrics::add(&shared.metrics.address_refused, 1);
                        drop(stream);
                        continue;
                    };
                    let (shared, stop) = (shared.clone(), stop_rx.clone());
                    tasks.spawn(async move {
                        conn::serve(stream, peer, shared, stop).await;
                        drop((permit, address));
                    });
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!("accept failed: {e}; retrying in {backoff:?}");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
            },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    let _ = stop_tx.send(true);
    while tasks.join_next().await.is_some() {}
    drop(shared);
    // The writer commits what is queued and returns; the projector then sees its wake-up
    // channel closed, projects what is left and returns.
    tokio::task::spawn_blocking(move || {
        let _ = writer.join();
        stop_catch_up.store(true, Ordering::Release);
        let _ = catch_up.join();
        let _ = projector.join();
    })
    .await
    .ok();
    // Queues are on disk: the senders stop after the last commit has been queued.
    let _ = forward_stop.send(true);
    while senders.join_next().await.is_some() {}
    Ok(())
}
