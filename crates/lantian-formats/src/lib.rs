//! Readers of the data files Lantian takes in, over any `std::io::Read`.
//!
//! Each reader keeps every valid value and reports each row or cell it could not use as a
//! [`Skip`] (file, line, field, reason) in a [`Diagnostics`]; only a file it cannot read at
//! all (no header, wrong layout) is a [`FormatError`]. Opening files and decompressing them
//! is the caller's business; nothing here touches the file system.

pub mod cnemc;
pub mod diagnostics;
pub mod firepoints;
pub mod long;
pub mod prsa;
pub mod table;

pub use diagnostics::{Diagnostics, FormatError, Skip};

/// Parses a decimal number, rejecting empty text, `NA`, non-finite and negative values.
pub(crate) fn parse_concentration(text: &str) -> Result<Option<f64>, &'static str> {
    let t = text.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("NA") || t == "—" || t == "-" {
        return Ok(None);
    }
    match t.parse::<f64>() {
        Ok(v) if !v.is_finite() => Err("not a finite number"),
        Ok(v) if v < 0.0 => Err("negative concentration"),
        Ok(v) => Ok(Some(v)),
        Err(_) => Err("not a number"),
    }
}
