use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::json;
use tracing::instrument;

use super::session::{self, Session};
use super::{password, tokens};
use crate::Kensa;
use crate::audit::{self, NewAuditEvent};
use crate::entities::refresh_tokens;
use crate::error::{DomainError, DomainResult};
use crate::ids::{OrganizationId, UserId};
use crate::tenant::{RequestMeta, Role, TenantCtx};
use crate::users::model::{EmailAddress, Validator, parse_locale};
use crate::users::repo::{self as users_repo, NewUser};
use crate::users::{Me, User};

const INVALID_CREDENTIALS: DomainError =
    DomainError::Unauthenticated { code: "invalid_credentials", detail: "email or password is incorrect" };
const INVALID_REFRESH: DomainError =
    DomainError::Unauthenticated { code: "invalid_refresh_token", detail: "the refresh token is not valid" };

pub struct SignupInput {
    pub organization_name: String,
    pub name: String,
    pub email: String,
    pub password: String,
    pub locale: Option<String>,
}

/// Sign-up input that passed validation.
pub(crate) struct ValidSignup {
    org_name: String,
    name: String,
    email: EmailAddress,
    locale: String,
    password_hash: String,
}

pub(crate) async fn validate_signup(k: &Kensa, input: SignupInput) -> DomainResult<ValidSignup> {
    let mut v = Validator::default();
    let org_name = v.check(crate::text::name("organization_name", &input.organization_name));
    let name = v.check(crate::text::name("name", &input.name));
    let email = v.check(EmailAddress::parse("email", &input.email));
    let locale = v.check(parse_locale(input.locale.as_deref()));
    v.extend(password::policy_violations(&input.password, &input.email));
    v.finish()?;
    let (Some(org_name), Some(name), Some(email), Some(locale)) = (org_name, name, email, locale) else {
        return Err(DomainError::internal("validator"));
    };
    if users_repo::find_by_email(&k.db, email.as_str()).await?.is_some() {
        return Err(DomainError::conflict("email_taken", "a user with this email address already exists"));
    }
    let password_hash = password::hash(&input.password).await?;
    Ok(ValidSignup { org_name, name, email, locale, password_hash })
}

/// Creates the organization and its owner inside `conn`'s transaction and signs them in.
pub(crate) async fn create_account(
    k: &Kensa,
    conn: &impl sea_orm::ConnectionTrait,
    valid: ValidSignup,
    meta: &RequestMeta,
) -> DomainResult<Session> {
    let now = crate::db::now();
    let org = users_repo::insert_organization(conn, &valid.org_name).await?;
    let user = users_repo::insert(
        conn,
        NewUser {
            organization_id: org.id,
            email: valid.email.as_str(),
            name: &valid.name,
            password_hash: valid.password_hash,
            role: Role::Owner,
            locale: &valid.locale,
        },
    )
    .await
    .map_err(unique_email)?;
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
    session::start(k, conn, user, now).await
}

/// Creates an organization and its owner, and signs the owner in.
#[instrument(skip_all)]
pub async fn signup(k: &Kensa, input: SignupInput, meta: &RequestMeta) -> DomainResult<Session> {
    let valid = validate_signup(k, input).await?;
    let (_write, txn) = k.begin_write().await?;
    let session = create_account(k, &txn, valid, meta).await?;
    txn.commit().await?;
    Ok(session)
}

/// A race between two sign-ups with one address ends at the unique index: report it as the
/// conflict it is.
fn unique_email(e: DomainError) -> DomainError {
    e.on_unique("email_taken", "a user with this email address already exists")
}

pub struct LoginInput {
    pub email: String,
    pub password: String,
}

/// Checks the password, throttling per account and per client address. Unknown accounts
/// cost the same hash verification as known ones, so timing does not reveal them.
#[instrument(skip_all)]
pub async fn login(k: &Kensa, input: LoginInput, meta: &RequestMeta) -> DomainResult<Session> {
    let email = EmailAddress::parse("email", &input.email).map_err(|e| DomainError::Validation(vec![e]))?.into_string();
    let keys = [format!("login:acct:{email}"), format!("login:ip:{}", meta.client_ip.as_deref().unwrap_or("unknown"))];
    for key in &keys {
        if let Some(retry_after_secs) = k.throttle.blocked_for(key).await? {
            return Err(DomainError::TooManyRequests { retry_after_secs });
        }
    }
    let user = users_repo::find_by_email(&k.db, &email).await?;
    let hash = match &user {
        Some(u) => u.password_hash.clone(),
        None => password::dummy_hash().await.to_owned(),
    };
    let password_ok = password::verify(&input.password, &hash).await;
    let user = match user {
        Some(user) if password_ok && user.active => user,
        other => {
            for key in &keys {
                k.throttle.record_failure(key).await?;
            }
            audit::record(
                &k.db,
                NewAuditEvent {
                    organization_id: other.as_ref().map(|u| OrganizationId(u.organization_id)),
                    actor_user_id: other.as_ref().map(|u| UserId(u.id)),
                    action: "auth.login_failed",
                    target: other.as_ref().map(|u| ("user", u.id.to_string())),
                    meta,
                    details: json!({ "email": email, "reason": if other.is_some() && password_ok { "inactive" } else { "bad_credentials" } }),
                },
            )
            .await?;
            return Err(INVALID_CREDENTIALS);
        }
    };
    k.throttle.reset(&keys[0]).await?;
    let now = crate::db::now();
    let (_write, txn) = k.begin_write().await?;
    audit::record(
        &txn,
        NewAuditEvent {
            organization_id: Some(OrganizationId(user.organization_id)),
            actor_user_id: Some(UserId(user.id)),
            action: "auth.login",
            target: Some(("user", user.id.to_string())),
            meta,
            details: json!({}),
        },
    )
    .await?;
    let session = session::start(k, &txn, user, now).await?;
    txn.commit().await?;
    Ok(session)
}

/// Rotates a refresh token. Presenting one that was already used means it leaked: the whole
/// family is revoked and the caller must sign in again.
#[instrument(skip_all)]
pub async fn refresh(k: &Kensa, refresh_token: &str, meta: &RequestMeta) -> DomainResult<Session> {
    let now = crate::db::now();
    let row = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(tokens::hash_token(refresh_token)))
        .one(&k.db)
        .await?
        .ok_or(INVALID_REFRESH)?;
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Err(INVALID_REFRESH);
    }
    let user = users_repo::find_by_id(&k.db, row.user_id).await?.filter(|u| u.active).ok_or(INVALID_REFRESH)?;
    let (_write, txn) = k.begin_write().await?;
    let consumed = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::UsedAt, Expr::value(now))
        .filter(refresh_tokens::Column::Id.eq(row.id))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if consumed.rows_affected != 1 {
        txn.rollback().await?;
        revoke_family(k, row.family_id, now).await?;
        audit::record(
            &k.db,
            NewAuditEvent {
                organization_id: Some(OrganizationId(user.organization_id)),
                actor_user_id: Some(UserId(user.id)),
                action: "auth.refresh_reuse_detected",
                target: Some(("user", user.id.to_string())),
                meta,
                details: json!({ "family_id": row.family_id }),
            },
        )
        .await?;
        return Err(DomainError::Unauthenticated {
            code: "refresh_token_reused",
            detail: "this refresh token was already used; all sessions from that sign-in were revoked",
        });
    }
    audit::record(
        &txn,
        NewAuditEvent {
            organization_id: Some(OrganizationId(user.organization_id)),
            actor_user_id: Some(UserId(user.id)),
            action: "auth.refresh",
            target: Some(("user", user.id.to_string())),
            meta,
            details: json!({}),
        },
    )
    .await?;
    let session = session::issue(k, &txn, user, row.family_id, now).await?;
    txn.commit().await?;
    Ok(session)
}

async fn revoke_family(k: &Kensa, family: uuid::Uuid, now: DateTime<Utc>) -> DomainResult<()> {
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::FamilyId.eq(family))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(&k.db)
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
    revoke_family(k, row.family_id, crate::db::now()).await?;
    if let Some(user) = users_repo::find_by_id(&k.db, row.user_id).await? {
        audit::record(
            &k.db,
            NewAuditEvent {
                organization_id: Some(OrganizationId(user.organization_id)),
                actor_user_id: Some(UserId(user.id)),
                action: "auth.logout",
                target: Some(("user", user.id.to_string())),
                meta,
                details: json!({}),
            },
        )
        .await?;
    }
    Ok(())
}

/// Turns a bearer token into a tenant context. Who the subject is comes from the principal
/// cache (at most a few seconds old) or the database, so that deactivation and role
/// changes take effect without waiting for the token to expire.
pub async fn authenticate(k: &Kensa, bearer: &str, meta: RequestMeta) -> DomainResult<TenantCtx> {
    const INVALID: DomainError =
        DomainError::Unauthenticated { code: "invalid_token", detail: "the access token is not valid" };
    let claims = k.jwt.verify(bearer)?;
    let principal = match k.principals.get(claims.sub) {
        Some(cached) => cached,
        None => {
            let user = users_repo::find_by_id(&k.db, claims.sub).await?.ok_or(INVALID)?;
            let org = crate::entities::organizations::Entity::find_by_id(user.organization_id)
                .one(&k.db)
                .await?
                .ok_or(INVALID)?;
            let me = std::sync::Arc::new(Me { user: User::from_row(user)?, organization: org.into() });
            k.principals.put(me.clone());
            me
        }
    };
    if !principal.user.active || principal.user.organization_id != claims.org {
        return Err(INVALID);
    }
    Ok(TenantCtx::authenticated(
        OrganizationId(principal.user.organization_id),
        UserId(principal.user.id),
        principal.user.role,
        meta,
        Some(principal),
    ))
}
