//! The pollution-source register: enterprises, their outlets (with emission limits) and
//! equipment, who sees them, and the enterprise list in the layout a bureau keeps (one row
//! per outlet, the enterprise's cells merged over its outlets), imported and exported as
//! Excel.

use crate::caller::policy;
use crate::error::{AppError, AppResult};
use crate::{App, Caller};
use lantian_core::cems;
use lantian_core::ledger::import::RowProblem;
use lantian_core::org::{Grade, OutletKind};
use lantian_core::series::StationRole;
use lantian_store::{Enterprise, Equipment, Limit, Outlet};
use serde::Serialize;

/// The columns of the enterprise list, in order. The first eleven are the enterprise's
/// (merged over its outlet rows), the rest an outlet's.
pub const COLUMNS: [&str; 19] = [
    "企业编号",
    "企业名称",
    "统一社会信用代码",
    "所属乡镇",
    "行业",
    "绩效分级",
    "重点排污单位",
    "排污许可证编号",
    "经度",
    "纬度",
    "清洁运输目标(%)",
    "排放口编号",
    "排放口名称",
    "排气筒高度(m)",
    "基准氧含量(%)",
    "二氧化硫限值(mg/m³)",
    "氮氧化物限值(mg/m³)",
    "颗粒物限值(mg/m³)",
    "限值依据",
];

/// Enterprise columns: the first eleven.
const ENTERPRISE_COLUMNS: usize = 11;
/// The first outlet column (排放口编号).
const OUTLET: usize = ENTERPRISE_COLUMNS;
/// The limit columns and their codes.
const LIMIT_COLUMNS: [(usize, &str); 3] = [
    (OUTLET + 4, "a21026"),
    (OUTLET + 5, "a21002"),
    (OUTLET + 6, "a34013"),
];
/// 限值依据.
const LIMIT_SOURCE: usize = OUTLET + 7;

/// An enterprise as a caller may see it, with its outlets.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnterpriseView {
    #[serde(flatten)]
    pub enterprise: Enterprise,
    /// The unit's Chinese and English names.
    pub unit_name: Option<String>,
    pub unit_name_en: Option<String>,
    pub outlets: Vec<Outlet>,
    pub equipment: Vec<Equipment>,
    /// What the caller may do to it.
    pub allowed: Vec<policy::EnterpriseAct>,
}

/// The enterprises the caller may see: all for the bureau, operations, departments and
/// townships; its own for an enterprise account; the register for the public, with the
/// outlets of those that disclose their monitoring data.
pub fn list(app: &App, caller: &Caller) -> AppResult<Vec<EnterpriseView>> {
    views(app, caller, |e| policy::sees_enterprise(caller, &e.id))
}

/// The enterprises `keep` keeps, as the caller may see them.
fn views(
    app: &App,
    caller: &Caller,
    keep: impl Fn(&Enterprise) -> bool,
) -> AppResult<Vec<EnterpriseView>> {
    let units = app.store.admin_units()?;
    let outlets = app.store.outlets(None)?;
    let equipment = app.store.equipment(None)?;
    Ok(app
        .store
        .enterprises()?
        .into_iter()
        .filter(|e| keep(e))
        .map(|e| {
            let of_it = policy::reads_emissions(caller, &e.id, e.discloses);
            let monitored = policy::sees_monitoring(caller, &e.id);
            // The note goes with the data it is published with.
            let e = Enterprise {
                disclosure_note: e.disclosure_note.filter(|_| of_it),
                ..e
            };
            let unit = units
                .iter()
                .find(|u| Some(&u.id) == e.admin_unit_id.as_ref());
            EnterpriseView {
                unit_name: unit.map(|u| u.name_zh.clone()),
                unit_name_en: unit.map(|u| u.name_en.clone()),
                allowed: policy::enterprise_acts(caller, &e.id),
                outlets: outlets
                    .iter()
                    .filter(|o| of_it && o.enterprise_id == e.id)
                    .cloned()
                    .collect(),
                equipment: equipment
                    .iter()
                    .filter(|q| monitored && q.enterprise_id == e.id)
                    .cloned()
                    .collect(),
                enterprise: e,
            }
        })
        .collect())
}

/// One enterprise, if the caller may see it: as in [`list`], and any enterprise that
/// publishes its data (an enterprise account sees what the public sees).
pub fn get(app: &App, caller: &Caller, id: &str) -> AppResult<EnterpriseView> {
    views(app, caller, |e| {
        e.id == id && (e.discloses || policy::sees_enterprise(caller, &e.id))
    })?
    .pop()
    .ok_or_else(|| AppError::NotFound(format!("enterprise {id}")))
}

fn check_unit(app: &App, unit: Option<&str>) -> AppResult<()> {
    match unit {
        Some(u)
            if !app
                .store
                .admin_units()?
                .iter()
                .any(|x| x.id == u && x.kind.is_township_level()) =>
        {
            Err(AppError::BadRequest(format!(
                "unit {u:?} is not a town, township or zone of this county"
            )))
        }
        _ => Ok(()),
    }
}

/// Registers or updates an enterprise (the bureau, administrators).
pub fn add(app: &App, caller: &Caller, e: Enterprise) -> AppResult<()> {
    app.allow(
        caller,
        "enterprise.save",
        &e.id,
        caller.require_role(policy::MANAGE),
    )?;
    check_unit(app, e.admin_unit_id.as_deref())?;
    app.audited(caller, "enterprise.save", &e.id, &e.name, || {
        Ok(app.store.upsert_enterprise(&e)?)
    })
}

/// Publishes (or withdraws) an enterprise's monitoring data with a note on its treatment
/// measures (plan §9(三)): the enterprise itself, the bureau or administrators.
pub fn disclose(
    app: &App,
    caller: &Caller,
    id: &str,
    discloses: bool,
    note: Option<&str>,
) -> AppResult<()> {
    caller.require()?;
    if !policy::acts_for_enterprise(caller, id) {
        return app.allow(
            caller,
            "enterprise.disclose",
            id,
            Err(AppError::Forbidden(
                "只能公开本企业的信息 / only your own enterprise's".to_owned(),
            )),
        );
    }
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 2000) {
        return Err(AppError::BadRequest(
            "the note is limited to 2,000 characters".to_owned(),
        ));
    }
    let what = if discloses {
        "公开 / public"
    } else {
        "不公开 / withdrawn"
    };
    app.audited(caller, "enterprise.disclose", id, what, || {
        Ok(app.store.set_disclosure(id, discloses, note)?)
    })
}

/// How an outlet's device sends its flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowUnit {
    /// HJ 212-2017: m³/s (converted to m³/h).
    CubicMetresPerSecond,
    CubicMetresPerHour,
}

impl FlowUnit {
    pub fn factor_to_m3_h(self) -> f64 {
        match self {
            FlowUnit::CubicMetresPerSecond => 3600.0,
            FlowUnit::CubicMetresPerHour => 1.0,
        }
    }
}

/// Registers or updates an outlet and its limits (the bureau, administrators).
pub fn add_outlet(app: &App, caller: &Caller, o: Outlet, flow: FlowUnit) -> AppResult<()> {
    app.allow(
        caller,
        "outlet.save",
        &o.id,
        caller.require_role(policy::MANAGE),
    )?;
    app.audited(caller, "outlet.save", &o.id, &o.name, || {
        Ok(app.store.upsert_outlet(&o, flow.factor_to_m3_h())?)
    })
}

/// Registers or updates a piece of equipment (the bureau, administrators).
pub fn add_equipment(app: &App, caller: &Caller, q: Equipment) -> AppResult<()> {
    app.allow(
        caller,
        "equipment.save",
        &q.id,
        caller.require_role(policy::MANAGE),
    )?;
    if q.status_code.is_none() && q.meter.is_none() {
        return Err(AppError::BadRequest(format!(
            "equipment {}: give a status code (SBxxx-RS) or an electricity meter",
            q.id
        )));
    }
    if let Some(m) = &q.meter
        && m.running_min.is_none()
        && q.status_code.is_none()
    {
        return Err(AppError::BadRequest(format!(
            "equipment {}: say at what {} reading it runs",
            q.id, m.kind
        )));
    }
    app.audited(caller, "equipment.save", &q.id, &q.name, || {
        Ok(app.store.upsert_equipment(&q)?)
    })
}

/// What an import found: the enterprises and outlets it would write, and problems by row.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ImportReport {
    pub enterprises: usize,
    pub outlets: usize,
    pub errors: Vec<RowProblem>,
    pub warnings: Vec<RowProblem>,
    pub dry_run: bool,
}

/// Reads the enterprise list (rows of text cells, as from CSV or the first sheet of a
/// workbook) and, without errors and unless `dry_run`, writes it: all or nothing. Rows
/// before the header row (a title) are skipped; an empty enterprise cell continues the
/// enterprise above (merged cells).
pub fn import(
    app: &App,
    caller: &Caller,
    rows: &[Vec<String>],
    dry_run: bool,
) -> AppResult<ImportReport> {
    app.allow(
        caller,
        "enterprise.import",
        "enterprises",
        caller.require_role(policy::MANAGE),
    )?;
    let units = app.store.admin_units()?;
    let (enterprises, outlets, mut report) = parse(rows, |unit| {
        units
            .iter()
            .find(|u| u.kind.is_township_level() && (u.id == unit || u.name_zh == unit))
            .map(|u| u.id.clone())
    });
    report.dry_run = dry_run;
    // An outlet id may be neither a station's nor another enterprise's outlet's.
    let stations = app.store.stations()?;
    let registered = app.store.outlets(None)?;
    for o in &outlets {
        let problem = if stations
            .iter()
            .any(|s| s.id == o.id && s.role != StationRole::Outlet)
        {
            Some(format!(
                "outlet id {} is already a station's or equipment's",
                o.id
            ))
        } else {
            registered
                .iter()
                .find(|r| r.id == o.id && r.enterprise_id != o.enterprise_id)
                .map(|r| format!("outlet id {} is {}'s outlet", o.id, r.enterprise_id))
        };
        if let Some(problem) = problem {
            report.errors.push(RowProblem { row: 0, problem });
        }
    }
    if !report.errors.is_empty() || dry_run {
        return Ok(report);
    }
    let detail = format!(
        "{} enterprises, {} outlets",
        enterprises.len(),
        outlets.len()
    );
    app.audited(caller, "enterprise.import", "enterprises", &detail, || {
        Ok(app.store.upsert_register(
            &enterprises,
            &outlets,
            FlowUnit::CubicMetresPerSecond.factor_to_m3_h(),
        )?)
    })?;
    Ok(report)
}

/// [`import`] of a file handed over (CSV or xlsx bytes): the caller's right is checked before
/// the file is read.
pub fn import_file(
    app: &App,
    caller: &Caller,
    bytes: &[u8],
    dry_run: bool,
) -> AppResult<ImportReport> {
    app.allow(
        caller,
        "enterprise.import",
        "enterprises",
        caller.require_role(policy::MANAGE),
    )?;
    import(
        app,
        caller,
        &crate::upload::cells(bytes, "upload")?,
        dry_run,
    )
}

/// Parses the list; `unit_of` finds a township-level unit by id or Chinese name.
fn parse(
    rows: &[Vec<String>],
    unit_of: impl Fn(&str) -> Option<String>,
) -> (Vec<Enterprise>, Vec<Outlet>, ImportReport) {
    let mut report = ImportReport::default();
    let header = rows
        .iter()
        .position(|r| r.first().is_some_and(|c| c.trim() == COLUMNS[0]));
    let Some(header) = header else {
        report.errors.push(RowProblem {
            row: 1,
            problem: format!("no header row starting with {}", COLUMNS[0]),
        });
        return (Vec::new(), Vec::new(), report);
    };
    let (mut enterprises, mut outlets): (Vec<Enterprise>, Vec<Outlet>) = (Vec::new(), Vec::new());
    // The enterprise the next outlet rows belong to: none yet, or refused (its row has the
    // error), or one read.
    let mut current: Option<Option<usize>> = None;
    for (i, row) in rows.iter().enumerate().skip(header + 1) {
        let n = i + 1;
        let cell = |k: usize| row.get(k).map_or("", |c| c.trim());
        if (0..COLUMNS.len()).all(|k| cell(k).is_empty()) {
            continue;
        }
        let mut problems = Vec::new();
        let number = |k: usize, problems: &mut Vec<String>| -> Option<f64> {
            let c = cell(k);
            if c.is_empty() {
                return None;
            }
            let v = c.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0);
            if v.is_none() {
                problems.push(format!("{} {c:?} is not a number ≥ 0", COLUMNS[k]));
            }
            v
        };
        if !cell(0).is_empty() {
            let grade = match cell(5) {
                "" => None,
                g => {
                    let parsed = Grade::parse(g);
                    if parsed.is_none() {
                        problems.push(format!(
                            "{} {g:?}: expected one of {}",
                            COLUMNS[5],
                            Grade::names()
                        ));
                    }
                    parsed
                }
            };
            let unit = match cell(3) {
                "" => None,
                u => {
                    let found = unit_of(u);
                    if found.is_none() {
                        problems.push(format!(
                            "{} {u:?} is not a town, township or zone of this county",
                            COLUMNS[3]
                        ));
                    }
                    found
                }
            };
            let lon = number(8, &mut problems);
            let lat = number(9, &mut problems);
            let target = number(10, &mut problems);
            if target.is_some_and(|t| t > 100.0) {
                problems.push(format!("{} is a share: at most 100", COLUMNS[10]));
            }
            if cell(1).is_empty() {
                problems.push(format!("{} is empty", COLUMNS[1]));
            }
            if enterprises.iter().any(|e| e.id == cell(0)) {
                problems.push(format!("{} {} appears twice", COLUMNS[0], cell(0)));
            }
            let e = Enterprise {
                id: cell(0).to_owned(),
                name: cell(1).to_owned(),
                credit_code: Some(cell(2).to_owned()).filter(|c| !c.is_empty()),
                admin_unit_id: unit,
                industry: Some(cell(4).to_owned()).filter(|c| !c.is_empty()),
                grade,
                key_polluter: matches!(cell(6), "是" | "Y" | "y" | "yes" | "1"),
                permit_no: Some(cell(7).to_owned()).filter(|c| !c.is_empty()),
                lat,
                lon,
                clean_transport_target_pct: target,
                ..Enterprise::default()
            };
            if problems.is_empty() {
                enterprises.push(e);
                current = Some(Some(enterprises.len() - 1));
            } else {
                current = Some(None);
            }
        } else if (1..ENTERPRISE_COLUMNS).any(|k| !cell(k).is_empty()) {
            problems.push(format!("enterprise cells without a {}", COLUMNS[0]));
        }
        if !cell(OUTLET).is_empty() {
            match current {
                None => problems.push("an outlet row without an enterprise above it".to_owned()),
                Some(None) => {}
                Some(Some(ei)) => {
                    let height_m = number(OUTLET + 2, &mut problems);
                    let o2_ref_pct = number(OUTLET + 3, &mut problems);
                    if o2_ref_pct.is_some_and(|x| x >= 21.0) {
                        problems.push(format!("{} must be below 21", COLUMNS[OUTLET + 3]));
                    }
                    let limits: Vec<Limit> = LIMIT_COLUMNS
                        .iter()
                        .filter_map(|(k, code)| {
                            number(*k, &mut problems).map(|v| Limit {
                                code: (*code).to_owned(),
                                limit_mg_m3: v,
                                source: cell(LIMIT_SOURCE).to_owned(),
                            })
                        })
                        .collect();
                    if outlets.iter().any(|o| o.id == cell(OUTLET)) {
                        problems.push(format!(
                            "{} {} appears twice",
                            COLUMNS[OUTLET],
                            cell(OUTLET)
                        ));
                    }
                    if problems.is_empty() {
                        outlets.push(Outlet {
                            id: cell(OUTLET).to_owned(),
                            enterprise_id: enterprises[ei].id.clone(),
                            name: if cell(OUTLET + 1).is_empty() {
                                cell(OUTLET).to_owned()
                            } else {
                                cell(OUTLET + 1).to_owned()
                            },
                            kind: OutletKind::Stack,
                            height_m,
                            o2_ref_pct,
                            flow_stopped_m3_h: 0.0,
                            limits,
                        });
                    }
                }
            }
        }
        report.errors.extend(
            problems
                .into_iter()
                .map(|problem| RowProblem { row: n, problem }),
        );
    }
    if enterprises.is_empty() && report.errors.is_empty() {
        report.errors.push(RowProblem {
            row: header + 1,
            problem: "no enterprises below the header".to_owned(),
        });
    }
    report.enterprises = enterprises.len();
    report.outlets = outlets.len();
    (enterprises, outlets, report)
}

/// The enterprise list as an Excel workbook in the layout [`import`] reads (the enterprise's
/// cells merged over its outlet rows), under the county's name.
pub fn xlsx(app: &App, caller: &Caller) -> AppResult<Vec<u8>> {
    let list = list(app, caller)?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut groups: Vec<String> = Vec::new();
    let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    for (i, e) in list.iter().enumerate() {
        let en = &e.enterprise;
        let head = vec![
            en.id.clone(),
            en.name.clone(),
            en.credit_code.clone().unwrap_or_default(),
            e.unit_name.clone().unwrap_or_default(),
            en.industry.clone().unwrap_or_default(),
            en.grade.map(|g| g.as_str().to_owned()).unwrap_or_default(),
            if en.key_polluter {
                "是".into()
            } else {
                "否".into()
            },
            en.permit_no.clone().unwrap_or_default(),
            num(en.lon),
            num(en.lat),
            num(en.clean_transport_target_pct),
        ];
        let outlets: Vec<Option<&Outlet>> = if e.outlets.is_empty() {
            vec![None]
        } else {
            e.outlets.iter().map(Some).collect()
        };
        for o in outlets {
            let mut row = head.clone();
            match o {
                Some(o) => {
                    let limit = |code: &str| {
                        num(o
                            .limits
                            .iter()
                            .find(|l| l.code == code)
                            .map(|l| l.limit_mg_m3))
                    };
                    row.extend([
                        o.id.clone(),
                        o.name.clone(),
                        num(o.height_m),
                        num(o.o2_ref_pct),
                    ]);
                    row.extend(LIMIT_COLUMNS.iter().map(|(_, c)| limit(c)));
                    row.push(
                        o.limits
                            .first()
                            .map(|l| l.source.clone())
                            .unwrap_or_default(),
                    );
                }
                None => row.extend(std::iter::repeat_n(
                    String::new(),
                    COLUMNS.len() - ENTERPRISE_COLUMNS,
                )),
            }
            rows.push(row);
            groups.push(i.to_string());
        }
    }
    let title = format!("{}污染源企业名录", app.county.profile.name_zh);
    let columns: Vec<(&str, f64)> = COLUMNS
        .iter()
        .map(|c| (*c, if *c == COLUMNS[1] { 28.0 } else { 14.0 }))
        .collect();
    let merges: Vec<(u16, Vec<String>)> = (0..ENTERPRISE_COLUMNS as u16)
        .map(|c| (c, groups.clone()))
        .collect();
    crate::table_xlsx::write(&crate::table_xlsx::Table {
        title: &title,
        sheet: "企业名录",
        columns: &columns,
        rows: &rows,
        merges: &merges,
    })
    .map_err(AppError::Internal)
}

/// The CEMS rules of an outlet: its reference O2 and stopped flow, the county's settings.
pub fn rules(app: &App, o: &Outlet) -> cems::Rules {
    let c = &app.county.profile.cems;
    cems::Rules {
        o2_ref_pct: o.o2_ref_pct,
        flow_stopped_m3_h_max: o.flow_stopped_m3_h,
        o2_stopped_pct_min: c.o2_stopped_pct_min,
        tolerance: c.tolerance,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<Vec<String>> {
        text.lines()
            .map(|l| l.split('|').map(str::to_owned).collect())
            .collect()
    }

    fn unit(u: &str) -> Option<String> {
        match u {
            "辛集镇" | "xinji" => Some("xinji".to_owned()),
            _ => None,
        }
    }

    #[test]
    fn merged_enterprise_cells_continue_and_bad_rows_are_named() {
        let head = COLUMNS.join("|");
        let (e, o, r) = parse(
            &rows(&format!(
                "辛集市污染源企业名录\n{head}\n\
                 E1|澳森特钢|911301|辛集镇|钢铁|B|是|P-1|115.25|37.95|80|E1-1|1#烧结机头|120|16|35|50|10|DB13/2169-2018\n\
                 |||||||||||E1-2|2#烧结机头|120|16|35|50|10|DB13/2169-2018\n\
                 E2|某化工|||化工|E|否||abc||120|E2-1|锅炉||6|||||\n\
                 |||||||||||E2-2|x||||||\n\
                 E3|某厂||宁晋镇||A|||||||||||||\n\
                 E4|某玻璃厂||辛集镇|玻璃|C||||||E4-1|窑炉||21||||"
            )),
            unit,
        );
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].clean_transport_target_pct, Some(80.0));
        assert_eq!(
            o.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(),
            ["E1-1", "E1-2"]
        );
        assert_eq!(
            o[1].enterprise_id, "E1",
            "a merged enterprise cell continues E1"
        );
        assert_eq!(o[0].limits.len(), 3);
        assert_eq!(e[0].admin_unit_id.as_deref(), Some("xinji"));
        let problems: Vec<(usize, &str)> = r
            .errors
            .iter()
            .map(|p| (p.row, p.problem.as_str()))
            .collect();
        assert!(
            problems
                .iter()
                .any(|(n, p)| *n == 5 && p.starts_with("绩效分级 \"E\"")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|(n, p)| *n == 5 && p.starts_with("经度 \"abc\"")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|(n, p)| *n == 7 && p.starts_with("所属乡镇 \"宁晋镇\"")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|(n, p)| *n == 5 && p.starts_with("清洁运输目标(%) is a share")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|(n, p)| *n == 8 && p.starts_with("基准氧含量(%) must be below 21")),
            "{problems:?}"
        );
        // The outlet row under a refused enterprise is not attached to the one before it.
        assert!(!o.iter().any(|o| o.id == "E2-2"));
        assert_eq!(
            r.errors.iter().filter(|p| p.row == 6).count(),
            0,
            "its enterprise's row is the error"
        );
    }
}
