//! What every response says to browsers and caches, and what the public port shows.
//!
//! Every response (REST, GraphQL, docs, problems, 404s) gets `nosniff`, `no-referrer`,
//! `X-Frame-Options: DENY` and a CSP with `frame-ancestors 'none'`. Documents that are not
//! HTML (JSON, problems, files) get `default-src 'none'` on top: nothing they contain may
//! load or run. HTML pages (Swagger UI at `/docs`, GraphiQL) keep only the framing and base
//! rules so their scripts still run. A handler's own header always wins.
//!
//! Every response without its own `Cache-Control` is `no-store`: tokens (sign-up, login,
//! refresh, both invitation accepts, API keys, MFA) and tenant data must not sit in a
//! shared or browser cache. The Swagger UI's static assets under `/docs/` are the exception.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use kensa_domain::DomainError;
use kensa_domain::ErrorCode;
use kensa_domain::config::{Secret, Settings};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// For everything that is not an HTML page.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// For HTML pages (Swagger UI, GraphiQL): no framing, no `<base>` hijack, no plugins.
pub const PAGE_CSP: &str = "frame-ancestors 'none'; base-uri 'self'; object-src 'none'";

/// What the public port exposes, from the settings.
#[derive(Clone)]
pub struct Exposure {
    pub public_docs: bool,
    pub metrics_token: Option<Secret<String>>,
}

impl Exposure {
    pub fn from_settings(settings: &Settings) -> Self {
        Self { public_docs: settings.public_docs, metrics_token: settings.metrics_token.clone() }
    }
}

fn default_header(headers: &mut HeaderMap, name: HeaderName, value: &'static str) {
    if !headers.contains_key(&name) {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

pub async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let docs_asset = req.path().starts_with("/docs/");
    // Handler and extractor errors arrive here as responses (problem+json), so they get the
    // headers too.
    let mut response = next.call(req).await?.map_into_boxed_body();
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let headers = response.headers_mut();
    default_header(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    default_header(headers, header::REFERRER_POLICY, "no-referrer");
    default_header(headers, header::X_FRAME_OPTIONS, "DENY");
    default_header(headers, header::CONTENT_SECURITY_POLICY, if html { PAGE_CSP } else { API_CSP });
    if !docs_asset {
        default_header(headers, header::CACHE_CONTROL, "no-store");
    }
    Ok(response)
}

/// `/api/v1/openapi.json`, when the docs are public.
pub async fn openapi(exposure: web::Data<Exposure>) -> ApiResult<HttpResponse> {
    if !exposure.public_docs {
        return Err(ApiError::RouteNotFound);
    }
    Ok(crate::openapi::serve().await)
}

/// Refuses a `/metrics` request without the configured bearer token. Digests are compared
/// so the comparison's timing says nothing about the token.
pub fn check_metrics_token(exposure: &Exposure, req: &HttpRequest) -> ApiResult<()> {
    let Some(token) = &exposure.metrics_token else { return Ok(()) };
    let sent = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ApiError::MissingCredentials)?;
    if Sha256::digest(sent.trim().as_bytes()) != Sha256::digest(token.expose().as_bytes()) {
        return Err(ApiError::Domain(DomainError::Unauthenticated {
            code: ErrorCode::InvalidToken,
            detail: "the metrics token is not valid",
        }));
    }
    Ok(())
}

/// Prometheus text format, behind the metrics token when one is configured.
pub async fn metrics(
    state: web::Data<AppState>,
    exposure: web::Data<Exposure>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    check_metrics_token(&exposure, &req)?;
    Ok(crate::health::metrics(state).await)
}
