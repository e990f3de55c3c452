//! Sessions for the web pages. A browser gets an opaque cookie; the server keeps what it
//! stands for: the user, the sign-in it belongs to (a refresh-token family, so revoking the
//! family — sign-out, deactivation — ends the browser session as it ends API tokens), a
//! CSRF secret, and when it was last used. The organization's idle timeout and session
//! lifetime are enforced here on every request.
//!
//! A browser session is made from a [`Session`] the usual services issued (sign-in,
//! sign-up, accepting an invitation): the pages add no second way to authenticate. The
//! session's refresh token is consumed on the spot; the browser never sees a token.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, sea_query::Expr};
use serde_json::json;
use uuid::Uuid;

use super::service::{principal, session_open, tenant_of};
use super::{Session, tokens};
use super::{policy, sign_ins};
use crate::audit::{self, NewAuditEvent};
use crate::entities::{browser_sessions, refresh_tokens};
use crate::error::{DomainError, DomainResult};
use crate::tenant::{RequestMeta, TenantCtx};
use crate::users::Me;
use crate::{Kensa, users::repo as users_repo};

/// A browser session ends after its organization's idle timeout (8 hours by default) and
/// lifetime (30 days by default, see [`policy`]); never later than this long without a
/// request…
pub const MAX_IDLE: Duration = Duration::days(7);
/// …or this long after sign-in (the refresh-token lifetime).
pub const ABSOLUTE_TIMEOUT: Duration = tokens::REFRESH_TOKEN_TTL;
/// `last_seen_at` is written at most this often per session: a page view is a read.
const TOUCH_EVERY: Duration = Duration::minutes(1);

/// What the browser is given: the cookie value and the CSRF token of its forms.
pub struct NewBrowserSession {
    pub cookie: String,
    pub csrf_token: String,
}
crate::redacted_debug!(NewBrowserSession {} secret { cookie, csrf_token });

/// A browser session resolved from its cookie.
pub struct BrowserSession {
    pub tenant: TenantCtx,
    pub csrf_token: String,
    pub id: Uuid,
}

impl BrowserSession {
    pub fn me(&self) -> DomainResult<&Me> {
        self.tenant.principal().ok_or_else(|| DomainError::internal("browser session without principal"))
    }
}

/// Turns a freshly issued `session` into a browser session.
pub async fn adopt(k: &Kensa, session: &Session) -> DomainResult<NewBrowserSession> {
    let now = k.now();
    let hash = tokens::hash_token(&session.refresh_token);
    let txn = k.begin_write().await?;
    let row = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(hash))
        .one(&txn)
        .await?
        .ok_or_else(|| DomainError::internal("the session's refresh token is not stored"))?;
    // Consumed: no one holds it any more, and presenting it later counts as reuse.
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::UsedAt, Expr::value(now))
        .filter(refresh_tokens::Column::Id.eq(row.id))
        .exec(&txn)
        .await?;
    let cookie = tokens::random_token();
    let csrf_token = tokens::random_token();
    browser_sessions::Entity::insert(browser_sessions::ActiveModel::from(browser_sessions::Model {
        id: Uuid::now_v7(),
        token_hash: tokens::hash_token(&cookie),
        csrf_token: csrf_token.clone(),
        user_id: row.user_id,
        family_id: row.family_id,
        created_at: now,
        last_seen_at: now,
        expires_at: (now + ABSOLUTE_TIMEOUT).min(row.expires_at),
        ended_at: None,
    }))
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    Ok(NewBrowserSession { cookie, csrf_token })
}

/// The session the cookie stands for, or `None` when it is unknown, ended, idle too long,
/// past its lifetime, or its sign-in was revoked.
pub async fn resolve(k: &Kensa, cookie: &str, meta: RequestMeta) -> DomainResult<Option<BrowserSession>> {
    let now = k.now();
    let Some(row) = browser_sessions::Entity::find()
        .filter(browser_sessions::Column::TokenHash.eq(tokens::hash_token(cookie)))
        .one(&k.db)
        .await?
    else {
        return Ok(None);
    };
    if !usable(&row, now) || !session_open(k, row.family_id, row.user_id).await? {
        return Ok(None);
    }
    let Some(principal) = principal(k, row.user_id).await? else { return Ok(None) };
    if !principal.user.active {
        return Ok(None);
    }
    // The organization may have shorter limits than the defaults.
    let policy = policy::load(&k.db, principal.user.organization_id).await?;
    if !within(&row, &policy, now) {
        // Ended for good (and so swept), not only refused; best effort, as a touch is.
        if let Err(e) = expire(k, &row, &policy, now).await {
            tracing::warn!(error = %e, "could not end an expired browser session");
        }
        return Ok(None);
    }
    // Best effort: a page read must not fail because its session could not be touched (a
    // busy SQLite writer); the next request touches it.
    if now - row.last_seen_at >= TOUCH_EVERY
        && let Err(e) = touch(k, &row, &meta, now).await
    {
        tracing::warn!(error = %e, "could not record a browser session's use");
    }
    Ok(Some(BrowserSession {
        tenant: tenant_of(principal, meta).in_session(row.family_id),
        csrf_token: row.csrf_token,
        id: row.id,
    }))
}

/// Moves the session's and its sign-in's last use (the sign-in is what the user sees listed).
async fn touch(k: &Kensa, row: &browser_sessions::Model, meta: &RequestMeta, now: DateTime<Utc>) -> DomainResult<()> {
    let txn = k.begin_write().await?;
    browser_sessions::Entity::update_many()
        .col_expr(browser_sessions::Column::LastSeenAt, Expr::value(now))
        .filter(browser_sessions::Column::Id.eq(row.id))
        .exec(&txn)
        .await?;
    sign_ins::touch(&txn, row.family_id, meta, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Ends the sign-in of a browser session past its organization's limits.
async fn expire(
    k: &Kensa,
    row: &browser_sessions::Model,
    policy: &policy::SecurityPolicy,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let reason = if now - row.created_at >= policy.lifetime() {
        sign_ins::EndReason::Lifetime
    } else {
        sign_ins::EndReason::IdleTimeout
    };
    let txn = k.begin_write().await?;
    sign_ins::close(&txn, row.family_id, now, reason).await?;
    txn.commit().await?;
    k.principals.invalidate_session(row.family_id);
    Ok(())
}

/// Not ended, not past its stored lifetime, not idle past the longest timeout any
/// organization may set.
fn usable(row: &browser_sessions::Model, now: DateTime<Utc>) -> bool {
    row.ended_at.is_none() && now < row.expires_at && now - row.last_seen_at < MAX_IDLE
}

/// Within the organization's own idle timeout and session lifetime.
fn within(row: &browser_sessions::Model, policy: &policy::SecurityPolicy, now: DateTime<Utc>) -> bool {
    now - row.last_seen_at < policy.idle_timeout() && now - row.created_at < policy.lifetime()
}

/// Signs the browser out: the session and its sign-in end (API tokens of the same sign-in
/// included; other sign-ins of the user stay).
pub async fn end(k: &Kensa, session: &BrowserSession) -> DomainResult<()> {
    let now = k.now();
    let Some(row) = browser_sessions::Entity::find_by_id(session.id).one(&k.db).await? else { return Ok(()) };
    let txn = k.begin_write().await?;
    let mut active: browser_sessions::ActiveModel = row.clone().into();
    active.ended_at = Set(Some(now));
    active.update(&txn).await?;
    sign_ins::close(&txn, row.family_id, now, sign_ins::EndReason::SignedOut).await?;
    if let Some(user) = users_repo::find_by_id(&txn, row.user_id).await? {
        audit::record(&txn, NewAuditEvent::by_user(&user, "auth.logout", session.tenant.meta(), json!({"via": "web"})))
            .await?;
    }
    txn.commit().await?;
    k.principals.invalidate_session(row.family_id);
    Ok(())
}

/// Deletes at most 1,000 sessions that can no longer be used (ended, idle past the
/// timeout, or past their lifetime); returns how many. The worker's sweep calls it.
pub async fn purge_unusable(k: &Kensa, now: DateTime<Utc>) -> DomainResult<u64> {
    use sea_orm::sea_query::{Condition, ExprTrait, Query};
    let unusable = Query::select()
        .column(browser_sessions::Column::Id)
        .from(browser_sessions::Entity)
        .cond_where(
            Condition::any()
                .add(Expr::col(browser_sessions::Column::EndedAt).is_not_null())
                .add(Expr::col(browser_sessions::Column::ExpiresAt).lte(now))
                .add(Expr::col(browser_sessions::Column::LastSeenAt).lte(now - MAX_IDLE)),
        )
        .limit(1_000)
        .to_owned();
    let txn = k.begin_write().await?;
    let result = browser_sessions::Entity::delete_many()
        .filter(browser_sessions::Column::Id.in_subquery(unusable))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(result.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(created: DateTime<Utc>, seen: DateTime<Utc>) -> browser_sessions::Model {
        browser_sessions::Model {
            id: Uuid::nil(),
            token_hash: String::new(),
            csrf_token: String::new(),
            user_id: Uuid::nil(),
            family_id: Uuid::nil(),
            created_at: created,
            last_seen_at: seen,
            expires_at: created + ABSOLUTE_TIMEOUT,
            ended_at: None,
        }
    }

    #[test]
    fn idle_and_absolute_timeouts_end_a_session() {
        let t0 = Utc::now();
        let policy = policy::SecurityPolicy::default();
        let idle = policy.idle_timeout();
        assert!(within(&row(t0, t0), &policy, t0 + idle - Duration::seconds(1)));
        assert!(!within(&row(t0, t0), &policy, t0 + idle));
        assert!(!usable(&row(t0, t0), t0 + MAX_IDLE));
        let late = t0 + ABSOLUTE_TIMEOUT;
        assert!(!usable(&row(t0, late - Duration::seconds(1)), late));
        let mut ended = row(t0, t0);
        ended.ended_at = Some(t0);
        assert!(!usable(&ended, t0));
    }
}
