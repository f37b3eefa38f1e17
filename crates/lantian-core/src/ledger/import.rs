//! Importing another county's list in the four-column layout (类别, 重点工作, 工作措施, 责任单位),
//! with merged cells (an empty category or key task continues the row above).

use super::Measure;
use serde::Serialize;

/// A problem found in a row (1-based, counting the header).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    pub row: usize,
    pub problem: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ImportReport {
    pub measures: Vec<Measure>,
    /// Errors: nothing may be imported until they are fixed.
    pub errors: Vec<RowProblem>,
    /// Reported, not blocking (e.g. unit names not yet registered).
    pub warnings: Vec<RowProblem>,
}

/// Reads rows of cells. Rows before the header (类别, 重点工作, 工作措施, 责任单位), such as a
/// title, are skipped; without such a header the first row is taken as one. Sections are
/// numbered by category and key task.
pub fn import_rows(rows: &[Vec<String>], known_units: &[String]) -> ImportReport {
    let is_header =
        |r: &Vec<String>| r.len() >= 4 && r[0].trim() == "类别" && r[2].trim() == "工作措施";
    let skip = rows.iter().position(is_header).unwrap_or(0);
    let mut r = ImportReport::default();
    let (mut category, mut task) = (String::new(), String::new());
    let (mut n_cat, mut n_task) = (0usize, 0usize);
    const NUMERALS: [&str; 20] = [
        "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四",
        "十五", "十六", "十七", "十八", "十九", "二十",
    ];
    for (i, row) in rows.iter().enumerate().skip(skip + 1) {
        let n = i + 1;
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if row.len() < 4 {
            r.errors.push(RowProblem {
                row: n,
                problem: format!(
                    "{} cells, the layout needs 4 (类别, 重点工作, 工作措施, 责任单位)",
                    row.len()
                ),
            });
            continue;
        }
        let cell = |k: usize| row[k].trim().to_owned();
        if !cell(0).is_empty() && cell(0) != category {
            category = cell(0);
            n_cat += 1;
            n_task = 0;
        }
        if !cell(1).is_empty() && cell(1) != task {
            task = cell(1);
            n_task += 1;
        }
        if category.is_empty() || task.is_empty() {
            r.errors.push(RowProblem {
                row: n,
                problem: "no category or key task (and none above to continue)".to_owned(),
            });
            continue;
        }
        let measure = cell(2);
        if measure.is_empty() {
            r.errors.push(RowProblem {
                row: n,
                problem: "empty measure (工作措施)".to_owned(),
            });
            continue;
        }
        let units = cell(3);
        let section = format!(
            "{}({})",
            NUMERALS.get(n_cat - 1).unwrap_or(&"?"),
            NUMERALS.get(n_task - 1).unwrap_or(&"?")
        );
        let m = Measure::new(
            &format!("M{:02}", r.measures.len() + 1),
            [&category, &task, &measure, &section, &units],
            known_units,
        );
        if m.fields.lead_units.is_empty() {
            r.errors.push(RowProblem {
                row: n,
                problem: format!("no responsible unit can be read from {units:?}"),
            });
            continue;
        }
        for u in &m.fields.unknown_units {
            r.warnings.push(RowProblem {
                row: n,
                problem: format!("unit {u:?} is not registered yet"),
            });
        }
        r.measures.push(m);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<Vec<String>> {
        text.lines()
            .map(|l| l.split('|').map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn merged_cells_continue_and_bad_rows_are_named() {
        let r = import_rows(
            &rows(
                "类别|重点工作|工作措施|责任单位\n\
             产业|遏制两高|措施一|市发展改革局牵头,市生态环境局配合\n\
             ||措施二|市生态环境局\n\
             |新任务|措施三|市文化局\n\
             |||市生态环境局\n\
             ||措施五\n\
             ||措施六|",
            ),
            &["市发展改革局".to_owned(), "市生态环境局".to_owned()],
        );
        assert_eq!(r.measures.len(), 3);
        assert_eq!(
            (r.measures[1].category.as_str(), r.measures[1].task.as_str()),
            ("产业", "遏制两高")
        );
        assert_eq!(r.measures[2].section, "一(二)");
        assert_eq!(
            r.warnings,
            vec![RowProblem {
                row: 4,
                problem: "unit \"市文化局\" is not registered yet".to_owned()
            }]
        );
        let problems: Vec<(usize, &str)> = r
            .errors
            .iter()
            .map(|e| (e.row, e.problem.as_str()))
            .collect();
        assert_eq!(problems[0], (5, "empty measure (工作措施)"));
        assert!(problems[1].0 == 6 && problems[1].1.starts_with("3 cells"));
        assert!(problems[2].0 == 7 && problems[2].1.starts_with("no responsible unit"));
    }
}
