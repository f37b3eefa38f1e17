//! The map's reads (the last days' hours of every station and township) and the UI's
//! configuration (the base-map tile URL), with the content security policy that admits the
//! configured tile server's images.

use super::{J, Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::ApiResult;
use axum::Json;
use axum::extract::State;
use lantian_app::App;
use lantian_app::map_view::{self, MAP_DAYS_DEFAULT};
use lantian_app::present::lang;
use lantian_store::View;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::RwLock;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The origin of the configured tile server, admitted as an image source by the pages'
/// content security policy: read when the server starts and whenever the UI's
/// configuration is read or set (the UI reads it on every start).
static TILE_ORIGIN: RwLock<Option<String>> = RwLock::new(None);

fn remember(cfg: &map_view::UiConfig) {
    let origin = cfg.tile_url.as_deref().and_then(map_view::tile_origin);
    let mut o = TILE_ORIGIN
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    *o = origin;
}

/// Reads the setting once (at start-up); a store that cannot answer leaves the policy as it
/// is without a tile server.
pub fn prime(app: &App) {
    if let Ok(cfg) = map_view::ui_config(app) {
        remember(&cfg);
    }
}

/// The content security policy of every response: `base` with the tile server's origin
/// added to `img-src`.
pub fn content_security_policy(base: &'static str) -> std::borrow::Cow<'static, str> {
    let origin = TILE_ORIGIN
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    match origin {
        Some(o) => base
            .replacen("img-src 'self'", &format!("img-src 'self' {o}"), 1)
            .into(),
        None => base.into(),
    }
}

/// The UI's configuration: the base-map tile URL and its attribution (none: vector layer
/// only). Public.
#[utoipa::path(get, path = "/ui-config", tag = "county", responses((status = 200, body = Object)))]
pub async fn ui_config(State(st): State<AppState>) -> ApiResult<Json<Value>> {
    let cfg = run(&st, map_view::ui_config).await?;
    remember(&cfg);
    Ok(Json(json!(cfg)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct UiConfigBody {
    /// A Leaflet tile URL template with `{z}`, `{x}`, `{y}` (https://, http:// or a path of
    /// this site); empty: no base map.
    pub tile_url: String,
    /// The base map's credit line (its licence asks for it).
    #[serde(default)]
    pub tile_attribution: String,
}

/// Sets the base-map tile URL (the bureau, administrators; audited).
#[utoipa::path(post, path = "/ui-config", tag = "county", request_body = UiConfigBody,
    responses((status = 200, body = Object), (status = 400, description = "Not a tile URL template"), (status = 403, description = "Not the bureau")))]
pub async fn set_ui_config(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<UiConfigBody>,
) -> ApiResult<Json<Value>> {
    let cfg = run(&st, move |app| {
        map_view::set_tile_url(app, &caller, &b.tile_url, &b.tile_attribution)
    })
    .await?;
    remember(&cfg);
    Ok(Json(json!(cfg)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MapQuery {
    /// Days of hours up to the latest hour with data (1–7, default 3).
    pub days: Option<usize>,
    /// `raw` (default: real time) or `audited`.
    #[param(value_type = Option<String>)]
    pub view: Option<View>,
    /// `zh` (default) or `en`.
    pub lang: Option<String>,
}

/// The last days' hours of every station (values for who sees its data) and of every town,
/// township and zone (the mean of its stations), each value with its AQI level, and the
/// AQI legend: the map's time slider and shading.
#[utoipa::path(get, path = "/map/hours", tag = "aqi", params(MapQuery), responses((status = 200, body = Object)))]
pub async fn hours(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<MapQuery>,
) -> ApiResult<Json<Value>> {
    let l = lang(q.lang.as_deref());
    let (days, view) = (
        q.days.unwrap_or(MAP_DAYS_DEFAULT),
        q.view.unwrap_or(View::Raw),
    );
    let r = run(&st, move |app| {
        map_view::map_hours(app, &caller, days, view, l)
    })
    .await?;
    Ok(Json(json!(r)))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ui_config, set_ui_config))
        .routes(routes!(hours))
}
