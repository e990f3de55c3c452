//! "Someone is trying to sign in to your account": a mail to the owner when their account
//! sees repeated failed sign-ins. Throttling slows the guesser without locking the owner
//! out; this tells the owner, who can then choose a stronger password.

use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use serde_json::json;
use uuid::Uuid;

use crate::Kensa;
use crate::entities::users;
use crate::error::DomainResult;
use crate::jobs::{self, JobKind};
use crate::tenant::RequestMeta;

/// Queues the mail as a durable job (the caller limits it to one per interval).
pub(crate) async fn queue(k: &Kensa, user: &users::Model, failures: u64, meta: &RequestMeta) -> DomainResult<()> {
    let payload = json!({
        "user_id": user.id,
        "failures": failures,
        "address": meta.client_ip.as_deref().unwrap_or("unknown"),
        "at": k.now(),
    });
    let tx = k.begin_write().await?;
    jobs::enqueue(&tx, JobKind::LoginFailureNoticeMail, payload, k.now()).await?;
    tx.commit().await?;
    k.wake_worker();
    Ok(())
}

/// What the worker needs to write the mail.
#[derive(Clone, Debug)]
pub struct LoginNotice {
    pub to: String,
    pub name: String,
    pub locale: String,
    pub failures: u64,
    /// The client address of the failure that triggered the mail.
    pub address: String,
    pub at: DateTime<Utc>,
    /// Where to sign in (and change the password).
    pub sign_in_url: String,
}

/// `None` when the user no longer exists or is deactivated.
pub async fn prepare(
    k: &Kensa,
    user_id: Uuid,
    failures: u64,
    address: &str,
    at: DateTime<Utc>,
) -> DomainResult<Option<LoginNotice>> {
    let Some(user) = users::Entity::find_by_id(user_id).one(&k.db).await? else { return Ok(None) };
    if !user.active {
        return Ok(None);
    }
    let mut sign_in_url = k.public_url.clone();
    sign_in_url.set_path("/");
    Ok(Some(LoginNotice {
        to: user.email,
        name: user.name,
        locale: user.locale,
        failures,
        address: address.chars().take(64).collect(),
        at,
        sign_in_url: sign_in_url.to_string(),
    }))
}
