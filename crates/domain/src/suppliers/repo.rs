//! Supplier queries, always within the buyer organization of the [`TenantCtx`].

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::model::{SupplierFields, SupplierFilter};
use crate::entities::suppliers;
use crate::error::DomainResult;
use crate::pagination::PageRequest;
use crate::tenant::TenantCtx;

fn scoped(ctx: &TenantCtx) -> sea_orm::Select<suppliers::Entity> {
    suppliers::Entity::find()
        .filter(suppliers::Column::OrganizationId.eq(ctx.org_id().0))
        .filter(suppliers::Column::DeletedAt.is_null())
}

pub async fn find(conn: &impl ConnectionTrait, ctx: &TenantCtx, id: Uuid) -> DomainResult<Option<suppliers::Model>> {
    Ok(scoped(ctx).filter(suppliers::Column::Id.eq(id)).one(conn).await?)
}

pub async fn find_many(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> DomainResult<Vec<suppliers::Model>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        found.extend(scoped(ctx).filter(suppliers::Column::Id.is_in(chunk.to_vec())).all(conn).await?);
    }
    Ok(found)
}

pub async fn find_by_email(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    email: &str,
) -> DomainResult<Option<suppliers::Model>> {
    Ok(scoped(ctx).filter(suppliers::Column::ContactEmail.eq(email)).one(conn).await?)
}

pub async fn all_by_email(conn: &impl ConnectionTrait, ctx: &TenantCtx) -> DomainResult<Vec<suppliers::Model>> {
    Ok(scoped(ctx).all(conn).await?)
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

pub async fn list(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    filter: &SupplierFilter,
    page: &PageRequest,
) -> DomainResult<Vec<suppliers::Model>> {
    use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
    let mut query = scoped(ctx);
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = LikeExpr::new(format!("%{}%", like_escape(&q.to_lowercase()))).escape('\\');
        query = query.filter(Expr::col(suppliers::Column::SearchText).like(pattern));
    }
    if let Some(tier) = &filter.tier {
        query = query.filter(suppliers::Column::Tier.eq(tier.as_str()));
    }
    if let Some(level) = filter.target_level {
        query = query.filter(suppliers::Column::TargetLevel.eq(level));
    }
    if let Some(tag) = &filter.tag {
        let pattern = LikeExpr::new(format!("%|{}|%", like_escape(tag))).escape('\\');
        query = query.filter(Expr::col(suppliers::Column::TagText).like(pattern));
    }
    if let Some(status) = &filter.review_status {
        query = query.filter(suppliers::Column::ReviewStatus.eq(status.as_str()));
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(suppliers::Column::UpdatedAt.gte(since));
    }
    if let Some(cursor) = page.cursor {
        query = query.filter(suppliers::Column::Id.gt(cursor));
    }
    Ok(query.order_by_asc(suppliers::Column::Id).limit(page.limit + 1).all(conn).await?)
}

pub fn row(ctx: &TenantCtx, id: Uuid, f: &SupplierFields, now: chrono::DateTime<chrono::Utc>) -> suppliers::Model {
    suppliers::Model {
        id,
        organization_id: ctx.org_id().0,
        name: f.name.clone(),
        contact_name: f.contact_name.clone(),
        contact_email: f.contact_email.clone(),
        contact_locale: f.contact_locale.as_str().to_owned(),
        tier: f.tier.clone(),
        target_level: f.target_level,
        review_interval_months: f.review_interval_months,
        tags: serde_json::json!(f.tags),
        search_text: format!("{} {}", f.name.to_lowercase(), f.contact_email),
        tag_text: format!("|{}|", f.tags.join("|")),
        supplier_organization_id: None,
        review_status: "not_started".into(),
        next_review_on: None,
        review_opens_on: None,
        next_review_from: None,
        version: 1,
        deleted_at: None,
        created_at: now,
        updated_at: now,
    }
}

/// Writes the editable fields only (never the link, status or deletion), and only while the
/// supplier exists: a concurrent delete or invitation acceptance is not undone.
pub async fn update_fields(
    conn: &crate::WriteTx,
    ctx: &TenantCtx,
    id: Uuid,
    f: &SupplierFields,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, sea_orm::DbErr> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let result = suppliers::Entity::update_many()
        .col_expr(suppliers::Column::Name, Expr::value(f.name.clone()))
        .col_expr(suppliers::Column::ContactName, Expr::value(f.contact_name.clone()))
        .col_expr(suppliers::Column::ContactEmail, Expr::value(f.contact_email.clone()))
        .col_expr(suppliers::Column::ContactLocale, Expr::value(f.contact_locale.as_str()))
        .col_expr(suppliers::Column::Tier, Expr::value(f.tier.clone()))
        .col_expr(suppliers::Column::TargetLevel, Expr::value(f.target_level))
        .col_expr(suppliers::Column::ReviewIntervalMonths, Expr::value(f.review_interval_months))
        .col_expr(suppliers::Column::Tags, Expr::value(serde_json::json!(f.tags)))
        .col_expr(suppliers::Column::SearchText, Expr::value(format!("{} {}", f.name.to_lowercase(), f.contact_email)))
        .col_expr(suppliers::Column::TagText, Expr::value(format!("|{}|", f.tags.join("|"))))
        .col_expr(suppliers::Column::UpdatedAt, Expr::value(now))
        .col_expr(suppliers::Column::Version, Expr::col(suppliers::Column::Version).add(1))
        .filter(suppliers::Column::Id.eq(id))
        .filter(suppliers::Column::OrganizationId.eq(ctx.org_id().0))
        .filter(suppliers::Column::DeletedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The supplier record as it is inside `tx`, locked until commit on PostgreSQL (SQLite's
/// write lock is already held): what `If-Match` is checked against.
pub async fn lock(tx: &crate::WriteTx, ctx: &TenantCtx, id: Uuid) -> DomainResult<Option<suppliers::Model>> {
    Ok(scoped(ctx).filter(suppliers::Column::Id.eq(id)).lock_exclusive().one(tx).await?)
}

/// Mirrors the status of the supplier's latest assessment on its record; the record's
/// version and `updated_at` move with it (it is part of what a client syncs).
pub(crate) async fn mirror_review_status(
    tx: &crate::WriteTx,
    supplier_ids: impl IntoIterator<Item = Uuid>,
    status: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sea_orm::DbErr> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let ids: Vec<Uuid> = supplier_ids.into_iter().collect();
    for chunk in ids.chunks(500) {
        suppliers::Entity::update_many()
            .col_expr(suppliers::Column::ReviewStatus, Expr::value(status))
            .col_expr(suppliers::Column::UpdatedAt, Expr::value(now))
            .col_expr(suppliers::Column::Version, Expr::col(suppliers::Column::Version).add(1))
            .filter(suppliers::Column::Id.is_in(chunk.to_vec()))
            .filter(suppliers::Column::ReviewStatus.ne(status))
            .exec(tx)
            .await?;
    }
    Ok(())
}
