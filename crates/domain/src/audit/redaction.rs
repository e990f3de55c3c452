//! Forgetting a person in the audit trail without hiding that it happened.
//!
//! An erasure replaces the personal fields (actor, target id, client address, details) of
//! every event that names an erased person or organization, in every chain, marks the event
//! `redacted_at` and empties its salt, so that the digest kept can no longer confirm a guess of
//! what was there. The chain hashes the digest, not the fields (`kensa-audit-v2`), so it still
//! verifies; each chain then records one `audit.redacted` event naming the events it redacted.
//! Verification reports an event marked redacted that no such record names: marking events
//! redacted to hide an edit would need a new record in the chain, which moves its head past
//! every checkpoint mailed to the owners.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::entities::audit_events::{Column, Entity};
use crate::error::DomainResult;
use crate::portability::redact::Redaction;

/// The action of a redaction record.
pub const RECORD: &str = "audit.redacted";

/// The events a redaction record names (`details.events`: their `seq`), and those of them
/// that had the second form (`details.digested`): they must keep their digest.
pub fn declared(details: &Value) -> (Vec<i64>, Vec<i64>) {
    let seqs = |key: &str| -> Vec<i64> {
        details.get(key).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_i64).collect()
    };
    (seqs("events"), seqs("digested"))
}

/// Users, and texts, looked for per query (a user binds one value, a text two): well under
/// SQLite's and PostgreSQL's limits, and one scan of every trail per thousand.
const PER_QUERY: usize = 1000;

/// Who is forgotten: erased users' ids, and the texts (ids, lowercased addresses and names)
/// that find the events naming them.
#[derive(Debug, Default)]
pub struct Forgotten {
    pub users: Vec<Uuid>,
    pub needles: Vec<String>,
}

impl Forgotten {
    /// The events that may name someone forgotten, a query's worth at a time; the redaction
    /// decides which do.
    fn conditions(&self) -> Vec<Condition> {
        let users =
            self.users.chunks(PER_QUERY).map(|users| Condition::any().add(Column::ActorUserId.is_in(users.to_vec())));
        let mut texts = self.needles.chunks(PER_QUERY).map(Self::naming);
        // One scan of every trail per chunk: a person's id and texts go in one query.
        let mut all: Vec<Condition> = users
            .map(|u| match texts.next() {
                Some(t) => Condition::any().add(u).add(t),
                None => u,
            })
            .collect();
        all.extend(texts);
        all
    }

    fn naming(needles: &[String]) -> Condition {
        let details = Func::lower(Expr::col(Column::Details).cast_as(Alias::new("TEXT")));
        let mut any = Condition::any();
        for needle in needles {
            let escaped = needle.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            any = any
                .add(Column::TargetId.eq(needle.as_str()))
                .add(Expr::expr(details.clone()).like(LikeExpr::new(format!("%{escaped}%")).escape('\\')));
        }
        any
    }
}

/// Redacts the events of every chain but `except`'s (an erased organization's own, which go)
/// that name someone `forgotten`, and records in each chain touched which events it redacted
/// (`reason` says why). Returns how many events changed.
pub async fn forget(
    tx: &crate::WriteTx,
    forgotten: &Forgotten,
    redaction: &Redaction,
    except: Option<Uuid>,
    reason: &'static str,
) -> DomainResult<u64> {
    if forgotten.users.is_empty() && forgotten.needles.is_empty() {
        return Ok(0);
    }
    let now = tx.now();
    // Per chain: the events redacted, and those of them of the second form.
    let mut by_chain: BTreeMap<Option<Uuid>, (Vec<i64>, Vec<i64>)> = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    let mut changed = 0;
    for condition in forgotten.conditions() {
        let mut query = Entity::find().filter(condition);
        if let Some(org) = except {
            query = query.filter(Column::OrganizationId.ne(org).or(Column::OrganizationId.is_null()));
        }
        for event in query.order_by_asc(Column::Id).all(tx).await? {
            // Found again by another query: redacted already, for everyone forgotten.
            if !seen.insert(event.id) {
                continue;
            }
            changed += redact_event(tx, event, forgotten, redaction, now, &mut by_chain).await?;
        }
    }
    let meta = crate::tenant::RequestMeta::default();
    let records = by_chain
        .into_iter()
        .map(|(organization, (events, digested))| crate::audit::NewAuditEvent {
            organization_id: organization.map(crate::ids::OrganizationId),
            actor_user_id: None,
            action: RECORD,
            target: None,
            meta: &meta,
            details: json!({ "events": events, "digested": digested, "reason": reason }),
        })
        .collect();
    crate::audit::record_many(tx, records).await?;
    Ok(changed)
}

/// Redacts one event if it names someone forgotten; 1 when it changed.
async fn redact_event(
    tx: &crate::WriteTx,
    event: crate::entities::audit_events::Model,
    forgotten: &Forgotten,
    redaction: &Redaction,
    now: chrono::DateTime<chrono::Utc>,
    by_chain: &mut BTreeMap<Option<Uuid>, (Vec<i64>, Vec<i64>)>,
) -> DomainResult<u64> {
    let mut personal = json!({
        "actor_user_id": event.actor_user_id,
        "target_id": event.target_id,
        "details": event.details,
    });
    let by_forgotten = event.actor_user_id.is_some_and(|u| forgotten.users.contains(&u));
    if !redaction.row("audit_events", &[], &mut personal) && !by_forgotten {
        return Ok(0);
    }
    let field = |name: &str| personal.get(name).cloned().unwrap_or(Value::Null);
    let mut update = Entity::update_many()
        .col_expr(
            Column::ActorUserId,
            Expr::value(field("actor_user_id").as_str().and_then(|s| s.parse::<Uuid>().ok())),
        )
        .col_expr(Column::TargetId, Expr::value(field("target_id").as_str().map(str::to_owned)))
        .col_expr(Column::Details, Expr::value(field("details")))
        .filter(Column::Id.eq(event.id));
    if by_forgotten {
        // The address it came from was the erased person's.
        update = update.col_expr(Column::ClientIp, Expr::value(Option::<String>::None));
    }
    // An event not yet in the chain (an older version's, during an update) is sealed later
    // with what it holds now: it has nothing to declare.
    if let Some(seq) = event.seq {
        update = update
            .col_expr(Column::RedactedAt, Expr::value(now))
            .col_expr(Column::Salt, Expr::value(Option::<String>::None));
        let (events, digested) = by_chain.entry(event.organization_id).or_default();
        events.push(seq);
        if event.personal_digest.is_some() {
            digested.push(seq);
        }
    }
    update.exec(tx).await?;
    Ok(1)
}
