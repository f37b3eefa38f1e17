//! HJ 212-2025 in the gateway (docs/hj212-2025.md): SM4 decryption before decoding (keys
//! per device from the store, the wire form per key), the 1014 key rotation, 9015
//! heartbeats, the 1001/1002 MN assignment, RF=1 and "not computable" counters.
//!
//! The parsing profile is chosen per packet from the Flag's version bits, so 2005, 2017 and
//! 2025 loggers share one port. Only 2025 packets whose CN must be encrypted (2000–2999,
//! 1014, 3020) are decrypted, and only for a device that has keys; the archive keeps the
//! decrypted frame (its CRC, computed by the device over the plaintext, verifies it) with
//! the verdict `accepted (SM4)`; a packet that no key of the device opens is refused with
//! the reason, archived as received and counted.

use crate::Shared;
use crate::conn::now_cst;
use crate::mapping;
use lantian_hj212::encode::{self, Target};
use lantian_hj212::sm4::{self, Key, Wire};
use lantian_hj212::{Command, Edition, Flag, Limits, Packet, frame};
use lantian_store::device_keys::{DeviceKey, KeyState, LoggerSerial};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The gateway's HJ 212-2025 settings.
#[derive(Clone, Debug)]
pub struct Profile {
    /// How long the previous key is still accepted after a rotation is confirmed.
    pub key_grace: Duration,
    /// The wire form of keys set without one (docs/findings.md: binary by default).
    pub default_wire: Wire,
    /// Refuse a clear data area from a device that has a key (the standard requires
    /// encryption on internet links; private networks "should"). Off by default: such a
    /// packet is accepted and counted (`sm4_clear`).
    pub require_encryption: bool,
    /// A pending key is sent again with 1014 when no answer came within this time.
    pub key_resend_after: Duration,
    /// How long the gateway trusts the keys it read for a device.
    pub key_cache: Duration,
    /// Logger serials awaiting an MN recorded at most (1001 is accepted before a login).
    pub serials_max: usize,
    /// How "not computable" values are told.
    pub mapping: mapping::Options,
}

impl Default for Profile {
    fn default() -> Profile {
        Profile {
            key_grace: Duration::from_secs(24 * 3600),
            default_wire: Wire::Binary,
            require_encryption: false,
            key_resend_after: Duration::from_secs(60),
            key_cache: Duration::from_secs(5),
            serials_max: 10_000,
            mapping: mapping::Options::default(),
        }
    }
}

/// Per-device counters of the 2025 profile, rendered with the gateway's metrics.
#[derive(Debug, Default)]
pub struct Counters {
    by: Mutex<BTreeMap<(&'static str, String), u64>>,
}

/// The counters and their help texts.
const COUNTERS: [(&str, &str); 7] = [
    ("resends", "RF=1 resends accepted per device (stored once)."),
    ("heartbeats", "9015 heartbeats per device."),
    (
        "not_computable",
        "Values sent as not computable (HJ 212-2025 sentinel) per device, never stored.",
    ),
    (
        "sm4_decrypted",
        "SM4-encrypted packets decrypted per device.",
    ),
    (
        "sm4_refused",
        "SM4 packets refused per device (no key opens them, or a retired key).",
    ),
    (
        "sm4_clear",
        "Clear 2025 data packets from a device that has a key.",
    ),
    (
        "key_rotations",
        "Keys activated by the logger's answer per device.",
    ),
];

impl Counters {
    pub fn add(&self, kind: &'static str, mn: &str, n: u64) {
        let mut m = self
            .by
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *m.entry((kind, mn.to_owned())).or_default() += n;
    }

    pub fn get(&self, kind: &str, mn: &str) -> u64 {
        let m = self
            .by
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        m.iter()
            .find(|((k, d), _)| *k == kind && d == mn)
            .map_or(0, |(_, n)| *n)
    }

    /// `lantian_gateway_<kind>_total{mn="…"}` for every counter.
    pub fn render(&self) -> String {
        let m = self
            .by
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out = String::new();
        for (kind, help) in COUNTERS {
            out.push_str(&format!(
                "# HELP lantian_gateway_{kind}_total {help}\n# TYPE lantian_gateway_{kind}_total counter\n"
            ));
            for ((k, mn), n) in m.iter().filter(|((k, _), _)| *k == kind) {
                let mn = mn.replace(['"', '\\', '\n'], "_");
                out.push_str(&format!("lantian_gateway_{k}_total{{mn=\"{mn}\"}} {n}\n"));
            }
        }
        out
    }
}

/// What the 2025 profile keeps per connection.
#[derive(Debug, Default)]
pub struct SessionState {
    /// The logged-in device's current key (to seal commands), read at login.
    key: Option<(Key, Wire)>,
    /// The MN the login checks were made for (confirmation of an assigned MN, keys).
    checked_mn: Option<String>,
    /// The pending key last sent with 1014 on this connection, and when.
    key_sent: Option<(i64, Instant)>,
}

impl SessionState {
    /// The key commands to this device are sealed with (None: the device does not encrypt).
    pub fn current_key(&self) -> Option<&Key> {
        self.key.as_ref().map(|k| &k.0)
    }

    /// Seals `frame` for this device ([`seal_wire`] with its key and wire form).
    pub fn seal(&self, frame: Vec<u8>) -> Vec<u8> {
        match &self.key {
            Some((k, w)) => seal_wire(frame, Some(k), *w),
            None => frame,
        }
    }
}

/// The clear header of a frame: MN, CN and Flag, read before anything is decrypted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClearHeader {
    pub mn: String,
    pub cn: Command,
    pub flag: Option<Flag>,
}

/// Reads the header fields before the area's `CP=&&` (clear text in every edition), as the
/// decoder reads them: the area opens at the first field that starts with `CP=&&`, and a
/// field given twice makes no header (the decoder refuses such a packet).
pub fn clear_header(frame: &[u8]) -> Option<ClearHeader> {
    let body = frame.get(6..)?;
    let end = lantian_hj212::packet::cp_at(body)?;
    let head = std::str::from_utf8(&body[..end]).ok()?;
    let (mut mn, mut cn, mut flag) = (None, None, None);
    for part in head.split(';') {
        let slot_was_set = match part.split_once('=') {
            Some(("MN", v)) => mn.replace(v.to_owned()).is_some(),
            Some(("CN", v)) => cn.replace(v.parse().ok().map(Command)).is_some(),
            Some(("Flag", v)) => flag.replace(v.parse().ok().map(Flag)).is_some(),
            _ => false,
        };
        if slot_was_set {
            return None;
        }
    }
    let (cn, flag) = (cn.flatten(), flag.flatten());
    Some(ClearHeader {
        mn: mn?,
        cn: cn?,
        flag,
    })
}

fn is_2025(flag: Option<Flag>) -> bool {
    flag.map(Flag::edition) == Some(Edition::Hj212_2025)
}

/// Seals a frame for a 2025 device: encrypted with `key` (binary wire form) when its CN
/// must be (2000–2999, 1014, 3020) and its Flag says 2025; otherwise unchanged.
pub fn seal(frame: Vec<u8>, key: Option<&Key>) -> Vec<u8> {
    seal_wire(frame, key, Wire::Binary)
}

/// [`seal`] with the device's wire form.
pub fn seal_wire(frame: Vec<u8>, key: Option<&Key>, wire: Wire) -> Vec<u8> {
    let Some(key) = key else { return frame };
    match clear_header(&frame) {
        Some(h) if is_2025(h.flag) && sm4::must_encrypt(h.cn) => {
            sm4::encrypt_frame(&frame, key, wire)
        }
        _ => frame,
    }
}

/// What [`open`] made of a frame.
#[derive(Debug)]
pub enum Opened {
    /// Not an encrypted 2025 packet (or a device without keys): decode as received.
    Clear(Vec<u8>),
    /// Decrypted with key `version`: the plaintext frame.
    Decrypted {
        frame: Vec<u8>,
        version: i64,
        /// Decrypted with the previous key during its grace period.
        grace: bool,
        /// Decrypted with the pending key: the rotation is confirmed once the packet has
        /// decoded and its device logged in ([`activate`]), not by a CRC alone.
        pending: Option<DeviceKey>,
    },
    /// Refused: the frame as received, the device's MN and the reason.
    Refused {
        frame: Vec<u8>,
        mn: String,
        reason: String,
    },
}

fn wire_of(k: &DeviceKey, default: Wire) -> Wire {
    Wire::parse(&k.wire).unwrap_or(default)
}

fn key_of(k: &DeviceKey) -> Option<Key> {
    Key::from_hex(&k.key_hex).ok()
}

/// Beijing time of an epoch-ms instant, for reasons people read.
fn beijing(ms: i64) -> String {
    let t = mapping::timestamp(ms.div_euclid(1000) + lantian_core::cst::OFFSET_S);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} 北京时间",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// Decrypts an SM4-encrypted HJ 212-2025 frame with the device's keys (before decoding).
/// Whether a frame must be encrypted depends on its device having keys and on its CN, never
/// on the Flag it carries (a device that sends an older edition's Flag is still refused
/// clear data under `require_encryption`).
pub(crate) async fn open(shared: &Shared, frame: Vec<u8>, now_ms: i64) -> Opened {
    let Some(h) = clear_header(&frame) else {
        return Opened::Clear(frame);
    };
    if !sm4::must_encrypt(h.cn) {
        return Opened::Clear(frame);
    }
    let profile = &shared.config.profile2025;
    let cannot_read = |frame, e: String| Opened::Refused {
        reason: format!("refused: sm4: cannot read the keys of device {}: {e}", h.mn),
        mn: h.mn.clone(),
        frame,
    };
    match shared.registry.has_keys(&h.mn, profile.key_cache).await {
        Ok(true) => {}
        Ok(false) => return Opened::Clear(frame),
        Err(e) => return cannot_read(frame, e),
    }
    let keys = match shared.registry.keys(&h.mn, profile.key_cache).await {
        Ok(k) if !k.is_empty() => k,
        Ok(_) => return Opened::Clear(frame),
        Err(e) => return cannot_read(frame, e),
    };
    let counters = &shared.metrics.profile2025;
    let limits: Limits = shared.config.limits;
    // A clear frame verifies as it is (a ciphertext never passes the CRC).
    if frame::open(&frame, &limits).is_ok() && std::str::from_utf8(&frame).is_ok() {
        if profile.require_encryption {
            counters.add("sm4_refused", &h.mn, 1);
            return Opened::Refused {
                frame,
                reason: format!(
                    "refused: sm4: clear data area from device {} which has a key (CN {} must \
                     be encrypted)",
                    h.mn, h.cn.0
                ),
                mn: h.mn,
            };
        }
        counters.add("sm4_clear", &h.mn, 1);
        return Opened::Clear(frame);
    }
    let hex_form = sm4::looks_hex_text(&frame);
    for k in keys.iter() {
        let Some(key) = key_of(k) else { continue };
        let wire = if hex_form {
            Wire::HexText
        } else {
            wire_of(k, profile.default_wire)
        };
        let Ok(plain) = sm4::decrypt_frame(&frame, &key, wire) else {
            continue;
        };
        if frame::open(&plain, &limits).is_err() {
            continue;
        }
        let expired = match k.state {
            KeyState::Retired => true,
            KeyState::Retiring => k.retire_after_ms.is_some_and(|t| t <= now_ms),
            _ => false,
        };
        if expired {
            counters.add("sm4_refused", &h.mn, 1);
            let when = k
                .retire_after_ms
                .or(k.retired_ms)
                .map_or_else(String::new, |t| {
                    format!(" (grace period ended {})", beijing(t))
                });
            return Opened::Refused {
                frame,
                reason: format!(
                    "refused: sm4: encrypted with key version {} of device {}, retired{when}",
                    k.version, h.mn
                ),
                mn: h.mn,
            };
        }
        counters.add("sm4_decrypted", &h.mn, 1);
        return Opened::Decrypted {
            frame: plain,
            version: k.version,
            grace: k.state == KeyState::Retiring,
            pending: (k.state == KeyState::Pending).then(|| k.clone()),
        };
    }
    counters.add("sm4_refused", &h.mn, 1);
    Opened::Refused {
        frame,
        reason: format!(
            "refused: sm4: crc mismatch after decryption with each of the {} keys of device {} \
             (wrong key or wire form?)",
            keys.len(),
            h.mn
        ),
        mn: h.mn,
    }
}

/// The verdict of a decrypted packet: `accepted (SM4)`, `accepted: … (SM4 key v2, old
/// key in its grace period)`.
pub fn annotate_sm4(verdict: String, version: i64, grace: bool) -> String {
    if !verdict.starts_with("accepted") {
        return verdict;
    }
    let mark = if grace {
        format!(" (SM4, previous key v{version} in its grace period)")
    } else {
        " (SM4)".to_owned()
    };
    // After the status, before any note (`; not computable …`).
    let (head, rest) = verdict.split_at(verdict.find("; ").unwrap_or(verdict.len()));
    format!("{head}{mark}{rest}")
}

/// The logger uses pending key `k` (a packet under it decoded and its device logged in, or
/// it answered the 1014): the rotation is confirmed.
pub(crate) async fn activate(shared: &Shared, k: &DeviceKey, now_ms: i64) {
    let grace = shared.config.profile2025.key_grace.as_millis() as i64;
    let (store, id) = (shared.registry.store().clone(), k.id);
    let done =
        tokio::task::spawn_blocking(move || store.activate_device_key(id, now_ms, grace)).await;
    match done {
        Ok(Ok(true)) => {
            shared.metrics.profile2025.add("key_rotations", &k.mn, 1);
            tracing::info!("device {}: key version {} active", k.mn, k.version);
        }
        Ok(Ok(false)) => {}
        Ok(Err(e)) => tracing::warn!("device {}: key {} not activated: {e}", k.mn, k.version),
        Err(e) => tracing::warn!("device {}: key activation task failed: {e}", k.mn),
    }
    shared.registry.forget_keys(&k.mn);
}

/// A 9011/9012 from the logged-in device: a positive answer to our 1014 (same QN)
/// activates the pending key.
pub(crate) async fn on_reply(shared: &Shared, p: &Packet<'_>, device_mn: &str, now_ms: i64) {
    let positive = match p.cn.0 {
        9011 => p.cp_value("QnRtn") == Some("1"),
        9012 => p.cp_value("ExeRtn") == Some("1"),
        _ => false,
    };
    let (Some(qn), true) = (p.qn, positive) else {
        return;
    };
    if p.mn != Some(device_mn) {
        return;
    }
    let Ok(keys) = shared.registry.keys(device_mn, Duration::ZERO).await else {
        return;
    };
    if let Some(k) = keys
        .iter()
        .find(|k| k.state == KeyState::Pending && k.sent_qn.as_deref() == Some(qn))
    {
        activate(shared, k, now_ms).await;
    }
}

/// 1001 (before any login): records the logger's hardware serial; sends 1002 with the MN
/// the bureau assigned, if any. Returns the archive verdict.
pub(crate) async fn on_serial(
    shared: &Shared,
    p: &Packet<'_>,
    peer: &str,
    replies: &mut Vec<Vec<u8>>,
    acks: &mut bool,
    now_ms: i64,
) -> String {
    let Some(serial) = p
        .cp_value(encode::LOGGER_ID_FIELD)
        .filter(|s| !s.is_empty() && s.len() <= 64)
    else {
        return format!(
            "refused: 1001 without a logger serial ({} of 1-64 characters)",
            encode::LOGGER_ID_FIELD
        );
    };
    let store = shared.registry.store().clone();
    let profile = &shared.config.profile2025;
    let mac = [p.cp_value("i23007-Info"), p.cp_value("i23008-Info")]
        .into_iter()
        .flatten()
        .filter(|m| !m.is_empty())
        .collect::<Vec<_>>()
        .join(",");
    let row = LoggerSerial {
        serial: serial.to_owned(),
        cpu_id: p
            .cp_value("i23006-Info")
            .unwrap_or("")
            .chars()
            .take(64)
            .collect(),
        mac: mac.chars().take(64).collect(),
        claimed_mn: p.mn.unwrap_or("").chars().take(64).collect(),
        peer: peer.to_owned(),
        first_ms: now_ms,
        last_ms: now_ms,
        uploads: 1,
        assigned_mn: None,
        assigned_by: None,
        assigned_ms: None,
        mn_sent_ms: None,
        confirmed_ms: None,
    };
    let max = profile.serials_max;
    let recorded = tokio::task::spawn_blocking(move || {
        let forgotten = if store.logger_serial(&row.serial)?.is_none() {
            store.make_room_for_logger_serial(max)?
        } else {
            0
        };
        store
            .record_logger_serial(&row, now_ms)
            .map(|s| (s, forgotten))
    })
    .await;
    let s = match recorded {
        Ok(Ok((s, forgotten))) => {
            if forgotten > 0 {
                tracing::warn!(
                    "1001: {max} logger serials awaited an MN: the {forgotten} heard from longest ago forgotten for serial {serial}"
                );
            }
            s
        }
        Ok(Err(e)) => return format!("store unavailable: 1001 not recorded: {e}"),
        Err(e) => return format!("store unavailable: 1001 not recorded: {e}"),
    };
    if p.needs_ack() {
        replies.push(encode::data_answer(p, Edition::Hj212_2025));
        *acks = true;
    }
    match s.assigned_mn.as_deref() {
        Some(mn) if Some(mn) != p.mn => {
            let t = Target {
                st: p.st,
                pw: p.pw.unwrap_or(""),
                mn: p.mn.unwrap_or(""),
                edition: Edition::Hj212_2025,
            };
            replies.push(encode::set_mn(&t, now_cst(), mn, serial));
            let (store, serial_owned) = (shared.registry.store().clone(), serial.to_owned());
            let _ = tokio::task::spawn_blocking(move || {
                store.mark_logger_mn_sent(&serial_owned, now_ms)
            })
            .await;
            format!("accepted: logger serial {serial}: MN {mn} assigned (1002 sent)")
        }
        Some(mn) => format!("accepted: logger serial {serial} uses its assigned MN {mn}"),
        None => format!("accepted: logger serial {serial} awaiting an MN"),
    }
}

/// After a login of a 2025 device: its key for sealing, the confirmation of an assigned
/// MN, 1014 for a pending key, and 9015 heartbeats. Returns a verdict when the packet is
/// fully handled here (a heartbeat).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn after_login(
    st: &mut SessionState,
    shared: &Shared,
    p: &Packet<'_>,
    mn: &str,
    replies: &mut Vec<Vec<u8>>,
    acks: &mut bool,
    now_ms: i64,
) -> Option<String> {
    let counters = &shared.metrics.profile2025;
    let profile = &shared.config.profile2025;
    if p.cn == Command::HEARTBEAT_2025 {
        counters.add("heartbeats", mn, 1);
        if p.needs_ack() {
            replies.push(encode::heartbeat_answer(p));
            *acks = true;
        }
        return Some("accepted: heartbeat".to_owned());
    }
    if !is_2025(p.flag) {
        return None;
    }
    if st.checked_mn.as_deref() != Some(mn) {
        st.checked_mn = Some(mn.to_owned());
        st.key_sent = None;
        let (store, m) = (shared.registry.store().clone(), mn.to_owned());
        let _ = tokio::task::spawn_blocking(move || store.confirm_logger_mn(&m, now_ms)).await;
    }
    let keys = shared.registry.keys(mn, profile.key_cache).await.ok()?;
    let active = keys.iter().find(|k| k.state == KeyState::Active);
    st.key = active.and_then(|k| Some((key_of(k)?, wire_of(k, profile.default_wire))));
    let pending = keys.iter().find(|k| k.state == KeyState::Pending)?;
    let due = match st.key_sent {
        Some((id, at)) => id != pending.id || at.elapsed() >= profile.key_resend_after,
        None => true,
    };
    if !due || st.key.is_none() {
        return None;
    }
    let qn = now_cst();
    let created =
        mapping::timestamp(pending.created_ms.div_euclid(1000) + lantian_core::cst::OFFSET_S);
    let t = Target {
        st: p.st,
        pw: p.pw.unwrap_or(""),
        mn,
        edition: Edition::Hj212_2025,
    };
    let frame = encode::new_session_key(&t, qn, created, &pending.key_hex.to_ascii_uppercase());
    replies.push(st.seal(frame));
    st.key_sent = Some((pending.id, Instant::now()));
    let (store, id, q) = (shared.registry.store().clone(), pending.id, qn.qn());
    let _ = tokio::task::spawn_blocking(move || store.mark_device_key_sent(id, &q, now_ms)).await;
    shared.registry.forget_keys(mn);
    None
}

/// Counts RF=1 resends and "not computable" values of a data packet and names the latter
/// in the verdict.
pub(crate) fn after_data(shared: &Shared, p: &Packet<'_>, mn: &str, verdict: String) -> String {
    if !verdict.starts_with("accepted") {
        return verdict;
    }
    let counters = &shared.metrics.profile2025;
    if p.resend {
        counters.add("resends", mn, 1);
    }
    let nc = mapping::not_computable(p, &shared.config.profile2025.mapping);
    if nc.is_empty() {
        return verdict;
    }
    counters.add("not_computable", mn, nc.len() as u64);
    format!(
        "{verdict}; not computable (不可计算，未入库): {}",
        nc.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clear_header_is_read_before_decryption_and_seal_only_touches_2025_data() {
        let key = Key::from_bytes([0x30; 16]);
        let plain = b"##0234QN=20240520210700000;ST=31;CN=2051;PW=123456;MN=010000A8900016F000169DC0;Flag=9;CP=&&DataTime=20240520210600;a01011-Min=1.35,a01011-Avg=1.35,a01011-Max=1.35,a01011-Flag=N;a01014-Min=3.20,a01014-Avg=3.20,a01014-Max=3.20,a01014-Flag=N&&B541\r\n".to_vec();
        let sealed = seal(plain.clone(), Some(&key));
        assert_ne!(sealed, plain);
        let h = clear_header(&sealed).unwrap();
        assert_eq!(
            (h.mn.as_str(), h.cn, h.flag),
            ("010000A8900016F000169DC0", Command(2051), Some(Flag(9)))
        );
        assert_eq!(seal(plain.clone(), None), plain);
        let v2017 = String::from_utf8(plain.clone())
            .unwrap()
            .replace("Flag=9", "Flag=5");
        assert_eq!(
            seal(v2017.clone().into_bytes(), Some(&key)),
            v2017.as_bytes()
        );
        let cn1011 = b"##0087QN=20240601085857223;ST=32;CN=1011;PW=123456;MN=010000A8900016F000169DC0;Flag=9;CP=&&&&2200\r\n";
        assert_eq!(seal(cn1011.to_vec(), Some(&key)), cn1011);
        assert_eq!(clear_header(b"##0010garbage\r\n"), None);
    }

    #[test]
    fn counters_render_per_device() {
        let c = Counters::default();
        c.add("resends", "MN1", 2);
        c.add("heartbeats", "MN\"2", 1);
        assert_eq!(c.get("resends", "MN1"), 2);
        let text = c.render();
        assert!(
            text.contains("lantian_gateway_resends_total{mn=\"MN1\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("lantian_gateway_heartbeats_total{mn=\"MN_2\"} 1"),
            "{text}"
        );
    }
}
