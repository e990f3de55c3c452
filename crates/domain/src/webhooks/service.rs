//! Registering, changing, testing and removing webhook endpoints (owners and admins).

use sea_orm::{EntityTrait, QuerySelect};
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use super::delivery::{self, DeliveryEvent};
use super::model::{CreatedWebhook, Fields, MAX_ENDPOINTS, SECRET_PREFIX, Webhook, WebhookCreate, WebhookPatch};
use super::repo;
use crate::Kensa;
use crate::audit::record_action as record;
use crate::deliveries::{Delivery, view};
use crate::entities::{organizations, webhook_endpoints};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::jobs::Enqueued;
use crate::pagination::{Page, PageRequest};
use crate::tenant::AdminCtx;

const NOT_FOUND: DomainError = DomainError::NotFound("webhook");

/// A new signing secret (shown to the owner once; an imported endpoint gets one too).
pub(crate) fn new_secret() -> String {
    format!("{SECRET_PREFIX}{}", crate::auth::tokens::random_token())
}

#[instrument(skip_all, fields(org = %admin.tenant().org_id()))]
pub async fn create(k: &Kensa, admin: AdminCtx<'_>, input: WebhookCreate) -> DomainResult<CreatedWebhook> {
    let ctx = admin.tenant();
    let org = ctx.org_id().0;
    let fields = Fields::parse_create(input, k.webhooks)?;
    let secret = new_secret();
    let txn = k.begin_write().await?;
    // Serialises creations per organization on PostgreSQL, so that two at once cannot both
    // take the last place.
    organizations::Entity::find_by_id(org).lock_exclusive().one(&txn).await?;
    if repo::count(&txn, org).await? >= MAX_ENDPOINTS {
        return Err(DomainError::conflict(
            ErrorCode::TooMany,
            format!("an organization may have at most {MAX_ENDPOINTS} webhook endpoints; delete one first"),
        ));
    }
    let row = repo::row(org, &fields, secret.clone(), k.now());
    webhook_endpoints::Entity::insert(webhook_endpoints::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    record(&txn, ctx, "webhook.created", Some(("webhook", row.id.to_string())), audit_details(&fields)).await?;
    txn.commit().await?;
    Ok(CreatedWebhook { webhook: Webhook::try_from(row)?, secret })
}

fn audit_details(fields: &Fields) -> serde_json::Value {
    let types: Vec<&str> = fields.event_types.iter().map(|t| t.as_str()).collect();
    json!({ "url": fields.url, "event_types": types, "active": fields.active })
}

#[instrument(skip_all, fields(org = %admin.tenant().org_id()))]
pub async fn list(k: &Kensa, admin: AdminCtx<'_>, page: &PageRequest) -> DomainResult<Page<Webhook>> {
    let rows = repo::list(&k.db, admin.tenant().org_id().0, page).await?;
    Page::from_rows(rows, page.limit, |r| r.id).try_map(Webhook::try_from)
}

#[instrument(skip_all, fields(org = %admin.tenant().org_id(), webhook = %id))]
pub async fn get(k: &Kensa, admin: AdminCtx<'_>, id: Uuid) -> DomainResult<Webhook> {
    repo::find(&k.db, admin.tenant().org_id().0, id).await?.map(Webhook::try_from).ok_or(NOT_FOUND)?
}

#[instrument(skip_all, fields(org = %admin.tenant().org_id(), webhook = %id))]
pub async fn update(k: &Kensa, admin: AdminCtx<'_>, id: Uuid, patch: WebhookPatch) -> DomainResult<Webhook> {
    let ctx = admin.tenant();
    let org = ctx.org_id().0;
    let txn = k.begin_write().await?;
    let existing = repo::lock(&txn, org, id).await?.ok_or(NOT_FOUND)?;
    let current = Webhook::try_from(existing)?;
    let base = Fields {
        url: current.url,
        event_types: current.event_types,
        description: current.description,
        active: current.active,
    };
    let fields = base.apply(patch, k.webhooks)?;
    repo::update(&txn, org, id, &fields, k.now()).await?;
    record(&txn, ctx, "webhook.updated", Some(("webhook", id.to_string())), audit_details(&fields)).await?;
    let row = repo::find(&txn, org, id).await?.ok_or(NOT_FOUND)?;
    txn.commit().await?;
    Webhook::try_from(row)
}

#[instrument(skip_all, fields(org = %admin.tenant().org_id(), webhook = %id))]
pub async fn delete(k: &Kensa, admin: AdminCtx<'_>, id: Uuid) -> DomainResult<()> {
    let ctx = admin.tenant();
    let org = ctx.org_id().0;
    let txn = k.begin_write().await?;
    let existing = repo::lock(&txn, org, id).await?.ok_or(NOT_FOUND)?;
    repo::delete(&txn, org, id, k.now()).await?;
    record(&txn, ctx, "webhook.deleted", Some(("webhook", id.to_string())), json!({ "url": existing.url })).await?;
    txn.commit().await?;
    Ok(())
}

/// Queues a `ping` to the endpoint now (also when it is inactive: it is how one checks a
/// receiver before switching it on) and returns the delivery's id.
#[instrument(skip_all, fields(org = %admin.tenant().org_id(), webhook = %id))]
pub async fn ping(k: &Kensa, admin: AdminCtx<'_>, id: Uuid) -> DomainResult<Delivery> {
    let org = admin.tenant().org_id().0;
    let txn = k.begin_write().await?;
    let endpoint = repo::lock(&txn, org, id).await?.ok_or(NOT_FOUND)?;
    let key = format!("ping:{}", Uuid::now_v7());
    let data = json!({ "webhook_id": id });
    let Enqueued::Queued(job_id) = delivery::queue(&txn, &endpoint, DeliveryEvent::Ping, &key, &data).await? else {
        return Err(DomainError::Internal(format!("ping {key} queued twice")));
    };
    let row = crate::entities::jobs::Entity::find_by_id(job_id.0).one(&txn).await?;
    txn.commit().await?;
    k.wake_worker();
    view(row.ok_or(DomainError::Internal(format!("ping job {job_id} vanished")))?)
}

/// The endpoint's deliveries, newest first.
#[instrument(skip_all, fields(org = %admin.tenant().org_id(), webhook = %id))]
pub async fn deliveries(k: &Kensa, admin: AdminCtx<'_>, id: Uuid, page: &PageRequest) -> DomainResult<Page<Delivery>> {
    let org = admin.tenant().org_id().0;
    repo::find(&k.db, org, id).await?.ok_or(NOT_FOUND)?;
    let rows = repo::deliveries(&k.db, org, id, page).await?;
    Page::from_rows(rows, page.limit, |r| r.id).try_map(view)
}
