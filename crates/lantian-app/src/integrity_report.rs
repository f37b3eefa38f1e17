//! The monthly operations report (运维月报) as a PDF: per contractor, the work orders of the
//! month and their time to repair; per station, online and capture rates; the month's
//! integrity alarms by rule and how the bureau judged them. The same figures as
//! `contractor_report`, `rates` and `alarms`, for the caller's stations only.

use crate::integrity::{self, AlarmView};
use crate::{App, AppResult, Caller, pdf};
use lantian_core::{Month, cst};
use lantian_store::integrity::{AlarmFilter, AlarmState};
use std::collections::BTreeMap;

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |x| format!("{x:.1}"))
}

/// The report of `month` as an A4 PDF (Chinese).
pub fn operations_pdf(app: &App, caller: &Caller, month: Month) -> AppResult<Vec<u8>> {
    let contractors = integrity::contractor_report(app, caller, month)?;
    let rates = integrity::rates(app, caller, month)?;
    let first = month.first_day();
    let next = first.add_days(i64::from(month.n_days()));
    let filter = AlarmFilter {
        from_ts: Some(cst::day_start(first)),
        to_ts: Some(cst::day_start(next)),
        ..AlarmFilter::default()
    };
    let alarms = integrity::alarms(app, caller, &filter, false)?;
    let doc = pdf::Document {
        title: format!("{}空气质量监测站点运维月报（{month}）", app.county.profile.name_zh),
        subtitle: vec![format!(
            "生成时间：{}（北京时间）；站点 {} 个，工单承办单位 {} 个，数据质量告警 {} 条",
            cst::format_minute(app.clock.now_cst()),
            rates.len(),
            contractors.len(),
            alarms.len()
        )],
        sections: vec![
            pdf::Section {
                heading: "一、运维工单（按承办单位）".to_owned(),
                paragraphs: vec![
                    "本月派发的工单；修复用时为派发至关闭的小时数。".to_owned(),
                ],
                table: Some(pdf::Table {
                    headers: [
                        "承办单位", "派发", "已关闭", "未关闭", "逾期", "平均修复用时（小时）",
                        "最长修复用时（小时）", "涉及站点",
                    ]
                    .map(str::to_owned)
                    .to_vec(),
                    rows: contractors
                        .iter()
                        .map(|c| {
                            vec![
                                c.assignee.clone(),
                                c.opened.to_string(),
                                c.closed.to_string(),
                                c.open_now.to_string(),
                                c.overdue.to_string(),
                                num(c.repair_hours_mean),
                                num(c.repair_hours_max),
                                c.stations.join("、"),
                            ]
                        })
                        .collect(),
                }),
            },
            pdf::Section {
                heading: "二、站点在线率与数据获取率".to_owned(),
                paragraphs: vec![
                    "在线率：有数据的小时数 / 应有小时数；获取率：有效数据个数 / 应获取个数（截至生成时）。"
                        .to_owned(),
                ],
                table: Some(pdf::Table {
                    headers: ["站点", "名称", "在线率（%）", "获取率（%）"]
                        .map(str::to_owned)
                        .to_vec(),
                    rows: rates
                        .iter()
                        .map(|r| {
                            vec![
                                r.station.clone(),
                                r.station_name.clone(),
                                num(r.online_pct),
                                num(r.capture_pct),
                            ]
                        })
                        .collect(),
                }),
            },
            pdf::Section {
                heading: "三、数据质量告警（按规则）".to_owned(),
                paragraphs: vec!["经生态环境局审核的结果计入“确认”“误报”。".to_owned()],
                table: Some(pdf::Table {
                    headers: ["规则", "告警", "待审核", "确认", "误报", "需现场核查"]
                        .map(str::to_owned)
                        .to_vec(),
                    rows: by_rule(&alarms),
                }),
            },
        ],
    };
    pdf::render(&doc)
}

/// Per rule: alarms, and how many are open, confirmed, false positives, site visits.
fn by_rule(alarms: &[AlarmView]) -> Vec<Vec<String>> {
    let mut m: BTreeMap<&str, [usize; 5]> = BTreeMap::new();
    for a in alarms {
        let e = m.entry(a.rule_zh).or_default();
        e[0] += 1;
        let i = match a.state {
            AlarmState::Open => 1,
            AlarmState::Confirmed => 2,
            AlarmState::FalsePositive => 3,
            AlarmState::SiteVisit => 4,
        };
        e[i] += 1;
    }
    m.into_iter()
        .map(|(rule, n)| {
            std::iter::once(rule.to_owned())
                .chain(n.iter().map(ToString::to_string))
                .collect()
        })
        .collect()
}
