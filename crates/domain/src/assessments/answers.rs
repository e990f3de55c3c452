//! Saving answers (one or many, all or nothing) and submitting.

use crate::error::ErrorCode;
use std::collections::BTreeSet;

use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use super::access;
use super::history::{self, NewEvent};
use super::model::{Answer, AnswerInput, HistoryKind, Status};
use super::repo;
use super::service::{answer_view, scope};
use crate::Kensa;
use crate::entities::answers;
use crate::error::{DomainError, DomainResult, FieldError};
use crate::precondition::IfMatch;
use crate::templates::AnswerScale;
#[cfg(test)]
use crate::templates::AnswerStatus;
use crate::tenant::TenantCtx;

const MAX_TEXT: usize = 10_000;

/// Every rule an answer breaks, with `prefix` before each field (`items.12.`).
pub(crate) fn violations(input: &AnswerInput, scale: &AnswerScale, prefix: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let f = |name: &str| format!("{prefix}{name}");
    if !scale.entry(input.status).is_some_and(|e| e.enabled) {
        errors.push(FieldError::new(
            f("status"),
            ErrorCode::StatusNotAllowed,
            format!("{} is switched off for this checklist", input.status.as_str()),
        ));
    }
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
    if input.status.takes_reason() && blank(&input.reason) {
        errors.push(FieldError::new(f("reason"), ErrorCode::Required, "not_applicable needs a reason"));
    }
    if !input.status.takes_remediation() && (!blank(&input.remediation_plan) || input.remediation_due.is_some()) {
        errors.push(FieldError::new(
            f("remediation_plan"),
            ErrorCode::NotAllowed,
            "a remediation plan and date belong to not_implemented or partially_implemented answers",
        ));
    }
    if let Some(Err(e)) = input.remediation_due.map(|d| crate::text::date(&f("remediation_due"), d)) {
        errors.push(e);
    }
    for (name, value) in
        [("comment", &input.comment), ("reason", &input.reason), ("remediation_plan", &input.remediation_plan)]
    {
        if let Some(Err(e)) = value.as_deref().map(|v| crate::text::multi_line(&f(name), v, MAX_TEXT)) {
            errors.push(e);
        }
    }
    errors
}

type Kept<'a> = (&'a str, &'a Option<String>, &'a Option<String>, &'a Option<String>, Option<chrono::NaiveDate>);

/// The fields of an answer the history keeps: one list for [`same_answer`] and [`snapshot`].
fn kept(a: &answers::Model) -> Kept<'_> {
    (&a.status, &a.comment, &a.reason, &a.remediation_plan, a.remediation_due)
}

/// Whether the history would see a change between the two.
pub(crate) fn same_answer(a: &answers::Model, b: &answers::Model) -> bool {
    kept(a) == kept(b)
}

/// What the history keeps of an answer.
pub(crate) fn snapshot(a: &answers::Model) -> serde_json::Value {
    let (status, comment, reason, remediation_plan, remediation_due) = kept(a);
    json!({ "status": status, "comment": comment, "reason": reason,
        "remediation_plan": remediation_plan, "remediation_due": remediation_due })
}

pub(crate) fn trimmed(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The row `input` is written as for item `at` = (assessment, item) by the caller at `now`,
/// over `old` if the item had an answer: its creation time and remediation progress stay.
/// One place for a save and a prefill from the answer library.
pub(crate) fn answer_row(
    ctx: &TenantCtx,
    now: chrono::DateTime<chrono::Utc>,
    at: (Uuid, i32),
    input: AnswerInput,
    carried_over: bool,
    old: Option<&answers::Model>,
) -> answers::Model {
    answers::Model {
        assessment_id: at.0,
        item_no: at.1,
        status: input.status.as_str().to_owned(),
        comment: trimmed(input.comment),
        reason: trimmed(input.reason),
        remediation_plan: trimmed(input.remediation_plan),
        remediation_due: input.remediation_due,
        answered_by: ctx.user_id().map(|u| u.0),
        carried_over,
        remediation_done_at: old.and_then(|o| o.remediation_done_at),
        remediation_note: old.and_then(|o| o.remediation_note.clone()),
        remediation_followed_up_on: old.and_then(|o| o.remediation_followed_up_on),
        created_at: old.map_or(now, |o| o.created_at),
        updated_at: now,
    }
}

/// Saves `inputs` (item number → answer) as one change: validated as a whole, all saved or
/// none, one version bump. `single` switches error paths from `items.N.field` to `field`.
#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id, count = inputs.len()))]
pub async fn save(
    k: &Kensa,
    ctx: &TenantCtx,
    id: Uuid,
    inputs: Vec<(u32, AnswerInput)>,
    if_match: impl Into<IfMatch>,
    single: bool,
) -> DomainResult<(Vec<Answer>, i32)> {
    let if_match = if_match.into();
    let visible = access::load(&k.db, ctx, id).await?;
    let answerer = visible.answerer()?;
    if_match.check(k.require_if_match, visible.row().version)?;
    visible.status()?.after_answer()?;
    let template = k.template_contents.load(&k.db, visible.row().template_id).await?;
    let in_scope = scope(&template.0, visible.row().target_level);

    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    for (no, input) in &inputs {
        let prefix = if single { String::new() } else { format!("items.{no}.") };
        if !seen.insert(*no) {
            errors.push(FieldError::new(format!("items.{no}"), ErrorCode::Duplicate, format!("No.{no} appears twice")));
        }
        if !in_scope.contains(no) {
            errors.push(FieldError::new(
                if single { "no".to_owned() } else { format!("items.{no}") },
                ErrorCode::ItemNotInScope,
                format!("No.{no} is not in this assessment (items up to level {})", visible.row().target_level),
            ));
        }
        errors.extend(violations(input, &template.1, &prefix));
    }
    if inputs.is_empty() {
        errors.push(FieldError::new("answers", ErrorCode::Required, "send at least one answer"));
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }

    let now = k.now();
    let numbers: Vec<i32> = inputs.iter().map(|(no, _)| i32::try_from(*no).unwrap_or_default()).collect();
    let txn = k.begin_write().await?;
    let (_, version) = repo::advance(&txn, ctx, &visible, if_match, Status::after_answer).await?;
    // Read after the row lock: a colleague's save that committed first is the old value.
    let existing = repo::answers_to(&txn, answerer, numbers).await?;
    let (mut rows, mut events, mut saved) = (Vec::new(), Vec::new(), Vec::new());
    for (no, input) in inputs {
        let item_no = i32::try_from(no).map_err(DomainError::internal)?;
        let old = existing.get(&item_no);
        // Saving an answer confirms it, carried over or not.
        let row = answer_row(ctx, now, (id, item_no), input, false, old);
        saved.push(answer_view(&row)?);
        // Compared as fields: most of a re-saved checklist is unchanged, and building two
        // JSON values per item only to compare them was a measurable share of a bulk save.
        if !old.is_some_and(|old| same_answer(old, &row)) {
            let (old_value, new_value) = (old.map(snapshot), snapshot(&row));
            events.push(history::row(
                ctx,
                now,
                NewEvent {
                    assessment_id: id,
                    kind: HistoryKind::AnswerChanged,
                    item_no: Some(item_no),
                    old_value,
                    new_value: Some(new_value),
                },
            ));
        }
        rows.push(row);
    }
    repo::upsert_answers(&txn, answerer, &rows).await?;
    history::record(&txn, events).await?;
    txn.commit().await?;
    Ok((saved, version))
}

/// The supplier hands the answers over. Refused with every unanswered item listed.
#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn submit(k: &Kensa, ctx: &TenantCtx, id: Uuid, if_match: impl Into<IfMatch>) -> DomainResult<()> {
    let if_match = if_match.into();
    let visible = access::load(&k.db, ctx, id).await?;
    visible.answerer()?;
    if_match.check(k.require_if_match, visible.row().version)?;
    visible.status()?.submit()?;
    let template = k.template_contents.load(&k.db, visible.row().template_id).await?;
    let answered = repo::answers(&k.db, &visible).await?;
    let missing: Vec<FieldError> =
        open_items(&template.0, visible.row().target_level, &answered).into_iter().map(|(_, e)| e).collect();
    if !missing.is_empty() {
        return Err(DomainError::Unprocessable {
            code: ErrorCode::AssessmentIncomplete,
            detail: format!("{} in-scope items are not answered or not confirmed; see errors", missing.len()),
            errors: missing,
        });
    }
    let txn = k.begin_write().await?;
    repo::advance(&txn, ctx, &visible, if_match, Status::submit).await?;
    // Scored inside the transaction: the row lock taken by `advance` keeps answers still.
    crate::scoring::snapshot::record(k, &txn, visible.row()).await?;
    let unreferenced = crate::library::record_submitted(&txn, ctx, &visible, txn.now()).await?;
    crate::audit::record_action(&txn, ctx, "assessment.submitted", Some(("assessment", id.to_string())), json!({}))
        .await?;
    txn.commit().await?;
    crate::library::release(k, unreferenced).await;
    Ok(())
}

/// Every in-scope item that keeps an assessment from being submitted, with the reason:
/// unanswered, `not_applicable` without a reason, or carried over and not yet confirmed.
pub(crate) fn open_items(
    content: &crate::templates::model::Content,
    target_level: i32,
    answered: &std::collections::HashMap<i32, answers::Model>,
) -> Vec<(u32, FieldError)> {
    let mut open = Vec::new();
    for no in scope(content, target_level) {
        let problem = match answered.get(&i32::try_from(no).unwrap_or_default()) {
            None => FieldError::new(format!("items.{no}"), ErrorCode::Unanswered, format!("No.{no} has no answer")),
            Some(a) if a.status == "not_applicable" && a.reason.is_none() => {
                FieldError::new(format!("items.{no}.reason"), ErrorCode::Required, "not_applicable needs a reason")
            }
            Some(a) if a.carried_over => FieldError::new(
                format!("items.{no}"),
                ErrorCode::CarriedOver,
                format!("No.{no} was carried over from the last review: confirm or change it"),
            ),
            Some(_) => continue,
        };
        open.push((no, problem));
    }
    open
}

/// The answer rules without HTTP or a database.
#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: AnswerStatus) -> AnswerInput {
        AnswerInput { status, comment: None, reason: None, remediation_plan: None, remediation_due: None }
    }

    fn codes(input: &AnswerInput, scale: &AnswerScale) -> Vec<(String, &'static str)> {
        violations(input, scale, "items.7.").into_iter().map(|e| (e.field, e.code.as_str())).collect()
    }

    #[test]
    fn not_applicable_needs_a_reason_that_is_not_blank() {
        let scale = AnswerScale::default();
        let mut input = answer(AnswerStatus::NotApplicable);
        assert_eq!(codes(&input, &scale), vec![("items.7.reason".to_owned(), "required")]);
        input.reason = Some("   ".into());
        assert_eq!(codes(&input, &scale), vec![("items.7.reason".to_owned(), "required")]);
        input.reason = Some("No contractors".into());
        assert!(codes(&input, &scale).is_empty());
    }

    #[test]
    fn remediation_belongs_only_to_answers_that_fall_short() {
        let scale = AnswerScale::default();
        let due = chrono::NaiveDate::from_ymd_opt(2027, 4, 30);
        for status in [AnswerStatus::NotImplemented, AnswerStatus::PartiallyImplemented] {
            let input =
                AnswerInput { remediation_plan: Some("Next year".into()), remediation_due: due, ..answer(status) };
            assert!(codes(&input, &scale).is_empty(), "{status:?}");
        }
        for status in [AnswerStatus::Implemented, AnswerStatus::NotApplicable] {
            let input = AnswerInput { reason: Some("n/a".into()), remediation_due: due, ..answer(status) };
            assert_eq!(
                codes(&input, &scale),
                vec![("items.7.remediation_plan".to_owned(), "not_allowed")],
                "{status:?}"
            );
        }
    }

    #[test]
    fn a_status_switched_off_by_the_template_is_refused() {
        let mut scale = AnswerScale::default();
        for entry in &mut scale.statuses {
            if entry.status == AnswerStatus::PartiallyImplemented {
                entry.enabled = false;
            }
        }
        let input = answer(AnswerStatus::PartiallyImplemented);
        assert_eq!(codes(&input, &scale), vec![("items.7.status".to_owned(), "status_not_allowed")]);
        assert!(codes(&answer(AnswerStatus::Implemented), &scale).is_empty());
    }

    #[test]
    fn every_problem_of_one_answer_is_listed_at_once() {
        let scale = AnswerScale::default();
        let input = AnswerInput {
            reason: None,
            remediation_due: chrono::NaiveDate::from_ymd_opt(1800, 1, 1),
            comment: Some("bad\u{0}".into()),
            ..answer(AnswerStatus::NotApplicable)
        };
        let fields: Vec<String> = codes(&input, &scale).into_iter().map(|(f, _)| f).collect();
        for field in ["items.7.reason", "items.7.remediation_plan", "items.7.remediation_due", "items.7.comment"] {
            assert!(fields.iter().any(|f| f == field), "{field} missing from {fields:?}");
        }
    }
}
