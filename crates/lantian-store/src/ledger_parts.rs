//! Parts of a measure with their own status (a milestone, a township's share) and their
//! history, and the numbers entered against a measure's targets (a 省定目标's number, monthly
//! actuals), kept with every earlier entry. Status changes are compare-and-set, as for the
//! measures themselves.

use crate::Store;
use crate::db::{Conn, Row};
use crate::error::StoreError;
use crate::ledger::{MeasureEvent, current_version, events};
use lantian_core::Month;
use lantian_core::ledger::status::Status;
use serde::Serialize;

/// The stored status of a part; a part without a row is not started.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PartRow {
    pub measure_id: String,
    /// `milestone:M05-1` or `unit:wangkou`.
    pub part: String,
    pub status: Status,
    pub updated_ms: i64,
}

/// An event of a part's history.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PartEvent {
    pub part: String,
    #[serde(flatten)]
    pub event: MeasureEvent,
}

/// What a number is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    /// The number of a 省定目标, entered by the bureau.
    Target,
    /// A month's actual value, entered by the lead unit.
    Actual,
}

impl ValueKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ValueKind::Target => "target",
            ValueKind::Actual => "actual",
        }
    }
}

/// A number entered against a target.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ValueRow {
    pub id: i64,
    pub measure_id: String,
    pub target_key: String,
    pub kind: ValueKind,
    pub month: Option<Month>,
    pub value: f64,
    pub actor: String,
    pub unit: Option<String>,
    pub at_ms: i64,
    pub note: String,
}

fn part_status(
    c: &mut dyn Conn,
    measure_id: &str,
    part: &str,
) -> Result<Option<Status>, StoreError> {
    let r = c.query(
        "SELECT status FROM measure_parts WHERE measure_id = $1 AND part = $2",
        &[measure_id.into(), part.into()],
    )?;
    Ok(r.first()
        .and_then(|r| r[0].text())
        .and_then(|s| Status::parse(&s)))
}

fn changed_meanwhile(what: &str, now: Status, expected: Status) -> StoreError {
    StoreError::Refused {
        what: format!(
            "{what} 的状态刚被他人改为“{}”，请刷新后重试 / {what} changed meanwhile: its status is now {}, not {}; reload and try again",
            now.name_zh(),
            now.as_str(),
            expected.as_str()
        ),
    }
}

impl Store {
    /// The stored parts of one measure, or of every measure with `None`.
    pub fn measure_parts(&self, measure_id: Option<&str>) -> Result<Vec<PartRow>, StoreError> {
        let rows = self.read(|c| match measure_id {
            Some(id) => c.query(
                "SELECT measure_id, part, status, updated_ms FROM measure_parts WHERE measure_id = $1 ORDER BY part",
                &[id.into()],
            ),
            None => c.query(
                "SELECT measure_id, part, status, updated_ms FROM measure_parts ORDER BY measure_id, part",
                &[],
            ),
        })?;
        rows.iter()
            .map(|r| {
                let t = |i: usize| r[i].text().unwrap_or_default();
                Ok(PartRow {
                    measure_id: t(0),
                    part: t(1),
                    status: Status::parse(&t(2)).ok_or_else(|| StoreError::Invalid {
                        what: format!(
                            "part {} of measure {}: stored status cannot be read",
                            t(1),
                            t(0)
                        ),
                    })?,
                    updated_ms: r[3].int().unwrap_or(0),
                })
            })
            .collect()
    }

    /// Records an event of a part and the status it leaves the part in, if the part's status
    /// is still `expected`; with `measure`, also moves the measure's status from the first
    /// to the second (compare-and-set too). One transaction: a concurrent change makes it
    /// [`StoreError::Refused`] and nothing is committed.
    pub fn add_part_event(
        &self,
        e: &MeasureEvent,
        part: &str,
        expected: Status,
        measure: Option<(Status, Status)>,
    ) -> Result<(), StoreError> {
        self.write(|c| {
            let version = current_version(c)?;
            let what = format!("{} {part}", e.measure_id);
            match part_status(c, &e.measure_id, part)? {
                None if expected == Status::NotStarted => {
                    c.exec(
                        "INSERT INTO measure_parts (measure_id, part, status, updated_ms) VALUES ($1, $2, $3, $4)",
                        &[e.measure_id.as_str().into(), part.into(), e.status_after.as_str().into(), e.at_ms.into()],
                    )?;
                }
                None => return Err(changed_meanwhile(&what, Status::NotStarted, expected)),
                Some(_) => {
                    let n = c.exec(
                        "UPDATE measure_parts SET status = $3, updated_ms = $4 WHERE measure_id = $1 AND part = $2 AND status = $5",
                        &[
                            e.measure_id.as_str().into(),
                            part.into(),
                            e.status_after.as_str().into(),
                            e.at_ms.into(),
                            expected.as_str().into(),
                        ],
                    )?;
                    if n == 0 {
                        let now = part_status(c, &e.measure_id, part)?.unwrap_or(Status::NotStarted);
                        return Err(changed_meanwhile(&what, now, expected));
                    }
                }
            }
            if let Some((from, to)) = measure {
                let n = c.exec(
                    "UPDATE measures SET status = $4, updated_ms = $5 WHERE id = $1 AND list_version = $2 AND status = $3",
                    &[e.measure_id.as_str().into(), version.into(), from.as_str().into(), to.as_str().into(), e.at_ms.into()],
                )?;
                if n == 0 {
                    return Err(StoreError::Refused {
                        what: format!(
                            "措施 {id} 的状态刚被他人更改，请刷新后重试 / measure {id} changed meanwhile (not {}); reload and try again",
                            from.as_str(),
                            id = e.measure_id
                        ),
                    });
                }
            }
            c.exec(
                "INSERT INTO measure_events (measure_id, at_ms, actor, unit, action, month, text, status_after, list_version, bytes, part) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
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
                    part.into(),
                ],
            )?;
            Ok(())
        })
    }

    /// The history of a measure's parts, oldest first.
    pub fn part_events(&self, measure_id: &str) -> Result<Vec<PartEvent>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT id, measure_id, at_ms, actor, unit, action, month, text, status_after, list_version, bytes, part FROM measure_events WHERE measure_id = $1 AND part IS NOT NULL ORDER BY id",
                &[measure_id.into()],
            )
        })?;
        let ev = events(measure_id, &rows)?;
        Ok(ev
            .into_iter()
            .zip(&rows)
            .map(|(event, r)| PartEvent {
                part: r[11].text().unwrap_or_default(),
                event,
            })
            .collect())
    }

    /// Appends a number; returns its id. Earlier numbers stay as its history.
    pub fn add_measure_value(&self, v: &ValueRow) -> Result<i64, StoreError> {
        self.write(|c| {
            c.exec(
                "INSERT INTO measure_values (measure_id, target_key, kind, month, value, actor, unit, at_ms, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[
                    v.measure_id.as_str().into(),
                    v.target_key.as_str().into(),
                    v.kind.as_str().into(),
                    v.month.map(|m| m.to_string()).into(),
                    v.value.into(),
                    v.actor.as_str().into(),
                    v.unit.clone().into(),
                    v.at_ms.into(),
                    v.note.as_str().into(),
                ],
            )?;
            let r = c.query("SELECT MAX(id) FROM measure_values", &[])?;
            Ok(r.first().and_then(|r| r[0].int()).unwrap_or(0))
        })
    }

    /// Every number entered against a measure's targets (`PLAN`: the plan's headline
    /// targets), oldest first.
    pub fn measure_values(&self, measure_id: &str) -> Result<Vec<ValueRow>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT id, measure_id, target_key, kind, month, value, actor, unit, at_ms, note FROM measure_values WHERE measure_id = $1 ORDER BY id",
                &[measure_id.into()],
            )
        })?;
        rows.iter().map(value_row).collect()
    }
}

fn value_row(r: &Row) -> Result<ValueRow, StoreError> {
    let t = |i: usize| r[i].text().unwrap_or_default();
    let bad = |what: &str| StoreError::Invalid {
        what: format!(
            "value {} of measure {}: stored {what} cannot be read",
            r[0].int().unwrap_or(0),
            t(1)
        ),
    };
    Ok(ValueRow {
        id: r[0].int().unwrap_or(0),
        measure_id: t(1),
        target_key: t(2),
        kind: match t(3).as_str() {
            "target" => ValueKind::Target,
            "actual" => ValueKind::Actual,
            _ => return Err(bad("kind")),
        },
        month: match r[4].text() {
            Some(m) => Some(Month::parse(&m).ok_or_else(|| bad("month"))?),
            None => None,
        },
        value: r[5].real().ok_or_else(|| bad("value"))?,
        actor: t(6),
        unit: r[7].text(),
        at_ms: r[8].int().unwrap_or(0),
        note: t(9),
    })
}
