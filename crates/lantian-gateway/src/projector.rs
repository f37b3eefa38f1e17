//! The projector: moves accepted observations from the store's journal into the
//! observation tables and rollups, beside the writer, so that an acknowledgement waits for
//! one sequential append and not for the indexes of every series a batch touches.
//!
//! Two threads do it. One runs at `SCHED_IDLE` after every commit: a burst is acknowledged
//! at full speed and projected on the CPU the acknowledgements leave. When the unprojected
//! backlog passes [`CatchUp::above`] (a sustained overload, where no CPU is left), a second
//! thread at normal priority projects it down to `above / 4`, sharing the CPU with the
//! acknowledgements instead of letting the backlog grow until the writer must pause them.

use crate::metrics::Metrics;
use lantian_store::Store;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

/// How often the idle projector looks at the journal when the writer is quiet.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// How often the catch-up projector looks at the backlog.
const CATCH_UP_POLL: Duration = Duration::from_millis(50);

/// State the two projector threads and the writer share.
pub struct Shared {
    pub store: Arc<Store>,
    pub metrics: Arc<Metrics>,
    /// When a projector last finished a round (ms since the epoch); the writer's starvation
    /// check reads it.
    pub ran_ms: Arc<AtomicI64>,
    /// The catch-up thread is working: the idle one leaves the journal to it.
    catching_up: AtomicBool,
    /// Packets per round at most (`Config::projection_round_max`).
    round_max: usize,
}

impl Shared {
    pub fn new(store: Arc<Store>, metrics: Arc<Metrics>, round_max: usize) -> Arc<Shared> {
        Arc::new(Shared {
            store,
            metrics,
            ran_ms: Arc::new(AtomicI64::new(crate::conn::now_ms())),
            catching_up: AtomicBool::new(false),
            round_max: round_max.max(1),
        })
    }

    /// Projects rounds until the journal is empty or the lag is at most `until_lag`, or
    /// until an error (logged, counted, backed off; what is left stays in the journal for
    /// the next call or the next open). Under load each round takes all that came in during
    /// the previous one, so rounds grow with the load and cost less per row.
    fn project(&self, until_lag: i64, backoff: &mut Duration) {
        loop {
            match self.store.project(self.round_max) {
                Ok(p) => {
                    self.ran_ms.store(crate::conn::now_ms(), Ordering::Release);
                    *backoff = Duration::from_millis(100);
                    let m = &self.metrics;
                    Metrics::add(&m.observations_new, p.outcome.observations_new);
                    Metrics::add(&m.observations_duplicate, p.outcome.observations_duplicate);
                    for d in &p.damaged {
                        Metrics::add(&m.journal_damaged, 1);
                        tracing::error!("{d}; the packet stays in the archive");
                    }
                    if (p.rows == 0 && p.damaged.is_empty())
                        || self.store.projection_lag() <= until_lag
                    {
                        return;
                    }
                }
                Err(e) => {
                    Metrics::add(&self.metrics.projection_errors, 1);
                    tracing::error!("projection failed ({e}); retrying in {backoff:?}");
                    std::thread::sleep(*backoff);
                    *backoff = (*backoff * 2).min(Duration::from_secs(10));
                    return;
                }
            }
        }
    }
}

/// The idle-priority projector: a round after each wake-up (every commit) and every
/// second; returns, having projected what is left, when the writer drops `wake`.
pub fn run(shared: Arc<Shared>, wake: Receiver<()>) {
    lower_priority();
    let mut backoff = Duration::from_millis(100);
    loop {
        let last = match wake.recv_timeout(IDLE_POLL) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => true,
        };
        if last {
            shared.project(0, &mut backoff);
            return;
        }
        if !shared.catching_up.load(Ordering::Acquire) {
            shared.project(0, &mut backoff);
        }
    }
}

/// When the catch-up projector steps in.
#[derive(Clone, Copy, Debug)]
pub struct CatchUp {
    /// Unprojected packets above which it projects (down to a quarter of this).
    pub above: i64,
}

/// The normal-priority projector; returns when `stop` is set.
pub fn catch_up(shared: Arc<Shared>, limits: CatchUp, stop: Arc<AtomicBool>) {
    let mut backoff = Duration::from_millis(100);
    while !stop.load(Ordering::Acquire) {
        std::thread::sleep(CATCH_UP_POLL);
        if shared.store.projection_lag() > limits.above {
            shared.catching_up.store(true, Ordering::Release);
            Metrics::add(&shared.metrics.projection_catch_ups, 1);
            shared.project(limits.above / 4, &mut backoff);
            shared.catching_up.store(false, Ordering::Release);
        }
    }
}

/// SCHED_IDLE: the projector runs only on CPU nothing else wants, so under a burst the CPU
/// goes to acknowledging first and the projection catches up after (the lag is the
/// `lantian_gateway_projection_lag` gauge). A nice value is not enough: at nice 19 it still
/// took a quarter of the machine during a burst, and its slices delayed the acks.
#[cfg(target_os = "linux")]
fn lower_priority() {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy, thread_native_id,
        unix::set_thread_priority_and_policy,
    };
    let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
    if let Err(e) = set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, idle) {
        tracing::warn!("could not lower the projector's priority: {e:?}");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::writer::tests::ingest;
    use lantian_store::Ingest;

    /// Accepted but unprojected packets above the threshold are projected by the catch-up
    /// thread alone (no idle projector runs here), down to a quarter of it.
    #[test]
    fn the_catch_up_projector_works_down_a_backlog() {
        let dir = std::env::temp_dir().join(format!("lantian-catch-up-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Arc::new(Store::open_data_dir(&dir).expect("store"));
        let batch: Vec<Ingest> = (1..=40).map(ingest).collect();
        store.accept_batch(&batch).expect("accept");
        assert_eq!(store.projection_lag(), 40);
        // Rounds of 10: the thread keeps going round after round while the lag is high.
        let shared = Shared::new(store.clone(), Arc::new(Metrics::default()), 10);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (shared, stop) = (shared.clone(), stop.clone());
            std::thread::spawn(move || catch_up(shared, CatchUp { above: 8 }, stop))
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while store.projection_lag() > 2 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        stop.store(true, Ordering::Release);
        thread.join().expect("catch-up thread");
        assert!(
            store.projection_lag() <= 2,
            "lag {}",
            store.projection_lag()
        );
        assert!(!shared.catching_up.load(Ordering::Acquire));
        assert_eq!(Metrics::get(&shared.metrics.projection_catch_ups), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
