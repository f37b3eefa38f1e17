//! Dust, machinery and area indicators through the command line (issue 18): a site whose
//! monitor's PM10 is over its limit for 3 hours becomes one task for its township (a second
//! scan makes none), dustfall above 5 t/km²·month is flagged and its monthly mean recorded as
//! the ledger's actual (未达标), a machine registered and inspected, a 冒黑烟 report becomes
//! a task, and who may do what.

use super::*;
use lantian_app::County;
use lantian_core::org::Role;
use lantian_core::{Date, Month, cst};
use lantian_store::{Ingest, Observation, Period, Station, Store, User, password};
use serde_json::Value;

/// Wangkou's centre in units.csv: inside its (Voronoi) boundary.
const WK_LAT: &str = "37.990";
const WK_LON: &str = "115.400";
const LIMIT_UG_M3: f64 = 150.0;
/// PM10 of the monitor from 00:00 of the data day: hours 5, 6 and 7 over the limit.
const PM10: [f64; 12] = [
    80.0, 90.0, 100.0, 120.0, 140.0, 210.0, 260.0, 190.0, 150.0, 120.0, 95.0, 85.0,
];

fn today() -> Date {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    cst::today(now_ms)
}

/// A dust monitor (a micro station) at Wangkou with 12 hours of PM10 on `day`, and a
/// township account.
fn setup(dir: &std::path::Path, day: Date) {
    let store = Store::open_data_dir(dir).unwrap();
    County::xinji().install(&store, 0).unwrap();
    store
        .upsert_station(&Station {
            id: "DUST-1".into(),
            name: "工地扬尘监测 1".into(),
            role: lantian_core::series::StationRole::Micro,
            admin_unit_id: Some("wangkou".into()),
            lat: Some(37.99),
            lon: Some(115.40),
            pollutants: vec!["a34002".into()],
            min_interval_min: 1,
            demo: false,
        })
        .unwrap();
    let obs = PM10
        .iter()
        .enumerate()
        .map(|(h, v)| Observation {
            station_id: "DUST-1".into(),
            code: "a34002".into(),
            period: Period::Hour,
            ts: cst::day_start(day) + h as i64 * cst::HOUR_S,
            value: *v,
            flag: "N".into(),
        })
        .collect();
    store
        .commit_batch(&[Ingest {
            packet: None,
            observations: obs,
        }])
        .unwrap();
    for (u, role, unit) in [
        ("wk", Role::Township, Some("wangkou")),
        ("xc", Role::Township, Some("xincheng")),
    ] {
        store
            .add_user(&User {
                username: u.into(),
                password_hash: password::hash("pw pw pw pw", password::Strength::Device),
                role,
                unit_id: unit.map(str::to_owned),
                must_change_password: false,
                created_ms: 0,
            })
            .unwrap();
    }
}

fn run(dir: &str, args: &[&str]) -> Vec<Value> {
    let mut a = args.to_vec();
    a.extend(["--data-dir", dir, "--json"]);
    json_lines(&lantian_ok(&a))
}

fn refused(dir: &str, args: &[&str]) -> String {
    let mut a = args.to_vec();
    a.extend(["--data-dir", dir]);
    let o = lantian(&a);
    assert!(!o.status.success(), "{args:?} should be refused");
    stderr(&o)
}

#[test]
fn a_dust_episode_becomes_one_task_and_dustfall_over_5_is_recorded_as_not_met() {
    let tmp = temp_dir("grid-dust");
    let day = today().add_days(-3);
    setup(&tmp, day);
    let dir = tmp.to_str().unwrap();
    let limit = LIMIT_UG_M3.to_string();

    // A township may not register a site; the bureau's operator may.
    let add = [
        "site",
        "add",
        "--id",
        "GD-001",
        "--name",
        "王口某小区工地",
        "--kind",
        "construction",
        "--lat",
        WK_LAT,
        "--lon",
        WK_LON,
        "--monitor",
        "DUST-1",
        "--limit",
        &limit,
        "--department",
        "市住房城乡建设局",
    ];
    let mut as_wk = add.to_vec();
    as_wk.extend(["--as", "wk"]);
    assert!(refused(dir, &as_wk).contains("bureau"));
    let site = &run(dir, &add)[0];
    assert_eq!(site["township"], "wangkou", "{site}");
    assert_eq!(site["monitor_code"], "a34002");
    // A point far outside the county is refused with the reason.
    let err = refused(
        dir,
        &[
            "site", "add", "--id", "GD-X", "--name", "x", "--lat", "30.0", "--lon", "120.0",
            "--limit", "150",
        ],
    );
    assert!(err.contains("outside the county"), "{err}");
    // A registered station that is no ambient station is refused as a monitor; an unknown
    // one too.
    let err = refused(
        dir,
        &[
            "site",
            "add",
            "--id",
            "GD-Y",
            "--name",
            "y",
            "--lat",
            WK_LAT,
            "--lon",
            WK_LON,
            "--limit",
            "150",
            "--monitor",
            "NOPE",
        ],
    );
    assert!(err.contains("NOPE"), "{err}");

    // The scan: hours 5–7 over 150 µg/m³ for 3 consecutive hours → one episode, one task.
    let d = day.to_string();
    let scan = &run(dir, &["site", "scan", "--from", &d, "--to", &d])[0];
    let eps = scan["episodes"].as_array().unwrap();
    assert_eq!(eps.len(), 1, "{scan}");
    let over: Vec<usize> = (0..PM10.len()).filter(|h| PM10[*h] > LIMIT_UG_M3).collect();
    assert_eq!(over, vec![5, 6, 7]);
    assert_eq!(eps[0]["n_hours"], 3);
    assert_eq!(eps[0]["first_hour"], format!("{d} 05:00"));
    assert_eq!(eps[0]["peak_ug_m3"], 260.0);
    assert_eq!(eps[0]["new"], true);
    assert_eq!(scan["tasks_created"], 1);
    let task_id = eps[0]["task_id"].as_i64().unwrap();
    // A second scan of the same hours (and a wider one) makes no second task.
    let from = day.add_days(-1).to_string();
    for (f, t) in [(d.as_str(), d.as_str()), (from.as_str(), d.as_str())] {
        let again = &run(dir, &["site", "scan", "--from", f, "--to", t])[0];
        assert_eq!(again["tasks_created"], 0, "{again}");
        assert_eq!(again["episodes"][0]["task_id"], task_id);
        assert_eq!(again["episodes"][0]["new"], false);
    }
    let tasks = run(dir, &["task", "list", "--source", "dust"]);
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0]["id"], task_id);
    assert_eq!(tasks[0]["township"], "wangkou");
    assert_eq!(
        tasks[0]["source_ref"],
        format!("site:GD-001/episode:{d}T05:00")
    );
    // Wangkou's account sees it in its queue; Xincheng's does not.
    assert_eq!(run(dir, &["task", "list", "--as", "wk"]).len(), 1);
    assert_eq!(run(dir, &["task", "list", "--as", "xc"]).len(), 0);

    // Dustfall: the site's township enters a month above 5 (flagged), a second site below.
    let month = Month::of(Month::of(today()).first_day().add_days(-1)).to_string();
    run(
        dir,
        &[
            "site",
            "add",
            "--id",
            "GD-002",
            "--name",
            "王口道路",
            "--kind",
            "road",
            "--lat",
            "37.985",
            "--lon",
            "115.395",
            "--limit",
            "200",
        ],
    );
    let d1 = &run(
        dir,
        &[
            "site", "dustfall", "--site", "GD-001", "--month", &month, "--value", "7.8", "--as",
            "wk",
        ],
    )[0];
    assert_eq!(d1["over"], true, "{d1}");
    assert_eq!(d1["verdict_zh"], "超标");
    let csv = tmp.join("dustfall.csv");
    std::fs::write(
        &csv,
        format!("site,month,value,note\nGD-002,{month},4.6,采样点B\n"),
    )
    .unwrap();
    let d2 = &run(
        dir,
        &["site", "dustfall", "--import", csv.to_str().unwrap()],
    )[0];
    assert_eq!(d2["over"], false, "{d2}");
    // Xincheng's account enters nothing for a Wangkou site.
    let err = refused(
        dir,
        &[
            "site", "dustfall", "--site", "GD-001", "--month", &month, "--value", "1", "--as", "xc",
        ],
    );
    assert!(err.contains("township"), "{err}");
    let m = &run(dir, &["site", "dustfall-month", &month])[0];
    // (7.8 + 4.6) / 2 = 6.2, above 5.
    assert_eq!(m["mean_t_km2"], 6.2, "{m}");
    assert_eq!(m["mean_over"], true);
    assert_eq!(m["sites_over"], 1);
    let rec = &run(dir, &["site", "dustfall-month", &month, "--record"])[0];
    assert_eq!(rec["mean_t_km2"], 6.2, "{rec}");
    assert_eq!(rec["progress"]["actual"], 6.2);
    assert_eq!(rec["progress"]["verdict_zh"], "未达标");
    assert_eq!(rec["progress"]["target"], 5.0);
    let measure = rec["measure_id"].as_str().unwrap().to_owned();
    // The area indicators show it, with the straw and cleaning targets of their measures.
    let ind = run(dir, &["site", "indicators"]);
    let by = |k: &str| {
        ind.iter()
            .find(|i| i["indicator"] == k)
            .unwrap_or_else(|| panic!("{k} in {ind:?}"))
    };
    assert_eq!(by("dustfall")["measure_id"], measure.as_str());
    assert_eq!(by("dustfall")["progress"]["verdict_zh"], "未达标");
    assert_eq!(by("straw_utilisation")["progress"]["target"], 97.0);
    assert_eq!(by("mechanised_cleaning")["progress"]["target"], 100.0);
    assert_eq!(by("mechanised_cleaning")["measure_id"], measure.as_str());

    // An inspection by the township with one item not met.
    let insp = &run(
        dir,
        &[
            "site",
            "inspect",
            "GD-001",
            "--date",
            &d,
            "--failed",
            "covering",
            "--item-note",
            "covering=北侧料堆未覆盖",
            "--as",
            "wk",
        ],
    )[0];
    assert_eq!(insp["passed"], false, "{insp}");
    assert_eq!(insp["items"].as_array().unwrap().len(), 6);
    assert!(
        insp["items_zh"][1]
            .as_str()
            .unwrap()
            .contains("物料堆放覆盖：否（北侧料堆未覆盖）")
    );
    let show = &run(dir, &["site", "show", "GD-001"])[0];
    assert_eq!(show["last_inspection_passed"], false, "{show}");
    assert_eq!(show["episodes"].as_array().unwrap().len(), 1);
    assert_eq!(show["dustfall"]["value_t_km2"], 7.8);

    // Machinery: registered, inspected (failed with its opacity), listed.
    let mch = &run(
        dir,
        &[
            "machinery",
            "add",
            "--code",
            "130181-WJ-0001",
            "--owner",
            "某建筑公司",
            "--kind",
            "挖掘机",
            "--stage",
            "国三",
            "--kw",
            "92",
            "--site",
            "GD-001",
        ],
    )[0];
    assert_eq!(mch["stage"], "cn3", "{mch}");
    let err = refused(
        dir,
        &[
            "machinery",
            "add",
            "--code",
            "X-2",
            "--owner",
            "o",
            "--kind",
            "k",
            "--stage",
            "国五",
        ],
    );
    assert!(err.contains("国一…国四"), "{err}");
    let i = &run(
        dir,
        &[
            "machinery",
            "inspect",
            "130181-WJ-0001",
            "--date",
            &d,
            "--result",
            "fail",
            "--opacity",
            "1.2",
            "--as",
            "wk",
        ],
    )[0];
    assert_eq!(i["inspections"][0]["passed"], false, "{i}");
    assert_eq!(i["inspections"][0]["opacity_m1"], 1.2);
    let list = run(dir, &["machinery", "list", "--as", "xc"]);
    assert_eq!(list.len(), 1);
    // Xincheng may see the register but not inspect a machine at a Wangkou site.
    refused(
        dir,
        &[
            "machinery",
            "inspect",
            "130181-WJ-0001",
            "--date",
            &d,
            "--result",
            "pass",
            "--as",
            "xc",
        ],
    );

    // A smoky vehicle becomes a task for the township where it was seen.
    let smoky = &run(
        dir,
        &[
            "machinery",
            "smoky",
            "--plate",
            "冀A12345",
            "--place",
            "107国道与兴华路口",
            "--lat",
            WK_LAT,
            "--lon",
            WK_LON,
        ],
    )[0];
    assert_eq!(smoky["task"]["source"], "smoky_vehicle", "{smoky}");
    assert_eq!(smoky["task"]["township"], "wangkou");
    assert_eq!(smoky["task"]["source_ref"], "plate:冀A12345");
    let err = refused(
        dir,
        &[
            "machinery",
            "smoky",
            "--plate",
            "<b>",
            "--lat",
            WK_LAT,
            "--lon",
            WK_LON,
        ],
    );
    assert!(err.contains("plate"), "{err}");
    assert_eq!(
        run(dir, &["task", "list", "--source", "smoky_vehicle"]).len(),
        1
    );
}
