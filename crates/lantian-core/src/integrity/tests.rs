//! Tests of the integrity rules: for each rule a synthetic fault where it must fire (with its
//! episode bounds) and a near miss where it must not, over a clean regional series that
//! raises nothing; neighbour search, episode merging and the CEMS rules likewise.

use super::*;
use crate::date::Date;

const N_DAYS: usize = 6;
const N_HOURS: usize = N_DAYS * 24;

/// A deterministic generator (xorshift), uniform in [-1, 1).
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// A regional AR(1) signal shared by all stations (white innovations, so that hour-to-hour
/// changes line up only at lag zero).
fn regional(seed: u64, scale: f64) -> Vec<f64> {
    let mut n = Noise(seed);
    let mut v = vec![0.0; N_HOURS];
    for t in 1..N_HOURS {
        v[t] = 0.9 * v[t - 1] + scale * n.next();
    }
    v
}

/// One station's clean series: the regional signals plus its own small noise. Heavy
/// pollution (PM2.5 about 120 µg/m³), so that the episode rules have something to see.
fn clean(seed: u64) -> HourlySeries {
    let start = Date::new(2019, 1, 1).unwrap();
    let mut s = HourlySeries::new(start, N_DAYS);
    let (pm, gas, o3) = (regional(7, 6.0), regional(11, 4.0), regional(13, 6.0));
    let mut n = Noise(seed);
    for t in 0..N_HOURS {
        let pm25 = 120.0 + pm[t] + 2.0 * n.next();
        s.values[Pollutant::Pm25.index()][t] = pm25;
        s.values[Pollutant::Pm10.index()][t] = 1.4 * pm25 + 3.0 * n.next();
        s.values[Pollutant::No2.index()][t] =
            50.0 + gas[t] + 25.0 * (t as f64 * std::f64::consts::TAU / 24.0).sin() + n.next();
        s.values[Pollutant::So2.index()][t] = 20.0 + 0.3 * gas[t] + 0.5 * n.next();
        s.values[Pollutant::Co.index()][t] = 1.5 + 0.01 * pm[t] + 0.03 * n.next();
        s.values[Pollutant::O3.index()][t] = 40.0 + o3[t] + n.next();
    }
    s
}

/// The target station "S" and three neighbours 5–12 km away, with humidity, flags and lags
/// that a case may change.
struct Scene {
    series: Vec<HourlySeries>,
    humidity: Vec<Vec<f64>>,
    flags: Vec<[Vec<u8>; 6]>,
    lag_s: Vec<Vec<f64>>,
    roles: Vec<StationRole>,
    /// Stations included (the target alone for the no-neighbour checks).
    n_stations: usize,
}

const IDS: [&str; 4] = ["S", "N1", "N2", "N3"];
const COORDS: [(f64, f64); 4] = [
    (38.0, 115.0),
    (38.05, 115.0),
    (38.0, 115.1),
    (37.95, 114.95),
];

impl Scene {
    fn new() -> Scene {
        let mut rh = Noise(99);
        let humidity: Vec<f64> = (0..N_HOURS).map(|_| 50.0 + 5.0 * rh.next()).collect();
        Scene {
            series: (0..4).map(|i| clean(1000 + i as u64)).collect(),
            humidity: vec![humidity; 4],
            flags: (0..4)
                .map(|_| std::array::from_fn(|_| vec![b'N'; N_HOURS]))
                .collect(),
            lag_s: vec![vec![60.0; N_HOURS]; 4],
            roles: vec![StationRole::Assessment; 4],
            n_stations: 4,
        }
    }

    fn v(&mut self, station: usize, p: Pollutant) -> &mut Vec<f64> {
        &mut self.series[station].values[p.index()]
    }

    fn scan(&self, cfg: &Config) -> Vec<Alarm> {
        let inputs: Vec<StationInput<'_>> = (0..self.n_stations)
            .map(|i| StationInput {
                id: IDS[i],
                role: self.roles[i],
                lat: COORDS[i].0,
                lon: COORDS[i].1,
                series: &self.series[i],
                flags: Some(&self.flags[i]),
                humidity_pct: Some(&self.humidity[i]),
                receipt_lag_s: Some(&self.lag_s[i]),
            })
            .collect();
        scan_stations(cfg, &inputs)
    }
}

fn set(v: &mut [f64], hours: std::ops::RangeInclusive<usize>, f: impl Fn(f64) -> f64) {
    for t in hours {
        v[t] = f(v[t]);
    }
}

/// A fault: what it does to the scene, the rule and pollutant that must flag it, and the
/// episode bounds (`None`: the rule must stay silent on the target).
struct Case {
    name: &'static str,
    fault: fn(&mut Scene),
    rule: Rule,
    pollutant: Option<Pollutant>,
    bounds: Option<(usize, usize)>,
}

fn cases() -> Vec<Case> {
    use Pollutant::*;
    vec![
        Case {
            name: "six missing PM2.5 hours leave 18 valid: the day is incomplete",
            fault: |s| s.v(0, Pm25)[24..=29].fill(f64::NAN),
            rule: Rule::Completeness,
            pollutant: Some(Pm25),
            bounds: Some((24, 29)),
        },
        Case {
            name: "four missing hours leave 20 valid: complete",
            fault: |s| s.v(0, Pm25)[24..=27].fill(f64::NAN),
            rule: Rule::Completeness,
            pollutant: None,
            bounds: None,
        },
        Case {
            name: "maintenance flags for four hours of an episode",
            fault: |s| s.flags[0][Pm25.index()][40..=43].fill(b'M'),
            rule: Rule::FlagPattern,
            pollutant: Some(Pm25),
            bounds: Some((40, 43)),
        },
        Case {
            name: "two maintenance hours are not a pattern",
            fault: |s| s.flags[0][Pm25.index()][40..=41].fill(b'M'),
            rule: Rule::FlagPattern,
            pollutant: None,
            bounds: None,
        },
        Case {
            name: "PM2.5 stuck for twelve hours while the neighbours move",
            fault: |s| {
                let v = s.v(0, Pm25)[30];
                s.v(0, Pm25)[30..=41].fill(v);
            },
            rule: Rule::FlatLine,
            pollutant: Some(Pm25),
            bounds: Some((30, 41)),
        },
        Case {
            name: "four equal hours are not a flat line",
            fault: |s| {
                let v = s.v(0, Pm25)[30];
                s.v(0, Pm25)[30..=33].fill(v);
            },
            rule: Rule::FlatLine,
            pollutant: None,
            bounds: None,
        },
        Case {
            name: "a PM10 hour four times higher that no neighbour shows",
            fault: |s| set(s.v(0, Pm10), 50..=50, |x| 4.0 * x + 200.0),
            rule: Rule::Spike,
            pollutant: Some(Pm10),
            bounds: Some((50, 50)),
        },
        Case {
            name: "the same jump at every station is regional, not a spike",
            fault: |s| {
                for i in 0..4 {
                    set(s.v(i, Pm10), 50..=50, |x| 4.0 * x + 200.0);
                }
            },
            rule: Rule::Spike,
            pollutant: None,
            bounds: None,
        },
        Case {
            name: "SO2 jumps alone at one station",
            fault: |s| set(s.v(0, So2), 52..=52, |x| 4.0 * x + 100.0),
            rule: Rule::Spike,
            pollutant: Some(So2),
            bounds: Some((52, 52)),
        },
        Case {
            name: "SO2 jumping with CO is a plume of real air, not a fault",
            fault: |s| {
                set(s.v(0, So2), 52..=52, |x| 4.0 * x + 100.0);
                set(s.v(0, Co), 52..=52, |x| x + 3.0);
            },
            rule: Rule::Spike,
            pollutant: None,
            bounds: None,
        },
        Case {
            name: "PM10 falls to a tenth for three hours, the neighbours do not",
            fault: |s| set(s.v(0, Pm10), 70..=72, |x| 0.1 * x),
            rule: Rule::SuddenDrop,
            pollutant: Some(Pm10),
            bounds: Some((70, 72)),
        },
        Case {
            name: "a fall to half is within the drop threshold",
            fault: |s| set(s.v(0, Pm10), 70..=72, |x| 0.5 * x),
            rule: Rule::SuddenDrop,
            pollutant: None,
            bounds: None,
        },
        Case {
            name: "PM10 reads 80 % of PM2.5 for six hours",
            fault: |s| {
                for t in 80..=85 {
                    let f = s.v(0, Pm25)[t];
                    s.v(0, Pm10)[t] = 0.8 * f;
                }
            },
            rule: Rule::Pm25AbovePm10,
            pollutant: Some(Pm25),
            bounds: Some((80, 85)),
        },
        Case {
            name: "PM2.5 3 % above PM10 is within tolerance",
            fault: |s| {
                for t in 80..=85 {
                    let f = s.v(0, Pm25)[t];
                    s.v(0, Pm10)[t] = f / 1.03;
                }
            },
            rule: Rule::Pm25AbovePm10,
            pollutant: None,
            bounds: None,
        },
        Case {
            name: "PM2.5/PM10 of 0.07 for eight hours at PM10 300",
            fault: |s| {
                s.v(0, Pm10)[90..=97].fill(300.0);
                s.v(0, Pm25)[90..=97].fill(20.0);
            },
            rule: Rule::LowPmRatio,
            pollutant: Some(Pm25),
            bounds: Some((90, 97)),
        },
        Case {
            name: "five low-ratio hours are too few",
            fault: |s| {
                s.v(0, Pm10)[90..=94].fill(300.0);
                s.v(0, Pm25)[90..=94].fill(20.0);
            },
            rule: Rule::LowPmRatio,
            pollutant: None,
            bounds: None,
        },
        Case {
            name: "SO2 negative for three hours",
            fault: |s| s.v(0, So2)[100..=102].fill(-3.0),
            rule: Rule::ZeroNegative,
            pollutant: Some(So2),
            bounds: Some((100, 102)),
        },
        Case {
            name: "SO2 at zero is below detection, not an error",
            fault: |s| s.v(0, So2)[100..=102].fill(0.0),
            rule: Rule::ZeroNegative,
            pollutant: None,
            bounds: None,
        },
        Case {
            name: "PM falls 70 % as humidity jumps to 95 %, gases and neighbours unchanged",
            fault: |s| {
                set(s.v(0, Pm25), 110..=112, |x| 0.3 * x);
                set(s.v(0, Pm10), 110..=112, |x| 0.3 * x);
                s.humidity[0][110..=112].fill(95.0);
            },
            rule: Rule::Spraying,
            pollutant: Some(Pm25),
            bounds: Some((110, 112)),
        },
        Case {
            name: "the same fall at the neighbours is washout by weather",
            fault: |s| {
                for i in 0..4 {
                    set(s.v(i, Pm25), 110..=112, |x| 0.3 * x);
                    set(s.v(i, Pm10), 110..=112, |x| 0.3 * x);
                }
                s.humidity[0][110..=112].fill(95.0);
            },
            rule: Rule::Spraying,
            pollutant: None,
            bounds: None,
        },
        Case {
            name: "PM2.5 at 5 for twelve hours while the neighbours read 120",
            fault: |s| {
                for t in 120..=131 {
                    s.v(0, Pm25)[t] = 5.0 + (t % 2) as f64;
                    s.v(0, Pm10)[t] = 8.0;
                }
            },
            rule: Rule::InletBlocked,
            pollutant: Some(Pm25),
            bounds: Some((120, 131)),
        },
        Case {
            name: "six low hours are shorter than a blockage",
            fault: |s| {
                for t in 120..=125 {
                    s.v(0, Pm25)[t] = 5.0 + (t % 2) as f64;
                }
            },
            rule: Rule::InletBlocked,
            pollutant: None,
            bounds: None,
        },
        Case {
            name: "eight hours missing while the neighbours are in an episode",
            fault: |s| {
                for p in Pollutant::ALL {
                    s.v(0, p)[60..=67].fill(f64::NAN);
                }
            },
            rule: Rule::OutageInEpisode,
            pollutant: Some(Pm25),
            bounds: Some((60, 67)),
        },
        Case {
            name: "eight hours missing in clean air are no episode outage",
            fault: |s| {
                for i in 0..4 {
                    set(s.v(i, Pm25), 56..=71, |x| x / 4.0);
                }
                for p in Pollutant::ALL {
                    s.v(0, p)[60..=67].fill(f64::NAN);
                }
            },
            rule: Rule::OutageInEpisode,
            pollutant: None,
            bounds: None,
        },
        Case {
            name: "CO three mg/m³ high at 03:00 every day",
            fault: |s| {
                for day in 0..N_DAYS {
                    s.v(0, Co)[day * 24 + 3] += 3.0;
                }
            },
            rule: Rule::PeriodicSameHour,
            pollutant: Some(Co),
            bounds: Some((3, 5 * 24 + 3)),
        },
        Case {
            name: "three days are not yet a period",
            fault: |s| {
                for day in 0..3 {
                    s.v(0, Co)[day * 24 + 3] += 3.0;
                }
            },
            rule: Rule::PeriodicSameHour,
            pollutant: None,
            bounds: None,
        },
        Case {
            name: "DataTime 20 minutes after the receipt for four hours",
            fault: |s| s.lag_s[0][140..=143].fill(-1200.0),
            rule: Rule::ClockDrift,
            pollutant: None,
            bounds: Some((140, 143)),
        },
        Case {
            name: "a clock 3 minutes fast is tolerated",
            fault: |s| s.lag_s[0][140..=143].fill(-180.0),
            rule: Rule::ClockDrift,
            pollutant: None,
            bounds: None,
        },
        Case {
            name: "every value two hours late against the neighbours",
            fault: |s| {
                for v in s.series[0].values.iter_mut() {
                    let orig = v.clone();
                    for t in 0..N_HOURS {
                        v[t] = if t >= 2 { orig[t - 2] } else { f64::NAN };
                    }
                }
            },
            rule: Rule::ClockDrift,
            pollutant: None,
            bounds: Some((0, N_HOURS - 1)),
        },
        Case {
            name: "a one-hour lag is within what the wind does",
            fault: |s| {
                for v in s.series[0].values.iter_mut() {
                    let orig = v.clone();
                    v[1..].copy_from_slice(&orig[..N_HOURS - 1]);
                }
            },
            rule: Rule::ClockDrift,
            pollutant: None,
            bounds: None,
        },
        Case {
            name: "four hours received three hours late",
            fault: |s| s.lag_s[0][30..=33].fill(10_800.0),
            rule: Rule::Backfilled,
            pollutant: None,
            bounds: Some((30, 33)),
        },
        Case {
            name: "ninety minutes late is not back-filling",
            fault: |s| s.lag_s[0][30..=33].fill(5_400.0),
            rule: Rule::Backfilled,
            pollutant: None,
            bounds: None,
        },
        Case {
            name: "a township at half its assessment neighbour every day",
            fault: |s| {
                s.roles[0] = StationRole::Township;
                set(s.v(0, Pm25), 0..=N_HOURS - 1, |x| 0.5 * x);
            },
            rule: Rule::TownshipBelowAssessment,
            pollutant: Some(Pm25),
            bounds: Some((0, N_HOURS - 1)),
        },
        Case {
            name: "a township at 80 % is within the ratio",
            fault: |s| {
                s.roles[0] = StationRole::Township;
                set(s.v(0, Pm25), 0..=N_HOURS - 1, |x| 0.8 * x);
            },
            rule: Rule::TownshipBelowAssessment,
            pollutant: None,
            bounds: None,
        },
    ]
}

#[test]
fn clean_regional_series_raise_no_alarm() {
    let alarms = Scene::new().scan(&Config::default());
    assert!(alarms.is_empty(), "{alarms:#?}");
}

#[test]
fn every_station_rule_fires_on_its_fault_with_the_episode_bounds_and_not_on_the_near_miss() {
    let cfg = Config::default();
    let mut covered = std::collections::BTreeSet::new();
    for case in cases() {
        let mut scene = Scene::new();
        (case.fault)(&mut scene);
        let alarms = scene.scan(&cfg);
        let mine: Vec<&Alarm> = alarms
            .iter()
            .filter(|a| a.station == "S" && a.rule == case.rule)
            .collect();
        match case.bounds {
            Some((first, last)) => {
                covered.insert(case.rule);
                assert_eq!(mine.len(), 1, "{}: {mine:#?}", case.name);
                let a = mine[0];
                assert_eq!(
                    (a.first_hour, a.last_hour),
                    (first, last),
                    "{}: {a:#?}",
                    case.name
                );
                assert_eq!(a.pollutant, case.pollutant, "{}", case.name);
                assert_eq!(a.severity, case.rule.severity(), "{}", case.name);
                assert!(
                    a.figures.iter().all(|f| f.1.is_finite()),
                    "{}: figures must be finite for JSON: {a:#?}",
                    case.name
                );
                assert!(
                    !a.why_zh.is_empty() && !a.why_en.is_empty() && !a.figures.is_empty(),
                    "{}: every alarm explains itself: {a:#?}",
                    case.name
                );
            }
            None => assert!(mine.is_empty(), "{}: {mine:#?}", case.name),
        }
        // Neighbours are untouched by target-only faults (the regional cases touch all four
        // and must not flag them either).
        let others: Vec<&Alarm> = alarms
            .iter()
            .filter(|a| a.station != "S" && a.rule == case.rule)
            .collect();
        assert!(others.is_empty(), "{}: {others:#?}", case.name);
    }
    for rule in Rule::STATION {
        assert!(covered.contains(&rule), "no firing case for {rule}");
    }
}

#[test]
fn rules_that_need_neighbours_stay_silent_without_them() {
    let cfg = Config::default();
    for case in cases() {
        if !case.rule.needs_neighbours() || case.bounds.is_none() {
            continue;
        }
        // The receipt-lag form of clock drift needs no neighbours.
        if case.rule == Rule::ClockDrift && case.bounds != Some((0, N_HOURS - 1)) {
            continue;
        }
        let mut scene = Scene::new();
        (case.fault)(&mut scene);
        scene.n_stations = 1;
        let alarms = scene.scan(&cfg);
        assert!(
            alarms.iter().all(|a| a.rule != case.rule),
            "{}: {alarms:#?}",
            case.name
        );
    }
}

#[test]
fn the_spraying_alarm_says_why_with_its_figures() {
    let mut scene = Scene::new();
    set(scene.v(0, Pollutant::Pm25), 110..=112, |x| 0.3 * x);
    set(scene.v(0, Pollutant::Pm10), 110..=112, |x| 0.3 * x);
    scene.humidity[0][110..=112].fill(95.0);
    let alarms = scene.scan(&Config::default());
    let a = alarms
        .iter()
        .find(|a| a.rule == Rule::Spraying)
        .expect("spraying");
    assert_eq!(a.severity, Severity::Critical);
    // The sentence's figures, computed here from the series.
    let pm = &scene.series[0].values[Pollutant::Pm25.index()];
    let drop_pct = (1.0 - pm[110] / pm[109]) * 100.0;
    let drop_text = format!("PM2.5 在 1 小时内下降 {drop_pct:.0}%");
    let from_text = format!("从 {:.0} 到 {:.0} μg/m³", pm[109], pm[110]);
    for part in [
        drop_text.as_str(),
        from_text.as_str(),
        "湿度",
        "升至 95%",
        "邻近站点未见同样变化",
        "疑似喷淋干扰",
    ] {
        assert!(a.why_zh.contains(part), "{part}: {}", a.why_zh);
    }
    assert!(
        a.why_en.contains("suspected water spraying"),
        "{}",
        a.why_en
    );
    let fig = |k: &str| a.figures.iter().find(|f| f.0 == k).map(|f| f.1);
    assert_eq!(fig("rh_after_pct"), Some(95.0));
    assert!((fig("drop_pct").unwrap() - drop_pct).abs() < 1e-9);
    assert_eq!(a.neighbours, vec!["N1", "N3", "N2"], "nearest first");
}

#[test]
fn flagged_hours_at_most_merge_gap_apart_make_one_episode() {
    // (negative hours, merge gap, expected episodes)
    type Row = (&'static [usize], usize, &'static [(usize, usize)]);
    let table: [Row; 4] = [
        (&[100, 101, 103], 2, &[(100, 103)]),
        (&[100, 104], 2, &[(100, 100), (104, 104)]),
        (&[100, 104], 3, &[(100, 104)]),
        (&[100, 101, 102], 0, &[(100, 102)]),
    ];
    for (hours, gap, expected) in table {
        let mut scene = Scene::new();
        for &t in hours {
            scene.v(0, Pollutant::So2)[t] = -2.0;
        }
        let cfg = Config {
            merge_gap_hours: gap,
            ..Config::default()
        };
        let got: Vec<(usize, usize)> = scene
            .scan(&cfg)
            .iter()
            .filter(|a| a.rule == Rule::ZeroNegative)
            .map(|a| (a.first_hour, a.last_hour))
            .collect();
        assert_eq!(got, expected, "{hours:?} gap {gap}");
    }
}

#[test]
fn distances_and_neighbour_lists_match_a_brute_force_search() {
    // One degree of latitude on the 6371 km sphere.
    assert!((distance_km(38.0, 115.0, 39.0, 115.0) - 111.195).abs() < 0.01);
    assert!(distance_km(38.0, 115.0, 38.0, 115.0).abs() < 1e-9);
    let series = clean(1);
    let mut n = Noise(5);
    let pts: Vec<(f64, f64)> = (0..300)
        .map(|_| (38.0 + 1.5 * n.next(), 115.0 + 1.5 * n.next()))
        .collect();
    let ids: Vec<String> = (0..pts.len()).map(|i| format!("s{i}")).collect();
    let inputs: Vec<StationInput<'_>> = pts
        .iter()
        .zip(&ids)
        .map(|(&(lat, lon), id)| StationInput {
            id,
            role: StationRole::Assessment,
            lat,
            lon,
            series: &series,
            flags: None,
            humidity_pct: None,
            receipt_lag_s: None,
        })
        .collect();
    for (radius, max) in [(10.0, 8), (30.0, 5), (60.0, 100)] {
        let cfg = Config {
            neighbour_radius_km: radius,
            neighbours_max: max,
            ..Config::default()
        };
        let lists = neighbour_lists(&cfg, &inputs);
        for (i, list) in lists.iter().enumerate() {
            let mut brute: Vec<(usize, f64)> = (0..pts.len())
                .filter(|&j| j != i)
                .map(|j| (j, distance_km(pts[i].0, pts[i].1, pts[j].0, pts[j].1)))
                .filter(|&(_, d)| d <= radius)
                .collect();
            brute.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            brute.truncate(max);
            assert_eq!(list, &brute, "station {i}, radius {radius}");
        }
    }
}

#[test]
fn every_rule_has_names_and_lists_its_thresholds() {
    for &rule in Rule::ALL {
        let t = Config::default().thresholds(rule);
        if rule != Rule::CemsTreatmentOff {
            assert!(t.len() >= 2, "{rule}: {t:?}");
        }
        assert!(
            t.iter().all(|(k, v)| !k.is_empty() && v.is_finite()),
            "{rule}: {t:?}"
        );
        assert!(!rule.name_zh().is_empty() && !rule.name_en().is_empty());
    }
}

/// An outlet of 48 running hours: SO2 about 20 mg/m³ raw (± 2.5 %) at 12 % O2, reference O2 6 %, its
/// `-Zs` exactly the normalised value, production and treatment on.
struct Outlet {
    raw: Vec<f64>,
    zs: Vec<f64>,
    o2: Vec<f64>,
    flow: Vec<f64>,
    prod: Vec<Option<bool>>,
    treat: Vec<Option<bool>>,
    limit: Option<f64>,
}

const CEMS_HOURS: usize = 48;
const O2_REF: f64 = 6.0;

impl Outlet {
    fn new() -> Outlet {
        let mut n = Noise(3);
        let raw: Vec<f64> = (0..CEMS_HOURS).map(|_| 20.0 + 0.5 * n.next()).collect();
        let o2: Vec<f64> = (0..CEMS_HOURS).map(|_| 12.0 + 0.1 * n.next()).collect();
        let flow = (0..CEMS_HOURS)
            .map(|_| 100_000.0 + 3_000.0 * n.next())
            .collect();
        let mut o = Outlet {
            zs: Vec::new(),
            raw,
            o2,
            flow,
            prod: vec![Some(true); CEMS_HOURS],
            treat: vec![Some(true); CEMS_HOURS],
            limit: Some(100.0),
        };
        o.renormalise();
        o
    }

    fn renormalise(&mut self) {
        self.zs = (0..CEMS_HOURS)
            .map(|t| self.raw[t] * (21.0 - O2_REF) / (21.0 - self.o2[t]))
            .collect();
    }

    fn scan(&self) -> Vec<Alarm> {
        scan_cems(
            &Config::default(),
            &[CemsInput {
                outlet: "DA001",
                channels: vec![CemsChannel {
                    code: "a21026",
                    raw: &self.raw,
                    zs: Some(&self.zs),
                    limit: self.limit,
                }],
                o2_pct: Some(&self.o2),
                flow_m3_h: Some(&self.flow),
                o2_ref_pct: Some(O2_REF),
                production_on: Some(&self.prod),
                treatment_on: Some(&self.treat),
            }],
        )
    }
}

#[test]
fn every_cems_rule_fires_on_its_fault_and_not_on_the_near_miss() {
    type Fault = fn(&mut Outlet);
    type Row = (&'static str, Fault, Rule, Option<(usize, usize)>);
    let table: [Row; 11] = [
        ("a clean outlet", |_| {}, Rule::CemsFlatLine, None),
        (
            "SO2 stuck at 25 for eight hours",
            |o| {
                o.raw[10..=17].fill(25.0);
                o.renormalise();
            },
            Rule::CemsFlatLine,
            Some((10, 17)),
        ),
        (
            "five stuck hours are too few",
            |o| {
                o.raw[10..=14].fill(25.0);
                o.renormalise();
            },
            Rule::CemsFlatLine,
            None,
        ),
        (
            "every hour within 90–100 % of the limit",
            |o| {
                o.limit = Some(40.0);
                for t in 0..CEMS_HOURS {
                    o.zs[t] = 40.0 * (0.95 + 0.04 * (t as f64).sin());
                    o.raw[t] = o.zs[t] * (21.0 - o.o2[t]) / (21.0 - O2_REF);
                }
            },
            Rule::CemsHuggingLimit,
            Some((0, CEMS_HOURS - 1)),
        ),
        (
            "a limit of 80 is not hugged by values of 36–40",
            |o| {
                o.limit = Some(80.0);
                for t in 0..CEMS_HOURS {
                    o.zs[t] = 40.0 * (0.95 + 0.04 * (t as f64).sin());
                    o.raw[t] = o.zs[t] * (21.0 - o.o2[t]) / (21.0 - O2_REF);
                }
            },
            Rule::CemsHuggingLimit,
            None,
        ),
        (
            "O2 to 17 %, raw halved, flow up 30 %, Zs unchanged",
            |o| {
                for t in 20..=24 {
                    o.o2[t] = 17.0;
                    o.raw[t] = o.zs[t] * (21.0 - 17.0) / (21.0 - O2_REF);
                    o.flow[t] *= 1.3;
                }
            },
            Rule::CemsDilution,
            Some((20, 24)),
        ),
        (
            "O2 up two points only",
            |o| {
                for t in 20..=24 {
                    o.o2[t] = 14.0;
                    o.raw[t] = o.zs[t] * (21.0 - 14.0) / (21.0 - O2_REF);
                    o.flow[t] *= 1.3;
                }
            },
            Rule::CemsDilution,
            None,
        ),
        (
            "treatment off for four hours of production",
            |o| o.treat[30..=33].fill(Some(false)),
            Rule::CemsTreatmentOff,
            Some((30, 33)),
        ),
        (
            "treatment off while production is off too",
            |o| {
                o.treat[30..=33].fill(Some(false));
                o.prod[30..=33].fill(Some(false));
            },
            Rule::CemsTreatmentOff,
            None,
        ),
        (
            "Zs 30 % above the normalised value for three hours",
            |o| set(&mut o.zs, 40..=42, |z| 1.3 * z),
            Rule::CemsZsInconsistent,
            Some((40, 42)),
        ),
        (
            "Zs 3 % off is within tolerance",
            |o| set(&mut o.zs, 40..=42, |z| 1.03 * z),
            Rule::CemsZsInconsistent,
            None,
        ),
    ];
    for (name, fault, rule, bounds) in table {
        let mut o = Outlet::new();
        fault(&mut o);
        let alarms = o.scan();
        let mine: Vec<&Alarm> = alarms.iter().filter(|a| a.rule == rule).collect();
        match bounds {
            Some(b) => {
                assert_eq!(mine.len(), 1, "{name}: {alarms:#?}");
                assert_eq!((mine[0].first_hour, mine[0].last_hour), b, "{name}");
                assert_eq!(mine[0].station, "DA001");
                assert!(!mine[0].why_zh.is_empty(), "{name}");
            }
            None => assert!(mine.is_empty(), "{name}: {mine:#?}"),
        }
        if name == "a clean outlet" {
            assert!(alarms.is_empty(), "{alarms:#?}");
        }
    }
}

#[test]
fn degenerate_inputs_and_thresholds_give_answers_not_panics() {
    let empty = HourlySeries::new(Date::new(2019, 1, 1).unwrap(), 0);
    let missing = HourlySeries::new(Date::new(2019, 1, 1).unwrap(), 2);
    let zeroed = Config {
        merge_gap_hours: 0,
        neighbours_max: 0,
        flat_hours_min: 0,
        flat_hours_cap: 0,
        periodic_days_min: 0,
        township_days_min: 0,
        blocked_hours_min: 0,
        clock_window_days: 0,
        hug_hours_min: 0,
        cems_flat_hours_min: 0,
        dilution_window_hours: 0,
        ..Config::default()
    };
    for cfg in [Config::default(), zeroed] {
        for series in [&empty, &missing] {
            let input = StationInput {
                id: "X",
                role: StationRole::Township,
                lat: f64::NAN,
                lon: f64::NAN,
                series,
                flags: None,
                humidity_pct: Some(&[]),
                receipt_lag_s: Some(&[]),
            };
            let alarms = scan_stations(&cfg, &[input.clone(), input]);
            // Two days with nothing at all are incomplete, station-wide; nothing else fires.
            let expected: Vec<(Rule, usize, usize)> = if series.n_days == 2 {
                vec![(Rule::Completeness, 0, 47); 2]
            } else {
                Vec::new()
            };
            let got: Vec<(Rule, usize, usize)> = alarms
                .iter()
                .map(|a| (a.rule, a.first_hour, a.last_hour))
                .collect();
            assert_eq!(got, expected);
        }
        let outlet = CemsInput {
            outlet: "O",
            channels: vec![CemsChannel {
                code: "a21002",
                raw: &[],
                zs: None,
                limit: Some(0.0),
            }],
            o2_pct: Some(&[]),
            flow_m3_h: None,
            o2_ref_pct: Some(O2_REF),
            production_on: None,
            treatment_on: None,
        };
        assert!(scan_cems(&cfg, &[outlet]).is_empty());
    }
    // A flat threshold of zero hours still needs two equal hours: the clean scene has none.
    let scene = Scene::new();
    let cfg = Config {
        flat_hours_min: 0,
        ..Config::default()
    };
    assert!(scene.scan(&cfg).iter().all(|a| a.rule != Rule::FlatLine));
}
