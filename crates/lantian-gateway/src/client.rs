//! An HJ 212 device simulator: sends frames over TCP, answers the host's commands as a data
//! logger would (9011 then 9012), and waits for each acknowledgement. The load generator of
//! `lantian send` and `lantian bench gateway`.

use lantian_hj212::encode::{self, ExeRtn, QnRtn};
use lantian_hj212::{Check, Edition, Limits, check, decode};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

/// A frame to send, and whether the gateway owes an answer for it.
#[derive(Clone, Debug)]
pub struct OutFrame {
    pub bytes: Vec<u8>,
    pub qn: Option<String>,
    pub needs_ack: bool,
}

impl OutFrame {
    /// Reads QN and the ack bit from the frame itself.
    pub fn new(bytes: Vec<u8>) -> OutFrame {
        let lim = Limits {
            segment_bytes_max: 1 << 16,
            accept_length_mismatch: true,
            accept_modbus_crc: true,
        };
        let (qn, needs_ack) = match decode(&bytes, &lim) {
            Ok(p) => (p.qn.map(str::to_owned), p.needs_ack()),
            Err(_) => (None, false),
        };
        OutFrame {
            bytes,
            qn,
            needs_ack,
        }
    }
}

#[derive(Clone, Debug)]
pub struct SendConfig {
    pub to: String,
    pub connections: usize,
    /// Packets per second over all connections; `None` sends as fast as acks allow.
    pub rate_per_s: Option<f64>,
    /// Unacknowledged packets a connection may have in flight.
    pub window: usize,
    /// How long to wait for the last acknowledgements.
    pub ack_timeout: Duration,
}

/// What happened to the frames.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SendReport {
    pub sent: u64,
    pub acked: u64,
    /// Answered with a 9011 error (wrong password, unknown MN, ...).
    pub rejected: u64,
    /// Sent expecting an answer and never answered.
    pub unanswered: u64,
    pub commands_answered: u64,
    pub connect_errors: u64,
    pub elapsed_s: f64,
    pub ack_latency_ms_p50: f64,
    pub ack_latency_ms_p99: f64,
    pub ack_latency_ms_max: f64,
}

#[derive(Default)]
struct Totals {
    sent: AtomicU64,
    acked: AtomicU64,
    rejected: AtomicU64,
    unanswered: AtomicU64,
    commands: AtomicU64,
    connect_errors: AtomicU64,
}

/// Sends `frames` spread over `cfg.connections` connections (frame i goes on connection
/// i mod n, in order) and returns the tally.
pub async fn send(frames: Vec<OutFrame>, cfg: &SendConfig) -> SendReport {
    let n = cfg.connections.max(1);
    let mut per_conn: Vec<Vec<OutFrame>> = vec![Vec::new(); n];
    for (i, f) in frames.into_iter().enumerate() {
        per_conn[i % n].push(f);
    }
    let totals = Arc::new(Totals::default());
    let latencies = Arc::new(Mutex::new(Vec::new()));
    // Every connection is opened before any sends, so that throughput and latency are those
    // of n open connections and not of n connects.
    let opened = Arc::new(tokio::sync::Barrier::new(n));
    let started = Arc::new(std::sync::OnceLock::new());
    let per_conn_rate = cfg.rate_per_s.map(|r| r / n as f64);
    let mut tasks = tokio::task::JoinSet::new();
    for (k, frames) in per_conn.into_iter().enumerate() {
        let (cfg, totals, latencies) = (cfg.clone(), totals.clone(), latencies.clone());
        let (opened, started) = (opened.clone(), started.clone());
        // Devices are not synchronised: with a rate, connection k starts k/n of an interval
        // late, so that the offered load is spread evenly instead of arriving in bursts.
        let phase = k as f64 / n as f64;
        tasks.spawn(async move {
            let start = Start { opened, started };
            one_connection(
                frames,
                &cfg,
                per_conn_rate,
                phase,
                start,
                &totals,
                &latencies,
            )
            .await
        });
    }
    while tasks.join_next().await.is_some() {}
    let mut lat = latencies.lock().await.clone();
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        if lat.is_empty() {
            0.0
        } else {
            lat[((lat.len() - 1) as f64 * p).round() as usize]
        }
    };
    let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
    SendReport {
        sent: g(&totals.sent),
        acked: g(&totals.acked),
        rejected: g(&totals.rejected),
        unanswered: g(&totals.unanswered),
        commands_answered: g(&totals.commands),
        connect_errors: g(&totals.connect_errors),
        elapsed_s: started.get().map_or(0.0, |t| t.elapsed().as_secs_f64()),
        ack_latency_ms_p50: pct(0.5),
        ack_latency_ms_p99: pct(0.99),
        ack_latency_ms_max: lat.last().copied().unwrap_or(0.0),
    }
}

/// The moment every connection is open: each waits for the others, one notes the time.
struct Start {
    opened: Arc<tokio::sync::Barrier>,
    started: Arc<std::sync::OnceLock<Instant>>,
}

async fn one_connection(
    frames: Vec<OutFrame>,
    cfg: &SendConfig,
    rate: Option<f64>,
    phase: f64,
    start: Start,
    totals: &Totals,
    latencies: &Mutex<Vec<f64>>,
) {
    let stream = TcpStream::connect(&cfg.to).await;
    if start.opened.wait().await.is_leader() {
        let _ = start.started.set(Instant::now());
    }
    if frames.is_empty() {
        return;
    }
    let stream = match stream {
        Ok(s) => s,
        Err(_) => {
            totals.connect_errors.fetch_add(1, Ordering::Relaxed);
            totals.unanswered.fetch_add(
                frames.iter().filter(|f| f.needs_ack).count() as u64,
                Ordering::Relaxed,
            );
            return;
        }
    };
    let _ = stream.set_nodelay(true);
    let (mut rd, mut wr) = stream.into_split();
    let mut waiting: HashMap<String, Instant> = HashMap::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    let lim = Limits {
        segment_bytes_max: 1 << 16,
        ..Limits::default()
    };
    let mut next = 0usize;
    let interval = rate
        .filter(|r| *r > 0.0)
        .map(|r| Duration::from_secs_f64(1.0 / r));
    let mut next_send_at = Instant::now() + interval.map_or(Duration::ZERO, |i| i.mul_f64(phase));
    let mut deadline = None;
    let mut my_latencies = Vec::new();
    let mut out: Vec<u8> = Vec::new();
    loop {
        // Send, in one write, what the window allows and the rate permits.
        let now = Instant::now();
        let first = next;
        out.clear();
        while next < frames.len()
            && waiting.len() < cfg.window.max(1)
            && interval.is_none_or(|_| now >= next_send_at)
        {
            let f = &frames[next];
            out.extend_from_slice(&f.bytes);
            if f.needs_ack {
                waiting.insert(f.qn.clone().unwrap_or_default(), now);
            }
            next += 1;
            if let Some(i) = interval {
                next_send_at += i;
            }
        }
        if next > first {
            if wr.write_all(&out).await.is_err() {
                // Not sent after all: counted below as not answered, once.
                for f in &frames[first..next] {
                    waiting.remove(f.qn.as_deref().unwrap_or_default());
                }
                next = first;
                break;
            }
            totals
                .sent
                .fetch_add((next - first) as u64, Ordering::Relaxed);
        }
        if next >= frames.len() && waiting.is_empty() {
            break;
        }
        if next >= frames.len() && deadline.is_none() {
            deadline = Some(Instant::now() + cfg.ack_timeout);
        }
        let wait_until = match (deadline, interval) {
            (Some(d), _) => d,
            (None, Some(_)) if waiting.len() < cfg.window.max(1) => next_send_at,
            _ => Instant::now() + cfg.ack_timeout,
        };
        match tokio::time::timeout_at(wait_until.into(), rd.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) if deadline.is_some_and(|d| Instant::now() >= d) => break,
            Err(_) if interval.is_some() => continue,
            Err(_) => break,
        }
        let mut pos = 0;
        loop {
            match check(&buf[pos..], &lim) {
                Check::Incomplete => break,
                Check::Invalid { skip, .. } => pos += skip,
                Check::Frame { len } => {
                    let frame = buf[pos..pos + len].to_vec();
                    pos += len;
                    let Ok(p) = decode(&frame, &lim) else {
                        continue;
                    };
                    let qn = p.qn.unwrap_or_default().to_owned();
                    match p.cn.0 {
                        9014 | 9013 => {
                            if let Some(t) = waiting.remove(&qn) {
                                totals.acked.fetch_add(1, Ordering::Relaxed);
                                my_latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                            }
                        }
                        9011 => {
                            let ok = p.cp_value("QnRtn") == Some("1");
                            if let Some(t) = waiting.remove(&qn) {
                                if ok {
                                    totals.acked.fetch_add(1, Ordering::Relaxed);
                                    my_latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                                } else {
                                    totals.rejected.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                        }
                        9012 => {}
                        _ => {
                            // A host command: answer as a logger does, request answer then result.
                            let ed = p.flag.map_or(Edition::Hj212_2017, |f| f.edition());
                            let mut out = encode::request_answer(&p, QnRtn::Ready, ed);
                            out.extend(encode::execution_result(&p, ExeRtn::Success, ed));
                            if wr.write_all(&out).await.is_ok() {
                                totals.commands.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                }
            }
        }
        buf.drain(..pos);
    }
    totals
        .unanswered
        .fetch_add(waiting.len() as u64, Ordering::Relaxed);
    totals.unanswered.fetch_add(
        frames[next..].iter().filter(|f| f.needs_ack).count() as u64,
        Ordering::Relaxed,
    );
    latencies.lock().await.extend(my_latencies);
}
