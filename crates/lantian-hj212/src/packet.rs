//! The data segment: header fields (QN, ST, CN, PW, MN, Flag, PNUM, PNO) and the CP area,
//! decoded without copying. Tolerated deviations are recorded; anything that cannot be
//! accepted is a [`DecodeError`] naming the field.

use crate::codes::{Command, Flag, code_name, is_2005_code, is_family_code, system_name};
use crate::crc::CrcVariant;
use crate::deviation::{Deviation, Deviations};
use crate::error::DecodeError;
use crate::frame::{self, Limits};
use crate::time::Timestamp;

/// The suffix of a CP field name (`a34004-Rtd` → [`Suffix::Rtd`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Suffix<'a> {
    /// A plain field such as `DataTime` or `QnRtn`.
    None,
    Rtd,
    Min,
    Avg,
    Max,
    /// `-RawAvg` (HJ 212-2025): the average before validity rules, kept beside `-Avg`.
    RawAvg,
    ZsRtd,
    ZsMin,
    ZsAvg,
    ZsMax,
    Cou,
    Flag,
    EFlag,
    SampleTime,
    /// `SBxxx-RS`: treatment facility status.
    Rs,
    /// `SBxxx-RT`: facility run time (h/day).
    Rt,
    Info,
    Sn,
    Data,
    DayData,
    NightData,
    /// A suffix the standard does not define, kept as sent (`ValidNum`, `TotalNum`, ...).
    Vendor(&'a str),
}

impl<'a> Suffix<'a> {
    const STANDARD: [(&'static str, Suffix<'static>); 20] = [
        ("Rtd", Suffix::Rtd),
        ("Min", Suffix::Min),
        ("Avg", Suffix::Avg),
        ("Max", Suffix::Max),
        ("RawAvg", Suffix::RawAvg),
        ("ZsRtd", Suffix::ZsRtd),
        ("ZsMin", Suffix::ZsMin),
        ("ZsAvg", Suffix::ZsAvg),
        ("ZsMax", Suffix::ZsMax),
        ("Cou", Suffix::Cou),
        ("Flag", Suffix::Flag),
        ("EFlag", Suffix::EFlag),
        ("SampleTime", Suffix::SampleTime),
        ("RS", Suffix::Rs),
        ("RT", Suffix::Rt),
        ("Info", Suffix::Info),
        ("SN", Suffix::Sn),
        ("Data", Suffix::Data),
        ("DayData", Suffix::DayData),
        ("NightData", Suffix::NightData),
    ];

    /// Parses a suffix; the second value is true when only its case was wrong.
    fn parse(s: &'a str) -> (Suffix<'a>, bool) {
        // Byte patterns compile to inline comparisons (string patterns call memcmp).
        let exact = match s.as_bytes() {
            b"Rtd" => Suffix::Rtd,
            b"Flag" => Suffix::Flag,
            b"Avg" => Suffix::Avg,
            b"Min" => Suffix::Min,
            b"Max" => Suffix::Max,
            b"RawAvg" => Suffix::RawAvg,
            b"Cou" => Suffix::Cou,
            b"ZsRtd" => Suffix::ZsRtd,
            b"ZsAvg" => Suffix::ZsAvg,
            b"ZsMin" => Suffix::ZsMin,
            b"ZsMax" => Suffix::ZsMax,
            b"EFlag" => Suffix::EFlag,
            b"SampleTime" => Suffix::SampleTime,
            b"RS" => Suffix::Rs,
            b"RT" => Suffix::Rt,
            b"Info" => Suffix::Info,
            b"SN" => Suffix::Sn,
            b"Data" => Suffix::Data,
            b"DayData" => Suffix::DayData,
            b"NightData" => Suffix::NightData,
            _ => Suffix::Vendor(s),
        };
        if !matches!(exact, Suffix::Vendor(_)) {
            return (exact, false);
        }
        match Self::STANDARD
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
        {
            Some((_, x)) => (*x, true),
            None => (Suffix::Vendor(s), false),
        }
    }

    pub fn name(self) -> &'a str {
        match self {
            Suffix::None => "",
            Suffix::Vendor(s) => s,
            other => Self::STANDARD
                .iter()
                .find(|(_, x)| *x == other)
                .map_or("", |(n, _)| n),
        }
    }

    /// Suffixes whose values are numbers.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            Suffix::Rtd
                | Suffix::Min
                | Suffix::Avg
                | Suffix::Max
                | Suffix::RawAvg
                | Suffix::ZsRtd
                | Suffix::ZsMin
                | Suffix::ZsAvg
                | Suffix::ZsMax
                | Suffix::Cou
                | Suffix::Rs
                | Suffix::Rt
                | Suffix::Data
                | Suffix::DayData
                | Suffix::NightData
        )
    }
}

/// One `name=value` of the CP area, with the index of its `;`-separated item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpField<'a> {
    pub item: u16,
    /// The name as sent (`a34004-Rtd`, `DataTime`).
    pub name: &'a str,
    /// The pollutant or facility code before the `-`, if any.
    pub code: Option<&'a str>,
    pub suffix: Suffix<'a>,
    pub value: &'a str,
}

/// A decoded packet, borrowing from the received bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Packet<'a> {
    pub qn: Option<&'a str>,
    pub st: &'a str,
    pub cn: Command,
    pub pw: Option<&'a str>,
    pub mn: Option<&'a str>,
    pub flag: Option<Flag>,
    pub pnum: Option<u32>,
    pub pno: Option<u32>,
    /// `RF=1` in the header (HJ 212-2025): the packet is a resend of data sent before.
    pub resend: bool,
    /// `DataTime` of the CP area, if present and valid.
    pub data_time: Option<Timestamp>,
    /// The CP area between `CP=&&` and the final `&&`.
    pub cp: &'a str,
    pub fields: Vec<CpField<'a>>,
    /// Header fields the standard does not define, in order.
    pub extra_header: Vec<(&'a str, &'a str)>,
    pub deviations: Deviations,
    pub crc: u16,
    pub crc_variant: CrcVariant,
    pub segment_len: usize,
}

impl<'a> Packet<'a> {
    pub fn needs_ack(&self) -> bool {
        self.flag.is_some_and(Flag::needs_ack)
    }

    /// The first field named `name` in the CP area.
    pub fn cp_value(&self, name: &str) -> Option<&'a str> {
        self.fields.iter().find(|f| f.name == name).map(|f| f.value)
    }
}

const HEADER_ORDER: [&str; 9] = ["QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO", "RF"];

/// Decodes a whole frame (with or without its CR LF).
pub fn decode<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Packet<'a>, DecodeError> {
    let frame = frame::open(bytes, limits)?;
    let segment = std::str::from_utf8(frame.segment).map_err(|e| DecodeError::NotText {
        offset: e.valid_up_to(),
    })?;
    let mut p = decode_segment(segment)?;
    p.crc = frame.crc;
    p.crc_variant = frame.crc_variant;
    if frame.crc_lowercase {
        p.deviations.insert(Deviation::LowercaseCrc);
    }
    if !frame.has_crlf {
        p.deviations.insert(Deviation::NoCrLf);
    }
    if frame.declared_len != frame.segment.len() {
        p.deviations.insert(Deviation::LengthMismatch);
    }
    if frame.crc_variant != CrcVariant::Hj212 {
        p.deviations.insert(Deviation::ModbusCrc);
    }
    Ok(p)
}

fn bad(name: &str, value: &str, reason: &'static str) -> DecodeError {
    DecodeError::BadField {
        name: name.to_owned(),
        value: value.chars().take(40).collect(),
        reason,
    }
}

fn positive(name: &str, v: &str) -> Result<u32, DecodeError> {
    v.parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| bad(name, v, "not a positive integer"))
}

/// Where the data area's `CP=&&` starts in a segment: at the first field that begins with it
/// (the segment's start or just after a `;`), as [`decode_segment`] reads the header. A
/// `CP=&&` inside another field's value (`X=CP=&&`) does not open the area.
pub fn cp_at(segment: &[u8]) -> Option<usize> {
    let mut start = 0;
    loop {
        if segment[start..].starts_with(b"CP=&&") {
            return Some(start);
        }
        start += segment[start..].iter().position(|&c| c == b';')? + 1;
    }
}

/// Decodes a data segment (the text between the length field and the CRC).
pub fn decode_segment(segment: &str) -> Result<Packet<'_>, DecodeError> {
    let b = segment.as_bytes();
    // A control character (CR, LF, NUL, …) is never part of a field: refused, so that no
    // value can hide a line or a frame of its own (what is forwarded upstream is what was
    // accepted here).
    if let Some(i) = b.iter().position(|&c| c < 0x20 || c == 0x7f) {
        return Err(bad(
            "segment",
            &format!("byte 0x{:02X} at offset {i}", b[i]),
            "control character inside the data segment",
        ));
    }
    let mut d = Deviations::default();
    let (mut qn, mut st, mut cn, mut pw, mut mn, mut flag, mut pnum, mut pno) =
        (None, None, None, None, None, None, None, None);
    let mut resend = false;
    let mut extra_header = Vec::new();
    let mut last_order = 0;
    // Header fields up to `CP=&&`, in one pass (`;` is ASCII, so offsets are char boundaries).
    let mut start = 0;
    let cp_at = loop {
        if b[start..].starts_with(b"CP=&&") {
            break start;
        }
        let Some(len) = b[start..].iter().position(|&c| c == b';') else {
            return Err(DecodeError::MissingField { name: "CP" });
        };
        let part = &segment[start..start + len];
        start += len + 1;
        if part.is_empty() {
            continue;
        }
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| bad(part, "", "header field without '='"))?;
        match HEADER_ORDER.iter().position(|n| *n == name) {
            Some(i) if i < last_order => d.insert(Deviation::FieldOrder),
            Some(i) => last_order = i,
            None => {}
        }
        let once = |slot: bool| {
            if slot {
                Err(bad(name, value, "header field given twice"))
            } else {
                Ok(value)
            }
        };
        match name {
            "QN" => qn = Some(once(qn.is_some())?),
            "ST" => st = Some(once(st.is_some())?),
            "CN" => cn = Some(once(cn.is_some())?),
            "PW" => pw = Some(once(pw.is_some())?),
            "MN" => mn = Some(once(mn.is_some())?),
            "Flag" => flag = Some(once(flag.is_some())?),
            "PNUM" => pnum = Some(positive(name, once(pnum.is_some())?)?),
            "PNO" => pno = Some(positive(name, once(pno.is_some())?)?),
            // HJ 212-2025 defines RF=1 only (a resend); RF=0 is read as live data.
            "RF" => match value {
                "1" => resend = true,
                "0" => d.insert(Deviation::ResendZero),
                _ => return Err(bad(name, value, "RF must be 1 (a resend) or absent")),
            },
            _ => {
                d.insert(Deviation::UnknownHeaderField);
                extra_header.push((name, value));
            }
        }
    };
    if segment.len() < cp_at + 7 {
        return Err(DecodeError::BadCp {
            reason: "CP=&& is not closed by &&",
        });
    }
    let cp = segment[cp_at + 5..]
        .strip_suffix("&&")
        .ok_or(DecodeError::BadCp {
            reason: "does not end with &&",
        })?;
    let st = st.ok_or(DecodeError::MissingField { name: "ST" })?;
    if st.is_empty() || st.len() > 3 || !st.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(bad("ST", st, "system code must be 1-3 letters or digits"));
    }
    if system_name(st).is_none() {
        d.insert(Deviation::UnknownSystem);
    }
    let cn_text = cn.ok_or(DecodeError::MissingField { name: "CN" })?;
    if cn_text.len() != 4 || !cn_text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("CN", cn_text, "command code must be 4 digits"));
    }
    let cn = Command(
        cn_text
            .parse()
            .map_err(|_| bad("CN", cn_text, "command code must be 4 digits"))?,
    );
    if cn.name().is_none() {
        d.insert(Deviation::UnknownCommand);
    }
    let flag = match flag {
        Some(f) => {
            Some(Flag(f.parse::<u8>().map_err(|_| {
                bad("Flag", f, "flag must be an integer 0-255")
            })?))
        }
        None => {
            d.insert(Deviation::MissingFlag);
            None
        }
    };
    if let (Some(num), Some(no)) = (pnum, pno)
        && no > num
    {
        return Err(bad("PNO", &no.to_string(), "packet number exceeds PNUM"));
    }
    match qn {
        None => d.insert(Deviation::MissingQn),
        Some(q) if q.len() != 17 || !q.bytes().all(|b| b.is_ascii_digit()) => {
            d.insert(Deviation::BadQn)
        }
        Some(_) => {}
    }
    match pw {
        None => d.insert(Deviation::MissingPw),
        Some("") => d.insert(Deviation::EmptyPw),
        Some(_) => {}
    }
    match mn {
        None => d.insert(Deviation::MissingMn),
        Some("") => d.insert(Deviation::EmptyMn),
        Some(m) if m.len() != 24 || !m.bytes().all(|b| b.is_ascii_hexdigit()) => {
            d.insert(Deviation::ShortMn)
        }
        Some(_) => {}
    }
    let (fields, data_time) = decode_cp(cp, &mut d)?;
    Ok(Packet {
        qn,
        st,
        cn,
        pw,
        mn,
        flag,
        pnum,
        pno,
        resend,
        data_time,
        cp,
        fields,
        extra_header,
        deviations: d,
        crc: 0,
        crc_variant: CrcVariant::Hj212,
        segment_len: segment.len(),
    })
}

/// One `name=value` field as found by the scanner: byte offsets into the CP text.
#[derive(Clone, Copy)]
struct Span {
    item: u16,
    start: usize,
    /// Position of the first `=`, if any.
    eq: Option<usize>,
    /// Position of the first `-` before the `=`, if any.
    dash: Option<usize>,
    end: usize,
}

/// Delimiter classes of the CP area: 1 `=`, 2 `-`, 3 `,`, 4 `;`, 0 anything else.
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'=' as usize] = 1;
    t[b'-' as usize] = 2;
    t[b',' as usize] = 3;
    t[b';' as usize] = 4;
    t
};

/// Calls `f` for each `,`/`;`-separated field of `text`, in one pass over the bytes.
fn scan_fields(
    text: &str,
    mut f: impl FnMut(Span) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    let b = text.as_bytes();
    let mut span = Span {
        item: 0,
        start: 0,
        eq: None,
        dash: None,
        end: 0,
    };
    let mut i = 0;
    loop {
        // The tight loop skips ordinary bytes; delimiters come every few bytes.
        while i < b.len() && CLASS[usize::from(b[i])] == 0 {
            i += 1;
        }
        let class = if i < b.len() {
            CLASS[usize::from(b[i])]
        } else {
            4
        };
        match class {
            1 if span.eq.is_none() => span.eq = Some(i),
            2 if span.eq.is_none() && span.dash.is_none() => span.dash = Some(i),
            3 | 4 => {
                span.end = i;
                f(span)?;
                if i >= b.len() {
                    return Ok(());
                }
                let item = span.item.saturating_add(u16::from(class == 4));
                span = Span {
                    item,
                    start: i + 1,
                    eq: None,
                    dash: None,
                    end: 0,
                };
            }
            _ => {}
        }
        i += 1;
    }
}

fn decode_cp<'a>(
    cp: &'a str,
    d: &mut Deviations,
) -> Result<(Vec<CpField<'a>>, Option<Timestamp>), DecodeError> {
    let mut fields = Vec::with_capacity(cp.len() / 16 + 1);
    let mut data_time = None;
    // Fields of one pollutant come together (`a34004-Rtd=…,a34004-Flag=…`): check each
    // code once.
    let mut last_code = "";
    // Delimiters are ASCII, so every offset below is a char boundary.
    scan_fields(cp, |sp| {
        if sp.start == sp.end {
            if !cp.is_empty() {
                d.insert(Deviation::EmptyCpItem);
            }
            return Ok(());
        }
        let f = &cp[sp.start..sp.end];
        let Some(eq) = sp.eq else {
            return Err(bad(f, "", "CP field without '='"));
        };
        let (name, value) = (&cp[sp.start..eq], &cp[eq + 1..sp.end]);
        if name.is_empty() {
            return Err(bad(f, value, "CP field without a name"));
        }
        let (code, suffix) = match sp.dash {
            Some(dash) => {
                let code = &cp[sp.start..dash];
                let (suffix, case_only) = Suffix::parse(&cp[dash + 1..eq]);
                if case_only {
                    d.insert(Deviation::SuffixCase);
                }
                if matches!(suffix, Suffix::Vendor(_)) {
                    d.insert(Deviation::VendorSuffix);
                }
                if code.len() != last_code.len() || code != last_code {
                    last_code = code;
                    if is_2005_code(code) {
                        d.insert(Deviation::Code2005);
                    } else if code_name(code).is_none() && !is_family_code(code) {
                        d.insert(Deviation::UnknownCode);
                    }
                }
                (Some(code), suffix)
            }
            None => (None, Suffix::None),
        };
        if value.is_empty() {
            d.insert(Deviation::EmptyValue);
        } else if code.is_none() && name == "DataTime" {
            let t = Timestamp::parse(value)
                .ok_or_else(|| bad(name, value, "not a time YYYYMMDDhhmmss"))?;
            if value.len() == 17 {
                d.insert(Deviation::MillisecondDataTime);
            }
            data_time.get_or_insert(t);
        }
        fields.push(CpField {
            item: sp.item,
            name,
            code,
            suffix,
            value,
        });
        Ok(())
    })?;
    Ok((fields, data_time))
}
