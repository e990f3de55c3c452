//! Multi-factor authentication with TOTP (RFC 6238: SHA-1, 6 digits, 30-second steps, the
//! parameters every authenticator app reads from an `otpauth://` URI).
//!
//! Enrolment makes a secret, and MFA is on only once a first code from the user's app
//! confirms it; the user then gets 10 single-use recovery codes (80 random bits each,
//! stored as SHA-256). At sign-in, a correct password on an account with MFA gives a
//! short-lived, single-use MFA ticket, never a token; the ticket and a code (or a recovery
//! code) give the tokens. When the organization's policy requires MFA of a user who has
//! none, the password gives an enrolment ticket instead: the user enrols with it and is
//! signed in by the confirming code. Codes are throttled per user like passwords, each
//! ticket takes 5 wrong codes at most, and no code is accepted twice: the last accepted
//! time step is stored, and only a later step passes.

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Serialize;
use serde_json::json;
use totp_rs::{Algorithm, Secret, TOTP};
use uuid::Uuid;

use super::service::sign_in;
use super::throttle::Policy;
use super::{Session, policy, tokens};
use crate::audit::{self, NewAuditEvent};
use crate::entities::{mfa_tickets, recovery_codes, user_totp, users};
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};
use crate::tenant::{RequestMeta, Role, TenantCtx};
use crate::users::repo as users_repo;
use crate::{Kensa, WriteTx};

/// How long the ticket between the password and the code lasts.
pub const TICKET_TTL: Duration = Duration::minutes(5);
/// Wrong codes one ticket takes before it is dead (the password must be given again).
const TICKET_ATTEMPTS: i32 = 5;
pub const RECOVERY_CODE_COUNT: usize = 10;
const STEP_SECS: i64 = 30;
const ISSUER: &str = "Kensa";
/// Code attempts per user, whatever the ticket or address: like passwords, 5 free, then each
/// attempt waits twice as long as the last (up to 15 minutes).
pub const CODE_ATTEMPTS: Policy = super::throttle::LOGIN_PER_ACCOUNT_AND_ADDRESS;
/// Enrolments started per user (each makes a secret and an audit event).
const ENROLMENTS: Policy = Policy { free: 10, window: std::time::Duration::from_secs(15 * 60), backoff: None };
/// The longest code or recovery code looked at (a recovery code is 19 characters).
const MAX_CODE_LENGTH: usize = 64;
/// Recovery codes: no look-alike characters.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

const INVALID_TICKET: DomainError = DomainError::Unauthenticated {
    code: ErrorCode::InvalidMfaTicket,
    detail: "the MFA ticket is unknown, used, expired or took too many wrong codes; sign in again",
};
const INVALID_CODE: DomainError =
    DomainError::Unauthenticated { code: ErrorCode::InvalidMfaCode, detail: "the code is not valid" };

/// A new TOTP secret, for the user's authenticator app.
#[derive(Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct TotpEnrolment {
    /// Base32; for apps that cannot scan the URI.
    pub secret: String,
    /// `otpauth://totp/Kensa:<email>?secret=…&issuer=Kensa` (SHA-1, 6 digits and 30 s are
    /// the URI's defaults), usually shown as a QR code.
    pub otpauth_uri: String,
}
crate::redacted_debug!(TotpEnrolment {} secret { secret, otpauth_uri });

/// Single-use recovery codes, shown once: each signs in once instead of a TOTP code.
#[derive(Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}
crate::redacted_debug!(RecoveryCodes {} secret { recovery_codes });

/// The caller's second factor.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct MfaStatus {
    pub enabled: bool,
    pub enabled_at: Option<DateTime<Utc>>,
    /// Unused recovery codes.
    pub recovery_codes_left: u32,
    /// The organization's policy requires a second factor of this user (it cannot be
    /// turned off).
    pub required_by_policy: bool,
}

/// A correct password on an account that needs a second factor: no tokens yet.
#[derive(Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MfaChallenge {
    /// Always `true`: tells this answer from a signed-in one.
    pub mfa_required: bool,
    /// The organization requires MFA and the user has none: enrol with the ticket at
    /// `POST /api/v1/auth/mfa/totp`, then confirm at `POST /api/v1/auth/mfa/totp/confirm`.
    /// Otherwise send a code at `POST /api/v1/auth/mfa`.
    pub enrolment_required: bool,
    /// Single use; valid for `expires_in` seconds.
    pub mfa_ticket: String,
    pub expires_in: i64,
}
crate::redacted_debug!(MfaChallenge { mfa_required, enrolment_required, expires_in } secret { mfa_ticket });

/// What a correct password leads to.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum LoginOutcome {
    SignedIn(Session),
    MfaRequired(MfaChallenge),
}

/// Signed in by the first code of an enrolment the policy required.
#[derive(Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrolledSession {
    #[serde(flatten)]
    pub session: Session,
    /// Shown once.
    pub recovery_codes: Vec<String>,
}
crate::redacted_debug!(EnrolledSession { session } secret { recovery_codes });

/// A TOTP code or a recovery code.
#[derive(Clone)]
pub enum SecondFactor {
    Totp(String),
    RecoveryCode(String),
}
crate::redacted_debug!(SecondFactor {} secret {});

impl SecondFactor {
    /// Six digits are a TOTP code; anything else is read as a recovery code.
    pub fn parse(code: &str) -> Self {
        let code = code.trim();
        if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            Self::Totp(code.to_owned())
        } else {
            Self::RecoveryCode(code.to_owned())
        }
    }

    fn method(&self) -> &'static str {
        match self {
            Self::Totp(_) => "totp",
            Self::RecoveryCode(_) => "recovery_code",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Purpose {
    SignIn,
    Enrol,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::SignIn => "sign_in",
            Purpose::Enrol => "enrol",
        }
    }
}

// ---- TOTP and recovery codes -------------------------------------------------------------

fn totp(secret: &str, account: &str) -> DomainResult<TOTP> {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().map_err(|e| DomainError::internal(format!("{e:?}")))?;
    TOTP::new(Algorithm::SHA1, 6, 1, STEP_SECS as u64, bytes, Some(ISSUER.to_owned()), account.to_owned())
        .map_err(DomainError::internal)
}

fn new_secret() -> DomainResult<String> {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    match Secret::Raw(bytes.to_vec()).to_encoded() {
        Secret::Encoded(s) => Ok(s),
        Secret::Raw(_) => Err(DomainError::internal("a TOTP secret did not encode")),
    }
}

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The time step (one before, the current or one after, for clock drift) whose code `code`
/// is, if any.
fn matching_step(totp: &TOTP, code: &str, now: DateTime<Utc>) -> Option<i64> {
    let now = now.timestamp();
    [-1, 0, 1].into_iter().map(|d| now + d * STEP_SECS).filter(|t| *t >= 0).find_map(|t| {
        let expected = totp.generate(u64::try_from(t).ok()?);
        same(&expected, code).then_some(t / STEP_SECS)
    })
}

fn new_recovery_code() -> String {
    let mut rng = rand::rng();
    let chars: Vec<char> =
        (0..16).map(|_| RECOVERY_ALPHABET[(rng.next_u32() as usize) % RECOVERY_ALPHABET.len()] as char).collect();
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// Case, dashes and spaces do not matter.
fn recovery_hash(code: &str) -> String {
    let normal: String = code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect();
    tokens::hash_token(&normal)
}

async fn replace_recovery_codes(conn: &WriteTx, user_id: Uuid, now: DateTime<Utc>) -> DomainResult<Vec<String>> {
    recovery_codes::Entity::delete_many().filter(recovery_codes::Column::UserId.eq(user_id)).exec(conn).await?;
    let codes: Vec<String> = (0..RECOVERY_CODE_COUNT).map(|_| new_recovery_code()).collect();
    let rows = codes.iter().map(|code| {
        recovery_codes::ActiveModel::from(recovery_codes::Model {
            id: Uuid::now_v7(),
            user_id,
            code_hash: recovery_hash(code),
            created_at: now,
            used_at: None,
        })
    });
    recovery_codes::Entity::insert_many(rows).exec_without_returning(conn).await?;
    Ok(codes)
}

async fn codes_left(conn: &impl sea_orm::ConnectionTrait, user_id: Uuid) -> DomainResult<u32> {
    let n = recovery_codes::Entity::find()
        .filter(recovery_codes::Column::UserId.eq(user_id))
        .filter(recovery_codes::Column::UsedAt.is_null())
        .count(conn)
        .await?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

async fn enabled_totp(conn: &impl sea_orm::ConnectionTrait, user_id: Uuid) -> DomainResult<Option<user_totp::Model>> {
    Ok(user_totp::Entity::find_by_id(user_id).one(conn).await?.filter(|t| t.enabled_at.is_some()))
}

/// Accepts `step` for the user unless a step as late was accepted already (a replayed or
/// older code); `confirming` accepts it for a pending enrolment and turns MFA on.
async fn accept_step(
    conn: &WriteTx,
    user_id: Uuid,
    step: i64,
    confirming: bool,
    now: DateTime<Utc>,
) -> DomainResult<bool> {
    let mut update = user_totp::Entity::update_many().col_expr(user_totp::Column::LastStep, Expr::value(step));
    update = if confirming {
        update.col_expr(user_totp::Column::EnabledAt, Expr::value(now)).filter(user_totp::Column::EnabledAt.is_null())
    } else {
        update.filter(user_totp::Column::EnabledAt.is_not_null())
    };
    let done = update
        .filter(user_totp::Column::UserId.eq(user_id))
        .filter(Condition::any().add(user_totp::Column::LastStep.is_null()).add(user_totp::Column::LastStep.lt(step)))
        .exec(conn)
        .await?;
    Ok(done.rows_affected == 1)
}

async fn use_recovery_code(conn: &WriteTx, user_id: Uuid, code: &str, now: DateTime<Utc>) -> DomainResult<bool> {
    let done = recovery_codes::Entity::update_many()
        .col_expr(recovery_codes::Column::UsedAt, Expr::value(now))
        .filter(recovery_codes::Column::UserId.eq(user_id))
        .filter(recovery_codes::Column::CodeHash.eq(recovery_hash(code)))
        .filter(recovery_codes::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Refuses every field longer than any code or ticket is, all named at once, before
/// anything is counted (REST bodies, GraphQL arguments and page forms alike).
pub fn check_lengths(fields: &[(&str, Option<&str>)]) -> DomainResult<()> {
    let errors: Vec<FieldError> = fields
        .iter()
        .filter(|(_, v)| v.is_some_and(|v| v.len() > MAX_CODE_LENGTH))
        .map(|(name, _)| FieldError::new(*name, ErrorCode::TooLong, format!("must be at most {MAX_CODE_LENGTH} bytes")))
        .collect();
    if errors.is_empty() { Ok(()) } else { Err(DomainError::Validation(errors)) }
}

fn check_length(field: &str, code: &str) -> DomainResult<()> {
    check_lengths(&[(field, Some(code))])
}

/// Counts one code attempt of the user (429 past the allowance), before the code is looked at.
async fn reserve_attempt(k: &Kensa, user_id: Uuid, meta: &RequestMeta) -> DomainResult<String> {
    let key = format!("mfa:user:{user_id}");
    let attempt = k.throttle.reserve(&key, &CODE_ATTEMPTS).await?;
    meta.quotas.record(attempt.report("mfa", &CODE_ATTEMPTS));
    attempt.allowed()?;
    Ok(key)
}

/// Checks a second factor of a user with MFA on and uses it up (the TOTP step, or the
/// recovery code). A wrong one is audited and answers `invalid_mfa_code`.
async fn verify(k: &Kensa, user: &users::Model, factor: &SecondFactor, meta: &RequestMeta) -> DomainResult<()> {
    let key = reserve_attempt(k, user.id, meta).await?;
    let totp_row = enabled_totp(&k.db, user.id).await?.ok_or_else(not_enabled)?;
    let now = k.now();
    let txn = k.begin_write().await?;
    let accepted = match factor {
        SecondFactor::Totp(code) => match matching_step(&totp(&totp_row.secret, &user.email)?, code, now) {
            Some(step) => accept_step(&txn, user.id, step, false, now).await?,
            None => false,
        },
        SecondFactor::RecoveryCode(code) => use_recovery_code(&txn, user.id, code, now).await?,
    };
    if !accepted {
        txn.rollback().await?;
        return Err(refused(k, user, meta, json!({ "method": factor.method() })).await?);
    }
    if matches!(factor, SecondFactor::RecoveryCode(_)) {
        let left = codes_left(&txn, user.id).await?;
        let details = json!({ "recovery_codes_left": left });
        audit::record(&txn, NewAuditEvent::by_user(user, "auth.recovery_code_used", meta, details)).await?;
    }
    txn.commit().await?;
    k.throttle.reset(&key).await?;
    Ok(())
}

/// Audits a wrong code (in a transaction of its own: the refused one was rolled back) and
/// answers the error to give.
async fn refused(
    k: &Kensa,
    user: &users::Model,
    meta: &RequestMeta,
    details: serde_json::Value,
) -> DomainResult<DomainError> {
    let txn = k.begin_write().await?;
    audit::record(&txn, NewAuditEvent::by_user(user, "auth.mfa_failed", meta, details)).await?;
    txn.commit().await?;
    Ok(INVALID_CODE)
}

fn already_enabled() -> DomainError {
    DomainError::conflict(
        ErrorCode::MfaAlreadyEnabled,
        "two-factor authentication is on already; turn it off first to enrol another app",
    )
}

fn not_enabled() -> DomainError {
    DomainError::conflict(ErrorCode::MfaNotEnabled, "two-factor authentication is not turned on for this user")
}

// ---- Tickets -----------------------------------------------------------------------------

async fn issue_ticket(k: &Kensa, user_id: Uuid, purpose: Purpose) -> DomainResult<MfaChallenge> {
    let now = k.now();
    let raw = tokens::random_token();
    let txn = k.begin_write().await?;
    mfa_tickets::Entity::insert(mfa_tickets::ActiveModel::from(mfa_tickets::Model {
        id: Uuid::now_v7(),
        token_hash: tokens::hash_token(&raw),
        user_id,
        purpose: purpose.as_str().to_owned(),
        failures: 0,
        created_at: now,
        expires_at: now + TICKET_TTL,
        used_at: None,
    }))
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    Ok(MfaChallenge {
        mfa_required: true,
        enrolment_required: purpose == Purpose::Enrol,
        mfa_ticket: raw,
        expires_in: TICKET_TTL.num_seconds(),
    })
}

/// The ticket a new user enrols with when the policy requires a second factor at once.
pub(crate) async fn enrolment_ticket(k: &Kensa, user_id: Uuid) -> DomainResult<MfaChallenge> {
    issue_ticket(k, user_id, Purpose::Enrol).await
}

/// Ends every open ticket of the user (a password reset: a ticket won with the old password
/// must not outlive it), in `txn`.
pub(crate) async fn void_tickets(txn: &WriteTx, user_id: Uuid, now: DateTime<Utc>) -> DomainResult<()> {
    mfa_tickets::Entity::update_many()
        .col_expr(mfa_tickets::Column::UsedAt, Expr::value(now))
        .filter(mfa_tickets::Column::UserId.eq(user_id))
        .filter(mfa_tickets::Column::UsedAt.is_null())
        .exec(txn)
        .await?;
    Ok(())
}

/// The live ticket `raw` of `purpose` and its (active) user.
async fn ticket(k: &Kensa, raw: &str, purpose: Purpose) -> DomainResult<(mfa_tickets::Model, users::Model)> {
    let row = mfa_tickets::Entity::find()
        .filter(mfa_tickets::Column::TokenHash.eq(tokens::hash_token(raw)))
        .one(&k.db)
        .await?
        .filter(|t| {
            t.purpose == purpose.as_str()
                && t.used_at.is_none()
                && t.expires_at > k.now()
                && t.failures < TICKET_ATTEMPTS
        })
        .ok_or(INVALID_TICKET)?;
    let user = users_repo::find_by_id(&k.db, row.user_id).await?.filter(|u| u.active).ok_or(INVALID_TICKET)?;
    Ok((row, user))
}

async fn count_ticket_failure(k: &Kensa, id: Uuid) -> DomainResult<()> {
    let txn = k.begin_write().await?;
    mfa_tickets::Entity::update_many()
        .col_expr(mfa_tickets::Column::Failures, Expr::col(mfa_tickets::Column::Failures).add(1))
        .filter(mfa_tickets::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Uses the ticket up; false when a concurrent request used it first.
async fn use_ticket(k: &Kensa, id: Uuid) -> DomainResult<bool> {
    let txn = k.begin_write().await?;
    let done = mfa_tickets::Entity::update_many()
        .col_expr(mfa_tickets::Column::UsedAt, Expr::value(k.now()))
        .filter(mfa_tickets::Column::Id.eq(id))
        .filter(mfa_tickets::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(done.rows_affected == 1)
}

/// Runs `check`; a wrong code counts against the ticket.
async fn with_ticket_attempt<T>(
    k: &Kensa,
    ticket_id: Uuid,
    check: impl std::future::Future<Output = DomainResult<T>>,
) -> DomainResult<T> {
    let result = check.await;
    if matches!(&result, Err(DomainError::Unauthenticated { code: ErrorCode::InvalidMfaCode, .. })) {
        count_ticket_failure(k, ticket_id).await?;
    }
    result
}

/// Deletes at most 1,000 tickets past their lifetime; returns how many. The worker's
/// sweep calls it.
pub async fn purge_expired_tickets(k: &Kensa, now: DateTime<Utc>) -> DomainResult<u64> {
    use sea_orm::sea_query::Query;
    let expired = Query::select()
        .column(mfa_tickets::Column::Id)
        .from(mfa_tickets::Entity)
        .and_where(Expr::col(mfa_tickets::Column::ExpiresAt).lte(now))
        .limit(1_000)
        .to_owned();
    let txn = k.begin_write().await?;
    let done =
        mfa_tickets::Entity::delete_many().filter(mfa_tickets::Column::Id.in_subquery(expired)).exec(&txn).await?;
    txn.commit().await?;
    Ok(done.rows_affected)
}

// ---- Sign-in -----------------------------------------------------------------------------

/// After a correct password: a ticket when the user has MFA or the policy requires it,
/// otherwise the session.
pub(crate) async fn after_password(k: &Kensa, user: users::Model, meta: &RequestMeta) -> DomainResult<LoginOutcome> {
    if enabled_totp(&k.db, user.id).await?.is_some() {
        return Ok(LoginOutcome::MfaRequired(issue_ticket(k, user.id, Purpose::SignIn).await?));
    }
    let policy = policy::load(&k.db, user.organization_id).await?;
    if policy.requires_mfa(Role::try_from(user.role.as_str())?) {
        return Ok(LoginOutcome::MfaRequired(issue_ticket(k, user.id, Purpose::Enrol).await?));
    }
    Ok(LoginOutcome::SignedIn(sign_in(k, user, meta, json!({})).await?))
}

/// The second step of a sign-in: the ticket and a code (or a recovery code) give tokens.
pub async fn complete_sign_in(
    k: &Kensa,
    raw_ticket: &str,
    factor: SecondFactor,
    meta: &RequestMeta,
) -> DomainResult<Session> {
    let (ticket, user) = ticket(k, raw_ticket, Purpose::SignIn).await?;
    with_ticket_attempt(k, ticket.id, verify(k, &user, &factor, meta)).await?;
    if !use_ticket(k, ticket.id).await? {
        return Err(INVALID_TICKET);
    }
    sign_in(k, user, meta, json!({ "mfa": factor.method() })).await
}

/// Enrolment the policy requires, with the ticket a correct password gave.
pub async fn start_enrolment_with_ticket(
    k: &Kensa,
    raw_ticket: &str,
    meta: &RequestMeta,
) -> DomainResult<TotpEnrolment> {
    let (_, user) = ticket(k, raw_ticket, Purpose::Enrol).await?;
    start_enrolment_for(k, &user, meta).await
}

/// The first code of that enrolment turns MFA on and signs the user in.
pub async fn confirm_enrolment_with_ticket(
    k: &Kensa,
    raw_ticket: &str,
    code: &str,
    meta: &RequestMeta,
) -> DomainResult<EnrolledSession> {
    let (ticket, user) = ticket(k, raw_ticket, Purpose::Enrol).await?;
    let codes = with_ticket_attempt(k, ticket.id, confirm_for(k, &user, code, meta)).await?;
    if !use_ticket(k, ticket.id).await? {
        return Err(INVALID_TICKET);
    }
    let session = sign_in(k, user, meta, json!({ "mfa": "totp", "enrolled": true })).await?;
    Ok(EnrolledSession { session, recovery_codes: codes.recovery_codes })
}

// ---- The signed-in user's own second factor -----------------------------------------------

async fn caller(k: &Kensa, ctx: &TenantCtx) -> DomainResult<users::Model> {
    // An API key has no user, hence no second factor: there is no such resource for it.
    let user_id = ctx.user_id().ok_or(DomainError::NotFound("user"))?;
    users_repo::find_by_id(&k.db, user_id.0).await?.filter(|u| u.active).ok_or(DomainError::NotFound("user"))
}

pub async fn status(k: &Kensa, ctx: &TenantCtx) -> DomainResult<MfaStatus> {
    let user = caller(k, ctx).await?;
    let totp_row = enabled_totp(&k.db, user.id).await?;
    let policy = policy::load(&k.db, user.organization_id).await?;
    Ok(MfaStatus {
        enabled: totp_row.is_some(),
        enabled_at: totp_row.and_then(|t| t.enabled_at),
        recovery_codes_left: codes_left(&k.db, user.id).await?,
        required_by_policy: policy.requires_mfa(ctx.role()),
    })
}

/// Starts (or restarts) enrolment: a new secret, not in force until confirmed.
pub async fn start_enrolment(k: &Kensa, ctx: &TenantCtx) -> DomainResult<TotpEnrolment> {
    let user = caller(k, ctx).await?;
    start_enrolment_for(k, &user, ctx.meta()).await
}

async fn start_enrolment_for(k: &Kensa, user: &users::Model, meta: &RequestMeta) -> DomainResult<TotpEnrolment> {
    if enabled_totp(&k.db, user.id).await?.is_some() {
        return Err(already_enabled());
    }
    // Each call writes a secret and an audit event: bounded per user.
    let attempt = k.throttle.reserve(&format!("mfa:enrol:{}", user.id), &ENROLMENTS).await?;
    meta.quotas.record(attempt.report("mfa-enrol", &ENROLMENTS));
    attempt.allowed()?;
    let secret = new_secret()?;
    let otpauth_uri = totp(&secret, &user.email)?.get_url();
    let now = k.now();
    let txn = k.begin_write().await?;
    // Only a pending enrolment is replaced: one confirmed meanwhile stays.
    user_totp::Entity::delete_many()
        .filter(user_totp::Column::UserId.eq(user.id))
        .filter(user_totp::Column::EnabledAt.is_null())
        .exec(&txn)
        .await?;
    let inserted = user_totp::Entity::insert(user_totp::ActiveModel::from(user_totp::Model {
        user_id: user.id,
        secret: secret.clone(),
        enabled_at: None,
        last_step: None,
        created_at: now,
    }))
    .on_conflict(OnConflict::column(user_totp::Column::UserId).do_nothing().to_owned())
    .exec_without_returning(&txn)
    .await?;
    if inserted == 0 {
        return Err(already_enabled());
    }
    audit::record(&txn, NewAuditEvent::by_user(user, "auth.mfa_enrolment_started", meta, json!({}))).await?;
    txn.commit().await?;
    Ok(TotpEnrolment { secret, otpauth_uri })
}

/// The first code from the app: MFA is on from now, and here are the recovery codes.
pub async fn confirm_enrolment(k: &Kensa, ctx: &TenantCtx, code: &str) -> DomainResult<RecoveryCodes> {
    check_length("code", code)?;
    let user = caller(k, ctx).await?;
    confirm_for(k, &user, code, ctx.meta()).await
}

async fn confirm_for(k: &Kensa, user: &users::Model, code: &str, meta: &RequestMeta) -> DomainResult<RecoveryCodes> {
    let pending = user_totp::Entity::find_by_id(user.id).one(&k.db).await?;
    let pending = match pending {
        Some(p) if p.enabled_at.is_none() => p,
        Some(_) => {
            return Err(DomainError::conflict(ErrorCode::MfaAlreadyEnabled, "two-factor authentication is on already"));
        }
        None => {
            return Err(DomainError::conflict(
                ErrorCode::MfaNotEnabled,
                "no enrolment is waiting for a code; start one first",
            ));
        }
    };
    let key = reserve_attempt(k, user.id, meta).await?;
    let now = k.now();
    let step = matching_step(&totp(&pending.secret, &user.email)?, code.trim(), now);
    let txn = k.begin_write().await?;
    let accepted = match step {
        Some(step) => accept_step(&txn, user.id, step, true, now).await?,
        None => false,
    };
    if !accepted {
        txn.rollback().await?;
        return Err(refused(k, user, meta, json!({ "method": "totp", "enrolment": true })).await?);
    }
    let recovery_codes = replace_recovery_codes(&txn, user.id, now).await?;
    audit::record(&txn, NewAuditEvent::by_user(user, "auth.mfa_enabled", meta, json!({ "method": "totp" }))).await?;
    txn.commit().await?;
    k.throttle.reset(&key).await?;
    Ok(RecoveryCodes { recovery_codes })
}

/// Turns MFA off, with a current code or a recovery code; refused while the organization's
/// policy requires it of the caller.
pub async fn disable(k: &Kensa, ctx: &TenantCtx, code: &str) -> DomainResult<()> {
    check_length("code", code)?;
    let user = caller(k, ctx).await?;
    if policy::load(&k.db, user.organization_id).await?.requires_mfa(ctx.role()) {
        return Err(DomainError::conflict(
            ErrorCode::MfaRequiredByPolicy,
            "your organization requires two-factor authentication; it cannot be turned off",
        ));
    }
    verify(k, &user, &SecondFactor::parse(code), ctx.meta()).await?;
    let txn = k.begin_write().await?;
    user_totp::Entity::delete_by_id(user.id).exec(&txn).await?;
    recovery_codes::Entity::delete_many().filter(recovery_codes::Column::UserId.eq(user.id)).exec(&txn).await?;
    audit::record(&txn, NewAuditEvent::by_user(&user, "auth.mfa_disabled", ctx.meta(), json!({}))).await?;
    txn.commit().await?;
    Ok(())
}

/// The signed-in user proves again that they are themselves before something that cannot be
/// undone (erasing the organization): their password and, with MFA on, a current code or a
/// recovery code. Throttled like a sign-in; a wrong password is audited. A person only: an
/// API key has no password.
pub async fn reauthenticate(
    k: &Kensa,
    ctx: &TenantCtx,
    password: &str,
    code: Option<&str>,
) -> DomainResult<users::Model> {
    if ctx.api_key().is_some() {
        return Err(DomainError::Forbidden);
    }
    check_lengths(&[("code", code)])?;
    if password.chars().count() > super::password::MAX_LENGTH {
        let message = format!("must be at most {} characters", super::password::MAX_LENGTH);
        return Err(DomainError::Validation(vec![FieldError::new("password", ErrorCode::TooLong, message)]));
    }
    let user = caller(k, ctx).await?;
    let key = format!("reauth:user:{}", user.id);
    let attempt = k.throttle.reserve(&key, &CODE_ATTEMPTS).await?;
    ctx.meta().quotas.record(attempt.report("reauthentication", &CODE_ATTEMPTS));
    attempt.allowed()?;
    if !k.passwords.verify(password, &user.password_hash).await? {
        let txn = k.begin_write().await?;
        audit::record(&txn, NewAuditEvent::by_user(&user, "auth.reauthentication_failed", ctx.meta(), json!({})))
            .await?;
        txn.commit().await?;
        return Err(DomainError::Refused {
            code: ErrorCode::ReauthenticationFailed,
            detail: "the password is not correct",
        });
    }
    if enabled_totp(&k.db, user.id).await?.is_some() {
        let Some(code) = code.filter(|c| !c.trim().is_empty()) else {
            return Err(DomainError::Validation(vec![FieldError::new(
                "code",
                ErrorCode::Required,
                "two-factor authentication is on: give a current code or a recovery code",
            )]));
        };
        verify(k, &user, &SecondFactor::parse(code), ctx.meta()).await?;
    }
    k.throttle.reset(&key).await?;
    Ok(user)
}

/// New recovery codes (the old ones stop working), with a current code.
pub async fn regenerate_recovery_codes(k: &Kensa, ctx: &TenantCtx, code: &str) -> DomainResult<RecoveryCodes> {
    check_length("code", code)?;
    let user = caller(k, ctx).await?;
    verify(k, &user, &SecondFactor::parse(code), ctx.meta()).await?;
    let txn = k.begin_write().await?;
    let recovery_codes = replace_recovery_codes(&txn, user.id, k.now()).await?;
    audit::record(&txn, NewAuditEvent::by_user(&user, "auth.recovery_codes_regenerated", ctx.meta(), json!({})))
        .await?;
    txn.commit().await?;
    Ok(RecoveryCodes { recovery_codes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_its_step_and_the_neighbouring_ones_only() -> DomainResult<()> {
        let secret = new_secret()?;
        let t = totp(&secret, "a@example.com")?;
        let now = DateTime::<Utc>::from_timestamp(1_800_000_015, 0).unwrap_or_default();
        let code_at = |secs: i64| t.generate(u64::try_from(now.timestamp() + secs).unwrap_or_default());
        assert_eq!(matching_step(&t, &code_at(0), now), Some(now.timestamp() / 30));
        assert_eq!(matching_step(&t, &code_at(-30), now), Some(now.timestamp() / 30 - 1));
        assert_eq!(matching_step(&t, &code_at(30), now), Some(now.timestamp() / 30 + 1));
        let stale = code_at(-90);
        if ![code_at(-30), code_at(0), code_at(30)].contains(&stale) {
            assert_eq!(matching_step(&t, &stale, now), None);
        }
        Ok(())
    }

    #[test]
    fn recovery_codes_are_long_unambiguous_and_forgiving_in_form() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 19, "{code}");
        assert!(code.chars().all(|c| c == '-' || RECOVERY_ALPHABET.contains(&(c as u8))), "{code}");
        assert_eq!(recovery_hash(&code), recovery_hash(&code.to_uppercase().replace('-', " ")));
        assert!(matches!(SecondFactor::parse(" 123456 "), SecondFactor::Totp(c) if c == "123456"));
        assert!(matches!(SecondFactor::parse(&code), SecondFactor::RecoveryCode(_)));
    }
}
