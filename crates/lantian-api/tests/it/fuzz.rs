//! Random requests to every documented route (and garbage around them) find no 5xx.

use super::*;

fn lcg(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *seed >> 33
}

#[tokio::test]
async fn random_requests_to_every_route_never_get_a_5xx() {
    let (app, _) = app("fuzz");
    let (cookie, csrf) = login(&app, "admin").await;
    let doc = call(&app, "GET", "/api/v1/openapi.json", None, &[])
        .await
        .json();
    let routes: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(p, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.to_uppercase(), p.clone()))
        })
        .collect();
    assert!(routes.len() >= 15);
    let params = [
        "code",
        "days",
        "from",
        "to",
        "view",
        "avg",
        "format",
        "page",
        "per_page",
        "scope",
        "year",
        "month",
        "rules",
        "lang",
        "period",
        "status",
        "deadline_before",
        "unit",
        "category",
    ];
    let values = [
        "",
        "0",
        "-1",
        "1",
        "99999999999999999999",
        "abc",
        "a34004",
        "PM2.5",
        "csv",
        "xlsx",
        "json",
        "raw",
        "audited",
        "day",
        "unit:wangkou",
        "2026",
        "12",
        "%00",
        "%E4%B8%AD",
        "auto",
        "2012",
        "2026-11-09",
        "2026-13-01",
        "station:T-WK",
        "hour",
        "overdue",
    ];
    let ids = ["CITY-1", "T-WK", "nope", "%2e%2e", "x%00y", "中文"];
    let bodies = [
        serde_json::json!({}),
        serde_json::json!({ "username": 1 }),
        serde_json::json!([1, 2]),
        serde_json::json!({ "id": "", "name": "", "role": "weird" }),
    ];
    let mut seed = 42u64;
    let mut checked = 0;
    for _ in 0..600 {
        let (method, path) = &routes[lcg(&mut seed) as usize % routes.len()];
        let id = ids[lcg(&mut seed) as usize % ids.len()];
        let mut uri = format!("/api/v1{}", path.replace("{id}", id));
        for k in 0..(lcg(&mut seed) % 4) {
            let p = params[lcg(&mut seed) as usize % params.len()];
            let v = values[lcg(&mut seed) as usize % values.len()];
            uri.push(if k == 0 { '?' } else { '&' });
            uri.push_str(&format!("{p}={v}"));
        }
        let auth = lcg(&mut seed).is_multiple_of(2);
        let mut headers = vec![];
        if auth {
            headers.push(("cookie", cookie.as_str()));
            headers.push(("x-csrf-token", csrf.as_str()));
        }
        let body =
            (method == "POST").then(|| bodies[lcg(&mut seed) as usize % bodies.len()].clone());
        let r = call(&app, method, &uri, body, &headers).await;
        assert!(
            r.status.as_u16() < 500,
            "{method} {uri} → {}: {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
        checked += 1;
    }
    assert_eq!(checked, 600);
}

/// A real id of the fixture for each kind of `{id}` in a route.
fn real_id(path: &str, warning: &str) -> String {
    if !path.contains('{') {
        return path.to_owned();
    }
    if path.starts_with("/open/bulk/") {
        return "/open/bulk/CITY-1/2026-11/hourly.csv".to_owned();
    }
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let id = match first {
        "stations" => "CITY-1",
        "ledger" => "M21",
        "enterprises" => "AS",
        "outlets" => "AS-1",
        "users" => "ops",
        "admin" => "CITY-1",
        "warnings" => warning,
        "alarms" | "work-orders" => "1",
        "audit-months" => "2026-10",
        "targets" => "2026",
        "complaints" => "1",
        "tasks" => "1",
        "sites" => "GD-1",
        "machinery" => "M-1",
        "dustfall" => "2026-11",
        "apikeys" | "cases" | "credit" | "sanluanwu" | "declarations" => "1",
        "alerts" => "1",
        "reports" => "1",
        "devices" => "FUZZ-DEV",
        "device-commands" => "1",
        "logger-serials" => "FUZZ-SERIAL",
        other => panic!("{path}: no fixture id for /{other}/{{id}}: add one here"),
    };
    path.replace("{id}", id)
        .replace("{username}", id)
        .replace("{step}", "issue")
        .replace("{month}", id)
        .replace("{year}", id)
        .replace("{mn}", id)
        .replace("{serial}", id)
}

/// Every route of the document answers as a route: as an administrator, with ids that exist
/// (a station, a measure, an enterprise, an outlet, an account, a stored warning), none is
/// "not found" and none refuses the method; and an id that does not exist is 404.
#[tokio::test]
async fn every_documented_route_exists() {
    let (app, store) = app("routes");
    super::access::sources(&store);
    super::integrity::fixture(&store);
    // Complaint 1, for /complaints/{id} (typed in; no task).
    let c = lantian_store::complaints::NewComplaint {
        channel: "12345".into(),
        category: "dust".into(),
        text: "工地扬尘严重".into(),
        created_by: "admin".into(),
        status: "dispatched".into(),
        ..Default::default()
    };
    store.insert_complaint(&c).unwrap();
    // Device FUZZ-DEV and logger serial FUZZ-SERIAL (/devices/{mn}/…, /logger-serials/{serial}/…).
    store
        .add_device("FUZZ-DEV", "fuzz-pw-1", "CITY-1", "2025", 0)
        .unwrap();
    let serial = lantian_store::device_keys::LoggerSerial {
        serial: "FUZZ-SERIAL".into(),
        ..Default::default()
    };
    store.record_logger_serial(&serial, 0).unwrap();
    // Device command 1, for /device-commands/{id}.
    let cmd = lantian_store::device_commands::CommandRow::new(
        "FUZZ-DEV", "CITY-1", 1011, "", "operator", "admin", 0, 1,
    );
    store.insert_device_command(&cmd).unwrap();
    // API key 1, for /apikeys/{id}.
    let k = lantian_store::apikeys::NewApiKey {
        key_hash: "h".into(),
        ..Default::default()
    };
    store.insert_api_key(&k).unwrap();
    // Alert channel 1 and rule 1, for /alerts/channels/{id} and /alerts/rules/{id}.
    let ch = lantian_store::alerts::ChannelRow {
        id: 0,
        name: "c".into(),
        kind: lantian_core::alerts::ChannelKind::Wecom,
        url: "http://127.0.0.1:9/".into(),
        secret: None,
        format: lantian_core::alerts::Format::Text,
        mobiles: vec![],
        template: None,
        enabled: false,
        created_ms: 0,
        created_by: String::new(),
    };
    store.insert_alert_channel(&ch, 0, "admin").unwrap();
    let rule = lantian_store::alerts::RuleRow {
        id: 0,
        name: "r".into(),
        kind: lantian_core::alerts::Kind::MeasureOverdue,
        threshold: None,
        scope: None,
        cooldown_min: 60,
        enabled: false,
        channel_ids: vec![],
        created_ms: 0,
        created_by: String::new(),
        updated_ms: 0,
    };
    store.insert_alert_rule(&rule, 0, "admin").unwrap();
    // Declaration 1 (AS-1, pending), for /declarations/{id}.
    let d = lantian_store::declarations::DeclarationRow {
        id: 0,
        enterprise_id: "AS".into(),
        outlets: vec!["AS-1".into()],
        kind: lantian_core::declaration::Kind::Maintenance,
        start_ts: 0,
        end_ts: 3600,
        codes: vec![],
        reason: "例行检修".into(),
        state: lantian_core::declaration::State::Pending,
        late_hours: None,
        declared_by: "e-as".into(),
        declared_ms: 0,
        reviewed_by: None,
        reviewed_ms: None,
        review_note: String::new(),
        updated_ms: 0,
    };
    store.add_declaration(&d).unwrap();
    let (cookie, csrf) = login(&app, "admin").await;
    let auth = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    // Task 1, for /tasks/{id}: a point in 王口镇.
    let task = serde_json::json!({ "source": "manual", "title": "t", "lat": 37.99, "lon": 115.40, "occurred_ms": 0 });
    assert_eq!(
        call(&app, "POST", "/api/v1/tasks", Some(task), &auth)
            .await
            .status,
        StatusCode::OK
    );
    // Site GD-1 and machine M-1, for /sites/{id} and /machinery/{id}.
    for (p, b) in [
        (
            "/api/v1/sites",
            serde_json::json!({ "id": "GD-1", "name": "t", "kind": "construction", "lat": 37.99, "lon": 115.40, "limit_ug_m3": 150 }),
        ),
        (
            "/api/v1/machinery",
            serde_json::json!({ "code": "M-1", "owner": "o", "kind": "挖掘机", "stage": "cn3" }),
        ),
    ] {
        assert_eq!(
            call(&app, "POST", p, Some(b), &auth).await.status,
            StatusCode::OK,
            "{p}"
        );
    }
    // Case 1 (by hand, fined and closed), which writes credit entry 1; 散乱污 entry 1.
    for (p, b) in [
        (
            "/api/v1/cases",
            serde_json::json!({ "title": "t", "violation": "data_falsification", "subject_kind": "enterprise", "subject_id": "AS", "summary": "s" }),
        ),
        (
            "/api/v1/cases/1/inspection",
            serde_json::json!({ "date": "2026-11-01", "inspectors": "i", "findings": "f" }),
        ),
        (
            "/api/v1/cases/1/decision",
            serde_json::json!({ "kind": "fine", "amount_yuan": 1000, "legal_basis": "b", "text": "t" }),
        ),
        ("/api/v1/cases/1/close", serde_json::json!({ "text": "t" })),
        (
            "/api/v1/sanluanwu",
            serde_json::json!({ "township": "王口镇", "name": "某塑料颗粒加工点" }),
        ),
    ] {
        let r = call(&app, "POST", p, Some(b), &auth).await;
        assert_eq!(r.status, StatusCode::OK, "{p}: {:?}", r.json());
    }
    // Report file 1 (the October 月报 as xlsx) and schedule 1.
    let made = call(
        &app,
        "POST",
        "/api/v1/reports/files",
        Some(serde_json::json!({ "kind": "monthly", "scope": "city", "period": "2026-10", "formats": "xlsx" })),
        &auth,
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.json());
    let scheduled = call(
        &app,
        "POST",
        "/api/v1/reports/schedules",
        Some(serde_json::json!({ "kind": "monthly", "scope": "city", "formats": "xlsx", "hour_cst": 8 })),
        &auth,
    )
    .await;
    assert_eq!(
        scheduled.status,
        StatusCode::CREATED,
        "{:?}",
        scheduled.json()
    );
    let saved = call(
        &app,
        "POST",
        "/api/v1/warnings/propose",
        Some(serde_json::json!({ "daily": [{ "date": "2026-11-09", "aqi": 250 }], "save": true })),
        &auth,
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.json());
    let list = call(&app, "GET", "/api/v1/warnings", None, &auth)
        .await
        .json();
    let warning = list["items"][0]["id"].to_string();
    assert!(warning.parse::<i64>().is_ok(), "a stored warning: {list}");
    let doc = call(&app, "GET", "/api/v1/openapi.json", None, &[])
        .await
        .json();
    let mut with_ids = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let has_id = path.contains('{');
            let uri = format!("/api/v1{}", real_id(path, &warning));
            let body = match method.as_str() {
                "post" => Some(serde_json::json!({})),
                "put" => Some(serde_json::json!([])),
                _ => None,
            };
            let r = if path == "/logout" {
                // Logging out ends a session: another one than the walk's.
                let (c, t) = login(&app, "admin").await;
                call(
                    &app,
                    "POST",
                    &uri,
                    body,
                    &[("cookie", &c), ("x-csrf-token", &t)],
                )
                .await
            } else {
                call(&app, &method.to_uppercase(), &uri, body, &auth).await
            };
            let text = String::from_utf8_lossy(&r.body);
            // A violation's evidence is looked up by its query; with none given it is a 400,
            // so a 404 here too would mean the route or the warning is not found.
            assert_ne!(r.status, StatusCode::NOT_FOUND, "{method} {uri}: {text}");
            assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
            if has_id && method == "get" {
                with_ids += 1;
                let missing = format!("/api/v1{}", path.replace("{id}", "no-such-id-404"));
                let r = call(&app, "GET", &missing, None, &auth).await;
                assert!(
                    matches!(r.status.as_u16(), 400 | 404),
                    "GET {missing}: {}",
                    r.status
                );
            }
        }
    }
    assert!(with_ids >= 10, "{with_ids} GET routes with an id");
}
