//! Reverse control (issue 22, docs/reverse-control.md): operators' commands to devices
//! (time, intervals, calibration, sampling, sample retention, parameters, history requests)
//! queued in the store's command log for the gateway the device is connected to, the log
//! with the devices' answers, each device's control overview (online, clock drift, gaps
//! asked for and records received) and the periods marked as back-filled.
//!
//! Who may: the administrator and the bureau for every device; an operations contractor for
//! the devices of the stations it operates (its unit is the station's contractor). Queuing
//! is audited.

use crate::App;
use crate::caller::{Account, Caller};
use crate::error::{AppError, AppResult};
use crate::stations::DeviceStatus;
use lantian_core::cst;
use lantian_core::org::Role;
use lantian_store::device_commands::{
    BackfillMark, CommandFilter, CommandRow, CommandState, ORIGIN_BACKFILL, ORIGIN_OPERATOR,
    ORIGIN_TIME_SYNC,
};
use lantian_store::{Page, Paged};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A queued command waits this long for its device by default.
pub const EXPIRY_H_DEFAULT: i64 = 24;
/// … and at most this long.
pub const EXPIRY_H_MAX: i64 = 7 * 24;
/// `RtdInterval` (s) and `MinInterval` (min) the standard allows (HJ 212-2017 §6.3).
pub const RTD_INTERVAL_S: std::ops::RangeInclusive<u32> = 30..=3600;
pub const MIN_INTERVALS_MIN: [u32; 11] = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30];
/// Span of an operator's history request at most, per period (records: 7 days of hours,
/// one day of minutes, 90 days).
pub const HISTORY_SPAN_S_MAX: [(&str, i64); 3] = [
    ("hour", 7 * cst::DAY_S),
    ("min", cst::DAY_S),
    ("day", 90 * cst::DAY_S),
];

/// What an operator asks a device to do.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Order {
    /// 1011: read the logger's clock.
    GetTime,
    /// 1012: set the logger's clock to Beijing time (taken when the command is sent).
    SetTime,
    /// 1061 / 1062: the real-time data interval (30–3600 s).
    GetRtdInterval,
    SetRtdInterval {
        seconds: u32,
    },
    /// 1063 / 1064: the minute-data interval (1, 2, 3, 4, 5, 6, 10, 12, 15, 20 or 30 min).
    GetMinInterval,
    SetMinInterval {
        minutes: u32,
    },
    /// 3011: zero / span calibration of an instrument.
    Calibrate {
        pol_id: String,
    },
    /// 3012: take a sample now.
    Sample {
        pol_id: String,
    },
    /// 3015: keep an over-limit sample.
    Retain {
        pol_id: Option<String>,
    },
    /// 3020: read an instrument's information (optionally one item).
    GetInfo {
        pol_id: String,
        info_id: Option<String>,
    },
    /// 3021: set an instrument's parameter.
    SetParam {
        pol_id: String,
        info_id: String,
        value: String,
    },
    /// 2061 / 2051 / 2031: ask for history between two Beijing times (`YYYY-MM-DD HH:MM`).
    History {
        period: String,
        begin: String,
        end: String,
    },
}

/// A code sent to a device (`PolId`, `InfoId`, a parameter's value): letters, digits and
/// `-`, `.`, at most 24 characters (nothing that could break the CP area).
fn code(what: &str, v: &str) -> AppResult<String> {
    let v = v.trim();
    let ok = !v.is_empty()
        && v.len() <= 24
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if ok {
        Ok(v.to_owned())
    } else {
        Err(AppError::BadRequest(format!(
            "{what} {v:?}：只能是 1–24 个字母、数字、“-”或“.” / {what} {v:?} must be 1–24 letters, digits, '-' or '.'"
        )))
    }
}

/// The command as the gateway sends it: CN, CP content, and for a history request its
/// period, span (CST seconds) and the records expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded {
    pub cn: i64,
    pub params: String,
    pub history: Option<(String, i64, i64, i64)>,
}

/// The command number and CP content of `o`, checked against the standard's ranges;
/// `min_interval_min` is the station's minute interval (records expected of a 2051).
pub fn encode(o: &Order, min_interval_min: i64) -> AppResult<Encoded> {
    let simple = |cn: i64, params: String| Encoded {
        cn,
        params,
        history: None,
    };
    Ok(match o {
        Order::GetTime => simple(1011, String::new()),
        Order::SetTime => simple(1012, String::new()),
        Order::GetRtdInterval => simple(1061, String::new()),
        Order::SetRtdInterval { seconds } => {
            if !RTD_INTERVAL_S.contains(seconds) {
                return Err(AppError::BadRequest(format!(
                    "实时数据间隔 {seconds} 秒超出 30–3600 秒 / RtdInterval {seconds} s is outside 30–3600 s (HJ 212-2017 §6.3)"
                )));
            }
            simple(1062, format!("RtdInterval={seconds}"))
        }
        Order::GetMinInterval => simple(1063, String::new()),
        Order::SetMinInterval { minutes } => {
            if !MIN_INTERVALS_MIN.contains(minutes) {
                return Err(AppError::BadRequest(format!(
                    "分钟数据间隔 {minutes} 分钟不是 1、2、3、4、5、6、10、12、15、20、30 之一 / MinInterval {minutes} min is not one of 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 (HJ 212-2017 §6.3)"
                )));
            }
            simple(1064, format!("MinInterval={minutes}"))
        }
        Order::Calibrate { pol_id } => simple(3011, format!("PolId={}", code("PolId", pol_id)?)),
        Order::Sample { pol_id } => simple(3012, format!("PolId={}", code("PolId", pol_id)?)),
        Order::Retain { pol_id } => match pol_id.as_deref().map(str::trim) {
            Some(p) if !p.is_empty() => simple(3015, format!("PolId={}", code("PolId", p)?)),
            _ => simple(3015, String::new()),
        },
        Order::GetInfo { pol_id, info_id } => {
            let mut cp = format!("PolId={}", code("PolId", pol_id)?);
            if let Some(i) = info_id.as_deref().filter(|i| !i.trim().is_empty()) {
                cp += &format!(";InfoId={}", code("InfoId", i)?);
            }
            simple(3020, cp)
        }
        Order::SetParam {
            pol_id,
            info_id,
            value,
        } => simple(
            3021,
            format!(
                "PolId={};{}-Info={}",
                code("PolId", pol_id)?,
                code("InfoId", info_id)?,
                code("value", value)?
            ),
        ),
        Order::History { period, begin, end } => {
            let (cn, step) = match period.as_str() {
                "hour" => (2061, cst::HOUR_S),
                "min" => (2051, min_interval_min.max(1) * cst::MINUTE_S),
                "day" => (2031, cst::DAY_S),
                other => {
                    return Err(AppError::BadRequest(format!(
                        "周期 {other:?} 不是 hour、min、day 之一 / period {other:?} is not hour, min or day"
                    )));
                }
            };
            let parse = |what: &str, t: &str| {
                cst::parse_minute(t.trim()).ok_or_else(|| {
                    AppError::BadRequest(format!(
                        "{what} {t:?} 不是北京时间 YYYY-MM-DD HH:MM / {what} {t:?} is not a Beijing time YYYY-MM-DD HH:MM"
                    ))
                })
            };
            let (b, e) = (parse("BeginTime", begin)?, parse("EndTime", end)?);
            let (b, e) = (
                b - b.rem_euclid(step.min(cst::DAY_S)),
                e - e.rem_euclid(step.min(cst::DAY_S)),
            );
            let span_max = HISTORY_SPAN_S_MAX
                .iter()
                .find(|(p, _)| p == period)
                .map_or(cst::DAY_S, |(_, s)| *s);
            if e < b || e - b > span_max {
                return Err(AppError::BadRequest(format!(
                    "时段 {begin} 至 {end} 无效：结束须不早于开始，且不超过 {} 小时 / span {begin} to {end}: the end must not be before the beginning and the span at most {} h",
                    span_max / 3600,
                    span_max / 3600
                )));
            }
            let n14 = |s: i64| {
                let d = cst::date_of(s);
                let r = s.rem_euclid(cst::DAY_S);
                format!(
                    "{:04}{:02}{:02}{:02}{:02}{:02}",
                    d.year(),
                    d.month(),
                    d.day(),
                    r / 3600,
                    r / 60 % 60,
                    r % 60
                )
            };
            Encoded {
                cn,
                params: format!("BeginTime={};EndTime={}", n14(b), n14(e)),
                history: Some((period.clone(), b, e, (e - b) / step + 1)),
            }
        }
    })
}

/// Whether `caller` may send commands to (and see the control of) a device of a station
/// operated by `contractor`: the administrator, the bureau, or the contractor itself.
pub fn may_control<'a>(caller: &'a Caller, contractor: Option<&str>) -> AppResult<&'a Account> {
    let a = caller.require()?;
    match a.role {
        Role::Admin | Role::Bureau => Ok(a),
        Role::Operations if a.unit_id.is_some() && a.unit_id.as_deref() == contractor => Ok(a),
        Role::Operations => Err(AppError::Forbidden(
            "运维单位只能反控其运维站点的设备 / an operations contractor may control only the devices of the stations it operates".to_owned(),
        )),
        _ => Err(AppError::Forbidden(format!(
            "角色“{}”无权反控设备 / role {} may not control devices",
            a.role.name_zh(),
            a.role
        ))),
    }
}

/// Whether `caller`'s role may control devices at all (which devices: [`may_control`]).
fn controls_devices(caller: &Caller) -> AppResult<&Account> {
    let a = caller.require()?;
    match a.role {
        Role::Admin | Role::Bureau | Role::Operations => Ok(a),
        _ => may_control(caller, None),
    }
}

/// One command of the log, for people: times in Beijing time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CommandView {
    #[serde(flatten)]
    pub row: CommandRow,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub state_zh: &'static str,
    /// Beijing time, `YYYY-MM-DD HH:MM`.
    pub created: String,
    pub sent: Option<String>,
    pub finished: Option<String>,
    pub expires: String,
    /// A history request's span, Beijing time.
    pub begin: Option<String>,
    pub end: Option<String>,
}

/// A command number's name (Chinese, English).
pub fn command_name(cn: i64) -> (&'static str, &'static str) {
    match cn {
        1011 => ("提取现场机时间", "get the logger's time"),
        1012 => ("设置现场机时间", "set the logger's time"),
        1061 => ("提取实时数据间隔", "get the real-time interval"),
        1062 => ("设置实时数据间隔", "set the real-time interval"),
        1063 => ("提取分钟数据间隔", "get the minute-data interval"),
        1064 => ("设置分钟数据间隔", "set the minute-data interval"),
        2031 => ("补传日数据", "daily history request"),
        2051 => ("补传分钟数据", "minute history request"),
        2061 => ("补传小时数据", "hourly history request"),
        3011 => ("零点/量程校准", "zero/span calibration"),
        3012 => ("即时采样", "immediate sampling"),
        3015 => ("超标留样", "sample retention"),
        3020 => ("提取现场机信息", "get the logger's information"),
        3021 => ("设置现场机参数", "set the logger's parameters"),
        _ => ("其他命令", "other command"),
    }
}

fn state_zh(s: CommandState) -> &'static str {
    match s {
        CommandState::Queued => "排队中",
        CommandState::Sent => "已发送",
        CommandState::Ready => "执行中",
        CommandState::Refused => "被拒绝",
        CommandState::Done => "已完成",
        CommandState::Failed => "执行失败",
        CommandState::Timeout => "超时",
        CommandState::Expired => "已过期",
        CommandState::Cancelled => "已取消",
    }
}

pub fn view(row: CommandRow) -> CommandView {
    let (name_zh, name_en) = command_name(row.cn);
    CommandView {
        name_zh,
        name_en,
        state_zh: state_zh(row.state),
        created: cst::format_unix_ms(row.created_ms),
        sent: row.sent_ms.map(cst::format_unix_ms),
        finished: row.finished_ms.map(cst::format_unix_ms),
        expires: cst::format_unix_ms(row.expires_ms),
        begin: row.begin_ts.map(cst::format_minute),
        end: row.end_ts.map(cst::format_minute),
        row,
    }
}

/// The station of device `mn` and its contractor, after checking `caller` may control it
/// (a refusal audited as `denied.ACT`).
fn device_for(app: &App, caller: &Caller, act: &str, mn: &str) -> AppResult<(String, i64)> {
    app.allow(caller, act, mn, controls_devices(caller).map(drop))?;
    let device = app
        .store
        .device(mn)?
        .ok_or_else(|| AppError::NotFound(format!("设备 {mn} 未登记 / no device {mn}")))?;
    let contractor = app.store.station_contractor(&device.station_id)?;
    app.allow(
        caller,
        act,
        mn,
        may_control(caller, contractor.as_deref()).map(drop),
    )?;
    let min_interval = app
        .store
        .station(&device.station_id)?
        .map_or(1, |s| s.min_interval_min);
    Ok((device.station_id, min_interval))
}

/// Queues `order` for device `mn` (audited `device.command`); it waits `expires_h` hours
/// (default 24, at most 168) for the device to be connected.
pub fn queue(
    app: &App,
    caller: &Caller,
    mn: &str,
    order: &Order,
    expires_h: Option<i64>,
) -> AppResult<CommandView> {
    let (station, min_interval) = device_for(app, caller, "device.command", mn)?;
    let e = encode(order, min_interval)?;
    let hours = expires_h.unwrap_or(EXPIRY_H_DEFAULT);
    if !(1..=EXPIRY_H_MAX).contains(&hours) {
        return Err(AppError::BadRequest(format!(
            "有效期 {hours} 小时超出 1–{EXPIRY_H_MAX} 小时 / expiry {hours} h is outside 1–{EXPIRY_H_MAX} h"
        )));
    }
    let now = app.clock.now_ms();
    let mut row = CommandRow::new(
        mn,
        &station,
        e.cn,
        &e.params,
        ORIGIN_OPERATOR,
        caller.name(),
        now,
        now + hours * 3_600_000,
    );
    if let Some((period, b, end, n)) = e.history {
        row.period = Some(period);
        row.begin_ts = Some(b);
        row.end_ts = Some(end);
        row.records_expected = Some(n);
    }
    let detail = format!("CN={} {}", e.cn, e.params);
    let row = app.audited(caller, "device.command", mn, &detail, || {
        Ok(app.store.insert_device_command(&row)?)
    })?;
    Ok(view(row))
}

/// Cancels a queued command (audited `device.command.cancel`): who may command the device
/// may withdraw it until a gateway has sent it; after that the answer is a 409 naming its
/// state.
pub fn cancel(app: &App, caller: &Caller, id: i64) -> AppResult<CommandView> {
    app.allow(
        caller,
        "device.command.cancel",
        &id.to_string(),
        controls_devices(caller).map(drop),
    )?;
    let row = app.store.device_command(id)?;
    device_for(app, caller, "device.command.cancel", &row.mn)?;
    let now = app.clock.now_ms();
    let detail = format!("CN={} {}", row.cn, row.params);
    let cancelled = app.audited(caller, "device.command.cancel", &row.mn, &detail, || {
        Ok(app.store.cancel_device_command(id, caller.name(), now)?)
    })?;
    let row = app.store.device_command(id)?;
    if !cancelled {
        return Err(AppError::Conflict(format!(
            "命令 {id} 已是“{}”，只能取消排队中的命令 / command {id} is {} now: only a queued command can be cancelled",
            state_zh(row.state),
            row.state.as_str()
        )));
    }
    Ok(view(row))
}

/// Stations `caller` may see the control of (`None`: all).
fn visible_stations(app: &App, caller: &Caller) -> AppResult<Option<Vec<String>>> {
    let a = caller.require()?;
    match a.role {
        Role::Admin | Role::Bureau => Ok(None),
        Role::Operations => {
            let unit = a.unit_id.clone().unwrap_or_default();
            Ok(Some(
                app.store
                    .station_contractors()?
                    .into_iter()
                    .filter(|(_, c)| !unit.is_empty() && *c == unit)
                    .map(|(s, _)| s)
                    .collect(),
            ))
        }
        _ => Err(may_control(caller, None)
            .err()
            .unwrap_or(AppError::Unauthorized)),
    }
}

/// The command log, newest first: of device `mn` (or every device the caller may control),
/// optionally of one origin (`operator`, `backfill`, `time_sync`), at most `limit` (≤ 500).
pub fn log(
    app: &App,
    caller: &Caller,
    mn: Option<&str>,
    origin: Option<&str>,
    limit: i64,
) -> AppResult<Vec<CommandView>> {
    Ok(log_page(app, caller, mn, origin, Page::first(limit.clamp(1, 500)))?.items)
}

/// A page of the command log, newest first, and how many commands it has: of device `mn`
/// (or every device the caller may control), optionally of one origin (`operator`,
/// `backfill`, `time_sync`).
pub fn log_page(
    app: &App,
    caller: &Caller,
    mn: Option<&str>,
    origin: Option<&str>,
    page: Page,
) -> AppResult<Paged<CommandView>> {
    if let Some(mn) = mn {
        device_for(app, caller, "device.commands", mn)?;
    }
    let stations = app.allow(
        caller,
        "device.commands",
        mn.unwrap_or("*"),
        visible_stations(app, caller),
    )?;
    if let Some(o) = origin
        && ![ORIGIN_OPERATOR, ORIGIN_BACKFILL, ORIGIN_TIME_SYNC].contains(&o)
    {
        return Err(AppError::BadRequest(format!(
            "来源 {o:?} 不是 operator、backfill、time_sync 之一 / origin {o:?} is not operator, backfill or time_sync"
        )));
    }
    let rows = app.store.device_commands_page(
        &CommandFilter {
            mn: mn.map(str::to_owned),
            stations,
            origin: origin.map(str::to_owned),
            limit: 0,
        },
        page,
    )?;
    Ok(rows.map(view))
}

/// One command (a device the caller may control).
pub fn command(app: &App, caller: &Caller, id: i64) -> AppResult<CommandView> {
    app.allow(
        caller,
        "device.commands",
        &id.to_string(),
        controls_devices(caller).map(drop),
    )?;
    let row = app.store.device_command(id)?;
    device_for(app, caller, "device.commands", &row.mn)?;
    Ok(view(row))
}

/// A device's reverse control at a glance.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeviceControl {
    pub mn: String,
    pub station: String,
    /// Whether the device is connected to this process's gateway (`None`: no gateway here).
    pub connected: Option<bool>,
    pub last_seen: Option<String>,
    /// The logger's clock minus Beijing time at the last read (s), and when (Beijing time).
    pub drift_s: Option<i64>,
    pub drift_at: Option<String>,
    /// History requests of the last 7 days (the gateway's and operators'): how many, records
    /// asked for and received, and how many did not complete.
    pub requests: i64,
    pub records_asked: i64,
    pub records_received: i64,
    pub requests_incomplete: i64,
    pub queued: i64,
}

/// Every device the caller may control, with its online state (`status`: the gateway's, by
/// MN), clock drift and the last week's back-fill.
pub fn overview(
    app: &App,
    caller: &Caller,
    status: &HashMap<String, DeviceStatus>,
) -> AppResult<Vec<DeviceControl>> {
    let stations = app.allow(
        caller,
        "device.commands",
        "*",
        visible_stations(app, caller),
    )?;
    let week_ago = app.clock.now_ms() - 7 * 86_400_000;
    let mut out = Vec::new();
    for d in app.store.devices()? {
        if stations
            .as_ref()
            .is_some_and(|s| !s.contains(&d.station_id))
        {
            continue;
        }
        let rows = app.store.device_commands(&CommandFilter {
            mn: Some(d.mn.clone()),
            limit: 500,
            ..CommandFilter::default()
        })?;
        let clock = rows.iter().find(|r| r.cn == 1011 && r.drift_s.is_some());
        let history: Vec<&CommandRow> = rows
            .iter()
            .filter(|r| r.records_expected.is_some() && r.created_ms >= week_ago)
            .collect();
        let s = status.get(&d.mn);
        out.push(DeviceControl {
            connected: s.map(|s| s.connected),
            last_seen: s
                .filter(|s| s.last_seen_ms > 0)
                .map(|s| cst::format_unix_ms(s.last_seen_ms)),
            drift_s: clock.and_then(|r| r.drift_s),
            drift_at: clock.map(|r| cst::format_unix_ms(r.updated_ms)),
            requests: history.len() as i64,
            records_asked: history.iter().filter_map(|r| r.records_expected).sum(),
            records_received: history.iter().map(|r| r.records_received).sum(),
            requests_incomplete: history
                .iter()
                .filter(|r| {
                    r.state.is_final() && r.records_expected.is_some_and(|e| r.records_received < e)
                })
                .count() as i64,
            queued: rows
                .iter()
                .filter(|r| r.state == CommandState::Queued)
                .count() as i64,
            mn: d.mn,
            station: d.station_id,
        });
    }
    Ok(out)
}

/// A back-filled period, for people.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MarkView {
    #[serde(flatten)]
    pub mark: BackfillMark,
    /// The period's start and when it arrived, Beijing time.
    pub time: String,
    pub received: String,
}

/// The periods of `station` marked back-filled between two Beijing times (`period`: hour,
/// min or day; at most 31 days).
pub fn backfilled(
    app: &App,
    caller: &Caller,
    station: &str,
    period: &str,
    from: &str,
    to: &str,
) -> AppResult<Vec<MarkView>> {
    let contractor = app.store.station_contractor(station)?;
    app.allow(
        caller,
        "device.commands",
        station,
        may_control(caller, contractor.as_deref()).map(drop),
    )?;
    let parse = |t: &str| {
        cst::parse_minute(t.trim()).ok_or_else(|| {
            AppError::BadRequest(format!(
                "{t:?} 不是北京时间 YYYY-MM-DD HH:MM / {t:?} is not a Beijing time YYYY-MM-DD HH:MM"
            ))
        })
    };
    let (f, t) = (parse(from)?, parse(to)?);
    if t < f || t - f > 31 * cst::DAY_S {
        return Err(AppError::BadRequest(format!(
            "时段 {from} 至 {to} 无效（至多 31 天）/ span {from} to {to} is invalid (31 days at most)"
        )));
    }
    Ok(app
        .store
        .backfilled_marks(station, period, f, t)?
        .into_iter()
        .map(|m| MarkView {
            time: cst::format_minute(m.ts),
            received: cst::format_unix_ms(m.received_ms),
            mark: m,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(period: &str, begin: &str, end: &str) -> Order {
        Order::History {
            period: period.into(),
            begin: begin.into(),
            end: end.into(),
        }
    }

    #[test]
    fn orders_become_the_standards_commands_and_out_of_range_ones_are_refused() {
        let ok: Vec<(Order, i64, &str)> = vec![
            (Order::GetTime, 1011, ""),
            (Order::SetTime, 1012, ""),
            (
                Order::SetRtdInterval { seconds: 30 },
                1062,
                "RtdInterval=30",
            ),
            (
                Order::SetRtdInterval { seconds: 3600 },
                1062,
                "RtdInterval=3600",
            ),
            (
                Order::SetMinInterval { minutes: 10 },
                1064,
                "MinInterval=10",
            ),
            (
                Order::Calibrate {
                    pol_id: " a21026 ".into(),
                },
                3011,
                "PolId=a21026",
            ),
            (Order::Retain { pol_id: None }, 3015, ""),
            (
                Order::GetInfo {
                    pol_id: "w01018".into(),
                    info_id: Some("i13004".into()),
                },
                3020,
                "PolId=w01018;InfoId=i13004",
            ),
            (
                Order::SetParam {
                    pol_id: "w01018".into(),
                    info_id: "i13004".into(),
                    value: "12.5".into(),
                },
                3021,
                "PolId=w01018;i13004-Info=12.5",
            ),
            (
                history("hour", "2026-11-30 08:30", "2026-11-30 12:00"),
                2061,
                "BeginTime=20261130080000;EndTime=20261130120000",
            ),
        ];
        for (o, cn, params) in ok {
            let e = encode(&o, 1).unwrap_or_else(|err| panic!("{o:?}: {err}"));
            assert_eq!((e.cn, e.params.as_str()), (cn, params), "{o:?}");
        }
        let h = encode(&history("min", "2026-11-30 08:00", "2026-11-30 09:00"), 5).unwrap();
        assert_eq!(h.history.map(|x| (x.0, x.3)), Some(("min".to_owned(), 13)));
        let refused: Vec<(Order, &str)> = vec![
            (Order::SetRtdInterval { seconds: 29 }, "30–3600"),
            (Order::SetRtdInterval { seconds: 3601 }, "30–3600"),
            (Order::SetMinInterval { minutes: 7 }, "MinInterval 7"),
            (
                Order::Sample {
                    pol_id: "a;CN=9999".into(),
                },
                "PolId",
            ),
            (
                Order::Calibrate {
                    pol_id: String::new(),
                },
                "PolId",
            ),
            (
                history("week", "2026-11-30 08:00", "2026-11-30 09:00"),
                "week",
            ),
            (
                history("hour", "2026-11-30 09:00", "2026-11-30 08:00"),
                "span",
            ),
            (
                history("hour", "2026-11-01 00:00", "2026-11-30 00:00"),
                "span",
            ),
            (
                history("min", "2026-11-30 00:00", "2026-12-02 00:00"),
                "span",
            ),
            (
                history("hour", "yesterday", "2026-11-30 08:00"),
                "BeginTime",
            ),
        ];
        for (o, why) in refused {
            match encode(&o, 1) {
                Err(AppError::BadRequest(m)) => assert!(m.contains(why), "{o:?}: {m}"),
                other => panic!("{o:?}: {other:?}"),
            }
        }
    }
}
