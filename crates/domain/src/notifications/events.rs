//! What happened to an assessment that someone must hear about. An event is decided once, in
//! the transaction that makes it true (a submission, a review, a cancellation) or by the
//! worker's scan (a reminder step, an escalation digest, a remediation date), as a job whose
//! dedupe key is the event's key: however many processes decide it, it exists once. The
//! worker then fans it out into one delivery per recipient and per webhook endpoint, each
//! again once ([`fan_out`]), and delivers them with retries.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::chase::schedule::Step;

crate::closed_set::closed_set! {
    /// The event types a webhook endpoint can subscribe to.
    #[cfg_attr(feature = "openapi", schema(as = WebhookEventType))]
    #[cfg_attr(feature = "graphql", graphql(name = "WebhookEventType"))]
    pub enum EventType("webhook event type") {
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

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A new assessment went out (its invitation or notice is mailed by its own job).
    Sent { assessment_id: Uuid },
    /// Each submission is an event of its own (a resubmission after changes too).
    Submitted { assessment_id: Uuid, at: DateTime<Utc> },
    ChangesRequested { assessment_id: Uuid, at: DateTime<Utc> },
    Accepted { assessment_id: Uuid, at: DateTime<Utc> },
    Cancelled { assessment_id: Uuid, at: DateTime<Utc> },
    /// A reminder step before or after the due date.
    Reminder { assessment_id: Uuid, step: Step },
    /// The worker (or the buyer) opened a re-review; the supplier is mailed by the
    /// assessment's own invitation or notice.
    ReviewOpened { assessment_id: Uuid },
    /// Remediation dates of an accepted assessment passed on `date`: the items to update.
    RemediationDue { assessment_id: Uuid, date: NaiveDate, items: Vec<i32> },
    /// The buyer's daily digest of suppliers overdue past the escalation threshold.
    EscalationDigest { organization_id: Uuid, date: NaiveDate, assessment_ids: Vec<Uuid> },
}

impl Event {
    /// What makes the event the same event however many processes decide it.
    pub fn key(&self) -> String {
        match self {
            Event::Sent { assessment_id } => format!("sent:{assessment_id}"),
            Event::Submitted { assessment_id, at } => format!("submitted:{assessment_id}:{}", at.timestamp_micros()),
            Event::ChangesRequested { assessment_id, at } => {
                format!("changes_requested:{assessment_id}:{}", at.timestamp_micros())
            }
            Event::Accepted { assessment_id, .. } => format!("accepted:{assessment_id}"),
            Event::Cancelled { assessment_id, .. } => format!("cancelled:{assessment_id}"),
            Event::Reminder { assessment_id, step } => format!("reminder:{assessment_id}:{}", step.key()),
            Event::ReviewOpened { assessment_id } => format!("review_opened:{assessment_id}"),
            Event::RemediationDue { assessment_id, date, .. } => format!("remediation_due:{assessment_id}:{date}"),
            Event::EscalationDigest { organization_id, date, .. } => format!("escalation:{organization_id}:{date}"),
        }
    }

    /// The assessment it is about (none for a digest).
    pub fn assessment_id(&self) -> Option<Uuid> {
        match self {
            Event::Sent { assessment_id }
            | Event::Submitted { assessment_id, .. }
            | Event::ChangesRequested { assessment_id, .. }
            | Event::Accepted { assessment_id, .. }
            | Event::Cancelled { assessment_id, .. }
            | Event::Reminder { assessment_id, .. }
            | Event::ReviewOpened { assessment_id }
            | Event::RemediationDue { assessment_id, .. } => Some(*assessment_id),
            Event::EscalationDigest { .. } => None,
        }
    }

    /// The webhook event type, when endpoints hear about it (a reminder only once overdue).
    pub fn webhook_type(&self) -> Option<EventType> {
        Some(match self {
            Event::Sent { .. } => EventType::AssessmentSent,
            Event::Submitted { .. } => EventType::AssessmentSubmitted,
            Event::ChangesRequested { .. } => EventType::AssessmentChangesRequested,
            Event::Accepted { .. } => EventType::AssessmentAccepted,
            Event::Cancelled { .. } => EventType::AssessmentCancelled,
            Event::Reminder { step: Step::Overdue(_), .. } => EventType::AssessmentOverdue,
            Event::ReviewOpened { .. } => EventType::ReviewOpened,
            Event::RemediationDue { .. } => EventType::RemediationDue,
            Event::Reminder { step: Step::Before(_), .. } | Event::EscalationDigest { .. } => return None,
        })
    }
}
