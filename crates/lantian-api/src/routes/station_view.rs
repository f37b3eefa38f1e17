//! The station page's read over HTTP (issue 17): a station's hours and days with the six
//! pollutants, their IAQI, the AQI and primary pollutant, coverage, limits, levels and
//! meteorology. Thin: everything is decided in `lantian_app::station_view`.

use super::{Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::ApiResult;
use axum::Json;
use axum::extract::{Path, State};
use lantian_app::present::lang;
use lantian_app::station_view::{self, DAYS_DEFAULT, Request, StationHours};
use lantian_core::Date;
use lantian_store::View;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this file.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(hours))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HoursQuery {
    /// The last N days up to the station's latest hour (1-31, default 7).
    pub days: Option<i64>,
    /// First and last day, Beijing time (`YYYY-MM-DD`), instead of `days`; at most 31 days.
    #[param(value_type = Option<String>)]
    pub from: Option<Date>,
    #[param(value_type = Option<String>)]
    pub to: Option<Date>,
    /// `raw` (default: as received) or `audited` (with corrections).
    #[param(value_type = Option<String>)]
    pub view: Option<View>,
    /// `zh` (default) or `en`: the categories' language.
    pub lang: Option<String>,
}

/// A station's hours and days: the six pollutants with their IAQI, the AQI (real-time per
/// hour, daily per day) with level and primary pollutant, coverage, the Grade II limits, the
/// AQI levels and the meteorology it sends. Times are Beijing time.
#[utoipa::path(get, path = "/stations/{id}/hours", tag = "stations",
    params(("id" = String, Path, description = "Station id"), HoursQuery),
    responses((status = 200, description = "The hours and days of the span", body = Object),
        (status = 400, description = "A bad span"), (status = 404, description = "No such station")))]
pub async fn hours(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
    Q(q): Q<HoursQuery>,
) -> ApiResult<Json<StationHours>> {
    let req = Request {
        station: id,
        days: q.days.unwrap_or(DAYS_DEFAULT),
        from: q.from,
        to: q.to,
        view: q.view.unwrap_or(View::Raw),
        lang: lang(q.lang.as_deref()),
    };
    let answer = run(&st, move |app| {
        station_view::station_hours(app, &caller, &req)
    })
    .await?;
    Ok(Json(answer))
}
