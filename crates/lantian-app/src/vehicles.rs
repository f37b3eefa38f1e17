//! Vehicles at enterprises' gates (门禁): gate records imported from the gate system's CSV or
//! Excel export, the monthly clean-transport share of heavy-truck trips against the
//! enterprise's target, and the diesel trucks below 国五 that entered in a period (a
//! heavy-pollution warning's).

use crate::caller::policy;
use crate::error::{AppError, AppResult};
use crate::{App, Caller};
use lantian_core::ledger::import::RowProblem;
use lantian_core::vehicles::{self, Direction, Fuel, Standard, VehicleClass};
use lantian_core::{Date, Month, cst};
use lantian_store::GateRecord;
use serde::Serialize;

/// A column of the gate-record layout: its name and the other names gate systems use.
struct Column {
    names: &'static [&'static str],
    required: bool,
}

/// The columns read, by the names of their header cells; any order, others ignored.
const COLUMNS: [Column; 7] = [
    Column {
        names: &["车牌号", "车牌号码", "号牌号码", "车牌", "plate"],
        required: true,
    },
    Column {
        names: &["时间", "通行时间", "进出时间", "过车时间", "time"],
        required: true,
    },
    Column {
        names: &["方向", "进出方向", "出入方向", "进出", "direction"],
        required: true,
    },
    Column {
        names: &["车辆类型", "车型", "vehicle_type"],
        required: true,
    },
    Column {
        names: &["排放标准", "排放阶段", "standard"],
        required: true,
    },
    Column {
        names: &["燃料类型", "燃料种类", "燃料", "fuel"],
        required: true,
    },
    Column {
        names: &["企业编号", "enterprise"],
        required: false,
    },
];

/// The header names the layout reads first, for messages and documentation.
pub fn column_names() -> Vec<&'static str> {
    COLUMNS.iter().map(|c| c.names[0]).collect()
}

/// A plate is at most 8 characters (新能源 plates); a little room for spaces and marks.
const PLATE_CHARS_MAX: usize = 16;
const VEHICLE_TYPE_CHARS_MAX: usize = 32;

/// What an import found and did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ImportReport {
    /// Records read without a problem.
    pub records: usize,
    /// Of those, records not stored before.
    pub new: u64,
    pub errors: Vec<RowProblem>,
    pub dry_run: bool,
}

/// Reads gate records (rows of text cells: a header row, then one passage per row) for
/// `enterprise`, or for the enterprise in each row's 企业编号 cell, and, without errors and
/// unless `dry_run`, stores them: all or nothing. Times are Beijing time.
pub fn import(
    app: &App,
    caller: &Caller,
    enterprise: Option<&str>,
    rows: &[Vec<String>],
    dry_run: bool,
) -> AppResult<ImportReport> {
    caller.require()?;
    let known: Vec<String> = app.store.enterprises()?.into_iter().map(|e| e.id).collect();
    let (records, mut report) = parse(rows, enterprise, |id| {
        if !known.iter().any(|k| k == id) {
            Some(format!("enterprise {id} is not registered"))
        } else if !policy::acts_for_enterprise(caller, id) {
            Some(format!(
                "only {id}'s own account or the bureau may import its records"
            ))
        } else {
            None
        }
    });
    report.dry_run = dry_run;
    if !report.errors.is_empty() || dry_run {
        return Ok(report);
    }
    let mut ids: Vec<&str> = records.iter().map(|r| r.enterprise_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let detail = format!("{} records", report.records);
    report.new = app.audited(caller, "vehicles.import", &ids.join(","), &detail, || {
        Ok(app.store.insert_gate_records(&records)?)
    })?;
    Ok(report)
}

/// [`import`] of a file handed over (CSV or xlsx bytes) for one enterprise: the caller's
/// right is checked before the file is read.
pub fn import_file(
    app: &App,
    caller: &Caller,
    enterprise: &str,
    bytes: &[u8],
    dry_run: bool,
) -> AppResult<ImportReport> {
    if !policy::acts_for_enterprise(caller, enterprise) {
        return app.allow(
            caller,
            "vehicles.import",
            enterprise,
            Err(policy::refusal(
                caller,
                "只有企业本身或生态环境局可导入其门禁记录 / only the enterprise's own account or the bureau",
            )),
        );
    }
    let cells = crate::upload::cells(bytes, "upload")?;
    import(app, caller, Some(enterprise), &cells, dry_run)
}

/// Parses gate records; `refuse` says why an enterprise id may not be imported, if so.
fn parse(
    rows: &[Vec<String>],
    enterprise: Option<&str>,
    refuse: impl Fn(&str) -> Option<String>,
) -> (Vec<GateRecord>, ImportReport) {
    let mut report = ImportReport::default();
    let mut error = |row: usize, problem: String| report.errors.push(RowProblem { row, problem });
    let is_header = |r: &Vec<String>| r.iter().any(|c| COLUMNS[0].names.contains(&c.trim()));
    let Some(header) = rows.iter().position(is_header) else {
        error(
            1,
            format!("no header row with a {} cell", COLUMNS[0].names[0]),
        );
        return (Vec::new(), report);
    };
    let at: Vec<Option<usize>> = COLUMNS
        .iter()
        .map(|c| {
            rows[header]
                .iter()
                .position(|h| c.names.contains(&h.trim()))
        })
        .collect();
    let missing: Vec<&str> = COLUMNS
        .iter()
        .zip(&at)
        .filter(|(c, a)| c.required && a.is_none())
        .map(|(c, _)| c.names[0])
        .collect();
    if !missing.is_empty() {
        error(
            header + 1,
            format!("the header has no {} column", missing.join(", ")),
        );
        return (Vec::new(), report);
    }
    if enterprise.is_none() && at[6].is_none() {
        error(
            header + 1,
            "no 企业编号 column: give the enterprise (--enterprise) or a 企业编号 column"
                .to_owned(),
        );
        return (Vec::new(), report);
    }
    let mut records = Vec::new();
    for (i, row) in rows.iter().enumerate().skip(header + 1) {
        let n = i + 1;
        let cell = |k: usize| at[k].and_then(|a| row.get(a)).map_or("", |c| c.trim());
        if (0..COLUMNS.len()).all(|k| cell(k).is_empty()) {
            continue;
        }
        let mut problems = Vec::new();
        let enterprise_id = match (cell(6), enterprise) {
            ("", Some(e)) => e,
            ("", None) => {
                problems.push("企业编号 is empty".to_owned());
                ""
            }
            (id, Some(e)) if id != e => {
                problems.push(format!("企业编号 {id} is not {e}, the enterprise imported"));
                id
            }
            (id, _) => id,
        };
        if !enterprise_id.is_empty()
            && let Some(why) = refuse(enterprise_id)
        {
            problems.push(why);
        }
        match cell(0).chars().count() {
            0 => problems.push("车牌号 is empty".to_owned()),
            1..=PLATE_CHARS_MAX => {}
            _ => problems.push(format!("车牌号 {:?} is longer than a plate", cell(0))),
        }
        if cell(3).chars().count() > VEHICLE_TYPE_CHARS_MAX {
            problems.push(format!(
                "车辆类型 is longer than {VEHICLE_TYPE_CHARS_MAX} characters"
            ));
        }
        let ts = cst::parse_moment(cell(1));
        if ts.is_none() {
            problems.push(format!(
                "时间 {:?} is not YYYY-MM-DD HH:MM[:SS] (北京时间)",
                cell(1)
            ));
        }
        let direction = Direction::parse_zh(cell(2));
        if direction.is_none() {
            problems.push(format!("方向 {:?}: expected 进 or 出", cell(2)));
        }
        let standard = Standard::parse(cell(4));
        if standard.is_none() {
            problems.push(format!(
                "排放标准 {:?}: expected 国0 … 国6 (国五, 国V, 国5 …) or 新能源",
                cell(4)
            ));
        }
        match (ts, direction, standard, problems.is_empty()) {
            (Some(ts), Some(direction), Some(standard), true) => records.push(GateRecord {
                enterprise_id: enterprise_id.to_owned(),
                ts,
                plate: cell(0).to_owned(),
                direction,
                vehicle_type: cell(3).to_owned(),
                class: VehicleClass::parse_zh(cell(3)),
                standard,
                fuel: Fuel::parse_zh(cell(5)),
            }),
            _ => report.errors.extend(
                problems
                    .into_iter()
                    .map(|problem| RowProblem { row: n, problem }),
            ),
        }
    }
    if records.is_empty() && report.errors.is_empty() {
        report.errors.push(RowProblem {
            row: header + 1,
            problem: "no records below the header".to_owned(),
        });
    }
    report.records = records.len();
    (records, report)
}

/// An enterprise's clean-transport share in one month.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MonthShare {
    pub enterprise: String,
    /// `YYYY-MM`.
    pub month: String,
    /// Heavy-truck entries (进厂), and of them new energy or 国六.
    pub heavy_trips: u32,
    pub clean_trips: u32,
    /// Per cent, one decimal; null without heavy-truck trips.
    pub share_pct: Option<f64>,
    pub target_pct: Option<f64>,
    /// Whether the share reaches the target; null without either.
    pub meets_target: Option<bool>,
}

fn enterprise_seen(app: &App, caller: &Caller, id: &str) -> AppResult<lantian_store::Enterprise> {
    let e = app
        .store
        .enterprise(id)?
        .ok_or_else(|| AppError::NotFound(format!("enterprise {id}")))?;
    if !policy::sees_monitoring(caller, id) {
        return app.allow(
            caller,
            "monitoring.read",
            id,
            Err(policy::refusal(
                caller,
                "只能查看本企业的数据 / only your enterprise's data",
            )),
        );
    }
    Ok(e)
}

/// The monthly clean-transport shares of an enterprise for the months `first` to `last`:
/// a trip is a heavy truck's entry; new energy and 国六 trips are clean.
pub fn shares(
    app: &App,
    caller: &Caller,
    enterprise_id: &str,
    first: Month,
    last: Month,
) -> AppResult<Vec<MonthShare>> {
    let e = enterprise_seen(app, caller, enterprise_id)?;
    if last < first
        || (last.year() - first.year()) * 12 + last.month() as i32 - first.month() as i32 >= 120
    {
        return Err(AppError::BadRequest(
            "the months run forward, at most 120 of them".to_owned(),
        ));
    }
    let mut out = Vec::new();
    let mut m = first;
    loop {
        let from = cst::day_start(m.first_day());
        let to = from + i64::from(m.n_days()) * cst::DAY_S;
        let trips = app.store.gate_records(enterprise_id, from, to)?;
        let s = vehicles::share(
            trips
                .iter()
                .filter(|g| g.direction == Direction::In && g.class == VehicleClass::HeavyTruck)
                .map(|g| g.standard),
        );
        out.push(MonthShare {
            enterprise: e.id.clone(),
            month: m.to_string(),
            heavy_trips: s.heavy_trips,
            clean_trips: s.clean_trips,
            share_pct: s.share_pct,
            target_pct: e.clean_transport_target_pct,
            meets_target: s
                .share_pct
                .zip(e.clean_transport_target_pct)
                .map(|(s, t)| s >= t),
        });
        if m == last {
            break;
        }
        m = Month::of(m.first_day().add_days(i64::from(m.n_days())));
    }
    Ok(out)
}

/// A gate record as a person reads it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Passage {
    pub enterprise: String,
    /// `YYYY-MM-DD HH:MM:SS`, Beijing time.
    pub at: String,
    pub plate: String,
    pub direction: Direction,
    pub direction_zh: &'static str,
    pub vehicle_type: String,
    pub class: VehicleClass,
    pub standard: Standard,
    pub fuel: Fuel,
    pub fuel_zh: &'static str,
    /// A diesel truck below 国五: barred during a heavy-pollution warning.
    pub barred_in_warning: bool,
}

impl From<GateRecord> for Passage {
    fn from(g: GateRecord) -> Passage {
        Passage {
            at: format!("{}:{:02}", cst::format_minute(g.ts), g.ts.rem_euclid(60)),
            direction_zh: g.direction.name_zh(),
            fuel_zh: g.fuel.name_zh(),
            barred_in_warning: vehicles::barred_in_warning(g.class, g.fuel, g.standard),
            enterprise: g.enterprise_id,
            plate: g.plate,
            direction: g.direction,
            vehicle_type: g.vehicle_type,
            class: g.class,
            standard: g.standard,
            fuel: g.fuel,
        }
    }
}

/// An enterprise's gate passages on the days `first` to `last` (Beijing time); with
/// `barred_only`, the entries of diesel trucks below 国五 (what a warning forbids).
pub fn passages(
    app: &App,
    caller: &Caller,
    enterprise_id: &str,
    first: Date,
    last: Date,
    barred_only: bool,
) -> AppResult<Vec<Passage>> {
    enterprise_seen(app, caller, enterprise_id)?;
    let n_days = crate::data::span_days(first, last)?;
    let from = cst::day_start(first);
    let to = from + n_days as i64 * cst::DAY_S;
    Ok(app
        .store
        .gate_records(enterprise_id, from, to)?
        .into_iter()
        .map(Passage::from)
        .filter(|p| !barred_only || p.barred_in_warning && p.direction == Direction::In)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<Vec<String>> {
        text.lines()
            .map(|l| l.split(',').map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn columns_are_found_by_name_and_bad_rows_named() {
        let (records, report) = parse(
            &rows(
                "门禁记录导出\n\
                 序号,车牌号码,车型,进出方向,通行时间,燃料,排放阶段\n\
                 1,冀A12345,重型半挂牵引车,进厂,2026/11/05 08:30:15,柴油,国Ⅵ\n\
                 2,冀A54321,重型自卸货车,进,2026-11-05 09:00,柴油,国四\n\
                 3,,重型货车,进,2026-11-05 09:10,柴油,国五\n\
                 4,冀B1,重型货车,过,2026-11-05 25:10,柴油,国七\n\
                 ,,,,,,",
            ),
            Some("AS"),
            |_| None,
        );
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].standard, Standard::China(6));
        assert_eq!(records[1].class, VehicleClass::HeavyTruck);
        let problems: Vec<(usize, &str)> = report
            .errors
            .iter()
            .map(|p| (p.row, p.problem.as_str()))
            .collect();
        assert_eq!(problems[0], (5, "车牌号 is empty"));
        assert_eq!(
            problems.iter().filter(|(n, _)| *n == 6).count(),
            3,
            "{problems:?}"
        );
    }

    #[test]
    fn a_file_without_the_enterprise_needs_its_column_and_rows_are_checked_against_it() {
        let (_, report) = parse(
            &rows(
                "车牌号,时间,方向,车辆类型,排放标准,燃料类型\n冀A1,2026-11-05 08:00,进,重型货车,国六,柴油",
            ),
            None,
            |_| None,
        );
        assert!(report.errors[0].problem.starts_with("no 企业编号 column"));
        let (records, report) = parse(
            &rows(
                "企业编号,车牌号,时间,方向,车辆类型,排放标准,燃料类型\n\
                 AS,冀A1,2026-11-05 08:00,进,重型货车,国六,柴油\n\
                 XX,冀A2,2026-11-05 08:00,进,重型货车,国六,柴油",
            ),
            None,
            |id| (id == "XX").then(|| "enterprise XX is not registered".to_owned()),
        );
        assert_eq!(records.len(), 1);
        assert_eq!(report.errors[0].row, 3);
        let (_, report) = parse(&rows("车牌号,时间\n"), Some("AS"), |_| None);
        assert_eq!(
            report.errors[0].problem,
            "the header has no 方向, 车辆类型, 排放标准, 燃料类型 column"
        );
    }
}
