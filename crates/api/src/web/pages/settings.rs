//! `/settings`: the organization's members (role change, deactivation), colleague
//! invitations and the reminder schedule. Every part is the owners' and admins' (the
//! services refuse anyone else, and so does the page: 403).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
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

#[derive(Deserialize)]
pub struct SettingsQuery {
    cursor: Option<String>,
    done: Option<String>,
}

/// A form sent back with its refusal: which one, what was typed, what was wrong.
#[derive(Default)]
struct Refused<'a> {
    invite: Option<(&'a Form, Vec<FieldError>)>,
    schedule: Option<(&'a Form, Vec<FieldError>)>,
}

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

async fn render(
    w: &Web,
    cursor: Option<&str>,
    done: Option<&str>,
    refused: Refused<'_>,
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
    let body = html! {
        (done_notice(w, done))
        section aria-labelledby="members-heading" {
            h2 #members-heading { (b.members) }
            (members(w, &found.data))
            @if let Some(next) = &found.next_cursor { p { a href={ "/settings?cursor=" (encode(next)) } { (t.more) } } }
        }
        (invitations(w, &pending, refused.invite.as_ref()))
        (schedule(w, &current, refused.schedule.as_ref()))
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

fn days(form: &Form, name: &str, errors: &mut Vec<FieldError>) -> Option<u16> {
    let raw = form.opt(name)?;
    raw.parse::<u16>().map_err(|_| errors.push(FieldError::new(name, ErrorCode::InvalidValue, "a number of days"))).ok()
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
        overdue_interval_days: days(form, "overdue_interval_days", &mut errors),
        escalation_after_days: days(form, "escalation_after_days", &mut errors),
        review_lead_days: days(form, "review_lead_days", &mut errors),
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
