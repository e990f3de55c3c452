//! Making a share: what, with whom, how much, until when.

use chrono::{DateTime, Months, Utc};
use sea_orm::{EntityTrait, QuerySelect};
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use super::model::{Frozen, FrozenAnswer, NewShare, Share, ShareKind, ShareRequestStatus};
use super::{repo, sharer, view};
use crate::assessments::{Side, Status, access};
use crate::entities::{organizations, share_evidence, share_requests, shares, templates};
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};
use crate::library::Line;
use crate::tenant::TenantCtx;
use crate::users::model::Validator;
use crate::{Kensa, WriteTx};

/// Longest a share may run: three years from its creation.
const LONGEST: Months = Months::new(36);
/// A share's default lifetime: the check sheet's yearly cycle.
const DEFAULT: Months = Months::new(12);
/// Shares an organization may have standing (neither revoked nor expired): snapshots keep
/// files that no longer count against its evidence quota, so their number is bounded.
const MAX_STANDING: u64 = 1_000;

/// Where the share goes, once checked.
enum Recipient {
    Organization(Uuid),
    Domain(String),
    Request(share_requests::Model),
}

/// An email domain as a share link addresses it: lower case, at least two labels of
/// letters, digits and hyphens.
fn domain(raw: &str) -> Result<String, FieldError> {
    let value = raw.trim().to_ascii_lowercase();
    let labels_ok = value.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    if value.len() <= 253 && value.contains('.') && labels_ok {
        Ok(value)
    } else {
        Err(FieldError::new("recipient_domain", ErrorCode::InvalidValue, "not an email domain (e.g. example.co.jp)"))
    }
}

/// The input's own rules, every problem listed; the expiry it gets.
fn checked(input: &NewShare, now: DateTime<Utc>) -> DomainResult<DateTime<Utc>> {
    let mut v = Validator::default();
    if input.assessment_id.is_some() == input.template_id.is_some() {
        v.check::<()>(Err(FieldError::new(
            "assessment_id",
            ErrorCode::Required,
            "give exactly one of assessment_id (a submitted assessment) and template_id (the live library)",
        )));
    }
    let recipients =
        [input.recipient_organization_id.is_some(), input.recipient_domain.is_some(), input.share_request_id.is_some()];
    if recipients.iter().filter(|r| **r).count() != 1 {
        v.check::<()>(Err(FieldError::new(
            "recipient_organization_id",
            ErrorCode::Required,
            "give exactly one of recipient_organization_id, recipient_domain and share_request_id",
        )));
    }
    if let Some(raw) = &input.recipient_domain {
        v.check(domain(raw));
    }
    if let Some(terms) = &input.terms {
        v.check(crate::text::multi_line("terms", terms, 10_000));
    }
    let longest = now.checked_add_months(LONGEST).unwrap_or(now);
    let expires_at = match input.expires_at {
        None => now.checked_add_months(DEFAULT).unwrap_or(now),
        Some(at) => {
            if v.check(crate::text::datetime("expires_at", at)).is_some() {
                if at <= now {
                    v.check::<()>(Err(FieldError::new("expires_at", ErrorCode::NotInFuture, "must be in the future")));
                } else if at > longest {
                    v.check::<()>(Err(FieldError::new(
                        "expires_at",
                        ErrorCode::OutOfRange,
                        "must be within three years",
                    )));
                }
            }
            at
        }
    };
    v.finish()?;
    Ok(expires_at)
}

/// The recipient named by the input, checked against the database.
async fn recipient(k: &Kensa, ctx: &TenantCtx, input: &NewShare, line: &Line) -> DomainResult<Recipient> {
    let org = ctx.org_id().0;
    if let Some(id) = input.recipient_organization_id {
        if id == org {
            return Err(DomainError::validation(
                "recipient_organization_id",
                ErrorCode::InvalidValue,
                "your own organization already has its answers",
            ));
        }
        if organizations::Entity::find_by_id(id).one(&k.db).await?.is_none() {
            return Err(DomainError::validation(
                "recipient_organization_id",
                ErrorCode::NotFound,
                "no such organization",
            ));
        }
        return Ok(Recipient::Organization(id));
    }
    if let Some(raw) = &input.recipient_domain {
        return Ok(Recipient::Domain(domain(raw).map_err(|e| DomainError::Validation(vec![e]))?));
    }
    let id = input.share_request_id.unwrap_or_default();
    let asked =
        repo::request_of(&k.db, org, id).await?.filter(|r| r.supplier_organization_id == org).ok_or_else(|| {
            DomainError::validation("share_request_id", ErrorCode::NotFound, "no such request to your organization")
        })?;
    if asked.status != ShareRequestStatus::Open.as_str() {
        return Err(DomainError::Conflict {
            code: ErrorCode::RequestClosed,
            detail: format!("the request is {}", asked.status),
        });
    }
    let asked_for =
        templates::Entity::find_by_id(asked.template_id).one(&k.db).await?.ok_or(DomainError::NotFound("template"))?;
    if Line::of(&asked_for) != *line {
        return Err(DomainError::validation(
            "share_request_id",
            ErrorCode::InvalidValue,
            "the request asks for the answers to another checklist",
        ));
    }
    Ok(Recipient::Request(asked))
}

/// The assessment as it is now, for a snapshot: answers, score, evidence references. The
/// row is locked and its status checked again in the transaction: a buyer asking for
/// changes meanwhile would make it editable, and what is frozen must be what was submitted.
async fn freeze(
    k: &Kensa,
    tx: &WriteTx,
    visible: &access::Visible,
    share: Uuid,
) -> DomainResult<(Frozen, crate::scoring::Score, Vec<share_evidence::Model>)> {
    let row = &crate::entities::assessments::Entity::find_by_id(visible.id())
        .lock_exclusive()
        .one(tx)
        .await?
        .ok_or(DomainError::NotFound("assessment"))?;
    shareable(Status::try_from(row.status.as_str())?)?;
    let mut answers: Vec<FrozenAnswer> =
        crate::assessments::repo::answers(tx, visible).await?.into_values().map(FrozenAnswer::from).collect();
    answers.sort_by_key(|a| a.no);
    let score = match crate::scoring::snapshot::stored(tx, row.id).await? {
        Some(score) => score,
        None => crate::scoring::snapshot::compute(k, tx, row).await?,
    };
    let files = crate::assessments::repo::evidence(tx, visible, None)
        .await?
        .data
        .into_iter()
        .map(|e| share_evidence::Model {
            share_id: share,
            evidence_id: e.id,
            item_no: e.item_no,
            file_name: e.file_name,
            content_type: e.content_type,
            size: e.size,
            sha256: e.sha256,
            storage_key: e.storage_key,
        })
        .collect();
    let frozen = Frozen { target_level: row.target_level, submitted_at: row.submitted_at, answers };
    Ok((frozen, score, files))
}

/// Only what was submitted is shared.
fn shareable(status: Status) -> DomainResult<()> {
    if matches!(status, Status::Submitted | Status::Accepted) {
        Ok(())
    } else {
        Err(DomainError::Conflict {
            code: ErrorCode::StatusNotAllowed,
            detail: "only a submitted or accepted assessment can be shared".into(),
        })
    }
}

/// A buyer's own checklist is that buyer's: its text goes only to the buyer itself. The
/// built-in sheets and the supplier's own templates may go anywhere.
fn may_pass_on(template: &templates::Model, owner: Uuid, recipient: &Recipient) -> DomainResult<()> {
    let to = match recipient {
        Recipient::Organization(id) => Some(*id),
        Recipient::Request(r) => Some(r.requester_organization_id),
        Recipient::Domain(_) => None,
    };
    match template.organization_id {
        None => Ok(()),
        Some(of) if of == owner || Some(of) == to => Ok(()),
        Some(_) => Err(DomainError::validation(
            "template_id",
            ErrorCode::NotAllowed,
            "this checklist is another organization's: only the built-in sheet, your own checklists or the recipient's can be shared",
        )),
    }
}

/// Shares a submitted assessment (frozen now) or the live library of a template line.
#[instrument(skip_all, fields(org = %ctx.org_id()))]
pub async fn create(k: &Kensa, ctx: &TenantCtx, input: NewShare) -> DomainResult<Share> {
    sharer(ctx)?;
    let now = k.now();
    let expires_at = checked(&input, now)?;
    let (visible, template) = match input.assessment_id {
        Some(id) => {
            let visible = access::load(&k.db, ctx, id).await.map_err(|e| match e {
                DomainError::NotFound(_) => {
                    DomainError::validation("assessment_id", ErrorCode::NotFound, "no such assessment")
                }
                other => other,
            })?;
            if visible.side() != Side::Supplier {
                // The buyer's copy of a supplier's answers is not the buyer's to pass on.
                return Err(DomainError::Forbidden);
            }
            shareable(visible.status()?)?;
            let template = templates::Entity::find_by_id(visible.row().template_id)
                .one(&k.db)
                .await?
                .ok_or(DomainError::NotFound("template"))?;
            (Some(visible), template)
        }
        None => {
            let wanted = input.template_id.unwrap_or_default();
            let unknown = || DomainError::validation("template_id", ErrorCode::NotFound, "no such template");
            let template = match crate::library::template_for(k, ctx, wanted).await {
                Ok(template) => template,
                // A reply may name the requester's checklist as the request does: the library
                // is kept by line, so any version of it the caller was sent will do.
                Err(DomainError::NotFound(_)) => match input.share_request_id {
                    Some(request) => {
                        crate::library::version_for_request(k, ctx, request, wanted).await?.ok_or_else(unknown)?
                    }
                    None => return Err(unknown()),
                },
                Err(other) => return Err(other),
            };
            (None, template)
        }
    };
    let line = Line::of(&template);
    let recipient = recipient(k, ctx, &input, &line).await?;
    may_pass_on(&template, ctx.org_id().0, &recipient)?;
    if repo::standing(&k.db, ctx.org_id().0, now).await? >= MAX_STANDING {
        return Err(DomainError::Unprocessable {
            code: ErrorCode::TooMany,
            detail: format!(
                "an organization may have at most {MAX_STANDING} shares that are neither revoked nor expired"
            ),
            errors: Vec::new(),
        });
    }
    let id = Uuid::now_v7();
    let link_token = matches!(recipient, Recipient::Domain(_)).then(crate::auth::tokens::random_token);
    let txn = k.begin_write().await?;
    let (content, score, files, submitted_at) = match &visible {
        Some(visible) => {
            let (frozen, score, files) = freeze(k, &txn, visible, id).await?;
            let submitted_at = frozen.submitted_at;
            (
                Some(serde_json::to_value(frozen).map_err(DomainError::internal)?),
                Some(serde_json::to_value(score).map_err(DomainError::internal)?),
                files,
                submitted_at,
            )
        }
        None => (None, None, Vec::new(), None),
    };
    let (recipient_organization_id, recipient_domain, request) = match recipient {
        Recipient::Organization(id) => (Some(id), None, None),
        Recipient::Domain(d) => (None, Some(d), None),
        Recipient::Request(r) => (Some(r.requester_organization_id), None, Some(r)),
    };
    let row = shares::Model {
        id,
        organization_id: ctx.org_id().0,
        kind: if visible.is_some() { ShareKind::Snapshot } else { ShareKind::Live }.as_str().to_owned(),
        assessment_id: visible.as_ref().map(|v| v.id()),
        template_id: template.id,
        line_owner_key: line.owner_key.clone(),
        line_key: line.key.clone(),
        recipient_organization_id,
        recipient_domain,
        link_hash: link_token.as_deref().map(crate::auth::tokens::hash_token),
        share_request_id: request.as_ref().map(|r| r.id),
        scope: input.scope.as_str().to_owned(),
        terms: crate::assessments::answers::trimmed(input.terms),
        terms_accepted_at: None,
        terms_accepted_by: None,
        review_decision: None,
        review_comment: None,
        reviewed_at: None,
        reviewed_by: None,
        submitted_at,
        content,
        score,
        created_by: ctx.user_id().map(|u| u.0),
        created_at: now,
        expires_at,
        revoked_at: None,
        mailed_at: None,
    };
    shares::Entity::insert(shares::ActiveModel::from(row.clone())).exec_without_returning(&txn).await?;
    for chunk in files.chunks(300) {
        share_evidence::Entity::insert_many(chunk.iter().cloned().map(share_evidence::ActiveModel::from))
            .exec_without_returning(&txn)
            .await?;
    }
    if let Some(asked) = request {
        // Only while still open: of a fulfilment and a decline (or two fulfilments) racing,
        // one wins and the other is refused.
        if !super::requests::close_if_open(&txn, asked.id, ShareRequestStatus::Fulfilled, Some(id)).await? {
            return Err(DomainError::Conflict {
                code: ErrorCode::RequestClosed,
                detail: "the request was closed meanwhile".into(),
            });
        }
    }
    crate::notifications::sharing::queue_share(&txn, &row).await?;
    let details = json!({
        "kind": row.kind, "scope": row.scope, "recipient_organization_id": row.recipient_organization_id,
        "recipient_domain": row.recipient_domain, "expires_at": row.expires_at,
    });
    crate::audit::record_action(&txn, ctx, "share.created", Some(("share", id.to_string())), details).await?;
    txn.commit().await?;
    k.wake_worker();
    let mut share = view(&k.db, row, ctx.org_id().0, now).await?;
    share.link_token = link_token;
    Ok(share)
}
