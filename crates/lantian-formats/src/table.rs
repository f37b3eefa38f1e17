//! A spreadsheet as people hand it over, CSV (UTF-8, with or without a BOM) or the first
//! sheet of an xlsx workbook, read into rows of text cells for the imports that know their
//! layout (the enterprise list, gate records, the measures ledger). Merged cells of a
//! workbook arrive empty but for their first cell; date cells as `YYYY-MM-DD[ HH:MM:SS]`.

use crate::FormatError;

/// The rows of `bytes` (an xlsx workbook when it starts like a zip file, else CSV text);
/// `file` names it in errors.
pub fn read(bytes: &[u8], file: &str) -> Result<Vec<Vec<String>>, FormatError> {
    let bad = |line: u64, message: String| FormatError::Io {
        file: file.to_owned(),
        line,
        message,
    };
    if bytes.starts_with(b"PK") {
        use calamine::Reader;
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes))
            .map_err(|e| bad(0, format!("not an xlsx workbook: {e}")))?;
        let range = book
            .worksheet_range_at(0)
            .ok_or_else(|| bad(0, "the workbook has no sheet".to_owned()))?
            .map_err(|e| bad(0, format!("cannot read the first sheet: {e}")))?;
        return Ok(range
            .rows()
            .map(|r| r.iter().map(cell_text).collect())
            .collect());
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| bad(0, "not UTF-8 text (save the CSV as UTF-8)".to_owned()))?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut cells = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| bad(i as u64 + 1, format!("not CSV: {e}")))?;
        cells.push(rec.iter().map(str::to_owned).collect::<Vec<_>>());
    }
    Ok(cells)
}

/// A workbook cell as text; a date or time cell as `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`
/// (Excel's 1900 date system: serial days since 1899-12-30, the wall-clock time written,
/// which Lantian reads as Beijing time).
fn cell_text(c: &calamine::Data) -> String {
    match c {
        calamine::Data::DateTime(d) if d.is_datetime() => {
            const UNIX_EPOCH_SERIAL: i64 = 25_569;
            let seconds = (d.as_f64() * 86_400.0).round() as i64 - UNIX_EPOCH_SERIAL * 86_400;
            let day = lantian_core::cst::date_of(seconds);
            match seconds.rem_euclid(86_400) {
                0 => day.to_string(),
                s => format!("{day} {:02}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60),
            }
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_a_bom_and_ragged_rows_reads_and_bad_bytes_are_named() {
        let rows = read("\u{feff}a,b\n1\n".as_bytes(), "x.csv").unwrap();
        assert_eq!(rows, [vec!["a", "b"], vec!["1"]]);
        let e = read(b"\xff\xfe", "x.csv").unwrap_err().to_string();
        assert_eq!(
            e,
            "x.csv:0: cannot read: not UTF-8 text (save the CSV as UTF-8)"
        );
        let e = read(b"PK\x03\x04 broken", "x.xlsx")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("x.xlsx:0: cannot read: not an xlsx workbook"),
            "{e}"
        );
    }
}
