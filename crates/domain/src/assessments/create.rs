//! Creating assessments, for every path that sends a supplier a check sheet (campaigns today;
//! re-reviews and manual reviews next): each assessment with its mail queued as a job (an
//! invitation while the supplier has no organization in Kensa, a notice once it has) and
//! its "created" history event, in the caller's transaction, so no assessment exists
//! without its mail.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use super::model::{HistoryKind, Status};
use super::{history, invitations};
use crate::chase::plan;
use crate::chase::schedule::Schedule;
use crate::entities::{assessments, supplier_invitations, suppliers, templates};
use crate::error::DomainResult;
use crate::jobs::{self, Job};
use crate::notifications::events::{Event, EventType};
use crate::tenant::TenantCtx;

/// Rows per multi-row insert: well under SQLite's 32,766 bound parameters.
const CHUNK: usize = 500;

/// One assessment to create, for a supplier the caller has found in its own registry.
pub(crate) struct NewAssessment<'a> {
    pub supplier: &'a suppliers::Model,
    pub template_id: Uuid,
    pub target_level: i32,
    pub due_date: NaiveDate,
    pub campaign_id: Option<Uuid>,
    /// A re-review: the accepted assessment whose answers it carries over.
    pub follows: Option<Uuid>,
}

/// Creates the assessments (status `sent`) in `conn`'s transaction, with their invitations,
/// their mail jobs and their history, marks each supplier's review `sent` and each template
/// in use. Returns the rows in the order given.
pub(crate) async fn create_many(
    conn: &crate::WriteTx,
    ctx: &TenantCtx,
    new: &[NewAssessment<'_>],
    schedule: &Schedule,
    now: DateTime<Utc>,
) -> DomainResult<Vec<assessments::Model>> {
    // Every assessment created here mails its supplier.
    crate::auth::verification::ensure_may_mail(conn, ctx.org_id().0).await?;
    let mut rows = Vec::with_capacity(new.len());
    let (mut invitations, mut mails, mut events_out, mut events) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for n in new {
        let row = assessments::Model {
            id: Uuid::now_v7(),
            buyer_organization_id: ctx.org_id().0,
            supplier_id: n.supplier.id,
            supplier_organization_id: n.supplier.supplier_organization_id,
            campaign_id: n.campaign_id,
            template_id: n.template_id,
            target_level: n.target_level,
            due_date: n.due_date,
            status: Status::Sent.as_str().into(),
            version: 1,
            submitted_at: None,
            accepted_at: None,
            cancelled_at: None,
            next_chase_on: Some(plan::first_chase(schedule, n.due_date, now.date_naive())),
            last_reminder: None,
            escalates_on: Some(schedule.escalates_on(n.due_date)),
            escalated_at: None,
            remediation_next_on: None,
            follows_assessment_id: n.follows,
            created_at: now,
            updated_at: now,
        };
        let delivery = invitations::mail_to(&row, &n.supplier.contact_email);
        if row.supplier_organization_id.is_some() {
            mails.push((Job::AssessmentNoticeMail { assessment_id: row.id, resent_at: None }, delivery));
        } else {
            let invitation = invitations::new_row(row.id, row.due_date, &n.supplier.contact_email, now);
            mails.push((Job::AssessmentInvitationMail { invitation_id: invitation.id }, delivery));
            invitations.push(invitation);
        }
        let mut created = json!({ "status": "sent" });
        if let Some(campaign_id) = n.campaign_id {
            created["campaign_id"] = json!(campaign_id);
        }
        events.push(history::row(
            ctx,
            now,
            history::NewEvent {
                assessment_id: row.id,
                kind: HistoryKind::Created,
                item_no: None,
                old_value: None,
                new_value: Some(created),
            },
        ));
        rows.push(row);
    }

    // Only organizations with an endpoint for it get an event per assessment sent.
    let wants_webhooks = crate::webhooks::wants(conn, ctx.org_id().0, EventType::AssessmentSent).await?;
    let template_ids: BTreeSet<Uuid> = new.iter().map(|n| n.template_id).collect();
    templates::Entity::update_many()
        .col_expr(templates::Column::InUse, Expr::value(true))
        .filter(templates::Column::Id.is_in(template_ids))
        .exec(conn)
        .await?;
    for chunk in rows.chunks(CHUNK) {
        assessments::Entity::insert_many(chunk.iter().cloned().map(assessments::ActiveModel::from))
            .exec_without_returning(conn)
            .await?;
    }
    for chunk in invitations.chunks(CHUNK) {
        supplier_invitations::Entity::insert_many(chunk.iter().cloned().map(supplier_invitations::ActiveModel::from))
            .exec_without_returning(conn)
            .await?;
    }
    for row in &rows {
        if wants_webhooks {
            events_out.push((row.buyer_organization_id, Event::Sent { assessment_id: row.id }));
        }
        if row.follows_assessment_id.is_some() {
            events_out.push((row.buyer_organization_id, Event::ReviewOpened { assessment_id: row.id }));
        }
    }
    jobs::enqueue_deliveries(conn, &mails, now).await?;
    crate::notifications::events::queue(conn, events_out, now).await?;
    crate::scoring::snapshot::created(conn, &rows).await?;
    history::record(conn, events).await?;
    crate::suppliers::repo::mirror_review_status(conn, new.iter().map(|n| n.supplier.id), Status::Sent.as_str(), now)
        .await?;
    Ok(rows)
}
