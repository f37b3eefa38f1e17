//! Open-data API keys over HTTP (issue 21; docs/open-data.md, "Keys"): the public sign-up
//! (no login, limited per client address), a key's own usage (`/open/keys/me`, limited as
//! every open-data request), and the bureau's list, keys made for someone, limits and
//! revocation. Thin: every check and decision is in `lantian_app::opendata_keys`; the
//! buckets are `crate::opendata_limit`'s.

use super::{J, P, Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::{ApiError, ApiResult};
use crate::export::PageQuery;
use crate::opendata_limit::{self, Config, OpenUse, Scope, Tongue};
use axum::Json;
use axum::extract::{Extension, FromRequest, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lantian_app::opendata_keys::{self, Limit, SignUp};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Instant;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A key made by the bureau: who it is for, and its own limit if both numbers are given.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CreateBody {
    pub name: String,
    pub email: String,
    pub purpose: String,
    pub per_hour: Option<i64>,
    pub burst: Option<i64>,
}

/// A key's own limit; both absent (or null): back to the server's default.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LimitBody {
    pub per_hour: Option<i64>,
    pub burst: Option<i64>,
}

impl LimitBody {
    fn limit(&self) -> ApiResult<Option<Limit>> {
        match (self.per_hour, self.burst) {
            (None, None) => Ok(None),
            (Some(p), Some(b)) => Ok(Some(Limit::checked(p, b)?)),
            _ => Err(ApiError::BadRequest(
                "per_hour 与 burst 须同时给出（或都不给出，恢复默认限额） / give both per_hour and burst (or neither, for the default limit)"
                    .to_owned(),
            )),
        }
    }
}

/// Why a key is revoked.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RevokeBody {
    pub reason: String,
}

fn limits_json(c: &Config) -> Value {
    json!({ "key": c.key, "public": c.public, "signup": c.signup })
}

/// Signs up for an API key (public, no login): `name`, `email`, `purpose`. The key is in
/// the answer once and never again. At most 5 sign-ups an hour per address by default
/// (429 with `Retry-After` beyond).
#[utoipa::path(post, path = "/open/keys", tag = "open-data", request_body = Object,
    responses((status = 201, description = "The key, shown once", body = Object),
        (status = 400, description = "A field is missing or wrong: the message names it"),
        (status = 429, description = "Too many sign-ups from this address")))]
pub async fn sign_up(State(st): State<AppState>, req: Request) -> Response {
    let tongue = Tongue::of(req.uri().query(), req.headers());
    let addr = opendata_limit::client_of(&st, &req);
    let charge = opendata_limit::over_socket(&req);
    let body = match J::<SignUp>::from_request(req, &st).await {
        Ok(J(b)) => b,
        Err(e) => return e.into_response(),
    };
    // A malformed sign-up costs nothing; a good one is counted before it is stored.
    let s = match opendata_keys::validate(&body) {
        Ok(s) => s,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let verdict = st.open_limit.take_signup(addr, Instant::now(), charge);
    if verdict.retry_after_s.is_some() {
        return opendata_limit::too_many(Scope::Signup, &verdict, tongue);
    }
    let client = addr.to_string();
    let mut r = match run(&st, move |app| opendata_keys::sign_up(app, &s, &client)).await {
        Ok(issued) => (StatusCode::CREATED, Json(json!(issued))).into_response(),
        Err(e) => e.into_response(),
    };
    verdict.apply(r.headers_mut());
    r
}

/// The calling key's usage (send the key as `X-API-Key`): name, prefix, requests counted,
/// last use, its limit and what remains of it now. Without a key: the public limit of
/// this address.
#[utoipa::path(get, path = "/open/keys/me", tag = "open-data",
    responses((status = 200, description = "The key's usage and limit", body = Object),
        (status = 401, description = "An unknown or revoked key"),
        (status = 429, description = "Over the limit: Retry-After says when to try again")))]
pub async fn me(
    State(st): State<AppState>,
    used: Option<Extension<OpenUse>>,
) -> ApiResult<Json<Value>> {
    let Some(Extension(u)) = used else {
        return Err(ApiError::Internal(
            "the open-data limiter did not run on /open/keys/me".to_owned(),
        ));
    };
    let v = u.verdict;
    let now = json!({ "limit": v.limit, "remaining": v.remaining, "reset_s": v.reset_s });
    let Some(id) = u.key_id else {
        return Ok(Json(json!({ "key": null, "scope": "address", "now": now })));
    };
    let key = run(&st, move |app| opendata_keys::usage(app, id)).await?;
    Ok(Json(json!({ "key": key, "scope": "key", "now": now })))
}

/// A page of the API keys (never a key itself: its prefix), newest first, with the server's
/// default limits: `{keys, total, page, per_page, defaults}` (the bureau, administrators).
#[utoipa::path(get, path = "/apikeys", tag = "open-data", params(PageQuery),
    responses((status = 200, body = Object), (status = 400, description = "A bad page or per_page")))]
pub async fn list(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<PageQuery>,
) -> ApiResult<Json<Value>> {
    let p = q.paging()?;
    let keys = run(&st, move |app| opendata_keys::list(app, &caller)).await?;
    let mut m = p.answer("keys", &p.cut(keys));
    m.insert("defaults".to_owned(), limits_json(&st.open_limit.config));
    Ok(Json(Value::Object(m)))
}

/// Makes a key for someone (the bureau): `name`, `email`, `purpose`, and `per_hour` with
/// `burst` for its own limit. The key is in the answer once.
#[utoipa::path(post, path = "/apikeys", tag = "open-data", request_body = Object,
    responses((status = 201, description = "The key, shown once", body = Object)))]
pub async fn create(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<CreateBody>,
) -> ApiResult<Response> {
    let limit = LimitBody {
        per_hour: b.per_hour,
        burst: b.burst,
    }
    .limit()?;
    let s = SignUp {
        name: b.name,
        email: b.email,
        purpose: b.purpose,
    };
    let issued = run(&st, move |app| {
        opendata_keys::create(app, &caller, &s, limit)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(json!(issued))).into_response())
}

/// Sets a key's own limit (`per_hour`, `burst`), or returns it to the default (neither).
#[utoipa::path(post, path = "/apikeys/{id}/limit", tag = "open-data",
    params(("id" = i64, Path, description = "Key id")), request_body = Object,
    responses((status = 200, body = Object)))]
pub async fn set_limit(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    J(b): J<LimitBody>,
) -> ApiResult<Json<Value>> {
    let limit = b.limit()?;
    let v = run(&st, move |app| {
        opendata_keys::set_limit(app, &caller, id, limit)
    })
    .await?;
    Ok(Json(json!(v)))
}

/// Revokes a key (`reason`): requests with it are refused (401) from now on.
#[utoipa::path(post, path = "/apikeys/{id}/revoke", tag = "open-data",
    params(("id" = i64, Path, description = "Key id")), request_body = Object,
    responses((status = 200, body = Object), (status = 409, description = "Revoked already")))]
pub async fn revoke(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    J(b): J<RevokeBody>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| {
        opendata_keys::revoke(app, &caller, id, &b.reason)
    })
    .await?;
    Ok(Json(json!(v)))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_up))
        .routes(routes!(me))
        .routes(routes!(list, create))
        .routes(routes!(set_limit))
        .routes(routes!(revoke))
}
