//! `/forgot-password`, `/reset/{token}` and `/verify/{token}`: the pages behind the sign-in
//! page's "forgot your password?" link and the mailed links. They call the same services
//! as REST; the token in the path is the credential. A GET never uses a link (mail
//! scanners open links): only the form's POST does.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use kensa_domain::auth::{reset, verification};
use kensa_domain::{DomainError, FieldError};
use maud::{Markup, html};

use crate::error::ApiResult;
use crate::web::context::{Posted, Web};
use crate::web::forms::{Input, field_errors, general_errors, summary};
use crate::web::layout::{self, csrf_field};

fn forgot_form(w: &Web, email: &str, errors: &[FieldError], notice: Option<(&str, &str)>) -> Markup {
    let (t, a) = (w.t(), w.lang.account());
    html! {
        @if let Some((kind, text)) = notice { (layout::notice(kind, text)) }
        p { (a.forgot_lead) }
        (summary(w.lang, t.form_errors, &general_errors(errors, &["email"])))
        form.card method="post" action="/forgot-password" {
            (csrf_field(w))
            (Input::new("email", t.email).kind("email").value(email).autocomplete("username").render(w.lang, errors))
            p { button type="submit" { (a.forgot_button) } }
        }
        p { a href="/sign-in" { (t.sign_in) } }
    }
}

pub async fn forgot(w: Web) -> HttpResponse {
    layout::ok(&w, w.lang.account().forgot_title, forgot_form(&w, "", &[], None))
}

/// The same answer whether or not the address has an account.
pub async fn forgot_submit(posted: Posted) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let (t, a) = (w.t(), w.lang.account());
    let email = form.get("email").to_owned();
    let (status, body) = match reset::request(&w.state.kensa, &email, &w.meta).await {
        Ok(()) => (StatusCode::OK, forgot_form(&w, "", &[], Some(("success", a.forgot_sent)))),
        Err(e @ DomainError::Validation(_)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, forgot_form(&w, &email, &field_errors(&e), None))
        }
        Err(DomainError::TooManyRequests { .. }) => {
            (StatusCode::TOO_MANY_REQUESTS, forgot_form(&w, &email, &[], Some(("error", t.too_many_attempts))))
        }
        Err(e) => return Err(e.into()),
    };
    Ok(layout::respond(&w, status, layout::page(&w, a.forgot_title, body)))
}

fn reset_form(w: &Web, token: &str, errors: &[FieldError]) -> Markup {
    let (t, a) = (w.t(), w.lang.account());
    html! {
        p { (a.reset_lead) }
        (summary(w.lang, t.form_errors, &general_errors(errors, &["password"])))
        form.card method="post" action={ "/reset/" (token) } {
            (csrf_field(w))
            (Input::new("password", a.new_password).kind("password").autocomplete("new-password")
                .hint(t.password_hint).render(w.lang, errors))
            p { button type="submit" { (a.reset_button) } }
        }
    }
}

fn link_refused(w: &Web, status: StatusCode) -> HttpResponse {
    let (t, a) = (w.t(), w.lang.account());
    let body = html! {
        p { (a.link_invalid_body) }
        p { a href="/forgot-password" { (a.forgot_link) } " · " a href="/sign-in" { (t.sign_in) } }
    };
    layout::respond(w, status, layout::page(w, a.link_invalid_title, body))
}

/// `Some(answer)` for a link that does not work (410) or a throttled visitor (429).
fn refused(w: &Web, e: &DomainError) -> Option<HttpResponse> {
    match e {
        DomainError::Gone { .. } => Some(link_refused(w, StatusCode::GONE)),
        DomainError::TooManyRequests { .. } => {
            let t = w.t();
            let body = html! { (layout::notice("error", t.too_many_attempts)) };
            Some(layout::respond(w, StatusCode::TOO_MANY_REQUESTS, layout::page(w, t.error_title, body)))
        }
        _ => None,
    }
}

pub async fn reset_page(w: Web, token: web::Path<String>) -> ApiResult<HttpResponse> {
    if let Err(e) = reset::check(&w.state.kensa, &token).await {
        return refused(&w, &e).ok_or(e.into());
    }
    Ok(layout::ok(&w, w.lang.account().reset_title, reset_form(&w, &token, &[])))
}

pub async fn reset_submit(posted: Posted, token: web::Path<String>) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let a = w.lang.account();
    match reset::complete(&w.state.kensa, &token, form.get("password"), &w.meta).await {
        Ok(()) => {
            let t = w.t();
            let body = html! { p { (a.reset_done_body) } p { a href="/sign-in" { (t.sign_in) } } };
            Ok(layout::ok(&w, a.reset_done_title, body))
        }
        Err(e @ DomainError::Validation(_)) => {
            let body = reset_form(&w, &token, &field_errors(&e));
            Ok(layout::respond(&w, StatusCode::UNPROCESSABLE_ENTITY, layout::page(&w, a.reset_title, body)))
        }
        Err(e) => refused(&w, &e).ok_or(e.into()),
    }
}

pub async fn verify_page(w: Web, token: web::Path<String>) -> HttpResponse {
    let a = w.lang.account();
    let body = html! {
        p { (a.verify_lead) }
        form.card method="post" action={ "/verify/" (token.as_str()) } {
            (csrf_field(&w))
            p { button type="submit" { (a.verify_button) } }
        }
    };
    layout::ok(&w, a.verify_title, body)
}

pub async fn verify_submit(posted: Posted, token: web::Path<String>) -> ApiResult<HttpResponse> {
    let w = posted.w;
    let (t, a) = (w.t(), w.lang.account());
    match verification::verify(&w.state.kensa, &token, &w.meta).await {
        Ok(()) => {
            let body = html! { p { (a.verify_done_body) } p { a href="/assessments" { (t.home) } } };
            Ok(layout::ok(&w, a.verify_done_title, body))
        }
        Err(e) => refused(&w, &e).ok_or(e.into()),
    }
}
