use crate::error::ErrorCode;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::json;
use tracing::instrument;

use super::mfa::{self, LoginOutcome};
use super::session::{self, Session};
use super::throttle::{self, Policy};
use super::{notice, password, sign_ins, tokens};
use crate::audit::{self, NewAuditEvent};
use crate::entities::refresh_tokens;
use crate::error::{DomainError, DomainResult, OnUnique};
use crate::ids::{OrganizationId, UserId};
use crate::tenant::{RequestMeta, Role, TenantCtx};
use crate::users::model::{EmailAddress, Validator, parse_locale};
use crate::users::repo::{self as users_repo, NewUser};
use crate::users::{Me, User};
use crate::{Kensa, WriteTx};

const INVALID_CREDENTIALS: DomainError =
    DomainError::Unauthenticated { code: ErrorCode::InvalidCredentials, detail: "email or password is incorrect" };
const INVALID_REFRESH: DomainError =
    DomainError::Unauthenticated { code: ErrorCode::InvalidRefreshToken, detail: "the refresh token is not valid" };

const SESSION_REVOKED: DomainError =
    DomainError::Unauthenticated { code: ErrorCode::SessionRevoked, detail: "this sign-in has ended; sign in again" };

pub struct SignupInput {
    pub organization_name: String,
    pub name: String,
    pub email: String,
    pub password: String,
    pub locale: Option<String>,
}
crate::redacted_debug!(SignupInput { organization_name, name, email, locale } secret { password });

/// Sign-up input that passed validation.
pub(crate) struct ValidSignup {
    org_name: String,
    name: String,
    email: EmailAddress,
    locale: crate::users::model::Locale,
    password_hash: String,
}
crate::redacted_debug!(ValidSignup { org_name, name, email, locale } secret { password_hash });

impl ValidSignup {
    pub(crate) fn email(&self) -> &str {
        self.email.as_str()
    }
}

const HOUR: std::time::Duration = std::time::Duration::from_secs(3600);

/// Reserves one anonymous account creation (sign-up or accepting an invitation as a new
/// user) for the caller's address and across all callers, before any password is hashed.
/// Past either allowance: 429 with `Retry-After`.
pub(crate) async fn reserve_account_creation(k: &Kensa, meta: &RequestMeta) -> DomainResult<()> {
    let limits = &k.auth_limits;
    let address = throttle::address_key(meta.client_ip.as_deref());
    let per_address = Policy { free: limits.signups_per_address_per_hour, window: HOUR, backoff: None };
    let attempt = k.throttle.reserve(&format!("signup:addr:{address}"), &per_address).await?;
    meta.quotas.record(attempt.report("signup", &per_address));
    attempt.allowed()?;
    let global = Policy { free: limits.signups_per_hour, window: HOUR, backoff: None };
    k.throttle.reserve("signup:all", &global).await?.allowed()?;
    Ok(())
}

pub(crate) async fn validate_signup(k: &Kensa, input: SignupInput) -> DomainResult<ValidSignup> {
    let mut v = Validator::default();
    let org_name = v.check(crate::text::name("organization_name", &input.organization_name));
    let name = v.check(crate::text::name("name", &input.name));
    let email = v.check(EmailAddress::parse("email", &input.email));
    let locale = v.check(parse_locale(input.locale.as_deref()));
    v.extend(password::policy_violations(&input.password, &input.email, &[&input.name, &input.organization_name]));
    v.finish()?;
    let (Some(org_name), Some(name), Some(email), Some(locale)) = (org_name, name, email, locale) else {
        return Err(DomainError::internal("validator"));
    };
    if users_repo::find_by_email(&k.db, email.as_str()).await?.is_some() {
        return Err(DomainError::conflict(ErrorCode::EmailTaken, "a user with this email address already exists"));
    }
    let password_hash = k.passwords.hash(&input.password).await?;
    Ok(ValidSignup { org_name, name, email, locale, password_hash })
}

/// Creates the organization and its owner inside `conn`'s transaction and signs them in.
/// `proven`: the owner came through a link mailed to this very address, so it and the
/// organization are verified; otherwise a verification mail is queued and the organization
/// mails no one until the owner follows it.
pub(crate) async fn create_account(
    k: &Kensa,
    conn: &crate::WriteTx,
    valid: ValidSignup,
    proven: bool,
    meta: &RequestMeta,
) -> DomainResult<Session> {
    let now = k.now();
    let org = users_repo::insert_organization(conn, &valid.org_name, proven).await?;
    let user = users_repo::insert(
        conn,
        NewUser {
            organization_id: org.id,
            email: valid.email.as_str(),
            name: &valid.name,
            password_hash: valid.password_hash,
            role: Role::Owner,
            locale: valid.locale,
            email_verified: proven,
        },
    )
    .await
    // A race between two sign-ups with one address ends at the unique index.
    .on_unique(ErrorCode::EmailTaken, "a user with this email address already exists")?;
    audit::record(
        conn,
        NewAuditEvent {
            organization_id: Some(OrganizationId(org.id)),
            actor_user_id: Some(UserId(user.id)),
            action: "auth.signup",
            target: Some(("organization", org.id.to_string())),
            meta,
            details: json!({ "email": user.email }),
        },
    )
    .await?;
    if !proven {
        super::verification::queue(conn, user.id, now).await?;
    }
    session::start(k, conn, user, meta, now).await
}

/// Creates an organization and its owner, and signs the owner in.
#[instrument(skip_all)]
pub async fn signup(k: &Kensa, input: SignupInput, meta: &RequestMeta) -> DomainResult<Session> {
    reserve_account_creation(k, meta).await?;
    let valid = validate_signup(k, input).await?;
    let txn = k.begin_write().await?;
    let session = create_account(k, &txn, valid, false, meta).await?;
    txn.commit().await?;
    k.wake_worker();
    Ok(session)
}

pub struct LoginInput {
    pub email: String,
    pub password: String,
}
crate::redacted_debug!(LoginInput { email } secret { password });

/// The submitted login name, trimmed and lower-cased; longer than any address can be, it is
/// refused before anything is counted or recorded (an attacker's megabyte "email" never
/// reaches a throttle key or the audit trail).
fn login_name(input: &LoginInput) -> DomainResult<String> {
    let email = input.email.trim().to_lowercase();
    let mut v = Validator::default();
    if email.len() > 254 {
        v.check::<()>(Err(crate::error::FieldError::new(
            "email",
            ErrorCode::InvalidEmail,
            "must be at most 254 bytes",
        )));
    }
    if input.password.chars().count() > password::MAX_LENGTH {
        v.check::<()>(Err(crate::error::FieldError::new(
            "password",
            ErrorCode::TooLong,
            format!("must be at most {} characters", password::MAX_LENGTH),
        )));
    }
    v.finish()?;
    Ok(email)
}

/// Checks the password. Each attempt is reserved before the password is looked at, per
/// (account, client address) and per client address, so concurrent guesses cannot outrun
/// the count; past the free attempts each one waits twice as long as the last (see
/// [`throttle`]). Unknown accounts cost the same hash verification as known ones, so timing
/// does not reveal them.
#[instrument(skip_all)]
pub async fn login(k: &Kensa, input: LoginInput, meta: &RequestMeta) -> DomainResult<LoginOutcome> {
    let email = login_name(&input)?;
    let email = EmailAddress::parse("email", &email).map_err(|e| DomainError::Validation(vec![e]))?.into_string();
    let account = throttle::account_key(&email);
    let address = throttle::address_key(meta.client_ip.as_deref());
    let pair_key = format!("login:pair:{account}:{address}");
    let address_key = format!("login:addr:{address}");
    // The address first: a refused address creates no per-account key (so a flood of random
    // accounts from one address cannot fill the store), and a refused pair gives its
    // address attempt back (it evaluated nothing).
    let by_address = k.throttle.reserve(&address_key, &throttle::LOGIN_PER_ADDRESS).await?;
    meta.quotas.record(by_address.report("login-address", &throttle::LOGIN_PER_ADDRESS));
    by_address.allowed()?;
    let by_account = k.throttle.reserve(&pair_key, &throttle::LOGIN_PER_ACCOUNT_AND_ADDRESS).await?;
    meta.quotas.record(by_account.report("login-account", &throttle::LOGIN_PER_ACCOUNT_AND_ADDRESS));
    if let Err(e) = by_account.allowed() {
        k.throttle.release(&address_key).await?;
        return Err(e);
    }
    let user = users_repo::find_by_email(&k.db, &email).await?;
    let checked = match &user {
        Some(u) => k.passwords.verify(&input.password, &u.password_hash).await,
        None => match k.passwords.dummy_hash().await {
            Ok(dummy) => k.passwords.verify(&input.password, dummy).await,
            Err(e) => Err(e),
        },
    };
    let password_ok = match checked {
        Ok(ok) => ok,
        Err(e) => {
            // Shed before any guess was evaluated: the attempt does not count.
            k.throttle.release(&pair_key).await?;
            k.throttle.release(&address_key).await?;
            return Err(e);
        }
    };
    let user = match user {
        Some(user) if password_ok && user.active => user,
        other => {
            let reason = if other.is_some() && password_ok { "inactive" } else { "bad_credentials" };
            record_failure(k, other.as_ref(), &email, &account, reason, meta).await?;
            return Err(INVALID_CREDENTIALS);
        }
    };
    k.throttle.reset(&pair_key).await?;
    k.throttle.release(&address_key).await?;
    mfa::after_password(k, user, meta).await
}

/// Signs `user` in once every factor was given: audits it, starts the sign-in and, when it
/// comes from an address the user never signed in from before, queues a notice mail.
pub(crate) async fn sign_in(
    k: &Kensa,
    user: crate::entities::users::Model,
    meta: &RequestMeta,
    details: serde_json::Value,
) -> DomainResult<Session> {
    let new_address = sign_ins::address_is_new(k, user.id, meta.client_ip.as_deref()).await?;
    let now = k.now();
    let txn = k.begin_write().await?;
    audit::record(&txn, NewAuditEvent::by_user(&user, "auth.login", meta, details)).await?;
    if new_address {
        notice::queue_new_address(k, &txn, &user, meta).await?;
    }
    let session = session::start(k, &txn, user, meta, now).await?;
    txn.commit().await?;
    if new_address {
        k.wake_worker();
    }
    Ok(session)
}

/// Audits a failed sign-in (the login name is at most 254 bytes here) and, once an existing
/// account has seen repeated failures, queues one notice mail to its owner per interval.
async fn record_failure(
    k: &Kensa,
    user: Option<&crate::entities::users::Model>,
    email: &str,
    account: &str,
    reason: &str,
    meta: &RequestMeta,
) -> DomainResult<()> {
    let failures = k.throttle.reserve(&format!("login:failures:{account}"), &throttle::ACCOUNT_FAILURES).await?.count;
    let tx = k.begin_write().await?;
    audit::record(
        &tx,
        NewAuditEvent {
            organization_id: user.map(|u| OrganizationId(u.organization_id)),
            actor_user_id: user.map(|u| UserId(u.id)),
            action: "auth.login_failed",
            target: user.map(|u| ("user", u.id.to_string())),
            meta,
            details: json!({ "email": email, "reason": reason }),
        },
    )
    .await?;
    tx.commit().await?;
    if let Some(user) = user
        && failures >= throttle::FAILURES_BEFORE_NOTICE
        && k.throttle.first_in(&format!("login:notice:{account}"), throttle::NOTICE_INTERVAL).await?
    {
        notice::queue(k, user, failures, meta).await?;
    }
    Ok(())
}

/// How long after its first use a refresh token may be presented again: two processes (or
/// tabs) of one client refreshing the same session at once, or a client retrying a refresh
/// whose answer it never received, each get a valid pair of that session instead of
/// logging each other out.
pub const REFRESH_GRACE: chrono::Duration = chrono::Duration::seconds(30);

/// Rotates a refresh token. Presented again within [`REFRESH_GRACE`] of its first use, it
/// gets another pair of the same session; later, it means the token leaked: the whole family
/// is revoked and the caller must sign in again.
#[instrument(skip_all)]
pub async fn refresh(k: &Kensa, refresh_token: &str, meta: &RequestMeta) -> DomainResult<Session> {
    let now = k.now();
    let row = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(tokens::hash_token(refresh_token)))
        .one(&k.db)
        .await?
        .ok_or(INVALID_REFRESH)?;
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Err(INVALID_REFRESH);
    }
    let user = users_repo::find_by_id(&k.db, row.user_id).await?.filter(|u| u.active).ok_or(INVALID_REFRESH)?;
    sign_ins::check_before_refresh(k, row.family_id, &user, meta).await?;
    let txn = k.begin_write().await?;
    let consumed = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::UsedAt, Expr::value(now))
        .filter(refresh_tokens::Column::Id.eq(row.id))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    let grace = consumed.rows_affected != 1;
    if grace {
        // Used already (perhaps a moment ago, by a concurrent refresh): read it as it is now.
        let current = refresh_tokens::Entity::find_by_id(row.id).one(&txn).await?.ok_or(INVALID_REFRESH)?;
        if current.revoked_at.is_some() {
            return Err(INVALID_REFRESH);
        }
        if current.used_at.is_none_or(|used| now - used > REFRESH_GRACE) {
            txn.rollback().await?;
            return Err(reuse_detected(k, &row, &user, meta, now).await?);
        }
    }
    audit::record(
        &txn,
        NewAuditEvent::by_user(&user, "auth.refresh", meta, if grace { json!({ "grace": true }) } else { json!({}) }),
    )
    .await?;
    sign_ins::touch(&txn, row.family_id, meta, now).await?;
    let session = session::issue(k, &txn, user, row.family_id, now).await?;
    txn.commit().await?;
    Ok(session)
}

/// A used refresh token presented after the grace period: it leaked. Revokes its family and
/// answers the 401 to give.
async fn reuse_detected(
    k: &Kensa,
    row: &refresh_tokens::Model,
    user: &crate::entities::users::Model,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> DomainResult<DomainError> {
    // The revocation commits on its own first: a leaked family must end even if the audit
    // write after it fails.
    let txn = k.begin_write().await?;
    sign_ins::close(&txn, row.family_id, now, sign_ins::EndReason::RefreshReuse).await?;
    txn.commit().await?;
    k.principals.invalidate_session(row.family_id);
    let txn = k.begin_write().await?;
    audit::record(
        &txn,
        NewAuditEvent::by_user(user, "auth.refresh_reuse_detected", meta, json!({ "family_id": row.family_id })),
    )
    .await?;
    txn.commit().await?;
    Ok(DomainError::Unauthenticated {
        code: ErrorCode::RefreshTokenReused,
        detail: "this refresh token was already used; all sessions from that sign-in were revoked",
    })
}

/// Revokes every token of the family in `txn` (only [`sign_ins::close`] calls it: a sign-in
/// ends as a whole); the caller clears the principal cache once the transaction is committed.
pub(crate) async fn revoke_family(txn: &WriteTx, family: uuid::Uuid, now: DateTime<Utc>) -> DomainResult<()> {
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::FamilyId.eq(family))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(txn)
        .await?;
    Ok(())
}

/// Revokes the refresh token's whole family. Unknown tokens are ignored: logging out twice
/// is not an error.
#[instrument(skip_all)]
pub async fn logout(k: &Kensa, refresh_token: &str, meta: &RequestMeta) -> DomainResult<()> {
    let Some(row) = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(tokens::hash_token(refresh_token)))
        .one(&k.db)
        .await?
    else {
        return Ok(());
    };
    let user = users_repo::find_by_id(&k.db, row.user_id).await?;
    // As on reuse: the sign-out takes effect even if its audit write fails.
    let txn = k.begin_write().await?;
    sign_ins::close(&txn, row.family_id, k.now(), sign_ins::EndReason::SignedOut).await?;
    txn.commit().await?;
    k.principals.invalidate_session(row.family_id);
    if let Some(user) = user {
        let txn = k.begin_write().await?;
        audit::record(&txn, NewAuditEvent::by_user(&user, "auth.logout", meta, json!({}))).await?;
        txn.commit().await?;
    }
    Ok(())
}

/// Whether the sign-in `sid` of `user_id` still has a live refresh token (cached a few
/// seconds, like the principal).
pub(crate) async fn session_open(k: &Kensa, sid: uuid::Uuid, user_id: uuid::Uuid) -> DomainResult<bool> {
    if let Some(open) = k.principals.session_open(sid) {
        return Ok(open);
    }
    let live = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::FamilyId.eq(sid))
        .filter(refresh_tokens::Column::UserId.eq(user_id))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .filter(refresh_tokens::Column::ExpiresAt.gt(k.now()))
        .one(&k.db)
        .await?
        .is_some();
    k.principals.put_session(sid, user_id, live);
    Ok(live)
}

/// Turns a bearer token into a tenant context. Who the subject is comes from the principal
/// cache (at most a few seconds old) or the database, so that deactivation and role
/// changes take effect without waiting for the token to expire.
pub async fn authenticate(k: &Kensa, bearer: &str, meta: RequestMeta) -> DomainResult<TenantCtx> {
    const INVALID: DomainError =
        DomainError::Unauthenticated { code: ErrorCode::InvalidToken, detail: "the access token is not valid" };
    if bearer.starts_with(crate::api_keys::KEY_PREFIX) {
        return crate::api_keys::authenticate(k, bearer, meta).await;
    }
    let claims = k.jwt.verify(bearer, k.now())?;
    let principal = principal(k, claims.sub).await?.ok_or(INVALID)?;
    if !principal.user.active || principal.user.organization_id != claims.org {
        return Err(INVALID);
    }
    if !session_open(k, claims.sid, claims.sub).await? {
        return Err(SESSION_REVOKED);
    }
    Ok(tenant_of(principal, meta).in_session(claims.sid))
}

/// The user and organization as the principal cache (a few seconds old) or the database
/// sees them; `None` when the user no longer exists.
pub(crate) async fn principal(k: &Kensa, user_id: uuid::Uuid) -> DomainResult<Option<std::sync::Arc<Me>>> {
    if let Some(cached) = k.principals.get(user_id) {
        return Ok(Some(cached));
    }
    let Some(user) = users_repo::find_by_id(&k.db, user_id).await? else { return Ok(None) };
    let Some(org) = crate::entities::organizations::Entity::find_by_id(user.organization_id).one(&k.db).await? else {
        return Ok(None);
    };
    let me = std::sync::Arc::new(Me::new(User::from_row(user)?, org.into()));
    k.principals.put(me.clone());
    Ok(Some(me))
}

pub(crate) fn tenant_of(principal: std::sync::Arc<Me>, meta: RequestMeta) -> TenantCtx {
    TenantCtx::authenticated(
        OrganizationId(principal.user.organization_id),
        UserId(principal.user.id),
        principal.user.role,
        meta,
        Some(principal),
    )
}
