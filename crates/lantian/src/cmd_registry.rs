//! `lantian station …` and `lantian device …`: the registry from the command line.

use crate::context::{AsArgs, StoreArgs};
use anyhow::{Result, bail};
use lantian_app::stations::{self, NewStation};
use lantian_core::series::StationRole;
use lantian_store::StationUnit;
use serde_json::json;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct StationArgs {
    #[command(subcommand)]
    what: StationCmd,
}

#[derive(Debug, clap::Subcommand)]
enum StationCmd {
    /// Register (or update) a monitoring station.
    Add {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// assessment | background | township | micro
        #[arg(long, default_value = "township")]
        role: StationRole,
        /// The administrative unit (e.g. xinji, wangkou, devzone).
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        lat: Option<f64>,
        #[arg(long)]
        lon: Option<f64>,
        /// HJ 212 codes measured, comma-separated.
        #[arg(long, default_value = "a21026,a21004,a34002,a21005,a05024,a34004")]
        pollutants: String,
        /// Unit factor for a code, CODE=FACTOR (the station sends CODE in a unit that times
        /// FACTOR gives the standard unit); repeatable.
        #[arg(long = "factor", value_name = "CODE=FACTOR")]
        factors: Vec<String>,
    },
    /// List the stations as JSON.
    List(StoreArgs),
}

#[derive(Debug, clap::Args)]
pub struct DeviceArgs {
    #[command(subcommand)]
    what: DeviceCmd,
}

#[derive(Debug, clap::Subcommand)]
enum DeviceCmd {
    /// Register a device (data logger) by its MN, with its access password.
    Add {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        mn: String,
        #[arg(long)]
        password: String,
        /// The station it sends for …
        #[arg(long, required_unless_present_any = ["outlet", "equipment"], conflicts_with_all = ["outlet", "equipment"])]
        station: Option<String>,
        /// … or the outlet (its CEMS) …
        #[arg(long, conflicts_with = "equipment")]
        outlet: Option<String>,
        /// … or the equipment (its working condition or electricity meter).
        #[arg(long)]
        equipment: Option<String>,
        /// HJ 212 edition it speaks: 2005, 2017 or 2025.
        #[arg(long, default_value = "2017")]
        edition: String,
    },
    /// List the devices as JSON (without password hashes).
    List(StoreArgs),
}

pub fn run_station(a: StationArgs) -> Result<ExitCode> {
    match a.what {
        StationCmd::Add {
            store,
            who,
            id,
            name,
            role,
            unit,
            lat,
            lon,
            pollutants,
            factors,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            stations::register(
                &app,
                &caller,
                NewStation {
                    id: id.clone(),
                    name,
                    role,
                    unit,
                    lat,
                    lon,
                    pollutants: pollutants
                        .split(',')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    min_interval_min: 1,
                },
            )?;
            let s = &app.store;
            for f in factors {
                let Some((code, factor)) = f.split_once('=') else {
                    bail!("--factor {f}: expected CODE=FACTOR")
                };
                let factor: f64 = factor
                    .parse()
                    .map_err(|_| anyhow::anyhow!("--factor {f}: {factor:?} is not a number"))?;
                s.set_station_unit(&StationUnit {
                    station_id: id.clone(),
                    code: code.to_owned(),
                    unit: "configured".into(),
                    factor,
                })?;
            }
            eprintln!("lantian: station {id} saved");
        }
        StationCmd::List(store) => {
            let app = store.app()?;
            let list = stations::list(&app, &crate::context::operator())?;
            println!("{}", serde_json::to_string_pretty(&list)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_device(a: DeviceArgs) -> Result<ExitCode> {
    match a.what {
        DeviceCmd::Add {
            store,
            mn,
            password,
            station,
            outlet,
            equipment,
            edition,
        } => {
            let app = store.app()?;
            // An outlet's or a piece of equipment's series has its id.
            let series = station.or(outlet).or(equipment).unwrap_or_default();
            let d = app
                .store
                .add_device(&mn, &password, &series, &edition, app.clock.now_ms())?;
            eprintln!("lantian: device {} registered for {}", d.mn, d.station_id);
        }
        DeviceCmd::List(store) => {
            let list: Vec<_> = store
                .app()?
                .store
                .devices()?
                .into_iter()
                .map(|d| json!({ "mn": d.mn, "station": d.station_id, "edition": d.edition, "created_ms": d.created_ms }))
                .collect();
            println!("{}", serde_json::to_string_pretty(&list)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}
