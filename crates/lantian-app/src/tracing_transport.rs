//! Transport and local (plan §8(一)): over a period, how much of a receptor's (or the
//! network's) concentration the upwind border stations bring in and how much is the local
//! increment, from the stored hours of the county's stations and their wind
//! (`lantian_core::tracing::transport`; an estimate, stated as such; docs/tracing.md).

use crate::error::{AppError, AppResult};
use crate::tracing::{Network, network, period_text, positions};
use crate::{App, Caller};
use lantian_core::Date;
use lantian_core::cst;
use lantian_core::pollutant::Pollutant;
use lantian_core::tracing::Hour;
use lantian_core::tracing::transport::{
    SectorShares, Shares, TransportOptions, method_text, transport as estimate,
};
use lantian_store::View;
use serde::Serialize;

/// A station of the estimate: where it lies from the network's centre.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TransportSite {
    pub id: String,
    pub name: String,
    /// Bearing from the network's centre, degrees clockwise from north; `null` for a
    /// station at the centre (never upwind).
    pub bearing_deg: Option<f64>,
}

/// The estimate over a period.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TransportAnswer {
    pub pollutant: &'static str,
    pub unit: &'static str,
    pub view: View,
    pub from: Date,
    pub to: Date,
    /// The period in Beijing time, as pages print it.
    pub period: String,
    /// The receptor station, or `null` for the network mean.
    pub receptor: Option<String>,
    pub sites: Vec<TransportSite>,
    /// Σ inflow / Σ target and its complement, over the counted hours.
    pub total: Shares,
    /// The same per wind sector (the direction the wind comes from).
    pub sectors: Vec<SectorShares>,
    pub hours: usize,
    pub hours_calm: usize,
    pub hours_no_wind: usize,
    pub hours_no_upwind: usize,
    pub hours_no_target: usize,
    /// The method stated (zh / en): an estimate, Lantian's own.
    pub method_text: String,
}

/// The inflow and local shares of `pollutant` at `receptor` (a station id; the network mean
/// when `None`) over whole days, from the stations whose data the caller sees.
pub fn transport(
    app: &App,
    caller: &Caller,
    pollutant: Pollutant,
    first: Date,
    last: Date,
    view: View,
    receptor: Option<&str>,
) -> AppResult<TransportAnswer> {
    let Network {
        stations,
        from,
        values,
        winds,
    } = network(app, caller, pollutant, first, last, view)?;
    let receptor_index = match receptor {
        None => None,
        Some(id) => Some(stations.iter().position(|s| s.id == id).ok_or_else(|| {
            AppError::NotFound(format!(
                "station {id}: 不在可见的有坐标站点中 / not among the stations with a position whose data you see"
            ))
        })?),
    };
    let sites_km = positions(&stations).km;
    let hours: Vec<Vec<Hour>> = values
        .iter()
        .zip(&winds)
        .enumerate()
        .map(|(i, (row, w))| {
            row.iter()
                .zip(w)
                .map(|(&conc, &(ws_m_s, wd_deg))| Hour {
                    ts: from + i as i64 * cst::HOUR_S,
                    conc,
                    ws_m_s,
                    wd_deg,
                })
                .collect()
        })
        .collect();
    let opts = TransportOptions {
        receptor: receptor_index,
        ..TransportOptions::default()
    };
    let t = estimate(&sites_km, &hours, &opts);
    Ok(TransportAnswer {
        pollutant: pollutant.name(),
        unit: pollutant.standard_unit().symbol(),
        view,
        from: first,
        to: last,
        period: period_text(first, last),
        receptor: receptor.map(str::to_owned),
        sites: stations
            .iter()
            .zip(&t.bearings_deg)
            .map(|(s, b)| TransportSite {
                id: s.id.clone(),
                name: s.name.clone(),
                bearing_deg: b.is_finite().then_some((b * 10.0).round() / 10.0),
            })
            .collect(),
        total: t.total,
        sectors: t.sectors,
        hours: t.hours.len(),
        hours_calm: t.hours_calm,
        hours_no_wind: t.hours_no_wind,
        hours_no_upwind: t.hours_no_upwind,
        hours_no_target: t.hours_no_target,
        method_text: method_text(&opts),
    })
}
