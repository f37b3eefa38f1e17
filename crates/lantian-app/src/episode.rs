//! The report after a heavy-pollution episode: the timeline, forecast against observed daily
//! AQI, compliance by enterprise and by grade, the violations, and the reduction achieved
//! against what the level required; as data, an Excel workbook and a PDF.

use crate::caller::policy;
use crate::compliance::{self, Verdict, Verification};
use crate::data::Scope;
use crate::emergency::{self, EventView, WarningView};
use crate::error::{AppError, AppResult};
use crate::pdf;
use crate::reduction;
use crate::{App, Caller};
use lantian_core::aqi::Lang;
use lantian_core::cst;
use lantian_core::warning::reduction::Pollutant;
use lantian_store::View;
use serde::Serialize;
use std::collections::BTreeMap;

/// A day of the episode: the forecast (mean of its hours) and the observed daily AQI.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DayRow {
    pub date: String,
    pub forecast_aqi: Option<f64>,
    pub observed_aqi: Option<u16>,
    pub observed_category: Option<&'static str>,
}

/// One pollutant's reduction: required by the level, estimated by the list, achieved by the
/// loads observed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReductionRow {
    pub pollutant: Pollutant,
    pub total_kg_day: f64,
    pub required_kg_day: f64,
    pub estimated_kg_day: f64,
    /// Σ over listed enterprises with load data: baseline × (1 − mean load during the
    /// warning); `None` when no enterprise has both.
    pub achieved_kg_day: Option<f64>,
}

/// The episode report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EpisodeReport {
    pub warning: WarningView,
    pub events: Vec<EventView>,
    pub days: Vec<DayRow>,
    pub verification: Verification,
    pub reductions: Vec<ReductionRow>,
    pub generated_at: String,
}

/// The report of warning `id`: for who runs the workflow.
pub fn report(app: &App, caller: &Caller, id: i64) -> AppResult<EpisodeReport> {
    if !policy::sees_receipts(caller) {
        return app.allow(
            caller,
            "episode.report",
            &id.to_string(),
            Err(policy::refusal(
                caller,
                "只有生态环境局和应急指挥部可以查看过程评估报告 / only the bureau and the command read episode reports",
            )),
        );
    }
    let detail = emergency::get(app, caller, id)?;
    let w = &detail.warning.warning;
    let verification = compliance::verify(app, caller, id)?;
    // The days: the forecast's and the warning's.
    let f = &w.forecast;
    let mut forecast: BTreeMap<String, (f64, u32)> = BTreeMap::new();
    for (i, v) in f.hourly.iter().enumerate() {
        if let Some(v) = v {
            let d = cst::date_of(f.start + i as i64 * cst::HOUR_S).to_string();
            let e = forecast.entry(d).or_default();
            e.0 += v;
            e.1 += 1;
        }
    }
    let mut starts: Vec<i64> = vec![];
    if !f.hourly.is_empty() {
        starts.push(f.start);
        starts.push(f.start + (f.hourly.len() as i64 - 1) * cst::HOUR_S);
    }
    starts.extend(w.issued_ts);
    starts.push(w.lifted_ts.unwrap_or_else(|| app.clock.now_cst()));
    let first = cst::date_of(starts.iter().copied().min().unwrap_or(0));
    let last = cst::date_of(starts.iter().copied().max().unwrap_or(0)).min(app.clock.today());
    let observed = if first <= last {
        crate::aqi::daily(
            app,
            &crate::Caller::Public,
            &Scope::City,
            first,
            last,
            Lang::Zh,
            View::Audited,
        )?
    } else {
        Vec::new()
    };
    let mut days: Vec<DayRow> = observed
        .into_iter()
        .map(|o| DayRow {
            forecast_aqi: forecast
                .get(&o.date)
                .map(|(s, n)| (s / f64::from(*n)).round()),
            date: o.date,
            observed_aqi: o.aqi,
            observed_category: o.category,
        })
        .collect();
    for (d, (s, n)) in &forecast {
        if !days.iter().any(|r| &r.date == d) {
            days.push(DayRow {
                date: d.clone(),
                forecast_aqi: Some((s / f64::from(*n)).round()),
                observed_aqi: None,
                observed_category: None,
            });
        }
    }
    days.sort_by(|a, b| a.date.cmp(&b.date));
    let day = w.issued_ts.map_or_else(|| app.clock.today(), cst::date_of);
    let list = reduction::list(app, caller, day)?;
    let summary = list.levels.iter().find(|l| l.level == w.level);
    // The mean load of each enterprise's judged hours during the warning.
    let mut load: BTreeMap<&str, (f64, u32)> = BTreeMap::new();
    for c in verification
        .checks
        .iter()
        .filter(|c| c.verdict != Verdict::NoData)
    {
        let l = match (c.running, c.load_pct) {
            (Some(false), _) => 0.0,
            (_, Some(l)) => l.min(100.0),
            _ => continue,
        };
        let e = load.entry(c.enterprise_id.as_str()).or_default();
        e.0 += l;
        e.1 += 1;
    }
    let reductions = Pollutant::ALL
        .iter()
        .filter_map(|&p| {
            let b = summary?.balances.iter().find(|b| b.pollutant == p)?;
            let mut achieved: Option<f64> = None;
            for e in &list.entries {
                let Some((sum, n)) = load.get(e.enterprise_id.as_str()) else {
                    continue;
                };
                let Some(base) = e.baseline.iter().find(|x| x.pollutant == p) else {
                    continue;
                };
                let mean = sum / f64::from(*n);
                *achieved.get_or_insert(0.0) += base.kg_day * (1.0 - mean / 100.0).max(0.0);
            }
            Some(ReductionRow {
                pollutant: p,
                total_kg_day: b.total_kg_day,
                required_kg_day: b.required_kg_day,
                estimated_kg_day: b.estimated_kg_day,
                achieved_kg_day: achieved,
            })
        })
        .collect();
    Ok(EpisodeReport {
        warning: detail.warning,
        events: detail.events,
        days,
        verification,
        reductions,
        generated_at: cst::format_minute(app.clock.now_cst()),
    })
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map(|v| format!("{v:.digits$}"))
        .unwrap_or_else(|| "—".into())
}

/// The report's tables: (heading, headers, rows).
/// A table of the report: heading, column headers, rows.
type Table = (String, Vec<&'static str>, Vec<Vec<String>>);

fn tables(r: &EpisodeReport) -> Vec<Table> {
    let events = r
        .events
        .iter()
        .map(|e| {
            vec![
                e.at.clone(),
                e.kind_zh.to_owned(),
                e.level_zh.unwrap_or("").to_owned(),
                e.effective_at.clone().unwrap_or_default(),
                e.event.doc_no.clone().unwrap_or_default(),
                e.event.actor.clone(),
                e.event.note.clone(),
            ]
        })
        .collect();
    let days = r
        .days
        .iter()
        .map(|d| {
            vec![
                d.date.clone(),
                opt(d.forecast_aqi, 0),
                d.observed_aqi
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| "—".into()),
                d.observed_category.unwrap_or("").to_owned(),
            ]
        })
        .collect();
    let enterprises = r
        .verification
        .enterprises
        .iter()
        .map(|e| {
            vec![
                e.name.clone(),
                e.grade.map(|g| g.as_str().to_owned()).unwrap_or_default(),
                e.checked_hours.to_string(),
                e.complied_hours.to_string(),
                opt(e.rate_pct, 1),
                e.violations.to_string(),
                e.unverifiable.to_string(),
            ]
        })
        .collect();
    let grades = r
        .verification
        .by_grade
        .iter()
        .map(|g| {
            vec![
                g.grade.clone(),
                g.enterprises.to_string(),
                g.checked_hours.to_string(),
                opt(g.rate_pct, 1),
            ]
        })
        .collect();
    let violations = r
        .verification
        .violations
        .iter()
        .map(|v| {
            vec![
                v.enterprise_name.clone(),
                v.kind_zh.to_owned(),
                v.equipment.clone().unwrap_or_default(),
                format!("{} 至 {}", v.first_hour, v.last_hour),
                v.hours.to_string(),
                v.detail.clone(),
                if v.handed_over.is_some() {
                    "已移交".into()
                } else {
                    "未移交".into()
                },
            ]
        })
        .collect();
    let reductions = r
        .reductions
        .iter()
        .map(|x| {
            vec![
                x.pollutant.as_str().to_owned(),
                opt(Some(x.total_kg_day), 1),
                opt(Some(x.required_kg_day), 1),
                opt(Some(x.estimated_kg_day), 1),
                opt(x.achieved_kg_day, 1),
            ]
        })
        .collect();
    vec![
        (
            "预警过程（北京时间）".into(),
            vec![
                "记录时间",
                "环节",
                "级别",
                "生效时间",
                "文号",
                "操作人",
                "说明",
            ],
            events,
        ),
        (
            "预报与实况日均 AQI".into(),
            vec!["日期", "预报 AQI", "实况 AQI", "实况类别"],
            days,
        ),
        (
            "企业落实情况".into(),
            vec![
                "企业",
                "绩效分级",
                "核查小时",
                "落实小时",
                "落实率（%）",
                "违规次数",
                "无法以数据核查的措施",
            ],
            enterprises,
        ),
        (
            "按绩效分级统计".into(),
            vec!["绩效分级", "企业数", "核查小时", "落实率（%）"],
            grades,
        ),
        (
            "违规情况".into(),
            vec![
                "企业",
                "措施",
                "生产线",
                "时段（北京时间）",
                "小时数",
                "情况",
                "执法移交",
            ],
            violations,
        ),
        (
            "减排量（kg/日）".into(),
            vec![
                "污染物",
                "排放基数",
                "要求削减",
                "清单预计削减",
                "实际估算削减",
            ],
            reductions,
        ),
    ]
}

fn title(app: &App, r: &EpisodeReport) -> String {
    format!(
        "{}重污染天气{}预警过程评估报告（预警 {}）",
        app.county.profile.name_zh, r.warning.level_zh, r.warning.warning.id
    )
}

fn subtitle(r: &EpisodeReport) -> Vec<String> {
    vec![
        format!(
            "文号：{}；{}；触发规则：{}",
            r.warning
                .warning
                .doc_no
                .clone()
                .unwrap_or_else(|| "—".into()),
            r.warning.state_zh,
            r.warning.warning.rule_zh
        ),
        format!(
            "生效：{} 至 {}（北京时间）；报告生成：{}（北京时间）",
            r.warning.issued_at.clone().unwrap_or_else(|| "—".into()),
            r.warning
                .lifted_at
                .clone()
                .unwrap_or_else(|| "未解除".into()),
            r.generated_at
        ),
    ]
}

/// The report as an Excel workbook: one sheet, its tables one under another.
pub fn xlsx(app: &App, r: &EpisodeReport) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let e = |x: rust_xlsxwriter::XlsxError| AppError::Internal(x.to_string());
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("过程评估").map_err(e)?;
    let bold = Format::new().set_bold();
    let big = Format::new().set_bold().set_font_size(14);
    sheet
        .write_string_with_format(0, 0, title(app, r), &big)
        .map_err(e)?;
    let mut row = 1u32;
    for s in subtitle(r) {
        sheet
            .write_string(row, 0, &*crate::table_xlsx::text_cell(&s))
            .map_err(e)?;
        row += 1;
    }
    for (heading, headers, rows) in tables(r) {
        row += 1;
        sheet
            .write_string_with_format(row, 0, heading, &bold)
            .map_err(e)?;
        row += 1;
        for (c, h) in headers.iter().enumerate() {
            sheet
                .write_string_with_format(row, c as u16, *h, &bold)
                .map_err(e)?;
        }
        row += 1;
        for r in rows {
            for (c, v) in r.iter().enumerate() {
                sheet
                    .write_string(row, c as u16, &*crate::table_xlsx::text_cell(v))
                    .map_err(e)?;
            }
            row += 1;
        }
    }
    for c in 0..7u16 {
        sheet.set_column_width(c, 18).map_err(e)?;
    }
    book.save_to_buffer().map_err(e)
}

/// The report as a PDF (needs a CJK font: [`pdf::font_path`]).
pub fn pdf(app: &App, r: &EpisodeReport) -> AppResult<Vec<u8>> {
    let doc = pdf::Document {
        title: title(app, r),
        subtitle: subtitle(r),
        sections: tables(r)
            .into_iter()
            .map(|(heading, headers, rows)| pdf::Section {
                heading,
                paragraphs: Vec::new(),
                table: Some(pdf::Table {
                    headers: headers.into_iter().map(str::to_owned).collect(),
                    rows,
                }),
            })
            .collect(),
    };
    pdf::render(&doc)
}
