//! Mails about the recipient's own account. "Someone is trying to sign in to your account":
//! when their account sees repeated failed sign-ins (throttling slows the guesser without
//! locking the owner out; this tells the owner, who can then choose a stronger password).
//! "A new sign-in from an address you never used": so that a stolen password is noticed.
//! The mails are prepared in `notifications::login_failure`.

use crate::Kensa;
use crate::entities::users;
use crate::error::DomainResult;
use crate::jobs::{self, Job};
use crate::tenant::RequestMeta;

/// Queues the mail as a durable job (the caller limits it to one per interval; the job's
/// key to one per user and interval window, whatever the callers' throttles share).
pub(crate) async fn queue(k: &Kensa, user: &users::Model, failures: u64, meta: &RequestMeta) -> DomainResult<()> {
    let now = k.now();
    let job = Job::LoginFailureNoticeMail {
        user_id: user.id,
        failures,
        address: meta.client_ip.as_deref().unwrap_or("unknown").to_owned(),
        at: now,
    };
    let txn = k.begin_write().await?;
    let queued = jobs::enqueue(&txn, &job, now).await?;
    txn.commit().await?;
    if matches!(queued, jobs::Enqueued::Queued(_)) {
        k.wake_worker();
    }
    Ok(())
}

/// Queues "new sign-in from an address you never used" in the sign-in's transaction.
pub(crate) async fn queue_new_address(
    k: &Kensa,
    txn: &crate::WriteTx,
    user: &users::Model,
    meta: &RequestMeta,
) -> DomainResult<()> {
    let job = Job::NewSignInNoticeMail {
        user_id: user.id,
        address: meta.client_ip.as_deref().unwrap_or("unknown").to_owned(),
        user_agent: meta.user_agent.clone(),
        at: k.now(),
    };
    jobs::enqueue(txn, &job, k.now()).await?;
    Ok(())
}
