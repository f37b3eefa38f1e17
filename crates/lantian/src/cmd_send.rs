//! `lantian send`: a device simulator. It replays a real data file as HJ 212 uploads over
//! TCP, or generates a pollution source's data with chosen faults (`--generate`, see
//! `crate::simulate`), answers the host's commands as a data logger would, waits for the
//! acknowledgements and reports what happened.

use crate::input;
use crate::simulate::{self, Fault, Period, Plan, Profile, Source};
use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use lantian_core::Date;
use lantian_core::pollutant::Pollutant;
use lantian_formats::{Diagnostics, cnemc, prsa};
use lantian_gateway::client::{OutFrame, SendConfig, send};
use lantian_gateway::mapping::timestamp;
use lantian_hj212::encode::data_upload;
use serde_json::json;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// The long help's end: what `--generate` makes, the faults, the CSV layout, examples.
const MORE_HELP: &str = "\
Generating (--generate; all times Beijing time):
  cems    an outlet's CEMS: SO2 a21026, NOx a21002, particulate matter a34013 (mg/m³, each
          with the device's normalised value -ZsAvg and, in minute data, its amount -Cou in
          kg), O2 a19001 (%) and flow a00000 (m³/s), with a daily load cycle and noise.
          --profile sets the stack: sinter (O2 15.5 %, reference 16 %, 160 m³/s, limits
          35/50/10), furnace (6 %, ref. 8 %, 25 m³/s, 50/200/10), kiln (10 %, ref. 8 %,
          30 m³/s, 50/200/10), boiler (5 %, ref. 3.5 %, 1.5 m³/s, 10/30/5).
  status  a facility's working condition: 2021 uploads of CODE-RS (1 running, 0 off), one a
          minute (one an hour with --period hour); --code SB1-RS.
  power   an electricity meter: CODE-Avg (kW), about 75 % of --rated-kw with a daily cycle;
          --code e01.
  Values depend only on --seed (default: from the MN) and the minute, so runs over
  overlapping days agree.

Faults (--fault, repeatable): KIND[:CODE]@HH-HH every day, or KIND[:CODE]@YYYY-MM-DDTHH-HH
one day; HH-HH runs from the first hour's start to the second's (05-07: 05:00-06:59), @HH is
one hour.
  exceed[:CODE]    (cems) the pollutant's normalised value at 1.2-2 times its limit (the
                   profile's, or --outlet-limit); default SO2
  stop             (cems) plant stopped: O2 about 20.5 %, flow about 0.25 m³/s, readings near
                   zero, no normalised values
  zs-wrong[:CODE]  (cems) the device's normalised value is half the right one; default SO2
  flatline[:CODE]  (cems) the pollutant held at its value when the fault began, to 0.1
                   mg/m³; default all three
  off              (status, power) the equipment off: status 0, power 0.4 % of rated
  gap              (any) nothing sent

Source CSV (--format csv, detected by its first header 时间 or time): one row per upload,
  时间,a21026,a21026-Zs,a21026-Cou,a21026-Flag,a19001,a00000,SB1-RS,e01
  2026-11-20 08:00,12.3,11.2,0.118,N,15.6,160.2,1,612
The time is Beijing time, YYYY-MM-DD HH:MM[:SS], the upload's DataTime. CODE is a value
(-Avg, or -Rtd with --period rtd), CODE-Zs the device's normalised value, CODE-Cou its amount
(kg), CODE-Flag a data flag (default N), CODE-RS a facility status, sent in a 2021 upload of
its own. --period (default hour) sets the command of the values: hour 2061, min 2051, rtd
2011. Empty cells are not sent; bad cells are skipped and reported. Uploads use ST=31.

Examples:
  lantian send --to 127.0.0.1:9212 --mn MN --password 123456 --generate cems \\
      --from 2026-11-20 --until 2026-11-21 --fault exceed@05-07 --fault stop@2026-11-21T08-10
  lantian send ... --generate status --code SB1-RS --from 2026-11-20 --fault off@15-17
  lantian send ... --generate power --code e01 --rated-kw 800 --from 2026-11-20 --fault off@15-17
  lantian send ... --period min outlet.csv";

#[derive(Debug, clap::Args)]
#[command(after_long_help = MORE_HELP)]
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
    /// hour (2061), min (2051) or rtd (2011, one a minute). A CNEMC or UCI file's hours are
    /// sent as one hourly upload, or 60 minute or real-time uploads of the hour's value; a
    /// source CSV's rows as uploads of this period; generated data at this period. Default:
    /// hour, min with --generate.
    #[arg(long, value_enum)]
    period: Option<Period>,
    /// Send at most this many packets.
    #[arg(long)]
    limit: Option<usize>,
    /// Seconds to wait for the last acknowledgements.
    #[arg(long, default_value_t = 30.0)]
    ack_timeout_s: f64,
    /// Threads driving the connections (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Generate a pollution source's data instead of reading a file: cems (an outlet),
    /// status (a facility's working condition) or power (an electricity meter); needs
    /// --from. See the end of --help.
    #[arg(long, value_enum, requires = "from", conflicts_with = "file")]
    generate: Option<Generate>,
    /// First day to generate, Beijing time (YYYY-MM-DD).
    #[arg(long, value_name = "YYYY-MM-DD", requires = "generate")]
    from: Option<Date>,
    /// Last day to generate, inclusive (default: --from). (`--to` is the gateway.)
    #[arg(long, value_name = "YYYY-MM-DD", requires = "generate")]
    until: Option<Date>,
    /// A fault in some hours, repeatable: KIND[:CODE]@HH-HH (every day) or
    /// KIND[:CODE]@YYYY-MM-DDTHH-HH (one day); kinds exceed, stop, zs-wrong, flatline, gap
    /// (cems), off, gap (status, power).
    #[arg(long = "fault", value_name = "KIND@HOURS", requires = "generate")]
    faults: Vec<Fault>,
    /// The stack a generated CEMS measures: sinter, furnace, kiln or boiler.
    #[arg(long, value_enum, default_value = "sinter")]
    profile: Profile,
    /// The outlet's limit of a pollutant, CODE=MG_PER_M3 (default: the profile's): the level
    /// an exceed fault passes. Repeatable.
    #[arg(long = "outlet-limit", value_name = "CODE=MG_PER_M3")]
    outlet_limits: Vec<String>,
    /// The code a generated status or power device sends (default: SB1-RS, e01).
    #[arg(long)]
    code: Option<String>,
    /// The rated power (kW) of a generated electricity meter's equipment.
    #[arg(long, value_name = "KW")]
    rated_kw: Option<f64>,
    /// Seed of the generated noise (default: from the MN).
    #[arg(long)]
    seed: Option<u64>,
    /// A file of raw packets (one per line), a CNEMC daily file, a UCI Beijing file or a
    /// source CSV.
    #[arg(required_unless_present = "generate")]
    file: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Generate {
    Cems,
    Status,
    Power,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Auto,
    Packets,
    Cnemc,
    Prsa,
    /// A pollution source's CSV: 时间 then code columns (see the end of --help).
    Csv,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let mut frames = frames(&a)?;
    if let Some(n) = a.limit {
        frames.truncate(n);
    }
    if frames.is_empty() {
        match &a.file {
            Some(f) => bail!("{}: nothing to send", f.display()),
            None => bail!("nothing to send: every hour is a gap"),
        }
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
    } else if simulate::is_csv_header(&first) {
        Format::Csv
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

/// The generated uploads of `--generate`.
fn generated(a: &Args, what: Generate) -> Result<Vec<OutFrame>> {
    let from = a.from.context("--generate needs --from")?;
    let until = a.until.unwrap_or(from);
    if until < from {
        bail!("--until {until} is before --from {from}");
    }
    let source = match what {
        Generate::Cems => {
            let limits = a
                .outlet_limits
                .iter()
                .map(|l| {
                    let (code, v) = l
                        .split_once('=')
                        .with_context(|| format!("--outlet-limit {l}: expected CODE=MG_PER_M3"))?;
                    if !simulate::POLLUTANTS.contains(&code) {
                        bail!(
                            "--outlet-limit {l}: the code must be one of {}",
                            simulate::POLLUTANTS.join(", ")
                        );
                    }
                    let v: f64 = v
                        .parse()
                        .ok()
                        .filter(|v: &f64| v.is_finite() && *v > 0.0)
                        .with_context(|| {
                            format!("--outlet-limit {l}: {v:?} is not a number above 0")
                        })?;
                    Ok((code.to_owned(), v))
                })
                .collect::<Result<Vec<_>>>()?;
            Source::Cems {
                profile: a.profile,
                limits,
            }
        }
        Generate::Status => Source::Status {
            code: a.code.clone().unwrap_or_else(|| "SB1-RS".to_owned()),
        },
        Generate::Power => Source::Power {
            code: a.code.clone().unwrap_or_else(|| "e01".to_owned()),
            rated_kw: a
                .rated_kw
                .context("--generate power needs --rated-kw (the equipment's rated power)")?,
        },
    };
    let plan = Plan::days(
        source,
        from,
        until,
        a.period.unwrap_or(Period::Min),
        a.faults.clone(),
        a.seed.unwrap_or_else(|| simulate::seed_of(&a.mn)),
    );
    let mut uploads = simulate::generate(&plan)?;
    // A device cannot measure the future, and the gateway refuses values dated ahead of it.
    let now_cst = lantian_app::Clock::System.now_cst();
    let n = uploads.len();
    uploads.retain(|u| u.ts <= now_cst);
    if uploads.len() < n {
        eprintln!(
            "--generate: {} uploads dated after now (Beijing time) are not sent",
            n - uploads.len()
        );
    }
    Ok(simulate::frames(&uploads, &a.mn, &a.password))
}

fn frames(a: &Args) -> Result<Vec<OutFrame>> {
    let file = match (a.generate, &a.file) {
        (Some(what), _) => return generated(a, what),
        (None, Some(file)) => file,
        (None, None) => bail!("give a file to replay, or --generate"),
    };
    let format = if a.format == Format::Auto {
        detect(file)?
    } else {
        a.format
    };
    let name = file.display().to_string();
    let mut diag = Diagnostics::default();
    let frames = file_frames(a, file, format, &name, &mut diag);
    if diag.skipped > 0 {
        eprintln!("lantian: {name}: skipped {} cells or rows:", diag.skipped);
        for s in diag.examples.iter().take(5) {
            eprintln!("  {s}");
        }
    }
    frames
}

fn file_frames(
    a: &Args,
    file: &Path,
    format: Format,
    name: &str,
    diag: &mut Diagnostics,
) -> Result<Vec<OutFrame>> {
    let hours: Vec<(i64, [Option<f64>; 6])> = match format {
        Format::Csv => {
            let period = a.period.unwrap_or(Period::Hour);
            let uploads = simulate::read_csv(input::open(file)?, name, period, diag)?;
            return Ok(simulate::frames(&uploads, &a.mn, &a.password));
        }
        Format::Packets => {
            let mut out = Vec::new();
            for line in input::open(file)?.lines() {
                let line = line.with_context(|| format!("{name}: cannot read"))?;
                let t = line.trim_end();
                if !t.is_empty() {
                    out.push(OutFrame::new([t.as_bytes(), b"\r\n"].concat()));
                }
            }
            return Ok(out);
        }
        Format::Cnemc => {
            let f = cnemc::read(input::open(file)?, name, diag)?;
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
        Format::Prsa => prsa::read(input::open(file)?, name, None, diag)?
            .rows
            .into_iter()
            .map(|r| (r.start(), r.values))
            .collect(),
        Format::Auto => unreachable!("resolved above"),
    };
    let period = a.period.unwrap_or(Period::Hour);
    let minutes: &[i64] = match period {
        Period::Hour => &[0],
        Period::Min | Period::Rtd => &MINUTES,
    };
    let cn = period.command();
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
