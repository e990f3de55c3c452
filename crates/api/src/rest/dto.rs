//! Wire types of the REST API. They mirror the domain's types so that the domain stays free
//! of HTTP and documentation concerns.

use chrono::{DateTime, Utc};
use kensa_domain::{audit, auth, tenant::Role, users};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum RoleDto {
    Owner,
    Admin,
    Reviewer,
    Respondent,
    Viewer,
}

impl From<Role> for RoleDto {
    fn from(role: Role) -> Self {
        match role {
            Role::Owner => RoleDto::Owner,
            Role::Admin => RoleDto::Admin,
            Role::Reviewer => RoleDto::Reviewer,
            Role::Respondent => RoleDto::Respondent,
            Role::Viewer => RoleDto::Viewer,
        }
    }
}

impl From<RoleDto> for Role {
    fn from(role: RoleDto) -> Self {
        match role {
            RoleDto::Owner => Role::Owner,
            RoleDto::Admin => Role::Admin,
            RoleDto::Reviewer => Role::Reviewer,
            RoleDto::Respondent => Role::Respondent,
            RoleDto::Viewer => Role::Viewer,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: RoleDto,
    pub locale: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<users::User> for UserDto {
    fn from(u: users::User) -> Self {
        Self {
            id: u.id,
            organization_id: u.organization_id,
            email: u.email,
            name: u.name,
            role: u.role.into(),
            locale: u.locale,
            active: u.active,
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationDto {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl From<users::Organization> for OrganizationDto {
    fn from(o: users::Organization) -> Self {
        Self { id: o.id, name: o.name, created_at: o.created_at }
    }
}

/// Tokens for a signed-in session.
#[derive(Serialize, ToSchema)]
pub struct SessionDto {
    /// JWT for `Authorization: Bearer`; expires after `expires_in` seconds.
    pub access_token: String,
    /// Opaque, single use: exchange it at `/auth/refresh` for a new pair.
    pub refresh_token: String,
    pub token_type: String,
    pub expires_in: i64,
    pub user: UserDto,
    pub organization: OrganizationDto,
}

kensa_domain::redacted_debug!(SessionDto { token_type, expires_in, user, organization } secret { access_token, refresh_token });

impl From<auth::Session> for SessionDto {
    fn from(s: auth::Session) -> Self {
        Self {
            access_token: s.access_token,
            refresh_token: s.refresh_token,
            token_type: s.token_type.into(),
            expires_in: s.expires_in,
            user: s.user.into(),
            organization: s.organization.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeDto {
    pub user: UserDto,
    pub organization: OrganizationDto,
    pub role: RoleDto,
}

impl From<users::Me> for MeDto {
    fn from(me: users::Me) -> Self {
        let role = me.user.role.into();
        Self { user: me.user.into(), organization: me.organization.into(), role }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationDto {
    pub id: Uuid,
    pub email: String,
    pub role: RoleDto,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl From<users::Invitation> for InvitationDto {
    fn from(i: users::Invitation) -> Self {
        Self { id: i.id, email: i.email, role: i.role.into(), expires_at: i.expires_at, created_at: i.created_at }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationPreviewDto {
    pub organization_name: String,
    pub email: String,
    pub role: RoleDto,
    pub expires_at: DateTime<Utc>,
}

impl From<users::InvitationPreview> for InvitationPreviewDto {
    fn from(p: users::InvitationPreview) -> Self {
        Self { organization_name: p.organization_name, email: p.email, role: p.role.into(), expires_at: p.expires_at }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventDto {
    pub id: Uuid,
    pub actor_user_id: Option<Uuid>,
    /// Dotted action name, e.g. `auth.login`, `user.invited`, `user.role_changed`.
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl From<audit::AuditEvent> for AuditEventDto {
    fn from(e: audit::AuditEvent) -> Self {
        Self {
            id: e.id,
            actor_user_id: e.actor_user_id,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            client_ip: e.client_ip,
            request_id: e.request_id,
            details: e.details,
            created_at: e.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    pub data: Vec<UserDto>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventPage {
    pub data: Vec<AuditEventDto>,
    pub next_cursor: Option<String>,
}

/// `?limit=&cursor=`
#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    /// 1–200, default 50.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
