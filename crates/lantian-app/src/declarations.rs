//! Enterprise declarations (issue 22; docs/declarations.md): an enterprise (its own outlets)
//! or its operations contractor (the outlets it operates) declares 停运 / 停产 / 检修 / 因子异常 /
//! 长期停产 for outlets and a period in Beijing time, with a reason and files (PDF, JPEG or
//! PNG by content); the bureau approves or rejects with a reason; the declarer withdraws
//! while pending. A declaration made after its period began beyond the kind's grace is
//! flagged late (setting `declaration_config`). Approved declarations mark the hours they
//! cover: the integrity scan raises no CEMS alarm for them and the emissions rows show them
//! as declared with no exceedance verdict ([`coverage`]). Statistics per enterprise for the
//! bureau. Townships, departments and the public see nothing of it.
//!
//! The permissions of this domain are the functions of [`access`], called by every use case
//! here and nowhere else.

use crate::error::{AppError, AppResult};
use crate::{App, Caller};
use lantian_core::declaration::{self as decl, Act, Config, Coverage, Draft, Kind, State};
use lantian_core::{Date, cst};
use lantian_store::Outlet;
use lantian_store::declarations::{Change, DeclarationRow, FileRow, Filter};
use lantian_store::tasks::sha256_hex;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The setting that overrides the late rule's graces: `{"grace_hours": {"stopped": 12, …}}`.
pub const CONFIG_SETTING: &str = "declaration_config";
/// A file attached to a declaration: at most 10 MiB.
pub const FILE_BYTES_MAX: usize = 10 << 20;
/// Files per declaration.
pub const FILES_MAX: i64 = 20;
/// The longest span the statistics and the list read at once, days.
pub const SPAN_DAYS_MAX: i64 = 366;

/// Who may do what with declarations.
pub mod access {
    use super::*;
    use lantian_core::org::Role;

    const NOT_YOURS: &str = "申报由企业本身、其运维单位和生态环境局查看 / declarations are for the enterprise, its operations contractor and the bureau";

    /// Whether the caller reads declarations at all: the bureau, administrators, enterprises
    /// (their own) and operations (the outlets they operate).
    pub fn list(caller: &Caller) -> AppResult<()> {
        let a = caller.require()?;
        match a.role {
            Role::Admin | Role::Bureau | Role::Enterprise | Role::Operations => Ok(()),
            _ => Err(AppError::Forbidden(NOT_YOURS.to_owned())),
        }
    }

    /// Whether the caller may declare for `enterprise`'s `outlets` (each outlet's
    /// contractor from `contractor_of`): the enterprise's own account; an operations account
    /// of the contractor of every outlet named. The bureau reviews, it does not declare.
    pub fn declare(
        caller: &Caller,
        enterprise: &str,
        outlets: &[Outlet],
        contractor_of: &HashMap<String, String>,
    ) -> AppResult<String> {
        let a = caller.require()?;
        let ok = match a.role {
            Role::Enterprise => {
                a.unit_id.as_deref() == Some(enterprise)
                    && outlets.iter().all(|o| o.enterprise_id == enterprise)
            }
            Role::Operations => {
                a.unit_id.is_some()
                    && outlets.iter().all(|o| {
                        contractor_of.get(&o.id).map(String::as_str) == a.unit_id.as_deref()
                    })
            }
            _ => false,
        };
        if ok {
            return Ok(a.username.clone());
        }
        Err(AppError::Forbidden(match a.role {
            Role::Enterprise => "只能为本企业的排放口申报 / you declare only for your own enterprise's outlets".to_owned(),
            Role::Operations => "只能为本单位运维的排放口申报 / you declare only for the outlets your unit operates".to_owned(),
            Role::Admin | Role::Bureau => "申报由企业或其运维单位提出，生态环境局审核 / enterprises and their contractors declare; the bureau reviews".to_owned(),
            _ => NOT_YOURS.to_owned(),
        }))
    }

    /// Whether the caller sees a declaration: the bureau and administrators every one; the
    /// enterprise its own; operations those of outlets it operates.
    pub fn sees(
        caller: &Caller,
        d: &DeclarationRow,
        contractor_of: &HashMap<String, String>,
    ) -> bool {
        let Some(a) = caller.account() else {
            return false;
        };
        match a.role {
            Role::Admin | Role::Bureau => true,
            Role::Enterprise => a.unit_id.as_deref() == Some(d.enterprise_id.as_str()),
            Role::Operations => d.outlets.iter().any(|o| {
                a.unit_id.is_some()
                    && contractor_of.get(o).map(String::as_str) == a.unit_id.as_deref()
            }),
            _ => false,
        }
    }

    /// Whether the caller reviews declarations and reads the statistics: the bureau and
    /// administrators.
    pub fn review(caller: &Caller) -> AppResult<String> {
        let a = caller.require()?;
        if matches!(a.role, Role::Admin | Role::Bureau) {
            return Ok(a.username.clone());
        }
        Err(AppError::Forbidden(
            "只有生态环境局审核申报 / only the bureau reviews declarations".to_owned(),
        ))
    }

    /// The acts the caller may take on a declaration now (for the front ends to show).
    pub fn acts(
        caller: &Caller,
        d: &DeclarationRow,
        outlets: &[Outlet],
        contractor_of: &HashMap<String, String>,
    ) -> Vec<Act> {
        if d.state != State::Pending {
            return Vec::new();
        }
        let mut out = Vec::new();
        if review(caller).is_ok() {
            out.extend([Act::Approve, Act::Reject]);
        }
        if declare(caller, &d.enterprise_id, outlets, contractor_of).is_ok() {
            out.push(Act::Withdraw);
        }
        out
    }
}

/// The late rule's graces: the defaults, with the store's [`CONFIG_SETTING`] over them.
pub fn config(app: &App) -> AppResult<Config> {
    let cfg: Config = match app.store.setting(CONFIG_SETTING)? {
        None => Config::default(),
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            AppError::Internal(format!(
                "the setting {CONFIG_SETTING} is not a declaration configuration: {e}"
            ))
        })?,
    };
    cfg.check()
        .map_err(|e| AppError::Internal(format!("the setting {CONFIG_SETTING}: {e}")))?;
    Ok(cfg)
}

/// A declaration as asked for: outlets, kind, the period in Beijing time (`YYYY-MM-DD
/// HH:MM`), the factor codes of 因子异常, the reason.
#[derive(Clone, Debug, Deserialize)]
pub struct NewDeclaration {
    pub outlets: Vec<String>,
    /// stopped, production_stopped, maintenance, factor_abnormal, long_term_stop.
    pub kind: Kind,
    /// Beijing time, `YYYY-MM-DD HH:MM`.
    pub start: String,
    pub end: String,
    /// 因子异常 only: HJ 212-2017 codes (a21026 SO2, a21002 NOx, a34013 particulate matter,
    /// a21005 CO, a19001 O2, a00000 flow).
    #[serde(default)]
    pub codes: Vec<String>,
    pub reason: String,
}

/// A named thing (outlet, factor) in both languages.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Named {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
}

/// A file as listed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FileView {
    pub name: String,
    pub file: String,
    pub size: i64,
    pub sha256: String,
    pub by: String,
    /// Beijing time.
    pub at: String,
}

/// A step as listed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventView {
    pub action: String,
    pub state: State,
    pub by: String,
    /// Beijing time.
    pub at: String,
    pub note: String,
}

/// A declaration as shown (times in Beijing time, `YYYY-MM-DD HH:MM`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeclarationView {
    pub id: i64,
    pub enterprise: String,
    pub enterprise_name: String,
    pub outlets: Vec<Named>,
    pub kind: Kind,
    pub kind_zh: &'static str,
    pub kind_en: &'static str,
    pub start: String,
    pub end: String,
    /// Hours the period touches (per outlet).
    pub hours: i64,
    /// 因子异常: the factors; empty: every factor.
    pub factors: Vec<Named>,
    pub reason: String,
    pub state: State,
    pub state_zh: &'static str,
    pub state_en: &'static str,
    pub late: bool,
    pub late_hours: Option<i64>,
    pub declared_by: String,
    pub declared: String,
    pub reviewed_by: Option<String>,
    pub reviewed: Option<String>,
    pub review_note: String,
    pub files: Vec<FileView>,
    /// Every step (only in the answer for one declaration).
    pub events: Vec<EventView>,
    /// What the caller may do now.
    pub acts: Vec<Act>,
}

/// The outlets' contractors (`station_contractors`: an outlet is a station row).
fn contractors(app: &App) -> AppResult<HashMap<String, String>> {
    Ok(app.store.station_contractors()?)
}

fn outlets_of(app: &App, ids: &[String]) -> AppResult<Vec<Outlet>> {
    ids.iter()
        .map(|id| {
            app.store.outlet(id)?.ok_or_else(|| {
                AppError::NotFound(format!(
                    "排放口 {id} 未登记 / outlet {id} is not registered"
                ))
            })
        })
        .collect()
}

fn view(
    app: &App,
    caller: &Caller,
    d: DeclarationRow,
    contractor_of: &HashMap<String, String>,
    with_events: bool,
) -> AppResult<DeclarationView> {
    let outlets = outlets_of(app, &d.outlets).unwrap_or_default();
    let enterprise_name = app
        .store
        .enterprise(&d.enterprise_id)?
        .map_or_else(|| d.enterprise_id.clone(), |e| e.name);
    let (files, events) = app.store.declaration_history(d.id)?;
    let at = |ms: i64| cst::format_unix_ms(ms);
    Ok(DeclarationView {
        id: d.id,
        acts: access::acts(caller, &d, &outlets, contractor_of),
        enterprise_name,
        outlets: d
            .outlets
            .iter()
            .map(|id| {
                let name = outlets
                    .iter()
                    .find(|o| &o.id == id)
                    .map_or_else(|| id.clone(), |o| o.name.clone());
                Named {
                    id: id.clone(),
                    name_zh: name.clone(),
                    name_en: name,
                }
            })
            .collect(),
        kind: d.kind,
        kind_zh: d.kind.name_zh(),
        kind_en: d.kind.name_en(),
        start: cst::format_minute(d.start_ts),
        end: cst::format_minute(d.end_ts),
        hours: decl::hours_of(d.start_ts, d.end_ts).count() as i64,
        factors: d
            .codes
            .iter()
            .map(|c| {
                let (zh, en) = decl::factor_name(c);
                Named {
                    id: c.clone(),
                    name_zh: zh.to_owned(),
                    name_en: en.to_owned(),
                }
            })
            .collect(),
        reason: d.reason,
        state: d.state,
        state_zh: d.state.name_zh(),
        state_en: d.state.name_en(),
        late: d.late_hours.is_some(),
        late_hours: d.late_hours,
        declared_by: d.declared_by,
        declared: at(d.declared_ms),
        reviewed_by: d.reviewed_by,
        reviewed: d.reviewed_ms.map(at),
        review_note: d.review_note,
        files: files
            .into_iter()
            .map(|f| FileView {
                name: f.name,
                file: f.file,
                size: f.size,
                sha256: f.sha256,
                by: f.actor,
                at: at(f.at_ms),
            })
            .collect(),
        events: if with_events {
            events
                .into_iter()
                .map(|e| EventView {
                    action: e.action,
                    state: e.to_state,
                    by: e.actor,
                    at: at(e.at_ms),
                    note: e.note,
                })
                .collect()
        } else {
            Vec::new()
        },
        enterprise: d.enterprise_id,
    })
}

fn moment(what: &str, text: &str) -> AppResult<i64> {
    cst::parse_minute(text).ok_or_else(|| {
        AppError::BadRequest(format!(
            "{what} {text:?} 不是北京时间 YYYY-MM-DD HH:MM / {what} {text:?} is not Beijing time YYYY-MM-DD HH:MM"
        ))
    })
}

/// Declares (an enterprise for its own outlets, operations for the outlets it operates):
/// checked, flagged late by the configured grace, stored pending, audited.
fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

pub fn declare(app: &App, caller: &Caller, n: NewDeclaration) -> AppResult<DeclarationView> {
    caller.require()?;
    let start = moment("start", &n.start)?;
    let end = moment("end", &n.end)?;
    let mut ids: Vec<String> = n.outlets.iter().map(|o| o.trim().to_owned()).collect();
    ids.sort();
    ids.dedup();
    let mut codes: Vec<String> = n.codes.iter().map(|c| c.trim().to_owned()).collect();
    codes.sort();
    codes.dedup();
    let draft = Draft {
        outlets: &ids,
        kind: n.kind,
        start,
        end,
        codes: &codes,
        reason: &n.reason,
    };
    decl::check(&draft).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let outlets = outlets_of(app, &ids)?;
    let enterprise = outlets
        .first()
        .map(|o| o.enterprise_id.clone())
        .unwrap_or_default();
    if outlets.iter().any(|o| o.enterprise_id != enterprise) {
        return Err(AppError::BadRequest(
            "一份申报只含一家企业的排放口 / one declaration covers one enterprise's outlets"
                .to_owned(),
        ));
    }
    let contractor_of = contractors(app)?;
    let who = app.allow(
        caller,
        "declaration.declare",
        &format!("enterprise:{enterprise}"),
        access::declare(caller, &enterprise, &outlets, &contractor_of),
    )?;
    // The same declaration twice (a form sent again) is refused, naming the first.
    let same = app.store.declarations(&Filter {
        enterprise_id: Some(enterprise.clone()),
        kind: Some(n.kind),
        from_ts: Some(start),
        to_ts: Some(end),
        ..Filter::default()
    })?;
    if let Some(d) = same.iter().find(|d| {
        matches!(d.state, State::Pending | State::Approved)
            && (d.start_ts, d.end_ts) == (start, end)
            && sorted(&d.outlets) == ids
            && sorted(&d.codes) == codes
    }) {
        return Err(AppError::Conflict(format!(
            "与申报 {} 相同（排放口、类型、时段{}一致），无需重复申报 / the same as declaration {} (outlets, kind, period{}): not declared twice",
            d.id,
            if codes.is_empty() { "" } else { "、因子" },
            d.id,
            if codes.is_empty() { "" } else { ", factors" }
        )));
    }
    let now_ms = app.clock.now_ms();
    let late_hours = decl::late_hours(&config(app)?, n.kind, start, cst::from_unix_ms(now_ms));
    let row = DeclarationRow {
        id: 0,
        enterprise_id: enterprise.clone(),
        outlets: ids.clone(),
        kind: n.kind,
        start_ts: start,
        end_ts: end,
        codes,
        reason: n.reason.trim().to_owned(),
        state: State::Pending,
        late_hours,
        declared_by: who,
        declared_ms: now_ms,
        reviewed_by: None,
        reviewed_ms: None,
        review_note: String::new(),
        updated_ms: now_ms,
    };
    let detail = format!(
        "{} {} {}..{}{}",
        n.kind,
        ids.join(","),
        n.start,
        n.end,
        if late_hours.is_some() { " late" } else { "" }
    );
    let id = app.audited(
        caller,
        "declaration.declare",
        &format!("enterprise:{enterprise}"),
        &detail,
        || Ok(app.store.add_declaration(&row)?),
    )?;
    one(app, caller, id)
}

fn visible(
    app: &App,
    caller: &Caller,
    id: i64,
) -> AppResult<(DeclarationRow, HashMap<String, String>)> {
    app.allow(
        caller,
        "declaration.read",
        &format!("declaration:{id}"),
        access::list(caller),
    )?;
    let d = app
        .store
        .declaration(id)?
        .ok_or_else(|| AppError::NotFound(format!("申报 {id} 不存在 / no declaration {id}")))?;
    let contractor_of = contractors(app)?;
    if !access::sees(caller, &d, &contractor_of) {
        return Err(AppError::NotFound(format!(
            "申报 {id} 不存在 / no declaration {id}"
        )));
    }
    Ok((d, contractor_of))
}

/// One declaration with its files and steps.
pub fn one(app: &App, caller: &Caller, id: i64) -> AppResult<DeclarationView> {
    let (d, contractor_of) = visible(app, caller, id)?;
    view(app, caller, d, &contractor_of, true)
}

/// Approves or rejects (the bureau; a rejection needs a reason) or withdraws (the declarer,
/// while pending). Compare-and-set: a declaration no longer pending is a 409.
pub fn act(
    app: &App,
    caller: &Caller,
    id: i64,
    act: Act,
    note: &str,
) -> AppResult<DeclarationView> {
    let (d, contractor_of) = visible(app, caller, id)?;
    let object = format!("declaration:{id}");
    let who = match act {
        Act::Approve | Act::Reject => app.allow(
            caller,
            "declaration.review",
            &object,
            access::review(caller),
        )?,
        Act::Withdraw => {
            let outlets = outlets_of(app, &d.outlets)?;
            app.allow(
                caller,
                "declaration.withdraw",
                &object,
                access::declare(caller, &d.enterprise_id, &outlets, &contractor_of),
            )?
        }
    };
    let note = note.trim();
    if act == Act::Reject && note.chars().count() < decl::REASON_CHARS_MIN {
        return Err(AppError::BadRequest(format!(
            "驳回须写明理由（至少 {} 个字） / a rejection needs a reason of at least {} characters",
            decl::REASON_CHARS_MIN,
            decl::REASON_CHARS_MIN
        )));
    }
    let to = decl::transition(d.state, act).ok_or_else(|| {
        AppError::Conflict(format!(
            "申报 {id} 已是“{}”，不能再{} / declaration {id} is {} and can no longer be {act}d",
            d.state.name_zh(),
            match act {
                Act::Approve => "通过",
                Act::Reject => "驳回",
                Act::Withdraw => "撤回",
            },
            d.state
        ))
    })?;
    let ch = Change {
        id,
        to,
        action: act.as_str(),
        at_ms: app.clock.now_ms(),
        actor: &who,
        note,
        review: act != Act::Withdraw,
    };
    app.audited(caller, &format!("declaration.{act}"), &object, note, || {
        Ok(app.store.change_declaration(&ch)?)
    })?;
    one(app, caller, id)
}

/// Attaches a file (PDF, JPEG or PNG by content, at most 10 MiB, at most 20 per
/// declaration) under `DATA_DIR/declaration_files/ID/`, with its size and SHA-256: who may
/// declare for its outlets, while it is pending.
pub fn add_file(
    app: &App,
    caller: &Caller,
    id: i64,
    name: &str,
    bytes: &[u8],
) -> AppResult<DeclarationView> {
    let (d, contractor_of) = visible(app, caller, id)?;
    let object = format!("declaration:{id}");
    let outlets = outlets_of(app, &d.outlets)?;
    let who = app.allow(
        caller,
        "declaration.file",
        &object,
        access::declare(caller, &d.enterprise_id, &outlets, &contractor_of),
    )?;
    if d.state != State::Pending {
        return Err(AppError::Conflict(format!(
            "申报 {id} 已是“{}”，不能再添加附件 / declaration {id} is {}: no more files",
            d.state.name_zh(),
            d.state
        )));
    }
    if bytes.len() > FILE_BYTES_MAX {
        return Err(AppError::BadRequest(format!(
            "附件不超过 10 MiB / files are at most {FILE_BYTES_MAX} bytes, this one has {}",
            bytes.len()
        )));
    }
    let ext = crate::ledger::sniff(bytes).ok_or_else(|| {
        AppError::BadRequest(
            "附件须为 PDF、JPEG 或 PNG / a file must be a PDF, JPEG or PNG".to_owned(),
        )
    })?;
    let dir = app.data_dir.clone().ok_or_else(|| {
        AppError::Unavailable("no data directory for declaration files".to_owned())
    })?;
    let sha = sha256_hex(bytes);
    let file = format!("{}-{}.{ext}", app.clock.now_ms(), &sha[..16]);
    let folder = dir.join("declaration_files").join(id.to_string());
    std::fs::create_dir_all(&folder)
        .map_err(|e| AppError::Internal(format!("{}: {e}", folder.display())))?;
    let path = folder.join(&file);
    std::fs::write(&path, bytes)
        .map_err(|e| AppError::Internal(format!("{}: {e}", path.display())))?;
    let stem = crate::ledger::evidence_stem(name);
    let label = if stem.is_empty() {
        file.clone()
    } else {
        format!("{stem}.{ext}")
    };
    let row = FileRow {
        id: 0,
        declaration_id: id,
        name: label.clone(),
        file: file.clone(),
        size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
        sha256: sha,
        actor: who,
        at_ms: app.clock.now_ms(),
    };
    let stored = app.audited(caller, "declaration.file", &object, &label, || {
        Ok(app.store.add_declaration_file(&row, FILES_MAX)?)
    });
    if let Err(e) = stored {
        // Refused (the quota) or not recorded: the file goes too.
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    one(app, caller, id)
}

/// A file of a declaration the caller sees, with its MIME type.
pub fn file(app: &App, caller: &Caller, id: i64, file: &str) -> AppResult<(Vec<u8>, &'static str)> {
    visible(app, caller, id)?;
    let (files, _) = app.store.declaration_history(id)?;
    let dir = app
        .data_dir
        .clone()
        .filter(|_| files.iter().any(|f| f.file == file))
        .ok_or_else(|| AppError::NotFound(format!("declaration {id}: no file {file:?}")))?;
    let bytes = std::fs::read(
        dir.join("declaration_files")
            .join(id.to_string())
            .join(file),
    )
    .map_err(|e| AppError::NotFound(format!("declaration {id}: file {file:?}: {e}")))?;
    let mime = match crate::ledger::sniff(&bytes) {
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        _ => "image/jpeg",
    };
    Ok((bytes, mime))
}

/// What to list (each: any when `None`); `from ..= to` Beijing dates the periods overlap.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ListFilter {
    pub enterprise: Option<String>,
    pub state: Option<State>,
    pub kind: Option<Kind>,
    pub from: Option<Date>,
    pub to: Option<Date>,
}

/// The declarations the caller sees, newest first.
pub fn list(app: &App, caller: &Caller, f: &ListFilter) -> AppResult<Vec<DeclarationView>> {
    app.allow(
        caller,
        "declaration.read",
        "declarations",
        access::list(caller),
    )?;
    let rows = app.store.declarations(&Filter {
        enterprise_id: f.enterprise.clone().filter(|e| !e.is_empty()),
        state: f.state,
        kind: f.kind,
        from_ts: f.from.map(cst::day_start),
        to_ts: f.to.map(|d| cst::day_start(d) + cst::DAY_S),
    })?;
    let contractor_of = contractors(app)?;
    rows.into_iter()
        .filter(|d| access::sees(caller, d, &contractor_of))
        .map(|d| view(app, caller, d, &contractor_of, false))
        .collect()
}

/// One enterprise's statistics with its name.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatsView {
    pub enterprise_name: String,
    #[serde(flatten)]
    pub stats: decl::Stats,
}

/// The statistics per enterprise of the declarations whose period overlaps `from ..= to`
/// (Beijing dates): counts by kind, outlet-hours declared and approved, approved, rejected
/// and late shares (the bureau, administrators).
pub fn stats(app: &App, caller: &Caller, from: Date, to: Date) -> AppResult<Vec<StatsView>> {
    app.allow(
        caller,
        "declaration.stats",
        "declarations",
        access::review(caller).map(drop),
    )?;
    let days = to.days_since_epoch() - from.days_since_epoch() + 1;
    if !(1..=SPAN_DAYS_MAX).contains(&days) {
        return Err(AppError::BadRequest(format!(
            "统计范围须为 1–{SPAN_DAYS_MAX} 天 / statistics cover 1-{SPAN_DAYS_MAX} days: {from}..{to}"
        )));
    }
    let rows = app.store.declarations(&Filter {
        from_ts: Some(cst::day_start(from)),
        to_ts: Some(cst::day_start(to) + cst::DAY_S),
        ..Filter::default()
    })?;
    let summaries: Vec<decl::Summary<'_>> = rows
        .iter()
        .map(|d| decl::Summary {
            enterprise: &d.enterprise_id,
            kind: d.kind,
            state: d.state,
            late: d.late_hours.is_some(),
            outlet_hours: decl::hours_of(d.start_ts, d.end_ts).count() as i64
                * d.outlets.len() as i64,
        })
        .collect();
    let names: HashMap<String, String> = app
        .store
        .enterprises()?
        .into_iter()
        .map(|e| (e.id, e.name))
        .collect();
    Ok(decl::stats(&summaries)
        .into_iter()
        .map(|s| StatsView {
            enterprise_name: names
                .get(&s.enterprise)
                .cloned()
                .unwrap_or_else(|| s.enterprise.clone()),
            stats: s,
        })
        .collect())
}

/// What approved declarations cover at each outlet (all outlets when `outlets` is empty)
/// over `[from, to)` (CST seconds): the integrity scan and the emissions rows read it. No
/// permission of its own: the callers decide who sees the hours.
pub fn coverage(
    app: &App,
    outlets: &[&str],
    from: i64,
    to: i64,
) -> AppResult<HashMap<String, Coverage>> {
    let mut out: HashMap<String, Coverage> = HashMap::new();
    for a in app.store.approved_declarations(outlets, from, to)? {
        out.entry(a.outlet)
            .or_default()
            .add(a.kind, a.start_ts, a.end_ts, &a.codes);
    }
    Ok(out)
}

/// One declared hour of an outlet.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeclaredHour {
    /// The hour's start, Beijing time.
    pub hour: String,
    pub kind: Kind,
    /// 因子异常: the factors; empty: every factor.
    pub codes: Vec<String>,
    pub declaration: i64,
}

/// The hours of an outlet that approved declarations cover, `first ..= last` (Beijing
/// dates): who reads declarations ([`access::list`]) and sees the outlet's monitoring.
pub fn declared_hours(
    app: &App,
    caller: &Caller,
    outlet_id: &str,
    first: Date,
    last: Date,
) -> AppResult<Vec<DeclaredHour>> {
    let o = app
        .store
        .outlet(outlet_id)?
        .ok_or_else(|| AppError::NotFound(format!("outlet {outlet_id}")))?;
    let object = format!("outlet:{outlet_id}");
    app.allow(caller, "declaration.read", &object, access::list(caller))?;
    if !crate::caller::policy::sees_monitoring(caller, &o.enterprise_id) {
        return app.allow(
            caller,
            "declaration.read",
            &object,
            Err(crate::caller::policy::refusal(
                caller,
                "只能查看本企业的监测数据 / only your enterprise's monitoring",
            )),
        );
    }
    let n_days = crate::data::span_days(first, last)?;
    let from = cst::day_start(first);
    let to = from + n_days as i64 * cst::DAY_S;
    let rows = app.store.declarations(&Filter {
        state: Some(State::Approved),
        enterprise_id: Some(o.enterprise_id.clone()),
        from_ts: Some(from),
        to_ts: Some(to),
        ..Filter::default()
    })?;
    let mut out = Vec::new();
    for d in rows
        .iter()
        .filter(|d| d.outlets.iter().any(|x| x == outlet_id))
    {
        for h in decl::hours_of(d.start_ts, d.end_ts).filter(|h| (from..to).contains(h)) {
            out.push(DeclaredHour {
                hour: cst::format_minute(h),
                kind: d.kind,
                codes: d.codes.clone(),
                declaration: d.id,
            });
        }
    }
    out.sort_by(|a, b| (&a.hour, a.declaration).cmp(&(&b.hour, b.declaration)));
    Ok(out)
}

/// An outlet the caller may declare for.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutletChoice {
    pub id: String,
    pub name: String,
    pub enterprise: String,
    pub enterprise_name: String,
}

/// What the caller may do with declarations, for the front ends to show or hide controls
/// (the use cases decide again): declare (and for which outlets), review.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Abilities {
    pub declare: bool,
    pub review: bool,
    pub outlets: Vec<OutletChoice>,
    /// The late rule in force: grace hours per kind.
    pub grace_hours: std::collections::BTreeMap<Kind, i64>,
}

/// [`Abilities`] of the caller (who reads declarations).
pub fn abilities(app: &App, caller: &Caller) -> AppResult<Abilities> {
    app.allow(
        caller,
        "declaration.read",
        "declarations",
        access::list(caller),
    )?;
    let contractor_of = contractors(app)?;
    let names: HashMap<String, String> = app
        .store
        .enterprises()?
        .into_iter()
        .map(|e| (e.id, e.name))
        .collect();
    let outlets: Vec<OutletChoice> = app
        .store
        .outlets(None)?
        .into_iter()
        .filter(|o| {
            access::declare(
                caller,
                &o.enterprise_id,
                std::slice::from_ref(o),
                &contractor_of,
            )
            .is_ok()
        })
        .map(|o| OutletChoice {
            enterprise_name: names
                .get(&o.enterprise_id)
                .cloned()
                .unwrap_or_else(|| o.enterprise_id.clone()),
            id: o.id,
            name: o.name,
            enterprise: o.enterprise_id,
        })
        .collect();
    let cfg = config(app)?;
    Ok(Abilities {
        declare: !outlets.is_empty(),
        review: access::review(caller).is_ok(),
        outlets,
        grace_hours: Kind::ALL.iter().map(|&k| (k, cfg.grace(k))).collect(),
    })
}

/// Sets the late rule's graces (the bureau, administrators): `{"grace_hours": {"stopped": 12,
/// …}}`, checked (known kinds, 0–720 hours) and audited; returns the rule now in force.
pub fn set_config(app: &App, caller: &Caller, text: &str) -> AppResult<Config> {
    app.allow(
        caller,
        "declaration.config",
        CONFIG_SETTING,
        access::review(caller).map(drop),
    )?;
    let cfg: Config = serde_json::from_str(text).map_err(|e| {
        AppError::BadRequest(format!(
            "迟报规则须为 {{\"grace_hours\": {{\"stopped\": 12, …}}}} / the late rule must be {{\"grace_hours\": {{KIND: HOURS}}}}: {e}"
        ))
    })?;
    cfg.check().map_err(AppError::BadRequest)?;
    let stored = serde_json::to_string(&cfg)
        .map_err(|e| AppError::Internal(format!("{CONFIG_SETTING}: {e}")))?;
    app.audited(
        caller,
        "declaration.config",
        CONFIG_SETTING,
        &stored,
        || Ok(app.store.set_setting(CONFIG_SETTING, &stored)?),
    )?;
    config(app)
}
