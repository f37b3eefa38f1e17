//! The grid task's rules: where a task comes from, its states (派发 → 签收 → 处置中 → 办结 →
//! 审核通过 / 退回), who may move it, its deadlines by source and when it is escalated.
//!
//! Pure: times arrive as unix milliseconds and every answer is a value.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// One hour in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;

/// What a task started from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A satellite fire point (火点).
    FirePoint,
    /// A construction or road site over its dust limit (扬尘).
    Dust,
    /// A complaint from the public or a hotline (投诉).
    Complaint,
    /// Something found at an inspection (巡查).
    Inspection,
    /// An alarm of another module (告警).
    Alarm,
    /// A vehicle seen with black smoke (冒黑烟车辆).
    SmokyVehicle,
    /// Non-road machinery (非道路移动机械).
    Machinery,
    /// Entered by hand (人工).
    Manual,
}

impl Source {
    pub const ALL: [Source; 8] = [
        Source::FirePoint,
        Source::Dust,
        Source::Complaint,
        Source::Inspection,
        Source::Alarm,
        Source::SmokyVehicle,
        Source::Machinery,
        Source::Manual,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::FirePoint => "fire_point",
            Source::Dust => "dust",
            Source::Complaint => "complaint",
            Source::Inspection => "inspection",
            Source::Alarm => "alarm",
            Source::SmokyVehicle => "smoky_vehicle",
            Source::Machinery => "machinery",
            Source::Manual => "manual",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Source::FirePoint => "火点",
            Source::Dust => "扬尘",
            Source::Complaint => "投诉",
            Source::Inspection => "巡查",
            Source::Alarm => "告警",
            Source::SmokyVehicle => "冒黑烟车辆",
            Source::Machinery => "非道路移动机械",
            Source::Manual => "人工",
        }
    }

    pub fn parse(text: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a task stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// 派发: sent to the assignee, not yet acknowledged.
    Dispatched,
    /// 签收: the assignee has acknowledged it.
    Signed,
    /// 处置中: the assignee is handling it.
    Handling,
    /// 办结: the assignee reports it done, with evidence; the bureau reviews.
    Finished,
    /// 审核通过: the bureau accepted the result; closed.
    Approved,
    /// 退回: the bureau sent it back; the assignee handles it again.
    Returned,
}

impl State {
    pub const ALL: [State; 6] = [
        State::Dispatched,
        State::Signed,
        State::Handling,
        State::Finished,
        State::Approved,
        State::Returned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Dispatched => "dispatched",
            State::Signed => "signed",
            State::Handling => "handling",
            State::Finished => "finished",
            State::Approved => "approved",
            State::Returned => "returned",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            State::Dispatched => "派发",
            State::Signed => "签收",
            State::Handling => "处置中",
            State::Finished => "办结",
            State::Approved => "审核通过",
            State::Returned => "退回",
        }
    }

    pub fn parse(text: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Closed: nothing more is expected of anyone.
    pub fn is_closed(self) -> bool {
        self == State::Approved
    }

    /// The assignee's part is done (finished or closed): the finishing deadline no longer runs.
    pub fn is_done(self) -> bool {
        matches!(self, State::Finished | State::Approved)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What someone does to a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// 签收 (the assignee).
    Sign,
    /// 开始处置 (the assignee; also after a return).
    Start,
    /// 办结 with evidence text (the assignee).
    Finish,
    /// 审核通过 (the bureau).
    Approve,
    /// 退回 with a reason (the bureau).
    Return,
    /// 改派 to another unit (the bureau): dispatched again.
    Reassign,
    /// 升级: overdue to finish, brought to the bureau's attention (the scan, once).
    Escalate,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Action::Sign,
        Action::Start,
        Action::Finish,
        Action::Approve,
        Action::Return,
        Action::Reassign,
        Action::Escalate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Sign => "sign",
            Action::Start => "start",
            Action::Finish => "finish",
            Action::Approve => "approve",
            Action::Return => "return",
            Action::Reassign => "reassign",
            Action::Escalate => "escalate",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Action::Sign => "签收",
            Action::Start => "开始处置",
            Action::Finish => "办结",
            Action::Approve => "审核通过",
            Action::Return => "退回",
            Action::Reassign => "改派",
            Action::Escalate => "超期升级",
        }
    }

    pub fn parse(text: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The actor's standing towards one task (the application layer decides it from the caller).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// An account of the unit the task is assigned to.
    Assignee,
    /// The bureau (生态环境分局) or an administrator.
    Bureau,
    /// The system itself (the overdue scan).
    System,
    /// Anyone else.
    Other,
}

/// Texts shorter than this (in characters, trimmed) do not count as evidence or a reason.
pub const TEXT_CHARS_MIN: usize = 2;

/// The state `action` leaves a task in, or why it may not be done.
///
/// The assignee signs, starts and finishes (finishing needs evidence text); the bureau
/// approves or returns a finished task (a return needs a reason) and reassigns an open one;
/// the system escalates an open task (the state stays). A returned task is started again by
/// its assignee.
pub fn transition(
    state: State,
    action: Action,
    standing: Standing,
    text: &str,
) -> Result<State, String> {
    let who_ok = match action {
        Action::Sign | Action::Start | Action::Finish => standing == Standing::Assignee,
        Action::Approve | Action::Return | Action::Reassign => standing == Standing::Bureau,
        Action::Escalate => matches!(standing, Standing::System | Standing::Bureau),
    };
    if !who_ok {
        let who = match action {
            Action::Sign | Action::Start | Action::Finish => "承办单位 / the assignee unit",
            Action::Approve | Action::Return | Action::Reassign => "分局 / the bureau",
            Action::Escalate => "系统或分局 / the system or the bureau",
        };
        return Err(format!(
            "“{}”只能由{who}执行 / only {} may {} a task",
            action.name_zh(),
            who.split(" / ").nth(1).unwrap_or(who),
            action.as_str()
        ));
    }
    let next = match (action, state) {
        (Action::Sign, State::Dispatched) => State::Signed,
        (Action::Start, State::Signed | State::Returned) => State::Handling,
        (Action::Finish, State::Handling) => State::Finished,
        (Action::Approve, State::Finished) => State::Approved,
        (Action::Return, State::Finished) => State::Returned,
        (Action::Reassign, s) if !s.is_closed() => State::Dispatched,
        (Action::Escalate, s) if !s.is_done() => s,
        _ => {
            return Err(format!(
                "任务处于“{}”状态，不能“{}” / a task that is {} cannot be given the action {}",
                state.name_zh(),
                action.name_zh(),
                state.as_str(),
                action.as_str()
            ));
        }
    };
    let needs_text = match action {
        Action::Finish => {
            Some("办结须填写处置情况 / finishing needs a text describing what was done")
        }
        Action::Return => Some("退回须说明原因 / a return needs a reason"),
        Action::Reassign => Some("改派须说明原因 / a reassignment needs a reason"),
        _ => None,
    };
    if let Some(why) = needs_text
        && text.trim().chars().count() < TEXT_CHARS_MIN
    {
        return Err(why.to_owned());
    }
    Ok(next)
}

/// Hours to sign and to finish a task of one source, counted from its creation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    pub sign_hours: u32,
    pub finish_hours: u32,
}

/// The default deadlines: a fire point 2 h to sign and 24 h to finish, a complaint 24 h and
/// 5 days, dust 4 h and 48 h, every other source 24 h and 7 days.
pub fn default_deadlines(source: Source) -> Deadlines {
    let (sign_hours, finish_hours) = match source {
        Source::FirePoint => (2, 24),
        Source::Complaint => (24, 5 * 24),
        Source::Dust => (4, 48),
        _ => (24, 7 * 24),
    };
    Deadlines {
        sign_hours,
        finish_hours,
    }
}

/// The longest deadline a configuration may set, a year.
pub const DEADLINE_HOURS_MAX: u32 = 366 * 24;

/// The grid's settings (the store setting `grid_config`, JSON): deadlines per source over
/// the defaults, e.g. `{"deadlines": {"fire_point": {"sign_hours": 1, "finish_hours": 12}}}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GridConfig {
    pub deadlines: BTreeMap<Source, Deadlines>,
}

impl GridConfig {
    /// The deadlines of a source: the configured ones, else the defaults.
    pub fn deadlines(&self, source: Source) -> Deadlines {
        self.deadlines
            .get(&source)
            .copied()
            .unwrap_or_else(|| default_deadlines(source))
    }

    /// Why the configuration cannot be used, if it cannot.
    pub fn check(&self) -> Result<(), String> {
        for (s, d) in &self.deadlines {
            if d.sign_hours == 0 || d.finish_hours == 0 {
                return Err(format!(
                    "{s}: 期限须大于 0 小时 / deadlines must be more than 0 hours"
                ));
            }
            if d.sign_hours > d.finish_hours {
                return Err(format!(
                    "{s}: 签收期限 {} 小时长于办结期限 {} 小时 / the signing deadline ({} h) is after the finishing deadline ({} h)",
                    d.sign_hours, d.finish_hours, d.sign_hours, d.finish_hours
                ));
            }
            if d.finish_hours > DEADLINE_HOURS_MAX {
                return Err(format!(
                    "{s}: 办结期限不超过 {DEADLINE_HOURS_MAX} 小时 / the finishing deadline is at most {DEADLINE_HOURS_MAX} hours"
                ));
            }
        }
        Ok(())
    }

    /// The signing and finishing deadlines (unix ms) of a task of `source` created at
    /// `created_ms`.
    pub fn deadlines_ms(&self, source: Source, created_ms: i64) -> (i64, i64) {
        let d = self.deadlines(source);
        (
            created_ms + i64::from(d.sign_hours) * HOUR_MS,
            created_ms + i64::from(d.finish_hours) * HOUR_MS,
        )
    }
}

/// Which deadline a task has passed at `now_ms`, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Overdue {
    /// Not signed by its signing deadline (still dispatched).
    Sign,
    /// Not finished by its finishing deadline.
    Finish,
}

impl Overdue {
    pub fn as_str(self) -> &'static str {
        match self {
            Overdue::Sign => "sign",
            Overdue::Finish => "finish",
        }
    }
}

/// The deadline a task in `state` has missed at `now_ms`: finishing first (it is the later
/// and graver), then signing. A finished or approved task is never overdue.
pub fn overdue(
    state: State,
    sign_deadline_ms: i64,
    finish_deadline_ms: i64,
    now_ms: i64,
) -> Option<Overdue> {
    if state.is_done() {
        None
    } else if now_ms > finish_deadline_ms {
        Some(Overdue::Finish)
    } else if state == State::Dispatched && now_ms > sign_deadline_ms {
        Some(Overdue::Sign)
    } else {
        None
    }
}

/// Whether the overdue scan escalates a task now: overdue to finish and not escalated before
/// (a task is escalated to the bureau once).
pub fn needs_escalation(
    state: State,
    finish_deadline_ms: i64,
    escalated: bool,
    now_ms: i64,
) -> bool {
    !escalated && !state.is_done() && now_ms > finish_deadline_ms
}

/// Whether a task that was finished at `finished_ms` (or is still open, `None`, at `now_ms`)
/// was late: finished after its finishing deadline, or open past it.
pub fn was_late(finish_deadline_ms: i64, finished_ms: Option<i64>, now_ms: i64) -> bool {
    finished_ms.unwrap_or(now_ms) > finish_deadline_ms
}

/// How far (metres) a photo's position may lie from its task's point.
pub const EVIDENCE_DISTANCE_M_MAX: f64 = 1_000.0;

/// A photo taken this long (ms) before its task was created still counts as after it: camera
/// clocks drift.
pub const EVIDENCE_CLOCK_SLACK_MS: i64 = 10 * 60_000;

/// The check of an evidence photo against its task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Its EXIF time and position agree with the task.
    Consistent,
    /// Kept, but something disagrees (the reason says what).
    Flagged,
    /// Nothing to check (a PDF, a PNG, a photo without EXIF time and position).
    Unchecked,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Consistent => "consistent",
            Verdict::Flagged => "flagged",
            Verdict::Unchecked => "unchecked",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Verdict::Consistent => "一致",
            Verdict::Flagged => "存疑",
            Verdict::Unchecked => "未核验",
        }
    }

    pub fn parse(text: &str) -> Option<Verdict> {
        [Verdict::Consistent, Verdict::Flagged, Verdict::Unchecked]
            .into_iter()
            .find(|v| v.as_str() == text)
    }
}

/// Mean Earth radius (m) of the haversine distance.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// The great-circle distance in metres between two points (haversine).
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
}

/// Checks a photo's EXIF time (unix ms) and position against its task: taken after the task
/// was created (less [`EVIDENCE_CLOCK_SLACK_MS`]) and within [`EVIDENCE_DISTANCE_M_MAX`] of
/// its point. Returns the verdict and the reason (empty when consistent); what the photo
/// lacks is said, and a photo with neither is unchecked.
pub fn check_photo(
    task_created_ms: i64,
    task_lat: f64,
    task_lon: f64,
    taken_ms: Option<i64>,
    position: Option<(f64, f64)>,
) -> (Verdict, String) {
    if taken_ms.is_none() && position.is_none() {
        return (
            Verdict::Unchecked,
            "照片没有拍摄时间和位置信息 / the photo has no EXIF time or position".to_owned(),
        );
    }
    let mut problems = Vec::new();
    match taken_ms {
        Some(t) if t < task_created_ms - EVIDENCE_CLOCK_SLACK_MS => problems.push(format!(
            "拍摄时间早于任务创建 {} 分钟 / taken {} minutes before the task was created",
            (task_created_ms - t) / 60_000,
            (task_created_ms - t) / 60_000
        )),
        Some(_) => {}
        None => problems.push("照片没有拍摄时间 / the photo has no EXIF time".to_owned()),
    }
    match position {
        Some((lat, lon)) => {
            let d = distance_m(task_lat, task_lon, lat, lon);
            if d > EVIDENCE_DISTANCE_M_MAX {
                problems.push(format!(
                    "拍摄位置距任务点 {:.0} 米（超过 {EVIDENCE_DISTANCE_M_MAX:.0} 米）/ taken {d:.0} m from the task's point (more than {EVIDENCE_DISTANCE_M_MAX:.0} m)",
                    d
                ));
            }
        }
        None => problems.push("照片没有位置信息 / the photo has no EXIF position".to_owned()),
    }
    if problems.is_empty() {
        (Verdict::Consistent, String::new())
    } else {
        (Verdict::Flagged, problems.join("; "))
    }
}

/// What statistics need of one task.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TaskTimes {
    pub state: State,
    pub created_ms: i64,
    pub finish_deadline_ms: i64,
    /// When it was last finished (办结).
    pub finished_ms: Option<i64>,
    /// When it was approved (审核通过).
    pub closed_ms: Option<i64>,
    pub escalated: bool,
}

/// Statistics of a group of tasks (a township's in a month).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Stats {
    pub count: u32,
    /// Approved (审核通过).
    pub closed: u32,
    /// Not yet finished.
    pub open: u32,
    /// Finished after their finishing deadline, or still open past it.
    pub overdue: u32,
    pub escalated: u32,
    /// Hours from creation to approval of the closed ones.
    pub median_hours_to_close: Option<f64>,
    pub mean_hours_to_close: Option<f64>,
}

/// The statistics of `tasks` at `now_ms`.
pub fn stats(tasks: &[TaskTimes], now_ms: i64) -> Stats {
    let mut hours: Vec<f64> = Vec::new();
    let mut s = Stats::default();
    for t in tasks {
        s.count += 1;
        if let (State::Approved, Some(c)) = (t.state, t.closed_ms) {
            s.closed += 1;
            hours.push((c - t.created_ms) as f64 / HOUR_MS as f64);
        }
        if !t.state.is_done() {
            s.open += 1;
        }
        let finished = if t.state.is_done() {
            t.finished_ms
        } else {
            None
        };
        if was_late(t.finish_deadline_ms, finished, now_ms) {
            s.overdue += 1;
        }
        s.escalated += u32::from(t.escalated);
    }
    if !hours.is_empty() {
        hours.sort_by(f64::total_cmp);
        let n = hours.len();
        s.median_hours_to_close = Some(if n % 2 == 1 {
            hours[n / 2]
        } else {
            (hours[n / 2 - 1] + hours[n / 2]) / 2.0
        });
        s.mean_hours_to_close = Some(hours.iter().sum::<f64>() / n as f64);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use Standing::*;
    use State::*;

    #[test]
    fn transitions_follow_the_table_of_states_actions_and_standings() {
        // (state, action, standing, text, expected state or None for a refusal)
        let cases: &[(State, Action, Standing, &str, Option<State>)] = &[
            (Dispatched, Sign, Assignee, "", Some(Signed)),
            (Dispatched, Sign, Bureau, "", None),
            (Dispatched, Sign, Other, "", None),
            (Signed, Sign, Assignee, "", None),
            (Signed, Start, Assignee, "", Some(Handling)),
            (Dispatched, Start, Assignee, "", None),
            (Handling, Finish, Assignee, "已清理焚烧点", Some(Finished)),
            (Handling, Finish, Assignee, "", None),
            (Handling, Finish, Assignee, " x ", None),
            (Handling, Finish, Bureau, "已清理焚烧点", None),
            (Signed, Finish, Assignee, "已清理焚烧点", None),
            (Finished, Approve, Bureau, "", Some(Approved)),
            (Finished, Approve, Assignee, "", None),
            (Handling, Approve, Bureau, "", None),
            (Finished, Return, Bureau, "照片不清楚", Some(Returned)),
            (Finished, Return, Bureau, "", None),
            (Returned, Start, Assignee, "", Some(Handling)),
            (Returned, Finish, Assignee, "补充照片", None),
            (Handling, Reassign, Bureau, "属另一乡镇", Some(Dispatched)),
            (Finished, Reassign, Bureau, "属另一乡镇", Some(Dispatched)),
            (Approved, Reassign, Bureau, "属另一乡镇", None),
            (Handling, Reassign, Bureau, "", None),
            (Handling, Reassign, Assignee, "属另一乡镇", None),
            (Handling, Escalate, System, "", Some(Handling)),
            (Dispatched, Escalate, System, "", Some(Dispatched)),
            (Returned, Escalate, System, "", Some(Returned)),
            (Finished, Escalate, System, "", None),
            (Approved, Escalate, System, "", None),
            (Handling, Escalate, Assignee, "", None),
            (Approved, Approve, Bureau, "", None),
            (Approved, Sign, Assignee, "", None),
        ];
        for &(s, a, who, text, want) in cases {
            let got = transition(s, a, who, text);
            assert_eq!(
                got.clone().ok(),
                want,
                "{s} {a} by {who:?} with {text:?}: {got:?}"
            );
            if let Err(why) = got {
                assert!(why.contains(" / "), "refusals are bilingual: {why}");
            }
        }
    }

    #[test]
    fn every_state_reaches_approval_along_sign_start_finish_approve_with_one_return() {
        let mut s = Dispatched;
        let steps = [
            (Sign, Assignee, ""),
            (Start, Assignee, ""),
            (Finish, Assignee, "处置完毕"),
            (Return, Bureau, "缺少照片"),
            (Start, Assignee, ""),
            (Finish, Assignee, "补充照片"),
            (Approve, Bureau, ""),
        ];
        for (a, who, text) in steps {
            s = transition(s, a, who, text).unwrap();
        }
        assert_eq!(s, Approved);
        assert!(s.is_closed());
    }

    #[test]
    fn default_deadlines_are_those_of_the_issue_and_a_setting_overrides_one_source() {
        let cases = [
            (Source::FirePoint, 2, 24),
            (Source::Complaint, 24, 120),
            (Source::Dust, 4, 48),
            (Source::Inspection, 24, 168),
            (Source::Alarm, 24, 168),
            (Source::SmokyVehicle, 24, 168),
            (Source::Machinery, 24, 168),
            (Source::Manual, 24, 168),
        ];
        let config = GridConfig::default();
        for (s, sign, finish) in cases {
            assert_eq!(
                config.deadlines(s),
                Deadlines {
                    sign_hours: sign,
                    finish_hours: finish
                },
                "{s}"
            );
        }
        let mut config = GridConfig::default();
        config.deadlines.insert(
            Source::FirePoint,
            Deadlines {
                sign_hours: 1,
                finish_hours: 12,
            },
        );
        assert_eq!(config.check(), Ok(()));
        assert_eq!(
            config.deadlines_ms(Source::FirePoint, 1_000),
            (1_000 + HOUR_MS, 1_000 + 12 * HOUR_MS)
        );
        assert_eq!(
            config.deadlines_ms(Source::Dust, 0),
            (4 * HOUR_MS, 48 * HOUR_MS)
        );
    }

    #[test]
    fn configurations_with_zero_inverted_or_endless_deadlines_are_refused() {
        let bad = [(0, 5), (5, 0), (10, 5), (1, DEADLINE_HOURS_MAX + 1)];
        for (sign_hours, finish_hours) in bad {
            let mut c = GridConfig::default();
            c.deadlines.insert(
                Source::Dust,
                Deadlines {
                    sign_hours,
                    finish_hours,
                },
            );
            let why = c.check().unwrap_err();
            assert!(why.starts_with("dust: "), "{why}");
        }
    }

    #[test]
    fn overdue_and_escalation_follow_the_deadlines_and_escalate_once() {
        let (sign, finish) = (10, 100);
        // (state, now, escalated, overdue, escalate)
        let cases = [
            (Dispatched, 5, false, None, false),
            (Dispatched, 11, false, Some(Overdue::Sign), false),
            (Signed, 11, false, None, false),
            (Signed, 100, false, None, false),
            (Signed, 101, false, Some(Overdue::Finish), true),
            (Dispatched, 101, false, Some(Overdue::Finish), true),
            (Returned, 101, false, Some(Overdue::Finish), true),
            (Handling, 101, true, Some(Overdue::Finish), false),
            (Finished, 101, false, None, false),
            (Approved, 1_000, false, None, false),
        ];
        for (s, now, esc, want_overdue, want_escalate) in cases {
            assert_eq!(overdue(s, sign, finish, now), want_overdue, "{s} at {now}");
            assert_eq!(
                needs_escalation(s, finish, esc, now),
                want_escalate,
                "{s} at {now} escalated {esc}"
            );
        }
        assert!(was_late(100, Some(101), 0));
        assert!(!was_late(100, Some(100), 1_000));
        assert!(was_late(100, None, 101));
    }

    #[test]
    fn names_read_back() {
        for s in Source::ALL {
            assert_eq!(Source::parse(s.as_str()), Some(s));
        }
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        assert_eq!(Source::parse("fire"), None);
    }

    #[test]
    fn photos_are_checked_for_time_and_distance_and_flagged_with_the_reason() {
        let (created, lat, lon) = (1_000_000_000_i64, 38.0, 115.2);
        // 0.01° of latitude is about 1112 m.
        type Case = (Option<i64>, Option<(f64, f64)>, Verdict, &'static str);
        let cases: &[Case] = &[
            (
                Some(created + 60_000),
                Some((38.001, 115.2)),
                Verdict::Consistent,
                "",
            ),
            (
                Some(created - 5 * 60_000),
                Some((38.0, 115.2)),
                Verdict::Consistent,
                "",
            ),
            (
                Some(created - 60 * 60_000),
                Some((38.0, 115.2)),
                Verdict::Flagged,
                "60 minutes before",
            ),
            (
                Some(created + 60_000),
                Some((38.01, 115.2)),
                Verdict::Flagged,
                "1112 m from",
            ),
            (None, Some((38.0, 115.2)), Verdict::Flagged, "no EXIF time"),
            (Some(created), None, Verdict::Flagged, "no EXIF position"),
            (None, None, Verdict::Unchecked, "no EXIF time or position"),
        ];
        for (taken, pos, want, reason) in cases {
            let (v, why) = check_photo(created, lat, lon, *taken, *pos);
            assert_eq!(v, *want, "{taken:?} {pos:?}: {why}");
            assert!(why.contains(reason), "{why:?} should say {reason:?}");
        }
        assert!((distance_m(38.0, 115.2, 38.01, 115.2) - 1111.95).abs() < 0.5);
        for v in [Verdict::Consistent, Verdict::Flagged, Verdict::Unchecked] {
            assert_eq!(Verdict::parse(v.as_str()), Some(v));
        }
    }

    #[test]
    fn statistics_count_closed_open_overdue_and_the_median_and_mean_time_to_close() {
        let h = HOUR_MS;
        let t =
            |state, created, deadline, finished: Option<i64>, closed: Option<i64>, esc| TaskTimes {
                state,
                created_ms: created,
                finish_deadline_ms: deadline,
                finished_ms: finished,
                closed_ms: closed,
                escalated: esc,
            };
        let tasks = [
            // Closed in 2 h, on time.
            t(Approved, 0, 24 * h, Some(h), Some(2 * h), false),
            // Closed in 30 h, finished late.
            t(Approved, 0, 24 * h, Some(25 * h), Some(30 * h), true),
            // Closed in 10 h.
            t(Approved, 0, 24 * h, Some(9 * h), Some(10 * h), false),
            // Finished in time, awaiting review.
            t(Finished, 0, 24 * h, Some(3 * h), None, false),
            // Open past its deadline at now = 48 h.
            t(Handling, 0, 24 * h, None, None, true),
            // Open, deadline ahead; finished once then returned (the old finish does not count).
            t(Returned, 40 * h, 64 * h, Some(41 * h), None, false),
        ];
        let s = stats(&tasks, 48 * h);
        assert_eq!(
            (s.count, s.closed, s.open, s.overdue, s.escalated),
            (6, 3, 2, 2, 2)
        );
        assert_eq!(s.median_hours_to_close, Some(10.0));
        assert_eq!(s.mean_hours_to_close, Some(14.0));
        let even = stats(&tasks[..2], 48 * h);
        assert_eq!(even.median_hours_to_close, Some(16.0));
        assert_eq!(stats(&[], 0), Stats::default());
    }
}
