//! `lantian serve --demo`: twelve demo stations at the county's township seats (Xinji's by
//! default), fed through the real gateway by the device simulator from a real public data
//! file shipped with Lantian (UCI Beijing, CC BY 4.0; see demo/SOURCE.md), its times shifted
//! to end now.

use anyhow::Result;
use lantian_app::App;
use lantian_core::series::StationRole;
use lantian_formats::{Diagnostics, long};
use lantian_gateway::client::{OutFrame, SendConfig, send};
use lantian_gateway::mapping::timestamp;
use lantian_hj212::Command;
use lantian_hj212::encode::data_upload;
use lantian_store::Station;
use std::collections::BTreeMap;
use std::time::Duration;

const FEED: &[u8] = include_bytes!("../demo/beijing-prsa-last60d.csv.gz");
const PASSWORD: &str = "demo12";

/// A demo station: where it stands and which PRSA station it replays.
struct DemoStation {
    id: String,
    mn: String,
    name: String,
    unit: String,
    role: StationRole,
    lat: f64,
    lon: f64,
    prsa: &'static str,
}

fn plan(app: &App) -> Vec<DemoStation> {
    const PRSA: [&str; 12] = [
        "Dongsi",
        "Guanyuan",
        "Aotizhongxin",
        "Changping",
        "Dingling",
        "Gucheng",
        "Huairou",
        "Nongzhanguan",
        "Shunyi",
        "Tiantan",
        "Wanliu",
        "Wanshouxigong",
    ];
    let units = &app.county.units;
    let centre = app.county.profile.center;
    PRSA.iter()
        .enumerate()
        .map(|(i, prsa)| {
            let u = &units[i % units.len()];
            let (zh, lat, lon) = (
                &u.name_zh,
                u.lat.unwrap_or(centre.lat),
                u.lon.unwrap_or(centre.lon),
            );
            let role = if i < 2 {
                StationRole::Assessment
            } else {
                StationRole::Township
            };
            let id = format!("DEMO-{:02}", i + 1);
            let mn = format!("DEMO0000000000000000{:04}", i + 1);
            let name = if i < 2 {
                format!("演示·市监测点{}", i + 1)
            } else {
                format!("演示·{zh}站")
            };
            // Two assessment points near the city seat, the others at the township seats.
            let (lat, lon) = if i < 2 {
                (lat + 0.01 * i as f64, lon + 0.015)
            } else {
                (lat, lon)
            };
            DemoStation {
                id,
                mn,
                name,
                unit: u.id.clone(),
                role,
                lat,
                lon,
                prsa,
            }
        })
        .collect()
}

/// Registers the demo stations and their devices (idempotent).
pub fn register(app: &App) -> Result<()> {
    let store = &app.store;
    for DemoStation {
        id,
        mn,
        name,
        unit,
        role,
        lat,
        lon,
        ..
    } in plan(app)
    {
        store.upsert_station(&Station {
            id: id.clone(),
            name,
            role,
            admin_unit_id: Some(unit),
            lat: Some(lat),
            lon: Some(lon),
            pollutants: vec![
                "a21026".into(),
                "a21004".into(),
                "a34002".into(),
                "a21005".into(),
                "a05024".into(),
                "a34004".into(),
            ],
            min_interval_min: 1,
            demo: true,
        })?;
        if store.device(&mn)?.is_none() {
            store.add_device(&mn, PASSWORD, &id, "2017", app.clock.now_ms())?;
        }
    }
    Ok(())
}

/// Replays the feed to the gateway at `addr`, its last hour starting at `last_hour_start`
/// (CST seconds); returns (sent, acknowledged).
pub async fn feed(app: &App, addr: String, last_hour_start: i64) -> Result<(u64, u64)> {
    let mut diag = Diagnostics::default();
    let records = long::read(flate2::read::GzDecoder::new(FEED), "demo feed", &mut diag)?;
    let mut by_station: BTreeMap<String, BTreeMap<i64, Vec<(String, f64)>>> = BTreeMap::new();
    for r in records {
        by_station
            .entry(r.station)
            .or_default()
            .entry(r.start)
            .or_default()
            .push((r.pollutant.hj212_code().to_owned(), r.value));
    }
    let last = by_station
        .values()
        .filter_map(|h| h.keys().max())
        .max()
        .copied()
        .unwrap_or(0);
    let shift = last_hour_start - last;
    let (mut sent, mut acked) = (0, 0);
    for DemoStation { id, mn, prsa, .. } in plan(app) {
        let Some(hours) = by_station.get(prsa) else {
            continue;
        };
        let frames: Vec<OutFrame> = hours
            .iter()
            .enumerate()
            .map(|(i, (start, values))| {
                let t = timestamp(start + shift);
                let qn = format!("{}{:03}", t.n14(), i % 1000);
                let values: Vec<(&str, f64)> =
                    values.iter().map(|(c, v)| (c.as_str(), *v)).collect();
                OutFrame::new(data_upload(
                    "22",
                    Command::HOURLY_DATA,
                    &qn,
                    PASSWORD,
                    &mn,
                    &t,
                    &values,
                ))
            })
            .collect();
        let cfg = SendConfig {
            to: addr.clone(),
            connections: 1,
            rate_per_s: None,
            window: 64,
            ack_timeout: Duration::from_secs(60),
        };
        let r = send(frames, &cfg).await;
        sent += r.sent;
        acked += r.acked;
        tracing::info!(
            "demo station {id} ({prsa}): {} of {} packets acknowledged",
            r.acked,
            r.sent
        );
    }
    Ok((sent, acked))
}
