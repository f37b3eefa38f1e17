//! The Citus layout (run by scripts/test-citus against a coordinator and two workers): time
//! series distributed and colocated by station, the archive by chain, the rest reference
//! tables, and one station's hours on one shard. On plain PostgreSQL: nothing of Citus.

use super::story::{obs, station};
use lantian_store::testing::{PgDb, citus_workers, pg_url};
use lantian_store::*;

#[test]
fn tables_are_distributed_by_station_and_chain_on_citus_and_plain_elsewhere() {
    let Some(base) = pg_url() else { return };
    let db = PgDb::create(&base, "citus-layout");
    let store = Store::open(&Location::Postgres(db.url.clone())).unwrap();
    let mut c = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let Some(workers) = citus_workers() else {
        assert!(!citus::is_citus(&mut c).unwrap());
        assert_eq!(citus::distribute(&mut c).unwrap(), 0);
        return;
    };
    // What each table became: h = hash-distributed, n = reference; colocation groups.
    let kinds: Vec<(String, String, String, i32)> = c
        .query(
            "SELECT logicalrelid::regclass::text, partmethod::text, \
             coalesce(column_to_column_name(logicalrelid, partkey), ''), colocationid \
             FROM pg_dist_partition ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    let of = |t: &str| {
        kinds
            .iter()
            .find(|k| k.0 == t)
            .unwrap_or_else(|| panic!("{t} is not in the Citus metadata: {kinds:?}"))
            .clone()
    };
    let obs_kind = of("observations");
    assert_eq!(
        (obs_kind.1.as_str(), obs_kind.2.as_str()),
        ("h", "station_id")
    );
    for t in ["rollup_hourly", "corrections", "backfilled"] {
        let k = of(t);
        assert_eq!(
            (k.1.as_str(), k.2.as_str(), k.3),
            ("h", "station_id", obs_kind.3),
            "{t}"
        );
    }
    let archive = of("archive");
    assert_eq!((archive.1.as_str(), archive.2.as_str()), ("h", "chain"));
    assert_eq!(of("archive_checkpoints").3, archive.3);
    for t in [
        "stations",
        "admin_units",
        "devices",
        "users",
        "audit_log",
        "alarms",
        "settings",
    ] {
        assert_eq!(of(t).1, "n", "{t} is a reference table");
    }
    assert!(kinds.iter().all(|k| k.0 != "schema_migrations"));
    // Every table the migrations made is in the layout but the migrations' own.
    let tables: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(kinds.len() as i64, tables - 1, "{kinds:?}");
    // A second open changes nothing.
    assert_eq!(citus::distribute(&mut c).unwrap(), 0);

    // Hours of two stations: each station's rows and rollups on one shard, the shards
    // spread over both workers.
    s_ingest(&store);
    let placements: Vec<(String, i32)> = c
        .query(
            "SELECT DISTINCT s.table_name::text, s.nodeport FROM citus_shards s \
             WHERE s.table_name::text IN ('observations', 'rollup_hourly') ORDER BY 1, 2",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let ports: std::collections::BTreeSet<i32> = placements.iter().map(|p| p.1).collect();
    assert_eq!(ports.len(), workers.len(), "{placements:?}");
    for id in ["CT-1", "CT-2"] {
        let shards: i64 = c
            .query_one(
                "SELECT count(DISTINCT get_shard_id_for_distribution_column('observations', station_id)) \
                 FROM observations WHERE station_id = $1",
                &[&id],
            )
            .unwrap()
            .get(0);
        assert_eq!(shards, 1, "{id}");
        assert_eq!(
            store
                .hourly(id, "a34004", DAY0, DAY0 + 86_400, View::Raw)
                .unwrap()
                .len(),
            24
        );
    }
}

const DAY0: i64 = 20_000 * 86_400;

fn s_ingest(store: &Store) {
    let mut batch = Vec::new();
    for id in ["CT-1", "CT-2"] {
        store
            .upsert_admin_unit(&AdminUnit {
                id: "xinji".into(),
                name_zh: "辛集市".into(),
                name_en: "Xinji".into(),
                kind: UnitKind::City,
                parent_id: None,
                lat: None,
                lon: None,
            })
            .unwrap();
        store.upsert_station(&station(id, "xinji")).unwrap();
        batch.push(Ingest {
            packet: None,
            observations: (0..24)
                .map(|h| obs(id, "a34004", Period::Hour, DAY0 + h * 3600, 30.0 + h as f64))
                .collect(),
        });
    }
    let out = store.commit_batch(&batch).unwrap();
    assert_eq!(out.observations_new, 48);
}
