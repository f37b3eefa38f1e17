//! Reverse control over HTTP (issue 22; docs/reverse-control.md): each device's control at a
//! glance (online, clock drift, back-fill), the command log with the devices' answers, an
//! operator's command queued for a device, and the periods marked back-filled. Thin: every
//! check and decision is in `lantian_app::device_commands`.

use super::{J, P, Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::ApiResult;
use crate::export::{PageQuery, Paging};
use axum::Json;
use axum::extract::State;
use lantian_app::device_commands::{self, Order};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(overview))
        .routes(routes!(log))
        .routes(routes!(queue))
        .routes(routes!(command))
        .routes(routes!(cancel))
        .routes(routes!(backfilled))
}

/// Every device the caller may control: online state (this server's gateway), the logger's
/// clock drift at the last read, history requests of the last 7 days with the records asked
/// for and received, commands queued (administrators, the bureau, operations for the
/// stations it operates).
/// A page at a time: `{devices, total, page, per_page}`.
#[utoipa::path(get, path = "/device-control", tag = "devices", params(PageQuery),
    responses((status = 200, body = Object), (status = 400, description = "A bad page or per_page"),
        (status = 401, description = "Login required"), (status = 403, description = "Not allowed")))]
pub async fn overview(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<PageQuery>,
) -> ApiResult<Json<Value>> {
    let p = q.paging()?;
    let status = (st.devices)();
    let v = run(&st, move |app| {
        device_commands::overview(app, &caller, &status)
    })
    .await?;
    Ok(Json(Value::Object(p.answer("devices", &p.cut(v)))))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// One device's commands (default: every device the caller may control).
    pub mn: Option<String>,
    /// `operator`, `backfill` or `time_sync`.
    pub origin: Option<String>,
    /// Page number, from 1.
    pub page: Option<usize>,
    /// Commands per page, 1-1000 (default 50).
    pub per_page: Option<usize>,
}

/// A page of the command log, newest first: `{commands, total, page, per_page}`, each with
/// what was asked (CN, parameters, by whom), its state (queued, sent, ready, refused, done,
/// failed, timeout, expired), the answers (QnRtn, ExeRtn, the reply's fields), records asked
/// for and received; times Beijing time. The page is cut in SQL.
#[utoipa::path(get, path = "/device-commands", tag = "devices", params(LogQuery),
    responses((status = 200, body = Object), (status = 400, description = "A parameter is wrong: the message names it"), (status = 403, description = "Not allowed")))]
pub async fn log(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<LogQuery>,
) -> ApiResult<Json<Value>> {
    let p = Paging::of(q.page, q.per_page)?;
    let v = run(&st, move |app| {
        device_commands::log_page(
            app,
            &caller,
            q.mn.as_deref().filter(|m| !m.is_empty()),
            q.origin.as_deref().filter(|o| !o.is_empty()),
            p.store(),
        )
    })
    .await?;
    Ok(Json(Value::Object(p.answer("commands", &v))))
}

/// An operator's command: the order (`kind` and its fields) and how long it may wait for
/// the device (hours, default 24).
#[derive(Debug, Deserialize)]
pub struct QueueBody {
    #[serde(flatten)]
    pub order: Order,
    pub expires_h: Option<i64>,
}

/// Queues a command for device `mn` (audited): `kind` is `get_time`, `set_time`,
/// `get_rtd_interval`, `set_rtd_interval` (`seconds`), `get_min_interval`,
/// `set_min_interval` (`minutes`), `calibrate` / `sample` (`pol_id`), `retain`
/// (`pol_id`?), `get_info` (`pol_id`, `info_id`?), `set_param` (`pol_id`, `info_id`,
/// `value`) or `history` (`period` hour/min/day, `begin`, `end` Beijing time). The gateway
/// the device is connected to sends it within a second or two; a device not connected
/// gets it when it connects, until `expires_h` hours have passed.
#[utoipa::path(post, path = "/devices/{mn}/commands", tag = "devices", request_body = Object,
    params(("mn" = String, Path, description = "The device's MN")),
    responses((status = 200, body = Object), (status = 400, description = "A field is wrong: the message names it"), (status = 403, description = "Not allowed"), (status = 404, description = "No such device")))]
pub async fn queue(
    State(st): State<AppState>,
    Who(caller): Who,
    P(mn): P<String>,
    J(b): J<QueueBody>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| {
        device_commands::queue(app, &caller, &mn, &b.order, b.expires_h)
    })
    .await?;
    Ok(Json(json!(v)))
}

/// One command of the log.
#[utoipa::path(get, path = "/device-commands/{id}", tag = "devices",
    params(("id" = i64, Path, description = "The command's id")),
    responses((status = 200, body = Object), (status = 403, description = "Not allowed"), (status = 404, description = "No such command")))]
pub async fn command(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| device_commands::command(app, &caller, id)).await?;
    Ok(Json(json!(v)))
}

/// Cancels a queued command (who may command its device), until a gateway has sent it.
#[utoipa::path(post, path = "/device-commands/{id}/cancel", tag = "devices",
    params(("id" = i64, Path, description = "The command's id")),
    responses((status = 200, body = Object), (status = 403, description = "Not allowed"), (status = 404, description = "No such command"), (status = 409, description = "Not queued any more: the message names its state")))]
pub async fn cancel(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| device_commands::cancel(app, &caller, id)).await?;
    Ok(Json(json!(v)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MarksQuery {
    pub station: String,
    /// `hour` (default), `min` or `day`.
    pub period: Option<String>,
    /// Beijing time `YYYY-MM-DD HH:MM`, at most 31 days apart.
    pub from: String,
    pub to: String,
}

/// The periods of a station stored from a back-fill: `origin` `request` (in answer to a
/// history request, with its command) or `resend` (the logger sent them again, RF=1).
#[utoipa::path(get, path = "/backfilled", tag = "devices", params(MarksQuery),
    responses((status = 200, body = Object), (status = 400, description = "A parameter is wrong: the message names it"), (status = 403, description = "Not allowed")))]
pub async fn backfilled(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<MarksQuery>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| {
        device_commands::backfilled(
            app,
            &caller,
            &q.station,
            q.period.as_deref().unwrap_or("hour"),
            &q.from,
            &q.to,
        )
    })
    .await?;
    Ok(Json(json!({ "marks": v })))
}
