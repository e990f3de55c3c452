//! `/campaigns`: the campaigns sent with their progress per status, a form that sends a
//! check sheet to suppliers of the registry, and `/campaigns/{id}` with its assessments.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use kensa_domain::assessments::model::Status;
use kensa_domain::campaigns::{self, Campaign, CampaignInput};
use kensa_domain::pagination::{MAX_LIMIT, PageRequest};
use kensa_domain::suppliers::{self, SupplierFilter};
use kensa_domain::templates::{self, TemplateSummary};
use kensa_domain::tenant::TenantCtx;
use kensa_domain::{DomainError, ErrorCode, FieldError};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use super::buyer::{done_notice, level_options};
use crate::error::ApiResult;
use crate::web::context::signed_in;
use crate::web::context::{Form, Posted, Web, encode, redirect};
use crate::web::forms::{Input, errors_for, field_errors, general_errors, summary};
use crate::web::layout::{self, csrf_field};

const PAGE_SIZE: u64 = 50;
/// Checkboxes are named `supplier.<id>`: a form keeps one value per name.
const SUPPLIER_PREFIX: &str = "supplier.";
const FIELDS: [&str; 5] = ["name", "template_id", "due_date", "target_level", "supplier_ids"];

#[derive(Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
}

#[derive(Deserialize)]
pub struct ShowQuery {
    done: Option<String>,
}

fn template_name<'a>(w: &Web, t: &'a TemplateSummary) -> &'a str {
    w.lang.pick(&t.name, t.name_en.as_deref().unwrap_or(&t.name))
}

/// Per status, in workflow order, the count with its label.
fn status_counts(w: &Web, c: &Campaign) -> Markup {
    html! {
        ul.counts {
            @for s in Status::ALL {
                @if let Some(n) = c.counts.get(s.as_str()).filter(|n| **n > 0) {
                    li { span class={ "badge " (s.as_str()) } { (w.lang.status(s)) ": " (n) } }
                }
            }
            @if c.overdue > 0 { li { span.badge.overdue { (w.t().overdue) ": " (c.overdue) } } }
        }
    }
}

fn done_of(c: &Campaign) -> usize {
    [Status::Submitted, Status::Accepted].iter().filter_map(|s| c.counts.get(s.as_str())).sum()
}

fn list_table(w: &Web, rows: &[Campaign]) -> Markup {
    let t = w.t();
    let b = w.lang.buyer();
    html! {
        div.table-wrap { table {
            thead { tr {
                th scope="col" { (b.campaign_name) }
                th scope="col" { (t.due_date) }
                th scope="col" { (b.suppliers_count) }
                th scope="col" { (t.progress) }
                th scope="col" { (t.status) }
            } }
            tbody { @for c in rows {
                tr {
                    th scope="row" {
                        a href={ "/campaigns/" (c.id) } { (c.name) }
                        @if c.cancelled_at.is_some() { " " span.badge.cancelled { (t.status_cancelled) } }
                    }
                    td { (layout::date(w, c.due_date)) }
                    td { (c.assessment_count) }
                    td { (layout::progress(b.submitted_of, done_of(c), c.assessment_count)) }
                    td { (status_counts(w, c)) }
                }
            } }
        } }
    }
}

struct Choices {
    templates: Vec<TemplateSummary>,
    suppliers: Vec<kensa_domain::suppliers::Supplier>,
    more_suppliers: bool,
}

async fn choices(w: &Web, ctx: &TenantCtx) -> ApiResult<Choices> {
    let k = &w.state.kensa;
    let all = PageRequest::parse(Some(MAX_LIMIT), None)?;
    let templates = templates::service::list(k, ctx, &all).await?.data;
    let found = suppliers::service::list(k, ctx, &SupplierFilter::default(), &all).await?;
    Ok(Choices { templates, suppliers: found.data, more_suppliers: found.next_cursor.is_some() })
}

fn create_form(w: &Web, choices: &Choices, form: Option<&Form>, errors: &[FieldError]) -> Markup {
    let t = w.t();
    let b = w.lang.buyer();
    let value = |name: &str| form.map(|f| f.get(name).to_owned()).unwrap_or_default();
    let template = value("template_id");
    let level = value("target_level");
    let checked = |id: Uuid| form.is_some_and(|f| !f.get(&format!("{SUPPLIER_PREFIX}{id}")).is_empty());
    let supplier_errors = errors_for(errors, "supplier_ids");
    let template_errors = errors_for(errors, "template_id");
    html! {
        section.card #create aria-labelledby="create-heading" {
            h2 #create-heading { (b.new_campaign) }
            (summary(w.lang, t.form_errors, &general_errors(errors, &FIELDS)))
            form method="post" action="/campaigns" {
                (csrf_field(w))
                label for="template_id" { (t.checklist) }
                @if !template_errors.is_empty() { p.field-error { @for e in &template_errors { (crate::web::forms::message(w.lang, e)) " " } } }
                select #template_id name="template_id" required {
                    @for tpl in &choices.templates {
                        option value=(tpl.id) selected[template == tpl.id.to_string()] {
                            (template_name(w, tpl)) " (" (tpl.guideline_version) ", " (tpl.item_count) ")"
                        }
                    }
                }
                (Input::new("name", b.campaign_name).value(&value("name")).render(w.lang, errors))
                (Input::new("due_date", t.due_date).kind("date").value(&value("due_date")).render(w.lang, errors))
                label for="target_level" { (t.target_level) }
                select #target_level name="target_level" {
                    option value="" { (b.each_suppliers_level) }
                    (level_options(&level))
                }
                fieldset.suppliers {
                    legend { (b.choose_suppliers) }
                    @if !supplier_errors.is_empty() { p.field-error { @for e in &supplier_errors { (crate::web::forms::message(w.lang, e)) " " } } }
                    @if choices.suppliers.is_empty() {
                        p { (b.no_suppliers) " " a href="/suppliers#add" { (b.add_supplier) } }
                    }
                    @for s in &choices.suppliers {
                        label.check for={ "s-" (s.id) } {
                            input type="checkbox" id={ "s-" (s.id) } name={ (SUPPLIER_PREFIX) (s.id) } value="1" checked[checked(s.id)];
                            " " (s.name) " · Lv" (s.target_level)
                            @if let Some(tier) = &s.tier { " · " (tier) }
                        }
                    }
                    @if choices.more_suppliers { p.hint { (b.more_suppliers_hint) } }
                }
                p { button type="submit" { (b.send_campaign) } }
            }
        }
    }
}

async fn render_list(
    w: &Web,
    cursor: Option<&str>,
    form: Option<&Form>,
    errors: &[FieldError],
    status: StatusCode,
) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(w);
    let t = w.t();
    let b = w.lang.buyer();
    let page = PageRequest::parse(Some(PAGE_SIZE), cursor)?;
    let found = campaigns::service::list(&w.state.kensa, ctx, &page).await?;
    let form_part = match ctx.editor() {
        Ok(_) => Some(create_form(w, &choices(w, ctx).await?, form, errors)),
        Err(_) => None,
    };
    let body = html! {
        @if found.data.is_empty() { p { (b.no_campaigns) } } @else { (list_table(w, &found.data)) }
        @if let Some(next) = &found.next_cursor { p { a href={ "/campaigns?cursor=" (encode(next)) } { (t.more) } } }
        @if let Some(part) = form_part { (part) }
    };
    Ok(layout::respond(w, status, layout::page(w, b.campaigns_title, body)))
}

pub async fn list(w: Web, query: web::Query<ListQuery>) -> ApiResult<HttpResponse> {
    signed_in!(w);
    render_list(&w, query.cursor.as_deref(), None, &[], StatusCode::OK).await
}

/// The form as the service's input; what cannot even be read is reported per field.
fn input_of(form: &Form) -> Result<CampaignInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let template_id = Uuid::parse_str(form.get("template_id").trim()).map_err(|_| {
        errors.push(FieldError::new("template_id", ErrorCode::Required, "choose a check sheet"));
    });
    let due_date = NaiveDate::parse_from_str(form.get("due_date").trim(), "%Y-%m-%d").map_err(|_| {
        errors.push(FieldError::new("due_date", ErrorCode::InvalidValue, "a date, YYYY-MM-DD"));
    });
    let target_level = match form.opt("target_level") {
        None => Ok(None),
        Some(l) => l.parse::<i32>().map(Some).map_err(|_| {
            errors.push(FieldError::new("target_level", ErrorCode::OutOfRange, "must be 1, 2 or 3"));
        }),
    };
    let mut supplier_ids: Vec<Uuid> = form
        .pairs()
        .filter_map(|(name, _)| name.strip_prefix(SUPPLIER_PREFIX))
        .filter_map(|id| Uuid::parse_str(id).ok())
        .collect();
    supplier_ids.sort();
    if supplier_ids.is_empty() {
        errors.push(FieldError::new("supplier_ids", ErrorCode::Required, "choose at least one supplier"));
    }
    match (template_id, due_date, target_level) {
        (Ok(template_id), Ok(due_date), Ok(target_level)) if errors.is_empty() => Ok(CampaignInput {
            name: form.get("name").to_owned(),
            template_id,
            due_date,
            supplier_ids,
            target_level,
            schedule: None,
        }),
        _ => Err(errors),
    }
}

pub async fn create(posted: Posted) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let ctx = signed_in!(w);
    let editor = ctx.editor()?;
    let errors = match input_of(&form) {
        Err(errors) => errors,
        Ok(input) => match campaigns::service::create(&w.state.kensa, editor, input).await {
            Ok(c) => return Ok(redirect(&format!("/campaigns/{}?done=campaign_created", c.id))),
            Err(e @ (DomainError::Validation(_) | DomainError::Unprocessable { .. })) => {
                // The service names chosen suppliers by their place in the list; the page
                // has no list, so those go to the suppliers' fieldset.
                field_errors(&e)
                    .into_iter()
                    .map(|mut f| {
                        if f.field.starts_with("supplier_ids[") {
                            f.field = "supplier_ids".to_owned();
                        }
                        f
                    })
                    .collect()
            }
            Err(e) => return Err(e.into()),
        },
    };
    render_list(&w, None, Some(&form), &errors, StatusCode::UNPROCESSABLE_ENTITY).await
}

pub async fn show(w: Web, id: web::Path<Uuid>, query: web::Query<ShowQuery>) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(w);
    let t = w.t();
    let b = w.lang.buyer();
    let c = campaigns::service::get(&w.state.kensa, ctx, *id).await?;
    let all = PageRequest::parse(Some(MAX_LIMIT), None)?;
    let names: HashMap<Uuid, String> = templates::service::list(&w.state.kensa, ctx, &all)
        .await?
        .data
        .iter()
        .map(|tpl| (tpl.id, template_name(&w, tpl).to_owned()))
        .collect();
    let assessments = c.assessments.clone().unwrap_or_default();
    let body = html! {
        (done_notice(&w, query.done.as_deref()))
        dl.facts {
            dt { (t.checklist) } dd { (names.get(&c.template_id).map_or("—", String::as_str)) }
            dt { (t.due_date) } dd { (layout::date(&w, c.due_date)) }
            dt { (t.target_level) } dd {
                @if let Some(l) = c.target_level { "Lv" (l) } @else { (b.each_suppliers_level) }
            }
            dt { (b.created_on) } dd { (layout::datetime(&w, c.created_at)) }
            @if let Some(at) = c.cancelled_at { dt { (t.status_cancelled) } dd { (layout::datetime(&w, at)) } }
        }
        (layout::progress(b.submitted_of, done_of(&c), c.assessment_count))
        (status_counts(&w, &c))
        h2 { (t.assessments_title) }
        div.table-wrap { table {
            thead { tr {
                th scope="col" { (t.supplier) }
                th scope="col" { (t.status) }
                th scope="col" { span.visually-hidden { (t.open) } }
            } }
            tbody { @for a in &assessments {
                tr {
                    th scope="row" { (a.supplier_name) }
                    td {
                        span class={ "badge " (a.status.as_str()) } { (w.lang.status(a.status)) }
                        @if a.overdue { " " span.badge.overdue { (t.overdue) } }
                    }
                    td { a href={ "/assessments/" (a.id) } { (t.open) } }
                }
            } }
        } }
        p { a href="/campaigns" { (t.back) } }
    };
    Ok(layout::ok(&w, &c.name, body))
}
