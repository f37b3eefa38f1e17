//! Criterion benchmark of the HJ 212 codec on the real sample packets: a bare CRC pass,
//! decoding to fields (frame + CRC + CP), and the full typed decode.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lantian_hj212::crc::crc16_hj212_bytewise;
use lantian_hj212::{Limits, crc16_hj212, decode, decode_typed};
use std::hint::black_box;

/// The ambient-station (ST=22) packets of the samples that decode, with CR LF.
fn packets() -> Vec<Vec<u8>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/hj212-samples/packets.txt"
    );
    let text = std::fs::read_to_string(path).expect("the sample packets beside the project");
    let lim = Limits::default();
    text.lines()
        .map(|l| [l.as_bytes(), b"\r\n"].concat())
        .filter(|f| decode(f, &lim).is_ok_and(|p| p.st == "22"))
        .collect()
}

fn bench(c: &mut Criterion) {
    let frames = packets();
    let bytes: usize = frames.iter().map(Vec::len).sum();
    let lim = Limits::default();
    let mut g = c.benchmark_group("hj212");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("crc_only", |b| {
        b.iter(|| {
            frames
                .iter()
                .map(|f| crc16_hj212(black_box(&f[6..f.len() - 6])))
                .fold(0u16, |a, c| a ^ c)
        })
    });
    g.bench_function("crc_bytewise", |b| {
        b.iter(|| {
            frames
                .iter()
                .map(|f| crc16_hj212_bytewise(black_box(&f[6..f.len() - 6])))
                .fold(0u16, |a, c| a ^ c)
        })
    });
    g.bench_function("decode_fields", |b| {
        b.iter(|| {
            frames
                .iter()
                .filter(|f| decode(black_box(f), &lim).is_ok())
                .count()
        })
    });
    g.bench_function("decode_typed", |b| {
        b.iter(|| {
            frames
                .iter()
                .filter(|f| decode_typed(black_box(f), &lim).is_ok())
                .count()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
