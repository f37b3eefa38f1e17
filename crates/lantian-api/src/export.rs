//! Tables as JSON pages, CSV or Excel (xlsx): every list a user sees can be exported.

use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

pub const PER_PAGE_DEFAULT: usize = 50;
pub const PER_PAGE_MAX: usize = 1000;

/// Paging and format of a list: every list a user sees can be exported.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TableQuery {
    /// Page number, from 1 (JSON only).
    pub page: Option<usize>,
    /// Rows per page, 1-1000 (JSON only; default 50).
    pub per_page: Option<usize>,
    /// `json` (default), `csv` (UTF-8 with BOM, for Excel) or `xlsx`.
    pub format: Option<String>,
}

/// Items as JSON rows for [`table`].
pub fn rows<T: serde::Serialize>(items: &[T]) -> Vec<Value> {
    items
        .iter()
        .map(|i| serde_json::to_value(i).unwrap_or(Value::Null))
        .collect()
}

/// Columns that hold Beijing times or dates: a file's header says so.
const BEIJING_TIME_COLUMNS: [&str; 6] = ["start", "time", "at", "last_seen", "date", "today"];

/// The header of a column in a file: its key, and "(北京时间)" for times.
fn header(column: &str) -> String {
    if BEIJING_TIME_COLUMNS.contains(&column) {
        format!("{column} (北京时间)")
    } else {
        column.to_owned()
    }
}

/// Answers with one page of `rows` as JSON, or all rows as CSV or xlsx.
pub fn table(
    rows: Vec<Value>,
    columns: &[&str],
    q: &TableQuery,
    name: &str,
) -> ApiResult<Response> {
    match q.format.as_deref().unwrap_or("json") {
        "json" => {
            let per_page = q.per_page.unwrap_or(PER_PAGE_DEFAULT);
            if per_page == 0 || per_page > PER_PAGE_MAX {
                return Err(ApiError::BadRequest(format!(
                    "per_page must be 1-{PER_PAGE_MAX}"
                )));
            }
            let page = q.page.unwrap_or(1);
            if page == 0 {
                return Err(ApiError::BadRequest("page starts at 1".to_owned()));
            }
            let total = rows.len();
            let items: Vec<Value> = rows
                .into_iter()
                .skip((page - 1).saturating_mul(per_page))
                .take(per_page)
                .collect();
            Ok(
                Json(json!({ "items": items, "total": total, "page": page, "per_page": per_page }))
                    .into_response(),
            )
        }
        "csv" => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let _ = w.write_record(columns.iter().map(|c| header(c)));
            for r in &rows {
                let _ = w.write_record(columns.iter().map(|c| cell(&r[*c])));
            }
            let body = w
                .into_inner()
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            // A BOM lets Excel open UTF-8 Chinese text correctly.
            let mut out = "\u{feff}".as_bytes().to_vec();
            out.extend(body);
            Ok(download(
                out,
                "text/csv; charset=utf-8",
                &format!("{name}.csv"),
            ))
        }
        "xlsx" => {
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            let bold = rust_xlsxwriter::Format::new().set_bold();
            let err = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(e.to_string());
            for (c, name) in columns.iter().enumerate() {
                sheet
                    .write_string_with_format(0, c as u16, header(name), &bold)
                    .map_err(err)?;
            }
            for (r, row) in rows.iter().enumerate() {
                for (c, col) in columns.iter().enumerate() {
                    let (rr, cc) = (r as u32 + 1, c as u16);
                    match &row[*col] {
                        Value::Number(n) => sheet
                            .write_number(rr, cc, n.as_f64().unwrap_or(f64::NAN))
                            .map(drop),
                        Value::Null => Ok(()),
                        v => sheet.write_string(rr, cc, cell(v)).map(drop),
                    }
                    .map_err(err)?;
                }
            }
            let bytes = book.save_to_buffer().map_err(err)?;
            Ok(download(
                bytes,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &format!("{name}.xlsx"),
            ))
        }
        other => Err(ApiError::BadRequest(format!(
            "format {other:?}: expected json, csv or xlsx"
        ))),
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A file to download.
pub fn download(body: Vec<u8>, mime: &str, file: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response()
}
