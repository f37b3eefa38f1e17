//! The 散乱污 list: entries, their dynamic clearing and the monthly count that must return to zero.
//!
//! Plan §8(二): "巩固'散乱污'企业整治成果,严防死灰复燃,实现动态'清零'". An entry is a small
//! polluting business found in a township (发现); the township rectifies it (整改中), and
//! reports it rectified and upgraded (整改提升), shut down (关停取缔) or relocated (搬迁); the
//! bureau verifies the result on site (验收销号) or sends it back. A verified entry that is
//! found operating again (死灰复燃) is reopened: found again, counted again.
//!
//! The monthly count per township: entries found (or re-found) in the month, entries cleared
//! (verified) in the month, and entries outstanding at the month's end (found and not yet
//! verified). "Dynamic zero" means the last figure returns to zero.

use crate::date::{Date, Month};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Where an entry stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// 发现: on the list, nothing done yet.
    Found,
    /// 整改中: the township is dealing with it.
    Rectifying,
    /// 整改提升: rectified and upgraded to standard; awaiting the bureau's verification.
    Rectified,
    /// 关停取缔: shut down (power cut, equipment removed); awaiting verification.
    Closed,
    /// 搬迁: moved into an industrial park; awaiting verification.
    Relocated,
    /// 验收销号: verified by the bureau and struck off the list.
    Verified,
}

impl State {
    pub const ALL: [State; 6] = [
        State::Found,
        State::Rectifying,
        State::Rectified,
        State::Closed,
        State::Relocated,
        State::Verified,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Found => "found",
            State::Rectifying => "rectifying",
            State::Rectified => "rectified",
            State::Closed => "closed",
            State::Relocated => "relocated",
            State::Verified => "verified",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            State::Found => "发现",
            State::Rectifying => "整改中",
            State::Rectified => "整改提升",
            State::Closed => "关停取缔",
            State::Relocated => "搬迁",
            State::Verified => "验收销号",
        }
    }

    pub fn parse(text: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Still counted on the list (everything but verified).
    pub fn is_outstanding(self) -> bool {
        self != State::Verified
    }

    /// The township reports it dealt with; the bureau's verification is awaited.
    pub fn awaits_verification(self) -> bool {
        matches!(self, State::Rectified | State::Closed | State::Relocated)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What someone does to an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// 开始整改 (the township).
    Start,
    /// 整改提升完成 (the township).
    Rectify,
    /// 关停取缔 (the township).
    Close,
    /// 搬迁入园 (the township).
    Relocate,
    /// 验收销号 (the bureau).
    Verify,
    /// 验收不通过, back to rectification, with a reason (the bureau).
    Reject,
    /// 死灰复燃: found operating again after verification (the township or the bureau).
    Reopen,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Action::Start,
        Action::Rectify,
        Action::Close,
        Action::Relocate,
        Action::Verify,
        Action::Reject,
        Action::Reopen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Start => "start",
            Action::Rectify => "rectify",
            Action::Close => "close",
            Action::Relocate => "relocate",
            Action::Verify => "verify",
            Action::Reject => "reject",
            Action::Reopen => "reopen",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Action::Start => "开始整改",
            Action::Rectify => "整改提升完成",
            Action::Close => "关停取缔",
            Action::Relocate => "搬迁",
            Action::Verify => "验收销号",
            Action::Reject => "验收不通过",
            Action::Reopen => "死灰复燃，重新列入",
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

/// The actor's standing towards one entry (the application layer decides it from the caller).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// An account of the entry's township.
    Township,
    /// The bureau or an administrator: may do everything a township may, and verify.
    Bureau,
    /// Anyone else.
    Other,
}

/// Texts shorter than this (in characters, trimmed) do not count as a reason.
pub const TEXT_CHARS_MIN: usize = 2;

/// The state `action` leaves an entry in, or why it may not be done.
///
/// The township (or the bureau) starts, and reports an entry rectified, shut down or
/// relocated, from found or rectifying; the bureau verifies such a report or rejects it (with
/// a reason) back to rectifying; a verified entry found again is reopened (with a note of
/// what was found) by the township or the bureau.
pub fn transition(
    state: State,
    action: Action,
    standing: Standing,
    text: &str,
) -> Result<State, String> {
    let who_ok = match action {
        Action::Verify | Action::Reject => standing == Standing::Bureau,
        _ => matches!(standing, Standing::Township | Standing::Bureau),
    };
    if !who_ok {
        return Err(match action {
            Action::Verify | Action::Reject => format!(
                "“{}”只能由生态环境局执行 / only the bureau may {} an entry",
                action.name_zh(),
                action.as_str()
            ),
            _ => format!(
                "“{}”只能由所在乡镇或生态环境局执行 / only the entry's township or the bureau may {} it",
                action.name_zh(),
                action.as_str()
            ),
        });
    }
    let next = match (action, state) {
        (Action::Start, State::Found) => State::Rectifying,
        (Action::Rectify, State::Found | State::Rectifying) => State::Rectified,
        (Action::Close, State::Found | State::Rectifying) => State::Closed,
        (Action::Relocate, State::Found | State::Rectifying) => State::Relocated,
        (Action::Verify, s) if s.awaits_verification() => State::Verified,
        (Action::Reject, s) if s.awaits_verification() => State::Rectifying,
        (Action::Reopen, State::Verified) => State::Found,
        _ => {
            return Err(format!(
                "该条目处于“{}”状态，不能“{}” / an entry that is {} cannot be given the action {}",
                state.name_zh(),
                action.name_zh(),
                state.as_str(),
                action.as_str()
            ));
        }
    };
    let needs_text = match action {
        Action::Reject => Some("验收不通过须说明原因 / a rejection needs a reason"),
        Action::Reopen => {
            Some("重新列入须说明发现的情况 / a reopening needs a note of what was found")
        }
        _ => None,
    };
    if let Some(why) = needs_text
        && text.trim().chars().count() < TEXT_CHARS_MIN
    {
        return Err(why.to_owned());
    }
    Ok(next)
}

/// The actions `standing` may take on an entry in `state` (for the front ends' buttons).
pub fn actions(state: State, standing: Standing) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| transition(state, *a, standing, "--").is_ok())
        .collect()
}

/// One step of an entry's history as the count needs it: the state it entered, on which
/// Beijing date. An entry's creation is a step to [`State::Found`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub entry: i64,
    pub township: String,
    pub date: Date,
    pub to: State,
}

/// One township's (or the county's) figures of one month.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Count {
    /// Outstanding at the end of the month before.
    pub outstanding_start: u32,
    /// Found or re-found during the month.
    pub found: u32,
    /// Verified (验收销号) during the month.
    pub cleared: u32,
    /// Found and not verified at the month's end: the figure that must return to zero.
    pub outstanding_end: u32,
}

impl Count {
    /// Cleared to zero at the month's end (动态清零).
    pub fn is_zero(&self) -> bool {
        self.outstanding_end == 0
    }
}

/// One month's count: per township and the county's total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MonthCount {
    pub month: Month,
    pub townships: BTreeMap<String, Count>,
    pub total: Count,
}

/// The month after `m`.
pub fn next_month(m: Month) -> Month {
    Month::of(m.first_day().add_days(i64::from(m.n_days())))
}

/// The monthly counts of months `from..=to` from every entry's steps (any order). A
/// township appears in every month once it has an entry (with zeros when it has nothing to
/// do), so a township that cleared its list shows a zero rather than disappearing.
///
/// Outstanding changes only by a found (+1) or a verified (−1) step, so for each township
/// `outstanding_start + found − cleared = outstanding_end` (tested).
pub fn monthly(steps: &[Step], from: Month, to: Month) -> Vec<MonthCount> {
    let mut steps: Vec<&Step> = steps.iter().collect();
    steps.sort_by_key(|s| (s.date, s.entry));
    let townships: BTreeSet<&str> = steps.iter().map(|s| s.township.as_str()).collect();
    let mut out = Vec::new();
    let mut month = from;
    while month <= to {
        let first = month.first_day();
        let last = first.add_days(i64::from(month.n_days()) - 1);
        let mut count = MonthCount {
            month,
            townships: townships
                .iter()
                .map(|t| ((*t).to_owned(), Count::default()))
                .collect(),
            total: Count::default(),
        };
        // Each entry's state at the end of the month before, and at this month's end.
        let mut before: BTreeMap<i64, (&str, State)> = BTreeMap::new();
        let mut at_end: BTreeMap<i64, (&str, State)> = BTreeMap::new();
        for s in &steps {
            if s.date < first {
                before.insert(s.entry, (&s.township, s.to));
            }
            if s.date <= last {
                at_end.insert(s.entry, (&s.township, s.to));
            }
            if s.date >= first && s.date <= last {
                let c = count.townships.entry(s.township.clone()).or_default();
                match s.to {
                    State::Found => c.found += 1,
                    State::Verified => c.cleared += 1,
                    _ => {}
                }
            }
        }
        for (t, st) in before.values() {
            if st.is_outstanding() {
                count
                    .townships
                    .entry((*t).to_owned())
                    .or_default()
                    .outstanding_start += 1;
            }
        }
        for (t, st) in at_end.values() {
            if st.is_outstanding() {
                count
                    .townships
                    .entry((*t).to_owned())
                    .or_default()
                    .outstanding_end += 1;
            }
        }
        for c in count.townships.values() {
            count.total.outstanding_start += c.outstanding_start;
            count.total.found += c.found;
            count.total.cleared += c.cleared;
            count.total.outstanding_end += c.outstanding_end;
        }
        out.push(count);
        month = next_month(month);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn m(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    #[test]
    fn every_action_from_every_state_by_every_standing() {
        use Action as A;
        use Standing as W;
        use State as S;
        // (state, action, standing, expected next state or None for refused)
        let cases: &[(S, A, W, Option<S>)] = &[
            (S::Found, A::Start, W::Township, Some(S::Rectifying)),
            (S::Found, A::Start, W::Other, None),
            (S::Found, A::Rectify, W::Township, Some(S::Rectified)),
            (S::Rectifying, A::Close, W::Township, Some(S::Closed)),
            (S::Rectifying, A::Relocate, W::Bureau, Some(S::Relocated)),
            (S::Rectified, A::Rectify, W::Township, None),
            (S::Rectified, A::Verify, W::Township, None),
            (S::Rectified, A::Verify, W::Bureau, Some(S::Verified)),
            (S::Closed, A::Verify, W::Bureau, Some(S::Verified)),
            (S::Relocated, A::Reject, W::Bureau, Some(S::Rectifying)),
            (S::Found, A::Verify, W::Bureau, None),
            (S::Rectifying, A::Verify, W::Bureau, None),
            (S::Verified, A::Reopen, W::Township, Some(S::Found)),
            (S::Verified, A::Reopen, W::Other, None),
            (S::Found, A::Reopen, W::Bureau, None),
            (S::Verified, A::Start, W::Township, None),
        ];
        for (state, action, standing, want) in cases {
            let got = transition(*state, *action, *standing, "有说明").ok();
            assert_eq!(got, *want, "{state} {action} by {standing:?}");
        }
    }

    #[test]
    fn rejection_and_reopening_need_a_reason() {
        for (state, action) in [
            (State::Closed, Action::Reject),
            (State::Verified, Action::Reopen),
        ] {
            let err = transition(state, action, Standing::Bureau, " ").unwrap_err();
            assert!(err.contains("/"), "{err}");
            assert!(transition(state, action, Standing::Bureau, "复产").is_ok());
        }
    }

    #[test]
    fn the_buttons_are_the_allowed_actions() {
        assert_eq!(
            actions(State::Found, Standing::Township),
            vec![
                Action::Start,
                Action::Rectify,
                Action::Close,
                Action::Relocate
            ]
        );
        assert_eq!(
            actions(State::Closed, Standing::Bureau),
            vec![Action::Verify, Action::Reject]
        );
        assert!(actions(State::Closed, Standing::Township).is_empty());
        assert!(actions(State::Found, Standing::Other).is_empty());
    }

    fn step(entry: i64, township: &str, date: &str, to: State) -> Step {
        Step {
            entry,
            township: township.to_owned(),
            date: d(date),
            to,
        }
    }

    #[test]
    fn the_monthly_count_returns_to_zero_only_when_every_entry_is_verified() {
        let steps = vec![
            // wangkou: two found in March; one verified in March, one in April.
            step(1, "wangkou", "2026-03-02", State::Found),
            step(1, "wangkou", "2026-03-10", State::Closed),
            step(1, "wangkou", "2026-03-20", State::Verified),
            step(2, "wangkou", "2026-03-05", State::Found),
            step(2, "wangkou", "2026-03-31", State::Rectified),
            step(2, "wangkou", "2026-04-03", State::Verified),
            // liying: found in April, rejected once, verified in May; then re-found in May.
            step(3, "liying", "2026-04-01", State::Found),
            step(3, "liying", "2026-04-15", State::Relocated),
            step(3, "liying", "2026-04-20", State::Rectifying),
            step(3, "liying", "2026-05-02", State::Closed),
            step(3, "liying", "2026-05-09", State::Verified),
            step(3, "liying", "2026-05-30", State::Found),
        ];
        let counts = monthly(&steps, m("2026-02"), m("2026-06"));
        let got: Vec<(String, &str, [u32; 4])> = counts
            .iter()
            .flat_map(|mc| {
                mc.townships.iter().map(move |(t, c)| {
                    (
                        mc.month.to_string(),
                        match t.as_str() {
                            "wangkou" => "wangkou",
                            _ => "liying",
                        },
                        [c.outstanding_start, c.found, c.cleared, c.outstanding_end],
                    )
                })
            })
            .collect();
        let want: Vec<(String, &str, [u32; 4])> = [
            ("2026-02", "liying", [0, 0, 0, 0]),
            ("2026-02", "wangkou", [0, 0, 0, 0]),
            ("2026-03", "liying", [0, 0, 0, 0]),
            ("2026-03", "wangkou", [0, 2, 1, 1]),
            ("2026-04", "liying", [0, 1, 0, 1]),
            ("2026-04", "wangkou", [1, 0, 1, 0]),
            ("2026-05", "liying", [1, 1, 1, 1]),
            ("2026-05", "wangkou", [0, 0, 0, 0]),
            ("2026-06", "liying", [1, 0, 0, 1]),
            ("2026-06", "wangkou", [0, 0, 0, 0]),
        ]
        .into_iter()
        .map(|(a, b, c)| (a.to_owned(), b, c))
        .collect();
        assert_eq!(got, want);
        for mc in &counts {
            for c in mc.townships.values().chain([&mc.total]) {
                assert_eq!(
                    c.outstanding_start + c.found - c.cleared,
                    c.outstanding_end,
                    "{}",
                    mc.month
                );
            }
        }
        let zero: Vec<bool> = counts.iter().map(|mc| mc.total.is_zero()).collect();
        assert_eq!(zero, [true, false, false, false, false]);
    }

    #[test]
    fn months_run_across_the_year_end() {
        assert_eq!(next_month(m("2025-12")), m("2026-01"));
        assert_eq!(next_month(m("2026-02")), m("2026-03"));
        assert_eq!(monthly(&[], m("2025-11"), m("2026-02")).len(), 4);
    }
}
