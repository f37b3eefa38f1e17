//! Table tests of the warning triggers per edition, the lifting rule and the ties at the
//! thresholds (spec §5.1, §5.3, test value 28).

use super::*;

/// Hours of a forecast: (how many, AQI).
type Runs = [(usize, Option<f64>)];
/// The first and last day (MM-DD) that meet a level.
type Span = Option<(&'static str, &'static str)>;

fn d(text: &str) -> Date {
    Date::parse(text).expect("date")
}

/// The level and the first and last day that meet it, for a daily forecast from 2026-12-01.
fn daily(edition: &'static Edition, aqi: &[f64]) -> (Option<Level>, Option<(Date, Date)>) {
    let days: Vec<Option<f64>> = aqi.iter().map(|v| Some(*v)).collect();
    let p = propose(edition, &Forecast::daily(d("2026-12-01"), &days));
    let span = p
        .first_hour
        .zip(p.last_hour)
        .map(|(a, b)| (cst::date_of(a), cst::date_of(b)));
    (p.level, span)
}

#[test]
fn each_level_of_the_2024_edition_is_met_by_its_triggers_and_not_at_the_thresholds() {
    use Level::*;
    // (daily AQI from 12-01, level, first and last day of the days that meet it)
    let cases: &[(&[f64], Option<Level>, Span)] = &[
        (&[150.0, 150.0, 150.0, 150.0], None, None),
        (&[151.0], None, None),
        (&[151.0, 151.0], Some(Yellow), Some(("12-01", "12-02"))),
        (&[200.0], None, None),
        (&[201.0], Some(Yellow), Some(("12-01", "12-01"))),
        (
            &[90.0, 201.0, 120.0],
            Some(Yellow),
            Some(("12-02", "12-02")),
        ),
        (
            &[151.0, 151.0, 151.0],
            Some(Orange),
            Some(("12-01", "12-03")),
        ),
        (&[201.0, 201.0], Some(Orange), Some(("12-01", "12-02"))),
        (
            &[201.0, 201.0, 201.0],
            Some(Orange),
            Some(("12-01", "12-03")),
        ),
        (&[301.0, 301.0], Some(Orange), Some(("12-01", "12-02"))),
        (&[201.0, 301.0, 201.0], Some(Red), Some(("12-01", "12-03"))),
        (
            &[201.0, 201.0, 300.0],
            Some(Orange),
            Some(("12-01", "12-03")),
        ),
        // The > 300 day must lie in the > 200 episode of 72 h.
        (
            &[201.0, 201.0, 201.0, 100.0, 301.0],
            Some(Orange),
            Some(("12-01", "12-03")),
        ),
        // Two episodes meeting yellow: the span covers both.
        (
            &[201.0, 100.0, 100.0, 160.0, 160.0],
            Some(Yellow),
            Some(("12-01", "12-05")),
        ),
        // Test value 28: > 150 for 48 h, never > 200, is yellow; for 72 h orange.
        (
            &[160.0, 190.0, 100.0],
            Some(Yellow),
            Some(("12-01", "12-02")),
        ),
        (
            &[160.0, 190.0, 180.0],
            Some(Orange),
            Some(("12-01", "12-03")),
        ),
        // The Beijing episode of 2013-11-19 … 26 (Dongsi, PM2.5): orange on the 4th and 5th.
        (
            &[52.0, 84.0, 143.0, 212.0, 280.0, 116.0, 26.0, 25.0],
            Some(Orange),
            Some(("12-04", "12-05")),
        ),
    ];
    for (aqi, level, span) in cases {
        let want = span.map(|(a, b)| (d(&format!("2026-{a}")), d(&format!("2026-{b}"))));
        assert_eq!(daily(&HEBEI_2024, aqi), (*level, want), "{aqi:?}");
    }
}

#[test]
fn each_level_of_the_2018_edition_is_met_by_its_triggers() {
    use Level::*;
    let cases: &[(&[f64], Option<Level>)] = &[
        (&[201.0], None),
        (&[499.0], None),
        (&[151.0, 151.0, 151.0, 151.0], None),
        (&[201.0, 201.0], Some(Yellow)),
        (&[201.0, 201.0, 201.0], Some(Yellow)),
        (&[201.0, 301.0, 201.0], Some(Orange)),
        (&[201.0, 300.0, 201.0], Some(Yellow)),
        (&[301.0, 301.0, 301.0], Some(Orange)),
        // > 300 on two days, not necessarily consecutive, within > 200 for 4 days.
        (&[301.0, 201.0, 201.0, 301.0], Some(Red)),
        (&[301.0, 201.0, 201.0, 201.0], Some(Orange)),
        (&[500.0], Some(Red)),
    ];
    for (aqi, level) in cases {
        assert_eq!(daily(&HEBEI_2018, aqi).0, *level, "{aqi:?}");
    }
}

/// A forecast of hourly values: `runs` of (hours, AQI).
fn hourly(runs: &[(usize, Option<f64>)]) -> Forecast {
    Forecast {
        start: cst::day_start(d("2026-12-01")),
        hourly: runs
            .iter()
            .flat_map(|(n, v)| std::iter::repeat_n(*v, *n))
            .collect(),
    }
}

#[test]
fn durations_count_hours_and_a_missing_hour_breaks_them() {
    use Level::*;
    let cases: &[(&Runs, Option<Level>)] = &[
        (&[(47, Some(151.0))], None),
        (&[(48, Some(151.0))], Some(Yellow)),
        (&[(23, Some(201.0)), (1, Some(200.0))], None),
        (&[(24, Some(201.0))], Some(Yellow)),
        (&[(47, Some(201.0))], Some(Yellow)),
        (&[(48, Some(201.0))], Some(Orange)),
        (
            &[(30, Some(201.0)), (1, None), (30, Some(201.0))],
            Some(Yellow),
        ),
        (&[(71, Some(151.0))], Some(Yellow)),
        (&[(72, Some(151.0))], Some(Orange)),
        (
            &[(24, Some(250.0)), (23, Some(310.0)), (25, Some(250.0))],
            Some(Orange),
        ),
        (
            &[(24, Some(250.0)), (24, Some(310.0)), (24, Some(250.0))],
            Some(Red),
        ),
        (
            &[(60, Some(250.0)), (12, Some(310.0)), (12, Some(250.0))],
            Some(Orange),
        ),
    ];
    for (runs, level) in cases {
        assert_eq!(
            propose(&HEBEI_2024, &hourly(runs)).level,
            *level,
            "{runs:?}"
        );
    }
    let p = propose(&HEBEI_2024, &hourly(&[(5, Some(90.0)), (48, Some(151.0))]));
    assert_eq!(
        p.first_hour,
        Some(cst::day_start(d("2026-12-01")) + 5 * 3600)
    );
    assert_eq!(
        p.last_hour,
        Some(cst::day_start(d("2026-12-01")) + 52 * 3600)
    );
    assert_eq!(p.rule_zh, "黄色预警：日均AQI>150持续≥48小时");
    assert_eq!(p.rule_en, "yellow: daily AQI > 150 for ≥ 48 h");
}

#[test]
fn the_rule_that_fired_is_named_with_every_condition() {
    let p = propose(
        &HEBEI_2024,
        &Forecast::daily(d("2026-12-01"), &[Some(250.0), Some(320.0), Some(260.0)]),
    );
    assert_eq!(
        p.rule_zh,
        "红色预警：日均AQI>200持续≥72小时且日均AQI>300持续≥24小时"
    );
    let p = propose(
        &HEBEI_2018,
        &Forecast::daily(d("2026-12-01"), &[Some(250.0), Some(320.0), Some(260.0)]),
    );
    assert_eq!(
        p.rule_en,
        "orange: daily AQI > 200 for ≥ 72 h and daily AQI > 300 on ≥ 1 day(s)"
    );
    assert_eq!(p.edition, "hebei-2018");
}

#[test]
fn a_warning_is_lifted_after_more_than_36_hours_at_or_below_150() {
    let day0 = cst::day_start(d("2026-12-01"));
    let cases: &[(&Runs, Option<i64>)] = &[
        (&[(36, Some(100.0))], None),
        (&[(37, Some(100.0))], Some(day0)),
        (&[(37, Some(150.0))], Some(day0)),
        (
            &[(10, Some(151.0)), (37, Some(150.0))],
            Some(day0 + 10 * 3600),
        ),
        (
            &[(20, Some(100.0)), (1, Some(160.0)), (36, Some(100.0))],
            None,
        ),
        (
            &[(20, Some(100.0)), (1, None), (37, Some(100.0))],
            Some(day0 + 21 * 3600),
        ),
    ];
    for (runs, want) in cases {
        assert_eq!(
            lift_from(&HEBEI_2024, &hourly(runs), day0),
            *want,
            "{runs:?}"
        );
    }
    // A daily forecast: one good day is 24 h, two are 48 h.
    let f = Forecast::daily(d("2026-12-01"), &[Some(250.0), Some(120.0), Some(210.0)]);
    assert_eq!(lift_from(&HEBEI_2024, &f, day0), None);
    let f = Forecast::daily(d("2026-12-01"), &[Some(250.0), Some(120.0), Some(90.0)]);
    assert_eq!(lift_from(&HEBEI_2024, &f, day0), Some(day0 + 86_400));
    // Hours before `from` do not count.
    assert_eq!(lift_from(&HEBEI_2024, &f, day0 + 2 * 86_400), None);
}

#[test]
fn the_edition_is_chosen_by_the_forecast_date_or_by_name_or_year() {
    assert_eq!(edition_for(d("2024-03-26")).id, "hebei-2018");
    assert_eq!(edition_for(d("2024-03-27")).id, "hebei-2024");
    assert_eq!(edition_for(d("2026-12-01")).id, "hebei-2024");
    assert_eq!(edition_for(d("2010-01-01")).id, "hebei-2018");
    assert_eq!(edition_named("2024").map(|e| e.id), Some("hebei-2024"));
    assert_eq!(edition_named("2020").map(|e| e.id), Some("hebei-2018"));
    assert_eq!(
        edition_named("hebei-2018").map(|e| e.id),
        Some("hebei-2018")
    );
    assert_eq!(edition_named("next"), None);
}
