//! Tables as JSON pages, CSV or Excel (xlsx): every list a user sees can be exported.

use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use lantian_app::table_xlsx::text_cell;
use lantian_store::{Page, Paged};
use serde::Deserialize;
use serde_json::{Map, Value, json};

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

/// Chinese headers of the columns files carry (CSV and Excel are for people; JSON keeps the
/// keys). Times say they are Beijing time.
const HEADERS: &[(&str, &str)] = &[
    ("start", "开始时间（北京时间）"),
    ("time", "时段（北京时间，按结束时刻）"),
    ("date", "日期（北京时间）"),
    ("at", "时间（北京时间）"),
    ("last_seen", "最后通信（北京时间）"),
    ("value", "浓度"),
    ("source", "数据来源"),
    ("n_observed", "有效数"),
    ("n_expected", "应有数"),
    ("corrected", "修正原因"),
    ("valid", "有效"),
    ("id", "编号"),
    ("name", "名称"),
    ("name_zh", "名称"),
    ("name_en", "英文名称"),
    ("kind", "类型"),
    ("parent_id", "上级单位"),
    ("lat", "纬度"),
    ("lon", "经度"),
    ("role", "站点类型"),
    ("unit", "单位"),
    ("demo", "演示"),
    ("pollutants", "监测项目"),
    ("mn", "设备编码(MN)"),
    ("station", "站点"),
    ("edition", "HJ 212 版本"),
    ("connected", "在线"),
    ("packets", "数据包数"),
    ("rejects", "拒收数"),
    ("category", "类别"),
    ("primary", "首要污染物"),
    ("pm25", "PM2.5"),
    ("pm10", "PM10"),
    ("so2", "SO2"),
    ("no2", "NO2"),
    ("co", "CO"),
    ("o3", "O3"),
    ("o3_8h", "O3_8h"),
    ("coverage", "数据完整率"),
    ("rule_set", "标准版本"),
    ("view", "数据类型"),
    ("rank", "排名"),
    ("composite_index", "综合指数"),
    ("good_day_ratio", "优良天数比例(%)"),
    ("valid_days", "有效天数"),
    ("scope", "范围"),
    ("period", "时段类型"),
    ("section", "方案条款"),
    ("task", "重点工作"),
    ("measure", "工作措施"),
    ("responsibility", "责任单位"),
    ("lead_units", "牵头单位"),
    ("supporting_units", "配合单位"),
    ("deadlines", "完成时限"),
    ("status_zh", "状态"),
    ("at_risk", "临近时限"),
    ("actor", "操作人"),
    ("action", "操作"),
    ("object", "对象"),
    ("detail", "详情"),
    ("outlet", "排放口"),
    ("hour", "小时（北京时间，开始时刻）"),
    ("code", "污染物代码"),
    ("measured", "实测浓度(mg/m³)"),
    ("o2", "氧含量(%)"),
    ("converted", "折算浓度(mg/m³)"),
    ("limit", "排放限值(mg/m³)"),
    ("exceeds", "超标"),
    ("flow", "烟气流量(m³/h)"),
    ("emission_kg", "排放量(kg)"),
    ("stopped", "停运"),
    ("minutes", "有效分钟数"),
    ("device_converted", "设备折算浓度(mg/m³)"),
    ("device_emission_kg", "设备排放量(kg)"),
    ("device_mismatch", "设备数据不一致"),
    ("span", "统计时段（北京时间）"),
    ("hours_counted", "计入小时数"),
    ("exceedance_hours", "超标小时数"),
    ("stopped_hours", "停运小时数"),
    ("mismatch_hours", "不一致小时数"),
    ("unit_name", "所属乡镇"),
    ("industry", "行业"),
    ("grade", "绩效分级"),
    ("key_polluter", "重点排污单位"),
    ("permit_no", "排污许可证编号"),
    ("credit_code", "统一社会信用代码"),
    ("clean_transport_target_pct", "清洁运输目标(%)"),
    ("discloses", "公开监测数据"),
    ("outlet_count", "排放口数"),
    ("plate", "车牌号"),
    ("direction_zh", "方向"),
    ("vehicle_type", "车辆类型"),
    ("standard", "排放标准"),
    ("fuel_zh", "燃料类型"),
    ("barred_in_warning", "预警期间禁行"),
];

/// The header of a column in a file.
fn header(column: &str) -> &str {
    HEADERS
        .iter()
        .find(|(k, _)| *k == column)
        .map_or(column, |(_, h)| h)
}

/// A page asked for with `page` and `per_page`, checked as every list checks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    /// From 1.
    pub page: usize,
    /// 1 to [`PER_PAGE_MAX`].
    pub per_page: usize,
    /// The rows of the earlier pages.
    pub skip: usize,
}

impl Paging {
    /// `page` (default 1) and `per_page` (default [`PER_PAGE_DEFAULT`]), or a 400 that says
    /// what is wrong: `per_page` outside 1-1000, page 0, or a page past any list.
    pub fn of(page: Option<usize>, per_page: Option<usize>) -> ApiResult<Paging> {
        let per_page = per_page.unwrap_or(PER_PAGE_DEFAULT);
        if per_page == 0 || per_page > PER_PAGE_MAX {
            return Err(ApiError::BadRequest(format!(
                "per_page must be 1-{PER_PAGE_MAX}"
            )));
        }
        let page = page.unwrap_or(1);
        if page == 0 {
            return Err(ApiError::BadRequest("page starts at 1".to_owned()));
        }
        let past = || {
            ApiError::BadRequest(format!(
                "page {page} of {per_page} rows is past any list: page × per_page overflows"
            ))
        };
        let skip = (page - 1).checked_mul(per_page).ok_or_else(past)?;
        // The store counts rows in i64.
        i64::try_from(skip).map_err(|_| past())?;
        Ok(Paging {
            page,
            per_page,
            skip,
        })
    }

    /// The page as the store reads it (`LIMIT per_page OFFSET skip`).
    pub fn store(&self) -> Page {
        Page {
            offset: i64::try_from(self.skip).unwrap_or(i64::MAX),
            limit: i64::try_from(self.per_page).unwrap_or(i64::MAX),
        }
    }

    /// This page cut from a whole list held in memory.
    pub fn cut<T>(&self, all: Vec<T>) -> Paged<T> {
        Paged::cut(all, self.store())
    }

    /// The JSON answer of a page: `{key: items, total, page, per_page}`, an object the
    /// caller may add its own fields to.
    pub fn answer<T: serde::Serialize>(&self, key: &str, p: &Paged<T>) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert(key.to_owned(), json!(p.items));
        m.insert("total".to_owned(), json!(p.total));
        m.insert("page".to_owned(), json!(self.page));
        m.insert("per_page".to_owned(), json!(self.per_page));
        m
    }
}

/// Paging alone, for a list that has no other parameters.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1.
    pub page: Option<usize>,
    /// Rows per page, 1-1000 (default 50).
    pub per_page: Option<usize>,
}

impl PageQuery {
    /// The page asked for, checked.
    pub fn paging(&self) -> ApiResult<Paging> {
        Paging::of(self.page, self.per_page)
    }
}

impl TableQuery {
    /// What to read from the store: the JSON page asked for (checked), or for a CSV or xlsx
    /// file every row, at most `file_rows_max`; an unknown format is a 400.
    pub fn to_read(&self, file_rows_max: i64) -> ApiResult<Page> {
        match self.format.as_deref().unwrap_or("json") {
            "json" => Ok(Paging::of(self.page, self.per_page)?.store()),
            "csv" | "xlsx" => Ok(Page::first(file_rows_max)),
            other => Err(ApiError::BadRequest(format!(
                "format {other:?}: expected json, csv or xlsx"
            ))),
        }
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
            let cut = Paging::of(q.page, q.per_page)?.cut(rows);
            table_read(cut.items, cut.total, columns, q, name)
        }
        format => file(rows, columns, format, name),
    }
}

/// Answers rows read as [`TableQuery::to_read`] said: as JSON, the page they are of a list of
/// `total` rows (`{items,total,page,per_page}`); as CSV or xlsx, a file of them all.
pub fn table_read(
    rows: Vec<Value>,
    total: usize,
    columns: &[&str],
    q: &TableQuery,
    name: &str,
) -> ApiResult<Response> {
    match q.format.as_deref().unwrap_or("json") {
        "json" => {
            let p = Paging::of(q.page, q.per_page)?;
            let read = Paged { items: rows, total };
            Ok(Json(p.answer("items", &read)).into_response())
        }
        format => file(rows, columns, format, name),
    }
}

/// Every row as a CSV or xlsx file.
fn file(rows: Vec<Value>, columns: &[&str], format: &str, name: &str) -> ApiResult<Response> {
    match format {
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
                            .write_number(rr, cc, rounded(n.as_f64().unwrap_or(f64::NAN)))
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
        Value::Bool(true) => "是".to_owned(),
        Value::Bool(false) => "否".to_owned(),
        Value::String(s) => text_cell(s).into_owned(),
        Value::Number(n) if n.is_f64() => {
            let text = format!("{:.6}", rounded(n.as_f64().unwrap_or(f64::NAN)));
            text.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
        other => other.to_string(),
    }
}

/// A computed number for a file: to six decimals, so that floating-point noise
/// (37.980000000000004) does not reach people; no figure Lantian shows has more.
fn rounded(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// A file to download; its name keeps ASCII letters, digits, `-`, `_` and `.` (a header is
/// ISO-8859-1).
pub fn download(body: Vec<u8>, mime: &str, file: &str) -> Response {
    let file: String = file
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cells_are_neutralised_and_numbers_are_not() {
        assert_eq!(cell(&Value::from("=1+1")), "'=1+1");
        assert_eq!(cell(&Value::from("-2")), "-2");
        assert_eq!(cell(&Value::from(-2.5)), "-2.5");
        assert_eq!(cell(&Value::from(37.980000000000004)), "37.98");
        assert_eq!(cell(&Value::from(2)), "2");
    }
}
