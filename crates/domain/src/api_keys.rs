//! API keys for integrations: an organization's owners and admins make a key with a name, a
//! scope that acts like a role, and an optional expiry. The key (`kensa_live_…`) is shown
//! once; only its SHA-256 and a visible prefix are stored. `Authorization: Bearer <key>`
//! works wherever an access token does; what a key does is recorded in the audit trail
//! with the key as the actor (`details.actor_api_key`). A key cannot manage keys.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use crate::auth::tokens;
use crate::entities::{api_keys, organizations};
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};
use crate::ids::OrganizationId;
use crate::pagination::{Page, PageRequest};
use crate::tenant::{AdminCtx, RequestMeta, Role, TenantCtx};
use crate::{Kensa, audit};

/// Every key starts with this, so that secret scanners and people recognise one.
pub const KEY_PREFIX: &str = "kensa_live_";
/// Keys an organization may hold at once (revoked and expired ones do not count).
pub const MAX_KEYS: u64 = 100;
/// `last_used_at` is written at most this often per key: a request is usually a read.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::minutes(1);

crate::closed_set::closed_set! {
    /// What a key may do: the rights of the role of the same name (`read_only` is a viewer's).
    #[cfg_attr(feature = "openapi", schema(as = ApiKeyScope))]
    #[cfg_attr(feature = "graphql", graphql(name = "ApiKeyScope"))]
    pub enum Scope("API key scope") {
        ReadOnly => "read_only",
        Respondent => "respondent",
        Reviewer => "reviewer",
        Admin => "admin",
    }
}

impl Scope {
    pub fn role(self) -> Role {
        match self {
            Scope::ReadOnly => Role::Viewer,
            Scope::Respondent => Role::Respondent,
            Scope::Reviewer => Role::Reviewer,
            Scope::Admin => Role::Admin,
        }
    }
}

/// The key as the audit trail names it.
#[derive(Clone, Debug, Serialize)]
pub struct KeyActor {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject), graphql(name = "ApiKeyInput"))]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
    /// `read_only`, `respondent`, `reviewer` or `admin`.
    #[cfg_attr(feature = "openapi", schema(value_type = Scope))]
    pub scope: String,
    /// After this instant the key no longer works; none: until revoked.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A key as listed: never the key itself.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    pub scope: Scope,
    /// The visible start of the key, to recognise it.
    pub prefix: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub last_used_address: Option<String>,
}

/// A key just made: the only time `key` is shown.
#[derive(Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub api_key: ApiKey,
    /// The credential, `kensa_live_…`: store it now, it is never shown again.
    pub key: String,
}

impl std::fmt::Debug for CreatedApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedApiKey").field("api_key", &self.api_key).field("key", &"[redacted]").finish()
    }
}

fn view(r: api_keys::Model) -> DomainResult<ApiKey> {
    Ok(ApiKey {
        id: r.id,
        name: r.name,
        scope: Scope::try_from(r.scope.as_str())?,
        prefix: r.prefix,
        created_by: r.created_by,
        created_at: r.created_at,
        expires_at: r.expires_at,
        revoked_at: r.revoked_at,
        last_used_at: r.last_used_at,
        last_used_address: r.last_used_address,
    })
}

/// Keys are managed by people: a key (even an admin key) cannot make or revoke keys.
fn by_a_person(admin: AdminCtx<'_>) -> DomainResult<()> {
    if admin.tenant().api_key().is_some() || admin.tenant().user_id().is_none() {
        return Err(DomainError::Forbidden);
    }
    Ok(())
}

#[instrument(skip_all, fields(org = %admin.tenant().org_id()))]
pub async fn create(k: &Kensa, admin: AdminCtx<'_>, input: NewApiKey) -> DomainResult<CreatedApiKey> {
    by_a_person(admin)?;
    let ctx = admin.tenant();
    let now = k.now();
    let mut errors = Vec::new();
    let name = match crate::text::name("name", &input.name) {
        Ok(n) => Some(n),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let scope = Scope::parse(&input.scope);
    if scope.is_none() {
        errors.push(FieldError::new("scope", ErrorCode::InvalidValue, "read_only, respondent, reviewer or admin"));
    }
    if let Some(at) = input.expires_at {
        if let Err(e) = crate::text::datetime("expires_at", at) {
            errors.push(e);
        } else if at <= now {
            errors.push(FieldError::new("expires_at", ErrorCode::InvalidValue, "must be in the future"));
        }
    }
    let (Some(name), Some(scope), true) = (name, scope, errors.is_empty()) else {
        return Err(DomainError::Validation(errors));
    };
    let live = api_keys::Entity::find()
        .filter(api_keys::Column::OrganizationId.eq(ctx.org_id().0))
        .filter(api_keys::Column::RevokedAt.is_null())
        .filter(Condition::any().add(api_keys::Column::ExpiresAt.is_null()).add(api_keys::Column::ExpiresAt.gt(now)))
        .count(&k.db)
        .await?;
    if live >= MAX_KEYS {
        return Err(DomainError::Unprocessable {
            code: ErrorCode::TooMany,
            detail: format!("an organization holds at most {MAX_KEYS} live keys; revoke one first"),
            errors: Vec::new(),
        });
    }
    let secret = tokens::random_token();
    let key = format!("{KEY_PREFIX}{secret}");
    let prefix = format!("{KEY_PREFIX}{}", secret.chars().take(8).collect::<String>());
    let row = api_keys::Model {
        id: Uuid::now_v7(),
        organization_id: ctx.org_id().0,
        name,
        scope: scope.as_str().to_owned(),
        prefix,
        key_hash: tokens::hash_token(&key),
        created_by: ctx.user_id().map(|u| u.0),
        created_at: now,
        expires_at: input.expires_at,
        revoked_at: None,
        last_used_at: None,
        last_used_address: None,
    };
    let txn = k.begin_write().await?;
    api_keys::Entity::insert(api_keys::ActiveModel::from(row.clone())).exec_without_returning(&txn).await?;
    audit::record_action(
        &txn,
        ctx,
        "api_key.created",
        Some(("api_key", row.id.to_string())),
        json!({ "name": row.name, "scope": row.scope, "prefix": row.prefix, "expires_at": row.expires_at }),
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedApiKey { api_key: view(row)?, key })
}

#[instrument(skip_all, fields(org = %admin.tenant().org_id()))]
pub async fn list(k: &Kensa, admin: AdminCtx<'_>, page: &PageRequest) -> DomainResult<Page<ApiKey>> {
    let mut query = api_keys::Entity::find().filter(api_keys::Column::OrganizationId.eq(admin.tenant().org_id().0));
    if let Some(cursor) = page.cursor {
        query = query.filter(api_keys::Column::Id.gt(cursor));
    }
    let rows = query.order_by_asc(api_keys::Column::Id).limit(page.limit + 1).all(&k.db).await?;
    let page = Page::from_rows(rows, page.limit, |r| r.id);
    let data = page.data.into_iter().map(view).collect::<DomainResult<Vec<_>>>()?;
    Ok(Page { data, next_cursor: page.next_cursor })
}

/// Revokes a key of the caller's organization (at once: the next request with it is a 401).
/// Revoking a revoked key changes nothing.
#[instrument(skip_all, fields(org = %admin.tenant().org_id(), key = %id))]
pub async fn revoke(k: &Kensa, admin: AdminCtx<'_>, id: Uuid) -> DomainResult<()> {
    by_a_person(admin)?;
    let ctx = admin.tenant();
    let row = api_keys::Entity::find_by_id(id)
        .filter(api_keys::Column::OrganizationId.eq(ctx.org_id().0))
        .one(&k.db)
        .await?
        .ok_or(DomainError::NotFound("api key"))?;
    if row.revoked_at.is_some() {
        return Ok(());
    }
    let txn = k.begin_write().await?;
    let mut active: api_keys::ActiveModel = row.clone().into();
    active.revoked_at = Set(Some(k.now()));
    active.update(&txn).await?;
    audit::record_action(
        &txn,
        ctx,
        "api_key.revoked",
        Some(("api_key", id.to_string())),
        json!({ "prefix": row.prefix }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The tenant a key stands for, or 401. Only `authenticate` calls this.
pub(crate) async fn authenticate(k: &Kensa, key: &str, mut meta: RequestMeta) -> DomainResult<TenantCtx> {
    const INVALID: DomainError =
        DomainError::Unauthenticated { code: ErrorCode::InvalidToken, detail: "the API key is not valid" };
    let now = k.now();
    let row = api_keys::Entity::find()
        .filter(api_keys::Column::KeyHash.eq(tokens::hash_token(key)))
        .one(&k.db)
        .await?
        .ok_or(INVALID)?;
    if row.revoked_at.is_some() || row.expires_at.is_some_and(|at| at <= now) {
        return Err(INVALID);
    }
    if organizations::Entity::find_by_id(row.organization_id).one(&k.db).await?.is_none() {
        return Err(INVALID);
    }
    let scope = Scope::try_from(row.scope.as_str())?;
    let stale = row.last_used_at.is_none_or(|at| now - at >= TOUCH_EVERY) || row.last_used_address != meta.client_ip;
    if stale && let Err(e) = touch(k, row.id, now, meta.client_ip.clone()).await {
        // Best effort: a read must not fail because its key's "last used" could not be noted.
        tracing::warn!(error = %e, "could not record an API key's use");
    }
    meta.api_key = Some(KeyActor { id: row.id, name: row.name, prefix: row.prefix });
    Ok(TenantCtx::for_api_key(OrganizationId(row.organization_id), scope.role(), meta))
}

async fn touch(k: &Kensa, id: Uuid, now: DateTime<Utc>, address: Option<String>) -> DomainResult<()> {
    let txn = k.begin_write().await?;
    api_keys::Entity::update_many()
        .col_expr(api_keys::Column::LastUsedAt, Expr::value(now))
        .col_expr(api_keys::Column::LastUsedAddress, Expr::value(address))
        .filter(api_keys::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_act_as_the_role_of_the_same_name() {
        assert_eq!(Scope::ReadOnly.role(), Role::Viewer);
        assert_eq!(Scope::Admin.role(), Role::Admin);
        assert_eq!(Scope::parse("owner"), None, "no key is an owner");
    }

    #[test]
    fn a_created_key_never_prints() {
        let now = Utc::now();
        let created = CreatedApiKey {
            api_key: ApiKey {
                id: Uuid::nil(),
                name: "ERP".into(),
                scope: Scope::ReadOnly,
                prefix: "kensa_live_abcdefgh".into(),
                created_by: None,
                created_at: now,
                expires_at: None,
                revoked_at: None,
                last_used_at: None,
                last_used_address: None,
            },
            key: "kensa_live_secret-value".into(),
        };
        assert!(!format!("{created:?}").contains("secret-value"));
    }
}
