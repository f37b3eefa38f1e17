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
            // No projector (its thread ended): nothing to wait for; the next open projects.
            if let Err(std::sync::mpsc::TrySendError::Disconnected(())) = projector.try_send(()) {
                break;
            }
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
                // Queued upstream before the devices are told: as durable as the answer.
                if let Some(f) = metrics.forward.get() {
                    f.offer(&batch, now_ms());
                }
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use lantian_store::{Observation, Period, RawPacket};

    /// A packet with one hourly observation at hour `n`.
    pub(crate) fn ingest(n: i64) -> Ingest {
        Ingest {
            packet: Some(RawPacket {
                received_ms: n,
                peer: "test".into(),
                mn: Some("MN".into()),
                verdict: "accepted".into(),
                bytes: format!("##{n}").into_bytes(),
            }),
            observations: vec![Observation {
                station_id: "S".into(),
                code: "a34004".into(),
                period: Period::Hour,
                ts: n * 3600,
                value: 1.0,
                flag: "N".into(),
            }],
        }
    }

    fn job(n: i64) -> (Job, oneshot::Receiver<Result<(), String>>) {
        let (done, rx) = oneshot::channel();
        (
            Job {
                ingest: ingest(n),
                done,
            },
            rx,
        )
    }

    /// With no projector running, the writer acknowledges the first batch, then holds the
    /// second until the journal is projected: by a starved projector (`starved_after`) or
    /// by too much lag (`lag_max`).
    fn holds_acks_until_projected(limits: Limits, tag: &str) {
        let dir = std::env::temp_dir().join(format!("lantian-writer-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Arc::new(Store::open_data_dir(&dir).expect("store"));
        let (tx, rx) = mpsc::channel(16);
        let (wake, _woken) = std::sync::mpsc::sync_channel(1);
        // A projector that has never run.
        let ran_ms = Arc::new(AtomicI64::new(0));
        let writer = {
            let (store, ran) = (store.clone(), ran_ms.clone());
            std::thread::spawn(move || {
                run(store, Arc::new(Metrics::default()), rx, limits, wake, ran)
            })
        };
        let (j1, a1) = job(1);
        tx.blocking_send(j1).expect("send");
        assert_eq!(a1.blocking_recv().expect("answer"), Ok(()));
        assert_eq!(store.projection_lag(), 1);
        let (j2, mut a2) = job(2);
        tx.blocking_send(j2).expect("send");
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            a2.try_recv().is_err(),
            "acknowledged while the projector was starved"
        );
        store.project_all().expect("project");
        ran_ms.store(now_ms(), Ordering::Release);
        assert_eq!(a2.blocking_recv().expect("answer"), Ok(()));
        drop(tx);
        writer.join().expect("writer");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn without_a_projector_nothing_is_held() {
        let dir = std::env::temp_dir().join(format!("lantian-writer-{}-none", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Arc::new(Store::open_data_dir(&dir).expect("store"));
        let (tx, rx) = mpsc::channel(16);
        let (wake, woken) = std::sync::mpsc::sync_channel(1);
        drop(woken);
        let limits = Limits {
            batch_max: 16,
            interval_min: Duration::ZERO,
            lag_max: 0,
            starved_after_ms: 0,
        };
        let writer = {
            let store = store.clone();
            let never = Arc::new(AtomicI64::new(0));
            std::thread::spawn(move || {
                run(store, Arc::new(Metrics::default()), rx, limits, wake, never)
            })
        };
        for n in 1..=3 {
            let (j, a) = job(n);
            tx.blocking_send(j).expect("send");
            assert_eq!(a.blocking_recv().expect("answer"), Ok(()));
        }
        assert_eq!(
            store.projection_lag(),
            3,
            "durable, left for the next open to project"
        );
        drop(tx);
        writer.join().expect("writer");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_starved_projector_holds_the_next_acknowledgement() {
        let limits = Limits {
            batch_max: 16,
            interval_min: Duration::ZERO,
            lag_max: i64::MAX,
            starved_after_ms: 0,
        };
        holds_acks_until_projected(limits, "starved");
    }

    #[test]
    fn too_much_lag_holds_the_next_acknowledgement() {
        let limits = Limits {
            batch_max: 16,
            interval_min: Duration::ZERO,
            lag_max: 0,
            starved_after_ms: i64::MAX,
        };
        holds_acks_until_projected(limits, "lag");
    }
}
