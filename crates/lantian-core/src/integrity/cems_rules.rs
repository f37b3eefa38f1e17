//! The CEMS rules (spec §7.6): an outlet's hourly concentrations (raw and `-Zs`), O2, flow
//! and working condition, checked for stuck values, values hugging the limit, dilution,
//! treatment off during production and normalised values that do not follow from O2.

use super::episodes::{Hit, merge, pct};
use super::station::runs;
use super::{Alarm, Config, Rule};
use crate::cems::{self, normalised};
use crate::pollutant::Pollutant;

/// One flue-gas pollutant of an outlet, hour by hour (index = hour of the scanned span).
#[derive(Clone, Debug)]
pub struct CemsChannel<'a> {
    /// HJ 212-2017 code (`a21026` SO2, `a21002` NOx, `a34013` particulate matter, `a21005` CO).
    pub code: &'a str,
    /// The measured (raw) concentration, mg/m³ (NaN: missing).
    pub raw: &'a [f64],
    /// The device's own O2-normalised value (`-Zs*`), mg/m³, when it sends one.
    pub zs: Option<&'a [f64]>,
    /// The outlet's limit for this pollutant (mg/m³, compared with the normalised value).
    pub limit: Option<f64>,
}

/// One outlet's hours for the scan.
#[derive(Clone, Debug)]
pub struct CemsInput<'a> {
    pub outlet: &'a str,
    pub channels: Vec<CemsChannel<'a>>,
    /// O2 (%) and flow (m³/h) per hour (NaN: missing), when measured.
    pub o2_pct: Option<&'a [f64]>,
    pub flow_m3_h: Option<&'a [f64]>,
    /// The industry's reference O2 (%); `None`: no normalisation.
    pub o2_ref_pct: Option<f64>,
    /// Working condition per hour (工况): production running, treatment running; `None`
    /// for an hour without a signal.
    pub production_on: Option<&'a [Option<bool>]>,
    pub treatment_on: Option<&'a [Option<bool>]>,
}

impl CemsInput<'_> {
    fn n_hours(&self) -> usize {
        let mut n = 0;
        for c in &self.channels {
            n = n.max(c.raw.len());
        }
        n.max(self.o2_pct.map_or(0, <[f64]>::len))
            .max(self.flow_m3_h.map_or(0, <[f64]>::len))
    }
}

fn at(v: Option<&[f64]>, t: usize) -> f64 {
    v.and_then(|v| v.get(t).copied()).unwrap_or(f64::NAN)
}

/// The criteria pollutant a CEMS code measures, if any (NOx and particulate matter are
/// not criteria pollutants: their alarms carry no pollutant and name the code in the text).
fn pollutant_of(code: &str) -> Option<Pollutant> {
    match code {
        "a21026" | "02" => Some(Pollutant::So2),
        "a21005" | "04" => Some(Pollutant::Co),
        _ => None,
    }
}

fn name_of(code: &str) -> (&str, &str) {
    cems::POLLUTANTS
        .iter()
        .find(|(c, old, _, _)| *c == code || *old == code)
        .map_or((code, code), |(_, _, zh, en)| (*zh, *en))
}

/// Runs every CEMS rule over the outlets. Hour indices are into each outlet's arrays; the
/// alarm's station is the outlet id. Sorted by outlet, first hour and rule.
pub fn scan_cems(cfg: &Config, outlets: &[CemsInput<'_>]) -> Vec<Alarm> {
    let mut alarms = Vec::new();
    for o in outlets {
        let n = o.n_hours();
        let o2 = |t: usize| at(o.o2_pct, t);
        let flow = |t: usize| at(o.flow_m3_h, t);
        let stopped: Vec<bool> = (0..n)
            .map(|t| {
                o2(t) >= cfg.cems_o2_stopped_pct_min || flow(t) <= cfg.cems_flow_stopped_m3_h_max
            })
            .collect();
        let mut outlet_hits = Vec::new();
        if let Some(v) = o.o2_pct {
            flat(cfg, &stopped, v, None, "O2", "%", &mut outlet_hits);
        }
        if let Some(v) = o.flow_m3_h {
            flat(cfg, &stopped, v, None, "流量", "m³/h", &mut outlet_hits);
        }
        treatment_off(cfg, o, n, &mut outlet_hits);
        alarms.extend(merge(cfg, o.outlet, outlet_hits));
        for ch in &o.channels {
            let p = pollutant_of(ch.code);
            let (zh, _) = name_of(ch.code);
            let mut hits = Vec::new();
            flat(cfg, &stopped, ch.raw, p, zh, "mg/m³", &mut hits);
            hugging(cfg, o, ch, &stopped, p, &mut hits);
            dilution(cfg, o, ch, &stopped, p, &mut hits);
            zs_inconsistent(cfg, o, ch, &stopped, p, &mut hits);
            alarms.extend(merge(cfg, o.outlet, hits));
        }
    }
    alarms.sort_by(|a, b| {
        (a.station.as_str(), a.first_hour, a.rule).cmp(&(b.station.as_str(), b.first_hour, b.rule))
    });
    alarms
}

/// The same value for `cems_flat_hours_min` running hours (stopped hours end a run: a
/// stopped plant's zeros are expected).
fn flat(
    cfg: &Config,
    stopped: &[bool],
    v: &[f64],
    p: Option<Pollutant>,
    name: &str,
    unit: &str,
    hits: &mut Vec<Hit>,
) {
    let mut t = 0;
    while t < v.len() {
        if v[t].is_nan() || stopped.get(t).copied().unwrap_or(false) {
            t += 1;
            continue;
        }
        let mut end = t;
        while end + 1 < v.len()
            && v[end + 1] == v[t]
            && !stopped.get(end + 1).copied().unwrap_or(false)
        {
            end += 1;
        }
        let len = end - t + 1;
        if len >= cfg.cems_flat_hours_min.max(2) {
            hits.push(
                Hit::new(Rule::CemsFlatLine, p, t, end)
                    .why(
                        format!("{name} 在生产期间连续 {len} 小时恒为 {} {unit}：疑似仪器卡滞或数据被固定。", v[t]),
                        format!("{name} stayed at exactly {} {unit} for {len} running hours: a stuck instrument or fixed data?", v[t]),
                    )
                    .figure("hours", len as f64)
                    .figure("value", v[t])
                    .figure("cems_flat_hours_min", cfg.cems_flat_hours_min as f64)
                    .strength(len as f64),
            );
        }
        t = end + 1;
    }
}

/// The value judged against the limit: the device's `-Zs`, else the normalised raw value,
/// else the raw value.
fn judged(o: &CemsInput<'_>, ch: &CemsChannel<'_>, cfg: &Config, t: usize) -> f64 {
    let zs = at(ch.zs, t);
    if !zs.is_nan() {
        return zs;
    }
    let raw = at(Some(ch.raw), t);
    match o.o2_ref_pct {
        Some(r) => {
            normalised(raw, at(o.o2_pct, t), r, cfg.cems_o2_stopped_pct_min).unwrap_or(f64::NAN)
        }
        None => raw,
    }
}

/// Most running hours within `hug_band_min`…100 % of the limit: emissions held just under
/// it (a controller tuned to the limit, or data capped).
fn hugging(
    cfg: &Config,
    o: &CemsInput<'_>,
    ch: &CemsChannel<'_>,
    stopped: &[bool],
    p: Option<Pollutant>,
    hits: &mut Vec<Hit>,
) {
    let Some(limit) = ch.limit.filter(|l| *l > 0.0) else {
        return;
    };
    let vals: Vec<(usize, f64)> = (0..ch.raw.len())
        .filter(|&t| !stopped.get(t).copied().unwrap_or(false))
        .map(|t| (t, judged(o, ch, cfg, t)))
        .filter(|(_, v)| !v.is_nan())
        .collect();
    if vals.len() < cfg.hug_hours_min.max(1) {
        return;
    }
    let band: Vec<usize> = vals
        .iter()
        .filter(|(_, v)| *v >= cfg.hug_band_min * limit && *v <= limit)
        .map(|(t, _)| *t)
        .collect();
    let share = band.len() as f64 / vals.len() as f64;
    if share < cfg.hug_share_min {
        return;
    }
    let (zh, en) = name_of(ch.code);
    hits.push(
        Hit::new(Rule::CemsHuggingLimit, p, vals[0].0, vals[vals.len() - 1].0)
            .why(
                format!(
                    "{zh} 折算浓度在 {} 个生产小时中有 {}（{} 小时）落在限值 {limit} mg/m³ 的 {}–100% 之间：长期贴近限值，疑似人为控制或数据被修饰。",
                    vals.len(), pct(share), band.len(), pct(cfg.hug_band_min)
                ),
                format!(
                    "{en}: {} of {} running hours ({} h) lie within {}–100% of the limit {limit} mg/m³: values hugging the limit, possibly controlled or edited.",
                    pct(share), vals.len(), band.len(), pct(cfg.hug_band_min)
                ),
            )
            .figure("hours", vals.len() as f64)
            .figure("hours_in_band", band.len() as f64)
            .figure("share", share)
            .figure("limit", limit)
            .strength(share),
    );
}

/// Spec §7.6 item 3 (tampering items 3–4): within `dilution_window_hours`, O2 rises towards
/// ambient, the raw concentration falls and the flow rises, while the normalised value stays:
/// air let into the stack.
fn dilution(
    cfg: &Config,
    o: &CemsInput<'_>,
    ch: &CemsChannel<'_>,
    stopped: &[bool],
    p: Option<Pollutant>,
    hits: &mut Vec<Hit>,
) {
    let (Some(o2v), w) = (o.o2_pct, cfg.dilution_window_hours.max(1)) else {
        return;
    };
    let n = ch.raw.len().min(o2v.len());
    let mut flagged = vec![false; n];
    let mut best: Option<(f64, usize, usize)> = None;
    for t in w..n {
        let a = t - w;
        if stopped.get(t).copied().unwrap_or(false) {
            continue;
        }
        let (o0, o1) = (o2v[a], o2v[t]);
        let (r0, r1) = (ch.raw[a], ch.raw[t]);
        if [o0, o1, r0, r1].iter().any(|v| v.is_nan()) || r0 <= 0.0 {
            continue;
        }
        let drop = 1.0 - r1 / r0;
        if o1 - o0 < cfg.dilution_o2_rise_min || drop < cfg.dilution_drop_min {
            continue;
        }
        let (q0, q1) = (at(o.flow_m3_h, a), at(o.flow_m3_h, t));
        if o.flow_m3_h.is_some()
            && (q0.is_nan()
                || q1.is_nan()
                || q0 <= 0.0
                || q1 / q0 - 1.0 < cfg.dilution_flow_rise_min)
        {
            continue;
        }
        let (z0, z1) = (at(ch.zs, a), at(ch.zs, t));
        if !z0.is_nan()
            && !z1.is_nan()
            && z0 > 0.0
            && (z1 / z0 - 1.0).abs() > cfg.dilution_zs_change_max
        {
            continue;
        }
        // The diluted hours: those of the window already at the raised O2, and those after
        // while O2 stays up and the concentration down.
        for (h, f) in flagged.iter_mut().enumerate().take(t + 1).skip(a + 1) {
            if o2v[h] - o0 >= cfg.dilution_o2_rise_min {
                *f = true;
            }
        }
        for h in t + 1..n {
            if o2v[h] - o0 < cfg.dilution_o2_rise_min
                || ch.raw[h].is_nan()
                || ch.raw[h] > r0 * (1.0 - cfg.dilution_drop_min)
            {
                break;
            }
            flagged[h] = true;
        }
        if best.is_none_or(|b| drop > b.0) {
            best = Some((drop, a, t));
        }
    }
    let (zh, en) = name_of(ch.code);
    for (first, last, _) in runs(&flagged, 0) {
        let (drop, a, t) = best.filter(|b| b.2 >= first && b.2 <= last).unwrap_or((
            0.0,
            first.saturating_sub(1),
            last,
        ));
        let (o0, o1) = (o2v[a], o2v[t]);
        let (q0, q1) = (at(o.flow_m3_h, a), at(o.flow_m3_h, t));
        let flow_text = if q0.is_nan() || q1.is_nan() || q0 <= 0.0 {
            (String::new(), String::new())
        } else {
            (
                format!("，烟气流量增加 {}", pct(q1 / q0 - 1.0)),
                format!(", the flow rose {}", pct(q1 / q0 - 1.0)),
            )
        };
        hits.push(
            Hit::new(Rule::CemsDilution, p, first, last)
                .why(
                    format!(
                        "{zh} 实测浓度在 {w} 小时内下降 {}（{:.1} → {:.1} mg/m³），同时含氧量从 {o0:.1}% 升至 {o1:.1}%（趋向空气 21%）{}，折算浓度基本不变：疑似掺入空气稀释排放。",
                        pct(drop), ch.raw[a], ch.raw[t], flow_text.0
                    ),
                    format!(
                        "{en}: the raw concentration fell {} in {w} h ({:.1} → {:.1} mg/m³) while O2 rose from {o0:.1}% to {o1:.1}% (towards ambient 21%){}, the normalised value unchanged: suspected dilution with air.",
                        pct(drop), ch.raw[a], ch.raw[t], flow_text.1
                    ),
                )
                .figure("raw_drop_pct", drop * 100.0)
                .figure("o2_before_pct", o0)
                .figure("o2_after_pct", o1)
                .figure("flow_rise_pct", if q0 > 0.0 { (q1 / q0 - 1.0) * 100.0 } else { f64::NAN })
                .strength(drop),
        );
    }
}

/// Spec §7.6 item 3 and §5.6: production running while the treatment facility is off.
fn treatment_off(cfg: &Config, o: &CemsInput<'_>, n: usize, hits: &mut Vec<Hit>) {
    let (Some(prod), Some(treat)) = (o.production_on, o.treatment_on) else {
        return;
    };
    let off: Vec<bool> = (0..n.max(prod.len()).max(treat.len()))
        .map(|t| {
            prod.get(t).copied().flatten() == Some(true)
                && treat.get(t).copied().flatten() == Some(false)
        })
        .collect();
    for (first, last, k) in runs(&off, cfg.merge_gap_hours) {
        hits.push(
            Hit::new(Rule::CemsTreatmentOff, None, first, last)
                .why(
                    format!("生产设施运行期间治污设施停运 {k} 小时：疑似未正常运行污染防治设施。"),
                    format!("Treatment off for {k} hour(s) while production was running: pollution control not operated."),
                )
                .figure("hours", k as f64)
                .strength(k as f64),
        );
    }
}

/// HJ 75-2017: the device's `-Zs` must equal raw × (21 − O2ref)/(21 − O2) within the
/// tolerance of [`cems::Tolerance`]; a `-Zs` for a stopped hour has no meaning.
fn zs_inconsistent(
    cfg: &Config,
    o: &CemsInput<'_>,
    ch: &CemsChannel<'_>,
    stopped: &[bool],
    p: Option<Pollutant>,
    hits: &mut Vec<Hit>,
) {
    let (Some(zs), Some(reference)) = (ch.zs, o.o2_ref_pct) else {
        return;
    };
    let n = zs.len().min(ch.raw.len());
    let mut worst: Vec<(usize, f64, f64)> = Vec::new();
    let bad: Vec<bool> = (0..n)
        .map(|t| {
            let (z, raw, o2) = (zs[t], ch.raw[t], at(o.o2_pct, t));
            if z.is_nan() || raw.is_nan() || o2.is_nan() || stopped.get(t).copied().unwrap_or(false)
            {
                return false;
            }
            match normalised(raw, o2, reference, cfg.cems_o2_stopped_pct_min) {
                Some(e) if !cfg.zs_tolerance.agrees(z, e) => {
                    worst.push((t, z, e));
                    true
                }
                _ => false,
            }
        })
        .collect();
    let (zh, en) = name_of(ch.code);
    for (first, last, k) in runs(&bad, cfg.merge_gap_hours) {
        if k < cfg.zs_hours_min.max(1) {
            continue;
        }
        let (_, z, e) = worst
            .iter()
            .filter(|w| w.0 >= first && w.0 <= last)
            .max_by(|a, b| (a.1 - a.2).abs().total_cmp(&(b.1 - b.2).abs()))
            .copied()
            .unwrap_or((first, f64::NAN, f64::NAN));
        hits.push(
            Hit::new(Rule::CemsZsInconsistent, p, first, last)
                .why(
                    format!(
                        "{zh} 设备上报的折算浓度有 {k} 小时与按含氧量重算的值不符（如上报 {z:.1}，应为 {e:.1} mg/m³，基准氧含量 {reference}%）：折算参数或数据可能被修改。"
                    ),
                    format!(
                        "{en}: the device's normalised value disagrees with the recomputation from O2 for {k} hour(s) (e.g. {z:.1} sent, {e:.1} mg/m³ expected at reference O2 {reference}%): its parameters or data may have been altered."
                    ),
                )
                .figure("hours", k as f64)
                .figure("device_zs", z)
                .figure("recomputed", e)
                .figure("o2_ref_pct", reference)
                .strength(k as f64),
        );
    }
}

/// Missing data (数据缺失, issue 22): hours without a value between the outlet's first and
/// last hour with any value in the span, at least `cems_missing_hours_min` in a row, except
/// hours an approved enterprise declaration explains (`explained(hour, None)`: the whole
/// outlet; `explained(hour, Some(code))`: that channel, 因子异常). A run where nothing came is
/// one alarm of the outlet; a run where one channel is missing while others came is that
/// channel's. Trailing silence is the outage work orders' business, not this rule's.
pub fn scan_cems_missing(
    cfg: &Config,
    o: &CemsInput<'_>,
    explained: &dyn Fn(usize, Option<&str>) -> bool,
) -> Vec<Alarm> {
    let n = o.n_hours();
    let any: Vec<bool> = (0..n)
        .map(|t| {
            o.channels.iter().any(|c| !at(Some(c.raw), t).is_nan())
                || !at(o.o2_pct, t).is_nan()
                || !at(o.flow_m3_h, t).is_nan()
        })
        .collect();
    let (Some(first), Some(last)) = (any.iter().position(|&a| a), any.iter().rposition(|&a| a))
    else {
        return Vec::new();
    };
    let min = cfg.cems_missing_hours_min.max(1);
    let gaps = |missing: &dyn Fn(usize) -> bool| -> Vec<(usize, usize, usize)> {
        let flagged: Vec<bool> = (0..n)
            .map(|t| t >= first && t <= last && missing(t))
            .collect();
        runs(&flagged, 0)
            .into_iter()
            .filter(|r| r.2 >= min)
            .collect()
    };
    let mut alarms = Vec::new();
    let mut outlet_hits = Vec::new();
    for (a, b, k) in gaps(&|t| !any[t] && !explained(t, None)) {
        outlet_hits.push(
            Hit::new(Rule::CemsMissing, None, a, b)
                .why(
                    format!("排放口连续 {k} 小时无任何在线监测数据，且无获批的停运/停产/检修申报：请核实数据传输或设备运行情况。"),
                    format!("No CEMS data at all for {k} hour(s) in a row, and no approved stop, production-stop or maintenance declaration: check the transmission or the analysers."),
                )
                .figure("hours", k as f64)
                .strength(k as f64),
        );
    }
    alarms.extend(merge(cfg, o.outlet, outlet_hits));
    for ch in &o.channels {
        let (zh, en) = name_of(ch.code);
        let mut hits = Vec::new();
        let missing =
            |t: usize| any[t] && at(Some(ch.raw), t).is_nan() && !explained(t, Some(ch.code));
        for (a, b, k) in gaps(&missing) {
            hits.push(
                Hit::new(Rule::CemsMissing, pollutant_of(ch.code), a, b)
                    .why(
                        format!("{zh} 连续 {k} 小时缺失（其他因子有数据），且无获批的因子异常申报：请核实分析仪。"),
                        format!("{en}: missing for {k} hour(s) in a row while other factors came, and no approved factor-abnormal declaration: check the analyser."),
                    )
                    .figure("hours", k as f64)
                    .strength(k as f64),
            );
        }
        alarms.extend(merge(cfg, o.outlet, hits));
    }
    alarms
}
