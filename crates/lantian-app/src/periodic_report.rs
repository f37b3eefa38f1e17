//! The periodic air-quality reports (issue 17): the 日报 (one natural day), the 周报 (Monday to
//! Sunday) and the 月报 (a calendar month), for the city or one township-level unit, with the
//! official layout habits: a title, the issuing unit (单位), the time span, the issue time in
//! Beijing time, the figures (AQI and level for a day; the six pollutants as HJ 663 states
//! them, day counts, 优良天数比率, composite index), 同比 and 环比, the year to date, the days,
//! the hours (日报), the units ranked (city) or the stations (a township), and notes; as JSON,
//! an Excel workbook and an A4 PDF (`pdf.rs`, a CJK font embedded).

use crate::caller::policy;
use crate::data::{self, Hours, Scope};
use crate::error::{AppError, AppResult};
use crate::table_xlsx::text_cell;
use crate::{App, Caller, pdf};
use lantian_core::aqi::{Lang, Level};
use lantian_core::assess::ranking::change_pct;
use lantian_core::assess::{AssessOptions, Assessment, assess};
use lantian_core::decimal::round_half_even;
use lantian_core::pollutant::Pollutant;
use lantian_core::{Date, Month, cst};
use lantian_store::{Station, View};
use serde::{Deserialize, Serialize};

/// Which report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Daily,
    Weekly,
    Monthly,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Daily, Kind::Weekly, Kind::Monthly];

    pub fn parse(text: &str) -> AppResult<Kind> {
        match text {
            "daily" => Ok(Kind::Daily),
            "weekly" => Ok(Kind::Weekly),
            "monthly" => Ok(Kind::Monthly),
            o => Err(AppError::BadRequest(format!(
                "报告类型 {o:?} 无效，应为 daily、weekly 或 monthly / report kind {o:?}: expected daily, weekly or monthly"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Daily => "daily",
            Kind::Weekly => "weekly",
            Kind::Monthly => "monthly",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Kind::Daily => "日报",
            Kind::Weekly => "周报",
            Kind::Monthly => "月报",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Kind::Daily => "daily report",
            Kind::Weekly => "weekly report",
            Kind::Monthly => "monthly report",
        }
    }
}

/// The days a report covers: one day, a week from its Monday, or a calendar month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub kind: Kind,
    pub first: Date,
    pub n_days: u32,
}

/// The Monday of `d`'s week (1970-01-01, day 0, was a Thursday).
pub fn monday_of(d: Date) -> Date {
    d.add_days(-(d.days_since_epoch() + 3).rem_euclid(7))
}

impl Period {
    /// The period of `kind` that holds `d`.
    pub fn holding(kind: Kind, d: Date) -> Period {
        match kind {
            Kind::Daily => Period {
                kind,
                first: d,
                n_days: 1,
            },
            Kind::Weekly => Period {
                kind,
                first: monday_of(d),
                n_days: 7,
            },
            Kind::Monthly => {
                let m = Month::of(d);
                Period {
                    kind,
                    first: m.first_day(),
                    n_days: m.n_days(),
                }
            }
        }
    }

    /// `YYYY-MM-DD` (a day; for a week any of its days) or `YYYY-MM` (a month).
    pub fn parse(kind: Kind, text: &str) -> AppResult<Period> {
        let bad = || {
            AppError::BadRequest(format!(
                "时段 {text:?} 无效：日报、周报为 YYYY-MM-DD，月报为 YYYY-MM / period {text:?}: expected YYYY-MM-DD for a daily or weekly report, YYYY-MM for a monthly one"
            ))
        };
        let p = match kind {
            Kind::Monthly => Month::parse(text)
                .map(|m| Period::holding(kind, m.first_day()))
                .ok_or_else(bad)?,
            _ => Period::holding(kind, Date::parse(text).ok_or_else(bad)?),
        };
        if !(2000..=2100).contains(&p.first.year()) {
            return Err(bad());
        }
        Ok(p)
    }

    /// The last period of `kind` that has ended by `today` (yesterday, last week, last month).
    pub fn last_ended(kind: Kind, today: Date) -> Period {
        Period::holding(kind, Period::holding(kind, today).first.add_days(-1))
    }

    pub fn last(self) -> Date {
        self.first.add_days(i64::from(self.n_days) - 1)
    }

    /// The period before (环比).
    pub fn previous(self) -> Period {
        Period::holding(self.kind, self.first.add_days(-1))
    }

    /// The same period a year earlier (同比): the same date (29 February: the 28th), the
    /// week 52 weeks earlier (the same weekdays), the same month.
    pub fn year_before(self) -> Period {
        match self.kind {
            Kind::Weekly => Period::holding(self.kind, self.first.add_days(-364)),
            _ => {
                let (y, m, d) = (self.first.year() - 1, self.first.month(), self.first.day());
                let day = Date::new(y, m, d)
                    .or_else(|| Date::new(y, m, d - 1))
                    .unwrap_or(self.first);
                Period::holding(self.kind, day)
            }
        }
    }

    /// The key files and URLs use: `2026-11-09` (a day, a week's Monday) or `2026-11`.
    pub fn key(self) -> String {
        match self.kind {
            Kind::Monthly => Month::of(self.first).to_string(),
            _ => self.first.to_string(),
        }
    }

    /// `2026年11月9日`, `2026年11月9日至11月15日`, `2026年11月`.
    pub fn label_zh(self) -> String {
        let f = self.first;
        let l = self.last();
        match self.kind {
            Kind::Daily => format!("{}年{}月{}日", f.year(), f.month(), f.day()),
            Kind::Weekly if f.year() != l.year() => format!(
                "{}年{}月{}日至{}年{}月{}日",
                f.year(),
                f.month(),
                f.day(),
                l.year(),
                l.month(),
                l.day()
            ),
            Kind::Weekly => format!(
                "{}年{}月{}日至{}月{}日",
                f.year(),
                f.month(),
                f.day(),
                l.month(),
                l.day()
            ),
            Kind::Monthly => format!("{}年{}月", f.year(), f.month()),
        }
    }

    /// `2026-11-09`, `2026-11-09 to 2026-11-15`, `2026-11`.
    pub fn label_en(self) -> String {
        match self.kind {
            Kind::Weekly => format!("{} to {}", self.first, self.last()),
            _ => self.key(),
        }
    }
}

/// A scope's figures over a period (or a day).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Mean concentrations (µg/m³), as HJ 663 reports them (integers).
    pub pm25: Option<f64>,
    pub pm10: Option<f64>,
    pub so2: Option<f64>,
    pub no2: Option<f64>,
    /// CO: the 95th percentile of daily means (mg/m³, one decimal); a day's: its mean.
    pub co: Option<f64>,
    /// O3: the 90th percentile of the daily maximum 8-hour means; a day's: its MDA8.
    pub o3_8h: Option<f64>,
    /// The daily AQI, its category and primary pollutant (a 日报's, or a unit's day).
    pub aqi: Option<u16>,
    pub category_zh: Option<&'static str>,
    pub category_en: Option<&'static str>,
    pub colour: Option<String>,
    pub primary: String,
    pub composite_index: Option<f64>,
    /// Days with a valid daily AQI, of `days` (the period's days up to today).
    pub valid_days: u32,
    pub days: u32,
    pub good_days: u32,
    pub heavy_days: u32,
    /// 优良天数比率, per cent with one decimal.
    pub good_day_ratio: Option<f64>,
    /// Days per level, 优 … 严重污染.
    pub level_days: [u32; 6],
    /// Valid hourly values over those expected, per cent with one decimal.
    pub coverage_pct: Option<f64>,
    pub rule_set: Option<&'static str>,
}

/// One unit (city report) or station (a township's report) with its figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UnitRow {
    /// By composite index, smaller first (1, 2, 2, 4); `null` without valid data or station.
    pub rank: Option<u32>,
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub stations: u32,
    #[serde(flatten)]
    pub figures: Figures,
    /// Change of the composite index against the period before and a year before, per cent.
    pub composite_mom_pct: Option<f64>,
    pub composite_yoy_pct: Option<f64>,
    /// Why the unit has no rank.
    pub note_zh: Option<&'static str>,
    pub note_en: Option<&'static str>,
}

/// Now against the period before (环比) and a year before (同比).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Changes {
    pub pm25_mom_pct: Option<f64>,
    pub pm25_yoy_pct: Option<f64>,
    pub composite_mom_pct: Option<f64>,
    pub composite_yoy_pct: Option<f64>,
    /// Percentage points.
    pub good_day_ratio_mom_pp: Option<f64>,
    pub good_day_ratio_yoy_pp: Option<f64>,
    pub previous: Figures,
    pub year_before: Figures,
}

/// A day or an hour of the scope, with its AQI's category and colour.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Shown {
    #[serde(flatten)]
    pub row: data::Row,
    pub category_zh: Option<&'static str>,
    pub category_en: Option<&'static str>,
    pub colour: Option<String>,
}

impl Shown {
    fn of(row: data::Row) -> Shown {
        let level = row.aqi.map(Level::from_aqi);
        Shown {
            category_zh: level.map(|l| l.category(Lang::Zh)),
            category_en: level.map(|l| l.category(Lang::En)),
            colour: level.map(|l| l.hex()),
            row,
        }
    }
}

/// A periodic report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeriodicReport {
    pub kind: Kind,
    pub title_zh: String,
    pub title_en: String,
    /// `city` or `unit:ID`.
    pub scope: String,
    pub scope_name_zh: String,
    pub scope_name_en: String,
    /// The period's key (`2026-11-09`, `2026-11`), first and last day.
    pub period: String,
    pub first: String,
    pub last: String,
    pub period_zh: String,
    pub period_en: String,
    /// The issuing unit (单位): the county's bureau.
    pub issuer_zh: String,
    /// `2026-11-16 09:00（北京时间）`.
    pub issued_zh: String,
    pub issued_en: String,
    /// The period had not ended when the report was made.
    pub partial: bool,
    pub view: View,
    pub figures: Figures,
    pub changes: Changes,
    /// From 1 January to the period's last day, and the same span a year earlier.
    pub year_to_date: Figures,
    pub year_to_date_last_year: Figures,
    pub days: Vec<Shown>,
    /// The 日报's hours (empty for the others).
    pub hours: Vec<Shown>,
    pub units: Vec<UnitRow>,
    pub summary_zh: String,
    pub summary_en: String,
    pub notes_zh: Vec<String>,
    pub notes_en: Vec<String>,
}

/// Who may read a report: a government account (not the public, not an enterprise); a
/// township's account its own unit's report and the city's.
pub fn may_read(caller: &Caller, scope: &Scope) -> AppResult<()> {
    caller.require()?;
    if !policy::sees_target_verdicts(caller) {
        return Err(AppError::Forbidden(
            "空气质量报告仅供政府部门账号查看 / air-quality reports are for government accounts"
                .into(),
        ));
    }
    if let Scope::Unit(u) = scope
        && !policy::sees_station_detail(caller, Some(u))
    {
        return Err(AppError::Forbidden(
            "只能查看本乡镇和全市的报告 / only your own township's and the city's reports".into(),
        ));
    }
    Ok(())
}

/// The scope a report may have: the city or a township-level unit (not one station).
pub fn parse_scope(text: &str) -> AppResult<Scope> {
    match Scope::parse(text)? {
        Scope::Station(_) => Err(AppError::BadRequest(format!(
            "报告范围 {text:?} 无效，应为 city 或 unit:ID / report scope {text:?}: expected city or unit:ID"
        ))),
        s => Ok(s),
    }
}

fn one_decimal(x: f64) -> f64 {
    round_half_even(x, 1)
}

/// The figures of `stations` from `first` for `n_days` days, counting the days up to
/// `today` only.
fn figures(
    app: &App,
    stations: &[Station],
    first: Date,
    n_days: u32,
    today: Date,
    view: View,
) -> AppResult<Figures> {
    let elapsed =
        (today.days_since_epoch() - first.days_since_epoch() + 1).clamp(0, i64::from(n_days));
    let mut f = Figures {
        days: elapsed as u32,
        ..Figures::default()
    };
    if stations.is_empty() || elapsed == 0 {
        return Ok(f);
    }
    let hours = Hours::load(app, stations.to_vec(), first, elapsed as usize, view)?;
    let days = hours.days();
    let covered: f64 = (0..elapsed as usize).map(|i| hours.day_coverage(i)).sum();
    f.coverage_pct = Some(one_decimal(covered / elapsed as f64 * 100.0));
    if n_days == 1
        && let Some(d) = days.first()
    {
        let r = data::day_aqi(d);
        if let Some(a) = r.aqi {
            let level = Level::from_aqi(a);
            f.aqi = Some(a);
            f.category_zh = Some(level.category(Lang::Zh));
            f.category_en = Some(level.category(Lang::En));
            f.colour = Some(level.hex());
        }
        f.primary = r
            .primary
            .iter()
            .map(|p| p.name())
            .collect::<Vec<_>>()
            .join(",");
    }
    let opts = AssessOptions::default();
    if let Some(a) = assess(&days, &opts).filter(|a| a.valid_days > 0) {
        fill(&mut f, &a);
    }
    Ok(f)
}

fn fill(f: &mut Figures, a: &Assessment) {
    let mean = |p: Pollutant| a.stats(p).mean_reported;
    f.pm25 = mean(Pollutant::Pm25);
    f.pm10 = mean(Pollutant::Pm10);
    f.so2 = mean(Pollutant::So2);
    f.no2 = mean(Pollutant::No2);
    f.co = a.stats(Pollutant::Co).percentile_reported;
    f.o3_8h = a.stats(Pollutant::O3).percentile_reported;
    f.composite_index = a.composite.as_ref().map(|c| c.reported);
    f.valid_days = a.valid_days;
    f.good_days = a.good_days;
    f.heavy_days = a.heavy_or_worse_days;
    f.good_day_ratio = a.good_day_ratio.map(|r| one_decimal(r * 100.0));
    f.level_days = a.level_days;
    f.rule_set = Some(a.rule_set.id());
}

fn pp(now: Option<f64>, before: Option<f64>) -> Option<f64> {
    Some(one_decimal(now? - before?))
}

/// The report of `kind` for `period` of `scope`.
pub fn report(
    app: &App,
    caller: &Caller,
    scope: &Scope,
    period: Period,
    view: View,
) -> AppResult<PeriodicReport> {
    app.allow(
        caller,
        "reports.read",
        &scope.to_string(),
        may_read(caller, scope),
    )?;
    build(app, scope, period, view)
}

/// The report, without the permission check (the scheduled run, after its own).
pub(crate) fn build(
    app: &App,
    scope: &Scope,
    period: Period,
    view: View,
) -> AppResult<PeriodicReport> {
    let today = app.clock.today();
    if period.first > today {
        return Err(AppError::BadRequest(format!(
            "时段 {} 尚未开始 / period {} has not begun",
            period.label_zh(),
            period.label_en()
        )));
    }
    let all = app.store.stations()?;
    let units = app.store.admin_units()?;
    let profile = &app.county.profile;
    let (scope_zh, scope_en) = match scope {
        Scope::Unit(id) => {
            let u = units
                .iter()
                .find(|u| u.id == *id && u.kind.is_township_level())
                .ok_or_else(|| {
                    AppError::NotFound(format!("没有乡镇级单位 {id} / no township-level unit {id}"))
                })?;
            (u.name_zh.clone(), u.name_en.clone())
        }
        _ => (profile.name_zh.clone(), profile.name_en.clone()),
    };
    let mine = scope.select(&all);
    let fig =
        |stations: &[Station], p: Period| figures(app, stations, p.first, p.n_days, today, view);
    let now = fig(&mine, period)?;
    let prev = fig(&mine, period.previous())?;
    let before = fig(&mine, period.year_before())?;
    let changes = Changes {
        pm25_mom_pct: change_pct(now.pm25, prev.pm25),
        pm25_yoy_pct: change_pct(now.pm25, before.pm25),
        composite_mom_pct: change_pct(now.composite_index, prev.composite_index),
        composite_yoy_pct: change_pct(now.composite_index, before.composite_index),
        good_day_ratio_mom_pp: pp(now.good_day_ratio, prev.good_day_ratio),
        good_day_ratio_yoy_pp: pp(now.good_day_ratio, before.good_day_ratio),
        previous: prev,
        year_before: before,
    };
    let last = period.last();
    let jan1 = Date::new(last.year(), 1, 1).unwrap_or(last);
    let ytd_days = (last.days_since_epoch() - jan1.days_since_epoch() + 1) as u32;
    let year_to_date = figures(app, &mine, jan1, ytd_days, today, view)?;
    let ly = period.year_before().last();
    let ly_jan1 = Date::new(ly.year(), 1, 1).unwrap_or(ly);
    let ly_days = (ly.days_since_epoch() - ly_jan1.days_since_epoch() + 1) as u32;
    let year_to_date_last_year = figures(app, &mine, ly_jan1, ly_days, today, view)?;

    let shown_last = if last > today { today } else { last };
    let (days, hours): (Vec<data::Row>, Vec<data::Row>) = if mine.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        let days = data::aggregate(
            app,
            scope,
            data::Period::Day,
            period.first,
            shown_last,
            view,
        )?;
        let hours = if period.kind == Kind::Daily {
            data::aggregate(
                app,
                scope,
                data::Period::Hour,
                period.first,
                period.first,
                view,
            )?
        } else {
            Vec::new()
        };
        (days, hours)
    };

    // The rows: every township-level unit (city) or every station of the unit.
    let mut rows = Vec::new();
    match scope {
        Scope::Unit(_) => {
            for s in &mine {
                let one = std::slice::from_ref(s);
                rows.push(unit_row(
                    s.id.clone(),
                    s.name.clone(),
                    s.name.clone(),
                    1,
                    fig(one, period)?,
                    &fig(one, period.previous())?,
                    &fig(one, period.year_before())?,
                ));
            }
        }
        _ => {
            for u in units.iter().filter(|u| u.kind.is_township_level()) {
                let st = Scope::Unit(u.id.clone()).select(&all);
                rows.push(unit_row(
                    u.id.clone(),
                    u.name_zh.clone(),
                    u.name_en.clone(),
                    st.len() as u32,
                    fig(&st, period)?,
                    &fig(&st, period.previous())?,
                    &fig(&st, period.year_before())?,
                ));
            }
        }
    }
    let values: Vec<Option<f64>> = rows.iter().map(|r| r.figures.composite_index).collect();
    for r in &mut rows {
        r.rank = r
            .figures
            .composite_index
            .map(|v| 1 + values.iter().flatten().filter(|w| **w < v).count() as u32);
    }
    rows.sort_by_key(|r| r.rank.unwrap_or(u32::MAX));

    let partial = last >= today;
    let now_cst = app.clock.now_cst();
    let issued = cst::format_minute(now_cst);
    let (summary_zh, summary_en) = summary(period, &scope_zh, &scope_en, &now, &changes);
    let (notes_zh, notes_en) = notes(period, view, partial, &issued, &rows, scope, &now);
    Ok(PeriodicReport {
        kind: period.kind,
        title_zh: format!(
            "{}{}环境空气质量{}（{}）",
            if matches!(scope, Scope::Unit(_)) {
                profile.name_zh.as_str()
            } else {
                ""
            },
            scope_zh,
            period.kind.name_zh(),
            period.label_zh()
        ),
        title_en: format!(
            "{} air quality {}, {}",
            scope_en,
            period.kind.name_en(),
            period.label_en()
        ),
        scope: scope.to_string(),
        scope_name_zh: scope_zh,
        scope_name_en: scope_en,
        period: period.key(),
        first: period.first.to_string(),
        last: last.to_string(),
        period_zh: period.label_zh(),
        period_en: period.label_en(),
        issuer_zh: profile.bureau.clone(),
        issued_zh: format!("{issued}（北京时间）"),
        issued_en: format!("{issued} (Beijing time)"),
        partial,
        view,
        figures: now,
        changes,
        year_to_date,
        year_to_date_last_year,
        days: days.into_iter().map(Shown::of).collect(),
        hours: hours.into_iter().map(Shown::of).collect(),
        units: rows,
        summary_zh,
        summary_en,
        notes_zh,
        notes_en,
    })
}

fn unit_row(
    id: String,
    name_zh: String,
    name_en: String,
    stations: u32,
    figures: Figures,
    prev: &Figures,
    before: &Figures,
) -> UnitRow {
    let (note_zh, note_en) = if stations == 0 {
        (
            Some("无监测站点，不参与排名"),
            Some("no station: not ranked"),
        )
    } else if figures.composite_index.is_none() {
        (
            Some("无有效数据，不参与排名"),
            Some("no valid data: not ranked"),
        )
    } else {
        (None, None)
    };
    UnitRow {
        rank: None,
        id,
        name_zh,
        name_en,
        stations,
        composite_mom_pct: change_pct(figures.composite_index, prev.composite_index),
        composite_yoy_pct: change_pct(figures.composite_index, before.composite_index),
        figures,
        note_zh,
        note_en,
    }
}

/// A figure without float noise: integers as integers, else up to two decimals.
pub fn num(v: Option<f64>) -> String {
    match v {
        None => "—".to_owned(),
        Some(x) => {
            let t = format!("{x:.2}");
            t.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
    }
}

/// `上升 3.2%` / `下降 3.2%` / `持平`.
fn moved_zh(pct: Option<f64>, unit: &str) -> String {
    match pct {
        None => "无可比数据".to_owned(),
        Some(x) if x > 0.0 => format!("上升 {}{unit}", num(Some(x))),
        Some(x) if x < 0.0 => format!("下降 {}{unit}", num(Some(-x))),
        Some(_) => "持平".to_owned(),
    }
}

fn moved_en(pct: Option<f64>, unit: &str) -> String {
    match pct {
        None => "no comparable data".to_owned(),
        Some(x) if x > 0.0 => format!("up {}{unit}", num(Some(x))),
        Some(x) if x < 0.0 => format!("down {}{unit}", num(Some(-x))),
        Some(_) => "unchanged".to_owned(),
    }
}

fn summary(
    period: Period,
    scope_zh: &str,
    scope_en: &str,
    f: &Figures,
    c: &Changes,
) -> (String, String) {
    let before_zh = match period.kind {
        Kind::Daily => "前一日",
        Kind::Weekly => "上周",
        Kind::Monthly => "上月",
    };
    let before_en = match period.kind {
        Kind::Daily => "the day before",
        Kind::Weekly => "last week",
        Kind::Monthly => "last month",
    };
    if f.valid_days == 0 {
        return (
            format!(
                "{}，{scope_zh}无有效日数据（数据获取率 {}%）。",
                period.label_zh(),
                num(f.coverage_pct)
            ),
            format!(
                "{}: {scope_en} has no valid day (data capture {}%).",
                period.label_en(),
                num(f.coverage_pct)
            ),
        );
    }
    let head_zh = match (period.kind, f.aqi) {
        (Kind::Daily, Some(a)) => format!(
            "{}，{scope_zh}空气质量指数（AQI）为 {a}，{}，首要污染物 {}。",
            period.label_zh(),
            f.category_zh.unwrap_or(""),
            if f.primary.is_empty() {
                "无"
            } else {
                &f.primary
            }
        ),
        _ => format!(
            "{}，{scope_zh}有效监测 {} 天，优良 {} 天，优良天数比率 {}%（同比{}，环比{}），重度及以上污染 {} 天。",
            period.label_zh(),
            f.valid_days,
            f.good_days,
            num(f.good_day_ratio),
            moved_zh(c.good_day_ratio_yoy_pp, " 个百分点"),
            moved_zh(c.good_day_ratio_mom_pp, " 个百分点"),
            f.heavy_days
        ),
    };
    let head_en = match (period.kind, f.aqi) {
        (Kind::Daily, Some(a)) => format!(
            "{}: {scope_en}'s AQI was {a} ({}), primary pollutant {}.",
            period.label_en(),
            f.category_en.unwrap_or(""),
            if f.primary.is_empty() {
                "none"
            } else {
                &f.primary
            }
        ),
        _ => format!(
            "{}: {scope_en} had {} valid days, {} good; good-day ratio {}% (year on year {}, on {before_en} {}); {} days heavily polluted or worse.",
            period.label_en(),
            f.valid_days,
            f.good_days,
            num(f.good_day_ratio),
            moved_en(c.good_day_ratio_yoy_pp, " points"),
            moved_en(c.good_day_ratio_mom_pp, " points"),
            f.heavy_days
        ),
    };
    (
        format!(
            "{head_zh}PM2.5 浓度 {} µg/m³，同比{}，较{before_zh}{}；综合指数 {}。",
            num(f.pm25),
            moved_zh(c.pm25_yoy_pct, "%"),
            moved_zh(c.pm25_mom_pct, "%"),
            num(f.composite_index)
        ),
        format!(
            "{head_en} PM2.5 {} µg/m³, year on year {}, on {before_en} {}; composite index {}.",
            num(f.pm25),
            moved_en(c.pm25_yoy_pct, "%"),
            moved_en(c.pm25_mom_pct, "%"),
            num(f.composite_index)
        ),
    )
}

fn notes(
    period: Period,
    view: View,
    partial: bool,
    issued: &str,
    rows: &[UnitRow],
    scope: &Scope,
    f: &Figures,
) -> (Vec<String>, Vec<String>) {
    let mut zh = vec![
        format!(
            "数据：{}；时间均为北京时间，日为自然日（00:00—24:00）。",
            if view == View::Raw {
                "原始数据，未经审核"
            } else {
                "审核后数据"
            }
        ),
        format!(
            "空气质量指数按 HJ 633 计算（评价规则：{}）；PM2.5、PM10、SO2、NO2 为日均值的平均，CO 为日均值第95百分位数（mg/m³），O3 为日最大8小时滑动平均值第90百分位数（HJ 663）；综合指数为各污染物单项指数之和，数值越小空气质量越好，排名按综合指数由小到大。",
            f.rule_set.unwrap_or("—")
        ),
        format!(
            "优良天数比率 = 优良天数 ÷ 有效天数；数据获取率为有效小时值占应有小时值的比例（本期 {}%）。",
            num(f.coverage_pct)
        ),
        "同比为与去年同期相比，环比为与上一期相比；正值表示上升。".to_owned(),
    ];
    let mut en = vec![
        format!(
            "Data: {}; all times are Beijing time, a day is the natural day (00:00–24:00).",
            if view == View::Raw {
                "raw, not audited"
            } else {
                "audited"
            }
        ),
        format!(
            "AQI by HJ 633 (rule set {}); PM2.5, PM10, SO2, NO2: mean of daily means; CO: 95th percentile of daily means (mg/m³); O3: 90th percentile of the daily maximum 8-hour means (HJ 663); the composite index is the sum of the pollutants' single indexes, smaller is better, and ranks go from the smallest.",
            f.rule_set.unwrap_or("—")
        ),
        format!(
            "Good-day ratio = good days ÷ valid days; data capture is the share of valid hourly values of those expected (this period: {}%).",
            num(f.coverage_pct)
        ),
        "Year on year compares with the same period last year, the other with the period before; positive means up.".to_owned(),
    ];
    if partial {
        zh.push(format!("统计时段尚未结束，数据截至 {issued}（北京时间）。"));
        en.push(format!(
            "The period has not ended: data up to {issued} (Beijing time)."
        ));
    }
    if period.kind == Kind::Daily {
        zh.push("逐时数据的时间为该小时的开始时刻（如 08:00 表示 08:00—09:00）。".to_owned());
        en.push("Hourly rows are labelled by the hour's start (08:00 is 08:00–09:00).".to_owned());
    }
    if matches!(scope, Scope::City) {
        let unranked: Vec<&str> = rows
            .iter()
            .filter(|r| r.rank.is_none())
            .map(|r| r.name_zh.as_str())
            .collect();
        let unranked_en: Vec<&str> = rows
            .iter()
            .filter(|r| r.rank.is_none())
            .map(|r| r.name_en.as_str())
            .collect();
        if !unranked.is_empty() {
            zh.push(format!(
                "未参与排名（无站点或无有效数据）：{}。",
                unranked.join("、")
            ));
            en.push(format!(
                "Not ranked (no station or no valid data): {}.",
                unranked_en.join(", ")
            ));
        }
    }
    (zh, en)
}

// ---- Tables, shared by the workbook and the PDF -------------------------------------

type Table = (Vec<&'static str>, Vec<Vec<String>>);

fn signed(v: Option<f64>) -> String {
    match v {
        Some(x) if x > 0.0 => format!("+{}", num(Some(x))),
        o => num(o),
    }
}

/// The overview: one row per indicator, now, the period before, a year before, the year to
/// date and the same span last year.
fn overview_table(r: &PeriodicReport) -> Table {
    let headers = vec![
        "指标",
        "本期",
        "上期",
        "去年同期",
        "同比（%）",
        "环比（%）",
        "年初至今",
        "去年同期累计",
    ];
    let c = &r.changes;
    let (f, p, b, y, yl) = (
        &r.figures,
        &c.previous,
        &c.year_before,
        &r.year_to_date,
        &r.year_to_date_last_year,
    );
    let line = |name: &str, get: &dyn Fn(&Figures) -> Option<f64>| {
        vec![
            name.to_owned(),
            num(get(f)),
            num(get(p)),
            num(get(b)),
            signed(change_pct(get(f), get(b))),
            signed(change_pct(get(f), get(p))),
            num(get(y)),
            num(get(yl)),
        ]
    };
    let mut rows = vec![
        line("PM2.5（µg/m³）", &|x| x.pm25),
        line("PM10（µg/m³）", &|x| x.pm10),
        line("SO2（µg/m³）", &|x| x.so2),
        line("NO2（µg/m³）", &|x| x.no2),
        line("CO（mg/m³，第95百分位数）", &|x| x.co),
        line("O3-8h（µg/m³，第90百分位数）", &|x| x.o3_8h),
        line("综合指数", &|x| x.composite_index),
        line("有效天数", &|x| Some(f64::from(x.valid_days))),
        line("优良天数", &|x| Some(f64::from(x.good_days))),
        line("优良天数比率（%）", &|x| x.good_day_ratio),
        line("重度及以上污染天数", &|x| {
            Some(f64::from(x.heavy_days))
        }),
        line("数据获取率（%）", &|x| x.coverage_pct),
    ];
    if r.kind == Kind::Daily {
        rows.insert(
            0,
            vec![
                "空气质量指数（AQI）".to_owned(),
                f.aqi.map_or_else(|| "—".to_owned(), |a| a.to_string()),
                p.aqi.map_or_else(|| "—".to_owned(), |a| a.to_string()),
                b.aqi.map_or_else(|| "—".to_owned(), |a| a.to_string()),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ],
        );
        rows.insert(
            1,
            vec![
                "级别与首要污染物".to_owned(),
                format!("{} {}", f.category_zh.unwrap_or("—"), f.primary),
                format!("{} {}", p.category_zh.unwrap_or("—"), p.primary),
                format!("{} {}", b.category_zh.unwrap_or("—"), b.primary),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ],
        );
    }
    (headers, rows)
}

fn series_table(rows: &[Shown], first: &'static str) -> Table {
    let headers = vec![
        first,
        "AQI",
        "级别",
        "首要污染物",
        "PM2.5",
        "PM10",
        "SO2",
        "NO2",
        "CO",
        "O3-8h",
        "获取率（%）",
    ];
    let body = rows
        .iter()
        .map(|s| {
            let d = &s.row;
            vec![
                d.start.clone(),
                d.aqi.map_or_else(|| "—".to_owned(), |a| a.to_string()),
                s.category_zh.unwrap_or("—").to_owned(),
                if d.primary.is_empty() {
                    "—".to_owned()
                } else {
                    d.primary.join(",")
                },
                num(d.pm25),
                num(d.pm10),
                num(d.so2),
                num(d.no2),
                num(d.co),
                num(d.o3_8h),
                num(Some(one_decimal(d.coverage * 100.0))),
            ]
        })
        .collect();
    (headers, body)
}

fn units_table(r: &PeriodicReport) -> Table {
    let daily = r.kind == Kind::Daily;
    let mut headers = vec![
        "名次",
        if r.scope == "city" {
            "单位"
        } else {
            "站点"
        },
    ];
    if daily {
        headers.extend(["AQI", "级别"]);
    }
    headers.extend([
        "综合指数",
        "PM2.5",
        "PM10",
        "SO2",
        "NO2",
        "CO",
        "O3-8h",
        "优良天数",
        "有效天数",
        "同比（%）",
        "环比（%）",
        "获取率（%）",
        "说明",
    ]);
    let rows = r
        .units
        .iter()
        .map(|u| {
            let f = &u.figures;
            let mut v = vec![
                u.rank.map_or_else(|| "—".to_owned(), |n| n.to_string()),
                u.name_zh.clone(),
            ];
            if daily {
                v.push(f.aqi.map_or_else(|| "—".to_owned(), |a| a.to_string()));
                v.push(f.category_zh.unwrap_or("—").to_owned());
            }
            v.extend([
                num(f.composite_index),
                num(f.pm25),
                num(f.pm10),
                num(f.so2),
                num(f.no2),
                num(f.co),
                num(f.o3_8h),
                f.good_days.to_string(),
                format!("{}/{}", f.valid_days, f.days),
                signed(u.composite_yoy_pct),
                signed(u.composite_mom_pct),
                num(f.coverage_pct),
                u.note_zh.unwrap_or("").to_owned(),
            ]);
            v
        })
        .collect();
    (headers, rows)
}

/// The lines under the title: 单位, 统计时段, 发布时间.
fn head_lines(r: &PeriodicReport) -> Vec<String> {
    vec![
        format!("单位：{}", r.issuer_zh),
        format!("统计时段：{}（{} 至 {}）", r.period_zh, r.first, r.last),
        format!("发布时间：{}", r.issued_zh),
    ]
}

/// The report as an Excel workbook: sheets 概况, 逐日, 分单位 (or 分站点), 逐时 (日报) and 说明,
/// each under the title and the lines 单位, 统计时段, 发布时间.
pub fn xlsx(r: &PeriodicReport) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
    let e = |x: rust_xlsxwriter::XlsxError| AppError::Internal(format!("xlsx: {x}"));
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    let cell = Format::new().set_border(FormatBorder::Thin).set_text_wrap();
    let titlef = Format::new().set_bold().set_font_size(14);
    let mut book = Workbook::new();
    let lines = head_lines(r);
    let mut sheets: Vec<(&str, Table)> = vec![
        ("概况", overview_table(r)),
        ("逐日", series_table(&r.days, "日期")),
        (
            if r.scope == "city" {
                "分单位"
            } else {
                "分站点"
            },
            units_table(r),
        ),
    ];
    if r.kind == Kind::Daily {
        sheets.push(("逐时", series_table(&r.hours, "时间（北京时间，小时开始）")));
    }
    let mut notes = vec![r.summary_zh.clone()];
    notes.extend(r.notes_zh.iter().cloned());
    sheets.push((
        "说明",
        (vec!["说明"], notes.into_iter().map(|n| vec![n]).collect()),
    ));
    let top = lines.len() as u32 + 1;
    for (name, (headers, rows)) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(name).map_err(e)?;
        sheet
            .write_string_with_format(0, 0, &*text_cell(&r.title_zh), &titlef)
            .map_err(e)?;
        for (i, l) in lines.iter().enumerate() {
            sheet
                .write_string(1 + i as u32, 0, &*text_cell(l))
                .map_err(e)?;
        }
        for (c, h) in headers.iter().enumerate() {
            sheet
                .write_string_with_format(top, c as u16, *h, &head)
                .map_err(e)?;
            let width = if headers.len() == 1 {
                120.0
            } else if c <= 1 {
                16.0
            } else {
                10.0
            };
            sheet.set_column_width(c as u16, width).map_err(e)?;
        }
        for (i, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let at = (top + 1 + i as u32, c as u16);
                // Figures as numbers, so the bureau's Excel can sum and chart them.
                match v.parse::<f64>() {
                    Ok(x) if c > 0 && x.is_finite() && !v.starts_with('+') => sheet
                        .write_number_with_format(at.0, at.1, x, &cell)
                        .map(drop)
                        .map_err(e)?,
                    _ => sheet
                        .write_string_with_format(at.0, at.1, &*text_cell(v), &cell)
                        .map(drop)
                        .map_err(e)?,
                }
            }
        }
    }
    book.save_to_buffer().map_err(e)
}

/// The report as an A4 PDF in Chinese.
pub fn pdf(r: &PeriodicReport) -> AppResult<Vec<u8>> {
    let strings = |v: Vec<&str>| v.into_iter().map(str::to_owned).collect::<Vec<_>>();
    let table = |(h, rows): Table| {
        Some(pdf::Table {
            headers: strings(h),
            rows,
        })
    };
    let mut sections = vec![
        pdf::Section {
            heading: "一、总体情况".to_owned(),
            paragraphs: vec![r.summary_zh.clone()],
            table: table(overview_table(r)),
        },
        pdf::Section {
            heading: "二、逐日空气质量".to_owned(),
            paragraphs: Vec::new(),
            table: table(series_table(&r.days, "日期")),
        },
        pdf::Section {
            heading: if r.scope == "city" {
                "三、各乡镇（园区）空气质量".to_owned()
            } else {
                "三、各站点空气质量".to_owned()
            },
            paragraphs: vec![
                "按综合指数由小到大排名；无站点或无有效数据的单位列于最后，不参与排名。".to_owned(),
            ],
            table: table(units_table(r)),
        },
    ];
    if r.kind == Kind::Daily {
        sections.push(pdf::Section {
            heading: "四、逐时空气质量".to_owned(),
            paragraphs: Vec::new(),
            table: table(series_table(&r.hours, "时间")),
        });
    }
    let n = if r.kind == Kind::Daily { "五" } else { "四" };
    sections.push(pdf::Section {
        heading: format!("{n}、说明"),
        paragraphs: r.notes_zh.clone(),
        table: None,
    });
    pdf::render(&pdf::Document {
        title: r.title_zh.clone(),
        subtitle: head_lines(r),
        sections,
    })
}

/// The file name of a report: `daily-city-2026-11-09.pdf`, `monthly-unit-wangkou-2026-11.xlsx`.
pub fn file_name(kind: Kind, scope: &str, period: &str, ext: &str) -> String {
    format!(
        "{}-{}-{period}.{ext}",
        kind.as_str(),
        scope.replace(':', "-")
    )
}

/// The content type of a report file's format.
pub fn render_mime(format: &str) -> &'static str {
    match format {
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

/// The bytes of a report in `format` (`xlsx` or `pdf`) with the content type.
pub fn render(r: &PeriodicReport, format: &str) -> AppResult<(Vec<u8>, &'static str)> {
    let bytes = match format {
        "xlsx" => xlsx(r)?,
        "pdf" => pdf(r)?,
        o => {
            return Err(AppError::BadRequest(format!(
                "格式 {o:?} 无效，应为 xlsx 或 pdf / format {o:?}: expected xlsx or pdf"
            )));
        }
    };
    Ok((bytes, render_mime(format)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(t: &str) -> Date {
        Date::parse(t).unwrap()
    }

    #[test]
    fn periods_hold_their_days_and_know_the_one_before_and_a_year_before() {
        // (kind, text, first, last, previous first, year-before first, key)
        for (kind, text, first, last, prev, before, key) in [
            (
                Kind::Daily,
                "2026-03-01",
                "2026-03-01",
                "2026-03-01",
                "2026-02-28",
                "2025-03-01",
                "2026-03-01",
            ),
            (
                Kind::Daily,
                "2028-02-29",
                "2028-02-29",
                "2028-02-29",
                "2028-02-28",
                "2027-02-28",
                "2028-02-29",
            ),
            // 2026-11-11 is a Wednesday: its week runs from Monday the 9th.
            (
                Kind::Weekly,
                "2026-11-11",
                "2026-11-09",
                "2026-11-15",
                "2026-11-02",
                "2025-11-10",
                "2026-11-09",
            ),
            (
                Kind::Weekly,
                "2027-01-01",
                "2026-12-28",
                "2027-01-03",
                "2026-12-21",
                "2025-12-29",
                "2026-12-28",
            ),
            (
                Kind::Monthly,
                "2026-03",
                "2026-03-01",
                "2026-03-31",
                "2026-02-01",
                "2025-03-01",
                "2026-03",
            ),
            (
                Kind::Monthly,
                "2026-01",
                "2026-01-01",
                "2026-01-31",
                "2025-12-01",
                "2025-01-01",
                "2026-01",
            ),
        ] {
            let p = Period::parse(kind, text).unwrap();
            assert_eq!(p.first, d(first), "{text}");
            assert_eq!(p.last(), d(last), "{text}");
            assert_eq!(p.previous().first, d(prev), "{text}");
            assert_eq!(p.year_before().first, d(before), "{text}");
            assert_eq!(p.key(), key, "{text}");
        }
        assert_eq!(monday_of(d("2026-11-09")), d("2026-11-09"));
        assert_eq!(monday_of(d("2026-11-15")), d("2026-11-09"));
        for bad in ["2026-11", "2026-13-01", "", "1999-01-01"] {
            assert!(Period::parse(Kind::Daily, bad).is_err(), "{bad}");
        }
        assert!(Period::parse(Kind::Monthly, "2026-11-01").is_err());
    }

    #[test]
    fn the_last_ended_period_is_yesterday_last_week_and_last_month() {
        let today = d("2026-11-11");
        assert_eq!(
            Period::last_ended(Kind::Daily, today).first,
            d("2026-11-10")
        );
        let w = Period::last_ended(Kind::Weekly, today);
        assert_eq!((w.first, w.last()), (d("2026-11-02"), d("2026-11-08")));
        let m = Period::last_ended(Kind::Monthly, d("2026-01-01"));
        assert_eq!((m.first, m.last()), (d("2025-12-01"), d("2025-12-31")));
    }

    #[test]
    fn labels_say_the_span_in_chinese_and_in_english() {
        let w = Period::parse(Kind::Weekly, "2026-12-30").unwrap();
        assert_eq!(w.label_zh(), "2026年12月28日至2027年1月3日");
        assert_eq!(w.label_en(), "2026-12-28 to 2027-01-03");
        let w = Period::parse(Kind::Weekly, "2026-11-11").unwrap();
        assert_eq!(w.label_zh(), "2026年11月9日至11月15日");
        assert_eq!(
            Period::parse(Kind::Monthly, "2026-11").unwrap().label_zh(),
            "2026年11月"
        );
        assert_eq!(
            file_name(Kind::Monthly, "unit:wangkou", "2026-11", "pdf"),
            "monthly-unit-wangkou-2026-11.pdf"
        );
    }
}
