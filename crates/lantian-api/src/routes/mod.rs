//! The `/api/v1/` routes, grouped by feature; [`api`] is the one route table that both axum
//! serves and the OpenAPI document is generated from.

mod accounts;
mod admin;
mod alerts;
mod aqi;
mod assessment;
mod cases;
mod cockpit;
mod complaints;
mod county;
mod credit;
mod declarations;
mod device_commands;
mod device_keys;
mod emergency;
mod integrity;
mod ledger;
pub(crate) mod map_view;
mod opendata;
mod opendata_keys;
mod operations;
mod periodic_reports;
mod reports;
mod sanluanwu;
mod sites;
mod sources;
mod station_view;
mod stations;
mod targets;
mod tasks;
mod tracing;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use lantian_app::{App, AppResult};
use serde::de::DeserializeOwned;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every route of the API.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(county::county))
        .routes(routes!(stations::units))
        .routes(routes!(stations::stations, stations::create_station))
        .routes(routes!(stations::station))
        .routes(routes!(stations::series))
        .routes(routes!(stations::devices))
        .routes(routes!(aqi::now))
        .routes(routes!(aqi::daily))
        .routes(routes!(aqi::query))
        .routes(routes!(assessment::assessment))
        .routes(routes!(assessment::rankings))
        .routes(routes!(assessment::targets))
        .routes(routes!(accounts::login))
        .routes(routes!(accounts::logout))
        .routes(routes!(accounts::me))
        .routes(routes!(accounts::password))
        .routes(routes!(accounts::users, accounts::create_user))
        .routes(routes!(accounts::disable_user))
        .routes(routes!(accounts::enable_user))
        .routes(routes!(accounts::set_role))
        .routes(routes!(accounts::audit))
        .routes(routes!(ledger::list))
        .routes(routes!(ledger::one))
        .routes(routes!(ledger::act))
        .routes(routes!(ledger::correct))
        .routes(routes!(ledger::actual))
        .routes(routes!(ledger::target))
        .routes(routes!(ledger::resolve))
        .routes(routes!(ledger::plan_targets))
        .routes(routes!(ledger::stats))
        .routes(routes!(ledger::remind))
        .routes(routes!(ledger::reminders))
        .routes(routes!(ledger::acknowledge))
        .merge(ledger::evidence_routes())
        .merge(sources::routes())
        .merge(alerts::routes())
        .merge(emergency::routes())
        .merge(integrity::routes())
        .merge(operations::routes())
        .merge(reports::routes())
        .merge(periodic_reports::routes())
        .merge(targets::routes())
        .merge(cockpit::routes())
        .merge(tracing::routes())
        .merge(station_view::routes())
        .merge(complaints::routes())
        .merge(tasks::routes())
        .merge(cases::routes())
        .merge(credit::routes())
        .merge(sites::routes())
        .merge(opendata_keys::routes())
        .merge(opendata::routes())
        .merge(sanluanwu::routes())
        .merge(admin::routes())
        .merge(map_view::routes())
        .merge(device_commands::routes())
        .merge(device_keys::routes())
        .merge(declarations::routes())
}

/// Runs a use case on a blocking thread (the store blocks) and maps its error.
pub(crate) async fn run<T: Send + 'static>(
    st: &AppState,
    f: impl FnOnce(&App) -> AppResult<T> + Send + 'static,
) -> ApiResult<T> {
    let app = st.app.clone();
    tokio::task::spawn_blocking(move || f(&app))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(ApiError::from)
}

/// Query parameters; a bad one is a JSON 400 that names it.
#[derive(Debug)]
pub struct Q<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Q<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Q<T>, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(q) => Ok(Q(q.0)),
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}

/// Path parameters; a bad one (a warning id that is no 64-bit integer) is a JSON 400 that
/// names it.
#[derive(Debug)]
pub struct P<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for P<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<P<T>, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(p) => Ok(P(p.0)),
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}

/// A JSON body; a bad one is a JSON 400 (413 when too large) that says what is wrong.
#[derive(Debug)]
pub struct J<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for J<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<J<T>, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(j) => Ok(J(j.0)),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::PayloadTooLarge)
            }
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}

/// An uploaded file's name: the `X-Filename` header, percent-decoded (a header is
/// ISO-8859-1, so browsers send a Chinese name percent-encoded), else `fallback`.
pub(crate) fn upload_name(headers: &axum::http::HeaderMap, fallback: &str) -> String {
    headers
        .get("x-filename")
        .map(|v| percent_decode(v.as_bytes()))
        .unwrap_or_else(|| fallback.to_owned())
}

/// Who an answer is cached for: the public, or one account (an account named `public` is
/// not the public).
pub(crate) fn cached_for(caller: &lantian_app::Caller) -> String {
    caller
        .account()
        .map_or_else(|| "-".to_owned(), |a| format!("u:{}", a.username))
}

/// `lang=en` for English; Chinese otherwise.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// `zh` (default) or `en`.
    pub lang: Option<String>,
}

/// `%E8%AF%81…` → the UTF-8 text it encodes; anything that is not an escape stays as it is.
pub(crate) fn percent_decode(raw: &[u8]) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match (
            raw[i],
            raw.get(i + 1).copied().and_then(hex),
            raw.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push(h << 4 | l);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
