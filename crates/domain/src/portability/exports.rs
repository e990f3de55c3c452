//! Owners ask for their organization's archive; the worker writes it beside the evidence; a
//! single-use link that expires downloads it.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr};
use serde::Serialize;
use uuid::Uuid;

use super::Manifest;
use crate::auth::tokens::{hash_token, random_token};
use crate::entities::organization_exports::{self, Column, Entity};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::ids::UserId;
use crate::jobs::{self, Job};
use crate::tenant::{Role, TenantCtx};

/// How long an archive is kept once written.
pub const KEPT_FOR: Duration = Duration::days(7);
/// How long a download link works (once).
pub const LINK_LIFETIME: Duration = Duration::minutes(15);
/// Exports listed at most.
const LISTED: u64 = 20;
const NOT_FOUND: DomainError = DomainError::NotFound("export");

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExportStatus {
    /// Waiting for a worker.
    Queued,
    /// Being written (`progress` tells how far).
    Running,
    /// Written: ask for a download link.
    Ready,
    /// Writing failed (`error`); the worker tries again.
    Failed,
    /// Deleted after 7 days.
    Expired,
}

impl ExportStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Ready => "ready",
            Self::Failed => "failed",
            Self::Expired => "expired",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "running" => Self::Running,
            "ready" => Self::Ready,
            "failed" => Self::Failed,
            "expired" => Self::Expired,
            _ => Self::Queued,
        }
    }
}

/// An export as its owners see it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganizationExport {
    pub id: Uuid,
    pub status: ExportStatus,
    /// Percent of the tables written.
    pub progress: i32,
    /// Rows per table, once ready.
    pub rows: Option<BTreeMap<String, u64>>,
    /// Evidence files in the archive, once ready.
    pub evidence_files: Option<u64>,
    /// The archive's size in bytes and SHA-256, once ready.
    pub size: Option<i64>,
    pub sha256: Option<String>,
    pub error: Option<String>,
    pub requested_by: Option<Uuid>,
    /// The one person whose data the archive holds (`POST /api/v1/users/{id}/export`); null:
    /// the whole organization.
    pub subject_user_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// When the archive is deleted.
    pub expires_at: DateTime<Utc>,
    /// When a link last downloaded it.
    pub downloaded_at: Option<DateTime<Utc>>,
}

impl From<organization_exports::Model> for OrganizationExport {
    fn from(m: organization_exports::Model) -> Self {
        let manifest = m.manifest.and_then(|v| serde_json::from_value::<Manifest>(v).ok());
        Self {
            id: m.id,
            status: ExportStatus::parse(&m.status),
            progress: m.progress,
            rows: manifest.as_ref().map(|m| m.tables.iter().map(|(t, p)| (t.clone(), p.rows)).collect()),
            evidence_files: manifest.as_ref().map(|m| m.evidence.len() as u64),
            size: m.size,
            sha256: m.sha256,
            error: m.error,
            requested_by: m.requested_by,
            subject_user_id: m.subject_user_id,
            created_at: m.created_at,
            expires_at: m.expires_at,
            downloaded_at: m.downloaded_at,
        }
    }
}

/// A single-use download link.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportLink {
    /// `GET` it, without credentials, once, before `expires_at`.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

fn owner(ctx: &TenantCtx) -> DomainResult<()> {
    if ctx.role() == Role::Owner { Ok(()) } else { Err(DomainError::Forbidden) }
}

/// Queues an export of the caller's organization (owners). One at a time.
pub async fn start(k: &crate::Kensa, ctx: &TenantCtx) -> DomainResult<OrganizationExport> {
    owner(ctx)?;
    queue(k, ctx, None).await
}

/// Queues an archive of what names one person of the caller's organization (a personal-data
/// request): owners for anyone, anyone for themselves. One export at a time per organization.
pub async fn start_for_person(k: &crate::Kensa, ctx: &TenantCtx, subject: UserId) -> DomainResult<OrganizationExport> {
    crate::users::repo::find_in_org(&k.db, ctx, subject).await?.ok_or(DomainError::NotFound("user"))?;
    if ctx.role() != Role::Owner && ctx.user_id() != Some(subject) {
        return Err(DomainError::Forbidden);
    }
    queue(k, ctx, Some(subject.0)).await
}

async fn queue(k: &crate::Kensa, ctx: &TenantCtx, subject: Option<Uuid>) -> DomainResult<OrganizationExport> {
    let org = ctx.org_id().0;
    let tx = k.begin_write().await?;
    // Serialises requests per organization on PostgreSQL (SQLite has one writer).
    crate::entities::organizations::Entity::find_by_id(org).lock(super::ORGANIZATION_LOCK).one(&tx).await?;
    // An archive written while the worker erases would outlive the erasure.
    if super::erasure::erasing(&tx, org).await? {
        return Err(DomainError::conflict(
            ErrorCode::ErasureStarted,
            "the organization, or one of its people, is being erased; try again when it is done",
        ));
    }
    // One archive of the organization at a time; one of each person at a time, which asking
    // again gives back.
    let subject_is = match subject {
        Some(user) => Column::SubjectUserId.eq(user),
        None => Column::SubjectUserId.is_null(),
    };
    let busy = Entity::find()
        .filter(Column::OrganizationId.eq(org))
        .filter(subject_is)
        .filter(Column::Status.is_in([ExportStatus::Queued.as_str(), ExportStatus::Running.as_str()]))
        .one(&tx)
        .await?;
    if let Some(busy) = busy.as_ref().filter(|_| subject.is_some()) {
        return Ok(busy.clone().into());
    }
    if let Some(busy) = busy {
        return Err(DomainError::conflict(
            ErrorCode::ExportRunning,
            format!("export {} is not finished yet; wait for it", busy.id),
        ));
    }
    let now = tx.now();
    let row = organization_exports::Model {
        id: Uuid::now_v7(),
        organization_id: org,
        requested_by: ctx.user_id().map(|u| u.0),
        subject_user_id: subject,
        status: ExportStatus::Queued.as_str().into(),
        progress: 0,
        manifest: None,
        size: None,
        sha256: None,
        storage_key: None,
        error: None,
        link_hash: None,
        link_expires_at: None,
        downloaded_at: None,
        created_at: now,
        updated_at: now,
        expires_at: now + KEPT_FOR,
    };
    Entity::insert(organization_exports::ActiveModel::from(row.clone())).exec_without_returning(&tx).await?;
    jobs::enqueue(&tx, &Job::OrganizationExport { export_id: row.id }, now).await?;
    let (action, target) = match subject {
        Some(user) => ("user.export_requested", ("user", user.to_string())),
        None => ("organization.export_requested", ("export", row.id.to_string())),
    };
    crate::audit::record_action(&tx, ctx, action, Some(target), serde_json::json!({ "export": row.id })).await?;
    tx.commit().await?;
    k.wake_worker();
    Ok(row.into())
}

/// Owners see every export of the organization; anyone else the archives of their own data.
async fn find(k: &crate::Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<organization_exports::Model> {
    let row =
        Entity::find_by_id(id).filter(Column::OrganizationId.eq(ctx.org_id().0)).one(&k.db).await?.ok_or(NOT_FOUND)?;
    let me = ctx.user_id().map(|u| u.0);
    // Only archives of their own data: an owner who asked for the organization's, or for a
    // colleague's, and was demoted since no longer reads it.
    let theirs = me.is_some() && row.subject_user_id == me;
    if ctx.role() == Role::Owner || theirs { Ok(row) } else { Err(DomainError::Forbidden) }
}

pub async fn get(k: &crate::Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<OrganizationExport> {
    Ok(find(k, ctx, id).await?.into())
}

/// The organization's latest exports, newest first (anyone but an owner: the archives of
/// their own data).
pub async fn list(k: &crate::Kensa, ctx: &TenantCtx) -> DomainResult<Vec<OrganizationExport>> {
    let mut query = Entity::find().filter(Column::OrganizationId.eq(ctx.org_id().0));
    if ctx.role() != Role::Owner {
        let Some(me) = ctx.user_id() else { return Err(DomainError::Forbidden) };
        query = query.filter(Column::SubjectUserId.eq(me.0));
    }
    let rows = query.order_by_desc(Column::Id).limit(LISTED).all(&k.db).await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// A new single-use link to a ready archive (an earlier link stops working).
pub async fn link(k: &crate::Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<ExportLink> {
    let row = find(k, ctx, id).await?;
    let now = k.now();
    if ExportStatus::parse(&row.status) != ExportStatus::Ready || row.expires_at <= now {
        return Err(DomainError::conflict(
            ErrorCode::ExportNotReady,
            format!(
                "export {id} is {}, not ready",
                if row.expires_at <= now { "expired" } else { row.status.as_str() }
            ),
        ));
    }
    let token = random_token();
    let expires_at = now + LINK_LIFETIME;
    let tx = k.begin_write().await?;
    Entity::update_many()
        .col_expr(Column::LinkHash, Expr::value(hash_token(&token)))
        .col_expr(Column::LinkExpiresAt, Expr::value(expires_at))
        .col_expr(Column::UpdatedAt, Expr::value(tx.now()))
        .filter(Column::Id.eq(id))
        .exec(&tx)
        .await?;
    crate::audit::record_action(
        &tx,
        ctx,
        "organization.export_link_created",
        Some(("export", id.to_string())),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    let mut url = k.public_url.clone();
    url.set_path(&format!("/api/v1/exports/download/{token}"));
    Ok(ExportLink { url: url.to_string(), expires_at })
}

/// What a download link gives: the archive, its name and hash.
pub struct Download {
    pub file_name: String,
    pub sha256: String,
    pub file: crate::assessments::evidence_store::StoredFile,
    /// Held until the last byte is sent (one of the process's download slots).
    pub slot: crate::assessments::evidence::DownloadSlot,
}

/// Spends a download link: once, before it expires; 410 otherwise (an unknown link too, so
/// that a guess learns nothing).
pub async fn redeem(k: &crate::Kensa, token: &str) -> DomainResult<Download> {
    let gone =
        DomainError::Gone { code: ErrorCode::LinkInvalid, detail: "this download link is used, expired or unknown" };
    if token.len() > 64 {
        return Err(gone);
    }
    // Taken before the link is spent: a busy server answers 503 and the link still works.
    let slot = crate::assessments::evidence::download_slot(k)?;
    let hash = hash_token(token);
    let tx = k.begin_write().await?;
    let now = tx.now();
    let Some(row) = Entity::find().filter(Column::LinkHash.eq(hash.as_str())).one(&tx).await? else { return Err(gone) };
    let usable = row.link_expires_at.is_some_and(|at| at > now) && row.expires_at > now && row.storage_key.is_some();
    // Spent either way: an expired link is not tried again.
    let spent = Entity::update_many()
        .col_expr(Column::LinkHash, Expr::value(Option::<String>::None))
        .col_expr(Column::DownloadedAt, Expr::value(usable.then_some(now).or(row.downloaded_at)))
        .filter(Column::Id.eq(row.id))
        .filter(Column::LinkHash.eq(hash.as_str()))
        .exec(&tx)
        .await?;
    if spent.rows_affected != 1 || !usable {
        tx.commit().await?;
        return Err(gone);
    }
    crate::audit::record(
        &tx,
        crate::audit::NewAuditEvent {
            organization_id: Some(crate::ids::OrganizationId(row.organization_id)),
            actor_user_id: None,
            action: "organization.export_downloaded",
            target: Some(("export", row.id.to_string())),
            meta: &crate::tenant::RequestMeta::default(),
            details: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    let file = k.evidence_store.get(row.storage_key.as_deref().unwrap_or_default()).await?;
    Ok(Download {
        file_name: match row.subject_user_id {
            Some(user) => format!("kensa-personal-data-{user}-{}.zip", row.created_at.format("%Y%m%d")),
            None => format!("kensa-export-{}-{}.zip", row.organization_id, row.created_at.format("%Y%m%d")),
        },
        sha256: row.sha256.unwrap_or_default(),
        file,
        slot,
    })
}

async fn set(k: &crate::Kensa, id: Uuid, changes: organization_exports::ActiveModel) -> DomainResult<()> {
    let tx = k.begin_write().await?;
    let mut changes = changes;
    changes.id = Set(id);
    changes.updated_at = Set(tx.now());
    Entity::update(changes).exec(&tx).await?;
    tx.commit().await?;
    Ok(())
}

/// The worker's part: writes the archive, stores it beside the evidence, and marks the export
/// ready. A failure is recorded on the export and returned, so the job is tried again.
pub async fn run(k: &crate::Kensa, id: Uuid) -> DomainResult<()> {
    let Some(row) = Entity::find_by_id(id).one(&k.db).await? else { return Ok(()) };
    if matches!(ExportStatus::parse(&row.status), ExportStatus::Ready | ExportStatus::Expired) {
        return Ok(());
    }
    // Only while still to be written: an erasure that ended it meanwhile (expired) wins.
    let tx = k.begin_write().await?;
    let started = Entity::update_many()
        .col_expr(Column::Status, Expr::value(ExportStatus::Running.as_str()))
        .col_expr(Column::Progress, Expr::value(0))
        .col_expr(Column::UpdatedAt, Expr::value(tx.now()))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.is_not_in([ExportStatus::Ready.as_str(), ExportStatus::Expired.as_str()]))
        .exec(&tx)
        .await?;
    tx.commit().await?;
    if started.rows_affected != 1 {
        return Ok(());
    }
    let outcome = write_and_store(k, &row).await;
    let changes = match &outcome {
        Ok((manifest, staged, key)) => organization_exports::ActiveModel {
            status: Set(ExportStatus::Ready.as_str().into()),
            progress: Set(100),
            manifest: Set(Some(serde_json::to_value(manifest).map_err(DomainError::internal)?)),
            size: Set(Some(i64::try_from(staged.size).unwrap_or(i64::MAX))),
            sha256: Set(Some(staged.sha256.clone())),
            storage_key: Set(Some(key.clone())),
            error: Set(None),
            expires_at: Set(k.now() + KEPT_FOR),
            ..Default::default()
        },
        Err(e) => organization_exports::ActiveModel {
            status: Set(ExportStatus::Failed.as_str().into()),
            error: Set(Some(e.to_string().chars().take(500).collect())),
            ..Default::default()
        },
    };
    set(k, id, changes).await?;
    outcome.map(drop)
}

async fn write_and_store(
    k: &crate::Kensa,
    row: &organization_exports::Model,
) -> DomainResult<(Manifest, crate::assessments::staging::Staged, String)> {
    let dir = &k.uploads.staging_dir;
    tokio::fs::create_dir_all(dir).await.map_err(DomainError::internal)?;
    let file =
        tempfile::Builder::new().prefix("export-").suffix(".zip").tempfile_in(dir).map_err(DomainError::internal)?;
    let path = file.into_temp_path();
    let manifest =
        super::archive::write_with_progress(k, row.organization_id, row.subject_user_id, &path, Some(row.id)).await?;
    let staged = crate::assessments::staging::Staged::adopt(path).await?;
    let key = format!("exports/{}/{}.zip", row.organization_id, row.id);
    k.evidence_store.put(&key, &staged).await?;
    Ok((manifest, staged, key))
}

/// Records how far the writing got (called per table by the archive writer).
pub(crate) async fn progressed(k: &crate::Kensa, id: Uuid, percent: i32) -> DomainResult<()> {
    let tx = k.begin_write().await?;
    Entity::update_many()
        .col_expr(Column::Progress, Expr::value(percent))
        .col_expr(Column::UpdatedAt, Expr::value(tx.now()))
        .filter(Column::Id.eq(id))
        .exec(&tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes the archives whose time is up (the worker's sweep). Returns how many.
pub async fn purge_expired(k: &crate::Kensa, now: DateTime<Utc>) -> DomainResult<u64> {
    let due = Entity::find()
        .filter(Column::Status.eq(ExportStatus::Ready.as_str()))
        .filter(Column::ExpiresAt.lte(now))
        .limit(100)
        .all(&k.db)
        .await?;
    let mut purged = 0;
    for row in due {
        if let Some(key) = &row.storage_key {
            k.evidence_store.delete(key).await?;
        }
        let expired = organization_exports::ActiveModel {
            status: Set(ExportStatus::Expired.as_str().into()),
            storage_key: Set(None),
            link_hash: Set(None),
            ..Default::default()
        };
        set(k, row.id, expired).await?;
        purged += 1;
    }
    Ok(purged)
}
