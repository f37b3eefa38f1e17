//! Enforcement cases (issue 21): the case (origin, subject, violation, state), its timeline,
//! evidence, inspections and decisions; state changes are compare-and-set (`UPDATE … WHERE
//! state = expected`, a lost race is [`StoreError::Refused`], nothing committed). Archive
//! evidence is a copy of archive records taken at opening, and [`Store::verify_records`]
//! re-verifies a set of records against the archive as it is now: each record's hash, its
//! link to the record before it, and the chain from the first of them to the head.

use crate::Store;
use crate::archive::{self, Hash, record_hash};
use crate::db::{Conn, Row, Val};
use crate::error::{StoreError, invalid};
use lantian_core::enforce::SubjectKind;
use lantian_core::enforce::case::{DecisionKind, Origin, State, Violation};
use serde::Serialize;
use std::collections::HashMap;

/// A stored case.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CaseRow {
    pub id: i64,
    pub case_no: String,
    pub year: i32,
    pub origin: Origin,
    /// What it came from: an alarm's id, `warning/enterprise/measure/first hour`, a task's id.
    pub origin_ref: Option<String>,
    pub title: String,
    pub violation: Violation,
    pub subject_kind: Option<SubjectKind>,
    pub subject_id: Option<String>,
    pub subject_name: String,
    /// The township's unit id.
    pub township: Option<String>,
    /// 非现场执法.
    pub non_site: bool,
    pub summary: String,
    pub state: State,
    /// The open rectification's deadline (unix ms).
    pub deadline_ms: Option<i64>,
    pub created_by: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub closed_ms: Option<i64>,
    /// The credit entries written at closure.
    pub credit_entries: Vec<i64>,
}

/// One step of a case's timeline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CaseEvent {
    pub id: i64,
    pub case_id: i64,
    pub at_ms: i64,
    pub actor: String,
    /// `open`, `inspect`, `decide`, `confirm_rectified`, `evidence`, `close`, `dismiss`.
    pub action: String,
    pub text: String,
    pub state_after: State,
}

/// A copy of one archive record (or the record as the archive holds it now).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ArchiveRecord {
    pub chain: String,
    pub seq: i64,
    pub received_ms: i64,
    pub peer: String,
    pub mn: Option<String>,
    pub verdict: String,
    #[serde(skip)]
    pub bytes: Vec<u8>,
    #[serde(skip)]
    pub prev_hash: Vec<u8>,
    #[serde(skip)]
    pub hash: Vec<u8>,
}

/// What an evidence item is.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EvidenceBody {
    /// An archived packet, copied when the case was opened.
    Packet(ArchiveRecord),
    /// A series (JSON as the app wrote it).
    Series { json: String },
    /// A file under `DATA_DIR/case_evidence/ID/`.
    File {
        file: String,
        size: i64,
        sha256: String,
    },
}

impl EvidenceBody {
    fn kind(&self) -> &'static str {
        match self {
            EvidenceBody::Packet(_) => "packet",
            EvidenceBody::Series { .. } => "series",
            EvidenceBody::File { .. } => "file",
        }
    }
}

/// One evidence item of a case.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CaseEvidence {
    pub id: i64,
    pub case_id: i64,
    pub label: String,
    pub body: EvidenceBody,
    pub actor: String,
    pub at_ms: i64,
}

/// An inspection (调查取证) with its findings.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Inspection {
    pub id: i64,
    pub case_id: i64,
    /// The inspection's date (Beijing, `YYYY-MM-DD`).
    pub date: String,
    pub inspectors: String,
    pub findings: String,
    pub actor: String,
    pub at_ms: i64,
}

/// A decision.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Decision {
    pub id: i64,
    pub case_id: i64,
    pub kind: DecisionKind,
    pub deadline_ms: Option<i64>,
    pub amount_yuan: Option<f64>,
    pub legal_basis: Option<String>,
    pub transfer_to: Option<String>,
    pub text: String,
    pub actor: String,
    pub at_ms: i64,
    /// A rectification's confirmation (整改验收).
    pub confirmed_ms: Option<i64>,
    pub confirmed_by: Option<String>,
}

/// A new case: its row (id, number, year and seq are assigned) and the evidence taken at
/// opening.
#[derive(Clone, Debug, PartialEq)]
pub struct NewCase {
    pub row: CaseRow,
    /// The case number's prefix (the county's code).
    pub prefix: String,
    pub evidence: Vec<(String, EvidenceBody)>,
    pub text: String,
}

/// A step of a case, applied only if it is still in `expected`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CaseChange {
    pub case_id: i64,
    pub expected: Option<State>,
    pub state_after: Option<State>,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub text: String,
    pub inspection: Option<Inspection>,
    pub decision: Option<Decision>,
    pub evidence: Vec<(String, EvidenceBody)>,
    /// Confirms the open rectification decisions.
    pub confirm_rectified: bool,
    /// The new deadline (`Some(None)` clears it).
    pub deadline_ms: Option<Option<i64>>,
    pub closed: bool,
    pub credit_entries: Option<Vec<i64>>,
}

/// Which cases a list shows; `townships` / `subject` narrow to what the caller may see.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CaseFilter {
    pub state: Option<State>,
    pub township: Option<String>,
    pub origin: Option<Origin>,
    pub origin_ref: Option<String>,
    pub violation: Option<Violation>,
    pub year: Option<i32>,
    /// Only cases in one of these townships (a township's view).
    pub townships: Option<Vec<String>>,
    /// Only this subject's cases (an enterprise's view).
    pub subject: Option<(SubjectKind, String)>,
}

/// A record's verification against the archive as it is now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordCheck {
    pub chain: String,
    pub seq: i64,
    pub verified: bool,
    /// What is wrong, naming the record.
    pub problem: Option<String>,
}

const CASE_COLUMNS: &str = "id, case_no, year, origin, origin_ref, title, violation, subject_kind, subject_id, subject_name, township, non_site, summary, state, deadline_ms, created_by, created_ms, updated_ms, closed_ms, credit_entries";
const EVIDENCE_COLUMNS: &str = "id, case_id, kind, label, chain, seq, received_ms, peer, mn, verdict, bytes, prev_hash, hash, body, file, size, sha256, actor, at_ms";
const DECISION_COLUMNS: &str = "id, case_id, kind, deadline_ms, amount_yuan, legal_basis, transfer_to, text, actor, at_ms, confirmed_ms, confirmed_by";
/// Archive rows read per query while walking a chain.
const CHAIN_ROWS_PER_QUERY: i64 = 5_000;

/// A stored name parsed, or an error naming the row.
fn parsed<T>(
    r: &Row,
    i: usize,
    what: &str,
    f: impl Fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    let t = r[i].text().unwrap_or_default();
    f(&t).ok_or_else(|| {
        invalid(format!(
            "case row {}: stored {what} {t:?} is not known",
            r[0].int().unwrap_or(0)
        ))
    })
}

fn case_row(r: &Row) -> Result<CaseRow, StoreError> {
    let t = |i: usize| r[i].text().unwrap_or_default();
    Ok(CaseRow {
        id: r[0].int().unwrap_or(0),
        case_no: t(1),
        year: i32::try_from(r[2].int().unwrap_or(0)).unwrap_or(0),
        origin: parsed(r, 3, "origin", Origin::parse)?,
        origin_ref: r[4].text(),
        title: t(5),
        violation: parsed(r, 6, "violation", Violation::parse)?,
        subject_kind: r[7].text().and_then(|s| SubjectKind::parse(&s)),
        subject_id: r[8].text(),
        subject_name: t(9),
        township: r[10].text(),
        non_site: r[11].int().unwrap_or(0) != 0,
        summary: t(12),
        state: parsed(r, 13, "state", State::parse)?,
        deadline_ms: r[14].int(),
        created_by: t(15),
        created_ms: r[16].int().unwrap_or(0),
        updated_ms: r[17].int().unwrap_or(0),
        closed_ms: r[18].int(),
        credit_entries: serde_json::from_str(&t(19)).unwrap_or_default(),
    })
}

fn evidence_row(r: &Row) -> Result<CaseEvidence, StoreError> {
    let t = |i: usize| r[i].text().unwrap_or_default();
    let body = match t(2).as_str() {
        "packet" => EvidenceBody::Packet(ArchiveRecord {
            chain: t(4),
            seq: r[5].int().unwrap_or(0),
            received_ms: r[6].int().unwrap_or(0),
            peer: t(7),
            mn: r[8].text(),
            verdict: t(9),
            bytes: r[10].blob().unwrap_or_default(),
            prev_hash: r[11].blob().unwrap_or_default(),
            hash: r[12].blob().unwrap_or_default(),
        }),
        "series" => EvidenceBody::Series { json: t(13) },
        "file" => EvidenceBody::File {
            file: t(14),
            size: r[15].int().unwrap_or(0),
            sha256: t(16),
        },
        other => {
            return Err(invalid(format!(
                "case evidence {}: stored kind {other:?} is not known",
                r[0].int().unwrap_or(0)
            )));
        }
    };
    Ok(CaseEvidence {
        id: r[0].int().unwrap_or(0),
        case_id: r[1].int().unwrap_or(0),
        label: t(3),
        body,
        actor: t(17),
        at_ms: r[18].int().unwrap_or(0),
    })
}

fn decision_row(r: &Row) -> Result<Decision, StoreError> {
    let t = |i: usize| r[i].text().unwrap_or_default();
    Ok(Decision {
        id: r[0].int().unwrap_or(0),
        case_id: r[1].int().unwrap_or(0),
        kind: parsed(r, 2, "decision kind", DecisionKind::parse)?,
        deadline_ms: r[3].int(),
        amount_yuan: r[4].real(),
        legal_basis: r[5].text(),
        transfer_to: r[6].text(),
        text: t(7),
        actor: t(8),
        at_ms: r[9].int().unwrap_or(0),
        confirmed_ms: r[10].int(),
        confirmed_by: r[11].text(),
    })
}

fn insert_event(c: &mut dyn Conn, e: &CaseEvent) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO case_events (case_id, at_ms, actor, action, text, state_after) VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            e.case_id.into(),
            e.at_ms.into(),
            e.actor.as_str().into(),
            e.action.as_str().into(),
            e.text.as_str().into(),
            e.state_after.as_str().into(),
        ],
    )?;
    Ok(())
}

fn insert_evidence(
    c: &mut dyn Conn,
    case_id: i64,
    label: &str,
    body: &EvidenceBody,
    actor: &str,
    at_ms: i64,
) -> Result<(), StoreError> {
    let mut p: Vec<Val> = vec![case_id.into(), body.kind().into(), label.into()];
    let none = || Val::Null;
    match body {
        EvidenceBody::Packet(a) => p.extend([
            a.chain.as_str().into(),
            a.seq.into(),
            a.received_ms.into(),
            a.peer.as_str().into(),
            a.mn.clone().into(),
            a.verdict.as_str().into(),
            Val::Blob(a.bytes.clone()),
            Val::Blob(a.prev_hash.clone()),
            Val::Blob(a.hash.clone()),
            none(),
            none(),
            none(),
            none(),
        ]),
        EvidenceBody::Series { json } => {
            p.extend((0..9).map(|_| none()));
            p.extend([json.as_str().into(), none(), none(), none()]);
        }
        EvidenceBody::File { file, size, sha256 } => {
            p.extend((0..10).map(|_| none()));
            p.extend([file.as_str().into(), (*size).into(), sha256.as_str().into()]);
        }
    }
    p.extend([actor.into(), at_ms.into()]);
    c.exec(
        "INSERT INTO case_evidence (case_id, kind, label, chain, seq, received_ms, peer, mn, verdict, bytes, prev_hash, hash, body, file, size, sha256, actor, at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        &p,
    )?;
    Ok(())
}

fn archive_record(r: &Row) -> ArchiveRecord {
    ArchiveRecord {
        chain: r[0].text().unwrap_or_default(),
        seq: r[1].int().unwrap_or(0),
        received_ms: r[2].int().unwrap_or(0),
        peer: r[3].text().unwrap_or_default(),
        mn: r[4].text(),
        verdict: r[5].text().unwrap_or_default(),
        bytes: r[6].blob().unwrap_or_default(),
        prev_hash: r[7].blob().unwrap_or_default(),
        hash: r[8].blob().unwrap_or_default(),
    }
}

const ARCHIVE_COLUMNS: &str = "chain, seq, received_ms, peer, mn, verdict, bytes, prev_hash, hash";

/// The record's hash recomputed from its stored fields and stored previous hash.
fn rehash(a: &ArchiveRecord) -> Option<Hash> {
    let prev: Hash = a.prev_hash.as_slice().try_into().ok()?;
    Some(record_hash(
        &prev,
        a.seq,
        a.received_ms,
        &a.peer,
        a.mn.as_deref(),
        &a.verdict,
        &a.bytes,
    ))
}

impl Store {
    /// Opens a case with its `open` event and evidence in one transaction; assigns its
    /// number (`PREFIX-YEAR-NNNN`, the year's next). A second case from the same origin
    /// (alarm, violation or task) while an earlier one was not dismissed is refused.
    pub fn open_case(&self, n: &NewCase) -> Result<(i64, String), StoreError> {
        let r = &n.row;
        if r.title.trim().is_empty() {
            return Err(invalid("a case needs a title".to_owned()));
        }
        self.write(|c| {
            if let Some(oref) = &r.origin_ref {
                let dup = c.query(
                    "SELECT case_no FROM cases WHERE origin = $1 AND origin_ref = $2 AND state <> 'dismissed'",
                    &[r.origin.as_str().into(), oref.as_str().into()],
                )?;
                if let Some(no) = dup.first().and_then(|d| d[0].text()) {
                    return Err(StoreError::Refused {
                        what: format!(
                            "已就此{}立案 {no} / case {no} was already opened from this {} ({oref})",
                            r.origin.name_zh(),
                            r.origin.name_en()
                        ),
                    });
                }
            }
            let seq = c.query(
                "SELECT COALESCE(MAX(year_seq), 0) + 1 FROM cases WHERE year = $1",
                &[i64::from(r.year).into()],
            )?[0][0]
                .int()
                .unwrap_or(1);
            let no = lantian_core::enforce::case::case_no(&n.prefix, r.year, seq);
            let id = c
                .query(
                    "INSERT INTO cases (case_no, year, year_seq, origin, origin_ref, title, violation, subject_kind, subject_id, subject_name, township, non_site, summary, state, deadline_ms, created_by, created_ms, updated_ms, closed_ms, credit_entries) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, NULL, '[]') RETURNING id",
                    &[
                        no.as_str().into(),
                        i64::from(r.year).into(),
                        seq.into(),
                        r.origin.as_str().into(),
                        r.origin_ref.clone().into(),
                        r.title.as_str().into(),
                        r.violation.as_str().into(),
                        r.subject_kind.map(|k| k.as_str()).into(),
                        r.subject_id.clone().into(),
                        r.subject_name.as_str().into(),
                        r.township.clone().into(),
                        i64::from(r.non_site).into(),
                        r.summary.as_str().into(),
                        State::Open.as_str().into(),
                        r.deadline_ms.into(),
                        r.created_by.as_str().into(),
                        r.created_ms.into(),
                        r.created_ms.into(),
                    ],
                )?
                .first()
                .and_then(|x| x[0].int())
                .ok_or_else(|| invalid("the new case's id".to_owned()))?;
            insert_event(
                c,
                &CaseEvent {
                    id: 0,
                    case_id: id,
                    at_ms: r.created_ms,
                    actor: r.created_by.clone(),
                    action: "open".to_owned(),
                    text: n.text.clone(),
                    state_after: State::Open,
                },
            )?;
            for (label, body) in &n.evidence {
                insert_evidence(c, id, label, body, &r.created_by, r.created_ms)?;
            }
            Ok((id, no))
        })
    }

    /// One case.
    pub fn case(&self, id: i64) -> Result<Option<CaseRow>, StoreError> {
        self.read(|c| {
            c.query(
                &format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1"),
                &[id.into()],
            )
        })?
        .first()
        .map(case_row)
        .transpose()
    }

    /// Cases as the filter says, newest first.
    pub fn cases(&self, f: &CaseFilter) -> Result<Vec<CaseRow>, StoreError> {
        let mut sql = format!("SELECT {CASE_COLUMNS} FROM cases WHERE 1 = 1");
        let mut p: Vec<Val> = Vec::new();
        // Appends a condition whose `$?` is the next parameter.
        fn add(sql: &mut String, p: &mut Vec<Val>, cond: &str, v: Val) {
            p.push(v);
            sql.push_str(&cond.replace("$?", &format!("${}", p.len())));
        }
        if let Some(s) = f.state {
            add(&mut sql, &mut p, " AND state = $?", s.as_str().into());
        }
        if let Some(t) = &f.township {
            add(&mut sql, &mut p, " AND township = $?", t.as_str().into());
        }
        if let Some(o) = f.origin {
            add(&mut sql, &mut p, " AND origin = $?", o.as_str().into());
        }
        if let Some(o) = &f.origin_ref {
            add(&mut sql, &mut p, " AND origin_ref = $?", o.as_str().into());
        }
        if let Some(v) = f.violation {
            add(&mut sql, &mut p, " AND violation = $?", v.as_str().into());
        }
        if let Some(y) = f.year {
            add(&mut sql, &mut p, " AND year = $?", i64::from(y).into());
        }
        if let Some((k, id)) = &f.subject {
            add(
                &mut sql,
                &mut p,
                " AND subject_kind = $?",
                k.as_str().into(),
            );
            add(&mut sql, &mut p, " AND subject_id = $?", id.as_str().into());
        }
        if let Some(ts) = &f.townships {
            if ts.is_empty() {
                return Ok(Vec::new());
            }
            let marks: Vec<String> = ts
                .iter()
                .map(|t| {
                    p.push(t.as_str().into());
                    format!("${}", p.len())
                })
                .collect();
            sql.push_str(&format!(" AND township IN ({})", marks.join(", ")));
        }
        sql.push_str(" ORDER BY created_ms DESC, id DESC");
        self.read(|c| c.query(&sql, &p))?
            .iter()
            .map(case_row)
            .collect()
    }

    /// A case's timeline, in order.
    pub fn case_events(&self, id: i64) -> Result<Vec<CaseEvent>, StoreError> {
        self.read(|c| {
            c.query(
                "SELECT id, case_id, at_ms, actor, action, text, state_after FROM case_events WHERE case_id = $1 ORDER BY id",
                &[id.into()],
            )
        })?
        .iter()
        .map(|r| {
            Ok(CaseEvent {
                id: r[0].int().unwrap_or(0),
                case_id: r[1].int().unwrap_or(0),
                at_ms: r[2].int().unwrap_or(0),
                actor: r[3].text().unwrap_or_default(),
                action: r[4].text().unwrap_or_default(),
                text: r[5].text().unwrap_or_default(),
                state_after: parsed(r, 6, "state", State::parse)?,
            })
        })
        .collect()
    }

    /// A case's evidence, in order.
    pub fn case_evidence(&self, id: i64) -> Result<Vec<CaseEvidence>, StoreError> {
        self.read(|c| {
            c.query(
                &format!(
                    "SELECT {EVIDENCE_COLUMNS} FROM case_evidence WHERE case_id = $1 ORDER BY id"
                ),
                &[id.into()],
            )
        })?
        .iter()
        .map(evidence_row)
        .collect()
    }

    /// A case's inspections, in order.
    pub fn case_inspections(&self, id: i64) -> Result<Vec<Inspection>, StoreError> {
        Ok(self
            .read(|c| {
                c.query(
                    "SELECT id, case_id, date, inspectors, findings, actor, at_ms FROM case_inspections WHERE case_id = $1 ORDER BY id",
                    &[id.into()],
                )
            })?
            .iter()
            .map(|r| Inspection {
                id: r[0].int().unwrap_or(0),
                case_id: r[1].int().unwrap_or(0),
                date: r[2].text().unwrap_or_default(),
                inspectors: r[3].text().unwrap_or_default(),
                findings: r[4].text().unwrap_or_default(),
                actor: r[5].text().unwrap_or_default(),
                at_ms: r[6].int().unwrap_or(0),
            })
            .collect())
    }

    /// A case's decisions (`None`: every case's), in order.
    pub fn case_decisions(&self, id: Option<i64>) -> Result<Vec<Decision>, StoreError> {
        let (sql, p): (String, Vec<Val>) = match id {
            Some(id) => (
                format!(
                    "SELECT {DECISION_COLUMNS} FROM case_decisions WHERE case_id = $1 ORDER BY id"
                ),
                vec![id.into()],
            ),
            None => (
                format!("SELECT {DECISION_COLUMNS} FROM case_decisions ORDER BY id"),
                Vec::new(),
            ),
        };
        self.read(|c| c.query(&sql, &p))?
            .iter()
            .map(decision_row)
            .collect()
    }

    /// Applies a step: compare-and-set on the state, then its event and what goes with it,
    /// in one transaction.
    pub fn case_step(&self, ch: &CaseChange) -> Result<(), StoreError> {
        self.write(|c| {
            let row = c
                .query(
                    &format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1"),
                    &[ch.case_id.into()],
                )?
                .first()
                .map(case_row)
                .transpose()?
                .ok_or_else(|| StoreError::NotFound {
                    what: format!("case {}", ch.case_id),
                })?;
            let after = ch.state_after.unwrap_or(row.state);
            let mut sql = "UPDATE cases SET state = $1, updated_ms = $2".to_owned();
            let mut p: Vec<Val> = vec![after.as_str().into(), ch.at_ms.into()];
            if let Some(d) = ch.deadline_ms {
                p.push(d.into());
                sql.push_str(&format!(", deadline_ms = ${}", p.len()));
            }
            if ch.closed {
                p.push(ch.at_ms.into());
                sql.push_str(&format!(", closed_ms = ${}", p.len()));
            }
            if let Some(ids) = &ch.credit_entries {
                p.push(serde_json::to_string(ids).unwrap_or_else(|_| "[]".into()).into());
                sql.push_str(&format!(", credit_entries = ${}", p.len()));
            }
            p.push(ch.case_id.into());
            sql.push_str(&format!(" WHERE id = ${}", p.len()));
            if let Some(e) = ch.expected {
                p.push(e.as_str().into());
                sql.push_str(&format!(" AND state = ${}", p.len()));
            }
            if c.exec(&sql, &p)? != 1 {
                return Err(StoreError::Refused {
                    what: format!(
                        "案件 {} 的状态已变更 / case {} changed meanwhile (now {})",
                        row.case_no, row.case_no, row.state
                    ),
                });
            }
            insert_event(
                c,
                &CaseEvent {
                    id: 0,
                    case_id: ch.case_id,
                    at_ms: ch.at_ms,
                    actor: ch.actor.clone(),
                    action: ch.action.clone(),
                    text: ch.text.clone(),
                    state_after: after,
                },
            )?;
            if let Some(i) = &ch.inspection {
                c.exec(
                    "INSERT INTO case_inspections (case_id, date, inspectors, findings, actor, at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        ch.case_id.into(),
                        i.date.as_str().into(),
                        i.inspectors.as_str().into(),
                        i.findings.as_str().into(),
                        ch.actor.as_str().into(),
                        ch.at_ms.into(),
                    ],
                )?;
            }
            if let Some(d) = &ch.decision {
                c.exec(
                    "INSERT INTO case_decisions (case_id, kind, deadline_ms, amount_yuan, legal_basis, transfer_to, text, actor, at_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    &[
                        ch.case_id.into(),
                        d.kind.as_str().into(),
                        d.deadline_ms.into(),
                        d.amount_yuan.into(),
                        d.legal_basis.clone().into(),
                        d.transfer_to.clone().into(),
                        d.text.as_str().into(),
                        ch.actor.as_str().into(),
                        ch.at_ms.into(),
                    ],
                )?;
            }
            if ch.confirm_rectified {
                c.exec(
                    "UPDATE case_decisions SET confirmed_ms = $1, confirmed_by = $2 WHERE case_id = $3 AND kind = 'rectify' AND confirmed_ms IS NULL",
                    &[ch.at_ms.into(), ch.actor.as_str().into(), ch.case_id.into()],
                )?;
            }
            for (label, body) in &ch.evidence {
                insert_evidence(c, ch.case_id, label, body, &ch.actor, ch.at_ms)?;
            }
            Ok(())
        })
    }

    /// Records the credit entries written for a closed case.
    pub fn set_case_credit(&self, id: i64, entries: &[i64]) -> Result<(), StoreError> {
        let json = serde_json::to_string(entries).unwrap_or_else(|_| "[]".into());
        self.write(|c| {
            c.exec(
                "UPDATE cases SET credit_entries = $1 WHERE id = $2",
                &[json.as_str().into(), id.into()],
            )
            .map(drop)
        })
    }

    /// The archive records (chain, seq) of the packets that brought a station's values of
    /// `codes` (every code when empty) in `from <= ts < to` (CST seconds, any period), in
    /// the order they were received across every gateway's chain (received time, then
    /// chain, then seq; a record missing from the archive last), so that the first n are
    /// the earliest n; values stored without a packet (imports) have none.
    pub fn packets_of_hours(
        &self,
        station_id: &str,
        codes: &[&str],
        from: i64,
        to: i64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let marks: Vec<String> = (0..codes.len()).map(|i| format!("${}", i + 4)).collect();
        let code_clause = if codes.is_empty() {
            String::new()
        } else {
            format!(" AND code IN ({})", marks.join(", "))
        };
        let sql = format!(
            "SELECT DISTINCT packet_chain, packet_seq FROM observations WHERE station_id = $1 AND ts >= $2 AND ts < $3 \
             AND packet_seq IS NOT NULL{code_clause} ORDER BY packet_chain, packet_seq"
        );
        let mut p: Vec<Val> = vec![station_id.into(), from.into(), to.into()];
        p.extend(codes.iter().map(|c| Val::from(*c)));
        let packets: Vec<(String, i64)> = self
            .read(|c| c.query(&sql, &p))?
            .iter()
            .filter_map(|r| Some((r[0].text()?, r[1].int()?)))
            .collect();
        // The received times are in the archive (archive.db on SQLite), read per chain.
        let mut received: HashMap<(&str, i64), i64> = HashMap::with_capacity(packets.len());
        for chain in packets.chunk_by(|a, b| a.0 == b.0) {
            let name = chain[0].0.as_str();
            for chunk in chain.chunks(500) {
                let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
                let sql = format!(
                    "SELECT seq, received_ms FROM archive WHERE chain = $1 AND seq IN ({})",
                    marks.join(", ")
                );
                let mut p: Vec<Val> = vec![name.into()];
                p.extend(chunk.iter().map(|(_, s)| Val::from(*s)));
                for r in self.read_from(crate::Part::Archive, |c| c.query(&sql, &p))? {
                    if let (Some(seq), Some(ms)) = (r[0].int(), r[1].int()) {
                        received.insert((name, seq), ms);
                    }
                }
            }
        }
        let mut ordered: Vec<(i64, &(String, i64))> = packets
            .iter()
            .map(|k| {
                let ms = received.get(&(k.0.as_str(), k.1)).copied();
                (ms.unwrap_or(i64::MAX), k)
            })
            .collect();
        ordered.sort();
        Ok(ordered.into_iter().map(|(_, k)| k.clone()).collect())
    }

    /// The archive records `seqs` of `chain` as stored now (absent ones are missing).
    pub fn archive_records(
        &self,
        chain: &str,
        seqs: &[i64],
    ) -> Result<Vec<ArchiveRecord>, StoreError> {
        let mut out = Vec::with_capacity(seqs.len());
        for chunk in seqs.chunks(500) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT {ARCHIVE_COLUMNS} FROM archive WHERE chain = $1 AND seq IN ({}) ORDER BY seq",
                marks.join(", ")
            );
            let mut p: Vec<Val> = vec![chain.into()];
            p.extend(chunk.iter().map(|s| Val::from(*s)));
            out.extend(
                self.read_from(crate::Part::Archive, |c| c.query(&sql, &p))?
                    .iter()
                    .map(archive_record),
            );
        }
        out.sort_by_key(|a| a.seq);
        Ok(out)
    }

    /// Verifies the archive records `seqs` of `chain` as the archive holds them now: each
    /// exists, re-hashes from its stored previous hash to its stored hash, and that previous
    /// hash is the record before's hash; and the chain from the first of them to its head
    /// is intact (no gap, each link and hash right, every checkpoint on the way matching).
    /// A break on the way to the head marks every record before it as unverified too: their
    /// place in the chain can no longer be shown. The cost is the records from the first to
    /// the head, read in pages of 5,000.
    pub fn verify_records(
        &self,
        chain: &str,
        seqs: &[i64],
    ) -> Result<Vec<RecordCheck>, StoreError> {
        let mut wanted: Vec<i64> = seqs.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        let Some(&first) = wanted.first() else {
            return Ok(Vec::new());
        };
        let mut problems: std::collections::HashMap<i64, String> = Default::default();
        // The chain walked from the record before the first to the head.
        // The first break at or after the first record: its seq and what it is.
        let mut chain_break: Option<(i64, String)> = None;
        let mut prev: Option<(i64, Vec<u8>)> = None;
        let mut computed: std::collections::HashMap<i64, Hash> = Default::default();
        let mut from = (first - 1).max(1);
        let mut seen = std::collections::HashSet::new();
        loop {
            let rows = self.read_from(crate::Part::Archive, |c| {
                c.query(
                    &format!("SELECT {ARCHIVE_COLUMNS} FROM archive WHERE chain = $1 AND seq >= $2 ORDER BY seq LIMIT $3"),
                    &[chain.into(), from.into(), CHAIN_ROWS_PER_QUERY.into()],
                )
            })?;
            let n = rows.len() as i64;
            for r in rows.iter().map(archive_record) {
                seen.insert(r.seq);
                let h = rehash(&r);
                let own = match h {
                    Some(h) if h.as_slice() == r.hash.as_slice() => None,
                    _ => Some(format!(
                        "record {chain}#{}: content does not match its hash (the record was changed)",
                        r.seq
                    )),
                };
                let link = match &prev {
                    Some((s, _)) if *s + 1 != r.seq => Some(format!(
                        "record {chain}#{}: expected #{} next (a record was deleted or reordered)",
                        r.seq,
                        s + 1
                    )),
                    Some((s, ph)) if ph.as_slice() != r.prev_hash.as_slice() => Some(format!(
                        "record {chain}#{}: previous hash does not match record #{s}",
                        r.seq
                    )),
                    None if r.seq == 1 && r.prev_hash.as_slice() != archive::GENESIS.as_slice() => {
                        Some(format!(
                            "record {chain}#1: does not start from the genesis hash"
                        ))
                    }
                    _ => None,
                };
                if let Some(p) = own.clone().or(link.clone()) {
                    if wanted.binary_search(&r.seq).is_ok() {
                        problems.entry(r.seq).or_insert_with(|| p.clone());
                    }
                    if chain_break.is_none() && r.seq >= first {
                        chain_break = Some((r.seq, p));
                    }
                }
                if let Some(h) = h {
                    computed.insert(r.seq, h);
                }
                prev = Some((r.seq, r.hash.clone()));
            }
            if n < CHAIN_ROWS_PER_QUERY {
                break;
            }
            from = prev.as_ref().map_or(from, |p| p.0 + 1);
        }
        // Checkpoints at or after the first record must still match the chain.
        let checkpoints = self.read_from(crate::Part::Archive, |c| {
            c.query(
                "SELECT seq, hash FROM archive_checkpoints WHERE chain = $1 AND seq >= $2 ORDER BY seq",
                &[chain.into(), first.into()],
            )
        })?;
        for r in &checkpoints {
            let seq = r[0].int().unwrap_or(0);
            let want = r[1].blob().unwrap_or_default();
            let problem = match computed.get(&seq) {
                Some(h) if h.as_slice() == want.as_slice() => None,
                Some(_) => Some(format!(
                    "checkpoint {chain}#{seq}: the chain no longer hashes to the published digest"
                )),
                None => Some(format!(
                    "record {chain}#{seq}: missing, but a checkpoint published it (records were deleted)"
                )),
            };
            if let Some(p) = problem {
                if chain_break.is_none() {
                    chain_break = Some((seq, p));
                }
                break;
            }
        }
        Ok(wanted
            .into_iter()
            .map(|seq| {
                let problem = if !seen.contains(&seq) {
                    Some(format!(
                        "record {chain}#{seq}: missing from the archive (deleted)"
                    ))
                } else {
                    problems.get(&seq).cloned().or_else(|| {
                        chain_break
                            .as_ref()
                            .filter(|(at, _)| *at > seq)
                            .map(|(_, b)| format!("the chain after it is broken: {b}"))
                    })
                };
                RecordCheck {
                    chain: chain.to_owned(),
                    seq,
                    verified: problem.is_none(),
                    problem,
                }
            })
            .collect())
    }
}
