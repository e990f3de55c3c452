use crate::error::ErrorCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::DomainError;
use crate::templates::AnswerStatus;

/// The assessment's state. Transitions are methods that refuse what the state machine
/// does not allow, naming the current state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Sent,
    InProgress,
    Submitted,
    ChangesRequested,
    Accepted,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Sent,
        Status::InProgress,
        Status::Submitted,
        Status::ChangesRequested,
        Status::Accepted,
        Status::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Sent => "sent",
            Status::InProgress => "in_progress",
            Status::Submitted => "submitted",
            Status::ChangesRequested => "changes_requested",
            Status::Accepted => "accepted",
            Status::Cancelled => "cancelled",
        }
    }

    /// The states in which the supplier is working on the answers: answers and evidence can
    /// change, the assessment can be submitted or cancelled, and due dates are chased. The one
    /// list every rule and query uses.
    pub const EDITABLE: [Status; 3] = [Status::Sent, Status::InProgress, Status::ChangesRequested];

    /// A client-supplied value (e.g. a `?status=` filter); `None` is the caller's 422.
    /// Stored values go through `TryFrom<&str>`, which fails loudly instead.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Answers and evidence can change only while the supplier is working on them.
    pub fn editable(self) -> bool {
        Self::EDITABLE.contains(&self)
    }

    /// Due dates are chased only while the supplier owes an answer.
    pub fn open(self) -> bool {
        self.editable()
    }

    fn refuse(self, what: &str) -> DomainError {
        DomainError::conflict(
            ErrorCode::InvalidTransition,
            format!("cannot {what}: the assessment is {}", self.as_str()),
        )
    }

    pub fn ensure_editable(self) -> Result<(), DomainError> {
        if self.editable() {
            Ok(())
        } else {
            let [a, b, c] = Self::EDITABLE.map(Status::as_str);
            Err(DomainError::conflict(
                ErrorCode::AssessmentLocked,
                format!(
                    "answers cannot change: the assessment is {} (editable only while {a}, {b} or {c})",
                    self.as_str()
                ),
            ))
        }
    }

    /// The first answer moves `sent` to `in_progress`; other editable states stay.
    pub fn after_answer(self) -> Result<Status, DomainError> {
        self.ensure_editable()?;
        Ok(if self == Status::Sent { Status::InProgress } else { self })
    }

    pub fn submit(self) -> Result<Status, DomainError> {
        if self.editable() { Ok(Status::Submitted) } else { Err(self.refuse("submit")) }
    }

    pub fn accept(self) -> Result<Status, DomainError> {
        if self == Status::Submitted { Ok(Status::Accepted) } else { Err(self.refuse("accept")) }
    }

    pub fn request_changes(self) -> Result<Status, DomainError> {
        if self == Status::Submitted { Ok(Status::ChangesRequested) } else { Err(self.refuse("request changes")) }
    }

    pub fn cancel(self) -> Result<Status, DomainError> {
        if self.editable() { Ok(Status::Cancelled) } else { Err(self.refuse("cancel")) }
    }
}

/// A stored `assessments.status`: an unknown value is a corrupt row, a 500, never a default.
impl TryFrom<&str> for Status {
    type Error = DomainError;
    fn try_from(s: &str) -> Result<Self, DomainError> {
        Self::parse(s).ok_or_else(|| crate::error::unknown_stored("assessment status", s))
    }
}

crate::closed_set::closed_set! {
    /// Which side of the assessment the caller is on (also a list filter).
    #[cfg_attr(feature = "openapi", schema(as = AssessmentSide))]
    #[cfg_attr(feature = "graphql", graphql(name = "AssessmentSide"))]
    pub enum Side("assessment side") { Buyer => "buyer", Supplier => "supplier" }
}

crate::closed_set::closed_set! {
    /// Who sees a comment: both sides, or only the buyer.
    pub enum Visibility("comment visibility") { Shared => "shared", Internal => "internal" }
}

crate::closed_set::closed_set! {
    /// What a history event records; it decides the shape of `old_value` and `new_value`.
    pub enum HistoryKind("history event kind") {
        Created => "created",
        StatusChanged => "status_changed",
        AnswerChanged => "answer_changed",
        CommentAdded => "comment_added",
        EvidenceAdded => "evidence_added",
        EvidenceDeleted => "evidence_deleted",
        /// The supplier's progress on a remediation after acceptance.
        RemediationUpdated => "remediation_updated",
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct PartyRef {
    pub id: Uuid,
    pub name: String,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Progress {
    pub answered: usize,
    pub total: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
// `score` is resolved in `scoring::graphql` (GraphQL only: REST has `GET …/score`).
#[cfg_attr(feature = "graphql", graphql(complex))]
pub struct Assessment {
    pub id: Uuid,
    pub status: Status,
    pub template_id: Uuid,
    pub campaign_id: Option<Uuid>,
    /// A re-review: the accepted assessment whose answers were carried over.
    pub follows_assessment_id: Option<Uuid>,
    pub target_level: i32,
    pub due_date: NaiveDate,
    /// Due date passed and not yet submitted.
    pub overdue: bool,
    pub buyer: PartyRef,
    /// The supplier as the buyer registered it.
    pub supplier: PartyRef,
    /// The supplier's Kensa organization, once linked.
    pub supplier_organization_id: Option<Uuid>,
    pub progress: Progress,
    /// Also the `ETag`; send it back in `If-Match` to write safely.
    pub version: i32,
    pub submitted_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The last write to the assessment (status, answers, evidence, linking): what
    /// `?updated_since=` compares.
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Answer {
    pub no: u32,
    pub status: AnswerStatus,
    pub comment: Option<String>,
    pub reason: Option<String>,
    pub remediation_plan: Option<String>,
    pub remediation_due: Option<NaiveDate>,
    pub answered_by: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
    /// Copied from the last accepted review and not yet confirmed (saving it confirms it).
    pub carried_over: bool,
    /// Remediation progress recorded after acceptance.
    pub remediation_done_at: Option<DateTime<Utc>>,
    pub remediation_note: Option<String>,
}

/// An answer as a client sends it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    pub status: AnswerStatus,
    #[cfg_attr(feature = "openapi", schema(max_length = 10000))]
    pub comment: Option<String>,
    /// Required for `not_applicable`.
    #[cfg_attr(feature = "openapi", schema(max_length = 10000))]
    pub reason: Option<String>,
    /// Only for `not_implemented` and `partially_implemented`.
    #[cfg_attr(feature = "openapi", schema(max_length = 10000))]
    pub remediation_plan: Option<String>,
    /// Only for `not_implemented` and `partially_implemented`.
    pub remediation_due: Option<NaiveDate>,
}

/// One in-scope item with its current answer.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Question {
    pub no: u32,
    pub level: u8,
    pub level_inferred: bool,
    pub category: u32,
    pub category_name: String,
    pub section: String,
    pub question: String,
    pub criteria: Vec<String>,
    pub scope: Vec<String>,
    pub frequency: Vec<String>,
    pub notes: Vec<String>,
    /// The category's name in English, where the template has one.
    pub category_name_en: Option<String>,
    /// The question in English where the template has a translation (the built-in check
    /// sheet's is Kensa's, not the association's: see the template's `translation`).
    pub question_en: Option<String>,
    /// `criteria` in English line by line; empty without a translation.
    pub criteria_en: Vec<String>,
    pub scope_en: Vec<String>,
    pub frequency_en: Vec<String>,
    pub notes_en: Vec<String>,
    /// What cites the item in the crosswalk (METI SCS criteria and ★, ISO/IEC 27001, NIST
    /// CSF; indicative); null for an item that is not the check sheet's (by number and
    /// Japanese question). An item no criterion cites has empty references.
    // GraphQL cost 1: reference data of a few short fields, not a query of its own.
    #[cfg_attr(feature = "graphql", graphql(complexity = 1))]
    pub references: Option<crate::crosswalk::ItemReferences>,
    pub answer: Option<Answer>,
}

// `Deserialize`: GraphQL replays a stored result for a repeated `idempotencyKey`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Comment {
    pub id: Uuid,
    pub item_no: Option<i32>,
    pub author_user_id: Option<Uuid>,
    pub author_organization_id: Uuid,
    /// `shared` with the supplier or `internal` to the buyer.
    pub visibility: Visibility,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct HistoryEvent {
    pub id: Uuid,
    /// What happened; it decides the shape of `old_value` and `new_value`.
    pub kind: HistoryKind,
    pub item_no: Option<i32>,
    pub actor_user_id: Option<Uuid>,
    pub actor_organization_id: Option<Uuid>,
    #[cfg_attr(feature = "graphql", graphql(skip))]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::wire::HistoryValue>))]
    pub old_value: Option<serde_json::Value>,
    #[cfg_attr(feature = "graphql", graphql(skip))]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::wire::HistoryValue>))]
    pub new_value: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_assessment_status_reads_back_as_itself() -> Result<(), DomainError> {
        for status in Status::ALL {
            assert_eq!(Status::try_from(status.as_str())?, status);
        }
        Ok(())
    }

    #[test]
    fn an_unknown_stored_assessment_status_is_an_internal_error_not_cancelled() {
        let read = Status::try_from("archived");
        assert!(matches!(&read, Err(DomainError::Internal(m)) if m.contains("archived")), "{read:?}");
        assert!(Status::try_from("").is_err());
        assert!(Status::try_from("Cancelled").is_err(), "stored values are exact");
    }

    #[test]
    fn answers_are_editable_exactly_in_the_editable_states() {
        for status in Status::ALL {
            assert_eq!(status.editable(), Status::EDITABLE.contains(&status), "{status:?}");
            assert_eq!(status.ensure_editable().is_ok(), status.editable(), "{status:?}");
            assert_eq!(status.open(), status.editable(), "{status:?}");
        }
        assert_eq!(Status::EDITABLE, [Status::Sent, Status::InProgress, Status::ChangesRequested]);
    }

    #[test]
    fn a_locked_assessment_names_the_editable_states() {
        let refused = Status::Submitted.ensure_editable();
        assert!(
            matches!(&refused, Err(DomainError::Conflict { code: ErrorCode::AssessmentLocked, detail })
                if detail.ends_with("(editable only while sent, in_progress or changes_requested)")),
            "{refused:?}"
        );
    }
}
