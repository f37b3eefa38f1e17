//! The specification's test vectors (§6.15; checklist §10 items 31–36).

use super::*;
use lantian_hj212::encode::{self, ExeRtn, QnRtn, Target};
use lantian_hj212::{
    Command, DataFlag, Deviation, Edition, Limits, Timestamp, Value, decode, decode_typed,
};

fn vectors() -> Vec<(String, String, Vec<u8>)> {
    let text = std::fs::read_to_string(crate_dir().join("test_data/spec_vectors.txt")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let mut c = l.splitn(3, '\t');
            let (name, verdict, frame) = (c.next().unwrap(), c.next().unwrap(), c.next().unwrap());
            let mut bytes = frame.as_bytes().to_vec();
            bytes.extend_from_slice(b"\r\n");
            (name.to_owned(), verdict.to_owned(), bytes)
        })
        .collect()
}

#[test]
fn every_spec_vector_gets_its_verdict() {
    let lim = Limits::default();
    for (name, verdict, frame) in vectors() {
        match (decode(&frame, &lim), verdict.as_str()) {
            (Ok(_), "ok") => {}
            (Err(e), kind) if kind != "ok" => assert_eq!(e.kind(), kind, "{name}: {e}"),
            (got, _) => panic!("{name}: expected {verdict}, got {got:?}"),
        }
    }
}

#[test]
fn accepted_vectors_have_their_values_parsed() {
    let lim = Limits::default();
    let v = vectors();
    let frame = |n: &str| v.iter().find(|x| x.0 == n).unwrap().2.clone();

    let f = frame("9241");
    let (p, typed) = decode_typed(&f, &lim).unwrap();
    assert_eq!(
        (p.st, p.cn, p.mn),
        ("22", Command::REALTIME_DATA, Some("JSRCTD000YD107"))
    );
    assert!(p.deviations.contains(Deviation::ShortMn));
    let o3 = typed
        .iter()
        .find(|t| t.code == Some("a05024") && t.name.ends_with("-Rtd"))
        .unwrap();
    assert_eq!(o3.value, Value::Number(8.82));
    let flag = typed.iter().find(|t| t.name == "a05024-Flag").unwrap();
    assert_eq!(flag.value, Value::Flag(DataFlag::Normal));
    assert_eq!(p.data_time, Timestamp::parse("20220928142812"));

    let f = frame("5140");
    let (p, typed) = decode_typed(&f, &lim).unwrap();
    assert_eq!(p.flag.map(|f| f.needs_ack()), Some(false));
    let cou = typed.iter().find(|t| t.name == "a00000-Cou").unwrap();
    assert_eq!(cou.value, Value::Number(12758.2462));
    let t = typed.iter().find(|t| t.name == "a01013-Min").unwrap();
    assert_eq!(t.value, Value::Number(-130.7116));

    let f = frame("FE41");
    let p = decode(&f, &lim).unwrap();
    assert!(
        p.deviations.contains(Deviation::MissingQn)
            && p.deviations.contains(Deviation::MissingFlag)
    );
    assert!(
        p.deviations.contains(Deviation::SuffixCase),
        "A18-flag is the Flag suffix in lower case"
    );
    assert_eq!(p.cp_value("A18-Avg"), Some("40.28"));

    let f = frame("A-lowercase");
    let p = decode(&f, &lim).unwrap();
    assert!(p.deviations.contains(Deviation::LowercaseCrc));
}

#[test]
fn rejected_vectors_name_the_reason_and_the_right_crc() {
    let lim = Limits::default();
    let v = vectors();
    let n1 = decode(&v.iter().find(|x| x.0 == "N1").unwrap().2, &lim).unwrap_err();
    assert_eq!(n1.to_string(), "crc mismatch: expected 2D00, found 1100");
    let n2 = decode(&v.iter().find(|x| x.0 == "N2").unwrap().2, &lim)
        .unwrap_err()
        .to_string();
    assert!(
        n2.starts_with("crc mismatch: expected FB41, found 2340"),
        "{n2}"
    );
    assert!(
        n2.contains("length field also disagrees: 181 declared, 183 bytes"),
        "{n2}"
    );
}

/// Checklist §10 item 36.
#[test]
fn upload_with_ack_flag_is_answered_with_9014_same_qn() {
    let seg = "QN=20160801085857223;ST=22;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&DataTime=20160801085800;a34004-Rtd=35,a34004-Flag=N&&";
    let frame = lantian_hj212::frame::wrap(seg.as_bytes());
    let p = decode(&frame, &Limits::default()).unwrap();
    assert!(p.needs_ack());
    let ack = encode::data_answer(&p, Edition::Hj212_2017);
    let expected =
        "QN=20160801085857223;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&";
    assert_eq!(expected.len(), 87);
    assert_eq!(ack, format!("##0087{expected}3240\r\n").into_bytes());

    let r = encode::request_answer(&p, QnRtn::Ready, Edition::Hj212_2017);
    let r = decode(&r, &Limits::default()).unwrap();
    assert_eq!((r.cn.0, r.qn, r.cp), (9011, p.qn, "QnRtn=1"));
    let r = encode::execution_result(&p, ExeRtn::Success, Edition::Hj212_2017);
    assert_eq!(decode(&r, &Limits::default()).unwrap().cp, "ExeRtn=1");
    let r = encode::notice_answer(&p, Edition::Hj212_2017);
    assert_eq!(decode(&r, &Limits::default()).unwrap().cn.0, 9013);
}

#[test]
fn host_commands_encode_their_parameters_and_check_ranges() {
    let t = Target {
        st: "22",
        pw: "123456",
        mn: "010000A8900016F000169DC0",
        edition: Edition::Hj212_2017,
    };
    let qn = Timestamp::parse("20260101000000123").unwrap();
    let now = Timestamp::parse("20260101000001").unwrap();
    let lim = Limits::default();
    let check = |bytes: Vec<u8>, cn: u16, cp: &str| {
        let p = decode(&bytes, &lim).unwrap();
        assert_eq!(
            (p.cn.0, p.cp, p.qn, p.flag.unwrap().0),
            (cn, cp, Some("20260101000000123"), 5)
        );
    };
    check(
        encode::set_time(&t, qn, now),
        1012,
        "SystemTime=20260101000001",
    );
    check(encode::get_time(&t, qn), 1011, "");
    check(
        encode::set_rtd_interval(&t, qn, 30).unwrap(),
        1062,
        "RtdInterval=30",
    );
    check(encode::get_rtd_interval(&t, qn), 1061, "");
    check(
        encode::set_min_interval(&t, qn, 10).unwrap(),
        1064,
        "MinInterval=10",
    );
    check(encode::get_min_interval(&t, qn), 1063, "");
    check(
        encode::set_timeout_retry(&t, qn, 10, 3).unwrap(),
        1000,
        "OverTime=10;ReCount=3",
    );
    check(
        encode::history_request(&t, qn, Command::HOURLY_DATA, now, now).unwrap(),
        2061,
        "BeginTime=20260101000001;EndTime=20260101000001",
    );
    assert!(encode::set_rtd_interval(&t, qn, 29).is_err());
    assert!(encode::set_min_interval(&t, qn, 7).is_err());
    assert!(encode::set_timeout_retry(&t, qn, 100, 3).is_err());
    assert!(encode::history_request(&t, qn, Command(2011), now, now).is_err());
}

#[test]
fn tolerant_limits_accept_modbus_crc_and_record_it() {
    let seg = b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&";
    let mut frame = format!("##0101{}", std::str::from_utf8(seg).unwrap()).into_bytes();
    frame.extend_from_slice(b"0759\r\n");
    let strict = decode(&frame, &Limits::default()).unwrap_err();
    assert!(strict.to_string().contains("crc16-modbus crc"), "{strict}");
    let tolerant = Limits {
        accept_modbus_crc: true,
        ..Limits::default()
    };
    assert!(
        decode(&frame, &tolerant)
            .unwrap()
            .deviations
            .contains(Deviation::ModbusCrc)
    );
}
