//! "What is still allowed": the highest mean the rest of the year may have for the annual
//! mean to meet a target (plan §1(二): PM2.5 must meet the provincial target).

use serde::Serialize;

/// How the target is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetReading {
    /// The unrounded annual mean must not exceed the target.
    #[default]
    Exact,
    /// The reported annual mean (rounded to an integer, GB/T 8170) must not exceed the
    /// target, so the unrounded mean may reach target + 0.5 (exclusive if target is odd).
    Reported,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Allowance {
    /// The remaining days may average at most this much (at or below for `Exact`).
    Allowed { mean_max: f64 },
    /// Even a remaining mean of zero misses the target.
    Unreachable { mean_needed: f64 },
    /// No days remain; says whether the year met the target.
    Final { met: bool, annual_mean: f64 },
}

/// Given `n_so_far` valid days averaging `mean_so_far` and `n_remaining` days to come, the
/// highest mean of the remaining days that keeps the annual mean at or below `target`.
pub fn still_allowed(
    target: f64,
    mean_so_far: f64,
    n_so_far: u32,
    n_remaining: u32,
    reading: TargetReading,
) -> Allowance {
    let bound = match reading {
        TargetReading::Exact => target,
        TargetReading::Reported => target + 0.5,
    };
    let sum_so_far = mean_so_far * f64::from(n_so_far);
    let n_total = f64::from(n_so_far + n_remaining);
    if n_remaining == 0 {
        let annual_mean = if n_so_far == 0 { f64::NAN } else { mean_so_far };
        let met = match reading {
            TargetReading::Exact => annual_mean <= target,
            TargetReading::Reported => crate::decimal::round_half_even(annual_mean, 0) <= target,
        };
        return Allowance::Final { met, annual_mean };
    }
    let mean_max = (bound * n_total - sum_so_far) / f64::from(n_remaining);
    if mean_max < 0.0 {
        Allowance::Unreachable {
            mean_needed: mean_max,
        }
    } else {
        Allowance::Allowed { mean_max }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_days_share_what_the_target_leaves() {
        // 300 days at 40 against a target of 35 over 365 days:
        // (35 × 365 − 40 × 300) / 65 = (12775 − 12000) / 65 = 11.92…
        match still_allowed(35.0, 40.0, 300, 65, TargetReading::Exact) {
            Allowance::Allowed { mean_max } => assert!((mean_max - 775.0 / 65.0).abs() < 1e-9),
            other => panic!("{other:?}"),
        }
        match still_allowed(35.0, 40.0, 300, 65, TargetReading::Reported) {
            Allowance::Allowed { mean_max } => assert!((mean_max - 957.5 / 65.0).abs() < 1e-9),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            still_allowed(35.0, 50.0, 360, 5, TargetReading::Exact),
            Allowance::Unreachable { .. }
        ));
        assert_eq!(
            still_allowed(35.0, 35.4, 365, 0, TargetReading::Reported),
            Allowance::Final {
                met: true,
                annual_mean: 35.4
            }
        );
        assert_eq!(
            still_allowed(35.0, 35.4, 365, 0, TargetReading::Exact),
            Allowance::Final {
                met: false,
                annual_mean: 35.4
            }
        );
    }
}
