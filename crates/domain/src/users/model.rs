use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::entities::{organizations, users};
use crate::error::{DomainError, DomainResult, FieldError};
use crate::tenant::Role;

/// An email address, trimmed and lower-cased: addresses compare case-insensitively.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email.chars().any(char::is_whitespace)
            && match email.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                }
                None => false,
            };
        if valid {
            Ok(Self(email))
        } else {
            Err(FieldError::new(field, "invalid_email", "must be a valid email address"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Supported mail and UI languages.
pub const LOCALES: &[&str] = &["ja", "en"];

pub fn parse_locale(raw: Option<&str>) -> Result<String, FieldError> {
    match raw {
        None => Ok("ja".into()),
        Some(l) if LOCALES.contains(&l) => Ok(l.to_owned()),
        Some(_) => Err(FieldError::new("locale", "invalid_locale", "must be ja or en")),
    }
}

/// A required, trimmed display text of at most `max` characters.
pub fn required_text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        Err(FieldError::new(field, "required", "must not be empty"))
    } else if value.chars().count() > max {
        Err(FieldError::new(field, "too_long", format!("must be at most {max} characters")))
    } else {
        Ok(value.to_owned())
    }
}

/// Collects field errors while parsing, failing once with all of them.
#[derive(Default)]
pub struct Validator(Vec<FieldError>);

impl Validator {
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }
    pub fn extend(&mut self, errors: Vec<FieldError>) {
        self.0.extend(errors);
    }
    pub fn into_errors(self) -> Vec<FieldError> {
        self.0
    }
    pub fn finish(self) -> DomainResult<()> {
        if self.0.is_empty() { Ok(()) } else { Err(DomainError::Validation(self.0)) }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct User {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub locale: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl User {
    pub(crate) fn from_row(row: users::Model) -> DomainResult<Self> {
        Ok(Self {
            id: row.id,
            organization_id: row.organization_id,
            role: row.role.parse().map_err(|_| DomainError::internal(format!("stored role {:?}", row.role)))?,
            email: row.email,
            name: row.name,
            locale: row.locale,
            active: row.active,
            created_at: row.created_at,
        })
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Organization {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl From<organizations::Model> for Organization {
    fn from(row: organizations::Model) -> Self {
        Self { id: row.id, name: row.name, created_at: row.created_at }
    }
}

/// The caller as `/me` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Me {
    pub user: User,
    pub organization: Organization,
}

#[derive(Clone, Debug, Serialize)]
pub struct Invitation {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// What an invitee sees before accepting.
#[derive(Clone, Debug, Serialize)]
pub struct InvitationPreview {
    pub organization_name: String,
    pub email: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
}

/// Everything the worker needs to mail an invitation; the token in `link` is fresh and
/// exists only here (so `Debug` hides the link).
#[derive(Clone)]
pub struct InvitationDelivery {
    pub to: String,
    pub organization_name: String,
    pub inviter_name: String,
    pub role: Role,
    pub link: String,
    pub expires_at: DateTime<Utc>,
    pub locale: String,
}
crate::redacted_debug!(InvitationDelivery { to, organization_name, inviter_name, role, expires_at, locale } secret { link });

pub struct UserChanges {
    pub role: Option<Role>,
    pub active: Option<bool>,
}
