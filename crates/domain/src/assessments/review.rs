//! The buyer's review, and the per-item comment threads of both sides.

use crate::error::ErrorCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use super::access::{self, Visible};
use super::model::{Comment, Side, Status, Visibility};
use super::repo;
use crate::Kensa;
use crate::entities::assessment_comments;
use crate::error::{DomainError, DomainResult, FieldError};
use crate::pagination::{Page, PageRequest};
use crate::precondition::IfMatch;
use crate::tenant::TenantCtx;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Accept,
    RequestChanges,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject), graphql(name = "ItemCommentInput"))]
#[serde(deny_unknown_fields)]
pub struct ItemComment {
    pub no: u32,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 10000))]
    pub comment: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    pub decision: Decision,
    /// Shared with the supplier.
    #[cfg_attr(feature = "openapi", schema(max_length = 10000))]
    pub comment: Option<String>,
    /// Per-item remarks, shared with the supplier.
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub items: Vec<ItemComment>,
}

const MAX_COMMENT: usize = 10_000;

async fn in_scope(k: &Kensa, visible: &Visible) -> DomainResult<std::collections::BTreeSet<u32>> {
    let template = k.template_contents.load(&k.db, visible.row().template_id).await?;
    Ok(super::service::scope(&template.0, visible.row().target_level))
}

fn comment_row(
    visible: &Visible,
    ctx: &TenantCtx,
    item_no: Option<i32>,
    visibility: Visibility,
    body: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> assessment_comments::Model {
    assessment_comments::Model {
        id: Uuid::now_v7(),
        assessment_id: visible.id(),
        item_no,
        author_user_id: ctx.user_id().map(|u| u.0),
        author_organization_id: ctx.org_id().0,
        visibility: visibility.as_str().to_owned(),
        body: body.trim().to_owned(),
        created_at: now,
    }
}

fn view(r: assessment_comments::Model) -> DomainResult<Comment> {
    Ok(Comment {
        id: r.id,
        item_no: r.item_no,
        author_user_id: r.author_user_id,
        author_organization_id: r.author_organization_id,
        visibility: Visibility::try_from(r.visibility.as_str())?,
        body: r.body,
        created_at: r.created_at,
    })
}

#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn review(
    k: &Kensa,
    ctx: &TenantCtx,
    id: Uuid,
    input: ReviewInput,
    if_match: impl Into<IfMatch>,
) -> DomainResult<()> {
    let if_match = if_match.into();
    let visible = access::load(&k.db, ctx, id).await?;
    let reviewer = visible.reviewer()?;
    if_match.check(k.require_if_match, visible.row().version)?;
    let step: fn(Status) -> DomainResult<Status> = match input.decision {
        Decision::Accept => Status::accept,
        Decision::RequestChanges => Status::request_changes,
    };
    step(visible.status()?)?;
    let mut errors = Vec::new();
    let mut comments = Vec::new();
    let in_scope = in_scope(k, &visible).await?;
    if let Some(text) = input.comment.as_deref().filter(|c| !c.trim().is_empty()) {
        if let Err(e) = crate::text::multi_line("comment", text, MAX_COMMENT) {
            errors.push(e);
        }
        comments.push(comment_row(&visible, ctx, None, Visibility::Shared, text, k.now()));
    }
    for (i, item) in input.items.iter().enumerate() {
        if item.comment.trim().is_empty() || item.comment.chars().count() > MAX_COMMENT {
            errors.push(FieldError::new(
                format!("items[{i}].comment"),
                ErrorCode::InvalidValue,
                "1 to 10,000 characters",
            ));
        } else if let Err(e) = crate::text::check_chars(&format!("items[{i}].comment"), &item.comment) {
            errors.push(e);
        }
        if !in_scope.contains(&item.no) {
            errors.push(FieldError::new(
                format!("items[{i}].no"),
                ErrorCode::ItemNotInScope,
                format!("No.{} is not in this assessment", item.no),
            ));
        }
        comments.push(comment_row(
            &visible,
            ctx,
            Some(i32::try_from(item.no).unwrap_or_default()),
            Visibility::Shared,
            &item.comment,
            k.now(),
        ));
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    let txn = k.begin_write().await?;
    repo::advance(&txn, ctx, &visible, if_match, step).await?;
    // Stamped in the transaction, at or after the status change: the mails about the
    // request for changes gather the comments made with it by that time.
    let now = txn.now();
    comments.iter_mut().for_each(|c| c.created_at = now);
    repo::insert_comments(&txn, ctx, reviewer.into(), comments).await?;
    let action = match input.decision {
        Decision::Accept => "assessment.accepted",
        Decision::RequestChanges => "assessment.changes_requested",
    };
    crate::audit::record_action(&txn, ctx, action, Some(("assessment", id.to_string())), json!({})).await?;
    txn.commit().await?;
    Ok(())
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    /// The item discussed; none for the assessment as a whole.
    pub item_no: Option<u32>,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 10000))]
    pub body: String,
    /// `shared` (default) or, for the buyer only, `internal`.
    pub visibility: Option<Visibility>,
}

#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn add_comment(k: &Kensa, ctx: &TenantCtx, id: Uuid, input: CommentInput) -> DomainResult<Comment> {
    let visible = access::load(&k.db, ctx, id).await?;
    let participant = visible.participant()?;
    let visibility = input.visibility.unwrap_or(Visibility::Shared);
    let mut errors = Vec::new();
    if (visibility, visible.side()) == (Visibility::Internal, Side::Supplier) {
        errors.push(FieldError::new("visibility", ErrorCode::NotAllowed, "internal comments are the buyer's"))
    }
    if input.body.trim().is_empty() || input.body.chars().count() > MAX_COMMENT {
        errors.push(FieldError::new("body", ErrorCode::InvalidValue, "1 to 10,000 characters"));
    } else if let Err(e) = crate::text::check_chars("body", &input.body) {
        errors.push(e);
    }
    if let Some(no) = input.item_no
        && !in_scope(k, &visible).await?.contains(&no)
    {
        errors.push(FieldError::new(
            "item_no",
            ErrorCode::ItemNotInScope,
            format!("No.{no} is not in this assessment"),
        ));
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    let row = comment_row(
        &visible,
        ctx,
        input.item_no.map(|n| i32::try_from(n).unwrap_or_default()),
        visibility,
        &input.body,
        k.now(),
    );
    let txn = k.begin_write().await?;
    repo::insert_comments(&txn, ctx, participant, vec![row.clone()]).await?;
    txn.commit().await?;
    view(row)
}

/// Comments the caller may see: the supplier never sees internal ones.
#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn comments(k: &Kensa, ctx: &TenantCtx, id: Uuid, item_no: Option<u32>) -> DomainResult<Vec<Comment>> {
    let visible = access::load(&k.db, ctx, id).await?;
    repo::comments(&k.db, &visible, item_no, None).await?.data.into_iter().map(view).collect()
}

/// One comment the caller may see; an internal one is "not found" to the supplier.
#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id, comment = %comment_id))]
pub async fn comment(k: &Kensa, ctx: &TenantCtx, id: Uuid, comment_id: Uuid) -> DomainResult<Comment> {
    let visible = access::load(&k.db, ctx, id).await?;
    let row = repo::comment(&k.db, &visible, comment_id).await?.ok_or(DomainError::NotFound("comment"))?;
    view(row)
}

/// The same a page at a time, oldest first (REST): a discussion can grow without bound.
#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn comments_page(
    k: &Kensa,
    ctx: &TenantCtx,
    id: Uuid,
    item_no: Option<u32>,
    page: &PageRequest,
) -> DomainResult<Page<Comment>> {
    let visible = access::load(&k.db, ctx, id).await?;
    repo::comments(&k.db, &visible, item_no, Some(page)).await?.try_map(view)
}

/// The items a request for changes is about: those the buyer commented on (shared) since
/// the supplier last submitted, while changes are requested. Empty in any other state.
pub fn concerned_items(assessment: &super::model::Assessment, comments: &[Comment]) -> std::collections::BTreeSet<i32> {
    if assessment.status != super::model::Status::ChangesRequested {
        return Default::default();
    }
    let since = assessment.submitted_at;
    comments
        .iter()
        .filter(|c| c.author_organization_id == assessment.buyer.id && c.visibility == Visibility::Shared)
        .filter(|c| since.is_none_or(|s| c.created_at >= s))
        .filter_map(|c| c.item_no)
        .collect()
}
