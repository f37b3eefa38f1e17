//! Encoding: packets, the replies a receiver owes (9011, 9012, 9013, 9014) and the host
//! commands of the first-connection set-up and of history requests.

use crate::codes::{Command, Edition, Flag};
use crate::frame::wrap;
use crate::packet::Packet;
use crate::time::Timestamp;
use std::fmt::Write as _;

/// The header of a packet to encode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    pub qn: Option<&'a str>,
    pub st: &'a str,
    pub cn: Command,
    pub pw: Option<&'a str>,
    pub mn: Option<&'a str>,
    pub flag: Option<Flag>,
    pub pnum: Option<u32>,
    pub pno: Option<u32>,
    /// Writes `RF=1;` before `CP` (HJ 212-2025: a resend of data sent before).
    pub resend: bool,
}

/// The data segment `QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;]CP=&&cp&&`.
pub fn segment(h: &Header<'_>, cp: &str) -> String {
    let mut s = String::with_capacity(96 + cp.len());
    if let Some(qn) = h.qn {
        let _ = write!(s, "QN={qn};");
    }
    let _ = write!(s, "ST={};CN={:04};", h.st, h.cn.0);
    if let Some(pw) = h.pw {
        let _ = write!(s, "PW={pw};");
    }
    if let Some(mn) = h.mn {
        let _ = write!(s, "MN={mn};");
    }
    if let Some(f) = h.flag {
        let _ = write!(s, "Flag={};", f.0);
    }
    if let (Some(num), Some(no)) = (h.pnum, h.pno) {
        let _ = write!(s, "PNUM={num};PNO={no};");
    }
    if h.resend {
        s.push_str("RF=1;");
    }
    let _ = write!(s, "CP=&&{cp}&&");
    s
}

/// A whole frame of `h` and `cp`.
pub fn encode(h: &Header<'_>, cp: &str) -> Vec<u8> {
    wrap(segment(h, cp).as_bytes())
}

/// A station's data upload that asks for an answer (Flag 5: HJ 212-2017 with A=1): `cn` is
/// 2011 (values sent as `-Rtd`) or 2051, 2061, 2031 (`-Avg`), each value flagged `N`.
pub fn data_upload(
    st: &str,
    cn: Command,
    qn: &str,
    pw: &str,
    mn: &str,
    data_time: &Timestamp,
    values: &[(&str, f64)],
) -> Vec<u8> {
    let suffix = if cn == Command::REALTIME_DATA {
        "Rtd"
    } else {
        "Avg"
    };
    let mut cp = format!("DataTime={}", data_time.n14());
    for (code, v) in values {
        let _ = write!(cp, ";{code}-{suffix}={v},{code}-Flag=N");
    }
    encode(
        &Header {
            qn: Some(qn),
            st,
            cn,
            pw: Some(pw),
            mn: Some(mn),
            flag: Some(Flag(5)),
            pnum: None,
            pno: None,
            resend: false,
        },
        &cp,
    )
}

impl Packet<'_> {
    /// The header of this packet.
    pub fn header(&self) -> Header<'_> {
        Header {
            qn: self.qn,
            st: self.st,
            cn: self.cn,
            pw: self.pw,
            mn: self.mn,
            flag: self.flag,
            pnum: self.pnum,
            pno: self.pno,
            resend: self.resend,
        }
    }

    /// Re-encodes the packet (header fields in the standard order; CP as received).
    pub fn encode(&self) -> Vec<u8> {
        encode(&self.header(), self.cp)
    }
}

/// `QnRtn` of a 9011 reply (HJ 212-2017 Table 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QnRtn {
    Ready = 1,
    Refused = 2,
    PasswordError = 3,
    MnError = 4,
    StError = 5,
    FlagError = 6,
    QnError = 7,
    CnError = 8,
    CrcError = 9,
    Unknown = 100,
}

/// `ExeRtn` of a 9012 reply (HJ 212-2017 Table 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExeRtn {
    Success = 1,
    Failed = 2,
    BadCondition = 3,
    Timeout = 4,
    Busy = 5,
    SystemFault = 6,
    NoData = 100,
}

/// The system code of replies (system interaction).
pub const ST_INTERACTION: &str = "91";

/// A reply to `req`: same QN, PW and MN, ST=91, Flag with no answer requested.
fn reply(req: &Packet<'_>, cn: Command, cp: &str, edition: Edition) -> Vec<u8> {
    encode(
        &Header {
            qn: req.qn,
            st: ST_INTERACTION,
            cn,
            pw: req.pw,
            mn: req.mn,
            flag: Some(Flag::new(edition, false, false)),
            pnum: None,
            pno: None,
            resend: false,
        },
        cp,
    )
}

/// 9014 data answer (`CP=&&&&`), the acknowledgement of an upload with Flag A=1. The
/// edition of replies is HJ 212-2017 unless the receiver configures otherwise (spec §9 Q6).
pub fn data_answer(req: &Packet<'_>, edition: Edition) -> Vec<u8> {
    reply(req, Command::DATA_ANSWER, "", edition)
}

/// 9011 request answer.
pub fn request_answer(req: &Packet<'_>, rtn: QnRtn, edition: Edition) -> Vec<u8> {
    reply(
        req,
        Command::REQUEST_ANSWER,
        &format!("QnRtn={}", rtn as u16),
        edition,
    )
}

/// 9012 execution result.
pub fn execution_result(req: &Packet<'_>, rtn: ExeRtn, edition: Edition) -> Vec<u8> {
    reply(
        req,
        Command::EXECUTION_RESULT,
        &format!("ExeRtn={}", rtn as u16),
        edition,
    )
}

/// 9013 notice answer.
pub fn notice_answer(req: &Packet<'_>, edition: Edition) -> Vec<u8> {
    reply(req, Command::NOTICE_ANSWER, "", edition)
}

/// The device a host command goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target<'a> {
    pub st: &'a str,
    pub pw: &'a str,
    pub mn: &'a str,
    pub edition: Edition,
}

/// A parameter outside the range the standard allows (HJ 212-2017 §6.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamError {
    pub name: &'static str,
    pub value: u32,
    pub allowed: &'static str,
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}={} is outside the allowed range {}",
            self.name, self.value, self.allowed
        )
    }
}

impl std::error::Error for ParamError {}

/// Allowed `MinInterval` values, minutes.
pub const MIN_INTERVALS_MIN: [u32; 11] = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30];
pub const RTD_INTERVAL_S_MIN: u32 = 30;
pub const RTD_INTERVAL_S_MAX: u32 = 3600;

/// A host request to `t`, Flag A=1, QN from the caller's clock.
pub fn command(t: &Target<'_>, qn: Timestamp, cn: Command, cp: &str) -> Vec<u8> {
    let qn = qn.qn();
    encode(
        &Header {
            qn: Some(&qn),
            st: t.st,
            cn,
            pw: Some(t.pw),
            mn: Some(t.mn),
            flag: Some(Flag::new(t.edition, false, true)),
            pnum: None,
            pno: None,
            resend: false,
        },
        cp,
    )
}

/// 1000: set the answer timeout (s) and retry count, each 1–99.
pub fn set_timeout_retry(
    t: &Target<'_>,
    qn: Timestamp,
    over_time_s: u32,
    re_count: u32,
) -> Result<Vec<u8>, ParamError> {
    for (name, v) in [("OverTime", over_time_s), ("ReCount", re_count)] {
        if !(1..=99).contains(&v) {
            return Err(ParamError {
                name,
                value: v,
                allowed: "1-99",
            });
        }
    }
    Ok(command(
        t,
        qn,
        Command::SET_TIMEOUT_RETRY,
        &format!("OverTime={over_time_s};ReCount={re_count}"),
    ))
}

/// 1011: get the field machine's time.
pub fn get_time(t: &Target<'_>, qn: Timestamp) -> Vec<u8> {
    command(t, qn, Command::GET_TIME, "")
}

/// 1012: set the field machine's time.
pub fn set_time(t: &Target<'_>, qn: Timestamp, system_time: Timestamp) -> Vec<u8> {
    command(
        t,
        qn,
        Command::SET_TIME,
        &format!("SystemTime={}", system_time.n14()),
    )
}

/// 1061: get the real-time data interval.
pub fn get_rtd_interval(t: &Target<'_>, qn: Timestamp) -> Vec<u8> {
    command(t, qn, Command::GET_RTD_INTERVAL, "")
}

/// 1062: set the real-time data interval, 30–3600 s.
pub fn set_rtd_interval(
    t: &Target<'_>,
    qn: Timestamp,
    seconds: u32,
) -> Result<Vec<u8>, ParamError> {
    if !(RTD_INTERVAL_S_MIN..=RTD_INTERVAL_S_MAX).contains(&seconds) {
        return Err(ParamError {
            name: "RtdInterval",
            value: seconds,
            allowed: "30-3600 s",
        });
    }
    Ok(command(
        t,
        qn,
        Command::SET_RTD_INTERVAL,
        &format!("RtdInterval={seconds}"),
    ))
}

/// 1063: get the minute-data interval.
pub fn get_min_interval(t: &Target<'_>, qn: Timestamp) -> Vec<u8> {
    command(t, qn, Command::GET_MIN_INTERVAL, "")
}

/// 1064: set the minute-data interval, one of 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 min.
pub fn set_min_interval(
    t: &Target<'_>,
    qn: Timestamp,
    minutes: u32,
) -> Result<Vec<u8>, ParamError> {
    if !MIN_INTERVALS_MIN.contains(&minutes) {
        return Err(ParamError {
            name: "MinInterval",
            value: minutes,
            allowed: "1,2,3,4,5,6,10,12,15,20,30 min",
        });
    }
    Ok(command(
        t,
        qn,
        Command::SET_MIN_INTERVAL,
        &format!("MinInterval={minutes}"),
    ))
}

/// 2031 / 2051 / 2061: request daily, minute or hourly history between two times.
pub fn history_request(
    t: &Target<'_>,
    qn: Timestamp,
    cn: Command,
    begin: Timestamp,
    end: Timestamp,
) -> Result<Vec<u8>, ParamError> {
    if !matches!(cn.0, 2031 | 2051 | 2061) {
        return Err(ParamError {
            name: "CN",
            value: u32::from(cn.0),
            allowed: "2031, 2051, 2061",
        });
    }
    Ok(command(
        t,
        qn,
        cn,
        &format!("BeginTime={};EndTime={}", begin.n14(), end.n14()),
    ))
}

/// 9013 answer to a 9015 heartbeat of HJ 212-2025 (the notice answer, in the edition of
/// the heartbeat).
pub fn heartbeat_answer(req: &Packet<'_>) -> Vec<u8> {
    let edition = req
        .flag
        .map_or(Edition::Hj212_2025, crate::codes::Flag::edition);
    notice_answer(req, edition)
}

/// The CP field of 1001/1002 naming the logger (its hardware serial, HJ 212-2025 as
/// `caoyiliang/HJ212` implements it: `i23005-Info` logger id, `i23006-Info` CPU id,
/// `i23007-Info`/`i23008-Info` MAC addresses).
pub const LOGGER_ID_FIELD: &str = "i23005-Info";

/// 1002 (HJ 212-2025): the host assigns `new_mn` to the logger named `logger_id` (from its
/// 1001). The header carries the new MN; the CP names the logger it is meant for.
pub fn set_mn(t: &Target<'_>, qn: Timestamp, new_mn: &str, logger_id: &str) -> Vec<u8> {
    command(
        &Target { mn: new_mn, ..*t },
        qn,
        Command::SET_MN_2025,
        &format!("{LOGGER_ID_FIELD}={logger_id}"),
    )
}

/// 1014 (HJ 212-2025): a new session key (32 hex digits) created at `created`. The frame
/// is clear text: the caller encrypts it with the CURRENT key ([`crate::sm4::encrypt_frame`]).
/// `NewSK` comes first so that the key lies inside whole 16-byte blocks: SM4 leaves the area's
/// last incomplete block clear, which then holds the end of `SKCreateTime`, not of the key.
pub fn new_session_key(
    t: &Target<'_>,
    qn: Timestamp,
    created: Timestamp,
    new_key_hex: &str,
) -> Vec<u8> {
    command(
        t,
        qn,
        Command::NEW_SESSION_KEY_2025,
        &format!("NewSK={new_key_hex};SKCreateTime={}", created.n14()),
    )
}
