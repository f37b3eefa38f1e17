//! Which archive chain this process writes. Each gateway instance has its own chain (named
//! in its settings, `main` by default), so several gateways on different machines can write
//! one PostgreSQL or Citus database: each appends to its chain alone, and each chain
//! verifies on its own. On PostgreSQL a chain is claimed with a session advisory lock held
//! for the life of the store, so that a second gateway under the same name is refused
//! instead of forking the chain.

use crate::archive::{GENESIS, Hash, MAIN_CHAIN};
use crate::error::StoreError;
use crate::{Backend, Part, Store, lock, pg};

/// The chain a store writes, and on PostgreSQL the connection holding its lock.
pub(crate) struct Claim {
    name: String,
    _lock: Option<postgres::Client>,
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
                let got: bool = c
                    .query_one(
                        "SELECT pg_try_advisory_lock(7235213, hashtext($1))",
                        &[&name],
                    )?
                    .get(0);
                if !got {
                    return Err(StoreError::Conflict {
                        what: format!(
                            "archive chain {name:?} is being written by another gateway on this database: give each gateway its own name (gateway_name in the serve settings)"
                        ),
                    });
                }
                Some(c)
            }
            Backend::Sqlite { .. } => None,
        };
        // The head as the database has it now (the store read every head at open; a process
        // that wrote this chain since then has let go of it).
        let head = self.read_from(Part::Archive, |c| {
            c.query(
                "SELECT seq, hash FROM archive WHERE chain = $1 ORDER BY seq DESC LIMIT 1",
                &[name.into()],
            )
        })?;
        let head = head.first().map_or((0, GENESIS), |r| {
            let hash: Hash = r[1]
                .blob()
                .and_then(|b| b.try_into().ok())
                .unwrap_or(GENESIS);
            (r[0].int().unwrap_or(0), hash)
        });
        lock(&self.heads).insert(name.to_owned(), head);
        *claim = Some(Claim {
            name: name.to_owned(),
            _lock: held,
        });
        Ok(())
    }

    /// The chain this store appends to: the one claimed, else `main`, claimed now.
    pub(crate) fn write_chain(&self) -> Result<String, StoreError> {
        if let Some(c) = lock(&self.claim).as_ref() {
            return Ok(c.name.clone());
        }
        self.claim_chain(MAIN_CHAIN)?;
        Ok(MAIN_CHAIN.to_owned())
    }

    /// The chain this store appends to (`main` until another is claimed).
    pub fn chain_name(&self) -> String {
        lock(&self.claim)
            .as_ref()
            .map_or_else(|| MAIN_CHAIN.to_owned(), |c| c.name.clone())
    }
}
