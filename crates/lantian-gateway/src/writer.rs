//! Group commit: many connections' packets accepted in one transaction by one writer
//! thread, each connection told only after its data is durable; the projector is woken
//! after each commit.

use crate::conn::now_ms;
use crate::metrics::Metrics;
use lantian_store::{BatchOutcome, Ingest, Store, StoreError};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// A packet (and its observations) waiting to be committed.
#[derive(Debug)]
pub struct Job {
    pub ingest: Ingest,
    pub done: oneshot::Sender<Result<(), String>>,
}

/// The writer's settings (from [`crate::Config`]).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub batch_max: usize,
    pub interval_min: Duration,
    pub lag_max: i64,
    pub starved_after_ms: i64,
}

/// Journal rows deleted per transaction when idle (a millisecond or two).
const TRIM_ROWS: usize = 1000;

/// Retries of a batch whose error is retryable (lost connection, full disk).
const RETRIES_MAX: u32 = 5;

/// Runs until every sender is dropped, then commits what is left and returns.
pub fn run(
    store: Arc<Store>,
    metrics: Arc<Metrics>,
    mut rx: mpsc::Receiver<Job>,
    limits: Limits,
    projector: std::sync::mpsc::SyncSender<()>,
    projector_ran_ms: Arc<AtomicI64>,
) {
    let mut jobs: Vec<Job> = Vec::with_capacity(limits.batch_max);
    let mut last_start = std::time::Instant::now() - limits.interval_min;
    while let Some(first) = rx.blocking_recv() {
        jobs.push(first);
        if let Some(wait) = limits.interval_min.checked_sub(last_start.elapsed()) {
            std::thread::sleep(wait);
        }
        // Back-pressure: the projector runs on spare CPU. When it has had none for a while
        // (acknowledging takes all of it), pause so that it gets some; when too much is
        // unprojected, wait until it catches up rather than let unqueryable data pile up.
        while store.projection_lag() > 0
            && (store.projection_lag() > limits.lag_max
                || now_ms() - projector_ran_ms.load(Ordering::Acquire) > limits.starved_after_ms)
        {
            Metrics::add(&metrics.backpressure_waits, 1);
            std::thread::sleep(Duration::from_millis(10));
        }
        last_start = std::time::Instant::now();
        while jobs.len() < limits.batch_max {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let batch: Vec<Ingest> = jobs
            .iter_mut()
            .map(|j| std::mem::take(&mut j.ingest))
            .collect();
        let result = accept_with_retry(&store, &batch);
        tracing::debug!(
            "group commit: {} packets in {:?}",
            batch.len(),
            last_start.elapsed()
        );
        Metrics::add(&metrics.batches_total, 1);
        match &result {
            Ok(o) => {
                // PostgreSQL stores observations at acceptance; SQLite when projected.
                Metrics::add(&metrics.observations_new, o.observations_new);
                Metrics::add(&metrics.observations_duplicate, o.observations_duplicate);
                let _ = projector.try_send(());
            }
            Err(e) => {
                Metrics::add(&metrics.commit_errors, 1);
                tracing::error!(
                    "group commit of {} packets failed, none acknowledged: {e}",
                    batch.len()
                );
            }
        }
        for j in jobs.drain(..) {
            let _ = j
                .done
                .send(result.as_ref().map(drop).map_err(ToString::to_string));
        }
        // With nothing queued, delete projected journal rows a little at a time, so that a
        // burst's rows do not wait for the next burst's accepts.
        while rx.is_empty() && store.trim_journal(TRIM_ROWS).is_ok_and(|n| n > 0) {}
    }
}

fn accept_with_retry(store: &Store, batch: &[Ingest]) -> Result<BatchOutcome, StoreError> {
    let mut attempt = 0;
    loop {
        match store.accept_batch(batch) {
            Err(e) if e.is_retryable() && attempt < RETRIES_MAX => {
                attempt += 1;
                tracing::warn!("commit failed ({e}); retry {attempt} of {RETRIES_MAX}");
                std::thread::sleep(Duration::from_millis(100 << attempt));
            }
            other => return other,
        }
    }
}
