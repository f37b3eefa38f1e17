//! Grid tasks (issue 18): a point on the map from a fire point, a dust alarm, a complaint or
//! an inspection, dispatched to the township it lies in (point in polygon over the county's
//! boundaries) or to a department, moved through 派发 → 签收 → 处置中 → 办结 → 审核通过 / 退回
//! by its assignee and the bureau, closed with evidence (photos checked against the task's
//! time and place), escalated once when overdue, counted by township and month, exported.

use crate::caller::policy;
use crate::{App, AppError, AppResult, Caller};
use lantian_core::grid::geo::Located;
use lantian_core::grid::task::{
    self, Action, GridConfig, Overdue, Source, Standing, State, TaskTimes, Verdict,
};
use lantian_core::org::Role;
use lantian_core::{Month, cst};
use lantian_store::tasks::{
    EventKind, EvidenceRow, TaskChange, TaskEvent, TaskFilter, TaskRow, sha256_hex,
};
use lantian_store::{Page, Paged};
use serde::{Deserialize, Serialize};

/// The store setting holding the grid's configuration ([`GridConfig`], JSON).
pub const CONFIG_SETTING: &str = "grid_config";
/// The actor of what the system does (imports, the overdue scan).
pub const SYSTEM_ACTOR: &str = "system";
/// Longest title, in characters.
pub const TITLE_CHARS_MAX: usize = 200;
/// Longest detail or act text, in characters.
pub const TEXT_CHARS_MAX: usize = 4_000;
/// Largest evidence file accepted.
pub const EVIDENCE_BYTES_MAX: usize = 10 << 20;
/// Most evidence files per task.
pub const EVIDENCE_FILES_MAX: usize = 30;
/// Most rows of one list.
pub const LIST_ROWS_MAX: usize = 50_000;

/// A task to create.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct NewTask {
    pub source: Source,
    pub title: String,
    #[serde(default)]
    pub detail: String,
    pub lat: f64,
    pub lon: f64,
    /// When it happened, unix ms.
    pub occurred_ms: i64,
    /// What it came from (a fire point's key, a complaint's id, a site's id).
    #[serde(default)]
    pub source_ref: Option<String>,
    /// A unit id; default: the township found by `locate`.
    #[serde(default)]
    pub assignee: Option<String>,
}

/// A task as people read it (times in Beijing time).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskView {
    pub id: i64,
    pub source: Source,
    pub source_zh: &'static str,
    pub source_ref: Option<String>,
    pub title: String,
    pub detail: String,
    pub lat: f64,
    pub lon: f64,
    /// The township (unit id) the point lies in.
    pub township: Option<String>,
    pub township_name: Option<String>,
    /// The unit the task is assigned to.
    pub assignee: Option<String>,
    pub assignee_name: Option<String>,
    pub state: State,
    pub state_zh: &'static str,
    /// 北京时间 `YYYY-MM-DD HH:MM`.
    pub created: String,
    pub created_ms: i64,
    pub occurred: String,
    pub occurred_ms: i64,
    pub sign_deadline: String,
    pub sign_deadline_ms: i64,
    /// The finishing deadline, 北京时间.
    pub deadline: String,
    pub finish_deadline_ms: i64,
    pub escalated: bool,
    /// Which deadline it has missed now, if any.
    pub overdue: Option<Overdue>,
    pub finished: Option<String>,
    pub closed: Option<String>,
    pub closed_ms: Option<i64>,
    /// Hours from creation to approval.
    pub hours_to_close: Option<f64>,
}

/// An event of a task's timeline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventView {
    pub at: String,
    pub at_ms: i64,
    pub actor: String,
    pub unit: Option<String>,
    pub action: String,
    pub action_zh: &'static str,
    pub text: String,
    pub state_after: State,
    pub state_after_zh: &'static str,
}

/// An evidence file with its check.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EvidenceView {
    pub id: i64,
    pub file: String,
    pub bytes: i64,
    pub sha256: String,
    /// The photo's EXIF time, 北京时间.
    pub taken: Option<String>,
    pub taken_ms: Option<i64>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub verdict: Verdict,
    pub verdict_zh: &'static str,
    pub reason: String,
    pub actor: String,
    pub at: String,
}

/// One task with its timeline, evidence and what the caller may do.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskDetail {
    pub task: TaskView,
    pub events: Vec<EventView>,
    pub evidence: Vec<EvidenceView>,
    /// The actions the caller may take now.
    pub actions: Vec<Action>,
    /// Whether the caller may attach evidence now.
    pub can_attach: bool,
}

/// Which tasks a list shows.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub state: Option<State>,
    pub source: Option<Source>,
    pub township: Option<String>,
    pub assignee: Option<String>,
    pub source_ref: Option<String>,
    /// Created in this month (Beijing time).
    pub month: Option<Month>,
    /// Only the tasks overdue now.
    pub overdue: Option<bool>,
    /// Only the tasks not yet finished.
    pub open: Option<bool>,
}

/// An act on a task.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ActRequest {
    pub action: Action,
    /// Evidence text (finish), a reason (return, reassign) or a note.
    #[serde(default)]
    pub text: String,
    /// The new assignee (reassign).
    #[serde(default)]
    pub assignee: Option<String>,
}

/// The grid's configuration: the store setting over the defaults.
pub fn config(app: &App) -> AppResult<GridConfig> {
    match app.store.setting(CONFIG_SETTING)? {
        None => Ok(GridConfig::default()),
        Some(text) => {
            let c: GridConfig = serde_json::from_str(&text).map_err(|e| {
                AppError::Internal(format!(
                    "setting {CONFIG_SETTING}: not a grid configuration: {e}"
                ))
            })?;
            c.check()
                .map_err(|e| AppError::Internal(format!("setting {CONFIG_SETTING}: {e}")))?;
            Ok(c)
        }
    }
}

/// Sets the grid's configuration (the bureau); audited.
pub fn set_config(app: &App, caller: &Caller, text: &str) -> AppResult<GridConfig> {
    app.allow(
        caller,
        "tasks.config",
        CONFIG_SETTING,
        caller.require_role(policy::MANAGE).map(drop),
    )?;
    let c: GridConfig = serde_json::from_str(text).map_err(|e| {
        AppError::BadRequest(format!(
            "网格配置无法读取 / the grid configuration cannot be read: {e}"
        ))
    })?;
    c.check().map_err(AppError::BadRequest)?;
    let json = serde_json::to_string(&c).map_err(|e| AppError::Internal(e.to_string()))?;
    app.audited(caller, "tasks.config", CONFIG_SETTING, &json, || {
        Ok(app.store.set_setting(CONFIG_SETTING, &json)?)
    })?;
    Ok(c)
}

/// The township a point lies in, or why it is refused (outside the county: the distance and
/// the nearest township).
pub fn township_of(app: &App, lat: f64, lon: f64) -> AppResult<String> {
    check_point(lat, lon)?;
    match crate::firepoints::county_boundaries(app)?.locate(lat, lon) {
        Located::Inside { unit } | Located::Border { unit, .. } => Ok(unit),
        Located::Outside {
            nearest_unit,
            distance_km,
        } => {
            let near = nearest_unit.as_deref().map(|u| unit_name(app, u));
            Err(AppError::BadRequest(match near {
                Some(n) => format!(
                    "位置 ({lat}, {lon}) 在{}以外，距最近的乡镇{n} {distance_km:.1} 公里 / the point ({lat}, {lon}) is outside the county, {distance_km:.1} km from the nearest township, {n}",
                    app.county.profile.name_zh
                ),
                None => format!(
                    "位置 ({lat}, {lon}) 在{}以外 / the point ({lat}, {lon}) is outside the county",
                    app.county.profile.name_zh
                ),
            }))
        }
    }
}

fn check_point(lat: f64, lon: f64) -> AppResult<()> {
    if !(lat.is_finite()
        && lon.is_finite()
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lon))
    {
        return Err(AppError::BadRequest(format!(
            "位置须为纬度 −90…90、经度 −180…180 / lat must be within −90…90 and lon within −180…180, not ({lat}, {lon})"
        )));
    }
    Ok(())
}

/// A unit's Chinese name: a township's from units.csv, a department's is its id.
fn unit_name(app: &App, id: &str) -> String {
    app.county
        .units
        .iter()
        .find(|u| u.id == id)
        .map_or_else(|| id.to_owned(), |u| u.name_zh.clone())
}

fn known_unit(app: &App, id: &str) -> bool {
    app.county.units.iter().any(|u| u.id == id)
        || app.county.departments.iter().any(|d| d.name_zh == id)
}

fn text_ok(what: &str, text: &str, max: usize) -> AppResult<()> {
    if text.chars().count() > max {
        return Err(AppError::BadRequest(format!(
            "{what}不超过 {max} 字 / {what} is at most {max} characters"
        )));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(AppError::BadRequest(format!(
            "{what}含有控制字符 / {what} contains control characters"
        )));
    }
    Ok(())
}

/// Who may create tasks: who sees them ([`SEE_TASKS`]; operations and enterprises do not).
fn may_create(caller: &Caller) -> AppResult<()> {
    caller
        .require_role(SEE_TASKS)
        .map(drop)
        .map_err(|_| {
            policy::refusal(
                caller,
                "只有分局、部门和乡镇可以派发任务 / only the bureau, departments and townships create tasks",
            )
        })
}

/// Who sees grid tasks at all (a township and a department only some, see [`sees`]).
pub const SEE_TASKS: &[Role] = &[
    Role::Admin,
    Role::Bureau,
    Role::Commander,
    Role::Department,
    Role::Township,
];

/// Whether the caller sees a task: the bureau, administrators and the command all; a township
/// the tasks in it or assigned to it; a department those assigned to it.
pub fn sees(caller: &Caller, t: &TaskRow) -> bool {
    let Some(a) = caller.account() else {
        return false;
    };
    match a.role {
        Role::Admin | Role::Bureau | Role::Commander => true,
        Role::Township | Role::Department => {
            let own = a.unit_id.as_deref();
            own.is_some() && (own == t.township.as_deref() || own == t.assignee.as_deref())
        }
        _ => false,
    }
}

/// The units whose tasks the caller sees (`None`: all), or a refusal.
fn visible_units(caller: &Caller) -> AppResult<Option<Vec<String>>> {
    let a = caller.require()?;
    match a.role {
        Role::Admin | Role::Bureau | Role::Commander => Ok(None),
        Role::Township | Role::Department => Ok(Some(a.unit_id.iter().cloned().collect())),
        _ => Err(AppError::Forbidden(
            "网格任务由生态环境局、部门和乡镇查看 / grid tasks are for the bureau, departments and townships".to_owned(),
        )),
    }
}

/// The caller's standing towards a task for one action: the assignee unit's accounts sign,
/// start and finish; the bureau and administrators approve, return, reassign, escalate.
pub fn standing(caller: &Caller, t: &TaskRow, action: Action) -> Standing {
    let Some(a) = caller.account() else {
        return Standing::Other;
    };
    let assignee = a.unit_id.is_some() && a.unit_id.as_deref() == t.assignee.as_deref();
    let bureau = policy::MANAGE.contains(&a.role);
    match action {
        Action::Sign | Action::Start | Action::Finish if assignee => Standing::Assignee,
        Action::Approve | Action::Return | Action::Reassign | Action::Escalate if bureau => {
            Standing::Bureau
        }
        _ if assignee => Standing::Assignee,
        _ if bureau => Standing::Bureau,
        _ => Standing::Other,
    }
}

fn view(app: &App, t: &TaskRow, now_ms: i64) -> TaskView {
    let name = |u: &Option<String>| u.as_deref().map(|u| unit_name(app, u));
    TaskView {
        id: t.id,
        source: t.source,
        source_zh: t.source.name_zh(),
        source_ref: t.source_ref.clone(),
        title: t.title.clone(),
        detail: t.detail.clone(),
        lat: t.lat,
        lon: t.lon,
        township: t.township.clone(),
        township_name: name(&t.township),
        assignee: t.assignee.clone(),
        assignee_name: name(&t.assignee),
        state: t.state,
        state_zh: t.state.name_zh(),
        created: cst::format_unix_ms(t.created_ms),
        created_ms: t.created_ms,
        occurred: cst::format_unix_ms(t.occurred_ms),
        occurred_ms: t.occurred_ms,
        sign_deadline: cst::format_unix_ms(t.sign_deadline_ms),
        sign_deadline_ms: t.sign_deadline_ms,
        deadline: cst::format_unix_ms(t.finish_deadline_ms),
        finish_deadline_ms: t.finish_deadline_ms,
        escalated: t.escalated,
        overdue: task::overdue(t.state, t.sign_deadline_ms, t.finish_deadline_ms, now_ms),
        finished: t.finished_ms.map(cst::format_unix_ms),
        closed: t.closed_ms.map(cst::format_unix_ms),
        closed_ms: t.closed_ms,
        hours_to_close: t
            .closed_ms
            .map(|c| (c - t.created_ms) as f64 / task::HOUR_MS as f64),
    }
}

/// Creates and dispatches a task to the township the point lies in (points outside the
/// county refused with the reason: [`AppError::BadRequest`] naming the distance and nearest
/// unit).
pub fn create(app: &App, caller: &Caller, t: NewTask) -> AppResult<TaskView> {
    app.allow(caller, "tasks.create", &t.title, may_create(caller))?;
    let unit = caller.account().and_then(|a| a.unit_id.clone());
    insert(app, Some(caller), unit, t)
}

/// The same for a system source (imports, the scan): audited as `system`.
pub fn create_system(app: &App, t: NewTask) -> AppResult<TaskView> {
    insert(app, None, None, t)
}

fn insert(
    app: &App,
    caller: Option<&Caller>,
    unit: Option<String>,
    t: NewTask,
) -> AppResult<TaskView> {
    let title = t.title.trim().to_owned();
    if title.is_empty() {
        return Err(AppError::BadRequest(
            "任务须有标题 / a task needs a title".to_owned(),
        ));
    }
    text_ok("标题 / the title", &title, TITLE_CHARS_MAX)?;
    text_ok("说明 / the detail", &t.detail, TEXT_CHARS_MAX)?;
    if let Some(r) = &t.source_ref {
        text_ok("来源编号 / the source reference", r, TITLE_CHARS_MAX)?;
    }
    let township = township_of(app, t.lat, t.lon)?;
    let assignee = match t
        .assignee
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        Some(a) if known_unit(app, a) => a.to_owned(),
        Some(a) => {
            return Err(AppError::BadRequest(format!(
                "承办单位“{a}”不在本县的乡镇和部门名单中 / the assignee {a:?} is not a township or department of the county"
            )));
        }
        None => township.clone(),
    };
    let now = app.clock.now_ms();
    let (sign, finish) = config(app)?.deadlines_ms(t.source, now);
    let row = TaskRow {
        id: 0,
        source: t.source,
        source_ref: t.source_ref.clone(),
        title,
        detail: t.detail.clone(),
        lat: t.lat,
        lon: t.lon,
        township: Some(township.clone()),
        assignee: Some(assignee.clone()),
        state: State::Dispatched,
        created_ms: now,
        occurred_ms: t.occurred_ms,
        sign_deadline_ms: sign,
        finish_deadline_ms: finish,
        escalated: false,
        updated_ms: now,
        finished_ms: None,
        closed_ms: None,
    };
    let detail = format!("{} {} → {assignee} ({township})", t.source, row.title);
    let id = match caller {
        Some(c) => app.audited(c, "tasks.create", &row.title, &detail, || {
            Ok(app.store.create_task(&row, c.name(), unit.as_deref())?)
        })?,
        None => app.store.audited(
            lantian_store::AuditRow {
                at_ms: now,
                actor: SYSTEM_ACTOR.to_owned(),
                action: "tasks.create".to_owned(),
                object: row.title.clone(),
                detail,
                source: SYSTEM_ACTOR.to_owned(),
            },
            || -> AppResult<i64> { Ok(app.store.create_task(&row, SYSTEM_ACTOR, None)?) },
        )?,
    };
    Ok(view(app, &TaskRow { id, ..row }, now))
}

fn find(app: &App, id: i64) -> AppResult<TaskRow> {
    app.store
        .task(id)?
        .ok_or_else(|| AppError::NotFound(format!("task {id}")))
}

/// A task the caller may see, else 404 for a task they may not (no hint it exists) or 401.
fn visible(app: &App, caller: &Caller, id: i64) -> AppResult<TaskRow> {
    visible_units(caller)?;
    let t = find(app, id)?;
    if sees(caller, &t) {
        Ok(t)
    } else {
        Err(AppError::NotFound(format!("task {id}")))
    }
}

fn filter(caller: &Caller, q: &ListQuery) -> AppResult<TaskFilter> {
    let (from_ms, to_ms) = match q.month {
        Some(m) => {
            let next = m.first_day().add_days(i64::from(m.n_days()));
            (
                Some(cst::to_unix_ms(cst::day_start(m.first_day()))),
                Some(cst::to_unix_ms(cst::day_start(next))),
            )
        }
        None => (None, None),
    };
    Ok(TaskFilter {
        state: q.state,
        source: q.source,
        township: q.township.clone(),
        assignee: q.assignee.clone(),
        source_ref: q.source_ref.clone(),
        from_ms,
        to_ms,
        units: visible_units(caller)?,
        open_only: q.open == Some(true),
    })
}

/// The tasks the caller sees, as the query narrows them, newest first (at most
/// [`LIST_ROWS_MAX`]: the exports and the map).
pub fn list(app: &App, caller: &Caller, q: &ListQuery) -> AppResult<Vec<TaskView>> {
    Ok(list_page(app, caller, q, Page::first(LIST_ROWS_MAX as i64))?.items)
}

/// A page of the tasks the caller sees, as the query narrows them, newest first, and how
/// many there are (the page is cut in SQL, `overdue` included).
pub fn list_page(
    app: &App,
    caller: &Caller,
    q: &ListQuery,
    page: Page,
) -> AppResult<Paged<TaskView>> {
    let f = filter(caller, q)?;
    let now = app.clock.now_ms();
    let rows = app
        .store
        .tasks_page(&f, q.overdue.map(|o| (o, now)), page)?;
    Ok(rows.map(|t| view(app, &t, now)))
}

/// The actions the caller may take on a task now.
fn actions(caller: &Caller, t: &TaskRow) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| *a != Action::Escalate)
        .filter(|a| {
            // The text is checked when acting; here only who and when.
            task::transition(t.state, *a, standing(caller, t, *a), "说明文字").is_ok()
        })
        .collect()
}

fn may_attach(caller: &Caller, t: &TaskRow) -> bool {
    !t.state.is_done()
        && (standing(caller, t, Action::Finish) == Standing::Assignee
            || standing(caller, t, Action::Approve) == Standing::Bureau)
}

/// One task with its timeline and evidence.
pub fn one(app: &App, caller: &Caller, id: i64) -> AppResult<TaskDetail> {
    let t = visible(app, caller, id)?;
    let now = app.clock.now_ms();
    let events = app
        .store
        .task_events(id)?
        .into_iter()
        .map(|e| {
            let (action, action_zh) = match e.kind {
                EventKind::Create => ("create".to_owned(), "派发"),
                EventKind::Evidence => ("evidence".to_owned(), "上传证明材料"),
                EventKind::Act(a) => (a.as_str().to_owned(), a.name_zh()),
            };
            EventView {
                at: cst::format_unix_ms(e.at_ms),
                at_ms: e.at_ms,
                actor: e.actor,
                unit: e.unit,
                action,
                action_zh,
                text: e.text,
                state_after: e.state_after,
                state_after_zh: e.state_after.name_zh(),
            }
        })
        .collect();
    let evidence = app
        .store
        .task_evidence(id)?
        .into_iter()
        .map(evidence_view)
        .collect();
    Ok(TaskDetail {
        actions: actions(caller, &t),
        can_attach: may_attach(caller, &t),
        task: view(app, &t, now),
        events,
        evidence,
    })
}

fn evidence_view(e: EvidenceRow) -> EvidenceView {
    EvidenceView {
        id: e.id,
        file: e.file,
        bytes: e.bytes,
        sha256: e.sha256,
        taken: e.exif_ms.map(cst::format_unix_ms),
        taken_ms: e.exif_ms,
        lat: e.exif_lat,
        lon: e.exif_lon,
        verdict: e.verdict,
        verdict_zh: e.verdict.name_zh(),
        reason: e.reason,
        actor: e.actor,
        at: cst::format_unix_ms(e.at_ms),
    }
}

/// Takes an action on a task (permissions by the caller's standing towards it; the state
/// change compare-and-set); audited. Returns the task as it is now.
pub fn act(app: &App, caller: &Caller, id: i64, r: &ActRequest) -> AppResult<TaskView> {
    let t = visible(app, caller, id)?;
    let object = format!("task:{id}");
    text_ok("说明 / the text", &r.text, TEXT_CHARS_MAX)?;
    if r.action == Action::Finish
        && app.store.task_evidence(id)?.is_empty()
        && r.text.trim().chars().count() < task::TEXT_CHARS_MIN
    {
        return Err(AppError::BadRequest(
            "办结须填写处置情况 / finishing needs a text describing what was done".to_owned(),
        ));
    }
    let who = standing(caller, &t, r.action);
    let next = match task::transition(t.state, r.action, who, &r.text) {
        Ok(s) => s,
        Err(why)
            if who == Standing::Other
                || matches!(
                    (r.action, who),
                    (
                        Action::Sign | Action::Start | Action::Finish,
                        Standing::Bureau
                    ) | (
                        Action::Approve | Action::Return | Action::Reassign | Action::Escalate,
                        Standing::Assignee
                    )
                ) =>
        {
            return app.allow(
                caller,
                &format!("tasks.{}", r.action),
                &object,
                Err(AppError::Forbidden(why)),
            );
        }
        Err(why) => return Err(AppError::Conflict(why)),
    };
    let assignee = if r.action == Action::Reassign {
        let a = r
            .assignee
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| {
                AppError::BadRequest(
                    "改派须指定新的承办单位 / a reassignment needs the new assignee".to_owned(),
                )
            })?;
        if !known_unit(app, a) {
            return Err(AppError::BadRequest(format!(
                "承办单位“{a}”不在本县的乡镇和部门名单中 / the assignee {a:?} is not a township or department of the county"
            )));
        }
        Some(a.to_owned())
    } else {
        None
    };
    let now = app.clock.now_ms();
    let text = match &assignee {
        Some(a) => format!(
            "{} → {a}: {}",
            t.assignee.as_deref().unwrap_or("-"),
            r.text.trim()
        ),
        None => r.text.trim().to_owned(),
    };
    let change = TaskChange {
        expected: t.state,
        event: TaskEvent {
            id: 0,
            task_id: id,
            at_ms: now,
            actor: caller.name().to_owned(),
            unit: caller.account().and_then(|a| a.unit_id.clone()),
            kind: EventKind::Act(r.action),
            text: text.clone(),
            state_after: next,
        },
        assignee,
        escalate: r.action == Action::Escalate,
    };
    let row = app.audited(
        caller,
        &format!("tasks.{}", r.action),
        &object,
        &text,
        || Ok(app.store.change_task(&change)?),
    )?;
    Ok(view(app, &row, now))
}

/// What a JPEG's EXIF says of when and where it was taken.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PhotoMeta {
    /// Unix ms.
    pub taken_ms: Option<i64>,
    pub position: Option<(f64, f64)>,
}

/// Reads a JPEG's EXIF time (DateTimeOriginal, Beijing time unless an offset says otherwise)
/// and GPS position; nothing for other files or a photo without them.
pub fn photo_meta(bytes: &[u8]) -> PhotoMeta {
    match lantian_core::grid::exif::read(bytes) {
        None => PhotoMeta::default(),
        Some(e) => PhotoMeta {
            taken_ms: e.taken_unix_ms(),
            position: e.lat.zip(e.lon),
        },
    }
}

/// Stores an evidence file (JPEG, PNG or PDF by content, at most 10 MiB) of a task under
/// `DATA_DIR/task_evidence/ID/`; a JPEG's EXIF time and position are checked against the
/// task (after its creation, within 1 km) and the file is kept either way, flagged with the
/// reason. The assignee while handling, and the bureau; audited.
pub fn evidence(
    app: &App,
    caller: &Caller,
    id: i64,
    name: &str,
    bytes: &[u8],
) -> AppResult<EvidenceView> {
    let t = visible(app, caller, id)?;
    let object = format!("task:{id}");
    let allowed = if may_attach(caller, &t) {
        Ok(())
    } else if t.state.is_done() {
        Err(AppError::Conflict(format!(
            "任务已{}，不能再上传证明材料 / the task is {}: no more evidence",
            t.state.name_zh(),
            t.state
        )))
    } else {
        Err(AppError::Forbidden(
            "只有承办单位和分局可以上传证明材料 / only the assignee and the bureau attach evidence"
                .to_owned(),
        ))
    };
    app.allow(caller, "tasks.evidence", &object, allowed)?;
    if bytes.len() > EVIDENCE_BYTES_MAX {
        return Err(AppError::BadRequest(format!(
            "证明材料不超过 10 MiB / evidence files are at most {EVIDENCE_BYTES_MAX} bytes, this one has {}",
            bytes.len()
        )));
    }
    let ext = crate::ledger::sniff(bytes).ok_or_else(|| {
        AppError::BadRequest(
            "证明材料须为 JPEG、PNG 或 PDF / evidence must be a JPEG, PNG or PDF file".to_owned(),
        )
    })?;
    if app.store.task_evidence(id)?.len() >= EVIDENCE_FILES_MAX {
        return Err(AppError::Conflict(format!(
            "每个任务最多 {EVIDENCE_FILES_MAX} 个证明材料 / a task has at most {EVIDENCE_FILES_MAX} evidence files"
        )));
    }
    let dir = app
        .data_dir
        .clone()
        .ok_or_else(|| AppError::Unavailable("no data directory for evidence files".to_owned()))?;
    let (verdict, reason, meta) = if ext == "jpg" {
        let m = photo_meta(bytes);
        let (v, why) = task::check_photo(t.created_ms, t.lat, t.lon, m.taken_ms, m.position);
        (v, why, m)
    } else {
        (
            Verdict::Unchecked,
            "非照片，未核验时间和位置 / not a photo: time and place not checked".to_owned(),
            PhotoMeta::default(),
        )
    };
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let clean: String = stem
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_'))
        .take(80)
        .collect();
    let now = app.clock.now_ms();
    let sha = sha256_hex(bytes);
    let file = format!(
        "{now}-{}-{}.{ext}",
        &sha[..12],
        if clean.is_empty() { "evidence" } else { &clean }
    );
    let folder = dir.join("task_evidence").join(id.to_string());
    std::fs::create_dir_all(&folder)
        .map_err(|e| AppError::Internal(format!("{}: {e}", folder.display())))?;
    let path = folder.join(&file);
    std::fs::write(&path, bytes)
        .map_err(|e| AppError::Internal(format!("{}: {e}", path.display())))?;
    let row = EvidenceRow {
        id: 0,
        task_id: id,
        file: file.clone(),
        bytes: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
        sha256: sha,
        exif_ms: meta.taken_ms,
        exif_lat: meta.position.map(|p| p.0),
        exif_lon: meta.position.map(|p| p.1),
        verdict,
        reason,
        actor: caller.name().to_owned(),
        at_ms: now,
    };
    let unit = caller.account().and_then(|a| a.unit_id.clone());
    let detail = format!("{file} {}", verdict.as_str());
    let stored = app.audited(caller, "tasks.evidence", &object, &detail, || {
        Ok(app
            .store
            .add_task_evidence(&row, t.state, unit.as_deref())?)
    });
    match stored {
        Ok(eid) => Ok(evidence_view(EvidenceRow { id: eid, ..row })),
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            Err(e)
        }
    }
}

/// The bytes of an evidence file of a task the caller sees.
pub fn evidence_file(
    app: &App,
    caller: &Caller,
    id: i64,
    file: &str,
) -> AppResult<(Vec<u8>, &'static str)> {
    visible(app, caller, id)?;
    let known = app
        .store
        .task_evidence(id)?
        .into_iter()
        .any(|e| e.file == file);
    let dir = app.data_dir.clone();
    match (known, dir) {
        (true, Some(d)) => {
            let bytes = std::fs::read(d.join("task_evidence").join(id.to_string()).join(file))
                .map_err(|e| AppError::Internal(format!("evidence {file} of task {id}: {e}")))?;
            let mime = match crate::ledger::sniff(&bytes) {
                Some("pdf") => "application/pdf",
                Some("png") => "image/png",
                _ => "image/jpeg",
            };
            Ok((bytes, mime))
        }
        _ => Err(AppError::NotFound(format!("evidence {file} of task {id}"))),
    }
}

/// The overdue scan: every open task past its finishing deadline and not escalated yet is
/// escalated to the bureau (once, recorded in its timeline and the audit log as `system`).
/// Returns the ids escalated.
pub fn escalate_overdue(app: &App) -> AppResult<Vec<i64>> {
    let now = app.clock.now_ms();
    let mut out = Vec::new();
    for t in app.store.tasks_to_escalate(now)? {
        if !task::needs_escalation(t.state, t.finish_deadline_ms, t.escalated, now) {
            continue;
        }
        let hours = (now - t.finish_deadline_ms) / task::HOUR_MS;
        let text = format!(
            "超过办结期限（{} 北京时间）{hours} 小时，升级至分局 / {hours} h past the finishing deadline ({} Beijing time), escalated to the bureau",
            cst::format_unix_ms(t.finish_deadline_ms),
            cst::format_unix_ms(t.finish_deadline_ms)
        );
        let change = TaskChange {
            expected: t.state,
            event: TaskEvent {
                id: 0,
                task_id: t.id,
                at_ms: now,
                actor: SYSTEM_ACTOR.to_owned(),
                unit: None,
                kind: EventKind::Act(Action::Escalate),
                text: text.clone(),
                state_after: t.state,
            },
            assignee: None,
            escalate: true,
        };
        let row = lantian_store::AuditRow {
            at_ms: now,
            actor: SYSTEM_ACTOR.to_owned(),
            action: "tasks.escalate".to_owned(),
            object: format!("task:{}", t.id),
            detail: text,
            source: SYSTEM_ACTOR.to_owned(),
        };
        match app.store.audited(row, || -> AppResult<_> {
            Ok(app.store.change_task(&change)?)
        }) {
            Ok(_) => out.push(t.id),
            // Acted on meanwhile (finished, or escalated by a concurrent scan): nothing to do.
            Err(AppError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// [`escalate_overdue`] run by hand (the bureau and administrators).
pub fn escalate(app: &App, caller: &Caller) -> AppResult<Vec<i64>> {
    app.allow(
        caller,
        "tasks.escalate",
        "overdue",
        caller.require_role(policy::MANAGE).map(drop),
    )?;
    escalate_overdue(app)
}

/// A row of the statistics by township.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatsRow {
    pub township: String,
    pub township_name: String,
    /// `YYYY-MM`, or `all` for the whole span.
    pub month: String,
    #[serde(flatten)]
    pub stats: task::Stats,
}

/// Statistics by township (every township of the county, those without tasks with zero)
/// and month of creation (Beijing time), over `from ..= to` (default: this month).
pub fn stats(
    app: &App,
    caller: &Caller,
    from: Option<Month>,
    to: Option<Month>,
) -> AppResult<Vec<StatsRow>> {
    let units = visible_units(caller)?;
    let today = app.clock.today();
    let to = to.unwrap_or(Month::of(today));
    let from = from.unwrap_or(to);
    if from > to {
        return Err(AppError::BadRequest(format!(
            "统计起始月 {from} 晚于结束月 {to} / from {from} is after to {to}"
        )));
    }
    let mut months = vec![from];
    while let Some(&m) = months.last() {
        if m >= to || months.len() > 120 {
            break;
        }
        months.push(Month::of(m.first_day().add_days(i64::from(m.n_days()))));
    }
    if months.last() != Some(&to) {
        return Err(AppError::BadRequest(
            "统计跨度不超过 10 年 / statistics cover at most 10 years".to_owned(),
        ));
    }
    let end = to.first_day().add_days(i64::from(to.n_days()));
    let rows = app.store.tasks(&TaskFilter {
        from_ms: Some(cst::to_unix_ms(cst::day_start(from.first_day()))),
        to_ms: Some(cst::to_unix_ms(cst::day_start(end))),
        units: units.clone(),
        ..TaskFilter::default()
    })?;
    let now = app.clock.now_ms();
    let townships: Vec<(String, String)> = app
        .county
        .units
        .iter()
        .filter(|u| units.as_ref().is_none_or(|v| v.contains(&u.id)))
        .map(|u| (u.id.clone(), u.name_zh.clone()))
        .collect();
    let mut out = Vec::new();
    for m in &months {
        for (id, name) in &townships {
            let times: Vec<TaskTimes> = rows
                .iter()
                .filter(|t| t.township.as_deref() == Some(id.as_str()))
                .filter(|t| Month::of(cst::today(t.created_ms)) == *m)
                .map(|t| TaskTimes {
                    state: t.state,
                    created_ms: t.created_ms,
                    finish_deadline_ms: t.finish_deadline_ms,
                    finished_ms: t.finished_ms,
                    closed_ms: t.closed_ms,
                    escalated: t.escalated,
                })
                .collect();
            out.push(StatsRow {
                township: id.clone(),
                township_name: name.clone(),
                month: m.to_string(),
                stats: task::stats(&times, now),
            });
        }
    }
    Ok(out)
}

/// The columns of the task list's export (times in 北京时间).
pub const EXPORT_COLUMNS: [&str; 14] = [
    "编号",
    "来源",
    "标题",
    "乡镇",
    "承办单位",
    "状态",
    "纬度",
    "经度",
    "发生时间（北京时间）",
    "派发时间（北京时间）",
    "办结期限（北京时间）",
    "审核通过（北京时间）",
    "超期",
    "升级",
];

/// The rows of the export, one per task, as text.
pub fn export_rows(views: &[TaskView]) -> Vec<Vec<String>> {
    views
        .iter()
        .map(|v| {
            vec![
                v.id.to_string(),
                v.source_zh.to_owned(),
                v.title.clone(),
                v.township_name.clone().unwrap_or_default(),
                v.assignee_name.clone().unwrap_or_default(),
                v.state_zh.to_owned(),
                format!("{:.5}", v.lat),
                format!("{:.5}", v.lon),
                v.occurred.clone(),
                v.created.clone(),
                v.deadline.clone(),
                v.closed.clone().unwrap_or_default(),
                match v.overdue {
                    Some(Overdue::Finish) => "超期未办结".to_owned(),
                    Some(Overdue::Sign) => "超期未签收".to_owned(),
                    None => String::new(),
                },
                if v.escalated { "是" } else { "" }.to_owned(),
            ]
        })
        .collect()
}

/// The task list as an Excel workbook under the county's title.
pub fn export_xlsx(app: &App, caller: &Caller, q: &ListQuery) -> AppResult<Vec<u8>> {
    let views = list(app, caller, q)?;
    let rows = export_rows(&views);
    let title = format!(
        "{}网格任务清单（导出于 {} 北京时间）",
        app.county.profile.name_zh,
        cst::format_unix_ms(app.clock.now_ms())
    );
    let columns: Vec<(&str, f64)> = EXPORT_COLUMNS
        .iter()
        .map(|c| (*c, if *c == "标题" { 30.0 } else { 14.0 }))
        .collect();
    crate::table_xlsx::write(&crate::table_xlsx::Table {
        title: &title,
        sheet: "网格任务",
        columns: &columns,
        rows: &rows,
        merges: &[],
    })
    .map_err(AppError::Internal)
}

/// The task list as CSV (UTF-8 with a BOM, for Excel), the columns of the xlsx.
pub fn export_csv(app: &App, caller: &Caller, q: &ListQuery) -> AppResult<Vec<u8>> {
    let rows = export_rows(&list(app, caller, q)?);
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let e = |e: csv::Error| AppError::Internal(format!("task list CSV: {e}"));
    w.write_record(EXPORT_COLUMNS).map_err(e)?;
    for r in rows {
        w.write_record(
            r.iter()
                .map(|c| crate::table_xlsx::text_cell(c).into_owned()),
        )
        .map_err(e)?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(format!("task list CSV: {e}")))
}

/// A point of the map: where a task is, its state and source, when it was created.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MapPoint {
    pub id: i64,
    pub lat: f64,
    pub lon: f64,
    pub source: Source,
    pub state: State,
    pub township: Option<String>,
    pub created_ms: i64,
    /// 北京时间.
    pub created: String,
    pub overdue: bool,
}

/// The map's points of the tasks the caller sees, as the query narrows them.
pub fn map_points(app: &App, caller: &Caller, q: &ListQuery) -> AppResult<Vec<MapPoint>> {
    Ok(list(app, caller, q)?
        .into_iter()
        .map(|v| MapPoint {
            id: v.id,
            lat: v.lat,
            lon: v.lon,
            source: v.source,
            state: v.state,
            township: v.township,
            created_ms: v.created_ms,
            created: v.created,
            overdue: v.overdue.is_some(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{Account, Clock, County};
    use lantian_store::Store;
    use std::sync::Arc;

    const T0_MS: i64 = 1_780_000_000_000;
    const H: i64 = task::HOUR_MS;

    fn app(tag: &str, now_ms: i64) -> App {
        let dir =
            std::env::temp_dir().join(format!("lantian-app-tasks-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Arc::new(Store::open_data_dir(&dir).unwrap());
        App::new(
            store,
            Clock::Fixed { unix_ms: now_ms },
            Arc::new(County::xinji()),
            Some(dir),
        )
    }

    fn at(a: &App, now_ms: i64) -> App {
        App {
            clock: Clock::Fixed { unix_ms: now_ms },
            ..a.clone()
        }
    }

    fn who(name: &str, role: Role, unit: Option<&str>) -> Caller {
        Caller::Account(Account {
            username: name.into(),
            role,
            unit_id: unit.map(str::to_owned),
            unit_kind: None,
            source: "test".into(),
        })
    }

    fn fire(lat: f64, lon: f64) -> NewTask {
        NewTask {
            source: Source::FirePoint,
            title: "秸秆焚烧火点".into(),
            detail: String::new(),
            lat,
            lon,
            occurred_ms: T0_MS - H,
            source_ref: Some("viirs-1".into()),
            assignee: None,
        }
    }

    #[test]
    fn tasks_go_to_the_township_they_lie_in_and_points_outside_are_refused_with_the_reason() {
        let a = app("locate", T0_MS);
        // Each township's seat lies in its own (Voronoi) cell.
        for u in a.county.units.iter().filter(|u| u.lat.is_some()) {
            let v = create_system(&a, fire(u.lat.unwrap(), u.lon.unwrap())).unwrap();
            assert_eq!(v.township.as_deref(), Some(u.id.as_str()), "{}", u.id);
            assert_eq!(v.assignee.as_deref(), Some(u.id.as_str()));
            assert_eq!(v.state, State::Dispatched);
            assert_eq!(
                v.finish_deadline_ms,
                T0_MS + 24 * H,
                "a fire point has 24 h"
            );
            assert_eq!(v.sign_deadline_ms, T0_MS + 2 * H);
        }
        // Beijing's Tiananmen: far outside, refused naming the distance and the nearest unit.
        match create_system(&a, fire(39.9087, 116.3975)) {
            Err(AppError::BadRequest(m)) => {
                assert!(
                    m.contains("outside the county") && m.contains(" km from the nearest township"),
                    "{m}"
                )
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        for (lat, lon) in [(f64::NAN, 115.0), (95.0, 115.0), (38.0, 190.0)] {
            assert!(matches!(
                create_system(&a, fire(lat, lon)),
                Err(AppError::BadRequest(_))
            ));
        }
        let bad = NewTask {
            title: " ".into(),
            ..fire(37.99, 115.40)
        };
        assert!(matches!(
            create_system(&a, bad),
            Err(AppError::BadRequest(_))
        ));
        let unknown = NewTask {
            assignee: Some("nowhere".into()),
            ..fire(37.99, 115.40)
        };
        assert!(
            matches!(create_system(&a, unknown), Err(AppError::BadRequest(m)) if m.contains("nowhere"))
        );
        // A department as assignee: the township stays the point's.
        let dept = a.county.departments[0].name_zh.clone();
        let v = create_system(
            &a,
            NewTask {
                assignee: Some(dept.clone()),
                ..fire(37.99, 115.40)
            },
        )
        .unwrap();
        assert_eq!(
            (v.township.as_deref(), v.assignee.as_deref()),
            (Some("wangkou"), Some(dept.as_str()))
        );
        // The public and enterprises create nothing.
        assert!(matches!(
            create(&a, &Caller::Public, fire(37.99, 115.40)),
            Err(AppError::Unauthorized)
        ));
        assert!(matches!(
            create(
                &a,
                &who("e", Role::Enterprise, Some("e1")),
                fire(37.99, 115.40)
            ),
            Err(AppError::Forbidden(_))
        ));
        let audit = a.store.audit_events(100).unwrap();
        assert!(
            audit
                .iter()
                .any(|r| r.actor == SYSTEM_ACTOR && r.action == "tasks.create")
        );
    }

    #[test]
    fn the_state_machine_runs_as_the_township_and_the_bureau_with_a_return_and_a_redo() {
        let a = app("flow", T0_MS);
        let bureau = who("bureau", Role::Bureau, Some("市生态环境局"));
        let wangkou = who("wk", Role::Township, Some("wangkou"));
        let other = who("xj", Role::Township, Some("xinji"));
        let t = create(&a, &bureau, fire(37.99, 115.40)).unwrap();
        let act_ = |c: &Caller, action, text: &str| {
            act(
                &a,
                c,
                t.id,
                &ActRequest {
                    action,
                    text: text.into(),
                    assignee: None,
                },
            )
        };
        // (caller, action, text, expected state or the error's kind)
        let steps: Vec<(&Caller, Action, &str, Result<State, &str>)> = vec![
            (&other, Action::Sign, "", Err("not found")),
            (&bureau, Action::Sign, "", Err("forbidden")),
            (&wangkou, Action::Approve, "", Err("forbidden")),
            (&wangkou, Action::Sign, "", Ok(State::Signed)),
            (&wangkou, Action::Sign, "", Err("conflict")),
            (&wangkou, Action::Start, "", Ok(State::Handling)),
            (&wangkou, Action::Finish, "", Err("bad request")),
            (
                &wangkou,
                Action::Finish,
                "已扑灭并清理",
                Ok(State::Finished),
            ),
            (&bureau, Action::Return, "", Err("conflict")),
            (&bureau, Action::Return, "缺少现场照片", Ok(State::Returned)),
            (&wangkou, Action::Start, "", Ok(State::Handling)),
            (&wangkou, Action::Finish, "补充照片", Ok(State::Finished)),
            (&bureau, Action::Approve, "", Ok(State::Approved)),
            (&bureau, Action::Reassign, "改派", Err("conflict")),
        ];
        for (c, action, text, want) in steps {
            let got = act_(c, action, text);
            match (&got, want) {
                (Ok(v), Ok(s)) => assert_eq!(v.state, s, "{action}"),
                (Err(AppError::NotFound(_)), Err("not found"))
                | (Err(AppError::Forbidden(_)), Err("forbidden"))
                | (Err(AppError::Conflict(_)), Err("conflict"))
                | (Err(AppError::BadRequest(_)), Err("bad request")) => {}
                _ => panic!("{} {action}: got {got:?}, want {want:?}", c.name()),
            }
        }
        let d = one(&a, &wangkou, t.id).unwrap();
        let acts: Vec<&str> = d.events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            acts,
            [
                "create", "sign", "start", "finish", "return", "start", "finish", "approve"
            ]
        );
        assert!(d.actions.is_empty() && !d.can_attach);
        assert_eq!(d.task.closed_ms, Some(T0_MS));
        // The other township does not see it; the bureau sees everything.
        assert!(list(&a, &other, &ListQuery::default()).unwrap().is_empty());
        assert_eq!(list(&a, &bureau, &ListQuery::default()).unwrap().len(), 1);
        assert!(matches!(
            list(&a, &Caller::Public, &ListQuery::default()),
            Err(AppError::Unauthorized)
        ));
        let audited = a.store.audit_events(100).unwrap();
        assert!(
            audited
                .iter()
                .any(|r| r.action == "tasks.return" && r.actor == "bureau")
        );
        assert!(
            audited
                .iter()
                .any(|r| r.action == "denied.tasks.sign" && r.actor == "bureau")
        );
    }

    #[test]
    fn overdue_tasks_are_escalated_once_and_reassignment_moves_them() {
        let a = app("escalate", T0_MS);
        let bureau = who("bureau", Role::Bureau, None);
        let t1 = create_system(&a, fire(37.99, 115.40)).unwrap();
        let dust = NewTask {
            source: Source::Dust,
            ..fire(37.943, 115.218)
        };
        let t2 = create_system(&a, dust).unwrap();
        assert_eq!(t2.finish_deadline_ms, T0_MS + 48 * H);
        // At 25 h the fire point (24 h) is overdue, the dust task (48 h) not.
        let later = at(&a, T0_MS + 25 * H);
        assert_eq!(escalate_overdue(&later).unwrap(), vec![t1.id]);
        assert_eq!(escalate_overdue(&later).unwrap(), Vec::<i64>::new(), "once");
        let d = one(&later, &bureau, t1.id).unwrap();
        assert!(d.task.escalated);
        assert_eq!(d.task.overdue, Some(Overdue::Finish));
        assert!(
            d.events
                .iter()
                .any(|e| e.action == "escalate" && e.actor == SYSTEM_ACTOR)
        );
        let q = ListQuery {
            overdue: Some(true),
            ..ListQuery::default()
        };
        // The dust task is not signed 4 h on: overdue to sign, not escalated.
        let overdue: Vec<(i64, Option<Overdue>, bool)> = list(&later, &bureau, &q)
            .unwrap()
            .iter()
            .map(|v| (v.id, v.overdue, v.escalated))
            .collect();
        assert_eq!(
            overdue,
            vec![
                (t2.id, Some(Overdue::Sign), false),
                (t1.id, Some(Overdue::Finish), true)
            ]
        );
        // Reassigned to another township: its accounts now see and sign it.
        let r = ActRequest {
            action: Action::Reassign,
            text: "属辛集镇".into(),
            assignee: Some("xinji".into()),
        };
        let v = act(&later, &bureau, t1.id, &r).unwrap();
        assert_eq!(
            (v.assignee.as_deref(), v.state),
            (Some("xinji"), State::Dispatched)
        );
        let xj = who("xj", Role::Township, Some("xinji"));
        let s = ActRequest {
            action: Action::Sign,
            text: String::new(),
            assignee: None,
        };
        assert_eq!(act(&later, &xj, t1.id, &s).unwrap().state, State::Signed);
    }

    #[test]
    fn statistics_list_every_township_and_count_closing_times() {
        let a = app("stats", T0_MS);
        let bureau = who("bureau", Role::Bureau, None);
        let wk = who("wk", Role::Township, Some("wangkou"));
        let t = create_system(&a, fire(37.99, 115.40)).unwrap();
        create_system(&a, fire(37.99, 115.40)).unwrap();
        let go = |app: &App, c: &Caller, action, text: &str| {
            act(
                app,
                c,
                t.id,
                &ActRequest {
                    action,
                    text: text.into(),
                    assignee: None,
                },
            )
            .unwrap()
        };
        go(&a, &wk, Action::Sign, "");
        go(&a, &wk, Action::Start, "");
        go(&at(&a, T0_MS + 3 * H), &wk, Action::Finish, "已处置");
        go(&at(&a, T0_MS + 6 * H), &bureau, Action::Approve, "");
        let rows = stats(&at(&a, T0_MS + 30 * H), &bureau, None, None).unwrap();
        assert_eq!(
            rows.len(),
            a.county.units.len(),
            "every township, with or without tasks"
        );
        let w = rows.iter().find(|r| r.township == "wangkou").unwrap();
        assert_eq!(
            (w.stats.count, w.stats.closed, w.stats.open, w.stats.overdue),
            (2, 1, 1, 1)
        );
        assert_eq!(w.stats.median_hours_to_close, Some(6.0));
        assert!(
            rows.iter()
                .filter(|r| r.township != "wangkou")
                .all(|r| r.stats.count == 0)
        );
        // A township sees its own row only.
        let own = stats(&a, &wk, None, None).unwrap();
        assert_eq!(
            own.iter().map(|r| r.township.as_str()).collect::<Vec<_>>(),
            ["wangkou"]
        );
        let bytes = export_xlsx(&a, &bureau, &ListQuery::default()).unwrap();
        assert!(bytes.starts_with(b"PK"));
        let rows = export_rows(&list(&a, &bureau, &ListQuery::default()).unwrap());
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1][0], t.id.to_string());
        assert_eq!(rows[1][5], "审核通过");
    }

    /// A tiny JPEG whose EXIF says when (`YYYY:MM:DD HH:MM:SS`, Beijing time) and where
    /// (north and east degrees) it was taken: SOI, APP1 `Exif` with IFD0 → Exif IFD
    /// (DateTimeOriginal) and GPS IFD (N/E references, degrees/minutes/seconds), EOI.
    fn jpeg_with_exif(taken: &str, lat: f64, lon: f64) -> Vec<u8> {
        fn dms(x: f64) -> Vec<u8> {
            let d = x.trunc();
            let m = ((x - d) * 60.0).trunc();
            let s_100 = (((x - d) * 60.0 - m) * 60.0 * 100.0).round();
            let mut out = Vec::new();
            for (n, den) in [(d as u32, 1u32), (m as u32, 1), (s_100 as u32, 100)] {
                out.extend(n.to_le_bytes());
                out.extend(den.to_le_bytes());
            }
            out
        }
        // Layout (offsets from the TIFF header): header 8, IFD0 at 8 (2 entries), Exif IFD
        // at 38 (1 entry), GPS IFD at 56 (4 entries), then the data: the time at 110, the
        // latitude at 130, the longitude at 154.
        let entry = |tag: u16, typ: u16, count: u32, value: u32| {
            let mut e = Vec::new();
            e.extend(tag.to_le_bytes());
            e.extend(typ.to_le_bytes());
            e.extend(count.to_le_bytes());
            e.extend(value.to_le_bytes());
            e
        };
        let mut t = b"II*\0".to_vec();
        t.extend(8u32.to_le_bytes());
        t.extend(2u16.to_le_bytes());
        t.extend(entry(0x8769, 4, 1, 38));
        t.extend(entry(0x8825, 4, 1, 56));
        t.extend(0u32.to_le_bytes());
        assert_eq!(t.len(), 38);
        t.extend(1u16.to_le_bytes());
        t.extend(entry(0x9003, 2, 20, 110));
        t.extend(0u32.to_le_bytes());
        assert_eq!(t.len(), 56);
        t.extend(4u16.to_le_bytes());
        t.extend(entry(1, 2, 2, u32::from(b'N')));
        t.extend(entry(2, 5, 3, 130));
        t.extend(entry(3, 2, 2, u32::from(b'E')));
        t.extend(entry(4, 5, 3, 154));
        t.extend(0u32.to_le_bytes());
        assert_eq!(t.len(), 110);
        let mut time = taken.as_bytes().to_vec();
        time.push(0);
        assert_eq!(time.len(), 20);
        t.extend(time);
        t.extend(dms(lat));
        t.extend(dms(lon));
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(t);
        let mut j = vec![0xFF, 0xD8, 0xFF, 0xE1];
        j.extend(u16::try_from(app1.len() + 2).unwrap().to_be_bytes());
        j.extend(app1);
        j.extend([0xFF, 0xD9]);
        j
    }

    #[test]
    fn a_photo_s_exif_time_and_place_are_checked_against_its_task() {
        let a = app("exif", T0_MS);
        let wk = who("wk", Role::Township, Some("wangkou"));
        let t = create_system(&a, fire(37.99, 115.40)).unwrap();
        let created = cst::format_unix_ms(T0_MS);
        // T0 is the creation; photos an hour after (same place), a day before, 3 km away.
        let hour_after = cst::format_unix_ms(T0_MS + H).replace('-', ":") + ":00";
        let day_before = cst::format_unix_ms(T0_MS - 24 * H).replace('-', ":") + ":00";
        let cases = [
            (hour_after.clone(), 37.99, 115.40, Verdict::Consistent, ""),
            (
                day_before,
                37.99,
                115.40,
                Verdict::Flagged,
                "before the task was created",
            ),
            (
                hour_after,
                38.017,
                115.40,
                Verdict::Flagged,
                "m from the task's point",
            ),
        ];
        for (taken, lat, lon, want, why) in cases {
            let jpeg = jpeg_with_exif(&taken, lat, lon);
            let m = photo_meta(&jpeg);
            assert!(
                m.taken_ms.is_some() && m.position.is_some(),
                "{taken}: {m:?} ({created})"
            );
            let e = evidence(&a, &wk, t.id, "现场.jpg", &jpeg).unwrap();
            assert_eq!(e.verdict, want, "{taken} {lat}: {}", e.reason);
            assert!(e.reason.contains(why), "{:?} should say {why:?}", e.reason);
            let (plat, plon) = (e.lat.unwrap(), e.lon.unwrap());
            assert!((plat - lat).abs() < 1e-4 && (plon - lon).abs() < 1e-4);
        }
    }

    #[test]
    fn evidence_is_sniffed_limited_kept_and_checked() {
        let a = app("evidence", T0_MS);
        let wk = who("wk", Role::Township, Some("wangkou"));
        let t = create_system(&a, fire(37.99, 115.40)).unwrap();
        let pdf = b"%PDF-1.4 test".to_vec();
        let e = evidence(&a, &wk, t.id, "report.pdf", &pdf).unwrap();
        assert_eq!(e.verdict, Verdict::Unchecked);
        assert_eq!(e.sha256, sha256_hex(&pdf));
        let (bytes, mime) = evidence_file(&a, &wk, t.id, &e.file).unwrap();
        assert_eq!((bytes, mime), (pdf, "application/pdf"));
        assert!(matches!(
            evidence(&a, &wk, t.id, "x.exe", b"MZ\x90\x00"),
            Err(AppError::BadRequest(_))
        ));
        let huge = vec![0u8; EVIDENCE_BYTES_MAX + 1];
        assert!(matches!(
            evidence(&a, &wk, t.id, "big.jpg", &huge),
            Err(AppError::BadRequest(_))
        ));
        let xj = who("xj", Role::Township, Some("xinji"));
        assert!(matches!(
            evidence(&a, &xj, t.id, "r.pdf", b"%PDF-1.4"),
            Err(AppError::NotFound(_))
        ));
        assert!(matches!(
            evidence_file(&a, &wk, t.id, "../../lantian.db"),
            Err(AppError::NotFound(_))
        ));
        let d = one(&a, &wk, t.id).unwrap();
        assert_eq!(d.evidence.len(), 1);
        assert!(d.events.iter().any(|e| e.action == "evidence"));
    }
}
