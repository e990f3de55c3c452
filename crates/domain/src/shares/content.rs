//! What the recipient of a share reads and downloads; each read is in the owner's trail.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use super::model::{Frozen, FrozenAnswer, ShareKind, ShareScope, SharedAssessment, SharedFile};
use super::{record_in_owners_trail, repo, view};
use crate::Kensa;
use crate::assessments::evidence::DownloadSlot;
use crate::assessments::evidence_store::StoredFile;
use crate::entities::{answers, shares};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::library::Line;
use crate::scoring::{Score, ScoringPlan, score};
use crate::templates::AnswerStatus;
use crate::tenant::TenantCtx;

/// A live profile shows every level of the checklist.
const LIVE_TARGET_LEVEL: u8 = 3;

/// The share the caller's organization may read now: addressed to it, neither revoked nor
/// expired, its terms accepted.
async fn readable(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<shares::Model> {
    let row = repo::readable(&k.db, ctx.org_id().0, id, k.now()).await?.ok_or(DomainError::NotFound("share"))?;
    if row.terms.is_some() && row.terms_accepted_at.is_none() {
        return Err(DomainError::Conflict {
            code: ErrorCode::TermsNotAccepted,
            detail: "accept the share's terms first (POST /api/v1/shares/{id}/accept-terms)".into(),
        });
    }
    Ok(row)
}

fn line(row: &shares::Model) -> Line {
    Line { owner_key: row.line_owner_key.clone(), key: row.line_key.clone() }
}

/// An answer as the assessment's answer row (the question view reads those), with no
/// answering user: the recipient learns what was answered, not by whom.
fn as_answer(assessment_id: Uuid, a: FrozenAnswer) -> answers::Model {
    answers::Model {
        assessment_id,
        item_no: a.no,
        status: a.status,
        comment: a.comment,
        reason: a.reason,
        remediation_plan: a.remediation_plan,
        remediation_due: a.remediation_due,
        answered_by: None,
        carried_over: false,
        remediation_done_at: None,
        remediation_note: None,
        remediation_followed_up_on: None,
        created_at: a.updated_at,
        updated_at: a.updated_at,
    }
}

/// The shared answers by item number, and the target level they are shown up to.
async fn shared_answers(k: &Kensa, row: &shares::Model) -> DomainResult<(HashMap<i32, answers::Model>, u8)> {
    match ShareKind::try_from(row.kind.as_str())? {
        ShareKind::Snapshot => {
            let frozen: Frozen = serde_json::from_value(row.content.clone().unwrap_or_default())
                .map_err(|e| DomainError::Internal(format!("share {} content: {e}", row.id)))?;
            let answers = frozen.answers.into_iter().map(|a| (a.no, as_answer(row.id, a))).collect();
            Ok((answers, u8::try_from(frozen.target_level).map_err(DomainError::internal)?))
        }
        ShareKind::Live => {
            let rows = crate::library::repo::answers(&k.db, row.organization_id, &line(row)).await?;
            let answers = rows.into_iter().map(|a| (a.item_no, as_answer(row.id, FrozenAnswer::from(a)))).collect();
            Ok((answers, LIVE_TARGET_LEVEL))
        }
    }
}

fn file_view(id: Uuid, item_no: Option<i32>, f: (&str, &str, i64, &str)) -> SharedFile {
    SharedFile {
        id,
        item_no: item_no.and_then(|n| u32::try_from(n).ok()),
        file_name: f.0.to_owned(),
        content_type: f.1.to_owned(),
        size: f.2,
        sha256: f.3.to_owned(),
    }
}

/// The level the share shows items up to: a snapshot's target level, every level of a live
/// profile (read without the answers, for a download).
fn target_of(row: &shares::Model) -> DomainResult<u8> {
    #[derive(serde::Deserialize)]
    struct Target {
        target_level: i32,
    }
    match ShareKind::try_from(row.kind.as_str())? {
        ShareKind::Live => Ok(LIVE_TARGET_LEVEL),
        ShareKind::Snapshot => {
            let t: Target = serde_json::from_value(row.content.clone().unwrap_or_default())
                .map_err(|e| DomainError::Internal(format!("share {} content: {e}", row.id)))?;
            u8::try_from(t.target_level).map_err(DomainError::internal)
        }
    }
}

/// The shared files with their storage keys: those of the whole assessment and of items the
/// share shows (not of items above its level, whose answers it does not show either).
async fn files(k: &Kensa, row: &shares::Model, target_level: u8) -> DomainResult<Vec<(SharedFile, String)>> {
    let parsed = k.template_contents.load(&k.db, row.template_id).await?;
    let in_scope = crate::assessments::service::scope(&parsed.0, i32::from(target_level));
    let shown = |f: &SharedFile| f.item_no.is_none_or(|no| in_scope.contains(&no));
    Ok(files_of(k, row).await?.into_iter().filter(|(f, _)| shown(f)).collect())
}

async fn files_of(k: &Kensa, row: &shares::Model) -> DomainResult<Vec<(SharedFile, String)>> {
    Ok(match ShareKind::try_from(row.kind.as_str())? {
        ShareKind::Snapshot => repo::snapshot_files(&k.db, row.id)
            .await?
            .into_iter()
            .map(|f| {
                let view = file_view(f.evidence_id, f.item_no, (&f.file_name, &f.content_type, f.size, &f.sha256));
                (view, f.storage_key)
            })
            .collect(),
        ShareKind::Live => crate::library::repo::files(&k.db, row.organization_id, &line(row))
            .await?
            .into_iter()
            .map(|f| {
                let view = file_view(f.id, Some(f.item_no), (&f.file_name, &f.content_type, f.size, &f.sha256));
                (view, f.storage_key)
            })
            .collect(),
    })
}

/// The share's score: a snapshot's as stored when shared, a live profile's from the
/// library's answers now.
fn stored_score(row: &shares::Model, stored: &serde_json::Value) -> DomainResult<Score> {
    Score::deserialize(stored).map_err(|e| DomainError::Internal(format!("share {} score: {e}", row.id)))
}

fn score_of(
    row: &shares::Model,
    parsed: &crate::templates::repo::Parsed,
    answers: &HashMap<i32, answers::Model>,
    target_level: u8,
) -> DomainResult<Score> {
    if let (Some(stored), ShareKind::Snapshot) = (&row.score, ShareKind::try_from(row.kind.as_str())?) {
        return stored_score(row, stored);
    }
    let mut given = Vec::with_capacity(answers.len());
    for a in answers.values() {
        given.push((
            u32::try_from(a.item_no).map_err(DomainError::internal)?,
            AnswerStatus::try_from(a.status.as_str())?,
        ));
    }
    Ok(score(&ScoringPlan::new(&parsed.0, &parsed.1), target_level, given))
}

/// The score the recipient may see now: `None` while the share's terms are not accepted.
pub(super) async fn current_score(k: &Kensa, row: &shares::Model) -> DomainResult<Option<Score>> {
    if row.terms.is_some() && row.terms_accepted_at.is_none() {
        return Ok(None);
    }
    // A snapshot's score was stored when it was shared: its 153 frozen answers need not be
    // parsed for it (a page of the shared comparison reads one score per row).
    if let (Some(stored), ShareKind::Snapshot) = (&row.score, ShareKind::try_from(row.kind.as_str())?) {
        return stored_score(row, stored).map(Some);
    }
    // A snapshot without a stored score, listed without its content (`repo::page`): read it.
    let full;
    let row = if row.content.is_none() && row.kind == ShareKind::Snapshot.as_str() {
        full = <shares::Entity as sea_orm::EntityTrait>::find_by_id(row.id)
            .one(&k.db)
            .await?
            .ok_or(DomainError::NotFound("share"))?;
        &full
    } else {
        row
    };
    let parsed = k.template_contents.load(&k.db, row.template_id).await?;
    let (answers, target_level) = shared_answers(k, row).await?;
    score_of(row, &parsed, &answers, target_level).map(Some)
}

/// Which part of a share a read asks for: the sub-routes of `GET /api/v1/shares/{id}/assessment`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SharedPart {
    Whole,
    Score,
    /// Not in the `scores` scope (404).
    Questions,
    /// Only in the `answers_and_evidence` scope (404 otherwise).
    Evidence,
}

impl SharedPart {
    fn as_str(self) -> &'static str {
        match self {
            SharedPart::Whole => "whole",
            SharedPart::Score => "score",
            SharedPart::Questions => "questions",
            SharedPart::Evidence => "evidence",
        }
    }
}

/// What the recipient may read of the share, as its scope allows. Recorded in the owner's
/// audit trail (`share.viewed`).
pub async fn read(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<SharedAssessment> {
    read_part(k, ctx, id, SharedPart::Whole).await
}

/// [`read`] for one part; a part the scope does not include is not found. Recorded in the
/// owner's audit trail with the part.
#[instrument(skip_all, fields(org = %ctx.org_id(), share = %id, part = part.as_str()))]
pub async fn read_part(k: &Kensa, ctx: &TenantCtx, id: Uuid, part: SharedPart) -> DomainResult<SharedAssessment> {
    let row = readable(k, ctx, id).await?;
    let scope = ShareScope::try_from(row.scope.as_str())?;
    match part {
        SharedPart::Questions if !scope.answers() => return Err(DomainError::NotFound("questions")),
        SharedPart::Evidence if !scope.evidence() => return Err(DomainError::NotFound("evidence")),
        _ => {}
    }
    let parsed = k.template_contents.load(&k.db, row.template_id).await?;
    let (answers, target_level) = shared_answers(k, &row).await?;
    let score = score_of(&row, &parsed, &answers, target_level)?;
    let questions = if scope.answers() {
        let references = crate::crosswalk::references_for(k, row.template_id).await?;
        let mut out = Vec::new();
        for (category, section, item) in parsed.0.items() {
            if item.level <= target_level {
                out.push(crate::assessments::service::question(category, section, item, &answers, &references)?);
            }
        }
        Some(out)
    } else {
        None
    };
    let evidence = if scope.evidence() {
        Some(files(k, &row, target_level).await?.into_iter().map(|f| f.0).collect())
    } else {
        None
    };
    let txn = k.begin_write().await?;
    let details = json!({ "scope": row.scope, "part": part.as_str() });
    record_in_owners_trail(&txn, ctx, &row, "share.viewed", details).await?;
    txn.commit().await?;
    let share = view(&k.db, row, ctx.org_id().0, k.now()).await?;
    Ok(SharedAssessment { share, target_level, score, questions, evidence })
}

/// One shared evidence file, streamed from the store while the slot is held. Recorded in
/// the owner's audit trail (`share.evidence_downloaded`).
#[instrument(skip_all, fields(org = %ctx.org_id(), share = %id))]
pub async fn download(
    k: &Kensa,
    ctx: &TenantCtx,
    id: Uuid,
    file_id: Uuid,
) -> DomainResult<(SharedFile, StoredFile, DownloadSlot)> {
    let row = readable(k, ctx, id).await?;
    if !ShareScope::try_from(row.scope.as_str())?.evidence() {
        return Err(DomainError::NotFound("evidence"));
    }
    let (file, storage_key) = files(k, &row, target_of(&row)?)
        .await?
        .into_iter()
        .find(|(f, _)| f.id == file_id)
        .ok_or(DomainError::NotFound("evidence"))?;
    let slot = crate::assessments::evidence::download_slot(k)?;
    let stored = k.evidence_store.get(&storage_key).await?;
    let txn = k.begin_write().await?;
    let details = json!({ "evidence_id": file.id, "file_name": file.file_name, "sha256": file.sha256 });
    record_in_owners_trail(&txn, ctx, &row, "share.evidence_downloaded", details).await?;
    txn.commit().await?;
    Ok((file, stored, slot))
}
