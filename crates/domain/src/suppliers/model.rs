use crate::error::ErrorCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::entities::suppliers;
use crate::error::{DomainResult, FieldError};
use crate::text;
use crate::users::model::{EmailAddress, Locale, Validator, parse_locale};

pub const MAX_TAGS: usize = 20;

crate::closed_set::closed_set! {
    /// Where a supplier stands: the status of its latest assessment, or `not_started`.
    pub enum ReviewStatus("supplier review status") {
        NotStarted => "not_started",
        Sent => "sent",
        InProgress => "in_progress",
        Submitted => "submitted",
        ChangesRequested => "changes_requested",
        Accepted => "accepted",
        Cancelled => "cancelled",
    }
}

/// A buyer's record of one supplier relationship.
// `Deserialize`: GraphQL replays a stored result for a repeated `idempotencyKey`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Supplier {
    pub id: Uuid,
    pub name: String,
    pub contact_name: Option<String>,
    pub contact_email: String,
    /// Language of the mails to the contact.
    pub contact_locale: Locale,
    pub tier: Option<String>,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3))]
    pub target_level: i32,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 60))]
    pub review_interval_months: i32,
    pub tags: Vec<String>,
    /// The supplier's own Kensa organization, once it accepted an invitation.
    pub organization_id: Option<Uuid>,
    /// Status of the latest assessment, or `not_started`.
    pub review_status: ReviewStatus,
    /// The next annual review date (the last acceptance plus the review interval); the
    /// worker opens that review at the organization's lead time before it.
    pub next_review_on: Option<chrono::NaiveDate>,
    /// Moves on with every change to the record (also when `review_status` follows an
    /// assessment); the `ETag`, to send back in `If-Match`.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    /// Every change moves it, including `review_status`: what `?updated_since=` compares.
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<suppliers::Model> for Supplier {
    type Error = crate::error::DomainError;
    fn try_from(r: suppliers::Model) -> DomainResult<Self> {
        Ok(Self {
            id: r.id,
            name: r.name,
            contact_name: r.contact_name,
            contact_email: r.contact_email,
            contact_locale: Locale::try_from(r.contact_locale.as_str())?,
            tier: r.tier,
            target_level: r.target_level,
            review_interval_months: r.review_interval_months,
            tags: serde_json::from_value(r.tags).unwrap_or_default(),
            organization_id: r.supplier_organization_id,
            review_status: ReviewStatus::try_from(r.review_status.as_str())?,
            next_review_on: r.next_review_on,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// Fields of a supplier as a client sends them (create: all required ones; update: any).
/// In OpenAPI this is `SupplierPatch`; the create body is `wire::SupplierCreate`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = SupplierPatch))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct SupplierInput {
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub name: Option<String>,
    /// Empty clears it.
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub contact_name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 254))]
    pub contact_email: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::users::model::Locale>))]
    pub contact_locale: Option<String>,
    /// Empty clears it.
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub tier: Option<String>,
    /// 1–3; defaults to 1 (expected of every company).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3))]
    pub target_level: Option<i32>,
    /// 1–60 months; defaults to 12.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 60))]
    pub review_interval_months: Option<i32>,
    /// At most 20 one-line tags of at most 50 characters, without `|`; replaces the list.
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub tags: Option<Vec<String>>,
}

/// A validated supplier, ready to store.
#[derive(Clone, Debug, PartialEq)]
pub struct SupplierFields {
    pub name: String,
    pub contact_name: Option<String>,
    pub contact_email: String,
    pub contact_locale: Locale,
    pub tier: Option<String>,
    pub target_level: i32,
    pub review_interval_months: i32,
    pub tags: Vec<String>,
}

impl SupplierFields {
    /// Applies `input` over `base` (or over the defaults) and checks the result; every problem
    /// is reported, with `prefix` before each field name (`line 7.`).
    pub fn parse(input: SupplierInput, base: Option<&SupplierFields>, prefix: &str) -> Result<Self, Vec<FieldError>> {
        let mut v = Validator::default();
        let f = |name: &str| format!("{prefix}{name}");
        let name = match (input.name, base) {
            (Some(n), _) => v.check(text::name(&f("name"), &n)),
            (None, Some(b)) => Some(b.name.clone()),
            (None, None) => v.check(Err(FieldError::new(f("name"), ErrorCode::Required, "must not be empty"))),
        };
        let contact_email = match (input.contact_email, base) {
            (Some(e), _) => v.check(EmailAddress::parse(&f("contact_email"), &e)).map(|e| e.as_str().to_owned()),
            (None, Some(b)) => Some(b.contact_email.clone()),
            (None, None) => {
                v.check(Err(FieldError::new(f("contact_email"), ErrorCode::Required, "must be a valid email address")))
            }
        };
        let contact_locale = match (input.contact_locale, base) {
            (Some(l), _) => v.check(parse_locale(Some(&l)).map_err(|e| FieldError { field: f("contact_locale"), ..e })),
            (None, Some(b)) => Some(b.contact_locale),
            (None, None) => Some(Locale::Ja),
        };
        let optional_text = |value: Option<String>,
                             old: Option<Option<String>>,
                             field: &str,
                             rule: &dyn Fn(&str, &str) -> Result<String, FieldError>,
                             v: &mut Validator| match value {
            Some(t) if t.trim().is_empty() && !t.contains(|c: char| c.is_control()) => Some(None),
            Some(t) => v.check(rule(&f(field), &t)).map(Some),
            None => Some(old.flatten()),
        };
        let contact_name = optional_text(
            input.contact_name,
            base.map(|b| b.contact_name.clone()),
            "contact_name",
            &text::name,
            &mut v,
        );
        let one_line = |field: &str, raw: &str| text::one_line(field, raw, text::NAME_MAX);
        let tier = optional_text(input.tier, base.map(|b| b.tier.clone()), "tier", &one_line, &mut v);
        let target_level = input.target_level.or(base.map(|b| b.target_level)).unwrap_or(1);
        if !(1..=3).contains(&target_level) {
            v.check::<()>(Err(FieldError::new(f("target_level"), ErrorCode::OutOfRange, "must be 1, 2 or 3")));
        }
        let interval = input.review_interval_months.or(base.map(|b| b.review_interval_months)).unwrap_or(12);
        if !(1..=60).contains(&interval) {
            v.check::<()>(Err(FieldError::new(
                f("review_interval_months"),
                ErrorCode::OutOfRange,
                "must be between 1 and 60",
            )));
        }
        let mut tags = input.tags.or(base.map(|b| b.tags.clone())).unwrap_or_default();
        tags = tags.into_iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
        tags.sort();
        tags.dedup();
        if tags.len() > MAX_TAGS || tags.iter().any(|t| t.contains('|') || text::one_line("tag", t, 50).is_err()) {
            v.check::<()>(Err(FieldError::new(
                f("tags"),
                ErrorCode::InvalidTags,
                format!("at most {MAX_TAGS} one-line tags of at most 50 characters, without '|'"),
            )));
        }
        let errors = v.into_errors();
        match (name, contact_email, contact_locale, contact_name, tier) {
            (Some(name), Some(contact_email), Some(contact_locale), Some(contact_name), Some(tier))
                if errors.is_empty() =>
            {
                Ok(Self {
                    name,
                    contact_name,
                    contact_email,
                    contact_locale,
                    tier,
                    target_level,
                    review_interval_months: interval,
                    tags,
                })
            }
            _ => Err(errors),
        }
    }

    pub fn of(s: &Supplier) -> Self {
        Self {
            name: s.name.clone(),
            contact_name: s.contact_name.clone(),
            contact_email: s.contact_email.clone(),
            contact_locale: s.contact_locale,
            tier: s.tier.clone(),
            target_level: s.target_level,
            review_interval_months: s.review_interval_months,
            tags: s.tags.clone(),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct SupplierFilter {
    /// Part of the name or contact email, any case.
    pub q: Option<String>,
    pub tier: Option<String>,
    pub target_level: Option<i32>,
    pub tag: Option<String>,
    pub review_status: Option<String>,
    /// Only records changed at or after this instant (incremental sync).
    pub updated_since: Option<DateTime<Utc>>,
}

pub fn validate_filter(filter: &SupplierFilter) -> DomainResult<()> {
    let mut v = Validator::default();
    if filter.target_level.is_some_and(|l| !(1..=3).contains(&l)) {
        v.check::<()>(Err(FieldError::new("target_level", ErrorCode::OutOfRange, "must be 1, 2 or 3")));
    }
    if filter.review_status.as_deref().is_some_and(|s| ReviewStatus::parse(s).is_none()) {
        let all: Vec<&str> = ReviewStatus::ALL.iter().map(|s| s.as_str()).collect();
        v.check::<()>(Err(FieldError::new(
            "review_status",
            ErrorCode::InvalidValue,
            format!("must be one of {}", all.join(", ")),
        )));
    }
    if let Some(since) = filter.updated_since {
        v.check(text::datetime("updated_since", since));
    }
    v.finish()
}
