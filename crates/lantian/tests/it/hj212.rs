//! `lantian hj212 decode`: one JSON object per packet line.

use super::*;
use serde_json::Value;

#[test]
fn decode_prints_one_json_object_per_packet_with_ok_and_error() {
    let f = shared("hj212-samples/packets.txt");
    let out = lantian(&["hj212", "decode", f.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 51);
    let ok = lines.iter().filter(|v| v["ok"] == true).count();
    assert_eq!(ok, 27);
    let first = &lines[0];
    assert_eq!(first["packet"]["cn"], 2061);
    assert_eq!(first["packet"]["st_name"], "ambient air quality");
    let line3 = &lines[2];
    assert_eq!(line3["ok"], false);
    assert!(line3["error"].as_str().unwrap().contains("crc"), "{line3}");
    let line15 = &lines[14];
    assert!(
        line15["error"].as_str().unwrap().contains("length"),
        "{line15}"
    );
}

#[test]
fn decode_reads_stdin_and_survives_garbage() {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lantian"))
        .args(["hj212", "decode", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n\xff\xfe garbage\n##9999\n\n";
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["packet"]["fields"][0]["value"], 30.0);
    assert_eq!(
        (lines[1]["ok"].clone(), lines[1]["error_kind"].clone()),
        (Value::Bool(false), Value::from("framing"))
    );
    assert_eq!(lines[2]["ok"], false);
}
