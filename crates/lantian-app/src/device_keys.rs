//! HJ 212-2025 device keys and MN assignment (issue 22, docs/hj212-2025.md): the bureau
//! sets a device's SM4 key (random by default; fixed or patterned keys refused), rotates it
//! (the gateway sends the pending key with 1014 and activates it on the logger's answer),
//! sees each key's version and rotation due date (90 days after activation, Beijing time,
//! overdue flagged), and assigns an MN to a logger that announced its hardware serial (1001;
//! the gateway answers its next 1001 with 1002).
//!
//! Who may: the administrator and the bureau (`policy::MANAGE`). A key is shown once, in
//! the answer of the call that creates it; lists never show it. Every change is audited
//! (`device.key.set`, `device.key.rotate`, `device.mn.assign`; never with the key).

use crate::App;
use crate::caller::{Caller, policy};
use crate::error::{AppError, AppResult};
use lantian_core::cst;
use lantian_hj212::sm4::{Key, Wire};
use lantian_store::device_keys::{self as store_keys, DeviceKey, KeyState, LoggerSerial};
use serde::Serialize;

/// A key is due for rotation this long after its activation (HJ 212-2025 §6.4.3).
pub const ROTATION_DAYS: i64 = 90;

/// One key, for people: no secret, times in Beijing time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyView {
    #[serde(flatten)]
    pub key: DeviceKey,
    pub state_zh: &'static str,
    /// `YYYY-MM-DD HH:MM`, Beijing time.
    pub created: String,
    pub activated: Option<String>,
    /// Rotation due (active keys): activation + 90 days.
    pub rotation_due: Option<String>,
    pub overdue: bool,
    /// The end of a retiring key's grace period.
    pub retire_after: Option<String>,
    pub sent: Option<String>,
}

/// A key just created: its view and, this once, the key itself.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Created {
    pub key: KeyView,
    /// 32 hex digits, shown once (configure it on the logger for `set`).
    pub secret_hex: String,
}

/// Without the secret (a Debug print may reach a log).
impl std::fmt::Debug for Created {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Created")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// A logger serial, for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SerialView {
    #[serde(flatten)]
    pub serial: LoggerSerial,
    /// `awaiting` (no MN), `assigned` (1002 not sent yet), `sent`, `confirmed`.
    pub state: &'static str,
    pub state_zh: &'static str,
    pub first: String,
    pub last: String,
    pub assigned: Option<String>,
    pub mn_sent: Option<String>,
    pub confirmed: Option<String>,
}

fn state_zh(s: KeyState) -> &'static str {
    match s {
        KeyState::Pending => "待下发",
        KeyState::Active => "在用",
        KeyState::Retiring => "宽限期",
        KeyState::Retired => "已停用",
    }
}

fn view(key: DeviceKey, now_ms: i64) -> KeyView {
    let due_ms = (key.state == KeyState::Active)
        .then_some(key.activated_ms)
        .flatten()
        .map(|a| a + ROTATION_DAYS * cst::DAY_S * 1000);
    KeyView {
        state_zh: state_zh(key.state),
        created: cst::format_unix_ms(key.created_ms),
        activated: key.activated_ms.map(cst::format_unix_ms),
        rotation_due: due_ms.map(cst::format_unix_ms),
        overdue: due_ms.is_some_and(|d| d <= now_ms),
        retire_after: (key.state == KeyState::Retiring)
            .then_some(key.retire_after_ms)
            .flatten()
            .map(cst::format_unix_ms),
        sent: key.sent_ms.map(cst::format_unix_ms),
        key,
    }
}

fn serial_view(s: LoggerSerial) -> SerialView {
    let (state, state_zh) = match (&s.assigned_mn, s.mn_sent_ms, s.confirmed_ms) {
        (None, _, _) => ("awaiting", "待赋码"),
        (Some(_), None, _) => ("assigned", "已赋码待下发"),
        (Some(_), Some(_), None) => ("sent", "已下发待确认"),
        (Some(_), Some(_), Some(_)) => ("confirmed", "已确认"),
    };
    SerialView {
        state,
        state_zh,
        first: cst::format_unix_ms(s.first_ms),
        last: cst::format_unix_ms(s.last_ms),
        assigned: s.assigned_ms.map(cst::format_unix_ms),
        mn_sent: s.mn_sent_ms.map(cst::format_unix_ms),
        confirmed: s.confirmed_ms.map(cst::format_unix_ms),
        serial: s,
    }
}

fn manage(app: &App, caller: &Caller, act: &str, object: &str) -> AppResult<()> {
    app.allow(
        caller,
        act,
        object,
        caller.require_role(policy::MANAGE).map(drop),
    )
}

fn device_exists(app: &App, mn: &str) -> AppResult<()> {
    app.store
        .device(mn)?
        .map(drop)
        .ok_or_else(|| AppError::NotFound(format!("设备 {mn} 未登记 / no device {mn}")))
}

/// A key from the caller (checked: 32 hex digits, not weak) or a random one.
fn new_key(given: Option<&str>) -> AppResult<String> {
    let hex = match given.map(str::trim).filter(|s| !s.is_empty()) {
        Some(h) => h.to_owned(),
        None => store_keys::random_key_hex(),
    };
    let key = Key::from_hex(&hex)
        .map_err(|e| AppError::BadRequest(format!("密钥须为 32 位十六进制（16 字节） / {e}")))?;
    key.check_strength().map_err(|e| {
        AppError::BadRequest(format!(
            "密钥过于简单（全同字节、等差序列或重复片段），已拒绝 / {e}"
        ))
    })?;
    Ok(key.to_hex())
}

fn wire(w: Option<&str>) -> AppResult<&'static str> {
    match w.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(Wire::default().name()),
        Some(s) => Wire::parse(s).map(Wire::name).ok_or_else(|| {
            AppError::BadRequest(format!(
                "密文形式 {s:?} 无效，应为 binary 或 hex / wire form {s:?}: binary or hex expected"
            ))
        }),
    }
}

/// Keys of device `mn` (or of every device), newest first; retired ones with
/// `with_retired`.
pub fn list(
    app: &App,
    caller: &Caller,
    mn: Option<&str>,
    with_retired: bool,
) -> AppResult<Vec<KeyView>> {
    manage(app, caller, "device.key.list", mn.unwrap_or("*"))?;
    let now = app.clock.now_ms();
    Ok(app
        .store
        .device_keys(mn, with_retired)?
        .into_iter()
        .map(|k| view(k, now))
        .collect())
}

/// Sets device `mn`'s key (given, or random), active at once; every other key retired.
pub fn set(
    app: &App,
    caller: &Caller,
    mn: &str,
    key_hex: Option<&str>,
    wire_form: Option<&str>,
) -> AppResult<Created> {
    manage(app, caller, "device.key.set", mn)?;
    device_exists(app, mn)?;
    let hex = new_key(key_hex)?;
    let wire = wire(wire_form)?;
    let now = app.clock.now_ms();
    let generated = if key_hex.is_some_and(|k| !k.trim().is_empty()) {
        "given"
    } else {
        "random"
    };
    let row = app.audited(
        caller,
        "device.key.set",
        mn,
        &format!("{generated} key, wire {wire}"),
        || {
            Ok(app
                .store
                .set_device_key(mn, &hex, wire, now, caller.name())?)
        },
    )?;
    Ok(Created {
        key: view(row, now),
        secret_hex: hex,
    })
}

/// Rotates device `mn`'s key: a pending key (given, or random) that the gateway sends
/// with 1014 on the device's next packet and activates on its answer.
pub fn rotate(app: &App, caller: &Caller, mn: &str, key_hex: Option<&str>) -> AppResult<Created> {
    manage(app, caller, "device.key.rotate", mn)?;
    device_exists(app, mn)?;
    let hex = new_key(key_hex)?;
    let now = app.clock.now_ms();
    let row = app.audited(caller, "device.key.rotate", mn, "pending key", || {
        Ok(app
            .store
            .add_pending_device_key(mn, &hex, now, caller.name())?)
    })?;
    Ok(Created {
        key: view(row, now),
        secret_hex: hex,
    })
}

/// Logger serials (1001), newest upload first.
pub fn serials(app: &App, caller: &Caller) -> AppResult<Vec<SerialView>> {
    manage(app, caller, "device.serial.list", "*")?;
    Ok(app
        .store
        .logger_serials()?
        .into_iter()
        .map(serial_view)
        .collect())
}

/// Assigns registered device `mn` to logger `serial` (the gateway sends 1002 on its next
/// 1001).
pub fn assign_mn(app: &App, caller: &Caller, serial: &str, mn: &str) -> AppResult<SerialView> {
    manage(app, caller, "device.mn.assign", serial)?;
    device_exists(app, mn)?;
    let now = app.clock.now_ms();
    let row = app.audited(
        caller,
        "device.mn.assign",
        serial,
        &format!("MN {mn}"),
        || Ok(app.store.assign_logger_mn(serial, mn, now, caller.name())?),
    )?;
    Ok(serial_view(row))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_by_default_and_weak_ones_are_refused() {
        let a = new_key(None).unwrap();
        let b = new_key(None).unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(new_key(Some("30303030303030303030303030303030")).is_err());
        assert!(new_key(Some("000102030405060708090a0b0c0d0e0f")).is_err());
        assert!(new_key(Some("abc")).is_err());
        assert_eq!(
            new_key(Some(" 8a1f03c2d94e7b665a0e11f3c8297d04 ")).unwrap(),
            "8A1F03C2D94E7B665A0E11F3C8297D04"
        );
        assert_eq!(wire(None).unwrap(), "binary");
        assert_eq!(wire(Some("HEX")).unwrap(), "hex");
        assert!(wire(Some("base64")).is_err());
    }

    #[test]
    fn the_rotation_due_date_is_90_days_after_activation_and_flagged_when_past() {
        let k = DeviceKey {
            id: 1,
            mn: "M".into(),
            version: 1,
            key_hex: "SECRET".into(),
            wire: "binary".into(),
            state: KeyState::Active,
            created_ms: 0,
            created_by: "b".into(),
            activated_ms: Some(0),
            retire_after_ms: None,
            retired_ms: None,
            sent_ms: None,
            sent_qn: None,
        };
        let due = 90 * 86_400_000;
        let v = view(k.clone(), due - 1);
        assert_eq!(v.rotation_due.as_deref(), Some("1970-04-01 08:00"));
        assert!(!v.overdue);
        assert!(view(k.clone(), due).overdue);
        let pending = view(
            DeviceKey {
                state: KeyState::Pending,
                ..k
            },
            due * 2,
        );
        assert!(pending.rotation_due.is_none() && !pending.overdue);
        assert!(!serde_json::to_string(&pending).unwrap().contains("SECRET"));
    }
}
