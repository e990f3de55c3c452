//! The gaps of one assessment: the in-scope items that keep it from its target, with what the
//! supplier plans to do about them. What a reviewer works through after reading the score,
//! and what the supplier's remediation follow-up is about.
//!
//! A gap is an item answered `not_implemented` or `partially_implemented` (and, on request,
//! one not answered yet: it counts as earning nothing). `not_applicable` items are excluded
//! from the score and so are never gaps. Read whole, like the questionnaire: a template is
//! bounded (at most a few thousand items), and a client shows the list at once.

use chrono::NaiveDate;
use serde::Serialize;
use tracing::instrument;
use uuid::Uuid;

use crate::Kensa;
use crate::assessments::service::answer_view;
use crate::assessments::{access, repo};
use crate::error::{DomainError, DomainResult};
use crate::templates::AnswerStatus;
use crate::tenant::TenantCtx;

/// A category as an item names it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct CategoryRef {
    /// The category's number in the template (1–24 in the JAMA/JAPIA check sheet).
    pub number: u32,
    /// Its name in the template's language.
    pub name: String,
    /// Its name in English, where the template has one.
    pub name_en: Option<String>,
}

/// One in-scope item that is not (fully) implemented.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Gap {
    /// The item's number (No.1–No.153 in the JAMA/JAPIA check sheet).
    pub no: u32,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3))]
    pub level: u8,
    pub category: CategoryRef,
    /// The section's code (`6-1`).
    pub section: String,
    /// The requirement (要求事項).
    pub question: String,
    /// The question in English, where the template has a translation (the built-in check
    /// sheet's is Kensa's: see the template's `translation`).
    pub question_en: Option<String>,
    /// `not_implemented` or `partially_implemented`; `null` for an item not answered yet
    /// (listed only when unanswered items are asked for).
    pub status: Option<AnswerStatus>,
    pub remediation_plan: Option<String>,
    /// When the supplier plans to have implemented it.
    pub remediation_due: Option<NaiveDate>,
    /// `remediation_due` is before today: the plan's date passed.
    pub overdue_remediation: bool,
    /// The supplier's comment on the answer.
    pub comment: Option<String>,
}

/// Whether an answer (or its absence) leaves the item open.
fn is_gap(status: Option<AnswerStatus>, include_unanswered: bool) -> bool {
    match status {
        Some(AnswerStatus::NotImplemented | AnswerStatus::PartiallyImplemented) => true,
        Some(AnswerStatus::Implemented | AnswerStatus::NotApplicable) => false,
        None => include_unanswered,
    }
}

/// The open items of the assessment, by level and then by item number (the order a
/// supplier works through them: Lv1 is what every company is expected to meet). Either side.
#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn of_assessment(k: &Kensa, ctx: &TenantCtx, id: Uuid, include_unanswered: bool) -> DomainResult<Vec<Gap>> {
    let visible = access::load(&k.db, ctx, id).await?;
    let content = k.template_contents.load(&k.db, visible.row().template_id).await?;
    let answers = repo::answers(&k.db, &visible).await?;
    let today = k.today();
    let mut gaps = Vec::new();
    for (category, section, item) in content.0.items() {
        if i32::from(item.level) > visible.row().target_level {
            continue;
        }
        let answer = match answers.get(&i32::try_from(item.no).map_err(DomainError::internal)?) {
            Some(row) => Some(answer_view(row)?),
            None => None,
        };
        let status = answer.as_ref().map(|a| a.status);
        if !is_gap(status, include_unanswered) {
            continue;
        }
        let (remediation_plan, remediation_due, comment) =
            answer.map_or((None, None, None), |a| (a.remediation_plan, a.remediation_due, a.comment));
        gaps.push(Gap {
            no: item.no,
            level: item.level,
            category: CategoryRef {
                number: category.number,
                name: category.name.clone(),
                name_en: category.name_en.clone(),
            },
            section: section.code.clone(),
            question: item.question.clone(),
            question_en: item.question_en.clone(),
            status,
            remediation_plan,
            overdue_remediation: remediation_due.is_some_and(|due| due < today),
            remediation_due,
            comment,
        });
    }
    gaps.sort_by_key(|g| (g.level, g.no));
    Ok(gaps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_answers_that_fall_short_are_gaps_and_unanswered_ones_on_request() {
        use AnswerStatus::*;
        for include_unanswered in [false, true] {
            assert!(is_gap(Some(NotImplemented), include_unanswered));
            assert!(is_gap(Some(PartiallyImplemented), include_unanswered));
            assert!(!is_gap(Some(Implemented), include_unanswered));
            assert!(!is_gap(Some(NotApplicable), include_unanswered), "excluded from the score, never a gap");
            assert_eq!(is_gap(None, include_unanswered), include_unanswered);
        }
    }
}
