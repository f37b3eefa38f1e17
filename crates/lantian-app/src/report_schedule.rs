//! Periodic reports made and kept (issue 17): the bureau makes a report's file by hand or
//! sets a schedule (日报 / 周报 / 月报 of the city or a township, xlsx and/or PDF, from a
//! Beijing hour on); `lantian serve` calls [`run_due`] hourly, which makes every scheduled
//! report of the last ended period not made yet. Files are listed and downloaded by whoever
//! may read the report of their scope.

use crate::caller::policy;
use crate::data::Scope;
use crate::error::{AppError, AppResult};
use crate::periodic_report::{self, Kind, Period, file_name, parse_scope};
use crate::{App, Caller};
use lantian_core::cst;
use lantian_store::report_files::{NewReportFile, ReportFile, ReportSchedule};
use lantian_store::{Page, Paged, View};
use serde::Deserialize;

/// The formats a report file may have.
pub const FORMATS: [&str; 2] = ["xlsx", "pdf"];
/// Files listed at most.
pub const FILES_LISTED_MAX: i64 = 500;
/// Who made a scheduled file, in the file list and the audit log.
pub const SCHEDULER: &str = "system";

fn may_manage(caller: &Caller) -> AppResult<()> {
    caller.require()?;
    if caller.role().is_some_and(|r| policy::MANAGE.contains(&r)) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "只有生态环境局和管理员可以生成报告和设置报告计划 / only the bureau and administrators make reports and set their schedules".into(),
        ))
    }
}

/// The formats of a list (`xlsx,pdf`), checked; at least one.
fn formats(text: &str) -> AppResult<String> {
    let mut out: Vec<&str> = Vec::new();
    for f in text.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        if !FORMATS.contains(&f) {
            return Err(AppError::BadRequest(format!(
                "格式 {f:?} 无效，应为 xlsx 或 pdf / format {f:?}: expected xlsx or pdf"
            )));
        }
        if !out.contains(&f) {
            out.push(f);
        }
    }
    if out.is_empty() {
        return Err(AppError::BadRequest(
            "至少选择一种格式（xlsx、pdf） / choose at least one format (xlsx, pdf)".into(),
        ));
    }
    Ok(out.join(","))
}

fn hour(h: i64) -> AppResult<i64> {
    if (0..24).contains(&h) {
        Ok(h)
    } else {
        Err(AppError::BadRequest(format!(
            "生成时刻 {h} 无效，应为 0–23（北京时间） / hour {h}: expected 0–23 (Beijing time)"
        )))
    }
}

/// A schedule to add or change.
#[derive(Clone, Debug, Deserialize)]
pub struct ScheduleInput {
    /// `daily`, `weekly` or `monthly` (ignored when changing).
    #[serde(default)]
    pub kind: Option<String>,
    /// `city` or `unit:ID` (ignored when changing).
    #[serde(default)]
    pub scope: Option<String>,
    /// `xlsx`, `pdf` or `xlsx,pdf`.
    pub formats: String,
    /// The Beijing hour (0–23) from which the last ended period's report is made.
    pub hour_cst: i64,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// The schedules (the bureau and administrators).
pub fn schedules(app: &App, caller: &Caller) -> AppResult<Vec<ReportSchedule>> {
    app.allow(caller, "reports.schedules", "", may_manage(caller))?;
    Ok(app.store.report_schedules()?)
}

/// Adds a schedule (audited).
pub fn add_schedule(
    app: &App,
    caller: &Caller,
    input: &ScheduleInput,
) -> AppResult<ReportSchedule> {
    app.allow(caller, "reports.schedule", "", may_manage(caller))?;
    let kind = Kind::parse(input.kind.as_deref().unwrap_or(""))?;
    let scope = parse_scope(input.scope.as_deref().unwrap_or(""))?;
    check_scope(app, &scope)?;
    let s = ReportSchedule {
        id: 0,
        kind: kind.as_str().to_owned(),
        scope: scope.to_string(),
        formats: formats(&input.formats)?,
        hour_cst: hour(input.hour_cst)?,
        enabled: input.enabled,
        created_by: caller.name().to_owned(),
        created_ms: app.clock.now_ms(),
    };
    let detail = format!("{} {} {} {}时", s.kind, s.scope, s.formats, s.hour_cst);
    app.audited(
        caller,
        "reports.schedule",
        &format!("{}:{}", s.kind, s.scope),
        &detail,
        || {
            app.store.insert_report_schedule(&s).map_err(|e| match e {
                lantian_store::StoreError::Conflict { .. } => AppError::Conflict(format!(
                    "{} {} 已有报告计划，请修改原计划 / {} {} has a schedule already: change it",
                    kind.name_zh(),
                    s.scope,
                    kind.as_str(),
                    s.scope
                )),
                o => o.into(),
            })
        },
    )
}

/// Changes a schedule's formats, hour and whether it runs (audited).
pub fn update_schedule(
    app: &App,
    caller: &Caller,
    id: i64,
    input: &ScheduleInput,
) -> AppResult<ReportSchedule> {
    app.allow(
        caller,
        "reports.schedule",
        &id.to_string(),
        may_manage(caller),
    )?;
    let (f, h) = (formats(&input.formats)?, hour(input.hour_cst)?);
    let detail = format!("{f} {h}时 {}", if input.enabled { "启用" } else { "停用" });
    app.audited(
        caller,
        "reports.schedule.update",
        &id.to_string(),
        &detail,
        || Ok(app.store.update_report_schedule(id, &f, h, input.enabled)?),
    )
}

/// Removes a schedule (audited); its files stay.
pub fn delete_schedule(app: &App, caller: &Caller, id: i64) -> AppResult<ReportSchedule> {
    app.allow(
        caller,
        "reports.schedule",
        &id.to_string(),
        may_manage(caller),
    )?;
    app.audited(
        caller,
        "reports.schedule.delete",
        &id.to_string(),
        "",
        || Ok(app.store.delete_report_schedule(id)?),
    )
}

/// A unit scope names a township-level unit.
fn check_scope(app: &App, scope: &Scope) -> AppResult<()> {
    if let Scope::Unit(id) = scope
        && !app
            .store
            .admin_units()?
            .iter()
            .any(|u| u.id == *id && u.kind.is_township_level())
    {
        return Err(AppError::NotFound(format!(
            "没有乡镇级单位 {id} / no township-level unit {id}"
        )));
    }
    Ok(())
}

/// Makes and stores the files of one report (by hand: the bureau; audited). A file of the
/// same kind, scope, period and format is replaced (after corrections, say).
pub fn make(
    app: &App,
    caller: &Caller,
    kind: Kind,
    scope: &Scope,
    period: Period,
    view: View,
    formats_text: &str,
) -> AppResult<Vec<ReportFile>> {
    app.allow(
        caller,
        "reports.make",
        &scope.to_string(),
        may_manage(caller),
    )?;
    let fs = formats(formats_text)?;
    let r = periodic_report::build(app, scope, period, view)?;
    let mut out = Vec::new();
    for f in fs.split(',') {
        let new = new_file(app, &r, kind, f, caller.name(), None)?;
        let object = new.name.clone();
        out.push(
            app.audited(caller, "reports.make", &object, &new.title, || {
                Ok(app.store.put_report_file(&new)?)
            })?,
        );
    }
    Ok(out)
}

fn new_file(
    app: &App,
    r: &periodic_report::PeriodicReport,
    kind: Kind,
    format: &str,
    by: &str,
    schedule_id: Option<i64>,
) -> AppResult<NewReportFile> {
    let (bytes, _) = periodic_report::render(r, format)?;
    Ok(NewReportFile {
        kind: kind.as_str().to_owned(),
        scope: r.scope.clone(),
        period: r.period.clone(),
        format: format.to_owned(),
        name: file_name(kind, &r.scope, &r.period, format),
        title: r.title_zh.clone(),
        view: match r.view {
            View::Raw => "raw",
            View::Audited => "audited",
        }
        .to_owned(),
        bytes,
        generated_ms: app.clock.now_ms(),
        generated_by: by.to_owned(),
        schedule_id,
    })
}

/// Whether the caller may read reports of `scope` (quietly: for lists).
fn reads(caller: &Caller, scope: &str) -> bool {
    parse_scope(scope).is_ok_and(|s| periodic_report::may_read(caller, &s).is_ok())
}

/// A page of the files the caller may read, newest first, and how many there are (the page
/// is cut in SQL, among the scopes the caller reads).
pub fn files_page(app: &App, caller: &Caller, page: Page) -> AppResult<Paged<ReportFile>> {
    app.allow(
        caller,
        "reports.files",
        "",
        periodic_report::may_read(caller, &Scope::City),
    )?;
    let stored = app.store.report_file_scopes()?;
    let readable: Vec<String> = stored
        .iter()
        .filter(|s| reads(caller, s))
        .cloned()
        .collect();
    let scopes = (readable.len() < stored.len()).then_some(readable);
    Ok(app.store.report_files_page(scopes.as_deref(), page)?)
}

/// The files the caller may read, newest first.
pub fn files(app: &App, caller: &Caller) -> AppResult<Vec<ReportFile>> {
    app.allow(
        caller,
        "reports.files",
        "",
        periodic_report::may_read(caller, &Scope::City),
    )?;
    Ok(app
        .store
        .report_files(FILES_LISTED_MAX)?
        .into_iter()
        .filter(|f| reads(caller, &f.scope))
        .collect())
}

/// One file and its bytes, for a caller who may read its scope's reports.
pub fn file(app: &App, caller: &Caller, id: i64) -> AppResult<(ReportFile, Vec<u8>)> {
    caller.require()?;
    let (f, bytes) = app.store.report_file_bytes(id)?;
    let scope = parse_scope(&f.scope)?;
    app.allow(
        caller,
        "reports.file",
        &id.to_string(),
        periodic_report::may_read(caller, &scope),
    )?;
    Ok((f, bytes))
}

/// What one scheduled run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunOutcome {
    pub made: Vec<String>,
    /// A schedule whose report could not be made, and why (the next run tries again).
    pub failed: Vec<String>,
}

/// Makes every enabled schedule's report of the last ended period, from its hour on, in
/// each of its formats not made yet (audited as the system). Called hourly by
/// `lantian serve`.
pub fn run_due(app: &App) -> AppResult<RunOutcome> {
    let now = app.clock.now_cst();
    let today = cst::date_of(now);
    let hour_now = (now - cst::day_start(today)) / cst::HOUR_S;
    let mut out = RunOutcome::default();
    for s in app.store.report_schedules()? {
        if !s.enabled || hour_now < s.hour_cst {
            continue;
        }
        let made = (|| -> AppResult<Vec<String>> {
            let kind = Kind::parse(&s.kind)?;
            let scope = parse_scope(&s.scope)?;
            let period = Period::last_ended(kind, today);
            let mut missing = Vec::new();
            for f in s.formats.split(',') {
                if !app
                    .store
                    .has_report_file(&s.kind, &s.scope, &period.key(), f)?
                {
                    missing.push(f);
                }
            }
            if missing.is_empty() {
                return Ok(Vec::new());
            }
            let r = periodic_report::build(app, &scope, period, View::Audited)?;
            let mut names = Vec::new();
            for f in missing {
                let new = new_file(app, &r, kind, f, SCHEDULER, Some(s.id))?;
                let row = lantian_store::AuditRow {
                    at_ms: app.clock.now_ms(),
                    actor: SCHEDULER.to_owned(),
                    action: "reports.make".to_owned(),
                    object: new.name.clone(),
                    detail: format!("计划 {} / schedule {}", s.id, s.id),
                    source: "schedule".to_owned(),
                };
                app.store
                    .audited(row, || Ok::<_, AppError>(app.store.put_report_file(&new)?))?;
                names.push(new.name);
            }
            Ok(names)
        })();
        match made {
            Ok(names) => out.made.extend(names),
            Err(e) => out.failed.push(format!("{} {}: {e}", s.kind, s.scope)),
        }
    }
    Ok(out)
}
