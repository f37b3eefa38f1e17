//! Open data (docs/open-data.md): the published stations' hourly and daily values for
//! anyone, each marked `preliminary` or `audited` with its audit version and a flag where a
//! correction touched it; the public changelog of those corrections; the data's licence.
//!
//! Only published stations (`policy::published`: assessment and background stations) are
//! open; a township station or micro sensor is "not found" here whoever asks. The values are
//! those of the station page's audited series (`series::series`), so the open API, the bulk
//! files and the station page agree by construction.

use crate::caller::policy;
use crate::error::{AppError, AppResult};
use crate::present::concentration;
use crate::series::{self, Points};
use crate::{App, Caller};
use lantian_core::cst;
use lantian_core::org::Role;
use lantian_core::pollutant::Pollutant;
use lantian_core::{Date, Month};
use lantian_store::{Correction, CorrectionAction, Station, View};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The store setting that holds the county's licence (JSON, [`LicenceSetting`]).
pub const LICENCE_SETTING: &str = "open_data_licence";
/// The longest span of one hourly request, in days (a month's file holds more).
pub const HOURLY_SPAN_DAYS_MAX: i64 = 31;
/// The longest span of one daily request or changelog, in days.
pub const DAILY_SPAN_DAYS_MAX: i64 = crate::data::SPAN_DAYS_MAX;

/// Hourly or daily values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Hourly,
    Daily,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Hourly => "hourly",
            Kind::Daily => "daily",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "hourly" => Some(Kind::Hourly),
            "daily" => Some(Kind::Daily),
            _ => None,
        }
    }
}

/// Whether a value may still change: `preliminary` until its month is closed after the
/// audit (HJ 633 §5.1.5, `integrity::close_month`), `audited` after.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Preliminary,
    Audited,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Preliminary => "preliminary",
            Status::Audited => "audited",
        }
    }
}

/// One open value: a row of the API's answers and of the bulk files (the same columns).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpenValue {
    pub station_id: String,
    pub station_name: String,
    /// Beijing time, ISO 8601 with `+08:00`: an hour by its end (the Chinese convention:
    /// `…T09:00:00+08:00` is the hour 08:00–09:00), a day by its start (00:00).
    pub time_bj: String,
    /// `PM2.5`, `PM10`, `SO2`, `NO2`, `CO`, `O3`.
    pub pollutant: String,
    /// Hourly mean; daily mean (O3: MDA8). `null`: invalidated hour, or a day without
    /// enough valid hours (GB 3095 Table 4).
    pub value: Option<f64>,
    pub unit: String,
    pub status: Status,
    /// The number of corrections recorded for this station and month when read (0: none).
    pub audit_version: i64,
    /// `corrected` or `invalidated` (an hour), `corrected` (a day one of whose hours was
    /// corrected or invalidated); `null` otherwise.
    pub flag: Option<String>,
}

/// A station as the open API lists it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OpenStation {
    pub id: String,
    pub name: String,
    /// `assessment` or `background`.
    pub role: String,
    pub unit: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// The pollutants it measures (names).
    pub pollutants: Vec<&'static str>,
    /// Demonstration data (UCI Beijing, CC BY 4.0) rather than the county's measurements.
    pub demo: bool,
}

/// The published stations.
pub fn published(app: &App) -> AppResult<Vec<Station>> {
    Ok(app
        .store
        .stations()?
        .into_iter()
        .filter(|s| policy::published(s.role))
        .collect())
}

/// One published station; any other id (a township station, an outlet, nothing) is "not
/// found", so the open API does not even tell which exist.
pub fn published_station(app: &App, id: &str) -> AppResult<Station> {
    published(app)?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "站点 {id} 不是公开站点 / station {id} is not a published station"
            ))
        })
}

fn measured(s: &Station) -> Vec<Pollutant> {
    let listed: Vec<Pollutant> = s
        .pollutants
        .iter()
        .filter_map(|c| Pollutant::parse(c))
        .collect();
    if listed.is_empty() {
        Pollutant::ALL.to_vec()
    } else {
        Pollutant::ALL
            .into_iter()
            .filter(|p| listed.contains(p))
            .collect()
    }
}

/// The published stations for the open API.
pub fn stations(app: &App) -> AppResult<Vec<OpenStation>> {
    let units = app.store.admin_units()?;
    Ok(published(app)?
        .into_iter()
        .map(|s| OpenStation {
            unit: units
                .iter()
                .find(|u| Some(&u.id) == s.admin_unit_id.as_ref())
                .map(|u| u.name_zh.clone()),
            pollutants: measured(&s).iter().map(|p| p.name()).collect(),
            role: s.role.as_str().to_owned(),
            id: s.id,
            name: s.name,
            lat: s.lat,
            lon: s.lon,
            demo: s.demo,
        })
        .collect())
}

/// What the audit has done to a station: its corrections in order, per month.
struct Audit {
    closed: HashSet<String>,
    /// Corrections per station and month (`YYYY-MM` of the hour's Beijing date).
    versions: HashMap<(String, String), i64>,
    /// The correction in effect per station, code and hour start (the latest one).
    latest: HashMap<(String, String, i64), CorrectionAction>,
}

impl Audit {
    fn load(app: &App, stations: &[Station]) -> AppResult<Audit> {
        let closed = app
            .store
            .closed_months()?
            .into_iter()
            .map(|m| m.month)
            .collect();
        let mut versions = HashMap::new();
        let mut latest = HashMap::new();
        for s in stations {
            // Newest first: the first seen per hour is the one in effect.
            for k in app.store.station_corrections(&s.id)? {
                let month = Month::of(cst::date_of(k.ts)).to_string();
                *versions.entry((s.id.clone(), month)).or_insert(0) += 1;
                latest
                    .entry((s.id.clone(), k.code.clone(), k.ts))
                    .or_insert(k.action);
            }
        }
        Ok(Audit {
            closed,
            versions,
            latest,
        })
    }

    fn status(&self, d: Date) -> Status {
        if self.closed.contains(&Month::of(d).to_string()) {
            Status::Audited
        } else {
            Status::Preliminary
        }
    }

    fn version(&self, station: &str, d: Date) -> i64 {
        self.versions
            .get(&(station.to_owned(), Month::of(d).to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// The flag of an hour: its correction in effect (a restore is none).
    fn hour_flag(&self, station: &str, code: &str, ts: i64) -> Option<&'static str> {
        match self
            .latest
            .get(&(station.to_owned(), code.to_owned(), ts))?
        {
            CorrectionAction::Correct => Some("corrected"),
            CorrectionAction::Invalidate => Some("invalidated"),
            CorrectionAction::Restore => None,
        }
    }
}

/// `YYYY-MM-DDTHH:MM:00+08:00` of a CST second.
fn iso_bj(cst_s: i64) -> String {
    format!(
        "{}:00+08:00",
        cst::format_minute(cst_s).replacen(' ', "T", 1)
    )
}

/// Checks a span for `kind` and returns its length in days.
fn check_span(kind: Kind, first: Date, last: Date) -> AppResult<i64> {
    let n = last.days_since_epoch() - first.days_since_epoch() + 1;
    let max = match kind {
        Kind::Hourly => HOURLY_SPAN_DAYS_MAX,
        Kind::Daily => DAILY_SPAN_DAYS_MAX,
    };
    if !(1..=max).contains(&n) {
        return Err(AppError::BadRequest(format!(
            "from {first} to {last}: {} 数据一次最多 {max} 天，且 from ≤ to / {} data: from ≤ to, at most {max} days per request (bulk files hold whole months)",
            kind.as_str(),
            kind.as_str()
        )));
    }
    Ok(n)
}

/// The open values of some published stations from `first` to `last` (Beijing days,
/// inclusive): per station, per time, per pollutant (in the order of `Pollutant::ALL`:
/// SO2, NO2, PM10, CO, O3, PM2.5).
pub fn values(
    app: &App,
    stations: &[Station],
    kind: Kind,
    first: Date,
    last: Date,
) -> AppResult<Vec<OpenValue>> {
    check_span(kind, first, last)?;
    let audit = Audit::load(app, stations)?;
    let mut out = Vec::new();
    for s in stations {
        // (time, pollutant index) → value, so rows come out in time order.
        let mut rows: BTreeMap<(i64, usize), OpenValue> = BTreeMap::new();
        for p in measured(s) {
            let code = p.hj212_code();
            let r = series::Request {
                station: s.id.clone(),
                pollutant: p,
                days: 1,
                from: Some(first),
                to: Some(last),
                view: View::Audited,
                daily: kind == Kind::Daily,
            };
            let row = |ts: i64, d: Date, time_bj: String, value, flag: Option<&str>| {
                (
                    (ts, p.index()),
                    OpenValue {
                        station_id: s.id.clone(),
                        station_name: s.name.clone(),
                        time_bj,
                        pollutant: p.name().to_owned(),
                        value,
                        unit: p.standard_unit().symbol().to_owned(),
                        status: audit.status(d),
                        audit_version: audit.version(&s.id, d),
                        flag: flag.map(str::to_owned),
                    },
                )
            };
            match series::series(app, &Caller::Public, &r)?.points {
                Points::Hours(hours) => {
                    for h in hours {
                        let flag = audit.hour_flag(&s.id, code, h.ts);
                        let (k, v) = row(
                            h.ts,
                            cst::date_of(h.ts),
                            iso_bj(h.ts + cst::HOUR_S),
                            Some(h.value),
                            flag,
                        );
                        rows.insert(k, v);
                    }
                    // Invalidated hours are absent from the audited series: listed, without
                    // a value, so that a reader sees the audit removed them.
                    let (from, to) = (cst::day_start(first), cst::day_start(last) + cst::DAY_S);
                    for ((station, c, ts), action) in &audit.latest {
                        if station == &s.id
                            && c == code
                            && (from..to).contains(ts)
                            && *action == CorrectionAction::Invalidate
                        {
                            let (k, v) = row(
                                *ts,
                                cst::date_of(*ts),
                                iso_bj(ts + cst::HOUR_S),
                                None,
                                Some("invalidated"),
                            );
                            rows.insert(k, v);
                        }
                    }
                }
                Points::Days(days) => {
                    for d in days.into_iter().filter(|d| d.n_observed > 0) {
                        let start = cst::day_start(d.date);
                        let touched = (0..24).any(|h| {
                            audit
                                .hour_flag(&s.id, code, start + h * cst::HOUR_S)
                                .is_some()
                        });
                        let (k, v) = row(
                            start,
                            d.date,
                            iso_bj(start),
                            d.value,
                            touched.then_some("corrected"),
                        );
                        rows.insert(k, v);
                    }
                }
            }
        }
        out.extend(rows.into_values());
    }
    Ok(out)
}

/// The values of one published station (`None`: every published station).
pub fn station_values(
    app: &App,
    station: Option<&str>,
    kind: Kind,
    first: Date,
    last: Date,
) -> AppResult<Vec<OpenValue>> {
    let stations = match station {
        Some(id) => vec![published_station(app, id)?],
        None => published(app)?,
    };
    values(app, &stations, kind, first, last)
}

/// Reason codes of corrections with their Chinese and English texts (the alarm page's
/// list, and two the import of older audits used).
pub const REASONS: [(&str, &str, &str); 9] = [
    ("instrument_fault", "仪器故障", "Instrument fault"),
    ("calibration", "校准", "Calibration"),
    ("maintenance", "维护", "Maintenance"),
    ("interference", "人为干扰", "Interference"),
    ("power_outage", "断电", "Power outage"),
    ("transmission", "传输故障", "Transmission fault"),
    ("dust", "沙尘", "Dust event"),
    ("outlier", "异常值", "Outlier"),
    ("other", "其他", "Other"),
];

/// One entry of the public changelog.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// When the correction was recorded, Beijing time (ISO, `+08:00`).
    pub at_bj: String,
    pub station_id: String,
    pub station_name: String,
    /// The hour corrected, by its end (as `time_bj` of the values).
    pub hour_bj: String,
    pub pollutant: String,
    pub unit: String,
    /// `correct`, `invalidate` or `restore`.
    pub action: CorrectionAction,
    /// The value before and after this correction (`null`: none, e.g. invalidated).
    pub before: Option<f64>,
    pub after: Option<f64>,
    pub reason_code: String,
    pub reason_zh: String,
    pub reason_en: String,
    /// The audit's rule set.
    pub rule_set: String,
    /// Who, as a role (never a person's account).
    pub by_role: String,
    pub by_role_zh: String,
    /// The station-month's audit version after this correction.
    pub audit_version: i64,
}

/// The corrections of published stations recorded from `from` to `to` (Beijing days of
/// the recording, inclusive), oldest first.
pub fn changelog(app: &App, from: Date, to: Date) -> AppResult<Vec<Change>> {
    check_span(Kind::Daily, from, to)?;
    let (lo, hi) = (
        cst::to_unix_ms(cst::day_start(from)),
        cst::to_unix_ms(cst::day_start(to) + cst::DAY_S),
    );
    let roles: HashMap<String, Role> = app
        .store
        .users()?
        .into_iter()
        .map(|(u, _)| (u.username, u.role))
        .collect();
    let mut out = Vec::new();
    for s in published(app)? {
        let mut all: Vec<Correction> = app.store.station_corrections(&s.id)?;
        // Oldest first: each hour's corrections apply in the order they were made.
        all.reverse();
        let mut current: HashMap<(String, i64), Option<f64>> = HashMap::new();
        let mut versions: HashMap<String, i64> = HashMap::new();
        for k in all {
            let Some(p) = Pollutant::parse(&k.code) else {
                continue;
            };
            let month = Month::of(cst::date_of(k.ts)).to_string();
            let version = versions.entry(month).or_insert(0);
            *version += 1;
            let key = (k.code.clone(), k.ts);
            let raw = || -> AppResult<Option<f64>> {
                Ok(app
                    .store
                    .hourly(&s.id, &k.code, k.ts, k.ts + cst::HOUR_S, View::Raw)?
                    .first()
                    .map(|h| h.value))
            };
            let before = match current.get(&key) {
                Some(v) => *v,
                None => raw()?,
            };
            let after = match k.action {
                CorrectionAction::Correct => k.value,
                CorrectionAction::Invalidate => None,
                CorrectionAction::Restore => raw()?,
            };
            current.insert(key, after);
            if !(lo..hi).contains(&k.at_ms) {
                continue;
            }
            let (reason_zh, reason_en) =
                REASONS.iter().find(|(c, _, _)| *c == k.reason_code).map_or(
                    (k.reason_code.as_str(), k.reason_code.as_str()),
                    |(_, z, e)| (z, e),
                );
            let role = roles.get(&k.who).copied().unwrap_or(Role::Bureau);
            out.push(Change {
                at_bj: iso_bj(cst::from_unix_ms(k.at_ms)),
                station_id: s.id.clone(),
                station_name: s.name.clone(),
                hour_bj: iso_bj(k.ts + cst::HOUR_S),
                pollutant: p.name().to_owned(),
                unit: p.standard_unit().symbol().to_owned(),
                action: k.action,
                before: before.and_then(|v| concentration(p, v)),
                after: after.and_then(|v| concentration(p, v)),
                reason_zh: reason_zh.to_owned(),
                reason_en: reason_en.to_owned(),
                reason_code: k.reason_code,
                rule_set: k.rule_set,
                by_role: role.as_str().to_owned(),
                by_role_zh: role.name_zh().to_owned(),
                audit_version: *version,
            });
        }
    }
    out.sort_by(|a, b| a.at_bj.cmp(&b.at_bj).then(a.station_id.cmp(&b.station_id)));
    Ok(out)
}

/// The licence as stored in the setting [`LICENCE_SETTING`] (every field optional; the
/// county's default fills the rest).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LicenceSetting {
    pub name: Option<String>,
    pub url: Option<String>,
    pub attribution_zh: Option<String>,
    pub attribution_en: Option<String>,
}

/// The data's licence.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Licence {
    /// E.g. `CC BY 4.0`.
    pub name: String,
    pub url: String,
    /// What a user of the data must say, naming the county's bureau.
    pub attribution_zh: String,
    pub attribution_en: String,
    /// The demonstration stations' data and their own licence, when any is published.
    pub demo: Option<DemoLicence>,
}

/// The UCI Beijing data of the demonstration stations keep their licence and attribution.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DemoLicence {
    pub stations: Vec<String>,
    pub name: &'static str,
    pub url: &'static str,
    pub attribution: &'static str,
}

const CC_BY_4: &str = "CC BY 4.0";
const CC_BY_4_URL: &str = "https://creativecommons.org/licenses/by/4.0/";

/// The county's licence for its open data: the setting, else CC BY 4.0 attributed to the
/// county's bureau.
pub fn licence(app: &App) -> AppResult<Licence> {
    let set: LicenceSetting = match app.store.setting(LICENCE_SETTING)? {
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| AppError::Internal(format!("setting {LICENCE_SETTING}: {e}")))?,
        None => LicenceSetting::default(),
    };
    let p = &app.county.profile;
    // "辛集市" + "市生态环境局" reads "辛集市生态环境局".
    let bureau = match (p.name_zh.chars().last(), p.bureau.chars().next()) {
        (Some(a), Some(b)) if a == b => format!("{}{}", p.name_zh, &p.bureau[b.len_utf8()..]),
        _ => format!("{}{}", p.name_zh, p.bureau),
    };
    let demo: Vec<String> = published(app)?
        .into_iter()
        .filter(|s| s.demo)
        .map(|s| s.id)
        .collect();
    Ok(Licence {
        name: set.name.unwrap_or_else(|| CC_BY_4.to_owned()),
        url: set.url.unwrap_or_else(|| CC_BY_4_URL.to_owned()),
        attribution_zh: set
            .attribution_zh
            .unwrap_or_else(|| format!("数据来源：{bureau}")),
        attribution_en: set
            .attribution_en
            .unwrap_or_else(|| format!("Source: Ecology and Environment Bureau of {}", p.name_en)),
        demo: (!demo.is_empty()).then_some(DemoLicence {
            stations: demo,
            name: CC_BY_4,
            url: CC_BY_4_URL,
            attribution: "Beijing Multi-Site Air-Quality Data, Song Xi Chen, UCI Machine Learning Repository (dataset 501), CC BY 4.0; Zhang et al. 2017, Proc. R. Soc. A 473: 20170457",
        }),
    })
}

/// Sets the county's licence (the bureau, administrators; audited): the fields given
/// replace the default's, an empty one is refused.
pub fn set_licence(app: &App, caller: &Caller, set: LicenceSetting) -> AppResult<Licence> {
    app.allow(
        caller,
        "open_data.licence",
        LICENCE_SETTING,
        caller.require_role(policy::MANAGE),
    )?;
    for (field, v) in [
        ("name", &set.name),
        ("url", &set.url),
        ("attribution_zh", &set.attribution_zh),
        ("attribution_en", &set.attribution_en),
    ] {
        if v.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(AppError::BadRequest(format!(
                "{field}: 不能为空（不填则用默认值）/ must not be empty (leave it out for the default)"
            )));
        }
    }
    if let Some(url) = set.url.as_deref()
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        return Err(AppError::BadRequest(format!(
            "url: 须以 https:// 或 http:// 开头 / must start with https:// or http:// ({url:?})"
        )));
    }
    let text = serde_json::to_string(&set).map_err(|e| AppError::Internal(e.to_string()))?;
    app.audited(caller, "open_data.licence", LICENCE_SETTING, &text, || {
        Ok(app.store.set_setting(LICENCE_SETTING, &text)?)
    })?;
    licence(app)
}

/// The enterprises that publish their self-monitoring data (plan §9(三)): id and name,
/// for the portal's list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OpenEnterprise {
    pub id: String,
    pub name: String,
    pub unit: Option<String>,
    pub outlets: Vec<String>,
}

/// The enterprises whose monitoring the public reads.
pub fn enterprises(app: &App) -> AppResult<Vec<OpenEnterprise>> {
    Ok(crate::sources::list(app, &Caller::Public)?
        .into_iter()
        .filter(|e| e.enterprise.discloses)
        .map(|e| OpenEnterprise {
            outlets: e.outlets.iter().map(|o| o.id.clone()).collect(),
            id: e.enterprise.id,
            name: e.enterprise.name,
            unit: e.unit_name,
        })
        .collect())
}
