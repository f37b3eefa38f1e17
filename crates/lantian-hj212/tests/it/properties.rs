//! Property tests: encoding then decoding gives the packet back; no input makes the
//! decoder or the framer panic; split packets reassemble to what was split.

use lantian_hj212::encode::{Header, encode};
use lantian_hj212::split::{Reassembler, Reassembly, split};
use lantian_hj212::{Check, Command, Flag, Limits, check, decode, decode_typed};
use proptest::prelude::*;

fn code() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "a34004", "a34002", "a21026", "a21004", "a21005", "a05024", "a01001", "a19001", "SB1",
        "02", "B02",
    ])
    .prop_map(str::to_owned)
}

fn item() -> impl Strategy<Value = String> {
    (
        code(),
        0u32..100_000,
        0u32..4,
        prop::sample::select(vec!["N", "F", "M", "S", "D", "C", "T", "B"]),
    )
        .prop_map(|(c, v, dec, flag)| {
            let value = if dec == 0 {
                v.to_string()
            } else {
                format!("{}.{:0w$}", v / 100, v % 100, w = dec as usize)
            };
            format!("{c}-Rtd={value},{c}-Flag={flag}")
        })
}

prop_compose! {
    fn header()(
        qn in "[0-9]{17}",
        st in prop::sample::select(vec!["22", "31", "32", "39", "51"]),
        cn in prop::sample::select(vec![2011u16, 2051, 2061, 2031]),
        pw in "[0-9A-Za-z]{6}",
        mn in prop_oneof!["[0-9A-F]{24}", "[0-9A-Z]{10,20}"],
        flag in 0u8..=255,
    ) -> (String, String, u16, String, String, u8) {
        (qn, st.to_owned(), cn, pw, mn, flag & !2)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn encode_then_decode_gives_back_the_packet(h in header(), items in prop::collection::vec(item(), 0..12)) {
        let (qn, st, cn, pw, mn, flag) = h;
        let mut cp = "DataTime=20260101120000".to_owned();
        for i in &items {
            cp.push(';');
            cp.push_str(i);
        }
        let header = Header { qn: Some(&qn), st: &st, cn: Command(cn), pw: Some(&pw), mn: Some(&mn), flag: Some(Flag(flag)), pnum: None, pno: None, resend: false };
        let frame = encode(&header, &cp);
        let lim = Limits { segment_bytes_max: 4096, ..Limits::default() };
        let (p, typed) = decode_typed(&frame, &lim).unwrap();
        prop_assert_eq!(p.header(), header);
        prop_assert_eq!(p.cp, cp.as_str());
        prop_assert_eq!(typed.len(), 1 + 2 * items.len());
        prop_assert_eq!(p.encode(), frame);
    }

    #[test]
    fn decode_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = decode(&bytes, &Limits::default());
        let _ = decode_typed(&bytes, &Limits::default());
        let _ = check(&bytes, &Limits::default());
    }

    #[test]
    fn mutated_frames_are_rejected_or_decoded_never_panic(pos in 0usize..400, byte in any::<u8>(), h in header(), items in prop::collection::vec(item(), 1..6)) {
        let (qn, st, cn, pw, mn, flag) = h;
        let header = Header { qn: Some(&qn), st: &st, cn: Command(cn), pw: Some(&pw), mn: Some(&mn), flag: Some(Flag(flag)), pnum: None, pno: None, resend: false };
        let mut frame = encode(&header, &items.join(";"));
        let i = pos % frame.len();
        let changed = frame[i] != byte;
        frame[i] = byte;
        let r = decode(&frame, &Limits::default());
        // Any change inside the data segment must be caught by the CRC.
        if changed && i >= 6 && i < frame.len() - 6 {
            prop_assert!(r.is_err(), "byte {} changed and still accepted", i);
        }
    }

    #[test]
    fn stream_framing_finds_every_frame_whatever_the_chunking(n in 1usize..6, cut in 1usize..50, h in header()) {
        let (qn, st, cn, pw, mn, flag) = h;
        let header = Header { qn: Some(&qn), st: &st, cn: Command(cn), pw: Some(&pw), mn: Some(&mn), flag: Some(Flag(flag)), pnum: None, pno: None, resend: false };
        let one = encode(&header, "a34004-Rtd=1,a34004-Flag=N");
        let stream: Vec<u8> = std::iter::repeat_n(one.clone(), n).flatten().collect();
        let (mut buf, mut found) = (Vec::new(), 0);
        for chunk in stream.chunks(cut) {
            buf.extend_from_slice(chunk);
            loop {
                match check(&buf, &Limits::default()) {
                    Check::Incomplete => break,
                    Check::Frame { len } => {
                        prop_assert_eq!(&buf[..len], &one[..]);
                        buf.drain(..len);
                        found += 1;
                    }
                    Check::Invalid { .. } => prop_assert!(false, "valid stream reported invalid"),
                }
            }
        }
        prop_assert_eq!(found, n);
    }

    #[test]
    fn split_packets_reassemble_to_the_items(items in prop::collection::vec(item(), 1..60), max in 200usize..1024) {
        let header = Header { qn: None, st: "31", cn: Command(2061), pw: Some("123456"), mn: Some("88888880000001"), flag: Some(Flag(5)), pnum: None, pno: None, resend: false };
        let refs: Vec<&str> = items.iter().map(String::as_str).collect();
        let frames = split(&header, "DataTime=20260101120000", &refs, max, |i| format!("2026010112000{:04}", i));
        let mut r = Reassembler::default();
        let lim = Limits { segment_bytes_max: max.max(400), ..Limits::default() };
        let mut result = None;
        for (i, f) in frames.iter().enumerate() {
            let p = decode(f, &lim).unwrap();
            prop_assert!(p.flag.unwrap().is_split());
            match r.push(&p, 0) {
                Reassembly::Complete { fields, qns } => {
                    prop_assert_eq!(i + 1, frames.len());
                    prop_assert_eq!(qns.len(), frames.len());
                    result = Some(fields);
                }
                Reassembly::Pending { have, of } => prop_assert_eq!((have as usize, of as usize), (i + 1, frames.len())),
                other => prop_assert!(false, "unexpected {:?}", other),
            }
        }
        let fields = result.unwrap();
        let joined: Vec<String> = fields.iter().skip(1).map(|f| format!("{}={}", f.name, f.value)).collect();
        let expected: Vec<String> = items.iter().flat_map(|i| i.split(',').map(str::to_owned)).collect();
        prop_assert_eq!(joined, expected);
        prop_assert_eq!(r.pending_groups(), 0);
    }
}
