//! `lantian bench cems`: the two figures of the pollution-source issue. **Ingest**: `--outlets`
//! (1,000) enterprises' outlets, each with a CEMS device on its own TCP connection, send
//! realistic flue-gas minute packets (2051, ST=31: ten pollutants with -Min/-Avg/-Max/-ZsAvg/
//! -Cou/-Flag, O2, flow, temperature, pressure, humidity) to `lantian serve` over loopback on a
//! simulated clock `--speed` times real time, open loop, and the bench reports offered and
//! acknowledged rates, observations stored per second, ack latency in the first and the last
//! third of each run, the projection's lag, and the server's CPU and memory: a growing
//! backlog shows as latency or lag rising and acknowledgements falling behind. **Summary**: a
//! year of one outlet's hourly data (2061) in a fresh store, and the time of
//! `emissions::outlet_rows` by hour followed by the monthly and yearly totals.

use super::process::{Cpu, Server, cpu_s, cpu_s_by_thread, spawn, status_kib};
use crate::context::{StoreArgs, operator};
use anyhow::{Context, Result, bail};
use lantian_app::App;
use lantian_app::emissions::{self, Per, Resolution};
use lantian_app::sources::{self, FlowUnit};
use lantian_core::{Date, cst};
use lantian_gateway::mapping;
use lantian_hj212::encode::{Header, encode};
use lantian_hj212::{Check, Command, Flag, Limits, check, decode};
use lantian_store::{Enterprise, Ingest, Limit, Outlet, OutletKind, View};
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Outlets, one enterprise and one CEMS device (one TCP connection) each.
    #[arg(long, default_value_t = 1000)]
    outlets: usize,
    /// Simulated seconds per wall second of an ingest run (repeatable): 1 is real time, one
    /// minute packet per outlet a minute; 60 is a simulated minute per wall second.
    #[arg(long = "speed", default_values_t = vec![1.0, 60.0])]
    speeds: Vec<f64>,
    /// Wall seconds each ingest run sends for.
    #[arg(long, default_value_t = 20.0)]
    seconds: f64,
    /// After the given speeds, double the speed from the last one until a run shows a growing
    /// backlog, then try once between the last good and the first bad speed: the headroom.
    #[arg(long)]
    search: bool,
    /// The search stops at this speed.
    #[arg(long, default_value_t = 20_000.0)]
    search_speed_max: f64,
    /// Largest HJ 212 data segment, for the devices and the server alike. The standard's 1024
    /// makes each minute packet two parts (PNUM/PNO), as a compliant data logger sends it;
    /// 4096 sends it whole.
    #[arg(long, default_value_t = lantian_hj212::frame::DATA_SEGMENT_BYTES_MAX)]
    max_segment_bytes: usize,
    /// Timed repetitions of the year's summary.
    #[arg(long, default_value_t = 7)]
    repetitions: usize,
    /// Which figure to measure.
    #[arg(long, value_enum, default_value = "all")]
    figure: Figure,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Figure {
    All,
    Ingest,
    Summary,
}

/// The ten flue-gas pollutants every packet carries: HJ 212-2017 code and a typical measured
/// concentration (mg/m³) of an ultra-low-emission stack. Only the first four are judged
/// (`lantian_core::cems::POLLUTANTS`); the others are stored as sent.
const POLLUTANTS: [(&str, f64); 10] = [
    ("a21026", 18.0), // SO2
    ("a21002", 32.0), // NOx
    ("a34013", 4.0),  // particulate matter (烟尘)
    ("a21005", 60.0), // CO
    ("a21003", 20.0), // NO
    ("a21004", 2.5),  // NO2
    ("a24088", 12.0), // NMHC
    ("a05002", 2.0),  // CH4
    ("a21001", 1.5),  // NH3 slip
    ("a21028", 0.3),  // H2S
];

/// Flue-gas temperature (°C), static pressure (kPa) and humidity (%), typical values.
const CONDITIONS: [(&str, f64); 3] = [("a01012", 85.0), ("a01013", 0.3), ("a01014", 8.0)];

const PASSWORD: &str = "123456";
/// Variants of each outlet's values that minute packets cycle through.
const VARIANTS: usize = 16;
/// 2026-11-01 00:00 Beijing time: the simulated clock's start (minute 0, the warm-up).
const SIM_START_DAYS: i64 = 20_758;
/// The summary's year.
const SUMMARY_YEAR: i32 = 2025;
/// The bound for the year's summary.
const SUMMARY_MS_MAX: f64 = 100.0;

/// What a run must show to count as keeping up (no growing backlog): every frame
/// acknowledged; the ack latency's median in the last third at most twice the first third's
/// plus `LATENCY_P50_SLACK_MS`; the projection's lag (packets acknowledged, not yet
/// queryable) over the last two thirds growing by less than `LAG_GROWTH_SHARE_MAX` of the
/// offered packets per second (a least-squares slope: the lag saw-tooths with the projector's
/// rounds); the projection caught up within `CAUGHT_UP_S_MAX` of the last ack; the sender on
/// schedule.
const LATENCY_P50_SLACK_MS: f64 = 5.0;
const LAG_GROWTH_SHARE_MAX: f64 = 0.10;
const CAUGHT_UP_S_MAX: f64 = 10.0;
const SEND_LATE_MS_MAX: f64 = 1000.0;

fn mn(k: usize) -> String {
    format!("CEMS{k:020}")
}

/// An outlet's reference O2 (%): sintering 16, coal boiler 6, gas boiler 9, in turn.
fn o2_ref(k: usize) -> f64 {
    [16.0, 6.0, 9.0][k % 3]
}

/// `-0.5 ≤ x < 0.5`, varying with the outlet, the record and the field.
fn wobble(k: usize, m: usize, i: usize) -> f64 {
    ((k * 7 + m * 13 + i * 5) % 17) as f64 / 17.0 - 0.5
}

/// The CP items (without `DataTime`) of outlet `k`'s record `m` covering `seconds` (60 for a
/// minute, 3600 for an hour); `stopped`: the plant is off (O2 near air, flow near zero, no
/// normalised values). Amounts (-Cou) are kg (pollutants) and m³ (flow), consistent with
/// the averages, so the device's figures check out.
fn items(k: usize, m: usize, seconds: f64, stopped: bool) -> Vec<String> {
    let reference = o2_ref(k);
    let (o2, flow_m3_s) = if stopped {
        (20.6 + 0.2 * wobble(k, m, 0), 0.3 + 0.2 * wobble(k, m, 1))
    } else {
        (
            reference + 1.5 + (k % 5) as f64 * 0.3 + 0.6 * wobble(k, m, 0),
            20.0 + (k % 13) as f64 * 10.0 + 5.0 * wobble(k, m, 1),
        )
    };
    let level = 0.6 + 0.08 * (k % 11) as f64;
    let mut out = Vec::with_capacity(POLLUTANTS.len() + 2 + CONDITIONS.len());
    for (i, (code, typical)) in POLLUTANTS.iter().enumerate() {
        let avg = typical * level * (1.0 + 0.3 * wobble(k, m, i + 2));
        let cou = avg * flow_m3_s * seconds * 1e-6;
        let zs = if stopped {
            String::new()
        } else {
            let zs = avg * (21.0 - reference) / (21.0 - o2);
            format!("{code}-ZsAvg={zs:.3},")
        };
        out.push(format!(
            "{code}-Min={:.3},{code}-Avg={avg:.3},{code}-Max={:.3},{zs}{code}-Cou={cou:.6},{code}-Flag=N",
            avg * 0.9,
            avg * 1.1,
        ));
    }
    out.push(format!(
        "a19001-Min={:.2},a19001-Avg={o2:.2},a19001-Max={:.2},a19001-Flag=N",
        o2 - 0.2,
        o2 + 0.2
    ));
    out.push(format!(
        "a00000-Min={:.3},a00000-Avg={flow_m3_s:.3},a00000-Max={:.3},a00000-Cou={:.1},a00000-Flag=N",
        flow_m3_s * 0.95,
        flow_m3_s * 1.05,
        flow_m3_s * seconds
    ));
    for (i, (code, typical)) in CONDITIONS.iter().enumerate() {
        let avg = typical * (1.0 + 0.1 * wobble(k, m, 20 + i));
        out.push(format!(
            "{code}-Min={:.2},{code}-Avg={avg:.2},{code}-Max={:.2},{code}-Flag=N",
            avg * 0.98,
            avg * 1.02
        ));
    }
    out
}

/// The frames of one record: whole if its data segment fits `max_segment_bytes`, else split
/// into parts (PNUM/PNO) as HJ 212 asks; with each frame's QN (unique per device and record).
fn record_frames(
    device_mn: &str,
    cn: Command,
    t_cst: i64,
    items: &[&str],
    max_segment_bytes: usize,
) -> Vec<(Vec<u8>, String)> {
    let n14 = mapping::timestamp(t_cst).n14();
    let repeat = format!("DataTime={n14}");
    let qn = format!("{n14}000");
    let h = Header {
        qn: Some(&qn),
        st: "31",
        cn,
        pw: Some(PASSWORD),
        mn: Some(device_mn),
        flag: Some(Flag(5)),
        pnum: None,
        pno: None,
        resend: false,
    };
    let whole = encode(&h, &format!("{repeat};{}", items.join(";")));
    if whole.len() - lantian_hj212::frame::FRAME_OVERHEAD_BYTES <= max_segment_bytes {
        return vec![(whole, qn)];
    }
    let qns = |i: usize| format!("{n14}{:03}", i + 1);
    lantian_hj212::split::split(&h, &repeat, items, max_segment_bytes, qns)
        .into_iter()
        .enumerate()
        .map(|(i, f)| (f, qns(i)))
        .collect()
}

pub fn run(a: Args) -> Result<ExitCode> {
    if a.outlets == 0 || a.seconds <= 0.0 || a.speeds.iter().any(|s| *s <= 0.0) {
        bail!("--outlets, --seconds and every --speed must be positive");
    }
    if a.figure != Figure::Summary {
        println!("{}", ingest(&a)?);
    }
    if a.figure != Figure::Ingest {
        println!("{}", summary(&a)?);
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------
// Ingest

/// Starts `lantian serve` on `dir`; returns it with its HJ 212 and HTTP addresses.
fn serve(dir: &Path, max_segment_bytes: usize) -> Result<(Server, String, String)> {
    let dir = dir.to_string_lossy();
    let segment = max_segment_bytes.to_string();
    spawn(
        &std::env::current_exe()?,
        &[
            "serve",
            "--data-dir",
            &dir,
            "--hj212",
            "127.0.0.1:0",
            "--http",
            "127.0.0.1:0",
            "--no-device-setup",
            "--max-segment-bytes",
            &segment,
            // Every simulated outlet connects from this machine's one address.
            "--connections-per-address",
            "1000000",
        ],
        true,
    )
}

/// Registers `n` enterprises, each with one outlet (limits, reference O2, flow in m³/s) and
/// its CEMS device, through the application layer as `lantian enterprise/outlet/device add`
/// do. Two threads: device passwords are Argon2id hashes.
fn register(dir: &Path, n: usize) -> Result<()> {
    let app = StoreArgs {
        data_dir: dir.to_owned(),
        postgres: None,
        county: None,
    }
    .app()?;
    let caller = operator();
    let one = |k: usize| -> Result<()> {
        let id = format!("E{k:04}");
        sources::add(
            &app,
            &caller,
            Enterprise {
                id: id.clone(),
                name: format!("企业{k:04}"),
                admin_unit_id: Some("xinji".into()),
                industry: Some(["钢铁", "电力", "建材"][k % 3].into()),
                key_polluter: true,
                ..Enterprise::default()
            },
        )?;
        let limits = [("a21026", 35.0), ("a21002", 50.0), ("a34013", 10.0)]
            .into_iter()
            .map(|(code, limit)| Limit {
                code: code.into(),
                limit_mg_m3: limit,
                source: "超低排放".into(),
            })
            .collect();
        let outlet = Outlet {
            id: format!("{id}-1"),
            enterprise_id: id,
            name: "1#排放口".into(),
            kind: OutletKind::Stack,
            height_m: Some(60.0),
            o2_ref_pct: Some(o2_ref(k)),
            flow_stopped_m3_h: 10_000.0,
            limits,
        };
        let outlet_id = outlet.id.clone();
        sources::add_outlet(&app, &caller, outlet, FlowUnit::CubicMetresPerSecond)?;
        app.store
            .add_device(&mn(k), PASSWORD, &outlet_id, "2017", app.clock.now_ms())?;
        Ok(())
    };
    std::thread::scope(|s| -> Result<()> {
        let handles: Vec<_> = (0..2)
            .map(|t| {
                let one = &one;
                s.spawn(move || (t..n).step_by(2).try_for_each(one))
            })
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| anyhow::anyhow!("a registering thread panicked"))??;
        }
        Ok(())
    })
}

/// One device's connection, kept open across runs.
struct Device {
    k: usize,
    rd: OwnedReadHalf,
    wr: OwnedWriteHalf,
    /// Bytes of a reply not yet complete.
    buf: Vec<u8>,
}

/// What every device of a run reads: MNs, the CP bodies it cycles through.
struct Plan {
    mns: Vec<String>,
    /// `[outlet][variant]`: the items of a minute record.
    items: Vec<Vec<Vec<String>>>,
    max_segment_bytes: usize,
}

/// One run's load.
#[derive(Clone, Copy)]
struct Load {
    speed: f64,
    seconds: f64,
    /// The simulated minute (from `SIM_START_DAYS`) of each device's first record.
    first_minute: i64,
}

/// What one device saw in a run.
#[derive(Default)]
struct Tally {
    records: u64,
    sent: u64,
    acked: u64,
    rejected: u64,
    unanswered: u64,
    /// (seconds after the run's start the frame was sent, ack latency ms).
    latencies: Vec<(f32, f32)>,
    /// How late each record left against its schedule, ms (the sender keeping up).
    late_ms: Vec<f32>,
    last_ack: Option<Instant>,
}

/// Replies in `d.buf`: acknowledgements matched to `pending` by QN.
fn take_replies(
    d: &mut Device,
    pending: &mut VecDeque<(String, Instant)>,
    t: &mut Tally,
    t0: Instant,
) {
    let lim = Limits::default();
    let mut pos = 0;
    loop {
        match check(&d.buf[pos..], &lim) {
            Check::Incomplete => break,
            Check::Invalid { skip, .. } => pos += skip,
            Check::Frame { len } => {
                let frame = &d.buf[pos..pos + len];
                pos += len;
                let Ok(p) = decode(frame, &lim) else { continue };
                let ok = match p.cn.0 {
                    9014 | 9013 => true,
                    9011 => p.cp_value("QnRtn") == Some("1"),
                    _ => continue,
                };
                let qn = p.qn.unwrap_or_default();
                // Replies leave in the order packets arrived: the first pending, mostly.
                let Some(i) = pending.iter().position(|(q, _)| q == qn) else {
                    continue;
                };
                let Some((_, sent_at)) = pending.remove(i) else {
                    continue;
                };
                if ok {
                    let now = Instant::now();
                    t.acked += 1;
                    t.latencies.push((
                        sent_at.duration_since(t0).as_secs_f32(),
                        now.duration_since(sent_at).as_secs_f32() * 1000.0,
                    ));
                    t.last_ack = Some(now);
                } else {
                    t.rejected += 1;
                }
            }
        }
    }
    d.buf.drain(..pos);
}

/// Device `d` sends its records on schedule (open loop) from `t0` for the run's seconds and
/// waits up to `ack_timeout` for the last acknowledgements.
async fn drive(
    mut d: Device,
    plan: Arc<Plan>,
    load: Load,
    t0: Instant,
    ack_timeout: Duration,
) -> (Device, Tally) {
    let mut t = Tally::default();
    let interval_s = 60.0 / load.speed;
    // Devices are not synchronised: device k is k/n of an interval late.
    let phase = d.k as f64 / plan.mns.len() as f64;
    let at = |j: i64| t0 + Duration::from_secs_f64((j as f64 + phase) * interval_s);
    let end = t0 + Duration::from_secs_f64(load.seconds);
    let (mut j, mut next) = (0i64, at(0));
    let mut sending = next < end;
    let mut deadline = None;
    let mut pending: VecDeque<(String, Instant)> = VecDeque::new();
    let mut chunk = vec![0u8; 8192];
    let mut out = Vec::new();
    loop {
        if !sending && pending.is_empty() {
            break;
        }
        if !sending && deadline.is_none() {
            deadline = Some(Instant::now().max(end) + ack_timeout);
        }
        let wake = match deadline {
            Some(dl) => dl,
            None => next,
        };
        tokio::select! {
            biased;
            r = d.rd.read(&mut chunk) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    d.buf.extend_from_slice(&chunk[..n]);
                    take_replies(&mut d, &mut pending, &mut t, t0);
                }
            },
            () = tokio::time::sleep_until(wake.into()) => {
                if !sending {
                    break;
                }
                let now = Instant::now();
                t.late_ms.push(now.duration_since(next).as_secs_f32() * 1000.0);
                let minute = load.first_minute + j;
                let variant = &plan.items[d.k][minute as usize % VARIANTS];
                let refs: Vec<&str> = variant.iter().map(String::as_str).collect();
                let frames = record_frames(
                    &plan.mns[d.k],
                    Command::MINUTE_DATA,
                    SIM_START_DAYS * cst::DAY_S + minute * 60,
                    &refs,
                    plan.max_segment_bytes,
                );
                out.clear();
                for (bytes, qn) in &frames {
                    out.extend_from_slice(bytes);
                    pending.push_back((qn.clone(), now));
                }
                if d.wr.write_all(&out).await.is_err() {
                    break;
                }
                t.records += 1;
                t.sent += frames.len() as u64;
                j += 1;
                next = at(j);
                sending = next < end;
            }
        }
    }
    t.unanswered += pending.len() as u64;
    (d, t)
}

/// One scrape of the server's `/metrics`.
#[derive(Clone, Copy, Debug)]
struct Sample {
    /// Seconds after the run's start.
    at_s: f64,
    projection_lag: f64,
    observations_new: f64,
}

async fn metrics_text(http: &str) -> Result<String> {
    let mut s = TcpStream::connect(http).await?;
    s.write_all(super::process::metrics_request().as_bytes())
        .await?;
    let mut body = String::new();
    s.read_to_string(&mut body).await?;
    Ok(body)
}

/// The server's counters that tell whether it keeps up.
#[derive(Clone, Copy, Debug, Default)]
struct Counters {
    projection_lag: f64,
    observations_new: f64,
    backpressure_waits: f64,
}

async fn scrape(http: &str) -> Result<Counters> {
    let body = metrics_text(http).await?;
    let value = |name: &str| {
        body.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .with_context(|| format!("no {name} in /metrics"))
    };
    Ok(Counters {
        projection_lag: value("lantian_gateway_projection_lag")?,
        observations_new: value("lantian_gateway_observations_new_total")?,
        backpressure_waits: value("lantian_gateway_backpressure_waits_total")?,
    })
}

/// Scrapes every 250 ms until `stop`.
async fn sample_metrics(http: String, t0: Instant, stop: Arc<AtomicBool>) -> Vec<Sample> {
    let mut out = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        if let Ok(c) = scrape(&http).await {
            out.push(Sample {
                at_s: t0.elapsed().as_secs_f64(),
                projection_lag: c.projection_lag,
                observations_new: c.observations_new,
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    out
}

/// Waits until the projection lag is zero; returns when that was seen.
async fn caught_up(http: &str) -> Result<Instant> {
    let started = Instant::now();
    loop {
        let lag = scrape(http).await?.projection_lag;
        if lag == 0.0 {
            return Ok(Instant::now());
        }
        if started.elapsed() > Duration::from_secs(600) {
            bail!("the projection did not catch up within 10 minutes (lag {lag})");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The least-squares slope of `(x, y)` points (0 for fewer than two).
fn slope(points: impl Iterator<Item = (f64, f64)>) -> f64 {
    let p: Vec<(f64, f64)> = points.collect();
    let n = p.len() as f64;
    if p.len() < 2 {
        return 0.0;
    }
    let (mx, my) = (
        p.iter().map(|q| q.0).sum::<f64>() / n,
        p.iter().map(|q| q.1).sum::<f64>() / n,
    );
    let sxx: f64 = p.iter().map(|q| (q.0 - mx).powi(2)).sum();
    let sxy: f64 = p.iter().map(|q| (q.0 - mx) * (q.1 - my)).sum();
    if sxx > 0.0 { sxy / sxx } else { 0.0 }
}

/// The counters once the projection is done and they have stopped moving: the projector
/// adds a round's observations to its counter a little after the round became queryable.
async fn settled(http: &str) -> Result<Counters> {
    let mut last = scrape(http).await?;
    let mut still_since = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let c = scrape(http).await?;
        if c.projection_lag != 0.0 || c.observations_new != last.observations_new {
            still_since = Instant::now();
        } else if still_since.elapsed() >= Duration::from_millis(300) {
            return Ok(c);
        }
        last = c;
    }
}

fn percentile(sorted: &[f32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    f64::from(sorted[((sorted.len() - 1) as f64 * p).round() as usize])
}

fn sorted(mut v: Vec<f32>) -> Vec<f32> {
    v.sort_by(f32::total_cmp);
    v
}

/// Everything a run needs besides its load.
struct Rig {
    http: String,
    pid: u32,
    plan: Arc<Plan>,
    observations_per_record: usize,
    frames_per_record: usize,
}

/// Runs one load over all devices; returns them and the run's JSON.
async fn one_run(rig: &Rig, devices: Vec<Device>, load: Load) -> Result<(Vec<Device>, Value)> {
    // Settled first: the warm-up's (or the previous run's) last round may still be adding
    // to the counter, which would count its observations as this run's.
    let before = settled(&rig.http).await?;
    let pid = rig.pid.to_string();
    let (server0, sender0) = (cpu_s(&pid, Cpu::Own), cpu_s("self", Cpu::Own));
    let threads0 = cpu_s_by_thread(rig.pid);
    let t0 = Instant::now() + Duration::from_millis(50);
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn(sample_metrics(rig.http.clone(), t0, stop.clone()));
    let mut tasks = tokio::task::JoinSet::new();
    for d in devices {
        tasks.spawn(drive(
            d,
            rig.plan.clone(),
            load,
            t0,
            Duration::from_secs(60),
        ));
    }
    let mut devices = Vec::new();
    let mut all = Tally::default();
    while let Some(r) = tasks.join_next().await {
        let (d, t) = r.context("a device task")?;
        devices.push(d);
        all.records += t.records;
        all.sent += t.sent;
        all.acked += t.acked;
        all.rejected += t.rejected;
        all.unanswered += t.unanswered;
        all.latencies.extend(t.latencies);
        all.late_ms.extend(t.late_ms);
        all.last_ack = all.last_ack.max(t.last_ack);
    }
    devices.sort_by_key(|d| d.k);
    let sent_until = Instant::now();
    let done = caught_up(&rig.http).await?;
    stop.store(true, Ordering::Relaxed);
    let samples = sampler.await.context("the metrics sampler")?;
    let after = settled(&rig.http).await?;
    let (server_s, sender_s) = (
        cpu_s(&pid, Cpu::Own) - server0,
        cpu_s("self", Cpu::Own) - sender0,
    );
    // The run's span: from its start until everything it sent was queryable.
    let span_s = done.duration_since(t0).as_secs_f64().max(load.seconds);
    // By thread name, over the threads alive at the end (a blocking-pool thread that ended
    // during the run takes its CPU time with it).
    let mut by_name: std::collections::BTreeMap<String, f64> = Default::default();
    for (tid, (name, s)) in cpu_s_by_thread(rig.pid) {
        let before = threads0.get(&tid).map_or(0.0, |t| t.1);
        *by_name.entry(name).or_insert(0.0) += s - before;
    }
    let threads: serde_json::Map<String, Value> = by_name
        .into_iter()
        .map(|(name, used)| (name, json!((used / span_s * 100.0).round() / 100.0)))
        .filter(|(_, v)| v.as_f64() != Some(0.0))
        .collect();
    let last_ack = all.last_ack.unwrap_or(sent_until).max(t0);
    let ack_s = last_ack.duration_since(t0).as_secs_f64().max(1e-9);
    let queryable_after_s = done.saturating_duration_since(last_ack).as_secs_f64();

    let third = load.seconds / 3.0;
    let lat_in = |lo: f64, hi: f64| {
        sorted(
            all.latencies
                .iter()
                .filter(|(at, _)| (lo..hi).contains(&f64::from(*at)))
                .map(|(_, l)| *l)
                .collect(),
        )
    };
    let (first, last) = (lat_in(0.0, third), lat_in(2.0 * third, f64::INFINITY));
    let every = sorted(all.latencies.iter().map(|(_, l)| *l).collect());
    let late = sorted(std::mem::take(&mut all.late_ms));
    let lag_mean = |lo: f64, hi: f64| {
        let v: Vec<f64> = samples
            .iter()
            .filter(|s| (lo..hi).contains(&s.at_s))
            .map(|s| s.projection_lag)
            .collect();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    };
    let (lag_first, lag_last) = (lag_mean(0.0, third), lag_mean(2.0 * third, load.seconds));
    let lag_max = samples
        .iter()
        .filter(|s| s.at_s < load.seconds)
        .map(|s| s.projection_lag)
        .fold(before.projection_lag, f64::max);
    // Stored while the load lasted, from the scrapes inside the run.
    let inside: Vec<&Sample> = samples.iter().filter(|s| s.at_s <= load.seconds).collect();
    let stored_while_sending = match (inside.first(), inside.last()) {
        (Some(a), Some(b)) if b.at_s > a.at_s + 0.5 => {
            Some((b.observations_new - a.observations_new) / (b.at_s - a.at_s))
        }
        _ => None,
    };
    // Second by second: the projection's lag (the last scrape of each second) and the p99
    // of the acks of the frames sent in it; a backlog that grows shows here first.
    let whole_seconds = load.seconds.ceil() as usize;
    let mut lag_by_second = vec![None; whole_seconds];
    for s in &samples {
        if let Some(slot) = lag_by_second.get_mut(s.at_s as usize) {
            *slot = Some(s.projection_lag);
        }
    }
    let mut by_second: Vec<Vec<f32>> = vec![Vec::new(); whole_seconds];
    for (at, l) in &all.latencies {
        if let Some(v) = by_second.get_mut(*at as usize) {
            v.push(*l);
        }
    }
    let p99_by_second: Vec<f64> = by_second
        .into_iter()
        .map(|v| (percentile(&sorted(v), 0.99) * 10.0).round() / 10.0)
        .collect();
    let offered_records_per_s = rig.plan.mns.len() as f64 * load.speed / 60.0;
    let offered_frames_per_s = offered_records_per_s * rig.frames_per_record as f64;
    let observations = after.observations_new - before.observations_new;
    let lag_growth_per_s = slope(
        samples
            .iter()
            .filter(|s| (third..load.seconds).contains(&s.at_s))
            .map(|s| (s.at_s, s.projection_lag)),
    );

    let mut reasons = Vec::new();
    if all.acked != all.sent || all.unanswered > 0 || all.rejected > 0 {
        reasons.push("not every frame acknowledged");
    }
    let (p50_first, p50_last) = (percentile(&first, 0.5), percentile(&last, 0.5));
    if p50_last > 2.0 * p50_first + LATENCY_P50_SLACK_MS {
        reasons.push("ack latency rising");
    }
    if lag_growth_per_s > LAG_GROWTH_SHARE_MAX * offered_records_per_s {
        reasons.push("projection lag rising");
    }
    if queryable_after_s > CAUGHT_UP_S_MAX {
        reasons.push("projection not caught up soon after the last ack");
    }
    if percentile(&late, 0.99) > SEND_LATE_MS_MAX {
        reasons.push("the sender fell behind its schedule");
    }
    let ms = |v: &[f32]| json!({ "n": v.len(), "p50": percentile(v, 0.5), "p99": percentile(v, 0.99), "max": percentile(v, 1.0) });
    let j = json!({
        "speed": load.speed,
        "seconds": load.seconds,
        "offered_records_per_s": offered_records_per_s,
        "offered_frames_per_s": offered_frames_per_s,
        "offered_observations_per_s": offered_records_per_s * rig.observations_per_record as f64,
        "records_sent": all.records,
        "frames_sent": all.sent,
        "acked": all.acked,
        "rejected": all.rejected,
        "unanswered": all.unanswered,
        "sent_frames_per_s": all.sent as f64 / load.seconds,
        "acked_frames_per_s": all.acked as f64 / ack_s.max(load.seconds),
        "acked_records_per_s": all.acked as f64 / rig.frames_per_record as f64 / ack_s.max(load.seconds),
        "observations_stored": observations,
        "observations_stored_per_s": observations / span_s,
        "observations_stored_per_s_while_sending": stored_while_sending,
        "ack_latency_ms_first_third": ms(&first),
        "ack_latency_ms_last_third": ms(&last),
        "ack_latency_ms": ms(&every),
        "send_late_ms": ms(&late),
        "projection_lag_mean_first_third": lag_first,
        "projection_lag_mean_last_third": lag_last,
        "projection_lag_max": lag_max,
        "projection_lag_growth_per_s": lag_growth_per_s,
        "backpressure_waits": after.backpressure_waits - before.backpressure_waits,
        "projection_lag_by_second": lag_by_second,
        "ack_latency_ms_p99_by_second": p99_by_second,
        "queryable_after_last_ack_s": queryable_after_s,
        "server_cpu_cores": server_s / span_s,
        "server_cpu_cores_by_thread": threads,
        "server_cpu_us_per_record": server_s * 1e6 / (all.acked as f64 / rig.frames_per_record as f64).max(1.0),
        "sender_cpu_cores": sender_s / span_s,
        "no_growing_backlog": reasons.is_empty(),
        "backlog_signs": reasons,
    });
    Ok((devices, j))
}

/// Opens every device's connection and sends one record (simulated minute 0) on each, so
/// that authentication (an Argon2id check per connection) is done before the timed runs.
async fn connect(addr: &str, plan: &Arc<Plan>) -> Result<Vec<Device>> {
    let mut devices = Vec::with_capacity(plan.mns.len());
    for k in 0..plan.mns.len() {
        let s = TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        let (rd, wr) = s.into_split();
        devices.push(Device {
            k,
            rd,
            wr,
            buf: Vec::new(),
        });
    }
    let mut tasks = tokio::task::JoinSet::new();
    // One record per device, spread over two seconds: a run of one interval.
    let warm = Load {
        speed: 30.0,
        seconds: 2.0,
        first_minute: 0,
    };
    for d in devices {
        tasks.spawn(drive(
            d,
            plan.clone(),
            warm,
            Instant::now(),
            Duration::from_secs(120),
        ));
    }
    let mut out = Vec::new();
    let mut unanswered = 0;
    while let Some(r) = tasks.join_next().await {
        let (d, t) = r.context("a device task")?;
        unanswered += t.sent - t.acked;
        out.push(d);
    }
    if unanswered > 0 {
        bail!("{unanswered} frames of the warm-up were not acknowledged");
    }
    out.sort_by_key(|d| d.k);
    Ok(out)
}

fn ingest(a: &Args) -> Result<Value> {
    let dir = std::env::temp_dir().join(format!("lantian-bench-cems-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let started = Instant::now();
    register(&dir, a.outlets)?;
    let registration_s = started.elapsed().as_secs_f64();
    let plan = Arc::new(Plan {
        mns: (0..a.outlets).map(mn).collect(),
        items: (0..a.outlets)
            .map(|k| (0..VARIANTS).map(|m| items(k, m, 60.0, false)).collect())
            .collect(),
        max_segment_bytes: a.max_segment_bytes,
    });
    // One record as the gateway maps it: how many observations a minute packet makes.
    let sample_items: Vec<&str> = plan.items[0][0].iter().map(String::as_str).collect();
    let whole = record_frames(
        &plan.mns[0],
        Command::MINUTE_DATA,
        0,
        &sample_items,
        1 << 16,
    );
    let lim = Limits {
        segment_bytes_max: 1 << 16,
        ..Limits::default()
    };
    let p = decode(&whole[0].0, &lim).map_err(|e| anyhow::anyhow!("own packet: {e}"))?;
    let factors = HashMap::from([("a00000".to_owned(), 3600.0)]);
    let observations_per_record = mapping::observations(&p, "x", &factors)
        .map_err(|e| anyhow::anyhow!("own packet: {e}"))?
        .len();
    let frames = record_frames(
        &plan.mns[0],
        Command::MINUTE_DATA,
        0,
        &sample_items,
        a.max_segment_bytes,
    );
    let (server, hj, http) = serve(&dir, a.max_segment_bytes)?;
    let rig = Rig {
        http,
        pid: server.0.id(),
        plan: plan.clone(),
        observations_per_record,
        frames_per_record: frames.len(),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (runs, warm_up_s, fastest, server_counters) = rt.block_on(async {
        let t = Instant::now();
        let mut devices = connect(&hj, &plan).await?;
        caught_up(&rig.http).await?;
        let warm_up_s = t.elapsed().as_secs_f64();
        let mut runs = Vec::new();
        let mut first_minute = 1i64;
        let mut fastest: Option<f64> = None;
        let mut first_bad: Option<f64> = None;
        let mut bisected = false;
        let mut queue: VecDeque<f64> = a.speeds.iter().copied().collect();
        while let Some(speed) = queue.pop_front() {
            let load = Load {
                speed,
                seconds: a.seconds,
                first_minute,
            };
            // Every device's minutes of this run lie below the next run's first.
            first_minute += (a.seconds * speed / 60.0).ceil() as i64 + 1;
            let (d, j) = one_run(&rig, devices, load).await?;
            devices = d;
            let ok = j["no_growing_backlog"] == true;
            eprintln!(
                "lantian bench cems: speed {speed}: {:.0} records/s offered, {:.0} acked, p99 {:.1} → {:.1} ms, {}",
                j["offered_records_per_s"].as_f64().unwrap_or(0.0),
                j["acked_records_per_s"].as_f64().unwrap_or(0.0),
                j["ack_latency_ms_first_third"]["p99"].as_f64().unwrap_or(0.0),
                j["ack_latency_ms_last_third"]["p99"].as_f64().unwrap_or(0.0),
                if ok { "keeps up" } else { "backlog grows" }
            );
            runs.push(j);
            if ok {
                fastest = Some(fastest.map_or(speed, |f| f.max(speed)));
            } else {
                first_bad = Some(first_bad.map_or(speed, |b| b.min(speed)));
            }
            if a.search && queue.is_empty() {
                let tried = |s: f64| runs.iter().any(|r| r["speed"].as_f64() == Some(s));
                let next = match (fastest, first_bad) {
                    (Some(good), None) => Some(good * 2.0),
                    // Once between the last good and the first bad speed, rounded.
                    (Some(good), Some(bad)) if bad > good * 1.2 && !bisected => {
                        bisected = true;
                        Some((good * bad).sqrt().round())
                    }
                    _ => None,
                };
                if let Some(s) = next.filter(|s| *s <= a.search_speed_max && !tried(*s)) {
                    queue.push_back(s);
                }
            }
        }
        drop(devices);
        // What the server refused or found twice over the whole bench: both should be 0.
        let body = metrics_text(&rig.http).await?;
        let count = |prefix: &str| -> f64 {
            body.lines()
                .filter(|l| l.starts_with(prefix))
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .fold(0.0, |a, b| a + b)
        };
        let refused = json!({
            "rejects": count("lantian_gateway_rejects_total"),
            "observations_duplicate": count("lantian_gateway_observations_duplicate_total"),
            "timeouts": count("lantian_gateway_timeouts_total"),
            "backpressure_waits": count("lantian_gateway_backpressure_waits_total"),
            "projection_catch_ups": count("lantian_gateway_projection_catch_ups_total"),
        });
        anyhow::Ok((runs, warm_up_s, fastest, refused))
    })?;
    let pid = server.0.id();
    let (rss, peak) = (status_kib(pid, "VmRSS:"), status_kib(pid, "VmHWM:"));
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(json!({
        "bench": "cems",
        "figure": "ingest",
        "outlets": a.outlets,
        "pollutants": POLLUTANTS.len(),
        "record": "2051 minute data, ST=31",
        "record_bytes": whole[0].0.len(),
        "max_segment_bytes": a.max_segment_bytes,
        "frames_per_record": rig.frames_per_record,
        "observations_per_record": observations_per_record,
        "registration_s": registration_s,
        "warm_up_s": warm_up_s,
        "runs": runs,
        "fastest_speed_without_backlog": fastest,
        "server_counters": server_counters,
        "server_rss_kib": rss,
        "server_peak_rss_kib": peak,
    }))
}

// ---------------------------------------------------------------------------------------
// Summary

fn summary(a: &Args) -> Result<Value> {
    let dir = std::env::temp_dir().join(format!("lantian-bench-cems-year-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let app = StoreArgs {
        data_dir: dir.clone(),
        postgres: None,
        county: None,
    }
    .app()?;
    let caller = operator();
    let k = 1; // a coal boiler: reference O2 6 %
    sources::add(
        &app,
        &caller,
        Enterprise {
            id: "E".into(),
            name: "企业".into(),
            admin_unit_id: Some("xinji".into()),
            ..Enterprise::default()
        },
    )?;
    let outlet = Outlet {
        id: "E-1".into(),
        enterprise_id: "E".into(),
        name: "1#排放口".into(),
        kind: OutletKind::Stack,
        height_m: Some(60.0),
        o2_ref_pct: Some(o2_ref(k)),
        flow_stopped_m3_h: 10_000.0,
        limits: [("a21026", 35.0), ("a21002", 50.0), ("a34013", 10.0)]
            .into_iter()
            .map(|(code, limit)| Limit {
                code: code.into(),
                limit_mg_m3: limit,
                source: "超低排放".into(),
            })
            .collect(),
    };
    sources::add_outlet(&app, &caller, outlet, FlowUnit::CubicMetresPerSecond)?;
    let fill = fill_year(&app, k)?;
    let first = Date::new(SUMMARY_YEAR, 1, 1).context("date")?;
    let last = Date::new(SUMMARY_YEAR, 12, 31).context("date")?;
    let (from, to) = (cst::day_start(first), cst::day_start(last) + cst::DAY_S);
    let mut reads = Vec::new();
    let mut rows_ms = Vec::new();
    let mut month_ms = Vec::new();
    let mut year_ms = Vec::new();
    let mut total_ms = Vec::new();
    let (mut rows_n, mut months_n) = (0, 0);
    let mut year = Vec::new();
    for _ in 0..a.repetitions.max(1) {
        let t = Instant::now();
        let rows = emissions::outlet_rows(&app, &caller, "E-1", first, last, Resolution::Hour)?;
        let t_rows = t.elapsed();
        let months = emissions::totals(&rows, Per::Month);
        let t_month = t.elapsed();
        let years = emissions::totals(&rows, Per::Year);
        let t_all = t.elapsed();
        rows_ms.push(t_rows.as_secs_f64() * 1000.0);
        month_ms.push((t_month - t_rows).as_secs_f64() * 1000.0);
        year_ms.push((t_all - t_month).as_secs_f64() * 1000.0);
        total_ms.push(t_all.as_secs_f64() * 1000.0);
        (rows_n, months_n) = (rows.len(), months.len());
        // The year per pollutant, with the device's own amounts (its -Cou) beside the
        // emission recomputed from concentration and flow: they must agree.
        year = years
            .iter()
            .map(|y| {
                let device_kg: f64 = rows
                    .iter()
                    .filter(|r| r.code == y.code)
                    .filter_map(|r| r.device_emission_kg)
                    .sum();
                json!({
                    "code": y.code,
                    "emission_kg": y.emission_kg,
                    "device_emission_kg": device_kg,
                    "hours_counted": y.hours_counted,
                    "exceedance_hours": y.exceedance_hours,
                    "stopped_hours": y.stopped_hours,
                    "mismatch_hours": y.mismatch_hours,
                })
            })
            .collect();
        // The store's part alone: the reads outlet_rows makes (O2, flow, and per judged
        // pollutant its value, normalised value and amount).
        let t = Instant::now();
        let mut codes: Vec<String> = vec!["a19001".into(), "a00000".into()];
        for (c, ..) in lantian_core::cems::POLLUTANTS {
            codes.extend([c.to_owned(), format!("{c}-Zs"), format!("{c}-Cou")]);
        }
        for c in &codes {
            app.store.hourly("E-1", c, from, to, View::Raw)?;
        }
        reads.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let stats = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        json!({ "min": v[0], "median": v[v.len() / 2], "max": v[v.len() - 1] })
    };
    let median_total = {
        let mut v = total_ms.clone();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(json!({
        "bench": "cems",
        "figure": "summary",
        "hours": fill.hours,
        "record": "2061 hourly data, ST=31",
        "pollutants_sent": POLLUTANTS.len(),
        "pollutants_judged": lantian_core::cems::POLLUTANTS.len(),
        "observations": fill.observations,
        "fill_s": fill.seconds,
        "rows": rows_n,
        "month_totals": months_n,
        "year": year,
        "repetitions": a.repetitions.max(1),
        "outlet_rows_ms": stats(rows_ms),
        "totals_month_ms": stats(month_ms),
        "totals_year_ms": stats(year_ms),
        "summary_ms": stats(total_ms),
        "store_hourly_reads": 2 + 3 * lantian_core::cems::POLLUTANTS.len(),
        "store_hourly_reads_ms": stats(reads),
        "under_100_ms": median_total < SUMMARY_MS_MAX,
    }))
}

struct Filled {
    hours: usize,
    observations: usize,
    seconds: f64,
}

/// A year of outlet "E-1"'s hourly packets (2061), mapped as the gateway maps them (flow m³/s
/// to m³/h) and committed a month at a time; the plant stops for a week in April.
fn fill_year(app: &App, k: usize) -> Result<Filled> {
    let t = Instant::now();
    let start = cst::day_start(Date::new(SUMMARY_YEAR, 1, 1).context("date")?);
    let hours =
        (cst::day_start(Date::new(SUMMARY_YEAR + 1, 1, 1).context("date")?) - start) / cst::HOUR_S;
    let stop = (100 * 24)..(107 * 24);
    let lim = Limits {
        segment_bytes_max: 1 << 16,
        ..Limits::default()
    };
    let factors = HashMap::from([("a00000".to_owned(), 3600.0)]);
    let device_mn = mn(k);
    let mut batch = Vec::new();
    let mut observations = 0;
    for h in 0..hours {
        let its = items(k, h as usize, 3600.0, stop.contains(&h));
        let refs: Vec<&str> = its.iter().map(String::as_str).collect();
        let frames = record_frames(
            &device_mn,
            Command::HOURLY_DATA,
            start + h * cst::HOUR_S,
            &refs,
            1 << 16,
        );
        let p = decode(&frames[0].0, &lim).map_err(|e| anyhow::anyhow!("own packet: {e}"))?;
        let obs = mapping::observations(&p, "E-1", &factors)
            .map_err(|e| anyhow::anyhow!("own packet: {e}"))?;
        observations += obs.len();
        batch.push(Ingest {
            packet: None,
            observations: obs,
        });
        if batch.len() == 720 || h == hours - 1 {
            app.store.commit_batch(&std::mem::take(&mut batch))?;
        }
    }
    Ok(Filled {
        hours: hours as usize,
        observations,
        seconds: t.elapsed().as_secs_f64(),
    })
}
