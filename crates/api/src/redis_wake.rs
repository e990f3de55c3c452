//! Wake-ups across processes: after queuing jobs the API publishes on a Redis channel and
//! every worker subscribed to it starts at once instead of at its next poll. Redis only
//! carries the hint; the jobs themselves are rows in the database.

use kensa_domain::WakeSignal;
use redis::aio::ConnectionManager;

pub struct RedisWake {
    conn: ConnectionManager,
    channel: String,
}

impl RedisWake {
    pub fn new(conn: ConnectionManager, channel: String) -> Self {
        Self { conn, channel }
    }
}

impl WakeSignal for RedisWake {
    fn wake(&self) {
        let mut conn = self.conn.clone();
        let channel = self.channel.clone();
        tokio::spawn(async move {
            let published: Result<i64, _> =
                redis::cmd("PUBLISH").arg(&channel).arg("jobs").query_async(&mut conn).await;
            if let Err(e) = published {
                tracing::warn!(error = ?e.kind(), "could not publish a worker wake-up; workers will poll");
            }
        });
    }
}
