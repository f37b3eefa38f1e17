//! Criterion benchmark of the store on SQLite: batched ingest of hourly values and reading
//! one station-year. (`lantian bench store` also measures PostgreSQL.)

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lantian_store::{Ingest, Observation, Period, Store, View};
use std::hint::black_box;

const CODES: [&str; 6] = ["a21026", "a21004", "a34002", "a21005", "a05024", "a34004"];

fn year(station: &str, start: i64) -> Vec<Ingest> {
    (0..8760)
        .map(|h| Ingest {
            packet: None,
            observations: CODES
                .iter()
                .map(|c| Observation {
                    station_id: station.into(),
                    code: (*c).into(),
                    period: Period::Hour,
                    ts: start + h * 3600,
                    value: (h % 50) as f64,
                    flag: "N".into(),
                })
                .collect(),
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("lantian-criterion-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Store::open_data_dir(&dir).expect("a store");
    let mut g = c.benchmark_group("store_sqlite");
    g.sample_size(10);
    g.throughput(Throughput::Elements(8760 * 6));
    let mut n = 0i64;
    g.bench_function("ingest_station_year_in_batches", |b| {
        b.iter(|| {
            n += 1;
            let data = year("S", n * 400 * 86_400);
            for chunk in data.chunks(2000) {
                store.commit_batch(chunk).expect("commit");
            }
        })
    });
    g.throughput(Throughput::Elements(8760));
    g.bench_function("read_station_year_one_code", |b| {
        b.iter(|| {
            black_box(
                store
                    .series(
                        "S",
                        "a34004",
                        Period::Hour,
                        400 * 86_400,
                        800 * 86_400,
                        View::Raw,
                    )
                    .expect("read"),
            )
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
