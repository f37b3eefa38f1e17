//! docs/access.md, as a test: every request of its table made as each caller, expecting the
//! status written there; and every route of the API has a row.

use super::*;
use lantian_store::{Direction, Fuel, Standard, VehicleClass};
use lantian_store::{Enterprise, GateRecord, Limit, Outlet, OutletKind};

/// The callers of the table's columns, in order (`None`: the public).
const CALLERS: [Option<&str>; 6] = [
    None,
    Some("wk"),
    Some("ops"),
    Some("e-as"),
    Some("e-bx"),
    Some("admin"),
];

/// A row of the table: method, path, body, and a status (or none) per caller.
struct Row {
    method: String,
    path: String,
    body: Option<String>,
    statuses: Vec<Option<u16>>,
}

fn table() -> Vec<Row> {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/access.md"),
    )
    .unwrap();
    doc.lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            let quoted: Vec<&str> = cells[0].split('`').skip(1).step_by(2).collect();
            let (method, path) = quoted[0].split_once(' ').unwrap();
            Row {
                method: method.to_owned(),
                path: path.to_owned(),
                body: quoted.get(1).map(|b| (*b).to_owned()),
                statuses: cells[1..=CALLERS.len()]
                    .iter()
                    .map(|c| c.parse().ok())
                    .collect(),
            }
        })
        .collect()
}

/// Two enterprises with an outlet each (BX publishes its data), their accounts, a day of
/// CEMS hours and a gate record.
pub fn sources(store: &Store) {
    for (id, discloses) in [("AS", false), ("BX", true)] {
        let e = Enterprise {
            id: id.into(),
            name: format!("{id} 企业"),
            admin_unit_id: Some("wangkou".into()),
            ..Enterprise::default()
        };
        let o = Outlet {
            id: format!("{id}-1"),
            enterprise_id: id.into(),
            name: "锅炉".into(),
            kind: OutletKind::Stack,
            height_m: None,
            o2_ref_pct: Some(9.0),
            flow_stopped_m3_h: 0.0,
            limits: vec![Limit {
                code: "a21026".into(),
                limit_mg_m3: 35.0,
                source: String::new(),
            }],
        };
        store.upsert_register(&[e], &[o], 3600.0).unwrap();
        store.set_disclosure(id, discloses, None).unwrap();
        store
            .add_user(&User {
                username: format!("e-{}", id.to_lowercase()),
                password_hash: password::hash("correct horse battery", password::Strength::Device),
                role: Role::Enterprise,
                unit_id: Some(id.into()),
                must_change_password: false,
                created_ms: 0,
            })
            .unwrap();
        let mut obs = Vec::new();
        for h in 0..24 {
            for (code, v) in [("a21026", 20.0), ("a19001", 12.0), ("a00000", 30.0)] {
                obs.push(Observation {
                    station_id: format!("{id}-1").into(),
                    code: code.into(),
                    period: Period::Hour,
                    ts: DAY0 - 86_400 + h * 3600,
                    value: v,
                    flag: "N".into(),
                });
            }
        }
        store
            .commit_batch(&[Ingest {
                packet: None,
                observations: obs,
            }])
            .unwrap();
    }
    store
        .insert_gate_records(&[GateRecord {
            enterprise_id: "AS".into(),
            ts: DAY0 - 86_400 + 8 * 3600,
            plate: "冀A12345".into(),
            direction: Direction::In,
            vehicle_type: "重型半挂牵引车".into(),
            class: VehicleClass::HeavyTruck,
            standard: Standard::China(6),
            fuel: Fuel::Diesel,
        }])
        .unwrap();
}

#[tokio::test]
async fn every_row_of_docs_access_md_is_what_each_caller_gets() {
    let (app, store) = app("access");
    sources(&store);
    let rows = table();
    assert!(rows.len() > 30, "the table is read: {} rows", rows.len());
    let mut sessions = Vec::new();
    for c in CALLERS {
        sessions.push(match c {
            None => None,
            Some(u) => Some(login(&app, u).await),
        });
    }
    let mut wrong = Vec::new();
    for r in &rows {
        for (i, want) in r.statuses.iter().enumerate() {
            let Some(want) = *want else { continue };
            let mut headers = Vec::new();
            if let Some((cookie, csrf)) = &sessions[i] {
                headers.push(("cookie", cookie.as_str()));
                headers.push(("x-csrf-token", csrf.as_str()));
            }
            let body = (r.method == "POST" || r.method == "PUT")
                .then(|| serde_json::from_str(r.body.as_deref().unwrap_or("{}")).unwrap());
            let got = call(&app, &r.method, &r.path, body.clone(), &headers).await;
            // The same rule whether or not a cookie is sent: a dead or made-up session is
            // the public.
            if i == 0 {
                for cookie in ["lantian_session=made-up", "lantian_session="] {
                    let with = call(
                        &app,
                        &r.method,
                        &r.path,
                        body.clone(),
                        &[("cookie", cookie)],
                    )
                    .await;
                    if with.status != got.status {
                        wrong.push(format!(
                            "{} {} with cookie {cookie:?}: {} (without: {})",
                            r.method, r.path, with.status, got.status
                        ));
                    }
                }
            }
            if got.status.as_u16() != want {
                wrong.push(format!(
                    "{} {} as {}: {} (table: {want}) {}",
                    r.method,
                    r.path,
                    CALLERS[i].unwrap_or("public"),
                    got.status.as_u16(),
                    String::from_utf8_lossy(&got.body)
                        .chars()
                        .take(120)
                        .collect::<String>()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn every_route_of_the_api_has_a_row() {
    let (app, _) = app("access-routes");
    let doc = call(&app, "GET", "/api/v1/openapi.json", None, &[])
        .await
        .json();
    let rows = table();
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method = method.to_uppercase();
            let template: Vec<&str> = path.split('/').collect();
            let found = rows.iter().any(|r| {
                let p = r.path.split('?').next().unwrap();
                let p = p.strip_prefix("/api/v1").unwrap_or("");
                let parts: Vec<&str> = p.split('/').collect();
                r.method == method
                    && parts.len() == template.len()
                    && parts
                        .iter()
                        .zip(&template)
                        .all(|(a, t)| a == t || t.starts_with('{'))
            });
            if !found {
                missing.push(format!("{method} {path}"));
            }
        }
    }
    assert!(missing.is_empty(), "not in docs/access.md: {missing:?}");
}

#[tokio::test]
async fn a_treatment_note_is_public_only_with_the_data_it_goes_with() {
    let (app, store) = app("access-note");
    sources(&store);
    store
        .set_disclosure("AS", false, Some("内部：脱硫检修"))
        .unwrap();
    store.set_disclosure("BX", true, Some("布袋除尘")).unwrap();
    let list = call(&app, "GET", "/api/v1/enterprises?per_page=10", None, &[])
        .await
        .json();
    let note = |id: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id)
            .unwrap()["disclosure_note"]
            .clone()
    };
    assert_eq!(
        (note("AS"), note("BX")),
        (Value::Null, Value::from("布袋除尘"))
    );
    let (cookie, _) = login(&app, "e-as").await;
    let own = call(
        &app,
        "GET",
        "/api/v1/enterprises/AS",
        None,
        &[("cookie", &cookie)],
    )
    .await
    .json();
    assert_eq!(
        own["disclosure_note"], "内部：脱硫检修",
        "its own account sees it"
    );
}
