//! The polar annulus (openair's `polarAnnulus` with `period = "hour"`, unsmoothed): the mean
//! concentration by wind sector × hour of day (北京时间), with counts and standard deviations.
//! docs/tracing.md "Polar annulus".

use super::cpf::{ParamError, check_calm, check_sectors, directional};
use super::{Hour, sector_edges, sector_of};
use serde::Serialize;

/// The hour of day (0–23, the hour's start, China Standard Time) of a CST timestamp.
pub fn hour_of_day(ts: i64) -> usize {
    (ts.rem_euclid(86_400) / 3600) as usize
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnnulusCell {
    pub sector: usize,
    pub from_deg: f64,
    pub to_deg: f64,
    /// The hour of day, 0–23: the hour starting then, 北京时间.
    pub hour: usize,
    pub n: usize,
    /// NaN when `n = 0`.
    pub mean: f64,
    /// The sample standard deviation (NaN when `n < 2`).
    pub sd: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Annulus {
    pub calm_m_s: f64,
    pub n_counted: usize,
    /// Sector-major: for each sector, hours 0–23.
    pub cells: Vec<AnnulusCell>,
    pub method: String,
}

/// The annulus of `hours` (those with a concentration, a direction and a speed at or above
/// the calm threshold).
pub fn annulus(hours: &[Hour], n_sectors: usize, calm_m_s: f64) -> Result<Annulus, ParamError> {
    check_sectors(n_sectors)?;
    check_calm(calm_m_s)?;
    let mut groups: Vec<Vec<f64>> = vec![Vec::new(); n_sectors * 24];
    for h in hours.iter().filter(|h| directional(h, calm_m_s)) {
        groups[sector_of(h.wd_deg, n_sectors) * 24 + hour_of_day(h.ts)].push(h.conc);
    }
    let n_counted = groups.iter().map(Vec::len).sum();
    let cells = groups
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let (sector, hour) = (i / 24, i % 24);
            let (from_deg, to_deg) = sector_edges(sector, n_sectors);
            let (mean, sd) = mean_sd(v);
            AnnulusCell {
                sector,
                from_deg,
                to_deg,
                hour,
                n: v.len(),
                mean,
                sd,
            }
        })
        .collect();
    Ok(Annulus {
        calm_m_s,
        n_counted,
        cells,
        method: format!(
            "极坐标环图：{n_sectors} 个风向扇区 × 一天中的小时（北京时间，小时起点）的平均浓度，\
             不平滑，附小时数与标准差；风速低于 {calm_m_s} m/s 为静风，不计入 / Polar annulus: \
             the mean concentration by {n_sectors} wind sectors × hour of day (北京时间, the \
             hour's start), unsmoothed, with counts and standard deviations; wind below \
             {calm_m_s} m/s is calm and not counted"
        ),
    })
}

/// The mean and the sample standard deviation (two-pass); NaN where undefined.
pub fn mean_sd(v: &[f64]) -> (f64, f64) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    if v.len() < 2 {
        return (mean, f64::NAN);
    }
    let ss: f64 = v.iter().map(|x| (x - mean) * (x - mean)).sum();
    (mean, (ss / (n - 1.0)).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hour(ts: i64, conc: f64, ws: f64, wd: f64) -> Hour {
        Hour {
            ts,
            conc,
            ws_m_s: ws,
            wd_deg: wd,
        }
    }

    #[test]
    fn cells_average_by_sector_and_hour_of_day() {
        let day = 86_400 * 16_000;
        let hours = [
            hour(day, 10.0, 2.0, 0.0),
            hour(day + 86_400, 30.0, 2.0, 5.0),
            hour(day + 3600 * 13, 7.0, 2.0, 90.0),
            hour(day + 3600 * 13, 9.0, 0.2, 90.0),
            hour(day + 3600 * 23, f64::NAN, 2.0, 90.0),
        ];
        let a = annulus(&hours, 4, 0.5).unwrap();
        assert_eq!(a.cells.len(), 96);
        assert_eq!(a.n_counted, 3);
        let c = &a.cells[0];
        assert_eq!((c.sector, c.hour, c.n, c.mean), (0, 0, 2, 20.0));
        assert!((c.sd - 200f64.sqrt()).abs() < 1e-12);
        let c = &a.cells[24 + 13];
        assert_eq!((c.sector, c.hour, c.n, c.mean), (1, 13, 1, 7.0));
        assert!(c.sd.is_nan());
        assert!(a.cells[24 + 23].mean.is_nan());
    }

    #[test]
    fn hours_of_day_are_the_cst_hour_starts() {
        for (ts, want) in [(0, 0), (3599, 0), (3600, 1), (86_399, 23), (-1, 23)] {
            assert_eq!(hour_of_day(ts), want, "{ts}");
        }
    }
}
