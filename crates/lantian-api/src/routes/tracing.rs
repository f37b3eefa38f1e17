//! Source tracing over HTTP (docs/tracing.md): a station's meteorology, the receptor methods
//! over a stored station and period, the register's enterprises ranked as upwind sources,
//! and the county's interpolated surfaces hour by hour with each station's wind. Thin: every
//! decision is in `lantian_app::tracing`; who may see is who sees the station's data.

use super::{Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::extract::{Path, State};
use lantian_app::tracing;
use lantian_core::Date;
use lantian_core::pollutant::Pollutant;
use lantian_store::View;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Days a request covers when `from` and `to` are absent: the last 30, up to today.
const DAYS_DEFAULT: i64 = 30;

/// The period and reading of every tracing request.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TracingQuery {
    /// Pollutant name (`PM2.5`) or HJ 212 code (`a34004`); default PM2.5.
    pub pollutant: Option<String>,
    /// First and last day, Beijing time (`YYYY-MM-DD`); default the last 30 days.
    #[param(value_type = Option<String>)]
    pub from: Option<Date>,
    #[param(value_type = Option<String>)]
    pub to: Option<Date>,
    /// `audited` (default: with corrections) or `raw`.
    #[param(value_type = Option<String>)]
    pub view: Option<View>,
    /// Calm threshold, m/s (default 0.5): hours below it have no direction.
    pub calm: Option<f64>,
    /// The receptor method: `wind_rose`, `pollution_rose`, `percentile_rose`, `cpf`, `cbpf`,
    /// `nwr`, `polar`, `annulus`, `timevar`.
    pub method: Option<String>,
    /// Wind sectors (default 16).
    pub sectors: Option<usize>,
    /// The CPF's percentile (default 75).
    pub percentile: Option<f64>,
    /// Upwind sources: the directional weight, `cbpf` (default) or `nwr`; interpolation:
    /// `idw` (default) or `kriging`.
    pub basis: Option<String>,
    /// Upwind sources: the distance decay's d0, km (default 5).
    pub d0_km: Option<f64>,
    /// Surfaces: cells per side of the grid (4-64, default 24).
    pub cells: Option<usize>,
    /// Surfaces: compute the leave-one-out error (default true).
    pub loo: Option<bool>,
}

impl TracingQuery {
    fn pollutant(&self) -> ApiResult<Pollutant> {
        let p = self.pollutant.as_deref().unwrap_or("PM2.5");
        Pollutant::parse(p).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "pollutant {p:?}: expected PM2.5, PM10, SO2, NO2, CO or O3"
            ))
        })
    }

    /// `from` and `to`, or the last 30 days up to today.
    fn span(&self, today: Date) -> ApiResult<(Date, Date)> {
        match (self.from, self.to) {
            (Some(f), Some(t)) => Ok((f, t)),
            (None, None) => Ok((today.add_days(-(DAYS_DEFAULT - 1)), today)),
            _ => Err(ApiError::BadRequest(
                "give both from and to (YYYY-MM-DD), or neither".to_owned(),
            )),
        }
    }
}

/// A station's meteorology per hour (a01001 temperature, a01002 humidity, a01006 pressure,
/// a01007 wind speed, a01008 wind direction: an hour rolled up from minutes has the vector
/// mean direction), audited by default. Times are Beijing time.
#[utoipa::path(get, path = "/stations/{id}/meteorology", tag = "tracing",
    params(("id" = String, Path, description = "Station id"), TracingQuery),
    responses((status = 200, description = "The hours with any value", body = Object)))]
pub async fn meteorology(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
    Q(q): Q<TracingQuery>,
) -> ApiResult<Json<Value>> {
    let (first, last) = q.span(st.app.clock.today())?;
    let v = run(&st, move |app| {
        let hours = tracing::meteorology(
            app,
            &caller,
            &id,
            first,
            last,
            q.view.unwrap_or(View::Audited),
            q.calm,
        )?;
        Ok(json!({
            "station": id,
            "from": first,
            "to": last,
            "view": q.view.unwrap_or(View::Audited),
            "hours": hours,
        }))
    })
    .await?;
    Ok(Json(v))
}

/// The county's interpolated surface of a pollutant hour by hour (IDW or ordinary kriging
/// with the variogram fitted per hour), each station's wind, the method and its
/// leave-one-out error; over the stations whose data the caller sees, at most 31 days.
#[utoipa::path(get, path = "/tracing/surface", tag = "tracing", params(TracingQuery),
    responses((status = 200, description = "The grid, the hours and the method", body = Object)))]
pub async fn surface(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<TracingQuery>,
) -> ApiResult<Json<Value>> {
    let pollutant = q.pollutant()?;
    let (first, last) = q.span(st.app.clock.today())?;
    let v = run(&st, move |app| {
        let s = tracing::surface(
            app,
            &caller,
            pollutant,
            first,
            last,
            q.view.unwrap_or(View::Audited),
            q.basis.as_deref().unwrap_or("idw"),
            q.cells,
            q.loo.unwrap_or(true),
        )?;
        Ok(json!(s))
    })
    .await?;
    Ok(Json(v))
}

/// Transport and local: the share of a receptor's (`receptor`, a station id) or the
/// network's concentration the upwind border stations bring in, and the local increment,
/// per wind sector and over the period; an estimate, its method stated.
#[utoipa::path(get, path = "/tracing/transport", tag = "tracing", params(TracingQuery, TransportQuery),
    responses((status = 200, description = "The shares, per sector and in total, and the method", body = Object),
        (status = 404, description = "The receptor is not a station with a position whose data the caller sees")))]
pub async fn transport(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<TracingQuery>,
    Q(r): Q<TransportQuery>,
) -> ApiResult<Json<Value>> {
    let pollutant = q.pollutant()?;
    let (first, last) = q.span(st.app.clock.today())?;
    let v = run(&st, move |app| {
        let t = lantian_app::tracing_transport::transport(
            app,
            &caller,
            pollutant,
            first,
            last,
            q.view.unwrap_or(View::Audited),
            r.receptor.as_deref(),
        )?;
        Ok(json!(t))
    })
    .await?;
    Ok(Json(v))
}

/// The receptor of a transport estimate.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TransportQuery {
    /// A station id; the network mean when absent.
    pub receptor: Option<String>,
}

/// A receptor method over a stored station and period (`method`: wind, pollution and
/// percentile roses, CPF, CBPF, NWR, the polar plot, the polar annulus, time variation),
/// as data with counts, uncertainty and the method stated; audited by default.
#[utoipa::path(get, path = "/stations/{id}/tracing", tag = "tracing",
    params(("id" = String, Path, description = "Station id"), TracingQuery),
    responses((status = 200, description = "The method's data, or why there is not enough", body = Object)))]
pub async fn receptor(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
    Q(q): Q<TracingQuery>,
) -> ApiResult<Json<Value>> {
    let pollutant = q.pollutant()?;
    let (first, last) = q.span(st.app.clock.today())?;
    let method = q.method.clone().unwrap_or_else(|| "cpf".to_owned());
    let v = run(&st, move |app| {
        let r = tracing::Request {
            station: id,
            pollutant,
            first,
            last,
            view: q.view.unwrap_or(View::Audited),
            calm_m_s: q.calm,
            sectors: q.sectors,
            percentile: q.percentile,
        };
        Ok(json!(tracing::receptor(app, &caller, &method, &r)?))
    })
    .await?;
    Ok(Json(v))
}

/// The register's enterprises around a station ranked as upwind sources over the period:
/// directional weight (the sector's CPF or NWR) × distance decay 1/(1 + d/d0) × emissions
/// (where the caller may read them), each with its evidence; audited by default.
#[utoipa::path(get, path = "/stations/{id}/upwind", tag = "tracing",
    params(("id" = String, Path, description = "Station id"), TracingQuery),
    responses((status = 200, description = "The enterprises ranked with their evidence", body = Object)))]
pub async fn upwind(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
    Q(q): Q<TracingQuery>,
) -> ApiResult<Json<Value>> {
    let pollutant = q.pollutant()?;
    let (first, last) = q.span(st.app.clock.today())?;
    let v = run(&st, move |app| {
        let basis = tracing::Basis::parse(q.basis.as_deref().unwrap_or("cpf"))?;
        let r = tracing::Request {
            station: id,
            pollutant,
            first,
            last,
            view: q.view.unwrap_or(View::Audited),
            calm_m_s: q.calm,
            sectors: q.sectors,
            percentile: q.percentile,
        };
        Ok(json!(tracing::upwind_sources(
            app, &caller, &r, basis, q.d0_km
        )?))
    })
    .await?;
    Ok(Json(v))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(meteorology))
        .routes(routes!(receptor))
        .routes(routes!(upwind))
        .routes(routes!(surface))
        .routes(routes!(transport))
}
