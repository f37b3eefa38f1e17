//! What a reader could not use, and the errors that stop it.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// One row or cell that was skipped: where, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skip {
    pub file: String,
    pub line: u64,
    pub field: Option<String>,
    pub reason: String,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some(field) = &self.field {
            write!(f, ": field {field}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// Skipped rows, counted by reason; the first [`Diagnostics::EXAMPLES_MAX`] kept verbatim.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Diagnostics {
    pub skipped: u64,
    pub by_reason: BTreeMap<String, u64>,
    pub examples: Vec<Skip>,
}

impl Diagnostics {
    pub const EXAMPLES_MAX: usize = 20;

    pub fn skip(&mut self, file: &str, line: u64, field: Option<&str>, reason: &str) {
        self.skipped += 1;
        *self.by_reason.entry(reason.to_owned()).or_default() += 1;
        if self.examples.len() < Self::EXAMPLES_MAX {
            self.examples.push(Skip {
                file: file.to_owned(),
                line,
                field: field.map(str::to_owned),
                reason: reason.to_owned(),
            });
        }
    }

    pub fn merge(&mut self, other: Diagnostics) {
        self.skipped += other.skipped;
        for (k, v) in other.by_reason {
            *self.by_reason.entry(k).or_default() += v;
        }
        let room = Self::EXAMPLES_MAX.saturating_sub(self.examples.len());
        self.examples.extend(other.examples.into_iter().take(room));
    }
}

/// A file that cannot be read as the format at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatError {
    Empty {
        file: String,
    },
    BadHeader {
        file: String,
        expected: String,
        found: String,
    },
    Io {
        file: String,
        line: u64,
        message: String,
    },
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::Empty { file } => write!(f, "{file}: the file is empty"),
            FormatError::BadHeader {
                file,
                expected,
                found,
            } => {
                write!(
                    f,
                    "{file}:1: header does not match: expected {expected}, found {found:?}"
                )
            }
            FormatError::Io {
                file,
                line,
                message,
            } => write!(f, "{file}:{line}: cannot read: {message}"),
        }
    }
}

impl std::error::Error for FormatError {}
