//! Queries of campaigns, every one scoped to the buying organization.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::WriteTx;
use crate::entities::{assessments, campaigns, suppliers};
use crate::error::{DomainError, DomainResult};
use crate::pagination::{Page, PageRequest};
use crate::tenant::{EditorCtx, TenantCtx};

/// The campaigns a tenant may see: its own (campaigns are the buyer's; suppliers see the
/// assessments, never the campaign).
pub(crate) fn visible_to(ctx: &TenantCtx) -> Condition {
    Condition::all().add(campaigns::Column::OrganizationId.eq(ctx.org_id().0))
}

pub(crate) async fn find(conn: &impl ConnectionTrait, ctx: &TenantCtx, id: Uuid) -> DomainResult<campaigns::Model> {
    campaigns::Entity::find_by_id(id).filter(visible_to(ctx)).one(conn).await?.ok_or(DomainError::NotFound("campaign"))
}

pub(crate) async fn list(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    page: &PageRequest,
) -> DomainResult<Page<campaigns::Model>> {
    let mut query = campaigns::Entity::find().filter(visible_to(ctx));
    if let Some(cursor) = page.cursor {
        query = query.filter(campaigns::Column::Id.gt(cursor));
    }
    let rows = query.order_by_asc(campaigns::Column::Id).limit(page.limit + 1).all(conn).await?;
    Ok(Page::from_rows(rows, page.limit, |r| r.id))
}

/// The campaign's assessments (the campaign row came from [`find`], so they are the
/// tenant's own; the buyer filter says so again).
pub(crate) async fn assessments(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    campaign: &campaigns::Model,
) -> DomainResult<Vec<assessments::Model>> {
    Ok(assessments::Entity::find()
        .filter(assessments::Column::CampaignId.eq(campaign.id))
        .filter(assessments::Column::BuyerOrganizationId.eq(ctx.org_id().0))
        .order_by_asc(assessments::Column::Id)
        .all(conn)
        .await?)
}

/// The tenant's supplier names, for the campaign's detail view.
pub(crate) async fn supplier_names(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> DomainResult<HashMap<Uuid, String>> {
    let mut names = HashMap::new();
    for chunk in ids.chunks(500) {
        let found: Vec<(Uuid, String)> = suppliers::Entity::find()
            .select_only()
            .column(suppliers::Column::Id)
            .column(suppliers::Column::Name)
            .filter(suppliers::Column::Id.is_in(chunk.to_vec()))
            .filter(suppliers::Column::OrganizationId.eq(ctx.org_id().0))
            .into_tuple()
            .all(conn)
            .await?;
        names.extend(found);
    }
    Ok(names)
}

/// Stores a new campaign of the editor's organization.
pub(crate) async fn insert(tx: &WriteTx, editor: EditorCtx<'_>, campaign: &campaigns::Model) -> DomainResult<()> {
    if campaign.organization_id != editor.tenant().org_id().0 {
        return Err(DomainError::internal("a campaign of another organization"));
    }
    campaigns::Entity::insert(campaigns::ActiveModel::from(campaign.clone())).exec_without_returning(tx).await?;
    Ok(())
}

/// Marks the campaign cancelled; false when it already was (a concurrent cancel won).
pub(crate) async fn mark_cancelled(
    tx: &WriteTx,
    editor: EditorCtx<'_>,
    campaign: &campaigns::Model,
    now: DateTime<Utc>,
) -> DomainResult<bool> {
    let marked = campaigns::Entity::update_many()
        .col_expr(campaigns::Column::CancelledAt, Expr::value(now))
        .filter(campaigns::Column::Id.eq(campaign.id))
        .filter(visible_to(editor.tenant()))
        .filter(campaigns::Column::CancelledAt.is_null())
        .exec(tx)
        .await?;
    Ok(marked.rows_affected == 1)
}
