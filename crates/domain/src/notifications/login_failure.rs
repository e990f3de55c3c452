//! "Someone is trying to sign in to your account" and "a new sign-in from an address you
//! never used" (queued by `auth::notice`).

use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use uuid::Uuid;

use crate::Kensa;
use crate::entities::users;
use crate::error::DomainResult;

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

/// What the worker needs to write "a new sign-in to your account".
#[derive(Clone, Debug)]
pub struct NewSignInNotice {
    pub to: String,
    pub locale: String,
    pub address: String,
    pub device: String,
    pub at: DateTime<Utc>,
    /// Where the user sees and ends their sign-ins.
    pub sessions_url: String,
}

/// `None` when the user no longer exists or is deactivated.
pub async fn prepare_new_sign_in(
    k: &Kensa,
    user_id: Uuid,
    address: &str,
    user_agent: Option<&str>,
    at: DateTime<Utc>,
) -> DomainResult<Option<NewSignInNotice>> {
    let Some(user) = users::Entity::find_by_id(user_id).one(&k.db).await? else { return Ok(None) };
    if !user.active {
        return Ok(None);
    }
    let mut sessions_url = k.public_url.clone();
    sessions_url.set_path("/account");
    Ok(Some(NewSignInNotice {
        to: user.email,
        locale: user.locale,
        address: address.chars().take(64).collect(),
        device: user_agent.unwrap_or("-").chars().take(120).collect(),
        at,
        sessions_url: sessions_url.to_string(),
    }))
}
