//! How GraphQL says no. A request over a bound is refused whole with a problem+json body
//! (its status and a stable code); one operation refused inside a batch gets a GraphQL
//! error with `extensions.code` and `extensions.status`. Every error leaves with the
//! request id, and internal ones are logged and replaced by a plain `internal_error`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use async_graphql::{ErrorExtensionValues, ServerError};
use kensa_domain::ErrorCode;

use crate::error::{PROBLEM_CONTENT_TYPE, Problem};
use crate::request_id;

/// A whole request refused by a bound: answered as problem+json.
#[derive(Debug, thiserror::Error)]
#[error("{detail}")]
pub struct Refusal {
    status: u16,
    code: ErrorCode,
    detail: String,
    retry_after_secs: Option<u64>,
    /// The quota that refused it (`RateLimit` fields).
    quotas: Vec<crate::rate_limit::Quota>,
}

impl Refusal {
    pub fn new(status: u16, code: ErrorCode, detail: impl Into<String>) -> Self {
        Self { status, code, detail: detail.into(), retry_after_secs: None, quotas: Vec::new() }
    }

    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    pub fn quota(mut self, quota: crate::rate_limit::Quota) -> Self {
        self.quotas.push(quota);
        self
    }
}

impl ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST)
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let problem = Problem {
            type_: format!("urn:kensa:problem:{}", self.code),
            title: status.canonical_reason().unwrap_or("Refused").into(),
            status: status.as_u16(),
            detail: Some(self.detail.clone()),
            code: self.code,
            errors: Vec::new(),
            request_id: request_id::current(),
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE)));
        if let Some(secs) = self.retry_after_secs {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        let mut response = response.json(problem);
        crate::rate_limit::apply(&mut response, &self.quotas);
        response
    }
}

/// A GraphQL error with a stable code and the HTTP status REST would answer.
pub fn graphql_error(code: &str, status: u16, message: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code);
    extensions.set("status", status);
    error.extensions = Some(extensions);
    error
}

/// What a client sees of an internal error: the code and the request id, nothing else.
pub const INTERNAL_MESSAGE: &str = "an internal error occurred; quote the request id";

/// Logs an internal error with the request id, without sending its text anywhere.
pub fn log_internal(message: &str) {
    tracing::error!(
        request_id = request_id::current().as_deref().unwrap_or("-"),
        error = %message,
        "internal error in a GraphQL request"
    );
}

/// Gives every error of a response the request id; an error without a code came from
/// async-graphql itself: a syntax, validation or argument error of the client's
/// (`invalid_query`).
pub fn finish(response: &mut async_graphql::Response, request_id: &str) {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(ErrorExtensionValues::default);
        if extensions.get("code").is_none() {
            extensions.set("code", ErrorCode::InvalidQuery);
            extensions.set("status", 400);
        }
        extensions.set("request_id", request_id);
    }
}
