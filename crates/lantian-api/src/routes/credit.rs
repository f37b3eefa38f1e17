//! Credit records (信用记录) over HTTP: the public credit list (no login), the internal list,
//! one entry, objections and repair with the bureau's answers, statistics and the rule
//! table. Thin: every decision is in `lantian_app::credit` (docs/enforcement.md "Credit
//! records").

use super::{J, P, Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::ApiResult;
use crate::export::{PageQuery, Paging};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use lantian_app::credit::{self, Decision, ListQuery, NewRequest};
use lantian_core::enforce::credit::RequestKind;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The public credit list: enterprises and operations contractors whose entries are inside
/// their publication period today (Beijing date), with level, violation, case number, the
/// decision in one line and the period; withdrawn, repaired and expired entries are not
/// listed. No login; no personal data. Names come in Chinese and English (`*_zh`, `*_en`).
/// A page at a time: `{entries, total, page, per_page}`.
#[utoipa::path(get, path = "/credit/public", tag = "enforcement", params(PageQuery),
    responses((status = 200, description = "A page of the public credit list", body = Object),
        (status = 400, description = "A bad page or per_page")))]
pub async fn public(State(st): State<AppState>, Q(q): Q<PageQuery>) -> ApiResult<Json<Value>> {
    let p = q.paging()?;
    let v = run(&st, credit::public_list).await?;
    Ok(Json(Value::Object(p.answer("entries", &p.cut(v)))))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CreditQuery {
    /// `enterprise` or `contractor`.
    pub subject_kind: Option<String>,
    /// The enterprise's or contractor's id.
    pub subject_id: Option<String>,
    /// `serious` (严重失信) or `general` (一般失信).
    pub level: Option<String>,
    /// `published`, `objected`, `withdrawn`, `repaired`.
    pub state: Option<String>,
    /// Where it stands today: `scheduled`, `public`, `expired`, `withdrawn`, `repaired`.
    pub phase: Option<String>,
    /// A violation code (`data_falsification`, `exceed_emission`, …).
    pub violation: Option<String>,
    /// A township's unit id.
    pub township: Option<String>,
    /// Page number, from 1.
    pub page: Option<usize>,
    /// Rows per page, 1-1000 (default 50).
    pub per_page: Option<usize>,
}

/// The internal list: every entry for the bureau and administrators, its own for an
/// enterprise account; filters as parameters; a page at a time: `{entries, total, page,
/// per_page}`.
#[utoipa::path(get, path = "/credit", tag = "enforcement", params(CreditQuery),
    responses((status = 200, description = "A page of the entries", body = Object),
        (status = 400, description = "A bad filter, page or per_page"),
        (status = 401, description = "Log in"), (status = 403, description = "Not this role's")))]
pub async fn list(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<CreditQuery>,
) -> ApiResult<Json<Value>> {
    let p = Paging::of(q.page, q.per_page)?;
    let q = ListQuery {
        subject_kind: q.subject_kind,
        subject_id: q.subject_id,
        level: q.level,
        state: q.state,
        phase: q.phase,
        violation: q.violation,
        township: q.township,
    };
    let v = run(&st, move |app| credit::list(app, &caller, &q)).await?;
    Ok(Json(Value::Object(p.answer("entries", &p.cut(v)))))
}

/// Counts by level, phase, violation and subject kind, and the requests by kind and outcome
/// (the bureau).
#[utoipa::path(get, path = "/credit/stats", tag = "enforcement",
    responses((status = 200, body = Object), (status = 403, description = "Not this role's")))]
pub async fn stats(State(st): State<AppState>, Who(caller): Who) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| credit::stats(app, &caller)).await?;
    Ok(Json(json!(v)))
}

/// The rule table in force: violation × decision × subject → level, publication and
/// minimum periods, with each rule's source (the bureau).
#[utoipa::path(get, path = "/credit/rules", tag = "enforcement",
    responses((status = 200, body = Object), (status = 403, description = "Not this role's")))]
pub async fn rules(State(st): State<AppState>, Who(caller): Who) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| credit::rules_for(app, &caller)).await?;
    Ok(Json(json!(v)))
}

/// Replaces the rule table (the JSON of `GET /credit/rules`; keys left out keep their
/// defaults). Entries already written keep their level and dates.
#[utoipa::path(put, path = "/credit/rules", tag = "enforcement", request_body = Object,
    responses((status = 200, body = Object), (status = 400, description = "The table is invalid (rule and field named)")))]
pub async fn set_rules(
    State(st): State<AppState>,
    Who(caller): Who,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let text = String::from_utf8_lossy(&body).into_owned();
    let v = run(&st, move |app| credit::set_rules(app, &caller, &text)).await?;
    Ok(Json(json!(v)))
}

/// One entry with its objections and repair applications, and what the caller may do.
#[utoipa::path(get, path = "/credit/{id}", tag = "enforcement",
    params(("id" = i64, Path, description = "Entry id")),
    responses((status = 200, body = Object), (status = 404, description = "No such entry")))]
pub async fn one(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| credit::show(app, &caller, id)).await?;
    Ok(Json(json!(v)))
}

async fn file(
    st: AppState,
    caller: lantian_app::Caller,
    id: i64,
    kind: RequestKind,
    b: NewRequest,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| credit::request(app, &caller, id, kind, &b)).await?;
    Ok(Json(json!(v)))
}

async fn answer(
    st: AppState,
    caller: lantian_app::Caller,
    id: i64,
    kind: RequestKind,
    d: Decision,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| credit::decide(app, &caller, id, kind, &d)).await?;
    Ok(Json(json!(v)))
}

/// Files an objection (异议) `{ "text", "evidence"? }`: the entry's enterprise, or the bureau
/// on a subject's behalf. The entry stays listed, marked 异议处理中, until the answer.
#[utoipa::path(post, path = "/credit/{id}/objection", tag = "enforcement",
    params(("id" = i64, Path, description = "Entry id")), request_body = Object,
    responses((status = 200, body = Object), (status = 409, description = "Not now (a request under review, the period ended)")))]
pub async fn objection(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    J(b): J<NewRequest>,
) -> ApiResult<Json<Value>> {
    file(st, caller, id, RequestKind::Objection, b).await
}

/// Answers the objection under review `{ "outcome": "granted"|"rejected", "reason" }`
/// (the bureau): upheld withdraws the entry; rejected leaves it listed.
#[utoipa::path(post, path = "/credit/{id}/objection/decide", tag = "enforcement",
    params(("id" = i64, Path, description = "Entry id")), request_body = Object,
    responses((status = 200, body = Object), (status = 409, description = "No objection under review")))]
pub async fn decide_objection(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    J(d): J<Decision>,
) -> ApiResult<Json<Value>> {
    answer(st, caller, id, RequestKind::Objection, d).await
}

/// Applies for repair (信用修复) `{ "text", "evidence" }` after the minimum publication
/// period: the entry's enterprise, or the bureau on a subject's behalf.
#[utoipa::path(post, path = "/credit/{id}/repair", tag = "enforcement",
    params(("id" = i64, Path, description = "Entry id")), request_body = Object,
    responses((status = 200, body = Object), (status = 409, description = "Not yet (the minimum period) or not now")))]
pub async fn repair(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    J(b): J<NewRequest>,
) -> ApiResult<Json<Value>> {
    file(st, caller, id, RequestKind::Repair, b).await
}

/// Answers the repair application under review `{ "outcome": "granted"|"rejected",
/// "reason" }` (the bureau): approved takes the entry off the public list, kept internally
/// with the reason.
#[utoipa::path(post, path = "/credit/{id}/repair/decide", tag = "enforcement",
    params(("id" = i64, Path, description = "Entry id")), request_body = Object,
    responses((status = 200, body = Object), (status = 409, description = "No repair under review")))]
pub async fn decide_repair(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
    J(d): J<Decision>,
) -> ApiResult<Json<Value>> {
    answer(st, caller, id, RequestKind::Repair, d).await
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(public))
        .routes(routes!(list))
        .routes(routes!(stats))
        .routes(routes!(rules, set_rules))
        .routes(routes!(one))
        .routes(routes!(objection))
        .routes(routes!(decide_objection))
        .routes(routes!(repair))
        .routes(routes!(decide_repair))
}
