//! The measures ledger over HTTP: the list with filters (and the Excel 台账), one measure
//! with its history, progress reports, confirmation and closing with the rules of who may
//! do what, and evidence files (size-limited, type-checked by content).

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::export::{LedgerLine, TableQuery, ledger_xlsx, table};
use crate::routes::{blocking, now_ms, today};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use lantian_core::ledger::status::{Action, Status, at_risk, effective, transition};
use lantian_store::ledger::{MeasureEvent, MeasureRow};
use serde::Deserialize;
use serde_json::{Value, json};

/// Largest evidence file accepted.
pub const EVIDENCE_BYTES_MAX: usize = 5 * 1024 * 1024;

fn parsed(m: &MeasureRow) -> Value {
    serde_json::from_str(&m.parsed).unwrap_or(Value::Null)
}

fn units_of(p: &Value, key: &str) -> Vec<String> {
    serde_json::from_value(p[key].clone()).unwrap_or_default()
}

fn view(st: &AppState, m: &MeasureRow) -> Value {
    let p = parsed(m);
    let deadlines: Vec<lantian_core::Date> =
        serde_json::from_value(p["deadlines"].clone()).unwrap_or_default();
    let recorded = Status::parse(&m.status).unwrap_or(Status::NotStarted);
    let t = today(st);
    let status = effective(recorded, &deadlines, t);
    json!({
        "id": m.id, "category": m.category, "task": m.task, "measure": m.measure, "section": m.section,
        "responsibility": m.responsibility, "lead_units": p["lead_units"], "supporting_units": p["supporting_units"],
        "deadlines": p["deadlines"], "targets": p["targets"], "monthly_targets": p["monthly_targets"],
        "status": status.as_str(), "status_zh": status.name_zh(),
        "at_risk": at_risk(recorded, &deadlines, t),
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct LedgerQuery {
    pub category: Option<String>,
    pub unit: Option<String>,
    pub status: Option<String>,
    /// Only measures with a deadline on or before this date (YYYY-MM-DD).
    pub deadline_before: Option<String>,
    pub page: Option<usize>,
    pub per_page: Option<usize>,
    pub format: Option<String>,
}

pub async fn list(State(st): State<AppState>, Query(q): Query<LedgerQuery>) -> ApiResult<Response> {
    let store = st.store.clone();
    let rows = blocking(move || Ok(store.measures()?)).await?;
    let before = match q.deadline_before.as_deref() {
        Some(d) => Some(lantian_core::Date::parse(d).ok_or_else(|| {
            ApiError::BadRequest(format!("deadline_before {d:?}: expected YYYY-MM-DD"))
        })?),
        None => None,
    };
    if let Some(s) = q.status.as_deref()
        && Status::parse(s).is_none()
    {
        return Err(ApiError::BadRequest(format!(
            "status {s:?}: expected not_started, in_progress, completed, closed or overdue"
        )));
    }
    let items: Vec<Value> = rows
        .iter()
        .map(|m| view(&st, m))
        .filter(|v| q.category.as_deref().is_none_or(|c| v["category"] == c))
        .filter(|v| {
            q.unit.as_deref().is_none_or(|u| {
                units_of(v, "lead_units")
                    .iter()
                    .chain(&units_of(v, "supporting_units"))
                    .any(|x| x == u)
            })
        })
        .filter(|v| {
            q.status
                .as_deref()
                .is_none_or(|s| Status::parse(s).map(Status::as_str) == v["status"].as_str())
        })
        .filter(|v| {
            before.is_none_or(|b| {
                let d: Vec<lantian_core::Date> =
                    serde_json::from_value(v["deadlines"].clone()).unwrap_or_default();
                d.iter().any(|x| *x <= b)
            })
        })
        .collect();
    if q.format.as_deref() == Some("xlsx") {
        let lines: Vec<LedgerLine> = items
            .iter()
            .map(|v| LedgerLine::from_json(v, String::new()))
            .collect();
        let bytes = ledger_xlsx("措施责任清单（台账）", &lines).map_err(ApiError::Internal)?;
        return Ok((
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"ledger.xlsx\"",
                ),
            ],
            bytes,
        )
            .into_response());
    }
    let rows: Vec<Value> = items
        .into_iter()
        .map(|mut v| {
            for k in ["lead_units", "supporting_units", "deadlines"] {
                if let Some(a) = v[k].as_array() {
                    v[k] = json!(
                        a.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join("、")
                    );
                }
            }
            v
        })
        .collect();
    table(
        rows,
        &[
            "id",
            "section",
            "category",
            "task",
            "measure",
            "responsibility",
            "lead_units",
            "supporting_units",
            "deadlines",
            "status_zh",
            "at_risk",
        ],
        &TableQuery {
            page: q.page,
            per_page: q.per_page,
            format: q.format,
        },
        "ledger",
    )
}

pub async fn one(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let store = st.store.clone();
    let mid = id.clone();
    let (m, events) = blocking(move || {
        let m = store.measures()?.into_iter().find(|m| m.id == mid);
        let events = store.measure_events(&mid)?;
        Ok((m, events))
    })
    .await?;
    let m = m.ok_or_else(|| ApiError::NotFound(format!("measure {id}")))?;
    let mut v = view(&st, &m);
    v["history"] = serde_json::to_value(events).unwrap_or(Value::Null);
    Ok(Json(v))
}

#[derive(Debug, Deserialize)]
pub struct EventBody {
    /// report | confirm | close | reopen
    pub action: String,
    pub month: Option<String>,
    #[serde(default)]
    pub text: String,
}

/// Who may act: the bureau on everything; a department on measures it leads or supports
/// (confirming only those it leads); a township on measures assigned to all townships.
pub async fn act(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(b): Json<EventBody>,
) -> ApiResult<Json<Value>> {
    let s = caller.require()?.clone();
    let action = match b.action.as_str() {
        "report" => Action::Report,
        "confirm" => Action::Confirm,
        "close" => Action::Close,
        "reopen" => Action::Reopen,
        o => {
            return Err(ApiError::BadRequest(format!(
                "action {o:?}: expected report, confirm, close or reopen"
            )));
        }
    };
    if let Some(m) = &b.month
        && (m.len() != 7 || lantian_core::Date::parse(&format!("{m}-01")).is_none())
    {
        return Err(ApiError::BadRequest(format!(
            "month {m:?}: expected YYYY-MM"
        )));
    }
    if b.text.len() > 10_000 || (action == Action::Close && b.text.trim().is_empty()) {
        return Err(ApiError::BadRequest("销号需要说明理由；文字不超过 10000 字节 / closing needs a reason; text at most 10000 bytes".to_owned()));
    }
    let store = st.store.clone();
    let out = blocking(move || {
        let m = store
            .measures()?
            .into_iter()
            .find(|m| m.id == id)
            .ok_or_else(|| ApiError::NotFound(format!("measure {id}")))?;
        let p = parsed(&m);
        let (leads, supporting) = (units_of(&p, "lead_units"), units_of(&p, "supporting_units"));
        let unit = s.unit_id.clone().unwrap_or_default();
        let township_duty = s.role == "township" && leads.iter().any(|u| u == "各乡镇");
        let is_lead = leads.contains(&unit) || township_duty;
        let involved = is_lead || supporting.contains(&unit);
        if !s.is_bureau() && !involved {
            store.audit(
                now_ms(),
                &s.username,
                "ledger.denied",
                &m.id,
                &format!("{} by {unit}", b.action),
            )?;
            return Err(ApiError::Forbidden(
                "只能处理本单位牵头或配合的措施 / only measures your unit leads or supports"
                    .to_owned(),
            ));
        }
        let from = Status::parse(&m.status).unwrap_or(Status::NotStarted);
        let next = match transition(from, action, s.is_bureau(), is_lead) {
            Ok(n) => n,
            Err(e) => {
                store.audit(now_ms(), &s.username, "ledger.denied", &m.id, &e.0)?;
                return Err(ApiError::Forbidden(e.0));
            }
        };
        store.add_measure_event(&MeasureEvent {
            id: 0,
            measure_id: m.id.clone(),
            at_ms: now_ms(),
            actor: s.username.clone(),
            unit: s.unit_id.clone(),
            action: b.action.clone(),
            month: b.month.clone(),
            text: b.text.clone(),
            status_after: next.as_str().to_owned(),
        })?;
        store.audit(
            now_ms(),
            &s.username,
            &format!("ledger.{}", b.action),
            &m.id,
            &b.text,
        )?;
        Ok(json!({ "ok": true, "status": next.as_str(), "status_zh": next.name_zh() }))
    })
    .await?;
    Ok(Json(out))
}

/// A hand correction of what was read from the text, and the monthly breakdown of a target.
#[derive(Debug, Deserialize)]
pub struct Correction {
    pub lead_units: Option<Vec<String>>,
    pub supporting_units: Option<Vec<String>>,
    pub deadlines: Option<Vec<lantian_core::Date>>,
    pub targets: Option<Vec<lantian_core::ledger::extract::Target>>,
    /// `[{ "month": "2025-01", "value": 60.0 }, …]`: the target broken down by month.
    pub monthly_targets: Option<Vec<MonthlyTarget>>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize, serde::Serialize)]
pub struct MonthlyTarget {
    pub month: String,
    pub value: f64,
}

/// The bureau corrects parsed fields by hand; the text as written never changes.
pub async fn correct(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(b): Json<Correction>,
) -> ApiResult<Json<Value>> {
    let s = caller.require_role(&["admin", "bureau"])?.clone();
    if let Some(bad) = b.monthly_targets.iter().flatten().find(|m| {
        m.month.len() != 7
            || lantian_core::Date::parse(&format!("{}-01", m.month)).is_none()
            || !m.value.is_finite()
    }) {
        return Err(ApiError::BadRequest(format!(
            "monthly target {:?}: expected month YYYY-MM and a number",
            bad.month
        )));
    }
    let store = st.store.clone();
    let out = blocking(move || {
        let m = store
            .measures()?
            .into_iter()
            .find(|m| m.id == id)
            .ok_or_else(|| ApiError::NotFound(format!("measure {id}")))?;
        let mut p = parsed(&m);
        let mut changed = Vec::new();
        let mut set = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                p[k] = v;
                changed.push(k.to_owned());
            }
        };
        set("lead_units", b.lead_units.map(|v| json!(v)));
        set("supporting_units", b.supporting_units.map(|v| json!(v)));
        set("deadlines", b.deadlines.map(|v| json!(v)));
        set("targets", b.targets.map(|v| json!(v)));
        set("monthly_targets", b.monthly_targets.map(|v| json!(v)));
        if changed.is_empty() {
            return Err(ApiError::BadRequest("nothing to correct".to_owned()));
        }
        let text = format!(
            "{}{}",
            changed.join(", "),
            if b.note.is_empty() {
                String::new()
            } else {
                format!(": {}", b.note)
            }
        );
        store.correct_measure(
            &m.id,
            &p.to_string(),
            &MeasureEvent {
                id: 0,
                measure_id: m.id.clone(),
                at_ms: now_ms(),
                actor: s.username.clone(),
                unit: s.unit_id.clone(),
                action: "correct".into(),
                month: None,
                text: text.clone(),
                status_after: m.status.clone(),
            },
        )?;
        store.audit(now_ms(), &s.username, "ledger.correct", &m.id, &text)?;
        Ok(json!({ "ok": true, "corrected": changed }))
    })
    .await?;
    Ok(Json(out))
}

/// The type of an evidence file from its first bytes: PDF, JPEG or PNG.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else {
        None
    }
}

pub async fn evidence(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let s = caller.require()?.clone();
    if body.len() > EVIDENCE_BYTES_MAX {
        return Err(ApiError::PayloadTooLarge);
    }
    let ext = sniff(&body).ok_or_else(|| {
        ApiError::BadRequest(
            "证明材料须为 PDF、JPEG 或 PNG / evidence must be a PDF, JPEG or PNG file".to_owned(),
        )
    })?;
    let name: String = headers
        .get("x-filename")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("evidence")
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(80)
        .collect();
    let dir =
        st.config.data_dir.clone().ok_or_else(|| {
            ApiError::Unavailable("no data directory for evidence files".to_owned())
        })?;
    let store = st.store.clone();
    let out = blocking(move || {
        let m = store
            .measures()?
            .into_iter()
            .find(|m| m.id == id)
            .ok_or_else(|| ApiError::NotFound(format!("measure {id}")))?;
        let p = parsed(&m);
        let unit = s.unit_id.clone().unwrap_or_default();
        let involved = units_of(&p, "lead_units")
            .iter()
            .chain(&units_of(&p, "supporting_units"))
            .any(|u| *u == unit);
        if !s.is_bureau() && !involved {
            store.audit(now_ms(), &s.username, "ledger.denied", &m.id, "evidence")?;
            return Err(ApiError::Forbidden(
                "只能为本单位的措施上传材料 / only for your unit's measures".to_owned(),
            ));
        }
        let folder = dir.join("evidence").join(&m.id);
        std::fs::create_dir_all(&folder).map_err(|e| ApiError::Internal(e.to_string()))?;
        let file = format!("{}-{name}.{ext}", now_ms());
        std::fs::write(folder.join(&file), &body).map_err(|e| ApiError::Internal(e.to_string()))?;
        store.add_measure_event(&MeasureEvent {
            id: 0,
            measure_id: m.id.clone(),
            at_ms: now_ms(),
            actor: s.username.clone(),
            unit: s.unit_id.clone(),
            action: "evidence".into(),
            month: None,
            text: file.clone(),
            status_after: m.status.clone(),
        })?;
        store.audit(now_ms(), &s.username, "ledger.evidence", &m.id, &file)?;
        Ok(json!({ "ok": true, "file": file, "bytes": body.len() }))
    })
    .await?;
    Ok(Json(out))
}
