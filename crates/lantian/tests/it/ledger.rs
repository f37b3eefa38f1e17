//! `lantian ledger`: the shipped list, import, the Excel 台账 opened by LibreOffice, reports.

use super::*;
use serde_json::Value;

fn list(dir: &str) -> Vec<Value> {
    let out = lantian(&["ledger", "list", "--data-dir", dir, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (id, section, category prefix, task prefix, measure prefix, leads, supporting)
type Pin = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_fresh_data_directory_lists_the_53_measures_of_the_attachment() {
    let dir = temp_dir("ledger-list");
    let m = list(dir.to_str().unwrap());
    assert_eq!(m.len(), 53);
    let by_id = |id: &str| m.iter().find(|x| x["id"] == id).unwrap().clone();
    // (id, section, category prefix, task prefix, measure prefix, leads, supporting)
    let pins: [Pin; 12] = [
        (
            "M01",
            "二(一)",
            "优化产业结构",
            "坚决遏制高耗能",
            "新改扩建项目严格落实",
            &["市发展改革局"],
            &["市科学技术和工业信息化局", "市数据和政务服务局"],
        ),
        (
            "M02",
            "二(一)",
            "优化产业结构",
            "坚决遏制高耗能",
            "新改扩建项目严格落实严格落实国家和省生态环境分区",
            &["市生态环境局"],
            &["市数据和政务服务局"],
        ),
        (
            "M05",
            "二(二)",
            "优化产业结构",
            "加快退出",
            "澳森特钢公司2024年底前",
            &["市生态环境局"],
            &[],
        ),
        (
            "M09",
            "三(二)",
            "优化能源结构",
            "严格控制煤炭消费总量",
            "到2025年",
            &["市发展改革局"],
            &[],
        ),
        (
            "M17",
            "三(四)",
            "优化能源结构",
            "持续巩固清洁取暖",
            "强化散煤管控",
            &["市生态环境局"],
            &["市市场监督管理局"],
        ),
        (
            "M21",
            "四(二)",
            "优化交通结构",
            "提升机动车清洁化",
            "新增或更新公交",
            &["市科学技术和工业信息化局"],
            &["市交通运输局", "市城市管理综合行政执法局"],
        ),
        (
            "M25",
            "四(三)",
            "优化交通结构",
            "强化非道路移动源",
            "推动发展新能源",
            &["市生态环境局"],
            &[
                "市发展改革局",
                "市科学技术和工业信息化局",
                "市交通运输局",
                "市住房城乡建设局",
                "市水务局",
                "市教育局",
                // The list writes 辛集保税物流中心; ledger.json makes it the canonical
                // 辛集保税物流中心管委会 of the plan's body.
                "辛集保税物流中心管委会",
                "辛集铁路货运中心",
            ],
        ),
        (
            "M32",
            "五(一)",
            "强化面源污染治理",
            "深化扬尘",
            "严格落实《河北省扬尘污染防治办法》,聚焦线性工程",
            &["市交通运输局", "市水务局"],
            &[],
        ),
        (
            "M33",
            "五(一)",
            "强化面源污染治理",
            "深化扬尘",
            "严格落实《河北省扬尘污染防治办法》,聚焦裸露地块",
            &["各乡镇", "经济开发区"],
            &[],
        ),
        (
            "M36",
            "五(一)",
            "强化面源污染治理",
            "深化扬尘",
            "将防治扬尘污染费用纳入工程造价",
            &["各相关责任单位"],
            &[],
        ),
        (
            "M50",
            "七(一)",
            "加强机制建设",
            "完善区域大气污染防治协作",
            "强化区域联防联控",
            &["市生态环境局"],
            &[
                "市住房城乡建设局",
                "市发展改革局",
                "市城市管理综合行政执法局",
                "市科学技术和工业信息化局",
                "市农业农村局",
                "市市场监督管理局",
                "市公安局",
                "市气象局",
            ],
        ),
        (
            "M52",
            "八(一)",
            "加强能力建设",
            "提升监测监控能力",
            "建立乡镇空气质量站点运维管理系统",
            &["市生态环境局", "市气象局"],
            &[],
        ),
    ];
    for (id, section, cat, task, measure, leads, supporting) in pins {
        let x = by_id(id);
        assert_eq!(x["section"], section, "{id}");
        assert!(
            x["category"].as_str().unwrap().starts_with(cat),
            "{id}: {}",
            x["category"]
        );
        assert!(
            x["task"].as_str().unwrap().starts_with(task),
            "{id}: {}",
            x["task"]
        );
        assert!(
            x["measure"].as_str().unwrap().starts_with(measure),
            "{id}: {}",
            x["measure"]
        );
        assert_eq!(strings(&x["lead_units"]), leads, "{id} leads");
        assert_eq!(
            strings(&x["supporting_units"]),
            supporting,
            "{id} supporting"
        );
    }
    // M05's two dates are two milestones of their own (ledger.json), not one deadline.
    assert!(strings(&by_id("M05")["deadlines"]).is_empty());
    let m05 = by_id("M05");
    let ms: Vec<&str> = m05["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["deadline"].as_str().unwrap())
        .collect();
    assert_eq!(ms, ["2024-12-31", "2025-12-31"]);
    assert_eq!(
        by_id("M05")["status_zh"],
        "逾期",
        "an unfinished measure past its deadline is overdue"
    );
    assert_eq!(by_id("M38")["targets"][0]["text"], "100%左右");
    let t = &by_id("M38")["targets"][1];
    assert_eq!(
        (
            t["text"].as_str(),
            t["comparison"].as_str(),
            t["value"].as_f64(),
            t["unit"].as_str()
        ),
        (
            Some("不高于5吨/平方公里·月"),
            Some("at_most"),
            Some(5.0),
            Some("t/(km²·month)")
        )
    );
    let t = &by_id("M08")["targets"][0];
    assert_eq!(
        (
            t["text"].as_str(),
            t["comparison"].as_str(),
            t["value"].as_f64()
        ),
        (Some("13%左右"), Some("about"), Some(13.0))
    );
    assert!(
        m.iter()
            .all(|x| x["unknown_units"].as_array().unwrap().is_empty())
    );
}

#[test]
fn the_excel_ledger_opens_in_libreoffice_with_all_53_rows() {
    let dir = temp_dir("ledger-xlsx");
    let file = dir.join("taizhang.xlsx");
    let out = lantian(&[
        "ledger",
        "export",
        "--data-dir",
        dir.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let soffice = ["/usr/bin/soffice", "/usr/bin/libreoffice"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let Some(soffice) = soffice else {
        lantian_store::testing::not_run(
            "LibreOffice conversion (not installed; scripts/test-all installs libreoffice-calc-nogui)",
        );
        return;
    };
    let profile = format!(
        "-env:UserInstallation=file://{}",
        dir.join("lo-profile").display()
    );
    let conv = std::process::Command::new(soffice)
        .args([
            "--headless",
            profile.as_str(),
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
            dir.to_str().unwrap(),
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        conv.status.success(),
        "{}",
        String::from_utf8_lossy(&conv.stderr)
    );
    let csv = std::fs::read_to_string(dir.join("taizhang.csv")).unwrap();
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv.as_bytes());
    let rows: Vec<Vec<String>> = rdr
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(rows.len(), 2 + 53, "title, header and 53 measures");
    assert_eq!(&rows[1][..4], ["类别", "重点工作", "工作措施", "责任单位"]);
    // M01 has no deadline of its own: the plan's end (2025-12-31) is its default, so an
    // unstarted M01 is 逾期 after it.
    assert_eq!(rows[2][7], "逾期");
    assert!(rows[54][2].starts_with("深化非现场监管执法"));
}

#[test]
fn import_reports_bad_rows_and_imports_nothing_until_fixed() {
    let dir = temp_dir("ledger-import");
    let d = dir.to_str().unwrap();
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "类别,重点工作,工作措施,责任单位\n产业,遏制两高,措施一,市发展改革局牵头\n,,,市生态环境局\n,,措施三\n").unwrap();
    let out = lantian(&["ledger", "import", "--data-dir", d, bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"][0]["row"], 3);
    assert_eq!(report["errors"][0]["problem"], "empty measure (工作措施)");
    assert_eq!(report["errors"][1]["row"], 4);
    assert_eq!(list(d).len(), 53, "nothing imported");
    let good = dir.join("good.csv");
    std::fs::write(&good, "类别,重点工作,工作措施,责任单位\n产业,遏制两高,措施一,\"市发展改革局牵头,市新设局配合\"\n,,措施二,市生态环境局\n").unwrap();
    let dry = lantian(&[
        "ledger",
        "import",
        "--data-dir",
        d,
        "--dry-run",
        good.to_str().unwrap(),
    ]);
    assert!(dry.status.success());
    let report: Value = serde_json::from_slice(&dry.stdout).unwrap();
    assert_eq!(
        (
            report["measures"].as_u64(),
            report["warnings"][0]["row"].as_u64()
        ),
        (Some(2), Some(2))
    );
    assert_eq!(list(d).len(), 53, "a dry run imports nothing");
    assert!(
        lantian(&["ledger", "import", "--data-dir", d, good.to_str().unwrap()])
            .status
            .success()
    );
    let m = list(d);
    assert_eq!(m.len(), 2);
    assert_eq!(strings(&m[1]["lead_units"]), ["市生态环境局"]);
}

/// Creates an account from the console.
pub fn user(dir: &str, name: &str, role: &str, unit: Option<&str>) {
    let mut a = vec![
        "user",
        "add",
        "--data-dir",
        dir,
        "--username",
        name,
        "--role",
        role,
        "--password",
        "correct horse battery",
    ];
    if let Some(u) = unit {
        a.extend(["--unit", u]);
    }
    let out = lantian(&a);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn only_the_lead_confirms_and_only_the_bureau_closes_with_a_reason() {
    let dir = temp_dir("ledger-report");
    let d = dir.to_str().unwrap();
    user(d, "jt", "department", Some("市交通运输局"));
    user(d, "gx", "department", Some("市科学技术和工业信息化局"));
    user(d, "sthj", "bureau", Some("市生态环境局"));
    let run = |who: &str, args: &[&str]| {
        let mut a = vec![
            "ledger",
            "report",
            "--data-dir",
            d,
            "--measure",
            "M21",
            "--as",
            who,
        ];
        a.extend_from_slice(args);
        lantian(&a)
    };
    let r = run(
        "jt",
        &["--month", "2026-11", "--text", "已完成 12 辆新能源公交采购"],
    );
    assert!(r.status.success(), "{}", stderr(&r));
    let r = run("jt", &["--action", "confirm"]);
    assert!(
        !r.status.success() && stderr(&r).contains("only the lead unit confirms"),
        "{}",
        stderr(&r)
    );
    // The lead confirms with a text, after attaching evidence (issue 17).
    let r = run("gx", &["--action", "confirm", "--text", "已完成"]);
    assert!(stderr(&r).contains("needs evidence"), "{}", stderr(&r));
    let png = dir.join("验收照片.png");
    std::fs::write(&png, PNG).unwrap();
    let r = lantian(&[
        "ledger",
        "evidence",
        "--data-dir",
        d,
        "--as",
        "gx",
        "--measure",
        "M21",
        png.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", stderr(&r));
    assert!(stderr(&r).contains("-验收照片.png"), "{}", stderr(&r));
    assert!(
        run("gx", &["--action", "confirm", "--text", "已完成"])
            .status
            .success()
    );
    let r = run("gx", &["--action", "close", "--text", "done"]);
    assert!(
        !r.status.success() && stderr(&r).contains("only the bureau closes"),
        "{}",
        stderr(&r)
    );
    let r = run("sthj", &["--action", "close"]);
    assert!(!r.status.success() && stderr(&r).contains("needs a reason"));
    assert!(
        run("sthj", &["--action", "close", "--text", "经核查已完成"])
            .status
            .success()
    );
    let r = lantian(&[
        "ledger",
        "report",
        "--data-dir",
        d,
        "--measure",
        "M21",
        "--text",
        "x",
    ]);
    assert!(
        !r.status.success() && stderr(&r).contains("--as USER"),
        "{}",
        stderr(&r)
    );
    let r = run("nobody", &["--text", "x"]);
    assert!(
        !r.status.success() && stderr(&r).contains("user nobody"),
        "{}",
        stderr(&r)
    );
    let m = list(d);
    assert_eq!(
        m.iter().find(|x| x["id"] == "M21").unwrap()["status_zh"],
        "已销号"
    );
}

#[test]
fn an_exported_workbook_with_merged_cells_imports_back_as_the_same_list() {
    let dir = temp_dir("ledger-roundtrip");
    let d = dir.to_str().unwrap();
    let file = dir.join("taizhang.xlsx");
    assert!(
        lantian(&["ledger", "export", "--data-dir", d, file.to_str().unwrap()])
            .status
            .success()
    );
    let out = lantian(&[
        "ledger",
        "import",
        "--data-dir",
        d,
        "--dry-run",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["measures"], 53, "{report}");
    assert!(report["errors"].as_array().unwrap().is_empty(), "{report}");
    assert!(
        lantian(&["ledger", "import", "--data-dir", d, file.to_str().unwrap()])
            .status
            .success()
    );
    let m = list(d);
    assert_eq!(m.len(), 53);
    assert_eq!(
        m[1]["category"], m[0]["category"],
        "merged category cells are filled down"
    );
    assert_eq!(strings(&m[24]["supporting_units"]).len(), 8);
    let garbage = dir.join("garbage.xlsx");
    std::fs::write(&garbage, b"PK\x03\x04 not really a zip").unwrap();
    let out = lantian(&[
        "ledger",
        "import",
        "--data-dir",
        d,
        garbage.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not an xlsx workbook"),
        "{}",
        stderr(&out)
    );
}

/// A request with a login's cookie and CSRF token on the real server.
fn as_login(
    s: &serve::Server,
    l: &serve::Login,
    method: &str,
    path: &str,
    body: &[u8],
    content_type: &str,
) -> serve::Reply {
    serve::request(
        &s.http,
        method,
        path,
        &[
            ("Content-Type", content_type),
            ("Cookie", l.cookie.as_str()),
            ("X-CSRF-Token", l.csrf.as_str()),
        ],
        body,
    )
}

/// Attaches a small PNG to M21 as `l`.
fn attach(s: &serve::Server, l: &serve::Login) -> serve::Reply {
    serve::request(
        &s.http,
        "POST",
        "/api/v1/ledger/M21/evidence",
        &[
            ("Content-Type", "application/octet-stream"),
            ("X-Filename", "%E7%85%A7%E7%89%87.png"),
            ("Cookie", l.cookie.as_str()),
            ("X-CSRF-Token", l.csrf.as_str()),
        ],
        PNG,
    )
}

fn act(s: &serve::Server, l: &serve::Login, action: &str) -> serve::Reply {
    let body = serde_json::json!({ "action": action, "text": "经核查" }).to_string();
    as_login(
        s,
        l,
        "POST",
        "/api/v1/ledger/M21/events",
        body.as_bytes(),
        "application/json",
    )
}

/// The audit log as the administrator reads it over the API, newest first.
fn audit_log(s: &serve::Server, admin: &serve::Login) -> Vec<Value> {
    let r = as_login(
        s,
        admin,
        "GET",
        "/api/v1/audit?per_page=1000",
        b"",
        "application/json",
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()["items"].as_array().unwrap().clone()
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n0123456789";

#[test]
fn two_confirms_racing_on_one_report_one_wins_and_the_other_gets_409_on_the_real_server() {
    let dir = temp_dir("ledger-race");
    let d = dir.to_str().unwrap();
    user(d, "jt", "department", Some("市交通运输局"));
    user(d, "gx", "department", Some("市科学技术和工业信息化局"));
    user(d, "sthj", "bureau", Some("市生态环境局"));
    let s = serve::Server::start(d, &[]);
    let pw = "correct horse battery";
    let (jt, gx, sthj) = (
        serve::login(&s.http, "jt", pw),
        serve::login(&s.http, "gx", pw),
        serve::login(&s.http, "sthj", pw),
    );
    assert_eq!(act(&s, &jt, "report").status, 200);
    assert_eq!(attach(&s, &gx).status, 200, "a confirmation needs evidence");
    // Rounds of two confirms (the lead unit and the bureau may both confirm) sent at once;
    // the bureau reopens between rounds. Whichever commits first wins.
    const ROUNDS: usize = 8;
    for round in 0..ROUNDS {
        let barrier = std::sync::Barrier::new(2);
        let (a, b) = std::thread::scope(|t| {
            let one = t.spawn(|| {
                barrier.wait();
                act(&s, &gx, "confirm")
            });
            let two = t.spawn(|| {
                barrier.wait();
                act(&s, &sthj, "confirm")
            });
            (one.join().unwrap(), two.join().unwrap())
        });
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [200, 409],
            "round {round}: one wins, one conflicts"
        );
        let lost = if a.status == 409 { &a } else { &b };
        let msg = lost.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        assert!(
            msg.contains("already completed") || msg.contains("changed meanwhile"),
            "round {round}: a clear message: {msg}"
        );
        if round + 1 < ROUNDS {
            assert_eq!(act(&s, &sthj, "reopen").status, 200, "round {round}");
        }
    }
    // The history holds one confirmation per round, each after a report or a reopening.
    let m = s.get("/api/v1/ledger/M21");
    let kinds: Vec<&str> = m["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        // M21 is past the plan's end (its default deadline): the scheduler may flag it.
        .filter(|a| *a != "import" && *a != "overdue")
        .collect();
    let mut want = vec!["report", "evidence"];
    for round in 0..ROUNDS {
        want.push("confirm");
        if round + 1 < ROUNDS {
            want.push("reopen");
        }
    }
    assert_eq!(kinds, want);
    assert_eq!(m["status"], "completed");
}

#[test]
fn the_public_sees_a_measure_without_names_texts_or_file_names_with_or_without_a_cookie() {
    let dir = temp_dir("ledger-public");
    let d = dir.to_str().unwrap();
    user(d, "jt", "department", Some("市交通运输局"));
    let s = serve::Server::start(d, &[]);
    let jt = serve::login(&s.http, "jt", "correct horse battery");
    assert_eq!(act(&s, &jt, "report").status, 200);
    let up = serve::request(
        &s.http,
        "POST",
        "/api/v1/ledger/M21/evidence",
        &[
            ("Content-Type", "application/octet-stream"),
            ("X-Filename", "secret-invoice.png"),
            ("Cookie", jt.cookie.as_str()),
            ("X-CSRF-Token", jt.csrf.as_str()),
        ],
        PNG,
    );
    assert_eq!(up.status, 200, "{}", String::from_utf8_lossy(&up.body));
    let stale = "lantian_session=not-a-live-session";
    // (who, cookie, sees the inside?)
    let cases = [
        ("no cookie", None, false),
        ("a dead cookie", Some(stale), false),
        ("jt logged in", Some(jt.cookie.as_str()), true),
    ];
    for (who, cookie, inside) in cases {
        let headers: Vec<(&str, &str)> = cookie.map(|c| ("Cookie", c)).into_iter().collect();
        for path in [
            "/api/v1/ledger/M21",
            "/api/v1/ledger?per_page=100",
            "/api/v1/ledger?format=csv",
        ] {
            let r = serve::request(&s.http, "GET", path, &headers, b"");
            assert_eq!(r.status, 200, "{who} {path}");
            let text = String::from_utf8_lossy(&r.body).into_owned();
            // The measure, its units, deadline and status are public.
            assert!(text.contains("M21"), "{who} {path}");
            for secret in ["\"jt\"", "经核查", "secret-invoice"] {
                let shown = text.contains(secret);
                // The list's 最近进展 carries the latest report's text (issue 17), with a login.
                let expected = inside && (path == "/api/v1/ledger/M21" || secret == "经核查");
                assert_eq!(shown, expected, "{who} {path}: {secret} shown {shown}");
            }
        }
        let m = serve::request(&s.http, "GET", "/api/v1/ledger/M21", &headers, b"").json();
        assert!(
            m["lead_units"].as_array().is_some_and(|u| !u.is_empty()),
            "{who}"
        );
        assert!(m["deadlines"].as_array().is_some(), "{who}");
        // Past the plan's end (M21's default deadline) the measure in progress is 逾期.
        assert_eq!(m["status"], "overdue", "{who}");
        assert_eq!(m["deadline_source"], "plan_end_default", "{who}");
        let history: Vec<Value> = m["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] != "overdue")
            .cloned()
            .collect();
        assert_eq!(
            history
                .iter()
                .map(|e| e["action"].as_str().unwrap())
                .collect::<Vec<_>>(),
            ["import", "report", "evidence"],
            "{who}: the steps themselves are public"
        );
        assert_eq!(history[1]["actor"].is_string(), inside, "{who}");
        assert_eq!(history[1]["text"].is_string(), inside, "{who}");
    }
    // The Excel 台账 has no progress texts for the public.
    for (cookie, inside) in [(None, false), (Some(jt.cookie.as_str()), true)] {
        let headers: Vec<(&str, &str)> = cookie.map(|c| ("Cookie", c)).into_iter().collect();
        let r = serve::request(&s.http, "GET", "/api/v1/ledger?format=xlsx", &headers, b"");
        assert_eq!(r.status, 200);
        let path = dir.join(format!("ledger-{inside}.xlsx"));
        std::fs::write(&path, &r.body).unwrap();
        use calamine::Reader;
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&path).unwrap();
        let range = wb.worksheet_range_at(0).unwrap().unwrap();
        let found = range
            .rows()
            .any(|row| row.iter().any(|c| c.to_string().contains("经核查")));
        assert_eq!(found, inside, "xlsx with a login: {inside}");
    }
}

#[test]
fn evidence_beyond_50_files_of_a_measure_is_refused_with_409_on_the_real_server() {
    let dir = temp_dir("ledger-quota");
    let d = dir.to_str().unwrap();
    user(d, "jt", "department", Some("市交通运输局"));
    let s = serve::Server::start(d, &[]);
    let jt = serve::login(&s.http, "jt", "correct horse battery");
    let upload = |m: &str| {
        as_login(
            &s,
            &jt,
            "POST",
            &format!("/api/v1/ledger/{m}/evidence"),
            PNG,
            "application/octet-stream",
        )
    };
    for i in 0..lantian_app::EVIDENCE_FILES_MAX {
        assert_eq!(upload("M21").status, 200, "file {i}");
    }
    let r = upload("M21");
    assert_eq!(r.status, 409, "{}", String::from_utf8_lossy(&r.body));
    let msg = r.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(
        msg.contains("evidence quota of measure M21") && msg.contains("50 files"),
        "{msg}"
    );
    let stored = std::fs::read_dir(dir.join("evidence/M21")).unwrap().count();
    assert_eq!(stored, 50, "the refused file is not kept");
    // The quota is per measure.
    let other = lantian_app::ledger::list(
        &lantian_app::App::new(
            std::sync::Arc::new(lantian_store::Store::open_data_dir(&dir).unwrap()),
            lantian_app::Clock::System,
            std::sync::Arc::new(lantian_app::County::xinji()),
            None,
        ),
        &lantian_app::ledger::Filter {
            unit: Some("市交通运输局".into()),
            ..Default::default()
        },
    )
    .unwrap()
    .into_iter()
    .find(|m| m.id != "M21")
    .unwrap();
    assert_eq!(upload(&other.id).status, 200);
}

#[test]
fn a_reimport_keeps_earlier_reports_under_their_version_and_cli_and_web_acts_are_audited() {
    let dir = temp_dir("ledger-versions");
    let d = dir.to_str().unwrap();
    user(d, "jt", "department", Some("市交通运输局"));
    user(d, "gx", "department", Some("市科学技术和工业信息化局"));
    user(d, "adm", "admin", None);
    let r = lantian(&[
        "ledger",
        "report",
        "--data-dir",
        d,
        "--measure",
        "M21",
        "--as",
        "jt",
        "--text",
        "采购新能源公交 12 辆",
    ]);
    assert!(r.status.success(), "{}", stderr(&r));
    // A refused act from the command line is audited too.
    let r = lantian(&[
        "ledger",
        "report",
        "--data-dir",
        d,
        "--measure",
        "M01",
        "--as",
        "jt",
        "--text",
        "x",
    ]);
    assert!(!r.status.success());
    let export = dir.join("list.xlsx");
    assert!(
        lantian(&[
            "ledger",
            "export",
            "--data-dir",
            d,
            export.to_str().unwrap()
        ])
        .status
        .success()
    );
    let r = lantian(&[
        "ledger",
        "import",
        "--data-dir",
        d,
        export.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", stderr(&r));
    assert!(stderr(&r).contains("version 2"), "{}", stderr(&r));
    let mut s = serve::Server::start(d, &[]);
    let admin = serve::login(&s.http, "adm", "correct horse battery");
    let gx = serve::login(&s.http, "gx", "correct horse battery");
    assert_eq!(attach(&s, &gx).status, 200);
    assert_eq!(act(&s, &gx, "confirm").status, 200);
    let m = s.get("/api/v1/ledger/M21");
    let h: Vec<(String, i64)> = m["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["list_version"].as_i64().unwrap(),
            )
        })
        .collect();
    let want = [
        ("import", 1),
        ("report", 1),
        ("import", 2),
        ("evidence", 2),
        ("confirm", 2),
    ];
    assert_eq!(
        h,
        want.map(|(a, v)| (a.to_owned(), v)),
        "the report made under version 1 is still there"
    );
    // Audit rows: the source of each act (the CLI's operating-system user, the web client).
    // The operating-system user as `id -un` names it (the CLI reads $USER, else the uid).
    let user = std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| {
            let o = std::process::Command::new("id")
                .arg("-un")
                .output()
                .unwrap();
            String::from_utf8(o.stdout).unwrap().trim().to_owned()
        });
    let log = audit_log(&s, &admin);
    let find = |action: &str, object: &str| {
        log.iter()
            .find(|e| e["action"] == action && e["object"] == object)
            .unwrap_or_else(|| panic!("no audit row {action} {object} in {log:#?}"))
            .clone()
    };
    let cli = format!("cli:{user}");
    let report = find("ledger.report", "M21");
    assert_eq!(
        (report["actor"].as_str(), report["source"].as_str()),
        (Some("jt"), Some(cli.as_str()))
    );
    let denied = find("denied.ledger.report", "M01");
    assert_eq!(denied["source"].as_str(), Some(cli.as_str()));
    let import = find("ledger.import", "ledger");
    assert_eq!(
        (import["actor"].as_str(), import["source"].as_str()),
        (Some("operator"), Some(cli.as_str()))
    );
    let confirm = find("ledger.confirm", "M21");
    assert_eq!(
        (confirm["actor"].as_str(), confirm["source"].as_str()),
        (Some("gx"), Some("127.0.0.1"))
    );
    // The CSV export carries the source column.
    let csv = as_login(
        &s,
        &admin,
        "GET",
        "/api/v1/audit?format=csv",
        b"",
        "text/csv",
    );
    let text = String::from_utf8_lossy(&csv.body).into_owned();
    let header = text.lines().next().unwrap();
    assert_eq!(header.split(',').count(), 7, "{header}");
    assert!(
        header.ends_with("来源"),
        "the source column, last: {header}"
    );
    assert!(text.contains(&cli) && text.contains("127.0.0.1"));
    s.kill();
}
