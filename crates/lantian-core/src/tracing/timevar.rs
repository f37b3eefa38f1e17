//! Time variation (openair's `timeVariation`): the mean concentration by hour of day,
//! weekday and month, each with its hours and a 95 % confidence interval mean ± t·s/√n.
//! docs/tracing.md "Time variation".

use super::Hour;
use super::annulus::{hour_of_day, mean_sd};
use serde::Serialize;

/// The Student t quantile of 0.975 for 1 to 30 degrees of freedom (R's `qt(0.975, 1:30)`).
const T975: [f64; 30] = [
    12.706204736174694,
    4.302652729749462,
    3.182446305283708,
    2.7764451051977934,
    2.5705818356363137,
    2.446911851144969,
    2.3646242515927844,
    2.306004135204166,
    2.262157162798205,
    2.228138851986274,
    2.200985160091639,
    2.1788128296672284,
    2.1603686564627917,
    2.144786687917804,
    2.131449545559775,
    2.119905299221254,
    2.1098155778333165,
    2.100922040241038,
    2.093024054408309,
    2.085963447265865,
    2.07961384472768,
    2.073873067904026,
    2.068657610419048,
    2.0638985616280254,
    2.059538552753298,
    2.0555294386428726,
    2.051830516480285,
    2.0484071417952445,
    2.0452296421327034,
    2.0422724563012378,
];

/// The 0.975 quantile of Student's t with `df` degrees of freedom: exact (to double
/// precision) for df ≤ 30, else the Cornish–Fisher expansion in 1/df to the fourth order
/// (error below 3·10⁻⁸ at df = 31, falling as df⁻⁵). NaN for df = 0.
pub fn t_975(df: usize) -> f64 {
    if df == 0 {
        return f64::NAN;
    }
    if df <= T975.len() {
        return T975[df - 1];
    }
    let z = super::cpf::Z_95;
    let v = df as f64;
    let (z3, z5, z7, z9) = (z.powi(3), z.powi(5), z.powi(7), z.powi(9));
    z + (z3 + z) / (4.0 * v)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * v * v)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * v.powi(3))
        + (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z) / (92_160.0 * v.powi(4))
}

/// One group (an hour of day, a weekday or a month).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Group {
    /// Hour 0–23 (the hour's start, 北京时间), weekday 1–7 (Monday = 1, ISO 8601) or month 1–12.
    pub key: u32,
    pub n: usize,
    /// NaN when `n = 0`.
    pub mean: f64,
    pub sd: f64,
    /// mean ∓ t(0.975, n − 1)·sd/√n (NaN when `n < 2`).
    pub ci_low: f64,
    pub ci_high: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimeVariation {
    pub n_counted: usize,
    pub hour: Vec<Group>,
    pub weekday: Vec<Group>,
    pub month: Vec<Group>,
    pub method: String,
}

fn groups(values: &[Vec<f64>], first_key: u32) -> Vec<Group> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let (mean, sd) = mean_sd(v);
            let half = t_975(v.len().saturating_sub(1)) * sd / (v.len() as f64).sqrt();
            Group {
                key: first_key + i as u32,
                n: v.len(),
                mean,
                sd,
                ci_low: mean - half,
                ci_high: mean + half,
            }
        })
        .collect()
}

/// The time variation of every hour with a concentration (the wind is not needed).
pub fn time_variation(hours: &[Hour]) -> TimeVariation {
    let mut by_hour = vec![Vec::new(); 24];
    let mut by_weekday = vec![Vec::new(); 7];
    let mut by_month = vec![Vec::new(); 12];
    for h in hours.iter().filter(|h| h.conc.is_finite()) {
        let date = crate::cst::date_of(h.ts);
        // 1970-01-01 was a Thursday (ISO weekday 4).
        let weekday = (date.days_since_epoch() + 3).rem_euclid(7) as usize;
        by_hour[hour_of_day(h.ts)].push(h.conc);
        by_weekday[weekday].push(h.conc);
        by_month[date.month() as usize - 1].push(h.conc);
    }
    TimeVariation {
        n_counted: by_hour.iter().map(Vec::len).sum(),
        hour: groups(&by_hour, 0),
        weekday: groups(&by_weekday, 1),
        month: groups(&by_month, 1),
        method:
            "时间变化：按一天中的小时（北京时间，小时起点）、星期（周一 = 1）与月份的平均浓度，\
                 95 % 置信区间 = 均值 ± t(0.975, n − 1)·s/√n；各小时按独立计，\
                 自相关使真实区间更宽 / Time variation: the mean concentration by hour of day \
                 (北京时间, the hour's start), weekday (Monday = 1) and month; 95 % confidence \
                 interval = mean ± t(0.975, n − 1)·s/√n, hours taken as independent (their \
                 autocorrelation makes the true interval wider)"
                .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Date;

    #[test]
    fn t_quantiles_match_r() {
        // R: qt(0.975, c(1, 10, 31, 50, 100, 365)).
        for (df, want) in [
            (1, 12.706_204_736_174_694),
            (10, 2.228_138_851_986_274),
            (31, 2.039_513_446_396_408),
            (50, 2.008_559_112_100_761),
            (100, 1.983_971_518_523_552),
            (365, 1.966_484_596_376_788),
        ] {
            assert!((t_975(df) - want).abs() < 3e-8, "df {df}: {}", t_975(df));
        }
        assert!(t_975(0).is_nan());
    }

    #[test]
    fn groups_by_hour_weekday_and_month_with_intervals() {
        // 2015-01-05 was a Monday.
        let monday = crate::cst::day_start(Date::new(2015, 1, 5).unwrap());
        let hour = |ts: i64, conc: f64| Hour {
            ts,
            conc,
            ws_m_s: f64::NAN,
            wd_deg: f64::NAN,
        };
        let hours = [
            hour(monday, 10.0),
            hour(monday + 3600 * 2, 20.0),
            hour(monday + 86_400 * 6, 30.0),
            hour(monday + 86_400 * 31, 40.0),
            hour(monday + 3600, f64::NAN),
        ];
        let t = time_variation(&hours);
        assert_eq!(t.n_counted, 4);
        assert_eq!((t.hour[0].n, t.hour[0].mean), (3, 80.0 / 3.0));
        assert_eq!((t.hour[2].n, t.hour[2].mean), (1, 20.0));
        assert_eq!(
            (t.weekday[0].key, t.weekday[0].n, t.weekday[0].mean),
            (1, 2, 15.0)
        );
        assert_eq!((t.weekday[6].key, t.weekday[6].mean), (7, 30.0));
        assert_eq!(
            (t.weekday[3].key, t.weekday[3].mean),
            (4, 40.0),
            "2015-02-05 Thursday"
        );
        assert_eq!((t.month[0].n, t.month[0].mean), (3, 20.0));
        assert_eq!((t.month[1].n, t.month[1].mean), (1, 40.0));
        // Weekday 1: 10 and 20, sd = √50, half = 12.706·√50/√2 = 63.53.
        let half = 12.706_204_736_174_694 * 50f64.sqrt() / 2f64.sqrt();
        assert!((t.weekday[0].ci_high - (15.0 + half)).abs() < 1e-9);
        assert!(t.hour[2].ci_low.is_nan());
        assert!(t.month[5].mean.is_nan());
    }
}
