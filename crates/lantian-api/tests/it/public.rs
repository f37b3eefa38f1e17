//! Public endpoints: AQI now, series, assessment, rankings, targets, exports, the UI.

use super::*;

#[tokio::test]
async fn aqi_now_scores_the_city_from_assessment_stations_only() {
    let (app, _) = app("aqi");
    let r = call(&app, "GET", "/api/v1/aqi/now", None, &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    // City = CITY-1 only: PM2.5 40 → IAQI 50 + 50·5/25 = 60 under HJ 633-2026 (2026-11 data).
    assert_eq!(v["city"]["concentrations"]["pm25"], 40.0);
    assert_eq!(v["city"]["aqi"]["aqi"], 60);
    assert_eq!(v["city"]["aqi"]["category"], "良");
    assert_eq!(v["stations"].as_array().unwrap().len(), 3);
    let en = call(&app, "GET", "/api/v1/aqi/now?lang=en", None, &[])
        .await
        .json();
    assert_eq!(en["city"]["aqi"]["category"], "Good");
}

#[tokio::test]
async fn series_pages_and_exports() {
    let (app, _) = app("series");
    let v = call(
        &app,
        "GET",
        "/api/v1/stations/CITY-1/series?code=PM2.5&days=2",
        None,
        &[],
    )
    .await
    .json();
    assert_eq!(v["points"].as_array().unwrap().len(), 48);
    let d = call(
        &app,
        "GET",
        "/api/v1/stations/CITY-1/series?code=a34004&days=3&avg=day",
        None,
        &[],
    )
    .await
    .json();
    assert!(
        d["points"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["valid"] == true && p["value"] == 40.0),
        "{d}"
    );
    let csv = call(
        &app,
        "GET",
        "/api/v1/stations/CITY-1/series?code=a34004&days=2&format=csv",
        None,
        &[],
    )
    .await;
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    let text = String::from_utf8_lossy(&csv.body);
    assert_eq!(text.lines().count(), 49);
    assert!(
        text.starts_with("\u{feff}开始时间（北京时间）,时段（北京时间，按结束时刻）,浓度,"),
        "{}",
        text.lines().next().unwrap_or("")
    );
    // The first hour of the fixture starts at 2026-11-09 00:00 Beijing time, and is
    // labelled by its end.
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .starts_with("2026-11-09 00:00,2026-11-09 01:00,40"),
        "{text}"
    );
    let xlsx = call(&app, "GET", "/api/v1/units?format=xlsx", None, &[]).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.body.starts_with(b"PK"), "an xlsx file is a zip");
    let page = call(&app, "GET", "/api/v1/units?page=2&per_page=5", None, &[])
        .await
        .json();
    assert_eq!(
        (
            page["total"].as_u64(),
            page["items"].as_array().unwrap().len()
        ),
        (Some(38), 5)
    );
}

#[tokio::test]
async fn assessment_rankings_and_targets() {
    let (app, _) = app("assess");
    let a = call(
        &app,
        "GET",
        "/api/v1/assessment?scope=city&year=2026&month=11",
        None,
        &[],
    )
    .await
    .json();
    assert_eq!(a["assessment"]["rule_set"]["aqi"], "HJ 633-2026");
    let r = call(
        &app,
        "GET",
        "/api/v1/rankings?year=2026&month=11",
        None,
        &[],
    )
    .await
    .json();
    let items = r["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{r}");
    assert_eq!(
        items[0]["unit"], "xincheng",
        "the cleanest township ranks first"
    );
    assert_eq!(items[2]["unit"], "wangkou");
    assert_eq!(items[0]["rank"], 1);
    let t = call(&app, "GET", "/api/v1/targets", None, &[]).await.json();
    assert_eq!(t["year"], 2026);
    assert_eq!(t["target_pm25"], 35.0);
    assert_eq!(t["allowed"]["status"], "allowed");
}

#[tokio::test]
async fn bad_parameters_and_unknown_ids_get_4xx_with_a_message() {
    let (app, _) = app("bad");
    for (uri, status) in [
        ("/api/v1/stations/NOPE", StatusCode::NOT_FOUND),
        (
            "/api/v1/stations/CITY-1/series?code=xyz",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/stations/CITY-1/series?days=9999",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/stations/CITY-1/series?view=cooked",
            StatusCode::BAD_REQUEST,
        ),
        ("/api/v1/units?per_page=0", StatusCode::BAD_REQUEST),
        ("/api/v1/units?format=pdf", StatusCode::BAD_REQUEST),
        ("/api/v1/assessment?month=13", StatusCode::BAD_REQUEST),
        ("/api/v1/rankings?year=abc", StatusCode::BAD_REQUEST),
        ("/api/v1/nothing", StatusCode::NOT_FOUND),
    ] {
        let r = call(&app, "GET", uri, None, &[]).await;
        assert_eq!(
            r.status,
            status,
            "{uri}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert!(
            !String::from_utf8_lossy(&r.body).contains("panicked"),
            "{uri}"
        );
    }
    let big = "x".repeat(100_000);
    let r = call(
        &app,
        "POST",
        "/api/v1/login",
        Some(serde_json::json!({ "username": big, "password": "x" })),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn ui_openapi_and_metrics_are_served() {
    let (app, _) = app("ui");
    let r = call(&app, "GET", "/", None, &[]).await;
    assert!(String::from_utf8_lossy(&r.body).contains("蓝天"));
    assert_eq!(
        call(&app, "GET", "/vendor/leaflet/leaflet.js", None, &[])
            .await
            .status,
        StatusCode::OK
    );
    // Every ES module the UI imports is served, from main.js down.
    let mut todo = vec!["js/main.js".to_owned()];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(path) = todo.pop() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let r = call(&app, "GET", &format!("/{path}"), None, &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(
            r.headers["content-type"], "text/javascript; charset=utf-8",
            "{path}"
        );
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
        for line in String::from_utf8_lossy(&r.body).lines() {
            if let Some(rel) = line
                .split(" from '")
                .nth(1)
                .and_then(|x| x.split('\'').next())
            {
                let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
                for seg in rel.split('/') {
                    match seg {
                        "." => {}
                        ".." => {
                            parts.pop();
                        }
                        s => parts.push(s),
                    }
                }
                todo.push(parts.join("/"));
            }
        }
    }
    assert!(seen.len() >= 10, "{seen:?}");
    let g = call(&app, "GET", "/data/boundaries.geojson", None, &[])
        .await
        .json();
    assert_eq!(g["features"].as_array().unwrap().len(), 16);
    let doc = call(&app, "GET", "/api/v1/openapi.json", None, &[])
        .await
        .json();
    assert_eq!(doc["openapi"], "3.1.0");
    for (path, method) in [
        ("/aqi/now", "get"),
        ("/daily-aqi", "get"),
        ("/query", "get"),
        ("/ledger/{id}/correct", "post"),
        ("/ledger/{id}/evidence", "post"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{path} is documented"
        );
    }
    let params: Vec<&str> = doc["paths"]["/stations/{id}/series"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        params,
        ["id", "code", "days", "from", "to", "view", "avg", "format"]
    );
    let m = call(&app, "GET", "/metrics", None, &[]).await;
    assert!(String::from_utf8_lossy(&m.body).contains("lantian_gateway_acks_total"));
}

#[tokio::test]
async fn daily_aqi_of_the_city_and_today_on_the_overview() {
    let (app, _) = app("daily");
    let d = call(
        &app,
        "GET",
        "/api/v1/daily-aqi?scope=city&days=3",
        None,
        &[],
    )
    .await
    .json();
    let items = d["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    // 2026-11-09 has 23 valid hours of PM2.5 40, PM10 60, O3 60: IAQI 60, 58, 30 (HJ 633-2026).
    let day = items.iter().find(|x| x["date"] == "2026-11-09").unwrap();
    assert_eq!(
        (day["aqi"].as_u64(), day["primary"].as_str()),
        (Some(60), Some("PM2.5"))
    );
    let ten = items.iter().find(|x| x["date"] == "2026-11-10").unwrap();
    assert_eq!(
        ten["aqi"], 60,
        "2026-11-10 has hours 0..=23 from the second day"
    );
    assert_eq!(
        call(
            &app,
            "GET",
            "/api/v1/daily-aqi?scope=unit:nowhere",
            None,
            &[]
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let now = call(&app, "GET", "/api/v1/aqi/now", None, &[]).await.json();
    assert_eq!(now["today"]["date"], "2026-11-10");
}
