//! The audit log: who did what to which object, from where (a web request's peer address,
//! `cli:USER`), and why; written in the same transaction as the change it records.
//!
//! A use case wraps its store call in [`Store::audited`]: while the closure runs, the row is
//! pending on this thread, and the first transaction the closure commits on `lantian.db`
//! inserts it before committing. A failed change or a failed audit insert commits neither;
//! a closure that commits nothing (nothing changed) gets the row written on its own.
//! Store methods are synchronous, so "this thread" is exactly the closure's calls.

use crate::Store;
use crate::db::Conn;
use crate::error::StoreError;
use crate::model::{AuditEvent, Page, Paged};
use std::cell::RefCell;

/// One row of the audit log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditRow {
    pub at_ms: i64,
    /// A user name, `operator` (the server's console), `system` or `public`.
    pub actor: String,
    /// `ledger.confirm`, `denied.ledger.close`, `station.save`…
    pub action: String,
    pub object: String,
    pub detail: String,
    /// Where the act came from: the peer address of a web request, `cli:USER` for the
    /// command line, empty when unknown (rows from before sources were kept).
    pub source: String,
}

const INSERT_AUDIT: &str = "INSERT INTO audit_log (at_ms, actor, action, object, detail, source) VALUES ($1, $2, $3, $4, $5, $6)";

thread_local! {
    /// Rows waiting for the next transaction of their store (by address) on this thread.
    static PENDING: RefCell<Vec<(usize, AuditRow)>> = const { RefCell::new(Vec::new()) };
}

fn insert(c: &mut dyn Conn, r: &AuditRow) -> Result<(), StoreError> {
    c.exec(
        INSERT_AUDIT,
        &[
            r.at_ms.into(),
            r.actor.as_str().into(),
            r.action.as_str().into(),
            r.object.as_str().into(),
            r.detail.as_str().into(),
            r.source.as_str().into(),
        ],
    )
    .map(drop)
}

impl Store {
    fn key(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    /// The row pending for this store on this thread, taken.
    fn take_pending(&self) -> Option<AuditRow> {
        let key = self.key();
        PENDING.with(|p| {
            let mut p = p.borrow_mut();
            let i = p.iter().rposition(|(k, _)| *k == key)?;
            Some(p.remove(i).1)
        })
    }

    fn put_pending(&self, row: AuditRow) {
        PENDING.with(|p| p.borrow_mut().push((self.key(), row)));
    }

    /// Inserts the pending row, if any, into the open transaction `c` (called by `write_to`
    /// on `lantian.db` just before committing). On failure the row stays pending.
    pub(crate) fn insert_pending_audit(
        &self,
        c: &mut dyn Conn,
    ) -> Result<Option<AuditRow>, StoreError> {
        let Some(row) = self.take_pending() else {
            return Ok(None);
        };
        match insert(c, &row) {
            Ok(()) => Ok(Some(row)),
            Err(e) => {
                self.put_pending(row);
                Err(e)
            }
        }
    }

    /// Puts back a row whose transaction did not commit.
    pub(crate) fn restore_pending_audit(&self, row: Option<AuditRow>) {
        if let Some(r) = row {
            self.put_pending(r);
        }
    }

    /// Runs `f` (store calls) with `row` written in the same transaction as its first write
    /// on `lantian.db`: both are committed or neither. If `f` fails, no row is written; if it
    /// succeeds without writing, the row is written alone.
    pub fn audited<T, E: From<StoreError>>(
        &self,
        row: AuditRow,
        f: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        self.put_pending(row);
        let out = f();
        let left = self.take_pending();
        let v = out?;
        if let Some(r) = left {
            self.audit_row(&r)?;
        }
        Ok(v)
    }

    /// Appends one row to the audit log, in a transaction of its own (an act that changes
    /// nothing: a login, a refusal).
    pub fn audit_row(&self, row: &AuditRow) -> Result<(), StoreError> {
        // Not through `write`: a row pending for an enclosing `audited` stays pending.
        let row = row.clone();
        self.write_unaudited(|c| insert(c, &row))
    }

    /// Appends to the audit log without a source (kept for callers not yet converted to
    /// [`AuditRow`]).
    pub fn audit(
        &self,
        at_ms: i64,
        actor: &str,
        action: &str,
        object: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        self.audit_row(&AuditRow {
            at_ms,
            actor: actor.to_owned(),
            action: action.to_owned(),
            object: object.to_owned(),
            detail: detail.to_owned(),
            source: String::new(),
        })
    }

    /// The latest `limit` rows, newest first.
    pub fn audit_events(&self, limit: i64) -> Result<Vec<AuditEvent>, StoreError> {
        Ok(self.audit_events_page(Page::first(limit))?.items)
    }

    /// One page of the audit log, newest first, and how many rows it has: the log grows with
    /// every act, so the page is cut in SQL.
    pub fn audit_events_page(&self, page: Page) -> Result<Paged<AuditEvent>, StoreError> {
        let (rows, total) =
            self.read(|c| crate::db::page_of(c, AUDIT_COLUMNS, "audit_log", "id DESC", &[], page))?;
        Ok(Paged {
            items: rows.iter().map(audit_event).collect(),
            total,
        })
    }
}

/// The columns [`audit_event`] reads.
pub(crate) const AUDIT_COLUMNS: &str = "id, at_ms, actor, action, object, detail, source";

/// A row of [`AUDIT_COLUMNS`].
pub(crate) fn audit_event(r: &crate::db::Row) -> AuditEvent {
    let t = |v: &crate::db::Val| v.text().unwrap_or_default();
    AuditEvent {
        id: r[0].int().unwrap_or(0),
        at_ms: r[1].int().unwrap_or(0),
        actor: t(&r[2]),
        action: t(&r[3]),
        object: t(&r[4]),
        detail: t(&r[5]),
        source: t(&r[6]),
    }
}
