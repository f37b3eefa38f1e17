//! Numeric targets and the monthly actual values entered against them: which targets a
//! measure has (parsed from the text, or 省定目标 once the bureau enters the number) and
//! whether an actual meets one, by the target's comparison.

use super::Fields;
use super::extract::Comparison;
use serde::{Deserialize, Serialize};

/// How far from an "about" target (`13%左右`, `100%左右`) an actual may be and still meet it,
/// as a fraction of the target.
pub const ABOUT_TOLERANCE_FRACTION: f64 = 0.05;

/// A numeric target of a measure, with its key for actuals: `t1`, `t2`… for the targets read
/// from the text (in order), the profile's key for a 省定目标.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NumericTarget {
    pub key: String,
    pub text: String,
    pub comparison: Comparison,
    /// `None`: a 省定目标 whose number the bureau has not entered yet.
    pub value: Option<f64>,
    pub unit: String,
    pub provincial: bool,
    /// What computes the actual from the monitoring data, when something can.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computed: Option<String>,
}

/// The numeric targets of a measure; `provincial_value` gives a 省定目标's entered number.
pub fn numeric_targets(
    fields: &Fields,
    provincial_value: impl Fn(&str) -> Option<f64>,
) -> Vec<NumericTarget> {
    let parsed = fields
        .targets
        .iter()
        .enumerate()
        .map(|(i, t)| NumericTarget {
            key: format!("t{}", i + 1),
            text: t.text.clone(),
            comparison: t.comparison,
            value: Some(t.value),
            unit: t.unit.clone(),
            provincial: false,
            computed: None,
        });
    let provincial = fields.provincial_targets.iter().map(|p| NumericTarget {
        key: p.key.clone(),
        text: format!("{}{}", p.indicator_zh, p.text),
        comparison: p.comparison,
        value: provincial_value(&p.key),
        unit: p.unit.clone(),
        provincial: true,
        computed: p.computed.clone(),
    });
    parsed.chain(provincial).collect()
}

/// An actual against its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Met,
    NotMet,
    /// No actual entered.
    NoData,
    /// A 省定目标 without its number yet.
    NoTarget,
}

impl Verdict {
    pub fn name_zh(self) -> &'static str {
        match self {
            Verdict::Met => "达标",
            Verdict::NotMet => "未达标",
            Verdict::NoData => "无数据",
            Verdict::NoTarget => "目标未定",
        }
    }
}

/// Whether `actual` meets `target` by `comparison`.
pub fn compare(comparison: Comparison, target: Option<f64>, actual: Option<f64>) -> Verdict {
    let Some(t) = target else {
        return Verdict::NoTarget;
    };
    let Some(a) = actual else {
        return Verdict::NoData;
    };
    let met = match comparison {
        Comparison::AtLeast => a >= t,
        Comparison::AtMost => a <= t,
        Comparison::About => (a - t).abs() <= ABOUT_TOLERANCE_FRACTION * t.abs(),
    };
    if met { Verdict::Met } else { Verdict::NotMet }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::extract::targets;

    #[test]
    fn actuals_are_compared_by_each_target_s_own_comparison() {
        use Comparison::*;
        use Verdict::*;
        // (target phrase of the list, actual, verdict)
        let cases = [
            ("不低于80%", Some(80.0), Met),
            ("不低于80%", Some(79.9), NotMet),
            ("稳定在97%以上", Some(97.5), Met),
            ("稳定在97%以上", Some(96.0), NotMet),
            ("不高于5吨/平方公里·月", Some(5.0), Met),
            ("不高于5吨/平方公里·月", Some(5.2), NotMet),
            ("达30%", Some(31.0), Met),
            ("100%左右", Some(95.0), Met),
            ("100%左右", Some(94.9), NotMet),
            ("13%左右", Some(13.6), Met),
            ("13%左右", Some(12.0), NotMet),
            ("达30%", None, NoData),
        ];
        for (phrase, actual, want) in cases {
            let t = &targets(phrase)[0];
            assert_eq!(
                compare(t.comparison, Some(t.value), actual),
                want,
                "{phrase} {actual:?}"
            );
        }
        assert_eq!(compare(AtMost, None, Some(1.0)), NoTarget);
    }

    #[test]
    fn a_provincial_target_has_no_number_until_entered() {
        let mut f = Fields {
            targets: targets("比例达30%"),
            ..Fields::default()
        };
        f.provincial_targets.push(super::super::ProvincialTarget {
            key: "coal".into(),
            text: "省定目标".into(),
            indicator_zh: "煤炭消费量下降率".into(),
            indicator_en: "coal".into(),
            unit: "%".into(),
            comparison: Comparison::AtLeast,
            computed: None,
        });
        let none = numeric_targets(&f, |_| None);
        assert_eq!(
            none.iter()
                .map(|t| (t.key.as_str(), t.value))
                .collect::<Vec<_>>(),
            [("t1", Some(30.0)), ("coal", None)]
        );
        let set = numeric_targets(&f, |k| (k == "coal").then_some(10.0));
        assert_eq!(set[1].value, Some(10.0));
        assert_eq!(set[1].text, "煤炭消费量下降率省定目标");
    }
}
