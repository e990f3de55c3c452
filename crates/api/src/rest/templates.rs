//! `/api/v1/templates`: the built-in check sheet and the organization's own templates.

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

/// Built-in templates (latest version of each) and the organization's own.
#[utoipa::path(get, path = "/api/v1/templates", tag = "templates", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = TemplatePage), (status = 401, body = Problem, content_type = "application/problem+json")))]
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

/// One template with its tree `categories → sections → items`.
#[utoipa::path(get, path = "/api/v1/templates/{id}", tag = "templates", security(("bearer" = [])),
    params(("id" = Uuid, Path), TreeQuery),
    responses((status = 200, body = templates::TemplateView, headers(("ETag" = String, description = "The version, for If-Match"))),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
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

/// The template as an importable document (the same shape `POST /api/v1/templates` takes).
#[utoipa::path(get, path = "/api/v1/templates/{id}/export", tag = "templates", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = TemplateDocument), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn export(state: web::Data<AppState>, auth: Auth, path: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let doc = templates::service::export(&state.kensa, &auth.0, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(doc))
}

/// Import a custom template. Every problem is listed at once, with its path. Bounds: 4 MiB
/// a document; 100 categories, 100 sections a category, 500 items a section, 2,000 items;
/// 50 lines each of criteria, scope, frequency and notes, 1,000 characters a line; 4,000
/// characters a question (422 `too_many` / `too_long` naming the path; 413 over 4 MiB).
#[utoipa::path(post, path = "/api/v1/templates", tag = "templates", security(("bearer" = [])), request_body = TemplateDocument,
    params(IdempotencyHeader),
    responses((status = 201, body = templates::TemplateView, headers(("ETag" = String, description = "The version, for If-Match"))),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    idem: Idempotency,
    body: JsonBody<TemplateDocument, TEMPLATE_DOCUMENT_LIMIT>,
) -> ApiResult<HttpResponse> {
    let ctx = auth.0.clone();
    idem.run(&state.kensa.clone(), &auth.0, async move {
        let view = templates::service::import(&state.kensa, ctx.editor()?, body.0).await?;
        Ok(HttpResponse::Created().insert_header(etag(view.summary.version)).json(view))
    })
    .await
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloneRequest {
    /// Defaults to the source's key with a random suffix.
    pub key: Option<String>,
    pub name: Option<String>,
}

/// Copy a template (typically the built-in) into the organization, to adapt it.
#[utoipa::path(post, path = "/api/v1/templates/{id}/clone", tag = "templates", security(("bearer" = [])),
    params(("id" = Uuid, Path), IdempotencyHeader), request_body = CloneRequest,
    responses((status = 201, body = templates::TemplateView, headers(("ETag" = String, description = "The version, for If-Match"))),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
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
        Ok(HttpResponse::Created().insert_header(etag(view.summary.version)).json(view))
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplatePatchRequest {
    pub key: Option<String>,
    pub name: Option<String>,
    pub name_en: Option<String>,
    pub guideline_version: Option<String>,
    pub language: Option<String>,
    pub answer_scale: Option<AnswerScale>,
    /// Replaces the whole tree.
    pub categories: Option<Vec<Category>>,
}

/// Edit an unused custom template; its version moves on. Built-in templates and templates
/// used by an assessment answer 409: clone them instead. With `If-Match`, only at that
/// version (412).
#[utoipa::path(patch, path = "/api/v1/templates/{id}", tag = "templates", security(("bearer" = [])),
    params(("id" = Uuid, Path), IfMatchHeader), request_body = TemplatePatchRequest,
    responses((status = 200, body = templates::TemplateView, headers(("ETag" = String, description = "The new version"))),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 412, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"),
              (status = 428, body = Problem, content_type = "application/problem+json")))]
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
