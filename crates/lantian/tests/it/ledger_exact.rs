//! The ledger's data made exact, from the command line: milestones acted on one by one, a
//! 省定目标's number and a monthly actual, 各相关责任单位 resolved, a township's own part.

use super::ledger::user;
use super::*;
use serde_json::Value;

fn measure(dir: &str, id: &str) -> Value {
    let out = lantian(&["ledger", "list", "--data-dir", dir, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let all: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    all.into_iter().find(|m| m["id"] == id).unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = lantian(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn milestones_targets_actuals_resolution_and_a_township_s_part_through_the_cli() {
    let dir = temp_dir("ledger-exact");
    let d = dir.to_str().unwrap();
    user(d, "sthj", "bureau", Some("市生态环境局"));
    user(d, "fg", "department", Some("市发展改革局"));
    user(d, "wk", "township", Some("wangkou"));
    let m05 = measure(d, "M05");
    let ids: Vec<&str> = m05["milestone_progress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["M05-1", "M05-2"]);
    // Both milestones confirmed one by one (with a text, after the evidence): the measure
    // is then completed.
    let pdf = dir.join("验收报告.pdf");
    std::fs::write(&pdf, b"%PDF-1.4 test").unwrap();
    ok(&[
        "ledger",
        "evidence",
        "--data-dir",
        d,
        "--as",
        "sthj",
        "--measure",
        "M05",
        pdf.to_str().unwrap(),
    ]);
    for ms in ["M05-1", "M05-2"] {
        ok(&[
            "ledger",
            "report",
            "--data-dir",
            d,
            "--as",
            "sthj",
            "--measure",
            "M05",
            "--action",
            "confirm",
            "--milestone",
            ms,
            "--text",
            "已完成",
        ]);
    }
    assert_eq!(measure(d, "M05")["status"], "completed");
    // 省定目标: no number, then the bureau's; the lead unit's actual is compared with it.
    let m09 = measure(d, "M09");
    assert_eq!(m09["target_progress"][0]["verdict"], "no_target");
    ok(&[
        "ledger",
        "target",
        "--data-dir",
        d,
        "--as",
        "sthj",
        "--measure",
        "M09",
        "--key",
        "coal_reduction",
        "--value",
        "8",
    ]);
    let refused = lantian(&[
        "ledger",
        "actual",
        "--data-dir",
        d,
        "--as",
        "wk",
        "--measure",
        "M09",
        "--target",
        "coal_reduction",
        "--month",
        "2025-05",
        "--value",
        "9",
    ]);
    assert!(
        !refused.status.success(),
        "a township is not M09's lead unit"
    );
    let p: Value = serde_json::from_str(&ok(&[
        "ledger",
        "actual",
        "--data-dir",
        d,
        "--as",
        "fg",
        "--measure",
        "M09",
        "--target",
        "coal_reduction",
        "--month",
        "2025-05",
        "--value",
        "7.5",
    ]))
    .unwrap();
    assert_eq!(
        (p["target"].as_f64(), p["verdict"].as_str()),
        (Some(8.0), Some("not_met"))
    );
    // 各相关责任单位 resolved by the bureau.
    assert_eq!(measure(d, "M36")["unresolved"], true);
    ok(&[
        "ledger",
        "resolve",
        "--data-dir",
        d,
        "--as",
        "sthj",
        "--measure",
        "M36",
        "--lead-units",
        "市住房城乡建设局",
        "--supporting-units",
        "市交通运输局",
    ]);
    let m36 = measure(d, "M36");
    assert_eq!(
        (m36["unresolved"].as_bool(), m36["lead_units"][0].as_str()),
        (Some(false), Some("市住房城乡建设局"))
    );
    // A township reports on its own part; the lead unit's status stays.
    ok(&[
        "ledger",
        "report",
        "--data-dir",
        d,
        "--as",
        "wk",
        "--measure",
        "M21",
        "--township",
        "wangkou",
        "--text",
        "已排查",
    ]);
    let m21 = measure(d, "M21");
    // One of 16 parts started (in progress, or 逾期 once past the plan's end).
    assert_eq!(m21["township_progress"]["started"], 1);
    assert_eq!(m21["township_progress"]["units"], 16);
    assert_eq!(
        m21["status"],
        measure(d, "M22")["status"],
        "the lead's M21 moved no more than M22"
    );
    assert_eq!(m21["township_progress"]["units"], 16);
    let plan: Value =
        serde_json::from_str(&ok(&["ledger", "plan-targets", "--data-dir", d])).unwrap();
    assert_eq!(plan[0]["key"], "pm25");
}
