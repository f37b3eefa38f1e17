//! The forwarding view of a packet: its header fields read without a full decode, and the
//! frame re-encoded for one destination (RF=1, PW/MN rewriting, edition bits, answer asked,
//! SM4), with a new length and CRC.

use lantian_hj212::Edition;
use lantian_hj212::frame::wrap;

/// The header (everything before `CP=&&`) and the rest of a frame's data segment.
fn split(frame: &[u8]) -> Option<(&str, &str)> {
    let body = frame.strip_suffix(b"\r\n").unwrap_or(frame);
    if body.len() < 10 || !body.starts_with(b"##") {
        return None;
    }
    let segment = std::str::from_utf8(&body[6..body.len() - 4]).ok()?;
    let at = segment.find("CP=&&")?;
    Some((&segment[..at], &segment[at..]))
}

/// The header of a frame (text before `CP=&&`), also of one whose data area is encrypted.
fn header(frame: &[u8]) -> Option<&str> {
    let body = frame.strip_suffix(b"\r\n").unwrap_or(frame);
    if body.len() < 10 || !body.starts_with(b"##") {
        return None;
    }
    let segment = &body[6..body.len() - 4];
    let at = segment.windows(5).position(|w| w == b"CP=&&")?;
    std::str::from_utf8(&segment[..at]).ok()
}

/// A header field's value (`QN`, `CN`, `MN`, `RF`, …), if present.
pub fn field<'a>(frame: &'a [u8], name: &str) -> Option<&'a str> {
    let header = header(frame)?;
    header
        .split(';')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The command code of a frame.
pub fn cn(frame: &[u8]) -> Option<u16> {
    field(frame, "CN")?.parse().ok()
}

/// Whether the device itself marked the packet as a resend (`RF=1`, HJ 212-2025).
pub fn is_resend(frame: &[u8]) -> bool {
    field(frame, "RF") == Some("1")
}

/// How a destination wants its copy of a packet.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Rewrite {
    /// Version bits of the Flag (None: as received).
    pub edition: Option<Edition>,
    /// The destination's password for every packet (None: as received).
    pub pw: Option<String>,
    /// MN as received → MN the destination assigned.
    pub mn_map: Vec<(String, String)>,
}

/// Without the password (a Debug print of the settings may reach a log).
impl std::fmt::Debug for Rewrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rewrite")
            .field("edition", &self.edition)
            .field("pw", &self.pw.as_ref().map(|_| "…"))
            .field("mn_map", &self.mn_map)
            .finish()
    }
}

/// The frame as sent to a destination, and the (MN, QN) its answer will carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prepared {
    pub bytes: Vec<u8>,
    pub mn: String,
    pub qn: String,
}

/// Re-encodes `frame` for a destination: `RF=1;` before `CP=` when `resend` (never twice),
/// the destination's PW and MN, the edition's version bits, the answer bit A set (a packet is
/// done only when answered), a QN when the device sent none (`qn_if_missing`). A frame whose
/// header cannot be read is returned as it is (the archive holds only accepted, decoded
/// packets, so this does not happen in practice).
pub fn prepare(frame: &[u8], resend: bool, rw: &Rewrite, qn_if_missing: &str) -> Prepared {
    // The common case, a live packet as received that asks for an answer: sent unchanged.
    if !resend
        && *rw == Rewrite::default()
        && let (Some(qn), Some(mn), Some(flag)) =
            (field(frame, "QN"), field(frame, "MN"), field(frame, "Flag"))
        && flag.parse::<u8>().is_ok_and(|f| f & 1 == 1)
        && !is_resend(frame)
    {
        return Prepared {
            bytes: frame.to_vec(),
            mn: mn.to_owned(),
            qn: qn.to_owned(),
        };
    }
    let Some((header, cp)) = split(frame) else {
        return Prepared {
            bytes: frame.to_vec(),
            mn: String::new(),
            qn: String::new(),
        };
    };
    let mut out = String::with_capacity(header.len() + cp.len() + 16);
    let (mut mn, mut qn) = (String::new(), None);
    for kv in header.split(';').filter(|kv| !kv.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        let value = match k {
            "RF" => continue,
            "QN" => {
                qn = Some(v.to_owned());
                v.to_owned()
            }
            "PW" => rw.pw.clone().unwrap_or_else(|| v.to_owned()),
            "MN" => {
                mn = rw
                    .mn_map
                    .iter()
                    .find(|(from, _)| from == v)
                    .map_or_else(|| v.to_owned(), |(_, to)| to.clone());
                mn.clone()
            }
            "Flag" => match v.parse::<u8>() {
                Ok(f) => {
                    let f = match rw.edition {
                        Some(e) => (f & 0b11) | e.flag_base(),
                        None => f,
                    };
                    (f | 1).to_string()
                }
                Err(_) => v.to_owned(),
            },
            _ => v.to_owned(),
        };
        if k == "ST" && qn.is_none() {
            // The device sent no QN: one is added (first, as the standard orders fields).
            qn = Some(qn_if_missing.to_owned());
            out.insert_str(0, &format!("QN={qn_if_missing};"));
        }
        out.push_str(k);
        out.push('=');
        out.push_str(&value);
        out.push(';');
    }
    if !header.contains("Flag=") {
        // HJ/T 212-2005 packets may carry no Flag: ask for an answer all the same.
        let base = rw.edition.unwrap_or(Edition::Hj212_2005).flag_base();
        out.push_str(&format!("Flag={};", base | 1));
    }
    if resend {
        out.push_str("RF=1;");
    }
    out.push_str(cp);
    Prepared {
        bytes: wrap(out.as_bytes()),
        mn,
        qn: qn.unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lantian_hj212::{Limits, decode};

    const A: &[u8] = b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n";

    #[test]
    fn header_fields_are_read_without_a_decode() {
        assert_eq!(cn(A), Some(1062));
        assert_eq!(field(A, "MN"), Some("010000A8900016F000169DC0"));
        assert!(!is_resend(A));
        assert_eq!(field(b"garbage", "CN"), None);
    }

    #[test]
    fn a_resend_gets_rf_once_and_a_valid_crc() {
        let p = prepare(A, true, &Rewrite::default(), "x");
        let again = prepare(&p.bytes, true, &Rewrite::default(), "x");
        assert_eq!(p.bytes, again.bytes, "RF=1 is never doubled");
        let d = decode(&p.bytes, &Limits::default()).expect("valid frame");
        assert_eq!(d.qn, Some("20160801085857223"));
        assert!(is_resend(&p.bytes));
        let text = String::from_utf8(p.bytes.clone()).expect("text");
        assert!(
            text.contains(";Flag=5;RF=1;CP=&&RtdInterval=30&&"),
            "{text}"
        );
        let live = prepare(A, false, &Rewrite::default(), "x");
        assert_eq!(
            live.bytes, A,
            "a live packet as received is byte for byte the same"
        );
    }

    #[test]
    fn rewriting_pw_mn_edition_and_missing_qn() {
        let rw = Rewrite {
            edition: Some(Edition::Hj212_2025),
            pw: Some("654321".into()),
            mn_map: vec![("010000A8900016F000169DC0".into(), "PROV0001".into())],
        };
        let p = prepare(A, false, &rw, "x");
        let d = decode(&p.bytes, &Limits::default()).expect("valid frame");
        assert_eq!((d.pw, d.mn), (Some("654321"), Some("PROV0001")));
        assert_eq!(
            d.flag.map(|f| f.0),
            Some(9),
            "2025 version bits, answer asked"
        );
        assert_eq!(
            (p.mn.as_str(), p.qn.as_str()),
            ("PROV0001", "20160801085857223")
        );
        let no_qn = lantian_hj212::frame::wrap(b"ST=32;CN=2011;PW=1;MN=M;CP=&&a=1&&");
        let p = prepare(&no_qn, false, &Rewrite::default(), "20260101000000001");
        let d = decode(&p.bytes, &Limits::default()).expect("valid frame");
        assert_eq!(d.qn, Some("20260101000000001"));
        assert!(d.flag.is_some_and(|f| f.needs_ack()));
    }
}
