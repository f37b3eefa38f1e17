//! Reverse control (issue 22): the command log of host commands sent to devices (queued by
//! the application or the gateway, sent and answered on the device's connection) and the
//! periods stored from a back-fill (`backfilled`). The UI and the gateway may be different
//! processes: they share these tables only.

use crate::Store;
use crate::db::{Conn, Row, Val, text};
use crate::error::{StoreError, invalid as bad};
use crate::model::{Page, Paged};
use serde::Serialize;

/// Who asked for a command.
pub const ORIGIN_OPERATOR: &str = "operator";
/// The gateway, for a gap it found.
pub const ORIGIN_BACKFILL: &str = "backfill";
/// The gateway, checking the logger's clock.
pub const ORIGIN_TIME_SYNC: &str = "time_sync";

/// A command's state in the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandState {
    /// Waiting for the device to be connected.
    Queued,
    /// Written to the device; no answer yet.
    Sent,
    /// 9011 QnRtn=1: the device will execute it.
    Ready,
    /// 9011 with another QnRtn: the device refused (final).
    Refused,
    /// 9012 ExeRtn=1 (or, for a command without 9012, its data answer).
    Done,
    /// 9012 with another ExeRtn.
    Failed,
    /// No answer after the retries.
    Timeout,
    /// Not sent before its expiry (the device was not connected).
    Expired,
    /// Withdrawn by a person while still queued (final).
    Cancelled,
}

impl CommandState {
    pub fn as_str(self) -> &'static str {
        match self {
            CommandState::Queued => "queued",
            CommandState::Sent => "sent",
            CommandState::Ready => "ready",
            CommandState::Refused => "refused",
            CommandState::Done => "done",
            CommandState::Failed => "failed",
            CommandState::Timeout => "timeout",
            CommandState::Expired => "expired",
            CommandState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<CommandState> {
        [
            CommandState::Queued,
            CommandState::Sent,
            CommandState::Ready,
            CommandState::Refused,
            CommandState::Done,
            CommandState::Failed,
            CommandState::Timeout,
            CommandState::Expired,
            CommandState::Cancelled,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }

    /// Whether nothing more happens to the command.
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            CommandState::Queued | CommandState::Sent | CommandState::Ready
        )
    }
}

/// One command of the log.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CommandRow {
    pub id: i64,
    pub mn: String,
    pub station_id: String,
    /// The HJ 212 command number (1011, 2061, 3011 …).
    pub cn: i64,
    /// The command's CP content (`BeginTime=…;EndTime=…`, `PolId=a34004` …).
    pub params: String,
    /// `operator`, `backfill` or `time_sync`.
    pub origin: String,
    pub state: CommandState,
    /// The QN it was sent with (the answers carry it).
    pub qn: Option<String>,
    /// Times written to the device.
    pub attempts: i64,
    pub qn_rtn: Option<i64>,
    pub exe_rtn: Option<i64>,
    /// A history request's period (`hour`, `min`, `day`) and span (CST seconds, both ends
    /// included).
    pub period: Option<String>,
    pub begin_ts: Option<i64>,
    pub end_ts: Option<i64>,
    pub records_expected: Option<i64>,
    pub records_received: i64,
    /// What the device answered (CP fields of its data answers, e.g. `SystemTime=…`).
    pub reply: String,
    /// The logger's clock minus Beijing time, seconds (a 1011 answer).
    pub drift_s: Option<i64>,
    /// What happened, for people (e.g. "clock corrected by 1012 (command 7)").
    pub note: String,
    pub requested_by: String,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub sent_ms: Option<i64>,
    pub updated_ms: i64,
    pub finished_ms: Option<i64>,
}

impl CommandRow {
    /// A new command to queue (`id` 0, state queued, nothing sent).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        mn: &str,
        station_id: &str,
        cn: i64,
        params: &str,
        origin: &str,
        requested_by: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> CommandRow {
        CommandRow {
            id: 0,
            mn: mn.to_owned(),
            station_id: station_id.to_owned(),
            cn,
            params: params.to_owned(),
            origin: origin.to_owned(),
            state: CommandState::Queued,
            qn: None,
            attempts: 0,
            qn_rtn: None,
            exe_rtn: None,
            period: None,
            begin_ts: None,
            end_ts: None,
            records_expected: None,
            records_received: 0,
            reply: String::new(),
            drift_s: None,
            note: String::new(),
            requested_by: requested_by.to_owned(),
            created_ms: now_ms,
            expires_ms,
            sent_ms: None,
            updated_ms: now_ms,
            finished_ms: None,
        }
    }
}

/// Which commands to list.
#[derive(Clone, Debug, Default)]
pub struct CommandFilter {
    pub mn: Option<String>,
    /// Commands of these stations only (`None`: all).
    pub stations: Option<Vec<String>>,
    pub origin: Option<String>,
    pub limit: i64,
}

/// A period stored from a back-fill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BackfillMark {
    pub station_id: String,
    /// `hour`, `min`, `day`.
    pub period: String,
    /// The period's start, CST seconds.
    pub ts: i64,
    pub mn: String,
    /// `request` (answer to a history request) or `resend` (RF=1).
    pub origin: String,
    pub command_id: Option<i64>,
    pub received_ms: i64,
}

/// Characters of reply text kept per command.
pub const REPLY_CHARS_MAX: usize = 2000;

const COLUMNS: &str = "id, mn, station_id, cn, params, origin, state, qn, attempts, qn_rtn, \
     exe_rtn, period, begin_ts, end_ts, records_expected, records_received, reply, drift_s, \
     note, requested_by, created_ms, expires_ms, sent_ms, updated_ms, finished_ms";

fn command_row(r: &Row) -> Result<CommandRow, StoreError> {
    let id = r[0].int().unwrap_or(0);
    let state = text(r, 6);
    Ok(CommandRow {
        id,
        mn: text(r, 1),
        station_id: text(r, 2),
        cn: r[3].int().unwrap_or(0),
        params: text(r, 4),
        origin: text(r, 5),
        state: CommandState::parse(&state)
            .ok_or_else(|| bad(format!("device command {id}: unknown state {state:?}")))?,
        qn: r[7].text(),
        attempts: r[8].int().unwrap_or(0),
        qn_rtn: r[9].int(),
        exe_rtn: r[10].int(),
        period: r[11].text(),
        begin_ts: r[12].int(),
        end_ts: r[13].int(),
        records_expected: r[14].int(),
        records_received: r[15].int().unwrap_or(0),
        reply: text(r, 16),
        drift_s: r[17].int(),
        note: text(r, 18),
        requested_by: text(r, 19),
        created_ms: r[20].int().unwrap_or(0),
        expires_ms: r[21].int().unwrap_or(0),
        sent_ms: r[22].int(),
        updated_ms: r[23].int().unwrap_or(0),
        finished_ms: r[24].int(),
    })
}

fn one(c: &mut dyn Conn, id: i64) -> Result<CommandRow, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM device_commands WHERE id = $1");
    c.query(&sql, &[id.into()])?
        .first()
        .map(command_row)
        .unwrap_or_else(|| {
            Err(StoreError::NotFound {
                what: format!("反控命令 / device command {id}"),
            })
        })
}

fn mark_row(r: &Row) -> BackfillMark {
    BackfillMark {
        station_id: text(r, 0),
        period: text(r, 1),
        ts: r[2].int().unwrap_or(0),
        mn: text(r, 3),
        origin: text(r, 4),
        command_id: r[5].int(),
        received_ms: r[6].int().unwrap_or(0),
    }
}

impl Store {
    /// Records command `cmd` (its `id` is set here); returns it as stored.
    pub fn insert_device_command(&self, cmd: &CommandRow) -> Result<CommandRow, StoreError> {
        self.write(|c| {
            let rows = c.query(
                "INSERT INTO device_commands (mn, station_id, cn, params, origin, state, qn, \
                 attempts, period, begin_ts, end_ts, records_expected, requested_by, created_ms, \
                 expires_ms, sent_ms, updated_ms, note, drift_s) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                 $14, $17, $18) RETURNING id",
                &[
                    cmd.mn.as_str().into(),
                    cmd.station_id.as_str().into(),
                    cmd.cn.into(),
                    cmd.params.as_str().into(),
                    cmd.origin.as_str().into(),
                    cmd.state.as_str().into(),
                    cmd.qn.clone().into(),
                    cmd.attempts.into(),
                    cmd.period.clone().into(),
                    cmd.begin_ts.into(),
                    cmd.end_ts.into(),
                    cmd.records_expected.into(),
                    cmd.requested_by.as_str().into(),
                    cmd.created_ms.into(),
                    cmd.expires_ms.into(),
                    cmd.sent_ms.into(),
                    cmd.note.as_str().into(),
                    cmd.drift_s.into(),
                ],
            )?;
            let id = rows
                .first()
                .and_then(|r| r[0].int())
                .ok_or_else(|| bad("the inserted device command's id was not returned".into()))?;
            one(c, id)
        })
    }

    pub fn device_command(&self, id: i64) -> Result<CommandRow, StoreError> {
        self.read(|c| one(c, id))
    }

    /// Commands newest first, at most `f.limit` (100 when 0).
    pub fn device_commands(&self, f: &CommandFilter) -> Result<Vec<CommandRow>, StoreError> {
        let limit = if f.limit > 0 { f.limit } else { 100 };
        Ok(self.device_commands_page(f, Page::first(limit))?.items)
    }

    /// One page of the commands that pass `f` (its `limit` aside), newest first, and how
    /// many pass: the gateway asks for back-fill and the time on its own, so the log grows
    /// with every device and day and the page is cut in SQL.
    pub fn device_commands_page(
        &self,
        f: &CommandFilter,
        page: Page,
    ) -> Result<Paged<CommandRow>, StoreError> {
        let mut sql = String::from("device_commands WHERE 1 = 1");
        let mut params: Vec<Val> = Vec::new();
        if let Some(mn) = &f.mn {
            params.push(mn.as_str().into());
            sql += &format!(" AND mn = ${}", params.len());
        }
        if let Some(o) = &f.origin {
            params.push(o.as_str().into());
            sql += &format!(" AND origin = ${}", params.len());
        }
        if let Some(stations) = &f.stations {
            if stations.is_empty() {
                return Ok(Paged {
                    items: Vec::new(),
                    total: 0,
                });
            }
            let marks: Vec<String> = stations
                .iter()
                .map(|s| {
                    params.push(s.as_str().into());
                    format!("${}", params.len())
                })
                .collect();
            sql += &format!(" AND station_id IN ({})", marks.join(", "));
        }
        let (rows, total) =
            self.read(|c| crate::db::page_of(c, COLUMNS, &sql, "id DESC", &params, page))?;
        Ok(Paged {
            items: rows.iter().map(command_row).collect::<Result<_, _>>()?,
            total,
        })
    }

    /// Queued commands past their expiry become `expired`; returns how many.
    pub fn expire_device_commands(&self, now_ms: i64) -> Result<u64, StoreError> {
        self.write(|c| {
            c.exec(
                "UPDATE device_commands SET state = 'expired', updated_ms = $1, finished_ms = $1, \
                 note = '设备未在有效期内连接 / the device did not connect before the expiry' \
                 WHERE state = 'queued' AND expires_ms <= $1",
                &[now_ms.into()],
            )
        })
    }

    /// Cancels command `id` if it is still queued (compare-and-set: a command a gateway has
    /// already claimed is not); returns whether it was.
    pub fn cancel_device_command(
        &self,
        id: i64,
        by: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let note = format!("已由 {by} 取消 / cancelled by {by}");
        self.write(|c| {
            c.exec(
                "UPDATE device_commands SET state = 'cancelled', updated_ms = $2,                  finished_ms = $2, note = $3 WHERE id = $1 AND state = 'queued'",
                &[id.into(), now_ms.into(), note.as_str().into()],
            )
            .map(|n| n == 1)
        })
    }

    /// The MNs with a queued command not yet expired (what a gateway polls).
    pub fn queued_command_mns(&self, now_ms: i64) -> Result<Vec<String>, StoreError> {
        Ok(self
            .read(|c| {
                c.query(
                    "SELECT DISTINCT mn FROM device_commands WHERE state = 'queued' \
                     AND expires_ms > $1",
                    &[now_ms.into()],
                )
            })?
            .iter()
            .map(|r| text(r, 0))
            .collect())
    }

    /// Takes the oldest queued command of `mn` for sending with `qn`: compare-and-set from
    /// queued to sent, so that two connections of one device send it once.
    pub fn claim_device_command(
        &self,
        mn: &str,
        qn: &str,
        now_ms: i64,
    ) -> Result<Option<CommandRow>, StoreError> {
        self.write(|c| {
            let Some(id) = c
                .query(
                    "SELECT id FROM device_commands WHERE mn = $1 AND state = 'queued' \
                     AND expires_ms > $2 ORDER BY id LIMIT 1",
                    &[mn.into(), now_ms.into()],
                )?
                .first()
                .and_then(|r| r[0].int())
            else {
                return Ok(None);
            };
            let n = c.exec(
                "UPDATE device_commands SET state = 'sent', qn = $2, attempts = 1, sent_ms = $3, \
                 updated_ms = $3 WHERE id = $1 AND state = 'queued'",
                &[id.into(), qn.into(), now_ms.into()],
            )?;
            if n == 0 {
                return Ok(None);
            }
            one(c, id).map(Some)
        })
    }

    /// Writes what happened to command `cmd.id` since it was sent: state, attempts,
    /// answers, records received, reply, drift, note (`finished_ms` set when final).
    pub fn update_device_command(&self, cmd: &CommandRow, now_ms: i64) -> Result<(), StoreError> {
        let reply: String = cmd.reply.chars().take(REPLY_CHARS_MAX).collect();
        let finished = cmd.state.is_final().then_some(now_ms);
        self.write(|c| {
            let n = c.exec(
                "UPDATE device_commands SET state = $2, attempts = $3, qn_rtn = $4, exe_rtn = $5, \
                 records_received = $6, reply = $7, drift_s = $8, note = $9, updated_ms = $10, \
                 finished_ms = COALESCE(finished_ms, $11), qn = $12, records_expected = $13 \
                 WHERE id = $1",
                &[
                    cmd.id.into(),
                    cmd.state.as_str().into(),
                    cmd.attempts.into(),
                    cmd.qn_rtn.into(),
                    cmd.exe_rtn.into(),
                    cmd.records_received.into(),
                    reply.as_str().into(),
                    cmd.drift_s.into(),
                    cmd.note.as_str().into(),
                    now_ms.into(),
                    finished.into(),
                    cmd.qn.clone().into(),
                    cmd.records_expected.into(),
                ],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound {
                    what: format!("反控命令 / device command {}", cmd.id),
                });
            }
            Ok(())
        })
    }

    /// Commands of `mn` with origin `origin` created since `since_ms` (a daily cap).
    pub fn device_commands_since(
        &self,
        mn: &str,
        origin: &str,
        since_ms: i64,
    ) -> Result<i64, StoreError> {
        Ok(self
            .read(|c| {
                c.query(
                    "SELECT COUNT(*) FROM device_commands WHERE mn = $1 AND origin = $2 \
                     AND created_ms >= $3",
                    &[mn.into(), origin.into(), since_ms.into()],
                )
            })?
            .first()
            .and_then(|r| r[0].int())
            .unwrap_or(0))
    }

    /// Marks periods as stored from a back-fill; a period marked already keeps its mark.
    pub fn mark_backfilled(&self, marks: &[BackfillMark]) -> Result<(), StoreError> {
        if marks.is_empty() {
            return Ok(());
        }
        self.write(|c| {
            for m in marks {
                c.exec(
                    "INSERT INTO backfilled (station_id, period, ts, mn, origin, command_id, \
                     received_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (station_id, period, ts) DO NOTHING",
                    &[
                        m.station_id.as_str().into(),
                        m.period.as_str().into(),
                        m.ts.into(),
                        m.mn.as_str().into(),
                        m.origin.as_str().into(),
                        m.command_id.into(),
                        m.received_ms.into(),
                    ],
                )?;
            }
            Ok(())
        })
    }

    /// A station's marks of `period` with `from <= ts < to`, oldest first.
    pub fn backfilled_marks(
        &self,
        station_id: &str,
        period: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<BackfillMark>, StoreError> {
        Ok(self
            .read(|c| {
                c.query(
                    "SELECT station_id, period, ts, mn, origin, command_id, received_ms \
                     FROM backfilled WHERE station_id = $1 AND period = $2 AND ts >= $3 \
                     AND ts < $4 ORDER BY ts",
                    &[station_id.into(), period.into(), from.into(), to.into()],
                )
            })?
            .iter()
            .map(mark_row)
            .collect())
    }

    /// The start of a station's latest stored period of `period` (`hour`, `min`, `day`)
    /// before `before` (CST seconds).
    pub fn latest_period_ts_before(
        &self,
        station_id: &str,
        period: &str,
        before: i64,
    ) -> Result<Option<i64>, StoreError> {
        Ok(self
            .read(|c| {
                c.query(
                    "SELECT MAX(ts) FROM observations WHERE station_id = $1 AND period = $2 \
                     AND ts < $3",
                    &[station_id.into(), period.into(), before.into()],
                )
            })?
            .first()
            .and_then(|r| r[0].int()))
    }
}
