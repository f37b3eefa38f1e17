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
    // Every station is on the map by name and place; the public gets values only of the
    // published (assessment) one, an administrator of all three.
    let with_values = |v: &Value| -> Vec<String> {
        let list = v["stations"].as_array().unwrap();
        assert_eq!(list.len(), 3, "{v}");
        assert!(list.iter().all(|s| s["lat"].is_number()), "{v}");
        list.iter()
            .filter(|s| s["aqi"].is_object())
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(with_values(&v), ["CITY-1"]);
    let (admin, _) = login(&app, "admin").await;
    let all = call(&app, "GET", "/api/v1/aqi/now", None, &[("cookie", &admin)])
        .await
        .json();
    assert_eq!(with_values(&all), ["CITY-1", "T-WK", "T-XC"]);
    assert_eq!(
        all["city"], v["city"],
        "the city figure is the same for all"
    );
    let (wk, _) = login(&app, "wk").await;
    let own = call(&app, "GET", "/api/v1/aqi/now", None, &[("cookie", &wk)])
        .await
        .json();
    assert_eq!(with_values(&own), ["CITY-1", "T-WK"]);
    let again = call(&app, "GET", "/api/v1/aqi/now", None, &[]).await.json();
    assert_eq!(
        with_values(&again),
        ["CITY-1"],
        "no account's answer is cached for the public"
    );
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
        (Some(36), 5)
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
    assert_eq!(
        items.len(),
        16,
        "every town, township and the zone is listed: {r}"
    );
    let ranked: Vec<&Value> = items.iter().filter(|i| i["rank"].is_number()).collect();
    assert_eq!(ranked.len(), 3, "three units have stations: {r}");
    assert!(
        items[3..]
            .iter()
            .all(|i| i["rank"].is_null() && i["unranked"] == "no_station"),
        "units without a station come last, unranked, with the reason: {r}"
    );
    assert_eq!(
        items[0]["unit"], "xincheng",
        "the cleanest township ranks first"
    );
    assert_eq!(items[2]["unit"], "wangkou");
    assert_eq!(items[0]["rank"], 1);
    let t = call(&app, "GET", "/api/v1/targets", None, &[]).await.json();
    assert_eq!(t["year"], 2026);
    assert_eq!(t["target_pm25"], 35.0);
    assert_eq!(
        t["allowed"],
        Value::Null,
        "the verdict on the target is internal"
    );
    assert!(
        t["pm25_mean_so_far"].is_number(),
        "the city's mean is public"
    );
    let (admin, _) = login(&app, "admin").await;
    let t = call(&app, "GET", "/api/v1/targets", None, &[("cookie", &admin)])
        .await
        .json();
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
    let health = call(&app, "GET", "/healthz", None, &[]).await;
    assert_eq!(
        (
            health.status,
            String::from_utf8_lossy(&health.body).as_ref()
        ),
        (StatusCode::OK, "ok"),
        "nothing but ok"
    );
}

#[tokio::test]
async fn metrics_need_the_token_or_an_administrator_or_operations_session() {
    let (app, _) = app("metrics");
    let bearer = format!("Bearer {METRICS_TOKEN}");
    let wrong = format!("Bearer {METRICS_TOKEN}x");
    let (ops, _) = login(&app, "ops").await;
    let (admin, _) = login(&app, "admin").await;
    let (wk, _) = login(&app, "wk").await;
    for (who, headers, want) in [
        ("nobody", vec![], StatusCode::UNAUTHORIZED),
        (
            "a wrong token",
            vec![("authorization", wrong.as_str())],
            StatusCode::UNAUTHORIZED,
        ),
        (
            "no token",
            vec![("authorization", "Bearer ")],
            StatusCode::UNAUTHORIZED,
        ),
        (
            "a basic login",
            vec![("authorization", "Basic YWRtaW46eA==")],
            StatusCode::UNAUTHORIZED,
        ),
        (
            "a township",
            vec![("cookie", wk.as_str())],
            StatusCode::FORBIDDEN,
        ),
        (
            "the token",
            vec![("authorization", bearer.as_str())],
            StatusCode::OK,
        ),
        ("operations", vec![("cookie", ops.as_str())], StatusCode::OK),
        (
            "an administrator",
            vec![("cookie", admin.as_str())],
            StatusCode::OK,
        ),
    ] {
        let m = call(&app, "GET", "/metrics", None, &headers).await;
        assert_eq!(m.status, want, "{who}");
        assert_eq!(
            String::from_utf8_lossy(&m.body).contains("lantian_gateway_acks_total"),
            want == StatusCode::OK,
            "{who}"
        );
    }
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

#[tokio::test]
async fn formula_text_is_neutralised_in_csv_and_xlsx_exports_and_numbers_stay_numbers() {
    use calamine::{Data, Reader, Xlsx};
    let (app, _) = app("formula");
    let evil = r#"=HYPERLINK("http://x","y")"#;
    let r = call(
        &app,
        "POST",
        "/api/v1/login",
        Some(serde_json::json!({ "username": evil, "password": "wrong password" })),
        &[],
    )
    .await;
    assert!(
        r.status.is_client_error() && r.json()["error"]["message"].is_string(),
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let (admin, _) = login(&app, "admin").await;
    let csv = call(
        &app,
        "GET",
        "/api/v1/audit?format=csv",
        None,
        &[("cookie", &admin)],
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK);
    let text = String::from_utf8_lossy(&csv.body).into_owned();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let cells: Vec<String> = reader
        .records()
        .flat_map(|r| r.unwrap().iter().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    assert!(cells.iter().any(|c| *c == format!("'{evil}")), "{text}");
    assert!(!cells.iter().any(|c| c == evil), "{text}");
    let xlsx = call(
        &app,
        "GET",
        "/api/v1/audit?format=xlsx",
        None,
        &[("cookie", &admin)],
    )
    .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.body)).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let texts: Vec<String> = sheet
        .rows()
        .flatten()
        .filter_map(|c| match c {
            Data::String(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    assert!(texts.iter().any(|c| *c == format!("'{evil}")), "{texts:?}");
    assert!(!texts.iter().any(|c| c == evil), "{texts:?}");
    // Numbers stay number cells (never quoted text) in an xlsx export.
    let q = call(
        &app,
        "GET",
        "/api/v1/query?scope=city&period=day&from=2026-11-09&to=2026-11-09&format=xlsx",
        None,
        &[],
    )
    .await;
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(q.body)).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let row: Vec<&Data> = sheet.rows().nth(1).unwrap().iter().collect();
    assert!(
        row.iter()
            .any(|c| matches!(c, Data::Float(v) if (*v - 40.0).abs() < 1e-9)),
        "numbers are number cells: {row:?}"
    );
}

/// The UI's scripts (`web/js/**.js`) as (file, text).
fn ui_scripts() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut todo = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web/js")];
    while let Some(dir) = todo.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "js") {
                out.push((
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                ));
            }
        }
    }
    out
}

/// Fields that hold text a person or a county profile wrote (names, notes, messages).
const TEXT_FIELDS: &[&str] = &[
    "name",
    "name_zh",
    "name_en",
    "title",
    "text",
    "message",
    "note",
    "username",
    "industry",
    "problem",
    "detail",
    "reason",
    "doc_no",
    "plate",
    "unit_name",
    "enterprise_name",
    "measure",
    "advice",
    "category",
];

/// Whether `expr` reads one of [`TEXT_FIELDS`] (`x.name`, `f.properties.name_zh`).
fn reads_text_field(expr: &str) -> bool {
    expr.match_indices('.').any(|(i, _)| {
        let rest = &expr[i + 1..];
        let field: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        // Its length is a number.
        TEXT_FIELDS.contains(&field.as_str()) && !rest[field.len()..].starts_with(".length")
    })
}

#[test]
fn the_ui_puts_names_and_other_text_into_html_only_escaped() {
    let mut raw = Vec::new();
    let scripts = ui_scripts();
    assert!(scripts.len() >= 10, "the UI's scripts are read");
    for (file, text) in &scripts {
        for (n, line) in text.lines().enumerate() {
            // Every interpolation into markup that reads a text field escapes it.
            let mut rest = line;
            while let Some(i) = rest.find("${") {
                let body = &rest[i + 2..];
                let mut depth = 1;
                let end = body
                    .char_indices()
                    .find(|(_, c)| {
                        match c {
                            '{' => depth += 1,
                            '}' => depth -= 1,
                            _ => {}
                        }
                        depth == 0
                    })
                    .map_or(body.len(), |(j, _)| j);
                let expr = &body[..end];
                // Safe: escaped, percent-encoded, or an error's text (shown escaped).
                let safe = ["esc(", "encodeURIComponent("]
                    .iter()
                    .any(|f| expr.contains(f))
                    || line.contains("new Error(");
                if reads_text_field(expr) && !safe {
                    raw.push(format!("{file}:{}: ${{{expr}}}", n + 1));
                }
                rest = &body[end.min(body.len())..];
            }
            // Leaflet's tooltips and popups take HTML: their text is escaped or a template
            // whose parts the check above covers.
            for sink in [
                "bindTooltip(",
                "bindPopup(",
                "setContent(",
                "insertAdjacentHTML(",
            ] {
                for (i, _) in line.match_indices(sink) {
                    let arg = line[i + sink.len()..].trim_start();
                    if !(arg.starts_with("esc(") || arg.starts_with('`')) {
                        raw.push(format!("{file}:{}: {sink}{arg}", n + 1));
                    }
                }
            }
        }
    }
    assert!(
        raw.is_empty(),
        "text put into HTML unescaped:\n{}",
        raw.join("\n")
    );
}
