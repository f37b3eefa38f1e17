//! The conditional probability function by wind sector (CPF, Ashbaugh, Malm and Sadeh 1985)
//! and its bivariate form by sector × wind-speed bin (CBPF, Uria-Tellaetxe and Carslaw 2014),
//! with the parameter checks shared by the receptor methods. docs/tracing.md "CPF and CBPF".

use super::{Hour, sector_edges, sector_of};
use crate::percentile::percentile_of_sorted;
use serde::Serialize;
use std::fmt;

/// The default percentile of the CPF threshold.
pub const PERCENTILE_DEFAULT: f64 = 75.0;
/// The default number of wind sectors (the 16 compass points).
pub const SECTORS_DEFAULT: usize = 16;
/// The most wind sectors a method accepts (one per degree).
pub const SECTORS_MAX: usize = 360;
/// The normal deviate of a two-sided 95 % interval.
pub const Z_95: f64 = 1.959_963_984_540_054;
/// The default width of the CBPF's wind-speed bins, m/s.
pub const CBPF_WS_STEP_DEFAULT_M_S: f64 = 1.0;

/// A parameter outside its range: which, its value and what it must be.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamError {
    pub name: &'static str,
    pub value: f64,
    pub expected: &'static str,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.name, self.value, self.expected)
    }
}

impl std::error::Error for ParamError {}

/// Checks `value` with `ok`, naming the parameter and its range when it fails.
pub fn check(
    name: &'static str,
    value: f64,
    ok: bool,
    expected: &'static str,
) -> Result<(), ParamError> {
    if ok && !value.is_nan() {
        Ok(())
    } else {
        Err(ParamError {
            name,
            value,
            expected,
        })
    }
}

/// Checks a number of sectors (1 to [`SECTORS_MAX`]).
pub fn check_sectors(n: usize) -> Result<(), ParamError> {
    check(
        "sectors",
        n as f64,
        (1..=SECTORS_MAX).contains(&n),
        "the number of wind sectors must be 1 to 360",
    )
}

/// Checks a calm threshold (a finite wind speed ≥ 0 m/s).
pub fn check_calm(calm_m_s: f64) -> Result<(), ParamError> {
    check(
        "calm",
        calm_m_s,
        calm_m_s.is_finite() && calm_m_s >= 0.0,
        "the calm threshold must be a wind speed of 0 m/s or more",
    )
}

/// Whether an hour counts in a wind sector: it has a concentration, a direction and a wind
/// speed at or above the calm threshold.
pub fn directional(h: &Hour, calm_m_s: f64) -> bool {
    h.complete() && h.ws_m_s >= calm_m_s
}

/// The Wilson score interval (95 %) of a proportion `k / n`; NaN for `n = 0`.
pub fn wilson_95(k: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = Z_95 * Z_95;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z_95 / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// One wind sector of a CPF.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CpfSector {
    /// 0 = north, clockwise.
    pub sector: usize,
    pub from_deg: f64,
    pub to_deg: f64,
    /// Hours in the sector with a concentration, a direction and a speed ≥ the calm threshold.
    pub n: usize,
    /// Of those, hours with the concentration strictly above the threshold.
    pub n_above: usize,
    /// `n_above / n` (NaN when `n = 0`).
    pub cpf: f64,
    /// The Wilson 95 % interval of `cpf`, treating hours as independent.
    pub cpf_low: f64,
    pub cpf_high: f64,
}

/// A CPF: the threshold and one entry per sector.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cpf {
    pub percentile: f64,
    /// The percentile (HJ 663 Appendix A) of the concentrations of all hours counted in any
    /// sector; `None` when no hour counts.
    pub threshold: Option<f64>,
    pub calm_m_s: f64,
    /// Hours counted in a sector.
    pub n_counted: usize,
    /// Hours with a concentration and a wind speed below the calm threshold.
    pub n_calm: usize,
    pub sectors: Vec<CpfSector>,
    pub method: String,
}

/// The CPF of `hours` over `n_sectors` sectors centred on the compass points. The
/// percentile must be above 0 and below 100.
pub fn cpf(
    hours: &[Hour],
    percentile: f64,
    n_sectors: usize,
    calm_m_s: f64,
) -> Result<Cpf, ParamError> {
    check(
        "percentile",
        percentile,
        percentile > 0.0 && percentile < 100.0,
        "the percentile must be above 0 and below 100",
    )?;
    check_sectors(n_sectors)?;
    check_calm(calm_m_s)?;
    let counted: Vec<&Hour> = hours.iter().filter(|h| directional(h, calm_m_s)).collect();
    let n_calm = hours
        .iter()
        .filter(|h| h.conc.is_finite() && h.ws_m_s.is_finite() && h.ws_m_s < calm_m_s)
        .count();
    let mut conc: Vec<f64> = counted.iter().map(|h| h.conc).collect();
    conc.sort_unstable_by(f64::total_cmp);
    let threshold = percentile_of_sorted(&conc, percentile);
    let mut n = vec![0usize; n_sectors];
    let mut above = vec![0usize; n_sectors];
    for h in &counted {
        let k = sector_of(h.wd_deg, n_sectors);
        n[k] += 1;
        if threshold.is_some_and(|t| h.conc > t) {
            above[k] += 1;
        }
    }
    let sectors = (0..n_sectors)
        .map(|k| {
            let (from_deg, to_deg) = sector_edges(k, n_sectors);
            let (cpf_low, cpf_high) = wilson_95(above[k], n[k]);
            CpfSector {
                sector: k,
                from_deg,
                to_deg,
                n: n[k],
                n_above: above[k],
                cpf: ratio(above[k], n[k]),
                cpf_low,
                cpf_high,
            }
        })
        .collect();
    Ok(Cpf {
        percentile,
        threshold,
        calm_m_s,
        n_counted: counted.len(),
        n_calm,
        sectors,
        method: format!(
            "条件概率函数（CPF，Ashbaugh 等 1985）：{n_sectors} 个以罗盘方位为中心的风向扇区，\
             阈值为所有计入扇区小时浓度的第 {percentile} 百分位数（HJ 663 附录 A），\
             CPF = 扇区内浓度严格高于阈值的小时数 / 扇区小时数；风速低于 {calm_m_s} m/s 为静风，不计入；\
             区间为 Wilson 95 % 区间（按小时独立计） / \
             Conditional probability function (CPF, Ashbaugh et al. 1985): {n_sectors} wind \
             sectors centred on the compass points; threshold = the {percentile}th percentile \
             (HJ 663 Appendix A) of the concentrations of all hours counted in any sector; \
             CPF = hours in the sector strictly above the threshold / hours in the sector; \
             wind below {calm_m_s} m/s is calm and not counted; interval: Wilson 95 % \
             (hours taken as independent)"
        ),
    })
}

fn ratio(k: usize, n: usize) -> f64 {
    if n == 0 {
        f64::NAN
    } else {
        k as f64 / n as f64
    }
}

/// One cell of a CBPF: a sector × a wind-speed bin.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CbpfCell {
    pub sector: usize,
    pub from_deg: f64,
    pub to_deg: f64,
    /// The speed bin [ws_from, ws_to) in m/s (the last bin also holds faster hours when the
    /// bins were capped).
    pub ws_from_m_s: f64,
    pub ws_to_m_s: f64,
    /// Hours counted in the cell.
    pub n: usize,
    /// Of those, hours with `lower ≤ conc < upper` (`≤ upper` when the upper percentile is 100).
    pub n_in: usize,
    /// `n_in / n` (NaN when `n = 0`).
    pub cbpf: f64,
    pub cbpf_low: f64,
    pub cbpf_high: f64,
}

/// A CBPF: the concentration range and the cells (sector-major, speed bins inside).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cbpf {
    pub lower_percentile: f64,
    pub upper_percentile: f64,
    /// The concentrations at the two percentiles; `None` when no hour counts.
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub calm_m_s: f64,
    pub ws_step_m_s: f64,
    pub n_counted: usize,
    pub n_calm: usize,
    pub cells: Vec<CbpfCell>,
    pub method: String,
}

/// The CBPF of `hours`: sectors × speed bins of width `ws_step_m_s` starting at 0 m/s (the
/// first bin holds only hours at or above the calm threshold), as many bins as the fastest
/// counted hour needs, or `ws_bins_max` bins with the last one open.
pub fn cbpf(
    hours: &[Hour],
    lower_percentile: f64,
    upper_percentile: f64,
    n_sectors: usize,
    calm_m_s: f64,
    ws_step_m_s: f64,
    ws_bins_max: Option<usize>,
) -> Result<Cbpf, ParamError> {
    check(
        "lower percentile",
        lower_percentile,
        (0.0..100.0).contains(&lower_percentile),
        "the lower percentile must be 0 or more and below 100",
    )?;
    check(
        "upper percentile",
        upper_percentile,
        upper_percentile > lower_percentile && upper_percentile <= 100.0,
        "the upper percentile must be above the lower one and at most 100",
    )?;
    check_sectors(n_sectors)?;
    check_calm(calm_m_s)?;
    check(
        "ws step",
        ws_step_m_s,
        ws_step_m_s.is_finite() && ws_step_m_s > 0.0,
        "the wind-speed bin width must be above 0 m/s",
    )?;
    if let Some(m) = ws_bins_max {
        check("ws bins", m as f64, m >= 1, "at least one wind-speed bin")?;
    }
    let counted: Vec<&Hour> = hours.iter().filter(|h| directional(h, calm_m_s)).collect();
    let n_calm = hours
        .iter()
        .filter(|h| h.conc.is_finite() && h.ws_m_s.is_finite() && h.ws_m_s < calm_m_s)
        .count();
    let mut conc: Vec<f64> = counted.iter().map(|h| h.conc).collect();
    conc.sort_unstable_by(f64::total_cmp);
    let lower = percentile_of_sorted(&conc, lower_percentile);
    let upper = percentile_of_sorted(&conc, upper_percentile);
    let bin_of = |ws: f64| (ws / ws_step_m_s).floor() as usize;
    let needed = counted
        .iter()
        .map(|h| bin_of(h.ws_m_s) + 1)
        .max()
        .unwrap_or(1);
    let n_bins = ws_bins_max.map_or(needed, |m| m.min(needed));
    let mut n = vec![0usize; n_sectors * n_bins];
    let mut inside = vec![0usize; n_sectors * n_bins];
    let top_closed = upper_percentile >= 100.0;
    for h in &counted {
        let i = sector_of(h.wd_deg, n_sectors) * n_bins + bin_of(h.ws_m_s).min(n_bins - 1);
        n[i] += 1;
        if let (Some(lo), Some(hi)) = (lower, upper)
            && h.conc >= lo
            && (h.conc < hi || (top_closed && h.conc <= hi))
        {
            inside[i] += 1;
        }
    }
    let mut cells = Vec::with_capacity(n.len());
    for k in 0..n_sectors {
        let (from_deg, to_deg) = sector_edges(k, n_sectors);
        for b in 0..n_bins {
            let i = k * n_bins + b;
            let (cbpf_low, cbpf_high) = wilson_95(inside[i], n[i]);
            cells.push(CbpfCell {
                sector: k,
                from_deg,
                to_deg,
                ws_from_m_s: b as f64 * ws_step_m_s,
                ws_to_m_s: (b + 1) as f64 * ws_step_m_s,
                n: n[i],
                n_in: inside[i],
                cbpf: ratio(inside[i], n[i]),
                cbpf_low,
                cbpf_high,
            });
        }
    }
    let top = if top_closed { "]" } else { ")" };
    Ok(Cbpf {
        lower_percentile,
        upper_percentile,
        lower,
        upper,
        calm_m_s,
        ws_step_m_s,
        n_counted: counted.len(),
        n_calm,
        cells,
        method: format!(
            "条件双变量概率函数（CBPF，Uria-Tellaetxe 与 Carslaw 2014）：{n_sectors} 个风向扇区 × \
             {ws_step_m_s} m/s 风速区间，CBPF = 格内浓度位于 [P{lower_percentile}, P{upper_percentile}{top} \
             的小时数 / 格内小时数（百分位数按 HJ 663 附录 A，取自所有计入小时）；不平滑；\
             风速低于 {calm_m_s} m/s 为静风，不计入 / \
             Conditional bivariate probability function (CBPF, Uria-Tellaetxe and Carslaw \
             2014): {n_sectors} wind sectors × {ws_step_m_s} m/s speed bins; CBPF = hours in the \
             cell with the concentration in [P{lower_percentile}, P{upper_percentile}{top} / hours \
             in the cell (percentiles per HJ 663 Appendix A over all counted hours); not \
             smoothed; wind below {calm_m_s} m/s is calm and not counted"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hour(conc: f64, ws: f64, wd: f64) -> Hour {
        Hour {
            ts: 0,
            conc,
            ws_m_s: ws,
            wd_deg: wd,
        }
    }

    /// Eight hours: two calm, one without a direction, five counted (north ×3, east ×2).
    fn sample() -> Vec<Hour> {
        vec![
            hour(10.0, 2.0, 0.0),
            hour(20.0, 2.0, 10.0),
            hour(30.0, 2.0, 350.0),
            hour(40.0, 3.0, 90.0),
            hour(50.0, 5.0, 100.0),
            hour(99.0, 0.2, 0.0),
            hour(99.0, 0.0, f64::NAN),
            hour(99.0, 2.0, f64::NAN),
            hour(f64::NAN, 2.0, 0.0),
        ]
    }

    #[test]
    fn cpf_counts_hours_strictly_above_the_percentile_of_the_counted_hours() {
        // Counted concentrations 10..50: P75 = 40 (k = 1 + 4·0.75 = 4); P50 = 30.
        for (p, threshold, north_above, east_above) in
            [(75.0, 40.0, 0, 1), (50.0, 30.0, 0, 2), (20.0, 18.0, 2, 2)]
        {
            let c = cpf(&sample(), p, 4, 0.5).unwrap();
            assert_eq!(c.threshold, Some(threshold), "P{p}");
            assert_eq!((c.n_counted, c.n_calm), (5, 2));
            assert_eq!((c.sectors[0].n, c.sectors[0].n_above), (3, north_above));
            assert_eq!((c.sectors[1].n, c.sectors[1].n_above), (2, east_above));
            assert_eq!(c.sectors[1].cpf, east_above as f64 / 2.0);
            assert!(c.sectors[2].cpf.is_nan() && c.sectors[2].n == 0);
            assert_eq!((c.sectors[1].from_deg, c.sectors[1].to_deg), (45.0, 135.0));
        }
    }

    #[test]
    fn a_calm_threshold_of_zero_counts_every_hour_with_a_direction() {
        let c = cpf(&sample(), 75.0, 4, 0.0).unwrap();
        assert_eq!((c.n_counted, c.n_calm), (6, 0));
        assert_eq!(c.sectors[0].n, 4);
    }

    #[test]
    fn bad_parameters_are_errors_naming_the_parameter() {
        for (p, n, calm, want) in [
            (
                0.0,
                16,
                0.5,
                "percentile 0: the percentile must be above 0 and below 100",
            ),
            (101.0, 16, 0.5, "percentile 101"),
            (100.0, 16, 0.5, "percentile 100"),
            (f64::NAN, 16, 0.5, "percentile NaN"),
            (75.0, 0, 0.5, "sectors 0"),
            (75.0, 361, 0.5, "sectors 361"),
            (75.0, 16, -1.0, "calm -1"),
        ] {
            let e = cpf(&sample(), p, n, calm).unwrap_err().to_string();
            assert!(e.starts_with(want), "{e}");
        }
    }

    #[test]
    fn no_counted_hour_gives_no_threshold_and_empty_sectors() {
        let c = cpf(&[hour(5.0, 0.1, 0.0)], 75.0, 8, 0.5).unwrap();
        assert_eq!(c.threshold, None);
        assert!(c.sectors.iter().all(|s| s.n == 0 && s.cpf.is_nan()));
    }

    #[test]
    fn wilson_intervals_match_hand_computed_values() {
        // k = 5, n = 10: centre 0.5, half = 1.96/(1+0.38415)·√(0.025+0.0096) = 0.2632.
        let (lo, hi) = wilson_95(5, 10);
        assert!(
            (lo - 0.236_593).abs() < 1e-5 && (hi - 0.763_407).abs() < 1e-5,
            "{lo} {hi}"
        );
        let (lo, hi) = wilson_95(0, 10);
        assert!(lo == 0.0 && (hi - 0.277_533).abs() < 1e-5, "{hi}");
        assert!(wilson_95(0, 0).0.is_nan());
    }

    #[test]
    fn cbpf_counts_the_range_per_sector_and_speed_bin() {
        // Counted: N 2 m/s ×3 (10, 20, 30), E 3 m/s (40), E 5 m/s (50); P50 = 30, P100 = 50.
        let c = cbpf(&sample(), 50.0, 100.0, 4, 0.5, 2.0, None).unwrap();
        assert_eq!((c.lower, c.upper), (Some(30.0), Some(50.0)));
        let cell = |k: usize, b: usize| {
            let x = c
                .cells
                .iter()
                .find(|x| x.sector == k && x.ws_from_m_s == b as f64 * 2.0);
            x.map(|x| (x.n, x.n_in)).unwrap()
        };
        assert_eq!(c.cells.len(), 4 * 3, "bins 0-2, 2-4, 4-6");
        assert_eq!(cell(0, 1), (3, 1), "30 is in [30, 50]");
        assert_eq!(cell(1, 1), (1, 1));
        assert_eq!(cell(1, 2), (1, 1), "50 = P100 is in the closed top");
        // [P25, P75) = [20, 40): north 20 and 30 in, east 40 out.
        let c = cbpf(&sample(), 25.0, 75.0, 4, 0.5, 2.0, Some(2)).unwrap();
        assert_eq!(c.cells.len(), 8, "capped at two bins, the last open");
        let n_in: Vec<(usize, usize)> = c.cells.iter().map(|x| (x.n, x.n_in)).collect();
        assert_eq!(&n_in[..4], &[(0, 0), (3, 2), (0, 0), (2, 0)]);
        assert!(cbpf(&sample(), 75.0, 75.0, 4, 0.5, 1.0, None).is_err());
        assert!(cbpf(&sample(), 75.0, 100.0, 4, 0.5, 0.0, None).is_err());
    }
}
