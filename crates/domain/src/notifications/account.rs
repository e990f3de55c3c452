//! Mails about the recipient's own account: "verify your address", "reset your password"
//! (their links are made here, when the mail goes out) and "your password was changed".

use chrono::{DateTime, Utc};
use tracing::instrument;
use uuid::Uuid;

use crate::Kensa;
use crate::auth::mail_links::{self, Purpose};
use crate::entities::users;
use crate::error::DomainResult;
use crate::ids::JobId;
use crate::users::repo as users_repo;

/// A mail with a single-use link to the account's address (`Debug` hides the link).
#[derive(Clone)]
pub struct AccountLinkMail {
    pub to: String,
    pub name: String,
    pub locale: String,
    pub link: String,
    pub expires_at: DateTime<Utc>,
}
crate::redacted_debug!(AccountLinkMail { to, name, locale, expires_at } secret { link });

/// "Your password was changed".
#[derive(Clone, Debug)]
pub struct PasswordChanged {
    pub to: String,
    pub name: String,
    pub locale: String,
    pub at: DateTime<Utc>,
    /// The client address the reset came from.
    pub address: String,
    /// Where to ask for another reset if it was not them.
    pub reset_url: String,
}

async fn link_mail(
    k: &Kensa,
    user: &users::Model,
    purpose: Purpose,
    path: &str,
    job: JobId,
    now: DateTime<Utc>,
) -> DomainResult<Option<AccountLinkMail>> {
    let txn = k.begin_write().await?;
    let token = k.jwt.mail_link_token(job, purpose.as_str(), user.id);
    let Some((token, expires_at)) = mail_links::issue(&txn, user, purpose, token, now).await? else {
        return Ok(None);
    };
    txn.commit().await?;
    let mut link = k.public_url.clone();
    link.set_path(&format!("{path}{token}"));
    Ok(Some(AccountLinkMail {
        to: user.email.clone(),
        name: user.name.clone(),
        locale: user.locale.clone(),
        link: link.to_string(),
        expires_at,
    }))
}

/// `None` when the user is gone, deactivated or verified already.
#[instrument(skip_all, fields(user = %user_id))]
pub async fn prepare_verification(
    k: &Kensa,
    job: JobId,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<Option<AccountLinkMail>> {
    let Some(user) = users_repo::find_by_id(&k.db, user_id).await? else { return Ok(None) };
    if !user.active || user.email_verified_at.is_some() {
        return Ok(None);
    }
    link_mail(k, &user, Purpose::VerifyEmail, "/verify/", job, now).await
}

/// `None` when the user is gone or deactivated. The new link ends the older ones.
#[instrument(skip_all, fields(user = %user_id))]
pub async fn prepare_reset(
    k: &Kensa,
    job: JobId,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<Option<AccountLinkMail>> {
    let Some(user) = users_repo::find_by_id(&k.db, user_id).await? else { return Ok(None) };
    if !user.active {
        return Ok(None);
    }
    link_mail(k, &user, Purpose::PasswordReset, "/reset/", job, now).await
}

/// `None` when the user is gone.
pub async fn prepare_password_changed(
    k: &Kensa,
    user_id: Uuid,
    address: &str,
    at: DateTime<Utc>,
) -> DomainResult<Option<PasswordChanged>> {
    let Some(user) = users_repo::find_by_id(&k.db, user_id).await? else { return Ok(None) };
    let mut reset_url = k.public_url.clone();
    reset_url.set_path("/forgot-password");
    Ok(Some(PasswordChanged {
        to: user.email,
        name: user.name,
        locale: user.locale,
        at,
        address: address.chars().take(64).collect(),
        reset_url: reset_url.to_string(),
    }))
}
