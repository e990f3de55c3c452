//! `/api/v1/shares` and `/api/v1/share-requests`: sharing answers with consent.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use kensa_domain::pagination::PageRequest;
use kensa_domain::shares::{
    self, NewShare, NewShareRequest, NewShareReview, Share, ShareDirection, ShareRequest, ShareReviewed,
    SharedAssessment,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, JsonBody, Query};
use crate::rest::assessments::QuestionList;
use crate::rest::evidence::{FileBytes, stored_file_response};
use crate::rest::page::PageQuery;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct SharePage {
    pub data: Vec<Share>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShareRequestPage {
    pub data: Vec<ShareRequest>,
    pub next_cursor: Option<String>,
}

/// `?direction=&limit=&cursor=`
#[derive(Debug, Deserialize, IntoParams)]
pub struct ShareListQuery {
    /// `outgoing` (made by the caller's organization) or `incoming` (made to it, still
    /// readable); both when absent.
    pub direction: Option<ShareDirection>,
    /// 1–200, default 50.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Share answers with another organization
///
/// A submitted or accepted assessment of the caller's organization (`assessment_id`: frozen
/// now, later changes do not reach it) or its answer library for a checklist (`template_id`:
/// live), with one recipient: an organization by id, the requester of an open share request
/// (which becomes `fulfilled`), or an email domain (the answer carries `link_token` once: a
/// user with a verified address at that domain claims the share with it). `scope` says how
/// much the recipient reads; `expires_at` defaults to twelve months (at most three years);
/// `terms` must be accepted by the recipient before reading. Owners and admins.
#[utoipa::path(post, path = "/api/v1/shares", operation_id = "createShare", tag = "sharing", security(("bearer" = [])),
    request_body = NewShare,
    responses((status = 201, description = "Shared", body = Share,
                  headers(("Location" = String, description = "The share's URL"))),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`status_not_allowed` (not submitted), `request_closed`", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "`validation_failed` naming the field (`not_found` for an assessment, template, organization or request the caller cannot use)",
                  body = Problem, content_type = "application/problem+json")))]
pub async fn create(state: web::Data<AppState>, auth: Auth, body: JsonBody<NewShare>) -> ApiResult<HttpResponse> {
    let share = shares::create(&state.kensa, &auth.0, body.0).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/api/v1/shares/{}", share.id))).json(share))
}

/// List shares
///
/// Those the caller's organization made (every state) and those made to it (only while it
/// may read them: a revoked or expired share is gone for its recipient), oldest first.
#[utoipa::path(get, path = "/api/v1/shares", operation_id = "listShares", tag = "sharing", security(("bearer" = [])),
    params(ShareListQuery),
    responses((status = 200, description = "A page of shares", body = SharePage),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: web::Data<AppState>, auth: Auth, query: Query<ShareListQuery>) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let result = shares::list(&state.kensa, &auth.0, q.direction, &page).await?;
    Ok(HttpResponse::Ok().json(SharePage { data: result.data, next_cursor: result.next_cursor }))
}

/// Get a share
///
/// For its owner, and for its recipient while it may read it.
#[utoipa::path(get, path = "/api/v1/shares/{id}", operation_id = "getShare", tag = "sharing", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The share's id")),
    responses((status = 200, body = Share),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(shares::get(&state.kensa, &auth.0, *id).await?))
}

/// Revoke a share
///
/// The recipient loses it at once; a snapshot's evidence references go with it. Revoking
/// again changes nothing. The owner's owners and admins.
#[utoipa::path(delete, path = "/api/v1/shares/{id}", operation_id = "revokeShare", tag = "sharing", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The share's id")),
    responses((status = 204, description = "Revoked"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn revoke(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    shares::revoke(&state.kensa, &auth.0, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Read what was shared
///
/// The score, and, as the scope allows, the in-scope questions with their answers (no
/// answering user) and the evidence files. A snapshot is as it was when shared; a live
/// profile is the supplier's library now, shown for every level. Each read is recorded in
/// the supplier's audit trail. The recipient's members, after its terms were accepted.
#[utoipa::path(get, path = "/api/v1/shares/{id}/assessment", operation_id = "readShare", tag = "sharing", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The share's id")),
    responses((status = 200, body = SharedAssessment),
              (status = 404, description = "No such share for the caller, or revoked or expired", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`terms_not_accepted`", body = Problem, content_type = "application/problem+json")))]
pub async fn read(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(shares::read(&state.kensa, &auth.0, *id).await?))
}

/// The shared score
///
/// The score part of `GET /api/v1/shares/{id}/assessment`, in the shape of
/// `GET /api/v1/assessments/{id}/score`. Recorded in the supplier's audit trail.
#[utoipa::path(get, path = "/api/v1/shares/{id}/assessment/score", operation_id = "readShareScore", tag = "sharing",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The share's id")),
    responses((status = 200, body = kensa_domain::scoring::Score),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`terms_not_accepted`", body = Problem, content_type = "application/problem+json")))]
pub async fn read_score(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let shared = shares::read_part(&state.kensa, &auth.0, *id, shares::SharedPart::Score).await?;
    Ok(HttpResponse::Ok().json(shared.score))
}

/// The shared questions
///
/// The in-scope items with their answers, in the shape of
/// `GET /api/v1/assessments/{id}/questions`; 404 for a share of scores only. Recorded in the
/// supplier's audit trail.
#[utoipa::path(get, path = "/api/v1/shares/{id}/assessment/questions", operation_id = "readShareQuestions", tag = "sharing",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The share's id")),
    responses((status = 200, body = QuestionList),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`terms_not_accepted`", body = Problem, content_type = "application/problem+json")))]
pub async fn read_questions(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let shared = shares::read_part(&state.kensa, &auth.0, *id, shares::SharedPart::Questions).await?;
    Ok(HttpResponse::Ok().json(QuestionList { data: shared.questions.unwrap_or_default(), next_cursor: None }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SharedFileList {
    pub data: Vec<shares::SharedFile>,
    /// Always null: every file is in the list.
    pub next_cursor: Option<String>,
}

/// The shared evidence files
///
/// Their descriptions (download each at `…/evidence/{file_id}`); 404 unless the scope is
/// `answers_and_evidence`. Recorded in the supplier's audit trail.
#[utoipa::path(get, path = "/api/v1/shares/{id}/assessment/evidence", operation_id = "readShareEvidence", tag = "sharing",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The share's id")),
    responses((status = 200, body = SharedFileList),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`terms_not_accepted`", body = Problem, content_type = "application/problem+json")))]
pub async fn read_evidence(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let shared = shares::read_part(&state.kensa, &auth.0, *id, shares::SharedPart::Evidence).await?;
    Ok(HttpResponse::Ok().json(SharedFileList { data: shared.evidence.unwrap_or_default(), next_cursor: None }))
}

/// Download a shared evidence file
///
/// Only with the `answers_and_evidence` scope; recorded in the supplier's audit trail.
#[utoipa::path(get, path = "/api/v1/shares/{id}/evidence/{file_id}", operation_id = "downloadSharedEvidence", tag = "sharing",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The share's id"), ("file_id" = Uuid, Path, description = "The file's id in the shared assessment")),
    responses((status = 200, description = "The file's bytes, with the type it was uploaded as",
                  content((FileBytes = "application/octet-stream")),
                  headers(("Content-Disposition" = String, description = "`attachment` with the file's name"),
                          ("X-Checksum-SHA256" = String, description = "The file's SHA-256, hex"))),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`terms_not_accepted`", body = Problem, content_type = "application/problem+json"),
              (status = 503, description = "`downloads_busy`", body = Problem, content_type = "application/problem+json",
                  headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn download(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (id, file_id) = path.into_inner();
    let (meta, file, slot) = shares::download(&state.kensa, &auth.0, id, file_id).await?;
    Ok(stored_file_response(&meta.file_name, meta.content_type, meta.sha256, file, slot))
}

/// Accept a share's terms
///
/// Recorded (who, when, the terms' SHA-256) in the supplier's audit trail; the share can be
/// read from now on. Without terms, or accepted before, it changes nothing. The recipient's
/// owners, admins and reviewers.
#[utoipa::path(post, path = "/api/v1/shares/{id}/accept-terms", operation_id = "acceptShareTerms", tag = "sharing",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The share's id")),
    responses((status = 200, body = Share),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn accept_terms(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(shares::accept_terms(&state.kensa, &auth.0, *id).await?))
}

/// Review a share
///
/// `accept`, or `request_changes` with a `comment`: that opens a share request to the
/// supplier with the comment as its message (or answers with the one already open for the
/// checklist), which the supplier answers with a new share. The latest review replaces an
/// earlier one and shows on the share to both sides; each is in both organizations' audit
/// trails. The recipient's owners, admins and reviewers, after accepting the terms.
#[utoipa::path(post, path = "/api/v1/shares/{id}/review", operation_id = "reviewShare", tag = "sharing",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The share's id")),
    request_body = NewShareReview,
    responses((status = 200, body = ShareReviewed),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`terms_not_accepted`", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "`validation_failed` naming `comment`", body = Problem, content_type = "application/problem+json")))]
pub async fn review(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: JsonBody<NewShareReview>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(shares::review(&state.kensa, &auth.0, *id, body.0).await?))
}

/// Claim a share sent to your email domain
///
/// With the `link_token` the supplier sent: the share becomes the caller's organization's.
/// The caller's address must be verified and at the share's domain. Owners, admins and
/// reviewers, signed in as themselves.
#[utoipa::path(post, path = "/api/v1/shares/claim/{token}", operation_id = "claimShare", tag = "sharing", security(("bearer" = [])),
    params(("token" = String, Path, description = "The share's `link_token`")),
    responses((status = 200, body = Share),
              (status = 403, description = "`forbidden`, `email_unverified`, `address_not_allowed` (another domain), `link_not_allowed` (your own share)",
                  body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No share has this token, or it was revoked", body = Problem, content_type = "application/problem+json"),
              (status = 410, description = "`link_used` (another organization claimed it), `link_expired`", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn claim(state: web::Data<AppState>, auth: Auth, token: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(shares::claim(&state.kensa, &auth.0, &token).await?))
}

/// Ask a supplier to share its answers
///
/// For a supplier of the caller's registry that has an organization on Kensa, and a
/// checklist: the supplier sees the request and can share its answers in reply
/// (`share_request_id` in `POST /api/v1/shares`) or decline. An open request for the same
/// supplier and checklist is answered again (200) instead of repeated. Owners, admins and
/// reviewers.
#[utoipa::path(post, path = "/api/v1/share-requests", operation_id = "requestShare", tag = "sharing", security(("bearer" = [])),
    request_body = NewShareRequest,
    responses((status = 201, description = "Asked", body = ShareRequest,
                  headers(("Location" = String, description = "`/api/v1/share-requests` (requests are listed, not read one by one)"))),
              (status = 200, description = "Already asked: the open request", body = ShareRequest),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "`validation_failed` naming `supplier_id`, `template_id` or `message`", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn request(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<NewShareRequest>,
) -> ApiResult<HttpResponse> {
    let (request, created) = shares::request(&state.kensa, &auth.0, body.0).await?;
    Ok(if created {
        HttpResponse::Created().insert_header((header::LOCATION, "/api/v1/share-requests")).json(request)
    } else {
        HttpResponse::Ok().json(request)
    })
}

/// List share requests
///
/// Those the caller's organization made and those made to it, oldest first.
#[utoipa::path(get, path = "/api/v1/share-requests", operation_id = "listShareRequests", tag = "sharing", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, description = "A page of requests", body = ShareRequestPage),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_requests(state: web::Data<AppState>, auth: Auth, query: Query<PageQuery>) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let result = shares::list_requests(&state.kensa, &auth.0, &page).await?;
    Ok(HttpResponse::Ok().json(ShareRequestPage { data: result.data, next_cursor: result.next_cursor }))
}

/// Decline a share request
///
/// The supplier's owners and admins; only an open request.
#[utoipa::path(post, path = "/api/v1/share-requests/{id}/decline", operation_id = "declineShareRequest", tag = "sharing",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The request's id")),
    responses((status = 200, body = ShareRequest),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`request_closed`", body = Problem, content_type = "application/problem+json")))]
pub async fn decline(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(shares::decline_request(&state.kensa, &auth.0, *id).await?))
}

/// Withdraw a share request
///
/// The requester's owners, admins and reviewers; only an open request. Answers it, cancelled.
#[utoipa::path(delete, path = "/api/v1/share-requests/{id}", operation_id = "cancelShareRequest", tag = "sharing",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The request's id")),
    responses((status = 200, body = ShareRequest),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`request_closed`", body = Problem, content_type = "application/problem+json")))]
pub async fn cancel(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(shares::cancel_request(&state.kensa, &auth.0, *id).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SharedComparisonPage {
    pub data: Vec<shares::SharedComparisonRow>,
    pub next_cursor: Option<String>,
}

/// `?template_id=&limit=&cursor=`
#[derive(Debug, Deserialize, IntoParams)]
pub struct SharedComparisonQuery {
    /// Only shares of this template's line (any version).
    pub template_id: Option<Uuid>,
    /// 1–200, default 50.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Compare what suppliers shared
///
/// The comparison's shared rows: every share the caller's organization may read now, oldest
/// first, marked by its `share` (kind, scope, date: `submitted_at` for a snapshot, else
/// `created_at`; expiry), with the supplier as the caller registered it (null when it has no
/// record of that organization) and the score (null until the share's terms are accepted).
/// Each score shown is recorded in the supplier's audit trail. Any member.
#[utoipa::path(get, path = "/api/v1/comparison/shared", operation_id = "sharedComparison", tag = "scores",
    security(("bearer" = [])), params(SharedComparisonQuery),
    responses((status = 200, description = "A page of shared rows", body = SharedComparisonPage),
              (status = 422, description = "`validation_failed` naming `template_id`, `limit` or `cursor`", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn shared_comparison(
    state: web::Data<AppState>,
    auth: Auth,
    query: Query<SharedComparisonQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let result = shares::shared_comparison(&state.kensa, &auth.0, q.template_id, &page).await?;
    Ok(HttpResponse::Ok().json(SharedComparisonPage { data: result.data, next_cursor: result.next_cursor }))
}
