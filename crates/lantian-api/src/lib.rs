//! Lantian's HTTP side, the only crate that knows HTTP: [`router`] builds the whole
//! application (JSON API under `/api/v1/`, OpenAPI document, metrics, the embedded web UI)
//! and is tested with `oneshot`, no server needed.

mod analysis;
pub mod auth;
mod error;
pub mod export;
mod ledger;
mod openapi;
mod routes;
mod ui;

pub use error::ApiError;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use lantian_core::aqi::Lang;
use lantian_store::Store;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Renders the gateway's metrics (the API does not depend on the gateway crate).
pub type MetricsFn = Arc<dyn Fn() -> String + Send + Sync>;
/// Device status by MN: (connected, last seen ms, packets, rejects).
pub type DevicesFn = Arc<dyn Fn() -> HashMap<String, (bool, i64, u64, u64)> + Send + Sync>;

/// Largest request body accepted.
pub const BODY_BYTES_MAX: usize = 64 * 1024;
/// How long the public "AQI now" answer is reused.
pub const CACHE_TTL: Duration = Duration::from_secs(5);

#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// The annual PM2.5 target (µg/m³) for the overview's "still allowed".
    pub target_pm25_ug_m3: f64,
    /// A fixed clock (ms since the epoch) for demos and tests; `None` reads the system clock.
    pub now_ms: Option<i64>,
    /// Where an administrator may put `boundaries.geojson` to replace the shipped one.
    pub data_dir: Option<PathBuf>,
}

impl Default for ApiConfig {
    fn default() -> ApiConfig {
        ApiConfig {
            target_pm25_ug_m3: 35.0,
            now_ms: None,
            data_dir: None,
        }
    }
}

/// Short-lived answers of the public endpoints.
#[derive(Debug, Default)]
pub struct Cache(Mutex<HashMap<String, (Instant, Arc<Value>)>>);

/// Entries kept at most; the cache is emptied when it would grow past this.
pub const CACHE_ENTRIES_MAX: usize = 10_000;

impl Cache {
    fn get(&self, key: &str, lang: Lang) -> Option<Arc<Value>> {
        let map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(&format!("{key}|{}", lang == Lang::En))
            .filter(|(t, _)| t.elapsed() < CACHE_TTL)
            .map(|(_, v)| v.clone())
    }

    fn put(&self, key: &str, lang: Lang, v: Arc<Value>) {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= CACHE_ENTRIES_MAX {
            map.clear();
        }
        map.insert(format!("{key}|{}", lang == Lang::En), (Instant::now(), v));
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub metrics: MetricsFn,
    pub devices: DevicesFn,
    pub config: Arc<ApiConfig>,
    pub sessions: Arc<auth::Sessions>,
    pub cache: Arc<Cache>,
}

impl AppState {
    pub fn new(
        store: Arc<Store>,
        metrics: MetricsFn,
        devices: DevicesFn,
        config: ApiConfig,
    ) -> AppState {
        AppState {
            store,
            metrics,
            devices,
            config: Arc::new(config),
            sessions: Arc::default(),
            cache: Arc::default(),
        }
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AppState({:?})", self.store)
    }
}

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/units", get(routes::units))
        .route(
            "/stations",
            get(routes::stations).post(routes::create_station),
        )
        .route("/stations/{id}", get(routes::station))
        .route("/stations/{id}/series", get(routes::series))
        .route("/devices", get(routes::devices))
        .route("/aqi/now", get(routes::aqi_now))
        .route("/daily-aqi", get(routes::daily_aqi))
        .route("/assessment", get(routes::assessment))
        .route("/rankings", get(routes::rankings))
        .route("/targets", get(routes::targets))
        .route("/audit", get(routes::audit_log))
        .route("/login", post(routes::login))
        .route("/logout", post(routes::logout))
        .route("/me", get(routes::me))
        .route("/password", post(routes::change_password))
        .route("/users", post(routes::create_user))
        .route("/ledger", get(ledger::list))
        .route("/ledger/{id}", get(ledger::one))
        .route("/ledger/{id}/events", post(ledger::act))
        .route("/ledger/{id}/correct", post(ledger::correct))
        .route(
            "/ledger/{id}/evidence",
            post(ledger::evidence).layer(DefaultBodyLimit::max(ledger::EVIDENCE_BYTES_MAX + 1024)),
        )
        .route("/openapi.json", get(openapi::document))
        .fallback(|| async { ApiError::NotFound("no such API endpoint".to_owned()) });
    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .merge(ui::routes())
        .layer(DefaultBodyLimit::max(BODY_BYTES_MAX))
        .with_state(state)
}

async fn healthz(State(s): State<AppState>) -> impl IntoResponse {
    Json(serde_json::json!({ "ok": true, "store": s.store.describe() }))
}

async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        (s.metrics)(),
    )
}
