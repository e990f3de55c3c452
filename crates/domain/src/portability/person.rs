//! One person's data, on request (the APPI's and the GDPR's rights of access and erasure):
//! an owner asks for any member, anyone for themselves.
//!
//! The archive of what names them is an export with a subject (`exports::start_for_person`).
//! Their erasure runs like the organization's (`erasure`): the request re-authenticates the
//! caller, waits out the grace period in which they or any owner can cancel it (they and the
//! owners are mailed both ways), then the worker signs them out and, in one transaction,
//! deletes what is theirs alone (account, sessions, sign-ins, invitations) and keeps what is
//! the organization's (answers they gave, comments, history, shares…) with their id emptied
//! and their name and address replaced — in every organization, audit trails included
//! (`audit::redaction`). The erasure's row stays as the tombstone, without their id.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Alias, Condition, Expr, Query};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tracing::info;
use uuid::Uuid;

use super::erasure::{
    Erasure, ErasureStatus, OrganizationErasure, Reauthentication, SignedOut, call_off, delete_jobs_naming,
    insert_request, needles, no_export_being_written, sign_out, tell,
};
use super::redact::Redaction;
use super::tables::{Erased, PersonErased, TABLES};
use crate::audit::redaction::Forgotten;
use crate::entities::organization_erasures::{self, Column, Entity};
use crate::entities::{organization_exports, organizations, users};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::ids::UserId;
use crate::tenant::{Role, TenantCtx};

const NOT_FOUND: DomainError = DomainError::NotFound("erasure");

/// The member `subject` of the caller's organization, if the caller may ask about them: an
/// owner for anyone, anyone for themselves, as a person (not with an API key).
async fn subject_of(conn: &impl ConnectionTrait, ctx: &TenantCtx, subject: UserId) -> DomainResult<users::Model> {
    let user = crate::users::repo::find_in_org(conn, ctx, subject).await?.ok_or(DomainError::NotFound("user"))?;
    let person = ctx.user_id().is_some() && ctx.api_key().is_none();
    if person && (ctx.role() == Role::Owner || ctx.user_id() == Some(subject)) {
        Ok(user)
    } else {
        Err(DomainError::Forbidden)
    }
}

/// The subject and the organization's active owners.
fn subject_and_owners(org: Uuid, subject: Uuid) -> Condition {
    Condition::any().add(users::Column::Id.eq(subject)).add(
        Condition::all().add(users::Column::OrganizationId.eq(org)).add(users::Column::Role.eq(Role::Owner.as_str())),
    )
}

/// Whether erasing `user` would leave their organization without an active owner: no other
/// active owner whose own erasure is not open.
async fn last_owner(conn: &impl ConnectionTrait, user: &users::Model) -> DomainResult<bool> {
    if user.role != Role::Owner.as_str() {
        return Ok(false);
    }
    let others: Vec<Uuid> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::OrganizationId.eq(user.organization_id))
        .filter(users::Column::Role.eq(Role::Owner.as_str()))
        .filter(users::Column::Active.eq(true))
        .filter(users::Column::Id.ne(user.id))
        .into_tuple()
        .all(conn)
        .await?;
    for other in others {
        if open_erasure(conn, other).await?.is_none() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The erasure is called off in `tx`, which holds the organization's lock (its subject let
/// back in, they and the owners told): it would leave the organization without an owner.
async fn call_off_as_last_owner(
    k: &crate::Kensa,
    tx: crate::WriteTx,
    erasure: &organization_erasures::Model,
    subject: Uuid,
) -> DomainResult<()> {
    let signed_out = match call_off(&tx, None, erasure.clone()).await {
        Ok(row) => {
            tell(&tx, subject_and_owners(erasure.organization_id, subject), erasure.id, true).await?;
            SignedOut::of(&row)
        }
        // Carried out or cancelled meanwhile: nothing to call off.
        Err(DomainError::Conflict { .. }) => SignedOut::default(),
        Err(e) => return Err(e),
    };
    tx.commit().await?;
    signed_out.forget_cached(k);
    info!(erasure = %erasure.id, "not erased: the last owner of the organization");
    Ok(())
}

async fn open_erasure(
    conn: &impl ConnectionTrait,
    subject: Uuid,
) -> DomainResult<Option<organization_erasures::Model>> {
    Ok(Entity::find()
        .filter(Column::UserId.eq(subject))
        .filter(Column::Status.is_in([ErasureStatus::Scheduled.as_str(), ErasureStatus::Erasing.as_str()]))
        .one(conn)
        .await?)
}

/// Schedules the erasure of one member after [`crate::Kensa::erasure_grace`] (an owner for
/// anyone, anyone for themselves; re-authenticated). The organization's last active owner
/// cannot be erased. They and the owners are mailed.
pub async fn schedule(
    k: &crate::Kensa,
    ctx: &TenantCtx,
    subject: UserId,
    proof: Reauthentication,
) -> DomainResult<OrganizationErasure> {
    subject_of(&k.db, ctx, subject).await?;
    crate::auth::mfa::reauthenticate(k, ctx, &proof.password, proof.code.as_deref()).await?;
    let org = ctx.org_id().0;
    let tx = k.begin_write().await?;
    organizations::Entity::find_by_id(org).lock(super::ORGANIZATION_LOCK).one(&tx).await?;
    let user = subject_of(&tx, ctx, subject).await?;
    if last_owner(&tx, &user).await? {
        return Err(DomainError::conflict(
            ErrorCode::LastOwner,
            "the organization's last owner cannot be erased; make another user owner first, or erase the organization",
        ));
    }
    if let Some(open) = open_erasure(&tx, user.id).await? {
        return Err(DomainError::conflict(
            ErrorCode::ErasureScheduled,
            format!("this person's erasure is {} already (on {})", open.status, open.erase_at.to_rfc3339()),
        ));
    }
    let row = insert_request(k, &tx, ctx, Some(user.id)).await?;
    tell(&tx, subject_and_owners(org, user.id), row.id, false).await?;
    let details = serde_json::json!({ "erase_at": row.erase_at, "erasure": row.id });
    crate::audit::record_action(&tx, ctx, "user.erasure_scheduled", Some(("user", user.id.to_string())), details)
        .await?;
    tx.commit().await?;
    k.wake_worker();
    Ok(row.into())
}

/// The latest erasure request about the member (an owner, or they themselves).
pub async fn current(k: &crate::Kensa, ctx: &TenantCtx, subject: UserId) -> DomainResult<OrganizationErasure> {
    let user = subject_of(&k.db, ctx, subject).await?;
    let row = Entity::find()
        .filter(Column::OrganizationId.eq(ctx.org_id().0))
        .filter(Column::UserId.eq(user.id))
        .order_by_desc(Column::RequestedAt)
        .one(&k.db)
        .await?
        .ok_or(NOT_FOUND)?;
    Ok(row.into())
}

/// Cancels the member's scheduled erasure (any owner, or they themselves); they and the
/// owners are mailed.
pub async fn cancel(k: &crate::Kensa, ctx: &TenantCtx, subject: UserId) -> DomainResult<OrganizationErasure> {
    let org = ctx.org_id().0;
    let tx = k.begin_write().await?;
    organizations::Entity::find_by_id(org).lock(super::ORGANIZATION_LOCK).one(&tx).await?;
    let user = subject_of(&tx, ctx, subject).await?;
    let row = open_erasure(&tx, user.id).await?.ok_or(NOT_FOUND)?;
    let row = call_off(&tx, ctx.user_id().map(|u| u.0), row).await?;
    tell(&tx, subject_and_owners(org, user.id), row.id, true).await?;
    let details = serde_json::json!({ "erasure": row.id });
    crate::audit::record_action(&tx, ctx, "user.erasure_cancelled", Some(("user", user.id.to_string())), details)
        .await?;
    tx.commit().await?;
    SignedOut::of(&row).forget_cached(k);
    k.wake_worker();
    Ok(row.into())
}

/// The job's part for one person (`erasure::run`).
pub(super) async fn erase(k: &crate::Kensa, erasure: organization_erasures::Model, subject: Uuid) -> DomainResult<()> {
    let org = erasure.organization_id;
    let Some(user) = users::Entity::find_by_id(subject).one(&k.db).await? else {
        return Err(DomainError::internal(format!("erasure {}: user {subject} is missing", erasure.id)));
    };
    // Decided before anyone is signed out, under the organization's lock (two owners' erasures
    // due at once see each other's outcome), and again in the erasing transaction below.
    let decided = k.begin_write().await?;
    organizations::Entity::find_by_id(org).lock(super::ORGANIZATION_LOCK).one(&decided).await?;
    if last_owner(&decided, &user).await? {
        return call_off_as_last_owner(k, decided, &erasure, subject).await;
    }
    drop(decided);
    no_export_being_written(&k.db, org, erasure.id).await?;
    sign_out(k, &erasure, vec![subject], None).await?;

    let tx = k.begin_write().await?;
    // Serialises with the organization's other erasures and exports.
    organizations::Entity::find_by_id(org).lock(super::ORGANIZATION_LOCK).one(&tx).await?;
    let Some(erasure) = Entity::find_by_id(erasure.id).lock_exclusive().one(&tx).await? else { return Ok(()) };
    if ErasureStatus::parse(&erasure.status) != ErasureStatus::Erasing {
        return Ok(());
    }
    // As they are now (their address or role may have changed since the first look).
    let Some(user) = users::Entity::find_by_id(subject).one(&tx).await? else {
        return Err(DomainError::internal(format!("erasure {}: user {subject} is missing", erasure.id)));
    };
    if last_owner(&tx, &user).await? {
        return call_off_as_last_owner(k, tx, &erasure, subject).await;
    }
    // An archive being written would hold them after the erasure (tried again later).
    no_export_being_written(&tx, org, erasure.id).await?;
    let mut redaction = Redaction::default();
    redaction.user(user.id, &user.name, &user.email);
    // Their own archives go; the organization's other archives, which may hold them too, end
    // early (owners export again).
    let files: Vec<String> = organization_exports::Entity::find()
        .select_only()
        .column(organization_exports::Column::StorageKey)
        .filter(organization_exports::Column::OrganizationId.eq(org))
        .into_tuple::<Option<String>>()
        .all(&tx)
        .await?
        .into_iter()
        .flatten()
        .collect();
    organization_exports::Entity::delete_many()
        .filter(organization_exports::Column::SubjectUserId.eq(subject))
        .exec(&tx)
        .await?;
    organization_exports::Entity::update_many()
        .col_expr(organization_exports::Column::Status, Expr::value("expired"))
        .col_expr(organization_exports::Column::StorageKey, Expr::value(Option::<String>::None))
        .col_expr(organization_exports::Column::LinkHash, Expr::value(Option::<String>::None))
        .filter(organization_exports::Column::OrganizationId.eq(org))
        // A failed one too: its job would try again and write them back.
        .filter(
            Condition::any()
                .add(organization_exports::Column::StorageKey.is_not_null())
                .add(organization_exports::Column::Status.eq("failed")),
        )
        .exec(&tx)
        .await?;
    let mut counts: BTreeMap<String, Erasure> = BTreeMap::new();
    // Children first: a row naming them goes (or loses them) before their account does.
    for table in TABLES.iter().rev() {
        // Audit trails are redacted as chains below; the erasure's own row is the tombstone.
        if table.name == "audit_events" || table.erased == Erased::Tombstone {
            continue;
        }
        let Some(rows) = table.naming(user.id, &user.email) else { continue };
        let count = match table.person_erased {
            PersonErased::Deleted => {
                let delete = Query::delete().from_table(Alias::new(table.name)).cond_where(rows).to_owned();
                Erasure { deleted: tx.execute(&delete).await?.rows_affected(), redacted: 0 }
            }
            PersonErased::Redacted => {
                Erasure { deleted: 0, redacted: super::redact_table(&tx, table, rows, &redaction, &[]).await? }
            }
        };
        if count.deleted + count.redacted > 0 {
            counts.insert(table.name.to_owned(), count);
        }
    }
    // Earlier requests about them (cancelled) are forgotten with them; who asked for others'
    // is forgotten too.
    Entity::delete_many().filter(Column::UserId.eq(subject)).filter(Column::Id.ne(erasure.id)).exec(&tx).await?;
    for column in [Column::RequestedBy, Column::CancelledBy] {
        Entity::update_many()
            .col_expr(column, Expr::value(Option::<Uuid>::None))
            .filter(column.eq(subject))
            .filter(Column::Id.ne(erasure.id))
            .exec(&tx)
            .await?;
    }
    let forgotten = Forgotten { users: vec![subject], needles: needles(&user) };
    let audit_redacted = crate::audit::redaction::forget(&tx, &forgotten, &redaction, None, "user_erased").await?;
    if audit_redacted > 0 {
        counts.insert("audit_events".to_owned(), Erasure { deleted: 0, redacted: audit_redacted });
    }
    let jobs_deleted = delete_jobs_naming(&tx, &needles(&user), None).await?;
    if jobs_deleted > 0 {
        counts.insert("jobs".to_owned(), Erasure { deleted: jobs_deleted, redacted: 0 });
    }
    let now = tx.now();
    let counts = serde_json::json!({ "tables": counts });
    let mut done: organization_erasures::ActiveModel = erasure.clone().into();
    done.status = Set(ErasureStatus::Erased.as_str().into());
    done.user_id = Set(None);
    done.requested_by = Set(None);
    done.cancelled_by = Set(None);
    done.erased_at = Set(Some(now));
    done.counts = Set(Some(counts.clone()));
    Entity::update(done).exec(&tx).await?;
    crate::audit::record(
        &tx,
        crate::audit::NewAuditEvent {
            organization_id: Some(crate::ids::OrganizationId(org)),
            actor_user_id: None,
            action: "user.erased",
            target: Some(("erasure", erasure.id.to_string())),
            meta: &crate::tenant::RequestMeta::default(),
            details: counts,
        },
    )
    .await?;
    tx.commit().await?;
    k.principals.invalidate(subject);
    for key in files {
        if let Err(e) = k.evidence_store.delete(&key).await {
            tracing::warn!(erasure = %erasure.id, key = %key, error = %e, "an archive naming an erased person was not deleted");
        }
    }
    info!(erasure = %erasure.id, organization = %org, "person erased");
    Ok(())
}
