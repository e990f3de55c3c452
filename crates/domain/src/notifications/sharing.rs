//! Sharing mail: "a buyer asks you to share your answers" to the supplier's owners and
//! admins, and "a supplier shared its answers with you" to the recipient's owners, admins
//! and reviewers (who accept terms and read).

use sea_orm::sea_query::Expr;
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

/// The least time between two sharing mails from one organization to another.
const MAIL_INTERVAL: chrono::Duration = chrono::Duration::hours(24);

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

/// `None` once the request is no longer open or the recipient left, or while another
/// request from the same requester was mailed to the supplier within the day.
pub async fn prepare_request(k: &Kensa, request_id: Uuid, user_id: Uuid) -> DomainResult<Option<ShareRequestMail>> {
    let Some(row) = share_requests::Entity::find_by_id(request_id).one(&k.db).await? else { return Ok(None) };
    if ShareRequestStatus::try_from(row.status.as_str())? != ShareRequestStatus::Open {
        return Ok(None);
    }
    let Some(user) = recipient(k, user_id, row.supplier_organization_id).await? else { return Ok(None) };
    // At most one request mail a day from one requester to one supplier organization: a
    // request asked again (withdrawn and repeated, or for another checklist) within a day of
    // one that was mailed waits in the supplier's list and `/sharing` instead.
    use share_requests::Column as C;
    let now = k.now();
    let mailed_before = share_requests::Entity::find()
        .select_only()
        .column(C::Id)
        .filter(C::RequesterOrganizationId.eq(row.requester_organization_id))
        .filter(C::SupplierOrganizationId.eq(row.supplier_organization_id))
        .filter(C::Id.ne(row.id))
        .filter(C::MailedAt.gt(now - MAIL_INTERVAL))
        .into_tuple::<Uuid>()
        .one(&k.db)
        .await?;
    if mailed_before.is_some() {
        return Ok(None);
    }
    share_requests::Entity::update_many()
        .col_expr(C::MailedAt, Expr::value(now))
        .filter(C::Id.eq(row.id))
        .filter(C::MailedAt.is_null())
        .exec(&k.db)
        .await?;
    let mut link = k.public_url.clone();
    // The page that lists it with its answers (share, decline); the API lists the same.
    link.set_path("/sharing");
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

/// `None` once the share was revoked or expired, or the recipient left, or (unless it answers
/// the recipient's request) while another share from the same supplier was mailed to the
/// recipient within the day.
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
    // A share made in reply to the recipient's own request is always told; others at most
    // once a day from one organization to another (the later ones are in its lists).
    use shares::Column as C;
    if row.share_request_id.is_none() {
        let mailed_before = shares::Entity::find()
            .select_only()
            .column(C::Id)
            .filter(C::OrganizationId.eq(row.organization_id))
            .filter(C::RecipientOrganizationId.eq(organization))
            .filter(C::Id.ne(row.id))
            .filter(C::MailedAt.gt(now - MAIL_INTERVAL))
            .into_tuple::<Uuid>()
            .one(&k.db)
            .await?;
        if mailed_before.is_some() {
            return Ok(None);
        }
    }
    shares::Entity::update_many()
        .col_expr(C::MailedAt, Expr::value(now))
        .filter(C::Id.eq(row.id))
        .filter(C::MailedAt.is_null())
        .exec(&k.db)
        .await?;
    let mut link = k.public_url.clone();
    link.set_path(&format!("/shares/{share_id}"));
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
