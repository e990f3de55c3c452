//! `/api/v1/library`: the supplier's answer library, and prefilling an assessment from it.

use actix_web::{HttpRequest, HttpResponse, web};
use kensa_domain::assessments::AnswerInput;
use kensa_domain::library::{self, Library, LibraryAnswer, LibraryLine, PrefillPlan};
use uuid::Uuid;

use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, JsonBody, etag, if_match};
use crate::state::AppState;

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LibraryLineList {
    pub data: Vec<LibraryLine>,
    /// Always null: every line is in the list.
    pub next_cursor: Option<String>,
}

/// The answer library's lines
///
/// Every template line the caller's organization's library holds answers for: its newest
/// version (read the line's answers at `GET /api/v1/library/{template_id}`), how many items
/// and when the newest answer was. Owners, admins and respondents.
#[utoipa::path(get, path = "/api/v1/library", operation_id = "listLibraryLines", tag = "library",
    security(("bearer" = [])),
    responses((status = 200, body = LibraryLineList),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn lines(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    let data = library::lines(&state.kensa, &auth.0).await?;
    Ok(HttpResponse::Ok().json(LibraryLineList { data, next_cursor: None }))
}

/// The answer library of a template line
///
/// The caller's organization's latest answer to each item of the line of `template_id` (any
/// version of it: the built-in check sheet, one of the organization's own, or the template
/// of an assessment addressed to it), with remediation plans and evidence files. Submitting
/// an assessment puts its answers here. Owners, admins and respondents.
#[utoipa::path(get, path = "/api/v1/library/{template_id}", operation_id = "getLibrary", tag = "library",
    security(("bearer" = [])), params(("template_id" = Uuid, Path, description = "A template of the line")),
    responses((status = 200, body = Library),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(state: web::Data<AppState>, auth: Auth, path: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(library::view(&state.kensa, &auth.0, path.into_inner()).await?))
}

/// Write one answer of the library
///
/// The draft profile: sets the library's answer to item `no`, checked with the rules of
/// `template_id`'s checklist as an assessment's answer is. Its evidence files stay. Owners,
/// admins and respondents.
#[utoipa::path(put, path = "/api/v1/library/{template_id}/items/{no}", operation_id = "saveLibraryAnswer", tag = "library",
    security(("bearer" = [])),
    params(("template_id" = Uuid, Path, description = "A template of the line"), ("no" = u32, Path, description = "The item number")),
    request_body = AnswerInput,
    responses((status = 200, description = "Saved", body = LibraryAnswer),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_item(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, u32)>,
    body: JsonBody<AnswerInput>,
) -> ApiResult<HttpResponse> {
    let (template_id, no) = path.into_inner();
    Ok(HttpResponse::Ok().json(library::save_item(&state.kensa, &auth.0, template_id, no, body.0).await?))
}

/// Remove one answer from the library
///
/// With its evidence references (the files stay with the assessments that hold them).
/// Owners, admins and respondents.
#[utoipa::path(delete, path = "/api/v1/library/{template_id}/items/{no}", operation_id = "deleteLibraryAnswer", tag = "library",
    security(("bearer" = [])),
    params(("template_id" = Uuid, Path, description = "A template of the line"), ("no" = u32, Path, description = "The item number")),
    responses((status = 204, description = "Removed"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete_item(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, u32)>,
) -> ApiResult<HttpResponse> {
    let (template_id, no) = path.into_inner();
    library::delete_item(&state.kensa, &auth.0, template_id, no).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Preview a prefill from the library
///
/// Per in-scope item the library has an answer for: what a prefill would do with it
/// (`prefill`, `keep_answer` for a confirmed answer, `not_allowed` when this checklist
/// refuses it) and how it compares with the answer this buyer last received (`new`,
/// `unchanged`, `changed`, with both). Changes nothing. The supplier's owners, admins and
/// respondents.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/prefill", operation_id = "previewPrefill", tag = "library",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The assessment's id")),
    responses((status = 200, body = PrefillPlan),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn preview(state: web::Data<AppState>, auth: Auth, path: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(library::preview(&state.kensa, &auth.0, path.into_inner()).await?))
}

/// Prefill an assessment from the library
///
/// Copies the library's answers (and their evidence files) into every in-scope item that
/// has no confirmed answer yet, each marked `carried_over`: the assessment cannot be
/// submitted until the supplier confirms or changes each one. One change, one new version
/// (none when there was nothing to copy). Answers the plan with `prefilled` set. Same roles
/// and `If-Match` as saving answers.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/prefill", operation_id = "prefillAssessment", tag = "library",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The assessment's id"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` last seen (`\"4\"`, `W/\"4\"` or `4`; `*` for any): refuses (412) to overwrite newer work")),
    responses((status = 200, description = "Prefilled", body = PrefillPlan,
                  headers(("ETag" = String, description = "The assessment's version, quoted (`\"4\"`): send it back in `If-Match`"))),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`assessment_locked` or `invalid_transition`: the status does not allow this",
                  body = Problem, content_type = "application/problem+json"),
              (status = 412, body = Problem, content_type = "application/problem+json"),
              (status = 428, body = Problem, content_type = "application/problem+json")))]
pub async fn prefill(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let plan = library::prefill(&state.kensa, &auth.0, path.into_inner(), if_match(&req)?).await?;
    Ok(HttpResponse::Ok().insert_header(etag(plan.version)).json(plan))
}
