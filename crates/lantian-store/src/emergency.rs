//! Heavy-pollution emergency response in the store: warnings with their timeline (each step
//! written with its notifications in one transaction), the reduction list, permitted
//! emissions, receipts, and violations handed over to enforcement.

use crate::Store;
use crate::db::{Conn, Row, Val, text};
use crate::error::{StoreError, invalid};
use crate::model::*;
use lantian_core::warning::reduction::{Measure, MeasureKind};

fn parsed<T>(r: &Row, i: usize, what: &str, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    let t = text(r, i);
    parse(&t).ok_or_else(|| invalid(format!("{what} {t:?}")))
}

const WARNING_COLUMNS: &str = "id, state, level, origin, edition, rule_zh, rule_en, forecast, \
     first_hour, last_hour, issued_ts, lifted_ts, doc_no, created_ts";

fn warning(r: &Row) -> Result<Warning, StoreError> {
    let id = r[0].int().unwrap_or(0);
    Ok(Warning {
        id,
        state: parsed(r, 1, "warning state", WarningState::parse)?,
        level: parsed(r, 2, "warning level", WarningLevel::parse)?,
        origin: parsed(r, 3, "warning origin", WarningOrigin::parse)?,
        edition: text(r, 4),
        rule_zh: text(r, 5),
        rule_en: text(r, 6),
        forecast: serde_json::from_str(&text(r, 7))
            .map_err(|e| invalid(format!("warning {id}: forecast: {e}")))?,
        first_hour: r[8].int(),
        last_hour: r[9].int(),
        issued_ts: r[10].int(),
        lifted_ts: r[11].int(),
        doc_no: r[12].text(),
        created_ts: r[13].int().unwrap_or(0),
    })
}

fn warning_params(w: &Warning) -> Result<Vec<Val>, StoreError> {
    let forecast =
        serde_json::to_string(&w.forecast).map_err(|e| invalid(format!("forecast: {e}")))?;
    Ok(vec![
        w.state.as_str().into(),
        w.level.as_str().into(),
        w.origin.as_str().into(),
        w.edition.as_str().into(),
        w.rule_zh.as_str().into(),
        w.rule_en.as_str().into(),
        forecast.into(),
        w.first_hour.into(),
        w.last_hour.into(),
        w.issued_ts.into(),
        w.lifted_ts.into(),
        w.doc_no.clone().into(),
        w.created_ts.into(),
    ])
}

fn event(r: &Row) -> Result<WarningEvent, StoreError> {
    Ok(WarningEvent {
        warning_id: r[0].int().unwrap_or(0),
        seq: r[1].int().unwrap_or(0),
        ts: r[2].int().unwrap_or(0),
        effective_ts: r[3].int(),
        kind: parsed(r, 4, "warning event", WarningEventKind::parse)?,
        level: match r[5].text() {
            Some(l) => {
                Some(WarningLevel::parse(&l).ok_or_else(|| invalid(format!("level {l:?}")))?)
            }
            None => None,
        },
        actor: text(r, 6),
        doc_no: r[7].text(),
        note: text(r, 8),
    })
}

fn notification(r: &Row) -> Notification {
    Notification {
        warning_id: r[0].int().unwrap_or(0),
        event_seq: r[1].int().unwrap_or(0),
        recipient: text(r, 2),
        channel: text(r, 3),
        sent_ts: r[4].int().unwrap_or(0),
        read_ts: r[5].int(),
        confirmed_ts: r[6].int(),
        confirmed_by: r[7].text(),
    }
}

const NOTIFICATION_COLUMNS: &str =
    "warning_id, event_seq, recipient, channel, sent_ts, read_ts, confirmed_ts, confirmed_by";

/// Appends `e` (its seq the next of its warning) and its notifications; returns the seq.
fn append_event(
    c: &mut dyn Conn,
    e: &WarningEvent,
    notices: &[Notification],
) -> Result<i64, StoreError> {
    let seq = c.query(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM warning_events WHERE warning_id = $1",
        &[e.warning_id.into()],
    )?[0][0]
        .int()
        .unwrap_or(1);
    c.exec(
        "INSERT INTO warning_events (warning_id, seq, ts, effective_ts, kind, level, actor, doc_no, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            e.warning_id.into(),
            seq.into(),
            e.ts.into(),
            e.effective_ts.into(),
            e.kind.as_str().into(),
            e.level.map(|l| l.as_str()).into(),
            e.actor.as_str().into(),
            e.doc_no.clone().into(),
            e.note.as_str().into(),
        ],
    )?;
    for n in notices {
        c.exec(
            "INSERT INTO notifications (warning_id, event_seq, recipient, channel, sent_ts) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            &[
                e.warning_id.into(),
                seq.into(),
                n.recipient.as_str().into(),
                n.channel.as_str().into(),
                n.sent_ts.into(),
            ],
        )?;
    }
    Ok(seq)
}

impl Store {
    /// Stores a new warning with its first event; returns its id.
    pub fn insert_warning(&self, w: &Warning, first: &WarningEvent) -> Result<i64, StoreError> {
        let params = warning_params(w)?;
        self.write(|c| {
            let id = c.query(
                "INSERT INTO warnings (state, level, origin, edition, rule_zh, rule_en, forecast, \
                 first_hour, last_hour, issued_ts, lifted_ts, doc_no, created_ts) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
                &params,
            )?[0][0]
                .int()
                .ok_or_else(|| invalid("warning id".into()))?;
            append_event(
                c,
                &WarningEvent {
                    warning_id: id,
                    ..first.clone()
                },
                &[],
            )?;
            Ok(id)
        })
    }

    /// Writes a warning's new state with the step that made it and that step's
    /// notifications, in one transaction; returns the step's seq.
    pub fn record_warning_step(
        &self,
        w: &Warning,
        e: &WarningEvent,
        notices: &[Notification],
    ) -> Result<i64, StoreError> {
        let mut params = warning_params(w)?;
        params.push(w.id.into());
        self.write(|c| {
            c.exec(
                "UPDATE warnings SET state = $1, level = $2, origin = $3, edition = $4, rule_zh = $5, \
                 rule_en = $6, forecast = $7, first_hour = $8, last_hour = $9, issued_ts = $10, \
                 lifted_ts = $11, doc_no = $12, created_ts = $13 WHERE id = $14",
                &params,
            )?;
            append_event(c, e, notices)
        })
    }

    /// Every warning, newest first.
    pub fn warnings(&self) -> Result<Vec<Warning>, StoreError> {
        self.read(|c| {
            c.query(
                &format!("SELECT {WARNING_COLUMNS} FROM warnings ORDER BY id DESC"),
                &[],
            )
        })?
        .iter()
        .map(warning)
        .collect()
    }

    pub fn warning(&self, id: i64) -> Result<Option<Warning>, StoreError> {
        self.read(|c| {
            c.query(
                &format!("SELECT {WARNING_COLUMNS} FROM warnings WHERE id = $1"),
                &[id.into()],
            )
        })?
        .first()
        .map(warning)
        .transpose()
    }

    /// A warning's timeline, in order.
    pub fn warning_events(&self, id: i64) -> Result<Vec<WarningEvent>, StoreError> {
        self.read(|c| {
            c.query(
                "SELECT warning_id, seq, ts, effective_ts, kind, level, actor, doc_no, note \
                 FROM warning_events WHERE warning_id = $1 ORDER BY seq",
                &[id.into()],
            )
        })?
        .iter()
        .map(event)
        .collect()
    }

    /// The reduction list's measures, of one enterprise or of all, by enterprise, level
    /// and number.
    pub fn reduction_measures(
        &self,
        enterprise_id: Option<&str>,
    ) -> Result<Vec<ReductionMeasure>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT enterprise_id, level, seq, kind, equipment_id, cap_pct, declared_pct, text \
                 FROM reduction_measures WHERE CAST($1 AS TEXT) IS NULL OR enterprise_id = $1 \
                 ORDER BY enterprise_id, CASE level WHEN 'yellow' THEN 1 WHEN 'orange' THEN 2 ELSE 3 END, seq",
                &[enterprise_id.into()],
            )
        })?;
        rows.iter()
            .map(|r| {
                Ok(ReductionMeasure {
                    enterprise_id: text(r, 0),
                    seq: r[2].int().unwrap_or(0),
                    measure: Measure {
                        level: parsed(r, 1, "measure level", WarningLevel::parse)?,
                        kind: parsed(r, 3, "measure kind", MeasureKind::parse)?,
                        equipment: r[4].text(),
                        cap_pct: r[5].real(),
                        declared_pct: r[6].real(),
                        text: text(r, 7),
                    },
                })
            })
            .collect()
    }

    /// Replaces the measures of each enterprise that `measures` names (and of every one in
    /// `cleared`), all in one transaction.
    pub fn replace_reduction_measures(
        &self,
        measures: &[ReductionMeasure],
        cleared: &[&str],
    ) -> Result<(), StoreError> {
        self.write(|c| {
            let mut ids: Vec<&str> = measures.iter().map(|m| m.enterprise_id.as_str()).collect();
            ids.extend(cleared);
            ids.sort_unstable();
            ids.dedup();
            for id in ids {
                c.exec(
                    "DELETE FROM reduction_measures WHERE enterprise_id = $1",
                    &[id.into()],
                )?;
            }
            for m in measures {
                c.exec(
                    "INSERT INTO reduction_measures (enterprise_id, level, seq, kind, equipment_id, cap_pct, declared_pct, text) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    &[
                        m.enterprise_id.as_str().into(),
                        m.measure.level.as_str().into(),
                        m.seq.into(),
                        m.measure.kind.as_str().into(),
                        m.measure.equipment.clone().into(),
                        m.measure.cap_pct.into(),
                        m.measure.declared_pct.into(),
                        m.measure.text.as_str().into(),
                    ],
                )?;
            }
            Ok(())
        })
    }

    /// Sets permitted emissions (replacing the enterprise's value of each pollutant given).
    pub fn set_permits(&self, permits: &[Permit]) -> Result<(), StoreError> {
        self.write(|c| {
            for p in permits {
                c.exec(
                    "INSERT INTO enterprise_permits (enterprise_id, pollutant, t_per_year) VALUES ($1, $2, $3) \
                     ON CONFLICT (enterprise_id, pollutant) DO UPDATE SET t_per_year = excluded.t_per_year",
                    &[
                        p.enterprise_id.as_str().into(),
                        p.pollutant.as_str().into(),
                        p.t_per_year.into(),
                    ],
                )?;
            }
            Ok(())
        })
    }

    pub fn permits(&self) -> Result<Vec<Permit>, StoreError> {
        self.read(|c| {
            c.query(
                "SELECT enterprise_id, pollutant, t_per_year FROM enterprise_permits ORDER BY enterprise_id, pollutant",
                &[],
            )
        })?
        .iter()
        .map(|r| {
            Ok(Permit {
                enterprise_id: text(r, 0),
                pollutant: parsed(r, 1, "permit pollutant", ReductionPollutant::parse)?,
                t_per_year: r[2].real().unwrap_or(0.0),
            })
        })
        .collect()
    }

    /// Notifications of a warning (or of all), to one recipient (or to all).
    pub fn notifications(
        &self,
        warning_id: Option<i64>,
        recipient: Option<&str>,
    ) -> Result<Vec<Notification>, StoreError> {
        Ok(self
            .read(|c| {
                c.query(
                    &format!(
                        "SELECT {NOTIFICATION_COLUMNS} FROM notifications \
                         WHERE (CAST($1 AS BIGINT) IS NULL OR warning_id = $1) AND (CAST($2 AS TEXT) IS NULL OR recipient = $2) \
                         ORDER BY warning_id DESC, event_seq DESC, recipient"
                    ),
                    &[warning_id.into(), recipient.into()],
                )
            })?
            .iter()
            .map(notification)
            .collect())
    }

    /// Records that a recipient read (and, with `confirmed_by`, confirmed) a notice; the
    /// first time of each is kept. Returns whether the notice exists.
    pub fn receipt(
        &self,
        warning_id: i64,
        event_seq: i64,
        recipient: &str,
        ts: i64,
        confirmed_by: Option<&str>,
    ) -> Result<bool, StoreError> {
        self.write(|c| {
            let n = c.exec(
                "UPDATE notifications SET read_ts = COALESCE(read_ts, $4), \
                 confirmed_ts = CASE WHEN CAST($5 AS TEXT) IS NULL THEN confirmed_ts ELSE COALESCE(confirmed_ts, $4) END, \
                 confirmed_by = COALESCE(confirmed_by, $5) \
                 WHERE warning_id = $1 AND event_seq = $2 AND recipient = $3",
                &[
                    warning_id.into(),
                    event_seq.into(),
                    recipient.into(),
                    ts.into(),
                    confirmed_by.into(),
                ],
            )?;
            Ok(n > 0)
        })
    }

    /// Hands a violation over to enforcement; false when it already was.
    pub fn hand_over(&self, h: &Handover) -> Result<bool, StoreError> {
        self.write(|c| {
            Ok(c.exec(
                "INSERT INTO violation_handovers (warning_id, enterprise_id, measure, first_hour, handed_ts, actor, note) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                &[
                    h.warning_id.into(),
                    h.enterprise_id.as_str().into(),
                    h.measure.as_str().into(),
                    h.first_hour.into(),
                    h.handed_ts.into(),
                    h.actor.as_str().into(),
                    h.note.as_str().into(),
                ],
            )? > 0)
        })
    }

    pub fn handovers(&self, warning_id: i64) -> Result<Vec<Handover>, StoreError> {
        Ok(self
            .read(|c| {
                c.query(
                    "SELECT warning_id, enterprise_id, measure, first_hour, handed_ts, actor, note \
                     FROM violation_handovers WHERE warning_id = $1 ORDER BY enterprise_id, first_hour",
                    &[warning_id.into()],
                )
            })?
            .iter()
            .map(|r| Handover {
                warning_id: r[0].int().unwrap_or(0),
                enterprise_id: text(r, 1),
                measure: text(r, 2),
                first_hour: r[3].int().unwrap_or(0),
                handed_ts: r[4].int().unwrap_or(0),
                actor: text(r, 5),
                note: text(r, 6),
            })
            .collect())
    }
}
