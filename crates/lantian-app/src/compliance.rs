//! Verification while a warning is in force (spec §5.6, §7.6): each listed enterprise's
//! measures of the level in effect, hour by hour, against its electricity, working-condition
//! and CEMS data and its gate records; violations with their evidence (the series around
//! them), handed over to enforcement.

use crate::caller::policy::{self, WarningAct};
use crate::emergency::level_at;
use crate::emissions::{self, EquipmentHour, Resolution};
use crate::error::{AppError, AppResult};
use crate::{App, Caller};
use lantian_core::cst;
use lantian_core::org::{EquipmentKind, Grade};
use lantian_core::vehicles::{Direction, barred_in_warning};
use lantian_core::warning::Level;
use lantian_core::warning::reduction::MeasureKind;
use lantian_store::{Equipment, Handover, ReductionMeasure, Warning};
use serde::Serialize;
use std::collections::BTreeMap;

/// What one hour of one measure showed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Complied,
    Violated,
    /// No data that hour.
    NoData,
}

/// One hour of one line under one measure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HourCheck {
    pub enterprise_id: String,
    /// `level:seq`.
    pub measure: String,
    pub equipment: Option<String>,
    pub hour_ts: i64,
    pub verdict: Verdict,
    /// Load (% of normal), or 1/0 running for a stop; `None` for gate entries.
    pub load_pct: Option<f64>,
    pub running: Option<bool>,
    pub detail: String,
    pub detail_en: String,
}

/// Consecutive violated hours of one measure on one line (or one barred truck's entry).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Violation {
    pub enterprise_id: String,
    pub enterprise_name: String,
    pub grade: Option<Grade>,
    pub measure: String,
    pub level: Level,
    pub kind: MeasureKind,
    pub kind_zh: &'static str,
    pub text: String,
    pub equipment: Option<String>,
    pub first_hour_ts: i64,
    pub first_hour: String,
    pub last_hour: String,
    pub hours: u32,
    pub detail: String,
    pub detail_en: String,
    pub handed_over: Option<Handover>,
}

/// An enterprise's compliance during the warning.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnterpriseCompliance {
    pub enterprise_id: String,
    pub name: String,
    pub grade: Option<Grade>,
    pub checked_hours: u32,
    pub complied_hours: u32,
    /// complied ÷ checked, %; `None` without checked hours.
    pub rate_pct: Option<f64>,
    pub violations: usize,
    /// Measures no data can show (outdoor work, self-determined, other).
    pub unverifiable: usize,
    pub no_data_hours: u32,
}

/// The compliance rate of a performance grade.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GradeRate {
    pub grade: String,
    pub enterprises: usize,
    pub checked_hours: u32,
    pub complied_hours: u32,
    pub rate_pct: Option<f64>,
}

/// A warning's verification.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verification {
    pub warning_id: i64,
    /// The hours checked, Beijing time: from the first whole hour in force to the last
    /// before the lift (or now).
    pub from: Option<String>,
    pub until: Option<String>,
    pub enterprises: Vec<EnterpriseCompliance>,
    pub by_grade: Vec<GradeRate>,
    pub violations: Vec<Violation>,
    #[serde(skip)]
    pub checks: Vec<HourCheck>,
}

/// A line's normal load: mean power (kW) of its running hours before the warning.
fn baseline_kw(hours: &[EquipmentHour]) -> Option<f64> {
    let kw: Vec<f64> = hours
        .iter()
        .filter(|h| h.running != Some(false))
        .filter_map(|h| h.power_kw)
        .collect();
    (!kw.is_empty()).then(|| kw.iter().sum::<f64>() / kw.len() as f64)
}

/// The hours in force `[from, until)`: whole hours from the issue to the lift (or now).
fn span(app: &App, w: &Warning) -> AppResult<Option<(i64, i64)>> {
    let Some(issued) = w.issued_ts else {
        return Ok(None);
    };
    let from = cst::hour_start(issued + cst::HOUR_S - 1);
    let end = w.lifted_ts.unwrap_or_else(|| app.clock.now_cst());
    let until = cst::hour_start(end);
    Ok((until > from).then_some((from, until)))
}

/// A line's flow (m³/h) per hour from its outlet's CEMS rows.
fn flows(
    app: &App,
    caller: &Caller,
    outlet: &str,
    from: i64,
    to: i64,
) -> AppResult<BTreeMap<String, f64>> {
    let first = cst::date_of(from);
    let last = cst::date_of(to - 1);
    Ok(
        emissions::outlet_rows(app, caller, outlet, first, last, Resolution::Hour)?
            .into_iter()
            .filter(|r| r.valid)
            .filter_map(|r| Some((r.hour, r.flow?)))
            .collect(),
    )
}

/// Verifies every listed enterprise the caller may see for warning `id`.
pub fn verify(app: &App, caller: &Caller, id: i64) -> AppResult<Verification> {
    caller.require()?;
    let w = app
        .store
        .warning(id)?
        .ok_or_else(|| AppError::NotFound(format!("预警 {id} 不存在 / no warning {id}")))?;
    let events = app.store.warning_events(id)?;
    let handovers = app.store.handovers(id)?;
    let mut out = Verification {
        warning_id: id,
        from: None,
        until: None,
        enterprises: Vec::new(),
        by_grade: Vec::new(),
        violations: Vec::new(),
        checks: Vec::new(),
    };
    let Some((from, until)) = span(app, &w)? else {
        return Ok(out);
    };
    out.from = Some(cst::format_minute(from));
    out.until = Some(cst::format_minute(until));
    let settings = &app.county.profile.emergency;
    let baseline_from = from - i64::from(settings.baseline_days) * cst::DAY_S;
    let measures = app.store.reduction_measures(None)?;
    let equipment = app.store.equipment(None)?;
    let enterprises = app.store.enterprises()?;
    for e in enterprises
        .iter()
        .filter(|e| policy::sees_reduction(caller, &e.id))
        .filter(|e| measures.iter().any(|m| m.enterprise_id == e.id))
    {
        let mine: Vec<&ReductionMeasure> = measures
            .iter()
            .filter(|m| m.enterprise_id == e.id)
            .collect();
        let lines: Vec<&Equipment> = equipment
            .iter()
            .filter(|q| q.enterprise_id == e.id && q.kind == EquipmentKind::Production)
            .collect();
        // Each line's hours before and during the warning, its normal power and flow.
        let mut during: BTreeMap<&str, BTreeMap<i64, EquipmentHour>> = BTreeMap::new();
        let mut normal_kw: BTreeMap<&str, f64> = BTreeMap::new();
        let mut flow_during: BTreeMap<&str, BTreeMap<String, f64>> = BTreeMap::new();
        let mut normal_flow: BTreeMap<&str, f64> = BTreeMap::new();
        for q in &lines {
            let before = emissions::equipment_hours(app, q, baseline_from, from)?;
            if let Some(kw) = baseline_kw(&before) {
                normal_kw.insert(&q.id, kw);
            }
            let hours = emissions::equipment_hours(app, q, from, until)?;
            during.insert(
                &q.id,
                hours
                    .into_iter()
                    .filter_map(|h| Some((cst::parse_minute(&h.hour)?, h)))
                    .collect(),
            );
            if q.meter.is_none()
                && let Some(o) = &q.outlet_id
            {
                let b = flows(app, caller, o, baseline_from, from)?;
                if !b.is_empty() {
                    normal_flow.insert(&q.id, b.values().sum::<f64>() / b.len() as f64);
                }
                flow_during.insert(&q.id, flows(app, caller, o, from, until)?);
            }
        }
        let mut checks: Vec<HourCheck> = Vec::new();
        let mut unverifiable = 0;
        for m in &mine {
            let key = format!("{}:{}", m.measure.level, m.seq);
            let targets: Vec<&Equipment> = match &m.measure.equipment {
                Some(id) => lines.iter().copied().filter(|q| &q.id == id).collect(),
                None => lines.clone(),
            };
            match m.measure.kind {
                MeasureKind::StopLine | MeasureKind::CapLoad => {}
                MeasureKind::TransportBan => {
                    for g in app.store.gate_records(&e.id, from, until)? {
                        let hour = cst::hour_start(g.ts);
                        if level_at(&events, hour) != Some(m.measure.level)
                            || g.direction != Direction::In
                            || !barred_in_warning(g.class, g.fuel, g.standard)
                        {
                            continue;
                        }
                        checks.push(HourCheck {
                            enterprise_id: e.id.clone(),
                            measure: key.clone(),
                            equipment: None,
                            hour_ts: hour,
                            verdict: Verdict::Violated,
                            load_pct: None,
                            running: None,
                            detail: format!(
                                "{} {} 国{}以下柴油货车 {} 驶入",
                                cst::format_minute(g.ts),
                                g.vehicle_type,
                                5,
                                g.plate
                            ),
                            detail_en: format!(
                                "{}: diesel truck {} below China 5 entered",
                                cst::format_minute(g.ts),
                                g.plate
                            ),
                        });
                    }
                    continue;
                }
                _ => {
                    unverifiable += 1;
                    continue;
                }
            }
            for q in targets {
                let mut hour = from;
                while hour < until {
                    if level_at(&events, hour) == Some(m.measure.level) {
                        let h = during.get(q.id.as_str()).and_then(|x| x.get(&hour));
                        let flow = flow_during
                            .get(q.id.as_str())
                            .and_then(|x| x.get(&cst::format_minute(hour)));
                        checks.push(check(
                            m,
                            &key,
                            q,
                            hour,
                            h,
                            normal_kw.get(q.id.as_str()).copied(),
                            flow.copied(),
                            normal_flow.get(q.id.as_str()).copied(),
                            settings.load_tolerance_pct,
                        ));
                    }
                    hour += cst::HOUR_S;
                }
            }
        }
        // Hours of lines judged; barred trucks are violations of their own.
        let judged = |v: Verdict| {
            checks
                .iter()
                .filter(|c| c.equipment.is_some() && c.verdict == v)
                .count() as u32
        };
        let complied = judged(Verdict::Complied);
        let checked = complied + judged(Verdict::Violated);
        let violations = group(e, &mine, &checks, &handovers);
        out.enterprises.push(EnterpriseCompliance {
            enterprise_id: e.id.clone(),
            name: e.name.clone(),
            grade: e.grade,
            checked_hours: checked,
            complied_hours: complied,
            rate_pct: (checked > 0).then(|| 100.0 * f64::from(complied) / f64::from(checked)),
            violations: violations.len(),
            unverifiable,
            no_data_hours: checks
                .iter()
                .filter(|c| c.verdict == Verdict::NoData)
                .count() as u32,
        });
        out.violations.extend(violations);
        out.checks.extend(checks);
    }
    let mut grades: BTreeMap<String, GradeRate> = BTreeMap::new();
    for c in &out.enterprises {
        let g = c
            .grade
            .map_or("未分级".to_owned(), |g| g.as_str().to_owned());
        let r = grades.entry(g.clone()).or_insert(GradeRate {
            grade: g,
            enterprises: 0,
            checked_hours: 0,
            complied_hours: 0,
            rate_pct: None,
        });
        r.enterprises += 1;
        r.checked_hours += c.checked_hours;
        r.complied_hours += c.complied_hours;
    }
    out.by_grade = grades
        .into_values()
        .map(|mut r| {
            r.rate_pct = (r.checked_hours > 0)
                .then(|| 100.0 * f64::from(r.complied_hours) / f64::from(r.checked_hours));
            r
        })
        .collect();
    Ok(out)
}

/// One hour of a stop or a cap on line `q`.
#[allow(clippy::too_many_arguments)]
fn check(
    m: &ReductionMeasure,
    key: &str,
    q: &Equipment,
    hour: i64,
    h: Option<&EquipmentHour>,
    normal_kw: Option<f64>,
    flow: Option<f64>,
    normal_flow: Option<f64>,
    tolerance_pct: f64,
) -> HourCheck {
    let running = h.and_then(|h| h.running);
    // Load: power against the line's normal power, else flow against its normal flow.
    let load_pct = h
        .and_then(|h| h.power_kw)
        .zip(normal_kw)
        .filter(|(_, n)| *n > 0.0)
        .map(|(kw, n)| 100.0 * kw / n)
        .or_else(|| {
            flow.zip(normal_flow)
                .filter(|(_, n)| *n > 0.0)
                .map(|(f, n)| 100.0 * f / n)
        });
    let (verdict, detail, detail_en) = match m.measure.kind {
        MeasureKind::StopLine => match running {
            Some(false) => (
                Verdict::Complied,
                format!("{} 已停运", q.name),
                format!("{} stopped", q.name),
            ),
            Some(true) => (
                Verdict::Violated,
                format!(
                    "应停产，{} 仍在运行{}",
                    q.name,
                    load_pct
                        .map(|l| format!("（负荷 {l:.0}%）"))
                        .unwrap_or_default()
                ),
                format!("{} still running although it must stop", q.name),
            ),
            None => (Verdict::NoData, "无工况数据".into(), "no data".into()),
        },
        _ => {
            let cap = m.measure.cap_pct.unwrap_or(100.0);
            match (load_pct, running) {
                (_, Some(false)) => (
                    Verdict::Complied,
                    format!("{} 已停运", q.name),
                    format!("{} stopped", q.name),
                ),
                (Some(l), _) if l <= cap + tolerance_pct => (
                    Verdict::Complied,
                    format!("{} 负荷 {l:.0}%，上限 {cap:.0}%", q.name),
                    format!("{} at {l:.0} % of normal, cap {cap:.0} %", q.name),
                ),
                (Some(l), _) => (
                    Verdict::Violated,
                    format!("{} 负荷 {l:.0}%，超过限产上限 {cap:.0}%", q.name),
                    format!(
                        "{} at {l:.0} % of normal, above its cap of {cap:.0} %",
                        q.name
                    ),
                ),
                (None, _) => (Verdict::NoData, "无负荷数据".into(), "no load data".into()),
            }
        }
    };
    HourCheck {
        enterprise_id: m.enterprise_id.clone(),
        measure: key.to_owned(),
        equipment: Some(q.id.clone()),
        hour_ts: hour,
        verdict,
        load_pct,
        running,
        detail,
        detail_en,
    }
}

/// Runs of consecutive violated hours of one measure on one line (each barred entry its
/// own), with their handover if any.
fn group(
    e: &lantian_store::Enterprise,
    measures: &[&ReductionMeasure],
    checks: &[HourCheck],
    handovers: &[Handover],
) -> Vec<Violation> {
    let mut out: Vec<Violation> = Vec::new();
    for c in checks.iter().filter(|c| c.verdict == Verdict::Violated) {
        let is_gate = c.equipment.is_none();
        if let Some(v) = out.last_mut()
            && !is_gate
            && v.measure == c.measure
            && v.equipment == c.equipment
            && cst::parse_minute(&v.last_hour) == Some(c.hour_ts - cst::HOUR_S)
        {
            v.last_hour = cst::format_minute(c.hour_ts);
            v.hours += 1;
            continue;
        }
        let Some(m) = measures
            .iter()
            .find(|m| format!("{}:{}", m.measure.level, m.seq) == c.measure)
        else {
            continue;
        };
        out.push(Violation {
            enterprise_id: e.id.clone(),
            enterprise_name: e.name.clone(),
            grade: e.grade,
            measure: c.measure.clone(),
            level: m.measure.level,
            kind: m.measure.kind,
            kind_zh: m.measure.kind.name_zh(),
            text: m.measure.text.clone(),
            equipment: c.equipment.clone(),
            first_hour_ts: c.hour_ts,
            first_hour: cst::format_minute(c.hour_ts),
            last_hour: cst::format_minute(c.hour_ts),
            hours: 1,
            detail: c.detail.clone(),
            detail_en: c.detail_en.clone(),
            handed_over: None,
        });
    }
    for v in &mut out {
        v.handed_over = handovers
            .iter()
            .find(|h| {
                h.enterprise_id == v.enterprise_id
                    && h.measure == v.measure
                    && h.first_hour == v.first_hour_ts
            })
            .cloned();
    }
    out
}

/// A violation's evidence: the line's hours from a day before the warning to its end, with
/// its normal load and the cap, and the hours checked.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evidence {
    pub violation: Violation,
    pub equipment_name: Option<String>,
    pub rated_kw: Option<f64>,
    pub normal_kw: Option<f64>,
    pub cap_pct: Option<f64>,
    /// The line's hours (power, load, running), Beijing time.
    pub hours: Vec<EquipmentHour>,
    pub checks: Vec<HourCheck>,
    pub warning_from: Option<String>,
    pub warning_until: Option<String>,
}

/// The evidence of the violation of `measure` (`level:seq`) starting at `first_hour`
/// (`YYYY-MM-DD HH:MM`) by `enterprise` during warning `id`.
pub fn evidence(
    app: &App,
    caller: &Caller,
    id: i64,
    enterprise: &str,
    measure: &str,
    first_hour: &str,
) -> AppResult<Evidence> {
    if !policy::sees_reduction(caller, enterprise) {
        return app.allow(
            caller,
            "evidence.read",
            enterprise,
            Err(policy::refusal(
                caller,
                "只能查看本企业的核查证据 / only your own enterprise's evidence",
            )),
        );
    }
    let mut all = verify(app, caller, id)?;
    let pos = all
        .violations
        .iter()
        .position(|v| {
            v.enterprise_id == enterprise && v.measure == measure && v.first_hour == first_hour
        })
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "没有这条违规记录 / no such violation: {enterprise} {measure} {first_hour}"
            ))
        })?;
    let v = all.violations.swap_remove(pos);
    let w = app
        .store
        .warning(id)?
        .ok_or_else(|| AppError::NotFound(format!("no warning {id}")))?;
    let (from, until) = span(app, &w)?.unwrap_or((v.first_hour_ts, v.first_hour_ts + cst::HOUR_S));
    let q = match &v.equipment {
        Some(q) => app
            .store
            .equipment(Some(enterprise))?
            .into_iter()
            .find(|x| &x.id == q),
        None => None,
    };
    let (hours, normal_kw) = match &q {
        Some(q) => {
            let before = emissions::equipment_hours(
                app,
                q,
                from - i64::from(app.county.profile.emergency.baseline_days) * cst::DAY_S,
                from,
            )?;
            (
                emissions::equipment_hours(app, q, from - cst::DAY_S, until)?,
                baseline_kw(&before),
            )
        }
        None => (Vec::new(), None),
    };
    let m = app
        .store
        .reduction_measures(Some(enterprise))?
        .into_iter()
        .find(|m| format!("{}:{}", m.measure.level, m.seq) == v.measure);
    let checks = all
        .checks
        .into_iter()
        .filter(|c| {
            c.enterprise_id == enterprise && c.measure == v.measure && c.equipment == v.equipment
        })
        .collect();
    Ok(Evidence {
        equipment_name: q.as_ref().map(|q| q.name.clone()),
        rated_kw: q.as_ref().and_then(|q| q.rated_kw),
        normal_kw,
        cap_pct: m.and_then(|m| m.measure.cap_pct),
        hours,
        checks,
        warning_from: Some(cst::format_minute(from)),
        warning_until: Some(cst::format_minute(until)),
        violation: v,
    })
}

/// Hands a violation over to enforcement (移交执法), once.
pub fn hand_over(
    app: &App,
    caller: &Caller,
    id: i64,
    enterprise: &str,
    measure: &str,
    first_hour: &str,
    note: &str,
) -> AppResult<Handover> {
    let object = format!("{id}/{enterprise}/{measure}");
    let who = app.allow(
        caller,
        "warning.handover",
        &object,
        policy::warning(caller, WarningAct::ManageList),
    )?;
    let v = evidence(app, caller, id, enterprise, measure, first_hour)?.violation;
    if let Some(h) = v.handed_over {
        return Err(AppError::Conflict(format!(
            "已于 {} 移交执法 / already handed over at {}",
            cst::format_minute(h.handed_ts),
            cst::format_minute(h.handed_ts)
        )));
    }
    let h = Handover {
        warning_id: id,
        enterprise_id: enterprise.to_owned(),
        measure: measure.to_owned(),
        first_hour: v.first_hour_ts,
        handed_ts: app.clock.now_cst(),
        actor: who.clone(),
        note: note.chars().take(500).collect(),
    };
    app.audited(caller, "warning.handover", &object, first_hour, || {
        Ok(app.store.hand_over(&h)?)
    })?;
    Ok(h)
}
