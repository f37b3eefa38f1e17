//! The measures ledger in the store: measures (text as written, typed fields kept as a JSON
//! column, status), every event of their history (never deleted), and the versions of the
//! list: each import is a new version, the rows of the old one are kept, and every event
//! names the version it was made under. Status changes are compare-and-set.

use crate::Store;
use crate::db::{Conn, Row, Val};
use crate::error::StoreError;
use lantian_core::Month;
use lantian_core::ledger::status::Status;
use lantian_core::ledger::{EventKind, Fields, Measure};
use serde::Serialize;

/// A stored measure: the text as written, the fields read from it (or corrected by hand),
/// and its recorded status.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MeasureRow {
    pub id: String,
    pub position: i64,
    pub category: String,
    pub task: String,
    pub measure: String,
    pub section: String,
    pub responsibility: String,
    pub fields: Fields,
    pub status: Status,
    pub updated_ms: i64,
}

/// An entry of a measure's history.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MeasureEvent {
    pub id: i64,
    pub measure_id: String,
    pub at_ms: i64,
    pub actor: String,
    pub unit: Option<String>,
    pub action: EventKind,
    pub month: Option<Month>,
    pub text: String,
    pub status_after: Status,
    /// The version of the list the event was made under (set by the store on writing).
    pub list_version: i64,
    /// An evidence file's size.
    pub bytes: Option<i64>,
}

/// One version of the measures list: when and by whom it was imported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MeasureList {
    pub version: i64,
    pub imported_ms: i64,
    pub actor: String,
    pub measures: i64,
}

/// How much evidence one measure may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvidenceQuota {
    pub files_max: i64,
    pub bytes_max: i64,
}

/// The evidence a measure has: files and their total size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EvidenceUse {
    pub files: i64,
    pub bytes: i64,
}

impl EvidenceQuota {
    /// Why `adding` more bytes to `used` would pass the quota, if it would.
    pub fn refusal(&self, measure_id: &str, used: EvidenceUse, adding: i64) -> Option<String> {
        let (files, bytes) = (used.files + 1, used.bytes.saturating_add(adding));
        (files > self.files_max || bytes > self.bytes_max).then(|| {
            format!(
                "措施 {measure_id} 的证明材料已达上限（{} 个文件、{} MiB），现有 {} 个、{:.1} MiB / evidence quota of measure {measure_id} reached: at most {} files and {} MiB, it has {} files of {:.1} MiB and this file adds {adding} bytes",
                self.files_max,
                self.bytes_max >> 20,
                used.files,
                used.bytes as f64 / 1048576.0,
                self.files_max,
                self.bytes_max >> 20,
                used.files,
                used.bytes as f64 / 1048576.0,
            )
        })
    }
}

fn measure(r: &Row) -> Result<MeasureRow, StoreError> {
    let t = |i: usize| r[i].text().unwrap_or_default();
    let bad = |what: &str| StoreError::Invalid {
        what: format!("measure {}: stored {what} cannot be read", t(0)),
    };
    Ok(MeasureRow {
        id: t(0),
        position: r[1].int().unwrap_or(0),
        category: t(2),
        task: t(3),
        measure: t(4),
        section: t(5),
        responsibility: t(6),
        fields: serde_json::from_str(&t(7)).map_err(|_| bad("fields"))?,
        status: Status::parse(&t(8)).ok_or_else(|| bad("status"))?,
        updated_ms: r[9].int().unwrap_or(0),
    })
}

fn fields_json(f: &Fields) -> String {
    // Serialising plain data to a string cannot fail.
    serde_json::to_string(f).unwrap_or_default()
}

impl MeasureRow {
    /// A parsed measure as a row, not started.
    pub fn from_measure(m: &Measure, position: i64) -> MeasureRow {
        MeasureRow {
            id: m.id.clone(),
            position,
            category: m.category.clone(),
            task: m.task.clone(),
            measure: m.measure.clone(),
            section: m.section.clone(),
            responsibility: m.responsibility.clone(),
            fields: m.fields.clone(),
            status: Status::NotStarted,
            updated_ms: 0,
        }
    }
}

const MEASURE_COLUMNS: &str =
    "id, position, category, task, measure, section, responsibility, parsed, status, updated_ms";

/// The current version of the list (1 for a ledger from before versions were kept).
const CURRENT_VERSION: &str = "(SELECT COALESCE(MAX(version), 1) FROM measure_lists)";

pub(crate) fn current_version(c: &mut dyn Conn) -> Result<i64, StoreError> {
    Ok(c.query(&format!("SELECT {CURRENT_VERSION}"), &[])?
        .first()
        .and_then(|r| r[0].int())
        .unwrap_or(1))
}

fn evidence_use(c: &mut dyn Conn, measure_id: &str) -> Result<EvidenceUse, StoreError> {
    let r = c.query(
        "SELECT COUNT(*), CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM measure_events WHERE measure_id = $1 AND action = 'evidence' AND part IS NULL",
        &[measure_id.into()],
    )?;
    Ok(r.first()
        .map_or_else(EvidenceUse::default, |r| EvidenceUse {
            files: r[0].int().unwrap_or(0),
            bytes: r[1].int().unwrap_or(0),
        }))
}

impl Store {
    /// Imports a new version of the list, in one transaction: the current rows are kept as
    /// the old version's, the new rows (not started) become the ledger, and every event of
    /// the history stays. A measure missing from the new list leaves the ledger; its history
    /// stays. Returns the new version.
    pub fn replace_measures(
        &self,
        rows: &[MeasureRow],
        actor: &str,
        at_ms: i64,
    ) -> Result<i64, StoreError> {
        self.write(|c| {
            let had = c
                .query("SELECT COUNT(*), COALESCE(MAX(version), 0) FROM measure_lists", &[])?
                .first()
                .map_or((0, 0), |r| (r[0].int().unwrap_or(0), r[1].int().unwrap_or(0)));
            let stored = c.query("SELECT COUNT(*) FROM measures", &[])?.first().and_then(|r| r[0].int()).unwrap_or(0);
            // A ledger from before versions with no list row counts as version 1.
            let old = if had.0 == 0 && stored > 0 { 1 } else { had.1 };
            let version = old + 1;
            c.exec(
                &format!(
                    "INSERT INTO measures_superseded (list_version, {MEASURE_COLUMNS}) \
                     SELECT list_version, {MEASURE_COLUMNS} FROM measures WHERE list_version = $1 \
                     ON CONFLICT (list_version, id) DO NOTHING"
                ),
                &[old.into()],
            )?;
            c.exec(
                "INSERT INTO measure_lists (version, imported_ms, actor, measures) VALUES ($1, $2, $3, $4)",
                &[version.into(), at_ms.into(), actor.into(), (rows.len() as i64).into()],
            )?;
            for m in rows {
                c.exec(
                    "INSERT INTO measures (id, position, category, task, measure, section, responsibility, parsed, status, updated_ms, list_version) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                     ON CONFLICT (id) DO UPDATE SET position = excluded.position, category = excluded.category, task = excluded.task, \
                       measure = excluded.measure, section = excluded.section, responsibility = excluded.responsibility, \
                       parsed = excluded.parsed, status = excluded.status, updated_ms = excluded.updated_ms, list_version = excluded.list_version",
                    &[
                        m.id.as_str().into(),
                        m.position.into(),
                        m.category.as_str().into(),
                        m.task.as_str().into(),
                        m.measure.as_str().into(),
                        m.section.as_str().into(),
                        m.responsibility.as_str().into(),
                        fields_json(&m.fields).into(),
                        m.status.as_str().into(),
                        at_ms.into(),
                        version.into(),
                    ],
                )?;
                c.exec(
                    "INSERT INTO measure_events (measure_id, at_ms, actor, unit, action, month, text, status_after, list_version) VALUES ($1, $2, $3, NULL, 'import', NULL, $4, $5, $6)",
                    &[
                        m.id.as_str().into(),
                        at_ms.into(),
                        actor.into(),
                        format!("list version {version}").into(),
                        m.status.as_str().into(),
                        version.into(),
                    ],
                )?;
            }
            Ok(version)
        })
    }

    /// The versions of the list, oldest first.
    pub fn measure_lists(&self) -> Result<Vec<MeasureList>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT version, imported_ms, actor, measures FROM measure_lists ORDER BY version",
                &[],
            )
        })?;
        Ok(rows
            .iter()
            .map(|r| MeasureList {
                version: r[0].int().unwrap_or(0),
                imported_ms: r[1].int().unwrap_or(0),
                actor: r[2].text().unwrap_or_default(),
                measures: r[3].int().unwrap_or(0),
            })
            .collect())
    }

    /// The measures of an earlier version of the list, as they were when it was replaced.
    pub fn superseded_measures(&self, version: i64) -> Result<Vec<MeasureRow>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                &format!("SELECT {MEASURE_COLUMNS} FROM measures_superseded WHERE list_version = $1 ORDER BY position"),
                &[version.into()],
            )
        })?;
        rows.iter().map(measure).collect()
    }

    /// The measures of the current list, in its order.
    pub fn measures(&self) -> Result<Vec<MeasureRow>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                &format!("SELECT {MEASURE_COLUMNS} FROM measures WHERE list_version = {CURRENT_VERSION} ORDER BY position"),
                &[],
            )
        })?;
        rows.iter().map(measure).collect()
    }

    /// One measure of the current list, if it exists.
    pub fn measure(&self, id: &str) -> Result<Option<MeasureRow>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                &format!("SELECT {MEASURE_COLUMNS} FROM measures WHERE id = $1 AND list_version = {CURRENT_VERSION}"),
                &[id.into()],
            )
        })?;
        rows.first().map(measure).transpose()
    }

    /// The evidence a measure has (every version of the list).
    pub fn evidence_use(&self, measure_id: &str) -> Result<EvidenceUse, StoreError> {
        self.read(|c| evidence_use(c, measure_id))
    }

    /// Records an event and the status it leaves the measure in, if the measure's status is
    /// still `expected` (compare-and-set: a concurrent change makes this one
    /// [`StoreError::Refused`], nothing committed); with `fields`, also replaces the
    /// measure's fields (a hand correction); with `quota`, refuses evidence beyond it
    /// (counted in the same transaction, so racing uploads cannot pass it). One transaction.
    pub fn add_measure_event(
        &self,
        e: &MeasureEvent,
        expected: Status,
        fields: Option<&Fields>,
        quota: Option<EvidenceQuota>,
    ) -> Result<(), StoreError> {
        self.write(|c| {
            let version = current_version(c)?;
            if let Some(q) = quota {
                let used = evidence_use(c, &e.measure_id)?;
                if let Some(why) = q.refusal(&e.measure_id, used, e.bytes.unwrap_or(0)) {
                    return Err(StoreError::Refused { what: why });
                }
            }
            // Compare-and-set: the row changes only if its status is still the expected one.
            let mut params: Vec<Val> = vec![
                e.measure_id.as_str().into(),
                version.into(),
                expected.as_str().into(),
                e.status_after.as_str().into(),
                e.at_ms.into(),
            ];
            let sql = match fields {
                Some(f) => {
                    params.push(fields_json(f).into());
                    "UPDATE measures SET status = $4, updated_ms = $5, parsed = $6 WHERE id = $1 AND list_version = $2 AND status = $3"
                }
                None => {
                    "UPDATE measures SET status = $4, updated_ms = $5 WHERE id = $1 AND list_version = $2 AND status = $3"
                }
            };
            let n = c.exec(sql, &params)?;
            if n == 0 {
                let now = c.query(
                    "SELECT status FROM measures WHERE id = $1 AND list_version = $2",
                    &[e.measure_id.as_str().into(), version.into()],
                )?;
                let Some(now) = now.first().and_then(|r| r[0].text()) else {
                    return Err(StoreError::NotFound { what: format!("measure {}", e.measure_id) });
                };
                let zh = Status::parse(&now).map_or("?", Status::name_zh);
                return Err(StoreError::Refused {
                    what: format!(
                        "措施 {id} 的状态刚被他人改为“{zh}”，请刷新后重试 / measure {id} changed meanwhile: its status is now {now}, not {expected}; reload and try again",
                        id = e.measure_id,
                        expected = expected.as_str(),
                    ),
                });
            }
            c.exec(
                "INSERT INTO measure_events (measure_id, at_ms, actor, unit, action, month, text, status_after, list_version, bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                &[
                    e.measure_id.as_str().into(),
                    e.at_ms.into(),
                    e.actor.as_str().into(),
                    e.unit.clone().into(),
                    e.action.as_str().into(),
                    e.month.map(|m| m.to_string()).into(),
                    e.text.as_str().into(),
                    e.status_after.as_str().into(),
                    version.into(),
                    e.bytes.into(),
                ],
            )?;
            Ok(())
        })
    }

    /// A measure's whole history, under every version of the list, oldest first (the
    /// history of its parts is [`Store::part_events`]).
    pub fn measure_events(&self, measure_id: &str) -> Result<Vec<MeasureEvent>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT id, measure_id, at_ms, actor, unit, action, month, text, status_after, list_version, bytes FROM measure_events WHERE measure_id = $1 AND part IS NULL ORDER BY id",
                &[measure_id.into()],
            )
        })?;
        events(measure_id, &rows)
    }
}

/// Events from rows of `id, measure_id, at_ms, actor, unit, action, month, text,
/// status_after, list_version, bytes`.
pub(crate) fn events(measure_id: &str, rows: &[Row]) -> Result<Vec<MeasureEvent>, StoreError> {
    rows.iter()
        .map(|r| {
            let bad = |what: &str| StoreError::Invalid {
                what: format!(
                    "event {} of measure {measure_id}: stored {what} cannot be read",
                    r[0].int().unwrap_or(0)
                ),
            };
            Ok(MeasureEvent {
                id: r[0].int().unwrap_or(0),
                measure_id: r[1].text().unwrap_or_default(),
                at_ms: r[2].int().unwrap_or(0),
                actor: r[3].text().unwrap_or_default(),
                unit: r[4].text(),
                action: EventKind::parse(&r[5].text().unwrap_or_default())
                    .ok_or_else(|| bad("action"))?,
                month: match r[6].text() {
                    Some(m) => Some(Month::parse(&m).ok_or_else(|| bad("month"))?),
                    None => None,
                },
                text: r[7].text().unwrap_or_default(),
                status_after: Status::parse(&r[8].text().unwrap_or_default())
                    .ok_or_else(|| bad("status"))?,
                list_version: r[9].int().unwrap_or(1),
                bytes: r[10].int(),
            })
        })
        .collect()
}

/// A reminder (督办 or 催办) the bureau sent to the unit that answers for a measure, with the
/// unit's acknowledgement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reminder {
    pub id: i64,
    pub measure_id: String,
    /// The reminded unit: a department's name or a township's id.
    pub unit: String,
    /// `supervise` (督办) or `urge` (催办).
    pub kind: String,
    pub text: String,
    pub actor: String,
    pub at_ms: i64,
    pub acked_ms: Option<i64>,
    pub acked_by: Option<String>,
    pub reply: String,
}

const REMINDER_COLUMNS: &str =
    "id, measure_id, unit, kind, text, actor, at_ms, acked_ms, acked_by, reply";

fn reminder(r: &Row) -> Reminder {
    let t = |i: usize| r[i].text().unwrap_or_default();
    Reminder {
        id: r[0].int().unwrap_or(0),
        measure_id: t(1),
        unit: t(2),
        kind: t(3),
        text: t(4),
        actor: t(5),
        at_ms: r[6].int().unwrap_or(0),
        acked_ms: r[7].int(),
        acked_by: r[8].text(),
        reply: t(9),
    }
}

impl Store {
    /// Records a reminder; returns its id.
    pub fn add_reminder(&self, r: &Reminder) -> Result<i64, StoreError> {
        self.write(|c| {
            let rows = c.query(
                "INSERT INTO measure_reminders (measure_id, unit, kind, text, actor, at_ms, reply) \
                 VALUES ($1, $2, $3, $4, $5, $6, '') RETURNING id",
                &[
                    r.measure_id.as_str().into(),
                    r.unit.as_str().into(),
                    r.kind.as_str().into(),
                    r.text.as_str().into(),
                    r.actor.as_str().into(),
                    r.at_ms.into(),
                ],
            )?;
            Ok(rows.first().and_then(|x| x[0].int()).unwrap_or(0))
        })
    }

    /// Reminders, newest first: of one measure, to one unit, or all.
    pub fn reminders(
        &self,
        measure_id: Option<&str>,
        unit: Option<&str>,
    ) -> Result<Vec<Reminder>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                &format!(
                    "SELECT {REMINDER_COLUMNS} FROM measure_reminders \
                     WHERE (CAST($1 AS TEXT) IS NULL OR measure_id = $1) AND (CAST($2 AS TEXT) IS NULL OR unit = $2) \
                     ORDER BY id DESC"
                ),
                &[
                    measure_id.map(str::to_owned).into(),
                    unit.map(str::to_owned).into(),
                ],
            )
        })?;
        Ok(rows.iter().map(reminder).collect())
    }

    /// One reminder, if it exists.
    pub fn reminder(&self, id: i64) -> Result<Option<Reminder>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                &format!("SELECT {REMINDER_COLUMNS} FROM measure_reminders WHERE id = $1"),
                &[id.into()],
            )
        })?;
        Ok(rows.first().map(reminder))
    }

    /// The reminded unit acknowledges a reminder (once: a second acknowledgement is
    /// [`StoreError::Refused`]).
    pub fn ack_reminder(
        &self,
        id: i64,
        at_ms: i64,
        by: &str,
        reply: &str,
    ) -> Result<(), StoreError> {
        self.write(|c| {
            let n = c.exec(
                "UPDATE measure_reminders SET acked_ms = $2, acked_by = $3, reply = $4 \
                 WHERE id = $1 AND acked_ms IS NULL",
                &[id.into(), at_ms.into(), by.into(), reply.into()],
            )?;
            if n == 0 {
                return Err(StoreError::Refused {
                    what: format!(
                        "提醒 {id} 不存在或已签收 / reminder {id} does not exist or was already acknowledged"
                    ),
                });
            }
            Ok(())
        })
    }
}
