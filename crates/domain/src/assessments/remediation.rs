//! Remediation progress after acceptance: the supplier records, per item it planned to fix,
//! that it is done, a new date, or a note. The buyer sees it on the answer and in the
//! history; the worker stops asking about an item once it is done and asks again when a
//! new date passes.

use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use super::history::{self, NewEvent};
use super::model::{Answer, HistoryKind, Status};
use super::{access, repo};
use crate::Kensa;
use crate::entities::{answers, assessments};
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};
use crate::precondition::IfMatch;
use crate::tenant::TenantCtx;

const MAX_NOTE: usize = 10_000;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct RemediationUpdate {
    /// The gap is closed.
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub done: bool,
    /// A new planned date (after today).
    pub remediation_due: Option<NaiveDate>,
    /// What happened so far.
    #[cfg_attr(feature = "openapi", schema(max_length = 10000))]
    pub note: Option<String>,
}

fn validate(input: &RemediationUpdate, today: NaiveDate) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if !input.done && input.remediation_due.is_none() && input.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
        errors.push(FieldError::new("done", ErrorCode::Required, "give done, a new remediation_due or a note"));
    }
    if input.done && input.remediation_due.is_some() {
        errors.push(FieldError::new("remediation_due", ErrorCode::InvalidValue, "a done remediation has no new date"));
    }
    if let Some(due) = input.remediation_due {
        if let Err(e) = crate::text::date("remediation_due", due) {
            errors.push(e);
        } else if due <= today {
            errors.push(FieldError::new("remediation_due", ErrorCode::NotInFuture, "must be after today"));
        }
    }
    if let Some(note) = &input.note {
        if note.chars().count() > MAX_NOTE {
            errors.push(FieldError::new("note", ErrorCode::InvalidValue, "at most 10,000 characters"));
        } else if let Err(e) = crate::text::multi_line("note", note, MAX_NOTE) {
            errors.push(e);
        }
    }
    errors
}

#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id, no))]
pub async fn update(
    k: &Kensa,
    ctx: &TenantCtx,
    id: Uuid,
    no: u32,
    input: RemediationUpdate,
    if_match: impl Into<IfMatch>,
) -> DomainResult<Answer> {
    let if_match = if_match.into();
    let visible = access::load(&k.db, ctx, id).await?;
    visible.answerer()?;
    if_match.check(k.require_if_match, visible.row().version)?;
    let errors = validate(&input, k.today());
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    let item_no = i32::try_from(no).map_err(|_| DomainError::NotFound("answer"))?;
    let txn = k.begin_write().await?;
    let now = txn.now();
    let accepted_only = |s: Status| {
        if s == Status::Accepted {
            Ok(s)
        } else {
            Err(DomainError::conflict(
                ErrorCode::RemediationClosed,
                format!("remediation progress is recorded on accepted assessments; this one is {}", s.as_str()),
            ))
        }
    };
    repo::advance(&txn, ctx, &visible, if_match, accepted_only).await?;
    let answer = answers::Entity::find()
        .filter(answers::Column::AssessmentId.eq(id))
        .filter(answers::Column::ItemNo.eq(item_no))
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("answer"))?;
    if !matches!(answer.status.as_str(), "not_implemented" | "partially_implemented")
        || answer.remediation_done_at.is_some()
    {
        return Err(DomainError::conflict(ErrorCode::RemediationClosed, format!("No.{no} has no open remediation")));
    }
    let old = json!({ "remediation_due": answer.remediation_due, "note": answer.remediation_note });
    let mut change = answers::Entity::update_many()
        .filter(answers::Column::AssessmentId.eq(answer.assessment_id))
        .filter(answers::Column::ItemNo.eq(answer.item_no));
    let mut new = json!({});
    if input.done {
        change = change.col_expr(answers::Column::RemediationDoneAt, Expr::value(now));
        new["done"] = json!(true);
    }
    if let Some(due) = input.remediation_due {
        change = change.col_expr(answers::Column::RemediationDue, Expr::value(due));
        new["remediation_due"] = json!(due);
    }
    if let Some(note) = input.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        change = change.col_expr(answers::Column::RemediationNote, Expr::value(note));
        new["note"] = json!(note);
    }
    change.col_expr(answers::Column::UpdatedAt, Expr::value(now)).exec(&txn).await?;
    let event = NewEvent {
        assessment_id: id,
        kind: HistoryKind::RemediationUpdated,
        item_no: Some(item_no),
        old_value: Some(old),
        new_value: Some(new),
    };
    history::record(&txn, vec![history::row(ctx, now, event)]).await?;
    let next = crate::chase::plan::next_remediation(&txn, id, None).await?;
    assessments::Entity::update_many()
        .col_expr(assessments::Column::RemediationNextOn, Expr::value(next))
        .filter(assessments::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let updated = answers::Entity::find_by_id((answer.assessment_id, answer.item_no))
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("answer"))?;
    txn.commit().await?;
    super::service::answer_view(&updated)
}
