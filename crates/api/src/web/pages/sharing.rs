//! `/sharing`: what the organization shares and what is shared with it, and the share
//! requests both ways — with the actions the API has (share in reply, decline, withdraw,
//! share something new, revoke, accept terms); `/shares/{id}`: a share as its recipient
//! reads it, with its review. Every action goes through the sharing services, so a page
//! reads and refuses exactly as `/api/v1/shares` does (and is audited the same way).

use actix_web::{HttpResponse, web};
use chrono::{NaiveDate, NaiveTime};
use kensa_domain::assessments::service::{self as assessments, AssessmentFilter};
use kensa_domain::pagination::PageRequest;
use kensa_domain::shares::{
    self, NewShare, NewShareReview, Share, ShareDirection, ShareRequest, ShareRequestStatus, ShareReviewDecision,
    ShareScope, ShareState, SharedAssessment,
};
use kensa_domain::tenant::TenantCtx;
use kensa_domain::{DomainError, ErrorCode, FieldError, library};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use super::assessment::textarea;
use super::buyer::percent;
use crate::error::ApiResult;
use crate::web::context::signed_in;
use crate::web::context::{Form, Posted, Web, encode, redirect};
use crate::web::forms::{Input, field_errors, general_errors, summary};
use crate::web::layout::{self, csrf_field};

const LISTED: u64 = 50;

/// What a share's row names as the other side.
fn party(s: &Share, outgoing: bool) -> String {
    match (outgoing, &s.recipient) {
        (false, _) => s.owner.name.clone(),
        (true, Some(r)) => r.name.clone(),
        (true, None) => format!("@{}", s.recipient_domain.as_deref().unwrap_or_default()),
    }
}

fn shares_table(w: &Web, rows: &[Share], outgoing: bool) -> Markup {
    let t = w.lang.sharing();
    html! {
        div.table-wrap { table.shares {
            thead { tr {
                th scope="col" { (if outgoing { t.to } else { t.from }) }
                th scope="col" { (w.t().checklist) }
                th scope="col" { (t.kind) }
                th scope="col" { (t.scope) }
                th scope="col" { (t.date) }
                th scope="col" { (t.until) }
                th scope="col" { (t.state) }
                th scope="col" { span.visually-hidden { (w.lang.buyer().actions) } }
            } }
            tbody { @for s in rows {
                tr {
                    th scope="row" { (party(s, outgoing)) }
                    td { (s.template_name) }
                    td { (w.lang.share_kind(s.kind)) }
                    td { (w.lang.share_scope(s.scope)) }
                    td { (layout::datetime(w, s.submitted_at.unwrap_or(s.created_at))) }
                    td { (layout::datetime(w, s.expires_at)) }
                    td {
                        span class={ "badge " (s.state.as_str()) } { (w.lang.share_state(s.state)) }
                        @if let Some(r) = &s.review { " " span.badge { (t.reviewed) ": " (review_word(w, r.decision)) } }
                    }
                    td {
                        @if outgoing && matches!(s.state, ShareState::Active | ShareState::Unclaimed) {
                            form method="post" action={ "/sharing/shares/" (s.id) "/revoke" } {
                                (csrf_field(w))
                                button.secondary type="submit" {
                                    (t.revoke) span.visually-hidden { ": " (party(s, outgoing)) ", " (s.template_name) }
                                }
                            }
                        } @else if !outgoing {
                            @if s.terms.is_some() && s.terms_accepted_at.is_none() {
                                a href={ "/shares/" (s.id) } { (t.terms_pending) }
                            } @else {
                                a href={ "/shares/" (s.id) } { (t.view) }
                            }
                        }
                    }
                }
            } }
        } }
    }
}

fn review_word(w: &Web, d: ShareReviewDecision) -> &'static str {
    let t = w.lang.sharing();
    match d {
        ShareReviewDecision::Accept => t.review_accept,
        ShareReviewDecision::RequestChanges => t.review_changes,
    }
}

fn scope_select(w: &Web, id: &str, chosen: &str) -> Markup {
    let t = w.lang.sharing();
    html! {
        label for=(id) { (t.scope) }
        select id=(id) name="scope" {
            @for s in ShareScope::ALL {
                option value=(s.as_str()) selected[chosen == s.as_str()] { (w.lang.share_scope(*s)) }
            }
        }
    }
}

fn requests_to_you(w: &Web, rows: &[&ShareRequest]) -> Markup {
    let t = w.lang.sharing();
    html! {
        section aria-labelledby="requests-to-you" {
            h2 #requests-to-you { (t.requests_to_you) }
            @if rows.is_empty() { p { (t.requests_to_you_none) } }
            @for r in rows {
                article.request {
                    dl.facts {
                        dt { (t.requester) } dd { (r.requester.name) }
                        dt { (w.t().checklist) } dd { (r.template_name) }
                        dt { (t.date) } dd { (layout::datetime(w, r.created_at)) }
                        @if let Some(m) = &r.message { dt { (t.message) } dd { (m) } }
                    }
                    div.actions {
                        form method="post" action={ "/sharing/requests/" (r.id) "/share" } {
                            (csrf_field(w))
                            input type="hidden" name="template_id" value=(r.template_id);
                            (scope_select(w, &format!("scope-{}", r.id), "answers"))
                            button type="submit" {
                                (t.reply_share) span.visually-hidden { ": " (r.requester.name) ", " (r.template_name) }
                            }
                        }
                        form method="post" action={ "/sharing/requests/" (r.id) "/decline" } {
                            (csrf_field(w))
                            button.secondary type="submit" {
                                (t.decline) span.visually-hidden { ": " (r.requester.name) ", " (r.template_name) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn requests_yours(w: &Web, rows: &[&ShareRequest]) -> Markup {
    let t = w.lang.sharing();
    html! {
        section aria-labelledby="requests-yours" {
            h2 #requests-yours { (t.requests_yours) }
            @if rows.is_empty() { p { (t.requests_yours_none) } }
            @else { div.table-wrap { table {
                thead { tr {
                    th scope="col" { (w.t().supplier) }
                    th scope="col" { (w.t().checklist) }
                    th scope="col" { (t.date) }
                    th scope="col" { (t.state) }
                    th scope="col" { span.visually-hidden { (w.lang.buyer().actions) } }
                } }
                tbody { @for r in rows {
                    tr {
                        th scope="row" { (r.supplier.name) }
                        td { (r.template_name) }
                        td { (layout::datetime(w, r.created_at)) }
                        td { span class={ "badge " (r.status.as_str()) } { (w.lang.request_status(r.status)) } }
                        td { @if r.status == ShareRequestStatus::Open {
                            form method="post" action={ "/sharing/requests/" (r.id) "/withdraw" } {
                                (csrf_field(w))
                                button.secondary type="submit" {
                                    (t.withdraw) span.visually-hidden { ": " (r.supplier.name) ", " (r.template_name) }
                                }
                            }
                        } }
                    }
                } }
            } } }
        }
    }
}

/// What the organization can share: its library's lines (live) and the assessments it
/// submitted (snapshots). Empty for a member who may not share: the form is then not shown.
async fn sources(w: &Web, ctx: &TenantCtx) -> ApiResult<Vec<(String, String)>> {
    if !ctx.role().is_admin() {
        return Ok(Vec::new());
    }
    let k = &w.state.kensa;
    let t = w.lang.sharing();
    let mut out: Vec<(String, String)> = library::lines(k, ctx)
        .await?
        .into_iter()
        .map(|l| (format!("live:{}", l.template_id), format!("{}: {}", t.kind_live, l.template_name)))
        .collect();
    let page = PageRequest::parse(Some(50), None)?;
    for status in ["submitted", "accepted"] {
        let filter = AssessmentFilter {
            role: Some("supplier".into()),
            status: Some(status.into()),
            ..AssessmentFilter::default()
        };
        for a in assessments::list(k, ctx, &filter, &page).await?.data {
            let when = a.submitted_at.map(|d| layout::datetime(w, d)).unwrap_or_default();
            out.push((format!("assessment:{}", a.id), format!("{}: {} ({when})", t.kind_snapshot, a.buyer.name)));
        }
    }
    Ok(out)
}

fn new_share_form(w: &Web, sources: &[(String, String)], form: Option<&Form>, errors: &[FieldError]) -> Markup {
    let t = w.lang.sharing();
    let typed = |name: &str| form.map(|f| f.get(name).to_owned()).unwrap_or_default();
    let (source, domain, org, terms, expires) = (
        typed("source"),
        typed("recipient_domain"),
        typed("recipient_organization_id"),
        typed("terms"),
        typed("expires"),
    );
    let scope = form.map_or("answers".to_owned(), |f| f.get("scope").to_owned());
    let own = ["recipient_domain", "recipient_organization_id", "terms", "expires_at"];
    html! {
        section aria-labelledby="new-share" {
            h2 #new-share { (t.new_share) }
            form.new-share method="post" action="/sharing/shares" {
                (csrf_field(w))
                (summary(w.lang, w.t().form_errors, &general_errors(errors, &own)))
                label for="share-source" { (t.source) }
                select #share-source name="source" {
                    @for (value, label) in sources { option value=(value) selected[source == *value] { (label) } }
                }
                (Input::new("recipient_domain", t.recipient_domain).id("share-domain").value(&domain)
                    .hint(t.recipient_domain_hint).optional().render(w.lang, errors))
                (Input::new("recipient_organization_id", t.recipient_organization).id("share-org").value(&org)
                    .hint(t.recipient_organization_hint).optional().render(w.lang, errors))
                (scope_select(w, "share-scope", &scope))
                (Input::new("expires_at", t.expires).id("share-expires").kind("date").value(&expires)
                    .hint(t.expires_hint).optional().render(w.lang, errors))
                (textarea(w, "share-terms", "terms", t.terms, &terms, errors))
                p.hint { (t.terms_hint) }
                button type="submit" { (t.create) }
            }
        }
    }
}

/// Where each of the page's lists starts (`/sharing?requests=…&incoming=…&outgoing=…`):
/// every list is read [`LISTED`] at a time, oldest first, with a link to the next ones.
#[derive(Default, Deserialize)]
pub struct ListCursors {
    requests: Option<String>,
    incoming: Option<String>,
    outgoing: Option<String>,
}

fn more_link(w: &Web, list: &str, next: Option<&String>) -> Markup {
    html! {
        @if let Some(next) = next {
            p { a href={ "/sharing?" (list) "=" (encode(next)) "#" (list) } { (w.lang.sharing().more) } }
        }
    }
}

async fn render(
    w: &Web,
    ctx: &TenantCtx,
    at: &ListCursors,
    form: Option<&Form>,
    errors: &[FieldError],
) -> ApiResult<Markup> {
    let k = &w.state.kensa;
    let t = w.lang.sharing();
    let page = |cursor: &Option<String>| PageRequest::parse(Some(LISTED), cursor.as_deref());
    let requests = shares::list_requests(k, ctx, &page(&at.requests)?).await?;
    let me = ctx.org_id().0;
    let to_you: Vec<&ShareRequest> =
        requests.data.iter().filter(|r| r.supplier.id == me && r.status == ShareRequestStatus::Open).collect();
    let yours: Vec<&ShareRequest> = requests.data.iter().filter(|r| r.requester.id == me).collect();
    let incoming = shares::list(k, ctx, Some(ShareDirection::Incoming), &page(&at.incoming)?).await?;
    let outgoing = shares::list(k, ctx, Some(ShareDirection::Outgoing), &page(&at.outgoing)?).await?;
    let sources = sources(w, ctx).await?;
    Ok(html! {
        p.lead { (t.sharing_lead) }
        div #requests {
            (requests_to_you(w, &to_you))
            (requests_yours(w, &yours))
            (more_link(w, "requests", requests.next_cursor.as_ref()))
        }
        section #incoming aria-labelledby="shared-with-you" {
            h2 #shared-with-you { (t.shared_with_you) }
            @if incoming.data.is_empty() { p { (t.shared_with_you_none) } }
            @else { (shares_table(w, &incoming.data, false)) }
            (more_link(w, "incoming", incoming.next_cursor.as_ref()))
        }
        section #outgoing aria-labelledby="you-share" {
            h2 #you-share { (t.you_share) }
            @if outgoing.data.is_empty() { p { (t.you_share_none) } }
            @else { (shares_table(w, &outgoing.data, true)) }
            (more_link(w, "outgoing", outgoing.next_cursor.as_ref()))
        }
        @if !sources.is_empty() { (new_share_form(w, &sources, form, errors)) }
    })
}

pub async fn show(w: Web, at: web::Query<ListCursors>) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(w);
    let body = render(&w, ctx, &at, None, &[]).await?;
    Ok(layout::ok(&w, w.lang.sharing().sharing_title, body))
}

fn invalid(field: &str, message: &str) -> FieldError {
    FieldError::new(field, ErrorCode::InvalidValue, message)
}

/// The form as the service's input, or every problem it has.
fn new_share(form: &Form) -> Result<NewShare, Vec<FieldError>> {
    let mut errors = Vec::new();
    let (mut assessment_id, mut template_id) = (None, None);
    match form.get("source").split_once(':') {
        Some(("live", id)) => template_id = Uuid::parse_str(id).ok(),
        Some(("assessment", id)) => assessment_id = Uuid::parse_str(id).ok(),
        _ => {}
    }
    if assessment_id.is_none() && template_id.is_none() {
        errors.push(invalid("source", "choose what to share"));
    }
    let recipient_organization_id = match form.opt("recipient_organization_id") {
        None => None,
        Some(id) => Uuid::parse_str(&id).map(Some).unwrap_or_else(|_| {
            errors.push(invalid("recipient_organization_id", "not an organization id"));
            None
        }),
    };
    let scope = ShareScope::parse(form.get("scope")).unwrap_or_else(|| {
        errors.push(invalid("scope", "scores, answers or answers_and_evidence"));
        ShareScope::Scores
    });
    let expires_at = match form.opt("expires_at") {
        None => None,
        Some(text) => match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            Ok(d) => Some(d.and_time(NaiveTime::MIN).and_utc()),
            Err(_) => {
                errors.push(invalid("expires_at", "a date, YYYY-MM-DD"));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NewShare {
        assessment_id,
        template_id,
        recipient_organization_id,
        recipient_domain: form.opt("recipient_domain"),
        share_request_id: None,
        scope,
        expires_at,
        terms: form.opt("terms"),
    })
}

pub async fn create(posted: Posted) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let ctx = signed_in!(w);
    let t = w.lang.sharing();
    let outcome = match new_share(&form) {
        Ok(input) => shares::create(&w.state.kensa, ctx, input).await.map_err(|e| match e {
            e @ (DomainError::Validation(_) | DomainError::Unprocessable { .. }) => Ok(field_errors(&e)),
            other => Err(other),
        }),
        Err(errors) => Err(Ok(errors)),
    };
    match outcome {
        Ok(share) => match &share.link_token {
            // A domain link's secret is shown this once (as the API answers it once).
            Some(token) => {
                let link = format!("{}/shares/claim/{token}", w.state.kensa.public_url.as_str().trim_end_matches('/'));
                let body = html! {
                    p { (t.link_lead) }
                    p { code.link { (link) } }
                    p { a href="/sharing" { (w.t().back) } }
                };
                Ok(layout::ok(&w, t.link_title, body))
            }
            None => Ok(redirect("/sharing#you-share")),
        },
        Err(Ok(errors)) => {
            let body = render(&w, ctx, &ListCursors::default(), Some(&form), &errors).await?;
            let page = layout::page(&w, t.sharing_title, body);
            Ok(layout::respond(&w, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, page))
        }
        Err(Err(e)) => Err(e.into()),
    }
}

pub async fn reply(posted: Posted, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let ctx = signed_in!(w);
    let template_id = Uuid::parse_str(form.get("template_id"))
        .map_err(|_| DomainError::validation("template_id", ErrorCode::InvalidValue, "not a template id"))?;
    let scope = ShareScope::parse(form.get("scope"))
        .ok_or_else(|| DomainError::validation("scope", ErrorCode::InvalidValue, "not a share scope"))?;
    let input = NewShare {
        assessment_id: None,
        template_id: Some(template_id),
        recipient_organization_id: None,
        recipient_domain: None,
        share_request_id: Some(*id),
        scope,
        expires_at: None,
        terms: None,
    };
    match shares::create(&w.state.kensa, ctx, input).await {
        Ok(_) => Ok(redirect("/sharing#you-share")),
        // The request in the path is not one to this organization: the page is not found,
        // as for any other tenant's resource (the API names the body's field instead).
        Err(DomainError::Validation(errors)) if errors.iter().any(|e| e.field == "share_request_id") => {
            Err(DomainError::NotFound("share request").into())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn decline(posted: Posted, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(posted.w);
    shares::decline_request(&posted.w.state.kensa, ctx, *id).await?;
    Ok(redirect("/sharing"))
}

pub async fn withdraw(posted: Posted, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(posted.w);
    shares::cancel_request(&posted.w.state.kensa, ctx, *id).await?;
    Ok(redirect("/sharing#requests-yours"))
}

pub async fn revoke(posted: Posted, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(posted.w);
    shares::revoke(&posted.w.state.kensa, ctx, *id).await?;
    Ok(redirect("/sharing#you-share"))
}

pub async fn accept_terms(posted: Posted, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(posted.w);
    shares::accept_terms(&posted.w.state.kensa, ctx, *id).await?;
    Ok(redirect(&format!("/shares/{}", *id)))
}

fn score_facts(w: &Web, read: &SharedAssessment) -> Markup {
    let b = w.lang.buyer();
    let s = &read.score;
    html! {
        dl.facts {
            dt { (b.overall) } dd { (percent(s.overall)) }
            dt { "Lv1 / Lv2 / Lv3" }
            dd { (percent(s.levels.l1.achievement)) " / " (percent(s.levels.l2.achievement)) " / " (percent(s.levels.l3.achievement)) }
            dt { (b.achieved_level) } dd { "Lv" (s.achieved_level) " / Lv" (s.target_level) }
            dt { (b.meets_target) } dd { (if s.meets_target { w.t().yes } else { w.t().no }) }
        }
    }
}

fn review_form(w: &Web, share: &Share, errors: &[FieldError], comment: &str) -> Markup {
    let t = w.lang.sharing();
    html! {
        section aria-labelledby="review" {
            h2 #review { (t.review_title) }
            @if let Some(r) = &share.review {
                p { (review_word(w, r.decision)) " · " (layout::datetime(w, r.reviewed_at))
                    @if let Some(c) = &r.comment { " — " (c) } }
            }
            form method="post" action={ "/shares/" (share.id) "/review" } {
                (csrf_field(w))
                (summary(w.lang, w.t().form_errors, &general_errors(errors, &["comment"])))
                (textarea(w, "review-comment", "comment", t.review_comment, comment, errors))
                div.actions {
                    button type="submit" name="decision" value="accept" { (t.review_accept) }
                    button.secondary type="submit" name="decision" value="request_changes" { (t.review_changes) }
                }
            }
        }
    }
}

async fn shared_page(w: &Web, ctx: &TenantCtx, id: Uuid, errors: &[FieldError], comment: &str) -> ApiResult<Markup> {
    let k = &w.state.kensa;
    let t = w.lang.sharing();
    let share = shares::get(k, ctx, id).await?;
    let facts = html! {
        dl.facts {
            dt { (t.shared_by) } dd { (share.owner.name) }
            dt { (w.t().checklist) } dd { (share.template_name) }
            dt { (t.kind) } dd { (w.lang.share_kind(share.kind)) }
            dt { (t.scope) } dd { (w.lang.share_scope(share.scope)) }
            dt { (t.date) } dd { (layout::datetime(w, share.submitted_at.unwrap_or(share.created_at))) }
            dt { (t.until) } dd { (layout::datetime(w, share.expires_at)) }
        }
    };
    // The supplier's own view of its share is its list; the page reads as the recipient.
    if share.owner.id == ctx.org_id().0 {
        return Err(DomainError::NotFound("share").into());
    }
    if let (Some(terms), None) = (&share.terms, share.terms_accepted_at) {
        return Ok(html! {
            (facts)
            h2 { (t.terms) }
            blockquote.terms { (terms) }
            form method="post" action={ "/shares/" (id) "/accept-terms" } {
                (csrf_field(w)) button type="submit" { (t.accept_terms) }
            }
        });
    }
    let read = shares::read(k, ctx, id).await?;
    Ok(html! {
        (facts)
        (score_facts(w, &read))
        @if let Some(files) = &read.evidence {
            section aria-labelledby="evidence" {
                h2 #evidence { (t.evidence) }
                ul { @for f in files {
                    li {
                        a href={ "/shares/" (id) "/evidence/" (f.id) } { (f.file_name) }
                        @if let Some(no) = f.item_no { " (No." (no) ")" }
                    }
                } }
            }
        }
        @if let Some(questions) = &read.questions {
            section aria-labelledby="answers" {
                h2 #answers { (t.answers) }
                div.table-wrap { table.answers {
                    thead { tr {
                        th scope="col" { "No." }
                        th scope="col" { "Lv" }
                        th scope="col" { (t.question) }
                        th scope="col" { (w.t().answer) }
                    } }
                    tbody { @for q in questions {
                        tr {
                            th scope="row" { (q.no) }
                            td { (q.level) }
                            td { (layout::question(w, &q.question, q.question_en.as_deref())) }
                            td { @match &q.answer {
                                Some(a) => { (w.lang.answer_status(a.status))
                                    @if let Some(c) = &a.comment { br; small { (c) } } }
                                None => { (t.no_answer) }
                            } }
                        }
                    } }
                } }
            }
        }
        (review_form(w, &read.share, errors, comment))
    })
}

pub async fn shared(w: Web, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(w);
    let body = shared_page(&w, ctx, *id, &[], "").await?;
    Ok(layout::ok(&w, w.lang.sharing().shared_answers, body))
}

pub async fn review(posted: Posted, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let ctx = signed_in!(w);
    let decision = ShareReviewDecision::parse(form.get("decision"))
        .ok_or_else(|| DomainError::validation("decision", ErrorCode::InvalidValue, "accept or request_changes"))?;
    let input = NewShareReview { decision, comment: form.opt("comment") };
    match shares::review(&w.state.kensa, ctx, *id, input).await {
        Ok(_) => Ok(redirect(&format!("/shares/{}#review", *id))),
        Err(e @ DomainError::Validation(_)) => {
            let body = shared_page(&w, ctx, *id, &field_errors(&e), form.get("comment")).await?;
            let page = layout::page(&w, w.lang.sharing().shared_answers, body);
            Ok(layout::respond(&w, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, page))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn download(w: Web, path: web::Path<(Uuid, Uuid)>) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(w);
    let (id, file_id) = path.into_inner();
    let (meta, file, slot) = shares::download(&w.state.kensa, ctx, id, file_id).await?;
    Ok(crate::rest::evidence::stored_file_response(&meta.file_name, meta.content_type, meta.sha256, file, slot))
}

/// `/shares/claim/{token}`: the page a domain link opens; claiming is a POST, so that a
/// link preview or a prefetch never claims it.
pub async fn claim_page(w: Web, token: web::Path<String>) -> ApiResult<HttpResponse> {
    signed_in!(w);
    let t = w.lang.sharing();
    let body = html! {
        p { (t.claim_lead) }
        form method="post" action={ "/shares/claim/" (token.as_str()) } {
            (csrf_field(&w)) button type="submit" { (t.claim) }
        }
    };
    Ok(layout::ok(&w, t.claim_title, body))
}

pub async fn claim(posted: Posted, token: web::Path<String>) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(posted.w);
    let share = shares::claim(&posted.w.state.kensa, ctx, &token).await?;
    Ok(redirect(&format!("/shares/{}", share.id)))
}
