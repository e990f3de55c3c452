//! `/api/v1/assessments/{id}/evidence`: files that back the answers.
//!
//! An upload is bounded before and while it is read: the caller must be allowed to add
//! evidence (checked before the body), a process-wide number of uploads run at once (503
//! with `Retry-After` beyond), the body is counted as it arrives (the file's 20 MiB plus
//! 64 KiB for the other parts and the framing; 413 beyond), a form has at most
//! [`MAX_PARTS`] parts and one file (`too_many_parts`, `too_many_files`), and the file goes
//! to a temporary file as it arrives (hashed and checked on the way), never into memory whole.

use kensa_domain::ErrorCode;
use std::cell::Cell;
use std::rc::Rc;

use actix_multipart::Multipart;
use actix_web::http::header::{self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use kensa_domain::DomainError;
use kensa_domain::assessments::evidence::{self, Evidence, MAX_FILE_BYTES, Upload};
use kensa_domain::assessments::evidence_names;
use kensa_domain::assessments::staging::{StageError, Staged, Stager};
use kensa_domain::pagination::PageRequest;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::page::PageQuery;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Auth, Query, etag, if_match};
use crate::idempotency::Idempotency;
use crate::openapi::{IdempotencyHeader, IfMatchHeader};
use crate::rate_limit::{self, Quota};
use crate::state::AppState;

/// Parts a form may have: the file, `item_no` and a few small fields some clients add.
pub const MAX_PARTS: usize = 8;
/// Bytes of any part other than the file.
pub const MAX_FIELD_BYTES: usize = 1024;
/// A whole upload body: the file plus room for the other parts and the multipart framing.
pub const MAX_BODY_BYTES: usize = MAX_FILE_BYTES + 64 * 1024;

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

/// A file's bytes, as downloaded.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct FileBytes(Vec<u8>);

fn malformed(e: impl std::fmt::Display) -> ApiError {
    ApiError::BadRequest(format!("malformed multipart body: {e}"))
}

fn too_many(code: ErrorCode, detail: String) -> ApiError {
    DomainError::Unprocessable { code, detail, errors: Vec::new() }.into()
}

/// The body as it arrives, cut off (and `over` set) past `limit` bytes.
pub(crate) fn counted(
    payload: web::Payload,
    limit: usize,
    over: Rc<Cell<bool>>,
) -> impl futures_util::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>> {
    let mut seen = 0usize;
    payload.map(move |chunk| {
        let chunk = chunk?;
        seen += chunk.len();
        if seen > limit {
            over.set(true);
            return Err(actix_web::error::PayloadError::Overflow);
        }
        Ok(chunk)
    })
}

/// What the form held: (file name, declared type, staged file) and the item number.
/// What an upload form held.
pub(crate) struct UploadForm {
    /// (file name, declared type, staged file)
    pub file: Option<(String, String, Staged)>,
    pub item_no: Option<u32>,
    /// The other small fields (a page's CSRF token).
    pub fields: Vec<(String, String)>,
}

/// A form [`counted`] against `limit`.
pub(crate) async fn read_form(
    state: &AppState,
    mut form: Multipart,
    limit: usize,
    over: &Cell<bool>,
) -> ApiResult<UploadForm> {
    let too_large = |e: actix_multipart::MultipartError| {
        if over.get() { ApiError::PayloadTooLarge(limit) } else { malformed(e) }
    };
    let mut file = None;
    let mut item_no = None;
    let mut fields = Vec::new();
    let mut parts = 0;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(too_large)?;
        parts += 1;
        if parts > MAX_PARTS {
            return Err(too_many(ErrorCode::TooManyParts, format!("a form has at most {MAX_PARTS} parts")));
        }
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            if file.is_some() {
                return Err(too_many(ErrorCode::TooManyFiles, "send one file per upload, in the field `file`".into()));
            }
            let disposition = field.content_disposition();
            let file_name = disposition
                .and_then(|d| d.get_filename().map(str::to_owned))
                .or_else(|| {
                    disposition
                        .and_then(|d| d.get_filename_ext())
                        .map(|v| String::from_utf8_lossy(&v.value).into_owned())
                })
                .unwrap_or_default();
            let content_type = field.content_type().map(|m| m.essence_str().to_owned()).unwrap_or_default();
            let mut stager = Stager::new(&state.kensa.uploads.staging_dir, MAX_FILE_BYTES).await?;
            while let Some(chunk) = field.next().await {
                match stager.write(&chunk.map_err(too_large)?).await {
                    Ok(()) => {}
                    Err(StageError::TooLarge(limit)) => return Err(ApiError::PayloadTooLarge(limit)),
                    Err(StageError::Failed(e)) => return Err(e.into()),
                }
            }
            file = Some((file_name, content_type, stager.finish().await?));
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(too_large)?;
            if bytes.len() + chunk.len() > MAX_FIELD_BYTES {
                return Err(DomainError::validation(
                    &name,
                    ErrorCode::TooLong,
                    format!("a form field other than `file` holds at most {MAX_FIELD_BYTES} bytes"),
                )
                .into());
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = String::from_utf8_lossy(&bytes).trim().to_owned();
        if name == "item_no" {
            item_no = Some(text.parse::<u32>().map_err(|_| {
                ApiError::from(DomainError::validation("item_no", ErrorCode::InvalidValue, "must be an item number"))
            })?);
        } else {
            fields.push((name, text));
        }
    }
    Ok(UploadForm { file, item_no, fields })
}

/// Upload evidence
///
/// A file in the multipart field `file`, with an optional field `item_no`. Allowed while
/// answers are editable, to the supplier's owners, admins and respondents; the declared type
/// is checked against the bytes and the stored name is sanitised (see the README). Bounds:
/// 20 MiB a file, 64 KiB more for the rest of the body, 8 parts, one file, 1 KiB a non-file
/// field, 500 MiB an assessment, the organizations' quota (`KENSA_ORG_STORAGE_QUOTA_MB`),
/// and a number of uploads at once per process.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/evidence", operation_id = "uploadEvidence", tag = "evidence",
    security(("bearer" = [])), params(IfMatchHeader, IdempotencyHeader, ("id" = Uuid, Path, description = "The assessment's id")),
    request_body(content = EvidenceForm, content_type = "multipart/form-data"),
    responses((status = 201, description = "Stored", body = Evidence,
                  headers(("Location" = String, description = "`/api/v1/assessments/{id}/evidence/{evidence_id}`: the download"), ("ETag" = String, description = "The assessment's new version, quoted (`\"4\"`): send it back in `If-Match`"))),
              (status = 400, description = "`bad_request`: a malformed multipart body", body = Problem,
                  content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`assessment_locked`: the answers are no longer editable", body = Problem,
                  content_type = "application/problem+json"),
              (status = 413, description = "`payload_too_large`: over 20 MiB a file or the body's bound", body = Problem,
                  content_type = "application/problem+json"),
              (status = 422, description = "`validation_failed` naming `file` or `item_no` (`content_mismatch`, `required`, …), \
                  `too_many_parts`, `too_many_files`, `evidence_quota_exceeded`", body = Problem, content_type = "application/problem+json"),
              (status = 503, description = "`uploads_busy`: too many uploads at once; wait `Retry-After` seconds", body = Problem,
                  content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait"))),
              (status = 428, body = Problem, content_type = "application/problem+json"),
              (status = 412, body = Problem, content_type = "application/problem+json")))]
pub async fn upload(
    state: web::Data<AppState>,
    auth: Auth,
    idem: Idempotency,
    path: web::Path<Uuid>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let limits = state.kensa.uploads.clone();
    let result = receive(state, auth, idem, path.into_inner(), req, payload).await;
    // The slot this upload held is free again by now: what the next caller would find.
    let busy = matches!(&result, Err(ApiError::Domain(DomainError::Overloaded { code: ErrorCode::UploadsBusy, .. })));
    let quota = Quota {
        policy: "uploads",
        limit: limits.concurrent as u64,
        window_secs: None,
        unit: Some("concurrent-requests"),
        remaining: if busy { 0 } else { limits.uploads_available() as u64 },
        reset_secs: None,
    };
    rate_limit::answer(&[quota], result)
}

async fn receive(
    state: web::Data<AppState>,
    auth: Auth,
    idem: Idempotency,
    id: Uuid,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let precondition = if_match(&req)?;
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES));
    }
    // A retry of a keyed upload is compared with the first, not checked again: the
    // assessment may have moved on (submitted) since the first one was stored.
    let _slot = if idem.seen(&state.kensa, &auth.0).await? {
        evidence::slot(&state.kensa)?
    } else {
        evidence::admit(&state.kensa, &auth.0, id).await?
    };
    let over = Rc::new(Cell::new(false));
    let form = Multipart::new(req.headers(), counted(payload, MAX_BODY_BYTES, over.clone()));
    let UploadForm { file, item_no, .. } = read_form(&state, form, MAX_BODY_BYTES, &over).await?;
    let (file_name, content_type, file) = file.ok_or_else(|| {
        ApiError::from(DomainError::validation("file", ErrorCode::Required, "send the file in the field `file`"))
    })?;
    // The multipart framing differs on every retry: the request is what the form holds.
    let item = item_no.map(|n| n.to_string()).unwrap_or_default();
    let idem =
        idem.with_digest(&[file.sha256.as_bytes(), file_name.as_bytes(), content_type.as_bytes(), item.as_bytes()]);
    let upload = Upload { file_name, content_type, file, item_no };
    let ctx = auth.0.clone();
    idem.run(&state.kensa.clone(), &auth.0, async move {
        let (saved, version) = evidence::upload(&state.kensa, &ctx, id, upload, precondition).await?;
        let location = format!("/api/v1/assessments/{id}/evidence/{}", saved.id);
        Ok(HttpResponse::Created().insert_header((header::LOCATION, location)).insert_header(etag(version)).json(saved))
    })
    .await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvidencePage {
    pub data: Vec<Evidence>,
    pub next_cursor: Option<String>,
}

/// List evidence
///
/// The assessment's files, oldest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/evidence", operation_id = "listEvidence", tag = "evidence",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The assessment's id"), PageQuery),
    responses((status = 200, description = "A page of files", body = EvidencePage)))]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    query: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let result = evidence::list_page(&state.kensa, &auth.0, path.into_inner(), &page).await?;
    Ok(HttpResponse::Ok().json(EvidencePage { data: result.data, next_cursor: result.next_cursor }))
}

/// `attachment; filename="<ASCII>"; filename*=UTF-8''<percent-encoded>` (RFC 6266, RFC 5987):
/// the name is already sanitised (no control characters), and the plain `filename` is
/// printable ASCII, so the header is valid for any stored name.
fn attachment(name: &str) -> ContentDisposition {
    ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(evidence_names::ascii_fallback(name)),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: name.as_bytes().to_vec(),
            }),
        ],
    }
}

/// Download evidence
///
/// Always as an attachment (`Content-Disposition` per RFC 6266 with an ASCII `filename` and
/// the UTF-8 `filename*`), with the type it was stored with.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/evidence/{evidence_id}", operation_id = "downloadEvidence", tag = "evidence",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The assessment's id"), ("evidence_id" = Uuid, Path, description = "The file's id")),
    responses((status = 200, description = "The file's bytes, with the type it was uploaded as",
                  content((FileBytes = "application/pdf"),
                      (FileBytes = "image/png"),
                      (FileBytes = "image/jpeg"),
                      (FileBytes = "image/gif"),
                      (FileBytes = "application/zip"),
                      (FileBytes = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                      (FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                      (FileBytes = "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
                      (FileBytes = "text/plain"),
                      (FileBytes = "text/csv")),
                  headers(("Content-Disposition" = String, description = "`attachment` with the file's name"),
                          ("X-Checksum-SHA256" = String, description = "The file's SHA-256, hex"))),
              (status = 503, description = "`downloads_busy`: too many downloads at once; wait `Retry-After` seconds", body = Problem,
                  content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn download(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (id, evidence_id) = path.into_inner();
    file_response(&state, &auth.0, id, evidence_id).await
}

/// The file as a download (REST and the pages).
pub(crate) async fn file_response(
    state: &AppState,
    ctx: &kensa_domain::tenant::TenantCtx,
    id: Uuid,
    evidence_id: Uuid,
) -> ApiResult<HttpResponse> {
    let (meta, file, slot) = evidence::download(&state.kensa, ctx, id, evidence_id).await?;
    Ok(stored_file_response(&meta.file_name, meta.content_type, meta.sha256, file, slot))
}

/// A stored file as an attachment (assessments' and shares' evidence).
pub(crate) fn stored_file_response(
    name: &str,
    content_type: String,
    sha256: String,
    file: kensa_domain::assessments::evidence_store::StoredFile,
    slot: kensa_domain::assessments::evidence::DownloadSlot,
) -> HttpResponse {
    // Streamed from the store a chunk at a time. The slot goes with the body, so it is held
    // until the last byte has been written.
    let body = file.body.map(move |chunk| {
        let _held = &slot;
        chunk
    });
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_DISPOSITION, attachment(name)))
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header(("x-checksum-sha256", sha256))
        .body(actix_web::body::SizedStream::new(file.size, body))
}

/// Delete evidence
///
/// While answers are editable; the supplier's owners, admins and respondents.
#[utoipa::path(delete, path = "/api/v1/assessments/{id}/evidence/{evidence_id}", operation_id = "deleteEvidence", tag = "evidence",
    security(("bearer" = [])),
    params(IfMatchHeader, ("id" = Uuid, Path, description = "The assessment's id"), ("evidence_id" = Uuid, Path, description = "The file's id")),
    responses((status = 204, description = "Deleted", headers(("ETag" = String, description = "The assessment's new version, quoted (`\"4\"`): send it back in `If-Match`"))), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`assessment_locked`: the answers are no longer editable", body = Problem,
                  content_type = "application/problem+json"),
              (status = 428, body = Problem, content_type = "application/problem+json"),
              (status = 412, body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (id, evidence_id) = path.into_inner();
    let version = evidence::delete(&state.kensa, &auth.0, id, evidence_id, if_match(&req)?).await?;
    Ok(HttpResponse::NoContent().insert_header(etag(version)).finish())
}
