//! Errors on pages: a service's refusal (problem+json from `?`) becomes an HTML page in the
//! visitor's language with the same status, so page handlers use the services' errors as
//! they are and a browser never shows JSON.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use maud::html;

use super::context;
use super::i18n::Lang;
use super::layout;
use crate::error::PROBLEM_CONTENT_TYPE;

/// The title and text of an error page, by the problem's code and status.
pub fn explain(lang: Lang, status: StatusCode, code: &str) -> (&'static str, &'static str) {
    let t = lang.texts();
    match code {
        "invitation_used" => (t.link_used_title, t.link_used_body),
        "invitation_revoked" => (t.link_revoked_title, t.link_revoked_body),
        "invitation_expired" => (t.link_expired_title, t.link_expired_body),
        "csrf_failed" => (t.csrf_title, t.csrf_body),
        "too_many_requests" => (t.error_title, t.too_many_attempts),
        "session_revoked" => (t.signed_out_title, t.signed_out_body),
        "email_unverified" => (lang.account().unverified_title, lang.account().unverified_body),
        _ => match status {
            StatusCode::NOT_FOUND => (t.not_found_title, t.not_found_body),
            StatusCode::FORBIDDEN => (t.forbidden_title, t.forbidden_body),
            StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY | StatusCode::PRECONDITION_FAILED => {
                (t.conflict_error_title, t.generic_error_body)
            }
            _ => (t.error_title, t.generic_error_body),
        },
    }
}

/// A request that changes something must come from this site's own pages: browsers say
/// where a request comes from (`Sec-Fetch-Site`, `Origin`), and a cross-site one is refused
/// before any handler runs. The CSRF token of the form is checked as well, by the handler's
/// extractor; this is the second line.
fn cross_site(req: &ServiceRequest) -> bool {
    if matches!(*req.method(), actix_web::http::Method::GET | actix_web::http::Method::HEAD) {
        return false;
    }
    let headers = req.headers();
    if headers.get("sec-fetch-site").is_some_and(|v| v == "cross-site" || v == "same-site") {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return false };
    let host = req.connection_info().host().to_owned();
    let own = |scheme: &str| format!("{scheme}://{host}");
    let public = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .map(|s| s.kensa.public_url.origin().ascii_serialization());
    !(origin == own("http") || origin == own("https") || public.as_deref() == Some(origin))
}

/// Every page route's layer: cross-site writes refused, refusals shown as pages.
pub async fn page_layer(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let response = if cross_site(&req) {
        let refused = actix_web::ResponseError::error_response(&crate::error::ApiError::CsrfFailed);
        req.into_response(refused)
    } else {
        next.call(req).await?.map_into_boxed_body()
    };
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_CONTENT_TYPE));
    if !is_problem {
        return Ok(response.map_into_boxed_body());
    }
    let status = response.status();
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let (http_req, res) = response.into_parts();
    let body = actix_web::body::to_bytes(res.into_body()).await.unwrap_or_default();
    let problem: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let code = problem.get("code").and_then(|c| c.as_str()).unwrap_or_default().to_owned();
    let detail = problem.get("detail").and_then(|c| c.as_str()).unwrap_or_default().to_owned();
    let request_id = problem.get("request_id").and_then(|c| c.as_str()).unwrap_or_default().to_owned();
    let w = match context::resolve(&http_req).await {
        Ok(w) => w,
        Err(e) => return Ok(ServiceResponse::new(http_req, actix_web::ResponseError::error_response(&e))),
    };
    let t = w.t();
    let (title, text) = explain(w.lang, status, &code);
    let page = layout::page(
        &w,
        title,
        html! {
            p { (text) }
            @if status.is_client_error() && !detail.is_empty() && status != StatusCode::NOT_FOUND {
                p.hint lang="en" { (detail) }
            }
            @if !request_id.is_empty() { p.hint { (t.request_id) ": " code { (request_id) } } }
            @if status == StatusCode::UNAUTHORIZED {
                p { a href={ "/sign-in?next=" (context::encode(&w.here)) } { (t.sign_in) } }
            } @else {
                p { a href="/assessments" { (t.home) } }
            }
        },
    );
    let mut html_response = layout::respond(&w, status, page);
    if let Some(value) = retry_after {
        html_response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    Ok(ServiceResponse::new(http_req, html_response))
}
