//! Reverse control on a device's own connection (issue 22, docs/reverse-control.md): gaps
//! in its minute, hourly and daily data found live and at login and asked for with history
//! requests (2051/2061/2031, HJ 212-2017 §6.10), the logger's clock checked (1011) and set
//! (1012) when it drifts, and operators' commands polled from the store's command log; one
//! command in flight per connection, answers (9011, data, 9012) matched on QN and recorded in
//! the log; periods that arrive in answer to a request (or with RF=1) marked `backfilled`
//! after their commit. Requests go out only when no live packet waits for its commit.

use crate::Shared;
use crate::conn::{now_cst, now_ms};
use crate::mapping;
use lantian_hj212::encode::{self, Target};
use lantian_hj212::{Command, Edition, Packet, Timestamp};
use lantian_store::device_commands::{
    BackfillMark, CommandRow, CommandState, ORIGIN_BACKFILL, ORIGIN_TIME_SYNC,
};
use lantian_store::{Ingest, Period, Store};
use std::collections::{BTreeSet, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Reverse-control settings (`[control]` in the configuration; defaults documented in
/// docs/reverse-control.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Operator commands, time sync and back-fill at all.
    pub enabled: bool,
    /// Gap detection and automatic history requests.
    pub backfill: bool,
    /// Gaps older than this are not asked for.
    pub lookback: Duration,
    /// How long after a login the store's latest hour is compared with the clock (what a
    /// reconnecting logger sends on its own comes first).
    pub login_check_after: Duration,
    /// Span of one history request at most, per period.
    pub hour_span_max: Duration,
    pub minute_span_max: Duration,
    pub day_span_max: Duration,
    /// A command not answered 9011 within this is sent again (same QN) …
    pub answer_timeout: Duration,
    /// … at most this many times in all, then `timeout`.
    pub attempts_max: u32,
    /// After 9011 QnRtn=1, the 9012 must come this long after the last thing the device sent
    /// for the command.
    pub done_timeout: Duration,
    /// Two automatic history requests of one device at least this far apart.
    pub request_spacing: Duration,
    /// Automatic history requests per device in 24 hours at most.
    pub requests_per_day_max: u32,
    /// The logger's clock is read at login and this often (`None`: at login only).
    pub time_sync_every: Option<Duration>,
    /// Whether the clock is checked at all.
    pub time_sync: bool,
    /// A clock off by more than this is set (1012).
    pub clock_drift_max: Duration,
    /// How often a gateway looks for queued operator commands.
    pub poll_every: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            enabled: true,
            backfill: true,
            lookback: Duration::from_secs(7 * 86_400),
            login_check_after: Duration::from_secs(120),
            hour_span_max: Duration::from_secs(24 * 3600),
            minute_span_max: Duration::from_secs(2 * 3600),
            day_span_max: Duration::from_secs(7 * 86_400),
            answer_timeout: Duration::from_secs(30),
            attempts_max: 3,
            done_timeout: Duration::from_secs(120),
            request_spacing: Duration::from_secs(10),
            requests_per_day_max: 48,
            time_sync_every: Some(Duration::from_secs(6 * 3600)),
            time_sync: true,
            clock_drift_max: Duration::from_secs(60),
            poll_every: Duration::from_secs(1),
        }
    }
}

/// Shared by a gateway's connections: which devices have queued operator commands (one
/// store query per `poll_every` for the whole gateway, not one per connection).
pub(crate) struct Hub {
    store: Arc<Store>,
    queued: Mutex<(Option<Instant>, HashSet<String>)>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Hub {
    pub fn new(store: Arc<Store>) -> Hub {
        Hub {
            store,
            queued: Mutex::new((None, HashSet::new())),
        }
    }

    /// Whether `mn` has a queued command (the list refreshed at most every `every`).
    async fn has_queued(&self, mn: &str, every: Duration) -> bool {
        let stale = lock(&self.queued).0.is_none_or(|t| t.elapsed() >= every);
        if stale {
            // Claim the refresh first so that concurrent connections do not all query.
            lock(&self.queued).0 = Some(Instant::now());
            let store = self.store.clone();
            let now = now_ms();
            let found = tokio::task::spawn_blocking(move || {
                let _ = store.expire_device_commands(now);
                store.queued_command_mns(now)
            })
            .await;
            match found {
                Ok(Ok(mns)) => lock(&self.queued).1 = mns.into_iter().collect(),
                Ok(Err(e)) => tracing::warn!("reverse control: polling queued commands: {e}"),
                Err(e) => tracing::warn!("reverse control: polling queued commands: {e}"),
            }
        }
        lock(&self.queued).1.contains(mn)
    }

    /// Runs `f` on the store off the async threads.
    async fn store<T: Send + 'static>(
        &self,
        what: &str,
        f: impl FnOnce(&Store) -> Result<T, lantian_store::StoreError> + Send + 'static,
    ) -> Option<T> {
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || f(&store)).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                tracing::warn!("reverse control: {what}: {e}");
                None
            }
            Err(e) => {
                tracing::warn!("reverse control: {what}: {e}");
                None
            }
        }
    }
}

/// A stretch of missing periods, both ends included (CST seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Gap {
    period: Period,
    first: i64,
    last: i64,
    step: i64,
}

/// Gaps remembered per connection at most (the oldest are dropped: the next login finds the
/// hourly ones again from the store).
const GAPS_MAX: usize = 64;

/// Bytes of a command's replies kept in memory at most (the store keeps 2,000 characters).
const REPLY_BYTES_MAX: usize = 8192;

/// The command written to the device and what came back so far.
struct InFlight {
    row: CommandRow,
    frame: Vec<u8>,
    sent_at: Instant,
    last_activity: Instant,
    /// Period starts received in answer (records).
    seen: BTreeSet<i64>,
    /// Changed since last written to the store.
    dirty: bool,
}

/// A connection's reverse control.
#[derive(Default)]
pub(crate) struct Control {
    mn: Option<String>,
    station: String,
    st: String,
    pw: String,
    edition: Option<Edition>,
    /// The login's checks (requests counted, clock) are still to run.
    login_due: bool,
    /// When the store's latest hour is compared with the clock (a while after the login,
    /// so that what the logger sends on its own at reconnection is not asked for).
    login_gap_at: Option<Instant>,
    /// The latest period start seen live, per period (min, hour, day).
    last: [Option<i64>; 3],
    /// The first period start seen live on this connection, per period.
    first: [Option<i64>; 3],
    /// The smallest step seen between two live minute packets.
    minute_step: Option<i64>,
    gaps: VecDeque<Gap>,
    in_flight: Option<InFlight>,
    next_request: Option<Instant>,
    requests_today: Option<(Instant, u32)>,
    next_time_sync: Option<Instant>,
    /// A 1012 to send: the drift found (s) and the 1011 that found it.
    set_time_due: Option<(i64, i64)>,
    last_qn_ms: i64,
    /// Marks to write after the commit of the packet being handled.
    marks: Vec<BackfillMark>,
}

fn slot(p: Period) -> Option<usize> {
    match p {
        Period::Min => Some(0),
        Period::Hour => Some(1),
        Period::Day => Some(2),
        Period::Rtd => None,
    }
}

fn history_cn(p: Period) -> u16 {
    match p {
        Period::Min => 2051,
        Period::Day => 2031,
        _ => 2061,
    }
}

fn period_of_request(cn: i64) -> Option<Period> {
    match cn {
        2051 => Some(Period::Min),
        2061 => Some(Period::Hour),
        2031 => Some(Period::Day),
        _ => None,
    }
}

/// Start of the hour/day containing a CST second.
fn floor(ts: i64, step: i64) -> i64 {
    ts - ts.rem_euclid(step)
}

fn now_cst_s() -> i64 {
    now_ms().div_euclid(1000) + lantian_core::cst::OFFSET_S
}

impl Control {
    /// An authenticated packet of `mn` (station `station`): remembers how to address the
    /// device (commands in its registered edition: a 2025 device's are sealed with its key;
    /// others in the replies' edition); the first one schedules the login checks.
    pub fn on_login(
        &mut self,
        p: &Packet<'_>,
        station: &str,
        device_edition: &str,
        reply: Edition,
    ) {
        let edition = if device_edition == "2025" {
            Edition::Hj212_2025
        } else {
            reply
        };
        let mn = p.mn.unwrap_or_default();
        if self.mn.as_deref() != Some(mn) {
            *self = Control {
                mn: Some(mn.to_owned()),
                login_due: true,
                ..Control::default()
            };
        }
        self.station = station.to_owned();
        if !p.st.is_empty() && !matches!(p.cn.0, 9011..=9014) {
            p.st.clone_into(&mut self.st);
        }
        p.pw.unwrap_or_default().clone_into(&mut self.pw);
        self.edition = Some(edition);
    }

    /// Answers to the command in flight (9011, 9012, or a data answer such as 1011's
    /// `SystemTime`): recorded, nothing else happens to the packet.
    pub fn on_reply(&mut self, p: &Packet<'_>) {
        let Some(f) = &mut self.in_flight else { return };
        if p.qn.is_none() || p.qn != f.row.qn.as_deref() {
            return;
        }
        f.last_activity = Instant::now();
        let num = |name: &str| p.cp_value(name).and_then(|v| v.trim().parse::<i64>().ok());
        match p.cn.0 {
            9011 => {
                let rtn = num("QnRtn");
                f.row.qn_rtn = rtn;
                f.row.state = if rtn == Some(1) {
                    CommandState::Ready
                } else {
                    f.row.note = format!(
                        "设备拒绝执行 (QnRtn={}) / the device refused (QnRtn={0})",
                        rtn.map_or("?".to_owned(), |r| r.to_string())
                    );
                    CommandState::Refused
                };
            }
            9012 => {
                let rtn = num("ExeRtn");
                f.row.exe_rtn = rtn;
                f.row.state = if rtn == Some(1) {
                    CommandState::Done
                } else {
                    CommandState::Failed
                };
                if f.row.state == CommandState::Failed && f.row.note.is_empty() {
                    f.row.note = format!(
                        "执行失败 (ExeRtn={}) / execution failed (ExeRtn={0})",
                        rtn.map_or("?".to_owned(), |r| r.to_string())
                    );
                }
            }
            _ => {}
        }
        f.dirty = true;
    }

    /// A non-data packet of the device (1011's `SystemTime`, 1061's `RtdInterval`, 3020's
    /// parameters …) answering the command in flight: its CP kept as the reply; a clock read
    /// is compared with Beijing time.
    pub fn on_answer(&mut self, p: &Packet<'_>, s: &Settings) {
        let Some(f) = &mut self.in_flight else { return };
        // Data (history records) is counted by `on_data`.
        if mapping::period_of(p.cn).is_some() {
            return;
        }
        let same_qn = p.qn.is_some() && p.qn == f.row.qn.as_deref();
        if i64::from(p.cn.0) != f.row.cn || !(same_qn || f.row.state == CommandState::Ready) {
            return;
        }
        // A device that keeps answering grows no memory: the reply is kept up to a bound
        // (the store keeps less) and answers beyond it are only counted.
        if f.row.reply.len() >= REPLY_BYTES_MAX {
            f.row.records_received += 1;
            f.dirty = true;
            return;
        }
        f.last_activity = Instant::now();
        if !f.row.reply.is_empty() {
            f.row.reply.push('\n');
        }
        f.row.reply.push_str(p.cp);
        f.row.records_received += 1;
        f.dirty = true;
        if p.cn == Command::GET_TIME
            && let Some(t) = p
                .cp_value("SystemTime")
                .and_then(Timestamp::parse)
                .and_then(|t| mapping::cst_seconds(&t))
        {
            let drift = t - now_cst_s();
            f.row.drift_s = Some(drift);
            let over = drift.unsigned_abs() > s.clock_drift_max.as_secs();
            f.row.note = if over {
                self.set_time_due = Some((drift, f.row.id));
                format!(
                    "时钟偏差 {drift} 秒，超过 {} 秒，将校时 / clock off by {drift} s (over {} s): setting it",
                    s.clock_drift_max.as_secs(),
                    s.clock_drift_max.as_secs()
                )
            } else {
                format!(
                    "时钟偏差 {drift} 秒，未超过 {} 秒 / clock off by {drift} s (within {} s)",
                    s.clock_drift_max.as_secs(),
                    s.clock_drift_max.as_secs()
                )
            };
        }
    }

    /// Data that was just mapped (`verdict` from the mapping): gaps found in live data,
    /// periods answering a request or resent (RF=1) remembered for marking after the commit.
    /// Returns the archive verdict.
    pub fn on_data(
        &mut self,
        p: &Packet<'_>,
        ingest: &Ingest,
        verdict: String,
        s: &Settings,
        received_ms: i64,
    ) -> String {
        self.marks.clear();
        if !s.enabled || !verdict.starts_with("accepted") {
            return verdict;
        }
        let Some(period) =
            mapping::period_of(p.cn).filter(|_| matches!(p.cn.0, 2051 | 2061 | 2031))
        else {
            return verdict;
        };
        let mut starts: BTreeSet<i64> = ingest
            .observations
            .iter()
            .filter(|o| o.period == period)
            .map(|o| o.ts)
            .collect();
        if starts.is_empty()
            && let Some(t) = p.data_time.as_ref().and_then(mapping::cst_seconds)
        {
            starts.insert(t);
        }
        let mn = self.mn.clone().unwrap_or_default();
        // An answer: data of the requested CN inside the requested span, with the request's
        // QN or (tolerant) without it while the request is being executed. Periods outside
        // the span are live data, whatever QN they carry: nothing can pass as asked for
        // that was not (and the set of periods seen stays within the span).
        if let Some(f) = &mut self.in_flight
            && i64::from(p.cn.0) == f.row.cn
            && !f.row.state.is_final()
            && (p.qn.is_some() && p.qn == f.row.qn.as_deref() || f.row.state == CommandState::Ready)
            && starts.iter().all(|t| {
                f.row.begin_ts.is_some_and(|b| *t >= b) && f.row.end_ts.is_some_and(|e| *t <= e)
            })
        {
            f.last_activity = Instant::now();
            f.seen.extend(starts.iter().copied());
            f.row.records_received = f.seen.len() as i64;
            f.dirty = true;
            let id = f.row.id;
            self.marks = starts
                .iter()
                .map(|&ts| BackfillMark {
                    station_id: self.station.clone(),
                    period: period.as_str().to_owned(),
                    ts,
                    mn: mn.clone(),
                    origin: "request".to_owned(),
                    command_id: Some(id),
                    received_ms,
                })
                .collect();
            return format!("accepted: back-fill (command {id})");
        }
        if p.resend {
            self.marks = starts
                .iter()
                .map(|&ts| BackfillMark {
                    station_id: self.station.clone(),
                    period: period.as_str().to_owned(),
                    ts,
                    mn: mn.clone(),
                    origin: "resend".to_owned(),
                    command_id: None,
                    received_ms,
                })
                .collect();
            return "accepted: resend (RF=1)".to_owned();
        }
        // Live data: a jump past the next expected period is a gap.
        if let (Some(i), Some(&ts)) = (slot(period), starts.iter().next_back()) {
            let step = match period {
                Period::Hour => Some(3600),
                Period::Day => Some(86_400),
                _ => {
                    if let Some(prev) = self.last[i].filter(|p| ts > *p) {
                        let d = ts - prev;
                        self.minute_step = Some(self.minute_step.map_or(d, |m| m.min(d)).max(60));
                    }
                    self.minute_step
                }
            };
            if let (Some(step), Some(prev)) = (step, self.last[i])
                && s.backfill
                && ts > prev + step
            {
                self.add_gap(
                    Gap {
                        period,
                        first: prev + step,
                        last: ts - step,
                        step,
                    },
                    s,
                );
            }
            self.last[i] = Some(self.last[i].map_or(ts, |p| p.max(ts)));
            self.first[i].get_or_insert(ts);
        }
        verdict
    }

    fn add_gap(&mut self, g: Gap, s: &Settings) {
        let oldest = floor(now_cst_s() - s.lookback.as_secs() as i64, g.step);
        let g = Gap {
            first: g.first.max(oldest),
            ..g
        };
        if g.first > g.last {
            return;
        }
        tracing::info!(
            "device {}: gap of {} {} period(s) found",
            self.mn.as_deref().unwrap_or("?"),
            (g.last - g.first) / g.step + 1,
            g.period.as_str()
        );
        if self.gaps.len() >= GAPS_MAX {
            self.gaps.pop_front();
        }
        self.gaps.push_back(g);
    }

    /// The commit of the packet just handled: when it carried back-filled periods, `done`
    /// is passed on only after they are marked.
    pub fn after_commit(
        &mut self,
        shared: &Arc<Shared>,
        done: oneshot::Receiver<Result<(), String>>,
    ) -> oneshot::Receiver<Result<(), String>> {
        if self.marks.is_empty() {
            return done;
        }
        let marks = std::mem::take(&mut self.marks);
        let (tx, rx) = oneshot::channel();
        let shared = shared.clone();
        tokio::spawn(async move {
            let r = done
                .await
                .unwrap_or_else(|_| Err("writer stopped".to_owned()));
            if r.is_ok() {
                shared
                    .control
                    .store("marking back-filled periods", move |st| {
                        st.mark_backfilled(&marks)
                    })
                    .await;
            }
            let _ = tx.send(r);
        });
        rx
    }

    /// When the next [`Control::tick`] is due.
    pub fn next_tick(&self, s: &Settings) -> Instant {
        Instant::now() + s.poll_every
    }

    /// Whether this connection has anything to do with reverse control.
    pub fn active(&self, s: &Settings) -> bool {
        s.enabled && self.mn.is_some() && self.edition.is_some()
    }

    fn target(&self) -> Target<'_> {
        Target {
            st: if self.st.is_empty() { "32" } else { &self.st },
            pw: &self.pw,
            mn: self.mn.as_deref().unwrap_or_default(),
            edition: self.edition.unwrap_or(Edition::Hj212_2017),
        }
    }

    /// A QN (the time in Beijing to the millisecond), distinct from the last one.
    fn next_qn(&mut self) -> Timestamp {
        let ms = now_ms().max(self.last_qn_ms + 1);
        self.last_qn_ms = ms;
        let cst_ms = ms + lantian_core::cst::OFFSET_S * 1000;
        Timestamp {
            millis: cst_ms.rem_euclid(1000) as u16,
            ..mapping::timestamp(cst_ms.div_euclid(1000))
        }
    }

    /// Timeouts of the command in flight and the next command to send (operator commands
    /// first, then clock checks, then history requests). Returns the bytes to write.
    pub async fn tick(&mut self, shared: &Arc<Shared>) -> Vec<u8> {
        let s = &shared.config.control;
        let hub = &shared.control;
        let mut out = Vec::new();
        if self.login_due {
            self.login_due = false;
            self.login_checks(shared).await;
        }
        if self.login_gap_at.is_some_and(|t| Instant::now() >= t) {
            self.login_gap_at = None;
            self.login_gap(shared).await;
        }
        if let Some(f) = &mut self.in_flight {
            let now = Instant::now();
            let mut changed = false;
            if f.row.state == CommandState::Sent && now >= f.sent_at + s.answer_timeout {
                if f.row.attempts < i64::from(s.attempts_max) {
                    f.row.attempts += 1;
                    f.sent_at = now;
                    out.extend_from_slice(&f.frame);
                } else {
                    f.row.state = CommandState::Timeout;
                    f.row.note = format!(
                        "发送 {} 次均未应答 / no answer after {} attempts",
                        f.row.attempts, f.row.attempts
                    );
                }
                changed = true;
            } else if f.row.state == CommandState::Ready && now >= f.last_activity + s.done_timeout
            {
                let complete = f
                    .row
                    .records_expected
                    .is_some_and(|e| f.row.records_received >= e);
                f.row.state = if complete {
                    CommandState::Done
                } else {
                    CommandState::Timeout
                };
                f.row.note = format!(
                    "未收到 9012 执行结果（收到 {} 条）/ no 9012 execution result ({} record(s) received)",
                    f.row.records_received, f.row.records_received
                );
                changed = true;
            }
            if changed || f.dirty {
                f.dirty = false;
                let row = f.row.clone();
                hub.store("recording a command's answer", move |st| {
                    st.update_device_command(&row, now_ms())
                })
                .await;
            }
            if f.row.state.is_final() {
                self.in_flight = None;
            } else {
                return out;
            }
        }
        if let Some(cmd) = self.next_command(shared).await {
            out.extend_from_slice(&cmd);
        }
        out
    }

    /// The store's latest hour of the station and the clock, at login.
    async fn login_checks(&mut self, shared: &Arc<Shared>) {
        let s = &shared.config.control;
        let hub = &shared.control;
        let mn = self.mn.clone().unwrap_or_default();
        let since = now_ms() - 86_400_000;
        let m = mn.clone();
        let n = hub
            .store("counting today's history requests", move |st| {
                st.device_commands_since(&m, ORIGIN_BACKFILL, since)
            })
            .await
            .unwrap_or(0);
        self.requests_today = Some((Instant::now(), n as u32));
        // The clock is read at login as part of the first-connection set-up (HJ 212-2017
        // §6.7); with the set-up off (`--no-device-setup`) nothing is sent unasked at login
        // and the first read comes after `time_sync_every`.
        if s.time_sync {
            self.next_time_sync = if shared.config.setup.enabled {
                Some(Instant::now())
            } else {
                s.time_sync_every.map(|e| Instant::now() + e)
            };
        }
        if s.backfill {
            self.login_gap_at = Some(Instant::now() + s.login_check_after);
        }
    }

    /// Hours missing before this connection's first live hour (or, without one, before the
    /// hour that just ended, which the logger sends now): from the store's latest hour
    /// before it. Gaps between live hours are found as they arrive.
    async fn login_gap(&mut self, shared: &Arc<Shared>) {
        let s = &shared.config.control;
        let hub = &shared.control;
        let station = self.station.clone();
        let bound = self.first[1].unwrap_or(floor(now_cst_s(), 3600) - 3600);
        let latest = hub
            .store("reading the station's latest hour", move |st| {
                st.latest_period_ts_before(&station, "hour", bound)
            })
            .await
            .flatten();
        if let Some(latest) = latest
            && latest + 3600 < bound
        {
            self.add_gap(
                Gap {
                    period: Period::Hour,
                    first: latest + 3600,
                    last: bound - 3600,
                    step: 3600,
                },
                s,
            );
        }
    }

    async fn next_command(&mut self, shared: &Arc<Shared>) -> Option<Vec<u8>> {
        let s = &shared.config.control;
        let hub = &shared.control;
        let mn = self.mn.clone()?;
        let station = self.station.clone();
        let now = now_ms();
        // An operator's command.
        if hub.has_queued(&mn, s.poll_every).await {
            let qn_t = self.next_qn();
            let m = mn.clone();
            let q = qn_t.qn();
            if let Some(row) = hub
                .store("claiming a queued command", move |st| {
                    st.claim_device_command(&m, &q, now)
                })
                .await
                .flatten()
            {
                let mut row = row;
                if row.cn == 1012 && row.params.is_empty() {
                    // "Set to Beijing time": the time when it is sent, not when it was asked.
                    row.params = format!("SystemTime={}", now_cst().n14());
                }
                let frame = self.seal(encode::command(
                    &self.target(),
                    qn_t,
                    Command(row.cn as u16),
                    &row.params,
                ));
                return Some(self.send(row, frame));
            }
        }
        // A 1012 after a 1011 found the clock off.
        if let Some((drift, read_by)) = self.set_time_due.take() {
            let mut row = CommandRow::new(
                &mn,
                &station,
                1012,
                "",
                ORIGIN_TIME_SYNC,
                "gateway",
                now,
                now,
            );
            let now_t = now_cst();
            row.params = format!("SystemTime={}", now_t.n14());
            row.note = format!(
                "时钟偏差 {drift} 秒（命令 {read_by}），校时 / clock off by {drift} s (command {read_by}): set"
            );
            row.drift_s = Some(drift);
            let qn = self.next_qn();
            let frame = self.seal(encode::set_time(&self.target(), qn, now_t));
            return self.record_and_send(shared, row, qn, frame).await;
        }
        // A clock read.
        if self.next_time_sync.is_some_and(|t| Instant::now() >= t) {
            self.next_time_sync = s.time_sync_every.map(|e| Instant::now() + e);
            let row = CommandRow::new(
                &mn,
                &station,
                1011,
                "",
                ORIGIN_TIME_SYNC,
                "gateway",
                now,
                now,
            );
            let qn = self.next_qn();
            let frame = self.seal(encode::get_time(&self.target(), qn));
            return self.record_and_send(shared, row, qn, frame).await;
        }
        // A history request for the oldest gap, within the limits.
        if !s.backfill || self.gaps.is_empty() {
            return None;
        }
        if self.next_request.is_some_and(|t| Instant::now() < t) {
            return None;
        }
        let day = Duration::from_secs(86_400);
        let (since, count) = self.requests_today.unwrap_or((Instant::now(), 0));
        let (since, count) = if since.elapsed() >= day {
            (Instant::now(), 0)
        } else {
            (since, count)
        };
        if count >= s.requests_per_day_max {
            self.requests_today = Some((since, count));
            return None;
        }
        let oldest = floor(now_cst_s() - s.lookback.as_secs() as i64, 60);
        let mut g = self.gaps.pop_front()?;
        while g.last < oldest {
            g = self.gaps.pop_front()?;
        }
        let span = match g.period {
            Period::Min => s.minute_span_max,
            Period::Day => s.day_span_max,
            _ => s.hour_span_max,
        }
        .as_secs() as i64;
        let n_max = (span / g.step).max(1);
        let last = g.last.min(g.first + (n_max - 1) * g.step);
        if last < g.last {
            self.gaps.push_front(Gap {
                first: last + g.step,
                ..g
            });
        }
        let (begin, end) = (mapping::timestamp(g.first), mapping::timestamp(last));
        let cn = Command(history_cn(g.period));
        let qn = self.next_qn();
        let frame = encode::history_request(&self.target(), qn, cn, begin, end).ok()?;
        let frame = self.seal(frame);
        let mut row = CommandRow::new(
            &mn,
            &station,
            i64::from(cn.0),
            &format!("BeginTime={};EndTime={}", begin.n14(), end.n14()),
            ORIGIN_BACKFILL,
            "gateway",
            now,
            now,
        );
        row.period = Some(g.period.as_str().to_owned());
        row.begin_ts = Some(g.first);
        row.end_ts = Some(last);
        row.records_expected = Some((last - g.first) / g.step + 1);
        self.requests_today = Some((since, count + 1));
        self.next_request = Some(Instant::now() + s.request_spacing);
        self.record_and_send(shared, row, qn, frame).await
    }

    /// Records a gateway command as sent, then returns its bytes.
    async fn record_and_send(
        &mut self,
        shared: &Arc<Shared>,
        mut row: CommandRow,
        qn: Timestamp,
        frame: Vec<u8>,
    ) -> Option<Vec<u8>> {
        row.state = CommandState::Sent;
        row.qn = Some(qn.qn());
        row.attempts = 1;
        row.sent_ms = Some(now_ms());
        let row = shared
            .control
            .store("recording a command", move |st| {
                st.insert_device_command(&row)
            })
            .await?;
        Some(self.send(row, frame))
    }

    fn send(&mut self, mut row: CommandRow, frame: Vec<u8>) -> Vec<u8> {
        if row.period.is_none()
            && let Some(p) = period_of_request(row.cn)
        {
            row.period = Some(p.as_str().to_owned());
        }
        let now = Instant::now();
        self.in_flight = Some(InFlight {
            row,
            frame: frame.clone(),
            sent_at: now,
            last_activity: now,
            seen: BTreeSet::new(),
            // Written once sent (an operator's command: its QN and parameters as sent).
            dirty: true,
        });
        frame
    }

    /// A command to a device that encrypts (HJ 212-2025) is sealed with its key.
    fn seal(&self, frame: Vec<u8>) -> Vec<u8> {
        frame
    }

    /// The connection closed: the command in flight is recorded as unanswered.
    pub async fn closed(&mut self, shared: &Arc<Shared>) {
        let Some(mut f) = self.in_flight.take() else {
            return;
        };
        f.row.state = if f
            .row
            .records_expected
            .is_some_and(|e| f.row.records_received >= e)
        {
            CommandState::Done
        } else {
            CommandState::Timeout
        };
        f.row.note = format!(
            "连接在应答前关闭（收到 {} 条）/ the connection closed before the answer ({} record(s) received)",
            f.row.records_received, f.row.records_received
        );
        let row = f.row;
        shared
            .control
            .store("recording a command's end", move |st| {
                st.update_device_command(&row, now_ms())
            })
            .await;
    }
}
