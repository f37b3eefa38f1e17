//! HJ 212-2025 device keys and MN assignment over HTTP (issue 22; docs/hj212-2025.md):
//! keys per device (version, state, rotation due), set and rotate (the key shown once in
//! the answer), logger serials awaiting an MN and the assignment. Thin: every check and
//! decision is in `lantian_app::device_keys`.

use super::{J, P, Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::ApiResult;
use crate::export::{PageQuery, Paging};
use axum::Json;
use axum::extract::State;
use lantian_app::device_keys;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(set))
        .routes(routes!(rotate))
        .routes(routes!(serials))
        .routes(routes!(assign))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// One device's keys (default: every device).
    pub mn: Option<String>,
    /// Include retired keys (`true`).
    pub retired: Option<bool>,
    /// Page number, from 1.
    pub page: Option<usize>,
    /// Rows per page, 1-1000 (default 50).
    pub per_page: Option<usize>,
}

/// A page of the SM4 keys per device, newest first: `{keys, total, page, per_page}`, each
/// with its version, state (pending, active, retiring, retired), created, activated, rotation
/// due (90 days after activation, Beijing time) and overdue; never the key itself
/// (administrators and the bureau).
#[utoipa::path(get, path = "/device-keys", tag = "devices", params(ListQuery),
    responses((status = 200, body = Object), (status = 400, description = "A bad page or per_page"),
        (status = 401, description = "Login required"), (status = 403, description = "Not allowed")))]
pub async fn list(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<ListQuery>,
) -> ApiResult<Json<Value>> {
    let p = Paging::of(q.page, q.per_page)?;
    let v = run(&st, move |app| {
        device_keys::list(
            app,
            &caller,
            q.mn.as_deref().filter(|m| !m.is_empty()),
            q.retired.unwrap_or(false),
        )
    })
    .await?;
    Ok(Json(Value::Object(p.answer("keys", &p.cut(v)))))
}

/// A key to set or rotate to: 32 hex digits, or none for a random one.
#[derive(Debug, Default, Deserialize)]
pub struct KeyBody {
    pub key: Option<String>,
    /// `binary` (default) or `hex`: how the device sends its ciphertext.
    pub wire: Option<String>,
}

/// Sets device `mn`'s SM4 key, active at once (configure the same key on the logger);
/// the answer shows the key once (`secret_hex`). Audited.
#[utoipa::path(post, path = "/devices/{mn}/key", tag = "devices", request_body = Object,
    params(("mn" = String, Path, description = "The device's MN")),
    responses((status = 200, body = Object), (status = 400, description = "A weak or malformed key: the message says why"), (status = 403, description = "Not allowed"), (status = 404, description = "No such device")))]
pub async fn set(
    State(st): State<AppState>,
    Who(caller): Who,
    P(mn): P<String>,
    J(b): J<KeyBody>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| {
        device_keys::set(app, &caller, &mn, b.key.as_deref(), b.wire.as_deref())
    })
    .await?;
    Ok(Json(json!(v)))
}

/// Rotates device `mn`'s key: a pending key the gateway sends with 1014 on the device's
/// next packet and activates on its answer; the answer shows the key once. Audited.
#[utoipa::path(post, path = "/devices/{mn}/key/rotate", tag = "devices", request_body = Object,
    params(("mn" = String, Path, description = "The device's MN")),
    responses((status = 200, body = Object), (status = 400, description = "A weak or malformed key"), (status = 403, description = "Not allowed"), (status = 404, description = "No such device"), (status = 409, description = "No active key, or a rotation already pending")))]
pub async fn rotate(
    State(st): State<AppState>,
    Who(caller): Who,
    P(mn): P<String>,
    J(b): J<KeyBody>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| {
        device_keys::rotate(app, &caller, &mn, b.key.as_deref())
    })
    .await?;
    Ok(Json(json!(v)))
}

/// A page of the loggers that announced their hardware serial (1001): `{serials, total,
/// page, per_page}`, each with its serial, CPU id, MAC, the MN it used, address, first and
/// last upload (Beijing time), the MN assigned and its state.
#[utoipa::path(get, path = "/logger-serials", tag = "devices", params(PageQuery),
    responses((status = 200, body = Object), (status = 400, description = "A bad page or per_page"),
        (status = 401, description = "Login required"), (status = 403, description = "Not allowed")))]
pub async fn serials(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<PageQuery>,
) -> ApiResult<Json<Value>> {
    let p = q.paging()?;
    let v = run(&st, move |app| device_keys::serials(app, &caller)).await?;
    Ok(Json(Value::Object(p.answer("serials", &p.cut(v)))))
}

/// The MN to assign: a registered device.
#[derive(Debug, Deserialize)]
pub struct AssignBody {
    pub mn: String,
}

/// Assigns registered device `mn` to logger `serial`; the gateway sends it with 1002 on
/// the logger's next 1001. Audited.
#[utoipa::path(post, path = "/logger-serials/{serial}/mn", tag = "devices", request_body = Object,
    params(("serial" = String, Path, description = "The logger's hardware serial (i23005-Info)")),
    responses((status = 200, body = Object), (status = 403, description = "Not allowed"), (status = 404, description = "No such serial or device"), (status = 409, description = "The MN is assigned to another logger")))]
pub async fn assign(
    State(st): State<AppState>,
    Who(caller): Who,
    P(serial): P<String>,
    J(b): J<AssignBody>,
) -> ApiResult<Json<Value>> {
    let v = run(&st, move |app| {
        device_keys::assign_mn(app, &caller, &serial, b.mn.trim())
    })
    .await?;
    Ok(Json(json!(v)))
}
