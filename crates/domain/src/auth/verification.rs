//! Verified addresses. Sign-up mails a link; until the owner follows it, the organization
//! can explore but mails no one outside it ([`super::mail_links::ensure_may_mail`]), which
//! keeps Kensa from being used to mail strangers from an address nobody proved.

use chrono::{DateTime, Utc};
use serde_json::json;
use std::time::Duration;
use tracing::instrument;

use super::mail_links::{self, Purpose};
use super::throttle::Policy;
use crate::audit::{self, NewAuditEvent};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::jobs::{self, Job};
use crate::tenant::{RequestMeta, TenantCtx};
use crate::users::repo as users_repo;
use crate::{Kensa, WriteTx};

/// New links a user may ask for in an hour.
pub const RESENDS: Policy = Policy { free: 3, window: Duration::from_secs(3600), backoff: None };

/// Queues the verification mail of `user_id` in `conn`'s transaction (the worker makes the
/// link when it sends it, and sends nothing once the address is verified).
pub(crate) async fn queue(conn: &WriteTx, user_id: uuid::Uuid, now: DateTime<Utc>) -> DomainResult<()> {
    jobs::enqueue(conn, &Job::EmailVerificationMail { user_id, requested_at: now }, now).await?;
    Ok(())
}

/// Mails the signed-in user a new link: `true`. `false` (and no mail) when their address is
/// verified already. Throttled per user (429 with `Retry-After`).
#[instrument(skip_all, fields(org = %ctx.org_id()))]
pub async fn resend(k: &Kensa, ctx: &TenantCtx) -> DomainResult<bool> {
    // An API key is no person with an address: like every `/me` route, there is none.
    let user_id = ctx.user_id().ok_or(DomainError::NotFound("user"))?;
    let user = users_repo::find_by_id(&k.db, user_id.0).await?.ok_or(DomainError::NotFound("user"))?;
    if user.email_verified_at.is_some() {
        return Ok(false);
    }
    let attempt = k.throttle.reserve(&format!("verify:user:{}", user.id), &RESENDS).await?;
    ctx.meta().quotas.record(attempt.report("verify-email", &RESENDS));
    attempt.allowed()?;
    let now = k.now();
    let txn = k.begin_write().await?;
    queue(&txn, user.id, now).await?;
    audit::record(&txn, NewAuditEvent::by_user(&user, "auth.verification_requested", ctx.meta(), json!({}))).await?;
    txn.commit().await?;
    k.wake_worker();
    Ok(true)
}

/// Follows a verification link: the address it was sent to is verified (and, for an
/// owner, the organization). Single use; 410 `link_invalid`, `link_used` or
/// `link_expired` otherwise.
#[instrument(skip_all)]
pub async fn verify(k: &Kensa, token: &str, meta: &RequestMeta) -> DomainResult<()> {
    let now = k.now();
    let row = mail_links::usable(&k.db, token, Purpose::VerifyEmail, now).await?;
    let user = users_repo::find_by_id(&k.db, row.user_id).await?.ok_or(DomainError::NotFound("user"))?;
    let txn = k.begin_write().await?;
    mail_links::consume(&txn, &row, now).await?;
    let verified = mail_links::verify_address(&txn, &user, &row.email, now).await?;
    if !verified {
        // The account's address changed since: this link proves an address it no longer has.
        return Err(DomainError::Gone {
            code: ErrorCode::LinkInvalid,
            detail: "this link was sent to an address the account no longer uses",
        });
    }
    audit::record(
        &txn,
        NewAuditEvent::by_user(&user, "auth.email_verified", meta, json!({ "email": row.email, "via": "link" })),
    )
    .await?;
    txn.commit().await?;
    // The organization's gate reads the database; `/me` reads the principal cache.
    k.principals.invalidate(user.id);
    Ok(())
}

pub use mail_links::ensure_may_mail;
