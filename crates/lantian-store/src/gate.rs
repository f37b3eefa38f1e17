//! Vehicles at enterprises' gates (门禁记录): written in one transaction per import, a
//! passage already stored (same enterprise, moment, plate and direction) kept once.

use crate::Store;
use crate::db::Row;
use crate::error::StoreError;
use crate::model::*;

fn record(r: &Row) -> Result<GateRecord, StoreError> {
    let text = |i: usize| r[i].text().unwrap_or_default();
    let bad = |what: &str, i: usize| StoreError::Invalid {
        what: format!("gate record {} {}: {what} {:?}", text(0), text(2), text(i)),
    };
    Ok(GateRecord {
        enterprise_id: text(0),
        ts: r[1].int().unwrap_or(0),
        plate: text(2),
        direction: Direction::parse(&text(3)).ok_or_else(|| bad("direction", 3))?,
        vehicle_type: text(4),
        class: VehicleClass::parse(&text(5)).ok_or_else(|| bad("class", 5))?,
        standard: Standard::parse(&text(6)).ok_or_else(|| bad("standard", 6))?,
        fuel: Fuel::parse(&text(7)).ok_or_else(|| bad("fuel", 7))?,
    })
}

impl Store {
    /// Stores gate records, all or none; returns how many were new.
    pub fn insert_gate_records(&self, records: &[GateRecord]) -> Result<u64, StoreError> {
        self.write(|c| {
            let mut new = 0;
            for g in records {
                new += c.exec(
                    "INSERT INTO gate_records (enterprise_id, ts, plate, direction, vehicle_type, class, standard, fuel) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (enterprise_id, ts, plate, direction) DO NOTHING",
                    &[
                        g.enterprise_id.as_str().into(),
                        g.ts.into(),
                        g.plate.as_str().into(),
                        g.direction.as_str().into(),
                        g.vehicle_type.as_str().into(),
                        g.class.as_str().into(),
                        g.standard.name().into(),
                        g.fuel.as_str().into(),
                    ],
                )?;
            }
            Ok(new)
        })
    }

    /// An enterprise's gate records with `from <= ts < to`, in time order.
    pub fn gate_records(
        &self,
        enterprise_id: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<GateRecord>, StoreError> {
        self.read(|c| {
            c.query(
                "SELECT enterprise_id, ts, plate, direction, vehicle_type, class, standard, fuel FROM gate_records \
                 WHERE enterprise_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts, plate",
                &[enterprise_id.into(), from.into(), to.into()],
            )
        })?
        .iter()
        .map(record)
        .collect()
    }
}
