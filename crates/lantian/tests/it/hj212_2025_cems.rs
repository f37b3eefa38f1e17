//! HJ 212-2025 "not computable" values (§8.1.1 d) never reach the CEMS judge: an hour sent
//! as `9999.99` by a 2025 logger is neither stored, nor averaged, nor an exceedance, while a
//! real exceedance in the next hour is one (docs/hj212-2025.md).

use super::*;
use lantian_app::emissions::{self, Resolution};
use lantian_app::sources::{self, FlowUnit};
use lantian_app::{App, Clock, County};
use lantian_core::Date;
use lantian_hj212::encode::{Header, encode};
use lantian_hj212::{Command, Flag, Limits, decode};
use lantian_store::{Enterprise, Ingest, Limit, Outlet, OutletKind, Store};
use std::sync::Arc;

fn operator() -> lantian_app::Caller {
    lantian_app::Caller::Account(lantian_app::Account {
        username: "operator".into(),
        role: lantian_core::org::Role::Admin,
        unit_id: None,
        unit_kind: None,
        source: "cli:test".into(),
    })
}

/// An hourly (2061) packet of HJ 212-2025 (Flag 9) with SO2, O2 and flow.
fn hour(h: u32, so2: &str) -> Vec<u8> {
    encode(
        &Header {
            qn: Some("20261120100000000"),
            st: "31",
            cn: Command(2061),
            pw: Some("123456"),
            mn: Some("0A0000A8900016F000169D25"),
            flag: Some(Flag(9)),
            pnum: None,
            pno: None,
            resend: false,
        },
        &format!(
            "DataTime=20261120{h:02}0000;a21026-Avg={so2},a21026-Flag=N;a19001-Avg=9.0,a19001-Flag=N;a00000-Avg=10000,a00000-Flag=N"
        ),
    )
}

#[test]
fn a_not_computable_hour_is_never_averaged_nor_judged() {
    let dir = temp_dir("hj212-2025-cems");
    let store = Arc::new(Store::open_data_dir(&dir).unwrap());
    let county = Arc::new(County::xinji());
    county.install(&store, 0).unwrap();
    let app = App::new(
        store,
        Clock::Fixed { unix_ms: 0 },
        county,
        Some(dir.clone()),
    );
    sources::add(
        &app,
        &operator(),
        Enterprise {
            id: "E9".into(),
            name: "E9 企业".into(),
            admin_unit_id: Some("xinji".into()),
            ..Enterprise::default()
        },
    )
    .unwrap();
    let outlet = Outlet {
        id: "S9".into(),
        enterprise_id: "E9".into(),
        name: "锅炉".into(),
        kind: OutletKind::Stack,
        height_m: None,
        o2_ref_pct: Some(9.0),
        flow_stopped_m3_h: 0.0,
        limits: vec![Limit {
            code: "a21026".into(),
            limit_mg_m3: 35.0,
            source: "test".into(),
        }],
    };
    sources::add_outlet(&app, &operator(), outlet, FlowUnit::CubicMetresPerHour).unwrap();
    let opts = lantian_gateway::mapping::Options::default();
    let mut obs = Vec::new();
    for (h, so2) in [(8, "9999.99"), (9, "50.0"), (10, "20.0")] {
        let bytes = hour(h, so2);
        let p = decode(&bytes, &Limits::default()).unwrap();
        let nc = lantian_gateway::mapping::not_computable(&p, &opts);
        assert_eq!(nc.len(), usize::from(h == 8), "hour {h}: {nc:?}");
        obs.extend(
            lantian_gateway::mapping::observations_with(&p, "S9", &Default::default(), &opts)
                .unwrap(),
        );
    }
    app.store
        .commit_batch(&[Ingest {
            packet: None,
            observations: obs,
        }])
        .unwrap();
    let day = Date::new(2026, 11, 20).unwrap();
    let rows = emissions::outlet_rows(&app, &operator(), "S9", day, day, Resolution::Hour).unwrap();
    let so2: Vec<_> = rows.iter().filter(|r| r.code == "a21026").collect();
    let at = |h: &str| so2.iter().find(|r| r.hour.contains(h));
    assert!(
        at(" 08:").is_none_or(|r| r.measured.is_none() && !r.exceeds),
        "the sentinel hour is no value and no exceedance: {so2:?}"
    );
    let nine = at(" 09:").expect("hour 9");
    assert_eq!(nine.measured, Some(50.0));
    assert!(nine.exceeds, "a real exceedance is still one: {nine:?}");
    let ten = at(" 10:").expect("hour 10");
    assert!(!ten.exceeds);
    assert!(
        so2.iter().all(|r| r.measured.is_none_or(|m| m < 9999.0)),
        "9999.99 never appears: {so2:?}"
    );
}
