//! What an unauthenticated peer may cost the gateway, bounded: password failures per (MN,
//! source address) with a lockout, connections per address, and archive rows of refused
//! packets per address. Every map here has a fixed maximum of entries.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Entries of each map at most: beyond it, expired entries are dropped first; what is still
/// live stays, and a new key is not tracked (see each method for what that means).
pub const KEYS_MAX: usize = 65_536;

/// The window of the per-address archive allowance for refused packets.
pub const ARCHIVE_WINDOW: Duration = Duration::from_secs(60);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The limits (from [`crate::Config`]).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub failures_max: u32,
    pub failure_window: Duration,
    pub connections_per_address_max: usize,
    pub refused_archived_per_address_per_min: u32,
}

#[derive(Debug, Default)]
struct Failures {
    /// The times of the failures within the window (at most `failures_max`).
    at: VecDeque<Instant>,
    locked_until: Option<Instant>,
}

/// What a password failure led to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    Counted,
    /// This failure reached the maximum: the (MN, address) is locked out from now.
    LockedOut,
}

#[derive(Debug)]
pub struct Guard {
    limits: Limits,
    failures: Mutex<HashMap<(String, IpAddr), Failures>>,
    connections: Arc<Mutex<HashMap<IpAddr, usize>>>,
    archived: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

/// A connection counted against its address until dropped.
#[derive(Debug)]
pub struct AddressPermit {
    ip: IpAddr,
    connections: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for AddressPermit {
    fn drop(&mut self) {
        let mut c = lock(&self.connections);
        if let Some(n) = c.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                c.remove(&self.ip);
            }
        }
    }
}

impl Guard {
    pub fn new(limits: Limits) -> Guard {
        Guard {
            limits,
            failures: Mutex::new(HashMap::new()),
            connections: Arc::default(),
            archived: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the (MN, address) is locked out now. Checked before the registry and the
    /// password, so a locked-out guesser costs neither a database read nor a hash.
    pub fn locked(&self, mn: &str, ip: IpAddr) -> bool {
        let now = Instant::now();
        lock(&self.failures)
            .get(&(mn.to_owned(), ip))
            .and_then(|f| f.locked_until)
            .is_some_and(|t| now < t)
    }

    /// Counts a wrong password of a registered MN from `ip`. With the table full of live
    /// entries a new key is not tracked: its connection is still closed after the reply.
    pub fn fail(&self, mn: &str, ip: IpAddr) -> Failure {
        let now = Instant::now();
        let window = self.limits.failure_window;
        let mut map = lock(&self.failures);
        let key = (mn.to_owned(), ip);
        if !map.contains_key(&key) && map.len() >= KEYS_MAX {
            map.retain(|_, f| live(f, now, window));
            if map.len() >= KEYS_MAX {
                return Failure::Counted;
            }
        }
        let f = map.entry(key).or_default();
        if f.locked_until.is_some_and(|t| now >= t) {
            *f = Failures::default();
        }
        while f
            .at
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            f.at.pop_front();
        }
        f.at.push_back(now);
        if f.at.len() >= self.limits.failures_max as usize {
            f.at.clear();
            f.locked_until = Some(now + window);
            return Failure::LockedOut;
        }
        Failure::Counted
    }

    /// A connection from `ip`, or None when the address has its maximum open already.
    pub fn connect(&self, ip: IpAddr) -> Option<AddressPermit> {
        let mut c = lock(&self.connections);
        let n = c.entry(ip).or_default();
        if *n >= self.limits.connections_per_address_max {
            return None;
        }
        *n += 1;
        Some(AddressPermit {
            ip,
            connections: self.connections.clone(),
        })
    }

    /// Whether a refused packet from `ip` is archived: at most the configured number per
    /// address and minute. With the table full of live entries a new address is not.
    pub fn archive_refused(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let mut map = lock(&self.archived);
        if !map.contains_key(&ip) && map.len() >= KEYS_MAX {
            map.retain(|_, (start, _)| now.duration_since(*start) < ARCHIVE_WINDOW);
            if map.len() >= KEYS_MAX {
                return false;
            }
        }
        let (start, n) = map.entry(ip).or_insert((now, 0));
        if now.duration_since(*start) >= ARCHIVE_WINDOW {
            (*start, *n) = (now, 0);
        }
        *n += 1;
        *n <= self.limits.refused_archived_per_address_per_min
    }

    /// Entries of the three maps (for tests of their bounds).
    #[cfg(test)]
    pub fn sizes(&self) -> (usize, usize, usize) {
        (
            lock(&self.failures).len(),
            lock(&self.connections).len(),
            lock(&self.archived).len(),
        )
    }
}

fn live(f: &Failures, now: Instant, window: Duration) -> bool {
    f.locked_until.is_some_and(|t| now < t)
        || f.at.back().is_some_and(|t| now.duration_since(*t) < window)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(failures_max: u32, window_ms: u64) -> Guard {
        Guard::new(Limits {
            failures_max,
            failure_window: Duration::from_millis(window_ms),
            connections_per_address_max: 2,
            refused_archived_per_address_per_min: 3,
        })
    }

    #[test]
    fn the_tenth_failure_locks_the_mn_and_address_and_no_other() {
        let g = guard(10, 60_000);
        let (a, b): (IpAddr, IpAddr) = ("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap());
        for i in 1..=10 {
            let want = if i == 10 {
                Failure::LockedOut
            } else {
                Failure::Counted
            };
            assert_eq!(g.fail("MN1", a), want, "failure {i}");
        }
        assert!(g.locked("MN1", a));
        assert!(!g.locked("MN1", b), "another address");
        assert!(!g.locked("MN2", a), "another MN");
    }

    #[test]
    fn a_lockout_ends_when_its_window_has_passed() {
        let g = guard(2, 50);
        g.fail("MN1", "::1".parse().unwrap());
        assert_eq!(g.fail("MN1", "::1".parse().unwrap()), Failure::LockedOut);
        assert!(g.locked("MN1", "::1".parse().unwrap()));
        std::thread::sleep(Duration::from_millis(60));
        assert!(!g.locked("MN1", "::1".parse().unwrap()));
    }

    #[test]
    fn connections_per_address_are_limited_and_given_back() {
        let g = guard(10, 1000);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let (p1, p2) = (g.connect(ip), g.connect(ip));
        assert!(p1.is_some() && p2.is_some());
        assert!(g.connect(ip).is_none(), "the third");
        drop(p1);
        assert!(g.connect(ip).is_some(), "one given back");
        drop(p2);
        assert_eq!(
            g.sizes().1,
            0,
            "no entry for an address without connections"
        );
    }

    #[test]
    fn refused_packets_are_archived_three_per_address_and_minute() {
        let g = guard(10, 1000);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let got: Vec<bool> = (0..5).map(|_| g.archive_refused(ip)).collect();
        assert_eq!(got, [true, true, true, false, false]);
        assert!(g.archive_refused("10.0.0.2".parse().unwrap()));
    }
}
