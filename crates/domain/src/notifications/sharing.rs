//! Sharing mail: "a buyer asks you to share your answers" to the supplier's owners and
//! admins, and "a supplier shared its answers with you" to the recipient's owners, admins
//! and reviewers (who accept terms and read).

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::Kensa;
use crate::entities::{organizations, share_requests, shares, templates, users};
use crate::error::DomainResult;
use crate::jobs::{self, Job};
use crate::shares::{ShareRequestStatus, ShareScope};

/// A buyer's request, as the supplier's owner or admin reads it.
#[derive(Clone, Debug)]
pub struct ShareRequestMail {
    pub to: String,
    pub locale: String,
    pub requester_name: String,
    pub template_name: String,
    pub message: Option<String>,
    pub link: String,
}

/// A share, as the recipient's owner, admin or reviewer reads it.
#[derive(Clone, Debug)]
pub struct ShareReceivedMail {
    pub to: String,
    pub locale: String,
    pub owner_name: String,
    pub template_name: String,
    pub scope: ShareScope,
    /// The snapshot's submission; `None` for a live profile.
    pub submitted_at: Option<chrono::DateTime<chrono::Utc>>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub has_terms: bool,
    pub link: String,
}

/// Active members of `organization` in `roles`.
async fn members(conn: &impl ConnectionTrait, organization: Uuid, roles: &[&str]) -> DomainResult<Vec<Uuid>> {
    Ok(users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::OrganizationId.eq(organization))
        .filter(users::Column::Role.is_in(roles.iter().copied()))
        .filter(users::Column::Active.eq(true))
        .into_tuple()
        .all(conn)
        .await?)
}

/// Queues the request's mail to each of the supplier's owners and admins (in the request's
/// transaction).
pub(crate) async fn queue_request(tx: &crate::WriteTx, request: &share_requests::Model) -> DomainResult<()> {
    for user_id in members(tx, request.supplier_organization_id, &["owner", "admin"]).await? {
        jobs::enqueue(tx, &Job::ShareRequestMail { request_id: request.id, user_id }, tx.now()).await?;
    }
    Ok(())
}

/// Queues the share's mail to each of the recipient's owners, admins and reviewers.
pub(crate) async fn queue_share(tx: &crate::WriteTx, share: &shares::Model) -> DomainResult<()> {
    let Some(recipient) = share.recipient_organization_id else { return Ok(()) };
    for user_id in members(tx, recipient, &["owner", "admin", "reviewer"]).await? {
        jobs::enqueue(tx, &Job::ShareReceivedMail { share_id: share.id, user_id }, tx.now()).await?;
    }
    Ok(())
}

async fn name_of<E: EntityTrait>(k: &Kensa, id: Uuid, name: E::Column) -> DomainResult<String>
where
    E::Column: ColumnTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    let found: Option<String> = E::find_by_id(id).select_only().column(name).into_tuple().one(&k.db).await?;
    Ok(found.unwrap_or_default())
}

/// A recipient still in `organization` and active.
async fn recipient(k: &Kensa, user_id: Uuid, organization: Uuid) -> DomainResult<Option<users::Model>> {
    Ok(users::Entity::find_by_id(user_id).one(&k.db).await?.filter(|u| u.active && u.organization_id == organization))
}

/// `None` once the request is no longer open or the recipient left.
pub async fn prepare_request(k: &Kensa, request_id: Uuid, user_id: Uuid) -> DomainResult<Option<ShareRequestMail>> {
    let Some(row) = share_requests::Entity::find_by_id(request_id).one(&k.db).await? else { return Ok(None) };
    if ShareRequestStatus::try_from(row.status.as_str())? != ShareRequestStatus::Open {
        return Ok(None);
    }
    let Some(user) = recipient(k, user_id, row.supplier_organization_id).await? else { return Ok(None) };
    let mut link = k.public_url.clone();
    link.set_path("/api/v1/share-requests");
    Ok(Some(ShareRequestMail {
        to: user.email,
        locale: user.locale,
        requester_name: name_of::<organizations::Entity>(k, row.requester_organization_id, organizations::Column::Name)
            .await?,
        template_name: name_of::<templates::Entity>(k, row.template_id, templates::Column::Name).await?,
        message: row.message,
        link: link.to_string(),
    }))
}

/// `None` once the share was revoked or expired, or the recipient left.
pub async fn prepare_share(
    k: &Kensa,
    share_id: Uuid,
    user_id: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> DomainResult<Option<ShareReceivedMail>> {
    let Some(row) = shares::Entity::find_by_id(share_id).one(&k.db).await? else { return Ok(None) };
    let Some(organization) = row.recipient_organization_id else { return Ok(None) };
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Ok(None);
    }
    let Some(user) = recipient(k, user_id, organization).await? else { return Ok(None) };
    let mut link = k.public_url.clone();
    link.set_path(&format!("/api/v1/shares/{share_id}/assessment"));
    Ok(Some(ShareReceivedMail {
        to: user.email,
        locale: user.locale,
        owner_name: name_of::<organizations::Entity>(k, row.organization_id, organizations::Column::Name).await?,
        template_name: name_of::<templates::Entity>(k, row.template_id, templates::Column::Name).await?,
        scope: ShareScope::try_from(row.scope.as_str())?,
        submitted_at: row.submitted_at,
        expires_at: row.expires_at,
        has_terms: row.terms.is_some(),
        link: link.to_string(),
    }))
}
