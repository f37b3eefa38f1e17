//! The map's reads and its one setting (docs/ui.md "Map and rankings"): the hours of the
//! last days at every station and township, for the map's time slider and its township
//! shading by a chosen indicator, with the AQI legend; and the base-map tile URL, a setting
//! of the deployment (`ui_tile_url`; none: the vector layer only, as offline deployments run).

use crate::caller::policy;
use crate::data::{self, Hours};
use crate::error::{AppError, AppResult};
use crate::present;
use crate::stations::StationView;
use crate::{App, Caller};
use lantian_core::aqi::{Lang, Level};
use lantian_core::cst;
use lantian_core::org::UnitKind;
use lantian_core::pollutant::Pollutant;
use lantian_store::{Station, View};
use serde::Serialize;
use std::collections::BTreeMap;

/// The settings key of the base-map tile URL (agreed with the admin console's settings).
pub const TILE_URL_SETTING: &str = "ui_tile_url";
/// The settings key of the base map's attribution (its licence's credit line).
pub const TILE_ATTRIBUTION_SETTING: &str = "ui_tile_attribution";
/// Longest tile URL accepted.
pub const TILE_URL_CHARS_MAX: usize = 500;
/// Days the map's time slider covers at most, and by default.
pub const MAP_DAYS_MAX: usize = 7;
pub const MAP_DAYS_DEFAULT: usize = 3;

/// What the UI needs to know of this deployment beyond the county profile.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UiConfig {
    /// A Leaflet tile URL template (`{z}`, `{x}`, `{y}`, optionally `{s}`), or none: the
    /// map then shows the vector layer only.
    pub tile_url: Option<String>,
    pub tile_attribution: Option<String>,
}

/// The UI's configuration (public: the map of the public shows the base map too).
pub fn ui_config(app: &App) -> AppResult<UiConfig> {
    Ok(UiConfig {
        tile_url: app
            .store
            .setting(TILE_URL_SETTING)?
            .filter(|s| !s.is_empty()),
        tile_attribution: app
            .store
            .setting(TILE_ATTRIBUTION_SETTING)?
            .filter(|s| !s.is_empty()),
    })
}

/// A tile URL the map can use: a path of this site (`/tiles/{z}/{x}/{y}.png`, a reverse
/// proxy's or an offline tile set's), or an `http(s)` URL without credentials, with the
/// `{z}`, `{x}` and `{y}` placeholders; the empty text removes the base map.
pub fn check_tile_url(url: &str) -> AppResult<()> {
    let bad = |why: &str| Err(AppError::BadRequest(format!("底图瓦片地址 {url:?}：{why}")));
    if url.is_empty() {
        return Ok(());
    }
    if url.chars().count() > TILE_URL_CHARS_MAX {
        return bad(&format!(
            "超过 {TILE_URL_CHARS_MAX} 个字符 / longer than {TILE_URL_CHARS_MAX} characters"
        ));
    }
    if url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '\'')
    {
        return bad("含空白或引号 / contains white space or quotes");
    }
    let rest = if let Some(r) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    {
        let host = r.split('/').next().unwrap_or_default();
        if !host_ok(host) {
            return bad(
                "主机名须为域名或 IP（可带 {s}. 前缀和端口），不含用户名密码 / the host must be a name or address (optionally with a {s}. prefix and a port), without credentials",
            );
        }
        r
    } else if url.starts_with('/') && !url.starts_with("//") {
        url
    } else {
        return bad("须以 https://、http:// 或 / 开头 / must start with https://, http:// or /");
    };
    for p in ["{z}", "{x}", "{y}"] {
        if !rest.contains(p) {
            return bad(&format!("缺少 {p} / lacks {p}"));
        }
    }
    Ok(())
}

/// A tile host the content security policy may name: letters, digits, `.` and `-`, `{s}`
/// (Leaflet's subdomain) only in the first label, an optional `:port`; nothing (`;`, `,`,
/// `*`, `@`, quotes) that could change the policy's meaning.
fn host_ok(host: &str) -> bool {
    let (name, port) = host.split_once(':').unwrap_or((host, ""));
    let (first, rest) = name.split_once('.').unwrap_or((name, ""));
    let first = first.replace("{s}", "s");
    !first.is_empty()
        && format!("{first}.{rest}")
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && (port.is_empty() || port.parse::<u16>().is_ok_and(|p| p > 0))
}

/// The origin (`https://host:port`) of an absolute tile URL, for the pages' content
/// security policy; `{s}` subdomains become a wildcard (`https://*.tile.example`).
pub fn tile_origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next()?;
    if !host_ok(host) {
        return None;
    }
    // A first label with `{s}` (`{s}.tile.example`, `t{s}.tianditu.gov.cn`) is any subdomain.
    let host = match host.split_once('.') {
        Some((first, rest)) if first.contains("{s}") => format!("*.{rest}"),
        _ => host.to_owned(),
    };
    Some(format!("{scheme}://{host}"))
}

/// Sets the base-map tile URL and its attribution (the bureau, administrators; audited);
/// empty texts remove them.
pub fn set_tile_url(
    app: &App,
    caller: &Caller,
    url: &str,
    attribution: &str,
) -> AppResult<UiConfig> {
    app.allow(
        caller,
        "settings.ui_tile_url",
        TILE_URL_SETTING,
        caller.require_role(policy::MANAGE).map(|_| ()),
    )?;
    let (url, attribution) = (url.trim(), attribution.trim());
    check_tile_url(url)?;
    if attribution.chars().count() > TILE_URL_CHARS_MAX {
        return Err(AppError::BadRequest(format!(
            "底图署名超过 {TILE_URL_CHARS_MAX} 个字符 / the attribution is longer than {TILE_URL_CHARS_MAX} characters"
        )));
    }
    let detail = format!("{url} | {attribution}");
    app.audited(
        caller,
        "settings.ui_tile_url",
        TILE_URL_SETTING,
        &detail,
        || {
            app.store.set_setting(TILE_URL_SETTING, url)?;
            Ok(app
                .store
                .set_setting(TILE_ATTRIBUTION_SETTING, attribution)?)
        },
    )?;
    ui_config(app)
}

/// The indicators the map shades by: the AQI and the six pollutants' 1-hour values.
pub const INDICATORS: [&str; 7] = ["aqi", "pm25", "pm10", "o3", "no2", "so2", "co"];

/// A series of hours of one place per indicator: the values and their AQI level (1–6; for a
/// pollutant, the level of its IAQI), `None` where missing.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PlaceSeries {
    pub values: BTreeMap<&'static str, Vec<Option<f64>>>,
    pub levels: BTreeMap<&'static str, Vec<Option<u8>>>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MapStation {
    #[serde(flatten)]
    pub station: StationView,
    /// Only for a station whose data the caller sees.
    pub series: Option<PlaceSeries>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MapUnit {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub kind: UnitKind,
    /// The unit's stations (micro sensors excepted) whose data the caller sees…
    pub stations: usize,
    /// …of all its stations (micro sensors excepted): the others' data are not public.
    pub stations_total: usize,
    /// The mean of those stations' values each hour, and its AQI; none without a station.
    pub series: Option<PlaceSeries>,
}

/// An AQI level of the legend.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LegendLevel {
    pub level: u8,
    pub from: u16,
    pub to: Option<u16>,
    pub category: &'static str,
    pub colour: String,
}

/// The last days' hours of the map.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MapHours {
    /// Each hour as labelled (its end), Beijing time: `YYYY-MM-DD HH:00`.
    pub hours: Vec<String>,
    pub indicators: [&'static str; 7],
    pub stations: Vec<MapStation>,
    pub units: Vec<MapUnit>,
    pub legend: Vec<LegendLevel>,
    pub view: View,
}

const LEVEL_FROM: [(u16, Option<u16>); 6] = [
    (0, Some(50)),
    (51, Some(100)),
    (101, Some(150)),
    (151, Some(200)),
    (201, Some(300)),
    (301, None),
];

fn legend(lang: Lang) -> Vec<LegendLevel> {
    LEVEL_FROM
        .iter()
        .map(|&(from, to)| {
            let l = Level::from_aqi(from);
            LegendLevel {
                level: l.number(),
                from,
                to,
                category: l.category(lang),
                colour: l.hex(),
            }
        })
        .collect()
}

/// One hour's place values (means over stations) into the series: the AQI and each
/// pollutant with its IAQI's level.
fn push_hour(out: &mut PlaceSeries, start: i64, hour: [Option<f64>; 6]) {
    let date = cst::date_of(start);
    let r = data::hour_aqi(date, hour);
    out.values
        .entry("aqi")
        .or_default()
        .push(r.aqi.map(f64::from));
    out.levels
        .entry("aqi")
        .or_default()
        .push(r.level().map(Level::number));
    for p in Pollutant::ALL {
        let v = hour[p.index()];
        // The pollutant's own IAQI of the hour (none under HJ 633-2012 for PM, whose
        // real-time IAQI rests on 24-hour means).
        let level = r.pollutant_iaqi(p).map(|i| Level::from_aqi(i).number());
        out.values
            .entry(p.key())
            .or_default()
            .push(v.and_then(|v| present::concentration(p, v)));
        out.levels.entry(p.key()).or_default().push(level);
    }
}

/// The series of a group of stations over `starts` (hour starts): each hour, the mean of
/// their valid values per pollutant (`window`: per station, per pollutant, per hour).
fn series_of(window: &[[Vec<f64>; 6]], members: &[usize], starts: &[i64]) -> PlaceSeries {
    let mut out = PlaceSeries::default();
    for (i, &start) in starts.iter().enumerate() {
        let mut mean = [None; 6];
        for p in Pollutant::ALL {
            let vals: Vec<f64> = members
                .iter()
                .filter_map(|&m| window[m][p.index()].get(i).copied())
                .filter(|v| !v.is_nan())
                .collect();
            if !vals.is_empty() {
                mean[p.index()] = Some(vals.iter().sum::<f64>() / vals.len() as f64);
            }
        }
        push_hour(&mut out, start, mean);
    }
    out
}

/// The hours of the last `days` days (1–[`MAP_DAYS_MAX`]) up to the latest hour with data
/// at a station the caller sees (else the current hour): each station's (for who sees its
/// data) and each town's, township's and zone's (the mean of its visible stations), raw
/// real-time data by default.
pub fn map_hours(
    app: &App,
    caller: &Caller,
    days: usize,
    view: View,
    lang: Lang,
) -> AppResult<MapHours> {
    if !(1..=MAP_DAYS_MAX).contains(&days) {
        return Err(AppError::BadRequest(format!(
            "days={days}：须为 1 至 {MAP_DAYS_MAX} / must be 1 to {MAP_DAYS_MAX}"
        )));
    }
    let all: Vec<Station> = (app.store.stations()?.into_iter())
        .filter(|s| s.role.is_ambient())
        .collect();
    let visible: Vec<Station> = all
        .iter()
        .filter(|s| policy::sees_station_data(caller, s.role, s.admin_unit_id.as_deref()))
        .cloned()
        .collect();
    let end = match data::latest_hour(app, &visible, view)? {
        Some((ts, _)) => ts,
        None => cst::hour_start(app.clock.now_cst()),
    };
    let first_start = end - (days as i64 * 24 - 1) * cst::HOUR_S;
    let first = cst::date_of(first_start);
    let n_days = (cst::date_of(end).days_since_epoch() - first.days_since_epoch() + 1) as usize;
    let hours = Hours::load(app, visible.clone(), first, n_days, view)?;
    let skip = ((first_start - cst::day_start(first)) / cst::HOUR_S) as usize;
    let starts: Vec<i64> = (0..days * 24)
        .map(|i| first_start + i as i64 * cst::HOUR_S)
        .collect();
    // The loaded series start at the first day's midnight: cut them to the window.
    let window: Vec<[Vec<f64>; 6]> = hours
        .series
        .iter()
        .map(|s| {
            s.values.clone().map(|mut v| {
                v.drain(..skip.min(v.len()));
                v.resize(starts.len(), f64::NAN);
                v
            })
        })
        .collect();
    let stations = all
        .iter()
        .map(|s| MapStation {
            station: crate::stations::view(caller, s),
            series: visible
                .iter()
                .position(|v| v.id == s.id)
                .map(|i| series_of(&window, &[i], &starts)),
        })
        .collect();
    let units = app
        .county
        .units
        .iter()
        .map(|u| {
            let members: Vec<usize> = (0..visible.len())
                .filter(|&i| {
                    let s = &visible[i];
                    s.admin_unit_id.as_deref() == Some(u.id.as_str())
                        && s.role != lantian_core::series::StationRole::Micro
                })
                .collect();
            let total = all
                .iter()
                .filter(|s| {
                    s.admin_unit_id.as_deref() == Some(u.id.as_str())
                        && s.role != lantian_core::series::StationRole::Micro
                })
                .count();
            MapUnit {
                stations_total: total,
                id: u.id.clone(),
                name_zh: u.name_zh.clone(),
                name_en: u.name_en.clone(),
                kind: u.kind,
                stations: members.len(),
                series: (!members.is_empty()).then(|| series_of(&window, &members, &starts)),
            }
        })
        .collect();
    Ok(MapHours {
        hours: starts
            .iter()
            .map(|&s| present::hour_label_text(s))
            .collect(),
        indicators: INDICATORS,
        stations,
        units,
        legend: legend(lang),
        view,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_urls_need_placeholders_a_known_scheme_and_no_credentials() {
        let cases = [
            ("", true),
            ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", true),
            ("http://10.0.0.5:8080/tiles/{z}/{x}/{y}.png", true),
            ("/tiles/{z}/{x}/{y}.png", true),
            (
                "https://t0.tianditu.gov.cn/vec_w/wmts?tk=KEY&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}",
                true,
            ),
            ("https://tiles.example/{z}/{x}.png", false),
            ("ftp://tiles.example/{z}/{x}/{y}.png", false),
            ("//tiles.example/{z}/{x}/{y}.png", false),
            ("javascript:alert(1)//{z}{x}{y}", false),
            ("https://user:pw@tiles.example/{z}/{x}/{y}.png", false),
            ("https://tiles.example/{z}/{x}/{y}.png\" onerror=\"x", false),
            ("https:///{z}/{x}/{y}", false),
            // Nothing that could change the content security policy it goes into.
            ("https://x;sandbox/{z}/{x}/{y}.png", false),
            ("https://*/{z}/{x}/{y}.png", false),
            ("https://a.example,https://b.example/{z}/{x}/{y}.png", false),
            ("https://tiles.example:99999/{z}/{x}/{y}.png", false),
            ("https://t{s}.tianditu.gov.cn/{z}/{x}/{y}", true),
        ];
        for (url, ok) in cases {
            assert_eq!(check_tile_url(url).is_ok(), ok, "{url}");
        }
    }

    #[test]
    fn tile_origins_are_scheme_and_host_with_subdomains_as_a_wildcard() {
        let cases = [
            (
                "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png",
                Some("https://*.tile.openstreetmap.org"),
            ),
            (
                "http://10.0.0.5:8080/tiles/{z}/{x}/{y}.png",
                Some("http://10.0.0.5:8080"),
            ),
            ("/tiles/{z}/{x}/{y}.png", None),
            (
                "https://t{s}.tianditu.gov.cn/{z}/{x}/{y}",
                Some("https://*.tianditu.gov.cn"),
            ),
            ("https://x;sandbox/{z}/{x}/{y}.png", None),
        ];
        for (url, origin) in cases {
            assert_eq!(tile_origin(url).as_deref(), origin, "{url}");
        }
    }

    #[test]
    fn the_legend_has_the_six_official_levels_and_colours() {
        let l = legend(Lang::Zh);
        let got: Vec<(u16, String, &str)> = l
            .iter()
            .map(|x| (x.from, x.colour.clone(), x.category))
            .collect();
        assert_eq!(
            got,
            [
                (0, "#00E400".to_owned(), "优"),
                (51, "#FFFF00".to_owned(), "良"),
                (101, "#FF7E00".to_owned(), "轻度污染"),
                (151, "#FF0000".to_owned(), "中度污染"),
                (201, "#99004C".to_owned(), "重度污染"),
                (301, "#7E0023".to_owned(), "严重污染"),
            ]
        );
    }
}
