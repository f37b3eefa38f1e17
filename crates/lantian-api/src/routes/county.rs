//! The county this deployment serves: its names, map centre, targets and titles.

use crate::AppState;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

/// The county profile's public part (names, centre, plan, targets, titles). Public.
#[utoipa::path(get, path = "/county", tag = "county", responses((status = 200, body = Object)))]
pub async fn county(State(st): State<AppState>) -> Json<Value> {
    let p = &st.app.county.profile;
    Json(json!({
        "id": p.id, "name_zh": p.name_zh, "name_en": p.name_en, "center": p.center, "plan_zh": p.plan_zh,
        "targets": p.targets, "titles": p.titles, "bureau": p.bureau,
    }))
}
