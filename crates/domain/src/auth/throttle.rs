//! Login throttling: after [`MAX_FAILURES`] failures within [`WINDOW`] for one key (an
//! account or a client address), further attempts are refused until the window ends.
//! The in-memory counter serves one process; the API plugs in a Redis one when
//! `REDIS_URL` is set so that replicas share counts.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::error::DomainError;

pub const MAX_FAILURES: u64 = 5;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

#[async_trait]
pub trait LoginThrottle: Send + Sync {
    /// `Some(seconds)` to wait when the key is locked.
    async fn blocked_for(&self, key: &str) -> Result<Option<u64>, DomainError>;
    async fn record_failure(&self, key: &str) -> Result<(), DomainError>;
    async fn reset(&self, key: &str) -> Result<(), DomainError>;
}

#[derive(Default)]
pub struct MemoryThrottle {
    entries: Mutex<HashMap<String, (u64, Instant)>>,
}

impl MemoryThrottle {
    fn with_entries<T>(&self, f: impl FnOnce(&mut HashMap<String, (u64, Instant)>) -> T) -> Result<T, DomainError> {
        let mut entries = self.entries.lock().map_err(|_| DomainError::internal("throttle lock poisoned"))?;
        let now = Instant::now();
        entries.retain(|_, (_, started)| now.duration_since(*started) < WINDOW);
        Ok(f(&mut entries))
    }
}

#[async_trait]
impl LoginThrottle for MemoryThrottle {
    async fn blocked_for(&self, key: &str) -> Result<Option<u64>, DomainError> {
        self.with_entries(|entries| {
            entries
                .get(key)
                .filter(|(count, _)| *count >= MAX_FAILURES)
                .map(|(_, started)| WINDOW.saturating_sub(started.elapsed()).as_secs().max(1))
        })
    }

    async fn record_failure(&self, key: &str) -> Result<(), DomainError> {
        self.with_entries(|entries| entries.entry(key.to_owned()).or_insert((0, Instant::now())).0 += 1)
    }

    async fn reset(&self, key: &str) -> Result<(), DomainError> {
        self.with_entries(|entries| {
            entries.remove(key);
        })
    }
}
