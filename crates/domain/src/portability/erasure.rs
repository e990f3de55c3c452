//! An owner asks for the organization to be erased; after a grace period in which any owner
//! can cancel (every user is mailed both ways), the worker erases it in one transaction:
//! what the organization owns goes, what its buyers keep of its answers stays with them
//! redacted (`tables::Erased`, `redact`), and a tombstone with no one's name in it records
//! that it happened.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use tracing::info;
use uuid::Uuid;

use super::redact::{ERASED_ORGANIZATION, Redaction};
use super::tables::{Erased, TABLES, kept_assessments};
use crate::audit::redaction::Forgotten;
use crate::entities::organization_erasures::{self, Column, Entity};
use crate::entities::{assessments, organizations, users};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::jobs::{self, Job};
use crate::tenant::{Role, TenantCtx};

const NOT_FOUND: DomainError = DomainError::NotFound("erasure");

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErasureStatus {
    /// Waiting for `erase_at`; any owner can cancel it.
    Scheduled,
    /// Cancelled by an owner.
    Cancelled,
    /// The worker is erasing the organization.
    Erasing,
    /// Done: only the tombstone is left.
    Erased,
}

impl ErasureStatus {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Cancelled => "cancelled",
            Self::Erasing => "erasing",
            Self::Erased => "erased",
        }
    }

    pub(super) fn parse(s: &str) -> Self {
        match s {
            "cancelled" => Self::Cancelled,
            "erasing" => Self::Erasing,
            "erased" => Self::Erased,
            _ => Self::Scheduled,
        }
    }
}

/// An erasure as the organization's owners see it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganizationErasure {
    pub id: Uuid,
    pub status: ErasureStatus,
    /// The one person to erase (`DELETE /api/v1/users/{id}`); null: the whole organization.
    /// Null again once erased.
    pub user_id: Option<Uuid>,
    pub requested_by: Option<Uuid>,
    pub requested_at: DateTime<Utc>,
    /// When the worker erases the organization, unless an owner cancels first.
    pub erase_at: DateTime<Utc>,
    pub cancelled_by: Option<Uuid>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl From<organization_erasures::Model> for OrganizationErasure {
    fn from(m: organization_erasures::Model) -> Self {
        Self {
            id: m.id,
            status: ErasureStatus::parse(&m.status),
            user_id: m.user_id,
            requested_by: m.requested_by,
            requested_at: m.requested_at,
            erase_at: m.erase_at,
            cancelled_by: m.cancelled_by,
            cancelled_at: m.cancelled_at,
        }
    }
}

/// The caller proves it is them again: their password and, with MFA on, a code.
#[derive(Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Reauthentication {
    /// The caller's password.
    pub password: String,
    /// A current authenticator code or a recovery code; required when the caller has MFA on.
    #[serde(default)]
    pub code: Option<String>,
}

impl std::fmt::Debug for Reauthentication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reauthentication { .. }")
    }
}

fn owner(ctx: &TenantCtx) -> DomainResult<()> {
    if ctx.role() == Role::Owner && ctx.user_id().is_some() && ctx.api_key().is_none() {
        Ok(())
    } else {
        Err(DomainError::Forbidden)
    }
}

/// Schedules the erasure of the caller's organization (owners, re-authenticated), after
/// [`crate::Kensa::erasure_grace`]. Every active user is mailed.
pub async fn schedule(k: &crate::Kensa, ctx: &TenantCtx, proof: Reauthentication) -> DomainResult<OrganizationErasure> {
    owner(ctx)?;
    crate::auth::mfa::reauthenticate(k, ctx, &proof.password, proof.code.as_deref()).await?;
    let org = ctx.org_id().0;
    let tx = k.begin_write().await?;
    organizations::Entity::find_by_id(org).lock(super::ORGANIZATION_LOCK).one(&tx).await?;
    if let Some(open) = open_erasure(&tx, org).await? {
        return Err(DomainError::conflict(
            ErrorCode::ErasureScheduled,
            format!("the organization's erasure is {} already (on {})", open.status, open.erase_at.to_rfc3339()),
        ));
    }
    let row = insert_request(k, &tx, ctx, None).await?;
    tell_everyone(&tx, org, row.id, false).await?;
    let details = serde_json::json!({ "erase_at": row.erase_at });
    crate::audit::record_action(
        &tx,
        ctx,
        "organization.erasure_scheduled",
        Some(("erasure", row.id.to_string())),
        details,
    )
    .await?;
    tx.commit().await?;
    k.wake_worker();
    Ok(row.into())
}

/// Records a request to erase the caller's organization, or the one person `user`, due after
/// the grace period.
pub(super) async fn insert_request(
    k: &crate::Kensa,
    tx: &crate::WriteTx,
    ctx: &TenantCtx,
    user: Option<Uuid>,
) -> DomainResult<organization_erasures::Model> {
    let now = tx.now();
    let row = organization_erasures::Model {
        id: Uuid::now_v7(),
        organization_id: ctx.org_id().0,
        user_id: user,
        status: ErasureStatus::Scheduled.as_str().into(),
        requested_by: ctx.user_id().map(|u| u.0),
        requested_at: now,
        erase_at: now + k.erasure_grace,
        cancelled_by: None,
        cancelled_at: None,
        erased_at: None,
        counts: None,
    };
    Entity::insert(organization_erasures::ActiveModel::from(row.clone())).exec_without_returning(tx).await?;
    Ok(row)
}

/// The organization's latest erasure request (owners).
pub async fn current(k: &crate::Kensa, ctx: &TenantCtx) -> DomainResult<OrganizationErasure> {
    owner(ctx)?;
    let row = Entity::find()
        .filter(Column::OrganizationId.eq(ctx.org_id().0))
        .filter(Column::UserId.is_null())
        .order_by_desc(Column::RequestedAt)
        .one(&k.db)
        .await?
        .ok_or(NOT_FOUND)?;
    Ok(row.into())
}

/// Cancels the scheduled erasure (any owner); every active user is mailed.
pub async fn cancel(k: &crate::Kensa, ctx: &TenantCtx) -> DomainResult<OrganizationErasure> {
    owner(ctx)?;
    let org = ctx.org_id().0;
    let tx = k.begin_write().await?;
    organizations::Entity::find_by_id(org).lock(super::ORGANIZATION_LOCK).one(&tx).await?;
    let row = open_erasure(&tx, org).await?.ok_or(NOT_FOUND)?;
    let row = call_off(&tx, ctx.user_id().map(|u| u.0), row).await?;
    tell_everyone(&tx, org, row.id, true).await?;
    crate::audit::record_action(
        &tx,
        ctx,
        "organization.erasure_cancelled",
        Some(("erasure", row.id.to_string())),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    SignedOut::of(&row).forget_cached(k);
    k.wake_worker();
    Ok(row.into())
}

/// Marks an open erasure cancelled, and lets back in whom its worker had signed out.
/// `by` is the user who cancelled; none when the worker called it off.
pub(super) async fn call_off(
    tx: &crate::WriteTx,
    by: Option<Uuid>,
    row: organization_erasures::Model,
) -> DomainResult<organization_erasures::Model> {
    // The worker erases in one transaction: until it commits nothing is erased, and an
    // erasure whose job keeps failing can still be called off. Only if the row is still
    // open: a worker that committed meanwhile made it `erased`.
    let now = tx.now();
    let cancelled = Entity::update_many()
        .col_expr(Column::Status, Expr::value(ErasureStatus::Cancelled.as_str()))
        .col_expr(Column::CancelledBy, Expr::value(by))
        .col_expr(Column::CancelledAt, Expr::value(now))
        .filter(Column::Id.eq(row.id))
        .filter(Column::Status.is_in([ErasureStatus::Scheduled.as_str(), ErasureStatus::Erasing.as_str()]))
        .exec(tx)
        .await?;
    if cancelled.rows_affected != 1 {
        return Err(DomainError::conflict(ErrorCode::ErasureStarted, "the erasure was carried out meanwhile"));
    }
    // Read again: the worker may have noted whom it signed out after `row` was read.
    let row = Entity::find_by_id(row.id).one(tx).await?.ok_or(NOT_FOUND)?;
    SignedOut::of(&row).let_back_in(tx).await?;
    Ok(row)
}

/// An error that makes the erasure's job wait (it is tried again later) while an archive of
/// the organization is being written: it would hold what the erasure removes.
pub(super) async fn no_export_being_written(
    conn: &impl ConnectionTrait,
    org: Uuid,
    erasure_id: Uuid,
) -> DomainResult<()> {
    use crate::entities::organization_exports;
    let exporting = organization_exports::Entity::find()
        .filter(organization_exports::Column::OrganizationId.eq(org))
        .filter(organization_exports::Column::Status.is_in(["queued", "running"]))
        .one(conn)
        .await?;
    match exporting {
        Some(export) => {
            Err(DomainError::Unavailable(format!("erasure {erasure_id} waits for export {} to finish", export.id)))
        }
        None => Ok(()),
    }
}

/// Whether the worker is erasing the organization or one of its people: no new export may
/// start (an erasure waits for the archives being written, and one started meanwhile would
/// hold what it erases).
pub(super) async fn erasing(conn: &impl ConnectionTrait, org: Uuid) -> DomainResult<bool> {
    Ok(Entity::find()
        .filter(Column::OrganizationId.eq(org))
        .filter(Column::Status.eq(ErasureStatus::Erasing.as_str()))
        .one(conn)
        .await?
        .is_some())
}

async fn open_erasure(conn: &impl ConnectionTrait, org: Uuid) -> DomainResult<Option<organization_erasures::Model>> {
    Ok(Entity::find()
        .filter(Column::OrganizationId.eq(org))
        .filter(Column::UserId.is_null())
        .filter(Column::Status.is_in([ErasureStatus::Scheduled.as_str(), ErasureStatus::Erasing.as_str()]))
        .one(conn)
        .await?)
}

async fn tell_everyone(tx: &crate::WriteTx, org: Uuid, erasure_id: Uuid, cancelled: bool) -> DomainResult<()> {
    tell(tx, Condition::all().add(users::Column::OrganizationId.eq(org)), erasure_id, cancelled).await
}

/// Mails the active users `who` selects about the erasure.
pub(super) async fn tell(tx: &crate::WriteTx, who: Condition, erasure_id: Uuid, cancelled: bool) -> DomainResult<()> {
    let people: Vec<Uuid> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(who)
        .filter(users::Column::Active.eq(true))
        .into_tuple()
        .all(tx)
        .await?;
    let now = tx.now();
    for user_id in people {
        jobs::enqueue(tx, &Job::OrganizationErasureMail { erasure_id, user_id, cancelled }, now).await?;
    }
    Ok(())
}

/// The sweep: erasures whose grace period ended are handed to a job, once each.
pub async fn queue_due(k: &crate::Kensa, now: DateTime<Utc>) -> DomainResult<u64> {
    let due: Vec<Uuid> = Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::Status.eq(ErasureStatus::Scheduled.as_str()))
        .filter(Column::EraseAt.lte(now))
        .into_tuple()
        .all(&k.db)
        .await?;
    let mut queued = 0;
    for id in due {
        let tx = k.begin_write().await?;
        // Only while still scheduled: an owner may have cancelled since, or a worker queued it.
        let taken = Entity::update_many()
            .col_expr(Column::Status, Expr::value(ErasureStatus::Erasing.as_str()))
            .filter(Column::Id.eq(id))
            .filter(Column::Status.eq(ErasureStatus::Scheduled.as_str()))
            .exec(&tx)
            .await?;
        if taken.rows_affected == 1 {
            jobs::enqueue(&tx, &Job::OrganizationErasure { erasure_id: id }, tx.now()).await?;
            queued += 1;
        }
        tx.commit().await?;
    }
    if queued > 0 {
        k.wake_worker();
    }
    Ok(queued)
}

/// Rows removed and redacted in one table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erasure {
    pub deleted: u64,
    pub redacted: u64,
}

/// Tables holding stored files, and the column naming each.
const STORED_FILES: &[(&str, &str)] = &[
    ("evidence", "storage_key"),
    ("library_evidence", "storage_key"),
    ("share_evidence", "storage_key"),
    ("organization_exports", "storage_key"),
];

/// Who the worker signed out before erasing (noted in `counts` while erasing), so that a
/// cancel can let them back in.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct SignedOut {
    users: Vec<Uuid>,
    api_keys: Vec<Uuid>,
}

impl SignedOut {
    pub(super) fn of(row: &organization_erasures::Model) -> Self {
        let noted = row.counts.as_ref().and_then(|c| c.get("signed_out")).cloned();
        noted.and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default()
    }

    /// Reactivates the accounts and keys the worker had stopped.
    pub(super) async fn let_back_in(&self, tx: &crate::WriteTx) -> DomainResult<()> {
        use crate::entities::api_keys;
        if !self.users.is_empty() {
            users::Entity::update_many()
                .col_expr(users::Column::Active, Expr::value(true))
                .filter(users::Column::Id.is_in(self.users.clone()))
                .exec(tx)
                .await?;
        }
        if !self.api_keys.is_empty() {
            api_keys::Entity::update_many()
                .col_expr(api_keys::Column::RevokedAt, Expr::value(Option::<DateTime<Utc>>::None))
                .filter(api_keys::Column::Id.is_in(self.api_keys.clone()))
                .exec(tx)
                .await?;
        }
        Ok(())
    }

    /// This process's cached principals of those users go (other replicas' within seconds).
    pub(super) fn forget_cached(&self, k: &crate::Kensa) {
        for user in &self.users {
            k.principals.invalidate(*user);
        }
    }
}

/// Before erasing, in a transaction of its own: deactivates the accounts of `people` that
/// are active, revokes their refresh tokens and deletes their browser sessions, and revokes
/// the API keys of `keys_of`, so that no one is still writing while the erasure runs (the
/// API's caches of who is signed in last a few seconds). Who was stopped is noted in the
/// erasure's counts; a retried job adds to the note.
pub(super) async fn sign_out(
    k: &crate::Kensa,
    erasure: &organization_erasures::Model,
    people: Vec<Uuid>,
    keys_of: Option<Uuid>,
) -> DomainResult<()> {
    use crate::entities::{api_keys, browser_sessions, refresh_tokens};
    let tx = k.begin_write().await?;
    let now = tx.now();
    let mut noted = SignedOut::of(erasure);
    let active: Vec<Uuid> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::Id.is_in(people.clone()))
        .filter(users::Column::Active.eq(true))
        .into_tuple()
        .all(&tx)
        .await?;
    users::Entity::update_many()
        .col_expr(users::Column::Active, Expr::value(false))
        .filter(users::Column::Id.is_in(active.clone()))
        .exec(&tx)
        .await?;
    noted.users.extend(active);
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::UserId.is_in(people.clone()))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(&tx)
        .await?;
    browser_sessions::Entity::delete_many().filter(browser_sessions::Column::UserId.is_in(people)).exec(&tx).await?;
    if let Some(org) = keys_of {
        let keys: Vec<Uuid> = api_keys::Entity::find()
            .select_only()
            .column(api_keys::Column::Id)
            .filter(api_keys::Column::OrganizationId.eq(org))
            .filter(api_keys::Column::RevokedAt.is_null())
            .into_tuple()
            .all(&tx)
            .await?;
        api_keys::Entity::update_many()
            .col_expr(api_keys::Column::RevokedAt, Expr::value(now))
            .filter(api_keys::Column::Id.is_in(keys.clone()))
            .exec(&tx)
            .await?;
        noted.api_keys.extend(keys);
    }
    // Only while still erasing: a cancel in between let everyone back in already.
    let counts = serde_json::json!({ "signed_out": noted });
    let still = Entity::update_many()
        .col_expr(Column::Counts, Expr::value(counts))
        .filter(Column::Id.eq(erasure.id))
        .filter(Column::Status.eq(ErasureStatus::Erasing.as_str()))
        .exec(&tx)
        .await?;
    if still.rows_affected == 1 {
        tx.commit().await?;
        noted.forget_cached(k);
    }
    Ok(())
}

/// The job: signs out everyone concerned, then erases the organization (or the one person,
/// `portability::person`) in one transaction, then deletes the stored files no one else
/// names. Nothing to do once cancelled or done.
pub async fn run(k: &crate::Kensa, erasure_id: Uuid) -> DomainResult<()> {
    let Some(erasure) = Entity::find_by_id(erasure_id).one(&k.db).await? else { return Ok(()) };
    if ErasureStatus::parse(&erasure.status) != ErasureStatus::Erasing {
        return Ok(());
    }
    if let Some(user) = erasure.user_id {
        return super::person::erase(k, erasure, user).await;
    }
    let org = erasure.organization_id;
    // An export being written would put its archive back after the erasure: wait for it
    // (the job is tried again later).
    no_export_being_written(&k.db, org, erasure_id).await?;
    let people: Vec<Uuid> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::OrganizationId.eq(org))
        .into_tuple()
        .all(&k.db)
        .await?;
    sign_out(k, &erasure, people, Some(org)).await?;
    let tx = k.begin_write().await?;
    let Some(erasure) = Entity::find_by_id(erasure_id).lock_exclusive().one(&tx).await? else { return Ok(()) };
    if ErasureStatus::parse(&erasure.status) != ErasureStatus::Erasing {
        return Ok(());
    }
    let Some(organization) = organizations::Entity::find_by_id(org).one(&tx).await? else {
        return Err(DomainError::internal(format!("erasure {erasure_id}: organization {org} is missing")));
    };
    let now = tx.now();
    // What the organization's buyers keep points at a stand-in without users.
    let stand_in = organizations::Model {
        id: Uuid::now_v7(),
        name: ERASED_ORGANIZATION.into(),
        created_at: now,
        verified_at: None,
    };
    organizations::Entity::insert(organizations::ActiveModel::from(stand_in.clone()))
        .exec_without_returning(&tx)
        .await?;
    let mut redaction = Redaction::organization(org, stand_in.id, &organization.name);
    let mut named = Vec::new();
    let mut forgotten = Forgotten { users: Vec::new(), needles: vec![org.to_string()] };
    for user in users::Entity::find().filter(users::Column::OrganizationId.eq(org)).all(&tx).await? {
        redaction.user(user.id, &user.name, &user.email);
        named.extend([user.id.to_string(), user.email.to_lowercase()]);
        forgotten.users.push(user.id);
        forgotten.needles.extend(needles(&user));
    }
    let files = stored_files(&tx, org).await?;
    let kept: Vec<Uuid> = assessments::Entity::find()
        .select_only()
        .column(assessments::Column::Id)
        .filter(kept_assessments(org))
        .into_tuple()
        .all(&tx)
        .await?;
    let mut counts = BTreeMap::new();
    // Children first: the conditions of a child table read its parents.
    for table in TABLES.iter().rev() {
        if table.erased == Erased::Tombstone {
            continue;
        }
        let delete = Query::delete()
            .from_table(Alias::new(table.name))
            .cond_where(table.reach.erased(table.erased, org))
            .to_owned();
        let deleted = tx.execute(&delete).await?.rows_affected();
        let redacted = match table.erased {
            Erased::WithKeptAssessment => {
                let mut redacted = 0;
                for assessment in &kept {
                    let rows = Condition::all().add(Expr::col(Alias::new("assessment_id")).eq(*assessment));
                    redacted += super::redact_table(&tx, table, rows, &redaction, &[]).await?;
                }
                redacted
            }
            Erased::KeptByOwner { cleared, .. } => match table.reach.kept(table.erased, org) {
                Some(rows) => super::redact_table(&tx, table, rows, &redaction, cleared).await?,
                None => 0,
            },
            Erased::Deleted | Erased::KeptAsIsByOwner { .. } | Erased::Tombstone => 0,
        };
        if deleted + redacted > 0 {
            counts.insert(table.name.to_owned(), Erasure { deleted, redacted });
        }
    }
    // What other organizations' audit trails say of it and its people.
    let audit_redacted =
        crate::audit::redaction::forget(&tx, &forgotten, &redaction, Some(org), "organization_erased").await?;
    if audit_redacted > 0 {
        counts.entry("audit_events".to_owned()).or_insert_with(Erasure::default).redacted += audit_redacted;
    }
    // Jobs about its people (mail to them, notices of their sign-ins), done or waiting.
    let jobs_deleted = delete_jobs_naming(&tx, &named, Some(&org.to_string())).await?;
    if jobs_deleted > 0 {
        counts.entry("jobs".to_owned()).or_insert_with(Erasure::default).deleted += jobs_deleted;
    }
    // Its buyers keep what it submitted; what it had not submitted can no longer come.
    let withdrawn = assessments::Entity::update_many()
        .col_expr(assessments::Column::Status, Expr::value("cancelled"))
        .col_expr(assessments::Column::CancelledAt, Expr::value(now))
        .col_expr(assessments::Column::NextChaseOn, Expr::value(Option::<chrono::NaiveDate>::None))
        .col_expr(assessments::Column::EscalatesOn, Expr::value(Option::<chrono::NaiveDate>::None))
        .col_expr(assessments::Column::UpdatedAt, Expr::value(now))
        .filter(kept_assessments(stand_in.id))
        .filter(assessments::Column::Status.is_in(["sent", "in_progress", "changes_requested"]))
        .exec(&tx)
        .await?
        .rows_affected;
    // The tombstone: earlier (cancelled) requests go, this one stays without anyone's id.
    Entity::delete_many().filter(Column::OrganizationId.eq(org)).filter(Column::Id.ne(erasure_id)).exec(&tx).await?;
    let mut done: organization_erasures::ActiveModel = erasure.into();
    done.status = Set(ErasureStatus::Erased.as_str().into());
    done.requested_by = Set(None);
    done.cancelled_by = Set(None);
    done.erased_at = Set(Some(now));
    done.counts = Set(Some(
        serde_json::json!({ "tables": counts, "assessments_kept_by_buyers": kept.len(), "assessments_withdrawn": withdrawn }),
    ));
    Entity::update(done).exec(&tx).await?;
    tx.commit().await?;
    let mut removed = 0;
    for key in files {
        // One failed delete does not keep the others; what is left is logged (its key only).
        let deleted = match crate::assessments::repo::storage_key_in_use(&k.db, &key).await {
            Ok(false) => k.evidence_store.delete(&key).await.map(|()| true),
            Ok(true) => Ok(false),
            Err(e) => Err(e),
        };
        match deleted {
            Ok(true) => removed += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(erasure = %erasure_id, key = %key, error = %e, "a stored file of an erased organization was not deleted")
            }
        }
    }
    info!(erasure = %erasure_id, organization = %org, kept = kept.len(), files = removed, "organization erased");
    Ok(())
}

/// Deletes the jobs about the erased people: those whose payload holds one of `people` (ids,
/// lowercased addresses) as a whole JSON value, or whose target is one; and the finished
/// jobs of other organizations that name the erased organization (`org`). Others' waiting
/// jobs are left to run.
pub(super) async fn delete_jobs_naming(
    conn: &impl ConnectionTrait,
    people: &[String],
    org: Option<&str>,
) -> DomainResult<u64> {
    use crate::entities::jobs;
    use sea_orm::sea_query::{Func, LikeExpr};
    let holding = |needle: &str| {
        let escaped = needle.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let payload = Func::lower(Expr::col(jobs::Column::Payload).cast_as(Alias::new("TEXT")));
        Expr::expr(payload).like(LikeExpr::new(format!("%\"{escaped}\"%")).escape('\\'))
    };
    let mut deleted = 0;
    // A few hundred at a time: each binds two values, well under the databases' limits.
    for chunk in people.chunks(200) {
        let about_people = chunk.iter().fold(Condition::any(), |c, needle| {
            c.add(holding(needle)).add(Func::lower(Expr::col(jobs::Column::Target)).eq(needle.as_str()))
        });
        deleted += jobs::Entity::delete_many().filter(about_people).exec(conn).await?.rows_affected;
    }
    if let Some(org) = org {
        let finished_about_org = Condition::all().add(holding(org)).add(jobs::Column::Status.is_in(["done", "failed"]));
        deleted += jobs::Entity::delete_many().filter(finished_about_org).exec(conn).await?.rows_affected;
    }
    Ok(deleted)
}

/// The texts that find the audit events about a person: their id and address (lowercased).
/// Not their name: "Admin" would find every role change; the events found lose the name too.
pub(super) fn needles(user: &users::Model) -> Vec<String> {
    vec![user.id.to_string(), user.email.to_lowercase()]
}

/// Every stored file the organization's rows name (evidence, library, shares, exports).
async fn stored_files(conn: &impl ConnectionTrait, org: Uuid) -> DomainResult<Vec<String>> {
    let mut keys = std::collections::BTreeSet::new();
    for (name, column) in STORED_FILES {
        let Some(table) = TABLES.iter().find(|t| t.name == *name) else { continue };
        let select = Query::select()
            .column(Alias::new(*column))
            .from(Alias::new(*name))
            .cond_where(table.reach.erased(table.erased, org))
            .to_owned();
        for row in conn.query_all(&select).await? {
            if let Some(key) = row.try_get_by_index::<Option<String>>(0).map_err(DomainError::internal)? {
                keys.insert(key);
            }
        }
    }
    Ok(keys.into_iter().collect())
}

/// What a user's mail about the erasure says.
#[derive(Clone, Debug)]
pub struct ErasureNotice {
    pub to: String,
    pub name: String,
    pub locale: String,
    pub organization: String,
    /// The one person to erase, when it is not the whole organization.
    pub person: Option<String>,
    pub cancelled: bool,
    pub erase_at: DateTime<Utc>,
    pub settings_url: String,
}

/// The mail for one user, or None when they or the erasure are gone.
pub async fn prepare_mail(
    k: &crate::Kensa,
    erasure_id: Uuid,
    user_id: Uuid,
    cancelled: bool,
) -> DomainResult<Option<ErasureNotice>> {
    let Some(erasure) = Entity::find_by_id(erasure_id).one(&k.db).await? else { return Ok(None) };
    let Some((user, org)) = crate::users::repo::active_member(&k.db, user_id, erasure.organization_id).await? else {
        return Ok(None);
    };
    let person = match erasure.user_id {
        Some(subject) => Some(users::Entity::find_by_id(subject).one(&k.db).await?.map(|u| u.name).unwrap_or_default()),
        None => None,
    };
    let mut settings_url = k.public_url.clone();
    match erasure.user_id {
        Some(subject) => settings_url.set_path(&format!("/api/v1/users/{subject}/erasure")),
        None => settings_url.set_path("/api/v1/organization/erasure"),
    }
    Ok(Some(ErasureNotice {
        to: user.email,
        name: user.name,
        locale: user.locale,
        organization: org.name,
        person,
        cancelled,
        erase_at: erasure.erase_at,
        settings_url: settings_url.to_string(),
    }))
}
