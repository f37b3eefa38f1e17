//! An outlet's hours as CEMS data make them: measured and normalised (折算) concentrations
//! against the outlet's limits, flow, hourly emissions, stopped hours, the device's own
//! figures checked; totals per day, month and year; and what the equipment did (production
//! running while treatment is off, or while the CEMS says the plant is stopped).

use crate::caller::policy;
use crate::data::span_days;
use crate::error::{AppError, AppResult};
use crate::{App, Caller};
use lantian_core::Date;
use lantian_core::cems::{self, FLOW, HourInput, O2};
use lantian_core::cst;
use lantian_core::org::{EquipmentKind, MeterKind};
use lantian_store::{Equipment, HourValue, Outlet, Period, View};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// One outlet, hour and pollutant: what `lantian emissions` prints per line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EmissionRow {
    pub outlet: String,
    /// The hour's start, Beijing time, `YYYY-MM-DD HH:00`.
    pub hour: String,
    /// HJ 212-2017 code.
    pub code: &'static str,
    /// mg/m³.
    pub measured: Option<f64>,
    /// %.
    pub o2: Option<f64>,
    /// mg/m³ at the reference O2, or null (stopped, or no measurement).
    pub converted: Option<f64>,
    pub limit: Option<f64>,
    pub exceeds: bool,
    /// m³/h.
    pub flow: Option<f64>,
    pub emission_kg: Option<f64>,
    pub stopped: bool,
    /// A valid hour: sent hourly, or ≥ 45 minutes (or real-time minutes) of it. An hour of
    /// too few minutes is shown with their mean as `measured`, not judged and not counted.
    pub valid: bool,
    /// Minutes of data behind `measured` (60 for an hourly value sent; none for a real-time
    /// sample).
    pub minutes: Option<i64>,
    pub device_converted: Option<f64>,
    pub device_emission_kg: Option<f64>,
    pub device_mismatch: bool,
    /// An approved enterprise declaration covers the hour (for this factor): shown as
    /// declared (已申报), with no exceedance or mismatch verdict (issue 22). The kind is
    /// named to who reads declarations (`declarations::access::list`); others see `null`
    /// and the verdicts withheld all the same.
    pub declared: Option<lantian_core::declaration::Kind>,
}

const MONITORING_REFUSED: &str = "只能查看本企业的监测数据 / only your enterprise's monitoring";

/// The outlet, if the caller may read its emissions.
fn outlet(app: &App, caller: &Caller, id: &str) -> AppResult<Outlet> {
    let o = app
        .store
        .outlet(id)?
        .ok_or_else(|| AppError::NotFound(format!("outlet {id}")))?;
    let discloses = app
        .store
        .enterprise(&o.enterprise_id)?
        .is_some_and(|e| e.discloses);
    if !policy::reads_emissions(caller, &o.enterprise_id, discloses) {
        return app.allow(
            caller,
            "emissions.read",
            &o.enterprise_id,
            Err(policy::refusal(caller, MONITORING_REFUSED)),
        );
    }
    Ok(o)
}

/// Hourly values of one code by hour start.
fn hours(
    app: &App,
    series: &str,
    code: &str,
    from: i64,
    to: i64,
) -> AppResult<BTreeMap<i64, HourValue>> {
    Ok(app
        .store
        .hourly(series, code, from, to, View::Raw)?
        .into_iter()
        .map(|h| (h.ts, h))
        .collect())
}

/// A device's amount (`-Cou`, kg) for an hour (or a real-time sample): as sent, or the sum of
/// the hour's minutes. Real-time values rolled up into an hour carry no amount.
fn amount(h: &HourValue, minute_interval: i64) -> Option<f64> {
    match h.source {
        Period::Hour => Some(h.value),
        Period::Rtd if h.n_expected == 1 => Some(h.value),
        // A minute rollup keeps the mean over its records; `n_observed` counts minutes.
        Period::Min => Some(h.value * (h.n_observed / minute_interval.max(1)) as f64),
        _ => None,
    }
}

/// Real-time samples come every few seconds: a request for them covers at most two days.
pub const MOMENT_DAYS_MAX: usize = 2;

/// An outlet's totals per day, month or year and pollutant, from its hours.
pub fn outlet_totals(
    app: &App,
    caller: &Caller,
    outlet_id: &str,
    first: Date,
    last: Date,
    per: Per,
) -> AppResult<Vec<Total>> {
    let rows = outlet_rows(app, caller, outlet_id, first, last, Resolution::Hour)?;
    Ok(totals(&rows, per))
}

/// What one row of [`outlet_rows`] covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// An hour (sent hourly, or from minute data, or from ≥ 45 minutes of real-time values).
    Hour,
    /// A real-time sample (2011), as sent: its moment in `hour` (`YYYY-MM-DD HH:MM:SS`), an
    /// emission for one hour at its flow.
    Moment,
}

/// Real-time samples of one code by moment, as hour values of the sample.
fn moments(
    app: &App,
    series: &str,
    code: &str,
    from: i64,
    to: i64,
) -> AppResult<BTreeMap<i64, HourValue>> {
    Ok(app
        .store
        .series(series, code, Period::Rtd, from, to, View::Raw)?
        .into_iter()
        .filter(|p| p.flag == "N")
        .map(|p| {
            let h = HourValue {
                ts: p.ts,
                value: p.value,
                source: Period::Rtd,
                n_observed: 1,
                n_expected: 1,
                corrected: None,
            };
            (p.ts, h)
        })
        .collect())
}

/// An outlet's rows by hour or by real-time sample.
pub fn outlet_rows(
    app: &App,
    caller: &Caller,
    outlet_id: &str,
    first: Date,
    last: Date,
    resolution: Resolution,
) -> AppResult<Vec<EmissionRow>> {
    let o = outlet(app, caller, outlet_id)?;
    let n_days = span_days(first, last)?;
    if resolution == Resolution::Moment && n_days > MOMENT_DAYS_MAX {
        return Err(AppError::BadRequest(format!(
            "real-time samples: at most {MOMENT_DAYS_MAX} days at a time (hours: any span)"
        )));
    }
    let from = cst::day_start(first);
    let to = from + n_days as i64 * cst::DAY_S;
    let interval = app.store.station(&o.id)?.map_or(1, |s| s.min_interval_min);
    let rules = crate::sources::rules(app, &o);
    let read = |code: &str| match resolution {
        Resolution::Hour => hours(app, &o.id, code, from, to),
        Resolution::Moment => moments(app, &o.id, code, from, to),
    };
    let o2 = read(O2)?;
    let flow = read(FLOW)?;
    let declared = crate::declarations::coverage(app, &[o.id.as_str()], from, to)?
        .remove(&o.id)
        .unwrap_or_default();
    let names_declared = crate::declarations::access::list(caller).is_ok();
    let mut out = Vec::new();
    for (code, ..) in cems::POLLUTANTS {
        let measured = read(code)?;
        // Hours of too few minutes, shown as such.
        let partial: BTreeMap<i64, (f64, i64)> = match resolution {
            Resolution::Hour => app
                .store
                .hourly_rollups(&o.id, code, from, to)?
                .into_iter()
                .filter(|r| !r.valid && !measured.contains_key(&r.ts))
                .filter_map(|r| Some((r.ts, (r.mean?, r.n_observed))))
                .collect(),
            Resolution::Moment => BTreeMap::new(),
        };
        let device_zs = read(&format!("{code}-Zs"))?;
        let device_cou = read(&format!("{code}-Cou"))?;
        let limit = o
            .limits
            .iter()
            .find(|l| l.code == code)
            .map(|l| l.limit_mg_m3);
        let mut starts: Vec<i64> = measured
            .keys()
            .chain(partial.keys())
            .chain(device_zs.keys())
            .chain(device_cou.keys())
            .copied()
            .collect();
        starts.sort_unstable();
        starts.dedup();
        for ts in starts {
            let input = HourInput {
                measured: measured
                    .get(&ts)
                    .map(|h| h.value)
                    .or_else(|| partial.get(&ts).map(|p| p.0)),
                insufficient: !measured.contains_key(&ts) && partial.contains_key(&ts),
                o2: o2.get(&ts).map(|h| h.value),
                flow_m3_h: flow.get(&ts).map(|h| h.value),
                device_normalised: device_zs.get(&ts).map(|h| h.value),
                device_emission_kg: device_cou.get(&ts).and_then(|h| amount(h, interval)),
                limit,
            };
            let v = cems::judge(&rules, &input);
            let covered = declared.covering(cst::hour_start(ts), code);
            let hour = match resolution {
                Resolution::Hour => cst::format_minute(ts),
                Resolution::Moment => {
                    format!("{}:{:02}", cst::format_minute(ts), ts.rem_euclid(60))
                }
            };
            out.push(EmissionRow {
                outlet: o.id.clone(),
                hour,
                code,
                measured: v.measured,
                o2: input.o2,
                converted: v.converted,
                limit: v.limit,
                exceeds: v.exceeds && covered.is_none(),
                flow: input.flow_m3_h,
                emission_kg: v.emission_kg,
                stopped: v.stopped,
                valid: v.valid,
                minutes: match resolution {
                    Resolution::Hour => measured
                        .get(&ts)
                        .map(|h| h.n_observed)
                        .or_else(|| partial.get(&ts).map(|p| p.1)),
                    Resolution::Moment => None,
                },
                device_converted: input.device_normalised,
                device_emission_kg: input.device_emission_kg,
                device_mismatch: v.device_mismatch && covered.is_none(),
                declared: covered.filter(|_| names_declared),
            });
        }
    }
    out.sort_by(|a, b| (&a.hour, a.code).cmp(&(&b.hour, b.code)));
    Ok(out)
}

/// The hourly rows of all of an enterprise's outlets (for its totals).
pub fn enterprise_rows(
    app: &App,
    caller: &Caller,
    enterprise_id: &str,
    first: Date,
    last: Date,
) -> AppResult<Vec<EmissionRow>> {
    let e = app
        .store
        .enterprise(enterprise_id)?
        .ok_or_else(|| AppError::NotFound(format!("enterprise {enterprise_id}")))?;
    if !policy::reads_emissions(caller, &e.id, e.discloses) {
        return app.allow(
            caller,
            "emissions.read",
            &e.id,
            Err(policy::refusal(caller, MONITORING_REFUSED)),
        );
    }
    let mut rows = Vec::new();
    for o in app.store.outlets(Some(&e.id))? {
        rows.extend(outlet_rows(
            app,
            caller,
            &o.id,
            first,
            last,
            Resolution::Hour,
        )?);
    }
    Ok(rows)
}

/// A total of one pollutant over a period.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Total {
    /// The day, month or year totalled: `YYYY-MM-DD`, `YYYY-MM` or `YYYY` (Beijing time).
    pub span: String,
    pub code: &'static str,
    pub emission_kg: f64,
    /// Hours with a valid measurement and a flow, of those with any figure.
    pub hours_counted: u32,
    pub exceedance_hours: u32,
    pub stopped_hours: u32,
    pub mismatch_hours: u32,
}

/// How finely totals are cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Per {
    Day,
    Month,
    Year,
}

/// An outlet's emissions summed per day, month or year and pollutant.
pub fn totals(rows: &[EmissionRow], per: Per) -> Vec<Total> {
    let mut map: BTreeMap<(String, &'static str), Total> = BTreeMap::new();
    for r in rows {
        let span = match per {
            Per::Day => r.hour[..10].to_owned(),
            Per::Month => r.hour[..7].to_owned(),
            Per::Year => r.hour[..4].to_owned(),
        };
        let t = map.entry((span.clone(), r.code)).or_insert(Total {
            span,
            code: r.code,
            emission_kg: 0.0,
            hours_counted: 0,
            exceedance_hours: 0,
            stopped_hours: 0,
            mismatch_hours: 0,
        });
        if let Some(e) = r.emission_kg {
            t.emission_kg += e;
            t.hours_counted += 1;
        }
        t.exceedance_hours += u32::from(r.exceeds);
        t.stopped_hours += u32::from(r.stopped);
        t.mismatch_hours += u32::from(r.device_mismatch);
    }
    map.into_values().collect()
}

/// What a piece of equipment did in an hour.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EquipmentHour {
    pub equipment: String,
    pub kind: EquipmentKind,
    /// The hour's start, Beijing time.
    pub hour: String,
    /// `None`: no status or power that hour.
    pub running: Option<bool>,
    /// Mean power (kW), from a power meter or an energy counter's increase over the hour.
    pub power_kw: Option<f64>,
    /// Mean current (A), from a current meter.
    pub current_a: Option<f64>,
    /// Per cent of the rated power.
    pub load_pct: Option<f64>,
}

/// A finding: something an hour's data show that should not happen.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// `production_without_treatment` or `production_while_cems_stopped`.
    pub kind: &'static str,
    pub hour: String,
    /// The equipment or outlet it concerns.
    pub subject: String,
    /// What shows it, in Chinese and in English.
    pub detail: String,
    pub detail_en: String,
}

/// Each hour's power (kW) from an energy counter (kWh): the increase of its last reading over
/// the previous hour's last reading. A counter that goes back (replaced, reset) gives no value.
fn power_from_energy(
    app: &App,
    series: &str,
    code: &str,
    from: i64,
    to: i64,
) -> AppResult<BTreeMap<i64, f64>> {
    let mut last: BTreeMap<i64, (i64, f64)> = BTreeMap::new();
    for period in [Period::Rtd, Period::Min, Period::Hour] {
        for p in app
            .store
            .series(series, code, period, from - cst::HOUR_S, to, View::Raw)?
            .into_iter()
            .filter(|p| p.flag == "N")
        {
            let e = last.entry(cst::hour_start(p.ts)).or_insert((p.ts, p.value));
            if p.ts >= e.0 {
                *e = (p.ts, p.value);
            }
        }
    }
    Ok(last
        .iter()
        .filter_map(|(h, (_, kwh))| {
            let (_, before) = last.get(&(h - cst::HOUR_S))?;
            (*h >= from && kwh >= before).then(|| (*h, kwh - before))
        })
        .collect())
}

/// Whether a piece of equipment ran in each hour: its status readings (`SBxxx-RS`, 1 =
/// running) that hour are mostly 1, or its meter's hourly reading (power, power from an
/// energy counter, current) reaches its running value.
pub(crate) fn equipment_hours(
    app: &App,
    q: &Equipment,
    from: i64,
    to: i64,
) -> AppResult<Vec<EquipmentHour>> {
    let mut by_hour: BTreeMap<i64, (u32, u32)> = BTreeMap::new();
    if let Some(code) = &q.status_code {
        for period in [Period::Rtd, Period::Min, Period::Hour] {
            for p in app.store.series(&q.id, code, period, from, to, View::Raw)? {
                let e = by_hour.entry(cst::hour_start(p.ts)).or_default();
                e.0 += u32::from(p.value == 1.0);
                e.1 += 1;
            }
        }
    }
    let hourly_means = |code: &str| -> AppResult<BTreeMap<i64, f64>> {
        Ok(hours(app, &q.id, code, from, to)?
            .into_iter()
            .map(|(ts, h)| (ts, h.value))
            .collect())
    };
    let (power, current) = match &q.meter {
        Some(m) if m.kind == MeterKind::Power => (hourly_means(&m.code)?, BTreeMap::new()),
        Some(m) if m.kind == MeterKind::Energy => (
            power_from_energy(app, &q.id, &m.code, from, to)?,
            BTreeMap::new(),
        ),
        Some(m) => (BTreeMap::new(), hourly_means(&m.code)?),
        None => (BTreeMap::new(), BTreeMap::new()),
    };
    let running_min = q.meter.as_ref().and_then(|m| m.running_min);
    let mut starts: Vec<i64> = by_hour
        .keys()
        .chain(power.keys())
        .chain(current.keys())
        .copied()
        .collect();
    starts.sort_unstable();
    starts.dedup();
    Ok(starts
        .into_iter()
        .map(|ts| {
            let kw = power.get(&ts).copied();
            let amps = current.get(&ts).copied();
            let by_status = by_hour.get(&ts).map(|(on, n)| 2 * on > *n);
            let by_meter = kw.or(amps).zip(running_min).map(|(v, min)| v >= min);
            EquipmentHour {
                equipment: q.id.clone(),
                kind: q.kind,
                hour: cst::format_minute(ts),
                running: by_status.or(by_meter),
                power_kw: kw,
                current_a: amps,
                load_pct: kw
                    .zip(q.rated_kw)
                    .filter(|(_, r)| *r > 0.0)
                    .map(|(kw, r)| 100.0 * kw / r),
            }
        })
        .collect())
}

/// An enterprise's equipment hours and findings for the days `first` to `last`.
pub fn working_condition(
    app: &App,
    caller: &Caller,
    enterprise_id: &str,
    first: Date,
    last: Date,
) -> AppResult<(Vec<EquipmentHour>, Vec<Finding>)> {
    if !policy::sees_monitoring(caller, enterprise_id) {
        return app.allow(
            caller,
            "monitoring.read",
            enterprise_id,
            Err(policy::refusal(caller, MONITORING_REFUSED)),
        );
    }
    let equipment = app.store.equipment(Some(enterprise_id))?;
    let mut outlets: Vec<&str> = equipment
        .iter()
        .filter(|q| q.kind == EquipmentKind::Production)
        .filter_map(|q| q.outlet_id.as_deref())
        .collect();
    outlets.sort_unstable();
    outlets.dedup();
    let mut rows = Vec::new();
    for o in outlets {
        rows.extend(outlet_rows(app, caller, o, first, last, Resolution::Hour)?);
    }
    conditions(app, &equipment, first, last, &stopped_hours(&rows))
}

/// The (outlet, hour) pairs the rows say were stopped.
fn stopped_hours(rows: &[EmissionRow]) -> HashSet<(String, String)> {
    rows.iter()
        .filter(|r| r.stopped)
        .map(|r| (r.outlet.clone(), r.hour.clone()))
        .collect()
}

/// The equipment's hours and the findings, given the outlets' stopped hours.
fn conditions(
    app: &App,
    equipment: &[Equipment],
    first: Date,
    last: Date,
    stopped: &HashSet<(String, String)>,
) -> AppResult<(Vec<EquipmentHour>, Vec<Finding>)> {
    let n_days = span_days(first, last)?;
    let from = cst::day_start(first);
    let to = from + n_days as i64 * cst::DAY_S;
    let mut hours_of: Vec<EquipmentHour> = Vec::new();
    for q in equipment {
        hours_of.extend(equipment_hours(app, q, from, to)?);
    }
    let mut findings = Vec::new();
    let running_at: HashMap<(&str, &str), bool> = hours_of
        .iter()
        .filter_map(|h| Some(((h.equipment.as_str(), h.hour.as_str()), h.running?)))
        .collect();
    let running = |id: &str, hour: &str| running_at.get(&(id, hour)).copied();
    for p in equipment
        .iter()
        .filter(|q| q.kind == EquipmentKind::Production)
    {
        let treatments: Vec<&Equipment> = equipment
            .iter()
            .filter(|t| {
                t.kind == EquipmentKind::Treatment
                    && t.outlet_id.is_some()
                    && t.outlet_id == p.outlet_id
            })
            .collect();
        for h in hours_of
            .iter()
            .filter(|h| h.equipment == p.id && h.running == Some(true))
        {
            for t in &treatments {
                if running(&t.id, &h.hour) == Some(false) {
                    findings.push(Finding {
                        kind: "production_without_treatment",
                        hour: h.hour.clone(),
                        subject: t.id.clone(),
                        detail: format!("{} 运行，{} 停运", p.name, t.name),
                        detail_en: format!("{} running, {} off", p.name, t.name),
                    });
                }
            }
            if let Some(o) = &p.outlet_id
                && stopped.contains(&(o.clone(), h.hour.clone()))
            {
                findings.push(Finding {
                    kind: "production_while_cems_stopped",
                    hour: h.hour.clone(),
                    subject: p.outlet_id.clone().unwrap_or_default(),
                    detail: format!("{} 运行，在线监测显示停运", p.name),
                    detail_en: format!("{} running while the CEMS says stopped", p.name),
                });
            }
        }
    }
    findings.sort_by(|a, b| (&a.hour, a.kind).cmp(&(&b.hour, b.kind)));
    findings.dedup();
    Ok((hours_of, findings))
}

/// How an enterprise's sources did on a day, for the list and the map.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SourceDay {
    pub enterprise: String,
    /// `YYYY-MM-DD`, Beijing time.
    pub day: String,
    /// Outlet-hours with any CEMS figure.
    pub hours: u32,
    /// Outlet-hours with at least one pollutant over its limit; stopped; with the device's
    /// own figures inconsistent.
    pub exceedance_hours: u32,
    pub stopped_hours: u32,
    pub mismatch_hours: u32,
    /// Outlet-hours an approved declaration covers (shown as declared, not judged).
    pub declared_hours: u32,
    /// Working-condition findings (production without treatment, production while the
    /// CEMS says stopped).
    pub findings: usize,
    /// The last hour with data, Beijing time.
    pub latest_hour: Option<String>,
}

/// [`SourceDay`] of every enterprise whose monitoring the caller sees.
pub fn day_status(app: &App, caller: &Caller, day: Date) -> AppResult<Vec<SourceDay>> {
    let mut out = Vec::new();
    for e in app.store.enterprises()? {
        if !policy::sees_monitoring(caller, &e.id) {
            continue;
        }
        let rows = enterprise_rows(app, caller, &e.id, day, day)?;
        let hours_where = |f: fn(&EmissionRow) -> bool| {
            let mut h: Vec<(&str, &str)> = rows
                .iter()
                .filter(|r| f(r))
                .map(|r| (r.outlet.as_str(), r.hour.as_str()))
                .collect();
            h.sort_unstable();
            h.dedup();
            h.len() as u32
        };
        let equipment = app.store.equipment(Some(&e.id))?;
        let (_, findings) = conditions(app, &equipment, day, day, &stopped_hours(&rows))?;
        out.push(SourceDay {
            day: day.to_string(),
            hours: hours_where(|_| true),
            exceedance_hours: hours_where(|r| r.exceeds),
            stopped_hours: hours_where(|r| r.stopped),
            mismatch_hours: hours_where(|r| r.device_mismatch),
            declared_hours: hours_where(|r| r.declared.is_some()),
            findings: findings.len(),
            latest_hour: rows.iter().map(|r| r.hour.clone()).max(),
            enterprise: e.id,
        });
    }
    Ok(out)
}
