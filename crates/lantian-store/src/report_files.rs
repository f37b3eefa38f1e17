//! The periodic reports' schedules and the report files made (issue 17): a schedule says
//! which report (日报 / 周报 / 月报, city or a township) `lantian serve` makes in which formats
//! from which Beijing hour; a file is the bytes of one made report with its SHA-256, kept
//! once per kind, scope, period and format (made again: replaced).

use crate::Store;
use crate::db::{Conn, Row, Val};
use crate::error::StoreError;
use crate::model::{Page, Paged};

/// A schedule as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReportSchedule {
    pub id: i64,
    /// `daily`, `weekly` or `monthly`.
    pub kind: String,
    /// `city` or `unit:ID`.
    pub scope: String,
    /// `xlsx`, `pdf` or both, separated by commas.
    pub formats: String,
    /// The Beijing hour (0–23) from which the last ended period's report is made.
    pub hour_cst: i64,
    pub enabled: bool,
    pub created_by: String,
    pub created_ms: i64,
}

/// A report file to store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewReportFile {
    pub kind: String,
    pub scope: String,
    pub period: String,
    pub format: String,
    pub name: String,
    pub title: String,
    pub view: String,
    pub bytes: Vec<u8>,
    pub generated_ms: i64,
    pub generated_by: String,
    pub schedule_id: Option<i64>,
}

/// A stored report file, without its bytes ([`Store::report_file_bytes`] reads them).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReportFile {
    pub id: i64,
    pub kind: String,
    pub scope: String,
    pub period: String,
    pub format: String,
    pub name: String,
    pub title: String,
    pub view: String,
    pub size: i64,
    pub sha256: String,
    pub generated_ms: i64,
    pub generated_by: String,
    pub schedule_id: Option<i64>,
}

const SCHEDULE_COLUMNS: &str =
    "id, kind, scope, formats, hour_cst, enabled, created_by, created_ms";
const FILE_COLUMNS: &str = "id, kind, scope, period, format, name, title, view, size, sha256, \
     generated_ms, generated_by, schedule_id";

fn schedule(r: &Row) -> ReportSchedule {
    let text = |i: usize| r[i].text().unwrap_or_default();
    ReportSchedule {
        id: r[0].int().unwrap_or(0),
        kind: text(1),
        scope: text(2),
        formats: text(3),
        hour_cst: r[4].int().unwrap_or(0),
        enabled: r[5].int().unwrap_or(0) != 0,
        created_by: text(6),
        created_ms: r[7].int().unwrap_or(0),
    }
}

fn file(r: &Row) -> ReportFile {
    let text = |i: usize| r[i].text().unwrap_or_default();
    ReportFile {
        id: r[0].int().unwrap_or(0),
        kind: text(1),
        scope: text(2),
        period: text(3),
        format: text(4),
        name: text(5),
        title: text(6),
        view: text(7),
        size: r[8].int().unwrap_or(0),
        sha256: text(9),
        generated_ms: r[10].int().unwrap_or(0),
        generated_by: text(11),
        schedule_id: r[12].int(),
    }
}

fn one_schedule(c: &mut dyn Conn, id: i64) -> Result<ReportSchedule, StoreError> {
    c.query(
        &format!("SELECT {SCHEDULE_COLUMNS} FROM report_schedules WHERE id = $1"),
        &[id.into()],
    )?
    .first()
    .map(schedule)
    .ok_or_else(|| StoreError::NotFound {
        what: format!("报告计划 {id} / report schedule {id}"),
    })
}

impl Store {
    /// Adds a schedule (one per kind and scope: a second is a conflict); returns it.
    pub fn insert_report_schedule(&self, s: &ReportSchedule) -> Result<ReportSchedule, StoreError> {
        self.write(|c| {
            let rows = c.query(
                &format!(
                    "INSERT INTO report_schedules (kind, scope, formats, hour_cst, enabled, \
                     created_by, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     RETURNING {SCHEDULE_COLUMNS}"
                ),
                &[
                    s.kind.as_str().into(),
                    s.scope.as_str().into(),
                    s.formats.as_str().into(),
                    s.hour_cst.into(),
                    s.enabled.into(),
                    s.created_by.as_str().into(),
                    s.created_ms.into(),
                ],
            )?;
            rows.first()
                .map(schedule)
                .ok_or_else(|| StoreError::Invalid {
                    what: "the inserted report schedule was not returned".to_owned(),
                })
        })
    }

    /// Every schedule, by kind and scope.
    pub fn report_schedules(&self) -> Result<Vec<ReportSchedule>, StoreError> {
        let sql = format!("SELECT {SCHEDULE_COLUMNS} FROM report_schedules ORDER BY kind, scope");
        Ok(self
            .read(|c| c.query(&sql, &[]))?
            .iter()
            .map(schedule)
            .collect())
    }

    /// Sets a schedule's formats, hour and whether it runs; returns it.
    pub fn update_report_schedule(
        &self,
        id: i64,
        formats: &str,
        hour_cst: i64,
        enabled: bool,
    ) -> Result<ReportSchedule, StoreError> {
        self.write(|c| {
            one_schedule(c, id)?;
            c.exec(
                "UPDATE report_schedules SET formats = $2, hour_cst = $3, enabled = $4 WHERE id = $1",
                &[id.into(), formats.into(), hour_cst.into(), enabled.into()],
            )?;
            one_schedule(c, id)
        })
    }

    /// Removes a schedule (its files stay); returns it as it was.
    pub fn delete_report_schedule(&self, id: i64) -> Result<ReportSchedule, StoreError> {
        self.write(|c| {
            let s = one_schedule(c, id)?;
            c.exec("DELETE FROM report_schedules WHERE id = $1", &[id.into()])?;
            Ok(s)
        })
    }

    /// Stores a report file, replacing the one of the same kind, scope, period and format.
    pub fn put_report_file(&self, f: &NewReportFile) -> Result<ReportFile, StoreError> {
        let sha256 = crate::complaints::sha256_hex(&f.bytes);
        self.write(|c| {
            c.exec(
                "DELETE FROM report_files WHERE kind = $1 AND scope = $2 AND period = $3 AND format = $4",
                &[
                    f.kind.as_str().into(),
                    f.scope.as_str().into(),
                    f.period.as_str().into(),
                    f.format.as_str().into(),
                ],
            )?;
            let rows = c.query(
                &format!(
                    "INSERT INTO report_files (kind, scope, period, format, name, title, view, \
                     bytes, size, sha256, generated_ms, generated_by, schedule_id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                     RETURNING {FILE_COLUMNS}"
                ),
                &[
                    f.kind.as_str().into(),
                    f.scope.as_str().into(),
                    f.period.as_str().into(),
                    f.format.as_str().into(),
                    f.name.as_str().into(),
                    f.title.as_str().into(),
                    f.view.as_str().into(),
                    crate::db::Val::Blob(f.bytes.clone()),
                    (f.bytes.len() as i64).into(),
                    sha256.as_str().into(),
                    f.generated_ms.into(),
                    f.generated_by.as_str().into(),
                    f.schedule_id.into(),
                ],
            )?;
            rows.first().map(file).ok_or_else(|| StoreError::Invalid {
                what: "the inserted report file was not returned".to_owned(),
            })
        })
    }

    /// Whether a file of this kind, scope, period and format exists.
    pub fn has_report_file(
        &self,
        kind: &str,
        scope: &str,
        period: &str,
        format: &str,
    ) -> Result<bool, StoreError> {
        Ok(!self
            .read(|c| {
                c.query(
                    "SELECT id FROM report_files WHERE kind = $1 AND scope = $2 AND period = $3 AND format = $4",
                    &[kind.into(), scope.into(), period.into(), format.into()],
                )
            })?
            .is_empty())
    }

    /// The files made, newest first, at most `limit`.
    pub fn report_files(&self, limit: i64) -> Result<Vec<ReportFile>, StoreError> {
        let sql = format!(
            "SELECT {FILE_COLUMNS} FROM report_files ORDER BY generated_ms DESC, id DESC LIMIT $1"
        );
        Ok(self
            .read(|c| c.query(&sql, &[limit.into()]))?
            .iter()
            .map(file)
            .collect())
    }

    /// The scopes files were made for (`city`, `unit:ID`), each once.
    pub fn report_file_scopes(&self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .read(|c| {
                c.query(
                    "SELECT DISTINCT scope FROM report_files ORDER BY scope",
                    &[],
                )
            })?
            .iter()
            .filter_map(|r| r[0].text())
            .collect())
    }

    /// One page of the files of `scopes` (none: of every scope), newest first, and how many
    /// there are: schedules make files every day, so the page is cut in SQL.
    pub fn report_files_page(
        &self,
        scopes: Option<&[String]>,
        page: Page,
    ) -> Result<Paged<ReportFile>, StoreError> {
        let mut from = String::from("report_files");
        let mut params: Vec<Val> = Vec::new();
        if let Some(scopes) = scopes {
            if scopes.is_empty() {
                return Ok(Paged {
                    items: Vec::new(),
                    total: 0,
                });
            }
            let marks: Vec<String> = scopes
                .iter()
                .map(|s| {
                    params.push(s.as_str().into());
                    format!("${}", params.len())
                })
                .collect();
            from.push_str(&format!(" WHERE scope IN ({})", marks.join(", ")));
        }
        let (rows, total) = self.read(|c| {
            crate::db::page_of(
                c,
                FILE_COLUMNS,
                &from,
                "generated_ms DESC, id DESC",
                &params,
                page,
            )
        })?;
        Ok(Paged {
            items: rows.iter().map(file).collect(),
            total,
        })
    }

    /// One file's record and bytes.
    pub fn report_file_bytes(&self, id: i64) -> Result<(ReportFile, Vec<u8>), StoreError> {
        let sql = format!("SELECT {FILE_COLUMNS}, bytes FROM report_files WHERE id = $1");
        let rows = self.read(|c| c.query(&sql, &[id.into()]))?;
        let r = rows.first().ok_or_else(|| StoreError::NotFound {
            what: format!("报告文件 {id} / report file {id}"),
        })?;
        Ok((file(r), r[13].blob().unwrap_or_default()))
    }
}
