//! Operations over HTTP: online and capture rates per device (MN) of each station. Thin:
//! every decision is in `lantian_app::integrity_ops`.

use super::{Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::ApiResult;
use crate::export::Paging;
use axum::Json;
use axum::extract::State;
use lantian_app::integrity_ops;
use lantian_core::Month;
use serde::Deserialize;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DevicesQuery {
    /// `YYYY-MM` (default: this month, Beijing time).
    #[param(value_type = Option<String>)]
    pub month: Option<Month>,
    /// Page number, from 1.
    pub page: Option<usize>,
    /// Stations per page, 1-1000 (default 50).
    pub per_page: Option<usize>,
}

/// Online and capture rates per device and day of a month, a page of the stations the
/// caller sees: `{items, total, page, per_page}`, each station with its contractor and
/// devices (only the page's stations are computed).
#[utoipa::path(get, path = "/operations/devices", tag = "integrity", params(DevicesQuery),
    responses((status = 200, description = "A page of stations: its contractor and devices with their days", body = Object),
        (status = 400, description = "A bad month, page or per_page")))]
pub async fn devices(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<DevicesQuery>,
) -> ApiResult<Json<Value>> {
    let p = Paging::of(q.page, q.per_page)?;
    let month = q.month;
    let v = run(&st, move |app| {
        let m = month.unwrap_or_else(|| Month::of(app.clock.today()));
        integrity_ops::device_rates_page(app, &caller, m, p.store())
    })
    .await?;
    Ok(Json(Value::Object(p.answer("items", &v))))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(devices))
}
