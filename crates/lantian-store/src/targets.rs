//! Targets (issue 16): per year, unit and indicator, with their history (never overwritten:
//! each edit a new row with who, when, where from and a note; the latest is current), and
//! each target's monthly breakdown with its method.

use crate::Store;
use crate::db::{Row, Val};
use crate::error::{StoreError, invalid};
use lantian_core::targets::{Indicator, Method};
use serde::Serialize;

/// Where a target's row comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetSource {
    /// The county profile's `targets.csv`, installed at first start.
    Profile,
    /// Entered by the bureau.
    Bureau,
}

impl TargetSource {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetSource::Profile => "profile",
            TargetSource::Bureau => "bureau",
        }
    }

    fn parse(s: &str) -> Option<TargetSource> {
        match s {
            "profile" => Some(TargetSource::Profile),
            "bureau" => Some(TargetSource::Bureau),
            _ => None,
        }
    }
}

/// A target to record.
#[derive(Clone, Debug, PartialEq)]
pub struct NewTarget {
    pub year: i32,
    pub unit_id: String,
    pub indicator: Indicator,
    /// `None`: a 省定目标 whose number is not entered yet.
    pub value: Option<f64>,
    pub source: TargetSource,
    pub actor: String,
    pub at_ms: i64,
    pub note: String,
}

/// A recorded target (one version).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TargetRow {
    pub id: i64,
    pub year: i32,
    pub unit_id: String,
    pub indicator: Indicator,
    pub value: Option<f64>,
    pub source: TargetSource,
    pub actor: String,
    pub at_ms: i64,
    pub note: String,
}

/// A target's monthly breakdown.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BreakdownRow {
    pub year: i32,
    pub unit_id: String,
    pub indicator: Indicator,
    pub method: Method,
    /// January to December.
    pub months: [f64; 12],
    pub actor: String,
    pub at_ms: i64,
}

const COLUMNS: &str = "id, year, unit_id, indicator, value, source, actor, at_ms, note";

fn target_row(r: &Row) -> Result<TargetRow, StoreError> {
    let id = r[0].int().unwrap_or_default();
    let indicator = r[3].text().unwrap_or_default();
    let source = r[5].text().unwrap_or_default();
    Ok(TargetRow {
        id,
        year: r[1].int().unwrap_or_default() as i32,
        unit_id: r[2].text().unwrap_or_default(),
        indicator: Indicator::parse(&indicator)
            .map_err(|e| invalid(format!("targets row {id}: {e}")))?,
        value: r[4].real(),
        source: TargetSource::parse(&source)
            .ok_or_else(|| invalid(format!("targets row {id}: unknown source {source:?}")))?,
        actor: r[6].text().unwrap_or_default(),
        at_ms: r[7].int().unwrap_or_default(),
        note: r[8].text().unwrap_or_default(),
    })
}

fn check(t: &NewTarget) -> Result<(), StoreError> {
    if t.unit_id.trim().is_empty() || t.actor.trim().is_empty() {
        return Err(invalid(
            "a target needs a unit and who recorded it".to_owned(),
        ));
    }
    if let Some(v) = t.value {
        t.indicator.check_value(v).map_err(|e| {
            invalid(format!(
                "target {} {} {}: {e}",
                t.year, t.unit_id, t.indicator
            ))
        })?;
    }
    Ok(())
}

fn insert(c: &mut dyn crate::db::Conn, t: &NewTarget) -> Result<i64, StoreError> {
    c.query(
        "INSERT INTO targets (year, unit_id, indicator, value, source, actor, at_ms, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        &[
            i64::from(t.year).into(),
            t.unit_id.as_str().into(),
            t.indicator.code().into(),
            t.value.into(),
            t.source.as_str().into(),
            t.actor.as_str().into(),
            t.at_ms.into(),
            t.note.as_str().into(),
        ],
    )?
    .first()
    .and_then(|r| r[0].int())
    .ok_or_else(|| invalid("the new target row has no id".to_owned()))
}

impl Store {
    /// Records a target: a new version of (year, unit, indicator); returns its id.
    pub fn add_target(&self, t: &NewTarget) -> Result<i64, StoreError> {
        check(t)?;
        self.write(|c| insert(c, t))
    }

    /// Records, in one transaction, each target whose (year, unit, indicator) has no row yet
    /// (a county profile's targets at first start: what the bureau entered stays); returns
    /// how many were recorded.
    pub fn add_targets_if_absent(&self, ts: &[NewTarget]) -> Result<usize, StoreError> {
        for t in ts {
            check(t)?;
        }
        self.write(|c| {
            let mut n = 0;
            for t in ts {
                let exists = !c
                    .query(
                        "SELECT 1 FROM targets WHERE year = $1 AND unit_id = $2 AND indicator = $3",
                        &[
                            i64::from(t.year).into(),
                            t.unit_id.as_str().into(),
                            t.indicator.code().into(),
                        ],
                    )?
                    .is_empty();
                if !exists {
                    insert(c, t)?;
                    n += 1;
                }
            }
            Ok(n)
        })
    }

    /// The current targets of `year` (the latest version of each), by unit and indicator.
    pub fn targets(&self, year: i32) -> Result<Vec<TargetRow>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                &format!(
                    "SELECT {COLUMNS} FROM targets t WHERE year = $1 AND id = (SELECT MAX(id) \
                     FROM targets u WHERE u.year = t.year AND u.unit_id = t.unit_id \
                     AND u.indicator = t.indicator) ORDER BY unit_id, indicator"
                ),
                &[i64::from(year).into()],
            )
        })?;
        rows.iter().map(target_row).collect()
    }

    /// Every version of the targets of `year`, optionally of one unit and one indicator,
    /// oldest first.
    pub fn target_history(
        &self,
        year: i32,
        unit_id: Option<&str>,
        indicator: Option<&Indicator>,
    ) -> Result<Vec<TargetRow>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                &format!(
                    "SELECT {COLUMNS} FROM targets WHERE year = $1 \
                     AND ($2 = '' OR unit_id = $2) AND ($3 = '' OR indicator = $3) \
                     ORDER BY unit_id, indicator, id"
                ),
                &[
                    i64::from(year).into(),
                    unit_id.unwrap_or("").into(),
                    indicator.map(Indicator::code).unwrap_or_default().into(),
                ],
            )
        })?;
        rows.iter().map(target_row).collect()
    }

    /// Replaces the monthly breakdown of (year, unit, indicator).
    pub fn set_breakdown(&self, b: &BreakdownRow) -> Result<(), StoreError> {
        if let Some(i) = b.months.iter().position(|v| !v.is_finite()) {
            return Err(invalid(format!(
                "breakdown {} {} {}: month {} is not a number",
                b.year,
                b.unit_id,
                b.indicator,
                i + 1
            )));
        }
        self.write(|c| {
            let key: [Val; 3] = [
                i64::from(b.year).into(),
                b.unit_id.as_str().into(),
                b.indicator.code().into(),
            ];
            c.exec(
                "DELETE FROM target_breakdowns WHERE year = $1 AND unit_id = $2 AND indicator = $3",
                &key,
            )?;
            for (i, v) in b.months.iter().enumerate() {
                c.exec(
                    "INSERT INTO target_breakdowns (year, unit_id, indicator, month, value, \
                     method, actor, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    &[
                        key[0].clone(),
                        key[1].clone(),
                        key[2].clone(),
                        (i as i64 + 1).into(),
                        (*v).into(),
                        b.method.as_str().into(),
                        b.actor.as_str().into(),
                        b.at_ms.into(),
                    ],
                )?;
            }
            Ok(())
        })
    }

    /// The monthly breakdowns of `year`, by unit and indicator.
    pub fn breakdowns(&self, year: i32) -> Result<Vec<BreakdownRow>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT unit_id, indicator, month, value, method, actor, at_ms \
                 FROM target_breakdowns WHERE year = $1 ORDER BY unit_id, indicator, month",
                &[i64::from(year).into()],
            )
        })?;
        let mut out: Vec<BreakdownRow> = Vec::new();
        for r in &rows {
            let unit_id = r[0].text().unwrap_or_default();
            let code = r[1].text().unwrap_or_default();
            let at = || format!("target_breakdowns {year} {unit_id} {code}");
            let indicator =
                Indicator::parse(&code).map_err(|e| invalid(format!("{}: {e}", at())))?;
            let method = Method::parse(&r[4].text().unwrap_or_default())
                .map_err(|e| invalid(format!("{}: {e}", at())))?;
            let month = r[2].int().unwrap_or_default();
            if !(1..=12).contains(&month) {
                return Err(invalid(format!("{}: month {month}", at())));
            }
            let fresh = out
                .last()
                .is_none_or(|b| b.unit_id != unit_id || b.indicator != indicator);
            if fresh {
                out.push(BreakdownRow {
                    year,
                    unit_id,
                    indicator,
                    method,
                    months: [f64::NAN; 12],
                    actor: r[5].text().unwrap_or_default(),
                    at_ms: r[6].int().unwrap_or_default(),
                });
            }
            if let Some(b) = out.last_mut() {
                b.months[month as usize - 1] = r[3].real().unwrap_or(f64::NAN);
            }
        }
        Ok(out)
    }
}
