//! A spreadsheet handed over (CSV or xlsx bytes, from a file or an HTTP body) as rows of text
//! cells for the imports; a file that cannot be read at all is a bad request that says why.

use crate::error::{AppError, AppResult};

/// The rows of `bytes`, which `name` names in errors.
pub fn cells(bytes: &[u8], name: &str) -> AppResult<Vec<Vec<String>>> {
    let rows = lantian_formats::table::read(bytes, name)
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    // A file Lantian exported has its formula-like text prefixed with `'`: read it back as
    // it was.
    Ok(rows
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(crate::table_xlsx::from_text_cell)
                .collect()
        })
        .collect())
}
