//! Stations and devices: the list everyone sees, the details only those allowed see,
//! registration by the bureau, and devices with their gateway status.

use crate::caller::policy;
use crate::error::{AppError, AppResult};
use crate::{App, Caller};
use lantian_core::cst;
use lantian_core::pollutant::Pollutant;
use lantian_core::series::StationRole;
use lantian_store::Station;
use serde::Serialize;
use std::collections::HashMap;

/// Longest station id accepted.
pub const STATION_ID_CHARS_MAX: usize = 64;

/// A station as a caller may see it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StationView {
    pub id: String,
    pub name: String,
    pub role: StationRole,
    pub unit: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub demo: bool,
    /// The HJ 212 codes it measures: only for those who see its details
    /// (`policy::sees_station_detail`).
    pub pollutants: Option<Vec<String>>,
    /// Its operations contractor (运维单位): in one station's details for who sees them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contractor: Option<String>,
}

/// A station as `caller` may see it.
pub fn view(caller: &Caller, s: &Station) -> StationView {
    let detail = policy::sees_station_detail(caller, s.admin_unit_id.as_deref());
    StationView {
        id: s.id.clone(),
        name: s.name.clone(),
        role: s.role,
        unit: s.admin_unit_id.clone(),
        lat: s.lat,
        lon: s.lon,
        demo: s.demo,
        pollutants: detail.then(|| s.pollutants.clone()),
        contractor: None,
    }
}

/// The air-quality stations (enterprises' outlets and equipment are listed with their
/// enterprise). Everyone sees every station's name, kind and place (the map shows them);
/// what a station measures only who sees its details.
pub fn list(app: &App, caller: &Caller) -> AppResult<Vec<StationView>> {
    Ok(app
        .store
        .stations()?
        .iter()
        .filter(|s| s.role.is_ambient())
        .map(|s| view(caller, s))
        .collect())
}

/// One station's details: a published station's for everyone, a township station's or
/// micro sensor's for who sees its data (401 for the public, 403 for another township).
pub fn get(app: &App, caller: &Caller, id: &str) -> AppResult<StationView> {
    let mut v = view(caller, &find_for(app, caller, id)?);
    if v.pollutants.is_some() {
        v.contractor = app.store.station_contractor(id)?;
    }
    Ok(v)
}

/// An air-quality station whose data `caller` may see, or why not.
pub fn find_for(app: &App, caller: &Caller, id: &str) -> AppResult<Station> {
    let s = find(app, id)?;
    policy::station_data(caller, s.role, s.admin_unit_id.as_deref())?;
    Ok(s)
}

/// Whether `caller` may read `/metrics` with a session (administrators, operations).
pub fn reads_metrics(caller: &Caller) -> AppResult<()> {
    caller.require_role(policy::SEE_METRICS).map(drop)
}

/// An air-quality station by id, or "not found": an outlet's or equipment's series is no
/// station here (the sources use cases decide who sees an enterprise's monitoring).
pub fn find(app: &App, id: &str) -> AppResult<Station> {
    app.store
        .station(id)?
        .filter(|s| s.role.is_ambient())
        .ok_or_else(|| AppError::NotFound(format!("station {id}")))
}

/// What registering a station takes.
#[derive(Clone, Debug, PartialEq)]
pub struct NewStation {
    pub id: String,
    pub name: String,
    pub role: StationRole,
    pub unit: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// HJ 212 codes; the six criteria pollutants when empty.
    pub pollutants: Vec<String>,
    pub min_interval_min: i64,
}

/// Creates or updates a station (the bureau and administrators).
pub fn register(app: &App, caller: &Caller, s: NewStation) -> AppResult<()> {
    app.allow(
        caller,
        "station.save",
        &s.id,
        caller.require_role(policy::MANAGE),
    )?;
    if s.id.trim().is_empty()
        || s.id.chars().count() > STATION_ID_CHARS_MAX
        || s.name.trim().is_empty()
    {
        return Err(AppError::BadRequest(format!(
            "id (1-{STATION_ID_CHARS_MAX} characters) and name are required"
        )));
    }
    if let Some(u) = &s.unit
        && !app.store.admin_units()?.iter().any(|x| x.id == *u)
    {
        return Err(AppError::BadRequest(format!(
            "unit {u:?} is not an administrative unit"
        )));
    }
    if !s.role.is_ambient() {
        return Err(AppError::BadRequest(
            "outlets and equipment are registered with their enterprise (lantian outlet add, lantian equipment add)".to_owned(),
        ));
    }
    if let Some(old) = app.store.station(&s.id)?
        && !old.role.is_ambient()
    {
        return Err(AppError::Conflict(format!(
            "id {} is an enterprise's {}",
            s.id, old.role
        )));
    }
    let pollutants = if s.pollutants.is_empty() {
        Pollutant::ALL
            .iter()
            .map(|p| p.hj212_code().to_owned())
            .collect()
    } else {
        s.pollutants
    };
    let station = Station {
        id: s.id.clone(),
        name: s.name,
        role: s.role,
        admin_unit_id: s.unit,
        lat: s.lat,
        lon: s.lon,
        pollutants,
        min_interval_min: s.min_interval_min,
        demo: false,
    };
    app.audited(caller, "station.save", &s.id, "", || {
        Ok(app.store.upsert_station(&station)?)
    })
}

/// What the gateway knows of a device now (the API does not depend on the gateway: the
/// binary passes this in).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeviceStatus {
    pub connected: bool,
    pub last_seen_ms: i64,
    pub packets: u64,
    pub rejects: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeviceView {
    pub mn: String,
    pub station: String,
    pub edition: String,
    pub connected: Option<bool>,
    /// Last packet, Beijing time (`YYYY-MM-DD HH:MM`).
    pub last_seen: Option<String>,
    pub packets: Option<u64>,
    pub rejects: Option<u64>,
}

/// Devices with their gateway status (administrators, the bureau, operations).
pub fn devices(
    app: &App,
    caller: &Caller,
    status: &HashMap<String, DeviceStatus>,
) -> AppResult<Vec<DeviceView>> {
    caller.require_role(policy::SEE_DEVICES)?;
    Ok(app
        .store
        .devices()?
        .into_iter()
        .map(|d| {
            let s = status.get(&d.mn);
            DeviceView {
                connected: s.map(|s| s.connected),
                last_seen: s
                    .filter(|s| s.last_seen_ms > 0)
                    .map(|s| cst::format_unix_ms(s.last_seen_ms)),
                packets: s.map(|s| s.packets),
                rejects: s.map(|s| s.rejects),
                mn: d.mn,
                station: d.station_id,
                edition: d.edition,
            }
        })
        .collect())
}
