//! `/account`: the signed-in user's own security, whatever their role: two-factor
//! authentication (turned on with a QR code and a first code, off with a code) and the
//! sign-ins of the account (each device, where and when it was last used; end one, or all
//! others). The same services as `/api/v1/me/mfa…` and `/api/v1/me/sessions…`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use kensa_domain::auth::mfa::{self, MfaStatus};
use kensa_domain::auth::sign_ins::{self, SignIn};
use kensa_domain::{DomainError, ErrorCode};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use super::mfa::{EnrolForm, enrolment, is_invalid_code, recovery_codes, shown};
use crate::error::ApiResult;
use crate::web::context::{Posted, Web, redirect, signed_in};
use crate::web::forms::Input;
use crate::web::layout::{self, csrf_field};

#[derive(Deserialize)]
pub struct AccountQuery {
    done: Option<String>,
}

fn account_enrolment() -> EnrolForm<'static> {
    EnrolForm { action: "/account/mfa/confirm".into(), hidden: Vec::new(), required_by_policy: false }
}

fn mfa_section(w: &Web, status: &MfaStatus, error: Option<&str>) -> Markup {
    let a = w.lang.account();
    html! {
        section.card aria-labelledby="mfa-heading" {
            h2 #mfa-heading { (a.mfa_title) }
            @if let Some(message) = error { (layout::notice("error", message)) }
            @if status.enabled {
                p { (a.mfa_on) " " (a.recovery_left) ": " (status.recovery_codes_left) }
                @if status.required_by_policy {
                    p { (a.mfa_enrol_required) }
                } @else {
                    form method="post" action="/account/mfa/disable" {
                        (csrf_field(w))
                        (Input::new("code", a.mfa_code).id("disable-code").autocomplete("one-time-code").hint(a.mfa_code_hint).render(w.lang, &[]))
                        p { button.danger type="submit" { (a.mfa_disable) } }
                    }
                }
            } @else {
                p { (a.mfa_off) }
                form method="post" action="/account/mfa" {
                    (csrf_field(w))
                    p { button type="submit" { (a.mfa_set_up) } }
                }
            }
        }
    }
}

fn sessions_section(w: &Web, sessions: &[SignIn]) -> Markup {
    let a = w.lang.account();
    html! {
        section.card aria-labelledby="sessions-heading" {
            h2 #sessions-heading { (a.sessions_title) }
            div.table-wrap { table.sessions {
                thead { tr {
                    th scope="col" { (a.device) }
                    th scope="col" { (a.address) }
                    th scope="col" { (a.signed_in_at) }
                    th scope="col" { (a.last_used) }
                    th scope="col" { (a.end) }
                } }
                tbody { @for s in sessions {
                    tr {
                        th scope="row" {
                            (s.user_agent.as_deref().unwrap_or("-"))
                            @if s.current { " " strong { "(" (a.this_device) ")" } }
                        }
                        td { (s.address.as_deref().unwrap_or("-")) }
                        td { (layout::datetime(w, s.created_at)) }
                        td { (layout::datetime(w, s.last_used_at)) }
                        td {
                            form.inline method="post" action={ "/account/sessions/" (s.id) "/end" } {
                                (csrf_field(w))
                                button.secondary type="submit" { (a.end) }
                            }
                        }
                    }
                } }
            } }
            @if sessions.len() > 1 {
                form method="post" action="/account/sessions/end-others" {
                    (csrf_field(w))
                    p { button.danger type="submit" { (a.end_others) } }
                }
            }
        }
    }
}

/// The page, with a success `notice` on top or an `error` in the two-factor section.
async fn render(w: &Web, notice: Option<&str>, error: Option<&str>, status: StatusCode) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(w);
    let k = &w.state.kensa;
    let mfa_status = mfa::status(k, ctx).await?;
    let sessions = sign_ins::list(k, ctx).await?;
    let body = html! {
        @if let Some(message) = notice { (layout::notice("ok", message)) }
        (mfa_section(w, &mfa_status, error))
        (sessions_section(w, &sessions))
    };
    Ok(layout::respond(w, status, layout::page(w, w.lang.account().account_title, body)))
}

pub async fn show(w: Web, query: web::Query<AccountQuery>) -> ApiResult<HttpResponse> {
    let a = w.lang.account();
    let notice = match query.done.as_deref() {
        Some("mfa_off") => Some(a.mfa_turned_off),
        Some("sessions_ended") => Some(a.sessions_ended),
        _ => None,
    };
    render(&w, notice, None, StatusCode::OK).await
}

/// `POST /account/mfa`: a new secret, shown as a QR code, with the form for the first code.
pub async fn start_mfa(posted: Posted) -> ApiResult<HttpResponse> {
    let w = posted.w;
    let ctx = signed_in!(w);
    match mfa::start_enrolment(&w.state.kensa, ctx).await {
        Ok(e) => Ok(enrolment(&w, account_enrolment(), &e, false, StatusCode::OK)),
        Err(DomainError::Conflict { .. }) => Ok(redirect("/account")),
        Err(e) => Err(e.into()),
    }
}

/// `POST /account/mfa/confirm`: the first code turns MFA on; the recovery codes, once.
pub async fn confirm_mfa(posted: Posted) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let ctx = signed_in!(w);
    match mfa::confirm_enrolment(&w.state.kensa, ctx, form.get("code")).await {
        Ok(codes) => Ok(recovery_codes(&w, &codes.recovery_codes, "/account")),
        Err(e) if is_invalid_code(&e) => {
            Ok(enrolment(&w, account_enrolment(), &shown(&form), true, StatusCode::UNAUTHORIZED))
        }
        Err(DomainError::TooManyRequests { .. }) => {
            render(&w, None, Some(w.t().too_many_attempts), StatusCode::TOO_MANY_REQUESTS).await
        }
        Err(DomainError::Conflict { .. }) => Ok(redirect("/account")),
        Err(e) => Err(e.into()),
    }
}

/// `POST /account/mfa/disable`: with a current code or a recovery code.
pub async fn disable_mfa(posted: Posted) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let ctx = signed_in!(w);
    let a = w.lang.account();
    match mfa::disable(&w.state.kensa, ctx, form.get("code")).await {
        Ok(()) => Ok(redirect("/account?done=mfa_off")),
        Err(e) if is_invalid_code(&e) => render(&w, None, Some(a.mfa_invalid_code), StatusCode::UNAUTHORIZED).await,
        Err(DomainError::TooManyRequests { .. }) => {
            render(&w, None, Some(w.t().too_many_attempts), StatusCode::TOO_MANY_REQUESTS).await
        }
        Err(DomainError::Conflict { code: ErrorCode::MfaRequiredByPolicy, .. }) => {
            render(&w, None, Some(a.mfa_enrol_required), StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /account/sessions/{id}/end`: ending this browser's own sign-in signs it out.
pub async fn end_session(posted: Posted, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let w = posted.w;
    let ctx = signed_in!(w);
    let current = ctx.session_id() == Some(*id);
    sign_ins::end(&w.state.kensa, ctx, *id).await?;
    Ok(redirect(if current { "/sign-in" } else { "/account?done=sessions_ended" }))
}

/// `POST /account/sessions/end-others`
pub async fn end_others(posted: Posted) -> ApiResult<HttpResponse> {
    let w = posted.w;
    let ctx = signed_in!(w);
    sign_ins::end_others(&w.state.kensa, ctx).await?;
    Ok(redirect("/account?done=sessions_ended"))
}
