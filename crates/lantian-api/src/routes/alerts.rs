//! Alerts over HTTP (issue 17; docs/ui.md, "Alerts"): the inbox, the bureau's rules and
//! webhook channels, and the delivery log. Thin: every check and decision is in
//! `lantian_app::alerts`.

use super::{J, P, Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::ApiResult;
use crate::export::{PageQuery, Paging};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use lantian_app::alerts::{self, ChannelInput, RuleInput};
use lantian_store::Paged;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Alerts to mark read; none: every alert of the inbox.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReadBody {
    pub ids: Vec<i64>,
}

/// A page of the caller's alerts, newest first: `{events, total, page, per_page, unread}`
/// (`total`: the inbox's alerts, `unread`: how many of them are unread; government
/// accounts; a unit's account sees those concerning its unit). The page is cut in SQL.
#[utoipa::path(get, path = "/alerts/inbox", tag = "alerts", params(PageQuery),
    responses((status = 200, body = Object), (status = 400, description = "A bad page or per_page")))]
pub async fn inbox(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<PageQuery>,
) -> ApiResult<Json<Value>> {
    let p = q.paging()?;
    let v = run(&st, move |app| alerts::inbox(app, &caller, p.store())).await?;
    Ok(Json(inbox_answer(&p, v)))
}

/// The inbox as JSON: the page under `events`, with the counts.
fn inbox_answer(p: &Paging, v: alerts::Inbox) -> Value {
    let mut m = p.answer(
        "events",
        &Paged {
            items: v.events,
            total: v.total,
        },
    );
    m.insert("unread".to_owned(), json!(v.unread));
    Value::Object(m)
}

/// Marks alerts read (`ids`; empty: every alert of the inbox); answers the inbox's page
/// (`page`, `per_page` as for the inbox).
#[utoipa::path(post, path = "/alerts/inbox/read", tag = "alerts", request_body = Object, params(PageQuery),
    responses((status = 200, body = Object), (status = 400, description = "A bad page or per_page")))]
pub async fn read(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<PageQuery>,
    J(b): J<ReadBody>,
) -> ApiResult<Json<Value>> {
    let p = q.paging()?;
    let v = run(&st, move |app| {
        alerts::mark_read(app, &caller, &b.ids, p.store())
    })
    .await?;
    Ok(Json(inbox_answer(&p, v)))
}

/// Every alert rule (the bureau).
#[utoipa::path(get, path = "/alerts/rules", tag = "alerts",
    responses((status = 200, body = Object)))]
pub async fn rules(State(st): State<AppState>, Who(caller): Who) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| alerts::rules(app, &caller)).await?;
    Ok(Json(json!({ "rules": v })))
}

/// Makes a rule: `name`, `kind` (aqi_above, station_offline, measure_due, measure_overdue,
/// alarm_opened, forward_queue_full), `threshold`, `scope`, `cooldown_min`, `enabled`, `channel_ids`.
#[utoipa::path(post, path = "/alerts/rules", tag = "alerts", request_body = Object,
    responses((status = 201, body = Object),
        (status = 400, description = "A field is missing or wrong: the message names it")))]
pub async fn create_rule(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<RuleInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let v = run(&st, move |app| alerts::create_rule(app, &caller, &b)).await?;
    Ok((StatusCode::CREATED, Json(json!(v))))
}

/// Changes a rule (its kind stays).
#[utoipa::path(post, path = "/alerts/rules/{id}", tag = "alerts",
    params(("id" = i64, Path, description = "Rule id")), request_body = Object,
    responses((status = 200, body = Object), (status = 404, description = "No such rule")))]
pub async fn update_rule(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    J(b): J<RuleInput>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| alerts::update_rule(app, &caller, id, &b)).await?;
    Ok(Json(json!(v)))
}

/// Every webhook channel, its URL's key and its secret masked (the bureau).
#[utoipa::path(get, path = "/alerts/channels", tag = "alerts",
    responses((status = 200, body = Object)))]
pub async fn channels(State(st): State<AppState>, Who(caller): Who) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| alerts::channels(app, &caller)).await?;
    Ok(Json(json!({ "channels": v })))
}

/// Adds a channel: `name`, `kind` (wecom, dingtalk, sms), `url`, `secret` (DingTalk),
/// `format` (markdown, text), `mobiles`, `template` (SMS), `enabled`.
#[utoipa::path(post, path = "/alerts/channels", tag = "alerts", request_body = Object,
    responses((status = 201, body = Object),
        (status = 400, description = "A field is missing or wrong: the message names it")))]
pub async fn create_channel(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<ChannelInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let v = run(&st, move |app| alerts::create_channel(app, &caller, &b)).await?;
    Ok((StatusCode::CREATED, Json(json!(v))))
}

/// Changes a channel (an empty `secret` keeps the stored one; `clear_secret` removes it).
#[utoipa::path(post, path = "/alerts/channels/{id}", tag = "alerts",
    params(("id" = i64, Path, description = "Channel id")), request_body = Object,
    responses((status = 200, body = Object), (status = 404, description = "No such channel")))]
pub async fn update_channel(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    J(b): J<ChannelInput>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| alerts::update_channel(app, &caller, id, &b)).await?;
    Ok(Json(json!(v)))
}

/// A page of the delivery log, newest first: each alert to each channel with its status and
/// every attempt (the bureau): `{deliveries, total, page, per_page}`, cut in SQL.
#[utoipa::path(get, path = "/alerts/deliveries", tag = "alerts", params(PageQuery),
    responses((status = 200, body = Object), (status = 400, description = "A bad page or per_page")))]
pub async fn deliveries(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<PageQuery>,
) -> ApiResult<Json<Value>> {
    let p = q.paging()?;
    let v = run(&st, move |app| alerts::deliveries(app, &caller, p.store())).await?;
    Ok(Json(Value::Object(p.answer("deliveries", &v))))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(inbox))
        .routes(routes!(read))
        .routes(routes!(rules, create_rule))
        .routes(routes!(update_rule))
        .routes(routes!(channels, create_channel))
        .routes(routes!(update_channel))
        .routes(routes!(deliveries))
}
