//! Sessions and CSRF: HttpOnly SameSite cookies that expire, a CSRF token for every
//! state-changing request, rate-limited logins. Who may do what is decided by the
//! application layer (`lantian_app::caller::policy`), never here.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use lantian_app::{Account, Caller};
use lantian_store::password;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const COOKIE: &str = "lantian_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);
/// Failed logins per user name and address before further attempts are refused.
pub const LOGIN_FAILURES_MAX: u32 = 5;
pub const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);
pub const SESSIONS_MAX: usize = 100_000;

#[derive(Clone, Debug, Serialize)]
pub struct Session {
    #[serde(flatten)]
    pub account: Account,
    pub csrf: String,
    #[serde(skip)]
    pub expires: Instant,
    pub must_change_password: bool,
}

#[derive(Debug, Default)]
pub struct Sessions {
    by_token: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Sessions {
    pub fn get(&self, token: &str) -> Option<Session> {
        let mut map = lock(&self.by_token);
        match map.get(token) {
            Some(s) if s.expires > Instant::now() => Some(s.clone()),
            Some(_) => {
                map.remove(token);
                None
            }
            None => None,
        }
    }

    pub fn create(&self, s: Session) -> String {
        let token = password::random(40);
        let mut map = lock(&self.by_token);
        if map.len() >= SESSIONS_MAX {
            let now = Instant::now();
            map.retain(|_, s| s.expires > now);
        }
        map.insert(token.clone(), s);
        token
    }

    pub fn remove(&self, token: &str) {
        lock(&self.by_token).remove(token);
    }

    pub fn clear_password_flag(&self, token: &str) {
        if let Some(s) = lock(&self.by_token).get_mut(token) {
            s.must_change_password = false;
        }
    }

    /// Refuses a login attempt for `key` after too many recent failures.
    pub fn check_rate(&self, key: &str) -> ApiResult<()> {
        let map = lock(&self.failures);
        match map.get(key) {
            Some((n, since)) if *n >= LOGIN_FAILURES_MAX && since.elapsed() < LOGIN_WINDOW => {
                Err(ApiError::TooManyRequests(
                    "登录失败次数过多，请稍后再试 / too many failed logins, try again later"
                        .to_owned(),
                ))
            }
            _ => Ok(()),
        }
    }

    pub fn failed(&self, key: &str) {
        let mut map = lock(&self.failures);
        let e = map.entry(key.to_owned()).or_insert((0, Instant::now()));
        if e.1.elapsed() >= LOGIN_WINDOW {
            *e = (0, Instant::now());
        }
        e.0 += 1;
    }

    pub fn succeeded(&self, key: &str) {
        lock(&self.failures).remove(key);
    }
}

/// The session token of a request, from its cookie.
pub fn token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == COOKIE).then(|| v.to_owned())
        })
}

pub fn cookie(token: &str) -> String {
    format!(
        "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        SESSION_TTL.as_secs()
    )
}

pub fn expired_cookie() -> String {
    format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

/// The caller of a request: a session's account, or the public. State-changing requests
/// must carry the session's CSRF token.
#[derive(Clone, Debug)]
pub struct Who(pub Caller);

impl FromRequestParts<AppState> for Who {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Who, ApiError> {
        let session = token(&parts.headers).and_then(|t| state.sessions.get(&t));
        let changes_state = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        // Every state change but logging in needs a login; refused before the body is read.
        let path = parts.uri.path();
        if changes_state && session.is_none() && !path.ends_with("/login") {
            return Err(ApiError::Unauthorized);
        }
        if changes_state && let Some(s) = &session {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if sent != Some(s.csrf.as_str()) {
                return Err(ApiError::Forbidden(
                    "缺少或错误的 CSRF 令牌 / missing or wrong CSRF token".to_owned(),
                ));
            }
            // An initial (or reset) password is changed before anything else is done.
            if s.must_change_password && !path.ends_with("/password") && !path.ends_with("/logout")
            {
                return Err(ApiError::Forbidden(
                    "请先修改初始密码 / change your initial password first".to_owned(),
                ));
            }
        }
        Ok(Who(
            session.map_or(Caller::Public, |s| Caller::Account(s.account))
        ))
    }
}
