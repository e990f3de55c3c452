//! The API's one error type, answered as `application/problem+json` (RFC 9457) with a
//! stable `code`. Internal errors are logged with the request id and answered without detail.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use kensa_domain::{DomainError, ErrorCode, FieldError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::request_id;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// One field that failed validation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    /// Path of the field in the request (`password`, `items[3].no`, `limit`).
    pub field: String,
    /// Stable snake_case name of the rule that failed.
    pub code: ErrorCode,
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stable snake_case error code for programs.
    pub code: ErrorCode,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// 400: the body is not JSON.
    #[error("the request body is not valid JSON: {0}")]
    MalformedJson(String),
    /// 400: a header or parameter is unusable.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no `Authorization: Bearer` header.
    #[error("authentication required: send Authorization: Bearer <access token>")]
    MissingCredentials,
    /// 404: no such route.
    #[error("no route matches this path")]
    RouteNotFound,
    /// 405: the route exists, the method does not.
    #[error("method not allowed on this route")]
    MethodNotAllowed,
    /// 413: the body exceeds the limit.
    #[error("the request body exceeds {0} bytes")]
    PayloadTooLarge(usize),
    /// 413: the body holds more JSON values than any real request needs (counted before it
    /// is parsed, so the refusal costs no memory).
    #[error("the request body holds more than {0} JSON values")]
    TooManyJsonValues(usize),
    /// 415: wrong `Content-Type`.
    #[error("unsupported media type: send {0}")]
    UnsupportedMediaType(&'static str),
    /// 403: a page's form (or script) did not carry the CSRF token of the page.
    #[error("the form is out of date or did not come from this site; reload the page and try again")]
    CsrfFailed,
}

impl ApiError {
    fn parts(&self) -> (StatusCode, ErrorCode, &'static str) {
        use DomainError as D;
        match self {
            ApiError::Domain(d) => match d {
                D::Validation(_) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed, "Validation failed")
                }
                D::Unprocessable { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, *code, "Unprocessable"),
                D::PreconditionFailed { .. } => {
                    (StatusCode::PRECONDITION_FAILED, ErrorCode::PreconditionFailed, "Precondition failed")
                }
                D::PreconditionRequired => {
                    (StatusCode::PRECONDITION_REQUIRED, ErrorCode::PreconditionRequired, "Precondition required")
                }
                D::Unauthenticated { code, .. } => (StatusCode::UNAUTHORIZED, *code, "Unauthorized"),
                D::Forbidden => (StatusCode::FORBIDDEN, ErrorCode::Forbidden, "Forbidden"),
                D::Refused { code, .. } => (StatusCode::FORBIDDEN, *code, "Forbidden"),
                D::NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound, "Not found"),
                D::Conflict { code, .. } => (StatusCode::CONFLICT, *code, "Conflict"),
                D::Gone { code, .. } => (StatusCode::GONE, *code, "Gone"),
                D::TooManyRequests { .. } => {
                    (StatusCode::TOO_MANY_REQUESTS, ErrorCode::TooManyRequests, "Too many requests")
                }
                D::Overloaded { code, .. } => (StatusCode::SERVICE_UNAVAILABLE, *code, "Service unavailable"),
                D::Unavailable(_) => {
                    (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::ServiceUnavailable, "Service unavailable")
                }
                D::Internal(_) => {
                    (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::InternalError, "Internal server error")
                }
            },
            ApiError::MalformedJson(_) => (StatusCode::BAD_REQUEST, ErrorCode::MalformedJson, "Malformed JSON"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest, "Bad request"),
            ApiError::MissingCredentials => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated, "Unauthorized"),
            ApiError::RouteNotFound => (StatusCode::NOT_FOUND, ErrorCode::RouteNotFound, "Not found"),
            ApiError::MethodNotAllowed => {
                (StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed, "Method not allowed")
            }
            ApiError::PayloadTooLarge(_) => {
                (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge, "Payload too large")
            }
            ApiError::TooManyJsonValues(_) => {
                (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::TooManyJsonValues, "Payload too large")
            }
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::UnsupportedMediaType, "Unsupported media type")
            }
            ApiError::CsrfFailed => (StatusCode::FORBIDDEN, ErrorCode::CsrfFailed, "Forbidden"),
        }
    }

    /// The stable code, also used by GraphQL's `extensions.code`.
    pub fn code(&self) -> ErrorCode {
        self.parts().1
    }

    /// What the client may see: never the text of an internal error.
    pub fn public_detail(&self) -> Option<String> {
        match self {
            ApiError::Domain(DomainError::Internal(_)) => {
                Some("an internal error occurred; quote the request id".into())
            }
            ApiError::Domain(DomainError::Unavailable(_)) => Some("a dependency is unavailable; retry shortly".into()),
            ApiError::Domain(DomainError::Validation(_)) => Some("one or more fields are invalid; see errors".into()),
            other => Some(other.to_string()),
        }
    }

    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            ApiError::Domain(DomainError::Validation(errors)) => errors,
            ApiError::Domain(DomainError::Unprocessable { errors, .. }) => errors,
            _ => &[],
        }
    }

    pub fn problem(&self) -> Problem {
        let (status, code, title) = self.parts();
        Problem {
            type_: format!("urn:kensa:problem:{code}"),
            title: title.into(),
            status: status.as_u16(),
            detail: self.public_detail(),
            code,
            errors: self
                .field_errors()
                .iter()
                .map(|e| ProblemField { field: e.field.clone(), code: e.code, message: e.message.clone() })
                .collect(),
            request_id: request_id::current(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Domain(DomainError::Internal(message)) = self {
            tracing::error!(request_id = request_id::current().as_deref().unwrap_or("-"), error = %message, "internal error");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE)));
        if let ApiError::Domain(
            DomainError::TooManyRequests { retry_after_secs } | DomainError::Overloaded { retry_after_secs, .. },
        ) = self
        {
            response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if let ApiError::Domain(DomainError::Conflict { code: ErrorCode::IdempotencyKeyInUse, .. }) = self {
            // The first request with the key is still running: it usually ends within a second.
            response.insert_header((header::RETRY_AFTER, "1"));
        }
        if matches!(self, ApiError::MissingCredentials | ApiError::Domain(DomainError::Unauthenticated { .. })) {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        response.json(self.problem())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
