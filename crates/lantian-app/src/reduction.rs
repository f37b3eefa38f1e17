//! The emergency reduction list (一厂一策, plan §7(二)): each enterprise's measures per
//! warning level (defaults from its performance grade), its baseline emissions (CEMS
//! history, else its permit), the reduction each level is estimated to achieve against the
//! share the level requires, and the list in the layout a province circulates (xlsx, merged
//! enterprise cells), imported all or nothing.

use crate::caller::policy::{self, WarningAct};
use crate::emissions::{self, Resolution};
use crate::error::{AppError, AppResult};
use crate::table_xlsx;
use crate::{App, Caller};
use lantian_core::Date;
use lantian_core::ledger::import::RowProblem;
use lantian_core::org::{EquipmentKind, Grade};
use lantian_core::warning::Level;
use lantian_core::warning::reduction::{
    Balance, Measure, MeasureKind, Pollutant, Required, balance, default_measures, estimated_cut,
};
use lantian_store::{Enterprise, Equipment, Permit, ReductionMeasure};
use serde::Serialize;
use std::collections::BTreeMap;

/// The baseline is the mean emission of this many days before the list's day.
pub const BASELINE_DAYS: i64 = 30;
/// Days per year, for permits in tonnes per year.
const DAYS_PER_YEAR: f64 = 365.0;

/// An enterprise's baseline emission of a pollutant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Baseline {
    pub pollutant: Pollutant,
    pub kg_day: f64,
    /// `cems` (mean of its valid CEMS hours × 24) or `permit` (permitted t/a ÷ 365).
    pub source: &'static str,
}

/// A measure as shown.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MeasureView {
    pub seq: i64,
    #[serde(flatten)]
    pub measure: Measure,
    pub level_zh: &'static str,
    pub kind_zh: &'static str,
    pub equipment_name: Option<String>,
    /// Whether monitoring data can show compliance (a stop or a cap on a line with a meter,
    /// status or CEMS; a transport ban with gate records).
    pub verifiable: bool,
}

/// What an enterprise's measures of one level are estimated to cut.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LevelCut {
    pub level: Level,
    /// Per pollutant: the share of its emissions cut (%) and kg/day.
    pub cuts: Vec<Cut>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cut {
    pub pollutant: Pollutant,
    pub pct: f64,
    pub kg_day: f64,
}

/// One enterprise on the list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entry {
    pub enterprise_id: String,
    pub name: String,
    pub industry: Option<String>,
    pub grade: Option<Grade>,
    pub unit_name: Option<String>,
    pub permit_no: Option<String>,
    pub demo: bool,
    pub measures: Vec<MeasureView>,
    pub baseline: Vec<Baseline>,
    pub by_level: Vec<LevelCut>,
}

/// A level's total against what it requires.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LevelSummary {
    pub level: Level,
    pub level_zh: &'static str,
    pub required: Required,
    pub balances: Vec<Balance>,
    pub so2_nox_together: bool,
    /// Whether the list misses the requirement for some pollutant.
    pub shortfall: bool,
    pub message: String,
    pub message_en: String,
}

/// The list: enterprises, the levels' balances, and the enterprises with a grade or
/// emissions that have no measures yet.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReductionList {
    /// The day the baselines end (the day before it is the last counted).
    pub day: String,
    pub entries: Vec<Entry>,
    pub levels: Vec<LevelSummary>,
    pub unlisted: Vec<String>,
}

/// Each enterprise's baselines.
type Baselines = BTreeMap<String, Vec<Baseline>>;
/// Each outlet's baseline kg/day by pollutant.
type OutletBaselines = BTreeMap<(String, Pollutant), f64>;

/// Baselines of every enterprise the caller may see, from `BASELINE_DAYS` before `day`.
fn baselines(
    app: &App,
    caller: &Caller,
    enterprises: &[Enterprise],
    day: Date,
) -> AppResult<(Baselines, OutletBaselines)> {
    let first = day.add_days(-BASELINE_DAYS);
    let last = day.add_days(-1);
    let permits = app.store.permits()?;
    let outlets = app.store.outlets(None)?;
    let mut out = BTreeMap::new();
    // Each outlet's baseline kg/day by pollutant, for the lines' shares.
    let mut per_outlet: BTreeMap<(String, Pollutant), f64> = BTreeMap::new();
    for e in enterprises {
        let mut base: Vec<Baseline> = Vec::new();
        for o in outlets.iter().filter(|o| o.enterprise_id == e.id) {
            let rows = emissions::outlet_rows(app, caller, &o.id, first, last, Resolution::Hour)?;
            for p in [Pollutant::So2, Pollutant::Nox, Pollutant::Pm] {
                let hours: Vec<f64> = rows
                    .iter()
                    .filter(|r| r.code == p.code() && r.valid && !r.stopped)
                    .filter_map(|r| r.emission_kg)
                    .collect();
                if hours.is_empty() {
                    continue;
                }
                // Stopped hours emit (almost) nothing: the mean over all valid hours.
                let all = rows
                    .iter()
                    .filter(|r| r.code == p.code() && r.valid)
                    .count();
                let kg_day = hours.iter().sum::<f64>() / all as f64 * 24.0;
                *per_outlet.entry((o.id.clone(), p)).or_default() += kg_day;
                match base.iter_mut().find(|b| b.pollutant == p) {
                    Some(b) => b.kg_day += kg_day,
                    None => base.push(Baseline {
                        pollutant: p,
                        kg_day,
                        source: "cems",
                    }),
                }
            }
        }
        for p in permits.iter().filter(|p| p.enterprise_id == e.id) {
            if !base.iter().any(|b| b.pollutant == p.pollutant) {
                base.push(Baseline {
                    pollutant: p.pollutant,
                    kg_day: p.t_per_year * 1000.0 / DAYS_PER_YEAR,
                    source: "permit",
                });
            }
        }
        base.sort_by_key(|b| b.pollutant);
        out.insert(e.id.clone(), base);
    }
    Ok((out, per_outlet))
}

/// A production line's share (0–1) of its enterprise's emissions of `p`: its outlet's share
/// (split among the outlet's lines by rated power), else its share of rated power.
fn line_share(
    equipment: &[Equipment],
    per_outlet: &BTreeMap<(String, Pollutant), f64>,
    total_kg_day: f64,
    id: &str,
    p: Pollutant,
) -> f64 {
    let Some(q) = equipment.iter().find(|q| q.id == id) else {
        return 0.0;
    };
    let lines: Vec<&Equipment> = equipment
        .iter()
        .filter(|x| x.kind == EquipmentKind::Production && x.enterprise_id == q.enterprise_id)
        .collect();
    let by_power = |group: &[&Equipment]| -> f64 {
        let total: f64 = group.iter().filter_map(|x| x.rated_kw).sum();
        match q.rated_kw {
            Some(kw) if total > 0.0 => kw / total,
            _ => 1.0 / group.len().max(1) as f64,
        }
    };
    if let Some(o) = &q.outlet_id
        && total_kg_day > 0.0
        && let Some(kg) = per_outlet.get(&(o.clone(), p))
    {
        let same: Vec<&Equipment> = lines
            .iter()
            .copied()
            .filter(|x| x.outlet_id.as_ref() == Some(o))
            .collect();
        return kg / total_kg_day * by_power(&same);
    }
    by_power(&lines)
}

fn measure_view(m: &ReductionMeasure, equipment: &[Equipment]) -> MeasureView {
    let q = m
        .measure
        .equipment
        .as_ref()
        .and_then(|id| equipment.iter().find(|q| &q.id == id));
    let production: Vec<&Equipment> = equipment
        .iter()
        .filter(|q| q.enterprise_id == m.enterprise_id && q.kind == EquipmentKind::Production)
        .collect();
    let observed =
        |q: &Equipment| q.meter.is_some() || q.status_code.is_some() || q.outlet_id.is_some();
    MeasureView {
        seq: m.seq,
        level_zh: m.measure.level.name_zh(),
        kind_zh: m.measure.kind.name_zh(),
        equipment_name: q.map(|q| q.name.clone()),
        verifiable: match m.measure.kind {
            MeasureKind::StopLine | MeasureKind::CapLoad => match q {
                Some(q) => observed(q),
                None => !production.is_empty() && production.iter().all(|q| observed(q)),
            },
            MeasureKind::TransportBan => true,
            _ => false,
        },
        measure: m.measure.clone(),
    }
}

/// The reduction list as of `day`: every enterprise the caller may see that has measures,
/// a grade or emissions, and (for those who run the workflow) each level's balance.
pub fn list(app: &App, caller: &Caller, day: Date) -> AppResult<ReductionList> {
    caller.require()?;
    let enterprises: Vec<Enterprise> = app
        .store
        .enterprises()?
        .into_iter()
        .filter(|e| policy::sees_reduction(caller, &e.id))
        .collect();
    let measures = app.store.reduction_measures(None)?;
    let equipment = app.store.equipment(None)?;
    let units = app.store.admin_units()?;
    let (base, per_outlet) = baselines(app, caller, &enterprises, day)?;
    let settings = &app.county.profile.emergency;
    let mut entries = Vec::new();
    let mut unlisted = Vec::new();
    for e in &enterprises {
        let mine: Vec<&ReductionMeasure> = measures
            .iter()
            .filter(|m| m.enterprise_id == e.id)
            .collect();
        let baseline = base.get(&e.id).cloned().unwrap_or_default();
        if mine.is_empty() {
            if e.grade.is_some() || !baseline.is_empty() {
                unlisted.push(e.id.clone());
            }
            continue;
        }
        let by_level = Level::ALL
            .iter()
            .map(|&level| {
                let ms: Vec<Measure> = mine
                    .iter()
                    .filter(|m| m.measure.level == level)
                    .map(|m| m.measure.clone())
                    .collect();
                LevelCut {
                    level,
                    cuts: baseline
                        .iter()
                        .map(|b| {
                            let share = |id: &str| {
                                line_share(&equipment, &per_outlet, b.kg_day, id, b.pollutant)
                            };
                            let f = estimated_cut(&ms, share);
                            Cut {
                                pollutant: b.pollutant,
                                pct: f * 100.0,
                                kg_day: f * b.kg_day,
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        entries.push(Entry {
            enterprise_id: e.id.clone(),
            name: e.name.clone(),
            industry: e.industry.clone(),
            grade: e.grade,
            unit_name: e
                .admin_unit_id
                .as_ref()
                .and_then(|u| units.iter().find(|x| &x.id == u))
                .map(|u| u.name_zh.clone()),
            permit_no: e.permit_no.clone(),
            demo: e.demo,
            measures: mine.iter().map(|m| measure_view(m, &equipment)).collect(),
            baseline,
            by_level,
        });
    }
    let levels = if policy::sees_receipts(caller) {
        Level::ALL
            .iter()
            .map(|&level| summary(settings, level, &base, &entries))
            .collect()
    } else {
        Vec::new()
    };
    Ok(ReductionList {
        day: day.to_string(),
        entries,
        levels,
        unlisted,
    })
}

/// A level's balance: the required share of every registered enterprise's baseline against
/// the list's estimated cut.
fn summary(
    settings: &crate::county::EmergencySettings,
    level: Level,
    base: &BTreeMap<String, Vec<Baseline>>,
    entries: &[Entry],
) -> LevelSummary {
    let required = settings.required(level);
    let mut totals: Vec<(Pollutant, f64)> = Pollutant::ALL.iter().map(|p| (*p, 0.0)).collect();
    for b in base.values().flatten() {
        if let Some(t) = totals.iter_mut().find(|t| t.0 == b.pollutant) {
            t.1 += b.kg_day;
        }
    }
    let mut est: Vec<(Pollutant, f64)> = Pollutant::ALL.iter().map(|p| (*p, 0.0)).collect();
    for c in entries
        .iter()
        .flat_map(|e| &e.by_level)
        .filter(|l| l.level == level)
        .flat_map(|l| &l.cuts)
    {
        if let Some(t) = est.iter_mut().find(|t| t.0 == c.pollutant) {
            t.1 += c.kg_day;
        }
    }
    let balances = balance(&required, &totals, &est, settings.so2_nox_together);
    let short: Vec<&Balance> = balances
        .iter()
        .filter(|b| b.shortfall_kg_day > 0.0)
        .collect();
    let (message, message_en) = if balances.is_empty() {
        (
            "尚无排放基数（在线监测或排污许可量），无法核算减排比例".to_owned(),
            "no baseline emissions yet (CEMS or permits): the reduction cannot be estimated"
                .to_owned(),
        )
    } else if short.is_empty() {
        (
            format!("{}预警减排清单满足要求", level.name_zh()),
            format!("the {level} list meets the required reductions"),
        )
    } else {
        let zh: Vec<String> = short
            .iter()
            .map(|b| {
                format!(
                    "{} 缺口 {:.1} kg/日（需 {:.0}%）",
                    b.pollutant, b.shortfall_kg_day, b.required_pct
                )
            })
            .collect();
        let en: Vec<String> = short
            .iter()
            .map(|b| {
                format!(
                    "{} short by {:.1} kg/day (needs {:.0} %)",
                    b.pollutant, b.shortfall_kg_day, b.required_pct
                )
            })
            .collect();
        (
            format!("{}预警减排清单未达要求：{}", level.name_zh(), zh.join("；")),
            format!("the {level} list falls short: {}", en.join("; ")),
        )
    };
    LevelSummary {
        level,
        level_zh: level.name_zh(),
        required,
        shortfall: !short.is_empty(),
        balances,
        so2_nox_together: settings.so2_nox_together,
        message,
        message_en,
    }
}

/// Checks measures for enterprise `id` and numbers them within their levels.
fn checked(app: &App, id: &str, measures: Vec<Measure>) -> Result<Vec<ReductionMeasure>, String> {
    let equipment = app.store.equipment(Some(id)).map_err(|e| e.to_string())?;
    let mut seq: BTreeMap<Level, i64> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, mut m) in measures.into_iter().enumerate() {
        let n = i + 1;
        if let Some(q) = &m.equipment
            && !equipment
                .iter()
                .any(|x| &x.id == q && x.kind == EquipmentKind::Production)
        {
            return Err(format!(
                "措施 {n}：{q} 不是本企业的生产设施 / measure {n}: {q} is not a production line of {id}"
            ));
        }
        match (m.kind, m.cap_pct) {
            (MeasureKind::CapLoad, Some(c)) if (0.0..100.0).contains(&c) => {}
            (MeasureKind::CapLoad, _) => {
                return Err(format!(
                    "措施 {n}：限产须给出 0–100 之间的负荷上限 / measure {n}: a cap needs a load limit below 100 %"
                ));
            }
            (_, Some(_)) => m.cap_pct = None,
            _ => {}
        }
        if m.declared_pct.is_some_and(|p| !(0.0..=100.0).contains(&p)) {
            return Err(format!(
                "措施 {n}：申报减排比例须在 0–100 之间 / measure {n}: a declared reduction is 0–100 %"
            ));
        }
        if m.text.chars().count() > 500 {
            return Err(format!(
                "措施 {n}：内容最长 500 字 / measure {n}: at most 500 characters"
            ));
        }
        if m.text.trim().is_empty() {
            m.text = m.kind.name_zh().to_owned();
        }
        let s = seq.entry(m.level).or_default();
        *s += 1;
        out.push(ReductionMeasure {
            enterprise_id: id.to_owned(),
            seq: *s,
            measure: m,
        });
    }
    Ok(out)
}

/// Replaces an enterprise's measures.
pub fn set_measures(app: &App, caller: &Caller, id: &str, measures: Vec<Measure>) -> AppResult<()> {
    app.allow(
        caller,
        "reduction.set",
        id,
        policy::warning(caller, WarningAct::ManageList),
    )?;
    if app.store.enterprise(id)?.is_none() {
        return Err(AppError::NotFound(format!(
            "企业 {id} 不存在 / no enterprise {id}"
        )));
    }
    let rows = checked(app, id, measures).map_err(AppError::BadRequest)?;
    let detail = format!("{} measures", rows.len());
    app.audited(caller, "reduction.set", id, &detail, || {
        Ok(app.store.replace_reduction_measures(&rows, &[id])?)
    })
}

/// Gives every graded enterprise without measures (or the one named) its grade's default
/// measures; returns how many enterprises got them.
pub fn apply_defaults(app: &App, caller: &Caller, only: Option<&str>) -> AppResult<usize> {
    let object = only.unwrap_or("*");
    app.allow(
        caller,
        "reduction.defaults",
        object,
        policy::warning(caller, WarningAct::ManageList),
    )?;
    let listed = app.store.reduction_measures(None)?;
    let mut rows = Vec::new();
    let mut n = 0;
    for e in app.store.enterprises()? {
        let Some(grade) = e.grade else { continue };
        if only.is_some_and(|o| o != e.id)
            || (only.is_none() && listed.iter().any(|m| m.enterprise_id == e.id))
        {
            continue;
        }
        let ms: Vec<Measure> = Level::ALL
            .iter()
            .flat_map(|&level| {
                default_measures(grade, level)
                    .into_iter()
                    .map(move |(kind, cap)| Measure {
                        level,
                        kind,
                        equipment: None,
                        cap_pct: cap,
                        declared_pct: None,
                        text: match cap {
                            Some(c) => format!(
                                "{}，负荷不高于正常的 {c:.0}%（按绩效等级 {grade} 默认）",
                                kind.name_zh()
                            ),
                            None => format!("{}（按绩效等级 {grade} 默认）", kind.name_zh()),
                        },
                    })
            })
            .collect();
        rows.extend(checked(app, &e.id, ms).map_err(AppError::BadRequest)?);
        n += 1;
    }
    let ids: Vec<String> = rows.iter().map(|r| r.enterprise_id.clone()).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    app.audited(
        caller,
        "reduction.defaults",
        object,
        &format!("{n} enterprises"),
        || Ok(app.store.replace_reduction_measures(&rows, &ids)?),
    )?;
    Ok(n)
}

/// Sets an enterprise's permitted annual emissions (t/a).
pub fn set_permits(
    app: &App,
    caller: &Caller,
    id: &str,
    permits: &[(Pollutant, f64)],
) -> AppResult<()> {
    app.allow(
        caller,
        "reduction.permits",
        id,
        policy::warning(caller, WarningAct::ManageList),
    )?;
    if app.store.enterprise(id)?.is_none() {
        return Err(AppError::NotFound(format!(
            "企业 {id} 不存在 / no enterprise {id}"
        )));
    }
    if let Some((p, t)) = permits.iter().find(|(_, t)| !t.is_finite() || *t < 0.0) {
        return Err(AppError::BadRequest(format!(
            "{p} 许可量 {t} 无效 / permit {t} t/a is not valid"
        )));
    }
    let rows: Vec<Permit> = permits
        .iter()
        .map(|(p, t)| Permit {
            enterprise_id: id.to_owned(),
            pollutant: *p,
            t_per_year: *t,
        })
        .collect();
    let detail = format!("{} values", rows.len());
    app.audited(caller, "reduction.permits", id, &detail, || {
        Ok(app.store.set_permits(&rows)?)
    })
}

/// The columns of the list's workbook, as a province circulates it.
pub const COLUMNS: [(&str, f64); 12] = [
    ("序号", 6.0),
    ("企业编号", 12.0),
    ("企业名称", 24.0),
    ("所在乡镇", 10.0),
    ("行业", 10.0),
    ("绩效分级", 8.0),
    ("排污许可证编号", 20.0),
    ("预警级别", 8.0),
    ("减排措施类型", 14.0),
    ("涉及生产线（设施）编号", 14.0),
    ("负荷上限或申报减排比例（%）", 12.0),
    ("具体措施", 40.0),
];

/// The list as a workbook (one row per measure; the enterprise's cells merged).
pub fn xlsx(app: &App, caller: &Caller, day: Date) -> AppResult<Vec<u8>> {
    let l = list(app, caller, day)?;
    let mut rows = Vec::new();
    let mut keys = Vec::new();
    for (i, e) in l.entries.iter().enumerate() {
        for m in &e.measures {
            let pct = m.measure.cap_pct.or(m.measure.declared_pct);
            rows.push(vec![
                (i + 1).to_string(),
                e.enterprise_id.clone(),
                e.name.clone(),
                e.unit_name.clone().unwrap_or_default(),
                e.industry.clone().unwrap_or_default(),
                e.grade.map(|g| g.as_str().to_owned()).unwrap_or_default(),
                e.permit_no.clone().unwrap_or_default(),
                m.level_zh.to_owned(),
                m.kind_zh.to_owned(),
                m.measure.equipment.clone().unwrap_or_default(),
                pct.map(|p| format!("{p}")).unwrap_or_default(),
                m.measure.text.clone(),
            ]);
            keys.push(e.enterprise_id.clone());
        }
    }
    let merges: Vec<(u16, Vec<String>)> = (0..7).map(|c| (c, keys.clone())).collect();
    let title = format!("{}重污染天气应急减排清单", app.county.profile.name_zh);
    table_xlsx::write(&table_xlsx::Table {
        title: &title,
        sheet: "减排清单",
        columns: &COLUMNS,
        rows: &rows,
        merges: &merges,
    })
    .map_err(AppError::Internal)
}

/// What an import of the list found.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ImportReport {
    pub enterprises: usize,
    pub measures: usize,
    pub errors: Vec<RowProblem>,
    pub dry_run: bool,
}

fn level_of(text: &str) -> Option<Level> {
    let t = text.trim().trim_end_matches("预警");
    Level::ALL
        .iter()
        .copied()
        .find(|l| l.as_str() == t || l.name_zh() == t || l.response_zh() == t)
}

fn kind_of(text: &str) -> Option<MeasureKind> {
    let t = text.trim();
    MeasureKind::ALL
        .iter()
        .copied()
        .find(|k| k.as_str() == t || k.name_zh() == t || k.name_zh().split('（').next() == Some(t))
}

/// Reads the list (rows of cells, as [`xlsx`] writes it: a title, the header, one row per
/// measure, an empty enterprise cell continuing the enterprise above) and, without errors
/// and unless `dry_run`, replaces the measures of every enterprise it names: all or nothing.
pub fn import(
    app: &App,
    caller: &Caller,
    rows: &[Vec<String>],
    dry_run: bool,
) -> AppResult<ImportReport> {
    app.allow(
        caller,
        "reduction.import",
        "reduction_measures",
        policy::warning(caller, WarningAct::ManageList),
    )?;
    let mut report = ImportReport {
        dry_run,
        ..ImportReport::default()
    };
    let Some(header) = rows
        .iter()
        .position(|r| r.get(1).is_some_and(|c| c.trim() == COLUMNS[1].0))
    else {
        report.errors.push(RowProblem {
            row: 1,
            problem: format!(
                "找不到表头（第二列应为“{}”）/ no header row (column 2 must be {})",
                COLUMNS[1].0, COLUMNS[1].0
            ),
        });
        return Ok(report);
    };
    let known: Vec<String> = app.store.enterprises()?.into_iter().map(|e| e.id).collect();
    let mut by_enterprise: BTreeMap<String, Vec<Measure>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for (i, r) in rows.iter().enumerate().skip(header + 1) {
        let row = i + 1;
        let cell = |c: usize| r.get(c).map(|s| s.trim()).unwrap_or("");
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut problem = |p: String| report.errors.push(RowProblem { row, problem: p });
        if !cell(1).is_empty() {
            current = Some(cell(1).to_owned());
        }
        let Some(id) = current.clone() else {
            problem("没有企业编号 / no enterprise id".into());
            continue;
        };
        if !known.contains(&id) {
            problem(format!(
                "企业编号 {id} 未登记 / enterprise {id} is not registered"
            ));
            continue;
        }
        let Some(level) = level_of(cell(7)) else {
            problem(format!(
                "预警级别 {:?} 应为 黄色、橙色 或 红色 / level must be yellow, orange or red",
                cell(7)
            ));
            continue;
        };
        let Some(kind) = kind_of(cell(8)) else {
            let names: Vec<&str> = MeasureKind::ALL.iter().map(|k| k.name_zh()).collect();
            problem(format!(
                "措施类型 {:?} 应为 {} 之一 / unknown measure kind",
                cell(8),
                names.join("、")
            ));
            continue;
        };
        let pct = match cell(10) {
            "" => None,
            t => match t.trim_end_matches('%').parse::<f64>() {
                Ok(v) => Some(v),
                Err(_) => {
                    problem(format!(
                        "比例 {t:?} 不是数字 / percentage {t:?} is not a number"
                    ));
                    continue;
                }
            },
        };
        let (cap_pct, declared_pct) = if kind == MeasureKind::CapLoad {
            (pct, None)
        } else {
            (None, pct)
        };
        by_enterprise.entry(id).or_default().push(Measure {
            level,
            kind,
            equipment: Some(cell(9)).filter(|s| !s.is_empty()).map(str::to_owned),
            cap_pct,
            declared_pct,
            text: cell(11).to_owned(),
        });
    }
    let mut all = Vec::new();
    for (id, ms) in by_enterprise {
        match checked(app, &id, ms) {
            Ok(rows) => all.extend(rows),
            Err(p) => report.errors.push(RowProblem {
                row: 0,
                problem: format!("{id}: {p}"),
            }),
        }
    }
    report.measures = all.len();
    let mut ids: Vec<&str> = all.iter().map(|m| m.enterprise_id.as_str()).collect();
    ids.dedup();
    report.enterprises = ids.len();
    if !report.errors.is_empty() || dry_run {
        return Ok(report);
    }
    let detail = format!(
        "{} enterprises, {} measures",
        report.enterprises, report.measures
    );
    app.audited(
        caller,
        "reduction.import",
        "reduction_measures",
        &detail,
        || Ok(app.store.replace_reduction_measures(&all, &[])?),
    )?;
    Ok(report)
}

/// [`import`] of a file handed over: the caller's right is checked before it is read.
pub fn import_file(
    app: &App,
    caller: &Caller,
    bytes: &[u8],
    dry_run: bool,
) -> AppResult<ImportReport> {
    app.allow(
        caller,
        "reduction.import",
        "reduction_measures",
        policy::warning(caller, WarningAct::ManageList),
    )?;
    import(
        app,
        caller,
        &crate::upload::cells(bytes, "upload")?,
        dry_run,
    )
}
