//! Operations (issue 15): each station's operations contractor (运维单位), work orders opened
//! for outages (one open per station), the source of each work order, a station's latest
//! data, and per-device hours (observations attributed to the device whose archived packet
//! carried them) for device online and capture rates.

use crate::Part;
use crate::Store;
use crate::db::text;
use crate::error::StoreError;
use crate::integrity::WorkOrder;
use std::collections::HashMap;

/// Where a work order came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    /// Opened from an alarm.
    Alarm,
    /// Opened by the scan for a station that stopped sending.
    Outage,
    /// Opened by hand for a station.
    Manual,
}

impl OrderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderKind::Alarm => "alarm",
            OrderKind::Outage => "outage",
            OrderKind::Manual => "manual",
        }
    }
}

/// One stored hour value of a device: the device's MN, the hour's start (CST seconds), the
/// code and its flag.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceHour {
    pub mn: String,
    pub ts: i64,
    pub code: String,
    pub flag: String,
}

impl Store {
    /// Sets (`Some`) or clears (`None` or blank) a station's operations contractor.
    pub fn set_station_contractor(
        &self,
        station_id: &str,
        contractor: Option<&str>,
    ) -> Result<(), StoreError> {
        let name = contractor.map(str::trim).filter(|s| !s.is_empty());
        self.write(|c| {
            match name {
                Some(n) => c.exec(
                    "INSERT INTO station_contractors (station_id, contractor) VALUES ($1, $2) \
                     ON CONFLICT (station_id) DO UPDATE SET contractor = excluded.contractor",
                    &[station_id.into(), n.into()],
                )?,
                None => c.exec(
                    "DELETE FROM station_contractors WHERE station_id = $1",
                    &[station_id.into()],
                )?,
            };
            Ok(())
        })
    }

    /// A station's operations contractor, if it has one.
    pub fn station_contractor(&self, station_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .read(|c| {
                c.query(
                    "SELECT contractor FROM station_contractors WHERE station_id = $1",
                    &[station_id.into()],
                )
            })?
            .first()
            .and_then(|r| r[0].text()))
    }

    /// Every station's operations contractor, by station id.
    pub fn station_contractors(&self) -> Result<HashMap<String, String>, StoreError> {
        Ok(self
            .read(|c| {
                c.query(
                    "SELECT station_id, contractor FROM station_contractors",
                    &[],
                )
            })?
            .iter()
            .map(|r| (text(r, 0), text(r, 1)))
            .collect())
    }

    /// Opens an outage work order for `w.station_id` unless one is open already; returns
    /// the new order's id, or `None` when an open outage order exists.
    pub fn open_outage_order(&self, w: &WorkOrder) -> Result<Option<i64>, StoreError> {
        if w.assignee.trim().is_empty() || w.opened_by.trim().is_empty() {
            return Err(StoreError::Invalid {
                what: "a work order needs an assignee and who opened it".to_owned(),
            });
        }
        self.write(|c| {
            Ok(c.query(
                "INSERT INTO work_orders (alarm_id, station_id, assignee, deadline, state, note, \
                 opened_by, opened_ms, kind) VALUES (NULL, $1, $2, $3, 'open', $4, $5, $6, 'outage') \
                 ON CONFLICT (station_id) WHERE kind = 'outage' AND state = 'open' DO NOTHING \
                 RETURNING id",
                &[
                    w.station_id.as_str().into(),
                    w.assignee.as_str().into(),
                    w.deadline.as_str().into(),
                    w.note.as_str().into(),
                    w.opened_by.as_str().into(),
                    w.opened_ms.into(),
                ],
            )?
            .first()
            .and_then(|r| r[0].int()))
        })
    }

    /// Whether `station_id` has an open outage order.
    pub fn open_outage_order_exists(&self, station_id: &str) -> Result<bool, StoreError> {
        Ok(!self
            .read(|c| {
                c.query(
                    "SELECT 1 FROM work_orders WHERE station_id = $1 AND kind = 'outage' \
                     AND state = 'open'",
                    &[station_id.into()],
                )
            })?
            .is_empty())
    }

    /// The source of each work order, by id (`manual` rows with an alarm read as `alarm`).
    pub fn work_order_kinds(&self) -> Result<HashMap<i64, OrderKind>, StoreError> {
        Ok(self
            .read(|c| c.query("SELECT id, kind, alarm_id FROM work_orders", &[]))?
            .iter()
            .map(|r| {
                let kind = match text(r, 1).as_str() {
                    "outage" => OrderKind::Outage,
                    "alarm" => OrderKind::Alarm,
                    _ if r[2].int().is_some() => OrderKind::Alarm,
                    _ => OrderKind::Manual,
                };
                (r[0].int().unwrap_or(0), kind)
            })
            .collect())
    }

    /// The start (CST seconds) of a station's latest stored value of any of `codes` at
    /// `periods` (`hour`, `min`, `rtd`), or `None` when it never sent one.
    pub fn latest_data_ts(
        &self,
        station_id: &str,
        codes: &[&str],
        periods: &[&str],
    ) -> Result<Option<i64>, StoreError> {
        self.read(|c| {
            let mut latest: Option<i64> = None;
            for code in codes {
                for period in periods {
                    // One index seek per (code, period): the key is (station, code, period, ts).
                    let ts = c
                        .query(
                            "SELECT MAX(ts) FROM observations WHERE station_id = $1 AND code = $2 \
                             AND period = $3",
                            &[station_id.into(), (*code).into(), (*period).into()],
                        )?
                        .first()
                        .and_then(|r| r[0].int());
                    latest = latest.max(ts);
                }
            }
            Ok(latest)
        })
    }

    /// A station's hour values of `from .. to` (CST seconds) with the device (MN) whose
    /// archived packet carried each; values without a packet (imports) are left out.
    pub fn device_hours(
        &self,
        station_id: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<DeviceHour>, StoreError> {
        let obs = self.read(|c| {
            c.query(
                "SELECT ts, code, flag, packet_seq, packet_chain FROM observations WHERE station_id = $1 \
                 AND period = 'hour' AND ts >= $2 AND ts < $3 AND packet_seq IS NOT NULL",
                &[station_id.into(), from.into(), to.into()],
            )
        })?;
        // The span of seqs on each archive chain the values came in on.
        let mut spans: HashMap<String, (i64, i64)> = HashMap::new();
        for r in &obs {
            if let (Some(seq), Some(chain)) = (r[3].int(), r[4].text()) {
                let e = spans.entry(chain).or_insert((seq, seq));
                *e = (e.0.min(seq), e.1.max(seq));
            }
        }
        if spans.is_empty() {
            return Ok(Vec::new());
        }
        let devices: Vec<String> = self
            .read(|c| {
                c.query(
                    "SELECT mn FROM devices WHERE station_id = $1",
                    &[station_id.into()],
                )
            })?
            .iter()
            .map(|r| text(r, 0))
            .collect();
        let mut mn_of: HashMap<(String, i64), String> = HashMap::new();
        for mn in &devices {
            for (chain, (lo, hi)) in &spans {
                let rows = self.read_from(Part::Archive, |c| {
                    c.query(
                        "SELECT seq FROM archive WHERE chain = $1 AND mn = $2 AND seq >= $3 AND seq <= $4",
                        &[
                            chain.as_str().into(),
                            mn.as_str().into(),
                            (*lo).into(),
                            (*hi).into(),
                        ],
                    )
                })?;
                for r in rows {
                    if let Some(s) = r[0].int() {
                        mn_of.insert((chain.clone(), s), mn.clone());
                    }
                }
            }
        }
        Ok(obs
            .iter()
            .filter_map(|r| {
                let mn = mn_of.get(&(r[4].text()?, r[3].int()?))?;
                Some(DeviceHour {
                    mn: mn.clone(),
                    ts: r[0].int()?,
                    code: text(r, 1),
                    flag: text(r, 2),
                })
            })
            .collect())
    }
}
