//! Data-integrity rules (spec §7.4–§7.6): pure functions from hourly series to alarm
//! episodes that explain themselves. No IO, no clock: the caller passes the series of a
//! station, its neighbours and its meteorology; every threshold is in [`Config`].
//!
//! An alarm is an *episode*: consecutive (or nearly consecutive, within
//! [`Config::merge_gap_hours`]) hours one rule flags for one station and pollutant become one
//! alarm, so an operator reads one alarm per fault, not one per hour.

use crate::pollutant::Pollutant;
use crate::series::{HourlySeries, StationRole};
use serde::{Deserialize, Serialize};

crate::org::named_enum! {
    /// A rule of the library; its name is stable (storage, API, CLI output, precision
    /// statistics). Each is documented in docs/integrity.md with its source.
    Rule {
        /// Too few valid hours in a day (GB 3095 Table 4: < 20 h).
        Completeness = "completeness",
        /// Maintenance or calibration flags (`M`, `C`, `D`) clustered in high-pollution hours.
        FlagPattern = "flag_pattern",
        /// The same value, or near-zero variance, for hours on end (Wu et al. 2018 type b).
        FlatLine = "flat_line",
        /// A jump between consecutive hours that neighbours do not show (type a).
        Spike = "spike",
        /// A sudden drop that neighbours do not show (type a).
        SuddenDrop = "sudden_drop",
        /// PM2.5 above PM10 beyond instrument tolerance (type d).
        Pm25AbovePm10 = "pm25_above_pm10",
        /// An abnormally low PM2.5/PM10 ratio.
        LowPmRatio = "low_pm_ratio",
        /// Zero or negative concentrations.
        ZeroNegative = "zero_negative",
        /// PM drops sharply while humidity jumps towards saturation, gases and neighbours
        /// unchanged (tampering: water spraying near the inlet).
        Spraying = "spraying",
        /// PM low and flat while gases move (inlet covered or blocked, filter removed).
        InletBlocked = "inlet_blocked",
        /// Missing hours concentrated on high-pollution hours while neighbours stay high.
        OutageInEpisode = "outage_in_episode",
        /// Outliers at the same hour of day, day after day (calibration artefacts, type c).
        PeriodicSameHour = "periodic_same_hour",
        /// The logger's clock is off: DataTime far from the receipt time, or the series is
        /// shifted against its neighbours.
        ClockDrift = "clock_drift",
        /// Hours received long after their DataTime (back-filled data).
        Backfilled = "backfilled",
        /// A township station persistently below the nearest assessment station.
        TownshipBelowAssessment = "township_below_assessment",
        /// CEMS: a flat line of a concentration, O2 or flow.
        CemsFlatLine = "cems_flat_line",
        /// CEMS: values hugging just below the limit.
        CemsHuggingLimit = "cems_hugging_limit",
        /// CEMS: O2, flow and concentration inconsistent (dilution air).
        CemsDilution = "cems_dilution",
        /// CEMS / working condition: production on while treatment is off.
        CemsTreatmentOff = "cems_treatment_off",
        /// CEMS: the device's `-Zs` (O2-normalised) values do not follow from O2.
        CemsZsInconsistent = "cems_zs_inconsistent",
        /// CEMS: hours without data (the outlet's, or one channel's while others came),
        /// except those an approved enterprise declaration explains.
        CemsMissing = "cems_missing",
    }
}

crate::org::named_enum! {
    /// How much an alarm asks of the reader.
    Severity {
        /// Worth a look when reviewing the month.
        Info = "info",
        /// Review within days.
        Warning = "warning",
        /// Possible interference or a fault that changes assessments: review now.
        Critical = "critical",
    }
}

/// Every threshold of the library, with defaults documented in docs/integrity.md. A county
/// overrides any of them (JSON, missing keys keep their defaults). Per-pollutant arrays are in
/// [`Pollutant::ALL`] order: SO2, NO2, PM10, CO, O3, PM2.5 (CO in mg/m³, the rest µg/m³).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Flagged hours at most this far apart join one episode.
    pub merge_gap_hours: usize,
    /// Neighbours: stations within this distance.
    pub neighbour_radius_km: f64,
    /// Flat line: this many consecutive hours with the same value (or a spread at most
    /// `flat_spread_max` of the pollutant's unit).
    pub flat_hours_min: usize,
    pub flat_spread_max: f64,
    /// Neighbours: at most this many, the nearest within the radius.
    pub neighbours_max: usize,
    /// Levels at or below which a pollutant is "low" (near the instruments' resolution):
    /// relative changes are taken against at least this level, neighbours moving less than
    /// it count as still (flat line), and a flat line at or below it at the station's lowest
    /// reading is its detection floor.
    pub low_level: [f64; 6],
    /// Completeness: a day needs this many valid hours (GB 3095 Table 4).
    pub day_valid_hours_min: usize,
    /// Completeness: incomplete days at most this many complete days apart make one alarm.
    pub completeness_merge_days: usize,
    /// Regional episode: neighbours' median PM2.5 at or above this (µg/m³; the Grade II
    /// 24-h limit of GB 3095-2012). Used by flag patterns and outages.
    pub episode_pm25_min: f64,
    /// Flag pattern: this many `M`/`C`/`D` hours of one pollutant in episode hours.
    pub flag_hours_min: usize,
    /// Flat line: a run must be unlikely for the station: the chance of that many
    /// unchanged hours in a row, from the station's own share of unchanged hours at similar
    /// levels, at most this; never more than `flat_hours_cap` hours are needed.
    pub flat_chance_max: f64,
    pub flat_hours_cap: usize,
    /// Flat line: the neighbours' median must move by at least this share of its mean
    /// during the run (when there are neighbours), else the flat line is regional.
    pub flat_neighbour_range_min: f64,
    /// Spike/drop: robust z of the hour-to-hour change (median/MAD of the station's own
    /// changes) at least this.
    pub spike_z_min: f64,
    /// Spike/drop without neighbours: the stricter z needed.
    pub spike_z_alone_min: f64,
    /// Spike: the rise must be at least this share of the previous hour's level; a drop at
    /// least `drop_rel_min` of it.
    pub spike_rel_min: f64,
    pub drop_rel_min: f64,
    /// Spike/drop: and at least this much in the pollutant's unit.
    pub spike_abs_min: [f64; 6],
    /// Spike/drop: neighbours' median relative change in the same direction must stay
    /// below this share of the station's.
    pub spike_neighbour_share_max: f64,
    /// Spike/drop: another pollutant of the station changing the same way at this robust z
    /// means real air (a plume), not an instrument fault: no alarm.
    pub spike_co_pollutant_z_min: f64,
    /// PM2.5 > PM10: tolerated excess, relative to PM10 and absolute (µg/m³).
    pub pm_excess_rel: f64,
    pub pm_excess_abs: f64,
    /// PM2.5 > PM10: this many hours in an episode.
    pub pm_excess_hours_min: usize,
    /// Low PM2.5/PM10 ratio: below this ratio, with PM10 at least `low_ratio_pm10_min`,
    /// for `low_ratio_hours_min` hours.
    pub low_ratio_max: f64,
    pub low_ratio_pm10_min: f64,
    pub low_ratio_hours_min: usize,
    /// Zero/negative: this many hours in an episode; zero counts only for PM (gases may
    /// read zero below detection).
    pub zero_negative_hours_min: usize,
    /// Spraying: PM drop within 1–2 h of at least this share.
    pub spraying_drop_min: f64,
    /// Spraying: PM2.5 before the drop at least this (µg/m³).
    pub spraying_pm25_before_min: f64,
    /// Spraying: humidity reaches at least this (%) and rises by at least `spraying_rh_rise_min`
    /// points.
    pub spraying_rh_pct_min: f64,
    pub spraying_rh_rise_min: f64,
    /// Spraying: NO2 and CO fall by at most this share (a rise does not count against).
    pub spraying_gas_change_max: f64,
    /// Spraying: the neighbours' median PM2.5 fall (log change) at most this share of the
    /// station's.
    pub spraying_neighbour_share_max: f64,
    /// Inlet blocked: PM2.5 for this many hours at most `blocked_ratio_max` of the neighbours'
    /// median, within a spread of `blocked_spread_max` µg/m³, neighbours at least
    /// `blocked_neighbour_pm25_min`, and NO2 or CO moving by `blocked_gas_range_min` of their mean.
    pub blocked_hours_min: usize,
    pub blocked_ratio_max: f64,
    /// Inlet blocked: and PM2.5 itself at most this (µg/m³).
    pub blocked_pm25_max: f64,
    pub blocked_spread_max: f64,
    pub blocked_neighbour_pm25_min: f64,
    pub blocked_gas_range_min: f64,
    /// Outage in episode: a run of missing PM2.5 hours with at least this many hours in which
    /// the neighbours were in an episode, making at least `outage_high_share_min` of the run.
    pub outage_hours_min: usize,
    pub outage_high_share_min: f64,
    /// Periodic same hour: an hour is an outlier against the hours either side at this robust
    /// z; the same slot on at least `periodic_days_min` days and `periodic_share_min` of the
    /// days with data.
    pub periodic_z_min: f64,
    pub periodic_days_min: usize,
    pub periodic_share_min: f64,
    /// Clock drift: windows of this many days; best lag within ±`clock_lag_hours_max`; the
    /// correlation at the best lag at least `clock_corr_min` and above the zero-lag one by
    /// `clock_corr_gain_min`.
    pub clock_window_days: usize,
    pub clock_lag_hours_max: usize,
    /// Clock drift: lags below this are not considered (a 1-h lag is often the wind carrying
    /// air between stations, not a clock).
    pub clock_lag_hours_min: usize,
    pub clock_corr_min: f64,
    pub clock_corr_gain_min: f64,
    /// Clock drift: DataTime ahead of the receipt by more than this (s).
    pub clock_ahead_s_max: f64,
    /// Back-filled: received more than this (s) after DataTime.
    pub backfill_lag_s_min: f64,
    /// Township below assessment: daily PM2.5 (and PM10) below this ratio of the nearest
    /// assessment station on at least `township_days_min` days and `township_share_min` of
    /// the days both have.
    pub township_ratio_max: f64,
    pub township_days_min: usize,
    pub township_share_min: f64,
    /// CEMS: stopped at or above this O2 (%) or at or below this flow (m³/h).
    pub cems_o2_stopped_pct_min: f64,
    pub cems_flow_stopped_m3_h_max: f64,
    /// CEMS flat line: this many running hours with the same value.
    pub cems_flat_hours_min: usize,
    /// CEMS missing data: this many hours in a row without a value.
    pub cems_missing_hours_min: usize,
    /// CEMS hugging the limit: at least `hug_share_min` of at least `hug_hours_min` running
    /// hours within `hug_band_min`…100 % of the limit.
    pub hug_band_min: f64,
    pub hug_share_min: f64,
    pub hug_hours_min: usize,
    /// CEMS dilution: within `dilution_window_hours`, O2 up by `dilution_o2_rise_min` points,
    /// raw concentration down by `dilution_drop_min`, flow up by `dilution_flow_rise_min`,
    /// normalised value within `dilution_zs_change_max`.
    pub dilution_window_hours: usize,
    pub dilution_o2_rise_min: f64,
    pub dilution_drop_min: f64,
    pub dilution_flow_rise_min: f64,
    pub dilution_zs_change_max: f64,
    /// CEMS `-Zs`: agreement with raw × (21 − O2ref)/(21 − O2), and hours needed.
    pub zs_tolerance: crate::cems::Tolerance,
    pub zs_hours_min: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            merge_gap_hours: 2,
            neighbour_radius_km: 30.0,
            flat_hours_min: 6,
            flat_spread_max: 0.0,
            neighbours_max: 8,
            low_level: [10.0, 10.0, 20.0, 0.4, 10.0, 10.0],
            day_valid_hours_min: crate::validity::DAY_VALID_HOURS_MIN as usize,
            completeness_merge_days: 7,
            episode_pm25_min: 75.0,
            flag_hours_min: 3,
            flat_chance_max: 1e-3,
            flat_hours_cap: 24,
            flat_neighbour_range_min: 0.3,
            spike_z_min: 10.0,
            spike_z_alone_min: 14.0,
            spike_rel_min: 1.5,
            drop_rel_min: 0.7,
            spike_abs_min: [60.0, 60.0, 120.0, 1.5, 80.0, 100.0],
            spike_neighbour_share_max: 0.3,
            spike_co_pollutant_z_min: 8.0,
            pm_excess_rel: 0.05,
            pm_excess_abs: 2.0,
            pm_excess_hours_min: 1,
            low_ratio_max: 0.15,
            low_ratio_pm10_min: 150.0,
            low_ratio_hours_min: 6,
            zero_negative_hours_min: 1,
            spraying_drop_min: 0.4,
            spraying_pm25_before_min: 35.0,
            spraying_rh_pct_min: 85.0,
            spraying_rh_rise_min: 10.0,
            spraying_gas_change_max: 0.3,
            spraying_neighbour_share_max: 0.4,
            blocked_hours_min: 8,
            blocked_ratio_max: 0.3,
            blocked_pm25_max: 20.0,
            blocked_spread_max: 5.0,
            blocked_neighbour_pm25_min: 35.0,
            blocked_gas_range_min: 0.2,
            outage_hours_min: 5,
            outage_high_share_min: 0.6,
            periodic_z_min: 5.0,
            periodic_days_min: 4,
            periodic_share_min: 0.3,
            clock_window_days: 3,
            clock_lag_hours_max: 3,
            clock_lag_hours_min: 2,
            clock_corr_min: 0.25,
            clock_corr_gain_min: 0.2,
            clock_ahead_s_max: 300.0,
            backfill_lag_s_min: 7200.0,
            township_ratio_max: 0.7,
            township_days_min: 5,
            township_share_min: 0.7,
            cems_o2_stopped_pct_min: crate::cems::O2_STOPPED_PCT_MIN,
            cems_flow_stopped_m3_h_max: 0.0,
            cems_flat_hours_min: 6,
            cems_missing_hours_min: 2,
            hug_band_min: 0.9,
            hug_share_min: 0.8,
            hug_hours_min: 24,
            dilution_window_hours: 3,
            dilution_o2_rise_min: 3.0,
            dilution_drop_min: 0.3,
            dilution_flow_rise_min: 0.15,
            dilution_zs_change_max: 0.15,
            zs_tolerance: crate::cems::Tolerance::default(),
            zs_hours_min: 2,
        }
    }
}

/// One station's hours for the scan: the six pollutants, and what else it sent.
#[derive(Clone, Debug)]
pub struct StationInput<'a> {
    pub id: &'a str,
    pub role: StationRole,
    pub lat: f64,
    pub lon: f64,
    /// The six pollutants (NaN: missing); index `day * 24 + slot` as in [`HourlySeries`].
    pub series: &'a HourlySeries,
    /// Instrument flags per pollutant and hour (`N`, `M`, `C`, `D`, `B`…), when known.
    pub flags: Option<&'a [Vec<u8>; 6]>,
    /// Relative humidity, % (NaN: missing), when the station measures it.
    pub humidity_pct: Option<&'a [f64]>,
    /// Seconds between each hour's DataTime (its end) and its receipt, when known.
    pub receipt_lag_s: Option<&'a [f64]>,
}

/// One flagged episode: a rule, a station, a pollutant (none for station-wide rules), the
/// first and last hour (indices into the series), and why, in words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    pub station: String,
    pub pollutant: Option<Pollutant>,
    pub rule: Rule,
    pub severity: Severity,
    /// First and last flagged hour, as indices into the input series (`day * 24 + slot`).
    pub first_hour: usize,
    pub last_hour: usize,
    /// Why, in plain Chinese and in English, with the figures that made it.
    pub why_zh: String,
    pub why_en: String,
    /// The thresholds and measured figures behind it, by name (for the evidence page).
    pub figures: Vec<(String, f64)>,
    /// The neighbours compared with, if the rule used them.
    pub neighbours: Vec<String>,
}

/// Runs every station rule over `stations` (all on the same days: `series.start` and
/// `n_days` equal), each compared with its neighbours among them. Alarms are sorted by
/// station, first hour and rule.
pub fn scan_stations(cfg: &Config, stations: &[StationInput<'_>]) -> Vec<Alarm> {
    let neighbours = neighbour_lists(cfg, stations);
    let mut alarms = Vec::new();
    for (i, s) in stations.iter().enumerate() {
        let ctx = station::Ctx::new(cfg, stations, i, &neighbours[i]);
        let hits = station::scan_one(&ctx);
        alarms.extend(episodes::merge(cfg, s.id, hits));
    }
    episodes::drop_explained(&mut alarms);
    alarms.sort_by(|a, b| {
        (a.station.as_str(), a.first_hour, a.rule, a.pollutant).cmp(&(
            b.station.as_str(),
            b.first_hour,
            b.rule,
            b.pollutant,
        ))
    });
    alarms
}

/// Great-circle distance (haversine, mean Earth radius 6371 km).
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    const EARTH_RADIUS_KM: f64 = 6371.0;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
}

/// Each station's neighbours: the nearest `neighbours_max` ambient stations within
/// `neighbour_radius_km`, itself excluded, nearest first, as (index, km). Stations are
/// bucketed by a grid of the radius, so the search is linear in the stations, not quadratic.
pub fn neighbour_lists(cfg: &Config, stations: &[StationInput<'_>]) -> Vec<Vec<(usize, f64)>> {
    use std::collections::HashMap;
    let radius_km = cfg.neighbour_radius_km.max(0.0);
    // One degree of latitude is ~111.2 km; longitude cells are widened at high latitude by
    // searching enough cells to cover the radius.
    let cell_deg = (radius_km / 111.2).max(1e-3);
    let key = |lat: f64, lon: f64| {
        (
            (lat / cell_deg).floor() as i64,
            (lon / cell_deg).floor() as i64,
        )
    };
    let usable = |s: &StationInput<'_>| {
        s.lat.is_finite()
            && s.lon.is_finite()
            && s.role.is_ambient()
            && !(s.lat == 0.0 && s.lon == 0.0)
    };
    let mut grid: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
    for (i, s) in stations.iter().enumerate() {
        if usable(s) {
            grid.entry(key(s.lat, s.lon)).or_default().push(i);
        }
    }
    stations
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if !usable(s) || radius_km == 0.0 || cfg.neighbours_max == 0 {
                return Vec::new();
            }
            let (ky, kx) = key(s.lat, s.lon);
            let cos = s.lat.to_radians().cos().max(0.05);
            let span_x = (1.0 / cos).ceil() as i64;
            let mut found = Vec::new();
            for dy in -1..=1 {
                for dx in -span_x..=span_x {
                    for &j in grid
                        .get(&(ky + dy, kx + dx))
                        .map(Vec::as_slice)
                        .unwrap_or(&[])
                    {
                        if j == i {
                            continue;
                        }
                        let o = &stations[j];
                        let d = distance_km(s.lat, s.lon, o.lat, o.lon);
                        if d <= radius_km {
                            found.push((j, d));
                        }
                    }
                }
            }
            found.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            found.truncate(cfg.neighbours_max);
            found
        })
        .collect()
}

impl Rule {
    /// The station rules, in the order they run.
    pub const STATION: [Rule; 15] = [
        Rule::Completeness,
        Rule::FlagPattern,
        Rule::FlatLine,
        Rule::Spike,
        Rule::SuddenDrop,
        Rule::Pm25AbovePm10,
        Rule::LowPmRatio,
        Rule::ZeroNegative,
        Rule::Spraying,
        Rule::InletBlocked,
        Rule::OutageInEpisode,
        Rule::PeriodicSameHour,
        Rule::ClockDrift,
        Rule::Backfilled,
        Rule::TownshipBelowAssessment,
    ];

    /// How much an alarm of this rule asks: interference signatures are critical.
    pub fn severity(self) -> Severity {
        use Rule::*;
        match self {
            Spraying | InletBlocked | OutageInEpisode | CemsDilution | CemsTreatmentOff => {
                Severity::Critical
            }
            LowPmRatio | PeriodicSameHour | Backfilled => Severity::Info,
            _ => Severity::Warning,
        }
    }

    /// Whether the rule compares with neighbouring stations (and is silent without them).
    pub fn needs_neighbours(self) -> bool {
        use Rule::*;
        matches!(
            self,
            FlagPattern
                | Spraying
                | InletBlocked
                | OutageInEpisode
                | ClockDrift
                | TownshipBelowAssessment
        )
    }

    pub fn name_zh(self) -> &'static str {
        use Rule::*;
        match self {
            Completeness => "数据完整性不足",
            FlagPattern => "污染时段集中出现维护/校准标记",
            FlatLine => "数据恒值（平直线）",
            Spike => "数据突升（孤立尖峰）",
            SuddenDrop => "数据骤降",
            Pm25AbovePm10 => "PM2.5 大于 PM10",
            LowPmRatio => "PM2.5/PM10 比值异常偏低",
            ZeroNegative => "零值或负值",
            Spraying => "疑似喷淋干扰",
            InletBlocked => "疑似采样口遮挡或堵塞",
            OutageInEpisode => "污染时段集中断数",
            PeriodicSameHour => "同一时刻周期性异常（校准）",
            ClockDrift => "时钟偏差",
            Backfilled => "数据补传",
            TownshipBelowAssessment => "乡镇站持续低于邻近国控站",
            CemsFlatLine => "在线监测数据恒值",
            CemsHuggingLimit => "排放浓度长期贴近限值",
            CemsDilution => "疑似稀释排放",
            CemsTreatmentOff => "生产中治污设施停运",
            CemsZsInconsistent => "折算浓度与氧含量不符",
            CemsMissing => "在线监测数据缺失",
        }
    }

    pub fn name_en(self) -> &'static str {
        use Rule::*;
        match self {
            Completeness => "Too few valid hours",
            FlagPattern => "Maintenance/calibration flags during episodes",
            FlatLine => "Flat line",
            Spike => "Spike",
            SuddenDrop => "Sudden drop",
            Pm25AbovePm10 => "PM2.5 above PM10",
            LowPmRatio => "Abnormally low PM2.5/PM10 ratio",
            ZeroNegative => "Zero or negative values",
            Spraying => "Suspected water spraying",
            InletBlocked => "Suspected blocked or covered inlet",
            OutageInEpisode => "Outage during a pollution episode",
            PeriodicSameHour => "Same-hour periodic outliers (calibration)",
            ClockDrift => "Clock drift",
            Backfilled => "Back-filled data",
            TownshipBelowAssessment => "Township persistently below the assessment station",
            CemsFlatLine => "CEMS flat line",
            CemsHuggingLimit => "CEMS values hugging the limit",
            CemsDilution => "Suspected dilution",
            CemsTreatmentOff => "Production on with treatment off",
            CemsZsInconsistent => "Normalised values inconsistent with O2",
            CemsMissing => "CEMS data missing",
        }
    }
}

impl Config {
    /// The thresholds a rule uses, by Config key (the per-pollutant arrays as
    /// `key.POLLUTANT`), for the rules page and the alarms' evidence.
    pub fn thresholds(&self, rule: Rule) -> Vec<(String, f64)> {
        use Rule::*;
        let mut out: Vec<(String, f64)> = Vec::new();
        let mut put = |k: &str, v: f64| out.push((k.to_owned(), v));
        match rule {
            Completeness => {
                put("day_valid_hours_min", self.day_valid_hours_min as f64);
                put(
                    "completeness_merge_days",
                    self.completeness_merge_days as f64,
                );
            }
            FlagPattern => {
                put("episode_pm25_min", self.episode_pm25_min);
                put("flag_hours_min", self.flag_hours_min as f64);
            }
            FlatLine => {
                put("flat_hours_min", self.flat_hours_min as f64);
                put("flat_spread_max", self.flat_spread_max);
                put("flat_chance_max", self.flat_chance_max);
                put("flat_hours_cap", self.flat_hours_cap as f64);
                put("flat_neighbour_range_min", self.flat_neighbour_range_min);
            }
            Spike | SuddenDrop => {
                put("spike_z_min", self.spike_z_min);
                put("spike_z_alone_min", self.spike_z_alone_min);
                put("spike_rel_min", self.spike_rel_min);
                put("drop_rel_min", self.drop_rel_min);
                put("spike_neighbour_share_max", self.spike_neighbour_share_max);
                put("spike_co_pollutant_z_min", self.spike_co_pollutant_z_min);
                for p in Pollutant::ALL {
                    put(
                        &format!("spike_abs_min.{}", p.name()),
                        self.spike_abs_min[p.index()],
                    );
                }
            }
            Pm25AbovePm10 => {
                put("pm_excess_rel", self.pm_excess_rel);
                put("pm_excess_abs", self.pm_excess_abs);
                put("pm_excess_hours_min", self.pm_excess_hours_min as f64);
            }
            LowPmRatio => {
                put("low_ratio_max", self.low_ratio_max);
                put("low_ratio_pm10_min", self.low_ratio_pm10_min);
                put("low_ratio_hours_min", self.low_ratio_hours_min as f64);
            }
            ZeroNegative => put(
                "zero_negative_hours_min",
                self.zero_negative_hours_min as f64,
            ),
            Spraying => {
                put("spraying_drop_min", self.spraying_drop_min);
                put("spraying_pm25_before_min", self.spraying_pm25_before_min);
                put("spraying_rh_pct_min", self.spraying_rh_pct_min);
                put("spraying_rh_rise_min", self.spraying_rh_rise_min);
                put("spraying_gas_change_max", self.spraying_gas_change_max);
                put(
                    "spraying_neighbour_share_max",
                    self.spraying_neighbour_share_max,
                );
            }
            InletBlocked => {
                put("blocked_hours_min", self.blocked_hours_min as f64);
                put("blocked_ratio_max", self.blocked_ratio_max);
                put("blocked_pm25_max", self.blocked_pm25_max);
                put("blocked_spread_max", self.blocked_spread_max);
                put(
                    "blocked_neighbour_pm25_min",
                    self.blocked_neighbour_pm25_min,
                );
                put("blocked_gas_range_min", self.blocked_gas_range_min);
            }
            OutageInEpisode => {
                put("episode_pm25_min", self.episode_pm25_min);
                put("outage_hours_min", self.outage_hours_min as f64);
                put("outage_high_share_min", self.outage_high_share_min);
            }
            PeriodicSameHour => {
                put("periodic_z_min", self.periodic_z_min);
                put("periodic_days_min", self.periodic_days_min as f64);
                put("periodic_share_min", self.periodic_share_min);
            }
            ClockDrift => {
                put("clock_window_days", self.clock_window_days as f64);
                put("clock_lag_hours_max", self.clock_lag_hours_max as f64);
                put("clock_lag_hours_min", self.clock_lag_hours_min as f64);
                put("clock_corr_min", self.clock_corr_min);
                put("clock_corr_gain_min", self.clock_corr_gain_min);
                put("clock_ahead_s_max", self.clock_ahead_s_max);
            }
            Backfilled => put("backfill_lag_s_min", self.backfill_lag_s_min),
            TownshipBelowAssessment => {
                put("township_ratio_max", self.township_ratio_max);
                put("township_days_min", self.township_days_min as f64);
                put("township_share_min", self.township_share_min);
            }
            CemsFlatLine => put("cems_flat_hours_min", self.cems_flat_hours_min as f64),
            CemsMissing => put("cems_missing_hours_min", self.cems_missing_hours_min as f64),
            CemsHuggingLimit => {
                put("hug_band_min", self.hug_band_min);
                put("hug_share_min", self.hug_share_min);
                put("hug_hours_min", self.hug_hours_min as f64);
            }
            CemsDilution => {
                put("dilution_window_hours", self.dilution_window_hours as f64);
                put("dilution_o2_rise_min", self.dilution_o2_rise_min);
                put("dilution_drop_min", self.dilution_drop_min);
                put("dilution_flow_rise_min", self.dilution_flow_rise_min);
                put("dilution_zs_change_max", self.dilution_zs_change_max);
            }
            CemsTreatmentOff => {}
            CemsZsInconsistent => {
                put("zs_tolerance.relative", self.zs_tolerance.relative);
                put("zs_tolerance.absolute", self.zs_tolerance.absolute);
                put("zs_hours_min", self.zs_hours_min as f64);
            }
        }
        if !matches!(
            rule,
            Completeness | PeriodicSameHour | TownshipBelowAssessment
        ) {
            put("merge_gap_hours", self.merge_gap_hours as f64);
        }
        if rule.needs_neighbours() || matches!(rule, Spike | SuddenDrop | FlatLine) {
            put("neighbour_radius_km", self.neighbour_radius_km);
            put("neighbours_max", self.neighbours_max as f64);
        }
        out
    }
}

mod cems_rules;
mod episodes;
mod station;
#[cfg(test)]
mod tests;

pub use cems_rules::{CemsChannel, CemsInput, scan_cems, scan_cems_missing};
