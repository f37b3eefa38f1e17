//! The station rules (spec §7.4–§7.5): each looks at one station's series, its neighbours'
//! and what else it sent, and returns the stretches it flags with a sentence of why.

use super::episodes::{Hit, conc, pct, unit};
use super::{Config, Rule, StationInput};
use crate::pollutant::Pollutant;
use crate::series::StationRole;

const PM25: usize = Pollutant::Pm25 as usize;
const PM10: usize = Pollutant::Pm10 as usize;
const NO2: usize = Pollutant::No2 as usize;
const CO: usize = Pollutant::Co as usize;

/// Pollutants whose hour-to-hour changes are regional enough to align clocks with.
const CLOCK_POLLUTANTS: [Pollutant; 4] = [
    Pollutant::Pm25,
    Pollutant::Pm10,
    Pollutant::No2,
    Pollutant::Co,
];

/// What every rule of one station sees.
pub(crate) struct Ctx<'a> {
    pub cfg: &'a Config,
    pub all: &'a [StationInput<'a>],
    pub me: &'a StationInput<'a>,
    pub nb: &'a [(usize, f64)],
    pub n_hours: usize,
    /// The neighbours' median value per pollutant and hour (empty without neighbours).
    pub nmed: [Vec<f64>; 6],
    pub nb_ids: Vec<String>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        cfg: &'a Config,
        all: &'a [StationInput<'a>],
        i: usize,
        nb: &'a [(usize, f64)],
    ) -> Ctx<'a> {
        let me = &all[i];
        let n_hours = me.series.n_days * 24;
        let mut buf = Vec::with_capacity(nb.len());
        let nmed = std::array::from_fn(|p| {
            if nb.is_empty() {
                return Vec::new();
            }
            (0..n_hours)
                .map(|t| {
                    buf.clear();
                    buf.extend(
                        nb.iter()
                            .map(|&(j, _)| value(&all[j], p, t))
                            .filter(|v| !v.is_nan()),
                    );
                    median(&mut buf)
                })
                .collect()
        });
        Ctx {
            cfg,
            all,
            me,
            nb,
            n_hours,
            nmed,
            nb_ids: nb.iter().map(|&(j, _)| all[j].id.to_owned()).collect(),
        }
    }

    fn x(&self, p: usize, t: usize) -> f64 {
        value(self.me, p, t)
    }

    fn n(&self, p: usize, t: usize) -> f64 {
        self.nmed[p].get(t).copied().unwrap_or(f64::NAN)
    }

    fn low(&self, p: usize) -> f64 {
        self.cfg.low_level[p].max(1e-9)
    }

    /// The median over neighbours of the log change of `p` from hour `a` to hour `b`
    /// (values offset by the low level, so that changes near zero stay small).
    fn nb_log_change(&self, p: usize, a: usize, b: usize) -> Option<f64> {
        let low = self.low(p);
        let mut v: Vec<f64> = self
            .nb
            .iter()
            .filter_map(|&(j, _)| {
                let (ya, yb) = (value(&self.all[j], p, a), value(&self.all[j], p, b));
                (!ya.is_nan() && !yb.is_nan()).then(|| log_change(ya, yb, low))
            })
            .collect();
        (!v.is_empty()).then(|| median(&mut v))
    }

    fn hit(&self, rule: Rule, p: Option<Pollutant>, first: usize, last: usize) -> Hit {
        let mut h = Hit::new(rule, p, first, last);
        if rule.needs_neighbours()
            || matches!(rule, Rule::Spike | Rule::SuddenDrop | Rule::FlatLine)
        {
            h.neighbours = self.nb_ids.clone();
        }
        h
    }
}

fn value(s: &StationInput<'_>, p: usize, t: usize) -> f64 {
    s.series.values[p].get(t).copied().unwrap_or(f64::NAN)
}

fn log_change(a: f64, b: f64, low: f64) -> f64 {
    ((b.max(0.0) + low) / (a.max(0.0) + low)).ln()
}

/// The median of the values (reordered), NaN when empty.
pub(crate) fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mid = v.len() / 2;
    let (_, m, _) = v.select_nth_unstable_by(mid, f64::total_cmp);
    let m = *m;
    if v.len() % 2 == 1 {
        m
    } else {
        let below = v[..mid].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (below + m) / 2.0
    }
}

/// Median and scaled MAD (1.4826 × MAD: σ for normal data) of the finite values.
pub(crate) fn robust_scale(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let mut v: Vec<f64> = values.filter(|x| x.is_finite()).collect();
    let med = median(&mut v);
    let mut dev: Vec<f64> = v.iter().map(|x| (x - med).abs()).collect();
    (med, 1.4826 * median(&mut dev))
}

/// Runs of flagged hours with at most `gap` unflagged hours between: (first, last, count).
pub(crate) fn runs(flagged: &[bool], gap: usize) -> Vec<(usize, usize, usize)> {
    let mut out: Vec<(usize, usize, usize)> = Vec::new();
    for (t, &f) in flagged.iter().enumerate() {
        if !f {
            continue;
        }
        match out.last_mut() {
            Some(r) if t <= r.1 + gap + 1 => {
                r.1 = t;
                r.2 += 1;
            }
            _ => out.push((t, t, 1)),
        }
    }
    out
}

/// Every station rule over one station.
pub(crate) fn scan_one(c: &Ctx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    completeness(c, &mut hits);
    flag_pattern(c, &mut hits);
    flat_line(c, &mut hits);
    spikes_and_drops(c, &mut hits);
    pm_ratios(c, &mut hits);
    zero_negative(c, &mut hits);
    spraying(c, &mut hits);
    inlet_blocked(c, &mut hits);
    outage_in_episode(c, &mut hits);
    periodic_same_hour(c, &mut hits);
    clock_drift(c, &mut hits);
    backfilled(c, &mut hits);
    township_below_assessment(c, &mut hits);
    hits
}

/// GB 3095-2012 Table 4 (spec §7.5 item 1): a day needs 20 valid hours. Incomplete days
/// at most `completeness_merge_days` apart make one alarm for the station; its pollutant is
/// the one pollutant affected, or none when several are.
fn completeness(c: &Ctx<'_>, hits: &mut Vec<Hit>) {
    let cfg = c.cfg;
    let n_days = c.me.series.n_days;
    // (first missing hour, last missing hour, days per pollutant, fewest valid hours, days)
    let mut open: Option<(usize, usize, [usize; 6], usize, usize, usize)> = None;
    let close = |o: (usize, usize, [usize; 6], usize, usize, usize), hits: &mut Vec<Hit>| {
        let (first, last, per, worst, days, _) = o;
        let affected: Vec<Pollutant> = Pollutant::ALL
            .into_iter()
            .filter(|p| per[p.index()] > 0)
            .collect();
        let p = (affected.len() == 1).then(|| affected[0]);
        let list = |sep: &str, day: &str| {
            affected
                .iter()
                .map(|p| format!("{} {}{day}", p.name(), per[p.index()]))
                .collect::<Vec<_>>()
                .join(sep)
        };
        hits.push(
            c.hit(Rule::Completeness, p, first, last)
                .why(
                    format!(
                        "共 {days} 天有效小时数不足 {} 小时（{}；最少仅 {worst} 小时），这些日均值无效（GB 3095 表 4）：请核查断数原因。",
                        cfg.day_valid_hours_min,
                        list("、", " 天")
                    ),
                    format!(
                        "{days} day(s) with fewer than {} valid hours ({}; as few as {worst}): those daily means are invalid (GB 3095 Table 4); check the outage.",
                        cfg.day_valid_hours_min,
                        list(", ", " d")
                    ),
                )
                .figure("days", days as f64)
                .figure("valid_hours_min_seen", worst as f64)
                .figure("day_valid_hours_min", cfg.day_valid_hours_min as f64)
                .strength(days as f64),
        );
    };
    for day in 0..n_days {
        let mut span = (usize::MAX, 0usize);
        let mut short = [0usize; 6];
        let mut worst = usize::MAX;
        for (p, s) in short.iter_mut().enumerate() {
            let valid = (0..24)
                .filter(|slot| !c.x(p, day * 24 + slot).is_nan())
                .count();
            if valid >= cfg.day_valid_hours_min {
                continue;
            }
            *s = 1;
            worst = worst.min(valid);
            for slot in 0..24 {
                let t = day * 24 + slot;
                if c.x(p, t).is_nan() {
                    span = (span.0.min(t), span.1.max(t));
                }
            }
        }
        if worst == usize::MAX {
            continue;
        }
        open = match open {
            Some(o) if day <= o.5 + cfg.completeness_merge_days + 1 => {
                let mut per = o.2;
                per.iter_mut().zip(short).for_each(|(a, b)| *a += b);
                Some((o.0, span.1.max(o.1), per, o.3.min(worst), o.4 + 1, day))
            }
            Some(o) => {
                close(o, hits);
                Some((span.0, span.1, short, worst, 1, day))
            }
            None => Some((span.0, span.1, short, worst, 1, day)),
        };
    }
    if let Some(o) = open {
        close(o, hits);
    }
}

/// Whether the neighbours were in an episode at hour `t` (median PM2.5 at or above
/// `episode_pm25_min`).
fn regional_high(c: &Ctx<'_>, t: usize) -> bool {
    c.n(PM25, t) >= c.cfg.episode_pm25_min
}

/// HJ 212 Table 8 flags, spec §7.5 item 2: `M`/`C`/`D` hours clustered while the neighbours
/// are in an episode ("maintenance" during pollution).
fn flag_pattern(c: &Ctx<'_>, hits: &mut Vec<Hit>) {
    let Some(flags) = c.me.flags else { return };
    if c.nb.is_empty() {
        return;
    }
    for p in Pollutant::ALL {
        let f = &flags[p.index()];
        let flagged: Vec<bool> = (0..c.n_hours)
            .map(|t| matches!(f.get(t), Some(b'M' | b'C' | b'D')) && regional_high(c, t))
            .collect();
        for (first, last, n) in runs(&flagged, c.cfg.merge_gap_hours) {
            if n < c.cfg.flag_hours_min {
                continue;
            }
            let nb_max = (first..=last)
                .map(|t| c.n(PM25, t))
                .fold(f64::NAN, f64::max);
            hits.push(
                c.hit(Rule::FlagPattern, Some(p), first, last)
                    .why(
                        format!(
                            "{} 有 {n} 个小时标记为维护/校准/故障（M/C/D），而同时邻近站点 PM2.5 中位数高达 {:.0} μg/m³（污染时段）：请核实运维记录。",
                            p.name(),
                            nb_max
                        ),
                        format!(
                            "{}: {n} hours flagged maintenance/calibration/fault (M/C/D) while the neighbours' median PM2.5 reached {:.0} μg/m³ (an episode): check the operations log.",
                            p.name(),
                            nb_max
                        ),
                    )
                    .figure("flagged_hours", n as f64)
                    .figure("neighbour_pm25_max", nb_max)
                    .figure("episode_pm25_min", c.cfg.episode_pm25_min)
                    .strength(n as f64),
            );
        }
    }
}

/// Wu et al. 2018 type (b), spec §7.5 item 3: the same value (within `flat_spread_max`) for
/// `flat_hours_min` hours, longer at low levels, while the neighbours move.
fn flat_line(c: &Ctx<'_>, hits: &mut Vec<Hit>) {
    let cfg = c.cfg;
    let floor: [f64; 6] = std::array::from_fn(|i| {
        c.me.series.values[i]
            .iter()
            .copied()
            .filter(|v| !v.is_nan())
            .fold(f64::INFINITY, f64::min)
    });
    for p in Pollutant::ALL {
        let i = p.index();
        let mut t = 0;
        while t < c.n_hours {
            let v0 = c.x(i, t);
            if v0.is_nan() {
                t += 1;
                continue;
            }
            let (mut lo, mut hi) = (v0, v0);
            let mut end = t;
            while end + 1 < c.n_hours {
                let v = c.x(i, end + 1);
                if v.is_nan() || v.max(hi) - v.min(lo) > cfg.flat_spread_max + 1e-9 {
                    break;
                }
                lo = lo.min(v);
                hi = hi.max(v);
                end += 1;
            }
            let len = end - t + 1;
            let (need, need_regional) = if len >= cfg.flat_hours_min {
                flat_hours_needed(c, i, lo, hi)
            } else {
                (usize::MAX, usize::MAX)
            };
            if len >= need {
                let mut nb_moves = None;
                if !c.nb.is_empty() {
                    let nv: Vec<f64> = (t..=end)
                        .map(|h| c.n(i, h))
                        .filter(|v| !v.is_nan())
                        .collect();
                    if nv.len() * 2 >= len {
                        let (nlo, nhi) =
                            nv.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |a, &v| {
                                (a.0.min(v), a.1.max(v))
                            });
                        let nmean = nv.iter().sum::<f64>() / nv.len() as f64;
                        nb_moves = Some(((nhi - nlo) / nmean.max(c.low(i)), nlo, nhi));
                    }
                }
                // Neighbours moving less than their share of the mean, or less than the low
                // level, are flat too: the air was still, not the instrument; unless the run is
                // far too long for this station even so.
                let still = |(r, nlo, nhi): (f64, f64, f64)| {
                    r < cfg.flat_neighbour_range_min || nhi - nlo < c.low(i)
                };
                // A low value that is the station's lowest reading is its detection floor:
                // repeating it is expected unless the neighbours show the air changing.
                let at_floor = hi <= c.low(i) && lo <= floor[i] + 1e-9;
                let regional = if at_floor {
                    nb_moves.is_none_or(still)
                } else {
                    len < need_regional && nb_moves.is_some_and(still)
                };
                if !regional {
                    let (zh_nb, en_nb) = match nb_moves {
                        Some((_, nlo, nhi)) => (
                            format!(
                                "，同期邻近站点在 {}–{} {} 之间变化",
                                conc(p, nlo),
                                conc(p, nhi),
                                unit(p)
                            ),
                            format!(
                                " while the neighbours moved between {} and {} {}",
                                conc(p, nlo),
                                conc(p, nhi),
                                unit(p)
                            ),
                        ),
                        None => (String::new(), String::new()),
                    };
                    let level = if lo == hi {
                        conc(p, lo)
                    } else {
                        format!("{}–{}", conc(p, lo), conc(p, hi))
                    };
                    hits.push(
                        c.hit(Rule::FlatLine, Some(p), t, end)
                            .why(
                                format!("{} 连续 {len} 小时保持在 {level} {}{zh_nb}：疑似仪器卡滞或数据未更新。", p.name(), unit(p)),
                                format!("{} stayed at {level} {} for {len} consecutive hours{en_nb}: a stuck instrument or stale data?", p.name(), unit(p)),
                            )
                            .figure("hours", len as f64)
                            .figure("value", lo)
                            .figure("flat_hours_min", need as f64)
                            .figure("neighbour_range_share", nb_moves.map_or(f64::NAN, |m| m.0))
                            .strength(len as f64),
                    );
                }
            }
            t = end + 1;
        }
    }
}

/// The hours a flat line at `lo..=hi` needs at this station: enough that so many unchanged
/// hours in a row have a chance below `flat_chance_max`, judging by the station's own share of
/// unchanged hours at levels within a factor of two (quantised low readings repeat often);
/// and the hours it needs to count even when the neighbours are flat too (chance squared).
fn flat_hours_needed(c: &Ctx<'_>, i: usize, lo: f64, hi: f64) -> (usize, usize) {
    let cfg = c.cfg;
    let (mut same, mut all) = (0usize, 0usize);
    for t in 1..c.n_hours {
        let (a, b) = (c.x(i, t - 1), c.x(i, t));
        if a.is_nan() || b.is_nan() || a < lo / 2.0 || a > hi * 2.0 {
            continue;
        }
        all += 1;
        if (b - a).abs() <= cfg.flat_spread_max + 1e-9 {
            same += 1;
        }
    }
    let cap = cfg.flat_hours_cap.max(cfg.flat_hours_min).max(2);
    // Laplace's rule keeps a short history from giving certainty either way.
    let p0 = (same as f64 + 1.0) / (all as f64 + 2.0);
    let chance = cfg.flat_chance_max.clamp(1e-12, 0.999);
    let hours = |chance: f64, cap: usize| {
        let runs_needed = (chance.ln() / p0.ln()).ceil();
        let need = if runs_needed.is_finite() {
            1 + runs_needed as usize
        } else {
            cap
        };
        need.clamp(cfg.flat_hours_min.max(2), cap)
    };
    (hours(chance, cap), hours(chance * chance, 2 * cap))
}

/// Wu et al. 2018 type (a), spec §7.5 item 4: an hour-to-hour change far outside the
/// station's own changes (robust z on median/MAD), large in absolute and relative terms,
/// that the neighbours do not show. Up is a spike (up to its return), down a sudden drop.
fn spikes_and_drops(c: &Ctx<'_>, hits: &mut Vec<Hit>) {
    let cfg = c.cfg;
    // Each pollutant's typical hour-to-hour change (median, scale).
    let typical: [(f64, f64); 6] = std::array::from_fn(|i| {
        let (med, scale) = robust_scale((1..c.n_hours).map(|t| c.x(i, t) - c.x(i, t - 1)));
        (med, scale.max(cfg.spike_abs_min[i] * 0.05).max(1e-9))
    });
    // Another of the station's analysers moving the same way at robust z ≥
    // `spike_co_pollutant_z_min` means real air (a plume), not one instrument's fault.
    let co_moving = |i: usize, t: usize, up: bool| {
        (0..6).filter(|&j| j != i).find(|&j| {
            let d = c.x(j, t) - c.x(j, t - 1);
            let z = (d - typical[j].0) / typical[j].1;
            !z.is_nan()
                && if up {
                    z >= cfg.spike_co_pollutant_z_min
                } else {
                    -z >= cfg.spike_co_pollutant_z_min
                }
        })
    };
    for p in Pollutant::ALL {
        let i = p.index();
        let low = c.low(i);
        let (med, scale) = typical[i];
        if med.is_nan() {
            continue;
        }
        let mut consumed_until = 0usize;
        for t in 1..c.n_hours {
            if t < consumed_until {
                continue;
            }
            let (a, b) = (c.x(i, t - 1), c.x(i, t));
            if a.is_nan() || b.is_nan() {
                continue;
            }
            let d = b - a;
            let z = (d - med) / scale;
            let rel_min = if d > 0.0 {
                cfg.spike_rel_min
            } else {
                cfg.drop_rel_min
            };
            if d.abs() < cfg.spike_abs_min[i] || d.abs() < rel_min * a.max(low) {
                continue;
            }
            let nchange = c.nb_log_change(i, t - 1, t);
            let z_min = if nchange.is_some() {
                cfg.spike_z_min
            } else {
                cfg.spike_z_alone_min
            };
            if z.abs() < z_min || co_moving(i, t, d > 0.0).is_some() {
                continue;
            }
            let own = log_change(a, b, low);
            if let Some(n) = nchange
                && n.signum() == own.signum()
                && n.abs() >= cfg.spike_neighbour_share_max * own.abs()
            {
                continue;
            }
            // The episode lasts until the value returns halfway to where it came from.
            let mut end = t;
            let mut ret = None;
            for h in t + 1..(t + 7).min(c.n_hours) {
                let v = c.x(i, h);
                if v.is_nan() {
                    continue;
                }
                if (d > 0.0 && v <= a + 0.5 * d) || (d < 0.0 && v >= a + 0.5 * d) {
                    ret = Some(h);
                    break;
                }
                end = h;
            }
            if ret.is_none() {
                end = t;
            }
            consumed_until = ret.map_or(t + 1, |r| r + 1);
            let nb_text = match nchange {
                Some(n) => (
                    format!("，邻近站点同期变化 {:+.0}%", (n.exp() - 1.0) * 100.0),
                    format!(
                        "; the neighbours changed {:+.0}% meanwhile",
                        (n.exp() - 1.0) * 100.0
                    ),
                ),
                None => (
                    "（无邻近站点可比）".to_owned(),
                    " (no neighbours to compare)".to_owned(),
                ),
            };
            let (rule, zh, en) = if d > 0.0 {
                (
                    Rule::Spike,
                    format!(
                        "{} 在 1 小时内从 {} 升至 {} {}（变化量为本站常态的 {:.0} 倍）{}：疑似孤立尖峰。",
                        p.name(),
                        conc(p, a),
                        conc(p, b),
                        unit(p),
                        z.abs(),
                        nb_text.0
                    ),
                    format!(
                        "{} rose from {} to {} {} in one hour ({:.0}× the station's usual change){}: an isolated spike?",
                        p.name(),
                        conc(p, a),
                        conc(p, b),
                        unit(p),
                        z.abs(),
                        nb_text.1
                    ),
                )
            } else {
                (
                    Rule::SuddenDrop,
                    format!(
                        "{} 在 1 小时内从 {} 降至 {} {}（下降 {}，变化量为本站常态的 {:.0} 倍）{}：疑似异常骤降。",
                        p.name(),
                        conc(p, a),
                        conc(p, b),
                        unit(p),
                        pct(-d / a.max(low)),
                        z.abs(),
                        nb_text.0
                    ),
                    format!(
                        "{} fell from {} to {} {} in one hour ({} down, {:.0}× the station's usual change){}: an abnormal drop?",
                        p.name(),
                        conc(p, a),
                        conc(p, b),
                        unit(p),
                        pct(-d / a.max(low)),
                        z.abs(),
                        nb_text.1
                    ),
                )
            };
            hits.push(
                c.hit(rule, Some(p), t, end)
                    .why(zh, en)
                    .figure("before", a)
                    .figure("after", b)
                    .figure("robust_z", z)
                    .figure(
                        "neighbour_change_pct",
                        nchange.map_or(f64::NAN, |n| (n.exp() - 1.0) * 100.0),
                    )
                    .figure("spike_z_min", z_min)
                    .strength(z.abs()),
            );
        }
    }
}

/// Wu et al. 2018 type (d), spec §7.5 item 5: PM2.5 above PM10 beyond tolerance; and an
/// abnormally low PM2.5/PM10 ratio at high PM10 (dust, or a failing PM2.5 channel: advisory).
fn pm_ratios(c: &Ctx<'_>, hits: &mut Vec<Hit>) {
    let cfg = c.cfg;
    let above: Vec<bool> = (0..c.n_hours)
        .map(|t| {
            let (f, co) = (c.x(PM25, t), c.x(PM10, t));
            !f.is_nan() && !co.is_nan() && f > co * (1.0 + cfg.pm_excess_rel) + cfg.pm_excess_abs
        })
        .collect();
    for (first, last, n) in runs(&above, cfg.merge_gap_hours) {
        if n < cfg.pm_excess_hours_min.max(1) {
            continue;
        }
        let worst = (first..=last)
            .filter(|&t| above[t])
            .max_by(|&a, &b| {
                (c.x(PM25, a) - c.x(PM10, a)).total_cmp(&(c.x(PM25, b) - c.x(PM10, b)))
            })
            .unwrap_or(first);
        let (f, co) = (c.x(PM25, worst), c.x(PM10, worst));
        hits.push(
            c.hit(Rule::Pm25AbovePm10, Some(Pollutant::Pm25), first, last)
                .why(
                    format!(
                        "PM2.5 高于 PM10 共 {n} 小时（最大差：PM2.5 {f:.0} μg/m³，PM10 {co:.0} μg/m³），超出仪器允许偏差（{}+{} μg/m³）：细颗粒物不可能多于可吸入颗粒物，请检查两台颗粒物仪器。",
                        pct(cfg.pm_excess_rel),
                        cfg.pm_excess_abs
                    ),
                    format!(
                        "PM2.5 above PM10 for {n} hour(s) (worst: PM2.5 {f:.0} μg/m³, PM10 {co:.0} μg/m³), beyond the tolerance ({} + {} μg/m³): PM2.5 is part of PM10; check both PM instruments.",
                        pct(cfg.pm_excess_rel),
                        cfg.pm_excess_abs
                    ),
                )
                .figure("hours", n as f64)
                .figure("pm25", f)
                .figure("pm10", co)
                .figure("pm_excess_rel", cfg.pm_excess_rel)
                .figure("pm_excess_abs", cfg.pm_excess_abs)
                .strength(f - co),
        );
    }
    let low: Vec<bool> = (0..c.n_hours)
        .map(|t| {
            let (f, co) = (c.x(PM25, t), c.x(PM10, t));
            !f.is_nan() && co >= cfg.low_ratio_pm10_min && f >= 0.0 && f / co < cfg.low_ratio_max
        })
        .collect();
    for (first, last, n) in runs(&low, cfg.merge_gap_hours) {
        if n < cfg.low_ratio_hours_min.max(1) {
            continue;
        }
        let ratios: Vec<f64> = (first..=last)
            .filter(|&t| low[t])
            .map(|t| c.x(PM25, t) / c.x(PM10, t))
            .collect();
        let r = ratios.iter().sum::<f64>() / ratios.len() as f64;
        let pm10_max = (first..=last)
            .map(|t| c.x(PM10, t))
            .fold(f64::NAN, f64::max);
        hits.push(
            c.hit(Rule::LowPmRatio, Some(Pollutant::Pm25), first, last)
                .why(
                    format!(
                        "PM2.5/PM10 比值连续 {n} 小时低于 {:.2}（平均 {r:.2}，PM10 最高 {pm10_max:.0} μg/m³）：可能为沙尘过程（扣沙参考），或 PM2.5 仪器偏低。",
                        cfg.low_ratio_max
                    ),
                    format!(
                        "PM2.5/PM10 below {:.2} for {n} hours (mean {r:.2}, PM10 up to {pm10_max:.0} μg/m³): a dust episode (see dust deduction), or a low-reading PM2.5 instrument.",
                        cfg.low_ratio_max
                    ),
                )
                .figure("hours", n as f64)
                .figure("ratio_mean", r)
                .figure("pm10_max", pm10_max)
                .figure("low_ratio_max", cfg.low_ratio_max)
                .strength(n as f64),
        );
    }
}

/// Spec §7.4 and §7.5 item 5: negative concentrations (evaporating water on the filter after
/// rain, a zero drift) and zero PM (gases may read zero below their detection limit).
fn zero_negative(c: &Ctx<'_>, hits: &mut Vec<Hit>) {
    for p in Pollutant::ALL {
        let i = p.index();
        let pm = matches!(p, Pollutant::Pm25 | Pollutant::Pm10);
        let bad: Vec<bool> = (0..c.n_hours)
            .map(|t| {
                let v = c.x(i, t);
                v < 0.0 || (pm && v == 0.0)
            })
            .collect();
        for (first, last, n) in runs(&bad, c.cfg.merge_gap_hours) {
            if n < c.cfg.zero_negative_hours_min.max(1) {
                continue;
            }
            let min = (first..=last).map(|t| c.x(i, t)).fold(f64::NAN, f64::min);
            hits.push(
                c.hit(Rule::ZeroNegative, Some(p), first, last)
                    .why(
                        format!(
                            "{} 有 {n} 个小时为零或负值（最低 {} {}）：浓度不可能为负，请检查仪器零点、滤膜或雨后水汽影响。",
                            p.name(),
                            conc(p, min),
                            unit(p)
                        ),
                        format!(
                            "{}: {n} hour(s) zero or negative (lowest {} {}): concentrations cannot be negative; check the zero point, the filter or water after rain.",
                            p.name(),
                            conc(p, min),
                            unit(p)
                        ),
                    )
                    .figure("hours", n as f64)
                    .figure("min", min)
                    .strength(n as f64),
            );
        }
    }
}

/// Spec §7.5 item 6 (tampering, 环发〔2015〕175号 item 2): PM2.5 and PM10 fall by
/// `spraying_drop_min` within 1–2 h while the station's humidity jumps towards saturation,
/// NO2 and CO do not fall with it and the neighbours' PM falls by less than
/// `spraying_neighbour_share_max` of the station's fall (log scale). Needs humidity and
/// neighbours.
fn spraying(c: &Ctx<'_>, hits: &mut Vec<Hit>) {
    let cfg = c.cfg;
    let Some(rh) = c.me.humidity_pct else { return };
    if c.nb.is_empty() {
        return;
    }
    let rh_at = |t: usize| rh.get(t).copied().unwrap_or(f64::NAN);
    let mut t = 1;
    while t < c.n_hours {
        let mut found = None;
        for k in 1..=2usize {
            if t < k {
                continue;
            }
            let a = t - k;
            let (f0, f1) = (c.x(PM25, a), c.x(PM25, t));
            if f0.is_nan() || f1.is_nan() || f0 < cfg.spraying_pm25_before_min {
                continue;
            }
            let drop25 = 1.0 - f1 / f0;
            if drop25 < cfg.spraying_drop_min {
                continue;
            }
            let (c0, c1) = (c.x(PM10, a), c.x(PM10, t));
            let drop10 = if c0.is_nan() || c1.is_nan() || c0 <= 0.0 {
                None
            } else {
                Some(1.0 - c1 / c0)
            };
            if drop10.is_some_and(|d| d < cfg.spraying_drop_min * 0.75) {
                continue;
            }
            let (h0, h1) = (rh_at(a), rh_at(t));
            if h0.is_nan()
                || h1.is_nan()
                || h1 < cfg.spraying_rh_pct_min
                || h1 - h0 < cfg.spraying_rh_rise_min
            {
                continue;
            }
            let mut gas_changes = Vec::new();
            for g in [NO2, CO] {
                // The last gas reading before the drop, up to three hours back.
                let g0 = (a.saturating_sub(3)..=a)
                    .rev()
                    .map(|h| c.x(g, h))
                    .find(|v| !v.is_nan())
                    .unwrap_or(f64::NAN);
                let g1 = c.x(g, t);
                if !g0.is_nan() && !g1.is_nan() {
                    gas_changes.push((g1 - g0) / g0.max(c.low(g)));
                }
            }
            // Water removes particles, not gases: a gas falling with the PM means cleaner air
            // arrived; gases rising (traffic, a calm evening) do not speak against spraying.
            if gas_changes.is_empty()
                || gas_changes.iter().any(|g| -g > cfg.spraying_gas_change_max)
            {
                continue;
            }
            let Some(nchange) = c.nb_log_change(PM25, a, t) else {
                continue;
            };
            let nb_drop = 1.0 - nchange.exp();
            let own = log_change(f0, f1, c.low(PM25));
            if nchange < 0.0 && nchange.abs() > cfg.spraying_neighbour_share_max * own.abs() {
                continue;
            }
            // Neighbours' humidity rising as much (half the station's rise, and at least the
            // rise threshold) means weather (rain, fog), not a nozzle.
            let mut nrh: Vec<f64> =
                c.nb.iter()
                    .filter_map(|&(j, _)| {
                        let r = c.all[j].humidity_pct?;
                        let (x0, x1) = (r.get(a).copied()?, r.get(t).copied()?);
                        (!x0.is_nan() && !x1.is_nan()).then_some(x1 - x0)
                    })
                    .collect();
            let nrh_rise = median(&mut nrh);
            if nrh_rise >= cfg.spraying_rh_rise_min.max(0.5 * (h1 - h0)) {
                continue;
            }
            found = Some((a, k, f0, f1, drop25, drop10, h0, h1, gas_changes, nb_drop));
            break;
        }
        let Some((a, k, f0, f1, drop25, drop10, h0, h1, gas, nb_drop)) = found else {
            t += 1;
            continue;
        };
        // The episode lasts while PM stays down and the air stays wet.
        let mut end = t;
        while end + 1 < c.n_hours && end < t + 24 {
            let (v, h) = (c.x(PM25, end + 1), rh_at(end + 1));
            if v.is_nan()
                || h.is_nan()
                || v > f0 * (1.0 - cfg.spraying_drop_min / 2.0)
                || h < cfg.spraying_rh_pct_min - 5.0
            {
                break;
            }
            end += 1;
        }
        let gas_max = gas.iter().fold(0.0f64, |m, g| m.max(-g).max(0.0));
        let pm10_text = drop10.map_or((String::new(), String::new()), |d| {
            (
                format!("，PM10 下降 {}", pct(d)),
                format!(", PM10 down {}", pct(d)),
            )
        });
        hits.push(
            c.hit(Rule::Spraying, Some(Pollutant::Pm25), a + 1, end)
                .why(
                    format!(
                        "PM2.5 在 {k} 小时内下降 {}（从 {f0:.0} 到 {f1:.0} μg/m³）{}，同时湿度从 {h0:.0}% 升至 {h1:.0}%，NO2、CO 未随之下降（降幅不超过 {}），邻近站点未见同样变化（中位数变化 {:+.0}%）：疑似喷淋干扰。",
                        pct(drop25), pm10_text.0, pct(gas_max), -nb_drop * 100.0
                    ),
                    format!(
                        "PM2.5 fell {} in {k} h (from {f0:.0} to {f1:.0} μg/m³){} while humidity rose from {h0:.0}% to {h1:.0}%, NO2 and CO did not fall with it (at most {} down), and the neighbours did not change alike (median {:+.0}%): suspected water spraying.",
                        pct(drop25), pm10_text.1, pct(gas_max), -nb_drop * 100.0
                    ),
                )
                .figure("pm25_before", f0)
                .figure("pm25_after", f1)
                .figure("drop_pct", drop25 * 100.0)
                .figure("pm10_drop_pct", drop10.map_or(f64::NAN, |d| d * 100.0))
                .figure("rh_before_pct", h0)
                .figure("rh_after_pct", h1)
                .figure("gas_change_max_pct", gas_max * 100.0)
                .figure("neighbour_drop_pct", nb_drop * 100.0)
                .strength(drop25),
        );
        t = end + 1;
    }
}

/// Spec §7.5 item 7: PM2.5 low and flat for `blocked_hours_min` hours, far below the
/// neighbours, while NO2 or CO move (the inlet covered or blocked, the filter removed).
/// Needs neighbours.
fn inlet_blocked(c: &Ctx<'_>, hits: &mut Vec<Hit>) {
    let cfg = c.cfg;
    let w = cfg.blocked_hours_min.max(2);
    if c.nb.is_empty() || c.n_hours < w {
        return;
    }
    let mut flagged = vec![false; c.n_hours];
    for end in w - 1..c.n_hours {
        let start = end + 1 - w;
        let xs: Vec<f64> = (start..=end).map(|t| c.x(PM25, t)).collect();
        if xs.iter().any(|v| v.is_nan()) {
            continue;
        }
        let (lo, hi) = xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |a, &v| {
            (a.0.min(v), a.1.max(v))
        });
        if hi - lo > cfg.blocked_spread_max {
            continue;
        }
        let ns: Vec<f64> = (start..=end)
            .map(|t| c.n(PM25, t))
            .filter(|v| !v.is_nan())
            .collect();
        if ns.len() + 1 < w {
            continue;
        }
        let nmean = ns.iter().sum::<f64>() / ns.len() as f64;
        let mean = xs.iter().sum::<f64>() / w as f64;
        if nmean < cfg.blocked_neighbour_pm25_min
            || mean > cfg.blocked_ratio_max * nmean
            || mean > cfg.blocked_pm25_max
        {
            continue;
        }
        let gas_moves = [NO2, CO].iter().any(|&g| {
            let gs: Vec<f64> = (start..=end)
                .map(|t| c.x(g, t))
                .filter(|v| !v.is_nan())
                .collect();
            if gs.len() * 2 < w {
                return false;
            }
            let (glo, ghi) = gs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |a, &v| {
                (a.0.min(v), a.1.max(v))
            });
            let gmean = gs.iter().sum::<f64>() / gs.len() as f64;
            (ghi - glo) / gmean.max(c.low(g)) >= cfg.blocked_gas_range_min
        });
        if gas_moves {
            flagged[start..=end].iter_mut().for_each(|f| *f = true);
        }
    }
    for (first, last, n) in runs(&flagged, 0) {
        let xs: Vec<f64> = (first..=last).map(|t| c.x(PM25, t)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let ns: Vec<f64> = (first..=last)
            .map(|t| c.n(PM25, t))
            .filter(|v| !v.is_nan())
            .collect();
        let nmean = ns.iter().sum::<f64>() / ns.len().max(1) as f64;
        let (lo, hi) = xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |a, &v| {
            (a.0.min(v), a.1.max(v))
        });
        hits.push(
            c.hit(Rule::InletBlocked, Some(Pollutant::Pm25), first, last)
                .why(
                    format!(
                        "PM2.5 连续 {n} 小时低而平稳（{lo:.0}–{hi:.0} μg/m³，平均 {mean:.0}），仅为邻近站点（平均 {nmean:.0} μg/m³）的 {}，而同期 NO2/CO 正常波动：疑似采样口被遮挡或堵塞、滤膜被取下。",
                        pct(mean / nmean)
                    ),
                    format!(
                        "PM2.5 stayed low and flat for {n} hours ({lo:.0}–{hi:.0} μg/m³, mean {mean:.0}), only {} of the neighbours' ({nmean:.0} μg/m³), while NO2/CO varied as usual: the inlet covered or blocked, or the filter removed?",
                        pct(mean / nmean)
                    ),
                )
                .figure("hours", n as f64)
                .figure("pm25_mean", mean)
                .figure("neighbour_pm25_mean", nmean)
                .figure("ratio", mean / nmean)
                .strength(n as f64),
        );
    }
}

/// Spec §7.5 item 8: PM2.5 missing for hours in which the neighbours were in an episode
/// (a station unplugged while its neighbours stay high). Needs neighbours.
fn outage_in_episode(c: &Ctx<'_>, hits: &mut Vec<Hit>) {
    let cfg = c.cfg;
    if c.nb.is_empty() {
        return;
    }
    let missing: Vec<bool> = (0..c.n_hours).map(|t| c.x(PM25, t).is_nan()).collect();
    for (first, last, n) in runs(&missing, cfg.merge_gap_hours) {
        let high: Vec<usize> = (first..=last)
            .filter(|&t| missing[t] && regional_high(c, t))
            .collect();
        let share = high.len() as f64 / n as f64;
        if high.len() < cfg.outage_hours_min.max(1) || share < cfg.outage_high_share_min {
            continue;
        }
        let nmax = high.iter().map(|&t| c.n(PM25, t)).fold(f64::NAN, f64::max);
        let before = (first.saturating_sub(3)..first)
            .rev()
            .map(|t| c.x(PM25, t))
            .find(|v| !v.is_nan());
        let (bz, be) = match before {
            Some(v) => (
                format!("，断数前本站 PM2.5 为 {v:.0} μg/m³"),
                format!("; before it the station read {v:.0} μg/m³"),
            ),
            None => (String::new(), String::new()),
        };
        hits.push(
            c.hit(Rule::OutageInEpisode, Some(Pollutant::Pm25), first, last)
                .why(
                    format!(
                        "本站缺失 {n} 小时数据，其中 {} 小时邻近站点正处于污染时段（PM2.5 中位数 ≥ {:.0}，最高 {nmax:.0} μg/m³）{bz}：断数集中在高污染时段，请核实原因。",
                        high.len(), cfg.episode_pm25_min
                    ),
                    format!(
                        "{n} hours missing, {} of them while the neighbours were in an episode (median PM2.5 ≥ {:.0}, up to {nmax:.0} μg/m³){be}: the outage falls on high-pollution hours; check why.",
                        high.len(), cfg.episode_pm25_min
                    ),
                )
                .figure("missing_hours", n as f64)
                .figure("episode_hours", high.len() as f64)
                .figure("episode_share", share)
                .figure("neighbour_pm25_max", nmax)
                .strength(high.len() as f64),
        );
    }
}

/// Wu et al. 2018 type (c), spec §7.5 item 9: an hour that stands out from the two hours
/// either side (robust z) at the same hour of day on many days (calibration running into data).
fn periodic_same_hour(c: &Ctx<'_>, hits: &mut Vec<Hit>) {
    let cfg = c.cfg;
    let n_days = c.me.series.n_days;
    if n_days < cfg.periodic_days_min.max(2) {
        return;
    }
    for p in Pollutant::ALL {
        let i = p.index();
        let excess: Vec<f64> = (0..c.n_hours)
            .map(|t| {
                // Against the median of the two hours either side, so that the hours next
                // to an outlier are not outliers themselves.
                if t < 2 || t + 2 >= c.n_hours {
                    return f64::NAN;
                }
                let mut around = [c.x(i, t - 2), c.x(i, t - 1), c.x(i, t + 1), c.x(i, t + 2)];
                if around.iter().any(|v| v.is_nan()) {
                    return f64::NAN;
                }
                c.x(i, t) - median(&mut around)
            })
            .collect();
        let (med, scale) = robust_scale(excess.iter().copied());
        if med.is_nan() {
            continue;
        }
        let scale = scale.max(cfg.spike_abs_min[i] * 0.05).max(1e-9);
        for slot in 0..24 {
            let mut days = 0usize;
            let (mut up, mut down): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
            for day in 0..n_days {
                let t = day * 24 + slot;
                let e = excess[t];
                if e.is_nan() {
                    continue;
                }
                days += 1;
                if ((e - med) / scale).abs() >= cfg.periodic_z_min
                    && e.abs() >= cfg.spike_abs_min[i] * 0.5
                {
                    if e > 0.0 { up.push(t) } else { down.push(t) }
                }
            }
            // A calibration artefact goes the same way every day.
            let out = if up.len() >= down.len() { up } else { down };
            let share = out.len() as f64 / days.max(1) as f64;
            if out.is_empty() || out.len() < cfg.periodic_days_min || share < cfg.periodic_share_min
            {
                continue;
            }
            let (first, last) = (out[0], out[out.len() - 1]);
            let k = out.len();
            let mean_excess = out.iter().map(|&t| excess[t]).sum::<f64>() / k as f64;
            hits.push(
                c.hit(Rule::PeriodicSameHour, Some(p), first, last)
                    .why(
                        format!(
                            "{} 在每天 {slot:02}:00–{:02}:00（北京时间）这一小时有 {k} 天（占 {}）明显偏离前后小时（平均偏离 {} {}）：疑似校准或自检数据混入。",
                            p.name(), slot + 1, pct(share), conc(p, mean_excess), unit(p)
                        ),
                        format!(
                            "{}: the hour {slot:02}:00–{:02}:00 (Beijing time) stands out from the hours either side on {k} days ({} of days; mean excess {} {}): calibration or self-check data in the series?",
                            p.name(), slot + 1, pct(share), conc(p, mean_excess), unit(p)
                        ),
                    )
                    .figure("slot", slot as f64)
                    .figure("days", k as f64)
                    .figure("share", share)
                    .figure("mean_excess", mean_excess)
                    .strength(k as f64),
            );
        }
    }
}

/// Pearson correlation of paired finite values; NaN with fewer than `n_min` pairs.
fn correlation(pairs: impl Iterator<Item = (f64, f64)>, n_min: usize) -> f64 {
    let (mut n, mut sx, mut sy, mut sxx, mut syy, mut sxy) = (0usize, 0.0, 0.0, 0.0, 0.0, 0.0);
    for (x, y) in pairs {
        if !x.is_finite() || !y.is_finite() {
            continue;
        }
        n += 1;
        sx += x;
        sy += y;
        sxx += x * x;
        syy += y * y;
        sxy += x * y;
    }
    if n < n_min.max(3) {
        return f64::NAN;
    }
    let nf = n as f64;
    let cov = sxy - sx * sy / nf;
    let (vx, vy) = (sxx - sx * sx / nf, syy - sy * sy / nf);
    if vx <= 0.0 || vy <= 0.0 {
        return f64::NAN;
    }
    cov / (vx * vy).sqrt()
}

/// Spec §7.5 item 10: the logger's clock. DataTime ahead of the receipt time; or, over
/// windows of days, the station's hour-to-hour changes best matching the neighbours' at a
/// lag of 1–3 h rather than at zero.
fn clock_drift(c: &Ctx<'_>, hits: &mut Vec<Hit>) {
    let cfg = c.cfg;
    if let Some(lag) = c.me.receipt_lag_s {
        let ahead: Vec<bool> = (0..c.n_hours)
            .map(|t| lag.get(t).is_some_and(|&l| l < -cfg.clock_ahead_s_max))
            .collect();
        for (first, last, n) in runs(&ahead, cfg.merge_gap_hours) {
            let worst = (first..=last)
                .filter_map(|t| lag.get(t).copied())
                .fold(f64::INFINITY, f64::min);
            hits.push(
                c.hit(Rule::ClockDrift, None, first, last)
                    .why(
                        format!(
                            "有 {n} 个小时的数据时间（DataTime）晚于平台接收时间，最多超前 {:.0} 分钟：数采仪时钟偏快，请校时。",
                            -worst / 60.0
                        ),
                        format!(
                            "{n} hour(s) whose DataTime lies after their receipt, up to {:.0} minutes ahead: the logger's clock is fast; set its time.",
                            -worst / 60.0
                        ),
                    )
                    .figure("hours", n as f64)
                    .figure("ahead_s_max", -worst)
                    .strength(n as f64),
            );
        }
    }
    if c.nb.is_empty() || cfg.clock_window_days == 0 {
        return;
    }
    // The neighbours' median hour-to-hour change, per pollutant.
    let diffs: Vec<(Vec<f64>, Vec<f64>)> = CLOCK_POLLUTANTS
        .iter()
        .map(|p| {
            let i = p.index();
            let own: Vec<f64> = (0..c.n_hours)
                .map(|t| {
                    if t == 0 {
                        f64::NAN
                    } else {
                        c.x(i, t) - c.x(i, t - 1)
                    }
                })
                .collect();
            let mut buf = Vec::with_capacity(c.nb.len());
            let nb: Vec<f64> = (0..c.n_hours)
                .map(|t| {
                    if t == 0 {
                        return f64::NAN;
                    }
                    buf.clear();
                    buf.extend(
                        c.nb.iter()
                            .map(|&(j, _)| value(&c.all[j], i, t) - value(&c.all[j], i, t - 1))
                            .filter(|v| !v.is_nan()),
                    );
                    median(&mut buf)
                })
                .collect();
            (own, nb)
        })
        .collect();
    let w = cfg.clock_window_days * 24;
    let max_lag = cfg.clock_lag_hours_max as i64;
    let mut windows: Vec<(usize, usize, i64, f64, f64)> = Vec::new();
    // Windows of `w` hours, starting every 12 hours, so that a shift of a few days is seen whole
    // by at least one window.
    let mut start = 0;
    while start < c.n_hours {
        let end = (start + w).min(c.n_hours);
        if end - start < w && start > 0 {
            break;
        }
        let corr_at = |lag: i64| {
            let cs: Vec<f64> = diffs
                .iter()
                .map(|(own, nb)| {
                    let pairs = (start..end).map(|t| {
                        let u = t as i64 - lag;
                        let y = if u < 0 || u as usize >= c.n_hours {
                            f64::NAN
                        } else {
                            nb[u as usize]
                        };
                        (own[t], y)
                    });
                    correlation(pairs, w / 3)
                })
                .filter(|v| !v.is_nan())
                .collect();
            if cs.len() < 2 {
                f64::NAN
            } else {
                cs.iter().sum::<f64>() / cs.len() as f64
            }
        };
        let zero = corr_at(0);
        let (best_lag, best) = (-max_lag..=max_lag)
            .filter(|&l| l != 0 && l.unsigned_abs() as usize >= cfg.clock_lag_hours_min)
            .map(|l| (l, corr_at(l)))
            .filter(|(_, v)| !v.is_nan())
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, f64::NAN));
        if best >= cfg.clock_corr_min && (zero.is_nan() || best - zero >= cfg.clock_corr_gain_min) {
            windows.push((start, end - 1, best_lag, best, zero));
        }
        start += 12;
    }
    // Overlapping windows of one shift make one hit, told by its clearest window.
    let mut merged: Vec<(usize, usize, i64, f64, f64)> = Vec::new();
    for win in windows {
        match merged.last_mut() {
            Some(m) if win.0 <= m.1 + 1 => {
                m.1 = m.1.max(win.1);
                if win.3 - win.4 > m.3 - m.4 {
                    (m.2, m.3, m.4) = (win.2, win.3, win.4);
                }
            }
            _ => merged.push(win),
        }
    }
    for (first, last, lag, best, zero) in merged {
        let (dir_zh, dir_en) = if lag > 0 {
            ("滞后", "behind")
        } else {
            ("超前", "ahead of")
        };
        hits.push(
            c.hit(Rule::ClockDrift, None, first, last)
                .why(
                    format!(
                        "本站逐时变化与邻近站点在错开 {} 小时时最吻合（相关系数 {best:.2}，不错开时仅 {:.2}）：本站数据时间疑似比邻近站点{dir_zh} {} 小时，请核查数采仪时钟。",
                        lag.abs(), if zero.is_nan() { 0.0 } else { zero }, lag.abs()
                    ),
                    format!(
                        "The station's hourly changes match the neighbours' best when shifted by {} h (correlation {best:.2}, {:.2} unshifted): its timestamps seem {} h {dir_en} the neighbours'; check the logger's clock.",
                        lag.abs(), if zero.is_nan() { 0.0 } else { zero }, lag.abs()
                    ),
                )
                .figure("lag_hours", lag as f64)
                .figure("corr_best", best)
                .figure("corr_zero", zero)
                .strength(best - zero),
        );
    }
}

/// Spec §7.5 item 10: hours received long after their DataTime (back-filled from the
/// logger's memory, or written afterwards).
fn backfilled(c: &Ctx<'_>, hits: &mut Vec<Hit>) {
    let Some(lag) = c.me.receipt_lag_s else {
        return;
    };
    let late: Vec<bool> = (0..c.n_hours)
        .map(|t| lag.get(t).is_some_and(|&l| l > c.cfg.backfill_lag_s_min))
        .collect();
    for (first, last, n) in runs(&late, c.cfg.merge_gap_hours) {
        let worst = (first..=last)
            .filter_map(|t| lag.get(t).copied())
            .fold(0.0f64, f64::max);
        hits.push(
            c.hit(Rule::Backfilled, None, first, last)
                .why(
                    format!(
                        "有 {n} 个小时的数据在其数据时间之后很久才到达（最长 {:.1} 小时，阈值 {:.1} 小时）：补传数据，请核实断线原因及数据真实性。",
                        worst / 3600.0,
                        c.cfg.backfill_lag_s_min / 3600.0
                    ),
                    format!(
                        "{n} hour(s) arrived long after their DataTime (up to {:.1} h; threshold {:.1} h): back-filled data; check the outage and the data's authenticity.",
                        worst / 3600.0,
                        c.cfg.backfill_lag_s_min / 3600.0
                    ),
                )
                .figure("hours", n as f64)
                .figure("lag_s_max", worst)
                .strength(n as f64),
        );
    }
}

/// Spec §7.5 item 11: a township station whose daily PM is persistently below the nearest
/// assessment station's (townships are ranked; a target for local interference).
fn township_below_assessment(c: &Ctx<'_>, hits: &mut Vec<Hit>) {
    let cfg = c.cfg;
    if c.me.role != StationRole::Township {
        return;
    }
    let Some((j, km)) = c
        .all
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            s.role == StationRole::Assessment && s.lat.is_finite() && s.lon.is_finite()
        })
        .map(|(j, s)| (j, super::distance_km(c.me.lat, c.me.lon, s.lat, s.lon)))
        .filter(|&(_, d)| d <= cfg.neighbour_radius_km)
        .min_by(|a, b| a.1.total_cmp(&b.1))
    else {
        return;
    };
    let other = &c.all[j];
    for p in [Pollutant::Pm25, Pollutant::Pm10] {
        let (mut both, mut below) = (0usize, Vec::new());
        let mut ratios = Vec::new();
        for day in 0..c.me.series.n_days.min(other.series.n_days) {
            let mine = crate::validity::daily_mean(c.me.series.day_hours(p, day)).valid();
            let theirs = crate::validity::daily_mean(other.series.day_hours(p, day)).valid();
            if let (Some(m), Some(o)) = (mine, theirs)
                && o > 0.0
            {
                both += 1;
                if m / o < cfg.township_ratio_max {
                    below.push(day);
                    ratios.push(m / o);
                }
            }
        }
        let share = below.len() as f64 / both.max(1) as f64;
        if below.len() < cfg.township_days_min.max(1) || share < cfg.township_share_min {
            continue;
        }
        let r = ratios.iter().sum::<f64>() / ratios.len() as f64;
        let mut h = c
            .hit(Rule::TownshipBelowAssessment, Some(p), below[0] * 24, below[below.len() - 1] * 24 + 23)
            .why(
                format!(
                    "乡镇站 {} 日均值在 {both} 个可比天中有 {} 天低于最近的国控站 {}（相距 {km:.1} km）的 {}（平均为其 {}）：乡镇站持续偏低，请核查站点周边是否存在干扰。",
                    p.name(), below.len(), other.id, pct(cfg.township_ratio_max), pct(r)
                ),
                format!(
                    "Township station: its daily {} was below {} of the nearest assessment station {} ({km:.1} km away) on {} of {both} comparable days (mean {}): persistently low; check the site for interference.",
                    p.name(), pct(cfg.township_ratio_max), other.id, below.len(), pct(r)
                ),
            )
            .figure("days_below", below.len() as f64)
            .figure("days_compared", both as f64)
            .figure("ratio_mean", r)
            .figure("distance_km", km)
            .strength(share);
        h.neighbours = vec![other.id.to_owned()];
        hits.push(h);
    }
}
