//! A county as data: its towns, townships and zone, its departments, the measures of its
//! plan, its township boundaries, its targets and the titles of its reports. Xinji's profile
//! is shipped and is the default; `lantian county init DIR` writes it out as editable files
//! and `lantian serve --county DIR` loads another county's. The format is in
//! `docs/county.md`.

use crate::error::{AppError, AppResult};
use lantian_core::ledger::{Measure, from_tsv};
use lantian_core::org::UnitKind;
use lantian_store::ledger::MeasureRow;
use lantian_store::{AdminUnit, Store};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The files of a profile, as text (what `lantian county init` writes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Files {
    pub county_json: String,
    pub units_csv: String,
    pub departments_csv: String,
    pub measures_tsv: String,
    pub boundaries_geojson: String,
    /// Optional: the ledger's county data (plan end, unit aliases, milestones, deadlines
    /// from the plan's body, the townships' share); `{}` when absent.
    pub ledger_json: String,
    /// Optional: targets per year, unit and indicator; empty when absent.
    pub targets_csv: String,
}

/// The file names of a profile directory, in the order of [`Files`].
pub const FILE_NAMES: [&str; 7] = [
    "county.json",
    "units.csv",
    "departments.csv",
    "measures.tsv",
    "boundaries.geojson",
    "ledger.json",
    "targets.csv",
];

impl Files {
    /// Xinji's profile, shipped in the binary.
    pub fn xinji() -> Files {
        Files {
            county_json: include_str!("../county/xinji/county.json").to_owned(),
            units_csv: include_str!("../county/xinji/units.csv").to_owned(),
            departments_csv: include_str!("../county/xinji/departments.csv").to_owned(),
            measures_tsv: include_str!("../county/xinji/measures.tsv").to_owned(),
            boundaries_geojson: include_str!("../county/xinji/boundaries.geojson").to_owned(),
            ledger_json: include_str!("../county/xinji/ledger.json").to_owned(),
            targets_csv: include_str!("../county/xinji/targets.csv").to_owned(),
        }
    }

    /// Reads the files of a profile directory (the optional ones default when absent).
    pub fn read(dir: &Path) -> AppResult<Files> {
        let optional = |name: &str, absent: &str| {
            let p = dir.join(name);
            if p.exists() {
                std::fs::read_to_string(&p)
                    .map_err(|e| AppError::BadRequest(format!("{}: cannot read: {e}", p.display())))
            } else {
                Ok(absent.to_owned())
            }
        };
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name)).map_err(|e| {
                AppError::BadRequest(format!("{}: cannot read: {e}", dir.join(name).display()))
            })
        };
        Ok(Files {
            county_json: read(FILE_NAMES[0])?,
            units_csv: read(FILE_NAMES[1])?,
            departments_csv: read(FILE_NAMES[2])?,
            measures_tsv: read(FILE_NAMES[3])?,
            boundaries_geojson: read(FILE_NAMES[4])?,
            ledger_json: optional(FILE_NAMES[5], "{}")?,
            targets_csv: optional(FILE_NAMES[6], "")?,
        })
    }

    /// Writes the files into `dir` (created if needed); refuses to overwrite any.
    pub fn write(&self, dir: &Path) -> AppResult<()> {
        let io =
            |e: std::io::Error, p: &Path| AppError::BadRequest(format!("{}: {e}", p.display()));
        std::fs::create_dir_all(dir).map_err(|e| io(e, dir))?;
        if let Some(existing) = FILE_NAMES.iter().map(|n| dir.join(n)).find(|p| p.exists()) {
            return Err(AppError::Conflict(format!(
                "{} exists already; choose an empty directory",
                existing.display()
            )));
        }
        for (name, text) in FILE_NAMES.iter().zip(self.texts()) {
            let p = dir.join(name);
            std::fs::write(&p, text).map_err(|e| io(e, &p))?;
        }
        Ok(())
    }

    fn texts(&self) -> [&str; 7] {
        [
            &self.county_json,
            &self.units_csv,
            &self.departments_csv,
            &self.measures_tsv,
            &self.boundaries_geojson,
            &self.ledger_json,
            &self.targets_csv,
        ]
    }
}

/// `county.json`: who the county is and what it aims for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The administrative division code (e.g. `130181`): the id of the city's unit.
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    /// Where maps open.
    pub center: LatLon,
    /// The department that supervises (closes measures, corrects them): the bureau.
    pub bureau: String,
    /// The plan the ledger implements, as cited in reports.
    pub plan_zh: String,
    pub targets: Targets,
    pub titles: Titles,
    /// How flue-gas CEMS data are judged where the standards leave a decision.
    #[serde(default)]
    pub cems: CemsSettings,
    /// How heavy-pollution warnings and the reduction list are judged.
    #[serde(default)]
    pub emergency: EmergencySettings,
}

/// The emergency decisions a county may set (docs/emergency.md): the warning plan's
/// edition (default: the one in force on the forecast's first day), the required
/// reductions per level (default: spec §5.4), whether SO2 and NOx are judged on their sum,
/// and how verification reads monitoring data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmergencySettings {
    pub edition: Option<String>,
    pub required: Option<RequiredByLevel>,
    pub so2_nox_together: bool,
    /// A capped line complies while its load stays within this many percentage points of
    /// its cap.
    pub load_tolerance_pct: f64,
    /// Normal load is the mean over this many days before the warning.
    pub baseline_days: u32,
}

/// Required reductions per warning level.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredByLevel {
    pub yellow: lantian_core::warning::reduction::Required,
    pub orange: lantian_core::warning::reduction::Required,
    pub red: lantian_core::warning::reduction::Required,
}

impl Default for EmergencySettings {
    fn default() -> EmergencySettings {
        EmergencySettings {
            edition: None,
            required: None,
            so2_nox_together: true,
            load_tolerance_pct: 5.0,
            baseline_days: 7,
        }
    }
}

impl EmergencySettings {
    /// The required reductions of a level.
    pub fn required(
        &self,
        level: lantian_core::warning::Level,
    ) -> lantian_core::warning::reduction::Required {
        use lantian_core::warning::Level;
        match (&self.required, level) {
            (Some(r), Level::Yellow) => r.yellow,
            (Some(r), Level::Orange) => r.orange,
            (Some(r), Level::Red) => r.red,
            (None, l) => lantian_core::warning::reduction::required_default(l),
        }
    }
}

/// The CEMS decisions a county may set (docs/standards.md, "Flue-gas CEMS"): at what O2 a
/// plant counts as stopped, and how closely a device's own normalised values and amounts
/// must agree with Lantian's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CemsSettings {
    pub o2_stopped_pct_min: f64,
    pub tolerance: lantian_core::cems::Tolerance,
}

impl Default for CemsSettings {
    fn default() -> CemsSettings {
        CemsSettings {
            o2_stopped_pct_min: lantian_core::cems::O2_STOPPED_PCT_MIN,
            tolerance: lantian_core::cems::Tolerance::default(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// The annual PM2.5 target (µg/m³).
    pub pm25_ug_m3: f64,
    /// Where the target comes from.
    #[serde(default)]
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Titles {
    /// The platform's name in the UI header.
    pub platform_zh: String,
    pub platform_en: String,
    /// The title of the exported ledger (台账).
    pub ledger_zh: String,
}

/// A town, township or zone.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Unit {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub kind: UnitKind,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// A department or another responsible body; its id is its Chinese name, as the plan's list
/// writes it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Department {
    pub name_zh: String,
    pub name_en: String,
}

/// A loaded county profile.
#[derive(Clone, Debug, PartialEq)]
pub struct County {
    pub profile: Profile,
    pub units: Vec<Unit>,
    pub departments: Vec<Department>,
    pub measures: Vec<Measure>,
    /// The ledger's county data (`ledger.json`), applied to `measures`.
    pub ledger: lantian_core::ledger::profile::LedgerProfile,
    /// The township boundaries (GeoJSON FeatureCollection), as given.
    pub boundaries_geojson: String,
    /// What loading noticed but did not refuse (e.g. a measure naming an unknown unit).
    pub warnings: Vec<String>,
    pub files: Files,
}

impl County {
    /// Xinji's shipped profile. It is tested to load without errors or warnings.
    pub fn xinji() -> County {
        match County::from_files(Files::xinji()) {
            Ok(c) => c,
            // The shipped files are fixed at build time and covered by a test.
            Err(e) => panic!("the shipped Xinji profile does not load: {e}"),
        }
    }

    /// Loads a profile directory.
    pub fn load(dir: &Path) -> AppResult<County> {
        County::from_files(Files::read(dir)?)
            .map_err(|e| AppError::BadRequest(format!("county profile {}: {e}", dir.display())))
    }

    /// Parses and checks the files; an error names the file, the line and the reason.
    pub fn from_files(files: Files) -> Result<County, String> {
        let profile: Profile =
            serde_json::from_str(&files.county_json).map_err(|e| format!("county.json: {e}"))?;
        if profile.id.trim().is_empty()
            || !profile.targets.pm25_ug_m3.is_finite()
            || profile.targets.pm25_ug_m3 <= 0.0
        {
            return Err(
                "county.json: id must not be empty and targets.pm25_ug_m3 must be above 0"
                    .to_owned(),
            );
        }
        let units = read_units(&files.units_csv)?;
        crate::targets::parse_profile(&files.targets_csv, &profile.id, &units)?;
        let departments = read_departments(&files.departments_csv)?;
        let known: Vec<String> = departments.iter().map(|d| d.name_zh.clone()).collect();
        let measures =
            from_tsv(&files.measures_tsv, &known).map_err(|e| format!("measures.tsv: {e}"))?;
        let (measures, ledger) = crate::ledger::load_profile(&files.ledger_json, measures, &known)?;
        let mut warnings = Vec::new();
        for m in &measures {
            if m.fields.lead_units.is_empty() {
                return Err(format!(
                    "measures.tsv: {}: no responsible unit can be read from {:?}",
                    m.id, m.responsibility
                ));
            }
            for u in &m.fields.unknown_units {
                warnings.push(format!(
                    "measures.tsv: {}: unit {u:?} is not in departments.csv",
                    m.id
                ));
            }
        }
        if !known.contains(&profile.bureau) {
            return Err(format!(
                "county.json: bureau {:?} is not in departments.csv",
                profile.bureau
            ));
        }
        let geo: serde_json::Value = serde_json::from_str(&files.boundaries_geojson)
            .map_err(|e| format!("boundaries.geojson: not JSON: {e}"))?;
        if geo["type"] != "FeatureCollection" || !geo["features"].is_array() {
            return Err("boundaries.geojson: expected a GeoJSON FeatureCollection".to_owned());
        }
        Ok(County {
            profile,
            units,
            departments,
            measures,
            ledger,
            boundaries_geojson: files.boundaries_geojson.clone(),
            warnings,
            files,
        })
    }

    /// The county's departments' names: the units its measures may name.
    pub fn known_units(&self) -> Vec<String> {
        self.departments.iter().map(|d| d.name_zh.clone()).collect()
    }

    /// The kind of a unit by id, if the county has it.
    pub fn unit_kind(&self, id: &str) -> Option<UnitKind> {
        if id == self.profile.id {
            return Some(UnitKind::City);
        }
        self.units
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.kind)
            .or_else(|| {
                self.departments
                    .iter()
                    .any(|d| d.name_zh == id)
                    .then_some(UnitKind::Department)
            })
    }

    /// Every unit of the profile as the store keeps it: the city, its towns, townships and
    /// zone, its departments.
    pub fn admin_units(&self) -> Vec<AdminUnit> {
        let p = &self.profile;
        let mut out = vec![AdminUnit {
            id: p.id.clone(),
            name_zh: p.name_zh.clone(),
            name_en: p.name_en.clone(),
            kind: UnitKind::City,
            parent_id: None,
            lat: Some(p.center.lat),
            lon: Some(p.center.lon),
        }];
        out.extend(self.units.iter().map(|u| AdminUnit {
            id: u.id.clone(),
            name_zh: u.name_zh.clone(),
            name_en: u.name_en.clone(),
            kind: u.kind,
            parent_id: Some(p.id.clone()),
            lat: u.lat,
            lon: u.lon,
        }));
        out.extend(self.departments.iter().map(|d| AdminUnit {
            id: d.name_zh.clone(),
            name_zh: d.name_zh.clone(),
            name_en: d.name_en.clone(),
            kind: UnitKind::Department,
            parent_id: Some(p.id.clone()),
            lat: None,
            lon: None,
        }));
        out
    }

    /// Sets a store up for this county, or brings it up to date: its units are added or
    /// updated, and an empty ledger receives the plan's measures (a ledger with history is
    /// never replaced). A store set up for another county is refused. Returns the number of
    /// measures loaded (0 when the ledger had some).
    pub fn install(&self, store: &Store, at_ms: i64) -> AppResult<usize> {
        let id = &self.profile.id;
        match store.setting("county")? {
            Some(other) if other != *id => {
                return Err(AppError::Conflict(format!(
                    "this database serves county {other}; the profile is county {id} (use another data directory)"
                )));
            }
            Some(_) => {}
            None => {
                let units = store.admin_units()?;
                if !units.is_empty() && !units.iter().any(|u| u.id == *id) {
                    return Err(AppError::Conflict(format!(
                        "this database holds another county's units (no unit {id}); use another data directory"
                    )));
                }
            }
        }
        for u in self.admin_units() {
            store.upsert_admin_unit(&u)?;
        }
        store.set_setting("county", id)?;
        crate::targets::install_profile(self, store, at_ms)?;
        if !store.measures()?.is_empty() {
            return Ok(0);
        }
        let rows: Vec<MeasureRow> = self
            .measures
            .iter()
            .enumerate()
            .map(|(i, m)| MeasureRow::from_measure(m, i as i64 + 1))
            .collect();
        store.replace_measures(&rows, "system", at_ms)?;
        Ok(rows.len())
    }
}

/// Cells of a CSV text (UTF-8, header first, an optional BOM), with their 1-based lines.
fn csv_rows(text: &str, file: &str, header: &[&str]) -> Result<Vec<(usize, Vec<String>)>, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| format!("{file}:{}: {e}", i + 1))?;
        let cells: Vec<String> = rec.iter().map(str::to_owned).collect();
        if i == 0 {
            if cells != header {
                return Err(format!("{file}:1: header must be {}", header.join(",")));
            }
            continue;
        }
        if cells.iter().all(String::is_empty) {
            continue;
        }
        if cells.len() != header.len() {
            return Err(format!(
                "{file}:{}: {} cells, expected {} ({})",
                i + 1,
                cells.len(),
                header.len(),
                header.join(",")
            ));
        }
        out.push((i + 1, cells));
    }
    Ok(out)
}

fn read_units(text: &str) -> Result<Vec<Unit>, String> {
    let mut out: Vec<Unit> = Vec::new();
    for (line, c) in csv_rows(
        text,
        "units.csv",
        &["id", "name_zh", "name_en", "kind", "lat", "lon"],
    )? {
        let at = |what: String| format!("units.csv:{line}: {what}");
        let kind = UnitKind::parse(&c[3])
            .filter(|k| k.is_township_level())
            .ok_or_else(|| at(format!("kind {:?}: expected town, township or zone", c[3])))?;
        let coord =
            |s: &str, range: std::ops::RangeInclusive<f64>| -> Result<Option<f64>, String> {
                if s.is_empty() {
                    return Ok(None);
                }
                s.parse::<f64>()
                    .ok()
                    .filter(|v| range.contains(v))
                    .map(Some)
                    .ok_or_else(|| at(format!("coordinate {s:?} is not a number in {range:?}")))
            };
        if c[0].is_empty() || c[1].is_empty() {
            return Err(at("id and name_zh are required".to_owned()));
        }
        if out.iter().any(|u| u.id == c[0]) {
            return Err(at(format!("id {:?} appears twice", c[0])));
        }
        out.push(Unit {
            id: c[0].clone(),
            name_zh: c[1].clone(),
            name_en: if c[2].is_empty() {
                c[1].clone()
            } else {
                c[2].clone()
            },
            kind,
            lat: coord(&c[4], -90.0..=90.0)?,
            lon: coord(&c[5], -180.0..=180.0)?,
        });
    }
    if out.is_empty() {
        return Err("units.csv: no towns, townships or zones".to_owned());
    }
    Ok(out)
}

fn read_departments(text: &str) -> Result<Vec<Department>, String> {
    let mut out: Vec<Department> = Vec::new();
    for (line, c) in csv_rows(text, "departments.csv", &["name_zh", "name_en"])? {
        if c[0].is_empty() {
            return Err(format!("departments.csv:{line}: name_zh is required"));
        }
        if out.iter().any(|d| d.name_zh == c[0]) {
            return Err(format!("departments.csv:{line}: {:?} appears twice", c[0]));
        }
        out.push(Department {
            name_zh: c[0].clone(),
            name_en: if c[1].is_empty() {
                c[0].clone()
            } else {
                c[1].clone()
            },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xinji_loads_with_its_53_measures_and_16_units_and_no_warnings() {
        let c = County::from_files(Files::xinji()).unwrap();
        assert_eq!(c.measures.len(), 53);
        assert_eq!(c.units.len(), 16);
        assert_eq!(
            c.departments.len(),
            19,
            "aliases (ledger.json) are not units of their own"
        );
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        assert!(c.measures.iter().all(|m| !m.category.is_empty()
            && !m.task.is_empty()
            && !m.measure.is_empty()
            && !m.fields.lead_units.is_empty()));
        // Merged cells: the second row inherits the category and key task of the first.
        let m = &c.measures;
        assert_eq!((&m[1].category, &m[1].task), (&m[0].category, &m[0].task));
        assert_eq!(m[1].fields.lead_units, ["市生态环境局"]);
        assert_eq!(c.unit_kind("devzone"), Some(UnitKind::Zone));
        assert_eq!(c.unit_kind("市公安局"), Some(UnitKind::Department));
        assert_eq!(c.admin_units().len(), 1 + 16 + 19);
    }

    #[test]
    fn the_cems_decisions_are_the_profiles_and_default_when_absent() {
        let c = County::from_files(Files::xinji()).unwrap();
        assert_eq!(c.profile.cems, CemsSettings::default());
        let mut files = Files::xinji();
        files.county_json = files.county_json.replace(
            "\"o2_stopped_pct_min\": 19.0",
            "\"o2_stopped_pct_min\": 18.5",
        );
        let c = County::from_files(files).unwrap();
        assert_eq!(c.profile.cems.o2_stopped_pct_min, 18.5);
        let mut files = Files::xinji();
        let at = files.county_json.find(",\n  \"cems\"").unwrap();
        files.county_json = format!("{}\n}}", &files.county_json[..at]);
        let c = County::from_files(files).unwrap();
        assert_eq!(c.profile.cems, CemsSettings::default());
    }

    #[test]
    fn a_bad_file_is_named_with_its_line_and_reason() {
        let bad = |f: fn(&mut Files), want: &str| {
            let mut files = Files::xinji();
            f(&mut files);
            let e = County::from_files(files).unwrap_err();
            assert!(e.starts_with(want), "{e}");
        };
        bad(
            |f| f.units_csv.push_str("x,某村,Village,village,1,1\n"),
            "units.csv:18: kind \"village\"",
        );
        bad(
            |f| f.units_csv.push_str("xinji,辛集镇,Xinji,town,,\n"),
            "units.csv:18: id \"xinji\" appears twice",
        );
        bad(
            |f| f.units_csv.push_str("y,某镇,Y,town,91,1\n"),
            "units.csv:18: coordinate \"91\"",
        );
        bad(
            |f| f.county_json = f.county_json.replace("\"bureau\"", "\"boss\""),
            "county.json: unknown field `boss`",
        );
        bad(
            |f| f.county_json = f.county_json.replace("\"absolute\"", "\"abs\""),
            "county.json: unknown field `abs`",
        );
        bad(
            |f| f.departments_csv = "name_zh\n".to_owned(),
            "departments.csv:1: header must be name_zh,name_en",
        );
        bad(
            |f| f.measures_tsv.push_str("M99\tonly\n"),
            "measures.tsv: line 55",
        );
        bad(
            |f| f.boundaries_geojson = "{}".to_owned(),
            "boundaries.geojson: expected a GeoJSON FeatureCollection",
        );
    }

    #[test]
    fn profiles_are_written_out_once_and_read_back() {
        let dir = std::env::temp_dir().join(format!("lantian-county-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Files::xinji().write(&dir).unwrap();
        assert_eq!(Files::read(&dir).unwrap(), Files::xinji());
        assert!(matches!(
            Files::xinji().write(&dir),
            Err(AppError::Conflict(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
