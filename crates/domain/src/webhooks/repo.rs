//! Webhook endpoint queries, always within one organization.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::model::Fields;
use crate::entities::{jobs, webhook_endpoints as endpoints};
use crate::error::DomainResult;
use crate::jobs::Channel;
use crate::pagination::PageRequest;

fn scoped(organization_id: Uuid) -> sea_orm::Select<endpoints::Entity> {
    endpoints::Entity::find().filter(endpoints::Column::OrganizationId.eq(organization_id))
}

pub async fn find(
    conn: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> DomainResult<Option<endpoints::Model>> {
    Ok(scoped(organization_id).filter(endpoints::Column::Id.eq(id)).one(conn).await?)
}

/// Locked until commit on PostgreSQL (SQLite's write lock is already held).
pub async fn lock(tx: &crate::WriteTx, organization_id: Uuid, id: Uuid) -> DomainResult<Option<endpoints::Model>> {
    Ok(scoped(organization_id).filter(endpoints::Column::Id.eq(id)).lock_exclusive().one(tx).await?)
}

pub async fn count(conn: &impl ConnectionTrait, organization_id: Uuid) -> DomainResult<u64> {
    Ok(scoped(organization_id).count(conn).await?)
}

/// Every active endpoint of the organization (at most [`super::model::MAX_ENDPOINTS`]).
pub async fn active(conn: &impl ConnectionTrait, organization_id: Uuid) -> DomainResult<Vec<endpoints::Model>> {
    Ok(scoped(organization_id)
        .filter(endpoints::Column::Active.eq(true))
        .order_by_asc(endpoints::Column::Id)
        .all(conn)
        .await?)
}

pub async fn list(
    conn: &impl ConnectionTrait,
    organization_id: Uuid,
    page: &PageRequest,
) -> DomainResult<Vec<endpoints::Model>> {
    let mut query = scoped(organization_id);
    if let Some(cursor) = page.cursor {
        query = query.filter(endpoints::Column::Id.gt(cursor));
    }
    Ok(query.order_by_asc(endpoints::Column::Id).limit(page.limit + 1).all(conn).await?)
}

pub fn row(
    organization_id: Uuid,
    fields: &Fields,
    secret: String,
    now: chrono::DateTime<chrono::Utc>,
) -> endpoints::Model {
    endpoints::Model {
        id: Uuid::now_v7(),
        organization_id,
        url: fields.url.clone(),
        secret,
        event_types: event_types_json(fields),
        description: fields.description.clone(),
        active: fields.active,
        created_at: now,
        updated_at: now,
    }
}

fn event_types_json(fields: &Fields) -> serde_json::Value {
    serde_json::json!(fields.event_types.iter().map(|t| t.as_str()).collect::<Vec<_>>())
}

pub async fn update(
    tx: &crate::WriteTx,
    organization_id: Uuid,
    id: Uuid,
    fields: &Fields,
    now: chrono::DateTime<chrono::Utc>,
) -> DomainResult<()> {
    endpoints::Entity::update_many()
        .col_expr(endpoints::Column::Url, Expr::value(fields.url.clone()))
        .col_expr(endpoints::Column::EventTypes, Expr::value(event_types_json(fields)))
        .col_expr(endpoints::Column::Description, Expr::value(fields.description.clone()))
        .col_expr(endpoints::Column::Active, Expr::value(fields.active))
        .col_expr(endpoints::Column::UpdatedAt, Expr::value(now))
        .filter(endpoints::Column::Id.eq(id))
        .filter(endpoints::Column::OrganizationId.eq(organization_id))
        .exec(tx)
        .await?;
    Ok(())
}

/// Deletes the endpoint; its deliveries still waiting are given up (they stay listed in
/// the organization's deliveries, as dead, with the reason).
pub async fn delete(
    tx: &crate::WriteTx,
    organization_id: Uuid,
    id: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> DomainResult<()> {
    endpoints::Entity::delete_many()
        .filter(endpoints::Column::Id.eq(id))
        .filter(endpoints::Column::OrganizationId.eq(organization_id))
        .exec(tx)
        .await?;
    jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, Expr::value("failed"))
        .col_expr(jobs::Column::LastError, Expr::value("the webhook endpoint was deleted"))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
        .filter(jobs::Column::WebhookEndpointId.eq(id))
        .filter(jobs::Column::Status.eq("pending"))
        .exec(tx)
        .await?;
    Ok(())
}

/// The endpoint's deliveries, newest first (job ids are time-ordered).
pub async fn deliveries(
    conn: &impl ConnectionTrait,
    organization_id: Uuid,
    endpoint_id: Uuid,
    page: &PageRequest,
) -> DomainResult<Vec<jobs::Model>> {
    let mut query = jobs::Entity::find()
        .filter(jobs::Column::WebhookEndpointId.eq(endpoint_id))
        .filter(jobs::Column::OrganizationId.eq(organization_id))
        .filter(jobs::Column::Channel.eq(Channel::Webhook.as_str()));
    if let Some(cursor) = page.cursor {
        query = query.filter(jobs::Column::Id.lt(cursor));
    }
    Ok(query.order_by_desc(jobs::Column::Id).limit(page.limit + 1).all(conn).await?)
}
