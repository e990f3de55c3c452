//! `/account`: the signed-in user's own security, whatever their role: two-factor
//! authentication (turned on with a QR code and a first code, off with a code) and the
//! sign-ins of the account (each device, where and when it was last used; end one, or all
//! others), and the user's own data (an archive of it; the erasure of the account, with the
//! password again, cancellable for the grace period). The same services as
//! `/api/v1/me/mfa…`, `/api/v1/me/sessions…` and `/api/v1/users/{id}/export|erasure`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use kensa_domain::auth::mfa::{self, MfaStatus};
use kensa_domain::auth::sign_ins::{self, SignIn};
use kensa_domain::portability::erasure::{ErasureStatus, OrganizationErasure, Reauthentication};
use kensa_domain::portability::exports::{self, ExportStatus, OrganizationExport};
use kensa_domain::portability::person;
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

/// Archives with a download button for each ready one (`{prefix}{id}/download`).
pub(super) fn archives_table(w: &Web, archives: &[OrganizationExport], prefix: &str) -> Markup {
    let a = w.lang.account();
    let status = |s: ExportStatus| match s {
        ExportStatus::Queued | ExportStatus::Running => a.data_preparing,
        ExportStatus::Ready => a.data_ready,
        ExportStatus::Failed => a.data_failed,
        ExportStatus::Expired => a.data_expired,
    };
    html! {
        @if !archives.is_empty() {
            div.table-wrap { table.archives {
                thead { tr {
                    th scope="col" { (a.data_requested) }
                    th scope="col" { (a.data_status) }
                    th scope="col" { (a.data_download) }
                } }
                tbody { @for x in archives {
                    tr {
                        th scope="row" { (layout::datetime(w, x.created_at)) }
                        td { (status(x.status)) }
                        td {
                            @if x.status == ExportStatus::Ready {
                                form.inline method="post" action={ (prefix) (x.id) "/download" } {
                                    (csrf_field(w))
                                    button.secondary type="submit" { (a.data_download) }
                                }
                            } @else { "-" }
                        }
                    }
                } }
            } }
        }
    }
}

/// An erasure while it is open (when, and the cancel button posting to `{action}/cancel`),
/// or what one does and the form asking for it at `action`: the password and, under
/// two-factor authentication, a code. `words`: "will be erased at", the lead, the button.
pub(super) fn erasure_part(
    w: &Web,
    erasure: Option<&OrganizationErasure>,
    action: &str,
    mfa_on: bool,
    [scheduled, lead, button]: [&str; 3],
) -> Markup {
    let a = w.lang.account();
    let id = action.trim_start_matches('/').replace('/', "-");
    let (password_id, code_id) = (format!("{id}-password"), format!("{id}-code"));
    let open = erasure.filter(|e| matches!(e.status, ErasureStatus::Scheduled | ErasureStatus::Erasing));
    html! {
        @match open {
            Some(e) => {
                p { strong { (scheduled) " " (layout::datetime(w, e.erase_at)) } }
                form method="post" action={ (action) "/cancel" } {
                    (csrf_field(w))
                    p { button type="submit" { (a.erase_cancel) } }
                }
            }
            None => {
                p { (lead) }
                form method="post" action=(action) {
                    (csrf_field(w))
                    (Input::new("password", a.erase_password).id(&password_id).kind("password").autocomplete("current-password").render(w.lang, &[]))
                    @if mfa_on {
                        (Input::new("code", a.mfa_code).id(&code_id).autocomplete("one-time-code").hint(a.mfa_code_hint).render(w.lang, &[]))
                    }
                    p { button.danger type="submit" { (button) } }
                }
            }
        }
    }
}

/// The user's own data: their archives, and the erasure of their account.
fn data_section(
    w: &Web,
    archives: &[OrganizationExport],
    erasure: Option<&OrganizationErasure>,
    mfa_on: bool,
    error: Option<&str>,
) -> Markup {
    let a = w.lang.account();
    html! {
        section.card #data aria-labelledby="data-heading" {
            h2 #data-heading { (a.data_title) }
            @if let Some(message) = error { (layout::notice("error", message)) }
            p { (a.data_lead) }
            (archives_table(w, archives, "/account/data/exports/"))
            form method="post" action="/account/data/export" {
                (csrf_field(w))
                p { button type="submit" { (a.data_export) } }
            }
            h3 { (a.erase_title) }
            (erasure_part(w, erasure, "/account/erasure", mfa_on, [a.erase_scheduled, a.erase_lead, a.erase_button]))
        }
    }
}

/// The page, with a success `notice` on top, an `error` in the two-factor section or a
/// `data_error` in the data section.
async fn render(w: &Web, notice: Option<&str>, error: Option<&str>, status: StatusCode) -> ApiResult<HttpResponse> {
    render_with(w, notice, error, None, status).await
}

async fn render_with(
    w: &Web,
    notice: Option<&str>,
    error: Option<&str>,
    data_error: Option<&str>,
    status: StatusCode,
) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(w);
    let k = &w.state.kensa;
    let mfa_status = mfa::status(k, ctx).await?;
    let sessions = sign_ins::list(k, ctx).await?;
    let me = ctx.user_id().map(|u| u.0);
    let archives: Vec<OrganizationExport> = exports::list(k, ctx)
        .await?
        .into_iter()
        .filter(|x| x.subject_user_id.is_some() && x.subject_user_id == me)
        .collect();
    let erasure = match ctx.user_id() {
        Some(user) => match person::current(k, ctx, user).await {
            Ok(e) => Some(e),
            Err(DomainError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let body = html! {
        @if let Some(message) = notice { (layout::notice("ok", message)) }
        (mfa_section(w, &mfa_status, error))
        (sessions_section(w, &sessions))
        (data_section(w, &archives, erasure.as_ref(), mfa_status.enabled, data_error))
    };
    Ok(layout::respond(w, status, layout::page(w, w.lang.account().account_title, body)))
}

pub async fn show(w: Web, query: web::Query<AccountQuery>) -> ApiResult<HttpResponse> {
    let a = w.lang.account();
    let notice = match query.done.as_deref() {
        Some("mfa_off") => Some(a.mfa_turned_off),
        Some("sessions_ended") => Some(a.sessions_ended),
        Some("export_started") => Some(a.data_export_started),
        Some("erasure_scheduled") => Some(a.erase_done),
        Some("erasure_cancelled") => Some(a.erase_cancelled),
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

/// `POST /account/data/export`: an archive of the user's own data.
pub async fn export_data(posted: Posted) -> ApiResult<HttpResponse> {
    let w = posted.w;
    let ctx = signed_in!(w);
    let Some(user) = ctx.user_id() else { return Err(DomainError::Forbidden.into()) };
    match exports::start_for_person(&w.state.kensa, ctx, user).await {
        Ok(_) => Ok(redirect("/account?done=export_started#data")),
        Err(DomainError::Conflict { .. }) => {
            render_with(&w, None, None, Some(w.lang.account().data_unavailable), StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /account/data/exports/{id}/download` (and `/settings/exports/{id}/download`): a
/// single-use link, followed at once. Who may have it is the service's to say.
pub async fn download_data(posted: Posted, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let w = posted.w;
    let ctx = signed_in!(w);
    let link = exports::link(&w.state.kensa, ctx, *id).await?;
    let url = url::Url::parse(&link.url).map_err(|e| DomainError::internal(e.to_string()))?;
    Ok(redirect(url.path()))
}

/// The password (and code) an erasure form sent.
pub(super) fn proof_of(form: &crate::web::context::Form) -> Reauthentication {
    let code = Some(form.get("code").to_owned()).filter(|c| !c.is_empty());
    Reauthentication { password: form.get("password").to_owned(), code }
}

/// `POST /account/erasure`: the erasure of the user's own account, with the password again.
pub async fn erase(posted: Posted) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let ctx = signed_in!(w);
    let Some(user) = ctx.user_id() else { return Err(DomainError::Forbidden.into()) };
    let a = w.lang.account();
    let proof = proof_of(&form);
    let refused = |message| render_with(&w, None, None, Some(message), StatusCode::UNPROCESSABLE_ENTITY);
    match person::schedule(&w.state.kensa, ctx, user, proof).await {
        Ok(_) => Ok(redirect("/account?done=erasure_scheduled#data")),
        Err(DomainError::Refused { code: ErrorCode::ReauthenticationFailed, .. }) => {
            refused(a.erase_wrong_password).await
        }
        Err(DomainError::Conflict { code: ErrorCode::LastOwner, .. }) => refused(a.erase_last_owner).await,
        Err(DomainError::Conflict { .. }) => Ok(redirect("/account#data")),
        Err(DomainError::Validation(_)) => refused(a.mfa_invalid_code).await,
        Err(e) if is_invalid_code(&e) => refused(a.mfa_invalid_code).await,
        Err(DomainError::TooManyRequests { .. }) => {
            render_with(&w, None, None, Some(w.t().too_many_attempts), StatusCode::TOO_MANY_REQUESTS).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /account/erasure/cancel`
pub async fn cancel_erasure(posted: Posted) -> ApiResult<HttpResponse> {
    let w = posted.w;
    let ctx = signed_in!(w);
    let Some(user) = ctx.user_id() else { return Err(DomainError::Forbidden.into()) };
    match person::cancel(&w.state.kensa, ctx, user).await {
        Ok(_) | Err(DomainError::NotFound(_)) => Ok(redirect("/account?done=erasure_cancelled#data")),
        Err(e) => Err(e.into()),
    }
}
