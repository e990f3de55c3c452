//! `/settings`: the organization's members (role change, deactivation), colleague
//! invitations, the reminder schedule, the account-security policy (MFA, session limits)
//! and the API keys. Every part is the owners' and admins' (the services refuse anyone
//! else, and so does the page: 403); owners also see the organization's data
//! (`organization_data`: retention, archive, erasure).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use kensa_domain::api_keys::{ApiKey, CreatedApiKey, NewApiKey, Scope};
use kensa_domain::auth::policy::PolicyChange;
use kensa_domain::chase::schedule::ScheduleOverride;
use kensa_domain::chase::settings::{self, OrganizationSettings};
use kensa_domain::ids::UserId;
use kensa_domain::pagination::{MAX_LIMIT, PageRequest};
use kensa_domain::precondition::IfMatch;
use kensa_domain::tenant::Role;
use kensa_domain::users::{self, Invitation, User, UserChanges};
use kensa_domain::{DomainError, ErrorCode, FieldError};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use super::buyer::done_notice;
use crate::error::ApiResult;
use crate::web::context::signed_in;
use crate::web::context::{Form, Posted, Web, encode, redirect};
use crate::web::forms::{Input, errors_for, field_errors, general_errors, summary};
use crate::web::layout::{self, csrf_field};

/// Pending invitations shown.
const PENDING_SHOWN: u64 = 100;
const INVITE_FIELDS: [&str; 2] = ["email", "role"];
const SCHEDULE_FIELDS: [&str; 4] =
    ["reminder_offsets", "overdue_interval_days", "escalation_after_days", "review_lead_days"];
const SECURITY_FIELDS: [&str; 4] =
    ["mfa_required", "mfa_required_for_admins", "session_idle_minutes", "session_lifetime_days"];

#[derive(Deserialize)]
pub struct SettingsQuery {
    cursor: Option<String>,
    done: Option<String>,
}

/// A form sent back with its refusal: which one, what was typed, what was wrong.
#[derive(Default)]
pub(super) struct Refused<'a> {
    invite: Option<(&'a Form, Vec<FieldError>)>,
    schedule: Option<(&'a Form, Vec<FieldError>)>,
    security: Option<(&'a Form, Vec<FieldError>)>,
    api_key: Option<(&'a Form, Vec<FieldError>)>,
    pub(super) retention: Option<(&'a Form, Vec<FieldError>)>,
    /// A refusal in the organization's data section.
    pub(super) data: Option<&'a str>,
}

/// A key just made: shown once, above everything else.
struct NewKey<'a>(&'a CreatedApiKey);

fn role_select(w: &Web, id: &str, selected: Role) -> Markup {
    html! {
        select id=(id) name="role" {
            @for r in Role::ALL { option value=(r.as_str()) selected[r == selected] { (w.lang.role(r)) } }
        }
    }
}

fn members(w: &Web, users: &[User]) -> Markup {
    let t = w.t();
    let b = w.lang.buyer();
    html! {
        div.table-wrap { table {
            thead { tr {
                th scope="col" { (b.person_name) }
                th scope="col" { (t.email) }
                th scope="col" { (t.role) }
                th scope="col" { (b.active) }
                th scope="col" { (b.actions) }
            } }
            tbody { @for u in users {
                tr {
                    th scope="row" { (u.name) }
                    td { (u.email) }
                    td {
                        form.inline method="post" action={ "/settings/users/" (u.id) } {
                            (csrf_field(w))
                            label.visually-hidden for={ "role-" (u.id) } { (t.role) ": " (u.name) }
                            (role_select(w, &format!("role-{}", u.id), u.role))
                            " " button.secondary type="submit" { (b.change_role) }
                        }
                    }
                    td { (if u.active { t.yes } else { t.no }) }
                    td {
                        form.inline method="post" action={ "/settings/users/" (u.id) } {
                            (csrf_field(w))
                            @if u.active {
                                input type="hidden" name="active" value="0";
                                button.danger type="submit" aria-label={ (b.deactivate) " " (u.name) } { (b.deactivate) }
                            } @else {
                                input type="hidden" name="active" value="1";
                                button.secondary type="submit" aria-label={ (b.reactivate) " " (u.name) } { (b.reactivate) }
                            }
                        }
                    }
                }
            } }
        } }
    }
}

fn invitations(w: &Web, pending: &[Invitation], refused: Option<&(&Form, Vec<FieldError>)>) -> Markup {
    let t = w.t();
    let b = w.lang.buyer();
    let empty = Vec::new();
    let errors = refused.map_or(&empty, |r| &r.1);
    let email = refused.map(|r| r.0.get("email").to_owned()).unwrap_or_default();
    let role = refused.and_then(|r| r.0.get("role").parse::<Role>().ok()).unwrap_or(Role::Respondent);
    let role_errors = errors_for(errors, "role");
    html! {
        section.card aria-labelledby="invite-heading" {
            h2 #invite-heading { (b.invite_colleague) }
            (summary(w.lang, t.form_errors, &general_errors(errors, &INVITE_FIELDS)))
            form method="post" action="/settings/invitations" {
                (csrf_field(w))
                (Input::new("email", t.email).id("invite-email").kind("email").value(&email).render(w.lang, errors))
                label for="invite-role" { (t.role) }
                @if !role_errors.is_empty() { p.field-error { @for e in &role_errors { (crate::web::forms::message(w.lang, e)) " " } } }
                (role_select(w, "invite-role", role))
                p { button type="submit" { (b.send_invitation) } }
            }
            h3 { (b.pending_invitations) }
            @if pending.is_empty() { p { (b.no_pending) } } @else {
                div.table-wrap { table {
                    thead { tr { th scope="col" { (t.email) } th scope="col" { (t.role) } th scope="col" { (t.link_expires) } } }
                    tbody { @for i in pending {
                        tr { td { (i.email) } td { (w.lang.role(i.role)) } td { (layout::datetime(w, i.expires_at)) } }
                    } }
                } }
            }
        }
    }
}

fn schedule(w: &Web, s: &OrganizationSettings, refused: Option<&(&Form, Vec<FieldError>)>) -> Markup {
    let t = w.t();
    let b = w.lang.buyer();
    let empty = Vec::new();
    let errors = refused.map_or(&empty, |r| &r.1);
    let value = |name: &str, saved: String| refused.map_or(saved, |r| r.0.get(name).to_owned());
    let offsets =
        value("reminder_offsets", s.reminder_offsets.iter().map(u16::to_string).collect::<Vec<_>>().join(", "));
    let overdue = value("overdue_interval_days", s.overdue_interval_days.to_string());
    let escalation = value("escalation_after_days", s.escalation_after_days.to_string());
    let lead = value("review_lead_days", s.review_lead_days.to_string());
    html! {
        section.card aria-labelledby="schedule-heading" {
            h2 #schedule-heading { (b.schedule) }
            (summary(w.lang, t.form_errors, &general_errors(errors, &SCHEDULE_FIELDS)))
            form method="post" action="/settings/organization" {
                (csrf_field(w))
                input type="hidden" name="version" value=(s.version);
                (Input::new("reminder_offsets", b.reminder_offsets).value(&offsets).hint(b.reminder_offsets_hint).render(w.lang, errors))
                (Input::new("overdue_interval_days", b.overdue_interval).kind("number").value(&overdue).render(w.lang, errors))
                (Input::new("escalation_after_days", b.escalation_after).kind("number").value(&escalation).render(w.lang, errors))
                (Input::new("review_lead_days", b.review_lead).kind("number").value(&lead).render(w.lang, errors))
                p { button type="submit" { (t.save) } }
            }
        }
    }
}

fn security(w: &Web, s: &OrganizationSettings, refused: Option<&(&Form, Vec<FieldError>)>) -> Markup {
    let t = w.t();
    let a = w.lang.account();
    let empty = Vec::new();
    let errors = refused.map_or(&empty, |r| &r.1);
    let checked = |name: &str, saved: bool| refused.map_or(saved, |r| r.0.opt(name).is_some());
    let value = |name: &str, saved: String| refused.map_or(saved, |r| r.0.get(name).to_owned());
    let idle = value("session_idle_minutes", s.session_idle_minutes.to_string());
    let lifetime = value("session_lifetime_days", s.session_lifetime_days.to_string());
    html! {
        section.card aria-labelledby="security-heading" {
            h2 #security-heading { (a.policy_title) }
            (summary(w.lang, t.form_errors, &general_errors(errors, &SECURITY_FIELDS)))
            form method="post" action="/settings/security" {
                (csrf_field(w))
                input type="hidden" name="version" value=(s.version);
                p { label {
                    input type="checkbox" name="mfa_required" value="1" checked[checked("mfa_required", s.mfa_required)];
                    " " (a.policy_mfa_everyone)
                } }
                p { label {
                    input type="checkbox" name="mfa_required_for_admins" value="1"
                        checked[checked("mfa_required_for_admins", s.mfa_required_for_admins)];
                    " " (a.policy_mfa_admins)
                } }
                (Input::new("session_idle_minutes", a.policy_idle).kind("number").value(&idle).hint(a.policy_idle_hint).render(w.lang, errors))
                (Input::new("session_lifetime_days", a.policy_lifetime).kind("number").value(&lifetime).hint(a.policy_lifetime_hint).render(w.lang, errors))
                p { button type="submit" { (t.save) } }
            }
        }
    }
}

fn api_keys(w: &Web, keys: &[ApiKey], refused: Option<&(&Form, Vec<FieldError>)>, new: Option<NewKey<'_>>) -> Markup {
    let t = w.t();
    let a = w.lang.account();
    let b = w.lang.buyer();
    let empty = Vec::new();
    let errors = refused.map_or(&empty, |r| &r.1);
    let name = refused.map(|r| r.0.get("name").to_owned()).unwrap_or_default();
    html! {
        section.card aria-labelledby="keys-heading" {
            h2 #keys-heading { (a.keys_title) }
            @if let Some(NewKey(created)) = new {
                (layout::notice("ok", a.key_shown_once))
                p { code.secret #new-key { (created.key) } }
            }
            p { (a.keys_lead) }
            @if !keys.is_empty() {
                div.table-wrap { table.sessions {
                    thead { tr {
                        th scope="col" { (a.key_name) }
                        th scope="col" { (a.key_scope) }
                        th scope="col" { (a.key_prefix) }
                        th scope="col" { (a.last_used) }
                        th scope="col" { (b.actions) }
                    } }
                    tbody { @for k in keys {
                        tr {
                            th scope="row" { (k.name) }
                            td { (k.scope.as_str()) }
                            td { code { (k.prefix) "…" } }
                            td { (k.last_used_at.map(|at| layout::datetime(w, at)).unwrap_or_else(|| "—".into())) }
                            td {
                                @if k.revoked_at.is_some() { (a.key_revoked) } @else {
                                    form.inline method="post" action={ "/settings/api-keys/" (k.id) "/revoke" } {
                                        (csrf_field(w))
                                        button.danger type="submit" aria-label={ (a.key_revoke) " " (k.name) } { (a.key_revoke) }
                                    }
                                }
                            }
                        }
                    } }
                } }
            }
            (summary(w.lang, t.form_errors, &general_errors(errors, &["name", "scope", "expires_at"])))
            form method="post" action="/settings/api-keys" {
                (csrf_field(w))
                (Input::new("name", a.key_name).id("key-name").value(&name).render(w.lang, errors))
                label for="key-scope" { (a.key_scope) }
                select #key-scope name="scope" {
                    @for scope in Scope::ALL { option value=(scope.as_str()) { (scope.as_str()) } }
                }
                p { button type="submit" { (a.key_create) } }
            }
        }
    }
}

pub(super) async fn render(
    w: &Web,
    cursor: Option<&str>,
    done: Option<&str>,
    refused: Refused<'_>,
    status: StatusCode,
) -> ApiResult<HttpResponse> {
    render_with(w, cursor, done, refused, None, status).await
}

async fn render_with(
    w: &Web,
    cursor: Option<&str>,
    done: Option<&str>,
    refused: Refused<'_>,
    new_key: Option<NewKey<'_>>,
    status: StatusCode,
) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(w);
    let admin = ctx.admin()?;
    let k = &w.state.kensa;
    let t = w.t();
    let b = w.lang.buyer();
    let page = PageRequest::parse(Some(MAX_LIMIT), cursor)?;
    let found = users::service::list(k, admin, &page).await?;
    let pending = users::service::pending_invitations(k, admin, PENDING_SHOWN).await?;
    let current = settings::get(k, ctx).await?;
    let keys = kensa_domain::api_keys::list(k, admin, &PageRequest::parse(Some(MAX_LIMIT), None)?).await?;
    let data = super::organization_data::state(w).await?;
    let mfa_on = match &data {
        Some(_) => kensa_domain::auth::mfa::status(k, ctx).await?.enabled,
        None => false,
    };
    let body = html! {
        (done_notice(w, done))
        section aria-labelledby="members-heading" {
            h2 #members-heading { (b.members) }
            (members(w, &found.data))
            @if let Some(next) = &found.next_cursor { p { a href={ "/settings?cursor=" (encode(next)) } { (t.more) } } }
        }
        (invitations(w, &pending, refused.invite.as_ref()))
        (schedule(w, &current, refused.schedule.as_ref()))
        (security(w, &current, refused.security.as_ref()))
        (api_keys(w, &keys.data, refused.api_key.as_ref(), new_key))
        @if let Some(data) = &data {
            (super::organization_data::section(w, &current, data, refused.retention.as_ref(), refused.data, mfa_on))
        }
    };
    Ok(layout::respond(w, status, layout::page(w, b.settings_title, body)))
}

pub async fn show(w: Web, query: web::Query<SettingsQuery>) -> ApiResult<HttpResponse> {
    signed_in!(w);
    render(&w, query.cursor.as_deref(), query.done.as_deref(), Refused::default(), StatusCode::OK).await
}

/// A role change or (de)activation of one member: the users service decides who may.
pub async fn update_user(posted: Posted, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let ctx = signed_in!(w);
    let admin = ctx.admin()?;
    let role = match form.opt("role") {
        None => None,
        Some(r) => Some(r.parse::<Role>().map_err(|_| {
            DomainError::validation(
                "role",
                ErrorCode::InvalidRole,
                "must be one of owner, admin, reviewer, respondent, viewer",
            )
        })?),
    };
    let active = match form.opt("active").as_deref() {
        None => None,
        Some("1") => Some(true),
        Some("0") => Some(false),
        Some(_) => return Err(DomainError::validation("active", ErrorCode::InvalidValue, "0 or 1").into()),
    };
    users::service::update(&w.state.kensa, admin, UserId(*id), UserChanges { role, active }).await?;
    Ok(redirect("/settings?done=user_updated"))
}

pub async fn invite(posted: Posted) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let ctx = signed_in!(w);
    let admin = ctx.admin()?;
    let input = users::service::InviteInput { email: form.get("email").to_owned(), role: form.get("role").to_owned() };
    let (errors, status) = match users::service::invite(&w.state.kensa, admin, input).await {
        Ok(_) => return Ok(redirect("/settings?done=invited")),
        Err(e @ DomainError::Validation(_)) => (field_errors(&e), StatusCode::UNPROCESSABLE_ENTITY),
        Err(e @ DomainError::Conflict { .. }) => (field_errors(&e), StatusCode::CONFLICT),
        Err(e) => return Err(e.into()),
    };
    render(&w, None, None, Refused { invite: Some((&form, errors)), ..Refused::default() }, status).await
}

fn schedule_of(form: &Form) -> Result<ScheduleOverride, Vec<FieldError>> {
    let mut errors = Vec::new();
    let offsets: Result<Vec<u16>, _> = form
        .get("reminder_offsets")
        .split([',', '、', ' '])
        .filter(|p| !p.trim().is_empty())
        .map(|p| p.trim().parse::<u16>())
        .collect();
    let reminder_offsets = offsets
        .map_err(|_| {
            errors.push(FieldError::new("reminder_offsets", ErrorCode::InvalidValue, "days, separated by commas"))
        })
        .ok();
    let change = ScheduleOverride {
        reminder_offsets,
        overdue_interval_days: number(form, "overdue_interval_days", "a number of days", &mut errors),
        escalation_after_days: number(form, "escalation_after_days", "a number of days", &mut errors),
        review_lead_days: number(form, "review_lead_days", "a number of days", &mut errors),
    };
    if errors.is_empty() { Ok(change) } else { Err(errors) }
}

pub async fn update_schedule(posted: Posted) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let ctx = signed_in!(w);
    let admin = ctx.admin()?;
    let version = form.get("version").parse::<i32>().map_or(IfMatch::Any, IfMatch::Version);
    let (errors, status) = match schedule_of(&form) {
        Err(errors) => (errors, StatusCode::UNPROCESSABLE_ENTITY),
        Ok(change) => match settings::update(&w.state.kensa, admin, change.into(), version).await {
            Ok(_) => return Ok(redirect("/settings?done=settings_saved")),
            Err(e @ DomainError::Validation(_)) => (field_errors(&e), StatusCode::UNPROCESSABLE_ENTITY),
            Err(DomainError::PreconditionFailed { .. }) => (
                vec![FieldError::new("version", ErrorCode::PreconditionFailed, w.lang.buyer().settings_changed)],
                StatusCode::CONFLICT,
            ),
            Err(e) => return Err(e.into()),
        },
    };
    render(&w, None, None, Refused { schedule: Some((&form, errors)), ..Refused::default() }, status).await
}

/// The field as a number, or `None` when left empty; a field that is no number is an error
/// saying what it should be.
fn number<T: std::str::FromStr>(form: &Form, name: &str, what: &str, errors: &mut Vec<FieldError>) -> Option<T> {
    let raw = form.opt(name)?;
    raw.trim().parse::<T>().map_err(|_| errors.push(FieldError::new(name, ErrorCode::InvalidValue, what))).ok()
}

/// `POST /settings/security`: the MFA policy and the session limits (unchecked boxes are off).
pub async fn update_security(posted: Posted) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let ctx = signed_in!(w);
    let admin = ctx.admin()?;
    let version = form.get("version").parse::<i32>().map_or(IfMatch::Any, IfMatch::Version);
    let mut errors = Vec::new();
    let change = PolicyChange {
        mfa_required: Some(form.opt("mfa_required").is_some()),
        mfa_required_for_admins: Some(form.opt("mfa_required_for_admins").is_some()),
        session_idle_minutes: number(&form, "session_idle_minutes", "a whole number", &mut errors),
        session_lifetime_days: number(&form, "session_lifetime_days", "a whole number", &mut errors),
    };
    let (errors, status) = if !errors.is_empty() {
        (errors, StatusCode::UNPROCESSABLE_ENTITY)
    } else {
        match settings::update(&w.state.kensa, admin, change.into(), version).await {
            Ok(_) => return Ok(redirect("/settings?done=settings_saved")),
            Err(e @ DomainError::Validation(_)) => (field_errors(&e), StatusCode::UNPROCESSABLE_ENTITY),
            Err(DomainError::PreconditionFailed { .. }) => (
                vec![FieldError::new("version", ErrorCode::PreconditionFailed, w.lang.buyer().settings_changed)],
                StatusCode::CONFLICT,
            ),
            Err(e) => return Err(e.into()),
        }
    };
    render(&w, None, None, Refused { security: Some((&form, errors)), ..Refused::default() }, status).await
}

/// `POST /settings/api-keys`: the key is shown on the answer, once.
pub async fn create_api_key(posted: Posted) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let ctx = signed_in!(w);
    let admin = ctx.admin()?;
    let input = NewApiKey { name: form.get("name").to_owned(), scope: form.get("scope").to_owned(), expires_at: None };
    match kensa_domain::api_keys::create(&w.state.kensa, admin, input).await {
        Ok(created) => {
            render_with(&w, None, None, Refused::default(), Some(NewKey(&created)), StatusCode::CREATED).await
        }
        Err(e @ DomainError::Validation(_)) => {
            let refused = Refused { api_key: Some((&form, field_errors(&e))), ..Refused::default() };
            render(&w, None, None, refused, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /settings/api-keys/{id}/revoke`
pub async fn revoke_api_key(posted: Posted, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let w = posted.w;
    let ctx = signed_in!(w);
    kensa_domain::api_keys::revoke(&w.state.kensa, ctx.admin()?, *id).await?;
    Ok(redirect("/settings?done=settings_saved"))
}
