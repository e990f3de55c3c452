//! Recomputes an audit chain and reports the first broken link, or that it is intact.

use std::collections::BTreeMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use uuid::Uuid;

use super::chain::{self, GENESIS};
use crate::db::statement;
use crate::entities::{audit_checkpoints, audit_events};
use crate::error::DomainResult;

/// Events read per query while walking a chain.
const PAGE: u64 = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChainStatus {
    /// Every event hashes to what it stored and links to the one before; the head and the
    /// checkpoints agree.
    Intact,
    /// See `broken`.
    Broken,
}

/// What is wrong at the first broken link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Break {
    /// The event's content no longer hashes to the hash stored with it: it was edited.
    /// `expected_hash` is the stored hash, `found_hash` what the content hashes to now.
    ContentChanged,
    /// The event does not link to the event before it (`expected_hash`, that event's hash;
    /// `found_hash`, the link it stores): the event before it was edited together with its
    /// hash, or replaced.
    LinkBroken,
    /// Events before this one are missing (deleted): its `seq` skips. `expected_hash` is the
    /// hash of the last event before the gap, `found_hash` the link this event stores.
    EventsMissing,
    /// The chain ends before its head: its last events were deleted. `expected_hash` is the
    /// head's hash, `found_hash` the last event's.
    TailMissing,
    /// The chain's head is gone while its events are there (`event_id`, `seq`: the last
    /// event; `expected_hash` the genesis an empty chain would have).
    HeadMissing,
    /// The chain's last event does not have the head's hash (`expected_hash`): it was
    /// replaced together with its stored hash.
    HeadMismatch,
    /// An event lies past the chain's head (`expected_hash`, the head's hash; `found_hash`,
    /// the link it stores): it was added without moving the head.
    BeyondHead,
    /// An event has no place in the chain after the sealing window (24 hours after the
    /// upgrade that introduced the chain): it was inserted directly (`seq` 0, no hashes).
    Unsealed,
    /// The event at a checkpoint's `seq` does not have the checkpoint's hash (the chain was
    /// rewritten from there on, or the checkpoint given was not this chain's).
    CheckpointMismatch,
    /// An event is marked redacted, but no redaction record (`audit.redacted`) later in the
    /// chain names it (its personal fields were replaced outside an erasure), or the record
    /// says it had a digest that it no longer has. `expected_hash` is empty, `found_hash` the
    /// event's hash.
    RedactionUndeclared,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BrokenLink {
    pub problem: Break,
    /// The event where the chain breaks; null when it is missing (`tail_missing`).
    pub event_id: Option<Uuid>,
    /// Its place in the chain.
    pub seq: i64,
    /// SHA-256, lowercase hex.
    pub expected_hash: String,
    pub found_hash: String,
}

/// The outcome of a verification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verification {
    pub status: ChainStatus,
    /// The organization's id, or `system` for the events of no organization.
    pub chain: String,
    /// Events checked.
    pub events: u64,
    /// The last event's place in the chain (0 for an empty chain).
    pub head_seq: i64,
    /// The last event's hash (the genesis, 64 zeros, for an empty chain). Compare it with the
    /// checkpoints mailed to the owners.
    pub head_hash: String,
    /// Checkpoints compared with the chain (the worker's, and the one given, if any).
    pub checkpoints: u64,
    /// Events stored without a place in the chain: recorded by an older version during an
    /// update, which the worker seals within minutes. After the sealing window they break the
    /// chain (`unsealed`).
    pub unsealed: u64,
    /// Events whose personal fields an erasure replaced (each named by a redaction record in
    /// the chain). Their other fields still verify; those of the first form (before the
    /// upgrade that added the digest) only by their link.
    pub redacted: u64,
    /// The first broken link, when `status` is `broken`.
    pub broken: Option<BrokenLink>,
}

/// A checkpoint to compare with the chain: the event at `seq` must have `hash`.
#[derive(Clone, Debug)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
}

impl Checkpoint {
    /// The checkpoint of a mail (`seq` and `hash` together, or neither), checked.
    pub fn parse(seq: Option<i64>, hash: Option<&str>) -> DomainResult<Option<Self>> {
        use crate::error::{ErrorCode, FieldError};
        let mut v = crate::users::model::Validator::default();
        match (seq, hash) {
            (None, None) => return Ok(None),
            (Some(_), None) => v.check::<()>(Err(FieldError::new("hash", ErrorCode::Required, "give hash with seq"))),
            (None, Some(_)) => v.check::<()>(Err(FieldError::new("seq", ErrorCode::Required, "give seq with hash"))),
            (Some(_), Some(_)) => None,
        };
        if seq.is_some_and(|s| s < 1) {
            v.check::<()>(Err(FieldError::new("seq", ErrorCode::OutOfRange, "an event number is 1 or more")));
        }
        if hash.is_some_and(|h| h.len() != 64 || !h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))) {
            v.check::<()>(Err(FieldError::new(
                "hash",
                ErrorCode::InvalidValue,
                "a SHA-256 hash is 64 lowercase hexadecimal digits",
            )));
        }
        v.finish()?;
        Ok(seq.zip(hash).map(|(seq, hash)| Self { seq, hash: hash.to_owned() }))
    }
}

/// Verifies the chain of `organization` (`None`: the events of no organization), against
/// the worker's checkpoints and `given`.
///
/// Everything is read in one snapshot (a read-only REPEATABLE READ transaction on PostgreSQL,
/// one read transaction on SQLite): events and checkpoints written meanwhile are not seen, so
/// they cannot look like a break, and anything past the head is tampering.
pub async fn verify(
    k: &crate::Kensa,
    organization: Option<Uuid>,
    given: Option<Checkpoint>,
) -> DomainResult<Verification> {
    use sea_orm::{AccessMode, DatabaseBackend, IsolationLevel, TransactionTrait};
    let snapshot = match k.db.get_database_backend() {
        DatabaseBackend::Postgres => {
            k.db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await?
        }
        _ => k.db.begin().await?,
    };
    let sealing = chain::sealing_open(&snapshot, k.now()).await?;
    let report = walk(&snapshot, organization, given, sealing).await;
    // Read only: nothing to keep.
    let _ = snapshot.rollback().await;
    report
}

async fn walk(
    db: &impl ConnectionTrait,
    organization: Option<Uuid>,
    given: Option<Checkpoint>,
    sealing: bool,
) -> DomainResult<Verification> {
    let key = chain::chain_key(organization);
    let head = db
        .query_one_raw(statement(
            db.get_database_backend(),
            "SELECT seq, hash FROM audit_chain_heads WHERE chain = $1",
            vec![key.clone().into()],
        ))
        .await?;
    let in_chain = || match organization {
        Some(org) => audit_events::Column::OrganizationId.eq(org),
        None => audit_events::Column::OrganizationId.is_null(),
    };
    let (head_seq, head_hash): (i64, String) = match head {
        Some(row) => (row.try_get("", "seq")?, row.try_get("", "hash")?),
        None => (0, GENESIS.to_owned()),
    };
    let headless = match head_seq {
        0 => {
            audit_events::Entity::find()
                .filter(in_chain())
                .filter(audit_events::Column::Seq.is_not_null())
                .order_by_desc(audit_events::Column::Seq)
                .one(db)
                .await?
        }
        _ => None,
    };
    let mut checkpoints: BTreeMap<i64, String> = BTreeMap::new();
    if let Some(org) = organization {
        for c in
            audit_checkpoints::Entity::find().filter(audit_checkpoints::Column::OrganizationId.eq(org)).all(db).await?
        {
            checkpoints.insert(c.seq, c.hash);
        }
    }
    let mut compared = checkpoints.len() as u64;
    // A given checkpoint that disagrees with a stored one is checked against the chain too.
    let given_apart = given.filter(|g| checkpoints.get(&g.seq).is_none_or(|h| *h != g.hash));
    if given_apart.is_some() {
        compared += 1;
    }
    let unsealed =
        audit_events::Entity::find().filter(in_chain()).filter(audit_events::Column::Seq.is_null()).count(db).await?;

    let mut report = Verification {
        status: ChainStatus::Intact,
        chain: key,
        events: 0,
        head_seq,
        head_hash: head_hash.clone(),
        checkpoints: compared,
        unsealed,
        redacted: 0,
        broken: None,
    };
    let broken = |mut report: Verification, link: BrokenLink| {
        report.status = ChainStatus::Broken;
        report.broken = Some(link);
        Ok(report)
    };
    // Past the head, in a snapshot: events added without moving the head.
    let beyond = audit_events::Entity::find()
        .filter(in_chain())
        .filter(audit_events::Column::Seq.gt(head_seq))
        .order_by_asc(audit_events::Column::Seq)
        .one(db)
        .await?;
    if head_seq > 0
        && let Some(event) = beyond
    {
        let link = BrokenLink {
            problem: Break::BeyondHead,
            event_id: Some(event.id),
            seq: event.seq.unwrap_or_default(),
            expected_hash: head_hash,
            found_hash: event.prev_hash.unwrap_or_default(),
        };
        return broken(report, link);
    }
    // Once the sealing window has closed, an event without a place in the chain was not
    // written by Kensa.
    if unsealed > 0 && !sealing {
        let first = audit_events::Entity::find()
            .filter(in_chain())
            .filter(audit_events::Column::Seq.is_null())
            .order_by_asc(audit_events::Column::Id)
            .one(db)
            .await?;
        let link = BrokenLink {
            problem: Break::Unsealed,
            event_id: first.map(|e| e.id),
            seq: 0,
            expected_hash: String::new(),
            found_hash: String::new(),
        };
        return broken(report, link);
    }
    if let Some(last) = headless {
        let link = BrokenLink {
            problem: Break::HeadMissing,
            event_id: Some(last.id),
            seq: last.seq.unwrap_or_default(),
            expected_hash: GENESIS.to_owned(),
            found_hash: last.hash.unwrap_or_default(),
        };
        return broken(report, link);
    }
    let (mut last_seq, mut last_hash, mut last_id) = (0_i64, GENESIS.to_owned(), None);
    // Redacted events (with whether they kept a digest), the events the chain's redaction
    // records name, and those of them that had the second form.
    let (mut redacted, mut declared, mut digested) =
        (Vec::new(), std::collections::HashSet::new(), std::collections::HashSet::new());
    loop {
        let rows = audit_events::Entity::find()
            .filter(in_chain())
            .filter(audit_events::Column::Seq.gt(last_seq))
            .filter(audit_events::Column::Seq.lte(head_seq))
            .order_by_asc(audit_events::Column::Seq)
            .limit(PAGE)
            .all(db)
            .await?;
        let fetched = rows.len() as u64;
        for row in rows {
            let seq = row.seq.unwrap_or_default();
            let (stored_prev, stored_hash) =
                (row.prev_hash.clone().unwrap_or_default(), row.hash.clone().unwrap_or_default());
            let at = |problem, expected_hash: &str, found_hash: &str| BrokenLink {
                problem,
                event_id: Some(row.id),
                seq,
                expected_hash: expected_hash.to_owned(),
                found_hash: found_hash.to_owned(),
            };
            if seq != last_seq + 1 {
                return broken(report, at(Break::EventsMissing, &last_hash, &stored_prev));
            }
            if stored_prev != last_hash {
                return broken(report, at(Break::LinkBroken, &last_hash, &stored_prev));
            }
            if row.redacted_at.is_some() {
                // The personal fields were replaced: the rest still hashes to the link, through
                // the digest kept (second form); a first-form event keeps only its link.
                redacted.push((row.id, seq, stored_hash.clone(), row.personal_digest.is_some()));
            } else if let Some(stored_digest) = &row.personal_digest {
                let digest = chain::personal_digest(&row);
                if digest.as_ref() != Some(stored_digest) {
                    // Reported like any edit: the stored hash, and what the content hashes to now.
                    let now = audit_events::Model { personal_digest: digest, ..row.clone() };
                    return broken(
                        report,
                        at(Break::ContentChanged, &stored_hash, &chain::link(&stored_prev, &now, seq)),
                    );
                }
                if row.action == super::redaction::RECORD {
                    let (events, second_form) = super::redaction::declared(&row.details);
                    declared.extend(events);
                    digested.extend(second_form);
                }
            }
            if row.redacted_at.is_none() || row.personal_digest.is_some() {
                let found = chain::link(&stored_prev, &row, seq);
                if found != stored_hash {
                    return broken(report, at(Break::ContentChanged, &stored_hash, &found));
                }
            }
            for checkpoint in [checkpoints.get(&seq), given_apart.as_ref().filter(|g| g.seq == seq).map(|g| &g.hash)]
                .into_iter()
                .flatten()
            {
                if *checkpoint != stored_hash {
                    return broken(report, at(Break::CheckpointMismatch, checkpoint, &stored_hash));
                }
            }
            (last_seq, last_hash, last_id) = (seq, stored_hash, Some(row.id));
            report.events += 1;
        }
        if fetched < PAGE {
            break;
        }
    }
    report.redacted = redacted.len() as u64;
    // Undeclared, or declared with a digest it no longer has: without the digest the link
    // would not be checked, and the event's other fields could be changed unseen.
    let unsound = |(_, seq, _, has_digest): &(Uuid, i64, String, bool)| {
        !declared.contains(seq) || (digested.contains(seq) && !has_digest)
    };
    if let Some((id, seq, hash, _)) = redacted.into_iter().find(unsound) {
        let link = BrokenLink {
            problem: Break::RedactionUndeclared,
            event_id: Some(id),
            seq,
            expected_hash: String::new(),
            found_hash: hash,
        };
        return broken(report, link);
    }
    if last_seq == head_seq && last_hash != head_hash {
        // The last event was replaced, hash and all: the head still names the original.
        let link = BrokenLink {
            problem: Break::HeadMismatch,
            event_id: last_id,
            seq: last_seq,
            expected_hash: head_hash,
            found_hash: last_hash,
        };
        return broken(report, link);
    }
    if last_seq != head_seq {
        let link = BrokenLink {
            problem: Break::TailMissing,
            event_id: None,
            seq: last_seq + 1,
            expected_hash: head_hash,
            found_hash: last_hash,
        };
        return broken(report, link);
    }
    // A checkpoint past the head: the chain was cut back and the head rewritten with it.
    let beyond = checkpoints.iter().map(|(s, h)| (*s, h.clone())).chain(given_apart.map(|g| (g.seq, g.hash)));
    if let Some((seq, hash)) = beyond.filter(|(seq, _)| *seq > head_seq).min_by_key(|(seq, _)| *seq) {
        let link = BrokenLink {
            problem: Break::CheckpointMismatch,
            event_id: None,
            seq,
            expected_hash: hash,
            found_hash: report.head_hash.clone(),
        };
        return broken(report, link);
    }
    Ok(report)
}

/// The caller's organization's chain (owners and admins).
pub async fn verify_own(
    k: &crate::Kensa,
    admin: crate::tenant::AdminCtx<'_>,
    given: Option<Checkpoint>,
) -> DomainResult<Verification> {
    verify(k, Some(admin.tenant().org_id().0), given).await
}

/// Whether the organization `kensa-api audit verify --organization` names exists.
pub async fn organization_exists(k: &crate::Kensa, org: Uuid) -> DomainResult<bool> {
    Ok(crate::entities::organizations::Entity::find_by_id(org).one(&k.db).await?.is_some())
}

/// Every chain there is: the organizations', and the one of no organization.
pub async fn chains(k: &crate::Kensa) -> DomainResult<Vec<Option<Uuid>>> {
    let db = &k.db;
    let mut keys: Vec<Option<Uuid>> = audit_events::Entity::find()
        .select_only()
        .column(audit_events::Column::OrganizationId)
        .distinct()
        .into_tuple::<Option<Uuid>>()
        .all(db)
        .await?;
    let heads =
        db.query_all_raw(statement(db.get_database_backend(), "SELECT chain FROM audit_chain_heads", vec![])).await?;
    for head in heads {
        let key: String = head.try_get("", "chain")?;
        let org = if key == chain::SYSTEM_CHAIN { None } else { key.parse::<Uuid>().ok() };
        if !keys.contains(&org) {
            keys.push(org);
        }
    }
    keys.sort();
    Ok(keys)
}
