//! The measures ledger (措施责任清单): the plan's measures with their responsible units,
//! deadlines and numeric targets, parsed from the text as written, and their status.

pub mod actuals;
pub mod extract;
pub mod import;
pub mod profile;
pub mod responsibility;
pub mod status;

use crate::date::{Date, Month};
use extract::{Comparison, Target, deadlines, targets};
use responsibility::{Responsibility, parse_responsibility};
use serde::{Deserialize, Serialize};

/// What is read from a measure's text (and what the bureau may correct by hand): the text
/// as written never changes, these fields may.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Fields {
    pub lead_units: Vec<String>,
    pub supporting_units: Vec<String>,
    /// Unit names not among the county's known units (reported, kept).
    #[serde(default)]
    pub unknown_units: Vec<String>,
    pub deadlines: Vec<Date>,
    pub targets: Vec<Target>,
    /// A target broken down by month (plan §9(一): 分解目标至每月), set by the bureau.
    #[serde(default)]
    pub monthly_targets: Vec<MonthlyTarget>,
    /// Where `deadlines` come from (rows stored before sources were kept: the attachment).
    #[serde(default)]
    pub deadline_source: DeadlineSource,
    /// The clause the deadline was taken from, when it is not the measure's own text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub deadline_cite: String,
    /// Parts with their own deadline and status (M05's two eliminations, M45's 创A).
    #[serde(default)]
    pub milestones: Vec<Milestone>,
    /// 省定目标: targets whose number the province sets and the bureau enters.
    #[serde(default)]
    pub provincial_targets: Vec<ProvincialTarget>,
    /// Also each township's and the zone's duty (the plan's rule "以下均需各乡镇人民政府、
    /// 经济开发区管委会落实,不再单独列出"): each has a part of its own.
    #[serde(default)]
    pub township_share: bool,
}

/// Where a deadline comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineSource {
    /// Read from the measure's text in the attachment (the list).
    #[default]
    Attachment,
    /// Given by the plan's body for a clause the attachment split off without it.
    PlanBody,
    /// None given: the plan's end, as a default.
    PlanEndDefault,
    /// Set by the bureau by hand.
    Bureau,
}

impl DeadlineSource {
    pub fn name_zh(self) -> &'static str {
        match self {
            DeadlineSource::Attachment => "责任清单",
            DeadlineSource::PlanBody => "方案正文",
            DeadlineSource::PlanEndDefault => "默认为方案期末",
            DeadlineSource::Bureau => "生态环境局更正",
        }
    }
}

/// A part of a measure with its own deadline and status.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Milestone {
    /// `M05-1`.
    pub id: String,
    /// What is due, as written.
    pub text: String,
    pub deadline: Date,
    pub source: DeadlineSource,
}

/// A 省定目标: a target the text names without a number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProvincialTarget {
    pub key: String,
    /// The phrase as written (`省定目标`).
    pub text: String,
    pub indicator_zh: String,
    pub indicator_en: String,
    pub unit: String,
    pub comparison: Comparison,
    /// What computes the actual from the monitoring data, when something can.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computed: Option<String>,
}

impl Fields {
    /// Whether `unit` leads or supports the measure.
    pub fn involves(&self, unit: &str) -> bool {
        self.lead_units
            .iter()
            .chain(&self.supporting_units)
            .any(|u| u == unit)
    }

    /// Still names "各相关责任单位" instead of real units (the bureau resolves it).
    pub fn unresolved(&self) -> bool {
        self.lead_units
            .iter()
            .chain(&self.supporting_units)
            .any(|u| u == responsibility::ALL_RESPONSIBLE)
    }

    /// Every date the measure is due on: its own and its milestones'.
    pub fn all_deadlines(&self) -> Vec<Date> {
        let mut d: Vec<Date> = self.deadlines.clone();
        d.extend(self.milestones.iter().map(|m| m.deadline));
        d.sort();
        d.dedup();
        d
    }
}

/// One month's share of a target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MonthlyTarget {
    pub month: Month,
    pub value: f64,
}

/// One measure of the list, as written and as parsed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Measure {
    pub id: String,
    /// 类别
    pub category: String,
    /// 重点工作
    pub task: String,
    /// 工作措施
    pub measure: String,
    /// The plan section it implements, e.g. `二(一)`.
    pub section: String,
    /// 责任单位, exactly as written.
    pub responsibility: String,
    #[serde(flatten)]
    pub fields: Fields,
}

impl Measure {
    /// A measure as written, its fields read from the text; `known_units` are the county's
    /// departments and bodies (anything else is reported as unknown).
    pub fn new(
        id: &str,
        [category, task, measure, section, responsibility]: [&str; 5],
        known_units: &[String],
    ) -> Measure {
        let Responsibility {
            leads,
            supporting,
            unknown,
        } = parse_responsibility(responsibility, known_units);
        let text = format!("{task}{measure}");
        Measure {
            id: id.to_owned(),
            category: category.to_owned(),
            task: task.to_owned(),
            measure: measure.to_owned(),
            section: section.to_owned(),
            responsibility: responsibility.to_owned(),
            fields: Fields {
                lead_units: leads,
                supporting_units: supporting,
                unknown_units: unknown,
                deadlines: deadlines(&text),
                targets: targets(measure),
                ..Fields::default()
            },
        }
    }
}

/// Parses a list in the shipped TSV layout (`id, category, task, measure, section,
/// responsibility`, one header line). Returns the measures, or the first bad line.
pub fn from_tsv(text: &str, known_units: &[String]) -> Result<Vec<Measure>, String> {
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate().skip(1) {
        if l.trim().is_empty() {
            continue;
        }
        let c: Vec<&str> = l.split('\t').collect();
        let [id, category, task, measure, section, responsibility] = c[..] else {
            return Err(format!(
                "line {}: {} tab-separated cells, expected 6 (id, category, task, measure, section, responsibility)",
                i + 1,
                c.len()
            ));
        };
        out.push(Measure::new(
            id,
            [category, task, measure, section, responsibility],
            known_units,
        ));
    }
    Ok(out)
}

/// What happened to a measure: an entry of its history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Loaded from the plan or an imported list.
    Import,
    Report,
    Confirm,
    Close,
    Reopen,
    /// The bureau corrected the parsed fields.
    Correct,
    /// An evidence file was attached.
    Evidence,
    /// The scheduled check found it past its deadline.
    Overdue,
    /// The bureau named the real units of "各相关责任单位".
    Resolve,
    /// A deadline change (a correction) moved the status in or out of 逾期.
    Recompute,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Import => "import",
            EventKind::Report => "report",
            EventKind::Confirm => "confirm",
            EventKind::Close => "close",
            EventKind::Reopen => "reopen",
            EventKind::Correct => "correct",
            EventKind::Evidence => "evidence",
            EventKind::Overdue => "overdue",
            EventKind::Resolve => "resolve",
            EventKind::Recompute => "recompute",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        [
            EventKind::Import,
            EventKind::Report,
            EventKind::Confirm,
            EventKind::Close,
            EventKind::Reopen,
            EventKind::Correct,
            EventKind::Evidence,
            EventKind::Overdue,
            EventKind::Resolve,
            EventKind::Recompute,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

impl From<status::Action> for EventKind {
    fn from(a: status::Action) -> EventKind {
        match a {
            status::Action::Report => EventKind::Report,
            status::Action::Confirm => EventKind::Confirm,
            status::Action::Close => EventKind::Close,
            status::Action::Reopen => EventKind::Reopen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tsv_list_is_read_with_its_fields_and_a_bad_line_is_named() {
        let known = vec!["市生态环境局".to_owned(), "市公安局".to_owned()];
        let text = "id\tcategory\ttask\tmeasure\tsection\tresponsibility\n\
                    M01\t面源\t禁烧\t2025年底前秸秆综合利用率稳定在97%以上。\t五(二)\t市生态环境局牵头,市公安局配合\n\
                    M02\t面源\t禁烧\t开展巡查。\t五(二)\t市文化局\n";
        let m = from_tsv(text, &known).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].fields.lead_units, ["市生态环境局"]);
        assert_eq!(m[0].fields.supporting_units, ["市公安局"]);
        assert_eq!(m[0].fields.deadlines, [Date::new(2025, 12, 31).unwrap()]);
        assert_eq!(m[0].fields.targets[0].text, "稳定在97%以上");
        assert_eq!(m[1].fields.unknown_units, ["市文化局"]);
        let e = from_tsv("head\nM01\tonly\ttwo\n", &known).unwrap_err();
        assert!(e.starts_with("line 2: 3 tab-separated cells"), "{e}");
    }

    #[test]
    fn event_kinds_read_back() {
        for a in [
            status::Action::Report,
            status::Action::Confirm,
            status::Action::Close,
            status::Action::Reopen,
        ] {
            let k = EventKind::from(a);
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(EventKind::parse("overdue"), Some(EventKind::Overdue));
        assert_eq!(EventKind::parse("nonsense"), None);
    }
}
