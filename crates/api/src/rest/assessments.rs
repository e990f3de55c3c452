//! `/api/v1/assessments`: both sides' questionnaires, answers, submission, review,
//! comments and history.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use kensa_domain::assessments::review::{CommentInput, ReviewInput};
use kensa_domain::assessments::service::AssessmentFilter;
use kensa_domain::assessments::{self, Answer, AnswerInput, Assessment, Comment, HistoryEvent, Question};
use kensa_domain::pagination::PageRequest;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::page::PageQuery;
use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, JsonBody, Query, etag, if_match};
use crate::idempotency::Idempotency;
use crate::openapi::IdempotencyHeader;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentPage {
    pub data: Vec<Assessment>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AssessmentQuery {
    /// `buyer` (sent by this organization) or `supplier` (addressed to it); both by default.
    #[param(value_type = Option<kensa_domain::assessments::Side>)]
    pub role: Option<String>,
    /// Only assessments in this status.
    #[param(value_type = Option<kensa_domain::assessments::Status>)]
    pub status: Option<String>,
    /// Only this supplier's.
    pub supplier_id: Option<Uuid>,
    /// Only this campaign's.
    pub campaign_id: Option<Uuid>,
    /// Only overdue (`true`) or only not overdue (`false`) ones.
    pub overdue: Option<bool>,
    /// Only assessments changed at or after this instant (RFC 3339, e.g.
    /// `2026-04-01T00:00:00Z`): incremental sync.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn with_etag(assessment: &Assessment) -> HttpResponse {
    HttpResponse::Ok().insert_header(etag(assessment.version)).json(assessment)
}

async fn fresh(state: &AppState, auth: &Auth, id: Uuid) -> ApiResult<HttpResponse> {
    Ok(with_etag(&assessments::service::get(&state.kensa, &auth.0, id).await?))
}

/// List assessments
///
/// Those this organization sent as a buyer and those addressed to it as a supplier.
#[utoipa::path(get, path = "/api/v1/assessments", operation_id = "listAssessments", tag = "assessments", security(("bearer" = [])),
    params(AssessmentQuery), responses((status = 200, description = "A page of assessments", body = AssessmentPage)))]
pub async fn list(state: web::Data<AppState>, auth: Auth, query: Query<AssessmentQuery>) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let filter = AssessmentFilter {
        role: q.role,
        status: q.status,
        supplier_id: q.supplier_id,
        campaign_id: q.campaign_id,
        overdue: q.overdue,
        updated_since: q.updated_since,
    };
    let result = assessments::service::list(&state.kensa, &auth.0, &filter, &page).await?;
    Ok(HttpResponse::Ok().json(AssessmentPage { data: result.data, next_cursor: result.next_cursor }))
}

/// Get an assessment
///
/// With progress and the overdue flag; `ETag` is its version.
#[utoipa::path(get, path = "/api/v1/assessments/{id}", operation_id = "getAssessment", tag = "assessments", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The assessment's id")),
    responses((status = 200, description = "The assessment", body = Assessment,
                  headers(("ETag" = String, description = "The assessment's version, quoted (`\"4\"`): send it back in `If-Match`")))))]
pub async fn get(state: web::Data<AppState>, auth: Auth, path: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    fresh(&state, &auth, path.into_inner()).await
}

/// The questionnaire: every in-scope item at once. A template is bounded (at most a few
/// hundred items) and a client renders the whole sheet, so this list is not paged and
/// `next_cursor` is always null; the shape matches every other list.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionList {
    pub data: Vec<Question>,
    /// Always null: every in-scope item is in `data`.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentPage {
    pub data: Vec<Comment>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryPage {
    pub data: Vec<HistoryEvent>,
    pub next_cursor: Option<String>,
}

/// List the questions with their answers
///
/// Every in-scope item (level ≤ target) with its answer, all in one answer (`next_cursor`
/// null).
#[utoipa::path(get, path = "/api/v1/assessments/{id}/questions", operation_id = "listQuestions", tag = "assessments",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The assessment's id")),
    responses((status = 200, description = "Every in-scope question", body = QuestionList)))]
pub async fn questions(state: web::Data<AppState>, auth: Auth, path: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let data = assessments::service::questions(&state.kensa, &auth.0, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(QuestionList { data, next_cursor: None }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SavedAnswers {
    pub answers: Vec<Answer>,
    /// The assessment's new version (also in `ETag`).
    pub version: i32,
}

pub(crate) fn saved(answers: Vec<Answer>, version: i32) -> HttpResponse {
    HttpResponse::Ok().insert_header(etag(version)).json(SavedAnswers { answers, version })
}

/// Save one answer
///
/// Send `If-Match` with the ETag to refuse overwriting newer work (412). The supplier's
/// owners, admins and respondents, while the assessment is open.
#[utoipa::path(put, path = "/api/v1/assessments/{id}/answers/{no}", operation_id = "saveAnswer", tag = "assessments",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The assessment's id"), ("no" = u32, Path, description = "The item number"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` last seen (`\"4\"`, `W/\"4\"` or `4`; `*` for any): refuses (412) to overwrite newer work")),
    request_body = AnswerInput,
    responses((status = 200, description = "Saved", body = SavedAnswers,
                  headers(("ETag" = String, description = "The assessment's version, quoted (`\"4\"`): send it back in `If-Match`"))),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`assessment_locked` or `invalid_transition`: the status does not allow this, or \
                  `concurrent_update`: a colleague saved at the same moment", body = Problem, content_type = "application/problem+json"),
              (status = 412, body = Problem, content_type = "application/problem+json"),
              (status = 428, body = Problem, content_type = "application/problem+json")))]
pub async fn put_answer(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<(Uuid, u32)>,
    body: JsonBody<AnswerInput>,
) -> ApiResult<HttpResponse> {
    let (id, no) = path.into_inner();
    let (answers, version) =
        assessments::answers::save(&state.kensa, &auth.0, id, vec![(no, body.0)], if_match(&req)?, true).await?;
    Ok(saved(answers, version))
}

// One answer of a bulk save: the item number and the answer's fields side by side.
#[derive(Debug, Deserialize, ToSchema, async_graphql::InputObject)]
#[graphql(name = "AnswerItemInput")]
#[serde(deny_unknown_fields)]
pub struct BulkAnswer {
    pub no: u32,
    #[serde(flatten)]
    #[graphql(flatten)]
    pub answer: AnswerInput,
}

// REST's `POST …/answers` body and GraphQL's `saveAnswers(input:)`.
#[derive(Debug, Deserialize, ToSchema, async_graphql::InputObject)]
#[graphql(name = "SaveAnswersInput")]
#[serde(deny_unknown_fields)]
pub struct BulkAnswers {
    pub answers: Vec<BulkAnswer>,
}

/// Save many answers
///
/// Up to the whole checklist: validated as a whole, all saved or none, every error listed by
/// item number (`items.12.reason`). Same roles and `If-Match` as saving one.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/answers", operation_id = "saveAnswers", tag = "assessments",
    security(("bearer" = [])), params(IdempotencyHeader, ("id" = Uuid, Path, description = "The assessment's id"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` last seen (`\"4\"`, `W/\"4\"` or `4`; `*` for any): refuses (412) to overwrite newer work")),
    request_body = BulkAnswers,
    responses((status = 200, description = "Saved", body = SavedAnswers,
                  headers(("ETag" = String, description = "The assessment's version, quoted (`\"4\"`): send it back in `If-Match`"))),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`assessment_locked` or `invalid_transition`: the status does not allow this, or \
                  `concurrent_update`: a colleague saved at the same moment", body = Problem, content_type = "application/problem+json"),
              (status = 412, body = Problem, content_type = "application/problem+json"),
              (status = 428, body = Problem, content_type = "application/problem+json")))]
pub async fn post_answers(
    state: web::Data<AppState>,
    auth: Auth,
    idem: Idempotency,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: JsonBody<BulkAnswers>,
) -> ApiResult<HttpResponse> {
    let inputs = body.0.answers.into_iter().map(|a| (a.no, a.answer)).collect();
    let precondition = if_match(&req)?;
    let ctx = auth.0.clone();
    idem.run(&state.kensa.clone(), &auth.0, async move {
        let (answers, version) =
            assessments::answers::save(&state.kensa, &ctx, path.into_inner(), inputs, precondition, false).await?;
        Ok(saved(answers, version))
    })
    .await
}

/// Submit the answers
///
/// Hands the answers over to the buyer. Refused (422 `assessment_incomplete`) with every
/// unanswered item listed. The supplier's owners, admins and respondents.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/submit", operation_id = "submitAssessment", tag = "assessments",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The assessment's id"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` last seen (`\"4\"`, `W/\"4\"` or `4`; `*` for any): refuses (412) to overwrite newer work")),
    responses((status = 200, description = "Submitted", body = Assessment,
                  headers(("ETag" = String, description = "The assessment's version, quoted (`\"4\"`): send it back in `If-Match`"))),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`assessment_locked` or `invalid_transition`: the status does not allow this, or \
                  `concurrent_update`: a colleague saved at the same moment", body = Problem, content_type = "application/problem+json"),
              (status = 412, body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "`assessment_incomplete`: every unanswered item in `errors`", body = Problem, content_type = "application/problem+json"),
              (status = 428, body = Problem, content_type = "application/problem+json")))]
pub async fn submit(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    assessments::answers::submit(&state.kensa, &auth.0, id, if_match(&req)?).await?;
    fresh(&state, &auth, id).await
}

/// Review a submitted assessment
///
/// The buyer accepts or requests changes, with an overall comment and per-item comments the
/// supplier sees. The buyer's owners, admins and reviewers.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/review", operation_id = "reviewAssessment", tag = "assessments",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The assessment's id"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` last seen (`\"4\"`, `W/\"4\"` or `4`; `*` for any): refuses (412) to overwrite newer work")),
    request_body = ReviewInput,
    responses((status = 200, description = "Reviewed", body = Assessment,
                  headers(("ETag" = String, description = "The assessment's version, quoted (`\"4\"`): send it back in `If-Match`"))),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`assessment_locked` or `invalid_transition`: the status does not allow this, or \
                  `concurrent_update`: a colleague saved at the same moment", body = Problem, content_type = "application/problem+json"),
              (status = 412, body = Problem, content_type = "application/problem+json"),
              (status = 428, body = Problem, content_type = "application/problem+json")))]
pub async fn review(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: JsonBody<ReviewInput>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    assessments::review::review(&state.kensa, &auth.0, id, body.0, if_match(&req)?).await?;
    fresh(&state, &auth, id).await
}

/// Cancel an assessment
///
/// The buyer withdraws it; the invitation link stops working. The buyer's owners, admins
/// and reviewers.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/cancel", operation_id = "cancelAssessment", tag = "assessments",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The assessment's id"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` last seen (`\"4\"`, `W/\"4\"` or `4`; `*` for any): refuses (412) to overwrite newer work")),
    responses((status = 200, description = "Cancelled", body = Assessment,
                  headers(("ETag" = String, description = "The assessment's version, quoted (`\"4\"`): send it back in `If-Match`"))),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`assessment_locked` or `invalid_transition`: the status does not allow this, or \
                  `concurrent_update`: a colleague saved at the same moment", body = Problem, content_type = "application/problem+json"),
              (status = 412, body = Problem, content_type = "application/problem+json"),
              (status = 428, body = Problem, content_type = "application/problem+json")))]
pub async fn cancel(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let assessment = assessments::service::cancel(&state.kensa, &auth.0, path.into_inner(), if_match(&req)?).await?;
    Ok(with_etag(&assessment))
}

/// Resend the invitation
///
/// Mails the invitation again; the earlier link stops working. The buyer's owners, admins
/// and reviewers.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/resend-invitation", operation_id = "resendInvitation", tag = "assessments",
    security(("bearer" = [])), params(IdempotencyHeader, ("id" = Uuid, Path, description = "The assessment's id")),
    responses((status = 202, description = "The mail is queued"),
              (status = 403, description = "`forbidden` for the role; `email_unverified` until the organization's owner verified their address", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`invalid_transition`: the assessment is no longer open, or `supplier_deleted`", body = Problem, content_type = "application/problem+json")))]
pub async fn resend(
    state: web::Data<AppState>,
    auth: Auth,
    idem: Idempotency,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let ctx = auth.0.clone();
    idem.run(&state.kensa.clone(), &auth.0, async move {
        assessments::invitations::resend(&state.kensa, &ctx, path.into_inner()).await?;
        Ok(HttpResponse::Accepted().finish())
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CommentQuery {
    /// Only comments on this item.
    pub item_no: Option<u32>,
    /// 1–200, default 50.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List comments
///
/// Those the caller may see (the supplier never sees the buyer's internal ones), oldest
/// first, a page at a time.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/comments", operation_id = "listComments", tag = "assessments",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The assessment's id"), CommentQuery),
    responses((status = 200, description = "A page of comments", body = CommentPage)))]
pub async fn comments(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    query: Query<CommentQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let result = assessments::review::comments_page(&state.kensa, &auth.0, path.into_inner(), q.item_no, &page).await?;
    Ok(HttpResponse::Ok().json(CommentPage { data: result.data, next_cursor: result.next_cursor }))
}

/// Get a comment
///
/// One comment the caller may see: the supplier never sees the buyer's internal ones (they
/// are "not found").
#[utoipa::path(get, path = "/api/v1/assessments/{id}/comments/{comment_id}", operation_id = "getComment", tag = "assessments",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The assessment's id"), ("comment_id" = Uuid, Path, description = "The comment's id")),
    responses((status = 200, description = "The comment", body = Comment)))]
pub async fn comment(state: web::Data<AppState>, auth: Auth, path: web::Path<(Uuid, Uuid)>) -> ApiResult<HttpResponse> {
    let (id, comment_id) = path.into_inner();
    Ok(HttpResponse::Ok().json(assessments::review::comment(&state.kensa, &auth.0, id, comment_id).await?))
}

/// Add a comment
///
/// On the assessment or one item; `internal` ones are the buyer's. Either side's owners and
/// admins, the supplier's respondents and the buyer's reviewers.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/comments", operation_id = "addComment", tag = "assessments",
    security(("bearer" = [])), params(IdempotencyHeader, ("id" = Uuid, Path, description = "The assessment's id")), request_body = CommentInput,
    responses((status = 201, description = "The comment", body = Comment,
                  headers(("Location" = String, description = "`/api/v1/assessments/{id}/comments/{comment_id}`"))),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn add_comment(
    state: web::Data<AppState>,
    auth: Auth,
    idem: Idempotency,
    path: web::Path<Uuid>,
    body: JsonBody<CommentInput>,
) -> ApiResult<HttpResponse> {
    let ctx = auth.0.clone();
    let id = path.into_inner();
    idem.run(&state.kensa.clone(), &auth.0, async move {
        let comment = assessments::review::add_comment(&state.kensa, &ctx, id, body.0).await?;
        let location = format!("/api/v1/assessments/{id}/comments/{}", comment.id);
        Ok(HttpResponse::Created().insert_header((header::LOCATION, location)).json(comment))
    })
    .await
}

/// List the history
///
/// Every transition and answer change: who, when, old and new value; oldest first, a page
/// at a time.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/history", operation_id = "listHistory", tag = "assessments",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The assessment's id"), PageQuery),
    responses((status = 200, description = "A page of events", body = HistoryPage)))]
pub async fn history(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    query: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let result = assessments::service::history_page(&state.kensa, &auth.0, path.into_inner(), &page).await?;
    Ok(HttpResponse::Ok().json(HistoryPage { data: result.data, next_cursor: result.next_cursor }))
}
