//! The forwarding alarm of each upstream destination (issue 22, docs/forwarding.md): raised
//! by the gateway when a destination's queue fills and packets stop being queued, cleared
//! when the gap has been queued again; read by the alert rules of kind `forward_queue_full`.
//! The gateway and the alert runner may be different processes: they share this table only.

use crate::Store;
use crate::db::text;
use crate::error::StoreError;
use serde::Serialize;

/// A destination whose queue is full (or was, and its gap is not yet queued again).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ForwardAlarm {
    pub dest: String,
    /// `host:port`.
    pub addr: String,
    /// When packets stopped being queued, unix ms.
    pub since_ms: i64,
    /// Why, as logged (`queue full (… bytes)`, or the queue's write error).
    pub reason: String,
}

impl Store {
    /// Raises (`since_ms` Some) or clears (None) the alarm of destination `dest`. Raising
    /// an alarm already raised keeps its first `since_ms` and reason.
    pub fn set_forward_alarm(
        &self,
        dest: &str,
        addr: &str,
        since_ms: Option<i64>,
        reason: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.write(|c| {
            c.exec(
                "INSERT INTO forward_alarms (dest, addr, since_ms, reason, updated_ms) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dest) DO UPDATE SET \
                 addr = excluded.addr, \
                 since_ms = CASE WHEN excluded.since_ms IS NULL THEN NULL \
                   ELSE COALESCE(forward_alarms.since_ms, excluded.since_ms) END, \
                 reason = CASE WHEN excluded.since_ms IS NULL                    OR forward_alarms.since_ms IS NULL THEN excluded.reason                    ELSE forward_alarms.reason END,                  updated_ms = excluded.updated_ms",
                &[
                    dest.into(),
                    addr.into(),
                    since_ms.into(),
                    reason.into(),
                    now_ms.into(),
                ],
            )?;
            Ok(())
        })
    }

    /// The destinations whose alarm is raised, by name.
    pub fn forward_alarms(&self) -> Result<Vec<ForwardAlarm>, StoreError> {
        self.read(|c| {
            Ok(c.query(
                "SELECT dest, addr, since_ms, reason FROM forward_alarms \
                 WHERE since_ms IS NOT NULL ORDER BY dest",
                &[],
            )?
            .iter()
            .map(|r| ForwardAlarm {
                dest: text(r, 0),
                addr: text(r, 1),
                since_ms: r[2].int().unwrap_or(0),
                reason: text(r, 3),
            })
            .collect())
        })
    }
}
