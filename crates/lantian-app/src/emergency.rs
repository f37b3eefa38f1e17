//! Heavy-pollution warnings (plan §7): a forecast read and judged under the warning plan's
//! edition, the workflow propose → issue (sign-off) → adjust → lift, regional orders and
//! their answers, every step timed, audited and notified to the listed enterprises and the
//! responsible units, whose receipts are kept.

use crate::caller::policy;
use crate::error::{AppError, AppResult};
use crate::{App, Caller};
use lantian_core::warning::{self, Edition, EventKind, Forecast, Level, Origin, State};
use lantian_core::{Date, cst};
use lantian_store::{Notification, Page, Paged, Warning, WarningEvent};
use serde::{Deserialize, Serialize};

/// The most hours a forecast may cover (a forecast of 15 days).
pub const FORECAST_HOURS_MAX: usize = 15 * 24;
/// The highest AQI there is.
const AQI_MAX: f64 = 500.0;

/// A forecast as it is handed over: daily values (`date,aqi`, consecutive days) or hourly
/// values (`time,aqi`, the rolling 24-hour AQI labelled by the hour's end, consecutive
/// hours).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ForecastInput {
    #[serde(default)]
    pub daily: Vec<DailyValue>,
    #[serde(default)]
    pub hourly: Vec<HourlyValue>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DailyValue {
    pub date: String,
    pub aqi: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HourlyValue {
    /// The hour's label, its end, Beijing time: `2026-12-01 01:00` is the hour from 00:00.
    pub time: String,
    pub aqi: f64,
}

fn bad(msg: String) -> AppError {
    AppError::BadRequest(msg)
}

fn check_aqi(v: f64, at: &str) -> AppResult<f64> {
    if v.is_finite() && (0.0..=AQI_MAX).contains(&v) {
        Ok(v)
    } else {
        Err(bad(format!(
            "{at}：AQI 须在 0–500 之间，实为 {v} / {at}: the AQI must be 0–500, got {v}"
        )))
    }
}

impl ForecastInput {
    /// Reads a CSV (`date,aqi` or `time,aqi` with a header), daily or hourly by its header.
    pub fn from_csv(bytes: &[u8]) -> AppResult<ForecastInput> {
        let mut r = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(bytes);
        let header = r
            .headers()
            .map_err(|e| {
                bad(format!(
                    "预报文件无法读取 / the forecast cannot be read: {e}"
                ))
            })?
            .clone();
        let first = header
            .get(0)
            .unwrap_or("")
            .trim_start_matches('\u{feff}')
            .to_ascii_lowercase();
        let hourly = match first.as_str() {
            "date" | "日期" => false,
            "time" | "时间" => true,
            _ => {
                return Err(bad(format!(
                    "预报文件第 1 行须为 date,aqi 或 time,aqi，实为 {first:?} / line 1 must be date,aqi or time,aqi, got {first:?}"
                )));
            }
        };
        let mut out = ForecastInput::default();
        for (i, rec) in r.records().enumerate() {
            let line = i + 2;
            let rec = rec.map_err(|e| bad(format!("第 {line} 行 / line {line}: {e}")))?;
            let (Some(t), Some(v)) = (rec.get(0), rec.get(1)) else {
                return Err(bad(format!(
                    "第 {line} 行缺少数值 / line {line}: two columns expected"
                )));
            };
            let aqi: f64 = v.parse().map_err(|_| {
                bad(format!(
                    "第 {line} 行 AQI {v:?} 不是数字 / line {line}: AQI {v:?} is not a number"
                ))
            })?;
            if hourly {
                out.hourly.push(HourlyValue {
                    time: t.to_owned(),
                    aqi,
                });
            } else {
                out.daily.push(DailyValue {
                    date: t.to_owned(),
                    aqi,
                });
            }
        }
        Ok(out)
    }

    /// The forecast as the rules read it; errors name the row and why.
    pub fn forecast(&self) -> AppResult<Forecast> {
        let n = self.daily.len() * 24 + self.hourly.len();
        if n == 0 {
            return Err(bad("预报为空 / the forecast is empty".into()));
        }
        if !self.daily.is_empty() && !self.hourly.is_empty() {
            return Err(bad(
                "预报须为逐日或逐时之一 / a forecast is daily or hourly, not both".into(),
            ));
        }
        if n > FORECAST_HOURS_MAX {
            return Err(bad(format!(
                "预报最长 15 天 / a forecast covers at most 15 days ({n} hours given)"
            )));
        }
        if let Some(first) = self.daily.first() {
            let first_day = parse_date(&first.date, 1)?;
            let mut values = Vec::new();
            for (i, d) in self.daily.iter().enumerate() {
                let day = parse_date(&d.date, i + 1)?;
                if day != first_day.add_days(i as i64) {
                    return Err(bad(format!(
                        "第 {} 行日期 {} 不连续（应为 {}）/ row {}: {} is not the next day ({} expected)",
                        i + 1,
                        d.date,
                        first_day.add_days(i as i64),
                        i + 1,
                        d.date,
                        first_day.add_days(i as i64)
                    )));
                }
                values.push(Some(check_aqi(
                    d.aqi,
                    &format!("第 {} 行 / row {}", i + 1, i + 1),
                )?));
            }
            return Ok(Forecast::daily(first_day, &values));
        }
        let label = |i: usize, t: &str| -> AppResult<i64> {
            cst::parse_minute(t)
                .filter(|s| s % cst::HOUR_S == 0)
                .ok_or_else(|| {
                    bad(format!(
                        "第 {i} 行时间 {t:?} 须为整点 YYYY-MM-DD HH:00（北京时间）/ row {i}: time {t:?} must be a whole hour, YYYY-MM-DD HH:00 Beijing time"
                    ))
                })
        };
        let start = label(1, &self.hourly[0].time)? - cst::HOUR_S;
        let mut values = Vec::new();
        for (i, h) in self.hourly.iter().enumerate() {
            let t = label(i + 1, &h.time)?;
            if t != start + (i as i64 + 1) * cst::HOUR_S {
                return Err(bad(format!(
                    "第 {} 行时间 {} 不连续 / row {}: {} is not the next hour",
                    i + 1,
                    h.time,
                    i + 1,
                    h.time
                )));
            }
            values.push(Some(check_aqi(
                h.aqi,
                &format!("第 {} 行 / row {}", i + 1, i + 1),
            )?));
        }
        Ok(Forecast {
            start,
            hourly: values,
        })
    }
}

fn parse_date(text: &str, row: usize) -> AppResult<Date> {
    Date::parse(text).ok_or_else(|| {
        bad(format!(
            "第 {row} 行日期 {text:?} 须为 YYYY-MM-DD / row {row}: date {text:?} must be YYYY-MM-DD"
        ))
    })
}

/// The edition to judge `forecast` by: the one named, the county's, or the one in force on
/// its first day.
pub fn edition(
    app: Option<&App>,
    name: Option<&str>,
    forecast: &Forecast,
) -> AppResult<&'static Edition> {
    let name = name.or(app.and_then(|a| a.county.profile.emergency.edition.as_deref()));
    match name {
        Some(n) => warning::edition_named(n).ok_or_else(|| {
            let known: Vec<&str> = warning::EDITIONS.iter().map(|e| e.id).collect();
            bad(format!(
                "未知的预案版本 {n:?}（可用：{}，或年份）/ unknown edition {n:?} (known: {}, or a year)",
                known.join("、"),
                known.join(", ")
            ))
        }),
        None => Ok(warning::edition_for(cst::date_of(forecast.start))),
    }
}

/// What a forecast proposes, as shown: days for a daily forecast, hours otherwise.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProposalView {
    /// `none`, `yellow`, `orange` or `red`.
    pub level: &'static str,
    pub level_zh: &'static str,
    /// The first and last day that meet it (YYYY-MM-DD).
    pub start: Option<String>,
    pub end: Option<String>,
    /// The first and last hour that meet it, Beijing time (the hours' starts).
    pub first_hour: Option<String>,
    pub last_hour: Option<String>,
    pub rule: String,
    pub rule_en: String,
    pub edition: &'static str,
    pub edition_zh: &'static str,
    /// From when the forecast would let a warning be lifted (more than the edition's hours
    /// at or below its lifting AQI after the episode), Beijing time.
    pub lift_from: Option<String>,
}

/// Judges a forecast: the highest level it meets, the rule that fired, and when it would
/// let the warning be lifted.
pub fn propose(edition: &'static Edition, f: &Forecast) -> ProposalView {
    let p = warning::propose(edition, f);
    let after = p.last_hour.map_or(f.start, |h| h + cst::HOUR_S);
    ProposalView {
        level: p.level.map_or("none", Level::as_str),
        level_zh: p.level.map_or("无", Level::name_zh),
        start: p.first_hour.map(|h| cst::date_of(h).to_string()),
        end: p.last_hour.map(|h| cst::date_of(h).to_string()),
        first_hour: p.first_hour.map(cst::format_minute),
        last_hour: p.last_hour.map(cst::format_minute),
        rule: p.rule_zh,
        rule_en: p.rule_en,
        edition: edition.id,
        edition_zh: edition.name_zh,
        lift_from: warning::lift_from(edition, f, after).map(cst::format_minute),
    }
}

/// A warning as shown, with its times in Beijing time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WarningView {
    #[serde(flatten)]
    pub warning: Warning,
    pub level_zh: &'static str,
    pub response_zh: &'static str,
    pub state_zh: &'static str,
    pub issued_at: Option<String>,
    pub lifted_at: Option<String>,
    pub first_hour_at: Option<String>,
    pub last_hour_at: Option<String>,
    /// What the caller may do to it now.
    pub allowed: Vec<policy::WarningAct>,
}

fn state_zh(s: State) -> &'static str {
    match s {
        State::Proposed => "待签发",
        State::InForce => "生效中",
        State::Lifted => "已解除",
        State::Withdrawn => "已撤回",
    }
}

fn view(caller: &Caller, w: Warning) -> WarningView {
    WarningView {
        level_zh: w.level.name_zh(),
        response_zh: w.level.response_zh(),
        state_zh: state_zh(w.state),
        issued_at: w.issued_ts.map(cst::format_minute),
        lifted_at: w.lifted_ts.map(cst::format_minute),
        first_hour_at: w.first_hour.map(cst::format_minute),
        last_hour_at: w.last_hour.map(cst::format_minute),
        allowed: policy::warning_acts(caller, w.state),
        warning: w,
    }
}

/// A step of the timeline, as shown.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventView {
    #[serde(flatten)]
    pub event: WarningEvent,
    pub kind_zh: &'static str,
    pub level_zh: Option<&'static str>,
    /// When it was recorded and when it takes effect, Beijing time.
    pub at: String,
    pub effective_at: Option<String>,
}

/// A notice with its receipt, as shown.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NoticeView {
    #[serde(flatten)]
    pub notice: Notification,
    pub recipient_name: String,
    /// The step it announces.
    pub kind: Option<EventKind>,
    pub kind_zh: Option<&'static str>,
    pub level: Option<Level>,
    pub sent_at: String,
    pub read_at: Option<String>,
    pub confirmed_at: Option<String>,
}

/// A warning with its timeline and notices.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WarningDetail {
    pub warning: WarningView,
    pub events: Vec<EventView>,
    /// Every notice with its receipt (who sees the warning's workflow), else none.
    pub notices: Vec<NoticeView>,
}

fn event_view(e: WarningEvent) -> EventView {
    EventView {
        kind_zh: e.kind.name_zh(),
        level_zh: e.level.map(Level::name_zh),
        at: cst::format_minute(e.ts),
        effective_at: e.effective_ts.map(cst::format_minute),
        event: e,
    }
}

/// The warnings the caller sees, newest first: the public sees those issued (in force or
/// lifted), accounts every one.
pub fn list(app: &App, caller: &Caller) -> AppResult<Vec<WarningView>> {
    Ok(app
        .store
        .warnings()?
        .into_iter()
        .filter(|w| policy::sees_warning(caller, w.state))
        .map(|w| view(caller, w))
        .collect())
}

fn load(app: &App, caller: &Caller, id: i64) -> AppResult<Warning> {
    app.store
        .warning(id)?
        .filter(|w| policy::sees_warning(caller, w.state))
        .ok_or_else(|| AppError::NotFound(format!("预警 {id} 不存在 / no warning {id}")))
}

/// A warning with its timeline; the notices and receipts for those who run the workflow.
pub fn get(app: &App, caller: &Caller, id: i64) -> AppResult<WarningDetail> {
    let w = load(app, caller, id)?;
    let events = app.store.warning_events(id)?;
    let notices = if policy::sees_receipts(caller) {
        notice_views(app, &events, app.store.notifications(Some(id), None)?)?
    } else {
        Vec::new()
    };
    Ok(WarningDetail {
        warning: view(caller, w),
        events: events.into_iter().map(event_view).collect(),
        notices,
    })
}

fn notice_views(
    app: &App,
    events: &[WarningEvent],
    notices: Vec<Notification>,
) -> AppResult<Vec<NoticeView>> {
    let enterprises = app.store.enterprises()?;
    let units = app.store.admin_units()?;
    let name = |id: &str| {
        enterprises
            .iter()
            .find(|e| e.id == id)
            .map(|e| e.name.clone())
            .or_else(|| units.iter().find(|u| u.id == id).map(|u| u.name_zh.clone()))
            .unwrap_or_else(|| id.to_owned())
    };
    Ok(notices
        .into_iter()
        .map(|n| {
            let e = events
                .iter()
                .find(|e| e.warning_id == n.warning_id && e.seq == n.event_seq);
            NoticeView {
                recipient_name: name(&n.recipient),
                kind: e.map(|e| e.kind),
                kind_zh: e.map(|e| e.kind.name_zh()),
                level: e.and_then(|e| e.level),
                sent_at: cst::format_minute(n.sent_ts),
                read_at: n.read_ts.map(cst::format_minute),
                confirmed_at: n.confirmed_ts.map(cst::format_minute),
                notice: n,
            }
        })
        .collect())
}

/// The level in effect at `ts` by the timeline's issues, orders and adjustments.
pub fn level_at(events: &[WarningEvent], ts: i64) -> Option<Level> {
    events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Issued | EventKind::Adjusted | EventKind::RegionalOrder
            )
        })
        .filter(|e| e.effective_ts.unwrap_or(e.ts) <= ts)
        .max_by_key(|e| (e.effective_ts.unwrap_or(e.ts), e.seq))
        .and_then(|e| e.level)
}

/// A request to store a proposal from a forecast.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ProposeRequest {
    #[serde(flatten)]
    pub forecast: ForecastInput,
    pub edition: Option<String>,
    /// Store the proposal as a warning awaiting sign-off (when it meets a level).
    #[serde(default)]
    pub save: bool,
}

/// What a forecast proposes and, when asked and a level is met, the stored proposal.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Proposed {
    pub proposal: ProposalView,
    pub warning: Option<WarningView>,
}

/// Judges a forecast; with `save`, stores what it proposes as a warning to sign off.
pub fn propose_from(app: &App, caller: &Caller, req: &ProposeRequest) -> AppResult<Proposed> {
    let f = req.forecast.forecast()?;
    let ed = edition(Some(app), req.edition.as_deref(), &f)?;
    let proposal = propose(ed, &f);
    if !req.save {
        return Ok(Proposed {
            proposal,
            warning: None,
        });
    }
    let who = app.allow(
        caller,
        "warning.propose",
        "warning",
        policy::warning(caller, policy::WarningAct::Propose),
    )?;
    let p = warning::propose(ed, &f);
    let Some(level) = p.level else {
        return Ok(Proposed {
            proposal,
            warning: None,
        });
    };
    let now = app.clock.now_cst();
    let mut w = Warning {
        id: 0,
        state: State::Proposed,
        level,
        origin: Origin::Local,
        edition: ed.id.to_owned(),
        rule_zh: p.rule_zh,
        rule_en: p.rule_en,
        forecast: f,
        first_hour: p.first_hour,
        last_hour: p.last_hour,
        issued_ts: None,
        lifted_ts: None,
        doc_no: None,
        created_ts: now,
    };
    let first = step(
        0,
        now,
        EventKind::Proposed,
        Some(level),
        &who,
        None,
        &proposal.rule,
    );
    // The warning's id is known only once it is stored: the audit row names the edition.
    w.id = app.audited(caller, "warning.propose", "warning", level.as_str(), || {
        Ok(app.store.insert_warning(&w, &first)?)
    })?;
    Ok(Proposed {
        proposal,
        warning: Some(view(caller, w)),
    })
}

fn step(
    warning_id: i64,
    ts: i64,
    kind: EventKind,
    level: Option<Level>,
    actor: &str,
    doc_no: Option<String>,
    note: &str,
) -> WarningEvent {
    WarningEvent {
        warning_id,
        seq: 0,
        ts,
        effective_ts: None,
        kind,
        level,
        actor: actor.to_owned(),
        doc_no,
        note: note.to_owned(),
    }
}

/// A step of the workflow as asked.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct StepRequest {
    /// The document number (文号) of the issue, adjustment, lift, order or answer.
    pub doc_no: Option<String>,
    /// The new level (adjust, regional order).
    pub level: Option<Level>,
    /// When it takes effect, Beijing time `YYYY-MM-DD HH:MM` (default: now).
    pub at: Option<String>,
    #[serde(default)]
    pub note: String,
    /// For a lift: the latest forecast, which must meet the lifting rule.
    pub forecast: Option<ForecastInput>,
}

fn doc_no(req: &StepRequest) -> AppResult<String> {
    req.doc_no
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty() && d.chars().count() <= 64)
        .map(str::to_owned)
        .ok_or_else(|| {
            bad(
                "须填写文号（最长 64 字）/ a document number (at most 64 characters) is required"
                    .into(),
            )
        })
}

fn at(app: &App, req: &StepRequest) -> AppResult<i64> {
    match &req.at {
        None => Ok(app.clock.now_cst()),
        Some(t) => cst::parse_minute(t).ok_or_else(|| {
            bad(format!(
                "时间 {t:?} 须为 YYYY-MM-DD HH:MM（北京时间）/ time {t:?} must be YYYY-MM-DD HH:MM Beijing time"
            ))
        }),
    }
}

fn conflict(w: &Warning, what: &str) -> AppError {
    AppError::Conflict(format!(
        "预警 {} 当前为“{}”，不能{what} / warning {} is {}",
        w.id,
        state_zh(w.state),
        w.id,
        w.state
    ))
}

/// Who hears of a warning's steps: every enterprise on the reduction list, the townships
/// they lie in, and the county's departments.
fn recipients(app: &App) -> AppResult<Vec<String>> {
    let listed = app.store.reduction_measures(None)?;
    let enterprises = app.store.enterprises()?;
    let mut out: Vec<String> = listed.iter().map(|m| m.enterprise_id.clone()).collect();
    out.extend(
        enterprises
            .iter()
            .filter(|e| listed.iter().any(|m| m.enterprise_id == e.id))
            .filter_map(|e| e.admin_unit_id.clone()),
    );
    out.extend(app.county.departments.iter().map(|d| d.name_zh.clone()));
    out.sort();
    out.dedup();
    Ok(out)
}

/// Records a step that changes the warning, notifying everyone when it is one they act on.
fn record(
    app: &App,
    caller: &Caller,
    w: &Warning,
    e: WarningEvent,
    notify: bool,
) -> AppResult<WarningEvent> {
    let notices: Vec<Notification> = if notify {
        recipients(app)?
            .into_iter()
            .map(|r| Notification {
                warning_id: w.id,
                event_seq: 0,
                recipient: r,
                channel: "app".into(),
                sent_ts: e.ts,
                read_ts: None,
                confirmed_ts: None,
                confirmed_by: None,
            })
            .collect()
    } else {
        Vec::new()
    };
    let detail = format!(
        "{} {}",
        e.level.map_or("", Level::as_str),
        e.doc_no.as_deref().unwrap_or("")
    );
    let seq = app.audited(
        caller,
        &format!("warning.{}", e.kind),
        &w.id.to_string(),
        &detail,
        || Ok(app.store.record_warning_step(w, &e, &notices)?),
    )?;
    Ok(WarningEvent { seq, ..e })
}

/// The signer (the command) and warning `id`, when it is in `state`; else why not `what`.
fn signed(
    app: &App,
    caller: &Caller,
    id: i64,
    state: State,
    what: &str,
) -> AppResult<(String, Warning)> {
    let who = app.allow(
        caller,
        "warning.sign_off",
        &id.to_string(),
        policy::warning(caller, policy::WarningAct::SignOff),
    )?;
    let w = load(app, caller, id)?;
    if w.state != state {
        return Err(conflict(&w, what));
    }
    Ok((who, w))
}

/// Signs off a proposal: the warning is in force from `at` (default now) at its level (or
/// the level given).
pub fn issue(app: &App, caller: &Caller, id: i64, req: &StepRequest) -> AppResult<WarningView> {
    let (who, mut w) = signed(app, caller, id, State::Proposed, "签发 / be issued")?;
    let doc = doc_no(req)?;
    let from = at(app, req)?;
    if let Some(l) = req.level {
        w.level = l;
    }
    w.state = State::InForce;
    w.issued_ts = Some(from);
    w.doc_no = Some(doc.clone());
    let e = WarningEvent {
        effective_ts: Some(from),
        ..step(
            id,
            app.clock.now_cst(),
            EventKind::Issued,
            Some(w.level),
            &who,
            Some(doc),
            &req.note,
        )
    };
    record(app, caller, &w, e, true)?;
    Ok(view(caller, w))
}

/// Changes the level of a warning in force (sign-off).
pub fn adjust(app: &App, caller: &Caller, id: i64, req: &StepRequest) -> AppResult<WarningView> {
    let (who, mut w) = signed(app, caller, id, State::InForce, "调整级别 / be adjusted")?;
    let level = req
        .level
        .ok_or_else(|| bad("须给出新的预警级别 / the new level is required".into()))?;
    if level == w.level {
        return Err(bad(format!(
            "预警已是{}级别 / the warning is already {level}",
            level.name_zh()
        )));
    }
    let doc = doc_no(req)?;
    let from = at(app, req)?;
    w.level = level;
    let e = WarningEvent {
        effective_ts: Some(from),
        ..step(
            id,
            app.clock.now_cst(),
            EventKind::Adjusted,
            Some(level),
            &who,
            Some(doc),
            &req.note,
        )
    };
    record(app, caller, &w, e, true)?;
    Ok(view(caller, w))
}

/// Lifts a warning in force (sign-off). With a forecast, it must meet the edition's lifting
/// rule (more than 36 h at or below AQI 150 under the 2024 edition).
pub fn lift(app: &App, caller: &Caller, id: i64, req: &StepRequest) -> AppResult<WarningView> {
    let (who, mut w) = signed(app, caller, id, State::InForce, "解除 / be lifted")?;
    let doc = doc_no(req)?;
    let until = at(app, req)?;
    if let Some(f) = &req.forecast {
        let f = f.forecast()?;
        let ed = warning::edition_named(&w.edition).unwrap_or(&warning::HEBEI_2024);
        let from = warning::lift_from(ed, &f, f.start);
        if from.is_none_or(|t| t > until) {
            return Err(AppError::Conflict(format!(
                "预报未满足解除条件（AQI≤{} 持续超过 {} 小时）/ the forecast does not meet the lifting rule (AQI ≤ {} for more than {} h)",
                ed.lift_at_or_below_aqi,
                ed.lift_hours_more_than,
                ed.lift_at_or_below_aqi,
                ed.lift_hours_more_than
            )));
        }
    }
    if w.issued_ts.is_some_and(|t| until < t) {
        return Err(bad(
            "解除时间早于发布时间 / lifted before it was issued".into()
        ));
    }
    w.state = State::Lifted;
    w.lifted_ts = Some(until);
    let e = WarningEvent {
        effective_ts: Some(until),
        ..step(
            id,
            app.clock.now_cst(),
            EventKind::Lifted,
            Some(w.level),
            &who,
            Some(doc),
            &req.note,
        )
    };
    record(app, caller, &w, e, true)?;
    Ok(view(caller, w))
}

/// Withdraws a proposal that will not be issued.
pub fn withdraw(app: &App, caller: &Caller, id: i64, req: &StepRequest) -> AppResult<WarningView> {
    let (who, mut w) = signed(app, caller, id, State::Proposed, "撤回 / be withdrawn")?;
    w.state = State::Withdrawn;
    record(
        app,
        caller,
        &w,
        step(
            id,
            app.clock.now_cst(),
            EventKind::Withdrawn,
            None,
            &who,
            None,
            &req.note,
        ),
        false,
    )?;
    Ok(view(caller, w))
}

/// A regional order of the provincial office received: it sets the level directly, on the
/// warning in force (adjusted) or as a new warning in force from `at`.
pub fn regional_order(app: &App, caller: &Caller, req: &StepRequest) -> AppResult<WarningView> {
    let who = app.allow(
        caller,
        "warning.regional_order",
        "warning",
        policy::warning(caller, policy::WarningAct::Order),
    )?;
    let level = req
        .level
        .ok_or_else(|| bad("须给出区域预警级别 / the ordered level is required".into()))?;
    let doc = doc_no(req)?;
    let from = at(app, req)?;
    let now = app.clock.now_cst();
    let current = app
        .store
        .warnings()?
        .into_iter()
        .find(|w| w.state == State::InForce);
    let mut e = step(
        0,
        now,
        EventKind::RegionalOrder,
        Some(level),
        &who,
        Some(doc.clone()),
        &req.note,
    );
    e.effective_ts = Some(from);
    let w =
        match current {
            Some(mut w) => {
                w.level = level;
                e.warning_id = w.id;
                record(app, caller, &w, e, true)?;
                w
            }
            None => {
                let mut w =
                    Warning {
                        id: 0,
                        state: State::Proposed,
                        level,
                        origin: Origin::Regional,
                        edition: app.county.profile.emergency.edition.clone().unwrap_or_else(
                            || warning::edition_for(cst::date_of(from)).id.to_owned(),
                        ),
                        rule_zh: format!("区域预警指令 {doc}"),
                        rule_en: format!("regional order {doc}"),
                        forecast: Forecast::default(),
                        first_hour: None,
                        last_hour: None,
                        issued_ts: None,
                        lifted_ts: None,
                        doc_no: None,
                        created_ts: now,
                    };
                let first = step(
                    0,
                    now,
                    EventKind::Proposed,
                    Some(level),
                    &who,
                    None,
                    &w.rule_zh,
                );
                w.id = app.audited(caller, "warning.propose", "warning", &w.rule_zh, || {
                    Ok(app.store.insert_warning(&w, &first)?)
                })?;
                w.state = State::InForce;
                w.issued_ts = Some(from);
                w.doc_no = Some(doc);
                e.warning_id = w.id;
                record(app, caller, &w, e, true)?;
                w
            }
        };
    Ok(view(caller, w))
}

/// The city's answer to a regional order (its response document).
pub fn answer(app: &App, caller: &Caller, id: i64, req: &StepRequest) -> AppResult<WarningView> {
    let who = app.allow(
        caller,
        "warning.answer",
        &id.to_string(),
        policy::warning(caller, policy::WarningAct::Order),
    )?;
    let w = load(app, caller, id)?;
    let events = app.store.warning_events(id)?;
    if !events.iter().any(|e| e.kind == EventKind::RegionalOrder) {
        return Err(AppError::Conflict(format!(
            "预警 {id} 没有区域指令可回复 / warning {id} has no regional order to answer"
        )));
    }
    let doc = doc_no(req)?;
    record(
        app,
        caller,
        &w,
        step(
            id,
            app.clock.now_cst(),
            EventKind::Answered,
            None,
            &who,
            Some(doc),
            &req.note,
        ),
        false,
    )?;
    Ok(view(caller, w))
}

/// The notices addressed to the caller's unit (an enterprise, a township, a department),
/// newest first; reading them records that they were read.
pub fn my_notices(app: &App, caller: &Caller) -> AppResult<Vec<NoticeView>> {
    Ok(my_notices_page(app, caller, Page::ALL)?.items)
}

/// A page of the notices to the caller's unit, newest warning and step first, and how many
/// there are; reading them records the receipt of the page's notices only.
pub fn my_notices_page(app: &App, caller: &Caller, page: Page) -> AppResult<Paged<NoticeView>> {
    let a = caller.require()?;
    let Some(unit) = a.unit_id.as_deref() else {
        return Ok(Paged {
            items: Vec::new(),
            total: 0,
        });
    };
    let Paged {
        items: notices,
        total,
    } = Paged::cut(app.store.notifications(None, Some(unit))?, page);
    let now = app.clock.now_cst();
    let mut out = Vec::new();
    let mut ids: Vec<i64> = notices.iter().map(|n| n.warning_id).collect();
    ids.dedup();
    for id in ids {
        let events = app.store.warning_events(id)?;
        let mine: Vec<Notification> = notices
            .iter()
            .filter(|n| n.warning_id == id)
            .cloned()
            .collect();
        for n in &mine {
            if n.read_ts.is_none() {
                app.store
                    .receipt(n.warning_id, n.event_seq, unit, now, None)?;
            }
        }
        let fresh: Vec<Notification> = mine
            .into_iter()
            .map(|n| Notification {
                read_ts: n.read_ts.or(Some(now)),
                ..n
            })
            .collect();
        out.extend(notice_views(app, &events, fresh)?);
    }
    Ok(Paged { items: out, total })
}

/// Confirms a notice addressed to the caller's unit (签收).
pub fn confirm(app: &App, caller: &Caller, warning_id: i64, event_seq: i64) -> AppResult<()> {
    let a = caller.require()?;
    let object = format!("{warning_id}/{event_seq}");
    let unit = app.allow(
        caller,
        "warning.confirm",
        &object,
        a.unit_id.as_deref().ok_or_else(|| {
            AppError::Forbidden("账号不属于任何单位 / the account has no unit".into())
        }),
    )?;
    app.audited(caller, "warning.confirm", &object, unit, || {
        let now = app.clock.now_cst();
        if app
            .store
            .receipt(warning_id, event_seq, unit, now, Some(&a.username))?
        {
            Ok(())
        } else {
            // Nothing to confirm: no audit row either.
            Err(AppError::NotFound(format!(
                "没有发给本单位的通知 {warning_id}/{event_seq} / no notice {warning_id}/{event_seq} to your unit"
            )))
        }
    })
}
