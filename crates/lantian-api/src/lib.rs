//! Lantian's HTTP side, the only crate that knows HTTP: [`router`] builds the whole
//! application (JSON API under `/api/v1/` with its OpenAPI document, metrics, the embedded
//! web UI) and is tested with `oneshot`, no server needed.
//!
//! Handlers are thin: they parse the request, call a use case of `lantian-app` on a blocking
//! thread, and shape its answer (JSON, a page of a table, CSV or Excel). The OpenAPI
//! document is generated from the same route table that axum serves (`utoipa-axum`), so it
//! cannot drift from the routes.

pub mod auth;
mod error;
pub mod export;
pub mod opendata_limit;
mod routes;
pub mod throttle;
mod ui;

pub use auth::WebConfig;
pub use error::ApiError;
pub use lantian_app::stations::DeviceStatus;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use lantian_app::App;
use lantian_core::aqi::Lang;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Renders the gateway's metrics (the API does not depend on the gateway crate).
pub type MetricsFn = Arc<dyn Fn() -> String + Send + Sync>;
/// The gateway's status of each device, by MN.
pub type DevicesFn = Arc<dyn Fn() -> HashMap<String, DeviceStatus> + Send + Sync>;

/// Largest request body accepted (evidence uploads have their own limit).
pub const BODY_BYTES_MAX: usize = 64 * 1024;
/// How long the public "AQI now" answer and default series are reused.
pub const CACHE_TTL: Duration = Duration::from_secs(5);

/// Short-lived answers of the public endpoints, kept serialised: a hit costs a copy of the
/// bytes, not a serialisation.
#[derive(Debug, Default)]
pub struct Cache(Mutex<HashMap<String, (Instant, axum::body::Bytes)>>);

/// Entries kept at most; the cache is emptied when it would grow past this.
pub const CACHE_ENTRIES_MAX: usize = 10_000;

impl Cache {
    fn get(&self, key: &str, lang: Lang) -> Option<axum::response::Response> {
        let map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(&format!("{key}|{}", lang == Lang::En))
            .filter(|(t, _)| t.elapsed() < CACHE_TTL)
            .map(|(_, body)| json_response(body.clone()))
    }

    /// Keeps `value` as JSON under `key` and answers with it.
    fn put(
        &self,
        key: &str,
        lang: Lang,
        value: &impl serde::Serialize,
    ) -> axum::response::Response {
        let body = axum::body::Bytes::from(serde_json::to_vec(value).unwrap_or_default());
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= CACHE_ENTRIES_MAX {
            map.clear();
        }
        map.insert(
            format!("{key}|{}", lang == Lang::En),
            (Instant::now(), body.clone()),
        );
        json_response(body)
    }
}

/// A JSON answer from serialised bytes.
fn json_response(body: axum::body::Bytes) -> axum::response::Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub metrics: MetricsFn,
    pub devices: DevicesFn,
    pub sessions: Arc<auth::Sessions>,
    pub cache: Arc<Cache>,
    /// TLS cookies and trusted proxies.
    pub web: Arc<WebConfig>,
    /// The bearer token Prometheus scrapes `/metrics` with (none: sessions only).
    pub metrics_token: Option<Arc<str>>,
    pub throttle: Arc<throttle::Throttle>,
    pub open_limit: Arc<opendata_limit::Limiter>,
}

impl AppState {
    pub fn new(app: App, metrics: MetricsFn, devices: DevicesFn) -> AppState {
        AppState {
            app,
            metrics,
            devices,
            sessions: Arc::default(),
            cache: Arc::default(),
            web: Arc::default(),
            metrics_token: None,
            throttle: Arc::default(),
            open_limit: Arc::default(),
        }
    }

    /// The same state with a bearer token for `/metrics` (`--metrics-token`).
    pub fn with_metrics_token(mut self, token: Option<String>) -> AppState {
        self.metrics_token = token.map(Arc::from);
        self
    }

    /// The same state deployed as `web` says (cookies over TLS, trusted proxies).
    pub fn with_web(mut self, web: WebConfig) -> AppState {
        self.web = Arc::new(web);
        self
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AppState({:?})", self.app.store)
    }
}

/// The whole application: `/api/v1/…` (and its document at `/api/v1/openapi.json`),
/// `/healthz`, `/metrics` and the web UI.
pub fn router(state: AppState) -> Router {
    // The tile server the pages may load images from, read off the async runtime.
    let app = state.app.clone();
    std::thread::spawn(move || routes::map_view::prime(&app));
    let (api, mut doc) = routes::api().split_for_parts();
    doc.info.title = "Lantian (蓝天) API".to_owned();
    doc.info.description = Some(
        "Air-quality supervision platform. Times are Beijing time (UTC+8). State changes need \
         the session cookie and the X-CSRF-Token header returned by /login."
            .to_owned(),
    );
    doc.servers = Some(vec![utoipa::openapi::Server::new("/api/v1")]);
    let doc: Arc<Value> = Arc::new(serde_json::to_value(&doc).unwrap_or(Value::Null));
    let api = api
        .route(
            "/openapi.json",
            get(move || async move { Json(Value::clone(&doc)) }),
        )
        .fallback(|| async { ApiError::NotFound("no such API endpoint".to_owned()) })
        .layer(axum::middleware::from_fn(no_store))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            opendata_limit::limit,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::gate,
        ));
    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(healthz))
        .route(
            "/metrics",
            get(metrics).layer(axum::middleware::from_fn_with_state(
                state.clone(),
                auth::gate,
            )),
        )
        .merge(ui::routes())
        .layer(DefaultBodyLimit::max(BODY_BYTES_MAX))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// The UI runs only its own scripts (no inline script, no other origin; styles may be
/// inline, which the charts and badges use), is framed by nobody, sends no referrer to
/// other sites, and its files are what they say: a guard against injected markup.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The security headers of every response (the UI's files, the API, errors).
async fn security_headers(mut r: axum::response::Response) -> axum::response::Response {
    let h = r.headers_mut();
    // The configured base-map tile server's images are admitted too (routes/map_view.rs).
    let csp = routes::map_view::content_security_policy(CONTENT_SECURITY_POLICY);
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    r
}

/// API answers are not kept by browsers or proxies (some carry a new password or key, most
/// depend on the session), except the open data under `/open/`, which are the same for
/// everyone (bulk files carry their `ETag`); a key's sign-up and usage are not open data.
async fn no_store(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = req.uri().path();
    let open = path.starts_with("/open/") && !path.starts_with("/open/keys");
    let mut r = next.run(req).await;
    if !open && !r.headers().contains_key(header::CACHE_CONTROL) {
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

/// Liveness: `ok` (200) when the store answers, `not ok` (503) otherwise; nothing about
/// paths, addresses or versions.
async fn healthz(State(s): State<AppState>) -> impl IntoResponse {
    let app = s.app.clone();
    let up = tokio::task::spawn_blocking(move || app.store.count_users().is_ok())
        .await
        .unwrap_or(false);
    let text = |status, body: &'static str| {
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            body,
        )
    };
    if up {
        text(StatusCode::OK, "ok")
    } else {
        text(StatusCode::SERVICE_UNAVAILABLE, "not ok")
    }
}

/// The Prometheus counters (no data values, but every registered device's MN): for
/// `Authorization: Bearer <--metrics-token>`, or a session of an administrator or
/// operations; 401 otherwise.
async fn metrics(
    State(s): State<AppState>,
    auth::Who(caller): auth::Who,
    headers: axum::http::HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let token_ok = match (&s.metrics_token, bearer) {
        (Some(want), Some(got)) => same_secret(want.as_bytes(), got.trim().as_bytes()),
        _ => false,
    };
    if !token_ok {
        lantian_app::stations::reads_metrics(&caller)?;
    }
    Ok((
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        format!(
            "{}{}{}",
            (s.metrics)(),
            s.throttle.render_prometheus(),
            s.open_limit.render_prometheus()
        ),
    ))
}

/// Whether two secrets are equal, in time that does not depend on where they differ.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
