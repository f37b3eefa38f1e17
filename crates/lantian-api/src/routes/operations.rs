//! Operations over HTTP: online and capture rates per device (MN) of each station. Thin:
//! every decision is in `lantian_app::integrity_ops`.

use super::{Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::ApiResult;
use axum::Json;
use axum::extract::State;
use lantian_app::integrity_ops;
use lantian_core::Month;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DevicesQuery {
    /// `YYYY-MM` (default: this month, Beijing time).
    #[param(value_type = Option<String>)]
    pub month: Option<Month>,
}

/// Online and capture rates per device and day of a month, per station the caller sees.
#[utoipa::path(get, path = "/operations/devices", tag = "integrity", params(DevicesQuery),
    responses((status = 200, description = "Per station: its contractor and devices with their days", body = Object)))]
pub async fn devices(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<DevicesQuery>,
) -> ApiResult<Json<Value>> {
    let month = q.month;
    let v = run(&st, move |app| {
        let m = month.unwrap_or_else(|| Month::of(app.clock.today()));
        integrity_ops::device_rates(app, &caller, m)
    })
    .await?;
    Ok(Json(json!(v)))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(devices))
}
