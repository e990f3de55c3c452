//! Evidence files: recorded in the database (name, type, size, SHA-256, uploader), stored
//! in an [`EvidenceStore`](super::evidence_store::EvidenceStore) so that replicas can share
//! object storage. The local directory is the default.

use crate::error::ErrorCode;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use super::evidence_names;
use super::evidence_store::StoredFile;
use super::history::{self, NewEvent};
use super::model::HistoryKind;
use super::staging::Staged;
use super::{access, repo};
use crate::Kensa;
use crate::entities::evidence;
use crate::error::{DomainError, DomainResult, FieldError};
use crate::pagination::{Page, PageRequest};
use crate::precondition::IfMatch;
use crate::tenant::TenantCtx;

pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
pub const MAX_ASSESSMENT_BYTES: i64 = 500 * 1024 * 1024;

/// What bounds uploads in this process and per organization.
pub struct UploadLimits {
    /// Where files wait (under the data directory) while they are received and checked.
    pub staging_dir: PathBuf,
    /// Uploads received at once; more answer 503 with `Retry-After` (`KENSA_MAX_CONCURRENT_UPLOADS`).
    slots: Arc<tokio::sync::Semaphore>,
    /// Downloads served at once (as many as uploads): each holds a connection to the store
    /// (and a chunk of its file) until the last byte is sent.
    downloads: Arc<tokio::sync::Semaphore>,
    /// Evidence an organization may hold, as the answering supplier (`KENSA_ORG_STORAGE_QUOTA_MB`).
    pub org_quota_bytes: i64,
    /// Uploads (and downloads) one process serves at once.
    pub concurrent: usize,
}

impl UploadLimits {
    pub fn new(staging_dir: PathBuf, concurrent: usize, org_quota_mb: u64) -> Self {
        Self {
            staging_dir,
            slots: Arc::new(tokio::sync::Semaphore::new(concurrent)),
            downloads: Arc::new(tokio::sync::Semaphore::new(concurrent)),
            org_quota_bytes: i64::try_from(org_quota_mb.saturating_mul(1024 * 1024)).unwrap_or(i64::MAX),
            concurrent,
        }
    }

    /// Upload slots free right now.
    pub fn uploads_available(&self) -> usize {
        self.slots.available_permits()
    }
}

/// One of the process's upload slots, held while a file is received and stored.
pub struct UploadSlot(#[allow(dead_code)] tokio::sync::OwnedSemaphorePermit);

/// One of the process's download slots: keep it until the file has been sent.
pub struct DownloadSlot(#[allow(dead_code)] tokio::sync::OwnedSemaphorePermit);

/// Before a byte of the body is read: the caller may add evidence to this assessment now,
/// and a slot is free. Non-answerers and locked assessments are refused without reading
/// the upload; a full house answers 503 with `Retry-After`.
pub async fn admit(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<UploadSlot> {
    let slot = slot(k)?;
    let visible = access::load(&k.db, ctx, id).await?;
    visible.answerer()?;
    visible.status()?.ensure_editable()?;
    Ok(slot)
}

/// Only an upload slot, for a retry with an `Idempotency-Key` already used: its body is read
/// to compare it with the first, whose checks were made when it ran.
pub fn slot(k: &Kensa) -> DomainResult<UploadSlot> {
    k.uploads.slots.clone().try_acquire_owned().map(UploadSlot).map_err(|_| DomainError::Overloaded {
        code: ErrorCode::UploadsBusy,
        detail: "too many uploads are in progress; retry shortly",
        retry_after_secs: 5,
    })
}

// `Deserialize`: GraphQL replays a stored result for a repeated `idempotencyKey`.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Evidence {
    pub id: Uuid,
    pub item_no: Option<i32>,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// Names are sanitised on the way out too: rows stored before the rules still read clean.
fn view(r: evidence::Model) -> Evidence {
    Evidence {
        id: r.id,
        item_no: r.item_no,
        file_name: evidence_names::sanitise(&r.file_name, &r.content_type),
        content_type: r.content_type,
        size: r.size,
        sha256: r.sha256,
        uploaded_by: r.uploaded_by,
        created_at: r.created_at,
    }
}

/// Accepted types and how their bytes begin; text types must be UTF-8.
const ALLOWED: &[(&str, &[&[u8]])] = &[
    ("application/pdf", &[b"%PDF-"]),
    ("image/png", &[b"\x89PNG\r\n\x1a\n"]),
    ("image/jpeg", &[b"\xFF\xD8\xFF"]),
    ("image/gif", &[b"GIF87a", b"GIF89a"]),
    ("application/zip", &[b"PK\x03\x04"]),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", &[b"PK\x03\x04"]),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &[b"PK\x03\x04"]),
    ("application/vnd.openxmlformats-officedocument.presentationml.presentation", &[b"PK\x03\x04"]),
    ("text/plain", &[]),
    ("text/csv", &[]),
];

/// The types a file may be stored (and so downloaded) with.
pub fn accepted_types() -> impl Iterator<Item = &'static str> {
    ALLOWED.iter().map(|(t, _)| *t)
}

/// Checks the declared type against the bytes: a PDF must start like one (`head` is the
/// file's first bytes), a text must be UTF-8 throughout (`utf8`).
pub fn check_content(declared: &str, head: &[u8], utf8: bool) -> Result<String, FieldError> {
    let declared = declared.split(';').next().unwrap_or_default().trim().to_lowercase();
    let Some((kind, magic)) = ALLOWED.iter().find(|(t, _)| *t == declared) else {
        let allowed: Vec<&str> = ALLOWED.iter().map(|(t, _)| *t).collect();
        return Err(FieldError::new(
            "file",
            ErrorCode::UnsupportedType,
            format!("content type {declared:?} is not accepted; use one of {}", allowed.join(", ")),
        ));
    };
    let matches = if magic.is_empty() { utf8 } else { magic.iter().any(|m| head.starts_with(m)) };
    if matches {
        Ok((*kind).to_owned())
    } else {
        Err(FieldError::new("file", ErrorCode::ContentMismatch, format!("the file's bytes are not {kind}")))
    }
}

pub struct Upload {
    pub file_name: String,
    pub content_type: String,
    pub file: Staged,
    pub item_no: Option<u32>,
}

/// Stores the file and records it; returns it with the assessment's new version. With
/// `If-Match`, only while the assessment is at that version.
#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id, bytes = upload.file.size))]
pub async fn upload(
    k: &Kensa,
    ctx: &TenantCtx,
    id: Uuid,
    upload: Upload,
    if_match: impl Into<IfMatch>,
) -> DomainResult<(Evidence, i32)> {
    let if_match = if_match.into();
    let visible = access::load(&k.db, ctx, id).await?;
    visible.answerer()?;
    if_match.check(k.require_if_match, visible.row().version)?;
    visible.status()?.ensure_editable()?;
    let mut errors = Vec::new();
    let file = &upload.file;
    let content_type = check_content(&upload.content_type, &file.head, file.utf8).map_err(|e| errors.push(e)).ok();
    if file.size == 0 {
        errors.push(FieldError::new("file", ErrorCode::Empty, "the file is empty"));
    }
    if let Some(no) = upload.item_no {
        let template = k.template_contents.load(&k.db, visible.row().template_id).await?;
        if !super::service::scope(&template.0, visible.row().target_level).contains(&no) {
            errors.push(FieldError::new(
                "item_no",
                ErrorCode::ItemNotInScope,
                format!("No.{no} is not in this assessment"),
            ));
        }
    }
    let Some(content_type) = content_type.filter(|_| errors.is_empty()) else {
        return Err(DomainError::Validation(errors));
    };
    let size = i64::try_from(file.size).map_err(DomainError::internal)?;
    let evidence_id = Uuid::now_v7();
    let row = evidence::Model {
        id: evidence_id,
        assessment_id: id,
        item_no: upload.item_no.map(|n| i32::try_from(n).unwrap_or_default()),
        file_name: evidence_names::sanitise(&upload.file_name, &content_type),
        content_type,
        size,
        sha256: file.sha256.clone(),
        storage_key: format!("{id}/{evidence_id}"),
        uploaded_by: ctx.user_id().map(|u| u.0),
        created_at: k.now(),
    };
    // Files count against the organization that uploads them (the supplier answering), not
    // the buyer too: one supplier could otherwise spend a buyer's quota for all the others.
    // Refuse early when the quotas are already spent (checked again in the transaction).
    check_quotas(k, &k.db, ctx, &visible, size).await?;
    // The file first: a row without its file would be worse than a file without its row.
    k.evidence_store.put(&row.storage_key, file).await?;
    let stored = record_upload(k, ctx, &visible, &row, if_match).await;
    if stored.is_err() {
        let _ = k.evidence_store.delete(&row.storage_key).await;
    }
    stored.map(|version| (view(row), version))
}

/// The assessment's 500 MiB and the uploading organization's quota: 409
/// `evidence_quota_exceeded` or `storage_quota_exceeded`.
async fn check_quotas(
    k: &Kensa,
    conn: &impl sea_orm::ConnectionTrait,
    ctx: &TenantCtx,
    visible: &access::Visible,
    size: i64,
) -> DomainResult<()> {
    if repo::evidence_bytes(conn, visible).await? + size > MAX_ASSESSMENT_BYTES {
        return Err(DomainError::conflict(
            ErrorCode::EvidenceQuotaExceeded,
            "an assessment holds at most 500 MiB of evidence",
        ));
    }
    let quota = k.uploads.org_quota_bytes;
    if repo::organization_evidence_bytes(conn, ctx).await? + size > quota {
        return Err(DomainError::conflict(
            ErrorCode::StorageQuotaExceeded,
            format!("your organization has used its evidence storage quota of {} MiB", quota / (1024 * 1024)),
        ));
    }
    Ok(())
}

/// The row, the quota checks and the version bump, in one write transaction. (On PostgreSQL,
/// uploads racing into different assessments may overshoot an organization's quota by at
/// most the files in flight: `KENSA_MAX_CONCURRENT_UPLOADS` × 20 MiB per replica.)
async fn record_upload(
    k: &Kensa,
    ctx: &TenantCtx,
    visible: &access::Visible,
    row: &evidence::Model,
    if_match: IfMatch,
) -> DomainResult<i32> {
    let answerer = visible.answerer()?;
    let txn = k.begin_write().await?;
    let version = repo::touch_editable(&txn, ctx, answerer, if_match).await?;
    check_quotas(k, &txn, ctx, visible, row.size).await?;
    repo::insert_evidence(&txn, answerer, row).await?;
    history::record(
        &txn,
        vec![history::row(
            ctx,
            txn.now(),
            NewEvent {
                assessment_id: visible.id(),
                kind: HistoryKind::EvidenceAdded,
                item_no: row.item_no,
                old_value: None,
                new_value: Some(json!({ "evidence_id": row.id, "file_name": row.file_name, "sha256": row.sha256 })),
            },
        )],
    )
    .await?;
    txn.commit().await?;
    Ok(version)
}

pub async fn list(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<Vec<Evidence>> {
    let visible = access::load(&k.db, ctx, id).await?;
    Ok(repo::evidence(&k.db, &visible, None).await?.data.into_iter().map(view).collect())
}

/// The same a page at a time, oldest first (REST).
pub async fn list_page(k: &Kensa, ctx: &TenantCtx, id: Uuid, page: &PageRequest) -> DomainResult<Page<Evidence>> {
    let visible = access::load(&k.db, ctx, id).await?;
    Ok(repo::evidence(&k.db, &visible, Some(page)).await?.map(view))
}

async fn find(
    k: &Kensa,
    ctx: &TenantCtx,
    id: Uuid,
    evidence_id: Uuid,
) -> DomainResult<(access::Visible, evidence::Model)> {
    let visible = access::load(&k.db, ctx, id).await?;
    let row = repo::evidence_file(&k.db, &visible, evidence_id).await?;
    Ok((visible, row))
}

/// The file is streamed from the store: the caller sends it while holding the slot.
pub async fn download(
    k: &Kensa,
    ctx: &TenantCtx,
    id: Uuid,
    evidence_id: Uuid,
) -> DomainResult<(Evidence, StoredFile, DownloadSlot)> {
    let (_, row) = find(k, ctx, id, evidence_id).await?;
    let slot = download_slot(k)?;
    let file = k.evidence_store.get(&row.storage_key).await?;
    Ok((view(row), file, slot))
}

/// One of the process's download slots (every stored-file download holds one), or 503.
pub(crate) fn download_slot(k: &Kensa) -> DomainResult<DownloadSlot> {
    let slot = k.uploads.downloads.clone().try_acquire_owned().map_err(|_| DomainError::Overloaded {
        code: ErrorCode::DownloadsBusy,
        detail: "too many downloads are in progress; retry shortly",
        retry_after_secs: 2,
    })?;
    Ok(DownloadSlot(slot))
}

/// Removes a file while answers are editable; returns the assessment's new version. With
/// `If-Match`, only while the assessment is at that version.
#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn delete(
    k: &Kensa,
    ctx: &TenantCtx,
    id: Uuid,
    evidence_id: Uuid,
    if_match: impl Into<IfMatch>,
) -> DomainResult<i32> {
    let if_match = if_match.into();
    let (visible, row) = find(k, ctx, id, evidence_id).await?;
    let answerer = visible.answerer()?;
    if_match.check(k.require_if_match, visible.row().version)?;
    visible.status()?.ensure_editable()?;
    let txn = k.begin_write().await?;
    let version = repo::touch_editable(&txn, ctx, answerer, if_match).await?;
    repo::delete_evidence(&txn, answerer, &row).await?;
    history::record(
        &txn,
        vec![history::row(
            ctx,
            txn.now(),
            NewEvent {
                assessment_id: id,
                kind: HistoryKind::EvidenceDeleted,
                item_no: row.item_no,
                old_value: Some(json!({ "evidence_id": row.id, "file_name": row.file_name })),
                new_value: None,
            },
        )],
    )
    .await?;
    // A review carries last year's evidence over by reference: the file goes only with
    // the last row that names it.
    let shared = repo::storage_key_in_use(&txn, &row.storage_key).await?;
    txn.commit().await?;
    if !shared {
        k.evidence_store.delete(&row.storage_key).await?;
    }
    Ok(version)
}
