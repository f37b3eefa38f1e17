//! `lantian serve --demo`: twelve demo stations at Xinji's township seats, fed through the
//! real gateway by the device simulator from a real public data file shipped with Lantian
//! (UCI Beijing, CC BY 4.0; see demo/SOURCE.md), its times shifted to end now.

use anyhow::Result;
use lantian_core::Date;
use lantian_formats::{Diagnostics, long};
use lantian_gateway::client::{OutFrame, SendConfig, send};
use lantian_hj212::encode::{Header, encode};
use lantian_hj212::{Command, Flag};
use lantian_store::{Station, Store, seed::XINJI_UNITS};
use std::collections::BTreeMap;
use std::time::Duration;

const FEED: &[u8] = include_bytes!("../demo/beijing-prsa-last60d.csv.gz");
const PASSWORD: &str = "demo12";

/// A demo station: where it stands and which PRSA station it replays.
struct DemoStation {
    id: String,
    mn: String,
    name: String,
    unit: &'static str,
    role: &'static str,
    lat: f64,
    lon: f64,
    prsa: &'static str,
}

fn plan() -> Vec<DemoStation> {
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
    let units: Vec<_> = XINJI_UNITS.iter().filter(|u| u.0 != "devzone").collect();
    PRSA.iter()
        .enumerate()
        .map(|(i, prsa)| {
            let (unit, zh, _, _, lat, lon) = *units[i % units.len()];
            let role = if i < 2 { "assessment" } else { "township" };
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
                unit,
                role,
                lat,
                lon,
                prsa,
            }
        })
        .collect()
}

/// Registers the demo stations and their devices (idempotent).
pub fn register(store: &Store) -> Result<()> {
    for DemoStation {
        id,
        mn,
        name,
        unit,
        role,
        lat,
        lon,
        ..
    } in plan()
    {
        store.upsert_station(&Station {
            id: id.clone(),
            name,
            role: role.into(),
            admin_unit_id: Some(unit.into()),
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
            store.add_device(&mn, PASSWORD, &id, "2017", 0)?;
        }
    }
    Ok(())
}

/// Replays the feed to the gateway at `addr`, the last hour ending at `now_hour_start`
/// (CST seconds); returns (sent, acknowledged).
pub async fn feed(addr: String, now_hour_start: i64) -> Result<(u64, u64)> {
    let mut diag = Diagnostics::default();
    let records = long::read(flate2::read::GzDecoder::new(FEED), "demo feed", &mut diag)?;
    let mut by_station: BTreeMap<String, BTreeMap<i64, Vec<(String, f64)>>> = BTreeMap::new();
    for r in records {
        let start = r.date.days_since_epoch() * 86_400 + i64::from(r.hour) * 3600 - 3600;
        by_station
            .entry(r.station)
            .or_default()
            .entry(start)
            .or_default()
            .push((r.pollutant.hj212_code().to_owned(), r.value));
    }
    let last = by_station
        .values()
        .filter_map(|h| h.keys().max())
        .max()
        .copied()
        .unwrap_or(0);
    let shift = now_hour_start - last;
    let (mut sent, mut acked) = (0, 0);
    for DemoStation { id, mn, prsa, .. } in plan() {
        let Some(hours) = by_station.get(prsa) else {
            continue;
        };
        let frames: Vec<OutFrame> = hours
            .iter()
            .enumerate()
            .map(|(i, (start, values))| {
                let ts = start + shift;
                let d = Date::from_days_since_epoch(ts.div_euclid(86_400));
                let h = ts.rem_euclid(86_400) / 3600;
                let stamp = format!("{:04}{:02}{:02}{h:02}0000", d.year(), d.month(), d.day());
                let qn = format!("{stamp}{:03}", i % 1000);
                let items: Vec<String> = values
                    .iter()
                    .map(|(c, v)| format!("{c}-Avg={v},{c}-Flag=N"))
                    .collect();
                let header = Header {
                    qn: Some(&qn),
                    st: "22",
                    cn: Command::HOURLY_DATA,
                    pw: Some(PASSWORD),
                    mn: Some(&mn),
                    flag: Some(Flag(5)),
                    pnum: None,
                    pno: None,
                };
                OutFrame::new(encode(
                    &header,
                    &format!("DataTime={stamp};{}", items.join(";")),
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
