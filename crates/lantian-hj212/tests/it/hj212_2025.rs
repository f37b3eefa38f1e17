//! HJ 212-2025: the Appendix A.2 SM4 vectors, both wire forms, framing of binary
//! ciphertext, RF=1, `-RawAvg`, the 2025 commands.
//!
//! The A.1/A.2 vectors are the standard's own as quoted by `Daidai52640/cems-data-pipeline`
//! (tests/protocol/hj212/test_vectors.json), which checks its codec against the official PDF:
//! key = sixteen 0x30 bytes.

use lantian_hj212::encode::{self, Header, Target};
use lantian_hj212::frame::{Check, check};
use lantian_hj212::sm4::{self, Key, Wire};
use lantian_hj212::{Command, Deviation, Edition, Flag, Limits, Suffix, Timestamp, decode};

const PLAIN_295: &str = "##0295QN=20240520210700000;ST=31;CN=2051;PW=123456;MN=010000A8900016F000169DC0;Flag=9;CP=&&DataTime=20240520210600;a01011-Min=1.35,a01011-Avg=1.35,a01011-Max=1.35,a01011-Flag=N;a01012-Min=9.3,a01012-Avg=9.3,a01012-Max=9.3,a01012-Flag=N;a01014-Min=3.20,a01014-Avg=3.211,a01014-Max=3.212,a01014-Flag=N&&2200\r\n";
const CIPHER_208: &str = "E43E159ACFAB242CB53155FB8B9281A1A242577ABFAED881BE88B72D69FC55ED1A80119FAAC8B3CD33D285CC76F57F2CA7F88B9573C6647E0F07E24609BD6B63EB20C5B9784F28E71D2F4994FF61D9E1C2B3075592B4D1E09C4D8BB27BE97B559E3DA6643781A6F477769DEEB009B10DFFF3426922725D607DC4480F0CAC5F70DB2587B124BCB281592721D6E4BC180A97E5E111499CBE822E31C8D7761553543AA24207C290997BBDE64F9266BC5F529A172E381C1D898CA1A0D771A914A7B2D7467C70B94F1D4A7B0350A48DBF8B41";
const PLAIN_234: &str = "##0234QN=20240520210700000;ST=31;CN=2051;PW=123456;MN=010000A8900016F000169DC0;Flag=9;CP=&&DataTime=20240520210600;a01011-Min=1.35,a01011-Avg=1.35,a01011-Max=1.35,a01011-Flag=N;a01014-Min=3.20,a01014-Avg=3.20,a01014-Max=3.20,a01014-Flag=N&&B541\r\n";
const CIPHER_144: &str = "E43E159ACFAB242CB53155FB8B9281A1A242577ABFAED881BE88B72D69FC55ED1A80119FAAC8B3CD33D285CC76F57F2CA7F88B9573C6647E0F07E24609BD6B63EB20C5B9784F28E71D2F4994FF61D9E13B391A1D2A454B65388D5D9435DBF021528C7BF9755EF16518710C0CAC0ADEF9C5156CD0A5A17674AC0ED2ABC40023E9EF70128554B82438E91ADCE98A0D03A4";
const A1: &str = "##0087QN=20240601085857223;ST=32;CN=1011;PW=123456;MN=010000A8900016F000169DC0;Flag=9;CP=&&&&2200\r\n";

fn test_key() -> Key {
    Key::from_bytes([0x30; 16])
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The data area (between `CP=&&` and the closing `&&`) of a frame.
fn area(frame: &[u8]) -> &[u8] {
    let cp = frame.windows(5).position(|w| w == b"CP=&&").unwrap() + 5;
    let body = frame.strip_suffix(b"\r\n").unwrap_or(frame);
    &body[cp..body.len() - 6]
}

#[test]
fn appendix_a2_vectors_encrypt_to_the_printed_ciphertext_and_back() {
    // (plaintext, encrypted hex, clear remainder, CRC of the plaintext)
    for (plain, cipher, clear, crc) in [
        (PLAIN_295, CIPHER_208, "", 0x2200),
        (PLAIN_234, CIPHER_144, "g=N", 0xB541),
    ] {
        let p = decode(plain.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(p.crc, crc, "the CRC is over the plaintext");
        assert_eq!(p.flag.map(Flag::edition), Some(Edition::Hj212_2025));
        let enc = sm4::encrypt_frame(plain.as_bytes(), &test_key(), Wire::Binary);
        let mut want = unhex(cipher);
        want.extend_from_slice(clear.as_bytes());
        assert_eq!(
            area(&enc),
            &want[..],
            "binary ciphertext of {}",
            &plain[..6]
        );
        assert_eq!(enc.len(), plain.len(), "binary wire keeps the length");
        assert_eq!(&enc[..6], &plain.as_bytes()[..6], "length field unchanged");
        assert!(
            decode(&enc, &Limits::default()).is_err(),
            "ciphertext is not readable as is"
        );
        let dec = sm4::decrypt_frame(&enc, &test_key(), Wire::Binary).unwrap();
        assert_eq!(dec, plain.as_bytes());
        // The printed form: `{0xE4,0x3E,…}` with the length field counting characters.
        let hex = sm4::encrypt_frame(plain.as_bytes(), &test_key(), Wire::HexText);
        let text = std::str::from_utf8(&hex).unwrap();
        assert!(text.contains("CP=&&{0xE4,0x3E,0x15,0x9A,"), "{text}");
        let declared: usize = text[2..6].parse().unwrap();
        assert_eq!(
            declared,
            hex.len() - 12,
            "hex-text length counts characters"
        );
        assert!(sm4::looks_hex_text(&hex));
        let back = sm4::decrypt_frame(&hex, &test_key(), Wire::HexText).unwrap();
        assert_eq!(back, plain.as_bytes());
    }
}

#[test]
fn a_wrong_key_shows_as_a_crc_mismatch_after_decryption() {
    let enc = sm4::encrypt_frame(PLAIN_295.as_bytes(), &test_key(), Wire::Binary);
    let wrong = Key::from_hex("8A1F03C2D94E7B665A0E11F3C8297D04").unwrap();
    let dec = sm4::decrypt_frame(&enc, &wrong, Wire::Binary).unwrap();
    let err = decode(&dec, &Limits::default()).unwrap_err();
    assert!(err.kind() == "crc" || err.kind() == "encoding", "{err}");
    // A malformed hex-text area is a specific sm4 error, not a panic.
    let bad = PLAIN_234.replace("CP=&&DataTime", "CP=&&{0xZZ}DataTime");
    let err = sm4::decrypt_frame(bad.as_bytes(), &test_key(), Wire::HexText).unwrap_err();
    assert_eq!(err.kind(), "sm4");
}

#[test]
fn appendix_a1_empty_area_is_unchanged_and_1011_is_not_encrypted() {
    assert!(!sm4::must_encrypt(Command(1011)));
    let enc = sm4::encrypt_frame(A1.as_bytes(), &test_key(), Wire::Binary);
    assert_eq!(enc, A1.as_bytes());
    assert_eq!(
        decode(A1.as_bytes(), &Limits::default()).unwrap().crc,
        0x2200
    );
}

/// A plaintext whose binary ciphertext holds CR LF and `&&`, found by trying DataTimes.
fn awkward_frame() -> (Vec<u8>, Vec<u8>) {
    let key = test_key();
    for minute in 0..6000u32 {
        let cp = format!(
            "DataTime=2026112{}{:06};a21026-Avg=12.5,a21026-Flag=N",
            minute % 10,
            minute
        );
        let h = Header {
            qn: Some("20261120100000000"),
            st: "31",
            cn: Command(2051),
            pw: Some("123456"),
            mn: Some("010000A8900016F000169DC0"),
            flag: Some(Flag(9)),
            pnum: None,
            pno: None,
            resend: false,
        };
        let plain = encode::encode(&h, &cp);
        let enc = sm4::encrypt_frame(&plain, &key, Wire::Binary);
        let a = area(&enc);
        let has = |n: &[u8]| a.windows(n.len()).any(|w| w == n);
        if has(b"\r\n") && (has(b"&&") || has(b"##")) {
            return (plain, enc);
        }
        if minute == 5999 {
            // Fall back to CR LF alone (still the case the framer must survive).
            for m in 0..6000u32 {
                let cp = format!("DataTime=20261120{m:06};a21026-Avg=1,a21026-Flag=N");
                let plain = encode::encode(&h, &cp);
                let enc = sm4::encrypt_frame(&plain, &key, Wire::Binary);
                if area(&enc).windows(2).any(|w| w == b"\r\n") {
                    return (plain, enc);
                }
            }
        }
    }
    panic!("no plaintext gives a ciphertext with CR LF");
}

#[test]
fn binary_ciphertext_with_cr_lf_and_ampersands_frames_by_its_length_at_every_cut() {
    let (plain, enc) = awkward_frame();
    let lim = Limits::default();
    assert!(area(&enc).windows(2).any(|w| w == b"\r\n"));
    let mut two = enc.clone();
    two.extend_from_slice(&enc);
    for cut in 0..enc.len() {
        assert_eq!(check(&enc[..cut], &lim), Check::Incomplete, "cut at {cut}");
    }
    assert_eq!(check(&enc, &lim), Check::Frame { len: enc.len() });
    assert_eq!(check(&two, &lim), Check::Frame { len: enc.len() });
    let dec = sm4::decrypt_frame(&enc, &test_key(), Wire::Binary).unwrap();
    assert_eq!(dec, plain);
    assert!(decode(&dec, &lim).is_ok());
}

#[test]
fn rf_1_marks_a_resend_is_encoded_before_cp_and_rf_0_is_live() {
    let h = Header {
        qn: Some("20261120100000000"),
        st: "31",
        cn: Command(2061),
        pw: Some("123456"),
        mn: Some("010000A8900016F000169DC0"),
        flag: Some(Flag(9)),
        pnum: None,
        pno: None,
        resend: true,
    };
    let f = encode::encode(&h, "DataTime=20261120090000;a21026-Avg=12.5,a21026-Flag=N");
    let text = String::from_utf8(f.clone()).unwrap();
    assert!(text.contains(";Flag=9;RF=1;CP=&&"), "{text}");
    let p = decode(&f, &Limits::default()).unwrap();
    assert!(p.resend);
    assert!(p.deviations.is_empty(), "{:?}", p.deviations);
    assert_eq!(p.encode(), f, "re-encoding keeps RF=1");
    let live = encode::encode(
        &Header {
            resend: false,
            ..h.clone()
        },
        "DataTime=20261120090000",
    );
    assert!(!decode(&live, &Limits::default()).unwrap().resend);
    let zero = String::from_utf8(f.clone())
        .unwrap()
        .replace("RF=1", "RF=0");
    let zero = lantian_hj212::frame::wrap(&zero.as_bytes()[6..zero.len() - 6]);
    let p = decode(&zero, &Limits::default()).unwrap();
    assert!(!p.resend);
    assert!(p.deviations.contains(Deviation::ResendZero));
    let two = String::from_utf8(f).unwrap().replace("RF=1", "RF=2");
    let two = lantian_hj212::frame::wrap(&two.as_bytes()[6..two.len() - 6]);
    let err = decode(&two, &Limits::default()).unwrap_err();
    assert!(err.to_string().contains("RF"), "{err}");
}

#[test]
fn raw_avg_is_a_numeric_standard_suffix() {
    let seg = "QN=20261120100000000;ST=31;CN=2051;PW=123456;MN=010000A8900016F000169DC0;Flag=8;CP=&&DataTime=20261120095900;a21026-Avg=12.5,a21026-RawAvg=13.1,a21026-Flag=N&&";
    let f = lantian_hj212::frame::wrap(seg.as_bytes());
    let p = decode(&f, &Limits::default()).unwrap();
    let raw = p
        .fields
        .iter()
        .find(|x| x.suffix == Suffix::RawAvg)
        .unwrap();
    assert_eq!((raw.code, raw.value), (Some("a21026"), "13.1"));
    assert!(raw.suffix.is_numeric());
    assert_eq!(raw.suffix.name(), "RawAvg");
    assert!(!p.deviations.contains(Deviation::VendorSuffix));
}

#[test]
fn the_2025_host_commands_carry_their_fields() {
    let t = Target {
        st: "31",
        pw: "123456",
        mn: "010000A8900016F000169DC0",
        edition: Edition::Hj212_2025,
    };
    let qn = Timestamp::parse("20261120100000").unwrap();
    let f = encode::set_mn(&t, qn, "0A0000A8900016F000169DC1", "LOGGER-7");
    let p = decode(&f, &Limits::default()).unwrap();
    assert_eq!(p.cn, Command::SET_MN_2025);
    assert_eq!(p.mn, Some("0A0000A8900016F000169DC1"));
    assert_eq!(p.cp_value(encode::LOGGER_ID_FIELD), Some("LOGGER-7"));
    assert_eq!(p.flag, Some(Flag(9)));
    let key = Key::from_hex("8A1F03C2D94E7B665A0E11F3C8297D04").unwrap();
    let f = encode::new_session_key(&t, qn, qn, &key.to_hex());
    let p = decode(&f, &Limits::default()).unwrap();
    assert_eq!(p.cn, Command::NEW_SESSION_KEY_2025);
    assert_eq!(
        p.cp_value("NewSK"),
        Some("8A1F03C2D94E7B665A0E11F3C8297D04")
    );
    assert_eq!(p.cp_value("SKCreateTime"), Some("20261120100000"));
    assert!(sm4::must_encrypt(p.cn));
    // Sealed, no byte of the key stays clear (SM4 leaves a last incomplete block as it is):
    // the clear remainder is the end of SKCreateTime.
    let sealed = sm4::encrypt_frame(&f, &test_key(), sm4::Wire::Binary);
    let a = area(&sealed);
    let clear_tail = &a[a.len() / 16 * 16..];
    assert!(
        !clear_tail.is_empty() && b"20261120100000".ends_with(clear_tail),
        "the clear remainder {clear_tail:?} is the end of SKCreateTime"
    );
    let hb = lantian_hj212::frame::wrap(
        b"QN=20261120100000000;ST=31;CN=9015;PW=123456;MN=010000A8900016F000169DC0;Flag=9;CP=&&&&",
    );
    let hb = decode(&hb, &Limits::default()).unwrap();
    let ans = encode::heartbeat_answer(&hb);
    let a = decode(&ans, &Limits::default()).unwrap();
    assert_eq!(
        (a.cn, a.qn, a.flag),
        (Command::NOTICE_ANSWER, hb.qn, Some(Flag(8)))
    );
}
