//! Creating a campaign makes one assessment per supplier and queues every invitation in the
//! same transaction: the request never waits for mail, and no assessment exists without
//! its invitation.

use crate::error::ErrorCode;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use super::repo;
use crate::Kensa;
use crate::assessments::access;
use crate::assessments::model::Status;
use crate::assessments::service::is_overdue;
use crate::assessments::{history, invitations};
use crate::entities::{assessments, campaigns, jobs as job_rows, supplier_invitations, suppliers, templates};
use crate::error::{DomainError, DomainResult, FieldError};
use crate::jobs::JobKind;
use crate::pagination::{Page, PageRequest};
use crate::precondition::IfMatch;
use crate::suppliers::repo as suppliers_repo;
use crate::tenant::{EditorCtx, TenantCtx};

pub const MAX_SUPPLIERS: usize = 5_000;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CampaignInput {
    pub name: String,
    pub template_id: Uuid,
    /// `YYYY-MM-DD`, after today.
    pub due_date: NaiveDate,
    pub supplier_ids: Vec<Uuid>,
    /// For every supplier; otherwise each supplier's own target level.
    pub target_level: Option<i32>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct CampaignAssessment {
    pub id: Uuid,
    pub supplier_id: Uuid,
    pub supplier_name: String,
    pub status: Status,
    pub overdue: bool,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Campaign {
    pub id: Uuid,
    pub name: String,
    pub template_id: Uuid,
    pub due_date: NaiveDate,
    pub target_level: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Assessments per status.
    pub counts: BTreeMap<String, usize>,
    pub overdue: usize,
    pub assessment_count: usize,
    /// Present in the detail view only.
    pub assessments: Option<Vec<CampaignAssessment>>,
}

fn validate(input: &CampaignInput, today: NaiveDate) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Err(e) = crate::text::name("name", &input.name) {
        errors.push(e);
    }
    if let Err(e) = crate::text::date("due_date", input.due_date) {
        errors.push(e);
    } else if input.due_date <= today {
        errors.push(FieldError::new("due_date", ErrorCode::NotInFuture, "the due date must be after today"));
    }
    if input.target_level.is_some_and(|l| !(1..=3).contains(&l)) {
        errors.push(FieldError::new("target_level", ErrorCode::OutOfRange, "must be 1, 2 or 3"));
    }
    if input.supplier_ids.is_empty() || input.supplier_ids.len() > MAX_SUPPLIERS {
        errors.push(FieldError::new("supplier_ids", ErrorCode::OutOfRange, format!("1 to {MAX_SUPPLIERS} suppliers")));
    }
    let mut seen = BTreeSet::new();
    for (i, id) in input.supplier_ids.iter().enumerate() {
        if !seen.insert(*id) {
            errors.push(FieldError::new(format!("supplier_ids[{i}]"), ErrorCode::Duplicate, "listed twice"));
        }
    }
    errors
}

#[instrument(skip_all, fields(org = %editor.tenant().org_id(), suppliers = input.supplier_ids.len()))]
pub async fn create(k: &Kensa, editor: EditorCtx<'_>, input: CampaignInput) -> DomainResult<Campaign> {
    let ctx = editor.tenant();
    let mut errors = validate(&input, k.today());
    let template = crate::templates::repo::find_visible(&k.db, ctx, input.template_id).await?;
    if template.is_none() {
        errors.push(FieldError::new("template_id", ErrorCode::NotFound, "no such template"));
    }
    let found: HashMap<Uuid, suppliers::Model> =
        suppliers_repo::find_many(&k.db, ctx, &input.supplier_ids).await?.into_iter().map(|s| (s.id, s)).collect();
    for (i, id) in input.supplier_ids.iter().enumerate() {
        if !found.contains_key(id) {
            errors.push(FieldError::new(
                format!("supplier_ids[{i}]"),
                ErrorCode::NotFound,
                format!("no supplier {id}"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    let now = k.now();
    let campaign = campaigns::Model {
        id: Uuid::now_v7(),
        organization_id: ctx.org_id().0,
        name: input.name.trim().to_owned(),
        template_id: input.template_id,
        due_date: input.due_date,
        target_level: input.target_level,
        created_by: ctx.user_id().map(|u| u.0),
        cancelled_at: None,
        created_at: now,
    };
    let mut rows = Vec::with_capacity(input.supplier_ids.len());
    let (mut invitations, mut jobs, mut events) = (Vec::new(), Vec::new(), Vec::new());
    for supplier_id in &input.supplier_ids {
        let supplier = &found[supplier_id];
        let row = assessments::Model {
            id: Uuid::now_v7(),
            buyer_organization_id: ctx.org_id().0,
            supplier_id: supplier.id,
            supplier_organization_id: supplier.supplier_organization_id,
            campaign_id: Some(campaign.id),
            template_id: input.template_id,
            target_level: input.target_level.unwrap_or(supplier.target_level),
            due_date: input.due_date,
            status: Status::Sent.as_str().into(),
            version: 1,
            submitted_at: None,
            accepted_at: None,
            cancelled_at: None,
            created_at: now,
            updated_at: now,
        };
        let (kind, payload) = if row.supplier_organization_id.is_some() {
            (JobKind::AssessmentNoticeMail, json!({ "assessment_id": row.id }))
        } else {
            let invitation = invitations::new_row(row.id, row.due_date, &supplier.contact_email, now);
            let payload = json!({ "invitation_id": invitation.id });
            invitations.push(invitation);
            (JobKind::AssessmentInvitationMail, payload)
        };
        jobs.push(crate::jobs::new_row(kind, payload, now, now));
        events.push(history::row(
            ctx,
            now,
            history::NewEvent {
                assessment_id: row.id,
                kind: "created",
                item_no: None,
                old_value: None,
                new_value: Some(json!({ "status": "sent", "campaign_id": campaign.id })),
            },
        ));
        rows.push(row);
    }

    let txn = k.begin_write().await?;
    campaigns::Entity::insert(campaigns::ActiveModel::from(campaign.clone())).exec_without_returning(&txn).await?;
    templates::Entity::update_many()
        .col_expr(templates::Column::InUse, Expr::value(true))
        .filter(templates::Column::Id.eq(input.template_id))
        .exec(&txn)
        .await?;
    for chunk in rows.chunks(500) {
        assessments::Entity::insert_many(chunk.iter().cloned().map(assessments::ActiveModel::from))
            .exec_without_returning(&txn)
            .await?;
    }
    for chunk in invitations.chunks(500) {
        supplier_invitations::Entity::insert_many(chunk.iter().cloned().map(supplier_invitations::ActiveModel::from))
            .exec_without_returning(&txn)
            .await?;
    }
    for chunk in jobs.chunks(500) {
        job_rows::Entity::insert_many(chunk.iter().cloned().map(job_rows::ActiveModel::from))
            .exec_without_returning(&txn)
            .await?;
    }
    history::record(&txn, events).await?;
    crate::suppliers::repo::mirror_review_status(&txn, input.supplier_ids.iter().copied(), Status::Sent.as_str(), now)
        .await?;
    crate::audit::record_action(
        &txn,
        ctx,
        "campaign.created",
        Some(("campaign", campaign.id.to_string())),
        json!({ "name": campaign.name, "suppliers": rows.len(), "template_id": campaign.template_id }),
    )
    .await?;
    txn.commit().await?;
    k.wake_worker();
    get(k, ctx, campaign.id).await
}

async fn summarise(k: &Kensa, ctx: &TenantCtx, campaign: campaigns::Model, detail: bool) -> DomainResult<Campaign> {
    let rows = repo::assessments(&k.db, ctx, &campaign).await?;
    let today = k.today();
    let mut counts: BTreeMap<String, usize> = Status::ALL.iter().map(|s| (s.as_str().to_owned(), 0)).collect();
    let mut overdue = 0;
    for r in &rows {
        let status = Status::try_from(r.status.as_str())?;
        *counts.entry(status.as_str().to_owned()).or_default() += 1;
        if is_overdue(status, r.due_date, today) {
            overdue += 1;
        }
    }
    let assessments = if detail {
        let ids: Vec<Uuid> = rows.iter().map(|r| r.supplier_id).collect();
        let names = repo::supplier_names(&k.db, ctx, &ids).await?;
        Some(
            rows.iter()
                .map(|r| {
                    let status = Status::try_from(r.status.as_str())?;
                    Ok(CampaignAssessment {
                        id: r.id,
                        supplier_id: r.supplier_id,
                        supplier_name: names.get(&r.supplier_id).cloned().unwrap_or_default(),
                        status,
                        overdue: is_overdue(status, r.due_date, today),
                    })
                })
                .collect::<DomainResult<Vec<_>>>()?,
        )
    } else {
        None
    };
    Ok(Campaign {
        id: campaign.id,
        name: campaign.name,
        template_id: campaign.template_id,
        due_date: campaign.due_date,
        target_level: campaign.target_level,
        created_at: campaign.created_at,
        cancelled_at: campaign.cancelled_at,
        counts,
        overdue,
        assessment_count: rows.len(),
        assessments,
    })
}

#[instrument(skip_all, fields(org = %ctx.org_id(), campaign = %id))]
pub async fn get(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<Campaign> {
    summarise(k, ctx, repo::find(&k.db, ctx, id).await?, true).await
}

#[instrument(skip_all, fields(org = %ctx.org_id()))]
pub async fn list(k: &Kensa, ctx: &TenantCtx, page: &PageRequest) -> DomainResult<Page<Campaign>> {
    let page_rows = repo::list(&k.db, ctx, page).await?;
    let mut data = Vec::with_capacity(page_rows.data.len());
    for row in page_rows.data {
        data.push(summarise(k, ctx, row, false).await?);
    }
    Ok(Page { data, next_cursor: page_rows.next_cursor })
}

/// Cancels every assessment of the campaign that is still open; submitted and accepted
/// ones keep their state.
#[instrument(skip_all, fields(org = %editor.tenant().org_id(), campaign = %id))]
pub async fn cancel(k: &Kensa, editor: EditorCtx<'_>, id: Uuid) -> DomainResult<Campaign> {
    let ctx = editor.tenant();
    let campaign = repo::find(&k.db, ctx, id).await?;
    if campaign.cancelled_at.is_some() {
        return Err(DomainError::conflict(ErrorCode::InvalidTransition, "the campaign is already cancelled"));
    }
    let now = k.now();
    let txn = k.begin_write().await?;
    if !repo::mark_cancelled(&txn, editor, &campaign, now).await? {
        return Err(DomainError::conflict(ErrorCode::InvalidTransition, "the campaign is already cancelled"));
    }
    // Read inside the transaction, so that answers saved meanwhile do not trip the version check.
    let mut open = Vec::new();
    for visible in access::buyer_rows(editor, repo::assessments(&txn, ctx, &campaign).await?) {
        if visible.status()?.open() {
            open.push(visible);
        }
    }
    let mut cancelled = 0;
    for visible in &open {
        // Each row is read again under its lock: one submitted meanwhile keeps its state.
        match crate::assessments::repo::advance(&txn, ctx, visible, IfMatch::Absent, Status::cancel).await {
            Ok(_) => {}
            Err(DomainError::Conflict { code: ErrorCode::InvalidTransition, .. }) => continue,
            Err(e) => return Err(e),
        }
        invitations::revoke_pending(&txn, visible.id(), now).await?;
        cancelled += 1;
    }
    crate::audit::record_action(
        &txn,
        ctx,
        "campaign.cancelled",
        Some(("campaign", id.to_string())),
        json!({ "cancelled": cancelled }),
    )
    .await?;
    txn.commit().await?;
    get(k, ctx, id).await
}
