//! Throttle counters in Redis, shared by every API replica. Each reservation is one Lua
//! script, so counting an attempt and deciding on it are a single atomic step on the server
//! (no check-then-count race between replicas or concurrent requests).

use std::time::Duration;

use async_trait::async_trait;
use kensa_domain::DomainError;
use kensa_domain::auth::throttle::{Attempt, LoginThrottle, Policy};
use kensa_domain::config::ConfigError;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

pub struct RedisThrottle {
    conn: ConnectionManager,
    prefix: String,
}

impl RedisThrottle {
    pub fn new(conn: ConnectionManager, prefix: &str) -> Self {
        Self { conn, prefix: prefix.to_owned() }
    }

    fn key(&self, key: &str) -> String {
        format!("{}:throttle:{key}", self.prefix)
    }
}

fn unavailable(_: redis::RedisError) -> DomainError {
    DomainError::Unavailable("redis".into())
}

/// KEYS[1] a hash {n, until}; ARGV: free, window ms, base ms (0 = no backoff), cap ms.
/// Time is Redis's own clock, so replicas with skewed clocks agree. Mirrors
/// `MemoryThrottle::reserve`. Returns {count, retry-after ms (0 = allowed), ms until the key
/// expires}.
const RESERVE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local free, window, base, cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local v = redis.call('HMGET', KEYS[1], 'n', 'until')
local n, untl = tonumber(v[1]), tonumber(v[2]) or 0
if n == nil then
  n = 0
  redis.call('HSET', KEYS[1], 'n', 0)
  redis.call('PEXPIRE', KEYS[1], window)
end
local blocked = untl > now
n = n + 1
redis.call('HSET', KEYS[1], 'n', n)
if n >= free then
  if base > 0 then
    local exp = math.min(n - free, 30)
    local d = math.min(cap, base * (2 ^ exp))
    local u = math.max(untl, now + d)
    redis.call('HSET', KEYS[1], 'until', u)
    redis.call('PEXPIRE', KEYS[1], u - now + window)
    untl = u
  else
    local ttl = redis.call('PTTL', KEYS[1])
    if ttl < 0 then ttl = window; redis.call('PEXPIRE', KEYS[1], window) end
    if not blocked then untl = now + ttl end
    redis.call('HSET', KEYS[1], 'until', untl)
  end
end
local wait = 0
if blocked then wait = math.max(1, untl - now) end
return {n, wait, math.max(0, redis.call('PTTL', KEYS[1]))}
";

/// Decrements the count of an existing key, never below zero.
const RELEASE: &str = r"
local n = tonumber(redis.call('HGET', KEYS[1], 'n'))
if n ~= nil and n > 0 then redis.call('HSET', KEYS[1], 'n', n - 1) end
return 0
";

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[async_trait]
impl LoginThrottle for RedisThrottle {
    async fn reserve(&self, key: &str, policy: &Policy) -> Result<Attempt, DomainError> {
        let mut conn = self.conn.clone();
        let (base, cap) = policy.backoff.map_or((0, 0), |(b, c)| (millis(b), millis(c)));
        let (count, wait_ms, ttl_ms): (u64, u64, u64) = redis::cmd("EVAL")
            .arg(RESERVE)
            .arg(1)
            .arg(self.key(key))
            .arg(policy.free)
            .arg(millis(policy.window))
            .arg(base)
            .arg(cap)
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(Attempt {
            count,
            retry_after_secs: (wait_ms > 0).then(|| wait_ms.div_ceil(1000).max(1)),
            reset_secs: ttl_ms.div_ceil(1000).max(1),
        })
    }

    async fn release(&self, key: &str) -> Result<(), DomainError> {
        let mut conn = self.conn.clone();
        let _: i64 = redis::cmd("EVAL")
            .arg(RELEASE)
            .arg(1)
            .arg(self.key(key))
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn reset(&self, key: &str) -> Result<(), DomainError> {
        let mut conn = self.conn.clone();
        let _: i64 = redis::cmd("DEL").arg(self.key(key)).query_async(&mut conn).await.map_err(unavailable)?;
        Ok(())
    }

    async fn first_in(&self, key: &str, interval: Duration) -> Result<bool, DomainError> {
        let mut conn = self.conn.clone();
        let set: Option<String> = redis::cmd("SET")
            .arg(self.key(key))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(millis(interval))
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(set.is_some())
    }
}

/// Connects with few retries: a Redis that is down should stop the start, not stall it.
pub async fn connect(url: &str) -> Result<ConnectionManager, ConfigError> {
    let client =
        redis::Client::open(url).map_err(|e| ConfigError::new("REDIS_URL", format!("not a usable Redis URL: {e}")))?;
    let config = ConnectionManagerConfig::new()
        .set_number_of_retries(1)
        .set_connection_timeout(Some(Duration::from_secs(3)))
        .set_response_timeout(Some(Duration::from_secs(3)));
    ConnectionManager::new_with_config(client, config)
        .await
        .map_err(|e| ConfigError::new("REDIS_URL", format!("cannot connect to Redis: {:?}", e.kind())))
}
