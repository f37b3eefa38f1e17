//! Tables as Excel workbooks in the layouts a bureau keeps: a title row, a header, and cells
//! merged over runs of rows that belong together (the plan's categories and key tasks, an
//! enterprise over its outlets), so that a file exported here reads back in by the imports.

use std::borrow::Cow;

/// Text as a spreadsheet will not run it (OWASP's CSV injection advice): a cell that starts
/// like a formula (`=`, `+`, `-`, `@`, a tab or a carriage return; a signed number excepted,
/// which stays a number) gets a leading `'`, so a user name, a plate or a measure someone
/// typed never becomes a formula in the bureau's Excel. Every CSV and xlsx writer of
/// Lantian passes its text cells through here.
pub fn text_cell(s: &str) -> Cow<'_, str> {
    let formula = match s.chars().next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => s.parse::<f64>().is_err(),
        _ => false,
    };
    if formula {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// The text a cell written by [`text_cell`] held: the imports read back what was exported.
pub fn from_text_cell(s: String) -> String {
    match s.strip_prefix('\'') {
        Some(rest) if text_cell(rest).len() != rest.len() => rest.to_owned(),
        _ => s,
    }
}

/// A table to write.
#[derive(Clone, Debug)]
pub struct Table<'a> {
    pub title: &'a str,
    pub sheet: &'a str,
    /// Header and width (characters) of each column.
    pub columns: &'a [(&'a str, f64)],
    pub rows: &'a [Vec<String>],
    /// For each merged column, a key per row: consecutive rows with equal keys share one
    /// merged cell.
    pub merges: &'a [(u16, Vec<String>)],
}

/// The workbook's bytes.
pub fn write(t: &Table<'_>) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
    let e = |x: rust_xlsxwriter::XlsxError| x.to_string();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(t.sheet).map_err(e)?;
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    let cell = Format::new()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter);
    let titlef = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let last_col = t.columns.len().max(1) as u16 - 1;
    sheet
        .merge_range(0, 0, 0, last_col, &text_cell(t.title), &titlef)
        .map_err(e)?;
    for (c, (name, w)) in t.columns.iter().enumerate() {
        sheet
            .write_string_with_format(1, c as u16, *name, &head)
            .map_err(e)?;
        sheet.set_column_width(c as u16, *w).map_err(e)?;
    }
    let first = 2u32;
    for (i, row) in t.rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            sheet
                .write_string_with_format(first + i as u32, c as u16, &*text_cell(v), &cell)
                .map_err(e)?;
        }
    }
    for (col, keys) in t.merges {
        let mut start = 0usize;
        for i in 1..=keys.len() {
            if i == keys.len() || keys[i] != keys[start] {
                if i - start > 1 {
                    let v = t.rows[start]
                        .get(usize::from(*col))
                        .map_or(Cow::Borrowed(""), |v| text_cell(v));
                    sheet
                        .merge_range(
                            first + start as u32,
                            *col,
                            first + i as u32 - 1,
                            *col,
                            &v,
                            &cell,
                        )
                        .map_err(e)?;
                }
                start = i;
            }
        }
    }
    book.save_to_buffer().map_err(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_looks_like_a_formula_is_neutralised_and_numbers_are_not() {
        for (text, want) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+1+1", "'+1+1"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("-2", "-2"),
            ("+3.5", "+3.5"),
            ("-", "'-"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("a=1", "a=1"),
            ("冀A12345", "冀A12345"),
            ("'quoted", "'quoted"),
            ("", ""),
        ] {
            assert_eq!(text_cell(text), want, "{text:?}");
            assert_eq!(
                from_text_cell(text_cell(text).into_owned()),
                text,
                "{text:?}"
            );
        }
    }
}
