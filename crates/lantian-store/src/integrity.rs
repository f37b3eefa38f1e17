//! Data integrity in the store: alarm episodes (deduplicated on station, pollutant, rule and
//! first hour, and extended when an episode grows), their three-level reviews, work orders to
//! the operations contractor, a station's corrections, and the months the bureau has closed.

use crate::Store;
use crate::db::{Conn, Row, Val, text};
use crate::error::{StoreError, invalid};
use crate::model::{Correction, CorrectionAction, Page, Paged, Period};
use lantian_core::integrity::{Rule, Severity};
use lantian_core::pollutant::Pollutant;
use serde::{Deserialize, Serialize};

/// An enum of stable lowercase names (`as_str`, `parse`, serde in that spelling).
macro_rules! names {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($(#[$vm])* #[serde(rename = $s)] $v),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s { $($s => Some($name::$v),)+ _ => None }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

names! {
    /// Where an alarm stands: the bureau's review outcome decides it.
    AlarmState {
        Open = "open",
        Confirmed = "confirmed",
        FalsePositive = "false_positive",
        SiteVisit = "site_visit",
    }
}

names! {
    /// The three levels of review (三级审核), in order.
    ReviewLevel {
        /// The operations contractor's operator (运维).
        Operator = "operator",
        /// The township whose station it is.
        Township = "township",
        /// The Ecology and Environment Bureau: its outcome sets the alarm's state.
        Bureau = "bureau",
    }
}

names! {
    /// A reviewer's verdict.
    Outcome {
        Confirm = "confirm",
        FalsePositive = "false_positive",
        /// Cannot tell from the data: someone must go and look.
        SiteVisit = "site_visit",
    }
}

impl Outcome {
    /// The alarm's state when the bureau gives this outcome.
    pub fn state(self) -> AlarmState {
        match self {
            Outcome::Confirm => AlarmState::Confirmed,
            Outcome::FalsePositive => AlarmState::FalsePositive,
            Outcome::SiteVisit => AlarmState::SiteVisit,
        }
    }
}

names! {
    WorkOrderState {
        Open = "open",
        Closed = "closed",
    }
}

/// An alarm episode as found by a scan (no id yet).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewAlarm {
    pub station_id: String,
    pub pollutant: Option<Pollutant>,
    pub rule: Rule,
    pub severity: Severity,
    /// First and last flagged hour (their starts, CST seconds).
    pub first_ts: i64,
    pub last_ts: i64,
    pub why_zh: String,
    pub why_en: String,
    pub figures: Vec<(String, f64)>,
    pub neighbours: Vec<String>,
}

/// A stored alarm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlarmRow {
    pub id: i64,
    #[serde(flatten)]
    pub alarm: NewAlarm,
    pub state: AlarmState,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// Reviews so far.
    pub reviews_n: i64,
    /// Handed over to enforcement, when the bureau did (confirmed interference).
    pub escalation: Option<Escalation>,
}

/// A confirmed alarm handed over to enforcement with its evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Escalation {
    pub who: String,
    pub at_ms: i64,
    pub note: String,
}

/// What storing a scan's alarms did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AlarmsStored {
    /// Episodes not seen before.
    pub new: u64,
    /// Stored episodes that grew (an earlier first or a later last hour).
    pub extended: u64,
    /// Episodes already stored as they are.
    pub unchanged: u64,
}

/// Which alarms to list (every field optional).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AlarmFilter {
    pub station_id: Option<String>,
    pub rule: Option<Rule>,
    pub state: Option<AlarmState>,
    pub severity: Option<Severity>,
    /// Episodes that overlap `from <= hour start < to` (CST seconds).
    pub from_ts: Option<i64>,
    pub to_ts: Option<i64>,
}

/// One review of an alarm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub alarm_id: i64,
    pub seq: i64,
    pub level: ReviewLevel,
    pub outcome: Outcome,
    pub reason: String,
    pub who: String,
    pub at_ms: i64,
}

/// A work order to the operations contractor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkOrder {
    pub id: i64,
    pub alarm_id: Option<i64>,
    pub station_id: String,
    /// The contractor unit's id.
    pub assignee: String,
    /// `YYYY-MM-DD`, Beijing time.
    pub deadline: String,
    pub state: WorkOrderState,
    pub note: String,
    pub opened_by: String,
    pub opened_ms: i64,
    pub closed_by: Option<String>,
    pub closed_ms: Option<i64>,
    pub closing_note: Option<String>,
}

/// A month the bureau closed after its corrections (HJ 633 §5.1.5).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClosedMonth {
    /// `YYYY-MM`.
    pub month: String,
    pub closed_by: String,
    pub closed_ms: i64,
    pub note: String,
}

/// Per rule: alarms, and the bureau's confirmed and false-positive outcomes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RuleCounts {
    pub alarms: i64,
    pub confirmed: i64,
    pub false_positive: i64,
}

fn parsed<T>(r: &Row, i: usize, what: &str, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    let t = text(r, i);
    parse(&t).ok_or_else(|| invalid(format!("{what} {t:?}")))
}

const ALARM_COLUMNS: &str = "a.id, a.station_id, a.pollutant, a.rule, a.severity, a.first_ts, a.last_ts, \
     a.why_zh, a.why_en, a.figures, a.neighbours, a.state, a.created_ms, a.updated_ms, \
     (SELECT COUNT(*) FROM alarm_reviews r WHERE r.alarm_id = a.id), a.escalated_by, a.escalated_ms, \
     a.escalation_note";

fn alarm(r: &Row) -> Result<AlarmRow, StoreError> {
    let id = r[0].int().unwrap_or(0);
    let pollutant = match text(r, 2).as_str() {
        "" => None,
        p if CEMS_SUBJECTS.iter().any(|(_, code)| *code == p) => None,
        p => Some(
            Pollutant::parse(p).ok_or_else(|| invalid(format!("alarm {id}: pollutant {p:?}")))?,
        ),
    };
    Ok(AlarmRow {
        id,
        alarm: NewAlarm {
            station_id: text(r, 1),
            pollutant,
            rule: parsed(r, 3, "alarm rule", Rule::parse)?,
            severity: parsed(r, 4, "alarm severity", Severity::parse)?,
            first_ts: r[5].int().unwrap_or(0),
            last_ts: r[6].int().unwrap_or(0),
            why_zh: text(r, 7),
            why_en: text(r, 8),
            figures: serde_json::from_str(&text(r, 9))
                .map_err(|e| invalid(format!("alarm {id}: figures: {e}")))?,
            neighbours: serde_json::from_str(&text(r, 10))
                .map_err(|e| invalid(format!("alarm {id}: neighbours: {e}")))?,
        },
        state: parsed(r, 11, "alarm state", AlarmState::parse)?,
        created_ms: r[12].int().unwrap_or(0),
        updated_ms: r[13].int().unwrap_or(0),
        reviews_n: r[14].int().unwrap_or(0),
        escalation: match (r[15].text(), r[16].int()) {
            (Some(who), Some(at_ms)) => Some(Escalation {
                who,
                at_ms,
                note: text(r, 17),
            }),
            _ => None,
        },
    })
}

/// Archive records looked up per query by [`Store::hour_receipts`].
const RECEIPT_SEQS_PER_QUERY: usize = 500;

/// The flue-gas channels of CEMS alarms without a criteria pollutant, by the name their
/// words begin with (`cems_rules` names the subject first): NOx and particulate matter, and
/// the outlet's O2 and flow. Their code is the alarm's `pollutant` key in the store, so that
/// a flat NOx line and a flat particulate line of one outlet are two alarms.
const CEMS_SUBJECTS: [(&str, &str); 4] = [
    ("氮氧化物", "a21002"),
    ("颗粒物（烟尘）", "a34013"),
    ("O2", "a19001"),
    ("流量", "a00000"),
];

/// The key of an alarm's subject in the `pollutant` column: the pollutant's name; for a
/// CEMS alarm without one, the channel's code; else empty (a station-wide rule).
fn subject_key(a: &NewAlarm) -> &'static str {
    match a.pollutant {
        Some(p) => p.name(),
        None => cems_channel(a).unwrap_or(""),
    }
}

/// The HJ 212 code of the channel a CEMS alarm without a criteria pollutant is about (NOx,
/// particulate matter, O2, flow), if it names one.
pub fn cems_channel(a: &NewAlarm) -> Option<&'static str> {
    if a.pollutant.is_some() || !a.rule.as_str().starts_with("cems_") {
        return None;
    }
    let first = a.why_zh.split(' ').next().unwrap_or_default();
    CEMS_SUBJECTS
        .iter()
        .find(|(name, _)| *name == first)
        .map(|(_, code)| *code)
}

const ORDER_COLUMNS: &str = "id, alarm_id, station_id, assignee, deadline, state, note, opened_by, \
     opened_ms, closed_by, closed_ms, closing_note";

fn work_order(r: &Row) -> Result<WorkOrder, StoreError> {
    Ok(WorkOrder {
        id: r[0].int().unwrap_or(0),
        alarm_id: r[1].int(),
        station_id: text(r, 2),
        assignee: text(r, 3),
        deadline: text(r, 4),
        state: parsed(r, 5, "work order state", WorkOrderState::parse)?,
        note: text(r, 6),
        opened_by: text(r, 7),
        opened_ms: r[8].int().unwrap_or(0),
        closed_by: r[9].text(),
        closed_ms: r[10].int(),
        closing_note: r[11].text(),
    })
}

/// Stores one scanned alarm: extends a stored episode of the same station, pollutant and
/// rule that overlaps it or touches it (within `gap_s`), else inserts it.
fn store_alarm(
    c: &mut dyn Conn,
    a: &NewAlarm,
    gap_s: i64,
    now_ms: i64,
) -> Result<AlarmsStored, StoreError> {
    let figures =
        serde_json::to_string(&a.figures).map_err(|e| invalid(format!("figures: {e}")))?;
    let neighbours =
        serde_json::to_string(&a.neighbours).map_err(|e| invalid(format!("neighbours: {e}")))?;
    let found = c.query(
        "SELECT id, first_ts, last_ts FROM alarms WHERE station_id = $1 AND pollutant = $2 AND rule = $3 \
         AND first_ts <= $4 AND last_ts >= $5 ORDER BY first_ts LIMIT 1",
        &[
            a.station_id.as_str().into(),
            subject_key(a).into(),
            a.rule.as_str().into(),
            (a.last_ts + gap_s).into(),
            (a.first_ts - gap_s).into(),
        ],
    )?;
    let mut out = AlarmsStored::default();
    match found.first() {
        Some(r) => {
            let (id, first, last) = (
                r[0].int().unwrap_or(0),
                r[1].int().unwrap_or(0),
                r[2].int().unwrap_or(0),
            );
            let (first2, last2) = (first.min(a.first_ts), last.max(a.last_ts));
            if (first2, last2) == (first, last) {
                out.unchanged = 1;
                return Ok(out);
            }
            // The episode grew: its figures and words are the latest scan's (they describe
            // the whole episode as the rule now sees it).
            c.exec(
                "UPDATE alarms SET first_ts = $1, last_ts = $2, severity = $3, why_zh = $4, why_en = $5, \
                 figures = $6, neighbours = $7, updated_ms = $8 WHERE id = $9",
                &[
                    first2.into(),
                    last2.into(),
                    a.severity.as_str().into(),
                    a.why_zh.as_str().into(),
                    a.why_en.as_str().into(),
                    figures.into(),
                    neighbours.into(),
                    now_ms.into(),
                    id.into(),
                ],
            )?;
            out.extended = 1;
        }
        None => {
            c.exec(
                "INSERT INTO alarms (station_id, pollutant, rule, severity, first_ts, last_ts, why_zh, why_en, \
                 figures, neighbours, state, created_ms, updated_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11, $11)",
                &[
                    a.station_id.as_str().into(),
                    subject_key(a).into(),
                    a.rule.as_str().into(),
                    a.severity.as_str().into(),
                    a.first_ts.into(),
                    a.last_ts.into(),
                    a.why_zh.as_str().into(),
                    a.why_en.as_str().into(),
                    figures.into(),
                    neighbours.into(),
                    now_ms.into(),
                ],
            )?;
            out.new = 1;
        }
    }
    Ok(out)
}

impl Store {
    /// Stores a scan's alarms in one transaction: an episode already stored (same station,
    /// pollutant and rule, overlapping or within `gap_s` of it) is extended, not repeated.
    pub fn store_alarms(
        &self,
        alarms: &[NewAlarm],
        gap_s: i64,
        now_ms: i64,
    ) -> Result<AlarmsStored, StoreError> {
        self.write(|c| {
            let mut total = AlarmsStored::default();
            for a in alarms {
                if a.last_ts < a.first_ts {
                    return Err(invalid(format!(
                        "alarm of {} ends before it starts",
                        a.station_id
                    )));
                }
                let s = store_alarm(c, a, gap_s, now_ms)?;
                total.new += s.new;
                total.extended += s.extended;
                total.unchanged += s.unchanged;
            }
            Ok(total)
        })
    }

    /// When each hour of a station's `from..to` (hour starts, CST seconds) was first
    /// received: the earliest archived receipt (Unix ms) of the packets that brought its
    /// hourly values of `codes`, as `(ts, received_ms)` in order. Hours stored without a
    /// packet are absent. Two queries (observations by their key, then the
    /// archive), not one per hour.
    pub fn hour_receipts(
        &self,
        station_id: &str,
        codes: &[&str],
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (0..codes.len()).map(|i| format!("${}", i + 5)).collect();
        let sql = format!(
            "SELECT ts, packet_chain, MIN(packet_seq) FROM observations WHERE station_id = $1 AND period = $2 \
             AND ts >= $3 AND ts < $4 AND code IN ({}) AND packet_seq IS NOT NULL GROUP BY ts, packet_chain ORDER BY ts",
            marks.join(", ")
        );
        let mut p: Vec<Val> = vec![
            station_id.into(),
            Period::Hour.as_str().into(),
            from.into(),
            to.into(),
        ];
        p.extend(codes.iter().map(|c| Val::from(*c)));
        // (hour, chain, first seq on that chain): with several gateways an hour's values may
        // have come in on several chains; the earliest receipt of them counts.
        let hours: Vec<(i64, String, i64)> = self
            .read(|c| c.query(&sql, &p))?
            .iter()
            .filter_map(|r| Some((r[0].int()?, r[1].text()?, r[2].int()?)))
            .collect();
        let mut seqs: std::collections::BTreeMap<&str, Vec<i64>> = Default::default();
        for (_, chain, seq) in &hours {
            seqs.entry(chain.as_str()).or_default().push(*seq);
        }
        let mut received = std::collections::HashMap::with_capacity(hours.len());
        for (chain, mut seqs) in seqs {
            seqs.sort_unstable();
            seqs.dedup();
            for chunk in seqs.chunks(RECEIPT_SEQS_PER_QUERY) {
                let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
                let sql = format!(
                    "SELECT seq, received_ms FROM archive WHERE chain = $1 AND seq IN ({})",
                    marks.join(", ")
                );
                let mut p: Vec<Val> = vec![chain.into()];
                p.extend(chunk.iter().map(|s| Val::from(*s)));
                for r in self.read_from(crate::Part::Archive, |c| c.query(&sql, &p))? {
                    if let (Some(seq), Some(ms)) = (r[0].int(), r[1].int()) {
                        received.insert((chain, seq), ms);
                    }
                }
            }
        }
        let mut first: Vec<(i64, i64)> = Vec::with_capacity(hours.len());
        for (ts, chain, seq) in &hours {
            let Some(&ms) = received.get(&(chain.as_str(), *seq)) else {
                continue;
            };
            match first.last_mut() {
                Some(last) if last.0 == *ts => last.1 = last.1.min(ms),
                _ => first.push((*ts, ms)),
            }
        }
        Ok(first)
    }

    /// The alarms that pass `f`, newest episode first.
    pub fn alarms(&self, f: &AlarmFilter) -> Result<Vec<AlarmRow>, StoreError> {
        Ok(self.alarms_page(f, None, Page::ALL)?.items)
    }

    /// One page of the alarms that pass `f` and are of one of `stations` (none: of any
    /// station), newest episode first, and how many pass: alarms come from every hourly scan,
    /// so the page is cut in SQL.
    pub fn alarms_page(
        &self,
        f: &AlarmFilter,
        stations: Option<&[&str]>,
        page: Page,
    ) -> Result<Paged<AlarmRow>, StoreError> {
        let mut sql = String::from("alarms a WHERE 1 = 1");
        let mut p: Vec<Val> = Vec::new();
        let mut cond = |sql: &mut String, clause: &str, v: Val| {
            p.push(v);
            sql.push_str(&clause.replace('?', &format!("${}", p.len())));
        };
        if let Some(s) = &f.station_id {
            cond(&mut sql, " AND a.station_id = ?", s.as_str().into());
        }
        if let Some(r) = f.rule {
            cond(&mut sql, " AND a.rule = ?", r.as_str().into());
        }
        if let Some(s) = f.state {
            cond(&mut sql, " AND a.state = ?", s.as_str().into());
        }
        if let Some(s) = f.severity {
            cond(&mut sql, " AND a.severity = ?", s.as_str().into());
        }
        if let Some(t) = f.from_ts {
            cond(&mut sql, " AND a.last_ts >= ?", t.into());
        }
        if let Some(t) = f.to_ts {
            cond(&mut sql, " AND a.first_ts < ?", t.into());
        }
        if let Some(ids) = stations {
            if ids.is_empty() {
                return Ok(Paged {
                    items: Vec::new(),
                    total: 0,
                });
            }
            sql.push_str(" AND a.station_id IN (");
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                cond(&mut sql, "?", (*id).into());
            }
            sql.push(')');
        }
        let (rows, total) = self.read(|c| {
            crate::db::page_of(
                c,
                ALARM_COLUMNS,
                &sql,
                "a.first_ts DESC, a.id DESC",
                &p,
                page,
            )
        })?;
        Ok(Paged {
            items: rows.iter().map(alarm).collect::<Result<_, _>>()?,
            total,
        })
    }

    /// One alarm.
    pub fn alarm(&self, id: i64) -> Result<Option<AlarmRow>, StoreError> {
        self.read(|c| {
            c.query(
                &format!("SELECT {ALARM_COLUMNS} FROM alarms a WHERE a.id = $1"),
                &[id.into()],
            )
        })?
        .first()
        .map(alarm)
        .transpose()
    }

    /// Appends a review; with `state`, sets the alarm's state in the same transaction.
    /// Returns the review's seq.
    pub fn add_review(&self, r: &Review, state: Option<AlarmState>) -> Result<i64, StoreError> {
        if r.reason.trim().is_empty() || r.who.trim().is_empty() {
            return Err(invalid(
                "a review needs a reason and who made it".to_owned(),
            ));
        }
        self.write(|c| {
            if c.query("SELECT 1 FROM alarms WHERE id = $1", &[r.alarm_id.into()])?
                .is_empty()
            {
                return Err(StoreError::NotFound {
                    what: format!("alarm {}", r.alarm_id),
                });
            }
            let seq = c.query(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM alarm_reviews WHERE alarm_id = $1",
                &[r.alarm_id.into()],
            )?[0][0]
                .int()
                .unwrap_or(1);
            c.exec(
                "INSERT INTO alarm_reviews (alarm_id, seq, level, outcome, reason, who, at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    r.alarm_id.into(),
                    seq.into(),
                    r.level.as_str().into(),
                    r.outcome.as_str().into(),
                    r.reason.as_str().into(),
                    r.who.as_str().into(),
                    r.at_ms.into(),
                ],
            )?;
            if let Some(s) = state {
                c.exec(
                    "UPDATE alarms SET state = $1, updated_ms = $2 WHERE id = $3",
                    &[s.as_str().into(), r.at_ms.into(), r.alarm_id.into()],
                )?;
            }
            Ok(seq)
        })
    }

    /// Hands a confirmed alarm over to enforcement, once (compare-and-set: an alarm that is
    /// not confirmed, or already handed over, is refused).
    pub fn escalate_alarm(&self, id: i64, e: &Escalation) -> Result<(), StoreError> {
        self.write(|c| {
            let n = c.exec(
                "UPDATE alarms SET escalated_by = $1, escalated_ms = $2, escalation_note = $3, updated_ms = $2 \
                 WHERE id = $4 AND state = 'confirmed' AND escalated_ms IS NULL",
                &[e.who.as_str().into(), e.at_ms.into(), e.note.as_str().into(), id.into()],
            )?;
            if n == 1 {
                return Ok(());
            }
            if c.query("SELECT 1 FROM alarms WHERE id = $1", &[id.into()])?.is_empty() {
                return Err(StoreError::NotFound {
                    what: format!("alarm {id}"),
                });
            }
            Err(StoreError::Refused {
                what: format!(
                    "告警 {id} 未经生态环境局确认或已移送 / alarm {id} is not confirmed or already handed over"
                ),
            })
        })
    }

    /// An alarm's reviews, in order.
    pub fn reviews(&self, alarm_id: i64) -> Result<Vec<Review>, StoreError> {
        self.read(|c| {
            c.query(
                "SELECT alarm_id, seq, level, outcome, reason, who, at_ms FROM alarm_reviews \
                 WHERE alarm_id = $1 ORDER BY seq",
                &[alarm_id.into()],
            )
        })?
        .iter()
        .map(|r| {
            Ok(Review {
                alarm_id: r[0].int().unwrap_or(0),
                seq: r[1].int().unwrap_or(0),
                level: parsed(r, 2, "review level", ReviewLevel::parse)?,
                outcome: parsed(r, 3, "review outcome", Outcome::parse)?,
                reason: text(r, 4),
                who: text(r, 5),
                at_ms: r[6].int().unwrap_or(0),
            })
        })
        .collect()
    }

    /// Per rule: how many alarms, and how many the bureau confirmed or found false (its
    /// latest outcome per alarm, which is the alarm's state).
    pub fn rule_counts(&self) -> Result<Vec<(Rule, RuleCounts)>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT rule, COUNT(*), SUM(CASE WHEN state = 'confirmed' THEN 1 ELSE 0 END), \
                 SUM(CASE WHEN state = 'false_positive' THEN 1 ELSE 0 END) FROM alarms GROUP BY rule ORDER BY rule",
                &[],
            )
        })?;
        rows.iter()
            .map(|r| {
                Ok((
                    parsed(r, 0, "alarm rule", Rule::parse)?,
                    RuleCounts {
                        alarms: r[1].int().unwrap_or(0),
                        confirmed: r[2].int().unwrap_or(0),
                        false_positive: r[3].int().unwrap_or(0),
                    },
                ))
            })
            .collect()
    }

    /// Opens a work order (its `id`, `state` and closing fields are ignored); returns its id.
    pub fn open_work_order(&self, w: &WorkOrder) -> Result<i64, StoreError> {
        if w.assignee.trim().is_empty() || w.opened_by.trim().is_empty() {
            return Err(invalid(
                "a work order needs an assignee and who opened it".to_owned(),
            ));
        }
        self.write(|c| {
            if let Some(a) = w.alarm_id
                && c.query("SELECT 1 FROM alarms WHERE id = $1", &[a.into()])?.is_empty()
            {
                return Err(StoreError::NotFound {
                    what: format!("alarm {a}"),
                });
            }
            c.query(
                "INSERT INTO work_orders (alarm_id, station_id, assignee, deadline, state, note, opened_by, opened_ms) \
                 VALUES ($1, $2, $3, $4, 'open', $5, $6, $7) RETURNING id",
                &[
                    w.alarm_id.into(),
                    w.station_id.as_str().into(),
                    w.assignee.as_str().into(),
                    w.deadline.as_str().into(),
                    w.note.as_str().into(),
                    w.opened_by.as_str().into(),
                    w.opened_ms.into(),
                ],
            )?
            .first()
            .and_then(|r| r[0].int())
            .ok_or_else(|| invalid("work order id".to_owned()))
        })
    }

    /// Closes an open work order (compare-and-set: a closed or missing one is refused).
    pub fn close_work_order(
        &self,
        id: i64,
        who: &str,
        at_ms: i64,
        note: &str,
    ) -> Result<(), StoreError> {
        self.write(|c| {
            let n = c.exec(
                "UPDATE work_orders SET state = 'closed', closed_by = $1, closed_ms = $2, closing_note = $3 \
                 WHERE id = $4 AND state = 'open'",
                &[who.into(), at_ms.into(), note.into(), id.into()],
            )?;
            if n == 1 {
                return Ok(());
            }
            if c.query("SELECT 1 FROM work_orders WHERE id = $1", &[id.into()])?
                .is_empty()
            {
                return Err(StoreError::NotFound {
                    what: format!("work order {id}"),
                });
            }
            Err(StoreError::Refused {
                what: format!("工单 {id} 已关闭 / work order {id} is already closed"),
            })
        })
    }

    /// Work orders, newest first, optionally of one state, station or alarm.
    pub fn work_orders(
        &self,
        state: Option<WorkOrderState>,
        station_id: Option<&str>,
        alarm_id: Option<i64>,
    ) -> Result<Vec<WorkOrder>, StoreError> {
        self.read(|c| {
            c.query(
                &format!(
                    "SELECT {ORDER_COLUMNS} FROM work_orders WHERE ($1 = '' OR state = $1) \
                     AND ($2 = '' OR station_id = $2) AND ($3 < 0 OR alarm_id = $3) ORDER BY id DESC"
                ),
                &[
                    state.map_or("", WorkOrderState::as_str).into(),
                    station_id.unwrap_or("").into(),
                    alarm_id.unwrap_or(-1).into(),
                ],
            )
        })?
        .iter()
        .map(work_order)
        .collect()
    }

    /// One page of the work orders of one state (none: any) and station (none: any) that
    /// are of one of `stations` (none: of any station), newest first, and how many there are.
    pub fn work_orders_page(
        &self,
        state: Option<WorkOrderState>,
        station_id: Option<&str>,
        stations: Option<&[&str]>,
        page: Page,
    ) -> Result<Paged<WorkOrder>, StoreError> {
        let mut sql = String::from(
            "work_orders WHERE ($1 = '' OR state = $1) AND ($2 = '' OR station_id = $2)",
        );
        let mut p: Vec<Val> = vec![
            state.map_or("", WorkOrderState::as_str).into(),
            station_id.unwrap_or("").into(),
        ];
        if let Some(ids) = stations {
            if ids.is_empty() {
                return Ok(Paged {
                    items: Vec::new(),
                    total: 0,
                });
            }
            let marks: Vec<String> = ids
                .iter()
                .map(|id| {
                    p.push((*id).into());
                    format!("${}", p.len())
                })
                .collect();
            sql.push_str(&format!(" AND station_id IN ({})", marks.join(", ")));
        }
        let (rows, total) =
            self.read(|c| crate::db::page_of(c, ORDER_COLUMNS, &sql, "id DESC", &p, page))?;
        Ok(Paged {
            items: rows.iter().map(work_order).collect::<Result<_, _>>()?,
            total,
        })
    }

    /// One work order.
    pub fn work_order(&self, id: i64) -> Result<Option<WorkOrder>, StoreError> {
        self.read(|c| {
            c.query(
                &format!("SELECT {ORDER_COLUMNS} FROM work_orders WHERE id = $1"),
                &[id.into()],
            )
        })?
        .first()
        .map(work_order)
        .transpose()
    }

    /// The corrections of a station's hourly values, newest first.
    pub fn station_corrections(&self, station_id: &str) -> Result<Vec<Correction>, StoreError> {
        Ok(self.station_corrections_page(station_id, Page::ALL)?.items)
    }

    /// One page of the corrections of a station's hourly values, newest first, and how many
    /// there are (a correction per hour and pollutant: the page is cut in SQL).
    pub fn station_corrections_page(
        &self,
        station_id: &str,
        page: Page,
    ) -> Result<Paged<Correction>, StoreError> {
        let (rows, total) = self.read(|c| {
            crate::db::page_of(
                c,
                "station_id, code, period, ts, action, value, reason_code, who, at_ms, rule_set, note",
                "corrections WHERE station_id = $1",
                "at_ms DESC, ts DESC, seq DESC, code, period",
                &[station_id.into()],
                page,
            )
        })?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(Correction {
                    station_id: text(r, 0),
                    code: text(r, 1),
                    period: parsed(r, 2, "period", Period::parse)?,
                    ts: r[3].int().unwrap_or(0),
                    action: parsed(r, 4, "correction action", CorrectionAction::parse)?,
                    value: r[5].real(),
                    reason_code: text(r, 6),
                    who: text(r, 7),
                    at_ms: r[8].int().unwrap_or(0),
                    rule_set: text(r, 9),
                    note: text(r, 10),
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Paged { items, total })
    }

    /// Closes a month (`YYYY-MM`); a month closed already is refused.
    pub fn close_month(&self, m: &ClosedMonth) -> Result<(), StoreError> {
        self.write(|c| {
            if !c
                .query("SELECT 1 FROM audit_months WHERE month = $1", &[m.month.as_str().into()])?
                .is_empty()
            {
                return Err(StoreError::Refused {
                    what: format!("{} 已审核关账 / {} is already closed", m.month, m.month),
                });
            }
            c.exec(
                "INSERT INTO audit_months (month, closed_by, closed_ms, note) VALUES ($1, $2, $3, $4)",
                &[
                    m.month.as_str().into(),
                    m.closed_by.as_str().into(),
                    m.closed_ms.into(),
                    m.note.as_str().into(),
                ],
            )?;
            Ok(())
        })
    }

    /// The closed months, latest first.
    pub fn closed_months(&self) -> Result<Vec<ClosedMonth>, StoreError> {
        Ok(self
            .read(|c| {
                c.query(
                    "SELECT month, closed_by, closed_ms, note FROM audit_months ORDER BY month DESC",
                    &[],
                )
            })?
            .iter()
            .map(|r| ClosedMonth {
                month: text(r, 0),
                closed_by: text(r, 1),
                closed_ms: r[2].int().unwrap_or(0),
                note: text(r, 3),
            })
            .collect())
    }
}
