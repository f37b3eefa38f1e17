//! Dust sites (issue 18): construction, road and yard sites with their dust monitor and
//! limits, the exceedance episodes the dust scan found (one task each), monthly dustfall,
//! inspections with the "six 100 %" checklist, and the non-road machinery register with its
//! inspections.

use crate::Store;
use crate::db::{Conn, Row, Val};
use crate::error::{StoreError, invalid};
use lantian_core::date::{Date, Month};
use lantian_core::grid::dust::{CheckItem, Episode, HOUR_S, SiteKind, Stage};
use serde::{Deserialize, Serialize};

/// A dust site.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SiteRow {
    pub id: String,
    pub name: String,
    pub kind: SiteKind,
    /// The township (unit id) the site lies in.
    pub township: Option<String>,
    /// The department that supervises it (a unit id such as `市住房和城乡建设局`).
    pub department: Option<String>,
    pub lat: f64,
    pub lon: f64,
    pub owner: String,
    /// The ambient station row of its dust monitor (no station role is specific to dust
    /// monitors: usually a `micro` station).
    pub monitor_station_id: Option<String>,
    /// The HJ 212 code watched: `a34002` (PM10) or `a34001` (TSP).
    pub monitor_code: String,
    pub limit_ug_m3: f64,
    /// Consecutive hours over the limit that make an episode.
    pub excess_hours_min: u32,
    pub actor: String,
    pub created_ms: i64,
}

/// An exceedance episode of a site, with its task.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EpisodeRow {
    pub id: i64,
    pub site_id: String,
    /// CST seconds of the first and last hour's start.
    pub first_hour_ts: i64,
    pub last_hour_ts: i64,
    pub peak_ug_m3: f64,
    pub task_id: Option<i64>,
    pub created_ms: i64,
}

/// What [`Store::claim_site_episode`] found.
#[derive(Clone, Debug, PartialEq)]
pub enum EpisodeClaim {
    /// A new episode, recorded without a task yet.
    New(i64),
    /// The episode overlaps or continues a recorded one (extended to cover it).
    Known(EpisodeRow),
}

/// One month's dustfall of a site (t/km²·month).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DustfallRow {
    pub id: i64,
    pub site_id: String,
    pub month: Month,
    pub value_t_km2: f64,
    pub actor: String,
    pub at_ms: i64,
    pub note: String,
}

/// One item of an inspection's checklist.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckRow {
    pub item: CheckItem,
    pub ok: bool,
    #[serde(default)]
    pub note: String,
}

/// A site inspection.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InspectionRow {
    pub id: i64,
    pub site_id: String,
    pub date: Date,
    pub items: Vec<CheckRow>,
    /// Every item met.
    pub passed: bool,
    pub note: String,
    pub actor: String,
    pub at_ms: i64,
}

/// A registered non-road machine.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MachineRow {
    /// Its registration code (编码登记).
    pub code: String,
    pub owner: String,
    /// What it is (挖掘机, 装载机, …), as written.
    pub kind: String,
    pub stage: Stage,
    pub engine_kw: Option<f64>,
    pub site_id: Option<String>,
    pub registered: Date,
    pub actor: String,
    pub at_ms: i64,
}

/// An inspection of a machine.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MachineInspectionRow {
    pub id: i64,
    pub code: String,
    pub date: Date,
    pub passed: bool,
    /// Smoke opacity as measured (light absorption coefficient, m⁻¹), when measured.
    pub opacity_m1: Option<f64>,
    pub note: String,
    pub actor: String,
    pub at_ms: i64,
}

fn text(v: &Val) -> String {
    v.text().unwrap_or_default()
}

fn opt_text(v: &Val) -> Option<String> {
    v.text().filter(|s| !s.is_empty())
}

const SITE_COLUMNS: &str = "id, name, kind, township, department, lat, lon, owner, \
     monitor_station_id, monitor_code, limit_ug_m3, excess_hours_min, actor, created_ms";

fn site_row(r: &Row) -> Result<SiteRow, StoreError> {
    let id = text(&r[0]);
    let kind = text(&r[2]);
    Ok(SiteRow {
        kind: SiteKind::parse(&kind)
            .ok_or_else(|| invalid(format!("sites row {id}: unknown kind {kind:?}")))?,
        name: text(&r[1]),
        township: opt_text(&r[3]),
        department: opt_text(&r[4]),
        lat: r[5].real().unwrap_or(f64::NAN),
        lon: r[6].real().unwrap_or(f64::NAN),
        owner: text(&r[7]),
        monitor_station_id: opt_text(&r[8]),
        monitor_code: text(&r[9]),
        limit_ug_m3: r[10].real().unwrap_or(f64::NAN),
        excess_hours_min: u32::try_from(r[11].int().unwrap_or(1)).unwrap_or(1),
        actor: text(&r[12]),
        created_ms: r[13].int().unwrap_or_default(),
        id,
    })
}

const EPISODE_COLUMNS: &str =
    "id, site_id, first_hour_ts, last_hour_ts, peak_ug_m3, task_id, created_ms";

fn episode_row(r: &Row) -> EpisodeRow {
    EpisodeRow {
        id: r[0].int().unwrap_or_default(),
        site_id: text(&r[1]),
        first_hour_ts: r[2].int().unwrap_or_default(),
        last_hour_ts: r[3].int().unwrap_or_default(),
        peak_ug_m3: r[4].real().unwrap_or(f64::NAN),
        task_id: r[5].int(),
        created_ms: r[6].int().unwrap_or_default(),
    }
}

fn month_of(r: &Val, table: &str, id: i64) -> Result<Month, StoreError> {
    let m = text(r);
    Month::parse(&m).ok_or_else(|| invalid(format!("{table} row {id}: bad month {m:?}")))
}

fn date_of(r: &Val, table: &str, id: i64) -> Result<Date, StoreError> {
    let d = text(r);
    Date::parse(&d).ok_or_else(|| invalid(format!("{table} row {id}: bad date {d:?}")))
}

fn dustfall_row(r: &Row) -> Result<DustfallRow, StoreError> {
    let id = r[0].int().unwrap_or_default();
    Ok(DustfallRow {
        id,
        site_id: text(&r[1]),
        month: month_of(&r[2], "site_dustfall", id)?,
        value_t_km2: r[3].real().unwrap_or(f64::NAN),
        actor: text(&r[4]),
        at_ms: r[5].int().unwrap_or_default(),
        note: text(&r[6]),
    })
}

fn inspection_row(r: &Row) -> Result<InspectionRow, StoreError> {
    let id = r[0].int().unwrap_or_default();
    let items: Vec<CheckRow> = serde_json::from_str(&text(&r[3]))
        .map_err(|e| invalid(format!("site_inspections row {id}: items: {e}")))?;
    Ok(InspectionRow {
        id,
        site_id: text(&r[1]),
        date: date_of(&r[2], "site_inspections", id)?,
        items,
        passed: r[4].int().unwrap_or_default() != 0,
        note: text(&r[5]),
        actor: text(&r[6]),
        at_ms: r[7].int().unwrap_or_default(),
    })
}

const MACHINE_COLUMNS: &str =
    "code, owner, kind, stage, engine_kw, site_id, registered, actor, at_ms";

fn machine_row(r: &Row) -> Result<MachineRow, StoreError> {
    let code = text(&r[0]);
    let stage = text(&r[3]);
    Ok(MachineRow {
        owner: text(&r[1]),
        kind: text(&r[2]),
        stage: Stage::parse(&stage)
            .ok_or_else(|| invalid(format!("machinery {code}: unknown stage {stage:?}")))?,
        engine_kw: r[4].real(),
        site_id: opt_text(&r[5]),
        registered: {
            let d = text(&r[6]);
            Date::parse(&d).ok_or_else(|| invalid(format!("machinery {code}: bad date {d:?}")))?
        },
        actor: text(&r[7]),
        at_ms: r[8].int().unwrap_or_default(),
        code,
    })
}

fn machine_inspection_row(r: &Row) -> Result<MachineInspectionRow, StoreError> {
    let id = r[0].int().unwrap_or_default();
    let result = text(&r[3]);
    Ok(MachineInspectionRow {
        id,
        code: text(&r[1]),
        date: date_of(&r[2], "machinery_inspections", id)?,
        passed: match result.as_str() {
            "pass" => true,
            "fail" => false,
            _ => {
                return Err(invalid(format!(
                    "machinery_inspections row {id}: unknown result {result:?}"
                )));
            }
        },
        opacity_m1: r[4].real(),
        note: text(&r[5]),
        actor: text(&r[6]),
        at_ms: r[7].int().unwrap_or_default(),
    })
}

fn new_id(rows: Vec<Row>, what: &str) -> Result<i64, StoreError> {
    rows.first()
        .and_then(|r| r[0].int())
        .ok_or_else(|| invalid(format!("the new {what} row has no id")))
}

fn require_site(c: &mut dyn Conn, id: &str) -> Result<(), StoreError> {
    if c.query("SELECT 1 FROM sites WHERE id = $1", &[id.into()])?
        .is_empty()
    {
        return Err(StoreError::NotFound {
            what: format!("site {id}"),
        });
    }
    Ok(())
}

fn finite(v: f64, what: &str) -> Result<(), StoreError> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(invalid(format!("{what} is not a number")))
    }
}

impl Store {
    /// Registers a site; an id already registered is a conflict.
    pub fn add_site(&self, s: &SiteRow) -> Result<(), StoreError> {
        if s.id.trim().is_empty() || s.name.trim().is_empty() {
            return Err(invalid("a site needs an id and a name".to_owned()));
        }
        finite(s.lat, "site latitude")?;
        finite(s.lon, "site longitude")?;
        finite(s.limit_ug_m3, "site limit")?;
        self.write(|c| {
            if !c
                .query("SELECT 1 FROM sites WHERE id = $1", &[s.id.as_str().into()])?
                .is_empty()
            {
                return Err(StoreError::Conflict {
                    what: format!("site {}", s.id),
                });
            }
            c.exec(
                &format!(
                    "INSERT INTO sites ({SITE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
                     $9, $10, $11, $12, $13, $14)"
                ),
                &[
                    s.id.as_str().into(),
                    s.name.as_str().into(),
                    s.kind.as_str().into(),
                    s.township.clone().map_or(Val::Null, Val::from),
                    s.department.clone().map_or(Val::Null, Val::from),
                    s.lat.into(),
                    s.lon.into(),
                    s.owner.as_str().into(),
                    s.monitor_station_id.clone().map_or(Val::Null, Val::from),
                    s.monitor_code.as_str().into(),
                    s.limit_ug_m3.into(),
                    i64::from(s.excess_hours_min).into(),
                    s.actor.as_str().into(),
                    s.created_ms.into(),
                ],
            )?;
            Ok(())
        })
    }

    /// Every site, by id.
    pub fn sites(&self) -> Result<Vec<SiteRow>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                &format!("SELECT {SITE_COLUMNS} FROM sites ORDER BY id"),
                &[],
            )
        })?;
        rows.iter().map(site_row).collect()
    }

    pub fn site(&self, id: &str) -> Result<Option<SiteRow>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                &format!("SELECT {SITE_COLUMNS} FROM sites WHERE id = $1"),
                &[id.into()],
            )
        })?;
        rows.first().map(site_row).transpose()
    }

    /// Records episode `e` of a site unless it overlaps or directly continues a recorded
    /// one, which is then extended to cover it (its first hour stays). One transaction, so
    /// two scans of the same hours record the episode once.
    pub fn claim_site_episode(
        &self,
        site_id: &str,
        e: &Episode,
        now_ms: i64,
    ) -> Result<EpisodeClaim, StoreError> {
        finite(e.peak, "episode peak")?;
        self.write(|c| {
            require_site(c, site_id)?;
            let known = c.query(
                &format!(
                    "SELECT {EPISODE_COLUMNS} FROM site_episodes WHERE site_id = $1 \
                     AND last_hour_ts >= $2 AND first_hour_ts <= $3 ORDER BY first_hour_ts"
                ),
                &[
                    site_id.into(),
                    (e.first_ts - HOUR_S).into(),
                    (e.last_ts + HOUR_S).into(),
                ],
            )?;
            if let Some(r) = known.first() {
                let mut k = episode_row(r);
                let last = k.last_hour_ts.max(e.last_ts);
                let first = k.first_hour_ts.min(e.first_ts);
                let peak = k.peak_ug_m3.max(e.peak);
                c.exec(
                    "UPDATE site_episodes SET first_hour_ts = $2, last_hour_ts = $3, \
                     peak_ug_m3 = $4 WHERE id = $1",
                    &[k.id.into(), first.into(), last.into(), peak.into()],
                )?;
                k.first_hour_ts = first;
                k.last_hour_ts = last;
                k.peak_ug_m3 = peak;
                return Ok(EpisodeClaim::Known(k));
            }
            let id = new_id(
                c.query(
                    "INSERT INTO site_episodes (site_id, first_hour_ts, last_hour_ts, \
                     peak_ug_m3, created_ms) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    &[
                        site_id.into(),
                        e.first_ts.into(),
                        e.last_ts.into(),
                        e.peak.into(),
                        now_ms.into(),
                    ],
                )?,
                "site_episodes",
            )?;
            Ok(EpisodeClaim::New(id))
        })
    }

    /// Links an episode to the task made of it.
    pub fn set_site_episode_task(&self, episode_id: i64, task_id: i64) -> Result<(), StoreError> {
        self.write(|c| {
            c.exec(
                "UPDATE site_episodes SET task_id = $2 WHERE id = $1",
                &[episode_id.into(), task_id.into()],
            )?;
            Ok(())
        })
    }

    /// The episodes of one site (or of all), latest first.
    pub fn site_episodes(&self, site_id: Option<&str>) -> Result<Vec<EpisodeRow>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                &format!(
                    "SELECT {EPISODE_COLUMNS} FROM site_episodes WHERE ($1 = '' OR site_id = $1) \
                     ORDER BY first_hour_ts DESC, id DESC"
                ),
                &[site_id.unwrap_or("").into()],
            )
        })?;
        Ok(rows.iter().map(episode_row).collect())
    }

    /// Records months of dustfall, all or nothing (a site that is not registered: nothing);
    /// returns their ids.
    pub fn add_dustfall(&self, rows: &[DustfallRow]) -> Result<Vec<i64>, StoreError> {
        for r in rows {
            if !r.value_t_km2.is_finite() || r.value_t_km2 < 0.0 {
                return Err(invalid(format!(
                    "dustfall of {} in {}: {} is not a non-negative number",
                    r.site_id, r.month, r.value_t_km2
                )));
            }
        }
        self.write(|c| {
            let mut ids = Vec::with_capacity(rows.len());
            for r in rows {
                require_site(c, &r.site_id)?;
                ids.push(new_id(
                    c.query(
                        "INSERT INTO site_dustfall (site_id, month, value_t_km2, actor, at_ms, \
                         note) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                        &[
                            r.site_id.as_str().into(),
                            r.month.to_string().into(),
                            r.value_t_km2.into(),
                            r.actor.as_str().into(),
                            r.at_ms.into(),
                            r.note.as_str().into(),
                        ],
                    )?,
                    "site_dustfall",
                )?);
            }
            Ok(ids)
        })
    }

    /// Every dustfall entry of a month (or all months) and a site (or all), oldest first: a
    /// later entry of the same site and month supersedes an earlier one.
    pub fn dustfall(
        &self,
        month: Option<Month>,
        site_id: Option<&str>,
    ) -> Result<Vec<DustfallRow>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT id, site_id, month, value_t_km2, actor, at_ms, note FROM site_dustfall \
                 WHERE ($1 = '' OR month = $1) AND ($2 = '' OR site_id = $2) ORDER BY id",
                &[
                    month.map(|m| m.to_string()).unwrap_or_default().into(),
                    site_id.unwrap_or("").into(),
                ],
            )
        })?;
        rows.iter().map(dustfall_row).collect()
    }

    /// Records an inspection; returns its id.
    pub fn add_site_inspection(&self, r: &InspectionRow) -> Result<i64, StoreError> {
        let items = serde_json::to_string(&r.items)
            .map_err(|e| invalid(format!("inspection items: {e}")))?;
        self.write(|c| {
            require_site(c, &r.site_id)?;
            new_id(
                c.query(
                    "INSERT INTO site_inspections (site_id, date, items, passed, note, actor, \
                     at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    &[
                        r.site_id.as_str().into(),
                        r.date.to_string().into(),
                        items.as_str().into(),
                        i64::from(r.passed).into(),
                        r.note.as_str().into(),
                        r.actor.as_str().into(),
                        r.at_ms.into(),
                    ],
                )?,
                "site_inspections",
            )
        })
    }

    /// The inspections of a site (or of all), latest first.
    pub fn site_inspections(
        &self,
        site_id: Option<&str>,
    ) -> Result<Vec<InspectionRow>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT id, site_id, date, items, passed, note, actor, at_ms FROM \
                 site_inspections WHERE ($1 = '' OR site_id = $1) ORDER BY date DESC, id DESC",
                &[site_id.unwrap_or("").into()],
            )
        })?;
        rows.iter().map(inspection_row).collect()
    }

    /// Registers a machine; a code already registered is a conflict, an unknown site is
    /// not found.
    pub fn add_machine(&self, m: &MachineRow) -> Result<(), StoreError> {
        if m.code.trim().is_empty() || m.owner.trim().is_empty() || m.kind.trim().is_empty() {
            return Err(invalid(
                "a machine needs its registration code, owner and type".to_owned(),
            ));
        }
        if let Some(kw) = m.engine_kw {
            finite(kw, "engine power")?;
        }
        self.write(|c| {
            if !c
                .query(
                    "SELECT 1 FROM machinery WHERE code = $1",
                    &[m.code.as_str().into()],
                )?
                .is_empty()
            {
                return Err(StoreError::Conflict {
                    what: format!("machine {}", m.code),
                });
            }
            if let Some(s) = &m.site_id {
                require_site(c, s)?;
            }
            c.exec(
                &format!(
                    "INSERT INTO machinery ({MACHINE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, \
                     $7, $8, $9)"
                ),
                &[
                    m.code.as_str().into(),
                    m.owner.as_str().into(),
                    m.kind.as_str().into(),
                    m.stage.as_str().into(),
                    m.engine_kw.map_or(Val::Null, Val::from),
                    m.site_id.clone().map_or(Val::Null, Val::from),
                    m.registered.to_string().into(),
                    m.actor.as_str().into(),
                    m.at_ms.into(),
                ],
            )?;
            Ok(())
        })
    }

    /// The machinery register, by code.
    pub fn machinery(&self) -> Result<Vec<MachineRow>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                &format!("SELECT {MACHINE_COLUMNS} FROM machinery ORDER BY code"),
                &[],
            )
        })?;
        rows.iter().map(machine_row).collect()
    }

    pub fn machine(&self, code: &str) -> Result<Option<MachineRow>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                &format!("SELECT {MACHINE_COLUMNS} FROM machinery WHERE code = $1"),
                &[code.into()],
            )
        })?;
        rows.first().map(machine_row).transpose()
    }

    /// Records an inspection of a registered machine; returns its id.
    pub fn add_machine_inspection(&self, r: &MachineInspectionRow) -> Result<i64, StoreError> {
        if let Some(o) = r.opacity_m1 {
            finite(o, "smoke opacity")?;
        }
        self.write(|c| {
            if c.query(
                "SELECT 1 FROM machinery WHERE code = $1",
                &[r.code.as_str().into()],
            )?
            .is_empty()
            {
                return Err(StoreError::NotFound {
                    what: format!("machine {}", r.code),
                });
            }
            new_id(
                c.query(
                    "INSERT INTO machinery_inspections (code, date, result, opacity_m1, note, \
                     actor, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    &[
                        r.code.as_str().into(),
                        r.date.to_string().into(),
                        if r.passed { "pass" } else { "fail" }.into(),
                        r.opacity_m1.map_or(Val::Null, Val::from),
                        r.note.as_str().into(),
                        r.actor.as_str().into(),
                        r.at_ms.into(),
                    ],
                )?,
                "machinery_inspections",
            )
        })
    }

    /// The inspections of a machine (or of all), latest first.
    pub fn machine_inspections(
        &self,
        code: Option<&str>,
    ) -> Result<Vec<MachineInspectionRow>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT id, code, date, result, opacity_m1, note, actor, at_ms FROM \
                 machinery_inspections WHERE ($1 = '' OR code = $1) ORDER BY date DESC, id DESC",
                &[code.unwrap_or("").into()],
            )
        })?;
        rows.iter().map(machine_inspection_row).collect()
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::Location;
    use crate::testing::{PgDb, pg_url};

    fn site(id: &str) -> SiteRow {
        SiteRow {
            id: id.to_owned(),
            name: format!("{id} 工地"),
            kind: SiteKind::Road,
            township: Some("wangkou".to_owned()),
            department: None,
            lat: 37.99,
            lon: 115.4,
            owner: String::new(),
            monitor_station_id: Some("DUST-1".to_owned()),
            monitor_code: "a34002".to_owned(),
            limit_ug_m3: 150.0,
            excess_hours_min: 3,
            actor: "b".to_owned(),
            created_ms: 1,
        }
    }

    fn episode(first_h: i64, last_h: i64, peak: f64) -> Episode {
        Episode {
            first_ts: first_h * HOUR_S,
            last_ts: last_h * HOUR_S,
            n_hours: (last_h - first_h + 1) as u32,
            peak,
        }
    }

    /// The same story on either backend.
    fn story(s: &Store) {
        s.add_site(&site("GD-1")).unwrap();
        assert!(matches!(
            s.add_site(&site("GD-1")),
            Err(StoreError::Conflict { .. })
        ));
        assert_eq!(s.site("GD-1").unwrap().unwrap(), site("GD-1"));
        // An episode, the same one again, a continuation, and a separate later one.
        let EpisodeClaim::New(id) = s
            .claim_site_episode("GD-1", &episode(10, 12, 200.0), 5)
            .unwrap()
        else {
            panic!("a new episode")
        };
        s.set_site_episode_task(id, 77).unwrap();
        let again = s
            .claim_site_episode("GD-1", &episode(10, 12, 200.0), 6)
            .unwrap();
        assert!(matches!(&again, EpisodeClaim::Known(k) if k.id == id && k.task_id == Some(77)));
        // Hours 13–15 continue 10–12: the recorded episode grows, no new one.
        let grown = s
            .claim_site_episode("GD-1", &episode(13, 15, 260.0), 7)
            .unwrap();
        let EpisodeClaim::Known(k) = grown else {
            panic!("a continuation")
        };
        assert_eq!(
            (k.first_hour_ts, k.last_hour_ts, k.peak_ug_m3),
            (10 * HOUR_S, 15 * HOUR_S, 260.0)
        );
        assert!(matches!(
            s.claim_site_episode("GD-1", &episode(17, 19, 180.0), 8)
                .unwrap(),
            EpisodeClaim::New(_)
        ));
        assert_eq!(s.site_episodes(Some("GD-1")).unwrap().len(), 2);
        // Dustfall: all or nothing.
        let df = |site: &str, v: f64| DustfallRow {
            id: 0,
            site_id: site.to_owned(),
            month: Month::parse("2026-10").unwrap(),
            value_t_km2: v,
            actor: "b".to_owned(),
            at_ms: 1,
            note: String::new(),
        };
        assert!(matches!(
            s.add_dustfall(&[df("GD-1", 6.0), df("NOPE", 1.0)]),
            Err(StoreError::NotFound { .. })
        ));
        assert!(s.dustfall(None, None).unwrap().is_empty());
        s.add_dustfall(&[df("GD-1", 6.0), df("GD-1", 4.0)]).unwrap();
        let rows = s.dustfall(Month::parse("2026-10"), Some("GD-1")).unwrap();
        assert_eq!(
            rows.iter().map(|r| r.value_t_km2).collect::<Vec<_>>(),
            vec![6.0, 4.0]
        );
        assert!(
            s.dustfall(Month::parse("2026-09"), None)
                .unwrap()
                .is_empty()
        );
        // An inspection's items come back as written.
        let items = vec![
            CheckRow {
                item: CheckItem::Hoarding,
                ok: true,
                note: String::new(),
            },
            CheckRow {
                item: CheckItem::Covering,
                ok: false,
                note: "未覆盖".to_owned(),
            },
        ];
        let i = InspectionRow {
            id: 0,
            site_id: "GD-1".to_owned(),
            date: Date::parse("2026-11-02").unwrap(),
            items: items.clone(),
            passed: false,
            note: String::new(),
            actor: "b".to_owned(),
            at_ms: 1,
        };
        let iid = s.add_site_inspection(&i).unwrap();
        let got = s.site_inspections(Some("GD-1")).unwrap();
        assert_eq!(got, vec![InspectionRow { id: iid, ..i }]);
        // Machinery and its inspections.
        let m = MachineRow {
            code: "M-1".to_owned(),
            owner: "o".to_owned(),
            kind: "挖掘机".to_owned(),
            stage: Stage::Cn3,
            engine_kw: Some(92.0),
            site_id: Some("GD-1".to_owned()),
            registered: Date::parse("2026-01-05").unwrap(),
            actor: "b".to_owned(),
            at_ms: 1,
        };
        s.add_machine(&m).unwrap();
        assert!(matches!(
            s.add_machine(&m),
            Err(StoreError::Conflict { .. })
        ));
        assert!(matches!(
            s.add_machine(&MachineRow {
                code: "M-2".to_owned(),
                site_id: Some("NOPE".to_owned()),
                ..m.clone()
            }),
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(s.machinery().unwrap(), vec![m.clone()]);
        let mi = MachineInspectionRow {
            id: 0,
            code: "M-1".to_owned(),
            date: Date::parse("2026-11-03").unwrap(),
            passed: false,
            opacity_m1: Some(1.2),
            note: String::new(),
            actor: "b".to_owned(),
            at_ms: 1,
        };
        let mid = s.add_machine_inspection(&mi).unwrap();
        assert_eq!(
            s.machine_inspections(Some("M-1")).unwrap(),
            vec![MachineInspectionRow { id: mid, ..mi }]
        );
    }

    #[test]
    fn sites_episodes_dustfall_inspections_and_machinery_round_trip_on_both_backends() {
        let dir = std::env::temp_dir().join(format!("lantian-sites-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        story(&Store::open_data_dir(&dir).unwrap());
        let _ = std::fs::remove_dir_all(&dir);
        if let Some(base) = pg_url() {
            let db = PgDb::create(&base, "sites");
            story(&Store::open(&Location::Postgres(db.url.clone())).unwrap());
        }
    }
}
