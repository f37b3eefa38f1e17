//! The ledger over HTTP: filters, the Excel 台账, who may report, confirm and close, evidence.

use super::*;
use serde_json::json;

async fn ledger_app(tag: &str) -> (Router, Arc<Store>) {
    let (app, store) = app(tag);
    store
        .add_user(&User {
            username: "jt".into(),
            password_hash: password::hash("correct horse battery", password::Strength::Device),
            role: Role::Department,
            unit_id: Some("市交通运输局".into()),
            must_change_password: false,
            created_ms: 0,
        })
        .unwrap();
    store
        .add_user(&User {
            username: "gx".into(),
            password_hash: password::hash("correct horse battery", password::Strength::Device),
            role: Role::Department,
            unit_id: Some("市科学技术和工业信息化局".into()),
            must_change_password: false,
            created_ms: 0,
        })
        .unwrap();
    (app, store)
}

#[tokio::test]
async fn the_ledger_filters_and_exports() {
    let (app, _) = ledger_app("ledger-list").await;
    let all = call(&app, "GET", "/api/v1/ledger?per_page=100", None, &[])
        .await
        .json();
    assert_eq!(all["total"], 53);
    let mine = call(
        &app,
        "GET",
        "/api/v1/ledger?per_page=100&unit=%E5%B8%82%E4%BA%A4%E9%80%9A%E8%BF%90%E8%BE%93%E5%B1%80",
        None,
        &[],
    )
    .await
    .json();
    assert!(mine["total"].as_u64().unwrap() >= 8, "{}", mine["total"]);
    let overdue = call(
        &app,
        "GET",
        "/api/v1/ledger?per_page=100&status=overdue",
        None,
        &[],
    )
    .await
    .json();
    let ids: Vec<&str> = overdue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"M05") && ids.contains(&"M09"),
        "measures past 2025 are overdue on 2026-11-10: {ids:?}"
    );
    let dl = call(
        &app,
        "GET",
        "/api/v1/ledger?per_page=100&deadline_before=2024-12-31",
        None,
        &[],
    )
    .await
    .json();
    assert!(
        dl["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["deadlines"].as_str().unwrap().contains("2024-12-31"))
    );
    assert_eq!(
        call(&app, "GET", "/api/v1/ledger?status=done", None, &[])
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let x = call(&app, "GET", "/api/v1/ledger?format=xlsx", None, &[]).await;
    assert!(x.body.starts_with(b"PK"));
    let one = call(&app, "GET", "/api/v1/ledger/M21", None, &[])
        .await
        .json();
    assert_eq!(one["targets"][0]["text"], "不低于80%");
    assert_eq!(
        call(&app, "GET", "/api/v1/ledger/M99", None, &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_department_acts_only_on_its_own_measures() {
    let (app, store) = ledger_app("ledger-roles").await;
    let (cookie, csrf) = login(&app, "jt").await;
    let h = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    let r = call(
        &app,
        "POST",
        "/api/v1/ledger/M21/events",
        Some(json!({ "action": "report", "month": "2026-11", "text": "采购新能源公交 12 辆" })),
        &h,
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.json()["status_zh"], "推进中");
    let r = call(
        &app,
        "POST",
        "/api/v1/ledger/M01/events",
        Some(json!({ "action": "report", "text": "x" })),
        &h,
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "M01 is not the transport bureau's"
    );
    let r = call(
        &app,
        "POST",
        "/api/v1/ledger/M21/events",
        Some(json!({ "action": "confirm" })),
        &h,
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a supporting unit may not confirm"
    );
    let denied = store
        .audit_events(20)
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("denied.ledger."))
        .map(|e| (e.action, e.object))
        .collect::<Vec<_>>();
    assert_eq!(
        denied,
        [
            ("denied.ledger.confirm".to_owned(), "M21".to_owned()),
            ("denied.ledger.report".to_owned(), "M01".to_owned())
        ],
        "each refusal is in the audit log, newest first"
    );
    let (gc, gcsrf) = login(&app, "gx").await;
    let g = [("cookie", gc.as_str()), ("x-csrf-token", gcsrf.as_str())];
    // A confirmation needs a text and evidence (issue 17): each refusal says what is missing.
    for (body, missing) in [
        (json!({ "action": "confirm" }), "needs a text"),
        (
            json!({ "action": "confirm", "text": "已完成" }),
            "needs evidence",
        ),
    ] {
        let r = call(&app, "POST", "/api/v1/ledger/M21/events", Some(body), &g).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(String::from_utf8_lossy(&r.body).contains(missing));
    }
    let mut up = axum::http::Request::builder()
        .method("POST")
        .uri("/api/v1/ledger/M21/evidence")
        .header("x-filename", "%E9%AA%8C%E6%94%B6.pdf");
    for (k, v) in g {
        up = up.header(k, v);
    }
    let r = app
        .clone()
        .oneshot(up.body(axum::body::Body::from("%PDF-1.4 ok")).unwrap())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        call(
            &app,
            "POST",
            "/api/v1/ledger/M21/events",
            Some(json!({ "action": "confirm", "text": "已完成" })),
            &g
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        call(
            &app,
            "POST",
            "/api/v1/ledger/M21/events",
            Some(json!({ "action": "close", "text": "ok" })),
            &g
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let (ac, acsrf) = login(&app, "admin").await;
    let a = [("cookie", ac.as_str()), ("x-csrf-token", acsrf.as_str())];
    assert_eq!(
        call(
            &app,
            "POST",
            "/api/v1/ledger/M21/events",
            Some(json!({ "action": "close", "text": "" })),
            &a
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    let r = call(
        &app,
        "POST",
        "/api/v1/ledger/M21/events",
        Some(json!({ "action": "close", "text": "经核查已完成" })),
        &a,
    )
    .await;
    assert_eq!(r.json()["status_zh"], "已销号");
    let one = call(&app, "GET", "/api/v1/ledger/M21", None, &[])
        .await
        .json();
    let actions: Vec<&str> = one["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["import", "report", "evidence", "confirm", "close"]
    );
    assert_eq!(one["history"][1]["month"], "2026-11");
}

#[tokio::test]
async fn evidence_is_type_checked_and_size_limited() {
    let (app, _) = ledger_app("ledger-evidence").await;
    let dir = std::env::temp_dir().join(format!(
        "lantian-api-{}-ledger-evidence",
        std::process::id()
    ));
    let (cookie, csrf) = login(&app, "jt").await;
    let h = [
        ("cookie", cookie.as_str()),
        ("x-csrf-token", csrf.as_str()),
        ("x-filename", "photo.png"),
    ];
    let upload = |body: Vec<u8>| {
        let app = app.clone();
        let h = h.map(|(k, v)| (k, v.to_owned()));
        async move {
            let mut b = axum::http::Request::builder()
                .method("POST")
                .uri("/api/v1/ledger/M21/evidence");
            for (k, v) in &h {
                b = b.header(*k, v);
            }
            let r = app
                .oneshot(b.body(axum::body::Body::from(body)).unwrap())
                .await
                .unwrap();
            r.status()
        }
    };
    assert_eq!(
        upload(b"MZ not an image".to_vec()).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        upload([b"\x89PNG\r\n\x1a\n".as_slice(), &vec![0u8; 6 * 1024 * 1024]].concat()).await,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        upload([b"\x89PNG\r\n\x1a\n".as_slice(), b"tiny"].concat()).await,
        StatusCode::OK
    );
    let files: Vec<_> = std::fs::read_dir(dir.join("evidence/M21"))
        .unwrap()
        .collect();
    assert_eq!(
        files.len(),
        1,
        "the valid file is kept under the data directory"
    );
}

#[tokio::test]
async fn the_bureau_corrects_parsed_fields_and_breaks_a_target_down_by_month() {
    let (app, store) = ledger_app("ledger-correct").await;
    let (jc, jcsrf) = login(&app, "jt").await;
    let body = json!({ "monthly_targets": [{ "month": "2025-06", "value": 60.0 }, { "month": "2025-12", "value": 80.0 }], "note": "按月分解" });
    let r = call(
        &app,
        "POST",
        "/api/v1/ledger/M21/correct",
        Some(body.clone()),
        &[("cookie", &jc), ("x-csrf-token", &jcsrf)],
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a department may not correct the ledger"
    );
    let (ac, acsrf) = login(&app, "admin").await;
    let a = [("cookie", ac.as_str()), ("x-csrf-token", acsrf.as_str())];
    assert_eq!(
        call(&app, "POST", "/api/v1/ledger/M21/correct", Some(body), &a)
            .await
            .status,
        StatusCode::OK
    );
    let fix = json!({ "supporting_units": ["市交通运输局", "市城市管理综合行政执法局", "市公安局"], "deadlines": ["2025-12-31"] });
    assert_eq!(
        call(&app, "POST", "/api/v1/ledger/M21/correct", Some(fix), &a)
            .await
            .status,
        StatusCode::OK
    );
    let bad = json!({ "monthly_targets": [{ "month": "2025-13", "value": 1.0 }] });
    assert_eq!(
        call(&app, "POST", "/api/v1/ledger/M21/correct", Some(bad), &a)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let m = call(&app, "GET", "/api/v1/ledger/M21", None, &[])
        .await
        .json();
    assert_eq!(m["monthly_targets"][1]["value"], 80.0);
    assert_eq!(m["supporting_units"].as_array().unwrap().len(), 3);
    assert_eq!(m["deadlines"][0], "2025-12-31");
    assert!(
        m["measure"].as_str().unwrap().starts_with("新增或更新公交"),
        "the text as written is unchanged"
    );
    assert_eq!(
        m["status"], "overdue",
        "a corrected deadline in the past makes it overdue"
    );
    assert!(
        store
            .audit_events(10)
            .unwrap()
            .iter()
            .any(|e| e.action == "ledger.correct")
    );
}

#[tokio::test]
async fn a_township_lists_its_own_measures_and_each_reader_sees_what_it_may_do() {
    let (app, _) = ledger_app("ledger-mine").await;
    assert_eq!(
        call(&app, "GET", "/api/v1/ledger?mine=1", None, &[])
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "本单位 needs a login"
    );
    let (wk, _) = login(&app, "wk").await;
    let mine = call(
        &app,
        "GET",
        "/api/v1/ledger?mine=1&per_page=100",
        None,
        &[("cookie", &wk)],
    )
    .await
    .json();
    let ids: Vec<&str> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    // The plan's rule "以下均需各乡镇人民政府、经济开发区管委会落实" (from M01 on, ledger.json):
    // every measure is also every township's, each with its own part.
    assert!(
        ids.len() == 53 && ids.contains(&"M33"),
        "the measures of every township: {ids:?}"
    );
    let (jt, _) = login(&app, "jt").await;
    let mine = call(
        &app,
        "GET",
        "/api/v1/ledger?mine=1&per_page=100",
        None,
        &[("cookie", &jt)],
    )
    .await
    .json();
    assert!(
        mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "M21"),
        "jt supports M21"
    );
    let (admin, _) = login(&app, "admin").await;
    for (cookie, want, who) in [
        ("", json!([]), "the public reads, and does nothing"),
        (
            jt.as_str(),
            json!(["report", "evidence"]),
            "a supporting unit",
        ),
        (
            admin.as_str(),
            json!(["report", "confirm", "evidence", "correct"]),
            "not started: no close, no reopen",
        ),
    ] {
        let h: Vec<(&str, &str)> = if cookie.is_empty() {
            vec![]
        } else {
            vec![("cookie", cookie)]
        };
        let one = call(&app, "GET", "/api/v1/ledger/M21", None, &h)
            .await
            .json();
        assert_eq!(one["allowed"], want, "{who}");
    }
}
