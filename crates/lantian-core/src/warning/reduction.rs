//! The emergency reduction list (一厂一策, spec §5.4–5.5): the reductions each warning level
//! requires, the measures an enterprise takes per level with defaults by performance grade,
//! and the reduction those measures are estimated to achieve.

use super::Level;
use crate::org::{Grade, named_enum};
use serde::{Deserialize, Serialize};

named_enum! {
    /// A pollutant the required reductions count.
    Pollutant {
        So2 = "SO2",
        Nox = "NOx",
        Pm = "PM",
        Vocs = "VOCs",
    }
}

impl Pollutant {
    /// The HJ 212-2017 code an enterprise's CEMS sends it under (VOCs: non-methane
    /// hydrocarbons).
    pub fn code(self) -> &'static str {
        match self {
            Pollutant::So2 => "a21026",
            Pollutant::Nox => "a21002",
            Pollutant::Pm => "a34013",
            Pollutant::Vocs => "a24088",
        }
    }
}

/// The share (%) of the city's emissions a level requires to be cut, per pollutant.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Required {
    pub so2_pct: f64,
    pub nox_pct: f64,
    pub pm_pct: f64,
    pub vocs_pct: f64,
    /// Whether the VOCs share is unverified (spec §9 Q5: red ≥ 20 %).
    #[serde(default)]
    pub vocs_unverified: bool,
}

impl Required {
    pub fn pct(&self, p: Pollutant) -> f64 {
        match p {
            Pollutant::So2 => self.so2_pct,
            Pollutant::Nox => self.nox_pct,
            Pollutant::Pm => self.pm_pct,
            Pollutant::Vocs => self.vocs_pct,
        }
    }
}

/// The shipped required reductions (spec §5.4): SO2, NOx and PM 10 / 20 / 30 %, VOCs
/// 10 / 15 / 20 % (the red VOCs share unverified). A county's profile may replace them.
pub fn required_default(level: Level) -> Required {
    let (pct, vocs_pct, vocs_unverified) = match level {
        Level::Yellow => (10.0, 10.0, false),
        Level::Orange => (20.0, 15.0, false),
        Level::Red => (30.0, 20.0, true),
    };
    Required {
        so2_pct: pct,
        nox_pct: pct,
        pm_pct: pct,
        vocs_pct,
        vocs_unverified,
    }
}

named_enum! {
    /// What an enterprise does at a warning level.
    MeasureKind {
        /// Stop a production line (or the whole enterprise when no line is named).
        StopLine = "stop_line",
        /// Run a line (or the enterprise) at no more than a share of its normal load.
        CapLoad = "cap_load",
        /// Stop outdoor work: spraying, painting, cutting, earthworks.
        StopOutdoor = "stop_outdoor",
        /// No diesel trucks below 国五 enter or leave (bulk transport).
        TransportBan = "transport_ban",
        /// A-grade and leading enterprises decide their own reductions.
        SelfDetermined = "self_determined",
        Other = "other",
    }
}

impl MeasureKind {
    pub fn name_zh(self) -> &'static str {
        match self {
            MeasureKind::StopLine => "停产（停线）",
            MeasureKind::CapLoad => "限产（限负荷）",
            MeasureKind::StopOutdoor => "停止室外作业",
            MeasureKind::TransportBan => "国五以下柴油货车禁运",
            MeasureKind::SelfDetermined => "自主减排",
            MeasureKind::Other => "其他措施",
        }
    }
}

/// One measure of an enterprise at a level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    pub level: Level,
    pub kind: MeasureKind,
    /// The production line (equipment id) it concerns; `None`: the whole enterprise.
    pub equipment: Option<String>,
    /// For `cap_load`: the highest load allowed, per cent of normal.
    pub cap_pct: Option<f64>,
    /// A reduction the enterprise declares for this measure (% of its emissions), used
    /// where Lantian cannot estimate one (outdoor work, self-determined, other).
    pub declared_pct: Option<f64>,
    /// The measure as the list writes it.
    pub text: String,
}

/// The default measures of a grade at a level (Lantian's reading of the generic pattern of
/// spec §5.5, **not** the guide's per-industry tables, which are images): A+, A and 引领性
/// decide their own; B cuts little and mostly at orange and red; C and D cut from yellow,
/// D stopping at red; 非引领性 caps its load at the level's required share. Each is a
/// starting point the bureau edits.
pub fn default_measures(grade: Grade, level: Level) -> Vec<(MeasureKind, Option<f64>)> {
    use MeasureKind::*;
    let cap = |pct: f64| (CapLoad, Some(pct));
    match (grade, level) {
        (Grade::APlus | Grade::A | Grade::Leading, _) => vec![(SelfDetermined, None)],
        (Grade::B, Level::Yellow) => vec![(StopOutdoor, None)],
        (Grade::B, Level::Orange) => vec![cap(80.0), (StopOutdoor, None), (TransportBan, None)],
        (Grade::B, Level::Red) => vec![cap(70.0), (StopOutdoor, None), (TransportBan, None)],
        (Grade::C, Level::Yellow) => vec![cap(80.0), (StopOutdoor, None)],
        (Grade::C, Level::Orange) => vec![cap(60.0), (StopOutdoor, None), (TransportBan, None)],
        (Grade::C, Level::Red) => vec![cap(50.0), (StopOutdoor, None), (TransportBan, None)],
        (Grade::D, Level::Yellow) => vec![cap(70.0), (StopOutdoor, None), (TransportBan, None)],
        (Grade::D, Level::Orange) => vec![cap(50.0), (StopOutdoor, None), (TransportBan, None)],
        (Grade::D, Level::Red) => vec![(StopLine, None), (TransportBan, None)],
        (Grade::NonLeading, l) => vec![cap(100.0 - required_default(l).so2_pct)],
    }
}

/// The share (0–1) of an enterprise's emissions its measures at a level cut: each line's
/// share (`line_share`, of the enterprise's emissions) times its cut (a stop is all of it,
/// a cap the part above the cap), enterprise-wide measures on what is left, declared
/// reductions where Lantian has no estimate. Never above 1.
pub fn estimated_cut(measures: &[Measure], line_share: impl Fn(&str) -> f64) -> f64 {
    let cut_of = |m: &Measure| -> f64 {
        match m.kind {
            MeasureKind::StopLine => 1.0,
            MeasureKind::CapLoad => m
                .cap_pct
                .map_or(0.0, |c| (1.0 - c.clamp(0.0, 100.0) / 100.0).max(0.0)),
            _ => m.declared_pct.map_or(0.0, |p| p.clamp(0.0, 100.0) / 100.0),
        }
    };
    // Per line the heaviest of its measures; lines add up.
    let mut per_line: Vec<(&str, f64)> = Vec::new();
    let mut whole: f64 = 0.0;
    for m in measures {
        let c = cut_of(m);
        match &m.equipment {
            Some(e) => match per_line.iter_mut().find(|(id, _)| id == e) {
                Some(x) => x.1 = x.1.max(c),
                None => per_line.push((e, c)),
            },
            None => whole = 1.0 - (1.0 - whole) * (1.0 - c),
        }
    }
    let lines: f64 = per_line.iter().map(|(e, c)| line_share(e) * c).sum();
    let lines = lines.min(1.0);
    (lines + (1.0 - lines) * whole).min(1.0)
}

/// How the list's estimated reduction of one pollutant compares with the required share.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Balance {
    pub pollutant: Pollutant,
    /// The emissions the share is counted against (kg/day).
    pub total_kg_day: f64,
    pub required_pct: f64,
    pub required_kg_day: f64,
    pub estimated_kg_day: f64,
    /// What is missing (kg/day), 0 when the list meets the requirement.
    pub shortfall_kg_day: f64,
}

/// The balance of each pollutant with a known total; with `so2_nox_together` (Hebei lets a
/// city shift the split between SO2 and NOx as long as their sum meets the total, spec
/// §5.4) SO2 and NOx are judged on their sum, their shortfall shared in proportion.
pub fn balance(
    required: &Required,
    totals_kg_day: &[(Pollutant, f64)],
    estimated_kg_day: &[(Pollutant, f64)],
    so2_nox_together: bool,
) -> Vec<Balance> {
    let est = |p: Pollutant| {
        estimated_kg_day
            .iter()
            .find(|(q, _)| *q == p)
            .map_or(0.0, |x| x.1)
    };
    let mut out: Vec<Balance> = totals_kg_day
        .iter()
        .filter(|(_, t)| *t > 0.0)
        .map(|&(p, total)| {
            let required_kg_day = total * required.pct(p) / 100.0;
            Balance {
                pollutant: p,
                total_kg_day: total,
                required_pct: required.pct(p),
                required_kg_day,
                estimated_kg_day: est(p),
                shortfall_kg_day: (required_kg_day - est(p)).max(0.0),
            }
        })
        .collect();
    if so2_nox_together {
        let pair = |b: &Balance| matches!(b.pollutant, Pollutant::So2 | Pollutant::Nox);
        let need: f64 = out
            .iter()
            .filter(|b| pair(b))
            .map(|b| b.required_kg_day)
            .sum();
        let got: f64 = out
            .iter()
            .filter(|b| pair(b))
            .map(|b| b.estimated_kg_day)
            .sum();
        let missing = (need - got).max(0.0);
        for b in out.iter_mut().filter(|b| pair(b)) {
            b.shortfall_kg_day = if need > 0.0 {
                missing * b.required_kg_day / need
            } else {
                0.0
            };
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(
        kind: MeasureKind,
        equipment: Option<&str>,
        cap: Option<f64>,
        declared: Option<f64>,
    ) -> Measure {
        Measure {
            level: Level::Orange,
            kind,
            equipment: equipment.map(str::to_owned),
            cap_pct: cap,
            declared_pct: declared,
            text: String::new(),
        }
    }

    #[test]
    fn the_required_shares_are_10_20_30_and_red_vocs_unverified() {
        let r: Vec<(f64, f64, bool)> = Level::ALL
            .iter()
            .map(|l| required_default(*l))
            .map(|r| (r.so2_pct, r.vocs_pct, r.vocs_unverified))
            .collect();
        assert_eq!(
            r,
            [(10.0, 10.0, false), (20.0, 15.0, false), (30.0, 20.0, true)]
        );
    }

    #[test]
    fn defaults_get_heavier_from_a_to_d_and_from_yellow_to_red() {
        // The cut a default list achieves on a one-line enterprise, per grade and level.
        let cut = |g: Grade, l: Level| {
            let ms: Vec<Measure> = default_measures(g, l)
                .into_iter()
                .map(|(k, c)| m(k, None, c, None))
                .collect();
            estimated_cut(&ms, |_| 1.0)
        };
        for l in Level::ALL {
            assert_eq!(cut(Grade::A, *l), 0.0);
            assert!(
                cut(Grade::B, *l) <= cut(Grade::C, *l) && cut(Grade::C, *l) <= cut(Grade::D, *l)
            );
        }
        for g in [Grade::B, Grade::C, Grade::D, Grade::NonLeading] {
            assert!(cut(g, Level::Yellow) <= cut(g, Level::Orange));
            assert!(cut(g, Level::Orange) < cut(g, Level::Red), "{g}");
        }
        assert_eq!(cut(Grade::D, Level::Red), 1.0);
        assert!((cut(Grade::NonLeading, Level::Orange) - 0.2).abs() < 1e-12);
    }

    #[test]
    fn lines_add_up_by_their_share_and_whole_enterprise_measures_apply_to_the_rest() {
        use MeasureKind::*;
        let share = |e: &str| if e == "sinter" { 0.6 } else { 0.4 };
        let cases: &[(&[Measure], f64)] = &[
            (&[], 0.0),
            (&[m(StopLine, Some("sinter"), None, None)], 0.6),
            (&[m(CapLoad, Some("sinter"), Some(50.0), None)], 0.3),
            // The heaviest measure of a line counts once.
            (
                &[
                    m(CapLoad, Some("sinter"), Some(50.0), None),
                    m(StopLine, Some("sinter"), None, None),
                ],
                0.6,
            ),
            (
                &[
                    m(StopLine, Some("sinter"), None, None),
                    m(CapLoad, Some("kiln"), Some(75.0), None),
                ],
                0.7,
            ),
            (
                &[
                    m(StopLine, Some("sinter"), None, None),
                    m(CapLoad, None, Some(50.0), None),
                ],
                0.8,
            ),
            (&[m(StopOutdoor, None, None, None)], 0.0),
            (&[m(StopOutdoor, None, None, Some(5.0))], 0.05),
            (
                &[
                    m(StopLine, None, None, None),
                    m(StopLine, Some("kiln"), None, None),
                ],
                1.0,
            ),
        ];
        for (ms, want) in cases {
            assert!((estimated_cut(ms, share) - want).abs() < 1e-12, "{ms:?}");
        }
    }

    #[test]
    fn a_shortfall_is_what_the_list_misses_and_so2_with_nox_may_be_judged_together() {
        use Pollutant::*;
        let r = required_default(Level::Orange);
        let totals = [(So2, 1000.0), (Nox, 1000.0), (Pm, 100.0)];
        let est = [(So2, 300.0), (Nox, 150.0), (Pm, 20.0)];
        let apart = balance(&r, &totals, &est, false);
        let short: Vec<f64> = apart.iter().map(|b| b.shortfall_kg_day).collect();
        assert_eq!(short, [0.0, 50.0, 0.0]);
        let together = balance(&r, &totals, &est, true);
        let short: Vec<f64> = together.iter().map(|b| b.shortfall_kg_day).collect();
        assert_eq!(short, [0.0, 0.0, 0.0]);
        let est = [(So2, 100.0), (Nox, 150.0)];
        let together = balance(&r, &totals, &est, true);
        let short: Vec<f64> = together.iter().map(|b| b.shortfall_kg_day).collect();
        // 400 needed, 250 estimated: 150 missing, shared 75 / 75; PM's 20 all missing.
        assert_eq!(short, [75.0, 75.0, 20.0]);
    }
}
