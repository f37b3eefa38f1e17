//! Assessment tests from the conformance checklist (spec §10 items 22–27).

use super::*;
use crate::rules::LimitsEdition;

fn year_of(year: i32, f: impl Fn(Date, usize) -> DailyRecord) -> Vec<DailyRecord> {
    let start = Date::new(year, 1, 1).unwrap();
    (0..days_in_year(year) as usize)
        .map(|i| f(start.add_days(i as i64), i))
        .collect()
}

fn constant(date: Date, v: [f64; 6]) -> DailyRecord {
    DailyRecord {
        date,
        values: v,
        o3_max_1h: v[Pollutant::O3.index()],
        exceptional: false,
    }
}

// Index order: SO2, NO2, PM10, CO, O3 (MDA8), PM2.5.

/// Checklist §10 item 24.
#[test]
fn composite_index_of_the_spec_example_is_5_05_with_pm25_main() {
    let days = year_of(2015, |d, _| {
        constant(d, [12.0, 30.0, 84.0, 1.6, 176.0, 49.0])
    });
    let a = assess(&days, &AssessOptions::default()).unwrap();
    assert_eq!(a.rule_set.limits, LimitsEdition::Gb3095_2012);
    let c = a.composite.unwrap();
    assert_eq!(c.reported, 5.05);
    assert_eq!(c.main.join(","), "PM2.5");
    assert_eq!(round_half_even(c.single[Pollutant::Pm25.index()], 2), 1.40);
    assert_eq!(a.compliant, Some(false));
}

#[test]
fn weighted_composite_is_configurable_and_states_its_divisor() {
    let days = year_of(2027, |d, _| {
        constant(d, [12.0, 30.0, 84.0, 1.6, 176.0, 49.0])
    });
    let w = |div| AssessOptions {
        composite: CompositeWeights::Weighted {
            divide_by_weight_sum: div,
        },
        ..AssessOptions::default()
    };
    let plain = assess(&days, &AssessOptions::default())
        .unwrap()
        .composite
        .unwrap()
        .value;
    let summed = assess(&days, &w(false)).unwrap().composite.unwrap().value;
    let divided = assess(&days, &w(true)).unwrap().composite.unwrap().value;
    // 2026 limits: SO2 60, NO2 40, PM10 60, CO 4, O3 160, PM2.5 30.
    let i = [
        12.0 / 60.0,
        30.0 / 40.0,
        84.0 / 60.0,
        1.6 / 4.0,
        176.0 / 160.0,
        49.0 / 30.0,
    ];
    let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
    assert!(close(plain, i.iter().sum()));
    let weighted = i[0] + 2.0 * i[1] + i[2] + i[3] + 2.0 * i[4] + 3.0 * i[5];
    assert!(close(summed, weighted));
    assert!(close(divided, weighted / 10.0));
}

/// Checklist §10 item 23.
#[test]
fn pm25_complies_under_2026_transitional_limits_at_30_and_p95_60() {
    // 345 days at 27 and 20 high days: rank 1 + 364 × 0.95 = 346.8 falls among the high days.
    let mk = |high: f64| {
        year_of(2027, |d, i| {
            let pm25 = if i < 20 { high } else { 27.0 };
            constant(d, [5.0, 20.0, 40.0, 0.8, 100.0, pm25])
        })
    };
    let ok = assess(&mk(60.0), &AssessOptions::default()).unwrap();
    let s = ok.stats(Pollutant::Pm25);
    assert_eq!(
        (s.mean_reported, s.percentile_reported),
        (Some(29.0), Some(60.0))
    );
    assert_eq!(s.compliant, Some(true));
    assert_eq!(ok.compliant, Some(true));
    let bad = assess(&mk(62.0), &AssessOptions::default()).unwrap();
    assert_eq!(bad.stats(Pollutant::Pm25).compliant, Some(false));
    assert_eq!(
        bad.compliant,
        Some(false),
        "the city complies only if all six do"
    );
    // The same data under the 2012 limits (35/75) complies too.
    let old = AssessOptions {
        rules: RuleChoice::Era2012,
        ..AssessOptions::default()
    };
    assert_eq!(
        assess(&mk(62.0), &old)
            .unwrap()
            .stats(Pollutant::Pm25)
            .compliant,
        Some(true)
    );
}

/// Checklist §10 item 25.
#[test]
fn good_day_ratio_uses_valid_days() {
    let start = Date::new(2019, 1, 1).unwrap();
    let days: Vec<DailyRecord> = (0..31)
        .map(|i| {
            let d = start.add_days(i);
            match i {
                0 => constant(d, [f64::NAN; 6]),                        // no AQI
                1 => constant(d, [5.0, 20.0, 40.0, 0.8, 100.0, 120.0]), // 轻度 and worse
                _ => constant(d, [5.0, 20.0, 40.0, 0.8, 100.0, 30.0]),
            }
        })
        .collect();
    let a = assess(&days, &AssessOptions::default()).unwrap();
    assert_eq!((a.calendar_days, a.valid_days, a.good_days), (31, 30, 29));
    assert_eq!(a.good_day_ratio, Some(29.0 / 30.0));
    assert_eq!(a.compliant, None, "a month has no annual compliance");
}

/// Checklist §10 item 26.
#[test]
fn dust_days_are_deducted_from_pm_but_kept_in_day_ratios() {
    let start = Date::new(2019, 3, 1).unwrap();
    let days: Vec<DailyRecord> = (0..31)
        .map(|i| {
            let mut r = constant(start.add_days(i), [5.0, 20.0, 40.0, 0.8, 100.0, 30.0]);
            if i < 2 {
                r.values[Pollutant::Pm10.index()] = 600.0;
                r.exceptional = true;
            }
            r
        })
        .collect();
    let a = assess(&days, &AssessOptions::default()).unwrap();
    assert_eq!(a.stats(Pollutant::Pm10).mean, Some(40.0));
    assert_eq!(a.stats(Pollutant::Pm10).n_deducted_days, 2);
    assert_eq!(a.heavy_or_worse_days, 2, "dust days stay in the ratios");
    assert!(a.composite_without_deduction.unwrap() > a.composite.unwrap().value);
    let raw = assess(
        &days,
        &AssessOptions {
            deduct_exceptional: false,
            ..AssessOptions::default()
        },
    )
    .unwrap();
    assert!(raw.stats(Pollutant::Pm10).mean.unwrap() > 40.0);
}

#[test]
fn primary_pollutant_days_and_levels_are_counted() {
    let start = Date::new(2019, 1, 1).unwrap();
    let days: Vec<DailyRecord> = (0..3)
        .map(|i| {
            constant(
                start.add_days(i),
                [5.0, 20.0, 40.0, 0.8, 100.0, [80.0, 160.0, 10.0][i as usize]],
            )
        })
        .collect();
    let a = assess(&days, &AssessOptions::default()).unwrap();
    assert_eq!(a.primary_pollutant_days[Pollutant::Pm25.index()], 2);
    assert_eq!(a.level_days, [1, 0, 1, 0, 1, 0]);
}

#[test]
fn three_year_mean_needs_all_three_years() {
    assert_eq!(
        three_year_moving_mean([Some(30.0), Some(33.0), Some(36.0)]),
        Some(33.0)
    );
    assert_eq!(three_year_moving_mean([Some(30.0), None, Some(36.0)]), None);
}

#[test]
fn equal_composite_indexes_share_a_rank_and_units_without_one_come_last() {
    let r = competition_ranks(&[Some(5.1), None, Some(4.2), Some(5.1), Some(6.0), None]);
    assert_eq!(r, [2, 5, 1, 2, 4, 5]);
    assert!(competition_ranks(&[]).is_empty());
}

/// docs/findings.md F6: the day counts take each day's rounded concentrations (GB/T 8170 by
/// default); the earlier unrounded counts stay selectable. The boundary days are the hand
/// computed ones of `aqi::tests`: PM2.5 150.114 is 重度 only unrounded (IAQI 201 vs 200),
/// PM2.5 75.3 and NO2 80.307 are 良 only rounded (101 vs 100), PM2.5 150.5 is 重度
/// unrounded and half up but not half even.
#[test]
fn day_counts_use_the_chosen_daily_rounding() {
    let start = Date::new(2015, 2, 1).unwrap();
    let quiet = [5.0, 20.0, 40.0, 0.5, 50.0, 20.0];
    let edits: [(Pollutant, f64); 4] = [
        (Pollutant::Pm25, 150.114),
        (Pollutant::Pm25, 75.3),
        (Pollutant::No2, 80.307),
        (Pollutant::Pm25, 150.5),
    ];
    let days: Vec<DailyRecord> = (0..28)
        .map(|i| {
            let mut r = constant(start.add_days(i), quiet);
            r.o3_max_1h = 60.0;
            if let Some((p, v)) = edits.get(i as usize) {
                r.values[p.index()] = *v;
            }
            r
        })
        .collect();
    let count = |rounding: Option<ConcentrationRounding>| {
        let a = assess(
            &days,
            &AssessOptions {
                daily_rounding: rounding,
                ..AssessOptions::default()
            },
        )
        .unwrap();
        (
            a.daily_rounding,
            a.valid_days,
            a.good_days,
            a.heavy_or_worse_days,
        )
    };
    use ConcentrationRounding::{AsReceived, GbT8170, HalfUp};
    // 24 quiet days are good whatever the rounding.
    assert_eq!(count(None), (GbT8170, 28, 26, 0));
    assert_eq!(count(Some(GbT8170)), (GbT8170, 28, 26, 0));
    assert_eq!(count(Some(HalfUp)), (HalfUp, 28, 26, 1));
    assert_eq!(count(Some(AsReceived)), (AsReceived, 28, 24, 2));
}
