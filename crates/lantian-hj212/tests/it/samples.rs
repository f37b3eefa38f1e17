//! Every packet of `../shared/data/hj212-samples/packets.txt` against the verdict its
//! index implies (valid HJ 212 CRC and length: accepted; otherwise rejected for the CRC or
//! the length), and the full decoding of each as a golden file.

use super::*;
use lantian_hj212::{Limits, decode_typed};

/// The verdict of `packets_index.tsv`: `ok`, `crc` or `length`.
fn expected_verdicts() -> Vec<String> {
    let text = std::fs::read_to_string(shared("hj212-samples/packets_index.tsv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let (declared, actual, crc) = (c[4], c[5], c[6]);
            let length_ok = declared.parse::<usize>().unwrap() == actual.parse::<usize>().unwrap();
            match (crc.starts_with("hj212"), length_ok) {
                (true, true) => "ok",
                (false, _) => "crc",
                (true, false) => "length",
            }
            .to_owned()
        })
        .collect()
}

#[test]
fn every_sample_packet_gets_the_verdict_of_its_index() {
    let text = std::fs::read_to_string(shared("hj212-samples/packets.txt")).unwrap();
    let verdicts = expected_verdicts();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), verdicts.len());
    assert_eq!(lines.len(), 51);
    let lim = Limits::default();
    let mut golden = String::new();
    let mut accepted = 0;
    for (i, (line, want)) in lines.iter().zip(&verdicts).enumerate() {
        let got = decode_typed(line.as_bytes(), &lim);
        let verdict = match &got {
            Ok(_) => "ok",
            Err(e) => e.kind(),
        };
        assert_eq!(verdict, want, "line {}: {got:?}", i + 1);
        accepted += usize::from(got.is_ok());
        golden.push_str(&format!("{}\t{}\n", i + 1, describe(&got)));
    }
    assert_eq!(accepted, 27);
    check_golden("samples.golden", &golden);
}

fn describe(
    r: &Result<
        (
            lantian_hj212::Packet<'_>,
            Vec<lantian_hj212::TypedField<'_>>,
        ),
        lantian_hj212::DecodeError,
    >,
) -> String {
    match r {
        Err(e) => format!("rejected: {e}"),
        Ok((p, typed)) => {
            let dev: Vec<&str> = p.deviations.iter().map(|d| d.name()).collect();
            let values: Vec<String> = typed
                .iter()
                .map(|t| format!("{}={:?}", t.name, t.value))
                .collect();
            format!(
                "ok st={} cn={} edition={} ack={} qn={} mn={} deviations=[{}] fields=[{}]",
                p.st,
                p.cn.0,
                p.flag.map_or("none", |f| f.edition().name()),
                p.needs_ack(),
                p.qn.unwrap_or("-"),
                p.mn.unwrap_or("-"),
                dev.join(","),
                values.join("; ")
            )
        }
    }
}
