//! Sessions and CSRF: HttpOnly SameSite cookies that expire (`Secure` and `__Host-` when the
//! platform is served over TLS), a CSRF token for every state-changing request, and the gate
//! every API request passes: the session's account read again from the store (a disabled
//! account's sessions and those older than a password change have ended), the CSRF check
//! (refusals audited), and an initial password changed before anything else. Who may do
//! what is decided by the application layer (`lantian_app::caller::policy`), never here.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lantian_app::accounts::{self, Login};
use lantian_app::{Account, Caller};
use lantian_store::password;
use serde::Serialize;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The session cookie's name over plain HTTP…
pub const COOKIE: &str = "lantian_session";
/// …and over TLS: the `__Host-` prefix makes browsers refuse it unless it is `Secure`,
/// for the whole site (`Path=/`) and of this host only (no `Domain`).
pub const COOKIE_TLS: &str = "__Host-lantian_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);
pub const SESSIONS_MAX: usize = 100_000;
/// What a session that must change its initial password is told for anything else.
pub const MUST_CHANGE_PASSWORD: &str = "须先修改初始密码 / must change the initial password first";

/// How the web side is deployed: over TLS or not, and which proxies' `X-Forwarded-For` to
/// believe (`lantian serve --secure-cookies --trusted-proxy ADDR`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WebConfig {
    /// The platform is served over HTTPS (by itself or a proxy): cookies are `Secure` and
    /// named with the `__Host-` prefix.
    pub secure_cookies: bool,
    /// Peers whose `X-Forwarded-For` names the client; nobody's by default.
    pub trusted_proxies: Vec<IpAddr>,
}

impl WebConfig {
    pub fn cookie_name(&self) -> &'static str {
        if self.secure_cookies {
            COOKIE_TLS
        } else {
            COOKIE
        }
    }

    /// The `Set-Cookie` value of a new session.
    pub fn cookie(&self, token: &str) -> String {
        self.cookie_with(token, SESSION_TTL.as_secs())
    }

    /// The `Set-Cookie` value that ends a session in the browser.
    pub fn expired_cookie(&self) -> String {
        self.cookie_with("", 0)
    }

    fn cookie_with(&self, token: &str, max_age_s: u64) -> String {
        let secure = if self.secure_cookies { "; Secure" } else { "" };
        format!(
            "{}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_s}{secure}",
            self.cookie_name()
        )
    }

    /// The session token of a request, from its cookie.
    pub fn token(&self, headers: &HeaderMap) -> Option<String> {
        let name = self.cookie_name();
        headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|kv| {
                let (k, v) = kv.trim().split_once('=')?;
                (k == name).then(|| v.to_owned())
            })
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Session {
    #[serde(flatten)]
    pub account: Account,
    pub csrf: String,
    #[serde(skip)]
    pub expires: Instant,
    pub must_change_password: bool,
    /// The account's session epoch when this session began or last changed the password.
    #[serde(skip)]
    pub epoch: i64,
}

impl Session {
    pub fn new(l: Login) -> Session {
        Session {
            account: l.account,
            csrf: password::random(32),
            expires: Instant::now() + SESSION_TTL,
            must_change_password: l.must_change_password,
            epoch: l.session_epoch,
        }
    }
}

/// The sessions of this server, bounded: expired ones are dropped when the map is full, and
/// then the one expiring first.
#[derive(Debug, Default)]
pub struct Sessions {
    by_token: Mutex<HashMap<String, Session>>,
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
            if map.len() >= SESSIONS_MAX
                && let Some(first) = map
                    .iter()
                    .min_by_key(|(_, s)| s.expires)
                    .map(|(t, _)| t.clone())
            {
                map.remove(&first);
            }
        }
        map.insert(token.clone(), s);
        token
    }

    pub fn remove(&self, token: &str) {
        lock(&self.by_token).remove(token);
    }

    /// Keeps a session in step with its account as the store has it now.
    pub fn refresh(&self, token: &str, l: &Login) {
        if let Some(s) = lock(&self.by_token).get_mut(token) {
            s.account = l.account.clone();
            s.must_change_password = l.must_change_password;
        }
    }

    /// After a password change: this session carries the new epoch and no longer must change
    /// its password; the account's other sessions end.
    pub fn password_changed(&self, token: &str, epoch: i64) {
        let mut map = lock(&self.by_token);
        let Some(name) = map.get(token).map(|s| s.account.username.clone()) else {
            return;
        };
        map.retain(|t, s| t == token || s.account.username != name);
        if let Some(s) = map.get_mut(token) {
            s.must_change_password = false;
            s.epoch = epoch;
        }
    }

    /// Ends every session of an account (disabled).
    pub fn end_account(&self, username: &str) {
        lock(&self.by_token).retain(|_, s| s.account.username != username);
    }
}

/// A request's live session, put into its extensions by [`gate`].
#[derive(Clone, Debug)]
pub struct Authed {
    pub token: String,
    pub session: Session,
}

/// Paths under `/api/v1` (as the nested API router sees them) a session that must change
/// its password may still use.
const WHILE_MUST_CHANGE: [&str; 3] = ["/password", "/logout", "/me"];

/// The gate of every API request: finds its live session, refuses a state change without a
/// login (401, before its body is read) or without the session's CSRF token (403, audited),
/// and anything but changing the password, logging out or reading one's account while the
/// initial password is unchanged (403).
pub async fn gate(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let authed = match live_session(&st, req.headers()).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let path = req.uri().path().to_owned();
    let changes_state = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // The API router is nested under `/api/v1`: it sees the rest of the path.
    let login_path = path == "/login";
    match &authed {
        // The public complaint form is signed by its own form token (lantian_app::complaints);
        // an open-data key sign-up is limited per address (crate::opendata_limit).
        None if changes_state
            && !login_path
            && path != "/complaints"
            && path != crate::opendata_limit::SIGNUP_PATH =>
        {
            return ApiError::Unauthorized.into_response();
        }
        None => {}
        Some(a) => {
            // Logging in (again, as anyone) needs no token of the session it replaces.
            if changes_state && !login_path {
                let sent = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
                if sent != Some(a.session.csrf.as_str()) {
                    let caller = Caller::Account(a.session.account.clone()).from_source(&source(
                        &st,
                        req.extensions(),
                        req.headers(),
                    ));
                    let request = format!("{} /api/v1{path}", req.method());
                    let app = st.app.clone();
                    // The refusal stands whether or not its audit row could be written.
                    let _ = tokio::task::spawn_blocking(move || {
                        accounts::csrf_refused(&app, &caller, &request)
                    })
                    .await;
                    return ApiError::Forbidden(
                        "缺少或错误的 CSRF 令牌 / missing or wrong CSRF token".to_owned(),
                    )
                    .into_response();
                }
            }
            if a.session.must_change_password
                && !login_path
                && !WHILE_MUST_CHANGE.contains(&path.as_str())
            {
                return ApiError::Forbidden(MUST_CHANGE_PASSWORD.to_owned()).into_response();
            }
        }
    }
    if let Some(a) = authed {
        req.extensions_mut().insert(a);
    }
    next.run(req).await
}

/// The request's session if it is live: known, not expired, and its account enabled and of
/// the same epoch in the store (else it is ended here). Its account is refreshed from the
/// store (a changed role counts at once).
async fn live_session(st: &AppState, headers: &HeaderMap) -> Result<Option<Authed>, ApiError> {
    let Some(token) = st.web.token(headers) else {
        return Ok(None);
    };
    let Some(mut session) = st.sessions.get(&token) else {
        return Ok(None);
    };
    let (name, epoch) = (session.account.username.clone(), session.epoch);
    let app = st.app.clone();
    let now = tokio::task::spawn_blocking(move || accounts::session(&app, &name, epoch))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(ApiError::from)?;
    let Some(l) = now else {
        st.sessions.remove(&token);
        return Ok(None);
    };
    if l.account != session.account || l.must_change_password != session.must_change_password {
        st.sessions.refresh(&token, &l);
        session.account = l.account;
        session.must_change_password = l.must_change_password;
    }
    Ok(Some(Authed { token, session }))
}

/// The caller of a request: its live session's account (see [`gate`]), or the public.
#[derive(Clone, Debug)]
pub struct Who(pub Caller);

impl FromRequestParts<AppState> for Who {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Who, ApiError> {
        let source = source(st, &parts.extensions, &parts.headers);
        Ok(Who(parts
            .extensions
            .get::<Authed>()
            .map_or(Caller::Public, |a| {
                Caller::Account(a.session.account.clone()).from_source(&source)
            })))
    }
}

/// The client's address as the login throttle keys it (the socket's peer; the forwarded
/// one only from a trusted proxy).
pub fn client_addr(st: &AppState, peer: Option<SocketAddr>, headers: &HeaderMap) -> IpAddr {
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    crate::throttle::client_addr(peer, &forwarded, &st.web.trusted_proxies)
}

/// The audit log's source of a request: the client's address; empty without a socket (a
/// request made in-process).
pub fn source(st: &AppState, extensions: &Extensions, headers: &HeaderMap) -> String {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    peer.map_or_else(String::new, |_| client_addr(st, peer, headers).to_string())
}
