//! The measures ledger in the store: measures (text as written, typed fields kept as a JSON
//! column, status) and every event of their history.

use crate::Store;
use crate::db::Row;
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

impl Store {
    /// Replaces the whole ledger (a new plan or an imported list), in one transaction.
    pub fn replace_measures(
        &self,
        rows: &[MeasureRow],
        actor: &str,
        at_ms: i64,
    ) -> Result<(), StoreError> {
        self.write(|c| {
            c.exec("DELETE FROM measure_events", &[])?;
            c.exec("DELETE FROM measures", &[])?;
            for m in rows {
                c.exec(
                    "INSERT INTO measures (id, position, category, task, measure, section, responsibility, parsed, status, updated_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
                    ],
                )?;
                c.exec(
                    "INSERT INTO measure_events (measure_id, at_ms, actor, unit, action, month, text, status_after) VALUES ($1, $2, $3, NULL, 'import', NULL, '', $4)",
                    &[m.id.as_str().into(), at_ms.into(), actor.into(), m.status.as_str().into()],
                )?;
            }
            Ok(())
        })
    }

    pub fn measures(&self) -> Result<Vec<MeasureRow>, StoreError> {
        let rows = self.read(|c| {
            c.query("SELECT id, position, category, task, measure, section, responsibility, parsed, status, updated_ms FROM measures ORDER BY position", &[])
        })?;
        rows.iter().map(measure).collect()
    }

    /// One measure, if it exists.
    pub fn measure(&self, id: &str) -> Result<Option<MeasureRow>, StoreError> {
        let rows = self.read(|c| {
            c.query("SELECT id, position, category, task, measure, section, responsibility, parsed, status, updated_ms FROM measures WHERE id = $1", &[id.into()])
        })?;
        rows.first().map(measure).transpose()
    }

    /// Records an event and the status it leaves the measure in; with `fields`, also
    /// replaces the measure's fields (a hand correction). One transaction.
    pub fn add_measure_event(
        &self,
        e: &MeasureEvent,
        fields: Option<&Fields>,
    ) -> Result<(), StoreError> {
        self.write(|c| {
            let n = match fields {
                Some(f) => c.exec(
                    "UPDATE measures SET status = $1, updated_ms = $2, parsed = $4 WHERE id = $3",
                    &[e.status_after.as_str().into(), e.at_ms.into(), e.measure_id.as_str().into(), fields_json(f).into()],
                )?,
                None => c.exec(
                    "UPDATE measures SET status = $1, updated_ms = $2 WHERE id = $3",
                    &[e.status_after.as_str().into(), e.at_ms.into(), e.measure_id.as_str().into()],
                )?,
            };
            if n == 0 {
                return Err(StoreError::NotFound { what: format!("measure {}", e.measure_id) });
            }
            c.exec(
                "INSERT INTO measure_events (measure_id, at_ms, actor, unit, action, month, text, status_after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    e.measure_id.as_str().into(),
                    e.at_ms.into(),
                    e.actor.as_str().into(),
                    e.unit.clone().into(),
                    e.action.as_str().into(),
                    e.month.map(|m| m.to_string()).into(),
                    e.text.as_str().into(),
                    e.status_after.as_str().into(),
                ],
            )?;
            Ok(())
        })
    }

    pub fn measure_events(&self, measure_id: &str) -> Result<Vec<MeasureEvent>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT id, measure_id, at_ms, actor, unit, action, month, text, status_after FROM measure_events WHERE measure_id = $1 ORDER BY id",
                &[measure_id.into()],
            )
        })?;
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
                })
            })
            .collect()
    }
}
