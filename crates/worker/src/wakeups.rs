//! Listening for wake-ups published through Redis by the API (see the API's `redis_wake`) on
//! `Settings::wakeup_channel`.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{Notify, oneshot, watch};
use tracing::{info, warn};

/// Subscribes and turns every message into a local notification, until `shutdown`.
/// Reconnects after failures; `ready` fires once the first subscription stands.
pub async fn listen(
    redis_url: String,
    channel: String,
    notify: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
    ready: Option<oneshot::Sender<()>>,
) {
    let mut ready = ready;
    while !*shutdown.borrow() {
        match subscribe(&redis_url, &channel).await {
            Ok(mut pubsub) => {
                info!(%channel, "listening for worker wake-ups");
                if let Some(tx) = ready.take() {
                    let _ = tx.send(());
                }
                let mut messages = pubsub.on_message();
                loop {
                    tokio::select! {
                        _ = shutdown.changed() => return,
                        message = messages.next() => match message {
                            Some(_) => notify.notify_one(),
                            None => break,
                        },
                    }
                }
                warn!("wake-up subscription ended; reconnecting");
            }
            Err(e) => warn!(error = ?e.kind(), "cannot subscribe to worker wake-ups; polling only, retrying"),
        }
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
}

async fn subscribe(redis_url: &str, channel: &str) -> redis::RedisResult<redis::aio::PubSub> {
    let client = redis::Client::open(redis_url)?;
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(channel).await?;
    Ok(pubsub)
}
