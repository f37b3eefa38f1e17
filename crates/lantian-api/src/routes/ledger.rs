//! The measures ledger over HTTP: the list (and the Excel 台账), one measure with its
//! history, acts on a measure (or on a milestone or a township's part of it), corrections,
//! evidence files (attached, listed and read back), 省定目标 numbers, monthly actuals,
//! resolving "各相关责任单位", per-unit statistics and the bureau's reminders (督办 / 催办).

use super::{J, Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::{ApiError, ApiResult};
use crate::export::{Paging, TableQuery, download, rows, table};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use lantian_app::ledger::{self, Correction, EVIDENCE_BYTES_MAX, Filter};
use lantian_app::ledger_parts::{self, On};
use lantian_app::ledger_supervision::{self as supervision, ReminderFilter, ReminderKind};
use lantian_core::ledger::MonthlyTarget;
use lantian_core::ledger::extract::Target;
use lantian_core::ledger::status::{Action, Status};
use lantian_core::{Date, Month};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// 类别, exactly.
    pub category: Option<String>,
    /// Measures this unit leads or supports.
    pub unit: Option<String>,
    /// `1`: the measures the logged-in account's unit answers for (本单位措施).
    pub mine: Option<u8>,
    /// `not_started`, `in_progress`, `completed`, `closed` or `overdue` (as of today).
    pub status: Option<String>,
    /// Only measures with a deadline on or before this date (`YYYY-MM-DD`).
    #[param(value_type = Option<String>)]
    pub deadline_before: Option<Date>,
    pub page: Option<usize>,
    pub per_page: Option<usize>,
    /// `json` (default), `csv` or `xlsx` (the 台账 in the plan's layout).
    pub format: Option<String>,
}

/// The measures of the plan with their units, deadlines, targets and status. Public.
#[utoipa::path(get, path = "/ledger", tag = "ledger", params(LedgerQuery), responses((status = 200, body = Object)))]
pub async fn list(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<LedgerQuery>,
) -> ApiResult<Response> {
    let status = match q.status.as_deref() {
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "status {s:?}: expected not_started, in_progress, completed, closed or overdue"
            ))
        })?),
        None => None,
    };
    let mine = match q.mine {
        Some(1) => Some(caller.require()?.clone()),
        _ => None,
    };
    let f = Filter {
        category: q.category,
        unit: q.unit,
        mine,
        status,
        deadline_before: q.deadline_before,
    };
    if q.format.as_deref() == Some("xlsx") {
        let bytes = run(&st, move |app| {
            ledger::xlsx(app, &caller, &ledger::list(app, &f)?)
        })
        .await?;
        return Ok(download(
            bytes,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "ledger.xlsx",
        ));
    }
    // The latest progress (the measure's own, a milestone's or a township's) needs a login,
    // as in the 台账.
    let (list, latest) = run(&st, move |app| {
        let list = ledger::list(app, &f)?;
        let latest = match caller.account() {
            Some(_) => list
                .iter()
                .map(|m| supervision::latest_report(app, &m.id))
                .collect::<Result<Vec<_>, _>>()?,
            None => vec![None; list.len()],
        };
        Ok((list, latest))
    })
    .await?;
    let mut items = rows(&list);
    for (v, l) in items.iter_mut().zip(latest) {
        if let Some(l) = l {
            v["latest_report"] = json!(match &l.part {
                Some(p) => format!("{p}：{}", l.text),
                None => l.text,
            });
            v["latest_report_at"] = json!(l.at);
        }
    }
    for v in &mut items {
        // The table's deadlines column: the measure's own and its milestones'.
        let due: Vec<Value> = (v["milestones"].as_array().into_iter().flatten())
            .filter_map(|m| m.get("deadline").cloned())
            .collect();
        if let Some(d) = v["deadlines"].as_array_mut() {
            d.extend(due);
        }
        for k in ["lead_units", "supporting_units", "deadlines"] {
            if let Some(a) = v[k].as_array() {
                v[k] = json!(
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("、")
                );
            }
        }
    }
    table(
        items,
        &[
            "id",
            "section",
            "category",
            "task",
            "measure",
            "responsibility",
            "lead_units",
            "supporting_units",
            "deadlines",
            "status_zh",
            "at_risk",
            "deadline_source_zh",
            "unresolved",
            "overdue_days",
            "days_left",
            "own_part_status",
            "latest_report",
            "latest_report_at",
        ],
        &TableQuery {
            page: q.page,
            per_page: q.per_page,
            format: q.format,
        },
        "ledger",
    )
}

/// One measure with its history (times in Beijing time, the version of the list each step
/// was made under), and what the caller may do to it now (`allowed`). Public; who acted,
/// report texts and evidence file names only with a login.
#[utoipa::path(get, path = "/ledger/{id}", tag = "ledger", params(("id" = String, Path, description = "Measure id, e.g. M21")),
    responses((status = 200, body = Object), (status = 404, description = "No such measure")))]
pub async fn one(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        run(&st, move |app| ledger::one(app, &caller, &id)).await?
    )))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct EventBody {
    /// `report`, `confirm`, `close` or `reopen`.
    #[schema(value_type = String)]
    pub action: Action,
    /// The month a report covers, `YYYY-MM`.
    #[schema(value_type = Option<String>)]
    pub month: Option<Month>,
    /// Progress, or the reason for closing (required to close).
    #[serde(default)]
    pub text: String,
    /// Act on this milestone (e.g. `M05-1`) instead of the whole measure.
    pub milestone: Option<String>,
    /// Act on this township's part (its id); a township's own account acts on its part
    /// without it.
    pub township: Option<String>,
}

/// Reports progress, confirms completion, closes (销号) or reopens a measure. A department
/// acts on the measures its unit leads or supports (confirming only those it leads), a
/// township on those of every township; only the bureau closes and reopens.
#[utoipa::path(post, path = "/ledger/{id}/events", tag = "ledger", params(("id" = String, Path, description = "Measure id")),
    request_body = EventBody, responses((status = 200, body = Object), (status = 403, description = "Not allowed (audited)"), (status = 409, description = "The measure's status does not allow it now, or changed meanwhile")))]
pub async fn act(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
    J(b): J<EventBody>,
) -> ApiResult<Json<Value>> {
    let on = match (b.milestone, b.township) {
        (Some(m), None) => Some(On::Milestone(m)),
        (None, Some(t)) => Some(On::Township(t)),
        (None, None) => None,
        (Some(_), Some(_)) => {
            return Err(ApiError::BadRequest(
                "milestone or township, not both".to_owned(),
            ));
        }
    };
    let out = run(&st, move |app| match &on {
        Some(on) => ledger_parts::act_on(app, &caller, &id, on, b.action, b.month, &b.text),
        None => ledger::act(app, &caller, &id, b.action, b.month, &b.text),
    })
    .await?;
    Ok(Json(
        json!({ "ok": true, "status": out.status, "status_zh": out.status_zh, "part": out.part }),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CorrectionBody {
    pub lead_units: Option<Vec<String>>,
    pub supporting_units: Option<Vec<String>>,
    #[schema(value_type = Option<Vec<String>>)]
    pub deadlines: Option<Vec<Date>>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub targets: Option<Vec<Target>>,
    /// `[{ "month": "2025-01", "value": 60.0 }, …]`: the target broken down by month.
    #[schema(value_type = Option<Vec<Object>>)]
    pub monthly_targets: Option<Vec<MonthlyTarget>>,
    /// `[["M05-2", "2026-06-30"], …]`: milestones' new deadlines.
    #[schema(value_type = Option<Vec<Vec<String>>>)]
    pub milestone_deadlines: Option<Vec<(String, Date)>>,
    #[serde(default)]
    pub note: String,
}

/// The bureau corrects what was read from a measure's text (units, deadlines, targets) or
/// breaks a target down by month; the text as written never changes.
#[utoipa::path(post, path = "/ledger/{id}/correct", tag = "ledger", params(("id" = String, Path, description = "Measure id")),
    request_body = CorrectionBody, responses((status = 200, body = Object), (status = 403, description = "Not the bureau")))]
pub async fn correct(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
    J(b): J<CorrectionBody>,
) -> ApiResult<Json<Value>> {
    let c = Correction {
        lead_units: b.lead_units,
        supporting_units: b.supporting_units,
        deadlines: b.deadlines,
        targets: b.targets,
        monthly_targets: b.monthly_targets,
        milestone_deadlines: b.milestone_deadlines,
        note: b.note,
    };
    let changed = run(&st, move |app| ledger::correct(app, &caller, &id, c)).await?;
    Ok(Json(json!({ "ok": true, "corrected": changed })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ActualBody {
    /// `t1`, `t2`… (the targets read from the text, in order) or a 省定目标's key.
    pub target: String,
    /// `YYYY-MM`
    #[schema(value_type = String)]
    pub month: Month,
    pub value: f64,
    #[serde(default)]
    pub note: String,
}

/// The lead unit (or the bureau) enters a month's actual value of a numeric target; the
/// answer is the target with its latest actual and the verdict (met, not met, no data).
#[utoipa::path(post, path = "/ledger/{id}/actuals", tag = "ledger", params(("id" = String, Path, description = "Measure id, or PLAN")),
    request_body = ActualBody, responses((status = 200, body = Object), (status = 403, description = "Not the lead unit (audited)")))]
pub async fn actual(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
    J(b): J<ActualBody>,
) -> ApiResult<Json<Value>> {
    let p = run(&st, move |app| {
        ledger_parts::record_actual(app, &caller, &id, &b.target, b.month, b.value, &b.note)
    })
    .await?;
    Ok(Json(json!(p)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct TargetBody {
    /// The 省定目标's key (e.g. `coal_reduction`, `pm25`).
    pub key: String,
    pub value: f64,
    #[serde(default)]
    pub note: String,
}

/// The bureau enters the number of a 省定目标 (a measure's, or `PLAN` for the plan's
/// headline targets); earlier numbers stay as its history.
#[utoipa::path(post, path = "/ledger/{id}/target", tag = "ledger", params(("id" = String, Path, description = "Measure id, or PLAN")),
    request_body = TargetBody, responses((status = 200, body = Object), (status = 403, description = "Not the bureau")))]
pub async fn target(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
    J(b): J<TargetBody>,
) -> ApiResult<Json<Value>> {
    run(&st, move |app| {
        ledger_parts::set_target(app, &caller, &id, &b.key, b.value, &b.note)
    })
    .await?;
    Ok(Json(json!({ "ok": true })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ResolveBody {
    pub lead_units: Vec<String>,
    #[serde(default)]
    pub supporting_units: Vec<String>,
    #[serde(default)]
    pub note: String,
}

/// The bureau names the real units of a measure whose list says 各相关责任单位.
#[utoipa::path(post, path = "/ledger/{id}/resolve", tag = "ledger", params(("id" = String, Path, description = "Measure id")),
    request_body = ResolveBody, responses((status = 200, body = Object), (status = 403, description = "Not the bureau")))]
pub async fn resolve(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
    J(b): J<ResolveBody>,
) -> ApiResult<Json<Value>> {
    let leads = run(&st, move |app| {
        ledger_parts::resolve(
            app,
            &caller,
            &id,
            &b.lead_units,
            &b.supporting_units,
            &b.note,
        )
    })
    .await?;
    Ok(Json(json!({ "ok": true, "lead_units": leads })))
}

/// The plan's headline targets (§1(二): PM2.5, the heavy-pollution-day ratio) with their
/// numbers and latest actuals. Public.
#[utoipa::path(get, path = "/ledger-plan-targets", tag = "ledger", responses((status = 200, body = Object)))]
pub async fn plan_targets(State(st): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(run(&st, ledger_parts::plan_targets).await?)))
}

/// Attaches an evidence file (PDF, JPEG or PNG by content, at most 5 MiB; the body is the
/// file, `X-Filename` its name) to a measure the caller's unit leads or supports.
#[utoipa::path(post, path = "/ledger/{id}/evidence", tag = "ledger", params(("id" = String, Path, description = "Measure id")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = Object), (status = 409, description = "The measure's evidence quota is full"), (status = 413, description = "Larger than 5 MiB")))]
pub async fn evidence(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    if body.len() > EVIDENCE_BYTES_MAX {
        return Err(ApiError::PayloadTooLarge);
    }
    let name = super::upload_name(&headers, "evidence");
    let n = body.len();
    let file = run(&st, move |app| {
        ledger::evidence(app, &caller, &id, &name, &body)
    })
    .await?;
    Ok(Json(json!({ "ok": true, "file": file, "bytes": n })))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvidenceFileQuery {
    /// The stored file's name, as the measure's `evidence` lists it.
    pub file: String,
    /// `1`: as an attachment (download); otherwise shown in the browser (images, PDF).
    pub download: Option<u8>,
}

/// An evidence file of a measure as it was uploaded (a login is needed): images and PDFs
/// open in the browser, `?download=1` saves it; the name as uploaded (Chinese kept) is in
/// `Content-Disposition` (RFC 6266 `filename*`).
#[utoipa::path(get, path = "/ledger/{id}/evidence", tag = "ledger",
    params(("id" = String, Path, description = "Measure id"), EvidenceFileQuery),
    responses((status = 200, description = "The file"), (status = 401, description = "A login is needed"), (status = 404, description = "No such file")))]
pub async fn evidence_file(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
    Q(q): Q<EvidenceFileQuery>,
) -> ApiResult<Response> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let file = q.file;
    let c = run(&st, move |app| {
        supervision::evidence_content(app, &caller, &id, &file)
    })
    .await?;
    let how = if q.download == Some(1) {
        "attachment"
    } else {
        "inline"
    };
    // An ASCII fallback for old clients, the UTF-8 name for the others.
    let ascii: String = c
        .name
        .chars()
        .map(|x| {
            if x.is_ascii_alphanumeric() || matches!(x, '-' | '_' | '.') {
                x
            } else {
                '_'
            }
        })
        .collect();
    let utf8: String = c
        .name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, c.content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("{how}; filename=\"{ascii}\"; filename*=UTF-8''{utf8}"),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        c.bytes,
    )
        .into_response())
}

/// Every unit's measures by where they stand today: each department by the measures it
/// leads, each town, township and the zone by its own parts (on track, due within 30 days,
/// overdue, completed, closed); unacknowledged reminders with a login. Public.
#[utoipa::path(get, path = "/ledger-stats", tag = "ledger", params(TableQuery), responses((status = 200, body = Object)))]
pub async fn stats(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<TableQuery>,
) -> ApiResult<Response> {
    let list = run(&st, move |app| supervision::unit_stats(app, &caller)).await?;
    table(
        rows(&list),
        &[
            "unit",
            "unit_name",
            "unit_name_en",
            "kind",
            "total",
            "on_track",
            "due_soon",
            "overdue",
            "completed",
            "closed",
            "open_reminders",
        ],
        &q,
        "ledger-stats",
    )
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RemindBody {
    /// `supervise` (督办) or `urge` (催办).
    #[schema(value_type = String)]
    pub kind: ReminderKind,
    /// The unit to remind (a department's name, a township's id); none: each lead unit.
    pub unit: Option<String>,
    pub text: String,
}

/// The bureau reminds the unit that answers for a measure (督办 / 催办); logged and audited.
#[utoipa::path(post, path = "/ledger/{id}/remind", tag = "ledger", params(("id" = String, Path, description = "Measure id")),
    request_body = RemindBody, responses((status = 200, body = Object), (status = 400, description = "No text, or a unit that does not answer for the measure"), (status = 403, description = "Not the bureau (audited)")))]
pub async fn remind(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
    J(b): J<RemindBody>,
) -> ApiResult<Json<Value>> {
    let sent = run(&st, move |app| {
        supervision::remind(app, &caller, &id, b.unit.as_deref(), b.kind, &b.text)
    })
    .await?;
    Ok(Json(json!({ "ok": true, "reminders": sent })))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RemindersQuery {
    /// Only this measure's.
    pub measure: Option<String>,
    /// `1`: only those not yet acknowledged.
    pub open: Option<u8>,
    /// Page number, from 1.
    pub page: Option<usize>,
    /// Rows per page, 1-1000 (default 50).
    pub per_page: Option<usize>,
}

/// A page of the reminders, newest first: `{items, total, page, per_page}`; the bureau sees
/// all, a unit those sent to it (a login needed).
#[utoipa::path(get, path = "/ledger-reminders", tag = "ledger", params(RemindersQuery),
    responses((status = 200, body = Object), (status = 400, description = "A bad page or per_page"), (status = 401, description = "A login is needed")))]
pub async fn reminders(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<RemindersQuery>,
) -> ApiResult<Json<Value>> {
    let p = Paging::of(q.page, q.per_page)?;
    let f = ReminderFilter {
        measure: q.measure,
        open_only: q.open == Some(1),
    };
    let v = run(&st, move |app| supervision::reminders(app, &caller, &f)).await?;
    Ok(Json(Value::Object(p.answer("items", &p.cut(v)))))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct AckBody {
    /// The reminder's id.
    pub id: i64,
    #[serde(default)]
    pub reply: String,
}

/// The reminded unit acknowledges a reminder (签收), with an optional reply; audited.
#[utoipa::path(post, path = "/ledger-reminders/ack", tag = "ledger",
    request_body = AckBody, responses((status = 200, body = Object), (status = 403, description = "Not the reminded unit (audited)"), (status = 404, description = "No such reminder"), (status = 409, description = "Already acknowledged")))]
pub async fn acknowledge(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<AckBody>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        run(&st, move |app| supervision::acknowledge(
            app, &caller, b.id, &b.reply
        ))
        .await?
    )))
}

/// The evidence route, with a body limit of its own.
pub fn evidence_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(evidence, evidence_file))
        .layer(DefaultBodyLimit::max(EVIDENCE_BYTES_MAX + 1024))
}
