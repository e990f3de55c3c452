//! The recipient reviews what it was given: accepts it, or asks the supplier for changes,
//! which becomes an open share request to the supplier (answered with a new share).

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use super::model::{NewShareReview, ShareRequestStatus, ShareReviewDecision, ShareReviewed};
use super::requests::{Opening, open};
use super::{procurer, record_in_owners_trail, repo, view};
use crate::Kensa;
use crate::audit;
use crate::entities::{share_requests, shares};
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};
use crate::tenant::TenantCtx;
use crate::users::model::Validator;

fn comment(input: &NewShareReview) -> DomainResult<Option<String>> {
    let mut v = Validator::default();
    let text = crate::assessments::answers::trimmed(input.comment.clone());
    if let Some(text) = &text {
        v.check(crate::text::multi_line("comment", text, 2_000));
    } else if input.decision == ShareReviewDecision::RequestChanges {
        v.check::<()>(Err(FieldError::new("comment", ErrorCode::Required, "say what the supplier should change")));
    }
    v.finish()?;
    Ok(text)
}

/// Records the recipient's review of the share (the latest replaces an earlier one). Asking
/// for changes opens a share request to the supplier with the comment, or answers with the
/// one already open for the same checklist. The recipient's owners, admins and reviewers,
/// once the terms are accepted.
#[instrument(skip_all, fields(org = %ctx.org_id(), share = %id))]
pub async fn review(k: &Kensa, ctx: &TenantCtx, id: Uuid, input: NewShareReview) -> DomainResult<ShareReviewed> {
    let (org, now) = (ctx.org_id().0, k.now());
    repo::readable(&k.db, org, id, now).await?.ok_or(DomainError::NotFound("share"))?;
    procurer(ctx)?;
    let comment = comment(&input)?;
    let txn = k.begin_write().await?;
    // The requester's organization row first, as a share request takes it: two ways of
    // opening a request to the same supplier (PostgreSQL) open one. Then the share, read
    // again under its lock: a revocation or expiry that won the race is a 404 here.
    super::requests::lock_requester(&txn, org).await?;
    let row = shares::Entity::find_by_id(id)
        .filter(repo::readable_by(org, txn.now()))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("share"))?;
    if row.terms.is_some() && row.terms_accepted_at.is_none() {
        return Err(DomainError::Conflict {
            code: ErrorCode::TermsNotAccepted,
            detail: "accept the share's terms before reviewing it".into(),
        });
    }
    shares::Entity::update_many()
        .col_expr(shares::Column::ReviewDecision, Expr::value(input.decision.as_str()))
        .col_expr(shares::Column::ReviewComment, Expr::value(comment.clone()))
        .col_expr(shares::Column::ReviewedAt, Expr::value(txn.now()))
        .col_expr(shares::Column::ReviewedBy, Expr::value(ctx.user_id().map(|u| u.0)))
        .filter(shares::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let request = match input.decision {
        // Accepted after all: the request this share's review opened is no longer wanted.
        ShareReviewDecision::Accept => {
            withdraw_review_requests(&txn, id).await?;
            None
        }
        ShareReviewDecision::RequestChanges => {
            match repo::open_request(&txn, org, row.organization_id, row.template_id).await? {
                Some(open) => Some(open.id),
                None => {
                    let record = repo::registry_records(&txn, org, vec![row.organization_id]).await?;
                    let opening = Opening {
                        supplier_id: record.get(&row.organization_id).map(|s| s.id),
                        supplier_organization_id: row.organization_id,
                        template_id: row.template_id,
                        message: comment.clone(),
                        reviewed_share_id: Some(id),
                    };
                    Some(open(&txn, ctx, opening).await?.id)
                }
            }
        }
    };
    let details = json!({ "decision": input.decision.as_str(), "share_request_id": request });
    record_in_owners_trail(&txn, ctx, &row, "share.reviewed", details.clone()).await?;
    audit::record_action(&txn, ctx, "share.reviewed", Some(("share", id.to_string())), details).await?;
    txn.commit().await?;
    k.wake_worker();
    // Both read after the commit: what they are now, not what this call saw.
    let share = shares::Entity::find_by_id(id).one(&k.db).await?.ok_or(DomainError::NotFound("share"))?;
    let request = match request {
        Some(r) => match repo::request_of(&k.db, org, r).await? {
            Some(r) => Some(super::requests::view(&k.db, r, org).await?),
            None => None,
        },
        None => None,
    };
    Ok(ShareReviewed { share: view(&k.db, share, org, now).await?, request })
}

/// Cancels the open request that a review of the share opened, if there is one.
async fn withdraw_review_requests(tx: &crate::WriteTx, share: Uuid) -> DomainResult<()> {
    use share_requests::Column as C;
    share_requests::Entity::update_many()
        .col_expr(C::Status, Expr::value(ShareRequestStatus::Cancelled.as_str()))
        .col_expr(C::ResolvedAt, Expr::value(tx.now()))
        .filter(C::ReviewedShareId.eq(share))
        .filter(C::Status.eq(ShareRequestStatus::Open.as_str()))
        .exec(tx)
        .await?;
    Ok(())
}
