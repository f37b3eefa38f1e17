//! Enterprise declarations (停运 / 停产 / 检修 / 因子异常 / 长期停产, issue 22): what an
//! enterprise or its operations contractor declares for outlets and a period, the review
//! states, which outlet hours (and, for 因子异常, which factors) an approved declaration
//! covers, the late rule (declared after the period began beyond a configurable grace) and
//! the per-enterprise statistics. Pure: declarations in, verdicts out (docs/declarations.md).

use crate::cems;
use crate::cst;
use crate::org::named_enum;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

named_enum! {
    /// What is declared.
    Kind {
        /// 停运: the plant (or its monitoring) stopped unplanned.
        Stopped = "stopped",
        /// 停产: production stopped for a while (planned).
        ProductionStopped = "production_stopped",
        /// 检修: maintenance of the plant, its treatment or its monitoring (planned).
        Maintenance = "maintenance",
        /// 因子异常: some factors' values are known to be wrong (analyser fault, calibration).
        FactorAbnormal = "factor_abnormal",
        /// 长期停产: production stopped for a long time (months).
        LongTermStop = "long_term_stop",
    }
}

named_enum! {
    /// Where a declaration stands.
    State {
        /// Declared, waiting for the bureau.
        Pending = "pending",
        /// Approved by the bureau: its hours are shown as declared.
        Approved = "approved",
        /// Rejected by the bureau (with a reason): changes nothing.
        Rejected = "rejected",
        /// Withdrawn by the declarer while pending: changes nothing.
        Withdrawn = "withdrawn",
    }
}

named_enum! {
    /// A step on a declaration.
    Act {
        Approve = "approve",
        Reject = "reject",
        Withdraw = "withdraw",
    }
}

impl Kind {
    pub fn name_zh(self) -> &'static str {
        match self {
            Kind::Stopped => "停运",
            Kind::ProductionStopped => "停产",
            Kind::Maintenance => "检修",
            Kind::FactorAbnormal => "因子异常",
            Kind::LongTermStop => "长期停产",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Kind::Stopped => "stopped",
            Kind::ProductionStopped => "production stopped",
            Kind::Maintenance => "maintenance",
            Kind::FactorAbnormal => "factor abnormal",
            Kind::LongTermStop => "long-term stop",
        }
    }

    /// The longest period one declaration of this kind may cover, hours. A longer stop is
    /// declared again (or as 长期停产), so the bureau looks at it again.
    pub fn span_hours_max(self) -> i64 {
        match self {
            Kind::Stopped | Kind::FactorAbnormal => STOPPED_SPAN_HOURS_MAX,
            Kind::Maintenance => MAINTENANCE_SPAN_HOURS_MAX,
            Kind::ProductionStopped => PRODUCTION_STOP_SPAN_HOURS_MAX,
            Kind::LongTermStop => LONG_TERM_SPAN_HOURS_MAX,
        }
    }
}

impl State {
    pub fn name_zh(self) -> &'static str {
        match self {
            State::Pending => "待审核",
            State::Approved => "已通过",
            State::Rejected => "已驳回",
            State::Withdrawn => "已撤回",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Approved => "approved",
            State::Rejected => "rejected",
            State::Withdrawn => "withdrawn",
        }
    }
}

/// 停运 and 因子异常 cover at most 7 days each.
pub const STOPPED_SPAN_HOURS_MAX: i64 = 7 * 24;
/// 检修 covers at most 31 days.
pub const MAINTENANCE_SPAN_HOURS_MAX: i64 = 31 * 24;
/// 停产 covers at most 92 days (a quarter).
pub const PRODUCTION_STOP_SPAN_HOURS_MAX: i64 = 92 * 24;
/// 长期停产 covers at most 366 days.
pub const LONG_TERM_SPAN_HOURS_MAX: i64 = 366 * 24;
/// A reason has at least this many characters.
pub const REASON_CHARS_MIN: usize = 4;
/// And at most this many.
pub const REASON_CHARS_MAX: usize = 2000;

/// The late rule: how long after the period's start a declaration of each kind may still be
/// made, hours. Planned stops (检修, 停产, 长期停产) are reported in advance (提前报告):
/// 0 h; an unplanned stop (停运) or a factor fault found in operation (因子异常) is reported
/// afterwards (事后报告) within 12 h, the time local rules on automatic monitoring give for
/// reporting a fault. A county overrides any of them (setting `declaration_config`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub grace_hours: BTreeMap<Kind, i64>,
}

/// The default grace of unplanned declarations (停运, 因子异常), hours.
pub const UNPLANNED_GRACE_HOURS: i64 = 12;

impl Default for Config {
    fn default() -> Config {
        Config {
            grace_hours: Kind::ALL
                .iter()
                .map(|&k| (k, Config::default_grace(k)))
                .collect(),
        }
    }
}

impl Config {
    fn default_grace(kind: Kind) -> i64 {
        match kind {
            Kind::Stopped | Kind::FactorAbnormal => UNPLANNED_GRACE_HOURS,
            Kind::Maintenance | Kind::ProductionStopped | Kind::LongTermStop => 0,
        }
    }

    /// The grace of `kind`, hours (the default when the setting leaves it out).
    pub fn grace(&self, kind: Kind) -> i64 {
        self.grace_hours
            .get(&kind)
            .copied()
            .unwrap_or_else(|| Config::default_grace(kind))
    }

    /// Graces must be whole hours from 0 to 30 days.
    pub fn check(&self) -> Result<(), String> {
        match self
            .grace_hours
            .iter()
            .find(|(_, h)| !(0..=30 * 24).contains(*h))
        {
            Some((k, h)) => Err(format!(
                "“{}”的宽限须为 0–720 小时，收到 {h} / the grace of {k} must be 0-720 hours, got {h}",
                k.name_zh()
            )),
            None => Ok(()),
        }
    }
}

/// Late: declared more than the kind's grace after the period began. `Some(hours after the
/// start, rounded up)` when late.
pub fn late_hours(cfg: &Config, kind: Kind, start: i64, declared: i64) -> Option<i64> {
    let after = declared - start;
    (after > cfg.grace(kind) * cst::HOUR_S).then(|| (after + cst::HOUR_S - 1) / cst::HOUR_S)
}

/// The factor codes 因子异常 may name: the flue-gas pollutants, O2 and flow.
pub fn factor_codes() -> Vec<&'static str> {
    cems::POLLUTANTS
        .iter()
        .map(|p| p.0)
        .chain([cems::O2, cems::FLOW])
        .collect()
}

/// A factor's names, Chinese and English.
pub fn factor_name(code: &str) -> (&str, &str) {
    match code {
        cems::O2 => ("氧含量", "O2"),
        cems::FLOW => ("烟气流量", "flow"),
        _ => cems::POLLUTANTS
            .iter()
            .find(|p| p.0 == code)
            .map_or((code, code), |p| (p.2, p.3)),
    }
}

/// Why a declaration cannot be made as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeclarationError {
    NoOutlets,
    EndNotAfterStart,
    TooLong { kind: Kind, hours: i64 },
    Codes { kind: Kind },
    UnknownCode(String),
    Reason,
}

impl std::fmt::Display for DeclarationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeclarationError::NoOutlets => {
                f.write_str("须选择至少一个排放口 / name at least one outlet")
            }
            DeclarationError::EndNotAfterStart => {
                f.write_str("结束时间须晚于开始时间 / the end must be after the start")
            }
            DeclarationError::TooLong { kind, hours } => write!(
                f,
                "“{}”一次最多申报 {} 小时，此次 {hours} 小时 / a {} declaration covers at most {} hours, this one {hours}",
                kind.name_zh(),
                kind.span_hours_max(),
                kind.name_en(),
                kind.span_hours_max()
            ),
            DeclarationError::Codes {
                kind: Kind::FactorAbnormal,
            } => f.write_str(
                "因子异常须列出异常的监测因子 / a factor-abnormal declaration names its factors",
            ),
            DeclarationError::Codes { kind } => write!(
                f,
                "“{}”覆盖全部因子，不列因子 / a {} declaration covers every factor: name none",
                kind.name_zh(),
                kind.name_en()
            ),
            DeclarationError::UnknownCode(c) => write!(
                f,
                "监测因子 {c:?} 未知，可选 {} / unknown factor {c:?}: one of {}",
                factor_codes().join(", "),
                factor_codes().join(", ")
            ),
            DeclarationError::Reason => write!(
                f,
                "申报理由须为 {REASON_CHARS_MIN}–{REASON_CHARS_MAX} 个字 / the reason needs {REASON_CHARS_MIN}-{REASON_CHARS_MAX} characters"
            ),
        }
    }
}

/// What is declared, as checked: outlets, kind, `[start, end)` in CST seconds, the factor
/// codes of 因子异常 (empty for the other kinds: every factor), the reason.
#[derive(Clone, Debug, PartialEq)]
pub struct Draft<'a> {
    pub outlets: &'a [String],
    pub kind: Kind,
    pub start: i64,
    pub end: i64,
    pub codes: &'a [String],
    pub reason: &'a str,
}

/// Checks a declaration before it is stored.
pub fn check(d: &Draft<'_>) -> Result<(), DeclarationError> {
    if d.outlets.is_empty() || d.outlets.iter().any(|o| o.trim().is_empty()) {
        return Err(DeclarationError::NoOutlets);
    }
    if d.end <= d.start {
        return Err(DeclarationError::EndNotAfterStart);
    }
    let hours = (d.end - d.start + cst::HOUR_S - 1) / cst::HOUR_S;
    if hours > d.kind.span_hours_max() {
        return Err(DeclarationError::TooLong {
            kind: d.kind,
            hours,
        });
    }
    if (d.kind == Kind::FactorAbnormal) == d.codes.is_empty() {
        return Err(DeclarationError::Codes { kind: d.kind });
    }
    let known = factor_codes();
    if let Some(c) = d.codes.iter().find(|c| !known.contains(&c.as_str())) {
        return Err(DeclarationError::UnknownCode(c.clone()));
    }
    let n = d.reason.trim().chars().count();
    if !(REASON_CHARS_MIN..=REASON_CHARS_MAX).contains(&n) {
        return Err(DeclarationError::Reason);
    }
    Ok(())
}

/// The state after `act` from `from`, if the act is possible: only a pending declaration is
/// approved, rejected or withdrawn; every other state is final.
pub fn transition(from: State, act: Act) -> Option<State> {
    match (from, act) {
        (State::Pending, Act::Approve) => Some(State::Approved),
        (State::Pending, Act::Reject) => Some(State::Rejected),
        (State::Pending, Act::Withdraw) => Some(State::Withdrawn),
        _ => None,
    }
}

/// The hour starts (CST seconds) a period `[start, end)` touches: an hour partly declared is
/// declared (a stop from 10:30 explains the hour 10:00–11:00's missing minutes).
pub fn hours_of(start: i64, end: i64) -> impl Iterator<Item = i64> {
    let first = cst::hour_start(start);
    (0..)
        .map(move |i| first + i * cst::HOUR_S)
        .take_while(move |h| *h < end)
}

/// What approved declarations cover at one outlet: periods of every factor, and periods of
/// named factors (因子异常). Built from the declarations, asked per hour and factor.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Coverage {
    /// `[start, end)` and the kind, of declarations covering every factor.
    all: Vec<(i64, i64, Kind)>,
    /// By factor code: `[start, end)` of 因子异常 naming it.
    by_code: HashMap<String, Vec<(i64, i64)>>,
}

impl Coverage {
    /// Adds an approved declaration (only approved ones should be added).
    pub fn add(&mut self, kind: Kind, start: i64, end: i64, codes: &[String]) {
        if kind == Kind::FactorAbnormal {
            for c in codes {
                self.by_code
                    .entry(c.clone())
                    .or_default()
                    .push((start, end));
            }
        } else {
            self.all.push((start, end, kind));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty() && self.by_code.is_empty()
    }

    fn touches(start: i64, end: i64, hour: i64) -> bool {
        hour < end && hour + cst::HOUR_S > start
    }

    /// The kind covering every factor of the hour starting at `hour`, if any.
    pub fn whole(&self, hour: i64) -> Option<Kind> {
        self.all
            .iter()
            .find(|(s, e, _)| Coverage::touches(*s, *e, hour))
            .map(|x| x.2)
    }

    /// The kind covering `code` in the hour starting at `hour`, if any. A code with a
    /// suffix (`a21026-Zs`, `a21026-Cou`) is its factor's.
    pub fn covering(&self, hour: i64, code: &str) -> Option<Kind> {
        let factor = code.split('-').next().unwrap_or(code);
        self.whole(hour).or_else(|| {
            self.by_code
                .get(factor)
                .filter(|v| v.iter().any(|(s, e)| Coverage::touches(*s, *e, hour)))
                .map(|_| Kind::FactorAbnormal)
        })
    }
}

/// One declaration as the statistics read it.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary<'a> {
    pub enterprise: &'a str,
    pub kind: Kind,
    pub state: State,
    pub late: bool,
    /// Outlet-hours the declaration covers (outlets × hours of the period).
    pub outlet_hours: i64,
}

/// An enterprise's declarations counted.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Stats {
    pub enterprise: String,
    /// Declarations (withdrawn ones not counted) by kind.
    pub by_kind: BTreeMap<Kind, u32>,
    pub declarations: u32,
    pub pending: u32,
    pub approved: u32,
    pub rejected: u32,
    pub withdrawn: u32,
    pub late: u32,
    /// Outlet-hours declared (not withdrawn) and approved.
    pub outlet_hours_declared: i64,
    pub outlet_hours_approved: i64,
    /// approved ÷ (approved + rejected); none before any review.
    pub approved_share: Option<f64>,
    pub rejected_share: Option<f64>,
    /// late ÷ declarations; none without declarations.
    pub late_share: Option<f64>,
}

/// The statistics per enterprise, sorted by enterprise id.
pub fn stats(items: &[Summary<'_>]) -> Vec<Stats> {
    let mut by: BTreeMap<&str, Stats> = BTreeMap::new();
    for d in items {
        let s = by.entry(d.enterprise).or_insert_with(|| Stats {
            enterprise: d.enterprise.to_owned(),
            ..Stats::default()
        });
        if d.state == State::Withdrawn {
            s.withdrawn += 1;
            continue;
        }
        *s.by_kind.entry(d.kind).or_default() += 1;
        s.declarations += 1;
        s.late += u32::from(d.late);
        s.outlet_hours_declared += d.outlet_hours;
        match d.state {
            State::Pending => s.pending += 1,
            State::Approved => {
                s.approved += 1;
                s.outlet_hours_approved += d.outlet_hours;
            }
            State::Rejected => s.rejected += 1,
            State::Withdrawn => {}
        }
    }
    by.into_values()
        .map(|mut s| {
            let reviewed = s.approved + s.rejected;
            if reviewed > 0 {
                s.approved_share = Some(f64::from(s.approved) / f64::from(reviewed));
                s.rejected_share = Some(f64::from(s.rejected) / f64::from(reviewed));
            }
            if s.declarations > 0 {
                s.late_share = Some(f64::from(s.late) / f64::from(s.declarations));
            }
            s
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Date;

    fn at(day: &str, hh: i64, mm: i64) -> i64 {
        cst::day_start(Date::parse(day).unwrap()) + hh * cst::HOUR_S + mm * 60
    }

    #[test]
    fn planned_kinds_are_late_once_begun_and_unplanned_ones_after_twelve_hours() {
        let cfg = Config::default();
        let start = at("2026-05-10", 8, 0);
        // (kind, declared at, late hours)
        let cases = [
            (Kind::Maintenance, at("2026-05-09", 17, 0), None),
            (Kind::Maintenance, start, None),
            (Kind::Maintenance, at("2026-05-10", 8, 1), Some(1)),
            (Kind::ProductionStopped, at("2026-05-11", 9, 0), Some(25)),
            (Kind::LongTermStop, at("2026-05-10", 7, 59), None),
            (Kind::Stopped, at("2026-05-10", 20, 0), None),
            (Kind::Stopped, at("2026-05-10", 20, 1), Some(13)),
            (Kind::FactorAbnormal, at("2026-05-10", 19, 0), None),
            (Kind::FactorAbnormal, at("2026-05-12", 8, 0), Some(48)),
        ];
        for (kind, declared, want) in cases {
            assert_eq!(late_hours(&cfg, kind, start, declared), want, "{kind}");
        }
        // A setting that names one kind keeps the others' defaults.
        let strict = Config {
            grace_hours: [(Kind::Stopped, 1)].into_iter().collect(),
        };
        assert_eq!(
            late_hours(&strict, Kind::Stopped, start, at("2026-05-10", 9, 30)),
            Some(2)
        );
        assert_eq!(strict.grace(Kind::FactorAbnormal), UNPLANNED_GRACE_HOURS);
        let bad = Config {
            grace_hours: [(Kind::Stopped, -1)].into_iter().collect(),
        };
        assert!(bad.check().is_err() && strict.check().is_ok());
    }

    #[test]
    fn drafts_are_checked_for_outlets_period_span_factors_and_reason() {
        fn d<'a>(
            outlets: &'a [String],
            kind: Kind,
            (start, end): (i64, i64),
            codes: &'a [String],
            reason: &'a str,
        ) -> Draft<'a> {
            Draft {
                outlets,
                kind,
                start,
                end,
                codes,
                reason,
            }
        }
        let o = &["DA001".to_owned()][..];
        let so2 = &["a21026".to_owned()][..];
        let bad_code = &["a99999".to_owned()][..];
        let none: &[String] = &[];
        let s = at("2026-05-10", 8, 0);
        let h = cst::HOUR_S;
        let cases = [
            (
                d(o, Kind::Stopped, (s, s + 3 * h), none, "锅炉故障停运"),
                Ok(()),
            ),
            (
                d(none, Kind::Stopped, (s, s + h), none, "锅炉故障停运"),
                Err(DeclarationError::NoOutlets),
            ),
            (
                d(o, Kind::Stopped, (s, s), none, "锅炉故障停运"),
                Err(DeclarationError::EndNotAfterStart),
            ),
            (
                d(o, Kind::Stopped, (s, s + 169 * h), none, "锅炉故障停运"),
                Err(DeclarationError::TooLong {
                    kind: Kind::Stopped,
                    hours: 169,
                }),
            ),
            (
                d(
                    o,
                    Kind::LongTermStop,
                    (s, s + 169 * h),
                    none,
                    "市场原因长期停产",
                ),
                Ok(()),
            ),
            (
                d(o, Kind::FactorAbnormal, (s, s + h), so2, "SO2 分析仪故障"),
                Ok(()),
            ),
            (
                d(o, Kind::FactorAbnormal, (s, s + h), none, "分析仪故障"),
                Err(DeclarationError::Codes {
                    kind: Kind::FactorAbnormal,
                }),
            ),
            (
                d(o, Kind::Maintenance, (s, s + h), so2, "例行检修"),
                Err(DeclarationError::Codes {
                    kind: Kind::Maintenance,
                }),
            ),
            (
                d(o, Kind::FactorAbnormal, (s, s + h), bad_code, "分析仪故障"),
                Err(DeclarationError::UnknownCode("a99999".into())),
            ),
            (
                d(o, Kind::Maintenance, (s, s + h), none, "修"),
                Err(DeclarationError::Reason),
            ),
        ];
        for (draft, want) in cases {
            assert_eq!(check(&draft), want, "{draft:?}");
            if let Err(e) = want {
                assert!(e.to_string().contains(" / "), "zh / en: {e}");
            }
        }
    }

    #[test]
    fn only_a_pending_declaration_moves_and_every_other_state_is_final() {
        for &from in State::ALL {
            for &act in Act::ALL {
                let want = match (from, act) {
                    (State::Pending, Act::Approve) => Some(State::Approved),
                    (State::Pending, Act::Reject) => Some(State::Rejected),
                    (State::Pending, Act::Withdraw) => Some(State::Withdrawn),
                    _ => None,
                };
                assert_eq!(transition(from, act), want, "{from} {act}");
            }
        }
    }

    #[test]
    fn coverage_marks_touched_hours_and_factor_declarations_only_their_factors() {
        let mut c = Coverage::default();
        assert!(c.is_empty());
        // Maintenance 10:30–12:00 touches the hours starting 10:00 and 11:00.
        c.add(
            Kind::Maintenance,
            at("2026-05-10", 10, 30),
            at("2026-05-10", 12, 0),
            &[],
        );
        c.add(
            Kind::FactorAbnormal,
            at("2026-05-10", 14, 0),
            at("2026-05-10", 16, 0),
            &["a21026".to_owned()],
        );
        let h = |hh| at("2026-05-10", hh, 0);
        // (hour, code, kind covering)
        let cases = [
            (h(9), "a21026", None),
            (h(10), "a21026", Some(Kind::Maintenance)),
            (h(10), "a21002", Some(Kind::Maintenance)),
            (h(11), "a19001", Some(Kind::Maintenance)),
            (h(12), "a21026", None),
            (h(14), "a21026", Some(Kind::FactorAbnormal)),
            (h(15), "a21026-Zs", Some(Kind::FactorAbnormal)),
            (h(15), "a21002", None),
            (h(16), "a21026", None),
        ];
        for (hour, code, want) in cases {
            assert_eq!(
                c.covering(hour, code),
                want,
                "{} {code}",
                cst::format_minute(hour)
            );
        }
        assert_eq!(
            c.whole(h(14)),
            None,
            "a factor declaration covers no whole hour"
        );
        assert_eq!(
            hours_of(at("2026-05-10", 10, 30), h(12)).collect::<Vec<_>>(),
            vec![h(10), h(11)]
        );
    }

    #[test]
    fn statistics_count_kinds_hours_and_shares_per_enterprise_without_withdrawn() {
        let s = |e, kind, state, late, outlet_hours| Summary {
            enterprise: e,
            kind,
            state,
            late,
            outlet_hours,
        };
        let items = [
            s("A", Kind::Stopped, State::Approved, false, 10),
            s("A", Kind::Stopped, State::Rejected, true, 5),
            s("A", Kind::Maintenance, State::Approved, true, 48),
            s("A", Kind::Maintenance, State::Withdrawn, false, 100),
            s("A", Kind::FactorAbnormal, State::Pending, false, 3),
            s("B", Kind::LongTermStop, State::Withdrawn, false, 7),
        ];
        let st = stats(&items);
        assert_eq!(st.len(), 2);
        let a = &st[0];
        assert_eq!(
            (
                a.declarations,
                a.approved,
                a.rejected,
                a.pending,
                a.withdrawn,
                a.late
            ),
            (4, 2, 1, 1, 1, 2)
        );
        assert_eq!((a.outlet_hours_declared, a.outlet_hours_approved), (66, 58));
        assert_eq!(a.by_kind.get(&Kind::Stopped), Some(&2));
        assert_eq!(a.by_kind.get(&Kind::Maintenance), Some(&1));
        assert_eq!(a.approved_share, Some(2.0 / 3.0));
        assert_eq!(a.rejected_share, Some(1.0 / 3.0));
        assert_eq!(a.late_share, Some(0.5));
        let b = &st[1];
        assert_eq!((b.declarations, b.withdrawn), (0, 1));
        assert_eq!((b.approved_share, b.late_share), (None, None));
    }
}

#[cfg(test)]
mod missing_tests {
    use super::*;
    use crate::integrity::{
        CemsChannel, CemsInput, Config as RulesConfig, Rule, scan_cems_missing,
    };

    #[test]
    fn declared_hours_explain_missing_data_and_a_factor_declaration_only_its_factor() {
        // 12 hours from 00:00; nothing at all 03:00–05:59; NOx missing 08:00–09:59.
        let nan = f64::NAN;
        let mut so2 = vec![20.0; 12];
        let mut nox = vec![50.0; 12];
        let mut o2 = vec![12.0; 12];
        for t in 3..6 {
            so2[t] = nan;
            nox[t] = nan;
            o2[t] = nan;
        }
        for v in &mut nox[8..10] {
            *v = nan;
        }
        let input = CemsInput {
            outlet: "DA001",
            channels: vec![
                CemsChannel {
                    code: "a21026",
                    raw: &so2,
                    zs: None,
                    limit: Some(35.0),
                },
                CemsChannel {
                    code: "a21002",
                    raw: &nox,
                    zs: None,
                    limit: Some(50.0),
                },
            ],
            o2_pct: Some(&o2),
            flow_m3_h: None,
            o2_ref_pct: None,
            production_on: None,
            treatment_on: None,
        };
        let cfg = RulesConfig::default();
        let h = |t: usize| t as i64 * cst::HOUR_S;
        let found = |cov: &Coverage| -> Vec<(usize, usize, bool)> {
            scan_cems_missing(&cfg, &input, &|t, code| match code {
                None => cov.whole(h(t)).is_some(),
                Some(c) => cov.covering(h(t), c).is_some(),
            })
            .into_iter()
            .map(|a| {
                assert_eq!(a.rule, Rule::CemsMissing);
                (a.first_hour, a.last_hour, a.why_zh.starts_with("氮氧化物"))
            })
            .collect()
        };
        let mut none = Coverage::default();
        assert_eq!(found(&none), vec![(3, 5, false), (8, 9, true)]);
        // A stop declared 03:00–06:00 explains the outlet's gap, not NOx's.
        none.add(Kind::Stopped, h(3), h(6), &[]);
        assert_eq!(found(&none), vec![(8, 9, true)]);
        // 因子异常 of SO2 explains nothing of NOx; of NOx, its gap.
        let mut so2_only = none.clone();
        so2_only.add(Kind::FactorAbnormal, h(8), h(10), &["a21026".to_owned()]);
        assert_eq!(found(&so2_only), vec![(8, 9, true)]);
        let mut nox_too = none.clone();
        nox_too.add(Kind::FactorAbnormal, h(8), h(10), &["a21002".to_owned()]);
        assert_eq!(found(&nox_too), vec![]);
    }
}
