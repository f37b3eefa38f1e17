//! The measures ledger (措施责任清单): the list with its filters, one measure with its
//! history, progress reports, confirmation, closing (销号) and reopening, hand corrections of
//! what was read from the text, evidence files, the scheduled overdue check, and the Excel
//! 台账. Who may do what is [`crate::caller::policy::ledger`]; the status machine is
//! `lantian_core::ledger::status`. Milestones, townships' parts, 省定目标 and monthly actuals
//! are in [`crate::ledger_parts`]; the county's ledger data (`ledger.json`) is read here.

use crate::caller::policy::{self, LedgerAct};
use crate::error::{AppError, AppResult};
use crate::ledger_parts::{
    MilestoneView, ShareProgress, TargetProgress, milestone_statuses, share_progress,
    target_progress,
};
use crate::{App, Caller};
use lantian_core::cst;
use lantian_core::ledger::extract::Target;
use lantian_core::ledger::profile::LedgerProfile;
use lantian_core::ledger::status::{
    Action, Status, after_deadline_change, at_risk, effective_with_milestones, transition,
};
use lantian_core::ledger::{DeadlineSource, EventKind, Fields, Measure, MonthlyTarget};
use lantian_core::{Date, Month};
use lantian_store::ledger::{MeasureEvent, MeasureRow};
use lantian_store::ledger_parts::PartRow;
use serde::Serialize;

/// Parses a county's `ledger.json` and applies it to the measures of its `measures.tsv`
/// (`known`: the departments' names); an error names the file, the measure and the reason.
pub fn load_profile(
    json: &str,
    measures: Vec<Measure>,
    known: &[String],
) -> Result<(Vec<Measure>, LedgerProfile), String> {
    let text = json.trim();
    let p: LedgerProfile = if text.is_empty() {
        LedgerProfile::default()
    } else {
        serde_json::from_str(text).map_err(|e| format!("ledger.json: {e}"))?
    };
    let m = p
        .apply(measures, known)
        .map_err(|e| format!("ledger.json: {e}"))?;
    Ok((m, p))
}

/// The caller with its unit under its canonical name (an account registered under another
/// spelling of a unit, e.g. 国网辛集供电分公司, answers for 国网辛集市供电公司's measures).
pub fn canonical_caller(app: &App, caller: &Caller) -> Caller {
    let mut c = caller.clone();
    if let Caller::Account(a) = &mut c
        && let Some(u) = &a.unit_id
    {
        let canonical = app.county.ledger.canonical(u).to_owned();
        if canonical != *u && a.unit_kind.is_none() {
            a.unit_kind = Some(lantian_core::org::UnitKind::Department);
        }
        a.unit_id = Some(canonical);
    }
    c
}

/// The columns of the 台账: the plan's four first (so that it imports back), then status.
const LEDGER_COLUMNS: [(&str, f64); 11] = [
    ("类别", 18.0),
    ("重点工作", 22.0),
    ("工作措施", 60.0),
    ("责任单位", 30.0),
    ("牵头单位", 20.0),
    ("配合单位", 28.0),
    ("完成时限", 14.0),
    ("状态", 10.0),
    ("最近进展", 30.0),
    ("进展时间（北京时间）", 18.0),
    ("编号", 8.0),
];

/// Largest evidence file accepted.
pub const EVIDENCE_BYTES_MAX: usize = 5 * 1024 * 1024;
/// Evidence files of one name stored in one millisecond before the next is refused.
const EVIDENCE_FILES_PER_MS_MAX: u32 = 1000;
/// Longest progress text or reason.
pub const TEXT_BYTES_MAX: usize = 10_000;

/// A measure as shown: as written, its fields, and its status today.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MeasureView {
    pub id: String,
    pub category: String,
    pub task: String,
    pub measure: String,
    pub section: String,
    pub responsibility: String,
    #[serde(flatten)]
    pub fields: Fields,
    /// The status today: unfinished work past its last deadline is overdue.
    pub status: Status,
    pub status_zh: &'static str,
    /// Unfinished with a deadline within 30 days.
    pub at_risk: bool,
    /// Where the deadlines come from, in Chinese (`默认为方案期末`: the plan's end, as a
    /// default).
    pub deadline_source_zh: &'static str,
    /// Each milestone with its status today.
    pub milestone_progress: Vec<MilestoneView>,
    /// Still names "各相关责任单位": the bureau has not yet named the real units.
    pub unresolved: bool,
    /// The townships' parts (when the measure is also theirs): how many are where.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub township_progress: Option<ShareProgress>,
    /// The numeric targets with the latest actual and whether it meets the target.
    pub target_progress: Vec<TargetProgress>,
    /// Days past the deadline of its unfinished work, or days left to the next one.
    #[serde(flatten)]
    pub due: crate::ledger_supervision::DueDays,
    /// In a township's own list (本单位措施): the status of its own part of the measure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub own_part_status: Option<Status>,
}

/// A measure as shown on `today`, with its stored parts (`parts`: this measure's or all).
fn view(app: &App, today: Date, m: MeasureRow, parts: &[PartRow]) -> AppResult<MeasureView> {
    let mine: Vec<&PartRow> = parts.iter().filter(|p| p.measure_id == m.id).collect();
    let milestones = milestone_statuses(&m.fields, &mine, today);
    let dated: Vec<(Date, Status)> = m
        .fields
        .milestones
        .iter()
        .zip(&milestones)
        .map(|(x, v)| (x.deadline, v.recorded))
        .collect();
    let status = effective_with_milestones(m.status, &m.fields.deadlines, &dated, today);
    let township_progress = m
        .fields
        .township_share
        .then(|| share_progress(app, &m.fields, &mine, today));
    let target_progress = target_progress(app, &m.id, &m.fields)?;
    let mut open: Vec<Date> = if m.status.done() {
        Vec::new()
    } else {
        m.fields.deadlines.clone()
    };
    open.extend(
        milestones
            .iter()
            .filter(|x| !x.recorded.done())
            .map(|x| x.deadline),
    );
    Ok(MeasureView {
        due: crate::ledger_supervision::due_days(status, &open, today),
        own_part_status: None,
        at_risk: at_risk(m.status, &m.fields.all_deadlines(), today),
        deadline_source_zh: m.fields.deadline_source.name_zh(),
        milestone_progress: milestones,
        unresolved: m.fields.unresolved(),
        township_progress,
        target_progress,
        status_zh: status.name_zh(),
        status,
        id: m.id,
        category: m.category,
        task: m.task,
        measure: m.measure,
        section: m.section,
        responsibility: m.responsibility,
        fields: m.fields,
    })
}

/// Which measures to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub category: Option<String>,
    /// Led or supported by this unit.
    pub unit: Option<String>,
    /// The measures this account's unit answers for (本单位措施): those it leads or supports,
    /// and for a township also those of every township and those that are every township's
    /// duty too (its own part of them).
    pub mine: Option<crate::Account>,
    pub status: Option<Status>,
    /// With a deadline on or before this date.
    pub deadline_before: Option<Date>,
}

/// The measures that pass the filter, in the order of the plan. Public.
pub fn list(app: &App, f: &Filter) -> AppResult<Vec<MeasureView>> {
    let today = app.clock.today();
    let parts = app.store.measure_parts(None)?;
    let unit = f
        .unit
        .as_deref()
        .map(|u| app.county.ledger.canonical(u).to_owned());
    let mine = f.mine.as_ref().map(
        |a| match canonical_caller(app, &Caller::Account(a.clone())) {
            Caller::Account(a) => a,
            Caller::Public => a.clone(),
        },
    );
    let mut out = Vec::new();
    for m in app.store.measures()? {
        let keep = f.category.as_ref().is_none_or(|c| m.category == *c)
            && unit.as_ref().is_none_or(|u| m.fields.involves(u))
            && mine.as_ref().is_none_or(|a| {
                policy::standing(a, &m.fields).involved
                    || a.unit_id.as_ref().is_some_and(|u| m.fields.involves(u))
                    || crate::ledger_parts::shares(a, &m.fields)
            })
            && f.deadline_before
                .is_none_or(|b| m.fields.all_deadlines().iter().any(|d| *d <= b));
        if !keep {
            continue;
        }
        let own = mine
            .as_ref()
            .and_then(|a| crate::ledger_parts::own_part(&Caller::Account(a.clone()), &m.fields));
        let mut v = view(app, today, m, &parts)?;
        if let Some(t) = own {
            let key = format!("unit:{t}");
            let recorded = parts
                .iter()
                .find(|p| p.measure_id == v.id && p.part == key)
                .map_or(Status::NotStarted, |p| p.status);
            let now =
                lantian_core::ledger::status::effective(recorded, &v.fields.all_deadlines(), today);
            v.own_part_status = Some(now);
            v.due = crate::ledger_supervision::due_days(now, &v.fields.all_deadlines(), today);
        }
        if f.status
            .is_none_or(|s| v.own_part_status.unwrap_or(v.status) == s)
        {
            out.push(v);
        }
    }
    Ok(out)
}

/// An entry of a measure's history, its time in Beijing time. The public sees when, what
/// kind of step, by which unit and the status after it; the login name and the text (a
/// report, a reason, an evidence file's name) need a login.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventView {
    pub id: i64,
    /// `YYYY-MM-DD HH:MM` Beijing time.
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    pub unit: Option<String>,
    /// The unit's Chinese name (a township's id is not its name).
    pub unit_name: Option<String>,
    pub action: EventKind,
    pub month: Option<Month>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    pub status_after: Status,
    /// The version of the measures list the step was made under.
    pub list_version: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MeasureDetail {
    #[serde(flatten)]
    pub measure: MeasureView,
    pub history: Vec<EventView>,
    /// What the caller may do to it now (nothing for the public): the permission and the
    /// status machine, asked before the caller tries.
    pub allowed: Vec<LedgerAct>,
    /// What the caller may enter on it now (the same rules the acts check).
    pub may: NumberActs,
    /// Its milestones and townships' parts with their histories.
    pub parts: crate::ledger_parts::PartsDetail,
    /// Its evidence files (a login needed; empty for the public).
    pub evidence: Vec<crate::ledger_supervision::EvidenceFile>,
    /// The reminders (督办 / 催办) the caller may see on it.
    pub reminders: Vec<crate::ledger_supervision::ReminderView>,
    /// The units a reminder may go to (offered to who may remind; empty otherwise).
    /// (id, Chinese name, English name).
    pub reminder_units: Vec<(String, String, String)>,
}

/// What a caller may enter on a measure besides the status acts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NumberActs {
    /// Monthly actuals against its numeric targets (the lead unit, the bureau).
    pub enter_actuals: bool,
    /// The numbers of its 省定目标 (the bureau).
    pub set_provincial_targets: bool,
    /// The real units behind "各相关责任单位" (the bureau, on such a measure).
    pub resolve_units: bool,
}

pub(crate) fn find(app: &App, id: &str) -> AppResult<MeasureRow> {
    app.store
        .measure(id)?
        .ok_or_else(|| AppError::NotFound(format!("measure {id}")))
}

/// One measure with its history, and what the caller may do to it. Public.
pub fn one(app: &App, caller: &Caller, id: &str) -> AppResult<MeasureDetail> {
    let caller = &canonical_caller(app, caller);
    let m = find(app, id)?;
    // Nothing is attached to a closed item: it is reopened first.
    let mut allowed: Vec<LedgerAct> = LedgerAct::ALL
        .into_iter()
        .filter(|act| match policy::ledger(caller, *act, &m.fields) {
            Err(_) => false,
            Ok(s) => match action_of(*act) {
                Some(a) => transition(m.status, a, s.bureau, s.lead).is_ok(),
                None => *act != LedgerAct::Evidence || m.status != Status::Closed,
            },
        })
        .collect();
    let may_correct = policy::ledger(caller, LedgerAct::Correct, &m.fields).is_ok();
    let may = NumberActs {
        enter_actuals: !(m.fields.targets.is_empty() && m.fields.provincial_targets.is_empty())
            && policy::ledger(caller, LedgerAct::Confirm, &m.fields).is_ok(),
        set_provincial_targets: !m.fields.provincial_targets.is_empty() && may_correct,
        resolve_units: may_correct
            && m.responsibility
                .contains(lantian_core::ledger::responsibility::ALL_RESPONSIBLE),
    };
    let names = app.store.admin_units()?;
    let inside = caller.account().is_some();
    let history = app
        .store
        .measure_events(id)?
        .into_iter()
        .map(|e| EventView {
            id: e.id,
            at: cst::format_unix_ms(e.at_ms),
            actor: inside.then_some(e.actor),
            unit_name: e
                .unit
                .as_ref()
                .and_then(|u| names.iter().find(|x| x.id == *u))
                .map(|x| x.name_zh.clone()),
            unit: e.unit,
            action: e.action,
            month: e.month,
            text: inside.then_some(e.text),
            status_after: e.status_after,
            list_version: e.list_version,
        })
        .collect();
    let parts = app.store.measure_parts(Some(id))?;
    let share = crate::ledger_parts::parts_detail(app, caller, &m, &parts)?;
    // A township that carries the measure acts on its own part: what it may do there.
    if let Some(t) = crate::ledger_parts::own_part(caller, &m.fields)
        && let Some(p) = share.townships.iter().find(|p| p.id == t)
    {
        allowed = p.allowed.clone();
        if p.status != Status::Closed {
            allowed.push(LedgerAct::Evidence);
        }
    }
    let evidence = if inside {
        crate::ledger_supervision::evidence_files(app, caller, id)?
    } else {
        Vec::new()
    };
    let reminders = if inside {
        crate::ledger_supervision::reminders(
            app,
            caller,
            &crate::ledger_supervision::ReminderFilter {
                measure: Some(id.to_owned()),
                open_only: false,
            },
        )?
    } else {
        Vec::new()
    };
    let reminder_units = if policy::ledger(caller, LedgerAct::Close, &m.fields).is_ok() {
        crate::ledger_supervision::reminder_units(app, &m.fields)
    } else {
        Vec::new()
    };
    Ok(MeasureDetail {
        measure: view(app, app.clock.today(), m, &parts)?,
        history,
        allowed,
        may,
        parts: share,
        evidence,
        reminders,
        reminder_units,
    })
}

/// The status-machine action of an act, if it has one.
fn action_of(act: LedgerAct) -> Option<Action> {
    match act {
        LedgerAct::Report => Some(Action::Report),
        LedgerAct::Confirm => Some(Action::Confirm),
        LedgerAct::Close => Some(Action::Close),
        LedgerAct::Reopen => Some(Action::Reopen),
        LedgerAct::Evidence | LedgerAct::Correct => None,
    }
}

/// The audit name of an act (`report`, `confirm`…).
pub(crate) fn act_name(act: LedgerAct) -> &'static str {
    match act {
        LedgerAct::Report => "report",
        LedgerAct::Confirm => "confirm",
        LedgerAct::Close => "close",
        LedgerAct::Reopen => "reopen",
        LedgerAct::Evidence => "evidence",
        LedgerAct::Correct => "correct",
    }
}

/// The caller's standing for `act` on the measure, or the refusal (audited as
/// `denied.ledger.ACT`).
pub(crate) fn check(
    app: &App,
    caller: &Caller,
    m: &MeasureRow,
    act: LedgerAct,
) -> AppResult<policy::Standing> {
    let name = format!("ledger.{}", act_name(act));
    app.allow(caller, &name, &m.id, policy::ledger(caller, act, &m.fields))
}

/// What an act did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outcome {
    pub status: Status,
    pub status_zh: &'static str,
    /// What moved when not the measure itself: a milestone (`M05-1`) or a township's part
    /// (`unit:wangkou`).
    pub part: Option<String>,
}

pub(crate) fn event(
    app: &App,
    caller: &Caller,
    id: &str,
    action: EventKind,
    month: Option<Month>,
    text: String,
    status_after: Status,
) -> MeasureEvent {
    let a = caller.account();
    MeasureEvent {
        id: 0,
        measure_id: id.to_owned(),
        at_ms: app.clock.now_ms(),
        actor: caller.name().to_owned(),
        unit: a.and_then(|a| a.unit_id.clone()),
        action,
        month,
        text,
        status_after,
        list_version: 0,
        bytes: None,
    }
}

/// Reports progress, confirms, closes (销号, with a reason) or reopens a measure.
pub fn act(
    app: &App,
    caller: &Caller,
    id: &str,
    action: Action,
    month: Option<Month>,
    text: &str,
) -> AppResult<Outcome> {
    if text.len() > TEXT_BYTES_MAX || (action == Action::Close && text.trim().is_empty()) {
        return Err(AppError::BadRequest(format!(
            "销号需要说明理由；文字不超过 {TEXT_BYTES_MAX} 字节 / closing needs a reason; text at most {TEXT_BYTES_MAX} bytes"
        )));
    }
    let caller = &canonical_caller(app, caller);
    let m = find(app, id)?;
    // A township that shares the measure without being named by it acts on its own part.
    if let Some(t) = crate::ledger_parts::own_part(caller, &m.fields) {
        let on = crate::ledger_parts::On::Township(t);
        return crate::ledger_parts::act_on(app, caller, id, &on, action, month, text);
    }
    let act = match action {
        Action::Report => LedgerAct::Report,
        Action::Confirm => LedgerAct::Confirm,
        Action::Close => LedgerAct::Close,
        Action::Reopen => LedgerAct::Reopen,
    };
    debug_assert_eq!(action_of(act), Some(action));
    let s = check(app, caller, &m, act)?;
    if matches!(action, Action::Confirm | Action::Close) {
        let parts = app.store.measure_parts(Some(id))?;
        let refs: Vec<&PartRow> = parts.iter().collect();
        let open: Vec<String> = milestone_statuses(&m.fields, &refs, app.clock.today())
            .into_iter()
            .filter(|x| !x.recorded.done())
            .map(|x| x.id)
            .collect();
        if !open.is_empty() {
            return Err(AppError::Conflict(format!(
                "节点 {list} 尚未完成，措施不能确认完成 / milestones {list} are still open: the measure is done when all its milestones are",
                list = open.join(", ")
            )));
        }
    }
    // The caller may take this act (checked above); whether the measure's status allows it
    // now is a conflict with its state (409), as is losing a race to another change.
    let next =
        transition(m.status, action, s.bureau, s.lead).map_err(|e| AppError::Conflict(e.0))?;
    crate::ledger_supervision::require_content(app, &m, None, action, text)?;
    let kind = EventKind::from(action);
    let e = event(app, caller, id, kind, month, text.to_owned(), next);
    app.audited(
        caller,
        &format!("ledger.{}", kind.as_str()),
        id,
        text,
        || Ok(app.store.add_measure_event(&e, m.status, None, None)?),
    )?;
    Ok(Outcome {
        status: next,
        status_zh: next.name_zh(),
        part: None,
    })
}

/// A hand correction of what was read from a measure's text; `None` leaves a field alone.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Correction {
    pub lead_units: Option<Vec<String>>,
    pub supporting_units: Option<Vec<String>>,
    pub deadlines: Option<Vec<Date>>,
    pub targets: Option<Vec<Target>>,
    /// The target broken down by month.
    pub monthly_targets: Option<Vec<MonthlyTarget>>,
    /// New deadlines of milestones, by milestone id (`M05-1`).
    pub milestone_deadlines: Option<Vec<(String, Date)>>,
    pub note: String,
}

/// The bureau corrects a measure's fields; the text as written never changes. Returns the
/// names of the fields corrected.
pub fn correct(
    app: &App,
    caller: &Caller,
    id: &str,
    c: Correction,
) -> AppResult<Vec<&'static str>> {
    if let Some(bad) = c
        .monthly_targets
        .iter()
        .flatten()
        .find(|m| !m.value.is_finite())
    {
        return Err(AppError::BadRequest(format!(
            "monthly target {}: not a number",
            bad.month
        )));
    }
    if c.note.len() > TEXT_BYTES_MAX {
        return Err(AppError::BadRequest(format!(
            "note at most {TEXT_BYTES_MAX} bytes"
        )));
    }
    let m = find(app, id)?;
    check(app, caller, &m, LedgerAct::Correct)?;
    let mut f = m.fields.clone();
    let mut changed = Vec::new();
    if let Some(v) = c.lead_units {
        f.lead_units = v;
        changed.push("lead_units");
    }
    if let Some(v) = c.supporting_units {
        f.supporting_units = v;
        changed.push("supporting_units");
    }
    if let Some(v) = c.deadlines {
        f.deadlines = v;
        f.deadline_source = DeadlineSource::Bureau;
        f.deadline_cite.clear();
        changed.push("deadlines");
    }
    if let Some(v) = c.milestone_deadlines {
        for (mid, date) in v {
            let x = f
                .milestones
                .iter_mut()
                .find(|x| x.id == mid)
                .ok_or_else(|| {
                    AppError::BadRequest(format!(
                        "measure {id} has no milestone {mid:?} (it has: {})",
                        m.fields
                            .milestones
                            .iter()
                            .map(|x| x.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?;
            x.deadline = date;
            x.source = DeadlineSource::Bureau;
        }
        changed.push("milestone_deadlines");
    }
    if let Some(v) = c.targets {
        f.targets = v;
        changed.push("targets");
    }
    if let Some(v) = c.monthly_targets {
        f.monthly_targets = v;
        changed.push("monthly_targets");
    }
    if changed.is_empty() {
        return Err(AppError::BadRequest("nothing to correct".to_owned()));
    }
    let text = if c.note.is_empty() {
        changed.join(", ")
    } else {
        format!("{}: {}", changed.join(", "), c.note)
    };
    // 逾期 follows the new deadlines at once, not at the next report or check.
    let after = recompute(app, &m, &f)?;
    let e = event(
        app,
        caller,
        id,
        EventKind::Correct,
        None,
        text.clone(),
        after,
    );
    app.audited(caller, "ledger.correct", id, &text, || {
        Ok(app.store.add_measure_event(&e, m.status, Some(&f), None)?)
    })?;
    Ok(changed)
}

/// The recorded status of measure `m` once its fields are `f`: out of 逾期 when the new
/// deadlines are not past (back to the status it had before it was flagged), into it when
/// they are.
fn recompute(app: &App, m: &MeasureRow, f: &Fields) -> AppResult<Status> {
    let before = if m.status == Status::Overdue {
        app.store
            .measure_events(&m.id)?
            .iter()
            .rev()
            .map(|e| e.status_after)
            .find(|s| *s != Status::Overdue)
            .unwrap_or(Status::NotStarted)
    } else {
        m.status
    };
    let today = app.clock.today();
    let parts = app.store.measure_parts(Some(&m.id))?;
    let refs: Vec<&PartRow> = parts.iter().collect();
    let dated: Vec<(Date, Status)> = f
        .milestones
        .iter()
        .zip(milestone_statuses(f, &refs, today))
        .map(|(x, v)| (x.deadline, v.recorded))
        .collect();
    let overdue_now =
        effective_with_milestones(before, &f.deadlines, &dated, today) == Status::Overdue;
    Ok(after_deadline_change(m.status, before, overdue_now))
}

/// The type of an evidence file from its first bytes: PDF, JPEG or PNG.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else {
        None
    }
}

/// Stores an evidence file (PDF, JPEG or PNG by content, at most 5 MiB) for a measure under
/// `DATA_DIR/evidence/ID/`, within the measure's quota ([`App::evidence_quota`], counted in
/// the transaction that records it); returns the stored file's name.
pub fn evidence(
    app: &App,
    caller: &Caller,
    id: &str,
    name: &str,
    bytes: &[u8],
) -> AppResult<String> {
    caller.require()?;
    if bytes.len() > EVIDENCE_BYTES_MAX {
        return Err(AppError::BadRequest(format!(
            "证明材料不超过 5 MiB / evidence files are at most {EVIDENCE_BYTES_MAX} bytes"
        )));
    }
    let ext = sniff(bytes).ok_or_else(|| {
        AppError::BadRequest(
            "证明材料须为 PDF、JPEG 或 PNG / evidence must be a PDF, JPEG or PNG file".to_owned(),
        )
    })?;
    let caller = &canonical_caller(app, caller);
    let m = find(app, id)?;
    // A township that shares the measure attaches evidence of its own part (the event
    // carries its unit); everyone else as the measure's rules say.
    if crate::ledger_parts::own_part(caller, &m.fields).is_none() {
        check(app, caller, &m, LedgerAct::Evidence)?;
    }
    if m.status == Status::Closed {
        return Err(AppError::Conflict(format!(
            "措施 {id} 已销号，不再上传证明材料（可先重新打开） / measure {id} is closed (销号): no more evidence unless it is reopened"
        )));
    }
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    if let Some(why) = app
        .evidence_quota
        .refusal(&m.id, app.store.evidence_use(&m.id)?, size)
    {
        return Err(AppError::Conflict(why));
    }
    let dir = app
        .data_dir
        .clone()
        .ok_or_else(|| AppError::Unavailable("no data directory for evidence files".to_owned()))?;
    let clean = evidence_stem(name);
    let folder = dir.join("evidence").join(&m.id);
    std::fs::create_dir_all(&folder)
        .map_err(|e| AppError::Internal(format!("{}: {e}", folder.display())))?;
    let (file, path) = new_file(
        &folder,
        app.clock.now_ms(),
        if clean.is_empty() { "evidence" } else { &clean },
        ext,
        bytes,
    )?;
    let mut e = event(
        app,
        caller,
        id,
        EventKind::Evidence,
        None,
        file.clone(),
        m.status,
    );
    e.bytes = Some(size);
    let stored = app.audited(caller, "ledger.evidence", id, &file, || {
        Ok(app
            .store
            .add_measure_event(&e, m.status, None, Some(app.evidence_quota))?)
    });
    if let Err(err) = stored {
        // Refused (a racing upload filled the quota) or not recorded: the file goes too.
        let _ = std::fs::remove_file(&path);
        return Err(err);
    }
    Ok(file)
}

/// The stem an evidence file is stored under: the uploaded name (Chinese kept) without its
/// path or its extensions of an evidence type (`照片.png.png` → `照片`: the stored name ends
/// in the type found in the content), characters a file name should not carry dropped.
pub fn evidence_stem(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let mut stem = base.trim();
    while let Some((s, x)) = stem.rsplit_once('.')
        && ["pdf", "jpg", "jpeg", "png"].contains(&x.to_ascii_lowercase().as_str())
    {
        stem = s;
    }
    stem.chars()
        .filter(|c| {
            c.is_alphanumeric()
                || matches!(
                    c,
                    '-' | '_' | '.' | ' ' | '(' | ')' | '（' | '）' | '【' | '】'
                )
        })
        .take(80)
        .collect::<String>()
        .trim_matches(|c: char| c == '.' || c == ' ')
        .to_owned()
}

/// Writes `bytes` to a new file `MS-STEM.EXT` in `folder` (`MS-N-STEM.EXT` when uploads of
/// the same millisecond meet: an existing file is never overwritten); returns its name and
/// path.
fn new_file(
    folder: &std::path::Path,
    ms: i64,
    stem: &str,
    ext: &str,
    bytes: &[u8],
) -> AppResult<(String, std::path::PathBuf)> {
    use std::io::Write;
    for n in 0..EVIDENCE_FILES_PER_MS_MAX {
        let file = if n == 0 {
            format!("{ms}-{stem}.{ext}")
        } else {
            format!("{ms}-{n}-{stem}.{ext}")
        };
        let path = folder.join(&file);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut f) => {
                f.write_all(bytes)
                    .and_then(|()| f.sync_all())
                    .map_err(|e| AppError::Internal(format!("{}: {e}", path.display())))?;
                return Ok((file, path));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(AppError::Internal(format!("{}: {e}", path.display()))),
        }
    }
    Err(AppError::TooManyRequests(
        "同一时刻上传过多 / too many uploads at once; try again".to_owned(),
    ))
}

/// Records, once, that unfinished measures have passed their deadline (the scheduled check
/// of `lantian serve`). Returns how many were flagged.
pub fn flag_overdue(app: &App) -> AppResult<usize> {
    let today = app.clock.today();
    let parts = app.store.measure_parts(None)?;
    let mut n = 0;
    for m in app.store.measures()? {
        let mine: Vec<&PartRow> = parts.iter().filter(|p| p.measure_id == m.id).collect();
        let dated: Vec<(Date, Status)> = m
            .fields
            .milestones
            .iter()
            .zip(milestone_statuses(&m.fields, &mine, today))
            .map(|(x, v)| (x.deadline, v.recorded))
            .collect();
        if m.status != Status::Overdue
            && effective_with_milestones(m.status, &m.fields.deadlines, &dated, today)
                == Status::Overdue
        {
            let e = MeasureEvent {
                id: 0,
                measure_id: m.id.clone(),
                at_ms: app.clock.now_ms(),
                actor: "system".into(),
                unit: None,
                action: EventKind::Overdue,
                month: None,
                text: "已过完成时限 / past its deadline".into(),
                status_after: Status::Overdue,
                list_version: 0,
                bytes: None,
            };
            // Compare-and-set: a measure someone confirmed meanwhile is left alone.
            let row = lantian_store::AuditRow {
                at_ms: e.at_ms,
                actor: "system".into(),
                action: "ledger.overdue".into(),
                object: m.id.clone(),
                detail: String::new(),
                source: "scheduler".into(),
            };
            let out = app.store.audited(row, || {
                app.store.add_measure_event(&e, m.status, None, None)
            });
            match out {
                Ok(()) => n += 1,
                Err(lantian_store::StoreError::Refused { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(n)
}

/// Imports a list as a new version of the ledger (the bureau and administrators, or the
/// operator on the server): the old version and every event stay. Returns the version.
pub fn replace(
    app: &App,
    caller: &Caller,
    measures: &[lantian_core::ledger::Measure],
) -> AppResult<i64> {
    app.allow(
        caller,
        "ledger.import",
        "ledger",
        caller.require_role(policy::MANAGE),
    )?;
    let rows: Vec<MeasureRow> = measures
        .iter()
        .enumerate()
        .map(|(i, m)| MeasureRow::from_measure(m, i as i64 + 1))
        .collect();
    let detail = format!("{} measures", rows.len());
    app.audited(caller, "ledger.import", "ledger", &detail, || {
        Ok(app
            .store
            .replace_measures(&rows, caller.name(), app.clock.now_ms())?)
    })
}

/// The ledger (台账) as an Excel workbook in the layout of the plan's attachment (类别,
/// 重点工作, 工作措施, 责任单位, category and key-task cells merged as in the original), with
/// status, the latest progress and its time (Beijing time), under the county's title. The
/// progress texts need a login: the public's workbook leaves those two columns empty.
pub fn xlsx(app: &App, caller: &Caller, measures: &[MeasureView]) -> AppResult<Vec<u8>> {
    let inside = caller.account().is_some();
    let mut lines = Vec::with_capacity(measures.len());
    for m in measures {
        // The latest progress report (not an evidence file, a correction or a reopening).
        let latest = if inside {
            crate::ledger_supervision::latest_report(app, &m.id)?
        } else {
            None
        };
        lines.push(vec![
            m.category.clone(),
            m.task.clone(),
            m.measure.clone(),
            m.responsibility.clone(),
            m.fields.lead_units.join("、"),
            m.fields.supporting_units.join("、"),
            (m.fields.deadlines.iter().map(Date::to_string))
                .chain(
                    m.fields
                        .milestones
                        .iter()
                        .map(|x| format!("{}（{}）", x.deadline, x.text)),
                )
                .collect::<Vec<_>>()
                .join("、"),
            m.status_zh.to_owned(),
            latest
                .as_ref()
                .map(|e| match &e.part {
                    Some(p) => format!("{p}：{}", e.text),
                    None => e.text.clone(),
                })
                .unwrap_or_default(),
            latest.map(|e| e.at).unwrap_or_default(),
            m.id.clone(),
        ]);
    }
    let title = format!(
        "{}（{} 北京时间）",
        app.county.profile.titles.ledger_zh,
        cst::format_unix_ms(app.clock.now_ms())
    );
    // Category (column 0) and key task (column 1) merged as in the plan's attachment.
    let merges = [
        (0, lines.iter().map(|l| l[0].clone()).collect()),
        (
            1,
            lines
                .iter()
                .map(|l| format!("{}\u{1}{}", l[0], l[1]))
                .collect(),
        ),
    ];
    crate::table_xlsx::write(&crate::table_xlsx::Table {
        title: &title,
        sheet: "台账",
        columns: &LEDGER_COLUMNS,
        rows: &lines,
        merges: &merges,
    })
    .map_err(AppError::Internal)
}
