//! The 散乱污 list over HTTP: entries, their steps, the import and the monthly count that
//! must return to zero. Thin: every decision is in `lantian_app::sanluanwu`
//! (docs/enforcement.md "散乱污").

use super::{J, P, Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::{ApiError, ApiResult};
use crate::export::Paging;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use lantian_app::sanluanwu::{self, Filter, NewEntry};
use lantian_core::date::Month;
use lantian_core::enforce::sanluanwu::{Action, State as EntryState};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The largest spreadsheet accepted (10 MiB).
const IMPORT_BYTES_MAX: usize = 10 << 20;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A township's id or Chinese name (a township account sees only its own anyway).
    pub township: Option<String>,
    /// found, rectifying, rectified, closed, relocated, verified.
    pub state: Option<String>,
    /// `1`: only the entries not yet verified.
    pub outstanding: Option<u8>,
    /// Page number, from 1.
    pub page: Option<usize>,
    /// Rows per page, 1-1000 (default 50).
    pub per_page: Option<usize>,
}

/// A page of the entries the caller sees (government accounts; a township: its own), by
/// township: `{items, total, page, per_page}`.
#[utoipa::path(get, path = "/sanluanwu", tag = "enforcement", params(ListQuery),
    responses((status = 200, description = "A page of the entries", body = Object),
        (status = 400, description = "A bad state, page or per_page"),
        (status = 401, description = "Log in"), (status = 403, description = "Not this role's")))]
pub async fn list(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<ListQuery>,
) -> ApiResult<Json<Value>> {
    let p = Paging::of(q.page, q.per_page)?;
    let state = match q.state.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(EntryState::parse(s).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "状态 {s:?} 未知 / unknown state {s:?}: found, rectifying, rectified, closed, relocated or verified"
            ))
        })?),
    };
    let f = Filter {
        township: q.township,
        state,
        outstanding: q.outstanding == Some(1),
    };
    let v = run(&st, move |app| sanluanwu::list(app, &caller, &f)).await?;
    Ok(Json(Value::Object(p.answer("items", &p.cut(v)))))
}

/// Adds an entry (a township: its own; the bureau): `township`, `name`, `address`,
/// `industry`, `problem`, `found_date` (YYYY-MM-DD, default today), `note`. A verified entry
/// of the same township and name is reopened instead (死灰复燃).
#[utoipa::path(post, path = "/sanluanwu", tag = "enforcement", request_body = Object,
    responses((status = 200, description = "The entry", body = Object),
        (status = 409, description = "On the list already")))]
pub async fn add(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<NewEntry>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| sanluanwu::add(app, &caller, b)).await?;
    Ok(Json(json!(v)))
}

/// One entry with its steps.
#[utoipa::path(get, path = "/sanluanwu/{id}", tag = "enforcement",
    params(("id" = i64, Path, description = "Entry id")),
    responses((status = 200, body = Object), (status = 404, description = "No such entry")))]
pub async fn one(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| sanluanwu::entry(app, &caller, id)).await?;
    Ok(Json(json!(v)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ActBody {
    /// start, rectify, close, relocate (the township); verify, reject (the bureau); reopen.
    pub action: String,
    /// The reason (required to reject or reopen).
    #[serde(default)]
    pub note: String,
}

/// Takes a step on an entry.
#[utoipa::path(post, path = "/sanluanwu/{id}/act", tag = "enforcement",
    params(("id" = i64, Path, description = "Entry id")), request_body = ActBody,
    responses((status = 200, body = Object), (status = 409, description = "Not in this state")))]
pub async fn act(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    J(b): J<ActBody>,
) -> ApiResult<Json<Value>> {
    let action = Action::parse(&b.action).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "动作 {:?} 未知 / unknown action {:?}: start, rectify, close, relocate, verify, reject or reopen",
            b.action, b.action
        ))
    })?;
    let v = run(&st, move |app| {
        sanluanwu::act(app, &caller, id, action, &b.note)
    })
    .await?;
    Ok(Json(json!(v)))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `1`: check only, store nothing.
    pub dry_run: Option<u8>,
}

/// Imports entries from a CSV or xlsx (the body; `X-Filename` its name): columns township,
/// name and optionally address, industry, problem, found_date, note (or 乡镇, 名称, 地址, 行业,
/// 问题, 发现日期, 备注). Nothing is stored while a row has an error; the report names each.
#[utoipa::path(post, path = "/sanluanwu/import", tag = "enforcement", params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, description = "The import report (errors by row)", body = Object),
        (status = 413, description = "Larger than 10 MiB")))]
pub async fn import(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<ImportQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    if body.len() > IMPORT_BYTES_MAX {
        return Err(ApiError::PayloadTooLarge);
    }
    let name = super::upload_name(&headers, "sanluanwu.csv");
    let dry_run = q.dry_run == Some(1);
    let v = run(&st, move |app| {
        sanluanwu::import(app, &caller, &body, &name, dry_run)
    })
    .await?;
    Ok(Json(json!(v)))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthlyQuery {
    /// First month, YYYY-MM (default: eleven months before `to`).
    pub from: Option<String>,
    /// Last month, YYYY-MM (default: the current month, Beijing time).
    pub to: Option<String>,
}

fn month(text: Option<&str>) -> ApiResult<Option<Month>> {
    match text.filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => Month::parse(t).map(Some).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "月份 {t:?} 须为 YYYY-MM / month {t:?} must be YYYY-MM"
            ))
        }),
    }
}

/// The monthly count per township: found, cleared (verified), outstanding at the month's
/// end, which must return to zero.
#[utoipa::path(get, path = "/sanluanwu/monthly", tag = "enforcement", params(MonthlyQuery),
    responses((status = 200, body = Object)))]
pub async fn monthly(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<MonthlyQuery>,
) -> ApiResult<Json<Value>> {
    let (from, to) = (month(q.from.as_deref())?, month(q.to.as_deref())?);
    let v = run(&st, move |app| sanluanwu::monthly(app, &caller, from, to)).await?;
    Ok(Json(json!(v)))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, add))
        .routes(routes!(monthly))
        .routes(routes!(import))
        .routes(routes!(one))
        .routes(routes!(act))
}
