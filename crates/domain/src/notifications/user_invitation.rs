//! "You are invited to join an organization": the link is made here, when the mail goes out.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tracing::instrument;
use uuid::Uuid;

use crate::Kensa;
use crate::auth::tokens;
use crate::entities::{organizations, user_invitations, users};
use crate::error::DomainResult;
use crate::ids::JobId;
use crate::tenant::Role;

/// Everything the worker needs to mail an invitation; the token in `link` is fresh and
/// exists only here (so `Debug` hides the link).
#[derive(Clone)]
pub struct InvitationDelivery {
    pub to: String,
    pub organization_name: String,
    pub inviter_name: String,
    pub role: Role,
    pub link: String,
    pub expires_at: DateTime<Utc>,
    pub locale: String,
}
crate::redacted_debug!(InvitationDelivery { to, organization_name, inviter_name, role, expires_at, locale } secret { link });

/// Gives the invitation a fresh token (replacing any earlier one) and returns what the mail
/// needs. `None` when the invitation no longer needs a mail (accepted, revoked, expired).
/// Only the hash is stored, so the raw token never rests in the database.
#[instrument(skip_all, fields(invitation = %invitation_id))]
pub async fn prepare(
    k: &Kensa,
    job: JobId,
    invitation_id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<Option<InvitationDelivery>> {
    let Some(invitation) = user_invitations::Entity::find_by_id(invitation_id).one(&k.db).await? else {
        return Ok(None);
    };
    if invitation.accepted_at.is_some() || invitation.revoked_at.is_some() || invitation.expires_at <= now {
        return Ok(None);
    }
    let org = organizations::Entity::find_by_id(invitation.organization_id).one(&k.db).await?;
    let inviter = users::Entity::find_by_id(invitation.invited_by).one(&k.db).await?;
    let token = k.jwt.mail_link_token(job, "user_invitation", invitation.id);
    let role = Role::try_from(invitation.role.as_str())?;
    let (to, expires_at) = (invitation.email.clone(), invitation.expires_at);
    {
        // The checks again, in the write: a revocation since the read means no mail.
        let txn = k.begin_write().await?;
        let updated = user_invitations::Entity::update_many()
            .col_expr(user_invitations::Column::TokenHash, Expr::value(tokens::hash_token(&token)))
            .filter(user_invitations::Column::Id.eq(invitation.id))
            .filter(user_invitations::Column::AcceptedAt.is_null())
            .filter(user_invitations::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        txn.commit().await?;
        if updated.rows_affected != 1 {
            return Ok(None);
        }
    }
    let mut link = k.public_url.clone();
    link.set_path(&format!("/join/{token}"));
    Ok(Some(InvitationDelivery {
        to,
        organization_name: org.map(|o| o.name).unwrap_or_default(),
        locale: inviter.as_ref().map(|u| u.locale.clone()).unwrap_or_else(|| "ja".into()),
        inviter_name: inviter.map(|u| u.name).unwrap_or_default(),
        role,
        link: link.to_string(),
        expires_at,
    }))
}
