//! One device connection: frames in, replies out, each acknowledgement after its commit.

use crate::Shared;
use crate::guard::Failure;
use crate::mapping;
use crate::metrics::Metrics;
use crate::registry::Entry;
use crate::writer::Job;
use lantian_hj212::encode::{self, QnRtn, Target};
use lantian_hj212::split::{Reassembler, Reassembly};
use lantian_hj212::{Check, Command, Packet, Timestamp, check, decode};
use lantian_store::{Ingest, MN_LEN_MAX, RawPacket};
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{oneshot, watch};

/// Bytes read at a time.
const READ_CHUNK_BYTES: usize = 4096;
/// A receive buffer larger than this is given back to the allocator once empty.
const BUFFER_KEEP_BYTES: usize = 8192;

/// A reply waiting for its packet's commit.
struct Pending {
    done: oneshot::Receiver<Result<(), String>>,
    replies: Vec<Vec<u8>>,
    /// The logged-in device's MN (None for a refused packet).
    mn: Option<String>,
    acks: bool,
}

struct Session {
    shared: Arc<Shared>,
    peer: String,
    ip: IpAddr,
    device: Option<Arc<Entry>>,
    verified_pw: Option<String>,
    /// When `device` was last read from the store.
    checked_at: Instant,
    /// Whether the packet being handled came from a logged-in device.
    authenticated: bool,
    /// A refusal that ends the connection once its reply is written.
    closing: bool,
    setup_sent: bool,
    reassembler: Reassembler,
    started: Instant,
    /// Reverse control: history requests, clock checks, operator commands (control.rs).
    control: crate::control::Control,
    /// HJ 212-2025: the device's key, MN confirmation, 1014 (profile2025.rs).
    p2025: crate::profile2025::SessionState,
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The current wall-clock time in China Standard Time, as devices keep it.
pub fn now_cst() -> Timestamp {
    let ms = now_ms() + 8 * 3_600_000;
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let d = lantian_core::Date::from_days_since_epoch(days);
    Timestamp {
        year: d.year() as u16,
        month: d.month() as u8,
        day: d.day() as u8,
        hour: (rem / 3_600_000) as u8,
        minute: (rem / 60_000 % 60) as u8,
        second: (rem / 1000 % 60) as u8,
        millis: (rem % 1000) as u16,
    }
}

pub(crate) async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let metrics = shared.metrics.clone();
    Metrics::add(&metrics.connections_total, 1);
    Metrics::add(&metrics.connections_open, 1);
    let _ = stream.set_nodelay(true);
    let cfg = shared.config.clone();
    if let Some(n) = cfg.send_buffer_bytes {
        let _ = socket2::SockRef::from(&stream).set_send_buffer_size(n);
    }
    let (mut rd, mut wr) = stream.into_split();
    let mut s = Session {
        shared,
        peer: peer.to_string(),
        ip: peer.ip(),
        device: None,
        verified_pw: None,
        checked_at: Instant::now(),
        authenticated: false,
        closing: false,
        setup_sent: false,
        reassembler: Reassembler::default(),
        started: Instant::now(),
        control: crate::control::Control::default(),
        p2025: crate::profile2025::SessionState::default(),
    };
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0u8; READ_CHUNK_BYTES];
    let mut pending: VecDeque<Pending> = VecDeque::new();
    let mut frame_started: Option<Instant> = None;
    let mut last_frame = Instant::now();
    let mut reading = true;
    let mut control_at = Instant::now();
    'conn: loop {
        // Frames are taken from a cursor and the buffer compacted once, not per frame.
        let mut pos = 0;
        while pending.len() < cfg.pending_per_connection_max {
            match check(&buf[pos..], &cfg.limits) {
                Check::Incomplete => break,
                Check::Frame { len } => {
                    let frame = buf[pos..pos + len].to_vec();
                    pos += len;
                    last_frame = Instant::now();
                    pending.push_back(s.on_frame(frame).await);
                    if s.closing {
                        // Refused: the reply goes out, nothing after it is read.
                        reading = false;
                        pos = buf.len();
                        break;
                    }
                }
                Check::Invalid { skip, reason } => {
                    pos += skip;
                    metrics.reject(
                        &format!("garbage: {}", reason.name()),
                        s.device.as_ref().map(|d| d.device.mn.as_str()),
                    );
                }
            }
        }
        buf.drain(..pos);
        if buf.is_empty() {
            frame_started = None;
            if buf.capacity() > BUFFER_KEEP_BYTES {
                buf = Vec::new();
            }
        }
        if !reading && pending.is_empty() {
            break;
        }
        let deadline = match frame_started {
            Some(t) => t + cfg.frame_timeout,
            None => last_frame + cfg.idle_timeout,
        };
        tokio::select! {
            biased;
            done = async { match pending.front_mut() { Some(p) => (&mut p.done).await, None => std::future::pending().await } }, if !pending.is_empty() => {
                let Some(mut p) = pending.pop_front() else { continue };
                // This reply and those of every packet committed with it go out in one write.
                let mut outcome = done.ok();
                let mut out: Vec<u8> = Vec::new();
                let mut acked: Vec<(Option<String>, u64)> = Vec::new();
                loop {
                    if let Some(Ok(())) = outcome {
                        p.replies.iter().for_each(|r| out.extend_from_slice(r));
                        if p.acks {
                            match acked.last_mut() {
                                Some((mn, n)) if *mn == p.mn => *n += 1,
                                _ => acked.push((p.mn.take(), 1)),
                            }
                        }
                    } else {
                        metrics.reject("not committed (no acknowledgement)", p.mn.as_deref());
                    }
                    match pending.front_mut().map(|n| n.done.try_recv()) {
                        Some(Err(oneshot::error::TryRecvError::Empty)) | None => break,
                        Some(next) => {
                            outcome = next.ok();
                            p = pending.pop_front().expect("front exists");
                        }
                    }
                }
                if !out.is_empty() && !write(&mut wr, &out, cfg.write_timeout).await {
                    Metrics::add(&metrics.timeouts, 1);
                    metrics.reject("reply not written (timeout or closed)", acked.first().and_then(|a| a.0.as_deref()));
                    break 'conn;
                }
                for (mn, n) in acked {
                    Metrics::add(&metrics.acks_total, n);
                    if let Some(mn) = &mn {
                        metrics.device_acked(mn, n);
                    }
                }
            }
            r = tokio::time::timeout_at(deadline.into(), rd.read(&mut chunk)), if reading && pending.len() < cfg.pending_per_connection_max => {
                match r {
                    Ok(Ok(0)) | Ok(Err(_)) => reading = false,
                    Ok(Ok(n)) => {
                        Metrics::add(&metrics.bytes_total, n as u64);
                        if buf.is_empty() {
                            frame_started = Some(Instant::now());
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    Err(_) => {
                        Metrics::add(&metrics.timeouts, 1);
                        let why = if frame_started.is_some() { "timeout: frame not completed" } else { "timeout: idle connection" };
                        metrics.reject(why, s.device.as_ref().map(|d| d.device.mn.as_str()));
                        reading = false;
                    }
                }
            }
            // Reverse control only when no live packet waits for its commit (live data first).
            _ = tokio::time::sleep_until(control_at.into()), if reading && pending.is_empty() && s.control.active(&cfg.control) => {
                // A 2025 device's commands are sealed with its key (profile2025.rs).
                let out = s.p2025.seal(s.control.tick(&s.shared).await);
                control_at = s.control.next_tick(&cfg.control);
                if !out.is_empty() && !write(&mut wr, &out, cfg.write_timeout).await {
                    Metrics::add(&metrics.timeouts, 1);
                    break 'conn;
                }
            }
            _ = stop.changed(), if reading => reading = false,
        }
    }
    s.control.closed(&s.shared).await;
    if let Some(d) = &s.device {
        metrics.device_disconnected(&d.device.mn);
    }
    Metrics::add(&metrics.connections_open, 0u64.wrapping_sub(1));
    tracing::debug!(
        "connection {} closed after {:?}",
        s.peer,
        s.started.elapsed()
    );
}

async fn write(wr: &mut OwnedWriteHalf, bytes: &[u8], limit: Duration) -> bool {
    matches!(
        tokio::time::timeout(limit, wr.write_all(bytes)).await,
        Ok(Ok(()))
    )
}

impl Session {
    /// Archives the frame and queues what it asks for; replies wait for the commit.
    async fn on_frame(&mut self, frame: Vec<u8>) -> Pending {
        let shared = self.shared.clone();
        let metrics = &shared.metrics;
        Metrics::add(&metrics.packets_total, 1);
        let received_ms = now_ms();
        let cfg = &shared.config;
        let mut ingest = Ingest {
            packet: None,
            observations: Vec::new(),
        };
        let mut replies = Vec::new();
        let mut acks = false;
        self.authenticated = false;
        // HJ 212-2025: an SM4-encrypted frame is decrypted first (profile2025.rs).
        let mut pending_key = None;
        let (frame, sm4) = match crate::profile2025::open(&shared, frame, received_ms).await {
            crate::profile2025::Opened::Clear(f) => (f, Ok(None)),
            crate::profile2025::Opened::Decrypted {
                frame,
                version,
                grace,
                pending,
            } => {
                pending_key = pending;
                (frame, Ok(Some((version, grace))))
            }
            crate::profile2025::Opened::Refused { frame, mn, reason } => (frame, Err((mn, reason))),
        };
        let decoded = match &sm4 {
            Ok(_) => decode(&frame, &cfg.limits),
            Err(_) => Err(lantian_hj212::DecodeError::Sm4 { reason: "refused" }),
        };
        let (verdict, mn) = match decoded {
            Err(_) if sm4.is_err() => {
                let (mn, reason) = sm4.clone().err().unwrap_or_default();
                metrics.reject("sm4: refused", Some(&mn));
                (reason, Some(mn))
            }
            Err(e) => {
                let mn = self.device.as_ref().map(|d| d.device.mn.clone());
                self.authenticated = mn.is_some();
                metrics.reject(e.kind(), mn.as_deref());
                (format!("{}: {e}", e.kind()), mn)
            }
            Ok(p) => {
                let mn = p.mn.map(str::to_owned);
                let verdict = self
                    .on_packet(
                        &p,
                        &mut ingest,
                        &mut replies,
                        &mut acks,
                        received_ms,
                        frame.len(),
                    )
                    .await;
                let verdict = match sm4 {
                    Ok(Some((v, grace))) => crate::profile2025::annotate_sm4(verdict, v, grace),
                    _ => verdict,
                };
                // A packet under the pending key from its logged-in device: the logger has
                // the new key (a CRC that happens to match proves nothing before the login).
                if let Some(k) = pending_key.as_ref().filter(|k| {
                    self.authenticated && self.device.as_ref().is_some_and(|d| d.device.mn == k.mn)
                }) {
                    crate::profile2025::activate(&shared, k, received_ms).await;
                }
                (verdict, mn)
            }
        };
        let (done_tx, done) = oneshot::channel();
        let done = self.control.after_commit(&shared, done);
        // Counters per device only for a logged-in one: a made-up MN is no entry.
        let device_mn = if self.authenticated { mn.clone() } else { None };
        if !self.authenticated && !shared.guard.archive_refused(self.ip) {
            // A refused peer over its allowance: counted, not archived, answered at once.
            Metrics::add(&metrics.archive_dropped, 1);
            let _ = done_tx.send(Ok(()));
            return Pending {
                done,
                replies,
                mn: device_mn,
                acks,
            };
        }
        ingest.packet = Some(RawPacket {
            received_ms,
            peer: self.peer.clone(),
            mn: mn.clone(),
            verdict,
            bytes: frame,
        });
        if shared
            .jobs
            .send(Job {
                ingest,
                done: done_tx,
            })
            .await
            .is_err()
        {
            tracing::error!(
                "the writer has stopped; packet from {} not committed",
                self.peer
            );
        }
        Pending {
            done,
            replies,
            mn: device_mn,
            acks,
        }
    }

    /// Authenticates and interprets a decoded packet. Returns the archive verdict.
    async fn on_packet(
        &mut self,
        p: &Packet<'_>,
        ingest: &mut Ingest,
        replies: &mut Vec<Vec<u8>>,
        acks: &mut bool,
        now_ms: i64,
        len: usize,
    ) -> String {
        let shared = self.shared.clone();
        let (metrics, cfg) = (&shared.metrics, &shared.config);
        let ed = cfg.reply_edition;
        // Replies to our own commands need no answer.
        if matches!(p.cn.0, 9011..=9014) {
            self.authenticated = self.device.is_some();
            if self.authenticated {
                self.control.on_reply(p);
            }
            if let Some(d) = self.device.clone() {
                crate::profile2025::on_reply(&shared, p, &d.device.mn, now_ms).await;
            }
            return "reply".to_owned();
        }
        if p.cn == Command::UPLOAD_SERIAL_2025 {
            self.authenticated = self
                .device
                .as_ref()
                .is_some_and(|d| p.mn == Some(d.device.mn.as_str()));
            return crate::profile2025::on_serial(&shared, p, &self.peer, replies, acks, now_ms)
                .await;
        }
        let Some(mn) = p.mn.filter(|m| !m.is_empty()) else {
            return self.refuse(p, replies, "auth: no MN", QnRtn::MnError, None);
        };
        if mn.len() > MN_LEN_MAX {
            return self.refuse(
                p,
                replies,
                "auth: MN longer than 24 characters (HJ 212 Table 3)",
                QnRtn::MnError,
                None,
            );
        }
        let pw = p.pw.unwrap_or("");
        let logged_in = self.device.as_ref().is_some_and(|d| d.device.mn == mn)
            && self.verified_pw.as_deref() == Some(pw);
        let entry = match &self.device {
            Some(d) if logged_in && self.checked_at.elapsed() < cfg.device_recheck => d.clone(),
            _ => {
                if shared.guard.locked(mn, self.ip) {
                    Metrics::add(&metrics.locked_refusals, 1);
                    return self.refuse(
                        p,
                        replies,
                        "auth: locked out after repeated wrong passwords from this address",
                        QnRtn::Refused,
                        Some(mn),
                    );
                }
                let entry = match shared.registry.get(mn).await {
                    Ok(Some(e)) => e,
                    Ok(None) => {
                        Metrics::add(&metrics.unknown_mn, 1);
                        return self.refuse(p, replies, "auth: unknown MN", QnRtn::MnError, None);
                    }
                    Err(e) => {
                        metrics.reject("registry unavailable", None);
                        return format!("registry unavailable: {e}");
                    }
                };
                if entry.device.disabled {
                    return self.refuse(
                        p,
                        replies,
                        "auth: device disabled",
                        QnRtn::Refused,
                        Some(mn),
                    );
                }
                if !shared.registry.check_password(&entry, pw).await {
                    Metrics::add(&metrics.auth_failures, 1);
                    if shared.guard.fail(mn, self.ip) == Failure::LockedOut {
                        Metrics::add(&metrics.lockouts, 1);
                        tracing::warn!(
                            "device {mn}: locked out for {:?} from {} after {} wrong passwords",
                            cfg.auth_failure_window,
                            self.ip,
                            cfg.auth_failures_max
                        );
                    }
                    return self.refuse(
                        p,
                        replies,
                        "auth: bad password",
                        QnRtn::PasswordError,
                        Some(mn),
                    );
                }
                self.device = Some(entry.clone());
                self.verified_pw = Some(pw.to_owned());
                self.checked_at = Instant::now();
                entry
            }
        };
        self.authenticated = true;
        self.control
            .on_login(p, &entry.device.station_id, &entry.device.edition, ed);
        self.control.on_answer(p, &cfg.control);
        metrics.device_seen(mn, len as u64, now_ms, &self.peer);
        if let Some(v) =
            crate::profile2025::after_login(&mut self.p2025, &shared, p, mn, replies, acks, now_ms)
                .await
        {
            return v;
        }
        let verdict = if mapping::period_of(p.cn).is_some() {
            let v = self.on_data(p, &entry, ingest);
            let v = self.control.on_data(p, ingest, v, &cfg.control, now_ms);
            crate::profile2025::after_data(&shared, p, mn, v)
        } else {
            "accepted".to_owned()
        };
        if verdict.starts_with("refused") && p.needs_ack() {
            replies.push(encode::request_answer(p, QnRtn::Refused, ed));
        }
        if verdict.starts_with("accepted") && p.needs_ack() {
            if p.cn.is_notice() {
                replies.push(encode::notice_answer(p, ed));
            } else if mapping::period_of(p.cn).is_some()
                || p.cn.0 == 2021
                || p.cn.0 == 2041
                || p.cn.0 == 2081
            {
                replies.push(encode::data_answer(p, ed));
            } else {
                replies.push(encode::request_answer(p, QnRtn::Ready, ed));
            }
            *acks = true;
        }
        let target = Target {
            st: p.st,
            pw,
            mn,
            edition: ed,
        };
        if p.cn == Command::TIME_CALIBRATION_REQUEST {
            replies.push(encode::set_time(&target, now_cst(), now_cst()));
        }
        if cfg.setup.enabled && !self.setup_sent {
            self.setup_sent = true;
            let s = &cfg.setup;
            if s.set_time {
                replies.push(encode::set_time(&target, now_cst(), now_cst()));
            }
            if let Some(Ok(cmd)) = s
                .rtd_interval_s
                .map(|v| encode::set_rtd_interval(&target, now_cst(), v))
            {
                replies.push(cmd);
            }
            if let Some(Ok(cmd)) = s
                .min_interval_min
                .map(|v| encode::set_min_interval(&target, now_cst(), v))
            {
                replies.push(cmd);
            }
        }
        verdict
    }

    /// Refuses a packet at login: counted with its reason (for the device only if `mn` is
    /// a registered one), answered 9011 with `rtn`, and the connection closed after the
    /// reply, so that each guess costs a new connection. Returns the archive verdict.
    fn refuse(
        &mut self,
        p: &Packet<'_>,
        replies: &mut Vec<Vec<u8>>,
        why: &str,
        rtn: QnRtn,
        mn: Option<&str>,
    ) -> String {
        self.shared.metrics.reject(why, mn);
        replies.push(encode::request_answer(
            p,
            rtn,
            self.shared.config.reply_edition,
        ));
        self.device = None;
        self.verified_pw = None;
        self.closing = true;
        why.to_owned()
    }

    /// Data uploads: reassembled if split, mapped to observations.
    fn on_data(&mut self, p: &Packet<'_>, entry: &Entry, ingest: &mut Ingest) -> String {
        let metrics = &self.shared.metrics;
        let station = &entry.device.station_id;
        if p.pnum.is_some() {
            let now_s = (now_ms() / 1000).max(0) as u64;
            self.reassembler.expire(now_s);
            return match self.reassembler.push(p, now_s) {
                Reassembly::Pending { have, of } => format!("accepted: part {have} of {of}"),
                Reassembly::Duplicate => "accepted: duplicate part".to_owned(),
                Reassembly::Single => "accepted".to_owned(),
                Reassembly::Complete { fields, .. } => {
                    let cp: Vec<String> = fields
                        .iter()
                        .map(|f| format!("{}={}", f.name, f.value))
                        .collect();
                    let seg = encode::segment(
                        &encode::Header {
                            pnum: None,
                            pno: None,
                            resend: false,
                            ..p.header()
                        },
                        &cp.join(";"),
                    );
                    match lantian_hj212::packet::decode_segment(&seg) {
                        Ok(whole) => self.map(&whole, station, &entry.factors, ingest),
                        Err(e) => {
                            metrics.reject("split: reassembled packet invalid", p.mn);
                            format!("field: reassembled packet invalid: {e}")
                        }
                    }
                }
            };
        }
        self.map(p, station, &entry.factors, ingest)
    }

    fn map(
        &self,
        p: &Packet<'_>,
        station: &str,
        factors: &std::collections::HashMap<String, f64>,
        ingest: &mut Ingest,
    ) -> String {
        match mapping::observations_with(
            p,
            station,
            factors,
            &self.shared.config.profile2025.mapping,
        ) {
            Ok(obs) => {
                // Seconds since the epoch in CST, as observations are dated.
                let now_cst_s = now_ms().div_euclid(1000) + lantian_core::cst::OFFSET_S;
                let margin_s = self.shared.config.future_margin.as_secs() as i64;
                if let Some(ahead_s) = obs
                    .iter()
                    .map(|o| o.ts - now_cst_s)
                    .max()
                    .filter(|a| *a > margin_s)
                {
                    Metrics::add(&self.shared.metrics.future_refused, 1);
                    self.shared
                        .metrics
                        .reject("refused: dated ahead of the server clock", p.mn);
                    return format!(
                        "refused: dated {ahead_s} s ahead of the server clock (at most {margin_s} s)"
                    );
                }
                ingest.observations = obs;
                "accepted".to_owned()
            }
            Err(e) => {
                self.shared.metrics.reject("field", p.mn);
                format!("field: {e}")
            }
        }
    }
}
