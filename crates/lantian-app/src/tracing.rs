//! Source tracing over stored data (issue 19, docs/tracing.md): stations' meteorology
//! (HJ 212 a01001–a01008) read through the one data path with the pollutants' validity and
//! audit rules, the wind direction of an hour rolled up from minutes as a vector mean, a
//! station-period's [`Hour`]s for the receptor methods of `lantian_core::tracing`, the
//! methods' use cases, the county's interpolated surfaces with each station's wind, and the
//! register's enterprises ranked as upwind sources. Who may see: whoever sees the station's
//! data (`policy::station_data`).

use crate::caller::policy;
use crate::data::span_days;
use crate::error::{AppError, AppResult};
use crate::present::hour_label_text;
use crate::{App, Caller};
use lantian_core::Date;
use lantian_core::cst;
use lantian_core::pollutant::Pollutant;
use lantian_core::series::StationRole;
use lantian_core::tracing::{
    CALM_M_S_DEFAULT, Hour, annulus, cpf, interpolate, nwr, polar, roses, timevar, upwind,
};
use lantian_store::{Period, Station, View};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// HJ 212 codes of the meteorology a station sends.
pub const TEMPERATURE: &str = "a01001";
pub const HUMIDITY: &str = "a01002";
pub const PRESSURE: &str = "a01006";
pub const WIND_SPEED: &str = "a01007";
pub const WIND_DIRECTION: &str = "a01008";

/// Below this length (m/s, or of the mean unit vector when the minutes have no speed) an
/// hour's vector mean has no direction: the minutes' winds cancel out.
pub const VECTOR_MEAN_LENGTH_MIN: f64 = 1e-9;

/// A direction sample (degrees the wind blows from) with its speed (m/s) when known.
pub type WindSample = (f64, Option<f64>);

/// The vector mean of directions (degrees the wind blows from), each weighted by its speed
/// when every sample has one, else unit vectors: the direction of Σ(s·sin θ, s·cos θ).
/// `None` when there is no sample or the vectors cancel. An arithmetic mean is wrong for
/// directions (350° and 10° average to 180°; their vector mean is 0°).
pub fn vector_mean_deg(samples: &[WindSample]) -> Option<f64> {
    let samples: Vec<WindSample> = samples
        .iter()
        .copied()
        .filter(|(d, s)| d.is_finite() && s.is_none_or(f64::is_finite))
        .collect();
    if samples.is_empty() {
        return None;
    }
    let weighted = samples.iter().all(|(_, s)| s.is_some());
    let (mut x, mut y) = (0.0, 0.0);
    for (d, s) in &samples {
        let w = if weighted {
            s.unwrap_or(1.0).max(0.0)
        } else {
            1.0
        };
        x += w * d.to_radians().sin();
        y += w * d.to_radians().cos();
    }
    let n = samples.len() as f64;
    if (x / n).hypot(y / n) < VECTOR_MEAN_LENGTH_MIN {
        return None;
    }
    let deg = x.atan2(y).to_degrees().rem_euclid(360.0);
    // Snap floating-point noise at north (359.99999999999994°) back to 0°.
    Some(if 360.0 - deg < 1e-9 { 0.0 } else { deg })
}

/// A station's wind per hour (`from <= ts < to`): the speed through `Store::hourly` (a mean
/// of speeds is what a speed's hourly value is), the direction as sent hourly, or the
/// vector mean of the minutes (or real-time values) of an hour the store rolled up, valid
/// under the same rule (≥ 45 minutes).
pub fn wind(
    app: &App,
    station: &str,
    from: i64,
    to: i64,
    view: View,
) -> AppResult<BTreeMap<i64, (f64, f64)>> {
    let speed: BTreeMap<i64, f64> = app
        .store
        .hourly(station, WIND_SPEED, from, to, view)?
        .into_iter()
        .map(|h| (h.ts, h.value))
        .collect();
    let dir = app.store.hourly(station, WIND_DIRECTION, from, to, view)?;
    // Minutes (or real-time values) of the hours not sent hourly, read once per period.
    let mut samples: HashMap<(Period, i64), Vec<WindSample>> = HashMap::new();
    for period in [Period::Min, Period::Rtd] {
        if !dir.iter().any(|h| h.source == period) {
            continue;
        }
        let spd: HashMap<i64, f64> = app
            .store
            .series(station, WIND_SPEED, period, from, to, view)?
            .into_iter()
            .filter(|p| p.flag == "N")
            .map(|p| (p.ts, p.value))
            .collect();
        for p in app
            .store
            .series(station, WIND_DIRECTION, period, from, to, view)?
            .into_iter()
            .filter(|p| p.flag == "N")
        {
            samples
                .entry((period, cst::hour_start(p.ts)))
                .or_default()
                .push((p.value, spd.get(&p.ts).copied()));
        }
    }
    let mut out = BTreeMap::new();
    for h in dir {
        let wd = match h.source {
            Period::Hour | Period::Day => Some(h.value),
            p => samples.get(&(p, h.ts)).and_then(|s| vector_mean_deg(s)),
        };
        let ws = speed.get(&h.ts).copied().unwrap_or(f64::NAN);
        out.insert(h.ts, (ws, wd.map_or(f64::NAN, |d| d.rem_euclid(360.0))));
    }
    for (ts, ws) in speed {
        out.entry(ts).or_insert((ws, f64::NAN));
    }
    Ok(out)
}

/// The CST seconds of a span of whole days, `[first 00:00, last + 1 day 00:00)`.
fn window(first: Date, last: Date) -> AppResult<(i64, i64)> {
    span_days(first, last)?;
    Ok((cst::day_start(first), cst::day_start(last) + cst::DAY_S))
}

/// Every hour of the span with the pollutant's hourly value and the wind (NaN = missing):
/// what the receptor methods read. The station's data permission applies.
pub fn hours(
    app: &App,
    caller: &Caller,
    station: &str,
    pollutant: Pollutant,
    first: Date,
    last: Date,
    view: View,
) -> AppResult<Vec<Hour>> {
    let s = crate::stations::find_for(app, caller, station)?;
    station_hours(app, &s, pollutant, first, last, view)
}

/// [`hours`] of a station the caller was already allowed.
fn station_hours(
    app: &App,
    s: &Station,
    pollutant: Pollutant,
    first: Date,
    last: Date,
    view: View,
) -> AppResult<Vec<Hour>> {
    let (from, to) = window(first, last)?;
    let conc: HashMap<i64, f64> = app
        .store
        .hourly(&s.id, pollutant.hj212_code(), from, to, view)?
        .into_iter()
        .map(|h| (h.ts, h.value))
        .collect();
    let wind = wind(app, &s.id, from, to, view)?;
    Ok((from..to)
        .step_by(cst::HOUR_S as usize)
        .map(|ts| {
            let (ws_m_s, wd_deg) = wind.get(&ts).copied().unwrap_or((f64::NAN, f64::NAN));
            Hour {
                ts,
                conc: conc.get(&ts).copied().unwrap_or(f64::NAN),
                ws_m_s,
                wd_deg,
            }
        })
        .collect())
}

/// One hour of a station's meteorology (`null` = no valid value).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetHour {
    /// The hour's start, CST seconds, and its label (the end), Beijing time.
    pub ts: i64,
    pub time: String,
    pub temperature_c: Option<f64>,
    pub humidity_pct: Option<f64>,
    pub pressure_kpa: Option<f64>,
    pub wind_speed_m_s: Option<f64>,
    pub wind_direction_deg: Option<f64>,
    /// Wind speed below the calm threshold: no direction counts.
    pub calm: bool,
}

/// A station's meteorology per hour over whole days (Beijing time), the hours with any
/// value; `calm_m_s` defaults to `CALM_M_S_DEFAULT`.
pub fn meteorology(
    app: &App,
    caller: &Caller,
    station: &str,
    first: Date,
    last: Date,
    view: View,
    calm_m_s: Option<f64>,
) -> AppResult<Vec<MetHour>> {
    let s = crate::stations::find_for(app, caller, station)?;
    let calm = calm_threshold(calm_m_s)?;
    let (from, to) = window(first, last)?;
    let mut rows: BTreeMap<i64, MetHour> = BTreeMap::new();
    let blank = |ts: i64| MetHour {
        ts,
        time: hour_label_text(ts),
        temperature_c: None,
        humidity_pct: None,
        pressure_kpa: None,
        wind_speed_m_s: None,
        wind_direction_deg: None,
        calm: false,
    };
    for code in [TEMPERATURE, HUMIDITY, PRESSURE] {
        for h in app.store.hourly(&s.id, code, from, to, view)? {
            let r = rows.entry(h.ts).or_insert_with(|| blank(h.ts));
            match code {
                TEMPERATURE => r.temperature_c = Some(h.value),
                HUMIDITY => r.humidity_pct = Some(h.value),
                _ => r.pressure_kpa = Some(h.value),
            }
        }
    }
    for (ts, (ws, wd)) in wind(app, &s.id, from, to, view)? {
        let r = rows.entry(ts).or_insert_with(|| blank(ts));
        r.wind_speed_m_s = ws.is_finite().then_some(ws);
        r.wind_direction_deg = wd.is_finite().then_some(wd);
        r.calm = ws.is_finite() && ws < calm;
    }
    Ok(rows.into_values().collect())
}

/// The calm threshold given, or the default; refused when negative or not a number.
pub fn calm_threshold(calm_m_s: Option<f64>) -> AppResult<f64> {
    match calm_m_s {
        None => Ok(CALM_M_S_DEFAULT),
        Some(c) if c.is_finite() && (0.0..=10.0).contains(&c) => Ok(c),
        Some(c) => Err(AppError::BadRequest(format!(
            "calm = {c}: 静风阈值须在 0–10 m/s 之间 / the calm threshold must be 0–10 m/s"
        ))),
    }
}

/// The most days one animated surface covers.
pub const SURFACE_DAYS_MAX: usize = 31;
/// Default cells per side of the surface's grid.
pub const SURFACE_CELLS_DEFAULT: usize = 24;
/// The grid extends this fraction of the stations' extent beyond them on each side.
const SURFACE_MARGIN: f64 = 0.15;

/// A station of a surface: where it is.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Site {
    pub id: String,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
}

/// One hour of a surface.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SurfaceHour {
    /// The hour's start (CST seconds) and its label, Beijing time (`YYYY-MM-DD HH:00`, the
    /// hour's end).
    pub ts: i64,
    pub time: String,
    /// Row by row from the north-west cell (`grid.cells` × `grid.cells`), one decimal;
    /// `null` where not predicted (fewer than 3 stations with a value).
    pub values: Vec<Option<f64>>,
    /// Stations with a value this hour.
    pub n_stations: usize,
    /// Per site (the order of `sites`): [concentration, wind speed m/s, wind direction °],
    /// `null` where missing.
    pub sites: Vec<[Option<f64>; 3]>,
}

/// Leave-one-out error of the method over the span (predicted − observed).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LooError {
    pub n: usize,
    pub mae: f64,
    pub rmse: f64,
    pub bias: f64,
}

/// The county's interpolated surfaces hour by hour, with each station's wind.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SurfaceAnswer {
    pub pollutant: &'static str,
    pub unit: &'static str,
    pub view: View,
    pub from: Date,
    pub to: Date,
    /// `idw` or `kriging`, and the method stated (zh / en).
    pub method: &'static str,
    pub method_text: String,
    pub grid: interpolate::GridSpec,
    pub sites: Vec<Site>,
    pub hours: Vec<SurfaceHour>,
    /// The smallest and largest value drawn (the colour scale).
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub loo: Option<LooError>,
}

fn one_decimal(v: f64) -> Option<f64> {
    v.is_finite().then(|| (v * 10.0).round() / 10.0)
}

/// The county's stations with a position whose data the caller sees, and their hours of
/// `pollutant` and wind over whole days, hour by hour (`values[hour][station]`, NaN missing;
/// `winds[hour][station]` = (speed m/s, direction °)).
pub(crate) struct Network {
    pub stations: Vec<Station>,
    /// The first hour's start, CST seconds.
    pub from: i64,
    pub values: Vec<Vec<f64>>,
    pub winds: Vec<Vec<(f64, f64)>>,
}

/// Where a network's stations are: (lat, lon), the projection centred on them and their
/// positions in km on it.
pub(crate) struct Positions {
    pub latlon: Vec<(f64, f64)>,
    pub proj: interpolate::Projection,
    pub km: Vec<(f64, f64)>,
}

pub(crate) fn positions(stations: &[Station]) -> Positions {
    let latlon: Vec<(f64, f64)> = stations
        .iter()
        .map(|s| (s.lat.unwrap_or(0.0), s.lon.unwrap_or(0.0)))
        .collect();
    let proj = interpolate::Projection::centred_on(&latlon);
    let km = latlon.iter().map(|&(a, o)| proj.km(a, o)).collect();
    Positions { latlon, proj, km }
}

pub(crate) fn network(
    app: &App,
    caller: &Caller,
    pollutant: Pollutant,
    first: Date,
    last: Date,
    view: View,
) -> AppResult<Network> {
    let days = span_days(first, last)?;
    let (from, to) = window(first, last)?;
    let stations: Vec<Station> = app
        .store
        .stations()?
        .into_iter()
        .filter(|s| s.role.is_ambient() && s.role != StationRole::Micro)
        .filter(|s| s.lat.is_some_and(f64::is_finite) && s.lon.is_some_and(f64::is_finite))
        .filter(|s| policy::sees_station_data(caller, s.role, s.admin_unit_id.as_deref()))
        .collect();
    let n_hours = days * 24;
    let mut values = vec![vec![f64::NAN; stations.len()]; n_hours];
    let mut winds = vec![vec![(f64::NAN, f64::NAN); stations.len()]; n_hours];
    for (k, s) in stations.iter().enumerate() {
        for h in app
            .store
            .hourly(&s.id, pollutant.hj212_code(), from, to, view)?
        {
            values[((h.ts - from) / cst::HOUR_S) as usize][k] = h.value;
        }
        for (ts, w) in wind(app, &s.id, from, to, view)? {
            winds[((ts - from) / cst::HOUR_S) as usize][k] = w;
        }
    }
    Ok(Network {
        stations,
        from,
        values,
        winds,
    })
}

/// The interpolated surface of `pollutant` over the ambient stations with a position whose
/// data the caller sees (micro sensors excepted), per hour of whole days (at most
/// [`SURFACE_DAYS_MAX`]), by `method` (`idw` or `kriging`), with the method's leave-one-out
/// error over the span when `loo`.
#[allow(clippy::too_many_arguments)]
pub fn surface(
    app: &App,
    caller: &Caller,
    pollutant: Pollutant,
    first: Date,
    last: Date,
    view: View,
    method: &str,
    cells: Option<usize>,
    loo: bool,
) -> AppResult<SurfaceAnswer> {
    let days = span_days(first, last)?;
    if days > SURFACE_DAYS_MAX {
        return Err(AppError::BadRequest(format!(
            "from {first} to {last}: 插值动画最多 {SURFACE_DAYS_MAX} 天 / a surface covers at most {SURFACE_DAYS_MAX} days"
        )));
    }
    let m = match method {
        "idw" => interpolate::Method::Idw {
            power: interpolate::IDW_POWER_DEFAULT,
        },
        "kriging" => interpolate::Method::Kriging(interpolate::KrigingOptions::default()),
        o => {
            return Err(AppError::BadRequest(format!(
                "method {o:?}: 应为 idw 或 kriging / expected idw or kriging"
            )));
        }
    };
    let cells = cells.unwrap_or(SURFACE_CELLS_DEFAULT);
    if !(4..=64).contains(&cells) {
        return Err(AppError::BadRequest(format!(
            "cells = {cells}: 网格须为 4–64 / the grid must have 4-64 cells a side"
        )));
    }
    let Network {
        stations,
        from,
        values,
        winds,
    } = network(app, caller, pollutant, first, last, view)?;
    let n_hours = values.len();
    let Positions {
        latlon,
        proj,
        km: sites_km,
    } = positions(&stations);
    let grid = interpolate::GridSpec::around(&latlon, SURFACE_MARGIN, cells);
    let targets: Vec<(f64, f64)> = grid
        .centres()
        .into_iter()
        .map(|(a, o)| proj.km(a, o))
        .collect();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    let hours = (0..n_hours)
        .map(|i| {
            let ts = from + i as i64 * cst::HOUR_S;
            let s = if stations.is_empty() {
                None
            } else {
                Some(interpolate::surface(&sites_km, &values, i, &m, &targets))
            };
            let vals: Vec<Option<f64>> = match &s {
                Some(s) => s.values.iter().map(|v| one_decimal(*v)).collect(),
                None => vec![None; targets.len()],
            };
            for v in vals.iter().flatten() {
                lo = lo.min(*v);
                hi = hi.max(*v);
            }
            SurfaceHour {
                ts,
                time: hour_label_text(ts),
                values: vals,
                n_stations: s.map_or(0, |s| s.n_stations),
                sites: (0..stations.len())
                    .map(|k| {
                        let (ws, wd) = winds[i][k];
                        [
                            one_decimal(values[i][k]),
                            one_decimal(ws),
                            wd.is_finite().then_some(wd),
                        ]
                    })
                    .collect(),
            }
        })
        .collect();
    let loo = (loo && !stations.is_empty()).then(|| {
        let l = interpolate::loo(&sites_km, &values, &m);
        LooError {
            n: l.overall.n,
            mae: l.overall.mae,
            rmse: l.overall.rmse,
            bias: l.overall.bias,
        }
    });
    Ok(SurfaceAnswer {
        pollutant: pollutant.name(),
        unit: pollutant.standard_unit().symbol(),
        view,
        from: first,
        to: last,
        method: m.name(),
        method_text: m.text(),
        grid,
        sites: stations
            .iter()
            .map(|s| Site {
                id: s.id.clone(),
                name: s.name.clone(),
                lat: s.lat.unwrap_or(0.0),
                lon: s.lon.unwrap_or(0.0),
            })
            .collect(),
        hours,
        min: lo.is_finite().then_some(lo),
        max: hi.is_finite().then_some(hi),
        loo,
    })
}

/// The receptor methods a stored station-period is served with.
pub const METHODS: [&str; 9] = [
    "wind_rose",
    "pollution_rose",
    "percentile_rose",
    "cpf",
    "cbpf",
    "nwr",
    "polar",
    "annulus",
    "timevar",
];
/// The polar plot's grid points per axis on a page (openair's "normal" is 101).
pub const POLAR_GRID_PAGE: usize = 51;

/// What a receptor method reads: a station, a pollutant, whole days, the view and the
/// method's parameters (defaults when `None`).
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub station: String,
    pub pollutant: Pollutant,
    pub first: Date,
    pub last: Date,
    pub view: View,
    pub calm_m_s: Option<f64>,
    pub sectors: Option<usize>,
    pub percentile: Option<f64>,
}

/// A receptor method's answer: what was read and the method's data (`result`), or why
/// there was not enough data (`insufficient`, zh / en).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Receptor {
    pub station: String,
    pub station_name: String,
    pub pollutant: &'static str,
    pub unit: &'static str,
    pub view: View,
    pub from: Date,
    pub to: Date,
    /// The hours read, Beijing time, as a page prints it under every chart.
    pub period: String,
    pub method: &'static str,
    pub calm_m_s: f64,
    /// Hours of the span; of those with a concentration, a wind speed and a direction.
    pub n_hours: usize,
    pub n_complete: usize,
    pub result: Option<serde_json::Value>,
    pub insufficient: Option<String>,
}

/// The period of whole days as people read it: the first hour's start to the last hour's
/// end, Beijing time.
pub fn period_text(first: Date, last: Date) -> String {
    format!(
        "{} – {} 北京时间 / Beijing time",
        cst::format_minute(cst::day_start(first)),
        cst::format_minute(cst::day_start(last) + cst::DAY_S)
    )
}

fn to_json<T: Serialize>(v: &T) -> AppResult<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| AppError::Internal(format!("tracing answer: {e}")))
}

/// The polar plot as a page draws it: the grid axis (m/s, u east, v north: the wind blows
/// from the direction of (u, v)), the values row by row (v-major), their 95 % bounds, and
/// the fit's figures.
fn polar_json(p: &polar::PolarPlot) -> serde_json::Value {
    let grid = p.options.grid;
    let r = p.binning.ws_max_m_s;
    let round = |v: Option<f64>| v.and_then(one_decimal);
    serde_json::json!({
        "method": format!("{} / {}", p.method_zh, p.method_en),
        "grid": grid,
        "ws_max_m_s": r,
        "axis": polar::grid_axis(r, grid),
        "values": p.cells.iter().map(|c| round(c.value)).collect::<Vec<_>>(),
        "lower": p.cells.iter().map(|c| round(c.lower)).collect::<Vec<_>>(),
        "upper": p.cells.iter().map(|c| round(c.upper)).collect::<Vec<_>>(),
        "bins": p.binning.bins.len(),
        "bins_fitted": p.bins_fitted,
        "hours": p.binning.hours,
        "lambda": p.lambda,
        "edf": p.edf,
        "gcv": p.gcv,
        "rmse": p.rmse,
        "cells_masked": p.cells_masked,
    })
}

/// A receptor method (one of [`METHODS`]) over a stored station and period; the station's
/// data permission applies.
pub fn receptor(app: &App, caller: &Caller, method: &str, r: &Request) -> AppResult<Receptor> {
    let Some(&method) = METHODS.iter().find(|m| **m == method) else {
        return Err(AppError::BadRequest(format!(
            "method {method:?}: 应为 {} 之一 / expected one of {}",
            METHODS.join(", "),
            METHODS.join(", ")
        )));
    };
    let s = crate::stations::find_for(app, caller, &r.station)?;
    let calm = calm_threshold(r.calm_m_s)?;
    let hours = station_hours(app, &s, r.pollutant, r.first, r.last, r.view)?;
    let bad = |e: &dyn std::fmt::Display| AppError::BadRequest(e.to_string());
    let (result, insufficient) = match method {
        "polar" => {
            let o = polar::Options {
                grid: POLAR_GRID_PAGE,
                ..polar::Options::default()
            };
            match polar::polar_plot(&hours, &o) {
                Ok(p) => (Some(polar_json(&p)), None),
                Err(e @ polar::PolarError::Option { .. }) => return Err(bad(&e)),
                Err(e) => (None, Some(e.to_string())),
            }
        }
        other => receptor_t1(&hours, other, r, calm)?,
    };
    Ok(Receptor {
        station: s.id,
        station_name: s.name,
        pollutant: r.pollutant.name(),
        unit: r.pollutant.standard_unit().symbol(),
        view: r.view,
        from: r.first,
        to: r.last,
        period: period_text(r.first, r.last),
        method,
        calm_m_s: calm,
        n_hours: hours.len(),
        n_complete: hours.iter().filter(|h| h.complete()).count(),
        result,
        insufficient,
    })
}

/// The pollution rose's concentration bins: the pollutant's IAQI breakpoints (HJ 633, the
/// 24-hour ones for particles, the 1-hour ones for the gases), µg/m³ (CO mg/m³).
pub fn pollution_rose_edges(p: Pollutant) -> &'static [f64] {
    match p {
        Pollutant::Pm25 => &[0.0, 35.0, 75.0, 115.0, 150.0, 250.0],
        Pollutant::Pm10 => &[0.0, 50.0, 150.0, 250.0, 350.0, 420.0],
        Pollutant::So2 => &[0.0, 150.0, 500.0, 650.0, 800.0],
        Pollutant::No2 => &[0.0, 100.0, 200.0, 700.0, 1200.0],
        Pollutant::Co => &[0.0, 5.0, 10.0, 35.0, 60.0],
        Pollutant::O3 => &[0.0, 160.0, 200.0, 300.0, 400.0],
    }
}

/// The methods of `roses.rs`, `cpf.rs`, `nwr.rs`, `annulus.rs` and `timevar.rs`: a
/// parameter out of range is a bad request; no hour to count is a result with its counts.
fn receptor_t1(
    hours: &[Hour],
    method: &str,
    r: &Request,
    calm: f64,
) -> AppResult<(Option<serde_json::Value>, Option<String>)> {
    let n = r.sectors.unwrap_or(cpf::SECTORS_DEFAULT);
    let pct = r.percentile.unwrap_or(cpf::PERCENTILE_DEFAULT);
    let bad = |e: cpf::ParamError| AppError::BadRequest(e.to_string());
    let v = match method {
        "wind_rose" => {
            to_json(&roses::wind_rose(hours, n, calm, &roses::WS_BREAKS_DEFAULT_M_S).map_err(bad)?)?
        }
        "pollution_rose" => to_json(
            &roses::pollution_rose(hours, n, calm, pollution_rose_edges(r.pollutant))
                .map_err(bad)?,
        )?,
        "percentile_rose" => to_json(
            &roses::percentile_rose(hours, n, calm, &roses::PERCENTILES_DEFAULT).map_err(bad)?,
        )?,
        "cpf" => to_json(&cpf::cpf(hours, pct, n, calm).map_err(bad)?)?,
        "cbpf" => to_json(
            &cpf::cbpf(
                hours,
                pct,
                100.0,
                n,
                calm,
                cpf::CBPF_WS_STEP_DEFAULT_M_S,
                None,
            )
            .map_err(bad)?,
        )?,
        "nwr" => to_json(
            &nwr::nwr(
                hours,
                nwr::NwrParams {
                    calm_m_s: calm,
                    ..nwr::NwrParams::default()
                },
            )
            .map_err(bad)?,
        )?,
        "annulus" => to_json(&annulus::annulus(hours, n, calm).map_err(bad)?)?,
        _ => to_json(&timevar::time_variation(hours))?,
    };
    Ok((Some(v), None))
}

/// The directional weight of the upwind ranking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The CPF of each sector (the CBPF summed over wind speeds).
    Cpf,
    /// The NWR's expected concentration given wind from the sector: Σ Ê·density / Σ density
    /// over the grid points whose direction lies in it.
    Nwr,
}

impl Basis {
    pub fn parse(text: &str) -> AppResult<Basis> {
        match text {
            "cpf" | "cbpf" => Ok(Basis::Cpf),
            "nwr" => Ok(Basis::Nwr),
            o => Err(AppError::BadRequest(format!(
                "basis {o:?}: 应为 cpf 或 nwr / expected cpf or nwr"
            ))),
        }
    }
}

/// The upwind ranking: the station, the sectors' values it used, the enterprises ranked.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Upwind {
    pub station: String,
    pub station_name: String,
    pub lat: f64,
    pub lon: f64,
    pub pollutant: &'static str,
    pub view: View,
    pub from: Date,
    pub to: Date,
    pub period: String,
    pub basis: Basis,
    /// The HJ 212 code whose emissions weigh (`null`: none for this pollutant).
    pub emission_code: Option<&'static str>,
    pub d0_km: f64,
    /// Per sector (0 = north, clockwise): the CPF or NWR value (`null`: no hours).
    pub sector_values: Vec<Option<f64>>,
    pub n_counted: usize,
    pub ranked: Vec<upwind::Ranked>,
    pub method: String,
}

/// The emissions that weigh for a pollutant: particles for PM2.5 and PM10, SO2, NOx for NO2
/// and O3 (a precursor); none for CO (the register's CEMS do not measure it).
pub fn emission_code(p: Pollutant) -> Option<&'static str> {
    match p {
        Pollutant::Pm25 | Pollutant::Pm10 => Some("a34013"),
        Pollutant::So2 => Some("a21026"),
        Pollutant::No2 | Pollutant::O3 => Some("a21002"),
        Pollutant::Co => None,
    }
}

/// The register's enterprises around a station ranked as upwind sources of its high
/// concentrations over the period (`lantian_core::tracing::upwind`). Emissions count only
/// where the caller may read them (else the enterprise's weight is 1, stated).
pub fn upwind_sources(
    app: &App,
    caller: &Caller,
    r: &Request,
    basis: Basis,
    d0_km: Option<f64>,
) -> AppResult<Upwind> {
    let s = crate::stations::find_for(app, caller, &r.station)?;
    let (Some(lat), Some(lon)) = (s.lat, s.lon) else {
        return Err(AppError::BadRequest(format!(
            "station {}: 无经纬度，无法计算方位 / has no position to take bearings from",
            s.id
        )));
    };
    let cfg = upwind::Config {
        d0_km: d0_km.unwrap_or(upwind::DECAY_D0_KM_DEFAULT),
        ..upwind::Config::default()
    };
    if !(cfg.d0_km.is_finite() && cfg.d0_km > 0.0) {
        return Err(AppError::BadRequest(format!(
            "d0_km = {}: 距离衰减参数须大于 0 / the distance decay's d0 must be above 0 km",
            cfg.d0_km
        )));
    }
    let calm = calm_threshold(r.calm_m_s)?;
    let n = r.sectors.unwrap_or(cpf::SECTORS_DEFAULT);
    let hours = station_hours(app, &s, r.pollutant, r.first, r.last, r.view)?;
    let bad = |e: cpf::ParamError| AppError::BadRequest(e.to_string());
    let (values, n_counted, basis_text): (Vec<f64>, usize, &str) = match basis {
        Basis::Cpf => {
            let c = cpf::cpf(
                &hours,
                r.percentile.unwrap_or(cpf::PERCENTILE_DEFAULT),
                n,
                calm,
            )
            .map_err(bad)?;
            (
                c.sectors.iter().map(|x| x.cpf).collect(),
                c.n_counted,
                "CPF",
            )
        }
        Basis::Nwr => {
            cpf::check_sectors(n).map_err(bad)?;
            let w = nwr::nwr(
                &hours,
                nwr::NwrParams {
                    calm_m_s: calm,
                    ..nwr::NwrParams::default()
                },
            )
            .map_err(bad)?;
            let mut num = vec![0.0; n];
            let mut den = vec![0.0; n];
            for c in w
                .cells
                .iter()
                .filter(|c| c.nwr.is_finite() && c.density > 0.0)
            {
                let k = lantian_core::tracing::sector_of(c.wd_deg, n);
                num[k] += c.nwr * c.density;
                den[k] += c.density;
            }
            (
                num.iter()
                    .zip(&den)
                    .map(|(a, b)| if *b > 0.0 { a / b } else { f64::NAN })
                    .collect(),
                w.n_counted,
                "NWR",
            )
        }
    };
    let code = emission_code(r.pollutant);
    let mut sources = Vec::new();
    for e in app.store.enterprises()? {
        let (Some(elat), Some(elon)) = (e.lat, e.lon) else {
            continue;
        };
        if !policy::sees_enterprise(caller, &e.id) {
            continue;
        }
        let emission_kg = match code {
            Some(code) if policy::reads_emissions(caller, &e.id, e.discloses) => {
                let rows = crate::emissions::enterprise_rows(app, caller, &e.id, r.first, r.last)?;
                let kg: Vec<f64> = rows
                    .iter()
                    .filter(|x| x.code == code)
                    .filter_map(|x| x.emission_kg)
                    .collect();
                (!kg.is_empty()).then(|| kg.iter().sum())
            }
            _ => None,
        };
        sources.push(upwind::Source {
            id: e.id,
            name: e.name,
            lat: elat,
            lon: elon,
            emission_kg,
        });
    }
    let ranked = upwind::rank(lat, lon, &values, &sources, cfg);
    Ok(Upwind {
        station: s.id,
        station_name: s.name,
        lat,
        lon,
        pollutant: r.pollutant.name(),
        view: r.view,
        from: r.first,
        to: r.last,
        period: period_text(r.first, r.last),
        basis,
        emission_code: code,
        d0_km: cfg.d0_km,
        sector_values: values.iter().map(|v| v.is_finite().then_some(*v)).collect(),
        n_counted,
        ranked,
        method: upwind::method_text(basis_text, cfg),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{Account, Clock, County};
    use lantian_core::org::Role;
    use lantian_core::series::StationRole;
    use lantian_store::{Ingest, Observation, Store};
    use std::sync::Arc;

    #[test]
    fn directions_average_as_vectors_not_as_numbers() {
        // (samples, want): degrees; None = no direction.
        let cases: [(&[WindSample], Option<f64>); 7] = [
            (&[(350.0, None), (10.0, None)], Some(0.0)),
            (&[(350.0, Some(2.0)), (10.0, Some(2.0))], Some(0.0)),
            (&[(80.0, None), (100.0, None)], Some(90.0)),
            // Speeds weigh: 3 m/s from the east, 1 m/s from the north.
            (
                &[(90.0, Some(3.0)), (0.0, Some(1.0))],
                Some(3.0_f64.atan2(1.0).to_degrees()),
            ),
            // One sample without a speed: unit vectors for all.
            (&[(90.0, Some(3.0)), (0.0, None)], Some(45.0)),
            (&[(0.0, None), (180.0, None)], None),
            (&[], None),
        ];
        for (samples, want) in cases {
            let got = vector_mean_deg(samples);
            match (got, want) {
                (Some(g), Some(w)) => assert!((g - w).abs() < 1e-9, "{samples:?}: {g} ≠ {w}"),
                _ => assert_eq!(got, want, "{samples:?}"),
            }
        }
    }

    fn app(tag: &str) -> App {
        let dir =
            std::env::temp_dir().join(format!("lantian-tracing-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Arc::new(Store::open_data_dir(&dir).unwrap());
        County::xinji().install(&store, 1_000).unwrap();
        App::new(
            store,
            Clock::Fixed {
                unix_ms: 1_800_000_000_000,
            },
            Arc::new(County::xinji()),
            None,
        )
    }

    fn who(role: Role, unit: Option<&str>) -> Caller {
        Caller::Account(Account {
            username: "u".into(),
            role,
            unit_id: unit.map(str::to_owned),
            unit_kind: None,
            source: "test".into(),
        })
    }

    fn obs(station: &str, code: &str, period: Period, ts: i64, value: f64) -> Observation {
        Observation {
            station_id: station.into(),
            code: code.into(),
            period,
            ts,
            value,
            flag: "N".into(),
        }
    }

    fn station(app: &App, id: &str, role: StationRole, unit: Option<&str>) {
        app.store
            .upsert_station(&Station {
                id: id.into(),
                name: id.into(),
                role,
                admin_unit_id: unit.map(str::to_owned),
                lat: Some(38.0),
                lon: Some(115.2),
                pollutants: vec!["a34004".into(), WIND_SPEED.into(), WIND_DIRECTION.into()],
                min_interval_min: 1,
                demo: false,
            })
            .unwrap();
    }

    fn day() -> Date {
        Date::new(2025, 1, 10).unwrap()
    }

    #[test]
    fn an_hour_of_minutes_gets_the_vector_mean_direction_and_the_store_rollup_does_not() {
        let app = app("minutes");
        station(&app, "t1", StationRole::Township, Some("wangkou"));
        let h0 = cst::day_start(day());
        let mut o = Vec::new();
        // Hour 0: 60 minutes alternating 350° and 10° at 2 m/s. Hour 1: 40 minutes only
        // (invalid). Hour 2: sent hourly, 200°, with a speed of 1.5.
        for m in 0..60 {
            let ts = h0 + m * 60;
            o.push(obs(
                "t1",
                WIND_DIRECTION,
                Period::Min,
                ts,
                if m % 2 == 0 { 350.0 } else { 10.0 },
            ));
            o.push(obs("t1", WIND_SPEED, Period::Min, ts, 2.0));
        }
        for m in 0..40 {
            let ts = h0 + cst::HOUR_S + m * 60;
            o.push(obs("t1", WIND_DIRECTION, Period::Min, ts, 90.0));
            o.push(obs("t1", WIND_SPEED, Period::Min, ts, 2.0));
        }
        o.push(obs(
            "t1",
            WIND_DIRECTION,
            Period::Hour,
            h0 + 2 * cst::HOUR_S,
            200.0,
        ));
        o.push(obs(
            "t1",
            WIND_SPEED,
            Period::Hour,
            h0 + 2 * cst::HOUR_S,
            1.5,
        ));
        o.push(obs(
            "t1",
            "a34004",
            Period::Hour,
            h0 + 2 * cst::HOUR_S,
            55.0,
        ));
        app.store
            .commit_batch(&[Ingest {
                packet: None,
                observations: o,
            }])
            .unwrap();
        let rolled = app
            .store
            .hourly("t1", WIND_DIRECTION, h0, h0 + cst::DAY_S, View::Raw)
            .unwrap();
        assert!(
            (rolled[0].value - 180.0).abs() < 1e-9,
            "the store's arithmetic mean"
        );
        let bureau = who(Role::Bureau, None);
        let h = hours(
            &app,
            &bureau,
            "t1",
            Pollutant::Pm25,
            day(),
            day(),
            View::Raw,
        )
        .unwrap();
        assert_eq!(h.len(), 24);
        assert_eq!((h[0].wd_deg, h[0].ws_m_s), (0.0, 2.0));
        assert!(
            h[1].wd_deg.is_nan() && h[1].ws_m_s.is_nan(),
            "40 minutes are no hour"
        );
        assert_eq!((h[2].conc, h[2].ws_m_s, h[2].wd_deg), (55.0, 1.5, 200.0));
        assert!(h[0].conc.is_nan());
        let met = meteorology(&app, &bureau, "t1", day(), day(), View::Raw, Some(1.6)).unwrap();
        let calm: Vec<(i64, bool)> = met.iter().map(|m| ((m.ts - h0) / 3600, m.calm)).collect();
        assert_eq!(calm, [(0, false), (2, true)]);
    }

    #[test]
    fn a_township_stations_hours_need_a_government_login_of_that_township() {
        let app = app("permission");
        station(&app, "t1", StationRole::Township, Some("wangkou"));
        station(&app, "c1", StationRole::Assessment, None);
        let cases = [
            (Caller::Public, "c1", "ok"),
            (Caller::Public, "t1", "401"),
            (who(Role::Enterprise, Some("e1")), "t1", "403"),
            (who(Role::Township, Some("xincheng")), "t1", "403"),
            (who(Role::Township, Some("wangkou")), "t1", "ok"),
            (who(Role::Bureau, None), "t1", "ok"),
            (who(Role::Bureau, None), "nowhere", "404"),
        ];
        for (caller, st, want) in cases {
            let got = match hours(
                &app,
                &caller,
                st,
                Pollutant::Pm25,
                day(),
                day(),
                View::Audited,
            ) {
                Ok(_) => "ok",
                Err(AppError::Unauthorized) => "401",
                Err(AppError::Forbidden(_)) => "403",
                Err(AppError::NotFound(_)) => "404",
                Err(e) => panic!("{e}"),
            };
            assert_eq!(got, want, "{caller:?} {st}");
        }
    }
}
