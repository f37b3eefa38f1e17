//! The projector: moves accepted observations from the store's journal into the
//! observation tables and rollups, beside the writer, so that an acknowledgement waits for
//! one sequential append and not for the indexes of every series a batch touches.

use crate::metrics::Metrics;
use lantian_store::{PROJECT_ROWS_MAX, Store};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

/// How often the projector looks at the journal when the writer is quiet.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// Runs until `wake`'s sender (the writer) is gone, then projects what is left and returns.
/// Stores the time (ms since the epoch) of each look at the journal in `ran_ms`.
pub fn run(store: Arc<Store>, metrics: Arc<Metrics>, wake: Receiver<()>, ran_ms: Arc<AtomicI64>) {
    lower_priority();
    let mut backoff = Duration::from_millis(100);
    loop {
        let last = match wake.recv_timeout(IDLE_POLL) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => true,
        };
        // Project while there is something: under load each round takes all that came
        // in during the previous one, so rounds grow with the load and cost less per row.
        loop {
            match store.project(PROJECT_ROWS_MAX) {
                Ok(p) => {
                    ran_ms.store(crate::conn::now_ms(), Ordering::Release);
                    backoff = Duration::from_millis(100);
                    Metrics::add(&metrics.observations_new, p.outcome.observations_new);
                    Metrics::add(
                        &metrics.observations_duplicate,
                        p.outcome.observations_duplicate,
                    );
                    for d in &p.damaged {
                        Metrics::add(&metrics.journal_damaged, 1);
                        tracing::error!("{d}; the packet stays in the archive");
                    }
                    if p.rows == 0 && p.damaged.is_empty() {
                        break;
                    }
                }
                Err(e) => {
                    Metrics::add(&metrics.projection_errors, 1);
                    tracing::error!("projection failed ({e}); retrying in {backoff:?}");
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                    if last {
                        // Left in the journal: the next open projects it.
                        return;
                    }
                    break;
                }
            }
        }
        if last {
            return;
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
