//! Credit records (信用记录) of enterprises and operations contractors: entries written by
//! rule when a case closes, publication, objections and repair, the public credit list.

use crate::{App, AppResult};
use lantian_core::enforce::credit::ClosedCase;

/// Writes the credit entries the rules give for a closed case (none for most cases) and
/// returns their ids. Called by the case module when a case closes; `by` is who closed it.
pub fn record_closed_case(app: &App, by: &str, case: &ClosedCase) -> AppResult<Vec<i64>> {
    // Placeholder until the credit part lands (issue 21, helper E2 replaces this body).
    let _ = (app, by, case);
    Ok(Vec::new())
}
