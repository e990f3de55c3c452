//! Tenant scope as a type. A [`TenantCtx`] is made only by authentication
//! ([`crate::auth::AuthService::authenticate`]) or by a named job constructor; every
//! repository function that touches tenant data takes one, so no query can forget the
//! organization.

use crate::error::ErrorCode;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::ids::{OrganizationId, UserId};

// Declared from the most to the least privileged: the order of the OpenAPI `enum`, of the
// GraphQL enum and of serde's "expected one of" message. Published as `RoleDto` (OpenAPI) and
// `RoleGql` (GraphQL), the names the API has always used, so generated clients keep their
// type names. No `Ord`: the declaration order is not a privilege order anyone should compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RoleDto))]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum), graphql(name = "RoleGql"))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    Reviewer,
    Respondent,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Owner, Role::Admin, Role::Reviewer, Role::Respondent, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Reviewer => "reviewer",
            Role::Respondent => "respondent",
            Role::Viewer => "viewer",
        }
    }

    pub fn is_admin(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| {
            DomainError::validation(
                "role",
                ErrorCode::InvalidRole,
                "role must be one of owner, admin, reviewer, respondent, viewer",
            )
        })
    }
}

/// A stored `users.role` or `user_invitations.role`: an unknown value is a corrupt row, a 500
/// (unlike [`FromStr`], which reads client input and answers 422).
impl TryFrom<&str> for Role {
    type Error = DomainError;
    fn try_from(s: &str) -> Result<Self, DomainError> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| crate::error::unknown_stored("role", s))
    }
}

/// Where a request came from, recorded in the audit trail.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
    /// The rate limits the request was counted against, for the response's headers.
    pub quotas: crate::auth::throttle::QuotaLog,
    /// The API key the request authenticated with: the actor in the audit trail.
    pub api_key: Option<crate::api_keys::KeyActor>,
    /// The client's `User-Agent` (at most 256 characters): what a sign-in is listed as.
    pub user_agent: Option<String>,
}

/// Who is acting, and in which organization.
#[derive(Clone, Debug)]
pub struct TenantCtx {
    org_id: OrganizationId,
    user_id: Option<UserId>,
    role: Role,
    meta: RequestMeta,
    /// The signed-in user and organization as authentication saw them.
    principal: Option<std::sync::Arc<crate::users::Me>>,
    /// The sign-in (refresh-token family) the caller's token or cookie belongs to.
    session: Option<uuid::Uuid>,
}

impl TenantCtx {
    /// Only authentication calls this.
    pub(crate) fn authenticated(
        org_id: OrganizationId,
        user_id: UserId,
        role: Role,
        meta: RequestMeta,
        principal: Option<std::sync::Arc<crate::users::Me>>,
    ) -> Self {
        Self { org_id, user_id: Some(user_id), role, meta, principal, session: None }
    }

    /// The same caller, known to act through sign-in `session`. Only authentication calls this.
    pub(crate) fn in_session(mut self, session: uuid::Uuid) -> Self {
        self.session = Some(session);
        self
    }

    /// The sign-in the caller acts through (`None` for API keys and background jobs).
    pub fn session_id(&self) -> Option<uuid::Uuid> {
        self.session
    }

    /// The worker acting for an organization (reminders, annual reviews). It has no user
    /// and acts with the rights of the organization's own system. Crate-private: it mints an
    /// admin for any organization, so only a domain function that names its job may call it;
    /// the worker gets such a function, never this constructor.
    #[allow(dead_code)] // No job acts for an organization yet (the reminder worker will).
    pub(crate) fn for_background_job(org_id: OrganizationId) -> Self {
        Self { org_id, user_id: None, role: Role::Admin, meta: RequestMeta::default(), principal: None, session: None }
    }

    /// An integration's API key acting with the rights of its scope's role; no user.
    pub(crate) fn for_api_key(org_id: OrganizationId, role: Role, meta: RequestMeta) -> Self {
        Self { org_id, user_id: None, role, meta, principal: None, session: None }
    }

    /// The API key the caller authenticated with, if it is one.
    pub fn api_key(&self) -> Option<&crate::api_keys::KeyActor> {
        self.meta.api_key.as_ref()
    }

    pub fn org_id(&self) -> OrganizationId {
        self.org_id
    }
    pub fn user_id(&self) -> Option<UserId> {
        self.user_id
    }
    pub fn role(&self) -> Role {
        self.role
    }
    pub fn meta(&self) -> &RequestMeta {
        &self.meta
    }
    pub fn principal(&self) -> Option<&crate::users::Me> {
        self.principal.as_deref()
    }

    /// Proof that the caller may edit the organization's checklists and review answers
    /// (owners, admins and reviewers).
    pub fn editor(&self) -> Result<EditorCtx<'_>, DomainError> {
        if matches!(self.role, Role::Owner | Role::Admin | Role::Reviewer) {
            Ok(EditorCtx(self))
        } else {
            Err(DomainError::Forbidden)
        }
    }

    /// Proof that the caller may administer the organization (owners and admins).
    pub fn admin(&self) -> Result<AdminCtx<'_>, DomainError> {
        if self.role.is_admin() { Ok(AdminCtx(self)) } else { Err(DomainError::Forbidden) }
    }
}

/// Capability: only obtainable from [`TenantCtx::admin`].
#[derive(Clone, Copy, Debug)]
pub struct AdminCtx<'a>(&'a TenantCtx);

impl<'a> AdminCtx<'a> {
    pub fn tenant(&self) -> &'a TenantCtx {
        self.0
    }
}

/// Capability: only obtainable from [`TenantCtx::editor`].
#[derive(Clone, Copy, Debug)]
pub struct EditorCtx<'a>(&'a TenantCtx);

impl<'a> EditorCtx<'a> {
    pub fn tenant(&self) -> &'a TenantCtx {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_role_reads_back_as_itself() -> Result<(), DomainError> {
        for role in Role::ALL {
            assert_eq!(Role::try_from(role.as_str())?, role);
        }
        Ok(())
    }

    #[test]
    fn an_unknown_stored_role_is_an_internal_error_not_a_validation_error() {
        let read = Role::try_from("superuser");
        assert!(matches!(&read, Err(DomainError::Internal(m)) if m.contains("superuser")), "{read:?}");
    }

    #[test]
    fn an_unknown_role_from_a_client_is_a_422_naming_the_field() {
        let read = "superuser".parse::<Role>();
        assert!(matches!(&read, Err(DomainError::Validation(e)) if e[0].field == "role"), "{read:?}");
    }
}
