//! Dust, non-road machinery and area indicators (issue 18; docs/grid.md): dust sites with
//! their monitors and limits, the dust scan (exceedance episodes → one grid task each),
//! monthly dustfall against 5 t/km²·month and its monthly mean recorded as the ledger's
//! actual, inspections with the "six 100 %" checklist, the machinery register with its
//! inspections, 冒黑烟 reports as tasks, and the plan's area indicators with their actuals.
//!
//! Permissions: the bureau and administrators register sites and machinery, run the scan and
//! record the dustfall actual ([`policy::Act::ManageSites`]); every government account sees
//! them ([`policy::Act::SeeSites`]); a site's supervising department and its township also
//! enter its dustfall and inspections ([`acts_on_site`]).

use crate::caller::policy::{self, Act};
use crate::error::{AppError, AppResult};
use crate::ledger_parts::{self, TargetProgress};
use crate::tasks::{self, NewTask};
use crate::{App, Caller};
use lantian_core::cst;
use lantian_core::date::{Date, Month};
use lantian_core::grid::dust::{
    self, CheckItem, DUSTFALL_LIMIT_T_KM2_MONTH, PM10_CODE, SiteKind, Stage, TSP_CODE,
};
use lantian_core::grid::task::Source;
use lantian_core::ledger::actuals::numeric_targets;
use lantian_core::org::Role;
use lantian_store::View;
use lantian_store::sites::{
    CheckRow, DustfallRow, EpisodeClaim, EpisodeRow, InspectionRow, MachineInspectionRow,
    MachineRow, SiteRow,
};
use serde::{Deserialize, Serialize};

/// Lantian's default of consecutive hours over the limit that make an episode, when a
/// site's registration names none (a choice, not a standard's number).
pub const EXCESS_HOURS_MIN_DEFAULT: u32 = 3;
/// The periodic scan looks at the last two days (today and yesterday, Beijing time), so an
/// episode across midnight is seen whole.
pub const SCAN_DAYS_PERIODIC: i64 = 2;
/// The longest scan one request may ask for.
pub const SCAN_DAYS_MAX: i64 = 92;
/// Longest free text (names, notes), in characters.
pub const TEXT_CHARS_MAX: usize = 500;

fn bad(msg: String) -> AppError {
    AppError::BadRequest(msg)
}

fn text_ok(what: &str, text: &str) -> AppResult<()> {
    if text.chars().count() > TEXT_CHARS_MAX {
        return Err(bad(format!(
            "{what}不超过 {TEXT_CHARS_MAX} 字 / {what} is at most {TEXT_CHARS_MAX} characters"
        )));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(bad(format!(
            "{what}含有控制字符 / {what} contains control characters"
        )));
    }
    Ok(())
}

fn may(app: &App, caller: &Caller, act: Act, name: &str, object: &str) -> AppResult<()> {
    let decision = if policy::acts(caller).contains(&act) {
        Ok(())
    } else {
        Err(policy::refusal(
            caller,
            match act {
                Act::ManageSites => {
                    "只有生态环境局可以登记工地、机械和运行扬尘扫描 / only the bureau registers sites and machinery and runs the dust scan"
                }
                _ => {
                    "工地与机械信息仅供政府部门查看 / sites and machinery are for government accounts"
                }
            },
        ))
    };
    app.allow(caller, name, object, decision)
}

/// Whether the caller enters dustfall and inspections for `site`: the bureau and
/// administrators; the department that supervises it; the township it lies in.
pub fn acts_on_site(caller: &Caller, site: &SiteRow) -> bool {
    let Some(a) = caller.account() else {
        return false;
    };
    if policy::MANAGE.contains(&a.role) {
        return true;
    }
    let unit = a.unit_id.as_deref();
    unit.is_some()
        && match a.role {
            Role::Department => unit == site.department.as_deref(),
            Role::Township => unit == site.township.as_deref(),
            _ => false,
        }
}

fn may_act_on(app: &App, caller: &Caller, site: &SiteRow, name: &str) -> AppResult<()> {
    let decision = if acts_on_site(caller, site) {
        Ok(())
    } else {
        Err(policy::refusal(
            caller,
            "只有生态环境局、监管部门和所在乡镇可以填报 / only the bureau, the supervising department and the site's township enter this",
        ))
    };
    app.allow(caller, name, &format!("site:{}", site.id), decision)
}

fn site(app: &App, id: &str) -> AppResult<SiteRow> {
    app.store
        .site(id)?
        .ok_or_else(|| AppError::NotFound(format!("工地 {id} 不存在 / no site {id}")))
}

/// A site to register.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct NewSite {
    pub id: String,
    pub name: String,
    /// `construction`, `road`, `yard` or `other`.
    pub kind: String,
    pub lat: f64,
    pub lon: f64,
    #[serde(default)]
    pub owner: String,
    /// The supervising department (a department of the county profile, e.g. 市住房和城乡建设局).
    #[serde(default)]
    pub department: Option<String>,
    /// The station id of its dust monitor (an ambient station, usually a micro sensor).
    #[serde(default)]
    pub monitor: Option<String>,
    /// `pm10` (default) or `tsp`.
    #[serde(default)]
    pub pollutant: Option<String>,
    /// The limit of an hour's value, µg/m³.
    pub limit_ug_m3: f64,
    /// Consecutive hours over the limit that make an episode (default 3).
    #[serde(default)]
    pub excess_hours_min: Option<u32>,
}

/// A site as shown.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SiteView {
    #[serde(flatten)]
    pub site: SiteRow,
    pub kind_zh: &'static str,
    pub township_name: Option<String>,
    /// The latest month's dustfall with its verdict.
    pub dustfall: Option<DustfallView>,
    /// The latest inspection: its date and whether all six items were met.
    pub last_inspection: Option<String>,
    pub last_inspection_passed: Option<bool>,
    /// How many exceedance episodes the scan recorded.
    pub episode_count: usize,
}

fn unit_name(app: &App, id: &str) -> String {
    app.county
        .units
        .iter()
        .find(|u| u.id == id)
        .map_or_else(|| id.to_owned(), |u| u.name_zh.clone())
}

/// The bureau registers a site: its township is the one its point lies in (a point outside
/// the county is refused with the distance and the nearest township); its monitor must be an
/// ambient station. Audited.
pub fn register_site(app: &App, caller: &Caller, s: NewSite) -> AppResult<SiteView> {
    may(app, caller, Act::ManageSites, "site.add", &s.id)?;
    let id = s.id.trim();
    if id.is_empty() || id.len() > 64 || id.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err(bad(format!(
            "工地编号须为 1–64 个字符，不含空格和 / / a site id is 1–64 characters without spaces or '/', not {id:?}"
        )));
    }
    if s.name.trim().is_empty() {
        return Err(bad("工地名称不能为空 / a site needs a name".to_owned()));
    }
    text_ok("名称 / name", &s.name)?;
    text_ok("建设单位 / owner", &s.owner)?;
    let kind = SiteKind::parse(s.kind.trim()).ok_or_else(|| {
        bad(format!(
            "工地类型 {:?} 无效 / site kind {:?}: expected one of {}",
            s.kind,
            s.kind,
            SiteKind::names()
        ))
    })?;
    let code = match s.pollutant.as_deref().map(str::trim) {
        None | Some("") | Some("pm10") | Some("PM10") | Some(PM10_CODE) => PM10_CODE,
        Some("tsp") | Some("TSP") | Some(TSP_CODE) => TSP_CODE,
        Some(other) => {
            return Err(bad(format!(
                "监测项目 {other:?} 无效 / pollutant {other:?}: expected pm10 or tsp"
            )));
        }
    };
    if !(s.limit_ug_m3.is_finite() && s.limit_ug_m3 > 0.0) {
        return Err(bad(format!(
            "限值须为正数 (µg/m³) / the limit must be a positive number of µg/m³, not {}",
            s.limit_ug_m3
        )));
    }
    let hours = s.excess_hours_min.unwrap_or(EXCESS_HOURS_MIN_DEFAULT);
    if !(1..=72).contains(&hours) {
        return Err(bad(format!(
            "连续超标小时数须为 1–72 / excess hours must be 1–72, not {hours}"
        )));
    }
    if let Some(d) = &s.department
        && !app.county.departments.iter().any(|x| &x.name_zh == d)
    {
        return Err(bad(format!(
            "部门 {d} 不在本县名单中 / {d} is not a department of the county profile"
        )));
    }
    if let Some(m) = &s.monitor {
        let st = app.store.station(m)?.ok_or_else(|| {
            bad(format!(
                "监测站点 {m} 不存在 / the monitor {m} is not a registered station"
            ))
        })?;
        if !st.role.is_ambient() {
            return Err(bad(format!(
                "{m} 是污染源监测点，不是环境监测站点 / {m} is an enterprise's outlet or equipment, not an ambient station"
            )));
        }
    }
    let township = tasks::township_of(app, s.lat, s.lon)?;
    let row = SiteRow {
        id: id.to_owned(),
        name: s.name.trim().to_owned(),
        kind,
        township: Some(township),
        department: s.department.clone(),
        lat: s.lat,
        lon: s.lon,
        owner: s.owner.trim().to_owned(),
        monitor_station_id: s.monitor.clone(),
        monitor_code: code.to_owned(),
        limit_ug_m3: s.limit_ug_m3,
        excess_hours_min: hours,
        actor: caller.name().to_owned(),
        created_ms: app.clock.now_ms(),
    };
    let detail = format!(
        "{} {} {} limit {} µg/m³ × {hours} h monitor {}",
        row.name,
        kind,
        code,
        row.limit_ug_m3,
        row.monitor_station_id.as_deref().unwrap_or("-")
    );
    app.audited(caller, "site.add", &format!("site:{id}"), &detail, || {
        Ok(app.store.add_site(&row)?)
    })?;
    view(app, row)
}

fn view(app: &App, site: SiteRow) -> AppResult<SiteView> {
    let dustfall = latest_dustfall(&app.store.dustfall(None, Some(&site.id))?)
        .into_iter()
        .max_by_key(|d| d.month)
        .map(dustfall_view);
    let inspections = app.store.site_inspections(Some(&site.id))?;
    let episodes = app.store.site_episodes(Some(&site.id))?.len();
    Ok(SiteView {
        kind_zh: site.kind.name_zh(),
        township_name: site.township.as_deref().map(|t| unit_name(app, t)),
        dustfall,
        last_inspection: inspections.first().map(|i| i.date.to_string()),
        last_inspection_passed: inspections.first().map(|i| i.passed),
        episode_count: episodes,
        site,
    })
}

/// Every site with its latest dustfall and inspection (government accounts).
pub fn list_sites(app: &App, caller: &Caller) -> AppResult<Vec<SiteView>> {
    may(app, caller, Act::SeeSites, "site.list", "sites")?;
    app.store
        .sites()?
        .into_iter()
        .map(|s| view(app, s))
        .collect()
}

/// One site with every month's dustfall, its inspections and its episodes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SiteDetail {
    #[serde(flatten)]
    pub view: SiteView,
    pub dustfall_months: Vec<DustfallView>,
    pub inspections: Vec<InspectionView>,
    pub episodes: Vec<EpisodeView>,
    /// Whether the caller enters dustfall and inspections for it.
    pub can_enter: bool,
}

/// An inspection as shown, its items named in Chinese.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InspectionView {
    #[serde(flatten)]
    pub row: InspectionRow,
    pub items_zh: Vec<String>,
    /// 北京时间.
    pub at: String,
}

/// An episode as shown.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EpisodeView {
    #[serde(flatten)]
    pub row: EpisodeRow,
    /// The first and last hour's start (北京时间).
    pub first_hour: String,
    pub last_hour: String,
    pub n_hours: i64,
}

fn episode_view(e: EpisodeRow) -> EpisodeView {
    EpisodeView {
        first_hour: cst::format_minute(e.first_hour_ts),
        last_hour: cst::format_minute(e.last_hour_ts),
        n_hours: (e.last_hour_ts - e.first_hour_ts) / cst::HOUR_S + 1,
        row: e,
    }
}

fn inspection_view(i: InspectionRow) -> InspectionView {
    InspectionView {
        items_zh: i
            .items
            .iter()
            .map(|c| {
                format!(
                    "{}：{}{}",
                    c.item.name_zh(),
                    if c.ok { "是" } else { "否" },
                    if c.note.is_empty() {
                        String::new()
                    } else {
                        format!("（{}）", c.note)
                    }
                )
            })
            .collect(),
        at: cst::format_unix_ms(i.at_ms),
        row: i,
    }
}

pub fn site_detail(app: &App, caller: &Caller, id: &str) -> AppResult<SiteDetail> {
    may(app, caller, Act::SeeSites, "site.show", id)?;
    let s = site(app, id)?;
    let can_enter = acts_on_site(caller, &s);
    let mut months: Vec<DustfallView> = latest_dustfall(&app.store.dustfall(None, Some(id))?)
        .into_iter()
        .map(dustfall_view)
        .collect();
    months.sort_by_key(|d| std::cmp::Reverse(d.month));
    Ok(SiteDetail {
        dustfall_months: months,
        inspections: app
            .store
            .site_inspections(Some(id))?
            .into_iter()
            .map(inspection_view)
            .collect(),
        episodes: app
            .store
            .site_episodes(Some(id))?
            .into_iter()
            .map(episode_view)
            .collect(),
        can_enter,
        view: view(app, s)?,
    })
}

// ---------------------------------------------------------------------------------------
// Dustfall

/// A site's dustfall of a month against the plan's 5 t/km²·month.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DustfallView {
    pub site_id: String,
    pub month: Month,
    pub value_t_km2: f64,
    pub limit_t_km2: f64,
    /// Above 5 t/km²·month.
    pub over: bool,
    pub verdict_zh: &'static str,
    pub actor: String,
    pub note: String,
}

fn verdict_zh(over: bool) -> &'static str {
    if over { "超标" } else { "达标" }
}

fn dustfall_view(d: DustfallRow) -> DustfallView {
    let over = dust::dustfall_over(d.value_t_km2);
    DustfallView {
        site_id: d.site_id,
        month: d.month,
        value_t_km2: d.value_t_km2,
        limit_t_km2: DUSTFALL_LIMIT_T_KM2_MONTH,
        over,
        verdict_zh: verdict_zh(over),
        actor: d.actor,
        note: d.note,
    }
}

/// The latest entry of each (site, month): a later entry supersedes an earlier one.
fn latest_dustfall(rows: &[DustfallRow]) -> Vec<DustfallRow> {
    let mut out: Vec<DustfallRow> = Vec::new();
    for r in rows {
        match out
            .iter_mut()
            .find(|o| o.site_id == r.site_id && o.month == r.month)
        {
            Some(o) if o.id < r.id => *o = r.clone(),
            Some(_) => {}
            None => out.push(r.clone()),
        }
    }
    out
}

/// One dustfall entry.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct DustfallEntry {
    pub site: String,
    pub month: Month,
    pub value_t_km2: f64,
    #[serde(default)]
    pub note: String,
}

/// Enters months of dustfall (all or nothing): each site's bureau, department or township;
/// a month after the current one is refused. Audited, one row per entry.
pub fn record_dustfall(
    app: &App,
    caller: &Caller,
    entries: &[DustfallEntry],
) -> AppResult<Vec<DustfallView>> {
    caller.require()?;
    if entries.is_empty() {
        return Err(bad("没有降尘数据 / no dustfall entries".to_owned()));
    }
    let now = Month::of(app.clock.today());
    let mut rows = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let at = |m: String| bad(format!("第 {} 条 / entry {}: {m}", i + 1, i + 1));
        let s = site(app, &e.site).map_err(|err| at(err.to_string()))?;
        may_act_on(app, caller, &s, "site.dustfall")?;
        if !(e.value_t_km2.is_finite() && e.value_t_km2 >= 0.0) {
            return Err(at(format!(
                "降尘量须为非负数 / dustfall must be a non-negative number of t/km²·month, not {}",
                e.value_t_km2
            )));
        }
        if e.month > now {
            return Err(at(format!(
                "{} 尚未到来 / month {} is after the current month {now} (北京时间)",
                e.month, e.month
            )));
        }
        text_ok("备注 / note", &e.note).map_err(|err| at(err.to_string()))?;
        rows.push(DustfallRow {
            id: 0,
            site_id: s.id,
            month: e.month,
            value_t_km2: e.value_t_km2,
            actor: caller.name().to_owned(),
            at_ms: app.clock.now_ms(),
            note: e.note.clone(),
        });
    }
    let detail = rows
        .iter()
        .map(|r| format!("{} {} {}", r.site_id, r.month, r.value_t_km2))
        .collect::<Vec<_>>()
        .join("; ");
    let object = if rows.len() == 1 {
        format!("site:{}", rows[0].site_id)
    } else {
        format!("sites:{}", rows.len())
    };
    app.audited(caller, "site.dustfall", &object, &detail, || {
        Ok(app.store.add_dustfall(&rows)?)
    })?;
    Ok(rows.into_iter().map(dustfall_view).collect())
}

/// Dustfall from a spreadsheet (CSV or xlsx): columns `site`, `month` (YYYY-MM), `value`
/// (t/km²·month) and an optional `note`, a header row first; all or nothing, a bad row named.
pub fn import_dustfall(
    app: &App,
    caller: &Caller,
    bytes: &[u8],
    name: &str,
) -> AppResult<Vec<DustfallView>> {
    caller.require()?;
    let rows = crate::upload::cells(bytes, name)?;
    let mut it = rows.into_iter().enumerate();
    let header = it
        .next()
        .map(|(_, h)| h)
        .ok_or_else(|| bad(format!("{name}: empty / 文件为空")))?;
    let col = |want: &[&str]| {
        header
            .iter()
            .position(|h| want.contains(&h.trim().to_lowercase().as_str()))
    };
    let (Some(cs), Some(cm), Some(cv)) = (
        col(&["site", "工地", "工地编号"]),
        col(&["month", "月份"]),
        col(&["value", "降尘量", "dustfall"]),
    ) else {
        return Err(bad(format!(
            "{name}: 表头须有 site、month、value 列 / the header needs the columns site, month and value"
        )));
    };
    let cn = col(&["note", "备注"]);
    let mut entries = Vec::new();
    for (i, r) in it {
        let cell = |c: usize| r.get(c).map(|s| s.trim()).unwrap_or("");
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let line = i + 1;
        let month = Month::parse(cell(cm)).ok_or_else(|| {
            bad(format!(
                "{name} 第 {line} 行 / line {line}: month {:?} is not YYYY-MM",
                cell(cm)
            ))
        })?;
        let value: f64 = cell(cv).parse().map_err(|_| {
            bad(format!(
                "{name} 第 {line} 行 / line {line}: value {:?} is not a number",
                cell(cv)
            ))
        })?;
        entries.push(DustfallEntry {
            site: cell(cs).to_owned(),
            month,
            value_t_km2: value,
            note: cn.map(|c| cell(c).to_owned()).unwrap_or_default(),
        });
    }
    record_dustfall(app, caller, &entries)
}

/// The sites' dustfall of a month and their mean, against 5 t/km²·month.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DustfallMonth {
    pub month: Month,
    pub limit_t_km2: f64,
    pub sites: Vec<DustfallView>,
    /// The mean of the sites with a value (`None`: no site has one).
    pub mean_t_km2: Option<f64>,
    pub mean_over: Option<bool>,
    pub sites_over: usize,
}

pub fn dustfall_month(app: &App, caller: &Caller, month: Month) -> AppResult<DustfallMonth> {
    may(
        app,
        caller,
        Act::SeeSites,
        "site.dustfall_month",
        &month.to_string(),
    )?;
    let mut sites: Vec<DustfallView> = latest_dustfall(&app.store.dustfall(Some(month), None)?)
        .into_iter()
        .map(dustfall_view)
        .collect();
    sites.sort_by(|a, b| a.site_id.cmp(&b.site_id));
    let values: Vec<f64> = sites.iter().map(|d| d.value_t_km2).collect();
    // Rounded to two decimals, as a bulletin shows it; the verdict is of the rounded mean.
    let mean = dust::dustfall_mean(&values).map(|m| (m * 100.0).round() / 100.0);
    Ok(DustfallMonth {
        month,
        limit_t_km2: DUSTFALL_LIMIT_T_KM2_MONTH,
        sites_over: sites.iter().filter(|d| d.over).count(),
        mean_over: mean.map(dust::dustfall_over),
        mean_t_km2: mean,
        sites,
    })
}

/// Which of the plan's area indicators a numeric target is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaIndicator {
    /// 平均降尘量 (t/km²·month): the sites' monthly mean, recorded by the bureau.
    Dustfall,
    /// 秸秆综合利用率 (%): entered by its lead unit.
    StrawUtilisation,
    /// 道路机械化清扫率 (%): entered by its lead unit.
    MechanisedCleaning,
}

impl AreaIndicator {
    pub const ALL: [AreaIndicator; 3] = [
        AreaIndicator::Dustfall,
        AreaIndicator::StrawUtilisation,
        AreaIndicator::MechanisedCleaning,
    ];

    pub fn name_zh(self) -> &'static str {
        match self {
            AreaIndicator::Dustfall => "平均降尘量",
            AreaIndicator::StrawUtilisation => "秸秆综合利用率",
            AreaIndicator::MechanisedCleaning => "道路机械化清扫率",
        }
    }

    /// The indicator a numeric target is, from its unit and the clause of the measure's
    /// text it was read from (`…机械化清扫率达100%左右,平均降尘量不高于5吨/平方公里·月`).
    fn of_target(measure: &str, text: &str, unit: &str) -> Option<AreaIndicator> {
        let clause = {
            let before = measure.find(text).map_or("", |at| &measure[..at]);
            let start = before.rfind(['，', ',', '。', '；', ';']).map_or(0, |i| {
                i + before[i..].chars().next().map_or(1, char::len_utf8)
            });
            format!("{}{text}", &before[start..])
        };
        // The extractor writes t/km²·month as `t/(km²·month)`; a profile may keep 吨.
        let mass_per_area = unit.contains('吨') || unit.contains("km²");
        if mass_per_area && (clause.contains("降尘") || measure.contains("降尘")) {
            Some(AreaIndicator::Dustfall)
        } else if !unit.contains('%') {
            None
        } else if clause.contains("秸秆") && clause.contains("利用率") {
            Some(AreaIndicator::StrawUtilisation)
        } else if clause.contains("机械化") && clause.contains("清扫") {
            Some(AreaIndicator::MechanisedCleaning)
        } else {
            None
        }
    }
}

/// An area indicator with its measure, target and latest actual.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AreaIndicatorView {
    pub indicator: AreaIndicator,
    pub name_zh: &'static str,
    pub measure_id: String,
    pub lead_units: Vec<String>,
    pub progress: TargetProgress,
}

/// The measure and target key of an indicator: the first measure of the list with a
/// numeric target that is it ([`AreaIndicator::of_target`]).
fn indicator_target(app: &App, ind: AreaIndicator) -> AppResult<Option<(String, String)>> {
    for m in app.store.measures()? {
        for t in numeric_targets(&m.fields, |_| None) {
            if AreaIndicator::of_target(&m.measure, &t.text, &t.unit) == Some(ind) {
                return Ok(Some((m.id, t.key)));
            }
        }
    }
    Ok(None)
}

/// The plan's area indicators (straw utilisation ≥ 97 %, mechanised cleaning ~100 %,
/// dustfall ≤ 5) with their ledger measures and latest monthly actuals. Public, as the
/// ledger is.
pub fn area_indicators(app: &App) -> AppResult<Vec<AreaIndicatorView>> {
    let mut out = Vec::new();
    for ind in AreaIndicator::ALL {
        let Some((id, key)) = indicator_target(app, ind)? else {
            continue;
        };
        let m = crate::ledger::find(app, &id)?;
        let Some(progress) = ledger_parts::target_progress(app, &id, &m.fields)?
            .into_iter()
            .find(|t| t.key == key)
        else {
            continue;
        };
        out.push(AreaIndicatorView {
            indicator: ind,
            name_zh: ind.name_zh(),
            measure_id: id,
            lead_units: m.fields.lead_units.clone(),
            progress,
        });
    }
    Ok(out)
}

/// What recording the month's dustfall did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DustfallActual {
    pub month: Month,
    pub mean_t_km2: f64,
    pub sites: usize,
    pub measure_id: String,
    pub target_key: String,
    pub progress: TargetProgress,
}

/// The bureau records a month's mean dustfall of the sites as the actual of the ledger's
/// dustfall target (the measure whose target is in t/km²·month), through the ledger's own
/// actuals (audited there). A month without any site's value is refused.
pub fn record_dustfall_actual(
    app: &App,
    caller: &Caller,
    month: Month,
) -> AppResult<DustfallActual> {
    may(
        app,
        caller,
        Act::ManageSites,
        "site.dustfall_actual",
        &month.to_string(),
    )?;
    let summary = dustfall_month(app, caller, month)?;
    let Some(mean) = summary.mean_t_km2 else {
        return Err(bad(format!(
            "{month} 没有任何工地的降尘数据 / no site has a dustfall value for {month}"
        )));
    };
    let (id, key) = indicator_target(app, AreaIndicator::Dustfall)?.ok_or_else(|| {
        AppError::NotFound(
            "措施清单中没有降尘量目标 / the measures list has no dustfall target".to_owned(),
        )
    })?;
    let note = format!(
        "{} 个工地月均降尘量 / mean of {} sites (lantian site dustfall)",
        summary.sites.len(),
        summary.sites.len()
    );
    let progress = ledger_parts::record_actual(app, caller, &id, &key, month, mean, &note)?;
    Ok(DustfallActual {
        month,
        mean_t_km2: mean,
        sites: summary.sites.len(),
        measure_id: id,
        target_key: key,
        progress,
    })
}

// ---------------------------------------------------------------------------------------
// Inspections

/// An inspection to record: the six items, each met or not with a note.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct NewInspection {
    pub date: Date,
    pub items: Vec<CheckRow>,
    #[serde(default)]
    pub note: String,
}

/// Records an inspection of a site with every item of the "six 100 %" checklist once (the
/// bureau, the supervising department, the township). Audited.
pub fn inspect_site(
    app: &App,
    caller: &Caller,
    id: &str,
    i: NewInspection,
) -> AppResult<InspectionView> {
    caller.require()?;
    let s = site(app, id)?;
    may_act_on(app, caller, &s, "site.inspect")?;
    for item in CheckItem::ALL {
        let n = i.items.iter().filter(|c| c.item == *item).count();
        if n != 1 {
            return Err(bad(format!(
                "“{}”须填写一次（现 {n} 次）/ item {item} must be given once, not {n} times",
                item.name_zh()
            )));
        }
    }
    if i.date > app.clock.today() {
        return Err(bad(format!(
            "检查日期 {} 在今天之后 / the inspection date {} is after today (北京时间)",
            i.date, i.date
        )));
    }
    text_ok("备注 / note", &i.note)?;
    for c in &i.items {
        text_ok("备注 / note", &c.note)?;
    }
    let mut items = i.items.clone();
    items.sort_by_key(|c| CheckItem::ALL.iter().position(|x| *x == c.item));
    let passed = items.iter().all(|c| c.ok);
    let mut row = InspectionRow {
        id: 0,
        site_id: s.id.clone(),
        date: i.date,
        items,
        passed,
        note: i.note.clone(),
        actor: caller.name().to_owned(),
        at_ms: app.clock.now_ms(),
    };
    let failed: Vec<&str> = row
        .items
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.item.as_str())
        .collect();
    let detail = format!("{} passed={passed} failed=[{}]", i.date, failed.join(","));
    row.id = app.audited(
        caller,
        "site.inspect",
        &format!("site:{id}"),
        &detail,
        || Ok(app.store.add_site_inspection(&row)?),
    )?;
    Ok(inspection_view(row))
}

// ---------------------------------------------------------------------------------------
// The dust scan

/// One episode the scan saw.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScanEpisode {
    pub site_id: String,
    pub first_hour: String,
    pub last_hour: String,
    pub n_hours: u32,
    pub peak_ug_m3: f64,
    pub task_id: Option<i64>,
    /// First seen by this scan (its task made now).
    pub new: bool,
}

/// What a dust scan did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ScanReport {
    pub from: String,
    pub to: String,
    pub sites_scanned: usize,
    pub episodes: Vec<ScanEpisode>,
    pub tasks_created: usize,
    /// Sites not scanned, with the reason (no monitor).
    pub skipped: Vec<String>,
    /// Tasks that could not be made, with the reason (tried again at the next scan).
    pub errors: Vec<String>,
}

/// Scans every site's monitor over the days `from..=to` (Beijing time): hourly values (raw:
/// the real-time view) strictly over the site's limit for at least its excess hours make an
/// episode, and each episode becomes one grid task (source `dust`, `source_ref`
/// `site:ID/episode:FIRST_HOUR`) for the site's township, made by the system. An episode
/// already recorded (the same hours, or a continuation of them) makes no second task.
pub fn dust_scan(app: &App, from: Date, to: Date) -> AppResult<ScanReport> {
    if to < from {
        return Err(bad(format!("{to} is before {from}")));
    }
    if to.days_since_epoch() - from.days_since_epoch() >= SCAN_DAYS_MAX {
        return Err(bad(format!(
            "扫描最多 {SCAN_DAYS_MAX} 天 / a scan covers at most {SCAN_DAYS_MAX} days"
        )));
    }
    let start = cst::day_start(from);
    let end = cst::day_start(to.add_days(1));
    let mut report = ScanReport {
        from: from.to_string(),
        to: to.to_string(),
        ..ScanReport::default()
    };
    for s in app.store.sites()? {
        let Some(station) = s.monitor_station_id.as_deref() else {
            report
                .skipped
                .push(format!("{}: 未关联监测设备 / no monitor", s.id));
            continue;
        };
        report.sites_scanned += 1;
        // One site's failure (a store error) is reported and the others are still scanned.
        let hours: Vec<(i64, f64)> =
            match app
                .store
                .hourly(station, &s.monitor_code, start, end, View::Raw)
            {
                Ok(h) => h.into_iter().map(|h| (h.ts, h.value)).collect(),
                Err(e) => {
                    report
                        .errors
                        .push(format!("{}: {station} {}: {e}", s.id, s.monitor_code));
                    continue;
                }
            };
        for e in dust::episodes(&hours, s.limit_ug_m3, s.excess_hours_min) {
            let claim = match app.store.claim_site_episode(&s.id, &e, app.clock.now_ms()) {
                Ok(c) => c,
                Err(err) => {
                    report.errors.push(format!("{}: {err}", s.id));
                    continue;
                }
            };
            let (episode_id, first_ts, task_id, new) = match claim {
                EpisodeClaim::New(id) => (id, e.first_ts, None, true),
                EpisodeClaim::Known(k) => (k.id, k.first_hour_ts, k.task_id, false),
            };
            let task_id = match task_id {
                Some(t) => Some(t),
                None => match episode_task(app, &s, first_ts, &e) {
                    Ok(t) => {
                        app.store.set_site_episode_task(episode_id, t)?;
                        report.tasks_created += 1;
                        Some(t)
                    }
                    Err(err) => {
                        report.errors.push(format!("{}: {err}", s.id));
                        None
                    }
                },
            };
            report.episodes.push(ScanEpisode {
                site_id: s.id.clone(),
                first_hour: cst::format_minute(first_ts),
                last_hour: cst::format_minute(e.last_ts),
                n_hours: e.n_hours,
                peak_ug_m3: e.peak,
                task_id,
                new,
            });
        }
    }
    Ok(report)
}

fn episode_task(app: &App, s: &SiteRow, first_ts: i64, e: &dust::Episode) -> AppResult<i64> {
    let what = if s.monitor_code == TSP_CODE {
        "TSP"
    } else {
        "PM10"
    };
    let first = cst::format_minute(first_ts);
    let t = tasks::create_system(
        app,
        NewTask {
            source: Source::Dust,
            title: format!("扬尘超标：{} / dust over the limit: {}", s.name, s.name),
            detail: format!(
                "{what} 自 {first} 起连续 {} 小时超过 {} µg/m³，最高 {:.0} µg/m³（北京时间）/ {what} over {} µg/m³ for {} consecutive hours from {first} (Beijing time), peak {:.0} µg/m³",
                e.n_hours, s.limit_ug_m3, e.peak, s.limit_ug_m3, e.n_hours, e.peak
            ),
            lat: s.lat,
            lon: s.lon,
            occurred_ms: cst::to_unix_ms(first_ts),
            source_ref: Some(format!("site:{}/episode:{}", s.id, first.replace(' ', "T"))),
            assignee: s.township.clone(),
        },
    )?;
    Ok(t.id)
}

/// The caller runs the dust scan over `from..=to` (the bureau and administrators).
pub fn scan(app: &App, caller: &Caller, from: Date, to: Date) -> AppResult<ScanReport> {
    may(
        app,
        caller,
        Act::ManageSites,
        "site.scan",
        &format!("{from}..{to}"),
    )?;
    let r = dust_scan(app, from, to)?;
    app.audit_as(
        caller,
        "site.scan",
        &format!("{from}..{to}"),
        &format!(
            "{} sites, {} episodes, {} tasks",
            r.sites_scanned,
            r.episodes.len(),
            r.tasks_created
        ),
    )?;
    Ok(r)
}

/// The hourly scan of `lantian serve`: yesterday and today (Beijing time).
pub fn dust_scan_periodic(app: &App) -> AppResult<ScanReport> {
    let today = app.clock.today();
    dust_scan(app, today.add_days(1 - SCAN_DAYS_PERIODIC), today)
}

// ---------------------------------------------------------------------------------------
// Non-road machinery and smoky vehicles

/// A machine to register.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct NewMachine {
    /// Its registration code (编码登记).
    pub code: String,
    pub owner: String,
    /// What it is (挖掘机, 装载机, 叉车, …).
    pub kind: String,
    /// `cn1`…`cn4` or 国一…国四.
    pub stage: String,
    #[serde(default)]
    pub engine_kw: Option<f64>,
    #[serde(default)]
    pub site: Option<String>,
    /// The registration date (default: today).
    #[serde(default)]
    pub registered: Option<Date>,
}

/// A machine as shown, with its inspections.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MachineView {
    #[serde(flatten)]
    pub machine: MachineRow,
    pub stage_zh: &'static str,
    pub inspections: Vec<MachineInspectionRow>,
}

fn machine_view(app: &App, m: MachineRow) -> AppResult<MachineView> {
    Ok(MachineView {
        stage_zh: m.stage.name_zh(),
        inspections: app.store.machine_inspections(Some(&m.code))?,
        machine: m,
    })
}

/// The bureau registers a machine (编码登记). Audited.
pub fn register_machine(app: &App, caller: &Caller, m: NewMachine) -> AppResult<MachineView> {
    may(app, caller, Act::ManageSites, "machinery.add", &m.code)?;
    let code = m.code.trim();
    if code.is_empty() || code.len() > 64 || code.contains('/') {
        return Err(bad(format!(
            "登记编码须为 1–64 个字符，不含 / / a registration code is 1–64 characters without '/', not {code:?}"
        )));
    }
    for (what, t) in [("使用单位 / owner", &m.owner), ("机械类型 / type", &m.kind)] {
        if t.trim().is_empty() {
            return Err(bad(format!("{what}不能为空 / {what} is required")));
        }
        text_ok(what, t)?;
    }
    let stage = Stage::parse_loose(&m.stage).ok_or_else(|| {
        bad(format!(
            "排放阶段 {:?} 无效 / emission stage {:?}: expected 国一…国四 (cn1…cn4)",
            m.stage, m.stage
        ))
    })?;
    if let Some(kw) = m.engine_kw
        && !(kw.is_finite() && kw > 0.0)
    {
        return Err(bad(format!(
            "功率须为正数 / engine power must be a positive number of kW, not {kw}"
        )));
    }
    if let Some(s) = &m.site {
        site(app, s)?;
    }
    let row = MachineRow {
        code: code.to_owned(),
        owner: m.owner.trim().to_owned(),
        kind: m.kind.trim().to_owned(),
        stage,
        engine_kw: m.engine_kw,
        site_id: m.site.clone(),
        registered: m.registered.unwrap_or_else(|| app.clock.today()),
        actor: caller.name().to_owned(),
        at_ms: app.clock.now_ms(),
    };
    let detail = format!("{} {} {} {}", row.owner, row.kind, stage, row.registered);
    app.audited(
        caller,
        "machinery.add",
        &format!("machine:{code}"),
        &detail,
        || Ok(app.store.add_machine(&row)?),
    )?;
    machine_view(app, row)
}

pub fn list_machinery(app: &App, caller: &Caller) -> AppResult<Vec<MachineView>> {
    may(app, caller, Act::SeeSites, "machinery.list", "machinery")?;
    app.store
        .machinery()?
        .into_iter()
        .map(|m| machine_view(app, m))
        .collect()
}

pub fn machine(app: &App, caller: &Caller, code: &str) -> AppResult<MachineView> {
    may(app, caller, Act::SeeSites, "machinery.show", code)?;
    let m = app
        .store
        .machine(code)?
        .ok_or_else(|| AppError::NotFound(format!("机械 {code} 未登记 / no machine {code}")))?;
    machine_view(app, m)
}

/// A machine's inspection to record.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct NewMachineInspection {
    pub date: Date,
    pub passed: bool,
    /// Smoke opacity as measured (light absorption coefficient, m⁻¹), if measured.
    #[serde(default)]
    pub opacity_m1: Option<f64>,
    #[serde(default)]
    pub note: String,
}

/// Records an inspection of a registered machine: the bureau, or whoever acts on the site
/// it works at. Audited.
pub fn inspect_machine(
    app: &App,
    caller: &Caller,
    code: &str,
    i: NewMachineInspection,
) -> AppResult<MachineView> {
    caller.require()?;
    let m = app
        .store
        .machine(code)?
        .ok_or_else(|| AppError::NotFound(format!("机械 {code} 未登记 / no machine {code}")))?;
    let on_site = match &m.site_id {
        Some(s) => acts_on_site(caller, &site(app, s)?),
        None => false,
    };
    let decision = if on_site || policy::acts(caller).contains(&Act::ManageSites) {
        Ok(())
    } else {
        Err(policy::refusal(
            caller,
            "只有生态环境局或机械所在工地的监管单位可以填报检查 / only the bureau or the units of the machine's site record its inspections",
        ))
    };
    app.allow(
        caller,
        "machinery.inspect",
        &format!("machine:{code}"),
        decision,
    )?;
    if let Some(o) = i.opacity_m1
        && !(o.is_finite() && o >= 0.0)
    {
        return Err(bad(format!(
            "烟度须为非负数 (m⁻¹) / opacity must be a non-negative number of m⁻¹, not {o}"
        )));
    }
    if i.date > app.clock.today() {
        return Err(bad(format!(
            "检查日期 {} 在今天之后 / the inspection date {} is after today (北京时间)",
            i.date, i.date
        )));
    }
    text_ok("备注 / note", &i.note)?;
    let row = MachineInspectionRow {
        id: 0,
        code: m.code.clone(),
        date: i.date,
        passed: i.passed,
        opacity_m1: i.opacity_m1,
        note: i.note.clone(),
        actor: caller.name().to_owned(),
        at_ms: app.clock.now_ms(),
    };
    let detail = format!(
        "{} {} opacity {}",
        i.date,
        if i.passed { "pass" } else { "fail" },
        i.opacity_m1.map_or("-".to_owned(), |o| o.to_string())
    );
    app.audited(
        caller,
        "machinery.inspect",
        &format!("machine:{code}"),
        &detail,
        || Ok(app.store.add_machine_inspection(&row)?),
    )?;
    machine_view(app, m)
}

/// A 冒黑烟 (black smoke) vehicle seen.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct SmokyReport {
    /// The number plate.
    pub plate: String,
    /// Where, in words.
    pub place: String,
    pub lat: f64,
    pub lon: f64,
    /// When it was seen, `YYYY-MM-DD HH:MM` 北京时间 (default: now).
    #[serde(default)]
    pub seen: Option<String>,
    #[serde(default)]
    pub note: String,
}

/// The task a report became, and its photo's fate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SmokyAnswer {
    pub task: tasks::TaskView,
    /// Why the photo was not attached (the task stands without it).
    pub photo_error: Option<String>,
}

/// A government account reports a 冒黑烟 vehicle: a grid task (source `smoky_vehicle`,
/// `source_ref` the plate) for the township where it was seen; the photo, when given, is
/// attached as the task's evidence.
pub fn report_smoky_vehicle(
    app: &App,
    caller: &Caller,
    r: SmokyReport,
    photo: Option<(&str, &[u8])>,
) -> AppResult<SmokyAnswer> {
    let plate = r.plate.trim().to_uppercase();
    let plate_ok = (5..=10).contains(&plate.chars().count())
        && plate
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ('\u{4e00}'..='\u{9fff}').contains(&c));
    if !plate_ok {
        return Err(bad(format!(
            "车牌号 {:?} 无效 / plate {:?}: 5–10 letters, digits or Chinese characters",
            r.plate, r.plate
        )));
    }
    text_ok("地点 / place", &r.place)?;
    text_ok("备注 / note", &r.note)?;
    let occurred_ms = match r.seen.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => app.clock.now_ms(),
        Some(t) => cst::parse_minute(t).map(cst::to_unix_ms).ok_or_else(|| {
            bad(format!(
                "时间 {t:?} 须为 YYYY-MM-DD HH:MM（北京时间）/ seen {t:?} must be YYYY-MM-DD HH:MM, Beijing time"
            ))
        })?,
    };
    let task = tasks::create(
        app,
        caller,
        NewTask {
            source: Source::SmokyVehicle,
            title: format!("冒黑烟车辆 {plate} / smoky vehicle {plate}"),
            detail: format!(
                "{}{}{}",
                r.place.trim(),
                if r.note.is_empty() { "" } else { "；" },
                r.note
            ),
            lat: r.lat,
            lon: r.lon,
            occurred_ms,
            source_ref: Some(format!("plate:{plate}")),
            assignee: None,
        },
    )?;
    let photo_error = match photo {
        None => None,
        Some((name, bytes)) => tasks::evidence(app, caller, task.id, name, bytes)
            .err()
            .map(|e| e.to_string()),
    };
    Ok(SmokyAnswer { task, photo_error })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn row(id: i64, site: &str, month: &str, v: f64) -> DustfallRow {
        DustfallRow {
            id,
            site_id: site.to_owned(),
            month: Month::parse(month).unwrap(),
            value_t_km2: v,
            actor: "x".to_owned(),
            at_ms: 0,
            note: String::new(),
        }
    }

    #[test]
    fn a_later_dustfall_entry_of_the_same_site_and_month_supersedes_the_earlier() {
        let rows = [
            row(1, "A", "2026-10", 6.0),
            row(2, "B", "2026-10", 3.0),
            row(3, "A", "2026-10", 4.0),
            row(4, "A", "2026-09", 9.0),
        ];
        let got: Vec<(String, String, f64)> = latest_dustfall(&rows)
            .into_iter()
            .map(|r| (r.site_id, r.month.to_string(), r.value_t_km2))
            .collect();
        assert_eq!(
            got,
            vec![
                ("A".to_owned(), "2026-10".to_owned(), 4.0),
                ("B".to_owned(), "2026-10".to_owned(), 3.0),
                ("A".to_owned(), "2026-09".to_owned(), 9.0),
            ]
        );
    }

    #[test]
    fn area_indicators_are_recognised_by_the_clause_of_the_plan_s_list() {
        use AreaIndicator::*;
        let m38 = "市建成区道路机械化清扫率达100%左右,平均降尘量不高于不高于5吨/平方公里·月。";
        let m39 =
            "健全秸秆收储运服务体系,提升产业化能力和离田效能,全市秸秆综合利用率稳定在97%以上。";
        // (measure, target text, unit, indicator)
        let cases = [
            (m38, "100%左右", "%", Some(MechanisedCleaning)),
            (
                m38,
                "不高于5吨/平方公里·月",
                "吨/平方公里·月",
                Some(Dustfall),
            ),
            (
                m38,
                "不高于5吨/平方公里·月",
                "t/(km²·month)",
                Some(Dustfall),
            ),
            (m39, "稳定在97%以上", "%", Some(StrawUtilisation)),
            (
                "PM2.5浓度不高于35微克/立方米",
                "35微克/立方米",
                "微克/立方米",
                None,
            ),
            ("优良天数比例达80%", "80%", "%", None),
        ];
        for (m, text, unit, want) in cases {
            assert_eq!(AreaIndicator::of_target(m, text, unit), want, "{text}");
        }
    }
}
