//! HJ 212-2025 device keys (SM4, per device) and logger serials awaiting an MN (issue 22).
//!
//! A key's life: `pending` (a rotation created it; the gateway sends it with 1014) →
//! `active` (the logger confirmed it; the previous active key becomes `retiring`) →
//! `retiring` (accepted until `retire_after_ms`) → `retired`. Setting a key (the bureau
//! configured it on the logger by hand) makes it active at once and retires the others.
//! Every change is a compare-and-set: two gateways or two people cannot both win. The UI and
//! the gateway may be different processes: they share these tables only.

use crate::Store;
use crate::db::{Conn, Row, Val, text};
use crate::error::{StoreError, invalid as bad};
use serde::Serialize;

/// A random 16-byte key as 32 uppercase hex digits (the operating system's generator).
pub fn random_key_hex() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// A key's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    Pending,
    Active,
    Retiring,
    Retired,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Pending => "pending",
            KeyState::Active => "active",
            KeyState::Retiring => "retiring",
            KeyState::Retired => "retired",
        }
    }

    pub fn parse(s: &str) -> Option<KeyState> {
        [
            KeyState::Pending,
            KeyState::Active,
            KeyState::Retiring,
            KeyState::Retired,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One key of a device. `key_hex` is the secret: never serialised (lists and the API never
/// show it; the use case that creates a key returns it once, separately).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct DeviceKey {
    pub id: i64,
    pub mn: String,
    pub version: i64,
    #[serde(skip)]
    pub key_hex: String,
    /// `binary` or `hex`.
    pub wire: String,
    pub state: KeyState,
    pub created_ms: i64,
    pub created_by: String,
    pub activated_ms: Option<i64>,
    pub retire_after_ms: Option<i64>,
    pub retired_ms: Option<i64>,
    /// When the gateway last sent this (pending) key with 1014, and with which QN.
    pub sent_ms: Option<i64>,
    pub sent_qn: Option<String>,
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceKey")
            .field("id", &self.id)
            .field("mn", &self.mn)
            .field("version", &self.version)
            .field("state", &self.state)
            .field("wire", &self.wire)
            .finish_non_exhaustive()
    }
}

/// A logger that uploaded its hardware serial (1001).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LoggerSerial {
    pub serial: String,
    pub cpu_id: String,
    pub mac: String,
    /// The MN it used when it sent 1001 (often a placeholder).
    pub claimed_mn: String,
    pub peer: String,
    pub first_ms: i64,
    pub last_ms: i64,
    pub uploads: i64,
    pub assigned_mn: Option<String>,
    pub assigned_by: Option<String>,
    pub assigned_ms: Option<i64>,
    pub mn_sent_ms: Option<i64>,
    pub confirmed_ms: Option<i64>,
}

const KEY_COLUMNS: &str = "id, mn, version, key_hex, wire, state, created_ms, created_by, \
     activated_ms, retire_after_ms, retired_ms, sent_ms, sent_qn";

const SERIAL_COLUMNS: &str = "serial, cpu_id, mac, claimed_mn, peer, first_ms, last_ms, uploads, \
     assigned_mn, assigned_by, assigned_ms, mn_sent_ms, confirmed_ms";

fn key_row(r: &Row) -> Result<DeviceKey, StoreError> {
    let id = r[0].int().unwrap_or(0);
    let state = text(r, 5);
    Ok(DeviceKey {
        id,
        mn: text(r, 1),
        version: r[2].int().unwrap_or(0),
        key_hex: text(r, 3),
        wire: text(r, 4),
        state: KeyState::parse(&state)
            .ok_or_else(|| bad(format!("device key {id}: unknown state {state:?}")))?,
        created_ms: r[6].int().unwrap_or(0),
        created_by: text(r, 7),
        activated_ms: r[8].int(),
        retire_after_ms: r[9].int(),
        retired_ms: r[10].int(),
        sent_ms: r[11].int(),
        sent_qn: r[12].text(),
    })
}

fn serial_row(r: &Row) -> LoggerSerial {
    LoggerSerial {
        serial: text(r, 0),
        cpu_id: text(r, 1),
        mac: text(r, 2),
        claimed_mn: text(r, 3),
        peer: text(r, 4),
        first_ms: r[5].int().unwrap_or(0),
        last_ms: r[6].int().unwrap_or(0),
        uploads: r[7].int().unwrap_or(0),
        assigned_mn: r[8].text(),
        assigned_by: r[9].text(),
        assigned_ms: r[10].int(),
        mn_sent_ms: r[11].int(),
        confirmed_ms: r[12].int(),
    }
}

fn keys_of(c: &mut dyn Conn, mn: &str, states: &str) -> Result<Vec<DeviceKey>, StoreError> {
    let sql = format!(
        "SELECT {KEY_COLUMNS} FROM device_keys WHERE mn = $1 AND state IN ({states}) \
         ORDER BY version DESC"
    );
    c.query(&sql, &[mn.into()])?.iter().map(key_row).collect()
}

fn key_by_id(c: &mut dyn Conn, id: i64) -> Result<DeviceKey, StoreError> {
    let sql = format!("SELECT {KEY_COLUMNS} FROM device_keys WHERE id = $1");
    c.query(&sql, &[id.into()])?
        .first()
        .map(key_row)
        .unwrap_or_else(|| {
            Err(StoreError::NotFound {
                what: format!("设备密钥 / device key {id}"),
            })
        })
}

fn insert_key(
    c: &mut dyn Conn,
    mn: &str,
    key_hex: &str,
    wire: &str,
    state: KeyState,
    now_ms: i64,
    by: &str,
) -> Result<DeviceKey, StoreError> {
    let version = c
        .query(
            "SELECT COALESCE(MAX(version), 0) FROM device_keys WHERE mn = $1",
            &[mn.into()],
        )?
        .first()
        .and_then(|r| r[0].int())
        .unwrap_or(0)
        + 1;
    let activated = (state == KeyState::Active).then_some(now_ms);
    let rows = c.query(
        "INSERT INTO device_keys (mn, version, key_hex, wire, state, created_ms, created_by, \
         activated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        &[
            mn.into(),
            version.into(),
            key_hex.into(),
            wire.into(),
            state.as_str().into(),
            now_ms.into(),
            by.into(),
            activated.into(),
        ],
    )?;
    let id = rows
        .first()
        .and_then(|r| r[0].int())
        .ok_or_else(|| bad("the inserted device key's id was not returned".into()))?;
    key_by_id(c, id)
}

impl Store {
    /// Sets `key_hex` as the device's active key at once (configured on the logger by
    /// hand): every other key of the device is retired. Returns the new key.
    pub fn set_device_key(
        &self,
        mn: &str,
        key_hex: &str,
        wire: &str,
        now_ms: i64,
        by: &str,
    ) -> Result<DeviceKey, StoreError> {
        self.write(|c| {
            c.exec(
                "UPDATE device_keys SET state = 'retired', retired_ms = $2 \
                 WHERE mn = $1 AND state <> 'retired'",
                &[mn.into(), now_ms.into()],
            )?;
            insert_key(c, mn, key_hex, wire, KeyState::Active, now_ms, by)
        })
    }

    /// Creates a pending key (a rotation): refused when the device has no active key or
    /// already has a pending one.
    pub fn add_pending_device_key(
        &self,
        mn: &str,
        key_hex: &str,
        now_ms: i64,
        by: &str,
    ) -> Result<DeviceKey, StoreError> {
        self.write(|c| {
            let keys = keys_of(c, mn, "'active', 'pending'")?;
            let Some(active) = keys.iter().find(|k| k.state == KeyState::Active) else {
                return Err(StoreError::Refused {
                    what: format!(
                        "设备 {mn} 没有在用密钥，请先设置密钥 / device {mn} has no active key to \
                         rotate: set one first"
                    ),
                });
            };
            if let Some(p) = keys.iter().find(|k| k.state == KeyState::Pending) {
                return Err(StoreError::Refused {
                    what: format!(
                        "设备 {mn} 已有待下发的密钥（版本 {}） / device {mn} already has a \
                         pending key (version {}) waiting for the logger's confirmation",
                        p.version, p.version
                    ),
                });
            }
            let wire = active.wire.clone();
            insert_key(c, mn, key_hex, &wire, KeyState::Pending, now_ms, by)
        })
    }

    /// Every key of `mn` (or of every device), newest first, without retired ones unless
    /// `with_retired`.
    pub fn device_keys(
        &self,
        mn: Option<&str>,
        with_retired: bool,
    ) -> Result<Vec<DeviceKey>, StoreError> {
        let mut sql = format!("SELECT {KEY_COLUMNS} FROM device_keys WHERE 1 = 1");
        let mut params: Vec<Val> = Vec::new();
        if let Some(mn) = mn {
            params.push(mn.into());
            sql += " AND mn = $1";
        }
        if !with_retired {
            sql += " AND state <> 'retired'";
        }
        sql += " ORDER BY mn, version DESC";
        self.read(|c| c.query(&sql, &params))?
            .iter()
            .map(key_row)
            .collect()
    }

    /// The keys a gateway may decrypt with for `mn`: pending, active, retiring, and the
    /// most recently retired one (so that a packet under it is refused with its reason).
    pub fn gateway_device_keys(&self, mn: &str) -> Result<Vec<DeviceKey>, StoreError> {
        self.read(|c| {
            let mut keys = keys_of(c, mn, "'pending', 'active', 'retiring'")?;
            keys.extend(keys_of(c, mn, "'retired'")?.into_iter().take(1));
            Ok(keys)
        })
    }

    /// Every MN that has a key, in any state: the gateway reads it every few seconds and
    /// looks up a device's keys only when its MN is in it.
    pub fn keyed_mns(&self) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            Ok(c.query("SELECT DISTINCT mn FROM device_keys", &[])?
                .iter()
                .map(|r| text(r, 0))
                .collect())
        })
    }

    /// Records that the gateway sent pending key `id` with 1014 under `qn`.
    pub fn mark_device_key_sent(&self, id: i64, qn: &str, now_ms: i64) -> Result<(), StoreError> {
        self.write(|c| {
            c.exec(
                "UPDATE device_keys SET sent_ms = $2, sent_qn = $3 WHERE id = $1 \
                 AND state = 'pending'",
                &[id.into(), now_ms.into(), qn.into()],
            )
            .map(drop)
        })
    }

    /// The logger confirmed pending key `id`: it becomes active, the previous active key
    /// retiring until `now_ms + grace_ms`. Compare-and-set: `Ok(false)` when the key was
    /// no longer pending.
    pub fn activate_device_key(
        &self,
        id: i64,
        now_ms: i64,
        grace_ms: i64,
    ) -> Result<bool, StoreError> {
        self.write_unaudited(|c| {
            let key = key_by_id(c, id)?;
            let n = c.exec(
                "UPDATE device_keys SET state = 'active', activated_ms = $2 \
                 WHERE id = $1 AND state = 'pending'",
                &[id.into(), now_ms.into()],
            )?;
            if n == 0 {
                return Ok(false);
            }
            c.exec(
                "UPDATE device_keys SET state = 'retiring', retire_after_ms = $3 \
                 WHERE mn = $1 AND state = 'active' AND id <> $2",
                &[
                    key.mn.as_str().into(),
                    id.into(),
                    now_ms.saturating_add(grace_ms).into(),
                ],
            )?;
            Ok(true)
        })
    }

    /// Retiring keys past their grace period become retired; returns how many.
    pub fn retire_device_keys(&self, now_ms: i64) -> Result<u64, StoreError> {
        self.write_unaudited(|c| {
            c.exec(
                "UPDATE device_keys SET state = 'retired', retired_ms = $1 \
                 WHERE state = 'retiring' AND retire_after_ms <= $1",
                &[now_ms.into()],
            )
        })
    }

    /// Records a 1001 upload: a new serial, or the last time and count of a known one.
    pub fn record_logger_serial(
        &self,
        s: &LoggerSerial,
        now_ms: i64,
    ) -> Result<LoggerSerial, StoreError> {
        self.write_unaudited(|c| {
            let n = c.exec(
                "UPDATE logger_serials SET cpu_id = $2, mac = $3, claimed_mn = $4, peer = $5, \
                 last_ms = $6, uploads = uploads + 1 WHERE serial = $1",
                &[
                    s.serial.as_str().into(),
                    s.cpu_id.as_str().into(),
                    s.mac.as_str().into(),
                    s.claimed_mn.as_str().into(),
                    s.peer.as_str().into(),
                    now_ms.into(),
                ],
            )?;
            if n == 0 {
                c.exec(
                    "INSERT INTO logger_serials (serial, cpu_id, mac, claimed_mn, peer, \
                     first_ms, last_ms) VALUES ($1, $2, $3, $4, $5, $6, $6)",
                    &[
                        s.serial.as_str().into(),
                        s.cpu_id.as_str().into(),
                        s.mac.as_str().into(),
                        s.claimed_mn.as_str().into(),
                        s.peer.as_str().into(),
                        now_ms.into(),
                    ],
                )?;
            }
            serial_of(c, &s.serial)?.ok_or_else(|| bad("logger serial not stored".into()))
        })
    }

    pub fn logger_serial(&self, serial: &str) -> Result<Option<LoggerSerial>, StoreError> {
        self.read(|c| serial_of(c, serial))
    }

    /// Makes room for a new serial awaiting an MN: while `max` or more await one, the one
    /// heard from longest ago is forgotten (a logger still waiting sends 1001 again and comes
    /// back; made-up serials cannot fill the list for good). Returns how many were forgotten.
    pub fn make_room_for_logger_serial(&self, max: usize) -> Result<u64, StoreError> {
        self.write_unaudited(|c| {
            let waiting = c
                .query(
                    "SELECT COUNT(*) FROM logger_serials WHERE assigned_mn IS NULL",
                    &[],
                )?
                .first()
                .and_then(|r| r[0].int())
                .unwrap_or(0);
            let over = waiting + 1 - max as i64;
            if over <= 0 {
                return Ok(0);
            }
            c.exec(
                "DELETE FROM logger_serials WHERE serial IN (SELECT serial FROM logger_serials                  WHERE assigned_mn IS NULL ORDER BY last_ms, serial LIMIT $1)",
                &[over.into()],
            )
        })
    }

    /// Every logger serial, newest upload first.
    pub fn logger_serials(&self) -> Result<Vec<LoggerSerial>, StoreError> {
        let sql = format!("SELECT {SERIAL_COLUMNS} FROM logger_serials ORDER BY last_ms DESC");
        Ok(self
            .read(|c| c.query(&sql, &[]))?
            .iter()
            .map(serial_row)
            .collect())
    }

    /// Assigns `mn` to logger `serial` (the gateway sends 1002 on its next 1001). Refused
    /// when the serial is unknown or `mn` is already assigned to another serial.
    pub fn assign_logger_mn(
        &self,
        serial: &str,
        mn: &str,
        now_ms: i64,
        by: &str,
    ) -> Result<LoggerSerial, StoreError> {
        self.write(|c| {
            if serial_of(c, serial)?.is_none() {
                return Err(StoreError::NotFound {
                    what: format!("数采仪序号 / logger serial {serial:?}"),
                });
            }
            if let Some(other) = c
                .query(
                    "SELECT serial FROM logger_serials WHERE assigned_mn = $1 AND serial <> $2",
                    &[mn.into(), serial.into()],
                )?
                .first()
            {
                return Err(StoreError::Refused {
                    what: format!(
                        "MN {mn} 已赋给数采仪 {} / MN {mn} is already assigned to logger {}",
                        text(other, 0),
                        text(other, 0)
                    ),
                });
            }
            c.exec(
                "UPDATE logger_serials SET assigned_mn = $2, assigned_by = $3, assigned_ms = $4, \
                 mn_sent_ms = NULL, confirmed_ms = NULL WHERE serial = $1",
                &[serial.into(), mn.into(), by.into(), now_ms.into()],
            )?;
            serial_of(c, serial)?.ok_or_else(|| bad("logger serial vanished".into()))
        })
    }

    /// The gateway sent 1002 to logger `serial`.
    pub fn mark_logger_mn_sent(&self, serial: &str, now_ms: i64) -> Result<(), StoreError> {
        self.write_unaudited(|c| {
            c.exec(
                "UPDATE logger_serials SET mn_sent_ms = $2 WHERE serial = $1",
                &[serial.into(), now_ms.into()],
            )
            .map(drop)
        })
    }

    /// A logger used its assigned MN: every serial assigned `mn` and sent is confirmed
    /// (first time only). Returns how many rows changed.
    pub fn confirm_logger_mn(&self, mn: &str, now_ms: i64) -> Result<u64, StoreError> {
        self.write_unaudited(|c| {
            c.exec(
                "UPDATE logger_serials SET confirmed_ms = $2 WHERE assigned_mn = $1 \
                 AND mn_sent_ms IS NOT NULL AND confirmed_ms IS NULL",
                &[mn.into(), now_ms.into()],
            )
        })
    }
}

fn serial_of(c: &mut dyn Conn, serial: &str) -> Result<Option<LoggerSerial>, StoreError> {
    let sql = format!("SELECT {SERIAL_COLUMNS} FROM logger_serials WHERE serial = $1");
    Ok(c.query(&sql, &[serial.into()])?.first().map(serial_row))
}
