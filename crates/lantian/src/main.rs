//! The `lantian` command: thin glue between the command line, files and the library crates.

// Connections allocate on the runtime's threads and the writer frees on its own; glibc's
// malloc spent a tenth of the gateway's CPU on that (measured with perf under
// `lantian bench gateway`), mimalloc does not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod alert_sender;
mod bench;
mod cmd_apikey;
mod cmd_aqi;
mod cmd_archive;
mod cmd_assess;
mod cmd_case;
mod cmd_complaint;
mod cmd_county;
mod cmd_credit;
mod cmd_declaration;
mod cmd_device_command;
mod cmd_device_key;
mod cmd_hj212;
mod cmd_integrity;
mod cmd_integrity_run;
mod cmd_ledger;
mod cmd_migrate;
mod cmd_query;
mod cmd_registry;
mod cmd_report;
mod cmd_sanluanwu;
mod cmd_send;
mod cmd_serve;
mod cmd_site;
mod cmd_sources;
mod cmd_target;
mod cmd_task;
mod cmd_task_fire;
mod cmd_tracing;
mod cmd_tracing_map;
mod cmd_tracing_polar;
mod cmd_user;
mod cmd_vehicles;
mod cmd_warning;
mod context;
mod demo;
mod input;
mod serve_settings;
mod simulate;

use clap::{Parser, Subcommand};

/// Lantian (蓝天): an air-quality supervision platform for county-level cities.
///
/// Standards engine (HJ 633, GB 3095, HJ 663; 2012-era and 2026 editions, chosen by the
/// date of the data), readers for CNEMC and UCI Beijing files, and benchmarks.
#[derive(Debug, Parser)]
#[command(name = "lantian", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compute the hourly (real-time) AQI of every station-hour in CNEMC daily files.
    ///
    /// Example: lantian aqi --format cnemc ../shared/data/cnemc-sample/china_sites_201901
    Aqi(cmd_aqi::Args),
    /// Assess a calendar year of a city's stations per HJ 663 and print a JSON report.
    ///
    /// Example: lantian assess --format prsa --year 2015 --exclude Dingling ../shared/data/beijing-prsa
    Assess(cmd_assess::Args),
    /// Run the platform: HJ 212 gateway, HTTP API and web UI, on the embedded database.
    ///
    /// Example: lantian serve --data-dir ./lantian-data
    Serve(Box<cmd_serve::Args>),
    /// Hourly or daily concentrations, AQI and coverage of the city, a unit or a station:
    /// one JSON line per period with --json (read-only).
    ///
    /// Example: lantian query --scope city --period day --from 2026-11-01 --to 2026-11-30 --json
    Query(cmd_query::Args),
    /// A county as data: write the shipped profile out to edit, or check one.
    ///
    /// Example: lantian county init ./my-county
    County(cmd_county::Args),
    /// Accounts: create one from the server's console.
    ///
    /// Example: lantian user add --username jt --role department --unit 市交通运输局
    User(cmd_user::Args),
    /// The pollution-source register: enterprises (add, list, import and export the list).
    ///
    /// Example: lantian enterprise add --id E1 --name 澳森特钢 --unit xinji --industry 钢铁 --grade B
    Enterprise(cmd_sources::EnterpriseArgs),
    /// An enterprise's outlets (排放口) with their reference O2 and limits.
    ///
    /// Example: lantian outlet add --enterprise E1 --id E1-1 --name 烧结机头 --o2-ref 16 --limit a21026=35
    Outlet(cmd_sources::OutletArgs),
    /// An enterprise's production and treatment equipment, and what it did hour by hour.
    ///
    /// Example: lantian equipment status --enterprise E1 --from 2026-11-01 --to 2026-11-30
    Equipment(cmd_sources::EquipmentArgs),
    /// An outlet's CEMS hours: measured and normalised concentrations, limits, flow,
    /// emissions, stopped hours and device checks (or --totals per day, month, year).
    ///
    /// Example: lantian emissions --outlet E1-1 --from 2026-11-01 --to 2026-11-30 --json
    Emissions(cmd_sources::EmissionsArgs),
    /// Vehicles at enterprises' gates (门禁): import records, monthly clean-transport shares,
    /// the diesel trucks below 国五 of a warning's days.
    ///
    /// Example: lantian vehicles share --enterprise E1 --from 2026-01 --to 2026-11
    Vehicles(cmd_vehicles::Args),
    /// Heavy-pollution warnings: the level a forecast proposes, the workflow (issue, adjust,
    /// lift, regional orders), the reduction list, verification and the episode report.
    /// Example: lantian warning propose --forecast forecast.csv --json
    Warning(cmd_warning::Args),
    /// Register and list monitoring stations.
    Station(cmd_registry::StationArgs),
    /// Register and list devices (data loggers) by MN.
    Device(cmd_registry::DeviceArgs),
    /// Replay a data file as HJ 212 uploads to a gateway, or generate a pollution source's
    /// CEMS, status or power data with chosen faults (a device simulator and load generator).
    ///
    /// Example: lantian send --to 127.0.0.1:9212 --mn MN --password 123456 data.csv
    Send(cmd_send::Args),
    /// The measures ledger (措施责任清单): list, import, export the 台账, report progress.
    ///
    /// Example: lantian ledger list --json
    Ledger(cmd_ledger::Args),
    /// Reports: the monthly township 通报 as JSON, xlsx or PDF.
    ///
    /// Example: lantian report township --month 2026-11 --format pdf --out tongbao.pdf
    Report(cmd_report::Args),
    /// HJ 212 packets: decode them to JSON.
    ///
    /// Example: lantian hj212 decode ../shared/data/hj212-samples/packets.txt
    Hj212(cmd_hj212::Args),
    /// The tamper-evident raw archive: verify it, or publish a digest of its head.
    ///
    /// Example: lantian archive verify --data-dir ./data
    Archive(cmd_archive::Args),
    /// Data integrity: run the station rules over files and print one alarm episode per line,
    /// or measure the rules on injected faults.
    ///
    /// Example: lantian integrity scan --format cnemc ../shared/data/cnemc-sample --json
    Integrity(cmd_integrity::Args),
    /// Dust sites (扬尘): register, dustfall, inspections (六个百分之百), the dust scan, area indicators.
    Site(cmd_site::SiteArgs),
    /// Non-road machinery (非道路移动机械): register, inspections; 冒黑烟 vehicle reports.
    Machinery(cmd_site::MachineryArgs),
    /// Targets per year, unit and indicator, their monthly breakdown and progress.
    Target(cmd_target::Args),
    /// Grid tasks (网格任务): list, show, create, act, evidence, export, stats, escalate.
    ///
    /// Example: lantian task list --as wangkou01 --open --json
    Task(cmd_task::Args),
    /// Enforcement cases (执法案件): list, show, open, from-alarm, from-violation, from-task,
    /// inspect, decide, evidence, close, verify, stats.
    ///
    /// Example: lantian case from-alarm 12 --note 移送执法 --as bureau1
    Case(cmd_case::Args),
    /// Complaints (投诉): typed in from the 12345 / 12369 hotlines, listed, looked up by code.
    ///
    /// Example: lantian complaint lookup ABCDE23456
    Complaint(cmd_complaint::Args),
    /// The 散乱污 list: entries by township, their clearing, the monthly count (must reach zero).
    ///
    /// Example: lantian sanluanwu monthly --as bureau1 --table
    Sanluanwu(cmd_sanluanwu::Args),
    /// Enterprise declarations (停运/停产/检修/因子异常/长期停产): declare, review, statistics.
    ///
    /// Example: lantian declaration list --as bureau1 --state pending
    Declaration(cmd_declaration::Args),
    /// Credit records (信用记录): the public list, objections, repair, the rule table.
    ///
    /// Example: lantian credit public
    Credit(cmd_credit::Args),
    /// Source tracing (溯源): roses, CPF/CBPF, NWR, polar plot, annulus, time variation, maps.
    Tracing(cmd_tracing::Args),
    /// Open-data API keys: list, create, revoke, set a key's rate limit.
    ///
    /// Example: lantian apikey list --as bureau1
    Apikey(cmd_apikey::Args),
    /// Reverse control: commands to devices, their log, back-filled periods.
    ///
    /// Example: lantian device-command log --mn 010000A8900016F000169DC0
    #[command(name = "device-command")]
    DeviceCommands(cmd_device_command::Args),
    /// HJ 212-2025 device keys (SM4: set, rotate, list) and MN assignment to logger serials.
    ///
    /// Example: lantian device-key list --as bureau1
    DeviceKey(cmd_device_key::Args),
    /// Copy a county's database and archive into PostgreSQL (or Citus), or back out into a
    /// data directory; verifies the archive chain on both sides; run again to resume.
    ///
    /// Example: lantian migrate --from ./lantian-data --to postgres://lantian@db.example/hebei
    Migrate(cmd_migrate::Args),
    /// Measure performance; each benchmark prints one JSON line.
    Bench(bench::Args),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LANTIAN_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    let result = match cli.command {
        Command::Aqi(a) => cmd_aqi::run(a),
        Command::Assess(a) => cmd_assess::run(a),
        Command::Hj212(a) => cmd_hj212::run(a),
        Command::Ledger(a) => cmd_ledger::run(a),
        Command::Report(a) => cmd_report::run(a),
        Command::Query(a) => cmd_query::run(a),
        Command::Enterprise(a) => cmd_sources::run_enterprise(a),
        Command::Outlet(a) => cmd_sources::run_outlet(a),
        Command::Equipment(a) => cmd_sources::run_equipment(a),
        Command::Emissions(a) => cmd_sources::run_emissions(a),
        Command::Vehicles(a) => cmd_vehicles::run(a),
        Command::Warning(a) => cmd_warning::run(a),
        Command::County(a) => cmd_county::run(a),
        Command::User(a) => cmd_user::run(a),
        Command::Serve(a) => cmd_serve::run(*a),
        Command::Station(a) => cmd_registry::run_station(a),
        Command::Device(a) => cmd_registry::run_device(a),
        Command::Send(a) => cmd_send::run(a),
        Command::Archive(a) => cmd_archive::run(a),
        Command::Integrity(a) => cmd_integrity::run(a),
        Command::Site(a) => cmd_site::run_site(a),
        Command::Machinery(a) => cmd_site::run_machinery(a),
        Command::Target(a) => cmd_target::run(a),
        Command::Task(a) => cmd_task::run(a),
        Command::Case(a) => cmd_case::run(a),
        Command::Complaint(a) => cmd_complaint::run(a),
        Command::Sanluanwu(a) => cmd_sanluanwu::run(a),
        Command::Declaration(a) => cmd_declaration::run(a),
        Command::Credit(a) => cmd_credit::run(a),
        Command::Tracing(a) => cmd_tracing::run(a),
        Command::Apikey(a) => cmd_apikey::run(a),
        Command::DeviceCommands(a) => cmd_device_command::run(a),
        Command::DeviceKey(a) => cmd_device_key::run(a),
        Command::Migrate(a) => cmd_migrate::run(a),
        Command::Bench(a) => bench::run(a),
    };
    match result {
        Ok(code) => code,
        // A reader that stopped reading (`| head`) is not an error of ours.
        Err(e) if is_broken_pipe(&e) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lantian: error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
