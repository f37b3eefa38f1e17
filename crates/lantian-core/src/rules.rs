//! Rule editions (HJ 633, GB 3095, HJ 663) and the rule set chosen by the date of the data.
//!
//! Spec §1.2: before 2018-09-01 GB 3095-2012; until 2026-02-28 GB 3095-2012 with its 2018
//! amendment; from 2026-03-01 the 2026 editions with GB 3095-2026's transitional limits; from
//! 2031-01-01 its final limits. The HJ 212 protocol edition is *not* chosen here: it is read
//! from each packet.

use crate::date::Date;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The AQI technical regulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AqiEdition {
    #[serde(rename = "HJ 633-2012")]
    Hj633_2012,
    #[serde(rename = "HJ 633-2026")]
    Hj633_2026,
}

/// The ambient air quality standard, with the state its limits are stated in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum LimitsEdition {
    /// GB 3095-2012 as issued (standard state 273 K / 101.325 kPa).
    #[serde(rename = "GB 3095-2012")]
    Gb3095_2012,
    /// GB 3095-2012 with the 2018 amendment (reference state for gases).
    #[serde(rename = "GB 3095-2012/XG1-2018")]
    Gb3095_2012Amended2018,
    /// GB 3095-2026, transitional limits (2026-03-01 to 2030-12-31).
    #[serde(rename = "GB 3095-2026 transitional")]
    Gb3095_2026Transitional,
    /// GB 3095-2026, final limits (from 2031-01-01).
    #[serde(rename = "GB 3095-2026 final")]
    Gb3095_2026Final,
}

/// The assessment technical specification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AssessmentEdition {
    #[serde(rename = "HJ 663-2013")]
    Hj663_2013,
    #[serde(rename = "HJ 663-2026")]
    Hj663_2026,
}

/// The rules in force for a piece of data. Every derived value carries one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RuleSet {
    pub aqi: AqiEdition,
    pub limits: LimitsEdition,
    pub assessment: AssessmentEdition,
}

/// Dates on which the rules changed.
pub fn amendment_2018_in_force() -> Date {
    date(2018, 9, 1)
}
pub fn editions_2026_in_force() -> Date {
    date(2026, 3, 1)
}
pub fn final_limits_2026_in_force() -> Date {
    date(2031, 1, 1)
}

fn date(y: i32, m: u32, d: u32) -> Date {
    Date::new(y, m, d).unwrap_or_else(|| unreachable!("constant date {y}-{m}-{d} is valid"))
}

/// Which edition family a caller asks for (`--rules auto|2012|2026`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleChoice {
    /// By the date of the data (the default, spec §1.2).
    #[default]
    Auto,
    /// The 2012-era rules whatever the date (for comparisons across 2026-03-01).
    #[serde(rename = "2012")]
    Era2012,
    /// The 2026 rules whatever the date (transitional limits before 2031, final after).
    #[serde(rename = "2026")]
    Era2026,
}

impl RuleChoice {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleChoice::Auto => "auto",
            RuleChoice::Era2012 => "2012",
            RuleChoice::Era2026 => "2026",
        }
    }
}

impl std::str::FromStr for RuleChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<RuleChoice, String> {
        match s {
            "auto" => Ok(RuleChoice::Auto),
            "2012" => Ok(RuleChoice::Era2012),
            "2026" => Ok(RuleChoice::Era2026),
            o => Err(format!("rules {o:?}: expected auto, 2012 or 2026")),
        }
    }
}

impl RuleSet {
    pub const ERA_2012: RuleSet = RuleSet {
        aqi: AqiEdition::Hj633_2012,
        limits: LimitsEdition::Gb3095_2012Amended2018,
        assessment: AssessmentEdition::Hj663_2013,
    };
    pub const ERA_2026: RuleSet = RuleSet {
        aqi: AqiEdition::Hj633_2026,
        limits: LimitsEdition::Gb3095_2026Transitional,
        assessment: AssessmentEdition::Hj663_2026,
    };

    /// The rules in force on the date of the data.
    pub fn for_date(d: Date) -> RuleSet {
        if d >= final_limits_2026_in_force() {
            RuleSet {
                limits: LimitsEdition::Gb3095_2026Final,
                ..RuleSet::ERA_2026
            }
        } else if d >= editions_2026_in_force() {
            RuleSet::ERA_2026
        } else if d >= amendment_2018_in_force() {
            RuleSet::ERA_2012
        } else {
            RuleSet {
                limits: LimitsEdition::Gb3095_2012,
                ..RuleSet::ERA_2012
            }
        }
    }

    /// The rules a caller's choice selects for data of date `d`.
    pub fn choose(choice: RuleChoice, d: Date) -> RuleSet {
        let by_date = RuleSet::for_date(d);
        match choice {
            RuleChoice::Auto => by_date,
            RuleChoice::Era2012 if by_date.aqi == AqiEdition::Hj633_2012 => by_date,
            RuleChoice::Era2012 => RuleSet::ERA_2012,
            RuleChoice::Era2026 if by_date.aqi == AqiEdition::Hj633_2026 => by_date,
            RuleChoice::Era2026 => RuleSet::ERA_2026,
        }
    }

    /// A stable identifier, e.g. `HJ633-2026/GB3095-2026T/HJ663-2026`.
    pub fn id(self) -> &'static str {
        use AqiEdition as A;
        use LimitsEdition as L;
        match (self.aqi, self.limits) {
            (A::Hj633_2012, L::Gb3095_2012) => "HJ633-2012/GB3095-2012/HJ663-2013",
            (A::Hj633_2012, L::Gb3095_2012Amended2018) => "HJ633-2012/GB3095-2012XG1/HJ663-2013",
            (A::Hj633_2026, L::Gb3095_2026Transitional) => "HJ633-2026/GB3095-2026T/HJ663-2026",
            (A::Hj633_2026, L::Gb3095_2026Final) => "HJ633-2026/GB3095-2026F/HJ663-2026",
            // Mixed sets only arise when a caller builds one by hand.
            (A::Hj633_2012, _) => "HJ633-2012/GB3095-2026/HJ663-2013",
            (A::Hj633_2026, _) => "HJ633-2026/GB3095-2012/HJ663-2026",
        }
    }
}

impl fmt::Display for RuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    /// Conformance checklist §10 item 1.
    #[test]
    fn rule_set_follows_the_date_of_the_data() {
        let cases = [
            (
                "2018-08-31",
                AqiEdition::Hj633_2012,
                LimitsEdition::Gb3095_2012,
            ),
            (
                "2018-09-01",
                AqiEdition::Hj633_2012,
                LimitsEdition::Gb3095_2012Amended2018,
            ),
            (
                "2026-02-28",
                AqiEdition::Hj633_2012,
                LimitsEdition::Gb3095_2012Amended2018,
            ),
            (
                "2026-03-01",
                AqiEdition::Hj633_2026,
                LimitsEdition::Gb3095_2026Transitional,
            ),
            (
                "2030-12-31",
                AqiEdition::Hj633_2026,
                LimitsEdition::Gb3095_2026Transitional,
            ),
            (
                "2031-01-01",
                AqiEdition::Hj633_2026,
                LimitsEdition::Gb3095_2026Final,
            ),
        ];
        for (date, aqi, limits) in cases {
            let rs = RuleSet::for_date(d(date));
            assert_eq!((rs.aqi, rs.limits), (aqi, limits), "{date}");
        }
    }

    #[test]
    fn explicit_choice_overrides_the_date_but_keeps_its_stage() {
        assert_eq!(
            RuleSet::choose(RuleChoice::Era2026, d("2015-01-01")),
            RuleSet::ERA_2026
        );
        assert_eq!(
            RuleSet::choose(RuleChoice::Era2012, d("2027-01-01")),
            RuleSet::ERA_2012
        );
        assert_eq!(
            RuleSet::choose(RuleChoice::Era2012, d("2015-01-01")).limits,
            LimitsEdition::Gb3095_2012
        );
    }
}
