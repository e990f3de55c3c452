//! What sharing shows: shares, share requests and what a recipient may read.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::assessments::Question;
use crate::assessments::model::PartyRef;
use crate::closed_set::closed_set;
use crate::scoring::Score;

closed_set! {
    /// What a share lets its recipient read.
    pub enum ShareScope("share scope") {
        /// The score: per level, per category, the achieved level.
        Scores => "scores",
        /// The score and every answer (with remediation plans).
        Answers => "answers",
        /// The score, every answer and the evidence files.
        AnswersAndEvidence => "answers_and_evidence",
    }
}

impl ShareScope {
    pub fn answers(self) -> bool {
        !matches!(self, ShareScope::Scores)
    }

    pub fn evidence(self) -> bool {
        matches!(self, ShareScope::AnswersAndEvidence)
    }
}

closed_set! {
    /// What is shared: one submitted assessment as it was, or the answer library as it is.
    pub enum ShareKind("share kind") {
        /// A submitted assessment, frozen when shared: later changes do not reach it.
        Snapshot => "snapshot",
        /// The supplier's answer library for a template line: follows every change to it.
        Live => "live",
    }
}

closed_set! {
    /// Where a share stands.
    pub enum ShareState("share state") {
        /// Addressed to an email domain and not yet claimed by an organization there.
        Unclaimed => "unclaimed",
        /// The recipient may read it (after accepting its terms, when it has some).
        Active => "active",
        Expired => "expired",
        Revoked => "revoked",
    }
}

closed_set! {
    /// Which shares a list shows.
    pub enum ShareDirection("share direction") {
        /// Those the caller's organization made.
        Outgoing => "outgoing",
        /// Those made to the caller's organization (active ones only).
        Incoming => "incoming",
    }
}

closed_set! {
    /// The recipient's decision on what it was given.
    pub enum ShareReviewDecision("share review decision") {
        Accept => "accept",
        /// Asks the supplier for changes: an open share request to it, with the comment.
        RequestChanges => "request_changes",
    }
}

/// The recipient's latest review of a share.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ShareReview {
    pub decision: ShareReviewDecision,
    pub comment: Option<String>,
    pub reviewed_at: DateTime<Utc>,
}

/// A review of a share by its recipient.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct NewShareReview {
    pub decision: ShareReviewDecision,
    /// Required to ask for changes: what the supplier should change (the request's message).
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub comment: Option<String>,
}

/// What a review did: the share with its review, and the request to the supplier when it
/// asked for changes.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ShareReviewed {
    pub share: Share,
    pub request: Option<ShareRequest>,
}

closed_set! {
    /// Where a share request stands.
    pub enum ShareRequestStatus("share request status") {
        Open => "open",
        /// The supplier shared in answer to it (`share_id`).
        Fulfilled => "fulfilled",
        Declined => "declined",
        /// Withdrawn by the organization that asked.
        Cancelled => "cancelled",
    }
}

/// One share, as its owner and its recipient see it.
// Deserialize: a creation's answer is kept for an idempotent retry.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Share {
    pub id: Uuid,
    pub kind: ShareKind,
    pub state: ShareState,
    /// The supplier organization that shares.
    pub owner: PartyRef,
    /// Null while a share addressed to an email domain is unclaimed.
    pub recipient: Option<PartyRef>,
    pub recipient_domain: Option<String>,
    /// The shared assessment (snapshots; shown to the owner only).
    pub assessment_id: Option<Uuid>,
    pub template_id: Uuid,
    pub template_name: String,
    pub scope: ShareScope,
    /// Text the recipient must accept before reading (e.g. a confidentiality clause).
    pub terms: Option<String>,
    pub terms_accepted_at: Option<DateTime<Utc>>,
    /// The recipient's latest review; null until it reviews.
    pub review: Option<ShareReview>,
    pub share_request_id: Option<Uuid>,
    /// When the shared answers were given: a snapshot's submission; null for a live profile.
    pub submitted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The secret of a share addressed to an email domain, for its recipients
    /// (`POST /api/v1/shares/claim/{token}`): in the answer that creates the share, never again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_token: Option<String>,
}

crate::redacted_debug!(Share {
    id, kind, state, owner, recipient, recipient_domain, assessment_id, template_id, template_name, scope, terms,
    terms_accepted_at, review, share_request_id, submitted_at, created_at, expires_at, revoked_at
} secret { link_token });

/// What the supplier shares, with whom, how and for how long. Exactly one of
/// `assessment_id` and `template_id`, and exactly one of `recipient_organization_id`,
/// `recipient_domain` and `share_request_id`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct NewShare {
    /// A submitted or accepted assessment of the caller's organization: shared as it is now.
    pub assessment_id: Option<Uuid>,
    /// A template of the line whose answer library is shared live.
    pub template_id: Option<Uuid>,
    pub recipient_organization_id: Option<Uuid>,
    /// An email domain (`example.co.jp`): a user with a verified address there claims it.
    #[cfg_attr(feature = "openapi", schema(max_length = 253))]
    pub recipient_domain: Option<String>,
    /// An open request addressed to the caller's organization: shared with its requester.
    pub share_request_id: Option<Uuid>,
    pub scope: ShareScope,
    /// Default: twelve months from now; at most three years.
    pub expires_at: Option<DateTime<Utc>>,
    #[cfg_attr(feature = "openapi", schema(max_length = 10000))]
    pub terms: Option<String>,
}

/// An evidence file a share lets its recipient download.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct SharedFile {
    pub id: Uuid,
    /// Null for a file of the whole assessment.
    pub item_no: Option<u32>,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
}

/// What the recipient of a share may read: the score, and the questions with their
/// answers and the evidence files when the scope includes them.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct SharedAssessment {
    pub share: Share,
    pub target_level: u8,
    pub score: Score,
    /// In-scope items with their answers; null for the `scores` scope.
    pub questions: Option<Vec<Question>>,
    /// Null unless the scope is `answers_and_evidence`.
    pub evidence: Option<Vec<SharedFile>>,
}

/// A buyer's request that a supplier share its answers, as both sides see it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ShareRequest {
    pub id: Uuid,
    pub status: ShareRequestStatus,
    /// The organization that asks.
    pub requester: PartyRef,
    /// The supplier organization asked.
    pub supplier: PartyRef,
    /// The requester's registry record of the supplier (shown to the requester only).
    pub supplier_id: Option<Uuid>,
    pub template_id: Uuid,
    pub template_name: String,
    pub message: Option<String>,
    pub share_id: Option<Uuid>,
    /// The share whose review asked for changes, when the request came from one.
    pub reviewed_share_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// A buyer asks a supplier in its registry to share its answers to a checklist.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct NewShareRequest {
    /// A supplier of the caller's registry that has an organization on Kensa.
    pub supplier_id: Uuid,
    /// The checklist (any version of its line) whose answers are asked for.
    pub template_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub message: Option<String>,
}

/// A snapshot's content as stored in the share: what the assessment said when shared.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Frozen {
    pub target_level: i32,
    pub submitted_at: Option<DateTime<Utc>>,
    pub answers: Vec<FrozenAnswer>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct FrozenAnswer {
    pub no: i32,
    pub status: String,
    pub comment: Option<String>,
    pub reason: Option<String>,
    pub remediation_plan: Option<String>,
    pub remediation_due: Option<chrono::NaiveDate>,
    pub updated_at: DateTime<Utc>,
}

/// The shared fields of an answer row and of a library answer are the same.
macro_rules! frozen_from {
    ($($row:ty),*) => {$(
        impl From<$row> for FrozenAnswer {
            fn from(a: $row) -> Self {
                Self {
                    no: a.item_no,
                    status: a.status,
                    comment: a.comment,
                    reason: a.reason,
                    remediation_plan: a.remediation_plan,
                    remediation_due: a.remediation_due,
                    updated_at: a.updated_at,
                }
            }
        }
    )*};
}

frozen_from!(crate::entities::answers::Model, crate::entities::library_answers::Model);
