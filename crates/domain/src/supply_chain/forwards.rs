//! A Tier-1's forwards: it shows the buyer of an assessment it answers the figure of its own
//! suppliers for the same checklist line, and can withdraw that at any time.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use super::model::{NewSupplyChainForward, SupplyChainForward};
use crate::Kensa;
use crate::assessments::{Side, Status, access};
use crate::entities::{organizations, supply_chain_forwards as forwards, templates};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::library::Line;
use crate::pagination::{Page, PageRequest};
use crate::shares::repo::Names;
use crate::tenant::{Role, TenantCtx};

/// Forwarding is the organization's decision: its owners and admins.
fn forwarder(ctx: &TenantCtx) -> DomainResult<()> {
    if matches!(ctx.role(), Role::Owner | Role::Admin) { Ok(()) } else { Err(DomainError::Forbidden) }
}

pub(super) async fn views(
    conn: &impl ConnectionTrait,
    rows: Vec<forwards::Model>,
) -> DomainResult<Vec<SupplyChainForward>> {
    let parties = rows.iter().flat_map(|r| [r.organization_id, r.recipient_organization_id]).collect();
    let names = Names::of(conn, parties, rows.iter().map(|r| r.template_id).collect()).await?;
    Ok(rows
        .into_iter()
        .map(|r| SupplyChainForward {
            id: r.id,
            organization: names.party(r.organization_id),
            recipient: names.party(r.recipient_organization_id),
            assessment_id: r.assessment_id,
            template_id: r.template_id,
            template_name: names.template(r.template_id),
            created_at: r.created_at,
            revoked_at: r.revoked_at,
        })
        .collect())
}

pub(super) async fn view(conn: &impl ConnectionTrait, row: forwards::Model) -> DomainResult<SupplyChainForward> {
    views(conn, vec![row]).await?.pop().ok_or(DomainError::NotFound("supply chain forward"))
}

/// Forwards the recipient may read: addressed to it and not withdrawn.
pub(super) fn readable_by(organization: Uuid) -> Condition {
    Condition::all()
        .add(forwards::Column::RecipientOrganizationId.eq(organization))
        .add(forwards::Column::RevokedAt.is_null())
}

/// `POST /api/v1/supply-chain/forwards`: forwards the caller's supply chain figure for the
/// checklist of an assessment it answers to that assessment's buyer. A standing forward to
/// the same buyer for the same line is returned rather than repeated: `(forward, false)`.
#[instrument(skip_all, fields(org = %ctx.org_id()))]
pub async fn forward(
    k: &Kensa,
    ctx: &TenantCtx,
    input: NewSupplyChainForward,
) -> DomainResult<(SupplyChainForward, bool)> {
    forwarder(ctx)?;
    let org = ctx.org_id().0;
    let visible = match access::load(&k.db, ctx, input.assessment_id).await {
        Err(DomainError::NotFound(_)) => None,
        other => Some(other?),
    };
    let Some(visible) = visible.filter(|v| v.side() == Side::Supplier && v.row().buyer_organization_id != org) else {
        return Err(DomainError::validation(
            "assessment_id",
            ErrorCode::NotFound,
            "no assessment that your organization answers for another organization",
        ));
    };
    if visible.status()? == Status::Cancelled {
        return Err(DomainError::validation(
            "assessment_id",
            ErrorCode::InvalidTransition,
            "the buyer cancelled this assessment",
        ));
    }
    let row = visible.row();
    let template =
        templates::Entity::find_by_id(row.template_id).one(&k.db).await?.ok_or(DomainError::NotFound("template"))?;
    let line = Line::of(&template);
    let txn = k.begin_write().await?;
    // Serializes this organization's forwards: two at once cannot both find none standing.
    organizations::Entity::find_by_id(org).lock_exclusive().one(&txn).await?;
    // The assessment as it is now, under the lock a cancellation takes: a cancellation that
    // committed since the check above refuses the forward, one that comes later ends it.
    let current = crate::entities::assessments::Entity::find_by_id(row.id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("assessment"))?;
    if current.status == Status::Cancelled.as_str() {
        return Err(DomainError::validation(
            "assessment_id",
            ErrorCode::InvalidTransition,
            "the buyer cancelled this assessment",
        ));
    }
    let standing = forwards::Entity::find()
        .filter(forwards::Column::OrganizationId.eq(org))
        .filter(forwards::Column::RecipientOrganizationId.eq(row.buyer_organization_id))
        .filter(forwards::Column::LineOwnerKey.eq(line.owner_key.as_str()))
        .filter(forwards::Column::LineKey.eq(line.key.as_str()))
        .filter(forwards::Column::RevokedAt.is_null())
        .one(&txn)
        .await?;
    if let Some(existing) = standing {
        txn.commit().await?;
        return Ok((view(&k.db, existing).await?, false));
    }
    let created = forwards::Model {
        id: Uuid::now_v7(),
        organization_id: org,
        recipient_organization_id: row.buyer_organization_id,
        assessment_id: row.id,
        template_id: row.template_id,
        line_owner_key: line.owner_key,
        line_key: line.key,
        created_by: ctx.user_id().map(|u| u.0),
        created_at: txn.now(),
        revoked_at: None,
    };
    forwards::Entity::insert(forwards::ActiveModel::from(created.clone())).exec_without_returning(&txn).await?;
    crate::audit::record_action(
        &txn,
        ctx,
        "supply_chain.forwarded",
        Some(("supply_chain_forward", created.id.to_string())),
        json!({ "recipient_organization_id": created.recipient_organization_id, "template_id": created.template_id }),
    )
    .await?;
    txn.commit().await?;
    Ok((view(&k.db, created).await?, true))
}

/// `GET /api/v1/supply-chain/forwards`: the caller's own forwards, withdrawn ones included,
/// oldest first.
#[instrument(skip_all, fields(org = %ctx.org_id()))]
pub async fn list_forwards(k: &Kensa, ctx: &TenantCtx, page: &PageRequest) -> DomainResult<Page<SupplyChainForward>> {
    let rows = page_of(&k.db, Condition::all().add(forwards::Column::OrganizationId.eq(ctx.org_id().0)), page).await?;
    let page_rows = Page::from_rows(rows, page.limit, |r| r.id);
    Ok(Page { data: views(&k.db, page_rows.data).await?, next_cursor: page_rows.next_cursor })
}

pub(super) async fn page_of(
    conn: &impl ConnectionTrait,
    which: Condition,
    page: &PageRequest,
) -> DomainResult<Vec<forwards::Model>> {
    let mut query = forwards::Entity::find().filter(which);
    if let Some(cursor) = page.cursor {
        query = query.filter(forwards::Column::Id.gt(cursor));
    }
    Ok(query.order_by_asc(forwards::Column::Id).limit(page.limit + 1).all(conn).await?)
}

/// `DELETE /api/v1/supply-chain/forwards/{id}`: the Tier-1 withdraws a forward; its recipient
/// sees nothing of it from then on. Withdrawing twice changes nothing.
#[instrument(skip_all, fields(org = %ctx.org_id(), forward = %id))]
pub async fn revoke_forward(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<SupplyChainForward> {
    let org = ctx.org_id().0;
    let row = match owned(&k.db, org, id).await? {
        Some(row) => row,
        // The recipient sees it, but does not end it.
        None if readable(&k.db, org, id).await?.is_some() => return Err(DomainError::Forbidden),
        None => return Err(DomainError::NotFound("supply chain forward")),
    };
    forwarder(ctx)?;
    if row.revoked_at.is_none() {
        let txn = k.begin_write().await?;
        let revoked = forwards::Entity::update_many()
            .col_expr(forwards::Column::RevokedAt, Expr::value(txn.now()))
            .filter(forwards::Column::Id.eq(row.id))
            .filter(forwards::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        if revoked.rows_affected == 1 {
            crate::audit::record_action(
                &txn,
                ctx,
                "supply_chain.forward_revoked",
                Some(("supply_chain_forward", id.to_string())),
                json!({}),
            )
            .await?;
        }
        txn.commit().await?;
    }
    let row = owned(&k.db, org, id).await?.ok_or(DomainError::NotFound("supply chain forward"))?;
    view(&k.db, row).await
}

pub(super) async fn owned(
    conn: &impl ConnectionTrait,
    organization: Uuid,
    id: Uuid,
) -> DomainResult<Option<forwards::Model>> {
    Ok(forwards::Entity::find_by_id(id).filter(forwards::Column::OrganizationId.eq(organization)).one(conn).await?)
}

pub(super) async fn readable(
    conn: &impl ConnectionTrait,
    organization: Uuid,
    id: Uuid,
) -> DomainResult<Option<forwards::Model>> {
    Ok(forwards::Entity::find_by_id(id).filter(readable_by(organization)).one(conn).await?)
}

/// The buyer withdrew the assessment a forward was made for: the forward ends with it (in
/// the cancellation's transaction, which holds the assessment's row), as if the Tier-1 had
/// revoked it, and the Tier-1's trail says so (`supply_chain.forward_ended`, by the buyer;
/// not the buyer's address or request id). Nothing to do for an assessment without one.
pub(crate) async fn end_with_assessment(tx: &crate::WriteTx, ctx: &TenantCtx, assessment: Uuid) -> DomainResult<()> {
    let standing = forwards::Entity::find()
        .filter(forwards::Column::AssessmentId.eq(assessment))
        .filter(forwards::Column::RevokedAt.is_null())
        .all(tx)
        .await?;
    if standing.is_empty() {
        return Ok(());
    }
    forwards::Entity::update_many()
        .col_expr(forwards::Column::RevokedAt, Expr::value(tx.now()))
        .filter(forwards::Column::Id.is_in(standing.iter().map(|f| f.id)))
        .exec(tx)
        .await?;
    let targets = standing.iter().map(|f| (f.organization_id, f.id));
    let details = json!({ "assessment_id": assessment });
    crate::audit::record_in_trails_of(tx, ctx, "supply_chain.forward_ended", "supply_chain_forward", targets, details)
        .await
}
