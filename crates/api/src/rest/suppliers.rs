//! `/api/v1/suppliers`: the buyer's supplier registry.

use actix_web::{HttpRequest, HttpResponse, web};
use kensa_domain::ErrorCode;
use kensa_domain::pagination::PageRequest;
use kensa_domain::suppliers::{self, ImportReport, Supplier, SupplierFilter, SupplierInput};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Auth, JsonBody, Query, etag, if_match};
use crate::idempotency::Idempotency;
use crate::openapi::{IdempotencyHeader, IfMatchHeader};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct SupplierPage {
    pub data: Vec<Supplier>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SupplierQuery {
    /// Part of the name or contact email, any case.
    pub q: Option<String>,
    pub tier: Option<String>,
    pub target_level: Option<i32>,
    pub tag: Option<String>,
    /// Status of the latest assessment (`not_started`, `sent`, `in_progress`, …).
    pub review_status: Option<String>,
    /// Only suppliers changed at or after this instant (RFC 3339, e.g.
    /// `2026-04-01T00:00:00Z`): incremental sync. Deleted suppliers leave the list.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Register a supplier. With `Idempotency-Key`, a retry answers the first response.
#[utoipa::path(post, path = "/api/v1/suppliers", tag = "suppliers", security(("bearer" = [])), request_body = SupplierInput,
    params(IdempotencyHeader),
    responses((status = 201, body = Supplier, headers(("ETag" = String, description = "The version, for If-Match"))),
              (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    idem: Idempotency,
    body: JsonBody<SupplierInput>,
) -> ApiResult<HttpResponse> {
    let ctx = auth.0.clone();
    idem.run(&state.kensa.clone(), &auth.0, async move {
        let supplier = suppliers::service::create(&state.kensa, ctx.editor()?, body.0).await?;
        Ok(HttpResponse::Created().insert_header(etag(supplier.version)).json(supplier))
    })
    .await
}

/// List suppliers (cursor pagination, search and filters).
#[utoipa::path(get, path = "/api/v1/suppliers", tag = "suppliers", security(("bearer" = [])), params(SupplierQuery),
    responses((status = 200, body = SupplierPage)))]
pub async fn list(state: web::Data<AppState>, auth: Auth, query: Query<SupplierQuery>) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let filter = SupplierFilter {
        q: q.q,
        tier: q.tier,
        target_level: q.target_level,
        tag: q.tag,
        review_status: q.review_status,
        updated_since: q.updated_since,
    };
    let result = suppliers::service::list(&state.kensa, &auth.0, &filter, &page).await?;
    Ok(HttpResponse::Ok().json(SupplierPage { data: result.data, next_cursor: result.next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/suppliers/{id}", tag = "suppliers", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Supplier, headers(("ETag" = String, description = "The version, for If-Match"))),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(state: web::Data<AppState>, auth: Auth, path: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let supplier = suppliers::service::get(&state.kensa, &auth.0, path.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(supplier.version)).json(supplier))
}

/// Change any of the supplier's fields. With `If-Match`, only at that version (412).
#[utoipa::path(patch, path = "/api/v1/suppliers/{id}", tag = "suppliers", security(("bearer" = [])),
    params(("id" = Uuid, Path), IfMatchHeader), request_body = SupplierInput,
    responses((status = 200, body = Supplier, headers(("ETag" = String, description = "The new version"))),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 412, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"),
              (status = 428, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: JsonBody<SupplierInput>,
) -> ApiResult<HttpResponse> {
    let supplier =
        suppliers::service::update(&state.kensa, auth.0.editor()?, path.into_inner(), body.0, if_match(&req)?).await?;
    Ok(HttpResponse::Ok().insert_header(etag(supplier.version)).json(supplier))
}

/// Remove a supplier from the registry (kept for the history of its assessments). With
/// `If-Match`, only at that version (412).
#[utoipa::path(delete, path = "/api/v1/suppliers/{id}", tag = "suppliers", security(("bearer" = [])),
    params(("id" = Uuid, Path), IfMatchHeader),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 412, body = Problem, content_type = "application/problem+json"),
              (status = 428, body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    suppliers::service::delete(&state.kensa, auth.0.editor()?, path.into_inner(), if_match(&req)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Every supplier as CSV: the import's columns, UTF-8 with a byte-order mark, cells that a
/// spreadsheet would run as formulas (`=`, `+`, `-`, `@`, TAB, CR) prefixed with `'`. The
/// import takes the file back unchanged.
#[utoipa::path(get, path = "/api/v1/suppliers/export", tag = "suppliers", security(("bearer" = [])),
    responses((status = 200, description = "The registry as CSV", content_type = "text/csv", body = String),
              (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn export(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    let bytes = suppliers::export::export(&state.kensa, &auth.0).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("content-disposition", "attachment; filename=\"suppliers.csv\""))
        .body(bytes))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ImportQuery {
    /// Import the valid rows even when others are rejected.
    pub partial: Option<bool>,
}

pub const CSV_LIMIT: usize = 16 * 1024 * 1024;

/// Import suppliers from CSV (`text/csv`; UTF-8 with or without BOM, or Shift_JIS). Header:
/// `name,contact_name,contact_email,tier,target_level,tags` (tags separated by `;`). A
/// known contact email updates that supplier. With any rejected row nothing is imported
/// (422 listing every row) unless `?partial=true`.
#[utoipa::path(post, path = "/api/v1/suppliers/import", tag = "suppliers", security(("bearer" = [])),
    params(ImportQuery, IdempotencyHeader),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn import(
    state: web::Data<AppState>,
    auth: Auth,
    idem: Idempotency,
    req: HttpRequest,
    query: Query<ImportQuery>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    auth.0.editor()?;
    let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !content_type.starts_with("text/csv") && !content_type.starts_with("text/plain") {
        return Err(ApiError::UnsupportedMediaType("Content-Type: text/csv"));
    }
    let bytes = crate::extract::read_body(&req, payload, CSV_LIMIT).await?;
    let ctx = auth.0.clone();
    idem.run(&state.kensa.clone(), &auth.0, async move { import_rows(&state, &ctx, &bytes, query.partial).await }).await
}

async fn import_rows(
    state: &AppState,
    ctx: &kensa_domain::tenant::TenantCtx,
    bytes: &[u8],
    partial: Option<bool>,
) -> ApiResult<HttpResponse> {
    let report = suppliers::import::import(&state.kensa, ctx.editor()?, bytes, partial.unwrap_or(false)).await?;
    if !report.applied {
        let errors = report
            .rejected
            .iter()
            .map(|r| {
                kensa_domain::FieldError::new(format!("line {}", r.line), ErrorCode::RejectedRow, r.reason.clone())
            })
            .collect();
        return Err(kensa_domain::DomainError::Unprocessable {
            code: ErrorCode::ImportRejected,
            detail: format!(
                "{} rows were rejected and nothing was imported; fix them or send ?partial=true",
                report.rejected.len()
            ),
            errors,
        }
        .into());
    }
    Ok(HttpResponse::Ok().json(report))
}
