//! Sign-ins a user can see and end. A sign-in is one refresh-token family: it starts when a
//! password (and second factor) is given, every refresh and page view moves its
//! `last_used_at`, and it ends on sign-out, when the user ends it from another device,
//! after the organization's idle timeout or lifetime, after a password reset, or when a
//! leaked refresh token is replayed. Ending it revokes the family's refresh tokens and its
//! browser sessions; access tokens of the family are refused from then on (the principal
//! cache holds the answer a few seconds at most).

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::policy::{self, SecurityPolicy};
use super::service::revoke_family;
use crate::audit::{self, NewAuditEvent};
use crate::entities::{browser_sessions, sign_ins, users};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::tenant::{RequestMeta, TenantCtx};
use crate::{Kensa, WriteTx};

/// Ended sign-ins are kept this long (for "is this a new address?" and the listing's
/// history), then the worker's sweep deletes them.
pub const KEEP_ENDED: Duration = Duration::days(90);
/// A user sees at most this many of their open sign-ins.
const LIST_LIMIT: u64 = 100;

pub(crate) const SESSION_EXPIRED: DomainError = DomainError::Unauthenticated {
    code: ErrorCode::SessionExpired,
    detail: "this sign-in ended after the organization's idle timeout or session lifetime; sign in again",
};

/// One of the user's open sign-ins.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct SignIn {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    /// The last refresh or page view (an API client refreshes at least every 15 minutes).
    pub last_used_at: DateTime<Utc>,
    /// The client address it signed in from.
    pub address: Option<String>,
    /// The client's `User-Agent` at the last use: the device.
    pub user_agent: Option<String>,
    /// The sign-in of this request.
    pub current: bool,
}

/// Why a sign-in ended (stored in `end_reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EndReason {
    SignedOut,
    EndedByUser,
    IdleTimeout,
    Lifetime,
    PasswordReset,
    RefreshReuse,
}

impl EndReason {
    fn as_str(self) -> &'static str {
        match self {
            EndReason::SignedOut => "signed_out",
            EndReason::EndedByUser => "ended_by_user",
            EndReason::IdleTimeout => "idle_timeout",
            EndReason::Lifetime => "lifetime",
            EndReason::PasswordReset => "password_reset",
            EndReason::RefreshReuse => "refresh_reuse",
        }
    }
}

/// Records a new sign-in (`family` is its refresh-token family).
pub(crate) async fn record(
    conn: &WriteTx,
    family: Uuid,
    user_id: Uuid,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    sign_ins::Entity::insert(sign_ins::ActiveModel::from(sign_ins::Model {
        id: family,
        user_id,
        created_at: now,
        last_used_at: now,
        address: meta.client_ip.clone(),
        user_agent: meta.user_agent.clone(),
        ended_at: None,
        end_reason: None,
    }))
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Moves the sign-in's last use to `now` (and its device to `meta`'s).
pub(crate) async fn touch(conn: &WriteTx, family: Uuid, meta: &RequestMeta, now: DateTime<Utc>) -> DomainResult<()> {
    // The address stays the one signed in from: it is what "a new address?" compares with.
    let mut update = sign_ins::Entity::update_many().col_expr(sign_ins::Column::LastUsedAt, Expr::value(now));
    if let Some(agent) = &meta.user_agent {
        update = update.col_expr(sign_ins::Column::UserAgent, Expr::value(agent.clone()));
    }
    update.filter(sign_ins::Column::Id.eq(family)).filter(sign_ins::Column::EndedAt.is_null()).exec(conn).await?;
    Ok(())
}

/// Ends the sign-in in `conn`'s transaction: its refresh tokens are revoked and its browser
/// sessions end. The caller clears the principal cache once the transaction is committed.
pub(crate) async fn close(conn: &WriteTx, family: Uuid, now: DateTime<Utc>, reason: EndReason) -> DomainResult<()> {
    sign_ins::Entity::update_many()
        .col_expr(sign_ins::Column::EndedAt, Expr::value(now))
        .col_expr(sign_ins::Column::EndReason, Expr::value(reason.as_str()))
        .filter(sign_ins::Column::Id.eq(family))
        .filter(sign_ins::Column::EndedAt.is_null())
        .exec(conn)
        .await?;
    revoke_family(conn, family, now).await?;
    browser_sessions::Entity::update_many()
        .col_expr(browser_sessions::Column::EndedAt, Expr::value(now))
        .filter(browser_sessions::Column::FamilyId.eq(family))
        .filter(browser_sessions::Column::EndedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Why the sign-in can no longer be used under `policy`, if it cannot.
pub(crate) fn expiry(row: &sign_ins::Model, policy: &SecurityPolicy, now: DateTime<Utc>) -> Option<EndReason> {
    if row.ended_at.is_some() {
        Some(EndReason::SignedOut)
    } else if now - row.created_at >= policy.lifetime() {
        Some(EndReason::Lifetime)
    } else if now - row.last_used_at >= policy.idle_timeout() {
        Some(EndReason::IdleTimeout)
    } else {
        None
    }
}

/// Checks the sign-in against its organization's limits before a refresh: past the idle
/// timeout or the lifetime it is ended (committed on its own, audited) and the refresh is
/// refused with `session_expired`.
pub(crate) async fn check_before_refresh(
    k: &Kensa,
    family: Uuid,
    user: &users::Model,
    meta: &RequestMeta,
) -> DomainResult<()> {
    let now = k.now();
    let Some(row) = sign_ins::Entity::find_by_id(family).one(&k.db).await? else {
        return Err(SESSION_EXPIRED);
    };
    let policy = policy::load(&k.db, user.organization_id).await?;
    let Some(reason) = expiry(&row, &policy, now) else { return Ok(()) };
    if reason == EndReason::SignedOut {
        return Err(SESSION_EXPIRED);
    }
    let txn = k.begin_write().await?;
    close(&txn, family, now, reason).await?;
    let details = json!({ "session_id": family, "reason": reason.as_str() });
    audit::record(&txn, NewAuditEvent::by_user(user, "auth.session_expired", meta, details)).await?;
    txn.commit().await?;
    k.principals.invalidate_session(family);
    Err(SESSION_EXPIRED)
}

/// Whether the user signed in from `address` before (within [`KEEP_ENDED`]), and whether
/// they ever signed in at all: a notice goes out only for a new address of a known user.
pub(crate) async fn address_is_new(k: &Kensa, user_id: Uuid, address: Option<&str>) -> DomainResult<bool> {
    let Some(address) = address else { return Ok(false) };
    let known = |filter: Option<&str>| {
        // Sign-ins from before addresses were kept (no address) say nothing either way.
        let mut q = sign_ins::Entity::find()
            .filter(sign_ins::Column::UserId.eq(user_id))
            .filter(sign_ins::Column::Address.is_not_null());
        if let Some(a) = filter {
            q = q.filter(sign_ins::Column::Address.eq(a));
        }
        q.select_only().column(sign_ins::Column::Id).limit(1).into_tuple::<Uuid>().one(&k.db)
    };
    Ok(known(None).await?.is_some() && known(Some(address)).await?.is_none())
}

fn user_of(ctx: &TenantCtx) -> DomainResult<Uuid> {
    // An API key has no user and no sign-ins: there is no such resource for it.
    ctx.user_id().map(|u| u.0).ok_or(DomainError::NotFound("user"))
}

/// The caller's open sign-ins, most recently used first.
pub async fn list(k: &Kensa, ctx: &TenantCtx) -> DomainResult<Vec<SignIn>> {
    let user_id = user_of(ctx)?;
    let now = k.now();
    let policy = policy::load(&k.db, ctx.org_id().0).await?;
    let rows = sign_ins::Entity::find()
        .filter(sign_ins::Column::UserId.eq(user_id))
        .filter(sign_ins::Column::EndedAt.is_null())
        .filter(sign_ins::Column::CreatedAt.gt(now - policy.lifetime()))
        .filter(sign_ins::Column::LastUsedAt.gt(now - policy.idle_timeout()))
        .order_by_desc(sign_ins::Column::LastUsedAt)
        .limit(LIST_LIMIT)
        .all(&k.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| SignIn {
            current: ctx.session_id() == Some(r.id),
            id: r.id,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            address: r.address,
            user_agent: r.user_agent,
        })
        .collect())
}

/// Ends one of the caller's sign-ins (the current one included: that is a sign-out).
/// Another user's sign-in, or one that already ended, is "not found".
pub async fn end(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<()> {
    let user_id = user_of(ctx)?;
    let row = sign_ins::Entity::find_by_id(id)
        .filter(sign_ins::Column::UserId.eq(user_id))
        .filter(sign_ins::Column::EndedAt.is_null())
        .one(&k.db)
        .await?
        .ok_or(DomainError::NotFound("session"))?;
    end_many(k, ctx, vec![row.id]).await
}

/// Ends every sign-in of the caller except the current one; returns how many ended.
pub async fn end_others(k: &Kensa, ctx: &TenantCtx) -> DomainResult<u64> {
    let user_id = user_of(ctx)?;
    let mut q = sign_ins::Entity::find()
        .filter(sign_ins::Column::UserId.eq(user_id))
        .filter(sign_ins::Column::EndedAt.is_null());
    if let Some(current) = ctx.session_id() {
        q = q.filter(sign_ins::Column::Id.ne(current));
    }
    let ids: Vec<Uuid> = q.select_only().column(sign_ins::Column::Id).into_tuple().all(&k.db).await?;
    let ended = ids.len() as u64;
    end_many(k, ctx, ids).await?;
    Ok(ended)
}

async fn end_many(k: &Kensa, ctx: &TenantCtx, ids: Vec<Uuid>) -> DomainResult<()> {
    let now = k.now();
    let txn = k.begin_write().await?;
    for id in &ids {
        close(&txn, *id, now, EndReason::EndedByUser).await?;
    }
    if !ids.is_empty() {
        audit::record_action(&txn, ctx, "auth.sessions_ended", None, json!({ "session_ids": ids })).await?;
    }
    txn.commit().await?;
    for id in ids {
        k.principals.invalidate_session(id);
    }
    Ok(())
}

/// Ends every sign-in of the user (after a password reset) in `conn`'s transaction; the
/// caller clears the user's principal-cache entries after committing.
pub(crate) async fn close_all_of_user(
    conn: &WriteTx,
    user_id: Uuid,
    now: DateTime<Utc>,
    reason: EndReason,
) -> DomainResult<()> {
    let ids: Vec<Uuid> = sign_ins::Entity::find()
        .filter(sign_ins::Column::UserId.eq(user_id))
        .filter(sign_ins::Column::EndedAt.is_null())
        .select_only()
        .column(sign_ins::Column::Id)
        .into_tuple()
        .all(conn)
        .await?;
    for id in ids {
        close(conn, id, now, reason).await?;
    }
    Ok(())
}

/// Deletes at most 1,000 sign-ins that ended (or were last used) longer than
/// [`KEEP_ENDED`] ago; returns how many. The worker's sweep calls it.
pub async fn purge_old(k: &Kensa, now: DateTime<Utc>) -> DomainResult<u64> {
    use sea_orm::sea_query::{Condition, ExprTrait, Query};
    let cutoff = now - KEEP_ENDED;
    let old = Query::select()
        .column(sign_ins::Column::Id)
        .from(sign_ins::Entity)
        .cond_where(
            Condition::any()
                .add(Expr::col(sign_ins::Column::EndedAt).lte(cutoff))
                .add(Expr::col(sign_ins::Column::LastUsedAt).lte(cutoff)),
        )
        .limit(1_000)
        .to_owned();
    let txn = k.begin_write().await?;
    let result = sign_ins::Entity::delete_many().filter(sign_ins::Column::Id.in_subquery(old)).exec(&txn).await?;
    txn.commit().await?;
    Ok(result.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(created: DateTime<Utc>, used: DateTime<Utc>) -> sign_ins::Model {
        sign_ins::Model {
            id: Uuid::nil(),
            user_id: Uuid::nil(),
            created_at: created,
            last_used_at: used,
            address: None,
            user_agent: None,
            ended_at: None,
            end_reason: None,
        }
    }

    #[test]
    fn the_organizations_limits_decide_when_a_sign_in_expires() {
        let t0 = Utc::now();
        let policy = SecurityPolicy { session_idle_minutes: 60, session_lifetime_days: 2, ..Default::default() };
        assert_eq!(expiry(&row(t0, t0), &policy, t0 + Duration::minutes(59)), None);
        assert_eq!(expiry(&row(t0, t0), &policy, t0 + Duration::minutes(60)), Some(EndReason::IdleTimeout));
        let late = t0 + Duration::days(2);
        assert_eq!(expiry(&row(t0, late - Duration::minutes(1)), &policy, late), Some(EndReason::Lifetime));
    }
}
