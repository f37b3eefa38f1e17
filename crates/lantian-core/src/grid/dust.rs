//! Dust and machinery rules of the grid (issue 18, plan §4 and §5): site kinds, the
//! "six 100 %" checklist (六个百分之百), exceedance episodes of a site's dust monitor,
//! dustfall against 5 t/km²·month, and the emission stages of non-road machinery.
//!
//! Pure: hours arrive as (CST seconds of the hour's start, value) and every answer is a value.

use crate::org::named_enum;
use serde::Serialize;

/// The plan's dustfall target (§5): at most 5 t/km²·month.
pub const DUSTFALL_LIMIT_T_KM2_MONTH: f64 = 5.0;
/// One hour in seconds, the step between consecutive hours of a monitor's series.
pub const HOUR_S: i64 = 3600;
/// HJ 212 code of PM10 (µg/m³ as stored).
pub const PM10_CODE: &str = "a34002";
/// HJ 212 code of total suspended particulates, TSP (µg/m³ as stored).
pub const TSP_CODE: &str = "a34001";

named_enum! {
    /// What a dust site is.
    SiteKind {
        /// A construction site (建筑工地).
        Construction = "construction",
        /// A road works or a road section (道路).
        Road = "road",
        /// A storage yard (堆场).
        Yard = "yard",
        /// Anything else (其他), e.g. a dustfall sampling point.
        Other = "other",
    }
}

impl SiteKind {
    pub fn name_zh(self) -> &'static str {
        match self {
            SiteKind::Construction => "建筑工地",
            SiteKind::Road => "道路",
            SiteKind::Yard => "堆场",
            SiteKind::Other => "其他",
        }
    }
}

named_enum! {
    /// One item of the "six 100 %" checklist (六个百分之百) checked at an inspection.
    CheckItem {
        /// 施工工地周边围挡: the site is hoarded all round.
        Hoarding = "hoarding",
        /// 物料堆放覆盖: stockpiles are covered.
        Covering = "covering",
        /// 土方开挖湿法作业: earthworks are wet.
        WetWork = "wet_work",
        /// 路面硬化: roads on site are hardened.
        Hardening = "hardening",
        /// 出入车辆清洗: vehicles are washed on leaving.
        Washing = "washing",
        /// 渣土车辆密闭运输: muck trucks are closed.
        SealedTransport = "sealed_transport",
    }
}

impl CheckItem {
    pub fn name_zh(self) -> &'static str {
        match self {
            CheckItem::Hoarding => "施工工地周边围挡",
            CheckItem::Covering => "物料堆放覆盖",
            CheckItem::WetWork => "土方开挖湿法作业",
            CheckItem::Hardening => "路面硬化",
            CheckItem::Washing => "出入车辆清洗",
            CheckItem::SealedTransport => "渣土车辆密闭运输",
        }
    }
}

named_enum! {
    /// The emission stage of a non-road diesel machine (GB 20891: 国一 … 国四).
    Stage {
        Cn1 = "cn1",
        Cn2 = "cn2",
        Cn3 = "cn3",
        Cn4 = "cn4",
    }
}

impl Stage {
    pub fn name_zh(self) -> &'static str {
        match self {
            Stage::Cn1 => "国一",
            Stage::Cn2 => "国二",
            Stage::Cn3 => "国三",
            Stage::Cn4 => "国四",
        }
    }

    /// `cn3`, `国三`, `3`, `III` all name stage 3.
    pub fn parse_loose(text: &str) -> Option<Stage> {
        let t = text.trim();
        Stage::parse(&t.to_ascii_lowercase()).or(match t {
            "国一" | "1" | "I" => Some(Stage::Cn1),
            "国二" | "2" | "II" => Some(Stage::Cn2),
            "国三" | "3" | "III" => Some(Stage::Cn3),
            "国四" | "4" | "IV" => Some(Stage::Cn4),
            _ => None,
        })
    }
}

/// A run of consecutive hours over a site's limit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Episode {
    /// The first hour over the limit (CST seconds of its start).
    pub first_ts: i64,
    /// The last hour over the limit (CST seconds of its start).
    pub last_ts: i64,
    pub n_hours: u32,
    pub peak: f64,
}

/// The episodes of an hourly series (sorted by hour, one value per hour; a missing hour
/// ends a run): runs of at least `hours_min` consecutive hours strictly over `limit`.
pub fn episodes(hours: &[(i64, f64)], limit: f64, hours_min: u32) -> Vec<Episode> {
    let mut out = Vec::new();
    let mut run: Option<Episode> = None;
    let close = |run: Option<Episode>, out: &mut Vec<Episode>| {
        if let Some(e) = run
            && e.n_hours >= hours_min.max(1)
        {
            out.push(e);
        }
    };
    for &(ts, v) in hours {
        let over = v.is_finite() && v > limit;
        run = match (run, over) {
            (Some(mut e), true) if ts == e.last_ts + HOUR_S => {
                e.last_ts = ts;
                e.n_hours += 1;
                e.peak = e.peak.max(v);
                Some(e)
            }
            (prev, true) => {
                close(prev, &mut out);
                Some(Episode {
                    first_ts: ts,
                    last_ts: ts,
                    n_hours: 1,
                    peak: v,
                })
            }
            (prev, false) => {
                close(prev, &mut out);
                None
            }
        };
    }
    close(run, &mut out);
    out
}

/// Whether a month's dustfall exceeds the plan's 5 t/km²·month (5.0 itself meets it:
/// "不高于").
pub fn dustfall_over(value_t_km2: f64) -> bool {
    value_t_km2 > DUSTFALL_LIMIT_T_KM2_MONTH
}

/// The mean of the sites' dustfall of a month, `None` without any value.
pub fn dustfall_mean(values: &[f64]) -> Option<f64> {
    let v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(start: i64, values: &[f64]) -> Vec<(i64, f64)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (start + i as i64 * HOUR_S, *v))
            .collect()
    }

    /// (values from t0, limit, hours_min, expected (first hour index, n_hours, peak)).
    type Case = (Vec<f64>, f64, u32, Vec<(i64, u32, f64)>);

    #[test]
    fn episodes_are_runs_of_consecutive_hours_strictly_over_the_limit() {
        let t0 = 1_000 * HOUR_S;
        // (values from t0, limit, hours_min, expected (first hour index, n_hours, peak))
        let cases: Vec<Case> = vec![
            (
                vec![100.0, 200.0, 210.0, 220.0, 90.0],
                150.0,
                3,
                vec![(1, 3, 220.0)],
            ),
            // Two hours only: no episode.
            (vec![200.0, 210.0, 90.0, 200.0], 150.0, 3, vec![]),
            // At the limit is not over it.
            (vec![150.0, 150.0, 150.0], 150.0, 1, vec![]),
            // A run at the end of the series counts.
            (
                vec![90.0, 160.0, 170.0, 180.0],
                150.0,
                3,
                vec![(1, 3, 180.0)],
            ),
            // Two runs.
            (
                vec![160.0, 170.0, 100.0, 300.0, 310.0],
                150.0,
                2,
                vec![(0, 2, 170.0), (3, 2, 310.0)],
            ),
            // NaN (an invalid hour) ends a run.
            (
                vec![160.0, f64::NAN, 170.0, 180.0],
                150.0,
                2,
                vec![(2, 2, 180.0)],
            ),
            // hours_min 0 is read as 1.
            (vec![160.0], 150.0, 0, vec![(0, 1, 160.0)]),
        ];
        for (values, limit, min, want) in cases {
            let got = episodes(&series(t0, &values), limit, min);
            let got: Vec<(i64, u32, f64)> = got
                .iter()
                .map(|e| ((e.first_ts - t0) / HOUR_S, e.n_hours, e.peak))
                .collect();
            assert_eq!(got, want, "{values:?} limit {limit} min {min}");
        }
    }

    #[test]
    fn a_missing_hour_breaks_an_episode() {
        let t0 = 7 * HOUR_S;
        // Hours 0, 1, then 3, 4: the gap at hour 2 splits them; neither run reaches 3.
        let hours = vec![
            (t0, 200.0),
            (t0 + HOUR_S, 200.0),
            (t0 + 3 * HOUR_S, 200.0),
            (t0 + 4 * HOUR_S, 200.0),
        ];
        assert!(episodes(&hours, 150.0, 3).is_empty());
        let e = episodes(&hours, 150.0, 2);
        assert_eq!(
            e.iter().map(|e| e.first_ts).collect::<Vec<_>>(),
            vec![t0, t0 + 3 * HOUR_S]
        );
        assert_eq!(e[1].last_ts, t0 + 4 * HOUR_S);
    }

    #[test]
    fn dustfall_above_5_t_per_km2_month_is_over_and_5_itself_meets_it() {
        for (v, over) in [(4.9, false), (5.0, false), (5.01, true), (7.5, true)] {
            assert_eq!(dustfall_over(v), over, "{v}");
        }
        assert_eq!(dustfall_mean(&[4.0, 6.0, 8.0]), Some(6.0));
        assert_eq!(dustfall_mean(&[]), None);
        assert_eq!(dustfall_mean(&[f64::NAN, 3.0]), Some(3.0));
    }

    #[test]
    fn stages_read_in_every_spelling() {
        for (text, stage) in [
            ("cn3", Some(Stage::Cn3)),
            ("国四", Some(Stage::Cn4)),
            ("II", Some(Stage::Cn2)),
            ("1", Some(Stage::Cn1)),
            ("国五", None),
        ] {
            assert_eq!(Stage::parse_loose(text), stage, "{text}");
        }
    }
}
