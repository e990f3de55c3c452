//! The dates each assessment and supplier has something due, kept in indexed columns as
//! their state changes, so that the worker's scan reads only what is due today:
//! `assessments.next_chase_on` (the next reminder step), `escalates_on` (the buyer's
//! digest), `remediation_next_on` (a remediation date to follow up), and
//! `suppliers.review_opens_on` (the next annual review).

use std::collections::BTreeMap;

use chrono::{Days, Months, NaiveDate};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::schedule::{Schedule, ScheduleOverride};
use super::settings;
use crate::assessments::model::Status;
use crate::entities::{answers, assessments, campaigns, suppliers};
use crate::error::DomainResult;
use crate::notifications::events::Event;

/// The open statuses, in which a supplier is chased.
pub(crate) const CHASED: [&str; 3] = ["sent", "in_progress", "changes_requested"];

/// The first reminder date of an assessment made on `created_on`: steps dated on or before
/// that day are not sent (the invitation itself went out then).
pub(crate) fn first_chase(schedule: &Schedule, due: NaiveDate, created_on: NaiveDate) -> NaiveDate {
    schedule.next_step_on(due, created_on)
}

/// The schedule of one assessment: its organization's, with its campaign's overrides.
pub(crate) async fn schedule_of(conn: &impl ConnectionTrait, row: &assessments::Model) -> DomainResult<Schedule> {
    let base = settings::load(conn, row.buyer_organization_id).await?.schedule();
    let campaign = match row.campaign_id {
        Some(id) => campaigns::Entity::find_by_id(id).one(conn).await?,
        None => None,
    };
    Ok(settings::overrides_of(campaign.as_ref())?.apply(&base))
}

/// What a change of status means for chasing, in the transaction that makes it: a closed
/// assessment is no longer chased; one sent back for changes is chased again from today;
/// an accepted one schedules its remediation follow-ups and its supplier's next review. The
/// event people hear about is queued here, once.
pub(crate) async fn on_transition(tx: &crate::WriteTx, row: &assessments::Model, to: Status) -> DomainResult<()> {
    let now = tx.now();
    let today = now.date_naive();
    let assessment_id = row.id;
    let mut update = assessments::Entity::update_many().filter(assessments::Column::Id.eq(row.id));
    let event = match to {
        Status::Submitted => Some(Event::Submitted { assessment_id, at: now }),
        Status::Cancelled => Some(Event::Cancelled { assessment_id, at: now }),
        Status::Accepted => Some(Event::Accepted { assessment_id, at: now }),
        Status::ChangesRequested => Some(Event::ChangesRequested { assessment_id, at: now }),
        Status::Sent | Status::InProgress => None,
    };
    if to.open() {
        if to == Status::ChangesRequested {
            let schedule = schedule_of(tx, row).await?;
            update = update
                .col_expr(assessments::Column::NextChaseOn, Expr::value(schedule.next_step_on(row.due_date, today)));
            if row.escalated_at.is_none() {
                update =
                    update.col_expr(assessments::Column::EscalatesOn, Expr::value(schedule.escalates_on(row.due_date)));
            }
            update.exec(tx).await?;
        }
    } else {
        update = update
            .col_expr(assessments::Column::NextChaseOn, Expr::value(Option::<NaiveDate>::None))
            .col_expr(assessments::Column::EscalatesOn, Expr::value(Option::<NaiveDate>::None));
        if to == Status::Accepted {
            update = update.col_expr(
                assessments::Column::RemediationNextOn,
                Expr::value(next_remediation(tx, row.id, None).await?),
            );
        }
        update.exec(tx).await?;
        if to == Status::Accepted {
            schedule_next_review(tx, row, today).await?;
        }
    }
    if let Some(event) = event {
        crate::notifications::events::queue(tx, vec![(row.buyer_organization_id, event)], now).await?;
    }
    Ok(())
}

/// The earliest remediation date of the assessment's open gaps that was not yet followed
/// up (after `followed_up`, when given: the date just handled).
pub(crate) async fn next_remediation(
    conn: &impl ConnectionTrait,
    assessment_id: Uuid,
    followed_up: Option<NaiveDate>,
) -> DomainResult<Option<NaiveDate>> {
    let mut query = answers::Entity::find()
        .select_only()
        .column(answers::Column::RemediationDue)
        .filter(answers::Column::AssessmentId.eq(assessment_id))
        .filter(answers::Column::Status.is_in(["not_implemented", "partially_implemented"]))
        .filter(answers::Column::RemediationDue.is_not_null())
        .filter(answers::Column::RemediationDoneAt.is_null());
    if let Some(date) = followed_up {
        query = query.filter(answers::Column::RemediationDue.gt(date));
    }
    let dates: Vec<Option<NaiveDate>> = query.into_tuple().all(conn).await?;
    Ok(dates.into_iter().flatten().min())
}

/// Accepting an assessment makes its supplier due again after the review interval.
async fn schedule_next_review(tx: &crate::WriteTx, row: &assessments::Model, today: NaiveDate) -> DomainResult<()> {
    let Some(supplier) = suppliers::Entity::find_by_id(row.supplier_id).one(tx).await? else { return Ok(()) };
    let months = u32::try_from(supplier.review_interval_months.max(1)).unwrap_or(12);
    let review_on = today.checked_add_months(Months::new(months)).unwrap_or(NaiveDate::MAX);
    let schedule = settings::load(tx, row.buyer_organization_id).await?.schedule();
    suppliers::Entity::update_many()
        .col_expr(suppliers::Column::NextReviewOn, Expr::value(review_on))
        .col_expr(suppliers::Column::ReviewOpensOn, Expr::value(schedule.review_opens_on(review_on)))
        .col_expr(suppliers::Column::NextReviewFrom, Expr::value(row.id))
        .filter(suppliers::Column::Id.eq(supplier.id))
        .exec(tx)
        .await?;
    Ok(())
}

/// Re-plans every open assessment and pending review of the organization after its
/// schedule changed. A step dated today stays due (the scan's dedupe keys make sure one
/// already sent is not sent again); steps before an assessment was made never are.
pub(crate) async fn replan_organization(
    tx: &crate::WriteTx,
    organization_id: Uuid,
    base: &Schedule,
) -> DomainResult<()> {
    let today = tx.now().date_naive();
    let yesterday = today.checked_sub_days(Days::new(1)).unwrap_or(today);
    let open = assessments::Entity::find()
        .filter(assessments::Column::BuyerOrganizationId.eq(organization_id))
        .filter(assessments::Column::Status.is_in(CHASED))
        .all(tx)
        .await?;
    let campaign_ids: Vec<Uuid> = open.iter().filter_map(|a| a.campaign_id).collect();
    let mut overrides: BTreeMap<Uuid, ScheduleOverride> = BTreeMap::new();
    for chunk in campaign_ids.chunks(500) {
        for c in campaigns::Entity::find().filter(campaigns::Column::Id.is_in(chunk.to_vec())).all(tx).await? {
            overrides.insert(c.id, settings::overrides_of(Some(&c))?);
        }
    }
    // Rows that end up with the same dates are updated together.
    let mut groups: BTreeMap<(NaiveDate, Option<NaiveDate>), Vec<Uuid>> = BTreeMap::new();
    for a in &open {
        let schedule = match a.campaign_id.and_then(|c| overrides.get(&c)) {
            Some(o) => o.apply(base),
            None => base.clone(),
        };
        let from = yesterday.max(a.created_at.date_naive());
        let escalates = a.escalated_at.is_none().then(|| schedule.escalates_on(a.due_date));
        groups.entry((schedule.next_step_on(a.due_date, from), escalates)).or_default().push(a.id);
    }
    for ((next, escalates), ids) in groups {
        for chunk in ids.chunks(500) {
            assessments::Entity::update_many()
                .col_expr(assessments::Column::NextChaseOn, Expr::value(next))
                .col_expr(assessments::Column::EscalatesOn, Expr::value(escalates))
                .filter(assessments::Column::Id.is_in(chunk.to_vec()))
                .exec(tx)
                .await?;
        }
    }
    let pending = suppliers::Entity::find()
        .filter(suppliers::Column::OrganizationId.eq(organization_id))
        .filter(suppliers::Column::ReviewOpensOn.is_not_null())
        .all(tx)
        .await?;
    // Suppliers whose reviews open on the same day are updated together.
    let mut opens: BTreeMap<NaiveDate, Vec<Uuid>> = BTreeMap::new();
    for s in pending {
        if let Some(review_on) = s.next_review_on {
            opens.entry(base.review_opens_on(review_on)).or_default().push(s.id);
        }
    }
    for (on, ids) in opens {
        for chunk in ids.chunks(500) {
            suppliers::Entity::update_many()
                .col_expr(suppliers::Column::ReviewOpensOn, Expr::value(on))
                .filter(suppliers::Column::Id.is_in(chunk.to_vec()))
                .exec(tx)
                .await?;
        }
    }
    Ok(())
}
