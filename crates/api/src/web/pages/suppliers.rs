//! `/suppliers`: the buyer's supplier registry — search, filters and paging as the list
//! service offers them, a form to add one supplier and a CSV import with its report.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use kensa_domain::pagination::PageRequest;
use kensa_domain::suppliers::{self, ImportReport, ReviewStatus, Supplier, SupplierFilter, SupplierInput};
use kensa_domain::{DomainError, ErrorCode, FieldError};
use maud::{Markup, html};
use serde::Deserialize;

use super::buyer::{blank, done_notice, level_options, query_string, review_status_badge, review_status_label};
use crate::error::{ApiError, ApiResult};
use crate::rest::suppliers::{CsvUpload, read_csv_form};
use crate::web::context::signed_in;
use crate::web::context::{CSRF_FIELD, CSRF_HEADER, Form, Posted, Web, csrf_refused, redirect, same_token};
use crate::web::forms::{Input, field_errors, general_errors, summary};
use crate::web::layout::{self, csrf_field};

const PAGE_SIZE: u64 = 50;
const FIELDS: [&str; 8] = [
    "name",
    "contact_name",
    "contact_email",
    "contact_locale",
    "tier",
    "target_level",
    "review_interval_months",
    "tags",
];

/// The list's search and filters, as the list service takes them (blank fields do not filter).
#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    tier: Option<String>,
    tag: Option<String>,
    target_level: Option<String>,
    review_status: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
}

impl ListQuery {
    fn filter(&self) -> ApiResult<SupplierFilter> {
        let target_level = match blank(&self.target_level) {
            None => None,
            Some(l) => Some(l.parse::<i32>().map_err(|_| {
                ApiError::from(DomainError::validation("target_level", ErrorCode::OutOfRange, "must be 1, 2 or 3"))
            })?),
        };
        Ok(SupplierFilter {
            q: blank(&self.q),
            tier: blank(&self.tier),
            tag: blank(&self.tag),
            target_level,
            review_status: blank(&self.review_status),
            updated_since: None,
        })
    }

    /// The filters as a query string (for the next page's link).
    fn pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("q", &self.q),
            ("tier", &self.tier),
            ("tag", &self.tag),
            ("target_level", &self.target_level),
            ("review_status", &self.review_status),
        ]
        .into_iter()
        .filter_map(|(k, v)| blank(v).map(|v| (k, v)))
        .collect()
    }
}

/// What the page shows besides the list: a form typed into, a refusal, an import's report.
#[derive(Default)]
struct Extra<'a> {
    form: Option<&'a Form>,
    errors: Vec<FieldError>,
    report: Option<ImportReport>,
    import_errors: Vec<FieldError>,
}

fn filters(w: &Web, q: &ListQuery) -> Markup {
    let t = w.t();
    let b = w.lang.buyer();
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let level = v(&q.target_level);
    let status = v(&q.review_status);
    html! {
        form.filters method="get" action="/suppliers" role="search" {
            div { label for="f-q" { (b.search) } input #f-q type="search" name="q" value=(v(&q.q)); }
            div { label for="f-tier" { (b.tier) } input #f-tier type="text" name="tier" value=(v(&q.tier)); }
            div { label for="f-tag" { (b.tag) } input #f-tag type="text" name="tag" value=(v(&q.tag)); }
            div {
                label for="f-level" { (t.target_level) }
                select #f-level name="target_level" {
                    option value="" { (b.any) }
                    (level_options(&level))
                }
            }
            div {
                label for="f-status" { (t.status) }
                select #f-status name="review_status" {
                    option value="" { (b.any) }
                    @for s in ReviewStatus::ALL {
                        option value=(s.as_str()) selected[status == s.as_str()] { (review_status_label(w, *s)) }
                    }
                }
            }
            button.secondary type="submit" { (t.apply) }
        }
    }
}

fn table(w: &Web, rows: &[Supplier]) -> Markup {
    let t = w.t();
    let b = w.lang.buyer();
    html! {
        div.table-wrap {
            table {
                thead { tr {
                    th scope="col" { (b.supplier_name) }
                    th scope="col" { (b.contact) }
                    th scope="col" { (b.tier) }
                    th scope="col" { (t.target_level) }
                    th scope="col" { (b.tags) }
                    th scope="col" { (t.status) }
                    th scope="col" { (b.next_review) }
                } }
                tbody {
                    @for s in rows {
                        tr {
                            th scope="row" { (s.name) }
                            td { @if let Some(n) = &s.contact_name { (n) br; } (s.contact_email) }
                            td { (s.tier.as_deref().unwrap_or("—")) }
                            td { "Lv" (s.target_level) }
                            td { @for tag in &s.tags { span.badge { (tag) } " " } }
                            td { (review_status_badge(w, s.review_status)) }
                            td { @if let Some(d) = s.next_review_on { (layout::date(w, d)) } @else { "—" } }
                        }
                    }
                }
            }
        }
    }
}

fn add_form(w: &Web, extra: &Extra<'_>) -> Markup {
    let t = w.t();
    let b = w.lang.buyer();
    let errors = &extra.errors;
    let value = |name: &str| extra.form.map(|f| f.get(name).to_owned()).unwrap_or_default();
    let level = value("target_level");
    let locale = value("contact_locale");
    html! {
        section.card #add aria-labelledby="add-heading" {
            h2 #add-heading { (b.add_supplier) }
            (summary(w.lang, t.form_errors, &general_errors(errors, &FIELDS)))
            form method="post" action="/suppliers" {
                (csrf_field(w))
                (Input::new("name", b.supplier_name).value(&value("name")).autocomplete("organization").render(w.lang, errors))
                (Input::new("contact_name", b.contact_name).value(&value("contact_name")).optional().render(w.lang, errors))
                (Input::new("contact_email", b.contact_email).kind("email").value(&value("contact_email")).render(w.lang, errors))
                label for="contact_locale" { (b.contact_locale) }
                select #contact_locale name="contact_locale" {
                    option value="ja" selected[locale != "en"] { "日本語" }
                    option value="en" selected[locale == "en"] { "English" }
                }
                (Input::new("tier", b.tier).value(&value("tier")).optional().hint(b.tier_hint).render(w.lang, errors))
                label for="target_level" { (t.target_level) }
                select #target_level name="target_level" { (level_options(if level.is_empty() { "1" } else { &level })) }
                (Input::new("review_interval_months", b.review_interval).kind("number").value(&value("review_interval_months"))
                    .optional().hint(b.review_interval_hint).render(w.lang, errors))
                (Input::new("tags", b.tags).value(&value("tags")).optional().hint(b.tags_hint).render(w.lang, errors))
                p { button type="submit" { (b.add_supplier) } }
            }
        }
    }
}

fn import_form(w: &Web, extra: &Extra<'_>) -> Markup {
    let t = w.t();
    let b = w.lang.buyer();
    html! {
        section.card #import aria-labelledby="import-heading" {
            h2 #import-heading { (b.import_csv) }
            p.hint { (b.import_hint) " " code { (suppliers::import::HEADER.join(",")) } }
            (summary(w.lang, t.form_errors, &general_errors(&extra.import_errors, &[])))
            @if let Some(report) = &extra.report { (import_report(w, report)) }
            form method="post" action="/suppliers/import" enctype="multipart/form-data" {
                (csrf_field(w))
                label for="csv-file" { (b.csv_file) }
                input #csv-file type="file" name="file" accept=".csv,text/csv" required;
                label.check for="partial" {
                    input #partial type="checkbox" name="partial" value="1";
                    " " (b.import_partial)
                }
                p { button type="submit" { (b.import_button) } }
            }
        }
    }
}

fn import_report(w: &Web, r: &ImportReport) -> Markup {
    let b = w.lang.buyer();
    html! {
        div.import-report #import-report role="status" {
            h3 { (b.import_report) }
            @if !r.applied { (layout::notice("error", b.import_not_applied)) }
            dl.facts {
                dt { (b.created) } dd { (r.created) }
                dt { (b.updated) } dd { (r.updated) }
                dt { (b.rejected) } dd { (r.rejected.len()) }
            }
            @if !r.rejected.is_empty() {
                div.table-wrap { table {
                    thead { tr { th scope="col" { (b.line) } th scope="col" { (b.reason) } } }
                    tbody { @for row in &r.rejected { tr { td { (row.line) } td { (row.reason) } } } }
                } }
            }
        }
    }
}

async fn render(w: &Web, query: &ListQuery, extra: Extra<'_>, status: StatusCode) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(w);
    let t = w.t();
    let b = w.lang.buyer();
    let page = PageRequest::parse(Some(PAGE_SIZE), query.cursor.as_deref())?;
    let found = suppliers::service::list(&w.state.kensa, ctx, &query.filter()?, &page).await?;
    let can_edit = ctx.editor().is_ok();
    let more = found.next_cursor.as_ref().map(|next| {
        let mut pairs = query.pairs();
        pairs.push(("cursor", next.clone()));
        format!("/suppliers?{}", query_string(&pairs))
    });
    let body = html! {
        (done_notice(w, query.done.as_deref()))
        (filters(w, query))
        @if found.data.is_empty() { p { (b.no_suppliers) } } @else { (table(w, &found.data)) }
        @if let Some(href) = &more { p { a href=(href) { (t.more) } } }
        @if can_edit {
            (add_form(w, &extra))
            (import_form(w, &extra))
        }
    };
    Ok(layout::respond(w, status, layout::page(w, b.suppliers_title, body)))
}

pub async fn list(w: Web, query: web::Query<ListQuery>) -> ApiResult<HttpResponse> {
    signed_in!(w);
    render(&w, &query, Extra::default(), StatusCode::OK).await
}

/// A form field that must hold a whole number, when filled in.
fn number(form: &Form, name: &str, errors: &mut Vec<FieldError>) -> Option<i32> {
    let raw = form.opt(name)?;
    match raw.parse::<i32>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(FieldError::new(name, ErrorCode::InvalidValue, "must be a whole number"));
            None
        }
    }
}

fn input_of(form: &Form) -> Result<SupplierInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let target_level = number(form, "target_level", &mut errors);
    let review_interval_months = number(form, "review_interval_months", &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    // Tags are typed comma-separated (`,` or the Japanese `、`).
    let tags: Vec<String> =
        form.get("tags").split([',', '、']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect();
    Ok(SupplierInput {
        name: Some(form.get("name").to_owned()),
        contact_name: form.opt("contact_name"),
        contact_email: Some(form.get("contact_email").to_owned()),
        contact_locale: form.opt("contact_locale"),
        tier: form.opt("tier"),
        target_level,
        review_interval_months,
        tags: Some(tags),
    })
}

pub async fn create(posted: Posted) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let ctx = signed_in!(w);
    let editor = ctx.editor()?;
    let refused = match input_of(&form) {
        Err(errors) => (errors, StatusCode::UNPROCESSABLE_ENTITY),
        Ok(input) => match suppliers::service::create(&w.state.kensa, editor, input).await {
            Ok(_) => return Ok(redirect("/suppliers?done=supplier_added")),
            Err(e @ DomainError::Validation(_)) => (field_errors(&e), StatusCode::UNPROCESSABLE_ENTITY),
            Err(e @ DomainError::Conflict { .. }) => (field_errors(&e), StatusCode::CONFLICT),
            Err(e) => return Err(e.into()),
        },
    };
    let extra = Extra { form: Some(&form), errors: refused.0, ..Extra::default() };
    render(&w, &ListQuery::default(), extra, refused.1).await
}

/// The import: the multipart form read with the API's bounded reader, its CSRF token (field
/// `_csrf` or the header) checked before anything is imported, then the same service.
pub async fn import(req: HttpRequest, w: Web, payload: web::Payload) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(w);
    let header_token = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    if header_token.as_deref().is_some_and(|t| !same_token(t, w.csrf())) {
        return Err(csrf_refused());
    }
    let editor = ctx.editor()?;
    let is_multipart = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(ApiError::UnsupportedMediaType("multipart/form-data (field `file`)"));
    }
    let CsvUpload { file, fields } = read_csv_form(&req, payload).await?;
    let field = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    if !header_token.as_deref().or(field(CSRF_FIELD)).is_some_and(|t| same_token(t, w.csrf())) {
        return Err(csrf_refused());
    }
    let partial = field("partial").is_some_and(|v| !v.is_empty());
    let (extra, status) = match suppliers::import::import(&w.state.kensa, editor, &file, partial).await {
        Ok(report) => {
            let status = if report.applied { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            (Extra { report: Some(report), ..Extra::default() }, status)
        }
        Err(e @ (DomainError::Validation(_) | DomainError::Unprocessable { .. })) => {
            (Extra { import_errors: field_errors(&e), ..Extra::default() }, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => return Err(e.into()),
    };
    render(&w, &ListQuery::default(), extra, status).await
}
