//! `/library`: the supplier organization's answer library — its lines, and per line every
//! item of the check sheet with the library's answer and a form to edit it (owners, admins
//! and respondents, as `PUT /api/v1/library/{template_id}/items/{no}`).

use actix_web::{HttpResponse, web};
use kensa_domain::library::{self, LibraryAnswer};
use kensa_domain::templates::service::TemplateView;
use kensa_domain::{DomainError, FieldError};
use maud::{Markup, html};
use uuid::Uuid;

use super::assessment::{parse_input, textarea};
use crate::error::ApiResult;
use crate::web::context::signed_in;
use crate::web::context::{Form, Posted, Web, redirect};
use crate::web::forms::{field_errors, general_errors, summary};
use crate::web::layout::{self, csrf_field};

pub async fn lines(w: Web) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(w);
    let t = w.lang.sharing();
    let lines = library::lines(&w.state.kensa, ctx).await?;
    let body = html! {
        p.lead { (t.library_lead) }
        @if lines.is_empty() { p { (t.library_none) } }
        @else { div.table-wrap { table {
            thead { tr {
                th scope="col" { (w.t().checklist) }
                th scope="col" { (t.library_items) }
                th scope="col" { (t.library_updated) }
            } }
            tbody { @for l in &lines {
                tr {
                    th scope="row" { a href={ "/library/" (l.template_id) } { (l.template_name) } }
                    td.num { (l.items) }
                    td { (layout::datetime(&w, l.updated_at)) }
                }
            } }
        } } }
    };
    Ok(layout::ok(&w, t.library_title, body))
}

/// An item being saved again after a refusal: its number, what was typed, the problems.
struct Draft<'a> {
    no: u32,
    form: &'a Form,
    errors: Vec<FieldError>,
}

fn item_form(
    w: &Web,
    template: &TemplateView,
    no: u32,
    saved: Option<&LibraryAnswer>,
    draft: Option<&Draft<'_>>,
) -> Markup {
    let t = w.t();
    let typed = |name: &str, value: Option<String>| match draft {
        Some(d) => d.form.get(name).to_owned(),
        None => value.unwrap_or_default(),
    };
    let status = typed("status", saved.map(|a| a.status.as_str().to_owned()));
    let reason = typed("reason", saved.and_then(|a| a.reason.clone()));
    let plan = typed("remediation_plan", saved.and_then(|a| a.remediation_plan.clone()));
    let due = typed("remediation_due", saved.and_then(|a| a.remediation_due.map(|d| d.to_string())));
    let remark = typed("comment", saved.and_then(|a| a.comment.clone()));
    let errors: &[FieldError] = draft.map_or(&[], |d| &d.errors);
    let fields = ["reason", "remediation_plan", "comment"];
    html! {
        form.answer method="post" action={ "/library/" (template.summary.id) "/items/" (no) } {
            (csrf_field(w))
            (summary(w.lang, t.form_errors, &general_errors(errors, &fields)))
            label for={ "status-" (no) } { (t.answer) }
            select id={ "status-" (no) } name="status" {
                option value="" selected[status.is_empty()] { "— " (t.not_answered) " —" }
                @for e in template.answer_scale.statuses.iter().filter(|e| e.enabled) {
                    option value=(e.status.as_str()) selected[status == e.status.as_str()] {
                        (w.lang.pick(&e.label_ja, &e.label_en))
                    }
                }
            }
            div data-when="not_applicable" { (textarea(w, &format!("reason-{no}"), "reason", t.reason, &reason, errors)) }
            div data-when="not_implemented partially_implemented" {
                (textarea(w, &format!("plan-{no}"), "remediation_plan", t.remediation_plan, &plan, errors))
                label for={ "due-" (no) } { (t.remediation_due) }
                input type="date" id={ "due-" (no) } name="remediation_due" value=(due);
            }
            (textarea(w, &format!("remark-{no}"), "comment", t.remark, &remark, errors))
            div.actions {
                button type="submit" { (t.save) }
                @if let Some(a) = saved { span.hint { (w.lang.sharing().library_updated) ": " (layout::datetime(w, a.updated_at)) } }
            }
        }
    }
}

async fn line_page(w: &Web, template_id: Uuid, draft: Option<&Draft<'_>>) -> ApiResult<(String, Markup)> {
    let ctx = w.tenant().ok_or(DomainError::Forbidden)?;
    let k = &w.state.kensa;
    let view = library::view(k, ctx, template_id).await?;
    let template = library::checklist(k, ctx, template_id).await?;
    let body = html! {
        p.lead { (w.lang.sharing().library_lead) }
        @for c in &template.categories {
            section aria-labelledby={ "category-" (c.number) } {
                h2 id={ "category-" (c.number) } { (c.number) ". " (w.lang.pick(&c.name, c.name_en.as_deref().unwrap_or(&c.name))) }
                @for s in &c.sections { @for item in &s.items {
                    article.item id={ "item-" (item.no) } {
                        h3 { "No." (item.no) " · Lv" (item.level) }
                        div { (layout::question(w, &item.question, item.question_en.as_deref())) }
                        (item_form(w, &template, item.no, view.items.iter().find(|a| a.no == item.no),
                            draft.filter(|d| d.no == item.no)))
                    }
                } }
            }
        }
    };
    Ok((view.template_name, body))
}

pub async fn line(w: Web, template_id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    signed_in!(w);
    let (name, body) = line_page(&w, *template_id, None).await?;
    Ok(layout::ok(&w, &format!("{} · {name}", w.lang.sharing().library_title), body))
}

pub async fn save_item(posted: Posted, path: web::Path<(Uuid, u32)>) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let ctx = signed_in!(w);
    let (template_id, no) = path.into_inner();
    let outcome = match parse_input(&form) {
        Ok(input) => match library::save_item(&w.state.kensa, ctx, template_id, no, input).await {
            Ok(_) => Ok(()),
            Err(e @ (DomainError::Validation(_) | DomainError::Unprocessable { .. })) => Err(field_errors(&e)),
            Err(e) => return Err(e.into()),
        },
        Err(errors) => Err(errors),
    };
    match outcome {
        Ok(()) => Ok(redirect(&format!("/library/{template_id}#item-{no}"))),
        Err(errors) => {
            let draft = Draft { no, form: &form, errors };
            let (name, body) = line_page(&w, template_id, Some(&draft)).await?;
            let title = format!("{} · {name}", w.lang.sharing().library_title);
            let page = layout::page(&w, &title, body);
            Ok(layout::respond(&w, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, page))
        }
    }
}
