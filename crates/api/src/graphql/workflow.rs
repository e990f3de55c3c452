//! GraphQL for suppliers, campaigns, invitations and assessments: the same services and
//! codes as REST. Inputs take the REST bodies as `JSON` values.

use async_graphql::{Context, Json, Object, SimpleObject};
use kensa_domain::ErrorCode;
use kensa_domain::Kensa;
use kensa_domain::assessments::claims::{self, ClaimStatus, SupplierClaim};
use kensa_domain::assessments::evidence::{self, Evidence};
use kensa_domain::assessments::invitations::{self, AcceptNew, Acceptance, InvitationPreview};
use kensa_domain::assessments::review::{CommentInput, ReviewInput};
use kensa_domain::assessments::service::AssessmentFilter;
use kensa_domain::assessments::{self, Answer, AnswerInput, Assessment, Comment, HistoryEvent, Question};
use kensa_domain::campaigns::{self, Campaign, CampaignInput};
use kensa_domain::pagination::PageRequest;
use kensa_domain::suppliers::{self, Supplier, SupplierFilter, SupplierInput};
use kensa_domain::tenant::TenantCtx;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::{Caller, to_graphql};
use crate::error::ApiError;
use crate::input::graphql_arg;

fn gql<E: Into<ApiError>>(e: E) -> async_graphql::Error {
    to_graphql(e.into())
}

fn caller<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<(&'a Kensa, &'a TenantCtx)> {
    Ok((ctx.data::<Kensa>()?, ctx.data::<Caller>()?.require()?))
}

fn page(limit: Option<u64>, cursor: Option<String>) -> async_graphql::Result<PageRequest> {
    PageRequest::parse(limit, cursor.as_deref()).map_err(gql)
}

#[derive(SimpleObject)]
pub struct SupplierPage {
    pub data: Vec<Supplier>,
    pub next_cursor: Option<String>,
}

#[derive(SimpleObject)]
pub struct CampaignPage {
    pub data: Vec<Campaign>,
    pub next_cursor: Option<String>,
}

#[derive(SimpleObject)]
pub struct AssessmentPage {
    pub data: Vec<Assessment>,
    pub next_cursor: Option<String>,
}

#[derive(SimpleObject)]
pub struct SavedAnswers {
    pub answers: Vec<Answer>,
    pub version: i32,
}

#[derive(Default)]
pub struct WorkflowQuery;

#[Object]
impl WorkflowQuery {
    /// The buyer's supplier registry, searched and filtered as `GET /api/v1/suppliers`.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "super::cost::page(limit, child_complexity)")]
    async fn suppliers(
        &self,
        ctx: &Context<'_>,
        q: Option<String>,
        tier: Option<String>,
        target_level: Option<i32>,
        tag: Option<String>,
        review_status: Option<String>,
        limit: Option<u64>,
        cursor: Option<String>,
    ) -> async_graphql::Result<SupplierPage> {
        let (k, t) = caller(ctx)?;
        let filter = SupplierFilter { q, tier, target_level, tag, review_status, updated_since: None };
        let result = suppliers::service::list(k, t, &filter, &page(limit, cursor)?).await.map_err(gql)?;
        Ok(SupplierPage { data: result.data, next_cursor: result.next_cursor })
    }

    async fn supplier(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Supplier> {
        let (k, t) = caller(ctx)?;
        suppliers::service::get(k, t, id).await.map_err(gql)
    }

    #[graphql(complexity = "super::cost::page(limit, child_complexity)")]
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        limit: Option<u64>,
        cursor: Option<String>,
    ) -> async_graphql::Result<CampaignPage> {
        let (k, t) = caller(ctx)?;
        let result = campaigns::service::list(k, t, &page(limit, cursor)?).await.map_err(gql)?;
        Ok(CampaignPage { data: result.data, next_cursor: result.next_cursor })
    }

    async fn campaign(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Campaign> {
        let (k, t) = caller(ctx)?;
        campaigns::service::get(k, t, id).await.map_err(gql)
    }

    /// Both sides' assessments; `role` is `buyer` or `supplier`.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "super::cost::page(limit, child_complexity)")]
    async fn assessments(
        &self,
        ctx: &Context<'_>,
        role: Option<String>,
        status: Option<String>,
        supplier_id: Option<Uuid>,
        campaign_id: Option<Uuid>,
        overdue: Option<bool>,
        limit: Option<u64>,
        cursor: Option<String>,
    ) -> async_graphql::Result<AssessmentPage> {
        let (k, t) = caller(ctx)?;
        let filter = AssessmentFilter { role, status, supplier_id, campaign_id, overdue, updated_since: None };
        let result = assessments::service::list(k, t, &filter, &page(limit, cursor)?).await.map_err(gql)?;
        Ok(AssessmentPage { data: result.data, next_cursor: result.next_cursor })
    }

    async fn assessment(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Assessment> {
        let (k, t) = caller(ctx)?;
        assessments::service::get(k, t, id).await.map_err(gql)
    }

    #[graphql(complexity = "super::cost::NOMINAL_LIST * child_complexity")]
    async fn assessment_questions(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Vec<Question>> {
        let (k, t) = caller(ctx)?;
        assessments::service::questions(k, t, id).await.map_err(gql)
    }

    /// The supplier never sees the buyer's internal comments.
    #[graphql(complexity = "super::cost::NOMINAL_LIST * child_complexity")]
    async fn assessment_comments(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        item_no: Option<u32>,
    ) -> async_graphql::Result<Vec<Comment>> {
        let (k, t) = caller(ctx)?;
        assessments::review::comments(k, t, id, item_no).await.map_err(gql)
    }

    #[graphql(complexity = "super::cost::NOMINAL_LIST * child_complexity")]
    async fn assessment_history(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Vec<HistoryEvent>> {
        let (k, t) = caller(ctx)?;
        assessments::service::history(k, t, id).await.map_err(gql)
    }

    #[graphql(complexity = "super::cost::NOMINAL_LIST * child_complexity")]
    async fn assessment_evidence(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Vec<Evidence>> {
        let (k, t) = caller(ctx)?;
        evidence::list(k, t, id).await.map_err(gql)
    }

    /// Invitations accepted by someone other than the invited contact, as
    /// `GET /api/v1/supplier-claims` (owners and admins of the buyer).
    async fn supplier_claims(
        &self,
        ctx: &Context<'_>,
        status: Option<ClaimStatus>,
        limit: Option<u64>,
        cursor: Option<String>,
    ) -> async_graphql::Result<SupplierClaimPage> {
        let (k, t) = caller(ctx)?;
        let result = claims::list(k, t.admin().map_err(gql)?, status, &page(limit, cursor)?).await.map_err(gql)?;
        Ok(SupplierClaimPage { data: result.data, next_cursor: result.next_cursor })
    }

    /// An invitation's preview; needs no sign-in.
    async fn invitation(&self, ctx: &Context<'_>, token: String) -> async_graphql::Result<InvitationPreview> {
        invitations::preview(ctx.data::<Kensa>()?, &token).await.map_err(gql)
    }
}

/// The tokens of a new supplier account, or the assessment linked to the caller's; or,
/// when the accepting address is not the invited contact's, `status: "pending_confirmation"`
/// and the claim the buyer will decide.
#[derive(SimpleObject)]
pub struct AcceptedInvitation {
    /// `linked` or `pending_confirmation`.
    pub status: String,
    pub claim_id: Option<Uuid>,
    pub assessment_id: Option<Uuid>,
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub organization_id: Option<Uuid>,
}

impl AcceptedInvitation {
    fn pending(claim_id: Uuid) -> Self {
        Self {
            status: "pending_confirmation".into(),
            claim_id: Some(claim_id),
            assessment_id: None,
            access_token: None,
            refresh_token: None,
            organization_id: None,
        }
    }
}

#[derive(SimpleObject)]
pub struct SupplierClaimPage {
    pub data: Vec<SupplierClaim>,
    pub next_cursor: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkAnswer {
    no: u32,
    #[serde(flatten)]
    answer: AnswerInput,
}

#[derive(Default)]
pub struct WorkflowMutation;

#[Object]
impl WorkflowMutation {
    async fn create_supplier(&self, ctx: &Context<'_>, input: Json<Value>) -> async_graphql::Result<Supplier> {
        let (k, t) = caller(ctx)?;
        let input: SupplierInput = graphql_arg("input", input)?;
        suppliers::service::create(k, t.editor().map_err(gql)?, input).await.map_err(gql)
    }

    async fn update_supplier(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: Json<Value>,
        if_match: Option<i32>,
    ) -> async_graphql::Result<Supplier> {
        let (k, t) = caller(ctx)?;
        let input: SupplierInput = graphql_arg("input", input)?;
        suppliers::service::update(k, t.editor().map_err(gql)?, id, input, if_match).await.map_err(gql)
    }

    async fn delete_supplier(&self, ctx: &Context<'_>, id: Uuid, if_match: Option<i32>) -> async_graphql::Result<bool> {
        let (k, t) = caller(ctx)?;
        suppliers::service::delete(k, t.editor().map_err(gql)?, id, if_match).await.map_err(gql)?;
        Ok(true)
    }

    async fn create_campaign(&self, ctx: &Context<'_>, input: Json<Value>) -> async_graphql::Result<Campaign> {
        let (k, t) = caller(ctx)?;
        let input: CampaignInput = graphql_arg("input", input)?;
        campaigns::service::create(k, t.editor().map_err(gql)?, input).await.map_err(gql)
    }

    async fn cancel_campaign(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Campaign> {
        let (k, t) = caller(ctx)?;
        campaigns::service::cancel(k, t.editor().map_err(gql)?, id).await.map_err(gql)
    }

    /// Without a Bearer token `input` creates the supplier's organization and user;
    /// with one, the assessment joins the caller's organization.
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        token: String,
        input: Option<Json<Value>>,
    ) -> async_graphql::Result<AcceptedInvitation> {
        let input: Option<AcceptNew> = input.map(|i| graphql_arg("input", i)).transpose()?;
        let k = ctx.data::<Kensa>()?;
        let caller = ctx.data::<Caller>()?;
        if let Ok(tenant) = caller.require() {
            return Ok(match invitations::accept_existing(k, &token, tenant).await.map_err(gql)? {
                Acceptance::Linked(id) => AcceptedInvitation {
                    status: "linked".into(),
                    claim_id: None,
                    assessment_id: Some(id),
                    access_token: None,
                    refresh_token: None,
                    organization_id: Some(tenant.org_id().0),
                },
                Acceptance::PendingConfirmation { claim_id } => AcceptedInvitation::pending(claim_id),
            });
        }
        let input = input.ok_or_else(|| {
            gql(kensa_domain::DomainError::validation("input", ErrorCode::Required, "send the new account's details"))
        })?;
        let meta = ctx.data::<kensa_domain::tenant::RequestMeta>().cloned().unwrap_or_default();
        Ok(match invitations::accept_new(k, &token, input, &meta).await.map_err(gql)? {
            Acceptance::Linked(session) => AcceptedInvitation {
                status: "linked".into(),
                claim_id: None,
                assessment_id: None,
                access_token: Some(session.access_token.clone()),
                refresh_token: Some(session.refresh_token.clone()),
                organization_id: Some(session.organization.id),
            },
            Acceptance::PendingConfirmation { claim_id } => AcceptedInvitation::pending(claim_id),
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

    async fn save_answer(
        &self,
        ctx: &Context<'_>,
        assessment_id: Uuid,
        no: u32,
        answer: Json<Value>,
        if_match: Option<i32>,
    ) -> async_graphql::Result<SavedAnswers> {
        let (k, t) = caller(ctx)?;
        let answer: AnswerInput = graphql_arg("answer", answer)?;
        let (answers, version) =
            assessments::answers::save(k, t, assessment_id, vec![(no, answer)], if_match, true).await.map_err(gql)?;
        Ok(SavedAnswers { answers, version })
    }

    /// Many answers at once: all saved or none.
    async fn save_answers(
        &self,
        ctx: &Context<'_>,
        assessment_id: Uuid,
        answers: Json<Value>,
        if_match: Option<i32>,
    ) -> async_graphql::Result<SavedAnswers> {
        let (k, t) = caller(ctx)?;
        let answers: Vec<BulkAnswer> = graphql_arg("answers", answers)?;
        let inputs = answers.into_iter().map(|a| (a.no, a.answer)).collect();
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
        input: Json<Value>,
        if_match: Option<i32>,
    ) -> async_graphql::Result<Assessment> {
        let (k, t) = caller(ctx)?;
        let input: ReviewInput = graphql_arg("input", input)?;
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

    /// Upload evidence as base64 (GraphQL bodies are capped at 8 MiB, so files up to about
    /// 6 MiB; larger ones through the REST multipart upload). Same checks as REST.
    // Each argument is a GraphQL argument of the mutation.
    #[allow(clippy::too_many_arguments)]
    async fn upload_evidence(
        &self,
        ctx: &Context<'_>,
        assessment_id: Uuid,
        file_name: String,
        content_type: String,
        content_base64: String,
        item_no: Option<u32>,
        if_match: Option<i32>,
    ) -> async_graphql::Result<Evidence> {
        use base64::Engine;
        let (k, t) = caller(ctx)?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(content_base64.trim()).map_err(|_| {
            gql(kensa_domain::DomainError::validation("content_base64", ErrorCode::InvalidValue, "not valid base64"))
        })?;
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
        input: Json<Value>,
    ) -> async_graphql::Result<Comment> {
        let (k, t) = caller(ctx)?;
        let input: CommentInput = graphql_arg("input", input)?;
        assessments::review::add_comment(k, t, assessment_id, input).await.map_err(gql)
    }
}
