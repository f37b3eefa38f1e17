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
        return read_xlsx(bytes, file);
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

/// The most rows and columns a sheet handed over may use, and the most bytes its parts may
/// unpack to: a bureau's lists are thousands of rows; a sheet that claims more (a sparse cell
/// at XFD1048576, a zip bomb) is refused before anything is allocated for it.
pub const ROWS_MAX: u32 = 500_000;
pub const COLUMNS_MAX: u32 = 256;
pub const UNPACKED_BYTES_MAX: u64 = 512 << 20;

fn read_xlsx(bytes: &[u8], file: &str) -> Result<Vec<Vec<String>>, FormatError> {
    use calamine::Reader;
    let bad = |message: String| FormatError::Io {
        file: file.to_owned(),
        line: 0,
        message,
    };
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| bad(format!("not an xlsx workbook: {e}")))?;
    let mut unpacked: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip
            .by_index_raw(i)
            .map_err(|e| bad(format!("not an xlsx workbook: {e}")))?;
        unpacked = unpacked.saturating_add(entry.size());
    }
    if unpacked > UNPACKED_BYTES_MAX {
        return Err(bad(format!(
            "the workbook unpacks to {unpacked} bytes, more than {UNPACKED_BYTES_MAX}"
        )));
    }
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| bad(format!("not an xlsx workbook: {e}")))?;
    let sheet = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| bad("the workbook has no sheet".to_owned()))?;
    let mut cells = book
        .worksheet_cells_reader(&sheet)
        .map_err(|e| bad(format!("cannot read the first sheet: {e}")))?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    while let Some(cell) = cells
        .next_cell()
        .map_err(|e| bad(format!("cannot read the first sheet: {e}")))?
    {
        let (r, c) = cell.get_position();
        if r >= ROWS_MAX || c >= COLUMNS_MAX {
            return Err(bad(format!(
                "a cell at row {}, column {} is beyond what an import takes ({ROWS_MAX} rows, {COLUMNS_MAX} columns)",
                u64::from(r) + 1,
                u64::from(c) + 1
            )));
        }
        let text = cell_text(&calamine::Data::from(cell.get_value().clone()));
        if text.is_empty() {
            continue;
        }
        let (r, c) = (r as usize, c as usize);
        if rows.len() <= r {
            rows.resize_with(r + 1, Vec::new);
        }
        if rows[r].len() <= c {
            rows[r].resize(c + 1, String::new());
        }
        rows[r][c] = text;
    }
    Ok(rows)
}

/// A workbook cell as text; a date or time cell as `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`
/// (Excel's 1900 date system: serial days since 1899-12-30, the wall-clock time written,
/// which Lantian reads as Beijing time).
fn cell_text(c: &calamine::Data) -> String {
    match c {
        // Serial days 1 … 2,958,465 are 1900-01-01 … 9999-12-31; anything else is kept as
        // the number it is.
        calamine::Data::DateTime(d)
            if d.is_datetime() && (1.0..2_958_466.0).contains(&d.as_f64()) =>
        {
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

    fn workbook(fill: impl Fn(&mut rust_xlsxwriter::Worksheet)) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        fill(book.add_worksheet());
        book.save_to_buffer().unwrap()
    }

    #[test]
    fn a_workbook_reads_at_the_spreadsheets_own_rows_with_dates_as_beijing_time_text() {
        let bytes = workbook(|s| {
            let when =
                rust_xlsxwriter::ExcelDateTime::parse_from_str("2026-11-05 08:30:15").unwrap();
            let day = rust_xlsxwriter::ExcelDateTime::parse_from_str("2026-11-05").unwrap();
            let f = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
            s.write_string(1, 1, "车牌号").unwrap();
            s.write_datetime_with_format(2, 1, &when, &f).unwrap();
            s.write_datetime_with_format(2, 2, &day, &f).unwrap();
            s.write_number_with_format(2, 3, -12345.0, &f).unwrap();
            s.write_number(2, 4, 12.5).unwrap();
        });
        let rows = read(&bytes, "x.xlsx").unwrap();
        assert_eq!(rows[0], Vec::<String>::new(), "row 1 is empty");
        assert_eq!(rows[1], ["", "车牌号"]);
        assert_eq!(
            rows[2],
            ["", "2026-11-05 08:30:15", "2026-11-05", "-12345", "12.5"]
        );
    }

    #[test]
    fn a_sheet_reaching_beyond_the_limits_is_refused_without_allocating_it() {
        let bytes = workbook(|s| {
            s.write_string(0, 0, "a").unwrap();
            s.write_string(1_048_575, 16_383, "far").unwrap();
        });
        let e = read(&bytes, "x.xlsx").unwrap_err().to_string();
        assert!(
            e.contains("a cell at row 1048576, column 16384 is beyond"),
            "{e}"
        );
    }

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
