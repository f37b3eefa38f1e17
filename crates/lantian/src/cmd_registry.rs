//! `lantian station …` and `lantian device …`: the registry from the command line.

use crate::context::{AsArgs, StoreArgs};
use anyhow::{Result, bail};
use lantian_app::stations::{self, NewStation};
use lantian_core::series::StationRole;
use lantian_store::{StationUnit, password};
use serde_json::json;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct StationArgs {
    #[command(subcommand)]
    what: StationCmd,
}

// A command is parsed once: its size does not matter.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
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
        /// The operations contractor (运维单位): work orders without an assignee go to it;
        /// an empty value clears it, no option keeps it.
        #[arg(long)]
        contractor: Option<String>,
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
    /// Give a device a new password (a running gateway asks for it at the device's next
    /// login, and of connections already open within 30 s). Without --password, a random
    /// one is generated and printed once.
    Passwd {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        mn: String,
        #[arg(long)]
        password: Option<String>,
    },
    /// Refuse a device at login (its registration and data are kept).
    Disable {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        mn: String,
    },
    /// Accept a disabled device again.
    Enable {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        mn: String,
    },
    /// Remove a device's registration: the gateway then treats its MN as unknown (its
    /// packets stay in the archive, its values in the station's series).
    Remove {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        mn: String,
    },
}

/// Characters of a generated device password (HJ 212 `PW` is text; loggers take this length).
const GENERATED_PASSWORD_LEN: usize = 12;

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
            contractor,
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
            let op = crate::context::operator();
            for f in factors {
                let Some((code, factor)) = f.split_once('=') else {
                    bail!("--factor {f}: expected CODE=FACTOR")
                };
                let factor: f64 = factor
                    .parse()
                    .map_err(|_| anyhow::anyhow!("--factor {f}: {factor:?} is not a number"))?;
                let u = StationUnit {
                    station_id: id.clone(),
                    code: code.to_owned(),
                    unit: "configured".into(),
                    factor,
                };
                app.audited(&op, "station.factor", &id, &f, || {
                    Ok(s.set_station_unit(&u)?)
                })?;
            }
            if let Some(c) = &contractor {
                lantian_app::integrity_ops::set_contractor(&app, &caller, &id, Some(c))?;
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
            let d = app.audited(
                &crate::context::operator(),
                "device.add",
                &mn,
                &series,
                || {
                    Ok(app.store.add_device(
                        &mn,
                        &password,
                        &series,
                        &edition,
                        app.clock.now_ms(),
                    )?)
                },
            )?;
            eprintln!("lantian: device {} registered for {}", d.mn, d.station_id);
        }
        DeviceCmd::List(store) => {
            let list: Vec<_> = store
                .app()?
                .store
                .devices()?
                .into_iter()
                .map(|d| json!({ "mn": d.mn, "station": d.station_id, "edition": d.edition, "created_ms": d.created_ms, "disabled": d.disabled }))
                .collect();
            println!("{}", serde_json::to_string_pretty(&list)?);
        }
        DeviceCmd::Passwd {
            store,
            mn,
            password,
        } => {
            let app = store.app()?;
            let generated = password.is_none();
            let pw = password.unwrap_or_else(|| password::random(GENERATED_PASSWORD_LEN));
            app.audited(
                &crate::context::operator(),
                "device.passwd",
                &mn,
                "",
                || Ok(app.store.set_device_password(&mn, &pw)?),
            )?;
            if generated {
                println!("device {mn}: new password {pw} (shown once)");
            }
            eprintln!("lantian: device {mn}: password changed");
        }
        DeviceCmd::Disable { store, mn } => set_disabled(&store, &mn, true)?,
        DeviceCmd::Enable { store, mn } => set_disabled(&store, &mn, false)?,
        DeviceCmd::Remove { store, mn } => {
            let app = store.app()?;
            app.audited(
                &crate::context::operator(),
                "device.remove",
                &mn,
                "",
                || Ok(app.store.remove_device(&mn)?),
            )?;
            eprintln!("lantian: device {mn} removed");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn set_disabled(store: &StoreArgs, mn: &str, disable: bool) -> Result<()> {
    let app = store.app()?;
    let (action, what) = if disable {
        ("device.disable", "disabled")
    } else {
        ("device.enable", "enabled")
    };
    app.audited(&crate::context::operator(), action, mn, "", || {
        Ok(app.store.set_device_disabled(mn, disable)?)
    })?;
    eprintln!("lantian: device {mn} {what}");
    Ok(())
}
