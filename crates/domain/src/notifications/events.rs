//! What happened to an assessment that someone must hear about. An event is decided once, in
//! the transaction that makes it true (a submission, a review, a cancellation) or by the
//! worker's scan (a reminder step, an escalation digest, a remediation date), as a job whose
//! dedupe key is the event's key: however many processes decide it, it exists once. The
//! worker then fans it out into one delivery per recipient and per webhook endpoint, each
//! again once ([`fan_out`]), and delivers them with retries.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::Kensa;
use crate::assessments::model::Status;
use crate::chase::schedule::Step;
use crate::entities::{assessments, suppliers, users};
use crate::error::DomainResult;
use crate::jobs::{self, Channel, Delivery, Job};
use crate::tenant::Role;
use crate::users::model::Locale;

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
    Sent {
        assessment_id: Uuid,
    },
    /// Each submission is an event of its own (a resubmission after changes too).
    Submitted {
        assessment_id: Uuid,
        at: DateTime<Utc>,
    },
    ChangesRequested {
        assessment_id: Uuid,
        at: DateTime<Utc>,
    },
    Accepted {
        assessment_id: Uuid,
        at: DateTime<Utc>,
    },
    Cancelled {
        assessment_id: Uuid,
        at: DateTime<Utc>,
    },
    /// A reminder step before or after the due date, on the date it fell on (a changed
    /// schedule makes other dates, and never silences or repeats one already sent).
    Reminder {
        assessment_id: Uuid,
        step: Step,
        on: NaiveDate,
    },
    /// The worker (or the buyer) opened a re-review; the supplier is mailed by the
    /// assessment's own invitation or notice.
    ReviewOpened {
        assessment_id: Uuid,
    },
    /// Remediation dates of an accepted assessment passed on `date`: the items to update.
    RemediationDue {
        assessment_id: Uuid,
        date: NaiveDate,
        items: Vec<i32>,
    },
    /// The buyer's daily digest of suppliers overdue past the escalation threshold.
    EscalationDigest {
        organization_id: Uuid,
        date: NaiveDate,
        assessment_ids: Vec<Uuid>,
    },
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
            Event::Reminder { assessment_id, step, on } => format!("reminder:{assessment_id}:{}:{on}", step.key()),
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

/// Queues events decided in the caller's transaction, each once, in the list of deliveries
/// of the organization they belong to (a dead fan-out shows there and can be resent).
/// Returns how many were new.
pub(crate) async fn queue(conn: &crate::WriteTx, events: Vec<(Uuid, Event)>, now: DateTime<Utc>) -> DomainResult<u64> {
    let jobs: Vec<(Job, Delivery)> = events
        .into_iter()
        .map(|(organization_id, event)| {
            let delivery = Delivery { organization_id, channel: Channel::Event, target: event.key() };
            (Job::Event { event }, delivery)
        })
        .collect();
    jobs::enqueue_deliveries(conn, &jobs, now).await
}

/// One person who hears about an event by mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Recipient {
    pub email: String,
    pub locale: Locale,
    /// The member's organization, whose list of deliveries shows the mail; none for the
    /// supplier contact the buyer entered (the buyer's list shows that one).
    pub organization_id: Option<Uuid>,
}

/// The buyer organization the event belongs to (whose delivery list shows its mails and
/// whose webhook endpoints hear about it), or `None` when its subject is gone.
async fn owner_of(
    conn: &impl ConnectionTrait,
    event: &Event,
) -> DomainResult<Option<(Uuid, Option<assessments::Model>)>> {
    match (event, event.assessment_id()) {
        (Event::EscalationDigest { organization_id, .. }, _) => Ok(Some((*organization_id, None))),
        (_, Some(id)) => {
            Ok(assessments::Entity::find_by_id(id).one(conn).await?.map(|a| (a.buyer_organization_id, Some(a))))
        }
        (_, None) => Ok(None),
    }
}

/// Active members of `org` with one of `roles`.
async fn members(conn: &impl ConnectionTrait, org: Uuid, roles: &[Role]) -> DomainResult<Vec<Recipient>> {
    let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    let users = users::Entity::find()
        .filter(users::Column::OrganizationId.eq(org))
        .filter(users::Column::Active.eq(true))
        .filter(users::Column::Role.is_in(roles))
        .order_by_asc(users::Column::CreatedAt)
        .all(conn)
        .await?;
    users
        .into_iter()
        .map(|u| {
            let locale = Locale::try_from(u.locale.as_str())?;
            Ok(Recipient { email: u.email, locale, organization_id: Some(u.organization_id) })
        })
        .collect()
}

/// The supplier side: its contact and, once its organization exists, its owners and
/// respondents.
async fn supplier_side(conn: &impl ConnectionTrait, a: &assessments::Model) -> DomainResult<Vec<Recipient>> {
    let mut out = Vec::new();
    if let Some(s) = suppliers::Entity::find_by_id(a.supplier_id).one(conn).await?
        && s.deleted_at.is_none()
    {
        let locale = Locale::try_from(s.contact_locale.as_str())?;
        out.push(Recipient { email: s.contact_email, locale, organization_id: None });
    }
    if let Some(org) = a.supplier_organization_id {
        out.extend(members(conn, org, &[Role::Owner, Role::Respondent]).await?);
    }
    Ok(out)
}

/// Who hears about the event by mail, each address once. A reminder for an assessment no
/// longer open, or a follow-up for one no longer accepted, reaches no one.
pub(crate) async fn recipients(
    conn: &impl ConnectionTrait,
    event: &Event,
    assessment: Option<&assessments::Model>,
    org: Uuid,
) -> DomainResult<Vec<Recipient>> {
    let status = assessment.map(|a| Status::try_from(a.status.as_str())).transpose()?;
    let mut all = match (event, assessment) {
        (Event::Sent { .. } | Event::ReviewOpened { .. }, _) => Vec::new(),
        (Event::Reminder { .. }, Some(a)) if status.is_some_and(Status::open) => supplier_side(conn, a).await?,
        (Event::RemediationDue { .. }, Some(a)) if status == Some(Status::Accepted) => supplier_side(conn, a).await?,
        (Event::ChangesRequested { .. } | Event::Accepted { .. } | Event::Cancelled { .. }, Some(a)) => {
            supplier_side(conn, a).await?
        }
        (Event::Submitted { .. }, Some(_)) => members(conn, org, &[Role::Owner, Role::Admin, Role::Reviewer]).await?,
        (Event::EscalationDigest { .. }, _) => members(conn, org, &[Role::Owner, Role::Admin]).await?,
        _ => Vec::new(),
    };
    let mut seen = std::collections::BTreeSet::new();
    all.retain(|r| seen.insert(r.email.to_lowercase()));
    Ok(all)
}

/// What a webhook endpoint receives as `data`: ids, status and, once scored, the score.
async fn webhook_data(
    conn: &impl ConnectionTrait,
    event: &Event,
    assessment: Option<&assessments::Model>,
) -> DomainResult<serde_json::Value> {
    let mut data = serde_json::json!({});
    if let Some(a) = assessment {
        data = serde_json::json!({
            "assessment_id": a.id,
            "supplier_id": a.supplier_id,
            "supplier_organization_id": a.supplier_organization_id,
            "template_id": a.template_id,
            "target_level": a.target_level,
            "due_date": a.due_date,
            "status": a.status,
            "score": crate::scoring::snapshot::stored(conn, a.id).await?,
        });
    }
    match event {
        Event::Reminder { step, .. } => data["reminder"] = serde_json::json!(step.key()),
        Event::RemediationDue { date, items, .. } => {
            data["remediation_date"] = serde_json::json!(date);
            data["items"] = serde_json::json!(items);
        }
        _ => {}
    }
    Ok(data)
}

/// Turns a decided event into its deliveries, in one transaction: one mail per recipient
/// and one call per subscribed webhook endpoint, each queued at most once (a fan-out
/// repeated after a crash queues nothing new). Returns how many were queued.
pub async fn fan_out(k: &Kensa, event: &Event) -> DomainResult<u64> {
    let txn = k.begin_write().await?;
    let now = txn.now();
    let Some((org, assessment)) = owner_of(&txn, event).await? else {
        txn.commit().await?;
        return Ok(0);
    };
    let people = recipients(&txn, event, assessment.as_ref(), org).await?;
    let deliveries: Vec<(Job, Delivery)> = people
        .into_iter()
        .map(|r| {
            // A mail to another organization's member is in that organization's list, not
            // the buyer's: its addresses and errors are its own.
            let organization_id = r.organization_id.unwrap_or(org);
            let delivery = Delivery { organization_id, channel: Channel::Mail, target: r.email.clone() };
            (Job::EventMail { event: event.clone(), to: r.email, locale: r.locale }, delivery)
        })
        .collect();
    let mut queued = jobs::enqueue_deliveries(&txn, &deliveries, now).await?;
    if let Some(event_type) = event.webhook_type() {
        let data = webhook_data(&txn, event, assessment.as_ref()).await?;
        queued += crate::webhooks::enqueue(&txn, org, event_type, &event.key(), data).await?;
    }
    txn.commit().await?;
    Ok(queued)
}
