//! The ledger's county data (`ledger.json` of a county profile): the plan's end, unit
//! aliases, milestones split out of a measure, deadlines the plan's body gives where the
//! attachment dropped them, the townships' share and the 省定目标 entries. Parsed, checked
//! against the measures, and applied to them; the format is in `docs/county.md`.

use super::extract::{Comparison, deadlines};
use super::responsibility::{ALL_RESPONSIBLE, ALL_TOWNSHIPS, DEVELOPMENT_ZONE};
use super::{DeadlineSource, Measure, Milestone, ProvincialTarget};
use crate::date::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The pseudo-measure id under which the plan's headline targets (§1(二)) keep their numbers.
pub const PLAN_ENTRY_ID: &str = "PLAN";

/// A measure split into milestones, each with its own deadline and status.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MilestoneSplit {
    /// The measure has work beyond its milestones (M45's ongoing parts): that work keeps a
    /// deadline of its own (the plan's end when the text gives none). Without it the measure
    /// is its milestones (M05) and is done when they all are.
    #[serde(default)]
    pub ongoing: bool,
    pub items: Vec<MilestoneItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MilestoneItem {
    /// What is due, e.g. `步进式烧结机的淘汰`; it must occur in the measure's text.
    pub text: String,
    pub deadline: Date,
}

/// A deadline the plan's body gives for a measure whose attachment row has none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyDeadline {
    pub date: Date,
    /// The clause of the body, quoted with its section: it must contain the measure's text
    /// and a deadline phrase giving `date`.
    pub cite: String,
}

/// A 省定目标 entry as the profile declares it (the number comes later, from the bureau).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSpec {
    pub key: String,
    pub indicator_zh: String,
    pub indicator_en: String,
    pub unit: String,
    pub comparison: Comparison,
    /// Where the actual value can be computed from the monitoring data (e.g.
    /// `pm25_annual_ug_m3`): the hook for the targets module. Absent: typed in monthly.
    #[serde(default)]
    pub computed: Option<String>,
}

impl TargetSpec {
    fn target(&self, text: &str) -> ProvincialTarget {
        ProvincialTarget {
            key: self.key.clone(),
            text: text.to_owned(),
            indicator_zh: self.indicator_zh.clone(),
            indicator_en: self.indicator_en.clone(),
            unit: self.unit.clone(),
            comparison: self.comparison,
            computed: self.computed.clone(),
        }
    }
}

/// The plan's headline targets (§1(二)), which the attachment does not list.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanTargets {
    /// The sentence of the body, with its section.
    pub cite: String,
    pub targets: Vec<TargetSpec>,
}

/// `ledger.json`. Every part is optional: `{}` changes nothing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerProfile {
    /// The plan's end: the deadline of a measure whose text gives none (marked as a default).
    #[serde(default)]
    pub plan_end: Option<Date>,
    /// Another spelling → the canonical unit (which departments.csv lists; the alias it must
    /// not list).
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
    /// The first measure of the plan's rule "以下均需各乡镇人民政府、经济开发区管委会落实":
    /// from it on, every measure is also each township's and the zone's duty.
    #[serde(default)]
    pub township_share_from: Option<String>,
    #[serde(default)]
    pub township_share_cite: String,
    #[serde(default)]
    pub milestones: BTreeMap<String, MilestoneSplit>,
    #[serde(default)]
    pub body_deadlines: BTreeMap<String, BodyDeadline>,
    /// 省定目标 of a measure whose text says "完成省定目标".
    #[serde(default)]
    pub provincial_targets: BTreeMap<String, Vec<TargetSpec>>,
    #[serde(default)]
    pub plan_targets: PlanTargets,
}

/// The phrase a measure with a provincial target carries.
const PROVINCIAL_PHRASE: &str = "省定目标";

impl LedgerProfile {
    /// The canonical name of a unit (itself when it is no alias).
    pub fn canonical<'a>(&'a self, unit: &'a str) -> &'a str {
        self.aliases.get(unit).map_or(unit, String::as_str)
    }

    /// The plan's headline targets as entries of the ledger.
    pub fn plan_target_list(&self) -> Vec<ProvincialTarget> {
        self.plan_targets
            .targets
            .iter()
            .map(|t| t.target(PROVINCIAL_PHRASE))
            .collect()
    }

    /// Checks the profile against the measures and the county's units and applies it: an
    /// error names the measure and says what does not fit.
    pub fn apply(
        &self,
        mut measures: Vec<Measure>,
        known: &[String],
    ) -> Result<Vec<Measure>, String> {
        for (alias, canonical) in &self.aliases {
            if !known.contains(canonical) {
                return Err(format!(
                    "aliases: {alias:?} → {canonical:?}: the canonical unit is not in departments.csv"
                ));
            }
            if known.contains(alias) {
                return Err(format!(
                    "aliases: {alias:?} is listed in departments.csv too; list only the canonical {canonical:?} there"
                ));
            }
        }
        let ids: Vec<String> = measures.iter().map(|m| m.id.clone()).collect();
        let named = self
            .milestones
            .keys()
            .chain(self.body_deadlines.keys())
            .chain(self.provincial_targets.keys())
            .chain(self.township_share_from.iter());
        for id in named {
            if !ids.contains(id) {
                return Err(format!("measure {id} is not in measures.tsv"));
            }
        }
        let mut keys: Vec<&str> = self
            .plan_targets
            .targets
            .iter()
            .map(|t| t.key.as_str())
            .collect();
        let share_from = self
            .township_share_from
            .as_ref()
            .and_then(|f| ids.iter().position(|i| i == f));
        for (i, m) in measures.iter_mut().enumerate() {
            let f = &mut m.fields;
            // Aliases: one canonical unit.
            for list in [&mut f.lead_units, &mut f.supporting_units] {
                let mut out: Vec<String> = Vec::new();
                for u in list.iter() {
                    let c = self.canonical(u).to_owned();
                    if !out.contains(&c) {
                        out.push(c);
                    }
                }
                *list = out;
            }
            f.supporting_units.retain(|s| !f.lead_units.contains(s));
            f.unknown_units = f
                .lead_units
                .iter()
                .chain(&f.supporting_units)
                .filter(|u| {
                    !known.contains(u)
                        && ![ALL_TOWNSHIPS, DEVELOPMENT_ZONE, ALL_RESPONSIBLE].contains(&u.as_str())
                })
                .cloned()
                .collect();
            let text = format!("{}{}", m.task, m.measure);
            // Milestones.
            if let Some(split) = self.milestones.get(&m.id) {
                if split.items.is_empty() {
                    return Err(format!("milestones: {}: no items", m.id));
                }
                for (k, item) in split.items.iter().enumerate() {
                    if item.text.is_empty() || !m.measure.contains(&item.text) {
                        return Err(format!(
                            "milestones: {}: item {:?} does not occur in the measure's text",
                            m.id, item.text
                        ));
                    }
                    if !f.deadlines.contains(&item.deadline) {
                        return Err(format!(
                            "milestones: {}: deadline {} of {:?} is not a deadline of the measure's text ({})",
                            m.id,
                            item.deadline,
                            item.text,
                            dates(&f.deadlines)
                        ));
                    }
                    f.milestones.push(Milestone {
                        id: format!("{}-{}", m.id, k + 1),
                        text: item.text.clone(),
                        deadline: item.deadline,
                        source: DeadlineSource::Attachment,
                    });
                }
                f.deadlines
                    .retain(|d| !split.items.iter().any(|x| x.deadline == *d));
            }
            // Deadlines from the plan's body.
            if let Some(b) = self.body_deadlines.get(&m.id) {
                if !f.deadlines.is_empty() {
                    return Err(format!(
                        "body_deadlines: {}: the attachment gives {} already",
                        m.id,
                        dates(&f.deadlines)
                    ));
                }
                let clause = m.measure.trim_end_matches(['。', ';', ';']);
                if !b.cite.contains(clause) {
                    return Err(format!(
                        "body_deadlines: {}: the cited clause does not contain the measure's text {clause:?}",
                        m.id
                    ));
                }
                if !deadlines(&b.cite).contains(&b.date) {
                    return Err(format!(
                        "body_deadlines: {}: the cited clause gives no deadline {}",
                        m.id, b.date
                    ));
                }
                f.deadlines = vec![b.date];
                f.deadline_source = DeadlineSource::PlanBody;
                f.deadline_cite = b.cite.clone();
            }
            // The plan's end for measures without a deadline (and for ongoing work beside
            // milestones), marked as a default.
            let own_work = self.milestones.get(&m.id).is_none_or(|s| s.ongoing);
            if let (true, true, Some(end)) = (f.deadlines.is_empty(), own_work, self.plan_end) {
                f.deadlines = vec![end];
                f.deadline_source = DeadlineSource::PlanEndDefault;
            }
            // 省定目标.
            if let Some(specs) = self.provincial_targets.get(&m.id) {
                if !text.contains(PROVINCIAL_PHRASE) {
                    return Err(format!(
                        "provincial_targets: {}: the measure's text does not say {PROVINCIAL_PHRASE}",
                        m.id
                    ));
                }
                for s in specs {
                    if keys.contains(&s.key.as_str()) {
                        return Err(format!(
                            "provincial_targets: {}: key {:?} is used twice",
                            m.id, s.key
                        ));
                    }
                    keys.push(&s.key);
                    f.provincial_targets.push(s.target(PROVINCIAL_PHRASE));
                }
            }
            f.township_share = share_from.is_some_and(|from| i >= from);
        }
        Ok(measures)
    }
}

fn dates(d: &[Date]) -> String {
    if d.is_empty() {
        return "none".to_owned();
    }
    d.iter().map(Date::to_string).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::from_tsv;

    const LIST: &str = "id\tcategory\ttask\tmeasure\tsection\tresponsibility\n\
        M01\t产业\t遏制\t新改扩建项目严格落实。\t二(一)\t市发展改革局牵头,国网辛集供电分公司配合\n\
        M02\t产业\t淘汰\t某公司2024年底前完成烧结机的淘汰,2025年年底完成竖炉的淘汰升级。\t二(二)\t市生态环境局\n\
        M03\t面源\t扬尘\t市建成区道路机械化清扫率达100%左右。\t五(一)\t市生态环境局\n\
        M04\t能源\t控煤\t到2025年,全市煤炭消费量较2020年下降率完成省定目标。\t三(二)\t市发展改革局\n";

    fn known() -> Vec<String> {
        ["市发展改革局", "市生态环境局", "国网辛集市供电公司"]
            .map(str::to_owned)
            .to_vec()
    }

    fn profile() -> LedgerProfile {
        let d = |s| Date::parse(s).unwrap();
        let item = |text: &str, deadline| MilestoneItem {
            text: text.to_owned(),
            deadline,
        };
        LedgerProfile {
            plan_end: Some(d("2025-12-31")),
            aliases: [(
                "国网辛集供电分公司".to_owned(),
                "国网辛集市供电公司".to_owned(),
            )]
            .into(),
            township_share_from: Some("M02".to_owned()),
            milestones: [(
                "M02".to_owned(),
                MilestoneSplit {
                    ongoing: false,
                    items: vec![
                        item("烧结机的淘汰", d("2024-12-31")),
                        item("竖炉的淘汰升级", d("2025-12-31")),
                    ],
                },
            )]
            .into(),
            body_deadlines: [(
                "M03".to_owned(),
                BodyDeadline {
                    date: d("2025-12-31"),
                    cite: "五(一):到2025年,装配式建筑达30%;市建成区道路机械化清扫率达100%左右。"
                        .to_owned(),
                },
            )]
            .into(),
            provincial_targets: [(
                "M04".to_owned(),
                vec![TargetSpec {
                    key: "coal".to_owned(),
                    indicator_zh: "煤炭消费量下降率".to_owned(),
                    indicator_en: "coal use reduction".to_owned(),
                    unit: "%".to_owned(),
                    comparison: Comparison::AtLeast,
                    computed: None,
                }],
            )]
            .into(),
            ..LedgerProfile::default()
        }
    }

    #[test]
    fn the_profile_splits_milestones_cites_the_body_defaults_to_the_plan_end_and_resolves_aliases()
    {
        let m = from_tsv(LIST, &known()).unwrap();
        assert_eq!(m[0].fields.unknown_units, ["国网辛集供电分公司"]);
        let m = profile().apply(m, &known()).unwrap();
        let d = |s| Date::parse(s).unwrap();
        // (id, own deadlines, source, milestones, share)
        let want: [(&str, Vec<Date>, DeadlineSource, usize, bool); 4] = [
            (
                "M01",
                vec![d("2025-12-31")],
                DeadlineSource::PlanEndDefault,
                0,
                false,
            ),
            ("M02", vec![], DeadlineSource::Attachment, 2, true),
            (
                "M03",
                vec![d("2025-12-31")],
                DeadlineSource::PlanBody,
                0,
                true,
            ),
            (
                "M04",
                vec![d("2025-12-31")],
                DeadlineSource::Attachment,
                0,
                true,
            ),
        ];
        for (x, (id, dl, src, ms, share)) in m.iter().zip(want) {
            assert_eq!(x.id, id);
            assert_eq!(x.fields.deadlines, dl, "{id}");
            assert_eq!(x.fields.deadline_source, src, "{id}");
            assert_eq!(x.fields.milestones.len(), ms, "{id}");
            assert_eq!(x.fields.township_share, share, "{id}");
        }
        assert_eq!(m[0].fields.supporting_units, ["国网辛集市供电公司"]);
        assert!(m[0].fields.unknown_units.is_empty());
        assert_eq!(m[1].fields.milestones[0].id, "M02-1");
        assert_eq!(m[1].fields.milestones[1].deadline, d("2025-12-31"));
        assert!(m[2].fields.deadline_cite.starts_with("五(一):到2025年"));
        assert_eq!(m[3].fields.provincial_targets[0].key, "coal");
    }

    #[test]
    fn a_profile_that_does_not_fit_the_measures_is_refused_with_the_reason() {
        let d = |s| Date::parse(s).unwrap();
        type Edit = fn(&mut LedgerProfile);
        let cases: [(Edit, &str); 6] = [
            (
                |p| p.aliases = [("X".into(), "不存在局".into())].into(),
                "canonical unit is not in departments.csv",
            ),
            (
                |p| p.aliases = [("市生态环境局".into(), "市发展改革局".into())].into(),
                "listed in departments.csv too",
            ),
            (
                |p| p.township_share_from = Some("M99".into()),
                "M99 is not in measures.tsv",
            ),
            (
                |p| {
                    let s = p.milestones.get_mut("M02").unwrap();
                    s.items[0].text = "高炉".into();
                },
                "does not occur",
            ),
            (
                |p| {
                    let b = p.body_deadlines.get_mut("M03").unwrap();
                    b.cite = "到2025年,别的话。".into();
                },
                "does not contain the measure's text",
            ),
            (
                |p| {
                    let t = p.provincial_targets.remove("M04").unwrap();
                    p.provincial_targets.insert("M03".into(), t);
                },
                "does not say 省定目标",
            ),
        ];
        for (edit, why) in cases {
            let mut p = profile();
            edit(&mut p);
            let e = p
                .apply(from_tsv(LIST, &known()).unwrap(), &known())
                .unwrap_err();
            assert!(e.contains(why), "{why}: {e}");
        }
        let mut p = profile();
        p.milestones.get_mut("M02").unwrap().items[0].deadline = d("2023-12-31");
        let e = p
            .apply(from_tsv(LIST, &known()).unwrap(), &known())
            .unwrap_err();
        assert!(e.contains("deadline 2023-12-31"), "{e}");
        let mut p = profile();
        p.body_deadlines.get_mut("M03").unwrap().date = d("2024-12-31");
        let e = p
            .apply(from_tsv(LIST, &known()).unwrap(), &known())
            .unwrap_err();
        assert!(e.contains("gives no deadline 2024-12-31"), "{e}");
        let m = from_tsv(LIST, &known()).unwrap();
        let same = LedgerProfile::default().apply(m.clone(), &known()).unwrap();
        assert_eq!(
            same[1].fields.deadlines, m[1].fields.deadlines,
            "an empty profile changes no deadline"
        );
    }
}
