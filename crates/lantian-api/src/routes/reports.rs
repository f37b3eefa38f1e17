//! Reports: the township ranking under a chosen method and the monthly township 通报 as
//! JSON, xlsx or PDF (docs/assessment.md).

use super::sources::XLSX;
use super::{Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::{ApiError, ApiResult};
use crate::export::{TableQuery, download, rows, table};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use lantian_app::{township, township_report};
use lantian_core::Month;
use lantian_core::assess::ranking::{Basis, Config, Method, SanctionRules, Weights};
use lantian_core::rules::RuleChoice;
use lantian_store::View;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The month, `YYYY-MM` (default: the current month, Beijing time); for the ranking,
    /// `YYYY` ranks the whole year.
    pub month: Option<String>,
    /// `composite_index` (default), `pm25_so2_sum`, `pm25`, `improvement` or `weighted`.
    #[param(value_type = Option<String>)]
    pub method: Option<Method>,
    /// What the improvement rate compares: `pm25` (default) or `composite_index`.
    #[param(value_type = Option<String>)]
    pub basis: Option<Basis>,
    /// Weights of the weighted score (defaults 0.4, 0, 0.3, 0.3).
    pub w_composite_index: Option<f64>,
    pub w_pm25_so2_sum: Option<f64>,
    pub w_pm25: Option<f64>,
    pub w_improvement: Option<f64>,
    /// `auto` (by the data's date, default), `2012` or `2026`.
    #[param(value_type = Option<String>)]
    pub rules: Option<RuleChoice>,
    /// `audited` (default) or `raw`.
    #[param(value_type = Option<String>)]
    pub view: Option<View>,
    /// Ranking: `json` (default), `csv` or `xlsx`; report: `json`, `xlsx` or `pdf`.
    pub format: Option<String>,
}

impl ReportQuery {
    fn config(&self) -> Config {
        let d = Weights::default();
        Config {
            method: self.method.unwrap_or_default(),
            basis: self.basis.unwrap_or_default(),
            weights: Weights {
                composite_index: self.w_composite_index.unwrap_or(d.composite_index),
                pm25_so2_sum: self.w_pm25_so2_sum.unwrap_or(d.pm25_so2_sum),
                pm25: self.w_pm25.unwrap_or(d.pm25),
                improvement: self.w_improvement.unwrap_or(d.improvement),
            },
        }
    }

    /// The year and month asked for (`YYYY-MM`, `YYYY`), or this month.
    fn period(&self, st: &AppState) -> ApiResult<(i32, Option<u32>)> {
        match self.month.as_deref() {
            None => {
                let m = Month::of(st.app.clock.today());
                Ok((m.year(), Some(m.month())))
            }
            Some(t) => match Month::parse(t) {
                Some(m) => Ok((m.year(), Some(m.month()))),
                None => t.parse::<i32>().map(|y| (y, None)).map_err(|_| {
                    ApiError::BadRequest(format!("month {t:?}: expected YYYY-MM or YYYY"))
                }),
            },
        }
    }
}

/// Every town, township and zone ranked under a method for a month (or a year): the
/// figures, 同比, 环比, coverage, the formula; units without a station or valid data last,
/// without a rank. Public, as the published ranking is.
#[utoipa::path(get, path = "/reports/township/ranking", tag = "assessment", params(ReportQuery), responses((status = 200, body = Object)))]
pub async fn ranking(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<ReportQuery>,
) -> ApiResult<Response> {
    let (year, month) = q.period(&st)?;
    let config = q.config();
    let (rules, view) = (q.rules.unwrap_or_default(), q.view.unwrap_or(View::Audited));
    let r = run(&st, move |app| {
        township::ranking(app, &caller, year, month, &config, rules, view)
    })
    .await?;
    if q.format.as_deref().unwrap_or("json") == "json" {
        return Ok(Json(json!(r)).into_response());
    }
    let tq = TableQuery {
        format: q.format.clone(),
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
        &format!("township-ranking-{}-{}", r.period, r.method),
    )
}

/// The monthly township 通报: the ranking, first and last three, each township's targets and
/// progress (a township: its own), the incentive list and, for the bureau and
/// administrators, the penalty list; as JSON, an Excel workbook or a PDF.
#[utoipa::path(get, path = "/reports/township", tag = "assessment", params(ReportQuery),
    responses((status = 200, description = "JSON, an xlsx or a PDF file", body = Object)))]
pub async fn report(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<ReportQuery>,
) -> ApiResult<Response> {
    let (year, month) = q.period(&st)?;
    let Some(month) = month.and_then(|m| Month::new(year, m)) else {
        return Err(ApiError::BadRequest(
            "the 通报 is monthly: month=YYYY-MM".to_owned(),
        ));
    };
    let config = q.config();
    let (rules, view) = (q.rules.unwrap_or_default(), q.view.unwrap_or(View::Audited));
    let format = q.format.clone().unwrap_or_else(|| "json".to_owned());
    if !matches!(format.as_str(), "json" | "xlsx" | "pdf") {
        return Err(ApiError::BadRequest(format!(
            "format {format:?}: expected json, xlsx or pdf"
        )));
    }
    let name = format!("township-report-{month}");
    let out = run(&st, move |app| {
        let r = township_report::report(
            app,
            &caller,
            month,
            &config,
            &SanctionRules::default(),
            rules,
            view,
        )?;
        Ok(match format.as_str() {
            "xlsx" => Err((township_report::xlsx(&r)?, XLSX, "xlsx")),
            "pdf" => Err((township_report::pdf(&r)?, "application/pdf", "pdf")),
            _ => Ok(json!(r)),
        })
    })
    .await?;
    Ok(match out {
        Ok(v) => Json::<Value>(v).into_response(),
        Err((bytes, mime, ext)) => download(bytes, mime, &format!("{name}.{ext}")),
    })
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ranking))
        .routes(routes!(report))
}
