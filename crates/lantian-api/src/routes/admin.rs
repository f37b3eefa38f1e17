//! The admin console over HTTP (issue 17): an account's password reset, the stations and
//! devices at a glance, station edits, unit factors, devices, the audit log searched and
//! exported, the settings the UI exposes. Thin: every decision is in `lantian_app::admin`.

use super::{J, P, Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::ApiResult;
use crate::export::{Paging, TableQuery, rows, table_read};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use lantian_app::admin::{self, AuditQuery};
use lantian_app::stations::NewStation;
use lantian_core::series::StationRole;
use lantian_core::{Date, Month};
use lantian_store::Paged;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Gives an account a new generated password (administrators): shown once in the answer,
/// it must be changed at the next login; the account's sessions end at once.
#[utoipa::path(post, path = "/users/{username}/reset-password", tag = "accounts",
    params(("username" = String, Path, description = "The account")),
    responses((status = 200, body = Object), (status = 403, description = "Not an administrator"), (status = 404, description = "No such account")))]
pub async fn reset_password(
    State(st): State<AppState>,
    Who(caller): Who,
    P(username): P<String>,
) -> ApiResult<Json<Value>> {
    let name = username.clone();
    let pw = run(&st, move |app| admin::reset_password(app, &caller, &name)).await?;
    st.sessions.end_account(&username);
    Ok(Json(
        json!({ "ok": true, "username": username, "password": pw, "must_change_password": true }),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// `YYYY-MM` of the online and capture rates (default: this month, Beijing time).
    #[param(value_type = Option<String>)]
    pub month: Option<Month>,
    /// Page number, from 1.
    pub page: Option<usize>,
    /// Stations per page, 1-1000 (default 50).
    pub per_page: Option<usize>,
}

/// A page of the air-quality stations, each with its devices (gateway status, last packet,
/// the month's online and capture rates), last data (Beijing time), unit factors and
/// contractor: `{month, stations, total, page, per_page}` (administrators, the bureau,
/// operations). Only the page's stations are computed.
#[utoipa::path(get, path = "/admin/stations", tag = "admin", params(MonthQuery),
    responses((status = 200, body = Object), (status = 400, description = "A bad month, page or per_page"),
        (status = 401, description = "Login required"), (status = 403, description = "Not allowed")))]
pub async fn stations(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<MonthQuery>,
) -> ApiResult<Json<Value>> {
    let p = Paging::of(q.page, q.per_page)?;
    let status = (st.devices)();
    let v = run(&st, move |app| {
        let month = q.month.unwrap_or_else(|| Month::of(app.clock.today()));
        admin::stations(app, &caller, &status, month, p.store())
    })
    .await?;
    let mut m = p.answer(
        "stations",
        &Paged {
            items: v.stations,
            total: v.total,
        },
    );
    m.insert("month".to_owned(), json!(v.month));
    Ok(Json(Value::Object(m)))
}

/// A registered station's new description.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct StationEditBody {
    pub name: String,
    /// `assessment`, `background`, `township` or `micro`.
    #[schema(value_type = String)]
    pub role: StationRole,
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

/// Changes a registered station (administrators, the bureau); an unknown id is 404, not a
/// new station.
#[utoipa::path(post, path = "/admin/stations/{id}", tag = "admin", request_body = StationEditBody,
    params(("id" = String, Path, description = "Station id")),
    responses((status = 200, body = Object), (status = 403, description = "Not allowed"), (status = 404, description = "No such station")))]
pub async fn edit_station(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<String>,
    J(b): J<StationEditBody>,
) -> ApiResult<Json<Value>> {
    let sid = id.clone();
    run(&st, move |app| {
        admin::edit_station(
            app,
            &caller,
            NewStation {
                id: sid.clone(),
                name: b.name,
                role: b.role,
                unit: b.unit.filter(|u| !u.trim().is_empty()),
                lat: b.lat,
                lon: b.lon,
                pollutants: b.pollutants,
                min_interval_min: b.min_interval_min.unwrap_or(1),
            },
        )?;
        match &b.contractor {
            Some(c) => lantian_app::integrity_ops::set_contractor(app, &caller, &sid, Some(c)),
            None => Ok(()),
        }
    })
    .await?;
    Ok(Json(json!({ "ok": true, "id": id })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct FactorBody {
    /// HJ 212 code (`a34004`).
    pub code: String,
    /// The unit the station sends it in (free text, e.g. `mg/m3`).
    #[serde(default)]
    pub unit: String,
    /// Multiplies the sent value into the standard unit (positive).
    pub factor: f64,
}

/// Sets the unit a station sends a code in and its factor to the standard unit
/// (administrators, the bureau); the gateway applies it at the device's next login.
#[utoipa::path(post, path = "/admin/stations/{id}/factors", tag = "admin", request_body = FactorBody,
    params(("id" = String, Path, description = "Station id")),
    responses((status = 200, body = Object), (status = 400, description = "A bad code or factor"), (status = 403, description = "Not allowed"), (status = 404, description = "No such station")))]
pub async fn set_factor(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<String>,
    J(b): J<FactorBody>,
) -> ApiResult<Json<Value>> {
    let sid = id.clone();
    run(&st, move |app| {
        admin::set_factor(app, &caller, &sid, &b.code, &b.unit, b.factor)
    })
    .await?;
    Ok(Json(json!({ "ok": true, "id": id })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DeviceBody {
    /// The data logger's MN (HJ 212, at most 24 characters).
    pub mn: String,
    pub station: String,
    /// HJ 212 edition of its replies: `2005`, `2017` (default) or `2025`.
    pub edition: Option<String>,
}

/// Registers a device for a station with a generated password, shown once
/// (administrators, the bureau).
#[utoipa::path(post, path = "/admin/devices", tag = "admin", request_body = DeviceBody,
    responses((status = 200, body = Object), (status = 400, description = "A bad MN or edition"), (status = 403, description = "Not allowed"), (status = 409, description = "The MN is registered")))]
pub async fn add_device(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<DeviceBody>,
) -> ApiResult<Json<Value>> {
    let mn = b.mn.trim().to_owned();
    let m = mn.clone();
    let pw = run(&st, move |app| {
        let edition = b.edition.as_deref().unwrap_or("2017");
        admin::add_device(app, &caller, &m, b.station.trim(), edition)
    })
    .await?;
    Ok(Json(json!({ "ok": true, "mn": mn, "password": pw })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DeviceStateBody {
    /// The device's MN (in the body: an MN may hold `/`, `?` or `#`).
    pub mn: String,
    /// `true`: refused at its next login, its data kept; `false`: enabled again.
    pub disabled: bool,
}

/// Disables or enables a device (administrators, the bureau).
#[utoipa::path(post, path = "/admin/devices/state", tag = "admin", request_body = DeviceStateBody,
    responses((status = 200, body = Object), (status = 403, description = "Not allowed"), (status = 404, description = "No such device")))]
pub async fn device_state(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<DeviceStateBody>,
) -> ApiResult<Json<Value>> {
    let (mn, disabled) = (b.mn.clone(), b.disabled);
    run(&st, move |app| {
        admin::set_device_disabled(app, &caller, &b.mn, disabled)
    })
    .await?;
    Ok(Json(json!({ "ok": true, "mn": mn, "disabled": disabled })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DeviceMnBody {
    /// The device's MN.
    pub mn: String,
}

/// Gives a device a new generated password, shown once (administrators, the bureau).
#[utoipa::path(post, path = "/admin/devices/password", tag = "admin", request_body = DeviceMnBody,
    responses((status = 200, body = Object), (status = 403, description = "Not allowed"), (status = 404, description = "No such device")))]
pub async fn device_password(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<DeviceMnBody>,
) -> ApiResult<Json<Value>> {
    let mn = b.mn.clone();
    let pw = run(&st, move |app| {
        admin::new_device_password(app, &caller, &b.mn)
    })
    .await?;
    Ok(Json(json!({ "ok": true, "mn": mn, "password": pw })))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Exactly this actor (a user name, `operator`, `system`).
    pub actor: Option<String>,
    /// Actions starting with this (`user.`, `ledger.confirm`).
    pub action: Option<String>,
    /// Objects containing this.
    pub object: Option<String>,
    /// The detail or the source (address, `cli:USER`) containing this.
    pub text: Option<String>,
    /// First and last day, Beijing time (`YYYY-MM-DD`).
    #[param(value_type = Option<String>)]
    pub from: Option<Date>,
    #[param(value_type = Option<String>)]
    pub to: Option<Date>,
    /// Page number, from 1 (JSON only).
    pub page: Option<usize>,
    /// Rows per page, 1-1000 (JSON only; default 50).
    pub per_page: Option<usize>,
    /// `json` (default), `csv` or `xlsx`: every matching row.
    pub format: Option<String>,
}

/// The audit log searched, newest first (administrators, the bureau); a page of JSON (cut in
/// SQL, with the number of matching rows), or every matching row (at most 10,000) as CSV or
/// xlsx. Times are Beijing time.
#[utoipa::path(get, path = "/admin/audit", tag = "admin", params(AuditParams),
    responses((status = 200, description = "A page of rows, or a CSV or xlsx file", body = Object),
        (status = 400, description = "A bad page, per_page, format or date"), (status = 403, description = "Not allowed")))]
pub async fn audit(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<AuditParams>,
) -> ApiResult<Response> {
    let filter = AuditQuery {
        actor: q.actor,
        action: q.action,
        object: q.object,
        text: q.text,
        from: q.from,
        to: q.to,
    };
    let tq = TableQuery {
        page: q.page,
        per_page: q.per_page,
        format: q.format,
    };
    let page = tq.to_read(lantian_app::accounts::AUDIT_ENTRIES_MAX)?;
    let list = run(&st, move |app| {
        admin::audit_search(app, &caller, &filter, page)
    })
    .await?;
    table_read(
        rows(&list.items),
        list.total,
        &["id", "at", "actor", "action", "object", "detail", "source"],
        &tq,
        "audit",
    )
}

/// The settings the UI exposes with their values in force (administrators, the bureau).
#[utoipa::path(get, path = "/admin/settings", tag = "admin",
    responses((status = 200, body = Object), (status = 403, description = "Not allowed")))]
pub async fn settings(State(st): State<AppState>, Who(caller): Who) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| admin::settings(app, &caller)).await?;
    Ok(Json(json!({ "items": v })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SettingBody {
    /// The setting's key (`ui_tile_url`, `open_data_licence`, `credit_rules`…).
    pub key: String,
    /// The new text (a URL, one line, or a JSON object); empty clears a text setting.
    pub value: String,
}

/// Sets one of the settings the UI exposes, checked as its use case reads it
/// (administrators, the bureau; audited).
#[utoipa::path(post, path = "/admin/settings", tag = "admin", request_body = SettingBody,
    responses((status = 200, body = Object), (status = 400, description = "A value its reader refuses"), (status = 403, description = "Not allowed"), (status = 404, description = "No such setting")))]
pub async fn set_setting(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<SettingBody>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| {
        admin::set_setting(app, &caller, &b.key, &b.value)
    })
    .await?;
    Ok(Json(json!(v)))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(reset_password))
        .routes(routes!(stations))
        .routes(routes!(edit_station))
        .routes(routes!(set_factor))
        .routes(routes!(add_device))
        .routes(routes!(device_state))
        .routes(routes!(device_password))
        .routes(routes!(audit))
        .routes(routes!(settings, set_setting))
}
