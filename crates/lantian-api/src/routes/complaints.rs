//! Complaints over HTTP (issue 18): the public form's token, the public submission (JSON
//! with the photo in base64, which the public page sends without a build step; no session,
//! the form token instead), the lookup by code, and the staff routes (hotline entry, list,
//! one, photo, hot spots). Thin: every check and decision is in `lantian_app::complaints`.

use super::{J, P, Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::{ApiError, ApiResult};
use crate::export::Paging;
use axum::Json;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Extension, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use lantian_app::complaints::{self, ListFilter, PHOTO_BYTES_MAX, PublicInput, StaffInput};
use lantian_core::{Month, cst};
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::SocketAddr;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The body limit of the submission routes: a 5 MiB photo in base64 and the text.
pub const COMPLAINT_BODY_BYTES_MAX: usize = PHOTO_BYTES_MAX.div_ceil(3) * 4 + 64 * 1024;

/// A complaint from the public page.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PublicBody {
    /// `cooking_fumes`, `odour`, `smoke`, `open_burning`, `dust`, `other` (or 油烟 …).
    pub category: String,
    pub text: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: String,
    pub contact: Option<String>,
    /// A JPEG or PNG, base64 (a `data:` URL's prefix is allowed).
    pub photo_base64: Option<String>,
    /// From `GET /complaints/form-token`.
    pub form_token: String,
    /// Left empty by people (the field is hidden).
    pub website: String,
}

/// A complaint typed in by staff.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct StaffBody {
    /// `12345`, `12369` or `staff`.
    pub channel: String,
    pub category: String,
    pub text: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: String,
    pub contact: Option<String>,
    pub photo_base64: Option<String>,
    /// When it happened, Beijing time `YYYY-MM-DD HH:MM` (default: now).
    pub occurred: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A township's unit id.
    pub township: Option<String>,
    /// A category key.
    pub category: Option<String>,
    /// `YYYY-MM`, Beijing time.
    #[param(value_type = Option<String>)]
    pub month: Option<Month>,
    /// At most this many complaints counted, newest first (hot spots).
    pub limit: Option<i64>,
}

impl ListQuery {
    fn filter(&self) -> ListFilter {
        let span = self.month.map(complaints::month_span_ms);
        ListFilter {
            township: self.township.clone().filter(|t| !t.is_empty()),
            category: self.category.clone().filter(|c| !c.is_empty()),
            from_ms: span.map(|s| s.0),
            to_ms: span.map(|s| s.1),
            limit: self.limit,
        }
    }
}

/// Standard base64 (padding optional, whitespace ignored), after an optional `data:…,`.
fn base64_decode(text: &str) -> ApiResult<Vec<u8>> {
    let body = text.split_once(',').map_or(text, |(head, rest)| {
        if head.starts_with("data:") {
            rest
        } else {
            text
        }
    });
    let bad = || {
        ApiError::BadRequest(
            "photo：照片编码无效 / photo: photo_base64 is not valid base64".to_owned(),
        )
    };
    let mut out = Vec::with_capacity(body.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in body.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' | b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return Err(bad()),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

/// A decoded photo, refused with 413 above 5 MiB.
fn photo(b64: Option<&str>) -> ApiResult<Option<Vec<u8>>> {
    let Some(t) = b64.filter(|t| !t.trim().is_empty()) else {
        return Ok(None);
    };
    let bytes = base64_decode(t)?;
    if bytes.len() > PHOTO_BYTES_MAX {
        return Err(ApiError::PayloadTooLarge);
    }
    Ok(Some(bytes))
}

/// A signed token for the public complaint form (no session needed): submit it no sooner
/// than `fill_seconds_min` and within `valid_seconds`. Public.
#[utoipa::path(get, path = "/complaints/form-token", tag = "complaints",
    responses((status = 200, body = Object)))]
pub async fn form_token(State(st): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(run(&st, complaints::form_token).await?)))
}

/// Submits a complaint from the public page (no login, the form token instead): checked,
/// then dispatched to the township of its location; answers the lookup code.
#[utoipa::path(post, path = "/complaints", tag = "complaints", request_body = PublicBody,
    responses((status = 200, body = Object), (status = 400, description = "What is wrong, where and why"),
        (status = 409, description = "The form was submitted already"), (status = 413, description = "A photo over 5 MiB"),
        (status = 429, description = "Too fast, or too many from this network")))]
pub async fn submit(
    State(st): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    J(b): J<PublicBody>,
) -> ApiResult<Json<Value>> {
    let peer = peer.map(|Extension(ConnectInfo(a))| a);
    let client = crate::auth::client_addr(&st, peer, &headers).to_string();
    let input = PublicInput {
        photo: photo(b.photo_base64.as_deref())?,
        category: b.category,
        text: b.text,
        lat: b.lat,
        lon: b.lon,
        address: b.address,
        contact: b.contact,
        form_token: b.form_token,
        honeypot: b.website,
    };
    let s = run(&st, move |app| {
        complaints::submit_public(app, input, &client)
    })
    .await?;
    Ok(Json(json!(s)))
}

/// A complaint's progress by its code: category, township, status and the steps with their
/// Beijing times; no names, contact, text or photo. Public.
#[utoipa::path(get, path = "/complaints/lookup/{code}", tag = "complaints",
    params(("code" = String, Path, description = "The lookup code")),
    responses((status = 200, body = Object), (status = 404, description = "No such code")))]
pub async fn lookup(State(st): State<AppState>, P(code): P<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        run(&st, move |app| complaints::lookup(app, &code)).await?
    )))
}

/// Types in a complaint from the 12345 / 12369 hotline: the bureau, departments,
/// administrators.
#[utoipa::path(post, path = "/complaints/staff", tag = "complaints", request_body = StaffBody,
    responses((status = 200, body = Object), (status = 403, description = "Not the bureau, a department or an administrator")))]
pub async fn submit_staff(
    State(st): State<AppState>,
    Who(caller): Who,
    J(b): J<StaffBody>,
) -> ApiResult<Json<Value>> {
    let occurred_ms = match b.occurred.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => Some(cst::to_unix_ms(cst::parse_minute(t).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "occurred：时间格式应为 YYYY-MM-DD HH:MM（北京时间）/ occurred: {t:?} is not YYYY-MM-DD HH:MM (Beijing time)"
            ))
        })?)),
    };
    let input = StaffInput {
        photo: photo(b.photo_base64.as_deref())?,
        channel: b.channel,
        category: b.category,
        text: b.text,
        lat: b.lat,
        lon: b.lon,
        address: b.address,
        contact: b.contact,
        occurred_ms,
    };
    let s = run(&st, move |app| {
        complaints::submit_staff(app, &caller, input)
    })
    .await?;
    Ok(Json(json!(s)))
}

/// The complaints list's filters and page.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplaintsQuery {
    /// A township's unit id.
    pub township: Option<String>,
    /// A category key.
    pub category: Option<String>,
    /// `YYYY-MM`, Beijing time.
    #[param(value_type = Option<String>)]
    pub month: Option<Month>,
    /// Page number, from 1.
    pub page: Option<usize>,
    /// Complaints per page, 1-1000 (default 50).
    pub per_page: Option<usize>,
}

/// A page of the complaints, newest first: `{complaints, total, page, per_page,
/// time_zone}`, cut in SQL. The bureau, departments, administrators all; a township its own
/// (contacts only for who takes complaints).
#[utoipa::path(get, path = "/complaints", tag = "complaints", params(ComplaintsQuery),
    responses((status = 200, body = Object), (status = 400, description = "A bad filter, page or per_page")))]
pub async fn list(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<ComplaintsQuery>,
) -> ApiResult<Json<Value>> {
    let p = Paging::of(q.page, q.per_page)?;
    let f = ListQuery {
        township: q.township,
        category: q.category,
        month: q.month,
        limit: None,
    }
    .filter();
    let v = run(&st, move |app| {
        complaints::list_page(app, &caller, &f, p.store())
    })
    .await?;
    let mut m = p.answer("complaints", &v);
    m.insert("time_zone".to_owned(), json!("北京时间"));
    Ok(Json(Value::Object(m)))
}

/// Hot spots: counts by category × month × township, and the points for the map.
#[utoipa::path(get, path = "/complaints/hot-spots", tag = "complaints", params(ListQuery),
    responses((status = 200, body = Object)))]
pub async fn hot_spots(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<ListQuery>,
) -> ApiResult<Json<Value>> {
    let f = q.filter();
    let v = run(&st, move |app| complaints::hot_spots(app, &caller, &f)).await?;
    Ok(Json(json!(v)))
}

/// One complaint.
#[utoipa::path(get, path = "/complaints/{id}", tag = "complaints",
    params(("id" = i64, Path, description = "Complaint id")),
    responses((status = 200, body = Object), (status = 404, description = "No such complaint (or not the caller's township's)")))]
pub async fn one(
    State(st): State<AppState>,
    Who(caller): Who,
    P(id): P<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        run(&st, move |app| complaints::one(app, &caller, id)).await?
    )))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PhotoQuery {
    /// The complaint's id.
    pub id: i64,
}

/// A complaint's photo (its metadata removed at submission), for who sees the complaint.
#[utoipa::path(get, path = "/complaints/photo", tag = "complaints", params(PhotoQuery),
    responses((status = 200, description = "JPEG or PNG"), (status = 404, description = "No photo")))]
pub async fn photo_file(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<PhotoQuery>,
) -> ApiResult<Response> {
    let id = q.id;
    let (bytes, mime) = run(&st, move |app| complaints::photo(app, &caller, id)).await?;
    Ok(([(header::CONTENT_TYPE, mime)], bytes).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    let submissions = OpenApiRouter::new()
        .routes(routes!(list, submit))
        .routes(routes!(submit_staff))
        .layer(DefaultBodyLimit::max(COMPLAINT_BODY_BYTES_MAX));
    OpenApiRouter::new()
        .routes(routes!(form_token))
        .routes(routes!(lookup))
        .routes(routes!(hot_spots))
        .routes(routes!(one))
        .routes(routes!(photo_file))
        .merge(submissions)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn base64_decodes_standard_url_safe_and_data_urls() {
        let cases: [(&str, &[u8]); 5] = [
            ("aGVsbG8=", b"hello"),
            ("aGVsbG8", b"hello"),
            ("data:image/jpeg;base64,/9j/", &[0xFF, 0xD8, 0xFF]),
            ("_9j_", &[0xFF, 0xD8, 0xFF]),
            ("aGVs\nbG8=", b"hello"),
        ];
        for (text, want) in cases {
            assert_eq!(base64_decode(text).unwrap(), want, "{text}");
        }
        assert!(base64_decode("aGV*bG8=").is_err());
    }
}
