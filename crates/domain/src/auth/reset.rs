//! Password reset by mail. Asking answers the same whether or not the address has an
//! account (and does the same work: throttles, one lookup, one write transaction), so the
//! form tells no one who uses Kensa. The link works once, for 30 minutes, and only the
//! latest one works. Using it sets the password under the sign-up policy, ends every
//! session of the account, verifies the address, and mails a notice to it.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use std::time::Duration;
use tracing::instrument;

use super::mail_links::{self, Purpose};
use super::password;
use super::throttle::{self, Policy};
use crate::audit::{self, NewAuditEvent};
use crate::entities::{browser_sessions, refresh_tokens, users};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::jobs::{self, Job};
use crate::tenant::RequestMeta;
use crate::users::model::{EmailAddress, Validator};
use crate::users::repo as users_repo;
use crate::{Kensa, WriteTx};

const HOUR: Duration = Duration::from_secs(3600);
/// Reset requests per client address, whatever the addresses asked for.
pub const REQUESTS_PER_ADDRESS: Policy = Policy { free: 10, window: HOUR, backoff: None };
/// Reset requests per account address, from anywhere (counted for unknown addresses too,
/// so the throttle tells nothing either): a stranger cannot flood someone's mailbox.
pub const REQUESTS_PER_ACCOUNT: Policy = Policy { free: 3, window: HOUR, backoff: None };
/// New passwords set per client address (each costs a password hash).
pub const RESETS_PER_ADDRESS: Policy = Policy { free: 10, window: HOUR, backoff: None };

/// Asks for a reset link for `email`. `Ok` whether or not the address has an account;
/// 422 when it is not an address at all; 429 past either throttle.
#[instrument(skip_all)]
pub async fn request(k: &Kensa, email: &str, meta: &RequestMeta) -> DomainResult<()> {
    if email.len() > 254 {
        return Err(DomainError::validation("email", ErrorCode::InvalidEmail, "must be at most 254 bytes"));
    }
    let email = EmailAddress::parse("email", email).map_err(|e| DomainError::Validation(vec![e]))?;
    let address = throttle::address_key(meta.client_ip.as_deref());
    let by_address = k.throttle.reserve(&format!("reset:addr:{address}"), &REQUESTS_PER_ADDRESS).await?;
    meta.quotas.record(by_address.report("password-reset-address", &REQUESTS_PER_ADDRESS));
    by_address.allowed()?;
    let account = throttle::account_key(email.as_str());
    let by_account = k.throttle.reserve(&format!("reset:account:{account}"), &REQUESTS_PER_ACCOUNT).await?;
    meta.quotas.record(by_account.report("password-reset-account", &REQUESTS_PER_ACCOUNT));
    by_account.allowed()?;
    let user = users_repo::find_by_email(&k.db, email.as_str()).await?.filter(|u| u.active);
    let now = k.now();
    // A written transaction either way (an empty one would commit without a disk flush,
    // and the time saved would tell that the address has no account): an unknown address
    // is audited without an organization, as failed sign-ins of unknown addresses are.
    let txn = k.begin_write().await?;
    match &user {
        Some(user) => {
            jobs::enqueue(&txn, &Job::PasswordResetMail { user_id: user.id, requested_at: now }, now).await?;
            audit::record(&txn, NewAuditEvent::by_user(user, "auth.password_reset_requested", meta, json!({}))).await?;
        }
        None => {
            let unknown = NewAuditEvent {
                organization_id: None,
                actor_user_id: None,
                action: "auth.password_reset_requested",
                target: None,
                meta,
                details: json!({ "email": email.as_str(), "account": false }),
            };
            audit::record(&txn, unknown).await?;
        }
    }
    txn.commit().await?;
    if user.is_some() {
        k.wake_worker();
    }
    Ok(())
}

/// Whether a reset link still works (the page shows its form only then); changes nothing.
pub async fn check(k: &Kensa, token: &str) -> DomainResult<()> {
    mail_links::usable(&k.db, token, Purpose::PasswordReset, k.now()).await.map(|_| ())
}

/// Sets a new password with a reset link (see the module's comment). 410 `link_invalid`,
/// `link_used` or `link_expired` for a link that does not work; 422 for a password the
/// sign-up policy refuses (the link still works then).
#[instrument(skip_all)]
pub async fn complete(k: &Kensa, token: &str, new_password: &str, meta: &RequestMeta) -> DomainResult<()> {
    let address = throttle::address_key(meta.client_ip.as_deref());
    let attempt = k.throttle.reserve(&format!("reset:use:{address}"), &RESETS_PER_ADDRESS).await?;
    meta.quotas.record(attempt.report("password-reset-use", &RESETS_PER_ADDRESS));
    attempt.allowed()?;
    let now = k.now();
    let row = mail_links::usable(&k.db, token, Purpose::PasswordReset, now).await?;
    let user = users_repo::find_by_id(&k.db, row.user_id).await?.filter(|u| u.active).ok_or(DomainError::Gone {
        code: ErrorCode::LinkInvalid,
        detail: "this link is not valid; ask for a new one",
    })?;
    let org = crate::entities::organizations::Entity::find_by_id(user.organization_id).one(&k.db).await?;
    let org_name = org.map(|o| o.name).unwrap_or_default();
    let mut v = Validator::default();
    v.extend(password::policy_violations(new_password, &user.email, &[&user.name, &org_name]));
    v.finish()?;
    let password_hash = k.passwords.hash(new_password).await?;
    let txn = k.begin_write().await?;
    mail_links::consume(&txn, &row, now).await?;
    let mut active: users::ActiveModel = user.clone().into();
    active.password_hash = Set(password_hash);
    active.updated_at = Set(now);
    users::Entity::update(active).exec(&txn).await?;
    // The mail reached the address: it is proven.
    let verified = mail_links::verify_address(&txn, &user, &row.email, now).await? && user.email_verified_at.is_none();
    end_every_session(&txn, user.id, now).await?;
    let client = meta.client_ip.as_deref().unwrap_or("unknown").chars().take(64).collect::<String>();
    jobs::enqueue(&txn, &Job::PasswordChangedMail { user_id: user.id, address: client, at: now }, now).await?;
    audit::record(&txn, NewAuditEvent::by_user(&user, "auth.password_reset", meta, json!({ "sessions_ended": true })))
        .await?;
    if verified {
        audit::record(
            &txn,
            NewAuditEvent::by_user(
                &user,
                "auth.email_verified",
                meta,
                json!({ "email": row.email, "via": "password_reset" }),
            ),
        )
        .await?;
    }
    txn.commit().await?;
    k.principals.invalidate(user.id);
    k.wake_worker();
    Ok(())
}

/// Ends every sign-in of the user (its refresh tokens revoked, so every access token of
/// theirs is refused too, and its browser sessions ended; listed as ended by the reset),
/// then revokes whatever token or browser session no sign-in row covers; the caller clears
/// the principal cache after the commit.
async fn end_every_session(txn: &WriteTx, user_id: uuid::Uuid, now: DateTime<Utc>) -> DomainResult<()> {
    super::sign_ins::close_all_of_user(txn, user_id, now, super::sign_ins::EndReason::PasswordReset).await?;
    super::mfa::void_tickets(txn, user_id, now).await?;
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::UserId.eq(user_id))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(txn)
        .await?;
    browser_sessions::Entity::update_many()
        .col_expr(browser_sessions::Column::EndedAt, Expr::value(now))
        .filter(browser_sessions::Column::UserId.eq(user_id))
        .filter(browser_sessions::Column::EndedAt.is_null())
        .exec(txn)
        .await?;
    Ok(())
}
