//! The station page's read (issue 17): one station's hours and days over a span, all six
//! pollutants with each one's IAQI, the AQI with its level and primary pollutant, the
//! coverage of every hour and day, the Grade II limits and AQI levels to draw as lines and
//! legends, and the meteorology (a01001–a01008) where the station sends it. Raw or audited,
//! through the one data path (`data::Hours`); who may read it is who sees the station's data
//! (`policy::station_data`).

use crate::data::{Hours, day_aqi, hour_aqi, span_days};
use crate::error::{AppError, AppResult};
use crate::present::{concentration, edition_name, hour_label_text, hour_start_text};
use crate::tracing::{MetHour, meteorology};
use crate::{App, Caller};
use lantian_core::Date;
use lantian_core::aqi::{AqiResult, Lang, Level};
use lantian_core::cst;
use lantian_core::limits::{Averaging, Grade, limit};
use lantian_core::pollutant::Pollutant;
use lantian_core::rules::{LimitsEdition, RuleSet};
use lantian_core::validity::{O3_8H_VALID_HOURS_MIN, mean_if_enough};
use lantian_store::View;
use serde::Serialize;
use std::collections::BTreeMap;

/// The longest span of hours one request reads, in days (31 days: 744 hours).
pub const SPAN_DAYS_MAX: i64 = 31;
/// Days read when the request gives no span: the last 7 up to the station's latest hour.
pub const DAYS_DEFAULT: i64 = 7;
/// The AQI's level boundaries (HJ 633 Table 2): level `n` is `(BOUNDS[n-1], BOUNDS[n]]`.
pub const LEVEL_BOUNDS: [u16; 7] = [0, 50, 100, 150, 200, 300, 500];

/// What to read.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub station: String,
    /// The last `days` days up to the station's latest hour (when `from`/`to` are absent).
    pub days: i64,
    /// Whole days, Beijing time, inclusive.
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub view: View,
    pub lang: Lang,
}

/// An AQI as the page colours it (the advice is left out: hundreds of hours repeat it).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Aqi {
    /// `None` is "NA" (nothing to score, or HJ 633-2026 §5.3 withholds it).
    pub aqi: Option<u16>,
    /// Above the top breakpoint: shown as ">500".
    pub above_range: bool,
    pub level: Option<u8>,
    pub category: Option<&'static str>,
    pub colour: Option<String>,
    /// 首要污染物 (only when the AQI is above 50), by name (`PM2.5`).
    pub primary: Vec<&'static str>,
    /// Each pollutant's IAQI by key (`pm25`); O3 the larger of its 1-h and 8-h IAQI.
    pub iaqi: BTreeMap<&'static str, Option<u16>>,
}

impl Aqi {
    fn of(r: &AqiResult, lang: Lang) -> Aqi {
        let level = r.level();
        Aqi {
            aqi: r.aqi,
            above_range: r.above_range,
            level: level.map(Level::number),
            category: level.map(|l| l.category(lang)),
            colour: level.map(Level::hex),
            primary: r.primary.iter().map(Pollutant::name).collect(),
            iaqi: Pollutant::ALL
                .iter()
                .map(|p| (p.key(), r.pollutant_iaqi(*p)))
                .collect(),
        }
    }
}

/// One hour (the real-time report's figures).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HourRow {
    /// The hour's start, CST seconds; its start and its label (end), Beijing time.
    pub ts: i64,
    pub start: String,
    pub time: String,
    /// 1-h concentrations by key in standard units (CO mg/m³); `null` when missing.
    pub values: BTreeMap<&'static str, Option<f64>>,
    /// The O3 8-h moving mean ending with this hour (≥ 6 valid hours).
    pub o3_8h: Option<f64>,
    #[serde(flatten)]
    pub aqi: Aqi,
    /// Covered fraction of the hour: valid minutes over those expected, over the
    /// pollutants the station measures.
    pub coverage: f64,
}

/// One day (the daily report's figures).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DayRow {
    pub date: Date,
    /// Daily means by key (O3: the daily maximum 8-h mean, MDA8); `null` when the day is
    /// not valid for that pollutant (GB 3095 Table 4).
    pub values: BTreeMap<&'static str, Option<f64>>,
    /// The daily maximum 1-h O3.
    pub o3_max_1h: Option<f64>,
    #[serde(flatten)]
    pub aqi: Aqi,
    /// Valid hours of each pollutant, of 24.
    pub valid_hours: BTreeMap<&'static str, u32>,
    /// Covered fraction of the day: valid hours over those expected.
    pub coverage: f64,
}

/// A pollutant as the page names it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PollutantInfo {
    pub key: &'static str,
    pub name: &'static str,
    pub code: &'static str,
    pub unit: &'static str,
    /// Whether the station measures it (all six when its register does not say).
    pub measured: bool,
    /// Grade II limits of the span's last day (GB 3095): 1-h, and 24-h (O3: MDA8); `null`
    /// where the standard sets none (PM has no 1-h limit).
    pub limit_hour: Option<f64>,
    pub limit_day: Option<f64>,
}

/// An AQI level for the legend.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LevelInfo {
    pub level: u8,
    /// The AQI range, `from` exclusive except for level 1.
    pub from: u16,
    pub to: u16,
    pub category: &'static str,
    pub colour: String,
}

/// The station page's answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StationHours {
    pub station: String,
    pub name: String,
    /// First and last day (Beijing time).
    pub from: Date,
    pub to: Date,
    pub view: View,
    /// The AQI regulation and the limits' edition of the span's last day.
    pub aqi_rule: &'static str,
    pub limits_edition: LimitsEdition,
    pub pollutants: Vec<PollutantInfo>,
    pub levels: Vec<LevelInfo>,
    /// Every hour of the span, in order (missing hours have `null` values and coverage 0).
    pub hours: Vec<HourRow>,
    pub days: Vec<DayRow>,
    /// The hours with any meteorological value (empty when the station sends none).
    pub meteorology: Vec<MetHour>,
}

/// The hours and days of a station the caller sees (`policy::station_data`).
pub fn station_hours(app: &App, caller: &Caller, r: &Request) -> AppResult<StationHours> {
    let station = crate::stations::find_for(app, caller, &r.station)?;
    let (first, last) = match (r.from, r.to) {
        (Some(f), Some(t)) => (f, t),
        (None, None) => {
            if !(1..=SPAN_DAYS_MAX).contains(&r.days) {
                return Err(AppError::BadRequest(format!(
                    "days {}: must be 1-{SPAN_DAYS_MAX}",
                    r.days
                )));
            }
            let codes = Pollutant::ALL.map(Pollutant::hj212_code);
            let latest = app
                .store
                .latest_hour(&station.id, &codes)?
                .unwrap_or_else(|| cst::hour_start(app.clock.now_cst()));
            let last = cst::date_of(latest);
            (last.add_days(1 - r.days), last)
        }
        _ => {
            return Err(AppError::BadRequest(
                "give both from and to (YYYY-MM-DD), or neither".to_owned(),
            ));
        }
    };
    let n_days = span_days(first, last)?;
    if n_days as i64 > SPAN_DAYS_MAX {
        return Err(AppError::BadRequest(format!(
            "from {first} to {last}: at most {SPAN_DAYS_MAX} days of hours"
        )));
    }
    // A day before the span, for the 8-h means of its first hours.
    let hours = Hours::load(
        app,
        vec![station.clone()],
        first.add_days(-1),
        n_days + 1,
        r.view,
    )?;
    let series = &hours.series[0];
    let o3 = &series.values[Pollutant::O3.index()];
    let hour_rows = (24..(n_days + 1) * 24)
        .map(|i| {
            let ts = cst::day_start(first) + (i as i64 - 24) * cst::HOUR_S;
            let values: [f64; 6] = std::array::from_fn(|k| series.values[k][i]);
            let o3_8h = mean_if_enough(&o3[i - 7..=i], O3_8H_VALID_HOURS_MIN).valid();
            let result = hour_aqi(cst::date_of(ts), values.map(|v| (!v.is_nan()).then_some(v)));
            HourRow {
                ts,
                start: hour_start_text(ts),
                time: hour_label_text(ts),
                values: by_key(&values),
                o3_8h: o3_8h.and_then(|v| concentration(Pollutant::O3, v)),
                aqi: Aqi::of(&result, r.lang),
                coverage: hours.hour_coverage(i),
            }
        })
        .collect();
    let day_rows = hours
        .days()
        .iter()
        .enumerate()
        .skip(1)
        .map(|(i, d)| DayRow {
            date: d.date,
            values: by_key(&d.values),
            o3_max_1h: concentration(Pollutant::O3, d.o3_max_1h),
            aqi: Aqi::of(&day_aqi(d), r.lang),
            valid_hours: Pollutant::ALL
                .iter()
                .map(|p| (p.key(), hours.valid_hours(*p, i).0))
                .collect(),
            coverage: hours.day_coverage(i),
        })
        .collect();
    let rules = RuleSet::for_date(last);
    let measured = |p: Pollutant| {
        station.pollutants.is_empty()
            || station
                .pollutants
                .iter()
                .any(|c| Pollutant::parse(c) == Some(p))
    };
    let pollutants = Pollutant::ALL
        .iter()
        .map(|&p| PollutantInfo {
            key: p.key(),
            name: p.name(),
            code: p.hj212_code(),
            unit: p.standard_unit().symbol(),
            measured: measured(p),
            limit_hour: limit(rules.limits, Grade::II, p, Averaging::Hourly),
            limit_day: limit(
                rules.limits,
                Grade::II,
                p,
                if p == Pollutant::O3 {
                    Averaging::Mda8
                } else {
                    Averaging::Daily
                },
            ),
        })
        .collect();
    let met = meteorology(app, caller, &station.id, first, last, r.view, None)?;
    Ok(StationHours {
        station: station.id,
        name: station.name,
        from: first,
        to: last,
        view: r.view,
        aqi_rule: edition_name(rules.aqi),
        limits_edition: rules.limits,
        pollutants,
        levels: levels(r.lang),
        hours: hour_rows,
        days: day_rows,
        meteorology: met,
    })
}

/// Concentrations by key, as shown (`null` for a missing or invalid value).
fn by_key(values: &[f64; 6]) -> BTreeMap<&'static str, Option<f64>> {
    Pollutant::ALL
        .iter()
        .map(|p| (p.key(), concentration(*p, values[p.index()])))
        .collect()
}

/// The six AQI levels with their ranges, categories and colours.
pub fn levels(lang: Lang) -> Vec<LevelInfo> {
    LEVEL_BOUNDS
        .windows(2)
        .map(|w| {
            let l = Level::from_aqi(w[1]);
            LevelInfo {
                level: l.number(),
                from: w[0],
                to: w[1],
                category: l.category(lang),
                colour: l.hex(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_levels_cover_0_to_500_in_six_steps_each_with_its_own_colour() {
        let l = levels(Lang::Zh);
        assert_eq!(l.len(), 6);
        for (i, x) in l.iter().enumerate() {
            assert_eq!(usize::from(x.level), i + 1);
            // The top of each range is of this level, one above it of the next.
            assert_eq!(Level::from_aqi(x.to).number(), x.level);
            if x.to < 500 {
                assert_eq!(Level::from_aqi(x.to + 1).number(), x.level + 1);
            }
        }
        assert_eq!(l[0].category, "优");
        assert_eq!(l[5].category, "严重污染");
        let colours: std::collections::HashSet<_> = l.iter().map(|x| x.colour.clone()).collect();
        assert_eq!(colours.len(), 6);
        assert_eq!(levels(Lang::En)[1].category, "Good");
    }
}
