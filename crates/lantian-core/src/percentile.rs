//! The percentile of HJ 663-2013 Appendix A (spec §4.2).
//!
//! Sort the n values ascending; rank `k = 1 + (n − 1) · p / 100`; with `s = ⌊k⌋`,
//! `P = X(s) + (X(s+1) − X(s)) · (k − s)`. This equals numpy's default "linear" method.

/// The `p`-th percentile (0–100) of `values`, which are sorted in place. `None` if empty.
pub fn percentile(values: &mut [f64], p: f64) -> Option<f64> {
    values.sort_unstable_by(f64::total_cmp);
    percentile_of_sorted(values, p)
}

/// The `p`-th percentile of values already sorted ascending.
pub fn percentile_of_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 || !(0.0..=100.0).contains(&p) {
        return None;
    }
    // Work in hundredths so that k − s is exact for integer p: k − 1 = (n − 1)·p / 100.
    let pos = (n - 1) as f64 * p / 100.0;
    let s = pos.floor() as usize;
    let frac = pos - s as f64;
    if s + 1 >= n {
        return Some(sorted[n - 1]);
    }
    Some(sorted[s] + (sorted[s + 1] - sorted[s]) * frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checklist §10 item 22.
    #[test]
    fn percentiles_of_one_to_365() {
        let mut v: Vec<f64> = (1..=365).map(f64::from).collect();
        v.reverse();
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(close(percentile(&mut v, 90.0).unwrap(), 328.6));
        assert!(close(percentile(&mut v, 95.0).unwrap(), 346.8));
        assert!(close(percentile(&mut v, 98.0).unwrap(), 357.72));
        assert_eq!(percentile(&mut v, 100.0), Some(365.0));
        assert_eq!(percentile(&mut v, 0.0), Some(1.0));
        assert_eq!(percentile(&mut [], 95.0), None);
        assert_eq!(percentile(&mut [7.0], 95.0), Some(7.0));
    }
}
