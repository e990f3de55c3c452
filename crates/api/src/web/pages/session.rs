//! Sign-in, sign-out and the language switch.

use actix_web::cookie::SameSite;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use kensa_domain::auth::{self, LoginInput, LoginOutcome, Session, browser, mfa};
use kensa_domain::{DomainError, FieldError};
use maud::{Markup, html};
use serde::Deserialize;

use crate::error::ApiResult;
use crate::web::context::{LANG_COOKIE, Posted, SESSION_COOKIE, Web, cookie, local_path, redirect, removal};
use crate::web::forms::{Input, field_errors, general_errors, summary};
use crate::web::i18n::Lang;
use crate::web::layout::{self, csrf_field};

#[derive(Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
}

/// Signs the browser in with a session the services issued, and goes to `next`.
pub async fn start_session(w: &Web, session: &Session, next: &str) -> ApiResult<HttpResponse> {
    adopt(w, session, redirect(next)).await
}

/// Signs the browser in with a session the services issued: `response` carries the cookie.
pub async fn adopt(w: &Web, session: &Session, mut response: HttpResponse) -> ApiResult<HttpResponse> {
    // The browser's earlier session (another account's, say) ends here, not when idle.
    if let Some(old) = &w.session {
        browser::end(&w.state.kensa, old).await?;
    }
    let created = browser::adopt(&w.state.kensa, session).await?;
    response.add_cookie(&cookie(SESSION_COOKIE, created.cookie, w.secure_cookies(), SameSite::Lax)).ok();
    Ok(response)
}

/// The sign-in form again, after a step that cannot go on (a dead MFA ticket): `message`
/// says why. Throttling answers 429; anything else unexpected is an error page.
pub fn sign_in_again(w: &Web, next: &str, e: DomainError, message: &str) -> ApiResult<HttpResponse> {
    let t = w.t();
    let (status, message) = match e {
        DomainError::Unauthenticated { .. } => (StatusCode::UNAUTHORIZED, message),
        DomainError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, t.too_many_attempts),
        e => return Err(e.into()),
    };
    Ok(layout::respond(w, status, layout::page(w, t.sign_in_title, form(w, next, "", &[], Some(message)))))
}

fn form(w: &Web, next: &str, email: &str, errors: &[FieldError], failure: Option<&str>) -> Markup {
    let t = w.t();
    html! {
        @if let Some(message) = failure { (layout::notice("error", message)) }
        (summary(w.lang, t.form_errors, &general_errors(errors, &["email", "password"])))
        form.card method="post" action={ "/sign-in?next=" (crate::web::context::encode(next)) } {
            (csrf_field(w))
            (Input::new("email", t.email).kind("email").value(email).autocomplete("username").render(w.lang, errors))
            (Input::new("password", t.password).kind("password").autocomplete("current-password").render(w.lang, errors))
            p { button type="submit" { (t.sign_in) } }
        }
        p { a href="/forgot-password" { (w.lang.account().forgot_link) } }
    }
}

pub async fn page(w: Web, query: web::Query<NextQuery>) -> HttpResponse {
    let next = local_path(query.next.as_deref()).unwrap_or_else(|| "/assessments".into());
    if w.session.is_some() {
        return redirect(&next);
    }
    layout::ok(&w, w.t().sign_in_title, form(&w, &next, "", &[], None))
}

pub async fn submit(posted: Posted, query: web::Query<NextQuery>) -> ApiResult<HttpResponse> {
    let Posted { w, form: fields } = posted;
    let next = local_path(query.next.as_deref()).unwrap_or_else(|| "/assessments".into());
    let input = LoginInput { email: fields.get("email").to_owned(), password: fields.get("password").to_owned() };
    match auth::login(&w.state.kensa, input, &w.meta).await {
        Ok(LoginOutcome::SignedIn(session)) => start_session(&w, &session, &next).await,
        Ok(LoginOutcome::MfaRequired(c)) if c.enrolment_required => {
            match mfa::start_enrolment_with_ticket(&w.state.kensa, &c.mfa_ticket, &w.meta).await {
                Ok(e) => {
                    let form = super::mfa::sign_in_enrolment(&next, &c.mfa_ticket);
                    Ok(super::mfa::enrolment(&w, form, &e, false, StatusCode::OK))
                }
                Err(e) => sign_in_again(&w, &next, e, w.lang.account().mfa_ticket_dead),
            }
        }
        Ok(LoginOutcome::MfaRequired(c)) => Ok(super::mfa::challenge(&w, &next, &c.mfa_ticket, false, StatusCode::OK)),
        Err(e) => {
            let t = w.t();
            let (status, failure, errors) = match &e {
                DomainError::Unauthenticated { .. } => (StatusCode::UNAUTHORIZED, Some(t.sign_in_failed), Vec::new()),
                DomainError::TooManyRequests { .. } | DomainError::Overloaded { .. } => {
                    (StatusCode::TOO_MANY_REQUESTS, Some(t.too_many_attempts), Vec::new())
                }
                DomainError::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, None, field_errors(&e)),
                _ => return Err(e.into()),
            };
            let body = form(&w, &next, fields.get("email"), &errors, failure);
            Ok(layout::respond(&w, status, layout::page(&w, t.sign_in_title, body)))
        }
    }
}

pub async fn sign_out(posted: Posted) -> ApiResult<HttpResponse> {
    let w = posted.w;
    if let Some(session) = &w.session {
        browser::end(&w.state.kensa, session).await?;
    }
    let mut response = redirect("/sign-in");
    response.add_cookie(&removal(SESSION_COOKIE, w.secure_cookies())).ok();
    Ok(response)
}

/// The language switch: remembered in a cookie, then back where the visitor was.
pub async fn language(w: Web, lang: web::Path<String>, query: web::Query<NextQuery>) -> HttpResponse {
    let next = local_path(query.next.as_deref()).unwrap_or_else(|| "/".into());
    let Some(lang) = Lang::parse(&lang) else { return redirect(&next) };
    let mut response = redirect(&next);
    response.add_cookie(&cookie(LANG_COOKIE, lang.code().to_owned(), w.secure_cookies(), SameSite::Lax)).ok();
    response
}

/// `/`: the assessments of a signed-in visitor, the sign-in page otherwise.
pub async fn home(w: Web) -> HttpResponse {
    redirect(if w.session.is_some() { "/assessments" } else { "/sign-in" })
}
