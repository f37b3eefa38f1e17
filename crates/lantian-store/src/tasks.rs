//! Grid tasks (issue 18): the task (a point, its source, township, assignee, state and
//! deadlines), its history of events and its evidence files. State changes are
//! compare-and-set (`UPDATE … WHERE state = expected`): a lost race is
//! [`StoreError::Refused`] and nothing is committed.

use crate::Store;
use crate::db::{Conn, Row, Val};
use crate::error::{StoreError, invalid};
use crate::model::{Page, Paged};
pub use lantian_core::grid::task::Verdict;
use lantian_core::grid::task::{Action, Source, State};
use serde::Serialize;

/// A stored task.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskRow {
    pub id: i64,
    pub source: Source,
    /// What it came from: a fire point's key, a complaint's id, a site's id.
    pub source_ref: Option<String>,
    pub title: String,
    pub detail: String,
    pub lat: f64,
    pub lon: f64,
    /// The unit id of the township the point lies in.
    pub township: Option<String>,
    /// The unit id the task is assigned to (a township or a department).
    pub assignee: Option<String>,
    pub state: State,
    pub created_ms: i64,
    pub occurred_ms: i64,
    pub sign_deadline_ms: i64,
    pub finish_deadline_ms: i64,
    /// Escalated to the bureau (once, when overdue to finish).
    pub escalated: bool,
    pub updated_ms: i64,
    /// When it was last finished (办结).
    pub finished_ms: Option<i64>,
    /// When it was approved (审核通过).
    pub closed_ms: Option<i64>,
}

/// What an event of a task's history records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Created and dispatched.
    Create,
    /// An evidence file was attached.
    Evidence,
    /// One of the state machine's actions.
    Act(Action),
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Create => "create",
            EventKind::Evidence => "evidence",
            EventKind::Act(a) => a.as_str(),
        }
    }

    pub fn parse(text: &str) -> Option<EventKind> {
        match text {
            "create" => Some(EventKind::Create),
            "evidence" => Some(EventKind::Evidence),
            _ => Action::parse(text).map(EventKind::Act),
        }
    }
}

/// One event of a task's history.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskEvent {
    pub id: i64,
    pub task_id: i64,
    pub at_ms: i64,
    /// The login, or `system`.
    pub actor: String,
    /// The actor's unit, if any.
    pub unit: Option<String>,
    pub kind: EventKind,
    pub text: String,
    pub state_after: State,
}

/// A change of a task's state (and what goes with it), applied only if the task is still in
/// `expected`.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskChange {
    pub expected: State,
    /// The event; its `task_id`, `state_after` and `at_ms` say which task, what state and when.
    pub event: TaskEvent,
    /// A new assignee (a reassignment).
    pub assignee: Option<String>,
    /// Marks the task escalated; refused if it already was (escalation happens once).
    pub escalate: bool,
}

/// An evidence file of a task (the bytes are under `DATA_DIR/task_evidence/ID/FILE`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EvidenceRow {
    pub id: i64,
    pub task_id: i64,
    pub file: String,
    pub bytes: i64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    /// The photo's EXIF time (unix ms), if it has one.
    pub exif_ms: Option<i64>,
    pub exif_lat: Option<f64>,
    pub exif_lon: Option<f64>,
    pub verdict: Verdict,
    /// Why it was flagged or not checked.
    pub reason: String,
    pub actor: String,
    pub at_ms: i64,
}

/// Which tasks a list shows. Every field narrows it; `units` is who may see: tasks whose
/// township or assignee is one of them (`None`: all).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TaskFilter {
    pub state: Option<State>,
    pub source: Option<Source>,
    pub township: Option<String>,
    pub assignee: Option<String>,
    pub source_ref: Option<String>,
    /// Created at or after (unix ms).
    pub from_ms: Option<i64>,
    /// Created before (unix ms).
    pub to_ms: Option<i64>,
    pub units: Option<Vec<String>>,
    /// Only tasks not yet finished (`dispatched`, `signed`, `handling`, `returned`).
    pub open_only: bool,
}

pub use crate::archive::sha256_hex;

const TASK_COLUMNS: &str = "id, source, source_ref, title, detail, lat, lon, township, assignee, state, created_ms, occurred_ms, sign_deadline_ms, finish_deadline_ms, escalated, updated_ms, finished_ms, closed_ms";

fn task_row(r: &Row) -> Result<TaskRow, StoreError> {
    let id = r[0].int().unwrap_or(0);
    let t = |i: usize| r[i].text().unwrap_or_default();
    let i = |i: usize| r[i].int().unwrap_or(0);
    Ok(TaskRow {
        id,
        source: Source::parse(&t(1))
            .ok_or_else(|| invalid(format!("task {id}: stored source {:?} is not known", t(1))))?,
        source_ref: r[2].text(),
        title: t(3),
        detail: t(4),
        lat: r[5].real().unwrap_or(f64::NAN),
        lon: r[6].real().unwrap_or(f64::NAN),
        township: r[7].text(),
        assignee: r[8].text(),
        state: State::parse(&t(9))
            .ok_or_else(|| invalid(format!("task {id}: stored state {:?} is not known", t(9))))?,
        created_ms: i(10),
        occurred_ms: i(11),
        sign_deadline_ms: i(12),
        finish_deadline_ms: i(13),
        escalated: i(14) != 0,
        updated_ms: i(15),
        finished_ms: r[16].int(),
        closed_ms: r[17].int(),
    })
}

fn event_row(r: &Row) -> Result<TaskEvent, StoreError> {
    let id = r[0].int().unwrap_or(0);
    let t = |i: usize| r[i].text().unwrap_or_default();
    Ok(TaskEvent {
        id,
        task_id: r[1].int().unwrap_or(0),
        at_ms: r[2].int().unwrap_or(0),
        actor: t(3),
        unit: r[4].text(),
        kind: EventKind::parse(&t(5)).ok_or_else(|| {
            invalid(format!(
                "task event {id}: stored action {:?} is not known",
                t(5)
            ))
        })?,
        text: t(6),
        state_after: State::parse(&t(7)).ok_or_else(|| {
            invalid(format!(
                "task event {id}: stored state {:?} is not known",
                t(7)
            ))
        })?,
    })
}

fn evidence_row(r: &Row) -> Result<EvidenceRow, StoreError> {
    let id = r[0].int().unwrap_or(0);
    let t = |i: usize| r[i].text().unwrap_or_default();
    Ok(EvidenceRow {
        id,
        task_id: r[1].int().unwrap_or(0),
        file: t(2),
        bytes: r[3].int().unwrap_or(0),
        sha256: t(4),
        exif_ms: r[5].int(),
        exif_lat: r[6].real(),
        exif_lon: r[7].real(),
        verdict: Verdict::parse(&t(8)).ok_or_else(|| {
            invalid(format!(
                "task evidence {id}: stored verdict {:?} is not known",
                t(8)
            ))
        })?,
        reason: t(9),
        actor: t(10),
        at_ms: r[11].int().unwrap_or(0),
    })
}

fn insert_event(c: &mut dyn Conn, e: &TaskEvent) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO task_events (task_id, at_ms, actor, unit, action, text, state_after) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            e.task_id.into(),
            e.at_ms.into(),
            e.actor.as_str().into(),
            e.unit.clone().into(),
            e.kind.as_str().into(),
            e.text.as_str().into(),
            e.state_after.as_str().into(),
        ],
    )?;
    Ok(())
}

fn task_in(c: &mut dyn Conn, id: i64) -> Result<Option<TaskRow>, StoreError> {
    c.query(
        &format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = $1"),
        &[id.into()],
    )?
    .first()
    .map(task_row)
    .transpose()
}

impl Store {
    /// Creates a task (its `id` is ignored) with its `create` event by `actor` (of `unit`);
    /// returns its id. One transaction.
    pub fn create_task(
        &self,
        t: &TaskRow,
        actor: &str,
        unit: Option<&str>,
    ) -> Result<i64, StoreError> {
        if !(t.lat.is_finite() && t.lon.is_finite()) {
            return Err(invalid(format!(
                "task {:?}: latitude and longitude must be numbers",
                t.title
            )));
        }
        self.write(|c| {
            let id = c
                .query(
                    "INSERT INTO tasks (source, source_ref, title, detail, lat, lon, township, assignee, state, created_ms, occurred_ms, sign_deadline_ms, finish_deadline_ms, escalated, updated_ms, finished_ms, closed_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id",
                    &[
                        t.source.as_str().into(),
                        t.source_ref.clone().into(),
                        t.title.as_str().into(),
                        t.detail.as_str().into(),
                        t.lat.into(),
                        t.lon.into(),
                        t.township.clone().into(),
                        t.assignee.clone().into(),
                        t.state.as_str().into(),
                        t.created_ms.into(),
                        t.occurred_ms.into(),
                        t.sign_deadline_ms.into(),
                        t.finish_deadline_ms.into(),
                        t.escalated.into(),
                        t.updated_ms.into(),
                        t.finished_ms.into(),
                        t.closed_ms.into(),
                    ],
                )?
                .first()
                .and_then(|r| r[0].int())
                .ok_or_else(|| invalid("the new task's id".to_owned()))?;
            insert_event(
                c,
                &TaskEvent {
                    id: 0,
                    task_id: id,
                    at_ms: t.created_ms,
                    actor: actor.to_owned(),
                    unit: unit.map(str::to_owned),
                    kind: EventKind::Create,
                    text: String::new(),
                    state_after: t.state,
                },
            )?;
            Ok(id)
        })
    }

    /// One task.
    pub fn task(&self, id: i64) -> Result<Option<TaskRow>, StoreError> {
        self.read(|c| task_in(c, id))
    }

    /// Tasks as the filter says, newest first.
    pub fn tasks(&self, f: &TaskFilter) -> Result<Vec<TaskRow>, StoreError> {
        Ok(self.tasks_page(f, None, Page::ALL)?.items)
    }

    /// One page of the tasks the filter passes, newest first, and how many it passes;
    /// `overdue`: `(true, now)` only the tasks overdue at `now` (unix ms), `(false, now)`
    /// only those that are not (as `lantian_core::grid::task::overdue` decides). Fire points
    /// make tasks every day, so the page is cut in SQL.
    pub fn tasks_page(
        &self,
        f: &TaskFilter,
        overdue: Option<(bool, i64)>,
        page: Page,
    ) -> Result<Paged<TaskRow>, StoreError> {
        let mut sql = String::from("tasks WHERE 1 = 1");
        let mut params: Vec<Val> = Vec::new();
        // Appends a condition whose `$?` is the next parameter.
        fn add(sql: &mut String, params: &mut Vec<Val>, cond: &str, v: Val) {
            params.push(v);
            sql.push_str(&cond.replace("$?", &format!("${}", params.len())));
        }
        if let Some(s) = f.state {
            add(&mut sql, &mut params, " AND state = $?", s.as_str().into());
        }
        if let Some(s) = f.source {
            add(&mut sql, &mut params, " AND source = $?", s.as_str().into());
        }
        if let Some(t) = &f.township {
            add(
                &mut sql,
                &mut params,
                " AND township = $?",
                t.as_str().into(),
            );
        }
        if let Some(a) = &f.assignee {
            add(
                &mut sql,
                &mut params,
                " AND assignee = $?",
                a.as_str().into(),
            );
        }
        if let Some(r) = &f.source_ref {
            add(
                &mut sql,
                &mut params,
                " AND source_ref = $?",
                r.as_str().into(),
            );
        }
        if let Some(ms) = f.from_ms {
            add(&mut sql, &mut params, " AND created_ms >= $?", ms.into());
        }
        if let Some(ms) = f.to_ms {
            add(&mut sql, &mut params, " AND created_ms < $?", ms.into());
        }
        if f.open_only {
            sql.push_str(" AND state NOT IN ('finished', 'approved')");
        }
        if let Some((want, now_ms)) = overdue {
            // Overdue: not done, and past the finishing deadline, or still dispatched past
            // the signing deadline (`task::overdue`).
            params.push(now_ms.into());
            let n = params.len();
            let is = format!(
                "(state NOT IN ('finished', 'approved') AND (finish_deadline_ms < ${n} \
                 OR (state = 'dispatched' AND sign_deadline_ms < ${n})))"
            );
            if want {
                sql.push_str(&format!(" AND {is}"));
            } else {
                sql.push_str(&format!(" AND NOT {is}"));
            }
        }
        if let Some(units) = &f.units {
            if units.is_empty() {
                return Ok(Paged {
                    items: Vec::new(),
                    total: 0,
                });
            }
            let mut parts = Vec::new();
            for u in units {
                add(&mut sql, &mut params, "", u.as_str().into());
                let n = params.len();
                parts.push(format!("township = ${n} OR assignee = ${n}"));
            }
            sql.push_str(&format!(" AND ({})", parts.join(" OR ")));
        }
        let (rows, total) =
            self.read(|c| crate::db::page_of(c, TASK_COLUMNS, &sql, "id DESC", &params, page))?;
        Ok(Paged {
            items: rows.iter().map(task_row).collect::<Result<_, _>>()?,
            total,
        })
    }

    /// Applies a change if the task is still in `ch.expected` (and, escalating, not escalated
    /// yet), with its event, in one transaction. A task that moved meanwhile is
    /// [`StoreError::Refused`] naming its state now; a missing one [`StoreError::NotFound`].
    pub fn change_task(&self, ch: &TaskChange) -> Result<TaskRow, StoreError> {
        let e = &ch.event;
        let id = e.task_id;
        self.write(|c| {
            let finishing = e.kind == EventKind::Act(Action::Finish);
            let closing = e.state_after == State::Approved;
            let n = c.exec(
                "UPDATE tasks SET state = $1, updated_ms = $2, \
                 assignee = COALESCE($3, assignee), \
                 escalated = CASE WHEN $4 = 1 THEN 1 ELSE escalated END, \
                 finished_ms = CASE WHEN $5 = 1 THEN $2 ELSE finished_ms END, \
                 closed_ms = CASE WHEN $6 = 1 THEN $2 ELSE closed_ms END \
                 WHERE id = $7 AND state = $8 AND (escalated = 0 OR $4 = 0)",
                &[
                    e.state_after.as_str().into(),
                    e.at_ms.into(),
                    ch.assignee.clone().into(),
                    i64::from(ch.escalate).into(),
                    i64::from(finishing).into(),
                    i64::from(closing).into(),
                    id.into(),
                    ch.expected.as_str().into(),
                ],
            )?;
            if n == 0 {
                return Err(match task_in(c, id)? {
                    None => StoreError::NotFound {
                        what: format!("task {id}"),
                    },
                    Some(t) if t.state == ch.expected && t.escalated => StoreError::Refused {
                        what: format!(
                            "任务 {id} 已经升级过 / task {id} has already been escalated"
                        ),
                    },
                    Some(t) => StoreError::Refused {
                        what: format!(
                            "任务 {id} 的状态刚被他人改为“{}”，请刷新后重试 / task {id} changed meanwhile: it is now {}, not {}; reload and try again",
                            t.state.name_zh(),
                            t.state.as_str(),
                            ch.expected.as_str()
                        ),
                    },
                });
            }
            insert_event(c, e)?;
            task_in(c, id)?.ok_or_else(|| StoreError::NotFound {
                what: format!("task {id}"),
            })
        })
    }

    /// A task's history, oldest first.
    pub fn task_events(&self, id: i64) -> Result<Vec<TaskEvent>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT id, task_id, at_ms, actor, unit, action, text, state_after FROM task_events WHERE task_id = $1 ORDER BY id",
                &[id.into()],
            )
        })?;
        rows.iter().map(event_row).collect()
    }

    /// Records an evidence file of a task (its `id` is ignored) and an `evidence` event, if
    /// the task is still in `expected`; returns the file's id.
    pub fn add_task_evidence(
        &self,
        ev: &EvidenceRow,
        expected: State,
        unit: Option<&str>,
    ) -> Result<i64, StoreError> {
        let id = ev.task_id;
        self.write(|c| {
            match task_in(c, id)? {
                None => {
                    return Err(StoreError::NotFound {
                        what: format!("task {id}"),
                    });
                }
                Some(t) if t.state != expected => {
                    return Err(StoreError::Refused {
                        what: format!(
                            "任务 {id} 的状态刚被他人改为“{}”，请刷新后重试 / task {id} changed meanwhile: it is now {}, not {}",
                            t.state.name_zh(),
                            t.state.as_str(),
                            expected.as_str()
                        ),
                    });
                }
                Some(_) => {}
            }
            let eid = c
                .query(
                    "INSERT INTO task_evidence (task_id, file, bytes, sha256, exif_ms, exif_lat, exif_lon, verdict, reason, actor, at_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                    &[
                        id.into(),
                        ev.file.as_str().into(),
                        ev.bytes.into(),
                        ev.sha256.as_str().into(),
                        ev.exif_ms.into(),
                        ev.exif_lat.into(),
                        ev.exif_lon.into(),
                        ev.verdict.as_str().into(),
                        ev.reason.as_str().into(),
                        ev.actor.as_str().into(),
                        ev.at_ms.into(),
                    ],
                )?
                .first()
                .and_then(|r| r[0].int())
                .ok_or_else(|| invalid("the new evidence's id".to_owned()))?;
            c.exec(
                "UPDATE tasks SET updated_ms = $1 WHERE id = $2",
                &[ev.at_ms.into(), id.into()],
            )?;
            insert_event(
                c,
                &TaskEvent {
                    id: 0,
                    task_id: id,
                    at_ms: ev.at_ms,
                    actor: ev.actor.clone(),
                    unit: unit.map(str::to_owned),
                    kind: EventKind::Evidence,
                    text: ev.file.clone(),
                    state_after: expected,
                },
            )?;
            Ok(eid)
        })
    }

    /// A task's evidence files, oldest first.
    pub fn task_evidence(&self, id: i64) -> Result<Vec<EvidenceRow>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT id, task_id, file, bytes, sha256, exif_ms, exif_lat, exif_lon, verdict, reason, actor, at_ms FROM task_evidence WHERE task_id = $1 ORDER BY id",
                &[id.into()],
            )
        })?;
        rows.iter().map(evidence_row).collect()
    }

    /// Open tasks past their finishing deadline at `now_ms` and not escalated yet.
    pub fn tasks_to_escalate(&self, now_ms: i64) -> Result<Vec<TaskRow>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                &format!(
                    "SELECT {TASK_COLUMNS} FROM tasks WHERE state NOT IN ('finished', 'approved') AND escalated = 0 AND finish_deadline_ms < $1 ORDER BY id"
                ),
                &[now_ms.into()],
            )
        })?;
        rows.iter().map(task_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_kinds_and_verdicts_read_back() {
        for k in [EventKind::Create, EventKind::Evidence]
            .into_iter()
            .chain(Action::ALL.into_iter().map(EventKind::Act))
        {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
