# polar-reference.R: the reference fits of the polar plot's surface (docs/tracing.md "Polar plot"),
# used by crates/lantian/tests/it/tracing_polar.rs to check `lantian tracing polar` against mgcv.
#
# Usage: Rscript scripts/polar-reference.R BINS.csv OUT.csv GRID K UPPER FORCE_POSITIVE EXCLUDE_DIST METHOD
#   BINS.csv      columns u, v, z (the bin's mean concentration), w (its weight), n (its hours)
#   OUT.csv       written: u, v (the grid, v-major, u fastest), pspline, te, openair (predictions,
#                 NA where masked), masked (0/1)
#   GRID          grid points per axis, from -UPPER to UPPER
#   K             cubic B-splines per axis of the P-spline
#   UPPER         the disc's radius (the maximum wind speed, m/s)
#   FORCE_POSITIVE 1: fit sqrt(z) and square the prediction back (openair's force.positive)
#   EXCLUDE_DIST  mgcv::exclude.too.far's dist (openair: 0.05)
#   METHOD        how pspline and te choose their smoothing parameters: REML or GCV.Cp
# Prints one line per model: model,lambda,edf,gcv.
#
# Three fits (pspline and te by METHOD; openair always by "GCV.Cp", mgcv's default and openair's):
#   pspline  the same model as Lantian's: the tensor product of cubic B-splines (splines::splineDesign
#            on mgcv's "ps" knots over [-UPPER, UPPER]) with ONE smoothing parameter on the sum of the
#            two margins' second-order difference penalties, fitted as a penalised parametric term
#            (paraPen). Expected to agree closely.
#   te       mgcv's own te(u, v, bs = "ps", k = c(K, K)): the same basis but two smoothing
#            parameters (one per margin) and a centring constraint. Expected to agree well.
#   openair  openair's model: s(u, v, k = 100), a thin-plate regression spline. Another smoother:
#            the difference is reported, not bounded tightly.

suppressPackageStartupMessages(library(mgcv))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 8) {
  stop("usage: polar-reference.R BINS.csv OUT.csv GRID K UPPER FORCE_POSITIVE EXCLUDE_DIST METHOD")
}
bins <- read.csv(args[1])
out_path <- args[2]
grid <- as.integer(args[3])
k <- as.integer(args[4])
upper <- as.numeric(args[5])
force_positive <- args[6] == "1"
exclude_dist <- as.numeric(args[7])
method <- args[8]
if (!method %in% c("REML", "GCV.Cp")) stop(paste("polar-reference.R: METHOD", method, "is not REML or GCV.Cp"))
for (col in c("u", "v", "z", "w", "n")) {
  if (!col %in% names(bins)) stop(paste("polar-reference.R: column", col, "missing in", args[1]))
}

power <- if (force_positive) 0.5 else 1
bins$zt <- bins$z^power
fit_data <- bins[is.finite(bins$zt), ]

# mgcv's "ps" knots for k functions over [lo, hi] (smooth.construct.ps.smooth.spec): the range
# widened by 0.1 %, k - 3 intervals inside, three more knots beyond each end.
ps_knots <- function(lo, hi, k) {
  r <- hi - lo
  xl <- lo - 0.001 * r
  xu <- hi + 0.001 * r
  dx <- (xu - xl) / (k - 3)
  seq(xl - 3 * dx, xu + 3 * dx, length.out = k + 4)
}
knots <- ps_knots(-upper, upper, k)
tensor <- function(u, v) {
  bu <- splines::splineDesign(knots, u, ord = 4, outer.ok = TRUE)
  bv <- splines::splineDesign(knots, v, ord = 4, outer.ok = TRUE)
  # Column (a - 1) * k + b holds B_a(u) * B_b(v).
  do.call(cbind, lapply(seq_len(k), function(a) bu[, a] * bv))
}
d2 <- diff(diag(k), differences = 2)
s1 <- crossprod(d2)
penalty <- kronecker(s1, diag(k)) + kronecker(diag(k), s1)

X <- tensor(fit_data$u, fit_data$v)
m_ps <- gam(fit_data$zt ~ X - 1, paraPen = list(X = list(penalty)), weights = fit_data$w,
            method = method)
m_te <- gam(zt ~ te(u, v, bs = "ps", k = c(k, k)), data = fit_data, weights = w,
            method = method, knots = list(u = c(-upper, upper), v = c(-upper, upper)))
m_oa <- gam(zt ~ s(u, v, k = 100), data = fit_data, weights = w, method = "GCV.Cp")

axis <- seq(-upper, upper, length.out = grid)
cells <- expand.grid(u = axis, v = axis) # u varies fastest: v-major rows, as Lantian prints
back <- function(x) if (force_positive) x^2 else x
p_ps <- back(as.vector(tensor(cells$u, cells$v) %*% coef(m_ps)))
p_te <- back(as.vector(predict(m_te, cells)))
p_oa <- back(as.vector(predict(m_oa, cells)))

# openair's mask: exclude.too.far from the bins with data (after min.bin), plus the disc.
far <- exclude.too.far(cells$u, cells$v, bins$u, bins$v, dist = exclude_dist)
outside <- sqrt(cells$u^2 + cells$v^2) > upper * (1 + 1e-9)
masked <- far | outside
p_ps[masked] <- NA
p_te[masked] <- NA
p_oa[masked] <- NA
write.csv(data.frame(u = cells$u, v = cells$v, pspline = p_ps, te = p_te, openair = p_oa,
                     masked = as.integer(masked)),
          out_path, row.names = FALSE)

cat(sprintf("pspline,%.10g,%.6f,%.10g\n", m_ps$sp[1], sum(m_ps$edf), m_ps$gcv.ubre))
cat(sprintf("te,%s,%.6f,%.10g\n", paste(signif(m_te$sp, 6), collapse = ";"), sum(m_te$edf),
            m_te$gcv.ubre))
cat(sprintf("openair,%.10g,%.6f,%.10g\n", m_oa$sp[1], sum(m_oa$edf), m_oa$gcv.ubre))
