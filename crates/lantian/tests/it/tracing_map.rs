//! `lantian tracing loo | transport | interpolate` on the Beijing network (issue 19): IDW's
//! leave-one-out recomputed here from the CSV files (exact to 1e-9), kriging's held-out
//! predictions checked for sanity, and the transport estimate's hours recomputed; the
//! figures are printed (run with `--nocapture`) for docs/tracing.md.

use super::*;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// The UCI station names and their names in the CNEMC site list (1001A … 1012A).
const STATIONS: [(&str, &str); 12] = [
    ("Aotizhongxin", "奥体中心"),
    ("Changping", "昌平镇"),
    ("Dingling", "定陵(对照点)"),
    ("Dongsi", "东四"),
    ("Guanyuan", "官园"),
    ("Gucheng", "古城"),
    ("Huairou", "怀柔镇"),
    ("Nongzhanguan", "农展馆"),
    ("Shunyi", "顺义新城"),
    ("Tiantan", "天坛"),
    ("Wanliu", "海淀万柳"),
    ("Wanshouxigong", "万寿西宫"),
];

const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Positions (lat, lon) of the 12 stations from the CNEMC site list, written to a CSV
/// `id,name,lat,lon` for `--stations`.
fn positions(dir: &std::path::Path) -> (std::path::PathBuf, BTreeMap<String, (f64, f64)>) {
    let mut rdr = csv::Reader::from_path(shared("cnemc-sample/NewSiteList_UTF8.csv")).unwrap();
    let mut by_name = HashMap::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        // 监测点编码,监测点名称,城市,经度,纬度,…
        if &rec[2] == "北京" {
            by_name.insert(
                rec[1].to_string(),
                (
                    rec[4].parse::<f64>().unwrap(),
                    rec[3].parse::<f64>().unwrap(),
                ),
            );
        }
    }
    let mut out = BTreeMap::new();
    let mut text = String::from("id,name,lat,lon\n");
    for (uci, zh) in STATIONS {
        let ll = by_name[zh];
        text.push_str(&format!("{uci},{zh},{},{}\n", ll.0, ll.1));
        out.insert(uci.to_string(), ll);
    }
    let path = dir.join("beijing-stations.csv");
    std::fs::write(&path, text).unwrap();
    (path, out)
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// One station-hour as the files have it.
#[derive(Clone, Copy, Debug)]
struct Obs {
    conc: f64,
    ws: f64,
    wd: f64,
}

/// Every station's hours of January 2015 read from the PRSA files: index 0 is the hour
/// starting 2015-01-01 00:00 北京时间. The file's `hour` labels the hour's end
/// (docs/findings.md F5): the row labelled 2015-01-01 1 is the first hour, 2015-02-01 0 the last.
fn january_2015() -> BTreeMap<String, Vec<Obs>> {
    let first = days(2015, 1, 1) * 24;
    let mut out = BTreeMap::new();
    for (uci, _) in STATIONS {
        let dir = shared("beijing-prsa");
        let file = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .starts_with(&format!("PRSA_Data_{uci}_"))
            })
            .unwrap();
        let mut hours = vec![
            Obs {
                conc: f64::NAN,
                ws: f64::NAN,
                wd: f64::NAN
            };
            31 * 24
        ];
        let mut rdr = csv::Reader::from_path(file).unwrap();
        for rec in rdr.records() {
            let rec = rec.unwrap();
            let n = |i: usize| rec[i].parse::<i64>().unwrap();
            let start = days(n(1), n(2), n(3)) * 24 + n(4) - 1 - first;
            if !(0..31 * 24).contains(&start) {
                continue;
            }
            let f = |i: usize| rec[i].parse::<f64>().unwrap_or(f64::NAN);
            let points = [
                "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W",
                "WNW", "NW", "NNW",
            ];
            let wd = points
                .iter()
                .position(|p| *p == &rec[15])
                .map_or(f64::NAN, |k| k as f64 * 22.5);
            hours[start as usize] = Obs {
                conc: f(5),
                ws: f(16),
                wd,
            };
        }
        out.insert(uci.to_string(), hours);
    }
    out
}

/// Positions in km on the equirectangular projection centred on the mean lat/lon.
fn km(pos: &BTreeMap<String, (f64, f64)>) -> BTreeMap<String, (f64, f64)> {
    let n = pos.len() as f64;
    let lat0 = pos.values().map(|p| p.0).sum::<f64>() / n;
    let lon0 = pos.values().map(|p| p.1).sum::<f64>() / n;
    pos.iter()
        .map(|(k, &(la, lo))| {
            let x = EARTH_RADIUS_KM * (lo - lon0).to_radians() * lat0.to_radians().cos();
            let y = EARTH_RADIUS_KM * (la - lat0).to_radians();
            (k.clone(), (x, y))
        })
        .collect()
}

fn run_network(cmd: &str, stations: &std::path::Path, extra: &[&str]) -> Vec<Value> {
    let dir = shared("beijing-prsa");
    let mut args = vec![
        "tracing",
        cmd,
        "--format",
        "prsa",
        "--stations",
        stations.to_str().unwrap(),
        "--pollutant",
        "PM2.5",
        "--from",
        "2015-01-01",
        "--to",
        "2015-01-31",
        "--json",
    ];
    args.extend_from_slice(extra);
    args.push(dir.to_str().unwrap());
    json_lines(&lantian_ok(&args))
}

#[derive(Default, Debug)]
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
    fn check(&self, line: &Value, what: &str) {
        let n = self.n as f64;
        assert_eq!(line["n"].as_u64().unwrap() as usize, self.n, "{what}: n");
        for (key, want) in [
            ("mae", self.abs / n),
            ("rmse", (self.sq / n).sqrt()),
            ("bias", self.sum / n),
        ] {
            let got = line[key].as_f64().unwrap();
            assert!(
                (got - want).abs() < 1e-9,
                "{what} {key}: lantian {got}, recomputed {want}"
            );
        }
    }
}

#[test]
fn leave_one_out_on_the_beijing_network_in_january_2015_matches_a_recomputation() {
    let dir = temp_dir("tracing-loo");
    let (csv, pos) = positions(&dir);
    let xy = km(&pos);
    let data = january_2015();
    let lines = run_network("loo", &csv, &["--held-out"]);

    // IDW, p = 2, recomputed: each station with a value, from the others with a value when
    // there are at least 3.
    let mut overall = Acc::default();
    let mut per: BTreeMap<&str, Acc> = BTreeMap::new();
    for h in 0..31 * 24 {
        for (s, obs) in &data {
            let z = obs[h].conc;
            if !z.is_finite() {
                continue;
            }
            let others: Vec<(f64, f64)> = data
                .iter()
                .filter(|(o, v)| *o != s && v[h].conc.is_finite())
                .map(|(o, v)| {
                    let (a, b) = (xy[s], xy[o]);
                    let d = (a.0 - b.0).hypot(a.1 - b.1);
                    (1.0 / (d * d), v[h].conc)
                })
                .collect();
            if others.len() < 3 {
                continue;
            }
            let pred = others.iter().map(|(w, z)| w * z).sum::<f64>()
                / others.iter().map(|(w, _)| w).sum::<f64>();
            overall.add(pred - z);
            per.entry(s.as_str()).or_default().add(pred - z);
        }
    }
    let method = |m: &str| {
        lines
            .iter()
            .find(|l| l["kind"] == "method" && l["method"] == m)
            .unwrap()
            .clone()
    };
    let idw = method("idw");
    overall.check(&idw, "IDW overall");
    for (s, acc) in &per {
        let line = lines
            .iter()
            .find(|l| l["kind"] == "station" && l["method"] == "idw" && l["station"] == *s)
            .unwrap();
        acc.check(line, s);
    }

    // Kriging: every held-out prediction finite and within the hour's data range widened by
    // the variogram's sill as a standard deviation (√sill, the concentration's units).
    let krig = method("kriging");
    let starts: Vec<String> = (0..31 * 24)
        .map(|h| format!("2015-01-{:02} {:02}:00", h / 24 + 1, h % 24))
        .collect();
    let index: HashMap<&str, usize> = starts
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let (mut n, mut outside_range, mut beyond_sill) = (0, 0, 0);
    for l in lines
        .iter()
        .filter(|l| l["kind"] == "held_out" && l["method"] == "kriging")
    {
        let h = index[l["start"].as_str().unwrap()];
        let (pred, sill, var) = (
            l["predicted"].as_f64().unwrap(),
            l["sill"].as_f64().unwrap(),
            l["variance"].as_f64().unwrap(),
        );
        assert!(
            pred.is_finite() && sill.is_finite() && var.is_finite() && var >= 0.0,
            "{l}"
        );
        let vals: Vec<f64> = data
            .values()
            .map(|v| v[h].conc)
            .filter(|c| c.is_finite())
            .collect();
        let (lo, hi) = vals
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        n += 1;
        outside_range += usize::from(pred < lo || pred > hi);
        if pred < lo - sill.sqrt() || pred > hi + sill.sqrt() {
            beyond_sill += 1;
            eprintln!("beyond the range ± √sill: {l} (data {lo}–{hi})");
        }
    }
    assert_eq!(n, krig["n"].as_u64().unwrap() as usize);
    assert_eq!(
        n, overall.n,
        "both methods predict the same held-out station-hours"
    );
    assert_eq!(beyond_sill, 0);
    let fits =
        ["fits_hour", "fits_pooled", "fits_default"].map(|k| krig[k].as_u64().unwrap() as usize);
    assert_eq!(fits.iter().sum::<usize>(), n);
    // Kriging is a sensible interpolator here: within a fifth of IDW's errors either way.
    let (mk, mi) = (krig["mae"].as_f64().unwrap(), idw["mae"].as_f64().unwrap());
    assert!(mk < 1.2 * mi && mk > 0.8 * mi, "kriging MAE {mk}, IDW {mi}");
    println!("LOO PM2.5 Beijing 2015-01 (12 stations, µg/m³):");
    for m in [&idw, &krig] {
        println!(
            "  {:<8} n {} MAE {:.3} RMSE {:.3} bias {:.3}",
            m["method"].as_str().unwrap(),
            m["n"],
            m["mae"].as_f64().unwrap(),
            m["rmse"].as_f64().unwrap(),
            m["bias"].as_f64().unwrap()
        );
    }
    println!(
        "  kriging variograms: {} hour, {} pooled, {} default; {outside_range} of {n} predictions outside the hour's data range, none beyond ±√sill",
        fits[0], fits[1], fits[2]
    );
}

#[test]
fn the_transport_estimate_sums_to_one_and_its_hours_match_a_recomputation() {
    let dir = temp_dir("tracing-transport");
    let (csv, pos) = positions(&dir);
    let xy = km(&pos);
    let data = january_2015();
    let lines = run_network("transport", &csv, &["--receptor", "Dongsi", "--hours"]);
    let total = lines.iter().find(|l| l["kind"] == "total").unwrap();
    let share = |l: &Value, k: &str| l[k].as_f64().unwrap();
    assert!(
        (share(total, "inflow_share") + share(total, "local_share") - 1.0).abs() < 1e-12,
        "{total}"
    );
    let hours: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "hour").collect();
    assert_eq!(hours.len(), 31 * 24);
    let counted = hours.iter().filter(|h| h["status"] == "counted").count();
    assert_eq!(total["hours"].as_u64().unwrap() as usize, counted);
    let sector_hours: u64 = lines
        .iter()
        .filter(|l| l["kind"] == "sector")
        .map(|l| l["hours"].as_u64().unwrap())
        .sum();
    assert_eq!(sector_hours as usize, counted);
    let not_counted = [
        "hours_calm",
        "hours_no_wind",
        "hours_no_upwind",
        "hours_no_target",
    ]
    .iter()
    .map(|k| total[*k].as_u64().unwrap() as usize)
    .sum::<usize>();
    assert_eq!(counted + not_counted, 31 * 24);

    // Recompute every counted hour: the resultant wind, the bearings from the centre, the
    // stations within ±45° of the wind's origin (Dongsi, the receptor, left out), the inflow.
    let n = xy.len() as f64;
    let centre = (
        xy.values().map(|p| p.0).sum::<f64>() / n,
        xy.values().map(|p| p.1).sum::<f64>() / n,
    );
    let (mut inflow_sum, mut target_sum, mut checked) = (0.0, 0.0, 0);
    for (h, line) in hours.iter().enumerate() {
        if line["status"] != "counted" {
            continue;
        }
        let (mut u, mut v, mut k) = (0.0, 0.0, 0.0);
        for obs in data.values() {
            let o = obs[h];
            if o.ws.is_finite() && o.wd.is_finite() {
                u -= o.ws * o.wd.to_radians().sin();
                v -= o.ws * o.wd.to_radians().cos();
                k += 1.0;
            }
        }
        let from = (-u / k).atan2(-v / k).to_degrees().rem_euclid(360.0);
        let mut upwind = Vec::new();
        let mut sum = 0.0;
        for (s, obs) in &data {
            let b = (xy[s].0 - centre.0)
                .atan2(xy[s].1 - centre.1)
                .to_degrees()
                .rem_euclid(360.0);
            let diff = (b - from).rem_euclid(360.0);
            let diff = diff.min(360.0 - diff);
            if s != "Dongsi" && obs[h].conc.is_finite() && diff <= 45.0 {
                upwind.push(s.as_str());
                sum += obs[h].conc;
            }
        }
        let inflow = sum / upwind.len() as f64;
        let target = data["Dongsi"][h].conc;
        let got: Vec<&str> = line["upwind"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(got, upwind, "{line}");
        assert!(
            (share(line, "wd_deg") - from).abs() < 1e-9,
            "{line} vs {from}"
        );
        assert!(
            (share(line, "inflow") - inflow).abs() < 1e-9,
            "{line} vs {inflow}"
        );
        assert!(
            (share(line, "increment") - (target - inflow)).abs() < 1e-9,
            "{line}"
        );
        inflow_sum += inflow;
        target_sum += target;
        checked += 1;
    }
    assert!(checked > 400, "{checked} counted hours of 744");
    assert!((share(total, "inflow_share") - inflow_sum / target_sum).abs() < 1e-12);
    println!(
        "transport PM2.5 Beijing 2015-01, receptor Dongsi: {checked} hours counted, inflow share {:.3}, local share {:.3}, calm {}",
        share(total, "inflow_share"),
        share(total, "local_share"),
        total["hours_calm"]
    );
}

#[test]
fn interpolated_grids_honour_the_stations_and_refuse_bad_options() {
    let dir = temp_dir("tracing-grid");
    let (csv, _) = positions(&dir);
    let data = shared("beijing-prsa");
    let lines = json_lines(&lantian_ok(&[
        "tracing",
        "interpolate",
        "--format",
        "prsa",
        "--stations",
        csv.to_str().unwrap(),
        "--pollutant",
        "PM2.5",
        "--from",
        "2015-01-10",
        "--to",
        "2015-01-10",
        "--method",
        "kriging",
        "--cells",
        "10",
        "--json",
        data.to_str().unwrap(),
    ]));
    assert_eq!(lines[0]["kind"], "network");
    assert_eq!(lines[0]["stations"].as_array().unwrap().len(), 12);
    assert_eq!(lines.len(), 1 + 24);
    for l in &lines[1..] {
        let vals = l["values"].as_array().unwrap();
        assert_eq!(vals.len(), 100);
        let obs: Vec<f64> = l["observed"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_f64)
            .collect();
        let sill = l["variogram"]["model"]["nugget"].as_f64().unwrap()
            + l["variogram"]["model"]["psill"].as_f64().unwrap();
        let (lo, hi) = obs
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        for v in vals {
            let v = v.as_f64().unwrap();
            assert!(
                v >= lo - sill.sqrt() && v <= hi + sill.sqrt(),
                "{v} outside {lo}–{hi} ± √{sill}"
            );
        }
    }
    for (bad, why) in [
        (vec!["--cells", "1"], "--cells 1"),
        (vec!["--power", "0"], "--power 0"),
        (vec!["--lag-bins", "2"], "--lag-bins 2"),
    ] {
        let mut args = vec![
            "tracing",
            "interpolate",
            "--format",
            "prsa",
            "--stations",
            csv.to_str().unwrap(),
            "--pollutant",
            "PM2.5",
            "--from",
            "2015-01-10",
            "--to",
            "2015-01-10",
        ];
        args.extend(bad);
        args.push(data.to_str().unwrap());
        let o = lantian(&args);
        assert!(
            !o.status.success() && stderr(&o).contains(why),
            "{why}: {}",
            stderr(&o)
        );
    }
    let o = lantian(&[
        "tracing",
        "transport",
        "--format",
        "prsa",
        "--stations",
        csv.to_str().unwrap(),
        "--pollutant",
        "PM2.5",
        "--from",
        "2015-01-10",
        "--to",
        "2015-01-09",
        data.to_str().unwrap(),
    ]);
    assert!(
        !o.status.success() && stderr(&o).contains("before the first"),
        "{}",
        stderr(&o)
    );
}

/// The platform's transport estimate over stored data: the 12 stations' January 2015 hours
/// stored as hourly values (PM2.5, wind speed a01007, direction a01008) give through the API
/// the same shares as `lantian tracing transport` on the files.
#[test]
fn the_apis_transport_over_stored_hours_equals_the_files_estimate() {
    use lantian_store::{Ingest, Observation, Period, Store};
    let d = temp_dir("tracing-transport-api");
    let dir = d.to_str().unwrap();
    let (csv, pos) = positions(&d);
    for (uci, _) in STATIONS {
        let (lat, lon) = pos[uci];
        let line = format!(
            "station add --data-dir {dir} --id {uci} --name {uci} --unit xinji --role assessment --lat {lat} --lon {lon}"
        );
        lantian_ok(&line.split_whitespace().collect::<Vec<_>>());
    }
    {
        let store = Store::open_data_dir(&d).unwrap();
        // 2015-01-01 00:00 北京时间 in CST seconds.
        let first = days(2015, 1, 1) * 86_400;
        let mut o = Vec::new();
        for (uci, hours) in january_2015() {
            for (i, h) in hours.iter().enumerate() {
                for (code, v) in [("a34004", h.conc), ("a01007", h.ws), ("a01008", h.wd)] {
                    if v.is_finite() {
                        o.push(Observation {
                            station_id: uci.as_str().into(),
                            code: code.into(),
                            period: Period::Hour,
                            ts: first + i as i64 * 3600,
                            value: v,
                            flag: "N".into(),
                        });
                    }
                }
            }
        }
        store
            .commit_batch(&[Ingest {
                packet: None,
                observations: o,
            }])
            .unwrap();
    }
    let files = run_network("transport", &csv, &["--receptor", "Dongsi"]);
    let want = files.iter().find(|l| l["kind"] == "total").unwrap();
    let server = super::serve::Server::start(dir, &["--no-device-setup"]);
    {
        let receptor = "&receptor=Dongsi";
        let api = server.get(&format!(
            "/api/v1/tracing/transport?pollutant=PM2.5&from=2015-01-01&to=2015-01-31{receptor}"
        ));
        let got = &api["total"];
        assert_eq!(got["hours"], want["hours"], "counted hours: {api}");
        for key in ["inflow_share", "local_share"] {
            let (g, w) = (got[key].as_f64().unwrap(), want[key].as_f64().unwrap());
            assert!((g - w).abs() < 1e-12, "{key}: API {g}, files {w}");
        }
        assert_eq!(api["sites"].as_array().unwrap().len(), 12);
        assert!(api["method_text"].as_str().unwrap().contains("估算"));
    }
    // A receptor that is not a station with a position: 404 naming it.
    let r = super::serve::request(
        server.url().trim_start_matches("http://"),
        "GET",
        "/api/v1/tracing/transport?from=2015-01-01&to=2015-01-31&receptor=nowhere",
        &[],
        b"",
    );
    assert_eq!(r.status, 404, "{}", String::from_utf8_lossy(&r.body));
}
