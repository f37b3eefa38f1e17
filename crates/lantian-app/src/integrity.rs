//! Data integrity and station operations (issue 15): the rule library run over stored hours
//! (`scan`), alarm episodes with their evidence, the three-level review (operator →
//! township → bureau; the bureau's outcome sets the state) and per-rule precision, work
//! orders to the operations contractor, corrections of station hours (`View::Audited`), the
//! monthly close (HJ 633 §5.1.5), and online and capture rates.

use crate::caller::policy::{self, IntegrityAct};
use crate::data::Hours;
use crate::error::{AppError, AppResult};
use crate::present::hour_label_text;
use crate::{App, Caller};
use lantian_core::cst;
use lantian_core::integrity::{self, Config, Rule, Severity, StationInput};
use lantian_core::pollutant::Pollutant;
use lantian_core::rules::RuleSet;
use lantian_core::series::StationRole;
use lantian_core::{Date, Month};
use lantian_store::integrity::{
    AlarmFilter, AlarmRow, AlarmState, AlarmsStored, ClosedMonth, Escalation, NewAlarm, Outcome,
    Review, ReviewLevel, WorkOrder, WorkOrderState,
};
use lantian_store::operations::OrderKind;
use lantian_store::{AuditRow, Correction, CorrectionAction, Page, Paged, Period, Station, View};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;

/// The longest span one scan reads, in days.
pub const SCAN_DAYS_MAX: i64 = 62;
/// Hours of evidence shown before and after an episode.
pub const EVIDENCE_MARGIN_HOURS: i64 = 24;
/// The longest evidence window, in hours (a longer episode shows its start).
pub const EVIDENCE_HOURS_MAX: i64 = 24 * 14;
/// Relative humidity, HJ 212 code.
pub const HUMIDITY_CODE: &str = "a01002";
/// Days the periodic scan of `lantian serve` re-reads (late data extend episodes).
pub const PERIODIC_SCAN_DAYS: i64 = 2;

/// A rule's names, Chinese and English (the library's).
pub fn rule_names(rule: Rule) -> (&'static str, &'static str) {
    (rule.name_zh(), rule.name_en())
}

fn severity_zh(s: Severity) -> &'static str {
    match s {
        Severity::Info => "提示",
        Severity::Warning => "警告",
        Severity::Critical => "严重",
    }
}

/// The setting that overrides the library's thresholds: a JSON object of [`Config`]'s keys
/// (missing keys keep their defaults), e.g. `{"flat_hours_min": 8}`.
pub const CONFIG_SETTING: &str = "integrity_config";

/// The library's thresholds: the defaults, with the store's [`CONFIG_SETTING`] over them.
pub fn config(app: &App) -> AppResult<Config> {
    match app.store.setting(CONFIG_SETTING)? {
        None => Ok(Config::default()),
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            AppError::Internal(format!(
                "the setting {CONFIG_SETTING} is not a rule configuration: {e}"
            ))
        }),
    }
}

/// What a scan stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ScanOutcome {
    pub stations: usize,
    pub alarms_new: u64,
    pub alarms_extended: u64,
    pub alarms_unchanged: u64,
}

fn bad(msg: String) -> AppError {
    AppError::BadRequest(msg)
}

/// The stations the rule library reads: every ambient station.
fn ambient(app: &App) -> AppResult<Vec<Station>> {
    Ok(app
        .store
        .stations()?
        .into_iter()
        .filter(|s| s.role.is_ambient())
        .collect())
}

/// Runs the rule library over every ambient station's hours of `from ..= to` (raw data: the
/// rules judge what was sent) and stores the episodes (bureau, administrators, operations).
pub fn scan(app: &App, caller: &Caller, from: Date, to: Date) -> AppResult<ScanOutcome> {
    app.allow(
        caller,
        "integrity.scan",
        "stations",
        policy::integrity(caller, IntegrityAct::Scan),
    )?;
    let row = app.audit_row(
        caller,
        "integrity.scan",
        "stations",
        &format!("{from}..{to}"),
    );
    crate::integrity_ops::open_outage_orders(app, from, to, caller.name(), caller.source())?;
    scan_with(app, row, from, to, true)
}

/// The scan of `lantian serve`: the last [`PERIODIC_SCAN_DAYS`] days, as `system`.
pub fn scan_periodic(app: &App) -> AppResult<ScanOutcome> {
    let today = app.clock.today();
    let from = today.add_days(1 - PERIODIC_SCAN_DAYS);
    let row = AuditRow {
        at_ms: app.clock.now_ms(),
        actor: "system".into(),
        action: "integrity.scan".into(),
        object: "stations".into(),
        detail: format!("{from}..{today}"),
        source: String::new(),
    };
    crate::integrity_ops::open_outage_orders(app, from, today, "system", "")?;
    scan_with(app, row, from, today, false)
}

/// Scans and stores; a scan that found nothing is audited only when `audit_empty` (a
/// person's scan is an act; the hourly one that found nothing is not worth a row).
fn scan_with(
    app: &App,
    row: AuditRow,
    from: Date,
    to: Date,
    audit_empty: bool,
) -> AppResult<ScanOutcome> {
    let n_days = to.days_since_epoch() - from.days_since_epoch() + 1;
    if !(1..=SCAN_DAYS_MAX).contains(&n_days) {
        return Err(bad(format!(
            "扫描范围须为 1–{SCAN_DAYS_MAX} 天 / a scan covers 1-{SCAN_DAYS_MAX} days: {from}..{to}"
        )));
    }
    let cfg = config(app)?;
    let stations = ambient(app)?;
    let found = find_alarms(app, &cfg, stations.clone(), from, n_days as usize)?;
    let gap_s = cfg.merge_gap_hours as i64 * cst::HOUR_S;
    let now_ms = app.clock.now_ms();
    let stored: AlarmsStored = if found.is_empty() && !audit_empty {
        AlarmsStored::default()
    } else {
        app.store
            .audited(row, || app.store.store_alarms(&found, gap_s, now_ms))?
    };
    Ok(ScanOutcome {
        stations: stations.len(),
        alarms_new: stored.new,
        alarms_extended: stored.extended,
        alarms_unchanged: stored.unchanged,
    })
}

/// The rule library over `stations`' hours of `n_days` days from `first`, as alarms to store.
pub fn find_alarms(
    app: &App,
    cfg: &Config,
    stations: Vec<Station>,
    first: Date,
    n_days: usize,
) -> AppResult<Vec<NewAlarm>> {
    let from = cst::day_start(first);
    let to = from + n_days as i64 * cst::DAY_S;
    let hours = Hours::load(app, stations, first, n_days, View::Raw)?;
    let mut humidity = Vec::with_capacity(hours.stations.len());
    let mut flags = Vec::with_capacity(hours.stations.len());
    let mut lags = Vec::with_capacity(hours.stations.len());
    for s in &hours.stations {
        let mut rh = vec![f64::NAN; n_days * 24];
        let mut any_rh = false;
        for h in app
            .store
            .hourly(&s.id, HUMIDITY_CODE, from, to, View::Raw)?
        {
            if let Some(i) = index(from, h.ts, n_days) {
                rh[i] = h.value;
                any_rh = true;
            }
        }
        humidity.push(any_rh.then_some(rh));
        // Instrument flags of hourly values; `N` where the station sent a valid hour.
        let mut f: [Vec<u8>; 6] = std::array::from_fn(|_| vec![0u8; n_days * 24]);
        let mut any_flag = false;
        for p in Pollutant::ALL {
            for pt in app
                .store
                .series(&s.id, p.hj212_code(), Period::Hour, from, to, View::Raw)?
            {
                if let (Some(i), Some(b)) = (index(from, pt.ts, n_days), pt.flag.bytes().next()) {
                    f[p.index()][i] = b;
                    any_flag |= b != b'N';
                }
            }
        }
        flags.push(any_flag.then_some(f));
        lags.push(receipt_lags(app, &s.id, from, n_days)?);
    }
    let inputs: Vec<StationInput<'_>> = hours
        .stations
        .iter()
        .enumerate()
        .map(|(i, s)| StationInput {
            id: &s.id,
            role: s.role,
            lat: s.lat.unwrap_or(f64::NAN),
            lon: s.lon.unwrap_or(f64::NAN),
            series: &hours.series[i],
            flags: flags[i].as_ref(),
            humidity_pct: humidity[i].as_deref(),
            receipt_lag_s: lags[i].as_deref(),
        })
        .collect();
    Ok(integrity::scan_stations(cfg, &inputs)
        .into_iter()
        .chain(cems_alarms(app, cfg, first, n_days)?)
        .map(|a| NewAlarm {
            station_id: a.station,
            pollutant: a.pollutant,
            rule: a.rule,
            severity: a.severity,
            first_ts: from + a.first_hour as i64 * cst::HOUR_S,
            last_ts: from + a.last_hour as i64 * cst::HOUR_S,
            why_zh: a.why_zh,
            why_en: a.why_en,
            figures: a.figures,
            neighbours: a.neighbours,
        })
        .collect())
}

/// Seconds from each hour's end (its DataTime, the hour's start as the store keeps it, plus
/// an hour) to the first receipt of a packet with its values (NaN: not received through the
/// gateway); `None` when no hour of the span was.
fn receipt_lags(
    app: &App,
    station_id: &str,
    from: i64,
    n_days: usize,
) -> AppResult<Option<Vec<f64>>> {
    let to = from + n_days as i64 * cst::DAY_S;
    let codes = Pollutant::ALL.map(Pollutant::hj212_code);
    let receipts = app.store.hour_receipts(station_id, &codes, from, to)?;
    if receipts.is_empty() {
        return Ok(None);
    }
    let mut lag = vec![f64::NAN; n_days * 24];
    for (ts, received_ms) in receipts {
        if let Some(i) = index(from, ts, n_days) {
            lag[i] = (received_ms - cst::to_unix_ms(ts + cst::HOUR_S)) as f64 / 1000.0;
        }
    }
    // Hours the platform itself asked for (a history request for a gap, issue 22) arrive
    // late by design: not suspected back-filling.
    for m in app.store.backfilled_marks(station_id, "hour", from, to)? {
        if let (Some(i), "request") = (index(from, m.ts, n_days), m.origin.as_str()) {
            lag[i] = f64::NAN;
        }
    }
    Ok(Some(lag))
}

/// One series of an outlet's hours, NaN where missing.
fn outlet_hours(app: &App, id: &str, code: &str, from: i64, n_days: usize) -> AppResult<Vec<f64>> {
    let to = from + n_days as i64 * cst::DAY_S;
    let mut v = vec![f64::NAN; n_days * 24];
    for h in app.store.hourly(id, code, from, to, View::Raw)? {
        if let Some(i) = index(from, h.ts, n_days) {
            v[i] = h.value;
        }
    }
    Ok(v)
}

/// Whether any of `equipment` ran each hour (`None`: no signal from any of it).
fn running(
    app: &App,
    equipment: &[&lantian_store::Equipment],
    from: i64,
    n_days: usize,
) -> AppResult<Option<Vec<Option<bool>>>> {
    if equipment.is_empty() {
        return Ok(None);
    }
    let to = from + n_days as i64 * cst::DAY_S;
    let mut on: Vec<Option<bool>> = vec![None; n_days * 24];
    for q in equipment {
        for h in crate::emissions::equipment_hours(app, q, from, to)? {
            let (Some(ts), Some(r)) = (cst::parse_minute(&h.hour), h.running) else {
                continue;
            };
            if let Some(i) = index(from, ts, n_days) {
                on[i] = Some(on[i].unwrap_or(false) || r);
            }
        }
    }
    Ok(on.iter().any(Option::is_some).then_some(on))
}

/// The CEMS rules over every registered outlet's hours of `n_days` from `first`: the
/// concentrations (raw and the device's `-Zs`), O2, flow, the register's limits and reference
/// O2 and stopped flow, and production and treatment status from the equipment linked to
/// the outlet. The alarms' station is the outlet. Hours an approved enterprise declaration
/// covers (issue 22) are left out of every rule: all of an outlet's series for 停运 / 停产 /
/// 检修 / 长期停产, the declared factors' for 因子异常; missing data there is explained.
fn cems_alarms(
    app: &App,
    cfg: &Config,
    first: Date,
    n_days: usize,
) -> AppResult<Vec<integrity::Alarm>> {
    use lantian_core::cems::{FLOW, O2, POLLUTANTS};
    use lantian_core::integrity::{CemsChannel, CemsInput};
    use lantian_core::org::EquipmentKind;
    let from = cst::day_start(first);
    let equipment = app.store.equipment(None)?;
    let declared_all =
        crate::declarations::coverage(app, &[], from, from + n_days as i64 * cst::DAY_S)?;
    let mut alarms = Vec::new();
    for o in app.store.outlets(None)? {
        let declared = declared_all.get(&o.id).cloned().unwrap_or_default();
        let hour = |t: usize| from + t as i64 * cst::HOUR_S;
        // A declared hour's values are not judged: NaN, as if not sent.
        let masked = |code: &str, mut v: Vec<f64>| {
            if !declared.is_empty() {
                for (t, x) in v.iter_mut().enumerate() {
                    if declared.covering(hour(t), code).is_some() {
                        *x = f64::NAN;
                    }
                }
            }
            v
        };
        let o2 = masked(O2, outlet_hours(app, &o.id, O2, from, n_days)?);
        let flow = masked(FLOW, outlet_hours(app, &o.id, FLOW, from, n_days)?);
        let mut raws = Vec::new();
        for (code, ..) in POLLUTANTS {
            let raw = masked(code, outlet_hours(app, &o.id, code, from, n_days)?);
            let zs = masked(
                code,
                outlet_hours(app, &o.id, &format!("{code}-Zs"), from, n_days)?,
            );
            if raw.iter().all(|v| v.is_nan()) {
                continue;
            }
            let limit = o
                .limits
                .iter()
                .find(|l| l.code == code)
                .map(|l| l.limit_mg_m3);
            let zs = (!zs.iter().all(|v| v.is_nan())).then_some(zs);
            raws.push((code, raw, zs, limit));
        }
        let has = |v: &[f64]| v.iter().any(|x| !x.is_nan());
        if raws.is_empty() && !has(&o2) && !has(&flow) {
            continue;
        }
        let linked = |kind: EquipmentKind| -> Vec<&lantian_store::Equipment> {
            equipment
                .iter()
                .filter(|q| q.kind == kind && q.outlet_id.as_deref() == Some(o.id.as_str()))
                .collect()
        };
        let unless_declared = |on: Option<Vec<Option<bool>>>| {
            on.map(|mut v| {
                for (t, x) in v.iter_mut().enumerate() {
                    if declared.whole(hour(t)).is_some() {
                        *x = None;
                    }
                }
                v
            })
        };
        let production = unless_declared(running(
            app,
            &linked(EquipmentKind::Production),
            from,
            n_days,
        )?);
        let treatment = unless_declared(running(
            app,
            &linked(EquipmentKind::Treatment),
            from,
            n_days,
        )?);
        let input = CemsInput {
            outlet: &o.id,
            channels: raws
                .iter()
                .map(|(code, raw, zs, limit)| CemsChannel {
                    code,
                    raw,
                    zs: zs.as_deref(),
                    limit: *limit,
                })
                .collect(),
            o2_pct: has(&o2).then_some(o2.as_slice()),
            flow_m3_h: has(&flow).then_some(flow.as_slice()),
            o2_ref_pct: o.o2_ref_pct,
            production_on: production.as_deref(),
            treatment_on: treatment.as_deref(),
        };
        // The register's stopped flow of the outlet, when above the library's.
        let mut outlet_cfg = cfg.clone();
        outlet_cfg.cems_flow_stopped_m3_h_max =
            cfg.cems_flow_stopped_m3_h_max.max(o.flow_stopped_m3_h);
        alarms.extend(integrity::scan_cems(
            &outlet_cfg,
            std::slice::from_ref(&input),
        ));
        alarms.extend(integrity::scan_cems_missing(
            &outlet_cfg,
            &input,
            &|t, code| match code {
                None => declared.whole(hour(t)).is_some(),
                Some(c) => declared.covering(hour(t), c).is_some(),
            },
        ));
    }
    Ok(alarms)
}

/// The index of the hour starting at `ts` in a series of `n_days` from `from`.
fn index(from: i64, ts: i64, n_days: usize) -> Option<usize> {
    let i = (ts - from).div_euclid(cst::HOUR_S);
    (ts >= from && (i as usize) < n_days * 24).then_some(i as usize)
}

/// `YYYY-MM-DD HH:00` hour label (the hour's end, Beijing time) → the hour's start.
pub fn parse_hour_label(text: &str) -> AppResult<i64> {
    cst::parse_minute(text)
        .filter(|t| t % cst::HOUR_S == 0)
        .map(|t| t - cst::HOUR_S)
        .ok_or_else(|| {
            bad(format!(
                "时刻须为 YYYY-MM-DD HH:00（北京时间，时段结束时刻） / hour {text:?}: expected YYYY-MM-DD HH:00"
            ))
        })
}

/// An alarm as a list shows it.
#[derive(Clone, Debug, Serialize)]
pub struct AlarmView {
    pub id: i64,
    pub station: String,
    pub station_name: String,
    pub pollutant: Option<Pollutant>,
    pub rule: Rule,
    pub rule_zh: &'static str,
    pub rule_en: &'static str,
    pub severity: Severity,
    pub severity_zh: &'static str,
    /// First and last hour, `YYYY-MM-DD HH:00` labels (the hour's end, Beijing time).
    pub start: String,
    pub end: String,
    pub hours: i64,
    /// Why, in the reader's language.
    pub why: String,
    pub state: AlarmState,
    pub reviews_n: i64,
    /// An outlet's alarm every hour of which an approved enterprise declaration now covers
    /// (issue 22): found before the declaration was approved, shown as declared (已申报).
    pub declared: Option<lantian_core::declaration::Kind>,
}

fn view(a: &AlarmRow, names: &HashMap<String, Station>, en: bool) -> AlarmView {
    let (rule_zh, rule_en) = rule_names(a.alarm.rule);
    AlarmView {
        id: a.id,
        station: a.alarm.station_id.clone(),
        station_name: names
            .get(&a.alarm.station_id)
            .map_or_else(|| a.alarm.station_id.clone(), |s| s.name.clone()),
        pollutant: a.alarm.pollutant,
        rule: a.alarm.rule,
        rule_zh,
        rule_en,
        severity: a.alarm.severity,
        severity_zh: severity_zh(a.alarm.severity),
        start: hour_label_text(a.alarm.first_ts),
        end: hour_label_text(a.alarm.last_ts),
        hours: (a.alarm.last_ts - a.alarm.first_ts) / cst::HOUR_S + 1,
        why: if en && !a.alarm.why_en.is_empty() {
            a.alarm.why_en.clone()
        } else {
            a.alarm.why_zh.clone()
        },
        state: a.state,
        reviews_n: a.reviews_n,
        declared: None,
    }
}

/// Marks the outlets' alarms every hour of which an approved declaration covers (for the
/// alarm's channel, or the whole outlet when the alarm names none).
fn mark_declared(
    app: &App,
    views: &mut [AlarmView],
    rows: &[&AlarmRow],
    owners: &HashMap<String, String>,
) -> AppResult<()> {
    let outlet_rows: Vec<(usize, &&AlarmRow)> = rows
        .iter()
        .enumerate()
        .filter(|(_, a)| owners.contains_key(&a.alarm.station_id))
        .collect();
    let (Some(from), Some(to)) = (
        outlet_rows.iter().map(|(_, a)| a.alarm.first_ts).min(),
        outlet_rows.iter().map(|(_, a)| a.alarm.last_ts).max(),
    ) else {
        return Ok(());
    };
    let cov = crate::declarations::coverage(app, &[], from, to + cst::HOUR_S)?;
    for (i, a) in outlet_rows {
        let Some(c) = cov.get(&a.alarm.station_id) else {
            continue;
        };
        let code = a
            .alarm
            .pollutant
            .map(Pollutant::hj212_code)
            .or_else(|| lantian_store::integrity::cems_channel(&a.alarm));
        let mut kind = None;
        let mut all = true;
        let mut ts = a.alarm.first_ts;
        while ts <= a.alarm.last_ts && all {
            let k = match code {
                Some(code) => c.covering(ts, code),
                None => c.whole(ts),
            };
            all = k.is_some();
            kind = kind.or(k);
            ts += cst::HOUR_S;
        }
        if all {
            views[i].declared = kind;
        }
    }
    Ok(())
}

fn stations_by_id(app: &App) -> AppResult<HashMap<String, Station>> {
    Ok(app
        .store
        .stations()?
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect())
}

/// Alarms the caller sees that pass `f` (a township: its own stations'), newest first.
pub fn alarms(app: &App, caller: &Caller, f: &AlarmFilter, en: bool) -> AppResult<Vec<AlarmView>> {
    Ok(alarms_page(app, caller, f, en, Page::ALL)?.items)
}

/// A page of the alarms the caller sees that pass `f` (a township: its own stations'),
/// newest first, and how many there are: the page is cut in SQL, among the stations the
/// caller sees.
pub fn alarms_page(
    app: &App,
    caller: &Caller,
    f: &AlarmFilter,
    en: bool,
    page: Page,
) -> AppResult<Paged<AlarmView>> {
    caller.require()?;
    let stations = stations_by_id(app)?;
    let owners = outlet_owners(app)?;
    if let Some(id) = &f.station_id {
        let s = station(&stations, id)?;
        app.allow(
            caller,
            "integrity.alarms",
            id,
            sees_alarms_of(caller, s, &owners),
        )?;
    } else {
        // A role that sees no station's alarms is refused, not shown an empty list.
        app.allow(
            caller,
            "integrity.alarms",
            "stations",
            policy::integrity_list(caller),
        )?;
    }
    let visible: Vec<&str> = stations
        .values()
        .filter(|s| sees_alarms_of(caller, s, &owners).is_ok())
        .map(|s| s.id.as_str())
        .collect();
    // Every station's (and a removed station's): no condition on the station.
    let everything = visible.len() == stations.len() && policy::sees_integrity(caller, None);
    let stored = app
        .store
        .alarms_page(f, (!everything).then_some(visible.as_slice()), page)?;
    let rows: Vec<&AlarmRow> = stored.items.iter().collect();
    let mut views: Vec<AlarmView> = rows.iter().map(|a| view(a, &stations, en)).collect();
    mark_declared(app, &mut views, &rows, &owners)?;
    Ok(Paged {
        items: views,
        total: stored.total,
    })
}

/// The enterprise of each registered outlet.
fn outlet_owners(app: &App) -> AppResult<HashMap<String, String>> {
    Ok(app
        .store
        .outlets(None)?
        .into_iter()
        .map(|o| (o.id, o.enterprise_id))
        .collect())
}

/// Whether the caller sees the alarms of `s`: an outlet's by its enterprise, a station's by
/// its unit (the decisions are `policy`'s).
fn sees_alarms_of(caller: &Caller, s: &Station, owners: &HashMap<String, String>) -> AppResult<()> {
    match owners.get(&s.id) {
        Some(enterprise) if s.role == StationRole::Outlet => {
            policy::integrity_outlet(caller, enterprise)
        }
        _ => policy::integrity_station(caller, s.admin_unit_id.as_deref()),
    }
}

fn station<'a>(stations: &'a HashMap<String, Station>, id: &str) -> AppResult<&'a Station> {
    stations
        .get(id)
        .ok_or_else(|| AppError::NotFound(format!("station {id}")))
}

/// One alarm with everything a reviewer needs.
#[derive(Clone, Debug, Serialize)]
pub struct AlarmDetail {
    pub alarm: AlarmFull,
    pub evidence: Evidence,
    pub reviews: Vec<ReviewView>,
    pub work_orders: Vec<WorkOrderView>,
    /// The level at which the caller would review it now (none: may not).
    pub review_level: Option<ReviewLevel>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AlarmFull {
    #[serde(flatten)]
    pub view: AlarmView,
    pub why_zh: String,
    pub why_en: String,
    pub figures: Vec<Figure>,
    pub neighbours: Vec<String>,
    /// Handed over to enforcement: by whom, when (Beijing time), with what note.
    pub escalation: Option<EscalationView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EscalationView {
    pub who: String,
    pub at: String,
    pub note: String,
}

fn escalation_view(e: &Escalation) -> EscalationView {
    EscalationView {
        who: e.who.clone(),
        at: cst::format_unix_ms(e.at_ms),
        note: e.note.clone(),
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Figure {
    pub name: String,
    pub value: f64,
}

/// The series around an episode: hour labels, the station's and its neighbours' values of
/// the pollutant (raw, as the rules saw them), humidity if measured.
#[derive(Clone, Debug, Serialize)]
pub struct Evidence {
    pub pollutant: Pollutant,
    /// The HJ 212 code of the series shown (an outlet's NOx, particulate matter, O2 or flow
    /// when the alarm is about one; else the pollutant's).
    pub code: String,
    /// The series' unit when it is not the pollutant's ambient one (an outlet's CEMS).
    pub unit: Option<&'static str>,
    pub hours: Vec<String>,
    pub series: std::collections::BTreeMap<String, Vec<Option<f64>>>,
    pub humidity: Option<Vec<Option<f64>>>,
    /// Neighbours whose data the caller may not see (a township: another's station).
    pub hidden: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ReviewView {
    pub level: ReviewLevel,
    pub outcome: Outcome,
    pub reason: String,
    pub who: String,
    /// Beijing time.
    pub at: String,
}

fn review_view(r: &Review) -> ReviewView {
    ReviewView {
        level: r.level,
        outcome: r.outcome,
        reason: r.reason.clone(),
        who: r.who.clone(),
        at: cst::format_unix_ms(r.at_ms),
    }
}

/// The alarm and its station, if the caller sees it.
fn alarm_of(app: &App, caller: &Caller, id: i64, act: &str) -> AppResult<(AlarmRow, Station)> {
    caller.require()?;
    let a = app
        .store
        .alarm(id)?
        .ok_or_else(|| AppError::NotFound(format!("alarm {id}")))?;
    let s = app
        .store
        .station(&a.alarm.station_id)?
        .ok_or_else(|| AppError::NotFound(format!("station {}", a.alarm.station_id)))?;
    app.allow(
        caller,
        act,
        &format!("alarm:{id}"),
        sees_alarms_of(caller, &s, &outlet_owners(app)?),
    )?;
    Ok((a, s))
}

/// One alarm with its evidence, reviews and work orders.
pub fn alarm(app: &App, caller: &Caller, id: i64, en: bool) -> AppResult<AlarmDetail> {
    let (a, s) = alarm_of(app, caller, id, "integrity.alarm")?;
    let stations = stations_by_id(app)?;
    let pollutant = a.alarm.pollutant.unwrap_or(Pollutant::Pm25);
    let from = a.alarm.first_ts - EVIDENCE_MARGIN_HOURS * cst::HOUR_S;
    let to = (a.alarm.last_ts + (EVIDENCE_MARGIN_HOURS + 1) * cst::HOUR_S)
        .min(from + EVIDENCE_HOURS_MAX * cst::HOUR_S);
    let n = ((to - from) / cst::HOUR_S) as usize;
    let read = |id: &str, code: &str| -> AppResult<Vec<Option<f64>>> {
        let mut v = vec![None; n];
        for h in app.store.hourly(id, code, from, to, View::Raw)? {
            if let Some(i) = index(from, h.ts, n.div_ceil(24)).filter(|i| *i < n) {
                v[i] = Some(h.value);
            }
        }
        Ok(v)
    };
    // An outlet's alarm shows its channel (NOx, particulate matter, O2, flow by their codes).
    let code = lantian_store::integrity::cems_channel(&a.alarm)
        .filter(|_| s.role == StationRole::Outlet)
        .unwrap_or(pollutant.hj212_code());
    let mut series = std::collections::BTreeMap::new();
    series.insert(s.id.clone(), read(&s.id, code)?);
    let mut hidden = Vec::new();
    for nb in &a.alarm.neighbours {
        let sees = stations
            .get(nb)
            .is_some_and(|n| policy::sees_station_data(caller, n.role, n.admin_unit_id.as_deref()));
        if sees {
            series.insert(nb.clone(), read(nb, pollutant.hj212_code())?);
        } else {
            hidden.push(nb.clone());
        }
    }
    let rh = read(&s.id, HUMIDITY_CODE)?;
    let humidity = rh.iter().any(Option::is_some).then_some(rh);
    let reviews = app.store.reviews(id)?;
    let orders = app.store.work_orders(None, None, Some(id))?;
    let today = app.clock.today();
    let kinds = app.store.work_order_kinds()?;
    Ok(AlarmDetail {
        alarm: AlarmFull {
            view: view(&a, &stations, en),
            why_zh: a.alarm.why_zh.clone(),
            why_en: a.alarm.why_en.clone(),
            figures: a
                .alarm
                .figures
                .iter()
                .map(|(name, value)| Figure {
                    name: name.clone(),
                    value: *value,
                })
                .collect(),
            neighbours: a.alarm.neighbours.clone(),
            escalation: a.escalation.as_ref().map(escalation_view),
        },
        evidence: Evidence {
            pollutant,
            code: code.to_owned(),
            unit: (s.role == StationRole::Outlet).then_some(match code {
                lantian_core::cems::O2 => "%",
                lantian_core::cems::FLOW => "m³/h",
                _ => "mg/m³",
            }),
            hours: (0..n as i64)
                .map(|i| hour_label_text(from + i * cst::HOUR_S))
                .collect(),
            series,
            humidity,
            hidden,
        },
        reviews: reviews.iter().map(review_view).collect(),
        work_orders: orders
            .iter()
            .map(|w| order_view(w, &stations, &kinds, today))
            .collect(),
        review_level: policy::review_level(caller, s.admin_unit_id.as_deref()).ok(),
    })
}

/// The levels that must have reviewed before `level` may: the operator first; a township
/// station's township before the bureau.
fn required_before(level: ReviewLevel, role: StationRole) -> &'static [ReviewLevel] {
    match (level, role) {
        (ReviewLevel::Operator, _) => &[],
        (ReviewLevel::Township, _) => &[ReviewLevel::Operator],
        (ReviewLevel::Bureau, StationRole::Township) => {
            &[ReviewLevel::Operator, ReviewLevel::Township]
        }
        (ReviewLevel::Bureau, _) => &[ReviewLevel::Operator],
    }
}

fn level_zh(l: ReviewLevel) -> &'static str {
    match l {
        ReviewLevel::Operator => "运维",
        ReviewLevel::Township => "乡镇",
        ReviewLevel::Bureau => "生态环境局",
    }
}

/// Reviews an alarm at the caller's level (三级审核) with an outcome and a reason; the
/// bureau's outcome sets the alarm's state.
pub fn review(
    app: &App,
    caller: &Caller,
    id: i64,
    outcome: Outcome,
    reason: &str,
) -> AppResult<ReviewView> {
    let (_, s) = alarm_of(app, caller, id, "integrity.review")?;
    let level = app.allow(
        caller,
        "integrity.review",
        &format!("alarm:{id}"),
        policy::review_level(caller, s.admin_unit_id.as_deref()),
    )?;
    if reason.trim().is_empty() {
        return Err(bad("审核须填写理由 / a review needs a reason".into()));
    }
    let done = app.store.reviews(id)?;
    if let Some(missing) = required_before(level, s.role)
        .iter()
        .find(|l| !done.iter().any(|r| r.level == **l))
    {
        return Err(AppError::Conflict(format!(
            "须先由{}审核 / the {} review comes first",
            level_zh(*missing),
            missing
        )));
    }
    let r = Review {
        alarm_id: id,
        seq: 0,
        level,
        outcome,
        reason: reason.trim().to_owned(),
        who: caller.name().to_owned(),
        at_ms: app.clock.now_ms(),
    };
    let state = (level == ReviewLevel::Bureau).then(|| outcome.state());
    app.audited(
        caller,
        "integrity.review",
        &format!("alarm:{id}"),
        &format!("{level}: {outcome}: {}", r.reason),
        || Ok(app.store.add_review(&r, state)?),
    )?;
    Ok(review_view(&r))
}

/// Hands a confirmed alarm over to enforcement with its evidence (the bureau,
/// administrators): once; an alarm the bureau has not confirmed is refused (409).
pub fn escalate(app: &App, caller: &Caller, id: i64, note: &str) -> AppResult<EscalationView> {
    let who = app.allow(
        caller,
        "integrity.escalate",
        &format!("alarm:{id}"),
        policy::integrity(caller, IntegrityAct::Escalate),
    )?;
    if note.trim().is_empty() {
        return Err(bad("移送须填写说明 / a handover needs a note".into()));
    }
    let e = Escalation {
        who,
        at_ms: app.clock.now_ms(),
        note: note.trim().to_owned(),
    };
    app.audited(
        caller,
        "integrity.escalate",
        &format!("alarm:{id}"),
        &e.note,
        || Ok(app.store.escalate_alarm(id, &e)?),
    )?;
    Ok(escalation_view(&e))
}

/// A rule of the library with its record: alarms, the bureau's outcomes, precision.
#[derive(Clone, Debug, Serialize)]
pub struct RuleView {
    pub rule: Rule,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    /// The most severe severity its stored alarms have (none yet: null).
    pub severity: Option<Severity>,
    /// The thresholds of [`Config`] that belong to it.
    pub thresholds: serde_json::Map<String, serde_json::Value>,
    pub alarms: i64,
    pub confirmed: i64,
    pub false_positive: i64,
    /// confirmed / (confirmed + false positive), by the bureau's outcome; null before any.
    pub precision: Option<f64>,
}

/// Every rule with its thresholds and its record (any account that sees alarms).
pub fn rules(app: &App, caller: &Caller) -> AppResult<Vec<RuleView>> {
    caller.require()?;
    app.allow(
        caller,
        "integrity.rules",
        "rules",
        policy::integrity_station(caller, caller.account().and_then(|a| a.unit_id.as_deref())),
    )?;
    let counts: HashMap<Rule, _> = app.store.rule_counts()?.into_iter().collect();
    let mut worst: HashMap<Rule, Severity> = HashMap::new();
    for a in app.store.alarms(&AlarmFilter::default())? {
        let e = worst.entry(a.alarm.rule).or_insert(a.alarm.severity);
        *e = (*e).max(a.alarm.severity);
    }
    let cfg = config(app)?;
    Ok(Rule::ALL
        .iter()
        .map(|r| {
            let c = counts.get(r).copied().unwrap_or_default();
            let (name_zh, name_en) = rule_names(*r);
            let judged = c.confirmed + c.false_positive;
            RuleView {
                rule: *r,
                name_zh,
                name_en,
                severity: worst.get(r).copied(),
                thresholds: cfg
                    .thresholds(*r)
                    .into_iter()
                    // Counts and hours print as integers.
                    .map(|(k, v)| {
                        let whole = v.fract() == 0.0 && v.abs() < 1e15;
                        (k, if whole { json!(v as i64) } else { json!(v) })
                    })
                    .collect(),
                alarms: c.alarms,
                confirmed: c.confirmed,
                false_positive: c.false_positive,
                precision: (judged > 0).then(|| c.confirmed as f64 / judged as f64),
            }
        })
        .collect())
}

/// A work order as shown.
#[derive(Clone, Debug, Serialize)]
pub struct WorkOrderView {
    pub id: i64,
    pub alarm_id: Option<i64>,
    /// Where it came from: an alarm, an outage the scan found, or by hand.
    pub kind: OrderKind,
    pub station: String,
    pub station_name: String,
    pub assignee: String,
    pub deadline: String,
    pub state: WorkOrderState,
    /// Open past its deadline (Beijing date).
    pub overdue: bool,
    pub note: String,
    pub opened_by: String,
    /// Beijing time.
    pub opened: String,
    pub closed_by: Option<String>,
    pub closed: Option<String>,
    pub closing_note: Option<String>,
    /// Hours from opening to closing (time to repair).
    pub repair_hours: Option<f64>,
}

fn order_view(
    w: &WorkOrder,
    stations: &HashMap<String, Station>,
    kinds: &HashMap<i64, OrderKind>,
    today: Date,
) -> WorkOrderView {
    WorkOrderView {
        id: w.id,
        kind: kinds
            .get(&w.id)
            .copied()
            .unwrap_or(if w.alarm_id.is_some() {
                OrderKind::Alarm
            } else {
                OrderKind::Manual
            }),
        alarm_id: w.alarm_id,
        station: w.station_id.clone(),
        station_name: stations
            .get(&w.station_id)
            .map_or_else(|| w.station_id.clone(), |s| s.name.clone()),
        assignee: w.assignee.clone(),
        deadline: w.deadline.clone(),
        state: w.state,
        overdue: w.state == WorkOrderState::Open
            && Date::parse(&w.deadline).is_some_and(|d| today > d),
        note: w.note.clone(),
        opened_by: w.opened_by.clone(),
        opened: cst::format_unix_ms(w.opened_ms),
        closed_by: w.closed_by.clone(),
        closed: w.closed_ms.map(cst::format_unix_ms),
        closing_note: w.closing_note.clone(),
        repair_hours: w
            .closed_ms
            .map(|c| ((c - w.opened_ms) as f64 / 3_600_000.0 * 10.0).round() / 10.0),
    }
}

/// A page of the work orders the caller sees (a township: its stations'), newest first,
/// and how many there are.
pub fn work_orders(
    app: &App,
    caller: &Caller,
    state: Option<WorkOrderState>,
    station_id: Option<&str>,
    page: Page,
) -> AppResult<Paged<WorkOrderView>> {
    caller.require()?;
    let stations = stations_by_id(app)?;
    let unit = match station_id {
        Some(id) => station(&stations, id)?.admin_unit_id.as_deref(),
        None => caller.account().and_then(|a| a.unit_id.as_deref()),
    };
    app.allow(
        caller,
        "integrity.work_orders",
        station_id.unwrap_or("stations"),
        policy::integrity_station(caller, unit),
    )?;
    let today = app.clock.today();
    let kinds = app.store.work_order_kinds()?;
    let visible: Vec<&str> = stations
        .values()
        .filter(|s| policy::sees_integrity(caller, s.admin_unit_id.as_deref()))
        .map(|s| s.id.as_str())
        .collect();
    // Every station's (and a removed station's): no condition on the station.
    let everything = visible.len() == stations.len() && policy::sees_integrity(caller, None);
    Ok(app
        .store
        .work_orders_page(
            state,
            station_id,
            (!everything).then_some(visible.as_slice()),
            page,
        )?
        .map(|w| order_view(&w, &stations, &kinds, today)))
}

/// A work order to open.
#[derive(Clone, Debug)]
pub struct NewWorkOrder {
    pub alarm_id: Option<i64>,
    /// Needed without an alarm; with one, the alarm's station (a different one is refused).
    pub station_id: Option<String>,
    pub assignee: String,
    pub deadline: Date,
    pub note: String,
}

/// Opens a work order, from an alarm or for a station (bureau, administrators, operations).
pub fn open_work_order(app: &App, caller: &Caller, w: NewWorkOrder) -> AppResult<WorkOrderView> {
    let who = app.allow(
        caller,
        "integrity.work_order.open",
        "work_orders",
        policy::integrity(caller, IntegrityAct::OpenWorkOrder),
    )?;
    let station_id = match (w.alarm_id, &w.station_id) {
        (Some(id), given) => {
            let a = app
                .store
                .alarm(id)?
                .ok_or_else(|| AppError::NotFound(format!("alarm {id}")))?;
            if given.as_ref().is_some_and(|g| *g != a.alarm.station_id) {
                return Err(bad(format!(
                    "告警 {id} 属于站点 {} / alarm {id} is of station {}",
                    a.alarm.station_id, a.alarm.station_id
                )));
            }
            a.alarm.station_id
        }
        (None, Some(s)) => s.clone(),
        (None, None) => {
            return Err(bad(
                "须指定告警或站点 / an alarm or a station is needed".into()
            ));
        }
    };
    let stations = stations_by_id(app)?;
    station(&stations, &station_id)?;
    // Without an assignee the order goes to the station's contractor.
    let assignee = crate::integrity_ops::assignee_for(app, &station_id, &w.assignee)?;
    let mut order = WorkOrder {
        id: 0,
        alarm_id: w.alarm_id,
        station_id,
        assignee,
        deadline: w.deadline.to_string(),
        state: WorkOrderState::Open,
        note: w.note,
        opened_by: who,
        opened_ms: app.clock.now_ms(),
        closed_by: None,
        closed_ms: None,
        closing_note: None,
    };
    order.id = app.audited(
        caller,
        "integrity.work_order.open",
        &format!("station:{}", order.station_id),
        &format!(
            "{} → {} by {}",
            order.alarm_id.map_or("-".into(), |a| format!("alarm:{a}")),
            order.assignee,
            order.deadline
        ),
        || Ok(app.store.open_work_order(&order)?),
    )?;
    let kinds = app.store.work_order_kinds()?;
    Ok(order_view(&order, &stations, &kinds, app.clock.today()))
}

/// Closes a work order with a note (the assignee's operations accounts, the bureau,
/// administrators).
pub fn close_work_order(
    app: &App,
    caller: &Caller,
    id: i64,
    note: &str,
) -> AppResult<WorkOrderView> {
    caller.require()?;
    let w = app
        .store
        .work_order(id)?
        .ok_or_else(|| AppError::NotFound(format!("work order {id}")))?;
    let who = app.allow(
        caller,
        "integrity.work_order.close",
        &format!("work_order:{id}"),
        policy::close_work_order(caller, &w.assignee),
    )?;
    if note.trim().is_empty() {
        return Err(bad("关闭工单须填写处理情况 / closing needs a note".into()));
    }
    let at_ms = app.clock.now_ms();
    app.audited(
        caller,
        "integrity.work_order.close",
        &format!("work_order:{id}"),
        note.trim(),
        || Ok(app.store.close_work_order(id, &who, at_ms, note.trim())?),
    )?;
    let w = app
        .store
        .work_order(id)?
        .ok_or_else(|| AppError::NotFound(format!("work order {id}")))?;
    let kinds = app.store.work_order_kinds()?;
    Ok(order_view(
        &w,
        &stations_by_id(app)?,
        &kinds,
        app.clock.today(),
    ))
}

/// A correction as shown.
#[derive(Clone, Debug, Serialize)]
pub struct CorrectionView {
    pub pollutant: String,
    /// `YYYY-MM-DD HH:00`, the hour's end, Beijing time.
    pub hour: String,
    pub action: CorrectionAction,
    pub value: Option<f64>,
    pub reason_code: String,
    pub note: String,
    pub who: String,
    /// Beijing time.
    pub at: String,
    pub rule_set: String,
}

/// A correction to make.
#[derive(Clone, Debug)]
pub struct NewCorrection {
    pub pollutant: Pollutant,
    /// The hour's label, `YYYY-MM-DD HH:00` (its end, Beijing time).
    pub hour: String,
    pub action: CorrectionAction,
    pub value: Option<f64>,
    pub reason_code: String,
    pub note: String,
}

fn correction_view(k: &Correction) -> CorrectionView {
    CorrectionView {
        pollutant: Pollutant::parse(&k.code)
            .map_or_else(|| k.code.clone(), |p| p.name().to_owned()),
        hour: hour_label_text(k.ts),
        action: k.action,
        value: k.value,
        reason_code: k.reason_code.clone(),
        note: k.note.clone(),
        who: k.who.clone(),
        at: cst::format_unix_ms(k.at_ms),
        rule_set: k.rule_set.clone(),
    }
}

/// A page of the corrections of a station's hours, newest first, and how many there are
/// (who sees the station's alarms).
pub fn corrections(
    app: &App,
    caller: &Caller,
    station_id: &str,
    page: Page,
) -> AppResult<Paged<CorrectionView>> {
    caller.require()?;
    let s = app
        .store
        .station(station_id)?
        .filter(|s| s.role.is_ambient())
        .ok_or_else(|| AppError::NotFound(format!("station {station_id}")))?;
    app.allow(
        caller,
        "integrity.corrections",
        station_id,
        policy::integrity_station(caller, s.admin_unit_id.as_deref()),
    )?;
    Ok(app
        .store
        .station_corrections_page(station_id, page)?
        .map(|k| correction_view(&k)))
}

/// Invalidates, corrects or restores one station hour (the bureau, administrators); the
/// audited view applies it. A closed month takes no more corrections.
pub fn correct(
    app: &App,
    caller: &Caller,
    station_id: &str,
    k: NewCorrection,
) -> AppResult<CorrectionView> {
    let who = app.allow(
        caller,
        "integrity.correct",
        station_id,
        policy::integrity(caller, IntegrityAct::Correct),
    )?;
    app.store
        .station(station_id)?
        .filter(|s| s.role.is_ambient())
        .ok_or_else(|| AppError::NotFound(format!("station {station_id}")))?;
    let ts = parse_hour_label(&k.hour)?;
    if k.reason_code.trim().is_empty() {
        return Err(bad("须填写原因代码 / a reason code is needed".into()));
    }
    if k.action == CorrectionAction::Correct && !k.value.is_some_and(f64::is_finite) {
        return Err(bad("修正须给出数值 / a correction needs a value".into()));
    }
    let date = cst::date_of(ts);
    let month = Month::of(date).to_string();
    if app.store.closed_months()?.iter().any(|m| m.month == month) {
        return Err(AppError::Conflict(format!(
            "{month} 已审核关账，不能再修改 / {month} is closed"
        )));
    }
    let c = Correction {
        station_id: station_id.to_owned(),
        code: k.pollutant.hj212_code().to_owned(),
        period: Period::Hour,
        ts,
        action: k.action,
        value: if k.action == CorrectionAction::Correct {
            k.value
        } else {
            None
        },
        reason_code: k.reason_code.trim().to_owned(),
        who,
        at_ms: app.clock.now_ms(),
        rule_set: RuleSet::for_date(date).to_string(),
        note: k.note,
    };
    app.audited(
        caller,
        &format!("integrity.correction.{}", c.action.as_str()),
        &format!("station:{station_id}"),
        &format!("{} {} {}", k.pollutant, k.hour, c.reason_code),
        || Ok(app.store.add_correction(&c)?),
    )?;
    Ok(correction_view(&c))
}

/// A closed month as shown.
#[derive(Clone, Debug, Serialize)]
pub struct MonthView {
    pub month: String,
    pub closed_by: String,
    /// Beijing time.
    pub closed: String,
    pub note: String,
}

/// The months closed after their audit (any account).
pub fn closed_months(app: &App, caller: &Caller) -> AppResult<Vec<MonthView>> {
    caller.require()?;
    Ok(app
        .store
        .closed_months()?
        .into_iter()
        .map(|m| MonthView {
            closed: cst::format_unix_ms(m.closed_ms),
            month: m.month,
            closed_by: m.closed_by,
            note: m.note,
        })
        .collect())
}

/// Closes a month after its corrections (the bureau, administrators): only a month that has
/// ended (HJ 633 §5.1.5: revised in the first days of the next).
pub fn close_month(app: &App, caller: &Caller, month: Month, note: &str) -> AppResult<MonthView> {
    let who = app.allow(
        caller,
        "integrity.month.close",
        &month.to_string(),
        policy::integrity(caller, IntegrityAct::CloseMonth),
    )?;
    if Month::of(app.clock.today()) <= month {
        return Err(bad(format!(
            "{month} 尚未结束，不能关账 / {month} has not ended"
        )));
    }
    let m = ClosedMonth {
        month: month.to_string(),
        closed_by: who,
        closed_ms: app.clock.now_ms(),
        note: note.trim().to_owned(),
    };
    app.audited(
        caller,
        "integrity.month.close",
        &m.month,
        note.trim(),
        || Ok(app.store.close_month(&m)?),
    )?;
    Ok(MonthView {
        closed: cst::format_unix_ms(m.closed_ms),
        month: m.month,
        closed_by: m.closed_by,
        note: m.note,
    })
}

/// A station's operations rates over a month.
#[derive(Clone, Debug, Serialize)]
pub struct StationRates {
    pub station: String,
    pub station_name: String,
    pub days: Vec<DayRates>,
    /// Over the month's days so far.
    pub online_pct: Option<f64>,
    pub capture_pct: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DayRates {
    pub date: String,
    /// Hours with any data over the hours of the day (so far).
    pub online_pct: f64,
    /// Valid values over those expected (hours × pollutants measured).
    pub capture_pct: f64,
}

fn pct(got: u64, want: u64) -> f64 {
    if want == 0 {
        0.0
    } else {
        (got as f64 / want as f64 * 1000.0).round() / 10.0
    }
}

/// The hours the rates of a month cover: its days up to today, the current hour not yet due.
pub(crate) struct RateWindow {
    pub first: Date,
    pub n_days: usize,
    /// CST seconds: the first day's start and the end of the last day covered.
    pub from: i64,
    pub to: i64,
    pub due_hours: usize,
}

impl RateWindow {
    /// `None` for a month that has not begun.
    pub(crate) fn of(app: &App, month: Month) -> Option<RateWindow> {
        let first = month.first_day();
        let today = app.clock.today();
        let n_days =
            (month.n_days() as i64).min(today.days_since_epoch() - first.days_since_epoch() + 1);
        if n_days <= 0 {
            return None;
        }
        let from = cst::day_start(first);
        Some(RateWindow {
            first,
            n_days: n_days as usize,
            from,
            to: from + n_days * cst::DAY_S,
            due_hours: ((cst::hour_start(app.clock.now_cst()) - from) / cst::HOUR_S).max(0)
                as usize,
        })
    }

    /// Per day and over the window: hours online (`online` of an hour range) over hours
    /// due, and values captured (`captured`) over hours due × `per_hour` expected.
    pub(crate) fn rates(
        &self,
        per_hour: u64,
        online: impl Fn(std::ops::Range<usize>) -> u64,
        captured: impl Fn(std::ops::Range<usize>) -> u64,
    ) -> (Vec<DayRates>, Option<f64>, Option<f64>) {
        let (mut on_total, mut cap_total, mut due_total) = (0u64, 0u64, 0u64);
        let mut days = Vec::new();
        for d in 0..self.n_days {
            let due = self.due_hours.saturating_sub(d * 24).min(24);
            if due == 0 {
                break;
            }
            let range = d * 24..d * 24 + due;
            let (on, cap) = (online(range.clone()), captured(range));
            on_total += on;
            cap_total += cap;
            due_total += due as u64;
            days.push(DayRates {
                date: self.first.add_days(d as i64).to_string(),
                online_pct: pct(on, due as u64),
                capture_pct: pct(cap, due as u64 * per_hour),
            });
        }
        (
            days,
            (due_total > 0).then(|| pct(on_total, due_total)),
            (due_total > 0).then(|| pct(cap_total, due_total * per_hour)),
        )
    }
}

/// The pollutants a station measures (all six when its register names none).
pub(crate) fn measured(s: &Station) -> Vec<Pollutant> {
    let m: Vec<Pollutant> = s
        .pollutants
        .iter()
        .filter_map(|c| Pollutant::parse(c))
        .collect();
    if m.is_empty() {
        Pollutant::ALL.to_vec()
    } else {
        m
    }
}

/// Online and capture rates per station and day of `month` (days up to today), for the
/// stations the caller sees.
pub fn rates(app: &App, caller: &Caller, month: Month) -> AppResult<Vec<StationRates>> {
    Ok(rates_page(app, caller, month, Page::ALL)?.items)
}

/// A page of the stations' online and capture rates of `month` (the stations the caller
/// sees, as [`rates`] lists them) and how many stations there are: only the page's stations'
/// hours are read.
pub fn rates_page(
    app: &App,
    caller: &Caller,
    month: Month,
    page: Page,
) -> AppResult<Paged<StationRates>> {
    caller.require()?;
    app.allow(
        caller,
        "integrity.rates",
        &month.to_string(),
        policy::integrity_station(caller, caller.account().and_then(|a| a.unit_id.as_deref())),
    )?;
    let Some(w) = RateWindow::of(app, month) else {
        return Ok(Paged {
            items: Vec::new(),
            total: 0,
        });
    };
    let stations: Vec<Station> = ambient(app)?
        .into_iter()
        .filter(|s| s.role != StationRole::Micro)
        .filter(|s| policy::sees_integrity(caller, s.admin_unit_id.as_deref()))
        .collect();
    let Paged {
        items: stations,
        total,
    } = Paged::cut(stations, page);
    let hours = Hours::load(app, stations, w.first, w.n_days, View::Raw)?;
    let mut out = Vec::new();
    for (s, series) in hours.stations.iter().zip(&hours.series) {
        let measured = measured(s);
        let mut online = vec![false; w.n_days * 24];
        for p in &measured {
            for (i, v) in series.values[p.index()].iter().enumerate() {
                online[i] |= !v.is_nan();
            }
            // An hour sent as invalid (a flag other than N) is online too.
            for pt in
                app.store
                    .series(&s.id, p.hj212_code(), Period::Hour, w.from, w.to, View::Raw)?
            {
                if let Some(i) = index(w.from, pt.ts, w.n_days) {
                    online[i] = true;
                }
            }
        }
        let (days, online_pct, capture_pct) = w.rates(
            measured.len() as u64,
            |r| online[r].iter().filter(|x| **x).count() as u64,
            |r| {
                measured
                    .iter()
                    .map(|p| {
                        series.values[p.index()][r.clone()]
                            .iter()
                            .filter(|v| !v.is_nan())
                            .count() as u64
                    })
                    .sum()
            },
        );
        out.push(StationRates {
            station: s.id.clone(),
            station_name: s.name.clone(),
            days,
            online_pct,
            capture_pct,
        });
    }
    Ok(Paged { items: out, total })
}

/// One contractor's work orders opened in a month: the monthly operations report.
#[derive(Clone, Debug, Serialize)]
pub struct ContractorMonth {
    pub assignee: String,
    pub opened: usize,
    pub closed: usize,
    /// Still open now, and of those past their deadline.
    pub open_now: usize,
    pub overdue: usize,
    /// Time to repair of the closed ones, hours.
    pub repair_hours_mean: Option<f64>,
    pub repair_hours_max: Option<f64>,
    pub stations: Vec<String>,
}

/// Per contractor, the work orders opened in `month` that the caller sees.
pub fn contractor_report(
    app: &App,
    caller: &Caller,
    month: Month,
) -> AppResult<Vec<ContractorMonth>> {
    let orders = work_orders(app, caller, None, None, Page::ALL)?.items;
    let month_text = month.to_string();
    let mut by: std::collections::BTreeMap<String, Vec<&WorkOrderView>> = Default::default();
    for w in orders.iter().filter(|w| w.opened.starts_with(&month_text)) {
        by.entry(w.assignee.clone()).or_default().push(w);
    }
    Ok(by
        .into_iter()
        .map(|(assignee, ws)| {
            let repairs: Vec<f64> = ws.iter().filter_map(|w| w.repair_hours).collect();
            let mut stations: Vec<String> = ws.iter().map(|w| w.station.clone()).collect();
            stations.sort();
            stations.dedup();
            ContractorMonth {
                assignee,
                opened: ws.len(),
                closed: repairs.len(),
                open_now: ws
                    .iter()
                    .filter(|w| w.state == WorkOrderState::Open)
                    .count(),
                overdue: ws.iter().filter(|w| w.overdue).count(),
                repair_hours_mean: (!repairs.is_empty()).then(|| {
                    (repairs.iter().sum::<f64>() / repairs.len() as f64 * 10.0).round() / 10.0
                }),
                repair_hours_max: repairs.iter().copied().reduce(f64::max),
                stations,
            }
        })
        .collect())
}
