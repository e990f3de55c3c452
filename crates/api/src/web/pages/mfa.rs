//! The sign-in's second step: the code of an account with two-factor authentication, or
//! the enrolment its organization's policy requires before the first sign-in with it. The
//! MFA ticket rides in the form (it is single use and lives 5 minutes); no session exists
//! until the code is right.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use kensa_domain::auth::mfa::{self, SecondFactor, TotpEnrolment};
use kensa_domain::{DomainError, ErrorCode};
use maud::{Markup, PreEscaped, html};

use super::session::{NextQuery, adopt, sign_in_again};
use crate::error::ApiResult;
use crate::web::context::{Posted, Web, encode, local_path, redirect};
use crate::web::forms::Input;
use crate::web::layout::{self, csrf_field};

fn action(path: &str, next: &str) -> String {
    format!("{path}?next={}", encode(next))
}

fn code_input(w: &Web, invalid: bool) -> Markup {
    let a = w.lang.account();
    let errors = if invalid {
        vec![kensa_domain::FieldError::new("code", ErrorCode::InvalidMfaCode, a.mfa_invalid_code)]
    } else {
        Vec::new()
    };
    html! {
        (Input::new("code", a.mfa_code).autocomplete("one-time-code").hint(a.mfa_code_hint).render(w.lang, &errors))
    }
}

/// "Enter the code from your app."
pub fn challenge(w: &Web, next: &str, ticket: &str, invalid: bool, status: StatusCode) -> HttpResponse {
    let a = w.lang.account();
    let body = html! {
        form.card method="post" action=(action("/sign-in/mfa", next)) {
            (csrf_field(w))
            input type="hidden" name="mfa_ticket" value=(ticket);
            (code_input(w, invalid))
            p { button type="submit" { (a.mfa_verify) } }
        }
    };
    layout::respond(w, status, layout::page(w, a.mfa_title, body))
}

/// The QR code of the `otpauth://` URI, as inline SVG.
fn qr(uri: &str, label: &str) -> Markup {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => {
            let svg = code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(200, 200).build();
            html! { figure.qr role="img" aria-label=(label) { (PreEscaped(svg)) } }
        }
        // Only a URI far longer than any secret makes could fail; the key below still works.
        Err(_) => html! {},
    }
}

/// Where an enrolment form posts, what rides along, and whether the policy asked for it.
pub struct EnrolForm<'a> {
    pub action: String,
    pub hidden: Vec<(&'static str, &'a str)>,
    pub required_by_policy: bool,
}

/// "Scan this, then enter the first code." The secret rides back in the form only to show
/// the same QR code again after a wrong code; the server never reads it.
pub fn enrolment(
    w: &Web,
    form: EnrolForm<'_>,
    enrolment: &TotpEnrolment,
    invalid: bool,
    status: StatusCode,
) -> HttpResponse {
    let a = w.lang.account();
    let body = html! {
        @if form.required_by_policy { (layout::notice("info", a.mfa_enrol_required)) }
        p { (a.mfa_enrol_steps) }
        (qr(&enrolment.otpauth_uri, a.mfa_qr_label))
        p { (a.mfa_secret) ": " code.secret { (enrolment.secret) } }
        form.card method="post" action=(form.action) {
            (csrf_field(w))
            @for (name, value) in &form.hidden { input type="hidden" name=(name) value=(value); }
            input type="hidden" name="secret" value=(enrolment.secret);
            input type="hidden" name="otpauth_uri" value=(enrolment.otpauth_uri);
            (code_input(w, invalid))
            p { button type="submit" { (a.mfa_enable) } }
        }
    };
    layout::respond(w, status, layout::page(w, a.mfa_enrol_title, body))
}

/// The enrolment as the form that was refused showed it (from its hidden fields).
pub fn shown(form: &crate::web::context::Form) -> TotpEnrolment {
    TotpEnrolment { secret: form.get("secret").to_owned(), otpauth_uri: form.get("otpauth_uri").to_owned() }
}

/// The sign-in's enrolment form.
pub fn sign_in_enrolment<'a>(next: &str, ticket: &'a str) -> EnrolForm<'a> {
    EnrolForm {
        action: action("/sign-in/mfa/enrol", next),
        hidden: vec![("mfa_ticket", ticket)],
        required_by_policy: true,
    }
}

fn next_of(query: &NextQuery) -> String {
    local_path(query.next.as_deref()).unwrap_or_else(|| "/assessments".into())
}

pub fn is_invalid_code(e: &DomainError) -> bool {
    matches!(e, DomainError::Unauthenticated { code: ErrorCode::InvalidMfaCode, .. })
}

/// `POST /sign-in/mfa`: the ticket and a code (or a recovery code) sign the browser in.
pub async fn verify(posted: Posted, query: web::Query<NextQuery>) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let next = next_of(&query);
    let ticket = form.get("mfa_ticket");
    match mfa::complete_sign_in(&w.state.kensa, ticket, SecondFactor::parse(form.get("code")), &w.meta).await {
        Ok(session) => adopt(&w, &session, redirect(&next)).await,
        Err(e) if is_invalid_code(&e) => Ok(challenge(&w, &next, ticket, true, StatusCode::UNAUTHORIZED)),
        Err(e) => sign_in_again(&w, &next, e, w.lang.account().mfa_ticket_dead),
    }
}

/// `POST /sign-in/mfa/enrol`: the first code turns MFA on, signs the browser in and shows
/// the recovery codes once.
pub async fn enrol(posted: Posted, query: web::Query<NextQuery>) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let next = next_of(&query);
    let ticket = form.get("mfa_ticket");
    match mfa::confirm_enrolment_with_ticket(&w.state.kensa, ticket, form.get("code"), &w.meta).await {
        Ok(enrolled) => {
            let page = recovery_codes(&w, &enrolled.recovery_codes, &next);
            adopt(&w, &enrolled.session, page).await
        }
        Err(e) if is_invalid_code(&e) => {
            Ok(enrolment(&w, sign_in_enrolment(&next, ticket), &shown(&form), true, StatusCode::UNAUTHORIZED))
        }
        Err(e) => sign_in_again(&w, &next, e, w.lang.account().mfa_ticket_dead),
    }
}

/// The recovery codes, shown once, and the way on.
pub fn recovery_codes(w: &Web, codes: &[String], next: &str) -> HttpResponse {
    let a = w.lang.account();
    let body = html! {
        (layout::notice("ok", a.recovery_intro))
        ul.recovery-codes { @for code in codes { li { code { (code) } } } }
        p { a.button href=(next) { (a.continue_label) } }
    };
    layout::ok(w, a.recovery_title, body)
}
