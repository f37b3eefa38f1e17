//! `lantian hj212 decode`: one HJ 212 packet per input line, one JSON object per output line.

use anyhow::{Context, Result};
use lantian_hj212::codes::{code_name, system_name};
use lantian_hj212::{Limits, Packet, TypedField, Value, decode_typed};
use serde_json::{Value as Json, json};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(Debug, clap::Subcommand)]
enum What {
    /// Decode packets, one per line (`##…CRC`, CR LF optional), from FILE or stdin (`-`).
    /// Each output line is `{"line":N,"ok":true,"packet":{…}}` or
    /// `{"line":N,"ok":false,"error":"crc mismatch: …","error_kind":"crc"}`.
    Decode(DecodeArgs),
}

#[derive(Debug, clap::Args)]
struct DecodeArgs {
    /// Input file; `-` or nothing reads standard input.
    file: Option<PathBuf>,
    /// Accept what real devices send beyond the standard: CRC-16/MODBUS, a wrong length
    /// field with a right CRC, data segments up to 4096 bytes (each recorded as a deviation).
    #[arg(long)]
    tolerant: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let What::Decode(a) = args.what;
    let reader: Box<dyn BufRead> = match a.file.as_deref() {
        None => Box::new(std::io::stdin().lock()),
        Some(p) if p.as_os_str() == "-" => Box::new(std::io::stdin().lock()),
        Some(p) => crate::input::open(p)?,
    };
    let limits = if a.tolerant {
        Limits {
            segment_bytes_max: 4096,
            accept_length_mismatch: true,
            accept_modbus_crc: true,
        }
    } else {
        Limits::default()
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (mut ok, mut rejected) = (0u64, 0u64);
    for (i, line) in reader.split(b'\n').enumerate() {
        let mut line = line.context("cannot read input")?;
        while line.last().is_some_and(|b| *b == b'\r' || *b == b'\n') {
            line.pop();
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        line.extend_from_slice(b"\r\n");
        let n = i + 1;
        let obj = match decode_typed(&line, &limits) {
            Ok((p, typed)) => {
                ok += 1;
                json!({ "line": n, "ok": true, "packet": packet_json(&p, &typed) })
            }
            Err(e) => {
                rejected += 1;
                json!({ "line": n, "ok": false, "error": e.to_string(), "error_kind": e.kind() })
            }
        };
        writeln!(out, "{obj}")?;
    }
    out.flush()?;
    eprintln!("lantian: {ok} packets decoded, {rejected} rejected");
    Ok(ExitCode::SUCCESS)
}

fn packet_json(p: &Packet<'_>, typed: &[TypedField<'_>]) -> Json {
    let fields: Vec<Json> = typed
        .iter()
        .map(|t| {
            let (kind, value) = match t.value {
                Value::Number(x) => ("number", json!(x)),
                Value::Flag(f) => ("flag", json!(f.letter().to_string())),
                Value::Time(ts) => ("time", json!(ts.to_string())),
                Value::Text(s) => ("text", json!(s)),
            };
            let raw_code = p
                .fields
                .iter()
                .find(|f| f.name == t.name)
                .and_then(|f| f.code);
            json!({
                "name": t.name,
                "code": raw_code,
                "code_2017": t.code,
                "code_name": t.code.and_then(code_name),
                "suffix": t.suffix.name(),
                "type": kind,
                "value": value,
            })
        })
        .collect();
    json!({
        "qn": p.qn,
        "st": p.st,
        "st_name": system_name(p.st),
        "cn": p.cn.0,
        "cn_name": p.cn.name(),
        "pw": p.pw,
        "mn": p.mn,
        "flag": p.flag.map(|f| f.0),
        "edition": p.flag.map(|f| f.edition().name()),
        "needs_ack": p.needs_ack(),
        "split": p.flag.is_some_and(|f| f.is_split()),
        "pnum": p.pnum,
        "pno": p.pno,
        "data_time": p.data_time.map(|t| t.to_string()),
        "crc": format!("{:04X}", p.crc),
        "crc_variant": p.crc_variant.name(),
        "segment_bytes": p.segment_len,
        "deviations": p.deviations.iter().map(|d| d.name()).collect::<Vec<_>>(),
        "fields": fields,
    })
}
