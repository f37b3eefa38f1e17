//! `lantian bench integrity`: the whole station rule library (`scan_stations`) over a month
//! of many stations' hourly data, synthesised deterministically with coordinates spread
//! over about a province, so that every station has neighbours as in a real network.

use anyhow::{Result, bail};
use lantian_core::Date;
use lantian_core::integrity::{Config, StationInput, scan_stations};
use lantian_core::pollutant::Pollutant;
use lantian_core::series::{HourlySeries, StationRole};
use serde_json::json;
use std::f64::consts::TAU;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Stations to synthesise.
    #[arg(long, default_value_t = 1500)]
    stations: usize,
    /// Days of hourly data per station.
    #[arg(long, default_value_t = 30)]
    days: usize,
    /// Seed of the synthesis.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// The area the stations are spread over (about Hebei: 6.6° × 6.3°, ~190,000 km²).
const LAT_SOUTH: f64 = 36.0;
const LAT_NORTH: f64 = 42.6;
const LON_WEST: f64 = 113.5;
const LON_EAST: f64 = 119.8;
/// Share of hours left missing, as real stations miss some.
const MISSING_SHARE: f64 = 0.02;

pub fn run(args: Args) -> Result<ExitCode> {
    if args.stations == 0 || args.days == 0 {
        bail!("--stations and --days must be at least 1");
    }
    let synth_started = Instant::now();
    let stations = synthesise(args.stations, args.days, args.seed);
    let synth_s = synth_started.elapsed().as_secs_f64();
    let ids: Vec<String> = (0..args.stations).map(|i| format!("S{i:05}")).collect();
    let inputs: Vec<StationInput<'_>> = stations
        .iter()
        .zip(&ids)
        .map(|(s, id)| StationInput {
            id,
            role: s.role,
            lat: s.lat,
            lon: s.lon,
            series: &s.series,
            flags: None,
            humidity_pct: Some(&s.humidity_pct),
            receipt_lag_s: None,
        })
        .collect();
    let values: usize = stations.iter().map(|s| s.series.count_values()).sum();
    let cfg = Config::default();
    let started = Instant::now();
    let alarms = scan_stations(&cfg, &inputs);
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({
            "bench": "integrity",
            "stations": args.stations,
            "days": args.days,
            "station_hours": args.stations * args.days * 24,
            "hourly_values": values,
            "alarms": alarms.len(),
            "seconds": seconds,
            "stations_per_s": args.stations as f64 / seconds,
            "hourly_values_per_s": values as f64 / seconds,
            "synthesis_seconds": synth_s,
        })
    );
    Ok(ExitCode::SUCCESS)
}

struct Synth {
    role: StationRole,
    lat: f64,
    lon: f64,
    series: HourlySeries,
    humidity_pct: Vec<f64>,
}

/// SplitMix64: deterministic and independent of any library's version.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Roughly normal (sum of uniforms), mean 0, standard deviation 1.
    fn normal(&mut self) -> f64 {
        ((0..6).map(|_| self.unit()).sum::<f64>() - 3.0) * std::f64::consts::SQRT_2
    }
}

/// Stations on a jittered grid; each hour a regional field (multi-day weather cycles that
/// travel across the area, a diurnal cycle) plus station noise; the gases and humidity
/// follow the same weather, so neighbours agree as they do in real data.
fn synthesise(n: usize, days: usize, seed: u64) -> Vec<Synth> {
    let mut rng = Rng(seed);
    let start = Date::new(2026, 1, 1).unwrap_or_else(|| unreachable!("a valid date"));
    let cols = (n as f64).sqrt().ceil() as usize;
    let rows = n.div_ceil(cols);
    (0..n)
        .map(|i| {
            let (r, c) = (i / cols, i % cols);
            let y = (r as f64 + rng.unit()) / rows as f64;
            let x = (c as f64 + rng.unit()) / cols as f64;
            let lat = LAT_SOUTH + y * (LAT_NORTH - LAT_SOUTH);
            let lon = LON_WEST + x * (LON_EAST - LON_WEST);
            let local = 0.7 + 0.6 * rng.unit();
            let mut series = HourlySeries::new(start, days);
            let mut humidity_pct = Vec::with_capacity(days * 24);
            for h in 0..days * 24 {
                let t = h as f64;
                // A weather system every ~5 days, arriving in the west first.
                let weather = (TAU * (t / 120.0 - 0.8 * x - 0.3 * y)).sin();
                let diurnal = (TAU * ((h % 24) as f64 - 8.0) / 24.0).sin();
                let pm25 = (local
                    * (70.0 + 45.0 * weather - 12.0 * diurnal)
                    * (1.0 + 0.12 * rng.normal()))
                .max(3.0);
                let vals = [
                    (Pollutant::Pm25, pm25),
                    (
                        Pollutant::Pm10,
                        pm25 * (1.5 + 0.15 * rng.normal()).max(1.05),
                    ),
                    (
                        Pollutant::So2,
                        (12.0 + 4.0 * weather + 2.0 * rng.normal()).max(2.0),
                    ),
                    (
                        Pollutant::No2,
                        (38.0 + 12.0 * weather + 10.0 * diurnal + 5.0 * rng.normal()).max(3.0),
                    ),
                    (
                        Pollutant::Co,
                        (1.0 + 0.4 * weather + 0.1 * rng.normal()).max(0.1),
                    ),
                    (
                        Pollutant::O3,
                        (40.0 - 15.0 * weather + 25.0 * (-diurnal) + 6.0 * rng.normal()).max(2.0),
                    ),
                ];
                for (p, v) in vals {
                    if rng.unit() >= MISSING_SHARE {
                        let v = if p == Pollutant::Co {
                            (v * 10.0).round() / 10.0
                        } else {
                            v.round()
                        };
                        series.values[p.index()][h] = v;
                    }
                }
                humidity_pct.push(
                    (55.0 + 20.0 * weather + 10.0 * diurnal + 4.0 * rng.normal()).clamp(10.0, 98.0),
                );
            }
            Synth {
                role: if i % 10 == 0 {
                    StationRole::Assessment
                } else {
                    StationRole::Township
                },
                lat,
                lon,
                series,
                humidity_pct,
            }
        })
        .collect()
}
