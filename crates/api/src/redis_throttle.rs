//! Login throttle counters in Redis, shared by every API replica. A counter is created by
//! the first failure and expires with the window.

use std::time::Duration;

use async_trait::async_trait;
use kensa_domain::DomainError;
use kensa_domain::auth::throttle::{LoginThrottle, MAX_FAILURES, WINDOW};
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
        format!("{}:{key}", self.prefix)
    }
}

fn unavailable(_: redis::RedisError) -> DomainError {
    DomainError::Unavailable("redis".into())
}

#[async_trait]
impl LoginThrottle for RedisThrottle {
    async fn blocked_for(&self, key: &str) -> Result<Option<u64>, DomainError> {
        let mut conn = self.conn.clone();
        let key = self.key(key);
        let (count, ttl): (Option<u64>, i64) = redis::pipe()
            .cmd("GET")
            .arg(&key)
            .cmd("TTL")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(match count {
            Some(n) if n >= MAX_FAILURES => Some(u64::try_from(ttl).unwrap_or(1).max(1)),
            _ => None,
        })
    }

    async fn record_failure(&self, key: &str) -> Result<(), DomainError> {
        let mut conn = self.conn.clone();
        let key = self.key(key);
        let _: (u64, i64) = redis::pipe()
            .atomic()
            .cmd("INCR")
            .arg(&key)
            .cmd("EXPIRE")
            .arg(&key)
            .arg(WINDOW.as_secs())
            .arg("NX")
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
