//! Credit records (信用记录): the rules that turn a closed case into entries, publication
//! periods, objections and repair (信用修复).

use super::SubjectKind;
use serde::{Deserialize, Serialize};

/// What the credit rules need of a closed case (built by the case module at closure).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClosedCase {
    pub case_id: i64,
    /// The case's number as shown to people (e.g. `XJ-2026-0007`).
    pub case_no: String,
    pub subject_kind: SubjectKind,
    pub subject_id: String,
    pub subject_name: String,
    /// The violation's code (`case::Violation::as_str()`), e.g. `data_falsification`.
    pub violation: String,
    /// The kinds of the case's decisions: `rectify`, `fine`, `transfer`.
    pub decisions: Vec<String>,
    /// The sum of the fines decided, yuan.
    pub fine_yuan: Option<f64>,
    /// When the case was closed, Unix ms.
    pub closed_ms: i64,
    /// 非现场执法: found and proven from monitoring data without a site visit.
    pub non_site: bool,
    /// The township (unit id) of the case, when known.
    pub township: Option<String>,
}
