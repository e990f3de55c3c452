//! The daily checkpoints: each organization's chain head, recorded by the worker and mailed
//! to its owners. The mails are the copy outside Kensa's database: whoever later rewrites
//! the chain, its head and the checkpoints table cannot also rewrite the owners' mailboxes,
//! and the hash in any of those mails can be checked against the chain
//! (`GET /api/v1/audit-events/verify?seq=…&hash=…`).

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::chain::SYSTEM_CHAIN;
use crate::db::statement;
use crate::entities::{audit_checkpoints, organizations, users};
use crate::error::DomainResult;
use crate::jobs::{self, Job};
use crate::tenant::Role;

/// How often a changed chain is checkpointed.
pub const INTERVAL: Duration = Duration::hours(24);
/// Checkpoints recorded per worker pass at most (the rest on the next pass).
const PER_PASS: usize = 200;

/// Records a checkpoint for every organization whose chain grew since its last one, once that
/// is a day old (a new chain: a day after it began), and queues a mail to each of its active
/// owners. Returns how many it recorded. Cheap to call often: one query over the heads, which
/// carry when their chain was last checkpointed.
pub async fn record_due(k: &crate::Kensa, now: DateTime<Utc>) -> DomainResult<usize> {
    let due =
        k.db.query_all_raw(statement(
            k.db.get_database_backend(),
            "SELECT chain FROM audit_chain_heads \
             WHERE chain <> $1 AND seq > checkpoint_seq AND COALESCE(checkpoint_at, started_at) <= $2",
            vec![SYSTEM_CHAIN.into(), (now - INTERVAL).into()],
        ))
        .await?;
    let mut recorded = 0;
    for head in due.into_iter().take(PER_PASS) {
        let chain: String = head.try_get("", "chain")?;
        let Ok(org) = chain.parse::<Uuid>() else { continue };
        if record(k, org, now).await? {
            recorded += 1;
        }
    }
    Ok(recorded)
}

/// Records the organization's checkpoint if it is still due once its head is locked: workers
/// that find it due at once record it once, the first to lock it.
async fn record(k: &crate::Kensa, org: Uuid, now: DateTime<Utc>) -> DomainResult<bool> {
    let tx = k.begin_write().await?;
    let backend = tx.get_database_backend();
    // SQLite's one writer is the lock there.
    let lock = if backend == sea_orm::DatabaseBackend::Postgres { " FOR UPDATE" } else { "" };
    let head = tx
        .query_one_raw(statement(
            backend,
            &format!(
                "SELECT seq, hash, checkpoint_seq, COALESCE(checkpoint_at, started_at) AS since \
                 FROM audit_chain_heads WHERE chain = $1{lock}"
            ),
            vec![org.to_string().into()],
        ))
        .await?;
    let Some(head) = head else { return Ok(false) };
    let (seq, hash, last, since): (i64, String, i64, DateTime<Utc>) = (
        head.try_get("", "seq")?,
        head.try_get("", "hash")?,
        head.try_get("", "checkpoint_seq")?,
        head.try_get("", "since")?,
    );
    // An organization that is gone keeps no checkpoints (and has no one to mail).
    let gone = organizations::Entity::find_by_id(org).one(&tx).await?.is_none();
    if seq <= last || now - since < INTERVAL || gone {
        tx.commit().await?;
        return Ok(false);
    }
    let id = Uuid::now_v7();
    audit_checkpoints::Entity::insert(audit_checkpoints::ActiveModel {
        id: Set(id),
        organization_id: Set(org),
        seq: Set(seq),
        hash: Set(hash),
        created_at: Set(now),
    })
    .exec_without_returning(&tx)
    .await?;
    tx.execute_raw(statement(
        backend,
        "UPDATE audit_chain_heads SET checkpoint_seq = $1, checkpoint_at = $2 WHERE chain = $3",
        vec![seq.into(), now.into(), org.to_string().into()],
    ))
    .await?;
    for owner in owners(&tx, org).await? {
        jobs::enqueue(&tx, &Job::AuditCheckpointMail { checkpoint_id: id, user_id: owner }, now).await?;
    }
    tx.commit().await?;
    k.wake_worker();
    Ok(true)
}

async fn owners(conn: &impl ConnectionTrait, org: Uuid) -> DomainResult<Vec<Uuid>> {
    Ok(users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::OrganizationId.eq(org))
        .filter(users::Column::Role.eq(Role::Owner.as_str()))
        .filter(users::Column::Active.eq(true))
        .into_tuple()
        .all(conn)
        .await?)
}

/// What the checkpoint mail says.
#[derive(Clone, Debug)]
pub struct CheckpointNotice {
    pub to: String,
    pub name: String,
    pub locale: String,
    pub organization: String,
    pub seq: i64,
    pub hash: String,
    pub at: DateTime<Utc>,
    /// Where an owner checks the hash against the chain (the audit page of the API).
    pub verify_url: String,
}

/// `None` when the checkpoint, the user or their organization is gone, or the user is no
/// longer an active owner of it.
pub async fn prepare_mail(
    k: &crate::Kensa,
    checkpoint_id: Uuid,
    user_id: Uuid,
) -> DomainResult<Option<CheckpointNotice>> {
    let Some(checkpoint) = audit_checkpoints::Entity::find_by_id(checkpoint_id).one(&k.db).await? else {
        return Ok(None);
    };
    let Some((user, org)) = crate::users::repo::active_member(&k.db, user_id, checkpoint.organization_id).await? else {
        return Ok(None);
    };
    if user.role != Role::Owner.as_str() {
        return Ok(None);
    }
    let mut verify_url = k.public_url.clone();
    verify_url.set_path("/api/v1/audit-events/verify");
    verify_url.set_query(Some(&format!("seq={}&hash={}", checkpoint.seq, checkpoint.hash)));
    Ok(Some(CheckpointNotice {
        to: user.email,
        name: user.name,
        locale: user.locale,
        organization: org.name,
        seq: checkpoint.seq,
        hash: checkpoint.hash,
        at: checkpoint.created_at,
        verify_url: verify_url.to_string(),
    }))
}
