//! Deliveries: every mail and webhook call Kensa makes for an organization, as its owners
//! and admins see them (the delivery jobs of the durable outbox). A dead one (failed after
//! every attempt) can be sent again.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use tracing::instrument;
use uuid::Uuid;

use crate::Kensa;
use crate::entities::jobs;
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::jobs::Channel;
use crate::pagination::{Page, PageRequest};
use crate::tenant::AdminCtx;

crate::closed_set::closed_set! {
    /// Where a delivery stands.
    pub enum DeliveryStatus("delivery status") {
        /// Waiting for its first attempt.
        Pending => "pending",
        /// An attempt is running now.
        Sending => "sending",
        /// An attempt failed; another follows (see `next_attempt_at`).
        Retrying => "retrying",
        Delivered => "delivered",
        /// Every attempt failed: it is not tried again unless resent.
        Dead => "dead",
    }
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Delivery {
    pub id: Uuid,
    pub channel: Channel,
    /// What it is about, e.g. `reminder`, `submitted`, `assessment.accepted`.
    pub event: Option<String>,
    /// The recipient's address or the endpoint's URL.
    pub target: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// The HTTP status of the last webhook attempt.
    pub response_status: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn status_of(row: &jobs::Model) -> DeliveryStatus {
    match (row.status.as_str(), row.attempts) {
        ("done", _) => DeliveryStatus::Delivered,
        ("failed", _) => DeliveryStatus::Dead,
        ("running", _) => DeliveryStatus::Sending,
        (_, 0) => DeliveryStatus::Pending,
        _ => DeliveryStatus::Retrying,
    }
}

/// How a delivery job reads (also the webhook endpoints' own list of deliveries).
pub(crate) fn view(row: jobs::Model) -> DomainResult<Delivery> {
    let status = status_of(&row);
    let event = row
        .payload
        .get("event")
        .and_then(|e| e.get("type"))
        .or_else(|| row.payload.get("event_type"))
        .and_then(|t| t.as_str())
        .map(str::to_owned);
    Ok(Delivery {
        id: row.id,
        channel: Channel::try_from(row.channel.as_deref().unwrap_or_default())?,
        event,
        target: row.target.unwrap_or_default(),
        status,
        attempts: row.attempts,
        response_status: row.response_status,
        last_error: row.last_error,
        next_attempt_at: matches!(status, DeliveryStatus::Pending | DeliveryStatus::Retrying).then_some(row.run_at),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn status_condition(status: DeliveryStatus) -> Condition {
    use jobs::Column as J;
    match status {
        DeliveryStatus::Delivered => Condition::all().add(J::Status.eq("done")),
        DeliveryStatus::Dead => Condition::all().add(J::Status.eq("failed")),
        DeliveryStatus::Sending => Condition::all().add(J::Status.eq("running")),
        DeliveryStatus::Pending => Condition::all().add(J::Status.eq("pending")).add(J::Attempts.eq(0)),
        DeliveryStatus::Retrying => Condition::all().add(J::Status.eq("pending")).add(J::Attempts.gt(0)),
    }
}

#[derive(Clone, Debug, Default)]
pub struct DeliveryFilter {
    pub status: Option<DeliveryStatus>,
    pub channel: Option<Channel>,
    /// Deliveries to one address or endpoint URL.
    pub target: Option<String>,
}

/// The organization's deliveries, oldest first.
#[instrument(skip_all, fields(org = %admin.tenant().org_id()))]
pub async fn list(
    k: &Kensa,
    admin: AdminCtx<'_>,
    filter: &DeliveryFilter,
    page: &PageRequest,
) -> DomainResult<Page<Delivery>> {
    let mut query = jobs::Entity::find()
        .filter(jobs::Column::OrganizationId.eq(admin.tenant().org_id().0))
        .filter(jobs::Column::Channel.is_not_null());
    if let Some(status) = filter.status {
        query = query.filter(status_condition(status));
    }
    if let Some(channel) = filter.channel {
        query = query.filter(jobs::Column::Channel.eq(channel.as_str()));
    }
    if let Some(target) = &filter.target {
        query = query.filter(jobs::Column::Target.eq(target.as_str()));
    }
    if let Some(cursor) = page.cursor {
        query = query.filter(jobs::Column::Id.gt(cursor));
    }
    let rows = query.order_by_asc(jobs::Column::Id).limit(page.limit + 1).all(&k.db).await?;
    Page::from_rows(rows, page.limit, |r| r.id).try_map(view)
}

async fn find(k: &Kensa, admin: AdminCtx<'_>, id: Uuid) -> DomainResult<jobs::Model> {
    jobs::Entity::find_by_id(id)
        .filter(jobs::Column::OrganizationId.eq(admin.tenant().org_id().0))
        .filter(jobs::Column::Channel.is_not_null())
        .one(&k.db)
        .await?
        .ok_or(DomainError::NotFound("delivery"))
}

#[instrument(skip_all, fields(org = %admin.tenant().org_id(), delivery = %id))]
pub async fn get(k: &Kensa, admin: AdminCtx<'_>, id: Uuid) -> DomainResult<Delivery> {
    view(find(k, admin, id).await?)
}

/// Sends a dead delivery again, with a fresh set of attempts.
#[instrument(skip_all, fields(org = %admin.tenant().org_id(), delivery = %id))]
pub async fn resend(k: &Kensa, admin: AdminCtx<'_>, id: Uuid) -> DomainResult<Delivery> {
    find(k, admin, id).await?;
    crate::auth::verification::ensure_may_mail(&k.db, admin.tenant().org_id().0).await?;
    let txn = k.begin_write().await?;
    let now = txn.now();
    let updated = jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, Expr::value("pending"))
        .col_expr(jobs::Column::Attempts, Expr::value(0))
        .col_expr(jobs::Column::RunAt, Expr::value(now))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
        .filter(jobs::Column::Id.eq(id))
        .filter(jobs::Column::Status.eq("failed"))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(DomainError::conflict(ErrorCode::InvalidTransition, "only a dead delivery can be resent"));
    }
    crate::audit::record_action(
        &txn,
        admin.tenant(),
        "delivery.resent",
        Some(("delivery", id.to_string())),
        serde_json::json!({}),
    )
    .await?;
    txn.commit().await?;
    k.wake_worker();
    get(k, admin, id).await
}
