//! The admin console (issue 17): an administrator's password reset (the account changes
//! it at its next login), the stations and devices at a glance (unit factors, device
//! status, last data, online and capture rates), station edits, unit factors, devices
//! registered and switched off, the audit log searched, and the settings the UI exposes.
//! Every change is audited and every permission decided here (`policy`), reusing the
//! use cases of `accounts`, `stations`, `integrity_ops`, `opendata`, `credit` and `tasks`.

use crate::accounts::{AuditEntry, PASSWORD_CHARS_MIN, audit_entry};
use crate::caller::policy;
use crate::error::{AppError, AppResult};
use crate::stations::{DeviceStatus, NewStation};
use crate::{App, Caller};
use lantian_core::cst;
use lantian_core::{Date, Month};
use lantian_store::admin::AuditFilter;
use lantian_store::{Page, Paged, StationUnit, password};
use serde::Serialize;
use std::collections::HashMap;

/// Characters of a password the server generates (a reset account's or a device's).
pub const GENERATED_PASSWORD_CHARS: usize = 14;
/// Longest HJ 212 code of a unit factor (`a34004`, `a01001`, `w01018`…).
pub const FACTOR_CODE_CHARS_MAX: usize = 16;
/// Longest text of a setting (a URL, an attribution, a JSON table).
pub const SETTING_CHARS_MAX: usize = 20_000;

// ---------------------------------------------------------------------------------------
// Accounts

/// Gives `username` a new generated password that it must change at its next login; its
/// sessions end. Administrators only; audited (`user.password.reset`, the password never
/// written). Returns the password, to be handed over once.
pub fn reset_password(app: &App, caller: &Caller, username: &str) -> AppResult<String> {
    app.allow(
        caller,
        "user.password.reset",
        username,
        caller.require_role(policy::MANAGE_ACCOUNTS).map(drop),
    )?;
    if app.store.user(username)?.is_none() {
        return Err(AppError::NotFound(format!(
            "账号 {username} 不存在 / no account {username}"
        )));
    }
    let pw = password::random(GENERATED_PASSWORD_CHARS.max(PASSWORD_CHARS_MIN));
    let hash = password::hash(&pw, password::Strength::User);
    app.audited(caller, "user.password.reset", username, "", || {
        Ok(app.store.reset_user_password(username, &hash)?)
    })?;
    Ok(pw)
}

// ---------------------------------------------------------------------------------------
// Stations and devices

/// A unit factor: what a station sends a code in and the factor to the standard unit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Factor {
    pub code: String,
    pub unit: String,
    pub factor: f64,
}

/// A device as the console shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConsoleDevice {
    pub mn: String,
    pub edition: String,
    pub disabled: bool,
    /// Registered, Beijing time.
    pub created: String,
    /// What the gateway knows now (`None`: the gateway is not running in this process).
    pub connected: Option<bool>,
    /// The last packet the gateway received from it, Beijing time.
    pub last_packet: Option<String>,
    pub packets: Option<u64>,
    pub rejects: Option<u64>,
    /// Over the month's days so far (`integrity_ops::device_rates`).
    pub online_pct: Option<f64>,
    pub capture_pct: Option<f64>,
}

/// A station with everything an administrator checks.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConsoleStation {
    pub id: String,
    pub name: String,
    pub role: lantian_core::series::StationRole,
    pub unit: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub demo: bool,
    pub pollutants: Vec<String>,
    pub min_interval_min: i64,
    pub contractor: Option<String>,
    pub factors: Vec<Factor>,
    /// The start of the latest hour it has any value for, Beijing time.
    pub last_data: Option<String>,
    pub devices: Vec<ConsoleDevice>,
    /// The station's best device's capture rate this month (%), when it has devices.
    pub capture_pct: Option<f64>,
}

/// The month of the rates, a page of the stations, and how many stations there are.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StationConsole {
    pub month: Month,
    pub stations: Vec<ConsoleStation>,
    pub total: usize,
}

/// A page of the air-quality stations, each with its devices, their status (`status`: the
/// gateway's, by MN), last data, unit factors and the month's online and capture rates, and
/// how many stations there are (administrators, the bureau, operations): only the page's
/// stations' hours are read.
pub fn stations(
    app: &App,
    caller: &Caller,
    status: &HashMap<String, DeviceStatus>,
    month: Month,
    page: Page,
) -> AppResult<StationConsole> {
    app.allow(
        caller,
        "admin.stations",
        "stations",
        caller.require_role(policy::SEE_DEVICES).map(drop),
    )?;
    let Paged {
        items: stations,
        total,
    } = Paged::cut(
        app.store
            .stations()?
            .into_iter()
            .filter(|s| s.role.is_ambient())
            .collect(),
        page,
    );
    let ids: std::collections::HashSet<String> = stations.iter().map(|s| s.id.clone()).collect();
    let rates: HashMap<String, (Option<f64>, Option<f64>)> =
        crate::integrity_ops::device_rates_among(app, caller, month, Some(&ids), Page::ALL)?
            .items
            .into_iter()
            .flat_map(|s| s.devices)
            .map(|d| (d.mn, (d.online_pct, d.capture_pct)))
            .collect();
    let contractors = app.store.station_contractors()?;
    let mut devices: HashMap<String, Vec<ConsoleDevice>> = HashMap::new();
    for d in app.store.devices()? {
        let s = status.get(&d.mn);
        let (online_pct, capture_pct) = rates.get(&d.mn).copied().unwrap_or((None, None));
        devices
            .entry(d.station_id)
            .or_default()
            .push(ConsoleDevice {
                connected: s.map(|s| s.connected),
                last_packet: s
                    .filter(|s| s.last_seen_ms > 0)
                    .map(|s| cst::format_unix_ms(s.last_seen_ms)),
                packets: s.map(|s| s.packets),
                rejects: s.map(|s| s.rejects),
                online_pct,
                capture_pct,
                created: cst::format_unix_ms(d.created_ms),
                mn: d.mn,
                edition: d.edition,
                disabled: d.disabled,
            });
    }
    let mut out = Vec::new();
    for s in stations {
        let codes: Vec<&str> = s.pollutants.iter().map(String::as_str).collect();
        let last = app
            .store
            .latest_data_ts(&s.id, &codes, &["hour", "min", "rtd"])?;
        let devs = devices.remove(&s.id).unwrap_or_default();
        let capture_pct = devs
            .iter()
            .filter_map(|d| d.capture_pct)
            .fold(None, |a: Option<f64>, x| Some(a.map_or(x, |a| a.max(x))));
        out.push(ConsoleStation {
            factors: app
                .store
                .station_units(&s.id)?
                .into_iter()
                .map(|u| Factor {
                    code: u.code,
                    unit: u.unit,
                    factor: u.factor,
                })
                .collect(),
            contractor: contractors.get(&s.id).cloned(),
            last_data: last.map(|ts| cst::format_minute(cst::hour_start(ts))),
            devices: devs,
            capture_pct,
            id: s.id,
            name: s.name,
            role: s.role,
            unit: s.admin_unit_id,
            lat: s.lat,
            lon: s.lon,
            demo: s.demo,
            pollutants: s.pollutants,
            min_interval_min: s.min_interval_min,
        });
    }
    Ok(StationConsole {
        month,
        stations: out,
        total,
    })
}

/// Changes a registered station (administrators, the bureau): as registering, but a
/// station that does not exist is refused instead of created (a mistyped id creates
/// nothing).
pub fn edit_station(app: &App, caller: &Caller, s: NewStation) -> AppResult<()> {
    app.allow(
        caller,
        "station.save",
        &s.id,
        caller.require_role(policy::MANAGE).map(drop),
    )?;
    crate::stations::find(app, &s.id)?;
    crate::stations::register(app, caller, s)
}

/// Sets the unit a station sends `code` in and its factor to the standard unit
/// (administrators, the bureau); audited as `station.factor` like the command line's.
pub fn set_factor(
    app: &App,
    caller: &Caller,
    station: &str,
    code: &str,
    unit: &str,
    factor: f64,
) -> AppResult<()> {
    app.allow(
        caller,
        "station.factor",
        station,
        caller.require_role(policy::MANAGE).map(drop),
    )?;
    crate::stations::find(app, station)?;
    let code = code.trim();
    if code.is_empty()
        || code.chars().count() > FACTOR_CODE_CHARS_MAX
        || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(AppError::BadRequest(format!(
            "监测项目编码 {code:?} 无效（如 a34004）/ code {code:?}: 1-{FACTOR_CODE_CHARS_MAX} letters and digits (e.g. a34004)"
        )));
    }
    if !factor.is_finite() || factor <= 0.0 {
        return Err(AppError::BadRequest(format!(
            "换算系数须为正数 / the factor must be a positive number, not {factor}"
        )));
    }
    let unit = if unit.trim().is_empty() {
        "configured"
    } else {
        unit.trim()
    };
    let u = StationUnit {
        station_id: station.to_owned(),
        code: code.to_owned(),
        unit: unit.to_owned(),
        factor,
    };
    app.audited(
        caller,
        "station.factor",
        station,
        &format!("{code}={factor} {unit}"),
        || Ok(app.store.set_station_unit(&u)?),
    )
}

/// Registers a device (MN) for a station with a generated password, returned once
/// (administrators, the bureau); audited as `device.add`.
pub fn add_device(
    app: &App,
    caller: &Caller,
    mn: &str,
    station: &str,
    edition: &str,
) -> AppResult<String> {
    app.allow(
        caller,
        "device.add",
        mn,
        caller.require_role(policy::MANAGE).map(drop),
    )?;
    crate::stations::find(app, station)?;
    let pw = password::random(GENERATED_PASSWORD_CHARS);
    app.audited(caller, "device.add", mn, station, || {
        Ok(app
            .store
            .add_device(mn, &pw, station, edition, app.clock.now_ms())?)
    })?;
    Ok(pw)
}

/// Disables (refused at its next login; data kept) or enables a device (administrators,
/// the bureau); audited.
pub fn set_device_disabled(app: &App, caller: &Caller, mn: &str, disabled: bool) -> AppResult<()> {
    let action = if disabled {
        "device.disable"
    } else {
        "device.enable"
    };
    app.allow(
        caller,
        action,
        mn,
        caller.require_role(policy::MANAGE).map(drop),
    )?;
    app.audited(caller, action, mn, "", || {
        Ok(app.store.set_device_disabled(mn, disabled)?)
    })
}

/// Gives a device a new generated password, returned once (administrators, the bureau);
/// the gateway checks it at the device's next login. Audited as `device.passwd`.
pub fn new_device_password(app: &App, caller: &Caller, mn: &str) -> AppResult<String> {
    app.allow(
        caller,
        "device.passwd",
        mn,
        caller.require_role(policy::MANAGE).map(drop),
    )?;
    let pw = password::random(GENERATED_PASSWORD_CHARS);
    app.audited(caller, "device.passwd", mn, "", || {
        Ok(app.store.set_device_password(mn, &pw)?)
    })?;
    Ok(pw)
}

// ---------------------------------------------------------------------------------------
// The audit log

/// Filters of the audit log as people give them: Beijing dates, inclusive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub object: Option<String>,
    pub text: Option<String>,
    pub from: Option<Date>,
    pub to: Option<Date>,
}

/// A page of the audit rows matching `q`, newest first, and how many match
/// (administrators, the bureau).
pub fn audit_search(
    app: &App,
    caller: &Caller,
    q: &AuditQuery,
    page: Page,
) -> AppResult<Paged<AuditEntry>> {
    app.allow(
        caller,
        "audit.read",
        "audit",
        caller.require_role(policy::SEE_AUDIT).map(drop),
    )?;
    if let (Some(f), Some(t)) = (q.from, q.to)
        && f > t
    {
        return Err(AppError::BadRequest(format!(
            "起始日期 {f} 晚于结束日期 {t} / from {f} is after to {t}"
        )));
    }
    let given = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let f = AuditFilter {
        actor: given(&q.actor),
        action_prefix: given(&q.action),
        object: given(&q.object),
        text: given(&q.text),
        from_ms: q.from.map(|d| cst::to_unix_ms(cst::day_start(d))),
        to_ms: q.to.map(|d| cst::to_unix_ms(cst::day_start(d.add_days(1)))),
    };
    Ok(app.store.audit_search_page(&f, page)?.map(audit_entry))
}

// ---------------------------------------------------------------------------------------
// Settings

/// The base map's tile URL and attribution: U3's map settings (`map_view`), set through
/// its use case.
use crate::map_view::{
    TILE_ATTRIBUTION_SETTING as UI_TILE_ATTRIBUTION, TILE_URL_SETTING as UI_TILE_URL,
};

/// How a setting is edited and checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingKind {
    /// A tile URL template with `{z}`, `{x}` and `{y}`, or empty (`map_view::check_tile_url`).
    TileUrl,
    /// One line of text, or empty.
    Text,
    /// A JSON object (missing keys keep their defaults).
    Json,
}

/// A setting the UI exposes: what it is, its value in force, whether it is stored (else
/// the default is in force), and the page it belongs to.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SettingView {
    pub key: &'static str,
    pub kind: SettingKind,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub help_zh: &'static str,
    pub help_en: &'static str,
    /// The value in force (for a JSON setting: its defaults filled in).
    pub value: String,
    /// Whether a value is set (an empty text counts as unset: the default is in force).
    pub stored: bool,
    /// The UI page where the setting's effect is seen (`#/credit`).
    pub page: Option<&'static str>,
}

/// The settings the console exposes, in its order: key, kind, names, help, page.
type Spec = (
    &'static str,
    SettingKind,
    [&'static str; 4],
    Option<&'static str>,
);

const SETTINGS: &[Spec] = &[
    (
        UI_TILE_URL,
        SettingKind::TileUrl,
        [
            "底图瓦片地址",
            "Base-map tile URL",
            "如 https://t0.tianditu.gov.cn/…/{z}/{x}/{y}；留空则地图只显示矢量图层（离线部署）",
            "e.g. https://tile.example/{z}/{x}/{y}.png; empty: the map shows the vector layer only (offline deployments)",
        ],
        Some("#/map"),
    ),
    (
        UI_TILE_ATTRIBUTION,
        SettingKind::Text,
        [
            "底图署名",
            "Base-map attribution",
            "显示在地图角落的底图来源，如 © 天地图",
            "Shown in the map's corner, e.g. © OpenStreetMap contributors",
        ],
        Some("#/map"),
    ),
    (
        crate::opendata::LICENCE_SETTING,
        SettingKind::Json,
        [
            "开放数据许可",
            "Open-data licence",
            "字段 name、url、attribution_zh、attribution_en；未填的用默认值（CC BY 4.0）",
            "Fields name, url, attribution_zh, attribution_en; those left out keep the default (CC BY 4.0)",
        ],
        Some("#/opendata"),
    ),
    (
        crate::credit::RULES_SETTING,
        SettingKind::Json,
        [
            "信用规则",
            "Credit rules",
            "违法类型 × 处理决定 × 主体 → 失信等级、公示期和修复期",
            "Violation × decision × subject → credit level, publication and repair periods",
        ],
        Some("#/credit"),
    ),
    (
        crate::tasks::CONFIG_SETTING,
        SettingKind::Json,
        [
            "网格任务配置",
            "Grid task settings",
            "办理时限与升级规则",
            "Deadlines and escalation of grid tasks",
        ],
        Some("#/tasks"),
    ),
    (
        crate::integrity_ops::OPS_SETTING,
        SettingKind::Json,
        [
            "运维工单阈值",
            "Operations work-order thresholds",
            "无数据多少小时开断线工单，工单时限（小时）",
            "Hours without data that open an outage order, and its deadline in hours",
        ],
        Some("#/workorders"),
    ),
    (
        crate::integrity::CONFIG_SETTING,
        SettingKind::Json,
        [
            "数据质量规则阈值",
            "Data-integrity rule thresholds",
            "各条规则的阈值；未填的用默认值",
            "Each rule's thresholds; those left out keep their defaults",
        ],
        Some("#/rules"),
    ),
];

fn spec(key: &str) -> AppResult<&'static Spec> {
    SETTINGS.iter().find(|s| s.0 == key).ok_or_else(|| {
        AppError::NotFound(format!(
            "没有可在界面修改的设置 {key:?} / no setting {key:?} the console exposes"
        ))
    })
}

fn to_json<T: Serialize>(v: &T) -> AppResult<String> {
    serde_json::to_string_pretty(v).map_err(|e| AppError::Internal(e.to_string()))
}

/// A setting's value in force: the stored text, or for a JSON setting the configuration
/// its use case reads (defaults filled in).
fn value_in_force(app: &App, key: &str, stored: Option<&str>) -> AppResult<String> {
    match key {
        k if k == crate::opendata::LICENCE_SETTING => {
            let l = crate::opendata::licence(app)?;
            to_json(&serde_json::json!({
                "name": l.name, "url": l.url,
                "attribution_zh": l.attribution_zh, "attribution_en": l.attribution_en,
            }))
        }
        k if k == crate::credit::RULES_SETTING => to_json(&crate::credit::rules(app)?),
        k if k == crate::tasks::CONFIG_SETTING => to_json(&crate::tasks::config(app)?),
        k if k == crate::integrity_ops::OPS_SETTING => {
            to_json(&crate::integrity_ops::ops_config(app)?)
        }
        k if k == crate::integrity::CONFIG_SETTING => to_json(&crate::integrity::config(app)?),
        _ => Ok(stored.unwrap_or_default().to_owned()),
    }
}

/// The settings the console exposes, with their values in force (administrators, the
/// bureau).
pub fn settings(app: &App, caller: &Caller) -> AppResult<Vec<SettingView>> {
    app.allow(
        caller,
        "settings.read",
        "settings",
        caller.require_role(policy::MANAGE).map(drop),
    )?;
    SETTINGS
        .iter()
        .map(|(key, kind, [name_zh, name_en, help_zh, help_en], page)| {
            let stored = app.store.setting(key)?;
            Ok(SettingView {
                key,
                kind: *kind,
                name_zh,
                name_en,
                help_zh,
                help_en,
                value: value_in_force(app, key, stored.as_deref())?,
                stored: stored.as_deref().is_some_and(|v| !v.trim().is_empty()),
                page: *page,
            })
        })
        .collect()
}

/// Sets a setting the console exposes (administrators, the bureau); checked by its use
/// case where one owns it (the licence, the credit rules, the grid), else by its kind;
/// audited as `setting.set` (or the owning use case's action). Returns the setting now.
pub fn set_setting(app: &App, caller: &Caller, key: &str, value: &str) -> AppResult<SettingView> {
    app.allow(
        caller,
        "setting.set",
        key,
        caller.require_role(policy::MANAGE).map(drop),
    )?;
    let (key, kind, _, _) = *spec(key)?;
    let value = value.trim();
    if value.chars().count() > SETTING_CHARS_MAX {
        return Err(AppError::BadRequest(format!(
            "设置 {key} 过长（最多 {SETTING_CHARS_MAX} 个字符）/ setting {key}: at most {SETTING_CHARS_MAX} characters"
        )));
    }
    let bad = |e: String| AppError::BadRequest(format!("设置 {key} / setting {key}: {e}"));
    match key {
        k if k == crate::opendata::LICENCE_SETTING => {
            let set: crate::opendata::LicenceSetting =
                serde_json::from_str(value).map_err(|e| bad(e.to_string()))?;
            crate::opendata::set_licence(app, caller, set)?;
        }
        k if k == crate::credit::RULES_SETTING => {
            crate::credit::set_rules(app, caller, value)?;
        }
        k if k == crate::tasks::CONFIG_SETTING => {
            crate::tasks::set_config(app, caller, value)?;
        }
        k if k == UI_TILE_URL || k == UI_TILE_ATTRIBUTION => {
            if value.contains(['\n', '\r', '<', '>']) {
                return Err(bad("一行文字，不含 < > / one line without < or >".into()));
            }
            let now = crate::map_view::ui_config(app)?;
            let (url, attribution) = if k == UI_TILE_URL {
                (value.to_owned(), now.tile_attribution.unwrap_or_default())
            } else {
                (now.tile_url.unwrap_or_default(), value.to_owned())
            };
            crate::map_view::set_tile_url(app, caller, &url, &attribution)?;
        }
        _ => {
            let text = match kind {
                SettingKind::Json => check_json(key, value).map_err(bad)?,
                SettingKind::TileUrl | SettingKind::Text => value.to_owned(),
            };
            app.audited(caller, "setting.set", key, &text, || {
                Ok(app.store.set_setting(key, &text)?)
            })?;
        }
    }
    settings(app, caller)?
        .into_iter()
        .find(|s| s.key == key)
        .ok_or_else(|| AppError::Internal(format!("setting {key} vanished")))
}

/// A JSON setting without a use case of its own, read as the configuration its reader
/// expects, every key one it knows (so a typo is refused now, not when the scan runs);
/// stored compact.
fn check_json(key: &str, value: &str) -> Result<String, String> {
    if key == crate::integrity_ops::OPS_SETTING {
        let c: crate::integrity_ops::OpsConfig = known_keys(value)?;
        if c.outage_hours_min < 1 || c.outage_deadline_hours < 1 {
            return Err("小时数须至少为 1 / hours must be at least 1".into());
        }
        return serde_json::to_string(&c).map_err(|e| e.to_string());
    }
    if key == crate::integrity::CONFIG_SETTING {
        let c: lantian_core::integrity::Config = known_keys(value)?;
        return serde_json::to_string(&c).map_err(|e| e.to_string());
    }
    Err(format!("no check for {key}"))
}

/// `value` read as `T` (whose missing keys take their defaults), refusing a key `T` does
/// not have.
fn known_keys<T: serde::de::DeserializeOwned + Serialize + Default>(
    value: &str,
) -> Result<T, String> {
    let given: serde_json::Map<String, serde_json::Value> = serde_json::from_str(value)
        .map_err(|e| format!("不是 JSON 对象 / not a JSON object: {e}"))?;
    let known = serde_json::to_value(T::default()).map_err(|e| e.to_string())?;
    if let Some(k) = given.keys().find(|k| known.get(k.as_str()).is_none()) {
        return Err(format!("没有设置项 {k:?} / no key {k:?}"));
    }
    serde_json::from_value(serde_json::Value::Object(given)).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_is_listed_once_with_both_languages() {
        let mut keys: Vec<&str> = SETTINGS.iter().map(|s| s.0).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), SETTINGS.len());
        for (key, _, texts, _) in SETTINGS {
            assert!(texts.iter().all(|t| !t.is_empty()), "{key}");
            assert!(
                texts[0]
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{key}: a Chinese name"
            );
            assert!(texts[1].is_ascii(), "{key}: an English name");
        }
    }
}
