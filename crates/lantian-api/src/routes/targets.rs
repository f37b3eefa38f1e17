//! Targets per year, unit and indicator over HTTP: the list, the bureau's edits and their
//! history, monthly breakdowns and every unit's progress. Thin: every decision is in
//! `lantian_app::targets` (docs/targets.md).

use super::{J, P, Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::ApiResult;
use axum::Json;
use axum::extract::State;
use lantian_app::targets::{self, SetTarget};
use lantian_core::rules::RuleChoice;
use lantian_core::targets::{Indicator, Method};
use lantian_store::View;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SetBody {
    /// The county's id (the city) or a town, township or zone id.
    pub unit: String,
    /// `pm25`, `good_day_ratio`, `heavy_days`, `heavy_day_ratio`, `composite_index` or
    /// `provincial:CODE`.
    #[schema(value_type = String)]
    pub indicator: Indicator,
    /// µg/m³, % or days; `null` for a 省定目标 whose number is still to come.
    pub value: Option<f64>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    pub unit: Option<String>,
    #[param(value_type = Option<String>)]
    pub indicator: Option<Indicator>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct BreakdownBody {
    pub unit: String,
    #[schema(value_type = String)]
    pub indicator: Indicator,
    /// `even`, `seasonal` (from the unit's last three years) or `typed`.
    #[schema(value_type = String)]
    pub method: Method,
    /// Typed: January to December.
    #[serde(default)]
    pub values: Vec<f64>,
    /// How the history of a seasonal breakdown is assessed: `auto`, `2012` or `2026`.
    #[schema(value_type = Option<String>)]
    pub rules: Option<RuleChoice>,
    #[schema(value_type = Option<String>)]
    pub view: Option<View>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgressQuery {
    /// 1-12 (default: this month, Beijing time, in this year; else December).
    pub month: Option<u32>,
    /// `auto` (by the data's date, default), `2012` or `2026`: a year across 2026-03-01 is
    /// shown under either.
    #[param(value_type = Option<String>)]
    pub rules: Option<RuleChoice>,
    /// `audited` (default) or `raw`.
    #[param(value_type = Option<String>)]
    pub view: Option<View>,
}

/// The current targets of a year the caller reads (the city's: everyone).
#[utoipa::path(get, path = "/targets/{year}", tag = "targets",
    params(("year" = i32, Path, description = "2000-2100")),
    responses((status = 200, description = "Per unit and indicator: value, source, note, breakdown method", body = Object)))]
pub async fn list(
    State(st): State<AppState>,
    Who(caller): Who,
    P(year): P<i32>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| targets::list(app, &caller, year)).await?;
    Ok(Json(json!({ "year": year, "items": v })))
}

/// Sets a target (the bureau): a new version, the earlier ones kept in the history.
#[utoipa::path(post, path = "/targets/{year}", tag = "targets",
    params(("year" = i32, Path, description = "2000-2100")), request_body = SetBody,
    responses((status = 200, description = "The new version", body = Object)))]
pub async fn set(
    State(st): State<AppState>,
    Who(caller): Who,
    P(year): P<i32>,
    J(b): J<SetBody>,
) -> ApiResult<Json<Value>> {
    let t = SetTarget {
        year,
        unit: b.unit,
        indicator: b.indicator,
        value: b.value,
        note: b.note,
    };
    let v = run(&st, move |app| targets::set(app, &caller, &t)).await?;
    Ok(Json(json!(v)))
}

/// Every version of a year's targets the caller reads, oldest first.
#[utoipa::path(get, path = "/targets/{year}/history", tag = "targets",
    params(("year" = i32, Path, description = "2000-2100"), HistoryQuery),
    responses((status = 200, description = "Versions with who, when (Unix ms), source and note", body = Object)))]
pub async fn history(
    State(st): State<AppState>,
    Who(caller): Who,
    P(year): P<i32>,
    Q(q): Q<HistoryQuery>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| {
        targets::history(app, &caller, year, q.unit.as_deref(), q.indicator.as_ref())
    })
    .await?;
    Ok(Json(json!({ "year": year, "items": v })))
}

/// The monthly breakdowns of a year the caller reads (the even split where none is stored).
#[utoipa::path(get, path = "/targets/{year}/breakdowns", tag = "targets",
    params(("year" = i32, Path, description = "2000-2100")),
    responses((status = 200, description = "Per unit and indicator: method, 12 months, the year they imply", body = Object)))]
pub async fn breakdowns(
    State(st): State<AppState>,
    Who(caller): Who,
    P(year): P<i32>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| targets::breakdowns(app, &caller, year)).await?;
    Ok(Json(json!({ "year": year, "items": v })))
}

/// Sets a target's monthly breakdown (the bureau): even, seasonal or typed.
#[utoipa::path(post, path = "/targets/{year}/breakdowns", tag = "targets",
    params(("year" = i32, Path, description = "2000-2100")), request_body = BreakdownBody,
    responses((status = 200, description = "The breakdown stored", body = Object)))]
pub async fn set_breakdown(
    State(st): State<AppState>,
    Who(caller): Who,
    P(year): P<i32>,
    J(b): J<BreakdownBody>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| {
        targets::breakdown(
            app,
            &caller,
            year,
            &b.unit,
            &b.indicator,
            b.method,
            &b.values,
            b.rules.unwrap_or_default(),
            b.view.unwrap_or(View::Audited),
        )
    })
    .await?;
    Ok(Json(json!(v)))
}

/// Every unit's progress the caller reads: the month and the year to its end (or today),
/// against the targets and their breakdown; verdicts (met, still allowed, projection) only
/// for government accounts.
#[utoipa::path(get, path = "/targets/{year}/progress", tag = "targets",
    params(("year" = i32, Path, description = "2000-2100"), ProgressQuery),
    responses((status = 200, description = "One item per unit and indicator", body = Object)))]
pub async fn progress(
    State(st): State<AppState>,
    Who(caller): Who,
    P(year): P<i32>,
    Q(q): Q<ProgressQuery>,
) -> ApiResult<Json<Value>> {
    let rules = q.rules.unwrap_or_default();
    let view = q.view.unwrap_or(View::Audited);
    let v = run(&st, move |app| {
        let today = app.clock.today();
        let month = q.month.unwrap_or(if today.year() == year {
            today.month()
        } else {
            12
        });
        targets::progress(app, &caller, year, month, rules, view)
    })
    .await?;
    Ok(Json(json!({
        "year": year,
        "rules": rules,
        "view": view,
        "items": v,
    })))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, set))
        .routes(routes!(history))
        .routes(routes!(breakdowns, set_breakdown))
        .routes(routes!(progress))
}
