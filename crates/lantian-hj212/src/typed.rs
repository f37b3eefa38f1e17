//! Typed values of CP fields: numbers, data flags, times and text, with pollutant codes in
//! their HJ 212-2017 form.

use crate::codes::{DataFlag, canonical_code};
use crate::error::DecodeError;
use crate::frame::Limits;
use crate::packet::{CpField, Packet, Suffix, decode};
use crate::time::Timestamp;

/// A typed CP value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    Number(f64),
    Flag(DataFlag),
    Time(Timestamp),
    Text(&'a str),
}

/// A CP field with its value typed and its code translated to HJ 212-2017.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TypedField<'a> {
    pub item: u16,
    pub name: &'a str,
    /// The HJ 212-2017 code (2005 aliases translated).
    pub code: Option<&'a str>,
    pub suffix: Suffix<'a>,
    pub value: Value<'a>,
}

const TIME_FIELDS: [&str; 6] = [
    "DataTime",
    "BeginTime",
    "EndTime",
    "SystemTime",
    "RestartTime",
    "CstartTime",
];
const NUMBER_FIELDS: [&str; 8] = [
    "QnRtn",
    "ExeRtn",
    "RtdInterval",
    "MinInterval",
    "OverTime",
    "ReCount",
    "Ctime",
    "Stime",
];

/// Types one field. An empty value stays empty text; a numeric suffix or a time field
/// whose value is not a number or a time is an error.
pub fn type_field<'a>(f: &CpField<'a>) -> Result<TypedField<'a>, DecodeError> {
    let bad = |reason| DecodeError::BadField {
        name: f.name.to_owned(),
        value: f.value.chars().take(40).collect(),
        reason,
    };
    let value = match f.suffix {
        _ if f.value.is_empty() => Value::Text(""),
        s if s.is_numeric() => {
            Value::Number(parse_decimal(f.value).ok_or_else(|| bad("not a number"))?)
        }
        Suffix::Flag => DataFlag::parse(f.value).map_or(Value::Text(f.value), Value::Flag),
        Suffix::SampleTime => {
            Value::Time(Timestamp::parse(f.value).ok_or_else(|| bad("not a time YYYYMMDDhhmmss"))?)
        }
        Suffix::None if TIME_FIELDS.contains(&f.name) => {
            Value::Time(Timestamp::parse(f.value).ok_or_else(|| bad("not a time YYYYMMDDhhmmss"))?)
        }
        Suffix::None if NUMBER_FIELDS.contains(&f.name) => {
            Value::Number(parse_decimal(f.value).ok_or_else(|| bad("not a number"))?)
        }
        _ => Value::Text(f.value),
    };
    Ok(TypedField {
        item: f.item,
        name: f.name,
        code: f.code.map(canonical_code),
        suffix: f.suffix,
        value,
    })
}

/// Decodes a frame and types every CP field.
pub fn decode_typed<'a>(
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<(Packet<'a>, Vec<TypedField<'a>>), DecodeError> {
    let p = decode(bytes, limits)?;
    let mut typed = Vec::with_capacity(p.fields.len());
    for f in &p.fields {
        typed.push(type_field(f)?);
    }
    Ok((p, typed))
}

/// Parses a decimal number exactly as `str::parse::<f64>` would, with a fast path for the
/// plain `[-]digits[.digits]` form devices send.
pub fn parse_decimal(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let mut mantissa: u64 = 0;
    let mut n_digits = 0u32;
    let mut frac_digits = 0u32;
    let mut seen_dot = false;
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(c - b'0');
                n_digits += 1;
                frac_digits += u32::from(seen_dot);
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => return s.parse::<f64>().ok().filter(|v| v.is_finite()),
        }
    }
    // Exact when the mantissa and the power of ten are both exactly representable: the one
    // division is then correctly rounded, as the standard library's parse is.
    if n_digits == 0 || n_digits > 15 || frac_digits > 22 {
        return s.parse::<f64>().ok().filter(|v| v.is_finite());
    }
    let v = mantissa as f64 / POW10[frac_digits as usize];
    Some(if neg { -v } else { v })
}

const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_decimal_parse_equals_the_standard_library() {
        for s in [
            "0",
            "8.82",
            "-130.7116",
            "12758.2462",
            "0.0003",
            "1e3",
            "999999999999999",
            "1234567890.12345678",
            ".5",
            "5.",
        ] {
            assert_eq!(parse_decimal(s), s.parse::<f64>().ok(), "{s}");
        }
        for s in ["", "-", "1.2.3", "abc", "1,5", "inf", "NaN"] {
            assert_eq!(parse_decimal(s), None, "{s}");
        }
    }
}
