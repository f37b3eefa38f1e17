//! The 散乱污 list (issue 21): entries with their township and state, and every step of each
//! (its creation is a step to `found`), from which the monthly count is made. A state change
//! is compare-and-set (`UPDATE … WHERE state = expected`): a lost race is
//! [`StoreError::Refused`] and nothing is committed.

use crate::Store;
use crate::db::{Conn, Row, Val};
use crate::error::{StoreError, invalid};
use lantian_core::date::Date;
use lantian_core::enforce::sanluanwu::{State, Step};
use serde::Serialize;

/// An entry of the list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EntryRow {
    pub id: i64,
    /// The township (unit id) it lies in.
    pub township: String,
    pub name: String,
    pub address: String,
    /// The trade, as written (e.g. 塑料颗粒加工).
    pub industry: String,
    /// What is wrong, as written (no permit, no treatment, outside a park, …).
    pub problem: String,
    pub state: State,
    /// The Beijing date it was (last) found.
    pub found_date: Date,
    /// How it came on the list: `report` (a township or the bureau typed it), `import`,
    /// `task` (a grid task found it).
    pub source: String,
    pub task_id: Option<i64>,
    pub actor: String,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// One step of an entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventRow {
    pub id: i64,
    pub entry_id: i64,
    /// `add`, `import`, `task` for the creation; else a [`lantian_core::enforce::sanluanwu::Action`].
    pub action: String,
    pub from_state: Option<State>,
    pub to_state: State,
    pub date: Date,
    pub at_ms: i64,
    pub actor: String,
    pub note: String,
}

/// A state change to make if the entry is still in `expected`.
#[derive(Clone, Debug, PartialEq)]
pub struct Change<'a> {
    pub id: i64,
    pub expected: State,
    pub to: State,
    pub action: &'a str,
    pub date: Date,
    pub at_ms: i64,
    pub actor: &'a str,
    pub note: &'a str,
}

fn text(v: &Val) -> String {
    v.text().unwrap_or_default()
}

fn state_of(v: &Val, table: &str, id: i64) -> Result<State, StoreError> {
    let s = text(v);
    State::parse(&s).ok_or_else(|| invalid(format!("{table} row {id}: unknown state {s:?}")))
}

fn date_of(v: &Val, table: &str, id: i64) -> Result<Date, StoreError> {
    let d = text(v);
    Date::parse(&d).ok_or_else(|| invalid(format!("{table} row {id}: bad date {d:?}")))
}

const ENTRY_COLUMNS: &str = "id, township, name, address, industry, problem, state, found_date, \
     source, task_id, actor, created_ms, updated_ms";

fn entry_row(r: &Row) -> Result<EntryRow, StoreError> {
    let id = r[0].int().unwrap_or_default();
    Ok(EntryRow {
        id,
        township: text(&r[1]),
        name: text(&r[2]),
        address: text(&r[3]),
        industry: text(&r[4]),
        problem: text(&r[5]),
        state: state_of(&r[6], "sanluanwu", id)?,
        found_date: date_of(&r[7], "sanluanwu", id)?,
        source: text(&r[8]),
        task_id: r[9].int(),
        actor: text(&r[10]),
        created_ms: r[11].int().unwrap_or_default(),
        updated_ms: r[12].int().unwrap_or_default(),
    })
}

const EVENT_COLUMNS: &str = "id, entry_id, action, from_state, to_state, date, at_ms, actor, note";

fn event_row(r: &Row) -> Result<EventRow, StoreError> {
    let id = r[0].int().unwrap_or_default();
    Ok(EventRow {
        id,
        entry_id: r[1].int().unwrap_or_default(),
        action: text(&r[2]),
        from_state: match &r[3] {
            Val::Null => None,
            v => Some(state_of(v, "sanluanwu_events", id)?),
        },
        to_state: state_of(&r[4], "sanluanwu_events", id)?,
        date: date_of(&r[5], "sanluanwu_events", id)?,
        at_ms: r[6].int().unwrap_or_default(),
        actor: text(&r[7]),
        note: text(&r[8]),
    })
}

fn insert_event(c: &mut dyn Conn, e: &EventRow) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO sanluanwu_events (entry_id, action, from_state, to_state, date, at_ms, \
         actor, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            e.entry_id.into(),
            e.action.as_str().into(),
            e.from_state.map(State::as_str).into(),
            e.to_state.as_str().into(),
            e.date.to_string().into(),
            e.at_ms.into(),
            e.actor.as_str().into(),
            e.note.as_str().into(),
        ],
    )?;
    Ok(())
}

fn insert_entry(c: &mut dyn Conn, e: &EntryRow, note: &str) -> Result<i64, StoreError> {
    if e.township.trim().is_empty() || e.name.trim().is_empty() {
        return Err(invalid(
            "a 散乱污 entry needs a township and a name".to_owned(),
        ));
    }
    let rows = c.query(
        "INSERT INTO sanluanwu (township, name, address, industry, problem, state, found_date, \
         source, task_id, actor, created_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, \
         $8, $9, $10, $11, $12) RETURNING id",
        &[
            e.township.as_str().into(),
            e.name.as_str().into(),
            e.address.as_str().into(),
            e.industry.as_str().into(),
            e.problem.as_str().into(),
            e.state.as_str().into(),
            e.found_date.to_string().into(),
            e.source.as_str().into(),
            e.task_id.into(),
            e.actor.as_str().into(),
            e.created_ms.into(),
            e.updated_ms.into(),
        ],
    )?;
    let id = rows
        .first()
        .and_then(|r| r[0].int())
        .ok_or_else(|| invalid("the new sanluanwu row has no id".to_owned()))?;
    insert_event(
        c,
        &EventRow {
            id: 0,
            entry_id: id,
            action: e.source.clone(),
            from_state: None,
            to_state: e.state,
            date: e.found_date,
            at_ms: e.created_ms,
            actor: e.actor.clone(),
            note: note.to_owned(),
        },
    )?;
    Ok(id)
}

fn apply(c: &mut dyn Conn, ch: &Change<'_>) -> Result<(), StoreError> {
    let n = c.exec(
        "UPDATE sanluanwu SET state = $3, updated_ms = $4, \
         found_date = CASE WHEN CAST($3 AS TEXT) = 'found' THEN CAST($5 AS TEXT) ELSE found_date END \
         WHERE id = $1 AND state = $2",
        &[
            ch.id.into(),
            ch.expected.as_str().into(),
            ch.to.as_str().into(),
            ch.at_ms.into(),
            ch.date.to_string().into(),
        ],
    )?;
    if n == 0 {
        let now = c.query("SELECT state FROM sanluanwu WHERE id = $1", &[ch.id.into()])?;
        return Err(match now.first() {
            None => StoreError::NotFound {
                what: format!("散乱污 entry {}", ch.id),
            },
            Some(r) => {
                let s = text(&r[0]);
                let zh = State::parse(&s).map_or("?", State::name_zh);
                StoreError::Refused {
                    what: format!(
                        "条目 {} 已是“{}”状态 / 散乱污 entry {} is {s} now, not {}",
                        ch.id, zh, ch.id, ch.expected
                    ),
                }
            }
        });
    }
    insert_event(
        c,
        &EventRow {
            id: 0,
            entry_id: ch.id,
            action: ch.action.to_owned(),
            from_state: Some(ch.expected),
            to_state: ch.to,
            date: ch.date,
            at_ms: ch.at_ms,
            actor: ch.actor.to_owned(),
            note: ch.note.to_owned(),
        },
    )
}

impl Store {
    /// Adds entries (all or nothing), each with its creation step; returns their ids.
    /// `notes[i]` is entry `i`'s creation note.
    pub fn add_sanluanwu(&self, entries: &[(EntryRow, String)]) -> Result<Vec<i64>, StoreError> {
        self.write(|c| {
            entries
                .iter()
                .map(|(e, note)| insert_entry(c, e, note))
                .collect()
        })
    }

    /// Adds `new` entries and applies `changes` (reopenings) in one transaction, all or
    /// nothing; returns the new entries' ids.
    pub fn add_and_change_sanluanwu(
        &self,
        new: &[(EntryRow, String)],
        changes: &[Change<'_>],
    ) -> Result<Vec<i64>, StoreError> {
        self.write(|c| {
            for ch in changes {
                apply(c, ch)?;
            }
            new.iter()
                .map(|(e, note)| insert_entry(c, e, note))
                .collect()
        })
    }

    /// Changes an entry's state if it is still `expected`, with the step recorded.
    pub fn change_sanluanwu(&self, ch: &Change<'_>) -> Result<(), StoreError> {
        self.write(|c| apply(c, ch))
    }

    /// One entry.
    pub fn sanluanwu_entry(&self, id: i64) -> Result<Option<EntryRow>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                &format!("SELECT {ENTRY_COLUMNS} FROM sanluanwu WHERE id = $1"),
                &[id.into()],
            )
        })?;
        rows.first().map(entry_row).transpose()
    }

    /// The entries, of one township or all, by township and id.
    pub fn sanluanwu_entries(&self, township: Option<&str>) -> Result<Vec<EntryRow>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                &format!(
                    "SELECT {ENTRY_COLUMNS} FROM sanluanwu WHERE (CAST($1 AS TEXT) IS NULL OR township = $1) \
                     ORDER BY township, id"
                ),
                &[township.into()],
            )
        })?;
        rows.iter().map(entry_row).collect()
    }

    /// An entry's steps, oldest first.
    pub fn sanluanwu_events(&self, entry_id: i64) -> Result<Vec<EventRow>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                &format!(
                    "SELECT {EVENT_COLUMNS} FROM sanluanwu_events WHERE entry_id = $1 ORDER BY id"
                ),
                &[entry_id.into()],
            )
        })?;
        rows.iter().map(event_row).collect()
    }

    /// Every step of every entry (of one township or all), as the monthly count needs them.
    pub fn sanluanwu_steps(&self, township: Option<&str>) -> Result<Vec<Step>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT e.id, e.entry_id, s.township, e.date, e.to_state \
                 FROM sanluanwu_events e JOIN sanluanwu s ON s.id = e.entry_id \
                 WHERE (CAST($1 AS TEXT) IS NULL OR s.township = $1) ORDER BY e.id",
                &[township.into()],
            )
        })?;
        rows.iter()
            .map(|r| {
                let id = r[0].int().unwrap_or_default();
                Ok(Step {
                    entry: r[1].int().unwrap_or_default(),
                    township: text(&r[2]),
                    date: date_of(&r[3], "sanluanwu_events", id)?,
                    to: state_of(&r[4], "sanluanwu_events", id)?,
                })
            })
            .collect()
    }
}
