//! `lantian site …` (dust sites: register, list, dustfall, inspections, the dust scan, the
//! area indicators) and `lantian machinery …` (the non-road machinery register, inspections,
//! 冒黑烟 reports); thin over `lantian_app::sites`.

use crate::context::{AsArgs, StoreArgs, print};
use anyhow::{Context, Result, bail};
use lantian_app::sites::{
    self, DustfallEntry, NewInspection, NewMachine, NewMachineInspection, NewSite, SmokyReport,
};
use lantian_core::date::{Date, Month};
use lantian_core::grid::dust::CheckItem;
use lantian_store::sites::CheckRow;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
struct Common {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    who: AsArgs,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
pub struct SiteArgs {
    #[command(subcommand)]
    what: SiteCmd,
}

#[derive(Debug, clap::Subcommand)]
enum SiteCmd {
    /// Register a construction, road or yard site with its dust monitor and limit (the
    /// bureau); its township is the one its point lies in.
    ///
    /// Example: lantian site add --id GD-001 --name 某小区二期 --kind construction --lat 37.93 --lon 115.21 --monitor DUST-1 --limit 150
    Add {
        #[command(flatten)]
        c: Common,
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// construction, road, yard or other.
        #[arg(long, default_value = "construction")]
        kind: String,
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        #[arg(long, default_value = "")]
        owner: String,
        /// The supervising department (e.g. 市住房和城乡建设局).
        #[arg(long)]
        department: Option<String>,
        /// The station id of its dust monitor.
        #[arg(long)]
        monitor: Option<String>,
        /// pm10 or tsp.
        #[arg(long, default_value = "pm10")]
        pollutant: String,
        /// An hour's limit, µg/m³.
        #[arg(long)]
        limit: f64,
        /// Consecutive hours over the limit that make an episode.
        #[arg(long, default_value_t = sites::EXCESS_HOURS_MIN_DEFAULT)]
        hours: u32,
    },
    /// Every site with its latest dustfall and inspection.
    List {
        #[command(flatten)]
        c: Common,
    },
    /// One site: its dustfall by month, inspections and episodes.
    Show {
        #[command(flatten)]
        c: Common,
        id: String,
    },
    /// Enter a month's dustfall (t/km²·month) of a site, or import a CSV/xlsx with the
    /// columns site, month, value[, note].
    ///
    /// Example: lantian site dustfall --site GD-001 --month 2026-10 --value 6.2
    Dustfall {
        #[command(flatten)]
        c: Common,
        #[arg(long, required_unless_present = "import")]
        site: Option<String>,
        #[arg(long, value_name = "YYYY-MM", required_unless_present = "import")]
        month: Option<Month>,
        #[arg(long, required_unless_present = "import")]
        value: Option<f64>,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long, value_name = "FILE", conflicts_with_all = ["site", "month", "value"])]
        import: Option<PathBuf>,
    },
    /// The sites' dustfall of a month and their mean against 5 t/km²·month; with --record
    /// (the bureau), the mean becomes the actual of the ledger's dustfall target.
    DustfallMonth {
        #[command(flatten)]
        c: Common,
        #[arg(value_name = "YYYY-MM")]
        month: Month,
        #[arg(long)]
        record: bool,
    },
    /// Record an inspection with the "six 100 %" checklist (六个百分之百): every item is met
    /// unless named in --failed.
    ///
    /// Example: lantian site inspect GD-001 --date 2026-11-10 --failed covering --item-note covering=北侧料堆未覆盖
    Inspect {
        #[command(flatten)]
        c: Common,
        id: String,
        #[arg(long)]
        date: Date,
        /// Items not met: hoarding, covering, wet_work, hardening, washing, sealed_transport.
        #[arg(long, value_delimiter = ',')]
        failed: Vec<String>,
        /// A note on one item: ITEM=TEXT (repeatable).
        #[arg(long, value_name = "ITEM=TEXT")]
        item_note: Vec<String>,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Run the dust scan over days (Beijing time; default: yesterday and today): each
    /// episode over a site's limit becomes one grid task.
    Scan {
        #[command(flatten)]
        c: Common,
        #[arg(long)]
        from: Option<Date>,
        #[arg(long)]
        to: Option<Date>,
    },
    /// The plan's area indicators (straw utilisation, mechanised cleaning, dustfall) with
    /// their ledger measures and latest monthly actuals.
    Indicators {
        #[command(flatten)]
        c: Common,
    },
}

#[derive(Debug, clap::Args)]
pub struct MachineryArgs {
    #[command(subcommand)]
    what: MachineryCmd,
}

#[derive(Debug, clap::Subcommand)]
enum MachineryCmd {
    /// Register a non-road machine (编码登记; the bureau).
    ///
    /// Example: lantian machinery add --code 130181-WJ-0001 --owner 某建筑公司 --kind 挖掘机 --stage 国三 --kw 92 --site GD-001
    Add {
        #[command(flatten)]
        c: Common,
        #[arg(long)]
        code: String,
        #[arg(long)]
        owner: String,
        /// What it is (挖掘机, 装载机, …).
        #[arg(long)]
        kind: String,
        /// 国一…国四 (cn1…cn4).
        #[arg(long)]
        stage: String,
        /// Engine power, kW.
        #[arg(long)]
        kw: Option<f64>,
        #[arg(long)]
        site: Option<String>,
        /// Registration date (default: today).
        #[arg(long)]
        registered: Option<Date>,
    },
    /// The register, with each machine's inspections.
    List {
        #[command(flatten)]
        c: Common,
    },
    /// Record an inspection of a machine.
    ///
    /// Example: lantian machinery inspect 130181-WJ-0001 --date 2026-11-10 --result fail --opacity 1.2
    Inspect {
        #[command(flatten)]
        c: Common,
        code: String,
        #[arg(long)]
        date: Date,
        /// pass or fail.
        #[arg(long)]
        result: String,
        /// Smoke opacity (light absorption coefficient), m⁻¹.
        #[arg(long)]
        opacity: Option<f64>,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Report a 冒黑烟 (black smoke) vehicle: a grid task for the township where it was seen.
    ///
    /// Example: lantian machinery smoky --plate 冀A12345 --place 107国道与兴华路口 --lat 37.92 --lon 115.2 --photo a.jpg
    Smoky {
        #[command(flatten)]
        c: Common,
        #[arg(long)]
        plate: String,
        #[arg(long, default_value = "")]
        place: String,
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        /// When it was seen: YYYY-MM-DD HH:MM (北京时间; default: now).
        #[arg(long)]
        seen: Option<String>,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long)]
        photo: Option<PathBuf>,
    },
}

fn site_line(s: &sites::SiteView) -> String {
    format!(
        "{} {} {} {} 限值 {} µg/m³ × {} h 监测 {} 降尘 {} 检查 {}",
        s.site.id,
        s.site.name,
        s.kind_zh,
        s.township_name.as_deref().unwrap_or("—"),
        s.site.limit_ug_m3,
        s.site.excess_hours_min,
        s.site.monitor_station_id.as_deref().unwrap_or("—"),
        s.dustfall.as_ref().map_or_else(
            || "—".to_owned(),
            |d| format!("{} {} {}", d.month, d.value_t_km2, d.verdict_zh)
        ),
        match (&s.last_inspection, s.last_inspection_passed) {
            (Some(d), Some(true)) => format!("{d} 全部达标"),
            (Some(d), _) => format!("{d} 有未达标项"),
            _ => "—".to_owned(),
        }
    )
}

pub fn run_site(a: SiteArgs) -> Result<ExitCode> {
    match a.what {
        SiteCmd::Add {
            c,
            id,
            name,
            kind,
            lat,
            lon,
            owner,
            department,
            monitor,
            pollutant,
            limit,
            hours,
        } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            let s = sites::register_site(
                &app,
                &caller,
                NewSite {
                    id,
                    name,
                    kind,
                    lat,
                    lon,
                    owner,
                    department,
                    monitor,
                    pollutant: Some(pollutant),
                    limit_ug_m3: limit,
                    excess_hours_min: Some(hours),
                },
            )?;
            print(c.json, &[s], site_line)?;
        }
        SiteCmd::List { c } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            print(c.json, &sites::list_sites(&app, &caller)?, site_line)?;
        }
        SiteCmd::Show { c, id } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            let d = sites::site_detail(&app, &caller, &id)?;
            print(c.json, &[d], |d| {
                let mut lines = vec![site_line(&d.view)];
                lines.extend(d.dustfall_months.iter().map(|m| {
                    format!(
                        "  降尘 {} {} t/km²·月 {}",
                        m.month, m.value_t_km2, m.verdict_zh
                    )
                }));
                lines.extend(
                    d.inspections
                        .iter()
                        .map(|i| format!("  检查 {} {}", i.row.date, i.items_zh.join("，"))),
                );
                lines.extend(d.episodes.iter().map(|e| {
                    format!(
                        "  超标 {} – {}（北京时间）{} h 峰值 {:.0} 任务 {}",
                        e.first_hour,
                        e.last_hour,
                        e.n_hours,
                        e.row.peak_ug_m3,
                        e.row.task_id.map_or("—".to_owned(), |t| t.to_string())
                    )
                }));
                lines.join("\n")
            })?;
        }
        SiteCmd::Dustfall {
            c,
            site,
            month,
            value,
            note,
            import,
        } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            let rows = match import {
                Some(file) => {
                    let bytes = std::fs::read(&file)
                        .with_context(|| format!("{}: cannot read", file.display()))?;
                    sites::import_dustfall(&app, &caller, &bytes, &file.display().to_string())?
                }
                None => {
                    let (Some(site), Some(month), Some(value)) = (site, month, value) else {
                        bail!("give --site, --month and --value, or --import FILE");
                    };
                    sites::record_dustfall(
                        &app,
                        &caller,
                        &[DustfallEntry {
                            site,
                            month,
                            value_t_km2: value,
                            note,
                        }],
                    )?
                }
            };
            print(c.json, &rows, |d| {
                format!(
                    "{} {} {} t/km²·月 {}",
                    d.site_id, d.month, d.value_t_km2, d.verdict_zh
                )
            })?;
        }
        SiteCmd::DustfallMonth { c, month, record } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            if record {
                let r = sites::record_dustfall_actual(&app, &caller, month)?;
                print(c.json, &[r], |r| {
                    format!(
                        "{} 月均降尘 {} t/km²·月 ({} 个工地) → {}/{} {}",
                        r.month,
                        r.mean_t_km2,
                        r.sites,
                        r.measure_id,
                        r.target_key,
                        r.progress.verdict_zh
                    )
                })?;
            } else {
                let m = sites::dustfall_month(&app, &caller, month)?;
                print(c.json, &[m], |m| {
                    let mut lines: Vec<String> = m
                        .sites
                        .iter()
                        .map(|d| format!("{} {} {}", d.site_id, d.value_t_km2, d.verdict_zh))
                        .collect();
                    lines.push(format!(
                        "{} 平均 {} t/km²·月 (限值 {})，超标工地 {}",
                        m.month,
                        m.mean_t_km2.map_or("—".to_owned(), |v| v.to_string()),
                        m.limit_t_km2,
                        m.sites_over
                    ));
                    lines.join("\n")
                })?;
            }
        }
        SiteCmd::Inspect {
            c,
            id,
            date,
            failed,
            item_note,
            note,
        } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            for f in &failed {
                if CheckItem::parse(f.trim()).is_none() {
                    bail!("--failed {f:?}: expected one of {}", CheckItem::names());
                }
            }
            let mut notes = Vec::new();
            for n in &item_note {
                let Some((k, v)) = n.split_once('=') else {
                    bail!("--item-note {n:?}: expected ITEM=TEXT");
                };
                let Some(item) = CheckItem::parse(k.trim()) else {
                    bail!("--item-note {k:?}: expected one of {}", CheckItem::names());
                };
                notes.push((item, v.to_owned()));
            }
            let items = CheckItem::ALL
                .iter()
                .map(|item| CheckRow {
                    item: *item,
                    ok: !failed.iter().any(|f| f.trim() == item.as_str()),
                    note: notes
                        .iter()
                        .find(|(i, _)| i == item)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default(),
                })
                .collect();
            let r = sites::inspect_site(&app, &caller, &id, NewInspection { date, items, note })?;
            print(c.json, &[r], |r| {
                format!(
                    "{} {} {}：{}",
                    r.row.site_id,
                    r.row.date,
                    if r.row.passed {
                        "全部达标"
                    } else {
                        "有未达标项"
                    },
                    r.items_zh.join("，")
                )
            })?;
        }
        SiteCmd::Scan { c, from, to } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            let today = app.clock.today();
            let to = to.unwrap_or(today);
            let from = from.unwrap_or_else(|| to.add_days(1 - sites::SCAN_DAYS_PERIODIC));
            let r = sites::scan(&app, &caller, from, to)?;
            print(c.json, &[r], |r| {
                let mut lines: Vec<String> = r
                    .episodes
                    .iter()
                    .map(|e| {
                        format!(
                            "{} {} – {}（北京时间）{} h 峰值 {:.0} 任务 {}{}",
                            e.site_id,
                            e.first_hour,
                            e.last_hour,
                            e.n_hours,
                            e.peak_ug_m3,
                            e.task_id.map_or("—".to_owned(), |t| t.to_string()),
                            if e.new { " 新" } else { "" }
                        )
                    })
                    .collect();
                lines.extend(r.skipped.iter().map(|s| format!("跳过 / skipped {s}")));
                lines.extend(r.errors.iter().map(|s| format!("错误 / error {s}")));
                lines.push(format!(
                    "{}…{}: {} 个工地, {} 次超标, {} 个新任务",
                    r.from,
                    r.to,
                    r.sites_scanned,
                    r.episodes.len(),
                    r.tasks_created
                ));
                lines.join("\n")
            })?;
        }
        SiteCmd::Indicators { c } => {
            let app = c.store.app()?;
            print(c.json, &sites::area_indicators(&app)?, |i| {
                format!(
                    "{} {}/{} {} 目标 {} 实际 {} ({}) {}",
                    i.name_zh,
                    i.measure_id,
                    i.progress.key,
                    i.progress.text,
                    i.progress.target.map_or("—".to_owned(), |v| v.to_string()),
                    i.progress.actual.map_or("—".to_owned(), |v| v.to_string()),
                    i.progress.month.map_or("—".to_owned(), |m| m.to_string()),
                    i.progress.verdict_zh
                )
            })?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn machine_line(m: &sites::MachineView) -> String {
    format!(
        "{} {} {} {} {} kW 工地 {} 登记 {} 检查 {}",
        m.machine.code,
        m.machine.owner,
        m.machine.kind,
        m.stage_zh,
        m.machine
            .engine_kw
            .map_or("—".to_owned(), |k| k.to_string()),
        m.machine.site_id.as_deref().unwrap_or("—"),
        m.machine.registered,
        m.inspections.first().map_or("—".to_owned(), |i| format!(
            "{} {}{}",
            i.date,
            if i.passed { "合格" } else { "不合格" },
            i.opacity_m1
                .map_or(String::new(), |o| format!(" 烟度 {o} m⁻¹"))
        ))
    )
}

pub fn run_machinery(a: MachineryArgs) -> Result<ExitCode> {
    match a.what {
        MachineryCmd::Add {
            c,
            code,
            owner,
            kind,
            stage,
            kw,
            site,
            registered,
        } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            let m = sites::register_machine(
                &app,
                &caller,
                NewMachine {
                    code,
                    owner,
                    kind,
                    stage,
                    engine_kw: kw,
                    site,
                    registered,
                },
            )?;
            print(c.json, &[m], machine_line)?;
        }
        MachineryCmd::List { c } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            print(c.json, &sites::list_machinery(&app, &caller)?, machine_line)?;
        }
        MachineryCmd::Inspect {
            c,
            code,
            date,
            result,
            opacity,
            note,
        } => {
            let passed = match result.as_str() {
                "pass" | "合格" => true,
                "fail" | "不合格" => false,
                o => bail!("--result {o:?}: expected pass or fail"),
            };
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            let m = sites::inspect_machine(
                &app,
                &caller,
                &code,
                NewMachineInspection {
                    date,
                    passed,
                    opacity_m1: opacity,
                    note,
                },
            )?;
            print(c.json, &[m], machine_line)?;
        }
        MachineryCmd::Smoky {
            c,
            plate,
            place,
            lat,
            lon,
            seen,
            note,
            photo,
        } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            let photo = match &photo {
                Some(p) => Some((
                    p.file_name()
                        .map_or("photo".to_owned(), |n| n.to_string_lossy().into_owned()),
                    std::fs::read(p).with_context(|| format!("{}: cannot read", p.display()))?,
                )),
                None => None,
            };
            let r = sites::report_smoky_vehicle(
                &app,
                &caller,
                SmokyReport {
                    plate,
                    place,
                    lat,
                    lon,
                    seen,
                    note,
                },
                photo.as_ref().map(|(n, b)| (n.as_str(), b.as_slice())),
            )?;
            print(c.json, &[r], |r| {
                format!(
                    "任务 {} {} → {}{}",
                    r.task.id,
                    r.task.title,
                    r.task.township_name.as_deref().unwrap_or("—"),
                    r.photo_error.as_deref().map_or(String::new(), |e| format!(
                        "（照片未附上 / photo not attached: {e}）"
                    ))
                )
            })?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
