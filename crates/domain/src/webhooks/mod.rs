//! Webhook endpoints and their signed deliveries. An organization's owners and admins
//! register endpoints (URL, event types; a secret is issued once); every event of a
//! subscribed type becomes one delivery job per endpoint, in the transaction that decided
//! the event, and the worker POSTs it, signed, with the jobs table's retries.

pub mod address;
pub mod delivery;
pub mod model;
mod repo;
pub mod service;
#[cfg(test)]
mod tests;

use uuid::Uuid;

pub use delivery::{DeliveryEvent, Target, event_id};
pub use model::{CreatedWebhook, MAX_ENDPOINTS, Webhook, WebhookCreate, WebhookPatch};

use crate::error::DomainResult;
use crate::jobs::Enqueued;
use crate::notifications::events::EventType;

/// Queues one delivery of the event to every endpoint of `organization_id` subscribed to
/// `event_type`, in the caller's transaction, each at most once per `event_key`. Returns
/// how many were queued. `data` becomes the envelope's `data`.
// Called by the worker's fan-out of `Job::Event` (landing on main separately).
#[allow(dead_code)]
pub(crate) async fn enqueue(
    conn: &crate::WriteTx,
    organization_id: Uuid,
    event_type: EventType,
    event_key: &str,
    data: serde_json::Value,
) -> DomainResult<u64> {
    let mut queued = 0;
    for endpoint in subscribed(conn, organization_id, event_type).await? {
        if let Enqueued::Queued(_) = delivery::queue(conn, &endpoint, event_type.into(), event_key, &data).await? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Whether the organization has an endpoint subscribed to `event_type` (events only webhooks
/// hear about are not queued otherwise).
pub(crate) async fn wants(
    conn: &impl sea_orm::ConnectionTrait,
    organization_id: Uuid,
    event_type: EventType,
) -> DomainResult<bool> {
    Ok(!subscribed(conn, organization_id, event_type).await?.is_empty())
}

/// The organization's active endpoints subscribed to `event_type`. The list is short
/// ([`MAX_ENDPOINTS`]), so the subscription is read here rather than in SQL (JSON
/// containment differs between SQLite and PostgreSQL).
async fn subscribed(
    conn: &impl sea_orm::ConnectionTrait,
    organization_id: Uuid,
    event_type: EventType,
) -> DomainResult<Vec<crate::entities::webhook_endpoints::Model>> {
    let mut endpoints = repo::active(conn, organization_id).await?;
    endpoints.retain(|e| e.event_types.as_array().is_some_and(|ts| ts.iter().any(|t| t == event_type.as_str())));
    Ok(endpoints)
}
