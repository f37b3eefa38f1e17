//! Fuzz target: framing, decoding and typing arbitrary bytes must never panic, and every
//! accepted packet must re-encode to a frame that decodes to the same header and CP area.

#![no_main]

use lantian_hj212::{Check, Limits, check, decode, decode_typed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let strict = Limits::default();
    let tolerant = Limits { segment_bytes_max: 4096, accept_length_mismatch: true, accept_modbus_crc: true };
    let mut buf = data;
    while !buf.is_empty() {
        match check(buf, &strict) {
            Check::Incomplete => break,
            Check::Frame { len } => {
                let _ = decode_typed(&buf[..len], &strict);
                buf = &buf[len..];
            }
            Check::Invalid { skip, .. } => {
                assert!(skip > 0 && skip <= buf.len(), "invalid must drop at least one byte");
                buf = &buf[skip..];
            }
        }
    }
    if let Ok(p) = decode(data, &tolerant) {
        let again = p.encode();
        let q = decode(&again, &tolerant).expect("a re-encoded packet decodes");
        assert_eq!(p.header(), q.header());
        assert_eq!(p.cp, q.cp);
    }
});
