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

#[tokio::test]
async fn every_documented_route_exists() {
    let (app, _) = app("routes");
    let doc = call(&app, "GET", "/api/v1/openapi.json", None, &[])
        .await
        .json();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let uri = format!("/api/v1{}", path.replace("{id}", "CITY-1"));
            let r = call(
                &app,
                &method.to_uppercase(),
                &uri,
                (method == "post").then(|| serde_json::json!({})),
                &[],
            )
            .await;
            assert!(
                r.status != StatusCode::NOT_FOUND || path.contains("{id}"),
                "{method} {path}: 404"
            );
            assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        }
    }
}
