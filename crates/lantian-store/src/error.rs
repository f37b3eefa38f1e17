//! Store errors: what failed, and whether the caller may retry.

use std::fmt;

#[derive(Debug)]
pub enum StoreError {
    /// The database could not be opened or migrated.
    Open {
        backend: &'static str,
        message: String,
    },
    /// A statement failed; nothing of the batch was committed.
    Sql {
        backend: &'static str,
        message: String,
    },
    /// The connection to the server was lost; nothing of the batch was committed. Retry.
    Connection {
        message: String,
    },
    /// The disk is full; nothing of the batch was committed.
    DiskFull {
        message: String,
    },
    /// A referenced record does not exist or a value is invalid.
    Invalid {
        what: String,
    },
    NotFound {
        what: String,
    },
    Conflict {
        what: String,
    },
    /// The change was refused and nothing committed: what it depended on changed meanwhile
    /// (a compare-and-set lost), or a limit would be passed. The text says which, for people.
    Refused {
        what: String,
    },
}

impl StoreError {
    /// Whether retrying the same call later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StoreError::Connection { .. } | StoreError::DiskFull { .. }
        )
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Open { backend, message } => {
                write!(f, "cannot open the {backend} database: {message}")
            }
            StoreError::Sql { backend, message } => write!(
                f,
                "{backend} statement failed, nothing committed: {message}"
            ),
            StoreError::Connection { message } => write!(
                f,
                "database connection lost, nothing committed (retry): {message}"
            ),
            StoreError::DiskFull { message } => {
                write!(f, "disk full, nothing committed: {message}")
            }
            StoreError::Invalid { what } => write!(f, "invalid: {what}"),
            StoreError::NotFound { what } => write!(f, "not found: {what}"),
            StoreError::Conflict { what } => write!(f, "already exists: {what}"),
            StoreError::Refused { what } => f.write_str(what),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        if let rusqlite::Error::SqliteFailure(code, _) = &e {
            match code.code {
                rusqlite::ErrorCode::DiskFull => {
                    return StoreError::DiskFull {
                        message: e.to_string(),
                    };
                }
                rusqlite::ErrorCode::ConstraintViolation
                    if e.to_string().contains("FOREIGN KEY") =>
                {
                    return StoreError::Invalid {
                        what: format!("refers to a record that does not exist ({e})"),
                    };
                }
                rusqlite::ErrorCode::ConstraintViolation => {
                    return StoreError::Conflict {
                        what: e.to_string(),
                    };
                }
                _ => {}
            }
        }
        StoreError::Sql {
            backend: "SQLite",
            message: e.to_string(),
        }
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> StoreError {
        // "db error" alone says nothing: carry the server's message.
        let message = match e.as_db_error() {
            Some(db) => format!("{} ({})", db.message(), db.code().code()),
            None => e.to_string(),
        };
        // Class 08 (connection exception) and 57 (operator intervention: shutdown, restart).
        let lost = e
            .code()
            .is_some_and(|c| c.code().starts_with("08") || c.code().starts_with("57"));
        if e.is_closed() || lost || e.as_db_error().is_none() && message.contains("connection") {
            return StoreError::Connection { message };
        }
        match e.code() {
            Some(c) if *c == postgres::error::SqlState::DISK_FULL => {
                StoreError::DiskFull { message }
            }
            Some(c) if *c == postgres::error::SqlState::UNIQUE_VIOLATION => {
                StoreError::Conflict { what: message }
            }
            Some(c) if *c == postgres::error::SqlState::FOREIGN_KEY_VIOLATION => {
                StoreError::Invalid {
                    what: format!("refers to a record that does not exist ({message})"),
                }
            }
            _ => StoreError::Sql {
                backend: "PostgreSQL",
                message,
            },
        }
    }
}

/// A stored value that is not what it should be (a database edited by hand), naming it.
pub(crate) fn invalid(what: String) -> StoreError {
    StoreError::Invalid { what }
}
