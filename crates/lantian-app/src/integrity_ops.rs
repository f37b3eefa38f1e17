//! Operations (issue 15): the operations contractor of each station (运维单位), work orders
//! opened by the scan for stations that stopped sending (one open per station, to the
//! contractor), and online and capture rates per device (MN) and day of a month.

use crate::caller::policy;
use crate::error::{AppError, AppResult};
use crate::integrity::{DayRates, RateWindow, measured};
use crate::{App, Caller};
use lantian_core::cst;
use lantian_core::series::StationRole;
use lantian_core::{Date, Month};
use lantian_store::integrity::{WorkOrder, WorkOrderState};
use lantian_store::{AuditRow, Page, Paged, Station};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// The assignee of an order whose station has no contractor.
pub const UNASSIGNED: &str = "未指定";

/// The setting that overrides [`OpsConfig`]'s defaults: a JSON object of its keys.
pub const OPS_SETTING: &str = "operations_config";

/// Thresholds of outage work orders.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OpsConfig {
    /// Hours without any data, up to now, that open an outage order.
    pub outage_hours_min: i64,
    /// The order's deadline, hours after it is opened (rounded to its Beijing date).
    pub outage_deadline_hours: i64,
}

impl Default for OpsConfig {
    fn default() -> Self {
        OpsConfig {
            outage_hours_min: 6,
            outage_deadline_hours: 24,
        }
    }
}

/// The outage thresholds: the defaults, with the store's [`OPS_SETTING`] over them.
pub fn ops_config(app: &App) -> AppResult<OpsConfig> {
    match app.store.setting(OPS_SETTING)? {
        None => Ok(OpsConfig::default()),
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            AppError::Internal(format!(
                "the setting {OPS_SETTING} is not an operations configuration: {e}"
            ))
        }),
    }
}

/// The assignee of a new order of `station_id`: `given` when not blank, else the station's
/// contractor, else [`UNASSIGNED`].
pub fn assignee_for(app: &App, station_id: &str, given: &str) -> AppResult<String> {
    if !given.trim().is_empty() {
        return Ok(given.trim().to_owned());
    }
    Ok(app
        .store
        .station_contractor(station_id)?
        .unwrap_or_else(|| UNASSIGNED.to_owned()))
}

/// Sets or clears (`None` or blank) a station's operations contractor (who registers
/// stations).
pub fn set_contractor(
    app: &App,
    caller: &Caller,
    station_id: &str,
    contractor: Option<&str>,
) -> AppResult<()> {
    app.allow(
        caller,
        "station.contractor",
        station_id,
        caller.require_role(policy::MANAGE),
    )?;
    if app.store.station(station_id)?.is_none() {
        return Err(AppError::NotFound(format!("station {station_id}")));
    }
    let name = contractor.map(str::trim).filter(|c| !c.is_empty());
    app.audited(
        caller,
        "station.contractor",
        station_id,
        name.unwrap_or("-"),
        || Ok(app.store.set_station_contractor(station_id, name)?),
    )
}

/// The codes a station measures among the six pollutants (all six when it lists none).
/// Stations whose data operations answer for: ambient ones except micro sensors.
fn operated(app: &App) -> AppResult<Vec<Station>> {
    Ok(app
        .store
        .stations()?
        .into_iter()
        .filter(|s| s.role.is_ambient() && s.role != StationRole::Micro)
        .collect())
}

/// Opens an outage work order for every operated station that sent during the scan of
/// `from ..= to` and has been silent since for at least [`OpsConfig::outage_hours_min`]
/// hours up to now, unless one is open for it already; each opening is audited as `actor`
/// (`system` for the periodic scan). Only a scan reaching today looks for outages (a scan
/// of past days, e.g. over replayed history, opens none); a station whose last value is
/// older than the scan (it went silent before, when its order was due) or that never sent
/// is left alone. Returns how many orders were opened.
pub fn open_outage_orders(
    app: &App,
    from: Date,
    to: Date,
    actor: &str,
    source: &str,
) -> AppResult<u64> {
    let today = app.clock.today();
    if to < today || from > to {
        return Ok(0);
    }
    let cfg = ops_config(app)?;
    let now_ms = app.clock.now_ms();
    let now = app.clock.now_cst();
    let window_start = cst::day_start(from.min(today));
    let mut opened = 0;
    for s in operated(app)? {
        let codes: Vec<&str> = measured(&s).iter().map(|p| p.hj212_code()).collect();
        let Some(last) = app
            .store
            .latest_data_ts(&s.id, &codes, &["hour", "min", "rtd"])?
        else {
            continue;
        };
        if last < window_start {
            continue;
        }
        // The last value's period ends an hour after its start at most.
        let since = cst::hour_start(last) + cst::HOUR_S;
        let silent_hours = (now - since) / cst::HOUR_S;
        if silent_hours < cfg.outage_hours_min {
            continue;
        }
        let deadline = cst::date_of(now + cfg.outage_deadline_hours * cst::HOUR_S);
        let assignee = assignee_for(app, &s.id, "")?;
        let since_text = cst::format_minute(since);
        let order = WorkOrder {
            id: 0,
            alarm_id: None,
            station_id: s.id.clone(),
            assignee: assignee.clone(),
            deadline: deadline.to_string(),
            state: WorkOrderState::Open,
            note: format!(
                "站点断线：自 {since_text}（北京时间）起无数据，已 {silent_hours} 小时 / \
                 outage: no data since {since_text} Beijing time ({silent_hours} h)"
            ),
            opened_by: actor.to_owned(),
            opened_ms: now_ms,
            closed_by: None,
            closed_ms: None,
            closing_note: None,
        };
        let row = AuditRow {
            at_ms: now_ms,
            actor: actor.to_owned(),
            action: "integrity.work_order.outage".into(),
            object: format!("station:{}", s.id),
            detail: format!("→ {assignee} by {deadline}; no data since {since_text}"),
            source: source.to_owned(),
        };
        // The row is written only when an order is: a station already under an open
        // outage order is not audited again every hour.
        if app.store.open_outage_order_exists(&s.id)? {
            continue;
        }
        if app
            .store
            .audited(row, || app.store.open_outage_order(&order))?
            .is_some()
        {
            opened += 1;
        }
    }
    Ok(opened)
}

/// A device's rates over a month.
#[derive(Clone, Debug, Serialize)]
pub struct DeviceRates {
    pub mn: String,
    pub days: Vec<DayRates>,
    /// Over the month's days so far.
    pub online_pct: Option<f64>,
    pub capture_pct: Option<f64>,
}

/// A station's devices with their rates.
#[derive(Clone, Debug, Serialize)]
pub struct StationDevices {
    pub station: String,
    pub station_name: String,
    pub contractor: Option<String>,
    pub devices: Vec<DeviceRates>,
}

/// Online and capture rates per device (MN) and day of `month` (days up to today) of the
/// stations the caller sees. A value belongs to the device whose archived packet carried
/// it; values imported from files have no device and are not counted here.
pub fn device_rates(app: &App, caller: &Caller, month: Month) -> AppResult<Vec<StationDevices>> {
    Ok(device_rates_page(app, caller, month, Page::ALL)?.items)
}

/// A page of the stations of [`device_rates`] with their devices' rates, and how many
/// stations there are: only the page's stations' hours are read.
pub fn device_rates_page(
    app: &App,
    caller: &Caller,
    month: Month,
    page: Page,
) -> AppResult<Paged<StationDevices>> {
    device_rates_among(app, caller, month, None, page)
}

/// [`device_rates_page`] among the stations `only` (none: every station).
pub(crate) fn device_rates_among(
    app: &App,
    caller: &Caller,
    month: Month,
    only: Option<&HashSet<String>>,
    page: Page,
) -> AppResult<Paged<StationDevices>> {
    caller.require()?;
    app.allow(
        caller,
        "integrity.rates",
        &format!("{month} devices"),
        policy::integrity_station(caller, caller.account().and_then(|a| a.unit_id.as_deref())),
    )?;
    let Some(w) = RateWindow::of(app, month) else {
        return Ok(Paged {
            items: Vec::new(),
            total: 0,
        });
    };
    let n_days = w.n_days;
    let contractors = app.store.station_contractors()?;
    let mut registered: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in app.store.devices()? {
        registered.entry(d.station_id).or_default().push(d.mn);
    }
    let seen: Vec<Station> = operated(app)?
        .into_iter()
        .filter(|s| only.is_none_or(|o| o.contains(&s.id)))
        .filter(|s| policy::sees_integrity(caller, s.admin_unit_id.as_deref()))
        .collect();
    let Paged { items: seen, total } = Paged::cut(seen, page);
    let mut out = Vec::new();
    for s in seen {
        let codes: HashSet<&str> = measured(&s).iter().map(|p| p.hj212_code()).collect();
        let n_codes = codes.len() as u64;
        // Per device: hours online, and valid values per hour index.
        let mut by: BTreeMap<String, (Vec<bool>, Vec<u64>)> = BTreeMap::new();
        for mn in registered.get(&s.id).into_iter().flatten() {
            by.insert(mn.clone(), (vec![false; n_days * 24], vec![0; n_days * 24]));
        }
        for h in app.store.device_hours(&s.id, w.from, w.to)? {
            let i = ((h.ts - w.from) / cst::HOUR_S) as usize;
            if i >= n_days * 24 || !codes.contains(h.code.as_str()) {
                continue;
            }
            let (on, cap) = by
                .entry(h.mn)
                .or_insert_with(|| (vec![false; n_days * 24], vec![0; n_days * 24]));
            on[i] = true;
            if h.flag == "N" {
                cap[i] += 1;
            }
        }
        let devices = by
            .into_iter()
            .map(|(mn, (on, cap))| {
                let (days, online_pct, capture_pct) = w.rates(
                    n_codes,
                    |r| on[r].iter().filter(|x| **x).count() as u64,
                    |r| cap[r].iter().sum(),
                );
                DeviceRates {
                    mn,
                    days,
                    online_pct,
                    capture_pct,
                }
            })
            .collect();
        out.push(StationDevices {
            contractor: contractors.get(&s.id).cloned(),
            station: s.id,
            station_name: s.name,
            devices,
        });
    }
    Ok(Paged { items: out, total })
}
