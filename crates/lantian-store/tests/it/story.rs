//! The story both backends must tell the same way.

use super::on_both;
use lantian_store::*;

pub fn station(id: &str, unit: &str) -> Station {
    Station {
        id: id.to_owned(),
        name: format!("{id} 站"),
        role: StationRole::Township,
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
        // Registry.
        units(s);
        s.upsert_admin_unit(&AdminUnit {
            name_en: "Hemujing".into(),
            ..unit("hemujing", "和睦井乡", UnitKind::Township)
        })
        .unwrap();
        let units = s.admin_units().unwrap();
        assert_eq!(units.len(), 3, "an upsert of the same id replaces it");
        assert!(
            units
                .iter()
                .any(|u| u.name_en == "Hemujing" && u.kind == UnitKind::Township)
        );
        s.upsert_station(&station("XJ-T01", "xinji")).unwrap();
        assert_eq!(
            s.station("XJ-T01").unwrap().unwrap().role,
            StationRole::Township
        );
        assert!(matches!(
            s.upsert_station(&Station {
                min_interval_min: 7,
                ..station("X", "xinji")
            }),
            Err(StoreError::Invalid { .. })
        ));
        assert_eq!(s.setting("county").unwrap(), None);
        s.set_setting("county", "130181").unwrap();
        s.set_setting("county", "999999").unwrap();
        assert_eq!(s.setting("county").unwrap().as_deref(), Some("999999"));
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
            industry: Some("steel".into()),
            grade: Some(Grade::B),
            admin_unit_id: Some("xinji".into()),
            lat: Some(37.95),
            lon: Some(115.25),
            key_polluter: true,
            ..Enterprise::default()
        })
        .unwrap();
        let outlet = Outlet {
            id: "E1-O1".into(),
            enterprise_id: "E1".into(),
            name: "1# 烧结机头".into(),
            kind: OutletKind::Stack,
            height_m: Some(120.0),
            o2_ref_pct: Some(16.0),
            flow_stopped_m3_h: 10_000.0,
            limits: vec![Limit {
                code: "a21026".into(),
                limit_mg_m3: 35.0,
                source: "DB13/2169-2018".into(),
            }],
        };
        s.upsert_outlet(&outlet, 3600.0).unwrap();
        assert_eq!(s.outlet("E1-O1").unwrap().unwrap(), outlet);
        let series = s.station("E1-O1").unwrap().unwrap();
        assert_eq!(
            (series.role, series.admin_unit_id.as_deref()),
            (StationRole::Outlet, Some("xinji"))
        );
        assert_eq!(
            s.station_units("E1-O1").unwrap()[0].factor,
            3600.0,
            "flow m³/s → m³/h"
        );
        assert!(
            matches!(
                s.upsert_outlet(
                    &Outlet {
                        id: "XJ-T01".into(),
                        ..outlet.clone()
                    },
                    1.0
                ),
                Err(StoreError::Conflict { .. })
            ),
            "an ambient station's id is not an outlet's"
        );
        let scr = Equipment {
            id: "E1-SCR".into(),
            enterprise_id: "E1".into(),
            name: "脱硝设施".into(),
            kind: EquipmentKind::Treatment,
            outlet_id: Some("E1-O1".into()),
            rated_kw: Some(800.0),
            status_code: Some("SB1-RS".into()),
            meter: Some(Meter {
                kind: MeterKind::Current,
                code: "i01".into(),
                running_min: Some(5.0),
            }),
        };
        s.upsert_equipment(&scr).unwrap();
        assert_eq!(s.equipment(Some("E1")).unwrap(), [scr]);
        assert_eq!(s.enterprises().unwrap().len(), 1);
        // An import is one transaction: an outlet that cannot be written (its id is an
        // ambient station's) leaves the new enterprise unwritten too.
        let e2 = Enterprise {
            id: "E2".into(),
            name: "某玻璃厂".into(),
            clean_transport_target_pct: Some(80.0),
            ..Enterprise::default()
        };
        let bad = Outlet {
            id: "XJ-T01".into(),
            enterprise_id: "E2".into(),
            ..outlet.clone()
        };
        assert!(
            s.upsert_register(std::slice::from_ref(&e2), &[bad], 1.0)
                .is_err()
        );
        assert!(s.enterprise("E2").unwrap().is_none());
        // What the enterprise publishes survives the bureau's register updates.
        s.set_disclosure("E1", true, Some("超低排放改造")).unwrap();
        s.upsert_enterprise(&Enterprise {
            id: "E1".into(),
            name: "澳森特钢集团".into(),
            ..Enterprise::default()
        })
        .unwrap();
        let e1 = s.enterprise("E1").unwrap().unwrap();
        assert_eq!(
            (
                e1.name.as_str(),
                e1.discloses,
                e1.disclosure_note.as_deref()
            ),
            ("澳森特钢集团", true, Some("超低排放改造"))
        );
        assert!(matches!(
            s.set_disclosure("NOPE", true, None),
            Err(StoreError::NotFound { .. })
        ));
        // Gate records: stored once, read back by time.
        let gate = |ts: i64, plate: &str, standard: Standard| GateRecord {
            enterprise_id: "E1".into(),
            ts,
            plate: plate.into(),
            direction: Direction::In,
            vehicle_type: "重型半挂牵引车".into(),
            class: VehicleClass::HeavyTruck,
            standard,
            fuel: Fuel::Diesel,
        };
        let records = [
            gate(200, "冀A2", Standard::China(4)),
            gate(100, "冀A1", Standard::NewEnergy),
        ];
        assert_eq!(s.insert_gate_records(&records).unwrap(), 2);
        assert_eq!(s.insert_gate_records(&records[..1]).unwrap(), 0);
        let back = s.gate_records("E1", 0, 1000).unwrap();
        assert_eq!(back, [records[1].clone(), records[0].clone()]);
        assert!(s.gate_records("E1", 150, 1000).unwrap().len() == 1);

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
            .hourly("XJ-T01", "a34004", DAY0, DAY0 + 86_400, View::Raw)
            .unwrap();
        assert_eq!(day.len(), 24);
        assert!(
            day.iter()
                .all(|h| h.source == Period::Hour && h.n_observed == 60)
        );
        assert_eq!((day[23].ts, day[23].value), (DAY0 + 23 * 3600, 63.0));

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
        let engine = s
            .hourly("XJ-T01", "a21026", day1, day1 + 86_400, View::Audited)
            .unwrap();
        assert_eq!(engine.len(), 1, "the valid minute hour reaches the engine");
        assert_eq!(
            (engine[0].source, engine[0].n_observed, engine[0].value),
            (Period::Min, 46, 10.0)
        );

        // Real-time values every 30 s for 50 minutes of the next hour: 50 distinct minutes
        // make a valid hour (and 44 in the hour after do not); minute data of the same hour
        // replaces it; an hourly value sent for an hour wins over both.
        let hour2 = day1 + 3600;
        let realtime = |hour: i64, n: i64, seq: i64| Ingest {
            packet: Some(packet(seq)),
            observations: (0..n)
                .map(|i| {
                    obs(
                        "XJ-T01",
                        "a21026",
                        Period::Rtd,
                        hour + i * 30,
                        20.0 + (i % 2) as f64,
                    )
                })
                .collect(),
        };
        s.commit_batch(&[realtime(hour2, 100, 300), realtime(hour2 + 3600, 88, 304)])
            .unwrap();
        let at = |ts: i64| {
            s.hourly("XJ-T01", "a21026", ts, ts + 3600, View::Raw)
                .unwrap()
                .into_iter()
                .map(|h| (h.source, h.n_observed, h.value))
                .collect::<Vec<_>>()
        };
        assert_eq!(at(hour2), [(Period::Rtd, 50, 20.5)]);
        assert_eq!(at(hour2 + 3600), [], "44 minutes are not an hour");
        assert!(
            s.hourly_rollups("XJ-T01", "a21026", hour2, hour2 + 7200)
                .unwrap()
                .is_empty(),
            "real-time values are read, not rolled up on every write"
        );
        s.commit_batch(&[Ingest {
            packet: Some(packet(301)),
            observations: (0..45)
                .map(|m| obs("XJ-T01", "a21026", Period::Min, hour2 + m * 60, 30.0))
                .collect(),
        }])
        .unwrap();
        s.commit_batch(&[Ingest {
            packet: Some(packet(302)),
            observations: vec![obs("XJ-T01", "a21026", Period::Rtd, hour2 + 3000, 99.0)],
        }])
        .unwrap();
        assert_eq!(
            at(hour2),
            [(Period::Min, 45, 30.0)],
            "minute data decides its hour"
        );
        s.commit_batch(&[Ingest {
            packet: Some(packet(303)),
            observations: vec![obs("XJ-T01", "a21026", Period::Hour, hour2, 33.0)],
        }])
        .unwrap();
        let engine = s
            .hourly("XJ-T01", "a21026", day1, day1 + 86_400, View::Raw)
            .unwrap();
        assert_eq!(
            engine
                .iter()
                .map(|h| (h.source, h.value))
                .collect::<Vec<_>>(),
            [(Period::Min, 10.0), (Period::Hour, 33.0)]
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

        // Latest hours, users, audit log.
        assert_eq!(
            s.latest_hour("XJ-T01", &["a34004"]).unwrap(),
            Some(DAY0 + 23 * 3600)
        );
        assert_eq!(
            s.latest_hour("XJ-T01", &["a34004", "a21026"]).unwrap(),
            Some(day1 + 3600)
        );
        assert_eq!(s.latest_hour("XJ-T01", &["a21004"]).unwrap(), None);
        s.add_user(&User {
            username: "admin".into(),
            password_hash: password::hash("pw", password::Strength::Device),
            role: Role::Admin,
            unit_id: None,
            must_change_password: true,
            created_ms: 1,
        })
        .unwrap();
        let admin = s.user("admin").unwrap().unwrap();
        assert!(admin.must_change_password && admin.role == Role::Admin);
        s.audit(1, "admin", "add_station", "XJ-T01", "created")
            .unwrap();
        assert_eq!(s.audit_events(10).unwrap()[0].object, "XJ-T01");

        let report = s.verify_archive().unwrap();
        assert!(report.ok(), "{report:?}");
        assert_eq!(report.records, 12);
        let cp = s.checkpoint(2).unwrap();
        assert_eq!(cp[0].1, 12);
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
        units(s);
        s.upsert_station(&station("XJ-C", "xinji")).unwrap();
        // Two writers race on the same station-hours of minute data; each hour's rollup must
        // see all 60 minutes.
        let barrier = std::sync::Barrier::new(2);
        std::thread::scope(|scope| {
            for half in 0..2i64 {
                let barrier = &barrier;
                scope.spawn(move || {
                    let obs = (0..400i64)
                        .flat_map(|hour| (0..30).map(move |m| (hour, m)))
                        .map(|(hour, m)| {
                            obs(
                                "XJ-C",
                                "a34004",
                                Period::Min,
                                DAY0 + hour * 3600 + (half * 30 + m) * 60,
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
        let hours = s
            .hourly_rollups("XJ-C", "a34004", DAY0, DAY0 + 400 * 3600)
            .unwrap();
        assert_eq!(hours.len(), 400);
        let short: Vec<_> = hours.iter().filter(|h| h.n_observed != 60).collect();
        assert!(
            short.is_empty(),
            "{} hours rolled up without the other writer's minutes",
            short.len()
        );
    });
}

fn obs_one(station: &str, ts: i64) -> Observation {
    obs(station, "a21026", Period::Hour, ts, 1.0)
}

pub fn unit(id: &str, name: &str, kind: UnitKind) -> AdminUnit {
    AdminUnit {
        id: id.into(),
        name_zh: name.into(),
        name_en: id.into(),
        kind,
        parent_id: None,
        lat: None,
        lon: None,
    }
}

/// The city and two of its units.
pub fn units(s: &Store) {
    for (id, name, kind) in [
        ("130181", "辛集市", UnitKind::City),
        ("xinji", "辛集镇", UnitKind::Town),
        ("hemujing", "和睦井乡", UnitKind::Township),
    ] {
        s.upsert_admin_unit(&unit(id, name, kind)).unwrap();
    }
}
