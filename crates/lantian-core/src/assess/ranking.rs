//! Township ranking methods (乡镇排名方法) as named, configurable formulas, and the graded
//! incentive and penalty rule of the monthly 通报 (plan §9(二)): pure functions over the
//! figures of each unit, so the page, the report and the tests state and compute one thing.

use crate::assess::competition_ranks;
use crate::decimal::round_half_even;
use crate::org::named_enum;
use serde::{Deserialize, Serialize};

named_enum! {
    /// How townships are ranked. Each has a name and a one-sentence formula
    /// ([`Method::formula_zh`], [`Method::formula_en`]) shown on the page and in the report.
    #[derive(Default)]
    Method {
        /// 综合指数: the HJ 663 composite index of the period, lower is better.
        #[default]
        CompositeIndex = "composite_index",
        /// PM2.5 mean + SO2 mean of the period (as Hengshui ranks its counties), lower is better.
        Pm25So2Sum = "pm25_so2_sum",
        /// The PM2.5 mean of the period, lower is better.
        Pm25 = "pm25",
        /// 改善率: the fall of the basis figure against the same period last year, larger is better.
        Improvement = "improvement",
        /// A weighted score of the other methods' ranks, lower is better.
        Weighted = "weighted",
    }
}

named_enum! {
    /// What the improvement rate compares with last year.
    #[derive(Default)]
    Basis {
        #[default]
        Pm25 = "pm25",
        CompositeIndex = "composite_index",
    }
}

/// The weights of [`Method::Weighted`]; they need not sum to 1 (the score divides by their
/// sum). Defaults: composite index 0.4, PM2.5 0.3, improvement 0.3, PM2.5 + SO2 0.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Weights {
    pub composite_index: f64,
    pub pm25_so2_sum: f64,
    pub pm25: f64,
    pub improvement: f64,
}

impl Default for Weights {
    fn default() -> Weights {
        Weights {
            composite_index: 0.4,
            pm25_so2_sum: 0.0,
            pm25: 0.3,
            improvement: 0.3,
        }
    }
}

impl Weights {
    fn of(&self, m: Method) -> f64 {
        match m {
            Method::CompositeIndex => self.composite_index,
            Method::Pm25So2Sum => self.pm25_so2_sum,
            Method::Pm25 => self.pm25,
            Method::Improvement => self.improvement,
            Method::Weighted => 0.0,
        }
    }

    /// Every weight finite and ≥ 0, and at least one positive.
    pub fn check(&self) -> Result<(), String> {
        let all = [
            self.composite_index,
            self.pm25_so2_sum,
            self.pm25,
            self.improvement,
        ];
        if all.iter().any(|w| !w.is_finite() || *w < 0.0) || all.iter().sum::<f64>() <= 0.0 {
            return Err(format!(
                "权重须为非负数且至少一个大于 0 / weights must be ≥ 0 with one > 0, got {all:?}"
            ));
        }
        Ok(())
    }
}

/// A ranking method with its settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    pub method: Method,
    /// What [`Method::Improvement`] compares (default PM2.5).
    pub basis: Basis,
    pub weights: Weights,
}

/// The methods that [`Method::Weighted`] combines, in order.
pub const WEIGHTED_PARTS: [Method; 4] = [
    Method::CompositeIndex,
    Method::Pm25So2Sum,
    Method::Pm25,
    Method::Improvement,
];

impl Method {
    pub fn name_zh(self) -> &'static str {
        match self {
            Method::CompositeIndex => "综合指数",
            Method::Pm25So2Sum => "PM2.5与SO2浓度之和",
            Method::Pm25 => "PM2.5浓度",
            Method::Improvement => "改善率",
            Method::Weighted => "加权得分",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Method::CompositeIndex => "composite index",
            Method::Pm25So2Sum => "PM2.5 + SO2",
            Method::Pm25 => "PM2.5 mean",
            Method::Improvement => "improvement rate",
            Method::Weighted => "weighted score",
        }
    }

    /// Whether a smaller figure ranks higher.
    pub fn lower_is_better(self) -> bool {
        self != Method::Improvement
    }

    /// The formula in one Chinese sentence.
    pub fn formula_zh(self, c: &Config) -> String {
        match self {
            Method::CompositeIndex => "综合指数 = Σ Ci/Si（SO2、NO2、PM10、PM2.5 取均值，CO 取第95百分位数，O3 取日最大8小时第90百分位数，Si 为二级标准限值），保留两位小数，越小排名越前。".to_owned(),
            Method::Pm25So2Sum => "PM2.5 均值 + SO2 均值（µg/m³，均取整后相加），越小排名越前。".to_owned(),
            Method::Pm25 => "PM2.5 均值（µg/m³，取整），越小排名越前。".to_owned(),
            Method::Improvement => format!(
                "改善率 = （去年同期{b} − 本期{b}）/ 去年同期{b} × 100%，保留一位小数，越大排名越前。",
                b = c.basis.name_zh()
            ),
            Method::Weighted => format!(
                "加权得分 = Σ(wm × 方法 m 的名次) / Σ wm（综合指数 {}、PM2.5+SO2 {}、PM2.5 {}、改善率 {}），保留两位小数，越小排名越前。",
                c.weights.composite_index, c.weights.pm25_so2_sum, c.weights.pm25, c.weights.improvement
            ),
        }
    }

    /// The formula in one English sentence.
    pub fn formula_en(self, c: &Config) -> String {
        match self {
            Method::CompositeIndex => "Composite index = Σ C_i/S_i (means of SO2, NO2, PM10, PM2.5; CO 95th percentile; O3 MDA8 90th percentile; S_i the Grade II limit), two decimals, lower ranks first.".to_owned(),
            Method::Pm25So2Sum => "PM2.5 mean + SO2 mean (µg/m³, each rounded to an integer), lower ranks first.".to_owned(),
            Method::Pm25 => "PM2.5 mean (µg/m³, rounded to an integer), lower ranks first.".to_owned(),
            Method::Improvement => format!(
                "Improvement = (last year's {b} − this period's {b}) / last year's {b} × 100 % over the same period, one decimal, larger ranks first.",
                b = c.basis.name_en()
            ),
            Method::Weighted => format!(
                "Weighted score = Σ w_m × rank under method m / Σ w_m (composite index {}, PM2.5+SO2 {}, PM2.5 {}, improvement {}), two decimals, lower ranks first.",
                c.weights.composite_index, c.weights.pm25_so2_sum, c.weights.pm25, c.weights.improvement
            ),
        }
    }
}

impl Basis {
    pub fn name_zh(self) -> &'static str {
        match self {
            Basis::Pm25 => "PM2.5浓度",
            Basis::CompositeIndex => "综合指数",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Basis::Pm25 => "PM2.5 mean",
            Basis::CompositeIndex => "composite index",
        }
    }
}

/// One unit's reported figures of the period and of the same period last year (`None`: no
/// valid data).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Whether the unit has a station at all.
    pub has_station: bool,
    /// Reported (2 decimals).
    pub composite_index: Option<f64>,
    /// Reported means (integers, GB/T 8170).
    pub pm25: Option<f64>,
    pub so2: Option<f64>,
    pub composite_index_last_year: Option<f64>,
    pub pm25_last_year: Option<f64>,
}

/// Why a unit has no rank.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unranked {
    /// No monitoring station in the unit.
    NoStation,
    /// Stations, but no valid figure in the period.
    NoValidData,
    /// No valid figure in the same period last year (the improvement rate needs one).
    NoBaseline,
}

impl Unranked {
    pub fn zh(self) -> &'static str {
        match self {
            Unranked::NoStation => "无监测站点",
            Unranked::NoValidData => "本期无有效数据",
            Unranked::NoBaseline => "去年同期无有效数据",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Unranked::NoStation => "no monitoring station",
            Unranked::NoValidData => "no valid data in the period",
            Unranked::NoBaseline => "no valid data in the same period last year",
        }
    }
}

/// A unit's place under a method: its figure and rank, or why it has none.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Placed {
    pub value: Option<f64>,
    /// 1 is the best; equal figures share a rank (1, 2, 2, 4); `None` for units listed last.
    pub rank: Option<u32>,
    pub unranked: Option<Unranked>,
}

/// The figure a method ranks by, or why there is none.
pub fn figure(f: &Figures, method: Method, basis: Basis) -> Result<f64, Unranked> {
    if !f.has_station {
        return Err(Unranked::NoStation);
    }
    let now = |v: Option<f64>| v.ok_or(Unranked::NoValidData);
    match method {
        Method::CompositeIndex => now(f.composite_index),
        Method::Pm25So2Sum => Ok(now(f.pm25)? + now(f.so2)?),
        Method::Pm25 => now(f.pm25),
        Method::Improvement => {
            let (cur, last) = match basis {
                Basis::Pm25 => (now(f.pm25)?, f.pm25_last_year),
                Basis::CompositeIndex => (now(f.composite_index)?, f.composite_index_last_year),
            };
            match last.filter(|l| *l > 0.0) {
                Some(l) => Ok(round_half_even((l - cur) / l * 100.0, 1)),
                None => Err(Unranked::NoBaseline),
            }
        }
        // The weighted score needs every part's rank: see [`rank`].
        Method::Weighted => Err(Unranked::NoValidData),
    }
}

/// Places every unit under `config.method`, in the order given: ranks by competition (1, 2,
/// 2, 4) among the units with a figure; the others get `rank: None` and the reason.
pub fn rank(rows: &[Figures], config: &Config) -> Vec<Placed> {
    let by = |m: Method| -> Vec<Result<f64, Unranked>> {
        rows.iter().map(|f| figure(f, m, config.basis)).collect()
    };
    let values: Vec<Result<f64, Unranked>> = if config.method == Method::Weighted {
        weighted(rows, config)
    } else {
        by(config.method)
    };
    place(&values, config.method.lower_is_better())
}

/// The weighted score of each unit: Σ w × rank / Σ w over the parts with a positive weight;
/// a unit without a figure under any of those parts has no score.
fn weighted(rows: &[Figures], config: &Config) -> Vec<Result<f64, Unranked>> {
    let mut score: Vec<Result<f64, Unranked>> = vec![Ok(0.0); rows.len()];
    let mut weight_sum = 0.0;
    for m in WEIGHTED_PARTS {
        let w = config.weights.of(m);
        if w <= 0.0 {
            continue;
        }
        weight_sum += w;
        let values: Vec<Result<f64, Unranked>> =
            rows.iter().map(|f| figure(f, m, config.basis)).collect();
        for (s, p) in score.iter_mut().zip(place(&values, m.lower_is_better())) {
            if let Ok(acc) = s {
                match (p.rank, p.unranked) {
                    (Some(r), _) => *acc += w * f64::from(r),
                    (None, why) => *s = Err(why.unwrap_or(Unranked::NoValidData)),
                }
            }
        }
    }
    score
        .into_iter()
        .map(|s| s.map(|v| round_half_even(v / weight_sum.max(f64::MIN_POSITIVE), 2)))
        .collect()
}

fn place(values: &[Result<f64, Unranked>], lower_is_better: bool) -> Vec<Placed> {
    let present: Vec<Option<f64>> = values
        .iter()
        .filter_map(|v| v.as_ref().ok())
        .map(|v| Some(if lower_is_better { *v } else { -*v }))
        .collect();
    let mut ranks = competition_ranks(&present).into_iter();
    values
        .iter()
        .map(|v| match v {
            Ok(x) => Placed {
                value: Some(*x),
                rank: ranks.next(),
                unranked: None,
            },
            Err(why) => Placed {
                value: None,
                rank: None,
                unranked: Some(*why),
            },
        })
        .collect()
}

/// The relative change of `now` against `before`, in per cent with one decimal (同比, 环比):
/// positive when the figure rose.
pub fn change_pct(now: Option<f64>, before: Option<f64>) -> Option<f64> {
    let b = before.filter(|b| *b != 0.0)?;
    Some(round_half_even((now? - b) / b * 100.0, 1))
}

named_enum! {
    /// The penalties of plan §9(二), from the mildest.
    Sanction {
        /// 约谈: an interview with the township's leaders.
        Interview = "interview",
        /// 通报批评: named and criticised in the 通报.
        Criticism = "criticism",
        /// 问责: accountability proceedings.
        Accountability = "accountability",
    }
}

impl Sanction {
    pub fn name_zh(self) -> &'static str {
        match self {
            Sanction::Interview => "约谈",
            Sanction::Criticism => "通报批评",
            Sanction::Accountability => "问责",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Sanction::Interview => "interview",
            Sanction::Criticism => "public criticism",
            Sanction::Accountability => "accountability",
        }
    }
}

/// The thresholds of the penalty grading: a missed target is 约谈; 通报批评 from
/// `criticism_gap_pct` beyond the target or `criticism_months` missed months in a row;
/// 问责 from `accountability_gap_pct` or `accountability_months`. An incentive is earned by
/// meeting every target of the month and the year to date; "exceeded" from
/// `exceeded_margin_pct` better than every target.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SanctionRules {
    pub criticism_gap_pct: f64,
    pub criticism_months: u32,
    pub accountability_gap_pct: f64,
    pub accountability_months: u32,
    pub exceeded_margin_pct: f64,
}

impl Default for SanctionRules {
    fn default() -> SanctionRules {
        SanctionRules {
            criticism_gap_pct: 10.0,
            criticism_months: 2,
            accountability_gap_pct: 20.0,
            accountability_months: 3,
            exceeded_margin_pct: 10.0,
        }
    }
}

impl SanctionRules {
    /// The rule in one Chinese sentence, for the report.
    pub fn statement_zh(&self) -> String {
        format!(
            "未完成月度目标的乡镇予以约谈；超出目标 {}% 及以上或连续 {} 个月未完成的，予以通报批评；超出目标 {}% 及以上或连续 {} 个月未完成的，予以问责。当月及年累计目标全部完成的列入激励名单，优于全部目标 {}% 及以上的为超额完成。",
            self.criticism_gap_pct,
            self.criticism_months,
            self.accountability_gap_pct,
            self.accountability_months,
            self.exceeded_margin_pct
        )
    }

    /// The rule in one English sentence.
    pub fn statement_en(&self) -> String {
        format!(
            "A township missing a monthly target is interviewed (约谈); {}% or more beyond the target or {} months missed in a row: public criticism (通报批评); {}% or more or {} months in a row: accountability (问责). Meeting every target of the month and the year to date earns an incentive, {}% or more better than every target counts as exceeded.",
            self.criticism_gap_pct,
            self.criticism_months,
            self.accountability_gap_pct,
            self.accountability_months,
            self.exceeded_margin_pct
        )
    }
}

/// The penalty for a missed target: `gap_pct` how far the actual is on the wrong side of the
/// target (per cent of the target, ≥ 0), `months_in_a_row` the months missed up to and
/// including this one.
pub fn sanction(gap_pct: f64, months_in_a_row: u32, r: &SanctionRules) -> Sanction {
    if gap_pct >= r.accountability_gap_pct || months_in_a_row >= r.accountability_months {
        Sanction::Accountability
    } else if gap_pct >= r.criticism_gap_pct || months_in_a_row >= r.criticism_months {
        Sanction::Criticism
    } else {
        Sanction::Interview
    }
}

/// How far `actual` is from `target`, per cent of the target, one decimal; `None` without
/// both or with a zero target.
pub fn gap_pct(actual: Option<f64>, target: Option<f64>) -> Option<f64> {
    let t = target.filter(|t| *t != 0.0)?;
    Some(round_half_even(((actual? - t) / t * 100.0).abs(), 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(pm25: Option<f64>, so2: Option<f64>, ci: Option<f64>, pm25_ly: Option<f64>) -> Figures {
        Figures {
            has_station: true,
            composite_index: ci,
            pm25,
            so2,
            composite_index_last_year: None,
            pm25_last_year: pm25_ly,
        }
    }

    fn ranks(p: &[Placed]) -> Vec<Option<u32>> {
        p.iter().map(|x| x.rank).collect()
    }

    #[test]
    fn each_method_ranks_by_its_formula_with_ties_sharing_a_rank_and_units_without_data_last() {
        let none = Figures::default();
        let rows = [
            unit(Some(40.0), Some(10.0), Some(4.10), Some(50.0)),
            unit(Some(35.0), Some(20.0), Some(4.10), Some(35.0)),
            unit(Some(40.0), Some(5.0), Some(3.90), Some(40.0)),
            unit(None, None, None, Some(30.0)),
            none,
            unit(Some(30.0), Some(30.0), Some(5.00), None),
        ];
        type Case = (Method, Vec<Option<f64>>, Vec<Option<u32>>);
        let cases: [Case; 4] = [
            (
                Method::CompositeIndex,
                vec![Some(4.10), Some(4.10), Some(3.90), None, None, Some(5.00)],
                vec![Some(2), Some(2), Some(1), None, None, Some(4)],
            ),
            (
                Method::Pm25So2Sum,
                vec![Some(50.0), Some(55.0), Some(45.0), None, None, Some(60.0)],
                vec![Some(2), Some(3), Some(1), None, None, Some(4)],
            ),
            (
                Method::Pm25,
                vec![Some(40.0), Some(35.0), Some(40.0), None, None, Some(30.0)],
                vec![Some(3), Some(2), Some(3), None, None, Some(1)],
            ),
            (
                // (50-40)/50 = 20.0 %, 0.0 %, 0.0 %; the last has no baseline.
                Method::Improvement,
                vec![Some(20.0), Some(0.0), Some(0.0), None, None, None],
                vec![Some(1), Some(2), Some(2), None, None, None],
            ),
        ];
        for (method, values, want) in cases {
            let c = Config {
                method,
                ..Config::default()
            };
            let p = rank(&rows, &c);
            assert_eq!(
                p.iter().map(|x| x.value).collect::<Vec<_>>(),
                values,
                "{method}"
            );
            assert_eq!(ranks(&p), want, "{method}");
            assert_eq!(p[3].unranked, Some(Unranked::NoValidData), "{method}");
            assert_eq!(p[4].unranked, Some(Unranked::NoStation), "{method}");
            assert!(p.iter().all(|x| x.rank != Some(0)));
        }
        let imp = rank(
            &rows,
            &Config {
                method: Method::Improvement,
                ..Config::default()
            },
        );
        assert_eq!(imp[5].unranked, Some(Unranked::NoBaseline));
    }

    #[test]
    fn the_weighted_score_averages_the_parts_ranks_by_their_weights() {
        let rows = [
            unit(Some(40.0), Some(10.0), Some(4.0), Some(50.0)),
            unit(Some(30.0), Some(10.0), Some(5.0), Some(30.0)),
            unit(Some(35.0), Some(10.0), Some(3.0), None),
        ];
        // Ranks: composite 2, 3, 1; PM2.5 3, 1, 2; improvement (20 %, 0 %) 1, 2, none.
        let cases = [
            (
                Weights::default(),
                // 0.4·2 + 0.3·3 + 0.3·1 = 2.0; 0.4·3 + 0.3·1 + 0.3·2 = 2.1; no baseline.
                vec![Some(2.0), Some(2.1), None],
                vec![Some(1), Some(2), None],
            ),
            (
                Weights {
                    composite_index: 1.0,
                    pm25_so2_sum: 0.0,
                    pm25: 1.0,
                    improvement: 0.0,
                },
                // (2 + 3) / 2, (3 + 1) / 2, (1 + 2) / 2.
                vec![Some(2.5), Some(2.0), Some(1.5)],
                vec![Some(3), Some(2), Some(1)],
            ),
        ];
        for (weights, values, want) in cases {
            let c = Config {
                method: Method::Weighted,
                weights,
                ..Config::default()
            };
            let p = rank(&rows, &c);
            assert_eq!(p.iter().map(|x| x.value).collect::<Vec<_>>(), values);
            assert_eq!(ranks(&p), want);
        }
    }

    #[test]
    fn improvement_on_the_composite_basis_uses_last_years_composite_index() {
        let mut f = unit(Some(40.0), Some(10.0), Some(4.5), Some(40.0));
        f.composite_index_last_year = Some(5.0);
        assert_eq!(
            figure(&f, Method::Improvement, Basis::CompositeIndex),
            Ok(10.0)
        );
        assert_eq!(figure(&f, Method::Improvement, Basis::Pm25), Ok(0.0));
    }

    #[test]
    fn every_method_states_a_formula_and_parses_from_its_name() {
        let c = Config::default();
        for m in Method::ALL {
            assert_eq!(Method::parse(m.as_str()), Some(*m));
            assert!(m.formula_zh(&c).contains("排名"), "{m}");
            assert!(m.formula_en(&c).contains("ranks first"), "{m}");
        }
        assert!(Method::Weighted.formula_zh(&c).contains("0.4"));
        assert!(Weights::default().check().is_ok());
        let zero = Weights {
            composite_index: 0.0,
            pm25_so2_sum: 0.0,
            pm25: 0.0,
            improvement: 0.0,
        };
        assert!(zero.check().is_err());
    }

    #[test]
    fn penalties_grow_with_the_gap_and_the_months_missed_in_a_row() {
        let r = SanctionRules::default();
        for (gap, months, want) in [
            (0.1, 1, Sanction::Interview),
            (9.9, 1, Sanction::Interview),
            (10.0, 1, Sanction::Criticism),
            (5.0, 2, Sanction::Criticism),
            (19.9, 2, Sanction::Criticism),
            (20.0, 1, Sanction::Accountability),
            (1.0, 3, Sanction::Accountability),
        ] {
            assert_eq!(sanction(gap, months, &r), want, "{gap} {months}");
        }
        assert_eq!(gap_pct(Some(44.0), Some(40.0)), Some(10.0));
        assert_eq!(gap_pct(Some(72.0), Some(80.0)), Some(10.0));
        assert_eq!(gap_pct(None, Some(40.0)), None);
        assert_eq!(change_pct(Some(36.0), Some(40.0)), Some(-10.0));
        assert_eq!(change_pct(Some(36.0), None), None);
    }
}
