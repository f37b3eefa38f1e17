//! Enforcement cases (执法案件): origins, states, violations, decisions and the one
//! transition function that says which step a case may take next (docs/enforcement.md).

use crate::integrity::Rule;
use serde::{Deserialize, Serialize};

crate::org::named_enum! {
    /// What a case was opened from.
    Origin {
        /// A data-integrity alarm the bureau confirmed (非现场执法).
        Alarm = "alarm",
        /// A violation found while verifying a heavy-pollution warning's measures.
        Violation = "violation",
        /// A grid task (a fire point, dust, a complaint found on the spot).
        Task = "task",
        /// Opened by hand.
        Manual = "manual",
    }
}

crate::org::named_enum! {
    /// Where a case stands.
    State {
        /// 立案.
        Open = "open",
        /// 调查取证: an inspection is recorded.
        Investigating = "investigating",
        /// 作出决定: a decision is made; closing is possible.
        Decided = "decided",
        /// 整改中: a rectification is ordered and not yet confirmed.
        Rectifying = "rectifying",
        /// 结案.
        Closed = "closed",
        /// 不予处罚/撤销: ended without a penalty (no credit entry).
        Dismissed = "dismissed",
    }
}

crate::org::named_enum! {
    /// The violation a case is about (its code is what the credit rules read).
    Violation {
        /// 监测数据造假.
        DataFalsification = "data_falsification",
        /// 干扰监测设施.
        Interference = "interference",
        /// 超标排放.
        ExceedEmission = "exceed_emission",
        /// 未落实应急减排措施.
        WarningNoncompliance = "warning_noncompliance",
        /// 无证排污.
        NoPermit = "no_permit",
        /// 露天焚烧.
        OpenBurning = "open_burning",
        /// 扬尘污染.
        Dust = "dust",
        /// 其他.
        Other = "other",
    }
}

crate::org::named_enum! {
    /// A decision's kind.
    DecisionKind {
        /// 责令整改 with a deadline.
        Rectify = "rectify",
        /// 罚款 with an amount and its legal basis.
        Fine = "fine",
        /// 移送 (the public security organ, another authority).
        Transfer = "transfer",
    }
}

impl State {
    pub fn name_zh(self) -> &'static str {
        match self {
            State::Open => "立案",
            State::Investigating => "调查取证",
            State::Decided => "作出决定",
            State::Rectifying => "整改中",
            State::Closed => "结案",
            State::Dismissed => "不予处罚/撤销",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            State::Open => "opened",
            State::Investigating => "investigating",
            State::Decided => "decided",
            State::Rectifying => "rectifying",
            State::Closed => "closed",
            State::Dismissed => "dismissed",
        }
    }

    /// Whether the case has ended (no more steps).
    pub fn is_done(self) -> bool {
        matches!(self, State::Closed | State::Dismissed)
    }
}

impl Origin {
    pub fn name_zh(self) -> &'static str {
        match self {
            Origin::Alarm => "数据告警",
            Origin::Violation => "应急减排违规",
            Origin::Task => "网格任务",
            Origin::Manual => "人工立案",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Origin::Alarm => "integrity alarm",
            Origin::Violation => "warning-period violation",
            Origin::Task => "grid task",
            Origin::Manual => "by hand",
        }
    }
}

impl Violation {
    pub fn name_zh(self) -> &'static str {
        match self {
            Violation::DataFalsification => "监测数据造假",
            Violation::Interference => "干扰监测设施",
            Violation::ExceedEmission => "超标排放",
            Violation::WarningNoncompliance => "未落实应急减排措施",
            Violation::NoPermit => "无证排污",
            Violation::OpenBurning => "露天焚烧",
            Violation::Dust => "扬尘污染",
            Violation::Other => "其他",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Violation::DataFalsification => "falsified monitoring data",
            Violation::Interference => "interference with monitoring",
            Violation::ExceedEmission => "emission above the limit",
            Violation::WarningNoncompliance => "warning measures not taken",
            Violation::NoPermit => "discharge without a permit",
            Violation::OpenBurning => "open burning",
            Violation::Dust => "dust pollution",
            Violation::Other => "other",
        }
    }

    /// The violation an integrity rule's confirmed alarm points to: physical interference
    /// signatures (spraying, a blocked inlet, dilution air) are interference, the rest of
    /// the data rules falsified data; production without treatment is a matter of its own.
    /// The bureau may name another when it opens the case.
    pub fn for_rule(rule: Rule) -> Violation {
        use Rule::*;
        match rule {
            Spraying | InletBlocked | CemsDilution => Violation::Interference,
            CemsTreatmentOff => Violation::Other,
            _ => Violation::DataFalsification,
        }
    }

    /// A suggested legal basis, for the decision form to offer (the bureau types the one it
    /// applies; these are the provisions of the Air Pollution Prevention and Control Law,
    /// 2018 text, as read for docs/enforcement.md, not legal advice).
    pub fn suggested_basis(self) -> Option<&'static str> {
        match self {
            Violation::Interference => Some("《中华人民共和国大气污染防治法》第一百条第（一）项"),
            Violation::DataFalsification => {
                Some("《中华人民共和国大气污染防治法》第二十条第二款、第九十九条第（三）项")
            }
            Violation::ExceedEmission => {
                Some("《中华人民共和国大气污染防治法》第九十九条第（二）项")
            }
            Violation::NoPermit => Some("《中华人民共和国大气污染防治法》第九十九条第（一）项"),
            _ => None,
        }
    }
}

impl DecisionKind {
    pub fn name_zh(self) -> &'static str {
        match self {
            DecisionKind::Rectify => "责令整改",
            DecisionKind::Fine => "罚款",
            DecisionKind::Transfer => "移送",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            DecisionKind::Rectify => "order to rectify",
            DecisionKind::Fine => "fine",
            DecisionKind::Transfer => "transfer",
        }
    }
}

/// A step of a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Record an inspection (调查取证).
    Inspect,
    /// Record a decision.
    Decide(DecisionKind),
    /// Confirm that the ordered rectification is done (整改验收).
    ConfirmRectified,
    /// Close the case (结案).
    Close,
    /// End it without a penalty (不予处罚/撤销).
    Dismiss,
    /// Attach evidence.
    Evidence,
}

/// Why a step is refused: each names the state and what is missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The case has ended.
    Ended(State),
    /// Closing needs a decision first.
    NoDecision,
    /// Closing while a rectification is not confirmed.
    RectificationOpen,
    /// Confirming a rectification that was not ordered (or is confirmed already).
    NothingToConfirm(State),
    /// Dismissing after a decision: the decision stands.
    AlreadyDecided(State),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Ended(s) => write!(
                f,
                "案件已{}，不能再办理 / the case is {}: no more steps",
                s.name_zh(),
                s.name_en()
            ),
            Refusal::NoDecision => f.write_str(
                "尚未作出处理决定，不能结案 / a case closes only after a decision (rectify, fine or transfer)",
            ),
            Refusal::RectificationOpen => f.write_str(
                "整改尚未验收，不能结案 / the ordered rectification is not confirmed yet",
            ),
            Refusal::NothingToConfirm(s) => write!(
                f,
                "案件处于“{}”，没有待验收的整改 / the case is {}: no rectification to confirm",
                s.name_zh(),
                s.name_en()
            ),
            Refusal::AlreadyDecided(s) => write!(
                f,
                "案件已{}，决定不能以撤销了结 / the case is {}: a decided case is closed, not dismissed",
                s.name_zh(),
                s.name_en()
            ),
        }
    }
}

/// The state after `step` from `state`, or why not. Decisions may follow each other (a fine
/// and an order to rectify); an order to rectify puts the case into `rectifying` until it is
/// confirmed, whatever else is decided meanwhile.
pub fn transition(state: State, step: Step) -> Result<State, Refusal> {
    use State::*;
    if state.is_done() {
        return Err(Refusal::Ended(state));
    }
    Ok(match (state, step) {
        (_, Step::Evidence) => state,
        (Open | Investigating, Step::Inspect) => Investigating,
        (s, Step::Inspect) => s,
        (_, Step::Decide(DecisionKind::Rectify)) => Rectifying,
        (Rectifying, Step::Decide(_)) => Rectifying,
        (_, Step::Decide(_)) => Decided,
        (Rectifying, Step::ConfirmRectified) => Decided,
        (s, Step::ConfirmRectified) => return Err(Refusal::NothingToConfirm(s)),
        (Decided, Step::Close) => Closed,
        (Rectifying, Step::Close) => return Err(Refusal::RectificationOpen),
        (_, Step::Close) => return Err(Refusal::NoDecision),
        (Open | Investigating, Step::Dismiss) => Dismissed,
        (s, Step::Dismiss) => return Err(Refusal::AlreadyDecided(s)),
    })
}

/// A case's number as people read it: `PREFIX-YYYY-NNNN` (the county's code, the year of
/// opening, the case's rank in that year from 1).
pub fn case_no(prefix: &str, year: i32, n: i64) -> String {
    format!("{prefix}-{year}-{n:04}")
}

/// The packets of one case's archive evidence are capped: an alarm over months would
/// otherwise copy thousands of packets into the case.
pub const EVIDENCE_PACKETS_MAX: usize = 500;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_follow_the_case_and_wrong_moves_are_refused_with_their_reason() {
        use DecisionKind::*;
        use State::*;
        let cases: [(State, Step, Result<State, Refusal>); 17] = [
            (Open, Step::Inspect, Ok(Investigating)),
            (Investigating, Step::Inspect, Ok(Investigating)),
            (Open, Step::Decide(Fine), Ok(Decided)),
            (Investigating, Step::Decide(Transfer), Ok(Decided)),
            (Investigating, Step::Decide(Rectify), Ok(Rectifying)),
            (Decided, Step::Decide(Rectify), Ok(Rectifying)),
            (Rectifying, Step::Decide(Fine), Ok(Rectifying)),
            (Rectifying, Step::ConfirmRectified, Ok(Decided)),
            (
                Decided,
                Step::ConfirmRectified,
                Err(Refusal::NothingToConfirm(Decided)),
            ),
            (Decided, Step::Close, Ok(Closed)),
            (Open, Step::Close, Err(Refusal::NoDecision)),
            (Investigating, Step::Close, Err(Refusal::NoDecision)),
            (Rectifying, Step::Close, Err(Refusal::RectificationOpen)),
            (Investigating, Step::Dismiss, Ok(Dismissed)),
            (
                Decided,
                Step::Dismiss,
                Err(Refusal::AlreadyDecided(Decided)),
            ),
            (Closed, Step::Inspect, Err(Refusal::Ended(Closed))),
            (Dismissed, Step::Evidence, Err(Refusal::Ended(Dismissed))),
        ];
        for (from, step, want) in cases {
            assert_eq!(transition(from, step), want, "{from} {step:?}");
        }
        assert!(
            Refusal::NoDecision.to_string().contains("decision"),
            "the refusal says what is missing"
        );
    }

    #[test]
    fn interference_signatures_are_interference_and_other_data_rules_falsification() {
        for (rule, want) in [
            (Rule::Spraying, Violation::Interference),
            (Rule::InletBlocked, Violation::Interference),
            (Rule::CemsDilution, Violation::Interference),
            (Rule::FlatLine, Violation::DataFalsification),
            (Rule::Backfilled, Violation::DataFalsification),
            (Rule::CemsZsInconsistent, Violation::DataFalsification),
            (Rule::CemsTreatmentOff, Violation::Other),
        ] {
            assert_eq!(Violation::for_rule(rule), want, "{rule}");
        }
    }

    #[test]
    fn case_numbers_carry_prefix_year_and_a_four_digit_rank() {
        assert_eq!(case_no("130181", 2026, 7), "130181-2026-0007");
        assert_eq!(case_no("XJ", 2025, 12345), "XJ-2025-12345");
        for v in Violation::ALL {
            assert_eq!(Violation::parse(v.as_str()), Some(*v));
            assert!(!v.name_zh().is_empty() && !v.name_en().is_empty());
        }
    }
}
