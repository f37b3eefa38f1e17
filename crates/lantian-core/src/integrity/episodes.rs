//! Episodes: the flagged stretches a rule finds become one alarm per fault, and the numbers
//! in the alarms' sentences are written the same way everywhere.

use super::{Alarm, Config, Rule};
use crate::pollutant::Pollutant;

/// One stretch a rule flagged, with its explanation. `strength` orders hits of one episode:
/// the strongest explains the episode.
#[derive(Clone, Debug)]
pub(crate) struct Hit {
    pub rule: Rule,
    pub pollutant: Option<Pollutant>,
    pub first: usize,
    pub last: usize,
    pub strength: f64,
    pub why_zh: String,
    pub why_en: String,
    pub figures: Vec<(String, f64)>,
    pub neighbours: Vec<String>,
}

impl Hit {
    pub fn new(rule: Rule, pollutant: Option<Pollutant>, first: usize, last: usize) -> Hit {
        Hit {
            rule,
            pollutant,
            first,
            last,
            strength: 0.0,
            why_zh: String::new(),
            why_en: String::new(),
            figures: Vec::new(),
            neighbours: Vec::new(),
        }
    }

    pub fn why(mut self, zh: String, en: String) -> Hit {
        self.why_zh = zh;
        self.why_en = en;
        self
    }

    pub fn figure(mut self, name: &str, value: f64) -> Hit {
        self.figures.push((name.to_owned(), value));
        self
    }

    pub fn strength(mut self, s: f64) -> Hit {
        self.strength = s;
        self
    }
}

/// Merges one station's hits into alarms: hits of one (pollutant, rule) with at most
/// `merge_gap_hours` unflagged hours between them form one episode, explained by its
/// strongest hit; the episode's figures add `episode_hours` and `hits`.
pub(crate) fn merge(cfg: &Config, station: &str, mut hits: Vec<Hit>) -> Vec<Alarm> {
    hits.sort_by_key(|a| (a.rule, a.pollutant, a.first));
    let mut out: Vec<Alarm> = Vec::new();
    let mut group: Vec<Hit> = Vec::new();
    let flush = |group: &mut Vec<Hit>, out: &mut Vec<Alarm>| {
        if group.is_empty() {
            return;
        }
        let first = group.iter().map(|h| h.first).min().unwrap_or(0);
        let last = group.iter().map(|h| h.last).max().unwrap_or(first);
        let n = group.len();
        let best = group
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.strength.total_cmp(&b.1.strength).then(b.0.cmp(&a.0)))
            .map(|(i, _)| i)
            .unwrap_or(0);
        let h = group.swap_remove(best);
        // A figure that could not be measured (no neighbours, no flow) is left out rather
        // than stored as NaN, which JSON cannot carry.
        let mut figures: Vec<(String, f64)> =
            h.figures.into_iter().filter(|f| f.1.is_finite()).collect();
        figures.push(("episode_hours".to_owned(), (last - first + 1) as f64));
        figures.push(("hits".to_owned(), n as f64));
        let (mut why_zh, mut why_en) = (h.why_zh, h.why_en);
        if n > 1 {
            why_zh.push_str(&format!("（同类异常共 {n} 处，合并为一条告警。）"));
            why_en.push_str(&format!(" ({n} occurrences merged into one alarm.)"));
        }
        let mut neighbours = h.neighbours;
        for other in group.iter() {
            for nb in &other.neighbours {
                if !neighbours.contains(nb) {
                    neighbours.push(nb.clone());
                }
            }
        }
        out.push(Alarm {
            station: station.to_owned(),
            pollutant: h.pollutant,
            rule: h.rule,
            severity: h.rule.severity(),
            first_hour: first,
            last_hour: last,
            why_zh,
            why_en,
            figures,
            neighbours,
        });
        group.clear();
    };
    for h in hits {
        let joins = group.last().is_some_and(|g| {
            g.rule == h.rule
                && g.pollutant == h.pollutant
                && h.first
                    <= group.iter().map(|x| x.last).max().unwrap_or(0) + cfg.merge_gap_hours + 1
        });
        if !joins {
            flush(&mut group, &mut out);
        }
        group.push(h);
    }
    flush(&mut group, &mut out);
    out
}

/// Removes alarms a more specific alarm of the same station explains: a PM sudden drop or
/// flat line inside a spraying or blocked-inlet episode, a spike or drop of PM2.5 that is
/// an hour of PM2.5 > PM10, so that one fault gives the operator one alarm.
pub(crate) fn drop_explained(alarms: &mut Vec<Alarm>) {
    let specific: Vec<(String, Rule, usize, usize)> = alarms
        .iter()
        .filter(|a| matches!(a.rule, Rule::Spraying | Rule::InletBlocked))
        .map(|a| (a.station.clone(), a.rule, a.first_hour, a.last_hour))
        .collect();
    if specific.is_empty() {
        return;
    }
    alarms.retain(|a| {
        let pm = matches!(a.pollutant, Some(Pollutant::Pm25 | Pollutant::Pm10));
        let generic = matches!(a.rule, Rule::SuddenDrop | Rule::FlatLine | Rule::Spike);
        !(pm && generic
            && specific.iter().any(|(s, _, f, l)| {
                *s == a.station && a.first_hour <= *l + 2 && a.last_hour + 2 >= *f
            }))
    });
}

/// A concentration as the sentences write it: CO with two decimals, others whole numbers
/// (one decimal below 10).
pub(crate) fn conc(p: Pollutant, v: f64) -> String {
    if p == Pollutant::Co {
        format!("{v:.2}")
    } else if v.abs() < 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    }
}

/// The unit of a pollutant in the sentences.
pub(crate) fn unit(p: Pollutant) -> &'static str {
    if p == Pollutant::Co {
        "mg/m³"
    } else {
        "μg/m³"
    }
}

/// A share as a whole percentage.
pub(crate) fn pct(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}
