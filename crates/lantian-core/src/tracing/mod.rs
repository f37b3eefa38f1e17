//! Source tracing (plan §8(一): 污染传输可视化和精准溯源): receptor methods over a station's
//! hourly concentrations and wind (roses, CPF and CBPF, non-parametric wind regression, the
//! polar plot's smooth surface, the polar annulus, time variation), interpolated surfaces over
//! a network, and the upwind sources of an episode. Pure: the caller reads the hours.
//! docs/tracing.md states every method.

pub mod annulus;
pub mod cpf;
pub mod interpolate;
pub mod nwr;
pub mod polar;
pub mod roses;
pub mod timevar;
pub mod transport;
pub mod upwind;

/// One hour at a receptor. Missing values are NaN.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hour {
    /// China Standard Time seconds of the hour's start (`crate::cst`).
    pub ts: i64,
    /// The pollutant's hourly concentration (µg/m³; CO mg/m³).
    pub conc: f64,
    /// Wind speed, m/s.
    pub ws_m_s: f64,
    /// Wind direction the wind blows from, degrees clockwise from north, [0, 360).
    pub wd_deg: f64,
}

impl Hour {
    /// Whether the hour has a concentration, a wind speed and a wind direction.
    pub fn complete(&self) -> bool {
        self.conc.is_finite() && self.ws_m_s.is_finite() && self.wd_deg.is_finite()
    }
}

/// Hours with a wind speed below this are calm (m/s): they have no direction to count in.
pub const CALM_M_S_DEFAULT: f64 = 0.5;

/// The sector of a direction among `n` sectors centred on the compass points: sector 0 is
/// centred on north and covers [360 − w/2, w/2) with w = 360/n, sector k is centred on
/// k·w; clockwise. `n` must be at least 1.
pub fn sector_of(wd_deg: f64, n: usize) -> usize {
    let w = 360.0 / n as f64;
    let shifted = (wd_deg + w / 2.0).rem_euclid(360.0);
    ((shifted / w).floor() as usize).min(n - 1)
}

/// The edges of sector `k` of `n` (degrees; the first edge of sector 0 is 360 − w/2).
pub fn sector_edges(k: usize, n: usize) -> (f64, f64) {
    let w = 360.0 / n as f64;
    let centre = k as f64 * w;
    (
        (centre - w / 2.0).rem_euclid(360.0),
        (centre + w / 2.0).rem_euclid(360.0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sectors_are_centred_on_the_compass_points() {
        for (wd, n, want) in [
            (0.0, 16, 0),
            (11.24, 16, 0),
            (11.25, 16, 1),
            (348.75, 16, 0),
            (348.74, 16, 15),
            (359.99, 16, 0),
            (90.0, 4, 1),
            (44.99, 4, 0),
            (45.0, 4, 1),
            (180.0, 8, 4),
            (0.0, 1, 0),
        ] {
            assert_eq!(sector_of(wd, n), want, "{wd}° of {n}");
        }
        assert_eq!(sector_edges(0, 16), (348.75, 11.25));
        assert_eq!(sector_edges(4, 16), (78.75, 101.25));
    }
}
