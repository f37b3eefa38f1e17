//! Satellite fire points through the command line (issue 18): a VIIRS file with points inside
//! two townships, exactly on a shared border of Xinji's boundaries and outside the county
//! becomes the right tasks (the outside one refused with its reason); a second pass with the
//! same fires 200 m and 90 minutes away merges into them; the same file again creates
//! nothing; a MODIS file too; a bad row is reported with its line and field.

use super::*;
use serde_json::Value;

const VIIRS_HEAD: &str = "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,version,bright_ti5,frp,daynight";
const MODIS_HEAD: &str = "latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,instrument,confidence,version,bright_t31,frp,daynight";
/// 200 m of latitude, degrees.
const NORTH_200_M_DEG: f64 = 0.2 / 111.195;

/// The midpoint of the first edge two townships of the shipped boundaries share (same two
/// vertices in both rings), and the two ids sorted: computed from the file, not the code.
fn shared_edge_midpoint() -> (f64, f64, String, String) {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../lantian-app/county/xinji/boundaries.geojson"),
    )
    .unwrap();
    let g: Value = serde_json::from_str(&text).unwrap();
    let mut edges: Vec<([i64; 4], String)> = Vec::new();
    for f in g["features"].as_array().unwrap() {
        let id = f["properties"]["id"].as_str().unwrap().to_owned();
        assert_eq!(f["geometry"]["type"], "Polygon", "the test reads Polygons");
        for ring in f["geometry"]["coordinates"].as_array().unwrap() {
            let pts: Vec<(f64, f64)> = ring
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
                .collect();
            for w in pts.windows(2) {
                // Vertices as integer 1e-7 degrees so that equal vertices compare equal.
                let q = |v: f64| (v * 1e7).round() as i64;
                let (a, b) = ((q(w[0].0), q(w[0].1)), (q(w[1].0), q(w[1].1)));
                let (a, b) = if a <= b { (a, b) } else { (b, a) };
                edges.push(([a.0, a.1, b.0, b.1], id.clone()));
            }
        }
    }
    edges.sort();
    for w in edges.windows(2) {
        if w[0].0 == w[1].0 && w[0].1 != w[1].1 {
            let e = w[0].0;
            let lon = (e[0] + e[2]) as f64 / 2e7;
            let lat = (e[1] + e[3]) as f64 / 2e7;
            let mut ids = [w[0].1.clone(), w[1].1.clone()];
            ids.sort();
            let [first, second] = ids;
            return (lat, lon, first, second);
        }
    }
    panic!("no shared edge in the shipped boundaries");
}

fn viirs_row(lat: f64, lon: f64, date: &str, hhmm: &str) -> String {
    format!("{lat:.6},{lon:.6},330.5,0.39,0.36,{date},{hhmm},N,VIIRS,n,2.0NRT,290.1,3.2,D")
}

fn import(dir: &str, file: &std::path::Path, extra: &[&str]) -> (Vec<Value>, String) {
    let mut args = vec![
        "task",
        "import-firepoints",
        "--data-dir",
        dir,
        file.to_str().unwrap(),
        "--json",
    ];
    args.extend_from_slice(extra);
    let o = lantian_ok(&args);
    (json_lines(&o), stderr(&o))
}

fn fire_tasks(dir: &str) -> Vec<Value> {
    json_lines(&lantian_ok(&[
        "task",
        "list",
        "--data-dir",
        dir,
        "--source",
        "fire_point",
        "--json",
    ]))
}

#[test]
fn fire_points_become_tasks_of_their_township_and_a_second_pass_merges() {
    let tmp = temp_dir("grid-fire");
    let dir = tmp.join("data");
    let d = dir.to_str().unwrap();
    let (blat, blon, first, second) = shared_edge_midpoint();
    // Township seats of units.csv (inside their cells), the border, and Beijing (outside).
    let points = [
        (37.990, 115.400, Some("wangkou".to_owned())),
        (37.905, 115.300, Some("jiucheng".to_owned())),
        (blat, blon, Some(first.clone())),
        (39.904, 116.407, None),
    ];
    let mut text = format!("{VIIRS_HEAD}\n");
    for (lat, lon, _) in &points {
        text += &viirs_row(*lat, *lon, "2025-03-10", "0518");
        text += "\n";
    }
    // Line 6: a bad latitude.
    text += "abc,115.4,330.5,0.39,0.36,2025-03-10,0518,N,VIIRS,n,2.0NRT,290.1,3.2,D\n";
    let f1 = tmp.join("viirs-1.csv");
    std::fs::write(&f1, &text).unwrap();

    // A dry run creates nothing.
    let (dry, _) = import(d, &f1, &["--dry-run"]);
    assert_eq!(dry.len(), 4);
    assert!(dry.iter().all(|p| p["task"].is_null()));
    assert_eq!(fire_tasks(d).len(), 0, "a dry run created tasks");

    let (out, err) = import(d, &f1, &[]);
    assert_eq!(out.len(), 4, "{err}");
    for (p, (lat, lon, township)) in out.iter().zip(&points) {
        let keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
        let mut want = vec![
            "acquired",
            "duplicate_of",
            "lat",
            "lon",
            "outside_county",
            "task",
            "township",
        ];
        want.sort();
        let mut keys = keys;
        keys.sort();
        assert_eq!(keys, want);
        assert!((p["lat"].as_f64().unwrap() - lat).abs() < 1e-6);
        assert!((p["lon"].as_f64().unwrap() - lon).abs() < 1e-6);
        // 05:18 UTC is 13:18 in Beijing.
        assert_eq!(p["acquired"], "2025-03-10 13:18 北京时间");
        assert_eq!(p["township"].as_str(), township.as_deref(), "{p}");
        assert_eq!(p["outside_county"], township.is_none(), "{p}");
        assert_eq!(p["task"].is_i64(), township.is_some(), "{p}");
        assert!(p["duplicate_of"].is_null());
    }
    assert!(
        err.contains(&format!("{}:6: field latitude", f1.display())),
        "the bad row is not reported with its line: {err}"
    );
    assert!(err.contains("outside"), "{err}");
    let tasks = fire_tasks(d);
    assert_eq!(tasks.len(), 3);
    let ids: Vec<i64> = out.iter().filter_map(|p| p["task"].as_i64()).collect();
    for (id, (_, _, township)) in ids.iter().zip(&points) {
        let t = tasks.iter().find(|t| t["id"] == *id).unwrap();
        assert_eq!(t["township"].as_str(), township.as_deref());
        assert_eq!(t["source"], "fire_point");
    }
    // The border task went to the id that sorts first, not the other.
    assert_ne!(first, second);

    // The same fires on the next pass: 200 m north, 90 minutes later.
    let mut text = format!("{VIIRS_HEAD}\n");
    for (lat, lon, _) in &points {
        text += &viirs_row(lat + NORTH_200_M_DEG, *lon, "2025-03-10", "0648");
        text += "\n";
    }
    let f2 = tmp.join("viirs-2.csv");
    std::fs::write(&f2, &text).unwrap();
    let (out2, _) = import(d, &f2, &[]);
    for (i, p) in out2.iter().take(3).enumerate() {
        assert_eq!(p["duplicate_of"].as_i64(), Some(ids[i]), "{p}");
        assert!(p["task"].is_null(), "{p}");
    }
    assert_eq!(out2[3]["outside_county"], true);
    assert_eq!(fire_tasks(d).len(), 3, "the second pass created tasks");

    // The first file again: the same answers, nothing new.
    let (again, _) = import(d, &f1, &[]);
    assert_eq!(
        again.iter().map(|p| p["task"].clone()).collect::<Vec<_>>(),
        out.iter().map(|p| p["task"].clone()).collect::<Vec<_>>()
    );
    assert_eq!(fire_tasks(d).len(), 3);

    // MODIS: a new fire at Xinji town's seat, and one 300 m from the Wangkou fire 5 hours
    // after it (merged), confidence as a percentage, acq_time without leading zeros.
    let text = format!(
        "{MODIS_HEAD}\n37.943,115.218,320.1,1.0,1.0,2025-03-10,942,Aqua,MODIS,77,6.1NRT,290.3,12.5,D\n37.9927,115.400,320.1,1.0,1.0,2025-03-10,1018,Terra,MODIS,140,6.1NRT,290.3,12.5,D\n37.9927,115.400,320.1,1.0,1.0,2025-03-10,1018,Terra,MODIS,60,6.1NRT,290.3,12.5,D\n"
    );
    let f3 = tmp.join("modis.csv");
    std::fs::write(&f3, &text).unwrap();
    let (out3, err3) = import(d, &f3, &[]);
    assert_eq!(out3.len(), 2, "{err3}");
    assert_eq!(out3[0]["township"], "xinji");
    assert_eq!(out3[0]["acquired"], "2025-03-10 17:42 北京时间");
    assert!(out3[0]["task"].is_i64());
    assert_eq!(out3[1]["duplicate_of"].as_i64(), Some(ids[0]));
    assert!(
        err3.contains(&format!("{}:3: field confidence", f3.display())),
        "{err3}"
    );
    assert_eq!(fire_tasks(d).len(), 4);
    let _ = std::fs::remove_dir_all(&tmp);
}
