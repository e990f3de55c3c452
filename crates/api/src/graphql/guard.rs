//! Per-process protection of `POST /graphql`: a bounded number of requests execute at once
//! (the rest wait briefly, then are shed with 503), and anonymous callers are rate-limited
//! per client address. Both live in memory: with several replicas the bounds are per
//! replica, which is what protects each one's memory and database pool.

use kensa_domain::ErrorCode;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use kensa_domain::config::GraphqlSettings;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::limits::ANONYMOUS_PER_MINUTE;
use super::refusal::Refusal;
use crate::rate_limit::Quota;

/// How long a request waits for a free slot before it is shed.
pub const QUEUE_WAIT: Duration = Duration::from_secs(2);
/// Requests that may wait per slot; beyond, new ones are shed at once.
pub const QUEUE_PER_SLOT: usize = 4;
const WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered before expired windows are swept (and, if all are live, the oldest
/// half is forgotten: never all of them, which would hand every address a fresh allowance).
const MAX_ADDRESSES: usize = 100_000;

pub struct GraphqlGuard {
    pub settings: GraphqlSettings,
    slots: std::sync::Arc<Semaphore>,
    waiting: AtomicUsize,
    /// Signed-in bodies (up to 8 MiB each) being read at once: bounds the memory they hold
    /// before an execution slot is even asked for.
    bodies: std::sync::Arc<Semaphore>,
    /// Keyed by the throttle's address key (trusted proxies resolved, IPv6 by /64).
    anonymous: Mutex<HashMap<String, (Instant, u32)>>,
}

impl GraphqlGuard {
    pub fn new(settings: GraphqlSettings) -> Self {
        let slots = std::sync::Arc::new(Semaphore::new(settings.concurrency));
        let bodies = std::sync::Arc::new(Semaphore::new(2 * settings.concurrency));
        Self { settings, slots, waiting: AtomicUsize::new(0), bodies, anonymous: Mutex::new(HashMap::new()) }
    }

    /// Leave to read a signed-in body now, or 503 `overloaded` when as many as two per
    /// execution slot are already being read.
    pub fn body_permit(&self) -> Result<OwnedSemaphorePermit, Refusal> {
        self.bodies.clone().try_acquire_owned().map_err(|_| {
            Refusal::new(503, ErrorCode::Overloaded, "too many GraphQL requests are being received; retry shortly")
                .retry_after(1)
        })
    }

    /// A slot to execute in, or 503 `overloaded` (with `Retry-After`) when too many wait or
    /// the wait is too long.
    pub async fn slot(&self) -> Result<OwnedSemaphorePermit, Refusal> {
        let overloaded = || {
            Refusal::new(503, ErrorCode::Overloaded, "too many GraphQL requests are running; retry shortly")
                .retry_after(1)
        };
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(permit);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= QUEUE_PER_SLOT * self.settings.concurrency {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(overloaded());
        }
        let acquired = tokio::time::timeout(QUEUE_WAIT, self.slots.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        match acquired {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(overloaded()),
        }
    }

    /// Counts one anonymous request from `address`: 429 with `Retry-After` past the limit.
    /// Either way, the quota as it stands (for the `RateLimit` fields).
    pub fn anonymous_request(&self, address: String, now: Instant) -> Result<Quota, Refusal> {
        let mut windows = self.anonymous.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() >= MAX_ADDRESSES {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
            if windows.len() >= MAX_ADDRESSES {
                let mut starts: Vec<Instant> = windows.values().map(|(start, _)| *start).collect();
                let (_, median, _) = starts.select_nth_unstable(windows.len() / 2);
                let median = *median;
                windows.retain(|_, (start, _)| *start > median);
            }
        }
        let entry = windows.entry(address).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        let reset = WINDOW.saturating_sub(now.duration_since(entry.0)).as_secs().max(1);
        let quota = Quota {
            policy: "graphql-anonymous",
            limit: u64::from(ANONYMOUS_PER_MINUTE),
            window_secs: Some(WINDOW.as_secs()),
            unit: None,
            remaining: u64::from(ANONYMOUS_PER_MINUTE.saturating_sub(entry.1)),
            reset_secs: Some(reset),
        };
        if entry.1 > ANONYMOUS_PER_MINUTE {
            return Err(Refusal::new(
                429,
                ErrorCode::TooManyRequests,
                format!("at most {ANONYMOUS_PER_MINUTE} anonymous GraphQL requests per minute and address"),
            )
            .retry_after(reset)
            .quota(quota));
        }
        Ok(quota)
    }
}
