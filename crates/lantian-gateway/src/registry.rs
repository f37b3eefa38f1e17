//! Devices and their stations' unit factors, read from the store at each login (so that a
//! password change, a disabled or a removed device takes effect without a restart), with a
//! short, bounded negative cache so that a flood from an unknown MN does not reach the
//! database every time.

use lantian_store::device_keys::DeviceKey;
use lantian_store::{Device, Store};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A registered device, its station's unit factors per code, and its station.
#[derive(Debug)]
pub struct Entry {
    pub device: Device,
    pub factors: HashMap<String, f64>,
}

const NEGATIVE_TTL: Duration = Duration::from_secs(10);

/// Unknown MNs remembered at most: an MN is a peer's choice.
const UNKNOWN_MAX: usize = 10_000;

pub struct Registry {
    store: Arc<Store>,
    unknown: Mutex<HashMap<String, Instant>>,
    /// MN → keyed hash of (password, stored hash) that verified: Argon2 runs once per
    /// device and password, not once per connection; a new stored hash (`lantian device
    /// passwd`) no longer matches. One entry per registered MN.
    verified: Mutex<HashMap<String, u64>>,
    hasher: std::collections::hash_map::RandomState,
    /// Password checks running at once: each Argon2 check takes 4 MiB and milliseconds of
    /// CPU, and 10,000 devices reconnecting together must not take 40 GiB or every thread.
    checking: tokio::sync::Semaphore,
    /// MN → the HJ 212-2025 keys read for it and when (profile2025.rs). Bounded like
    /// `unknown`: the MN of an encrypted packet is read before any login.
    keys: Mutex<HashMap<String, KeysRead>>,
    /// Every MN that has a key, and when it was read: an MN outside it costs no lookup.
    keyed: Mutex<Option<(Instant, Arc<HashSet<String>>)>>,
}

/// The HJ 212-2025 keys read for an MN, and when.
type KeysRead = (Instant, Arc<Vec<DeviceKey>>);

/// Argon2 checks at once.
const CHECKS_MAX: usize = 4;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Registry {
    pub fn new(store: Arc<Store>) -> Registry {
        Registry {
            store,
            unknown: Mutex::new(HashMap::new()),
            verified: Mutex::new(HashMap::new()),
            hasher: std::collections::hash_map::RandomState::new(),
            checking: tokio::sync::Semaphore::new(CHECKS_MAX),
            keys: Mutex::new(HashMap::new()),
            keyed: Mutex::new(None),
        }
    }

    /// Whether `mn` has HJ 212-2025 keys (the set of keyed MNs read again when older than
    /// `ttl`). A store error is an error: the caller refuses rather than accept clear data.
    pub async fn has_keys(&self, mn: &str, ttl: Duration) -> Result<bool, String> {
        if let Some((at, set)) = lock(&self.keyed).as_ref()
            && at.elapsed() < ttl
        {
            return Ok(set.contains(mn));
        }
        let store = self.store.clone();
        let mns = tokio::task::spawn_blocking(move || store.keyed_mns())
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        let set: Arc<HashSet<String>> = Arc::new(mns.into_iter().collect());
        let has = set.contains(mn);
        *lock(&self.keyed) = Some((Instant::now(), set));
        Ok(has)
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The keys a gateway may decrypt with for `mn` (pending, active, retiring, the last
    /// retired), read again when older than `ttl`.
    pub async fn keys(&self, mn: &str, ttl: Duration) -> Result<Arc<Vec<DeviceKey>>, String> {
        if let Some((at, k)) = lock(&self.keys).get(mn)
            && at.elapsed() < ttl
        {
            return Ok(k.clone());
        }
        let (store, key) = (self.store.clone(), mn.to_owned());
        let keys = tokio::task::spawn_blocking(move || store.gateway_device_keys(&key))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        let keys = Arc::new(keys);
        let mut cache = lock(&self.keys);
        if cache.len() >= UNKNOWN_MAX {
            cache.clear();
        }
        cache.insert(mn.to_owned(), (Instant::now(), keys.clone()));
        Ok(keys)
    }

    /// Forgets the keys read for `mn` (after the gateway changed them).
    pub fn forget_keys(&self, mn: &str) {
        lock(&self.keys).remove(mn);
        *lock(&self.keyed) = None;
    }

    /// Whether `password` is the device's, checking the Argon2 hash only the first time.
    pub async fn check_password(&self, entry: &Entry, password: &str) -> bool {
        use std::hash::BuildHasher;
        let key = self
            .hasher
            .hash_one((password, entry.device.password_hash.as_str()));
        if lock(&self.verified).get(&entry.device.mn) == Some(&key) {
            return true;
        }
        let Ok(_permit) = self.checking.acquire().await else {
            return false;
        };
        // Another connection of the same device may have verified it meanwhile.
        if lock(&self.verified).get(&entry.device.mn) == Some(&key) {
            return true;
        }
        let (pw, hash) = (password.to_owned(), entry.device.password_hash.clone());
        let ok = tokio::task::spawn_blocking(move || lantian_store::password::verify(&pw, &hash))
            .await
            .unwrap_or(false);
        if ok {
            lock(&self.verified).insert(entry.device.mn.clone(), key);
        }
        ok
    }

    /// The device with this MN as the store has it now, if registered.
    pub async fn get(&self, mn: &str) -> Result<Option<Arc<Entry>>, String> {
        if lock(&self.unknown)
            .get(mn)
            .is_some_and(|t| t.elapsed() < NEGATIVE_TTL)
        {
            return Ok(None);
        }
        let store = self.store.clone();
        let key = mn.to_owned();
        let found = tokio::task::spawn_blocking(move || -> Result<Option<Entry>, String> {
            let Some(device) = store.device(&key).map_err(|e| e.to_string())? else {
                return Ok(None);
            };
            let factors = store
                .station_units(&device.station_id)
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|u| (u.code, u.factor))
                .collect();
            Ok(Some(Entry { device, factors }))
        })
        .await
        .map_err(|e| e.to_string())??;
        match found {
            Some(e) => Ok(Some(Arc::new(e))),
            None => {
                let mut unknown = lock(&self.unknown);
                if unknown.len() >= UNKNOWN_MAX {
                    unknown.retain(|_, t| t.elapsed() < NEGATIVE_TTL);
                    if unknown.len() >= UNKNOWN_MAX {
                        // Only a cache: starting afresh costs database reads, not memory.
                        unknown.clear();
                    }
                }
                unknown.insert(mn.to_owned(), Instant::now());
                Ok(None)
            }
        }
    }
}
