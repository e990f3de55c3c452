//! `/api/v1/templates`: the built-in check sheet and the organization's own templates.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use kensa_domain::pagination::PageRequest;
use kensa_domain::templates::{self, AnswerScale, Category, CloneInput, TemplateDocument, TemplatePatch, TreeFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::page::PageQuery;
use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, JsonBody, OptionalJsonBody, Query, etag, if_match};
use crate::idempotency::Idempotency;
use crate::openapi::{IdempotencyHeader, IfMatchHeader};
use crate::state::AppState;

/// GraphQL's body limit still refers to this (see `graphql::BODY_LIMIT`).
pub const TEMPLATE_LIMIT: usize = 8 * 1024 * 1024;

/// A template document's bytes: 2,000 items at the built-in check sheet's density take
/// 1.8 MB. Inside, every list and string has its own bound (`templates::model::limits`).
pub const TEMPLATE_DOCUMENT_LIMIT: usize = 4 * 1024 * 1024;

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplatePage {
    pub data: Vec<templates::TemplateSummary>,
    pub next_cursor: Option<String>,
}

/// List templates
///
/// Built-in templates (latest version of each) and the organization's own.
#[utoipa::path(get, path = "/api/v1/templates", operation_id = "listTemplates", tag = "templates", security(("bearer" = [])),
    params(PageQuery), responses((status = 200, description = "A page of templates, without their trees", body = TemplatePage)))]
pub async fn list(state: web::Data<AppState>, auth: Auth, query: Query<PageQuery>) -> ApiResult<HttpResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let result = templates::service::list(&state.kensa, &auth.0, &page).await?;
    Ok(HttpResponse::Ok().json(TemplatePage { data: result.data, next_cursor: result.next_cursor }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct TreeQuery {
    /// Only items at or below this level (1, 2 or 3): what a supplier asked for Lv2 answers.
    pub max_level: Option<i64>,
    /// Only this category (1–24 for the built-in check sheet).
    pub category: Option<i64>,
}

/// Get a template with its tree
///
/// The tree is `categories → sections → items`, optionally filtered by level and category.
#[utoipa::path(get, path = "/api/v1/templates/{id}", operation_id = "getTemplate", tag = "templates", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The template's id"), TreeQuery),
    responses((status = 200, description = "The template", body = templates::TemplateView, headers(("ETag" = String, description = "The template's version, quoted (`\"1\"`): send it back in `If-Match`")))))]
pub async fn get(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    query: Query<TreeQuery>,
) -> ApiResult<HttpResponse> {
    let filter = TreeFilter::parse(query.max_level, query.category)?;
    let view = templates::service::get(&state.kensa, &auth.0, path.into_inner(), filter).await?;
    Ok(HttpResponse::Ok().insert_header(etag(view.summary.version)).json(view))
}

/// Export a template as a document
///
/// The same shape `POST /api/v1/templates` takes.
#[utoipa::path(get, path = "/api/v1/templates/{id}/export", operation_id = "exportTemplate", tag = "templates",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The template's id")),
    responses((status = 200, description = "The template document", body = TemplateDocument)))]
pub async fn export(state: web::Data<AppState>, auth: Auth, path: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let doc = templates::service::export(&state.kensa, &auth.0, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(doc))
}

/// Import a custom template
///
/// Every problem is listed at once, with its path. Bounds: 4 MiB a document; 100
/// categories, 100 sections a category, 500 items a section, 2,000 items; 50 lines each of
/// criteria, scope, frequency and notes, 1,000 characters a line; 4,000 characters a
/// question (422 `too_many` / `too_long` naming the path; 413 over 4 MiB). Owners, admins
/// and reviewers.
#[utoipa::path(post, path = "/api/v1/templates", operation_id = "createTemplate", tag = "templates", security(("bearer" = [])),
    request_body = TemplateDocument,
    params(IdempotencyHeader), responses((status = 201, description = "The template", body = templates::TemplateView,
                  headers(("Location" = String, description = "`/api/v1/templates/{id}`"), ("ETag" = String, description = "The template's version, quoted (`\"1\"`): send it back in `If-Match`"))),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`template_key_taken`: the organization has a template with this key", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    idem: Idempotency,
    body: JsonBody<TemplateDocument, TEMPLATE_DOCUMENT_LIMIT>,
) -> ApiResult<HttpResponse> {
    let ctx = auth.0.clone();
    idem.run(&state.kensa.clone(), &auth.0, async move {
        let view = templates::service::import(&state.kensa, ctx.editor()?, body.0).await?;
        Ok(created(&view))
    })
    .await
}

/// 201 with `Location` for a template just made.
fn created(view: &templates::TemplateView) -> HttpResponse {
    let location = format!("/api/v1/templates/{}", view.summary.id);
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header(etag(view.summary.version))
        .json(view)
}

#[derive(Debug, Default, Deserialize, ToSchema, async_graphql::InputObject)]
#[graphql(name = "CloneTemplateInput")]
#[serde(deny_unknown_fields)]
pub struct CloneRequest {
    /// Defaults to the source's key with a random suffix.
    #[schema(min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._-]+$")]
    pub key: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
}

/// Clone a template
///
/// Copies a template (typically the built-in) into the organization, to adapt it. The body
/// may be left out. Owners, admins and reviewers.
#[utoipa::path(post, path = "/api/v1/templates/{id}/clone", operation_id = "cloneTemplate", tag = "templates",
    security(("bearer" = [])), params(IdempotencyHeader, ("id" = Uuid, Path, description = "The template to copy")), request_body = CloneRequest,
    responses((status = 201, description = "The copy", body = templates::TemplateView,
                  headers(("Location" = String, description = "`/api/v1/templates/{id}` of the copy"))),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`template_key_taken`: the organization has a template with this key", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn clone(
    state: web::Data<AppState>,
    auth: Auth,
    idem: Idempotency,
    path: web::Path<Uuid>,
    body: OptionalJsonBody<CloneRequest>,
) -> ApiResult<HttpResponse> {
    let request = body.0.unwrap_or_default();
    let input = CloneInput { key: request.key, name: request.name };
    let ctx = auth.0.clone();
    idem.run(&state.kensa.clone(), &auth.0, async move {
        let view = templates::service::clone(&state.kensa, ctx.editor()?, path.into_inner(), input).await?;
        Ok(created(&view))
    })
    .await
}

// The fields an edit may replace (REST body and GraphQL `TemplatePatchInput`).
#[derive(Debug, Serialize, Deserialize, ToSchema, async_graphql::InputObject)]
#[graphql(name = "TemplatePatchInput")]
#[serde(deny_unknown_fields)]
pub struct TemplatePatchRequest {
    #[schema(min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._-]+$")]
    pub key: Option<String>,
    pub name: Option<String>,
    pub name_en: Option<String>,
    pub guideline_version: Option<String>,
    #[schema(value_type = Option<kensa_domain::users::model::Locale>)]
    pub language: Option<String>,
    pub answer_scale: Option<AnswerScale>,
    /// Replaces the whole tree.
    pub categories: Option<Vec<Category>>,
}

/// Edit an unused custom template
///
/// Built-in templates and templates used by an assessment answer 409: clone them instead.
/// Owners, admins and reviewers.
#[utoipa::path(patch, path = "/api/v1/templates/{id}", operation_id = "updateTemplate", tag = "templates",
    security(("bearer" = [])), params(IfMatchHeader, ("id" = Uuid, Path, description = "The template's id")), request_body = TemplatePatchRequest,
    responses((status = 200, description = "The template as changed", body = templates::TemplateView, headers(("ETag" = String, description = "The template's version, quoted (`\"1\"`): send it back in `If-Match`"))),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`template_immutable` (built-in), `template_in_use` or `template_key_taken`", body = Problem,
                  content_type = "application/problem+json"),
              (status = 428, body = Problem, content_type = "application/problem+json"),
              (status = 412, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: JsonBody<TemplatePatchRequest, TEMPLATE_DOCUMENT_LIMIT>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let patch = TemplatePatch {
        key: b.key,
        name: b.name,
        name_en: b.name_en,
        guideline_version: b.guideline_version,
        language: b.language,
        answer_scale: b.answer_scale,
        categories: b.categories,
    };
    let view =
        templates::service::update(&state.kensa, auth.0.editor()?, path.into_inner(), patch, if_match(&req)?).await?;
    Ok(HttpResponse::Ok().insert_header(etag(view.summary.version)).json(view))
}
