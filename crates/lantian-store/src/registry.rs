//! The registry: administrative units, stations and their units, devices, enterprises,
//! outlets, production lines, users, and the audit log.

use crate::db::{Row, Val, text};
use crate::error::StoreError;
use crate::model::*;
use crate::{Store, password};

/// A stored name of a closed set, or an error naming the row (a database edited by hand).
fn named<T>(r: &Row, i: usize, what: &str, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    let s = text(r, i);
    parse(&s).ok_or_else(|| StoreError::Invalid {
        what: format!("{what} {:?} of {:?} is not a known value", s, text(r, 0)),
    })
}

fn station(r: &Row) -> Result<Station, StoreError> {
    Ok(Station {
        id: text(r, 0),
        name: text(r, 1),
        role: named(r, 2, "station role", StationRole::parse)?,
        admin_unit_id: r[3].text(),
        lat: r[4].real(),
        lon: r[5].real(),
        pollutants: text(r, 6)
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        min_interval_min: r[7].int().unwrap_or(1),
        demo: r[8].int() == Some(1),
    })
}

const STATION_COLUMNS: &str =
    "id, name, role, admin_unit_id, lat, lon, pollutants, min_interval_min, demo";

impl Store {
    pub fn upsert_admin_unit(&self, u: &AdminUnit) -> Result<(), StoreError> {
        self.write(|c| {
            c.exec(
                "INSERT INTO admin_units (id, name_zh, name_en, kind, parent_id, lat, lon) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (id) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en, kind = excluded.kind, \
                 parent_id = excluded.parent_id, lat = excluded.lat, lon = excluded.lon",
                &[
                    u.id.as_str().into(),
                    u.name_zh.as_str().into(),
                    u.name_en.as_str().into(),
                    u.kind.as_str().into(),
                    u.parent_id.clone().into(),
                    u.lat.into(),
                    u.lon.into(),
                ],
            )
            .map(drop)
        })
    }

    pub fn admin_units(&self) -> Result<Vec<AdminUnit>, StoreError> {
        let rows = self.read(|c| c.query("SELECT id, name_zh, name_en, kind, parent_id, lat, lon FROM admin_units ORDER BY id", &[]))?;
        rows.iter()
            .map(|r| {
                Ok(AdminUnit {
                    id: text(r, 0),
                    name_zh: text(r, 1),
                    name_en: text(r, 2),
                    kind: named(r, 3, "unit kind", UnitKind::parse)?,
                    parent_id: r[4].text(),
                    lat: r[5].real(),
                    lon: r[6].real(),
                })
            })
            .collect()
    }

    pub fn upsert_station(&self, s: &Station) -> Result<(), StoreError> {
        self.write(|c| upsert_station_row(c, s))
    }

    pub fn station(&self, id: &str) -> Result<Option<Station>, StoreError> {
        let sql = format!("SELECT {STATION_COLUMNS} FROM stations WHERE id = $1");
        self.read(|c| c.query(&sql, &[id.into()]))?
            .first()
            .map(station)
            .transpose()
    }

    pub fn stations(&self) -> Result<Vec<Station>, StoreError> {
        let sql = format!("SELECT {STATION_COLUMNS} FROM stations ORDER BY id");
        self.read(|c| c.query(&sql, &[]))?
            .iter()
            .map(station)
            .collect()
    }

    pub fn set_station_unit(&self, u: &StationUnit) -> Result<(), StoreError> {
        self.write(|c| {
            c.exec(
                "INSERT INTO station_units (station_id, code, unit, factor) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (station_id, code) DO UPDATE SET unit = excluded.unit, factor = excluded.factor",
                &[u.station_id.as_str().into(), u.code.as_str().into(), u.unit.as_str().into(), u.factor.into()],
            )
            .map(drop)
        })
    }

    pub fn station_units(&self, station_id: &str) -> Result<Vec<StationUnit>, StoreError> {
        let rows = self.read(|c| {
            c.query("SELECT station_id, code, unit, factor FROM station_units WHERE station_id = $1 ORDER BY code", &[station_id.into()])
        })?;
        Ok(rows
            .iter()
            .map(|r| StationUnit {
                station_id: text(r, 0),
                code: text(r, 1),
                unit: text(r, 2),
                factor: r[3].real().unwrap_or(1.0),
            })
            .collect())
    }

    /// Registers a device; the password is stored as an Argon2id hash. The MN is HJ 212's
    /// (at most [`MN_LEN_MAX`] printable characters) and the password is not empty.
    pub fn add_device(
        &self,
        mn: &str,
        password: &str,
        station_id: &str,
        edition: &str,
        now_ms: i64,
    ) -> Result<Device, StoreError> {
        if mn.is_empty()
            || mn.len() > MN_LEN_MAX
            || !mn
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b';' && b != b'=')
        {
            return Err(StoreError::Invalid {
                what: format!(
                    "MN {mn:?}: 1-{MN_LEN_MAX} printable characters without ';' or '=' (HJ 212 Table 3)"
                ),
            });
        }
        device_password_ok(mn, password)?;
        if !["2005", "2017", "2025"].contains(&edition) {
            return Err(StoreError::Invalid {
                what: format!("edition {edition:?} (expected 2005, 2017 or 2025)"),
            });
        }
        if self.station(station_id)?.is_none() {
            return Err(StoreError::NotFound {
                what: format!("station {station_id}"),
            });
        }
        let d = Device {
            mn: mn.to_owned(),
            password_hash: password::hash(password, password::Strength::Device),
            station_id: station_id.to_owned(),
            edition: edition.to_owned(),
            created_ms: now_ms,
            disabled: false,
        };
        self.write(|c| {
            if !c.query("SELECT mn FROM devices WHERE mn = $1", &[mn.into()])?.is_empty() {
                return Err(StoreError::Conflict { what: format!("device {mn}") });
            }
            c.exec(
                "INSERT INTO devices (mn, password_hash, station_id, edition, created_ms) VALUES ($1, $2, $3, $4, $5)",
                &[d.mn.as_str().into(), d.password_hash.as_str().into(), d.station_id.as_str().into(), d.edition.as_str().into(), now_ms.into()],
            )
        })?;
        Ok(d)
    }

    /// Gives a device a new password; a running gateway checks it at the device's next login.
    pub fn set_device_password(&self, mn: &str, password: &str) -> Result<(), StoreError> {
        device_password_ok(mn, password)?;
        let hash = password::hash(password, password::Strength::Device);
        self.device_update(
            mn,
            "UPDATE devices SET password_hash = $1 WHERE mn = $2",
            hash.as_str().into(),
        )
    }

    /// Disables (or enables again) a device: a disabled device is refused at login, its data
    /// and registration are kept.
    pub fn set_device_disabled(&self, mn: &str, disabled: bool) -> Result<(), StoreError> {
        self.device_update(
            mn,
            "UPDATE devices SET disabled = $1 WHERE mn = $2",
            disabled.into(),
        )
    }

    /// Removes a device's registration (its packets stay in the archive, its values in the
    /// station's series); the gateway then treats its MN as unknown.
    pub fn remove_device(&self, mn: &str) -> Result<(), StoreError> {
        let n = self.write(|c| c.exec("DELETE FROM devices WHERE mn = $1", &[mn.into()]))?;
        if n == 0 {
            return Err(StoreError::NotFound {
                what: format!("device {mn}"),
            });
        }
        Ok(())
    }

    fn device_update(&self, mn: &str, sql: &str, value: Val) -> Result<(), StoreError> {
        let n = self.write(|c| c.exec(sql, &[value.clone(), mn.into()]))?;
        if n == 0 {
            return Err(StoreError::NotFound {
                what: format!("device {mn}"),
            });
        }
        Ok(())
    }

    pub fn device(&self, mn: &str) -> Result<Option<Device>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE mn = $1"),
                &[mn.into()],
            )
        })?;
        Ok(rows.first().map(device))
    }

    pub fn devices(&self) -> Result<Vec<Device>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                &format!("SELECT {DEVICE_COLUMNS} FROM devices ORDER BY mn"),
                &[],
            )
        })?;
        Ok(rows.iter().map(device).collect())
    }

    pub fn add_user(&self, u: &User) -> Result<(), StoreError> {
        self.write(|c| {
            c.exec(
                "INSERT INTO users (username, password_hash, role, unit_id, must_change_password, created_ms) VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    u.username.as_str().into(),
                    u.password_hash.as_str().into(),
                    u.role.as_str().into(),
                    u.unit_id.clone().into(),
                    u.must_change_password.into(),
                    u.created_ms.into(),
                ],
            )
            .map(drop)
        })
    }

    pub fn user(&self, username: &str) -> Result<Option<User>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT username, password_hash, role, unit_id, must_change_password, created_ms FROM users WHERE username = $1",
                &[username.into()],
            )
        })?;
        rows.first()
            .map(|r| {
                Ok(User {
                    username: text(r, 0),
                    password_hash: text(r, 1),
                    role: named(r, 2, "role", Role::parse)?,
                    unit_id: r[3].text(),
                    must_change_password: r[4].int() == Some(1),
                    created_ms: r[5].int().unwrap_or(0),
                })
            })
            .transpose()
    }

    /// Sets a user's password; the account's sessions of before end (its epoch grows).
    pub fn set_password(&self, username: &str, password_hash: &str) -> Result<(), StoreError> {
        let n = self.write(|c| {
            c.exec(
                "UPDATE users SET password_hash = $1, must_change_password = 0, session_epoch = session_epoch + 1 WHERE username = $2",
                &[password_hash.into(), username.into()],
            )
        })?;
        if n == 0 {
            return Err(StoreError::NotFound {
                what: format!("user {username}"),
            });
        }
        Ok(())
    }

    pub fn count_users(&self) -> Result<i64, StoreError> {
        Ok(self
            .read(|c| c.query("SELECT COUNT(*) FROM users", &[]))?
            .first()
            .and_then(|r| r[0].int())
            .unwrap_or(0))
    }

    /// A setting of this deployment (`county`: the id of the county it serves).
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .read(|c| c.query("SELECT value FROM settings WHERE key = $1", &[key.into()]))?
            .first()
            .and_then(|r| r[0].text()))
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.write(|c| {
            c.exec(
                "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[key.into(), value.into()],
            )
            .map(drop)
        })
    }
}

const DEVICE_COLUMNS: &str = "mn, password_hash, station_id, edition, created_ms, disabled";

fn device(r: &Row) -> Device {
    Device {
        mn: text(r, 0),
        password_hash: text(r, 1),
        station_id: text(r, 2),
        edition: text(r, 3),
        created_ms: r[4].int().unwrap_or(0),
        disabled: r[5].int() == Some(1),
    }
}

/// A device password must not be empty: a packet without `PW` would then log in.
fn device_password_ok(mn: &str, password: &str) -> Result<(), StoreError> {
    if password.is_empty() {
        return Err(StoreError::Invalid {
            what: format!("device {mn}: the password is empty (a device needs one to log in)"),
        });
    }
    Ok(())
}

/// Creates or updates a station row inside a transaction (a station, or the series of an
/// outlet or a piece of equipment).
pub(crate) fn upsert_station_row(
    c: &mut dyn crate::db::Conn,
    s: &Station,
) -> Result<(), StoreError> {
    if s.min_interval_min < 1 || 60 % s.min_interval_min != 0 {
        return Err(StoreError::Invalid {
            what: format!(
                "minute interval {} does not divide an hour",
                s.min_interval_min
            ),
        });
    }
    c.exec(
        "INSERT INTO stations (id, name, role, admin_unit_id, lat, lon, pollutants, min_interval_min, demo) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
         role = excluded.role, admin_unit_id = excluded.admin_unit_id, lat = excluded.lat, lon = excluded.lon, \
         pollutants = excluded.pollutants, min_interval_min = excluded.min_interval_min, demo = excluded.demo",
        &[
            s.id.as_str().into(),
            s.name.as_str().into(),
            s.role.as_str().into(),
            s.admin_unit_id.clone().into(),
            s.lat.into(),
            s.lon.into(),
            s.pollutants.join(",").into(),
            s.min_interval_min.into(),
            s.demo.into(),
        ],
    )
    .map(drop)
}
