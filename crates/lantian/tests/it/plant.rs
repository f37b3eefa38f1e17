//! A sintering plant registered through the command line, as the CEMS, simulator and
//! browser tests use it: enterprise `ID`, outlet `ID-1` (reference O2 16 %, ultra-low limits,
//! stopped at or below 10,000 m³/h), its sintering machine `ID-SJ` (status SB1-RS) and
//! desulphuriser `ID-TL` (power e01, running from 100 kW of 800), and a device for each; and
//! the scenario its devices send: a day with an exceedance, a plant stop, a device whose
//! normalised SO2 is wrong and the desulphuriser switched off while sintering runs.

use super::lantian_ok;

/// The 24-character MN of the plant's device of `kind` (`CEMS`, `EQUIP` or `POWER`).
pub fn mn(kind: &str, id: &str) -> String {
    format!("{kind}{:0>w$}", format!("{id}01"), w = 24 - kind.len())
}

pub fn register(d: &str, id: &str, name: &str) {
    let outlet = format!("{id}-1");
    lantian_ok(&[
        "enterprise",
        "add",
        "--data-dir",
        d,
        "--id",
        id,
        "--name",
        name,
        "--unit",
        "xinji",
        "--industry",
        "钢铁",
        "--grade",
        "B",
    ]);
    lantian_ok(&[
        "outlet",
        "add",
        "--data-dir",
        d,
        "--enterprise",
        id,
        "--id",
        &outlet,
        "--name",
        "1#烧结机头",
        "--o2-ref",
        "16",
        "--limit",
        "a21026=35",
        "--limit",
        "a21002=50",
        "--limit",
        "a34013=10",
        "--limit-source",
        "DB13/2169-2018",
        "--flow-stopped",
        "10000",
    ]);
    let (sj, tl) = (format!("{id}-SJ"), format!("{id}-TL"));
    lantian_ok(&[
        "equipment",
        "add",
        "--data-dir",
        d,
        "--enterprise",
        id,
        "--id",
        &sj,
        "--name",
        "1#烧结机",
        "--kind",
        "production",
        "--outlet",
        &outlet,
        "--status-code",
        "SB1-RS",
    ]);
    lantian_ok(&[
        "equipment",
        "add",
        "--data-dir",
        d,
        "--enterprise",
        id,
        "--id",
        &tl,
        "--name",
        "脱硫设施",
        "--kind",
        "treatment",
        "--outlet",
        &outlet,
        "--power-code",
        "e01",
        "--running-kw",
        "100",
        "--rated-kw",
        "800",
    ]);
    for (kind, flag, series) in [
        ("CEMS", "--outlet", &outlet),
        ("EQUIP", "--equipment", &sj),
        ("POWER", "--equipment", &tl),
    ] {
        lantian_ok(&[
            "device",
            "add",
            "--data-dir",
            d,
            "--mn",
            &mn(kind, id),
            "--password",
            "123456",
            flag,
            series,
        ]);
    }
}

/// One minute of the scenario: (SO2, NOx, PM, O2, flow m³/s, the device's normalised SO2).
pub type Minute = (f64, f64, f64, f64, f64, f64);

/// The outlet's values in minute `m` of the day: SO2 over its limit in hour 5, the plant
/// stopped (O2 20.5 %, little flow) in hours 8–9, the device's normalised SO2 half what it
/// should be in hours 12–13.
pub fn minute(m: i64) -> Minute {
    let h = m / 60;
    let so2 = if h == 5 { 60.0 } else { 20.0 + (m % 7) as f64 };
    let nox = 30.0 + (m % 5) as f64;
    let pm = 4.0;
    let o2 = if (8..10).contains(&h) {
        20.5
    } else {
        16.0 + (m % 3) as f64 * 0.5
    };
    let flow = if (8..10).contains(&h) { 0.5 } else { 140.0 };
    let factor = (21.0 - 16.0) / (21.0 - o2);
    let zs = if (12..14).contains(&h) {
        so2 * factor / 2.0
    } else {
        so2 * factor
    };
    (so2, nox, pm, o2, flow, zs)
}

/// The packets of `minutes` minutes from `day_start` (CST seconds), one per line: the
/// outlet's minute data (2051), the sintering machine's status every minute (2021, always
/// running) and the desulphuriser's power (2051, switched off in hours 15–16).
pub fn packets(id: &str, day_start: i64, minutes: i64) -> String {
    let mut out = String::new();
    for m in 0..minutes {
        let t = lantian_gateway::mapping::timestamp(day_start + m * 60);
        let (so2, nox, pm, o2, flow, zs) = minute(m);
        let packet = |kind: &str, cn: u16, cp: &str, k: i64| {
            let h = lantian_hj212::encode::Header {
                qn: Some(&format!("{}{k:03}", t.n14())),
                st: "31",
                cn: lantian_hj212::Command(cn),
                pw: Some("123456"),
                mn: Some(&mn(kind, id)),
                flag: Some(lantian_hj212::Flag(5)),
                pnum: None,
                pno: None,
                resend: false,
            };
            String::from_utf8(lantian_hj212::encode::encode(&h, cp)).unwrap()
        };
        let cems = format!(
            "DataTime={};a21026-Avg={so2},a21026-ZsAvg={zs:.4},a21026-Flag=N;a21002-Avg={nox},a21002-Flag=N;\
             a34013-Avg={pm},a34013-Flag=N;a19001-Avg={o2},a19001-Flag=N;a00000-Avg={flow},a00000-Flag=N",
            t.n14()
        );
        out.push_str(&packet("CEMS", 2051, &cems, 1));
        out.push_str(&packet(
            "EQUIP",
            2021,
            &format!("DataTime={};SB1-RS=1", t.n14()),
            2,
        ));
        let kw = if (15..17).contains(&(m / 60)) {
            3.0
        } else {
            620.0
        };
        out.push_str(&packet(
            "POWER",
            2051,
            &format!("DataTime={};e01-Avg={kw},e01-Flag=N", t.n14()),
            3,
        ));
    }
    out.replace("\r\n", "\n")
}
