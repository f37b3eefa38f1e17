//! API tests: `router().oneshot()` over a real SQLite store, no server.

#![allow(clippy::unwrap_used)]

mod access;
mod auth;
mod fuzz;
mod integrity;
mod ledger;
mod opendata;
mod opendata_limits;
mod paging;
mod public;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use lantian_api::{AppState, router};
use lantian_app::{App, Clock, County};
use lantian_store::{
    Ingest, Observation, Period, Role, Station, StationRole, Store, User, password,
};
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

/// 2026-11-10 12:00 CST.
pub const NOW_MS: i64 = (20_767 * 86_400 + 4 * 3600) * 1000;
pub const DAY0: i64 = 20_767 * 86_400; // 2026-11-10 00:00 CST

/// The bearer token `/metrics` accepts in these tests.
pub const METRICS_TOKEN: &str = "test-metrics-token-0123456789";

pub fn app(tag: &str) -> (Router, Arc<Store>) {
    let dir = std::env::temp_dir().join(format!("lantian-api-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Arc::new(Store::open_data_dir(&dir).unwrap());
    let county = Arc::new(County::xinji());
    county.install(&store, 0).unwrap();
    for (id, role, unit) in [
        ("CITY-1", StationRole::Assessment, "xinji"),
        ("T-WK", StationRole::Township, "wangkou"),
        ("T-XC", StationRole::Township, "xincheng"),
    ] {
        store
            .upsert_station(&Station {
                id: id.into(),
                name: format!("{id} 站"),
                role,
                admin_unit_id: Some(unit.into()),
                lat: Some(37.9),
                lon: Some(115.2),
                pollutants: vec!["a34004".into()],
                min_interval_min: 1,
                demo: false,
            })
            .unwrap();
    }
    let mut obs = Vec::new();
    for (id, base) in [("CITY-1", 40.0), ("T-WK", 80.0), ("T-XC", 20.0)] {
        for h in 0..48 {
            for (code, v) in [
                ("a34004", base),
                ("a34002", base * 1.5),
                ("a21026", 8.0),
                ("a21004", 30.0),
                ("a21005", 0.8),
                ("a05024", 60.0),
            ] {
                obs.push(Observation {
                    station_id: id.into(),
                    code: code.into(),
                    period: Period::Hour,
                    ts: DAY0 - 86_400 + h * 3600,
                    value: v,
                    flag: "N".into(),
                });
            }
        }
    }
    store
        .commit_batch(&[Ingest {
            packet: None,
            observations: obs,
        }])
        .unwrap();
    for (u, role, unit) in [
        ("admin", Role::Admin, None),
        ("wk", Role::Township, Some("wangkou")),
        ("ops", Role::Operations, None),
    ] {
        store
            .add_user(&User {
                username: u.into(),
                password_hash: password::hash("correct horse battery", password::Strength::Device),
                role,
                unit_id: unit.map(str::to_owned),
                must_change_password: false,
                created_ms: 0,
            })
            .unwrap();
    }
    let app = App::new(
        store.clone(),
        Clock::Fixed { unix_ms: NOW_MS },
        county,
        Some(dir.clone()),
    );
    let state = AppState::new(
        app,
        Arc::new(|| "lantian_gateway_acks_total 0\n".to_owned()),
        Arc::new(Default::default),
    )
    .with_metrics_token(Some(METRICS_TOKEN.to_owned()));
    (router(state), store)
}

#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

pub async fn call(
    app: &Router,
    method: &str,
    uri: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Resp {
    let mut b = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let req = match body {
        Some(v) => b
            .header("content-type", "application/json")
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    };
    let r = app.clone().oneshot(req).await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let body = r.into_body().collect().await.unwrap().to_bytes().to_vec();
    Resp {
        status,
        headers,
        body,
    }
}

/// Logs in; returns (cookie header value, CSRF token).
pub async fn login(app: &Router, user: &str) -> (String, String) {
    let r = call(
        app,
        "POST",
        "/api/v1/login",
        Some(serde_json::json!({ "username": user, "password": "correct horse battery" })),
        &[],
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let cookie = r
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Max-Age="),
        "{cookie}"
    );
    let token = cookie.split(';').next().unwrap().to_owned();
    (token, r.json()["user"]["csrf"].as_str().unwrap().to_owned())
}
