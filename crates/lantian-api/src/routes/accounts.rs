//! Logging in and out, one's own account, creating accounts, the audit log.

use super::{J, Q, run};
use crate::AppState;
use crate::auth::{self, Session, Who};
use crate::error::{ApiError, ApiResult};
use crate::export::{TableQuery, rows, table};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use lantian_app::accounts::{self, NewUser};
use lantian_core::org::Role;
use lantian_store::password;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Instant;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LoginBody {
    pub username: String,
    pub password: String,
}

/// Logs in: sets an HttpOnly SameSite session cookie and returns the CSRF token that every
/// state change must send as `X-CSRF-Token`. Five wrong passwords for a name from one
/// address lock it for 15 minutes.
#[utoipa::path(post, path = "/login", tag = "accounts", request_body = LoginBody,
    responses((status = 200, body = Object), (status = 403, description = "Wrong user name or password"), (status = 429, description = "Too many failures")))]
pub async fn login(
    State(st): State<AppState>,
    headers: HeaderMap,
    J(b): J<LoginBody>,
) -> ApiResult<Response> {
    let peer = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("local")
        .to_owned();
    let key = format!("{}|{peer}", b.username);
    st.sessions.check_rate(&key)?;
    let found = run(&st, move |app| {
        accounts::login(app, &b.username, &b.password)
    })
    .await;
    let l = match found {
        Ok(l) => l,
        Err(e @ ApiError::Forbidden(_)) => {
            st.sessions.failed(&key);
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    st.sessions.succeeded(&key);
    let session = Session {
        account: l.account,
        csrf: password::random(32),
        expires: Instant::now() + auth::SESSION_TTL,
        must_change_password: l.must_change_password,
    };
    let token = st.sessions.create(session.clone());
    Ok((
        [(header::SET_COOKIE, auth::cookie(&token))],
        Json(json!({ "user": user(&session) })),
    )
        .into_response())
}

/// A session as the UI reads it: the account, its CSRF token, and what it may do.
fn user(s: &Session) -> Value {
    let mut v = json!(s);
    v["acts"] = json!(accounts::acts(&lantian_app::Caller::Account(
        s.account.clone()
    )));
    v
}

/// Logs out.
#[utoipa::path(post, path = "/logout", tag = "accounts", responses((status = 200, body = Object), (status = 401, description = "Not logged in")))]
pub async fn logout(
    State(st): State<AppState>,
    Who(caller): Who,
    headers: HeaderMap,
) -> ApiResult<Response> {
    caller.require()?;
    if let Some(t) = auth::token(&headers) {
        st.sessions.remove(&t);
    }
    Ok((
        [(header::SET_COOKIE, auth::expired_cookie())],
        Json(json!({ "ok": true })),
    )
        .into_response())
}

/// The logged-in account, with `acts`: what it may do beyond reading (`manage_register`,
/// `manage_accounts`, `see_devices`, `see_audit`), for the UI to show its controls.
#[utoipa::path(get, path = "/me", tag = "accounts", responses((status = 200, body = Object), (status = 401, description = "Not logged in")))]
pub async fn me(State(st): State<AppState>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let s = auth::token(&headers)
        .and_then(|t| st.sessions.get(&t))
        .ok_or(ApiError::Unauthorized)?;
    Ok(Json(json!({ "user": user(&s) })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PasswordBody {
    pub old: String,
    pub new: String,
}

/// Changes one's own password (at least 10 characters).
#[utoipa::path(post, path = "/password", tag = "accounts", request_body = PasswordBody,
    responses((status = 200, body = Object), (status = 403, description = "Wrong current password")))]
pub async fn password(
    State(st): State<AppState>,
    Who(caller): Who,
    headers: HeaderMap,
    J(b): J<PasswordBody>,
) -> ApiResult<Json<Value>> {
    run(&st, move |app| {
        accounts::change_password(app, &caller, &b.old, &b.new)
    })
    .await?;
    if let Some(t) = auth::token(&headers) {
        st.sessions.clear_password_flag(&t);
    }
    Ok(Json(json!({ "ok": true })))
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

/// The audit log, newest first (administrators, the bureau). Times are Beijing time.
#[utoipa::path(get, path = "/audit", tag = "accounts", params(TableQuery), responses((status = 200, body = Object)))]
pub async fn audit(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<TableQuery>,
) -> ApiResult<Response> {
    let list = run(&st, move |app| accounts::audit_log(app, &caller)).await?;
    table(
        rows(&list),
        &["id", "at", "actor", "action", "object", "detail"],
        &q,
        "audit",
    )
}
