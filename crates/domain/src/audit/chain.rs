//! The audit trail as one hash chain per organization: tamper-evident, not tamper-proof.
//!
//! Each event stores its place in its organization's chain (`seq`, from 1), the hash of the
//! event before it (`prev_hash`; the first links to [`GENESIS`]) and its own `hash`: the
//! SHA-256 of `prev_hash`, a line break and the event's [`canonical`] text. Editing an event
//! changes what its content hashes to; deleting one leaves a gap in `seq` and a `prev_hash`
//! that links to nothing; rewriting the chain from some point on to hide either changes every
//! later hash, the head (`audit_chain_heads`) and the checkpoints mailed to the owners.
//!
//! Events are chained when their transaction commits ([`crate::WriteTx::commit`]): the chain
//! heads of the organizations it recorded events for are locked in one order (`SELECT … FOR
//! UPDATE` on PostgreSQL; SQLite has one writer), extended, and the events inserted. The chain
//! is therefore in commit order, and concurrent writers never interleave within a chain or
//! deadlock across chains.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryResult, Statement};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::statement;
use crate::entities::audit_events;

/// What the first event of a chain links to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// The chain of events that belong to no organization (a sign-in to an unknown address…).
pub const SYSTEM_CHAIN: &str = "system";
/// Names the first canonical form: every field of the event, hashed as it stands.
const FORM: &str = "kensa-audit-v1";
/// Names the second form (events with a `personal_digest`): the personal fields (actor,
/// target id, client address, details) enter the hash through their salted digest, so that an
/// erasure can replace them (`audit::redaction`) and the chain still verifies. A later change
/// must be a new version, verified as such.
const FORM_V2: &str = "kensa-audit-v2";
/// Events inserted per statement (SQLite binds at most 32,766 values; an event takes 13).
const INSERT_CHUNK: usize = 500;

/// An audit event as recorded, before it takes its place in the chain: the row with `seq`,
/// `prev_hash` and `hash` still empty ([`extend`] fills them in).
pub type Pending = audit_events::Model;

/// The chain an organization's events (or, for `None`, the events of no organization) are in.
pub fn chain_key(organization: Option<Uuid>) -> String {
    organization.map_or_else(|| SYSTEM_CHAIN.to_owned(), |o| o.to_string())
}

/// The event's content as one line of JSON: a fixed array of its fields, timestamps to the
/// microsecond (what both databases store), object keys sorted at every depth (PostgreSQL's
/// `jsonb` does not keep them in order), no insignificant space. Events with a
/// `personal_digest` take the second form, which hashes it in place of the personal fields.
pub fn canonical(e: &Pending, seq: i64) -> String {
    if let Some(digest) = &e.personal_digest {
        let fields = Value::Array(vec![
            Value::from(FORM_V2),
            Value::from(chain_key(e.organization_id)),
            Value::from(seq),
            Value::from(e.id.to_string()),
            Value::from(timestamp(e)),
            Value::from(e.action.as_str()),
            e.target_type.as_deref().map_or(Value::Null, Value::from),
            e.request_id.as_deref().map_or(Value::Null, Value::from),
            Value::from(digest.as_str()),
        ]);
        let mut out = String::new();
        write_sorted(&fields, &mut out);
        return out;
    }
    let fields = Value::Array(vec![
        Value::from(FORM),
        Value::from(chain_key(e.organization_id)),
        Value::from(seq),
        Value::from(e.id.to_string()),
        Value::from(timestamp(e)),
        e.actor_user_id.map_or(Value::Null, |u| Value::from(u.to_string())),
        Value::from(e.action.as_str()),
        e.target_type.as_deref().map_or(Value::Null, Value::from),
        e.target_id.as_deref().map_or(Value::Null, Value::from),
        e.client_ip.as_deref().map_or(Value::Null, Value::from),
        e.request_id.as_deref().map_or(Value::Null, Value::from),
        e.details.clone(),
    ]);
    let mut out = String::new();
    write_sorted(&fields, &mut out);
    out
}

fn timestamp(e: &Pending) -> String {
    e.created_at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The SHA-256 (lowercase hex) of the event's salt and its personal fields in canonical form:
/// what the second form hashes in their place. None without a salt (a redacted event, or one
/// of the first form).
pub fn personal_digest(e: &Pending) -> Option<String> {
    let salt = e.salt.as_deref()?;
    let fields = Value::Array(vec![
        Value::from(salt),
        e.actor_user_id.map_or(Value::Null, |u| Value::from(u.to_string())),
        e.target_id.as_deref().map_or(Value::Null, Value::from),
        e.client_ip.as_deref().map_or(Value::Null, Value::from),
        e.details.clone(),
    ]);
    let mut text = String::new();
    write_sorted(&fields, &mut text);
    Some(hex::encode(Sha256::digest(text.as_bytes())))
}

/// Gives a new event its salt and digest: it is chained in the second form.
pub(crate) fn salt(e: &mut Pending) {
    e.salt = Some(crate::auth::tokens::random_token());
    e.personal_digest = personal_digest(e);
}

fn write_sorted(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::from(key.as_str()).to_string());
                out.push(':');
                write_sorted(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_sorted(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The hash of an event at `seq` whose predecessor's hash is `prev` (lowercase hex).
pub fn link(prev: &str, e: &Pending, seq: i64) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev.as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical(e, seq).as_bytes());
    hex::encode(hasher.finalize())
}

/// Extends each chain by its events, in the order given, and moves the heads. The heads are
/// locked in the order of their keys: every writer takes them in that order, so two writers
/// that both record in organizations A and B wait for each other instead of deadlocking.
async fn extend(conn: &impl ConnectionTrait, events: Vec<Pending>, now: DateTime<Utc>) -> Result<Vec<Pending>, DbErr> {
    let mut chains: BTreeMap<String, Vec<Pending>> = BTreeMap::new();
    for event in events {
        chains.entry(chain_key(event.organization_id)).or_default().push(event);
    }
    let mut linked = Vec::new();
    for (chain, events) in chains {
        let (mut seq, mut hash) = lock_head(conn, &chain, now).await?;
        for mut event in events {
            seq += 1;
            let next = link(&hash, &event, seq);
            event.seq = Some(seq);
            event.prev_hash = Some(std::mem::replace(&mut hash, next.clone()));
            event.hash = Some(next);
            linked.push(event);
        }
        let backend = conn.get_database_backend();
        conn.execute_raw(statement(
            backend,
            "UPDATE audit_chain_heads SET seq = $1, hash = $2 WHERE chain = $3",
            vec![seq.into(), hash.into(), chain.into()],
        ))
        .await?;
    }
    Ok(linked)
}

/// The chain's head, created at the genesis when it has none, and locked until the
/// transaction ends.
async fn lock_head(conn: &impl ConnectionTrait, chain: &str, now: DateTime<Utc>) -> Result<(i64, String), DbErr> {
    let backend = conn.get_database_backend();
    conn.execute_raw(statement(
        backend,
        "INSERT INTO audit_chain_heads (chain, seq, hash, started_at) VALUES ($1, 0, $2, $3) ON CONFLICT (chain) DO NOTHING",
        vec![chain.into(), GENESIS.into(), now.into()],
    ))
    .await?;
    // SQLite's one writer is the lock there (the write transaction began IMMEDIATE).
    let lock = if backend == sea_orm::DatabaseBackend::Postgres { " FOR UPDATE" } else { "" };
    let row = conn
        .query_one_raw(statement(
            backend,
            &format!("SELECT seq, hash FROM audit_chain_heads WHERE chain = $1{lock}"),
            vec![chain.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("the audit chain head of {chain}")))?;
    let head = head_of(&row)?;
    // A head at the genesis over a chain that has events: the head was deleted (or a partial
    // restore lost it). Restarting the chain would collide with its numbers or hide the loss:
    // refuse, loudly, until an operator looks (`kensa-api audit verify`).
    if head.0 == 0 {
        let count = "SELECT COUNT(*) AS n FROM audit_events WHERE seq IS NOT NULL AND organization_id";
        let query = match chain {
            SYSTEM_CHAIN => statement(backend, &format!("{count} IS NULL"), vec![]),
            _ => {
                let org = chain.parse::<Uuid>().map_err(|e| DbErr::Custom(e.to_string()))?;
                statement(backend, &format!("{count} = $1"), vec![org.into()])
            }
        };
        let chained = conn.query_one_raw(query).await?.map(|row| row.try_get::<i64>("", "n")).transpose()?.unwrap_or(0);
        if chained > 0 {
            tracing::error!(chain, chained, "the audit chain's head is missing while its events are there");
            return Err(DbErr::Custom(format!(
                "the audit chain head of {chain} is missing while {chained} chained events exist; run `kensa-api audit verify`"
            )));
        }
    }
    Ok(head)
}

fn head_of(row: &QueryResult) -> Result<(i64, String), DbErr> {
    Ok((row.try_get("", "seq")?, row.try_get("", "hash")?))
}

/// Chains and inserts the events a transaction recorded, just before it commits.
pub(crate) async fn append(conn: &impl ConnectionTrait, events: Vec<Pending>, now: DateTime<Utc>) -> Result<(), DbErr> {
    if events.is_empty() {
        return Ok(());
    }
    let mut events = events;
    events.iter_mut().for_each(salt);
    let mut rows = extend(conn, events, now).await?.into_iter().map(audit_events::ActiveModel::from).peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(INSERT_CHUNK).collect();
        audit_events::Entity::insert_many(chunk).exec_without_returning(conn).await?;
    }
    Ok(())
}

/// Events sealed per transaction by [`seal_unchained`].
const SEAL_BATCH: u64 = 500;

/// How long after the chain's migration events without a place in it are still sealed:
/// long enough for any rolling update to finish. After it, such an event is not one an older
/// version wrote but one someone inserted, and verification reports it instead.
pub const SEALING_WINDOW: chrono::Duration = chrono::Duration::hours(24);

/// When the chain's migration ran (`seaql_migrations.applied_at`, Unix seconds).
pub async fn chained_since(conn: &impl ConnectionTrait) -> Result<Option<DateTime<Utc>>, DbErr> {
    let row = conn
        .query_one_raw(statement(
            conn.get_database_backend(),
            "SELECT applied_at FROM seaql_migrations WHERE version = $1",
            vec!["m0022_audit_chain".into()],
        ))
        .await?;
    Ok(row.map(|r| r.try_get::<i64>("", "applied_at")).transpose()?.and_then(|s| DateTime::from_timestamp(s, 0)))
}

/// Whether events without a place in the chain are still sealed at `now` (see
/// [`SEALING_WINDOW`]).
pub async fn sealing_open(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<bool, DbErr> {
    Ok(chained_since(conn).await?.is_some_and(|since| now < since + SEALING_WINDOW))
}

/// Chains the events stored without a place in the chain, oldest first: those recorded before
/// the chain existed, and those an older version writes during a rolling update, for a
/// [`SEALING_WINDOW`] after the migration. Run after the migrations and by the worker.
/// Sealers take turns (an advisory lock on PostgreSQL; SQLite's one writer), and each
/// event is sealed exactly once or the batch rolls back. Returns how many it sealed.
pub async fn seal_unchained(k: &crate::Kensa) -> crate::error::DomainResult<u64> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    if !sealing_open(&k.db, k.now()).await? {
        return Ok(0);
    }
    let mut sealed = 0;
    loop {
        let tx = k.begin_write().await?;
        if tx.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            tx.execute_raw(Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                "SELECT pg_advisory_xact_lock(7316355)",
            ))
            .await?;
        }
        let batch = audit_events::Entity::find()
            .filter(audit_events::Column::Seq.is_null())
            .order_by_asc(audit_events::Column::Id)
            .limit(SEAL_BATCH)
            .all(&tx)
            .await?;
        if batch.is_empty() {
            tx.commit().await?;
            return Ok(sealed);
        }
        let count = batch.len() as u64;
        let backend = tx.get_database_backend();
        for l in extend(&tx, batch, tx.now()).await? {
            let updated = tx
                .execute_raw(statement(
                    backend,
                    "UPDATE audit_events SET seq = $1, prev_hash = $2, hash = $3 WHERE id = $4 AND seq IS NULL",
                    vec![l.seq.into(), l.prev_hash.into(), l.hash.into(), l.id.into()],
                ))
                .await?;
            if updated.rows_affected() != 1 {
                // Dropping `tx` rolls the batch back, heads included.
                return Err(crate::error::DomainError::Internal(format!("audit event {} was sealed meanwhile", l.id)));
            }
        }
        tx.commit().await?;
        sealed += count;
        if count < SEAL_BATCH {
            return Ok(sealed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(details: Value) -> Pending {
        Pending {
            id: Uuid::nil(),
            organization_id: Some(Uuid::nil()),
            actor_user_id: None,
            action: "user.invited".into(),
            target_type: Some("user".into()),
            target_id: Some("42".into()),
            client_ip: Some("192.0.2.1".into()),
            request_id: None,
            details,
            created_at: DateTime::<Utc>::from_timestamp_micros(1_764_000_000_123_456).unwrap_or_default(),
            seq: None,
            prev_hash: None,
            hash: None,
            salt: None,
            personal_digest: None,
            redacted_at: None,
        }
    }

    #[test]
    fn the_canonical_form_sorts_keys_at_every_depth_and_keeps_microseconds() {
        let a = event(serde_json::json!({ "b": 1, "a": { "z": [ { "y": 2, "x": 1 } ], "c": "ü\"" } }));
        let text = canonical(&a, 7);
        assert_eq!(
            text,
            r#"["kensa-audit-v1","00000000-0000-0000-0000-000000000000",7,"00000000-0000-0000-0000-000000000000","2025-11-24T16:00:00.123456Z",null,"user.invited","user","42","192.0.2.1",null,{"a":{"c":"ü\"","z":[{"x":1,"y":2}]},"b":1}]"#
        );
        // The same content in another key order hashes the same; another seq or link does not.
        let reordered = event(serde_json::json!({ "a": { "c": "ü\"", "z": [ { "x": 1, "y": 2 } ] }, "b": 1 }));
        assert_eq!(link(GENESIS, &a, 7), link(GENESIS, &reordered, 7));
        assert_ne!(link(GENESIS, &a, 7), link(GENESIS, &a, 8));
        assert_ne!(link(GENESIS, &a, 7), link(&link(GENESIS, &a, 7), &a, 7));
        assert_eq!(link(GENESIS, &a, 7).len(), 64);
    }

    #[test]
    fn the_second_form_hashes_the_personal_fields_through_their_salted_digest() {
        let mut a = event(serde_json::json!({ "email": "hanako@koki.example" }));
        salt(&mut a);
        let digest = a.personal_digest.clone().unwrap_or_default();
        assert_eq!(digest.len(), 64);
        let text = canonical(&a, 3);
        assert!(text.starts_with(r#"["kensa-audit-v2","#), "{text}");
        assert!(text.ends_with(&format!(r#",null,"{digest}"]"#)), "{text}");
        assert!(!text.contains("hanako") && !text.contains("192.0.2.1"), "{text}");
        // Replacing the personal fields leaves the link as it was while the digest is kept…
        let before = link(GENESIS, &a, 3);
        let mut redacted = a.clone();
        redacted.details = serde_json::json!({ "email": "erased@erased.invalid" });
        redacted.client_ip = None;
        assert_eq!(link(GENESIS, &redacted, 3), before);
        // …but the digest no longer matches them; another salt gives another digest.
        assert_ne!(personal_digest(&redacted), Some(digest.clone()));
        let mut b = a.clone();
        salt(&mut b);
        assert_ne!(b.personal_digest, Some(digest));
        // Another action changes the link.
        redacted.action = "user.deactivated".into();
        assert_ne!(link(GENESIS, &redacted, 3), before);
    }
}
