//! Schema-only types for the OpenAPI document (`openapi` feature): the closed sets that the
//! wire carries as plain strings, and the shapes of JSON values stored as documents. Fields
//! point at them with `#[schema(value_type = …)]`; the values themselves are made where they
//! always were, so these types say what the server sends and checks without changing it.

#![allow(dead_code)]

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use crate::assessments::Status;
use crate::templates::AnswerStatus;
use crate::users::model::Locale;

/// The only token type.
#[derive(utoipa::ToSchema)]
pub enum TokenType {
    Bearer,
}

/// `old_value` / `new_value` of a history event, by `kind`: `created` → [`CreatedValue`];
/// `status_changed` → the [`Status`] before and after; `answer_changed` → the
/// [`AnswerSnapshot`] before (null for a first answer) and after; `comment_added` →
/// [`CommentRef`]; `evidence_added` / `evidence_deleted` → [`EvidenceRef`] (the other side
/// null).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum HistoryValue {
    Status(Status),
    Answer(AnswerSnapshot),
    Created(CreatedValue),
    Comment(CommentRef),
    Evidence(EvidenceRef),
}

/// An answer as it was saved.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AnswerSnapshot {
    pub status: AnswerStatus,
    #[schema(required)]
    pub comment: Option<String>,
    #[schema(required)]
    pub reason: Option<String>,
    #[schema(required)]
    pub remediation_plan: Option<String>,
    #[schema(required)]
    pub remediation_due: Option<NaiveDate>,
}

/// The assessment was created by a campaign.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedValue {
    pub status: Status,
    pub campaign_id: Uuid,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CommentRef {
    pub comment_id: Uuid,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EvidenceRef {
    pub evidence_id: Uuid,
    pub file_name: String,
    /// In `evidence_added` only.
    pub sha256: Option<String>,
}

/// The body of `POST /api/v1/suppliers`: `SupplierPatch` with `name` and `contact_email`
/// required. The server reads both as `suppliers::SupplierInput` and names each missing field
/// in a 422; a test keeps the two schemas' properties equal.
#[derive(utoipa::ToSchema)]
pub struct SupplierCreate {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(max_length = 200)]
    pub contact_name: Option<String>,
    #[schema(max_length = 254)]
    pub contact_email: String,
    /// Defaults to `ja`.
    pub contact_locale: Option<Locale>,
    #[schema(max_length = 200)]
    pub tier: Option<String>,
    /// 1–3; defaults to 1 (expected of every company).
    #[schema(minimum = 1, maximum = 3)]
    pub target_level: Option<i32>,
    /// 1–60 months; defaults to 12.
    #[schema(minimum = 1, maximum = 60)]
    pub review_interval_months: Option<i32>,
    /// At most 20 one-line tags of at most 50 characters, without `|`.
    #[schema(max_items = 20)]
    pub tags: Option<Vec<String>>,
}
