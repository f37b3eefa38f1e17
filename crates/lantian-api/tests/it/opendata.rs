//! The open-data API (docs/open-data.md): the bulk files (CSV, and Parquet read back with
//! the `parquet` crate's reader) hold exactly the values the paged `hourly`/`daily` API
//! returns; a correction made through the integrity use case appears in the public
//! changelog and bumps the station-month's audit version; closing the month turns
//! `preliminary` into `audited`; a township station is absent from everything open.

use super::{DAY0, NOW_MS, Resp, call, login};
use axum::Router;
use axum::http::StatusCode;
use lantian_api::opendata_limit::Config;
use lantian_api::{AppState, router};
use lantian_app::opendata::{OpenValue, Status};
use lantian_app::opendata_bulk::{digest, read_parquet};
use lantian_app::opendata_keys::Limit;
use lantian_app::{App, Clock, County};
use lantian_core::pollutant::Pollutant;
use lantian_store::{
    Ingest, Observation, Period, Role, Station, StationRole, Store, User, password,
};
use serde_json::{Value, json};
use std::sync::Arc;

/// 2026-10-30 00:00 CST: three days of hours from here cross into November.
const FIRST: i64 = DAY0 - 11 * 86_400;
const HOURS: i64 = 72;

/// The planted value of a station's pollutant at hour `h` (not integers, so that the
/// files' number text is tested; within the shown decimals so that nothing rounds).
fn planted(station: usize, p: Pollutant, h: i64) -> f64 {
    let base = [40.0, 80.0][station];
    let v = base + (h % 24) as f64 * 1.5 + p.index() as f64 * 3.5;
    match p {
        Pollutant::Co => (v / 40.0 * 100.0).round() / 100.0,
        _ => v,
    }
}

fn open_app(tag: &str) -> Router {
    open_app_and_store(tag).0
}

fn open_app_and_store(tag: &str) -> (Router, Arc<Store>) {
    let dir = std::env::temp_dir().join(format!("lantian-api-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Arc::new(Store::open_data_dir(&dir).unwrap());
    let county = Arc::new(County::xinji());
    county.install(&store, 0).unwrap();
    let mut obs = Vec::new();
    for (i, (id, role, unit)) in [
        ("CITY-1", StationRole::Assessment, "xinji"),
        ("T-WK", StationRole::Township, "wangkou"),
    ]
    .into_iter()
    .enumerate()
    {
        store
            .upsert_station(&Station {
                id: id.into(),
                name: format!("{id} 站"),
                role,
                admin_unit_id: Some(unit.into()),
                lat: Some(37.9),
                lon: Some(115.2),
                pollutants: Pollutant::ALL
                    .iter()
                    .map(|p| p.hj212_code().into())
                    .collect(),
                min_interval_min: 1,
                demo: false,
            })
            .unwrap();
        for h in 0..HOURS {
            for p in Pollutant::ALL {
                obs.push(Observation {
                    station_id: id.into(),
                    code: p.hj212_code().into(),
                    period: Period::Hour,
                    ts: FIRST + h * 3600,
                    value: planted(i, p, h),
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
    store
        .add_user(&User {
            username: "lihua".into(),
            password_hash: password::hash("correct horse battery", password::Strength::Device),
            role: Role::Bureau,
            unit_id: None,
            must_change_password: false,
            created_ms: 0,
        })
        .unwrap();
    let app = App::new(
        store.clone(),
        Clock::Fixed { unix_ms: NOW_MS },
        county,
        Some(dir),
    );
    // The limits are the limiter's tests' (opendata_limits.rs); these tests read a lot.
    let many = Limit {
        per_hour: 100_000,
        burst: 10_000,
    };
    (
        router(
            AppState::new(app, Arc::new(String::new), Arc::new(Default::default)).with_open_limits(
                Config {
                    public: many,
                    ..Config::default()
                },
            ),
        ),
        store,
    )
}

async fn get(app: &Router, uri: &str) -> Resp {
    let r = call(app, "GET", uri, None, &[]).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{uri}: {}",
        String::from_utf8_lossy(&r.body)
    );
    r
}

/// Every page of an open list, following the `Link` header's `rel="next"`; checks that
/// the pages add up to `meta.total`.
async fn all_pages(app: &Router, first: &str) -> Vec<OpenValue> {
    let (mut out, mut next, mut total, mut pages) = (Vec::new(), Some(first.to_owned()), 0, 0);
    while let Some(uri) = next.take() {
        let r = get(app, &uri).await;
        let v = r.json();
        total = v["meta"]["total"].as_u64().unwrap() as usize;
        let link = r.headers.get("link").unwrap().to_str().unwrap().to_owned();
        let rows: Vec<OpenValue> = serde_json::from_value(v["results"].clone()).unwrap();
        out.extend(rows);
        next = link.split(", ").find_map(|l| {
            l.strip_suffix("; rel=\"next\"")
                .map(|u| u.trim_matches(|c| c == '<' || c == '>').to_owned())
        });
        assert_eq!(
            next,
            v["meta"]["next"].as_str().map(str::to_owned),
            "{link}"
        );
        pages += 1;
        assert!(pages < 100, "the pages end");
    }
    assert_eq!(out.len(), total, "pages of {first}");
    out
}

fn from_csv(body: &[u8]) -> Vec<OpenValue> {
    let mut r = csv::Reader::from_reader(body);
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        lantian_app::opendata_bulk::COLUMNS
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let opt = |i: usize| (!rec[i].is_empty()).then(|| rec[i].to_owned());
            OpenValue {
                station_id: rec[0].to_owned(),
                station_name: rec[1].to_owned(),
                time_bj: rec[2].to_owned(),
                pollutant: rec[3].to_owned(),
                value: opt(4).map(|v| v.parse().unwrap()),
                unit: rec[5].to_owned(),
                status: match &rec[6] {
                    "audited" => Status::Audited,
                    "preliminary" => Status::Preliminary,
                    other => panic!("status {other:?}"),
                },
                audit_version: rec[7].parse().unwrap(),
                flag: opt(8),
            }
        })
        .collect()
}

/// The API's rows of a station-month and both files of it agree, and the list's sizes and
/// digests are the files'.
async fn files_match_the_api(app: &Router, station: &str, month: &str, last_day: &str) {
    let list = get(app, &format!("/api/v1/open/bulk?month={month}"))
        .await
        .json();
    for kind in ["hourly", "daily"] {
        let q = if station == "all" {
            String::new()
        } else {
            format!("station={station}&")
        };
        let api = all_pages(
            app,
            &format!("/api/v1/open/{kind}?{q}from={month}-01&to={month}-{last_day}&per_page=100"),
        )
        .await;
        assert!(!api.is_empty(), "{station} {month} {kind}");
        for format in ["csv", "parquet"] {
            let path = format!("bulk/{station}/{month}/{kind}.{format}");
            let r = get(app, &format!("/api/v1/open/{path}")).await;
            let rows = match format {
                "csv" => from_csv(&r.body),
                _ => read_parquet(r.body.clone()).unwrap(),
            };
            assert_eq!(rows, api, "{path} holds the API's values");
            let listed = list["files"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["path"] == path)
                .unwrap_or_else(|| panic!("{path} listed: {list}"));
            assert_eq!(listed["sha256"], digest(&r.body), "{path}");
            assert_eq!(listed["bytes"], r.body.len(), "{path}");
            assert_eq!(listed["rows"], rows.len(), "{path}");
            assert_eq!(
                r.headers.get("etag").unwrap().to_str().unwrap(),
                format!("\"{}\"", digest(&r.body))
            );
        }
    }
}

#[tokio::test]
async fn bulk_files_hold_exactly_the_values_the_paged_api_returns() {
    let app = open_app("open-bulk");
    // October (two days) and November (one day) of the published station, and of all.
    for (station, month, last) in [
        ("CITY-1", "2026-10", "31"),
        ("CITY-1", "2026-11", "30"),
        ("all", "2026-10", "31"),
    ] {
        files_match_the_api(&app, station, month, last).await;
    }
    // The values are the planted ones, an hour by its end, Beijing time.
    let v = get(
        &app,
        "/api/v1/open/hourly?station=CITY-1&from=2026-10-30&to=2026-10-30&per_page=1000",
    )
    .await
    .json();
    let rows: Vec<OpenValue> = serde_json::from_value(v["results"].clone()).unwrap();
    assert_eq!(rows.len(), 24 * 6);
    for (i, r) in rows.iter().enumerate() {
        let (h, p) = (i as i64 / 6, Pollutant::ALL[i % 6]);
        assert_eq!(
            r.time_bj,
            format!(
                "2026-10-{}T{:02}:00:00+08:00",
                30 + (h + 1) / 24,
                (h + 1) % 24
            )
        );
        assert_eq!(
            (r.pollutant.as_str(), r.value),
            (p.name(), Some(planted(0, p, h))),
            "{r:?}"
        );
        assert_eq!(r.unit, p.standard_unit().symbol());
        assert_eq!(
            (r.status, r.audit_version, r.flag.as_deref()),
            (Status::Preliminary, 0, None)
        );
    }
    // Paging: 144 rows in pages of 50 are three pages with prev/next links.
    let p2 = get(
        &app,
        "/api/v1/open/hourly?station=CITY-1&from=2026-10-30&to=2026-10-30&per_page=50&page=2",
    )
    .await;
    let link = p2.headers.get("link").unwrap().to_str().unwrap();
    for want in [
        "page=1&per_page=50>; rel=\"prev\"",
        "page=3&per_page=50>; rel=\"next\"",
        "page=3&per_page=50>; rel=\"last\"",
    ] {
        assert!(link.contains(want), "{want} in {link}");
    }
    assert_eq!(p2.json()["meta"]["total"], 144);
    for bad in [
        "/api/v1/open/hourly?station=CITY-1&from=2026-10-01&to=2026-11-30",
        "/api/v1/open/hourly?station=CITY-1&from=2026-10-30&to=2026-10-30&per_page=1001",
        "/api/v1/open/hourly?station=CITY-1&from=2026-10-30&to=2026-10-30&page=0",
        "/api/v1/open/bulk/CITY-1/2026-13/hourly.csv",
    ] {
        assert_eq!(
            call(&app, "GET", bad, None, &[]).await.status,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    assert_eq!(
        call(
            &app,
            "GET",
            "/api/v1/open/bulk/CITY-1/2026-10/hourly.xlsx",
            None,
            &[]
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

/// Corrects (or invalidates) one hour of a station through the integrity route.
async fn correct(app: &Router, who: &(String, String), station: &str, body: Value) -> Resp {
    call(
        app,
        "POST",
        &format!("/api/v1/stations/{station}/corrections"),
        Some(body),
        &[("cookie", who.0.as_str()), ("x-csrf-token", who.1.as_str())],
    )
    .await
}

async fn month_rows(app: &Router, kind: &str, from: &str, to: &str) -> Vec<OpenValue> {
    all_pages(
        app,
        &format!("/api/v1/open/{kind}?station=CITY-1&from={from}&to={to}&per_page=1000"),
    )
    .await
}

#[tokio::test]
async fn corrections_are_logged_bump_the_version_and_a_closed_month_is_audited() {
    let app = open_app("open-audit");
    let bureau = login(&app, "lihua").await;
    // PM2.5 of the hour 09:00-10:00 on 30 October corrected, NO2 of the next invalidated,
    // and a township station's hour corrected (never public).
    for (station, body) in [
        (
            "CITY-1",
            json!({"pollutant": "PM2.5", "hour": "2026-10-30 10:00", "action": "correct", "value": 99.5, "reason_code": "calibration", "note": "零点漂移"}),
        ),
        (
            "CITY-1",
            json!({"pollutant": "NO2", "hour": "2026-10-30 11:00", "action": "invalidate", "reason_code": "instrument_fault"}),
        ),
        (
            "T-WK",
            json!({"pollutant": "PM2.5", "hour": "2026-10-30 10:00", "action": "correct", "value": 1.0, "reason_code": "outlier"}),
        ),
    ] {
        let r = correct(&app, &bureau, station, body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    }
    let hourly = month_rows(&app, "hourly", "2026-10-30", "2026-11-01").await;
    let at = |time: &str, p: &str| {
        hourly
            .iter()
            .find(|r| r.time_bj == time && r.pollutant == p)
            .unwrap_or_else(|| panic!("{time} {p}"))
            .clone()
    };
    let pm = at("2026-10-30T10:00:00+08:00", "PM2.5");
    assert_eq!(
        (pm.value, pm.flag.as_deref(), pm.audit_version),
        (Some(99.5), Some("corrected"), 2)
    );
    let no2 = at("2026-10-30T11:00:00+08:00", "NO2");
    assert_eq!(
        (no2.value, no2.flag.as_deref()),
        (None, Some("invalidated"))
    );
    // Every October value of the station carries version 2; November's are untouched.
    for r in &hourly {
        let october = r.time_bj.as_str() < "2026-11-01T01:00:00+08:00";
        assert_eq!(r.audit_version, if october { 2 } else { 0 }, "{r:?}");
        assert_eq!(r.status, Status::Preliminary);
    }
    // The day's PM2.5 mean uses the corrected hour; the day says a correction touched it.
    let daily = month_rows(&app, "daily", "2026-10-30", "2026-11-01").await;
    let day = daily
        .iter()
        .find(|r| r.time_bj == "2026-10-30T00:00:00+08:00" && r.pollutant == "PM2.5")
        .unwrap();
    let sum: f64 = (0..24)
        .map(|h| {
            if h == 9 {
                99.5
            } else {
                planted(0, Pollutant::Pm25, h)
            }
        })
        .sum();
    assert_eq!(
        day.value,
        lantian_app::present::concentration(Pollutant::Pm25, sum / 24.0)
    );
    assert_eq!(day.flag.as_deref(), Some("corrected"));
    let next_day = daily
        .iter()
        .find(|r| r.time_bj == "2026-10-31T00:00:00+08:00" && r.pollutant == "PM2.5")
        .unwrap();
    assert_eq!(next_day.flag, None);

    // The changelog: both public corrections with before and after, a role, never a name.
    let log = get(&app, "/api/v1/open/changelog").await;
    let text = String::from_utf8_lossy(&log.body).into_owned();
    assert!(!text.contains("lihua") && !text.contains("T-WK"), "{text}");
    let changes = log.json()["changes"].as_array().unwrap().clone();
    assert_eq!(changes.len(), 2, "{text}");
    let c = &changes[0];
    assert_eq!(c["station_id"], "CITY-1");
    assert_eq!(c["hour_bj"], "2026-10-30T10:00:00+08:00");
    assert_eq!(c["before"], planted(0, Pollutant::Pm25, 9));
    assert_eq!(c["after"], 99.5);
    assert_eq!(
        (c["reason_code"].as_str(), c["reason_zh"].as_str()),
        (Some("calibration"), Some("校准"))
    );
    assert_eq!(
        (c["by_role"].as_str(), c["by_role_zh"].as_str()),
        (Some("bureau"), Some("生态环境局"))
    );
    assert!(c["rule_set"].as_str().is_some_and(|s| !s.is_empty()), "{c}");
    assert_eq!(c["audit_version"], 1);
    assert_eq!(changes[1]["after"], Value::Null);
    assert_eq!(changes[1]["before"], planted(0, Pollutant::No2, 10));
    assert_eq!(changes[1]["audit_version"], 2);
    // A day without corrections has an empty log.
    let empty = get(&app, "/api/v1/open/changelog?from=2026-11-01&to=2026-11-09")
        .await
        .json();
    assert_eq!(empty["changes"], json!([]));

    // Closing October: its values become audited, November's stay preliminary.
    let close = call(
        &app,
        "POST",
        "/api/v1/audit-months/2026-10/close",
        Some(json!({})),
        &[
            ("cookie", bureau.0.as_str()),
            ("x-csrf-token", bureau.1.as_str()),
        ],
    )
    .await;
    assert_eq!(close.status, StatusCode::OK, "{}", close.json());
    for r in month_rows(&app, "hourly", "2026-10-30", "2026-11-01").await {
        let october = r.time_bj.as_str() < "2026-11-01T01:00:00+08:00";
        let want = if october {
            Status::Audited
        } else {
            Status::Preliminary
        };
        assert_eq!(r.status, want, "{r:?}");
    }
    let list = get(&app, "/api/v1/open/bulk?month=2026-10").await.json();
    for f in list["files"].as_array().unwrap() {
        assert_eq!(f["status"], "audited", "{f}");
    }
    files_match_the_api(&app, "CITY-1", "2026-10", "31").await;
}

#[tokio::test]
async fn a_township_station_is_absent_from_everything_open() {
    let app = open_app("open-township");
    let stations = get(&app, "/api/v1/open/stations").await.json();
    let ids: Vec<&str> = stations["stations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["CITY-1"]);
    for uri in [
        "/api/v1/open/hourly?station=T-WK&from=2026-10-30&to=2026-10-30",
        "/api/v1/open/daily?station=T-WK&from=2026-10-30&to=2026-10-30",
        "/api/v1/open/bulk/T-WK/2026-10/hourly.csv",
        "/api/v1/open/bulk/T-WK/2026-10/daily.parquet",
    ] {
        let r = call(&app, "GET", uri, None, &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
    }
    // Not in the all-stations answers and files either, even for a logged-in bureau.
    let bureau = login(&app, "lihua").await;
    for uri in [
        "/api/v1/open/hourly?from=2026-10-30&to=2026-11-01&per_page=1000",
        "/api/v1/open/daily?from=2026-10-30&to=2026-11-01",
        "/api/v1/open/bulk?month=2026-10",
        "/api/v1/open/bulk/all/2026-10/hourly.csv",
        "/api/v1/open/bulk/all/2026-10/daily.csv",
        "/api/v1/open/stations",
        "/api/v1/open/licence",
    ] {
        let r = call(&app, "GET", uri, None, &[("cookie", bureau.0.as_str())]).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        let text = String::from_utf8_lossy(&r.body);
        assert!(!text.contains("T-WK"), "{uri}: {text}");
    }
    let rows = read_parquet(
        get(&app, "/api/v1/open/bulk/all/2026-10/hourly.parquet")
            .await
            .body,
    )
    .unwrap();
    assert!(!rows.is_empty() && rows.iter().all(|r| r.station_id == "CITY-1"));
    // The licence names the county's bureau.
    let l = get(&app, "/api/v1/open/licence").await.json();
    assert_eq!(l["name"], "CC BY 4.0");
    assert!(
        l["attribution_zh"]
            .as_str()
            .unwrap()
            .contains("辛集市生态环境局"),
        "{l}"
    );
    // The bureau sets the county's own; the public may not.
    let body = json!({ "attribution_zh": "数据来源：辛集市生态环境局监测站" });
    let r = call(
        &app,
        "POST",
        "/api/v1/open/licence",
        Some(body.clone()),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let auth = [
        ("cookie", bureau.0.as_str()),
        ("x-csrf-token", bureau.1.as_str()),
    ];
    let r = call(
        &app,
        "POST",
        "/api/v1/open/licence",
        Some(json!({ "name": " " })),
        &auth,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "an empty name");
    let r = call(&app, "POST", "/api/v1/open/licence", Some(body), &auth).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    let l = get(&app, "/api/v1/open/licence").await.json();
    assert_eq!(
        (l["name"].as_str(), l["attribution_zh"].as_str()),
        (Some("CC BY 4.0"), Some("数据来源：辛集市生态环境局监测站"))
    );
}

/// Sizes and times of a month of ten published stations (printed; run on purpose).
#[tokio::test]
#[ignore = "a measurement: run it on purpose"]
async fn a_month_of_ten_stations_measured() {
    let dir = std::env::temp_dir().join(format!("lantian-api-{}-open-measure", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Arc::new(Store::open_data_dir(&dir).unwrap());
    let county = Arc::new(County::xinji());
    county.install(&store, 0).unwrap();
    // October 2026: 31 days from 2026-10-01 00:00 CST.
    let first = DAY0 - 40 * 86_400;
    let mut obs = Vec::new();
    for k in 0..10 {
        let id = format!("A-{k:02}");
        store
            .upsert_station(&Station {
                id: id.clone(),
                name: format!("{id} 站"),
                role: StationRole::Assessment,
                admin_unit_id: Some("xinji".into()),
                lat: None,
                lon: None,
                pollutants: Pollutant::ALL
                    .iter()
                    .map(|p| p.hj212_code().into())
                    .collect(),
                min_interval_min: 1,
                demo: false,
            })
            .unwrap();
        for h in 0..31 * 24 {
            for p in Pollutant::ALL {
                obs.push(Observation {
                    station_id: id.as_str().into(),
                    code: p.hj212_code().into(),
                    period: Period::Hour,
                    ts: first + h * 3600,
                    value: planted(0, p, h),
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
    let app = App::new(store, Clock::Fixed { unix_ms: NOW_MS }, county, Some(dir));
    let many = Limit {
        per_hour: 100_000,
        burst: 10_000,
    };
    let app = router(
        AppState::new(app, Arc::new(String::new), Arc::new(Default::default)).with_open_limits(
            Config {
                public: many,
                ..Config::default()
            },
        ),
    );
    let t = std::time::Instant::now();
    let list = get(&app, "/api/v1/open/bulk?month=2026-10").await.json();
    println!("bulk list of 2026-10 (44 files): {:?}", t.elapsed());
    for path in [
        "bulk/A-00/2026-10/hourly.csv",
        "bulk/A-00/2026-10/hourly.parquet",
        "bulk/all/2026-10/hourly.csv",
        "bulk/all/2026-10/hourly.parquet",
        "bulk/all/2026-10/daily.csv",
    ] {
        let t = std::time::Instant::now();
        let r = get(&app, &format!("/api/v1/open/{path}")).await;
        let f = list["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path)
            .unwrap();
        println!(
            "{path}: {} rows, {} bytes, {:?}",
            f["rows"],
            r.body.len(),
            t.elapsed()
        );
    }
    let t = std::time::Instant::now();
    get(
        &app,
        "/api/v1/open/hourly?from=2026-10-01&to=2026-10-31&per_page=1000",
    )
    .await;
    println!(
        "hourly API page of all stations over 31 days: {:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn demonstration_stations_keep_their_own_attribution() {
    let (app, store) = open_app_and_store("open-demo");
    let l = get(&app, "/api/v1/open/licence").await.json();
    assert_eq!(l["demo"], Value::Null, "no demo station: {l}");
    store
        .upsert_station(&Station {
            id: "UCI-DS".into(),
            name: "东四 (demo)".into(),
            role: StationRole::Background,
            admin_unit_id: Some("xinji".into()),
            lat: None,
            lon: None,
            pollutants: vec![],
            min_interval_min: 1,
            demo: true,
        })
        .unwrap();
    let l = get(&app, "/api/v1/open/licence").await.json();
    assert_eq!(l["demo"]["stations"], json!(["UCI-DS"]), "{l}");
    assert_eq!(l["demo"]["name"], "CC BY 4.0");
    assert!(
        l["demo"]["attribution"]
            .as_str()
            .unwrap()
            .contains("UCI Machine Learning Repository")
    );
    let stations = get(&app, "/api/v1/open/stations").await.json();
    let demo = stations["stations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "UCI-DS")
        .unwrap()
        .clone();
    assert_eq!(demo["demo"], true);
}
