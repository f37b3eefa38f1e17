//! Tests of the AQI rules against the conformance checklist (spec §10 items 10–17).

use super::*;
use crate::rules::AqiEdition::{Hj633_2012 as E12, Hj633_2026 as E26};
use crate::rules::RuleChoice;

fn hourly(so2: f64, no2: f64, pm10: f64, co: f64, o3: f64, pm25: f64) -> RealtimeInputs {
    RealtimeInputs {
        hour: [
            Some(so2),
            Some(no2),
            Some(pm10),
            Some(co),
            Some(o3),
            Some(pm25),
        ],
        so2_24h: Some(185.0),
        ..RealtimeInputs::default()
    }
}

#[test]
fn so2_above_800_scores_200_by_default_and_follows_the_named_variants() {
    // The published station-hour of spec §2.4: SO2 1-h 915, SO2 24-h 185, others ≤ 152.
    let input = hourly(915.0, 60.0, 120.0, 1.0, 20.0, 40.0);
    let r = realtime(&AqiOptions::for_edition(E12), &input);
    assert_eq!(r.aqi, Some(200));
    assert_eq!(
        realtime(&AqiOptions::for_edition(E26), &input).aqi,
        Some(200)
    );
    let omit = AqiOptions {
        so2_above_800: So2Above800::Omit,
        ..AqiOptions::for_edition(E12)
    };
    assert_eq!(realtime(&omit, &input).aqi, Some(85));
    let daily = AqiOptions {
        so2_above_800: So2Above800::FromDaily,
        ..AqiOptions::for_edition(E12)
    };
    // IAQI of SO2 24-h 185 = 100 + 50/325 × 35 = 105.4 → 106.
    assert_eq!(realtime(&daily, &input).aqi, Some(106));
}

#[test]
fn o3_8h_above_800_is_300_in_2026_and_falls_back_to_1h_in_2012() {
    let mut d = DailyInputs {
        day: [
            Some(10.0),
            Some(10.0),
            Some(10.0),
            Some(0.5),
            Some(850.0),
            Some(10.0),
        ],
        o3_max_1h: Some(900.0),
    };
    assert_eq!(daily(&AqiOptions::for_edition(E26), &d).aqi, Some(300));
    // 2012: no 8-h IAQI; O3 1-h 900 → 300 + 100/200 × 100 = 350.
    let r = daily(&AqiOptions::for_edition(E12), &d);
    assert_eq!(r.aqi, Some(350));
    assert_eq!(r.iaqi_of(Indicator::O3EightHour), None);
    d.o3_max_1h = Some(100.0);
    assert_eq!(daily(&AqiOptions::for_edition(E12), &d).aqi, Some(32));
}

#[test]
fn daily_2026_ignores_o3_1h_and_2012_uses_it() {
    let d = DailyInputs {
        day: [
            Some(10.0),
            Some(10.0),
            Some(10.0),
            Some(0.5),
            Some(90.0),
            Some(10.0),
        ],
        o3_max_1h: Some(250.0),
    };
    assert_eq!(daily(&AqiOptions::for_edition(E12), &d).aqi, Some(125));
    assert_eq!(daily(&AqiOptions::for_edition(E26), &d).aqi, Some(45));
}

#[test]
fn primary_pollutant_only_above_50_and_ties_are_all_listed() {
    // PM2.5 75 and PM10 150 both score 100 under 2012.
    let d = DailyInputs {
        day: [
            Some(5.0),
            Some(5.0),
            Some(150.0),
            Some(0.3),
            Some(50.0),
            Some(75.0),
        ],
        o3_max_1h: Some(60.0),
    };
    let r = daily(&AqiOptions::for_edition(E12), &d);
    assert_eq!(r.aqi, Some(100));
    assert_eq!(r.primary.join(";"), "PM10;PM2.5");
    let low = DailyInputs {
        day: [
            Some(5.0),
            Some(5.0),
            Some(40.0),
            Some(0.3),
            Some(50.0),
            Some(30.0),
        ],
        o3_max_1h: Some(60.0),
    };
    let r = daily(&AqiOptions::for_edition(E12), &low);
    assert_eq!(r.aqi, Some(43));
    assert!(r.primary.is_empty());
}

#[test]
fn concentrations_are_rounded_half_even_before_scoring_in_2026() {
    // Checklist §10 item 14: 60.4 → 60 → IAQI 100; 60.5 → 60; 61.5 → 62.
    for (c, want) in [(60.4, 100), (60.5, 100), (61.5, 102)] {
        let d = DailyInputs {
            day: [
                Some(1.0),
                Some(1.0),
                Some(1.0),
                Some(0.1),
                Some(1.0),
                Some(c),
            ],
            o3_max_1h: None,
        };
        assert_eq!(
            daily(&AqiOptions::for_edition(E26), &d).aqi,
            Some(want),
            "PM2.5 {c}"
        );
    }
}

#[test]
fn missing_pollutant_under_2026_shows_na_unless_above_100() {
    // Checklist §10 item 17.
    let mut d = DailyInputs {
        day: [
            Some(5.0),
            Some(5.0),
            None,
            Some(0.3),
            Some(50.0),
            Some(50.0),
        ],
        o3_max_1h: None,
    };
    let r = daily(&AqiOptions::for_edition(E26), &d);
    assert_eq!((r.aqi, r.missing.join(",")), (None, "PM10".to_owned()));
    assert_eq!(
        r.iaqi_of(Indicator::Pm25Day).map(|i| i.value),
        Some(80),
        "IAQIs are still published"
    );
    d.day[Pollutant::Pm25.index()] = Some(80.0);
    assert_eq!(daily(&AqiOptions::for_edition(E26), &d).aqi, Some(119));
    let exempt = AqiOptions {
        not_monitored: {
            let mut s = PollutantSet::EMPTY;
            s.insert(Pollutant::Pm10);
            s
        },
        ..AqiOptions::for_edition(E26)
    };
    d.day[Pollutant::Pm25.index()] = Some(50.0);
    assert_eq!(
        daily(&exempt, &d).aqi,
        Some(80),
        "not monitored by design does not block"
    );
    // The 2012-era practice publishes from what is there.
    d.day[Pollutant::Pm25.index()] = Some(50.0);
    assert_eq!(daily(&AqiOptions::for_edition(E12), &d).aqi, Some(69));
}

#[test]
fn table4_variant_scores_pm_from_24h_means_and_includes_o3_8h() {
    let mut input = hourly(5.0, 5.0, 300.0, 0.2, 20.0, 200.0);
    input.pm10_24h = Some(50.0);
    input.pm25_24h = Some(35.0);
    input.o3_8h = Some(100.0);
    let literal = AqiOptions {
        realtime_method: RealtimeMethod::Table4,
        ..AqiOptions::for_edition(E12)
    };
    assert_eq!(realtime(&literal, &input).aqi, Some(50));
    assert_eq!(
        realtime(&AqiOptions::for_edition(E12), &input).aqi,
        Some(250)
    );
}

#[test]
fn above_range_concentration_reports_500_marked() {
    let input = hourly(5.0, 5.0, 100.0, 0.2, 20.0, 612.0);
    let r = realtime(&AqiOptions::for_edition(E12), &input);
    assert_eq!((r.aqi, r.above_range), (Some(500), true));
}

#[test]
fn negative_or_non_finite_values_are_not_scored() {
    let input = hourly(-1.0, f64::NAN, 10.0, 0.2, 20.0, 10.0);
    let r = realtime(&AqiOptions::for_edition(E12), &input);
    assert_eq!(r.iaqi_of(Indicator::So2Hour), None);
    assert_eq!(r.iaqi_of(Indicator::No2Hour), None);
    assert_eq!(r.aqi, Some(15));
}

#[test]
fn so2_default_follows_the_published_practice_of_the_date() {
    let input = hourly(819.0, 60.0, 120.0, 1.0, 20.0, 40.0);
    let d = |s| crate::date::Date::parse(s).unwrap();
    let early = AqiOptions::for_date(d("2017-01-01"), RuleChoice::Auto);
    assert_eq!(early.so2_above_800, So2Above800::Omit);
    assert_eq!(realtime(&early, &input).aqi, Some(85));
    let late = AqiOptions::for_date(d("2019-01-09"), RuleChoice::Auto);
    assert_eq!(realtime(&late, &input).aqi, Some(200));
    let new = AqiOptions::for_date(d("2017-01-01"), RuleChoice::Era2026);
    assert_eq!(realtime(&new, &input).aqi, Some(200));
}

/// A day with every pollutant low (AQI 40 from PM10) except the one a case sets.
fn quiet_day() -> DailyInputs {
    DailyInputs {
        day: [
            Some(5.0),
            Some(20.0),
            Some(40.0),
            Some(0.5),
            Some(50.0),
            Some(20.0),
        ],
        o3_max_1h: Some(60.0),
    }
}

/// docs/findings.md F6: the day's concentrations are rounded before the daily IAQI. Each
/// case is computed by hand from HJ 633-2012 Table 1 with the ceiling of §6.2; the first two
/// are Beijing city days of 2015 (11 national stations) that changed category.
#[test]
fn daily_rounding_changes_the_category_of_days_near_a_breakpoint() {
    use ConcentrationRounding::{AsReceived, GbT8170, HalfUp};
    let cases: [(&str, Pollutant, f64, [u16; 3]); 5] = [
        // 2015-02-21: PM2.5 150.114 → 200 + 100/100 × 0.114 = 200.1 → 201 (重度);
        // rounded 150 → 200 (中度).
        ("pm25 150.114", Pollutant::Pm25, 150.114, [201, 200, 200]),
        // 2015-02-06: NO2 80.307 → 100 + 50/100 × 0.307 = 100.2 → 101 (轻度); 80 → 100 (良).
        ("no2 80.307", Pollutant::No2, 80.307, [101, 100, 100]),
        // PM2.5 75.3 → 100 + 50/40 × 0.3 = 100.4 → 101 (轻度); 75 → 100 (良).
        ("pm25 75.3", Pollutant::Pm25, 75.3, [101, 100, 100]),
        // A half: 150.5 → 201 unrounded; half-even 150 → 200; half-up 151 → 201.
        ("pm25 150.5", Pollutant::Pm25, 150.5, [201, 200, 201]),
        // CO 2.05 mg/m³ → 50 + 50/2 × 0.05 = 51.25 → 52 (良); half-even 2.0 → 50 (优);
        // half-up 2.1 → 52.5 → 53 (良).
        ("co 2.05", Pollutant::Co, 2.05, [52, 50, 53]),
    ];
    for (name, p, c, want) in cases {
        let mut d = quiet_day();
        d.day[p.index()] = Some(c);
        for (rounding, want) in [AsReceived, GbT8170, HalfUp].into_iter().zip(want) {
            let opts = AqiOptions {
                daily_rounding: rounding,
                ..AqiOptions::for_edition(E12)
            };
            assert_eq!(daily(&opts, &d).aqi, Some(want), "{name} {rounding:?}");
        }
        // The 2012-era default is GB/T 8170 (F6).
        assert_eq!(
            daily(&AqiOptions::for_edition(E12), &d).aqi,
            Some(want[1]),
            "{name} default"
        );
    }
}

#[test]
fn daily_rounding_defaults_to_gbt8170_in_both_editions_and_leaves_hours_alone() {
    for ed in [E12, E26] {
        assert_eq!(
            AqiOptions::for_edition(ed).daily_rounding,
            ConcentrationRounding::GbT8170
        );
    }
    // The 2012-era real-time AQI still scores hours as received (F1 matches CNEMC's integer
    // hourly values either way): PM2.5 1-h 150.3 → 201.
    let input = hourly(5.0, 20.0, 40.0, 0.5, 50.0, 150.3);
    assert_eq!(
        realtime(&AqiOptions::for_edition(E12), &input).aqi,
        Some(201)
    );
    assert_eq!(
        realtime(&AqiOptions::for_edition(E26), &input).aqi,
        Some(200)
    );
}

#[test]
fn concentration_rounding_names_round_trip() {
    for r in ConcentrationRounding::ALL {
        assert_eq!(r.as_str().parse::<ConcentrationRounding>(), Ok(r));
    }
    assert!("half-odd".parse::<ConcentrationRounding>().is_err());
}
