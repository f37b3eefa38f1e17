//! `lantian bench hj212`: packets per second and MB/s of the HJ 212 codec on the real
//! sample packets, in two modes (frame + CRC + CP to fields; full typed decode), with the
//! ratio to a bare CRC pass over the same bytes in the same run: both Lantian's
//! slicing-by-8 CRC and the usual byte-at-a-time CRC.

use anyhow::{Context, Result, bail};
use lantian_hj212::crc::crc16_hj212_bytewise;
use lantian_hj212::{Limits, crc16_hj212, decode, decode_typed};
use serde_json::json;
use std::hint::black_box;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// One packet per line.
    #[arg(long, default_value = "../shared/data/hj212-samples/packets.txt")]
    packets: PathBuf,
    /// Seconds to run each mode.
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
}

/// Runs `f` over all frames repeatedly for about `d`; returns (frames processed, seconds).
fn measure(frames: &[Vec<u8>], d: Duration, mut f: impl FnMut(&[u8]) -> usize) -> (u64, f64) {
    let start = Instant::now();
    let mut n = 0u64;
    let mut sink = 0usize;
    while start.elapsed() < d {
        for fr in frames {
            sink = sink.wrapping_add(f(black_box(fr)));
        }
        n += frames.len() as u64;
    }
    black_box(sink);
    (n, start.elapsed().as_secs_f64())
}

pub fn run(args: Args) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&args.packets)
        .with_context(|| format!("{}: cannot read", args.packets.display()))?;
    let lim = Limits::default();
    let all: Vec<Vec<u8>> = text
        .lines()
        .map(|l| [l.trim_end().as_bytes(), b"\r\n"].concat())
        .collect();
    let valid: Vec<Vec<u8>> = all
        .iter()
        .filter(|f| decode(f, &lim).is_ok())
        .cloned()
        .collect();
    let ambient: Vec<Vec<u8>> = valid
        .iter()
        .filter(|f| decode(f, &lim).is_ok_and(|p| p.st == "22"))
        .cloned()
        .collect();
    if ambient.is_empty() {
        bail!(
            "{}: no valid ambient-station (ST=22) packets",
            args.packets.display()
        );
    }
    let d = Duration::from_secs_f64(args.seconds.max(0.1));
    let mut results = serde_json::Map::new();
    for (set, frames) in [("ambient", &ambient), ("all_valid", &valid)] {
        let bytes: usize = frames.iter().map(Vec::len).sum();
        let avg = bytes as f64 / frames.len() as f64;
        let crc = measure(frames, d, |f| usize::from(crc16_hj212(&f[6..f.len() - 6])));
        let crc_bytewise = measure(frames, d, |f| {
            usize::from(crc16_hj212_bytewise(&f[6..f.len() - 6]))
        });
        let fields = measure(frames, d, |f| decode(f, &lim).map_or(0, |p| p.fields.len()));
        let typed = measure(frames, d, |f| {
            decode_typed(f, &lim).map_or(0, |(_, t)| t.len())
        });
        let rate = |(n, s): (u64, f64)| n as f64 / s;
        let mb = |(n, s): (u64, f64)| n as f64 * avg / s / 1e6;
        results.insert(
            set.to_owned(),
            json!({
                "packets": frames.len(),
                "mean_frame_bytes": avg,
                "crc_packets_per_s": rate(crc),
                "crc_mb_per_s": mb(crc),
                "crc_bytewise_packets_per_s": rate(crc_bytewise),
                "crc_bytewise_mb_per_s": mb(crc_bytewise),
                "fields_packets_per_s": rate(fields),
                "fields_mb_per_s": mb(fields),
                "typed_packets_per_s": rate(typed),
                "typed_mb_per_s": mb(typed),
                "fields_time_vs_crc": rate(crc) / rate(fields),
                "typed_time_vs_crc": rate(crc) / rate(typed),
                "fields_time_vs_crc_bytewise": rate(crc_bytewise) / rate(fields),
                "typed_time_vs_crc_bytewise": rate(crc_bytewise) / rate(typed),
            }),
        );
    }
    println!(
        "{}",
        json!({ "bench": "hj212", "threads": 1, "results": results })
    );
    Ok(ExitCode::SUCCESS)
}
