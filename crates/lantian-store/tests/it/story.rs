//! The story both backends must tell the same way.

use super::on_both;
use lantian_store::*;

pub fn station(id: &str, unit: &str) -> Station {
    Station {
        id: id.to_owned(),
        name: format!("{id} 站"),
        role: "township".to_owned(),
        admin_unit_id: Some(unit.to_owned()),
        lat: Some(37.9),
        lon: Some(115.2),
        pollutants: vec!["a34004".into(), "a21026".into()],
        min_interval_min: 1,
        demo: false,
    }
}

pub fn obs(station: &str, code: &str, period: Period, ts: i64, value: f64) -> Observation {
    Observation {
        station_id: station.into(),
        code: code.into(),
        period,
        ts,
        value,
        flag: "N".into(),
    }
}

pub fn packet(n: i64) -> RawPacket {
    RawPacket {
        received_ms: 1_700_000_000_000 + n,
        peer: "127.0.0.1:5000".into(),
        mn: Some("MN1".into()),
        verdict: "accepted".into(),
        bytes: format!("##packet {n}\r\n").into_bytes(),
    }
}

const DAY0: i64 = 20_000 * 86_400; // a day boundary

#[test]
fn story_registry_ingest_rollups_corrections_archive() {
    on_both("story", |s, _sql| {
        // Registry and default data.
        assert_eq!(
            s.seed_defaults().unwrap(),
            17 + 21,
            "15 towns and townships, the zone, the city, 21 departments"
        );
        assert_eq!(s.seed_defaults().unwrap(), 0, "seeding twice adds nothing");
        let units = s.admin_units().unwrap();
        assert_eq!(units.len(), 38);
        assert!(
            units
                .iter()
                .any(|u| u.name_zh == "和睦井乡" && u.kind == "township")
        );
        s.upsert_station(&station("XJ-T01", "xinji")).unwrap();
        assert!(matches!(
            s.upsert_station(&Station {
                role: "weird".into(),
                ..station("X", "xinji")
            }),
            Err(StoreError::Invalid { .. })
        ));
        s.set_station_unit(&StationUnit {
            station_id: "XJ-T01".into(),
            code: "a21005".into(),
            unit: "mg/m3".into(),
            factor: 1.0,
        })
        .unwrap();
        assert_eq!(s.station_units("XJ-T01").unwrap().len(), 1);
        let d = s.add_device("MN1", "123456", "XJ-T01", "2017", 1).unwrap();
        assert!(
            password::verify("123456", &d.password_hash)
                && !password::verify("654321", &d.password_hash)
        );
        assert!(matches!(
            s.add_device("MN1", "x", "XJ-T01", "2017", 1),
            Err(StoreError::Conflict { .. })
        ));
        assert!(matches!(
            s.add_device("MN2", "x", "nowhere", "2017", 1),
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            s.add_device("MN2", "x", "XJ-T01", "1999", 1),
            Err(StoreError::Invalid { .. })
        ));
        assert_eq!(s.device("MN1").unwrap().unwrap().station_id, "XJ-T01");
        s.upsert_enterprise(&Enterprise {
            id: "E1".into(),
            name: "澳森特钢".into(),
            credit_code: None,
            industry: Some("steel".into()),
            grade: Some("B".into()),
            admin_unit_id: Some("devzone".into()),
        })
        .unwrap();
        s.add_enterprise_part(true, "E1-O1", "E1", "1# 烧结机头", None)
            .unwrap();
        s.add_enterprise_part(false, "E1-L1", "E1", "球团竖炉", Some("pellet"))
            .unwrap();
        assert_eq!(s.enterprises().unwrap().len(), 1);

        // Hourly data: 24 hours of PM2.5 in two packets.
        let mut a = Ingest {
            packet: Some(packet(1)),
            observations: vec![],
        };
        let mut b = Ingest {
            packet: Some(packet(2)),
            observations: vec![],
        };
        for h in 0..24 {
            let target = if h < 12 { &mut a } else { &mut b };
            target.observations.push(obs(
                "XJ-T01",
                "a34004",
                Period::Hour,
                DAY0 + h * 3600,
                40.0 + h as f64,
            ));
        }
        let out = s.commit_batch(&[a.clone(), b.clone()]).unwrap();
        assert_eq!(
            (
                out.packets_archived,
                out.observations_new,
                out.observations_duplicate
            ),
            (2, 24, 0)
        );
        let day = s
            .daily_rollups("XJ-T01", "a34004", DAY0, DAY0 + 86_400)
            .unwrap();
        assert_eq!(day.len(), 1);
        assert_eq!((day[0].n_observed, day[0].valid), (24, true));
        assert!((day[0].mean.unwrap() - 51.5).abs() < 1e-9);

        // The same packets again: archived as received, but the values count once.
        let again = s.commit_batch(&[a, b]).unwrap();
        assert_eq!(
            (
                again.packets_archived,
                again.observations_new,
                again.observations_duplicate
            ),
            (2, 0, 24)
        );

        // Minute data of the next day: 44 minutes are not an hour, 45 are; late data re-rolls.
        let day1 = DAY0 + 86_400;
        let minutes = |range: std::ops::Range<i64>| Ingest {
            packet: Some(packet(100 + range.start)),
            observations: range
                .map(|m| obs("XJ-T01", "a21026", Period::Min, day1 + m * 60, 10.0))
                .collect(),
        };
        s.commit_batch(&[minutes(0..44)]).unwrap();
        let h = s
            .hourly_rollups("XJ-T01", "a21026", day1, day1 + 3600)
            .unwrap();
        assert_eq!(
            (h[0].n_expected, h[0].n_observed, h[0].valid),
            (60, 44, false)
        );
        let late = s.commit_batch(&[minutes(44..46)]).unwrap();
        assert_eq!(late.hours_rolled_up, 1);
        let h = s
            .hourly_rollups("XJ-T01", "a21026", day1, day1 + 3600)
            .unwrap();
        assert_eq!((h[0].n_observed, h[0].valid), (46, true));
        let d1 = s
            .daily_rollups("XJ-T01", "a21026", day1, day1 + 86_400)
            .unwrap();
        assert_eq!(
            (d1[0].n_observed, d1[0].valid),
            (1, false),
            "one valid hour is not a day"
        );

        // Audited values beside raw ones.
        let k = |ts: i64, action, value, reason: &str| Correction {
            station_id: "XJ-T01".into(),
            code: "a34004".into(),
            period: Period::Hour,
            ts,
            action,
            value,
            reason_code: reason.into(),
            who: "auditor".into(),
            at_ms: 5,
            rule_set: "HJ633-2026/GB3095-2026T/HJ663-2026".into(),
            note: String::new(),
        };
        s.add_correction(&k(DAY0, CorrectionAction::Invalidate, None, "calibration"))
            .unwrap();
        assert_eq!(
            s.add_correction(&k(
                DAY0 + 3600,
                CorrectionAction::Correct,
                Some(99.0),
                "outlier"
            ))
            .unwrap(),
            1
        );
        assert!(matches!(
            s.add_correction(&k(DAY0 + 7200, CorrectionAction::Correct, None, "outlier")),
            Err(StoreError::Invalid { .. })
        ));
        assert!(matches!(
            s.add_correction(&k(DAY0 + 7200, CorrectionAction::Invalidate, None, " ")),
            Err(StoreError::Invalid { .. })
        ));
        assert!(matches!(
            s.add_correction(&k(DAY0 - 3600, CorrectionAction::Invalidate, None, "x")),
            Err(StoreError::NotFound { .. })
        ));
        let raw = s
            .series(
                "XJ-T01",
                "a34004",
                Period::Hour,
                DAY0,
                DAY0 + 86_400,
                View::Raw,
            )
            .unwrap();
        let audited = s
            .series(
                "XJ-T01",
                "a34004",
                Period::Hour,
                DAY0,
                DAY0 + 86_400,
                View::Audited,
            )
            .unwrap();
        assert_eq!((raw.len(), audited.len()), (24, 23));
        assert_eq!(
            (
                raw[1].value,
                audited[0].value,
                audited[0].corrected.as_deref()
            ),
            (41.0, 99.0, Some("outlier"))
        );
        s.add_correction(&k(DAY0, CorrectionAction::Restore, None, "review"))
            .unwrap();
        assert_eq!(
            s.series(
                "XJ-T01",
                "a34004",
                Period::Hour,
                DAY0,
                DAY0 + 86_400,
                View::Audited
            )
            .unwrap()
            .len(),
            24
        );

        // A batch that fails leaves nothing behind, and the chain continues intact.
        let (archived, observed, _) = s.counts().unwrap();
        let bad = Ingest {
            packet: Some(packet(999)),
            observations: vec![obs(
                "XJ-T01",
                "a34004",
                Period::Hour,
                DAY0 + 99 * 3600,
                f64::NAN,
            )],
        };
        assert!(s.commit_batch(&[bad]).is_err());
        assert_eq!(s.counts().unwrap().0, archived);
        assert_eq!(s.counts().unwrap().1, observed);
        s.commit_batch(&[Ingest {
            packet: Some(packet(1000)),
            observations: vec![],
        }])
        .unwrap();

        // Latest values, users, audit log.
        let latest = s.latest("XJ-T01", Period::Hour).unwrap();
        assert_eq!(
            latest,
            vec![("a34004".to_owned(), DAY0 + 23 * 3600, 63.0, "N".to_owned())]
        );
        s.add_user(&User {
            username: "admin".into(),
            password_hash: password::hash("pw", password::Strength::Device),
            role: "admin".into(),
            unit_id: None,
            must_change_password: true,
            created_ms: 1,
        })
        .unwrap();
        assert!(s.user("admin").unwrap().unwrap().must_change_password);
        s.audit(1, "admin", "add_station", "XJ-T01", "created")
            .unwrap();
        assert_eq!(s.audit_events(10).unwrap()[0].object, "XJ-T01");

        let report = s.verify_archive().unwrap();
        assert!(report.ok(), "{report:?}");
        assert_eq!(report.records, 7);
        let cp = s.checkpoint(2).unwrap();
        assert_eq!(cp[0].1, 7);
        assert!(s.verify_archive().unwrap().ok());
        assert_eq!(
            s.archived(1, 2).unwrap()[1].1.bytes,
            b"##packet 2\r\n".to_vec()
        );
    });
}

#[test]
fn concurrent_batches_of_one_station_roll_up_every_hour() {
    on_both("concurrent", |s, _sql| {
        s.seed_defaults().unwrap();
        s.upsert_station(&station("XJ-C", "xinji")).unwrap();
        // Two writers race on the same station-days; each day's rollup must see all 24 hours.
        let barrier = std::sync::Barrier::new(2);
        std::thread::scope(|scope| {
            for half in 0..2i64 {
                let barrier = &barrier;
                scope.spawn(move || {
                    let obs = (0..1000i64)
                        .flat_map(|day| (0..12).map(move |h| (day, h)))
                        .map(|(day, h)| {
                            obs(
                                "XJ-C",
                                "a34004",
                                Period::Hour,
                                DAY0 + day * 86_400 + (half * 12 + h) * 3600,
                                10.0,
                            )
                        })
                        .collect();
                    // Warm up a writer connection each, then start together.
                    barrier.wait();
                    let warm = obs_one("XJ-C", DAY0 - 86_400 * (1 + half));
                    s.commit_batch(&[Ingest {
                        packet: None,
                        observations: vec![warm],
                    }])
                    .unwrap();
                    barrier.wait();
                    s.commit_batch(&[Ingest {
                        packet: None,
                        observations: obs,
                    }])
                    .unwrap();
                });
            }
        });
        let days = s
            .daily_rollups("XJ-C", "a34004", DAY0, DAY0 + 1000 * 86_400)
            .unwrap();
        assert_eq!(days.len(), 1000);
        let short: Vec<_> = days.iter().filter(|d| d.n_observed != 24).collect();
        assert!(
            short.is_empty(),
            "{} days rolled up without the other writer's hours",
            short.len()
        );
    });
}

fn obs_one(station: &str, ts: i64) -> Observation {
    obs(station, "a21026", Period::Hour, ts, 1.0)
}
