//! The JSON API under `/api/v1/`. Handlers are thin: parse, authorise, call the store or
//! the engine, shape the answer.

use crate::AppState;
use crate::analysis::{self, DAY_S};
use crate::auth::{self, Caller, Session};
use crate::error::{ApiError, ApiResult};
use crate::export::{TableQuery, table};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use lantian_core::Date;
use lantian_core::allowance::{TargetReading, still_allowed};
use lantian_core::aqi::{AqiResult, Lang};
use lantian_core::pollutant::Pollutant;
use lantian_core::rules::RuleChoice;
use lantian_store::{Period, Station, View, password};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Today's date in China Standard Time (or the configured clock, for demos and tests).
pub fn today(state: &AppState) -> Date {
    let ms = state.config.now_ms.unwrap_or_else(now_ms) + 8 * 3_600_000;
    Date::from_days_since_epoch(ms.div_euclid(86_400_000))
}

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// Whether the caller may see a station's details (a township sees its own unit's).
fn may_see(caller: &Caller, s: &Station) -> bool {
    match &caller.0 {
        Some(sess) if sess.role == "township" => {
            sess.unit_id.is_some() && sess.unit_id == s.admin_unit_id
        }
        Some(_) => true,
        None => false,
    }
}

fn aqi_json(r: &AqiResult, lang: Lang) -> Value {
    let level = r.level();
    json!({
        "aqi": r.aqi,
        "above_range": r.above_range,
        "level": level.map(|l| l.number()),
        "category": level.map(|l| l.category(lang)),
        "colour": level.map(|l| l.hex()),
        "primary": r.primary,
        "advice": level.map(|l| l.advice(r.edition, lang)),
        "rule_set": match r.edition {
            lantian_core::rules::AqiEdition::Hj633_2012 => "HJ 633-2012",
            lantian_core::rules::AqiEdition::Hj633_2026 => "HJ 633-2026",
        },
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct LangQuery {
    pub lang: Option<String>,
}

fn lang(q: &Option<String>) -> Lang {
    if q.as_deref() == Some("en") {
        Lang::En
    } else {
        Lang::Zh
    }
}

pub async fn units(State(st): State<AppState>, Query(q): Query<TableQuery>) -> ApiResult<Response> {
    let store = st.store.clone();
    let units = blocking(move || Ok(store.admin_units()?)).await?;
    let rows: Vec<Value> = units
        .iter()
        .map(|u| serde_json::to_value(u).unwrap_or(Value::Null))
        .collect();
    table(
        rows,
        &[
            "id",
            "name_zh",
            "name_en",
            "kind",
            "parent_id",
            "lat",
            "lon",
        ],
        &q,
        "units",
    )
}

pub async fn stations(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<TableQuery>,
) -> ApiResult<Response> {
    let store = st.store.clone();
    let list = blocking(move || Ok(store.stations()?)).await?;
    let rows: Vec<Value> = list
        .iter()
        .map(|s| {
            let detail = may_see(&caller, s);
            json!({
                "id": s.id, "name": s.name, "role": s.role, "unit": s.admin_unit_id, "lat": s.lat, "lon": s.lon,
                "demo": s.demo, "pollutants": if detail { json!(s.pollutants.join(",")) } else { Value::Null },
            })
        })
        .collect();
    table(
        rows,
        &[
            "id",
            "name",
            "role",
            "unit",
            "lat",
            "lon",
            "demo",
            "pollutants",
        ],
        &q,
        "stations",
    )
}

pub async fn station(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = st.store.clone();
    let sid = id.clone();
    let s = blocking(move || Ok(store.station(&sid)?))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("station {id}")))?;
    let mut v = serde_json::to_value(&s).unwrap_or(Value::Null);
    if !may_see(&caller, &s) {
        v["pollutants"] = Value::Null;
    }
    Ok(Json(v))
}

#[derive(Debug, Deserialize)]
pub struct StationBody {
    pub id: String,
    pub name: String,
    pub role: String,
    pub unit: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

pub async fn create_station(
    State(st): State<AppState>,
    caller: Caller,
    Json(b): Json<StationBody>,
) -> ApiResult<Json<Value>> {
    let who = caller.require_role(&["admin", "bureau"])?.username.clone();
    if b.id.trim().is_empty() || b.id.len() > 64 || b.name.trim().is_empty() {
        return Err(ApiError::BadRequest(
            "id (1-64 characters) and name are required".to_owned(),
        ));
    }
    let store = st.store.clone();
    let id = b.id.clone();
    blocking(move || {
        store.upsert_station(&Station {
            id: b.id.clone(),
            name: b.name,
            role: b.role,
            admin_unit_id: b.unit,
            lat: b.lat,
            lon: b.lon,
            pollutants: Pollutant::ALL
                .iter()
                .map(|p| p.hj212_code().to_owned())
                .collect(),
            min_interval_min: 1,
            demo: false,
        })?;
        store.audit(now_ms(), &who, "station.save", &b.id, "")?;
        Ok(())
    })
    .await?;
    Ok(Json(json!({ "ok": true, "id": id })))
}

pub async fn devices(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<TableQuery>,
) -> ApiResult<Response> {
    caller.require_role(&["admin", "bureau", "operations"])?;
    let store = st.store.clone();
    let list = blocking(move || Ok(store.devices()?)).await?;
    let status = (st.devices)();
    let rows: Vec<Value> = list
        .iter()
        .map(|d| {
            let s = status.get(&d.mn);
            json!({
                "mn": d.mn, "station": d.station_id, "edition": d.edition,
                "connected": s.map(|s| s.0), "last_seen_ms": s.map(|s| s.1), "packets": s.map(|s| s.2), "rejects": s.map(|s| s.3),
            })
        })
        .collect();
    table(
        rows,
        &[
            "mn",
            "station",
            "edition",
            "connected",
            "last_seen_ms",
            "packets",
            "rejects",
        ],
        &q,
        "devices",
    )
}

/// AQI now: the city (assessment stations) and every station. Public.
pub async fn aqi_now(
    State(st): State<AppState>,
    Query(q): Query<LangQuery>,
) -> ApiResult<Json<Value>> {
    let l = lang(&q.lang);
    if let Some(v) = st.cache.get("aqi_now", l) {
        return Ok(Json(Value::clone(&v)));
    }
    let store = st.store.clone();
    let day = today(&st);
    let v = blocking(move || {
        let stations = store.stations()?;
        let city = analysis::aqi_now(&store, &analysis::scope_stations(&stations, "city"))?;
        let mut list = Vec::new();
        for s in &stations {
            let now = analysis::aqi_now(&store, std::slice::from_ref(s))?;
            list.push(json!({
                "id": s.id, "name": s.name, "role": s.role, "unit": s.admin_unit_id, "lat": s.lat, "lon": s.lon, "demo": s.demo,
                "hour_start": now.as_ref().map(|n| n.0),
                "concentrations": now.as_ref().map(|n| conc_json(&n.1)),
                "aqi": now.as_ref().map(|n| aqi_json(&n.2, l)),
            }));
        }
        // Today's daily AQI of the city: valid once the day has enough hours (GB 3095 Table 4).
        let city_stations = analysis::scope_stations(&stations, "city");
        let today_days = analysis::scope_days(&store, &city_stations, day, 1, View::Raw)?;
        let today = today_days.first().map(|d| {
            let r = lantian_core::aqi::daily(&lantian_core::aqi::AqiOptions::for_date(d.date, RuleChoice::Auto), &d.aqi_inputs());
            json!({ "date": d.date, "aqi": aqi_json(&r, l), "missing": r.missing })
        });
        Ok(json!({
            "city": city.as_ref().map(|c| json!({ "hour_start": c.0, "concentrations": conc_json(&c.1), "aqi": aqi_json(&c.2, l) })),
            "today": today,
            "stations": list,
        }))
    })
    .await?;
    st.cache.put("aqi_now", l, std::sync::Arc::new(v.clone()));
    Ok(Json(v))
}

fn conc_json(c: &[Option<f64>; 6]) -> Value {
    Pollutant::ALL
        .iter()
        .map(|p| {
            (
                p.key().to_owned(),
                json!(c[p.index()].map(|v| (v * 10.0).round() / 10.0)),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

#[derive(Debug, Deserialize)]
pub struct SeriesQuery {
    pub code: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub days: Option<i64>,
    pub view: Option<String>,
    /// `hour` (default) or `day` (daily means with coverage).
    pub avg: Option<String>,
    pub format: Option<String>,
}

pub async fn series(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<SeriesQuery>,
) -> ApiResult<Response> {
    let code = q.code.clone().unwrap_or_else(|| "a34004".to_owned());
    let p = Pollutant::parse(&code)
        .ok_or_else(|| ApiError::BadRequest(format!("code {code:?}: not a pollutant")))?;
    let view = match q.view.as_deref().unwrap_or("raw") {
        "raw" => View::Raw,
        "audited" => View::Audited,
        v => {
            return Err(ApiError::BadRequest(format!(
                "view {v:?}: expected raw or audited"
            )));
        }
    };
    let days = q.days.unwrap_or(30);
    if !(1..=400).contains(&days) {
        return Err(ApiError::BadRequest("days must be 1-400".to_owned()));
    }
    let cache_key =
        (q.from.is_none() && q.to.is_none() && q.format.as_deref().unwrap_or("json") == "json")
            .then(|| {
                let who = caller.0.as_ref().map_or("", |s| s.username.as_str());
                let (view, avg) = (
                    q.view.as_deref().unwrap_or("raw"),
                    q.avg.as_deref().unwrap_or("hour"),
                );
                format!("series|{id}|{}|{days}|{view}|{avg}|{who}", p.hj212_code())
            });
    if let Some(v) = cache_key.as_deref().and_then(|k| st.cache.get(k, Lang::Zh)) {
        return Ok(Json(Value::clone(&v)).into_response());
    }
    let store = st.store.clone();
    let sid = id.clone();
    let station = blocking(move || Ok(store.station(&sid)?))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("station {id}")))?;
    if station.role == "township"
        && caller.0.as_ref().is_some_and(|s| s.role == "township")
        && !may_see(&caller, &station)
    {
        return Err(ApiError::Forbidden(
            "这不是本乡镇的站点 / not a station of your township".to_owned(),
        ));
    }
    let store = st.store.clone();
    let (to, from) = match (q.from, q.to) {
        (Some(f), Some(t)) if f < t && t - f <= 400 * DAY_S => (t, f),
        (Some(_), Some(_)) => {
            return Err(ApiError::BadRequest(
                "need from < to, at most 400 days apart".to_owned(),
            ));
        }
        _ => {
            let latest = blocking({
                let store = store.clone();
                let id = id.clone();
                move || Ok(store.latest_ts(&id, p.hj212_code(), Period::Hour)?)
            })
            .await?
            .unwrap_or(0);
            (latest + 3600, latest + 3600 - days * DAY_S)
        }
    };
    let avg = q.avg.clone().unwrap_or_else(|| "hour".to_owned());
    let (rows, columns): (Vec<Value>, &[&str]) = match avg.as_str() {
        "hour" => {
            let pts = blocking(move || {
                Ok(store.series(&id, p.hj212_code(), Period::Hour, from, to, view)?)
            })
            .await?;
            (pts.iter().map(|x| json!({ "ts": x.ts, "value": x.value, "flag": x.flag, "corrected": x.corrected })).collect(), &["ts", "value", "flag", "corrected"])
        }
        "day" => {
            let r = blocking(move || {
                Ok(store.daily_rollups(&id, p.hj212_code(), from - from.rem_euclid(DAY_S), to)?)
            })
            .await?;
            (r.iter().map(|x| json!({ "ts": x.ts, "value": x.mean, "n_observed": x.n_observed, "n_expected": x.n_expected, "valid": x.valid })).collect(), &["ts", "value", "n_observed", "n_expected", "valid"])
        }
        other => {
            return Err(ApiError::BadRequest(format!(
                "avg {other:?}: expected hour or day"
            )));
        }
    };
    if q.format.as_deref().unwrap_or("json") != "json" {
        return table(
            rows,
            columns,
            &TableQuery {
                format: q.format,
                ..TableQuery::default()
            },
            "series",
        );
    }
    let v = json!({ "station": station.id, "code": p.hj212_code(), "pollutant": p.name(), "unit": p.standard_unit().symbol(), "view": q.view.unwrap_or_else(|| "raw".into()), "avg": avg, "from": from, "to": to, "points": rows });
    if let Some(k) = &cache_key {
        st.cache.put(k, Lang::Zh, std::sync::Arc::new(v.clone()));
    }
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize)]
pub struct DailyQuery {
    /// `city`, `unit:{id}` or `station:{id}`.
    pub scope: Option<String>,
    pub days: Option<i64>,
    pub lang: Option<String>,
    pub format: Option<String>,
}

/// Daily AQI (日报) of the city, a unit or a station over the last `days` days.
pub async fn daily_aqi(
    State(st): State<AppState>,
    Query(q): Query<DailyQuery>,
) -> ApiResult<Response> {
    let days = q.days.unwrap_or(30);
    if !(1..=400).contains(&days) {
        return Err(ApiError::BadRequest("days must be 1-400".to_owned()));
    }
    let scope = q.scope.clone().unwrap_or_else(|| "city".to_owned());
    let l = lang(&q.lang);
    let first = today(&st).add_days(-(days - 1));
    let store = st.store.clone();
    let sc = scope.clone();
    let records = blocking(move || {
        let all = store.stations()?;
        let stations = match sc.strip_prefix("station:") {
            Some(id) => all.into_iter().filter(|s| s.id == id).collect(),
            None => analysis::scope_stations(&all, &sc),
        };
        if stations.is_empty() {
            return Err(ApiError::NotFound(format!("no stations in scope {sc}")));
        }
        analysis::scope_days(&store, &stations, first, days as usize, View::Audited)
    })
    .await?;
    let rows: Vec<Value> = records
        .iter()
        .map(|d| {
            let r = lantian_core::aqi::daily(&lantian_core::aqi::AqiOptions::for_date(d.date, RuleChoice::Auto), &d.aqi_inputs());
            let a = aqi_json(&r, l);
            json!({
                "date": d.date, "aqi": a["aqi"], "category": a["category"], "primary": r.primary.join(","), "rule_set": a["rule_set"],
                "pm25": d.values[Pollutant::Pm25.index()].is_finite().then(|| (d.values[Pollutant::Pm25.index()] * 10.0).round() / 10.0),
            })
        })
        .collect();
    table(
        rows,
        &["date", "aqi", "category", "primary", "pm25", "rule_set"],
        &TableQuery {
            format: q.format,
            per_page: Some(1000),
            page: Some(1),
        },
        "daily-aqi",
    )
}

#[derive(Debug, Deserialize)]
pub struct PeriodQuery {
    pub scope: Option<String>,
    pub year: Option<i32>,
    pub month: Option<u32>,
    pub rules: Option<String>,
    pub format: Option<String>,
}

fn rules(r: &Option<String>) -> ApiResult<RuleChoice> {
    Ok(match r.as_deref().unwrap_or("auto") {
        "auto" => RuleChoice::Auto,
        "2012" => RuleChoice::Era2012,
        "2026" => RuleChoice::Era2026,
        o => {
            return Err(ApiError::BadRequest(format!(
                "rules {o:?}: expected auto, 2012 or 2026"
            )));
        }
    })
}

fn span(st: &AppState, q: &PeriodQuery) -> ApiResult<(Date, usize)> {
    let year = q.year.unwrap_or_else(|| today(st).year());
    if q.month.is_some_and(|m| !(1..=12).contains(&m)) || !(2000..=2100).contains(&year) {
        return Err(ApiError::BadRequest(
            "year must be 2000-2100 and month 1-12".to_owned(),
        ));
    }
    analysis::period_span(year, q.month)
        .ok_or_else(|| ApiError::BadRequest("bad period".to_owned()))
}

/// Monthly or annual assessment of the city or of one administrative unit.
pub async fn assessment(
    State(st): State<AppState>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Json<Value>> {
    let (first, n) = span(&st, &q)?;
    let rc = rules(&q.rules)?;
    let scope = q.scope.clone().unwrap_or_else(|| "city".to_owned());
    let store = st.store.clone();
    let sc = scope.clone();
    let a = blocking(move || {
        let stations = analysis::scope_stations(&store.stations()?, &sc);
        analysis::assess_scope(&store, &stations, first, n, rc)
    })
    .await?;
    Ok(Json(
        json!({ "scope": scope, "first_day": first, "days": n, "assessment": a }),
    ))
}

/// Townships (and the development zone) ranked by composite index for a month or year.
pub async fn rankings(
    State(st): State<AppState>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Response> {
    let (first, n) = span(&st, &q)?;
    let rc = rules(&q.rules)?;
    let store = st.store.clone();
    let mut rows = blocking(move || {
        let stations = store.stations()?;
        let mut rows = Vec::new();
        for u in store.admin_units()?.iter().filter(|u| matches!(u.kind.as_str(), "town" | "township" | "zone")) {
            let mine = analysis::scope_stations(&stations, &format!("unit:{}", u.id));
            if mine.is_empty() {
                continue;
            }
            let Some(a) = analysis::assess_scope(&store, &mine, first, n, rc)? else { continue };
            rows.push(json!({
                "unit": u.id, "name_zh": u.name_zh, "name_en": u.name_en,
                "composite_index": a.composite.as_ref().map(|c| c.reported),
                "pm25": a.stats(Pollutant::Pm25).mean_reported, "pm10": a.stats(Pollutant::Pm10).mean_reported,
                "good_day_ratio": a.good_day_ratio.map(|r| (r * 1000.0).round() / 10.0),
                "valid_days": a.valid_days, "rule_set": a.rule_set.id(),
            }));
        }
        Ok(rows)
    })
    .await?;
    rows.sort_by(|a, b| {
        let k = |v: &Value| v["composite_index"].as_f64().unwrap_or(f64::INFINITY);
        k(a).total_cmp(&k(b))
    });
    let mut rank = 0;
    let mut prev = None;
    for (i, r) in rows.iter_mut().enumerate() {
        let ci = r["composite_index"].as_f64();
        if ci != prev {
            rank = i + 1;
            prev = ci;
        }
        r["rank"] = json!(rank);
    }
    table(
        rows,
        &[
            "rank",
            "unit",
            "name_zh",
            "name_en",
            "composite_index",
            "pm25",
            "pm10",
            "good_day_ratio",
            "valid_days",
            "rule_set",
        ],
        &TableQuery {
            format: q.format,
            per_page: Some(1000),
            page: Some(1),
        },
        "rankings",
    )
}

/// This year's PM2.5 against the target, and the highest mean the rest of the year may have.
pub async fn targets(State(st): State<AppState>) -> ApiResult<Json<Value>> {
    let t = today(&st);
    let target = st.config.target_pm25_ug_m3;
    let store = st.store.clone();
    let first = Date::new(t.year(), 1, 1).unwrap_or(t);
    let n_so_far = (t.days_since_epoch() - first.days_since_epoch() + 1) as usize;
    let a = blocking(move || {
        let stations = analysis::scope_stations(&store.stations()?, "city");
        analysis::assess_scope(&store, &stations, first, n_so_far, RuleChoice::Auto)
    })
    .await?;
    let days_in_year = lantian_core::date::days_in_year(t.year());
    let remaining = days_in_year - n_so_far as u32;
    let (mean, valid, heavy) = match &a {
        Some(a) => {
            let s = a.stats(Pollutant::Pm25);
            (
                s.mean,
                s.n_valid_days - s.n_deducted_days,
                a.heavy_or_worse_days,
            )
        }
        None => (None, 0, 0),
    };
    let allowed = mean.map(|m| still_allowed(target, m, valid, remaining, TargetReading::Exact));
    Ok(Json(json!({
        "year": t.year(), "today": t, "target_pm25": target, "pm25_mean_so_far": mean.map(|m| (m * 10.0).round() / 10.0),
        "valid_days": valid, "days_remaining": remaining, "allowed": allowed, "heavy_or_worse_days": heavy,
        "rule_set": a.as_ref().map(|a| a.rule_set.id()),
    })))
}

pub async fn audit_log(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<TableQuery>,
) -> ApiResult<Response> {
    caller.require_role(&["admin", "bureau"])?;
    let store = st.store.clone();
    let ev = blocking(move || Ok(store.audit_events(10_000)?)).await?;
    let rows: Vec<Value> = ev
        .iter()
        .map(|e| serde_json::to_value(e).unwrap_or(Value::Null))
        .collect();
    table(
        rows,
        &["id", "at_ms", "actor", "action", "object", "detail"],
        &q,
        "audit",
    )
}

#[derive(Debug, Deserialize)]
pub struct Login {
    pub username: String,
    pub password: String,
}

pub async fn login(
    State(st): State<AppState>,
    headers: HeaderMap,
    Json(b): Json<Login>,
) -> ApiResult<Response> {
    if b.username.len() > 64 || b.password.len() > 256 {
        return Err(ApiError::BadRequest(
            "user name or password too long".to_owned(),
        ));
    }
    let peer = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("local")
        .to_owned();
    let key = format!("{}|{peer}", b.username);
    st.sessions.check_rate(&key)?;
    let store = st.store.clone();
    let (user, pw) = (b.username.clone(), b.password.clone());
    let found = blocking(move || {
        let u = store.user(&user)?;
        Ok(u.filter(|u| password::verify(&pw, &u.password_hash)))
    })
    .await?;
    let Some(u) = found else {
        st.sessions.failed(&key);
        let store = st.store.clone();
        let name = b.username.clone();
        let _ =
            blocking(move || Ok(store.audit(now_ms(), &name, "login.failed", "session", "")?))
                .await;
        return Err(ApiError::Forbidden(
            "用户名或密码错误 / wrong user name or password".to_owned(),
        ));
    };
    st.sessions.succeeded(&key);
    let session = Session {
        username: u.username.clone(),
        role: u.role.clone(),
        unit_id: u.unit_id.clone(),
        csrf: password::random(32),
        expires: Instant::now() + auth::SESSION_TTL,
        must_change_password: u.must_change_password,
    };
    let token = st.sessions.create(session.clone());
    let store = st.store.clone();
    let name = u.username.clone();
    let _ = blocking(move || Ok(store.audit(now_ms(), &name, "login", "session", "")?)).await;
    Ok((
        [(header::SET_COOKIE, auth::cookie(&token))],
        Json(json!({ "user": session })),
    )
        .into_response())
}

pub async fn logout(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> ApiResult<Response> {
    caller.require()?;
    if let Some(t) = auth::token(&headers) {
        st.sessions.remove(&t);
    }
    Ok((
        [(header::SET_COOKIE, auth::expired_cookie())],
        Json(json!({ "ok": true })),
    )
        .into_response())
}

pub async fn me(caller: Caller) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "user": caller.require()? })))
}

#[derive(Debug, Deserialize)]
pub struct ChangePassword {
    pub old: String,
    pub new: String,
}

pub async fn change_password(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Json(b): Json<ChangePassword>,
) -> ApiResult<Json<Value>> {
    let name = caller.require()?.username.clone();
    if b.new.chars().count() < 10 || b.new.len() > 256 {
        return Err(ApiError::BadRequest(
            "新密码至少 10 个字符 / the new password needs at least 10 characters".to_owned(),
        ));
    }
    let store = st.store.clone();
    let n = name.clone();
    blocking(move || {
        let u = store
            .user(&n)?
            .ok_or_else(|| ApiError::NotFound(format!("user {n}")))?;
        if !password::verify(&b.old, &u.password_hash) {
            return Err(ApiError::Forbidden(
                "旧密码错误 / wrong current password".to_owned(),
            ));
        }
        store.set_password(&n, &password::hash(&b.new, password::Strength::User))?;
        store.audit(now_ms(), &n, "password.change", &n, "")?;
        Ok(())
    })
    .await?;
    if let Some(t) = auth::token(&headers) {
        st.sessions.clear_password_flag(&t);
    }
    Ok(Json(json!({ "ok": true })))
}

#[derive(Debug, Deserialize)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    pub role: String,
    pub unit: Option<String>,
}

pub async fn create_user(
    State(st): State<AppState>,
    caller: Caller,
    Json(b): Json<NewUser>,
) -> ApiResult<Json<Value>> {
    let admin = caller.require_role(&["admin"])?.username.clone();
    if !auth::ROLES.contains(&b.role.as_str()) {
        return Err(ApiError::BadRequest(format!(
            "role {:?}: expected one of {}",
            b.role,
            auth::ROLES.join(", ")
        )));
    }
    if b.username.trim().is_empty() || b.username.len() > 64 || b.password.chars().count() < 10 {
        return Err(ApiError::BadRequest(
            "user name 1-64 characters, password at least 10".to_owned(),
        ));
    }
    let store = st.store.clone();
    let name = b.username.clone();
    blocking(move || {
        store.add_user(&lantian_store::User {
            username: b.username.clone(),
            password_hash: password::hash(&b.password, password::Strength::User),
            role: b.role,
            unit_id: b.unit,
            must_change_password: true,
            created_ms: now_ms(),
        })?;
        store.audit(now_ms(), &admin, "user.create", &b.username, "")?;
        Ok(())
    })
    .await?;
    Ok(Json(json!({ "ok": true, "username": name })))
}
