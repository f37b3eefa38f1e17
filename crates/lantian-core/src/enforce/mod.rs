//! Enforcement: cases (执法案件), credit records (信用记录) and the 散乱污 list, as pure rules.

pub mod case;
pub mod credit;
pub mod sanluanwu;

use serde::{Deserialize, Serialize};

/// What kind of party a case or a credit entry is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// An enterprise of the register (its id is the register's enterprise id).
    Enterprise,
    /// An operations contractor (运维单位) of stations (its id is the contractor's id).
    Contractor,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Enterprise => "enterprise",
            SubjectKind::Contractor => "contractor",
        }
    }

    pub fn parse(s: &str) -> Option<SubjectKind> {
        match s {
            "enterprise" => Some(SubjectKind::Enterprise),
            "contractor" => Some(SubjectKind::Contractor),
            _ => None,
        }
    }
}
