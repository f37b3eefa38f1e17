//! API errors, mapped to status codes in exactly one place; every message `中文 / English`
//! (the web UI shows the reader's half, web/js/core.js `inLang`).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lantian_app::AppError;
use lantian_store::StoreError;
use serde_json::json;

#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Unauthorized,
    Forbidden(String),
    NotFound(String),
    Conflict(String),
    TooManyRequests(String),
    PayloadTooLarge,
    Unavailable(String),
    Internal(String),
}

/// Whether a text has Chinese in it (the store's own messages are English; the use cases'
/// are `中文 / English`).
fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// A store message as the UI shows it: `中文 / English` (the UI shows one of the two). A
/// database's own constraint text ("UNIQUE constraint failed: …", "duplicate key value …")
/// is no message for people: it goes to the log, and they read what it means.
fn bilingual(zh: &str, en: &str, what: String) -> String {
    if has_chinese(&what) {
        return what;
    }
    let raw = ["constraint", "duplicate key", "violates", "SQL"]
        .iter()
        .any(|k| what.contains(k));
    if raw {
        tracing::info!("store refusal: {what}");
        format!("{zh} / {en}")
    } else {
        format!("{zh}：{what} / {en}: {what}")
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound { what } => {
                ApiError::NotFound(bilingual("未找到", "not found", what))
            }
            StoreError::Conflict { what } => ApiError::Conflict(bilingual(
                "该记录已存在，不能重复添加",
                "this record exists already",
                what,
            )),
            StoreError::Invalid { what } => {
                ApiError::BadRequest(bilingual("数据无效", "invalid", what))
            }
            StoreError::Refused { what } => ApiError::Conflict(bilingual(
                "记录已被他人修改，请刷新后重试",
                "changed meanwhile: reload and try again",
                what,
            )),
            e if e.is_retryable() => ApiError::Unavailable(e.to_string()),
            e => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        match e {
            AppError::BadRequest(m) => ApiError::BadRequest(m),
            AppError::Unauthorized => ApiError::Unauthorized,
            AppError::Forbidden(m) => ApiError::Forbidden(m),
            AppError::NotFound(m) => ApiError::NotFound(m),
            AppError::Conflict(m) => ApiError::Conflict(m),
            AppError::TooManyRequests(m) => ApiError::TooManyRequests(m),
            AppError::Unavailable(m) => ApiError::Unavailable(m),
            AppError::Store(e) => ApiError::from(e),
            AppError::Internal(m) => ApiError::Internal(m),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "登录后才能访问 / login required".to_owned(),
            ),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m),
            ApiError::TooManyRequests(m) => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests", m),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "请求内容过大 / request body too large".to_owned(),
            ),
            ApiError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", m),
            ApiError::Internal(m) => {
                // The detail goes to the log, never to the client.
                tracing::error!("internal error: {m}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "服务器内部错误（已记录）/ internal error (logged)".to_owned(),
                )
            }
        };
        (
            status,
            Json(json!({ "error": { "code": code, "message": message } })),
        )
            .into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
