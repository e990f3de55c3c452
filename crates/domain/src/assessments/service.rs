//! Reading assessments from either side, and the transitions every workflow step shares.

use crate::error::ErrorCode;
use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use super::access::{self, Visible};
use super::history::{self};
use super::model::{Answer, Assessment, PartyRef, Progress, Question, Side, Status};
use super::repo;
use crate::Kensa;
use crate::entities::{answers, assessments};
use crate::error::{DomainError, DomainResult, FieldError};
use crate::pagination::{Page, PageRequest};
use crate::precondition::IfMatch;
use crate::templates::AnswerStatus;
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
        status: AnswerStatus::try_from(r.status.as_str())?,
        comment: r.comment.clone(),
        reason: r.reason.clone(),
        remediation_plan: r.remediation_plan.clone(),
        remediation_due: r.remediation_due,
        answered_by: r.answered_by,
        updated_at: r.updated_at,
        carried_over: r.carried_over,
        remediation_done_at: r.remediation_done_at,
        remediation_note: r.remediation_note.clone(),
    })
}

/// Builds the views of `rows` with a handful of batched queries.
async fn views(k: &Kensa, rows: Vec<assessments::Model>) -> DomainResult<Vec<Assessment>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let parts = repo::view_parts(&k.db, &rows).await?;
    let today = k.today();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let content = k.template_contents.load(&k.db, r.template_id).await?;
        let in_scope = scope(&content.0, r.target_level);
        let answered = parts.answered.get(&r.id).map_or(0, |nos| nos.iter().filter(|n| in_scope.contains(n)).count());
        let status = Status::try_from(r.status.as_str())?;
        out.push(Assessment {
            id: r.id,
            status,
            template_id: r.template_id,
            campaign_id: r.campaign_id,
            follows_assessment_id: r.follows_assessment_id,
            target_level: r.target_level,
            due_date: r.due_date,
            overdue: is_overdue(status, r.due_date, today),
            buyer: PartyRef {
                id: r.buyer_organization_id,
                name: parts.buyer_names.get(&r.buyer_organization_id).cloned().unwrap_or_default(),
            },
            supplier: PartyRef {
                id: r.supplier_id,
                name: parts.supplier_names.get(&r.supplier_id).cloned().unwrap_or_default(),
            },
            supplier_organization_id: r.supplier_organization_id,
            progress: Progress { answered, total: in_scope.len() },
            version: r.version,
            submitted_at: r.submitted_at,
            accepted_at: r.accepted_at,
            cancelled_at: r.cancelled_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
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
    /// Only assessments changed at or after this instant (incremental sync).
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

#[instrument(skip_all, fields(org = %ctx.org_id()))]
pub async fn list(
    k: &Kensa,
    ctx: &TenantCtx,
    filter: &AssessmentFilter,
    page: &PageRequest,
) -> DomainResult<Page<Assessment>> {
    let mut errors = Vec::new();
    let mut scope = repo::ListScope {
        supplier_id: filter.supplier_id,
        campaign_id: filter.campaign_id,
        overdue: filter.overdue.map(|o| (o, k.today())),
        updated_since: filter.updated_since,
        ..Default::default()
    };
    if let Some(Err(e)) = filter.updated_since.map(|t| crate::text::datetime("updated_since", t)) {
        errors.push(e);
    }
    match filter.role.as_deref() {
        None => {}
        Some("buyer") => scope.side = Some(Side::Buyer),
        Some("supplier") => scope.side = Some(Side::Supplier),
        Some(_) => errors.push(FieldError::new("role", ErrorCode::InvalidValue, "must be buyer or supplier")),
    }
    if let Some(status) = &filter.status {
        match Status::parse(status) {
            Some(s) => scope.status = Some(s),
            None => errors.push(FieldError::new("status", ErrorCode::InvalidValue, "not an assessment status")),
        }
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    let page_rows = repo::list(&k.db, ctx, scope, page).await?;
    Ok(Page { data: views(k, page_rows.data).await?, next_cursor: page_rows.next_cursor })
}

#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn get(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<Assessment> {
    view(k, access::load(&k.db, ctx, id).await?.row().clone()).await
}

/// The in-scope items in template order, each with its answer.
#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn questions(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<Vec<Question>> {
    let visible = access::load(&k.db, ctx, id).await?;
    let content = k.template_contents.load(&k.db, visible.row().template_id).await?;
    let answers = repo::answers(&k.db, &visible).await?;
    let references = crate::crosswalk::references_for(k, visible.row().template_id).await?;
    let mut out = Vec::new();
    for (category, section, item) in content.0.items() {
        if i32::from(item.level) > visible.row().target_level {
            continue;
        }
        out.push(question(category, section, item, &answers, &references)?);
    }
    Ok(out)
}

/// One item as a question, with its answer from `answers` and what cites it from
/// `references` (by item number; see [`crate::crosswalk::references_for`]).
pub(crate) fn question(
    category: &crate::templates::model::Category,
    section: &crate::templates::model::Section,
    item: &crate::templates::model::Item,
    answers: &std::collections::HashMap<i32, answers::Model>,
    references: &std::collections::BTreeMap<u32, &'static crate::crosswalk::ItemReferences>,
) -> DomainResult<Question> {
    let answer = match answers.get(&i32::try_from(item.no).map_err(DomainError::internal)?) {
        Some(a) => Some(answer_view(a)?),
        None => None,
    };
    Ok(Question {
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
        category_name_en: category.name_en.clone(),
        question_en: item.question_en.clone(),
        criteria_en: item.criteria_en.clone(),
        scope_en: item.scope_en.clone(),
        frequency_en: item.frequency_en.clone(),
        notes_en: item.notes_en.clone(),
        references: references.get(&item.no).map(|r| (*r).clone()),
        answer,
    })
}

/// The buyer withdraws one assessment.
#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn cancel(k: &Kensa, ctx: &TenantCtx, id: Uuid, if_match: impl Into<IfMatch>) -> DomainResult<Assessment> {
    let if_match = if_match.into();
    let visible: Visible = access::load(&k.db, ctx, id).await?;
    visible.reviewer()?;
    if_match.check(k.require_if_match, visible.row().version)?;
    visible.status()?.cancel()?;
    let txn = k.begin_write().await?;
    repo::advance(&txn, ctx, &visible, if_match, Status::cancel).await?;
    super::invitations::revoke_pending(&txn, id, txn.now()).await?;
    crate::supply_chain::end_with_assessment(&txn, ctx, id).await?;
    crate::audit::record_action(&txn, ctx, "assessment.cancelled", Some(("assessment", id.to_string())), json!({}))
        .await?;
    txn.commit().await?;
    get(k, ctx, id).await
}

#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn history(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<Vec<super::model::HistoryEvent>> {
    let visible = access::load(&k.db, ctx, id).await?;
    repo::history(&k.db, &visible, None).await?.data.into_iter().map(history::view).collect()
}

/// The history a page at a time (REST).
#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn history_page(
    k: &Kensa,
    ctx: &TenantCtx,
    id: Uuid,
    page: &PageRequest,
) -> DomainResult<Page<super::model::HistoryEvent>> {
    let visible = access::load(&k.db, ctx, id).await?;
    repo::history(&k.db, &visible, Some(page)).await?.try_map(history::view)
}
