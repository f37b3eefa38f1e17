//! `lantian send`: a device simulator. It replays a real data file as HJ 212 uploads over
//! TCP, answers the host's commands as a data logger would, waits for the acknowledgements
//! and reports what happened.

use crate::input;
use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use lantian_core::pollutant::Pollutant;
use lantian_formats::{Diagnostics, cnemc, prsa};
use lantian_gateway::client::{OutFrame, SendConfig, send};
use lantian_gateway::mapping::timestamp;
use lantian_hj212::Command;
use lantian_hj212::encode::data_upload;
use serde_json::json;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Gateway address, HOST:PORT.
    #[arg(long)]
    to: String,
    /// The device's MN.
    #[arg(long)]
    mn: String,
    /// The device's access password.
    #[arg(long)]
    password: String,
    /// Packets per second over all connections (default: as fast as acknowledgements allow).
    #[arg(long, value_name = "N")]
    rate: Option<f64>,
    /// Parallel connections.
    #[arg(long, default_value_t = 1)]
    connections: usize,
    /// Unacknowledged packets in flight per connection.
    #[arg(long, default_value_t = 16)]
    window: usize,
    /// Input format; `auto` looks at the first line.
    #[arg(long, value_enum, default_value = "auto")]
    format: Format,
    /// For CNEMC files: the station column to replay (default: the first with data).
    #[arg(long)]
    station: Option<String>,
    /// Send each hour of a data file as one hourly upload (2061), as 60 minute uploads (2051)
    /// of the hour's value, or as 60 real-time uploads (2011, one a minute): a station that
    /// sends minute or real-time data only.
    #[arg(long, value_enum, default_value = "hour")]
    period: SendPeriod,
    /// Send at most this many packets.
    #[arg(long)]
    limit: Option<usize>,
    /// Seconds to wait for the last acknowledgements.
    #[arg(long, default_value_t = 30.0)]
    ack_timeout_s: f64,
    /// Threads driving the connections (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// A file of raw packets (one per line), a CNEMC daily file, or a UCI Beijing file.
    file: PathBuf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum SendPeriod {
    Hour,
    Min,
    Rtd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Auto,
    Packets,
    Cnemc,
    Prsa,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let mut frames = frames(&a)?;
    if let Some(n) = a.limit {
        frames.truncate(n);
    }
    if frames.is_empty() {
        bail!("{}: nothing to send", a.file.display());
    }
    let cfg = SendConfig {
        to: a.to.clone(),
        connections: a.connections,
        rate_per_s: a.rate,
        window: a.window,
        ack_timeout: Duration::from_secs_f64(a.ack_timeout_s),
    };
    let runtime = match a.threads {
        0 => tokio::runtime::Builder::new_multi_thread(),
        1 => tokio::runtime::Builder::new_current_thread(),
        n => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(n);
            b
        }
    }
    .enable_all()
    .build()?;
    let r = runtime.block_on(send(frames, &cfg));
    println!(
        "{}",
        json!({
            "sent": r.sent, "acknowledged": r.acked, "rejected": r.rejected, "unanswered": r.unanswered,
            "commands_answered": r.commands_answered, "connect_errors": r.connect_errors,
            "seconds": r.elapsed_s, "ack_latency_ms_p50": r.ack_latency_ms_p50, "ack_latency_ms_p99": r.ack_latency_ms_p99,
            "ack_latency_ms_max": r.ack_latency_ms_max,
        })
    );
    Ok(
        if r.connect_errors == 0 && r.rejected == 0 && r.unanswered == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        },
    )
}

fn detect(path: &Path) -> Result<Format> {
    let mut first = String::new();
    input::open(path)?.read_line(&mut first)?;
    Ok(if first.starts_with("##") {
        Format::Packets
    } else if first.starts_with("date,hour,type") {
        Format::Cnemc
    } else if first.contains("\"year\"") && first.contains("\"PM2.5\"") {
        Format::Prsa
    } else {
        bail!(
            "{}: cannot tell the format from the first line; use --format",
            path.display()
        )
    })
}

fn frames(a: &Args) -> Result<Vec<OutFrame>> {
    let format = if a.format == Format::Auto {
        detect(&a.file)?
    } else {
        a.format
    };
    let name = a.file.display().to_string();
    let mut diag = Diagnostics::default();
    let hours: Vec<(i64, [Option<f64>; 6])> = match format {
        Format::Packets => {
            let mut out = Vec::new();
            for line in input::open(&a.file)?.lines() {
                let line = line.with_context(|| format!("{name}: cannot read"))?;
                let t = line.trim_end();
                if !t.is_empty() {
                    out.push(OutFrame::new([t.as_bytes(), b"\r\n"].concat()));
                }
            }
            return Ok(out);
        }
        Format::Cnemc => {
            let f = cnemc::read(input::open(&a.file)?, &name, &mut diag)?;
            let col = match &a.station {
                Some(s) => f
                    .stations
                    .iter()
                    .position(|x| x == s)
                    .with_context(|| format!("{name}: no station {s}"))?,
                None => (0..f.stations.len())
                    .find(|&i| {
                        f.hours
                            .iter()
                            .any(|h| h.value(cnemc::Kind::Pm25, i).is_some())
                    })
                    .with_context(|| format!("{name}: no station has data"))?,
            };
            f.hours
                .iter()
                .map(|h| (h.start(), h.realtime_inputs(col).hour))
                .collect()
        }
        Format::Prsa => prsa::read(input::open(&a.file)?, &name, None, &mut diag)?
            .rows
            .into_iter()
            .map(|r| (r.start(), r.values))
            .collect(),
        Format::Auto => unreachable!("resolved above"),
    };
    let (minutes, cn): (&[i64], _) = match a.period {
        SendPeriod::Hour => (&[0], Command::HOURLY_DATA),
        SendPeriod::Min => (&MINUTES, Command::MINUTE_DATA),
        SendPeriod::Rtd => (&MINUTES, Command::REALTIME_DATA),
    };
    let mut out = Vec::with_capacity(hours.len() * minutes.len());
    for (start, v) in &hours {
        let values: Vec<(&str, f64)> = Pollutant::ALL
            .iter()
            .filter_map(|p| v[p.index()].map(|x| (p.hj212_code(), x)))
            .collect();
        if values.is_empty() {
            continue;
        }
        for m in minutes {
            // The device's DataTime is the start of the hour (or minute) it averages.
            let t = timestamp(start + m * 60);
            let qn = format!("{}{:03}", t.n14(), out.len() % 1000);
            out.push(OutFrame::new(data_upload(
                "22",
                cn,
                &qn,
                &a.password,
                &a.mn,
                &t,
                &values,
            )));
        }
    }
    Ok(out)
}

/// The minutes of an hour.
const MINUTES: [i64; 60] = {
    let mut m = [0; 60];
    let mut i = 0;
    while i < 60 {
        m[i] = i as i64;
        i += 1;
    }
    m
};
