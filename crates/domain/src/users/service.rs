//! Organization membership: list, invite, change role, deactivate.

use crate::error::ErrorCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use tracing::instrument;

use super::model::{EmailAddress, Invitation, Me, User, UserChanges, Validator};
use super::repo;
use crate::Kensa;
use crate::audit;
use crate::entities::{refresh_tokens, user_invitations};
use crate::error::{DomainError, DomainResult};
use crate::ids::UserId;
use crate::jobs::{self, Job};
use crate::pagination::{Page, PageRequest};
use crate::tenant::{AdminCtx, Role, TenantCtx};

pub const INVITATION_TTL: chrono::Duration = chrono::Duration::days(7);

#[instrument(skip_all, fields(org = %ctx.org_id()))]
pub async fn me(k: &Kensa, ctx: &TenantCtx) -> DomainResult<Me> {
    if let Some(principal) = ctx.principal() {
        return Ok(principal.clone());
    }
    let user_id = ctx.user_id().ok_or(DomainError::NotFound("user"))?;
    let user = repo::find_in_org(&k.db, ctx, user_id).await?.ok_or(DomainError::NotFound("user"))?;
    let organization = repo::organization(&k.db, ctx).await?.ok_or(DomainError::NotFound("organization"))?;
    Ok(Me::new(User::from_row(user)?, organization.into()))
}

#[instrument(skip_all, fields(org = %admin.tenant().org_id()))]
pub async fn list(k: &Kensa, admin: AdminCtx<'_>, page: &PageRequest) -> DomainResult<Page<User>> {
    let rows = repo::list(&k.db, admin.tenant(), page).await?;
    let page = Page::from_rows(rows, page.limit, |r| r.id);
    let data = page.data.into_iter().map(User::from_row).collect::<DomainResult<Vec<_>>>()?;
    Ok(Page { data, next_cursor: page.next_cursor })
}

pub struct InviteInput {
    pub email: String,
    pub role: String,
}

/// Records the invitation and queues its mail in one transaction. Inviting an address that
/// already has a pending invitation replaces it (the old link stops working). An address
/// with an account in another organization is invited like any other: answering otherwise
/// would tell any admin which addresses use Kensa elsewhere.
#[instrument(skip_all, fields(org = %admin.tenant().org_id()))]
pub async fn invite(k: &Kensa, admin: AdminCtx<'_>, input: InviteInput) -> DomainResult<Invitation> {
    let ctx = admin.tenant();
    crate::auth::verification::ensure_may_mail(&k.db, ctx.org_id().0).await?;
    let mut v = Validator::default();
    let email = v.check(EmailAddress::parse("email", &input.email));
    let role = v.check(input.role.parse::<Role>().map_err(|_| {
        crate::error::FieldError::new(
            "role",
            ErrorCode::InvalidRole,
            "must be one of owner, admin, reviewer, respondent, viewer",
        )
    }));
    v.finish()?;
    let (Some(email), Some(role)) = (email, role) else { return Err(DomainError::internal("validator")) };
    if role == Role::Owner && ctx.role() != Role::Owner {
        return Err(DomainError::Forbidden);
    }
    // Only this organization's own members are reported: whether the address has an account
    // in another organization is not the admin's to learn (the invitee hears it on accepting).
    if repo::find_by_email(&k.db, email.as_str()).await?.is_some_and(|u| u.organization_id == ctx.org_id().0) {
        return Err(DomainError::conflict(
            ErrorCode::EmailTaken,
            "this address is already a member of your organization",
        ));
    }
    let now = k.now();
    let txn = k.begin_write().await?;
    user_invitations::Entity::update_many()
        .col_expr(user_invitations::Column::RevokedAt, sea_orm::sea_query::Expr::value(now))
        .filter(user_invitations::Column::OrganizationId.eq(ctx.org_id().0))
        .filter(user_invitations::Column::Email.eq(email.as_str()))
        .filter(user_invitations::Column::AcceptedAt.is_null())
        .filter(user_invitations::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    let row = user_invitations::Model {
        id: uuid::Uuid::now_v7(),
        organization_id: ctx.org_id().0,
        email: email.as_str().to_owned(),
        role: role.as_str().to_owned(),
        invited_by: ctx.user_id().map(|u| u.0).unwrap_or_default(),
        token_hash: None,
        expires_at: now + INVITATION_TTL,
        accepted_at: None,
        revoked_at: None,
        created_at: now,
    };
    user_invitations::Entity::insert(user_invitations::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let delivery = jobs::Delivery {
        organization_id: row.organization_id,
        channel: jobs::Channel::Mail,
        target: row.email.clone(),
    };
    jobs::enqueue_deliveries(&txn, &[(Job::UserInvitationMail { invitation_id: row.id }, delivery)], now).await?;
    audit::record_action(
        &txn,
        ctx,
        "user.invited",
        Some(("user_invitation", row.id.to_string())),
        json!({ "email": row.email, "role": row.role }),
    )
    .await?;
    txn.commit().await?;
    k.wake_worker();
    Invitation::from_row(row)
}

/// One invitation of the admin's organization, whatever became of it.
#[instrument(skip_all, fields(org = %admin.tenant().org_id(), invitation = %id))]
pub async fn invitation(k: &Kensa, admin: AdminCtx<'_>, id: uuid::Uuid) -> DomainResult<Invitation> {
    let row = user_invitations::Entity::find_by_id(id)
        .filter(user_invitations::Column::OrganizationId.eq(admin.tenant().org_id().0))
        .one(&k.db)
        .await?
        .ok_or(DomainError::NotFound("invitation"))?;
    Invitation::from_row(row)
}

/// The admin's organization's invitations still waiting for their invitee (neither
/// accepted, replaced nor expired), newest first, at most `limit`.
#[instrument(skip_all, fields(org = %admin.tenant().org_id()))]
pub async fn pending_invitations(k: &Kensa, admin: AdminCtx<'_>, limit: u64) -> DomainResult<Vec<Invitation>> {
    use sea_orm::{QueryOrder, QuerySelect};
    let rows = user_invitations::Entity::find()
        .filter(user_invitations::Column::OrganizationId.eq(admin.tenant().org_id().0))
        .filter(user_invitations::Column::AcceptedAt.is_null())
        .filter(user_invitations::Column::RevokedAt.is_null())
        .filter(user_invitations::Column::ExpiresAt.gt(k.now()))
        .order_by_desc(user_invitations::Column::CreatedAt)
        .limit(limit)
        .all(&k.db)
        .await?;
    rows.into_iter().map(Invitation::from_row).collect()
}

/// Changes a member's role or deactivates them. Only owners grant or take away ownership,
/// and the last active owner can be neither demoted nor deactivated.
#[instrument(skip_all, fields(org = %admin.tenant().org_id(), user = %user_id))]
pub async fn update(k: &Kensa, admin: AdminCtx<'_>, user_id: UserId, changes: UserChanges) -> DomainResult<User> {
    let ctx = admin.tenant();
    let txn = k.begin_write().await?;
    let target = repo::find_in_org(&txn, ctx, user_id).await?.ok_or(DomainError::NotFound("user"))?;
    let current = User::from_row(target.clone())?;
    let role = changes.role.unwrap_or(current.role);
    let active = changes.active.unwrap_or(current.active);
    let touches_owner = current.role == Role::Owner || role == Role::Owner;
    if touches_owner && role != current.role && ctx.role() != Role::Owner {
        return Err(DomainError::Forbidden);
    }
    if current.role == Role::Owner && current.active != active && ctx.role() != Role::Owner {
        return Err(DomainError::Forbidden);
    }
    let loses_owner = current.role == Role::Owner && current.active && (role != Role::Owner || !active);
    if loses_owner && repo::count_active_owners(&txn, ctx).await? <= 1 {
        return Err(DomainError::conflict(
            ErrorCode::LastOwner,
            "the organization's last owner cannot be demoted or deactivated; make another user owner first",
        ));
    }
    let updated = repo::update(&txn, target, role, active).await?;
    k.principals.invalidate(user_id.0);
    if current.active && !active {
        refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::RevokedAt, sea_orm::sea_query::Expr::value(k.now()))
            .filter(refresh_tokens::Column::UserId.eq(user_id.0))
            .filter(refresh_tokens::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
    }
    let action = if current.active && !active {
        "user.deactivated"
    } else if !current.active && active {
        "user.reactivated"
    } else {
        "user.role_changed"
    };
    audit::record_action(
        &txn,
        ctx,
        action,
        Some(("user", user_id.to_string())),
        json!({ "role": { "old": current.role, "new": role }, "active": { "old": current.active, "new": active } }),
    )
    .await?;
    txn.commit().await?;
    // Again after commit: a request between the first invalidation and the commit may have
    // cached the old row.
    k.principals.invalidate(user_id.0);
    User::from_row(updated)
}

/// The names of the caller's colleagues (any role may see who in its own organization
/// changed an answer or wrote a comment). Never another organization's people.
#[instrument(skip_all, fields(org = %ctx.org_id()))]
pub async fn colleague_names(
    k: &Kensa,
    ctx: &TenantCtx,
) -> DomainResult<std::collections::HashMap<uuid::Uuid, String>> {
    use crate::entities::users::{Column, Entity};
    use sea_orm::QuerySelect;
    let rows: Vec<(uuid::Uuid, String)> = Entity::find()
        .select_only()
        .column(Column::Id)
        .column(Column::Name)
        .filter(Column::OrganizationId.eq(ctx.org_id().0))
        .into_tuple()
        .all(&k.db)
        .await?;
    Ok(rows.into_iter().collect())
}
