//! An organization's archive: `POST /api/v1/organization/export` (owners) starts it, the
//! worker writes it, a single-use link downloads it.

use actix_web::{HttpResponse, web};
use kensa_domain::portability::exports::{self, ExportLink, OrganizationExport};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiResult, Problem};
use crate::extract::Auth;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationExportList {
    /// The latest 20, newest first.
    pub data: Vec<OrganizationExport>,
}

/// Export the organization's data
///
/// Starts writing one archive of everything the organization owns or took part in: JSON
/// Lines per table (users without password hashes, suppliers, campaigns, assessments with
/// answers, comments and history, shares, the audit trail with its hash chain), the evidence
/// files by SHA-256 and a manifest with counts and hashes. The worker writes it (`progress`);
/// once `ready`, ask for a download link. One export at a time; archives are kept 7 days.
/// Owners only. Refused (409 `erasure_started`) while the worker erases the organization.
#[utoipa::path(post, path = "/api/v1/organization/export", operation_id = "startOrganizationExport", tag = "organization",
    security(("bearer" = [])),
    responses((status = 202, description = "Queued", body = OrganizationExport),
              (status = 403, description = "Not an owner", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`export_running`: an export is not finished yet; `erasure_started`: the organization is being erased",
                  body = Problem, content_type = "application/problem+json")))]
pub async fn start(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Accepted().json(exports::start(&state.kensa, &auth.0).await?))
}

/// List the organization's exports
///
/// Owners see every export; anyone else the personal-data archives they asked for or that
/// hold their own data (`POST /api/v1/users/{id}/export`).
#[utoipa::path(get, path = "/api/v1/organization/exports", operation_id = "listOrganizationExports", tag = "organization",
    security(("bearer" = [])),
    responses((status = 200, description = "The latest exports", body = OrganizationExportList),
              (status = 403, description = "An API key without an owner's role", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn list(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(OrganizationExportList { data: exports::list(&state.kensa, &auth.0).await? }))
}

/// Get an export
///
/// Its status and progress; once ready, the rows per table, the evidence files, the
/// archive's size and SHA-256. Owners, or for a personal-data archive the person and whoever
/// asked for it.
#[utoipa::path(get, path = "/api/v1/organization/exports/{id}", operation_id = "getOrganizationExport", tag = "organization",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The export's id")),
    responses((status = 200, description = "The export", body = OrganizationExport),
              (status = 403, description = "Neither an owner nor the archive's person or requester", body = Problem,
                  content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(exports::get(&state.kensa, &auth.0, id.into_inner()).await?))
}

/// Create a download link for an export
///
/// A URL that downloads the archive once, without credentials, within 15 minutes; a new
/// link ends the previous one. Owners, or for a personal-data archive the person and
/// whoever asked for it.
#[utoipa::path(post, path = "/api/v1/organization/exports/{id}/link", operation_id = "createOrganizationExportLink", tag = "organization",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The export's id")),
    responses((status = 200, description = "The link (not a resource of its own: it lives on the export)", body = ExportLink),
              (status = 403, description = "Neither an owner nor the archive's person or requester", body = Problem,
                  content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`export_not_ready`: queued, running, failed or expired", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn link(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(exports::link(&state.kensa, &auth.0, id.into_inner()).await?))
}

/// Download an export
///
/// The archive (`application/zip`), once per link. The token in the path is the credential.
#[utoipa::path(get, path = "/api/v1/exports/download/{token}", operation_id = "downloadOrganizationExport", tag = "organization",
    params(("token" = String, Path, description = "The link's token")),
    responses((status = 200, description = "The archive", content((super::evidence::FileBytes = "application/zip")),
                  headers(("Content-Disposition" = String, description = "`attachment; filename=\"kensa-export-….zip\"`"),
                          ("X-Checksum-SHA256" = String, description = "The archive's SHA-256, hex"))),
              (status = 410, description = "`link_invalid`: used, expired or unknown", body = Problem,
                  content_type = "application/problem+json"),
              (status = 503, description = "`downloads_busy`: too many downloads at once; the link still works", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn download(state: web::Data<AppState>, token: web::Path<String>) -> ApiResult<HttpResponse> {
    let d = exports::redeem(&state.kensa, &token.into_inner()).await?;
    Ok(super::evidence::stored_file_response(&d.file_name, "application/zip".into(), d.sha256, d.file, d.slot))
}
