//! `lantian bench api`: requests per second and latency of the public "AQI now" and of a
//! station's 30-day time series, served by the real router over loopback, with a keep-alive
//! HTTP/1.1 load generator.

use anyhow::{Context, Result};
use lantian_app::{App, Clock, County};
use lantian_store::{Ingest, Observation, Period, Station, StationRole, Store};
use serde_json::json;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Seconds per endpoint.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let dir = std::env::temp_dir().join(format!("lantian-bench-api-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Arc::new(Store::open_data_dir(&dir)?);
    let county = Arc::new(County::xinji());
    county.install(&store, 0)?;
    let app = App::new(store.clone(), Clock::System, county, Some(dir.clone()));
    let last_hour = lantian_core::cst::hour_start(app.clock.now_cst()) - 3600;
    for i in 0..12 {
        let id = format!("S{i:02}");
        store.upsert_station(&Station {
            id: id.clone(),
            name: id.clone(),
            role: if i < 2 {
                StationRole::Assessment
            } else {
                StationRole::Township
            },
            admin_unit_id: Some("xinji".into()),
            lat: Some(37.9),
            lon: Some(115.2),
            pollutants: vec![],
            min_interval_min: 1,
            demo: false,
        })?;
        let obs: Vec<Observation> = (0..90 * 24)
            .flat_map(|h| {
                let id = id.clone();
                ["a21026", "a21004", "a34002", "a21005", "a05024", "a34004"]
                    .into_iter()
                    .map(move |c| Observation {
                        station_id: id.as_str().into(),
                        code: c.into(),
                        period: Period::Hour,
                        ts: last_hour - h * 3600,
                        value: (h % 90) as f64,
                        flag: "N".into(),
                    })
            })
            .collect();
        store.commit_batch(&[Ingest {
            packet: None,
            observations: obs,
        }])?;
    }
    let last_day = lantian_core::cst::date_of(last_hour);
    let series_dates = format!(
        "/api/v1/stations/S03/series?code=a34004&from={}&to={last_day}",
        last_day.add_days(-29)
    );
    let query_90d = format!(
        "/api/v1/query?scope=city&period=day&from={}&to={last_day}",
        last_day.add_days(-89)
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let out = rt.block_on(async move {
        let state =
            lantian_api::AppState::new(app, Arc::new(String::new), Arc::new(Default::default));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move { axum::serve(listener, lantian_api::router(state)).await });
        let mut results = serde_json::Map::new();
        for (name, path) in [
            ("aqi_now", "/api/v1/aqi/now"),
            (
                "series_30d",
                "/api/v1/stations/S03/series?code=a34004&days=30",
            ),
            // Not cached: the data path itself (store → hourly values → engine).
            ("series_30d_dates", series_dates.as_str()),
            ("query_city_day_90d", query_90d.as_str()),
        ] {
            let r = load(
                addr,
                path,
                a.connections,
                Duration::from_secs_f64(a.seconds),
            )
            .await?;
            results.insert(name.to_owned(), r);
        }
        anyhow::Ok(results)
    })?;
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{}",
        json!({ "bench": "api", "connections": a.connections, "results": out })
    );
    Ok(ExitCode::SUCCESS)
}

async fn load(
    addr: std::net::SocketAddr,
    path: &str,
    conns: usize,
    d: Duration,
) -> Result<serde_json::Value> {
    let deadline = Instant::now() + d;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..conns {
        let path = path.to_owned();
        tasks.spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await?;
            let (rd, mut wr) = stream.into_split();
            let mut rd = BufReader::new(rd);
            let mut lat = Vec::new();
            let mut errors = 0u64;
            let req = format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n");
            while Instant::now() < deadline {
                let t = Instant::now();
                wr.write_all(req.as_bytes()).await?;
                let mut status = String::new();
                rd.read_line(&mut status).await?;
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    rd.read_line(&mut line).await?;
                    if line == "\r\n" || line.is_empty() {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':')
                        && k.eq_ignore_ascii_case("content-length")
                    {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0u8; length];
                rd.read_exact(&mut body).await?;
                if !status.contains(" 200 ") {
                    errors += 1;
                }
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            anyhow::Ok((lat, errors))
        });
    }
    let started = Instant::now();
    let (mut all, mut errors) = (Vec::new(), 0);
    while let Some(r) = tasks.join_next().await {
        let (lat, e) = r.context("load task")??;
        all.extend(lat);
        errors += e;
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        all.get(((all.len().max(1) - 1) as f64 * p) as usize)
            .copied()
            .unwrap_or(0.0)
    };
    Ok(
        json!({ "requests": all.len(), "errors": errors, "requests_per_s": all.len() as f64 / secs, "latency_ms_p50": pct(0.5), "latency_ms_p99": pct(0.99) }),
    )
}
