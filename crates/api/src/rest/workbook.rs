//! `/api/v1/assessments/{id}/workbook`: the check sheet as an Excel workbook, both ways.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use kensa_domain::assessments::workbook::{self, CONTENT_TYPE, MAX_UPLOAD_BYTES};
use kensa_domain::users::Locale;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::assessments::saved;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Auth, Query, if_match};
use crate::rest::assessments::SavedAnswers;
use crate::rest::evidence::FileBytes;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct WorkbookQuery {
    /// `ja` (default) or `en`: the headers, labels and texts (English where the checklist has
    /// a translation; the Japanese original in a note on each condition).
    #[param(value_type = Option<Locale>)]
    pub lang: Option<Locale>,
}

/// Download the workbook
///
/// The check sheet of the assessment as an Excel workbook laid out like the guideline's
/// table: a cover (parties, checklist and version, target level, due date, status, 達成率 per
/// level and category and the achieved level as live formulas, a radar chart) and one row per
/// in-scope item with its answer, N/A reason, remediation plan and date and remark. Input
/// cells are unlocked, with a dropdown of the scale's Japanese and English labels and the
/// API's rules as data validation; the other columns are protected. A hidden sheet names the
/// assessment and its version for the upload. Before answering starts it is the blank sheet
/// for offline work. Both sides, any role that can read the assessment; the buyer's copy and
/// a locked assessment's are read-only.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/workbook", operation_id = "getAssessmentWorkbook", tag = "assessments",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The assessment's id"), WorkbookQuery),
    responses((status = 200, description = "The workbook",
                  content((FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")),
                  headers(("Content-Disposition" = String, description = "`attachment; filename=\"kensa-<id>-YYYY-MM-DD.xlsx\"`"),
                      ("ETag" = String, description = "The assessment's version the workbook was written at"))),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn download(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    query: Query<WorkbookQuery>,
) -> ApiResult<HttpResponse> {
    let lang = query.into_inner().lang.unwrap_or(Locale::Ja);
    Ok(workbook_response(workbook::export(&state.kensa, &auth.0, path.into_inner(), lang).await?))
}

/// A written workbook as a download (the web page's link answers with it too).
pub fn workbook_response(file: workbook::Exported) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", file.file_name)))
        .insert_header(crate::extract::etag(file.version))
        .insert_header(("x-content-type-options", "nosniff"))
        .body(file.bytes)
}

/// Upload a filled workbook
///
/// The workbook downloaded from `GET …/workbook`, filled in (in Excel, LibreOffice or by a
/// program), as the body (`Content-Type` of an `.xlsx` or `application/octet-stream`; at
/// most 4 MiB). Its answers are saved as one change with the same rules as
/// `POST …/answers`: all or none, every problem listed in `errors` by cell (`チェックシート!J14`)
/// with the item's number. The check sheet's columns may be in any order and headed in
/// Japanese or English; answers may be the Japanese or English label or the API's code;
/// formulas in input cells are refused. A workbook of another assessment is refused
/// (`workbook_mismatch`), one downloaded before the assessment last changed (its version) too
/// (`workbook_outdated`). Without `If-Match` the workbook's own version is the
/// precondition. A row that says what is already saved is left as it is (a carried-over
/// answer stays to be confirmed): `answers` lists the changed ones, and a workbook uploaded
/// again unchanged makes no new version. The supplier's owners, admins and respondents,
/// while the assessment is open.
#[utoipa::path(put, path = "/api/v1/assessments/{id}/workbook", operation_id = "putAssessmentWorkbook", tag = "assessments",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The assessment's id"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` last seen (`\"4\"`, `W/\"4\"` or `4`; `*` for any): refuses (412) to overwrite newer work")),
    request_body(content = FileBytes, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 200, description = "Saved", body = SavedAnswers,
                  headers(("ETag" = String, description = "The assessment's version, quoted (`\"4\"`): send it back in `If-Match`"))),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`workbook_outdated`: downloaded before the assessment last changed; \
                  `assessment_locked`: the status does not allow answers", body = Problem, content_type = "application/problem+json"),
              (status = 412, body = Problem, content_type = "application/problem+json"),
              (status = 413, description = "`payload_too_large`: over 4 MiB", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "`unsupported_media_type`: not an `.xlsx` body", body = Problem,
                  content_type = "application/problem+json"),
              (status = 422, description = "`validation_failed` (every bad cell in `errors`), `workbook_unreadable` or \
                  `workbook_mismatch`", body = Problem, content_type = "application/problem+json"),
              (status = 503, description = "`uploads_busy`: too many uploads at once; wait `Retry-After` seconds", body = Problem,
                  content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn upload(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<Uuid>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if essence != CONTENT_TYPE && essence != "application/octet-stream" {
        return Err(ApiError::UnsupportedMediaType(
            "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet (or application/octet-stream)",
        ));
    }
    let precondition = if_match(&req)?;
    let id = path.into_inner();
    // Parsing is bounded by the upload slots evidence uses, taken (by someone who may answer
    // this open assessment) before any byte is read.
    let _slot = kensa_domain::assessments::evidence::admit(&state.kensa, &auth.0, id).await?;
    let bytes = crate::extract::read_body(&req, payload, MAX_UPLOAD_BYTES).await?;
    let (answers, version) = workbook::import(&state.kensa, &auth.0, id, bytes.to_vec(), precondition).await?;
    Ok(saved(answers, version))
}
