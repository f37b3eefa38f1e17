//! Bulk open-data files (docs/open-data.md "Bulk files"): one month of a published station
//! (or of all of them) as CSV (UTF-8 with a header) or Parquet (the `parquet` crate's
//! low-level `SerializedFileWriter`, uncompressed), with the columns of [`OpenValue`], and
//! the list of a month's files with their sizes and SHA-256 digests.
//!
//! The rows are exactly those of `opendata::values` for the month, so a file and the
//! `hourly`/`daily` API agree value for value, status for status.

use crate::App;
use crate::error::{AppError, AppResult};
use crate::opendata::{self, Kind, OpenValue, Status};
use crate::table_xlsx::text_cell;
use lantian_core::pollutant::Pollutant;
use lantian_core::{Month, cst};
use lantian_store::Station;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::record::Field;
use parquet::schema::parser::parse_message_type;
use serde::Serialize;
use std::sync::Arc;

/// The columns of every bulk file, in order (the fields of [`OpenValue`]).
pub const COLUMNS: [&str; 9] = [
    "station_id",
    "station_name",
    "time_bj",
    "pollutant",
    "value",
    "unit",
    "status",
    "audit_version",
    "flag",
];

/// How many months the list offers, up to the latest month with data.
pub const LIST_MONTHS: i32 = 12;

/// A bulk file's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Parquet,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "csv" => Some(Format::Csv),
            "parquet" => Some(Format::Parquet),
            _ => None,
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Parquet => "application/vnd.apache.parquet",
        }
    }
}

/// The rows as CSV: UTF-8, a header line of [`COLUMNS`], numbers as Rust writes them (the
/// shortest text that reads back as the same number), empty cells for `null`; texts through
/// `table_xlsx::text_cell` (a name starting with `=` is not a formula in a spreadsheet).
pub fn csv(rows: &[OpenValue]) -> AppResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| AppError::Internal(format!("bulk CSV: {e}"));
    w.write_record(COLUMNS).map_err(err)?;
    for r in rows {
        w.write_record([
            text_cell(&r.station_id).into_owned(),
            text_cell(&r.station_name).into_owned(),
            r.time_bj.clone(),
            r.pollutant.clone(),
            r.value.map(|v| v.to_string()).unwrap_or_default(),
            r.unit.clone(),
            r.status.as_str().to_owned(),
            r.audit_version.to_string(),
            text_cell(r.flag.as_deref().unwrap_or_default()).into_owned(),
        ])
        .map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(format!("bulk CSV: {e}")))
}

const SCHEMA: &str = "
message lantian_open_data {
  REQUIRED BYTE_ARRAY station_id (UTF8);
  REQUIRED BYTE_ARRAY station_name (UTF8);
  REQUIRED BYTE_ARRAY time_bj (UTF8);
  REQUIRED BYTE_ARRAY pollutant (UTF8);
  OPTIONAL DOUBLE value;
  REQUIRED BYTE_ARRAY unit (UTF8);
  REQUIRED BYTE_ARRAY status (UTF8);
  REQUIRED INT64 audit_version;
  OPTIONAL BYTE_ARRAY flag (UTF8);
}";

fn pq(e: parquet::errors::ParquetError) -> AppError {
    AppError::Internal(format!("bulk Parquet: {e}"))
}

/// The rows as a Parquet file: one row group, uncompressed.
pub fn parquet(rows: &[OpenValue]) -> AppResult<Vec<u8>> {
    let schema = Arc::new(parse_message_type(SCHEMA).map_err(pq)?);
    let props = Arc::new(WriterProperties::builder().build());
    let mut w = SerializedFileWriter::new(Vec::new(), schema, props).map_err(pq)?;
    if !rows.is_empty() {
        let mut group = w.next_row_group().map_err(pq)?;
        let text = |f: fn(&OpenValue) -> &str| -> Vec<ByteArray> {
            rows.iter().map(|r| ByteArray::from(f(r))).collect()
        };
        let mut column = 0;
        while let Some(mut c) = group.next_column().map_err(pq)? {
            match COLUMNS[column] {
                "value" => {
                    let values: Vec<f64> = rows.iter().filter_map(|r| r.value).collect();
                    let defs: Vec<i16> =
                        rows.iter().map(|r| i16::from(r.value.is_some())).collect();
                    c.typed::<DoubleType>()
                        .write_batch(&values, Some(&defs), None)
                        .map_err(pq)?;
                }
                "audit_version" => {
                    let values: Vec<i64> = rows.iter().map(|r| r.audit_version).collect();
                    c.typed::<Int64Type>()
                        .write_batch(&values, None, None)
                        .map_err(pq)?;
                }
                "flag" => {
                    let values: Vec<ByteArray> = rows
                        .iter()
                        .filter_map(|r| r.flag.as_deref().map(ByteArray::from))
                        .collect();
                    let defs: Vec<i16> = rows.iter().map(|r| i16::from(r.flag.is_some())).collect();
                    c.typed::<ByteArrayType>()
                        .write_batch(&values, Some(&defs), None)
                        .map_err(pq)?;
                }
                name => {
                    let values = match name {
                        "station_id" => text(|r| &r.station_id),
                        "station_name" => text(|r| &r.station_name),
                        "time_bj" => text(|r| &r.time_bj),
                        "pollutant" => text(|r| &r.pollutant),
                        "unit" => text(|r| &r.unit),
                        _ => text(|r| r.status.as_str()),
                    };
                    c.typed::<ByteArrayType>()
                        .write_batch(&values, None, None)
                        .map_err(pq)?;
                }
            }
            c.close().map_err(pq)?;
            column += 1;
        }
        group.close().map_err(pq)?;
    }
    w.into_inner().map_err(pq)
}

/// Reads a bulk Parquet file back with the crate's reader (the acceptance test's check,
/// and anyone's): the rows as [`OpenValue`]s.
pub fn read_parquet(bytes: Vec<u8>) -> AppResult<Vec<OpenValue>> {
    let reader = SerializedFileReader::new(bytes::Bytes::from(bytes)).map_err(pq)?;
    let mut out = Vec::new();
    for row in reader.get_row_iter(None).map_err(pq)? {
        let row = row.map_err(pq)?;
        let mut v = OpenValue {
            station_id: String::new(),
            station_name: String::new(),
            time_bj: String::new(),
            pollutant: String::new(),
            value: None,
            unit: String::new(),
            status: Status::Preliminary,
            audit_version: 0,
            flag: None,
        };
        for (name, field) in row.get_column_iter() {
            match (name.as_str(), field) {
                ("station_id", Field::Str(s)) => v.station_id.clone_from(s),
                ("station_name", Field::Str(s)) => v.station_name.clone_from(s),
                ("time_bj", Field::Str(s)) => v.time_bj.clone_from(s),
                ("pollutant", Field::Str(s)) => v.pollutant.clone_from(s),
                ("value", Field::Double(x)) => v.value = Some(*x),
                ("unit", Field::Str(s)) => v.unit.clone_from(s),
                ("status", Field::Str(s)) if s == "audited" => v.status = Status::Audited,
                ("audit_version", Field::Long(n)) => v.audit_version = *n,
                ("flag", Field::Str(s)) => v.flag = Some(s.clone()),
                _ => {}
            }
        }
        out.push(v);
    }
    Ok(out)
}

/// The days of a month.
fn days(month: Month) -> (lantian_core::Date, lantian_core::Date) {
    let first = month.first_day();
    (first, first.add_days(i64::from(month.n_days()) - 1))
}

/// One bulk file: `station` is a published station's id or `all`.
pub fn file(
    app: &App,
    station: &str,
    month: Month,
    kind: Kind,
    format: Format,
) -> AppResult<Vec<u8>> {
    let (first, last) = days(month);
    let rows = opendata::station_values(
        app,
        (station != "all").then_some(station),
        kind,
        first,
        last,
    )?;
    encode(&rows, format)
}

fn encode(rows: &[OpenValue], format: Format) -> AppResult<Vec<u8>> {
    match format {
        Format::Csv => csv(rows),
        Format::Parquet => parquet(rows),
    }
}

/// A file of the list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BulkFile {
    /// A station's id, or `all`.
    pub station: String,
    pub month: String,
    pub kind: Kind,
    pub format: Format,
    /// The path under `/api/v1/open/`: `bulk/{station}/{YYYY-MM}/{kind}.{format}`.
    pub path: String,
    pub rows: usize,
    pub bytes: usize,
    pub sha256: String,
    /// `audited` when the month is closed.
    pub status: Status,
    /// The station-month's audit version (for `all`: the sum over the stations).
    pub audit_version: i64,
}

/// The files of one month, and the months offered.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BulkList {
    pub month: String,
    /// The months with files, latest first (up to [`LIST_MONTHS`], ending with the latest
    /// month with data).
    pub months: Vec<String>,
    pub files: Vec<BulkFile>,
}

/// The latest month with data at any published station (today's month when none).
fn latest_month(app: &App, stations: &[Station]) -> AppResult<Month> {
    let codes: Vec<&str> = Pollutant::ALL.iter().map(|p| p.hj212_code()).collect();
    let mut latest = None;
    for s in stations {
        latest = latest.max(app.store.latest_hour(&s.id, &codes)?);
    }
    Ok(Month::of(
        latest.map_or_else(|| app.clock.today(), cst::date_of),
    ))
}

/// The list of a month's files (default: the latest month with data), each file made to
/// measure its size and digest.
pub fn list(app: &App, month: Option<Month>) -> AppResult<BulkList> {
    let stations = opendata::published(app)?;
    let latest = latest_month(app, &stations)?;
    let months: Vec<Month> = (0..LIST_MONTHS)
        .filter_map(|k| {
            let n = latest.year() * 12 + latest.month() as i32 - 1 - k;
            Month::new(n.div_euclid(12), n.rem_euclid(12) as u32 + 1)
        })
        .collect();
    let month = month.unwrap_or(latest);
    let (first, last) = days(month);
    let closed = if app
        .store
        .closed_months()?
        .iter()
        .any(|m| m.month == month.to_string())
    {
        Status::Audited
    } else {
        Status::Preliminary
    };
    let mut files = Vec::new();
    for kind in [Kind::Hourly, Kind::Daily] {
        let mut all = Vec::new();
        let mut parts: Vec<(String, Vec<OpenValue>)> = Vec::new();
        for s in &stations {
            let rows = opendata::values(app, std::slice::from_ref(s), kind, first, last)?;
            all.extend(rows.iter().cloned());
            parts.push((s.id.clone(), rows));
        }
        parts.insert(0, ("all".to_owned(), all));
        for (station, rows) in &parts {
            let audit_version = version_sum(app, station, &stations, month)?;
            for format in [Format::Csv, Format::Parquet] {
                let body = encode(rows, format)?;
                files.push(BulkFile {
                    path: format!(
                        "bulk/{station}/{month}/{}.{}",
                        kind.as_str(),
                        format.as_str()
                    ),
                    station: station.clone(),
                    month: month.to_string(),
                    kind,
                    format,
                    rows: rows.len(),
                    bytes: body.len(),
                    sha256: digest(&body),
                    status: closed,
                    audit_version,
                });
            }
        }
    }
    Ok(BulkList {
        month: month.to_string(),
        months: months.iter().map(Month::to_string).collect(),
        files,
    })
}

/// The corrections recorded for a station's month (`all`: every published station's).
fn version_sum(app: &App, station: &str, stations: &[Station], month: Month) -> AppResult<i64> {
    let mut n = 0;
    for s in stations
        .iter()
        .filter(|s| station == "all" || s.id == station)
    {
        n += app
            .store
            .station_corrections(&s.id)?
            .iter()
            .filter(|k| Month::of(cst::date_of(k.ts)) == month)
            .count() as i64;
    }
    Ok(n)
}

/// The SHA-256 digest of a file, lower-case hexadecimal (the list's `sha256`, the
/// download's `ETag`).
pub fn digest(body: &[u8]) -> String {
    lantian_store::archive::sha256_hex(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(value: Option<f64>, flag: Option<&str>) -> OpenValue {
        OpenValue {
            station_id: "CITY-1".into(),
            station_name: "市监测站, \"北\"".into(),
            time_bj: "2026-11-09T09:00:00+08:00".into(),
            pollutant: "PM2.5".into(),
            value,
            unit: "μg/m³".into(),
            status: Status::Audited,
            audit_version: 3,
            flag: flag.map(str::to_owned),
        }
    }

    #[test]
    fn parquet_files_read_back_row_for_row_with_nulls_and_text() {
        for rows in [
            vec![],
            vec![row(Some(37.25), None)],
            vec![
                row(Some(0.1 + 0.2), Some("corrected")),
                row(None, Some("invalidated")),
                row(Some(-0.0), None),
            ],
        ] {
            let back = read_parquet(parquet(&rows).unwrap()).unwrap();
            assert_eq!(back, rows);
        }
    }

    #[test]
    fn csv_files_have_the_header_and_quote_what_needs_it() {
        let text = String::from_utf8(csv(&[row(None, Some("invalidated"))]).unwrap()).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(COLUMNS.join(",").as_str()));
        assert_eq!(
            lines.next(),
            Some(
                "CITY-1,\"市监测站, \"\"北\"\"\",2026-11-09T09:00:00+08:00,PM2.5,,μg/m³,audited,3,invalidated"
            )
        );
    }
}
