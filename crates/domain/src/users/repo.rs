//! User and organization queries. Tenant data is only reachable through a [`TenantCtx`].

use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::entities::{organizations, users};
use crate::error::DomainResult;
use crate::ids::UserId;
use crate::pagination::PageRequest;
use crate::tenant::{Role, TenantCtx};

pub async fn find_in_org(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    id: UserId,
) -> DomainResult<Option<users::Model>> {
    Ok(users::Entity::find_by_id(id.0).filter(users::Column::OrganizationId.eq(ctx.org_id().0)).one(conn).await?)
}

pub async fn list(conn: &impl ConnectionTrait, ctx: &TenantCtx, page: &PageRequest) -> DomainResult<Vec<users::Model>> {
    let mut query = users::Entity::find().filter(users::Column::OrganizationId.eq(ctx.org_id().0));
    if let Some(cursor) = page.cursor {
        query = query.filter(users::Column::Id.gt(cursor));
    }
    Ok(query.order_by_asc(users::Column::Id).limit(page.limit + 1).all(conn).await?)
}

/// Counts the active owners, locking their rows (`FOR UPDATE` on PostgreSQL; SQLite's
/// immediate write transactions are serial already): two admins demoting the two last
/// owners at once must not both see "another owner remains".
pub async fn count_active_owners(conn: &impl ConnectionTrait, ctx: &TenantCtx) -> DomainResult<u64> {
    let owners = users::Entity::find()
        .filter(users::Column::OrganizationId.eq(ctx.org_id().0))
        .filter(users::Column::Role.eq(Role::Owner.as_str()))
        .filter(users::Column::Active.eq(true))
        .lock_exclusive()
        .all(conn)
        .await?;
    Ok(owners.len() as u64)
}

pub async fn organization(conn: &impl ConnectionTrait, ctx: &TenantCtx) -> DomainResult<Option<organizations::Model>> {
    Ok(organizations::Entity::find_by_id(ctx.org_id().0).one(conn).await?)
}

/// Authentication's lookup by login name; not tenant-scoped because nobody is signed in yet.
pub(crate) async fn find_by_email(conn: &impl ConnectionTrait, email: &str) -> DomainResult<Option<users::Model>> {
    Ok(users::Entity::find().filter(users::Column::Email.eq(email)).one(conn).await?)
}

/// Authentication's lookup of the token's subject.
pub(crate) async fn find_by_id(conn: &impl ConnectionTrait, id: Uuid) -> DomainResult<Option<users::Model>> {
    Ok(users::Entity::find_by_id(id).one(conn).await?)
}

pub(crate) struct NewUser<'a> {
    pub organization_id: Uuid,
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: String,
    pub role: Role,
    pub locale: super::model::Locale,
    /// The address is proven already (the user joins through a link mailed to it).
    pub email_verified: bool,
}

/// Returns the raw database error so callers can tell a taken email (unique index) apart.
pub(crate) async fn insert(conn: &crate::WriteTx, new: NewUser<'_>) -> Result<users::Model, sea_orm::DbErr> {
    let now = conn.now();
    let row = users::Model {
        id: Uuid::now_v7(),
        organization_id: new.organization_id,
        email: new.email.to_owned(),
        name: new.name.to_owned(),
        password_hash: new.password_hash,
        role: new.role.as_str().to_owned(),
        locale: new.locale.as_str().to_owned(),
        active: true,
        created_at: now,
        updated_at: now,
        email_verified_at: new.email_verified.then_some(now),
    };
    users::Entity::insert(users::ActiveModel::from(row.clone())).exec_without_returning(conn).await?;
    Ok(row)
}

/// `verified`: its owner's address is proven already (see [`NewUser::email_verified`]).
pub(crate) async fn insert_organization(
    conn: &crate::WriteTx,
    name: &str,
    verified: bool,
) -> DomainResult<organizations::Model> {
    let now = conn.now();
    let row = organizations::Model {
        id: Uuid::now_v7(),
        name: name.to_owned(),
        created_at: now,
        verified_at: verified.then_some(now),
    };
    organizations::Entity::insert(organizations::ActiveModel::from(row.clone())).exec_without_returning(conn).await?;
    Ok(row)
}

pub async fn update(conn: &crate::WriteTx, row: users::Model, role: Role, active: bool) -> DomainResult<users::Model> {
    let mut model: users::ActiveModel = row.into();
    model.role = Set(role.as_str().to_owned());
    model.active = Set(active);
    model.updated_at = Set(conn.now());
    Ok(users::Entity::update(model).exec(conn).await?)
}

/// An active user of `organization` and the organization, for a mail about it; `None` when
/// either is gone or the user left or was deactivated since the mail was queued.
pub(crate) async fn active_member(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    organization: Uuid,
) -> DomainResult<Option<(users::Model, organizations::Model)>> {
    let Some(user) = users::Entity::find_by_id(user_id).one(conn).await? else { return Ok(None) };
    if user.organization_id != organization || !user.active {
        return Ok(None);
    }
    Ok(organizations::Entity::find_by_id(organization).one(conn).await?.map(|org| (user, org)))
}
