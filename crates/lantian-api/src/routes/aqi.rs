//! AQI now, the daily AQI (日报), and hourly or daily aggregates of any scope.

use super::{LangQuery, Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::ApiResult;
use crate::export::{TableQuery, rows, table};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use lantian_app::data::{self, Period, Scope};
use lantian_app::present::lang;
use lantian_core::Date;
use lantian_store::View;
use serde::Deserialize;
use serde_json::json;

/// AQI now of the city (assessment stations) and of every station whose data the caller
/// sees (the others by name and place only), from raw real-time data. Reused for 5 s.
#[utoipa::path(get, path = "/aqi/now", tag = "aqi", params(LangQuery), responses((status = 200, body = Object)))]
pub async fn now(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<LangQuery>,
) -> ApiResult<Response> {
    let l = lang(q.lang.as_deref());
    // What a caller sees depends on who it is: one cached answer per account.
    let key = format!("aqi_now|{}", super::cached_for(&caller));
    if let Some(r) = st.cache.get(&key, l) {
        return Ok(r);
    }
    let now = run(&st, move |app| lantian_app::aqi::now(app, &caller, l)).await?;
    Ok(st.cache.put(&key, l, &now))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DailyQuery {
    /// `city` (default), `unit:ID` or `station:ID`.
    pub scope: Option<String>,
    /// The last N days up to today (1-400, default 30).
    pub days: Option<i64>,
    /// First and last day, Beijing time (`YYYY-MM-DD`), instead of `days`.
    #[param(value_type = Option<String>)]
    pub from: Option<Date>,
    #[param(value_type = Option<String>)]
    pub to: Option<Date>,
    /// `audited` (default) or `raw`.
    #[param(value_type = Option<String>)]
    pub view: Option<View>,
    /// `zh` (default) or `en`.
    pub lang: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

/// The daily AQI (日报) of the city, a unit or a station, from audited data by default.
#[utoipa::path(get, path = "/daily-aqi", tag = "aqi", params(DailyQuery), responses((status = 200, body = Object)))]
pub async fn daily(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<DailyQuery>,
) -> ApiResult<Response> {
    let (first, last) = match (q.from, q.to, q.days) {
        (Some(f), Some(t), None) => (f, t),
        (None, None, days) => {
            let days = days.unwrap_or(30);
            if !(1..=data::SPAN_DAYS_MAX).contains(&days) {
                return Err(crate::ApiError::BadRequest(format!(
                    "days must be 1-{}",
                    data::SPAN_DAYS_MAX
                )));
            }
            let today = st.app.clock.today();
            (today.add_days(-(days - 1)), today)
        }
        _ => {
            return Err(crate::ApiError::BadRequest(
                "give days, or both from and to (YYYY-MM-DD)".to_owned(),
            ));
        }
    };
    let scope = Scope::parse(q.scope.as_deref().unwrap_or("city"))?;
    let (l, view) = (lang(q.lang.as_deref()), q.view.unwrap_or(View::Audited));
    let list = run(&st, move |app| {
        lantian_app::aqi::daily(app, &caller, &scope, first, last, l, view)
    })
    .await?;
    let q = TableQuery {
        format: q.format,
        per_page: Some(1000),
        page: Some(1),
    };
    table(
        rows(&list),
        &[
            "date", "aqi", "category", "primary", "pm25", "pm10", "o3_8h", "coverage", "rule_set",
            "view",
        ],
        &q,
        "daily-aqi",
    )
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AggregateQuery {
    /// `city` (default), `unit:ID` or `station:ID`.
    pub scope: Option<String>,
    /// `hour` or `day` (default).
    pub period: Option<String>,
    /// First and last day, Beijing time (`YYYY-MM-DD`, inclusive; at most 400 days).
    #[param(value_type = String)]
    pub from: Date,
    #[param(value_type = String)]
    pub to: Date,
    /// `audited` (default) or `raw`.
    #[param(value_type = Option<String>)]
    pub view: Option<View>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

/// Hourly or daily concentrations, O3 8-h, AQI, primary pollutants and coverage of a scope:
/// the rows `lantian query` prints, one per period. Times are Beijing time.
#[utoipa::path(get, path = "/query", tag = "aqi", params(AggregateQuery), responses((status = 200, body = Object)))]
pub async fn query(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<AggregateQuery>,
) -> ApiResult<Response> {
    let scope = Scope::parse(q.scope.as_deref().unwrap_or("city"))?;
    let period = Period::parse(q.period.as_deref().unwrap_or("day"))?;
    let (from, to, view) = (q.from, q.to, q.view.unwrap_or(View::Audited));
    let list = run(&st, move |app| {
        data::query(app, &caller, &scope, period, from, to, view)
    })
    .await?;
    if q.format.as_deref().is_none_or(|f| f == "json") {
        // Every period in one answer (at most 400 days of hours): no paging.
        return Ok(Json(json!({ "items": list, "total": list.len() })).into_response());
    }
    let tq = TableQuery {
        format: q.format,
        ..TableQuery::default()
    };
    table(
        rows(&list),
        &[
            "scope", "period", "start", "pm25", "pm10", "so2", "no2", "co", "o3", "o3_8h", "aqi",
            "primary", "coverage", "view",
        ],
        &tq,
        "query",
    )
}
