//! Alerts pushed to people (issue 17): rules, webhook channels, the alerts fired (with the
//! cool-down of each rule and subject, set compare-and-set so an alert fires once), the
//! in-app inbox's read marks, and deliveries to channels with every attempt logged.

use crate::Store;
use crate::db::{Conn, Row, Val};
use crate::error::{StoreError, invalid as bad};
use crate::model::{Page, Paged};
use lantian_core::alerts::{ChannelKind, DeliveryStatus, Format, Kind};
use serde::Serialize;

/// A rule as stored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleRow {
    pub id: i64,
    pub name: String,
    pub kind: Kind,
    pub threshold: Option<f64>,
    pub scope: Option<String>,
    pub cooldown_min: i64,
    pub enabled: bool,
    pub channel_ids: Vec<i64>,
    pub created_ms: i64,
    pub created_by: String,
    pub updated_ms: i64,
}

/// A channel as stored (its URL and secret included: the application layer masks them).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChannelRow {
    pub id: i64,
    pub name: String,
    pub kind: ChannelKind,
    pub url: String,
    pub secret: Option<String>,
    pub format: Format,
    pub mobiles: Vec<String>,
    pub template: Option<String>,
    pub enabled: bool,
    pub created_ms: i64,
    pub created_by: String,
}

/// An alert to record.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub rule_id: i64,
    pub kind: Kind,
    pub subject: String,
    pub at_ms: i64,
    pub title_zh: String,
    pub title_en: String,
    pub text_zh: String,
    pub text_en: String,
    pub link: String,
    pub units: Vec<String>,
}

/// A recorded alert, with whether the reader has read it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventRow {
    pub id: i64,
    pub rule_id: i64,
    pub kind: Kind,
    pub subject: String,
    pub at_ms: i64,
    pub title_zh: String,
    pub title_en: String,
    pub text_zh: String,
    pub text_en: String,
    pub link: String,
    pub units: Vec<String>,
    pub read: bool,
}

/// One alert to one channel.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeliveryRow {
    pub id: i64,
    pub event_id: i64,
    pub channel_id: i64,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_ms: i64,
    pub last_ms: Option<i64>,
    pub created_ms: i64,
}

/// One attempt of a delivery.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AttemptRow {
    pub delivery_id: i64,
    pub seq: i64,
    pub at_ms: i64,
    pub ok: bool,
    pub http_status: Option<i64>,
    /// The receiver's answer (its first characters) or why nothing was received.
    pub answer: String,
}

/// Characters of a receiver's answer kept per attempt.
pub const ANSWER_CHARS_MAX: usize = 500;

fn json_list<T: serde::de::DeserializeOwned>(v: &Val, what: &str) -> Result<Vec<T>, StoreError> {
    let t = v.text().unwrap_or_else(|| "[]".to_owned());
    serde_json::from_str(&t).map_err(|e| bad(format!("{what}: {t:?} is not a JSON list: {e}")))
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".to_owned())
}

const RULE_COLUMNS: &str = "id, name, kind, threshold, scope, cooldown_min, enabled, channel_ids, \
     created_ms, created_by, updated_ms";

fn rule_row(r: &Row) -> Result<RuleRow, StoreError> {
    let id = r[0].int().unwrap_or(0);
    let kind = r[2].text().unwrap_or_default();
    Ok(RuleRow {
        id,
        name: r[1].text().unwrap_or_default(),
        kind: Kind::parse(&kind)
            .ok_or_else(|| bad(format!("alert rule {id}: unknown kind {kind:?}")))?,
        threshold: r[3].real(),
        scope: r[4].text(),
        cooldown_min: r[5].int().unwrap_or(0),
        enabled: r[6].int() == Some(1),
        channel_ids: json_list(&r[7], &format!("alert rule {id}'s channels"))?,
        created_ms: r[8].int().unwrap_or(0),
        created_by: r[9].text().unwrap_or_default(),
        updated_ms: r[10].int().unwrap_or(0),
    })
}

const CHANNEL_COLUMNS: &str = "id, name, kind, url, secret, format, mobiles, template, enabled, \
     created_ms, created_by";

fn channel_row(r: &Row) -> Result<ChannelRow, StoreError> {
    let id = r[0].int().unwrap_or(0);
    let kind = r[2].text().unwrap_or_default();
    let format = r[5].text().unwrap_or_default();
    Ok(ChannelRow {
        id,
        name: r[1].text().unwrap_or_default(),
        kind: ChannelKind::parse(&kind)
            .ok_or_else(|| bad(format!("alert channel {id}: unknown kind {kind:?}")))?,
        url: r[3].text().unwrap_or_default(),
        secret: r[4].text(),
        format: Format::parse(&format)
            .ok_or_else(|| bad(format!("alert channel {id}: unknown format {format:?}")))?,
        mobiles: json_list(&r[6], &format!("alert channel {id}'s mobiles"))?,
        template: r[7].text(),
        enabled: r[8].int() == Some(1),
        created_ms: r[9].int().unwrap_or(0),
        created_by: r[10].text().unwrap_or_default(),
    })
}

const EVENT_COLUMNS: &str = "e.id, e.rule_id, e.kind, e.subject, e.at_ms, e.title_zh, e.title_en, \
     e.text_zh, e.text_en, e.link, e.units";

fn event_row(r: &Row) -> Result<EventRow, StoreError> {
    let id = r[0].int().unwrap_or(0);
    let kind = r[2].text().unwrap_or_default();
    let text = |i: usize| r[i].text().unwrap_or_default();
    Ok(EventRow {
        id,
        rule_id: r[1].int().unwrap_or(0),
        kind: Kind::parse(&kind)
            .ok_or_else(|| bad(format!("alert {id}: unknown kind {kind:?}")))?,
        subject: text(3),
        at_ms: r[4].int().unwrap_or(0),
        title_zh: text(5),
        title_en: text(6),
        text_zh: text(7),
        text_en: text(8),
        link: text(9),
        units: json_list(&r[10], &format!("alert {id}'s units"))?,
        read: r.get(11).and_then(Val::int).is_some_and(|n| n > 0),
    })
}

const DELIVERY_COLUMNS: &str =
    "id, event_id, channel_id, status, attempts, next_ms, last_ms, created_ms";

fn delivery_row(r: &Row) -> Result<DeliveryRow, StoreError> {
    let id = r[0].int().unwrap_or(0);
    let status = r[3].text().unwrap_or_default();
    Ok(DeliveryRow {
        id,
        event_id: r[1].int().unwrap_or(0),
        channel_id: r[2].int().unwrap_or(0),
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| bad(format!("delivery {id}: unknown status {status:?}")))?,
        attempts: r[4].int().unwrap_or(0),
        next_ms: r[5].int().unwrap_or(0),
        last_ms: r[6].int(),
        created_ms: r[7].int().unwrap_or(0),
    })
}

fn not_found(what: &str, id: i64) -> StoreError {
    StoreError::NotFound {
        what: format!("{what} {id}"),
    }
}

fn one_rule(c: &mut dyn Conn, id: i64) -> Result<RuleRow, StoreError> {
    let sql = format!("SELECT {RULE_COLUMNS} FROM alert_rules WHERE id = $1");
    c.query(&sql, &[id.into()])?
        .first()
        .map(rule_row)
        .unwrap_or_else(|| Err(not_found("预警规则 / alert rule", id)))
}

fn one_channel(c: &mut dyn Conn, id: i64) -> Result<ChannelRow, StoreError> {
    let sql = format!("SELECT {CHANNEL_COLUMNS} FROM alert_channels WHERE id = $1");
    c.query(&sql, &[id.into()])?
        .first()
        .map(channel_row)
        .unwrap_or_else(|| Err(not_found("推送渠道 / alert channel", id)))
}

impl Store {
    /// Inserts a rule (its `id`, `created_*` and `updated_ms` are set here from `at_ms`
    /// and `by`); returns it as stored.
    pub fn insert_alert_rule(
        &self,
        r: &RuleRow,
        at_ms: i64,
        by: &str,
    ) -> Result<RuleRow, StoreError> {
        self.write(|c| {
            let rows = c.query(
                "INSERT INTO alert_rules (name, kind, threshold, scope, cooldown_min, enabled, \
                 channel_ids, created_ms, created_by, updated_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8) RETURNING id",
                &[
                    r.name.as_str().into(),
                    r.kind.as_str().into(),
                    r.threshold.into(),
                    r.scope.clone().into(),
                    r.cooldown_min.into(),
                    r.enabled.into(),
                    to_json(&r.channel_ids).into(),
                    at_ms.into(),
                    by.into(),
                ],
            )?;
            let id = rows
                .first()
                .and_then(|r| r[0].int())
                .ok_or_else(|| bad("the inserted alert rule's id was not returned".to_owned()))?;
            one_rule(c, id)
        })
    }

    /// Replaces rule `r.id`'s name, threshold, scope, cool-down, enabled flag and channels.
    pub fn update_alert_rule(&self, r: &RuleRow, at_ms: i64) -> Result<RuleRow, StoreError> {
        self.write(|c| {
            one_rule(c, r.id)?;
            c.exec(
                "UPDATE alert_rules SET name = $2, threshold = $3, scope = $4, cooldown_min = $5, \
                 enabled = $6, channel_ids = $7, updated_ms = $8 WHERE id = $1",
                &[
                    r.id.into(),
                    r.name.as_str().into(),
                    r.threshold.into(),
                    r.scope.clone().into(),
                    r.cooldown_min.into(),
                    r.enabled.into(),
                    to_json(&r.channel_ids).into(),
                    at_ms.into(),
                ],
            )?;
            one_rule(c, r.id)
        })
    }

    pub fn alert_rule(&self, id: i64) -> Result<RuleRow, StoreError> {
        self.read(|c| one_rule(c, id))
    }

    /// Every rule, oldest first.
    pub fn alert_rules(&self) -> Result<Vec<RuleRow>, StoreError> {
        let sql = format!("SELECT {RULE_COLUMNS} FROM alert_rules ORDER BY id");
        self.read(|c| c.query(&sql, &[]))?
            .iter()
            .map(rule_row)
            .collect()
    }

    /// Inserts a channel (`id` and `created_*` set here); returns it as stored.
    pub fn insert_alert_channel(
        &self,
        ch: &ChannelRow,
        at_ms: i64,
        by: &str,
    ) -> Result<ChannelRow, StoreError> {
        self.write(|c| {
            let rows = c.query(
                "INSERT INTO alert_channels (name, kind, url, secret, format, mobiles, template, \
                 enabled, created_ms, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                &[
                    ch.name.as_str().into(),
                    ch.kind.as_str().into(),
                    ch.url.as_str().into(),
                    ch.secret.clone().into(),
                    ch.format.as_str().into(),
                    to_json(&ch.mobiles).into(),
                    ch.template.clone().into(),
                    ch.enabled.into(),
                    at_ms.into(),
                    by.into(),
                ],
            )?;
            let id = rows.first().and_then(|r| r[0].int()).ok_or_else(|| {
                bad("the inserted alert channel's id was not returned".to_owned())
            })?;
            one_channel(c, id)
        })
    }

    /// Replaces channel `ch.id`'s fields (its kind stays).
    pub fn update_alert_channel(&self, ch: &ChannelRow) -> Result<ChannelRow, StoreError> {
        self.write(|c| {
            one_channel(c, ch.id)?;
            c.exec(
                "UPDATE alert_channels SET name = $2, url = $3, secret = $4, format = $5, \
                 mobiles = $6, template = $7, enabled = $8 WHERE id = $1",
                &[
                    ch.id.into(),
                    ch.name.as_str().into(),
                    ch.url.as_str().into(),
                    ch.secret.clone().into(),
                    ch.format.as_str().into(),
                    to_json(&ch.mobiles).into(),
                    ch.template.clone().into(),
                    ch.enabled.into(),
                ],
            )?;
            one_channel(c, ch.id)
        })
    }

    pub fn alert_channel(&self, id: i64) -> Result<ChannelRow, StoreError> {
        self.read(|c| one_channel(c, id))
    }

    /// Every channel, oldest first.
    pub fn alert_channels(&self) -> Result<Vec<ChannelRow>, StoreError> {
        let sql = format!("SELECT {CHANNEL_COLUMNS} FROM alert_channels ORDER BY id");
        self.read(|c| c.query(&sql, &[]))?
            .iter()
            .map(channel_row)
            .collect()
    }

    /// Records alert `e` with a pending delivery to each of `channel_ids` (due at once),
    /// unless its rule alerted the same subject less than `cooldown_min` minutes ago: the
    /// rule's mark for the subject is set compare-and-set in the same transaction, so two
    /// evaluations racing record it once. Returns the alert's id, or `None` when cooling down.
    pub fn record_alert(
        &self,
        e: &NewEvent,
        cooldown_min: i64,
        channel_ids: &[i64],
    ) -> Result<Option<i64>, StoreError> {
        self.write(|c| {
            let marked = c.exec(
                "INSERT INTO alert_fired (rule_id, subject, last_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (rule_id, subject) DO UPDATE SET last_ms = excluded.last_ms \
                 WHERE alert_fired.last_ms <= $4",
                &[
                    e.rule_id.into(),
                    e.subject.as_str().into(),
                    e.at_ms.into(),
                    (e.at_ms - cooldown_min * 60_000).into(),
                ],
            )?;
            if marked == 0 {
                return Ok(None);
            }
            let rows = c.query(
                "INSERT INTO alert_events (rule_id, kind, subject, at_ms, title_zh, title_en, \
                 text_zh, text_en, link, units) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                &[
                    e.rule_id.into(),
                    e.kind.as_str().into(),
                    e.subject.as_str().into(),
                    e.at_ms.into(),
                    e.title_zh.as_str().into(),
                    e.title_en.as_str().into(),
                    e.text_zh.as_str().into(),
                    e.text_en.as_str().into(),
                    e.link.as_str().into(),
                    to_json(&e.units).into(),
                ],
            )?;
            let id = rows
                .first()
                .and_then(|r| r[0].int())
                .ok_or_else(|| bad("the inserted alert's id was not returned".to_owned()))?;
            for ch in channel_ids {
                c.exec(
                    "INSERT INTO alert_deliveries (event_id, channel_id, status, attempts, \
                     next_ms, created_ms) VALUES ($1, $2, 'pending', 0, $3, $3)",
                    &[id.into(), (*ch).into(), e.at_ms.into()],
                )?;
            }
            Ok(Some(id))
        })
    }

    /// One page of the alerts in `reader`'s inbox, newest first, each with whether `reader`
    /// has read it, and how many the inbox holds: every alert (`units` none), or those
    /// concerning one of `units`; `unread_only`: those `reader` has not read. Alerts come
    /// every hour, so the page is cut in SQL.
    pub fn alert_events_page(
        &self,
        reader: &str,
        units: Option<&[String]>,
        unread_only: bool,
        page: Page,
    ) -> Result<Paged<EventRow>, StoreError> {
        let mut from = String::from(
            "alert_events e LEFT JOIN alert_reads r ON r.event_id = e.id AND r.username = $1 \
             WHERE 1 = 1",
        );
        let mut params: Vec<Val> = vec![reader.into()];
        if unread_only {
            from.push_str(" AND r.event_id IS NULL");
        }
        if let Some(units) = units {
            if units.is_empty() {
                return Ok(Paged {
                    items: Vec::new(),
                    total: 0,
                });
            }
            // `units` is a JSON list of strings: a unit is in it as its JSON string.
            let mut any = Vec::with_capacity(units.len());
            for u in units {
                params.push(format!("%{}%", crate::admin::like_literal(&to_json(u))).into());
                any.push(format!("e.units LIKE ${} ESCAPE '\\'", params.len()));
            }
            from.push_str(&format!(" AND ({})", any.join(" OR ")));
        }
        let columns = format!("{EVENT_COLUMNS}, CASE WHEN r.event_id IS NULL THEN 0 ELSE 1 END");
        let (rows, total) = self.read(|c| {
            crate::db::page_of(c, &columns, &from, "e.at_ms DESC, e.id DESC", &params, page)
        })?;
        Ok(Paged {
            items: rows.iter().map(event_row).collect::<Result<_, _>>()?,
            total,
        })
    }

    /// One alert (unread).
    pub fn alert_event(&self, id: i64) -> Result<EventRow, StoreError> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM alert_events e WHERE e.id = $1");
        self.read(|c| c.query(&sql, &[id.into()]))?
            .first()
            .map(event_row)
            .unwrap_or_else(|| Err(not_found("预警 / alert", id)))
    }

    /// Marks alerts `ids` read by `reader` (those read already stay as they were).
    pub fn mark_alerts_read(
        &self,
        ids: &[i64],
        reader: &str,
        at_ms: i64,
    ) -> Result<(), StoreError> {
        self.write(|c| {
            for id in ids {
                c.exec(
                    "INSERT INTO alert_reads (event_id, username, at_ms) VALUES ($1, $2, $3) \
                     ON CONFLICT (event_id, username) DO NOTHING",
                    &[(*id).into(), reader.into(), at_ms.into()],
                )?;
            }
            Ok(())
        })
    }

    /// Pending deliveries due at `now_ms`, oldest first, at most `limit`.
    pub fn due_deliveries(&self, now_ms: i64, limit: i64) -> Result<Vec<DeliveryRow>, StoreError> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM alert_deliveries \
             WHERE status = 'pending' AND next_ms <= $1 ORDER BY next_ms, id LIMIT $2"
        );
        self.read(|c| c.query(&sql, &[now_ms.into(), limit.into()]))?
            .iter()
            .map(delivery_row)
            .collect()
    }

    /// Logs an attempt of delivery `id` at `at_ms` and moves the delivery on: sent when
    /// `ok`, else pending until `retry_at`, or failed when there is none. Compare-and-set
    /// on the attempts counted so far (`attempts_before`): a delivery two senders tried at
    /// once is logged once (the other gets `StoreError::Refused`).
    #[allow(clippy::too_many_arguments)]
    pub fn record_attempt(
        &self,
        id: i64,
        attempts_before: i64,
        at_ms: i64,
        ok: bool,
        http_status: Option<i64>,
        answer: &str,
        retry_at: Option<i64>,
    ) -> Result<DeliveryRow, StoreError> {
        let answer: String = answer.chars().take(ANSWER_CHARS_MAX).collect();
        let (status, next) = match (ok, retry_at) {
            (true, _) => (DeliveryStatus::Sent, at_ms),
            (false, Some(t)) => (DeliveryStatus::Pending, t),
            (false, None) => (DeliveryStatus::Failed, at_ms),
        };
        self.write(|c| {
            let n = c.exec(
                "UPDATE alert_deliveries SET status = $3, attempts = attempts + 1, next_ms = $4, \
                 last_ms = $5 WHERE id = $1 AND attempts = $2 AND status = 'pending'",
                &[
                    id.into(),
                    attempts_before.into(),
                    status.as_str().into(),
                    next.into(),
                    at_ms.into(),
                ],
            )?;
            if n == 0 {
                return Err(StoreError::Refused {
                    what: format!(
                        "推送 {id} 已由其他进程处理 / delivery {id} was handled by another sender"
                    ),
                });
            }
            c.exec(
                "INSERT INTO alert_attempts (delivery_id, seq, at_ms, ok, http_status, answer) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    id.into(),
                    (attempts_before + 1).into(),
                    at_ms.into(),
                    ok.into(),
                    http_status.into(),
                    answer.as_str().into(),
                ],
            )?;
            let sql = format!("SELECT {DELIVERY_COLUMNS} FROM alert_deliveries WHERE id = $1");
            c.query(&sql, &[id.into()])?
                .first()
                .map(delivery_row)
                .unwrap_or_else(|| Err(not_found("推送 / delivery", id)))
        })
    }

    /// One page of the deliveries, newest first, with their attempts, and how many there
    /// are (a delivery per alert and channel: the page is cut in SQL).
    pub fn deliveries_page(
        &self,
        page: Page,
    ) -> Result<Paged<(DeliveryRow, Vec<AttemptRow>)>, StoreError> {
        self.read(|c| {
            let (rows, total) = crate::db::page_of(
                c,
                DELIVERY_COLUMNS,
                "alert_deliveries",
                "created_ms DESC, id DESC",
                &[],
                page,
            )?;
            let ds: Vec<DeliveryRow> = rows.iter().map(delivery_row).collect::<Result<_, _>>()?;
            let mut out = Vec::with_capacity(ds.len());
            for d in ds {
                let attempts = c
                    .query(
                        "SELECT delivery_id, seq, at_ms, ok, http_status, answer FROM alert_attempts \
                         WHERE delivery_id = $1 ORDER BY seq",
                        &[d.id.into()],
                    )?
                    .iter()
                    .map(|r| AttemptRow {
                        delivery_id: r[0].int().unwrap_or(0),
                        seq: r[1].int().unwrap_or(0),
                        at_ms: r[2].int().unwrap_or(0),
                        ok: r[3].int() == Some(1),
                        http_status: r[4].int(),
                        answer: r[5].text().unwrap_or_default(),
                    })
                    .collect();
                out.push((d, attempts));
            }
            Ok(Paged { items: out, total })
        })
    }
}
