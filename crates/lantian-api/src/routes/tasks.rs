//! Grid tasks over HTTP (docs/grid.md): the list with filters, paging and CSV/xlsx, one task
//! with its timeline and evidence, creation, acts, evidence upload and download, statistics
//! by township and month, the map's points and the overdue escalation. Thin: every
//! decision is in `lantian_app::tasks`.

use super::{J, P, Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::{ApiError, ApiResult};
use crate::export::{TableQuery, download, rows, table, table_read};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::response::Response;
use lantian_app::tasks::{self, ActRequest, EVIDENCE_BYTES_MAX, ListQuery, NewTask};
use lantian_core::Month;
use lantian_core::grid::task::{Source, State as TaskState};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TasksQuery {
    /// `dispatched`, `signed`, `handling`, `finished`, `approved` or `returned`.
    #[param(value_type = Option<String>)]
    pub state: Option<TaskState>,
    /// `fire_point`, `dust`, `complaint`, `inspection`, `alarm`, `smoky_vehicle`,
    /// `machinery` or `manual`.
    #[param(value_type = Option<String>)]
    pub source: Option<Source>,
    /// A township's unit id.
    pub township: Option<String>,
    /// The assignee's unit id.
    pub assignee: Option<String>,
    /// What the task came from (a fire point's key, a complaint's id).
    pub source_ref: Option<String>,
    /// Created in this month (Beijing time, `YYYY-MM`).
    #[param(value_type = Option<String>)]
    pub month: Option<Month>,
    /// Only the tasks overdue now (`true`) or not (`false`).
    pub overdue: Option<bool>,
    /// Only the tasks not yet finished.
    pub open: Option<bool>,
    /// Page number, from 1 (JSON only).
    pub page: Option<usize>,
    /// Rows per page, 1-1000 (JSON only; default 50).
    pub per_page: Option<usize>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

impl TasksQuery {
    fn list(&self) -> ListQuery {
        ListQuery {
            state: self.state,
            source: self.source,
            township: self.township.clone().filter(|s| !s.is_empty()),
            assignee: self.assignee.clone().filter(|s| !s.is_empty()),
            source_ref: self.source_ref.clone().filter(|s| !s.is_empty()),
            month: self.month,
            overdue: self.overdue,
            open: self.open,
        }
    }
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The tasks the caller sees (the bureau, administrators, the command: all; a township: in
/// it or assigned to it; a department: assigned to it), newest first: a page of JSON (cut in
/// SQL), or every match as CSV or xlsx.
#[utoipa::path(get, path = "/tasks", tag = "grid", params(TasksQuery),
    responses((status = 200, description = "A page of tasks, or a CSV or xlsx file", body = Object),
        (status = 400, description = "A bad filter, page, per_page or format"),
        (status = 401, description = "Log in"), (status = 403, description = "Not this role's")))]
pub async fn list(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<TasksQuery>,
) -> ApiResult<Response> {
    let lq = q.list();
    match q.format.as_deref() {
        Some("xlsx") => {
            let bytes = run(&st, move |app| tasks::export_xlsx(app, &caller, &lq)).await?;
            Ok(download(bytes, XLSX, "tasks.xlsx"))
        }
        Some("csv") => {
            let bytes = run(&st, move |app| tasks::export_csv(app, &caller, &lq)).await?;
            Ok(download(bytes, "text/csv; charset=utf-8", "tasks.csv"))
        }
        _ => {
            let tq = TableQuery {
                page: q.page,
                per_page: q.per_page,
                format: q.format,
            };
            let page = tq.to_read(i64::MAX)?;
            let list = run(&st, move |app| tasks::list_page(app, &caller, &lq, page)).await?;
            table_read(rows(&list.items), list.total, &["id"], &tq, "tasks")
        }
    }
}

/// Creates a task at a point; it is dispatched to the township the point lies in (a point
/// outside the county: 400 with the distance to the nearest township). Government accounts.
#[utoipa::path(post, path = "/tasks", tag = "grid", request_body = Object,
    responses((status = 200, body = Object), (status = 400, description = "Outside the county, or a bad field"),
        (status = 401, description = "Log in"), (status = 403, description = "Not this role's")))]
pub async fn create(
    State(st): State<AppState>,
    Who(caller): Who,
    J(t): J<NewTask>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        run(&st, move |app| tasks::create(app, &caller, t)).await?
    )))
}

/// One task with its timeline, evidence and the actions the caller may take.
#[utoipa::path(get, path = "/tasks/{id}", tag = "grid", params(("id" = i64, Path, description = "Task id")),
    responses((status = 200, body = Object), (status = 404, description = "No such task, or not the caller's")))]
pub async fn one(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        run(&st, move |app| tasks::one(app, &caller, id)).await?
    )))
}

/// Takes an action on a task: `sign`, `start`, `finish` (with `text`), `approve`, `return`
/// (with `text`), `reassign` (with `assignee` and `text`), `escalate`.
#[utoipa::path(post, path = "/tasks/{id}/act", tag = "grid", params(("id" = i64, Path, description = "Task id")),
    request_body = Object,
    responses((status = 200, body = Object), (status = 403, description = "Not the assignee's or the bureau's step"),
        (status = 409, description = "Not possible in the task's state, or it changed meanwhile")))]
pub async fn act(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    J(r): J<ActRequest>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        run(&st, move |app| tasks::act(app, &caller, id, &r)).await?
    )))
}

/// Attaches an evidence file (JPEG, PNG or PDF by content, at most 10 MiB; the body is the
/// file, `X-Filename` its name). A photo's EXIF time and position are checked against the
/// task; a photo that disagrees is kept and flagged with the reason.
#[utoipa::path(post, path = "/tasks/{id}/evidence", tag = "grid", params(("id" = i64, Path, description = "Task id")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = Object), (status = 413, description = "Larger than 10 MiB")))]
pub async fn evidence(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    if body.len() > EVIDENCE_BYTES_MAX {
        return Err(ApiError::PayloadTooLarge);
    }
    let name = super::upload_name(&headers, "evidence");
    Ok(Json(json!(
        run(&st, move |app| tasks::evidence(
            app, &caller, id, &name, &body
        ))
        .await?
    )))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    /// The stored file's name, as the task lists it.
    pub file: String,
}

/// An evidence file of a task the caller sees.
#[utoipa::path(get, path = "/tasks/{id}/evidence", tag = "grid",
    params(("id" = i64, Path, description = "Task id"), FileQuery),
    responses((status = 200, description = "The file"), (status = 404, description = "No such file")))]
pub async fn evidence_file(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    Q(q): Q<FileQuery>,
) -> ApiResult<Response> {
    let name = q.file.clone();
    let (bytes, mime) = run(&st, move |app| {
        tasks::evidence_file(app, &caller, id, &q.file)
    })
    .await?;
    Ok(download(bytes, mime, &name))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// First month (Beijing time, `YYYY-MM`; default: the last).
    #[param(value_type = Option<String>)]
    pub from: Option<Month>,
    /// Last month (default: this month).
    #[param(value_type = Option<String>)]
    pub to: Option<Month>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

/// Statistics by township and month: count, closed, open, overdue, escalated, median and
/// mean hours to close; every township the caller sees, those without tasks with zero.
#[utoipa::path(get, path = "/task-stats", tag = "grid", params(StatsQuery),
    responses((status = 200, body = Object), (status = 401, description = "Log in")))]
pub async fn stats(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<StatsQuery>,
) -> ApiResult<Response> {
    let (from, to) = (q.from, q.to);
    let list = run(&st, move |app| tasks::stats(app, &caller, from, to)).await?;
    let tq = TableQuery {
        page: None,
        per_page: Some(crate::export::PER_PAGE_MAX),
        format: q.format,
    };
    table(
        rows(&list),
        &[
            "month",
            "township",
            "township_name",
            "count",
            "closed",
            "open",
            "overdue",
            "escalated",
            "median_hours_to_close",
            "mean_hours_to_close",
        ],
        &tq,
        "task-stats",
    )
}

/// The map's points (place, state, source, creation time) of the tasks the caller sees,
/// as the list's filters narrow them: for the map and its hot spots over time.
#[utoipa::path(get, path = "/task-map", tag = "grid", params(TasksQuery),
    responses((status = 200, body = Object), (status = 401, description = "Log in")))]
pub async fn map(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<TasksQuery>,
) -> ApiResult<Json<Value>> {
    let lq = q.list();
    let points = run(&st, move |app| tasks::map_points(app, &caller, &lq)).await?;
    Ok(Json(json!({ "points": points })))
}

/// Escalates every task overdue to finish, once each (what `lantian serve` does hourly):
/// the bureau and administrators.
#[utoipa::path(post, path = "/task-escalation", tag = "grid",
    responses((status = 200, body = Object), (status = 403, description = "Not the bureau's")))]
pub async fn escalate(State(st): State<AppState>, Who(caller): Who) -> ApiResult<Json<Value>> {
    let ids = run(&st, move |app| tasks::escalate(app, &caller)).await?;
    Ok(Json(json!({ "escalated": ids })))
}
/// The grid task routes; the evidence upload with a body limit of its own.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(one))
        .routes(routes!(act))
        .routes(routes!(stats))
        .routes(routes!(map))
        .routes(routes!(escalate))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(evidence, evidence_file))
                .layer(DefaultBodyLimit::max(EVIDENCE_BYTES_MAX + 1024)),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_percent_decoded_and_other_text_is_kept() {
        for (raw, want) in [
            ("%E7%85%A7%E7%89%87.jpg", "照片.jpg"),
            ("photo.jpg", "photo.jpg"),
            ("100%.pdf", "100%.pdf"),
            ("%zz", "%zz"),
        ] {
            assert_eq!(super::super::percent_decode(raw.as_bytes()), want);
        }
    }

    #[test]
    fn a_response_is_built_for_a_download() {
        let r = download(b"x".to_vec(), XLSX, "tasks.xlsx");
        assert_eq!(r.status(), 200);
    }
}
