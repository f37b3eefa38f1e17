//! The header rules that keep what is accepted unambiguous: each header field once, no
//! control character anywhere in the segment, and the data area opened only by a field that
//! starts with `CP=&&` (as the decoder, the SM4 split and the gateway read it).

use lantian_hj212::frame::wrap;
use lantian_hj212::packet::cp_at;
use lantian_hj212::{Limits, decode};

const HEAD: &str = "QN=20261201080000000;ST=22;CN=2061;PW=123456;MN=AAA;Flag=5;";

#[test]
fn a_header_field_twice_or_a_control_character_is_refused_naming_it() {
    // (segment, Ok(MN) or the words the error must contain)
    let cases: [(String, Result<&str, &[&str]>); 6] = [
        (format!("{HEAD}CP=&&a34004-Avg=5&&"), Ok("AAA")),
        (
            format!("{HEAD}MN=BBB;CP=&&a34004-Avg=5&&"),
            Err(&["MN", "given twice"]),
        ),
        (
            "QN=1;QN=2;ST=22;CN=2061;PW=1;MN=AAA;CP=&&&&".to_owned(),
            Err(&["QN", "given twice"]),
        ),
        (
            format!("{HEAD}CP=&&a34004-Avg=5\r\n##0101QN=1;MN=VICTIM&&"),
            Err(&["0x0D", "control character"]),
        ),
        (
            format!("{HEAD}CP=&&i23005-Info=a\tb&&"),
            Err(&["0x09", "control character"]),
        ),
        // A `CP=&&` inside a value is not the area: the header goes on to the real one.
        (
            "QN=20261201080000000;X=CP=&&;ST=22;CN=2061;PW=123456;MN=AAA;Flag=5;CP=&&&&".to_owned(),
            Ok("AAA"),
        ),
    ];
    for (seg, want) in cases {
        let frame = wrap(seg.as_bytes());
        let got = decode(&frame, &Limits::default());
        match (want, got) {
            (Ok(mn), Ok(p)) => assert_eq!(p.mn, Some(mn), "{seg:?}"),
            (Err(words), Err(e)) => {
                let text = e.to_string();
                assert!(words.iter().all(|w| text.contains(w)), "{seg:?}: {text}");
            }
            (want, got) => panic!("{seg:?}: want {want:?}, got {got:?}"),
        }
    }
}

#[test]
fn the_area_opens_at_the_first_field_that_starts_with_cp() {
    for (seg, want) in [
        ("CP=&&&&", Some(0)),
        ("QN=1;CP=&&a=1&&", Some(5)),
        ("QN=1;X=CP=&&;CP=&&&&", Some(13)),
        ("X=CP=&&", None),
        ("QN=1;MN=2", None),
    ] {
        assert_eq!(cp_at(seg.as_bytes()), want, "{seg}");
    }
}
