//! The measures ledger (措施责任清单): the plan's measures with their responsible units,
//! deadlines and numeric targets, parsed from the text as written, and their status.

pub mod extract;
pub mod import;
pub mod responsibility;
pub mod status;

use crate::date::Date;
use extract::{Target, deadlines, targets};
use responsibility::{Responsibility, parse_responsibility};
use serde::Serialize;

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
    pub lead_units: Vec<String>,
    pub supporting_units: Vec<String>,
    /// Unit names not in the registry of known units (reported, kept).
    pub unknown_units: Vec<String>,
    pub deadlines: Vec<Date>,
    pub targets: Vec<Target>,
}

impl Measure {
    pub fn new(
        id: &str,
        category: &str,
        task: &str,
        measure: &str,
        section: &str,
        responsibility: &str,
    ) -> Measure {
        let Responsibility {
            leads,
            supporting,
            unknown,
        } = parse_responsibility(responsibility);
        let text = format!("{task}{measure}");
        Measure {
            id: id.to_owned(),
            category: category.to_owned(),
            task: task.to_owned(),
            measure: measure.to_owned(),
            section: section.to_owned(),
            responsibility: responsibility.to_owned(),
            lead_units: leads,
            supporting_units: supporting,
            unknown_units: unknown,
            deadlines: deadlines(&text),
            targets: targets(measure),
        }
    }
}

/// The shipped list of Xinji's plan (辛政办发〔2024〕1号, attachment): 53 measures.
pub const XINJI_TSV: &str = include_str!("../../data/xinji-measures.tsv");

/// Parses the shipped TSV (`id, category, task, measure, section, responsibility`).
pub fn from_tsv(text: &str) -> Vec<Measure> {
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c.len() == 6).then(|| Measure::new(c[0], c[1], c[2], c[3], c[4], c[5]))
        })
        .collect()
}

pub fn xinji() -> Vec<Measure> {
    from_tsv(XINJI_TSV)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_has_53_measures_with_every_field() {
        let m = xinji();
        assert_eq!(m.len(), 53);
        assert!(m.iter().all(|x| !x.category.is_empty()
            && !x.task.is_empty()
            && !x.measure.is_empty()
            && !x.lead_units.is_empty()));
        let unknown: Vec<&String> = m.iter().flat_map(|x| &x.unknown_units).collect();
        assert!(unknown.is_empty(), "{unknown:?}");
        // Merged cells: the second row inherits the category and key task of the first.
        assert_eq!(
            (m[1].category.as_str(), m[1].task.as_str()),
            (m[0].category.as_str(), m[0].task.as_str())
        );
        assert_eq!(m[1].lead_units, ["市生态环境局"]);
    }
}
