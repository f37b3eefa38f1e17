//! What can go wrong in a use case, as a small enum: each front end turns it into its own
//! answer (an HTTP status, an exit code) in one place.

use lantian_store::StoreError;

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug)]
pub enum AppError {
    /// The request is malformed or out of range; the message says which part and why.
    BadRequest(String),
    /// A login is needed.
    Unauthorized,
    /// The caller may not do this; the message (Chinese / English) says why.
    Forbidden(String),
    NotFound(String),
    /// Something with that name exists already.
    Conflict(String),
    TooManyRequests(String),
    /// Not available in this deployment (e.g. no data directory for files).
    Unavailable(String),
    Store(StoreError),
    Internal(String),
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::BadRequest(m)
            | AppError::Forbidden(m)
            | AppError::Conflict(m)
            | AppError::TooManyRequests(m)
            | AppError::Unavailable(m)
            | AppError::Internal(m) => f.write_str(m),
            AppError::NotFound(what) => write!(f, "not found: {what}"),
            AppError::Unauthorized => f.write_str("请先登录 / log in first"),
            AppError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for AppError {}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::NotFound { what } => AppError::NotFound(what),
            StoreError::Conflict { what } => AppError::Conflict(format!("already exists: {what}")),
            StoreError::Invalid { what } => AppError::BadRequest(what),
            StoreError::Refused { what } => AppError::Conflict(what),
            other => AppError::Store(other),
        }
    }
}
