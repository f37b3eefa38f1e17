//! A county as data: the shipped profile written out and read back, a made-up county (3
//! townships, 5 measures) set up and remembered, and a database that refuses another county.

use super::*;
use serde_json::Value;

fn qinghe() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/county-qinghe")
}

fn ledger(dir: &str, extra: &[&str]) -> Vec<Value> {
    let mut a = vec!["ledger", "list", "--data-dir", dir, "--json"];
    a.extend_from_slice(extra);
    let out = lantian(&a);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_shipped_profile_is_written_out_checked_and_not_overwritten() {
    let dir = temp_dir("county-init").join("xinji");
    let d = dir.to_str().unwrap();
    let out = lantian(&["county", "init", d]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = lantian(&["county", "check", d]);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            &summary["id"],
            &summary["units"],
            &summary["departments"],
            &summary["measures"]
        ),
        (
            &Value::from("130181"),
            &Value::from(16),
            &Value::from(19),
            &Value::from(53)
        )
    );
    assert_eq!(summary["warnings"], serde_json::json!([]));
    let again = lantian(&["county", "init", d]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("exists already"),
        "{}",
        stderr(&again)
    );
    // A broken file is named with its line and what is wrong.
    std::fs::write(
        dir.join("units.csv"),
        "id,name_zh,name_en,kind,lat,lon\nx,某村,Village,village,,\n",
    )
    .unwrap();
    let bad = lantian(&["county", "check", d]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("units.csv:2: kind \"village\""),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn a_made_up_county_is_set_up_remembered_and_kept_apart() {
    let data = temp_dir("county-qinghe");
    let d = data.to_str().unwrap();
    let q = qinghe();
    let m = ledger(d, &["--county", q.to_str().unwrap()]);
    let ids: Vec<&str> = m.iter().map(|x| x["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["Q01", "Q02", "Q03", "Q04", "Q05"]);
    assert_eq!(m[0]["lead_units"], serde_json::json!(["县交通运输局"]));
    assert_eq!(m[3]["lead_units"], serde_json::json!(["各乡镇"]));
    assert_eq!(m[0]["targets"][0]["text"], "不低于90%");
    assert_eq!(
        m[0]["unknown_units"],
        serde_json::json!([]),
        "its departments are known"
    );
    // The data directory remembers its county: no --county needed any more.
    assert_eq!(ledger(d, &[]).len(), 5);
    let out = lantian(&[
        "station",
        "add",
        "--data-dir",
        d,
        "--id",
        "QH-01",
        "--name",
        "东塘站",
        "--unit",
        "dongtang",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = lantian(&[
        "station",
        "add",
        "--data-dir",
        d,
        "--id",
        "QH-02",
        "--name",
        "x",
        "--unit",
        "wangkou",
    ]);
    assert!(
        !out.status.success() && stderr(&out).contains("unit \"wangkou\""),
        "Xinji's units are not this county's: {}",
        stderr(&out)
    );
    // Another county's profile on this database is refused, naming both.
    let xinji = temp_dir("county-xinji-profile").join("p");
    assert!(
        lantian(&["county", "init", xinji.to_str().unwrap()])
            .status
            .success()
    );
    let out = lantian(&[
        "ledger",
        "list",
        "--data-dir",
        d,
        "--county",
        xinji.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("serves county 999001") && stderr(&out).contains("county 130181"),
        "{}",
        stderr(&out)
    );
}
