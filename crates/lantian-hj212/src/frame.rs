//! Framing: `##` + 4-digit data-segment length + data segment + 4 hex CRC + CR LF.
//!
//! [`check`] looks at the bytes received so far and tells a whole frame from "not yet"
//! ([`Check::Incomplete`]) and from bytes that can never become a frame
//! ([`Check::Invalid`], with how many bytes to drop). It never allocates. [`open`]
//! validates a whole frame: length field, CRC, size.

use crate::crc::{CrcVariant, crc16_hj212, identify};
use crate::error::DecodeError;

/// Maximum data-segment length of the standard (HJ 212-2017 Table 2).
pub const DATA_SEGMENT_BYTES_MAX: usize = 1024;
/// `##` + 4-digit length + 4-digit CRC + CR LF.
pub const FRAME_OVERHEAD_BYTES: usize = 12;

/// What a receiver accepts beyond the standard. The default accepts nothing more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest data segment accepted (the standard's 1024 by default; some CEMS firmware
    /// sends up to about 1700).
    pub segment_bytes_max: usize,
    /// Accept a frame whose length field disagrees with its data segment when the CRC is
    /// right (seen in real devices; recorded as a deviation).
    pub accept_length_mismatch: bool,
    /// Accept CRC-16/MODBUS (either byte order) in place of the HJ 212 CRC, per device.
    pub accept_modbus_crc: bool,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            segment_bytes_max: DATA_SEGMENT_BYTES_MAX,
            accept_length_mismatch: false,
            accept_modbus_crc: false,
        }
    }
}

impl Limits {
    pub fn frame_bytes_max(&self) -> usize {
        self.segment_bytes_max + FRAME_OVERHEAD_BYTES
    }
}

/// The result of looking for a frame at the start of a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// More bytes are needed.
    Incomplete,
    /// `buf[..len]` is a whole frame (ending in CR LF), to be opened with [`open`].
    Frame { len: usize },
    /// `buf[..skip]` can never be part of a frame; drop it and look again.
    Invalid { skip: usize, reason: Garbage },
}

/// Why bytes were dropped by [`check`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Garbage {
    /// Bytes before a `##` header.
    NoHeader,
    /// The 4 characters after `##` are not digits.
    BadLengthField,
    /// No CR LF within the largest frame accepted.
    Oversize,
}

impl Garbage {
    pub fn name(self) -> &'static str {
        match self {
            Garbage::NoHeader => "no `##` header",
            Garbage::BadLengthField => "length field is not 4 digits",
            Garbage::Oversize => "oversize: no CR LF within the frame size limit",
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Where the next possible header starts after position `from` (or where to keep a lone
/// trailing `#`).
fn resync(buf: &[u8], from: usize) -> usize {
    match find(&buf[from..], b"##") {
        Some(p) => from + p,
        None if buf.last() == Some(&b'#') => buf.len() - 1,
        None => buf.len(),
    }
}

/// Looks for a whole frame at the start of `buf`.
pub fn check(buf: &[u8], limits: &Limits) -> Check {
    if buf.is_empty() || buf == b"#" {
        return Check::Incomplete;
    }
    if !buf.starts_with(b"##") {
        return Check::Invalid {
            skip: resync(buf, 1).max(1),
            reason: Garbage::NoHeader,
        };
    }
    let digits = &buf[2..buf.len().min(6)];
    if !digits.iter().all(u8::is_ascii_digit) {
        return Check::Invalid {
            skip: resync(buf, 2),
            reason: Garbage::BadLengthField,
        };
    }
    if buf.len() < 6 {
        return Check::Incomplete;
    }
    let declared = digits
        .iter()
        .fold(0usize, |n, d| n * 10 + usize::from(d - b'0'));
    // Fast path: the CR LF is where the length field says.
    let end = 6 + declared + 4;
    if declared <= limits.segment_bytes_max && buf.len() >= end + 2 && &buf[end..end + 2] == b"\r\n"
    {
        return Check::Frame { len: end + 2 };
    }
    let window = &buf[..buf.len().min(limits.frame_bytes_max())];
    if declared <= limits.segment_bytes_max && buf.len() < end + 2 {
        // The frame the length field announces may still be arriving. An SM4-encrypted
        // HJ 212-2025 data area (raw ciphertext) can hold CR LF, `&&` or `##`, so a CR LF
        // before the announced end only ends a frame if it follows `&&` and 4 hex digits.
        return match plausible_end(window) {
            Some(len) => Check::Frame { len },
            None => Check::Incomplete,
        };
    }
    // Otherwise the frame ends at the first CR LF (a clear data segment holds none).
    match find(&window[6..], b"\r\n") {
        Some(p) => Check::Frame { len: 6 + p + 2 },
        None if window.len() >= limits.frame_bytes_max() => Check::Invalid {
            skip: resync(buf, 2),
            reason: Garbage::Oversize,
        },
        None => Check::Incomplete,
    }
}

/// The length of the first frame in `window` that ends in `&&` + 4 hex digits + CR LF.
fn plausible_end(window: &[u8]) -> Option<usize> {
    let mut from = 6;
    while let Some(p) = find(&window[from..], b"\r\n") {
        let at = from + p;
        if at >= 6 + 6
            && &window[at - 6..at - 4] == b"&&"
            && window[at - 4..at].iter().all(u8::is_ascii_hexdigit)
        {
            return Some(at + 2);
        }
        from = at + 1;
    }
    None
}

/// A validated frame: its data segment and how it was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    pub segment: &'a [u8],
    pub declared_len: usize,
    pub crc: u16,
    pub crc_variant: CrcVariant,
    pub crc_lowercase: bool,
    pub has_crlf: bool,
}

/// Validates a whole frame (with or without its CR LF): header, length, CRC, size.
///
/// Checks run in this order, so the reason named is the first that fails: the `##` header
/// and length field, the CRC over the actual segment, the length field against the
/// segment, and the size limit.
pub fn open<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Frame<'a>, DecodeError> {
    let (body, has_crlf) = match bytes.strip_suffix(b"\r\n") {
        Some(b) => (b, true),
        None => (bytes, false),
    };
    if !body.starts_with(b"##") {
        return Err(DecodeError::NoHeader);
    }
    if body.len() < 10 {
        return Err(DecodeError::Truncated { len: body.len() });
    }
    let digits = &body[2..6];
    if !digits.iter().all(u8::is_ascii_digit) {
        return Err(DecodeError::BadLengthField {
            found: String::from_utf8_lossy(digits).into_owned(),
        });
    }
    let declared = digits
        .iter()
        .fold(0usize, |n, d| n * 10 + usize::from(d - b'0'));
    let segment = &body[6..body.len() - 4];
    let crc_text = &body[body.len() - 4..];
    let Some(found) = parse_hex4(crc_text) else {
        return Err(DecodeError::BadCrcField {
            found: String::from_utf8_lossy(crc_text).into_owned(),
        });
    };
    let crc_lowercase = crc_text.iter().any(u8::is_ascii_lowercase);
    let expected = crc16_hj212(segment);
    let crc_variant = if expected == found {
        CrcVariant::Hj212
    } else {
        match identify(segment, found) {
            Some(v) if limits.accept_modbus_crc => v,
            matches => {
                let length = (declared != segment.len()).then_some((declared, segment.len()));
                return Err(DecodeError::CrcMismatch {
                    expected,
                    found,
                    matches,
                    length,
                });
            }
        }
    };
    if declared != segment.len() && !limits.accept_length_mismatch {
        return Err(DecodeError::LengthMismatch {
            declared,
            actual: segment.len(),
        });
    }
    if segment.len() > limits.segment_bytes_max {
        return Err(DecodeError::Oversize {
            len: segment.len(),
            max: limits.segment_bytes_max,
        });
    }
    Ok(Frame {
        segment,
        declared_len: declared,
        crc: found,
        crc_variant,
        crc_lowercase,
        has_crlf,
    })
}

fn parse_hex4(t: &[u8]) -> Option<u16> {
    t.iter().try_fold(0u16, |n, &c| {
        Some(n << 4 | u16::from(char::from(c).to_digit(16)? as u8))
    })
}

/// Wraps a data segment into a frame: `##`, length, segment, uppercase CRC, CR LF.
pub fn wrap(segment: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(segment.len() + FRAME_OVERHEAD_BYTES);
    out.extend_from_slice(format!("##{:04}", segment.len()).as_bytes());
    out.extend_from_slice(segment);
    out.extend_from_slice(format!("{:04X}\r\n", crc16_hj212(segment)).as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &[u8] = b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n";

    #[test]
    fn check_tells_incomplete_from_invalid_at_every_cut() {
        let lim = Limits::default();
        for cut in 0..A.len() {
            assert_eq!(check(&A[..cut], &lim), Check::Incomplete, "cut at {cut}");
        }
        assert_eq!(check(A, &lim), Check::Frame { len: A.len() });
        let mut two = A.to_vec();
        two.extend_from_slice(A);
        assert_eq!(check(&two, &lim), Check::Frame { len: A.len() });
    }

    #[test]
    fn garbage_before_a_header_is_skipped_to_the_header() {
        let lim = Limits::default();
        let mut buf = b"xx#y".to_vec();
        buf.extend_from_slice(A);
        assert_eq!(
            check(&buf, &lim),
            Check::Invalid {
                skip: 4,
                reason: Garbage::NoHeader
            }
        );
        assert_eq!(
            check(b"abc#", &lim),
            Check::Invalid {
                skip: 3,
                reason: Garbage::NoHeader
            }
        );
        assert_eq!(
            check(b"##01x1", &lim),
            Check::Invalid {
                skip: 6,
                reason: Garbage::BadLengthField
            }
        );
    }

    #[test]
    fn a_frame_without_cr_lf_in_the_size_limit_is_oversize() {
        let lim = Limits {
            segment_bytes_max: 50,
            ..Limits::default()
        };
        let mut buf = b"##0040".to_vec();
        buf.extend(std::iter::repeat_n(b'a', 100));
        assert_eq!(
            check(&buf, &lim),
            Check::Invalid {
                skip: 106,
                reason: Garbage::Oversize
            }
        );
    }

    #[test]
    fn a_wrong_length_field_still_frames_at_cr_lf_and_is_rejected_by_open() {
        let mut buf = A.to_vec();
        buf[2..6].copy_from_slice(b"0110");
        let lim = Limits::default();
        assert_eq!(check(&buf, &lim), Check::Frame { len: A.len() });
        assert_eq!(
            open(&buf, &lim),
            Err(DecodeError::LengthMismatch {
                declared: 110,
                actual: 101
            })
        );
        let tolerant = Limits {
            accept_length_mismatch: true,
            ..lim
        };
        assert!(open(&buf, &tolerant).is_ok());
    }

    #[test]
    fn wrap_round_trips_through_open() {
        let seg = b"QN=1;ST=22;CN=2011;PW=1;MN=1;Flag=4;CP=&&&&";
        let f = wrap(seg);
        let opened = open(&f, &Limits::default()).unwrap();
        assert_eq!(opened.segment, seg);
        assert!(opened.has_crlf);
    }
}
