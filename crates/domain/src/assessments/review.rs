//! The buyer's review, and the per-item comment threads of both sides.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use super::access::{self, Visible};
use super::history::{self, NewEvent};
use super::model::{Comment, Side};
use super::service::{check_version, transition};
use crate::Kensa;
use crate::entities::assessment_comments;
use crate::error::{DomainError, DomainResult, FieldError};
use crate::pagination::{Page, PageRequest};
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
    pub comment: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    pub decision: Decision,
    /// Shared with the supplier.
    pub comment: Option<String>,
    /// Per-item remarks, shared with the supplier.
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub items: Vec<ItemComment>,
}

const MAX_COMMENT: usize = 10_000;

async fn in_scope(k: &Kensa, visible: &Visible) -> DomainResult<std::collections::BTreeSet<u32>> {
    let template = k.template_contents.load(&k.db, visible.row.template_id).await?;
    Ok(super::service::scope(&template.0, visible.row.target_level))
}

fn comment_row(
    visible: &Visible,
    ctx: &TenantCtx,
    item_no: Option<i32>,
    visibility: &str,
    body: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> assessment_comments::Model {
    assessment_comments::Model {
        id: Uuid::now_v7(),
        assessment_id: visible.row.id,
        item_no,
        author_user_id: ctx.user_id().map(|u| u.0),
        author_organization_id: ctx.org_id().0,
        visibility: visibility.to_owned(),
        body: body.trim().to_owned(),
        created_at: now,
    }
}

fn view(r: assessment_comments::Model) -> Comment {
    Comment {
        id: r.id,
        item_no: r.item_no,
        author_user_id: r.author_user_id,
        author_organization_id: r.author_organization_id,
        visibility: r.visibility,
        body: r.body,
        created_at: r.created_at,
    }
}

async fn store_comments(
    conn: &crate::WriteTx,
    ctx: &TenantCtx,
    rows: Vec<assessment_comments::Model>,
) -> DomainResult<()> {
    let events = rows
        .iter()
        .filter(|c| c.visibility == "shared")
        .map(|c| {
            history::row(
                ctx,
                conn.now(),
                NewEvent {
                    assessment_id: c.assessment_id,
                    kind: "comment_added",
                    item_no: c.item_no,
                    old_value: None,
                    new_value: Some(json!({ "comment_id": c.id })),
                },
            )
        })
        .collect();
    for row in rows {
        assessment_comments::Entity::insert(assessment_comments::ActiveModel::from(row))
            .exec_without_returning(conn)
            .await?;
    }
    history::record(conn, events).await
}

#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn review(
    k: &Kensa,
    ctx: &TenantCtx,
    id: Uuid,
    input: ReviewInput,
    if_match: Option<i32>,
) -> DomainResult<()> {
    let visible = access::load(&k.db, ctx, id).await?;
    visible.require_reviewer(ctx)?;
    check_version(&visible.row, if_match)?;
    let status = visible.status()?;
    let to = match input.decision {
        Decision::Accept => status.accept()?,
        Decision::RequestChanges => status.request_changes()?,
    };
    let mut errors = Vec::new();
    let mut comments = Vec::new();
    let in_scope = in_scope(k, &visible).await?;
    if let Some(text) = input.comment.as_deref().filter(|c| !c.trim().is_empty()) {
        if let Err(e) = crate::text::multi_line("comment", text, MAX_COMMENT) {
            errors.push(e);
        }
        comments.push(comment_row(&visible, ctx, None, "shared", text, k.now()));
    }
    for (i, item) in input.items.iter().enumerate() {
        if item.comment.trim().is_empty() || item.comment.chars().count() > MAX_COMMENT {
            errors.push(FieldError::new(format!("items[{i}].comment"), "invalid_value", "1 to 10,000 characters"));
        } else if let Err(e) = crate::text::check_chars(&format!("items[{i}].comment"), &item.comment) {
            errors.push(e);
        }
        if !in_scope.contains(&item.no) {
            errors.push(FieldError::new(
                format!("items[{i}].no"),
                "item_not_in_scope",
                format!("No.{} is not in this assessment", item.no),
            ));
        }
        comments.push(comment_row(
            &visible,
            ctx,
            Some(i32::try_from(item.no).unwrap_or_default()),
            "shared",
            &item.comment,
            k.now(),
        ));
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    let txn = k.begin_write().await?;
    transition(&txn, ctx, &visible.row, to, k.now()).await?;
    store_comments(&txn, ctx, comments).await?;
    let action =
        if to == super::model::Status::Accepted { "assessment.accepted" } else { "assessment.changes_requested" };
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
    pub body: String,
    /// `shared` (default) or, for the buyer only, `internal`.
    pub visibility: Option<String>,
}

#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn add_comment(k: &Kensa, ctx: &TenantCtx, id: Uuid, input: CommentInput) -> DomainResult<Comment> {
    let visible = access::load(&k.db, ctx, id).await?;
    visible.require_participant(ctx)?;
    let visibility = input.visibility.unwrap_or_else(|| "shared".into());
    let mut errors = Vec::new();
    match (visibility.as_str(), visible.side) {
        ("shared", _) | ("internal", Side::Buyer) => {}
        ("internal", Side::Supplier) => {
            errors.push(FieldError::new("visibility", "not_allowed", "internal comments are the buyer's"))
        }
        _ => errors.push(FieldError::new("visibility", "invalid_value", "must be shared or internal")),
    }
    if input.body.trim().is_empty() || input.body.chars().count() > MAX_COMMENT {
        errors.push(FieldError::new("body", "invalid_value", "1 to 10,000 characters"));
    } else if let Err(e) = crate::text::check_chars("body", &input.body) {
        errors.push(e);
    }
    if let Some(no) = input.item_no
        && !in_scope(k, &visible).await?.contains(&no)
    {
        errors.push(FieldError::new("item_no", "item_not_in_scope", format!("No.{no} is not in this assessment")));
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    let row = comment_row(
        &visible,
        ctx,
        input.item_no.map(|n| i32::try_from(n).unwrap_or_default()),
        &visibility,
        &input.body,
        k.now(),
    );
    let txn = k.begin_write().await?;
    store_comments(&txn, ctx, vec![row.clone()]).await?;
    txn.commit().await?;
    Ok(view(row))
}

/// Comments the caller may see: the supplier never sees internal ones.
#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn comments(k: &Kensa, ctx: &TenantCtx, id: Uuid, item_no: Option<u32>) -> DomainResult<Vec<Comment>> {
    let query = comments_query(k, ctx, id, item_no).await?;
    Ok(query.order_by_asc(assessment_comments::Column::Id).all(&k.db).await?.into_iter().map(view).collect())
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
    let mut query = comments_query(k, ctx, id, item_no).await?;
    if let Some(cursor) = page.cursor {
        query = query.filter(assessment_comments::Column::Id.gt(cursor));
    }
    let rows = query.order_by_asc(assessment_comments::Column::Id).limit(page.limit + 1).all(&k.db).await?;
    Ok(Page::from_rows(rows, page.limit, |r| r.id).map(view))
}

async fn comments_query(
    k: &Kensa,
    ctx: &TenantCtx,
    id: Uuid,
    item_no: Option<u32>,
) -> DomainResult<sea_orm::Select<assessment_comments::Entity>> {
    let visible = access::load(&k.db, ctx, id).await?;
    let mut query = assessment_comments::Entity::find().filter(assessment_comments::Column::AssessmentId.eq(id));
    if visible.side == Side::Supplier {
        query = query.filter(assessment_comments::Column::Visibility.eq("shared"));
    }
    if let Some(no) = item_no {
        query = query.filter(assessment_comments::Column::ItemNo.eq(i32::try_from(no).unwrap_or_default()));
    }
    Ok(query)
}
