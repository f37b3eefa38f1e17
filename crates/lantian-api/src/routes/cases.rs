//! Enforcement cases over HTTP (docs/enforcement.md): the list, one case with its evidence
//! verified, opening (by hand, from an alarm, a violation or a task), inspections,
//! decisions, evidence files, closure, dismissal, re-verification and statistics. Thin:
//! every decision is in `lantian_app::cases`.

use super::{J, P, Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::{ApiError, ApiResult};
use crate::export::{TableQuery, download, rows, table};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use lantian_app::cases::{
    self, DecideRequest, EVIDENCE_BYTES_MAX, FromViolation, InspectRequest, ListQuery,
    NewCaseRequest,
};
use lantian_core::enforce::case::{Origin, State as CaseState, Violation};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CasesQuery {
    /// `open`, `investigating`, `decided`, `rectifying`, `closed` or `dismissed`.
    #[param(value_type = Option<String>)]
    pub state: Option<CaseState>,
    /// A township's unit id.
    pub township: Option<String>,
    /// `alarm`, `violation`, `task` or `manual`.
    #[param(value_type = Option<String>)]
    pub origin: Option<Origin>,
    /// A violation code (`data_falsification`, `interference`, …).
    #[param(value_type = Option<String>)]
    pub violation: Option<Violation>,
    /// Opened in this year (Beijing time).
    pub year: Option<i32>,
    pub page: Option<usize>,
    pub per_page: Option<usize>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

/// The cases the caller sees (the bureau: all; a township: its township's; an enterprise or
/// a contractor: its own), newest first: `{ "cases": [...], "total": n }` as JSON.
#[utoipa::path(get, path = "/cases", tag = "enforcement", params(CasesQuery),
    responses((status = 200, description = "A page of cases, or a CSV or xlsx file", body = Object),
        (status = 401, description = "Log in"), (status = 403, description = "Not this role's")))]
pub async fn list(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<CasesQuery>,
) -> ApiResult<Response> {
    let lq = ListQuery {
        state: q.state,
        township: q.township.clone(),
        origin: q.origin,
        violation: q.violation,
        year: q.year,
    };
    let list = run(&st, move |app| cases::list(app, &caller, &lq)).await?;
    let tq = TableQuery {
        page: q.page,
        per_page: q.per_page,
        format: q.format,
    };
    if tq.format.as_deref().is_some_and(|f| f != "json") {
        return table(rows(&list), &COLUMNS, &tq, "cases");
    }
    // JSON: the page under `cases` (the table's paging and its checks, `items` renamed).
    let page = table(rows(&list), &COLUMNS, &tq, "cases")?;
    let bytes = axum::body::to_bytes(page.into_body(), usize::MAX)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut v: Value =
        serde_json::from_slice(&bytes).map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Some(items) = v.as_object_mut().and_then(|o| o.remove("items")) {
        v["cases"] = items;
    }
    Ok(Json(v).into_response())
}

/// The columns of the CSV and xlsx lists.
const COLUMNS: [&str; 14] = [
    "case_no",
    "created_bj",
    "origin_zh",
    "title",
    "violation_zh",
    "subject_name",
    "township_name",
    "non_site",
    "state_zh",
    "deadline_bj",
    "fine_yuan",
    "closed_bj",
    "created_by",
    "id",
];

/// Opens a case by hand (the bureau, administrators).
#[utoipa::path(post, path = "/cases", tag = "enforcement", request_body = Object,
    responses((status = 200, body = Object), (status = 400, description = "A bad field"),
        (status = 401, description = "Log in"), (status = 403, description = "Not the bureau's")))]
pub async fn create(
    State(st): State<AppState>,
    Who(caller): Who,
    J(r): J<NewCaseRequest>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        run(&st, move |app| cases::open_manual(app, &caller, r)).await?
    )))
}

#[derive(Debug, Default, Deserialize)]
pub struct NoteBody {
    #[serde(default)]
    pub note: String,
    /// Another violation than the one the origin gives.
    pub violation: Option<Violation>,
}

/// Opens a case from an integrity alarm the bureau confirmed, with the archived packets of
/// the alarm's hours (at most 500) and its hour series as evidence.
#[utoipa::path(post, path = "/cases/from-alarm/{id}", tag = "enforcement",
    params(("id" = i64, Path, description = "Alarm id")), request_body = Object,
    responses((status = 200, body = Object), (status = 403, description = "Not the bureau's"),
        (status = 409, description = "Not confirmed, or a case was opened from it already")))]
pub async fn from_alarm(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    J(b): J<NoteBody>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        run(&st, move |app| cases::from_alarm(
            app,
            &caller,
            id,
            &b.note,
            b.violation
        ))
        .await?
    )))
}

/// Opens a case from a violation found verifying a warning (`enterprise`, `measure`,
/// `first_hour` as the verification lists it).
#[utoipa::path(post, path = "/cases/from-violation/{id}", tag = "enforcement",
    params(("id" = i64, Path, description = "Warning id")), request_body = Object,
    responses((status = 200, body = Object), (status = 404, description = "No such violation"),
        (status = 409, description = "A case was opened from it already")))]
pub async fn from_violation(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    J(b): J<FromViolation>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        run(&st, move |app| cases::from_violation(app, &caller, id, &b)).await?
    )))
}

/// Opens a case from a grid task.
#[utoipa::path(post, path = "/cases/from-task/{id}", tag = "enforcement",
    params(("id" = i64, Path, description = "Task id")), request_body = Object,
    responses((status = 200, body = Object), (status = 404, description = "No such task"),
        (status = 409, description = "A case was opened from it already")))]
pub async fn from_task(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    J(b): J<NoteBody>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        run(&st, move |app| cases::from_task(
            app,
            &caller,
            id,
            &b.note,
            b.violation
        ))
        .await?
    )))
}

/// One case with its timeline, evidence (each archived packet verified now), inspections,
/// decisions, deadline, credit entries and the steps the caller may take.
#[utoipa::path(get, path = "/cases/{id}", tag = "enforcement", params(("id" = i64, Path, description = "Case id")),
    responses((status = 200, body = Object), (status = 404, description = "No such case, or not the caller's")))]
pub async fn one(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        run(&st, move |app| cases::one(app, &caller, id)).await?
    )))
}

/// Records an inspection (`date`, `inspectors`, `findings`).
#[utoipa::path(post, path = "/cases/{id}/inspection", tag = "enforcement",
    params(("id" = i64, Path, description = "Case id")), request_body = Object,
    responses((status = 200, body = Object), (status = 403, description = "Not the bureau's"),
        (status = 409, description = "Not possible in the case's state")))]
pub async fn inspection(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    J(b): J<InspectRequest>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        run(&st, move |app| cases::inspect(app, &caller, id, &b)).await?
    )))
}

/// Records a decision: `rectify` (with `deadline`), `fine` (with `amount_yuan` and
/// `legal_basis`) or `transfer` (with `transfer_to`), and its `text`.
#[utoipa::path(post, path = "/cases/{id}/decision", tag = "enforcement",
    params(("id" = i64, Path, description = "Case id")), request_body = Object,
    responses((status = 200, body = Object), (status = 400, description = "A missing field"),
        (status = 403, description = "Not the bureau's"), (status = 409, description = "Not possible in the case's state")))]
pub async fn decision(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    J(b): J<DecideRequest>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        run(&st, move |app| cases::decide(app, &caller, id, &b)).await?
    )))
}

#[derive(Debug, Default, Deserialize)]
pub struct TextBody {
    #[serde(default)]
    pub text: String,
}

/// Confirms the ordered rectification (整改验收).
#[utoipa::path(post, path = "/cases/{id}/rectified", tag = "enforcement",
    params(("id" = i64, Path, description = "Case id")), request_body = Object,
    responses((status = 200, body = Object), (status = 409, description = "No rectification to confirm")))]
pub async fn rectified(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    J(b): J<TextBody>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        run(&st, move |app| cases::confirm_rectified(
            app, &caller, id, &b.text
        ))
        .await?
    )))
}

/// Closes a decided case and writes its credit entries by rule (409 without a decision or
/// while a rectification is not confirmed).
#[utoipa::path(post, path = "/cases/{id}/close", tag = "enforcement",
    params(("id" = i64, Path, description = "Case id")), request_body = Object,
    responses((status = 200, body = Object), (status = 403, description = "Not the bureau's"),
        (status = 409, description = "No decision, or a rectification not confirmed")))]
pub async fn close(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    J(b): J<TextBody>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        run(&st, move |app| cases::close(app, &caller, id, &b.text)).await?
    )))
}

/// Writes (again) a closed case's credit entries by rule: the retry when the close answered
/// with `credit_failure`. Idempotent (entries already written are answered).
#[utoipa::path(post, path = "/cases/{id}/credit", tag = "enforcement",
    params(("id" = i64, Path, description = "Case id")),
    responses((status = 200, description = "`{ \"credit_entries\": [ids] }`", body = Object),
        (status = 403, description = "Not the bureau's"), (status = 409, description = "The case is not closed")))]
pub async fn credit(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
) -> ApiResult<Json<Value>> {
    let ids = run(&st, move |app| cases::record_credit(app, &caller, id)).await?;
    Ok(Json(json!({ "credit_entries": ids })))
}

/// Ends a case without a penalty (不予处罚/撤销; no credit entry), before any decision.
#[utoipa::path(post, path = "/cases/{id}/dismiss", tag = "enforcement",
    params(("id" = i64, Path, description = "Case id")), request_body = Object,
    responses((status = 200, body = Object), (status = 409, description = "Already decided or ended")))]
pub async fn dismiss(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    J(b): J<TextBody>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        run(&st, move |app| cases::dismiss(app, &caller, id, &b.text)).await?
    )))
}

/// Re-verifies the case's archived evidence against the archive now: names each record
/// that was changed or deleted, or whose chain to the head is broken.
#[utoipa::path(get, path = "/cases/{id}/verify", tag = "enforcement",
    params(("id" = i64, Path, description = "Case id")),
    responses((status = 200, body = Object), (status = 404, description = "No such case, or not the caller's")))]
pub async fn verify(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        run(&st, move |app| cases::verify(app, &caller, id)).await?
    )))
}

/// Attaches an evidence file (JPEG, PNG or PDF by content, at most 10 MiB; the body is the
/// file, `X-Filename` its name).
#[utoipa::path(post, path = "/cases/{id}/evidence", tag = "enforcement", params(("id" = i64, Path, description = "Case id")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = Object), (status = 413, description = "Larger than 10 MiB")))]
pub async fn evidence(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    if body.len() > EVIDENCE_BYTES_MAX {
        return Err(ApiError::PayloadTooLarge);
    }
    let name = super::upload_name(&headers, "evidence");
    Ok(Json(json!(
        run(&st, move |app| cases::add_evidence(
            app, &caller, id, &name, &body
        ))
        .await?
    )))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    /// The stored file's name, as the case lists it.
    pub file: String,
}

/// An evidence file of a case the caller sees.
#[utoipa::path(get, path = "/cases/{id}/evidence", tag = "enforcement",
    params(("id" = i64, Path, description = "Case id"), FileQuery),
    responses((status = 200, description = "The file"), (status = 404, description = "No such file")))]
pub async fn evidence_file(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    Q(q): Q<FileQuery>,
) -> ApiResult<Response> {
    let name = q.file.clone();
    let (bytes, mime) = run(&st, move |app| {
        cases::evidence_file(app, &caller, id, &q.file)
    })
    .await?;
    Ok(download(bytes, mime, &name))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// The year (Beijing time; default: this year).
    pub year: Option<i32>,
}

/// The year's counts by violation, township and origin, the non-site share and the fines.
#[utoipa::path(get, path = "/cases/stats", tag = "enforcement", params(StatsQuery),
    responses((status = 200, body = Object), (status = 401, description = "Log in")))]
pub async fn stats(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<StatsQuery>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        run(&st, move |app| cases::stats(app, &caller, q.year)).await?
    )))
}

/// The case routes; the evidence upload with a body limit of its own.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(stats))
        .routes(routes!(one))
        .routes(routes!(from_alarm))
        .routes(routes!(from_violation))
        .routes(routes!(from_task))
        .routes(routes!(inspection))
        .routes(routes!(decision))
        .routes(routes!(rectified))
        .routes(routes!(close))
        .routes(routes!(credit))
        .routes(routes!(dismiss))
        .routes(routes!(verify))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(evidence, evidence_file))
                .layer(DefaultBodyLimit::max(EVIDENCE_BYTES_MAX + 1024)),
        )
}
