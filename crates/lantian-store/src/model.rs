//! The records the store keeps. Times are seconds since 1970-01-01T00:00 China Standard Time
//! (UTC+8) unless named `_ms` (milliseconds since the Unix epoch, UTC).

pub use lantian_core::org::{EquipmentKind, Grade, MeterKind, OutletKind, Role, UnitKind};
pub use lantian_core::series::StationRole;
pub use lantian_core::vehicles::{Direction, Fuel, Standard, VehicleClass};
pub use lantian_core::warning::reduction::Pollutant as ReductionPollutant;
pub use lantian_core::warning::{
    EventKind as WarningEventKind, Forecast, Level as WarningLevel, Origin as WarningOrigin,
    State as WarningState,
};
use serde::{Deserialize, Serialize};
pub use smol_str::SmolStr;

/// An administrative unit, department, enterprise or contractor: anything accounts belong to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminUnit {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub kind: UnitKind,
    pub parent_id: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Station {
    pub id: String,
    pub name: String,
    pub role: StationRole,
    pub admin_unit_id: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// HJ 212 codes the station measures.
    pub pollutants: Vec<String>,
    /// Minute-data interval, for the coverage of hourly rollups.
    pub min_interval_min: i64,
    /// Demo stations are labelled as such wherever they are shown.
    pub demo: bool,
}

/// The unit a station sends a code in, and the factor to the standard unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StationUnit {
    pub station_id: String,
    pub code: String,
    pub unit: String,
    pub factor: f64,
}

/// The longest MN of HJ 212 (HJ 212-2017 Table 3: 24 characters).
pub const MN_LEN_MAX: usize = 24;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub mn: String,
    pub password_hash: String,
    pub station_id: String,
    /// HJ 212 edition of replies: `2005`, `2017` or `2025`.
    pub edition: String,
    pub created_ms: i64,
    /// Refused at login with its reason, kept with its data (`lantian device disable`).
    #[serde(default)]
    pub disabled: bool,
}

/// An enterprise of the pollution-source register.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Enterprise {
    pub id: String,
    pub name: String,
    /// 统一社会信用代码.
    pub credit_code: Option<String>,
    pub industry: Option<String>,
    /// 绩效分级.
    pub grade: Option<Grade>,
    /// The town, township or zone it lies in.
    pub admin_unit_id: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// 重点排污单位.
    pub key_polluter: bool,
    /// 排污许可证编号.
    pub permit_no: Option<String>,
    /// Demo enterprises are labelled as such wherever they are shown.
    pub demo: bool,
    /// 清洁运输比例目标: the share (%) of heavy-truck trips that must be clean (新能源 or 国六).
    pub clean_transport_target_pct: Option<f64>,
    /// Set by the enterprise (plan §9(三)): its monitoring data are public.
    pub discloses: bool,
    /// What it publishes with them: its treatment measures (污染治理措施) and the like.
    pub disclosure_note: Option<String>,
}

/// A vehicle passing an enterprise's gate (门禁记录).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GateRecord {
    pub enterprise_id: String,
    /// Beijing-time seconds, as every `ts`.
    pub ts: i64,
    pub plate: String,
    pub direction: Direction,
    /// As the gate system wrote it (e.g. 重型半挂牵引车).
    pub vehicle_type: String,
    pub class: VehicleClass,
    pub standard: Standard,
    pub fuel: Fuel,
}

/// An outlet (排放口) of an enterprise; its CEMS series is the station with the same id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outlet {
    pub id: String,
    pub enterprise_id: String,
    pub name: String,
    pub kind: OutletKind,
    pub height_m: Option<f64>,
    /// The industry's reference O2 (%) for normalised (折算) concentrations.
    pub o2_ref_pct: Option<f64>,
    /// At or below this flow (m³/h) the plant is taken as stopped.
    pub flow_stopped_m3_h: f64,
    pub limits: Vec<Limit>,
}

/// An emission limit of an outlet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Limit {
    /// HJ 212-2017 code (a21026 SO2, a21002 NOx, a34013 particulate matter, ...).
    pub code: String,
    pub limit_mg_m3: f64,
    /// The legal source, e.g. `DB13/2169-2018 超低排放`.
    pub source: String,
}

/// Production or treatment equipment; its working-condition series is the station with the
/// same id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Equipment {
    pub id: String,
    pub enterprise_id: String,
    pub name: String,
    pub kind: EquipmentKind,
    /// The outlet whose flue gas it makes or treats.
    pub outlet_id: Option<String>,
    pub rated_kw: Option<f64>,
    /// A status code (`SB1-RS`: 1 running) and/or an electricity meter on it.
    pub status_code: Option<String>,
    pub meter: Option<Meter>,
}

/// An electricity meter (分表计电) on a piece of equipment: what it reads, under which code
/// (vendors differ), and the reading at or above which the equipment runs (kW for power and
/// energy meters, A for current).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Meter {
    pub kind: MeterKind,
    pub code: String,
    pub running_min: Option<f64>,
}

/// Averaging period of an observation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// Real-time value (2011); `ts` is the sampling moment.
    Rtd,
    /// Minute data (2051); `ts` is the start of the interval.
    Min,
    /// Hourly data (2061); `ts` is the start of the hour.
    Hour,
    /// Daily data (2031); `ts` is 00:00 of the day.
    Day,
}

impl Period {
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Rtd => "rtd",
            Period::Min => "min",
            Period::Hour => "hour",
            Period::Day => "day",
        }
    }

    pub fn parse(s: &str) -> Option<Period> {
        Some(match s {
            "rtd" => Period::Rtd,
            "min" => Period::Min,
            "hour" => Period::Hour,
            "day" => Period::Day,
            _ => return None,
        })
    }
}

/// One value as received, in the station's standard unit. Identifiers are [`SmolStr`]:
/// station ids, codes and flags fit inline (up to 23 bytes), so observations cost no
/// allocation of their own — 18 per six-pollutant packet as `String`s, in the gateway, the
/// journal decoder and their frees; the server's CPU per packet fell 4–9%.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub station_id: SmolStr,
    pub code: SmolStr,
    pub period: Period,
    pub ts: i64,
    pub value: f64,
    /// HJ 212 data flag (`N` = normal).
    pub flag: SmolStr,
}

/// A packet as received, for the archive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RawPacket {
    pub received_ms: i64,
    pub peer: String,
    pub mn: Option<String>,
    /// `accepted`, or the rejection reason (`crc`, `auth`, ...).
    pub verdict: String,
    pub bytes: Vec<u8>,
}

/// A packet and the observations it carried, committed together.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ingest {
    pub packet: Option<RawPacket>,
    pub observations: Vec<Observation>,
}

/// What a committed batch did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BatchOutcome {
    pub packets_archived: u64,
    pub observations_new: u64,
    /// Observations already stored (the same packet twice counts once).
    pub observations_duplicate: u64,
    pub hours_rolled_up: u64,
}

/// A correction or invalidation of an observation; raw values are never overwritten.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Correction {
    pub station_id: String,
    pub code: String,
    pub period: Period,
    pub ts: i64,
    pub action: CorrectionAction,
    pub value: Option<f64>,
    /// Why, as a reason code (e.g. `calibration`, `instrument_fault`, `dust`, `outlier`).
    pub reason_code: String,
    pub who: String,
    pub at_ms: i64,
    /// The rule set the audit followed, e.g. `HJ633-2026/GB3095-2026T/HJ663-2026`.
    pub rule_set: String,
    pub note: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CorrectionAction {
    Correct,
    Invalidate,
    /// Undo earlier corrections: back to the raw value.
    Restore,
}

impl CorrectionAction {
    pub fn as_str(self) -> &'static str {
        match self {
            CorrectionAction::Correct => "correct",
            CorrectionAction::Invalidate => "invalidate",
            CorrectionAction::Restore => "restore",
        }
    }

    pub fn parse(s: &str) -> Option<CorrectionAction> {
        Some(match s {
            "correct" => CorrectionAction::Correct,
            "invalidate" => CorrectionAction::Invalidate,
            "restore" => CorrectionAction::Restore,
            _ => return None,
        })
    }
}

/// Raw values as received, or audited values with corrections applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum View {
    Raw,
    Audited,
}

/// One value of a series.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Point {
    pub ts: i64,
    pub value: f64,
    pub flag: String,
    /// The reason code of the correction applied (audited view only).
    pub corrected: Option<String>,
}

/// An hourly rollup of minute or real-time values with its coverage.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rollup {
    pub ts: i64,
    /// `min` (from minute data) or `rtd` (from real-time values).
    pub source: Period,
    /// Minutes the hour should have values for, and minutes it has.
    pub n_expected: i64,
    pub n_observed: i64,
    pub valid: bool,
    pub mean: Option<f64>,
}

/// One station-hour of one code as the standards engine reads it: the hourly value the
/// station sent, or else the valid rollup of its minute or real-time values.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HourValue {
    /// The start of the hour (CST seconds).
    pub ts: i64,
    pub value: f64,
    /// `hour`: sent as an hourly value (2061); `min` / `rtd`: rolled up from minute (2051)
    /// or real-time (2011) values.
    pub source: Period,
    /// Minutes covered of those expected (60 of 60 for a valid hourly value).
    pub n_observed: i64,
    pub n_expected: i64,
    /// The reason code of the correction applied (audited view of hourly values only).
    pub corrected: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub unit_id: Option<String>,
    pub must_change_password: bool,
    pub created_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEvent {
    pub id: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub detail: String,
    /// Where the act came from: a peer address, `cli:USER`, or empty (older rows).
    pub source: String,
}

/// A heavy-pollution warning: where it is in its workflow and the forecast it came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    pub id: i64,
    pub state: WarningState,
    /// The level now (adjustments change it; the timeline keeps every one).
    pub level: WarningLevel,
    pub origin: WarningOrigin,
    /// The warning plan's edition whose rule fired, e.g. `hebei-2024`.
    pub edition: String,
    pub rule_zh: String,
    pub rule_en: String,
    pub forecast: Forecast,
    /// The forecast episode's first and last hour (their starts).
    pub first_hour: Option<i64>,
    pub last_hour: Option<i64>,
    /// In force from (issue or order) and until (lift).
    pub issued_ts: Option<i64>,
    pub lifted_ts: Option<i64>,
    /// The issuing document's number (文号).
    pub doc_no: Option<String>,
    pub created_ts: i64,
}

/// One step of a warning's timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WarningEvent {
    pub warning_id: i64,
    pub seq: i64,
    /// When it was recorded.
    pub ts: i64,
    /// When it takes effect.
    pub effective_ts: Option<i64>,
    pub kind: WarningEventKind,
    pub level: Option<WarningLevel>,
    pub actor: String,
    pub doc_no: Option<String>,
    pub note: String,
}

/// A measure of an enterprise's emergency reduction list, numbered within its level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReductionMeasure {
    pub enterprise_id: String,
    pub seq: i64,
    #[serde(flatten)]
    pub measure: lantian_core::warning::reduction::Measure,
}

/// An enterprise's permitted annual emission of a pollutant (排污许可量).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Permit {
    pub enterprise_id: String,
    pub pollutant: ReductionPollutant,
    pub t_per_year: f64,
}

/// A notice of a warning step to an enterprise or a unit, with its receipt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub warning_id: i64,
    pub event_seq: i64,
    pub recipient: String,
    /// `app`: shown in Lantian. Other channels (webhooks) are delivered from here.
    pub channel: String,
    pub sent_ts: i64,
    pub read_ts: Option<i64>,
    pub confirmed_ts: Option<i64>,
    pub confirmed_by: Option<String>,
}

/// A violation during a warning handed over to enforcement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Handover {
    pub warning_id: i64,
    pub enterprise_id: String,
    /// The measure, `level:seq`.
    pub measure: String,
    pub first_hour: i64,
    pub handed_ts: i64,
    pub actor: String,
    pub note: String,
}

/// One page of a list that grows without bound (the audit log, alarms, commands…), read in
/// SQL with `LIMIT` and `OFFSET` instead of reading the whole table to cut a page from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    /// Rows skipped (the earlier pages).
    pub offset: i64,
    /// Rows at most.
    pub limit: i64,
}

impl Page {
    /// Every row (a CSV or xlsx export of the whole list).
    pub const ALL: Page = Page {
        offset: 0,
        limit: i64::MAX,
    };

    /// The first `limit` rows.
    pub fn first(limit: i64) -> Page {
        Page { offset: 0, limit }
    }
}

/// A page of rows and how many rows the whole list has.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: usize,
}

impl<T> Paged<T> {
    /// The rows turned into something else, the total kept.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
        }
    }

    /// The rows turned into something else by a step that can fail, the total kept.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Paged<U>, E> {
        Ok(Paged {
            items: self.items.into_iter().map(f).collect::<Result<_, _>>()?,
            total: self.total,
        })
    }

    /// One page cut from a whole list held in memory (a list that stays small: the
    /// registry's, a year's).
    pub fn cut(all: Vec<T>, page: Page) -> Paged<T> {
        let total = all.len();
        let skip = usize::try_from(page.offset).unwrap_or(usize::MAX);
        let take = usize::try_from(page.limit).unwrap_or(usize::MAX);
        Paged {
            items: all.into_iter().skip(skip).take(take).collect(),
            total,
        }
    }
}
