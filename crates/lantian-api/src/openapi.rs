//! The OpenAPI 3 document of `/api/v1/`, built from one table of routes.

use axum::Json;
use serde_json::{Value, json};

/// (method, path, summary, needs a session)
pub const ROUTES: &[(&str, &str, &str, bool)] = &[
    (
        "get",
        "/units",
        "Administrative units (towns, townships, zone). Paged; format=csv|xlsx.",
        false,
    ),
    (
        "get",
        "/stations",
        "Monitoring stations; details only for the caller's own. Paged; format=csv|xlsx.",
        false,
    ),
    (
        "post",
        "/stations",
        "Create or update a station (admin, bureau). CSRF token required.",
        true,
    ),
    ("get", "/stations/{id}", "One station.", false),
    (
        "get",
        "/stations/{id}/series",
        "Time series of one pollutant: code, days or from/to, view=raw|audited, avg=hour|day; format=csv|xlsx.",
        false,
    ),
    (
        "get",
        "/devices",
        "Devices with their gateway status (admin, bureau, operations). Paged; format=csv|xlsx.",
        true,
    ),
    (
        "get",
        "/aqi/now",
        "AQI now of the city and every station; lang=zh|en.",
        false,
    ),
    (
        "get",
        "/assessment",
        "HJ 663 assessment: scope=city|unit:{id}, year, month, rules=auto|2012|2026.",
        false,
    ),
    (
        "get",
        "/rankings",
        "Townships ranked by composite index for a month or year; format=csv|xlsx.",
        false,
    ),
    (
        "get",
        "/targets",
        "This year's PM2.5 against the target and the mean still allowed.",
        false,
    ),
    (
        "get",
        "/audit",
        "The audit log (admin, bureau). Paged; format=csv|xlsx.",
        true,
    ),
    (
        "post",
        "/login",
        "Log in: {username, password}; sets an HttpOnly SameSite cookie, returns the CSRF token.",
        false,
    ),
    ("post", "/logout", "Log out. CSRF token required.", true),
    ("get", "/me", "The logged-in user.", true),
    (
        "post",
        "/password",
        "Change one's password: {old, new}. CSRF token required.",
        true,
    ),
    (
        "post",
        "/users",
        "Create an account (admin): {username, password, role, unit}. CSRF token required.",
        true,
    ),
    (
        "get",
        "/ledger",
        "The measures ledger: category, unit, status, deadline_before filters; format=csv|xlsx (the 台账 layout).",
        false,
    ),
    (
        "get",
        "/ledger/{id}",
        "One measure with its history.",
        false,
    ),
    (
        "post",
        "/ledger/{id}/events",
        "Report progress, confirm, close (销号, with a reason) or reopen: {action, month, text}. Own unit's measures only. CSRF token required.",
        true,
    ),
    (
        "post",
        "/ledger/{id}/evidence",
        "Upload an evidence file (PDF, JPEG or PNG, at most 5 MiB) as the raw body; X-Filename names it. CSRF token required.",
        true,
    ),
    ("get", "/openapi.json", "This document.", false),
];

pub async fn document() -> Json<Value> {
    let mut paths = serde_json::Map::new();
    for (method, path, summary, auth) in ROUTES {
        let mut op = json!({
            "summary": summary,
            "responses": {
                "200": { "description": "OK" },
                "400": { "description": "Bad request", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                "404": { "description": "Not found" },
            }
        });
        if *auth {
            op["security"] = json!([{ "session": [] }]);
            op["responses"]["401"] = json!({ "description": "Login required" });
            op["responses"]["403"] = json!({ "description": "Forbidden (role or CSRF token)" });
        }
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        if !params.is_empty() {
            op["parameters"] = json!(params);
        }
        if *method == "post" {
            op["requestBody"] =
                json!({ "content": { "application/json": { "schema": { "type": "object" } } } });
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    Json(json!({
        "openapi": "3.0.3",
        "info": { "title": "Lantian (蓝天) API", "version": env!("CARGO_PKG_VERSION"), "description": "Air-quality supervision platform. Times are seconds since 1970-01-01T00:00 China Standard Time." },
        "servers": [{ "url": "/api/v1" }],
        "paths": paths,
        "components": {
            "securitySchemes": { "session": { "type": "apiKey", "in": "cookie", "name": "lantian_session" } },
            "schemas": { "Error": { "type": "object", "properties": { "error": { "type": "object", "properties": { "code": { "type": "string" }, "message": { "type": "string" } } } } } }
        }
    }))
}
