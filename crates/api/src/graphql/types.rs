//! GraphQL object types, mirroring the REST DTOs.

use async_graphql::{Enum, SimpleObject};
use chrono::{DateTime, Utc};
use kensa_domain::tenant::Role;
use kensa_domain::users;
use uuid::Uuid;

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(rename_items = "snake_case")]
pub enum RoleGql {
    Owner,
    Admin,
    Reviewer,
    Respondent,
    Viewer,
}

impl From<Role> for RoleGql {
    fn from(role: Role) -> Self {
        match role {
            Role::Owner => RoleGql::Owner,
            Role::Admin => RoleGql::Admin,
            Role::Reviewer => RoleGql::Reviewer,
            Role::Respondent => RoleGql::Respondent,
            Role::Viewer => RoleGql::Viewer,
        }
    }
}

#[derive(SimpleObject)]
#[graphql(name = "User")]
pub struct UserGql {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: RoleGql,
    pub locale: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<users::User> for UserGql {
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

#[derive(SimpleObject)]
#[graphql(name = "Organization")]
pub struct OrganizationGql {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl From<users::Organization> for OrganizationGql {
    fn from(o: users::Organization) -> Self {
        Self { id: o.id, name: o.name, created_at: o.created_at }
    }
}

#[derive(SimpleObject)]
#[graphql(name = "Me")]
pub struct MeGql {
    pub user: UserGql,
    pub organization: OrganizationGql,
    pub role: RoleGql,
}

impl From<users::Me> for MeGql {
    fn from(me: users::Me) -> Self {
        let role = me.user.role.into();
        Self { user: me.user.into(), organization: me.organization.into(), role }
    }
}
