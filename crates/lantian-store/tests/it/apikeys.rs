//! Open-data API keys stored on SQLite and PostgreSQL: inserted by hash, counted, limited
//! and revoked once (compare-and-set).

use super::on_both;
use lantian_store::StoreError;
use lantian_store::apikeys::{self, NewApiKey};

#[test]
fn keys_are_stored_by_hash_counted_limited_and_revoked_once_on_both_backends() {
    on_both("apikeys", |store, _| {
        let key = apikeys::new_key();
        let row = store
            .insert_api_key(&NewApiKey {
                key_hash: apikeys::key_hash(&key),
                prefix: apikeys::key_prefix(&key),
                name: "王".into(),
                email: "w@example.org".into(),
                purpose: "研究".into(),
                created_ms: 1_000,
                created_by: "public".into(),
                per_hour: None,
                burst: None,
            })
            .unwrap();
        assert_eq!(row.prefix.len(), apikeys::KEY_PREFIX_LEN);
        let found = store.api_key_by_hash(&apikeys::key_hash(&key)).unwrap();
        assert_eq!(found.as_ref().map(|r| r.id), Some(row.id));
        assert!(
            store
                .api_key_by_hash(&apikeys::key_hash("ltk_x"))
                .unwrap()
                .is_none()
        );
        for at in [2_000, 3_000] {
            store.count_api_key_use(row.id, at).unwrap();
        }
        let limited = store.set_api_key_limit(row.id, Some(100), Some(9)).unwrap();
        assert_eq!(
            (
                limited.requests,
                limited.last_used_ms,
                limited.per_hour,
                limited.burst
            ),
            (2, Some(3_000), Some(100), Some(9))
        );
        let revoked = store
            .revoke_api_key(row.id, 4_000, "bureau", "abuse")
            .unwrap();
        assert_eq!(revoked.revoked_ms, Some(4_000));
        assert!(matches!(
            store.revoke_api_key(row.id, 5_000, "bureau", "again"),
            Err(StoreError::Refused { .. })
        ));
        assert_eq!(
            store.api_key(row.id).unwrap().revoked_reason.as_deref(),
            Some("abuse")
        );
        assert!(matches!(
            store.api_key(row.id + 99),
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(store.api_keys().unwrap().len(), 1);
    });
}
