//! Supplier claims. An invitation link can be forwarded; whoever holds it must not become
//! the supplier just by accepting. When the accepting user's address is neither the invited
//! contact's nor in its domain, acceptance opens a claim instead of linking: the buyer's
//! owners and admins are mailed, see who claimed (name, address, organization, when) and
//! approve (the link happens exactly as an accepted invitation) or reject (the link is
//! revoked and the supplier stays unlinked).

use crate::error::ErrorCode;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use crate::Kensa;
use crate::entities::{organizations, supplier_claims, supplier_invitations, suppliers, users};
use crate::error::{DomainError, DomainResult, OnUnique};
use crate::jobs::{self, Job};
use crate::pagination::{Page, PageRequest};
use crate::tenant::{AdminCtx, RequestMeta};

/// Mail providers whose domain says nothing about the company: on these only the exact
/// invited address counts as the contact.
const PUBLIC_MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "outlook.jp",
    "hotmail.com",
    "hotmail.co.jp",
    "live.com",
    "live.jp",
    "msn.com",
    "yahoo.com",
    "yahoo.co.jp",
    "ymail.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "gmx.net",
    "mail.com",
    "zoho.com",
    "yandex.ru",
    "mail.ru",
    "qq.com",
    "163.com",
    "126.com",
    "naver.com",
    "docomo.ne.jp",
    "ezweb.ne.jp",
    "au.com",
    "softbank.ne.jp",
    "i.softbank.jp",
];

/// Whether `claimant` is the invited contact: the same address, or one in the same domain
/// unless that domain is a public mail provider. Compared case-insensitively.
pub fn same_contact(invited: &str, claimant: &str) -> bool {
    let (invited, claimant) = (invited.trim().to_lowercase(), claimant.trim().to_lowercase());
    if invited == claimant {
        return true;
    }
    match (invited.rsplit_once('@'), claimant.rsplit_once('@')) {
        (Some((_, a)), Some((_, b))) => !a.is_empty() && a == b && !PUBLIC_MAIL_DOMAINS.contains(&a),
        _ => false,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    /// Waiting for the buyer's owners or admins.
    Pending,
    /// The claimant's organization now answers for the supplier.
    Approved,
    /// Refused; the link it came through no longer works.
    Rejected,
    /// Closed without a decision: the supplier was linked another way, deleted, or its
    /// contact changed.
    Superseded,
}

impl ClaimStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Pending => "pending",
            ClaimStatus::Approved => "approved",
            ClaimStatus::Rejected => "rejected",
            ClaimStatus::Superseded => "superseded",
        }
    }

    /// A `?status=` filter value; anything else is a 422 naming the field.
    pub fn parse_filter(s: &str) -> DomainResult<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| {
            DomainError::validation(
                "status",
                ErrorCode::InvalidValue,
                "must be pending, approved, rejected or superseded",
            )
        })
    }

    const ALL: [ClaimStatus; 4] =
        [ClaimStatus::Pending, ClaimStatus::Approved, ClaimStatus::Rejected, ClaimStatus::Superseded];
}

/// A stored `supplier_claims.status`: an unknown value is a corrupt row, a 500 — never read
/// as `pending`, which would let a decided claim be decided again.
impl TryFrom<&str> for ClaimStatus {
    type Error = DomainError;
    fn try_from(s: &str) -> Result<Self, DomainError> {
        Self::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| crate::error::unknown_stored("claim status", s))
    }
}

/// Who claimed which supplier, as the buyer sees it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct SupplierClaim {
    pub id: Uuid,
    pub status: ClaimStatus,
    pub supplier_id: Uuid,
    pub supplier_name: String,
    pub assessment_id: Uuid,
    /// The address the invitation was mailed to.
    pub invited_email: String,
    pub claimant_name: String,
    pub claimant_email: String,
    pub claimant_organization_id: Uuid,
    pub claimant_organization_name: String,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// A claim about to be opened by an acceptance.
pub(crate) struct NewClaim<'a> {
    pub buyer_organization_id: Uuid,
    pub supplier_id: Uuid,
    pub assessment_id: Uuid,
    pub invitation_id: Uuid,
    pub claimant_organization_id: Uuid,
    pub claimant_user_id: Option<Uuid>,
    pub claimant_name: String,
    pub claimant_email: String,
    pub meta: &'a RequestMeta,
}

/// Records the claim and queues one mail per active owner or admin of the buyer, all in
/// `conn`'s transaction. One claim at a time per invitation.
pub(crate) async fn open(conn: &crate::WriteTx, c: NewClaim<'_>, now: DateTime<Utc>) -> DomainResult<Uuid> {
    let waiting = supplier_claims::Entity::find()
        .filter(supplier_claims::Column::InvitationId.eq(c.invitation_id))
        .filter(supplier_claims::Column::Status.eq(ClaimStatus::Pending.as_str()))
        .one(conn)
        .await?;
    const PENDING: &str = "this invitation is already waiting for the buyer's confirmation";
    if waiting.is_some() {
        return Err(DomainError::conflict(ErrorCode::ClaimPending, PENDING));
    }
    let row = supplier_claims::Model {
        id: Uuid::now_v7(),
        buyer_organization_id: c.buyer_organization_id,
        supplier_id: c.supplier_id,
        assessment_id: c.assessment_id,
        invitation_id: c.invitation_id,
        claimant_organization_id: c.claimant_organization_id,
        claimant_user_id: c.claimant_user_id,
        claimant_name: c.claimant_name,
        claimant_email: c.claimant_email,
        status: ClaimStatus::Pending.as_str().into(),
        created_at: now,
        decided_at: None,
        decided_by: None,
    };
    supplier_claims::Entity::insert(supplier_claims::ActiveModel::from(row.clone()))
        .exec_without_returning(conn)
        .await
        .on_unique(ErrorCode::ClaimPending, PENDING)?;
    let deciders: Vec<Uuid> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::OrganizationId.eq(c.buyer_organization_id))
        .filter(users::Column::Role.is_in(["owner", "admin"]))
        .filter(users::Column::Active.eq(true))
        .into_tuple()
        .all(conn)
        .await?;
    for user_id in deciders {
        jobs::enqueue(conn, &Job::SupplierClaimMail { claim_id: row.id, user_id }, now).await?;
    }
    crate::audit::record(
        conn,
        crate::audit::NewAuditEvent {
            organization_id: Some(crate::ids::OrganizationId(c.buyer_organization_id)),
            actor_user_id: None,
            action: "supplier.claim_opened",
            target: Some(("supplier_claim", row.id.to_string())),
            meta: c.meta,
            details: json!({
                "supplier_id": row.supplier_id,
                "assessment_id": row.assessment_id,
                "claimant_organization_id": row.claimant_organization_id,
                "claimant_user_id": row.claimant_user_id,
            }),
        },
    )
    .await?;
    Ok(row.id)
}

/// Closes the supplier's pending claims without a decision (see [`ClaimStatus::Superseded`]).
/// Closes the waiting claims that came through these links (revoked by a cancellation or a
/// resend): nobody can approve a claim on a dead link.
pub(crate) async fn supersede_for_invitations(
    conn: &crate::WriteTx,
    invitation_ids: Vec<Uuid>,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    if invitation_ids.is_empty() {
        return Ok(());
    }
    supplier_claims::Entity::update_many()
        .col_expr(supplier_claims::Column::Status, Expr::value(ClaimStatus::Superseded.as_str()))
        .col_expr(supplier_claims::Column::DecidedAt, Expr::value(now))
        .filter(supplier_claims::Column::InvitationId.is_in(invitation_ids))
        .filter(supplier_claims::Column::Status.eq(ClaimStatus::Pending.as_str()))
        .exec(conn)
        .await?;
    Ok(())
}

pub(crate) async fn supersede_for_supplier(
    conn: &crate::WriteTx,
    supplier_id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    supplier_claims::Entity::update_many()
        .col_expr(supplier_claims::Column::Status, Expr::value(ClaimStatus::Superseded.as_str()))
        .col_expr(supplier_claims::Column::DecidedAt, Expr::value(now))
        .filter(supplier_claims::Column::SupplierId.eq(supplier_id))
        .filter(supplier_claims::Column::Status.eq(ClaimStatus::Pending.as_str()))
        .exec(conn)
        .await?;
    Ok(())
}

/// One text column of the rows with these ids, by id (one query per table, not per claim).
async fn names<C>(conn: &impl ConnectionTrait, id: C, text: C, ids: Vec<Uuid>) -> DomainResult<HashMap<Uuid, String>>
where
    C: ColumnTrait,
    C::EntityName: EntityTrait,
{
    Ok(<C::EntityName as EntityTrait>::find()
        .select_only()
        .columns([id, text])
        .filter(id.is_in(ids))
        .into_tuple::<(Uuid, String)>()
        .all(conn)
        .await?
        .into_iter()
        .collect())
}

pub(crate) async fn describe(
    conn: &impl ConnectionTrait,
    rows: Vec<supplier_claims::Model>,
) -> DomainResult<Vec<SupplierClaim>> {
    let supplier_ids: Vec<Uuid> = rows.iter().map(|r| r.supplier_id).collect();
    let org_ids: Vec<Uuid> = rows.iter().map(|r| r.claimant_organization_id).collect();
    let invitation_ids: Vec<Uuid> = rows.iter().map(|r| r.invitation_id).collect();
    let suppliers = names(conn, suppliers::Column::Id, suppliers::Column::Name, supplier_ids).await?;
    let orgs = names(conn, organizations::Column::Id, organizations::Column::Name, org_ids).await?;
    let invited =
        names(conn, supplier_invitations::Column::Id, supplier_invitations::Column::Email, invitation_ids).await?;
    rows.into_iter()
        .map(|r| {
            Ok(SupplierClaim {
                id: r.id,
                status: ClaimStatus::try_from(r.status.as_str())?,
                supplier_name: suppliers.get(&r.supplier_id).cloned().unwrap_or_default(),
                supplier_id: r.supplier_id,
                assessment_id: r.assessment_id,
                invited_email: invited.get(&r.invitation_id).cloned().unwrap_or_default(),
                claimant_name: r.claimant_name,
                claimant_email: r.claimant_email,
                claimant_organization_name: orgs.get(&r.claimant_organization_id).cloned().unwrap_or_default(),
                claimant_organization_id: r.claimant_organization_id,
                created_at: r.created_at,
                decided_at: r.decided_at,
            })
        })
        .collect()
}

/// The buyer's claims, oldest first; `status` narrows them.
#[instrument(skip_all, fields(org = %admin.tenant().org_id()))]
pub async fn list(
    k: &Kensa,
    admin: AdminCtx<'_>,
    status: Option<ClaimStatus>,
    page: &PageRequest,
) -> DomainResult<Page<SupplierClaim>> {
    let mut query = supplier_claims::Entity::find()
        .filter(supplier_claims::Column::BuyerOrganizationId.eq(admin.tenant().org_id().0));
    if let Some(status) = status {
        query = query.filter(supplier_claims::Column::Status.eq(status.as_str()));
    }
    if let Some(cursor) = page.cursor {
        query = query.filter(supplier_claims::Column::Id.gt(cursor));
    }
    let rows = query.order_by_asc(supplier_claims::Column::Id).limit(page.limit + 1).all(&k.db).await?;
    let page_rows = Page::from_rows(rows, page.limit, |r| r.id);
    Ok(Page { data: describe(&k.db, page_rows.data).await?, next_cursor: page_rows.next_cursor })
}

async fn find(conn: &impl ConnectionTrait, admin: AdminCtx<'_>, id: Uuid) -> DomainResult<supplier_claims::Model> {
    supplier_claims::Entity::find_by_id(id)
        .filter(supplier_claims::Column::BuyerOrganizationId.eq(admin.tenant().org_id().0))
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound("supplier_claim"))
}

/// Moves a pending claim to `to`; a claim already decided answers 409 `claim_decided`.
async fn decide(
    conn: &crate::WriteTx,
    admin: AdminCtx<'_>,
    claim: &supplier_claims::Model,
    to: ClaimStatus,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let decided = supplier_claims::Entity::update_many()
        .col_expr(supplier_claims::Column::Status, Expr::value(to.as_str()))
        .col_expr(supplier_claims::Column::DecidedAt, Expr::value(now))
        .col_expr(supplier_claims::Column::DecidedBy, Expr::value(admin.tenant().user_id().map(|u| u.0)))
        .filter(supplier_claims::Column::Id.eq(claim.id))
        .filter(supplier_claims::Column::Status.eq(ClaimStatus::Pending.as_str()))
        .exec(conn)
        .await?;
    if decided.rows_affected != 1 {
        return Err(DomainError::conflict(
            ErrorCode::ClaimDecided,
            format!("this claim is already {}", ClaimStatus::try_from(claim.status.as_str())?.as_str()),
        ));
    }
    Ok(())
}

/// The claimant's organization becomes the supplier, exactly as if it had accepted the
/// invitation as the contact.
#[instrument(skip_all, fields(org = %admin.tenant().org_id(), claim = %id))]
pub async fn approve(k: &Kensa, admin: AdminCtx<'_>, id: Uuid) -> DomainResult<SupplierClaim> {
    let now = k.now();
    let txn = k.begin_write().await?;
    let claim = find(&txn, admin, id).await?;
    decide(&txn, admin, &claim, ClaimStatus::Approved, now).await?;
    // The link the claim came through must still be live: a claim outlives neither a
    // cancelled assessment, a resend, an expiry nor another acceptance.
    let consumed = supplier_invitations::Entity::update_many()
        .col_expr(supplier_invitations::Column::AcceptedAt, Expr::value(now))
        .filter(supplier_invitations::Column::Id.eq(claim.invitation_id))
        .filter(supplier_invitations::Column::AcceptedAt.is_null())
        .filter(supplier_invitations::Column::RevokedAt.is_null())
        .filter(supplier_invitations::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if consumed.rows_affected != 1 {
        return Err(DomainError::Gone {
            code: ErrorCode::InvitationRevoked,
            detail: "the link this claim came through no longer works; resend the invitation instead",
        });
    }
    super::invitations::link_supplier(&txn, claim.supplier_id, claim.claimant_organization_id).await?;
    supersede_for_supplier(&txn, claim.supplier_id, now).await?;
    let details =
        json!({ "supplier_id": claim.supplier_id, "supplier_organization_id": claim.claimant_organization_id });
    finish_decision(k, txn, admin, id, "supplier.claim_approved", details).await
}

/// The supplier stays unlinked and the link the claim came through stops working; the
/// buyer resends the invitation to the right contact.
#[instrument(skip_all, fields(org = %admin.tenant().org_id(), claim = %id))]
pub async fn reject(k: &Kensa, admin: AdminCtx<'_>, id: Uuid) -> DomainResult<SupplierClaim> {
    let now = k.now();
    let txn = k.begin_write().await?;
    let claim = find(&txn, admin, id).await?;
    decide(&txn, admin, &claim, ClaimStatus::Rejected, now).await?;
    supplier_invitations::Entity::update_many()
        .col_expr(supplier_invitations::Column::RevokedAt, Expr::value(now))
        .filter(supplier_invitations::Column::Id.eq(claim.invitation_id))
        .filter(supplier_invitations::Column::AcceptedAt.is_null())
        .filter(supplier_invitations::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    let details =
        json!({ "supplier_id": claim.supplier_id, "claimant_organization_id": claim.claimant_organization_id });
    finish_decision(k, txn, admin, id, "supplier.claim_rejected", details).await
}

/// The audit record of a decision, the commit, and the claim as it now reads.
async fn finish_decision(
    k: &Kensa,
    txn: crate::WriteTx,
    admin: AdminCtx<'_>,
    id: Uuid,
    action: &'static str,
    details: serde_json::Value,
) -> DomainResult<SupplierClaim> {
    crate::audit::record_action(&txn, admin.tenant(), action, Some(("supplier_claim", id.to_string())), details)
        .await?;
    let claim = find(&txn, admin, id).await?;
    txn.commit().await?;
    describe(&k.db, vec![claim]).await?.pop().ok_or(DomainError::NotFound("supplier_claim"))
}

/// One of the buyer's claims (the page a claim mail links to).
#[instrument(skip_all, fields(org = %admin.tenant().org_id(), claim = %id))]
pub async fn get(k: &Kensa, admin: AdminCtx<'_>, id: Uuid) -> DomainResult<SupplierClaim> {
    let row = find(&k.db, admin, id).await?;
    describe(&k.db, vec![row]).await?.pop().ok_or(DomainError::NotFound("supplier claim"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contact_is_the_invited_address_or_its_company_domain() {
        assert!(same_contact("Sato@Parts.example", "sato@parts.example"));
        assert!(same_contact("sato@parts.example", "suzuki@PARTS.example"));
        assert!(!same_contact("sato@parts.example", "sato@parts.example.evil"));
        assert!(!same_contact("sato@gmail.com", "mallory@gmail.com"));
        assert!(same_contact("sato@gmail.com", "SATO@gmail.com"));
        assert!(!same_contact("sato@parts.example", ""));
    }

    #[test]
    fn every_stored_claim_status_reads_back_as_itself() -> Result<(), DomainError> {
        for status in ClaimStatus::ALL {
            assert_eq!(ClaimStatus::try_from(status.as_str())?, status);
        }
        Ok(())
    }

    #[test]
    fn an_unknown_stored_claim_status_is_an_internal_error_not_pending() {
        let read = ClaimStatus::try_from("withdrawn");
        assert!(matches!(&read, Err(DomainError::Internal(m)) if m.contains("withdrawn")), "{read:?}");
    }

    #[test]
    fn an_unknown_claim_status_filter_is_a_422_naming_the_field() {
        let read = ClaimStatus::parse_filter("withdrawn");
        assert!(matches!(&read, Err(DomainError::Validation(e)) if e[0].field == "status"), "{read:?}");
    }
}
