//! Enforcement cases (执法案件, docs/enforcement.md): opened from a confirmed integrity alarm
//! (with its archived packets copied in as evidence, and its hour series), a warning-period
//! violation, a grid task or by hand; inspections, decisions (整改, 罚款, 移送), closure
//! (which writes credit entries by rule), re-verification of the archived evidence and
//! statistics. The bureau and administrators act; a township sees its township's cases, an
//! enterprise or a contractor its own; the public none.

use crate::App;
use crate::caller::{Caller, policy};
use crate::error::{AppError, AppResult};
use lantian_core::cst;
use lantian_core::enforce::SubjectKind;
use lantian_core::enforce::case::{
    self, DecisionKind, EVIDENCE_PACKETS_MAX, Origin, State, Step, Violation,
};
use lantian_core::enforce::credit::ClosedCase;
use lantian_core::grid::task::Source;
use lantian_core::org::{Role, UnitKind};
use lantian_core::series::StationRole;
use lantian_core::{Date, pollutant::Pollutant};
use lantian_store::View;
use lantian_store::archive::hex;
use lantian_store::cases::{
    ArchiveRecord, CaseChange, CaseEvidence, CaseFilter, CaseRow, Decision, EvidenceBody,
    Inspection, NewCase, RecordCheck,
};
use lantian_store::integrity::AlarmState;
use lantian_store::tasks::sha256_hex;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Evidence files: at most this many bytes each.
pub const EVIDENCE_BYTES_MAX: usize = 10 << 20;
/// Evidence files: at most this many per case.
pub const EVIDENCE_FILES_MAX: usize = 50;
/// Texts (title, summary, findings, decisions): at most this many characters.
pub const TEXT_CHARS_MAX: usize = 4_000;

fn bad(what: impl Into<String>) -> AppError {
    AppError::BadRequest(what.into())
}

/// Unix ms as people read it: `YYYY-MM-DD HH:MM 北京时间`.
pub fn bj(ms: i64) -> String {
    format!("{} 北京时间", cst::format_unix_ms(ms))
}

/// The roles that see cases at all (a township, an enterprise, a contractor: only theirs).
pub const SEE_CASES: &[Role] = &[
    Role::Admin,
    Role::Bureau,
    Role::Township,
    Role::Enterprise,
    Role::Operations,
];

/// Who may see which cases.
enum Scope {
    All,
    Townships(Vec<String>),
    Subject(SubjectKind, String),
}

fn scope(caller: &Caller) -> AppResult<Scope> {
    let a = caller.require()?;
    let unit = || a.unit_id.clone().unwrap_or_default();
    match a.role {
        Role::Admin | Role::Bureau => Ok(Scope::All),
        Role::Township => Ok(Scope::Townships(a.unit_id.iter().cloned().collect())),
        Role::Enterprise => Ok(Scope::Subject(SubjectKind::Enterprise, unit())),
        Role::Operations => Ok(Scope::Subject(SubjectKind::Contractor, unit())),
        _ => Err(AppError::Forbidden(
            "执法案件由生态环境局办理，乡镇查看本乡镇的，企业和运维单位查看本单位的 / cases are the bureau's; a township sees its own township's, an enterprise or contractor its own".to_owned(),
        )),
    }
}

/// Whether the caller sees case `c`.
pub fn sees(caller: &Caller, c: &CaseRow) -> bool {
    match scope(caller) {
        Ok(Scope::All) => true,
        Ok(Scope::Townships(ts)) => c.township.as_ref().is_some_and(|t| ts.contains(t)),
        Ok(Scope::Subject(k, id)) => {
            c.subject_kind == Some(k) && c.subject_id.as_deref() == Some(id.as_str())
        }
        Err(_) => false,
    }
}

/// The bureau's and administrators' right to open and act on cases (`Act::ManageCases`).
fn manage(app: &App, caller: &Caller, object: &str) -> AppResult<String> {
    caller.require()?;
    let decision = caller
        .require_role(policy::MANAGE)
        .map(|a| a.username.clone())
        .map_err(|_| {
            AppError::Forbidden(
                "只有生态环境局可以立案、调查、决定和结案 / only the bureau opens, investigates, decides and closes cases".to_owned(),
            )
        });
    app.allow(caller, "cases.manage", object, decision)
}

/// A case the caller sees (else not found: a case's existence is not told to others).
fn visible(app: &App, caller: &Caller, id: i64) -> AppResult<CaseRow> {
    scope(caller).map_err(|e| match e {
        AppError::Forbidden(r) => app
            .allow::<()>(
                caller,
                "cases.read",
                &format!("case:{id}"),
                Err(AppError::Forbidden(r)),
            )
            .err()
            .unwrap_or(AppError::Unauthorized),
        e => e,
    })?;
    let c = app
        .store
        .case(id)?
        .ok_or_else(|| AppError::NotFound(format!("case {id}")))?;
    if sees(caller, &c) {
        Ok(c)
    } else {
        Err(AppError::NotFound(format!("case {id}")))
    }
}

/// The names of admin units by id (townships, contractors).
fn unit_names(app: &App) -> AppResult<HashMap<String, String>> {
    Ok(app
        .store
        .admin_units()?
        .into_iter()
        .map(|u| (u.id, u.name_zh))
        .collect())
}

/// A case as listed.
#[derive(Clone, Debug, Serialize)]
pub struct CaseView {
    pub id: i64,
    pub case_no: String,
    pub origin: Origin,
    pub origin_zh: &'static str,
    pub origin_ref: Option<String>,
    pub title: String,
    pub violation: Violation,
    pub violation_zh: &'static str,
    pub violation_en: &'static str,
    pub subject_kind: Option<SubjectKind>,
    pub subject_id: Option<String>,
    pub subject_name: String,
    pub township: Option<String>,
    pub township_name: Option<String>,
    /// 非现场执法.
    pub non_site: bool,
    pub state: State,
    pub state_zh: &'static str,
    pub state_en: &'static str,
    /// The open rectification's deadline.
    pub deadline_ms: Option<i64>,
    pub deadline_bj: Option<String>,
    pub created_by: String,
    pub created_ms: i64,
    pub created_bj: String,
    pub closed_ms: Option<i64>,
    pub closed_bj: Option<String>,
    /// The fines decided, yuan.
    pub fine_yuan: Option<f64>,
}

fn fine_sum(ds: &[Decision]) -> Option<f64> {
    let fines: Vec<f64> = ds
        .iter()
        .filter(|d| d.kind == DecisionKind::Fine)
        .filter_map(|d| d.amount_yuan)
        .collect();
    (!fines.is_empty()).then(|| fines.iter().sum())
}

fn view(c: &CaseRow, names: &HashMap<String, String>, decisions: &[Decision]) -> CaseView {
    CaseView {
        id: c.id,
        case_no: c.case_no.clone(),
        origin: c.origin,
        origin_zh: c.origin.name_zh(),
        origin_ref: c.origin_ref.clone(),
        title: c.title.clone(),
        violation: c.violation,
        violation_zh: c.violation.name_zh(),
        violation_en: c.violation.name_en(),
        subject_kind: c.subject_kind,
        subject_id: c.subject_id.clone(),
        subject_name: c.subject_name.clone(),
        township: c.township.clone(),
        township_name: c.township.as_ref().and_then(|t| names.get(t).cloned()),
        non_site: c.non_site,
        state: c.state,
        state_zh: c.state.name_zh(),
        state_en: c.state.name_en(),
        deadline_ms: c.deadline_ms,
        deadline_bj: c.deadline_ms.map(bj),
        created_by: c.created_by.clone(),
        created_ms: c.created_ms,
        created_bj: bj(c.created_ms),
        closed_ms: c.closed_ms,
        closed_bj: c.closed_ms.map(bj),
        fine_yuan: fine_sum(decisions),
    }
}

/// Which cases to list.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ListQuery {
    pub state: Option<State>,
    pub township: Option<String>,
    pub origin: Option<Origin>,
    pub violation: Option<Violation>,
    pub year: Option<i32>,
}

fn filter(caller: &Caller, q: &ListQuery) -> AppResult<CaseFilter> {
    let mut f = CaseFilter {
        state: q.state,
        township: q.township.clone().filter(|t| !t.is_empty()),
        origin: q.origin,
        violation: q.violation,
        year: q.year,
        ..CaseFilter::default()
    };
    match scope(caller)? {
        Scope::All => {}
        Scope::Townships(ts) => f.townships = Some(ts),
        Scope::Subject(k, id) => f.subject = Some((k, id)),
    }
    Ok(f)
}

fn decisions_by_case(app: &App) -> AppResult<HashMap<i64, Vec<Decision>>> {
    let mut m: HashMap<i64, Vec<Decision>> = HashMap::new();
    for d in app.store.case_decisions(None)? {
        m.entry(d.case_id).or_default().push(d);
    }
    Ok(m)
}

/// The cases the caller sees, newest first.
pub fn list(app: &App, caller: &Caller, q: &ListQuery) -> AppResult<Vec<CaseView>> {
    let f = match filter(caller, q) {
        Err(AppError::Forbidden(r)) => {
            return app.allow(caller, "cases.read", "cases", Err(AppError::Forbidden(r)));
        }
        other => other?,
    };
    let names = unit_names(app)?;
    let ds = decisions_by_case(app)?;
    Ok(app
        .store
        .cases(&f)?
        .iter()
        .map(|c| view(c, &names, ds.get(&c.id).map_or(&[], Vec::as_slice)))
        .collect())
}

/// One event of the timeline.
#[derive(Clone, Debug, Serialize)]
pub struct EventView {
    pub at_ms: i64,
    pub at_bj: String,
    pub actor: String,
    pub action: String,
    pub text: String,
    pub state_after: State,
    pub state_zh: &'static str,
}

/// An archived packet of the evidence: the copy taken at opening and whether it verifies.
#[derive(Clone, Debug, Serialize)]
pub struct PacketView {
    pub chain: String,
    pub seq: i64,
    pub received_ms: i64,
    pub received_bj: String,
    pub peer: String,
    pub mn: Option<String>,
    pub verdict: String,
    /// The packet as received (HJ 212 is ASCII; other bytes are shown replaced).
    pub text: String,
    pub prev_hash: String,
    pub hash: String,
    pub verified: bool,
    pub problem: Option<String>,
}

/// One evidence item.
#[derive(Clone, Debug, Serialize)]
pub struct EvidenceView {
    pub id: i64,
    pub label: String,
    pub kind: &'static str,
    pub packet: Option<PacketView>,
    /// A series' JSON as attached.
    pub series: Option<serde_json::Value>,
    pub file: Option<String>,
    pub size: Option<i64>,
    pub sha256: Option<String>,
    pub actor: String,
    pub at_bj: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct InspectionView {
    pub date: String,
    pub inspectors: String,
    pub findings: String,
    pub actor: String,
    pub at_bj: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct DecisionView {
    pub kind: DecisionKind,
    pub kind_zh: &'static str,
    pub deadline_bj: Option<String>,
    pub amount_yuan: Option<f64>,
    pub legal_basis: Option<String>,
    pub transfer_to: Option<String>,
    pub text: String,
    pub actor: String,
    pub at_bj: String,
    pub confirmed_bj: Option<String>,
    pub confirmed_by: Option<String>,
}

/// One case with everything.
#[derive(Clone, Debug, Serialize)]
pub struct CaseDetail {
    pub case: CaseView,
    pub summary: String,
    pub events: Vec<EventView>,
    pub evidence: Vec<EvidenceView>,
    /// Packets the alarm's hours had, and how many were attached (at most
    /// [`EVIDENCE_PACKETS_MAX`]).
    pub packets_attached: usize,
    pub inspections: Vec<InspectionView>,
    pub decisions: Vec<DecisionView>,
    pub deadline: Option<String>,
    pub credit_entries: Vec<i64>,
    /// The steps the caller may take now.
    pub acts: Vec<&'static str>,
    /// A suggested legal basis for the violation (the bureau types the one it applies).
    pub suggested_basis: Option<&'static str>,
}

/// A verification of the case's archived evidence.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyReport {
    pub case_no: String,
    pub checked_bj: String,
    pub packets: usize,
    pub verified: usize,
    pub ok: bool,
    /// Each unverified packet: its record and what is wrong.
    pub problems: Vec<RecordCheck>,
}

/// The archive evidence of a case re-verified: the copy must be what the archive holds now
/// (a changed or deleted record differs), and the archive's own chain must verify.
fn check_packets(app: &App, ev: &[CaseEvidence]) -> AppResult<HashMap<(String, i64), RecordCheck>> {
    let mut by_chain: BTreeMap<String, Vec<&ArchiveRecord>> = BTreeMap::new();
    for e in ev {
        if let EvidenceBody::Packet(a) = &e.body {
            by_chain.entry(a.chain.clone()).or_default().push(a);
        }
    }
    let mut out = HashMap::new();
    for (chain, copies) in by_chain {
        let seqs: Vec<i64> = copies.iter().map(|a| a.seq).collect();
        let now: HashMap<i64, ArchiveRecord> = app
            .store
            .archive_records(&chain, &seqs)?
            .into_iter()
            .map(|a| (a.seq, a))
            .collect();
        let checks: HashMap<i64, RecordCheck> = app
            .store
            .verify_records(&chain, &seqs)?
            .into_iter()
            .map(|c| (c.seq, c))
            .collect();
        for copy in copies {
            let differs = match now.get(&copy.seq) {
                None => Some(format!(
                    "record {chain}#{}: missing from the archive (deleted after the case was opened)",
                    copy.seq
                )),
                Some(a) if a.bytes != copy.bytes => Some(format!(
                    "record {chain}#{}: its packet differs from the copy taken when the case was opened",
                    copy.seq
                )),
                Some(a) if a.hash != copy.hash || a.prev_hash != copy.prev_hash => Some(format!(
                    "record {chain}#{}: its hashes differ from the copy taken when the case was opened",
                    copy.seq
                )),
                Some(_) => None,
            };
            let problem = checks
                .get(&copy.seq)
                .and_then(|c| c.problem.clone())
                .or(differs);
            out.insert(
                (chain.clone(), copy.seq),
                RecordCheck {
                    chain: chain.clone(),
                    seq: copy.seq,
                    verified: problem.is_none(),
                    problem,
                },
            );
        }
    }
    Ok(out)
}

fn evidence_views(app: &App, ev: &[CaseEvidence]) -> AppResult<Vec<EvidenceView>> {
    let checks = check_packets(app, ev)?;
    Ok(ev
        .iter()
        .map(|e| {
            let mut v = EvidenceView {
                id: e.id,
                label: e.label.clone(),
                kind: "file",
                packet: None,
                series: None,
                file: None,
                size: None,
                sha256: None,
                actor: e.actor.clone(),
                at_bj: bj(e.at_ms),
            };
            match &e.body {
                EvidenceBody::Packet(a) => {
                    let c = checks.get(&(a.chain.clone(), a.seq));
                    v.kind = "packet";
                    v.packet = Some(PacketView {
                        chain: a.chain.clone(),
                        seq: a.seq,
                        received_ms: a.received_ms,
                        received_bj: bj(a.received_ms),
                        peer: a.peer.clone(),
                        mn: a.mn.clone(),
                        verdict: a.verdict.clone(),
                        text: String::from_utf8_lossy(&a.bytes).trim_end().to_owned(),
                        prev_hash: hex(&a.prev_hash),
                        hash: hex(&a.hash),
                        verified: c.is_some_and(|c| c.verified),
                        problem: c.and_then(|c| c.problem.clone()),
                    });
                }
                EvidenceBody::Series { json } => {
                    v.kind = "series";
                    v.series = serde_json::from_str(json).ok();
                }
                EvidenceBody::File { file, size, sha256 } => {
                    v.file = Some(file.clone());
                    v.size = Some(*size);
                    v.sha256 = Some(sha256.clone());
                }
            }
            v
        })
        .collect())
}

/// The steps the caller may take on `c` now (the buttons of the case page).
fn acts(caller: &Caller, c: &CaseRow) -> Vec<&'static str> {
    if caller.require_role(policy::MANAGE).is_err() {
        return Vec::new();
    }
    [
        ("inspect", Step::Inspect),
        ("decide", Step::Decide(DecisionKind::Fine)),
        ("confirm_rectified", Step::ConfirmRectified),
        ("evidence", Step::Evidence),
        ("close", Step::Close),
        ("dismiss", Step::Dismiss),
    ]
    .into_iter()
    .filter(|(_, s)| case::transition(c.state, *s).is_ok())
    .map(|(n, _)| n)
    // A closed case with a subject and no entries recorded: the credit step may be retried
    // (it failed at closure, or the rules gave none: the retry then writes none again).
    .chain(
        (c.state == State::Closed && c.subject_kind.is_some() && c.credit_entries.is_empty())
            .then_some("credit"),
    )
    .collect()
}

/// One case with its timeline, evidence (each archived packet verified now), inspections,
/// decisions and the steps the caller may take.
pub fn one(app: &App, caller: &Caller, id: i64) -> AppResult<CaseDetail> {
    let c = visible(app, caller, id)?;
    let names = unit_names(app)?;
    let ds = app.store.case_decisions(Some(id))?;
    let ev = app.store.case_evidence(id)?;
    let evidence = evidence_views(app, &ev)?;
    Ok(CaseDetail {
        case: view(&c, &names, &ds),
        summary: c.summary.clone(),
        events: app
            .store
            .case_events(id)?
            .into_iter()
            .map(|e| EventView {
                at_ms: e.at_ms,
                at_bj: bj(e.at_ms),
                actor: e.actor,
                action: e.action,
                text: e.text,
                state_after: e.state_after,
                state_zh: e.state_after.name_zh(),
            })
            .collect(),
        packets_attached: evidence.iter().filter(|e| e.packet.is_some()).count(),
        evidence,
        inspections: app
            .store
            .case_inspections(id)?
            .into_iter()
            .map(|i| InspectionView {
                date: i.date,
                inspectors: i.inspectors,
                findings: i.findings,
                actor: i.actor,
                at_bj: bj(i.at_ms),
            })
            .collect(),
        decisions: ds
            .iter()
            .map(|d| DecisionView {
                kind: d.kind,
                kind_zh: d.kind.name_zh(),
                deadline_bj: d.deadline_ms.map(bj),
                amount_yuan: d.amount_yuan,
                legal_basis: d.legal_basis.clone(),
                transfer_to: d.transfer_to.clone(),
                text: d.text.clone(),
                actor: d.actor.clone(),
                at_bj: bj(d.at_ms),
                confirmed_bj: d.confirmed_ms.map(bj),
                confirmed_by: d.confirmed_by.clone(),
            })
            .collect(),
        deadline: c.deadline_ms.map(bj),
        credit_entries: c.credit_entries.clone(),
        acts: acts(caller, &c),
        suggested_basis: c.violation.suggested_basis(),
    })
}

/// Re-verifies the case's archived evidence against the archive as it is now.
pub fn verify(app: &App, caller: &Caller, id: i64) -> AppResult<VerifyReport> {
    let c = visible(app, caller, id)?;
    let ev = app.store.case_evidence(id)?;
    let checks = check_packets(app, &ev)?;
    let mut problems: Vec<RecordCheck> = checks.values().filter(|c| !c.verified).cloned().collect();
    problems.sort_by_key(|p| (p.chain.clone(), p.seq));
    Ok(VerifyReport {
        case_no: c.case_no,
        checked_bj: bj(app.clock.now_ms()),
        packets: checks.len(),
        verified: checks.len() - problems.len(),
        ok: problems.is_empty(),
        problems,
    })
}

fn clip(text: &str, what: &str) -> AppResult<String> {
    let t = text.trim();
    if t.chars().count() > TEXT_CHARS_MAX {
        return Err(bad(format!(
            "{what}不超过 {TEXT_CHARS_MAX} 字 / {what} is at most {TEXT_CHARS_MAX} characters"
        )));
    }
    Ok(t.to_owned())
}

/// The subject's display name: an enterprise's name, a contractor unit's name, else its id.
fn subject_name(app: &App, kind: SubjectKind, id: &str) -> AppResult<String> {
    Ok(match kind {
        SubjectKind::Enterprise => {
            app.store
                .enterprise(id)?
                .ok_or_else(|| {
                    bad(format!(
                        "没有企业 {id} / no enterprise {id} in the register"
                    ))
                })?
                .name
        }
        SubjectKind::Contractor => unit_names(app)?
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_owned()),
    })
}

/// A case opened by hand.
#[derive(Clone, Debug, Deserialize)]
pub struct NewCaseRequest {
    pub title: String,
    pub violation: Violation,
    pub subject_kind: Option<SubjectKind>,
    pub subject_id: Option<String>,
    pub township: Option<String>,
    #[serde(default)]
    pub non_site: bool,
    #[serde(default)]
    pub summary: String,
}

/// What was opened.
#[derive(Clone, Debug, Serialize)]
pub struct Opened {
    pub id: i64,
    pub case_no: String,
    /// Archived packets attached (capped at [`EVIDENCE_PACKETS_MAX`]) and how many the
    /// alarm's hours had.
    pub packets_attached: usize,
    pub packets_found: usize,
}

/// Fills and stores a case; the caller has been allowed.
fn open(
    app: &App,
    caller: &Caller,
    who: &str,
    mut row: CaseRow,
    evidence: Vec<(String, EvidenceBody)>,
    text: &str,
    packets_found: usize,
) -> AppResult<Opened> {
    row.title = clip(&row.title, "标题 / title")?;
    if row.title.is_empty() {
        return Err(bad("立案须有标题 / a case needs a title"));
    }
    row.summary = clip(&row.summary, "案情 / summary")?;
    if let (Some(k), Some(id)) = (row.subject_kind, row.subject_id.as_deref()) {
        row.subject_name = subject_name(app, k, id)?;
    } else if row.subject_kind.is_some() != row.subject_id.is_some() {
        return Err(bad(
            "当事人须同时给出类型和编号 / a subject needs both its kind and its id",
        ));
    }
    if let Some(t) = &row.township
        && !app.store.admin_units()?.iter().any(|u| {
            &u.id == t && matches!(u.kind, UnitKind::Town | UnitKind::Township | UnitKind::Zone)
        })
    {
        return Err(bad(format!("没有乡镇 {t} / no township {t}")));
    }
    let now = app.clock.now_ms();
    row.created_by = who.to_owned();
    row.created_ms = now;
    row.updated_ms = now;
    row.year = cst::date_of(cst::from_unix_ms(now)).year();
    let attached = evidence
        .iter()
        .filter(|(_, b)| matches!(b, EvidenceBody::Packet(_)))
        .count();
    let n = NewCase {
        row,
        prefix: app.county.profile.id.clone(),
        evidence,
        text: clip(text, "说明 / note")?,
    };
    let object = format!(
        "{}:{}",
        n.row.origin,
        n.row.origin_ref.as_deref().unwrap_or("-")
    );
    let (id, case_no) = app.audited(caller, "cases.open", &object, &n.row.title, || {
        Ok(app.store.open_case(&n)?)
    })?;
    Ok(Opened {
        id,
        case_no,
        packets_attached: attached,
        packets_found,
    })
}

fn blank_row(origin: Origin, title: String, violation: Violation) -> CaseRow {
    CaseRow {
        id: 0,
        case_no: String::new(),
        year: 0,
        origin,
        origin_ref: None,
        title,
        violation,
        subject_kind: None,
        subject_id: None,
        subject_name: String::new(),
        township: None,
        non_site: false,
        summary: String::new(),
        state: State::Open,
        deadline_ms: None,
        created_by: String::new(),
        created_ms: 0,
        updated_ms: 0,
        closed_ms: None,
        credit_entries: Vec::new(),
    }
}

/// Opens a case by hand (the bureau, administrators).
pub fn open_manual(app: &App, caller: &Caller, r: NewCaseRequest) -> AppResult<Opened> {
    let who = manage(app, caller, "case:new")?;
    let mut row = blank_row(Origin::Manual, r.title, r.violation);
    row.subject_kind = r.subject_kind;
    row.subject_id = r.subject_id.filter(|s| !s.trim().is_empty());
    row.township = r.township.filter(|s| !s.trim().is_empty());
    row.non_site = r.non_site;
    row.summary = r.summary;
    open(app, caller, &who, row, Vec::new(), "", 0)
}

/// Opens a case from an integrity alarm the bureau confirmed: the subject is the outlet's
/// enterprise or the station's operations contractor, the violation the rule's (or the one
/// given), non-site; the evidence is a copy of the archived packets that brought the
/// alarm's hours (at most [`EVIDENCE_PACKETS_MAX`], the earliest received across every
/// gateway's chain) and the station's hour series over the alarm.
pub fn from_alarm(
    app: &App,
    caller: &Caller,
    alarm_id: i64,
    note: &str,
    violation: Option<Violation>,
) -> AppResult<Opened> {
    let who = manage(app, caller, &format!("alarm:{alarm_id}"))?;
    let a = app
        .store
        .alarm(alarm_id)?
        .ok_or_else(|| AppError::NotFound(format!("alarm {alarm_id}")))?;
    if a.state != AlarmState::Confirmed {
        return Err(AppError::Conflict(format!(
            "告警 {alarm_id} 未经生态环境局确认（当前 {}） / alarm {alarm_id} is not confirmed by the bureau (it is {})",
            a.state, a.state
        )));
    }
    let st = a.alarm.station_id.clone();
    let station = app
        .store
        .station(&st)?
        .ok_or_else(|| AppError::NotFound(format!("station {st}")))?;
    let mut row = blank_row(
        Origin::Alarm,
        String::new(),
        violation.unwrap_or_else(|| Violation::for_rule(a.alarm.rule)),
    );
    if station.role == StationRole::Outlet
        && let Some(o) = app.store.outlet(&st)?
    {
        let e = app.store.enterprise(&o.enterprise_id)?;
        row.subject_kind = Some(SubjectKind::Enterprise);
        row.subject_id = Some(o.enterprise_id.clone());
        row.township = e.and_then(|e| e.admin_unit_id);
    } else {
        row.township = station.admin_unit_id.clone();
        if let Some(c) = app.store.station_contractor(&st)? {
            row.subject_kind = Some(SubjectKind::Contractor);
            row.subject_id = Some(c);
        }
    }
    let (rule_zh, _) = crate::integrity::rule_names(a.alarm.rule);
    row.title = format!("{}（{}）{}", station.name, st, rule_zh);
    row.origin_ref = Some(alarm_id.to_string());
    row.non_site = true;
    let first = a.alarm.first_ts;
    let end = a.alarm.last_ts + cst::HOUR_S;
    row.summary = format!(
        "{}（{} 至 {} 北京时间）",
        a.alarm.why_zh,
        cst::format_minute(first + cst::HOUR_S),
        cst::format_minute(end)
    );
    // The code whose values the alarm is about: an outlet's channel, the pollutant's, or
    // every code (a station-wide rule without a pollutant).
    let code = lantian_store::integrity::cems_channel(&a.alarm)
        .filter(|_| station.role == StationRole::Outlet)
        .or(a.alarm.pollutant.map(Pollutant::hj212_code));
    let codes: Vec<&str> = code.into_iter().collect();
    let packets = app.store.packets_of_hours(&st, &codes, first, end)?;
    let found = packets.len();
    let mut by_chain: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for (chain, seq) in &packets[..found.min(EVIDENCE_PACKETS_MAX)] {
        by_chain.entry(chain).or_default().push(*seq);
    }
    let mut evidence: Vec<(String, EvidenceBody)> = Vec::new();
    for (chain, seqs) in by_chain {
        evidence.extend(
            app.store
                .archive_records(chain, &seqs)?
                .into_iter()
                .map(|r| {
                    (
                        format!(
                            "告警时段报文 / packet of the alarm's hours {}#{}",
                            r.chain, r.seq
                        ),
                        EvidenceBody::Packet(r),
                    )
                }),
        );
    }
    let series_code = code.unwrap_or(Pollutant::Pm25.hj212_code());
    let hours = app.store.hourly(&st, series_code, first, end, View::Raw)?;
    let series = serde_json::json!({
        "station": st,
        "code": series_code,
        "from": format!("{} 北京时间", cst::format_minute(first)),
        "to": format!("{} 北京时间", cst::format_minute(end)),
        "hours": hours.iter().map(|h| cst::format_minute(h.ts + cst::HOUR_S)).collect::<Vec<_>>(),
        "values": hours.iter().map(|h| h.value).collect::<Vec<_>>(),
    });
    evidence.push((
        "告警时段小时值 / the alarm's hour series".to_owned(),
        EvidenceBody::Series {
            json: series.to_string(),
        },
    ));
    let mut text = note.trim().to_owned();
    if found > EVIDENCE_PACKETS_MAX {
        text = format!(
            "{text}（告警时段共 {found} 个报文，附前 {EVIDENCE_PACKETS_MAX} 个 / the alarm's hours had {found} packets; the first {EVIDENCE_PACKETS_MAX} are attached）"
        );
    }
    open(app, caller, &who, row, evidence, &text, found)
}

/// A case from a warning-period violation.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct FromViolation {
    pub enterprise: String,
    /// `level:seq`.
    pub measure: String,
    /// `YYYY-MM-DD HH:MM`.
    pub first_hour: String,
    #[serde(default)]
    pub note: String,
}

/// Opens a case from a violation found verifying warning `warning_id`; its evidence (the
/// line's hours and the checks) is attached as a series.
pub fn from_violation(
    app: &App,
    caller: &Caller,
    warning_id: i64,
    r: &FromViolation,
) -> AppResult<Opened> {
    let who = manage(app, caller, &format!("warning:{warning_id}"))?;
    let ev = crate::compliance::evidence(
        app,
        caller,
        warning_id,
        &r.enterprise,
        &r.measure,
        &r.first_hour,
    )?;
    let v = &ev.violation;
    let mut row = blank_row(
        Origin::Violation,
        format!("{} 未落实{}（{}）", v.enterprise_name, v.kind_zh, v.measure),
        Violation::WarningNoncompliance,
    );
    row.origin_ref = Some(format!(
        "{warning_id}/{}/{}/{}",
        r.enterprise, r.measure, v.first_hour
    ));
    row.subject_kind = Some(SubjectKind::Enterprise);
    row.subject_id = Some(r.enterprise.clone());
    row.township = app
        .store
        .enterprise(&r.enterprise)?
        .and_then(|e| e.admin_unit_id);
    row.non_site = true;
    row.summary = format!(
        "{}（{} 至 {} 北京时间，{} 小时）",
        v.detail, v.first_hour, v.last_hour, v.hours
    );
    let json = serde_json::to_string(&ev).map_err(|e| AppError::Internal(e.to_string()))?;
    let evidence = vec![(
        "应急减排核查证据 / the verification's evidence".to_owned(),
        EvidenceBody::Series { json },
    )];
    open(app, caller, &who, row, evidence, &r.note, 0)
}

/// Opens a case from grid task `task_id` (a fire point: open burning; dust: dust; else the
/// violation given, or other). The task's township is the case's.
pub fn from_task(
    app: &App,
    caller: &Caller,
    task_id: i64,
    note: &str,
    violation: Option<Violation>,
) -> AppResult<Opened> {
    let who = manage(app, caller, &format!("task:{task_id}"))?;
    let t = app
        .store
        .task(task_id)?
        .ok_or_else(|| AppError::NotFound(format!("task {task_id}")))?;
    let v = violation.unwrap_or(match t.source {
        Source::FirePoint => Violation::OpenBurning,
        Source::Dust => Violation::Dust,
        _ => Violation::Other,
    });
    let mut row = blank_row(Origin::Task, t.title.clone(), v);
    row.origin_ref = Some(task_id.to_string());
    row.township = t.township.clone();
    row.summary = format!(
        "{}（任务 {task_id}，{}，{:.5}, {:.5}）",
        t.detail,
        t.state.name_zh(),
        t.lat,
        t.lon
    );
    let files: Vec<String> = app
        .store
        .task_evidence(task_id)?
        .into_iter()
        .map(|e| format!("{} sha256:{}", e.file, e.sha256))
        .collect();
    let evidence = if files.is_empty() {
        Vec::new()
    } else {
        vec![(
            "网格任务的证明材料 / the task's evidence files".to_owned(),
            EvidenceBody::Series {
                json: serde_json::json!({ "task": task_id, "files": files }).to_string(),
            },
        )]
    };
    open(app, caller, &who, row, evidence, note, 0)
}

/// Applies `step` to case `id` by the bureau: the transition decides the state after (a
/// wrong move is 409 with the reason), compare-and-set in the store.
fn step(app: &App, caller: &Caller, id: i64, s: Step, mut ch: CaseChange) -> AppResult<CaseRow> {
    let who = manage(app, caller, &format!("case:{id}"))?;
    let c = visible(app, caller, id)?;
    let after = case::transition(c.state, s).map_err(|r| AppError::Conflict(r.to_string()))?;
    ch.case_id = id;
    ch.expected = Some(c.state);
    ch.state_after = Some(after);
    ch.at_ms = app.clock.now_ms();
    ch.actor = who;
    let detail = format!("{} → {after}: {}", c.state, ch.text);
    app.audited(
        caller,
        &format!("cases.{}", ch.action),
        &format!("case:{id}"),
        &detail,
        || Ok(app.store.case_step(&ch)?),
    )?;
    Ok(app.store.case(id)?.unwrap_or(c))
}

/// An inspection.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct InspectRequest {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub inspectors: String,
    pub findings: String,
}

/// Records an inspection (调查取证) with its findings.
pub fn inspect(app: &App, caller: &Caller, id: i64, r: &InspectRequest) -> AppResult<CaseRow> {
    let date = Date::parse(r.date.trim()).ok_or_else(|| {
        bad(format!(
            "检查日期应为 YYYY-MM-DD / the date {:?} is not YYYY-MM-DD",
            r.date
        ))
    })?;
    let inspectors = clip(&r.inspectors, "检查人员 / inspectors")?;
    let findings = clip(&r.findings, "检查发现 / findings")?;
    if inspectors.is_empty() || findings.is_empty() {
        return Err(bad(
            "检查须有检查人员和发现 / an inspection needs its inspectors and findings",
        ));
    }
    let ch = CaseChange {
        action: "inspect".into(),
        text: findings.clone(),
        inspection: Some(Inspection {
            id: 0,
            case_id: id,
            date: date.to_string(),
            inspectors,
            findings,
            actor: String::new(),
            at_ms: 0,
        }),
        ..CaseChange::default()
    };
    step(app, caller, id, Step::Inspect, ch)
}

/// A decision.
#[derive(Clone, Debug, Deserialize)]
pub struct DecideRequest {
    pub kind: DecisionKind,
    /// A rectification's deadline, `YYYY-MM-DD` (the end of that day, Beijing time).
    pub deadline: Option<String>,
    pub amount_yuan: Option<f64>,
    pub legal_basis: Option<String>,
    pub transfer_to: Option<String>,
    #[serde(default)]
    pub text: String,
}

/// Records a decision: a rectification needs a deadline, a fine a positive amount and its
/// legal basis, a transfer whom to.
pub fn decide(app: &App, caller: &Caller, id: i64, r: &DecideRequest) -> AppResult<CaseRow> {
    manage(app, caller, &format!("case:{id}"))?;
    let text = clip(&r.text, "决定内容 / decision text")?;
    if text.is_empty() {
        return Err(bad("决定须有内容 / a decision needs its text"));
    }
    let given = |o: &Option<String>| {
        o.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let mut d = Decision {
        id: 0,
        case_id: id,
        kind: r.kind,
        deadline_ms: None,
        amount_yuan: None,
        legal_basis: given(&r.legal_basis),
        transfer_to: None,
        text: text.clone(),
        actor: String::new(),
        at_ms: 0,
        confirmed_ms: None,
        confirmed_by: None,
    };
    let mut deadline = None;
    match r.kind {
        DecisionKind::Rectify => {
            let day = given(&r.deadline).and_then(|t| Date::parse(&t)).ok_or_else(|| {
                bad("责令整改须有期限 YYYY-MM-DD / an order to rectify needs a deadline YYYY-MM-DD")
            })?;
            let ms = cst::to_unix_ms(cst::day_start(day.add_days(1))) - 1;
            if ms < app.clock.now_ms() {
                return Err(bad(format!(
                    "整改期限 {day} 已过 / the deadline {day} has passed"
                )));
            }
            d.deadline_ms = Some(ms);
            deadline = Some(Some(ms));
        }
        DecisionKind::Fine => {
            let amount = r
                .amount_yuan
                .filter(|a| a.is_finite() && *a > 0.0)
                .ok_or_else(|| {
                    bad("罚款须有大于零的金额（元） / a fine needs an amount in yuan above zero")
                })?;
            if d.legal_basis.is_none() {
                return Err(bad("罚款须写明法律依据 / a fine needs its legal basis"));
            }
            d.amount_yuan = Some(amount);
        }
        DecisionKind::Transfer => {
            d.transfer_to = Some(given(&r.transfer_to).ok_or_else(|| {
                bad("移送须写明移送机关 / a transfer needs the authority it goes to")
            })?);
        }
    }
    let ch = CaseChange {
        action: "decide".into(),
        text: format!("{}: {text}", r.kind.name_zh()),
        decision: Some(d),
        deadline_ms: deadline,
        ..CaseChange::default()
    };
    step(app, caller, id, Step::Decide(r.kind), ch)
}

/// Confirms the ordered rectification (整改验收).
pub fn confirm_rectified(app: &App, caller: &Caller, id: i64, text: &str) -> AppResult<CaseRow> {
    let text = clip(text, "验收意见 / confirmation")?;
    if text.is_empty() {
        return Err(bad(
            "整改验收须有意见 / confirming a rectification needs a note",
        ));
    }
    let ch = CaseChange {
        action: "confirm_rectified".into(),
        text,
        confirm_rectified: true,
        deadline_ms: Some(None),
        ..CaseChange::default()
    };
    step(app, caller, id, Step::ConfirmRectified, ch)
}

/// Ends a case without a penalty (不予处罚/撤销): no credit entry.
pub fn dismiss(app: &App, caller: &Caller, id: i64, text: &str) -> AppResult<CaseRow> {
    let text = clip(text, "理由 / reason")?;
    if text.is_empty() {
        return Err(bad("撤销须有理由 / dismissing needs a reason"));
    }
    let ch = CaseChange {
        action: "dismiss".into(),
        text,
        closed: true,
        ..CaseChange::default()
    };
    step(app, caller, id, Step::Dismiss, ch)
}

/// What closing did.
#[derive(Clone, Debug, Serialize)]
pub struct ClosedView {
    pub case: CaseView,
    /// The credit entries the rules wrote.
    pub credit_entries: Vec<i64>,
    /// Set when the case closed but its credit entries could not be written (closing and
    /// the credit step are two transactions): what failed and how to retry
    /// ([`record_credit`], `POST /api/v1/cases/{id}/credit`, `lantian case credit ID`).
    pub credit_failure: Option<String>,
}

/// The interface to the credit rules for closed case `c` with its decisions `ds` (none
/// without a subject: no entry can be written).
fn closed_case(c: &CaseRow, ds: &[Decision], closed_ms: i64) -> Option<ClosedCase> {
    let (kind, subject_id) = (c.subject_kind?, c.subject_id.clone()?);
    let mut kinds: Vec<String> = Vec::new();
    for d in ds {
        let k = d.kind.as_str().to_owned();
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    Some(ClosedCase {
        case_id: c.id,
        case_no: c.case_no.clone(),
        subject_kind: kind,
        subject_id,
        subject_name: c.subject_name.clone(),
        violation: c.violation.as_str().to_owned(),
        decisions: kinds,
        fine_yuan: fine_sum(ds),
        closed_ms,
        non_site: c.non_site,
        township: c.township.clone(),
    })
}

/// Writes closed case `c`'s credit entries by rule (idempotent: entries already written are
/// answered, none written twice) and records their ids with the case.
fn write_credit(
    app: &App,
    caller: &Caller,
    who: &str,
    c: &CaseRow,
    ds: &[Decision],
    closed_ms: i64,
) -> AppResult<Vec<i64>> {
    let Some(closed) = closed_case(c, ds, closed_ms) else {
        return Ok(Vec::new());
    };
    app.audited(
        caller,
        "cases.credit",
        &format!("case:{}", c.id),
        &c.case_no,
        || {
            let ids = crate::credit::record_closed_case(app, who, &closed)?;
            app.store.set_case_credit(c.id, &ids)?;
            Ok(ids)
        },
    )
}

/// Closes a decided case (refused without a decision and while a rectification is not
/// confirmed), then writes its credit entries by rule (`credit::record_closed_case`). The
/// two are separate transactions: a case whose credit step failed stays closed, the answer
/// says so in `credit_failure`, and [`record_credit`] retries the step.
pub fn close(app: &App, caller: &Caller, id: i64, text: &str) -> AppResult<ClosedView> {
    let who = manage(app, caller, &format!("case:{id}"))?;
    let c = visible(app, caller, id)?;
    let after =
        case::transition(c.state, Step::Close).map_err(|r| AppError::Conflict(r.to_string()))?;
    let text = clip(text, "结案意见 / closing note")?;
    let now = app.clock.now_ms();
    let ds = app.store.case_decisions(Some(id))?;
    let ch = CaseChange {
        case_id: id,
        expected: Some(c.state),
        state_after: Some(after),
        at_ms: now,
        actor: who.clone(),
        action: "close".into(),
        text: text.clone(),
        closed: true,
        ..CaseChange::default()
    };
    app.audited(caller, "cases.close", &format!("case:{id}"), &text, || {
        Ok(app.store.case_step(&ch)?)
    })?;
    let (credit_entries, credit_failure) = match write_credit(app, caller, &who, &c, &ds, now) {
        Ok(ids) => (ids, None),
        Err(e) => (
            Vec::new(),
            Some(format!(
                "案件 {no} 已结案，但信用记录未写入（{e}），请重试 / case {no} is closed but its credit entries were not written ({e}); retry with POST /api/v1/cases/{id}/credit or `lantian case credit {id}`",
                no = c.case_no
            )),
        ),
    };
    let row = app.store.case(id)?.unwrap_or(c);
    Ok(ClosedView {
        case: view(&row, &unit_names(app)?, &ds),
        credit_entries,
        credit_failure,
    })
}

/// Writes (again) the credit entries of closed case `id` by rule and records their ids with
/// the case: the retry after a credit step that failed at closure. Idempotent; the bureau
/// and administrators; a case not closed is refused (409).
pub fn record_credit(app: &App, caller: &Caller, id: i64) -> AppResult<Vec<i64>> {
    let who = manage(app, caller, &format!("case:{id}"))?;
    let c = visible(app, caller, id)?;
    let closed_ms = c.closed_ms.filter(|_| c.state == State::Closed).ok_or_else(|| {
        AppError::Conflict(format!(
            "案件 {no} 未结案（{zh}），信用记录在结案时写入 / case {no} is {en}, not closed: credit entries are written at closure",
            no = c.case_no,
            zh = c.state.name_zh(),
            en = c.state.name_en()
        ))
    })?;
    let ds = app.store.case_decisions(Some(id))?;
    write_credit(app, caller, &who, &c, &ds, closed_ms)
}

/// Attaches an evidence file (JPEG, PNG or PDF by content, at most 10 MiB) under
/// `DATA_DIR/case_evidence/ID/`, with its size and SHA-256.
pub fn add_evidence(
    app: &App,
    caller: &Caller,
    id: i64,
    name: &str,
    bytes: &[u8],
) -> AppResult<CaseRow> {
    manage(app, caller, &format!("case:{id}"))?;
    visible(app, caller, id)?;
    if bytes.len() > EVIDENCE_BYTES_MAX {
        return Err(bad(format!(
            "证据文件不超过 10 MiB / evidence files are at most {EVIDENCE_BYTES_MAX} bytes, this one has {}",
            bytes.len()
        )));
    }
    let ext = crate::ledger::sniff(bytes).ok_or_else(|| {
        bad("证据须为 JPEG、PNG 或 PDF / evidence must be a JPEG, PNG or PDF file")
    })?;
    let files = app
        .store
        .case_evidence(id)?
        .iter()
        .filter(|e| matches!(e.body, EvidenceBody::File { .. }))
        .count();
    if files >= EVIDENCE_FILES_MAX {
        return Err(AppError::Conflict(format!(
            "每个案件最多 {EVIDENCE_FILES_MAX} 个证据文件 / a case has at most {EVIDENCE_FILES_MAX} evidence files"
        )));
    }
    let dir = app
        .data_dir
        .clone()
        .ok_or_else(|| AppError::Unavailable("no data directory for evidence files".to_owned()))?;
    let sha = sha256_hex(bytes);
    let file = format!("{}-{}.{ext}", app.clock.now_ms(), &sha[..16]);
    let folder = dir.join("case_evidence").join(id.to_string());
    std::fs::create_dir_all(&folder)
        .map_err(|e| AppError::Internal(format!("{}: {e}", folder.display())))?;
    let path = folder.join(&file);
    std::fs::write(&path, bytes)
        .map_err(|e| AppError::Internal(format!("{}: {e}", path.display())))?;
    let label: String = name.chars().filter(|c| !c.is_control()).take(120).collect();
    let ch = CaseChange {
        action: "evidence".into(),
        text: label.clone(),
        evidence: vec![(
            label,
            EvidenceBody::File {
                file,
                size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
                sha256: sha,
            },
        )],
        ..CaseChange::default()
    };
    step(app, caller, id, Step::Evidence, ch)
}

/// An evidence file of a case the caller sees, with its MIME type.
pub fn evidence_file(
    app: &App,
    caller: &Caller,
    id: i64,
    file: &str,
) -> AppResult<(Vec<u8>, &'static str)> {
    visible(app, caller, id)?;
    let known = app
        .store
        .case_evidence(id)?
        .into_iter()
        .any(|e| matches!(&e.body, EvidenceBody::File { file: f, .. } if f == file));
    let dir = app
        .data_dir
        .clone()
        .filter(|_| known)
        .ok_or_else(|| AppError::NotFound(format!("case {id}: no evidence file {file:?}")))?;
    let bytes = std::fs::read(dir.join("case_evidence").join(id.to_string()).join(file))
        .map_err(|e| AppError::NotFound(format!("case {id}: evidence file {file:?}: {e}")))?;
    let mime = match crate::ledger::sniff(&bytes) {
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        _ => "image/jpeg",
    };
    Ok((bytes, mime))
}

/// A count under one key.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Count {
    pub key: String,
    pub name: String,
    pub cases: usize,
    pub closed: usize,
    pub fine_yuan: f64,
}

/// The year's statistics.
#[derive(Clone, Debug, Serialize)]
pub struct Stats {
    pub year: i32,
    pub cases: usize,
    pub closed: usize,
    pub open: usize,
    pub dismissed: usize,
    pub non_site: usize,
    /// non-site ÷ cases (none without cases).
    pub non_site_share: Option<f64>,
    pub fine_yuan: f64,
    pub by_violation: Vec<Count>,
    pub by_township: Vec<Count>,
    pub by_origin: Vec<Count>,
}

/// Counts of the cases the caller sees opened in `year` (default: this year, Beijing) by
/// violation, township and origin, the non-site share and the fines decided.
pub fn stats(app: &App, caller: &Caller, year: Option<i32>) -> AppResult<Stats> {
    let year = year.unwrap_or_else(|| app.clock.today().year());
    let list = list(
        app,
        caller,
        &ListQuery {
            year: Some(year),
            ..ListQuery::default()
        },
    )?;
    let mut by: [BTreeMap<String, Count>; 3] = Default::default();
    for c in &list {
        let keys = [
            (c.violation.as_str().to_owned(), c.violation_zh.to_owned()),
            (
                c.township.clone().unwrap_or_else(|| "-".into()),
                c.township_name
                    .clone()
                    .unwrap_or_else(|| "未定乡镇 / none".into()),
            ),
            (c.origin.as_str().to_owned(), c.origin_zh.to_owned()),
        ];
        for (m, (key, name)) in by.iter_mut().zip(keys) {
            let e = m.entry(key.clone()).or_insert_with(|| Count {
                key,
                name,
                ..Count::default()
            });
            e.cases += 1;
            e.closed += usize::from(c.state == State::Closed);
            e.fine_yuan += c.fine_yuan.unwrap_or(0.0);
        }
    }
    let n = list.len();
    let non_site = list.iter().filter(|c| c.non_site).count();
    let [v, t, o] = by.map(|m| m.into_values().collect::<Vec<_>>());
    Ok(Stats {
        year,
        cases: n,
        closed: list.iter().filter(|c| c.state == State::Closed).count(),
        dismissed: list.iter().filter(|c| c.state == State::Dismissed).count(),
        open: list.iter().filter(|c| !c.state.is_done()).count(),
        non_site,
        non_site_share: (n > 0).then(|| non_site as f64 / n as f64),
        fine_yuan: list
            .iter()
            .filter_map(|c| c.fine_yuan)
            .fold(0.0, |a, b| a + b),
        by_violation: v,
        by_township: t,
        by_origin: o,
    })
}
