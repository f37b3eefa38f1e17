//! Enterprise declarations (停运 / 停产 / 检修 / 因子异常 / 长期停产, issue 22): a declaration
//! with its outlets, files and every step (its creation is a step to `pending`); the review
//! and the withdrawal are compare-and-set (`UPDATE … WHERE state = 'pending'`: a lost race is
//! [`StoreError::Refused`] naming the state now, nothing committed); and the approved
//! declarations of outlets over a span, which the integrity scan and the emissions rows read.

use crate::Store;
use crate::db::{Conn, Row, Val, text};
use crate::error::{StoreError, invalid};
use lantian_core::declaration::{Kind, State};
use serde::Serialize;
use std::collections::HashMap;

/// A declaration as stored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeclarationRow {
    pub id: i64,
    pub enterprise_id: String,
    pub outlets: Vec<String>,
    pub kind: Kind,
    /// `[start_ts, end_ts)`, CST seconds.
    pub start_ts: i64,
    pub end_ts: i64,
    /// 因子异常: the factor codes; empty for the other kinds (every factor).
    pub codes: Vec<String>,
    pub reason: String,
    pub state: State,
    /// Hours after the start it was declared, when beyond the kind's grace.
    pub late_hours: Option<i64>,
    pub declared_by: String,
    pub declared_ms: i64,
    pub reviewed_by: Option<String>,
    pub reviewed_ms: Option<i64>,
    pub review_note: String,
    pub updated_ms: i64,
}

/// A file attached to a declaration (stored under the data directory by the app).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FileRow {
    pub id: i64,
    pub declaration_id: i64,
    /// The name as uploaded (cleaned).
    pub name: String,
    /// The stored file's name.
    pub file: String,
    pub size: i64,
    pub sha256: String,
    pub actor: String,
    pub at_ms: i64,
}

/// One step of a declaration.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventRow {
    pub id: i64,
    pub declaration_id: i64,
    /// `declare`, `approve`, `reject`, `withdraw`, `file`.
    pub action: String,
    pub from_state: Option<State>,
    pub to_state: State,
    pub at_ms: i64,
    pub actor: String,
    pub note: String,
}

/// An approved declaration at one outlet, as the integrity scan and the emissions rows read it.
#[derive(Clone, Debug, PartialEq)]
pub struct Approved {
    pub outlet: String,
    pub kind: Kind,
    /// `[start_ts, end_ts)`, CST seconds.
    pub start_ts: i64,
    pub end_ts: i64,
    /// 因子异常: the factor codes; empty: every factor.
    pub codes: Vec<String>,
}

/// Which declarations to list (each: any when `None`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    pub enterprise_id: Option<String>,
    pub state: Option<State>,
    pub kind: Option<Kind>,
    /// Declarations whose period overlaps `[from_ts, to_ts)`.
    pub from_ts: Option<i64>,
    pub to_ts: Option<i64>,
}

/// A review or withdrawal to apply if the declaration is still pending.
#[derive(Clone, Debug, PartialEq)]
pub struct Change<'a> {
    pub id: i64,
    pub to: State,
    pub action: &'a str,
    pub at_ms: i64,
    pub actor: &'a str,
    pub note: &'a str,
    /// Recorded as the reviewer (approve, reject); a withdrawal is not a review.
    pub review: bool,
}

fn state_of(v: &Val, table: &str, id: i64) -> Result<State, StoreError> {
    let s = v.text().unwrap_or_default();
    State::parse(&s).ok_or_else(|| invalid(format!("{table} row {id}: unknown state {s:?}")))
}

const COLUMNS: &str = "id, enterprise_id, kind, start_ts, end_ts, codes, reason, state, late_hours, \
     declared_by, declared_ms, reviewed_by, reviewed_ms, review_note, updated_ms";

fn row(r: &Row) -> Result<DeclarationRow, StoreError> {
    let id = r[0].int().unwrap_or_default();
    let kind = text(r, 2);
    Ok(DeclarationRow {
        id,
        enterprise_id: text(r, 1),
        outlets: Vec::new(),
        kind: Kind::parse(&kind)
            .ok_or_else(|| invalid(format!("declarations row {id}: unknown kind {kind:?}")))?,
        start_ts: r[3].int().unwrap_or_default(),
        end_ts: r[4].int().unwrap_or_default(),
        codes: text(r, 5)
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
        reason: text(r, 6),
        state: state_of(&r[7], "declarations", id)?,
        late_hours: r[8].int(),
        declared_by: text(r, 9),
        declared_ms: r[10].int().unwrap_or_default(),
        reviewed_by: r[11].text(),
        reviewed_ms: r[12].int(),
        review_note: text(r, 13),
        updated_ms: r[14].int().unwrap_or_default(),
    })
}

fn insert_event(c: &mut dyn Conn, e: &EventRow) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO declaration_events (declaration_id, action, from_state, to_state, at_ms, \
         actor, note) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            e.declaration_id.into(),
            e.action.as_str().into(),
            e.from_state.map(State::as_str).into(),
            e.to_state.as_str().into(),
            e.at_ms.into(),
            e.actor.as_str().into(),
            e.note.as_str().into(),
        ],
    )
    .map(drop)
}

/// Fills in each row's outlets.
fn with_outlets(
    c: &mut dyn Conn,
    mut rows: Vec<DeclarationRow>,
) -> Result<Vec<DeclarationRow>, StoreError> {
    if rows.is_empty() {
        return Ok(rows);
    }
    let lo = rows.iter().map(|r| r.id).min().unwrap_or(0);
    let hi = rows.iter().map(|r| r.id).max().unwrap_or(0);
    let mut of: HashMap<i64, Vec<String>> = HashMap::new();
    for r in c.query(
        "SELECT declaration_id, outlet_id FROM declaration_outlets \
         WHERE declaration_id >= $1 AND declaration_id <= $2 ORDER BY declaration_id, outlet_id",
        &[lo.into(), hi.into()],
    )? {
        of.entry(r[0].int().unwrap_or_default())
            .or_default()
            .push(text(&r, 1));
    }
    for d in &mut rows {
        d.outlets = of.remove(&d.id).unwrap_or_default();
    }
    Ok(rows)
}

impl Store {
    /// Stores a new declaration (its `id` and `outlets` as given are ignored / used) with its
    /// outlets and its first step, in one transaction; returns its id.
    pub fn add_declaration(&self, d: &DeclarationRow) -> Result<i64, StoreError> {
        if d.enterprise_id.trim().is_empty() || d.outlets.is_empty() || d.end_ts <= d.start_ts {
            return Err(invalid(format!(
                "a declaration needs an enterprise, outlets and a period that ends after it starts \
                 (enterprise {:?}, {} outlets, {}..{})",
                d.enterprise_id,
                d.outlets.len(),
                d.start_ts,
                d.end_ts
            )));
        }
        self.write(|c| {
            let rows = c.query(
                "INSERT INTO declarations (enterprise_id, kind, start_ts, end_ts, codes, reason, \
                 state, late_hours, declared_by, declared_ms, review_note, updated_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '', $10) RETURNING id",
                &[
                    d.enterprise_id.as_str().into(),
                    d.kind.as_str().into(),
                    d.start_ts.into(),
                    d.end_ts.into(),
                    d.codes.join(",").into(),
                    d.reason.as_str().into(),
                    d.state.as_str().into(),
                    d.late_hours.into(),
                    d.declared_by.as_str().into(),
                    d.declared_ms.into(),
                ],
            )?;
            let id = rows
                .first()
                .and_then(|r| r[0].int())
                .ok_or_else(|| invalid("the new declarations row has no id".to_owned()))?;
            let mut outlets = d.outlets.clone();
            outlets.sort();
            outlets.dedup();
            for o in &outlets {
                c.exec(
                    "INSERT INTO declaration_outlets (declaration_id, outlet_id) VALUES ($1, $2)",
                    &[id.into(), o.as_str().into()],
                )?;
            }
            insert_event(
                c,
                &EventRow {
                    id: 0,
                    declaration_id: id,
                    action: "declare".into(),
                    from_state: None,
                    to_state: d.state,
                    at_ms: d.declared_ms,
                    actor: d.declared_by.clone(),
                    note: String::new(),
                },
            )?;
            Ok(id)
        })
    }

    /// Approves, rejects or withdraws a pending declaration (compare-and-set).
    pub fn change_declaration(&self, ch: &Change<'_>) -> Result<(), StoreError> {
        self.write(|c| {
            let n = if ch.review {
                c.exec(
                    "UPDATE declarations SET state = $2, reviewed_by = $3, reviewed_ms = $4, \
                     review_note = $5, updated_ms = $4 WHERE id = $1 AND state = 'pending'",
                    &[
                        ch.id.into(),
                        ch.to.as_str().into(),
                        ch.actor.into(),
                        ch.at_ms.into(),
                        ch.note.into(),
                    ],
                )?
            } else {
                c.exec(
                    "UPDATE declarations SET state = $2, updated_ms = $3 \
                     WHERE id = $1 AND state = 'pending'",
                    &[ch.id.into(), ch.to.as_str().into(), ch.at_ms.into()],
                )?
            };
            if n == 0 {
                let now = c.query("SELECT state FROM declarations WHERE id = $1", &[ch.id.into()])?;
                return Err(match now.first() {
                    None => StoreError::NotFound {
                        what: format!("declaration {}", ch.id),
                    },
                    Some(r) => {
                        let s = state_of(&r[0], "declarations", ch.id)?;
                        StoreError::Refused {
                            what: format!(
                                "申报 {} 已是“{}”，不再待审核 / declaration {} is {s} now, no longer pending",
                                ch.id,
                                s.name_zh(),
                                ch.id
                            ),
                        }
                    }
                });
            }
            insert_event(
                c,
                &EventRow {
                    id: 0,
                    declaration_id: ch.id,
                    action: ch.action.to_owned(),
                    from_state: Some(State::Pending),
                    to_state: ch.to,
                    at_ms: ch.at_ms,
                    actor: ch.actor.to_owned(),
                    note: ch.note.to_owned(),
                },
            )
        })
    }

    /// Records a file of a declaration with its step, if the declaration has fewer than
    /// `files_max` files (counted in the same transaction); returns the file's id.
    pub fn add_declaration_file(&self, f: &FileRow, files_max: i64) -> Result<i64, StoreError> {
        self.write(|c| {
            let n = c
                .query(
                    "SELECT COUNT(*) FROM declaration_files WHERE declaration_id = $1",
                    &[f.declaration_id.into()],
                )?
                .first()
                .and_then(|r| r[0].int())
                .unwrap_or(0);
            if n >= files_max {
                return Err(StoreError::Refused {
                    what: format!(
                        "每份申报最多 {files_max} 个附件 / a declaration has at most {files_max} files"
                    ),
                });
            }
            let state = c
                .query(
                    "SELECT state FROM declarations WHERE id = $1",
                    &[f.declaration_id.into()],
                )?
                .first()
                .map(|r| state_of(&r[0], "declarations", f.declaration_id))
                .transpose()?
                .ok_or_else(|| StoreError::NotFound {
                    what: format!("declaration {}", f.declaration_id),
                })?;
            let id = c
                .query(
                    "INSERT INTO declaration_files (declaration_id, name, file, size, sha256, actor, \
                     at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    &[
                        f.declaration_id.into(),
                        f.name.as_str().into(),
                        f.file.as_str().into(),
                        f.size.into(),
                        f.sha256.as_str().into(),
                        f.actor.as_str().into(),
                        f.at_ms.into(),
                    ],
                )?
                .first()
                .and_then(|r| r[0].int())
                .ok_or_else(|| invalid("the new declaration_files row has no id".to_owned()))?;
            insert_event(
                c,
                &EventRow {
                    id: 0,
                    declaration_id: f.declaration_id,
                    action: "file".into(),
                    from_state: Some(state),
                    to_state: state,
                    at_ms: f.at_ms,
                    actor: f.actor.clone(),
                    note: f.name.clone(),
                },
            )?;
            Ok(id)
        })
    }

    /// Declarations by filter, newest first, with their outlets.
    pub fn declarations(&self, f: &Filter) -> Result<Vec<DeclarationRow>, StoreError> {
        let params = [
            f.enterprise_id.clone().unwrap_or_default().into(),
            f.state.map_or("", State::as_str).into(),
            f.kind.map_or("", Kind::as_str).into(),
            f.from_ts.unwrap_or(i64::MIN).into(),
            f.to_ts.unwrap_or(i64::MAX).into(),
        ];
        self.read(|c| {
            let rows = c
                .query(
                    &format!(
                        "SELECT {COLUMNS} FROM declarations WHERE ($1 = '' OR enterprise_id = $1) \
                         AND ($2 = '' OR state = $2) AND ($3 = '' OR kind = $3) \
                         AND end_ts > $4 AND start_ts < $5 ORDER BY id DESC"
                    ),
                    &params,
                )?
                .iter()
                .map(row)
                .collect::<Result<Vec<_>, _>>()?;
            with_outlets(c, rows)
        })
    }

    /// One declaration with its outlets.
    pub fn declaration(&self, id: i64) -> Result<Option<DeclarationRow>, StoreError> {
        self.read(|c| {
            let rows = c
                .query(
                    &format!("SELECT {COLUMNS} FROM declarations WHERE id = $1"),
                    &[id.into()],
                )?
                .iter()
                .map(row)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(with_outlets(c, rows)?.pop())
        })
    }

    /// A declaration's files and steps, oldest first.
    pub fn declaration_history(
        &self,
        id: i64,
    ) -> Result<(Vec<FileRow>, Vec<EventRow>), StoreError> {
        self.read(|c| {
            let files = c
                .query(
                    "SELECT id, declaration_id, name, file, size, sha256, actor, at_ms \
                     FROM declaration_files WHERE declaration_id = $1 ORDER BY id",
                    &[id.into()],
                )?
                .iter()
                .map(|r| FileRow {
                    id: r[0].int().unwrap_or_default(),
                    declaration_id: r[1].int().unwrap_or_default(),
                    name: text(r, 2),
                    file: text(r, 3),
                    size: r[4].int().unwrap_or_default(),
                    sha256: text(r, 5),
                    actor: text(r, 6),
                    at_ms: r[7].int().unwrap_or_default(),
                })
                .collect();
            let events = c
                .query(
                    "SELECT id, declaration_id, action, from_state, to_state, at_ms, actor, note \
                     FROM declaration_events WHERE declaration_id = $1 ORDER BY id",
                    &[id.into()],
                )?
                .iter()
                .map(|r| {
                    let eid = r[0].int().unwrap_or_default();
                    Ok(EventRow {
                        id: eid,
                        declaration_id: r[1].int().unwrap_or_default(),
                        action: text(r, 2),
                        from_state: match &r[3] {
                            Val::Null => None,
                            v => Some(state_of(v, "declaration_events", eid)?),
                        },
                        to_state: state_of(&r[4], "declaration_events", eid)?,
                        at_ms: r[5].int().unwrap_or_default(),
                        actor: text(r, 6),
                        note: text(r, 7),
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            Ok((files, events))
        })
    }

    /// The approved declarations covering any of `outlets` (all outlets when empty) and
    /// overlapping `[from_ts, to_ts)`, one per outlet.
    pub fn approved_declarations(
        &self,
        outlets: &[&str],
        from_ts: i64,
        to_ts: i64,
    ) -> Result<Vec<Approved>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT o.outlet_id, d.kind, d.start_ts, d.end_ts, d.codes, d.id FROM declarations d \
                 JOIN declaration_outlets o ON o.declaration_id = d.id \
                 WHERE d.state = 'approved' AND d.end_ts > $1 AND d.start_ts < $2 \
                 AND ($3 = '' OR o.outlet_id = $3) ORDER BY o.outlet_id, d.start_ts",
                // One outlet (the emissions rows' case) is filtered by the index.
                &[
                    from_ts.into(),
                    to_ts.into(),
                    match outlets {
                        [one] => *one,
                        _ => "",
                    }
                    .into(),
                ],
            )
        })?;
        rows.iter()
            .filter(|r| outlets.is_empty() || outlets.contains(&text(r, 0).as_str()))
            .map(|r| {
                let kind = text(r, 1);
                Ok(Approved {
                    outlet: text(r, 0),
                    kind: Kind::parse(&kind).ok_or_else(|| {
                        invalid(format!(
                            "declarations row {}: unknown kind {kind:?}",
                            r[5].int().unwrap_or_default()
                        ))
                    })?,
                    start_ts: r[2].int().unwrap_or_default(),
                    end_ts: r[3].int().unwrap_or_default(),
                    codes: text(r, 4)
                        .split(',')
                        .filter(|c| !c.is_empty())
                        .map(str::to_owned)
                        .collect(),
                })
            })
            .collect()
    }
}
