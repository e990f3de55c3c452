//! Sharing with consent: answer once, let many buyers read it.
//!
//! A supplier organization's owners and admins share one of its submitted assessments
//! (a snapshot, frozen when shared) or its answer library for a template line (live) with
//! another organization: named by id, by accepting that organization's share request, or
//! through a link for an email domain that a user with a verified address there claims.
//! Each share has a scope (scores, answers, answers and evidence), an expiry (twelve months
//! unless given) and optional terms the recipient accepts before reading. It can be revoked
//! at any time; revoked and expired shares are gone for the recipient. Every read and
//! download by the recipient is in the supplier's audit trail.
//!
//! Nobody else sees a share: another organization finds nothing (404), whatever id it tries.

pub(crate) mod comparison;
mod content;
mod create;
pub mod model;
pub(crate) mod repo;
mod requests;
mod review;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

pub use comparison::{ComparisonShared, SharedComparisonRow, SharedFigures, shared_comparison};
pub use content::{SharedPart, download, read, read_part};
pub use create::create;
pub use model::{
    NewShare, NewShareRequest, NewShareReview, Share, ShareDirection, ShareKind, ShareRequest, ShareRequestStatus,
    ShareReview, ShareReviewDecision, ShareReviewed, ShareScope, ShareState, SharedAssessment, SharedFile,
};
pub use requests::{cancel_request, decline_request, list_requests, request};
pub use review::review;

use crate::audit;
use crate::entities::shares;
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::pagination::{Page, PageRequest};
use crate::tenant::{Role, TenantCtx};
use crate::{Kensa, WriteTx};

/// Sharing the organization's answers is a decision for its owners and admins.
fn sharer(ctx: &TenantCtx) -> DomainResult<()> {
    if matches!(ctx.role(), Role::Owner | Role::Admin) { Ok(()) } else { Err(DomainError::Forbidden) }
}

/// Asking for, claiming and accepting shares is procurement's work: owners, admins, reviewers.
fn procurer(ctx: &TenantCtx) -> DomainResult<()> {
    if matches!(ctx.role(), Role::Owner | Role::Admin | Role::Reviewer) { Ok(()) } else { Err(DomainError::Forbidden) }
}

fn state(row: &shares::Model, now: DateTime<Utc>) -> ShareState {
    if row.revoked_at.is_some() {
        ShareState::Revoked
    } else if row.expires_at <= now {
        ShareState::Expired
    } else if row.recipient_organization_id.is_none() {
        ShareState::Unclaimed
    } else {
        ShareState::Active
    }
}

/// The rows as `viewer`'s organization sees them: the owner sees which assessment it shared.
async fn views(
    conn: &impl sea_orm::ConnectionTrait,
    rows: Vec<shares::Model>,
    viewer: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<Vec<Share>> {
    let parties = rows.iter().flat_map(|r| [Some(r.organization_id), r.recipient_organization_id]).flatten();
    let names = repo::Names::of(conn, parties.collect(), rows.iter().map(|r| r.template_id).collect()).await?;
    let party = |id: Uuid| names.party(id);
    rows.into_iter()
        .map(|r| {
            Ok(Share {
                id: r.id,
                kind: ShareKind::try_from(r.kind.as_str())?,
                state: state(&r, now),
                owner: party(r.organization_id),
                recipient: r.recipient_organization_id.map(party),
                recipient_domain: r.recipient_domain.clone(),
                assessment_id: r.assessment_id.filter(|_| r.organization_id == viewer),
                template_id: r.template_id,
                template_name: names.template(r.template_id),
                scope: ShareScope::try_from(r.scope.as_str())?,
                terms: r.terms,
                terms_accepted_at: r.terms_accepted_at,
                review: match (r.review_decision.as_deref(), r.reviewed_at) {
                    (Some(decision), Some(reviewed_at)) => Some(ShareReview {
                        decision: ShareReviewDecision::try_from(decision)?,
                        comment: r.review_comment.clone(),
                        reviewed_at,
                    }),
                    _ => None,
                },
                share_request_id: r.share_request_id,
                submitted_at: r.submitted_at,
                created_at: r.created_at,
                expires_at: r.expires_at,
                revoked_at: r.revoked_at,
                link_token: None,
            })
        })
        .collect()
}

async fn view(
    conn: &impl sea_orm::ConnectionTrait,
    row: shares::Model,
    viewer: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<Share> {
    views(conn, vec![row], viewer, now).await?.pop().ok_or(DomainError::NotFound("share"))
}

/// An event in the sharing organization's audit trail, by the caller (often of another
/// organization: the recipient reading what it was given).
async fn record_in_owners_trail(
    tx: &WriteTx,
    ctx: &TenantCtx,
    row: &shares::Model,
    action: &'static str,
    details: serde_json::Value,
) -> DomainResult<()> {
    record_in_owners_trails(tx, ctx, &[row], action, details).await
}

/// The same event for each of `rows`, in its owner's trail, in one statement.
async fn record_in_owners_trails(
    tx: &WriteTx,
    ctx: &TenantCtx,
    rows: &[&shares::Model],
    action: &'static str,
    details: serde_json::Value,
) -> DomainResult<()> {
    let targets = rows.iter().map(|row| (row.organization_id, row.id));
    audit::record_in_trails_of(tx, ctx, action, "share", targets, details).await
}

/// The caller's shares: those it made, those made to it (still readable), or both.
#[instrument(skip_all, fields(org = %ctx.org_id()))]
pub async fn list(
    k: &Kensa,
    ctx: &TenantCtx,
    direction: Option<ShareDirection>,
    page: &PageRequest,
) -> DomainResult<Page<Share>> {
    let (org, now) = (ctx.org_id().0, k.now());
    let outgoing = Condition::all().add(shares::Column::OrganizationId.eq(org));
    let which = match direction {
        Some(ShareDirection::Outgoing) => outgoing,
        Some(ShareDirection::Incoming) => repo::readable_by(org, now),
        None => Condition::any().add(outgoing).add(repo::readable_by(org, now)),
    };
    let rows = repo::page(&k.db, which, page).await?;
    let page_rows = Page::from_rows(rows, page.limit, |r| r.id);
    let data = views(&k.db, page_rows.data, org, now).await?;
    Ok(Page { data, next_cursor: page_rows.next_cursor })
}

/// One share, for its owner or its recipient while it can read it.
#[instrument(skip_all, fields(org = %ctx.org_id(), share = %id))]
pub async fn get(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<Share> {
    let (org, now) = (ctx.org_id().0, k.now());
    let row = match repo::owned(&k.db, org, id).await? {
        Some(row) => row,
        None => repo::readable(&k.db, org, id, now).await?.ok_or(DomainError::NotFound("share"))?,
    };
    view(&k.db, row, org, now).await
}

/// The recipient accepts the share's terms (a no-op for a share without terms, or when
/// they were already accepted). Until then its content is refused (`terms_not_accepted`).
#[instrument(skip_all, fields(org = %ctx.org_id(), share = %id))]
pub async fn accept_terms(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<Share> {
    let (org, now) = (ctx.org_id().0, k.now());
    let row = repo::readable(&k.db, org, id, now).await?.ok_or(DomainError::NotFound("share"))?;
    procurer(ctx)?;
    if row.terms.is_none() || row.terms_accepted_at.is_some() {
        return view(&k.db, row, org, now).await;
    }
    let txn = k.begin_write().await?;
    // Once: of two acceptances racing, the first is the one recorded.
    let accepted = shares::Entity::update_many()
        .col_expr(shares::Column::TermsAcceptedAt, Expr::value(txn.now()))
        .col_expr(shares::Column::TermsAcceptedBy, Expr::value(ctx.user_id().map(|u| u.0)))
        .filter(shares::Column::Id.eq(row.id))
        .filter(shares::Column::TermsAcceptedAt.is_null())
        .exec(&txn)
        .await?;
    if accepted.rows_affected == 1 {
        let details =
            json!({ "terms_sha256": crate::auth::tokens::hash_token(row.terms.as_deref().unwrap_or_default()) });
        record_in_owners_trail(&txn, ctx, &row, "share.terms_accepted", details.clone()).await?;
        audit::record_action(&txn, ctx, "share.terms_accepted", Some(("share", id.to_string())), details).await?;
    }
    txn.commit().await?;
    let row = repo::readable(&k.db, org, id, now).await?.ok_or(DomainError::NotFound("share"))?;
    view(&k.db, row, org, now).await
}

/// A user with a verified address at the share's email domain takes the share for their
/// organization. Claiming it again from the same organization changes nothing.
#[instrument(skip_all, fields(org = %ctx.org_id()))]
pub async fn claim(k: &Kensa, ctx: &TenantCtx, token: &str) -> DomainResult<Share> {
    procurer(ctx)?;
    let (org, now) = (ctx.org_id().0, k.now());
    let row = repo::by_link(&k.db, &crate::auth::tokens::hash_token(token))
        .await?
        .filter(|r| state(r, now) != ShareState::Revoked)
        .ok_or(DomainError::NotFound("share"))?;
    if row.expires_at <= now {
        return Err(DomainError::Gone { code: ErrorCode::LinkExpired, detail: "the share has expired" });
    }
    match row.recipient_organization_id {
        Some(recipient) if recipient == org => return view(&k.db, row, org, now).await,
        Some(_) => {
            return Err(DomainError::Gone {
                code: ErrorCode::LinkUsed,
                detail: "another organization claimed this share",
            });
        }
        None => {}
    }
    if row.organization_id == org {
        return Err(DomainError::Refused {
            code: ErrorCode::LinkNotAllowed,
            detail: "the share is your own organization's",
        });
    }
    let user_id = ctx.user_id().ok_or(DomainError::Forbidden)?;
    let user = crate::users::repo::find_by_id(&k.db, user_id.0).await?.ok_or(DomainError::Forbidden)?;
    if user.email_verified_at.is_none() {
        return Err(DomainError::Refused {
            code: ErrorCode::EmailUnverified,
            detail: "verify your email address first: the share is for its domain",
        });
    }
    let domain = user.email.rsplit('@').next().unwrap_or_default().to_ascii_lowercase();
    if row.recipient_domain.as_deref() != Some(domain.as_str()) {
        return Err(DomainError::Refused {
            code: ErrorCode::AddressNotAllowed,
            detail: "the share is for another email domain than your address's",
        });
    }
    let txn = k.begin_write().await?;
    // Only while still unclaimed: of two organizations claiming at once, one wins.
    let claimed = shares::Entity::update_many()
        .col_expr(shares::Column::RecipientOrganizationId, Expr::value(org))
        .filter(shares::Column::Id.eq(row.id))
        .filter(shares::Column::RecipientOrganizationId.is_null())
        .filter(shares::Column::RevokedAt.is_null())
        .filter(shares::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        return Err(DomainError::Gone {
            code: ErrorCode::LinkUsed,
            detail: "the share was claimed, revoked or expired meanwhile",
        });
    }
    record_in_owners_trail(&txn, ctx, &row, "share.claimed", json!({ "domain": domain })).await?;
    audit::record_action(&txn, ctx, "share.claimed", Some(("share", row.id.to_string())), json!({ "domain": domain }))
        .await?;
    txn.commit().await?;
    let row = repo::owned(&k.db, row.organization_id, row.id).await?.ok_or(DomainError::NotFound("share"))?;
    view(&k.db, row, org, now).await
}

/// The owner ends a share: the recipient loses it at once. Revoking again changes nothing.
/// A snapshot's evidence references go; stored files nothing else names are removed.
#[instrument(skip_all, fields(org = %ctx.org_id(), share = %id))]
pub async fn revoke(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<()> {
    let org = ctx.org_id().0;
    let row = match repo::owned(&k.db, org, id).await? {
        Some(row) => row,
        // The recipient may see it, but not end it.
        None if repo::readable(&k.db, org, id, k.now()).await?.is_some() => return Err(DomainError::Forbidden),
        None => return Err(DomainError::NotFound("share")),
    };
    sharer(ctx)?;
    if row.revoked_at.is_some() {
        return Ok(());
    }
    let txn = k.begin_write().await?;
    // Once: a second revocation racing the first changes nothing.
    let revoked = shares::Entity::update_many()
        .col_expr(shares::Column::RevokedAt, Expr::value(txn.now()))
        .filter(shares::Column::Id.eq(row.id))
        .filter(shares::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if revoked.rows_affected == 0 {
        return Ok(());
    }
    let keys = repo::drop_files(&txn, row.id).await?;
    audit::record_action(&txn, ctx, "share.revoked", Some(("share", id.to_string())), json!({})).await?;
    txn.commit().await?;
    crate::library::release(k, crate::library::Unreferenced(keys)).await;
    Ok(())
}

/// Drops the evidence references of expired shares (the recipient can no longer download
/// them) and removes the stored files nothing else names; the worker's sweep calls it.
/// Returns how many shares it released, at most 200 per call.
pub async fn release_expired(k: &Kensa, now: DateTime<Utc>) -> DomainResult<usize> {
    let ids = repo::expired_with_files(&k.db, now, 200).await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let txn = k.begin_write().await?;
    let mut keys = Vec::new();
    for id in &ids {
        keys.extend(repo::drop_files(&txn, *id).await?);
    }
    txn.commit().await?;
    crate::library::release(k, crate::library::Unreferenced(keys)).await;
    Ok(ids.len())
}

/// Whether a share refers to the stored file (evidence removal keeps such files).
pub(crate) async fn refers_to(conn: &impl sea_orm::ConnectionTrait, storage_key: &str) -> DomainResult<bool> {
    repo::refers_to(conn, storage_key).await
}
