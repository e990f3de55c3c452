//! A signed-in session: a short-lived access token and a rotating refresh token.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde::Serialize;
use uuid::Uuid;

use super::tokens::{self, ACCESS_TOKEN_TTL, REFRESH_TOKEN_TTL};
use crate::Kensa;
use crate::entities::{organizations, refresh_tokens, users};
use crate::error::{DomainError, DomainResult};
use crate::users::{Organization, User};

#[derive(Clone, Debug, Serialize)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub user: User,
    pub organization: Organization,
}

pub(crate) async fn start(
    k: &Kensa,
    conn: &impl ConnectionTrait,
    user: users::Model,
    now: DateTime<Utc>,
) -> DomainResult<Session> {
    issue(k, conn, user, Uuid::now_v7(), now).await
}

/// Issues an access token and a refresh token in `family`.
pub(crate) async fn issue(
    k: &Kensa,
    conn: &impl ConnectionTrait,
    user: users::Model,
    family: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<Session> {
    let organization = organizations::Entity::find_by_id(user.organization_id)
        .one(conn)
        .await?
        .ok_or_else(|| DomainError::internal("user without organization"))?;
    let refresh_token = tokens::random_token();
    let row = refresh_tokens::Model {
        id: Uuid::now_v7(),
        user_id: user.id,
        family_id: family,
        token_hash: tokens::hash_token(&refresh_token),
        expires_at: now + REFRESH_TOKEN_TTL,
        used_at: None,
        revoked_at: None,
        created_at: now,
    };
    refresh_tokens::Entity::insert(refresh_tokens::ActiveModel::from(row)).exec_without_returning(conn).await?;
    Ok(Session {
        access_token: k.jwt.issue(user.id, user.organization_id, now)?,
        refresh_token,
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_TTL.num_seconds(),
        user: User::from_row(user)?,
        organization: organization.into(),
    })
}
