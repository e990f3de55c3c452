//! The `idempotency_keys` rows, always within the caller's organization.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::WriteTx;
use crate::entities::idempotency_keys as keys;
use crate::error::DomainResult;
use crate::tenant::TenantCtx;

/// Inserts a claim unless the organization already has the key (an expired record of it is
/// dropped first, whatever the sweep's schedule). `Some(id)` when the claim is ours.
pub(super) async fn claim(
    tx: &WriteTx,
    ctx: &TenantCtx,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> DomainResult<Option<Uuid>> {
    keys::Entity::delete_many()
        .filter(keys::Column::OrganizationId.eq(ctx.org_id().0))
        .filter(keys::Column::IdemKey.eq(key))
        .filter(keys::Column::ExpiresAt.lte(now))
        .exec(tx)
        .await?;
    let id = Uuid::now_v7();
    let row = keys::Model {
        id,
        organization_id: ctx.org_id().0,
        user_id: ctx.user_id().map(|u| u.0),
        idem_key: key.to_owned(),
        fingerprint: fingerprint.to_owned(),
        response_status: None,
        response_headers: None,
        response_body: None,
        created_at: now,
        expires_at,
    };
    let inserted = keys::Entity::insert(keys::ActiveModel::from(row))
        .on_conflict(OnConflict::columns([keys::Column::OrganizationId, keys::Column::IdemKey]).do_nothing().to_owned())
        .exec_without_returning(tx)
        .await?;
    Ok((inserted == 1).then_some(id))
}

pub(super) async fn find(conn: &impl ConnectionTrait, ctx: &TenantCtx, key: &str) -> DomainResult<Option<keys::Model>> {
    Ok(keys::Entity::find()
        .filter(keys::Column::OrganizationId.eq(ctx.org_id().0))
        .filter(keys::Column::IdemKey.eq(key))
        .one(conn)
        .await?)
}

pub(super) async fn complete(
    tx: &WriteTx,
    id: Uuid,
    status: u16,
    headers: serde_json::Value,
    body: &[u8],
) -> DomainResult<()> {
    keys::Entity::update_many()
        .col_expr(keys::Column::ResponseStatus, Expr::value(i32::from(status)))
        .col_expr(keys::Column::ResponseHeaders, Expr::value(headers))
        .col_expr(keys::Column::ResponseBody, Expr::value(body.to_vec()))
        .filter(keys::Column::Id.eq(id))
        .exec(tx)
        .await?;
    Ok(())
}

/// Drops a claim that never got a response.
pub(super) async fn release(tx: &WriteTx, id: Uuid) -> DomainResult<()> {
    keys::Entity::delete_many()
        .filter(keys::Column::Id.eq(id))
        .filter(keys::Column::ResponseStatus.is_null())
        .exec(tx)
        .await?;
    Ok(())
}

/// Deletes at most `batch` expired records.
pub(super) async fn purge(tx: &WriteTx, now: DateTime<Utc>, batch: u64) -> DomainResult<u64> {
    let expired = Query::select()
        .column(keys::Column::Id)
        .from(keys::Entity)
        .and_where(Expr::col(keys::Column::ExpiresAt).lte(now))
        .limit(batch)
        .to_owned();
    let result = keys::Entity::delete_many().filter(keys::Column::Id.in_subquery(expired)).exec(tx).await?;
    Ok(result.rows_affected)
}
