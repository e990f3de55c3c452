//! GraphQL for suppliers, campaigns, invitations and assessments: the same services, input
//! types and codes as REST.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use kensa_domain::ErrorCode;
use kensa_domain::Kensa;
use kensa_domain::assessments::claims::{self, ClaimStatus, SupplierClaim};
use kensa_domain::assessments::evidence::{self, Evidence};
use kensa_domain::assessments::invitations::{self, Accepted, InvitationPreview};
use kensa_domain::assessments::review::{CommentInput, ReviewInput};
use kensa_domain::assessments::service::AssessmentFilter;
use kensa_domain::assessments::{
    self, Answer, AnswerInput, Assessment, Comment, HistoryEvent, Question, Side, Status as AssessmentStatus,
};
use kensa_domain::campaigns::{self, Campaign, CampaignInput};
use kensa_domain::suppliers::{self, ReviewStatus, Supplier, SupplierFilter, SupplierInput};
use kensa_domain::tenant::TenantCtx;
use uuid::Uuid;

use super::connection::{self, Paged};
use super::idempotent;
use super::{Caller, gql};
use crate::rest::assessments::BulkAnswers;

pub(super) fn caller<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<(&'a Kensa, &'a TenantCtx)> {
    Ok((ctx.data::<Kensa>()?, ctx.data::<Caller>()?.require()?))
}

/// [`caller`], owned: for work that may outlive the request (an idempotent mutation).
fn owned(ctx: &Context<'_>) -> async_graphql::Result<(Kensa, TenantCtx)> {
    caller(ctx).map(|(k, t)| (k.clone(), t.clone()))
}

#[derive(SimpleObject)]
pub struct SavedAnswers {
    pub answers: Vec<Answer>,
    /// The assessment's new version: send it as `ifMatch` next time.
    pub version: i32,
}

#[derive(Default)]
pub struct WorkflowQuery;

#[Object]
impl WorkflowQuery {
    /// The buyer's supplier registry, searched and filtered as `GET /api/v1/suppliers`.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn suppliers(
        &self,
        ctx: &Context<'_>,
        q: Option<String>,
        tier: Option<String>,
        target_level: Option<i32>,
        tag: Option<String>,
        review_status: Option<ReviewStatus>,
        #[graphql(desc = "Only records changed at or after this instant (incremental sync).")] updated_since: Option<
            DateTime<Utc>,
        >,
        first: Option<u64>,
        after: Option<String>,
    ) -> async_graphql::Result<Paged<Supplier>> {
        let (k, t) = caller(ctx)?;
        let review_status = review_status.map(|s| s.as_str().to_owned());
        let filter = SupplierFilter { q, tier, target_level, tag, review_status, updated_since };
        let page = connection::request(first, after)?;
        Ok(connection::from_page(suppliers::service::list(k, t, &filter, &page).await.map_err(gql)?))
    }

    async fn supplier(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Supplier> {
        let (k, t) = caller(ctx)?;
        suppliers::service::get(k, t, id).await.map_err(gql)
    }

    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        first: Option<u64>,
        after: Option<String>,
    ) -> async_graphql::Result<Paged<Campaign>> {
        let (k, t) = caller(ctx)?;
        let page = connection::request(first, after)?;
        Ok(connection::from_page(campaigns::service::list(k, t, &page).await.map_err(gql)?))
    }

    async fn campaign(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Campaign> {
        let (k, t) = caller(ctx)?;
        campaigns::service::get(k, t, id).await.map_err(gql)
    }

    /// Both sides' assessments, filtered as `GET /api/v1/assessments`; `role` is `buyer`
    /// (sent by this organization) or `supplier` (addressed to it).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn assessments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "`BUYER`: the assessments this organization sent; `SUPPLIER`: those addressed to it.")]
        role: Option<Side>,
        status: Option<AssessmentStatus>,
        supplier_id: Option<Uuid>,
        campaign_id: Option<Uuid>,
        overdue: Option<bool>,
        #[graphql(desc = "Only assessments changed at or after this instant (incremental sync).")]
        updated_since: Option<DateTime<Utc>>,
        first: Option<u64>,
        after: Option<String>,
    ) -> async_graphql::Result<Paged<Assessment>> {
        let (k, t) = caller(ctx)?;
        let status = status.map(|s| s.as_str().to_owned());
        let role = role.map(|s| s.as_str().to_owned());
        let filter = AssessmentFilter { role, status, supplier_id, campaign_id, overdue, updated_since };
        let page = connection::request(first, after)?;
        Ok(connection::from_page(assessments::service::list(k, t, &filter, &page).await.map_err(gql)?))
    }

    async fn assessment(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Assessment> {
        let (k, t) = caller(ctx)?;
        assessments::service::get(k, t, id).await.map_err(gql)
    }

    /// Every in-scope item with its answer, in one list: the questionnaire is bounded by its
    /// template and read whole, as `GET …/questions` (whose `next_cursor` is always null).
    #[graphql(complexity = "super::cost::NOMINAL_LIST * child_complexity")]
    async fn assessment_questions(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Vec<Question>> {
        let (k, t) = caller(ctx)?;
        assessments::service::questions(k, t, id).await.map_err(gql)
    }

    /// Oldest first. The supplier never sees the buyer's internal comments.
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn assessment_comments(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        item_no: Option<u32>,
        first: Option<u64>,
        after: Option<String>,
    ) -> async_graphql::Result<Paged<Comment>> {
        let (k, t) = caller(ctx)?;
        let page = connection::request(first, after)?;
        Ok(connection::from_page(assessments::review::comments_page(k, t, id, item_no, &page).await.map_err(gql)?))
    }

    /// Every transition, answer change, shared comment and evidence change, oldest first.
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn assessment_history(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        first: Option<u64>,
        after: Option<String>,
    ) -> async_graphql::Result<Paged<HistoryEvent>> {
        let (k, t) = caller(ctx)?;
        let page = connection::request(first, after)?;
        Ok(connection::from_page(assessments::service::history_page(k, t, id, &page).await.map_err(gql)?))
    }

    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn assessment_evidence(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        first: Option<u64>,
        after: Option<String>,
    ) -> async_graphql::Result<Paged<Evidence>> {
        let (k, t) = caller(ctx)?;
        let page = connection::request(first, after)?;
        Ok(connection::from_page(evidence::list_page(k, t, id, &page).await.map_err(gql)?))
    }

    /// Invitations accepted by someone other than the invited contact, as
    /// `GET /api/v1/supplier-claims` (owners and admins of the buyer).
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn supplier_claims(
        &self,
        ctx: &Context<'_>,
        status: Option<ClaimStatus>,
        first: Option<u64>,
        after: Option<String>,
    ) -> async_graphql::Result<Paged<SupplierClaim>> {
        let (k, t) = caller(ctx)?;
        let page = connection::request(first, after)?;
        Ok(connection::from_page(claims::list(k, t.admin().map_err(gql)?, status, &page).await.map_err(gql)?))
    }

    /// An invitation's preview; needs no sign-in.
    async fn invitation(&self, ctx: &Context<'_>, token: String) -> async_graphql::Result<InvitationPreview> {
        invitations::preview(ctx.data::<Kensa>()?, &token).await.map_err(gql)
    }
}

/// How `acceptInvitation` ended.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum AcceptanceStatus {
    /// The caller's organization now answers the assessment.
    Linked,
    /// The caller's address is not the invited contact's: the buyer decides the claim.
    PendingConfirmation,
}

/// The assessment linked to the caller's organization, or the claim the buyer will decide.
#[derive(SimpleObject)]
pub struct AcceptedInvitation {
    pub status: AcceptanceStatus,
    pub claim_id: Option<Uuid>,
    pub assessment_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
}

/// A file for `uploadEvidence`, base64-encoded (REST takes it as multipart).
#[derive(InputObject, serde::Serialize)]
pub struct UploadEvidenceInput {
    pub file_name: String,
    pub content_type: String,
    pub content_base64: String,
    /// The item the file supports; none for the assessment as a whole.
    pub item_no: Option<u32>,
}

#[derive(Default)]
pub struct WorkflowMutation;

#[Object]
impl WorkflowMutation {
    async fn create_supplier(
        &self,
        ctx: &Context<'_>,
        input: SupplierInput,
        #[graphql(
            desc = "Retry-safe: the same key and input within 24 h returns the first result, as REST's `Idempotency-Key`."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<Supplier> {
        let (k, t) = owned(ctx)?;
        let request = idempotent::Request::new("createSupplier", &input)?;
        idempotent::run(&k.clone(), &t.clone(), idempotency_key, request, async move {
            suppliers::service::create(&k, t.editor().map_err(gql)?, input).await.map_err(gql)
        })
        .await
    }

    /// Replaces the fields sent, as `PATCH /api/v1/suppliers/{id}`.
    async fn update_supplier(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: SupplierInput,
        if_match: Option<i32>,
    ) -> async_graphql::Result<Supplier> {
        let (k, t) = caller(ctx)?;
        suppliers::service::update(k, t.editor().map_err(gql)?, id, input, if_match).await.map_err(gql)
    }

    async fn delete_supplier(&self, ctx: &Context<'_>, id: Uuid, if_match: Option<i32>) -> async_graphql::Result<bool> {
        let (k, t) = caller(ctx)?;
        suppliers::service::delete(k, t.editor().map_err(gql)?, id, if_match).await.map_err(gql)?;
        Ok(true)
    }

    async fn create_campaign(
        &self,
        ctx: &Context<'_>,
        input: CampaignInput,
        #[graphql(
            desc = "Retry-safe: the same key and input within 24 h returns the first result, as REST's `Idempotency-Key`."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<Campaign> {
        let (k, t) = owned(ctx)?;
        let request = idempotent::Request::new("createCampaign", &input)?;
        idempotent::run(&k.clone(), &t.clone(), idempotency_key, request, async move {
            campaigns::service::create(&k, t.editor().map_err(gql)?, input).await.map_err(gql)
        })
        .await
    }

    async fn cancel_campaign(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Campaign> {
        let (k, t) = caller(ctx)?;
        campaigns::service::cancel(k, t.editor().map_err(gql)?, id).await.map_err(gql)
    }

    /// Links the assessment to the caller's organization (owners and admins), or opens a
    /// claim when the caller's address is not the invited contact's. The same decision as
    /// `POST /api/v1/invitations/{token}/accept`; a new supplier account is created there,
    /// since anonymous GraphQL serves only the `invitation` preview.
    async fn accept_invitation(&self, ctx: &Context<'_>, token: String) -> async_graphql::Result<AcceptedInvitation> {
        let k = ctx.data::<Kensa>()?;
        let tenant = ctx.data::<Caller>()?.require()?;
        let meta = ctx.data::<kensa_domain::tenant::RequestMeta>().cloned().unwrap_or_default();
        let accepted = invitations::accept(k, &token, Some(tenant), None, &meta).await.map_err(gql)?;
        let linked = |assessment_id, organization_id| AcceptedInvitation {
            status: AcceptanceStatus::Linked,
            claim_id: None,
            assessment_id,
            organization_id: Some(organization_id),
        };
        Ok(match accepted {
            Accepted::Linked { assessment_id, organization_id } => linked(Some(assessment_id), organization_id),
            Accepted::NewAccount(session) => linked(None, session.organization.id),
            Accepted::PendingConfirmation { claim_id } => AcceptedInvitation {
                status: AcceptanceStatus::PendingConfirmation,
                claim_id: Some(claim_id),
                assessment_id: None,
                organization_id: None,
            },
        })
    }

    /// Approve a claim (owners and admins of the buyer): as `POST /api/v1/supplier-claims/{id}/approve`.
    async fn approve_supplier_claim(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<SupplierClaim> {
        let (k, t) = caller(ctx)?;
        claims::approve(k, t.admin().map_err(gql)?, id).await.map_err(gql)
    }

    /// Reject a claim: the supplier stays unlinked and the link is revoked.
    async fn reject_supplier_claim(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<SupplierClaim> {
        let (k, t) = caller(ctx)?;
        claims::reject(k, t.admin().map_err(gql)?, id).await.map_err(gql)
    }

    /// Save one answer, as `PUT /api/v1/assessments/{id}/answers/{no}`.
    async fn save_answer(
        &self,
        ctx: &Context<'_>,
        assessment_id: Uuid,
        no: u32,
        input: AnswerInput,
        if_match: Option<i32>,
    ) -> async_graphql::Result<SavedAnswers> {
        let (k, t) = caller(ctx)?;
        let (answers, version) =
            assessments::answers::save(k, t, assessment_id, vec![(no, input)], if_match, true).await.map_err(gql)?;
        Ok(SavedAnswers { answers, version })
    }

    /// Many answers at once, all saved or none: the body of `POST /api/v1/assessments/{id}/answers`.
    async fn save_answers(
        &self,
        ctx: &Context<'_>,
        assessment_id: Uuid,
        input: BulkAnswers,
        if_match: Option<i32>,
    ) -> async_graphql::Result<SavedAnswers> {
        let (k, t) = caller(ctx)?;
        let inputs = input.answers.into_iter().map(|a| (a.no, a.answer)).collect();
        let (answers, version) =
            assessments::answers::save(k, t, assessment_id, inputs, if_match, false).await.map_err(gql)?;
        Ok(SavedAnswers { answers, version })
    }

    async fn submit_assessment(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        if_match: Option<i32>,
    ) -> async_graphql::Result<Assessment> {
        let (k, t) = caller(ctx)?;
        assessments::answers::submit(k, t, id, if_match).await.map_err(gql)?;
        assessments::service::get(k, t, id).await.map_err(gql)
    }

    async fn review_assessment(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: ReviewInput,
        if_match: Option<i32>,
    ) -> async_graphql::Result<Assessment> {
        let (k, t) = caller(ctx)?;
        assessments::review::review(k, t, id, input, if_match).await.map_err(gql)?;
        assessments::service::get(k, t, id).await.map_err(gql)
    }

    async fn cancel_assessment(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        if_match: Option<i32>,
    ) -> async_graphql::Result<Assessment> {
        let (k, t) = caller(ctx)?;
        assessments::service::cancel(k, t, id, if_match).await.map_err(gql)
    }

    async fn resend_invitation(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<bool> {
        let (k, t) = caller(ctx)?;
        invitations::resend(k, t, id).await.map_err(gql)?;
        Ok(true)
    }

    /// Mails the signed-in user a new link that verifies their address (REST
    /// `POST /api/v1/me/verify-email`), at most 3 an hour: `true`; `false` (no mail) when
    /// the address is verified already.
    async fn resend_verification_mail(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let (k, t) = caller(ctx)?;
        kensa_domain::auth::verification::resend(k, t).await.map_err(gql)
    }

    /// Upload evidence as base64 (GraphQL bodies are capped at 8 MiB, so files up to about
    /// 6 MiB; larger ones through the REST multipart upload). Same checks as REST.
    // Each argument is a GraphQL argument of the mutation.
    #[allow(clippy::too_many_arguments)]
    async fn upload_evidence(
        &self,
        ctx: &Context<'_>,
        assessment_id: Uuid,
        input: UploadEvidenceInput,
        if_match: Option<i32>,
        #[graphql(
            desc = "Retry-safe: the same key and input within 24 h returns the first result, as REST's `Idempotency-Key`."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<Evidence> {
        let (k, t) = owned(ctx)?;
        let request = idempotent::Request::new(format!("uploadEvidence/{assessment_id}"), &(&input, if_match))?;
        idempotent::run(&k.clone(), &t.clone(), idempotency_key, request, async move {
            upload_evidence(&k, &t, assessment_id, input, if_match).await
        })
        .await
    }

    async fn delete_evidence(
        &self,
        ctx: &Context<'_>,
        assessment_id: Uuid,
        evidence_id: Uuid,
        if_match: Option<i32>,
    ) -> async_graphql::Result<bool> {
        let (k, t) = caller(ctx)?;
        evidence::delete(k, t, assessment_id, evidence_id, if_match).await.map_err(gql)?;
        Ok(true)
    }

    async fn add_comment(
        &self,
        ctx: &Context<'_>,
        assessment_id: Uuid,
        input: CommentInput,
        #[graphql(
            desc = "Retry-safe: the same key and input within 24 h returns the first result, as REST's `Idempotency-Key`."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<Comment> {
        let (k, t) = owned(ctx)?;
        let request = idempotent::Request::new(format!("addComment/{assessment_id}"), &input)?;
        idempotent::run(&k.clone(), &t.clone(), idempotency_key, request, async move {
            assessments::review::add_comment(&k, &t, assessment_id, input).await.map_err(gql)
        })
        .await
    }
}

/// The work of `uploadEvidence`: decode, stage within the upload bounds, then the same
/// service as REST's multipart upload.
async fn upload_evidence(
    k: &Kensa,
    t: &TenantCtx,
    assessment_id: Uuid,
    input: UploadEvidenceInput,
    if_match: Option<i32>,
) -> async_graphql::Result<Evidence> {
    use base64::Engine;
    let UploadEvidenceInput { file_name, content_type, content_base64, item_no } = input;
    let bytes = base64::engine::general_purpose::STANDARD.decode(content_base64.trim()).map_err(|_| {
        gql(kensa_domain::DomainError::validation("content_base64", ErrorCode::InvalidValue, "not valid base64"))
    })?;
    drop(content_base64);
    let _slot = evidence::admit(k, t, assessment_id).await.map_err(gql)?;
    let file = kensa_domain::assessments::staging::Stager::from_bytes(
        &k.uploads.staging_dir,
        &bytes,
        evidence::MAX_FILE_BYTES,
    )
    .await
    .map_err(|e| match e {
        kensa_domain::assessments::staging::StageError::TooLarge(limit) => {
            gql(crate::error::ApiError::PayloadTooLarge(limit))
        }
        kensa_domain::assessments::staging::StageError::Failed(e) => gql(e),
    })?;
    drop(bytes);
    let upload = evidence::Upload { file_name, content_type, file, item_no };
    evidence::upload(k, t, assessment_id, upload, if_match).await.map(|(evidence, _)| evidence).map_err(gql)
}
