//! Logging in (throttled by address and account) and out, one's own account and password,
//! accounts (list, create, disable, enable, role: administrators), the audit log.

use super::{J, Q, run};
use crate::AppState;
use crate::auth::{Authed, Session, Who};
use crate::error::{ApiError, ApiResult};
use crate::export::{TableQuery, rows, table, table_read};
use crate::throttle::Refusal;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use lantian_app::accounts::{self, NewUser};
use lantian_core::org::Role;
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Instant;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LoginBody {
    pub username: String,
    pub password: String,
}

/// A throttle's refusal: 429 (503 when every hashing slot is busy) with `Retry-After`.
fn refused(r: &Refusal) -> Response {
    let e = match r {
        Refusal::Busy => ApiError::Unavailable(r.message()),
        _ => ApiError::TooManyRequests(r.message()),
    };
    let mut resp = e.into_response();
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(r.retry_after_s()));
    resp
}

/// Logs in: sets an HttpOnly SameSite session cookie and returns the CSRF token that every
/// state change must send as `X-CSRF-Token`. Throttled by the client's address (the
/// socket's; `X-Forwarded-For` only from a trusted proxy): five wrong passwords for a name
/// from one address, or twenty for any names, make it wait 15 minutes; many addresses
/// guessing one account are slowed to one try per 30 s, except where the account logged in
/// before. `Retry-After` says when to try again.
#[utoipa::path(post, path = "/login", tag = "accounts", request_body = LoginBody,
    responses((status = 200, body = Object), (status = 403, description = "Wrong user name or password, or a disabled account"),
        (status = 429, description = "Too many failures"), (status = 503, description = "Too many logins at once")))]
pub async fn login(
    State(st): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    J(b): J<LoginBody>,
) -> ApiResult<Response> {
    // The throttle keys on the name: a long one is refused before it is kept.
    if b.username.chars().count() > accounts::USERNAME_CHARS_MAX {
        return Err(ApiError::BadRequest(format!(
            "用户名最长 {0} 个字符 / the user name has at most {0} characters",
            accounts::USERNAME_CHARS_MAX
        )));
    }
    let peer = peer.map(|Extension(ConnectInfo(a))| a);
    let addr = crate::auth::client_addr(&st, peer, &headers);
    let source = peer.map_or_else(String::new, |_| addr.to_string());
    let name = b.username.clone();
    let l = match throttled(&st, &name, addr, move |app| {
        accounts::login(app, &source, &b.username, &b.password)
    })
    .await?
    {
        Ok(l) => l,
        Err(r) => return Ok(refused(&r)),
    };
    let session = Session::new(l);
    let token = st.sessions.create(session.clone());
    Ok((
        [(header::SET_COOKIE, st.web.cookie(&token))],
        Json(json!({ "user": user(&session) })),
    )
        .into_response())
}

/// Runs a password check `check` of account `name` from `addr` under the login throttle:
/// `Ok(Err(refusal))` when the throttle refuses it before the check; a 403 from the check
/// counts as a failure.
async fn throttled<T: Send + 'static>(
    st: &AppState,
    name: &str,
    addr: std::net::IpAddr,
    check: impl FnOnce(&lantian_app::App) -> lantian_app::AppResult<T> + Send + 'static,
) -> ApiResult<Result<T, Refusal>> {
    let ticket = match st.throttle.admit(name, addr, Instant::now()) {
        Ok(t) => t,
        Err(r) => return Ok(Err(r)),
    };
    let _slot = match st.throttle.hashing().await {
        Ok(p) => p,
        Err(r) => {
            st.throttle.cancelled(ticket);
            return Ok(Err(r));
        }
    };
    match run(st, check).await {
        Ok(v) => {
            st.throttle.succeeded(ticket, Instant::now());
            Ok(Ok(v))
        }
        Err(e @ ApiError::Forbidden(_)) => {
            st.throttle.failed(ticket);
            Err(e)
        }
        Err(e) => {
            st.throttle.cancelled(ticket);
            Err(e)
        }
    }
}

/// A session as the UI reads it: the account, its CSRF token, and what it may do.
fn user(s: &Session) -> Value {
    let mut v = json!(s);
    v["acts"] = json!(accounts::acts(&lantian_app::Caller::Account(
        s.account.clone()
    )));
    v
}

/// Logs out (audited).
#[utoipa::path(post, path = "/logout", tag = "accounts", responses((status = 200, body = Object), (status = 401, description = "Not logged in")))]
pub async fn logout(
    State(st): State<AppState>,
    Who(caller): Who,
    authed: Option<Extension<Authed>>,
) -> ApiResult<Response> {
    caller.require()?;
    if let Some(Extension(a)) = authed {
        st.sessions.remove(&a.token);
    }
    run(&st, move |app| accounts::logout(app, &caller)).await?;
    Ok((
        [(header::SET_COOKIE, st.web.expired_cookie())],
        Json(json!({ "ok": true })),
    )
        .into_response())
}

/// The logged-in account, with `acts`: what it may do beyond reading (`manage_register`,
/// `manage_accounts`, `see_devices`, `see_audit`), for the UI to show its controls, and
/// `must_change_password`.
#[utoipa::path(get, path = "/me", tag = "accounts", responses((status = 200, body = Object), (status = 401, description = "Not logged in")))]
pub async fn me(authed: Option<Extension<Authed>>) -> ApiResult<Json<Value>> {
    let Some(Extension(a)) = authed else {
        return Err(ApiError::Unauthorized);
    };
    Ok(Json(json!({ "user": user(&a.session) })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PasswordBody {
    pub old: String,
    pub new: String,
}

/// Changes one's own password (at least 10 characters); the account's other sessions end.
/// Wrong current passwords count in the login throttle of the account and address.
#[utoipa::path(post, path = "/password", tag = "accounts", request_body = PasswordBody,
    responses((status = 200, body = Object), (status = 403, description = "Wrong current password"), (status = 429, description = "Too many failures")))]
pub async fn password(
    State(st): State<AppState>,
    Who(caller): Who,
    authed: Option<Extension<Authed>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    J(b): J<PasswordBody>,
) -> ApiResult<Response> {
    let name = caller.require()?.username.clone();
    let addr = crate::auth::client_addr(&st, peer.map(|Extension(ConnectInfo(a))| a), &headers);
    let epoch = match throttled(&st, &name, addr, move |app| {
        accounts::change_password(app, &caller, &b.old, &b.new)
    })
    .await?
    {
        Ok(e) => e,
        Err(r) => return Ok(refused(&r)),
    };
    if let Some(Extension(a)) = authed {
        st.sessions.password_changed(&a.token, epoch);
    }
    Ok(Json(json!({ "ok": true })).into_response())
}

/// Every account (administrators): name, role, unit, whether disabled and whether it must
/// still change its initial password, when it was created (Beijing time).
#[utoipa::path(get, path = "/users", tag = "accounts", params(TableQuery), responses((status = 200, body = Object), (status = 403, description = "Not an administrator")))]
pub async fn users(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<TableQuery>,
) -> ApiResult<Response> {
    let list = run(&st, move |app| accounts::list_users(app, &caller)).await?;
    table(
        rows(&list),
        &[
            "username",
            "role",
            "unit",
            "disabled",
            "must_change_password",
            "created",
        ],
        &q,
        "users",
    )
}

/// Disables an account (administrators): it can no longer log in and its sessions end at
/// once. The last enabled administrator cannot be disabled (409).
#[utoipa::path(post, path = "/users/{username}/disable", tag = "accounts",
    responses((status = 200, body = Object), (status = 403, description = "Not an administrator"), (status = 404, description = "No such account"), (status = 409, description = "The last enabled administrator")))]
pub async fn disable_user(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(username): Path<String>,
) -> ApiResult<Json<Value>> {
    let name = username.clone();
    run(&st, move |app| {
        accounts::set_disabled(app, &caller, &name, true)
    })
    .await?;
    st.sessions.end_account(&username);
    Ok(Json(
        json!({ "ok": true, "username": username, "disabled": true }),
    ))
}

/// Enables a disabled account again (administrators).
#[utoipa::path(post, path = "/users/{username}/enable", tag = "accounts",
    responses((status = 200, body = Object), (status = 403, description = "Not an administrator"), (status = 404, description = "No such account")))]
pub async fn enable_user(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(username): Path<String>,
) -> ApiResult<Json<Value>> {
    let name = username.clone();
    run(&st, move |app| {
        accounts::set_disabled(app, &caller, &name, false)
    })
    .await?;
    Ok(Json(
        json!({ "ok": true, "username": username, "disabled": false }),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RoleBody {
    /// `admin`, `bureau`, `department`, `township`, `operations` or `enterprise`.
    #[schema(value_type = String)]
    pub role: Role,
    /// The unit's id (a department's is its name; an enterprise's its id); none for the
    /// bureau, administrators, operations.
    pub unit: Option<String>,
}

/// Gives an account another role and unit (administrators); its sessions act with the new
/// role from their next request. The last enabled administrator stays one (409).
#[utoipa::path(post, path = "/users/{username}/role", tag = "accounts", request_body = RoleBody,
    responses((status = 200, body = Object), (status = 400, description = "A unit that does not suit the role"), (status = 403, description = "Not an administrator"),
        (status = 404, description = "No such account"), (status = 409, description = "The last enabled administrator")))]
pub async fn set_role(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(username): Path<String>,
    J(b): J<RoleBody>,
) -> ApiResult<Json<Value>> {
    let name = username.clone();
    run(&st, move |app| {
        accounts::set_role(app, &caller, &name, b.role, b.unit.as_deref())
    })
    .await?;
    Ok(Json(json!({ "ok": true, "username": username })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewUserBody {
    pub username: String,
    pub password: String,
    /// `admin`, `bureau`, `department`, `township`, `operations` or `enterprise`.
    #[schema(value_type = String)]
    pub role: Role,
    /// The unit's id (a department's is its name).
    pub unit: Option<String>,
}

/// Creates an account (administrators); it must change its password at first login.
#[utoipa::path(post, path = "/users", tag = "accounts", request_body = NewUserBody,
    responses((status = 200, body = Object), (status = 403, description = "Not an administrator")))]
pub async fn create_user(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<NewUserBody>,
) -> ApiResult<Json<Value>> {
    let name = b.username.clone();
    run(&st, move |app| {
        accounts::create_user(
            app,
            &caller,
            NewUser {
                username: b.username,
                password: b.password,
                role: b.role,
                unit: b.unit,
            },
        )
    })
    .await?;
    Ok(Json(json!({ "ok": true, "username": name })))
}

/// The audit log, newest first (administrators, the bureau): a page of JSON (the page cut in
/// SQL), or the latest 10,000 rows as CSV or xlsx. Times are Beijing time.
#[utoipa::path(get, path = "/audit", tag = "accounts", params(TableQuery),
    responses((status = 200, description = "A page of rows, or a CSV or xlsx file", body = Object),
        (status = 400, description = "A bad page, per_page or format")))]
pub async fn audit(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<TableQuery>,
) -> ApiResult<Response> {
    let page = q.to_read(accounts::AUDIT_ENTRIES_MAX)?;
    let list = run(&st, move |app| accounts::audit_log(app, &caller, page)).await?;
    table_read(
        rows(&list.items),
        list.total,
        &["id", "at", "actor", "action", "object", "detail", "source"],
        &q,
        "audit",
    )
}
