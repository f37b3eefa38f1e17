//! Assessments (HJ 663), the township ranking and this year's target.

use super::{Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::ApiResult;
use crate::export::{TableQuery, rows, table};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use lantian_app::assessment::{self, Span};
use lantian_app::data::Scope;
use lantian_core::assess::ranking::{Config, Method};
use lantian_core::rules::RuleChoice;
use lantian_store::View;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// `city` (default) or `unit:ID` (assessment only).
    pub scope: Option<String>,
    /// The year (2000-2100; default this year).
    pub year: Option<i32>,
    /// A month 1-12, or the whole year when absent.
    pub month: Option<u32>,
    /// `auto` (by the data's date, default), `2012` or `2026`.
    #[param(value_type = Option<String>)]
    pub rules: Option<RuleChoice>,
    /// `audited` (default) or `raw`.
    #[param(value_type = Option<String>)]
    pub view: Option<View>,
    /// `json` (default), `csv` or `xlsx` (rankings only).
    pub format: Option<String>,
    /// Rankings only: `composite_index` (default), `pm25_so2_sum`, `pm25`, `improvement` or
    /// `weighted` (docs/assessment.md).
    #[param(value_type = Option<String>)]
    pub method: Option<Method>,
}

/// `2026` or `2026-11`: what a ranking file covers.
fn name_of(span: Span) -> String {
    if span.n_days >= 365 {
        span.first.year().to_string()
    } else {
        lantian_core::Month::of(span.first).to_string()
    }
}

fn span(st: &AppState, q: &PeriodQuery) -> ApiResult<Span> {
    Ok(Span::of(
        q.year.unwrap_or_else(|| st.app.clock.today().year()),
        q.month,
    )?)
}

/// The HJ 663 assessment of the city or of a unit for a month or a year, from audited data
/// by default.
#[utoipa::path(get, path = "/assessment", tag = "assessment", params(PeriodQuery), responses((status = 200, body = Object)))]
pub async fn assessment(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<PeriodQuery>,
) -> ApiResult<Json<Value>> {
    let span = span(&st, &q)?;
    let scope = Scope::parse(q.scope.as_deref().unwrap_or("city"))?;
    let (rules, view) = (q.rules.unwrap_or_default(), q.view.unwrap_or(View::Audited));
    let a = run(&st, move |app| {
        assessment::assessment(app, &caller, &scope, span, rules, view)
    })
    .await?;
    Ok(Json(json!(a)))
}

/// Every town, township and zone ranked for a month or a year (1 is the best; units without
/// a station or valid data listed last without a rank), by composite index unless `method`
/// says otherwise, from audited data by default. JSON carries the method's formula.
#[utoipa::path(get, path = "/rankings", tag = "assessment", params(PeriodQuery), responses((status = 200, body = Object)))]
pub async fn rankings(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<PeriodQuery>,
) -> ApiResult<Response> {
    let span = span(&st, &q)?;
    let year = q.year.unwrap_or_else(|| st.app.clock.today().year());
    let (rules, view) = (q.rules.unwrap_or_default(), q.view.unwrap_or(View::Audited));
    let config = Config {
        method: q.method.unwrap_or_default(),
        ..Config::default()
    };
    let month = q.month;
    let r = run(&st, move |app| {
        assessment::rankings(app, &caller, year, month, &config, rules, view)
    })
    .await?;
    if q.format.as_deref().unwrap_or("json") == "json" {
        let total = r.rows.len();
        let mut v = json!(r);
        if let Some(o) = v.as_object_mut() {
            let items = o.remove("rows").unwrap_or(Value::Null);
            o.insert("items".into(), items);
            o.insert("total".into(), json!(total));
        }
        return Ok(Json(v).into_response());
    }
    let tq = TableQuery {
        format: q.format,
        per_page: Some(1000),
        page: Some(1),
    };
    table(
        rows(&r.rows),
        &[
            "rank",
            "unit",
            "name_zh",
            "name_en",
            "value",
            "composite_index",
            "pm25",
            "pm10",
            "so2",
            "good_day_ratio",
            "yoy_pct",
            "mom_pct",
            "valid_days",
            "days",
            "coverage_pct",
            "rule_set",
            "reason_zh",
        ],
        &tq,
        &format!("rankings-{}-{}", name_of(span), r.method),
    )
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ViewQuery {
    /// `audited` (default) or `raw`.
    #[param(value_type = Option<String>)]
    pub view: Option<View>,
}

/// This year's PM2.5 against the county's target, and the highest mean the rest of the year
/// may have.
#[utoipa::path(get, path = "/targets", tag = "assessment", params(ViewQuery), responses((status = 200, body = Object)))]
pub async fn targets(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<ViewQuery>,
) -> ApiResult<Json<Value>> {
    let view = q.view.unwrap_or(View::Audited);
    Ok(Json(json!(
        run(&st, move |app| assessment::targets(app, &caller, view)).await?
    )))
}
