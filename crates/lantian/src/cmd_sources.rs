//! `lantian enterprise|outlet|equipment …`: the pollution-source register from the command
//! line, and `lantian emissions`: an outlet's CEMS hours (or their totals) as JSON lines.

use crate::context::{AsArgs, StoreArgs};
use anyhow::{Context, Result, bail};
use lantian_app::emissions::{self, Per};
use lantian_app::sources::{self, FlowUnit};
use lantian_core::Date;
use lantian_core::org::{EquipmentKind, Grade, MeterKind, OutletKind};
use lantian_store::{Enterprise, Equipment, Limit, Meter, Outlet};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct EnterpriseArgs {
    #[command(subcommand)]
    what: EnterpriseCmd,
}

#[derive(Debug, clap::Subcommand)]
enum EnterpriseCmd {
    /// Register (or update) an enterprise.
    Add {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// The town, township or zone (id).
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        industry: Option<String>,
        /// Performance grade: A+, A, B, C, D, 引领性, 非引领性.
        #[arg(long)]
        grade: Option<Grade>,
        /// 统一社会信用代码.
        #[arg(long)]
        credit_code: Option<String>,
        /// 排污许可证编号.
        #[arg(long)]
        permit: Option<String>,
        /// A key polluter (重点排污单位).
        #[arg(long)]
        key_polluter: bool,
        #[arg(long)]
        lat: Option<f64>,
        #[arg(long)]
        lon: Option<f64>,
        /// Its clean-transport target: the share (%) of heavy-truck trips that are new
        /// energy or 国六.
        #[arg(long, value_name = "PCT")]
        clean_target: Option<f64>,
    },
    /// Publish (or with --off withdraw) an enterprise's monitoring data and a note on its
    /// treatment measures (plan §9(三)); the enterprise's own account or the bureau.
    Disclose {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long)]
        id: String,
        #[arg(long)]
        off: bool,
        /// 污染治理措施 and what else the enterprise publishes with its data.
        #[arg(long)]
        note: Option<String>,
    },
    /// List the enterprises with their outlets and equipment (JSON with --json).
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        json: bool,
    },
    /// Import the enterprise list (CSV or XLSX, one row per outlet, the enterprise's cells
    /// merged over its outlets; docs/formats.md). Nothing is imported while a row has an
    /// error; --dry-run only reports.
    Import {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long)]
        dry_run: bool,
        file: PathBuf,
    },
    /// Write the enterprise list as an Excel workbook in the layout import reads.
    Export {
        #[command(flatten)]
        store: StoreArgs,
        file: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
pub struct OutletArgs {
    #[command(subcommand)]
    what: OutletCmd,
}

#[derive(Debug, clap::Subcommand)]
enum OutletCmd {
    /// Register (or update) an outlet with its limits; its CEMS device is then registered
    /// with `lantian device add --outlet`.
    Add {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long)]
        enterprise: String,
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// The industry's reference O2 (%) for normalised (折算) concentrations.
        #[arg(long = "o2-ref", value_name = "PCT")]
        o2_ref: Option<f64>,
        /// A limit on the normalised concentration, CODE=MG_PER_M3 (a21026 SO2, a21002 NOx,
        /// a34013 particulate matter); repeatable.
        #[arg(long = "limit", value_name = "CODE=MG_PER_M3")]
        limits: Vec<String>,
        /// Where the limits come from, e.g. "DB13/2169-2018 超低排放".
        #[arg(long, default_value = "")]
        limit_source: String,
        #[arg(long, value_name = "M")]
        height: Option<f64>,
        /// stack | fugitive
        #[arg(long, default_value = "stack")]
        kind: OutletKind,
        /// The unit the device sends flow in: m3/s (HJ 212-2017) or m3/h.
        #[arg(long, default_value = "m3/s")]
        flow_unit: String,
        /// At or below this flow (m³/h) the plant is taken as stopped.
        #[arg(long, value_name = "M3_PER_H", default_value_t = 0.0)]
        flow_stopped: f64,
    },
}

#[derive(Debug, clap::Args)]
pub struct EquipmentArgs {
    #[command(subcommand)]
    what: EquipmentCmd,
}

// Parsed once per run: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, clap::Subcommand)]
enum EquipmentCmd {
    /// Register (or update) production or treatment equipment and how its running is told.
    Add {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long)]
        enterprise: String,
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// production | treatment
        #[arg(long)]
        kind: EquipmentKind,
        /// The outlet whose flue gas it makes or treats.
        #[arg(long)]
        outlet: Option<String>,
        #[arg(long, value_name = "KW")]
        rated_kw: Option<f64>,
        /// Its status code, e.g. SB1-RS (1 = running).
        #[arg(long)]
        status_code: Option<String>,
        /// Its electricity meter (分表计电) sends active power (kW) under this code.
        #[arg(long, conflicts_with_all = ["energy_code", "current_code"])]
        power_code: Option<String>,
        /// Its meter sends an energy counter (kWh) under this code; an hour's power is the
        /// counter's increase.
        #[arg(long, conflicts_with = "current_code")]
        energy_code: Option<String>,
        /// Its meter sends current (A) under this code, with --running-a.
        #[arg(long)]
        current_code: Option<String>,
        /// At or above this power (kW) it runs (power and energy meters).
        #[arg(long, value_name = "KW", conflicts_with = "running_a")]
        running_kw: Option<f64>,
        /// At or above this current (A) it runs (current meters).
        #[arg(long, value_name = "A")]
        running_a: Option<f64>,
    },
    /// Each piece of equipment's hours (running, power, load) and the findings (production
    /// without treatment, production while the CEMS says stopped), as JSON lines.
    Status {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long)]
        enterprise: String,
        /// First and last day, Beijing time.
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: Date,
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: Date,
    },
}

#[derive(Debug, clap::Args)]
pub struct EmissionsArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    who: AsArgs,
    /// The outlet; or --enterprise for the totals of all its outlets.
    #[arg(
        long,
        required_unless_present = "enterprise",
        conflicts_with = "enterprise"
    )]
    outlet: Option<String>,
    /// An enterprise: its outlets' totals summed (needs --totals).
    #[arg(long, requires = "totals")]
    enterprise: Option<String>,
    /// First day, Beijing time.
    #[arg(long, value_name = "YYYY-MM-DD")]
    from: Date,
    /// Last day, inclusive.
    #[arg(long, value_name = "YYYY-MM-DD")]
    to: Date,
    /// hour (default) or rtd: one row per real-time sample as sent.
    #[arg(long, default_value = "hour")]
    period: String,
    /// Totals per day, month or year instead of hours.
    #[arg(long, value_name = "day|month|year")]
    totals: Option<String>,
    /// One JSON object per line (the default prints a tab-separated table).
    #[arg(long)]
    json: bool,
}

fn lines<T: serde::Serialize>(items: &[T]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    for i in items {
        writeln!(out, "{}", serde_json::to_string(i)?)?;
    }
    Ok(())
}

pub fn run_enterprise(a: EnterpriseArgs) -> Result<ExitCode> {
    match a.what {
        EnterpriseCmd::Add {
            store,
            who,
            id,
            name,
            unit,
            industry,
            grade,
            credit_code,
            permit,
            key_polluter,
            lat,
            lon,
            clean_target,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let e = Enterprise {
                id: id.clone(),
                name,
                credit_code,
                industry,
                grade,
                admin_unit_id: unit,
                lat,
                lon,
                key_polluter,
                permit_no: permit,
                clean_transport_target_pct: clean_target,
                ..Enterprise::default()
            };
            sources::add(&app, &caller, e)?;
            eprintln!("lantian: enterprise {id} saved");
        }
        EnterpriseCmd::Disclose {
            store,
            who,
            id,
            off,
            note,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            sources::disclose(&app, &caller, &id, !off, note.as_deref())?;
            let what = if off { "withdrawn" } else { "public" };
            eprintln!("lantian: {id}'s monitoring data are {what}");
        }
        EnterpriseCmd::List { store, json } => {
            let app = store.app()?;
            let list = sources::list(&app, &crate::context::operator())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for e in &list {
                    let en = &e.enterprise;
                    let grade = en.grade.map_or("-", |g| g.as_str());
                    println!(
                        "{}\t{}\t{grade}\t{}\t{} outlets",
                        en.id,
                        en.name,
                        e.unit_name.as_deref().unwrap_or("-"),
                        e.outlets.len()
                    );
                }
            }
        }
        EnterpriseCmd::Import {
            store,
            who,
            dry_run,
            file,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let rows = crate::input::read_table(&file)?;
            let r = sources::import(&app, &caller, &rows, dry_run)?;
            println!("{}", json!(r));
            if !r.errors.is_empty() {
                eprintln!("lantian: {} problem(s); nothing imported", r.errors.len());
                return Ok(ExitCode::from(1));
            }
            if !dry_run {
                eprintln!(
                    "lantian: imported {} enterprises and {} outlets",
                    r.enterprises, r.outlets
                );
            }
        }
        EnterpriseCmd::Export { store, file } => {
            let app = store.app()?;
            let bytes = sources::xlsx(&app, &crate::context::operator())?;
            std::fs::write(&file, bytes)
                .with_context(|| format!("{}: cannot write", file.display()))?;
            eprintln!("lantian: wrote {}", file.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_outlet(a: OutletArgs) -> Result<ExitCode> {
    match a.what {
        OutletCmd::Add {
            store,
            who,
            enterprise,
            id,
            name,
            o2_ref,
            limits,
            limit_source,
            height,
            kind,
            flow_unit,
            flow_stopped,
        } => {
            let flow = match flow_unit.as_str() {
                "m3/s" => FlowUnit::CubicMetresPerSecond,
                "m3/h" => FlowUnit::CubicMetresPerHour,
                o => bail!("--flow-unit {o}: expected m3/s or m3/h"),
            };
            let limits = limits
                .iter()
                .map(|l| {
                    let (code, v) = l
                        .split_once('=')
                        .with_context(|| format!("--limit {l}: expected CODE=MG_PER_M3"))?;
                    Ok(Limit {
                        code: lantian_hj212::codes::canonical_code(code).to_owned(),
                        limit_mg_m3: v
                            .parse()
                            .with_context(|| format!("--limit {l}: {v:?} is not a number"))?,
                        source: limit_source.clone(),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let o = Outlet {
                id: id.clone(),
                enterprise_id: enterprise,
                name,
                kind,
                height_m: height,
                o2_ref_pct: o2_ref,
                flow_stopped_m3_h: flow_stopped,
                limits,
            };
            sources::add_outlet(&app, &caller, o, flow)?;
            eprintln!("lantian: outlet {id} saved");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_equipment(a: EquipmentArgs) -> Result<ExitCode> {
    match a.what {
        EquipmentCmd::Add {
            store,
            who,
            enterprise,
            id,
            name,
            kind,
            outlet,
            rated_kw,
            status_code,
            power_code,
            energy_code,
            current_code,
            running_kw,
            running_a,
        } => {
            let meter = match (power_code, energy_code, current_code) {
                (Some(code), _, _) => Some((MeterKind::Power, code)),
                (_, Some(code), _) => Some((MeterKind::Energy, code)),
                (_, _, Some(code)) => Some((MeterKind::Current, code)),
                _ => None,
            }
            .map(|(kind, code)| Meter {
                running_min: if kind == MeterKind::Current {
                    running_a
                } else {
                    running_kw
                },
                kind,
                code,
            });
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let q = Equipment {
                id: id.clone(),
                enterprise_id: enterprise,
                name,
                kind,
                outlet_id: outlet,
                rated_kw,
                status_code,
                meter,
            };
            sources::add_equipment(&app, &caller, q)?;
            eprintln!("lantian: equipment {id} saved");
        }
        EquipmentCmd::Status {
            store,
            who,
            enterprise,
            from,
            to,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let (hours, findings) =
                emissions::working_condition(&app, &caller, &enterprise, from, to)?;
            lines(&hours)?;
            lines(&findings)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_emissions(a: EmissionsArgs) -> Result<ExitCode> {
    let app = a.store.app()?;
    let caller = a.who.caller(&app)?;
    let resolution = match a.period.as_str() {
        "hour" => emissions::Resolution::Hour,
        "rtd" => emissions::Resolution::Moment,
        o => bail!("--period {o}: expected hour or rtd"),
    };
    let (from, to) = (a.from, a.to);
    if a.totals.is_some() && resolution == emissions::Resolution::Moment {
        bail!("--totals are sums of hours: leave out --period rtd");
    }
    let rows = match (&a.outlet, &a.enterprise) {
        (Some(o), _) => emissions::outlet_rows(&app, &caller, o, from, to, resolution)?,
        (None, Some(e)) => emissions::enterprise_rows(&app, &caller, e, from, to)?,
        (None, None) => bail!("give --outlet or --enterprise"),
    };
    let f = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |x| format!("{x:.3}"));
    match a.totals.as_deref() {
        None if a.json => lines(&rows)?,
        None => {
            println!(
                "hour (北京时间)\tcode\tmeasured\to2\tconverted\tlimit\texceeds\tflow\temission_kg\tstopped\tdevice_mismatch"
            );
            for r in &rows {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    r.hour,
                    r.code,
                    f(r.measured),
                    f(r.o2),
                    f(r.converted),
                    f(r.limit),
                    r.exceeds,
                    f(r.flow),
                    f(r.emission_kg),
                    r.stopped,
                    r.device_mismatch
                );
            }
        }
        Some(per) => {
            let per = match per {
                "day" => Per::Day,
                "month" => Per::Month,
                "year" => Per::Year,
                o => bail!("--totals {o}: expected day, month or year"),
            };
            let totals = emissions::totals(&rows, per);
            if a.json {
                lines(&totals)?;
            } else {
                println!(
                    "span\tcode\temission_kg\thours\texceedance_hours\tstopped_hours\tmismatch_hours"
                );
                for t in &totals {
                    println!(
                        "{}\t{}\t{:.3}\t{}\t{}\t{}\t{}",
                        t.span,
                        t.code,
                        t.emission_kg,
                        t.hours_counted,
                        t.exceedance_hours,
                        t.stopped_hours,
                        t.mismatch_hours
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
