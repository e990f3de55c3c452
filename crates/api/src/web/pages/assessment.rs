//! `/assessments/{id}`: the check sheet of one assessment, for the supplier who answers it
//! and the buyer who reviews it. Every action calls the service the API calls.
//!
//! Each item saves on its own. Its form carries the answer it was based on (the answer's
//! `updated_at`); a save finds the item changed since — by a colleague in another tab —
//! refuses, shows who changed it to what, and keeps what was typed. The assessment's
//! version is read in the same step and passed to the service as `If-Match`, so a change
//! between the check and the write is caught too (and the check runs again).

use std::collections::{BTreeSet, HashMap};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use kensa_domain::assessments::answers;
use kensa_domain::assessments::evidence::{self, Evidence};
use kensa_domain::assessments::model::{Answer, AnswerInput, Comment, Question, Side, Status, Visibility};
use kensa_domain::assessments::review::{self, CommentInput, Decision, ItemComment, ReviewInput};
use kensa_domain::assessments::sheet::{Sheet, sheet};
use kensa_domain::library::{self, GivenAnswer, PrefillAction, PrefillChange, PrefillItem, PrefillPlan};
use kensa_domain::precondition::IfMatch;
use kensa_domain::supply_chain::{self, ForwardingConsent, SetForwardingConsent};
use kensa_domain::templates::AnswerStatus;
use kensa_domain::tenant::{Role, TenantCtx};
use kensa_domain::{DomainError, ErrorCode, FieldError};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use super::assessments::status_badge;
use crate::error::{ApiError, ApiResult};
use crate::web::context::signed_in;
use crate::web::context::{Form, Posted, Web, redirect};
use crate::web::forms::{errors_for, field_errors, general_errors, message, summary};
use crate::web::layout::{self, csrf_field};

#[derive(Deserialize, Default)]
pub struct SheetQuery {
    /// `1`–`3`, or empty for every level (the filter form always sends the field).
    level: Option<String>,
    unanswered: Option<String>,
    /// A notice after a redirect: `saved`, `submitted`, `accepted`, `changes_requested`,
    /// `consent`.
    done: Option<String>,
}

/// Everything the page shows besides the sheet.
struct Extras {
    evidence: Vec<Evidence>,
    comments: Vec<Comment>,
    /// Positions in `comments` by item (`None`: the assessment as a whole), grouped once
    /// rather than searched for each of up to 153 items.
    by_item: HashMap<Option<i32>, Vec<usize>>,
    /// Positions in `evidence` by item, the same way.
    files_by_item: HashMap<Option<i32>, Vec<usize>>,
    names: HashMap<Uuid, String>,
    /// The supplier's forwarding consent (read on the supplier's side only).
    consent: Option<ForwardingConsent>,
    /// What the answer library would fill in (answerers only).
    prefill: Option<PrefillPlan>,
    /// What cites each item that is the check sheet's (METI SCS, ISO/IEC 27001, NIST CSF).
    references: std::collections::BTreeMap<u32, &'static kensa_domain::crosswalk::ItemReferences>,
}

/// What the visitor typed into one item and why it came back.
struct Draft<'a> {
    no: u32,
    form: &'a Form,
    errors: Vec<FieldError>,
    /// The item changed since the visitor's page was rendered.
    conflict: bool,
}

fn basis(answer: Option<&Answer>) -> String {
    answer.map_or_else(|| "none".to_owned(), |a| a.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true))
}

impl SheetQuery {
    fn level(&self) -> Result<Option<u8>, DomainError> {
        match self.level.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(l) => match l.parse::<u8>() {
                Ok(n @ 1..=3) => Ok(Some(n)),
                _ => Err(DomainError::validation("level", ErrorCode::InvalidValue, "1, 2 or 3")),
            },
        }
    }
}

/// Not yet submittable: the submit rule's own list (unanswered, N/A without a reason,
/// carried over and not confirmed).
fn open(sheet: &Sheet, q: &Question) -> bool {
    sheet.open_items.contains(&q.no)
}

/// A file's size for people.
fn size(bytes: i64) -> String {
    if bytes < 1024 { format!("{bytes} B") } else { format!("{} KiB", bytes / 1024) }
}

async fn extras(w: &Web, ctx: &TenantCtx, sheet: &Sheet) -> ApiResult<Extras> {
    let id = sheet.assessment.id;
    let k = &w.state.kensa;
    let comments = review::comments(k, ctx, id, None).await?;
    let mut by_item: HashMap<Option<i32>, Vec<usize>> = HashMap::new();
    for (i, c) in comments.iter().enumerate() {
        by_item.entry(c.item_no).or_default().push(i);
    }
    let evidence = evidence::list(k, ctx, id).await?;
    let mut files_by_item: HashMap<Option<i32>, Vec<usize>> = HashMap::new();
    for (i, e) in evidence.iter().enumerate() {
        files_by_item.entry(e.item_no).or_default().push(i);
    }
    let consent = match supply_chain::consent(k, ctx, id).await {
        Ok(view) => Some(view.consent),
        Err(DomainError::NotFound(_) | DomainError::Forbidden) => None,
        Err(e) => return Err(e.into()),
    };
    // The library's offer is for a sheet the caller can still answer.
    let prefill = if sheet.can_answer && sheet.assessment.status.editable() {
        match library::preview(k, ctx, id).await {
            Ok(plan) => Some(plan),
            Err(DomainError::NotFound(_) | DomainError::Forbidden) => None,
            Err(e) => return Err(e.into()),
        }
    } else {
        None
    };
    Ok(Extras {
        evidence,
        files_by_item,
        comments,
        by_item,
        names: kensa_domain::users::service::colleague_names(k, ctx).await?,
        consent,
        prefill,
        references: kensa_domain::crosswalk::references_for(k, sheet.assessment.template_id).await?,
    })
}

fn status_label(w: &Web, sheet: &Sheet, status: AnswerStatus) -> String {
    match sheet.scale.entry(status) {
        Some(e) => format!("{} / {}", w.lang.pick(&e.label_ja, &e.label_en), w.lang.pick(&e.label_en, &e.label_ja)),
        None => status.as_str().to_owned(),
    }
}

fn concerned_items(sheet: &Sheet, comments: &[Comment]) -> BTreeSet<i32> {
    review::concerned_items(&sheet.assessment, comments)
}

fn author(sheet: &Sheet, extras: &Extras, c: &Comment) -> String {
    let org = if c.author_organization_id == sheet.assessment.buyer.id {
        &sheet.assessment.buyer.name
    } else {
        &sheet.assessment.supplier.name
    };
    // Names are known for the reader's own colleagues only; the other side is its organization.
    match c.author_user_id.and_then(|u| extras.names.get(&u)) {
        Some(name) => format!("{name} ({org})"),
        None => org.clone(),
    }
}

fn comment_list(w: &Web, sheet: &Sheet, extras: &Extras, item: Option<i32>) -> Markup {
    let t = w.t();
    let mine: Vec<&Comment> = extras
        .by_item
        .get(&item)
        .map_or_else(Vec::new, |at| at.iter().filter_map(|i| extras.comments.get(*i)).collect());
    html! {
        @if !mine.is_empty() {
            ul.comments {
                @for c in mine {
                    li class=(if c.visibility == Visibility::Internal { "internal" } else { "" }) {
                        p.meta {
                            (author(sheet, extras, c)) " · " (layout::datetime(w, c.created_at))
                            @if c.visibility == Visibility::Internal { " · " strong { (t.internal) } }
                        }
                        p { (c.body) }
                    }
                }
            }
        }
    }
}

fn comment_form(w: &Web, sheet: &Sheet, item: Option<u32>) -> Markup {
    let t = w.t();
    let id = sheet.assessment.id;
    let suffix = item.map_or_else(|| "all".to_owned(), |n| n.to_string());
    html! {
        details {
            summary { (t.add_comment) }
            form method="post" action={ "/assessments/" (id) "/comments" } {
                (csrf_field(w))
                @if let Some(no) = item { input type="hidden" name="item_no" value=(no); }
                label for={ "comment-body-" (suffix) } { (t.comment) }
                textarea id={ "comment-body-" (suffix) } name="body" required maxlength="10000" {}
                @if sheet.side == Side::Buyer {
                    label.check for={ "comment-internal-" (suffix) } {
                        input type="checkbox" id={ "comment-internal-" (suffix) } name="internal" value="1";
                        " " (t.internal_note)
                    }
                }
                p { button.secondary type="submit" { (t.add_comment) } }
            }
        }
    }
}

fn evidence_block(w: &Web, sheet: &Sheet, extras: &Extras, no: u32, editable: bool) -> Markup {
    let t = w.t();
    let id = sheet.assessment.id;
    let files: Vec<&Evidence> = extras
        .files_by_item
        .get(&i32::try_from(no).ok())
        .map_or_else(Vec::new, |at| at.iter().filter_map(|i| extras.evidence.get(*i)).collect());
    html! {
        div.evidence {
            h5 { (t.evidence) }
            @if files.is_empty() { p.hint { (t.no_evidence) } }
            ul.evidence-list {
                @for f in &files {
                    li {
                        a href={ "/assessments/" (id) "/evidence/" (f.id) } download { (f.file_name) }
                        " (" (size(f.size)) ")"
                        @if editable {
                            form.inline method="post" action={ "/assessments/" (id) "/evidence/" (f.id) "/delete" } {
                                (csrf_field(w))
                                " " button.link type="submit" aria-label={ (t.delete) " " (f.file_name) } { (t.delete) }
                            }
                        }
                    }
                }
            }
            @if editable {
                form method="post" action={ "/assessments/" (id) "/evidence" } enctype="multipart/form-data" {
                    (csrf_field(w))
                    input type="hidden" name="item_no" value=(no);
                    label for={ "file-" (no) } { (t.file) }
                    input type="file" id={ "file-" (no) } name="file" required;
                    " " button.secondary type="submit" { (t.upload) }
                }
            }
        }
    }
}

fn answer_facts(w: &Web, sheet: &Sheet, a: &Answer) -> Markup {
    let t = w.t();
    html! {
        dl.facts {
            dt { (t.answer) } dd { (status_label(w, sheet, a.status)) }
            @if let Some(r) = &a.reason { dt { (t.reason) } dd { (r) } }
            @if let Some(p) = &a.remediation_plan { dt { (t.remediation_plan) } dd { (p) } }
            @if let Some(d) = a.remediation_due { dt { (t.remediation_due) } dd { (layout::date(w, d)) } }
            @if let Some(c) = &a.comment { dt { (t.remark) } dd { (c) } }
        }
    }
}

pub(crate) fn textarea(w: &Web, id: &str, name: &str, label: &str, value: &str, errors: &[FieldError]) -> Markup {
    let mine = errors_for(errors, name);
    html! {
        label for=(id) { (label) }
        @if !mine.is_empty() { p.field-error id={ (id) "-error" } { @for e in &mine { (message(w.lang, e)) " " } } }
        textarea id=(id) name=(name) maxlength="10000"
            aria-invalid=[(!mine.is_empty()).then_some("true")]
            aria-describedby=[(!mine.is_empty()).then(|| format!("{id}-error"))] { (value) }
    }
}

fn answer_form(w: &Web, sheet: &Sheet, q: &Question, draft: Option<&Draft<'_>>) -> Markup {
    let t = w.t();
    let no = q.no;
    let a = q.answer.as_ref();
    let typed = |name: &str, saved: Option<String>| -> String {
        match draft {
            Some(d) => d.form.get(name).to_owned(),
            None => saved.unwrap_or_default(),
        }
    };
    let status = typed("status", a.map(|a| a.status.as_str().to_owned()));
    let reason = typed("reason", a.and_then(|a| a.reason.clone()));
    let plan = typed("remediation_plan", a.and_then(|a| a.remediation_plan.clone()));
    let due = typed("remediation_due", a.and_then(|a| a.remediation_due.map(|d| d.to_string())));
    let remark = typed("comment", a.and_then(|a| a.comment.clone()));
    let errors: &[FieldError] = draft.map_or(&[], |d| &d.errors);
    let status_errors = errors_for(errors, "status");
    html! {
        form.answer method="post" action={ "/assessments/" (sheet.assessment.id) "/items/" (no) }
            data-inline data-focus={ "saved-" (no) } {
            (csrf_field(w))
            input type="hidden" name="basis" value=(basis(a));
            (summary(w.lang, t.form_errors, &general_errors(errors, &["status", "reason", "remediation_plan", "remediation_due", "comment"])))
            label for={ "status-" (no) } { (t.answer) }
            @if !status_errors.is_empty() {
                p.field-error id={ "status-" (no) "-error" } { @for e in &status_errors { (message(w.lang, e)) " " } }
            }
            select id={ "status-" (no) } name="status"
                aria-invalid=[(!status_errors.is_empty()).then_some("true")]
                aria-describedby=[(!status_errors.is_empty()).then(|| format!("status-{no}-error"))] {
                option value="" selected[status.is_empty()] { "— " (t.not_answered) " —" }
                @for entry in sheet.scale.statuses.iter().filter(|e| e.enabled) {
                    option value=(entry.status.as_str()) selected[status == entry.status.as_str()] {
                        (status_label(w, sheet, entry.status))
                    }
                }
            }
            div data-when="not_applicable" {
                (textarea(w, &format!("reason-{no}"), "reason", t.reason, &reason, errors))
            }
            div data-when="not_implemented partially_implemented" {
                (textarea(w, &format!("plan-{no}"), "remediation_plan", t.remediation_plan, &plan, errors))
                label for={ "due-" (no) } { (t.remediation_due) }
                @let due_errors = errors_for(errors, "remediation_due");
                @if !due_errors.is_empty() {
                    p.field-error id={ "due-" (no) "-error" } { @for e in &due_errors { (message(w.lang, e)) " " } }
                }
                input type="date" id={ "due-" (no) } name="remediation_due" value=(due)
                    aria-invalid=[(!due_errors.is_empty()).then_some("true")]
                    aria-describedby=[(!due_errors.is_empty()).then(|| format!("due-{no}-error"))];
            }
            (textarea(w, &format!("remark-{no}"), "comment", t.remark, &remark, errors))
            div.actions {
                button type="submit" { (t.save) }
                span.hint id={ "saved-" (no) } tabindex="-1" role="status" {
                    @if let Some(a) = a {
                        (t.last_changed_by) ": " (layout::datetime(w, a.updated_at))
                    }
                }
            }
        }
    }
}

/// An item's question, criteria, scope and frequency in the page's language: in English
/// where the template has a translation (the template's `translation` says whose), with the
/// Japanese original one click away; otherwise as the template states it. Texts in the
/// other language than the page's carry their own `lang`.
fn item_text(w: &Web, q: &Question) -> Markup {
    let t = w.t();
    // Each text with the language it is in when that is not the page's.
    type Lines<'a> = (&'a [String], Option<&'static str>);
    let block = |question: (&str, Option<&'static str>),
                 criteria: Lines<'_>,
                 scope: Lines<'_>,
                 frequency: Lines<'_>| {
        html! {
            p lang=[question.1] { (question.0) }
            @if !criteria.0.is_empty() {
                p.meta { (t.criteria) }
                ul lang=[criteria.1] { @for c in criteria.0 { li { (c) } } }
            }
            @if !scope.0.is_empty() { p.meta { (t.scope_label) ": " span lang=[scope.1] { (scope.0.join(" / ")) } } }
            @if !frequency.0.is_empty() {
                p.meta { (t.frequency) ": " span lang=[frequency.1] { (frequency.0.join(" / ")) } }
            }
        }
    };
    let english = q.question_en.as_deref().filter(|_| w.lang == crate::web::i18n::Lang::En);
    match english {
        Some(question) => {
            // A list without its own translation shows the original lines, marked Japanese.
            let pick = |en: &'_ [String], ja: &'_ [String]| -> (Vec<String>, Option<&'static str>) {
                if en.is_empty() { (ja.to_vec(), Some("ja")) } else { (en.to_vec(), None) }
            };
            let (criteria, scope, frequency) =
                (pick(&q.criteria_en, &q.criteria), pick(&q.scope_en, &q.scope), pick(&q.frequency_en, &q.frequency));
            html! {
                (block((question, None), (&criteria.0, criteria.1), (&scope.0, scope.1), (&frequency.0, frequency.1)))
                details.original {
                    summary { (t.japanese_original) span.visually-hidden { " No." (q.no) } }
                    (block((&q.question, Some("ja")), (&q.criteria, Some("ja")), (&q.scope, Some("ja")),
                        (&q.frequency, Some("ja"))))
                }
            }
        }
        None => block((&q.question, None), (&q.criteria, None), (&q.scope, None), (&q.frequency, None)),
    }
}

fn item_card(
    w: &Web,
    sheet: &Sheet,
    extras: &Extras,
    q: &Question,
    concerned: &BTreeSet<i32>,
    draft: Option<&Draft<'_>>,
    just_saved: bool,
) -> Markup {
    let t = w.t();
    let no = q.no;
    let editable = sheet.can_answer && sheet.assessment.status.editable();
    let is_concerned = concerned.contains(&i32::try_from(no).unwrap_or_default());
    let mut class = String::from("item");
    if is_concerned {
        class.push_str(" concerned");
    }
    if open(sheet, q) && sheet.side == Side::Supplier {
        class.push_str(" unanswered");
    }
    html! {
        article class=(class) id={ "item-" (no) } data-swap aria-labelledby={ "item-title-" (no) } {
            h4 id={ "item-title-" (no) } { "No." (no) " " span.badge { "Lv" (q.level) } }
            @if is_concerned { (layout::notice("error", t.concerned)) }
            (item_text(w, q))
            @if let Some(r) = extras.references.get(&no).filter(|r| !r.scs_criteria.is_empty()) {
                p.meta.references {
                    (t.cited_by) ": METI SCS"
                    @if let Some(star) = &r.scs_star { " ★" (star) }
                    " " (r.scs_criteria.join(", "))
                    @if !r.iso27001.is_empty() { " · ISO/IEC 27001 " (r.iso27001.join(", ")) }
                    @if let Some(f) = &r.nist_csf { " · NIST CSF " (f) }
                }
            }
            @if draft.is_some_and(|d| d.conflict) {
                div.notice.error role="alert" {
                    strong { (t.conflict_title) }
                    p { (t.conflict_body) }
                    @if let Some(a) = &q.answer {
                        p { (t.conflict_now) " — " (t.last_changed_by) ": "
                            (a.answered_by.and_then(|u| extras.names.get(&u)).map_or("?", String::as_str))
                            " · " (layout::datetime(w, a.updated_at)) }
                        (answer_facts(w, sheet, a))
                    }
                }
            }
            @if just_saved { (layout::notice("ok", t.saved)) }
            @if q.answer.as_ref().is_some_and(|a| a.carried_over) { (layout::notice("warn", t.carried_over)) }
            @if editable {
                (answer_form(w, sheet, q, draft))
            } @else if let Some(a) = &q.answer {
                (answer_facts(w, sheet, a))
            } @else {
                p.hint { (t.not_answered) }
            }
            @if sheet.can_review && sheet.assessment.status == Status::Submitted {
                label for={ "review-item-" (no) } { (t.review_item_comment) }
                textarea id={ "review-item-" (no) } name={ "item_" (no) } form="review-form" maxlength="10000" {}
            }
            (evidence_block(w, sheet, extras, no, editable))
            div.thread {
                h5 { (t.comments) }
                (comment_list(w, sheet, extras, i32::try_from(no).ok()))
                @if sheet.can_answer || sheet.can_review { (comment_form(w, sheet, Some(no))) }
            }
        }
    }
}

fn progress_panel(w: &Web, sheet: &Sheet) -> Markup {
    let t = w.t();
    html! {
        section #progress-panel data-swap aria-labelledby="progress-heading" {
            h2 #progress-heading { (t.progress) }
            @for level in 1..=u8::try_from(sheet.assessment.target_level).unwrap_or(3) {
                @let items: Vec<&Question> = sheet.questions().filter(|q| q.level == level).collect();
                @let done = items.iter().filter(|q| !open(sheet, q)).count();
                (layout::progress(&format!("Lv{level}"), done, items.len()))
            }
        }
    }
}

fn submit_panel(w: &Web, sheet: &Sheet, refused: &[FieldError]) -> Markup {
    let t = w.t();
    let waiting: Vec<&Question> = sheet.questions().filter(|q| open(sheet, q)).collect();
    html! {
        section #submit-panel data-swap aria-labelledby="submit-heading" {
            h2 #submit-heading { (t.submit_title) }
            (summary(w.lang, t.form_errors, &refused.iter().collect::<Vec<_>>()))
            @if !waiting.is_empty() {
                p { (t.unanswered_items) " (" (waiting.len()) ")" }
                ul.jump { @for q in &waiting { li { a href={ "#item-" (q.no) } { "No." (q.no) } } } }
            }
            p.hint { (t.submit_lead) }
            form method="post" action={ "/assessments/" (sheet.assessment.id) "/submit" } {
                (csrf_field(w))
                input type="hidden" name="version" value=(sheet.assessment.version);
                button type="submit" disabled[!waiting.is_empty()] { (t.submit_button) }
            }
        }
    }
}

fn review_panel(w: &Web, sheet: &Sheet) -> Markup {
    let t = w.t();
    html! {
        section.card aria-labelledby="review-heading" {
            h2 #review-heading { (t.review_title) }
            form #review-form method="post" action={ "/assessments/" (sheet.assessment.id) "/review" } {
                (csrf_field(w))
                input type="hidden" name="version" value=(sheet.assessment.version);
                label for="review-comment" { (t.review_comment) }
                textarea #review-comment name="comment" maxlength="10000" {}
                p.hint { (t.review_item_hint) }
                div.actions {
                    button type="submit" name="decision" value="accept" { (t.accept) }
                    button.secondary type="submit" name="decision" value="request_changes" { (t.request_changes) }
                }
            }
        }
    }
}

/// What a prefill would change: items with no answer yet, and answers carried over from the
/// last review (not yet confirmed) that differ from the library's. Confirmed answers are
/// never touched, and a carried-over answer equal to the library's is not offered again.
fn offered<'a>(sheet: &Sheet, plan: &'a PrefillPlan) -> Vec<&'a PrefillItem> {
    let answers: HashMap<u32, &Answer> = sheet
        .categories
        .iter()
        .flat_map(|c| &c.sections)
        .flat_map(|s| &s.questions)
        .filter_map(|q| q.answer.as_ref().map(|a| (q.no, a)))
        .collect();
    let same = |a: &Answer, l: &GivenAnswer| {
        (a.status, &a.comment, &a.reason, &a.remediation_plan, a.remediation_due)
            == (l.status, &l.comment, &l.reason, &l.remediation_plan, l.remediation_due)
    };
    plan.items
        .iter()
        .filter(|i| i.action == PrefillAction::Prefill)
        .filter(|i| answers.get(&i.no).is_none_or(|a| a.carried_over && !same(a, &i.library)))
        .collect()
}

/// The answer library's offer: how many items it would fill in, how they compare with what
/// this buyer last got, and the button that does it (answers stay carried over until
/// confirmed, like a re-review's).
fn prefill_panel(w: &Web, sheet: &Sheet, plan: &PrefillPlan) -> Markup {
    let t = w.t();
    let fills = offered(sheet, plan);
    let count = |change: PrefillChange| fills.iter().filter(|i| i.change == change).count();
    let changed: Vec<String> =
        fills.iter().filter(|i| i.change == PrefillChange::Changed).map(|i| format!("No.{}", i.no)).collect();
    html! {
        section.card aria-labelledby="prefill-heading" {
            h2 #prefill-heading { (t.prefill_title) }
            p { (t.prefill_lead) " " strong { (fills.len()) } }
            ul {
                li { (t.prefill_new) ": " (count(PrefillChange::New)) }
                li { (t.prefill_unchanged) ": " (count(PrefillChange::Unchanged)) }
                li { (t.prefill_changed) ": " (count(PrefillChange::Changed))
                    @if !changed.is_empty() { " (" (changed.join(", ")) ")" } }
            }
            p.hint { (t.prefill_hint) }
            form #prefill-form method="post" action={ "/assessments/" (sheet.assessment.id) "/prefill" } {
                (csrf_field(w))
                div.actions { button.secondary type="submit" { (t.prefill_button) } }
            }
        }
    }
}

/// The supplier decides whether its buyer may count these answers in the supply chain figure
/// the buyer forwards to its own customers (the cascade). Owners and admins change it.
fn consent_panel(w: &Web, sheet: &Sheet, consent: ForwardingConsent, can_change: bool) -> Markup {
    let t = w.t();
    let choices = [
        (ForwardingConsent::None, t.consent_none),
        (ForwardingConsent::Anonymous, t.consent_anonymous),
        (ForwardingConsent::Named, t.consent_named),
    ];
    html! {
        section.card aria-labelledby="consent-heading" {
            h2 #consent-heading { (t.consent_title) }
            p.hint { (t.consent_lead) }
            @if can_change {
                form #consent-form method="post" action={ "/assessments/" (sheet.assessment.id) "/forwarding-consent" } {
                    (csrf_field(w))
                    fieldset {
                        legend { (t.consent_question) }
                        @for (value, label) in choices {
                            label.check {
                                input type="radio" name="consent" value=(value.as_str()) checked[consent == value];
                                " " (label)
                            }
                        }
                    }
                    div.actions { button.secondary type="submit" { (t.save) } }
                }
            } @else {
                p { @for (value, label) in choices { @if consent == value { (label) } } }
            }
        }
    }
}

struct Render<'a> {
    sheet: &'a Sheet,
    extras: &'a Extras,
    query: &'a SheetQuery,
    draft: Option<Draft<'a>>,
    refused: Vec<FieldError>,
}

fn sheet_page(w: &Web, r: &Render<'_>) -> Markup {
    let t = w.t();
    let sheet = r.sheet;
    let a = &sheet.assessment;
    let concerned = concerned_items(sheet, &r.extras.comments);
    let only_open = r.query.unanswered.is_some();
    let level = r.query.level().ok().flatten();
    let editable = sheet.can_answer && a.status.editable();
    html! {
        dl.facts {
            dt { (t.buyer) } dd { (a.buyer.name) }
            dt { (t.supplier) } dd { (a.supplier.name) }
            dt { (t.status) } dd { (status_badge(w, a)) }
            dt { (t.target_level) } dd { "Lv" (a.target_level) }
            dt { (t.due_date) } dd { (layout::date(w, a.due_date)) }
        }
        @match r.query.done.as_deref() {
            Some("submitted") => (layout::notice("ok", t.submitted_ok)),
            Some("accepted") => (layout::notice("ok", t.accepted_ok)),
            Some("changes_requested") => (layout::notice("ok", t.changes_requested_ok)),
            Some("saved") => (layout::notice("ok", t.saved)),
            Some("consent") => (layout::notice("ok", t.consent_saved)),
            Some("prefilled") => (layout::notice("ok", t.prefilled_ok)),
            Some("workbook") => (layout::notice("ok", t.workbook_saved)),
            _ => {}
        }
        @if sheet.side == Side::Supplier && a.status == Status::ChangesRequested {
            (layout::notice("error", t.changes_requested_banner))
        }
        @if sheet.side == Side::Supplier && matches!(a.status, Status::Submitted | Status::Accepted) {
            (layout::notice("warn", t.read_only))
        }
        (progress_panel(w, sheet))
        @if let Some(plan) = r.extras.prefill.as_ref().filter(|p| editable && !offered(sheet, p).is_empty()) {
            (prefill_panel(w, sheet, plan))
        }
        (super::workbook::panel(w, a.id, editable))
        form.filters method="get" action={ "/assessments/" (a.id) } {
            div {
                label for="level" { (t.level) }
                select #level name="level" {
                    option value="" { (t.all_levels) }
                    @for l in 1..=3u8 { option value=(l) selected[level == Some(l)] { "Lv" (l) } }
                }
            }
            label.check for="unanswered" {
                input #unanswered type="checkbox" name="unanswered" value="1" checked[only_open];
                " " (t.unanswered_only)
            }
            button.secondary type="submit" { (t.apply) }
        }
        @for c in &sheet.categories {
            @let sections: Vec<(&kensa_domain::assessments::sheet::SheetSection, Vec<&Question>)> = c.sections.iter().map(|s| {
                (s, s.questions.iter()
                    .filter(|q| level.is_none_or(|l| q.level == l))
                    .filter(|q| !only_open || open(sheet, q))
                    .collect())
            }).filter(|(_, qs): &(_, Vec<&Question>)| !qs.is_empty()).collect();
            @if !sections.is_empty() {
                section.category aria-labelledby={ "cat-" (c.number) } {
                    @let english = w.lang == crate::web::i18n::Lang::En;
                    h2 id={ "cat-" (c.number) } {
                        (c.number) ". " (c.name_en.as_deref().filter(|_| english).unwrap_or(&c.name))
                    }
                    @let purpose = c.purpose_en.as_deref().filter(|_| english).unwrap_or(&c.purpose);
                    @if !purpose.is_empty() { p.purpose { strong { (t.purpose) ": " } (purpose) } }
                    @for (s, questions) in &sections {
                        @let requirement = s.requirement_en.as_deref().filter(|_| english).unwrap_or(&s.requirement);
                        @if !requirement.is_empty() { h3 { (s.code) " " (requirement) } }
                        @for q in questions {
                            @let draft = r.draft.as_ref().filter(|d| d.no == q.no);
                            (item_card(w, sheet, r.extras, q, &concerned, draft, false))
                        }
                    }
                }
            }
        }
        section aria-labelledby="general-comments" {
            h2 #general-comments { (t.comments) }
            (comment_list(w, sheet, r.extras, None))
            @if sheet.can_answer || sheet.can_review { (comment_form(w, sheet, None)) }
        }
        @if editable { (submit_panel(w, sheet, &r.refused)) }
        @if let (Side::Supplier, Some(consent)) = (sheet.side, r.extras.consent) {
            (consent_panel(w, sheet, consent, w.tenant().is_some_and(|c| matches!(c.role(), Role::Owner | Role::Admin))))
        }
        @if sheet.can_review && a.status == Status::Submitted { (review_panel(w, sheet)) }
    }
}

fn title(sheet: &Sheet) -> String {
    format!("{} — {}", sheet.assessment.supplier.name, sheet.assessment.buyer.name)
}

async fn render(w: &Web, id: Uuid, query: &SheetQuery, status: StatusCode) -> ApiResult<HttpResponse> {
    let Some(ctx) = w.tenant() else { return Err(DomainError::NotFound("assessment").into()) };
    let sheet = sheet(&w.state.kensa, ctx, id).await?;
    let extras = extras(w, ctx, &sheet).await?;
    let body = sheet_page(w, &Render { sheet: &sheet, extras: &extras, query, draft: None, refused: Vec::new() });
    Ok(layout::respond(w, status, layout::page(w, &title(&sheet), body)))
}

pub async fn show(w: Web, id: web::Path<Uuid>, query: web::Query<SheetQuery>) -> ApiResult<HttpResponse> {
    signed_in!(w);
    query.level()?;
    render(&w, *id, &query, StatusCode::OK).await
}

fn from_script(req: &HttpRequest) -> bool {
    req.headers().get("x-requested-with").is_some_and(|v| v == "fetch")
}

pub(crate) fn parse_input(form: &Form) -> Result<AnswerInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let status = match AnswerStatus::ALL.into_iter().find(|s| s.as_str() == form.get("status")) {
        Some(s) => Some(s),
        None => {
            errors.push(FieldError::new("status", ErrorCode::Required, "choose an answer"));
            None
        }
    };
    let due = match form.opt("remediation_due") {
        None => None,
        Some(text) => match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(FieldError::new("remediation_due", ErrorCode::InvalidValue, "a date, YYYY-MM-DD"));
                None
            }
        },
    };
    let remediable = status.is_some_and(AnswerStatus::takes_remediation);
    let not_applicable = status.is_some_and(AnswerStatus::takes_reason);
    match (status, errors.is_empty()) {
        (Some(status), true) => Ok(AnswerInput {
            status,
            comment: form.opt("comment"),
            // Fields the chosen answer does not use are hidden on the page; what they still
            // hold is not part of this answer.
            reason: form.opt("reason").filter(|_| not_applicable),
            remediation_plan: form.opt("remediation_plan").filter(|_| remediable),
            remediation_due: due.filter(|_| remediable),
        }),
        _ => Err(errors),
    }
}

/// Saves one item; see the module's note on concurrent saves.
pub async fn save_item(req: HttpRequest, posted: Posted, path: web::Path<(Uuid, u32)>) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let ctx = signed_in!(w);
    let (id, no) = path.into_inner();
    let k = &w.state.kensa;
    // Three writes that each lost to a colleague's: show the item as it is now, keep the text.
    let mut outcome: Result<(), (Vec<FieldError>, bool)> = Err((Vec::new(), true));
    for _attempt in 0..3 {
        let current = sheet(k, ctx, id).await?;
        let question = current.questions().find(|q| q.no == no).ok_or(DomainError::NotFound("item"))?;
        if form.get("basis") != basis(question.answer.as_ref()) {
            outcome = Err((Vec::new(), true));
            break;
        }
        let input = match parse_input(&form) {
            Ok(input) => input,
            Err(errors) => {
                outcome = Err((errors, false));
                break;
            }
        };
        let version = IfMatch::Version(current.assessment.version);
        match answers::save(k, ctx, id, vec![(no, input)], version, true).await {
            Ok(_) => {
                outcome = Ok(());
                break;
            }
            // Another item (or this one) changed between the read and the write: look again.
            Err(DomainError::PreconditionFailed { .. }) => continue,
            Err(e @ (DomainError::Validation(_) | DomainError::Unprocessable { .. })) => {
                outcome = Err((field_errors(&e), false));
                break;
            }
            Err(e) => return Err(e.into()),
        }
    }
    let script = from_script(&req);
    let sheet = sheet(k, ctx, id).await?;
    match outcome {
        Ok(()) if !script => Ok(redirect(&format!("/assessments/{id}?done=saved#item-{no}"))),
        Ok(()) => {
            let extras = extras(&w, ctx, &sheet).await?;
            Ok(fragment(&w, &sheet, &extras, no, None, StatusCode::OK, true))
        }
        Err((errors, conflict)) => {
            let status = if conflict { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
            let draft = Draft { no, form: &form, errors, conflict };
            let extras = extras(&w, ctx, &sheet).await?;
            if script {
                return Ok(fragment(&w, &sheet, &extras, no, Some(&draft), status, false));
            }
            let query = SheetQuery::default();
            let body = sheet_page(
                &w,
                &Render { sheet: &sheet, extras: &extras, query: &query, draft: Some(draft), refused: Vec::new() },
            );
            Ok(layout::respond(&w, status, layout::page(&w, &title(&sheet), body)))
        }
    }
}

/// The parts of the page a script replaces after saving one item.
fn fragment(
    w: &Web,
    sheet: &Sheet,
    extras: &Extras,
    no: u32,
    draft: Option<&Draft<'_>>,
    status: StatusCode,
    just_saved: bool,
) -> HttpResponse {
    let concerned = concerned_items(sheet, &extras.comments);
    let markup = html! {
        @if let Some(q) = sheet.questions().find(|q| q.no == no) {
            (item_card(w, sheet, extras, q, &concerned, draft, just_saved))
        }
        (progress_panel(w, sheet))
        (submit_panel(w, sheet, &[]))
    };
    layout::respond(w, status, markup)
}

fn version_of(form: &Form) -> IfMatch {
    form.get("version").parse::<i32>().map_or(IfMatch::Any, IfMatch::Version)
}

pub async fn submit(posted: Posted, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let ctx = signed_in!(w);
    let id = *id;
    match answers::submit(&w.state.kensa, ctx, id, version_of(&form)).await {
        Ok(()) => Ok(redirect(&format!("/assessments/{id}?done=submitted"))),
        Err(e @ (DomainError::Unprocessable { .. } | DomainError::PreconditionFailed { .. })) => {
            let sheet = sheet(&w.state.kensa, ctx, id).await?;
            let extras = extras(&w, ctx, &sheet).await?;
            let query = SheetQuery::default();
            let refused = match &e {
                DomainError::PreconditionFailed { .. } => {
                    vec![FieldError::new("version", ErrorCode::PreconditionFailed, w.t().changed_meanwhile)]
                }
                _ => field_errors(&e),
            };
            let status = match e {
                DomainError::PreconditionFailed { .. } => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let body = sheet_page(&w, &Render { sheet: &sheet, extras: &extras, query: &query, draft: None, refused });
            Ok(layout::respond(&w, status, layout::page(&w, &title(&sheet), body)))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn review(posted: Posted, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let ctx = signed_in!(w);
    let id = *id;
    let decision = match form.get("decision") {
        "accept" => Decision::Accept,
        "request_changes" => Decision::RequestChanges,
        _ => {
            return Err(
                DomainError::validation("decision", ErrorCode::InvalidValue, "accept or request_changes").into()
            );
        }
    };
    let mut items: Vec<ItemComment> = Vec::new();
    for (name, value) in form.pairs() {
        if let Some(no) = name.strip_prefix("item_").and_then(|n| n.parse::<u32>().ok())
            && !value.trim().is_empty()
        {
            items.push(ItemComment { no, comment: value.trim().to_owned() });
        }
    }
    items.sort_by_key(|i| i.no);
    let input = ReviewInput { decision, comment: form.opt("comment"), items };
    review::review(&w.state.kensa, ctx, id, input, version_of(&form)).await?;
    let done = match decision {
        Decision::Accept => "accepted",
        Decision::RequestChanges => "changes_requested",
    };
    Ok(redirect(&format!("/assessments/{id}?done={done}")))
}

pub async fn prefill(posted: Posted, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let Posted { w, .. } = posted;
    let ctx = signed_in!(w);
    let id = *id;
    // No version: the page's own saves move it on without reloading the panel, and a prefill
    // plans under the row lock and never overwrites a confirmed answer.
    library::prefill(&w.state.kensa, ctx, id, IfMatch::Any).await?;
    Ok(redirect(&format!("/assessments/{id}?done=prefilled")))
}

pub async fn set_consent(posted: Posted, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let ctx = signed_in!(w);
    let id = *id;
    let Some(consent) = ForwardingConsent::parse(form.get("consent")) else {
        // Another organization's assessment is not found, whatever was posted.
        supply_chain::consent(&w.state.kensa, ctx, id).await?;
        return Err(DomainError::validation("consent", ErrorCode::InvalidValue, "none, anonymous or named").into());
    };
    supply_chain::set_consent(&w.state.kensa, ctx, id, SetForwardingConsent { consent }).await?;
    Ok(redirect(&format!("/assessments/{id}?done=consent#consent-heading")))
}

pub async fn add_comment(posted: Posted, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let Posted { w, form } = posted;
    let ctx = signed_in!(w);
    let id = *id;
    let item_no = match form.opt("item_no") {
        None => None,
        Some(n) => Some(n.parse::<u32>().map_err(|_| {
            ApiError::from(DomainError::validation("item_no", ErrorCode::InvalidValue, "an item number"))
        })?),
    };
    let visibility = if form.opt("internal").is_some() { Visibility::Internal } else { Visibility::Shared };
    let input = CommentInput { item_no, body: form.get("body").to_owned(), visibility: Some(visibility) };
    review::add_comment(&w.state.kensa, ctx, id, input).await?;
    let anchor = item_no.map_or_else(|| "general-comments".to_owned(), |n| format!("item-{n}"));
    Ok(redirect(&format!("/assessments/{id}#{anchor}")))
}

pub async fn download(w: Web, path: web::Path<(Uuid, Uuid)>) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(w);
    let (id, evidence_id) = path.into_inner();
    crate::rest::evidence::file_response(&w.state, ctx, id, evidence_id).await
}

pub async fn delete_evidence(posted: Posted, path: web::Path<(Uuid, Uuid)>) -> ApiResult<HttpResponse> {
    let w = posted.w;
    let ctx = signed_in!(w);
    let (id, evidence_id) = path.into_inner();
    let row = evidence::list(&w.state.kensa, ctx, id).await?.into_iter().find(|e| e.id == evidence_id);
    evidence::delete(&w.state.kensa, ctx, id, evidence_id, IfMatch::Any).await?;
    let anchor = row.and_then(|r| r.item_no).map_or_else(String::new, |n| format!("#item-{n}"));
    Ok(redirect(&format!("/assessments/{id}{anchor}")))
}
