//! Reading assessments from either side, and the transitions every workflow step shares.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use super::access::{self, Visible};
use super::history::{self, NewEvent};
use super::model::{Answer, Assessment, PartyRef, Progress, Question, Status};
use crate::Kensa;
use crate::entities::{answers, assessments, organizations, suppliers};
use crate::error::{DomainError, DomainResult, FieldError};
use crate::pagination::{Page, PageRequest};
use crate::templates::model::Content;
use crate::tenant::TenantCtx;

pub fn is_overdue(status: Status, due: NaiveDate, today: NaiveDate) -> bool {
    status.open() && due < today
}

/// In-scope item numbers: level at or below the target.
pub fn scope(content: &Content, target_level: i32) -> BTreeSet<u32> {
    content.items().filter(|(_, _, i)| i32::from(i.level) <= target_level).map(|(_, _, i)| i.no).collect()
}

pub(crate) fn answer_view(r: &answers::Model) -> DomainResult<Answer> {
    Ok(Answer {
        no: u32::try_from(r.item_no).map_err(DomainError::internal)?,
        status: serde_json::from_value(json!(r.status)).map_err(DomainError::internal)?,
        comment: r.comment.clone(),
        reason: r.reason.clone(),
        remediation_plan: r.remediation_plan.clone(),
        remediation_due: r.remediation_due,
        answered_by: r.answered_by,
        updated_at: r.updated_at,
    })
}

/// Builds the views of `rows` with a handful of batched queries.
async fn views(k: &Kensa, rows: Vec<assessments::Model>) -> DomainResult<Vec<Assessment>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let org_ids: Vec<Uuid> = rows.iter().map(|r| r.buyer_organization_id).collect();
    let supplier_ids: Vec<Uuid> = rows.iter().map(|r| r.supplier_id).collect();
    let orgs: HashMap<Uuid, String> = organizations::Entity::find()
        .filter(organizations::Column::Id.is_in(org_ids))
        .all(&k.db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let names: HashMap<Uuid, String> = suppliers::Entity::find()
        .filter(suppliers::Column::Id.is_in(supplier_ids))
        .all(&k.db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let answered: Vec<(Uuid, i32)> = answers::Entity::find()
        .select_only()
        .column(answers::Column::AssessmentId)
        .column(answers::Column::ItemNo)
        .filter(answers::Column::AssessmentId.is_in(ids))
        .into_tuple()
        .all(&k.db)
        .await?;
    let mut answered_by: HashMap<Uuid, Vec<u32>> = HashMap::new();
    for (id, no) in answered {
        answered_by.entry(id).or_default().push(u32::try_from(no).unwrap_or_default());
    }
    let today = k.today();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let content = k.template_contents.load(&k.db, r.template_id).await?;
        let in_scope = scope(&content.0, r.target_level);
        let answered = answered_by.get(&r.id).map_or(0, |nos| nos.iter().filter(|n| in_scope.contains(n)).count());
        let status = Status::try_from(r.status.as_str())?;
        out.push(Assessment {
            id: r.id,
            status,
            template_id: r.template_id,
            campaign_id: r.campaign_id,
            target_level: r.target_level,
            due_date: r.due_date,
            overdue: is_overdue(status, r.due_date, today),
            buyer: PartyRef {
                id: r.buyer_organization_id,
                name: orgs.get(&r.buyer_organization_id).cloned().unwrap_or_default(),
            },
            supplier: PartyRef { id: r.supplier_id, name: names.get(&r.supplier_id).cloned().unwrap_or_default() },
            supplier_organization_id: r.supplier_organization_id,
            progress: Progress { answered, total: in_scope.len() },
            version: r.version,
            submitted_at: r.submitted_at,
            accepted_at: r.accepted_at,
            cancelled_at: r.cancelled_at,
            created_at: r.created_at,
        });
    }
    Ok(out)
}

pub async fn view(k: &Kensa, row: assessments::Model) -> DomainResult<Assessment> {
    views(k, vec![row]).await?.pop().ok_or(DomainError::NotFound("assessment"))
}

#[derive(Clone, Debug, Default)]
pub struct AssessmentFilter {
    /// `buyer`: assessments this organization sent; `supplier`: those addressed to it.
    pub role: Option<String>,
    pub status: Option<String>,
    pub supplier_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    pub overdue: Option<bool>,
}

#[instrument(skip_all, fields(org = %ctx.org_id()))]
pub async fn list(
    k: &Kensa,
    ctx: &TenantCtx,
    filter: &AssessmentFilter,
    page: &PageRequest,
) -> DomainResult<Page<Assessment>> {
    let mut errors = Vec::new();
    let mut query = assessments::Entity::find();
    query = match filter.role.as_deref() {
        None => query.filter(access::visible_to(ctx)),
        Some("buyer") => query.filter(assessments::Column::BuyerOrganizationId.eq(ctx.org_id().0)),
        Some("supplier") => query.filter(assessments::Column::SupplierOrganizationId.eq(ctx.org_id().0)),
        Some(_) => {
            errors.push(FieldError::new("role", "invalid_value", "must be buyer or supplier"));
            query
        }
    };
    if let Some(status) = &filter.status {
        match Status::parse(status) {
            Some(s) => query = query.filter(assessments::Column::Status.eq(s.as_str())),
            None => errors.push(FieldError::new("status", "invalid_value", "not an assessment status")),
        }
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    if let Some(id) = filter.supplier_id {
        query = query.filter(assessments::Column::SupplierId.eq(id));
    }
    if let Some(id) = filter.campaign_id {
        query = query.filter(assessments::Column::CampaignId.eq(id));
    }
    let open = Status::EDITABLE.map(Status::as_str);
    match filter.overdue {
        Some(true) => {
            query =
                query.filter(assessments::Column::Status.is_in(open)).filter(assessments::Column::DueDate.lt(k.today()))
        }
        Some(false) => {
            query = query.filter(
                sea_orm::Condition::any()
                    .add(assessments::Column::Status.is_not_in(open))
                    .add(assessments::Column::DueDate.gte(k.today())),
            )
        }
        None => {}
    }
    if let Some(cursor) = page.cursor {
        query = query.filter(assessments::Column::Id.gt(cursor));
    }
    let rows = query.order_by_asc(assessments::Column::Id).limit(page.limit + 1).all(&k.db).await?;
    let page_rows = Page::from_rows(rows, page.limit, |r| r.id);
    Ok(Page { data: views(k, page_rows.data).await?, next_cursor: page_rows.next_cursor })
}

#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn get(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<Assessment> {
    view(k, access::load(&k.db, ctx, id).await?.row).await
}

/// The in-scope items in template order, each with its answer.
#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn questions(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<Vec<Question>> {
    let visible = access::load(&k.db, ctx, id).await?;
    let content = k.template_contents.load(&k.db, visible.row.template_id).await?;
    let answers: HashMap<i32, answers::Model> = answers::Entity::find()
        .filter(answers::Column::AssessmentId.eq(id))
        .all(&k.db)
        .await?
        .into_iter()
        .map(|a| (a.item_no, a))
        .collect();
    let mut out = Vec::new();
    for (category, section, item) in content.0.items() {
        if i32::from(item.level) > visible.row.target_level {
            continue;
        }
        let answer = match answers.get(&i32::try_from(item.no).map_err(DomainError::internal)?) {
            Some(a) => Some(answer_view(a)?),
            None => None,
        };
        out.push(Question {
            no: item.no,
            level: item.level,
            level_inferred: item.level_inferred,
            category: category.number,
            category_name: category.name.clone(),
            section: section.code.clone(),
            question: item.question.clone(),
            criteria: item.criteria.clone(),
            scope: item.scope.clone(),
            frequency: item.frequency.clone(),
            notes: item.notes.clone(),
            answer,
        });
    }
    Ok(out)
}

/// Moves the assessment to `to` and bumps its version, but only if nobody wrote in between
/// (`expected_version`); records the transition and mirrors it on the supplier record.
pub(crate) async fn transition(
    conn: &crate::WriteTx,
    ctx: &TenantCtx,
    row: &assessments::Model,
    to: Status,
    now: DateTime<Utc>,
) -> DomainResult<i32> {
    let mut update = assessments::Entity::update_many()
        .col_expr(assessments::Column::Version, Expr::col(assessments::Column::Version).add(1))
        .col_expr(assessments::Column::Status, Expr::value(to.as_str()))
        .col_expr(assessments::Column::UpdatedAt, Expr::value(now));
    match to {
        Status::Submitted => update = update.col_expr(assessments::Column::SubmittedAt, Expr::value(now)),
        Status::Accepted => update = update.col_expr(assessments::Column::AcceptedAt, Expr::value(now)),
        Status::Cancelled => update = update.col_expr(assessments::Column::CancelledAt, Expr::value(now)),
        _ => {}
    }
    let result = update
        .filter(assessments::Column::Id.eq(row.id))
        .filter(assessments::Column::Version.eq(row.version))
        .exec(conn)
        .await?;
    if result.rows_affected != 1 {
        return Err(DomainError::conflict(
            "concurrent_update",
            "the assessment changed meanwhile; reload it and retry",
        ));
    }
    if row.status != to.as_str() {
        history::record(
            conn,
            vec![history::row(
                ctx,
                now,
                NewEvent {
                    assessment_id: row.id,
                    kind: "status_changed",
                    item_no: None,
                    old_value: Some(json!(row.status)),
                    new_value: Some(json!(to.as_str())),
                },
            )],
        )
        .await?;
        suppliers::Entity::update_many()
            .col_expr(suppliers::Column::ReviewStatus, Expr::value(to.as_str()))
            .filter(suppliers::Column::Id.eq(row.supplier_id))
            .exec(conn)
            .await?;
    }
    Ok(row.version + 1)
}

/// `If-Match`, when sent, must name the current version.
pub fn check_version(row: &assessments::Model, if_match: Option<i32>) -> DomainResult<()> {
    match if_match {
        Some(expected) if expected != row.version => {
            Err(DomainError::PreconditionFailed { expected, current: row.version })
        }
        _ => Ok(()),
    }
}

/// The buyer withdraws one assessment.
#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn cancel(k: &Kensa, ctx: &TenantCtx, id: Uuid, if_match: Option<i32>) -> DomainResult<Assessment> {
    let visible: Visible = access::load(&k.db, ctx, id).await?;
    visible.require_reviewer(ctx)?;
    check_version(&visible.row, if_match)?;
    let to = visible.status()?.cancel()?;
    let now = k.now();
    let txn = k.begin_write().await?;
    transition(&txn, ctx, &visible.row, to, now).await?;
    super::invitations::revoke_pending(&txn, id, now).await?;
    crate::audit::record_action(&txn, ctx, "assessment.cancelled", Some(("assessment", id.to_string())), json!({}))
        .await?;
    txn.commit().await?;
    get(k, ctx, id).await
}

#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn history(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<Vec<super::model::HistoryEvent>> {
    access::load(&k.db, ctx, id).await?;
    history::list(&k.db, id).await
}

/// The history a page at a time (REST).
#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn history_page(
    k: &Kensa,
    ctx: &TenantCtx,
    id: Uuid,
    page: &PageRequest,
) -> DomainResult<Page<super::model::HistoryEvent>> {
    access::load(&k.db, ctx, id).await?;
    history::page(&k.db, id, page).await
}
