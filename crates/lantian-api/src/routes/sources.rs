//! Pollution sources over HTTP: the enterprise register (and its Excel list), an
//! enterprise's disclosure, outlets' emissions, working condition, vehicles at the gate.

use super::{J, Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::{ApiError, ApiResult};
use crate::export::{Paging, TableQuery, download, rows, table};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::response::Response;
use lantian_app::emissions::{self, Per, Resolution};
use lantian_app::sources;
use lantian_app::vehicles;
use lantian_core::org::Grade;
use lantian_core::{Date, Month};
use lantian_store::Enterprise;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The largest spreadsheet an import takes (a month of a busy gate is a few MiB).
const UPLOAD_BYTES_MAX: usize = 32 << 20;

pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The enterprise register: everyone sees it (an enterprise account its own); outlets only
/// where the caller reads the emissions. `format=xlsx` is the list in the bureau's layout
/// (one row per outlet, the enterprise's cells merged), which the import reads.
#[utoipa::path(get, path = "/enterprises", tag = "sources", params(TableQuery),
    responses((status = 200, description = "A page of enterprises, or a CSV or xlsx file", body = Object)))]
pub async fn list(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<TableQuery>,
) -> ApiResult<Response> {
    if q.format.as_deref() == Some("xlsx") {
        let bytes = run(&st, move |app| sources::xlsx(app, &caller)).await?;
        return Ok(download(bytes, XLSX, "enterprises.xlsx"));
    }
    let list = run(&st, move |app| sources::list(app, &caller)).await?;
    let mut items = rows(&list);
    for v in &mut items {
        v["outlet_count"] = json!(v["outlets"].as_array().map_or(0, Vec::len));
    }
    table(
        items,
        &[
            "id",
            "name",
            "unit_name",
            "industry",
            "grade",
            "key_polluter",
            "permit_no",
            "credit_code",
            "lat",
            "lon",
            "clean_transport_target_pct",
            "discloses",
            "outlet_count",
            "demo",
        ],
        &q,
        "enterprises",
    )
}

/// One enterprise with its outlets (limits) and equipment, as far as the caller may see.
#[utoipa::path(get, path = "/enterprises/{id}", tag = "sources", params(("id" = String, Path, description = "Enterprise id")),
    responses((status = 200, body = Object), (status = 404, description = "No such enterprise")))]
pub async fn one(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let e = run(&st, move |app| sources::get(app, &caller, &id)).await?;
    Ok(Json(json!(e)))
}

/// An enterprise to register or update.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct EnterpriseBody {
    pub id: String,
    pub name: String,
    /// The town, township or zone (id).
    pub unit: Option<String>,
    pub industry: Option<String>,
    /// A+, A, B, C, D, 引领性 or 非引领性.
    #[schema(value_type = Option<String>)]
    pub grade: Option<Grade>,
    pub credit_code: Option<String>,
    pub permit_no: Option<String>,
    #[serde(default)]
    pub key_polluter: bool,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub clean_transport_target_pct: Option<f64>,
}

/// Registers or updates an enterprise (the bureau, administrators).
#[utoipa::path(post, path = "/enterprises", tag = "sources", request_body = EnterpriseBody,
    responses((status = 200, body = Object), (status = 403, description = "Not allowed")))]
pub async fn create(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<EnterpriseBody>,
) -> ApiResult<Json<Value>> {
    let e = Enterprise {
        id: b.id.clone(),
        name: b.name,
        credit_code: b.credit_code,
        industry: b.industry,
        grade: b.grade,
        admin_unit_id: b.unit,
        lat: b.lat,
        lon: b.lon,
        key_polluter: b.key_polluter,
        permit_no: b.permit_no,
        clean_transport_target_pct: b.clean_transport_target_pct,
        ..Enterprise::default()
    };
    run(&st, move |app| sources::add(app, &caller, e)).await?;
    Ok(Json(json!({ "ok": true, "id": b.id })))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `1`: check only, store nothing.
    pub dry_run: Option<u8>,
}

/// Imports the enterprise list (the body is the CSV or xlsx file): all or nothing; the
/// report names each bad row (the bureau, administrators).
#[utoipa::path(post, path = "/enterprises/import", tag = "sources", params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, description = "The import report (errors by row)", body = Object)))]
pub async fn import(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<ImportQuery>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let dry_run = q.dry_run == Some(1);
    let r = run(&st, move |app| {
        sources::import_file(app, &caller, &body, dry_run)
    })
    .await?;
    Ok(Json(json!(r)))
}

/// What an enterprise publishes.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DisclosureBody {
    /// Its monitoring data (outlets, emissions) are public.
    pub discloses: bool,
    /// 污染治理措施 and what else it publishes with them.
    pub note: Option<String>,
}

/// Publishes or withdraws an enterprise's monitoring data (plan §9(三)): the enterprise's own
/// account, the bureau, administrators.
#[utoipa::path(post, path = "/enterprises/{id}/disclosure", tag = "sources", request_body = DisclosureBody,
    params(("id" = String, Path, description = "Enterprise id")),
    responses((status = 200, body = Object), (status = 403, description = "Not this enterprise's account")))]
pub async fn disclosure(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
    J(b): J<DisclosureBody>,
) -> ApiResult<Json<Value>> {
    run(&st, move |app| {
        sources::disclose(app, &caller, &id, b.discloses, b.note.as_deref())
    })
    .await?;
    Ok(Json(json!({ "ok": true, "discloses": b.discloses })))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DaysQuery {
    /// First and last day, Beijing time (`YYYY-MM-DD`).
    #[param(value_type = String)]
    pub from: Date,
    #[param(value_type = String)]
    pub to: Date,
    /// `hour` (default) or `rtd` (one row per real-time sample).
    pub period: Option<String>,
    /// `day`, `month` or `year`: totals instead of hours.
    pub totals: Option<String>,
    pub page: Option<usize>,
    pub per_page: Option<usize>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

impl DaysQuery {
    fn table(&self) -> TableQuery {
        TableQuery {
            page: self.page,
            per_page: self.per_page,
            format: self.format.clone(),
        }
    }

    fn per(&self) -> ApiResult<Option<Per>> {
        match self.totals.as_deref() {
            None => Ok(None),
            Some("day") => Ok(Some(Per::Day)),
            Some("month") => Ok(Some(Per::Month)),
            Some("year") => Ok(Some(Per::Year)),
            Some(o) => Err(ApiError::BadRequest(format!(
                "totals {o:?}: expected day, month or year"
            ))),
        }
    }
}

const HOUR_COLUMNS: [&str; 17] = [
    "outlet",
    "hour",
    "code",
    "measured",
    "o2",
    "converted",
    "limit",
    "exceeds",
    "flow",
    "emission_kg",
    "stopped",
    "valid",
    "minutes",
    "device_converted",
    "device_emission_kg",
    "device_mismatch",
    "declared",
];

const TOTAL_COLUMNS: [&str; 7] = [
    "span",
    "code",
    "emission_kg",
    "hours_counted",
    "exceedance_hours",
    "stopped_hours",
    "mismatch_hours",
];

/// An outlet's CEMS hours (measured and normalised concentrations, limit, flow, emission,
/// stopped, the device's own figures checked), or their totals. Who sees the enterprise's
/// monitoring; everyone when it discloses them.
#[utoipa::path(get, path = "/outlets/{id}/emissions", tag = "sources", params(("id" = String, Path, description = "Outlet id"), DaysQuery),
    responses((status = 200, body = Object), (status = 401, description = "Not disclosed: log in")))]
pub async fn outlet_emissions(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
    Q(q): Q<DaysQuery>,
) -> ApiResult<Response> {
    let resolution = match q.period.as_deref() {
        None | Some("hour") => Resolution::Hour,
        Some("rtd") => Resolution::Moment,
        Some(o) => {
            return Err(ApiError::BadRequest(format!(
                "period {o:?}: expected hour or rtd"
            )));
        }
    };
    let (from, to) = (q.from, q.to);
    let name = format!("emissions-{id}-{from}-{to}");
    match q.per()? {
        Some(_) if resolution == Resolution::Moment => Err(ApiError::BadRequest(
            "totals are sums of hours: give period=hour (the default) with totals".to_owned(),
        )),
        Some(per) => {
            let list = run(&st, move |app| {
                emissions::outlet_totals(app, &caller, &id, from, to, per)
            })
            .await?;
            table(rows(&list), &TOTAL_COLUMNS, &q.table(), &name)
        }
        None => {
            let list = run(&st, move |app| {
                emissions::outlet_rows(app, &caller, &id, from, to, resolution)
            })
            .await?;
            table(rows(&list), &HOUR_COLUMNS, &q.table(), &name)
        }
    }
}

/// An enterprise's emission totals per day, month or year and pollutant, over all its
/// outlets (`totals` defaults to `day`).
#[utoipa::path(get, path = "/enterprises/{id}/emissions", tag = "sources", params(("id" = String, Path, description = "Enterprise id"), DaysQuery),
    responses((status = 200, body = Object)))]
pub async fn enterprise_emissions(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
    Q(q): Q<DaysQuery>,
) -> ApiResult<Response> {
    let per = q.per()?.unwrap_or(Per::Day);
    let (from, to) = (q.from, q.to);
    let name = format!("emissions-{id}-{from}-{to}");
    let list = run(&st, move |app| {
        emissions::enterprise_rows(app, &caller, &id, from, to)
    })
    .await?;
    table(
        rows(&emissions::totals(&list, per)),
        &TOTAL_COLUMNS,
        &q.table(),
        &name,
    )
}

/// An enterprise's equipment hour by hour (running, power, load) and the findings:
/// production without treatment, production while the CEMS says stopped.
#[utoipa::path(get, path = "/enterprises/{id}/working-condition", tag = "sources", params(("id" = String, Path, description = "Enterprise id"), DaysQuery),
    responses((status = 200, body = Object)))]
pub async fn working_condition(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
    Q(q): Q<DaysQuery>,
) -> ApiResult<Json<Value>> {
    let (from, to) = (q.from, q.to);
    let (hours, findings) = run(&st, move |app| {
        emissions::working_condition(app, &caller, &id, from, to)
    })
    .await?;
    Ok(Json(json!({ "hours": hours, "findings": findings })))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    /// The day, Beijing time (`YYYY-MM-DD`; default today).
    #[param(value_type = Option<String>)]
    pub date: Option<Date>,
    /// Page number, from 1.
    pub page: Option<usize>,
    /// Rows per page, 1-1000 (default 50).
    pub per_page: Option<usize>,
}

/// Each enterprise's day at a glance (hours with data, exceedance, stopped and mismatch
/// hours, findings, the latest hour), for those whose monitoring the caller sees, a page at a
/// time: `{items, total, page, per_page}`.
#[utoipa::path(get, path = "/enterprises/status", tag = "sources", params(StatusQuery),
    responses((status = 200, body = Object), (status = 400, description = "A bad date, page or per_page"), (status = 401, description = "Log in")))]
pub async fn status(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<StatusQuery>,
) -> ApiResult<Json<Value>> {
    caller.require()?;
    let p = Paging::of(q.page, q.per_page)?;
    let list = run(&st, move |app| {
        let day = q.date.unwrap_or_else(|| app.clock.today());
        emissions::day_status(app, &caller, day)
    })
    .await?;
    Ok(Json(Value::Object(p.answer("items", &p.cut(list)))))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SharesQuery {
    /// First and last month (`YYYY-MM`).
    #[param(value_type = String)]
    pub from: Month,
    #[param(value_type = String)]
    pub to: Month,
}

/// An enterprise's monthly clean-transport shares (new energy and 国六 in heavy-truck
/// entries) against its target.
#[utoipa::path(get, path = "/enterprises/{id}/vehicles/shares", tag = "sources", params(("id" = String, Path, description = "Enterprise id"), SharesQuery),
    responses((status = 200, body = Object)))]
pub async fn shares(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
    Q(q): Q<SharesQuery>,
) -> ApiResult<Json<Value>> {
    let list = run(&st, move |app| {
        vehicles::shares(app, &caller, &id, q.from, q.to)
    })
    .await?;
    Ok(Json(json!({ "items": list })))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PassagesQuery {
    /// First and last day, Beijing time (`YYYY-MM-DD`).
    #[param(value_type = String)]
    pub from: Date,
    #[param(value_type = String)]
    pub to: Date,
    /// `1`: only the entries of diesel trucks below 国五 (give a warning's days).
    pub barred: Option<u8>,
    pub page: Option<usize>,
    pub per_page: Option<usize>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

/// An enterprise's gate passages.
#[utoipa::path(get, path = "/enterprises/{id}/vehicles", tag = "sources", params(("id" = String, Path, description = "Enterprise id"), PassagesQuery),
    responses((status = 200, body = Object)))]
pub async fn passages(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
    Q(q): Q<PassagesQuery>,
) -> ApiResult<Response> {
    let (from, to, barred) = (q.from, q.to, q.barred == Some(1));
    let name = format!("vehicles-{id}-{from}-{to}");
    let list = run(&st, move |app| {
        vehicles::passages(app, &caller, &id, from, to, barred)
    })
    .await?;
    table(
        rows(&list),
        &[
            "at",
            "plate",
            "direction_zh",
            "vehicle_type",
            "standard",
            "fuel_zh",
            "barred_in_warning",
        ],
        &TableQuery {
            page: q.page,
            per_page: q.per_page,
            format: q.format,
        },
        &name,
    )
}

/// Imports an enterprise's gate records (the body is the CSV or xlsx file): all or nothing,
/// bad rows named; the enterprise's own account, the bureau, administrators.
#[utoipa::path(post, path = "/enterprises/{id}/vehicles", tag = "sources", params(("id" = String, Path, description = "Enterprise id"), ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, description = "The import report (errors by row)", body = Object)))]
pub async fn import_vehicles(
    State(st): State<AppState>,
    Who(caller): Who,
    Path(id): Path<String>,
    Q(q): Q<ImportQuery>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let dry_run = q.dry_run == Some(1);
    let r = run(&st, move |app| {
        vehicles::import_file(app, &caller, &id, &body, dry_run)
    })
    .await?;
    Ok(Json(json!(r)))
}

/// The routes of this module; the imports take files up to [`UPLOAD_BYTES_MAX`].
pub fn routes() -> OpenApiRouter<AppState> {
    let uploads = OpenApiRouter::new()
        .routes(routes!(import))
        .routes(routes!(passages, import_vehicles))
        .layer(DefaultBodyLimit::max(UPLOAD_BYTES_MAX));
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(status))
        .routes(routes!(one))
        .routes(routes!(disclosure))
        .routes(routes!(outlet_emissions))
        .routes(routes!(enterprise_emissions))
        .routes(routes!(working_condition))
        .routes(routes!(shares))
        .merge(uploads)
}
