//! Dust sites, dustfall, inspections, the dust scan, the area indicators, the non-road
//! machinery register and 冒黑烟 reports over HTTP. Thin: every decision is in
//! `lantian_app::sites` (docs/grid.md).

use super::{J, P, Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::{ApiError, ApiResult};
use crate::export::PageQuery;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use lantian_app::sites::{
    self, DustfallEntry, NewInspection, NewMachine, NewMachineInspection, NewSite, SmokyReport,
};
use lantian_core::date::{Date, Month};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The largest dustfall spreadsheet accepted (10 MiB).
const IMPORT_BYTES_MAX: usize = 10 << 20;

fn month(text: &str) -> ApiResult<Month> {
    Month::parse(text).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "月份 {text:?} 须为 YYYY-MM / month {text:?} must be YYYY-MM"
        ))
    })
}

/// A page of the sites, each with its latest dustfall and inspection: `{items, total, page,
/// per_page}` (government accounts).
#[utoipa::path(get, path = "/sites", tag = "grid", params(PageQuery),
    responses((status = 200, description = "A page of sites", body = Object), (status = 400, description = "A bad page or per_page")))]
pub async fn list(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<PageQuery>,
) -> ApiResult<Json<Value>> {
    let p = q.paging()?;
    let v = run(&st, move |app| sites::list_sites(app, &caller)).await?;
    Ok(Json(Value::Object(p.answer("items", &p.cut(v)))))
}

/// Registers a site (the bureau): `id`, `name`, `kind` (construction, road, yard, other),
/// `lat`, `lon`, `owner`, `department`, `monitor` (a station id), `pollutant` (pm10 or tsp),
/// `limit_ug_m3`, `excess_hours_min`.
#[utoipa::path(post, path = "/sites", tag = "grid", request_body = Object,
    responses((status = 200, description = "The site", body = Object)))]
pub async fn add(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<NewSite>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| sites::register_site(app, &caller, b)).await?;
    Ok(Json(json!(v)))
}

/// One site with its dustfall by month, inspections and exceedance episodes.
#[utoipa::path(get, path = "/sites/{id}", tag = "grid",
    params(("id" = String, Path, description = "Site id")),
    responses((status = 200, body = Object)))]
pub async fn one(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<String>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| sites::site_detail(app, &caller, &id)).await?;
    Ok(Json(json!(v)))
}

/// Records an inspection with the six items of 六个百分之百 (`date`, `items`: each
/// `{item, ok, note}`, `note`): the bureau, the site's department or township.
#[utoipa::path(post, path = "/sites/{id}/inspections", tag = "grid",
    params(("id" = String, Path, description = "Site id")), request_body = Object,
    responses((status = 200, body = Object)))]
pub async fn inspect(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<String>,
    J(b): J<NewInspection>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| sites::inspect_site(app, &caller, &id, b)).await?;
    Ok(Json(json!(v)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ScanBody {
    /// First day, Beijing time.
    #[schema(value_type = String)]
    pub from: Date,
    /// Last day, Beijing time.
    #[schema(value_type = String)]
    pub to: Date,
}

/// Runs the dust scan over days (the bureau): each episode over a site's limit becomes one
/// grid task.
#[utoipa::path(post, path = "/sites/scan", tag = "grid", request_body = ScanBody,
    responses((status = 200, body = Object)))]
pub async fn scan(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<ScanBody>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| sites::scan(app, &caller, b.from, b.to)).await?;
    Ok(Json(json!(v)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DustfallBody {
    /// `{site, month (YYYY-MM), value_t_km2, note}` each; all or nothing.
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<DustfallEntry>,
}

/// Enters months of dustfall (t/km²·month): the bureau, each site's department or township.
#[utoipa::path(post, path = "/dustfall", tag = "grid", request_body = DustfallBody,
    responses((status = 200, body = Object)))]
pub async fn dustfall(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<DustfallBody>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| {
        sites::record_dustfall(app, &caller, &b.entries)
    })
    .await?;
    Ok(Json(json!({ "items": v })))
}

/// Imports dustfall from a CSV or xlsx (columns site, month, value[, note]; the body is the
/// file, `X-Filename` its name).
#[utoipa::path(post, path = "/dustfall/import", tag = "grid",
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = Object), (status = 413, description = "Larger than 10 MiB")))]
pub async fn import(
    State(st): State<AppState>,
    Who(caller): Who,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    if body.len() > IMPORT_BYTES_MAX {
        return Err(ApiError::PayloadTooLarge);
    }
    let name = super::upload_name(&headers, "dustfall.csv");
    let v = run(&st, move |app| {
        sites::import_dustfall(app, &caller, &body, &name)
    })
    .await?;
    Ok(Json(json!({ "items": v })))
}

/// The sites' dustfall of a month and their mean against 5 t/km²·month.
#[utoipa::path(get, path = "/dustfall/{month}", tag = "grid",
    params(("month" = String, Path, description = "YYYY-MM")),
    responses((status = 200, body = Object)))]
pub async fn dustfall_month(
    State(st): State<AppState>,
    Who(caller): Who,
    P(m): P<String>,
) -> ApiResult<Json<Value>> {
    let m = month(&m)?;
    let v = run(&st, move |app| sites::dustfall_month(app, &caller, m)).await?;
    Ok(Json(json!(v)))
}

/// Records the month's mean dustfall as the actual of the ledger's dustfall target (the
/// bureau).
#[utoipa::path(post, path = "/dustfall/{month}/record", tag = "grid",
    params(("month" = String, Path, description = "YYYY-MM")),
    responses((status = 200, body = Object)))]
pub async fn record(
    State(st): State<AppState>,
    Who(caller): Who,
    P(m): P<String>,
) -> ApiResult<Json<Value>> {
    let m = month(&m)?;
    let v = run(&st, move |app| {
        sites::record_dustfall_actual(app, &caller, m)
    })
    .await?;
    Ok(Json(json!(v)))
}

/// The plan's area indicators (straw utilisation, mechanised cleaning, dustfall) with their
/// ledger measures and latest monthly actuals. Public, as the ledger is.
#[utoipa::path(get, path = "/area-indicators", tag = "grid",
    responses((status = 200, body = Object)))]
pub async fn indicators(State(st): State<AppState>) -> ApiResult<Json<Value>> {
    let v = run(&st, sites::area_indicators).await?;
    Ok(Json(json!({ "items": v })))
}

/// A page of the non-road machinery register, each machine with its inspections: `{items,
/// total, page, per_page}` (government accounts).
#[utoipa::path(get, path = "/machinery", tag = "grid", params(PageQuery),
    responses((status = 200, body = Object), (status = 400, description = "A bad page or per_page")))]
pub async fn machinery(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<PageQuery>,
) -> ApiResult<Json<Value>> {
    let p = q.paging()?;
    let v = run(&st, move |app| sites::list_machinery(app, &caller)).await?;
    Ok(Json(Value::Object(p.answer("items", &p.cut(v)))))
}

/// Registers a machine (the bureau): `code`, `owner`, `kind`, `stage` (国一…国四),
/// `engine_kw`, `site`, `registered`.
#[utoipa::path(post, path = "/machinery", tag = "grid", request_body = Object,
    responses((status = 200, body = Object)))]
pub async fn add_machine(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<NewMachine>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| sites::register_machine(app, &caller, b)).await?;
    Ok(Json(json!(v)))
}

/// One machine with its inspections.
#[utoipa::path(get, path = "/machinery/{id}", tag = "grid",
    params(("id" = String, Path, description = "Registration code")),
    responses((status = 200, body = Object)))]
pub async fn machine(
    State(st): State<AppState>,
    Who(caller): Who,
    P(code): P<String>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| sites::machine(app, &caller, &code)).await?;
    Ok(Json(json!(v)))
}

/// Records an inspection of a machine (`date`, `passed`, `opacity_m1`, `note`).
#[utoipa::path(post, path = "/machinery/{id}/inspections", tag = "grid",
    params(("id" = String, Path, description = "Registration code")), request_body = Object,
    responses((status = 200, body = Object)))]
pub async fn inspect_machine(
    State(st): State<AppState>,
    Who(caller): Who,
    P(code): P<String>,
    J(b): J<NewMachineInspection>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| {
        sites::inspect_machine(app, &caller, &code, b)
    })
    .await?;
    Ok(Json(json!(v)))
}

/// Reports a 冒黑烟 vehicle (`plate`, `place`, `lat`, `lon`, `seen`, `note`): a grid task for
/// the township where it was seen; its photo goes to `/tasks/{id}/evidence`.
#[utoipa::path(post, path = "/smoky-vehicles", tag = "grid", request_body = Object,
    responses((status = 200, body = Object)))]
pub async fn smoky(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<SmokyReport>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| {
        sites::report_smoky_vehicle(app, &caller, b, None)
    })
    .await?;
    Ok(Json(json!(v)))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, add))
        .routes(routes!(one))
        .routes(routes!(inspect))
        .routes(routes!(scan))
        .routes(routes!(dustfall))
        .routes(routes!(import))
        .routes(routes!(dustfall_month))
        .routes(routes!(record))
        .routes(routes!(indicators))
        .routes(routes!(machinery, add_machine))
        .routes(routes!(machine))
        .routes(routes!(inspect_machine))
        .routes(routes!(smoky))
}
