use crate::error::ErrorCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::entities::{organizations, users};
use crate::error::{DomainError, DomainResult, FieldError};
use crate::tenant::Role;

/// A plausible mailbox address, normalised so that two spellings of one address are one
/// account: Unicode NFKC (full-width `ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ` is `taro@example.com`), trimmed,
/// and lower-cased — the domain because DNS is case-blind, the local part too because every
/// mail provider our users meet treats it so, and two accounts `Taro@` and `taro@` would look
/// like one. After folding, the address must be ASCII (internationalised addresses would let
/// look-alike letters from other scripts pose as an existing account), at most 254 octets
/// with a local part of at most 64, a dot-atom local part (RFC 5322 `atext`), and a domain of
/// at least two dot-separated letter-digit-hyphen labels. Users, invitations, supplier
/// contacts and sign-in all go through this one type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        use unicode_normalization::UnicodeNormalization;
        let folded: String = raw.nfkc().collect::<String>().trim().to_lowercase();
        match email_problem(&folded) {
            None => Ok(Self(folded)),
            Some(problem) => Err(FieldError::new(
                field,
                ErrorCode::InvalidEmail,
                format!("must be a valid email address: {problem}"),
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

/// What makes `email` (already folded) implausible, if anything.
fn email_problem(email: &str) -> Option<&'static str> {
    const ATEXT: &str = "!#$%&'*+-/=?^_`{|}~";
    if email.len() > 254 {
        return Some("at most 254 characters");
    }
    if !email.is_ascii() {
        return Some("letters outside ASCII are not accepted");
    }
    if email.chars().any(|c| c.is_ascii_control() || c.is_ascii_whitespace()) {
        return Some("no spaces or control characters");
    }
    let Some((local, domain)) = email.split_once('@') else { return Some("an @ is missing") };
    let atom = |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || ATEXT.contains(c));
    if local.len() > 64 || !local.split('.').all(atom) {
        return Some("the part before the @ is not a mailbox name");
    }
    let label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let labels: Vec<&str> = domain.split('.').collect();
    let tld_ok = labels.last().is_some_and(|t| t.chars().any(|c| c.is_ascii_alphabetic()));
    if labels.len() < 2 || !labels.iter().all(|l| label(l)) || !tld_ok {
        return Some("the domain after the @ is not a host name");
    }
    None
}

crate::closed_set::closed_set! {
    /// A language of mails and of the interface.
    pub enum Locale("locale") { Ja => "ja", En => "en" }
}

/// A client's `locale` (Japanese when absent): its own code, `invalid_locale`, on refusal.
pub fn parse_locale(raw: Option<&str>) -> Result<Locale, FieldError> {
    match raw {
        None => Ok(Locale::Ja),
        Some(l) => {
            Locale::parse(l).ok_or_else(|| FieldError::new("locale", ErrorCode::InvalidLocale, "must be ja or en"))
        }
    }
}

/// A required display name (organization, person, supplier, campaign): one line, at most
/// `max` characters, no link; the rules live in [`crate::text`].
pub fn required_text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    crate::text::one_line(field, raw, max)
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

// The wire types below keep the component names the API has always published (`UserDto`, …)
// so that generated clients keep their type names; GraphQL already used the plain names.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = UserDto))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct User {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub locale: Locale,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// Whether the user proved their address (followed a link mailed to it, or joined
    /// through one).
    pub email_verified: bool,
}

impl User {
    pub(crate) fn from_row(row: users::Model) -> DomainResult<Self> {
        Ok(Self {
            id: row.id,
            organization_id: row.organization_id,
            role: Role::try_from(row.role.as_str())?,
            email: row.email,
            name: row.name,
            locale: Locale::try_from(row.locale.as_str())?,
            active: row.active,
            created_at: row.created_at,
            email_verified: row.email_verified_at.is_some(),
        })
    }
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = OrganizationDto))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Organization {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// Whether its owner verified their address. Until then the organization can explore
    /// but mails no one outside it (campaigns, supplier and user invitations: 403
    /// `email_unverified`).
    pub verified: bool,
}

impl From<organizations::Model> for Organization {
    fn from(row: organizations::Model) -> Self {
        Self { id: row.id, name: row.name, created_at: row.created_at, verified: row.verified_at.is_some() }
    }
}

/// The signed-in user, their organization and role (REST `/me`, GraphQL `me`).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = MeDto))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Me {
    pub user: User,
    pub organization: Organization,
    // `user.role` again: REST `/me` and GraphQL `me` have always carried it at the top level.
    pub role: Role,
}

impl Me {
    pub(crate) fn new(user: User, organization: Organization) -> Self {
        let role = user.role;
        Self { user, organization, role }
    }
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = InvitationDto))]
pub struct Invitation {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// When the invitee joined; the link works no more.
    pub accepted_at: Option<DateTime<Utc>>,
    /// When a newer invitation of the same address replaced this one.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Invitation {
    pub(crate) fn from_row(row: crate::entities::user_invitations::Model) -> DomainResult<Self> {
        Ok(Self {
            id: row.id,
            role: Role::try_from(row.role.as_str())?,
            email: row.email,
            expires_at: row.expires_at,
            created_at: row.created_at,
            accepted_at: row.accepted_at,
            revoked_at: row.revoked_at,
        })
    }
}

/// What an invitee sees before accepting.
// `InvitationPreviewDto` in OpenAPI: `InvitationPreview` is the supplier invitation's preview.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = InvitationPreviewDto))]
pub struct InvitationPreview {
    pub organization_name: String,
    pub email: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
}

pub struct UserChanges {
    pub role: Option<Role>,
    pub active: Option<bool>,
}
