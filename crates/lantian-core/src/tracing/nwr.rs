//! Non-parametric wind regression (NWR; Henry, Norris, Vedantham and Turner 2009, "Source
//! region identification using kernel smoothing", ES&T 43:4090, after Henry, Chang and
//! Spiegelman 2002): the expected concentration at each wind direction θ and speed u as a
//! kernel-weighted mean of the hours, a Gaussian kernel on direction and an Epanechnikov
//! kernel on speed. docs/tracing.md "NWR".

use super::Hour;
use super::cpf::{ParamError, check, check_calm, directional};
use serde::Serialize;

/// The default σ of the Gaussian direction kernel, degrees.
pub const SIGMA_DEG_DEFAULT: f64 = 15.0;
/// The default half-width h of the Epanechnikov speed kernel, m/s (its standard deviation
/// h/√5 ≈ 0.45 m/s is close to openair's Gaussian `ws_spread` of 0.5 m/s).
pub const H_M_S_DEFAULT: f64 = 1.0;
/// The default grid: directions every 10°, speeds every 0.5 m/s.
pub const WD_STEP_DEG_DEFAULT: f64 = 10.0;
pub const WS_STEP_M_S_DEFAULT: f64 = 0.5;

/// The Gaussian kernel K1(x) = exp(−x²/2) / √(2π).
pub fn gaussian(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// The Epanechnikov kernel K2(x) = 3/4 (1 − x²) for |x| < 1, else 0.
pub fn epanechnikov(x: f64) -> f64 {
    if x.abs() < 1.0 {
        0.75 * (1.0 - x * x)
    } else {
        0.0
    }
}

/// The difference of two directions wrapped to (−180°, 180°].
pub fn angle_diff_deg(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    if d > 180.0 { d - 360.0 } else { d }
}

/// The NWR's parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct NwrParams {
    pub sigma_deg: f64,
    pub h_m_s: f64,
    pub wd_step_deg: f64,
    pub ws_step_m_s: f64,
    /// The fastest speed of the grid; `None` = the fastest counted hour rounded up to a step.
    pub ws_max_m_s: Option<f64>,
    pub calm_m_s: f64,
}

impl Default for NwrParams {
    fn default() -> Self {
        NwrParams {
            sigma_deg: SIGMA_DEG_DEFAULT,
            h_m_s: H_M_S_DEFAULT,
            wd_step_deg: WD_STEP_DEG_DEFAULT,
            ws_step_m_s: WS_STEP_M_S_DEFAULT,
            ws_max_m_s: None,
            calm_m_s: super::CALM_M_S_DEFAULT,
        }
    }
}

/// One grid point of an NWR.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NwrCell {
    pub wd_deg: f64,
    pub ws_m_s: f64,
    /// Ê(C | θ, u) = Σ wᵢ Cᵢ / Σ wᵢ (NaN when Σ wᵢ = 0).
    pub nwr: f64,
    /// Σ wᵢ with wᵢ = K1(Δθᵢ/σ) · K2((u − Uᵢ)/h): the support of the estimate.
    pub weight_sum: f64,
    /// Hours with a non-zero weight (inside the speed kernel).
    pub n: usize,
    /// The standard error √(Σ wᵢ² (Cᵢ − Ê)²) / Σ wᵢ, hours taken as independent.
    pub se: f64,
    /// The joint density of wind direction and speed there, Σ wᵢ / (N σ h) (per degree per
    /// m/s); `nwr × density` is Henry et al.'s weighted concentration.
    pub density: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Nwr {
    pub params: NwrParams,
    pub n_counted: usize,
    /// Direction-major: for each direction, the speeds from 0 up.
    pub cells: Vec<NwrCell>,
    pub method: String,
}

/// The NWR of `hours` (those with a concentration, a direction and a speed at or above the
/// calm threshold) on the grid of directions 0, step, … < 360° × speeds 0, step, … ≤ max.
pub fn nwr(hours: &[Hour], p: NwrParams) -> Result<Nwr, ParamError> {
    check(
        "sigma",
        p.sigma_deg,
        p.sigma_deg.is_finite() && p.sigma_deg > 0.0,
        "the direction kernel's σ must be above 0°",
    )?;
    check(
        "h",
        p.h_m_s,
        p.h_m_s.is_finite() && p.h_m_s > 0.0,
        "the speed kernel's half-width must be above 0 m/s",
    )?;
    check(
        "wd step",
        p.wd_step_deg,
        p.wd_step_deg.is_finite() && p.wd_step_deg >= 0.5 && p.wd_step_deg <= 90.0,
        "the direction step must be 0.5° to 90°",
    )?;
    check(
        "ws step",
        p.ws_step_m_s,
        p.ws_step_m_s.is_finite() && p.ws_step_m_s >= 0.05,
        "the speed step must be 0.05 m/s or more",
    )?;
    if let Some(m) = p.ws_max_m_s {
        check(
            "ws max",
            m,
            m.is_finite() && m >= 0.0 && m / p.ws_step_m_s <= 1000.0,
            "the grid's top speed must be 0 m/s or more and at most 1000 steps",
        )?;
    }
    check_calm(p.calm_m_s)?;
    let counted: Vec<&Hour> = hours
        .iter()
        .filter(|h| directional(h, p.calm_m_s))
        .collect();
    let fastest = counted.iter().map(|h| h.ws_m_s).fold(0.0, f64::max);
    let ws_max = p
        .ws_max_m_s
        .unwrap_or_else(|| (fastest / p.ws_step_m_s).ceil() * p.ws_step_m_s);
    let n_ws = (ws_max / p.ws_step_m_s + 1e-9).floor() as usize + 1;
    let n_wd = (360.0 / p.wd_step_deg - 1e-9).ceil() as usize;
    let n_total = counted.len() as f64;
    let mut cells = Vec::with_capacity(n_wd * n_ws);
    // The direction weights of every hour at one grid direction, reused across speeds.
    let mut k1 = vec![0.0f64; counted.len()];
    for i in 0..n_wd {
        let wd = i as f64 * p.wd_step_deg;
        for (w, h) in k1.iter_mut().zip(&counted) {
            *w = gaussian(angle_diff_deg(wd, h.wd_deg) / p.sigma_deg);
        }
        for j in 0..n_ws {
            let ws = j as f64 * p.ws_step_m_s;
            let (mut sw, mut swc, mut n) = (0.0, 0.0, 0usize);
            for (k1, h) in k1.iter().zip(&counted) {
                let k2 = epanechnikov((ws - h.ws_m_s) / p.h_m_s);
                if k2 > 0.0 {
                    let w = k1 * k2;
                    sw += w;
                    swc += w * h.conc;
                    n += 1;
                }
            }
            let est = if sw > 0.0 { swc / sw } else { f64::NAN };
            let se = if sw > 0.0 {
                let mut s2 = 0.0;
                for (k1, h) in k1.iter().zip(&counted) {
                    let w = k1 * epanechnikov((ws - h.ws_m_s) / p.h_m_s);
                    s2 += w * w * (h.conc - est) * (h.conc - est);
                }
                s2.sqrt() / sw
            } else {
                f64::NAN
            };
            cells.push(NwrCell {
                wd_deg: wd,
                ws_m_s: ws,
                nwr: est,
                weight_sum: sw,
                n,
                se,
                density: if n_total > 0.0 {
                    sw / (n_total * p.sigma_deg * p.h_m_s)
                } else {
                    f64::NAN
                },
            });
        }
    }
    let (s, h) = (p.sigma_deg, p.h_m_s);
    Ok(Nwr {
        params: NwrParams {
            ws_max_m_s: Some(ws_max),
            ..p
        },
        n_counted: counted.len(),
        cells,
        method: format!(
            "非参数风回归（NWR，Henry 等 2009）：网格点 (θ, u) 处的浓度 = Σwᵢcᵢ / Σwᵢ，\
             wᵢ = K1(Δθᵢ/σ)·K2((u − uᵢ)/h)，K1 为高斯核（σ = {s}°，角差取 ±180° 以内），\
             K2 为 Epanechnikov 核（h = {h} m/s）；风速低于 {calm} m/s 为静风，不计入；\
             标准误按小时独立计 / Non-parametric wind regression (NWR, Henry et al. 2009): \
             the concentration at grid point (θ, u) = Σwᵢcᵢ / Σwᵢ with wᵢ = K1(Δθᵢ/σ)·K2((u − \
             uᵢ)/h), K1 Gaussian (σ = {s}°, angular differences wrapped to ±180°), K2 \
             Epanechnikov (h = {h} m/s); wind below {calm} m/s is calm and not counted; the \
             standard error takes hours as independent",
            calm = p.calm_m_s
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

    #[test]
    fn angles_wrap_across_north() {
        for (a, b, want) in [
            (10.0, 350.0, 20.0),
            (350.0, 10.0, -20.0),
            (0.0, 180.0, 180.0),
            (90.0, 90.0, 0.0),
            (0.0, 359.0, 1.0),
        ] {
            assert_eq!(angle_diff_deg(a, b), want, "{a} − {b}");
        }
    }

    #[test]
    fn the_estimate_is_the_kernel_weighted_mean() {
        // Two hours at 2 m/s: 10 from 350°, 40 from 20°; the grid point 0°, 2 m/s.
        let hours = [
            hour(10.0, 2.0, 350.0),
            hour(40.0, 2.0, 20.0),
            hour(99.0, 0.1, 0.0),
        ];
        let p = NwrParams {
            sigma_deg: 10.0,
            h_m_s: 1.0,
            wd_step_deg: 90.0,
            ws_step_m_s: 1.0,
            ws_max_m_s: Some(3.0),
            calm_m_s: 0.5,
        };
        let r = nwr(&hours, p).unwrap();
        assert_eq!(r.n_counted, 2);
        assert_eq!(r.cells.len(), 4 * 4);
        let c = &r.cells[2];
        assert_eq!((c.wd_deg, c.ws_m_s, c.n), (0.0, 2.0, 2));
        // w = K1(1)·0.75 and K1(2)·0.75.
        let (w1, w2) = (gaussian(1.0) * 0.75, gaussian(2.0) * 0.75);
        let est = (10.0 * w1 + 40.0 * w2) / (w1 + w2);
        assert!((c.nwr - est).abs() < 1e-12, "{} {est}", c.nwr);
        assert!((c.weight_sum - (w1 + w2)).abs() < 1e-15);
        let se =
            ((w1 * w1 * (10.0 - est).powi(2) + w2 * w2 * (40.0 - est).powi(2)).sqrt()) / (w1 + w2);
        assert!((c.se - se).abs() < 1e-12);
        // At 1 m/s and 3 m/s the speed kernel is zero (|Δu| = 1 = h): no support.
        assert!(r.cells[1].nwr.is_nan() && r.cells[1].n == 0);
        assert!(r.cells[3].nwr.is_nan());
    }

    #[test]
    fn the_grid_top_defaults_to_the_fastest_hour_rounded_up() {
        let r = nwr(&[hour(1.0, 3.2, 0.0)], NwrParams::default()).unwrap();
        assert_eq!(r.params.ws_max_m_s, Some(3.5));
        assert_eq!(r.cells.len(), 36 * 8);
    }

    #[test]
    fn bad_kernels_are_errors() {
        for p in [
            NwrParams {
                sigma_deg: 0.0,
                ..NwrParams::default()
            },
            NwrParams {
                h_m_s: -1.0,
                ..NwrParams::default()
            },
            NwrParams {
                wd_step_deg: 0.0,
                ..NwrParams::default()
            },
        ] {
            assert!(nwr(&[], p).is_err(), "{p:?}");
        }
    }
}
