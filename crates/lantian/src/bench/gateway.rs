//! `lantian bench gateway`: runs `lantian serve` as a child process and drives it over
//! loopback with `lantian send` (another child, one thread): for 1,000 and 10,000 concurrent
//! connections, the saturation throughput (durably acknowledged packets per second, each
//! connection keeping `--window` packets in flight) with its ack latency, the ack latency at
//! a fixed offered rate (open loop), how long after the last ack the projection made
//! everything queryable (and so the sustained rate, acknowledged and queryable), and
//! resident memory per idle connection. Then the open-loop load once more against
//! `lantian bench echo-server`, which answers and stores nothing: the floor that loopback
//! TCP and the sender set on the same machine.

use super::process::{Cpu, Server, cpu_s, rss_kib, spawn};
use anyhow::{Context, Result, bail};
use lantian_hj212::encode::{Header, encode};
use lantian_hj212::{Command, Flag};
use serde_json::{Value, json};
use std::process::{ExitCode, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Concurrent connections to measure (repeatable).
    #[arg(long = "connections", default_values_t = vec![1000, 10_000])]
    connections: Vec<usize>,
    /// Packets sent per run.
    #[arg(long, default_value_t = 1_000_000)]
    packets: usize,
    /// Unacknowledged packets in flight per connection in the saturation run.
    #[arg(long, default_value_t = 3)]
    window: usize,
    /// Offered load (packets/s over all connections) of the open-loop latency run: the
    /// target rate, spread evenly over the connections.
    #[arg(long, default_value_t = 50_000.0)]
    rate: f64,
    /// Idle connections opened to measure memory per connection.
    #[arg(long, default_value_t = 5000)]
    idle: usize,
    /// Drive a `lantian serve` already running (on another machine, so that the sender has
    /// cores of its own) at this HJ 212 address instead of starting one. Device
    /// `BENCH0000000000000000001` (password 123456) must be registered there; the server's
    /// CPU and memory are then not measured.
    #[arg(long, value_name = "HOST:PORT")]
    server: Option<String>,
    /// With `--server`: its HTTP address, to wait for the projection after each run.
    #[arg(long, value_name = "HOST:PORT", requires = "server")]
    server_http: Option<String>,
    /// With `--server`: a `lantian bench echo-server` running beside it, for the floor.
    #[arg(long, value_name = "HOST:PORT", requires = "server")]
    echo_server: Option<String>,
}

pub(super) const MN: &str = "BENCH0000000000000000001";

/// Packet `i` of connection `conn`: real-time data of six pollutants, each at its own
/// second (backwards from 2025-01-01), so that no two packets store the same values.
pub(super) fn frame(conn: usize, i: usize) -> Vec<u8> {
    let qn = format!("{:06}{:011}", conn, i);
    // Backwards from 2025-01-01: the gateway refuses values dated ahead of its clock.
    let t = 20_089 * 86_400 - 1 - (conn * 100_000 + i) as i64;
    let d = lantian_core::Date::from_days_since_epoch(t.div_euclid(86_400));
    let r = t.rem_euclid(86_400);
    let stamp = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        d.year(),
        d.month(),
        d.day(),
        r / 3600,
        r / 60 % 60,
        r % 60
    );
    let h = Header {
        qn: Some(&qn),
        st: "22",
        cn: Command::REALTIME_DATA,
        pw: Some("123456"),
        mn: Some(MN),
        flag: Some(Flag(5)),
        pnum: None,
        pno: None,
        resend: false,
    };
    let cp = format!(
        "DataTime={stamp};a34004-Rtd=35,a34004-Flag=N;a34002-Rtd=70,a34002-Flag=N;a21026-Rtd=8,a21026-Flag=N;a21004-Rtd=30,a21004-Flag=N;a21005-Rtd=0.8,a21005-Flag=N;a05024-Rtd=60,a05024-Flag=N"
    );
    encode(&h, &cp)
}

/// One run's load.
struct Load {
    connections: usize,
    packets: usize,
    window: usize,
    rate: Option<f64>,
    /// First connection number of the run's QNs and timestamps (runs do not overlap).
    base: usize,
}

/// What `lantian send` reported, with the CPU both processes used.
struct Driven {
    report: Value,
    acked: f64,
    seconds: f64,
    /// The server's CPU seconds before the run and during it (when it runs here).
    server_before_s: Option<f64>,
    server_s: Option<f64>,
    sender_s: f64,
}

/// Writes the run's packets to a file and replays them with `lantian send --threads 1`
/// against `addr` (server process `pid`, if it runs here).
fn drive(
    exe: &std::path::Path,
    dir: &std::path::Path,
    addr: &str,
    pid: Option<u32>,
    l: &Load,
) -> Result<Driven> {
    let per = l.packets.div_ceil(l.connections);
    let file = dir.join("packets.txt");
    let mut text = Vec::with_capacity(per * l.connections * 300);
    for i in 0..per {
        for c in 0..l.connections {
            text.extend_from_slice(&frame(l.base + c, i));
        }
    }
    std::fs::write(&file, text)?;
    let mut args = vec![
        "send".to_owned(),
        format!("--to={addr}"),
        format!("--mn={MN}"),
        "--password=123456".to_owned(),
        format!("--connections={}", l.connections),
        format!("--window={}", l.window),
        "--threads=1".to_owned(),
        "--ack-timeout-s=60".to_owned(),
        "--format=packets".to_owned(),
    ];
    args.extend(l.rate.map(|r| format!("--rate={r}")));
    args.push(file.display().to_string());
    let server = pid.map(|p| p.to_string());
    let server_cpu_s = || server.as_deref().map(|p| cpu_s(p, Cpu::Own));
    let (server0, client0) = (server_cpu_s(), cpu_s("self", Cpu::Children));
    let out = std::process::Command::new(exe)
        .args(&args)
        .stderr(Stdio::inherit())
        .output()?;
    let (server_s, sender_s) = (
        server_cpu_s()
            .zip(server0)
            .map(|(after, before)| after - before),
        cpu_s("self", Cpu::Children) - client0,
    );
    let _ = std::fs::remove_file(&file);
    let report: Value = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("lantian send printed no report ({})", out.status))?;
    let n = |k: &str| report[k].as_f64().unwrap_or(0.0);
    Ok(Driven {
        acked: n("acknowledged"),
        seconds: n("seconds").max(1e-9),
        server_before_s: server0,
        server_s,
        sender_s,
        report,
    })
}

impl Driven {
    /// The run's JSON line entry; `mode` names the load and the server.
    fn json(&self, mode: &str, l: &Load) -> Value {
        let r = &self.report;
        let per_packet_us = |s: f64| s * 1e6 / self.acked.max(1.0);
        json!({
            "connections": l.connections,
            "mode": mode,
            "offered_per_s": l.rate,
            "window": l.window,
            "sent": r["sent"],
            "acked": r["acknowledged"],
            "unanswered": r["unanswered"],
            "connect_errors": r["connect_errors"],
            "seconds": r["seconds"],
            "acked_per_s": self.acked / self.seconds,
            "ack_latency_ms_p50": r["ack_latency_ms_p50"],
            "ack_latency_ms_p99": r["ack_latency_ms_p99"],
            "ack_latency_ms_max": r["ack_latency_ms_max"],
            "server_cpu_us_per_packet_until_last_ack": self.server_s.map(per_packet_us),
            "sender_cpu_us_per_packet": per_packet_us(self.sender_s),
        })
    }
}

/// A server under test: started here (then its process is known and measured) or already
/// running elsewhere.
struct Target {
    addr: String,
    http: Option<String>,
    process: Option<Server>,
}

impl Target {
    fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(|p| p.0.id())
    }
}

/// Registers the bench's station and device ([`MN`], password 123456) in data directory
/// `dir` and starts `lantian serve` on it with `extra` arguments: (server, HJ 212 address,
/// HTTP address).
pub(super) fn serve_bench(
    exe: &std::path::Path,
    dir: &std::path::Path,
    extra: &[&str],
) -> Result<(Server, String, String)> {
    let d = dir.to_str().context("temp path")?;
    let lantian = |args: &[&str]| -> Result<()> {
        let st = std::process::Command::new(exe)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?;
        if !st.success() {
            bail!("lantian {args:?} failed");
        }
        Ok(())
    };
    lantian(&[
        "station",
        "add",
        "--data-dir",
        d,
        "--id",
        "BENCH",
        "--name",
        "bench",
        "--unit",
        "xinji",
    ])?;
    lantian(&[
        "device",
        "add",
        "--data-dir",
        d,
        "--mn",
        MN,
        "--password",
        "123456",
        "--station",
        "BENCH",
    ])?;
    let mut serve = vec![
        "serve",
        "--data-dir",
        d,
        "--hj212",
        "127.0.0.1:0",
        "--http",
        "127.0.0.1:0",
        "--no-device-setup",
        // Every simulated device connects from this machine's one address.
        "--connections-per-address",
        "1000000",
    ];
    serve.extend_from_slice(extra);
    spawn(exe, &serve, true)
}

/// Starts `lantian serve` on a fresh data directory with the bench's station and device.
fn start_gateway(exe: &std::path::Path, dir: &std::path::Path) -> Result<Target> {
    let (process, addr, http) = serve_bench(exe, dir, &[])?;
    Ok(Target {
        addr,
        http: Some(http),
        process: Some(process),
    })
}

pub fn run(a: Args) -> Result<ExitCode> {
    let dir = std::env::temp_dir().join(format!("lantian-bench-gw-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let exe = std::env::current_exe()?;
    let gateway = match &a.server {
        Some(addr) => Target {
            addr: addr.clone(),
            http: a.server_http.clone(),
            process: None,
        },
        None => start_gateway(&exe, &dir)?,
    };
    // For the idle connections and /metrics. `lantian send` gets one thread: that leaves
    // more of the machine to the server than a work-stealing pool, whose wake-ups cost more
    // than they gain here.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // Memory first, on a fresh server, before load has grown its allocator's pools.
    let memory = match gateway.pid() {
        Some(pid) => rt.block_on(idle_memory(&gateway.addr, pid, a.idle))?,
        None => Value::Null,
    };
    let loads = |k: usize, conns: usize| {
        [
            ("saturation", None, a.window),
            ("offered_rate", Some(a.rate), a.window.max(8)),
        ]
        .into_iter()
        .enumerate()
        .map(move |(m, (mode, rate, window))| {
            let load = Load {
                connections: conns,
                packets: a.packets,
                window,
                rate,
                base: (k * 2 + m) * 20_000,
            };
            (mode, load)
        })
    };
    let mut runs = Vec::new();
    for (k, &conns) in a.connections.iter().enumerate() {
        for (mode, load) in loads(k, conns) {
            let run = drive(&exe, &dir, &gateway.addr, gateway.pid(), &load)?;
            let mut j = run.json(mode, &load);
            // Acknowledged means durable (archive and journal); queryable follows when the
            // projector has caught up. Wait for it, so that runs do not overlap.
            if let Some(http) = &gateway.http {
                let projected_after_s = rt.block_on(projection_caught_up(http))?;
                j["queryable_after_last_ack_s"] = json!(projected_after_s);
                // Sustained: what the server can take for as long as it lasts,
                // acknowledged and queryable.
                j["stored_per_s"] = json!(run.acked / (run.seconds + projected_after_s));
            }
            if let (Some(pid), Some(before)) = (gateway.pid(), run.server_before_s) {
                let all_s = cpu_s(&pid.to_string(), Cpu::Own) - before;
                j["server_cpu_us_per_packet_with_projection"] =
                    json!(all_s * 1e6 / run.acked.max(1.0));
            }
            runs.push(j);
        }
    }
    drop(gateway);
    // The floor: the open-loop load against a server that answers and stores nothing.
    let echo = match (&a.server, &a.echo_server) {
        (None, _) => {
            let (process, addr, _) = spawn(&exe, &["bench", "echo-server"], false)?;
            Some(Target {
                addr,
                http: None,
                process: Some(process),
            })
        }
        (Some(_), Some(addr)) => Some(Target {
            addr: addr.clone(),
            http: None,
            process: None,
        }),
        (Some(_), None) => None,
    };
    if let Some(echo) = &echo {
        for (k, &conns) in a.connections.iter().enumerate() {
            for (mode, load) in loads(k, conns).filter(|(_, l)| l.rate.is_some()) {
                let run = drive(&exe, &dir, &echo.addr, echo.pid(), &load)?;
                runs.push(run.json(&format!("{mode}_no_storage"), &load));
            }
        }
    }
    drop(echo);
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{}",
        json!({ "bench": "gateway", "window": a.window, "runs": runs, "idle": memory })
    );
    Ok(ExitCode::SUCCESS)
}

/// Seconds until the server's projection lag (from its Prometheus endpoint) is zero.
async fn projection_caught_up(http: &str) -> Result<f64> {
    let started = std::time::Instant::now();
    loop {
        let mut s = tokio::net::TcpStream::connect(http).await?;
        s.write_all(super::process::metrics_request().as_bytes())
            .await?;
        let mut body = String::new();
        s.read_to_string(&mut body).await?;
        let lag = body
            .lines()
            .find_map(|l| l.strip_prefix("lantian_gateway_projection_lag "))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .context("no lantian_gateway_projection_lag in /metrics")?;
        if lag == 0 {
            return Ok(started.elapsed().as_secs_f64());
        }
        if started.elapsed() > Duration::from_secs(600) {
            bail!("the projection did not catch up within 10 minutes (lag {lag})");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Opens `n` connections that each send one acknowledged packet, then measures the server's
/// resident memory against before.
async fn idle_memory(addr: &str, pid: u32, n: usize) -> Result<Value> {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(pid)?;
    let mut held = Vec::with_capacity(n);
    for c in 0..n {
        let mut s = tokio::net::TcpStream::connect(addr).await?;
        s.write_all(&frame(900_000 + c, 0)).await?;
        let mut b = [0u8; 256];
        let _ = tokio::time::timeout(Duration::from_secs(10), s.read(&mut b)).await;
        held.push(s);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(pid)?;
    drop(held);
    Ok(json!({
        "connections": n,
        "rss_before_kib": before,
        "rss_after_kib": after,
        "kib_per_idle_connection": (after.saturating_sub(before)) as f64 / n as f64,
    }))
}
