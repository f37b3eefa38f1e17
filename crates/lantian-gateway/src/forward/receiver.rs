//! A minimal upstream HJ 212 platform: it answers each upload 9014 and logs what it got,
//! with faults on request (answers dropped or delayed, connections cut). For the forwarding
//! tests and `lantian bench forward`; not a platform to run.

use crate::forward::frame;
use lantian_hj212::{Check, Edition, Limits, check, decode, encode::data_answer};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// Faults, counted over the packets of one receiver (1-based; 0: never).
#[derive(Clone, Copy, Debug, Default)]
pub struct Faults {
    /// Every n-th packet gets no answer.
    pub drop_answer_every: u64,
    /// Every n-th packet is answered after `delay` (answers then come out of order).
    pub delay_every: u64,
    pub delay: Duration,
    /// On every n-th packet the connection is closed before it is answered.
    pub disconnect_every: u64,
}

/// A packet as the receiver got it.
#[derive(Clone, Debug)]
pub struct Received {
    pub mn: String,
    pub qn: String,
    pub data_time: String,
    /// `RF=1` in the header.
    pub resend: bool,
    /// The frame decoded (length and CRC right).
    pub valid: bool,
}

/// What every receiver started with the same log has received, in arrival order.
pub type Log = Arc<Mutex<Vec<Received>>>;

#[derive(Debug)]
pub struct Receiver {
    pub addr: std::net::SocketAddr,
    pub packets: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Receiver {
    /// Listens on `addr` (port 0: any; the same port again after [`Receiver::stop`]).
    pub async fn start(addr: &str, faults: Faults, log: Option<Log>) -> std::io::Result<Receiver> {
        let addr: std::net::SocketAddr = addr.parse().map_err(std::io::Error::other)?;
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.bind(addr)?;
        let listener = socket.listen(1024)?;
        let addr = listener.local_addr()?;
        let packets = Arc::new(AtomicU64::new(0));
        let count = packets.clone();
        let task = tokio::spawn(async move {
            let mut conns = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                conns.spawn(serve(stream, faults, log.clone(), count.clone()));
            }
        });
        Ok(Receiver {
            addr,
            packets,
            task,
        })
    }

    /// Stops listening and drops every connection at once (what a restarting platform does).
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

async fn serve(
    stream: tokio::net::TcpStream,
    faults: Faults,
    log: Option<Log>,
    count: Arc<AtomicU64>,
) {
    let (mut rd, mut wr) = stream.into_split();
    // Answers are written by one task, delayed ones when their time comes.
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let writer = tokio::spawn(async move {
        while let Some(a) = rx.recv().await {
            if wr.write_all(&a).await.is_err() {
                return;
            }
        }
    });
    let limits = Limits::default();
    let (mut buf, mut chunk) = (Vec::new(), vec![0u8; 64 * 1024]);
    let every = |k: u64, n: u64| k != 0 && n.is_multiple_of(k);
    'read: loop {
        let n = match rd.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        loop {
            match check(&buf, &limits) {
                Check::Frame { len } => {
                    let f: Vec<u8> = buf.drain(..len).collect();
                    let n = count.fetch_add(1, Ordering::Relaxed) + 1;
                    let p = decode(&f, &limits).ok();
                    if let Some(log) = &log {
                        lock(log).push(Received {
                            mn: frame::field(&f, "MN").unwrap_or_default().to_owned(),
                            qn: frame::field(&f, "QN").unwrap_or_default().to_owned(),
                            data_time: p
                                .as_ref()
                                .and_then(|p| p.cp_value("DataTime"))
                                .unwrap_or_default()
                                .to_owned(),
                            resend: frame::is_resend(&f),
                            valid: p.is_some(),
                        });
                    }
                    let Some(p) = p else { continue };
                    if every(faults.disconnect_every, n) {
                        break 'read;
                    }
                    if !p.needs_ack() || every(faults.drop_answer_every, n) {
                        continue;
                    }
                    let answer = data_answer(&p, Edition::Hj212_2017);
                    if every(faults.delay_every, n) {
                        let (tx, delay) = (tx.clone(), faults.delay);
                        tokio::spawn(async move {
                            tokio::time::sleep(delay).await;
                            let _ = tx.send(answer);
                        });
                    } else {
                        let _ = tx.send(answer);
                    }
                }
                Check::Incomplete => break,
                Check::Invalid { skip, .. } => {
                    buf.drain(..skip.max(1).min(buf.len()));
                }
            }
        }
    }
    writer.abort();
}
