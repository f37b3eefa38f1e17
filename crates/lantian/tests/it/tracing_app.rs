//! Source tracing over stored data (issue 19): a Beijing station-year (UCI PRSA, PM2.5 and
//! wind) stored as hourly values, served by `lantian serve`: the API's CPF equals
//! `lantian tracing cpf` on the file and an independent computation in this test (the CSV
//! read here in plain Rust); the upwind ranking puts an enterprise in the highest-CPF
//! sector first and one opposite behind; a township station's minute wind is rolled up as
//! a vector mean (350° and 10° → 0°), and its data need a login.

use super::serve::{Server, login, request};
use super::*;
use lantian_core::{Date, cst};
use lantian_store::{Ingest, Observation, Period, Store};

const STATION: &str = "Aotizhongxin";
const ID: &str = "BJ-AOTI";
const YEAR: i32 = 2015;
const COMPASS: [&str; 16] = [
    "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW",
    "NNW",
];
const CALM_M_S: f64 = 0.5;
const SECTORS: usize = 16;
const PERCENTILE: f64 = 75.0;
/// The station's position (UCI's description of the sites: 奥体中心).
const LAT: f64 = 39.982;
const LON: f64 = 116.397;

/// One hour of the file: its start (CST seconds) and what it has.
pub struct Row {
    pub start: i64,
    pub pm25: Option<f64>,
    pub ws: Option<f64>,
    pub wd: Option<f64>,
}

/// The hours of the station's file that start in `YEAR`.
fn read_year() -> Vec<Row> {
    read_station(STATION, |start| cst::date_of(start).year() == YEAR)
}

/// The hours of a station's file whose start `keep` keeps, read here: the row labelled
/// `hour` is the hour ending then (docs/findings.md F5), so it starts an hour earlier.
pub fn read_station(station: &str, keep: impl Fn(i64) -> bool) -> Vec<Row> {
    let dir = shared("beijing-prsa");
    let path = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!("PRSA_Data_{station}_"))
        })
        .unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let head: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(|c| c.trim_matches('"').to_owned())
        .collect();
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let (y, m, d, h) = (col("year"), col("month"), col("day"), col("hour"));
    let (pm, ws, wd) = (col("PM2.5"), col("WSPM"), col("wd"));
    let num = |s: &str| s.trim_matches('"').parse::<f64>().ok();
    lines
        .filter_map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            let date = Date::new(
                c[y].parse().unwrap(),
                c[m].parse().unwrap(),
                c[d].parse().unwrap(),
            )
            .unwrap();
            let label: i64 = c[h].parse().unwrap();
            let start = cst::day_start(date) + label * 3600 - 3600;
            keep(start).then(|| Row {
                start,
                pm25: num(c[pm]),
                ws: num(c[ws]),
                wd: COMPASS
                    .iter()
                    .position(|p| *p == c[wd].trim_matches('"'))
                    .map(|i| i as f64 * 22.5),
            })
        })
        .collect()
}

/// The CPF computed here: the HJ 663 Appendix A percentile of the counted hours'
/// concentrations, then per sector (centred on the compass points) the hours and those
/// strictly above it.
fn cpf_here(rows: &[Row]) -> (f64, Vec<(usize, usize)>) {
    let counted: Vec<(f64, usize)> = rows
        .iter()
        .filter_map(|r| match (r.pm25, r.ws, r.wd) {
            (Some(c), Some(ws), Some(wd)) if ws >= CALM_M_S => {
                let w = 360.0 / SECTORS as f64;
                Some((c, (((wd + w / 2.0) % 360.0) / w) as usize % SECTORS))
            }
            _ => None,
        })
        .collect();
    let mut sorted: Vec<f64> = counted.iter().map(|c| c.0).collect();
    sorted.sort_by(f64::total_cmp);
    let pos = (sorted.len() - 1) as f64 * PERCENTILE / 100.0;
    let s = pos.floor() as usize;
    let threshold = sorted[s] + (sorted[s + 1] - sorted[s]) * (pos - s as f64);
    let mut out = vec![(0, 0); SECTORS];
    for (c, k) in counted {
        out[k].0 += 1;
        out[k].1 += usize::from(c > threshold);
    }
    (threshold, out)
}

/// The rows as hourly observations of PM2.5 (a34004), wind speed (a01007) and direction
/// (a01008) of station `id`.
pub fn hourly_obs(id: &str, rows: &[Row]) -> Vec<Observation> {
    let mut o = Vec::new();
    for r in rows {
        for (code, v) in [("a34004", r.pm25), ("a01007", r.ws), ("a01008", r.wd)] {
            if let Some(v) = v {
                o.push(obs(id, code, Period::Hour, r.start, v));
            }
        }
    }
    o
}

fn obs(station: &str, code: &str, period: Period, ts: i64, value: f64) -> Observation {
    Observation {
        station_id: station.into(),
        code: code.into(),
        period,
        ts,
        value,
        flag: "N".into(),
    }
}

/// A point `km` from the station on bearing `deg` (flat earth: a few km).
fn offset(deg: f64, km: f64) -> (f64, f64) {
    (
        LAT + km * deg.to_radians().cos() / 111.195,
        LON + km * deg.to_radians().sin() / (111.195 * LAT.to_radians().cos()),
    )
}

#[test]
fn the_apis_cpf_of_a_stored_beijing_year_equals_the_cli_and_an_independent_computation() {
    let d = temp_dir("tracing-app");
    let dir = d.to_str().unwrap();
    let rows = read_year();
    assert_eq!(rows.len(), 8760, "a whole year of hours");
    let (threshold, sectors) = cpf_here(&rows);
    let cpf = |k: usize| sectors[k].1 as f64 / sectors[k].0 as f64;
    // The sector of the highest CPF among those with enough hours, and its opposite.
    let top = (0..SECTORS)
        .filter(|k| sectors[*k].0 >= 100)
        .max_by(|a, b| cpf(*a).total_cmp(&cpf(*b)))
        .unwrap();
    let opposite = (top + SECTORS / 2) % SECTORS;
    let bearing = |k: usize| k as f64 * 360.0 / SECTORS as f64;
    for line in [
        format!(
            "station add --data-dir {dir} --id {ID} --name 奥体中心 --unit xinji --role assessment --lat {LAT} --lon {LON}"
        ),
        format!(
            "station add --data-dir {dir} --id WK-MIN --name 王口分钟站 --unit wangkou --role township --lat 37.9 --lon 115.3"
        ),
        format!(
            "user add --data-dir {dir} --username sthj --role bureau --unit 市生态环境局 --password correct-horse-battery"
        ),
    ] {
        lantian_ok(&line.split_whitespace().collect::<Vec<_>>());
    }
    for (id, deg, km) in [
        ("UP", bearing(top), 3.0),
        ("DOWN", bearing(opposite), 3.0),
        ("UP-FAR", bearing(top), 40.0),
    ] {
        let (lat, lon) = offset(deg, km);
        let line = format!(
            "enterprise add --data-dir {dir} --id {id} --name {id}企业 --unit xinji --lat {lat} --lon {lon}"
        );
        lantian_ok(&line.split_whitespace().collect::<Vec<_>>());
    }
    {
        let store = Store::open_data_dir(&d).unwrap();
        let mut o = hourly_obs(ID, &rows);
        // A township station's minute wind on 2015-06-01: hour 0 alternates 350° and
        // 10°, hour 1 80° at 3 m/s and 100° at 1 m/s.
        let h0 = cst::day_start(Date::new(2015, 6, 1).unwrap());
        for m in 0..60 {
            let (a, b) = (h0 + m * 60, h0 + 3600 + m * 60);
            o.push(obs(
                "WK-MIN",
                "a01008",
                Period::Min,
                a,
                if m % 2 == 0 { 350.0 } else { 10.0 },
            ));
            o.push(obs("WK-MIN", "a01007", Period::Min, a, 2.0));
            o.push(obs(
                "WK-MIN",
                "a01008",
                Period::Min,
                b,
                if m % 2 == 0 { 80.0 } else { 100.0 },
            ));
            o.push(obs(
                "WK-MIN",
                "a01007",
                Period::Min,
                b,
                if m % 2 == 0 { 3.0 } else { 1.0 },
            ));
        }
        store
            .commit_batch(&[Ingest {
                packet: None,
                observations: o,
            }])
            .unwrap();
    }
    let server = Server::start(dir, &["--no-device-setup"]);
    let year = format!("from={YEAR}-01-01&to={YEAR}-12-31");

    // The API's CPF (audited view: no corrections, so the values as stored).
    let api = server.get(&format!(
        "/api/v1/stations/{ID}/tracing?method=cpf&pollutant=PM2.5&{year}"
    ));
    let r = &api["result"];
    let api_threshold = r["threshold"].as_f64().unwrap();
    assert!(
        (api_threshold - threshold).abs() < 1e-9,
        "threshold {api_threshold} ≠ {threshold}"
    );
    let api_sectors = r["sectors"].as_array().unwrap();
    assert_eq!(api_sectors.len(), SECTORS);
    for (k, s) in api_sectors.iter().enumerate() {
        let (n, n_above) = sectors[k];
        assert_eq!(
            (s["n"].as_u64(), s["n_above"].as_u64()),
            (Some(n as u64), Some(n_above as u64)),
            "sector {k}"
        );
        assert!((s["cpf"].as_f64().unwrap() - cpf(k)).abs() < 1e-12);
    }
    assert!(api["period"].as_str().unwrap().contains("北京时间"));
    assert!(!r["method"].as_str().unwrap().is_empty());

    // The same as `lantian tracing cpf` on the file.
    let cli = json_lines(&lantian_ok(&[
        "tracing",
        "cpf",
        "--format",
        "prsa",
        "--station",
        STATION,
        "--pollutant",
        "PM2.5",
        "--year",
        &YEAR.to_string(),
        "--json",
        shared("beijing-prsa").to_str().unwrap(),
    ]));
    assert_eq!(cli[0]["threshold"].as_f64(), Some(api_threshold));
    for (k, s) in api_sectors.iter().enumerate() {
        let c = &cli[k + 1];
        assert_eq!(
            (&c["sector"], &c["n"], &c["n_above"]),
            (&s["sector"], &s["n"], &s["n_above"]),
            "sector {k}: CLI {c} API {s}"
        );
    }
    eprintln!(
        "tracing_app: CPF of {STATION} {YEAR}: threshold {threshold} µg/m³, the API, the CLI and this test agree on all {SECTORS} sectors; highest sector {top} (CPF {:.3}), opposite {opposite} (CPF {:.3})",
        cpf(top),
        cpf(opposite)
    );

    // The upwind ranking, each weight recomputed here.
    let up = server.get(&format!(
        "/api/v1/stations/{ID}/upwind?pollutant=PM2.5&{year}"
    ));
    let ranked = up["ranked"].as_array().unwrap();
    let order: Vec<&str> = ranked.iter().map(|x| x["id"].as_str().unwrap()).collect();
    // At the same distance, the sector's CPF decides: the enterprise in the highest-CPF
    // sector first, the one opposite behind it; 40 km away, the same sector's weighs
    // 1/(1 + 40/5) of a neighbour's.
    assert_eq!(order[0], "UP", "{up}");
    let pos = |id: &str| order.iter().position(|x| *x == id).unwrap();
    assert!(pos("DOWN") > pos("UP") && pos("UP-FAR") > pos("UP"));
    let scores: Vec<f64> = ranked
        .iter()
        .map(|x| x["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let max_cpf = (0..SECTORS)
        .filter(|k| sectors[*k].0 > 0)
        .map(cpf)
        .fold(0.0, f64::max);
    for x in ranked {
        let k = x["sector"].as_u64().unwrap() as usize;
        assert!((x["direction_weight"].as_f64().unwrap() - cpf(k) / max_cpf).abs() < 1e-12);
        let d = x["distance_km"].as_f64().unwrap();
        assert!((x["distance_weight"].as_f64().unwrap() - 1.0 / (1.0 + d / 5.0)).abs() < 1e-12);
        assert_eq!(x["emission_assumed"], true, "no CEMS: every weight 1");
        let score = cpf(k) / max_cpf / (1.0 + d / 5.0);
        assert!((x["score"].as_f64().unwrap() - score).abs() < 1e-12);
    }
    assert_eq!(ranked[0]["sector"].as_u64(), Some(top as u64));

    // The polar plot of the station-year through the API (grid 51): its time, reported.
    let started = std::time::Instant::now();
    let polar = server.get(&format!(
        "/api/v1/stations/{ID}/tracing?method=polar&pollutant=PM2.5&{year}"
    ));
    eprintln!(
        "tracing_app: polar plot of a station-year through the API (debug build, read + fit + JSON): {} ms, {} bins",
        started.elapsed().as_millis(),
        polar["result"]["bins"]
    );
    assert!(polar["result"]["values"].as_array().unwrap().len() == 51 * 51);

    // A township station's meteorology: a login, then the vector mean of the minutes.
    let path = "/api/v1/stations/WK-MIN/meteorology?from=2015-06-01&to=2015-06-01";
    assert_eq!(request(&server.http, "GET", path, &[], b"").status, 401);
    let bureau = login(&server.http, "sthj", "correct-horse-battery");
    let met = server.get_as(&bureau.cookie, path);
    let hours = met["hours"].as_array().unwrap();
    assert_eq!(hours.len(), 2, "{met}");
    assert_eq!(hours[0]["wind_direction_deg"].as_f64(), Some(0.0));
    assert_eq!(hours[0]["wind_speed_m_s"].as_f64(), Some(2.0));
    // 3 m/s from 80°, 1 m/s from 100°: atan2(3 sin 80 + sin 100, 3 cos 80 + cos 100).
    let (x, y) = (
        3.0 * 80f64.to_radians().sin() + 100f64.to_radians().sin(),
        3.0 * 80f64.to_radians().cos() + 100f64.to_radians().cos(),
    );
    let want = x.atan2(y).to_degrees();
    let got = hours[1]["wind_direction_deg"].as_f64().unwrap();
    assert!((got - want).abs() < 1e-9, "{got} ≠ {want}");
    assert_eq!(hours[1]["time"], "2015-06-01 02:00");
}
