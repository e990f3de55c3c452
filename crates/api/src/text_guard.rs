//! Refuses a request whose path or query carries a control character (`%00`, `%0A`, …) before
//! any handler sees it: 422 `invalid_characters` naming the parameter (or `path`). Tokens and
//! ids in paths reach database lookups, and PostgreSQL answers NUL with an error (a 500 before).
//! The rule is the domain's ([`kensa_domain::text::check_chars`]); JSON bodies, GraphQL
//! arguments, multipart fields and CSV cells are checked where they are parsed.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use kensa_domain::{DomainError, FieldError};

use crate::error::ApiError;

/// The first problem of the request's path and query, if any.
pub fn problem(path: &str, query: &str) -> Option<FieldError> {
    let decoded = percent_decode(path);
    if let Err(e) = kensa_domain::text::check_chars("path", &decoded) {
        return Some(e);
    }
    url::form_urlencoded::parse(query.as_bytes()).find_map(|(k, v)| {
        let field = k.escape_default().to_string();
        kensa_domain::text::check_chars(&field, &k).and_then(|()| kensa_domain::text::check_chars(&field, &v)).err()
    })
}

fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub async fn reject_control_characters(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if let Some(error) = problem(req.path(), req.query_string()) {
        let response = actix_web::ResponseError::error_response(&ApiError::from(DomainError::Validation(vec![error])));
        return Ok(req.into_response(response).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::problem;

    #[test]
    fn encoded_control_characters_in_path_or_query_are_named() {
        assert!(problem("/api/v1/invitations/abc%00", "").is_some_and(|e| e.field == "path"));
        assert!(problem("/api/v1/audit-events", "action=a%00b").is_some_and(|e| e.field == "action"));
        assert!(problem("/api/v1/suppliers", "q=%E6%A4%9C%E6%9F%BB&tag=a+b").is_none());
    }
}
