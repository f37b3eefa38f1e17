//! The web UI: static files embedded in the binary (no build step), and the township
//! boundaries of the county profile, which an administrator may replace with
//! `DATA_DIR/boundaries.geojson`.

use crate::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// One embedded file: its path under `web/` and its content type.
macro_rules! web {
    ($path:literal, $mime:literal) => {
        ($path, $mime, include_bytes!(concat!("../web/", $path)))
    };
}

/// Every file of the UI: one ES module per page, a shared core and dictionary, and the
/// vendored libraries under their licences.
const FILES: &[(&str, &str, &[u8])] = &[
    web!("index.html", "text/html; charset=utf-8"),
    web!("style.css", "text/css; charset=utf-8"),
    web!("js/main.js", "text/javascript; charset=utf-8"),
    web!("js/core.js", "text/javascript; charset=utf-8"),
    web!("js/i18n.js", "text/javascript; charset=utf-8"),
    web!("js/pages/overview.js", "text/javascript; charset=utf-8"),
    web!("js/pages/map.js", "text/javascript; charset=utf-8"),
    web!("js/pages/station.js", "text/javascript; charset=utf-8"),
    web!("js/pages/compare.js", "text/javascript; charset=utf-8"),
    web!("js/pages/rankings.js", "text/javascript; charset=utf-8"),
    web!("js/pages/targets.js", "text/javascript; charset=utf-8"),
    web!("js/pages/reports.js", "text/javascript; charset=utf-8"),
    web!("js/pages/ledger.js", "text/javascript; charset=utf-8"),
    web!("js/pages/measure.js", "text/javascript; charset=utf-8"),
    web!("js/pages/public.js", "text/javascript; charset=utf-8"),
    web!("js/pages/login.js", "text/javascript; charset=utf-8"),
    web!("js/pages/account.js", "text/javascript; charset=utf-8"),
    web!("js/pages/accounts.js", "text/javascript; charset=utf-8"),
    web!(
        "js/pages/admin_stations.js",
        "text/javascript; charset=utf-8"
    ),
    web!("js/pages/admin_audit.js", "text/javascript; charset=utf-8"),
    web!(
        "js/pages/admin_settings.js",
        "text/javascript; charset=utf-8"
    ),
    web!("js/pages/enterprises.js", "text/javascript; charset=utf-8"),
    web!("js/pages/enterprise.js", "text/javascript; charset=utf-8"),
    web!("js/pages/warnings.js", "text/javascript; charset=utf-8"),
    web!("js/pages/reduction.js", "text/javascript; charset=utf-8"),
    web!("js/pages/alarms.js", "text/javascript; charset=utf-8"),
    web!("js/pages/rules.js", "text/javascript; charset=utf-8"),
    web!("js/pages/workorders.js", "text/javascript; charset=utf-8"),
    web!("js/pages/operations.js", "text/javascript; charset=utf-8"),
    web!("js/pages/tracing.js", "text/javascript; charset=utf-8"),
    web!("js/pages/tracingmap.js", "text/javascript; charset=utf-8"),
    web!("js/pages/grid.js", "text/javascript; charset=utf-8"),
    web!("js/pages/tasks.js", "text/javascript; charset=utf-8"),
    web!("js/pages/fire.js", "text/javascript; charset=utf-8"),
    web!("js/pages/complain.js", "text/javascript; charset=utf-8"),
    web!("js/pages/sites.js", "text/javascript; charset=utf-8"),
    web!("js/pages/opendata.js", "text/javascript; charset=utf-8"),
    web!(
        "js/pages/portal_station.js",
        "text/javascript; charset=utf-8"
    ),
    web!(
        "js/pages/portal_enterprise.js",
        "text/javascript; charset=utf-8"
    ),
    web!("js/pages/sanluanwu.js", "text/javascript; charset=utf-8"),
    web!("js/pages/declarations.js", "text/javascript; charset=utf-8"),
    web!("js/pages/cases.js", "text/javascript; charset=utf-8"),
    web!("js/pages/case.js", "text/javascript; charset=utf-8"),
    web!("js/pages/credit.js", "text/javascript; charset=utf-8"),
    web!("js/pages/apikeys.js", "text/javascript; charset=utf-8"),
    web!("js/pages/alerts.js", "text/javascript; charset=utf-8"),
    web!(
        "js/pages/device_control.js",
        "text/javascript; charset=utf-8"
    ),
    web!("js/pages/device_keys.js", "text/javascript; charset=utf-8"),
    web!(
        "vendor/leaflet/leaflet.js",
        "text/javascript; charset=utf-8"
    ),
    web!("vendor/leaflet/leaflet.css", "text/css; charset=utf-8"),
    web!("vendor/leaflet/LICENSE", "text/plain; charset=utf-8"),
    web!(
        "vendor/uplot/uPlot.iife.min.js",
        "text/javascript; charset=utf-8"
    ),
    web!("vendor/uplot/uPlot.min.css", "text/css; charset=utf-8"),
    web!("vendor/uplot/LICENSE", "text/plain; charset=utf-8"),
    web!(
        "vendor/echarts/echarts.min.js",
        "text/javascript; charset=utf-8"
    ),
    web!("vendor/echarts/LICENSE", "text/plain; charset=utf-8"),
    web!("vendor/echarts/NOTICE", "text/plain; charset=utf-8"),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { file("index.html") }))
        .route("/data/boundaries.geojson", get(boundaries))
        .route(
            "/{*path}",
            get(|Path(p): Path<String>| async move { file(&p) }),
        )
}

fn file(path: &str) -> Response {
    match FILES.iter().find(|(p, _, _)| *p == path) {
        Some((_, mime, body)) => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *body,
        )
            .into_response(),
        // The security headers (CSP, nosniff, framing) are added to every response in lib.rs.
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// The township boundaries: `DATA_DIR/boundaries.geojson` if an administrator put one
/// there, else the county profile's.
async fn boundaries(State(st): State<AppState>) -> Response {
    let custom = st
        .app
        .data_dir
        .as_ref()
        .map(|d| d.join("boundaries.geojson"));
    let body = match custom.and_then(|p| std::fs::read(p).ok()) {
        Some(b) => b,
        None => st.app.county.boundaries_geojson.clone().into_bytes(),
    };
    ([(header::CONTENT_TYPE, "application/geo+json")], body).into_response()
}
