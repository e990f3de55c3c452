//! `GET /api/v1/audit-events` (owners and admins) and its export (owners).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use kensa_domain::audit::export::AuditFormat;
use kensa_domain::audit::verify::{Checkpoint, Verification};
use kensa_domain::audit::{self, AuditEvent, AuditFilter};
use kensa_domain::pagination::PageRequest;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, Query};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventPage {
    pub data: Vec<AuditEvent>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Exact action, e.g. `auth.login_failed`.
    pub action: Option<String>,
    /// Events at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Events before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List audit events
///
/// The organization's audit trail, newest first. Owners and admins.
#[utoipa::path(get, path = "/api/v1/audit-events", operation_id = "listAuditEvents", tag = "audit", security(("bearer" = [])),
    params(AuditQuery),
    responses((status = 200, description = "A page of events", body = AuditEventPage),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: web::Data<AppState>, auth: Auth, query: Query<AuditQuery>) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let filter = AuditFilter { action: q.action, from: q.from, to: q.to };
    let result = audit::list(&state.kensa, auth.0.admin()?, &filter, &page).await?;
    Ok(HttpResponse::Ok().json(AuditEventPage { data: result.data, next_cursor: result.next_cursor }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditExportQuery {
    /// The start of the period (RFC 3339), included.
    pub from: Option<DateTime<Utc>>,
    /// The end of the period (RFC 3339), excluded; at most 366 days after `from`.
    pub to: Option<DateTime<Utc>>,
    /// `csv` (default; UTF-8 with BOM, formula-safe cells) or `json` (an array).
    #[param(value_type = Option<AuditFormat>)]
    pub format: Option<AuditFormat>,
}

/// Export the audit trail of a period
///
/// Every event of the organization from `from` to `to`, oldest first, as a CSV or JSON
/// file: action, actor (user, or the API key's prefix), target, client address, request id
/// and details. The export is itself recorded (`audit.exported`). Owners only.
#[utoipa::path(get, path = "/api/v1/audit-events/export", operation_id = "exportAuditEvents", tag = "audit", security(("bearer" = [])),
    params(AuditExportQuery),
    responses((status = 200, description = "The file", content_type = "text/csv", body = String,
                  headers(("Content-Disposition" = String, description = "`attachment; filename=\"audit-….csv\"`"))),
              (status = 403, description = "Not an owner", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "`from` or `to` missing, or the period longer than 366 days", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn export(state: web::Data<AppState>, auth: Auth, query: Query<AuditExportQuery>) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let format = q.format.unwrap_or(AuditFormat::Csv);
    let file = audit::export::export(&state.kensa, &auth.0, q.from, q.to, format).await?;
    let name = format!("audit-{}.{}", state.kensa.today(), format.extension());
    crate::rest::page::file_download(file.path, &name, format.content_type()).await
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct VerifyQuery {
    /// A checkpoint to compare with the chain: the event number of a checkpoint mail. Give
    /// `hash` with it.
    pub seq: Option<i64>,
    /// The checkpoint's hash: 64 lowercase hexadecimal digits.
    pub hash: Option<String>,
}

/// Verify the audit trail's hash chain
///
/// Recomputes every event's SHA-256 and link, oldest first, and compares the chain with its
/// head and with the daily checkpoints (those recorded, and the one given as `seq` and
/// `hash`, e.g. from a checkpoint mail). Answers `intact` with the head's number and hash, or
/// `broken` with the first broken link: the event, what is wrong, the expected and the found
/// hash. Owners and admins.
#[utoipa::path(get, path = "/api/v1/audit-events/verify", operation_id = "verifyAuditChain", tag = "audit", security(("bearer" = [])),
    params(VerifyQuery),
    responses((status = 200, description = "The verification, intact or broken", body = Verification),
              (status = 403, description = "Not an owner or admin", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "`seq` without `hash` (or the reverse), or either malformed", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn verify(state: web::Data<AppState>, auth: Auth, query: Query<VerifyQuery>) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let admin = auth.0.admin()?;
    let given = Checkpoint::parse(q.seq, q.hash.as_deref())?;
    let report = kensa_domain::audit::verify::verify_own(&state.kensa, admin, given).await?;
    Ok(HttpResponse::Ok().json(report))
}
