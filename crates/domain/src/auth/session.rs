//! A signed-in session: a short-lived access token and a rotating refresh token.

use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use serde::Serialize;
use uuid::Uuid;

use super::tokens::{self, ACCESS_TOKEN_TTL, REFRESH_TOKEN_TTL};
use crate::Kensa;
use crate::entities::{organizations, refresh_tokens, users};
use crate::error::{DomainError, DomainResult};
use crate::users::{Organization, User};

/// Tokens for a signed-in session.
// The tokens are the point of this type on the wire; `Debug` (below) is where they must not go.
#[derive(Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = SessionDto))]
pub struct Session {
    /// JWT for `Authorization: Bearer`; expires after `expires_in` seconds.
    pub access_token: String,
    /// Opaque, single use: exchange it at `/auth/refresh` for a new pair.
    pub refresh_token: String,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::wire::TokenType))]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub user: User,
    pub organization: Organization,
}

/// The tokens are bearer credentials: never in a log line.
impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("access_token", &"[redacted]")
            .field("refresh_token", &"[redacted]")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("user", &self.user)
            .field("organization", &self.organization)
            .finish()
    }
}

/// Starts a sign-in (recorded in `sign_ins` with `meta`'s address and device) and issues
/// its first tokens.
pub(crate) async fn start(
    k: &Kensa,
    conn: &crate::WriteTx,
    user: users::Model,
    meta: &crate::tenant::RequestMeta,
    now: DateTime<Utc>,
) -> DomainResult<Session> {
    let family = Uuid::now_v7();
    super::sign_ins::record(conn, family, user.id, meta, now).await?;
    issue(k, conn, user, family, now).await
}

/// Issues an access token and a refresh token in `family`.
pub(crate) async fn issue(
    k: &Kensa,
    conn: &crate::WriteTx,
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
        access_token: k.jwt.issue(user.id, user.organization_id, family, now)?,
        refresh_token,
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_TTL.num_seconds(),
        user: User::from_row(user)?,
        organization: organization.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_both_tokens() {
        let now = chrono::Utc::now();
        let session = Session {
            access_token: "access-secret-value".into(),
            refresh_token: "refresh-secret-value".into(),
            token_type: "Bearer",
            expires_in: 900,
            user: User {
                id: Uuid::nil(),
                organization_id: Uuid::nil(),
                email: "a@example.com".into(),
                name: "A".into(),
                role: crate::tenant::Role::Owner,
                locale: crate::users::model::Locale::Ja,
                active: true,
                created_at: now,
                email_verified: false,
            },
            organization: Organization { id: Uuid::nil(), name: "Acme".into(), created_at: now, verified: false },
        };
        let printed = format!("{session:?}");
        assert!(!printed.contains("secret-value"), "{printed}");
        assert!(printed.contains("[redacted]"));
    }
}
