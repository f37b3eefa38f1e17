//! The open-data API under `/api/v1/open/` (docs/open-data.md): published stations, their
//! hourly and daily values in pages with `Link` headers, the monthly bulk files (CSV and
//! Parquet) and their list, the public changelog of corrections, the licence, and the
//! enterprises that publish their monitoring. The same for every caller; thin: every
//! decision is in `lantian_app::opendata` and `opendata_bulk`.

use super::{J, P, Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::{ApiError, ApiResult};
use crate::export::download;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use lantian_app::opendata::{self, Kind};
use lantian_app::opendata_bulk::{self, Format};
use lantian_core::{Date, Month};
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Rows per page unless asked otherwise, and at most.
pub const OPEN_PER_PAGE_DEFAULT: usize = 100;
pub const OPEN_PER_PAGE_MAX: usize = 1000;

/// Bulk files and the changelog are built on request (no cache yet): at most
/// [`HEAVY_AT_ONCE`] at a time, a request waits up to [`HEAVY_WAIT`] for a slot, then 503,
/// so the public cannot occupy the server's threads with them.
const HEAVY_AT_ONCE: usize = 2;
const HEAVY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
static HEAVY: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(HEAVY_AT_ONCE);

async fn heavy_slot() -> ApiResult<tokio::sync::SemaphorePermit<'static>> {
    match tokio::time::timeout(HEAVY_WAIT, HEAVY.acquire()).await {
        Ok(Ok(p)) => Ok(p),
        _ => Err(ApiError::Unavailable(
            "开放数据文件正忙，请稍后再试 / bulk files are busy, try again shortly".to_owned(),
        )),
    }
}

/// The published stations (assessment and background stations) with the data's licence.
#[utoipa::path(get, path = "/open/stations", tag = "open-data",
    responses((status = 200, description = "`{ stations, licence }`", body = Object)))]
pub async fn stations(State(st): State<AppState>) -> ApiResult<Response> {
    let (stations, licence) = run(&st, |app| {
        Ok((opendata::stations(app)?, opendata::licence(app)?))
    })
    .await?;
    Ok(Json(json!({ "stations": stations, "licence": licence })).into_response())
}

/// Which values, and which page.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ValuesQuery {
    /// A published station's id; every published station when absent.
    pub station: Option<String>,
    /// First and last day, Beijing time, `YYYY-MM-DD` (hourly: at most 31 days; daily: 400).
    #[param(value_type = String)]
    pub from: Date,
    #[param(value_type = String)]
    pub to: Date,
    /// Page number, from 1.
    pub page: Option<usize>,
    /// Rows per page, 1-1000 (default 100).
    pub per_page: Option<usize>,
}

/// The query string of `uri` with `page` set to `page` (other parameters kept as sent).
fn page_url(uri: &axum::http::Uri, page: usize, per_page: usize) -> String {
    let kept: Vec<&str> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|kv| {
            let k = kv.split('=').next().unwrap_or("");
            // A key sent as `?api_key=` is not copied into links (they end up in logs).
            !kv.is_empty() && k != "page" && k != "per_page" && k != "api_key"
        })
        .collect();
    let mut q = kept.join("&");
    if !q.is_empty() {
        q.push('&');
    }
    // Nested under `/api/v1`, the handler sees the path without it.
    let path = uri.path();
    let prefix = if path.starts_with("/api/v1/") {
        ""
    } else {
        "/api/v1"
    };
    format!("{prefix}{path}?{q}page={page}&per_page={per_page}")
}

/// One page of `rows` as `{ meta, results }`, with `Link` (first, prev, next, last) and
/// `X-Total-Count` headers.
fn paged<T: serde::Serialize>(
    rows: Vec<T>,
    q: &ValuesQuery,
    uri: &axum::http::Uri,
    licence: &opendata::Licence,
) -> ApiResult<Response> {
    let per_page = q.per_page.unwrap_or(OPEN_PER_PAGE_DEFAULT);
    if !(1..=OPEN_PER_PAGE_MAX).contains(&per_page) {
        return Err(ApiError::BadRequest(format!(
            "per_page {per_page}: must be 1-{OPEN_PER_PAGE_MAX}"
        )));
    }
    let page = q.page.unwrap_or(1);
    if page == 0 {
        return Err(ApiError::BadRequest("page starts at 1".to_owned()));
    }
    let total = rows.len();
    let pages = total.div_ceil(per_page).max(1);
    let skip = (page - 1).saturating_mul(per_page);
    let results: Vec<T> = rows.into_iter().skip(skip).take(per_page).collect();
    let url = |p: usize| page_url(uri, p, per_page);
    let prev = (page > 1).then(|| url((page - 1).min(pages)));
    let next = (page < pages).then(|| url(page + 1));
    let mut links = vec![format!("<{}>; rel=\"first\"", url(1))];
    links.extend(prev.iter().map(|u| format!("<{u}>; rel=\"prev\"")));
    links.extend(next.iter().map(|u| format!("<{u}>; rel=\"next\"")));
    links.push(format!("<{}>; rel=\"last\"", url(pages)));
    let mut r = Json(json!({
        "meta": {
            "page": page, "per_page": per_page, "total": total, "pages": pages,
            "prev": prev, "next": next,
            "licence": licence.name, "licence_url": licence.url,
            "attribution_zh": licence.attribution_zh, "attribution_en": licence.attribution_en,
        },
        "results": results,
    }))
    .into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&links.join(", ")) {
        h.insert(header::LINK, v);
    }
    h.insert("x-total-count", HeaderValue::from(total));
    Ok(r)
}

async fn values(
    st: AppState,
    kind: Kind,
    q: ValuesQuery,
    uri: axum::http::Uri,
) -> ApiResult<Response> {
    let (station, from, to) = (q.station.clone(), q.from, q.to);
    let (rows, licence) = run(&st, move |app| {
        Ok((
            opendata::station_values(app, station.as_deref(), kind, from, to)?,
            opendata::licence(app)?,
        ))
    })
    .await?;
    paged(rows, &q, &uri, &licence)
}

/// Hourly values of published stations: audited values (corrections applied), each with
/// `status` (`preliminary` | `audited`), `audit_version` and `flag`; invalidated hours
/// listed without a value. Times are Beijing time (an hour by its end).
#[utoipa::path(get, path = "/open/hourly", tag = "open-data", params(ValuesQuery),
    responses((status = 200, description = "`{ meta, results }`; `Link` headers", body = Object)))]
pub async fn hourly(
    State(st): State<AppState>,
    uri: axum::http::Uri,
    Q(q): Q<ValuesQuery>,
) -> ApiResult<Response> {
    values(st, Kind::Hourly, q, uri).await
}

/// Daily values (means; O3 MDA8) of published stations, as [`hourly`].
#[utoipa::path(get, path = "/open/daily", tag = "open-data", params(ValuesQuery),
    responses((status = 200, description = "`{ meta, results }`; `Link` headers", body = Object)))]
pub async fn daily(
    State(st): State<AppState>,
    uri: axum::http::Uri,
    Q(q): Q<ValuesQuery>,
) -> ApiResult<Response> {
    values(st, Kind::Daily, q, uri).await
}

/// Which month's files.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BulkQuery {
    /// `YYYY-MM`; default the latest month with data.
    #[param(value_type = Option<String>)]
    pub month: Option<Month>,
}

/// The bulk files of a month: per published station and `all`, hourly and daily, CSV and
/// Parquet, with rows, bytes and SHA-256; and the months offered.
#[utoipa::path(get, path = "/open/bulk", tag = "open-data", params(BulkQuery),
    responses((status = 200, description = "`{ month, months, files }`", body = Object)))]
pub async fn bulk(State(st): State<AppState>, Q(q): Q<BulkQuery>) -> ApiResult<Response> {
    let _slot = heavy_slot().await?;
    let list = run(&st, move |app| opendata_bulk::list(app, q.month)).await?;
    Ok(Json(list).into_response())
}

/// One bulk file: `{station|all}/{YYYY-MM}/{hourly|daily}.{csv|parquet}`; its `ETag` is
/// its SHA-256, as in the list.
#[utoipa::path(get, path = "/open/bulk/{station}/{month}/{file}", tag = "open-data",
    params(("station" = String, Path, description = "A published station's id, or `all`"),
        ("month" = String, Path, description = "YYYY-MM"),
        ("file" = String, Path, description = "`hourly.csv`, `hourly.parquet`, `daily.csv` or `daily.parquet`")),
    responses((status = 200, description = "The file", content_type = "application/octet-stream")))]
pub async fn bulk_file(
    State(st): State<AppState>,
    P((station, month, file)): P<(String, String, String)>,
) -> ApiResult<Response> {
    let m = Month::parse(&month)
        .ok_or_else(|| ApiError::BadRequest(format!("month {month:?}: expected YYYY-MM")))?;
    let (kind, format) = file
        .split_once('.')
        .and_then(|(k, f)| Some((Kind::parse(k)?, Format::parse(f)?)))
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "file {file:?}: expected hourly.csv, hourly.parquet, daily.csv or daily.parquet"
            ))
        })?;
    let name = format!("lantian-{station}-{m}-{file}");
    let _slot = heavy_slot().await?;
    let body = run(&st, move |app| {
        opendata_bulk::file(app, &station, m, kind, format)
    })
    .await?;
    let etag = format!("\"{}\"", opendata_bulk::digest(&body));
    let mut r = download(body, format.mime(), &name);
    if let Ok(v) = HeaderValue::from_str(&etag) {
        r.headers_mut().insert(header::ETAG, v);
    }
    Ok(r)
}

/// Which days of the changelog.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangelogQuery {
    /// Days the corrections were recorded, Beijing time (default: the last 30 days).
    #[param(value_type = Option<String>)]
    pub from: Option<Date>,
    #[param(value_type = Option<String>)]
    pub to: Option<Date>,
}

/// The public log of corrections of published stations: when, station, hour, pollutant,
/// before and after, reason code with its text, rule set, and who as a role.
#[utoipa::path(get, path = "/open/changelog", tag = "open-data", params(ChangelogQuery),
    responses((status = 200, description = "`{ from, to, changes }`", body = Object)))]
pub async fn changelog(State(st): State<AppState>, Q(q): Q<ChangelogQuery>) -> ApiResult<Response> {
    let _slot = heavy_slot().await?;
    let (from, to, changes) = run(&st, move |app| {
        let to = q.to.unwrap_or_else(|| app.clock.today());
        let from = q.from.unwrap_or_else(|| to.add_days(-29));
        Ok((from, to, opendata::changelog(app, from, to)?))
    })
    .await?;
    Ok(Json(json!({ "from": from, "to": to, "changes": changes })).into_response())
}

/// The data's licence and the attribution it asks for.
#[utoipa::path(get, path = "/open/licence", tag = "open-data",
    responses((status = 200, description = "The licence", body = Object)))]
pub async fn licence(State(st): State<AppState>) -> ApiResult<Response> {
    Ok(Json(run(&st, opendata::licence).await?).into_response())
}

/// Sets the data's licence (the bureau, administrators): any of `name`, `url`,
/// `attribution_zh`, `attribution_en`; those left out take the county's default.
#[utoipa::path(post, path = "/open/licence", tag = "open-data", request_body = Object,
    responses((status = 200, description = "The licence now", body = Object)))]
pub async fn set_licence(
    State(st): State<AppState>,
    Who(caller): Who,
    J(body): J<opendata::LicenceSetting>,
) -> ApiResult<Response> {
    let l = run(&st, move |app| opendata::set_licence(app, &caller, body)).await?;
    Ok(Json(l).into_response())
}

/// The enterprises that publish their self-monitoring data, with their outlets.
#[utoipa::path(get, path = "/open/enterprises", tag = "open-data",
    responses((status = 200, description = "`{ enterprises }`", body = Object)))]
pub async fn enterprises(State(st): State<AppState>) -> ApiResult<Response> {
    let list = run(&st, opendata::enterprises).await?;
    Ok(Json(json!({ "enterprises": list })).into_response())
}

/// The open-data routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(stations))
        .routes(routes!(hourly))
        .routes(routes!(daily))
        .routes(routes!(bulk))
        .routes(routes!(bulk_file))
        .routes(routes!(changelog))
        .routes(routes!(licence, set_licence))
        .routes(routes!(enterprises))
    // Rate-limited by `crate::opendata_limit::limit`, which `router` layers over `/api/v1`
    // and which counts every path under `/open/`.
}
