//! Heavy-pollution emergency response over HTTP: warnings and their workflow, notices and
//! receipts, the reduction list, verification with evidence, handover, the episode report.

use super::sources::{ImportQuery, XLSX};
use super::{J, P, Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::ApiResult;
use crate::export::{PageQuery, download};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::response::{IntoResponse, Response};
use lantian_app::emergency::{self, ProposeRequest, StepRequest};
use lantian_app::{compliance, episode, reduction};
use lantian_core::Date;
use lantian_core::warning::reduction::{Measure, Pollutant};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The largest reduction list an import takes.
const UPLOAD_BYTES_MAX: usize = 8 << 20;

/// A page of the warnings, newest first: `{items, total, page, per_page}`; the public sees
/// those issued, accounts every one.
#[utoipa::path(get, path = "/warnings", tag = "emergency", params(PageQuery),
    responses((status = 200, body = Object), (status = 400, description = "A bad page or per_page")))]
pub async fn list(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<PageQuery>,
) -> ApiResult<Json<Value>> {
    let p = q.paging()?;
    let w = run(&st, move |app| emergency::list(app, &caller)).await?;
    Ok(Json(Value::Object(p.answer("items", &p.cut(w)))))
}

/// Judges a forecast (`daily: [{date, aqi}]` or `hourly: [{time, aqi}]`, optional
/// `edition`); with `save: true` stores its proposal to sign off (the bureau, the command).
#[utoipa::path(post, path = "/warnings/propose", tag = "emergency",
    request_body(content = Object, content_type = "application/json"),
    responses((status = 200, body = Object), (status = 400, description = "The forecast's bad row")))]
pub async fn propose(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<ProposeRequest>,
) -> ApiResult<Json<Value>> {
    let p = run(&st, move |app| emergency::propose_from(app, &caller, &b)).await?;
    Ok(Json(json!(p)))
}

/// A regional order of the province: sets the level directly (the bureau, the command).
#[utoipa::path(post, path = "/warnings/regional", tag = "emergency",
    request_body(content = Object, content_type = "application/json"), responses((status = 200, body = Object)))]
pub async fn regional(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<StepRequest>,
) -> ApiResult<Json<Value>> {
    let w = run(&st, move |app| emergency::regional_order(app, &caller, &b)).await?;
    Ok(Json(json!(w)))
}

/// A warning with its timeline (and, for who runs the workflow, the notices' receipts).
#[utoipa::path(get, path = "/warnings/{id}", tag = "emergency", params(("id" = i64, Path, description = "Warning id")),
    responses((status = 200, body = Object), (status = 404, description = "No such warning")))]
pub async fn one(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
) -> ApiResult<Json<Value>> {
    let w = run(&st, move |app| emergency::get(app, &caller, id)).await?;
    Ok(Json(json!(w)))
}

/// A step of the workflow: `issue`, `adjust`, `lift`, `withdraw` (the command signs off) or
/// `answer` (to a regional order); the body has `doc_no`, `level`, `at`, `note` and, for a
/// lift, the `forecast` that allows it.
#[utoipa::path(post, path = "/warnings/{id}/{step}", tag = "emergency",
    params(("id" = i64, Path, description = "Warning id"), ("step" = String, Path, description = "issue, adjust, lift, withdraw or answer")),
    request_body(content = Object, content_type = "application/json"),
    responses((status = 200, body = Object), (status = 403, description = "Not the command"), (status = 409, description = "Not in a state for this step")))]
pub async fn step(
    State(st): State<AppState>,
    Who(caller): Who,
    P((id, step)): P<(i64, String)>,
    J(b): J<StepRequest>,
) -> ApiResult<Json<Value>> {
    let w = run(&st, move |app| match step.as_str() {
        "issue" => emergency::issue(app, &caller, id, &b),
        "adjust" => emergency::adjust(app, &caller, id, &b),
        "lift" => emergency::lift(app, &caller, id, &b),
        "withdraw" => emergency::withdraw(app, &caller, id, &b),
        "answer" => emergency::answer(app, &caller, id, &b),
        _ => Err(lantian_app::AppError::NotFound(format!("no step {step}"))),
    })
    .await?;
    Ok(Json(json!(w)))
}

/// Each listed enterprise's compliance hour by hour while the warning was in force, by
/// grade, and the violations.
#[utoipa::path(get, path = "/warnings/{id}/verification", tag = "emergency", params(("id" = i64, Path, description = "Warning id")),
    responses((status = 200, body = Object)))]
pub async fn verification(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| compliance::verify(app, &caller, id)).await?;
    Ok(Json(json!(v)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct EvidenceQuery {
    pub enterprise: String,
    /// `level:seq`, e.g. `orange:1`.
    pub measure: String,
    /// The violation's first hour, `YYYY-MM-DD HH:MM` Beijing time.
    pub first_hour: String,
}

/// A violation's evidence: the line's hours around it, its normal load and the cap.
#[utoipa::path(get, path = "/warnings/{id}/evidence", tag = "emergency", params(("id" = i64, Path, description = "Warning id"), EvidenceQuery),
    responses((status = 200, body = Object), (status = 404, description = "No such violation")))]
pub async fn evidence(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    Q(q): Q<EvidenceQuery>,
) -> ApiResult<Json<Value>> {
    let e = run(&st, move |app| {
        compliance::evidence(app, &caller, id, &q.enterprise, &q.measure, &q.first_hour)
    })
    .await?;
    Ok(Json(json!(e)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct HandoverBody {
    pub enterprise: String,
    pub measure: String,
    pub first_hour: String,
    #[serde(default)]
    pub note: String,
}

/// Hands a violation over to enforcement (the bureau, administrators).
#[utoipa::path(post, path = "/warnings/{id}/handover", tag = "emergency", params(("id" = i64, Path, description = "Warning id")),
    request_body = HandoverBody, responses((status = 200, body = Object), (status = 409, description = "Already handed over")))]
pub async fn handover(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    J(b): J<HandoverBody>,
) -> ApiResult<Json<Value>> {
    let h = run(&st, move |app| {
        compliance::hand_over(
            app,
            &caller,
            id,
            &b.enterprise,
            &b.measure,
            &b.first_hour,
            &b.note,
        )
    })
    .await?;
    Ok(Json(json!(h)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct FormatQuery {
    /// `json` (default), `xlsx` or `pdf`.
    pub format: Option<String>,
}

/// The episode report: forecast vs observed AQI, compliance by enterprise and grade,
/// violations, reduction achieved vs required (the bureau, the command).
#[utoipa::path(get, path = "/warnings/{id}/report", tag = "emergency", params(("id" = i64, Path, description = "Warning id"), FormatQuery),
    responses((status = 200, description = "JSON, an xlsx or a PDF file", body = Object)))]
pub async fn report(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    Q(q): Q<FormatQuery>,
) -> ApiResult<Response> {
    let format = q.format.unwrap_or_default();
    let name = format!("warning-{id}-report");
    let out = run(&st, move |app| {
        let r = episode::report(app, &caller, id)?;
        Ok(match format.as_str() {
            "xlsx" => Err((episode::xlsx(app, &r)?, XLSX, "xlsx")),
            "pdf" => Err((episode::pdf(app, &r)?, "application/pdf", "pdf")),
            _ => Ok(r),
        })
    })
    .await?;
    Ok(match out {
        Ok(r) => Json(json!(r)).into_response(),
        Err((bytes, mime, ext)) => download(bytes, mime, &format!("{name}.{ext}")),
    })
}

/// A page of the notices to the caller's unit: `{items, total, page, per_page}` (reading
/// the page records the receipt of its notices).
#[utoipa::path(get, path = "/notices", tag = "emergency", params(PageQuery),
    responses((status = 200, body = Object), (status = 400, description = "A bad page or per_page"), (status = 401, description = "Log in")))]
pub async fn notices(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<PageQuery>,
) -> ApiResult<Json<Value>> {
    let p = q.paging()?;
    let n = run(&st, move |app| {
        emergency::my_notices_page(app, &caller, p.store())
    })
    .await?;
    Ok(Json(Value::Object(p.answer("items", &n))))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ConfirmBody {
    pub warning_id: i64,
    pub event_seq: i64,
}

/// Confirms (签收) a notice to the caller's unit.
#[utoipa::path(post, path = "/notices/confirm", tag = "emergency", request_body = ConfirmBody,
    responses((status = 200, body = Object), (status = 404, description = "No such notice to your unit")))]
pub async fn confirm(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<ConfirmBody>,
) -> ApiResult<Json<Value>> {
    run(&st, move |app| {
        emergency::confirm(app, &caller, b.warning_id, b.event_seq)
    })
    .await?;
    Ok(Json(json!({"confirmed": true})))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// The baselines end the day before (default: today).
    #[param(value_type = Option<String>)]
    pub day: Option<Date>,
    /// `xlsx`: the list in the province's layout.
    pub format: Option<String>,
}

/// The reduction list: measures per enterprise and level, baselines, estimated cuts and each
/// level's balance against the required share (with its shortfall).
#[utoipa::path(get, path = "/reduction-list", tag = "emergency", params(ListQuery),
    responses((status = 200, description = "JSON, an xlsx or a PDF file", body = Object)))]
pub async fn reduction_list(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<ListQuery>,
) -> ApiResult<Response> {
    let xlsx = q.format.as_deref() == Some("xlsx");
    let out = run(&st, move |app| {
        let day = q.day.unwrap_or_else(|| app.clock.today());
        if xlsx {
            Ok(Err(reduction::xlsx(app, &caller, day)?))
        } else {
            Ok(Ok(reduction::list(app, &caller, day)?))
        }
    })
    .await?;
    Ok(match out {
        Ok(l) => Json(json!(l)).into_response(),
        Err(bytes) => download(bytes, XLSX, "reduction-list.xlsx"),
    })
}

/// Imports the reduction list (CSV or xlsx in the layout it is exported in): all or
/// nothing, bad rows named (the bureau, administrators).
#[utoipa::path(post, path = "/reduction-list/import", tag = "emergency", params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, description = "The import report", body = Object)))]
pub async fn import(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<ImportQuery>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let dry_run = q.dry_run == Some(1);
    let r = run(&st, move |app| {
        reduction::import_file(app, &caller, &body, dry_run)
    })
    .await?;
    Ok(Json(json!(r)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DefaultsBody {
    /// Only this enterprise (replacing its measures); default: every graded enterprise
    /// without measures.
    pub enterprise: Option<String>,
}

/// Gives enterprises their grade's default measures (the bureau, administrators).
#[utoipa::path(post, path = "/reduction-list/defaults", tag = "emergency", request_body = DefaultsBody,
    responses((status = 200, body = Object)))]
pub async fn defaults(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<DefaultsBody>,
) -> ApiResult<Json<Value>> {
    let n = run(&st, move |app| {
        reduction::apply_defaults(app, &caller, b.enterprise.as_deref())
    })
    .await?;
    Ok(Json(json!({"enterprises": n})))
}

/// Replaces an enterprise's measures (a list of `{level, kind, equipment, cap_pct,
/// declared_pct, text}`; the bureau, administrators).
#[utoipa::path(put, path = "/enterprises/{id}/measures", tag = "emergency", params(("id" = String, Path, description = "Enterprise id")),
    request_body(content = Object, content_type = "application/json"), responses((status = 200, body = Object)))]
pub async fn measures(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
    J(b): J<Vec<Measure>>,
) -> ApiResult<Json<Value>> {
    let n = b.len();
    run(&st, move |app| {
        reduction::set_measures(app, &caller, &id, b)
    })
    .await?;
    Ok(Json(json!({"measures": n})))
}

/// Sets an enterprise's permitted emissions, `{"SO2": t_per_year, …}` (the bureau,
/// administrators).
#[utoipa::path(put, path = "/enterprises/{id}/permits", tag = "emergency", params(("id" = String, Path, description = "Enterprise id")),
    request_body(content = Object, content_type = "application/json"), responses((status = 200, body = Object)))]
pub async fn permits(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
    J(b): J<BTreeMap<Pollutant, f64>>,
) -> ApiResult<Json<Value>> {
    let p: Vec<(Pollutant, f64)> = b.into_iter().collect();
    run(&st, move |app| {
        reduction::set_permits(app, &caller, &id, &p)
    })
    .await?;
    Ok(Json(json!({"saved": true})))
}

/// The routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    let uploads = OpenApiRouter::new()
        .routes(routes!(import))
        .layer(DefaultBodyLimit::max(UPLOAD_BYTES_MAX));
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(propose))
        .routes(routes!(regional))
        .routes(routes!(one))
        .routes(routes!(step))
        .routes(routes!(verification))
        .routes(routes!(evidence))
        .routes(routes!(handover))
        .routes(routes!(report))
        .routes(routes!(notices))
        .routes(routes!(confirm))
        .routes(routes!(reduction_list))
        .routes(routes!(defaults))
        .routes(routes!(measures))
        .routes(routes!(permits))
        .merge(uploads)
}
