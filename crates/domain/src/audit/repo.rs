use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use uuid::Uuid;

use super::chain::Pending;
use crate::entities::audit_events::{Column, Entity};
use crate::error::DomainResult;
use crate::ids::{OrganizationId, UserId};
use crate::pagination::{Page, PageRequest};
use crate::tenant::{AdminCtx, RequestMeta};

/// One audit event to write, in the same transaction as the change it describes.
#[derive(Debug)]
pub struct NewAuditEvent<'a> {
    pub organization_id: Option<OrganizationId>,
    pub actor_user_id: Option<UserId>,
    pub action: &'static str,
    pub target: Option<(&'static str, String)>,
    pub meta: &'a RequestMeta,
    pub details: serde_json::Value,
}

impl<'a> NewAuditEvent<'a> {
    /// A user acting on their own account (sign-in, refresh, sign-out…), in their organization.
    pub(crate) fn by_user(
        user: &crate::entities::users::Model,
        action: &'static str,
        meta: &'a RequestMeta,
        details: serde_json::Value,
    ) -> Self {
        Self {
            organization_id: Some(OrganizationId(user.organization_id)),
            actor_user_id: Some(UserId(user.id)),
            action,
            target: Some(("user", user.id.to_string())),
            meta,
            details,
        }
    }
}

// No organization: the trail is only ever read within the caller's own organization.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = AuditEventDto))]
pub struct AuditEvent {
    pub id: Uuid,
    pub actor_user_id: Option<Uuid>,
    /// Dotted action name, e.g. `auth.login`, `user.invited`, `user.role_changed`.
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
    /// The event's place in the organization's hash chain (`GET /api/v1/audit-events/verify`);
    /// null for a moment after an update, until the worker seals events an older version wrote.
    pub seq: Option<i64>,
    /// SHA-256 of the event's canonical content and the previous event's hash (lowercase hex).
    pub hash: Option<String>,
}

#[derive(Debug, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// What an API key did names the key as its actor (there is no user).
fn with_key_actor(details: serde_json::Value, meta: &RequestMeta) -> serde_json::Value {
    let Some(key) = &meta.api_key else { return details };
    let actor = serde_json::json!({ "id": key.id, "name": key.name, "prefix": key.prefix });
    match details {
        serde_json::Value::Object(mut map) => {
            map.insert("actor_api_key".into(), actor);
            serde_json::Value::Object(map)
        }
        other => serde_json::json!({ "actor_api_key": actor, "details": other }),
    }
}

/// Recorded with the transaction: the event is chained and inserted when `conn` commits
/// (`audit::chain`), and never if it rolls back.
pub async fn record(conn: &crate::WriteTx, event: NewAuditEvent<'_>) -> DomainResult<()> {
    conn.defer_audit(vec![pending(conn, event)]);
    Ok(())
}

/// Several events, chained in the given order (a page of reads, each recorded).
pub async fn record_many(conn: &crate::WriteTx, events: Vec<NewAuditEvent<'_>>) -> DomainResult<()> {
    conn.defer_audit(events.into_iter().map(|e| pending(conn, e)).collect());
    Ok(())
}

fn pending(conn: &crate::WriteTx, event: NewAuditEvent<'_>) -> Pending {
    let (target_type, target_id) = match event.target {
        Some((t, id)) => (Some(t.to_owned()), Some(id)),
        None => (None, None),
    };
    Pending {
        id: Uuid::now_v7(),
        organization_id: event.organization_id.map(|o| o.0),
        actor_user_id: event.actor_user_id.map(|u| u.0),
        action: event.action.to_owned(),
        target_type,
        target_id,
        client_ip: event.meta.client_ip.clone(),
        request_id: event.meta.request_id.clone(),
        details: with_key_actor(event.details, event.meta),
        created_at: conn.now(),
        seq: None,
        prev_hash: None,
        hash: None,
        salt: None,
        personal_digest: None,
        redacted_at: None,
    }
}

/// Newest first; the cursor is the last id seen (ids are time-ordered UUID v7).
pub async fn list(
    k: &crate::Kensa,
    admin: AdminCtx<'_>,
    filter: &AuditFilter,
    page: &PageRequest,
) -> DomainResult<Page<AuditEvent>> {
    let mut v = crate::users::model::Validator::default();
    for (field, at) in [("from", filter.from), ("to", filter.to)] {
        v.check(at.map(|at| crate::text::datetime(field, at)).transpose());
    }
    if let Some(action) = &filter.action {
        v.check(crate::text::one_line("action", action, 100));
    }
    v.finish()?;
    let mut query = Entity::find().filter(Column::OrganizationId.eq(admin.tenant().org_id().0));
    if let Some(action) = &filter.action {
        query = query.filter(Column::Action.eq(action.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(Column::CreatedAt.lt(to));
    }
    if let Some(cursor) = page.cursor {
        query = query.filter(Column::Id.lt(cursor));
    }
    let rows = query.order_by_desc(Column::Id).limit(page.limit + 1).all(&k.db).await?;
    Ok(Page::from_rows(rows, page.limit, |r| r.id).map(|r| AuditEvent {
        id: r.id,
        actor_user_id: r.actor_user_id,
        action: r.action,
        target_type: r.target_type,
        target_id: r.target_id,
        client_ip: r.client_ip,
        request_id: r.request_id,
        details: r.details,
        created_at: r.created_at,
        seq: r.seq,
        hash: r.hash,
    }))
}

/// The audit event of an action taken by the context's user, in the context's organization.
pub async fn record_action(
    conn: &crate::WriteTx,
    ctx: &crate::tenant::TenantCtx,
    action: &'static str,
    target: Option<(&'static str, String)>,
    details: serde_json::Value,
) -> DomainResult<()> {
    record(
        conn,
        NewAuditEvent {
            organization_id: Some(ctx.org_id()),
            actor_user_id: ctx.user_id(),
            action,
            target,
            meta: ctx.meta(),
            details,
        },
    )
    .await
}

/// The same action by the context's user, recorded in other organizations' trails (one
/// event per `(organization, target id)`, one statement): a share's owner when its recipient
/// reads it, a Tier-1 when its buyer reads or ends a forward. The details name the acting
/// organization (`by_organization_id`, and `by_api_key` when a key acted); the caller's
/// address, request id and key details stay in its own trail.
pub async fn record_in_trails_of(
    conn: &crate::WriteTx,
    ctx: &crate::tenant::TenantCtx,
    action: &'static str,
    target_kind: &'static str,
    targets: impl IntoIterator<Item = (uuid::Uuid, uuid::Uuid)>,
    details: serde_json::Value,
) -> DomainResult<()> {
    let mut details = details;
    if let serde_json::Value::Object(map) = &mut details {
        map.insert("by_organization_id".into(), serde_json::json!(ctx.org_id().0));
        if ctx.meta().api_key.is_some() {
            map.insert("by_api_key".into(), serde_json::json!(true));
        }
    }
    let meta = RequestMeta::default();
    let events = targets
        .into_iter()
        .map(|(organization, target)| NewAuditEvent {
            organization_id: Some(crate::ids::OrganizationId(organization)),
            actor_user_id: ctx.user_id(),
            action,
            target: Some((target_kind, target.to_string())),
            meta: &meta,
            details: details.clone(),
        })
        .collect();
    record_many(conn, events).await
}
