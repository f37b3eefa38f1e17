//! Which archive chain this process writes. Each gateway instance has its own chain (named
//! in its settings, `main` by default), so several gateways on different machines can write
//! one PostgreSQL or Citus database: each appends to its chain alone, and each chain
//! verifies on its own. On PostgreSQL a chain is claimed with a session advisory lock held
//! for the life of the store, so that a second gateway under the same name is refused
//! instead of forking the chain.

use crate::archive::{GENESIS, Hash, MAIN_CHAIN};
use crate::error::StoreError;
use crate::{Backend, Part, Store, lock, pg};
use std::time::{Duration, Instant};

/// The chain a store writes, and on PostgreSQL the connection holding its lock and when
/// that connection was last seen alive.
pub(crate) struct Claim {
    name: String,
    lock: Option<postgres::Client>,
    checked: Instant,
}

/// How often a writer checks that the connection holding its chain's lock is alive.
pub const LOCK_CHECK_EVERY: Duration = Duration::from_secs(5);

/// Takes the session lock of chain `name` on `c`; false when another session holds it.
fn try_lock(c: &mut postgres::Client, name: &str) -> Result<bool, StoreError> {
    Ok(c.query_one(
        "SELECT pg_try_advisory_lock(7235213, hashtext($1))",
        &[&name],
    )?
    .get(0))
}

fn in_use(name: &str) -> StoreError {
    StoreError::Conflict {
        what: format!(
            "archive chain {name:?} is being written by another gateway on this database: give each gateway its own name (gateway_name in the serve settings)"
        ),
    }
}

/// Longest chain name, in characters.
pub const CHAIN_NAME_MAX: usize = 32;

/// A chain name: 1 to 32 ASCII letters, digits, `-` or `_`.
pub fn check_chain_name(name: &str) -> Result<(), StoreError> {
    let ok = !name.is_empty()
        && name.len() <= CHAIN_NAME_MAX
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid {
            what: format!(
                "archive chain name {name:?}: use 1 to {CHAIN_NAME_MAX} ASCII letters, digits, '-' or '_'"
            ),
        })
    }
}

impl Store {
    /// Makes `name` the chain this store appends packets to, and reads its head. On
    /// PostgreSQL the chain is locked for as long as the store is open: another process
    /// claiming the same name gets [`StoreError::Conflict`]. Claiming the name already
    /// claimed does nothing; another name after the first is refused.
    pub fn claim_chain(&self, name: &str) -> Result<(), StoreError> {
        check_chain_name(name)?;
        let mut claim = lock(&self.claim);
        if let Some(c) = claim.as_ref() {
            if c.name == name {
                return Ok(());
            }
            return Err(StoreError::Conflict {
                what: format!(
                    "this process already writes archive chain {:?}; it cannot switch to {name:?}",
                    c.name
                ),
            });
        }
        let held = match &self.backend {
            Backend::Postgres { url, .. } => {
                let mut c = pg::connect(url)?;
                if !try_lock(&mut c, name)? {
                    return Err(in_use(name));
                }
                Some(c)
            }
            Backend::Sqlite { .. } => None,
        };
        // The head as the database has it now (the store read every head at open; a process
        // that wrote this chain since then has let go of it).
        self.reload_head(name)?;
        *claim = Some(Claim {
            name: name.to_owned(),
            lock: held,
            checked: Instant::now(),
        });
        Ok(())
    }

    /// Reads the head of `chain` from the database into the heads this store appends to.
    pub(crate) fn reload_head(&self, chain: &str) -> Result<(), StoreError> {
        let head = self.read_from(Part::Archive, |c| {
            c.query(
                "SELECT seq, hash FROM archive WHERE chain = $1 ORDER BY seq DESC LIMIT 1",
                &[chain.into()],
            )
        })?;
        let head = head.first().map_or((0, GENESIS), |r| {
            let hash: Hash = r[1]
                .blob()
                .and_then(|b| b.try_into().ok())
                .unwrap_or(GENESIS);
            (r[0].int().unwrap_or(0), hash)
        });
        lock(&self.heads).insert(chain.to_owned(), head);
        Ok(())
    }

    /// The chain this store appends to: the one claimed, else `main`, claimed now. On
    /// PostgreSQL the lock's connection is checked every [`LOCK_CHECK_EVERY`]: a lock lost
    /// with its connection (a server restart, a terminated session) is taken again, or, if
    /// another gateway took the name meanwhile, every write of packets is refused.
    pub(crate) fn write_chain(&self) -> Result<String, StoreError> {
        let mut claim = lock(&self.claim);
        let Some(c) = claim.as_mut() else {
            drop(claim);
            self.claim_chain(MAIN_CHAIN)?;
            return Ok(MAIN_CHAIN.to_owned());
        };
        if c.checked.elapsed() >= LOCK_CHECK_EVERY
            && let Some(held) = c.lock.as_mut()
        {
            if held.batch_execute("SELECT 1").is_err() {
                let Backend::Postgres { url, .. } = &self.backend else {
                    unreachable!("only PostgreSQL holds a lock connection")
                };
                let mut fresh = pg::connect(url)?;
                if !try_lock(&mut fresh, &c.name)? {
                    return Err(in_use(&c.name));
                }
                *held = fresh;
                let name = c.name.clone();
                drop(claim);
                self.reload_head(&name)?;
                return Ok(name);
            }
            c.checked = Instant::now();
        }
        Ok(c.name.clone())
    }

    /// The chain this store appends to (`main` until another is claimed).
    pub fn chain_name(&self) -> String {
        lock(&self.claim)
            .as_ref()
            .map_or_else(|| MAIN_CHAIN.to_owned(), |c| c.name.clone())
    }
}
