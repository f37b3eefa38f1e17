//! Grid tasks end to end (issue 18, docs/grid.md): created on the command line and over a
//! real `lantian serve`, the township found by point in polygon, a point outside the county
//! refused with the reason, the state machine as a township and the bureau (a return and a
//! redo), evidence photos with EXIF checked, overdue escalation once, the xlsx export opened
//! in LibreOffice, and the statistics reproduced from the list.

use crate::ledger::user;
use crate::serve::{Login, Server, login, request};
use crate::{json_lines, lantian, lantian_ok, stderr, temp_dir};
use lantian_core::grid::task::{Source, State};
use serde_json::{Value, json};

/// A point inside 王口镇 (its seat) and one in Beijing, far outside the county.
const WANGKOU: (f64, f64) = (37.990, 115.400);
const OUTSIDE: (f64, f64) = (39.9087, 116.3975);
const PASSWORD: &str = "correct horse battery";
const H: i64 = 3_600_000;

fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// `YYYY:MM:DD HH:MM:SS` in Beijing time, as a camera writes DateTimeOriginal.
fn exif_time(unix_ms: i64) -> String {
    lantian_core::cst::format_unix_ms(unix_ms).replace('-', ":") + ":00"
}

/// A tiny JPEG whose EXIF says when (`YYYY:MM:DD HH:MM:SS`, Beijing time) and where (north
/// and east degrees) it was taken: SOI, APP1 `Exif` with IFD0 → Exif IFD (DateTimeOriginal)
/// and GPS IFD (N/E references, degrees/minutes/seconds as rationals), EOI.
fn jpeg_with_exif(taken: &str, lat: f64, lon: f64) -> Vec<u8> {
    fn dms(x: f64) -> Vec<u8> {
        let d = x.trunc();
        let m = ((x - d) * 60.0).trunc();
        let s_100 = (((x - d) * 60.0 - m) * 60.0 * 100.0).round();
        let mut out = Vec::new();
        for (n, den) in [(d as u32, 1u32), (m as u32, 1), (s_100 as u32, 100)] {
            out.extend(n.to_le_bytes());
            out.extend(den.to_le_bytes());
        }
        out
    }
    let entry = |tag: u16, typ: u16, count: u32, value: u32| {
        let mut e = Vec::new();
        e.extend(tag.to_le_bytes());
        e.extend(typ.to_le_bytes());
        e.extend(count.to_le_bytes());
        e.extend(value.to_le_bytes());
        e
    };
    // Offsets from the TIFF header: IFD0 at 8 (2 entries), the Exif IFD at 38, the GPS IFD
    // at 56 (4 entries), the time at 110, the latitude at 130, the longitude at 154.
    let mut t = b"II*\0".to_vec();
    t.extend(8u32.to_le_bytes());
    t.extend(2u16.to_le_bytes());
    t.extend(entry(0x8769, 4, 1, 38));
    t.extend(entry(0x8825, 4, 1, 56));
    t.extend(0u32.to_le_bytes());
    t.extend(1u16.to_le_bytes());
    t.extend(entry(0x9003, 2, 20, 110));
    t.extend(0u32.to_le_bytes());
    t.extend(4u16.to_le_bytes());
    t.extend(entry(1, 2, 2, u32::from(b'N')));
    t.extend(entry(2, 5, 3, 130));
    t.extend(entry(3, 2, 2, u32::from(b'E')));
    t.extend(entry(4, 5, 3, 154));
    t.extend(0u32.to_le_bytes());
    assert_eq!(t.len(), 110);
    t.extend(taken.as_bytes());
    t.push(0);
    t.extend(dms(lat));
    t.extend(dms(lon));
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(t);
    let mut j = vec![0xFF, 0xD8, 0xFF, 0xE1];
    j.extend(u16::try_from(app1.len() + 2).unwrap().to_be_bytes());
    j.extend(app1);
    j.extend([0xFF, 0xD9]);
    j
}

fn post(addr: &str, path: &str, as_: &Login, body: &Value) -> (u16, Value) {
    let headers = [
        ("Content-Type", "application/json"),
        ("Cookie", as_.cookie.as_str()),
        ("X-CSRF-Token", as_.csrf.as_str()),
    ];
    let r = request(addr, "POST", path, &headers, body.to_string().as_bytes());
    (r.status, r.json())
}

fn get(addr: &str, path: &str, as_: &Login) -> (u16, Value) {
    let r = request(addr, "GET", path, &[("Cookie", as_.cookie.as_str())], b"");
    (r.status, r.json())
}

fn upload(addr: &str, id: i64, as_: &Login, name: &str, bytes: &[u8]) -> (u16, Value) {
    let headers = [
        ("Content-Type", "application/octet-stream"),
        ("Cookie", as_.cookie.as_str()),
        ("X-CSRF-Token", as_.csrf.as_str()),
        ("X-Filename", name),
    ];
    let r = request(
        addr,
        "POST",
        &format!("/api/v1/tasks/{id}/evidence"),
        &headers,
        bytes,
    );
    (r.status, r.json())
}

fn act(addr: &str, id: i64, as_: &Login, action: &str, text: &str) -> (u16, Value) {
    post(
        addr,
        &format!("/api/v1/tasks/{id}/act"),
        as_,
        &json!({ "action": action, "text": text }),
    )
}

#[test]
fn grid_tasks_run_from_dispatch_to_approval_with_checked_evidence_escalation_and_exports() {
    let dir = temp_dir("grid-tasks");
    let d = dir.to_str().unwrap();
    user(d, "bureau1", "bureau", Some("市生态环境局"));
    user(d, "wk", "township", Some("wangkou"));
    user(d, "xj", "township", Some("xinji"));
    user(d, "ops1", "operations", None);

    // On the command line: a point in 王口镇 goes there; one in Beijing is refused with the
    // distance and the nearest township.
    let (lat, lon) = (WANGKOU.0.to_string(), WANGKOU.1.to_string());
    let o = lantian_ok(&[
        "task",
        "create",
        "--data-dir",
        d,
        "--as",
        "bureau1",
        "--source",
        "inspection",
        "--title",
        "巡查发现露天焚烧",
        "--lat",
        &lat,
        "--lon",
        &lon,
        "--json",
    ]);
    let created = &json_lines(&o)[0];
    assert_eq!(created["township"], "wangkou", "{created}");
    assert_eq!(created["assignee"], "wangkou");
    assert_eq!(created["state"], "dispatched");
    let task = created["id"].as_i64().unwrap();
    let (olat, olon) = (OUTSIDE.0.to_string(), OUTSIDE.1.to_string());
    let o = lantian(&[
        "task",
        "create",
        "--data-dir",
        d,
        "--as",
        "bureau1",
        "--title",
        "京城",
        "--lat",
        &olat,
        "--lon",
        &olon,
    ]);
    assert!(!o.status.success());
    let why = stderr(&o);
    assert!(
        why.contains("outside the county") && why.contains("km from the nearest township"),
        "{why}"
    );
    // Operations create nothing.
    let o = lantian(&[
        "task",
        "create",
        "--data-dir",
        d,
        "--as",
        "ops1",
        "--title",
        "x",
        "--lat",
        &lat,
        "--lon",
        &lon,
    ]);
    assert!(!o.status.success(), "operations may not create tasks");

    // A fire point dispatched two days ago and never signed: past its 24 h, escalated once.
    let old_ms = now_ms() - 48 * H;
    let old = {
        let store = lantian_store::Store::open_data_dir(&dir).unwrap();
        store
            .create_task(
                &lantian_store::tasks::TaskRow {
                    id: 0,
                    source: Source::FirePoint,
                    source_ref: Some("VIIRS-test".into()),
                    title: "卫星火点".into(),
                    detail: String::new(),
                    lat: WANGKOU.0 + 0.002,
                    lon: WANGKOU.1,
                    township: Some("wangkou".into()),
                    assignee: Some("wangkou".into()),
                    state: State::Dispatched,
                    created_ms: old_ms,
                    occurred_ms: old_ms,
                    sign_deadline_ms: old_ms + 2 * H,
                    finish_deadline_ms: old_ms + 24 * H,
                    escalated: false,
                    updated_ms: old_ms,
                    finished_ms: None,
                    closed_ms: None,
                },
                "system",
                None,
            )
            .unwrap()
    };
    let o = lantian_ok(&["task", "escalate", "--data-dir", d, "--json"]);
    assert_eq!(json_lines(&o), vec![json!(old)]);
    let o = lantian_ok(&["task", "escalate", "--data-dir", d, "--json"]);
    assert!(json_lines(&o).is_empty(), "escalated once");
    let o = lantian_ok(&["task", "show", &old.to_string(), "--data-dir", d, "--json"]);
    let shown = &json_lines(&o)[0];
    assert_eq!(shown["task"]["escalated"], true);
    assert_eq!(shown["task"]["overdue"], "finish");
    assert!(
        shown["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "escalate" && e["actor"] == "system"),
        "{shown}"
    );

    // Over HTTP.
    let server = Server::start(d, &[]);
    let a = server.http.clone();
    let wk = login(&a, "wk", PASSWORD);
    let xj = login(&a, "xj", PASSWORD);
    let bureau = login(&a, "bureau1", PASSWORD);
    let ids = |v: &Value| -> Vec<i64> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["id"].as_i64())
            .collect()
    };
    let (status, mine) = get(&a, "/api/v1/tasks", &wk);
    assert_eq!(status, 200, "{mine}");
    assert_eq!(ids(&mine), vec![old, task]);
    let (_, theirs) = get(&a, "/api/v1/tasks", &xj);
    assert!(ids(&theirs).is_empty(), "{theirs}");
    let (status, _) = get(&a, &format!("/api/v1/tasks/{task}"), &xj);
    assert_eq!(status, 404, "another township's task is not found");
    // Created over HTTP: outside refused, inside to the township.
    let (status, v) = post(
        &a,
        "/api/v1/tasks",
        &bureau,
        &json!({ "source": "manual", "title": "x", "lat": OUTSIDE.0, "lon": OUTSIDE.1, "occurred_ms": 0 }),
    );
    assert_eq!(status, 400, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("km"),
        "{v}"
    );

    // The state machine: (who, action, text, status, state after).
    let (bureau_, wk_) = (&bureau, &wk);
    let steps: [(&Login, &str, &str, u16, &str); 9] = [
        (bureau_, "sign", "", 403, ""),
        (wk_, "approve", "", 403, ""),
        (wk_, "sign", "", 200, "signed"),
        (wk_, "sign", "", 409, ""),
        (wk_, "start", "", 200, "handling"),
        (wk_, "finish", "", 400, ""),
        (wk_, "finish", "已扑灭火点并清理现场", 200, "finished"),
        (bureau_, "return", "照片位置不对，请补充", 200, "returned"),
        (wk_, "start", "", 200, "handling"),
    ];
    for (who, action, text, status, after) in steps {
        let (s, v) = act(&a, task, who, action, text);
        assert_eq!(s, status, "{action}: {v}");
        if status == 200 {
            assert_eq!(v["state"], after, "{action}: {v}");
        }
    }
    // Evidence: a photo taken now at the point, one taken 5 km away, a PDF, a bad file.
    let t_now = exif_time(now_ms());
    let cases = [
        (
            "现场.jpg",
            jpeg_with_exif(&t_now, WANGKOU.0, WANGKOU.1),
            200,
            "consistent",
            "",
        ),
        (
            "远处.jpg",
            jpeg_with_exif(&t_now, WANGKOU.0 + 0.045, WANGKOU.1),
            200,
            "flagged",
            "m from the task's point",
        ),
        (
            "旧照.jpg",
            jpeg_with_exif(&exif_time(now_ms() - 30 * 24 * H), WANGKOU.0, WANGKOU.1),
            200,
            "flagged",
            "before the task was created",
        ),
        (
            "report.pdf",
            b"%PDF-1.4 report".to_vec(),
            200,
            "unchecked",
            "",
        ),
        ("bad.exe", b"MZ\x90\x00".to_vec(), 400, "", ""),
    ];
    for (name, bytes, status, verdict, why) in cases {
        let encoded: String = name
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b == b'.' {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let (s, v) = upload(&a, task, &wk, &encoded, &bytes);
        assert_eq!(s, status, "{name}: {v}");
        if status == 200 {
            assert_eq!(v["verdict"], verdict, "{name}: {v}");
            assert!(v["reason"].as_str().unwrap().contains(why), "{name}: {v}");
        }
    }
    let (s, v) = upload(&a, task, &xj, "x.pdf", b"%PDF-1.4");
    assert_eq!(s, 404, "{v}");
    for (who, action, text, status, after) in [
        (wk_, "finish", "补充了现场照片", 200, "finished"),
        (bureau_, "approve", "", 200, "approved"),
    ] {
        let (s, v) = act(&a, task, who, action, text);
        assert_eq!(
            (s, v["state"].as_str()),
            (status, Some(after)),
            "{action}: {v}"
        );
    }
    let (_, one) = get(&a, &format!("/api/v1/tasks/{task}"), &wk);
    let timeline: Vec<&str> = one["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        timeline,
        [
            "create", "sign", "start", "finish", "return", "start", "evidence", "evidence",
            "evidence", "evidence", "finish", "approve"
        ]
    );
    assert_eq!(one["evidence"].as_array().unwrap().len(), 4);
    let file = one["evidence"][0]["file"].as_str().unwrap();
    let r = request(
        &a,
        "GET",
        &format!("/api/v1/tasks/{task}/evidence?file={file}"),
        &[("Cookie", wk.cookie.as_str())],
        b"",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body, jpeg_with_exif(&t_now, WANGKOU.0, WANGKOU.1));

    // Statistics, reproduced from the list: per township count, closed, overdue and the
    // median hours to close.
    let from = lantian_core::cst::format_unix_ms(old_ms)[..7].to_owned();
    let (status, stats) = get(&a, &format!("/api/v1/task-stats?from={from}"), &bureau);
    assert_eq!(status, 200, "{stats}");
    let (_, all) = get(&a, "/api/v1/tasks?per_page=1000", &bureau);
    let items = all["items"].as_array().unwrap();
    let rows = stats["items"].as_array().unwrap();
    let townships = rows
        .iter()
        .filter(|r| r["month"] == rows[0]["month"])
        .count();
    assert_eq!(townships, 16, "every township listed");
    for unit in ["wangkou", "xinji"] {
        let listed: Vec<&Value> = items.iter().filter(|t| t["township"] == unit).collect();
        let sum = |k: &str| -> i64 {
            rows.iter()
                .filter(|r| r["township"] == unit)
                .map(|r| r[k].as_i64().unwrap())
                .sum()
        };
        assert_eq!(sum("count"), listed.len() as i64, "{unit}");
        let closed: Vec<f64> = listed
            .iter()
            .filter_map(|t| t["hours_to_close"].as_f64())
            .collect();
        assert_eq!(sum("closed"), closed.len() as i64, "{unit}");
        let overdue = listed.iter().filter(|t| !t["overdue"].is_null()).count();
        assert_eq!(sum("overdue"), overdue as i64, "{unit}");
        if let [h] = closed[..] {
            let row = rows
                .iter()
                .find(|r| r["township"] == unit && r["closed"] == 1)
                .unwrap();
            assert!((row["median_hours_to_close"].as_f64().unwrap() - h).abs() < 1e-9);
        }
    }
    let (_, map) = get(&a, "/api/v1/task-map", &wk);
    assert_eq!(map["points"].as_array().unwrap().len(), 2);

    // The xlsx export, opened by LibreOffice.
    let r = request(
        &a,
        "GET",
        "/api/v1/tasks?format=xlsx",
        &[("Cookie", bureau.cookie.as_str())],
        b"",
    );
    assert_eq!(r.status, 200);
    let xlsx = dir.join("tasks.xlsx");
    std::fs::write(&xlsx, &r.body).unwrap();
    let soffice = ["/usr/bin/soffice", "/usr/bin/libreoffice"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let Some(soffice) = soffice else {
        lantian_store::testing::not_run(
            "LibreOffice conversion of the task list (not installed; scripts/test-all installs libreoffice-calc-nogui)",
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
            d,
            xlsx.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        conv.status.success(),
        "{}",
        String::from_utf8_lossy(&conv.stderr)
    );
    let csv = std::fs::read_to_string(dir.join("tasks.csv")).unwrap();
    let rows: Vec<Vec<String>> = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(rows.len(), 2 + items.len(), "title, header and every task");
    assert!(rows[0][0].contains("网格任务清单") && rows[0][0].contains("北京时间"));
    assert_eq!(rows[1][0], "编号");
    assert!(rows[1].iter().any(|h| h == "派发时间（北京时间）"));
    let approved = rows.iter().find(|r| r[0] == task.to_string()).unwrap();
    assert_eq!(
        (approved[3].as_str(), approved[5].as_str()),
        ("王口镇", "审核通过")
    );
    let escalated = rows.iter().find(|r| r[0] == old.to_string()).unwrap();
    assert_eq!(
        (escalated[12].as_str(), escalated[13].as_str()),
        ("超期未办结", "是")
    );
}
