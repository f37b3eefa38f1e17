//! `lantian bench forward`: the gateway's sustained ingest (a `lantian serve` child on a
//! fresh data directory, devices keeping a window of packets in flight over loopback) without
//! forwarding and then with forwarding to two local upstream receivers that answer 9014;
//! each destination's forwarded packets per second and its lag when the devices' last packet
//! was acknowledged.

use super::gateway::{frame, serve_bench};
use super::process::{Server, metrics_request};
use anyhow::{Context, Result, bail};
use lantian_gateway::forward::receiver::{Faults, Receiver};
use lantian_hj212::{Check, Limits, check};
use serde_json::{Value, json};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Device connections sending at once.
    #[arg(long, default_value_t = 100)]
    connections: usize,
    /// Packets per run.
    #[arg(long, default_value_t = 100_000)]
    packets: usize,
    /// Unacknowledged packets in flight per connection.
    #[arg(long, default_value_t = 8)]
    window: usize,
    /// Skip `fdatasync` of the forward queues (`forward_fsync: false`).
    #[arg(long)]
    no_fsync: bool,
}

/// A fresh data directory with the bench's station and device, served by `lantian serve`.
fn start(
    exe: &std::path::Path,
    dir: &std::path::Path,
    extra: &[String],
) -> Result<(Server, String, String)> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    serve_bench(exe, dir, &extra)
}

/// One connection's share: `n` packets, `window` in flight, each answered by 9014.
async fn device(addr: String, conn: usize, n: usize, window: usize) -> Result<usize> {
    let mut s = tokio::net::TcpStream::connect(&addr).await?;
    s.set_nodelay(true)?;
    let (mut rd, mut wr) = s.split();
    let (mut sent, mut acked) = (0, 0);
    let (mut buf, mut chunk) = (Vec::new(), vec![0u8; 16 * 1024]);
    while acked < n {
        let mut out = Vec::new();
        while sent < n && sent - acked < window {
            out.extend_from_slice(&frame(conn, sent));
            sent += 1;
        }
        if !out.is_empty() {
            wr.write_all(&out).await?;
        }
        let got = tokio::time::timeout(Duration::from_secs(60), rd.read(&mut chunk))
            .await
            .context("no answer from the gateway in 60 s")??;
        if got == 0 {
            bail!("connection {conn}: closed by the gateway after {acked} answers");
        }
        buf.extend_from_slice(&chunk[..got]);
        while let Check::Frame { len } = check(&buf, &Limits::default()) {
            let f: Vec<u8> = buf.drain(..len).collect();
            if f.windows(8).any(|w| w == b"CN=9014;") {
                acked += 1;
            }
        }
    }
    Ok(acked)
}

/// Packets per second acknowledged by the gateway over `a.connections` devices.
async fn ingest(addr: &str, a: &Args, base: usize) -> Result<(f64, Instant)> {
    let per = a.packets.div_ceil(a.connections);
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for c in 0..a.connections {
        set.spawn(device(addr.to_owned(), base + c, per, a.window));
    }
    let mut acked = 0;
    while let Some(r) = set.join_next().await {
        acked += r??;
    }
    let s = started.elapsed().as_secs_f64();
    Ok((acked as f64 / s, started))
}

/// The value of `lantian_forward_NAME{dest="DEST"}` in the server's /metrics.
async fn forward_metric(http: &str, name: &str, dest: &str) -> Result<u64> {
    let mut s = tokio::net::TcpStream::connect(http).await?;
    s.write_all(metrics_request().as_bytes()).await?;
    let mut body = String::new();
    s.read_to_string(&mut body).await?;
    let key = format!("lantian_forward_{name}{{dest=\"{dest}\"}} ");
    body.lines()
        .find_map(|l| l.strip_prefix(&key)?.trim().parse().ok())
        .with_context(|| format!("no {key} in /metrics"))
}

pub fn run(a: Args) -> Result<ExitCode> {
    let dir = std::env::temp_dir().join(format!("lantian-bench-fwd-{}", std::process::id()));
    let exe = std::env::current_exe()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    // Without forwarding.
    let (server, addr, _) = start(&exe, &dir.join("plain"), &[])?;
    let (plain_per_s, _) = rt.block_on(ingest(&addr, &a, 0))?;
    drop(server);
    // With two destinations.
    let (up1, up2) = rt.block_on(async {
        Ok::<_, std::io::Error>((
            Receiver::start("127.0.0.1:0", Faults::default(), None).await?,
            Receiver::start("127.0.0.1:0", Faults::default(), None).await?,
        ))
    })?;
    let mut extra = vec![
        format!("--forward=provincial={}", up1.addr),
        format!("--forward=national={}", up2.addr),
    ];
    if a.no_fsync {
        let settings = dir.join("settings.json");
        std::fs::create_dir_all(&dir)?;
        std::fs::write(&settings, json!({ "forward_fsync": false }).to_string())?;
        extra.push(format!("--config={}", settings.display()));
    }
    let (server, addr, http) = start(&exe, &dir.join("forward"), &extra)?;
    let dests: Vec<Value> = rt.block_on(async {
        let (fwd_per_s, started) = ingest(&addr, &a, 0).await?;
        let ended = started.elapsed().as_secs_f64();
        let mut lags = Vec::new();
        for d in ["provincial", "national"] {
            lags.push(forward_metric(&http, "queue_pending", d).await?);
        }
        let mut out = Vec::new();
        for (d, lag) in ["provincial", "national"].into_iter().zip(lags) {
            // Until the destination has answered everything queued.
            loop {
                if forward_metric(&http, "queue_pending", d).await? == 0 {
                    break;
                }
                if started.elapsed() > Duration::from_secs(600) {
                    bail!("{d}: not drained 10 minutes after the start");
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let done_s = started.elapsed().as_secs_f64();
            let acked = forward_metric(&http, "acknowledged_total", d).await?;
            out.push(json!({
                "dest": d,
                "forwarded": acked,
                "forwarded_per_s": acked as f64 / done_s,
                "lag_at_last_device_ack_packets": lag,
                "drained_after_last_device_ack_s": (done_s - ended).max(0.0),
                "resent": forward_metric(&http, "resent_total", d).await?,
            }));
        }
        out.insert(
            0,
            json!({ "gateway_acked_per_s_with_forwarding": fwd_per_s }),
        );
        Ok::<_, anyhow::Error>(out)
    })?;
    drop(server);
    let received = (
        up1.packets.load(std::sync::atomic::Ordering::Relaxed),
        up2.packets.load(std::sync::atomic::Ordering::Relaxed),
    );
    rt.block_on(async {
        up1.stop().await;
        up2.stop().await;
    });
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{}",
        json!({
            "bench": "forward",
            "connections": a.connections,
            "packets": a.packets,
            "window": a.window,
            "fsync": !a.no_fsync,
            "gateway_acked_per_s_without_forwarding": plain_per_s,
            "gateway_acked_per_s_with_forwarding": dests[0]["gateway_acked_per_s_with_forwarding"],
            "destinations": &dests[1..],
            "upstream_received": [received.0, received.1],
        })
    );
    Ok(ExitCode::SUCCESS)
}
