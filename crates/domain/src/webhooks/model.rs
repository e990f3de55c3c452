//! What a webhook endpoint is, what a client sends to make or change one, and the rules
//! its URL obeys.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;
use uuid::Uuid;

use crate::config::WebhookPolicy;
use crate::entities::webhook_endpoints;
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};
use crate::notifications::events::EventType;

/// An organization has at most this many endpoints (each event is one request per endpoint).
pub const MAX_ENDPOINTS: u64 = 20;
pub const MAX_URL_CHARS: usize = 2000;
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// What every secret starts with, so that one found in a log or a repository is recognisable.
pub const SECRET_PREFIX: &str = "whsec_";

/// An endpoint as listed: never with its secret.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Webhook {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub url: String,
    /// The events it receives (a `ping` is always delivered).
    pub event_types: Vec<EventType>,
    pub description: Option<String>,
    /// An inactive endpoint is sent nothing but pings: events meanwhile are not queued for
    /// it, and deliveries queued before wait (retried) until it is active again.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The answer to a creation: the endpoint and its signing secret, shown this once.
// `Deserialize`: GraphQL replays a stored result for a repeated `idempotencyKey`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct CreatedWebhook {
    #[serde(flatten)]
    #[cfg_attr(feature = "graphql", graphql(flatten))]
    pub webhook: Webhook,
    /// The key of every delivery's `Kensa-Signature` (HMAC-SHA256, keyed with this text as
    /// it is, `whsec_` included). Shown only now: store it.
    pub secret: String,
}

impl TryFrom<webhook_endpoints::Model> for Webhook {
    type Error = DomainError;
    fn try_from(r: webhook_endpoints::Model) -> DomainResult<Self> {
        Ok(Self {
            id: r.id,
            url: r.url,
            event_types: stored_event_types(&r.event_types)?,
            description: r.description,
            active: r.active,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// The stored list of event types: an unknown one is a corrupt row (a 500).
pub(crate) fn stored_event_types(value: &serde_json::Value) -> DomainResult<Vec<EventType>> {
    let texts: Vec<String> = serde_json::from_value(value.clone()).map_err(DomainError::internal)?;
    texts.iter().map(|t| EventType::try_from(t.as_str())).collect()
}

/// A new endpoint.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct WebhookCreate {
    /// Where deliveries are POSTed: `https` (`http` too outside production), at most 2000
    /// characters, no credentials; never a loopback, private or link-local address unless
    /// the operator allows it.
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub url: String,
    /// At least one; each at most once.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 8))]
    pub event_types: Vec<EventType>,
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub description: Option<String>,
    /// Defaults to true.
    pub active: Option<bool>,
}

/// A change to an endpoint: the fields sent replace theirs.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub url: Option<String>,
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 8))]
    pub event_types: Option<Vec<EventType>>,
    /// Empty clears it.
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub description: Option<String>,
    pub active: Option<bool>,
}

/// The validated fields of an endpoint.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Fields {
    pub url: String,
    pub event_types: Vec<EventType>,
    pub description: Option<String>,
    pub active: bool,
}

impl Fields {
    pub fn parse_create(input: WebhookCreate, policy: WebhookPolicy) -> DomainResult<Self> {
        let mut errors = Vec::new();
        let url = parse_url("url", &input.url, policy).map_err(|e| errors.push(e)).ok();
        let event_types = parse_event_types("event_types", input.event_types).map_err(|e| errors.push(e)).ok();
        let description = parse_description(input.description).map_err(|e| errors.push(e)).ok();
        match (url, event_types, description) {
            (Some(url), Some(event_types), Some(description)) if errors.is_empty() => {
                Ok(Self { url, event_types, description, active: input.active.unwrap_or(true) })
            }
            _ => Err(DomainError::Validation(errors)),
        }
    }

    /// `patch` applied over `self`; only the fields sent are checked (an endpoint saved
    /// when the operator allowed private addresses stays editable).
    pub fn apply(self, patch: WebhookPatch, policy: WebhookPolicy) -> DomainResult<Self> {
        let mut errors = Vec::new();
        let mut next = self;
        if let Some(url) = patch.url {
            match parse_url("url", &url, policy) {
                Ok(url) => next.url = url,
                Err(e) => errors.push(e),
            }
        }
        if let Some(types) = patch.event_types {
            match parse_event_types("event_types", types) {
                Ok(types) => next.event_types = types,
                Err(e) => errors.push(e),
            }
        }
        if patch.description.is_some() {
            match parse_description(patch.description) {
                Ok(description) => next.description = description,
                Err(e) => errors.push(e),
            }
        }
        if let Some(active) = patch.active {
            next.active = active;
        }
        if errors.is_empty() { Ok(next) } else { Err(DomainError::Validation(errors)) }
    }
}

fn parse_event_types(field: &str, types: Vec<EventType>) -> Result<Vec<EventType>, FieldError> {
    if types.is_empty() {
        return Err(FieldError::new(field, ErrorCode::Required, "name at least one event type"));
    }
    let mut unique = Vec::with_capacity(types.len());
    for t in types {
        if unique.contains(&t) {
            return Err(FieldError::new(field, ErrorCode::Duplicate, format!("{t} is listed twice")));
        }
        unique.push(t);
    }
    Ok(unique)
}

fn parse_description(raw: Option<String>) -> Result<Option<String>, FieldError> {
    match raw {
        None => Ok(None),
        Some(text) if text.trim().is_empty() => Ok(None),
        Some(text) => crate::text::one_line("description", &text, MAX_DESCRIPTION_CHARS).map(Some),
    }
}

/// The URL as it will be called. A host that is a literal address is judged now; a name is
/// judged by the worker on every delivery, after resolving it.
pub fn parse_url(field: &str, raw: &str, policy: WebhookPolicy) -> Result<String, FieldError> {
    crate::text::check_chars(field, raw)?;
    let raw = raw.trim();
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(FieldError::new(field, ErrorCode::TooLong, format!("must be at most {MAX_URL_CHARS} characters")));
    }
    let invalid = |message: &str| FieldError::new(field, ErrorCode::InvalidUrl, message);
    let url = Url::parse(raw).map_err(|e| invalid(&format!("not an absolute URL ({e})")))?;
    check_url(&url, policy).map_err(|refusal| match refusal {
        Refusal::Invalid(message) => invalid(&message),
        Refusal::NotAllowed(message) => FieldError::new(field, ErrorCode::AddressNotAllowed, message),
    })?;
    Ok(url.to_string())
}

/// Why a URL may not be called.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// It is not a URL a webhook can have.
    Invalid(String),
    /// The operator's policy forbids it (scheme or address).
    NotAllowed(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Invalid(m) | Refusal::NotAllowed(m) => f.write_str(m),
        }
    }
}

/// The rules of a webhook URL that need no DNS: scheme, credentials, host, and a literal
/// address. The worker applies them again before each delivery (the policy may have
/// changed since the endpoint was saved).
pub fn check_url(url: &Url, policy: WebhookPolicy) -> Result<(), Refusal> {
    match url.scheme() {
        "https" => {}
        "http" if !policy.https_only => {}
        "http" => return Err(Refusal::NotAllowed("must be https in production".into())),
        other => return Err(Refusal::Invalid(format!("must be https or http, not {other}"))),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refusal::Invalid(
            "must not carry credentials: receivers authenticate deliveries by their Kensa-Signature".into(),
        ));
    }
    let ip = match url.host() {
        None => return Err(Refusal::Invalid("must name a host".into())),
        Some(url::Host::Domain(_)) => return Ok(()),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
    };
    check_address(ip, policy)
}

/// An address the worker is about to connect to.
pub fn check_address(ip: IpAddr, policy: WebhookPolicy) -> Result<(), Refusal> {
    match super::address::refusal(ip) {
        Some(kind) if !policy.allow_private => Err(Refusal::NotAllowed(format!(
            "{ip} is a {kind} address; webhooks go only to public addresses (the operator can allow \
             internal ones with KENSA_WEBHOOK_ALLOW_PRIVATE)"
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPEN: WebhookPolicy = WebhookPolicy { https_only: false, allow_private: false };

    fn code(raw: &str, policy: WebhookPolicy) -> Option<ErrorCode> {
        parse_url("url", raw, policy).err().map(|e| e.code)
    }

    #[test]
    fn urls_are_absolute_http_without_credentials() {
        assert_eq!(code("https://hooks.example.com/kensa", OPEN), None);
        assert_eq!(code("http://hooks.example.com:8080/x?y=1", OPEN), None);
        assert_eq!(code("/relative", OPEN), Some(ErrorCode::InvalidUrl));
        assert_eq!(code("ftp://hooks.example.com/", OPEN), Some(ErrorCode::InvalidUrl));
        assert_eq!(code("https://user:pw@hooks.example.com/", OPEN), Some(ErrorCode::InvalidUrl));
        let long = format!("https://hooks.example.com/{}", "a".repeat(MAX_URL_CHARS));
        assert_eq!(code(&long, OPEN), Some(ErrorCode::TooLong));
    }

    #[test]
    fn production_takes_only_https() {
        let production = WebhookPolicy { https_only: true, allow_private: false };
        assert_eq!(code("http://hooks.example.com/", production), Some(ErrorCode::AddressNotAllowed));
        assert_eq!(code("https://hooks.example.com/", production), None);
    }

    #[test]
    fn literal_internal_addresses_are_refused_unless_allowed() {
        for url in ["http://127.0.0.1:9000/", "http://[::1]/", "http://169.254.169.254/latest", "http://10.0.0.8/"] {
            assert_eq!(code(url, OPEN), Some(ErrorCode::AddressNotAllowed), "{url}");
            assert_eq!(code(url, WebhookPolicy { https_only: false, allow_private: true }), None, "{url}");
        }
        // A name is judged after resolution, by the worker.
        assert_eq!(code("http://localhost:9000/", OPEN), None);
    }

    #[test]
    fn event_types_are_required_and_listed_once() {
        assert!(parse_event_types("event_types", vec![]).is_err());
        let twice = parse_event_types("event_types", vec![EventType::AssessmentSent, EventType::AssessmentSent]);
        assert!(matches!(twice, Err(e) if e.code == ErrorCode::Duplicate));
    }
}
