//! An organization's account-security policy: whether its users (or only its owners and
//! admins) must sign in with a second factor, and how long a sign-in lasts. Stored with the
//! organization's settings (`chase::settings`, one row, one write path).

use chrono::Duration;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::entities::organization_settings;
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};
use crate::tenant::Role;

pub const DEFAULT_IDLE_MINUTES: u32 = 8 * 60;
pub const DEFAULT_LIFETIME_DAYS: u16 = 30;
// At least twice the access-token lifetime: a client in use refreshes within 15 minutes,
// so only a sign-in really left alone goes idle.
const IDLE_MINUTES: std::ops::RangeInclusive<u32> = 30..=7 * 24 * 60;
// At most the refresh-token lifetime, which no sign-in outlives.
const LIFETIME_DAYS: std::ops::RangeInclusive<u16> = 1..=30;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityPolicy {
    pub mfa_required: bool,
    pub mfa_required_for_admins: bool,
    pub session_idle_minutes: u32,
    pub session_lifetime_days: u16,
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        Self {
            mfa_required: false,
            mfa_required_for_admins: false,
            session_idle_minutes: DEFAULT_IDLE_MINUTES,
            session_lifetime_days: DEFAULT_LIFETIME_DAYS,
        }
    }
}

impl SecurityPolicy {
    pub(crate) fn from_row(row: &organization_settings::Model) -> Self {
        Self {
            mfa_required: row.mfa_required,
            mfa_required_for_admins: row.mfa_required_for_admins,
            session_idle_minutes: u32::try_from(row.session_idle_minutes).unwrap_or(DEFAULT_IDLE_MINUTES),
            session_lifetime_days: u16::try_from(row.session_lifetime_days).unwrap_or(DEFAULT_LIFETIME_DAYS),
        }
    }

    /// Whether a user of this role must have a second factor to sign in.
    pub fn requires_mfa(&self, role: Role) -> bool {
        self.mfa_required || (self.mfa_required_for_admins && matches!(role, Role::Owner | Role::Admin))
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::minutes(i64::from(self.session_idle_minutes))
    }

    pub fn lifetime(&self) -> Duration {
        Duration::days(i64::from(self.session_lifetime_days))
    }
}

/// The organization's policy (defaults when its settings were never changed).
pub(crate) async fn load(conn: &impl ConnectionTrait, organization_id: Uuid) -> DomainResult<SecurityPolicy> {
    let row = organization_settings::Entity::find_by_id(organization_id).one(conn).await?;
    Ok(row.as_ref().map(SecurityPolicy::from_row).unwrap_or_default())
}

/// The policy part of a settings PATCH.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PolicyChange {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa_required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa_required_for_admins: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_idle_minutes: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_lifetime_days: Option<u16>,
}

impl PolicyChange {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Each field out of range, by name.
    pub(crate) fn violations(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(m) = self.session_idle_minutes
            && !IDLE_MINUTES.contains(&m)
        {
            errors.push(FieldError::new("session_idle_minutes", ErrorCode::InvalidValue, "30 to 10080 minutes"));
        }
        if let Some(d) = self.session_lifetime_days
            && !LIFETIME_DAYS.contains(&d)
        {
            errors.push(FieldError::new("session_lifetime_days", ErrorCode::InvalidValue, "1 to 30 days"));
        }
        errors
    }

    /// The policy with this change applied; the idle timeout may not exceed the lifetime.
    pub(crate) fn apply(&self, current: &SecurityPolicy) -> DomainResult<SecurityPolicy> {
        let next = SecurityPolicy {
            mfa_required: self.mfa_required.unwrap_or(current.mfa_required),
            mfa_required_for_admins: self.mfa_required_for_admins.unwrap_or(current.mfa_required_for_admins),
            session_idle_minutes: self.session_idle_minutes.unwrap_or(current.session_idle_minutes),
            session_lifetime_days: self.session_lifetime_days.unwrap_or(current.session_lifetime_days),
        };
        if next.idle_timeout() > next.lifetime() {
            return Err(DomainError::Validation(vec![FieldError::new(
                "session_idle_minutes",
                ErrorCode::InvalidValue,
                "must not be longer than the session lifetime",
            )]));
        }
        Ok(next)
    }
}
