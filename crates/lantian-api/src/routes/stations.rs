//! Units, stations, devices and a station's series.

use super::{J, Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::{ApiError, ApiResult};
use crate::export::{TableQuery, rows, table};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use lantian_app::integrity_ops;
use lantian_app::series::{self, Points, Request};
use lantian_app::stations::{self, NewStation};
use lantian_core::Date;
use lantian_core::aqi::Lang;
use lantian_core::pollutant::Pollutant;
use lantian_core::series::StationRole;
use lantian_store::View;
use serde::Deserialize;
use serde_json::{Value, json};

/// Administrative units: the city, its towns, townships and zone, its departments.
#[utoipa::path(get, path = "/units", tag = "stations", params(TableQuery),
    responses((status = 200, description = "A page of units, or a CSV or xlsx file", body = Object)))]
pub async fn units(State(st): State<AppState>, Q(q): Q<TableQuery>) -> ApiResult<Response> {
    let units = run(&st, |app| Ok(app.store.admin_units()?)).await?;
    table(
        rows(&units),
        &[
            "id",
            "name_zh",
            "name_en",
            "kind",
            "parent_id",
            "lat",
            "lon",
        ],
        &q,
        "units",
    )
}

/// Monitoring stations; what they measure only for those who may see their details.
#[utoipa::path(get, path = "/stations", tag = "stations", params(TableQuery),
    responses((status = 200, description = "A page of stations, or a CSV or xlsx file", body = Object)))]
pub async fn stations(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<TableQuery>,
) -> ApiResult<Response> {
    let list = run(&st, move |app| stations::list(app, &caller)).await?;
    let mut items = rows(&list);
    for v in &mut items {
        if let Some(p) = v["pollutants"].as_array() {
            v["pollutants"] = json!(
                p.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(",")
            );
        }
    }
    table(
        items,
        &[
            "id",
            "name",
            "role",
            "unit",
            "lat",
            "lon",
            "demo",
            "pollutants",
        ],
        &q,
        "stations",
    )
}

/// One station.
#[utoipa::path(get, path = "/stations/{id}", tag = "stations", params(("id" = String, Path, description = "Station id")),
    responses((status = 200, body = Object), (status = 404, description = "No such station")))]
pub async fn station(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let s = run(&st, move |app| stations::get(app, &caller, &id)).await?;
    Ok(Json(json!(s)))
}

/// A station to create or update.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct StationBody {
    pub id: String,
    pub name: String,
    /// `assessment`, `background`, `township` or `micro`.
    #[schema(value_type = String)]
    pub role: StationRole,
    /// The administrative unit's id.
    pub unit: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// HJ 212 codes measured (default: the six criteria pollutants).
    #[serde(default)]
    pub pollutants: Vec<String>,
    /// Minutes between minute values (default 1).
    pub min_interval_min: Option<i64>,
    /// The operations contractor (运维单位); absent: kept, empty: cleared.
    pub contractor: Option<String>,
}

/// Creates or updates a station (administrators, the bureau).
#[utoipa::path(post, path = "/stations", tag = "stations", request_body = StationBody,
    responses((status = 200, body = Object), (status = 403, description = "Not allowed")))]
pub async fn create_station(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<StationBody>,
) -> ApiResult<Json<Value>> {
    let id = b.id.clone();
    run(&st, move |app| {
        stations::register(
            app,
            &caller,
            NewStation {
                id: b.id.clone(),
                name: b.name,
                role: b.role,
                unit: b.unit,
                lat: b.lat,
                lon: b.lon,
                pollutants: b.pollutants,
                min_interval_min: b.min_interval_min.unwrap_or(1),
            },
        )?;
        match &b.contractor {
            Some(c) => integrity_ops::set_contractor(app, &caller, &b.id, Some(c)),
            None => Ok(()),
        }
    })
    .await?;
    Ok(Json(json!({ "ok": true, "id": id })))
}

/// Devices with their gateway status (administrators, the bureau, operations).
#[utoipa::path(get, path = "/devices", tag = "stations", params(TableQuery),
    responses((status = 200, body = Object), (status = 401, description = "Login required")))]
pub async fn devices(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<TableQuery>,
) -> ApiResult<Response> {
    let status = (st.devices)();
    let list = run(&st, move |app| stations::devices(app, &caller, &status)).await?;
    table(
        rows(&list),
        &[
            "mn",
            "station",
            "edition",
            "connected",
            "last_seen",
            "packets",
            "rejects",
        ],
        &q,
        "devices",
    )
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// Pollutant name (`PM2.5`) or HJ 212 code (`a34004`); default PM2.5.
    pub code: Option<String>,
    /// The last N days up to the station's latest value (1-400, default 30).
    pub days: Option<i64>,
    /// First and last day, Beijing time (`YYYY-MM-DD`), instead of `days`.
    #[param(value_type = Option<String>)]
    pub from: Option<Date>,
    #[param(value_type = Option<String>)]
    pub to: Option<Date>,
    /// `raw` (default: as received) or `audited` (with corrections).
    #[param(value_type = Option<String>)]
    pub view: Option<View>,
    /// `hour` (default) or `day` (daily means, O3 MDA8, with the hours that cover them).
    pub avg: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

/// One pollutant at one station, hourly or daily, raw or audited. Times are Beijing time.
#[utoipa::path(get, path = "/stations/{id}/series", tag = "stations",
    params(("id" = String, Path, description = "Station id"), SeriesQuery),
    responses((status = 200, description = "The series, or a CSV or xlsx file", body = Object)))]
pub async fn series(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
    Q(q): Q<SeriesQuery>,
) -> ApiResult<Response> {
    let code = q.code.clone().unwrap_or_else(|| "a34004".to_owned());
    let pollutant = Pollutant::parse(&code)
        .ok_or_else(|| ApiError::BadRequest(format!("code {code:?}: not a pollutant")))?;
    let daily = match q.avg.as_deref().unwrap_or("hour") {
        "hour" => false,
        "day" => true,
        o => {
            return Err(ApiError::BadRequest(format!(
                "avg {o:?}: expected hour or day"
            )));
        }
    };
    let format = q.format.clone().unwrap_or_else(|| "json".to_owned());
    let req = Request {
        station: id,
        pollutant,
        days: q.days.unwrap_or(30),
        from: q.from,
        to: q.to,
        view: q.view.unwrap_or(View::Raw),
        daily,
    };
    // The default view of a station page (no dates, JSON) is reused for a few seconds.
    let key = (q.from.is_none() && format == "json").then(|| {
        format!(
            "series|{}|{}|{}|{:?}|{daily}|{}",
            req.station,
            pollutant.hj212_code(),
            req.days,
            req.view,
            super::cached_for(&caller)
        )
    });
    if let Some(r) = key.as_deref().and_then(|k| st.cache.get(k, Lang::Zh)) {
        return Ok(r);
    }
    let s = run(&st, move |app| series::series(app, &caller, &req)).await?;
    if format != "json" {
        let (items, columns): (Vec<Value>, &[&str]) = match &s.points {
            Points::Hours(p) => (
                rows(p),
                &[
                    "start",
                    "time",
                    "value",
                    "source",
                    "n_observed",
                    "n_expected",
                    "corrected",
                ],
            ),
            Points::Days(p) => (
                rows(p),
                &["date", "value", "valid", "n_observed", "n_expected"],
            ),
        };
        let q = TableQuery {
            format: Some(format),
            ..TableQuery::default()
        };
        // The file's name says what it holds: station, pollutant, hour or day, raw or audited, dates.
        let view = if s.view == View::Raw {
            "raw"
        } else {
            "audited"
        };
        let name = format!(
            "{}-{}-{}-{view}-{}-{}",
            s.station, s.pollutant, s.avg, s.from, s.to
        );
        return table(items, columns, &q, &name);
    }
    Ok(match &key {
        Some(k) => st.cache.put(k, Lang::Zh, &s),
        None => Json(s).into_response(),
    })
}
