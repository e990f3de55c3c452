//! `/api/v1/suppliers`: the buyer's supplier registry.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use kensa_domain::pagination::PageRequest;
use kensa_domain::suppliers::{self, ImportReport, Supplier, SupplierFilter, SupplierInput};
use kensa_domain::{DomainError, ErrorCode};
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
    /// Exactly this tier.
    pub tier: Option<String>,
    /// Exactly this target level.
    #[param(minimum = 1, maximum = 3)]
    pub target_level: Option<i32>,
    /// Suppliers with this tag.
    pub tag: Option<String>,
    /// Status of the latest assessment.
    #[param(value_type = Option<kensa_domain::suppliers::model::ReviewStatus>)]
    pub review_status: Option<String>,
    /// Only suppliers changed at or after this instant (RFC 3339, e.g.
    /// `2026-04-01T00:00:00Z`): incremental sync. Deleted suppliers leave the list.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl SupplierQuery {
    /// The page asked for, and the filters as the domain takes them.
    pub fn into_parts(self) -> ((Option<u64>, Option<String>), SupplierFilter) {
        let filter = SupplierFilter {
            q: self.q,
            tier: self.tier,
            target_level: self.target_level,
            tag: self.tag,
            review_status: self.review_status,
            updated_since: self.updated_since,
        };
        ((self.limit, self.cursor), filter)
    }
}

fn created(supplier: &Supplier) -> HttpResponse {
    let location = format!("/api/v1/suppliers/{}", supplier.id);
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header(etag(supplier.version))
        .json(supplier)
}

/// Register a supplier
///
/// Owners, admins and reviewers.
#[utoipa::path(post, path = "/api/v1/suppliers", operation_id = "createSupplier", tag = "suppliers", security(("bearer" = [])),
    params(IdempotencyHeader), request_body = kensa_domain::wire::SupplierCreate,
    responses((status = 201, description = "The supplier", body = Supplier,
                  headers(("Location" = String, description = "`/api/v1/suppliers/{id}`"), ("ETag" = String, description = "The supplier's version, quoted (`\"2\"`): send it back in `If-Match`"))),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`supplier_email_taken`: a supplier with this contact email exists", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    idem: Idempotency,
    body: JsonBody<SupplierInput>,
) -> ApiResult<HttpResponse> {
    let ctx = auth.0.clone();
    idem.run(&state.kensa.clone(), &auth.0, async move {
        let supplier = suppliers::service::create(&state.kensa, ctx.editor()?, body.0).await?;
        Ok(created(&supplier))
    })
    .await
}

/// List suppliers
///
/// Cursor pagination, search and filters.
#[utoipa::path(get, path = "/api/v1/suppliers", operation_id = "listSuppliers", tag = "suppliers", security(("bearer" = [])),
    params(SupplierQuery), responses((status = 200, description = "A page of suppliers", body = SupplierPage)))]
pub async fn list(state: web::Data<AppState>, auth: Auth, query: Query<SupplierQuery>) -> ApiResult<HttpResponse> {
    let ((limit, cursor), filter) = query.into_inner().into_parts();
    let page = PageRequest::parse(limit, cursor.as_deref())?;
    let result = suppliers::service::list(&state.kensa, &auth.0, &filter, &page).await?;
    Ok(HttpResponse::Ok().json(SupplierPage { data: result.data, next_cursor: result.next_cursor }))
}

/// Get a supplier
#[utoipa::path(get, path = "/api/v1/suppliers/{id}", operation_id = "getSupplier", tag = "suppliers", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The supplier's id")),
    responses((status = 200, description = "The supplier", body = Supplier, headers(("ETag" = String, description = "The supplier's version, quoted (`\"2\"`): send it back in `If-Match`")))))]
pub async fn get(state: web::Data<AppState>, auth: Auth, path: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let supplier = suppliers::service::get(&state.kensa, &auth.0, path.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(supplier.version)).json(supplier))
}

/// Change a supplier
///
/// Any of its fields; those left out keep their values. Owners, admins and reviewers.
#[utoipa::path(patch, path = "/api/v1/suppliers/{id}", operation_id = "updateSupplier", tag = "suppliers", security(("bearer" = [])),
    params(IfMatchHeader, ("id" = Uuid, Path, description = "The supplier's id")), request_body = SupplierInput,
    responses((status = 200, description = "The supplier as changed", body = Supplier, headers(("ETag" = String, description = "The supplier's version, quoted (`\"2\"`): send it back in `If-Match`"))),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`supplier_email_taken`: another supplier has this contact email", body = Problem,
                  content_type = "application/problem+json"),
              (status = 428, body = Problem, content_type = "application/problem+json"),
              (status = 412, body = Problem, content_type = "application/problem+json")))]
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

/// Remove a supplier
///
/// From the registry; it is kept for the history of its assessments. Owners, admins and
/// reviewers.
#[utoipa::path(delete, path = "/api/v1/suppliers/{id}", operation_id = "deleteSupplier", tag = "suppliers", security(("bearer" = [])),
    params(IfMatchHeader, ("id" = Uuid, Path, description = "The supplier's id")),
    responses((status = 204, description = "Removed"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 428, body = Problem, content_type = "application/problem+json"),
              (status = 412, body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    suppliers::service::delete(&state.kensa, auth.0.editor()?, path.into_inner(), if_match(&req)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Export every supplier as CSV
///
/// The import's columns, UTF-8 with a byte-order mark, cells that a spreadsheet would run as
/// formulas (`=`, `+`, `-`, `@`, TAB, CR) prefixed with `'`. The import takes the file back
/// unchanged.
#[utoipa::path(get, path = "/api/v1/suppliers/export", operation_id = "exportSuppliers", tag = "suppliers", security(("bearer" = [])),
    responses((status = 200, description = "The registry as CSV", content_type = "text/csv", body = String,
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"suppliers.csv\"`")))))]
pub async fn export(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    let bytes = suppliers::export::export(&state.kensa, &auth.0).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("content-disposition", "attachment; filename=\"suppliers.csv\""))
        .body(bytes))
}

/// The multipart form of an import.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CsvForm {
    /// The CSV file.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ImportQuery {
    /// Import the valid rows even when others are rejected.
    pub partial: Option<bool>,
}

pub const CSV_LIMIT: usize = 16 * 1024 * 1024;

/// Import suppliers from CSV
///
/// The file goes in the multipart field `file` (what generated clients send), or is the
/// whole body with `Content-Type: text/csv` (what `curl --data-binary` sends). UTF-8 with or
/// without BOM, or Shift_JIS; at most 16 MiB. Header:
/// `name,contact_name,contact_email,contact_locale,tier,target_level,tags` (tags separated
/// by `;`). A known contact email updates that supplier. With any rejected row nothing is
/// imported (422 `import_rejected` listing every row) unless `?partial=true`. Owners, admins
/// and reviewers.
#[utoipa::path(post, path = "/api/v1/suppliers/import", operation_id = "importSuppliers", tag = "suppliers",
    security(("bearer" = [])), params(IdempotencyHeader, ImportQuery),
    request_body(content = CsvForm, content_type = "multipart/form-data"),
    responses((status = 200, description = "What was created, updated and rejected", body = ImportReport),
              (status = 400, description = "`bad_request`: a malformed multipart body", body = Problem,
                  content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 413, description = "`payload_too_large`: over 16 MiB", body = Problem,
                  content_type = "application/problem+json"),
              (status = 415, description = "`unsupported_media_type`: send `multipart/form-data` or `text/csv`", body = Problem,
                  content_type = "application/problem+json"),
              (status = 422, description = "`import_rejected` (every rejected row in `errors`), or `validation_failed` naming `file` (`invalid_csv`, `invalid_encoding`, `too_many_rows`)",
                  body = Problem, content_type = "application/problem+json")))]
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
    let bytes = if content_type.starts_with("multipart/form-data") {
        read_csv_form(&req, payload).await?.file
    } else if content_type.starts_with("text/csv") || content_type.starts_with("text/plain") {
        crate::extract::read_body(&req, payload, CSV_LIMIT).await?
    } else {
        return Err(ApiError::UnsupportedMediaType("multipart/form-data (field `file`) or Content-Type: text/csv"));
    };
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
        return Err(DomainError::Unprocessable {
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

/// A CSV upload form as read: the file and the form's other (small) fields.
pub struct CsvUpload {
    pub file: web::BytesMut,
    /// The other fields (the pages' `_csrf`, `partial`), at most [`KEPT_FIELDS`] of them.
    pub fields: Vec<(String, String)>,
}

/// Other fields kept of an upload form; later ones are read and dropped.
const KEPT_FIELDS: usize = 8;

/// The field `file` of a multipart body, bounded like a raw body (413 past [`CSV_LIMIT`]);
/// other fields are read up to 1 KiB each, and the first few kept (the web page's form
/// carries its CSRF token in one).
pub async fn read_csv_form(req: &HttpRequest, payload: web::Payload) -> ApiResult<CsvUpload> {
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > CSV_LIMIT + FORM_OVERHEAD) {
        return Err(ApiError::PayloadTooLarge(CSV_LIMIT));
    }
    let malformed = |e: actix_multipart::MultipartError| ApiError::BadRequest(format!("malformed multipart body: {e}"));
    let mut form = actix_multipart::Multipart::new(req.headers(), payload);
    let mut file = None;
    let mut fields = Vec::new();
    while let Some(field) = form.next().await {
        let mut field = field.map_err(malformed)?;
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = name == "file";
        if is_file && file.is_some() {
            return Err(
                DomainError::validation("file", ErrorCode::TooManyFiles, "send one file, in the field `file`").into()
            );
        }
        let limit = if is_file { CSV_LIMIT } else { 1024 };
        let mut bytes = web::BytesMut::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(malformed)?;
            if bytes.len() + chunk.len() > limit {
                return Err(ApiError::PayloadTooLarge(limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        if is_file {
            file = Some(bytes);
        } else if fields.len() < KEPT_FIELDS {
            fields.push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    let file =
        file.ok_or_else(|| DomainError::validation("file", ErrorCode::Required, "send the CSV in the field `file`"))?;
    Ok(CsvUpload { file, fields })
}

/// Room for the multipart framing around the file.
const FORM_OVERHEAD: usize = 64 * 1024;
