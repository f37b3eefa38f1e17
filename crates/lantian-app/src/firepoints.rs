//! Satellite fire points (卫星火点) as grid tasks: a FIRMS file read, each point located in
//! its township, merged into the task of the same fire on an earlier pass, or dispatched as
//! a new task; the burning-season daily summary; and the county's township boundaries read
//! from GeoJSON for point-in-polygon ([`lantian_core::grid::geo`]).
//!
//! Every point read is recorded (with what became of it) under the store setting
//! `firepoints:YYYY-MM-DD` of its Beijing date, a JSON list: importing the same file again
//! gives the same answers and creates nothing, and the summary counts points, tasks and
//! merges per day and township from them.

use crate::tasks::{self, NewTask};
use crate::{App, AppError, AppResult};
use lantian_core::cst;
use lantian_core::date::Date;
use lantian_core::grid::fire::{self, MergeRule, Seen};
use lantian_core::grid::geo::{Boundaries, Located, Polygon, Ring};
use lantian_core::grid::task::{Source, State};
use lantian_formats::Diagnostics;
use lantian_formats::firepoints::{self as format, FirePoint, Layout};
use lantian_store::tasks::TaskFilter;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

/// Prefix of the store settings holding one Beijing day's fire points.
pub const DAY_SETTING_PREFIX: &str = "firepoints:";
/// Most points one file may hold.
pub const FILE_POINTS_MAX: usize = 100_000;
/// Longest summary, days.
pub const SUMMARY_DAYS_MAX: i64 = 366;

/// What became of one fire point, as recorded and as `lantian task import-firepoints` prints.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FireOutcome {
    /// Satellite, overpass time and position: the same detection read twice has the same key.
    pub key: String,
    /// The line of the file.
    pub line: u64,
    pub lat: f64,
    pub lon: f64,
    /// The overpass, Unix seconds.
    pub acquired_unix_s: i64,
    /// The overpass, `YYYY-MM-DD HH:MM 北京时间`.
    pub acquired: String,
    pub satellite: String,
    pub instrument: String,
    /// `l`/`n`/`h` (VIIRS) or a percentage (MODIS).
    pub confidence: String,
    pub frp_mw: Option<f64>,
    /// The township (unit id) the point lies in.
    pub township: Option<String>,
    pub outside_county: bool,
    /// The task created for it.
    pub task: Option<i64>,
    /// The task of the same fire it was merged into.
    pub duplicate_of: Option<i64>,
    /// Why no task (outside the county, or refused), Chinese / English.
    pub reason: Option<String>,
    /// Already imported before (this answer is the earlier one).
    #[serde(default)]
    pub repeat: bool,
}

/// A file's import.
#[derive(Clone, Debug, Serialize)]
pub struct FireImport {
    pub layout: &'static str,
    pub dry_run: bool,
    pub points: Vec<FireOutcome>,
    /// Rows that could not be read (line, field, reason).
    pub diagnostics: Diagnostics,
    pub tasks_created: usize,
    pub merged: usize,
    pub outside: usize,
}

/// One day and township of the burning-season summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FireDay {
    /// `YYYY-MM-DD`, Beijing date of the overpass.
    pub date: String,
    /// The township's unit id; `None` for points outside the county.
    pub township: Option<String>,
    pub township_name: Option<String>,
    pub points: u64,
    /// Tasks created from them.
    pub tasks: u64,
    /// Points merged into a task of an earlier point.
    pub merged: u64,
}

/// Reads a GeoJSON FeatureCollection of units (each feature's `properties.id` a unit id;
/// geometry Polygon or MultiPolygon, holes kept) into prepared [`Boundaries`]. The core has
/// no JSON parser, so this is the `from_geojson` of the shared plan.
pub fn boundaries_from_geojson(text: &str) -> Result<Boundaries, String> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| format!("boundaries GeoJSON: not JSON: {e}"))?;
    if v.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err("boundaries GeoJSON: expected a FeatureCollection".to_owned());
    }
    let features = v
        .get("features")
        .and_then(Value::as_array)
        .ok_or("boundaries GeoJSON: the FeatureCollection has no `features` array")?;
    let mut units = Vec::with_capacity(features.len());
    for (i, f) in features.iter().enumerate() {
        let at = format!("boundaries GeoJSON: feature {}", i + 1);
        let id = match f.pointer("/properties/id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(format!("{at}: no `properties.id` (the unit id)")),
        };
        let at = format!("{at} ({id})");
        let geometry = f
            .get("geometry")
            .ok_or_else(|| format!("{at}: no geometry"))?;
        let kind = geometry.get("type").and_then(Value::as_str).unwrap_or("");
        let coords = geometry
            .get("coordinates")
            .ok_or_else(|| format!("{at}: the geometry has no coordinates"))?;
        let polygons = match kind {
            "Polygon" => vec![polygon(coords).map_err(|e| format!("{at}: {e}"))?],
            "MultiPolygon" => coords
                .as_array()
                .ok_or_else(|| format!("{at}: MultiPolygon coordinates are not an array"))?
                .iter()
                .enumerate()
                .map(|(k, p)| polygon(p).map_err(|e| format!("{at}, polygon {}: {e}", k + 1)))
                .collect::<Result<Vec<_>, _>>()?,
            other => {
                return Err(format!(
                    "{at}: geometry type {other:?}; expected Polygon or MultiPolygon"
                ));
            }
        };
        units.push((id, polygons));
    }
    Boundaries::new(units)
}

fn polygon(v: &Value) -> Result<Polygon, String> {
    let rings = v
        .as_array()
        .ok_or("polygon coordinates are not an array of rings")?;
    let mut rings = rings
        .iter()
        .enumerate()
        .map(|(i, r)| ring(r).map_err(|e| format!("ring {}: {e}", i + 1)));
    let outer = rings.next().ok_or("a polygon with no ring")??;
    let holes = rings.collect::<Result<Vec<_>, _>>()?;
    Ok(Polygon { outer, holes })
}

fn ring(v: &Value) -> Result<Ring, String> {
    v.as_array()
        .ok_or("a ring is not an array of positions")?
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let lon = p.get(0).and_then(Value::as_f64);
            let lat = p.get(1).and_then(Value::as_f64);
            match (lon, lat) {
                (Some(lon), Some(lat)) => Ok([lon, lat]),
                _ => Err(format!("position {} is not [lon, lat]: {p}", i + 1)),
            }
        })
        .collect()
}

/// The last boundaries prepared, keyed by their text, so that a batch does not re-read them.
static PREPARED: Mutex<Option<(String, Arc<Boundaries>)>> = Mutex::new(None);

/// The county's boundaries: `DATA_DIR/boundaries.geojson` when an administrator put one
/// there, else the county profile's (as the map page shows them). Prepared once per text.
pub fn county_boundaries(app: &App) -> AppResult<Arc<Boundaries>> {
    let custom = app
        .data_dir
        .as_ref()
        .map(|d| d.join("boundaries.geojson"))
        .filter(|p| p.is_file());
    let text = match &custom {
        Some(p) => std::fs::read_to_string(p)
            .map_err(|e| AppError::Internal(format!("reading {}: {e}", p.display())))?,
        None => app.county.boundaries_geojson.clone(),
    };
    let mut cache = PREPARED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((t, b)) = cache.as_ref()
        && *t == text
    {
        return Ok(b.clone());
    }
    let b = Arc::new(boundaries_from_geojson(&text).map_err(|e| {
        let source = custom
            .as_ref()
            .map_or("the county profile".to_owned(), |p| p.display().to_string());
        AppError::Internal(format!("township boundaries of {source}: {e}"))
    })?);
    *cache = Some((text, b.clone()));
    Ok(b)
}

fn day_key(d: Date) -> String {
    format!("{DAY_SETTING_PREFIX}{d}")
}

fn date_of_unix_s(unix_s: i64) -> Date {
    cst::date_of(unix_s + cst::OFFSET_S)
}

fn load_day(app: &App, d: Date) -> AppResult<Vec<FireOutcome>> {
    match app.store.setting(&day_key(d))? {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            AppError::Internal(format!(
                "store setting {}: not a list of fire points: {e}",
                day_key(d)
            ))
        }),
    }
}

fn point_key(p: &FirePoint) -> String {
    format!(
        "{}|{}|{}|{:.5}|{:.5}",
        p.instrument, p.satellite, p.acquired_unix_s, p.lat, p.lon
    )
}

/// Reads a FIRMS file (VIIRS or MODIS layout) and turns each point into a task of its
/// township, merged into the task of the same fire when one exists
/// ([`lantian_core::grid::fire`]'s rule), or refused when outside the county. With
/// `dry_run`, nothing is created or recorded (points merging into one another within the
/// file then have no task id to name). Run by the system (an import): tasks are audited as
/// `system`, and so is the record of the file's points.
pub fn import_firepoints(
    app: &App,
    bytes: &[u8],
    file: &str,
    dry_run: bool,
) -> AppResult<FireImport> {
    let mut diagnostics = Diagnostics::default();
    let (layout, points) = format::read(bytes, file, &mut diagnostics).map_err(|e| {
        AppError::BadRequest(format!(
            "火点文件无法读取 / the fire-point file cannot be read: {e}"
        ))
    })?;
    if points.len() > FILE_POINTS_MAX {
        return Err(AppError::BadRequest(format!(
            "{file}: {} 个火点，超过上限 {FILE_POINTS_MAX} / {} points, more than {FILE_POINTS_MAX}",
            points.len(),
            points.len()
        )));
    }
    let rule = MergeRule::default();
    let boundaries = county_boundaries(app)?;

    // Records of the days the file touches, widened by the merge window.
    let mut days: BTreeMap<Date, Vec<FireOutcome>> = BTreeMap::new();
    if let (Some(lo), Some(hi)) = (
        points.iter().map(|p| p.acquired_unix_s).min(),
        points.iter().map(|p| p.acquired_unix_s).max(),
    ) {
        let (first, last) = (
            date_of_unix_s(lo - rule.window_s),
            date_of_unix_s(hi + rule.window_s),
        );
        let mut d = first;
        while d <= last {
            days.insert(d, load_day(app, d)?);
            d = d.add_days(1);
        }
    }
    let known: HashMap<String, FireOutcome> = days
        .values()
        .flatten()
        .map(|o| (o.key.clone(), o.clone()))
        .collect();

    // The fires already seen: fire-point tasks, and the points merged into them.
    let task_rows = app.store.tasks(&TaskFilter {
        source: Some(Source::FirePoint),
        ..TaskFilter::default()
    })?;
    let approved: HashMap<i64, bool> = task_rows
        .iter()
        .map(|t| (t.id, t.state == State::Approved))
        .collect();
    let mut seen: Vec<Seen> = task_rows
        .iter()
        .map(|t| Seen {
            task: t.id,
            lat: t.lat,
            lon: t.lon,
            at_unix_s: t.occurred_ms.div_euclid(1000),
            approved: t.state == State::Approved,
        })
        .collect();
    for o in days.values().flatten() {
        if let Some(task) = o.duplicate_of {
            seen.push(Seen {
                task,
                lat: o.lat,
                lon: o.lon,
                at_unix_s: o.acquired_unix_s,
                approved: approved.get(&task).copied().unwrap_or(false),
            });
        }
    }

    let mut out = Vec::with_capacity(points.len());
    let mut placeholder = 0i64;
    for p in &points {
        let key = point_key(p);
        if let Some(before) = known.get(&key) {
            out.push(FireOutcome {
                line: p.line,
                repeat: true,
                ..before.clone()
            });
            continue;
        }
        let acquired = format!(
            "{} 北京时间",
            cst::format_minute(p.acquired_unix_s + cst::OFFSET_S)
        );
        let mut o = FireOutcome {
            key: key.clone(),
            line: p.line,
            lat: p.lat,
            lon: p.lon,
            acquired_unix_s: p.acquired_unix_s,
            acquired: acquired.clone(),
            satellite: p.satellite.clone(),
            instrument: p.instrument.clone(),
            confidence: p.confidence.as_text(),
            frp_mw: p.frp_mw,
            township: None,
            outside_county: false,
            task: None,
            duplicate_of: None,
            reason: None,
            repeat: false,
        };
        match boundaries.locate(p.lat, p.lon) {
            Located::Outside {
                nearest_unit,
                distance_km,
            } => {
                o.outside_county = true;
                o.reason = Some(match nearest_unit {
                    Some(u) => format!(
                        "在县域以外，距最近的乡镇 {u} {distance_km:.1} 公里 / outside the county, {distance_km:.1} km from the nearest township, {u}"
                    ),
                    None => "在县域以外 / outside the county".to_owned(),
                });
            }
            Located::Inside { unit } | Located::Border { unit, .. } => {
                o.township = Some(unit);
                if let Some(task) =
                    fire::merge_target(&rule, p.lat, p.lon, p.acquired_unix_s, &seen)
                {
                    o.duplicate_of = (task > 0).then_some(task);
                    seen.push(Seen {
                        task,
                        lat: p.lat,
                        lon: p.lon,
                        at_unix_s: p.acquired_unix_s,
                        approved: false,
                    });
                } else if dry_run {
                    placeholder -= 1;
                    seen.push(Seen {
                        task: placeholder,
                        lat: p.lat,
                        lon: p.lon,
                        at_unix_s: p.acquired_unix_s,
                        approved: false,
                    });
                } else {
                    match tasks::create_system(app, new_task(p, &acquired, file, key)) {
                        Ok(v) => {
                            o.task = Some(v.id);
                            o.township = v.township.clone().or(o.township);
                            seen.push(Seen {
                                task: v.id,
                                lat: p.lat,
                                lon: p.lon,
                                at_unix_s: p.acquired_unix_s,
                                approved: false,
                            });
                        }
                        Err(AppError::BadRequest(why)) => o.reason = Some(why),
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        out.push(o);
    }

    let fresh: Vec<&FireOutcome> = out.iter().filter(|o| !o.repeat).collect();
    if !dry_run && !fresh.is_empty() {
        for o in &fresh {
            days.entry(date_of_unix_s(o.acquired_unix_s))
                .or_default()
                .push((*o).clone());
        }
        let touched: Vec<Date> = fresh
            .iter()
            .map(|o| date_of_unix_s(o.acquired_unix_s))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let row = lantian_store::AuditRow {
            at_ms: app.clock.now_ms(),
            actor: tasks::SYSTEM_ACTOR.to_owned(),
            action: "firepoints.import".to_owned(),
            object: file.to_owned(),
            detail: format!(
                "{} points: {} tasks, {} merged, {} outside the county",
                fresh.len(),
                fresh.iter().filter(|o| o.task.is_some()).count(),
                fresh.iter().filter(|o| o.duplicate_of.is_some()).count(),
                fresh.iter().filter(|o| o.outside_county).count()
            ),
            source: tasks::SYSTEM_ACTOR.to_owned(),
        };
        app.store.audited(row, || -> AppResult<()> {
            for d in touched {
                let json = serde_json::to_string(&days[&d])
                    .map_err(|e| AppError::Internal(format!("fire points of {d}: {e}")))?;
                app.store.set_setting(&day_key(d), &json)?;
            }
            Ok(())
        })?;
    }
    Ok(FireImport {
        layout: match layout {
            Layout::Viirs => "viirs",
            Layout::Modis => "modis",
            Layout::Other => "other",
        },
        dry_run,
        tasks_created: out.iter().filter(|o| o.task.is_some() && !o.repeat).count(),
        merged: out
            .iter()
            .filter(|o| o.duplicate_of.is_some() && !o.repeat)
            .count(),
        outside: out.iter().filter(|o| o.outside_county).count(),
        points: out,
        diagnostics,
    })
}

fn new_task(p: &FirePoint, acquired: &str, file: &str, key: String) -> NewTask {
    let sat = [p.instrument.as_str(), p.satellite.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let frp = p
        .frp_mw
        .map(|f| format!("，FRP {f} MW"))
        .unwrap_or_default();
    let frp_en = p
        .frp_mw
        .map(|f| format!(", FRP {f} MW"))
        .unwrap_or_default();
    let conf = p.confidence.as_text();
    NewTask {
        source: Source::FirePoint,
        title: format!("卫星火点 / satellite fire point {acquired}"),
        detail: format!(
            "{sat} 过境 {acquired}，置信度 {conf}{frp}；文件 {file} 第 {} 行 / {sat} overpass {acquired}, confidence {conf}{frp_en}; file {file}, line {}",
            p.line, p.line
        ),
        lat: p.lat,
        lon: p.lon,
        occurred_ms: p.acquired_unix_s * 1000,
        source_ref: Some(key),
        assignee: None,
    }
}

/// The burning-season daily summary: per Beijing day in `from..=to` and township, the fire
/// points seen, the tasks created and the points merged (outside the county: township
/// `None`).
pub fn fire_summary(app: &App, from: Date, to: Date) -> AppResult<Vec<FireDay>> {
    let span = to.days_since_epoch() - from.days_since_epoch();
    if !(0..SUMMARY_DAYS_MAX).contains(&span) {
        return Err(AppError::BadRequest(format!(
            "日期范围 {from} … {to} 须为 1 至 {SUMMARY_DAYS_MAX} 天 / the range {from} … {to} must be 1 to {SUMMARY_DAYS_MAX} days"
        )));
    }
    let mut out = Vec::new();
    let mut d = from;
    while d <= to {
        let mut by: BTreeMap<Option<String>, (u64, u64, u64)> = BTreeMap::new();
        for o in load_day(app, d)? {
            let e = by.entry(o.township.clone()).or_default();
            e.0 += 1;
            e.1 += u64::from(o.task.is_some());
            e.2 += u64::from(o.duplicate_of.is_some());
        }
        for (township, (points, tasks, merged)) in by {
            let township_name = township.as_deref().and_then(|u| {
                app.county
                    .units
                    .iter()
                    .find(|x| x.id == u)
                    .map(|x| x.name_zh.clone())
            });
            out.push(FireDay {
                date: d.to_string(),
                township,
                township_name,
                points,
                tasks,
                merged,
            });
        }
        d = d.add_days(1);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::County;

    #[test]
    fn every_township_seat_of_xinji_lies_in_its_own_boundary() {
        let county = County::xinji();
        let b = boundaries_from_geojson(&county.boundaries_geojson).unwrap();
        let ids: Vec<&str> = b.unit_ids().collect();
        assert_eq!(ids.len(), 16);
        for u in &county.units {
            let (Some(lat), Some(lon)) = (u.lat, u.lon) else {
                continue;
            };
            assert!(ids.contains(&u.id.as_str()), "{} has no boundary", u.id);
            assert_eq!(b.locate(lat, lon).unit(), Some(u.id.as_str()), "{}", u.id);
        }
    }

    #[test]
    fn bad_geojson_is_refused_naming_the_feature_and_why() {
        let square = "[[[115,38],[115.1,38],[115.1,38.1],[115,38]]]";
        let cases = [
            ("[]".to_owned(), "expected a FeatureCollection"),
            (
                r#"{"type":"FeatureCollection"}"#.to_owned(),
                "no `features` array",
            ),
            (
                format!(
                    r#"{{"type":"FeatureCollection","features":[{{"properties":{{}},"geometry":{{"type":"Polygon","coordinates":{square}}}}}]}}"#
                ),
                "feature 1: no `properties.id`",
            ),
            (
                r#"{"type":"FeatureCollection","features":[{"properties":{"id":"a"},"geometry":{"type":"Point","coordinates":[1,2]}}]}"#.to_owned(),
                "feature 1 (a): geometry type \"Point\"",
            ),
            (
                r#"{"type":"FeatureCollection","features":[{"properties":{"id":"a"},"geometry":{"type":"Polygon","coordinates":[[[1,2],[3]]]}}]}"#.to_owned(),
                "ring 1: position 2 is not [lon, lat]",
            ),
        ];
        for (text, want) in cases {
            let err = boundaries_from_geojson(&text).unwrap_err();
            assert!(err.contains(want), "{err:?} should contain {want:?}");
        }
        // A MultiPolygon with a hole is read.
        let multi = format!(
            r#"{{"type":"FeatureCollection","features":[{{"properties":{{"id":"a"}},"geometry":{{"type":"MultiPolygon","coordinates":[[[[115,38],[116,38],[116,39],[115,39],[115,38]],[[115.4,38.4],[115.6,38.4],[115.6,38.6],[115.4,38.6],[115.4,38.4]]],{square}]}}}}]}}"#
        );
        let b = boundaries_from_geojson(&multi).unwrap();
        assert_eq!(b.locate(38.2, 115.2).unit(), Some("a"));
        assert_eq!(b.locate(38.5, 115.5).unit(), None, "in the hole");
    }
}
