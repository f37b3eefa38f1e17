//! The device simulator for pollution sources: CEMS, working-condition and electricity data with chosen faults, through the real gateway.
//!
//! A real `lantian serve`, an enterprise registered through the command line, and `lantian
//! send --generate … --fault …` (or a CSV) against its gateway; `lantian emissions` and
//! `lantian equipment status` must show each fault in the hours it was put and nowhere else.

use super::plant;
use super::serve::Server;
use super::*;
use serde_json::Value;

const DAY_1: &str = "2026-11-20";
const DAY_2: &str = "2026-11-21";

fn register(d: &str) {
    plant::register(d, "SM", "模拟钢铁");
}

/// `lantian send` to the server as device `mn`; every packet must be acknowledged, and
/// there must be `n` of them.
fn send(server: &Server, mn: &str, args: &[&str], n: u64) -> String {
    let mut all = vec![
        "send",
        "--to",
        &server.hj,
        "--mn",
        mn,
        "--password",
        "123456",
        "--window",
        "64",
    ];
    all.extend(args);
    let out = lantian(&all);
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{all:?}: {}", stderr(&out)));
    assert_eq!(
        (report["sent"].as_u64(), report["acknowledged"].as_u64()),
        (Some(n), Some(n)),
        "{all:?}: {report}"
    );
    assert!(out.status.success(), "{all:?}: {}", stderr(&out));
    stderr(&out)
}

fn emissions(d: &str, from: &str, to: &str) -> Vec<Value> {
    json_lines(&lantian_ok(&[
        "emissions",
        "--data-dir",
        d,
        "--outlet",
        "SM-1",
        "--from",
        from,
        "--to",
        to,
        "--json",
    ]))
}

/// (equipment hours, findings) of the enterprise.
fn equipment_status(d: &str, from: &str, to: &str) -> (Vec<Value>, Vec<Value>) {
    json_lines(&lantian_ok(&[
        "equipment",
        "status",
        "--data-dir",
        d,
        "--enterprise",
        "SM",
        "--from",
        from,
        "--to",
        to,
    ]))
    .into_iter()
    .partition(|l| l["equipment"].is_string())
}

/// The hour of a row: (day, hour of the day).
fn at(r: &Value) -> (String, u32) {
    let h = r["hour"].as_str().unwrap();
    (h[..10].to_owned(), h[11..13].parse().unwrap())
}

#[test]
fn generated_faults_show_up_in_the_hours_they_were_put_and_nowhere_else() {
    let dir = temp_dir("simulate-faults");
    let d = dir.to_str().unwrap();
    register(d);
    let server = Server::start(d, &["--no-device-setup"]);
    let days = ["--from", DAY_1, "--until", DAY_2];
    // Two days of minute CEMS data: 22 hours a day sent (20:00–21:59 a gap).
    let cems = [
        &["--generate", "cems"][..],
        &days,
        &[
            "--fault",
            "exceed@05-07",
            "--fault",
            "stop@08-10",
            "--fault",
            "zs-wrong@2026-11-21T12-14",
            "--fault",
            "flatline@16-18",
            "--fault",
            "gap@20-22",
        ],
    ]
    .concat();
    send(&server, &plant::mn("CEMS", "SM"), &cems, 2 * 22 * 60);
    // The sintering machine's status every minute, off from 03:00 to 03:59 on the second day.
    let status = [
        &["--generate", "status", "--code", "SB1-RS"][..],
        &days,
        &["--fault", "off@2026-11-21T03"],
    ]
    .concat();
    send(&server, &plant::mn("EQUIP", "SM"), &status, 2 * 1440);
    // The desulphuriser's power, hourly, off from 15:00 to 16:59 every day.
    let power = [
        &["--generate", "power", "--code", "e01", "--rated-kw", "800"][..],
        &days,
        &["--period", "hour", "--fault", "off@15-17"],
    ]
    .concat();
    send(&server, &plant::mn("POWER", "SM"), &power, 48);
    server.projected();

    let rows = emissions(d, DAY_1, DAY_2);
    for code in ["a21026", "a21002", "a34013"] {
        let of: Vec<&Value> = rows.iter().filter(|r| r["code"] == code).collect();
        let hours: Vec<(String, u32)> = of.iter().map(|r| at(r)).collect();
        let want: Vec<(String, u32)> = [DAY_1, DAY_2]
            .iter()
            .flat_map(|day| {
                (0..24)
                    .filter(|h| !(20..22).contains(h))
                    .map(|h| (day.to_string(), h))
            })
            .collect();
        assert_eq!(hours, want, "{code}: every hour but the gap's");
        for r in &of {
            let (day, h) = at(r);
            let is_so2 = code == "a21026";
            assert_eq!(r["valid"], true, "{r}");
            assert_eq!(r["exceeds"], is_so2 && (5..7).contains(&h), "{r}");
            assert_eq!(r["stopped"], (8..10).contains(&h), "{r}");
            let wrong = is_so2 && day == DAY_2 && (12..14).contains(&h);
            assert_eq!(r["device_mismatch"], wrong, "{r}");
            let o2 = r["o2"].as_f64().unwrap();
            let flow = r["flow"].as_f64().unwrap();
            if (8..10).contains(&h) {
                assert!(o2 >= 19.0 && flow <= 10_000.0, "{r}");
                assert!(
                    r["converted"].is_null() && r["device_converted"].is_null(),
                    "{r}"
                );
            } else {
                // A running sintering machine: about 15.5 % O2 and 160 m³/s.
                assert!((14.0..17.0).contains(&o2), "{r}");
                assert!((400_000.0..750_000.0).contains(&flow), "{r}");
                let converted = r["converted"].as_f64().unwrap();
                let limit = r["limit"].as_f64().unwrap();
                if r["exceeds"] == true {
                    assert!(converted > 1.2 * limit && converted < 2.0 * limit, "{r}");
                } else {
                    assert!(converted < 0.8 * limit, "{r}");
                }
            }
        }
        // Flatline: the same reading all through 16:00–17:59 of each day, and no two other
        // hours alike.
        for day in [DAY_1, DAY_2] {
            let measured = |h: u32| {
                of.iter().find(|r| at(r) == (day.to_owned(), h)).unwrap()["measured"]
                    .as_f64()
                    .unwrap()
            };
            assert!(
                (measured(16) - measured(17)).abs() < 1e-9,
                "{code} {day}: {} vs {}",
                measured(16),
                measured(17)
            );
            let mut others: Vec<f64> = (0..24)
                .filter(|h| !(16..18).contains(h) && !(20..22).contains(h))
                .map(measured)
                .collect();
            others.sort_by(f64::total_cmp);
            assert!(
                others.windows(2).all(|w| w[1] - w[0] > 1e-9),
                "{code} {day}: {others:?}"
            );
        }
    }

    let (hours, findings) = equipment_status(d, DAY_1, DAY_2);
    let got: Vec<(String, String)> = findings
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_owned(),
                f["hour"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut want = Vec::new();
    for day in [DAY_1, DAY_2] {
        for (kind, h) in [
            ("production_while_cems_stopped", 8),
            ("production_while_cems_stopped", 9),
            ("production_without_treatment", 15),
            ("production_without_treatment", 16),
        ] {
            want.push((kind.to_owned(), format!("{day} {h:02}:00")));
        }
    }
    assert_eq!(got, want);
    for h in &hours {
        let (day, hour) = at(h);
        match h["equipment"].as_str().unwrap() {
            "SM-SJ" => assert_eq!(
                h["running"],
                !(day == DAY_2 && hour == 3),
                "sintering machine: {h}"
            ),
            "SM-TL" => {
                let off = (15..17).contains(&hour);
                assert_eq!(h["running"], !off, "desulphuriser: {h}");
                let load = h["load_pct"].as_f64().unwrap();
                assert!(
                    if off {
                        load < 2.0
                    } else {
                        (55.0..95.0).contains(&load)
                    },
                    "{h}"
                );
            }
            other => panic!("unknown equipment {other}"),
        }
    }
    assert_eq!(hours.len(), 2 * 48, "48 hours of each machine");
}

#[test]
fn a_csv_is_replayed_at_its_beijing_times_with_its_statuses() {
    let dir = temp_dir("simulate-csv");
    let d = dir.to_str().unwrap();
    register(d);
    // Hourly values: 10:00 exceeds (30 mg/m³ at 18 % O2 is 30 × 5 / 3 = 50 > 35, and the
    // device says 50); 11:00 the device's normalised SO2 is half the right 20; 12:00 the plant
    // is stopped; the 13:00 row has a time that does not exist and is skipped.
    let outlet_csv = dir.join("outlet.csv");
    std::fs::write(
        &outlet_csv,
        "\u{feff}时间,a21026,a21026-Zs,a21002,a34013,a19001,a00000\n\
         2026-11-20 10:00,30,50,40,5,18,150\n\
         2026-11-20 11:00,20,10,40,5,16,150\n\
         2026-11-20 12:00,1,,2,0.5,20.6,0.3\n\
         2026-11-20 25:00,1,,2,0.5,20.6,0.3\n",
    )
    .unwrap();
    // The sintering machine's status a minute at a time: running 10:00–10:59, off 11:00–11:59.
    let mut status_csv = String::from("time,SB1-RS\n");
    for m in 0..120 {
        status_csv.push_str(&format!(
            "2026-11-20 {:02}:{:02},{}\n",
            10 + m / 60,
            m % 60,
            u32::from(m < 60)
        ));
    }
    let status_file = dir.join("status.csv");
    std::fs::write(&status_file, status_csv).unwrap();

    let server = Server::start(d, &["--no-device-setup"]);
    let err = send(
        &server,
        &plant::mn("CEMS", "SM"),
        &["--period", "hour", outlet_csv.to_str().unwrap()],
        3,
    );
    assert!(
        err.contains("outlet.csv:5") && err.contains("skipped 1"),
        "the bad row is reported by its line: {err}"
    );
    send(
        &server,
        &plant::mn("EQUIP", "SM"),
        &[status_file.to_str().unwrap()],
        120,
    );
    server.projected();

    let rows = emissions(d, DAY_1, DAY_1);
    let so2: Vec<&Value> = rows.iter().filter(|r| r["code"] == "a21026").collect();
    let hours: Vec<&str> = so2.iter().map(|r| r["hour"].as_str().unwrap()).collect();
    assert_eq!(
        hours,
        ["2026-11-20 10:00", "2026-11-20 11:00", "2026-11-20 12:00"]
    );
    let close = |v: &Value, want: f64| (v.as_f64().unwrap() - want).abs() < 1e-9;
    let (r10, r11, r12) = (so2[0], so2[1], so2[2]);
    assert!(
        close(&r10["converted"], 50.0) && r10["exceeds"] == true,
        "{r10}"
    );
    assert!(close(&r10["flow"], 150.0 * 3600.0), "m³/s to m³/h: {r10}");
    assert!(close(&r10["emission_kg"], 30.0 * 540_000.0 * 1e-6), "{r10}");
    assert_eq!(r10["device_mismatch"], false, "{r10}");
    assert!(
        close(&r11["converted"], 20.0) && r11["exceeds"] == false,
        "{r11}"
    );
    assert_eq!(r11["device_mismatch"], true, "{r11}");
    assert!(
        r12["stopped"] == true && r12["converted"].is_null(),
        "{r12}"
    );
    assert_eq!(r12["device_mismatch"], false, "{r12}");

    let (hours, findings) = equipment_status(d, DAY_1, DAY_1);
    let running: Vec<(String, bool)> = hours
        .iter()
        .map(|h| {
            (
                h["hour"].as_str().unwrap().to_owned(),
                h["running"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        running,
        [
            ("2026-11-20 10:00".to_owned(), true),
            ("2026-11-20 11:00".to_owned(), false)
        ]
    );
    assert!(findings.is_empty(), "{findings:?}");
}

#[test]
fn bad_generate_requests_are_refused_with_the_reason() {
    for (args, reason) in [
        (
            &[
                "--generate",
                "status",
                "--from",
                DAY_1,
                "--fault",
                "exceed@01-02",
            ][..],
            "a status device knows off and gap",
        ),
        (
            &["--generate", "power", "--from", DAY_1][..],
            "needs --rated-kw",
        ),
        (
            &[
                "--generate",
                "cems",
                "--from",
                DAY_1,
                "--fault",
                "gap@2026-12-01T01-02",
            ][..],
            "covers no hour",
        ),
        (
            &[
                "--generate",
                "cems",
                "--from",
                DAY_1,
                "--fault",
                "smoke@01-02",
            ][..],
            "unknown fault",
        ),
    ] {
        let mut all = vec![
            "send",
            "--to",
            "127.0.0.1:9",
            "--mn",
            "X",
            "--password",
            "x",
        ];
        all.extend(args);
        let out = lantian(&all);
        assert!(!out.status.success(), "{all:?}");
        assert!(stderr(&out).contains(reason), "{all:?}: {}", stderr(&out));
    }
}
