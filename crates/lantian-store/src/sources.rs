//! The pollution-source register: enterprises, their outlets with emission limits, and their
//! production and treatment equipment. An outlet's CEMS series and a piece of equipment's
//! working-condition series are station rows (roles `outlet`, `equipment`) of the same id,
//! written in the same transaction, so their data take the one ingest and query path.

use crate::Store;
use crate::db::{Conn, Row, text};
use crate::error::StoreError;
use crate::model::*;
use crate::registry::upsert_station_row;
use std::collections::HashMap;

/// The codes an outlet's CEMS series measures by default: SO2, NOx, particulate matter, O2,
/// flow (HJ 212-2017 Table B.2).
pub const OUTLET_CODES: [&str; 5] = ["a21026", "a21002", "a34013", "a19001", "a00000"];

fn parse_or<T>(
    r: &Row,
    i: usize,
    what: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    let s = text(r, i);
    parse(&s).ok_or_else(|| StoreError::Invalid {
        what: format!("{what} {s:?} of {:?} is not a known value", text(r, 0)),
    })
}

const ENTERPRISE_COLUMNS: &str = "id, name, credit_code, industry, grade, admin_unit_id, lat, lon, key_polluter, permit_no, demo, \
     clean_transport_target_pct, discloses, disclosure_note";

fn enterprise(r: &Row) -> Result<Enterprise, StoreError> {
    Ok(Enterprise {
        id: text(r, 0),
        name: text(r, 1),
        credit_code: r[2].text(),
        industry: r[3].text(),
        grade: match r[4].text() {
            Some(_) => Some(parse_or(r, 4, "grade", Grade::parse)?),
            None => None,
        },
        admin_unit_id: r[5].text(),
        lat: r[6].real(),
        lon: r[7].real(),
        key_polluter: r[8].int() == Some(1),
        permit_no: r[9].text(),
        demo: r[10].int() == Some(1),
        clean_transport_target_pct: r[11].real(),
        discloses: r[12].int() == Some(1),
        disclosure_note: r[13].text(),
    })
}

/// Writes an enterprise's register fields (not what the enterprise itself sets: its
/// disclosure).
fn write_enterprise(c: &mut dyn Conn, e: &Enterprise) -> Result<(), StoreError> {
    if e.id.trim().is_empty() || e.name.trim().is_empty() {
        return Err(StoreError::Invalid {
            what: "an enterprise needs an id and a name".to_owned(),
        });
    }
    c.exec(
        "INSERT INTO enterprises (id, name, credit_code, industry, grade, admin_unit_id, lat, lon, key_polluter, permit_no, demo, \
         clean_transport_target_pct) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO UPDATE SET \
         name = excluded.name, credit_code = excluded.credit_code, industry = excluded.industry, grade = excluded.grade, \
         admin_unit_id = excluded.admin_unit_id, lat = excluded.lat, lon = excluded.lon, key_polluter = excluded.key_polluter, \
         permit_no = excluded.permit_no, demo = excluded.demo, clean_transport_target_pct = excluded.clean_transport_target_pct",
        &[
            e.id.as_str().into(),
            e.name.as_str().into(),
            e.credit_code.clone().into(),
            e.industry.clone().into(),
            e.grade.map(|g| g.as_str()).into(),
            e.admin_unit_id.clone().into(),
            e.lat.into(),
            e.lon.into(),
            e.key_polluter.into(),
            e.permit_no.clone().into(),
            e.demo.into(),
            e.clean_transport_target_pct.into(),
        ],
    )
    .map(drop)
}

fn check_outlet(o: &Outlet) -> Result<(), StoreError> {
    if o.limits
        .iter()
        .any(|l| !l.limit_mg_m3.is_finite() || l.limit_mg_m3 < 0.0)
        || o.o2_ref_pct.is_some_and(|x| !(0.0..21.0).contains(&x))
    {
        return Err(StoreError::Invalid {
            what: format!(
                "outlet {}: limits must be numbers ≥ 0 and the reference O2 below 21 %",
                o.id
            ),
        });
    }
    Ok(())
}

/// Writes an outlet of `e`, its limits and its CEMS series (a station row of the same id,
/// role `outlet`, in the enterprise's unit and place; flow converted to m³/h by
/// `flow_factor`).
fn write_outlet(
    c: &mut dyn Conn,
    e: &Enterprise,
    o: &Outlet,
    flow_factor: f64,
) -> Result<(), StoreError> {
    upsert_station_row(
        c,
        &Station {
            id: o.id.clone(),
            name: format!("{} {}", e.name, o.name),
            role: StationRole::Outlet,
            admin_unit_id: e.admin_unit_id.clone(),
            lat: e.lat,
            lon: e.lon,
            pollutants: OUTLET_CODES.iter().map(|c| (*c).to_owned()).collect(),
            min_interval_min: 1,
            demo: e.demo,
        },
    )?;
    c.exec(
        "INSERT INTO station_units (station_id, code, unit, factor) VALUES ($1, 'a00000', 'm3/h', $2) \
         ON CONFLICT (station_id, code) DO UPDATE SET unit = excluded.unit, factor = excluded.factor",
        &[o.id.as_str().into(), flow_factor.into()],
    )?;
    c.exec(
        "INSERT INTO outlets (id, enterprise_id, name, station_id, kind, height_m, o2_ref_pct, flow_stopped_m3_h) \
         VALUES ($1, $2, $3, $1, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET enterprise_id = excluded.enterprise_id, \
         name = excluded.name, station_id = excluded.station_id, kind = excluded.kind, height_m = excluded.height_m, \
         o2_ref_pct = excluded.o2_ref_pct, flow_stopped_m3_h = excluded.flow_stopped_m3_h",
        &[
            o.id.as_str().into(),
            o.enterprise_id.as_str().into(),
            o.name.as_str().into(),
            o.kind.as_str().into(),
            o.height_m.into(),
            o.o2_ref_pct.into(),
            o.flow_stopped_m3_h.into(),
        ],
    )?;
    c.exec(
        "DELETE FROM outlet_limits WHERE outlet_id = $1",
        &[o.id.as_str().into()],
    )?;
    for l in &o.limits {
        c.exec(
            "INSERT INTO outlet_limits (outlet_id, code, limit_mg_m3, source) VALUES ($1, $2, $3, $4)",
            &[
                o.id.as_str().into(),
                l.code.as_str().into(),
                l.limit_mg_m3.into(),
                l.source.as_str().into(),
            ],
        )?;
    }
    Ok(())
}

impl Store {
    pub fn upsert_enterprise(&self, e: &Enterprise) -> Result<(), StoreError> {
        self.upsert_register(std::slice::from_ref(e), &[], 1.0)
    }

    /// Creates or updates enterprises and outlets of theirs (or of enterprises already
    /// registered) in one transaction: an import is written whole or not at all.
    pub fn upsert_register(
        &self,
        enterprises: &[Enterprise],
        outlets: &[Outlet],
        flow_factor: f64,
    ) -> Result<(), StoreError> {
        let owner_of: HashMap<String, String> = if outlets.is_empty() {
            HashMap::new()
        } else {
            self.outlets(None)?
                .into_iter()
                .map(|o| (o.id, o.enterprise_id))
                .collect()
        };
        let mut owners = Vec::new();
        for o in outlets {
            check_outlet(o)?;
            self.check_series_id(&o.id, StationRole::Outlet)?;
            if let Some(old) = owner_of.get(&o.id)
                && *old != o.enterprise_id
            {
                return Err(StoreError::Conflict {
                    what: format!("outlet {} is {old}'s", o.id),
                });
            }
            let e = match enterprises.iter().find(|e| e.id == o.enterprise_id) {
                Some(e) => e.clone(),
                None => self
                    .enterprise(&o.enterprise_id)?
                    .ok_or_else(|| StoreError::NotFound {
                        what: format!("enterprise {}", o.enterprise_id),
                    })?,
            };
            owners.push(e);
        }
        self.write(|c| {
            for e in enterprises {
                write_enterprise(c, e)?;
            }
            for (o, e) in outlets.iter().zip(&owners) {
                write_outlet(c, e, o, flow_factor)?;
            }
            Ok(())
        })
    }

    pub fn enterprises(&self) -> Result<Vec<Enterprise>, StoreError> {
        let sql = format!("SELECT {ENTERPRISE_COLUMNS} FROM enterprises ORDER BY id");
        self.read(|c| c.query(&sql, &[]))?
            .iter()
            .map(enterprise)
            .collect()
    }

    pub fn enterprise(&self, id: &str) -> Result<Option<Enterprise>, StoreError> {
        let sql = format!("SELECT {ENTERPRISE_COLUMNS} FROM enterprises WHERE id = $1");
        self.read(|c| c.query(&sql, &[id.into()]))?
            .first()
            .map(enterprise)
            .transpose()
    }

    /// What the enterprise itself publishes (plan §9(三)): whether its monitoring data are
    /// public, and its note on its treatment measures.
    pub fn set_disclosure(
        &self,
        id: &str,
        discloses: bool,
        note: Option<&str>,
    ) -> Result<(), StoreError> {
        let n = self.write(|c| {
            c.exec(
                "UPDATE enterprises SET discloses = $2, disclosure_note = $3 WHERE id = $1",
                &[id.into(), discloses.into(), note.map(str::to_owned).into()],
            )
        })?;
        if n == 0 {
            return Err(StoreError::NotFound {
                what: format!("enterprise {id}"),
            });
        }
        Ok(())
    }

    /// Creates or updates an outlet, its limits and its CEMS series, in one transaction.
    pub fn upsert_outlet(&self, o: &Outlet, flow_factor: f64) -> Result<(), StoreError> {
        self.upsert_register(&[], std::slice::from_ref(o), flow_factor)
    }

    /// The outlets of one enterprise (or of all), with their limits.
    pub fn outlets(&self, enterprise_id: Option<&str>) -> Result<Vec<Outlet>, StoreError> {
        self.outlets_where(enterprise_id.unwrap_or(""), "")
    }

    pub fn outlet(&self, id: &str) -> Result<Option<Outlet>, StoreError> {
        Ok(self.outlets_where("", id)?.pop().filter(|o| o.id == id))
    }

    /// Outlets of `enterprise_id` and with `id` (each: any when empty), with their limits.
    fn outlets_where(&self, enterprise_id: &str, id: &str) -> Result<Vec<Outlet>, StoreError> {
        let params = [enterprise_id.into(), id.into()];
        let rows = self.read(|c| {
            c.query(
                "SELECT id, enterprise_id, name, kind, height_m, o2_ref_pct, flow_stopped_m3_h FROM outlets \
                 WHERE ($1 = '' OR enterprise_id = $1) AND ($2 = '' OR id = $2) ORDER BY id",
                &params,
            )
        })?;
        let limits = self.read(|c| {
            c.query(
                "SELECT l.outlet_id, l.code, l.limit_mg_m3, l.source FROM outlet_limits l JOIN outlets o ON o.id = l.outlet_id \
                 WHERE ($1 = '' OR o.enterprise_id = $1) AND ($2 = '' OR o.id = $2) ORDER BY l.outlet_id, l.code",
                &params,
            )
        })?;
        let mut limits_of: HashMap<String, Vec<Limit>> = HashMap::new();
        for l in &limits {
            limits_of.entry(text(l, 0)).or_default().push(Limit {
                code: text(l, 1),
                limit_mg_m3: l[2].real().unwrap_or(f64::NAN),
                source: text(l, 3),
            });
        }
        rows.iter()
            .map(|r| {
                let id = text(r, 0);
                Ok(Outlet {
                    limits: limits_of.remove(&id).unwrap_or_default(),
                    enterprise_id: text(r, 1),
                    name: text(r, 2),
                    kind: parse_or(r, 3, "outlet kind", OutletKind::parse)?,
                    height_m: r[4].real(),
                    o2_ref_pct: r[5].real(),
                    flow_stopped_m3_h: r[6].real().unwrap_or(0.0),
                    id,
                })
            })
            .collect()
    }

    /// Creates or updates a piece of equipment and its working-condition series (a station
    /// row of the same id, role `equipment`), in one transaction.
    pub fn upsert_equipment(&self, q: &Equipment) -> Result<(), StoreError> {
        let e = self
            .enterprise(&q.enterprise_id)?
            .ok_or_else(|| StoreError::NotFound {
                what: format!("enterprise {}", q.enterprise_id),
            })?;
        self.check_series_id(&q.id, StationRole::Equipment)?;
        let codes: Vec<String> = q
            .status_code
            .iter()
            .chain(q.meter.as_ref().map(|m| &m.code))
            .cloned()
            .collect();
        self.write(|c| {
            upsert_station_row(
                c,
                &Station {
                    id: q.id.clone(),
                    name: format!("{} {}", e.name, q.name),
                    role: StationRole::Equipment,
                    admin_unit_id: e.admin_unit_id.clone(),
                    lat: e.lat,
                    lon: e.lon,
                    pollutants: codes.clone(),
                    min_interval_min: 1,
                    demo: e.demo,
                },
            )?;
            c.exec(
                "INSERT INTO equipment (id, enterprise_id, name, kind, outlet_id, rated_kw, status_code, meter_kind, meter_code, \
                 meter_running_min) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO UPDATE SET \
                 enterprise_id = excluded.enterprise_id, name = excluded.name, kind = excluded.kind, outlet_id = excluded.outlet_id, \
                 rated_kw = excluded.rated_kw, status_code = excluded.status_code, meter_kind = excluded.meter_kind, \
                 meter_code = excluded.meter_code, meter_running_min = excluded.meter_running_min",
                &[
                    q.id.as_str().into(),
                    q.enterprise_id.as_str().into(),
                    q.name.as_str().into(),
                    q.kind.as_str().into(),
                    q.outlet_id.clone().into(),
                    q.rated_kw.into(),
                    q.status_code.clone().into(),
                    q.meter.as_ref().map(|m| m.kind.as_str()).into(),
                    q.meter.as_ref().map(|m| m.code.clone()).into(),
                    q.meter.as_ref().and_then(|m| m.running_min).into(),
                ],
            )
            .map(drop)
        })
    }

    /// The equipment of one enterprise (or of all).
    pub fn equipment(&self, enterprise_id: Option<&str>) -> Result<Vec<Equipment>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT id, enterprise_id, name, kind, outlet_id, rated_kw, status_code, meter_kind, meter_code, meter_running_min \
                 FROM equipment \
                 WHERE $1 = '' OR enterprise_id = $1 ORDER BY id",
                &[enterprise_id.unwrap_or("").into()],
            )
        })?;
        rows.iter()
            .map(|r| {
                Ok(Equipment {
                    id: text(r, 0),
                    enterprise_id: text(r, 1),
                    name: text(r, 2),
                    kind: parse_or(r, 3, "equipment kind", EquipmentKind::parse)?,
                    outlet_id: r[4].text(),
                    rated_kw: r[5].real(),
                    status_code: r[6].text(),
                    meter: match r[7].text() {
                        Some(_) => Some(Meter {
                            kind: parse_or(r, 7, "meter kind", MeterKind::parse)?,
                            code: text(r, 8),
                            running_min: r[9].real(),
                        }),
                        None => None,
                    },
                })
            })
            .collect()
    }

    /// A source's series id may not be an ambient station's (or another kind's) id.
    fn check_series_id(&self, id: &str, role: StationRole) -> Result<(), StoreError> {
        if id.trim().is_empty() {
            return Err(StoreError::Invalid {
                what: "an outlet or a piece of equipment needs an id".to_owned(),
            });
        }
        match self.station(id)? {
            Some(s) if s.role != role => Err(StoreError::Conflict {
                what: format!("id {id} is already a {} station", s.role),
            }),
            _ => Ok(()),
        }
    }
}
