//! Supervising the measures ledger: evidence files listed and read back (a login needed),
//! what an act needs before it is taken (a report and a confirmation need text, a
//! confirmation and a 销号 need evidence), days overdue and days left, the latest progress
//! of a measure (its own and its parts'), per-unit statistics, and the bureau's reminders
//! (督办 / 催办) to the unit that answers for a measure, with the unit's acknowledgement.

use crate::caller::policy::{self, LedgerAct};
use crate::error::{AppError, AppResult};
use crate::ledger::{MeasureView, TEXT_BYTES_MAX, canonical_caller, find, sniff};
use crate::{App, Caller};
use lantian_core::Date;
use lantian_core::cst;
use lantian_core::ledger::status::{Action, Status, at_risk, effective};
use lantian_core::ledger::{EventKind, Fields};
use lantian_store::ledger::{MeasureEvent, MeasureRow, Reminder};
use serde::Serialize;

/// An evidence file attached to a measure, as a logged-in reader sees it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EvidenceFile {
    /// The stored file's name (`MS-NAME.EXT`): the key of its download.
    pub file: String,
    /// The name as uploaded, without the stored prefix (Chinese kept).
    pub name: String,
    /// `pdf`, `jpg` or `png`, found in the content.
    pub kind: &'static str,
    pub content_type: &'static str,
    pub bytes: Option<i64>,
    /// `YYYY-MM-DD HH:MM` Beijing time.
    pub at: String,
    pub actor: String,
    /// The unit that attached it (a township's id for its own part).
    pub unit: Option<String>,
    pub unit_name: Option<String>,
}

/// The MIME type of a stored evidence kind.
fn content_type(kind: &str) -> &'static str {
    match kind {
        "pdf" => "application/pdf",
        "png" => "image/png",
        _ => "image/jpeg",
    }
}

/// The kind of a stored file by its name's extension (the upload stored it by content).
fn kind_of(file: &str) -> &'static str {
    match file.rsplit_once('.').map(|x| x.1) {
        Some("pdf") => "pdf",
        Some("png") => "png",
        _ => "jpg",
    }
}

/// The name as uploaded: the stored `MS-` (or `MS-N-`, N below 1000 for uploads of one
/// millisecond) prefix removed.
fn shown_name(file: &str) -> String {
    let digits = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    let Some((_, rest)) = file.split_once('-').filter(|(ms, _)| digits(ms, 20)) else {
        return file.to_owned();
    };
    match rest.split_once('-') {
        Some((n, tail)) if digits(n, 3) && !tail.is_empty() => tail.to_owned(),
        _ => rest.to_owned(),
    }
}

/// The evidence events of a measure (its own and its townships' parts'), oldest first.
fn evidence_events(app: &App, id: &str) -> AppResult<Vec<MeasureEvent>> {
    Ok(app
        .store
        .measure_events(id)?
        .into_iter()
        .filter(|e| e.action == EventKind::Evidence)
        .collect())
}

/// The evidence files of a measure, oldest first (a login is needed: names are internal).
pub fn evidence_files(app: &App, caller: &Caller, id: &str) -> AppResult<Vec<EvidenceFile>> {
    caller.require()?;
    find(app, id)?;
    let names = app.store.admin_units()?;
    Ok(evidence_events(app, id)?
        .into_iter()
        .map(|e| {
            let kind = kind_of(&e.text);
            EvidenceFile {
                name: shown_name(&e.text),
                kind,
                content_type: content_type(kind),
                bytes: e.bytes,
                at: cst::format_unix_ms(e.at_ms),
                actor: e.actor,
                unit_name: e
                    .unit
                    .as_ref()
                    .and_then(|u| names.iter().find(|x| x.id == *u))
                    .map(|x| x.name_zh.clone()),
                unit: e.unit,
                file: e.text,
            }
        })
        .collect())
}

/// An evidence file read back: its bytes, type and the name as uploaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceContent {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub name: String,
}

/// Reads an evidence file of a measure (a login is needed). Only a file the measure's
/// history records is read: a name is never a path.
pub fn evidence_content(
    app: &App,
    caller: &Caller,
    id: &str,
    file: &str,
) -> AppResult<EvidenceContent> {
    caller.require()?;
    find(app, id)?;
    if !evidence_events(app, id)?.iter().any(|e| e.text == file) {
        return Err(AppError::NotFound(format!(
            "措施 {id} 没有证明材料 {file} / measure {id} has no evidence file {file:?}"
        )));
    }
    let dir = app
        .data_dir
        .clone()
        .ok_or_else(|| AppError::Unavailable("no data directory for evidence files".to_owned()))?;
    let path = dir.join("evidence").join(id).join(file);
    let bytes = std::fs::read(&path).map_err(|e| {
        AppError::NotFound(format!(
            "证明材料 {file} 的文件已不在服务器上 / evidence file {file} of measure {id} is missing on the server: {}: {e}",
            path.display()
        ))
    })?;
    let kind = sniff(&bytes).unwrap_or_else(|| kind_of(file));
    Ok(EvidenceContent {
        content_type: content_type(kind),
        name: shown_name(file),
        bytes,
    })
}

/// Whether measure `m` has evidence for an act: on a township's part, files that township
/// attached; on the measure (or a milestone), files attached by anyone but a township acting
/// on its own part.
fn has_evidence(app: &App, m: &MeasureRow, township: Option<&str>) -> AppResult<bool> {
    let townships: Vec<String> = app
        .county
        .units
        .iter()
        .filter(|u| u.kind.is_township_level())
        .map(|u| u.id.clone())
        .collect();
    Ok(evidence_events(app, &m.id)?.iter().any(|e| {
        let unit = e.unit.as_deref();
        match township {
            Some(t) => unit == Some(t),
            None => unit.is_none_or(|u| {
                !(m.fields.township_share
                    && townships.iter().any(|x| x == u)
                    && !m.fields.involves(u))
            }),
        }
    }))
}

/// What an act needs besides the permission and the status: a report and a confirmation
/// need text (a 销号 its reason, checked with the length), a confirmation and a 销号 need
/// evidence (of the township's part when `township` is given). A refusal says what to add.
pub fn require_content(
    app: &App,
    m: &MeasureRow,
    township: Option<&str>,
    action: Action,
    text: &str,
) -> AppResult<()> {
    let empty = text.trim().is_empty();
    let why = match action {
        Action::Report if empty => {
            Some("报送进展需要填写进展情况 / a progress report needs a text saying what was done")
        }
        Action::Confirm if empty => Some(
            "确认完成需要说明完成情况 / a confirmation needs a text saying how the work was completed",
        ),
        Action::Close if empty => Some("销号需要说明理由 / closing (销号) needs a reason"),
        _ => None,
    };
    if let Some(why) = why {
        return Err(AppError::BadRequest(why.to_owned()));
    }
    if matches!(action, Action::Confirm | Action::Close) && !has_evidence(app, m, township)? {
        let whose = township.map_or(String::new(), |t| format!(" ({t})"));
        return Err(AppError::BadRequest(format!(
            "请先上传证明材料（PDF、JPEG 或 PNG）再{zh} / {en} needs evidence: attach a PDF, JPEG or PNG file to measure {id}{whose} first",
            zh = if action == Action::Confirm {
                "确认完成"
            } else {
                "销号"
            },
            en = if action == Action::Confirm {
                "a confirmation"
            } else {
                "closing (销号)"
            },
            id = m.id,
        )));
    }
    Ok(())
}

/// How far a measure is from its deadline today: days overdue (past the earliest deadline
/// of its unfinished work) or days left (to the next deadline).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DueDays {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdue_days: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_left: Option<i64>,
}

/// [`DueDays`] of unfinished work with `deadlines` (`status`: its status today).
pub fn due_days(status: Status, deadlines: &[Date], today: Date) -> DueDays {
    if status.done() {
        return DueDays::default();
    }
    let t = today.days_since_epoch();
    let past = deadlines
        .iter()
        .map(|d| d.days_since_epoch())
        .filter(|d| *d < t)
        .min();
    let next = deadlines
        .iter()
        .map(|d| d.days_since_epoch())
        .filter(|d| *d >= t)
        .min();
    if status == Status::Overdue {
        DueDays {
            overdue_days: past.map(|d| t - d),
            days_left: None,
        }
    } else {
        DueDays {
            overdue_days: None,
            days_left: next.map(|d| d - t),
        }
    }
}

/// The deadlines of a measure's unfinished work: its own (unless it is only milestones) and
/// those of its unfinished milestones.
pub fn open_deadlines(v: &MeasureView) -> Vec<Date> {
    let mut out: Vec<Date> = if v.status.done() {
        Vec::new()
    } else {
        v.fields.deadlines.clone()
    };
    out.extend(
        v.milestone_progress
            .iter()
            .filter(|x| !x.recorded.done())
            .map(|x| x.deadline),
    );
    out
}

/// The latest progress report on a measure: its own, its milestones' or its townships'.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LatestReport {
    pub text: String,
    /// `YYYY-MM-DD HH:MM` Beijing time.
    pub at: String,
    /// The part it was on (a milestone's id or a township's name), if not the measure.
    pub part: Option<String>,
}

/// The latest report (or confirmation) on measure `id`, with the part's name.
pub fn latest_report(app: &App, id: &str) -> AppResult<Option<LatestReport>> {
    let progress = |k: EventKind| matches!(k, EventKind::Report | EventKind::Confirm);
    let own = app
        .store
        .measure_events(id)?
        .into_iter()
        .filter(|e| progress(e.action))
        .map(|e| (e, None::<String>));
    let parts = app
        .store
        .part_events(id)?
        .into_iter()
        .filter(|p| progress(p.event.action))
        .map(|p| {
            let key = p
                .part
                .split_once(':')
                .map_or(p.part.clone(), |x| x.1.to_owned());
            let name = app
                .county
                .units
                .iter()
                .find(|u| u.id == key)
                .map_or(key, |u| u.name_zh.clone());
            (p.event, Some(name))
        });
    Ok(own
        .chain(parts)
        .max_by_key(|(e, _)| (e.at_ms, e.id))
        .map(|(e, part)| LatestReport {
            text: e.text,
            at: cst::format_unix_ms(e.at_ms),
            part,
        }))
}

/// One unit's measures by where they stand today.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct UnitStats {
    /// A department's name or a township's id.
    pub unit: String,
    pub unit_name: String,
    pub unit_name_en: String,
    /// `department` or `township` (its parts of the measures every township carries).
    pub kind: &'static str,
    /// Measures it leads (a township: the measures whose part it carries).
    pub total: usize,
    /// Unfinished and not past a deadline.
    pub on_track: usize,
    /// Of those, due within `lantian_core::ledger::status::AT_RISK_DAYS` (30) days.
    pub due_soon: usize,
    pub overdue: usize,
    pub completed: usize,
    pub closed: usize,
    /// Reminders it has not acknowledged (a login needed to see them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_reminders: Option<usize>,
}

impl UnitStats {
    fn count(&mut self, status: Status, soon: bool) {
        self.total += 1;
        match status {
            Status::Overdue => self.overdue += 1,
            Status::Completed => self.completed += 1,
            Status::Closed => self.closed += 1,
            Status::NotStarted | Status::InProgress => {
                self.on_track += 1;
                if soon {
                    self.due_soon += 1;
                }
            }
        }
    }
}

/// Every unit's measures by status today: each department by the measures it leads, each
/// town, township and the zone by its own parts (the measures every township carries, and
/// those that name it). Units with nothing to do are left out. Public; the reminder
/// counts need a login.
pub fn unit_stats(app: &App, caller: &Caller) -> AppResult<Vec<UnitStats>> {
    let measures = crate::ledger::list(app, &crate::ledger::Filter::default())?;
    let today = app.clock.today();
    let parts = app.store.measure_parts(None)?;
    let mut out: Vec<UnitStats> = Vec::new();
    let mut slot = |unit: &str, name: &str, kind: &'static str| -> usize {
        if let Some(i) = out.iter().position(|s| s.unit == unit) {
            return i;
        }
        out.push(UnitStats {
            unit: unit.to_owned(),
            unit_name: name.to_owned(),
            unit_name_en: unit_names(app, unit).1,
            kind,
            ..UnitStats::default()
        });
        out.len() - 1
    };
    let towns: Vec<(String, String)> = app
        .county
        .units
        .iter()
        .filter(|u| u.kind.is_township_level())
        .map(|u| (u.id.clone(), u.name_zh.clone()))
        .collect();
    let mut rows: Vec<(usize, Status, bool)> = Vec::new();
    for m in &measures {
        let all = m.fields.all_deadlines();
        let soon = at_risk(m.status, &open_deadlines(m), today);
        for lead in &m.fields.lead_units {
            if towns.iter().any(|(id, _)| id == lead) || lead_is_group(lead) {
                continue;
            }
            let i = slot(lead, lead, "department");
            rows.push((i, m.status, soon));
        }
        for (id, name) in &towns {
            let named =
                m.fields.involves(id) || m.fields.lead_units.iter().any(|l| group_has(app, l, id));
            if !(m.fields.township_share || named) {
                continue;
            }
            let recorded = parts
                .iter()
                .find(|p| p.measure_id == m.id && p.part == format!("unit:{id}"))
                .map_or(Status::NotStarted, |p| p.status);
            let status = effective(recorded, &all, today);
            let i = slot(id, name, "township");
            rows.push((i, status, at_risk(recorded, &all, today)));
        }
    }
    for (i, status, soon) in rows {
        out[i].count(status, soon);
    }
    if caller.account().is_some() {
        let open = app.store.reminders(None, None)?;
        for s in &mut out {
            s.open_reminders = Some(
                open.iter()
                    .filter(|r| r.unit == s.unit && r.acked_ms.is_none())
                    .count(),
            );
        }
    }
    Ok(out)
}

/// Whether a lead unit's name is a group (各乡镇…, 经济开发区…, 各相关责任单位).
fn lead_is_group(name: &str) -> bool {
    use lantian_core::ledger::responsibility::{ALL_RESPONSIBLE, ALL_TOWNSHIPS, DEVELOPMENT_ZONE};
    [ALL_TOWNSHIPS, DEVELOPMENT_ZONE, ALL_RESPONSIBLE].contains(&name)
}

/// Whether the group `name` includes the township `id`.
fn group_has(app: &App, name: &str, id: &str) -> bool {
    use lantian_core::ledger::responsibility::{ALL_TOWNSHIPS, DEVELOPMENT_ZONE};
    use lantian_core::org::UnitKind;
    let kind = app.county.units.iter().find(|u| u.id == id).map(|u| u.kind);
    match name {
        ALL_TOWNSHIPS => matches!(kind, Some(UnitKind::Town | UnitKind::Township)),
        DEVELOPMENT_ZONE => kind == Some(UnitKind::Zone),
        _ => false,
    }
}

/// A reminder's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    /// 督办: the bureau supervises the unit's work on the measure.
    Supervise,
    /// 催办: the bureau urges the unit to act (a deadline near or past).
    Urge,
}

impl ReminderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReminderKind::Supervise => "supervise",
            ReminderKind::Urge => "urge",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            ReminderKind::Supervise => "督办",
            ReminderKind::Urge => "催办",
        }
    }

    fn parse(s: &str) -> Option<ReminderKind> {
        match s {
            "supervise" => Some(ReminderKind::Supervise),
            "urge" => Some(ReminderKind::Urge),
            _ => None,
        }
    }
}

/// A reminder as shown (times in Beijing time, the unit's name and the measure's task).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReminderView {
    pub id: i64,
    pub measure_id: String,
    pub task: String,
    pub unit: String,
    pub unit_name: String,
    pub unit_name_en: String,
    pub kind: ReminderKind,
    pub kind_zh: &'static str,
    pub text: String,
    pub actor: String,
    /// `YYYY-MM-DD HH:MM` Beijing time.
    pub at: String,
    pub acked_at: Option<String>,
    pub acked_by: Option<String>,
    pub reply: String,
    /// Whether the caller may acknowledge it now (the reminded unit, not yet acknowledged).
    pub may_ack: bool,
}

/// The units a reminder on measure `m` may go to: its named units (canonical names), and
/// each town, township and the zone when the measure is also theirs.
pub fn reminder_units(app: &App, m: &Fields) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = m
        .lead_units
        .iter()
        .chain(&m.supporting_units)
        .filter(|u| !lead_is_group(u))
        .map(|u| {
            let id = app.county.ledger.canonical(u).to_owned();
            let (zh, en) = unit_names(app, &id);
            (id, zh, en)
        })
        .collect();
    for u in app
        .county
        .units
        .iter()
        .filter(|u| u.kind.is_township_level())
    {
        let named = m.involves(&u.id)
            || m.lead_units
                .iter()
                .chain(&m.supporting_units)
                .any(|l| group_has(app, l, &u.id));
        if (m.township_share || named) && !out.iter().any(|(id, ..)| *id == u.id) {
            out.push((u.id.clone(), u.name_zh.clone(), u.name_en.clone()));
        }
    }
    out
}

/// A unit's Chinese and English names: a town, township or the zone by its id, a
/// department by its name; an unknown unit by what it is called.
pub fn unit_names(app: &App, id: &str) -> (String, String) {
    if let Some(u) = app.county.units.iter().find(|u| u.id == id) {
        return (u.name_zh.clone(), u.name_en.clone());
    }
    let en = app
        .county
        .departments
        .iter()
        .find(|d| d.name_zh == id)
        .map_or_else(|| id.to_owned(), |d| d.name_en.clone());
    (id.to_owned(), en)
}

fn reminder_view(app: &App, caller: &Caller, r: Reminder, task: &str) -> ReminderView {
    let own = caller
        .account()
        .and_then(|a| a.unit_id.as_deref())
        .is_some_and(|u| u == r.unit);
    let kind = ReminderKind::parse(&r.kind).unwrap_or(ReminderKind::Supervise);
    let (unit_name, unit_name_en) = unit_names(app, &r.unit);
    ReminderView {
        id: r.id,
        task: task.to_owned(),
        unit_name,
        unit_name_en,
        kind,
        kind_zh: kind.name_zh(),
        at: cst::format_unix_ms(r.at_ms),
        acked_at: r.acked_ms.map(cst::format_unix_ms),
        may_ack: own && r.acked_ms.is_none(),
        measure_id: r.measure_id,
        unit: r.unit,
        text: r.text,
        actor: r.actor,
        acked_by: r.acked_by,
        reply: r.reply,
    }
}

/// The bureau reminds the unit that answers for a measure (督办 or 催办), with a text; `unit`
/// `None` reminds each of the measure's named lead units. Logged (the reminder is kept) and
/// audited as `ledger.remind`. Returns the reminders sent.
pub fn remind(
    app: &App,
    caller: &Caller,
    id: &str,
    unit: Option<&str>,
    kind: ReminderKind,
    text: &str,
) -> AppResult<Vec<ReminderView>> {
    let m = find(app, id)?;
    // Who may close items (the bureau) supervises them.
    app.allow(
        caller,
        "ledger.remind",
        id,
        policy::ledger(caller, LedgerAct::Close, &m.fields).map_err(|e| match e {
            AppError::Forbidden(_) => AppError::Forbidden(
                "只有生态环境局可以督办、催办 / only the bureau sends reminders".to_owned(),
            ),
            other => other,
        }),
    )?;
    if text.trim().is_empty() || text.len() > TEXT_BYTES_MAX {
        return Err(AppError::BadRequest(format!(
            "督办、催办需要填写内容（不超过 {TEXT_BYTES_MAX} 字节） / a reminder needs a text of at most {TEXT_BYTES_MAX} bytes"
        )));
    }
    let allowed = reminder_units(app, &m.fields);
    let to: Vec<String> = match unit {
        Some(u) => {
            let u = app.county.ledger.canonical(u).to_owned();
            if !allowed.iter().any(|(id, ..)| *id == u) {
                return Err(AppError::BadRequest(format!(
                    "{u} 不是措施 {id} 的责任单位 / {u} does not answer for measure {id} (it can be: {})",
                    allowed
                        .iter()
                        .map(|x| x.0.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            vec![u]
        }
        None => m
            .fields
            .lead_units
            .iter()
            .filter(|u| !lead_is_group(u))
            .map(|u| app.county.ledger.canonical(u).to_owned())
            .collect(),
    };
    if to.is_empty() {
        return Err(AppError::BadRequest(format!(
            "措施 {id} 没有具体的牵头单位，请选择要督办的单位 / measure {id} names no single lead unit: choose the unit to remind"
        )));
    }
    let mut out = Vec::new();
    for u in to {
        let r = Reminder {
            id: 0,
            measure_id: id.to_owned(),
            unit: u.clone(),
            kind: kind.as_str().to_owned(),
            text: text.to_owned(),
            actor: caller.name().to_owned(),
            at_ms: app.clock.now_ms(),
            acked_ms: None,
            acked_by: None,
            reply: String::new(),
        };
        let detail = format!("{} {u}: {text}", kind.name_zh());
        let rid = app.audited(caller, "ledger.remind", id, &detail, || {
            Ok(app.store.add_reminder(&r)?)
        })?;
        out.push(reminder_view(
            app,
            caller,
            Reminder { id: rid, ..r },
            &m.task,
        ));
    }
    Ok(out)
}

/// Which reminders to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReminderFilter {
    pub measure: Option<String>,
    /// Only those not yet acknowledged.
    pub open_only: bool,
}

/// Reminders, newest first: the bureau sees every one; a unit those sent to it. A login is
/// needed.
pub fn reminders(app: &App, caller: &Caller, f: &ReminderFilter) -> AppResult<Vec<ReminderView>> {
    let caller = &canonical_caller(app, caller);
    let a = caller.require()?;
    let all = a.role.is_bureau();
    let unit = if all { None } else { a.unit_id.clone() };
    if !all && unit.is_none() {
        return Ok(Vec::new());
    }
    let tasks = app.store.measures()?;
    Ok(app
        .store
        .reminders(f.measure.as_deref(), unit.as_deref())?
        .into_iter()
        .filter(|r| !f.open_only || r.acked_ms.is_none())
        .map(|r| {
            let task = tasks
                .iter()
                .find(|m| m.id == r.measure_id)
                .map_or(String::new(), |m| m.task.clone());
            reminder_view(app, caller, r, &task)
        })
        .collect())
}

/// The reminded unit acknowledges a reminder (签收), with an optional reply. Audited as
/// `ledger.remind.ack`.
pub fn acknowledge(app: &App, caller: &Caller, rid: i64, reply: &str) -> AppResult<ReminderView> {
    let caller = &canonical_caller(app, caller);
    let a = caller.require()?;
    let r = app
        .store
        .reminder(rid)?
        .ok_or_else(|| AppError::NotFound(format!("reminder {rid}")))?;
    let object = format!("{}/reminder/{rid}", r.measure_id);
    let decision = if a.unit_id.as_deref() == Some(r.unit.as_str()) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "只有被督办的单位可以签收 / only the reminded unit acknowledges a reminder".to_owned(),
        ))
    };
    app.allow(caller, "ledger.remind.ack", &object, decision)?;
    if reply.len() > TEXT_BYTES_MAX {
        return Err(AppError::BadRequest(format!(
            "回复不超过 {TEXT_BYTES_MAX} 字节 / a reply is at most {TEXT_BYTES_MAX} bytes"
        )));
    }
    let at = app.clock.now_ms();
    app.audited(caller, "ledger.remind.ack", &object, reply, || {
        Ok(app.store.ack_reminder(rid, at, caller.name(), reply)?)
    })?;
    let task = find(app, &r.measure_id).map(|m| m.task).unwrap_or_default();
    let r = app
        .store
        .reminder(rid)?
        .ok_or_else(|| AppError::NotFound(format!("reminder {rid}")))?;
    Ok(reminder_view(app, caller, r, &task))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::clock::Clock;
    use crate::ledger::{self, Filter, evidence_stem};
    use crate::{Account, County};
    use lantian_core::org::{Role, UnitKind};
    use lantian_store::Store;
    use std::sync::Arc;

    /// 2025-06-01 12:00 UTC (20:00 Beijing time).
    const JUNE_2025_MS: i64 = 1_748_779_200_000;

    fn app(tag: &str) -> App {
        let dir =
            std::env::temp_dir().join(format!("lantian-supervision-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Arc::new(Store::open_data_dir(&dir).unwrap());
        County::xinji().install(&store, 1_000).unwrap();
        App::new(
            store,
            Clock::Fixed {
                unix_ms: JUNE_2025_MS,
            },
            Arc::new(County::xinji()),
            Some(dir),
        )
    }

    fn who(name: &str, role: Role, unit: &str, kind: UnitKind) -> Caller {
        Caller::Account(Account {
            username: name.into(),
            role,
            unit_id: Some(unit.to_owned()),
            unit_kind: Some(kind),
            source: "test".into(),
        })
    }

    fn bureau() -> Caller {
        who("sthj", Role::Bureau, "市生态环境局", UnitKind::Department)
    }

    fn gx() -> Caller {
        who(
            "gx",
            Role::Department,
            "市科学技术和工业信息化局",
            UnitKind::Department,
        )
    }

    fn wk() -> Caller {
        who("wk", Role::Township, "wangkou", UnitKind::Town)
    }

    #[test]
    fn evidence_names_keep_chinese_and_lose_doubled_extensions_and_paths() {
        for (uploaded, stem) in [
            ("现场照片.png", "现场照片"),
            ("现场照片.png.png", "现场照片"),
            ("验收报告 (1).PDF", "验收报告 (1)"),
            ("C:\\Users\\张三\\整改前.jpeg", "整改前"),
            ("../../etc/passwd", "passwd"),
            ("报告.v2.pdf", "报告.v2"),
            (".png", ""),
            ("a<b>c|d.jpg", "abcd"),
        ] {
            assert_eq!(evidence_stem(uploaded), stem, "{uploaded}");
        }
        for (stored, shown) in [
            ("1748779200000-现场照片.png", "现场照片.png"),
            ("1748779200000-3-现场照片.png", "现场照片.png"),
            ("1748779200000-2024-report.pdf", "2024-report.pdf"),
        ] {
            assert_eq!(shown_name(stored), shown, "{stored}");
        }
    }

    #[test]
    fn due_days_count_from_the_earliest_missed_deadline_or_to_the_next_one() {
        let d = |s: &str| Date::parse(s).unwrap();
        let today = d("2025-06-01");
        // (status today, deadlines, overdue days, days left)
        let cases = [
            (Status::Overdue, vec!["2025-05-31"], Some(1), None),
            (
                Status::Overdue,
                vec!["2024-12-31", "2025-12-31"],
                Some(152),
                None,
            ),
            (Status::InProgress, vec!["2025-06-01"], None, Some(0)),
            (
                Status::NotStarted,
                vec!["2025-12-31", "2025-06-30"],
                None,
                Some(29),
            ),
            (Status::Completed, vec!["2025-05-31"], None, None),
            (Status::Closed, vec!["2025-12-31"], None, None),
            (Status::InProgress, vec![], None, None),
        ];
        for (status, dl, overdue, left) in cases {
            let dl: Vec<Date> = dl.into_iter().map(d).collect();
            let got = due_days(status, &dl, today);
            assert_eq!(
                (got.overdue_days, got.days_left),
                (overdue, left),
                "{status:?} {dl:?}"
            );
        }
    }

    #[test]
    fn reports_and_confirmations_need_text_and_confirming_or_closing_needs_evidence() {
        let app = app("content");
        let act = |c: &Caller, a: Action, text: &str| ledger::act(&app, c, "M21", a, None, text);
        let bad = |r: AppResult<ledger::Outcome>, needle: &str| match r {
            Err(AppError::BadRequest(m)) => assert!(m.contains(needle), "{m}"),
            other => panic!("expected a 400 naming {needle:?}: {other:?}"),
        };
        bad(act(&gx(), Action::Report, "  "), "needs a text");
        act(&gx(), Action::Report, "已排查 12 家企业").unwrap();
        bad(act(&gx(), Action::Confirm, ""), "needs a text");
        bad(act(&gx(), Action::Confirm, "已完成"), "needs evidence");
        // A township's evidence of its own part is not the lead unit's.
        ledger::evidence(
            &app,
            &wk(),
            "M21",
            "王口镇照片.png",
            b"\x89PNG\r\n\x1a\n....",
        )
        .unwrap();
        bad(act(&gx(), Action::Confirm, "已完成"), "needs evidence");
        let stored =
            ledger::evidence(&app, &gx(), "M21", "验收报告.pdf.pdf", b"%PDF-1.4 x").unwrap();
        assert!(stored.ends_with("-验收报告.pdf"), "{stored}");
        act(&gx(), Action::Confirm, "已完成").unwrap();
        bad(act(&bureau(), Action::Close, " "), "closing needs a reason");
        act(&bureau(), Action::Close, "经核查已完成").unwrap();
        // Closed: no more evidence until it is reopened; reopening needs no text.
        assert!(matches!(
            ledger::evidence(&app, &gx(), "M21", "x.pdf", b"%PDF-1.4 y"),
            Err(AppError::Conflict(_))
        ));
        act(&bureau(), Action::Reopen, "").unwrap();
        // The files listed and read back byte for byte, with the names as uploaded.
        let files = evidence_files(&app, &bureau(), "M21").unwrap();
        assert_eq!(
            files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            ["王口镇照片.png", "验收报告.pdf"]
        );
        let c = evidence_content(&app, &gx(), "M21", &stored).unwrap();
        assert_eq!(
            (c.bytes.as_slice(), c.content_type, c.name.as_str()),
            (&b"%PDF-1.4 x"[..], "application/pdf", "验收报告.pdf")
        );
        assert!(matches!(
            evidence_content(&app, &Caller::Public, "M21", &stored),
            Err(AppError::Unauthorized)
        ));
        assert!(matches!(
            evidence_content(&app, &gx(), "M21", "../../lantian.db"),
            Err(AppError::NotFound(_))
        ));
    }

    #[test]
    fn unit_stats_count_departments_by_their_lead_measures_and_townships_by_their_parts() {
        let app = app("stats");
        ledger::act(&app, &wk(), "M21", Action::Report, None, "王口镇已排查").unwrap();
        let stats = unit_stats(&app, &bureau()).unwrap();
        let all = ledger::list(&app, &Filter::default()).unwrap();
        // Independently: a department's total is the measures naming it first among the leads.
        let gx_name = "市科学技术和工业信息化局";
        let gx_row = stats.iter().find(|s| s.unit == gx_name).unwrap();
        let led: Vec<&MeasureView> = all
            .iter()
            .filter(|m| m.fields.lead_units.iter().any(|u| u == gx_name))
            .collect();
        assert_eq!(gx_row.total, led.len());
        assert_eq!(
            gx_row.overdue,
            led.iter().filter(|m| m.status == Status::Overdue).count()
        );
        assert_eq!(
            gx_row.on_track + gx_row.overdue + gx_row.completed + gx_row.closed,
            gx_row.total
        );
        // Every township carries every measure from M01 on (the plan's rule): 53 parts each.
        let towns: Vec<&UnitStats> = stats.iter().filter(|s| s.kind == "township").collect();
        assert_eq!(towns.len(), 16);
        assert!(towns.iter().all(|s| s.total == 53), "{towns:?}");
        assert_eq!(
            stats.iter().find(|s| s.unit == "wangkou").unwrap().on_track,
            53
        );
        // Reminder counts only with a login.
        assert!(stats.iter().all(|s| s.open_reminders == Some(0)));
        assert!(
            unit_stats(&app, &Caller::Public)
                .unwrap()
                .iter()
                .all(|s| s.open_reminders.is_none())
        );
    }

    #[test]
    fn reminders_go_from_the_bureau_to_a_responsible_unit_which_alone_acknowledges_once() {
        let app = app("remind");
        assert!(matches!(
            remind(&app, &gx(), "M21", None, ReminderKind::Urge, "请加快"),
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            remind(&app, &Caller::Public, "M21", None, ReminderKind::Urge, "x"),
            Err(AppError::Unauthorized)
        ));
        assert!(matches!(
            remind(&app, &bureau(), "M21", None, ReminderKind::Urge, " "),
            Err(AppError::BadRequest(_))
        ));
        assert!(matches!(
            remind(
                &app,
                &bureau(),
                "M21",
                Some("市公安局"),
                ReminderKind::Urge,
                "x"
            ),
            Err(AppError::BadRequest(_))
        ));
        let sent = remind(
            &app,
            &bureau(),
            "M21",
            None,
            ReminderKind::Urge,
            "请于月底前报送进展",
        )
        .unwrap();
        assert_eq!(
            sent.iter().map(|r| r.unit.as_str()).collect::<Vec<_>>(),
            ["市科学技术和工业信息化局"]
        );
        let to_wk = remind(
            &app,
            &bureau(),
            "M21",
            Some("wangkou"),
            ReminderKind::Supervise,
            "督办王口镇分担任务",
        )
        .unwrap();
        assert_eq!(to_wk[0].unit_name, "王口镇");
        let open = |c: &Caller| {
            reminders(
                &app,
                c,
                &ReminderFilter {
                    measure: None,
                    open_only: true,
                },
            )
            .unwrap()
            .len()
        };
        assert_eq!((open(&bureau()), open(&gx()), open(&wk())), (2, 1, 1));
        assert!(matches!(
            acknowledge(&app, &wk(), sent[0].id, ""),
            Err(AppError::Forbidden(_))
        ));
        let acked = acknowledge(&app, &gx(), sent[0].id, "已安排").unwrap();
        assert_eq!((acked.reply.as_str(), acked.may_ack), ("已安排", false));
        assert!(acked.acked_at.is_some());
        assert!(matches!(
            acknowledge(&app, &gx(), sent[0].id, ""),
            Err(AppError::Conflict(_))
        ));
        assert_eq!((open(&bureau()), open(&gx())), (1, 0));
        // Each is in the audit log.
        let log = app.store.audit_events(100).unwrap();
        let n = |a: &str| log.iter().filter(|r| r.action == a).count();
        assert_eq!(
            (
                n("ledger.remind"),
                n("ledger.remind.ack"),
                n("denied.ledger.remind")
            ),
            (2, 1, 1)
        );
    }
}
