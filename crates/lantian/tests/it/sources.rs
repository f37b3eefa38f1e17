//! The enterprise register, vehicles at the gate and who sees what of them, through the CLI and the API.

use super::*;
use serde_json::Value;

fn enterprises(d: &str) -> Value {
    serde_json::from_slice(&lantian_ok(&["enterprise", "list", "--data-dir", d, "--json"]).stdout)
        .unwrap()
}

/// The bureau's list: a title row, the header, one row per outlet with the enterprise's cells
/// left empty below its first row (merged cells as a CSV export writes them).
fn register_csv() -> String {
    let head = "企业编号,企业名称,统一社会信用代码,所属乡镇,行业,绩效分级,重点排污单位,排污许可证编号,经度,纬度,清洁运输目标(%),\
                排放口编号,排放口名称,排气筒高度(m),基准氧含量(%),二氧化硫限值(mg/m³),氮氧化物限值(mg/m³),颗粒物限值(mg/m³),限值依据";
    format!(
        "辛集市污染源企业名录\n{head}\n\
         AS,澳森特钢,91130181MA0000000A,辛集镇,钢铁,B,是,P-AS,115.22,37.93,80,AS-1,1#烧结机头,120,16,35,50,10,DB13/2169-2018\n\
         ,,,,,,,,,,,AS-2,2#烧结机头,120,16,35,50,10,DB13/2169-2018\n\
         ,,,,,,,,,,,AS-3,球团,80,18,35,50,10,DB13/2169-2018\n\
         GL,某玻璃厂,,王口镇,玻璃,C,否,,115.3,37.88,,GL-1,熔窑,60,8,100,400,20,GB 26453-2011\n"
    )
}

#[test]
fn the_enterprise_list_with_merged_cells_imports_exports_and_refuses_bad_rows_whole() {
    let dir = temp_dir("register");
    let d = dir.to_str().unwrap();
    let csv = dir.join("register.csv");
    std::fs::write(&csv, register_csv()).unwrap();
    let out = lantian_ok(&[
        "enterprise",
        "import",
        "--data-dir",
        d,
        csv.to_str().unwrap(),
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (report["enterprises"].as_u64(), report["outlets"].as_u64()),
        (Some(2), Some(4)),
        "{report}"
    );
    let list = enterprises(d);
    let as_ = &list[0];
    assert_eq!(as_["id"], "AS");
    assert_eq!(as_["clean_transport_target_pct"], 80.0);
    assert_eq!(as_["unit_name"], "辛集镇");
    let outlets: Vec<&str> = as_["outlets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        outlets,
        ["AS-1", "AS-2", "AS-3"],
        "merged enterprise cells continue AS"
    );
    assert_eq!(as_["outlets"][2]["o2_ref_pct"], 18.0);
    assert_eq!(list[1]["outlets"][0]["limits"].as_array().unwrap().len(), 3);

    // Exported as the bureau keeps it: the enterprise's cells merged over its outlet rows.
    let xlsx = dir.join("register.xlsx");
    lantian_ok(&[
        "enterprise",
        "export",
        "--data-dir",
        d,
        xlsx.to_str().unwrap(),
    ]);
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
    let merged = book.merge_cells_by_sheet_id(0).unwrap();
    // AS spans rows 3–5 (0-based 2–4) in each of the eleven enterprise columns.
    assert_eq!(
        merged
            .iter()
            .filter(|m| m.start.0 == 2 && m.end.0 == 4)
            .count(),
        11,
        "{merged:?}"
    );
    // It imports into a fresh directory as the same register.
    let dir2 = temp_dir("register-2");
    let d2 = dir2.to_str().unwrap();
    lantian_ok(&[
        "enterprise",
        "import",
        "--data-dir",
        d2,
        xlsx.to_str().unwrap(),
    ]);
    assert_eq!(enterprises(d2), list);

    // A file with bad rows: each named, nothing imported (not even the good enterprise).
    let bad = dir.join("bad.csv");
    let text = register_csv()
        .replace("GL,某玻璃厂,,王口镇,玻璃,C", "GL,某玻璃厂,,王口镇,玻璃,Z")
        .replace(",,,,,,,,,,,AS-3,球团,80,18", ",,,,,,,,,,,AS-3,球团,80,23")
        + "NEW,新企业,,辛集镇,化工,A,否,,,,,NEW-1,锅炉,,9,,,,\n";
    std::fs::write(&bad, text).unwrap();
    let dir3 = temp_dir("register-3");
    let d3 = dir3.to_str().unwrap();
    let out = lantian(&[
        "enterprise",
        "import",
        "--data-dir",
        d3,
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let problems: Vec<(u64, String)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["row"].as_u64().unwrap(),
                p["problem"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert_eq!(problems[0].0, 5);
    assert!(
        problems[0].1.starts_with("基准氧含量(%) must be below 21"),
        "{problems:?}"
    );
    assert_eq!(problems[1].0, 6);
    assert!(problems[1].1.starts_with("绩效分级 \"Z\""), "{problems:?}");
    assert_eq!(
        enterprises(d3),
        Value::Array(Vec::new()),
        "nothing is half-imported"
    );
}

/// Gate records of November as a gate system exports them, in its own column order.
fn gate_csv() -> &'static str {
    "车牌号码,通行时间,进出方向,车型,排放阶段,燃料种类\n\
     冀A00001,2026/11/03 07:10:00,进厂,重型半挂牵引车,国Ⅵ,柴油\n\
     冀A00001,2026/11/03 09:40:00,出厂,重型半挂牵引车,国Ⅵ,柴油\n\
     冀A00002,2026/11/03 08:00:00,进厂,重型自卸货车,新能源,纯电\n\
     冀A00003,2026/11/03 08:30:00,进厂,重型半挂牵引车,国五,柴油\n\
     冀A00004,2026/11/04 10:00:00,进厂,重型厢式货车,国四,柴油\n\
     冀A00005,2026/11/04 10:05:00,进厂,轻型厢式货车,国四,柴油\n\
     冀A00006,2026/11/05 11:00:00,进厂,重型半挂牵引车,国五,天然气\n\
     冀A00007,2026/12/01 08:00:00,进厂,重型半挂牵引车,国六,柴油\n"
}

#[test]
fn gate_records_give_the_monthly_clean_transport_share_and_the_trucks_a_warning_bars() {
    let dir = temp_dir("gate");
    let d = dir.to_str().unwrap();
    lantian_ok(&[
        "enterprise",
        "add",
        "--data-dir",
        d,
        "--id",
        "AS",
        "--name",
        "澳森特钢",
        "--unit",
        "xinji",
        "--clean-target",
        "80",
    ]);
    let file = dir.join("gate.csv");
    std::fs::write(&file, gate_csv()).unwrap();
    let out = lantian_ok(&[
        "vehicles",
        "import",
        "--data-dir",
        d,
        "--enterprise",
        "AS",
        file.to_str().unwrap(),
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (report["records"].as_u64(), report["new"].as_u64()),
        (Some(8), Some(8)),
        "{report}"
    );
    // Imported again: nothing new.
    let out = lantian_ok(&[
        "vehicles",
        "import",
        "--data-dir",
        d,
        "--enterprise",
        "AS",
        file.to_str().unwrap(),
    ]);
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["new"],
        0
    );

    // The independent count: November's heavy-truck entries are A00001 (国六), A00002 (新能源),
    // A00003 (国五), A00004 (国四) and A00006 (国五 gas); the exit and the light truck do not
    // count. Clean: 2 of 5 = 40.0 %, below the 80 % target. December: 1 of 1.
    let months = json_lines(&lantian_ok(&[
        "vehicles",
        "share",
        "--data-dir",
        d,
        "--enterprise",
        "AS",
        "--from",
        "2026-10",
        "--to",
        "2026-12",
    ]));
    let got: Vec<(String, u64, u64, Value, Value)> = months
        .iter()
        .map(|m| {
            (
                m["month"].as_str().unwrap().to_owned(),
                m["heavy_trips"].as_u64().unwrap(),
                m["clean_trips"].as_u64().unwrap(),
                m["share_pct"].clone(),
                m["meets_target"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("2026-10".to_owned(), 0, 0, Value::Null, Value::Null),
            (
                "2026-11".to_owned(),
                5,
                2,
                Value::from(40.0),
                Value::from(false)
            ),
            (
                "2026-12".to_owned(),
                1,
                1,
                Value::from(100.0),
                Value::from(true)
            ),
        ]
    );
    // During a warning on 3–4 November: the diesel trucks below 国五 that entered (the heavy
    // 国四 and the light 国四), not the 国五 ones nor the gas truck.
    let barred = json_lines(&lantian_ok(&[
        "vehicles",
        "list",
        "--data-dir",
        d,
        "--enterprise",
        "AS",
        "--from",
        "2026-11-03",
        "--to",
        "2026-11-05",
        "--barred",
    ]));
    let plates: Vec<&str> = barred
        .iter()
        .map(|p| p["plate"].as_str().unwrap())
        .collect();
    assert_eq!(plates, ["冀A00004", "冀A00005"]);
    assert_eq!(barred[0]["at"], "2026-11-04 10:00:00");
    let all = json_lines(&lantian_ok(&[
        "vehicles",
        "list",
        "--data-dir",
        d,
        "--enterprise",
        "AS",
        "--from",
        "2026-11-03",
        "--to",
        "2026-11-03",
    ]));
    assert_eq!(all.len(), 4);

    // Bad rows are named and nothing of the file is stored.
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "车牌号,时间,方向,车辆类型,排放标准,燃料类型\n\
         冀B00001,2026-11-20 08:00,进,重型半挂牵引车,国六,柴油\n\
         冀B00002,2026-11-20 25:00,进,重型半挂牵引车,国六,柴油\n\
         冀B00003,2026-11-20 09:00,进,重型半挂牵引车,欧六,柴油\n",
    )
    .unwrap();
    let out = lantian(&[
        "vehicles",
        "import",
        "--data-dir",
        d,
        "--enterprise",
        "AS",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows: Vec<u64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["row"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, [3, 4], "{report}");
    assert!(
        report["errors"][1]["problem"]
            .as_str()
            .unwrap()
            .contains("欧六")
    );
    let nov20 = json_lines(&lantian_ok(&[
        "vehicles",
        "list",
        "--data-dir",
        d,
        "--enterprise",
        "AS",
        "--from",
        "2026-11-20",
        "--to",
        "2026-11-20",
    ]));
    assert!(
        nov20.is_empty(),
        "the good row of a refused file is not stored"
    );
}

#[test]
fn an_enterprise_publishes_its_own_data_and_no_other_enterprise_can() {
    let dir = temp_dir("disclose");
    let d = dir.to_str().unwrap();
    for id in ["AS", "BX"] {
        lantian_ok(&[
            "enterprise",
            "add",
            "--data-dir",
            d,
            "--id",
            id,
            "--name",
            id,
            "--unit",
            "xinji",
        ]);
        lantian_ok(&[
            "user",
            "add",
            "--data-dir",
            d,
            "--username",
            &format!("e-{id}"),
            "--role",
            "enterprise",
            "--unit",
            id,
        ]);
    }
    let out = lantian(&[
        "enterprise",
        "disclose",
        "--data-dir",
        d,
        "--as",
        "e-BX",
        "--id",
        "AS",
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("only your own enterprise"),
        "{}",
        stderr(&out)
    );
    lantian_ok(&[
        "enterprise",
        "disclose",
        "--data-dir",
        d,
        "--as",
        "e-AS",
        "--id",
        "AS",
        "--note",
        "烧结机头烟气脱硫脱硝",
    ]);
    let list = enterprises(d);
    assert_eq!(
        (&list[0]["discloses"], &list[0]["disclosure_note"]),
        (&Value::from(true), &Value::from("烧结机头烟气脱硫脱硝"))
    );
    assert_eq!(list[1]["discloses"], false);
    // A register update by the bureau keeps what the enterprise published.
    lantian_ok(&[
        "enterprise",
        "add",
        "--data-dir",
        d,
        "--id",
        "AS",
        "--name",
        "澳森特钢",
        "--unit",
        "xinji",
    ]);
    assert_eq!(enterprises(d)[0]["discloses"], true);
    lantian_ok(&[
        "enterprise",
        "disclose",
        "--data-dir",
        d,
        "--as",
        "e-AS",
        "--id",
        "AS",
        "--off",
    ]);
    assert_eq!(enterprises(d)[0]["discloses"], false);
}
