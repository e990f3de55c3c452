//! Deliveries: what is POSTed (the envelope), how one is queued and what the worker needs
//! to send it. They are listed as every delivery is ([`crate::deliveries::Delivery`]).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::Kensa;
use crate::entities::webhook_endpoints;
use crate::error::{DomainError, DomainResult};
use crate::jobs::{self, Channel, Delivery, Enqueued, Job};
use crate::notifications::events::EventType;

crate::closed_set::closed_set! {
    /// What a delivery carries: an event type, or `ping` (a test delivery).
    #[cfg_attr(feature = "openapi", schema(as = WebhookDeliveryEvent))]
    #[cfg_attr(feature = "graphql", graphql(name = "WebhookDeliveryEvent"))]
    pub enum DeliveryEvent("webhook delivery event") {
        Ping => "ping",
        AssessmentSent => "assessment.sent",
        AssessmentSubmitted => "assessment.submitted",
        AssessmentChangesRequested => "assessment.changes_requested",
        AssessmentAccepted => "assessment.accepted",
        AssessmentOverdue => "assessment.overdue",
        AssessmentCancelled => "assessment.cancelled",
        ReviewOpened => "review.opened",
        RemediationDue => "remediation.due",
    }
}

impl From<EventType> for DeliveryEvent {
    fn from(t: EventType) -> Self {
        match t {
            EventType::AssessmentSent => Self::AssessmentSent,
            EventType::AssessmentSubmitted => Self::AssessmentSubmitted,
            EventType::AssessmentChangesRequested => Self::AssessmentChangesRequested,
            EventType::AssessmentAccepted => Self::AssessmentAccepted,
            EventType::AssessmentOverdue => Self::AssessmentOverdue,
            EventType::AssessmentCancelled => Self::AssessmentCancelled,
            EventType::ReviewOpened => Self::ReviewOpened,
            EventType::RemediationDue => Self::RemediationDue,
        }
    }
}

/// What is POSTed. Field order is the order written.
#[derive(Serialize)]
struct Envelope<'a> {
    id: String,
    #[serde(rename = "type")]
    event_type: &'a str,
    created_at: DateTime<Utc>,
    data: &'a serde_json::Value,
}

/// The envelope's `id`: derived from the event's key, so that a retry, or the same event
/// fanned out again, carries the same id (receivers deduplicate on it).
pub fn event_id(event_key: &str) -> String {
    let digest = Sha256::digest(event_key.as_bytes());
    format!("evt_{}", hex::encode(&digest[..16]))
}

/// Queues the delivery of one event to one endpoint, once per (endpoint, event key).
pub(crate) async fn queue(
    conn: &crate::WriteTx,
    endpoint: &webhook_endpoints::Model,
    event: DeliveryEvent,
    event_key: &str,
    data: &serde_json::Value,
) -> DomainResult<Enqueued> {
    let envelope = Envelope { id: event_id(event_key), event_type: event.as_str(), created_at: conn.now(), data };
    let body = serde_json::to_string(&envelope).map_err(DomainError::internal)?;
    let job =
        Job::WebhookDelivery { endpoint_id: endpoint.id, event_type: event, event_key: event_key.to_owned(), body };
    let delivery =
        Delivery { organization_id: endpoint.organization_id, channel: Channel::Webhook, target: endpoint.url.clone() };
    jobs::enqueue_webhook(conn, &job, &delivery, endpoint.id, conn.now()).await
}

/// What the worker needs to send a delivery.
#[derive(Clone)]
pub struct Target {
    pub url: String,
    /// The signing key; never logged (`Debug` leaves it out).
    pub secret: String,
    pub active: bool,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target").field("url", &self.url).field("active", &self.active).finish_non_exhaustive()
    }
}

/// The endpoint a delivery goes to, as it is now (its URL may have changed since the
/// delivery was queued); `None` once it is deleted.
pub async fn target(k: &Kensa, endpoint_id: Uuid) -> DomainResult<Option<Target>> {
    use sea_orm::EntityTrait;
    let row = webhook_endpoints::Entity::find_by_id(endpoint_id).one(&k.db).await?;
    Ok(row.map(|r| Target { url: r.url, secret: r.secret, active: r.active }))
}
