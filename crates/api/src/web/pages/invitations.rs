//! `/invitations/{token}` (a buyer asks a supplier to answer) and `/join/{token}` (a
//! colleague invites a person into an organization): the pages behind the mailed links.
//! Accepting goes through the same services as the API; the token is the credential.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use kensa_domain::assessments::invitations::{self, AcceptNew, Accepted, InvitationPreview};
use kensa_domain::auth::{LoginOutcome, mfa};
use kensa_domain::users::invitations as user_invitations;
use kensa_domain::{DomainError, FieldError};
use maud::{Markup, html};

use super::session::start_session;
use crate::error::ApiResult;
use crate::web::context::signed_in;
use crate::web::context::{Form, Posted, Web, encode, redirect};
use crate::web::forms::{Input, field_errors, general_errors, summary};
use crate::web::layout::{self, csrf_field};

fn facts(w: &Web, p: &InvitationPreview) -> Markup {
    let t = w.t();
    html! {
        dl.facts {
            dt { (t.invitation_from) } dd { (p.buyer_name) }
            dt { (t.invitation_for) } dd { (p.supplier_name) " (" (p.email) ")" }
            dt { (t.checklist) } dd { (p.template_name) }
            dt { (t.target_level) } dd { "Lv" (p.target_level) }
            dt { (t.due_date) } dd { (layout::date(w, p.due_date)) }
            dt { (t.link_expires) } dd { (layout::datetime(w, p.expires_at)) }
        }
    }
}

const NEW_ACCOUNT_FIELDS: [&str; 4] = ["name", "email", "password", "organization_name"];

fn invitation_page(w: &Web, token: &str, p: &InvitationPreview, form: Option<&Form>, errors: &[FieldError]) -> Markup {
    let t = w.t();
    let value = |name: &str| form.map(|f| f.get(name).to_owned()).unwrap_or_default();
    let email = form.map_or_else(|| p.email.clone(), |f| f.get("email").to_owned());
    let organization = form.map_or_else(|| p.supplier_name.clone(), |f| f.get("organization_name").to_owned());
    let action = format!("/invitations/{token}");
    html! {
        p { (t.invitation_lead) }
        (facts(w, p))
        @if let Some(me) = w.session.as_ref().and_then(|s| s.tenant.principal()) {
            section.card aria-labelledby="link-heading" {
                h2 #link-heading { (t.link_existing) }
                p { (t.link_existing_lead) " " strong { (me.organization.name) } }
                (summary(w.lang, t.form_errors, &general_errors(errors, &[])))
                form method="post" action={ (action) "/link" } {
                    (csrf_field(w))
                    button type="submit" { (t.link_existing) }
                }
            }
        } @else {
            section.card aria-labelledby="new-heading" {
                h2 #new-heading { (t.create_account) }
                p { (t.create_account_lead) }
                (summary(w.lang, t.form_errors, &general_errors(errors, &NEW_ACCOUNT_FIELDS)))
                form method="post" action=(action) {
                    (csrf_field(w))
                    (Input::new("organization_name", t.organization_name).value(&organization)
                        .autocomplete("organization").render(w.lang, errors))
                    (Input::new("name", t.your_name).value(&value("name")).autocomplete("name").render(w.lang, errors))
                    (Input::new("email", t.email).kind("email").value(&email).autocomplete("email").render(w.lang, errors))
                    (Input::new("password", t.password).kind("password").autocomplete("new-password")
                        .hint(t.password_hint).render(w.lang, errors))
                    p { button type="submit" { (t.create_account) } }
                }
            }
            section.card aria-labelledby="existing-heading" {
                h2 #existing-heading { (t.have_account) }
                p { a href={ "/sign-in?next=" (encode(&action)) } { (t.sign_in_to_link) } }
            }
        }
    }
}

pub async fn show(w: Web, token: web::Path<String>) -> ApiResult<HttpResponse> {
    let preview = invitations::preview(&w.state.kensa, &token).await?;
    Ok(layout::ok(&w, w.t().invitation_title, invitation_page(&w, &token, &preview, None, &[])))
}

fn claim_pending(w: &Web) -> HttpResponse {
    let t = w.t();
    layout::ok(w, t.claim_pending_title, html! { p { (t.claim_pending_body) } p { a href="/sign-in" { (t.sign_in) } } })
}

/// A new organization and its owner accept.
pub async fn accept_new(posted: Posted, token: web::Path<String>) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let details = AcceptNew {
        name: form.get("name").to_owned(),
        email: form.get("email").to_owned(),
        password: form.get("password").to_owned(),
        organization_name: form.get("organization_name").to_owned(),
        locale: Some(w.lang.code().to_owned()),
    };
    match invitations::accept(&w.state.kensa, &token, None, Some(details), &w.meta).await {
        Ok(Accepted::NewAccount(session)) => start_session(&w, &session, "/assessments").await,
        Ok(Accepted::Linked { assessment_id, .. }) => Ok(redirect(&format!("/assessments/{assessment_id}"))),
        Ok(Accepted::PendingConfirmation { .. }) => Ok(claim_pending(&w)),
        Err(e @ (DomainError::Validation(_) | DomainError::Conflict { .. })) => {
            let preview = invitations::preview(&w.state.kensa, &token).await?;
            let body = invitation_page(&w, &token, &preview, Some(&form), &field_errors(&e));
            let status = if matches!(e, DomainError::Conflict { .. }) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            Ok(layout::respond(&w, status, layout::page(&w, w.t().invitation_title, body)))
        }
        Err(e) => Err(e.into()),
    }
}

/// The signed-in visitor's organization accepts.
pub async fn accept_signed_in(posted: Posted, token: web::Path<String>) -> ApiResult<HttpResponse> {
    let w = posted.w;
    let ctx = signed_in!(w);
    match invitations::accept(&w.state.kensa, &token, Some(ctx), None, &w.meta).await {
        Ok(Accepted::Linked { assessment_id, .. }) => Ok(redirect(&format!("/assessments/{assessment_id}"))),
        Ok(Accepted::PendingConfirmation { .. }) => Ok(claim_pending(&w)),
        Ok(Accepted::NewAccount(_)) => Ok(redirect("/assessments")),
        Err(e @ (DomainError::Conflict { .. } | DomainError::Forbidden)) => {
            let preview = invitations::preview(&w.state.kensa, &token).await?;
            let body = invitation_page(&w, &token, &preview, None, &field_errors(&e));
            let status = if matches!(e, DomainError::Forbidden) { StatusCode::FORBIDDEN } else { StatusCode::CONFLICT };
            Ok(layout::respond(&w, status, layout::page(&w, w.t().invitation_title, body)))
        }
        Err(e) => Err(e.into()),
    }
}

fn join_page(
    w: &Web,
    token: &str,
    p: &kensa_domain::users::InvitationPreview,
    form: Option<&Form>,
    errors: &[FieldError],
) -> Markup {
    let t = w.t();
    let name = form.map(|f| f.get("name").to_owned()).unwrap_or_default();
    html! {
        p { (t.join_lead) }
        dl.facts {
            dt { (t.organization_name) } dd { (p.organization_name) }
            dt { (t.email) } dd { (p.email) }
            dt { (t.role) } dd { (w.lang.role(p.role)) }
            dt { (t.link_expires) } dd { (layout::datetime(w, p.expires_at)) }
        }
        @if w.session.is_some() {
            (layout::notice("warn", t.join_signed_in))
        }
        (summary(w.lang, t.form_errors, &general_errors(errors, &["name", "password"])))
        form.card method="post" action={ "/join/" (token) } {
            (csrf_field(w))
            input type="hidden" name="email" value=(p.email) autocomplete="username";
            (Input::new("name", t.your_name).value(&name).autocomplete("name").render(w.lang, errors))
            (Input::new("password", t.password).kind("password").autocomplete("new-password")
                .hint(t.password_hint).render(w.lang, errors))
            p { button type="submit" { (t.join_button) } }
        }
    }
}

pub async fn join(w: Web, token: web::Path<String>) -> ApiResult<HttpResponse> {
    let preview = user_invitations::preview(&w.state.kensa, &token).await?;
    Ok(layout::ok(&w, w.t().join_title, join_page(&w, &token, &preview, None, &[])))
}

pub async fn accept_join(posted: Posted, token: web::Path<String>) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let input = user_invitations::AcceptInput {
        name: form.get("name").to_owned(),
        password: form.get("password").to_owned(),
        locale: Some(w.lang.code().to_owned()),
    };
    match user_invitations::accept(&w.state.kensa, &token, input, &w.meta).await {
        Ok(LoginOutcome::SignedIn(session)) => start_session(&w, &session, "/assessments").await,
        Ok(LoginOutcome::MfaRequired(c)) => {
            // The organization requires a second factor: enrolled here before any session.
            match mfa::start_enrolment_with_ticket(&w.state.kensa, &c.mfa_ticket, &w.meta).await {
                Ok(e) => {
                    let form = super::mfa::sign_in_enrolment("/assessments", &c.mfa_ticket);
                    Ok(super::mfa::enrolment(&w, form, &e, false, StatusCode::OK))
                }
                Err(e) => Err(e.into()),
            }
        }
        Err(e @ (DomainError::Validation(_) | DomainError::Conflict { .. })) => {
            let preview = user_invitations::preview(&w.state.kensa, &token).await?;
            let body = join_page(&w, &token, &preview, Some(&form), &field_errors(&e));
            Ok(layout::respond(&w, StatusCode::UNPROCESSABLE_ENTITY, layout::page(&w, w.t().join_title, body)))
        }
        Err(e) => Err(e.into()),
    }
}
