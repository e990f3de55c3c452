//! `/api/v1/assessments/{id}/evidence`: files that back the answers.

use actix_multipart::Multipart;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, web};
use futures_util::StreamExt;
use kensa_domain::DomainError;
use kensa_domain::assessments::evidence::{self, Evidence, MAX_FILE_BYTES, Upload};
use kensa_domain::pagination::PageRequest;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::dto::PageQuery;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::Auth;
use crate::state::AppState;

/// The multipart form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EvidenceForm {
    /// The file (up to 20 MiB; PDF, PNG, JPEG, GIF, ZIP, Office documents, text, CSV).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The item the file supports, if any.
    item_no: Option<u32>,
}

/// Upload a file (multipart field `file`, optional field `item_no`). Allowed while answers
/// are editable; the declared type is checked against the bytes.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/evidence", tag = "evidence", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body(content = EvidenceForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Evidence), (status = 413, body = Problem, content_type = "application/problem+json"),
              (status = 415, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn upload(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    mut form: Multipart,
) -> ApiResult<HttpResponse> {
    let mut file: Option<(String, String, Vec<u8>)> = None;
    let mut item_no = None;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| ApiError::BadRequest(format!("malformed multipart body: {e}")))?;
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.content_disposition().and_then(|d| d.get_filename()).unwrap_or_default().to_owned();
        let content_type = field.content_type().map(|m| m.essence_str().to_owned()).unwrap_or_default();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("malformed multipart body: {e}")))?;
            if bytes.len() + chunk.len() > MAX_FILE_BYTES {
                return Err(ApiError::PayloadTooLarge(MAX_FILE_BYTES));
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "file" => file = Some((file_name, content_type, bytes)),
            "item_no" => {
                let text = String::from_utf8_lossy(&bytes).trim().to_owned();
                item_no = Some(text.parse::<u32>().map_err(|_| {
                    ApiError::from(DomainError::validation("item_no", "invalid_value", "must be an item number"))
                })?);
            }
            _ => {}
        }
    }
    let (file_name, content_type, bytes) = file.ok_or_else(|| {
        ApiError::from(DomainError::validation("file", "required", "send the file in the field `file`"))
    })?;
    let upload = Upload { file_name, content_type, bytes, item_no };
    let saved = evidence::upload(&state.kensa, &auth.0, path.into_inner(), upload).await?;
    Ok(HttpResponse::Created().json(saved))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvidencePage {
    pub data: Vec<Evidence>,
    pub next_cursor: Option<String>,
}

/// The assessment's files, oldest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/evidence", tag = "evidence", security(("bearer" = [])),
    params(("id" = Uuid, Path), PageQuery), responses((status = 200, body = EvidencePage),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let result = evidence::list_page(&state.kensa, &auth.0, path.into_inner(), &page).await?;
    Ok(HttpResponse::Ok().json(EvidencePage { data: result.data, next_cursor: result.next_cursor }))
}

/// Download a file, always as an attachment.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/evidence/{evidence_id}", tag = "evidence", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("evidence_id" = Uuid, Path)),
    responses((status = 200, description = "The file"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn download(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (id, evidence_id) = path.into_inner();
    let (meta, bytes) = evidence::download(&state.kensa, &auth.0, id, evidence_id).await?;
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::Filename(meta.file_name.clone())],
    };
    Ok(HttpResponse::Ok()
        .content_type(meta.content_type)
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header(("x-checksum-sha256", meta.sha256))
        .body(bytes))
}

/// Delete a file while answers are editable.
#[utoipa::path(delete, path = "/api/v1/assessments/{id}/evidence/{evidence_id}", tag = "evidence", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("evidence_id" = Uuid, Path)),
    responses((status = 204), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn delete(state: web::Data<AppState>, auth: Auth, path: web::Path<(Uuid, Uuid)>) -> ApiResult<HttpResponse> {
    let (id, evidence_id) = path.into_inner();
    evidence::delete(&state.kensa, &auth.0, id, evidence_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
