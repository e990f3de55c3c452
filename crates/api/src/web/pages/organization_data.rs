//! The owners' part of `/settings`: how long evidence is kept, the organization's archive
//! (prepared, listed, downloaded through a single-use link) and the erasure of the
//! organization (with the password again; cancellable while scheduled). The same services as
//! `PATCH /api/v1/organization/settings`, `/api/v1/organization/export…` and
//! `DELETE /api/v1/organization[/erasure]`.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use kensa_domain::chase::settings::{self, OrganizationSettings, SettingsChange};
use kensa_domain::portability::erasure::{self, OrganizationErasure};
use kensa_domain::portability::exports::{self, OrganizationExport};
use kensa_domain::precondition::IfMatch;
use kensa_domain::tenant::Role;
use kensa_domain::{DomainError, ErrorCode, FieldError};
use maud::{Markup, html};

use super::account::{archives_table, erasure_part, proof_of};
use super::settings::{Refused, render};
use crate::error::ApiResult;
use crate::web::context::{Form, Posted, Web, redirect, signed_in};
use crate::web::forms::{Input, field_errors};
use crate::web::layout::{self, csrf_field};

/// What the section shows: the organization's own archives and its latest erasure request.
pub struct DataState {
    pub archives: Vec<OrganizationExport>,
    pub erasure: Option<OrganizationErasure>,
}

/// Read for owners only; `None` for anyone else (the section is not shown).
pub async fn state(w: &Web) -> ApiResult<Option<DataState>> {
    let Ok(ctx) = w.signed_in() else { return Ok(None) };
    if ctx.role() != Role::Owner || ctx.api_key().is_some() {
        return Ok(None);
    }
    let k = &w.state.kensa;
    let archives = exports::list(k, ctx).await?.into_iter().filter(|x| x.subject_user_id.is_none()).collect();
    let erasure = match erasure::current(k, ctx).await {
        Ok(e) => Some(e),
        Err(DomainError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    Ok(Some(DataState { archives, erasure }))
}

pub fn section(
    w: &Web,
    s: &OrganizationSettings,
    data: &DataState,
    retention_refused: Option<&(&Form, Vec<FieldError>)>,
    error: Option<&str>,
    mfa_on: bool,
) -> Markup {
    let a = w.lang.account();
    let t = w.t();
    let empty = Vec::new();
    let errors = retention_refused.map_or(&empty, |r| &r.1);
    let years = retention_refused
        .map_or(s.evidence_retention_years.to_string(), |r| r.0.get("evidence_retention_years").to_owned());
    html! {
        section.card #organization-data aria-labelledby="organization-data-heading" {
            h2 #organization-data-heading { (a.org_data_title) }
            @if let Some(message) = error { (layout::notice("error", message)) }
            form method="post" action="/settings/retention" {
                (csrf_field(w))
                input type="hidden" name="version" value=(s.version);
                (Input::new("evidence_retention_years", a.retention_years).kind("number").value(&years).hint(a.retention_hint).render(w.lang, errors))
                p { button type="submit" { (t.save) } }
            }
            h3 { (a.org_export_title) }
            p { (a.org_export_lead) }
            (archives_table(w, &data.archives, "/settings/exports/"))
            form method="post" action="/settings/export" {
                (csrf_field(w))
                p { button type="submit" { (a.org_export_button) } }
            }
            h3 { (a.org_erase_title) }
            (erasure_part(w, data.erasure.as_ref(), "/settings/erasure", mfa_on, [a.org_erase_scheduled, a.org_erase_lead, a.org_erase_button]))
        }
    }
}

fn refused_with<'a>(form: Option<&'a Form>, errors: Vec<FieldError>, message: Option<&'a str>) -> Refused<'a> {
    let mut refused = Refused::default();
    refused.retention = form.map(|f| (f, errors));
    refused.data = message;
    refused
}

/// `POST /settings/retention`
pub async fn update_retention(posted: Posted) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let ctx = signed_in!(w);
    let admin = ctx.admin()?;
    let version = form.get("version").parse::<i32>().map_or(IfMatch::Any, IfMatch::Version);
    let (errors, status) = match form.get("evidence_retention_years").trim().parse::<u16>() {
        Err(_) => (
            vec![FieldError::new("evidence_retention_years", ErrorCode::InvalidValue, "a whole number of years")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Ok(years) => {
            let change = SettingsChange { evidence_retention_years: Some(years), ..SettingsChange::default() };
            match settings::update(&w.state.kensa, admin, change, version).await {
                Ok(_) => return Ok(redirect("/settings?done=settings_saved")),
                Err(e @ DomainError::Validation(_)) => (field_errors(&e), StatusCode::UNPROCESSABLE_ENTITY),
                Err(DomainError::PreconditionFailed { .. }) => (
                    vec![FieldError::new(
                        "evidence_retention_years",
                        ErrorCode::PreconditionFailed,
                        w.lang.buyer().settings_changed,
                    )],
                    StatusCode::CONFLICT,
                ),
                Err(e) => return Err(e.into()),
            }
        }
    };
    render(&w, None, None, refused_with(Some(&form), errors, None), status).await
}

/// `POST /settings/export`
pub async fn export(posted: Posted) -> ApiResult<HttpResponse> {
    let w = posted.w;
    let ctx = signed_in!(w);
    match exports::start(&w.state.kensa, ctx).await {
        Ok(_) => Ok(redirect("/settings?done=settings_saved#organization-data")),
        Err(DomainError::Conflict { code: ErrorCode::ExportRunning, .. }) => {
            Ok(redirect("/settings#organization-data"))
        }
        Err(DomainError::Conflict { .. }) => {
            let message = w.lang.account().data_unavailable;
            render(&w, None, None, refused_with(None, Vec::new(), Some(message)), StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /settings/erasure`: owners, with the password again.
pub async fn erase(posted: Posted) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let ctx = signed_in!(w);
    let a = w.lang.account();
    let message = match erasure::schedule(&w.state.kensa, ctx, proof_of(&form)).await {
        Ok(_) => return Ok(redirect("/settings#organization-data")),
        Err(DomainError::Refused { code: ErrorCode::ReauthenticationFailed, .. }) => a.erase_wrong_password,
        Err(DomainError::Conflict { .. }) => return Ok(redirect("/settings#organization-data")),
        Err(DomainError::Validation(_)) => a.mfa_invalid_code,
        Err(e) if super::mfa::is_invalid_code(&e) => a.mfa_invalid_code,
        Err(DomainError::TooManyRequests { .. }) => w.t().too_many_attempts,
        Err(e) => return Err(e.into()),
    };
    render(&w, None, None, refused_with(None, Vec::new(), Some(message)), StatusCode::UNPROCESSABLE_ENTITY).await
}

/// `POST /settings/erasure/cancel`
pub async fn cancel_erasure(posted: Posted) -> ApiResult<HttpResponse> {
    let w = posted.w;
    let ctx = signed_in!(w);
    match erasure::cancel(&w.state.kensa, ctx).await {
        Ok(_) | Err(DomainError::NotFound(_)) => Ok(redirect("/settings#organization-data")),
        Err(e) => Err(e.into()),
    }
}
