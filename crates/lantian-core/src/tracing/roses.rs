//! Roses: the wind rose (frequency by wind sector × speed bin, calms apart), the pollution
//! rose (frequency by sector × concentration bin, and the mean per sector) and the
//! percentile rose (percentiles per sector), as openair's `windRose`, `pollutionRose` and
//! `percentileRose` count them, unsmoothed. docs/tracing.md "Roses".

use super::cpf::{ParamError, check, check_calm, check_sectors, directional};
use super::{Hour, sector_edges, sector_of};
use crate::percentile::percentile_of_sorted;
use serde::Serialize;

/// The default percentiles of the percentile rose.
pub const PERCENTILES_DEFAULT: [f64; 5] = [25.0, 50.0, 75.0, 90.0, 95.0];
/// The default upper edges of the wind rose's speed bins above the calm threshold, m/s
/// (the last bin is open): [calm, 2), [2, 4), [4, 6), [6, ∞).
pub const WS_BREAKS_DEFAULT_M_S: [f64; 3] = [2.0, 4.0, 6.0];

/// One cell of a rose: a sector × a bin [lower, upper) (`upper` infinite for the last bin).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RoseCell {
    pub sector: usize,
    pub from_deg: f64,
    pub to_deg: f64,
    pub bin: usize,
    pub lower: f64,
    /// `None` for the open last bin.
    pub upper: Option<f64>,
    pub n: usize,
    /// `n` as a percentage of the rose's total (`n_total`).
    pub percent: f64,
}

/// A wind rose or a pollution rose.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rose {
    /// "wind" or "pollution".
    pub kind: &'static str,
    pub calm_m_s: f64,
    /// Bin edges: each bin is [edges[i], edges[i+1]), the last [edges[last], ∞).
    pub edges: Vec<f64>,
    /// Hours counted in a cell.
    pub n_counted: usize,
    /// Hours with a speed below the calm threshold (and, for the pollution rose, a
    /// concentration).
    pub n_calm: usize,
    /// Hours at or above the calm threshold without a direction (`cv`, calm and variable).
    pub n_no_direction: usize,
    /// The base of the percentages: counted + calm hours.
    pub n_total: usize,
    pub cells: Vec<RoseCell>,
    /// Per sector (pollution rose only): the mean concentration and its hours.
    pub sector_means: Vec<SectorMean>,
    pub method: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SectorMean {
    pub sector: usize,
    pub from_deg: f64,
    pub to_deg: f64,
    pub n: usize,
    /// NaN when `n = 0`.
    pub mean: f64,
}

fn check_edges(edges: &[f64]) -> Result<(), ParamError> {
    check(
        "bins",
        edges.len() as f64,
        !edges.is_empty(),
        "at least one bin edge",
    )?;
    for w in edges.windows(2) {
        check(
            "bin edge",
            w[1],
            w[1] > w[0],
            "bin edges must increase strictly",
        )?;
    }
    for &e in edges {
        check("bin edge", e, e.is_finite(), "bin edges must be finite")?;
    }
    Ok(())
}

/// The bin of `v` among `edges` (None below the first edge).
fn bin_of(v: f64, edges: &[f64]) -> Option<usize> {
    edges.iter().rposition(|&e| v >= e)
}

fn cells(counts: &[usize], n_sectors: usize, edges: &[f64], n_total: usize) -> Vec<RoseCell> {
    let n_bins = edges.len();
    let mut out = Vec::with_capacity(counts.len());
    for k in 0..n_sectors {
        let (from_deg, to_deg) = sector_edges(k, n_sectors);
        for b in 0..n_bins {
            let n = counts[k * n_bins + b];
            out.push(RoseCell {
                sector: k,
                from_deg,
                to_deg,
                bin: b,
                lower: edges[b],
                upper: edges.get(b + 1).copied(),
                n,
                percent: percent(n, n_total),
            });
        }
    }
    out
}

fn percent(n: usize, total: usize) -> f64 {
    if total == 0 {
        f64::NAN
    } else {
        100.0 * n as f64 / total as f64
    }
}

/// The wind rose: every hour with a wind speed and direction (the concentration is not
/// needed) counted by sector and speed bin; the bins are [calm, b1), [b1, b2), …, [bk, ∞)
/// for `ws_breaks_m_s` = b1 < … < bk (all above the calm threshold).
pub fn wind_rose(
    hours: &[Hour],
    n_sectors: usize,
    calm_m_s: f64,
    ws_breaks_m_s: &[f64],
) -> Result<Rose, ParamError> {
    check_sectors(n_sectors)?;
    check_calm(calm_m_s)?;
    let mut edges = vec![calm_m_s];
    edges.extend_from_slice(ws_breaks_m_s);
    check_edges(&edges)?;
    let n_bins = edges.len();
    let mut counts = vec![0usize; n_sectors * n_bins];
    let (mut n_counted, mut n_calm, mut n_no_direction) = (0, 0, 0);
    for h in hours {
        if !h.ws_m_s.is_finite() {
            continue;
        }
        if h.ws_m_s < calm_m_s {
            n_calm += 1;
        } else if !h.wd_deg.is_finite() {
            n_no_direction += 1;
        } else if let Some(b) = bin_of(h.ws_m_s, &edges) {
            counts[sector_of(h.wd_deg, n_sectors) * n_bins + b] += 1;
            n_counted += 1;
        }
    }
    let n_total = n_counted + n_calm;
    Ok(Rose {
        kind: "wind",
        calm_m_s,
        n_counted,
        n_calm,
        n_no_direction,
        n_total,
        cells: cells(&counts, n_sectors, &edges, n_total),
        edges,
        sector_means: Vec::new(),
        method: format!(
            "风玫瑰：{n_sectors} 个以罗盘方位为中心的风向扇区 × 风速区间，频率 = 格内小时数 / \
             （计入小时数 + 静风小时数）；风速低于 {calm_m_s} m/s 为静风，单独计数；\
             有风速无风向（cv）的小时单独计数，不入分母 / \
             Wind rose: {n_sectors} wind sectors centred on the compass points × wind-speed bins; \
             frequency = hours in the cell / (counted + calm hours); wind below {calm_m_s} m/s \
             is calm, counted apart; hours with a speed but no direction (cv) are counted apart \
             and not in the base"
        ),
    })
}

/// The pollution rose: hours with a concentration, a direction and a speed at or above the
/// calm threshold, counted by sector and concentration bin [c_i, c_{i+1}) (the last bin
/// open; concentrations below the first edge are not in a cell but are in the means), and
/// the mean concentration per sector.
pub fn pollution_rose(
    hours: &[Hour],
    n_sectors: usize,
    calm_m_s: f64,
    conc_edges: &[f64],
) -> Result<Rose, ParamError> {
    check_sectors(n_sectors)?;
    check_calm(calm_m_s)?;
    check_edges(conc_edges)?;
    let n_bins = conc_edges.len();
    let mut counts = vec![0usize; n_sectors * n_bins];
    let mut sums = vec![0.0f64; n_sectors];
    let mut ns = vec![0usize; n_sectors];
    let (mut n_counted, mut n_calm, mut n_no_direction) = (0, 0, 0);
    for h in hours {
        if !(h.conc.is_finite() && h.ws_m_s.is_finite()) {
            continue;
        }
        if h.ws_m_s < calm_m_s {
            n_calm += 1;
            continue;
        }
        if !directional(h, calm_m_s) {
            n_no_direction += 1;
            continue;
        }
        let k = sector_of(h.wd_deg, n_sectors);
        sums[k] += h.conc;
        ns[k] += 1;
        n_counted += 1;
        if let Some(b) = bin_of(h.conc, conc_edges) {
            counts[k * n_bins + b] += 1;
        }
    }
    let n_total = n_counted + n_calm;
    let sector_means = (0..n_sectors)
        .map(|k| {
            let (from_deg, to_deg) = sector_edges(k, n_sectors);
            SectorMean {
                sector: k,
                from_deg,
                to_deg,
                n: ns[k],
                mean: if ns[k] == 0 {
                    f64::NAN
                } else {
                    sums[k] / ns[k] as f64
                },
            }
        })
        .collect();
    Ok(Rose {
        kind: "pollution",
        calm_m_s,
        edges: conc_edges.to_vec(),
        n_counted,
        n_calm,
        n_no_direction,
        n_total,
        cells: cells(&counts, n_sectors, conc_edges, n_total),
        sector_means,
        method: format!(
            "污染玫瑰：{n_sectors} 个风向扇区 × 浓度区间，频率 = 格内小时数 / （计入小时数 + \
             静风小时数），另给各扇区平均浓度；风速低于 {calm_m_s} m/s 为静风 / \
             Pollution rose: {n_sectors} wind sectors × concentration bins; frequency = hours \
             in the cell / (counted + calm hours); with the mean concentration per sector; \
             wind below {calm_m_s} m/s is calm"
        ),
    })
}

/// One sector of a percentile rose.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PercentileSector {
    pub sector: usize,
    pub from_deg: f64,
    pub to_deg: f64,
    pub n: usize,
    /// The concentrations at the rose's percentiles, in order (NaN when `n = 0`).
    pub values: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PercentileRose {
    pub percentiles: Vec<f64>,
    pub calm_m_s: f64,
    pub n_counted: usize,
    pub sectors: Vec<PercentileSector>,
    pub method: String,
}

/// The percentile rose: per sector, the percentiles (HJ 663 Appendix A) of the
/// concentrations of the hours counted in it (openair's `percentileRose` without its
/// smoothing). Percentiles must be within 0–100.
pub fn percentile_rose(
    hours: &[Hour],
    n_sectors: usize,
    calm_m_s: f64,
    percentiles: &[f64],
) -> Result<PercentileRose, ParamError> {
    check_sectors(n_sectors)?;
    check_calm(calm_m_s)?;
    check(
        "percentiles",
        percentiles.len() as f64,
        !percentiles.is_empty(),
        "at least one percentile",
    )?;
    for &p in percentiles {
        check(
            "percentile",
            p,
            (0.0..=100.0).contains(&p),
            "percentiles must be within 0 to 100",
        )?;
    }
    let mut by_sector: Vec<Vec<f64>> = vec![Vec::new(); n_sectors];
    for h in hours.iter().filter(|h| directional(h, calm_m_s)) {
        by_sector[sector_of(h.wd_deg, n_sectors)].push(h.conc);
    }
    let n_counted = by_sector.iter().map(Vec::len).sum();
    let sectors = by_sector
        .iter_mut()
        .enumerate()
        .map(|(k, v)| {
            v.sort_unstable_by(f64::total_cmp);
            let (from_deg, to_deg) = sector_edges(k, n_sectors);
            PercentileSector {
                sector: k,
                from_deg,
                to_deg,
                n: v.len(),
                values: percentiles
                    .iter()
                    .map(|&p| percentile_of_sorted(v, p).unwrap_or(f64::NAN))
                    .collect(),
            }
        })
        .collect();
    Ok(PercentileRose {
        percentiles: percentiles.to_vec(),
        calm_m_s,
        n_counted,
        sectors,
        method: format!(
            "百分位玫瑰：{n_sectors} 个风向扇区内浓度的百分位数（HJ 663 附录 A），不平滑；\
             风速低于 {calm_m_s} m/s 为静风，不计入 / Percentile rose: the percentiles (HJ 663 \
             Appendix A) of the concentrations in each of {n_sectors} wind sectors, unsmoothed; \
             wind below {calm_m_s} m/s is calm and not counted"
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

    fn sample() -> Vec<Hour> {
        vec![
            hour(10.0, 1.0, 0.0),
            hour(20.0, 2.0, 0.0),
            hour(30.0, 7.0, 10.0),
            hour(40.0, 3.9, 90.0),
            hour(f64::NAN, 4.0, 180.0),
            hour(50.0, 0.3, 180.0),
            hour(60.0, 0.0, f64::NAN),
            hour(70.0, 1.5, f64::NAN),
            hour(80.0, f64::NAN, 90.0),
        ]
    }

    #[test]
    fn the_wind_rose_counts_speed_bins_and_keeps_calms_apart() {
        let r = wind_rose(&sample(), 4, 0.5, &[2.0, 4.0, 6.0]).unwrap();
        assert_eq!(r.edges, vec![0.5, 2.0, 4.0, 6.0]);
        // Counted: N 1.0, N 2.0, N 7.0, E 3.9, S 4.0 (no concentration needed).
        assert_eq!(
            (r.n_counted, r.n_calm, r.n_no_direction, r.n_total),
            (5, 2, 1, 7)
        );
        let n: Vec<usize> = r.cells.iter().map(|c| c.n).collect();
        assert_eq!(n, vec![1, 1, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
        assert_eq!(r.cells[3].upper, None);
        assert!((r.cells[0].percent - 100.0 / 7.0).abs() < 1e-12);
        assert!(wind_rose(&sample(), 4, 0.5, &[2.0, 2.0]).is_err());
        assert!(
            wind_rose(&sample(), 4, 3.0, &[2.0]).is_err(),
            "breaks below calm"
        );
    }

    #[test]
    fn the_pollution_rose_counts_concentration_bins_and_sector_means() {
        let r = pollution_rose(&sample(), 4, 0.5, &[0.0, 25.0]).unwrap();
        assert_eq!((r.n_counted, r.n_calm, r.n_no_direction), (4, 2, 1));
        let n: Vec<usize> = r.cells.iter().map(|c| c.n).collect();
        assert_eq!(n, vec![2, 1, 0, 1, 0, 0, 0, 0]);
        assert_eq!(r.sector_means[0].mean, 20.0);
        assert_eq!(r.sector_means[1].mean, 40.0);
        assert!(r.sector_means[2].mean.is_nan());
        assert!((r.cells[0].percent - 100.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn the_percentile_rose_gives_hj663_percentiles_per_sector() {
        let r = percentile_rose(&sample(), 4, 0.5, &[0.0, 50.0, 75.0, 100.0]).unwrap();
        assert_eq!(r.sectors[0].values, vec![10.0, 20.0, 25.0, 30.0]);
        assert_eq!(r.sectors[1].values, vec![40.0; 4]);
        assert!(r.sectors[2].values.iter().all(|v| v.is_nan()));
        assert!(percentile_rose(&sample(), 4, 0.5, &[101.0]).is_err());
        assert!(percentile_rose(&sample(), 4, 0.5, &[]).is_err());
    }
}
