//! The cockpit (驾驶舱) over HTTP: one answer with every tile of the government's home page.
//! Thin: the figures, the verdicts and who may see them are `lantian_app::cockpit`'s.

use super::{LangQuery, Q, run};
use crate::AppState;
use crate::auth::Who;
use crate::error::ApiResult;
use axum::extract::State;
use axum::response::Response;
use lantian_app::present::lang;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every tile of the cockpit: AQI now and today so far, yesterday's 日报, the month's and the
/// year's city figures against their targets with coverage and verdict, the month's township
/// ranking with 同比/环比, overdue and due-soon measures by unit, open alarms; each with the
/// page it links to. Government accounts; reused for 5 s per account.
#[utoipa::path(get, path = "/cockpit", tag = "assessment", params(LangQuery),
    responses((status = 200, description = "The cockpit's tiles", body = Object),
        (status = 401, description = "Log in"), (status = 403, description = "Not a government account")))]
pub async fn cockpit(
    State(st): State<AppState>,
    Who(caller): Who,
    Q(q): Q<LangQuery>,
) -> ApiResult<Response> {
    let l = lang(q.lang.as_deref());
    let key = format!("cockpit|{}", super::cached_for(&caller));
    if let Some(r) = st.cache.get(&key, l) {
        return Ok(r);
    }
    let v = run(&st, move |app| {
        lantian_app::cockpit::cockpit(app, &caller, l)
    })
    .await?;
    Ok(st.cache.put(&key, l, &v))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(cockpit))
}
