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

/// The events a redaction record names (`details.events`: their `seq`).
pub fn declared(details: &Value) -> impl Iterator<Item = i64> + '_ {
    details.get("events").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_i64)
}

/// Who is forgotten: erased users' ids, and the texts (ids, lowercased addresses and names)
/// that find the events naming them.
#[derive(Debug, Default)]
pub struct Forgotten {
    pub users: Vec<Uuid>,
    pub needles: Vec<String>,
}

impl Forgotten {
    /// The events that may name someone forgotten; the redaction decides which do.
    fn condition(&self) -> Condition {
        let details = Func::lower(Expr::col(Column::Details).cast_as(Alias::new("TEXT")));
        let mut any = Condition::any();
        if !self.users.is_empty() {
            any = any.add(Column::ActorUserId.is_in(self.users.clone()));
        }
        for needle in &self.needles {
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
    let mut query = Entity::find().filter(forgotten.condition());
    if let Some(org) = except {
        query = query.filter(Column::OrganizationId.ne(org).or(Column::OrganizationId.is_null()));
    }
    let now = tx.now();
    let mut by_chain: BTreeMap<Option<Uuid>, Vec<i64>> = BTreeMap::new();
    let mut changed = 0;
    for event in query.order_by_asc(Column::Id).all(tx).await? {
        let mut personal = json!({
            "actor_user_id": event.actor_user_id,
            "target_id": event.target_id,
            "details": event.details,
        });
        let by_forgotten = event.actor_user_id.is_some_and(|u| forgotten.users.contains(&u));
        if !redaction.row("audit_events", &[], &mut personal) && !by_forgotten {
            continue;
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
            by_chain.entry(event.organization_id).or_default().push(seq);
        }
        update.exec(tx).await?;
        changed += 1;
    }
    let meta = crate::tenant::RequestMeta::default();
    let records = by_chain
        .into_iter()
        .map(|(organization, events)| crate::audit::NewAuditEvent {
            organization_id: organization.map(crate::ids::OrganizationId),
            actor_user_id: None,
            action: RECORD,
            target: None,
            meta: &meta,
            details: json!({ "events": events, "reason": reason }),
        })
        .collect();
    crate::audit::record_many(tx, records).await?;
    Ok(changed)
}
