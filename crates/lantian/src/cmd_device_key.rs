//! `lantian device-key …`: HJ 212-2025 device keys and MN assignment from the command line
//! (docs/hj212-2025.md): set or rotate a device's SM4 key (random unless given; printed
//! once), list keys with their rotation due dates, list loggers that announced their
//! hardware serial (1001) and assign them an MN (sent with 1002). Thin over
//! `lantian_app::device_keys`; the gateway does the 1014 and 1002 exchanges.

use crate::context::{AsArgs, StoreArgs, print};
use anyhow::Result;
use lantian_app::device_keys;
use serde_json::json;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: Cmd,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// Sets a device's SM4 key, active at once (configure the same key on the logger). The
    /// key is printed once.
    ///
    /// Example: lantian device-key set --as bureau1 010000A8900016F000169DC0 --wire binary
    Set {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        mn: String,
        /// 32 hex digits (default: a random key; fixed or patterned keys are refused).
        #[arg(long)]
        key: Option<String>,
        /// How the device sends its ciphertext: binary (default) or hex.
        #[arg(long)]
        wire: Option<String>,
    },
    /// Rotates a device's key: the gateway sends the new key with 1014 on the device's next
    /// packet and activates it on the logger's answer; the old key stays valid for the
    /// grace period. The new key is printed once.
    ///
    /// Example: lantian device-key rotate --as bureau1 010000A8900016F000169DC0
    Rotate {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        mn: String,
        #[arg(long)]
        key: Option<String>,
    },
    /// Keys per device: version, state, created, activated, rotation due (Beijing time),
    /// overdue. Never the key itself.
    ///
    /// Example: lantian device-key list --as bureau1
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long)]
        mn: Option<String>,
        /// Include retired keys.
        #[arg(long)]
        retired: bool,
        #[arg(long)]
        json: bool,
    },
    /// Loggers that announced their hardware serial (1001) and the MN assigned to them.
    ///
    /// Example: lantian device-key serials --as bureau1
    Serials {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long)]
        json: bool,
    },
    /// Assigns a registered device's MN to a logger serial (sent with 1002 on the logger's
    /// next 1001).
    ///
    /// Example: lantian device-key assign-mn --as bureau1 LOGGER-7 010000A8900016F000169DC0
    AssignMn {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        serial: String,
        mn: String,
    },
}

pub fn run(a: Args) -> Result<ExitCode> {
    match a.what {
        Cmd::Set {
            store,
            who,
            mn,
            key,
            wire,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let c = device_keys::set(&app, &caller, &mn, key.as_deref(), wire.as_deref())?;
            println!("{}", json!(c));
        }
        Cmd::Rotate {
            store,
            who,
            mn,
            key,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let c = device_keys::rotate(&app, &caller, &mn, key.as_deref())?;
            println!("{}", json!(c));
        }
        Cmd::List {
            store,
            who,
            mn,
            retired,
            json,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let keys = device_keys::list(&app, &caller, mn.as_deref(), retired)?;
            print(json, &keys, |k| {
                format!(
                    "{}\tv{}\t{}\t{}\tcreated {}\tactivated {}\tdue {} (北京时间){}",
                    k.key.mn,
                    k.key.version,
                    k.key.state.as_str(),
                    k.key.wire,
                    k.created,
                    k.activated.as_deref().unwrap_or("-"),
                    k.rotation_due.as_deref().unwrap_or("-"),
                    if k.overdue { "\tOVERDUE" } else { "" }
                )
            })?;
        }
        Cmd::Serials { store, who, json } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let v = device_keys::serials(&app, &caller)?;
            print(json, &v, |s| {
                format!(
                    "{}\t{}\tMN {}\t{}\tcpu {}\tmac {}\tfrom {}\tlast {} 北京时间",
                    s.serial.serial,
                    s.state,
                    s.serial.assigned_mn.as_deref().unwrap_or("-"),
                    s.serial.claimed_mn,
                    s.serial.cpu_id,
                    s.serial.mac,
                    s.serial.peer,
                    s.last
                )
            })?;
        }
        Cmd::AssignMn {
            store,
            who,
            serial,
            mn,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let s = device_keys::assign_mn(&app, &caller, &serial, &mn)?;
            println!("{}", json!(s));
        }
    }
    Ok(ExitCode::SUCCESS)
}
