//! Throttles for everything anonymous that costs a password hash: sign-in, sign-up and
//! invitation acceptance.
//!
//! Every attempt is *reserved* before any work is done: one atomic step counts it and says
//! whether it may proceed (in memory under one lock; in Redis in one Lua script), so a burst
//! of concurrent requests cannot slip past a check made before the count. The in-memory
//! counters serve one process; the API plugs in Redis ones when `REDIS_URL` is set so that
//! replicas share them.
//!
//! A key is governed by a [`Policy`]: the first `free` attempts in a window pass; after that
//! either every attempt is refused until the window ends (sign-up), or each attempt sets an
//! exponentially growing delay before the next one may proceed (sign-in; an attempt made
//! during the delay is refused and doubles it, up to a cap).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use crate::error::DomainError;

/// How one kind of key is limited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Attempts that pass without delay.
    pub free: u64,
    /// With `backoff`: how long a key is remembered after its last delay ends. Without:
    /// the fixed window counted from the key's first attempt.
    pub window: Duration,
    /// `(base, cap)`: the attempt that reaches `free` sets a delay of `base`, each further
    /// one doubles it, never beyond `cap`. `None`: refuse until the window ends.
    pub backoff: Option<(Duration, Duration)>,
}

/// Sign-in attempts per (account, client address): the owner's typos and an attacker at
/// another address do not share a counter, so an attacker cannot lock the owner out.
pub const LOGIN_PER_ACCOUNT_AND_ADDRESS: Policy = Policy {
    free: 5,
    window: Duration::from_secs(15 * 60),
    backoff: Some((Duration::from_secs(1), Duration::from_secs(15 * 60))),
};

/// Sign-in attempts per client address across accounts (password spraying). Successful
/// sign-ins are given back, so an office behind one address is not slowed by its own users.
pub const LOGIN_PER_ADDRESS: Policy = Policy {
    free: 20,
    window: Duration::from_secs(15 * 60),
    backoff: Some((Duration::from_secs(1), Duration::from_secs(15 * 60))),
};

/// Failed sign-ins to one account from anywhere, counted only to tell its owner.
pub const FAILURES_BEFORE_NOTICE: u64 = 5;
pub const ACCOUNT_FAILURES: Policy = Policy { free: u64::MAX, window: Duration::from_secs(15 * 60), backoff: None };
/// At most one "repeated failed sign-ins" mail per account in this interval.
pub const NOTICE_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// What a reservation found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// Attempts on the key in its window, this one included.
    pub count: u64,
    /// `Some(seconds)`: refused, retry after that long.
    pub retry_after_secs: Option<u64>,
    /// Seconds until the key's count starts again from zero.
    pub reset_secs: u64,
}

impl Attempt {
    /// The quota as the caller is told it (`RateLimit` headers), under the name `policy`.
    pub fn report(&self, policy_name: &'static str, policy: &Policy) -> QuotaReport {
        QuotaReport {
            policy: policy_name,
            limit: policy.free,
            window_secs: policy.window.as_secs(),
            remaining: if self.retry_after_secs.is_some() { 0 } else { policy.free.saturating_sub(self.count) },
            reset_secs: self.retry_after_secs.unwrap_or(self.reset_secs),
        }
    }

    /// `Err(429)` when refused.
    pub fn allowed(self) -> Result<u64, DomainError> {
        match self.retry_after_secs {
            Some(retry_after_secs) => Err(DomainError::TooManyRequests { retry_after_secs }),
            None => Ok(self.count),
        }
    }
}

/// One quota a request was counted against, for the `RateLimit-Policy` and `RateLimit`
/// response headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotaReport {
    pub policy: &'static str,
    /// Requests that pass in a window.
    pub limit: u64,
    pub window_secs: u64,
    /// Left in the current window (0 when refused).
    pub remaining: u64,
    /// Seconds until more are allowed.
    pub reset_secs: u64,
}

/// The quotas one request was counted against, filled in by the services and read by the
/// API when it answers (shared by the clones of one request's [`crate::tenant::RequestMeta`]).
#[derive(Clone, Debug, Default)]
pub struct QuotaLog(std::sync::Arc<Mutex<Vec<QuotaReport>>>);

impl QuotaLog {
    pub fn record(&self, report: QuotaReport) {
        let mut reports = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        reports.retain(|r| r.policy != report.policy);
        reports.push(report);
    }

    pub fn reports(&self) -> Vec<QuotaReport> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

#[async_trait]
pub trait LoginThrottle: Send + Sync {
    /// Counts one attempt on `key` and decides, in one atomic step, whether it may proceed.
    async fn reserve(&self, key: &str, policy: &Policy) -> Result<Attempt, DomainError>;
    /// Gives back one attempt (a successful sign-in does not count against its address).
    async fn release(&self, key: &str) -> Result<(), DomainError>;
    /// Forgets the key.
    async fn reset(&self, key: &str) -> Result<(), DomainError>;
    /// True for the first call with `key` in `interval`, false for the others.
    async fn first_in(&self, key: &str, interval: Duration) -> Result<bool, DomainError>;
}

/// The part of a key that names an account: a hash of the normalised address, so keys have
/// a fixed length whatever was submitted and hold no address in clear.
pub fn account_key(email: &str) -> String {
    hex::encode(&Sha256::digest(email.as_bytes())[..16])
}

/// The part of a key that names a client: the address, or its /64 for IPv6 (one subscriber
/// usually holds a whole /64, so single IPv6 addresses would cost an attacker nothing).
pub fn address_key(client_ip: Option<&str>) -> String {
    match client_ip.and_then(|ip| ip.parse::<std::net::IpAddr>().ok()) {
        Some(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(std::net::IpAddr::V6(v6)) => v6.to_ipv4_mapped().map(|v4| v4.to_string()).unwrap_or_default(),
        Some(ip) => ip.to_string(),
        None => "unknown".into(),
    }
}

/// Past this many keys, expired ones are dropped; if that is not enough, the half with the
/// fewest attempts goes (bounded memory, without resetting the counters that matter).
const MAX_ENTRIES: usize = 100_000;

struct Entry {
    count: u64,
    until: Option<Instant>,
    expires: Instant,
}

#[derive(Default)]
pub struct MemoryThrottle {
    entries: Mutex<HashMap<String, Entry>>,
}

impl MemoryThrottle {
    fn with_entries<T>(&self, f: impl FnOnce(&mut HashMap<String, Entry>, Instant) -> T) -> Result<T, DomainError> {
        let mut entries = self.entries.lock().map_err(|_| DomainError::internal("throttle lock poisoned"))?;
        let now = Instant::now();
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, e| e.expires > now);
            if entries.len() >= MAX_ENTRIES {
                // Forget the half with the fewest attempts: a flood of fresh keys (one attempt
                // each) pushes out its own kind, while the counters of an attacked account or
                // address, which have many, stay. Clearing everything would reset those too.
                let mut counts: Vec<u64> = entries.values().map(|e| e.count).collect();
                let half = counts.len() / 2;
                let (_, pivot, _) = counts.select_nth_unstable(half);
                let pivot = *pivot;
                let mut keep_at_pivot = entries.values().filter(|e| e.count > pivot).count();
                entries.retain(|_, e| {
                    if e.count > pivot {
                        return true;
                    }
                    if e.count == pivot && keep_at_pivot < half {
                        keep_at_pivot += 1;
                        return true;
                    }
                    false
                });
            }
        }
        Ok(f(&mut entries, now))
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_millis().div_ceil(1000).max(1).try_into().unwrap_or(u64::MAX)
}

/// `base × 2^(count − free)`, at most `cap`.
fn backoff_delay(count: u64, policy: &Policy, base: Duration, cap: Duration) -> Duration {
    let exponent = u32::try_from(count.saturating_sub(policy.free)).unwrap_or(u32::MAX).min(30);
    base.saturating_mul(1 << exponent).min(cap)
}

#[async_trait]
impl LoginThrottle for MemoryThrottle {
    async fn reserve(&self, key: &str, policy: &Policy) -> Result<Attempt, DomainError> {
        self.with_entries(|entries, now| {
            let entry = entries.entry(key.to_owned()).or_insert(Entry { count: 0, until: None, expires: now });
            if entry.expires <= now {
                *entry = Entry { count: 0, until: None, expires: now + policy.window };
            }
            let blocked = entry.until.is_some_and(|until| until > now);
            entry.count = entry.count.saturating_add(1);
            if entry.count >= policy.free {
                match policy.backoff {
                    Some((base, cap)) => {
                        let until =
                            (now + backoff_delay(entry.count, policy, base, cap)).max(entry.until.unwrap_or(now));
                        entry.until = Some(until);
                        entry.expires = until + policy.window;
                    }
                    None => entry.until = Some(entry.expires),
                }
            }
            // A refused attempt reports the delay as it stands after this attempt raised it.
            let retry_after_secs =
                entry.until.filter(|_| blocked).map(|until| ceil_secs(until.saturating_duration_since(now)));
            let reset_secs = ceil_secs(entry.expires.saturating_duration_since(now));
            Attempt { count: entry.count, retry_after_secs, reset_secs }
        })
    }

    async fn release(&self, key: &str) -> Result<(), DomainError> {
        self.with_entries(|entries, _| {
            if let Some(entry) = entries.get_mut(key) {
                entry.count = entry.count.saturating_sub(1);
            }
        })
    }

    async fn reset(&self, key: &str) -> Result<(), DomainError> {
        self.with_entries(|entries, _| {
            entries.remove(key);
        })
    }

    async fn first_in(&self, key: &str, interval: Duration) -> Result<bool, DomainError> {
        self.with_entries(|entries, now| match entries.get(key) {
            Some(entry) if entry.expires > now => false,
            _ => {
                entries.insert(key.to_owned(), Entry { count: 1, until: None, expires: now + interval });
                true
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_backoff_key_lets_the_free_attempts_through_then_doubles_the_delay() -> Result<(), DomainError> {
        let t = MemoryThrottle::default();
        for _ in 0..LOGIN_PER_ACCOUNT_AND_ADDRESS.free {
            assert_eq!(t.reserve("k", &LOGIN_PER_ACCOUNT_AND_ADDRESS).await?.retry_after_secs, None);
        }
        let first = t.reserve("k", &LOGIN_PER_ACCOUNT_AND_ADDRESS).await?.retry_after_secs.unwrap_or(0);
        let second = t.reserve("k", &LOGIN_PER_ACCOUNT_AND_ADDRESS).await?.retry_after_secs.unwrap_or(0);
        assert!(first >= 1 && second > first, "{first} then {second}");
        Ok(())
    }

    #[tokio::test]
    async fn a_window_key_refuses_past_its_allowance() -> Result<(), DomainError> {
        let t = MemoryThrottle::default();
        let policy = Policy { free: 2, window: Duration::from_secs(60), backoff: None };
        assert!(t.reserve("s", &policy).await?.allowed().is_ok());
        assert!(t.reserve("s", &policy).await?.allowed().is_ok());
        assert!(t.reserve("s", &policy).await?.retry_after_secs.is_some_and(|s| s <= 60));
        Ok(())
    }

    #[tokio::test]
    async fn a_flood_of_fresh_keys_cannot_reset_an_attacked_accounts_count() -> Result<(), DomainError> {
        let t = MemoryThrottle::default();
        // An hour of back-off: the flood below takes seconds on a loaded machine, and the
        // victim's next attempt must still fall inside its back-off when it is checked.
        let policy = &Policy {
            backoff: Some((Duration::from_secs(3600), Duration::from_secs(3600))),
            ..LOGIN_PER_ACCOUNT_AND_ADDRESS
        };
        for _ in 0..policy.free {
            t.reserve("victim", policy).await?;
        }
        for i in 0..MAX_ENTRIES + 10 {
            t.reserve(&format!("junk-{i}"), policy).await?;
        }
        // Still past its free attempts: the eviction took junk, not the victim's counter.
        assert!(t.reserve("victim", policy).await?.retry_after_secs.is_some());
        Ok(())
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_prefix() {
        assert_eq!(address_key(Some("2001:db8:1:2:3:4:5:6")), address_key(Some("2001:db8:1:2:ffff::1")));
        assert_eq!(address_key(Some("::ffff:10.0.0.1")), "10.0.0.1");
        assert_eq!(address_key(None), "unknown");
    }
}
