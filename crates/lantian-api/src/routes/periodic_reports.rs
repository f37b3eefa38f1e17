//! The periodic air-quality reports over HTTP (issue 17; docs/ui.md, "Reports"): a 日报, 周报
//! or 月报 of the city or a township as JSON, xlsx or PDF; the files made (by hand or on a
//! schedule) with their downloads; the schedules. Thin: every check is in
//! `lantian_app::periodic_report` and `lantian_app::report_schedule`.

use super::{J, P, Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::{ApiError, ApiResult};
use crate::export::{PageQuery, download};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lantian_app::periodic_report::{self, Kind, Period, parse_scope};
use lantian_app::report_schedule::{self, ScheduleInput};
use lantian_store::View;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodicQuery {
    /// `daily` (default), `weekly` or `monthly`.
    pub kind: Option<String>,
    /// `city` (default) or `unit:ID` (a town, township or zone).
    pub scope: Option<String>,
    /// `YYYY-MM-DD` (a day; for a week any of its days) or `YYYY-MM` (a month); default:
    /// the last period that has ended (yesterday, last week, last month; Beijing time).
    pub period: Option<String>,
    /// `audited` (default) or `raw`.
    #[param(value_type = Option<String>)]
    pub view: Option<View>,
    /// `json` (default), `xlsx` or `pdf`.
    pub format: Option<String>,
}

impl PeriodicQuery {
    fn parts(&self, st: &AppState) -> ApiResult<(Kind, lantian_app::data::Scope, Period)> {
        let kind = Kind::parse(self.kind.as_deref().unwrap_or("daily"))?;
        let scope = parse_scope(self.scope.as_deref().unwrap_or("city"))?;
        let period = match self.period.as_deref() {
            Some(p) => Period::parse(kind, p)?,
            None => Period::last_ended(kind, st.app.clock.today()),
        };
        Ok((kind, scope, period))
    }
}

/// A 日报, 周报 or 月报 of the city or a township-level unit: the figures (AQI for a day; the
/// six pollutants as HJ 663 states them, day counts, 优良天数比率, composite index), 同比 and
/// 环比, the year to date, the days, the hours (日报), the units ranked or the unit's stations,
/// the notes; as JSON, an Excel workbook or an A4 PDF. Government accounts; a township's
/// its own and the city's.
#[utoipa::path(get, path = "/reports/periodic", tag = "assessment", params(PeriodicQuery),
    responses((status = 200, description = "JSON, an xlsx or a PDF file", body = Object),
        (status = 400, description = "A parameter is wrong: the message names it"),
        (status = 403, description = "Not a government account, or another township's")))]
pub async fn periodic(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<PeriodicQuery>,
) -> ApiResult<Response> {
    let (kind, scope, period) = q.parts(&st)?;
    let view = q.view.unwrap_or(View::Audited);
    let format = q.format.clone().unwrap_or_else(|| "json".to_owned());
    if !matches!(format.as_str(), "json" | "xlsx" | "pdf") {
        return Err(ApiError::BadRequest(format!(
            "格式 {format:?} 无效，应为 json、xlsx 或 pdf / format {format:?}: expected json, xlsx or pdf"
        )));
    }
    let out = run(&st, move |app| {
        let r = periodic_report::report(app, &caller, &scope, period, view)?;
        if format == "json" {
            return Ok(Ok(json!(r)));
        }
        let (bytes, mime) = periodic_report::render(&r, &format)?;
        let name = periodic_report::file_name(kind, &r.scope, &r.period, &format);
        Ok(Err((bytes, mime, name)))
    })
    .await?;
    Ok(match out {
        Ok(v) => Json::<Value>(v).into_response(),
        Err((bytes, mime, name)) => download(bytes, mime, &name),
    })
}

/// A page of the report files made (by hand or on a schedule) that the caller may read,
/// newest first: `{items, total, page, per_page}`, cut in SQL.
#[utoipa::path(get, path = "/reports/files", tag = "assessment", params(PageQuery),
    responses((status = 200, body = Object), (status = 400, description = "A bad page or per_page")))]
pub async fn files(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<PageQuery>,
) -> ApiResult<Json<Value>> {
    let p = q.paging()?;
    let v = run(&st, move |app| {
        report_schedule::files_page(app, &caller, p.store())
    })
    .await?;
    Ok(Json(Value::Object(p.answer("items", &v))))
}

/// What to make: a report's kind, scope, period, view and formats.
#[derive(Debug, Deserialize)]
pub struct MakeBody {
    pub kind: String,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub period: Option<String>,
    #[serde(default)]
    pub view: Option<View>,
    /// `xlsx`, `pdf` or `xlsx,pdf` (default: both).
    #[serde(default)]
    pub formats: Option<String>,
}

/// Makes a report's files and keeps them (the bureau and administrators; audited); a file
/// of the same kind, scope, period and format is replaced.
#[utoipa::path(post, path = "/reports/files", tag = "assessment", request_body = Object,
    responses((status = 201, description = "The files made", body = Object),
        (status = 403, description = "Not the bureau or an administrator")))]
pub async fn make(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<MakeBody>,
) -> ApiResult<Response> {
    let q = PeriodicQuery {
        kind: Some(b.kind),
        scope: b.scope,
        period: b.period,
        view: b.view,
        format: None,
    };
    let (kind, scope, period) = q.parts(&st)?;
    let view = q.view.unwrap_or(View::Audited);
    let formats = b.formats.unwrap_or_else(|| "xlsx,pdf".to_owned());
    let v = run(&st, move |app| {
        report_schedule::make(app, &caller, kind, &scope, period, view, &formats)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(json!(v))).into_response())
}

/// Downloads a report file (whoever may read its scope's reports).
#[utoipa::path(get, path = "/reports/files/{id}", tag = "assessment",
    params(("id" = i64, Path, description = "File id")),
    responses((status = 200, description = "The xlsx or PDF file"), (status = 404, description = "No such file")))]
pub async fn file(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
) -> ApiResult<Response> {
    let (f, bytes) = run(&st, move |app| report_schedule::file(app, &caller, id)).await?;
    let mime = periodic_report::render_mime(&f.format);
    Ok(download(bytes, mime, &f.name))
}

/// The report schedules (the bureau and administrators).
#[utoipa::path(get, path = "/reports/schedules", tag = "assessment",
    responses((status = 200, body = Object)))]
pub async fn schedules(State(st): State<AppState>, Who(caller): Who) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| report_schedule::schedules(app, &caller)).await?;
    Ok(Json(json!(v)))
}

/// Adds a schedule: `kind`, `scope`, `formats`, `hour_cst` (0–23, Beijing time), `enabled`.
/// `lantian serve` makes the last ended period's report from that hour on, once.
#[utoipa::path(post, path = "/reports/schedules", tag = "assessment", request_body = Object,
    responses((status = 201, body = Object), (status = 409, description = "The kind and scope have a schedule")))]
pub async fn add_schedule(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<ScheduleInput>,
) -> ApiResult<Response> {
    let v = run(&st, move |app| {
        report_schedule::add_schedule(app, &caller, &b)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(json!(v))).into_response())
}

/// Changes a schedule's `formats`, `hour_cst` and `enabled`.
#[utoipa::path(put, path = "/reports/schedules/{id}", tag = "assessment",
    params(("id" = i64, Path, description = "Schedule id")), request_body = Object,
    responses((status = 200, body = Object), (status = 404, description = "No such schedule")))]
pub async fn update_schedule(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    J(b): J<ScheduleInput>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| {
        report_schedule::update_schedule(app, &caller, id, &b)
    })
    .await?;
    Ok(Json(json!(v)))
}

/// Removes a schedule (its files stay).
#[utoipa::path(delete, path = "/reports/schedules/{id}", tag = "assessment",
    params(("id" = i64, Path, description = "Schedule id")),
    responses((status = 200, body = Object), (status = 404, description = "No such schedule")))]
pub async fn delete_schedule(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| {
        report_schedule::delete_schedule(app, &caller, id)
    })
    .await?;
    Ok(Json(json!(v)))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(periodic))
        .routes(routes!(files, make))
        .routes(routes!(file))
        .routes(routes!(schedules, add_schedule))
        .routes(routes!(update_schedule, delete_schedule))
}
