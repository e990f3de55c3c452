//! What one recipient's mail about an event says, prepared when it goes out: the current
//! names, progress and score, the reviewer's shared comments, the digest's lines, and a
//! working link (a fresh single-use invitation link for a contact whose supplier has no
//! organization in Kensa yet; the assessment's page otherwise). `None` when the mail is no
//! longer wanted: a reminder for an assessment that closed since, a digest whose suppliers
//! all answered meanwhile.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::events::Event;
use crate::Kensa;
use crate::assessments::model::{Assessment, Status};
use crate::chase::schedule::Step;
use crate::entities::{assessment_comments, assessments, supplier_invitations, suppliers};
use crate::error::DomainResult;
use crate::ids::JobId;
use crate::users::model::Locale;

crate::closed_set::closed_set! {
    /// Which mail an event makes.
    pub enum EventMailKind("event mail kind") {
        ReminderBefore => "reminder_before",
        ReminderOverdue => "reminder_overdue",
        /// A reminder while the buyer waits for requested changes.
        ReminderChanges => "reminder_changes",
        Submitted => "submitted",
        ChangesRequested => "changes_requested",
        Accepted => "accepted",
        Cancelled => "cancelled",
        RemediationDue => "remediation_due",
        EscalationDigest => "escalation_digest",
    }
}

/// The score line of a mail.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreLine {
    pub overall: Option<f64>,
    pub achieved_level: u8,
    pub target_level: i32,
    pub meets_target: bool,
}

/// One supplier in the buyer's escalation digest.
#[derive(Clone, Debug, PartialEq)]
pub struct DigestLine {
    pub supplier_name: String,
    pub due_date: NaiveDate,
    pub days_overdue: i64,
    pub answered: usize,
    pub total: usize,
    pub status: Status,
}

#[derive(Clone)]
pub struct EventMail {
    pub to: String,
    pub locale: Locale,
    pub kind: EventMailKind,
    pub buyer_name: String,
    pub supplier_name: String,
    pub template_name: String,
    pub target_level: i32,
    pub due_date: Option<NaiveDate>,
    /// Answered in-scope items and their number.
    pub progress: Option<(usize, usize)>,
    /// Days to the due date (before it) or past it (overdue).
    pub days: Option<i64>,
    pub score: Option<ScoreLine>,
    /// The reviewer's shared comments: item number (none: the whole assessment) and text.
    pub comments: Vec<(Option<i32>, String)>,
    /// Remediation follow-up: item numbers and their planned date.
    pub items: Vec<(i32, Option<NaiveDate>)>,
    pub digest: Vec<DigestLine>,
    /// Suppliers of the digest beyond those listed.
    pub digest_more: usize,
    /// Who submitted (a submission's mail).
    pub submitted_by: Option<String>,
    pub link: String,
    /// When a single-use invitation link stops working.
    pub link_expires_at: Option<DateTime<Utc>>,
}
crate::redacted_debug!(EventMail { to, locale, kind, buyer_name, supplier_name, template_name, target_level, due_date, progress, days, score, comments, items, digest, digest_more, submitted_by, link_expires_at } secret { link });

/// Suppliers listed in one escalation digest; more are counted, not listed.
const MAX_DIGEST_LINES: usize = 100;

fn page(k: &Kensa, path: &str) -> String {
    let mut url = k.public_url.clone();
    url.set_path(path);
    url.to_string()
}

/// A fresh token for the assessment's open invitation, when the supplier has not used it:
/// the link of a reminder always works. Only the hash is stored.
async fn fresh_invitation(
    k: &Kensa,
    job: JobId,
    a: &assessments::Model,
    now: DateTime<Utc>,
) -> DomainResult<Option<(String, DateTime<Utc>)>> {
    let open = supplier_invitations::Entity::find()
        .filter(supplier_invitations::Column::AssessmentId.eq(a.id))
        .filter(supplier_invitations::Column::AcceptedAt.is_null())
        .filter(supplier_invitations::Column::RevokedAt.is_null())
        .order_by_desc(supplier_invitations::Column::CreatedAt)
        .one(&k.db)
        .await?;
    let Some(invitation) = open else { return Ok(None) };
    let fresh = super::assessment::fresh_token(k, job, &invitation, a, now).await?;
    Ok(fresh.map(|(token, expires_at)| (page(k, &format!("/invitations/{token}")), expires_at)))
}

/// The buyer's shared comments made with the latest request for changes (at `since`).
async fn review_comments(
    k: &Kensa,
    a: &assessments::Model,
    since: Option<DateTime<Utc>>,
) -> DomainResult<Vec<(Option<i32>, String)>> {
    let since = match since {
        Some(at) => at,
        None => crate::entities::assessment_events::Entity::find()
            .filter(crate::entities::assessment_events::Column::AssessmentId.eq(a.id))
            .filter(crate::entities::assessment_events::Column::Kind.eq("status_changed"))
            .order_by_desc(crate::entities::assessment_events::Column::CreatedAt)
            .one(&k.db)
            .await?
            .map_or(a.updated_at, |e| e.created_at),
    };
    let rows = assessment_comments::Entity::find()
        .filter(assessment_comments::Column::AssessmentId.eq(a.id))
        .filter(assessment_comments::Column::AuthorOrganizationId.eq(a.buyer_organization_id))
        .filter(assessment_comments::Column::Visibility.eq("shared"))
        .filter(assessment_comments::Column::CreatedAt.gte(since))
        .order_by_asc(assessment_comments::Column::CreatedAt)
        .all(&k.db)
        .await?;
    Ok(rows.into_iter().map(|c| (c.item_no, c.body)).collect())
}

async fn template_name(k: &Kensa, template_id: Uuid) -> DomainResult<String> {
    Ok(crate::entities::templates::Entity::find_by_id(template_id)
        .one(&k.db)
        .await?
        .map(|t| t.name)
        .unwrap_or_default())
}

fn base(to: &str, locale: Locale, kind: EventMailKind, view: &Assessment, template: String, link: String) -> EventMail {
    EventMail {
        to: to.to_owned(),
        locale,
        kind,
        buyer_name: view.buyer.name.clone(),
        supplier_name: view.supplier.name.clone(),
        template_name: template,
        target_level: view.target_level,
        due_date: Some(view.due_date),
        progress: Some((view.progress.answered, view.progress.total)),
        days: None,
        score: None,
        comments: Vec::new(),
        items: Vec::new(),
        digest: Vec::new(),
        digest_more: 0,
        submitted_by: None,
        link,
        link_expires_at: None,
    }
}

/// The name of whoever made the assessment's latest submission.
async fn submitter(k: &Kensa, assessment_id: Uuid) -> DomainResult<Option<String>> {
    use crate::entities::{assessment_events, users};
    let changes = assessment_events::Entity::find()
        .filter(assessment_events::Column::AssessmentId.eq(assessment_id))
        .filter(assessment_events::Column::Kind.eq("status_changed"))
        .order_by_desc(assessment_events::Column::CreatedAt)
        .limit(10)
        .all(&k.db)
        .await?;
    let actor = changes
        .into_iter()
        .find(|e| e.new_value.as_ref().and_then(|v| v.as_str()) == Some("submitted"))
        .and_then(|e| e.actor_user_id);
    Ok(match actor {
        Some(id) => users::Entity::find_by_id(id).one(&k.db).await?.map(|u| u.name),
        None => None,
    })
}

pub async fn prepare(
    k: &Kensa,
    job: JobId,
    event: &Event,
    to: &str,
    locale: Locale,
    now: DateTime<Utc>,
) -> DomainResult<Option<EventMail>> {
    let today = now.date_naive();
    if let Event::EscalationDigest { organization_id, assessment_ids, .. } = event {
        return digest(k, *organization_id, assessment_ids, to, locale, today).await;
    }
    let Some(id) = event.assessment_id() else { return Ok(None) };
    let Some(row) = assessments::Entity::find_by_id(id).one(&k.db).await? else { return Ok(None) };
    let status = Status::try_from(row.status.as_str())?;
    let view = crate::assessments::service::view(k, row.clone()).await?;
    let template = template_name(k, row.template_id).await?;
    let assessment_page = page(k, &format!("/assessments/{id}"));
    let score = || async {
        DomainResult::Ok(crate::scoring::snapshot::stored(&k.db, id).await?.map(|s| ScoreLine {
            overall: s.overall,
            achieved_level: s.achieved_level,
            target_level: row.target_level,
            meets_target: s.meets_target,
        }))
    };
    let mail = match event {
        Event::Reminder { step, .. } => {
            if !status.open() {
                return Ok(None);
            }
            let kind = match (status, step) {
                (Status::ChangesRequested, _) => EventMailKind::ReminderChanges,
                (_, Step::Before(_)) => EventMailKind::ReminderBefore,
                (_, Step::Overdue(_)) => EventMailKind::ReminderOverdue,
            };
            let contact = suppliers::Entity::find_by_id(row.supplier_id).one(&k.db).await?;
            let to_contact = contact.is_some_and(|c| c.contact_email.eq_ignore_ascii_case(to));
            let fresh = if to_contact && row.supplier_organization_id.is_none() {
                fresh_invitation(k, job, &row, now).await?
            } else {
                None
            };
            let mut mail = base(to, locale, kind, &view, template, assessment_page);
            if let Some((link, expires)) = fresh {
                mail.link = link;
                mail.link_expires_at = Some(expires);
            }
            mail.days = Some((row.due_date - today).num_days());
            if kind == EventMailKind::ReminderChanges {
                mail.comments = review_comments(k, &row, None).await?;
            }
            mail
        }
        Event::Submitted { .. } => {
            let mut mail = base(to, locale, EventMailKind::Submitted, &view, template, assessment_page);
            mail.score = score().await?;
            mail.submitted_by = submitter(k, id).await?;
            mail
        }
        Event::ChangesRequested { at, .. } => {
            let mut mail = base(to, locale, EventMailKind::ChangesRequested, &view, template, assessment_page);
            mail.comments = review_comments(k, &row, Some(*at)).await?;
            mail
        }
        Event::Accepted { .. } => {
            let mut mail = base(to, locale, EventMailKind::Accepted, &view, template, assessment_page);
            mail.score = score().await?;
            mail
        }
        Event::Cancelled { .. } => base(to, locale, EventMailKind::Cancelled, &view, template, assessment_page),
        Event::RemediationDue { items, date, .. } => {
            if status != Status::Accepted {
                return Ok(None);
            }
            let mut mail = base(to, locale, EventMailKind::RemediationDue, &view, template, assessment_page);
            mail.due_date = Some(*date);
            mail.items = items.iter().map(|no| (*no, Some(*date))).collect();
            mail
        }
        Event::Sent { .. } | Event::ReviewOpened { .. } | Event::EscalationDigest { .. } => return Ok(None),
    };
    Ok(Some(mail))
}

async fn digest(
    k: &Kensa,
    organization_id: Uuid,
    ids: &[Uuid],
    to: &str,
    locale: Locale,
    today: NaiveDate,
) -> DomainResult<Option<EventMail>> {
    let mut open = Vec::new();
    for chunk in ids.chunks(500) {
        let rows = assessments::Entity::find()
            .filter(assessments::Column::Id.is_in(chunk.to_vec()))
            .filter(assessments::Column::BuyerOrganizationId.eq(organization_id))
            .all(&k.db)
            .await?;
        for row in rows {
            if Status::try_from(row.status.as_str())?.open() {
                open.push(row);
            }
        }
    }
    if open.is_empty() {
        return Ok(None);
    }
    // The longest overdue first; a mail lists a bounded number, the rest are counted.
    open.sort_by_key(|a| (a.due_date, a.id));
    let more = open.len().saturating_sub(MAX_DIGEST_LINES);
    let mut lines = Vec::new();
    let mut buyer_name = String::new();
    for row in open.into_iter().take(MAX_DIGEST_LINES) {
        let status = Status::try_from(row.status.as_str())?;
        let view = crate::assessments::service::view(k, row.clone()).await?;
        buyer_name.clone_from(&view.buyer.name);
        lines.push(DigestLine {
            supplier_name: view.supplier.name,
            due_date: row.due_date,
            days_overdue: (today - row.due_date).num_days(),
            answered: view.progress.answered,
            total: view.progress.total,
            status,
        });
    }
    Ok(Some(EventMail {
        to: to.to_owned(),
        locale,
        kind: EventMailKind::EscalationDigest,
        buyer_name,
        supplier_name: String::new(),
        template_name: String::new(),
        target_level: 0,
        due_date: None,
        progress: None,
        days: None,
        score: None,
        comments: Vec::new(),
        items: Vec::new(),
        digest: lines,
        digest_more: more,
        submitted_by: None,
        link: page(k, "/assessments"),
        link_expires_at: None,
    }))
}
