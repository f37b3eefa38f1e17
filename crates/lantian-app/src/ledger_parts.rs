//! The ledger's parts and numbers: milestones (M05, M45) and each township's share of a
//! measure, each with its own status and reports; "各相关责任单位" resolved by the bureau to
//! real units; the numbers of 省定目标 entered by the bureau; monthly actuals entered by the
//! lead unit and compared with the target. Permissions are [`crate::caller::policy::ledger`]
//! asked on the measure (a milestone) or on the part's own unit (a township's share).

use crate::assessment::{Span, assess_scope};
use crate::caller::policy::{self, LedgerAct};
use crate::data::Scope;
use crate::error::{AppError, AppResult};
use crate::ledger::{Outcome, TEXT_BYTES_MAX, act_name, canonical_caller, check, event, find};
use crate::{Account, App, Caller};
use lantian_core::cst;
use lantian_core::ledger::actuals::{Verdict, compare, numeric_targets};
use lantian_core::ledger::extract::Comparison;
use lantian_core::ledger::profile::PLAN_ENTRY_ID;
use lantian_core::ledger::status::{Action, Status, after_milestone, effective, transition};
use lantian_core::ledger::{DeadlineSource, EventKind, Fields};
use lantian_core::org::Role;
use lantian_core::pollutant::Pollutant;
use lantian_core::rules::RuleChoice;
use lantian_core::{Date, Month};
use lantian_store::View;
use lantian_store::ledger::MeasureRow;
use lantian_store::ledger_parts::{PartRow, ValueKind, ValueRow};
use serde::Serialize;

/// The stored key of a milestone's part.
fn milestone_key(id: &str) -> String {
    format!("milestone:{id}")
}

/// The stored key of a township's part.
fn unit_key(unit: &str) -> String {
    format!("unit:{unit}")
}

/// A milestone with its status.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MilestoneView {
    pub id: String,
    pub text: String,
    pub deadline: Date,
    pub source: DeadlineSource,
    /// The status as recorded.
    pub recorded: Status,
    /// The status today: unfinished past its deadline is 逾期.
    pub status: Status,
    pub status_zh: &'static str,
}

/// The milestones of a measure with their statuses (`parts`: the measure's stored parts).
pub fn milestone_statuses(fields: &Fields, parts: &[&PartRow], today: Date) -> Vec<MilestoneView> {
    fields
        .milestones
        .iter()
        .map(|x| {
            let key = milestone_key(&x.id);
            let recorded = parts
                .iter()
                .find(|p| p.part == key)
                .map_or(Status::NotStarted, |p| p.status);
            let status = effective(recorded, &[x.deadline], today);
            MilestoneView {
                id: x.id.clone(),
                text: x.text.clone(),
                deadline: x.deadline,
                source: x.source,
                recorded,
                status,
                status_zh: status.name_zh(),
            }
        })
        .collect()
}

/// How far the townships are with their parts of a measure (statuses as of today).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ShareProgress {
    pub units: usize,
    /// Parts with at least one step recorded (whatever their status today).
    pub started: usize,
    pub not_started: usize,
    pub in_progress: usize,
    pub completed: usize,
    pub overdue: usize,
}

/// The county's towns, townships and zone: (id, Chinese name).
fn townships(app: &App) -> Vec<(String, String)> {
    app.county
        .units
        .iter()
        .filter(|u| u.kind.is_township_level())
        .map(|u| (u.id.clone(), u.name_zh.clone()))
        .collect()
}

fn township_status(
    fields: &Fields,
    parts: &[&PartRow],
    unit: &str,
    today: Date,
) -> (Status, Status) {
    let key = unit_key(unit);
    let recorded = parts
        .iter()
        .find(|p| p.part == key)
        .map_or(Status::NotStarted, |p| p.status);
    (
        recorded,
        effective(recorded, &fields.all_deadlines(), today),
    )
}

/// The townships' progress on a measure that is also theirs.
pub fn share_progress(
    app: &App,
    fields: &Fields,
    parts: &[&PartRow],
    today: Date,
) -> ShareProgress {
    let mut p = ShareProgress::default();
    for (unit, _) in townships(app) {
        p.units += 1;
        let (recorded, now) = township_status(fields, parts, &unit, today);
        if recorded != Status::NotStarted {
            p.started += 1;
        }
        match now {
            Status::NotStarted => p.not_started += 1,
            Status::InProgress => p.in_progress += 1,
            Status::Completed | Status::Closed => p.completed += 1,
            Status::Overdue => p.overdue += 1,
        }
    }
    p
}

/// Whether the account is a township's (or the zone's) and the measure is also every
/// township's duty: it has a part of its own.
pub fn shares(a: &Account, fields: &Fields) -> bool {
    fields.township_share
        && a.role == Role::Township
        && a.unit_id.is_some()
        && a.unit_kind.is_some_and(|k| k.is_township_level())
}

/// The township whose own part a caller's act on the measure is: a township that shares the
/// measure and is not otherwise named by it.
pub fn own_part(caller: &Caller, fields: &Fields) -> Option<String> {
    let a = caller.account()?;
    (shares(a, fields) && !policy::standing(a, fields).involved)
        .then(|| a.unit_id.clone())
        .flatten()
}

/// What an act is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum On {
    /// A milestone, by id (`M05-1`).
    Milestone(String),
    /// A township's part, by the township's id.
    Township(String),
}

fn act_of(action: Action) -> LedgerAct {
    match action {
        Action::Report => LedgerAct::Report,
        Action::Confirm => LedgerAct::Confirm,
        Action::Close => LedgerAct::Close,
        Action::Reopen => LedgerAct::Reopen,
    }
}

/// The fields a township's part is judged by: the township leads its own part.
fn part_fields(unit: &str) -> Fields {
    Fields {
        lead_units: vec![unit.to_owned()],
        ..Fields::default()
    }
}

/// Reports on, confirms, closes or reopens a milestone or a township's part. A milestone
/// moves its measure (started by the first report; a measure that is only its milestones is
/// completed with the last); a township's part leaves the measure's status alone.
pub fn act_on(
    app: &App,
    caller: &Caller,
    id: &str,
    on: &On,
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
    let act = act_of(action);
    let parts = app.store.measure_parts(Some(id))?;
    let refs: Vec<&PartRow> = parts.iter().collect();
    let today = app.clock.today();
    let (key, standing, recorded, measure_move) = match on {
        On::Milestone(mid) => {
            if !m.fields.milestones.iter().any(|x| x.id == *mid) {
                return Err(AppError::NotFound(format!(
                    "milestone {mid} of measure {id}"
                )));
            }
            let s = check(app, caller, &m, act)?;
            let views = milestone_statuses(&m.fields, &refs, today);
            let recorded = views
                .iter()
                .find(|v| v.id == *mid)
                .map_or(Status::NotStarted, |v| v.recorded);
            (milestone_key(mid), s, recorded, Some(views))
        }
        On::Township(unit) => {
            if !m.fields.township_share {
                return Err(AppError::BadRequest(format!(
                    "措施 {id} 不是各乡镇的责任 / measure {id} is not every township's duty"
                )));
            }
            if !townships(app).iter().any(|(u, _)| u == unit) {
                return Err(AppError::NotFound(format!("township {unit}")));
            }
            let object = format!("{id}/{unit}");
            let s = app.allow(
                caller,
                &format!("ledger.{}", act_name(act)),
                &object,
                policy::ledger(caller, act, &part_fields(unit)),
            )?;
            let recorded = township_status(&m.fields, &refs, unit, today).0;
            (unit_key(unit), s, recorded, None)
        }
    };
    let next = transition(recorded, action, standing.bureau, standing.lead)
        .map_err(|e| AppError::Conflict(e.0))?;
    let township = match on {
        On::Township(t) => Some(t.as_str()),
        On::Milestone(_) => None,
    };
    crate::ledger_supervision::require_content(app, &m, township, action, text)?;
    let measure = measure_move.and_then(|views| {
        let after: Vec<Status> = views
            .iter()
            .map(|v| {
                if milestone_key(&v.id) == key {
                    next
                } else {
                    v.recorded
                }
            })
            .collect();
        let to = after_milestone(m.status, &after, m.fields.deadlines.is_empty());
        (to != m.status).then_some((m.status, to))
    });
    let kind = EventKind::from(action);
    let e = event(app, caller, id, kind, month, text.to_owned(), next);
    let object = format!("{id}/{}", key.split_once(':').map_or(key.as_str(), |x| x.1));
    app.audited(
        caller,
        &format!("ledger.{}", kind.as_str()),
        &object,
        text,
        || Ok(app.store.add_part_event(&e, &key, recorded, measure)?),
    )?;
    Ok(Outcome {
        status: next,
        status_zh: next.name_zh(),
        part: Some(key),
    })
}

/// A part of a measure with its status and history.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PartDetail {
    /// The milestone's id or the township's id.
    pub id: String,
    /// The milestone's text or the township's name.
    pub name: String,
    /// The township's English name (a milestone has only its text as written).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    pub status: Status,
    pub status_zh: &'static str,
    /// What the caller may do to it now.
    pub allowed: Vec<LedgerAct>,
    pub history: Vec<PartEventView>,
}

/// An entry of a part's history (login name and text only with a login).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PartEventView {
    /// `YYYY-MM-DD HH:MM` Beijing time.
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    pub unit: Option<String>,
    pub action: EventKind,
    pub month: Option<Month>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    pub status_after: Status,
}

/// A measure's parts and the numbers entered against its targets.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PartsDetail {
    pub milestones: Vec<PartDetail>,
    /// Each township's part (empty when the measure is not the townships' duty).
    pub townships: Vec<PartDetail>,
    /// Every number entered (省定目标 numbers and monthly actuals), oldest first; who
    /// entered it only with a login.
    pub numbers: Vec<ValueRow>,
}

/// The parts of measure `m` as the caller sees them.
pub fn parts_detail(
    app: &App,
    caller: &Caller,
    m: &MeasureRow,
    parts: &[PartRow],
) -> AppResult<PartsDetail> {
    let inside = caller.account().is_some();
    let today = app.clock.today();
    let refs: Vec<&PartRow> = parts.iter().collect();
    let events = app.store.part_events(&m.id)?;
    let history = |key: &str| -> Vec<PartEventView> {
        events
            .iter()
            .filter(|p| p.part == key)
            .map(|p| PartEventView {
                at: cst::format_unix_ms(p.event.at_ms),
                actor: inside.then(|| p.event.actor.clone()),
                unit: p.event.unit.clone(),
                action: p.event.action,
                month: p.event.month,
                text: inside.then(|| p.event.text.clone()),
                status_after: p.event.status_after,
            })
            .collect()
    };
    let allowed = |fields: &Fields, recorded: Status| -> Vec<LedgerAct> {
        [
            LedgerAct::Report,
            LedgerAct::Confirm,
            LedgerAct::Close,
            LedgerAct::Reopen,
        ]
        .into_iter()
        .filter(|act| match policy::ledger(caller, *act, fields) {
            Err(_) => false,
            Ok(s) => {
                let a = match act {
                    LedgerAct::Confirm => Action::Confirm,
                    LedgerAct::Close => Action::Close,
                    LedgerAct::Reopen => Action::Reopen,
                    _ => Action::Report,
                };
                transition(recorded, a, s.bureau, s.lead).is_ok()
            }
        })
        .collect()
    };
    let milestones = milestone_statuses(&m.fields, &refs, today)
        .into_iter()
        .map(|v| PartDetail {
            history: history(&milestone_key(&v.id)),
            allowed: allowed(&m.fields, v.recorded),
            id: v.id,
            name: v.text,
            name_en: None,
            status: v.status,
            status_zh: v.status_zh,
        })
        .collect();
    let townships = if m.fields.township_share {
        townships(app)
            .into_iter()
            .map(|(unit, name)| {
                let (recorded, status) = township_status(&m.fields, &refs, &unit, today);
                let name_en = app
                    .county
                    .units
                    .iter()
                    .find(|u| u.id == unit)
                    .map(|u| u.name_en.clone());
                PartDetail {
                    history: history(&unit_key(&unit)),
                    allowed: allowed(&part_fields(&unit), recorded),
                    id: unit,
                    name,
                    name_en,
                    status,
                    status_zh: status.name_zh(),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut numbers = app.store.measure_values(&m.id)?;
    if !inside {
        for n in &mut numbers {
            n.actor.clear();
        }
    }
    Ok(PartsDetail {
        milestones,
        townships,
        numbers,
    })
}

/// A numeric target with its latest actual.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TargetProgress {
    pub key: String,
    pub text: String,
    pub comparison: Comparison,
    /// `None`: a 省定目标 whose number the bureau has not entered yet.
    pub target: Option<f64>,
    pub unit: String,
    pub provincial: bool,
    /// The month of the latest actual.
    pub month: Option<Month>,
    pub actual: Option<f64>,
    /// Typed in by the lead unit, or computed from the monitoring data.
    pub actual_source: Option<&'static str>,
    pub verdict: Verdict,
    pub verdict_zh: &'static str,
}

/// Actuals computed from the monitoring data: `indicator` is a target's `computed` name
/// from `ledger.json` (`pm25_annual_ug_m3`: the city's PM2.5 mean of the year to the end of
/// `month` or to today; `heavy_day_ratio_percent`: its 重度及以上 day ratio, one decimal),
/// from audited data under the rules of the data's date. `None` without valid data or for
/// a name it does not compute.
pub fn computed_actual(app: &App, indicator: &str, month: Month) -> Option<f64> {
    let first = Date::new(month.year(), 1, 1)?;
    let end = Date::new(month.year(), month.month(), month.n_days())?.min(app.clock.today());
    let n_days = usize::try_from(end.days_since_epoch() - first.days_since_epoch() + 1).ok()?;
    let span = Span { first, n_days };
    let a = assess_scope(app, &Scope::City, span, RuleChoice::Auto, View::Audited).ok()??;
    match indicator {
        "pm25_annual_ug_m3" => a.stats(Pollutant::Pm25).mean_reported,
        "heavy_day_ratio_percent" => a.heavy_or_worse_ratio.map(|r| (r * 1000.0).round() / 10.0),
        _ => None,
    }
}

/// The numeric targets of a measure (or of [`PLAN_ENTRY_ID`]) with their latest actuals.
pub fn target_progress(
    app: &App,
    measure_id: &str,
    fields: &Fields,
) -> AppResult<Vec<TargetProgress>> {
    if fields.targets.is_empty() && fields.provincial_targets.is_empty() {
        return Ok(Vec::new());
    }
    let values = app.store.measure_values(measure_id)?;
    let latest_target = |key: &str| {
        values
            .iter()
            .rev()
            .find(|v| v.kind == ValueKind::Target && v.target_key == key)
            .map(|v| v.value)
    };
    // A computed actual is of the year to date, and after the plan's end, of its last year.
    let this_month = Month::of(app.clock.today());
    let computed_month = match app.county.ledger.plan_end.map(Month::of) {
        Some(end) if end < this_month => end,
        _ => this_month,
    };
    Ok(numeric_targets(fields, latest_target)
        .into_iter()
        .map(|t| {
            // The latest month with an actual; within it the latest entry.
            let typed = values
                .iter()
                .filter(|v| v.kind == ValueKind::Actual && v.target_key == t.key)
                .max_by_key(|v| (v.month, v.id))
                .map(|v| (v.month, v.value, "typed"));
            let actual = typed.or_else(|| {
                let ind = t.computed.as_deref()?;
                computed_actual(app, ind, computed_month)
                    .map(|v| (Some(computed_month), v, "computed"))
            });
            let verdict = compare(t.comparison, t.value, actual.map(|a| a.1));
            TargetProgress {
                key: t.key,
                text: t.text,
                comparison: t.comparison,
                target: t.value,
                unit: t.unit,
                provincial: t.provincial,
                month: actual.and_then(|a| a.0),
                actual: actual.map(|a| a.1),
                actual_source: actual.map(|a| a.2),
                verdict,
                verdict_zh: verdict.name_zh(),
            }
        })
        .collect())
}

/// The plan's headline targets (§1(二): PM2.5 and the heavy-pollution-day ratio), which the
/// attachment does not list, with their numbers and latest actuals. Public.
pub fn plan_targets(app: &App) -> AppResult<Vec<TargetProgress>> {
    let fields = Fields {
        provincial_targets: app.county.ledger.plan_target_list(),
        ..Fields::default()
    };
    target_progress(app, PLAN_ENTRY_ID, &fields)
}

/// The fields of a measure, or of the plan's headline targets.
fn subject(app: &App, id: &str) -> AppResult<(Option<MeasureRow>, Fields)> {
    if id == PLAN_ENTRY_ID {
        let f = Fields {
            provincial_targets: app.county.ledger.plan_target_list(),
            ..Fields::default()
        };
        return Ok((None, f));
    }
    let m = find(app, id)?;
    let f = m.fields.clone();
    Ok((Some(m), f))
}

fn finite(value: f64, what: &str) -> AppResult<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(AppError::BadRequest(format!("{what}: not a number")))
    }
}

/// The bureau enters (or changes) the number of a 省定目标 (`id`: a measure, or `PLAN` for
/// the plan's headline targets); earlier numbers stay as its history. Audited.
pub fn set_target(
    app: &App,
    caller: &Caller,
    id: &str,
    key: &str,
    value: f64,
    note: &str,
) -> AppResult<()> {
    finite(value, "target")?;
    if note.len() > TEXT_BYTES_MAX {
        return Err(AppError::BadRequest(format!(
            "note at most {TEXT_BYTES_MAX} bytes"
        )));
    }
    let (m, f) = subject(app, id)?;
    match &m {
        Some(m) => {
            check(app, caller, m, LedgerAct::Correct)?;
        }
        None => {
            app.allow(
                caller,
                "ledger.target",
                id,
                caller.require_role(policy::MANAGE).map(|_| ()),
            )?;
        }
    }
    if !f.provincial_targets.iter().any(|t| t.key == key) {
        return Err(AppError::BadRequest(format!(
            "{id} has no 省定目标 {key:?} (it has: {})",
            keys(f.provincial_targets.iter().map(|t| t.key.as_str()))
        )));
    }
    let row = value_row(app, caller, id, key, ValueKind::Target, None, value, note);
    app.audited(
        caller,
        "ledger.target",
        &format!("{id}/{key}"),
        &format!("{value} {note}"),
        || Ok(app.store.add_measure_value(&row).map(|_| ())?),
    )
}

fn keys<'a>(k: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = k.collect();
    if v.is_empty() {
        "none".to_owned()
    } else {
        v.join(", ")
    }
}

#[allow(clippy::too_many_arguments)]
fn value_row(
    app: &App,
    caller: &Caller,
    id: &str,
    key: &str,
    kind: ValueKind,
    month: Option<Month>,
    value: f64,
    note: &str,
) -> ValueRow {
    ValueRow {
        id: 0,
        measure_id: id.to_owned(),
        target_key: key.to_owned(),
        kind,
        month,
        value,
        actor: caller.name().to_owned(),
        unit: caller.account().and_then(|a| a.unit_id.clone()),
        at_ms: app.clock.now_ms(),
        note: note.to_owned(),
    }
}

/// The lead unit (or the bureau) enters a month's actual value of a numeric target (`t1`…
/// for the targets read from the text, the key of a 省定目标); a later entry for the same
/// month supersedes it and both stay. Months after the current one are refused. Audited.
pub fn record_actual(
    app: &App,
    caller: &Caller,
    id: &str,
    key: &str,
    month: Month,
    value: f64,
    note: &str,
) -> AppResult<TargetProgress> {
    finite(value, "actual")?;
    if note.len() > TEXT_BYTES_MAX {
        return Err(AppError::BadRequest(format!(
            "note at most {TEXT_BYTES_MAX} bytes"
        )));
    }
    let caller = &canonical_caller(app, caller);
    let (m, f) = subject(app, id)?;
    match &m {
        Some(m) => {
            // Entering actuals is the lead unit's (as is confirming): policy asks `Confirm`.
            app.allow(
                caller,
                "ledger.actual",
                &m.id,
                policy::ledger(caller, LedgerAct::Confirm, &m.fields).map(|_| ()),
            )?;
        }
        None => {
            app.allow(
                caller,
                "ledger.actual",
                id,
                caller.require_role(policy::MANAGE).map(|_| ()),
            )?;
        }
    }
    let now = Month::of(app.clock.today());
    if month > now {
        return Err(AppError::BadRequest(format!(
            "{month} 尚未到来 / month {month} is after the current month {now} (北京时间)"
        )));
    }
    let targets = numeric_targets(&f, |_| None);
    if !targets.iter().any(|t| t.key == key) {
        return Err(AppError::BadRequest(format!(
            "{id} has no numeric target {key:?} (it has: {})",
            keys(targets.iter().map(|t| t.key.as_str()))
        )));
    }
    let row = value_row(
        app,
        caller,
        id,
        key,
        ValueKind::Actual,
        Some(month),
        value,
        note,
    );
    app.audited(
        caller,
        "ledger.actual",
        &format!("{id}/{key}"),
        &format!("{month} {value} {note}"),
        || Ok(app.store.add_measure_value(&row).map(|_| ())?),
    )?;
    target_progress(app, id, &f)?
        .into_iter()
        .find(|t| t.key == key)
        .ok_or_else(|| AppError::Internal(format!("target {key} of {id} vanished")))
}

/// The bureau names the real units of a measure whose list says "各相关责任单位" (M36): its
/// lead and supporting units become these (under their canonical names), the text as
/// written stays. Audited; the measure is no longer listed as unresolved.
pub fn resolve(
    app: &App,
    caller: &Caller,
    id: &str,
    leads: &[String],
    supporting: &[String],
    note: &str,
) -> AppResult<Vec<String>> {
    if note.len() > TEXT_BYTES_MAX {
        return Err(AppError::BadRequest(format!(
            "note at most {TEXT_BYTES_MAX} bytes"
        )));
    }
    let m = find(app, id)?;
    check(app, caller, &m, LedgerAct::Correct)?;
    if !m
        .responsibility
        .contains(lantian_core::ledger::responsibility::ALL_RESPONSIBLE)
    {
        return Err(AppError::BadRequest(format!(
            "措施 {id} 的责任单位已写明（{}），无需指定 / measure {id} names its units already; correct them instead",
            m.responsibility
        )));
    }
    let known: Vec<String> = app
        .county
        .known_units()
        .into_iter()
        .chain(townships(app).into_iter().map(|t| t.0))
        .collect();
    let canon = |list: &[String]| -> AppResult<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        for u in list {
            let c = app.county.ledger.canonical(u.trim()).to_owned();
            if !known.contains(&c) {
                return Err(AppError::BadRequest(format!(
                    "unit {u:?} is neither a department of departments.csv nor a township of units.csv"
                )));
            }
            if !out.contains(&c) {
                out.push(c);
            }
        }
        Ok(out)
    };
    let leads = canon(leads)?;
    if leads.is_empty() {
        return Err(AppError::BadRequest(
            "at least one lead unit / 至少一个牵头单位".to_owned(),
        ));
    }
    let mut f = m.fields.clone();
    f.supporting_units = canon(supporting)?
        .into_iter()
        .filter(|u| !leads.contains(u))
        .collect();
    f.lead_units = leads;
    f.unknown_units.clear();
    let text = format!(
        "{}{}{}",
        f.lead_units.join("、"),
        if f.supporting_units.is_empty() {
            String::new()
        } else {
            format!("牵头,{}配合", f.supporting_units.join("、"))
        },
        if note.is_empty() {
            String::new()
        } else {
            format!(": {note}")
        }
    );
    let e = event(
        app,
        caller,
        id,
        EventKind::Resolve,
        None,
        text.clone(),
        m.status,
    );
    app.audited(caller, "ledger.resolve", id, &text, || {
        Ok(app.store.add_measure_event(&e, m.status, Some(&f), None)?)
    })?;
    Ok(f.lead_units)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::clock::Clock;
    use crate::ledger::{Correction, Filter, MeasureView, correct, flag_overdue, list};
    use crate::{County, ledger};
    use lantian_core::org::UnitKind;
    use lantian_store::Store;
    use std::sync::Arc;

    /// 2025-06-01, 2026-03-01 at 12:00 UTC (20:00 Beijing time).
    const JUNE_2025_MS: i64 = 1_748_779_200_000;
    const MARCH_2026_MS: i64 = 1_772_366_400_000;

    fn store(tag: &str) -> Arc<Store> {
        let dir = std::env::temp_dir().join(format!("lantian-ledger-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Arc::new(Store::open_data_dir(&dir).unwrap());
        County::xinji().install(&store, 1_000).unwrap();
        store
    }

    fn app(store: &Arc<Store>, unix_ms: i64) -> App {
        // Evidence files (a confirmation needs one) go to a directory of this test run.
        let dir = std::env::temp_dir().join(format!("lantian-ledger-files-{}", std::process::id()));
        App::new(
            store.clone(),
            Clock::Fixed { unix_ms },
            Arc::new(County::xinji()),
            Some(dir),
        )
    }

    /// Attaches a small PDF to a measure as `caller` (a confirmation or 销号 needs one).
    fn attach(app: &App, caller: &Caller, id: &str) {
        ledger::evidence(app, caller, id, "验收报告.pdf", b"%PDF-1.4 test").unwrap();
    }

    fn who(name: &str, role: Role, unit: Option<&str>, kind: Option<UnitKind>) -> Caller {
        Caller::Account(Account {
            username: name.into(),
            role,
            unit_id: unit.map(str::to_owned),
            unit_kind: kind,
            source: "test".into(),
        })
    }

    fn bureau() -> Caller {
        who(
            "sthj",
            Role::Bureau,
            Some("市生态环境局"),
            Some(UnitKind::Department),
        )
    }

    fn dept(unit: &str) -> Caller {
        who(
            "d",
            Role::Department,
            Some(unit),
            Some(UnitKind::Department),
        )
    }

    fn wk() -> Caller {
        who("wk", Role::Township, Some("wangkou"), Some(UnitKind::Town))
    }

    fn get(app: &App, id: &str) -> MeasureView {
        list(app, &Filter::default())
            .unwrap()
            .into_iter()
            .find(|m| m.id == id)
            .unwrap()
    }

    #[test]
    fn m05_is_two_milestones_and_m45_s_2024_milestone_does_not_make_its_ongoing_work_overdue() {
        let s = store("milestones");
        let app = app(&s, JUNE_2025_MS);
        let b = bureau();
        // June 2025: both measures have a milestone open past 2024-12-31.
        assert_eq!(get(&app, "M05").status, Status::Overdue);
        assert_eq!(get(&app, "M45").status, Status::Overdue);
        let confirm = |id: &str, on: Option<&str>| match on {
            Some(m) => act_on(
                &app,
                &b,
                id,
                &On::Milestone(m.into()),
                Action::Confirm,
                None,
                "完成",
            ),
            None => ledger::act(&app, &b, id, Action::Confirm, None, "完成"),
        };
        attach(&app, &b, "M45");
        attach(&app, &b, "M05");
        let refused = confirm("M45", None).unwrap_err();
        assert!(
            matches!(&refused, AppError::Conflict(m) if m.contains("M45-1")),
            "{refused:?}"
        );
        confirm("M45", Some("M45-1")).unwrap();
        let m45 = get(&app, "M45");
        assert_eq!(
            (
                m45.status,
                m45.fields.deadlines.len(),
                m45.fields.deadline_source
            ),
            (Status::InProgress, 1, DeadlineSource::PlanEndDefault),
            "the 创A milestone done, the ongoing work runs to the plan's end"
        );
        confirm("M45", None).unwrap();
        assert_eq!(get(&app, "M45").status, Status::Completed);
        // M05: the first milestone done, the second due 2025-12-31 → in progress; the
        // second done completes the measure on its own.
        confirm("M05", Some("M05-1")).unwrap();
        let m05 = get(&app, "M05");
        assert_eq!(m05.status, Status::InProgress);
        assert_eq!(
            m05.milestone_progress
                .iter()
                .map(|x| (x.id.as_str(), x.status))
                .collect::<Vec<_>>(),
            [("M05-1", Status::Completed), ("M05-2", Status::NotStarted)]
        );
        confirm("M05", Some("M05-2")).unwrap();
        assert_eq!(get(&app, "M05").status, Status::Completed);
        assert!(matches!(
            confirm("M05", Some("M05-9")),
            Err(AppError::NotFound(_))
        ));
    }

    #[test]
    fn every_deadline_says_its_source_and_all_53_measures_can_become_overdue() {
        let s = store("sources");
        let app = app(&s, MARCH_2026_MS);
        let all = list(&app, &Filter::default()).unwrap();
        assert_eq!(all.len(), 53);
        // (measure, source, deadlines)
        let cases = [
            ("M08", DeadlineSource::Attachment, vec!["2025-12-31"]),
            ("M38", DeadlineSource::PlanBody, vec!["2025-12-31"]),
            ("M21", DeadlineSource::PlanEndDefault, vec!["2025-12-31"]),
            ("M05", DeadlineSource::Attachment, vec![]),
        ];
        for (id, src, dl) in cases {
            let m = get(&app, id);
            assert_eq!(m.fields.deadline_source, src, "{id}");
            let got: Vec<String> = m.fields.deadlines.iter().map(|d| d.to_string()).collect();
            assert_eq!(got, dl, "{id}");
        }
        let m38 = get(&app, "M38");
        assert!(m38.fields.deadline_cite.starts_with("五(一):到2025年"));
        assert!(
            m38.fields
                .deadline_cite
                .contains(m38.measure.trim_end_matches('。'))
        );
        assert!(
            all.iter().all(|m| m.status == Status::Overdue),
            "nothing started, March 2026: every measure is past a deadline: {:?}",
            all.iter()
                .filter(|m| m.status != Status::Overdue)
                .map(|m| &m.id)
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_deadline_moved_by_the_bureau_puts_the_measure_in_or_out_of_overdue_at_once() {
        let s = store("recompute");
        let app = app(&s, MARCH_2026_MS);
        let lead = dept("市科学技术和工业信息化局");
        ledger::act(&app, &lead, "M21", Action::Report, None, "推进").unwrap();
        assert_eq!(flag_overdue(&app).unwrap(), 53);
        assert_eq!(s.measure("M21").unwrap().unwrap().status, Status::Overdue);
        let d = |x: &str| lantian_core::Date::parse(x).unwrap();
        let move_to = |date: &str| {
            correct(
                &app,
                &bureau(),
                "M21",
                Correction {
                    deadlines: Some(vec![d(date)]),
                    ..Correction::default()
                },
            )
            .unwrap();
            let m = get(&app, "M21");
            (
                m.status,
                m.fields.deadline_source,
                s.measure("M21").unwrap().unwrap().status,
            )
        };
        assert_eq!(
            move_to("2026-12-31"),
            (
                Status::InProgress,
                DeadlineSource::Bureau,
                Status::InProgress
            )
        );
        assert_eq!(
            move_to("2026-02-28"),
            (Status::Overdue, DeadlineSource::Bureau, Status::Overdue)
        );
        // A milestone moved: M05 (flagged, never started) is back to 未启动 at once.
        correct(
            &app,
            &bureau(),
            "M05",
            Correction {
                milestone_deadlines: Some(vec![
                    ("M05-1".into(), d("2026-06-30")),
                    ("M05-2".into(), d("2026-12-31")),
                ]),
                ..Correction::default()
            },
        )
        .unwrap();
        assert_eq!(get(&app, "M05").status, Status::NotStarted);
        assert_eq!(
            s.measure("M05").unwrap().unwrap().status,
            Status::NotStarted
        );
    }

    #[test]
    fn provincial_targets_wait_for_the_bureau_s_number_and_actuals_are_compared_with_it() {
        let s = store("targets");
        let app = app(&s, JUNE_2025_MS);
        let m = |y, mo| Month::new(y, mo).unwrap();
        let progress = |id: &str, key: &str| {
            get(&app, id)
                .target_progress
                .into_iter()
                .find(|t| t.key == key)
                .unwrap()
        };
        assert_eq!(progress("M09", "coal_reduction").verdict, Verdict::NoTarget);
        assert_eq!(
            progress("M47", "livestock_nh3").comparison,
            Comparison::AtMost
        );
        let ndrc = dept("市发展改革局");
        assert!(matches!(
            set_target(&app, &ndrc, "M09", "coal_reduction", 8.0, ""),
            Err(AppError::Forbidden(_))
        ));
        set_target(
            &app,
            &bureau(),
            "M09",
            "coal_reduction",
            8.0,
            "冀气领办〔2024〕1号",
        )
        .unwrap();
        set_target(&app, &bureau(), "M09", "coal_reduction", 9.0, "修订").unwrap();
        assert!(set_target(&app, &bureau(), "M09", "nope", 1.0, "").is_err());
        assert_eq!(progress("M09", "coal_reduction").target, Some(9.0));
        assert_eq!(progress("M09", "coal_reduction").verdict, Verdict::NoData);
        // The lead unit enters actuals; another unit may not; a future month is refused.
        let p = record_actual(&app, &ndrc, "M09", "coal_reduction", m(2025, 5), 9.5, "").unwrap();
        assert_eq!((p.actual, p.verdict), (Some(9.5), Verdict::Met));
        assert!(matches!(
            record_actual(
                &app,
                &dept("市公安局"),
                "M09",
                "coal_reduction",
                m(2025, 5),
                1.0,
                ""
            ),
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            record_actual(&app, &ndrc, "M09", "coal_reduction", m(2025, 7), 1.0, ""),
            Err(AppError::BadRequest(_))
        ));
        // A parsed target: M21's 不低于80%, entered by its lead unit.
        let gx = dept("市科学技术和工业信息化局");
        let p = record_actual(&app, &gx, "M21", "t1", m(2025, 4), 78.0, "").unwrap();
        assert_eq!((p.target, p.verdict), (Some(80.0), Verdict::NotMet));
        let p = record_actual(&app, &gx, "M21", "t1", m(2025, 5), 82.0, "").unwrap();
        assert_eq!((p.month, p.verdict), (Some(m(2025, 5)), Verdict::Met));
        // The plan's headline targets (not in the attachment).
        let plan = plan_targets(&app).unwrap();
        assert_eq!(
            plan.iter().map(|t| t.key.as_str()).collect::<Vec<_>>(),
            ["pm25", "heavy_day_ratio"]
        );
        set_target(&app, &bureau(), PLAN_ENTRY_ID, "pm25", 38.0, "").unwrap();
        record_actual(&app, &bureau(), PLAN_ENTRY_ID, "pm25", m(2025, 5), 41.0, "").unwrap();
        let pm = plan_targets(&app).unwrap().remove(0);
        assert_eq!(
            (pm.target, pm.actual, pm.verdict),
            (Some(38.0), Some(41.0), Verdict::NotMet)
        );
        assert_eq!(
            s.measure_values("M09").unwrap().len(),
            3,
            "two numbers and one actual kept"
        );
    }

    #[test]
    fn m36_is_unresolved_until_the_bureau_names_its_units_and_aliases_are_one_unit() {
        let s = store("resolve");
        let app = app(&s, JUNE_2025_MS);
        assert!(get(&app, "M36").unresolved);
        assert!(matches!(
            resolve(
                &app,
                &dept("市交通运输局"),
                "M36",
                &["市交通运输局".into()],
                &[],
                ""
            ),
            Err(AppError::Forbidden(_))
        ));
        assert!(resolve(&app, &bureau(), "M36", &["不存在局".into()], &[], "").is_err());
        assert!(
            resolve(&app, &bureau(), "M21", &["市交通运输局".into()], &[], "").is_err(),
            "M21 names its units"
        );
        resolve(
            &app,
            &bureau(),
            "M36",
            &["市住房城乡建设局".into()],
            &["市交通运输局".into(), "国网辛集供电分公司".into()],
            "按方案正文五(一)",
        )
        .unwrap();
        let m36 = get(&app, "M36");
        assert!(!m36.unresolved);
        assert_eq!(m36.fields.lead_units, ["市住房城乡建设局"]);
        assert_eq!(
            m36.fields.supporting_units,
            ["市交通运输局", "国网辛集市供电公司"]
        );
        assert_eq!(
            m36.responsibility, "各相关责任单位",
            "the text as written stays"
        );
        // An account under the other spelling answers for the canonical unit's measures.
        let old = who("gw", Role::Department, Some("国网辛集供电分公司"), None);
        let Caller::Account(a) = old.clone() else {
            unreachable!()
        };
        let mine: Vec<String> = list(
            &app,
            &Filter {
                mine: Some(a),
                ..Filter::default()
            },
        )
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
        assert_eq!(mine, ["M11", "M36"]);
        ledger::act(&app, &old, "M11", Action::Report, None, "已开展").unwrap();
        let by_unit = list(
            &app,
            &Filter {
                unit: Some("国网辛集供电分公司".into()),
                ..Filter::default()
            },
        )
        .unwrap();
        assert_eq!(by_unit.len(), 2);
    }

    #[test]
    fn a_measure_says_who_may_enter_actuals_provincial_numbers_and_resolve_its_units() {
        let s = store("may");
        let app = app(&s, JUNE_2025_MS);
        let may = |c: &Caller, id: &str| ledger::one(&app, c, id).unwrap().may;
        let cg = dept("市城市管理综合行政执法局");
        for (who, caller, id, actuals, provincial, resolve) in [
            ("the lead of M38", &cg, "M38", true, false, false),
            ("a township on M38", &wk(), "M38", false, false, false),
            ("the bureau on M09", &bureau(), "M09", true, true, false),
            (
                "the lead on M09",
                &dept("市发展改革局"),
                "M09",
                true,
                false,
                false,
            ),
            ("the bureau on M36", &bureau(), "M36", false, false, true),
            (
                "the public on M36",
                &Caller::Public,
                "M36",
                false,
                false,
                false,
            ),
        ] {
            let m = may(caller, id);
            assert_eq!(
                (m.enter_actuals, m.set_provincial_targets, m.resolve_units),
                (actuals, provincial, resolve),
                "{who}"
            );
        }
        // What it says is what the acts decide.
        let refused = record_actual(
            &app,
            &wk(),
            "M38",
            "t0",
            Month::new(2025, 5).unwrap(),
            4.0,
            "",
        );
        assert!(
            matches!(refused, Err(AppError::Forbidden(_))),
            "{refused:?}"
        );
    }

    #[test]
    fn a_township_reports_on_its_own_part_of_every_measure_without_moving_the_lead_s_status() {
        let s = store("share");
        let app = app(&s, JUNE_2025_MS);
        let Caller::Account(a) = wk() else {
            unreachable!()
        };
        let mine = list(
            &app,
            &Filter {
                mine: Some(a),
                ..Filter::default()
            },
        )
        .unwrap();
        assert_eq!(
            mine.len(),
            53,
            "from M01 on every measure is also every township's"
        );
        // A plain report by the township is a report on its own part.
        let out = ledger::act(&app, &wk(), "M21", Action::Report, None, "王口镇已排查").unwrap();
        assert_eq!(out.part.as_deref(), Some("unit:wangkou"));
        let part = On::Township("wangkou".into());
        assert!(matches!(
            act_on(
                &app,
                &wk(),
                "M21",
                &On::Township("xincheng".into()),
                Action::Report,
                None,
                "x"
            ),
            Err(AppError::Forbidden(_))
        ));
        let m21 = get(&app, "M21");
        assert_eq!(
            m21.status,
            Status::NotStarted,
            "the lead unit's status is its own"
        );
        assert_eq!(
            m21.township_progress,
            Some(ShareProgress {
                units: 16,
                started: 1,
                not_started: 15,
                in_progress: 1,
                completed: 0,
                overdue: 0
            })
        );
        // Its confirmation needs its own evidence: the lead's or another township's does not count.
        assert!(matches!(
            act_on(&app, &wk(), "M21", &part, Action::Confirm, None, "完成"),
            Err(AppError::BadRequest(m)) if m.contains("证明材料")
        ));
        attach(&app, &wk(), "M21");
        act_on(&app, &wk(), "M21", &part, Action::Confirm, None, "完成").unwrap();
        let d = ledger::one(&app, &bureau(), "M21").unwrap();
        let w = d
            .parts
            .townships
            .iter()
            .find(|p| p.id == "wangkou")
            .unwrap();
        assert_eq!(
            (w.name.as_str(), w.status, w.history.len()),
            ("王口镇", Status::Completed, 2)
        );
        assert!(
            d.history
                .iter()
                .all(|e| matches!(e.action, EventKind::Import | EventKind::Evidence)),
            "{:?}",
            d.history
        );
        assert_eq!(d.measure.status, Status::NotStarted);
        assert!(
            w.allowed.contains(&LedgerAct::Close),
            "the bureau closes a township's part"
        );
    }
}
