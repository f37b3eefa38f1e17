//! `lantian device-command …`: reverse control from the command line (docs/reverse-control.md):
//! queue an operator's command for a device, read the command log with the devices' answers,
//! each device's control at a glance, and the periods marked back-filled. Thin over
//! `lantian_app::device_commands`; the gateway the device is connected to sends the command.

use crate::context::{AsArgs, StoreArgs, print};
use anyhow::Result;
use lantian_app::device_commands::{self, Order};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: Cmd,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// Queues a command for a device: get-time, set-time, get-rtd-interval,
    /// set-rtd-interval (--seconds), get-min-interval, set-min-interval (--minutes),
    /// calibrate / sample (--pol-id), retain (--pol-id?), get-info (--pol-id, --info-id?),
    /// set-param (--pol-id, --info-id, --value), history (--period, --begin, --end).
    ///
    /// Example: lantian device-command send --as ops1 010000A8900016F000169DC0 history
    /// --period hour --begin "2026-11-30 08:00" --end "2026-11-30 12:00"
    Send {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        mn: String,
        kind: String,
        #[arg(long)]
        seconds: Option<u32>,
        #[arg(long)]
        minutes: Option<u32>,
        #[arg(long)]
        pol_id: Option<String>,
        #[arg(long)]
        info_id: Option<String>,
        #[arg(long)]
        value: Option<String>,
        /// hour, min or day (history).
        #[arg(long)]
        period: Option<String>,
        /// Beijing time `YYYY-MM-DD HH:MM` (history).
        #[arg(long)]
        begin: Option<String>,
        #[arg(long)]
        end: Option<String>,
        /// Hours the command waits for the device to connect (default 24).
        #[arg(long)]
        expires_h: Option<i64>,
    },
    /// Cancels a queued command (until a gateway has sent it).
    ///
    /// Example: lantian device-command cancel --as ops1 12
    Cancel {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        id: i64,
    },
    /// The command log, newest first (times Beijing time).
    ///
    /// Example: lantian device-command log --mn 010000A8900016F000169DC0 --origin backfill
    Log {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long)]
        mn: Option<String>,
        /// operator, backfill or time_sync.
        #[arg(long)]
        origin: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// One JSON object a line instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Each device: clock drift at the last read, the last week's history requests (records
    /// asked for and received), commands queued.
    Devices {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long)]
        json: bool,
    },
    /// The periods of a station stored from a back-fill (request or RF=1 resend).
    ///
    /// Example: lantian device-command backfilled --station XJ-01 --from "2026-11-30 00:00"
    /// --to "2026-12-01 00:00"
    Backfilled {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long)]
        station: String,
        #[arg(long, default_value = "hour")]
        period: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        json: bool,
    },
}

/// The order named `kind` (dashes or underscores) with the flags given.
fn order(kind: &str, fields: Vec<(&str, Option<Value>)>) -> Result<Order> {
    let mut m = Map::new();
    m.insert("kind".into(), json!(kind.replace('-', "_")));
    for (k, v) in fields {
        if let Some(v) = v {
            m.insert(k.into(), v);
        }
    }
    serde_json::from_value(Value::Object(m)).map_err(|e| {
        anyhow::anyhow!("command {kind:?}: {e} (see --help for the kinds and their flags)")
    })
}

pub fn run(a: Args) -> Result<ExitCode> {
    match a.what {
        Cmd::Send {
            store,
            who,
            mn,
            kind,
            seconds,
            minutes,
            pol_id,
            info_id,
            value,
            period,
            begin,
            end,
            expires_h,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let o = order(
                &kind,
                vec![
                    ("seconds", seconds.map(|v| json!(v))),
                    ("minutes", minutes.map(|v| json!(v))),
                    ("pol_id", pol_id.map(|v| json!(v))),
                    ("info_id", info_id.map(|v| json!(v))),
                    ("value", value.map(|v| json!(v))),
                    ("period", period.map(|v| json!(v))),
                    ("begin", begin.map(|v| json!(v))),
                    ("end", end.map(|v| json!(v))),
                ],
            )?;
            let c = device_commands::queue(&app, &caller, &mn, &o, expires_h)?;
            println!("{}", json!(c));
        }
        Cmd::Log {
            store,
            who,
            mn,
            origin,
            limit,
            json,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let log = device_commands::log(&app, &caller, mn.as_deref(), origin.as_deref(), limit)?;
            print(json, &log, |c| {
                let r = &c.row;
                let records = r
                    .records_expected
                    .map(|e| format!("\t{}/{e} records", r.records_received))
                    .unwrap_or_default();
                format!(
                    "{}\t{}\t{}\tCN={} {}\t{}\t{}\tQnRtn={} ExeRtn={}{records}\t{}\t{}",
                    r.id,
                    c.created,
                    r.mn,
                    r.cn,
                    c.name_en,
                    r.origin,
                    r.state.as_str(),
                    r.qn_rtn.map_or("-".to_owned(), |v| v.to_string()),
                    r.exe_rtn.map_or("-".to_owned(), |v| v.to_string()),
                    r.reply.replace('\n', " | "),
                    r.note,
                )
            })?;
        }
        Cmd::Cancel { store, who, id } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let c = device_commands::cancel(&app, &caller, id)?;
            println!("{}", json!(c));
        }
        Cmd::Devices { store, who, json } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            // The command line has no gateway: online state is the web UI's.
            let v = device_commands::overview(&app, &caller, &HashMap::new())?;
            print(json, &v, |d| {
                format!(
                    "{}\t{}\tdrift {}\t{} requests, {}/{} records, {} incomplete\t{} queued",
                    d.mn,
                    d.station,
                    d.drift_s.map_or("-".to_owned(), |s| format!("{s} s")),
                    d.requests,
                    d.records_received,
                    d.records_asked,
                    d.requests_incomplete,
                    d.queued
                )
            })?;
        }
        Cmd::Backfilled {
            store,
            who,
            station,
            period,
            from,
            to,
            json,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let v = device_commands::backfilled(&app, &caller, &station, &period, &from, &to)?;
            print(json, &v, |m| {
                format!(
                    "{}\t{}\t{}\t{}\treceived {}",
                    m.time,
                    m.mark.period,
                    m.mark.origin,
                    m.mark
                        .command_id
                        .map_or("-".to_owned(), |c| format!("command {c}")),
                    m.received
                )
            })?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
