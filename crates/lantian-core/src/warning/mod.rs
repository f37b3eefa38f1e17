//! Heavy-pollution warnings (spec §5): the trigger rules of each dated plan edition, the
//! level a forecast proposes with the rule that fired, and when a forecast lets a warning
//! be lifted. Pure: a forecast is a run of hourly values, the rolling 24-hour AQI.

pub mod reduction;

use crate::Date;
use crate::cst;
use crate::org::named_enum;

named_enum! {
    /// A city warning level (预警级别), lowest first.
    Level {
        /// 黄色预警, Ⅲ级响应.
        Yellow = "yellow",
        /// 橙色预警, Ⅱ级响应.
        Orange = "orange",
        /// 红色预警, Ⅰ级响应.
        Red = "red",
    }
}

impl Level {
    pub fn name_zh(self) -> &'static str {
        match self {
            Level::Yellow => "黄色",
            Level::Orange => "橙色",
            Level::Red => "红色",
        }
    }

    /// The response level the warning starts (应急响应级别).
    pub fn response_zh(self) -> &'static str {
        match self {
            Level::Yellow => "Ⅲ级",
            Level::Orange => "Ⅱ级",
            Level::Red => "Ⅰ级",
        }
    }
}

named_enum! {
    /// Where a warning is in its workflow.
    State {
        /// Proposed from a forecast, not yet signed off.
        Proposed = "proposed",
        /// Issued (or ordered by the province) and not yet lifted.
        InForce = "in_force",
        Lifted = "lifted",
        /// A proposal that was not issued.
        Withdrawn = "withdrawn",
    }
}

named_enum! {
    /// Who started a warning: the city from its forecast, or a regional order of the
    /// provincial office (省大气办, spec §5.2).
    Origin {
        Local = "local",
        Regional = "regional",
    }
}

named_enum! {
    /// A step of a warning's timeline.
    EventKind {
        Proposed = "proposed",
        Issued = "issued",
        Adjusted = "adjusted",
        Lifted = "lifted",
        Withdrawn = "withdrawn",
        /// A regional order received from the province.
        RegionalOrder = "regional_order",
        /// The city's answer to a regional order.
        Answered = "answered",
    }
}

impl EventKind {
    pub fn name_zh(self) -> &'static str {
        match self {
            EventKind::Proposed => "建议发布",
            EventKind::Issued => "发布预警",
            EventKind::Adjusted => "调整级别",
            EventKind::Lifted => "解除预警",
            EventKind::Withdrawn => "撤回建议",
            EventKind::RegionalOrder => "接收区域预警指令",
            EventKind::Answered => "回复区域指令",
        }
    }
}

/// Hours in which the forecast AQI is above `above_aqi`, at least `hours_min` of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    pub above_aqi: u32,
    pub hours_min: u32,
    /// Whether the hours must follow each other (`lasting`) or may be anywhere in the
    /// episode (`on N days`).
    pub consecutive: bool,
}

const fn lasting(above_aqi: u32, hours_min: u32) -> Run {
    Run {
        above_aqi,
        hours_min,
        consecutive: true,
    }
}

const fn on_days(above_aqi: u32, days: u32) -> Run {
    Run {
        above_aqi,
        hours_min: days * 24,
        consecutive: false,
    }
}

/// One way to meet a level: a main run (its consecutive hours are the episode) and further
/// runs inside that episode, all of which must hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trigger {
    pub main: Run,
    pub within: &'static [Run],
}

/// A level and the triggers any one of which meets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LevelRule {
    pub level: Level,
    pub any_of: &'static [Trigger],
}

/// A warning plan's edition: its triggers per level and its lifting rule, in force from a
/// date until the next edition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edition {
    /// Stable id, e.g. `hebei-2024`.
    pub id: &'static str,
    pub from: Date,
    pub name_zh: &'static str,
    /// Lowest level first.
    pub levels: &'static [LevelRule],
    /// A warning may be lifted when the forecast stays at or below this AQI …
    pub lift_at_or_below_aqi: u32,
    /// … for more than this many hours.
    pub lift_hours_more_than: u32,
    /// Where the thresholds come from.
    pub source: &'static str,
}

const fn date(y: i32, m: u32, d: u32) -> Date {
    Date::from_ymd_unchecked(y, m, d)
}

/// Hebei's plan as revised in 2024 (spec §5.1), the same thresholds as the national 2024
/// mechanism: yellow at daily AQI > 200, or > 150 for 48 h; orange at > 200 for 48 h, or
/// > 150 for 72 h; red at > 200 for 72 h with > 300 for 24 h.
pub const HEBEI_2024: Edition = Edition {
    id: "hebei-2024",
    from: date(2024, 3, 27),
    name_zh: "河北省重污染天气应急预案（2024年修订）",
    levels: &[
        LevelRule {
            level: Level::Yellow,
            any_of: &[
                Trigger {
                    main: lasting(200, 24),
                    within: &[],
                },
                Trigger {
                    main: lasting(150, 48),
                    within: &[],
                },
            ],
        },
        LevelRule {
            level: Level::Orange,
            any_of: &[
                Trigger {
                    main: lasting(200, 48),
                    within: &[],
                },
                Trigger {
                    main: lasting(150, 72),
                    within: &[],
                },
            ],
        },
        LevelRule {
            level: Level::Red,
            any_of: &[Trigger {
                main: lasting(200, 72),
                within: &[lasting(300, 24)],
            }],
        },
    ],
    lift_at_or_below_aqi: 150,
    lift_hours_more_than: 36,
    source: "河北日报 2024-03-27；环大气〔2024〕6号",
};

/// The thresholds of about 2018–2023 (spec §5.3), for back-data: yellow at daily AQI > 200
/// for 2 days; orange at > 200 for 3 days with > 300 on 1 day; red at > 200 for 4 days with
/// > 300 on 2 days, or AQI reaching 500 for a day.
pub const HEBEI_2018: Edition = Edition {
    id: "hebei-2018",
    from: date(2018, 1, 1),
    name_zh: "河北省重污染天气应急预案（2018年前后版本）",
    levels: &[
        LevelRule {
            level: Level::Yellow,
            any_of: &[Trigger {
                main: lasting(200, 48),
                within: &[],
            }],
        },
        LevelRule {
            level: Level::Orange,
            any_of: &[Trigger {
                main: lasting(200, 72),
                within: &[on_days(300, 1)],
            }],
        },
        LevelRule {
            level: Level::Red,
            any_of: &[
                Trigger {
                    main: lasting(200, 96),
                    within: &[on_days(300, 2)],
                },
                Trigger {
                    main: lasting(499, 24),
                    within: &[],
                },
            ],
        },
    ],
    lift_at_or_below_aqi: 150,
    lift_hours_more_than: 36,
    source: "环办大气函〔2018〕875号、〔2019〕648号（推断）",
};

/// Every edition, oldest first.
pub const EDITIONS: &[Edition] = &[HEBEI_2018, HEBEI_2024];

/// The edition in force on `d`; dates before the oldest edition take the oldest.
pub fn edition_for(d: Date) -> &'static Edition {
    EDITIONS
        .iter()
        .rev()
        .find(|e| e.from <= d)
        .unwrap_or(&EDITIONS[0])
}

/// An edition by id (`hebei-2024`) or by a year it was in force (`2024`, `2020`).
pub fn edition_named(name: &str) -> Option<&'static Edition> {
    if let Some(e) = EDITIONS.iter().find(|e| e.id == name) {
        return Some(e);
    }
    let year: i32 = name.parse().ok()?;
    // The edition in force at the end of that year.
    (1900..=9999)
        .contains(&year)
        .then(|| edition_for(date(year, 12, 31)))
}

/// A forecast: the rolling 24-hour AQI for consecutive hours from `start` (CST seconds, the
/// first hour's start); `None` is an hour without a forecast.
#[derive(Clone, Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Forecast {
    pub start: i64,
    pub hourly: Vec<Option<f64>>,
}

impl Forecast {
    /// A forecast of daily AQI values for consecutive days from `first`: each day's value
    /// holds for its 24 hours.
    pub fn daily(first: Date, days: &[Option<f64>]) -> Forecast {
        Forecast {
            start: cst::day_start(first),
            hourly: days.iter().flat_map(|v| [*v; 24]).collect(),
        }
    }

    fn hour_start(&self, i: usize) -> i64 {
        self.start + i as i64 * cst::HOUR_S
    }
}

/// What a forecast proposes.
#[derive(Clone, Debug, PartialEq)]
pub struct Proposal {
    /// `None`: the forecast meets no level.
    pub level: Option<Level>,
    /// The first and last hour (their starts, CST seconds) of the episodes that meet it.
    pub first_hour: Option<i64>,
    pub last_hour: Option<i64>,
    /// The rule that fired, in Chinese and in English (empty when none).
    pub rule_zh: String,
    pub rule_en: String,
    pub edition: &'static str,
}

fn above(v: Option<f64>, threshold: u32) -> bool {
    v.is_some_and(|v| v > f64::from(threshold))
}

/// The maximal runs `[start, end)` of consecutive hours above `threshold`.
fn runs(values: &[Option<f64>], threshold: u32) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, v) in values.iter().enumerate() {
        match (above(*v, threshold), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, values.len()));
    }
    out
}

/// Whether `run` holds within `values`.
fn holds(values: &[Option<f64>], run: &Run) -> bool {
    let need = run.hours_min as usize;
    if run.consecutive {
        runs(values, run.above_aqi)
            .iter()
            .any(|(s, e)| e - s >= need)
    } else {
        values.iter().filter(|v| above(**v, run.above_aqi)).count() >= need
    }
}

/// The episodes `[start, end)` (hour indices) in which `trigger` is met.
fn episodes(values: &[Option<f64>], trigger: &Trigger) -> Vec<(usize, usize)> {
    runs(values, trigger.main.above_aqi)
        .into_iter()
        .filter(|(s, e)| e - s >= trigger.main.hours_min as usize)
        .filter(|(s, e)| trigger.within.iter().all(|r| holds(&values[*s..*e], r)))
        .collect()
}

/// Describes a run: `日均AQI>200持续≥48小时` / `daily AQI > 200 for ≥ 48 h`.
fn describe(run: &Run) -> (String, String) {
    if run.consecutive {
        (
            format!("日均AQI>{}持续≥{}小时", run.above_aqi, run.hours_min),
            format!("daily AQI > {} for ≥ {} h", run.above_aqi, run.hours_min),
        )
    } else {
        let days = run.hours_min / 24;
        (
            format!("日均AQI>{}累计≥{}天", run.above_aqi, days),
            format!("daily AQI > {} on ≥ {} day(s)", run.above_aqi, days),
        )
    }
}

fn describe_trigger(t: &Trigger) -> (String, String) {
    let (mut zh, mut en) = describe(&t.main);
    for r in t.within {
        let (z, e) = describe(r);
        zh = format!("{zh}且{z}");
        en = format!("{en} and {e}");
    }
    (zh, en)
}

/// The highest level `forecast` meets under `edition`, the span of the episodes that meet it
/// and the first of its triggers that fired.
pub fn propose(edition: &'static Edition, forecast: &Forecast) -> Proposal {
    for rule in edition.levels.iter().rev() {
        let mut span: Option<(usize, usize)> = None;
        let mut fired = None;
        for t in rule.any_of {
            for (s, e) in episodes(&forecast.hourly, t) {
                fired.get_or_insert(t);
                span = Some(span.map_or((s, e), |(a, b)| (a.min(s), b.max(e))));
            }
        }
        if let (Some((s, e)), Some(t)) = (span, fired) {
            let (zh, en) = describe_trigger(t);
            return Proposal {
                level: Some(rule.level),
                first_hour: Some(forecast.hour_start(s)),
                last_hour: Some(forecast.hour_start(e - 1)),
                rule_zh: format!("{}预警：{zh}", rule.level.name_zh()),
                rule_en: format!("{}: {en}", rule.level),
                edition: edition.id,
            };
        }
    }
    Proposal {
        level: None,
        first_hour: None,
        last_hour: None,
        rule_zh: String::new(),
        rule_en: String::new(),
        edition: edition.id,
    }
}

/// The first hour at or after `from` (CST seconds) from which the forecast stays at or
/// below the lifting AQI for more than the edition's hours: the warning may be lifted from
/// then. `None` when the forecast does not show that (a missing hour breaks the stretch).
pub fn lift_from(edition: &Edition, forecast: &Forecast, from: i64) -> Option<i64> {
    let need = edition.lift_hours_more_than as usize + 1;
    let mut start = None;
    for (i, v) in forecast.hourly.iter().enumerate() {
        if forecast.hour_start(i) < from {
            continue;
        }
        match v {
            Some(v) if *v <= f64::from(edition.lift_at_or_below_aqi) => {
                let s = *start.get_or_insert(i);
                if i + 1 - s >= need {
                    return Some(forecast.hour_start(s));
                }
            }
            _ => start = None,
        }
    }
    None
}

#[cfg(test)]
mod tests;
