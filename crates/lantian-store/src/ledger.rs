//! The measures ledger in the store: measures (text as written, parsed fields as JSON,
//! status) and every event of their history.

use crate::Store;
use crate::db::Row;
use crate::error::StoreError;
use serde::Serialize;

/// A stored measure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MeasureRow {
    pub id: String,
    pub position: i64,
    pub category: String,
    pub task: String,
    pub measure: String,
    pub section: String,
    pub responsibility: String,
    /// JSON object: `lead_units`, `supporting_units`, `deadlines`, `targets`.
    pub parsed: String,
    pub status: String,
    pub updated_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MeasureEvent {
    pub id: i64,
    pub measure_id: String,
    pub at_ms: i64,
    pub actor: String,
    pub unit: Option<String>,
    pub action: String,
    pub month: Option<String>,
    pub text: String,
    pub status_after: String,
}

fn measure(r: &Row) -> MeasureRow {
    let t = |i: usize| r[i].text().unwrap_or_default();
    MeasureRow {
        id: t(0),
        position: r[1].int().unwrap_or(0),
        category: t(2),
        task: t(3),
        measure: t(4),
        section: t(5),
        responsibility: t(6),
        parsed: t(7),
        status: t(8),
        updated_ms: r[9].int().unwrap_or(0),
    }
}

impl MeasureRow {
    /// A parsed measure as a row, not started.
    pub fn from_measure(m: &lantian_core::ledger::Measure, position: i64) -> MeasureRow {
        MeasureRow {
            id: m.id.clone(),
            position,
            category: m.category.clone(),
            task: m.task.clone(),
            measure: m.measure.clone(),
            section: m.section.clone(),
            responsibility: m.responsibility.clone(),
            parsed: serde_json::json!({
                "lead_units": m.lead_units, "supporting_units": m.supporting_units, "unknown_units": m.unknown_units,
                "deadlines": m.deadlines, "targets": m.targets,
            })
            .to_string(),
            status: lantian_core::ledger::status::Status::NotStarted.as_str().to_owned(),
            updated_ms: 0,
        }
    }
}

impl Store {
    /// Loads the shipped measures of Xinji's plan into an empty ledger.
    pub fn seed_measures(&self, at_ms: i64) -> Result<usize, StoreError> {
        if !self.measures()?.is_empty() {
            return Ok(0);
        }
        let rows: Vec<MeasureRow> = lantian_core::ledger::xinji()
            .iter()
            .enumerate()
            .map(|(i, m)| MeasureRow::from_measure(m, i as i64 + 1))
            .collect();
        self.replace_measures(&rows, "system", at_ms)?;
        Ok(rows.len())
    }

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
                        m.parsed.as_str().into(),
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
        Ok(rows.iter().map(measure).collect())
    }

    /// Records an event and the status it leaves the measure in.
    pub fn add_measure_event(&self, e: &MeasureEvent) -> Result<(), StoreError> {
        self.write(|c| {
            let n = c.exec("UPDATE measures SET status = $1, updated_ms = $2 WHERE id = $3", &[e.status_after.as_str().into(), e.at_ms.into(), e.measure_id.as_str().into()])?;
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
                    e.month.clone().into(),
                    e.text.as_str().into(),
                    e.status_after.as_str().into(),
                ],
            )?;
            Ok(())
        })
    }

    /// Replaces the parsed fields of a measure (a hand correction), with an event.
    pub fn correct_measure(
        &self,
        id: &str,
        parsed: &str,
        e: &MeasureEvent,
    ) -> Result<(), StoreError> {
        self.write(|c| {
            let n = c.exec("UPDATE measures SET parsed = $1, updated_ms = $2 WHERE id = $3", &[parsed.into(), e.at_ms.into(), id.into()])?;
            if n == 0 {
                return Err(StoreError::NotFound { what: format!("measure {id}") });
            }
            c.exec(
                "INSERT INTO measure_events (measure_id, at_ms, actor, unit, action, month, text, status_after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[id.into(), e.at_ms.into(), e.actor.as_str().into(), e.unit.clone().into(), e.action.as_str().into(), e.month.clone().into(), e.text.as_str().into(), e.status_after.as_str().into()],
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
        Ok(rows
            .iter()
            .map(|r| MeasureEvent {
                id: r[0].int().unwrap_or(0),
                measure_id: r[1].text().unwrap_or_default(),
                at_ms: r[2].int().unwrap_or(0),
                actor: r[3].text().unwrap_or_default(),
                unit: r[4].text(),
                action: r[5].text().unwrap_or_default(),
                month: r[6].text(),
                text: r[7].text().unwrap_or_default(),
                status_after: r[8].text().unwrap_or_default(),
            })
            .collect())
    }
}
