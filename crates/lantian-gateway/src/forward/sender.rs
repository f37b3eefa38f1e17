//! The sender of one destination: connects (with capped back-off), sends its queue in order
//! with a window of unanswered packets, matches each answer on (MN, QN), resends with RF=1
//! after a timeout or on a new connection, sends heartbeats while idle, keeps its cursors on
//! disk, and re-queues a full queue's gap from the archive once it has drained.

use super::frame::{self, Prepared};
use super::queue::{Entry, FLAG_RESEND, Reader};
use super::{Dest, Forwarder};
use crate::conn::{now_cst, now_ms};
use lantian_hj212::{Check, Command, Edition, Limits, check};
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;

/// A packet sent and not yet answered.
struct InFlight {
    entry: Entry,
    prepared: Prepared,
    tries: u32,
    deadline: Instant,
}

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a drained queue with a gap looks at the archive again.
const GAP_CHECK: Duration = Duration::from_secs(5);

fn fresh_qn() -> String {
    now_cst().qn()
}

fn prepare(d: &Dest, e: &Entry, resend: bool) -> Prepared {
    let mut p = frame::prepare(&e.frame, resend, &d.config.rewrite, &fresh_qn());
    if let Some(key) = &d.config.key
        && frame::cn(&p.bytes).is_some_and(|cn| lantian_hj212::sm4::must_encrypt(Command(cn)))
    {
        p.bytes = lantian_hj212::sm4::encrypt_frame(&p.bytes, key, d.config.wire);
    }
    p
}

/// The 9015 heartbeat of a 2025 destination (the gateway's own, unencrypted: CN 9015 is
/// not among the encrypted commands).
fn heartbeat() -> Vec<u8> {
    let h = lantian_hj212::encode::Header {
        qn: Some(&fresh_qn()),
        st: "91",
        cn: Command::HEARTBEAT_2025,
        pw: None,
        mn: None,
        flag: Some(lantian_hj212::Flag::new(Edition::Hj212_2025, false, false)),
        pnum: None,
        pno: None,
        resend: false,
    };
    lantian_hj212::encode::encode(&h, "")
}

/// Completes when `stop` turns true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

async fn sleep_or_stop(t: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(t) => false,
        _ = stopped(stop) => true,
    }
}

fn err(d: &Dest, what: &str, e: impl std::fmt::Display) {
    d.stats.errors.fetch_add(1, Ordering::Relaxed);
    tracing::warn!("forward {} ({}): {what}: {e}", d.config.name, d.config.addr);
}

/// Runs until `stop` turns true.
pub async fn run(fw: Arc<Forwarder>, d: Arc<Dest>, mut stop: watch::Receiver<bool>) {
    let start = d.queue.state();
    let mut reader = Reader::at(start.acked + 1);
    // Sent by an earlier run and not answered: they go again with RF=1.
    let sent_before_up_to = start.sent;
    let mut inflight: VecDeque<InFlight> = VecDeque::new();
    let mut backoff = Duration::from_millis(200);
    let mut gap_check = Instant::now();
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        let connected =
            tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&d.config.addr)).await;
        let stream = match connected {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                err(&d, "cannot connect", e);
                if sleep_or_stop(backoff, &mut stop).await {
                    return;
                }
                backoff = (backoff * 2).min(d.config.backoff_max);
                continue;
            }
            Err(_) => {
                err(&d, "cannot connect", "timed out");
                if sleep_or_stop(backoff, &mut stop).await {
                    return;
                }
                backoff = (backoff * 2).min(d.config.backoff_max);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let sock = socket2::SockRef::from(&stream);
        let _ = sock.set_keepalive(true);
        backoff = Duration::from_millis(200);
        d.stats.connected.store(true, Ordering::Relaxed);
        tracing::info!("forward {}: connected to {}", d.config.name, d.config.addr);
        let outcome = session(
            &fw,
            &d,
            stream,
            &mut reader,
            &mut inflight,
            sent_before_up_to,
            &mut stop,
            &mut gap_check,
        )
        .await;
        d.stats.connected.store(false, Ordering::Relaxed);
        let _ = d.queue.persist();
        match outcome {
            Ok(true) => return,
            Ok(false) => {}
            Err(e) => err(&d, "connection lost", e),
        }
        if sleep_or_stop(backoff, &mut stop).await {
            return;
        }
        backoff = (backoff * 2).min(d.config.backoff_max);
    }
}

/// One connection. Ok(true): stopped; Ok(false): the connection is to be made anew.
#[allow(clippy::too_many_arguments)]
async fn session(
    fw: &Arc<Forwarder>,
    d: &Arc<Dest>,
    stream: TcpStream,
    reader: &mut Reader,
    inflight: &mut VecDeque<InFlight>,
    sent_before_up_to: u64,
    stop: &mut watch::Receiver<bool>,
    gap_check: &mut Instant,
) -> std::io::Result<bool> {
    let (mut rd, mut wr) = stream.into_split();
    let cfg = &d.config;
    let limits = Limits {
        accept_modbus_crc: true,
        accept_length_mismatch: true,
        ..Limits::default()
    };
    // What was in flight on the last connection goes again, in order, with RF=1.
    let mut out = Vec::new();
    for f in inflight.iter_mut() {
        f.prepared = prepare(d, &f.entry, true);
        f.tries = 1;
        f.deadline = Instant::now() + cfg.ack_timeout;
        out.extend_from_slice(&f.prepared.bytes);
        d.stats.resent.fetch_add(1, Ordering::Relaxed);
        d.stats.sent.fetch_add(1, Ordering::Relaxed);
    }
    if !out.is_empty() {
        wr.write_all(&out).await?;
    }
    let mut rbuf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = vec![0u8; 16 * 1024];
    let mut last_write = Instant::now();
    loop {
        // Fill the window.
        if inflight.len() < cfg.window {
            let entries = d
                .queue
                .read(reader, cfg.window - inflight.len())
                .inspect_err(|e| err(d, "cannot read the queue", e))?;
            if let Some(last) = entries.last() {
                d.queue.mark_sent(last.seq)?;
                let mut out = Vec::new();
                for e in entries {
                    let again = e.seq <= sent_before_up_to;
                    let prepared = prepare(d, &e, again || e.flags & FLAG_RESEND != 0);
                    out.extend_from_slice(&prepared.bytes);
                    if again {
                        d.stats.resent.fetch_add(1, Ordering::Relaxed);
                    }
                    inflight.push_back(InFlight {
                        entry: e,
                        prepared,
                        tries: 1,
                        deadline: Instant::now() + cfg.ack_timeout,
                    });
                    d.stats.sent.fetch_add(1, Ordering::Relaxed);
                }
                d.queue
                    .set_oldest(inflight.front().map(|f| f.entry.queued_ms));
                wr.write_all(&out).await?;
                last_write = Instant::now();
            }
        }
        if inflight.is_empty()
            && d.stats.gap_from_ms.load(Ordering::Acquire) != 0
            && gap_check.elapsed() >= GAP_CHECK
        {
            *gap_check = Instant::now();
            let now = now_ms();
            // The archive read is blocking: off the runtime's threads.
            let (f, dest) = (fw.clone(), d.clone());
            match tokio::task::spawn_blocking(move || f.requeue_gap(&dest, now)).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => err(d, "re-queuing the gap from the archive", e),
                Err(e) => err(d, "re-queuing the gap from the archive", e),
            }
        }
        let deadline = inflight.iter().map(|f| f.deadline).min();
        let idle_until = last_write + cfg.heartbeat;
        let gap_wait =
            (d.stats.gap_from_ms.load(Ordering::Acquire) != 0).then(|| *gap_check + GAP_CHECK);
        tokio::select! {
            _ = stopped(stop) => {
                d.queue.persist()?;
                return Ok(true);
            }
            n = rd.read(&mut chunk) => {
                let n = n?;
                if n == 0 {
                    return Err(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "closed by the destination"));
                }
                rbuf.extend_from_slice(&chunk[..n]);
                on_answers(d, &mut rbuf, inflight, &limits);
                d.queue.set_oldest(inflight.front().map(|f| f.entry.queued_ms));
                d.queue.persist().inspect_err(|e| err(d, "cannot write the acknowledged cursor", e))?;
            }
            _ = d.queue.notify.notified(), if inflight.len() < cfg.window => {}
            _ = tokio::time::sleep_until(deadline.unwrap_or(idle_until)), if deadline.is_some() => {
                // The oldest unanswered packets whose time is up go again, with RF=1.
                let now = Instant::now();
                let mut out = Vec::new();
                for f in inflight.iter_mut().filter(|f| f.deadline <= now) {
                    if f.tries >= cfg.tries_per_connection {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            format!("record {} unanswered after {} sends; reconnecting", f.entry.seq, f.tries),
                        ));
                    }
                    f.prepared = prepare(d, &f.entry, true);
                                f.tries += 1;
                    f.deadline = now + cfg.ack_timeout;
                    out.extend_from_slice(&f.prepared.bytes);
                    d.stats.resent.fetch_add(1, Ordering::Relaxed);
                    d.stats.sent.fetch_add(1, Ordering::Relaxed);
                }
                wr.write_all(&out).await?;
                last_write = Instant::now();
            }
            _ = tokio::time::sleep_until(idle_until), if deadline.is_none() => {
                if cfg.rewrite.edition == Some(Edition::Hj212_2025) {
                    wr.write_all(&heartbeat()).await?;
                }
                last_write = Instant::now();
            }
            _ = tokio::time::sleep_until(gap_wait.unwrap_or(idle_until)), if gap_wait.is_some() && inflight.is_empty() => {}
        }
    }
}

/// Takes the whole frames out of `rbuf`; a 9014 (or 9013) answers the in-flight packet with
/// the same MN and QN (or the same QN when the answer has no MN).
fn on_answers(d: &Dest, rbuf: &mut Vec<u8>, inflight: &mut VecDeque<InFlight>, limits: &Limits) {
    loop {
        match check(rbuf, limits) {
            Check::Frame { len: n } => {
                let answer: Vec<u8> = rbuf.drain(..n).collect();
                // Only the header matters; the CRC is checked (a damaged answer is no answer).
                if lantian_hj212::frame::open(&answer, limits).is_err() {
                    err(d, "undecodable answer", String::from_utf8_lossy(&answer));
                    continue;
                }
                if !matches!(frame::cn(&answer), Some(9014 | 9013)) {
                    continue;
                }
                let Some(qn) = frame::field(&answer, "QN") else {
                    continue;
                };
                let mn = frame::field(&answer, "MN");
                let at = inflight
                    .iter()
                    .position(|f| f.prepared.qn == qn && mn.is_none_or(|m| m == f.prepared.mn));
                if let Some(i) = at {
                    let f = inflight.remove(i).expect("found above");
                    d.queue.ack(f.entry.seq);
                    d.stats.acked.fetch_add(1, Ordering::Relaxed);
                }
            }
            Check::Incomplete => return,
            Check::Invalid { skip, .. } => {
                rbuf.drain(..skip.max(1).min(rbuf.len()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forward::{Destination, Stats, queue::Queue};
    use lantian_hj212::sm4::{Key, Wire, decrypt_frame};

    fn dest(key: Option<Key>) -> Dest {
        let dir = std::env::temp_dir().join(format!("lantian-fs-{}", std::process::id()));
        let mut config = Destination::new("nat", "127.0.0.1:1");
        config.key = key;
        Dest {
            config,
            queue: Queue::open(&dir, 1 << 20, false).expect("queue"),
            stats: Stats::default(),
            dir,
        }
    }

    #[test]
    fn a_keyed_destination_gets_data_encrypted_and_the_header_in_clear() {
        let plain = lantian_hj212::encode::data_upload(
            "22",
            Command::HOURLY_DATA,
            "20250925010000001",
            "123456",
            "MN1",
            &lantian_hj212::Timestamp::parse("20250925000000").expect("time"),
            &[("a34004", 42.0)],
        );
        let e = Entry {
            seq: 1,
            queued_ms: 0,
            flags: 0,
            frame: plain.clone(),
        };
        let key = Key::from_hex("0123456789abcdeffedcba9876543210").expect("key");
        let clear = prepare(&dest(None), &e, true);
        let sealed = prepare(&dest(Some(key.clone())), &e, true);
        assert_ne!(sealed.bytes, clear.bytes, "the data area is encrypted");
        assert_eq!(
            (sealed.mn.as_str(), sealed.qn.as_str()),
            ("MN1", "20250925010000001")
        );
        assert_eq!(
            frame::field(&sealed.bytes, "RF"),
            Some("1"),
            "the header stays readable"
        );
        let opened = decrypt_frame(&sealed.bytes, &key, Wire::Binary).expect("decrypts");
        assert_eq!(
            opened, clear.bytes,
            "the destination decrypts the packet as prepared"
        );
        assert!(lantian_hj212::decode(&opened, &Limits::default()).is_ok());
    }
}
