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
/// owners. Returns how many it recorded.
pub async fn record_due(k: &crate::Kensa, now: DateTime<Utc>) -> DomainResult<usize> {
    let heads =
        k.db.query_all_raw(statement(
            k.db.get_database_backend(),
            "SELECT chain, seq, hash, started_at FROM audit_chain_heads WHERE chain <> $1 AND seq > 0",
            vec![SYSTEM_CHAIN.into()],
        ))
        .await?;
    let latest: Vec<(Uuid, i64, DateTime<Utc>)> = audit_checkpoints::Entity::find()
        .select_only()
        .column(audit_checkpoints::Column::OrganizationId)
        .column_as(audit_checkpoints::Column::Seq.max(), "seq")
        .column_as(audit_checkpoints::Column::CreatedAt.max(), "created_at")
        .group_by(audit_checkpoints::Column::OrganizationId)
        .into_tuple()
        .all(&k.db)
        .await?;
    let latest: std::collections::HashMap<Uuid, (i64, DateTime<Utc>)> =
        latest.into_iter().map(|(org, seq, at)| (org, (seq, at))).collect();
    let mut recorded = 0;
    for head in heads {
        if recorded == PER_PASS {
            break;
        }
        let chain: String = head.try_get("", "chain")?;
        let Ok(org) = chain.parse::<Uuid>() else { continue };
        let (seq, hash, started): (i64, String, DateTime<Utc>) =
            (head.try_get("", "seq")?, head.try_get("", "hash")?, head.try_get("", "started_at")?);
        let (last_seq, since) = latest.get(&org).copied().unwrap_or((0, started));
        if seq <= last_seq || now - since < INTERVAL {
            continue;
        }
        record(k, org, seq, hash, now).await?;
        recorded += 1;
    }
    Ok(recorded)
}

async fn record(k: &crate::Kensa, org: Uuid, seq: i64, hash: String, now: DateTime<Utc>) -> DomainResult<()> {
    let tx = k.begin_write().await?;
    // An organization that is gone keeps no checkpoints (and has no one to mail).
    if organizations::Entity::find_by_id(org).one(&tx).await?.is_none() {
        return Ok(tx.commit().await?);
    }
    let id = Uuid::now_v7();
    let inserted = audit_checkpoints::Entity::insert(audit_checkpoints::ActiveModel {
        id: Set(id),
        organization_id: Set(org),
        seq: Set(seq),
        hash: Set(hash),
        created_at: Set(now),
    })
    .on_conflict_do_nothing_on([audit_checkpoints::Column::OrganizationId, audit_checkpoints::Column::Seq])
    .exec_without_returning(&tx)
    .await?;
    // Another worker recorded this head a moment ago, and queued the mails.
    if !matches!(inserted, sea_orm::TryInsertResult::Inserted(1)) {
        return Ok(tx.commit().await?);
    }
    for owner in owners(&tx, org).await? {
        jobs::enqueue(&tx, &Job::AuditCheckpointMail { checkpoint_id: id, user_id: owner }, now).await?;
    }
    tx.commit().await?;
    k.wake_worker();
    Ok(())
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
    let Some(user) = users::Entity::find_by_id(user_id).one(&k.db).await? else { return Ok(None) };
    if user.organization_id != checkpoint.organization_id || !user.active || user.role != Role::Owner.as_str() {
        return Ok(None);
    }
    let Some(org) = organizations::Entity::find_by_id(checkpoint.organization_id).one(&k.db).await? else {
        return Ok(None);
    };
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
