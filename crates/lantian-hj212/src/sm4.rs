//! SM4 encryption of the data area of HJ 212-2025 (§6.4.2 and Appendix A.2, as the public
//! implementations quote them; spec §6.14): SM4-ECB with a 16-byte key and no padding over
//! the characters between `CP=&&` and the final `&&`, in blocks of 16; a remainder shorter
//! than 16 stays clear. The CRC is computed over the PLAINTEXT segment before encryption, so
//! a receiver decrypts first and then checks the CRC with [`crate::decode`].
//!
//! How the ciphertext travels is not settled by the printed standard ([`Wire`]): raw bytes
//! (the default, length field = plaintext length = bytes sent) or the `{0xNN,…}` text form.

use crate::codes::Command;
use crate::error::DecodeError;
use ::sm4::Sm4;
use ::sm4::cipher::{BlockDecrypt, BlockEncrypt, KeyInit, generic_array::GenericArray};
use std::fmt;

/// SM4 block and key size, bytes.
pub const BLOCK: usize = 16;

/// A 16-byte SM4 key. Its `Debug` form never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct Key([u8; BLOCK]);

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(…)")
    }
}

/// Why a key was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyError {
    /// Not 32 hex digits.
    BadHex { found_len: usize },
    /// A weak key: all bytes equal, or a counting sequence (`reason` names which).
    Weak { reason: &'static str },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::BadHex { found_len } => write!(
                f,
                "bad SM4 key: 32 hex digits (16 bytes) expected, found {found_len} characters \
                 or a non-hex character"
            ),
            KeyError::Weak { reason } => write!(f, "weak SM4 key refused: {reason}"),
        }
    }
}

impl std::error::Error for KeyError {}

impl Key {
    pub fn from_bytes(bytes: [u8; BLOCK]) -> Key {
        Key(bytes)
    }

    /// Parses 32 hex digits (either case; spaces and `0x`-free). Weak keys are accepted
    /// here (the standard's own test key is sixteen 0x30); see [`Key::check_strength`].
    pub fn from_hex(s: &str) -> Result<Key, KeyError> {
        let s = s.trim();
        let bad = KeyError::BadHex {
            found_len: s.chars().count(),
        };
        if s.len() != 2 * BLOCK || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad);
        }
        let mut out = [0u8; BLOCK];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| bad.clone())?;
        }
        Ok(Key(out))
    }

    /// Uppercase hex, 32 digits.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02X}")).collect()
    }

    pub fn as_bytes(&self) -> &[u8; BLOCK] {
        &self.0
    }

    /// Refuses fixed or patterned keys: all bytes equal, or bytes that count up or down by
    /// a constant step (`00 01 02 …`, `FF FE …`), or a key made of one repeated 2-, 4- or
    /// 8-byte pattern.
    pub fn check_strength(&self) -> Result<(), KeyError> {
        let b = &self.0;
        if b.iter().all(|x| *x == b[0]) {
            return Err(KeyError::Weak {
                reason: "all 16 bytes are equal",
            });
        }
        let step = b[1].wrapping_sub(b[0]);
        if b.windows(2).all(|w| w[1].wrapping_sub(w[0]) == step) {
            return Err(KeyError::Weak {
                reason: "the bytes form an arithmetic sequence",
            });
        }
        for period in [2, 4, 8] {
            if b.iter().enumerate().all(|(i, x)| *x == b[i % period]) {
                return Err(KeyError::Weak {
                    reason: "the key repeats a short pattern",
                });
            }
        }
        let distinct = {
            let mut seen = [false; 256];
            b.iter()
                .filter(|x| !std::mem::replace(&mut seen[usize::from(**x)], true))
                .count()
        };
        if distinct < 6 {
            return Err(KeyError::Weak {
                reason: "fewer than 6 distinct byte values",
            });
        }
        Ok(())
    }

    fn cipher(&self) -> Sm4 {
        Sm4::new(GenericArray::from_slice(&self.0))
    }
}

/// How the ciphertext of the data area travels on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Wire {
    /// Raw ciphertext bytes in place of the plaintext (ECB without padding keeps the
    /// length, so the length field equals the plaintext length and the bytes sent). May
    /// contain `#`, `&`, CR and LF; frames are found by their length field.
    #[default]
    Binary,
    /// The printed form `{0xE4,0x3E,…}` of the whole area (encrypted blocks and the clear
    /// remainder); the length field counts the characters sent.
    HexText,
}

impl Wire {
    pub fn name(self) -> &'static str {
        match self {
            Wire::Binary => "binary",
            Wire::HexText => "hex",
        }
    }

    pub fn parse(s: &str) -> Option<Wire> {
        match s.trim().to_ascii_lowercase().as_str() {
            "binary" | "bin" | "raw" => Some(Wire::Binary),
            "hex" | "hextext" | "hex-text" | "text" => Some(Wire::HexText),
            _ => None,
        }
    }
}

/// Commands whose data area a 2025 device and host encrypt: data uploads and requests
/// (2000–2999), the session-key exchange 1014 and 3020 (parameters).
pub fn must_encrypt(cn: Command) -> bool {
    matches!(cn.0, 2000..=2999 | 1014 | 3020)
}

/// Encrypts (in place) the whole 16-byte blocks of `data`; a remainder stays as it is.
pub fn encrypt_blocks(data: &mut [u8], key: &Key) {
    let c = key.cipher();
    for block in data.chunks_exact_mut(BLOCK) {
        c.encrypt_block(GenericArray::from_mut_slice(block));
    }
}

/// Decrypts (in place) the whole 16-byte blocks of `data`; a remainder stays as it is.
pub fn decrypt_blocks(data: &mut [u8], key: &Key) {
    let c = key.cipher();
    for block in data.chunks_exact_mut(BLOCK) {
        c.decrypt_block(GenericArray::from_mut_slice(block));
    }
}

fn sm4_error(reason: &'static str) -> DecodeError {
    DecodeError::Sm4 { reason }
}

/// The parts of a frame: `##LLLL`, header up to and including `CP=&&`, the data area, and
/// the closing `&&CRC` (+ CR LF if present).
struct Parts<'a> {
    head: &'a [u8],
    area: &'a [u8],
    tail: &'a [u8],
}

fn split(frame: &[u8]) -> Result<Parts<'_>, DecodeError> {
    let body = frame.strip_suffix(b"\r\n").unwrap_or(frame);
    if !body.starts_with(b"##") {
        return Err(DecodeError::NoHeader);
    }
    if body.len() < 6 + 7 + 4 {
        return Err(DecodeError::Truncated { len: body.len() });
    }
    // The header is clear text: its first field that starts with `CP=&&` opens the area.
    let cp =
        crate::packet::cp_at(&body[6..]).ok_or(DecodeError::MissingField { name: "CP" })? + 6 + 5;
    let end = body.len() - 4 - 2;
    if end < cp || &body[end..end + 2] != b"&&" {
        return Err(sm4_error(
            "the data area does not end with && before the crc",
        ));
    }
    Ok(Parts {
        head: &frame[..cp],
        area: &body[cp..end],
        tail: &frame[end..],
    })
}

/// Puts a frame back together with `area` and a length field of the new segment length.
fn join(p: &Parts<'_>, area: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(p.head.len() + area.len() + p.tail.len());
    out.extend_from_slice(p.head);
    out.extend_from_slice(area);
    out.extend_from_slice(p.tail);
    // Segment = everything after `##LLLL` and before the 4 CRC digits (and CR LF).
    let crlf = if out.ends_with(b"\r\n") { 2 } else { 0 };
    let seg = out.len() - 6 - 4 - crlf;
    let len = format!("{:04}", seg.min(9999));
    out[2..6].copy_from_slice(len.as_bytes());
    out
}

/// Encrypts the data area of a plaintext frame (whose CRC is already over the plaintext).
/// A frame that cannot be split (no `CP=&&`, no closing `&&`) is returned unchanged.
pub fn encrypt_frame(frame: &[u8], key: &Key, wire: Wire) -> Vec<u8> {
    let Ok(p) = split(frame) else {
        return frame.to_vec();
    };
    let mut area = p.area.to_vec();
    encrypt_blocks(&mut area, key);
    match wire {
        Wire::Binary => join(&p, &area),
        Wire::HexText => join(&p, hex_text(&area).as_bytes()),
    }
}

/// Decrypts the data area of an encrypted frame; the result is the plaintext frame with
/// the plaintext's length field and the CRC as sent (so [`crate::decode`] then checks the
/// CRC over the plaintext: a wrong key shows as a crc mismatch).
pub fn decrypt_frame(frame: &[u8], key: &Key, wire: Wire) -> Result<Vec<u8>, DecodeError> {
    let p = split(frame)?;
    let mut area = match wire {
        Wire::Binary => p.area.to_vec(),
        Wire::HexText => parse_hex_text(p.area)?,
    };
    decrypt_blocks(&mut area, key);
    Ok(join(&p, &area))
}

/// `{0xE4,0x3E,…}`.
pub fn hex_text(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 + bytes.len() * 5);
    s.push('{');
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!("0x{b:02X}"));
    }
    s.push('}');
    s
}

/// Parses `{0xE4,0x3E,…}` (either case, spaces allowed between items).
pub fn parse_hex_text(text: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let t = std::str::from_utf8(text)
        .map_err(|_| sm4_error("the hex-text data area is not text"))?
        .trim();
    let inner = t
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .ok_or(sm4_error("the hex-text data area is not {0x..,0x..}"))?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            item.strip_prefix("0x")
                .or_else(|| item.strip_prefix("0X"))
                .filter(|h| h.len() == 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or(sm4_error("a hex-text item is not 0xNN"))
        })
        .collect()
}

/// True when the data area of `frame` looks like the `{0x..}` text form.
pub fn looks_hex_text(frame: &[u8]) -> bool {
    split(frame).is_ok_and(|p| p.area.starts_with(b"{0x") && p.area.ends_with(b"}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0))
            .collect()
    }

    #[test]
    fn gb_t_32907_vector() {
        // GB/T 32907-2016 Appendix A example 1.
        let key = Key::from_hex("0123456789abcdeffedcba9876543210").unwrap_or(Key([0; 16]));
        let mut b = unhex("0123456789abcdeffedcba9876543210");
        encrypt_blocks(&mut b, &key);
        assert_eq!(b, unhex("681edf34d206965e86b3e94f536e4246"));
        decrypt_blocks(&mut b, &key);
        assert_eq!(b, unhex("0123456789abcdeffedcba9876543210"));
    }

    #[test]
    fn weak_keys_are_refused_with_their_reason() {
        for (hex, weak) in [
            ("30303030303030303030303030303030", true),
            ("000102030405060708090A0B0C0D0E0F", true),
            ("FFFEFDFCFBFAF9F8F7F6F5F4F3F2F1F0", true),
            ("12341234123412341234123412341234", true),
            ("0102010201020102010201020102AAAA", true),
            ("8A1F03C2D94E7B665A0E11F3C8297D04", false),
        ] {
            let k = Key::from_hex(hex).unwrap_or(Key([0; 16]));
            assert_eq!(k.check_strength().is_err(), weak, "{hex}");
        }
        assert!(matches!(
            Key::from_hex("0123"),
            Err(KeyError::BadHex { found_len: 4 })
        ));
        assert!(Key::from_hex("0123456789abcdeffedcba987654321g").is_err());
        assert_eq!(format!("{:?}", Key([7; 16])), "Key(…)");
    }

    #[test]
    fn must_encrypt_covers_data_1014_and_3020_only() {
        for (cn, want) in [
            (2011, true),
            (2051, true),
            (2999, true),
            (1014, true),
            (3020, true),
            (1011, false),
            (9011, false),
            (9015, false),
            (1001, false),
        ] {
            assert_eq!(must_encrypt(Command(cn)), want, "{cn}");
        }
    }
}
