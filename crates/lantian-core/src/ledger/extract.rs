//! Deadlines and numeric targets from measure text ("2024年底前", "不低于80%", ...), kept
//! beside the original text.

use crate::date::Date;
use serde::{Deserialize, Serialize};

/// How a target compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// 不低于, 达 / 达到, 以上.
    AtLeast,
    /// 不高于, 以下.
    AtMost,
    /// 左右.
    About,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// The phrase as written, e.g. `不低于80%`.
    pub text: String,
    pub comparison: Comparison,
    pub value: f64,
    /// `%`, `t/(km²·month)`, ...
    pub unit: String,
}

/// Deadlines: `2024年底前`, `2024年底`, `2025年年底前`, `到2025年` → the year's last day.
pub fn deadlines(text: &str) -> Vec<Date> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    for i in 0..chars.len().saturating_sub(4) {
        let year: String = chars[i..i + 4].iter().collect();
        if !year.chars().all(|c| c.is_ascii_digit()) || (i > 0 && chars[i - 1].is_ascii_digit()) {
            continue;
        }
        let after: String = chars[i + 4..chars.len().min(i + 9)].iter().collect();
        let before = if i > 0 { chars[i - 1] } else { ' ' };
        let is_deadline = after.starts_with("年底")
            || after.starts_with("年年底")
            || (before == '到' && after.starts_with('年'));
        if let (true, Ok(y)) = (is_deadline, year.parse::<i32>())
            && let Some(d) = Date::new(y, 12, 31)
            && !out.contains(&d)
        {
            out.push(d);
        }
    }
    out
}

/// Numeric targets with their comparison and unit.
pub fn targets(text: &str) -> Vec<Target> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit()
            || (i > 0 && (chars[i - 1].is_ascii_digit() || chars[i - 1] == '.'))
        {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
            i += 1;
        }
        let number: String = chars[start..i].iter().collect();
        let rest: String = chars[i..].iter().collect();
        let (unit, unit_len) = if rest.starts_with('%') {
            ("%".to_owned(), 1)
        } else if rest.starts_with("吨/平方公里·月") {
            ("t/(km²·month)".to_owned(), "吨/平方公里·月".chars().count())
        } else {
            continue;
        };
        let Ok(value) = number.parse::<f64>() else {
            continue;
        };
        let prefix: String = chars[start.saturating_sub(4)..start].iter().collect();
        let suffix: String = chars[i + unit_len..chars.len().min(i + unit_len + 2)]
            .iter()
            .collect();
        let (comparison, lead) = if suffix.starts_with("左右") {
            (Comparison::About, "")
        } else if prefix.ends_with("不低于") {
            (Comparison::AtLeast, "不低于")
        } else if prefix.ends_with("不高于") {
            (Comparison::AtMost, "不高于")
        } else if suffix.starts_with("以上") {
            (Comparison::AtLeast, "")
        } else if suffix.starts_with("以下") {
            (Comparison::AtMost, "")
        } else if prefix.ends_with("达到") {
            (Comparison::AtLeast, "达到")
        } else if prefix.ends_with('达') {
            (Comparison::AtLeast, "达")
        } else {
            (Comparison::About, "")
        };
        let tail = match comparison {
            Comparison::About if suffix.starts_with("左右") => "左右",
            Comparison::AtLeast if suffix.starts_with("以上") => "以上",
            Comparison::AtMost if suffix.starts_with("以下") => "以下",
            _ => "",
        };
        let pre = if prefix.ends_with("稳定在") || (tail == "以上" && prefix.contains("稳定在"))
        {
            "稳定在"
        } else {
            lead
        };
        let unit_text: String = chars[i..i + unit_len].iter().collect();
        out.push(Target {
            text: format!("{pre}{number}{unit_text}{tail}"),
            comparison,
            value,
            unit,
        });
        i += unit_len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_of_the_list() {
        let d = |y| Date::new(y, 12, 31).unwrap();
        assert_eq!(
            deadlines(
                "澳森特钢公司2024年底前完成步进式烧结机的淘汰,2025年年底完成球团竖炉的淘汰升级。"
            ),
            vec![d(2024), d(2025)]
        );
        assert_eq!(
            deadlines("到2025年,非化石能源消费比重达13%左右"),
            vec![d(2025)]
        );
        assert_eq!(deadlines("2024年底冀清环保公司完成创A工作"), vec![d(2024)]);
        assert!(deadlines("《产业结构调整指导目录(2024年本)》").is_empty());
        assert!(deadlines("(2022—2025年)").is_empty());
    }

    #[test]
    fn targets_with_comparison_and_unit() {
        let t = |s: &str| {
            targets(s)
                .into_iter()
                .map(|t| (t.text, t.comparison, t.value, t.unit))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            t("新能源汽车比例不低于80%。"),
            vec![("不低于80%".into(), Comparison::AtLeast, 80.0, "%".into())]
        );
        assert_eq!(
            t("装配式建筑占新建建筑面积比例达30%。"),
            vec![("达30%".into(), Comparison::AtLeast, 30.0, "%".into())]
        );
        assert_eq!(
            t("全市秸秆综合利用率稳定在97%以上。"),
            vec![(
                "稳定在97%以上".into(),
                Comparison::AtLeast,
                97.0,
                "%".into()
            )]
        );
        assert_eq!(
            t("道路机械化清扫率达100%左右"),
            vec![("100%左右".into(), Comparison::About, 100.0, "%".into())]
        );
        assert_eq!(
            t("平均降尘量不高于不高于5吨/平方公里·月。"),
            vec![(
                "不高于5吨/平方公里·月".into(),
                Comparison::AtMost,
                5.0,
                "t/(km²·month)".into()
            )]
        );
        assert_eq!(
            t("非化石能源消费比重达13%左右"),
            vec![("13%左右".into(), Comparison::About, 13.0, "%".into())]
        );
        assert!(
            t("巩固3个塑料制品涉气产业集群,强化对5家排放检验机构").is_empty(),
            "counts are not targets"
        );
    }
}
