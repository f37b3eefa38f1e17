//! Criterion benchmark: hourly values per second through a full-year HJ 663 assessment of
//! station-years from the UCI Beijing files (one core).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lantian_core::assess::{AssessOptions, assess};
use lantian_core::series::{HourlySeries, daily_records, perturbed_copies};
use lantian_formats::{Diagnostics, prsa};
use std::hint::black_box;
use std::path::Path;

fn base() -> Vec<HourlySeries> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/beijing-prsa");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("the UCI Beijing files beside the project") {
        let path = entry.expect("a directory entry").path();
        if !path.to_string_lossy().ends_with(".csv") {
            continue;
        }
        let f = prsa::read(
            std::fs::File::open(&path).expect("readable"),
            "bench",
            None,
            &mut Diagnostics::default(),
        )
        .expect("a PRSA file");
        out.extend((2014..=2016).filter_map(|y| f.year_series(y)));
    }
    out
}

fn bench(c: &mut Criterion) {
    let series = perturbed_copies(&base(), 100);
    let values: usize = series.iter().map(HourlySeries::count_values).sum();
    let opts = AssessOptions::default();
    let mut g = c.benchmark_group("assess");
    g.throughput(Throughput::Elements(values as u64));
    g.sample_size(20);
    g.bench_function("100_station_years", |b| {
        b.iter(|| {
            for s in &series {
                black_box(assess(&daily_records(black_box(s)), &opts));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
