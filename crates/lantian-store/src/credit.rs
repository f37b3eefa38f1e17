//! Credit records (信用记录, issue 21): entries written by rule when a case closes (at most
//! one per case and subject), the subjects' requests about them (异议 objection, 信用修复
//! repair) and the bureau's answers, each a compare-and-set on the entry's state.

use crate::Store;
use crate::db::{Conn, Row, Val};
use crate::error::{StoreError, invalid};
use lantian_core::Date;
use lantian_core::enforce::SubjectKind;
use lantian_core::enforce::credit::{EntryState, Level, Outcome, RequestKind};

/// An entry to write (and, flattened, the written fields of a stored one).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct NewCreditEntry {
    pub case_id: i64,
    pub case_no: String,
    pub subject_kind: SubjectKind,
    pub subject_id: String,
    pub subject_name: String,
    pub credit_code: Option<String>,
    pub level: Level,
    pub violation: String,
    pub decision_line: String,
    pub fine_yuan: Option<f64>,
    pub non_site: bool,
    pub township: Option<String>,
    pub decided_ms: i64,
    pub publish_from: Date,
    pub publish_until: Date,
    pub repair_from: Date,
    pub rule_source: String,
    pub created_ms: i64,
    pub created_by: String,
}

/// A stored entry.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CreditEntryRow {
    pub id: i64,
    #[serde(flatten)]
    pub entry: NewCreditEntry,
    pub state: EntryState,
    /// Why the state is what it is (the bureau's reason of a withdrawal or repair).
    pub state_reason: Option<String>,
}

/// A subject's request about an entry and the bureau's answer.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CreditRequestRow {
    pub id: i64,
    pub entry_id: i64,
    pub kind: RequestKind,
    pub text: String,
    pub evidence: String,
    pub filed_by: String,
    pub filed_ms: i64,
    /// `pending`, or the outcome's name (`granted` / `rejected`).
    pub state: String,
    pub decided_by: Option<String>,
    pub decided_ms: Option<i64>,
    pub reason: Option<String>,
}

/// A subject's request to file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCreditRequest {
    pub kind: RequestKind,
    pub text: String,
    pub evidence: String,
    /// Who files it (a login name).
    pub by: String,
    pub at_ms: i64,
}

/// The bureau's answer to a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditAnswer {
    pub outcome: Outcome,
    pub reason: String,
    pub by: String,
    pub at_ms: i64,
}

/// Which entries to list (every field optional; dates compare with the period).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CreditFilter {
    pub subject_kind: Option<SubjectKind>,
    pub subject_id: Option<String>,
    pub level: Option<Level>,
    pub state: Option<EntryState>,
    pub violation: Option<String>,
    pub township: Option<String>,
    /// Only entries public on this Beijing date (inside their period, published or under
    /// objection).
    pub public_on: Option<Date>,
}

const COLUMNS: &str = "id, case_id, case_no, subject_kind, subject_id, subject_name, credit_code, level, \
     violation, decision_line, fine_yuan, non_site, township, decided_ms, publish_from, publish_until, \
     repair_from, rule_source, state, state_reason, created_ms, created_by";

const REQUEST_COLUMNS: &str =
    "id, entry_id, kind, text, evidence, filed_by, filed_ms, state, decided_by, decided_ms, reason";

fn named<T>(
    parsed: Option<T>,
    table: &str,
    id: i64,
    column: &str,
    value: &str,
) -> Result<T, StoreError> {
    parsed.ok_or_else(|| {
        invalid(format!(
            "{table} row {id}: {column} {value:?} is not a known value"
        ))
    })
}

fn row(r: &Row) -> Result<CreditEntryRow, StoreError> {
    let id = r[0].int().unwrap_or(0);
    let text = |i: usize| r[i].text().unwrap_or_default();
    let date = |i: usize, col: &str| {
        let t = text(i);
        named(Date::parse(&t), "credit_entries", id, col, &t)
    };
    let (kind, level, state) = (text(3), text(7), text(18));
    Ok(CreditEntryRow {
        id,
        entry: NewCreditEntry {
            case_id: r[1].int().unwrap_or(0),
            case_no: text(2),
            subject_kind: named(
                SubjectKind::parse(&kind),
                "credit_entries",
                id,
                "subject_kind",
                &kind,
            )?,
            subject_id: text(4),
            subject_name: text(5),
            credit_code: r[6].text(),
            level: named(Level::parse(&level), "credit_entries", id, "level", &level)?,
            violation: text(8),
            decision_line: text(9),
            fine_yuan: r[10].real(),
            non_site: r[11].int().unwrap_or(0) != 0,
            township: r[12].text(),
            decided_ms: r[13].int().unwrap_or(0),
            publish_from: date(14, "publish_from")?,
            publish_until: date(15, "publish_until")?,
            repair_from: date(16, "repair_from")?,
            rule_source: text(17),
            created_ms: r[20].int().unwrap_or(0),
            created_by: text(21),
        },
        state: named(
            EntryState::parse(&state),
            "credit_entries",
            id,
            "state",
            &state,
        )?,
        state_reason: r[19].text(),
    })
}

fn request_row(r: &Row) -> Result<CreditRequestRow, StoreError> {
    let id = r[0].int().unwrap_or(0);
    let text = |i: usize| r[i].text().unwrap_or_default();
    let kind = text(2);
    Ok(CreditRequestRow {
        id,
        entry_id: r[1].int().unwrap_or(0),
        kind: named(
            RequestKind::parse(&kind),
            "credit_requests",
            id,
            "kind",
            &kind,
        )?,
        text: text(3),
        evidence: text(4),
        filed_by: text(5),
        filed_ms: r[6].int().unwrap_or(0),
        state: text(7),
        decided_by: r[8].text(),
        decided_ms: r[9].int(),
        reason: r[10].text(),
    })
}

fn rows(rs: &[Row]) -> Result<Vec<CreditEntryRow>, StoreError> {
    rs.iter().map(row).collect()
}

fn entry_in(c: &mut dyn Conn, id: i64) -> Result<CreditEntryRow, StoreError> {
    let rs = c.query(
        &format!("SELECT {COLUMNS} FROM credit_entries WHERE id = $1"),
        &[id.into()],
    )?;
    rs.first()
        .map(row)
        .transpose()?
        .ok_or_else(|| StoreError::NotFound {
            what: format!("credit entry {id}"),
        })
}

fn lost(what: &str) -> StoreError {
    StoreError::Refused {
        what: format!("{what}，请刷新后重试 / {what}: reload and try again"),
    }
}

impl Store {
    /// Writes an entry unless the case already has one for this subject; returns its id and
    /// whether it was new. Closing a case twice writes one entry.
    pub fn insert_credit_entry(&self, n: &NewCreditEntry) -> Result<(i64, bool), StoreError> {
        self.write(|c| {
            let inserted = c.query(
                &format!(
                    "INSERT INTO credit_entries ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
                     $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) \
                     ON CONFLICT (case_id, subject_kind, subject_id) DO NOTHING RETURNING id",
                    &COLUMNS["id, ".len()..]
                ),
                &[
                    n.case_id.into(),
                    n.case_no.as_str().into(),
                    n.subject_kind.as_str().into(),
                    n.subject_id.as_str().into(),
                    n.subject_name.as_str().into(),
                    n.credit_code.clone().into(),
                    n.level.as_str().into(),
                    n.violation.as_str().into(),
                    n.decision_line.as_str().into(),
                    n.fine_yuan.into(),
                    n.non_site.into(),
                    n.township.clone().into(),
                    n.decided_ms.into(),
                    n.publish_from.to_string().into(),
                    n.publish_until.to_string().into(),
                    n.repair_from.to_string().into(),
                    n.rule_source.as_str().into(),
                    EntryState::Published.as_str().into(),
                    Val::Null,
                    n.created_ms.into(),
                    n.created_by.as_str().into(),
                ],
            )?;
            if let Some(id) = inserted.first().and_then(|r| r[0].int()) {
                return Ok((id, true));
            }
            let existing = c.query(
                "SELECT id FROM credit_entries WHERE case_id = $1 AND subject_kind = $2 AND subject_id = $3",
                &[
                    n.case_id.into(),
                    n.subject_kind.as_str().into(),
                    n.subject_id.as_str().into(),
                ],
            )?;
            existing
                .first()
                .and_then(|r| r[0].int())
                .map(|id| (id, false))
                .ok_or_else(|| invalid(format!("credit entry of case {} neither inserted nor found", n.case_id)))
        })
    }

    /// One entry.
    pub fn credit_entry(&self, id: i64) -> Result<CreditEntryRow, StoreError> {
        self.read(|c| entry_in(c, id))
    }

    /// The ids of a case's entries.
    pub fn credit_entries_of_case(&self, case_id: i64) -> Result<Vec<i64>, StoreError> {
        let rs = self.read(|c| {
            c.query(
                "SELECT id FROM credit_entries WHERE case_id = $1 ORDER BY id",
                &[case_id.into()],
            )
        })?;
        Ok(rs.iter().filter_map(|r| r[0].int()).collect())
    }

    /// Entries matching `f`, the newest publication first.
    pub fn credit_entries(&self, f: &CreditFilter) -> Result<Vec<CreditEntryRow>, StoreError> {
        let public = f.public_on.map(|d| d.to_string());
        let rs = self.read(|c| {
            c.query(
                &format!(
                    "SELECT {COLUMNS} FROM credit_entries WHERE \
                     (CAST($1 AS TEXT) IS NULL OR subject_kind = $1) \
                     AND (CAST($2 AS TEXT) IS NULL OR subject_id = $2) \
                     AND (CAST($3 AS TEXT) IS NULL OR level = $3) \
                     AND (CAST($4 AS TEXT) IS NULL OR state = $4) \
                     AND (CAST($5 AS TEXT) IS NULL OR violation = $5) \
                     AND (CAST($6 AS TEXT) IS NULL OR township = $6) \
                     AND (CAST($7 AS TEXT) IS NULL OR (publish_from <= $7 AND publish_until >= $7 \
                          AND state IN ('published', 'objected'))) \
                     ORDER BY publish_from DESC, id DESC"
                ),
                &[
                    f.subject_kind.map(SubjectKind::as_str).into(),
                    f.subject_id.clone().into(),
                    f.level.map(Level::as_str).into(),
                    f.state.map(EntryState::as_str).into(),
                    f.violation.clone().into(),
                    f.township.clone().into(),
                    public.clone().into(),
                ],
            )
        })?;
        rows(&rs)
    }

    /// Files a request about entry `id` if its state is still `expected` (the caller judged
    /// the request against it): an objection moves the entry to `objected` in the same
    /// transaction; at most one request is under review per entry.
    pub fn file_credit_request(
        &self,
        id: i64,
        expected: EntryState,
        r: &NewCreditRequest,
    ) -> Result<CreditRequestRow, StoreError> {
        let kind = r.kind;
        self.write(|c| {
            let open = c.query(
                "SELECT 1 FROM credit_requests WHERE entry_id = $1 AND state = 'pending'",
                &[id.into()],
            )?;
            if !open.is_empty() {
                return Err(StoreError::Refused {
                    what: "此记录已有申请正在处理 / a request about this entry is already under review".to_owned(),
                });
            }
            let next = match kind {
                RequestKind::Objection => EntryState::Objected,
                RequestKind::Repair => expected,
            };
            let n = c.exec(
                "UPDATE credit_entries SET state = $1 WHERE id = $2 AND state = $3",
                &[next.as_str().into(), id.into(), expected.as_str().into()],
            )?;
            if n == 0 {
                return Err(lost("此记录的状态已变化 / the entry's state changed"));
            }
            let rs = c.query(
                &format!(
                    "INSERT INTO credit_requests (entry_id, kind, text, evidence, filed_by, filed_ms, state) \
                     VALUES ($1, $2, $3, $4, $5, $6, 'pending') RETURNING {REQUEST_COLUMNS}"
                ),
                &[
                    id.into(),
                    kind.as_str().into(),
                    r.text.as_str().into(),
                    r.evidence.as_str().into(),
                    r.by.as_str().into(),
                    r.at_ms.into(),
                ],
            )?;
            rs.first()
                .map(request_row)
                .transpose()?
                .ok_or_else(|| invalid("the inserted credit request was not returned".to_owned()))
        })
    }

    /// Answers the request of `kind` under review of entry `id`: the request gets the
    /// answer's outcome, the entry moves from `from` to `to` with the reason; nothing if
    /// either changed meanwhile.
    pub fn decide_credit_request(
        &self,
        id: i64,
        kind: RequestKind,
        (from, to): (EntryState, EntryState),
        a: &CreditAnswer,
    ) -> Result<CreditRequestRow, StoreError> {
        self.write(|c| {
            let rs = c.query(
                &format!(
                    "UPDATE credit_requests SET state = $1, decided_by = $2, decided_ms = $3, reason = $4 \
                     WHERE entry_id = $5 AND kind = $6 AND state = 'pending' RETURNING {REQUEST_COLUMNS}"
                ),
                &[
                    a.outcome.as_str().into(),
                    a.by.as_str().into(),
                    a.at_ms.into(),
                    a.reason.as_str().into(),
                    id.into(),
                    kind.as_str().into(),
                ],
            )?;
            let Some(req) = rs.first().map(request_row).transpose()? else {
                return Err(StoreError::Refused {
                    what: format!(
                        "此记录没有待处理的{} / this entry has no {} under review",
                        match kind {
                            RequestKind::Objection => "异议",
                            RequestKind::Repair => "信用修复申请",
                        },
                        kind.as_str()
                    ),
                });
            };
            let n = c.exec(
                "UPDATE credit_entries SET state = $1, state_reason = $2 WHERE id = $3 AND state = $4",
                &[
                    to.as_str().into(),
                    a.reason.as_str().into(),
                    id.into(),
                    from.as_str().into(),
                ],
            )?;
            if n == 0 {
                return Err(lost("此记录的状态已变化 / the entry's state changed"));
            }
            Ok(req)
        })
    }

    /// An entry's requests, oldest first.
    pub fn credit_requests(&self, id: i64) -> Result<Vec<CreditRequestRow>, StoreError> {
        let rs = self.read(|c| {
            c.query(
                &format!(
                    "SELECT {REQUEST_COLUMNS} FROM credit_requests WHERE entry_id = $1 ORDER BY id"
                ),
                &[id.into()],
            )
        })?;
        rs.iter().map(request_row).collect()
    }

    /// Requests under review of every entry, oldest first (the bureau's work list).
    pub fn credit_requests_pending(&self) -> Result<Vec<CreditRequestRow>, StoreError> {
        let rs = self.read(|c| {
            c.query(
                &format!("SELECT {REQUEST_COLUMNS} FROM credit_requests WHERE state = 'pending' ORDER BY id"),
                &[],
            )
        })?;
        rs.iter().map(request_row).collect()
    }
    /// How many requests there are per (kind, state), e.g. `("objection", "granted", 2)`.
    pub fn credit_request_counts(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        let rs = self.read(|c| {
            c.query(
                "SELECT kind, state, COUNT(*) FROM credit_requests GROUP BY kind, state ORDER BY kind, state",
                &[],
            )
        })?;
        Ok(rs
            .iter()
            .map(|r| {
                (
                    r[0].text().unwrap_or_default(),
                    r[1].text().unwrap_or_default(),
                    r[2].int().unwrap_or(0),
                )
            })
            .collect())
    }
}
