//! The monthly township 通报 (plan §9(二)): the ranking under a stated method, the first and
//! last three, each township's targets and progress, the incentive list and the graded
//! penalty list (约谈 / 通报批评 / 问责), the data's coverage and rule sets, issued in Beijing
//! time; as JSON, an Excel workbook (排名, 目标进度, 激励与惩戒) and an A4 PDF.

use crate::caller::policy;
use crate::error::{AppError, AppResult};
use crate::table_xlsx::text_cell;
use crate::targets::{self, Progress};
use crate::township::{self, Ranking, TownRow};
use crate::{App, Caller, pdf};
use lantian_core::assess::ranking::{self, Config, Sanction, SanctionRules};
use lantian_core::rules::RuleChoice;
use lantian_core::{Month, cst};
use lantian_store::View;
use serde::Serialize;

/// A township named in the first or last three.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Named {
    pub rank: u32,
    pub unit: String,
    pub name_zh: String,
    pub value: Option<f64>,
}

/// One indicator of one unit: the month's and the year's target and actual.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProgressRow {
    pub unit: String,
    pub name_zh: String,
    pub name_en: String,
    pub indicator: String,
    pub indicator_zh: String,
    pub indicator_unit: &'static str,
    pub target_year: Option<f64>,
    pub target_month: Option<f64>,
    pub actual_month: Option<f64>,
    pub met_month: Option<bool>,
    pub target_ytd: Option<f64>,
    pub actual_ytd: Option<f64>,
    pub met_ytd: Option<bool>,
    pub still_allowed: Option<f64>,
    pub projection_year_end: Option<f64>,
    pub valid_days_month: u32,
    pub days_month: u32,
    pub rule_set: Option<&'static str>,
    /// In a year across the 2026 rule change, the year to date under the other rule set.
    pub other_rules: Option<crate::targets::OtherRules>,
}

impl ProgressRow {
    fn of(p: &Progress) -> ProgressRow {
        ProgressRow {
            unit: p.unit.clone(),
            name_zh: p.name_zh.clone(),
            name_en: p.name_en.clone(),
            indicator: p.indicator.code(),
            indicator_zh: p.indicator.name_zh(),
            indicator_unit: p.indicator.unit(),
            target_year: p.target_year,
            target_month: p.target_month,
            actual_month: p.actual_month,
            met_month: p.met_month,
            target_ytd: p.target_ytd,
            actual_ytd: p.actual_ytd,
            met_ytd: p.met_ytd,
            still_allowed: p.still_allowed,
            projection_year_end: p.projection_year_end,
            valid_days_month: p.valid_days_month,
            days_month: p.days_month,
            rule_set: p.rule_set,
            other_rules: p.other_rules.clone(),
        }
    }
}

/// A township that met (or exceeded) every target of the month and the year to date.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Incentive {
    pub unit: String,
    pub name_zh: String,
    /// Better than every target by at least the rule's margin.
    pub exceeded: bool,
    pub grade_zh: &'static str,
    /// The indicators met, in words.
    pub detail_zh: String,
}

/// A township that missed a target of the month, and its penalty.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Penalty {
    pub unit: String,
    pub name_zh: String,
    pub sanction: Sanction,
    pub sanction_zh: &'static str,
    /// The largest gap of a missed indicator, per cent of its target.
    pub gap_pct: Option<f64>,
    /// The most months in a row an indicator has been missed, this one included.
    pub months_in_a_row: u32,
    /// Each missed indicator with its target, actual and months in a row.
    pub detail_zh: String,
}

/// The monthly 通报.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TownshipReport {
    pub title_zh: String,
    /// `2026-11`.
    pub month: String,
    /// `2026-12-01 09:30（北京时间）`.
    pub issued_zh: String,
    pub ranking: Ranking,
    pub first_three: Vec<Named>,
    pub last_three: Vec<Named>,
    /// The units the caller may see the progress of (a township: its own).
    pub progress: Vec<ProgressRow>,
    pub incentives: Vec<Incentive>,
    /// Internal (the bureau and administrators): `null` for everyone else.
    pub penalties: Option<Vec<Penalty>>,
    pub sanction_rules: SanctionRules,
    pub rule_zh: String,
    pub rule_en: String,
    /// The rule sets the figures were assessed under.
    pub rule_sets: Vec<&'static str>,
    /// Valid days over days, per cent, over every unit with a station.
    pub coverage_pct: Option<f64>,
}

/// Who may read the 通报: a login that is not an enterprise's (401 for the public, 403 for
/// an enterprise), as with the other internal verdicts on the targets.
fn allow(caller: &Caller) -> AppResult<()> {
    caller.require()?;
    if policy::sees_target_verdicts(caller) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "乡镇通报仅供政府部门账号查看 / the township report is for government accounts".into(),
        ))
    }
}

/// The 通报 of `month`.
#[allow(clippy::too_many_arguments)]
pub fn report(
    app: &App,
    caller: &Caller,
    month: Month,
    config: &Config,
    sanctions: &SanctionRules,
    rules: RuleChoice,
    view: View,
) -> AppResult<TownshipReport> {
    allow(caller)?;
    let ranking = township::ranking(
        app,
        caller,
        month.year(),
        Some(month.month()),
        config,
        rules,
        view,
    )?;
    let ranked: Vec<&TownRow> = ranking.rows.iter().filter(|r| r.rank.is_some()).collect();
    let named = |r: &&TownRow| Named {
        rank: r.rank.unwrap_or_default(),
        unit: r.unit.clone(),
        name_zh: r.name_zh.clone(),
        value: r.value,
    };
    let first_three = ranked.iter().take(3).map(named).collect();
    let last_three = ranked
        .iter()
        .skip(ranked.len().saturating_sub(3))
        .map(named)
        .collect();

    let towns: Vec<&str> = ranking.rows.iter().map(|r| r.unit.as_str()).collect();
    let now = targets::progress(app, caller, month.year(), month.month(), rules, view)?;
    // Earlier months, for how many months in a row a target has been missed.
    let look_back = sanctions
        .accountability_months
        .max(sanctions.criticism_months)
        .saturating_sub(1);
    let mut earlier: Vec<Vec<Progress>> = Vec::new();
    let mut m = month;
    for _ in 0..look_back {
        m = match previous(m) {
            Some(p) => p,
            None => break,
        };
        earlier.push(targets::progress(
            app,
            caller,
            m.year(),
            m.month(),
            rules,
            view,
        )?);
    }
    // `targets::progress` already holds only the units the caller may see (a township: the
    // city and itself), so the lists below are of those units too.
    let visible: Vec<&Progress> = now.iter().collect();
    let progress = visible.iter().map(|p| ProgressRow::of(p)).collect();

    let mut incentives = Vec::new();
    let mut penalties = Vec::new();
    for unit in &towns {
        let mine: Vec<&&Progress> = visible
            .iter()
            .filter(|p| p.unit == *unit && p.target_month.is_some())
            .collect();
        let Some(first) = mine.first() else { continue };
        let missed: Vec<&&&Progress> = mine.iter().filter(|p| p.met_month == Some(false)).collect();
        if missed.is_empty() {
            let all_met = mine
                .iter()
                .all(|p| p.met_month == Some(true) && p.met_ytd != Some(false));
            if !all_met {
                continue;
            }
            let exceeded = mine.iter().all(|p| {
                ranking::gap_pct(p.actual_month, p.target_month)
                    .is_some_and(|g| g >= sanctions.exceeded_margin_pct)
            });
            incentives.push(Incentive {
                unit: (*unit).to_owned(),
                name_zh: first.name_zh.clone(),
                exceeded,
                grade_zh: if exceeded { "超额完成" } else { "完成" },
                detail_zh: mine
                    .iter()
                    .map(|p| describe(p))
                    .collect::<Vec<_>>()
                    .join("；"),
            });
            continue;
        }
        let mut worst = Sanction::Interview;
        let (mut gap_max, mut months_max) = (None::<f64>, 0u32);
        let mut detail = Vec::new();
        for p in &missed {
            let months = 1 + earlier
                .iter()
                .take_while(|ps| {
                    ps.iter().any(|q| {
                        q.unit == p.unit && q.indicator == p.indicator && q.met_month == Some(false)
                    })
                })
                .count() as u32;
            let gap = ranking::gap_pct(p.actual_month, p.target_month);
            let s = ranking::sanction(gap.unwrap_or(0.0), months, sanctions);
            worst = worst.max(s);
            gap_max = match (gap_max, gap) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            months_max = months_max.max(months);
            detail.push(format!(
                "{}，超出目标 {}，连续 {months} 个月未完成",
                describe(p),
                gap.map_or_else(|| "—".to_owned(), |g| format!("{g}%"))
            ));
        }
        penalties.push(Penalty {
            unit: (*unit).to_owned(),
            name_zh: first.name_zh.clone(),
            sanction: worst,
            sanction_zh: worst.name_zh(),
            gap_pct: gap_max,
            months_in_a_row: months_max,
            detail_zh: detail.join("；"),
        });
    }
    penalties.sort_by(|a, b| b.sanction.cmp(&a.sanction).then(a.unit.cmp(&b.unit)));

    let mut rule_sets: Vec<&'static str> = ranking.rows.iter().filter_map(|r| r.rule_set).collect();
    rule_sets.sort_unstable();
    rule_sets.dedup();
    let (valid, days) = ranking
        .rows
        .iter()
        .filter(|r| r.stations > 0)
        .fold((0u32, 0u32), |(v, d), r| (v + r.valid_days, d + r.days));
    Ok(TownshipReport {
        title_zh: format!(
            "{}乡镇环境空气质量月度通报（{}年{}月）",
            app.county.profile.name_zh,
            month.year(),
            month.month()
        ),
        month: month.to_string(),
        issued_zh: format!("{}（北京时间）", cst::format_minute(app.clock.now_cst())),
        ranking,
        first_three,
        last_three,
        progress,
        incentives,
        penalties: policy::sees_penalties(caller).then_some(penalties),
        sanction_rules: *sanctions,
        rule_zh: sanctions.statement_zh(),
        rule_en: sanctions.statement_en(),
        rule_sets,
        coverage_pct: (days > 0)
            .then(|| (f64::from(valid) / f64::from(days) * 1000.0).round() / 10.0),
    })
}

fn previous(m: Month) -> Option<Month> {
    if m.month() == 1 {
        Month::new(m.year() - 1, 12)
    } else {
        Month::new(m.year(), m.month() - 1)
    }
}

/// `PM2.5浓度 目标 38 µg/m³，实际 41 µg/m³`.
fn describe(p: &Progress) -> String {
    let u = p.indicator.unit();
    format!(
        "{} 目标 {}{u}，实际 {}{u}",
        p.indicator.name_zh(),
        num(p.target_month),
        num(p.actual_month)
    )
}

fn num(v: Option<f64>) -> String {
    match v {
        None => "—".to_owned(),
        Some(x) => {
            let t = format!("{x:.2}");
            t.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
    }
}

fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "完成",
        Some(false) => "未完成",
        None => "—",
    }
}

/// The ranking's rows as table cells, with the headers.
fn ranking_table(r: &Ranking) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let headers = vec![
        "名次",
        "单位",
        "排名值",
        "综合指数",
        "PM2.5",
        "PM10",
        "SO2",
        "同比（%）",
        "环比（%）",
        "有效天数",
        "覆盖率（%）",
        "说明",
    ];
    let rows = r
        .rows
        .iter()
        .map(|x| {
            vec![
                x.rank.map_or_else(|| "—".to_owned(), |n| n.to_string()),
                x.name_zh.clone(),
                num(x.value),
                num(x.composite_index),
                num(x.pm25),
                num(x.pm10),
                num(x.so2),
                num(x.yoy_pct),
                num(x.mom_pct),
                format!("{}/{}", x.valid_days, x.days),
                num(x.coverage_pct),
                x.reason_zh.unwrap_or("").to_owned(),
            ]
        })
        .collect();
    (headers, rows)
}

fn progress_table(rows: &[ProgressRow]) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let headers = vec![
        "单位",
        "指标",
        "年度目标",
        "本月目标",
        "本月实际",
        "本月",
        "累计目标",
        "累计实际",
        "累计",
        "剩余月份允许",
        "年末预计",
        "有效天数",
    ];
    let body = rows
        .iter()
        .map(|p| {
            vec![
                p.name_zh.clone(),
                format!(
                    "{}{}",
                    p.indicator_zh,
                    if p.indicator_unit.is_empty() {
                        String::new()
                    } else {
                        format!("（{}）", p.indicator_unit)
                    }
                ),
                num(p.target_year),
                num(p.target_month),
                num(p.actual_month),
                yes_no(p.met_month).to_owned(),
                num(p.target_ytd),
                match &p.other_rules {
                    // A year across the rule change shows both.
                    Some(o) => format!(
                        "{}（{}：{}）",
                        num(p.actual_ytd),
                        o.rule_set.split('/').next().unwrap_or(o.rule_set),
                        num(o.actual_ytd)
                    ),
                    None => num(p.actual_ytd),
                },
                yes_no(p.met_ytd).to_owned(),
                num(p.still_allowed),
                num(p.projection_year_end),
                format!("{}/{}", p.valid_days_month, p.days_month),
            ]
        })
        .collect();
    (headers, body)
}

/// Incentives then penalties (when the caller sees them), one row each.
fn sanctions_table(r: &TownshipReport) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let headers = vec!["类别", "单位", "等级", "依据"];
    let mut rows: Vec<Vec<String>> = r
        .incentives
        .iter()
        .map(|i| {
            vec![
                "激励".to_owned(),
                i.name_zh.clone(),
                i.grade_zh.to_owned(),
                i.detail_zh.clone(),
            ]
        })
        .collect();
    match &r.penalties {
        Some(ps) => rows.extend(ps.iter().map(|p| {
            vec![
                "惩戒".to_owned(),
                p.name_zh.clone(),
                p.sanction_zh.to_owned(),
                p.detail_zh.clone(),
            ]
        })),
        None => rows.push(vec![
            "惩戒".to_owned(),
            "—".to_owned(),
            "—".to_owned(),
            "惩戒名单仅限生态环境局和管理员查看".to_owned(),
        ]),
    }
    (headers, rows)
}

fn method_line(r: &Ranking) -> String {
    format!(
        "排名方法：{}（{}）。{}",
        r.method_zh, r.method, r.formula_zh
    )
}

/// The 通报 as an Excel workbook: sheets 排名, 目标进度, 激励与惩戒, each under the title.
pub fn xlsx(r: &TownshipReport) -> AppResult<Vec<u8>> {
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
    let (rh, rr) = ranking_table(&r.ranking);
    let (ph, pr) = progress_table(&r.progress);
    let (sh, sr) = sanctions_table(r);
    let method = method_line(&r.ranking);
    // Each sheet: its name, the note under the title, the header and the rows.
    type Sheet<'a> = (&'a str, String, Vec<&'a str>, Vec<Vec<String>>);
    let sheets: [Sheet<'_>; 3] = [
        ("排名", method, rh, rr),
        ("目标进度", format!("发布时间：{}", r.issued_zh), ph, pr),
        ("激励与惩戒", r.rule_zh.clone(), sh, sr),
    ];
    for (name, note, headers, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(name).map_err(e)?;
        sheet
            .write_string_with_format(0, 0, &*text_cell(&r.title_zh), &titlef)
            .map_err(e)?;
        sheet.write_string(1, 0, &*text_cell(&note)).map_err(e)?;
        for (c, h) in headers.iter().enumerate() {
            sheet
                .write_string_with_format(2, c as u16, *h, &head)
                .map_err(e)?;
            sheet
                .set_column_width(c as u16, if c == headers.len() - 1 { 30.0 } else { 12.0 })
                .map_err(e)?;
        }
        for (i, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                sheet
                    .write_string_with_format(3 + i as u32, c as u16, &*text_cell(v), &cell)
                    .map_err(e)?;
            }
        }
    }
    book.save_to_buffer().map_err(e)
}

/// The 通报 as an A4 PDF in Chinese.
pub fn pdf(r: &TownshipReport) -> AppResult<Vec<u8>> {
    let (rh, rr) = ranking_table(&r.ranking);
    let (ph, pr) = progress_table(&r.progress);
    let (sh, sr) = sanctions_table(r);
    let names = |v: &[Named]| {
        v.iter()
            .map(|n| format!("{}（第{}名，{}）", n.name_zh, n.rank, num(n.value)))
            .collect::<Vec<_>>()
            .join("、")
    };
    let strings = |v: Vec<&str>| v.into_iter().map(str::to_owned).collect::<Vec<_>>();
    let doc = pdf::Document {
        title: r.title_zh.clone(),
        subtitle: vec![
            format!("发布时间：{}", r.issued_zh),
            format!(
                "数据：{}；评价规则：{}；有效天数覆盖率：{}%",
                if r.ranking.view == View::Raw {
                    "原始数据"
                } else {
                    "审核后数据"
                },
                if r.rule_sets.is_empty() {
                    "—".to_owned()
                } else {
                    r.rule_sets.join("、")
                },
                num(r.coverage_pct)
            ),
        ],
        sections: vec![
            pdf::Section {
                heading: "一、排名方法".to_owned(),
                paragraphs: vec![method_line(&r.ranking)],
                table: None,
            },
            pdf::Section {
                heading: "二、乡镇排名".to_owned(),
                paragraphs: vec![
                    "同比为与去年同月相比、环比为与上月相比的变化（基于排名所依据的浓度或指数），正值表示上升。无站点或无有效数据的单位列于最后，不参与排名。".to_owned(),
                ],
                table: Some(pdf::Table {
                    headers: strings(rh),
                    rows: rr,
                }),
            },
            pdf::Section {
                heading: "三、前三名与后三名".to_owned(),
                paragraphs: vec![
                    format!("前三名：{}", names(&r.first_three)),
                    format!("后三名：{}", names(&r.last_three)),
                ],
                table: None,
            },
            pdf::Section {
                heading: "四、目标完成进度".to_owned(),
                paragraphs: vec![
                    "本月与年初至今的目标与实际；“剩余月份允许”为完成年度目标余下时段可有的最高值。"
                        .to_owned(),
                ],
                table: Some(pdf::Table {
                    headers: strings(ph),
                    rows: pr,
                }),
            },
            pdf::Section {
                heading: "五、激励与惩戒".to_owned(),
                paragraphs: vec![r.rule_zh.clone()],
                table: Some(pdf::Table {
                    headers: strings(sh),
                    rows: sr,
                }),
            },
        ],
    };
    pdf::render(&doc)
}
