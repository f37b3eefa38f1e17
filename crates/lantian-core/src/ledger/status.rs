//! The status of a measure (未启动, 推进中, 已完成, 已销号, 逾期) and who may move it.

use crate::date::Date;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    NotStarted,
    InProgress,
    Completed,
    Closed,
    Overdue,
}

/// Days before a deadline from which an unfinished measure is "at risk".
pub const AT_RISK_DAYS: i64 = 30;

impl Status {
    pub fn name_zh(self) -> &'static str {
        match self {
            Status::NotStarted => "未启动",
            Status::InProgress => "推进中",
            Status::Completed => "已完成",
            Status::Closed => "已销号",
            Status::Overdue => "逾期",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "not_started" | "未启动" => Status::NotStarted,
            "in_progress" | "推进中" => Status::InProgress,
            "completed" | "已完成" => Status::Completed,
            "closed" | "已销号" => Status::Closed,
            "overdue" | "逾期" => Status::Overdue,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotStarted => "not_started",
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
            Status::Closed => "closed",
            Status::Overdue => "overdue",
        }
    }

    pub fn done(self) -> bool {
        matches!(self, Status::Completed | Status::Closed)
    }
}

/// The status shown on `today` of a measure with milestones: overdue when its own work is
/// unfinished past its own deadline, or any unfinished milestone is past the milestone's
/// deadline; a milestone done in time keeps the rest of the measure out of 逾期.
pub fn effective_with_milestones(
    recorded: Status,
    own_deadlines: &[Date],
    milestones: &[(Date, Status)],
    today: Date,
) -> Status {
    if recorded.done() {
        return recorded;
    }
    let late_milestone = milestones.iter().any(|(d, s)| !s.done() && *d < today);
    if late_milestone {
        return Status::Overdue;
    }
    effective(recorded, own_deadlines, today)
}

/// The measure's recorded status after one of its milestones changed: a measure that is
/// only its milestones is completed when they all are (and back in progress when one is
/// reopened); any progress on a milestone starts the measure.
pub fn after_milestone(recorded: Status, milestones: &[Status], only_milestones: bool) -> Status {
    let all_done = !milestones.is_empty() && milestones.iter().all(|s| s.done());
    let any_started = milestones.iter().any(|s| *s != Status::NotStarted);
    match recorded {
        Status::NotStarted | Status::InProgress | Status::Overdue
            if only_milestones && all_done =>
        {
            Status::Completed
        }
        Status::Completed | Status::Closed if only_milestones && !all_done => Status::InProgress,
        Status::NotStarted if any_started => Status::InProgress,
        s => s,
    }
}

/// The recorded status after a deadline changed (a correction, a milestone moved): 逾期 set
/// by the scheduled check goes at once when the work is no longer late (back to `before`,
/// the status it had before it was flagged), and unfinished work that is now late is
/// 逾期 at once. `overdue_now` is the effective status's verdict with the new deadlines.
pub fn after_deadline_change(recorded: Status, before: Status, overdue_now: bool) -> Status {
    match recorded {
        Status::Overdue if !overdue_now => before,
        s if !s.done() && overdue_now => Status::Overdue,
        s => s,
    }
}

/// The status shown on `today`: unfinished work past its last deadline is overdue.
pub fn effective(recorded: Status, deadlines: &[Date], today: Date) -> Status {
    match deadlines.iter().max() {
        Some(last) if !recorded.done() && *last < today => Status::Overdue,
        _ => recorded,
    }
}

/// Unfinished, with a deadline within [`AT_RISK_DAYS`] from `today`.
pub fn at_risk(recorded: Status, deadlines: &[Date], today: Date) -> bool {
    let t = today.days_since_epoch();
    !recorded.done()
        && deadlines
            .iter()
            .any(|d| (0..=AT_RISK_DAYS).contains(&(d.days_since_epoch() - t)))
}

/// What someone does to a measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A responsible unit reports progress.
    Report,
    /// The lead unit confirms the work is done.
    Confirm,
    /// The bureau closes the item (销号), with a reason.
    Close,
    /// The bureau reopens a closed item.
    Reopen,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransitionError(pub String);

/// The next recorded status, or why the action is not allowed.
pub fn transition(
    from: Status,
    action: Action,
    is_bureau: bool,
    is_lead: bool,
) -> Result<Status, TransitionError> {
    let err = |m: &str| Err(TransitionError(m.to_owned()));
    match (action, from) {
        (Action::Report, Status::NotStarted | Status::InProgress | Status::Overdue) => {
            Ok(Status::InProgress)
        }
        (Action::Report, _) => err(
            "已完成或已销号的措施不再报送进展 / a completed or closed measure takes no more reports",
        ),
        (Action::Confirm, _) if !is_lead && !is_bureau => {
            err("只有牵头单位可以确认完成 / only the lead unit confirms completion")
        }
        (Action::Confirm, Status::NotStarted | Status::InProgress | Status::Overdue) => {
            Ok(Status::Completed)
        }
        (Action::Confirm, _) => err("措施已完成 / already completed"),
        (Action::Close, _) if !is_bureau => {
            err("只有生态环境局可以销号 / only the bureau closes items")
        }
        (Action::Close, Status::Completed) => Ok(Status::Closed),
        (Action::Close, _) => {
            err("只有已完成的措施可以销号 / only completed measures can be closed")
        }
        (Action::Reopen, _) if !is_bureau => {
            err("只有生态环境局可以重新打开 / only the bureau reopens items")
        }
        (Action::Reopen, Status::Closed | Status::Completed) => Ok(Status::InProgress),
        (Action::Reopen, _) => err("措施未完成 / the measure is not completed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfinished_measures_become_overdue_after_their_deadline() {
        let d = |s| Date::parse(s).unwrap();
        let dl = [d("2024-12-31"), d("2025-12-31")];
        assert_eq!(
            effective(Status::InProgress, &dl, d("2025-12-31")),
            Status::InProgress
        );
        assert_eq!(
            effective(Status::InProgress, &dl, d("2026-01-01")),
            Status::Overdue
        );
        assert_eq!(
            effective(Status::Completed, &dl, d("2026-01-01")),
            Status::Completed
        );
        assert_eq!(
            effective(Status::NotStarted, &[], d("2030-01-01")),
            Status::NotStarted
        );
        assert!(at_risk(Status::InProgress, &dl, d("2025-12-15")));
        assert!(!at_risk(Status::Closed, &dl, d("2025-12-15")));
    }

    #[test]
    fn an_open_milestone_past_its_deadline_makes_the_measure_overdue_and_nothing_else_does() {
        let d = |s| Date::parse(s).unwrap();
        let (y24, y25) = (d("2024-12-31"), d("2025-12-31"));
        use Status::*;
        // (recorded, own deadlines, milestones, today, expected): M05 (two milestones, no
        // own deadline), M45 (a 2024 milestone and ongoing work to the plan's end).
        type Case = (Status, Vec<Date>, Vec<(Date, Status)>, &'static str, Status);
        let cases: Vec<Case> = vec![
            (
                InProgress,
                vec![],
                vec![(y24, NotStarted), (y25, NotStarted)],
                "2025-01-01",
                Overdue,
            ),
            (
                InProgress,
                vec![],
                vec![(y24, Completed), (y25, InProgress)],
                "2025-06-01",
                InProgress,
            ),
            (
                InProgress,
                vec![],
                vec![(y24, Completed), (y25, InProgress)],
                "2026-01-01",
                Overdue,
            ),
            (
                InProgress,
                vec![y25],
                vec![(y24, Completed)],
                "2025-06-01",
                InProgress,
            ),
            (
                InProgress,
                vec![y25],
                vec![(y24, InProgress)],
                "2025-06-01",
                Overdue,
            ),
            (
                InProgress,
                vec![y25],
                vec![(y24, Closed)],
                "2026-01-01",
                Overdue,
            ),
            (
                Completed,
                vec![y25],
                vec![(y24, InProgress)],
                "2026-01-01",
                Completed,
            ),
            (NotStarted, vec![y25], vec![], "2025-12-31", NotStarted),
        ];
        for (recorded, own, ms, today, want) in cases {
            assert_eq!(
                effective_with_milestones(recorded, &own, &ms, d(today)),
                want,
                "{recorded:?} {own:?} {ms:?} {today}"
            );
        }
    }

    #[test]
    fn a_measure_of_milestones_is_done_when_all_are_and_deadline_changes_act_at_once() {
        use Status::*;
        assert_eq!(
            after_milestone(NotStarted, &[InProgress, NotStarted], true),
            InProgress
        );
        assert_eq!(
            after_milestone(InProgress, &[Completed, InProgress], true),
            InProgress
        );
        assert_eq!(
            after_milestone(Overdue, &[Completed, Closed], true),
            Completed
        );
        assert_eq!(
            after_milestone(Completed, &[Completed, InProgress], true),
            InProgress
        );
        assert_eq!(
            after_milestone(InProgress, &[Completed], false),
            InProgress,
            "ongoing work beside the milestone stays open"
        );
        assert_eq!(
            after_deadline_change(Overdue, InProgress, false),
            InProgress
        );
        assert_eq!(
            after_deadline_change(Overdue, NotStarted, false),
            NotStarted
        );
        assert_eq!(after_deadline_change(InProgress, NotStarted, true), Overdue);
        assert_eq!(
            after_deadline_change(Completed, InProgress, true),
            Completed
        );
        assert_eq!(
            after_deadline_change(InProgress, NotStarted, false),
            InProgress
        );
    }

    #[test]
    fn only_leads_confirm_and_only_the_bureau_closes() {
        assert_eq!(
            transition(Status::NotStarted, Action::Report, false, false),
            Ok(Status::InProgress)
        );
        assert!(transition(Status::InProgress, Action::Confirm, false, false).is_err());
        assert_eq!(
            transition(Status::InProgress, Action::Confirm, false, true),
            Ok(Status::Completed)
        );
        assert!(transition(Status::Completed, Action::Close, false, true).is_err());
        assert_eq!(
            transition(Status::Completed, Action::Close, true, false),
            Ok(Status::Closed)
        );
        assert!(transition(Status::InProgress, Action::Close, true, false).is_err());
        assert!(transition(Status::Closed, Action::Report, false, true).is_err());
    }
}
