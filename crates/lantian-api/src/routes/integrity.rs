//! Data integrity over HTTP: alarm episodes with their evidence, the three-level review,
//! the rules page with per-rule precision, scans, work orders, corrections of station
//! hours, the monthly close and operations rates. Thin: every decision is in
//! `lantian_app::integrity`.

use super::{J, P, Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::{ApiError, ApiResult};
use crate::export::{Paging, TableQuery, download, rows, table, table_read};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use lantian_app::integrity::{self, NewCorrection, NewWorkOrder};
use lantian_app::integrity_report;
use lantian_core::integrity::{Rule, Severity};
use lantian_core::pollutant::Pollutant;
use lantian_core::{Date, Month};
use lantian_store::CorrectionAction;
use lantian_store::Page;
use lantian_store::integrity::{AlarmFilter, AlarmState, Outcome, WorkOrderState};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

fn parse<T>(
    what: &str,
    text: Option<&str>,
    parse: fn(&str) -> Option<T>,
    names: &str,
) -> ApiResult<Option<T>> {
    match text {
        None | Some("") => Ok(None),
        Some(t) => parse(t)
            .map(Some)
            .ok_or_else(|| ApiError::BadRequest(format!("{what} {t:?}: expected one of {names}"))),
    }
}

fn names<T: std::fmt::Display>(all: &[T]) -> String {
    all.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlarmsQuery {
    /// A station's id.
    pub station: Option<String>,
    /// A rule (`flat_line`, `spike`, …).
    pub rule: Option<String>,
    /// `open`, `confirmed`, `false_positive` or `site_visit`.
    pub state: Option<String>,
    /// `info`, `warning` or `critical`.
    pub severity: Option<String>,
    /// Episodes overlapping these days (Beijing time, `YYYY-MM-DD`).
    #[param(value_type = Option<String>)]
    pub from: Option<Date>,
    #[param(value_type = Option<String>)]
    pub to: Option<Date>,
    /// `zh` (default) or `en`: the language of `why`.
    pub lang: Option<String>,
    /// Page number, from 1 (JSON only).
    pub page: Option<usize>,
    /// Rows per page, 1-1000 (JSON only; default 50).
    pub per_page: Option<usize>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

/// Alarm episodes the caller sees (the bureau, administrators, operations: all; a township:
/// its own stations'), newest first: a page of JSON (cut in SQL), or every match as CSV or
/// xlsx.
#[utoipa::path(get, path = "/alarms", tag = "integrity", params(AlarmsQuery),
    responses((status = 200, description = "A page of alarms, or a CSV or xlsx file", body = Object),
        (status = 400, description = "A bad filter, page, per_page or format"),
        (status = 401, description = "Log in"), (status = 403, description = "Not this role's")))]
pub async fn alarms(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<AlarmsQuery>,
) -> ApiResult<Response> {
    let f = AlarmFilter {
        station_id: q.station.clone().filter(|s| !s.is_empty()),
        rule: parse("rule", q.rule.as_deref(), Rule::parse, &names(Rule::ALL))?,
        state: parse(
            "state",
            q.state.as_deref(),
            AlarmState::parse,
            &names(AlarmState::ALL),
        )?,
        severity: parse(
            "severity",
            q.severity.as_deref(),
            Severity::parse,
            &names(Severity::ALL),
        )?,
        from_ts: q.from.map(lantian_core::cst::day_start),
        to_ts: q.to.map(|d| lantian_core::cst::day_start(d.add_days(1))),
    };
    let en = q.lang.as_deref() == Some("en");
    let tq = TableQuery {
        page: q.page,
        per_page: q.per_page,
        format: q.format,
    };
    let page = tq.to_read(i64::MAX)?;
    let list = run(&st, move |app| {
        integrity::alarms_page(app, &caller, &f, en, page)
    })
    .await?;
    table_read(
        rows(&list.items),
        list.total,
        &[
            "id",
            "station",
            "station_name",
            "pollutant",
            "rule",
            "rule_zh",
            "severity",
            "start",
            "end",
            "why",
            "state",
            "reviews_n",
        ],
        &tq,
        "alarms",
    )
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangOnly {
    /// `zh` (default) or `en`.
    pub lang: Option<String>,
}

/// One alarm with its evidence (the station's and its neighbours' series ±24 h, humidity),
/// figures, reviews and work orders.
#[utoipa::path(get, path = "/alarms/{id}", tag = "integrity",
    params(("id" = i64, Path, description = "Alarm id"), LangOnly),
    responses((status = 200, body = Object), (status = 404, description = "No such alarm")))]
pub async fn alarm(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    Q(q): Q<LangOnly>,
) -> ApiResult<Json<Value>> {
    let en = q.lang.as_deref() == Some("en");
    let d = run(&st, move |app| integrity::alarm(app, &caller, id, en)).await?;
    Ok(Json(json!(d)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ReviewBody {
    /// `confirm`, `false_positive` or `site_visit`.
    pub outcome: String,
    /// Why (required).
    pub reason: String,
}

/// Reviews an alarm at the caller's level: operations (operator), then the township (its
/// own stations), then the bureau, whose outcome sets the state.
#[utoipa::path(post, path = "/alarms/{id}/reviews", tag = "integrity", request_body = ReviewBody,
    params(("id" = i64, Path, description = "Alarm id")),
    responses((status = 200, body = Object), (status = 409, description = "An earlier level has not reviewed")))]
pub async fn review(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    J(b): J<ReviewBody>,
) -> ApiResult<Json<Value>> {
    let outcome = parse(
        "outcome",
        Some(&b.outcome),
        Outcome::parse,
        &names(Outcome::ALL),
    )?
    .ok_or_else(|| ApiError::BadRequest("outcome is required".into()))?;
    let r = run(&st, move |app| {
        integrity::review(app, &caller, id, outcome, &b.reason)
    })
    .await?;
    Ok(Json(json!(r)))
}

/// Hands a confirmed alarm (interference) over to enforcement with its evidence (the
/// bureau, administrators); once.
#[utoipa::path(post, path = "/alarms/{id}/escalate", tag = "integrity", request_body = NoteBody,
    params(("id" = i64, Path, description = "Alarm id")),
    responses((status = 200, body = Object), (status = 409, description = "Not confirmed, or already handed over")))]
pub async fn escalate(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    J(b): J<NoteBody>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| {
        integrity::escalate(app, &caller, id, &b.note)
    })
    .await?;
    Ok(Json(json!(v)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ScanBody {
    /// First and last day (Beijing time, `YYYY-MM-DD`).
    #[schema(value_type = String)]
    pub from: Date,
    #[schema(value_type = String)]
    pub to: Date,
}

/// Runs the rule library over the stored hours of these days and stores the episodes (the
/// bureau, administrators, operations).
#[utoipa::path(post, path = "/integrity/scan", tag = "integrity", request_body = ScanBody,
    responses((status = 200, body = Object), (status = 403, description = "Not allowed")))]
pub async fn scan(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<ScanBody>,
) -> ApiResult<Json<Value>> {
    let o = run(&st, move |app| integrity::scan(app, &caller, b.from, b.to)).await?;
    Ok(Json(json!({
        "stations": o.stations,
        "alarms_new": o.alarms_new,
        "alarms_extended": o.alarms_extended,
        "alarms_unchanged": o.alarms_unchanged,
    })))
}

/// Every rule with its thresholds, alarms, the bureau's outcomes and precision.
#[utoipa::path(get, path = "/integrity/rules", tag = "integrity",
    responses((status = 200, body = Object)))]
pub async fn rules(State(st): State<AppState>, Who(caller): Who) -> ApiResult<Json<Value>> {
    let r = run(&st, move |app| integrity::rules(app, &caller)).await?;
    Ok(Json(json!(r)))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrdersQuery {
    /// `open` or `closed`.
    pub state: Option<String>,
    pub station: Option<String>,
    /// Page number, from 1 (JSON only).
    pub page: Option<usize>,
    /// Rows per page, 1-1000 (JSON only; default 50).
    pub per_page: Option<usize>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

/// Work orders the caller sees, newest first: a page of JSON (cut in SQL), or every match as
/// CSV or xlsx.
#[utoipa::path(get, path = "/work-orders", tag = "integrity", params(OrdersQuery),
    responses((status = 200, description = "A page of work orders, or a CSV or xlsx file", body = Object),
        (status = 400, description = "A bad state, page, per_page or format")))]
pub async fn work_orders(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<OrdersQuery>,
) -> ApiResult<Response> {
    let state = parse(
        "state",
        q.state.as_deref(),
        WorkOrderState::parse,
        &names(WorkOrderState::ALL),
    )?;
    let station = q.station.clone().filter(|s| !s.is_empty());
    let tq = TableQuery {
        page: q.page,
        per_page: q.per_page,
        format: q.format,
    };
    let page = tq.to_read(i64::MAX)?;
    let list = run(&st, move |app| {
        integrity::work_orders(app, &caller, state, station.as_deref(), page)
    })
    .await?;
    table_read(
        rows(&list.items),
        list.total,
        &[
            "id",
            "alarm_id",
            "station",
            "station_name",
            "assignee",
            "deadline",
            "state",
            "overdue",
            "note",
            "opened_by",
            "opened",
            "closed_by",
            "closed",
            "closing_note",
            "repair_hours",
        ],
        &tq,
        "work-orders",
    )
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct WorkOrderBody {
    pub alarm_id: Option<i64>,
    /// The station (needed without an alarm).
    pub station: Option<String>,
    /// The operations contractor unit's id (blank or absent: the station's contractor).
    #[serde(default)]
    pub assignee: String,
    /// `YYYY-MM-DD`, Beijing time.
    #[schema(value_type = String)]
    pub deadline: Date,
    #[serde(default)]
    pub note: String,
}

/// Opens a work order from an alarm or for a station (the bureau, administrators,
/// operations).
#[utoipa::path(post, path = "/work-orders", tag = "integrity", request_body = WorkOrderBody,
    responses((status = 200, body = Object), (status = 403, description = "Not allowed")))]
pub async fn open_work_order(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<WorkOrderBody>,
) -> ApiResult<Json<Value>> {
    let w = NewWorkOrder {
        alarm_id: b.alarm_id,
        station_id: b.station,
        assignee: b.assignee,
        deadline: b.deadline,
        note: b.note,
    };
    let v = run(&st, move |app| integrity::open_work_order(app, &caller, w)).await?;
    Ok(Json(json!(v)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NoteBody {
    #[serde(default)]
    pub note: String,
}

/// Closes a work order with what was done (the assigned contractor's operations accounts,
/// the bureau, administrators).
#[utoipa::path(post, path = "/work-orders/{id}/close", tag = "integrity", request_body = NoteBody,
    params(("id" = i64, Path, description = "Work order id")),
    responses((status = 200, body = Object), (status = 409, description = "Already closed")))]
pub async fn close_work_order(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    J(b): J<NoteBody>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| {
        integrity::close_work_order(app, &caller, id, &b.note)
    })
    .await?;
    Ok(Json(json!(v)))
}

/// A station's corrections, newest first (who sees its alarms): a page of JSON (cut in SQL),
/// or every correction as CSV or xlsx.
#[utoipa::path(get, path = "/stations/{id}/corrections", tag = "integrity",
    params(("id" = String, Path, description = "Station id"), TableQuery),
    responses((status = 200, description = "A page of corrections, or a CSV or xlsx file", body = Object),
        (status = 400, description = "A bad page, per_page or format")))]
pub async fn corrections(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<String>,
    Q(q): Q<TableQuery>,
) -> ApiResult<Response> {
    let page = q.to_read(i64::MAX)?;
    let list = run(&st, move |app| {
        integrity::corrections(app, &caller, &id, page)
    })
    .await?;
    table_read(
        rows(&list.items),
        list.total,
        &[
            "pollutant",
            "hour",
            "action",
            "value",
            "reason_code",
            "note",
            "who",
            "at",
            "rule_set",
        ],
        &q,
        "corrections",
    )
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CorrectionBody {
    /// `PM2.5`, `PM10`, `SO2`, `NO2`, `CO`, `O3` (or the HJ 212 code).
    pub pollutant: String,
    /// The hour's label, `YYYY-MM-DD HH:00` (its end, Beijing time).
    pub hour: String,
    /// `invalidate`, `correct` or `restore`.
    pub action: String,
    /// The corrected value (`correct` only).
    pub value: Option<f64>,
    /// Why, as a code (`calibration`, `instrument_fault`, `interference`, …).
    pub reason_code: String,
    #[serde(default)]
    pub note: String,
}

/// Invalidates, corrects or restores one station hour (the bureau, administrators); the
/// audited view (assessments, rankings) applies it.
#[utoipa::path(post, path = "/stations/{id}/corrections", tag = "integrity", request_body = CorrectionBody,
    params(("id" = String, Path, description = "Station id")),
    responses((status = 200, body = Object), (status = 409, description = "The month is closed")))]
pub async fn correct(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<String>,
    J(b): J<CorrectionBody>,
) -> ApiResult<Json<Value>> {
    let pollutant = Pollutant::parse(&b.pollutant).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "pollutant {:?}: expected PM2.5, PM10, SO2, NO2, CO or O3",
            b.pollutant
        ))
    })?;
    let action = CorrectionAction::parse(&b.action).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "action {:?}: expected invalidate, correct or restore",
            b.action
        ))
    })?;
    let k = NewCorrection {
        pollutant,
        hour: b.hour,
        action,
        value: b.value,
        reason_code: b.reason_code,
        note: b.note,
    };
    let v = run(&st, move |app| integrity::correct(app, &caller, &id, k)).await?;
    Ok(Json(json!(v)))
}

/// The months closed after their audit (any account).
#[utoipa::path(get, path = "/audit-months", tag = "integrity",
    responses((status = 200, body = Object), (status = 401, description = "Log in")))]
pub async fn audit_months(State(st): State<AppState>, Who(caller): Who) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| integrity::closed_months(app, &caller)).await?;
    Ok(Json(json!(v)))
}

/// Closes a month after its corrections (the bureau, administrators; HJ 633 §5.1.5).
#[utoipa::path(post, path = "/audit-months/{month}/close", tag = "integrity", request_body = NoteBody,
    params(("month" = String, Path, description = "YYYY-MM")),
    responses((status = 200, body = Object), (status = 409, description = "Already closed")))]
pub async fn close_month(
    State(st): State<AppState>,
    Who(caller): Who,
    P(month): P<String>,
    J(b): J<NoteBody>,
) -> ApiResult<Json<Value>> {
    let m = Month::parse(&month)
        .ok_or_else(|| ApiError::BadRequest(format!("month {month:?}: expected YYYY-MM")))?;
    let v = run(&st, move |app| {
        integrity::close_month(app, &caller, m, &b.note)
    })
    .await?;
    Ok(Json(json!(v)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RatesQuery {
    /// `YYYY-MM` (default: this month).
    #[param(value_type = Option<String>)]
    pub month: Option<Month>,
    /// `json` (default: a page of stations with their days), `csv` or `xlsx` (every
    /// station, one row per station and day, for the monthly operations report).
    pub format: Option<String>,
    /// Page number, from 1 (JSON of `/operations/rates` only).
    pub page: Option<usize>,
    /// Stations per page, 1-1000 (JSON of `/operations/rates` only; default 50).
    pub per_page: Option<usize>,
}

/// Online and capture rates per station and day of a month (the stations the caller sees):
/// as JSON a page of stations, `{items, total, page, per_page}` (only the page's stations
/// are computed); as CSV or xlsx every station.
#[utoipa::path(get, path = "/operations/rates", tag = "integrity", params(RatesQuery),
    responses((status = 200, description = "A page of stations with their days, or a CSV or xlsx file", body = Object),
        (status = 400, description = "A bad month, page, per_page or format")))]
pub async fn rates(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<RatesQuery>,
) -> ApiResult<Response> {
    let month = q.month;
    let json = matches!(q.format.as_deref(), None | Some("json"));
    let p = Paging::of(q.page, q.per_page)?;
    let page = if json { p.store() } else { Page::ALL };
    let v = run(&st, move |app| {
        let m = month.unwrap_or_else(|| Month::of(app.clock.today()));
        integrity::rates_page(app, &caller, m, page)
    })
    .await?;
    match q.format.as_deref() {
        None | Some("json") => Ok(Json(Value::Object(p.answer("items", &v))).into_response()),
        Some(_) => {
            let flat: Vec<Value> = v
                .items
                .iter()
                .flat_map(|s| {
                    s.days.iter().map(|d| {
                        json!({
                            "station": s.station,
                            "station_name": s.station_name,
                            "date": d.date,
                            "online_pct": d.online_pct,
                            "capture_pct": d.capture_pct,
                        })
                    })
                })
                .collect();
            let tq = TableQuery {
                page: None,
                per_page: None,
                format: q.format,
            };
            table(
                flat,
                &[
                    "station",
                    "station_name",
                    "date",
                    "online_pct",
                    "capture_pct",
                ],
                &tq,
                "operations-rates",
            )
        }
    }
}

/// The monthly operations report: per contractor, the work orders opened in the month
/// (opened, closed, still open, overdue, time to repair, stations); `format=pdf`: the
/// whole 运维月报 (work orders, online and capture rates, alarms by rule).
#[utoipa::path(get, path = "/operations/report", tag = "integrity", params(RatesQuery),
    responses((status = 200, description = "Per contractor, or a CSV, xlsx or PDF file", body = Object)))]
pub async fn report(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<RatesQuery>,
) -> ApiResult<Response> {
    let month = q.month;
    if q.format.as_deref() == Some("pdf") {
        let (m, bytes) = run(&st, move |app| {
            let m = month.unwrap_or_else(|| Month::of(app.clock.today()));
            Ok((m, integrity_report::operations_pdf(app, &caller, m)?))
        })
        .await?;
        return Ok(download(
            bytes,
            "application/pdf",
            &format!("operations-report-{m}.pdf"),
        ));
    }
    let v = run(&st, move |app| {
        let m = month.unwrap_or_else(|| Month::of(app.clock.today()));
        integrity::contractor_report(app, &caller, m)
    })
    .await?;
    let mut items = rows(&v);
    for r in &mut items {
        r["stations"] = json!(r["stations"].as_array().map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        }));
    }
    let tq = TableQuery {
        page: None,
        per_page: Some(crate::export::PER_PAGE_MAX),
        format: q.format,
    };
    table(
        items,
        &[
            "assignee",
            "opened",
            "closed",
            "open_now",
            "overdue",
            "repair_hours_mean",
            "repair_hours_max",
            "stations",
        ],
        &tq,
        "operations-report",
    )
}

/// The routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(alarms))
        .routes(routes!(alarm))
        .routes(routes!(review))
        .routes(routes!(escalate))
        .routes(routes!(scan))
        .routes(routes!(rules))
        .routes(routes!(work_orders, open_work_order))
        .routes(routes!(close_work_order))
        .routes(routes!(corrections, correct))
        .routes(routes!(audit_months))
        .routes(routes!(close_month))
        .routes(routes!(rates))
        .routes(routes!(report))
}
