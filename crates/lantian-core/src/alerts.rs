//! Alerts pushed to people (issue 17), as data and pure functions: the kinds of rule (AQI
//! above a level, a station offline, a measure due or overdue, an integrity alarm opened),
//! what each finds in the subjects it is given, the deduplication and cool-down of one
//! subject's alert, and the retry schedule of a delivery. The application layer reads the
//! subjects from the store and delivers; nothing here does IO or reads a clock.

use crate::Date;
use crate::aqi::{Lang, Level};
use crate::cst;
use crate::org::named_enum;

named_enum! {
    /// What a rule watches.
    Kind {
        /// A station's latest hour has a real-time AQI above the rule's level.
        AqiAbove = "aqi_above",
        /// A station that has sent data has been silent for the rule's hours or more.
        StationOffline = "station_offline",
        /// An unfinished measure's deadline is within the rule's days.
        MeasureDue = "measure_due",
        /// An unfinished measure is past its last deadline.
        MeasureOverdue = "measure_overdue",
        /// An integrity alarm was opened (after the rule was made).
        AlarmOpened = "alarm_opened",
        /// An upstream destination's forwarding queue is full: packets wait in the archive.
        ForwardQueueFull = "forward_queue_full",
    }
}

named_enum! {
    /// Where a webhook channel posts.
    ChannelKind {
        /// A WeCom (企业微信) group robot: `msgtype` markdown or text.
        Wecom = "wecom",
        /// A DingTalk (钉钉) group robot, optionally with its signing secret.
        Dingtalk = "dingtalk",
        /// A generic SMS gateway: an HTTP POST of the channel's template per recipient.
        Sms = "sms",
    }
}

named_enum! {
    /// How a robot message is written.
    Format {
        Markdown = "markdown",
        Text = "text",
    }
}

named_enum! {
    /// Where a delivery stands.
    DeliveryStatus {
        /// Not yet sent, or to be retried at its next time.
        Pending = "pending",
        Sent = "sent",
        /// Every attempt failed.
        Failed = "failed",
    }
}

/// The default level of [`Kind::AqiAbove`]: above 200 is 重度污染 (HJ 633 Table 2).
pub const AQI_LEVEL_DEFAULT: f64 = 200.0;
/// The default silence of [`Kind::StationOffline`], hours.
pub const OFFLINE_HOURS_DEFAULT: f64 = 3.0;
/// The default warning of [`Kind::MeasureDue`], days before the deadline.
pub const DUE_DAYS_DEFAULT: f64 = 7.0;
/// A station's latest hour older than this (hours before now) is not judged by
/// [`Kind::AqiAbove`]: a stale hour is the offline rule's business, and old data imported
/// today must not raise today's alert.
pub const AQI_HOUR_FRESH_HOURS_MAX: i64 = 3;
/// The default cool-down: a subject alerted is not alerted again by the same rule for this
/// long while the condition persists (minutes).
pub const COOLDOWN_MIN_DEFAULT: i64 = 180;
/// The longest cool-down accepted (minutes): 30 days.
pub const COOLDOWN_MIN_MAX: i64 = 30 * 24 * 60;
/// Attempts of one delivery before it is failed.
pub const ATTEMPTS_MAX: i64 = 5;
/// The wait before the first retry (ms); each further retry waits twice as long.
pub const RETRY_FIRST_MS: i64 = 60_000;

impl Kind {
    pub fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Kind::AqiAbove, Lang::Zh) => "AQI 超过限值",
            (Kind::AqiAbove, Lang::En) => "AQI above a level",
            (Kind::StationOffline, Lang::Zh) => "站点离线",
            (Kind::StationOffline, Lang::En) => "Station offline",
            (Kind::MeasureDue, Lang::Zh) => "措施临近期限",
            (Kind::MeasureDue, Lang::En) => "Measure due soon",
            (Kind::MeasureOverdue, Lang::Zh) => "措施逾期",
            (Kind::MeasureOverdue, Lang::En) => "Measure overdue",
            (Kind::AlarmOpened, Lang::Zh) => "数据异常报警",
            (Kind::AlarmOpened, Lang::En) => "Integrity alarm opened",
            (Kind::ForwardQueueFull, Lang::Zh) => "转发队列已满",
            (Kind::ForwardQueueFull, Lang::En) => "Forwarding queue full",
        }
    }

    /// The threshold used when a rule gives none, and the range accepted: `None` for a
    /// kind without a threshold.
    pub fn threshold_range(self) -> Option<(f64, f64, f64)> {
        match self {
            Kind::AqiAbove => Some((AQI_LEVEL_DEFAULT, 0.0, 500.0)),
            Kind::StationOffline => Some((OFFLINE_HOURS_DEFAULT, 1.0, 24.0 * 30.0)),
            Kind::MeasureDue => Some((DUE_DAYS_DEFAULT, 0.0, 365.0)),
            Kind::MeasureOverdue | Kind::AlarmOpened | Kind::ForwardQueueFull => None,
        }
    }

    /// The rule's threshold checked: the default when absent, an error naming the range
    /// when outside it; `0` for a kind without one.
    pub fn threshold(self, given: Option<f64>) -> Result<f64, String> {
        let Some((default, lo, hi)) = self.threshold_range() else {
            return Ok(0.0);
        };
        let t = given.unwrap_or(default);
        if t.is_finite() && (lo..=hi).contains(&t) {
            Ok(t)
        } else {
            Err(format!(
                "“{}”的阈值须在 {lo} 至 {hi} 之间，收到 {t} / the threshold of {} must be within {lo} ..= {hi}, got {t}",
                self.name(Lang::Zh),
                self.as_str()
            ))
        }
    }
}

/// A rule as the evaluation needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub kind: Kind,
    pub threshold: f64,
    /// Only subjects of this unit (a township's id, a department's name) or with this id
    /// (a station, a measure); `None`: all.
    pub scope: Option<String>,
    /// When the rule was made (unix ms): alarms opened before it are not news.
    pub created_ms: i64,
}

impl Rule {
    fn covers(&self, id: &str, units: &[String]) -> bool {
        self.scope
            .as_deref()
            .is_none_or(|s| s == id || units.iter().any(|u| u == s))
    }
}

/// A station's latest hour with data.
#[derive(Clone, Debug, PartialEq)]
pub struct StationHour {
    pub id: String,
    pub name: String,
    pub unit: Option<String>,
    /// The hour's start, CST seconds.
    pub hour_start: i64,
    pub aqi: Option<u16>,
}

/// When a station last sent anything.
#[derive(Clone, Debug, PartialEq)]
pub struct StationLast {
    pub id: String,
    pub name: String,
    pub unit: Option<String>,
    /// The start of the latest value's period, CST seconds; `None`: never sent.
    pub last_ts: Option<i64>,
}

/// A measure as the rules see it.
#[derive(Clone, Debug, PartialEq)]
pub struct MeasureState {
    pub id: String,
    /// The measure's text (shortened in messages).
    pub text: String,
    /// Its responsible units (lead and supporting).
    pub units: Vec<String>,
    pub done: bool,
    pub deadlines: Vec<Date>,
}

/// An integrity alarm.
#[derive(Clone, Debug, PartialEq)]
pub struct AlarmOpened {
    pub id: i64,
    pub station_id: String,
    pub station_name: String,
    pub unit: Option<String>,
    pub why_zh: String,
    pub why_en: String,
    /// When it was stored, unix ms.
    pub created_ms: i64,
}

/// What a rule found: one subject to alert about, with the words of the alert.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// What the alert is about (`station:ID`, `measure:ID`, `alarm:ID`): the cool-down is
    /// per rule and subject.
    pub subject: String,
    /// The units it concerns (their accounts see it in their inbox).
    pub units: Vec<String>,
    pub title_zh: String,
    pub title_en: String,
    pub text_zh: String,
    pub text_en: String,
    /// The UI's page of the subject (`#/station/ID`).
    pub link: String,
}

/// Characters of a measure's text kept in a message.
const MEASURE_TEXT_CHARS_MAX: usize = 60;

fn short(text: &str) -> String {
    let mut s: String = text.chars().take(MEASURE_TEXT_CHARS_MAX).collect();
    if text.chars().count() > MEASURE_TEXT_CHARS_MAX {
        s.push('…');
    }
    s
}

/// The Beijing-time label of an hour starting at `hour_start` (its end, as CNEMC labels).
fn hour_label(hour_start: i64) -> String {
    cst::format_minute(hour_start + cst::HOUR_S)
}

/// What `rule` finds at `now` (CST seconds) among `stations`' latest hours.
pub fn aqi_above(rule: &Rule, stations: &[StationHour], now: i64) -> Vec<Finding> {
    let units = |s: &StationHour| s.unit.iter().cloned().collect::<Vec<_>>();
    stations
        .iter()
        .filter(|s| rule.covers(&s.id, &units(s)))
        .filter(|s| now - s.hour_start <= AQI_HOUR_FRESH_HOURS_MAX * cst::HOUR_S)
        .filter_map(|s| {
            let aqi = s.aqi?;
            (f64::from(aqi) > rule.threshold).then(|| {
                let level = Level::from_aqi(aqi);
                let at = hour_label(s.hour_start);
                Finding {
                    subject: format!("station:{}", s.id),
                    units: units(s),
                    title_zh: format!("{} AQI {aqi}（{}）", s.name, level.category(Lang::Zh)),
                    title_en: format!("{} AQI {aqi} ({})", s.name, level.category(Lang::En)),
                    text_zh: format!(
                        "{}的实时 AQI 为 {aqi}（{}），超过预警线 {}。时间：北京时间 {at}",
                        s.name,
                        level.category(Lang::Zh),
                        rule.threshold
                    ),
                    text_en: format!(
                        "{}'s real-time AQI is {aqi} ({}), above the level {}. Hour ending {at} Beijing time",
                        s.name,
                        level.category(Lang::En),
                        rule.threshold
                    ),
                    link: format!("#/station/{}", s.id),
                }
            })
        })
        .collect()
}

/// What `rule` finds at `now` (CST seconds): stations silent for its hours or more. A
/// station that never sent is not offline (it is not yet connected).
pub fn offline(rule: &Rule, stations: &[StationLast], now: i64) -> Vec<Finding> {
    stations
        .iter()
        .filter_map(|s| {
            let units: Vec<String> = s.unit.iter().cloned().collect();
            if !rule.covers(&s.id, &units) {
                return None;
            }
            // The latest value's period ends an hour after its start at most.
            let since = cst::hour_start(s.last_ts?) + cst::HOUR_S;
            let hours = (now - since) / cst::HOUR_S;
            (hours as f64 >= rule.threshold).then(|| {
                let at = cst::format_minute(since);
                Finding {
                    subject: format!("station:{}", s.id),
                    units,
                    title_zh: format!("{} 离线 {hours} 小时", s.name),
                    title_en: format!("{} offline for {hours} h", s.name),
                    text_zh: format!(
                        "{}自北京时间 {at} 起无数据，已 {hours} 小时（阈值 {} 小时）。",
                        s.name, rule.threshold
                    ),
                    text_en: format!(
                        "{} has sent no data since {at} Beijing time: {hours} h (threshold {} h).",
                        s.name, rule.threshold
                    ),
                    link: format!("#/station/{}", s.id),
                }
            })
        })
        .collect()
}

/// What `rule` (measure due or overdue) finds on `today`.
pub fn measures(rule: &Rule, items: &[MeasureState], today: Date) -> Vec<Finding> {
    let t = today.days_since_epoch();
    items
        .iter()
        .filter(|m| !m.done && rule.covers(&m.id, &m.units))
        .filter_map(|m| {
            let (zh, en) = match rule.kind {
                Kind::MeasureOverdue => {
                    let last = m.deadlines.iter().max()?;
                    let late = t - last.days_since_epoch();
                    if late <= 0 {
                        return None;
                    }
                    (
                        format!("已逾期 {late} 天（期限 {last}）"),
                        format!("{late} days overdue (deadline {last})"),
                    )
                }
                _ => {
                    let next = m
                        .deadlines
                        .iter()
                        .filter(|d| d.days_since_epoch() >= t)
                        .min()?;
                    let left = next.days_since_epoch() - t;
                    if left as f64 > rule.threshold {
                        return None;
                    }
                    (
                        format!("距期限 {next} 还有 {left} 天"),
                        format!("{left} days to its deadline {next}"),
                    )
                }
            };
            let units_zh = m.units.join("、");
            Some(Finding {
                subject: format!("measure:{}", m.id),
                units: m.units.clone(),
                title_zh: format!("措施 {} {zh}", m.id),
                title_en: format!("Measure {}: {en}", m.id),
                text_zh: format!("{}：{}。责任单位：{units_zh}", m.id, short(&m.text)),
                text_en: format!(
                    "{} ({en}); responsible: {}",
                    m.id,
                    if units_zh.is_empty() { "-" } else { &units_zh }
                ),
                link: format!("#/measure/{}", m.id),
            })
        })
        .collect()
}

/// What `rule` finds among `alarms`: those opened after the rule was made.
pub fn alarms(rule: &Rule, alarms: &[AlarmOpened]) -> Vec<Finding> {
    alarms
        .iter()
        .filter(|a| a.created_ms >= rule.created_ms)
        .filter_map(|a| {
            let units: Vec<String> = a.unit.iter().cloned().collect();
            rule.covers(&a.station_id, &units).then(|| Finding {
                subject: format!("alarm:{}", a.id),
                units,
                title_zh: format!("{} 数据异常报警 #{}", a.station_name, a.id),
                title_en: format!("{} integrity alarm #{}", a.station_name, a.id),
                text_zh: a.why_zh.clone(),
                text_en: a.why_en.clone(),
                link: format!("#/alarm/{}", a.id),
            })
        })
        .collect()
}

/// A forwarding destination whose queue is full (the gateway's `forward_alarms` row).
#[derive(Clone, Debug, PartialEq)]
pub struct ForwardFull {
    pub dest: String,
    pub addr: String,
    /// When packets stopped being queued, unix ms.
    pub since_ms: i64,
}

/// What `rule` finds among full forwarding queues, for the bureau (no unit): each episode
/// is its own subject (named by its start), reminded after the cool-down while it lasts; a
/// scope names one destination.
pub fn forward_full(rule: &Rule, full: &[ForwardFull]) -> Vec<Finding> {
    full.iter()
        .filter(|f| rule.covers(&f.dest, &[]))
        .map(|f| {
            let at = cst::format_unix_ms(f.since_ms);
            Finding {
                subject: format!("forward:{}:{}", f.dest, f.since_ms),
                units: Vec::new(),
                title_zh: format!("转发队列已满：{}", f.dest),
                title_en: format!("Forwarding queue full: {}", f.dest),
                text_zh: format!(
                    "发往 {}（{}）的转发队列自北京时间 {at} 起已满，新数据暂不排队；数据已存入归档，队列回落后自动补发（RF=1）。请检查上级平台连接。",
                    f.dest, f.addr
                ),
                text_en: format!(
                    "The forwarding queue to {} ({}) has been full since {at} Beijing time: new data are not queued; they are in the archive and are sent again (RF=1) once the queue drains. Check the connection to the upstream platform.",
                    f.dest, f.addr
                ),
                link: "#/alerts".to_owned(),
            }
        })
        .collect()
}

/// Whether a subject last alerted at `last_ms` (unix ms) by a rule may be alerted again at
/// `now_ms` after a cool-down of `cooldown_min` minutes.
pub fn fires(last_ms: Option<i64>, now_ms: i64, cooldown_min: i64) -> bool {
    last_ms.is_none_or(|l| now_ms - l >= cooldown_min * 60_000)
}

/// When a delivery that has now failed `attempts` times is tried again (unix ms), or
/// `None` when it has had its [`ATTEMPTS_MAX`] attempts: 1, 2, 4, 8 minutes after.
pub fn retry_at(attempts: i64, now_ms: i64) -> Option<i64> {
    (attempts < ATTEMPTS_MAX).then(|| now_ms + (RETRY_FIRST_MS << (attempts - 1).clamp(0, 16)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(kind: Kind, threshold: f64, scope: Option<&str>) -> Rule {
        Rule {
            kind,
            threshold,
            scope: scope.map(str::to_owned),
            created_ms: 1_000,
        }
    }

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn aqi_above_fires_strictly_above_the_level_on_fresh_hours_of_the_scope() {
        let h = cst::hour_start(NOW) - cst::HOUR_S;
        let st = |id: &str, unit: &str, hour_start: i64, aqi: Option<u16>| StationHour {
            id: id.into(),
            name: format!("{id}站"),
            unit: Some(unit.into()),
            hour_start,
            aqi,
        };
        let stations = [
            st("A", "wangkou", h, Some(201)),
            st("B", "wangkou", h, Some(200)),
            st("C", "jiuqu", h, Some(300)),
            st("D", "wangkou", h - 4 * cst::HOUR_S, Some(400)),
            st("E", "wangkou", h, None),
        ];
        // (scope, subjects found)
        let cases: [(Option<&str>, &[&str]); 3] = [
            (None, &["station:A", "station:C"]),
            (Some("wangkou"), &["station:A"]),
            (Some("C"), &["station:C"]),
        ];
        for (scope, want) in cases {
            let found = aqi_above(&rule(Kind::AqiAbove, 200.0, scope), &stations, NOW);
            let got: Vec<&str> = found.iter().map(|f| f.subject.as_str()).collect();
            assert_eq!(got, want, "{scope:?}");
        }
        let f = &aqi_above(&rule(Kind::AqiAbove, 200.0, None), &stations, NOW)[0];
        assert!(
            f.text_zh.contains("重度污染") && f.text_zh.contains("北京时间"),
            "{f:?}"
        );
        assert_eq!(f.link, "#/station/A");
    }

    #[test]
    fn offline_counts_hours_from_the_end_of_the_last_period_and_ignores_stations_never_heard() {
        let h = cst::hour_start(NOW);
        let st = |id: &str, last: Option<i64>| StationLast {
            id: id.into(),
            name: id.into(),
            unit: None,
            last_ts: last,
        };
        // (last value's start, hours silent at NOW, alerted at a threshold of 3 h)
        let cases = [
            (Some(h - 4 * cst::HOUR_S), 3, true),
            (Some(h - 3 * cst::HOUR_S), 2, false),
            (None, 0, false),
        ];
        for (last, hours, want) in cases {
            let found = offline(
                &rule(Kind::StationOffline, 3.0, None),
                &[st("S", last)],
                NOW,
            );
            assert_eq!(found.len() == 1, want, "{last:?}");
            if want {
                assert!(found[0].title_zh.contains(&format!("{hours} 小时")));
            }
        }
    }

    #[test]
    fn measures_are_due_within_the_days_and_overdue_after_the_last_deadline() {
        let today = Date::new(2026, 6, 10).unwrap();
        let m = |id: &str, done: bool, deadlines: &[Date]| MeasureState {
            id: id.into(),
            text: "加强扬尘管控".into(),
            units: vec!["市住建局".into()],
            done,
            deadlines: deadlines.to_vec(),
        };
        let d = |day| Date::new(2026, 6, day).unwrap();
        let items = [
            m("M1", false, &[d(12)]),
            m("M2", false, &[d(20)]),
            m("M3", false, &[d(9)]),
            m("M4", true, &[d(9)]),
            m("M5", false, &[]),
            m("M6", false, &[d(10)]),
        ];
        let subjects = |kind, scope| -> Vec<String> {
            measures(&rule(kind, 7.0, scope), &items, today)
                .into_iter()
                .map(|f| f.subject)
                .collect()
        };
        assert_eq!(
            subjects(Kind::MeasureDue, None),
            ["measure:M1", "measure:M6"]
        );
        assert_eq!(subjects(Kind::MeasureOverdue, None), ["measure:M3"]);
        assert_eq!(
            subjects(Kind::MeasureOverdue, Some("市住建局")),
            ["measure:M3"]
        );
        assert!(subjects(Kind::MeasureOverdue, Some("王口镇")).is_empty());
    }

    #[test]
    fn alarms_made_before_the_rule_are_not_news() {
        let a = |id, created_ms| AlarmOpened {
            id,
            station_id: "S".into(),
            station_name: "S站".into(),
            unit: Some("wangkou".into()),
            why_zh: "恒值".into(),
            why_en: "flat".into(),
            created_ms,
        };
        let found = alarms(
            &rule(Kind::AlarmOpened, 0.0, None),
            &[a(1, 999), a(2, 1_000)],
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].subject, "alarm:2");
        assert_eq!(found[0].link, "#/alarm/2");
    }

    #[test]
    fn a_full_forwarding_queue_is_one_alert_per_episode_for_the_bureau() {
        let f = |dest: &str, since_ms| ForwardFull {
            dest: dest.into(),
            addr: "10.0.0.1:9000".into(),
            since_ms,
        };
        // 2026-12-01 00:00 UTC = 08:00 Beijing time.
        let since = 1_796_083_200_000;
        let full = [f("province", since), f("nation", since + 60_000)];
        let found = forward_full(&rule(Kind::ForwardQueueFull, 0.0, None), &full);
        let subjects: Vec<&str> = found.iter().map(|f| f.subject.as_str()).collect();
        assert_eq!(
            subjects,
            [
                "forward:province:1796083200000",
                "forward:nation:1796083260000"
            ]
        );
        assert!(found[0].units.is_empty(), "the bureau's, no township's");
        assert!(
            found[0].text_zh.contains("北京时间 2026-12-01 08:00"),
            "{}",
            found[0].text_zh
        );
        let one = forward_full(&rule(Kind::ForwardQueueFull, 0.0, Some("nation")), &full);
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].title_en, "Forwarding queue full: nation");
    }

    #[test]
    fn cool_down_and_retries_follow_their_schedules() {
        // (last fired, now, cool-down minutes, fires)
        for (last, now, cool, want) in [
            (None, 0, 60, true),
            (Some(0), 3_599_999, 60, false),
            (Some(0), 3_600_000, 60, true),
        ] {
            assert_eq!(fires(last, now, cool), want, "{last:?} {now}");
        }
        let waits: Vec<Option<i64>> = (1..=5).map(|n| retry_at(n, 0)).collect();
        assert_eq!(
            waits,
            [
                Some(60_000),
                Some(120_000),
                Some(240_000),
                Some(480_000),
                None
            ]
        );
    }

    #[test]
    fn thresholds_default_and_are_checked_against_their_range() {
        assert_eq!(Kind::AqiAbove.threshold(None), Ok(200.0));
        assert_eq!(Kind::MeasureOverdue.threshold(Some(5.0)), Ok(0.0));
        let e = Kind::StationOffline.threshold(Some(0.5)).unwrap_err();
        assert!(
            e.contains("站点离线") && e.contains("station_offline"),
            "{e}"
        );
        assert!(Kind::AqiAbove.threshold(Some(f64::NAN)).is_err());
    }
}
