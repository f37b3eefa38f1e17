//! The login throttle: who may try a password now, decided and counted under one lock before
//! any hash runs, and a cap on the password hashes running at once.
//!
//! A client is its real address: the socket's peer, or, only when that peer is a configured
//! trusted proxy, the nearest untrusted address of `X-Forwarded-For` (IPv6 by its /64).
//! Three counters, each over [`WINDOW`]:
//!
//! * per account and address: [`PAIR_FAILURES_MAX`] wrong passwords, then that address waits
//!   for that account (even the right password);
//! * per address: [`ADDRESS_FAILURES_MAX`] wrong passwords for any accounts, then it waits
//!   (one address spraying many accounts);
//! * per account, from addresses that have not logged in to it before: a bucket of
//!   [`ACCOUNT_BURST`] attempts refilled one per [`ACCOUNT_REFILL`] (many addresses guessing
//!   one account get about 120 tries an hour between them).
//!
//! An address where the account's right password was given in the last [`KNOWN_TTL`] is
//! "known" for it: neither the address counter nor the account bucket applies to it, so an
//! anonymous guesser, however many addresses it has, cannot lock a user out of the account
//! from where the user works (only its own pair counter does, and only for that address).
//!
//! Every attempt is counted as a failure before its hash runs and refunded when the password
//! was right: parallel attempts cannot all pass the check. Every map is bounded: entries
//! expire, and a full map first drops expired entries, then its oldest.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Wrong passwords for one account from one address before that address waits.
pub const PAIR_FAILURES_MAX: u32 = 5;
/// Wrong passwords from one address (any accounts) before it waits.
pub const ADDRESS_FAILURES_MAX: u32 = 20;
/// The window of the two counters above.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Attempts on one account from addresses not known for it, at once…
pub const ACCOUNT_BURST: u32 = 30;
/// …and then one per this interval.
pub const ACCOUNT_REFILL: Duration = Duration::from_secs(30);
/// How long an address stays known for an account after a successful login.
pub const KNOWN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// Entries per map at most.
pub const ENTRIES_MAX: usize = 100_000;
/// Password hashes running at once, per CPU core.
pub const HASHES_PER_CORE: usize = 2;
/// How long an attempt waits for a free hashing slot before it is refused (503).
pub const HASH_WAIT: Duration = Duration::from_secs(3);

/// Why an attempt is refused, and when to try again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Too many wrong passwords for this account from this address.
    Pair { retry_after: Duration },
    /// Too many wrong passwords from this address.
    Address { retry_after: Duration },
    /// Too many attempts on this account from unknown addresses.
    Account { retry_after: Duration },
    /// Every hashing slot is busy.
    Busy,
}

impl Refusal {
    /// Whole seconds to wait, at least 1.
    pub fn retry_after_s(&self) -> u64 {
        match self {
            Refusal::Pair { retry_after }
            | Refusal::Address { retry_after }
            | Refusal::Account { retry_after } => retry_after.as_secs().max(1),
            Refusal::Busy => 1,
        }
    }

    /// The message for people, Chinese first.
    pub fn message(&self) -> String {
        let s = self.retry_after_s();
        match self {
            Refusal::Pair { .. } => format!(
                "该账号从此地址登录失败次数过多，请 {s} 秒后再试 / too many failed logins to this account from this address, try again in {s} s"
            ),
            Refusal::Address { .. } => format!(
                "此地址登录失败次数过多，请 {s} 秒后再试 / too many failed logins from this address, try again in {s} s"
            ),
            Refusal::Account { .. } => format!(
                "该账号近期从多个新地址登录失败，请 {s} 秒后再试，或从常用地址登录 / too many failed logins to this account from new addresses, try again in {s} s or from an address you used before"
            ),
            Refusal::Busy => {
                "登录请求过多，请稍后再试 / too many logins at once, try again shortly".to_owned()
            }
        }
    }

    fn index(&self) -> usize {
        match self {
            Refusal::Pair { .. } => 0,
            Refusal::Address { .. } => 1,
            Refusal::Account { .. } => 2,
            Refusal::Busy => 3,
        }
    }
}

/// The names of the refusal counters, in [`Refusal::index`] order.
pub const REFUSAL_REASONS: [&str; 4] = ["pair", "address", "account", "busy"];

/// An admitted attempt: what to refund when the password was right.
#[derive(Debug)]
pub struct Ticket {
    account: String,
    addr: IpAddr,
    known: bool,
}

#[derive(Debug)]
struct Count {
    failures: u32,
    since: Instant,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

#[derive(Debug, Default)]
struct Maps {
    pairs: HashMap<(String, IpAddr), Count>,
    addresses: HashMap<IpAddr, Count>,
    accounts: HashMap<String, Bucket>,
    known: HashMap<(String, IpAddr), Instant>,
}

/// The throttle of one server: counters under one lock, the hashing slots, and counts of
/// what it refused (for `/metrics`).
#[derive(Debug)]
pub struct Throttle {
    maps: Mutex<Maps>,
    hashing: tokio::sync::Semaphore,
    refused: [AtomicU64; 4],
    failures: AtomicU64,
}

impl Default for Throttle {
    fn default() -> Throttle {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Throttle::new(HASHES_PER_CORE * cores)
    }
}

/// Makes room in a full map: drops what `live` rejects, then the oldest eighth.
fn bound<K: Clone + Eq + std::hash::Hash, V>(
    map: &mut HashMap<K, V>,
    live: impl Fn(&V) -> bool,
    age: impl Fn(&V) -> Instant,
) {
    if map.len() < ENTRIES_MAX {
        return;
    }
    map.retain(|_, v| live(v));
    if map.len() >= ENTRIES_MAX {
        let mut ages: Vec<(Instant, K)> = map.iter().map(|(k, v)| (age(v), k.clone())).collect();
        ages.sort_by_key(|(t, _)| *t);
        for (_, k) in ages.into_iter().take(ENTRIES_MAX / 8) {
            map.remove(&k);
        }
    }
}

/// Counts one failure in a windowed counter; the failures within the window.
fn bump<K: Clone + Eq + std::hash::Hash>(map: &mut HashMap<K, Count>, key: K, now: Instant) {
    bound(map, |c| now.duration_since(c.since) < WINDOW, |c| c.since);
    let c = map.entry(key).or_insert(Count {
        failures: 0,
        since: now,
    });
    if now.duration_since(c.since) >= WINDOW {
        *c = Count {
            failures: 0,
            since: now,
        };
    }
    c.failures += 1;
}

/// How long a counter at or over `max` still waits, if it does.
fn waits(c: Option<&Count>, max: u32, now: Instant) -> Option<Duration> {
    let c = c?;
    let elapsed = now.duration_since(c.since);
    (c.failures >= max && elapsed < WINDOW).then(|| WINDOW - elapsed)
}

fn lock(m: &Mutex<Maps>) -> std::sync::MutexGuard<'_, Maps> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Throttle {
    /// A throttle with `hashes` hashing slots.
    pub fn new(hashes: usize) -> Throttle {
        Throttle {
            maps: Mutex::default(),
            hashing: tokio::sync::Semaphore::new(hashes.max(1)),
            refused: Default::default(),
            failures: AtomicU64::new(0),
        }
    }

    /// Decides whether `account` may be tried from `addr` now and, if so, counts the
    /// attempt as a failure (refunded by [`Throttle::succeeded`]), all under one lock.
    pub fn admit(&self, account: &str, addr: IpAddr, now: Instant) -> Result<Ticket, Refusal> {
        let r = self.admit_locked(account, addr, now);
        if let Err(e) = &r {
            self.count(e);
        }
        r
    }

    fn admit_locked(&self, account: &str, addr: IpAddr, now: Instant) -> Result<Ticket, Refusal> {
        let mut m = lock(&self.maps);
        let pair = (account.to_owned(), addr);
        let known = m
            .known
            .get(&pair)
            .is_some_and(|t| now.duration_since(*t) < KNOWN_TTL);
        if let Some(retry_after) = waits(m.pairs.get(&pair), PAIR_FAILURES_MAX, now) {
            return Err(Refusal::Pair { retry_after });
        }
        if !known {
            if let Some(retry_after) = waits(m.addresses.get(&addr), ADDRESS_FAILURES_MAX, now) {
                return Err(Refusal::Address { retry_after });
            }
            bound(
                &mut m.accounts,
                |b| now.duration_since(b.at) < ACCOUNT_REFILL * ACCOUNT_BURST,
                |b| b.at,
            );
            let b = m.accounts.entry(account.to_owned()).or_insert(Bucket {
                tokens: f64::from(ACCOUNT_BURST),
                at: now,
            });
            let refill = now.duration_since(b.at).as_secs_f64() / ACCOUNT_REFILL.as_secs_f64();
            b.tokens = (b.tokens + refill).min(f64::from(ACCOUNT_BURST));
            b.at = now;
            if b.tokens < 1.0 {
                let retry_after = ACCOUNT_REFILL.mul_f64(1.0 - b.tokens);
                return Err(Refusal::Account { retry_after });
            }
            b.tokens -= 1.0;
            bump(&mut m.addresses, addr, now);
        }
        bump(&mut m.pairs, pair, now);
        Ok(Ticket {
            account: account.to_owned(),
            addr,
            known,
        })
    }

    /// The password was right: the attempt's counts are refunded, the pair's failures
    /// forgotten, and the address becomes known for the account.
    pub fn succeeded(&self, t: Ticket, now: Instant) {
        let mut m = lock(&self.maps);
        let pair = (t.account, t.addr);
        m.pairs.remove(&pair);
        if !t.known {
            if let Some(c) = m.addresses.get_mut(&t.addr) {
                c.failures = c.failures.saturating_sub(1);
            }
            if let Some(b) = m.accounts.get_mut(&pair.0) {
                b.tokens = (b.tokens + 1.0).min(f64::from(ACCOUNT_BURST));
            }
        }
        bound(&mut m.known, |t| now.duration_since(*t) < KNOWN_TTL, |t| *t);
        m.known.insert(pair, now);
    }

    /// The password was wrong (its counts stay).
    pub fn failed(&self, _t: Ticket) {
        self.failures.fetch_add(1, Ordering::Relaxed);
    }

    /// The attempt ended before its password was checked (no slot, an error): its counts
    /// are refunded as if it had not been made.
    pub fn cancelled(&self, t: Ticket) {
        let mut m = lock(&self.maps);
        let pair = (t.account, t.addr);
        if let Some(c) = m.pairs.get_mut(&pair) {
            c.failures = c.failures.saturating_sub(1);
        }
        if !t.known {
            if let Some(c) = m.addresses.get_mut(&t.addr) {
                c.failures = c.failures.saturating_sub(1);
            }
            if let Some(b) = m.accounts.get_mut(&pair.0) {
                b.tokens = (b.tokens + 1.0).min(f64::from(ACCOUNT_BURST));
            }
        }
    }

    /// A hashing slot, waiting at most [`HASH_WAIT`].
    pub async fn hashing(&self) -> Result<tokio::sync::SemaphorePermit<'_>, Refusal> {
        match tokio::time::timeout(HASH_WAIT, self.hashing.acquire()).await {
            Ok(Ok(p)) => Ok(p),
            _ => {
                self.count(&Refusal::Busy);
                Err(Refusal::Busy)
            }
        }
    }

    fn count(&self, r: &Refusal) {
        self.refused[r.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// The counters in Prometheus' text format.
    pub fn render_prometheus(&self) -> String {
        let mut out = String::from(
            "# HELP lantian_api_login_refusals_total Login attempts refused by the throttle, by reason.\n# TYPE lantian_api_login_refusals_total counter\n",
        );
        for (reason, n) in REFUSAL_REASONS.iter().zip(&self.refused) {
            out.push_str(&format!(
                "lantian_api_login_refusals_total{{reason=\"{reason}\"}} {}\n",
                n.load(Ordering::Relaxed)
            ));
        }
        out.push_str(&format!(
            "# HELP lantian_api_login_failures_total Wrong passwords given at login.\n# TYPE lantian_api_login_failures_total counter\nlantian_api_login_failures_total {}\n",
            self.failures.load(Ordering::Relaxed)
        ));
        out
    }
}

/// An address as the throttle keys it: IPv4 (also when mapped into IPv6) as is, IPv6 by
/// its /64, the block one subscriber usually gets.
pub fn key_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

/// The client's address: the peer's, unless the peer is a trusted proxy; then the nearest
/// address of `X-Forwarded-For` (read from the right) that is not a trusted proxy. A peer
/// that is not trusted cannot choose its key with the header.
pub fn client_addr(peer: Option<SocketAddr>, forwarded_for: &[&str], trusted: &[IpAddr]) -> IpAddr {
    let Some(peer) = peer else {
        // No socket (a test's `oneshot`): every such caller shares one key.
        return IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);
    };
    let trusted_ip = |ip: &IpAddr| trusted.contains(ip);
    let mut client = key_of(peer.ip());
    if !trusted_ip(&peer.ip()) {
        return client;
    }
    let hops = forwarded_for
        .iter()
        .flat_map(|h| h.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in hops.into_iter().rev() {
        let parsed = hop
            .parse::<IpAddr>()
            .ok()
            .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()));
        let Some(ip) = parsed else {
            // Unreadable: the nearest trusted hop is the client as far as we can tell.
            return client;
        };
        client = key_of(ip);
        if !trusted_ip(&ip) {
            return client;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse()
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn the_forwarded_header_counts_only_from_a_trusted_proxy() {
        let proxy = ip("10.0.0.1");
        let peer = |s: &str| Some(SocketAddr::new(ip(s), 5000));
        // The peer, X-Forwarded-For, the trusted proxies, the client.
        type Case<'a> = (Option<SocketAddr>, &'a [&'a str], &'a [IpAddr], &'a str);
        let cases: &[Case] = &[
            (peer("192.0.2.7"), &["203.0.113.9"], &[], "192.0.2.7"),
            (peer("192.0.2.7"), &["203.0.113.9"], &[proxy], "192.0.2.7"),
            (peer("10.0.0.1"), &["203.0.113.9"], &[proxy], "203.0.113.9"),
            (
                peer("10.0.0.1"),
                &["1.1.1.1, 203.0.113.9"],
                &[proxy],
                "203.0.113.9",
            ),
            (
                peer("10.0.0.1"),
                &["203.0.113.9, 10.0.0.1"],
                &[proxy],
                "203.0.113.9",
            ),
            (peer("10.0.0.1"), &["junk"], &[proxy], "10.0.0.1"),
            (peer("10.0.0.1"), &[], &[proxy], "10.0.0.1"),
            (peer("::ffff:192.0.2.7"), &[], &[], "192.0.2.7"),
            (peer("2001:db8:1:2:3:4:5:6"), &[], &[], "2001:db8:1:2::"),
            (None, &["203.0.113.9"], &[], "0.0.0.0"),
        ];
        for (peer, xff, trusted, want) in cases {
            assert_eq!(
                client_addr(*peer, xff, trusted),
                ip(want),
                "{peer:?} {xff:?}"
            );
        }
    }

    #[test]
    fn counters_refuse_at_their_limits_and_known_addresses_pass() {
        let t = Throttle::new(1);
        let now = Instant::now();
        let (a, b) = (ip("192.0.2.1"), ip("192.0.2.2"));
        // The owner logs in from `a` once: `a` is known for `admin`.
        let ok = t.admit("admin", a, now);
        assert!(ok.is_ok());
        if let Ok(k) = ok {
            t.succeeded(k, now);
        }
        // Five wrong passwords from `b`, then `b` waits for `admin`.
        for _ in 0..PAIR_FAILURES_MAX {
            let k = t.admit("admin", b, now);
            assert!(k.is_ok());
            if let Ok(k) = k {
                t.failed(k);
            }
        }
        assert!(matches!(
            t.admit("admin", b, now),
            Err(Refusal::Pair { .. })
        ));
        // Addresses 3.. drain the account's bucket; then new addresses wait, `a` does not.
        let mut refused = 0;
        for i in 0..ACCOUNT_BURST * 2 {
            let addr = IpAddr::V4(std::net::Ipv4Addr::from(0xC633_6400 + i));
            match t.admit("admin", addr, now) {
                Ok(k) => t.failed(k),
                Err(Refusal::Account { .. }) => refused += 1,
                Err(e) => panic!("{e:?}"),
            }
        }
        assert_eq!(
            refused,
            ACCOUNT_BURST + PAIR_FAILURES_MAX,
            "b's five wrong tries took five of the thirty"
        );
        assert!(t.admit("admin", a, now).is_ok(), "the known address passes");
        let metrics = t.render_prometheus();
        for want in [
            "lantian_api_login_refusals_total{reason=\"pair\"} 1\n".to_owned(),
            format!(
                "lantian_api_login_refusals_total{{reason=\"account\"}} {}\n",
                ACCOUNT_BURST + PAIR_FAILURES_MAX
            ),
            "lantian_api_login_failures_total 30\n".to_owned(),
        ] {
            assert!(metrics.contains(&want), "{want} not in {metrics}");
        }
        // Later, the pair's window is over and the bucket has refilled.
        let later = now + WINDOW;
        assert!(t.admit("admin", b, later).is_ok());
    }
}
