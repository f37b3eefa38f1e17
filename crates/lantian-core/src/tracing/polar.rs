//! The polar plot's smooth surface (openair's `polarPlot`): a station's hours binned by wind
//! direction and speed, the bin means smoothed by a tensor-product P-spline over
//! (u, v) = (ws·sin wd, ws·cos wd) with the smoothing parameter chosen by REML (or GCV),
//! predicted on a grid over the disc and masked far from the data. docs/tracing.md "Polar
//! plot" states the method and where it differs from openair.

use serde::Serialize;

use super::{Hour, sector_of};

/// Wind-speed intervals from 0 to the year's maximum speed (openair: 30).
pub const WS_BINS: usize = 30;
/// Grid points per axis of the prediction (openair's `resolution = "normal"`).
pub const GRID_DEFAULT: usize = 101;
/// The smallest and largest prediction grids accepted (openair's "ultra.fine" is 401).
pub const GRID_MIN: usize = 3;
pub const GRID_MAX: usize = 401;
/// Cubic B-spline basis functions per axis; the surface has the square of it.
pub const BASIS_PER_AXIS_DEFAULT: usize = 16;
/// The smallest and largest bases accepted (4 is one cubic piece; 24² = 576 coefficients).
pub const BASIS_PER_AXIS_MIN: usize = 4;
pub const BASIS_PER_AXIS_MAX: usize = 24;
/// A grid cell farther than this share of the grid's width from every bin with data is masked
/// (mgcv's `exclude.too.far(dist = 0.05)` as openair calls it).
pub const EXCLUDE_DIST_DEFAULT: f64 = 0.05;
/// Weights of bins holding 1, 2 and 3 hours (openair's `weights = c(0.25, 0.5, 0.75)`); a
/// bin with more hours weighs 1.
pub const LOW_COUNT_WEIGHTS: [f64; 3] = [0.25, 0.5, 0.75];
/// The direction step of compass-point data (16 points, as the Beijing files record wind).
pub const COMPASS_STEP_DEG: f64 = 22.5;
/// The direction step of other data.
pub const WD_STEP_DEG_DEFAULT: f64 = 10.0;
/// Fewer bins than this cannot fix the bilinear part the penalty leaves free.
pub const FIT_BINS_MIN: usize = 6;
/// The search for λ: log10 of the smoothing parameter relative to tr(B'WB)/tr(S), from and
/// to, in steps of `SEARCH_STEP_LOG10`, then refined by golden section around the best.
const SEARCH_FROM_LOG10: f64 = -9.0;
const SEARCH_TO_LOG10: f64 = 9.0;
const SEARCH_STEP_LOG10: f64 = 0.1;
/// Dimension of the penalty's null space (the bilinear functions 1, u, v, uv).
const NULL_SPACE_DIM: usize = 4;

/// How the smoothing parameter is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Criterion {
    /// Restricted maximum likelihood (mgcv's `method = "REML"`): the default. On the Beijing
    /// bins GCV's global minimum is often at λ → 0, a surface that interpolates the bins and
    /// explodes between the compass spokes (the known undersmoothing of GCV); REML has no
    /// such minimum there.
    Reml,
    /// Generalised cross-validation (mgcv's `"GCV.Cp"`, openair's default): the global
    /// minimum over the search range.
    Gcv,
}

impl Criterion {
    pub fn name(self) -> &'static str {
        match self {
            Criterion::Reml => "REML",
            Criterion::Gcv => "GCV",
        }
    }
}

/// What the surface is fitted and shown with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    /// Grid points per axis.
    pub grid: usize,
    /// B-spline basis functions per axis.
    pub basis_per_axis: usize,
    /// Fit √(bin mean) and square the prediction back (openair's `force.positive = TRUE`).
    pub force_positive: bool,
    /// Bins with fewer hours are left out of the fit and of the data the mask keeps near.
    pub min_bin: usize,
    /// The mask's distance, as a share of the grid's width.
    pub exclude_dist: f64,
    /// Hours with a wind speed below this (m/s) are left out as calm (openair keeps every
    /// hour: 0).
    pub calm_m_s: f64,
    /// How λ is chosen.
    pub criterion: Criterion,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            grid: GRID_DEFAULT,
            basis_per_axis: BASIS_PER_AXIS_DEFAULT,
            force_positive: true,
            min_bin: 1,
            exclude_dist: EXCLUDE_DIST_DEFAULT,
            calm_m_s: 0.0,
            criterion: Criterion::Reml,
        }
    }
}

/// One wind speed × direction bin with data.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bin {
    /// Wind-speed interval, 0-based: interval i holds speeds in (i·w, (i+1)·w], interval 0
    /// also 0, with w = maximum speed / `WS_BINS`.
    pub ws_bin: usize,
    /// Direction sector, 0 = north, clockwise, centred on multiples of the step.
    pub wd_bin: usize,
    /// Where the bin is placed: the interval's middle speed and the sector's centre.
    pub ws_m_s: f64,
    pub wd_deg: f64,
    pub u: f64,
    pub v: f64,
    /// Hours in the bin.
    pub n: usize,
    /// Their mean concentration.
    pub mean: f64,
    /// The bin's weight in the fit (`LOW_COUNT_WEIGHTS`).
    pub weight: f64,
}

/// A station's hours binned for the polar plot.
#[derive(Clone, Debug, PartialEq)]
pub struct Binning {
    /// Bins with at least one hour, by direction then speed.
    pub bins: Vec<Bin>,
    /// Hours with a concentration, a wind speed ≥ 0 and a direction.
    pub hours: usize,
    /// The largest wind speed among them: the disc's radius.
    pub ws_max_m_s: f64,
    /// The direction step: `COMPASS_STEP_DEG` when every direction is a compass point,
    /// else `WD_STEP_DEG_DEFAULT`.
    pub wd_step_deg: f64,
}

/// The wind-speed interval of a speed: the smallest i ≥ 1 with ws ≤ i·w, less one (R's
/// `cut(…, include.lowest = TRUE)` as openair bins), at most `WS_BINS` − 1.
pub fn ws_bin_of(ws_m_s: f64, width_m_s: f64) -> usize {
    if width_m_s <= 0.0 {
        return 0;
    }
    let mut i = ((ws_m_s / width_m_s).ceil() as usize).clamp(1, WS_BINS);
    // The division can land one interval off at an edge; the comparison decides.
    if i > 1 && ws_m_s <= (i - 1) as f64 * width_m_s {
        i -= 1;
    } else if i < WS_BINS && ws_m_s > i as f64 * width_m_s {
        i += 1;
    }
    i - 1
}

fn is_compass_point(wd_deg: f64) -> bool {
    let k = wd_deg / COMPASS_STEP_DEG;
    (k - k.round()).abs() < 1e-9
}

/// Bins the complete hours (a negative wind speed is not one).
pub fn bin_hours(hours: &[Hour]) -> Binning {
    let used: Vec<&Hour> = hours
        .iter()
        .filter(|h| h.complete() && h.ws_m_s >= 0.0)
        .collect();
    let ws_max_m_s = used.iter().map(|h| h.ws_m_s).fold(0.0, f64::max);
    let wd_step_deg = if !used.is_empty() && used.iter().all(|h| is_compass_point(h.wd_deg)) {
        COMPASS_STEP_DEG
    } else {
        WD_STEP_DEG_DEFAULT
    };
    let sectors = (360.0 / wd_step_deg).round() as usize;
    let width = ws_max_m_s / WS_BINS as f64;
    let mut sums = vec![(0usize, 0.0f64); sectors * WS_BINS];
    for h in &used {
        let k = sector_of(h.wd_deg, sectors) * WS_BINS + ws_bin_of(h.ws_m_s, width);
        sums[k].0 += 1;
        sums[k].1 += h.conc;
    }
    let bins = sums
        .iter()
        .enumerate()
        .filter(|(_, (n, _))| *n > 0)
        .map(|(k, &(n, sum))| {
            let (wd_bin, ws_bin) = (k / WS_BINS, k % WS_BINS);
            let ws = (ws_bin as f64 + 0.5) * width;
            let wd = wd_bin as f64 * wd_step_deg;
            let rad = wd.to_radians();
            Bin {
                ws_bin,
                wd_bin,
                ws_m_s: ws,
                wd_deg: wd,
                u: ws * rad.sin(),
                v: ws * rad.cos(),
                n,
                mean: sum / n as f64,
                weight: LOW_COUNT_WEIGHTS.get(n - 1).copied().unwrap_or(1.0),
            }
        })
        .collect();
    Binning {
        bins,
        hours: used.len(),
        ws_max_m_s,
        wd_step_deg,
    }
}

/// Why no surface.
#[derive(Clone, Debug, PartialEq)]
pub enum PolarError {
    /// No hour has a concentration, a wind speed and a direction.
    NoHours,
    /// Every wind speed is 0: there is no disc.
    NoWind,
    /// Too few bins to fit.
    TooFewBins { bins: usize },
    /// The penalised normal equations are not positive definite (the bins are collinear).
    Singular,
    /// An option out of range.
    Option {
        what: &'static str,
        value: f64,
        min: f64,
        max: f64,
    },
}

impl std::fmt::Display for PolarError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PolarError::NoHours => write!(
                f,
                "极坐标图无数据：没有同时具有浓度、风速和风向的小时 / polar plot: no hour has a concentration, a wind speed and a wind direction"
            ),
            PolarError::NoWind => write!(
                f,
                "极坐标图无法绘制：所有小时风速为0 / polar plot: every hour's wind speed is 0, there is no disc to draw"
            ),
            PolarError::TooFewBins { bins } => write!(
                f,
                "极坐标图数据不足：仅{bins}个风速风向箱有数据，至少需要{FIT_BINS_MIN}个 / polar plot: only {bins} wind speed-direction bins have data, the fit needs at least {FIT_BINS_MIN}"
            ),
            PolarError::Singular => write!(
                f,
                "极坐标图拟合失败：数据点共线，惩罚方程不正定 / polar plot: the bins are collinear, the penalised normal equations are not positive definite"
            ),
            PolarError::Option {
                what,
                value,
                min,
                max,
            } => write!(
                f,
                "极坐标图参数{what}={value}超出范围[{min}, {max}] / polar plot: {what} = {value} is outside [{min}, {max}]"
            ),
        }
    }
}

impl std::error::Error for PolarError {}

/// One datum of a surface fit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub u: f64,
    pub v: f64,
    pub z: f64,
    /// Prior weight (> 0).
    pub w: f64,
}

/// Cubic B-splines on equally spaced knots over one axis, as mgcv's `bs = "ps"` places them
/// for `k` basis functions over [lo, hi]: the range widened by 0.1 % each side, k − 3
/// intervals inside it and three more knots beyond each end.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Axis {
    first_knot: f64,
    spacing: f64,
    k: usize,
}

impl Axis {
    fn new(lo: f64, hi: f64, k: usize) -> Axis {
        let range = hi - lo;
        let (xl, xu) = (lo - 0.001 * range, hi + 0.001 * range);
        let spacing = (xu - xl) / (k - 3) as f64;
        Axis {
            first_knot: xl - 3.0 * spacing,
            spacing,
            k,
        }
    }

    /// The index of the first of the four non-zero functions at x, and their values.
    fn eval(&self, x: f64) -> (usize, [f64; 4]) {
        let s = (x - self.first_knot) / self.spacing;
        let i = (s.floor() as i64).clamp(3, self.k as i64 - 1);
        let f = s - i as f64;
        let g = 1.0 - f;
        let values = [
            g * g * g / 6.0,
            (3.0 * f * f * f - 6.0 * f * f + 4.0) / 6.0,
            (-3.0 * f * f * f + 3.0 * f * f + 3.0 * f + 1.0) / 6.0,
            f * f * f / 6.0,
        ];
        ((i - 3) as usize, values)
    }
}

/// The 16 non-zero entries of the tensor basis at (u, v): (coefficient index, value), the
/// coefficient of u-function a and v-function b at a·k + b.
fn basis_row(au: &Axis, av: &Axis, u: f64, v: f64) -> [(usize, f64); 16] {
    let (iu, bu) = au.eval(u);
    let (iv, bv) = av.eval(v);
    let mut row = [(0, 0.0); 16];
    for a in 0..4 {
        for b in 0..4 {
            row[a * 4 + b] = ((iu + a) * av.k + iv + b, bu[a] * bv[b]);
        }
    }
    row
}

/// A fitted surface: z(u, v) = Σ β_ab B_a(u) B_b(v), minimising
/// Σ w (z − ẑ)² + λ (Σ_b ‖D β_·b‖² + Σ_a ‖D β_a·‖²), D the second differences.
#[derive(Clone, Debug, PartialEq)]
pub struct Surface {
    axis: Axis,
    coef: Vec<f64>,
    /// L⁻ᵀ U diag(1/√e), p × p row-major: the coefficients' covariance is σ² Q Qᵀ.
    cov_factor: Vec<f64>,
    /// The smoothing parameter λ (on the penalty as written above).
    pub lambda: f64,
    /// Effective degrees of freedom: tr of the influence matrix.
    pub edf: f64,
    /// GCV score n·RSS_w / (n − edf)² at the chosen λ (whatever chose it).
    pub gcv: f64,
    /// The criterion that chose λ.
    pub criterion: Criterion,
    /// Residual standard deviation √(RSS_w / (n − edf)), on the fitted scale.
    pub sigma: f64,
    /// Points fitted.
    pub n: usize,
}

impl Surface {
    /// The surface at (u, v).
    pub fn predict(&self, u: f64, v: f64) -> f64 {
        basis_row(&self.axis, &self.axis, u, v)
            .iter()
            .map(|&(j, b)| b * self.coef[j])
            .sum()
    }

    /// The standard error of the surface at (u, v) (Bayesian posterior, Wood 2006).
    pub fn se(&self, u: f64, v: f64) -> f64 {
        let p = self.coef.len();
        let row = basis_row(&self.axis, &self.axis, u, v);
        let mut acc = vec![0.0; p];
        for &(j, b) in &row {
            let q = &self.cov_factor[j * p..(j + 1) * p];
            for (a, &x) in acc.iter_mut().zip(q) {
                *a += b * x;
            }
        }
        self.sigma * acc.iter().map(|x| x * x).sum::<f64>().sqrt()
    }
}

/// The second-order difference penalty DᵀD of k coefficients (k × k, row-major).
fn difference_penalty(k: usize) -> Vec<f64> {
    let mut s = vec![0.0; k * k];
    for r in 0..k - 2 {
        let d = [(r, 1.0), (r + 1, -2.0), (r + 2, 1.0)];
        for &(i, x) in &d {
            for &(j, y) in &d {
                s[i * k + j] += x * y;
            }
        }
    }
    s
}

/// Fits a tensor-product P-spline over [lo, hi]² (`k` cubic B-splines per axis, a
/// second-order difference penalty on each axis with one λ) to weighted points, λ chosen by
/// REML or GCV. The same model as mgcv's `gam(z ~ X - 1, paraPen = list(X = list(S)),
/// weights = w, method = "REML")` (or `"GCV.Cp"`) with X the tensor basis and S the penalty.
pub fn fit_surface(
    points: &[Point],
    lo: f64,
    hi: f64,
    k: usize,
    criterion: Criterion,
) -> Result<Surface, PolarError> {
    if !(BASIS_PER_AXIS_MIN..=BASIS_PER_AXIS_MAX).contains(&k) {
        return Err(PolarError::Option {
            what: "basis_per_axis",
            value: k as f64,
            min: BASIS_PER_AXIS_MIN as f64,
            max: BASIS_PER_AXIS_MAX as f64,
        });
    }
    if points.len() < FIT_BINS_MIN {
        return Err(PolarError::TooFewBins { bins: points.len() });
    }
    let axis = Axis::new(lo, hi, k);
    let p = k * k;
    // Normal equations B'WB and B'Wz, and z'Wz.
    let mut m = vec![0.0; p * p];
    let mut rhs = vec![0.0; p];
    let rows: Vec<[(usize, f64); 16]> = points
        .iter()
        .map(|pt| basis_row(&axis, &axis, pt.u, pt.v))
        .collect();
    for (pt, row) in points.iter().zip(&rows) {
        for &(i, bi) in row {
            rhs[i] += pt.w * pt.z * bi;
            for &(j, bj) in row {
                m[i * p + j] += pt.w * bi * bj;
            }
        }
    }
    // The penalty S1 ⊗ I + I ⊗ S1.
    let s1 = difference_penalty(k);
    let mut s = vec![0.0; p * p];
    for a in 0..k {
        for b in 0..k {
            let i = a * k + b;
            for c in 0..k {
                s[i * p + c * k + b] += s1[a * k + c];
                s[i * p + a * k + c] += s1[b * k + c];
            }
        }
    }
    let trace = |x: &[f64]| (0..p).map(|i| x[i * p + i]).sum::<f64>();
    let scale = trace(&m) / trace(&s);
    // M + scale·S = L Lᵀ; then L⁻¹ M L⁻ᵀ = U diag(d) Uᵀ and L⁻¹ (scale·S) L⁻ᵀ = U diag(1 − d) Uᵀ,
    // so M + μ·scale·S = L U diag(d + μ(1 − d)) Uᵀ Lᵀ for every μ: one decomposition serves
    // the whole search for λ (Demmler–Reinsch).
    let mut a0: Vec<f64> = m.iter().zip(&s).map(|(x, y)| x + scale * y).collect();
    cholesky(&mut a0, p).ok_or(PolarError::Singular)?;
    let l = a0;
    // X = L⁻¹ M (column by column), then L⁻¹ Xᵀ = L⁻¹ M L⁻ᵀ.
    let mut x = m.clone();
    forward_solve_columns(&l, &mut x, p);
    let mut mt = transpose(&x, p);
    forward_solve_columns(&l, &mut mt, p);
    for i in 0..p {
        for j in 0..i {
            let avg = 0.5 * (mt[i * p + j] + mt[j * p + i]);
            mt[i * p + j] = avg;
            mt[j * p + i] = avg;
        }
    }
    let (mut d, u) = symmetric_eigen(mt, p);
    for di in &mut d {
        *di = di.clamp(0.0, 1.0);
    }
    // g = Uᵀ L⁻¹ B'Wz.
    let mut y = rhs.clone();
    forward_solve(&l, &mut y, p);
    let g: Vec<f64> = (0..p)
        .map(|j| (0..p).map(|i| u[i * p + j] * y[i]).sum())
        .collect();
    let n = points.len() as f64;
    // The weighted residual sum of squares is computed from the residuals themselves (a
    // closed form in d and g cancels catastrophically when λ is small).
    let coef_at = |e_vals: &[f64]| -> Vec<f64> {
        let h: Vec<f64> = g.iter().zip(e_vals).map(|(gi, ei)| gi / ei).collect();
        let mut c: Vec<f64> = (0..p)
            .map(|i| {
                u[i * p..(i + 1) * p]
                    .iter()
                    .zip(&h)
                    .map(|(a, b)| a * b)
                    .sum()
            })
            .collect();
        backward_solve_transposed(&l, &mut c, p);
        c
    };
    let rss_of = |c: &[f64]| -> f64 {
        points
            .iter()
            .zip(&rows)
            .map(|(pt, row)| {
                let fit: f64 = row.iter().map(|&(j, b)| b * c[j]).sum();
                pt.w * (pt.z - fit).powi(2)
            })
            .sum()
    };
    let score = |log10_mu: f64| -> (f64, f64) {
        let mu = 10f64.powf(log10_mu);
        let e_vals: Vec<f64> = d.iter().map(|&di| di + mu * (1.0 - di)).collect();
        let tr: f64 = d.iter().zip(&e_vals).map(|(di, ei)| di / ei).sum();
        let h: Vec<f64> = g.iter().zip(&e_vals).map(|(gi, ei)| gi / ei).collect();
        let rss = rss_of(&coef_at(&e_vals));
        let dof = n - tr;
        match criterion {
            Criterion::Gcv if dof <= 0.5 => (f64::INFINITY, tr),
            Criterion::Gcv => (n * rss / (dof * dof), tr),
            Criterion::Reml => {
                // −2·(restricted log-likelihood) with the scale profiled out, less constants:
                // (n − M₀)·log(RSS_w + λβ'Sβ) + log|B'WB + λS| − rank(S)·log λ, where
                // λβ'Sβ = μ Σ (1 − d) h² and log|B'WB + λS| = 2 log|L| + Σ log e.
                let pen: f64 = d
                    .iter()
                    .zip(&h)
                    .map(|(di, hi)| mu * (1.0 - di) * hi * hi)
                    .sum();
                let logdet: f64 = e_vals.iter().map(|ei| ei.ln()).sum();
                let rank = (p - NULL_SPACE_DIM) as f64;
                let v = (n - NULL_SPACE_DIM as f64) * (rss + pen).ln() + logdet - rank * mu.ln();
                (v, tr)
            }
        }
    };
    let steps = ((SEARCH_TO_LOG10 - SEARCH_FROM_LOG10) / SEARCH_STEP_LOG10).round() as usize;
    let mut best = (f64::INFINITY, SEARCH_FROM_LOG10);
    for i in 0..=steps {
        let t = SEARCH_FROM_LOG10 + i as f64 * SEARCH_STEP_LOG10;
        let (v, _) = score(t);
        if v < best.0 {
            best = (v, t);
        }
    }
    // Golden section within one step either side of the best grid point.
    let (mut a, mut b) = (best.1 - SEARCH_STEP_LOG10, best.1 + SEARCH_STEP_LOG10);
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut e) = (b - ratio * (b - a), a + ratio * (b - a));
    let (mut fc, mut fe) = (score(c).0, score(e).0);
    for _ in 0..60 {
        if fc < fe {
            b = e;
            e = c;
            fe = fc;
            c = b - ratio * (b - a);
            fc = score(c).0;
        } else {
            a = c;
            c = e;
            fc = fe;
            e = a + ratio * (b - a);
            fe = score(e).0;
        }
    }
    let t = if fc.min(fe) < best.0 {
        0.5 * (a + b)
    } else {
        best.1
    };
    let mu = 10f64.powf(t);
    let e_vals: Vec<f64> = d.iter().map(|&di| di + mu * (1.0 - di)).collect();
    let edf: f64 = d.iter().zip(&e_vals).map(|(di, ei)| di / ei).sum();
    // β = L⁻ᵀ U (g / e); the covariance factor L⁻ᵀ U diag(1/√e).
    let coef = coef_at(&e_vals);
    let mut cov = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            cov[i * p + j] = u[i * p + j] / e_vals[j].sqrt();
        }
    }
    // Solve Lᵀ Q = U diag(1/√e) column by column.
    let mut col = vec![0.0; p];
    for j in 0..p {
        for i in 0..p {
            col[i] = cov[i * p + j];
        }
        backward_solve_transposed(&l, &mut col, p);
        for i in 0..p {
            cov[i * p + j] = col[i];
        }
    }
    let rss = rss_of(&coef);
    let dof = (n - edf).max(f64::MIN_POSITIVE);
    Ok(Surface {
        axis,
        coef,
        cov_factor: cov,
        lambda: mu * scale,
        edf,
        gcv: n * rss / (dof * dof),
        criterion,
        sigma: (rss / dof).sqrt(),
        n: points.len(),
    })
}

/// In-place Cholesky of a symmetric positive definite p × p matrix (row-major): the lower
/// triangle becomes L with A = L Lᵀ, the upper is zeroed. None when not positive definite.
fn cholesky(a: &mut [f64], p: usize) -> Option<()> {
    for j in 0..p {
        let mut diag = a[j * p + j];
        for k in 0..j {
            diag -= a[j * p + k] * a[j * p + k];
        }
        let floor = 1e-12 * a[j * p + j].abs().max(f64::MIN_POSITIVE);
        if diag.partial_cmp(&floor) != Some(std::cmp::Ordering::Greater) || !diag.is_finite() {
            return None;
        }
        let ljj = diag.sqrt();
        a[j * p + j] = ljj;
        for i in j + 1..p {
            let mut x = a[i * p + j];
            for k in 0..j {
                x -= a[i * p + k] * a[j * p + k];
            }
            a[i * p + j] = x / ljj;
        }
        for i in 0..j {
            a[i * p + j] = 0.0;
        }
    }
    Some(())
}

/// Solves L x = b in place.
fn forward_solve(l: &[f64], b: &mut [f64], p: usize) {
    for i in 0..p {
        let mut x = b[i];
        for k in 0..i {
            x -= l[i * p + k] * b[k];
        }
        b[i] = x / l[i * p + i];
    }
}

/// Solves Lᵀ x = b in place.
fn backward_solve_transposed(l: &[f64], b: &mut [f64], p: usize) {
    for i in (0..p).rev() {
        let mut x = b[i];
        for k in i + 1..p {
            x -= l[k * p + i] * b[k];
        }
        b[i] = x / l[i * p + i];
    }
}

/// Solves L X = B in place for a p × p row-major B (all columns at once, row by row).
fn forward_solve_columns(l: &[f64], b: &mut [f64], p: usize) {
    for i in 0..p {
        for k in 0..i {
            let lik = l[i * p + k];
            if lik != 0.0 {
                let (done, rest) = b.split_at_mut(i * p);
                let src = &done[k * p..(k + 1) * p];
                for (x, y) in rest[..p].iter_mut().zip(src) {
                    *x -= lik * y;
                }
            }
        }
        let lii = l[i * p + i];
        for x in &mut b[i * p..(i + 1) * p] {
            *x /= lii;
        }
    }
}

fn transpose(a: &[f64], p: usize) -> Vec<f64> {
    let mut t = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            t[j * p + i] = a[i * p + j];
        }
    }
    t
}

/// Eigenvalues and eigenvectors of a symmetric p × p matrix (row-major): Householder
/// tridiagonalisation and the implicit QL algorithm (tred2 and tql2 of EISPACK, as JAMA
/// writes them). Returns (values, V) with A = V diag(values) Vᵀ, eigenvector j in column j.
// Indexed loops, as the published algorithm is written, so that it can be checked line by line.
#[allow(clippy::needless_range_loop)]
fn symmetric_eigen(a: Vec<f64>, n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = a;
    let mut d = vec![0.0; n];
    let mut e = vec![0.0; n];
    let idx = |i: usize, j: usize| i * n + j;
    if n == 0 {
        return (d, v);
    }
    // tred2.
    for j in 0..n {
        d[j] = v[idx(n - 1, j)];
    }
    for i in (1..n).rev() {
        let mut scale = 0.0;
        let mut h = 0.0;
        for k in 0..i {
            scale += d[k].abs();
        }
        if scale == 0.0 {
            e[i] = d[i - 1];
            for j in 0..i {
                d[j] = v[idx(i - 1, j)];
                v[idx(i, j)] = 0.0;
                v[idx(j, i)] = 0.0;
            }
        } else {
            for k in 0..i {
                d[k] /= scale;
                h += d[k] * d[k];
            }
            let mut f = d[i - 1];
            let mut g = h.sqrt();
            if f > 0.0 {
                g = -g;
            }
            e[i] = scale * g;
            h -= f * g;
            d[i - 1] = f - g;
            for ej in e.iter_mut().take(i) {
                *ej = 0.0;
            }
            for j in 0..i {
                f = d[j];
                v[idx(j, i)] = f;
                g = e[j] + v[idx(j, j)] * f;
                for k in j + 1..i {
                    g += v[idx(k, j)] * d[k];
                    e[k] += v[idx(k, j)] * f;
                }
                e[j] = g;
            }
            f = 0.0;
            for j in 0..i {
                e[j] /= h;
                f += e[j] * d[j];
            }
            let hh = f / (h + h);
            for j in 0..i {
                e[j] -= hh * d[j];
            }
            for j in 0..i {
                f = d[j];
                g = e[j];
                for k in j..i {
                    v[idx(k, j)] -= f * e[k] + g * d[k];
                }
                d[j] = v[idx(i - 1, j)];
                v[idx(i, j)] = 0.0;
            }
        }
        d[i] = h;
    }
    for i in 0..n - 1 {
        v[idx(n - 1, i)] = v[idx(i, i)];
        v[idx(i, i)] = 1.0;
        let h = d[i + 1];
        if h != 0.0 {
            for k in 0..=i {
                d[k] = v[idx(k, i + 1)] / h;
            }
            for j in 0..=i {
                let mut g = 0.0;
                for k in 0..=i {
                    g += v[idx(k, i + 1)] * v[idx(k, j)];
                }
                for k in 0..=i {
                    v[idx(k, j)] -= g * d[k];
                }
            }
        }
        for k in 0..=i {
            v[idx(k, i + 1)] = 0.0;
        }
    }
    for j in 0..n {
        d[j] = v[idx(n - 1, j)];
        v[idx(n - 1, j)] = 0.0;
    }
    v[idx(n - 1, n - 1)] = 1.0;
    e[0] = 0.0;
    // tql2.
    for i in 1..n {
        e[i - 1] = e[i];
    }
    e[n - 1] = 0.0;
    let mut f = 0.0;
    let mut tst1: f64 = 0.0;
    let eps = f64::EPSILON;
    for l in 0..n {
        tst1 = tst1.max(d[l].abs() + e[l].abs());
        let mut m = l;
        while m < n {
            if e[m].abs() <= eps * tst1 {
                break;
            }
            m += 1;
        }
        if m > l {
            let mut iter = 0;
            loop {
                iter += 1;
                let mut g = d[l];
                let mut p = (d[l + 1] - g) / (2.0 * e[l]);
                let mut r = p.hypot(1.0);
                if p < 0.0 {
                    r = -r;
                }
                d[l] = e[l] / (p + r);
                d[l + 1] = e[l] * (p + r);
                let dl1 = d[l + 1];
                let mut h = g - d[l];
                for di in d.iter_mut().skip(l + 2) {
                    *di -= h;
                }
                f += h;
                p = d[m];
                let mut c = 1.0;
                let mut c2 = c;
                let mut c3 = c;
                let el1 = e[l + 1];
                let mut s = 0.0;
                let mut s2 = 0.0;
                for i in (l..m).rev() {
                    c3 = c2;
                    c2 = c;
                    s2 = s;
                    g = c * e[i];
                    h = c * p;
                    r = p.hypot(e[i]);
                    e[i + 1] = s * r;
                    s = e[i] / r;
                    c = p / r;
                    p = c * d[i] - s * g;
                    d[i + 1] = h + s * (c * g + s * d[i]);
                    for k in 0..n {
                        h = v[idx(k, i + 1)];
                        v[idx(k, i + 1)] = s * v[idx(k, i)] + c * h;
                        v[idx(k, i)] = c * v[idx(k, i)] - s * h;
                    }
                }
                p = -s * s2 * c3 * el1 * e[l] / dl1;
                e[l] = s * p;
                d[l] = c * p;
                if e[l].abs() <= eps * tst1 || iter >= 60 {
                    break;
                }
            }
        }
        d[l] += f;
        e[l] = 0.0;
    }
    (d, v)
}

/// One grid cell of the plot.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Cell {
    pub u: f64,
    pub v: f64,
    /// The surface (concentration units); None when masked: outside the disc or farther than
    /// the mask's distance from every bin with data.
    pub value: Option<f64>,
    /// An approximate 95 % interval: the fitted scale's prediction ± 2 standard errors,
    /// squared back when fitted on √z (a negative lower end counts as 0).
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

/// The polar plot of a station's hours: the bins, the fit's figures and the grid.
#[derive(Clone, Debug, PartialEq)]
pub struct PolarPlot {
    /// The method stated (Chinese, English).
    pub method_zh: String,
    pub method_en: String,
    pub options: Options,
    pub binning: Binning,
    /// Bins fitted (those with at least `min_bin` hours).
    pub bins_fitted: usize,
    /// λ, effective degrees of freedom, GCV score and residual standard deviation of the fit
    /// (on the √ scale when `force_positive`).
    pub lambda: f64,
    pub edf: f64,
    pub gcv: f64,
    pub sigma: f64,
    /// RMS of (bin mean − surface at the bin), unweighted, in concentration units.
    pub rmse: f64,
    /// Grid cells, v-major with u varying fastest (row iv, column iu at iv·grid + iu); u and
    /// v from −ws_max to ws_max.
    pub cells: Vec<Cell>,
    /// Cells masked.
    pub cells_masked: usize,
}

/// The grid's coordinates: `grid` points from −r to r.
pub fn grid_axis(r: f64, grid: usize) -> Vec<f64> {
    (0..grid)
        .map(|i| -r + 2.0 * r * i as f64 / (grid - 1) as f64)
        .collect()
}

/// Whether each cell of a grid lies farther than `dist` (a share of the grid's width) from
/// every data point, the data and the grid scaled to the unit square by the grid's range
/// (mgcv's `exclude.too.far`). Cells in the order of [`PolarPlot::cells`].
pub fn too_far(axis: &[f64], data: &[(f64, f64)], dist: f64) -> Vec<bool> {
    let (lo, hi) = (axis[0], axis[axis.len() - 1]);
    let width = hi - lo;
    let scaled: Vec<(f64, f64)> = data
        .iter()
        .map(|&(u, v)| ((u - lo) / width, (v - lo) / width))
        .collect();
    let mut out = Vec::with_capacity(axis.len() * axis.len());
    for &v in axis {
        for &u in axis {
            let (x, y) = ((u - lo) / width, (v - lo) / width);
            let nearest = scaled
                .iter()
                .map(|&(a, b)| (a - x).powi(2) + (b - y).powi(2))
                .fold(f64::INFINITY, f64::min);
            out.push(nearest.sqrt() > dist);
        }
    }
    out
}

fn check(what: &'static str, value: f64, min: f64, max: f64) -> Result<(), PolarError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(PolarError::Option {
            what,
            value,
            min,
            max,
        })
    }
}

/// The polar plot of a station's hours.
pub fn polar_plot(hours: &[Hour], o: &Options) -> Result<PolarPlot, PolarError> {
    check("grid", o.grid as f64, GRID_MIN as f64, GRID_MAX as f64)?;
    check(
        "basis_per_axis",
        o.basis_per_axis as f64,
        BASIS_PER_AXIS_MIN as f64,
        BASIS_PER_AXIS_MAX as f64,
    )?;
    check("min_bin", o.min_bin as f64, 1.0, 1e6)?;
    check("exclude_dist", o.exclude_dist, 0.0, 2.0)?;
    check("calm_m_s", o.calm_m_s, 0.0, 1e3)?;
    let windy: Vec<Hour> = hours
        .iter()
        .copied()
        .filter(|h| h.ws_m_s >= o.calm_m_s)
        .collect();
    let binning = bin_hours(&windy);
    if binning.hours == 0 {
        return Err(PolarError::NoHours);
    }
    if binning.ws_max_m_s <= 0.0 {
        return Err(PolarError::NoWind);
    }
    let r = binning.ws_max_m_s;
    let kept: Vec<&Bin> = binning.bins.iter().filter(|b| b.n >= o.min_bin).collect();
    // A negative mean has no square root: openair's fit drops it (NA); so does this one.
    let points: Vec<Point> = kept
        .iter()
        .filter(|b| !o.force_positive || b.mean >= 0.0)
        .map(|b| Point {
            u: b.u,
            v: b.v,
            z: if o.force_positive {
                b.mean.sqrt()
            } else {
                b.mean
            },
            w: b.weight,
        })
        .collect();
    let surface = fit_surface(&points, -r, r, o.basis_per_axis, o.criterion)?;
    let back = |x: f64| if o.force_positive { x * x } else { x };
    let rmse = (points
        .iter()
        .map(|pt| (back(pt.z) - back(surface.predict(pt.u, pt.v))).powi(2))
        .sum::<f64>()
        / points.len() as f64)
        .sqrt();
    let axis = grid_axis(r, o.grid);
    let data: Vec<(f64, f64)> = kept.iter().map(|b| (b.u, b.v)).collect();
    let far = too_far(&axis, &data, o.exclude_dist);
    let mut cells = Vec::with_capacity(o.grid * o.grid);
    let mut cells_masked = 0;
    for (iv, &v) in axis.iter().enumerate() {
        for (iu, &u) in axis.iter().enumerate() {
            let outside = (u * u + v * v).sqrt() > r * (1.0 + 1e-9);
            if outside || far[iv * o.grid + iu] {
                cells_masked += 1;
                cells.push(Cell {
                    u,
                    v,
                    value: None,
                    lower: None,
                    upper: None,
                });
                continue;
            }
            let z = surface.predict(u, v);
            let se = surface.se(u, v);
            let (lo, hi) = if o.force_positive {
                (
                    (z - 2.0 * se).max(0.0).powi(2),
                    (z + 2.0 * se).max(0.0).powi(2),
                )
            } else {
                (z - 2.0 * se, z + 2.0 * se)
            };
            cells.push(Cell {
                u,
                v,
                value: Some(back(z)),
                lower: Some(lo),
                upper: Some(hi),
            });
        }
    }
    let (method_zh, method_en) = method_text(o, &binning);
    Ok(PolarPlot {
        method_zh,
        method_en,
        options: *o,
        bins_fitted: points.len(),
        lambda: surface.lambda,
        edf: surface.edf,
        gcv: surface.gcv,
        sigma: surface.sigma,
        rmse,
        cells,
        cells_masked,
        binning,
    })
}

/// The method as a page or report states it.
fn method_text(o: &Options, b: &Binning) -> (String, String) {
    let k = o.basis_per_axis;
    let g = o.grid;
    let step = b.wd_step_deg;
    let max = b.ws_max_m_s;
    let pct = o.exclude_dist * 100.0;
    let (calm_zh, calm_en) = if o.calm_m_s > 0.0 {
        (
            format!("风速低于{} m/s的静风小时不计；", o.calm_m_s),
            format!(
                "calm hours (wind speed below {} m/s) left out; ",
                o.calm_m_s
            ),
        )
    } else {
        (String::new(), String::new())
    };
    let (sqrt_zh, back_zh, sqrt_en, back_en) = if o.force_positive {
        (
            "的平方根",
            "后平方还原",
            "the square root of ",
            ", squared back",
        )
    } else {
        ("", "", "", "")
    };
    let zh = format!(
        "极坐标图（同openair polarPlot）：{calm_zh}小时数据按风向（{step}°扇区）和风速（0–{max} m/s等分{WS_BINS}段）分箱，\
         求每箱浓度均值（至少{min}小时）；以u=风速·sin(风向)、v=风速·cos(风向)为坐标，对箱均值{sqrt_zh}拟合张量积\
         三次B样条惩罚回归曲面（P样条，每轴{k}个基函数，二阶差分惩罚，平滑参数λ由广义交叉验证GCV选取；\
         含1、2、3小时的箱权重0.25、0.5、0.75），在{g}×{g}网格上预测{back_zh}；最大风速圆外及距有数据的箱\
         超过网格宽度{pct}%的格点不显示。区间为预测值±2倍标准误（近似95%）。",
        min = o.min_bin
    );
    let en = format!(
        "Polar plot (as openair's polarPlot): {calm_en}hours binned by wind direction ({step}° sectors) and wind \
         speed ({WS_BINS} equal intervals from 0 to {max} m/s), the mean concentration of each bin (at \
         least {min} hours); {sqrt_en}the bin means, at u = ws·sin(wd), v = ws·cos(wd), smoothed by a \
         tensor-product penalised regression spline (P-spline: {k} cubic B-splines per axis, second-order \
         difference penalty, smoothing parameter λ chosen by generalised cross-validation; bins of 1, 2 \
         and 3 hours weighted 0.25, 0.5, 0.75), predicted on a {g}×{g} grid{back_en}; cells outside the \
         maximum wind speed's circle or farther than {pct}% of the grid's width from every bin with data \
         are masked. Intervals: prediction ± 2 standard errors (about 95 %).",
        min = o.min_bin
    );
    (zh, en)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }

    #[test]
    fn eigen_decomposition_reconstructs_symmetric_matrices() {
        let mut seed = 7;
        for n in [1, 2, 3, 10, 40] {
            let mut a = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..=i {
                    let x = lcg(&mut seed) - 0.5;
                    a[i * n + j] = x;
                    a[j * n + i] = x;
                }
            }
            let (d, v) = symmetric_eigen(a.clone(), n);
            for i in 0..n {
                for j in 0..n {
                    let back: f64 = (0..n).map(|k| v[i * n + k] * d[k] * v[j * n + k]).sum();
                    assert!((back - a[i * n + j]).abs() < 1e-10, "n {n} ({i},{j})");
                    let orth: f64 = (0..n).map(|k| v[k * n + i] * v[k * n + j]).sum();
                    let want = if i == j { 1.0 } else { 0.0 };
                    assert!((orth - want).abs() < 1e-10, "n {n} VᵀV ({i},{j})");
                }
            }
        }
    }

    #[test]
    fn b_splines_sum_to_one_and_match_the_recursion() {
        let axis = Axis::new(-2.0, 3.0, 9);
        for i in 0..=50 {
            let x = -2.0 + 5.0 * i as f64 / 50.0;
            let (first, vals) = axis.eval(x);
            assert!((vals.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{x}");
            // Cox–de Boor on the same knots.
            let knots: Vec<f64> = (0..axis.k + 4)
                .map(|j| axis.first_knot + j as f64 * axis.spacing)
                .collect();
            for (a, &val) in vals.iter().enumerate() {
                let want = cox_de_boor(&knots, first + a, 3, x);
                assert!((val - want).abs() < 1e-12, "x {x} function {}", first + a);
            }
        }
    }

    fn cox_de_boor(t: &[f64], j: usize, degree: usize, x: f64) -> f64 {
        if degree == 0 {
            return if t[j] <= x && x < t[j + 1] { 1.0 } else { 0.0 };
        }
        let left = (x - t[j]) / (t[j + degree] - t[j]) * cox_de_boor(t, j, degree - 1, x);
        let right = (t[j + degree + 1] - x) / (t[j + degree + 1] - t[j + 1])
            * cox_de_boor(t, j + 1, degree - 1, x);
        left + right
    }

    #[test]
    fn a_smooth_surface_is_recovered_from_noise_free_samples() {
        // Samples on a polar lattice as bins lie; the truth is smooth, so GCV picks little
        // smoothing and the fit is close everywhere inside the disc.
        type Truth = (&'static str, fn(f64, f64) -> f64);
        let truths: [Truth; 2] = [
            ("10 + u + 0.5 v²", |u, v| 10.0 + u + 0.5 * v * v),
            ("bilinear 3 - u + 2uv", |u, v| 3.0 - u + 2.0 * u * v),
        ];
        for (name, f) in truths {
            let mut pts = Vec::new();
            for ring in 0..12 {
                let r = 2.0 * (ring as f64 + 0.5) / 12.0;
                for s in 0..16 {
                    let a = (s as f64 * 22.5f64).to_radians();
                    let (u, v) = (r * a.sin(), r * a.cos());
                    pts.push(Point {
                        u,
                        v,
                        z: f(u, v),
                        w: 1.0,
                    });
                }
            }
            for criterion in [Criterion::Reml, Criterion::Gcv] {
                let fit = fit_surface(&pts, -2.0, 2.0, 10, criterion).expect(name);
                let mut worst: f64 = 0.0;
                for i in 0..21 {
                    for j in 0..21 {
                        let (u, v) = (-1.8 + 0.18 * i as f64, -1.8 + 0.18 * j as f64);
                        if u * u + v * v <= 1.8 * 1.8 {
                            worst = worst.max((fit.predict(u, v) - f(u, v)).abs());
                        }
                    }
                }
                let c = criterion.name();
                assert!(
                    worst < 0.02,
                    "{name} {c}: worst error {worst}, λ {}",
                    fit.lambda
                );
                assert!(
                    fit.edf > 3.0 && fit.edf < 100.0,
                    "{name} {c}: edf {}",
                    fit.edf
                );
            }
        }
    }

    #[test]
    fn smoothing_increases_with_noise_and_bilinear_data_need_only_four_degrees_of_freedom() {
        let mut seed = 11;
        let mut pts = Vec::new();
        for ring in 0..10 {
            let r = (ring as f64 + 0.5) / 10.0;
            for s in 0..16 {
                let a = (s as f64 * 22.5f64).to_radians();
                let (u, v) = (r * a.sin(), r * a.cos());
                pts.push(Point {
                    u,
                    v,
                    z: 1.0 + u - 2.0 * v,
                    w: 1.0,
                });
            }
        }
        let exact = fit_surface(&pts, -1.0, 1.0, 8, Criterion::Reml).unwrap();
        for pt in &pts {
            assert!((exact.predict(pt.u, pt.v) - pt.z).abs() < 1e-6);
        }
        // Noise on a plane: both criteria should smooth to (nearly) the plane, a few degrees
        // of freedom, with σ near the noise's 0.29.
        let noisy: Vec<Point> = pts
            .iter()
            .map(|p| Point {
                z: p.z + (lcg(&mut seed) - 0.5),
                ..*p
            })
            .collect();
        for criterion in [Criterion::Reml, Criterion::Gcv] {
            let fit = fit_surface(&noisy, -1.0, 1.0, 8, criterion).unwrap();
            let c = criterion.name();
            assert!(fit.edf < 8.0, "{c}: edf {}", fit.edf);
            assert!(
                fit.sigma > 0.2 && fit.sigma < 0.4,
                "{c}: sigma {} for uniform(−0.5, 0.5) noise",
                fit.sigma
            );
        }
    }

    fn hour(conc: f64, ws: f64, wd: f64) -> Hour {
        Hour {
            ts: 0,
            conc,
            ws_m_s: ws,
            wd_deg: wd,
        }
    }

    #[test]
    fn hours_are_binned_by_compass_point_and_speed_interval() {
        let hours = [
            hour(10.0, 3.0, 0.0),
            hour(20.0, 2.95, 0.0),
            hour(5.0, 0.0, 22.5),
            hour(7.0, 0.1, 22.5),
            hour(f64::NAN, 1.0, 90.0),
            hour(1.0, f64::NAN, 90.0),
            hour(1.0, 1.0, f64::NAN),
            hour(1.0, -1.0, 90.0),
        ];
        let b = bin_hours(&hours);
        assert_eq!(b.hours, 4);
        assert_eq!(b.ws_max_m_s, 3.0);
        assert_eq!(b.wd_step_deg, COMPASS_STEP_DEG);
        let got: Vec<(usize, usize, usize, f64, f64)> = b
            .bins
            .iter()
            .map(|x| (x.wd_bin, x.ws_bin, x.n, x.mean, x.weight))
            .collect();
        // Width 0.1 m/s: 3.0 is in (2.9, 3.0] = interval 29, 2.95 too; 0 and 0.1 in [0, 0.1].
        assert_eq!(got, vec![(0, 29, 2, 15.0, 0.5), (1, 0, 2, 6.0, 0.5)]);
        assert!((b.bins[1].ws_m_s - 0.05).abs() < 1e-12);
        let other = bin_hours(&[hour(1.0, 1.0, 5.0), hour(1.0, 2.0, 4.9)]);
        assert_eq!(other.wd_step_deg, WD_STEP_DEG_DEFAULT);
        assert_eq!(
            other.bins.iter().map(|x| x.wd_bin).collect::<Vec<_>>(),
            vec![0, 1]
        );
        for (ws, w, want) in [
            (0.0, 0.1, 0),
            (0.1, 0.1, 0),
            (0.1000001, 0.1, 1),
            (3.0, 0.1, 29),
            (0.3, 0.1, 2),
        ] {
            assert_eq!(ws_bin_of(ws, w), want, "{ws} in width {w}");
        }
    }

    fn synthetic_year() -> Vec<Hour> {
        // A source to the east at high wind speed over a background of 20.
        let mut hours = Vec::new();
        let mut seed = 3;
        for i in 0..8760 {
            let wd = (i % 16) as f64 * 22.5;
            let ws = 0.1 + 6.0 * lcg(&mut seed).powi(2);
            let (u, v) = (ws * wd.to_radians().sin(), ws * wd.to_radians().cos());
            let conc =
                20.0 + 60.0 * (-((u - 4.0).powi(2) + v * v) / 2.0).exp() + 5.0 * lcg(&mut seed);
            hours.push(hour(conc, ws, wd));
        }
        hours
    }

    #[test]
    fn the_plot_finds_the_source_and_masks_cells_far_from_data() {
        let hours = synthetic_year();
        let plot = polar_plot(&hours, &Options::default()).unwrap();
        assert_eq!(plot.cells.len(), GRID_DEFAULT * GRID_DEFAULT);
        let best = plot
            .cells
            .iter()
            .filter_map(|c| c.value.map(|z| (z, c.u, c.v)))
            .fold((f64::MIN, 0.0, 0.0), |a, b| if b.0 > a.0 { b } else { a });
        assert!(
            best.1 > 3.0 && best.2.abs() < 1.0,
            "peak at u {} v {}",
            best.1,
            best.2
        );
        assert!(best.0 > 60.0 && best.0 < 95.0, "peak {}", best.0);
        for c in &plot.cells {
            let r = (c.u * c.u + c.v * c.v).sqrt();
            if r > plot.binning.ws_max_m_s * 1.0001 {
                assert!(c.value.is_none(), "outside the disc at {} {}", c.u, c.v);
            }
            if let (Some(z), Some(lo), Some(hi)) = (c.value, c.lower, c.upper) {
                assert!(lo <= z && z <= hi);
            }
        }
        // The corners are masked; so is a sector with no data once its hours are removed.
        assert!(plot.cells[0].value.is_none());
        let no_west: Vec<Hour> = hours
            .iter()
            .copied()
            .filter(|h| h.wd_deg != 270.0)
            .collect();
        let plot = polar_plot(&no_west, &Options::default()).unwrap();
        let west = |c: &&Cell| c.v.abs() < 0.05 && c.u < -2.0;
        assert!(plot.cells.iter().filter(west).all(|c| c.value.is_none()));
        let east = |c: &&Cell| c.v.abs() < 0.05 && c.u > 2.0 && c.u < 5.0;
        assert!(plot.cells.iter().filter(east).all(|c| c.value.is_some()));
        assert!(plot.method_zh.contains("GCV") && plot.method_en.contains("P-spline"));
        assert!(plot.rmse < 6.0, "rmse {}", plot.rmse);
    }

    #[test]
    fn no_data_no_wind_and_bad_options_are_errors() {
        assert_eq!(
            polar_plot(&[], &Options::default()),
            Err(PolarError::NoHours)
        );
        assert_eq!(
            polar_plot(
                &[hour(1.0, 0.0, 0.0), hour(2.0, 0.0, 90.0)],
                &Options::default()
            ),
            Err(PolarError::NoWind)
        );
        assert_eq!(
            polar_plot(
                &[hour(1.0, 1.0, 0.0), hour(2.0, 2.0, 90.0)],
                &Options::default()
            ),
            Err(PolarError::TooFewBins { bins: 2 })
        );
        let bad = Options {
            grid: 2,
            ..Options::default()
        };
        assert!(matches!(
            polar_plot(&synthetic_year(), &bad),
            Err(PolarError::Option { what: "grid", .. })
        ));
        assert!(
            PolarError::TooFewBins { bins: 2 }
                .to_string()
                .contains("at least 6")
        );
    }
}
