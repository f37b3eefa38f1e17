//! Tables as JSON pages, CSV or Excel (xlsx): every list a user sees can be exported.

use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

pub const PER_PAGE_DEFAULT: usize = 50;
pub const PER_PAGE_MAX: usize = 1000;

#[derive(Debug, Default, Deserialize)]
pub struct TableQuery {
    pub page: Option<usize>,
    pub per_page: Option<usize>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
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
            let _ = w.write_record(columns);
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
                    .write_string_with_format(0, c as u16, *name, &bold)
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

fn download(body: Vec<u8>, mime: &str, file: &str) -> Response {
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

/// One row of the ledger workbook.
#[derive(Clone, Debug, Default)]
pub struct LedgerLine {
    pub category: String,
    pub task: String,
    pub measure: String,
    pub responsibility: String,
    pub lead_units: String,
    pub supporting_units: String,
    pub deadlines: String,
    pub status: String,
    pub latest_progress: String,
}

impl LedgerLine {
    /// From a measure as the API shows it (`lead_units` etc. as arrays of text).
    pub fn from_json(v: &Value, latest_progress: String) -> LedgerLine {
        let text = |k: &str| v[k].as_str().unwrap_or("").to_owned();
        let join = |k: &str| {
            v[k].as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("、")
                })
                .unwrap_or_default()
        };
        LedgerLine {
            category: text("category"),
            task: text("task"),
            measure: text("measure"),
            responsibility: text("responsibility"),
            lead_units: join("lead_units"),
            supporting_units: join("supporting_units"),
            deadlines: join("deadlines"),
            status: text("status_zh"),
            latest_progress,
        }
    }
}

/// The ledger (台账) in the layout of the plan's attachment (类别, 重点工作, 工作措施, 责任单位,
/// with category and key-task cells merged as in the original), plus status columns.
pub fn ledger_xlsx(title: &str, lines: &[LedgerLine]) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
    let e = |x: rust_xlsxwriter::XlsxError| x.to_string();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("台账").map_err(e)?;
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
    let columns = [
        "类别",
        "重点工作",
        "工作措施",
        "责任单位",
        "牵头单位",
        "配合单位",
        "完成时限",
        "状态",
        "最近进展",
    ];
    let widths = [18.0, 22.0, 60.0, 30.0, 20.0, 28.0, 14.0, 10.0, 30.0];
    sheet
        .merge_range(0, 0, 0, columns.len() as u16 - 1, title, &titlef)
        .map_err(e)?;
    for (c, (name, w)) in columns.iter().zip(widths).enumerate() {
        sheet
            .write_string_with_format(1, c as u16, *name, &head)
            .map_err(e)?;
        sheet.set_column_width(c as u16, w).map_err(e)?;
    }
    let first = 2u32;
    for (i, l) in lines.iter().enumerate() {
        let r = first + i as u32;
        let values = [
            &l.category,
            &l.task,
            &l.measure,
            &l.responsibility,
            &l.lead_units,
            &l.supporting_units,
            &l.deadlines,
            &l.status,
            &l.latest_progress,
        ];
        for (c, v) in values.iter().enumerate() {
            sheet
                .write_string_with_format(r, c as u16, v.as_str(), &cell)
                .map_err(e)?;
        }
    }
    // Merge runs of equal category (column 0) and key task (column 1), as the original does.
    for col in [0u16, 1u16] {
        let mut start = 0usize;
        for i in 1..=lines.len() {
            let key = |k: usize| {
                (
                    lines[k].category.as_str(),
                    if col == 1 { lines[k].task.as_str() } else { "" },
                )
            };
            if i == lines.len() || key(i) != key(start) {
                if i - start > 1 {
                    let v = if col == 0 {
                        &lines[start].category
                    } else {
                        &lines[start].task
                    };
                    sheet
                        .merge_range(
                            first + start as u32,
                            col,
                            first + i as u32 - 1,
                            col,
                            v,
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
