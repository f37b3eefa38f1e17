//! Credit records (信用记录): the rules that turn a closed case into entries, publication
//! periods, objections and repair (信用修复).
//!
//! The rule table is data ([`Config`]): a violation × the case's decisions × the subject's
//! kind gives a level (严重失信 / 一般失信), a publication period and the minimum period
//! before repair may be applied for. The first matching rule wins; a case no rule matches
//! (a dismissed case, a rectification without a fine) writes no entry. Dates are Beijing
//! dates: the app turns instants into them through `cst` and passes "today" in.

use super::SubjectKind;
use super::case::{DecisionKind, Violation};
use crate::cst;
use crate::date::{Date, days_in_month};
use crate::org::named_enum;
use serde::{Deserialize, Serialize};

/// What the credit rules need of a closed case (built by the case module at closure).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClosedCase {
    pub case_id: i64,
    /// The case's number as shown to people (e.g. `XJ-2026-0007`).
    pub case_no: String,
    pub subject_kind: SubjectKind,
    pub subject_id: String,
    pub subject_name: String,
    /// The violation's code (`case::Violation::as_str()`), e.g. `data_falsification`.
    pub violation: String,
    /// The kinds of the case's decisions: `rectify`, `fine`, `transfer`.
    pub decisions: Vec<String>,
    /// The sum of the fines decided, yuan.
    pub fine_yuan: Option<f64>,
    /// When the case was closed, Unix ms.
    pub closed_ms: i64,
    /// 非现场执法: found and proven from monitoring data without a site visit.
    pub non_site: bool,
    /// The township (unit id) of the case, when known.
    pub township: Option<String>,
}

named_enum! {
    /// How grave an entry is.
    Level {
        /// 严重失信.
        Serious = "serious",
        /// 一般失信.
        General = "general",
    }
}

impl Level {
    pub fn name_zh(self) -> &'static str {
        match self {
            Level::Serious => "严重失信",
            Level::General => "一般失信",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Level::Serious => "serious",
            Level::General => "general",
        }
    }
}

named_enum! {
    /// An entry's stored state. Whether it is inside its publication period is a matter of
    /// the date ([`phase`]), not stored.
    EntryState {
        /// Written by rule; public during its period.
        Published = "published",
        /// An objection (异议) is under review: still public, marked as such.
        Objected = "objected",
        /// The objection was upheld: the entry is withdrawn (never public again).
        Withdrawn = "withdrawn",
        /// Repaired (信用修复): off the public list, kept internally with the reason.
        Repaired = "repaired",
    }
}

impl EntryState {
    pub fn name_zh(self) -> &'static str {
        match self {
            EntryState::Published => "已公示",
            EntryState::Objected => "异议处理中",
            EntryState::Withdrawn => "异议成立已撤销",
            EntryState::Repaired => "已信用修复",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            EntryState::Published => "published",
            EntryState::Objected => "under objection",
            EntryState::Withdrawn => "withdrawn on objection",
            EntryState::Repaired => "repaired",
        }
    }
}

named_enum! {
    /// Where an entry stands on a given Beijing date: its state and its period together.
    Phase {
        /// Before `publish_from`: not yet public.
        Scheduled = "scheduled",
        /// Inside the publication period, on the public list.
        Public = "public",
        /// After `publish_until` (公示期满): off the public list.
        Expired = "expired",
        /// Withdrawn on an upheld objection.
        Withdrawn = "withdrawn",
        /// Repaired.
        Repaired = "repaired",
    }
}

impl Phase {
    pub fn name_zh(self) -> &'static str {
        match self {
            Phase::Scheduled => "待公示",
            Phase::Public => "公示中",
            Phase::Expired => "公示期满",
            Phase::Withdrawn => "已撤销",
            Phase::Repaired => "已修复",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Phase::Scheduled => "scheduled",
            Phase::Public => "public",
            Phase::Expired => "expired",
            Phase::Withdrawn => "withdrawn",
            Phase::Repaired => "repaired",
        }
    }
}

named_enum! {
    /// What a subject asks of the bureau about an entry.
    RequestKind {
        /// 异议: the entry is wrong.
        Objection = "objection",
        /// 信用修复: the subject has corrected its conduct; take the entry off the list early.
        Repair = "repair",
    }
}

named_enum! {
    /// The bureau's answer to a request.
    Outcome {
        /// An objection upheld (the entry is withdrawn) or a repair approved (hidden).
        Granted = "granted",
        /// Rejected: the entry stays as it was.
        Rejected = "rejected",
    }
}

/// A rule's violation that matches every violation.
pub const ANY_VIOLATION: &str = "*";
/// Days from the closure's Beijing date to the first day of publication, by default: the
/// day after closure.
pub const PUBLISH_DELAY_DAYS_DEFAULT: u32 = 1;
/// The longest publication period a rule may set (5 years).
pub const PUBLISH_MONTHS_MAX: u32 = 60;

/// One row of the rule table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A violation code, or [`ANY_VIOLATION`].
    pub violation: String,
    /// A decision kind the case must have; `None`: any case with at least one decision.
    #[serde(default)]
    pub decision: Option<DecisionKind>,
    /// Only this kind of subject; `None`: both.
    #[serde(default)]
    pub subject: Option<SubjectKind>,
    pub level: Level,
    /// Months of publication from `publish_from`.
    pub publish_months: u32,
    /// Months from `publish_from` before repair may be applied for (最短公示期).
    pub repair_after_months: u32,
    /// Where the level and periods come from (shown internally and in the docs).
    pub source: String,
}

impl Rule {
    fn matches(&self, case: &ClosedCase) -> bool {
        (self.violation == ANY_VIOLATION || self.violation == case.violation)
            && self.subject.is_none_or(|s| s == case.subject_kind)
            && match &self.decision {
                Some(d) => case.decisions.iter().any(|k| k == d.as_str()),
                None => !case.decisions.is_empty(),
            }
    }
}

/// The county's credit rules: the table and the publication delay. Stored as the setting
/// `credit_rules` (JSON; missing keys keep their defaults).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub rules: Vec<Rule>,
    /// Days from the closure's Beijing date to `publish_from`.
    pub publish_delay_days: u32,
}

/// Source text of the national periods (NDRC Order No. 58 of 2023).
const SOURCE_ORDER_58: &str = "《失信行为纠正后的信用信息修复管理办法（试行）》（国家发展改革委令2023年第58号）：严重失信行政处罚信息最短公示1年、最长3年；一般失信最短3个月、最长1年 / NDRC Order 58 (2023): serious 1–3 years, general 3 months–1 year";

fn rule(
    violation: &str,
    decision: Option<DecisionKind>,
    level: Level,
    publish_months: u32,
    repair_after_months: u32,
    why: &str,
) -> Rule {
    Rule {
        violation: violation.to_owned(),
        decision,
        subject: None,
        level,
        publish_months,
        repair_after_months,
        source: format!("{why}; {SOURCE_ORDER_58}"),
    }
}

impl Default for Config {
    fn default() -> Config {
        use Level::{General, Serious};
        Config {
            rules: vec![
                rule(
                    ANY_VIOLATION,
                    Some(DecisionKind::Transfer),
                    Serious,
                    36,
                    12,
                    "移送公安机关或其他机关的案件按严重失信（本系统的设定，可配置） / cases transferred to the police or another authority: serious (a configurable decision of Lantian)",
                ),
                rule(
                    "data_falsification",
                    None,
                    Serious,
                    36,
                    12,
                    "监测数据弄虚作假按严重失信（《大气污染防治法》第二十条、第九十九条第（三）项；等级为本系统默认，可配置） / falsified monitoring data: serious (Air Pollution Law art. 20, 99(3); the level is a configurable default)",
                ),
                rule(
                    "interference",
                    None,
                    Serious,
                    36,
                    12,
                    "干扰自动监测设施按监测数据弄虚作假、严重失信（《环境监测数据弄虚作假行为判定及处理办法》环发〔2015〕175号；《大气污染防治法》第一百条第（一）项；可配置） / interfering with monitoring equipment counts as falsification: serious (configurable)",
                ),
                rule(
                    "exceed_emission",
                    Some(DecisionKind::Fine),
                    General,
                    12,
                    3,
                    "超标排放受罚款处罚按一般失信（可配置） / exceeding limits with a fine: general (configurable)",
                ),
                rule(
                    "warning_noncompliance",
                    Some(DecisionKind::Fine),
                    General,
                    12,
                    3,
                    "重污染天气未落实减排措施受罚款处罚按一般失信（可配置） / not carrying out warning-period measures with a fine: general (configurable)",
                ),
                rule(
                    "no_permit",
                    Some(DecisionKind::Fine),
                    General,
                    12,
                    3,
                    "无证排污受罚款处罚按一般失信（可配置） / discharging without a permit with a fine: general (configurable)",
                ),
            ],
            publish_delay_days: PUBLISH_DELAY_DAYS_DEFAULT,
        }
    }
}

/// What the rules give for a closed case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Judgement {
    /// The matching rule's index in the table.
    pub rule: usize,
    pub level: Level,
    /// The first Beijing date of publication.
    pub publish_from: Date,
    /// The last Beijing date of publication (inclusive).
    pub publish_until: Date,
    /// The first Beijing date a repair may be applied for.
    pub repair_from: Date,
    pub source: String,
}

impl Config {
    /// Checks the table; the message names the rule (1-based) and the field.
    pub fn check(&self) -> Result<(), String> {
        if self.publish_delay_days > 365 {
            return Err(format!(
                "publish_delay_days {} is more than 365",
                self.publish_delay_days
            ));
        }
        for (i, r) in self.rules.iter().enumerate() {
            let n = i + 1;
            if r.violation != ANY_VIOLATION && Violation::parse(&r.violation).is_none() {
                return Err(format!(
                    "rule {n}: violation {:?} is not \"*\" nor one of {}",
                    r.violation,
                    Violation::names()
                ));
            }
            if r.publish_months == 0 || r.publish_months > PUBLISH_MONTHS_MAX {
                return Err(format!(
                    "rule {n}: publish_months {} is not within 1..={PUBLISH_MONTHS_MAX}",
                    r.publish_months
                ));
            }
            if r.repair_after_months > r.publish_months {
                return Err(format!(
                    "rule {n}: repair_after_months {} is longer than publish_months {}",
                    r.repair_after_months, r.publish_months
                ));
            }
        }
        Ok(())
    }

    /// The first rule matching `case` and the dates it gives, or `None` (no entry).
    pub fn judge(&self, case: &ClosedCase) -> Option<Judgement> {
        let (i, r) = self
            .rules
            .iter()
            .enumerate()
            .find(|(_, r)| r.matches(case))?;
        let closed = cst::today(case.closed_ms);
        let from = closed.add_days(i64::from(self.publish_delay_days));
        Some(Judgement {
            rule: i,
            level: r.level,
            publish_from: from,
            publish_until: add_months(from, r.publish_months).add_days(-1),
            repair_from: add_months(from, r.repair_after_months),
            source: r.source.clone(),
        })
    }
}

/// `d` plus `n` calendar months; a day past the new month's end becomes its last day
/// (31 January + 1 month = 28 or 29 February).
pub fn add_months(d: Date, n: u32) -> Date {
    let months = i64::from(d.year()) * 12 + i64::from(d.month() - 1) + i64::from(n);
    let year = i32::try_from(months.div_euclid(12)).unwrap_or(i32::MAX);
    let month = u32::try_from(months.rem_euclid(12)).unwrap_or(0) + 1;
    let day = d.day().min(days_in_month(year, month));
    Date::new(year, month, day).unwrap_or(d)
}

/// Where an entry stands on `today`.
pub fn phase(state: EntryState, from: Date, until: Date, today: Date) -> Phase {
    match state {
        EntryState::Withdrawn => Phase::Withdrawn,
        EntryState::Repaired => Phase::Repaired,
        EntryState::Published | EntryState::Objected if today < from => Phase::Scheduled,
        EntryState::Published | EntryState::Objected if today > until => Phase::Expired,
        EntryState::Published | EntryState::Objected => Phase::Public,
    }
}

/// Why a request of `kind` may not be filed for an entry in `state` on `today`, or `None`.
/// An objection may be filed until the period ends; a repair from `repair_from` on, while
/// the entry is public and no objection is open.
pub fn refuse_request(
    kind: RequestKind,
    state: EntryState,
    until: Date,
    repair_from: Date,
    today: Date,
) -> Option<String> {
    match (kind, state) {
        (_, EntryState::Withdrawn | EntryState::Repaired) => Some(format!(
            "此记录{}，不能再申请 / this entry is {} and takes no more requests",
            state.name_zh(),
            state.name_en()
        )),
        _ if today > until => Some(format!(
            "此记录已于 {until} 公示期满 / this entry's publication ended on {until}"
        )),
        (RequestKind::Objection, EntryState::Objected) => {
            Some("已有异议正在处理 / an objection is already under review".to_owned())
        }
        (RequestKind::Repair, EntryState::Objected) => Some(
            "异议处理期间不能申请信用修复 / no repair while an objection is under review"
                .to_owned(),
        ),
        (RequestKind::Repair, _) if today < repair_from => Some(format!(
            "最短公示期未满，{repair_from} 起可申请信用修复 / the minimum publication period has not passed: repair may be applied for from {repair_from}"
        )),
        _ => None,
    }
}

/// The entry's state after the bureau's `outcome` on a request of `kind`.
pub fn state_after(kind: RequestKind, outcome: Outcome) -> EntryState {
    match (kind, outcome) {
        (RequestKind::Objection, Outcome::Granted) => EntryState::Withdrawn,
        (RequestKind::Repair, Outcome::Granted) => EntryState::Repaired,
        (_, Outcome::Rejected) => EntryState::Published,
    }
}

/// The case's decisions in one line, Chinese / English, a fine first with its amount
/// (e.g. `罚款 30000 元；责令整改 / fine of 30000 yuan; order to rectify`).
pub fn decision_line(case: &ClosedCase) -> String {
    let mut zh = Vec::new();
    let mut en = Vec::new();
    for k in [
        DecisionKind::Fine,
        DecisionKind::Rectify,
        DecisionKind::Transfer,
    ] {
        if !case.decisions.iter().any(|d| d == k.as_str()) {
            continue;
        }
        match (k, case.fine_yuan) {
            (DecisionKind::Fine, Some(y)) => {
                zh.push(format!("罚款 {y} 元"));
                en.push(format!("fine of {y} yuan"));
            }
            _ => {
                zh.push(k.name_zh().to_owned());
                en.push(k.name_en().to_owned());
            }
        }
    }
    format!("{} / {}", zh.join("；"), en.join("; "))
}

/// A violation code's names, Chinese and English (the code itself if unknown).
pub fn violation_names(code: &str) -> (String, String) {
    Violation::parse(code).map_or_else(
        || (code.to_owned(), code.to_owned()),
        |v| (v.name_zh().to_owned(), v.name_en().to_owned()),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn d(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    /// 2026-03-10 23:30 Beijing time, as Unix ms (15:30 UTC).
    const CLOSED_MS: i64 = (20_522 * 86_400 + 15 * 3600 + 1800) * 1000;

    /// A level with publish_from, publish_until and repair_from, or no entry.
    type Want = Option<(Level, &'static str, &'static str, &'static str)>;

    fn case(violation: &str, decisions: &[&str], kind: SubjectKind) -> ClosedCase {
        ClosedCase {
            case_id: 1,
            case_no: "XJ-2026-0001".into(),
            subject_kind: kind,
            subject_id: "E1".into(),
            subject_name: "某公司".into(),
            violation: violation.into(),
            decisions: decisions.iter().map(|s| (*s).to_owned()).collect(),
            fine_yuan: decisions.contains(&"fine").then_some(30_000.0),
            closed_ms: CLOSED_MS,
            non_site: true,
            township: None,
        }
    }

    #[test]
    fn the_default_rules_give_levels_and_beijing_periods_by_violation_and_decision() {
        assert_eq!(cst::today(CLOSED_MS), d("2026-03-10"));
        use SubjectKind::{Contractor, Enterprise};
        // (violation, decisions, subject, level and dates or None)
        let cases: [(&str, &[&str], SubjectKind, Want); 9] = [
            (
                "data_falsification",
                &["fine"],
                Enterprise,
                Some((Level::Serious, "2026-03-11", "2029-03-10", "2027-03-11")),
            ),
            (
                "data_falsification",
                &["rectify"],
                Contractor,
                Some((Level::Serious, "2026-03-11", "2029-03-10", "2027-03-11")),
            ),
            (
                "interference",
                &["fine", "rectify"],
                Contractor,
                Some((Level::Serious, "2026-03-11", "2029-03-10", "2027-03-11")),
            ),
            (
                "exceed_emission",
                &["fine"],
                Enterprise,
                Some((Level::General, "2026-03-11", "2027-03-10", "2026-06-11")),
            ),
            ("exceed_emission", &["rectify"], Enterprise, None),
            (
                "warning_noncompliance",
                &["rectify", "fine"],
                Enterprise,
                Some((Level::General, "2026-03-11", "2027-03-10", "2026-06-11")),
            ),
            (
                "dust",
                &["transfer"],
                Enterprise,
                Some((Level::Serious, "2026-03-11", "2029-03-10", "2027-03-11")),
            ),
            ("open_burning", &["fine"], Enterprise, None),
            // A dismissed case has no decisions.
            ("data_falsification", &[], Enterprise, None),
        ];
        let cfg = Config::default();
        cfg.check().unwrap();
        for (v, decisions, kind, want) in cases {
            let got = cfg.judge(&case(v, decisions, kind)).map(|j| {
                (
                    j.level,
                    j.publish_from.to_string(),
                    j.publish_until.to_string(),
                    j.repair_from.to_string(),
                )
            });
            let want = want.map(|(l, a, b, c)| (l, a.to_owned(), b.to_owned(), c.to_owned()));
            assert_eq!(got, want, "{v} {decisions:?} {kind:?}");
        }
    }

    #[test]
    fn months_are_added_with_the_day_clamped_to_the_month_end() {
        // (date, months, result)
        let cases = [
            ("2026-01-31", 1, "2026-02-28"),
            ("2028-01-31", 1, "2028-02-29"),
            ("2026-03-11", 36, "2029-03-11"),
            ("2026-11-30", 3, "2027-02-28"),
            ("2026-05-05", 0, "2026-05-05"),
        ];
        for (from, n, want) in cases {
            assert_eq!(add_months(d(from), n), d(want), "{from} + {n}");
        }
    }

    #[test]
    fn phases_follow_the_state_and_the_period_by_date() {
        let (from, until) = (d("2026-03-11"), d("2027-03-10"));
        use EntryState as S;
        // (state, today, phase)
        let cases = [
            (S::Published, "2026-03-10", Phase::Scheduled),
            (S::Published, "2026-03-11", Phase::Public),
            (S::Objected, "2027-03-10", Phase::Public),
            (S::Published, "2027-03-11", Phase::Expired),
            (S::Repaired, "2026-06-01", Phase::Repaired),
            (S::Withdrawn, "2026-06-01", Phase::Withdrawn),
        ];
        for (state, today, want) in cases {
            assert_eq!(phase(state, from, until, d(today)), want, "{state} {today}");
        }
    }

    #[test]
    fn requests_are_refused_out_of_turn() {
        let (until, repair_from) = (d("2027-03-10"), d("2026-06-11"));
        use EntryState as S;
        use RequestKind::{Objection, Repair};
        // (kind, state, today, refused)
        let cases = [
            (Objection, S::Published, "2026-03-01", false),
            (Objection, S::Objected, "2026-04-01", true),
            (Objection, S::Published, "2027-03-11", true),
            (Repair, S::Published, "2026-06-10", true),
            (Repair, S::Published, "2026-06-11", false),
            (Repair, S::Objected, "2026-07-01", true),
            (Repair, S::Repaired, "2026-07-01", true),
            (Objection, S::Withdrawn, "2026-07-01", true),
        ];
        for (kind, state, today, refused) in cases {
            let got = refuse_request(kind, state, until, repair_from, d(today));
            assert_eq!(got.is_some(), refused, "{kind} {state} {today}: {got:?}");
        }
        assert_eq!(state_after(Objection, Outcome::Granted), S::Withdrawn);
        assert_eq!(state_after(Repair, Outcome::Granted), S::Repaired);
        assert_eq!(state_after(Repair, Outcome::Rejected), S::Published);
    }

    #[test]
    fn bad_tables_are_refused_naming_the_rule_and_field() {
        let mut cfg = Config::default();
        cfg.rules[2].publish_months = 0;
        assert!(
            cfg.check()
                .unwrap_err()
                .starts_with("rule 3: publish_months")
        );
        let mut cfg = Config::default();
        cfg.rules[1].violation = "smoke".into();
        assert!(
            cfg.check()
                .unwrap_err()
                .contains("rule 2: violation \"smoke\"")
        );
        let mut cfg = Config::default();
        cfg.rules[3].repair_after_months = 13;
        assert!(
            cfg.check()
                .unwrap_err()
                .contains("rule 4: repair_after_months")
        );
        let cfg = Config {
            publish_delay_days: 400,
            ..Config::default()
        };
        assert!(
            cfg.check()
                .unwrap_err()
                .starts_with("publish_delay_days 400")
        );
    }

    #[test]
    fn the_decision_line_names_each_decision_once_in_a_fixed_order() {
        let c = case(
            "exceed_emission",
            &["rectify", "fine"],
            SubjectKind::Enterprise,
        );
        assert_eq!(
            decision_line(&c),
            "罚款 30000 元；责令整改 / fine of 30000 yuan; order to rectify"
        );
    }
}
