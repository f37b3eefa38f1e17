//! The reverse-control command log and back-fill marks on SQLite and PostgreSQL alike:
//! queued commands claimed once (compare-and-set), expired when not picked up in time,
//! answers recorded, filters by device, station and origin, the daily count, and marks of
//! back-filled periods (the first mark of a period stays).

use crate::on_both;
use lantian_store::device_commands::{BackfillMark, CommandFilter, CommandRow, CommandState};

const H: i64 = 3_600_000;
const T0: i64 = 1_780_000_000_000;

fn cmd(mn: &str, station: &str, cn: i64, origin: &str, at: i64, expires: i64) -> CommandRow {
    CommandRow::new(mn, station, cn, "", origin, "ops-a", at, expires)
}

fn mark(ts: i64, origin: &str, command_id: Option<i64>) -> BackfillMark {
    BackfillMark {
        station_id: "S1".into(),
        period: "hour".into(),
        ts,
        mn: "MN1".into(),
        origin: origin.into(),
        command_id,
        received_ms: T0,
    }
}

#[test]
fn the_command_log_and_backfill_marks_on_both_backends() {
    on_both("device-commands", |store, _| {
        let a = store
            .insert_device_command(&cmd("MN1", "S1", 1061, "operator", T0, T0 + H))
            .unwrap();
        let mut history = cmd("MN1", "S1", 2061, "backfill", T0 + 1, T0 + 1);
        history.params = "BeginTime=20260101000000;EndTime=20260101010000".into();
        history.period = Some("hour".into());
        history.begin_ts = Some(100);
        history.end_ts = Some(3700);
        history.records_expected = Some(2);
        history.state = CommandState::Sent;
        history.qn = Some("20260101020000001".into());
        history.attempts = 1;
        let h = store.insert_device_command(&history).unwrap();
        assert_eq!(
            (h.state, h.records_expected, h.begin_ts, h.params.as_str()),
            (
                CommandState::Sent,
                Some(2),
                Some(100),
                history.params.as_str()
            )
        );
        let old = store
            .insert_device_command(&cmd("MN2", "S2", 1063, "operator", T0 - 2 * H, T0 - H))
            .unwrap();
        // Polling: MN1 has a queued command; MN2's has expired.
        assert_eq!(
            store.queued_command_mns(T0).unwrap(),
            vec!["MN1".to_owned()]
        );
        assert_eq!(store.expire_device_commands(T0).unwrap(), 1);
        assert_eq!(
            store.device_command(old.id).unwrap().state,
            CommandState::Expired
        );
        // Claimed once: the second claim finds nothing.
        let c = store
            .claim_device_command("MN1", "QN-1", T0 + 5)
            .unwrap()
            .unwrap();
        assert_eq!(
            (c.id, c.state, c.qn.as_deref(), c.sent_ms),
            (a.id, CommandState::Sent, Some("QN-1"), Some(T0 + 5))
        );
        assert_eq!(
            store.claim_device_command("MN1", "QN-2", T0 + 6).unwrap(),
            None
        );
        // Answers recorded; finished when final.
        let mut c = c;
        c.state = CommandState::Done;
        c.qn_rtn = Some(1);
        c.exe_rtn = Some(1);
        c.reply = "RtdInterval=30".into();
        store.update_device_command(&c, T0 + 9).unwrap();
        let got = store.device_command(a.id).unwrap();
        assert_eq!(
            (got.state, got.exe_rtn, got.reply.as_str(), got.finished_ms),
            (CommandState::Done, Some(1), "RtdInterval=30", Some(T0 + 9))
        );
        let mut missing = c.clone();
        missing.id = 999_999;
        assert!(store.update_device_command(&missing, T0).is_err());
        // Filters.
        let ids = |f: CommandFilter| -> Vec<i64> {
            store
                .device_commands(&f)
                .unwrap()
                .iter()
                .map(|c| c.id)
                .collect()
        };
        assert_eq!(ids(CommandFilter::default()), vec![old.id, h.id, a.id]);
        assert_eq!(
            ids(CommandFilter {
                mn: Some("MN1".into()),
                origin: Some("backfill".into()),
                ..CommandFilter::default()
            }),
            vec![h.id]
        );
        assert_eq!(
            ids(CommandFilter {
                stations: Some(vec!["S2".into()]),
                ..CommandFilter::default()
            }),
            vec![old.id]
        );
        assert_eq!(
            ids(CommandFilter {
                stations: Some(vec![]),
                ..CommandFilter::default()
            }),
            Vec::<i64>::new()
        );
        assert_eq!(
            store.device_commands_since("MN1", "backfill", T0).unwrap(),
            1
        );
        assert_eq!(
            store
                .device_commands_since("MN1", "backfill", T0 + 2)
                .unwrap(),
            0
        );
        // Marks: the first of a period stays.
        store
            .mark_backfilled(&[mark(0, "resend", None), mark(3600, "request", Some(h.id))])
            .unwrap();
        store
            .mark_backfilled(&[mark(0, "request", Some(h.id))])
            .unwrap();
        store.mark_backfilled(&[]).unwrap();
        let marks = store.backfilled_marks("S1", "hour", 0, 7200).unwrap();
        assert_eq!(
            marks,
            vec![mark(0, "resend", None), mark(3600, "request", Some(h.id))]
        );
        assert_eq!(
            store.backfilled_marks("S1", "hour", 0, 3600).unwrap().len(),
            1
        );
        assert_eq!(
            store.backfilled_marks("S1", "min", 0, 7200).unwrap(),
            vec![]
        );
        assert_eq!(
            store
                .latest_period_ts_before("S1", "hour", i64::MAX)
                .unwrap(),
            None
        );
        // Cancelled while queued, once; a sent or finished command is not, and a cancelled
        // one is never claimed.
        let q = store
            .insert_device_command(&cmd("MN3", "S3", 3011, "operator", T0, T0 + H))
            .unwrap();
        assert!(store.cancel_device_command(q.id, "ops1", T0 + 10).unwrap());
        assert!(!store.cancel_device_command(q.id, "ops1", T0 + 11).unwrap());
        assert!(!store.cancel_device_command(a.id, "ops1", T0 + 11).unwrap());
        assert!(!store.cancel_device_command(h.id, "ops1", T0 + 11).unwrap());
        let got = store.device_command(q.id).unwrap();
        assert_eq!(
            (got.state, got.finished_ms, got.note.as_str()),
            (
                CommandState::Cancelled,
                Some(T0 + 10),
                "已由 ops1 取消 / cancelled by ops1"
            )
        );
        assert_eq!(
            store.claim_device_command("MN3", "QN-3", T0 + 12).unwrap(),
            None
        );
    });
}
