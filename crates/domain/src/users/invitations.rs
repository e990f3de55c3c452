//! Accepting a user invitation (its mail is prepared in `notifications::user_invitation`).

use crate::error::ErrorCode;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use tracing::instrument;

use super::model::{InvitationPreview, Validator};
use super::repo::{self, NewUser};
use crate::Kensa;
use crate::audit::{self, NewAuditEvent};
use crate::auth::{LoginOutcome, password, session, tokens};
use crate::entities::{organizations, user_invitations};
use crate::error::{DomainError, DomainResult, is_unique_violation};
use crate::ids::{OrganizationId, UserId};
use crate::tenant::{RequestMeta, Role};

async fn usable(k: &Kensa, token: &str, now: DateTime<Utc>) -> DomainResult<user_invitations::Model> {
    let invitation = user_invitations::Entity::find()
        .filter(user_invitations::Column::TokenHash.eq(tokens::hash_token(token)))
        .one(&k.db)
        .await?
        .ok_or(DomainError::NotFound("invitation"))?;
    tokens::ensure_link_usable(invitation.accepted_at, invitation.revoked_at, invitation.expires_at, now)?;
    Ok(invitation)
}

#[instrument(skip_all)]
pub async fn preview(k: &Kensa, token: &str) -> DomainResult<InvitationPreview> {
    let invitation = usable(k, token, k.now()).await?;
    let org = organizations::Entity::find_by_id(invitation.organization_id)
        .one(&k.db)
        .await?
        .ok_or(DomainError::NotFound("invitation"))?;
    Ok(InvitationPreview {
        organization_name: org.name,
        email: invitation.email,
        role: Role::try_from(invitation.role.as_str())?,
        expires_at: invitation.expires_at,
    })
}

pub struct AcceptInput {
    pub name: String,
    pub password: String,
    pub locale: Option<String>,
}
crate::redacted_debug!(AcceptInput { name, locale } secret { password });

/// Creates the invited user and signs them in (or, when the organization requires a second
/// factor of the role, answers the enrolment ticket). The invitation is consumed by a conditional
/// update, so two concurrent accepts cannot both succeed. The inviting admin was not told
/// whether the address already had an account (in any organization); the invitee is, here.
#[instrument(skip_all)]
pub async fn accept(k: &Kensa, token: &str, input: AcceptInput, meta: &RequestMeta) -> DomainResult<LoginOutcome> {
    crate::auth::reserve_account_creation(k, meta).await?;
    let now = k.now();
    let invitation = usable(k, token, now).await?;
    let mut v = Validator::default();
    let name = v.check(crate::text::name("name", &input.name));
    let locale = v.check(super::model::parse_locale(input.locale.as_deref()));
    v.extend(password::policy_violations(&input.password, &invitation.email, &[&input.name]));
    v.finish()?;
    let (Some(name), Some(locale)) = (name, locale) else { return Err(DomainError::internal("validator")) };
    if repo::find_by_email(&k.db, &invitation.email).await?.is_some() {
        return Err(already_registered());
    }
    let password_hash = k.passwords.hash(&input.password).await?;
    let role = Role::try_from(invitation.role.as_str())?;

    let txn = k.begin_write().await?;
    let consumed = user_invitations::Entity::update_many()
        .col_expr(user_invitations::Column::AcceptedAt, sea_orm::sea_query::Expr::value(now))
        .filter(user_invitations::Column::Id.eq(invitation.id))
        .filter(user_invitations::Column::AcceptedAt.is_null())
        .filter(user_invitations::Column::RevokedAt.is_null())
        .filter(user_invitations::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if consumed.rows_affected != 1 {
        return Err(DomainError::Gone {
            code: ErrorCode::InvitationUsed,
            detail: "this invitation has already been accepted",
        });
    }
    let user = repo::insert(
        &txn,
        NewUser {
            organization_id: invitation.organization_id,
            email: &invitation.email,
            name: &name,
            password_hash,
            role,
            locale,
            // The invitation was mailed to this address: following it proved it.
            email_verified: true,
        },
    )
    .await
    .map_err(|e| if is_unique_violation(&e) { already_registered() } else { e.into() })?;
    audit::record(
        &txn,
        NewAuditEvent {
            organization_id: Some(OrganizationId(invitation.organization_id)),
            actor_user_id: Some(UserId(user.id)),
            action: "user.invitation_accepted",
            target: Some(("user", user.id.to_string())),
            meta,
            details: json!({ "invitation_id": invitation.id, "role": invitation.role }),
        },
    )
    .await?;
    // An organization that requires a second factor of this role gets it before any token:
    // the new user enrols with the ticket, as at a sign-in.
    if crate::auth::policy::load(&txn, invitation.organization_id).await?.requires_mfa(role) {
        txn.commit().await?;
        return Ok(LoginOutcome::MfaRequired(crate::auth::mfa::enrolment_ticket(k, user.id).await?));
    }
    let session = session::start(k, &txn, user, meta, now).await?;
    txn.commit().await?;
    Ok(LoginOutcome::SignedIn(session))
}

/// A Kensa account belongs to one organization, and this address already has one.
fn already_registered() -> DomainError {
    DomainError::conflict(
        ErrorCode::EmailTaken,
        "this email address already has a Kensa account; an address can belong to one organization only, so sign \
         in with it or ask the inviting admin to invite another address",
    )
}
