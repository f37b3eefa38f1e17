//! Enterprise declarations over HTTP (issue 22; docs/declarations.md): the list, declaring,
//! one declaration with its files and steps, approve / reject / withdraw, files, the
//! statistics per enterprise and an outlet's declared hours. Thin: every decision is in
//! `lantian_app::declarations`.

use super::{J, P, Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::{ApiError, ApiResult};
use crate::export::{Paging, download};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::response::Response;
use lantian_app::declarations::{self, FILE_BYTES_MAX, ListFilter, NewDeclaration};
use lantian_core::Date;
use lantian_core::declaration::{Act, Kind, State as DeclState};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

fn parsed<T>(
    what: &str,
    v: Option<&str>,
    parse: fn(&str) -> Option<T>,
    names: String,
) -> ApiResult<Option<T>> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse(s).map(Some).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "{what} {s:?} 未知 / unknown {what} {s:?}: one of {names}"
            ))
        }),
    }
}

fn date(what: &str, v: Option<&str>) -> ApiResult<Option<Date>> {
    parsed(what, v, Date::parse, "YYYY-MM-DD".to_owned())
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// An enterprise's id.
    pub enterprise: Option<String>,
    /// pending, approved, rejected, withdrawn.
    pub state: Option<String>,
    /// stopped, production_stopped, maintenance, factor_abnormal, long_term_stop.
    pub kind: Option<String>,
    /// Declarations whose period overlaps `from ..= to` (Beijing dates, YYYY-MM-DD).
    pub from: Option<String>,
    pub to: Option<String>,
    /// Page number, from 1.
    pub page: Option<usize>,
    /// Rows per page, 1-1000 (default 50).
    pub per_page: Option<usize>,
}

/// A page of the declarations the caller sees (the bureau every one; an enterprise its own;
/// operations those of the outlets it operates), newest first: `{items, total, page,
/// per_page, may}`; `may`: whether the caller declares (and for which outlets) and reviews,
/// and the late rule's graces.
#[utoipa::path(get, path = "/declarations", tag = "sources", params(ListQuery),
    responses((status = 200, description = "A page of the declarations", body = Object),
        (status = 400, description = "A bad filter, page or per_page"),
        (status = 401, description = "Log in"), (status = 403, description = "Not this role's")))]
pub async fn list(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<ListQuery>,
) -> ApiResult<Json<Value>> {
    let p = Paging::of(q.page, q.per_page)?;
    let f = ListFilter {
        enterprise: q.enterprise,
        state: parsed(
            "state",
            q.state.as_deref(),
            DeclState::parse,
            DeclState::names(),
        )?,
        kind: parsed("kind", q.kind.as_deref(), Kind::parse, Kind::names())?,
        from: date("from", q.from.as_deref())?,
        to: date("to", q.to.as_deref())?,
    };
    let (v, may) = run(&st, move |app| {
        Ok((
            declarations::list(app, &caller, &f)?,
            declarations::abilities(app, &caller)?,
        ))
    })
    .await?;
    let mut m = p.answer("items", &p.cut(v));
    m.insert("may".to_owned(), json!(may));
    Ok(Json(Value::Object(m)))
}

/// Declares (an enterprise for its own outlets, operations for those it operates):
/// `outlets`, `kind`, `start` and `end` (Beijing time, YYYY-MM-DD HH:MM), `codes` (因子异常
/// only), `reason`. Late declarations are flagged.
#[utoipa::path(post, path = "/declarations", tag = "sources", request_body = Object,
    responses((status = 200, description = "The declaration", body = Object),
        (status = 400, description = "Not a valid declaration"),
        (status = 403, description = "Not your outlets")))]
pub async fn create(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<NewDeclaration>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| declarations::declare(app, &caller, b)).await?;
    Ok(Json(json!(v)))
}

/// One declaration with its files and steps, and the acts the caller may take.
#[utoipa::path(get, path = "/declarations/{id}", tag = "sources",
    params(("id" = i64, Path, description = "Declaration id")),
    responses((status = 200, body = Object), (status = 404, description = "No such declaration, or not the caller's")))]
pub async fn one(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| declarations::one(app, &caller, id)).await?;
    Ok(Json(json!(v)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ActBody {
    /// approve, reject (the bureau; a reason required), withdraw (the declarer, pending).
    pub action: String,
    #[serde(default)]
    pub note: String,
}

/// Approves, rejects or withdraws a pending declaration.
#[utoipa::path(post, path = "/declarations/{id}/act", tag = "sources",
    params(("id" = i64, Path, description = "Declaration id")), request_body = ActBody,
    responses((status = 200, body = Object), (status = 403, description = "Not this role's"),
        (status = 409, description = "No longer pending")))]
pub async fn act(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    J(b): J<ActBody>,
) -> ApiResult<Json<Value>> {
    let action = Act::parse(b.action.trim()).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "动作 {:?} 未知 / unknown action {:?}: one of {}",
            b.action,
            b.action,
            Act::names()
        ))
    })?;
    let v = run(&st, move |app| {
        declarations::act(app, &caller, id, action, &b.note)
    })
    .await?;
    Ok(Json(json!(v)))
}

/// Attaches a file (PDF, JPEG or PNG by content, at most 10 MiB; the body is the file,
/// `X-Filename` its name) to a pending declaration.
#[utoipa::path(post, path = "/declarations/{id}/files", tag = "sources",
    params(("id" = i64, Path, description = "Declaration id")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = Object), (status = 413, description = "Larger than 10 MiB")))]
pub async fn add_file(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    if body.len() > FILE_BYTES_MAX {
        return Err(ApiError::PayloadTooLarge);
    }
    let name = super::upload_name(&headers, "attachment");
    let v = run(&st, move |app| {
        declarations::add_file(app, &caller, id, &name, &body)
    })
    .await?;
    Ok(Json(json!(v)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    /// The stored file's name, as the declaration lists it.
    pub file: String,
}

/// A file of a declaration the caller sees.
#[utoipa::path(get, path = "/declarations/{id}/files", tag = "sources",
    params(("id" = i64, Path, description = "Declaration id"), FileQuery),
    responses((status = 200, description = "The file"), (status = 404, description = "No such file")))]
pub async fn file(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    Q(q): Q<FileQuery>,
) -> ApiResult<Response> {
    let name = q.file.clone();
    let (bytes, mime) = run(&st, move |app| {
        declarations::file(app, &caller, id, &q.file)
    })
    .await?;
    Ok(download(bytes, mime, &name))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SpanQuery {
    /// Beijing dates, YYYY-MM-DD (statistics: this calendar year, declarations made in
    /// advance included; declared hours: today).
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The statistics per enterprise (the bureau): counts by kind, outlet-hours declared and
/// approved, approved, rejected and late shares.
#[utoipa::path(get, path = "/declarations/stats", tag = "sources", params(SpanQuery),
    responses((status = 200, body = Object), (status = 403, description = "The bureau's")))]
pub async fn stats(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<SpanQuery>,
) -> ApiResult<Json<Value>> {
    let from = date("from", q.from.as_deref())?;
    let to = date("to", q.to.as_deref())?;
    let v = run(&st, move |app| {
        // The whole year: a 检修 or 停产 must be declared before it starts.
        let year = to.map_or_else(|| app.clock.today().year(), |t| t.year());
        let to = to
            .or_else(|| Date::new(year, 12, 31))
            .unwrap_or(app.clock.today());
        let from = from.unwrap_or_else(|| Date::new(to.year(), 1, 1).unwrap_or(to));
        declarations::stats(app, &caller, from, to)
    })
    .await?;
    Ok(Json(json!({ "items": v })))
}

/// The hours of an outlet approved declarations cover (who sees its monitoring).
#[utoipa::path(get, path = "/outlets/{id}/declared", tag = "sources",
    params(("id" = String, Path, description = "Outlet id"), SpanQuery),
    responses((status = 200, body = Object), (status = 404, description = "No such outlet")))]
pub async fn declared(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<String>,
    Q(q): Q<SpanQuery>,
) -> ApiResult<Json<Value>> {
    let from = date("from", q.from.as_deref())?;
    let to = date("to", q.to.as_deref())?;
    let v = run(&st, move |app| {
        let today = app.clock.today();
        let to = to.unwrap_or(today);
        let from = from.unwrap_or(to);
        declarations::declared_hours(app, &caller, &id, from, to)
    })
    .await?;
    Ok(Json(json!({ "items": v })))
}

/// The declaration routes; the file upload with a body limit of its own.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(stats))
        .routes(routes!(one))
        .routes(routes!(act))
        .routes(routes!(declared))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(add_file, file))
                .layer(DefaultBodyLimit::max(FILE_BYTES_MAX + 1024)),
        )
}
