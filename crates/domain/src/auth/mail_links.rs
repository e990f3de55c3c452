//! Single-use links mailed to a user's address: "verify your address" and "reset your
//! password". The token is made when the mail goes out (by the worker) and only its SHA-256
//! is stored, with the address it was sent to; using it is one conditional update, so a
//! link works once even when two requests race.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::tokens;
use crate::entities::{email_tokens, organizations, users};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::tenant::Role;

/// How long a verification link works.
pub const VERIFY_TTL: Duration = Duration::days(7);
/// How long a password-reset link works.
pub const RESET_TTL: Duration = Duration::minutes(30);

/// What a link is for (`email_tokens.purpose`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    PasswordReset,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::PasswordReset => "password_reset",
        }
    }

    fn ttl(self) -> Duration {
        match self {
            Purpose::VerifyEmail => VERIFY_TTL,
            Purpose::PasswordReset => RESET_TTL,
        }
    }
}

const INVALID: DomainError =
    DomainError::Gone { code: ErrorCode::LinkInvalid, detail: "this link is not valid; ask for a new one" };
const USED: DomainError =
    DomainError::Gone { code: ErrorCode::LinkUsed, detail: "this link was used already; ask for a new one" };
const EXPIRED: DomainError =
    DomainError::Gone { code: ErrorCode::LinkExpired, detail: "this link has expired; ask for a new one" };

/// Makes a link for `user` (to their current address) in `conn`'s transaction and returns
/// the raw token, which exists only in the mail. A new password-reset link ends the older
/// ones: only the latest mail works.
pub(crate) async fn issue(
    conn: &crate::WriteTx,
    user: &users::Model,
    purpose: Purpose,
    token: String,
    now: DateTime<Utc>,
) -> DomainResult<Option<(String, DateTime<Utc>)>> {
    let token_hash = tokens::hash_token(&token);
    let expires_at = now + purpose.ttl();
    // The same mail job tried again (its worker died after the mail server took the mail, or
    // the server refused it): the link it mailed stays the same, so a first copy keeps
    // working, and gets its full lifetime from this attempt. No mail at all when that link
    // was used or ended by a newer one meanwhile, or went to an address the account no
    // longer has: the mail would carry a dead link.
    let earlier = email_tokens::Entity::find()
        .filter(email_tokens::Column::TokenHash.eq(token_hash.clone()))
        .filter(email_tokens::Column::UserId.eq(user.id))
        .one(conn)
        .await?;
    if let Some(earlier) = earlier {
        if earlier.email != user.email {
            return Ok(None);
        }
        let renewed = email_tokens::Entity::update_many()
            .col_expr(email_tokens::Column::ExpiresAt, Expr::value(expires_at))
            .filter(email_tokens::Column::Id.eq(earlier.id))
            .filter(email_tokens::Column::UsedAt.is_null())
            .exec(conn)
            .await?;
        return Ok((renewed.rows_affected == 1).then_some((token, expires_at)));
    }
    if purpose == Purpose::PasswordReset {
        email_tokens::Entity::update_many()
            .col_expr(email_tokens::Column::UsedAt, Expr::value(now))
            .filter(email_tokens::Column::UserId.eq(user.id))
            .filter(email_tokens::Column::Purpose.eq(purpose.as_str()))
            .filter(email_tokens::Column::UsedAt.is_null())
            .exec(conn)
            .await?;
    }
    email_tokens::Entity::insert(email_tokens::ActiveModel::from(email_tokens::Model {
        id: Uuid::now_v7(),
        purpose: purpose.as_str().to_owned(),
        token_hash,
        user_id: user.id,
        email: user.email.clone(),
        created_at: now,
        expires_at,
        used_at: None,
    }))
    .exec_without_returning(conn)
    .await?;
    Ok(Some((token, expires_at)))
}

/// The link's row while it still works (410 `link_invalid`, `link_used` or
/// `link_expired` otherwise); nothing is changed.
pub(crate) async fn usable(
    conn: &impl sea_orm::ConnectionTrait,
    token: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> DomainResult<email_tokens::Model> {
    // Longer than any token we make: not worth a lookup.
    if token.len() > 64 {
        return Err(INVALID);
    }
    let row = email_tokens::Entity::find()
        .filter(email_tokens::Column::TokenHash.eq(tokens::hash_token(token)))
        .filter(email_tokens::Column::Purpose.eq(purpose.as_str()))
        .one(conn)
        .await?
        .ok_or(INVALID)?;
    if row.used_at.is_some() {
        return Err(USED);
    }
    if row.expires_at <= now {
        return Err(EXPIRED);
    }
    Ok(row)
}

/// Uses the link in `conn`'s transaction: exactly one request gets it (410 `link_used`
/// for the others).
pub(crate) async fn consume(conn: &crate::WriteTx, row: &email_tokens::Model, now: DateTime<Utc>) -> DomainResult<()> {
    let used = email_tokens::Entity::update_many()
        .col_expr(email_tokens::Column::UsedAt, Expr::value(now))
        .filter(email_tokens::Column::Id.eq(row.id))
        .filter(email_tokens::Column::UsedAt.is_null())
        .filter(email_tokens::Column::ExpiresAt.gt(now))
        .exec(conn)
        .await?;
    if used.rows_affected != 1 {
        return Err(USED);
    }
    Ok(())
}

/// Marks `user`'s address verified when the link went to the address the account still
/// has; an owner's verified address verifies their organization. Returns whether the
/// address was verified.
pub(crate) async fn verify_address(
    conn: &crate::WriteTx,
    user: &users::Model,
    mailed_to: &str,
    now: DateTime<Utc>,
) -> DomainResult<bool> {
    if !user.email.eq_ignore_ascii_case(mailed_to) {
        return Ok(false);
    }
    users::Entity::update_many()
        .col_expr(users::Column::EmailVerifiedAt, Expr::value(now))
        .filter(users::Column::Id.eq(user.id))
        .filter(users::Column::EmailVerifiedAt.is_null())
        .exec(conn)
        .await?;
    if user.role == Role::Owner.as_str() {
        organizations::Entity::update_many()
            .col_expr(organizations::Column::VerifiedAt, Expr::value(now))
            .filter(organizations::Column::Id.eq(user.organization_id))
            .filter(organizations::Column::VerifiedAt.is_null())
            .exec(conn)
            .await?;
    }
    Ok(true)
}

/// The gate before anything that mails someone outside the organization (campaigns,
/// reviews, supplier and user invitations, resends): 403 `email_unverified` until its
/// owner verified their address. Read in the caller's transaction, not from the principal
/// cache, so the gate opens the moment the owner follows the link.
pub async fn ensure_may_mail(conn: &impl sea_orm::ConnectionTrait, organization_id: Uuid) -> DomainResult<()> {
    let org = organizations::Entity::find_by_id(organization_id).one(conn).await?;
    match org {
        Some(org) if org.verified_at.is_some() => Ok(()),
        Some(_) => Err(DomainError::Refused {
            code: ErrorCode::EmailUnverified,
            detail: "your organization cannot send mail to others until its owner verifies their email address: \
                     follow the link mailed at sign-up, or ask for a new one (POST /api/v1/me/verify-email)",
        }),
        None => Err(DomainError::NotFound("organization")),
    }
}
