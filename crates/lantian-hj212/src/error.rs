//! Why a packet was rejected. Every message names the reason in words a grep can find
//! (`crc`, `length`, `oversize`, `field`).

use crate::crc::CrcVariant;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The frame does not start with `##`.
    NoHeader,
    /// Too short to hold a length field and a CRC.
    Truncated {
        len: usize,
    },
    BadLengthField {
        found: String,
    },
    /// The CRC field is not 4 hex digits.
    BadCrcField {
        found: String,
    },
    /// The HJ 212 CRC of the segment differs; `matches` names another CRC that the found
    /// value equals (firmware that sends CRC-16/MODBUS).
    CrcMismatch {
        expected: u16,
        found: u16,
        matches: Option<CrcVariant>,
        length: Option<(usize, usize)>,
    },
    LengthMismatch {
        declared: usize,
        actual: usize,
    },
    Oversize {
        len: usize,
        max: usize,
    },
    /// The segment is not UTF-8 text.
    NotText {
        offset: usize,
    },
    MissingField {
        name: &'static str,
    },
    BadField {
        name: String,
        value: String,
        reason: &'static str,
    },
    /// The CP area is not `CP=&&…&&`.
    BadCp {
        reason: &'static str,
    },
    /// An HJ 212-2025 data area that cannot be decrypted (its form, not its key: a wrong
    /// key shows as a crc mismatch after decryption).
    Sm4 {
        reason: &'static str,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::NoHeader => f.write_str("no `##` header"),
            DecodeError::Truncated { len } => write!(
                f,
                "truncated frame: {len} bytes cannot hold a length field and a crc"
            ),
            DecodeError::BadLengthField { found } => {
                write!(f, "bad length field {found:?}: not 4 digits")
            }
            DecodeError::BadCrcField { found } => {
                write!(f, "bad crc field {found:?}: not 4 hex digits")
            }
            DecodeError::CrcMismatch {
                expected,
                found,
                matches,
                length,
            } => {
                write!(
                    f,
                    "crc mismatch: expected {expected:04X}, found {found:04X}"
                )?;
                if let Some(v) = matches {
                    write!(
                        f,
                        " (the found value is the {} crc of the segment)",
                        v.name()
                    )?;
                }
                if let Some((declared, actual)) = length {
                    write!(
                        f,
                        "; the length field also disagrees: {declared} declared, {actual} bytes"
                    )?;
                }
                Ok(())
            }
            DecodeError::LengthMismatch { declared, actual } => {
                write!(
                    f,
                    "length mismatch: the length field says {declared}, the data segment has {actual} bytes"
                )
            }
            DecodeError::Oversize { len, max } => {
                write!(f, "oversize: data segment of {len} bytes exceeds {max}")
            }
            DecodeError::NotText { offset } => {
                write!(f, "data segment is not UTF-8 text at byte {offset}")
            }
            DecodeError::MissingField { name } => write!(f, "missing field {name}"),
            DecodeError::BadField {
                name,
                value,
                reason,
            } => write!(f, "bad field {name}={value:?}: {reason}"),
            DecodeError::BadCp { reason } => write!(f, "bad CP area: {reason}"),
            DecodeError::Sm4 { reason } => write!(f, "sm4 data area: {reason}"),
        }
    }
}

impl std::error::Error for DecodeError {}

impl DecodeError {
    /// A short stable key for counters (`crc`, `length`, `oversize`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            DecodeError::NoHeader | DecodeError::Truncated { .. } => "framing",
            DecodeError::BadLengthField { .. } | DecodeError::LengthMismatch { .. } => "length",
            DecodeError::BadCrcField { .. } | DecodeError::CrcMismatch { .. } => "crc",
            DecodeError::Oversize { .. } => "oversize",
            DecodeError::NotText { .. } => "encoding",
            DecodeError::MissingField { .. } | DecodeError::BadField { .. } => "field",
            DecodeError::BadCp { .. } => "cp",
            DecodeError::Sm4 { .. } => "sm4",
        }
    }
}
