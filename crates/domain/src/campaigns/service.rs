//! Creating a campaign makes one assessment per supplier (`assessments::create_many`, which
//! queues every invitation in the same transaction): the request never waits for mail, and
//! no assessment exists without its invitation.

use crate::error::ErrorCode;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use super::repo;
use crate::Kensa;
use crate::assessments::NewAssessment;
use crate::assessments::access;
use crate::assessments::invitations;
use crate::assessments::model::Status;
use crate::assessments::service::is_overdue;
use crate::chase::schedule::ScheduleOverride;
use crate::entities::{campaigns, suppliers};
use crate::error::{DomainError, DomainResult, FieldError};
use crate::pagination::{Page, PageRequest};
use crate::precondition::IfMatch;
use crate::suppliers::repo as suppliers_repo;
use crate::tenant::{EditorCtx, TenantCtx};

pub const MAX_SUPPLIERS: usize = 5_000;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct CampaignInput {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
    pub template_id: Uuid,
    /// `YYYY-MM-DD`, after today.
    pub due_date: NaiveDate,
    /// 1 to 5,000 suppliers of the organization.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 5000))]
    pub supplier_ids: Vec<Uuid>,
    /// For every supplier (1–3); otherwise each supplier's own target level.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3))]
    pub target_level: Option<i32>,
    /// Overrides of the organization's reminder schedule for this campaign's assessments.
    #[serde(default)]
    pub schedule: Option<ScheduleOverride>,
}

// `Deserialize`: GraphQL replays a stored result for a repeated `idempotencyKey`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct CampaignAssessment {
    pub id: Uuid,
    pub supplier_id: Uuid,
    pub supplier_name: String,
    pub status: Status,
    pub overdue: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
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
    /// This campaign's overrides of the organization's schedule, if any.
    pub schedule: Option<ScheduleOverride>,
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
    crate::auth::verification::ensure_may_mail(&k.db, ctx.org_id().0).await?;
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
    let overrides = match input.schedule.clone().map(|o| o.validated("schedule.")).transpose() {
        Ok(o) => o.filter(|o| !o.is_empty()),
        Err(DomainError::Validation(mut e)) => {
            errors.append(&mut e);
            None
        }
        Err(e) => return Err(e),
    };
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    let now = k.now();
    let base = crate::chase::settings::load(&k.db, ctx.org_id().0).await?.schedule();
    let schedule = overrides.as_ref().map_or_else(|| base.clone(), |o| o.apply(&base));
    let campaign = campaigns::Model {
        id: Uuid::now_v7(),
        organization_id: ctx.org_id().0,
        name: input.name.trim().to_owned(),
        template_id: input.template_id,
        due_date: input.due_date,
        target_level: input.target_level,
        created_by: ctx.user_id().map(|u| u.0),
        cancelled_at: None,
        schedule: overrides.as_ref().map(|o| json!(o)),
        created_at: now,
    };
    let new: Vec<NewAssessment<'_>> = input
        .supplier_ids
        .iter()
        .map(|id| NewAssessment {
            supplier: &found[id],
            template_id: input.template_id,
            target_level: input.target_level.unwrap_or(found[id].target_level),
            due_date: input.due_date,
            campaign_id: Some(campaign.id),
            follows: None,
        })
        .collect();

    let txn = k.begin_write().await?;
    repo::insert(&txn, editor, &campaign).await?;
    let rows = crate::assessments::create_many(&txn, ctx, &new, &schedule, now).await?;
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
    let schedule =
        campaign.schedule.is_some().then(|| crate::chase::settings::overrides_of(Some(&campaign))).transpose()?;
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
        schedule,
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
        crate::supply_chain::end_with_assessment(&txn, ctx, visible.id()).await?;
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
