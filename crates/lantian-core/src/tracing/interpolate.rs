//! Interpolated concentration surfaces over a station network (issue 19, "maps over time"):
//! inverse distance weighting and ordinary kriging with a semivariogram fitted per hour,
//! and leave-one-out cross-validation of both. docs/tracing.md "Interpolation" states the
//! formulas and every fitting decision.
//!
//! Positions are in kilometres on a local equirectangular projection centred on the
//! network ([`Projection`]): over a county or a city (≤ 100 km) its distance error against
//! the great circle is below 0.1 %, and it makes the plane geometry of kriging exact.
//! Values are per hour and station, NaN = missing.

use serde::Serialize;

/// Mean Earth radius (IUGG), km.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;
/// The default power of inverse distance weighting.
pub const IDW_POWER_DEFAULT: f64 = 2.0;
/// A target this close to a station (km) takes the station's value.
pub const SAME_PLACE_KM: f64 = 1e-6;
/// Stations with a value an hour needs to have its own variogram fitted; fewer, and the
/// pooled variogram of the window is used.
pub const VARIOGRAM_HOUR_STATIONS_MIN: usize = 6;
/// Lag classes of the empirical semivariogram (equal numbers of pairs in each).
pub const LAG_BINS_DEFAULT: usize = 6;
/// Hours either side of an hour whose standardised semivariances are pooled when the
/// hour's own fit fails.
pub const POOL_WINDOW_HOURS_DEFAULT: usize = 12;
/// Other stations with a value that a prediction (a grid cell or a held-out station) needs.
pub const PREDICT_STATIONS_MIN: usize = 3;
/// Log-spaced candidate ranges searched before the golden-section refinement.
const RANGE_STEPS: usize = 120;
/// Golden-section iterations refining the best range.
const RANGE_REFINE_STEPS: usize = 60;

/// A local equirectangular projection: x east and y north in km from the centre.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Projection {
    pub lat0_deg: f64,
    pub lon0_deg: f64,
}

impl Projection {
    /// Centred on the mean latitude and longitude of the positions (lat, lon).
    pub fn centred_on(latlon: &[(f64, f64)]) -> Projection {
        let n = latlon.len().max(1) as f64;
        let lat0_deg = latlon.iter().map(|p| p.0).sum::<f64>() / n;
        let lon0_deg = latlon.iter().map(|p| p.1).sum::<f64>() / n;
        Projection { lat0_deg, lon0_deg }
    }

    /// (x, y) in km: x = R·Δλ·cos φ0, y = R·Δφ (radians).
    pub fn km(&self, lat_deg: f64, lon_deg: f64) -> (f64, f64) {
        let x = EARTH_RADIUS_KM
            * (lon_deg - self.lon0_deg).to_radians()
            * self.lat0_deg.to_radians().cos();
        let y = EARTH_RADIUS_KM * (lat_deg - self.lat0_deg).to_radians();
        (x, y)
    }

    /// The inverse of [`Projection::km`]: (lat, lon) in degrees.
    pub fn latlon(&self, x_km: f64, y_km: f64) -> (f64, f64) {
        let lat = self.lat0_deg + (y_km / EARTH_RADIUS_KM).to_degrees();
        let lon = self.lon0_deg
            + (x_km / (EARTH_RADIUS_KM * self.lat0_deg.to_radians().cos())).to_degrees();
        (lat, lon)
    }
}

fn dist(a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

/// Inverse distance weighting: ẑ = Σ wᵢ zᵢ / Σ wᵢ with wᵢ = 1 / dᵢ^p over the known points
/// (x km, y km, value). A target within [`SAME_PLACE_KM`] of a point takes its value (the
/// first such point). `None` without points.
pub fn idw(known: &[(f64, f64, f64)], at: (f64, f64), power: f64) -> Option<f64> {
    if known.is_empty() {
        return None;
    }
    let mut num = 0.0;
    let mut den = 0.0;
    for &(x, y, z) in known {
        let d = dist((x, y), at);
        if d < SAME_PLACE_KM {
            return Some(z);
        }
        let w = 1.0 / d.powf(power);
        num += w * z;
        den += w;
    }
    Some(num / den)
}

/// The shape of a semivariogram model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// γ(h) = c0 + c1·(1.5 h/a − 0.5 (h/a)³) for h < a, c0 + c1 beyond; a is the range.
    Spherical,
    /// γ(h) = c0 + c1·(1 − exp(−h/a)); the practical range (95 % of the sill) is 3a. The
    /// reported `range_km` is a, as gstat's.
    Exponential,
}

impl ModelKind {
    /// The model's name as the command line spells it.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Spherical => "spherical",
            ModelKind::Exponential => "exponential",
        }
    }

    /// The model's unit shape at lag `h` for range parameter `a` (0 at 0, 1 at the sill).
    fn shape(self, h: f64, a: f64) -> f64 {
        match self {
            ModelKind::Spherical => {
                let r = h / a;
                if r >= 1.0 {
                    1.0
                } else {
                    1.5 * r - 0.5 * r * r * r
                }
            }
            ModelKind::Exponential => 1.0 - (-h / a).exp(),
        }
    }

    /// The distance at which the model reaches (95 % of) its sill, for parameter `a`.
    fn effective_range(self, a: f64) -> f64 {
        match self {
            ModelKind::Spherical => a,
            ModelKind::Exponential => 3.0 * a,
        }
    }
}

/// A semivariogram model: nugget c0, partial sill c1, range parameter a (km).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Variogram {
    pub kind: ModelKind,
    pub nugget: f64,
    pub psill: f64,
    pub range_km: f64,
}

impl Variogram {
    /// γ(h); γ(0) = 0 (the nugget is a discontinuity at the origin, so kriging honours data).
    pub fn gamma(&self, h_km: f64) -> f64 {
        if h_km <= 0.0 {
            return 0.0;
        }
        self.nugget + self.psill * self.kind.shape(h_km, self.range_km)
    }

    /// Nugget plus partial sill.
    pub fn sill(&self) -> f64 {
        self.nugget + self.psill
    }

    fn scaled(self, factor: f64) -> Variogram {
        Variogram {
            nugget: self.nugget * factor,
            psill: self.psill * factor,
            ..self
        }
    }
}

/// One lag class of an empirical semivariogram.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LagBin {
    /// Mean distance of the class's pairs, km.
    pub h_km: f64,
    /// Mean semivariance ½(zᵢ − zⱼ)² of the class's pairs.
    pub gamma: f64,
    pub n_pairs: usize,
}

/// Every pair of points: (distance km, semivariance ½(zᵢ − zⱼ)²).
pub fn pairs(points: &[(f64, f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() * points.len().saturating_sub(1) / 2);
    for (i, a) in points.iter().enumerate() {
        for b in &points[i + 1..] {
            let d = a.2 - b.2;
            out.push((dist((a.0, a.1), (b.0, b.1)), 0.5 * d * d));
        }
    }
    out
}

/// Lag classes of (distance, semivariance) pairs: sorted by distance and cut into `bins`
/// classes of equal numbers of pairs (the first classes take one more when they do not
/// divide evenly). Pairs at distance zero are dropped.
pub fn bin_pairs(mut pairs: Vec<(f64, f64)>, bins: usize) -> Vec<LagBin> {
    pairs.retain(|p| p.0 > SAME_PLACE_KM && p.1.is_finite());
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let bins = bins.max(1).min(pairs.len());
    let mut out = Vec::with_capacity(bins);
    let mut start = 0;
    for k in 0..bins {
        let len = pairs.len() / bins + usize::from(k < pairs.len() % bins);
        let class = &pairs[start..start + len];
        start += len;
        let n = class.len() as f64;
        out.push(LagBin {
            h_km: class.iter().map(|p| p.0).sum::<f64>() / n,
            gamma: class.iter().map(|p| p.1).sum::<f64>() / n,
            n_pairs: class.len(),
        });
    }
    out
}

/// The weighted sum of squares of a model against lag classes, weights Nⱼ / hⱼ² (gstat's
/// default, `fit.method = 7`): close, well-populated classes count most.
fn wsse(bins: &[LagBin], vg: &Variogram) -> f64 {
    bins.iter()
        .map(|b| {
            let r = b.gamma - vg.gamma(b.h_km);
            b.n_pairs as f64 / (b.h_km * b.h_km) * r * r
        })
        .sum()
}

/// For a fixed range, the nugget and partial sill minimising the weighted sum of squares
/// subject to both ≥ 0 (two parameters: the unconstrained solution, or one of them at zero).
fn best_sills(bins: &[LagBin], kind: ModelKind, a: f64) -> (f64, f64, f64) {
    let (mut sw, mut swf, mut swff, mut swg, mut swfg) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for b in bins {
        let w = b.n_pairs as f64 / (b.h_km * b.h_km);
        let f = kind.shape(b.h_km, a);
        sw += w;
        swf += w * f;
        swff += w * f * f;
        swg += w * b.gamma;
        swfg += w * f * b.gamma;
    }
    let mut candidates = Vec::with_capacity(3);
    let det = sw * swff - swf * swf;
    if det.abs() > 1e-12 * sw * swff {
        let c0 = (swg * swff - swf * swfg) / det;
        let c1 = (sw * swfg - swf * swg) / det;
        if c0 >= 0.0 && c1 >= 0.0 {
            candidates.push((c0, c1));
        }
    }
    if swff > 0.0 {
        candidates.push((0.0, (swfg / swff).max(0.0)));
    }
    candidates.push(((swg / sw).max(0.0), 0.0));
    let mut best = (f64::INFINITY, 0.0, 0.0);
    for (c0, c1) in candidates {
        let e = wsse(
            bins,
            &Variogram {
                kind,
                nugget: c0,
                psill: c1,
                range_km: a,
            },
        );
        if e < best.0 {
            best = (e, c0, c1);
        }
    }
    (best.1, best.2, best.0)
}

/// Fits a model to lag classes by weighted least squares (weights Nⱼ / hⱼ²), nugget and
/// partial sill ≥ 0, the effective range bounded to [the first class's distance, twice the
/// last class's distance]: a log-spaced search of the range, then a golden-section
/// refinement around the best; for each range the sills are solved exactly. `None` when the
/// classes cannot carry a fit (fewer than 3, or no variation) or the fit has no spatial
/// structure (partial sill zero).
pub fn fit(bins: &[LagBin], kind: ModelKind) -> Option<(Variogram, f64)> {
    if bins.len() < 3 || bins.iter().all(|b| b.gamma <= 0.0) {
        return None;
    }
    let eff_min = bins[0].h_km;
    let eff_max = 2.0 * bins[bins.len() - 1].h_km;
    // Range parameter bounds from effective-range bounds.
    let a_min = eff_min / kind.effective_range(1.0);
    let a_max = eff_max / kind.effective_range(1.0);
    if !(a_min > 0.0 && a_max > a_min) {
        return None;
    }
    let at = |a: f64| best_sills(bins, kind, a).2;
    let ratio = (a_max / a_min).ln();
    let grid: Vec<f64> = (0..RANGE_STEPS)
        .map(|i| a_min * (ratio * i as f64 / (RANGE_STEPS - 1) as f64).exp())
        .collect();
    let mut best_i = 0;
    let mut best_e = f64::INFINITY;
    for (i, &a) in grid.iter().enumerate() {
        let e = at(a);
        if e < best_e {
            best_e = e;
            best_i = i;
        }
    }
    // Golden section on log a between the neighbours of the best grid point.
    let (mut lo, mut hi) = (
        grid[best_i.saturating_sub(1)].ln(),
        grid[(best_i + 1).min(RANGE_STEPS - 1)].ln(),
    );
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = hi - g * (hi - lo);
    let mut d = lo + g * (hi - lo);
    let (mut fc, mut fd) = (at(c.exp()), at(d.exp()));
    for _ in 0..RANGE_REFINE_STEPS {
        if fc < fd {
            hi = d;
            d = c;
            fd = fc;
            c = hi - g * (hi - lo);
            fc = at(c.exp());
        } else {
            lo = c;
            c = d;
            fc = fd;
            d = lo + g * (hi - lo);
            fd = at(d.exp());
        }
    }
    let mut a = ((lo + hi) / 2.0).exp();
    if at(a) > best_e {
        a = grid[best_i];
    }
    let (c0, c1, e) = best_sills(bins, kind, a);
    let vg = Variogram {
        kind,
        nugget: c0,
        psill: c1,
        range_km: a,
    };
    if !(e.is_finite() && vg.sill().is_finite()) || c1 <= 1e-12 * vg.sill().max(f64::MIN_POSITIVE) {
        return None;
    }
    Some((vg, e))
}

/// Where an hour's variogram came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FitSource {
    /// Fitted to the hour's own pairs.
    Hour,
    /// The hour's fit failed: fitted to the standardised semivariances (each hour's divided
    /// by its sample variance) of the hours within the window, rescaled by the hour's variance.
    Pooled,
    /// Both failed: exponential, no nugget, sill = the hour's variance, range parameter a
    /// third of the largest station distance.
    Default,
}

/// An hour's variogram with its evidence.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VariogramFit {
    pub model: Variogram,
    pub source: FitSource,
    /// Stations with a value this hour (the held-out station excluded).
    pub n_stations: usize,
    /// The lag classes the model was fitted to (standardised when pooled).
    pub bins: Vec<LagBin>,
    /// The weighted sum of squares of the fit (NaN for the default).
    pub wsse: f64,
    /// Whether the fitted effective range lies at its upper bound (within 1 %): the
    /// variogram still rises at the largest lags, so the range is not identified.
    pub range_at_bound: bool,
}

/// Whether a fit's effective range is at the upper bound [`fit`] allows.
fn at_bound(bins: &[LagBin], vg: &Variogram) -> bool {
    bins.last()
        .is_some_and(|b| vg.kind.effective_range(vg.range_km) >= 0.99 * 2.0 * b.h_km)
}

/// Options of the kriging fit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct KrigingOptions {
    pub kind: ModelKind,
    pub lag_bins: usize,
    pub pool_window_hours: usize,
}

impl Default for KrigingOptions {
    fn default() -> Self {
        KrigingOptions {
            kind: ModelKind::Exponential,
            lag_bins: LAG_BINS_DEFAULT,
            pool_window_hours: POOL_WINDOW_HOURS_DEFAULT,
        }
    }
}

/// The known points of an hour's row: (x, y, value) of stations with a finite value, except
/// `exclude`, with their station indices.
fn known(
    sites_km: &[(f64, f64)],
    row: &[f64],
    exclude: Option<usize>,
) -> (Vec<(f64, f64, f64)>, Vec<usize>) {
    let mut pts = Vec::new();
    let mut idx = Vec::new();
    for (s, (&(x, y), &z)) in sites_km.iter().zip(row).enumerate() {
        if z.is_finite() && Some(s) != exclude {
            pts.push((x, y, z));
            idx.push(s);
        }
    }
    (pts, idx)
}

/// The sample variance (n − 1) of the points' values; 0 for fewer than 2.
fn variance(points: &[(f64, f64, f64)]) -> f64 {
    if points.len() < 2 {
        return 0.0;
    }
    let n = points.len() as f64;
    let mean = points.iter().map(|p| p.2).sum::<f64>() / n;
    points.iter().map(|p| (p.2 - mean).powi(2)).sum::<f64>() / (n - 1.0)
}

/// The variogram of hour `hour` of `values` (`values[hour][station]`), leaving out station
/// `exclude` everywhere (its value takes no part, not even through the variogram): the
/// hour's own fit when it has [`VARIOGRAM_HOUR_STATIONS_MIN`] stations and a fit with
/// spatial structure, else the pooled standardised fit of the window, else the default.
pub fn variogram_for_hour(
    sites_km: &[(f64, f64)],
    values: &[Vec<f64>],
    hour: usize,
    exclude: Option<usize>,
    opts: &KrigingOptions,
) -> VariogramFit {
    let (pts, _) = known(sites_km, &values[hour], exclude);
    let var_h = variance(&pts);
    if pts.len() >= VARIOGRAM_HOUR_STATIONS_MIN {
        let bins = bin_pairs(pairs(&pts), opts.lag_bins);
        if let Some((model, e)) = fit(&bins, opts.kind) {
            return VariogramFit {
                range_at_bound: at_bound(&bins, &model),
                model,
                source: FitSource::Hour,
                n_stations: pts.len(),
                bins,
                wsse: e,
            };
        }
    }
    let lo = hour.saturating_sub(opts.pool_window_hours);
    let hi = (hour + opts.pool_window_hours).min(values.len().saturating_sub(1));
    let mut pooled = Vec::new();
    for row in &values[lo..=hi] {
        let (p, _) = known(sites_km, row, exclude);
        let v = variance(&p);
        if p.len() >= PREDICT_STATIONS_MIN && v > 0.0 {
            pooled.extend(pairs(&p).into_iter().map(|(h, g)| (h, g / v)));
        }
    }
    // The pooled fit has more pairs: twice the classes, still ≥ 30 pairs in each.
    let pooled_bins = (opts.lag_bins * 2).min(pooled.len() / 30).max(3);
    let bins = bin_pairs(pooled, pooled_bins);
    if let Some((model, e)) = fit(&bins, opts.kind) {
        return VariogramFit {
            range_at_bound: at_bound(&bins, &model),
            model: model.scaled(var_h),
            source: FitSource::Pooled,
            n_stations: pts.len(),
            bins,
            wsse: e,
        };
    }
    let h_max = pairs(&known(sites_km, &vec![0.0; sites_km.len()], exclude).0)
        .iter()
        .map(|p| p.0)
        .fold(0.0, f64::max);
    VariogramFit {
        model: Variogram {
            kind: ModelKind::Exponential,
            nugget: 0.0,
            psill: var_h,
            range_km: (h_max / 3.0).max(1.0),
        },
        source: FitSource::Default,
        n_stations: pts.len(),
        bins: Vec::new(),
        wsse: f64::NAN,
        range_at_bound: false,
    }
}

/// A kriged value and its kriging variance.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Kriged {
    pub value: f64,
    pub variance: f64,
}

/// The ordinary kriging system of known points, factored once for many targets.
#[derive(Debug)]
pub struct Kriging {
    points: Vec<(f64, f64, f64)>,
    vg: Variogram,
    /// The inverse of [[Γ, 1], [1ᵀ, 0]] (n + 1 square, row-major), or `None` when the
    /// model has no variance (every value equal): the prediction is then their mean.
    inverse: Option<Vec<f64>>,
}

impl Kriging {
    /// Sets up the system; `None` without points or when it is singular.
    pub fn new(points: &[(f64, f64, f64)], vg: Variogram) -> Option<Kriging> {
        let n = points.len();
        if n == 0 {
            return None;
        }
        if vg.sill() <= 0.0 || !vg.sill().is_finite() {
            return Some(Kriging {
                points: points.to_vec(),
                vg,
                inverse: None,
            });
        }
        let m = n + 1;
        let mut a = vec![0.0; m * m];
        for i in 0..n {
            for j in 0..n {
                a[i * m + j] =
                    vg.gamma(dist((points[i].0, points[i].1), (points[j].0, points[j].1)));
            }
            a[i * m + n] = 1.0;
            a[n * m + i] = 1.0;
        }
        let inverse = invert(&a, m)?;
        Some(Kriging {
            points: points.to_vec(),
            vg,
            inverse: Some(inverse),
        })
    }

    /// The ordinary kriging prediction at `at`: ẑ = Σ λᵢ zᵢ with [λ; μ] = A⁻¹ [γ(dᵢ); 1],
    /// variance σ² = Σ λᵢ γ(dᵢ) + μ.
    pub fn predict(&self, at: (f64, f64)) -> Kriged {
        let n = self.points.len();
        let Some(inv) = &self.inverse else {
            let mean = self.points.iter().map(|p| p.2).sum::<f64>() / n as f64;
            return Kriged {
                value: mean,
                variance: 0.0,
            };
        };
        let m = n + 1;
        let mut b = Vec::with_capacity(m);
        b.extend(
            self.points
                .iter()
                .map(|p| self.vg.gamma(dist((p.0, p.1), at))),
        );
        b.push(1.0);
        let (mut value, mut var) = (0.0, 0.0);
        for i in 0..m {
            let w: f64 = (0..m).map(|j| inv[i * m + j] * b[j]).sum();
            if i < n {
                value += w * self.points[i].2;
                var += w * b[i];
            } else {
                var += w;
            }
        }
        Kriged {
            value,
            variance: var.max(0.0),
        }
    }
}

/// Gauss–Jordan inversion with partial pivoting of an m × m row-major matrix; `None` when
/// a pivot vanishes (singular within 1e-12 of the largest entry).
fn invert(a: &[f64], m: usize) -> Option<Vec<f64>> {
    let mut a = a.to_vec();
    let mut inv = vec![0.0; m * m];
    for i in 0..m {
        inv[i * m + i] = 1.0;
    }
    let scale = a.iter().fold(0.0f64, |s, v| s.max(v.abs()));
    for col in 0..m {
        let piv =
            (col..m).max_by(|&r, &s| a[r * m + col].abs().total_cmp(&a[s * m + col].abs()))?;
        if a[piv * m + col].abs() <= 1e-12 * scale {
            return None;
        }
        if piv != col {
            for k in 0..m {
                a.swap(piv * m + k, col * m + k);
                inv.swap(piv * m + k, col * m + k);
            }
        }
        let p = a[col * m + col];
        for k in 0..m {
            a[col * m + k] /= p;
            inv[col * m + k] /= p;
        }
        for r in 0..m {
            if r != col {
                let f = a[r * m + col];
                if f != 0.0 {
                    for k in 0..m {
                        a[r * m + k] -= f * a[col * m + k];
                        inv[r * m + k] -= f * inv[col * m + k];
                    }
                }
            }
        }
    }
    Some(inv)
}

/// An interpolation method.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Method {
    Idw { power: f64 },
    Kriging(KrigingOptions),
}

impl Method {
    /// The method's short name.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Idw { .. } => "idw",
            Method::Kriging(_) => "kriging",
        }
    }

    /// The method stated (zh / en), as a page or report prints it.
    pub fn text(&self) -> String {
        match self {
            Method::Idw { power } => format!(
                "反距离加权插值（幂 {power}，局地等距圆柱投影距离，公里）/ inverse distance weighting \
                 (power {power}, distances in km on a local equirectangular projection)"
            ),
            Method::Kriging(o) => format!(
                "普通克里金，逐时拟合{}变异函数（加权最小二乘 Nj/hj²，{} 个距离组，每组点对数相等；拟合失败时用前后 {} 小时\
                 标准化合并变异函数）/ ordinary kriging, {} semivariogram model fitted per hour (weighted least \
                 squares, weights Nj/hj², {} equal-count lag classes; when an hour's fit fails, the pooled \
                 standardised variogram of ±{} hours)",
                match o.kind {
                    ModelKind::Spherical => "球状",
                    ModelKind::Exponential => "指数",
                },
                o.lag_bins,
                o.pool_window_hours,
                o.kind.name(),
                o.lag_bins,
                o.pool_window_hours
            ),
        }
    }
}

/// An hour's surface at the targets: values (NaN where not predicted), the kriging variance,
/// and the variogram used.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Surface {
    pub values: Vec<f64>,
    pub variance: Option<Vec<f64>>,
    pub variogram: Option<VariogramFit>,
    pub n_stations: usize,
}

/// The surface of hour `hour` at the targets (x, y km). Fewer than [`PREDICT_STATIONS_MIN`]
/// stations with a value leave every target NaN.
pub fn surface(
    sites_km: &[(f64, f64)],
    values: &[Vec<f64>],
    hour: usize,
    method: &Method,
    targets: &[(f64, f64)],
) -> Surface {
    let (pts, _) = known(sites_km, &values[hour], None);
    let blank = |variogram| Surface {
        values: vec![f64::NAN; targets.len()],
        variance: None,
        variogram,
        n_stations: pts.len(),
    };
    if pts.len() < PREDICT_STATIONS_MIN {
        return blank(None);
    }
    match method {
        Method::Idw { power } => Surface {
            values: targets
                .iter()
                .map(|&t| idw(&pts, t, *power).unwrap_or(f64::NAN))
                .collect(),
            variance: None,
            variogram: None,
            n_stations: pts.len(),
        },
        Method::Kriging(opts) => {
            let fit = variogram_for_hour(sites_km, values, hour, None, opts);
            let Some(k) = Kriging::new(&pts, fit.model) else {
                return blank(Some(fit));
            };
            let preds: Vec<Kriged> = targets.iter().map(|&t| k.predict(t)).collect();
            Surface {
                values: preds.iter().map(|p| p.value).collect(),
                variance: Some(preds.iter().map(|p| p.variance).collect()),
                variogram: Some(fit),
                n_stations: pts.len(),
            }
        }
    }
}

/// A grid over a bounding box: `cells` × `cells` cells, row 0 northernmost, column 0
/// westernmost (as an image); a cell's value is at its centre.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct GridSpec {
    pub lat_min: f64,
    pub lat_max: f64,
    pub lon_min: f64,
    pub lon_max: f64,
    pub cells: usize,
}

impl GridSpec {
    /// The stations' bounding box widened by `margin` (a fraction of its extent) each side.
    pub fn around(latlon: &[(f64, f64)], margin: f64, cells: usize) -> GridSpec {
        let lat_min = latlon.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
        let lat_max = latlon.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
        let lon_min = latlon.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let lon_max = latlon.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
        let dlat = (lat_max - lat_min) * margin;
        let dlon = (lon_max - lon_min) * margin;
        GridSpec {
            lat_min: lat_min - dlat,
            lat_max: lat_max + dlat,
            lon_min: lon_min - dlon,
            lon_max: lon_max + dlon,
            cells,
        }
    }

    /// The centres (lat, lon) of the cells, row by row from the north-west corner.
    pub fn centres(&self) -> Vec<(f64, f64)> {
        let n = self.cells as f64;
        let dlat = (self.lat_max - self.lat_min) / n;
        let dlon = (self.lon_max - self.lon_min) / n;
        let mut out = Vec::with_capacity(self.cells * self.cells);
        for r in 0..self.cells {
            for c in 0..self.cells {
                out.push((
                    self.lat_max - (r as f64 + 0.5) * dlat,
                    self.lon_min + (c as f64 + 0.5) * dlon,
                ));
            }
        }
        out
    }
}

/// Error statistics of predictions against observations (error = predicted − observed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Errors {
    pub n: usize,
    pub mae: f64,
    pub rmse: f64,
    pub bias: f64,
}

#[derive(Clone, Copy, Debug, Default)]
struct Acc {
    n: usize,
    abs: f64,
    sq: f64,
    sum: f64,
}

impl Acc {
    fn add(&mut self, e: f64) {
        self.n += 1;
        self.abs += e.abs();
        self.sq += e * e;
        self.sum += e;
    }

    fn errors(&self) -> Errors {
        if self.n == 0 {
            return Errors {
                n: 0,
                mae: f64::NAN,
                rmse: f64::NAN,
                bias: f64::NAN,
            };
        }
        let n = self.n as f64;
        Errors {
            n: self.n,
            mae: self.abs / n,
            rmse: (self.sq / n).sqrt(),
            bias: self.sum / n,
        }
    }
}

/// One held-out prediction.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct HeldOut {
    pub hour: usize,
    pub station: usize,
    pub observed: f64,
    pub predicted: f64,
    /// Kriging variance (NaN for IDW).
    pub variance: f64,
    /// The sill of the variogram used (NaN for IDW).
    pub sill: f64,
    /// Where the variogram came from (None for IDW).
    pub source: Option<FitSource>,
}

/// Leave-one-out cross-validation of a method.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Loo {
    pub method: String,
    pub method_text: String,
    pub overall: Errors,
    pub per_station: Vec<Errors>,
    /// Held-out predictions whose variogram came from the hour, the pool, the default.
    pub fits_hour: usize,
    pub fits_pooled: usize,
    pub fits_default: usize,
    /// Of the fitted ones (hour or pool), those whose range lies at its upper bound.
    pub fits_range_at_bound: usize,
    #[serde(skip)]
    pub held_out: Vec<HeldOut>,
}

/// Leave-one-out: for each hour and each station with a value, predict it from the other
/// stations with a value that hour (at least [`PREDICT_STATIONS_MIN`]); for kriging the
/// variogram is refitted without the held-out station.
pub fn loo(sites_km: &[(f64, f64)], values: &[Vec<f64>], method: &Method) -> Loo {
    let mut overall = Acc::default();
    let mut per = vec![Acc::default(); sites_km.len()];
    let mut held_out = Vec::new();
    let (mut fits_hour, mut fits_pooled, mut fits_default, mut n_at_bound) = (0, 0, 0, 0);
    for (hour, row) in values.iter().enumerate() {
        for (s, &observed) in row.iter().enumerate().take(sites_km.len()) {
            if !observed.is_finite() {
                continue;
            }
            let (pts, _) = known(sites_km, row, Some(s));
            if pts.len() < PREDICT_STATIONS_MIN {
                continue;
            }
            let at = sites_km[s];
            let rec = match method {
                Method::Idw { power } => {
                    let Some(p) = idw(&pts, at, *power) else {
                        continue;
                    };
                    HeldOut {
                        hour,
                        station: s,
                        observed,
                        predicted: p,
                        variance: f64::NAN,
                        sill: f64::NAN,
                        source: None,
                    }
                }
                Method::Kriging(opts) => {
                    let fit = variogram_for_hour(sites_km, values, hour, Some(s), opts);
                    let Some(k) = Kriging::new(&pts, fit.model) else {
                        continue;
                    };
                    let p = k.predict(at);
                    n_at_bound += usize::from(fit.range_at_bound);
                    match fit.source {
                        FitSource::Hour => fits_hour += 1,
                        FitSource::Pooled => fits_pooled += 1,
                        FitSource::Default => fits_default += 1,
                    }
                    HeldOut {
                        hour,
                        station: s,
                        observed,
                        predicted: p.value,
                        variance: p.variance,
                        sill: fit.model.sill(),
                        source: Some(fit.source),
                    }
                }
            };
            let e = rec.predicted - rec.observed;
            overall.add(e);
            per[s].add(e);
            held_out.push(rec);
        }
    }
    Loo {
        method: method.name().to_string(),
        method_text: method.text(),
        overall: overall.errors(),
        per_station: per.iter().map(Acc::errors).collect(),
        fits_hour,
        fits_pooled,
        fits_default,
        fits_range_at_bound: n_at_bound,
        held_out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
    }

    #[test]
    fn idw_weights_are_inverse_squared_distances() {
        // Points at distances 1, 2 and 4 km from the origin: weights 1, 1/4, 1/16.
        let known = [(1.0, 0.0, 10.0), (0.0, 2.0, 20.0), (-4.0, 0.0, 40.0)];
        let want2 = (10.0 + 20.0 / 4.0 + 40.0 / 16.0) / (1.0 + 0.25 + 0.0625);
        let want1 = (10.0 + 20.0 / 2.0 + 40.0 / 4.0) / (1.0 + 0.5 + 0.25);
        for (power, want) in [(2.0, want2), (1.0, want1)] {
            let got = idw(&known, (0.0, 0.0), power).unwrap();
            assert!(close(got, want, 1e-15), "p={power}: {got} vs {want}");
        }
        assert_eq!(
            idw(&known, (0.0, 2.0), 2.0),
            Some(20.0),
            "a station's own place takes its value"
        );
        assert_eq!(idw(&[], (0.0, 0.0), 2.0), None);
    }

    #[test]
    fn the_projection_matches_the_great_circle_over_a_city() {
        // Haversine between 万寿西宫 and 怀柔镇 (≈ 55 km) against the projected distance.
        let (a, b) = ((39.8784, 116.3621), (40.3275, 116.6275));
        let p = Projection::centred_on(&[a, b]);
        let (pa, pb) = (p.km(a.0, a.1), p.km(b.0, b.1));
        let hav = {
            let (p1, p2) = (a.0.to_radians(), b.0.to_radians());
            let dp = p2 - p1;
            let dl = (b.1 - a.1).to_radians();
            let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
            2.0 * EARTH_RADIUS_KM * h.sqrt().asin()
        };
        let planar = dist(pa, pb);
        assert!((planar - hav).abs() / hav < 1e-3, "{planar} vs {hav}");
        let back = p.latlon(pa.0, pa.1);
        assert!(close(back.0, a.0, 1e-12) && close(back.1, a.1, 1e-12));
    }

    #[test]
    fn kriging_of_three_points_reproduces_the_data_at_the_data_points() {
        let pts = [(0.0, 0.0, 5.0), (3.0, 0.0, 9.0), (0.0, 4.0, 2.0)];
        for kind in [ModelKind::Exponential, ModelKind::Spherical] {
            for nugget in [0.0, 2.0] {
                let vg = Variogram {
                    kind,
                    nugget,
                    psill: 10.0,
                    range_km: 4.0,
                };
                let k = Kriging::new(&pts, vg).unwrap();
                for p in pts {
                    let got = k.predict((p.0, p.1));
                    assert!(
                        close(got.value, p.2, 1e-10),
                        "{kind:?} {nugget}: {got:?} at {p:?}"
                    );
                    assert!(
                        got.variance.abs() < 1e-9,
                        "variance at a data point {got:?}"
                    );
                }
                // Between the points the weights sum to one: a constant field stays constant.
                let flat: Vec<_> = pts.iter().map(|p| (p.0, p.1, 7.0)).collect();
                let kf = Kriging::new(&flat, vg).unwrap();
                assert!(close(kf.predict((1.0, 1.0)).value, 7.0, 1e-12));
            }
        }
    }

    #[test]
    fn kriging_with_two_points_matches_the_hand_computed_weights() {
        // Symmetric midpoint: weights ½ each, variance γ(d/2) − γ(d)/2 + … by hand:
        // system [[0, g], [g, 0]] λ + μ = γ(1), λ1 + λ2 = 1 → λ = ½, μ = γ(1) − g/2,
        // σ² = γ(1) + μ = 2γ(1) − g/2 with g = γ(2).
        let vg = Variogram {
            kind: ModelKind::Exponential,
            nugget: 1.0,
            psill: 4.0,
            range_km: 2.0,
        };
        let k = Kriging::new(&[(0.0, 0.0, 10.0), (2.0, 0.0, 20.0)], vg).unwrap();
        let got = k.predict((1.0, 0.0));
        assert!(close(got.value, 15.0, 1e-12));
        let want = 2.0 * vg.gamma(1.0) - vg.gamma(2.0) / 2.0;
        assert!(close(got.variance, want, 1e-12), "{got:?} vs {want}");
    }

    #[test]
    fn a_variogram_fit_on_synthetic_data_recovers_its_parameters() {
        for truth in [
            Variogram {
                kind: ModelKind::Exponential,
                nugget: 20.0,
                psill: 300.0,
                range_km: 8.0,
            },
            Variogram {
                kind: ModelKind::Exponential,
                nugget: 0.0,
                psill: 50.0,
                range_km: 15.0,
            },
            Variogram {
                kind: ModelKind::Spherical,
                nugget: 5.0,
                psill: 100.0,
                range_km: 30.0,
            },
        ] {
            let bins: Vec<LagBin> = [3.0, 7.0, 12.0, 18.0, 25.0, 33.0, 42.0]
                .iter()
                .map(|&h| LagBin {
                    h_km: h,
                    gamma: truth.gamma(h),
                    n_pairs: 10,
                })
                .collect();
            let (got, e) = fit(&bins, truth.kind).unwrap();
            assert!(e < 1e-9, "{truth:?}: wsse {e}");
            assert!(
                close(got.nugget, truth.nugget, 1e-4),
                "{got:?} vs {truth:?}"
            );
            assert!(close(got.psill, truth.psill, 1e-4), "{got:?} vs {truth:?}");
            assert!(
                close(got.range_km, truth.range_km, 1e-3),
                "{got:?} vs {truth:?}"
            );
        }
        // No variation, or fewer than three classes: no fit.
        let flat: Vec<LagBin> = (1..6)
            .map(|h| LagBin {
                h_km: h as f64,
                gamma: 0.0,
                n_pairs: 3,
            })
            .collect();
        assert!(fit(&flat, ModelKind::Exponential).is_none());
        assert!(fit(&flat[..2], ModelKind::Exponential).is_none());
    }

    #[test]
    fn a_field_sampled_from_a_known_trend_is_fitted_and_predicted_sensibly() {
        // A smooth field z = 100 + 3x − 2y on 12 scattered sites: the fitted variogram grows
        // with distance and kriging's LOO beats the network mean.
        let sites: Vec<(f64, f64)> = (0..12)
            .map(|i| {
                let t = i as f64;
                ((t * 7.3) % 40.0 - 20.0, (t * 11.9) % 50.0 - 25.0)
            })
            .collect();
        let row: Vec<f64> = sites
            .iter()
            .map(|&(x, y)| 100.0 + 3.0 * x - 2.0 * y)
            .collect();
        let values = vec![row.clone(); 3];
        let fit = variogram_for_hour(&sites, &values, 1, None, &KrigingOptions::default());
        assert_eq!(fit.source, FitSource::Hour);
        let loo_k = loo(&sites, &values, &Method::Kriging(KrigingOptions::default()));
        let mean = row.iter().sum::<f64>() / 12.0;
        let mae_mean = row.iter().map(|z| (z - mean).abs()).sum::<f64>() / 12.0;
        assert_eq!(loo_k.overall.n, 36);
        assert!(
            loo_k.overall.mae < mae_mean / 2.0,
            "{:?} vs {mae_mean}",
            loo_k.overall
        );
    }

    #[test]
    fn an_hour_with_few_stations_falls_back_to_the_pooled_variogram() {
        let sites: Vec<(f64, f64)> = (0..8)
            .map(|i| ((i as f64 * 5.1) % 23.0, (i as f64 * 8.7) % 31.0))
            .collect();
        let mut values: Vec<Vec<f64>> = (0..10)
            .map(|h| {
                sites
                    .iter()
                    .map(|&(x, y)| 50.0 + h as f64 + 2.0 * x + y)
                    .collect()
            })
            .collect();
        // Hour 4 keeps only 4 stations: below VARIOGRAM_HOUR_STATIONS_MIN.
        for v in values[4].iter_mut().skip(4) {
            *v = f64::NAN;
        }
        let fit = variogram_for_hour(&sites, &values, 4, None, &KrigingOptions::default());
        assert_eq!(fit.source, FitSource::Pooled);
        assert_eq!(fit.n_stations, 4);
        // All equal values everywhere: no fit anywhere, the default, and kriging gives the value.
        let flat = vec![vec![30.0; 8]; 5];
        let fit = variogram_for_hour(&sites, &flat, 2, None, &KrigingOptions::default());
        assert_eq!(fit.source, FitSource::Default);
        let s = surface(
            &sites,
            &flat,
            2,
            &Method::Kriging(KrigingOptions::default()),
            &[(3.0, 3.0)],
        );
        assert_eq!(s.values, vec![30.0]);
    }

    #[test]
    fn leave_one_out_of_idw_is_the_mean_of_hand_computed_errors() {
        let sites = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)];
        let values = vec![vec![1.0, 2.0, 3.0, 4.0], vec![f64::NAN, 2.0, 3.0, 4.0]];
        let l = loo(&sites, &values, &Method::Idw { power: 2.0 });
        // Hour 0: each held-out station has two neighbours at 1 km and one at √2 km.
        let pred = |a: f64, b: f64, c: f64| (a + b + c / 2.0) / 2.5;
        let errs = [
            pred(2.0, 3.0, 4.0) - 1.0,
            pred(1.0, 4.0, 3.0) - 2.0,
            pred(1.0, 4.0, 2.0) - 3.0,
            pred(2.0, 3.0, 1.0) - 4.0,
        ];
        // Hour 1 has 3 stations: each held out has 2 others, fewer than PREDICT_STATIONS_MIN.
        assert_eq!(l.overall.n, 4);
        let mae = errs.iter().map(|e| e.abs()).sum::<f64>() / 4.0;
        let bias = errs.iter().sum::<f64>() / 4.0;
        let rmse = (errs.iter().map(|e| e * e).sum::<f64>() / 4.0).sqrt();
        assert!(close(l.overall.mae, mae, 1e-15) && close(l.overall.bias, bias, 1e-15));
        assert!(close(l.overall.rmse, rmse, 1e-15));
        assert!(close(l.per_station[2].bias, errs[2], 1e-15));
    }

    #[test]
    fn grid_cells_run_from_the_north_west_corner() {
        let g = GridSpec {
            lat_min: 0.0,
            lat_max: 2.0,
            lon_min: 10.0,
            lon_max: 12.0,
            cells: 2,
        };
        assert_eq!(
            g.centres(),
            vec![(1.5, 10.5), (1.5, 11.5), (0.5, 10.5), (0.5, 11.5)]
        );
    }
}
