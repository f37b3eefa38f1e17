//! Alerts pushed to people (issue 17; docs/ui.md, "Alerts"): the bureau's rules and webhook
//! channels, the rules evaluated over the store (`lantian_core::alerts` decides what fires),
//! the in-app inbox, and deliveries to WeCom (企业微信) and DingTalk robots and a generic
//! SMS gateway, each attempt logged with its status and retried with back-off.
//!
//! The application layer does no network IO: [`deliver`] builds each request (the
//! adapter's body, DingTalk's signature) and hands it to a [`Sender`], which the binary
//! implements over HTTP (`crates/lantian/src/alert_sender.rs`); tests pass their own.

use crate::caller::policy::{self, Act, MANAGE};
use crate::data;
use crate::error::{AppError, AppResult};
use crate::{App, Caller};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use lantian_core::alerts::{
    self as core, AlarmOpened, ChannelKind, Finding, Format, ForwardFull, Kind, MeasureState,
    StationHour, StationLast,
};
use lantian_core::cst;
use lantian_store::alerts::{AttemptRow, ChannelRow, DeliveryRow, EventRow, NewEvent, RuleRow};
use lantian_store::integrity::AlarmFilter;
use lantian_store::{Page, Paged, View};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Deliveries sent per run at most (the rest wait for the next minute).
pub const DELIVERIES_PER_RUN_MAX: i64 = 200;
/// Longest name, URL, secret or template accepted (characters).
pub const FIELD_CHARS_MAX: usize = 2000;
/// Integrity alarms looked at per run: those whose episode reaches into the last days.
pub const ALARM_LOOKBACK_DAYS: i64 = 7;
/// Characters of an SMS text at most (a long SMS is split by the carrier beyond 70).
pub const SMS_TEXT_CHARS_MAX: usize = 300;

/// A rule as the bureau writes it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct RuleInput {
    pub name: String,
    pub kind: String,
    pub threshold: Option<f64>,
    pub scope: Option<String>,
    pub cooldown_min: Option<i64>,
    pub enabled: Option<bool>,
    pub channel_ids: Vec<i64>,
}

/// A channel as the bureau writes it. On an update an empty `url` or `secret` keeps the
/// stored one (neither is shown back in full); `clear_secret` removes the secret.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ChannelInput {
    pub name: String,
    pub kind: String,
    pub url: String,
    pub secret: Option<String>,
    pub clear_secret: bool,
    pub format: Option<String>,
    pub mobiles: Vec<String>,
    pub template: Option<String>,
    pub enabled: Option<bool>,
}

/// A channel as shown: its URL with the query's values masked (a robot's key is its
/// password), whether it has a secret, never the secret.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChannelView {
    pub id: i64,
    pub name: String,
    pub kind: ChannelKind,
    pub url_masked: String,
    pub has_secret: bool,
    pub format: Format,
    pub mobiles: Vec<String>,
    pub template: Option<String>,
    pub enabled: bool,
    pub created_ms: i64,
    pub created_by: String,
}

impl ChannelView {
    fn of(c: ChannelRow) -> ChannelView {
        ChannelView {
            id: c.id,
            name: c.name,
            kind: c.kind,
            url_masked: mask_url(&c.url),
            has_secret: c.secret.is_some(),
            format: c.format,
            mobiles: c.mobiles,
            template: c.template,
            enabled: c.enabled,
            created_ms: c.created_ms,
            created_by: c.created_by,
        }
    }
}

/// `https://host/path?key=abcd…`: each query value cut to its first 4 characters.
pub fn mask_url(url: &str) -> String {
    let keep = |v: &str| format!("{}…", v.chars().take(4).collect::<String>());
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    // Credentials before the host, and the last path segment (a robot's token), masked too.
    let (scheme, rest) = base.split_once("://").unwrap_or(("", base));
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority
        .rsplit_once('@')
        .map_or(authority.to_owned(), |(_, h)| format!("…@{h}"));
    let path = match path.rsplit_once('/') {
        Some((dir, last)) if last.chars().count() > 8 => format!("{dir}/{}", keep(last)),
        None if path.chars().count() > 8 => keep(path),
        _ => path.to_owned(),
    };
    let mut out = if scheme.is_empty() {
        base.to_owned()
    } else {
        format!("{scheme}://{host}/{path}")
    };
    if !query.is_empty() {
        let masked: Vec<String> = query
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, v)) if v.chars().count() > 4 => format!("{k}={}", keep(v)),
                _ => kv.to_owned(),
            })
            .collect();
        out = format!("{out}?{}", masked.join("&"));
    }
    out
}

/// The inbox: a page of the caller's alerts, newest first, how many the inbox holds and how
/// many of them are unread.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Inbox {
    pub events: Vec<EventRow>,
    pub total: usize,
    pub unread: usize,
}

/// One delivery in the log, with its alert's title and its channel's name.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeliveryView {
    #[serde(flatten)]
    pub delivery: DeliveryRow,
    pub channel: String,
    pub channel_kind: Option<ChannelKind>,
    pub title_zh: String,
    pub title_en: String,
    pub attempt_log: Vec<AttemptRow>,
}

fn manage(app: &App, caller: &Caller, action: &str, object: &str) -> AppResult<()> {
    let decision = if policy::acts(caller).contains(&Act::ManageAlerts) {
        Ok(())
    } else {
        Err(policy::refusal(
            caller,
            "只有生态环境局可以设置预警规则与推送渠道 / only the bureau sets alert rules and channels",
        ))
    };
    app.allow(caller, action, object, decision)
}

fn bad(m: String) -> AppError {
    AppError::BadRequest(m)
}

fn checked_text(what_zh: &str, what: &str, v: &str, required: bool) -> AppResult<String> {
    let t = v.trim();
    if required && t.is_empty() {
        return Err(bad(format!("须填写{what_zh} / {what} is required")));
    }
    if t.chars().count() > FIELD_CHARS_MAX {
        return Err(bad(format!(
            "{what_zh}过长（至多 {FIELD_CHARS_MAX} 字） / {what} is longer than {FIELD_CHARS_MAX} characters"
        )));
    }
    Ok(t.to_owned())
}

fn rule_from(app: &App, r: &RuleInput, id: i64) -> AppResult<RuleRow> {
    let kind = Kind::parse(r.kind.trim()).ok_or_else(|| {
        bad(format!(
            "未知的规则类型 {:?}（可选：{}） / unknown rule kind {:?} (one of {})",
            r.kind,
            Kind::names(),
            r.kind,
            Kind::names()
        ))
    })?;
    let threshold = kind
        .threshold_range()
        .map(|_| kind.threshold(r.threshold))
        .transpose()
        .map_err(bad)?;
    let cooldown_min = r.cooldown_min.unwrap_or(core::COOLDOWN_MIN_DEFAULT);
    if !(1..=core::COOLDOWN_MIN_MAX).contains(&cooldown_min) {
        return Err(bad(format!(
            "冷却时间须在 1 至 {} 分钟之间，收到 {cooldown_min} / the cool-down must be 1 ..= {} minutes, got {cooldown_min}",
            core::COOLDOWN_MIN_MAX,
            core::COOLDOWN_MIN_MAX
        )));
    }
    let known: Vec<i64> = app.store.alert_channels()?.iter().map(|c| c.id).collect();
    if let Some(c) = r.channel_ids.iter().find(|c| !known.contains(c)) {
        return Err(bad(format!(
            "推送渠道 {c} 不存在 / alert channel {c} does not exist"
        )));
    }
    let scope = r
        .scope
        .as_deref()
        .map(|s| checked_text("范围", "scope", s, false))
        .transpose()?
        .filter(|s| !s.is_empty());
    Ok(RuleRow {
        id,
        name: checked_text("规则名称", "the rule's name", &r.name, true)?,
        kind,
        threshold,
        scope,
        cooldown_min,
        enabled: r.enabled.unwrap_or(true),
        channel_ids: r.channel_ids.clone(),
        created_ms: 0,
        created_by: String::new(),
        updated_ms: 0,
    })
}

/// Every rule (the bureau).
pub fn rules(app: &App, caller: &Caller) -> AppResult<Vec<RuleRow>> {
    manage(app, caller, "alerts.rules", "alert_rules")?;
    Ok(app.store.alert_rules()?)
}

/// Makes a rule (the bureau; audited).
pub fn create_rule(app: &App, caller: &Caller, r: &RuleInput) -> AppResult<RuleRow> {
    manage(app, caller, "alerts.rule.create", "alert_rules")?;
    let row = rule_from(app, r, 0)?;
    let detail = format!("{} {} {:?}", row.kind, row.name, row.threshold);
    app.audited(caller, "alerts.rule.create", "alert_rules", &detail, || {
        Ok(app
            .store
            .insert_alert_rule(&row, app.clock.now_ms(), caller.name())?)
    })
}

/// Changes rule `id` (the bureau; audited). Its kind stays.
pub fn update_rule(app: &App, caller: &Caller, id: i64, r: &RuleInput) -> AppResult<RuleRow> {
    let object = format!("alert_rule:{id}");
    manage(app, caller, "alerts.rule.update", &object)?;
    let before = app.store.alert_rule(id)?;
    let mut input = r.clone();
    if input.kind.trim().is_empty() {
        input.kind = before.kind.as_str().to_owned();
    }
    let row = rule_from(app, &input, id)?;
    if row.kind != before.kind {
        return Err(bad(format!(
            "规则类型不能修改（{} → {}），请新建规则 / a rule's kind cannot change ({} → {}): make a new rule",
            before.kind.name(lantian_core::aqi::Lang::Zh),
            row.kind.name(lantian_core::aqi::Lang::Zh),
            before.kind,
            row.kind
        )));
    }
    let detail = format!(
        "enabled {} → {}, threshold {:?} → {:?}",
        before.enabled, row.enabled, before.threshold, row.threshold
    );
    app.audited(caller, "alerts.rule.update", &object, &detail, || {
        Ok(app.store.update_alert_rule(&row, app.clock.now_ms())?)
    })
}

fn channel_from(c: &ChannelInput, id: i64, stored: Option<&ChannelRow>) -> AppResult<ChannelRow> {
    let kind = match stored {
        Some(s) => s.kind,
        None => ChannelKind::parse(c.kind.trim()).ok_or_else(|| {
            bad(format!(
                "未知的渠道类型 {:?}（可选：{}） / unknown channel kind {:?} (one of {})",
                c.kind,
                ChannelKind::names(),
                c.kind,
                ChannelKind::names()
            ))
        })?,
    };
    // On an update, no URL keeps the stored one (it is shown back masked only).
    let url = match stored {
        Some(s) if c.url.trim().is_empty() => s.url.clone(),
        _ => checked_text("地址", "the URL", &c.url, true)?,
    };
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(bad(format!(
            "地址须以 http:// 或 https:// 开头：{url} / the URL must start with http:// or https://: {url}"
        )));
    }
    let format = match c.format.as_deref().map(str::trim) {
        None | Some("") => Format::Markdown,
        Some(f) => Format::parse(f).ok_or_else(|| {
            bad(format!(
                "未知的消息格式 {f:?}（可选：{}） / unknown format {f:?} (one of {})",
                Format::names(),
                Format::names()
            ))
        })?,
    };
    let given_secret = c
        .secret
        .as_deref()
        .map(|s| checked_text("密钥", "the secret", s, false))
        .transpose()?
        .filter(|s| !s.is_empty());
    let secret = match (given_secret, c.clear_secret) {
        (Some(s), _) => Some(s),
        (None, true) => None,
        (None, false) => stored.and_then(|s| s.secret.clone()),
    };
    let template = c
        .template
        .as_deref()
        .map(|t| checked_text("短信模板", "the SMS template", t, false))
        .transpose()?
        .filter(|t| !t.is_empty());
    if kind == ChannelKind::Sms && template.is_none() {
        return Err(bad(
            "短信网关须填写请求模板（可用 {mobiles} {title} {text} {time}） / an SMS gateway needs a body template (with {mobiles} {title} {text} {time})"
                .to_owned(),
        ));
    }
    let mobiles: Vec<String> = c
        .mobiles
        .iter()
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty())
        .collect();
    if let Some(m) = mobiles.iter().find(|m| {
        !m.chars()
            .all(|ch| ch.is_ascii_digit() || ch == '+' || ch == '-')
    }) {
        return Err(bad(format!(
            "手机号只能含数字、+ 和 -：{m} / a mobile number has digits, + and - only: {m}"
        )));
    }
    if kind == ChannelKind::Sms && mobiles.is_empty() {
        return Err(bad(
            "短信网关须填写接收手机号 / an SMS gateway needs recipients' mobile numbers".to_owned(),
        ));
    }
    Ok(ChannelRow {
        id,
        name: checked_text("渠道名称", "the channel's name", &c.name, true)?,
        kind,
        url,
        secret,
        format,
        mobiles,
        template,
        enabled: c.enabled.unwrap_or(true),
        created_ms: 0,
        created_by: String::new(),
    })
}

/// Every channel, masked (the bureau).
pub fn channels(app: &App, caller: &Caller) -> AppResult<Vec<ChannelView>> {
    manage(app, caller, "alerts.channels", "alert_channels")?;
    Ok(app
        .store
        .alert_channels()?
        .into_iter()
        .map(ChannelView::of)
        .collect())
}

/// Adds a channel (the bureau; audited, without its URL's key or secret).
pub fn create_channel(app: &App, caller: &Caller, c: &ChannelInput) -> AppResult<ChannelView> {
    manage(app, caller, "alerts.channel.create", "alert_channels")?;
    let row = channel_from(c, 0, None)?;
    let detail = format!("{} {} {}", row.kind, row.name, mask_url(&row.url));
    app.audited(
        caller,
        "alerts.channel.create",
        "alert_channels",
        &detail,
        || {
            Ok(ChannelView::of(app.store.insert_alert_channel(
                &row,
                app.clock.now_ms(),
                caller.name(),
            )?))
        },
    )
}

/// Changes channel `id` (the bureau; audited).
pub fn update_channel(
    app: &App,
    caller: &Caller,
    id: i64,
    c: &ChannelInput,
) -> AppResult<ChannelView> {
    let object = format!("alert_channel:{id}");
    manage(app, caller, "alerts.channel.update", &object)?;
    let stored = app.store.alert_channel(id)?;
    let row = channel_from(c, id, Some(&stored))?;
    let detail = format!("{} enabled {}", mask_url(&row.url), row.enabled);
    app.audited(caller, "alerts.channel.update", &object, &detail, || {
        Ok(ChannelView::of(app.store.update_alert_channel(&row)?))
    })
}

/// Whether the caller sees alert `e` in the inbox: the bureau and administrators every
/// one; another government account those concerning its unit.
/// The units whose alerts the caller's inbox holds: every alert (none) for the bureau and
/// administrators, else those concerning the account's unit (no unit: none).
fn inbox_units(caller: &Caller) -> Option<Vec<String>> {
    match caller.account() {
        Some(a) if MANAGE.contains(&a.role) => None,
        Some(a) => Some(a.unit_id.iter().cloned().collect()),
        None => Some(Vec::new()),
    }
}

fn see_alerts(app: &App, caller: &Caller, action: &str) -> AppResult<()> {
    let decision = if policy::acts(caller).contains(&Act::SeeAlerts) {
        Ok(())
    } else {
        Err(policy::refusal(
            caller,
            "预警收件箱只对政府部门账号开放 / the alerts inbox is for government accounts",
        ))
    };
    app.allow(caller, action, "alerts", decision)
}

/// A page of the caller's inbox.
pub fn inbox(app: &App, caller: &Caller, page: Page) -> AppResult<Inbox> {
    see_alerts(app, caller, "alerts.inbox")?;
    let units = inbox_units(caller);
    let events = app
        .store
        .alert_events_page(caller.name(), units.as_deref(), false, page)?;
    let unread = app
        .store
        .alert_events_page(caller.name(), units.as_deref(), true, Page::first(0))?
        .total;
    Ok(Inbox {
        events: events.items,
        total: events.total,
        unread,
    })
}

/// Marks the caller's alerts `ids` read (empty: every alert of the inbox) and answers the
/// inbox's `page`. Not audited: reading changes nothing but the reader's own marks.
pub fn mark_read(app: &App, caller: &Caller, ids: &[i64], page: Page) -> AppResult<Inbox> {
    see_alerts(app, caller, "alerts.read")?;
    let units = inbox_units(caller);
    let mine: Vec<i64> = app
        .store
        .alert_events_page(caller.name(), units.as_deref(), true, Page::ALL)?
        .items
        .into_iter()
        .filter(|e| ids.is_empty() || ids.contains(&e.id))
        .map(|e| e.id)
        .collect();
    app.store
        .mark_alerts_read(&mine, caller.name(), app.clock.now_ms())?;
    inbox(app, caller, page)
}

/// A page of the delivery log, newest first (the bureau).
pub fn deliveries(app: &App, caller: &Caller, page: Page) -> AppResult<Paged<DeliveryView>> {
    manage(app, caller, "alerts.deliveries", "alert_deliveries")?;
    let channels = app.store.alert_channels()?;
    app.store.deliveries_page(page)?.try_map(|(d, attempts)| {
        let ch = channels.iter().find(|c| c.id == d.channel_id);
        let e = app.store.alert_event(d.event_id)?;
        Ok(DeliveryView {
            channel: ch.map_or_else(|| format!("#{}", d.channel_id), |c| c.name.clone()),
            channel_kind: ch.map(|c| c.kind),
            title_zh: e.title_zh,
            title_en: e.title_en,
            delivery: d,
            attempt_log: attempts,
        })
    })
}

/// Evaluates every enabled rule now and records what fires (not cooling down) with its
/// deliveries. Returns how many alerts were recorded.
pub fn evaluate(app: &App) -> AppResult<usize> {
    let rules: Vec<RuleRow> = app
        .store
        .alert_rules()?
        .into_iter()
        .filter(|r| r.enabled)
        .collect();
    if rules.is_empty() {
        return Ok(0);
    }
    let now_ms = app.clock.now_ms();
    let now = app.clock.now_cst();
    let today = app.clock.today();
    let need = |k: Kind| rules.iter().any(|r| r.kind == k);
    let stations: Vec<_> = app
        .store
        .stations()?
        .into_iter()
        .filter(|s| s.role.is_ambient())
        .collect();
    let mut hours = Vec::new();
    if need(Kind::AqiAbove) {
        for s in &stations {
            if let Some((ts, values)) = data::latest_hour(app, std::slice::from_ref(s), View::Raw)?
            {
                hours.push(StationHour {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    unit: s.admin_unit_id.clone(),
                    hour_start: ts,
                    aqi: data::hour_aqi(cst::date_of(ts), values).aqi,
                });
            }
        }
    }
    let mut lasts = Vec::new();
    if need(Kind::StationOffline) {
        for s in &stations {
            let codes: Vec<&str> = s.pollutants.iter().map(String::as_str).collect();
            lasts.push(StationLast {
                id: s.id.clone(),
                name: s.name.clone(),
                unit: s.admin_unit_id.clone(),
                last_ts: app
                    .store
                    .latest_data_ts(&s.id, &codes, &["hour", "min", "rtd"])?,
            });
        }
    }
    let mut measures = Vec::new();
    if need(Kind::MeasureDue) || need(Kind::MeasureOverdue) {
        for m in app.store.measures()? {
            let mut units = m.fields.lead_units.clone();
            units.extend(m.fields.supporting_units.iter().cloned());
            measures.push(MeasureState {
                id: m.id,
                text: m.measure,
                units,
                done: m.status.done(),
                deadlines: m.fields.deadlines,
            });
        }
    }
    let mut alarms = Vec::new();
    if need(Kind::AlarmOpened) {
        let all = app.store.stations()?;
        let filter = AlarmFilter {
            from_ts: Some(now - ALARM_LOOKBACK_DAYS * cst::DAY_S),
            ..AlarmFilter::default()
        };
        for a in app.store.alarms(&filter)? {
            let s = all.iter().find(|s| s.id == a.alarm.station_id);
            alarms.push(AlarmOpened {
                id: a.id,
                station_name: s.map_or_else(|| a.alarm.station_id.clone(), |s| s.name.clone()),
                unit: s.and_then(|s| s.admin_unit_id.clone()),
                station_id: a.alarm.station_id,
                why_zh: a.alarm.why_zh,
                why_en: a.alarm.why_en,
                created_ms: a.created_ms,
            });
        }
    }
    let mut full = Vec::new();
    if need(Kind::ForwardQueueFull) {
        for a in app.store.forward_alarms()? {
            full.push(ForwardFull {
                dest: a.dest,
                addr: a.addr,
                since_ms: a.since_ms,
            });
        }
    }
    let mut recorded = 0;
    for r in &rules {
        let rule = core::Rule {
            kind: r.kind,
            threshold: r.threshold.unwrap_or(0.0),
            scope: r.scope.clone(),
            created_ms: r.created_ms,
        };
        let found: Vec<Finding> = match r.kind {
            Kind::AqiAbove => core::aqi_above(&rule, &hours, now),
            Kind::StationOffline => core::offline(&rule, &lasts, now),
            Kind::MeasureDue | Kind::MeasureOverdue => core::measures(&rule, &measures, today),
            Kind::AlarmOpened => core::alarms(&rule, &alarms),
            Kind::ForwardQueueFull => core::forward_full(&rule, &full),
        };
        for f in found {
            let e = NewEvent {
                rule_id: r.id,
                kind: r.kind,
                subject: f.subject,
                at_ms: now_ms,
                title_zh: f.title_zh,
                title_en: f.title_en,
                text_zh: f.text_zh,
                text_en: f.text_en,
                link: f.link,
                units: f.units,
            };
            if app
                .store
                .record_alert(&e, r.cooldown_min, &r.channel_ids)?
                .is_some()
            {
                recorded += 1;
            }
        }
    }
    Ok(recorded)
}

/// One HTTP request to a channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub url: String,
    pub content_type: &'static str,
    pub body: String,
}

/// What the receiver answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// Sends a request and returns the receiver's answer, or why there was none (connection
/// refused, timeout). Implemented by the binary over HTTP; blocking.
pub trait Sender {
    fn post(&self, o: &Outgoing) -> Result<Answer, String>;
}

/// DingTalk's signature of a robot request at `timestamp_ms` with the robot's `secret`:
/// Base64 of HMAC-SHA256 over `timestamp + "\n" + secret`, percent-encoded for the URL.
pub fn dingtalk_sign(timestamp_ms: i64, secret: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        // HMAC takes a key of any length; this branch is never taken.
        return String::new();
    };
    mac.update(format!("{timestamp_ms}\n{secret}").as_bytes());
    let b64 = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    percent_encode(&b64)
}

/// Every byte outside RFC 3986's unreserved set as `%XX`.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A JSON string's content (without the quotes).
fn json_escaped(s: &str) -> String {
    let q = serde_json::Value::String(s.to_owned()).to_string();
    q[1..q.len() - 1].to_owned()
}

/// The request that delivers alert `e` through channel `c` at `now_ms` (unix ms), with
/// `county` (the county's name) in the heading.
pub fn request(c: &ChannelRow, e: &EventRow, county: &str, now_ms: i64) -> Outgoing {
    let time = format!("北京时间 {}", cst::format_unix_ms(e.at_ms));
    let heading = format!("【{county}空气质量预警】{}", e.title_zh);
    let ats: String = c.mobiles.iter().map(|m| format!(" @{m}")).collect();
    let json = |v: serde_json::Value| Outgoing {
        url: c.url.clone(),
        content_type: "application/json",
        body: v.to_string(),
    };
    match (c.kind, c.format) {
        (ChannelKind::Wecom, Format::Markdown) => json(serde_json::json!({
            "msgtype": "markdown",
            "markdown": { "content": format!("### {heading}\n> {}\n\n<font color=\"comment\">{time}</font>", e.text_zh) },
        })),
        (ChannelKind::Wecom, Format::Text) => json(serde_json::json!({
            "msgtype": "text",
            "text": { "content": format!("{heading}\n{}\n{time}", e.text_zh), "mentioned_mobile_list": c.mobiles },
        })),
        (ChannelKind::Dingtalk, format) => {
            let at = serde_json::json!({ "atMobiles": c.mobiles, "isAtAll": false });
            let mut o = match format {
                Format::Markdown => json(serde_json::json!({
                    "msgtype": "markdown",
                    "markdown": { "title": heading, "text": format!("### {heading}\n\n{}\n\n{time}{ats}", e.text_zh) },
                    "at": at,
                })),
                Format::Text => json(serde_json::json!({
                    "msgtype": "text",
                    "text": { "content": format!("{heading}\n{}\n{time}{ats}", e.text_zh) },
                    "at": at,
                })),
            };
            if let Some(secret) = &c.secret {
                let sep = if o.url.contains('?') { '&' } else { '?' };
                o.url = format!(
                    "{}{sep}timestamp={now_ms}&sign={}",
                    o.url,
                    dingtalk_sign(now_ms, secret)
                );
            }
            o
        }
        (ChannelKind::Sms, _) => {
            let template = c.template.as_deref().unwrap_or_default();
            let text: String = format!("{heading}：{}（{time}）", e.text_zh)
                .chars()
                .take(SMS_TEXT_CHARS_MAX)
                .collect();
            let is_json = template.trim_start().starts_with('{');
            let enc = |s: &str| {
                if is_json {
                    json_escaped(s)
                } else {
                    percent_encode(s)
                }
            };
            let body = template
                .replace("{mobiles}", &enc(&c.mobiles.join(",")))
                .replace("{title}", &enc(&heading))
                .replace("{time}", &enc(&time))
                .replace("{text}", &enc(&text));
            Outgoing {
                url: c.url.clone(),
                content_type: if is_json {
                    "application/json"
                } else {
                    "application/x-www-form-urlencoded"
                },
                body,
            }
        }
    }
}

/// Whether an answer means delivered: a 2xx status and, from a robot, `errcode` 0.
pub fn delivered(kind: ChannelKind, a: &Answer) -> bool {
    if !(200..300).contains(&a.status) {
        return false;
    }
    match kind {
        ChannelKind::Wecom | ChannelKind::Dingtalk => {
            serde_json::from_str::<serde_json::Value>(&a.body)
                .ok()
                .and_then(|v| v.get("errcode").and_then(serde_json::Value::as_i64))
                == Some(0)
        }
        ChannelKind::Sms => true,
    }
}

/// What one run of deliveries did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Delivered {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Sends the deliveries due now through `sender`, logging each attempt.
pub fn deliver(app: &App, sender: &dyn Sender) -> AppResult<Delivered> {
    let mut out = Delivered::default();
    let due = app
        .store
        .due_deliveries(app.clock.now_ms(), DELIVERIES_PER_RUN_MAX)?;
    if due.is_empty() {
        return Ok(out);
    }
    let channels = app.store.alert_channels()?;
    let county = app.county.profile.name_zh.clone();
    for d in due {
        let now_ms = app.clock.now_ms();
        let attempts = d.attempts + 1;
        let (ok, status, answer, retry) = match channels.iter().find(|c| c.id == d.channel_id) {
            Some(c) if c.enabled => {
                let e = app.store.alert_event(d.event_id)?;
                let o = request(c, &e, &county, now_ms);
                match sender.post(&o) {
                    Ok(a) => {
                        let ok = delivered(c.kind, &a);
                        (ok, Some(i64::from(a.status)), a.body, true)
                    }
                    Err(why) => (false, None, why, true),
                }
            }
            Some(_) => (
                false,
                None,
                "渠道已停用 / the channel is disabled".to_owned(),
                false,
            ),
            None => (
                false,
                None,
                "渠道不存在 / the channel no longer exists".to_owned(),
                false,
            ),
        };
        let retry_at = if retry && !ok {
            core::retry_at(attempts, now_ms)
        } else {
            None
        };
        match app
            .store
            .record_attempt(d.id, d.attempts, now_ms, ok, status, &answer, retry_at)
        {
            Ok(_) if ok => out.sent += 1,
            Ok(_) if retry_at.is_some() => out.retrying += 1,
            Ok(_) => out.failed += 1,
            // Another sender handled it meanwhile: its attempt is the one logged.
            Err(lantian_store::StoreError::Refused { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// What one minute's run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Run {
    pub recorded: usize,
    pub delivered: Delivered,
}

/// The periodic step of `lantian serve` (every 30 s): evaluate the rules, then send
/// what is due.
pub fn run_once(app: &App, sender: &dyn Sender) -> AppResult<Run> {
    let recorded = evaluate(app)?;
    let delivered = deliver(app, sender)?;
    Ok(Run {
        recorded,
        delivered,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn dingtalk_signature_is_hmac_sha256_of_timestamp_and_secret_in_base64() {
        // The expected value was computed independently with
        // `printf '1700000000000\nSECabc' | openssl dgst -sha256 -hmac SECabc -binary | base64`.
        let got = dingtalk_sign(1_700_000_000_000, "SECabc");
        let want = "jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM%3D";
        assert_eq!(got, want);
    }

    #[test]
    fn urls_are_masked_after_four_characters_of_each_secret_part() {
        let cases = [
            (
                "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx",
                "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a…",
            ),
            ("http://sms.local/send", "http://sms.local/send"),
            ("http://h/x?a=1&b=abcdef", "http://h/x?a=1&b=abcd…"),
            // Credentials and a token as the last path segment.
            (
                "https://user:pw@gw.example/api/send",
                "https://…@gw.example/api/send",
            ),
            (
                "https://hooks.example/robot/0123456789abcdef",
                "https://hooks.example/robot/0123…",
            ),
        ];
        for (url, want) in cases {
            assert_eq!(mask_url(url), want);
        }
    }
}
