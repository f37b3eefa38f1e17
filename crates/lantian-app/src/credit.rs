//! Credit records (信用记录) of enterprises and operations contractors: entries written by
//! rule when a case closes, publication, objections and repair, the public credit list.
//! The rules are `lantian_core::enforce::credit::Config` (defaults, with the store setting
//! [`RULES_SETTING`] over them); "today" is the Beijing date of `app.clock`.

use crate::caller::policy::{self, Act};
use crate::{App, AppError, AppResult, Caller};
use lantian_core::enforce::SubjectKind;
use lantian_core::enforce::credit::{
    ClosedCase, Config, EntryState, Level, Outcome, Phase, RequestKind, decision_line, phase,
    refuse_request, state_after, violation_names,
};
use lantian_core::org::Role;
use lantian_core::{Date, cst};
use lantian_store::AuditRow;
use lantian_store::credit::{
    CreditAnswer, CreditEntryRow, CreditFilter, CreditRequestRow, NewCreditEntry, NewCreditRequest,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const RULES_REFUSED: &str =
    "只有生态环境局可以管理信用规则 / only the bureau manages the credit rules";

/// Longest objection, repair or reason text, in characters.
pub const TEXT_CHARS_MAX: usize = 2_000;
/// Shortest objection, repair application or reason, in characters.
pub const TEXT_CHARS_MIN: usize = 4;

/// The setting that overrides the rule table: a JSON object of [`Config`]'s keys (missing
/// keys keep their defaults), e.g. `{"publish_delay_days": 0}`.
pub const RULES_SETTING: &str = "credit_rules";

/// The county's credit rules: the defaults, with the store's [`RULES_SETTING`] over them.
pub fn rules(app: &App) -> AppResult<Config> {
    match app.store.setting(RULES_SETTING)? {
        None => Ok(Config::default()),
        Some(text) => parse_rules(&text).map_err(|e| {
            AppError::Internal(format!(
                "the setting {RULES_SETTING} is not a credit rule table: {e}"
            ))
        }),
    }
}

/// A rule table read from JSON and checked; the message names the rule and field.
pub fn parse_rules(text: &str) -> Result<Config, String> {
    let cfg: Config = serde_json::from_str(text).map_err(|e| e.to_string())?;
    cfg.check()?;
    Ok(cfg)
}

/// Writes the credit entries the rules give for a closed case (none for most cases) and
/// returns their ids. Called by the case module when a case closes; `by` is who closed it.
/// Idempotent: a case already recorded returns its entries' ids and writes nothing.
pub fn record_closed_case(app: &App, by: &str, case: &ClosedCase) -> AppResult<Vec<i64>> {
    // What was written stays what was written, even if the table changed since.
    let existing = app.store.credit_entries_of_case(case.case_id)?;
    if !existing.is_empty() {
        return Ok(existing);
    }
    let Some(j) = rules(app)?.judge(case) else {
        return Ok(Vec::new());
    };
    let credit_code = match case.subject_kind {
        SubjectKind::Enterprise => app
            .store
            .enterprise(&case.subject_id)?
            .and_then(|e| e.credit_code),
        SubjectKind::Contractor => None,
    };
    let entry = NewCreditEntry {
        case_id: case.case_id,
        case_no: case.case_no.clone(),
        subject_kind: case.subject_kind,
        subject_id: case.subject_id.clone(),
        subject_name: case.subject_name.clone(),
        credit_code,
        level: j.level,
        violation: case.violation.clone(),
        decision_line: decision_line(case),
        fine_yuan: case.fine_yuan,
        non_site: case.non_site,
        township: case.township.clone(),
        decided_ms: case.closed_ms,
        publish_from: j.publish_from,
        publish_until: j.publish_until,
        repair_from: j.repair_from,
        rule_source: j.source,
        created_ms: app.clock.now_ms(),
        created_by: by.to_owned(),
    };
    let row = AuditRow {
        at_ms: app.clock.now_ms(),
        actor: by.to_owned(),
        action: "credit.record".into(),
        object: format!("case:{}", case.case_id),
        detail: format!(
            "{} {} {} {}..{}",
            case.subject_kind.as_str(),
            case.subject_id,
            j.level,
            j.publish_from,
            j.publish_until
        ),
        source: String::new(),
    };
    let (id, _) = app
        .store
        .audited(row, || app.store.insert_credit_entry(&entry))?;
    Ok(vec![id])
}

fn bad(msg: String) -> AppError {
    AppError::BadRequest(msg)
}

/// A free text of a request or an answer, trimmed: its length within bounds and no
/// control characters but line breaks.
fn checked_text(what: &str, text: &str, min: usize) -> AppResult<String> {
    let t = text.trim();
    let n = t.chars().count();
    if n < min || n > TEXT_CHARS_MAX {
        return Err(bad(format!(
            "{what}须为 {min}–{TEXT_CHARS_MAX} 字（现有 {n} 字） / {what} must have {min} to {TEXT_CHARS_MAX} characters ({n} given)"
        )));
    }
    if t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(bad(format!(
            "{what}含有控制字符 / {what} contains control characters"
        )));
    }
    Ok(t.to_owned())
}

fn subject_names(kind: SubjectKind) -> (&'static str, &'static str) {
    match kind {
        SubjectKind::Enterprise => ("企业", "enterprise"),
        SubjectKind::Contractor => ("运维单位", "operations contractor"),
    }
}

/// A period of Beijing dates as people read it.
fn period_text(from: Date, until: Date) -> String {
    format!("{from} 至 {until}（北京时间） / {from} to {until} (Beijing time)")
}

/// An entry as the bureau and its subject read it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EntryView {
    #[serde(flatten)]
    pub row: CreditEntryRow,
    /// Where it stands today (Beijing date of the app's clock).
    pub phase: Phase,
    pub phase_zh: &'static str,
    pub phase_en: &'static str,
    pub state_zh: &'static str,
    pub state_en: &'static str,
    pub level_zh: &'static str,
    pub level_en: &'static str,
    pub subject_kind_zh: &'static str,
    pub subject_kind_en: &'static str,
    pub violation_zh: String,
    pub violation_en: String,
    /// When the case was closed (the decision's date here), "YYYY-MM-DD HH:MM 北京时间".
    pub decided_bj: String,
    pub period_bj: String,
}

fn view(row: CreditEntryRow, today: Date) -> EntryView {
    let e = &row.entry;
    let ph = phase(row.state, e.publish_from, e.publish_until, today);
    let (violation_zh, violation_en) = violation_names(&e.violation);
    let (subject_kind_zh, subject_kind_en) = subject_names(e.subject_kind);
    EntryView {
        phase: ph,
        phase_zh: ph.name_zh(),
        phase_en: ph.name_en(),
        state_zh: row.state.name_zh(),
        state_en: row.state.name_en(),
        level_zh: e.level.name_zh(),
        level_en: e.level.name_en(),
        subject_kind_zh,
        subject_kind_en,
        violation_zh,
        violation_en,
        decided_bj: format!("{} 北京时间", cst::format_unix_ms(e.decided_ms)),
        period_bj: period_text(e.publish_from, e.publish_until),
        row,
    }
}

/// One line of the public credit list: organisations only, never a person's data (no
/// login names, no townships, no texts of objections or repairs).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PublicEntry {
    pub id: i64,
    pub subject_kind: SubjectKind,
    pub subject_kind_zh: &'static str,
    pub subject_kind_en: &'static str,
    /// The register's enterprise id or the contractor's id (public in the register anyway).
    pub subject_id: String,
    pub subject_name: String,
    /// 统一社会信用代码 (enterprises of the register that have one).
    pub credit_code: Option<String>,
    pub level: Level,
    pub level_zh: &'static str,
    pub level_en: &'static str,
    pub violation: String,
    pub violation_zh: String,
    pub violation_en: String,
    pub case_no: String,
    /// The decisions in one line, Chinese / English.
    pub decision_line: String,
    pub publish_from: Date,
    pub publish_until: Date,
    pub period_bj: String,
    /// An objection is under review (the entry stays listed meanwhile).
    pub under_objection: bool,
}

/// The public credit list: the entries whose publication period contains today's Beijing
/// date, neither withdrawn nor repaired; the newest first. No login needed.
pub fn public_list(app: &App) -> AppResult<Vec<PublicEntry>> {
    let today = app.clock.today();
    let rows = app.store.credit_entries(&CreditFilter {
        public_on: Some(today),
        ..CreditFilter::default()
    })?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let v = view(r, today);
            let e = v.row.entry;
            PublicEntry {
                id: v.row.id,
                subject_kind: e.subject_kind,
                subject_kind_zh: v.subject_kind_zh,
                subject_kind_en: v.subject_kind_en,
                subject_id: e.subject_id,
                subject_name: e.subject_name,
                credit_code: e.credit_code,
                level: e.level,
                level_zh: v.level_zh,
                level_en: v.level_en,
                violation: e.violation,
                violation_zh: v.violation_zh,
                violation_en: v.violation_en,
                case_no: e.case_no,
                decision_line: e.decision_line,
                publish_from: e.publish_from,
                publish_until: e.publish_until,
                period_bj: v.period_bj,
                under_objection: v.row.state == EntryState::Objected,
            }
        })
        .collect())
}

/// Filters of the internal list, as the front ends receive them (all optional).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ListQuery {
    pub subject_kind: Option<String>,
    pub subject_id: Option<String>,
    pub level: Option<String>,
    pub state: Option<String>,
    /// `scheduled`, `public`, `expired`, `withdrawn`, `repaired`.
    pub phase: Option<String>,
    pub violation: Option<String>,
    pub township: Option<String>,
}

fn parsed<T>(
    what: &str,
    text: Option<&str>,
    parse: fn(&str) -> Option<T>,
    names: &str,
) -> AppResult<Option<T>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => parse(t).map(Some).ok_or_else(|| {
            bad(format!(
                "{what} {t:?} 无效，应为 {names} / {what} {t:?} is not one of {names}"
            ))
        }),
    }
}

/// The enterprise an enterprise account acts for, if the caller is one.
fn own_enterprise(caller: &Caller) -> Option<&str> {
    caller
        .account()
        .filter(|a| a.role == Role::Enterprise)
        .and_then(|a| a.unit_id.as_deref())
}

/// Whether the caller reads (and may make requests about) this entry: the bureau and
/// administrators any; an enterprise account its own.
fn sees(caller: &Caller, e: &NewCreditEntry) -> bool {
    policy::acts(caller).contains(&Act::ManageCredit)
        || (e.subject_kind == SubjectKind::Enterprise
            && own_enterprise(caller) == Some(e.subject_id.as_str()))
}

const LIST_REFUSED: &str = "信用记录内部名单仅供生态环境局和企业本身查看 / the internal credit list is for the bureau and each enterprise's own entries";

/// The internal list (the bureau: every entry; an enterprise account: its own), newest
/// publication first.
pub fn list(app: &App, caller: &Caller, q: &ListQuery) -> AppResult<Vec<EntryView>> {
    let manage = policy::acts(caller).contains(&Act::ManageCredit);
    let own = own_enterprise(caller);
    if !manage && own.is_none() {
        app.allow(
            caller,
            "credit.list",
            "credit",
            Err(policy::refusal(caller, LIST_REFUSED)),
        )?;
    }
    let mut f = CreditFilter {
        subject_kind: parsed(
            "subject_kind",
            q.subject_kind.as_deref(),
            SubjectKind::parse,
            "enterprise, contractor",
        )?,
        subject_id: q.subject_id.clone().filter(|s| !s.trim().is_empty()),
        level: parsed("level", q.level.as_deref(), Level::parse, &Level::names())?,
        state: parsed(
            "state",
            q.state.as_deref(),
            EntryState::parse,
            &EntryState::names(),
        )?,
        violation: q.violation.clone().filter(|s| !s.trim().is_empty()),
        township: q.township.clone().filter(|s| !s.trim().is_empty()),
        public_on: None,
    };
    let want_phase = parsed("phase", q.phase.as_deref(), Phase::parse, &Phase::names())?;
    if !manage && let Some(id) = own {
        f.subject_kind = Some(SubjectKind::Enterprise);
        f.subject_id = Some(id.to_owned());
    }
    let today = app.clock.today();
    Ok(app
        .store
        .credit_entries(&f)?
        .into_iter()
        .map(|r| view(r, today))
        .filter(|v| want_phase.is_none_or(|p| p == v.phase))
        .collect())
}

/// A request as people read it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RequestView {
    #[serde(flatten)]
    pub row: CreditRequestRow,
    pub kind_zh: &'static str,
    pub filed_bj: String,
    pub decided_bj: Option<String>,
}

fn request_view(row: CreditRequestRow) -> RequestView {
    RequestView {
        kind_zh: match row.kind {
            RequestKind::Objection => "异议",
            RequestKind::Repair => "信用修复",
        },
        filed_bj: format!("{} 北京时间", cst::format_unix_ms(row.filed_ms)),
        decided_bj: row
            .decided_ms
            .map(|ms| format!("{} 北京时间", cst::format_unix_ms(ms))),
        row,
    }
}

/// What the caller may do to an entry now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryAct {
    Object,
    Repair,
    DecideObjection,
    DecideRepair,
}

/// One entry with its requests and what the caller may do.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EntryDetail {
    pub entry: EntryView,
    pub requests: Vec<RequestView>,
    pub acts: Vec<EntryAct>,
    /// Why a repair may not be applied for yet, if so (Chinese / English).
    pub repair_refused: Option<String>,
}

fn entry_for(app: &App, caller: &Caller, id: i64, act: &str) -> AppResult<CreditEntryRow> {
    let object = format!("credit:{id}");
    let refuse = |why: &str| app.allow(caller, act, &object, Err(policy::refusal(caller, why)));
    // Who sees no entry at all is refused before the entry is looked up.
    if !policy::acts(caller).contains(&Act::ManageCredit) && own_enterprise(caller).is_none() {
        return refuse(LIST_REFUSED);
    }
    let row = app.store.credit_entry(id)?;
    if sees(caller, &row.entry) {
        return Ok(row);
    }
    refuse("这不是本企业的信用记录 / this is not a credit entry of your enterprise")
}

/// One entry with its requests (the bureau, or the entry's enterprise).
pub fn show(app: &App, caller: &Caller, id: i64) -> AppResult<EntryDetail> {
    let row = entry_for(app, caller, id, "credit.show")?;
    let today = app.clock.today();
    let e = &row.entry;
    let refused = |k| refuse_request(k, row.state, e.publish_until, e.repair_from, today);
    let manage = policy::acts(caller).contains(&Act::ManageCredit);
    let mut acts = Vec::new();
    if refused(RequestKind::Objection).is_none() {
        acts.push(EntryAct::Object);
    }
    let repair_refused = refused(RequestKind::Repair);
    if repair_refused.is_none() {
        acts.push(EntryAct::Repair);
    }
    let requests: Vec<RequestView> = app
        .store
        .credit_requests(id)?
        .into_iter()
        .map(request_view)
        .collect();
    if manage {
        for r in requests.iter().filter(|r| r.row.state == "pending") {
            acts.push(match r.row.kind {
                RequestKind::Objection => EntryAct::DecideObjection,
                RequestKind::Repair => EntryAct::DecideRepair,
            });
        }
    }
    Ok(EntryDetail {
        entry: view(row, today),
        requests,
        acts,
        repair_refused,
    })
}

/// A subject's objection (异议) or repair application (信用修复) to file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct NewRequest {
    pub text: String,
    /// What the subject offers as evidence (documents named, their dates); repair only.
    #[serde(default)]
    pub evidence: String,
}

/// Files an objection or a repair application about entry `id`: the entry's enterprise,
/// or the bureau on a subject's behalf (contractors have no accounts). An objection marks
/// the entry 异议处理中 (it stays listed); a repair needs the minimum period passed.
pub fn request(
    app: &App,
    caller: &Caller,
    id: i64,
    kind: RequestKind,
    req: &NewRequest,
) -> AppResult<RequestView> {
    let act = format!("credit.{kind}");
    let row = entry_for(app, caller, id, &act)?;
    let text = checked_text(
        match kind {
            RequestKind::Objection => "异议理由 / objection",
            RequestKind::Repair => "修复申请 / repair application",
        },
        &req.text,
        TEXT_CHARS_MIN,
    )?;
    let evidence = match kind {
        RequestKind::Repair => checked_text("证明材料 / evidence", &req.evidence, TEXT_CHARS_MIN)?,
        RequestKind::Objection if req.evidence.trim().is_empty() => String::new(),
        RequestKind::Objection => checked_text("证明材料 / evidence", &req.evidence, 1)?,
    };
    let e = &row.entry;
    if let Some(why) = refuse_request(
        kind,
        row.state,
        e.publish_until,
        e.repair_from,
        app.clock.today(),
    ) {
        return Err(AppError::Conflict(why));
    }
    let new = NewCreditRequest {
        kind,
        text,
        evidence,
        by: caller.name().to_owned(),
        at_ms: app.clock.now_ms(),
    };
    let filed = app.audited(caller, &act, &format!("credit:{id}"), &new.text, || {
        Ok(app.store.file_credit_request(id, row.state, &new)?)
    })?;
    Ok(request_view(filed))
}

/// The bureau's answer to the request under review of entry `id`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Decision {
    pub outcome: Outcome,
    pub reason: String,
}

/// Answers the objection or repair application under review (the bureau, administrators):
/// an upheld objection withdraws the entry; an approved repair takes it off the public list
/// (kept internally with the reason); a rejection leaves it as it was.
pub fn decide(
    app: &App,
    caller: &Caller,
    id: i64,
    kind: RequestKind,
    d: &Decision,
) -> AppResult<RequestView> {
    let act = format!("credit.{kind}.decide");
    let object = format!("credit:{id}");
    manage(
        app,
        caller,
        &act,
        &object,
        "只有生态环境局可以处理异议和信用修复 / only the bureau answers objections and repairs",
    )?;
    app.store.credit_entry(id)?;
    let reason = checked_text("处理理由 / reason", &d.reason, TEXT_CHARS_MIN)?;
    let from = match kind {
        RequestKind::Objection => EntryState::Objected,
        RequestKind::Repair => EntryState::Published,
    };
    let to = state_after(kind, d.outcome);
    let detail = format!("{} {reason}", d.outcome);
    let answer = CreditAnswer {
        outcome: d.outcome,
        reason,
        by: caller.name().to_owned(),
        at_ms: app.clock.now_ms(),
    };
    let done = app.audited(caller, &act, &object, &detail, || {
        Ok(app
            .store
            .decide_credit_request(id, kind, (from, to), &answer)?)
    })?;
    Ok(request_view(done))
}

/// Counts of the credit records.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub total: usize,
    pub by_level: BTreeMap<String, usize>,
    pub by_phase: BTreeMap<String, usize>,
    pub by_violation: BTreeMap<String, usize>,
    pub by_subject_kind: BTreeMap<String, usize>,
    /// Requests by `kind.state` (e.g. `objection.pending`, `repair.granted`).
    pub requests: BTreeMap<String, i64>,
}

/// Counts by level, phase (today), violation and subject kind, and the requests by kind and
/// outcome (the bureau).
pub fn stats(app: &App, caller: &Caller) -> AppResult<Stats> {
    manage(
        app,
        caller,
        "credit.stats",
        "credit",
        "信用记录统计仅供生态环境局查看 / credit statistics are for the bureau",
    )?;
    let entries = list(app, caller, &ListQuery::default())?;
    let mut s = Stats {
        total: entries.len(),
        ..Stats::default()
    };
    for v in &entries {
        let e = &v.row.entry;
        *s.by_level.entry(e.level.as_str().to_owned()).or_default() += 1;
        *s.by_phase.entry(v.phase.as_str().to_owned()).or_default() += 1;
        *s.by_violation.entry(e.violation.clone()).or_default() += 1;
        *s.by_subject_kind
            .entry(e.subject_kind.as_str().to_owned())
            .or_default() += 1;
    }
    for (kind, state, n) in app.store.credit_request_counts()? {
        s.requests.insert(format!("{kind}.{state}"), n);
    }
    Ok(s)
}

/// Refuses (and audits the refusal of) a caller who may not manage credit records.
fn manage(app: &App, caller: &Caller, act: &str, object: &str, why: &str) -> AppResult<()> {
    let decision = if policy::acts(caller).contains(&Act::ManageCredit) {
        Ok(())
    } else {
        Err(policy::refusal(caller, why))
    };
    app.allow(caller, act, object, decision)
}

/// The rule table in force (the bureau and administrators).
pub fn rules_for(app: &App, caller: &Caller) -> AppResult<Config> {
    manage(app, caller, "credit.rules", "credit", RULES_REFUSED)?;
    rules(app)
}

/// Replaces the rule table (JSON of [`Config`], checked; the bureau and administrators).
/// Entries already written keep their level and dates.
pub fn set_rules(app: &App, caller: &Caller, json: &str) -> AppResult<Config> {
    manage(app, caller, "credit.rules.set", "credit", RULES_REFUSED)?;
    let cfg = parse_rules(json).map_err(|e| {
        bad(format!(
            "信用规则表无效 / the credit rule table is invalid: {e}"
        ))
    })?;
    let text = serde_json::to_string(&cfg).map_err(|e| AppError::Internal(e.to_string()))?;
    app.audited(caller, "credit.rules.set", "credit", &text, || {
        Ok(app.store.set_setting(RULES_SETTING, &text)?)
    })?;
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_rule_setting_keeps_the_defaults_it_leaves_out_and_names_what_is_wrong() {
        let partial = parse_rules(r#"{"publish_delay_days": 0}"#).unwrap();
        assert_eq!(partial.rules, Config::default().rules);
        assert_eq!(partial.publish_delay_days, 0);
        // (setting, a part of the message)
        let cases = [
            (r#"{"delay": 0}"#, "unknown field `delay`"),
            (
                r#"{"rules": [{"violation": "dust", "level": "grave", "publish_months": 12, "repair_after_months": 3, "source": "x"}]}"#,
                "unknown variant `grave`",
            ),
            (
                r#"{"rules": [{"violation": "dust", "level": "general", "publish_months": 12, "repair_after_months": 13, "source": "x"}]}"#,
                "rule 1: repair_after_months 13",
            ),
        ];
        for (text, want) in cases {
            let e = parse_rules(text).unwrap_err();
            assert!(e.contains(want), "{text}: {e}");
        }
    }
}
