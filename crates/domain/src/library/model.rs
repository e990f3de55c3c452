//! What the answer library and a prefill show.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::templates::AnswerStatus;

/// An evidence file kept with a library answer.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct LibraryFile {
    pub id: Uuid,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
}

/// The library's answer to one item.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct LibraryAnswer {
    pub no: u32,
    pub status: AnswerStatus,
    pub comment: Option<String>,
    pub reason: Option<String>,
    pub remediation_plan: Option<String>,
    pub remediation_due: Option<NaiveDate>,
    /// The submitted assessment the answer was taken from; null once edited in the library.
    pub source_assessment_id: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
    pub evidence: Vec<LibraryFile>,
}

/// A supplier organization's answers to one template line (all its versions).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Library {
    /// The template the library was asked by (any version of the line).
    pub template_id: Uuid,
    pub template_name: String,
    /// By item number.
    pub items: Vec<LibraryAnswer>,
}

/// The fields of an answer that a prefill compares.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct GivenAnswer {
    pub status: AnswerStatus,
    pub comment: Option<String>,
    pub reason: Option<String>,
    pub remediation_plan: Option<String>,
    pub remediation_due: Option<NaiveDate>,
}

crate::closed_set::closed_set! {
    /// How the library's answer compares with the one last given to this buyer.
    pub enum PrefillChange("prefill change") {
        /// This buyer never got an answer to the item.
        New => "new",
        Unchanged => "unchanged",
        Changed => "changed",
    }
}

crate::closed_set::closed_set! {
    /// What a prefill does with an item.
    pub enum PrefillAction("prefill action") {
        /// Copied in, marked carried over until the supplier confirms or changes it.
        Prefill => "prefill",
        /// The assessment already has a confirmed answer: left as it is.
        KeepAnswer => "keep_answer",
        /// This buyer's checklist does not accept the library's answer (a status it
        /// switched off, or a rule the answer breaks): left for the supplier.
        NotAllowed => "not_allowed",
    }
}

/// One in-scope item the library has an answer for.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct PrefillItem {
    pub no: u32,
    pub action: PrefillAction,
    pub change: PrefillChange,
    pub library: GivenAnswer,
    /// The answer last submitted to this buyer, if any.
    pub last_given: Option<GivenAnswer>,
    /// Evidence files the prefill copies (references to the stored files).
    pub evidence: Vec<LibraryFile>,
}

/// What a prefill from the library does (preview) or did to an assessment.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct PrefillPlan {
    pub assessment_id: Uuid,
    /// The assessment this buyer last received from the supplier on the same line.
    pub last_given_in: Option<Uuid>,
    pub last_given_at: Option<DateTime<Utc>>,
    /// By item number.
    pub items: Vec<PrefillItem>,
    /// Answers written (0 in a preview; one already carried over as the library has it is
    /// not written again).
    pub prefilled: u32,
    /// The assessment's version after the prefill (its current version in a preview).
    pub version: i32,
}

/// One template line the organization's library has answers for.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct LibraryLine {
    /// The line's newest version: address the line's library by it.
    pub template_id: Uuid,
    pub template_name: String,
    /// Items the library answers.
    pub items: u32,
    /// The newest answer's time.
    pub updated_at: DateTime<Utc>,
}
